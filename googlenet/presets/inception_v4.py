"""Inception-v4 (Szegedy et al. 2016, "Inception-v4, Inception-ResNet and the Impact of
Residual Connections") as timm builds it: ``timm/models/inception_v4.py``, weights ported
from TensorFlow.

Every conv is conv → BatchNorm (eps 0.001) → ReLU without bias; the average pools inside
blocks are 3×3 /1 padding 1 and do not count the padding (``count_include_pad=False``).
Branches are numbered ``branch0``… in concat order, as in timm, and each branch's channel
counts are a width field. timm's default classifier has no dropout (the paper's "keep 0.8"
dropout is a training choice there, ``drop_rate``), so neither has this preset.
"""

from __future__ import annotations

from ..blocks import BlockKind, Structure, block, conv_maker, maxpool, register_kind, split_1x3_3x1
from ..spec import AdaptiveAvgPool, Block, Branch, Flatten, Linear, Network, Pool, Stage, Style
from . import register_preset

STYLE = Style(conv_bias=False, batch_norm=True, bn_eps=1e-3)


def _avg_pool() -> Pool:
    return Pool("pool", "avg", (3, 3), (1, 1), (1, 1), count_include_pad=False)


# --- the stem's blocks (timm's Mixed3a, Mixed4a, Mixed5a) ----------------------------------------


def _mixed_3a(block: Block, style: Style, width: float, in_channels: int) -> Structure:
    conv = conv_maker(style, width)
    (b1,) = block.width("branch1")
    return Structure(branches=(Branch("branch0", (maxpool("pool"),)), Branch("branch1", (conv("conv", b1, 3, stride=2),))))


def _mixed_4a(block: Block, style: Style, width: float, in_channels: int) -> Structure:
    conv = conv_maker(style, width)
    b0 = block.width("branch0")
    b1 = block.width("branch1")
    return Structure(
        branches=(
            Branch("branch0", (conv("conv1", b0[0], 1), conv("conv2", b0[1], 3))),
            Branch(
                "branch1",
                (
                    conv("conv1", b1[0], 1),
                    conv("conv2", b1[1], (1, 7), padding=(0, 3)),
                    conv("conv3", b1[2], (7, 1), padding=(3, 0)),
                    conv("conv4", b1[3], 3),
                ),
            ),
        )
    )


def _mixed_5a(block: Block, style: Style, width: float, in_channels: int) -> Structure:
    conv = conv_maker(style, width)
    (b0,) = block.width("branch0")
    return Structure(branches=(Branch("branch0", (conv("conv", b0, 3, stride=2),)), Branch("branch1", (maxpool("pool"),))))


# --- Inception-A/B/C and the two reductions ------------------------------------------------------


def _a(block: Block, style: Style, width: float, in_channels: int) -> Structure:
    conv = conv_maker(style, width)
    (b0,) = block.width("branch0")
    b1 = block.width("branch1")
    b2 = block.width("branch2")
    (b3,) = block.width("branch3")
    return Structure(
        branches=(
            Branch("branch0", (conv("conv", b0, 1),)),
            Branch("branch1", (conv("conv1", b1[0], 1), conv("conv2", b1[1], 3, padding=1))),
            Branch(
                "branch2",
                (conv("conv1", b2[0], 1), conv("conv2", b2[1], 3, padding=1), conv("conv3", b2[2], 3, padding=1)),
            ),
            Branch("branch3", (_avg_pool(), conv("conv", b3, 1))),
        )
    )


def _reduction_a(block: Block, style: Style, width: float, in_channels: int) -> Structure:
    conv = conv_maker(style, width)
    (b0,) = block.width("branch0")
    b1 = block.width("branch1")
    return Structure(
        branches=(
            Branch("branch0", (conv("conv", b0, 3, stride=2),)),
            Branch(
                "branch1",
                (conv("conv1", b1[0], 1), conv("conv2", b1[1], 3, padding=1), conv("conv3", b1[2], 3, stride=2)),
            ),
            Branch("branch2", (maxpool("pool"),)),
        )
    )


def _b(block: Block, style: Style, width: float, in_channels: int) -> Structure:
    conv = conv_maker(style, width)
    (b0,) = block.width("branch0")
    b1 = block.width("branch1")
    b2 = block.width("branch2")
    (b3,) = block.width("branch3")
    return Structure(
        branches=(
            Branch("branch0", (conv("conv", b0, 1),)),
            Branch(
                "branch1",
                (
                    conv("conv1", b1[0], 1),
                    conv("conv2", b1[1], (1, 7), padding=(0, 3)),
                    conv("conv3", b1[2], (7, 1), padding=(3, 0)),
                ),
            ),
            Branch(
                "branch2",
                (
                    conv("conv1", b2[0], 1),
                    conv("conv2", b2[1], (7, 1), padding=(3, 0)),
                    conv("conv3", b2[2], (1, 7), padding=(0, 3)),
                    conv("conv4", b2[3], (7, 1), padding=(3, 0)),
                    conv("conv5", b2[4], (1, 7), padding=(0, 3)),
                ),
            ),
            Branch("branch3", (_avg_pool(), conv("conv", b3, 1))),
        )
    )


