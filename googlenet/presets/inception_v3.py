"""Inception-v3 (Szegedy et al. 2015, "Rethinking the Inception Architecture") as torchvision
builds it: ``torchvision/models/inception.py``, weights ported from TensorFlow.

Block kinds A–E are torchvision's ``InceptionA``–``InceptionE``; each branch's channel counts
are a width field (torchvision's ``pool_features`` is ``branch_pool`` of kind A, its
``channels_7x7`` the first numbers of ``branch7x7`` and ``branch7x7dbl`` of kind C). Every conv
is conv → BatchNorm (eps 0.001) → ReLU without bias; the average pools inside blocks are
3×3 /1 padding 1 and count the padding, as ``F.avg_pool2d`` does by default.
"""

from __future__ import annotations

from ..blocks import BlockKind, Structure, block, conv_maker, maxpool, register_kind, split_1x3_3x1
from ..spec import (
    AdaptiveAvgPool,
    AuxHead,
    Block,
    Branch,
    Dropout,
    Flatten,
    Linear,
    Network,
    Pool,
    Stage,
    Style,
)
from . import register_preset

STYLE = Style(conv_bias=False, batch_norm=True, bn_eps=1e-3)


def _avg_pool() -> Pool:
    return Pool("pool", "avg", (3, 3), (1, 1), (1, 1))


# --- block kinds ------------------------------------------------------------------------------


def _a(block: Block, style: Style, width: float, in_channels: int) -> Structure:
    conv = conv_maker(style, width)
    (b1,) = block.width("branch1x1")
    b5 = block.width("branch5x5")
    b3 = block.width("branch3x3dbl")
    (bp,) = block.width("branch_pool")
    return Structure(
        branches=(
            Branch("branch1x1", (conv("conv", b1, 1),)),
            Branch("branch5x5", (conv("conv1", b5[0], 1), conv("conv2", b5[1], 5, padding=2))),
            Branch(
                "branch3x3dbl",
                (conv("conv1", b3[0], 1), conv("conv2", b3[1], 3, padding=1), conv("conv3", b3[2], 3, padding=1)),
            ),
            Branch("branch_pool", (_avg_pool(), conv("conv", bp, 1))),
        )
    )


def _b(block: Block, style: Style, width: float, in_channels: int) -> Structure:
    conv = conv_maker(style, width)
    (b3,) = block.width("branch3x3")
    bd = block.width("branch3x3dbl")
    return Structure(
        branches=(
            Branch("branch3x3", (conv("conv", b3, 3, stride=2),)),
            Branch(
                "branch3x3dbl",
                (conv("conv1", bd[0], 1), conv("conv2", bd[1], 3, padding=1), conv("conv3", bd[2], 3, stride=2)),
            ),
            Branch("branch_pool", (maxpool("pool"),)),
        )
    )


def _c(block: Block, style: Style, width: float, in_channels: int) -> Structure:
    conv = conv_maker(style, width)
    (b1,) = block.width("branch1x1")
    b7 = block.width("branch7x7")
    bd = block.width("branch7x7dbl")
    (bp,) = block.width("branch_pool")
    return Structure(
        branches=(
            Branch("branch1x1", (conv("conv", b1, 1),)),
            Branch(
                "branch7x7",
                (
                    conv("conv1", b7[0], 1),
                    conv("conv2", b7[1], (1, 7), padding=(0, 3)),
                    conv("conv3", b7[2], (7, 1), padding=(3, 0)),
                ),
            ),
            Branch(
                "branch7x7dbl",
                (
                    conv("conv1", bd[0], 1),
                    conv("conv2", bd[1], (7, 1), padding=(3, 0)),
                    conv("conv3", bd[2], (1, 7), padding=(0, 3)),
                    conv("conv4", bd[3], (7, 1), padding=(3, 0)),
                    conv("conv5", bd[4], (1, 7), padding=(0, 3)),
                ),
            ),
            Branch("branch_pool", (_avg_pool(), conv("conv", bp, 1))),
        )
    )


def _d(block: Block, style: Style, width: float, in_channels: int) -> Structure:
    conv = conv_maker(style, width)
    b3 = block.width("branch3x3")
    b7 = block.width("branch7x7x3")
    return Structure(
        branches=(
            Branch("branch3x3", (conv("conv1", b3[0], 1), conv("conv2", b3[1], 3, stride=2))),
            Branch(
                "branch7x7x3",
                (
                    conv("conv1", b7[0], 1),
                    conv("conv2", b7[1], (1, 7), padding=(0, 3)),
                    conv("conv3", b7[2], (7, 1), padding=(3, 0)),
                    conv("conv4", b7[3], 3, stride=2),
                ),
            ),
            Branch("branch_pool", (maxpool("pool"),)),
        )
    )


