"""Inception-v3 (Szegedy et al. 2015, "Rethinking the Inception Architecture") as torchvision
builds it: ``torchvision/models/inception.py``, weights ported from TensorFlow.

Block kinds A–E are torchvision's ``InceptionA``–``InceptionE``; each branch's channel counts
are a width field (torchvision's ``pool_features`` is ``branch_pool`` of kind A, its
``channels_7x7`` the first numbers of ``branch7x7`` and ``branch7x7dbl`` of kind C). Every conv
is conv → BatchNorm (eps 0.001) → ReLU without bias; the average pools inside blocks are
3×3 /1 padding 1 and count the padding, as ``F.avg_pool2d`` does by default.
"""

from __future__ import annotations

from ..spec import AdaptiveAvgPool, AuxHead, Block, Dropout, Flatten, Linear, Network, Pool, Stage, Style
from ..templates import conv_maker, make, maxpool

STYLE = Style(conv_bias=False, batch_norm=True, bn_eps=1e-3)


def mixed_a(name: str, pool_features: int) -> Block:
    return make(name, "inception-v3-a", STYLE, branch1x1=64, branch5x5=(48, 64), branch3x3dbl=(64, 96, 96), branch_pool=pool_features)


def mixed_c(name: str, channels_7x7: int) -> Block:
    c7 = channels_7x7
    return make(
        name, "inception-v3-c", STYLE, branch1x1=192, branch7x7=(c7, c7, 192), branch7x7dbl=(c7, c7, c7, c7, 192), branch_pool=192
    )


def mixed_e(name: str) -> Block:
    return make(name, "inception-v3-e", STYLE, branch1x1=320, branch3x3=(384, 384, 384), branch3x3dbl=(448, 384, 384, 384), branch_pool=192)


def inception_v3() -> Network:
    conv = conv_maker(STYLE)  # stem convs as the blocks' convs

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
        naming="torchvision-inception-v3",  # torchvision's state_dict keys, so its checkpoint loads
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
                    make("Mixed_6a", "inception-v3-b", STYLE, branch3x3=384, branch3x3dbl=(64, 96, 96)),  # 768×17×17
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
                    make("Mixed_7a", "inception-v3-d", STYLE, branch3x3=(192, 320), branch7x7x3=(192, 192, 192, 192)),  # 1280×8×8
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