def _reduction_b(block: Block, style: Style, width: float, in_channels: int) -> Structure:
    conv = conv_maker(style, width)
    b0 = block.width("branch0")
    b1 = block.width("branch1")
    return Structure(
        branches=(
            Branch("branch0", (conv("conv1", b0[0], 1), conv("conv2", b0[1], 3, stride=2))),
            Branch(
                "branch1",
                (
                    conv("conv1", b1[0], 1),
                    conv("conv2", b1[1], (1, 7), padding=(0, 3)),
                    conv("conv3", b1[2], (7, 1), padding=(3, 0)),
                    conv("conv4", b1[3], 3, stride=2),
                ),
            ),
            Branch("branch2", (maxpool("pool"),)),
        )
    )


def _c(block: Block, style: Style, width: float, in_channels: int) -> Structure:
    conv = conv_maker(style, width)
    (b0,) = block.width("branch0")
    b1 = block.width("branch1")
    b2 = block.width("branch2")
    (b3,) = block.width("branch3")
    return Structure(
        branches=(
            Branch("branch0", (conv("conv", b0, 1),)),
            Branch("branch1", (conv("conv1", b1[0], 1),), split=split_1x3_3x1(conv, b1[1], b1[2])),
            Branch(
                "branch2",
                (
                    conv("conv1", b2[0], 1),
                    conv("conv2", b2[1], (3, 1), padding=(1, 0)),
                    conv("conv3", b2[2], (1, 3), padding=(0, 1)),
                ),
                split=split_1x3_3x1(conv, b2[3], b2[4]),
            ),
            Branch("branch3", (_avg_pool(), conv("conv", b3, 1))),
        )
    )


register_kind(
    BlockKind(
        name="inception-v4-mixed-3a",
        fields=(("branch1", 1),),
        expand=_mixed_3a,
        description="Inception-v4 stem block (Mixed3a): 3×3/2 max pool | 3×3/2 conv",
        labels=(("branch1", ("3×3 /2",)),),
    )
)
register_kind(
    BlockKind(
        name="inception-v4-mixed-4a",
        fields=(("branch0", 2), ("branch1", 4)),
        expand=_mixed_4a,
        description="Inception-v4 stem block (Mixed4a): 1×1→3×3 | 1×1→1×7→7×1→3×3, both unpadded",
        parts=(("branch0", ("reduce", "3x3")), ("branch1", ("reduce", "1x7", "7x1", "3x3"))),
        labels=(("branch0", ("1×1 reduce", "3×3")), ("branch1", ("1×1 reduce", "1×7", "7×1", "3×3"))),
    )
)
register_kind(
    BlockKind(
        name="inception-v4-mixed-5a",
        fields=(("branch0", 1),),
        expand=_mixed_5a,
        description="Inception-v4 stem block (Mixed5a): 3×3/2 conv | 3×3/2 max pool",
        labels=(("branch0", ("3×3 /2",)),),
    )
)
register_kind(
    BlockKind(
        name="inception-v4-a",
        fields=(("branch0", 1), ("branch1", 2), ("branch2", 3), ("branch3", 1)),
        expand=_a,
        description="Inception-A (35×35): 1×1 | 1×1→3×3 | 1×1→3×3→3×3 | 3×3 avg pool→1×1",
        parts=(("branch1", ("reduce", "3x3")), ("branch2", ("reduce", "3x3a", "3x3b"))),
        labels=(
            ("branch0", ("1×1",)),
            ("branch1", ("1×1 reduce", "3×3")),
            ("branch2", ("1×1 reduce", "3×3", "3×3")),
            ("branch3", ("pool proj 1×1",)),
        ),
    )
)
REDUCTION_A = register_kind(
    BlockKind(
        name="inception-v4-reduction-a",
        fields=(("branch0", 1), ("branch1", 3)),
        expand=_reduction_a,
        description="Reduction-A (35→17): 3×3/2 (n) | 1×1→3×3→3×3/2 (k, l, m) | 3×3/2 max pool",
        parts=(("branch0", ("n",)), ("branch1", ("k", "l", "m"))),
        labels=(("branch0", ("3×3 /2 (n)",)), ("branch1", ("1×1 reduce (k)", "3×3 (l)", "3×3 /2 (m)"))),
    )
)
register_kind(
    BlockKind(
        name="inception-v4-b",
        fields=(("branch0", 1), ("branch1", 3), ("branch2", 5), ("branch3", 1)),
        expand=_b,
        description="Inception-B (17×17): 1×1 | 1×1→1×7→7×1 | 1×1→(7×1→1×7)×2 | 3×3 avg pool→1×1",
        parts=(("branch1", ("reduce", "1x7", "7x1")), ("branch2", ("reduce", "7x1a", "1x7a", "7x1b", "1x7b"))),
        labels=(
            ("branch0", ("1×1",)),
            ("branch1", ("1×1 reduce", "1×7", "7×1")),
            ("branch2", ("1×1 reduce", "7×1", "1×7", "7×1", "1×7")),
            ("branch3", ("pool proj 1×1",)),
        ),
    )
)
register_kind(
    BlockKind(
        name="inception-v4-reduction-b",
        fields=(("branch0", 2), ("branch1", 4)),
        expand=_reduction_b,
        description="Reduction-B (17→8): 1×1→3×3/2 | 1×1→1×7→7×1→3×3/2 | 3×3/2 max pool",
        parts=(("branch0", ("reduce", "3x3s2")), ("branch1", ("reduce", "1x7", "7x1", "3x3s2"))),
        labels=(("branch0", ("1×1 reduce", "3×3 /2")), ("branch1", ("1×1 reduce", "1×7", "7×1", "3×3 /2"))),
    )
)
register_kind(
    BlockKind(
        name="inception-v4-c",
        fields=(("branch0", 1), ("branch1", 3), ("branch2", 5), ("branch3", 1)),
        expand=_c,
        description="Inception-C (8×8): 1×1 | 1×1→(1×3|3×1) | 1×1→3×1→1×3→(1×3|3×1) | 3×3 avg pool→1×1",
        parts=(("branch1", ("reduce", "1x3", "3x1")), ("branch2", ("reduce", "3x1", "1x3", "1x3b", "3x1b"))),
        labels=(
            ("branch0", ("1×1",)),
            ("branch1", ("1×1 reduce", "1×3", "3×1")),
            ("branch2", ("1×1 reduce", "3×1", "1×3", "1×3", "3×1")),
            ("branch3", ("pool proj 1×1",)),
        ),
    )
)