def _e(block: Block, style: Style, width: float, in_channels: int) -> Structure:
    conv = conv_maker(style, width)
    (b1,) = block.width("branch1x1")
    b3 = block.width("branch3x3")
    bd = block.width("branch3x3dbl")
    (bp,) = block.width("branch_pool")
    return Structure(
        branches=(
            Branch("branch1x1", (conv("conv", b1, 1),)),
            Branch("branch3x3", (conv("conv1", b3[0], 1),), split=split_1x3_3x1(conv, b3[1], b3[2])),
            Branch(
                "branch3x3dbl",
                (conv("conv1", bd[0], 1), conv("conv2", bd[1], 3, padding=1)),
                split=split_1x3_3x1(conv, bd[2], bd[3]),
            ),
            Branch("branch_pool", (_avg_pool(), conv("conv", bp, 1))),
        )
    )


register_kind(
    BlockKind(
        name="inception-v3-a",
        fields=(("branch1x1", 1), ("branch5x5", 2), ("branch3x3dbl", 3), ("branch_pool", 1)),
        expand=_a,
        description="Inception-v3 35×35 block (InceptionA): 1×1 | 1×1→5×5 | 1×1→3×3→3×3 | 3×3 avg pool→1×1",
        parts=(("branch5x5", ("reduce", "5x5")), ("branch3x3dbl", ("reduce", "3x3a", "3x3b"))),
        labels=(
            ("branch1x1", ("1×1",)),
            ("branch5x5", ("1×1 reduce", "5×5")),
            ("branch3x3dbl", ("1×1 reduce", "3×3", "3×3")),
            ("branch_pool", ("pool proj 1×1",)),
        ),
    )
)
register_kind(
    BlockKind(
        name="inception-v3-b",
        fields=(("branch3x3", 1), ("branch3x3dbl", 3)),
        expand=_b,
        description="Inception-v3 35→17 reduction (InceptionB): 3×3/2 | 1×1→3×3→3×3/2 | 3×3/2 max pool",
        parts=(("branch3x3dbl", ("reduce", "3x3", "3x3s2")),),
        labels=(("branch3x3", ("3×3 /2",)), ("branch3x3dbl", ("1×1 reduce", "3×3", "3×3 /2"))),
    )
)
register_kind(
    BlockKind(
        name="inception-v3-c",
        fields=(("branch1x1", 1), ("branch7x7", 3), ("branch7x7dbl", 5), ("branch_pool", 1)),
        expand=_c,
        description="Inception-v3 17×17 block (InceptionC): 1×1 | 1×1→1×7→7×1 | 1×1→(7×1→1×7)×2 | avg pool→1×1",
        parts=(
            ("branch7x7", ("reduce", "1x7", "7x1")),
            ("branch7x7dbl", ("reduce", "7x1a", "1x7a", "7x1b", "1x7b")),
        ),
        labels=(
            ("branch1x1", ("1×1",)),
            ("branch7x7", ("1×1 reduce", "1×7", "7×1")),
            ("branch7x7dbl", ("1×1 reduce", "7×1", "1×7", "7×1", "1×7")),
            ("branch_pool", ("pool proj 1×1",)),
        ),
    )
)
register_kind(
    BlockKind(
        name="inception-v3-d",
        fields=(("branch3x3", 2), ("branch7x7x3", 4)),
        expand=_d,
        description="Inception-v3 17→8 reduction (InceptionD): 1×1→3×3/2 | 1×1→1×7→7×1→3×3/2 | 3×3/2 max pool",
        parts=(("branch3x3", ("reduce", "3x3s2")), ("branch7x7x3", ("reduce", "1x7", "7x1", "3x3s2"))),
        labels=(("branch3x3", ("1×1 reduce", "3×3 /2")), ("branch7x7x3", ("1×1 reduce", "1×7", "7×1", "3×3 /2"))),
    )
)
register_kind(
    BlockKind(
        name="inception-v3-e",
        fields=(("branch1x1", 1), ("branch3x3", 3), ("branch3x3dbl", 4), ("branch_pool", 1)),
        expand=_e,
        description="Inception-v3 8×8 block (InceptionE): 1×1 | 1×1→(1×3|3×1) | 1×1→3×3→(1×3|3×1) | avg pool→1×1",
        parts=(("branch3x3", ("reduce", "1x3", "3x1")), ("branch3x3dbl", ("reduce", "3x3", "1x3", "3x1"))),
        labels=(
            ("branch1x1", ("1×1",)),
            ("branch3x3", ("1×1 reduce", "1×3", "3×1")),
            ("branch3x3dbl", ("1×1 reduce", "3×3", "1×3", "3×1")),
            ("branch_pool", ("pool proj 1×1",)),
        ),
    )
)


