"""The networks of the book's chapter "Modern Convolutional Neural Networks" (and LeNet), which
the GoogLeNet lecture asks its readers to compare with GoogLeNet, exactly as the book's PyTorch
code builds them (Dive into Deep Learning, d2l-ai/d2l-en ``chapter_convolutional-modern/``):
every conv and linear layer keeps PyTorch's default bias, 10 classes, and the input at which
the book prints each network's layer shapes.
"""

from __future__ import annotations

from ..spec import AdaptiveAvgPool, BatchNorm, Conv, Dropout, Flatten, Linear, Network, Pool, Stage, Style
from ..templates import make

BOOK = "Dive into Deep Learning, chapter 'Modern Convolutional Neural Networks'"


def _conv(name: str, out: int | None, k: int, s: int = 1, p: int = 0, act: str = "relu", bn: bool = False) -> Conv:
    return Conv(name, out, (k, k), (s, s), (p, p), bn=bn, act=act)


def _pool(name: str, op: str, k: int, s: int, p: int = 0) -> Pool:
    return Pool(name, op, (k, k), (s, s), (p, p))


def _classifier(hidden: int) -> tuple:
    """AlexNet's and VGG's head: two ReLU linear layers with dropout 0.5, then the classes."""
    return (
        Flatten("flatten"),
        Linear("fc1", hidden, act="relu"),
        Dropout("dropout1", 0.5),
        Linear("fc2", hidden, act="relu"),
        Dropout("dropout2", 0.5),
        Linear("fc3"),
    )


def lenet() -> Network:
    return Network(
        name="d2l-lenet",
        description="LeNet-5 as the book builds it: two 5×5 convs with sigmoid activations, each followed by a "
        "2×2 average pool, then three linear layers (120, 84, 10) with sigmoids between them.",
        input=(1, 28, 28),
        classes=10,
        stages=(
            Stage("block1", (_conv("conv1", 6, 5, p=2, act="sigmoid"), _pool("pool1", "avg", 2, 2))),
            Stage("block2", (_conv("conv2", 16, 5, act="sigmoid"), _pool("pool2", "avg", 2, 2))),
        ),
        head=(Flatten("flatten"), Linear("fc1", 120, act="sigmoid"), Linear("fc2", 84, act="sigmoid"), Linear("fc3")),
    )


def alexnet() -> Network:
    return Network(
        name="d2l-alexnet",
        description="AlexNet as the book builds it for one-channel 224×224 images: an 11×11 /4 conv, a 5×5 conv, "
        "three 3×3 convs, three 3×3 /2 max pools, then two 4096-wide ReLU linear layers with dropout 0.5.",
        input=(1, 224, 224),
        classes=10,
        stages=(
            Stage("b1", (_conv("conv1", 96, 11, 4, 1), _pool("pool1", "max", 3, 2))),
            Stage("b2", (_conv("conv2", 256, 5, p=2), _pool("pool2", "max", 3, 2))),
            Stage(
                "b3",
                (_conv("conv3", 384, 3, p=1), _conv("conv4", 384, 3, p=1), _conv("conv5", 256, 3, p=1), _pool("pool3", "max", 3, 2)),
            ),
        ),
        head=_classifier(4096),
    )


VGG11 = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))  # the book's conv_arch: (convs, channels) per block


def vgg11() -> Network:
    stages, n = [], 0
    for i, (convs, channels) in enumerate(VGG11, start=1):
        items = []
        for _ in range(convs):
            n += 1
            items.append(_conv(f"conv{n}", channels, 3, p=1))
        items.append(_pool(f"pool{i}", "max", 2, 2))
        stages.append(Stage(f"vgg{i}", tuple(items)))
    return Network(
        name="d2l-vgg11",
        description="VGG-11 as the book builds it: five VGG blocks (3×3 convs with padding 1 and ReLU, then a 2×2 "
        "max pool) with conv_arch ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512)), then two 4096-wide ReLU "
        "linear layers with dropout 0.5.",
        input=(1, 224, 224),
        classes=10,
        stages=tuple(stages),
        head=_classifier(4096),
    )


