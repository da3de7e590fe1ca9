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

from ..spec import AdaptiveAvgPool, Block, Flatten, Linear, Network, Stage, Style
from ..templates import conv_maker, make

STYLE = Style(conv_bias=False, batch_norm=True, bn_eps=1e-3)


def reduction_a(name: str, k: int, l: int, m: int, n: int, style: Style = STYLE) -> Block:  # noqa: E741  (the paper's letters)
    """Reduction-A with the paper's Table 1 filter counts k, l, m, n."""
    return make(name, "inception-v4-reduction-a", style, branch0=n, branch1=(k, l, m))


def inception_v4() -> Network:
    conv = conv_maker(STYLE)  # stem convs as the blocks' convs

    def a(i):
        return make(f"inception_a_{i}", "inception-v4-a", STYLE, branch0=96, branch1=(64, 96), branch2=(64, 96, 96), branch3=96)

    def b(i):
        return make(
            f"inception_b_{i}", "inception-v4-b", STYLE, branch0=384, branch1=(192, 224, 256), branch2=(192, 192, 224, 224, 256), branch3=128
        )

    def c(i):
        return make(
            f"inception_c_{i}", "inception-v4-c", STYLE, branch0=256, branch1=(384, 256, 256), branch2=(384, 448, 512, 256, 256), branch3=256
        )

    return Network(
        name="inception-v4",
        naming="timm-inception-v4",  # timm's state_dict keys, so its checkpoint loads
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
                    make("mixed_3a", "inception-v4-mixed-3a", STYLE, branch1=96),  # 160×73×73
                    make("mixed_4a", "inception-v4-mixed-4a", STYLE, branch0=(64, 96), branch1=(64, 64, 64, 96)),  # 192×71×71
                    make("mixed_5a", "inception-v4-mixed-5a", STYLE, branch0=192),  # 384×35×35
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
                    make("reduction_b", "inception-v4-reduction-b", STYLE, branch0=(192, 192), branch1=(256, 256, 320, 320)),
                    *(c(i) for i in range(1, 4)),
                ),  # 1536×8×8
                repeat="inception-v4-c",
            ),
        ),
        head=(AdaptiveAvgPool("global_pool"), Flatten("flatten"), Linear("last_linear")),
    )
