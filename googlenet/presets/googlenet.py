"""GoogLeNet (Inception v1) three ways: the lecture's, the paper's and torchvision's.

The channel allocation (c1, c2, c3, c4) of the nine Inception blocks is the paper's Table 1,
shared by all three; they differ in the stem, normalisation, pooling and head.
"""

from __future__ import annotations

from ..spec import LRN, AdaptiveAvgPool, AuxHead, Dropout, Flatten, Linear, Network, Pool, Stage, Style
from ..templates import conv_maker, inception, maxpool

# Szegedy et al. 2014, Table 1: "#1×1", "#3×3 reduce", "#3×3", "#5×5 reduce", "#5×5", "pool proj"
ALLOCATION = {
    "inception3a": (64, (96, 128), (16, 32), 32),
    "inception3b": (128, (128, 192), (32, 96), 64),
    "inception4a": (192, (96, 208), (16, 48), 64),
    "inception4b": (160, (112, 224), (24, 64), 64),
    "inception4c": (128, (128, 256), (24, 64), 64),
    "inception4d": (112, (144, 288), (32, 64), 64),
    "inception4e": (256, (160, 320), (32, 128), 128),
    "inception5a": (256, (160, 320), (32, 128), 128),
    "inception5b": (384, (192, 384), (48, 128), 128),
}


def _blocks(stage: int, style: Style):
    return tuple(inception(name, *c, style=style) for name, c in ALLOCATION.items() if name.startswith(f"inception{stage}"))


def d2l() -> Network:
    style = Style(conv_bias=True, batch_norm=False, branch3_kernel=5)
    conv = conv_maker(style)  # stem convs as the blocks' convs

    return Network(
        name="d2l",
        description="GoogLeNet as in the Dive into Deep Learning lecture: five stages b1–b5, "
        "nine Inception blocks, floor-mode pools with padding 1, global average pool, one linear layer.",
        input=(1, 96, 96),
        classes=10,
        style=style,
        stages=(
            Stage("b1", (conv("conv1", 64, 7, 2, 3), maxpool("maxpool1", p=1))),
            Stage("b2", (conv("conv2", 64, 1), conv("conv3", 192, 3, padding=1), maxpool("maxpool2", p=1))),
            Stage("b3", (*_blocks(3, style), maxpool("maxpool3", p=1)), repeat="inception"),
            Stage("b4", (*_blocks(4, style), maxpool("maxpool4", p=1)), repeat="inception"),
            Stage("b5", (*_blocks(5, style), AdaptiveAvgPool("avgpool"), Flatten("flatten")), repeat="inception"),
        ),
        head=(Linear("fc"),),
    )


def googlenet() -> Network:
    style = Style(conv_bias=True, batch_norm=False, branch3_kernel=5)
    conv = conv_maker(style)  # stem convs as the blocks' convs

    def aux(name: str, after: str) -> AuxHead:
        # "an average pooling layer with 5×5 filter size and stride 3, a 1×1 convolution with
        # 128 filters, a fully connected layer with 1024 units, dropout 70%, a linear layer"
        return AuxHead(
            name,
            after,
            (
                Pool("pool", "avg", (5, 5), (3, 3)),
                conv("conv", 128, 1),
                Flatten("flatten"),
                Linear("fc1", 1024, act="relu"),
                Dropout("dropout", 0.7),
                Linear("fc2"),
            ),
        )

    return Network(
        name="googlenet",
        description="GoogLeNet as in the paper (Table 1 and the Caffe model): conv biases, LRN after "
        "the first pool and after conv3, ceil-mode pools, 7×7 average pool, dropout 0.4.",
        input=(3, 224, 224),
        classes=1000,
        style=style,
        stages=(
            Stage("b1", (conv("conv1", 64, 7, 2, 3), maxpool("maxpool1", ceil=True), LRN("lrn1"))),
            Stage("b2", (conv("conv2", 64, 1), conv("conv3", 192, 3, padding=1), LRN("lrn2"), maxpool("maxpool2", ceil=True))),
            Stage("b3", (*_blocks(3, style), maxpool("maxpool3", ceil=True)), repeat="inception"),
            Stage("b4", (*_blocks(4, style), maxpool("maxpool4", ceil=True)), repeat="inception"),
            Stage("b5", (*_blocks(5, style), Pool("avgpool", "avg", (7, 7), (1, 1))), repeat="inception"),
        ),
        head=(Flatten("flatten"), Dropout("dropout", 0.4), Linear("fc")),
        aux=(aux("aux1", "inception4a"), aux("aux2", "inception4d")),
        aux_enabled=False,
    )


def googlenet_torchvision() -> Network:
    style = Style(conv_bias=False, batch_norm=True, bn_eps=1e-3, branch3_kernel=3, pool_ceil=True)
    conv = conv_maker(style)  # stem and aux convs as the blocks' convs

    def aux(name: str, after: str) -> AuxHead:
        return AuxHead(
            name,
            after,
            (
                AdaptiveAvgPool("pool", (4, 4)),
                conv("conv", 128, 1),
                Flatten("flatten"),
                Linear("fc1", 1024, act="relu"),
                Dropout("dropout", 0.7),
                Linear("fc2"),
            ),
        )

    return Network(
        name="googlenet-torchvision",
        naming="torchvision-googlenet",  # torchvision's state_dict keys, so its checkpoint loads
        description="GoogLeNet as torchvision builds it (weights ported from TensorFlow): BatchNorm "
        "(eps 0.001) after every conv without bias, a 3×3 kernel in the \"5×5\" path, ceil-mode pools, "
        "a 2×2 max pool before stage 5, global average pool, dropout 0.2.",
        input=(3, 224, 224),
        classes=1000,
        style=style,
        stages=(
            Stage("b1", (conv("conv1", 64, 7, 2, 3), maxpool("maxpool1", ceil=True))),
            Stage("b2", (conv("conv2", 64, 1), conv("conv3", 192, 3, padding=1), maxpool("maxpool2", ceil=True))),
            Stage("b3", (*_blocks(3, style), maxpool("maxpool3", ceil=True)), repeat="inception"),
            Stage("b4", (*_blocks(4, style), maxpool("maxpool4", k=2, ceil=True)), repeat="inception"),
            Stage("b5", (*_blocks(5, style), AdaptiveAvgPool("avgpool")), repeat="inception"),
        ),
        head=(Flatten("flatten"), Dropout("dropout", 0.2), Linear("fc")),
        aux=(aux("aux1", "inception4a"), aux("aux2", "inception4d")),
        aux_enabled=False,
    )
