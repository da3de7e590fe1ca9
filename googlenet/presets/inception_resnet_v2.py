"""Inception-ResNet-v2 (Szegedy et al. 2016) as timm builds it:
``timm/models/inception_resnet_v2.py``, weights ported from TensorFlow-Slim.

The stem is TF-Slim's (Inception-v3-like convs, then ``mixed_5b``), not the paper's
Figure 3 stem. Every conv in a branch is conv → BatchNorm (eps 0.001) → ReLU without bias;
a residual block concatenates its branches, projects them back to its input width with a
1×1 conv that has a bias and neither BatchNorm nor ReLU, scales them (0.17, 0.10, 0.20 as
the paper suggests for stability), adds the block input and applies a ReLU, except the
final ``block8``, which has scale 1.0 and no ReLU, followed by ``conv2d_7b``.
"""

from __future__ import annotations

from dataclasses import replace

from ..blocks import BlockKind, Structure, block, conv_maker, maxpool, register_kind
from ..spec import AdaptiveAvgPool, Block, Branch, Conv, Flatten, Linear, Network, Pool, Stage, Style
from . import register_preset
from .inception_v4 import reduction_a

STYLE = Style(conv_bias=False, batch_norm=True, bn_eps=1e-3)

# the residual projection; its output width is always the block's input width (set by the analysis)
PROJECT = Conv("project", 1, (1, 1), bias=True, bn=False, act=False)


def _residual(block: Block, branches: tuple[Branch, ...]) -> Structure:
    return Structure(branches=branches, merge="add", project=PROJECT, scale=block.scale, act=block.act)


def _mixed_5b(block: Block, style: Style, width: float, in_channels: int) -> Structure:
    conv = conv_maker(style, width)
    (b0,) = block.width("branch0")
    b1 = block.width("branch1")
    b2 = block.width("branch2")
    (b3,) = block.width("branch3")
    return Structure(
        branches=(
            Branch("branch0", (conv("conv", b0, 1),)),
            Branch("branch1", (conv("conv1", b1[0], 1), conv("conv2", b1[1], 5, padding=2))),
            Branch(
                "branch2",
                (conv("conv1", b2[0], 1), conv("conv2", b2[1], 3, padding=1), conv("conv3", b2[2], 3, padding=1)),
            ),
            Branch(
                "branch3",
                (Pool("pool", "avg", (3, 3), (1, 1), (1, 1), count_include_pad=False), conv("conv", b3, 1)),
            ),
        )
    )


def _block35(block: Block, style: Style, width: float, in_channels: int) -> Structure:
    conv = conv_maker(style, width)
    (b0,) = block.width("branch0")
    b1 = block.width("branch1")
    b2 = block.width("branch2")
    return _residual(
        block,
        (
            Branch("branch0", (conv("conv", b0, 1),)),
            Branch("branch1", (conv("conv1", b1[0], 1), conv("conv2", b1[1], 3, padding=1))),
            Branch(
                "branch2",
                (conv("conv1", b2[0], 1), conv("conv2", b2[1], 3, padding=1), conv("conv3", b2[2], 3, padding=1)),
            ),
        ),
    )