def mixed_a(name: str, pool_features: int) -> Block:
    return block(name, "inception-v3-a", branch1x1=64, branch5x5=(48, 64), branch3x3dbl=(64, 96, 96), branch_pool=pool_features)


def mixed_c(name: str, channels_7x7: int) -> Block:
    c7 = channels_7x7
    return block(
        name, "inception-v3-c", branch1x1=192, branch7x7=(c7, c7, 192), branch7x7dbl=(c7, c7, c7, c7, 192), branch_pool=192
    )


def mixed_e(name: str) -> Block:
    return block(name, "inception-v3-e", branch1x1=320, branch3x3=(384, 384, 384), branch3x3dbl=(448, 384, 384, 384), branch_pool=192)


# --- the preset ---------------------------------------------------------------------------------


@register_preset("inception-v3", "torchvision's Inception-v3: 299×299, factorised 7×7 and 1×3|3×1 convs, optional aux head")
def inception_v3() -> Network:
    conv = conv_maker(STYLE, 1.0)  # stem convs as the blocks' convs

    aux = AuxHead(
        "AuxLogits",
        "Mixed_6e",
        (
            Pool("pool", "avg", (5, 5), (3, 3)),  # 768×5×5
            conv("conv0", 128, 1),  # 128×5×5
            conv("conv1", 768, 5),  # 768×1×1
            AdaptiveAvgPool("avgpool"),
            Flatten("flatten"),
            Linear("fc"),
        ),
    )
    return Network(
        name="inception-v3",
        description="Inception-v3 as torchvision builds it (weights ported from TensorFlow): conv → BN "
        "(eps 0.001) → ReLU without conv bias, factorised 1×7/7×1 convs at 17×17, 1×3|3×1 splits at 8×8, "
        "global average pool, dropout 0.5; the aux head (AuxLogits) reads Mixed_6e.",
        input=(3, 299, 299),
        classes=1000,
        style=STYLE,
        stages=(
            Stage(
                "stem",
                (
                    conv("Conv2d_1a_3x3", 32, 3, 2),  # 32×149×149
                    conv("Conv2d_2a_3x3", 32, 3),  # 32×147×147
                    conv("Conv2d_2b_3x3", 64, 3, padding=1),  # 64×147×147
                    maxpool("maxpool1"),  # 64×73×73
                    conv("Conv2d_3b_1x1", 80, 1),  # 80×73×73
                    conv("Conv2d_4a_3x3", 192, 3),  # 192×71×71
                    maxpool("maxpool2"),  # 192×35×35
                ),
            ),
            Stage(
                "mixed5",
                (mixed_a("Mixed_5b", 32), mixed_a("Mixed_5c", 64), mixed_a("Mixed_5d", 64)),  # 256, 288, 288 ×35×35
                repeat="inception-v3-a",
            ),
            Stage(
                "mixed6",
                (
                    block("Mixed_6a", "inception-v3-b", branch3x3=384, branch3x3dbl=(64, 96, 96)),  # 768×17×17
                    mixed_c("Mixed_6b", 128),
                    mixed_c("Mixed_6c", 160),
                    mixed_c("Mixed_6d", 160),
                    mixed_c("Mixed_6e", 192),  # 768×17×17
                ),
                repeat="inception-v3-c",
            ),
            Stage(
                "mixed7",
                (
                    block("Mixed_7a", "inception-v3-d", branch3x3=(192, 320), branch7x7x3=(192, 192, 192, 192)),  # 1280×8×8
                    mixed_e("Mixed_7b"),  # 2048×8×8
                    mixed_e("Mixed_7c"),  # 2048×8×8
                ),
                repeat="inception-v3-e",
            ),
        ),
        head=(AdaptiveAvgPool("avgpool"), Dropout("dropout", 0.5), Flatten("flatten"), Linear("fc")),
        aux=(aux,),
        aux_enabled=False,
    )