def reduction_a(name: str, k: int, l: int, m: int, n: int) -> Block:  # noqa: E741  (the paper's letters)
    """Reduction-A with the paper's Table 1 filter counts k, l, m, n."""
    return block(name, REDUCTION_A.name, branch0=n, branch1=(k, l, m))


# --- the preset ---------------------------------------------------------------------------------


@register_preset("inception-v4", "timm's Inception-v4: 299×299, a branching stem, 4 × A, 7 × B, 3 × C blocks")
def inception_v4() -> Network:
    conv = conv_maker(STYLE, 1.0)  # stem convs as the blocks' convs

    def a(i):
        return block(f"inception_a_{i}", "inception-v4-a", branch0=96, branch1=(64, 96), branch2=(64, 96, 96), branch3=96)

    def b(i):
        return block(
            f"inception_b_{i}", "inception-v4-b", branch0=384, branch1=(192, 224, 256), branch2=(192, 192, 224, 224, 256), branch3=128
        )

    def c(i):
        return block(
            f"inception_c_{i}", "inception-v4-c", branch0=256, branch1=(384, 256, 256), branch2=(384, 448, 512, 256, 256), branch3=256
        )

    return Network(
        name="inception-v4",
        description="Inception-v4 as timm builds it (weights ported from TensorFlow): conv → BN (eps 0.001) "
        "→ ReLU without conv bias, a stem with three two-way blocks, 4 Inception-A, Reduction-A, 7 Inception-B, "
        "Reduction-B and 3 Inception-C blocks, global average pool, no dropout.",
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
                    block("mixed_3a", "inception-v4-mixed-3a", branch1=96),  # 160×73×73
                    block("mixed_4a", "inception-v4-mixed-4a", branch0=(64, 96), branch1=(64, 64, 64, 96)),  # 192×71×71
                    block("mixed_5a", "inception-v4-mixed-5a", branch0=192),  # 384×35×35
                ),
            ),
            Stage("inception_a", tuple(a(i) for i in range(1, 5)), repeat="inception-v4-a"),  # 384×35×35
            Stage(
                "inception_b",
                (reduction_a("reduction_a", 192, 224, 256, 384), *(b(i) for i in range(1, 8))),  # 1024×17×17
                repeat="inception-v4-b",
            ),
            Stage(
                "inception_c",
                (
                    block("reduction_b", "inception-v4-reduction-b", branch0=(192, 192), branch1=(256, 256, 320, 320)),
                    *(c(i) for i in range(1, 4)),
                ),  # 1536×8×8
                repeat="inception-v4-c",
            ),
        ),
        head=(AdaptiveAvgPool("global_pool"), Flatten("flatten"), Linear("last_linear")),
    )