def _two_paths(block: Block, style: Style, width: float, n: int) -> Structure:
    """1×1 | 1×1→1×n→n×1, projected and added: block17 has n = 7, block8 n = 3."""
    conv = conv_maker(style, width)
    (b0,) = block.width("branch0")
    b1 = block.width("branch1")
    return _residual(
        block,
        (
            Branch("branch0", (conv("conv", b0, 1),)),
            Branch(
                "branch1",
                (
                    conv("conv1", b1[0], 1),
                    conv("conv2", b1[1], (1, n), padding=(0, n // 2)),
                    conv("conv3", b1[2], (n, 1), padding=(n // 2, 0)),
                ),
            ),
        ),
    )


def _block17(block: Block, style: Style, width: float, in_channels: int) -> Structure:
    return _two_paths(block, style, width, 7)


def _block8(block: Block, style: Style, width: float, in_channels: int) -> Structure:
    return _two_paths(block, style, width, 3)


def _mixed_7a(block: Block, style: Style, width: float, in_channels: int) -> Structure:
    conv = conv_maker(style, width)
    b0 = block.width("branch0")
    b1 = block.width("branch1")
    b2 = block.width("branch2")
    return Structure(
        branches=(
            Branch("branch0", (conv("conv1", b0[0], 1), conv("conv2", b0[1], 3, stride=2))),
            Branch("branch1", (conv("conv1", b1[0], 1), conv("conv2", b1[1], 3, stride=2))),
            Branch(
                "branch2",
                (conv("conv1", b2[0], 1), conv("conv2", b2[1], 3, padding=1), conv("conv3", b2[2], 3, stride=2)),
            ),
            Branch("branch3", (maxpool("pool"),)),
        )
    )


register_kind(
    BlockKind(
        name="inception-resnet-v2-mixed-5b",
        fields=(("branch0", 1), ("branch1", 2), ("branch2", 3), ("branch3", 1)),
        expand=_mixed_5b,
        description="Inception-ResNet-v2 stem block (mixed_5b): 1×1 | 1×1→5×5 | 1×1→3×3→3×3 | avg pool→1×1",
        parts=(("branch1", ("reduce", "5x5")), ("branch2", ("reduce", "3x3a", "3x3b"))),
        labels=(
            ("branch0", ("1×1",)),
            ("branch1", ("1×1 reduce", "5×5")),
            ("branch2", ("1×1 reduce", "3×3", "3×3")),
            ("branch3", ("pool proj 1×1",)),
        ),
    )
)
register_kind(
    BlockKind(
        name="inception-resnet-a",
        fields=(("branch0", 1), ("branch1", 2), ("branch2", 3)),
        expand=_block35,
        description="Inception-ResNet-A (block35): 1×1 | 1×1→3×3 | 1×1→3×3→3×3, 1×1 projection, scaled residual add",
        residual=True,
        parts=(("branch1", ("reduce", "3x3")), ("branch2", ("reduce", "3x3a", "3x3b"))),
        labels=(
            ("branch0", ("1×1",)),
            ("branch1", ("1×1 reduce", "3×3")),
            ("branch2", ("1×1 reduce", "3×3", "3×3")),
        ),
    )
)
register_kind(
    BlockKind(
        name="inception-resnet-b",
        fields=(("branch0", 1), ("branch1", 3)),
        expand=_block17,
        description="Inception-ResNet-B (block17): 1×1 | 1×1→1×7→7×1, 1×1 projection, scaled residual add",
        residual=True,
        parts=(("branch1", ("reduce", "1x7", "7x1")),),
        labels=(("branch0", ("1×1",)), ("branch1", ("1×1 reduce", "1×7", "7×1"))),
    )
)
register_kind(
    BlockKind(
        name="inception-resnet-v2-reduction-b",
        fields=(("branch0", 2), ("branch1", 2), ("branch2", 3)),
        expand=_mixed_7a,
        description="Inception-ResNet-v2 Reduction-B (mixed_7a): 1×1→3×3/2 | 1×1→3×3/2 | 1×1→3×3→3×3/2 | max pool",
        parts=(("branch0", ("reduce", "3x3s2")), ("branch1", ("reduce", "3x3s2")), ("branch2", ("reduce", "3x3", "3x3s2"))),
        labels=(
            ("branch0", ("1×1 reduce", "3×3 /2")),
            ("branch1", ("1×1 reduce", "3×3 /2")),
            ("branch2", ("1×1 reduce", "3×3", "3×3 /2")),
        ),
    )
)
_C = dict(
    fields=(("branch0", 1), ("branch1", 3)),
    expand=_block8,
    residual=True,
    parts=(("branch1", ("reduce", "1x3", "3x1")),),
    labels=(("branch0", ("1×1",)), ("branch1", ("1×1 reduce", "1×3", "3×1"))),
)
register_kind(
    BlockKind(
        name="inception-resnet-c",
        description="Inception-ResNet-C (block8): 1×1 | 1×1→1×3→3×1, 1×1 projection, scaled residual add",
        **_C,
    )
)
# Its own kind so that the block-count knob of the last stage adds and removes only the
# numbered block8_i and keeps this one last.
register_kind(
    BlockKind(
        name="inception-resnet-c-final",
        description="The closing Inception-ResNet-C (timm's final block8): as inception-resnet-c, with no ReLU after the add",
        **_C,
    )
)


def _residual_block(name: str, kind: str, scale: float, act: bool = True, **widths) -> Block:
    return replace(block(name, kind, **widths), scale=scale, act=act)


@register_preset(
    "inception-resnet-v2", "timm's Inception-ResNet-v2: 299×299, 10 × A, 20 × B, 10 × C residual blocks with scaled adds"
)
def inception_resnet_v2() -> Network:
    conv = conv_maker(STYLE, 1.0)  # stem convs as the blocks' convs

    def block35(name):
        return _residual_block(name, "inception-resnet-a", 0.17, branch0=32, branch1=(32, 32), branch2=(32, 48, 64))

    def block17(name):
        return _residual_block(name, "inception-resnet-b", 0.10, branch0=192, branch1=(128, 160, 192))

    def block8(name, kind="inception-resnet-c", scale=0.20, act=True):
        return _residual_block(name, kind, scale, act, branch0=192, branch1=(192, 224, 256))

    return Network(
        name="inception-resnet-v2",
        description="Inception-ResNet-v2 as timm builds it (weights ported from TensorFlow-Slim): TF-Slim's stem "
        "and mixed_5b, 10 block35 (scale 0.17), Reduction-A, 20 block17 (0.10), Reduction-B, 9 block8 (0.20) "
        "and a final block8 without ReLU, conv2d_7b to 1536, global average pool, no dropout.",
        input=(3, 299, 299),
        classes=1000,
        style=STYLE,
        stages=(
            Stage(
                "stem",
                (
                    conv("conv2d_1a", 32, 3, 2),  # 32×149×149
                    conv("conv2d_2a", 32, 3),  # 32×147×147
                    conv("conv2d_2b", 64, 3, padding=1),  # 64×147×147
                    maxpool("maxpool_3a"),  # 64×73×73
                    conv("conv2d_3b", 80, 1),  # 80×73×73
                    conv("conv2d_4a", 192, 3),  # 192×71×71
                    maxpool("maxpool_5a"),  # 192×35×35
                    block(
                        "mixed_5b", "inception-resnet-v2-mixed-5b", branch0=96, branch1=(48, 64), branch2=(64, 96, 96), branch3=64
                    ),  # 320×35×35
                ),
            ),
            Stage("inception_resnet_a", tuple(block35(f"block35_{i}") for i in range(1, 11)), repeat="inception-resnet-a"),
            Stage(
                "inception_resnet_b",
                (reduction_a("mixed_6a", 256, 256, 384, 384), *(block17(f"block17_{i}") for i in range(1, 21))),  # 1088×17×17
                repeat="inception-resnet-b",
            ),
            Stage(
                "inception_resnet_c",
                (
                    block(
                        "mixed_7a", "inception-resnet-v2-reduction-b", branch0=(256, 384), branch1=(256, 288), branch2=(256, 288, 320)
                    ),  # 2080×8×8
                    *(block8(f"block8_{i}") for i in range(1, 10)),
                    block8("block8", "inception-resnet-c-final", scale=1.0, act=False),
                    conv("conv2d_7b", 1536, 1),  # 1536×8×8
                ),
                repeat="inception-resnet-c",
            ),
        ),
        head=(AdaptiveAvgPool("global_pool"), Flatten("flatten"), Linear("classif")),
    )