def _nin_block(i: int, out: int | None, k: int, s: int, p: int) -> tuple[Conv, ...]:
    """The book's ``nin_block``: a k×k conv and two 1×1 convs, each followed by ReLU."""
    return (_conv(f"conv{i}", out, k, s, p), _conv(f"conv{i}_1x1a", out, 1), _conv(f"conv{i}_1x1b", out, 1))


def nin() -> Network:
    return Network(
        name="d2l-nin",
        description="Network in Network as the book builds it: four NiN blocks (a conv and two 1×1 convs, each with "
        "ReLU) with 3×3 /2 max pools between them and dropout 0.5 before the last, whose 1×1 convs make one channel "
        "per class; a global average pool replaces the fully connected layers.",
        input=(1, 224, 224),
        classes=10,
        stages=(
            Stage("nin1", (*_nin_block(1, 96, 11, 4, 0), _pool("pool1", "max", 3, 2))),
            Stage("nin2", (*_nin_block(2, 256, 5, 1, 2), _pool("pool2", "max", 3, 2))),
            Stage("nin3", (*_nin_block(3, 384, 3, 1, 1), _pool("pool3", "max", 3, 2), Dropout("dropout", 0.5))),
            Stage("nin4", _nin_block(4, None, 3, 1, 1)),  # out=None: as many channels as classes
        ),
        head=(AdaptiveAvgPool("avgpool"), Flatten("flatten")),
    )


def resnet18() -> Network:
    style = Style()

    def blocks(stage: int, channels: int, down: bool):
        first = make(f"b{stage}_1", "resnet-basic-down" if down else "resnet-basic", style, channels=channels)
        return (first, make(f"b{stage}_2", "resnet-basic", style, channels=channels))

    return Network(
        name="d2l-resnet18",
        description="ResNet-18 as the book builds it: a 7×7 /2 conv with BatchNorm and a 3×3 /2 max pool, four stages "
        "of two residual blocks (64, 128, 256, 512 channels; each later stage starts with a stride-2 block and a 1×1 "
        "projection), global average pool, one linear layer.",
        input=(1, 96, 96),
        classes=10,
        style=style,
        stages=(
            Stage("b1", (_conv("conv1", 64, 7, 2, 3, bn=True), _pool("maxpool", "max", 3, 2, 1))),
            Stage("b2", blocks(2, 64, False), repeat="resnet-basic"),
            Stage("b3", blocks(3, 128, True), repeat="resnet-basic"),
            Stage("b4", blocks(4, 256, True), repeat="resnet-basic"),
            Stage("b5", blocks(5, 512, True), repeat="resnet-basic"),
        ),
        head=(AdaptiveAvgPool("avgpool"), Flatten("flatten"), Linear("fc")),
    )


DENSE_BLOCKS = (4, 4, 4, 4)  # the book's num_convs_in_dense_blocks
GROWTH = 32


def densenet() -> Network:
    style = Style()
    channels = 64
    stages = [Stage("b1", (_conv("conv1", 64, 7, 2, 3, bn=True), _pool("maxpool", "max", 3, 2, 1)))]
    for i, convs in enumerate(DENSE_BLOCKS, start=1):
        items: list = [make(f"dense{i}_{j}", "densenet-layer", style, growth=GROWTH) for j in range(1, convs + 1)]
        channels += convs * GROWTH
        if i != len(DENSE_BLOCKS):
            # the book's transition_block: BN → ReLU → 1×1 conv halving the channels → 2×2 /2 average pool
            channels //= 2
            items += [Conv(f"transition{i}", channels, (1, 1), bn=True, order="pre"), _pool(f"transition{i}_pool", "avg", 2, 2)]
        stages.append(Stage(f"dense{i}", tuple(items), repeat="densenet-layer"))
    return Network(
        name="d2l-densenet",
        description="DenseNet as the book builds it: a 7×7 /2 conv with BatchNorm and a 3×3 /2 max pool, four dense "
        "blocks of four BN → ReLU → 3×3 conv layers (growth rate 32) with transition layers (BN → ReLU → 1×1 conv "
        "halving the channels → 2×2 average pool) between them, then BN → ReLU, global average pool and a linear layer.",
        input=(1, 96, 96),
        classes=10,
        style=style,
        stages=tuple(stages),
        head=(BatchNorm("bn", act="relu"), AdaptiveAvgPool("avgpool"), Flatten("flatten"), Linear("fc")),
    )
