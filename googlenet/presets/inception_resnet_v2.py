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

from ..spec import AdaptiveAvgPool, Block, Flatten, Linear, Network, Stage, Style
from ..templates import conv_maker, make, maxpool
from .inception_v4 import reduction_a

STYLE = Style(conv_bias=False, batch_norm=True, bn_eps=1e-3)


def _residual_block(name: str, kind: str, scale: float, act: str = "relu", **widths) -> Block:
    return make(name, kind, STYLE, scale=scale, act=act, **widths)


def inception_resnet_v2() -> Network:
    conv = conv_maker(STYLE)  # stem convs as the blocks' convs

    def block35(name):
        return _residual_block(name, "inception-resnet-a", 0.17, branch0=32, branch1=(32, 32), branch2=(32, 48, 64))

    def block17(name):
        return _residual_block(name, "inception-resnet-b", 0.10, branch0=192, branch1=(128, 160, 192))

    def block8(name, kind="inception-resnet-c", scale=0.20, act="relu"):
        return _residual_block(name, kind, scale, act, branch0=192, branch1=(192, 224, 256))

    return Network(
        name="inception-resnet-v2",
        naming="timm-inception-resnet-v2",  # timm's state_dict keys, so its checkpoint loads
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
                    make(
                        "mixed_5b", "inception-resnet-v2-mixed-5b", STYLE, branch0=96, branch1=(48, 64), branch2=(64, 96, 96), branch3=64
                    ),  # 320×35×35
                ),
            ),
            Stage("inception_resnet_a", tuple(block35(f"block35_{i}") for i in range(1, 11)), repeat="inception-resnet-a"),
            Stage(
                "inception_resnet_b",
                (reduction_a("mixed_6a", 256, 256, 384, 384, STYLE), *(block17(f"block17_{i}") for i in range(1, 21))),  # 1088×17×17
                repeat="inception-resnet-b",
            ),
            Stage(
                "inception_resnet_c",
                (
                    make(
                        "mixed_7a", "inception-resnet-v2-reduction-b", STYLE, branch0=(256, 384), branch1=(256, 288), branch2=(256, 288, 320)
                    ),  # 2080×8×8
                    *(block8(f"block8_{i}") for i in range(1, 10)),
                    block8("block8", "inception-resnet-c-final", scale=1.0, act="none"),
                    conv("conv2d_7b", 1536, 1),  # 1536×8×8
                ),
                repeat="inception-resnet-c",
            ),
        ),
        head=(AdaptiveAvgPool("global_pool"), Flatten("flatten"), Linear("classif")),
    )
