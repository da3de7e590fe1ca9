"""BN-Inception (Ioffe & Szegedy 2015, "Batch Normalization"), the Caffe definition as ported in
Cadene's ``pretrainedmodels/models/bninception.py``.

GoogLeNet with BatchNorm after every conv (conv → BN → ReLU; the convs keep their bias,
BN eps 1e-5), the 5×5 path replaced by two 3×3 convs, and stride-2 Inception blocks
(3c, 4e) instead of max pools between stages. Every pool is ceil-mode, as in Caffe. Two
quirks of that model are kept: ``inception_5b`` pools with a 3×3 max pool where the other
blocks use an average pool (so it has its own block kind), and the head is a fixed 7×7
average pool, so the classifier's width follows the input size.
"""

from __future__ import annotations

from ..spec import Block, Flatten, Linear, Network, Pool, Stage, Style
from ..templates import conv_maker, make, maxpool

STYLE = Style(conv_bias=True, batch_norm=True, bn_eps=1e-5)


# (#1×1, (#3×3 reduce, #3×3), (double #3×3 reduce, #3×3, #3×3), pool proj), as in the Caffe
# model (Ioffe & Szegedy 2015, Figure 5); the stride-2 blocks have no 1×1 path and no projection
ALLOCATION = {
    "inception_3a": (64, (64, 64), (64, 96, 96), 32),
    "inception_3b": (64, (64, 96), (64, 96, 96), 64),
    "inception_4a": (224, (64, 96), (96, 128, 128), 128),
    "inception_4b": (192, (96, 128), (96, 128, 128), 128),
    "inception_4c": (160, (128, 160), (128, 160, 160), 128),
    "inception_4d": (96, (128, 192), (160, 192, 192), 128),
    "inception_5a": (352, (192, 320), (160, 224, 224), 128),
    "inception_5b": (352, (192, 320), (192, 224, 224), 128),
}
REDUCTIONS = {"inception_3c": ((128, 160), (64, 96, 96)), "inception_4e": ((128, 192), (192, 256, 256))}


def _block(name: str, kind: str = "bn-inception") -> Block:
    if name in REDUCTIONS:
        b3, bd = REDUCTIONS[name]
        return make(name, "bn-inception-reduction", STYLE, branch3x3=b3, branch3x3dbl=bd)
    b1, b3, bd, bp = ALLOCATION[name]
    return make(name, kind, STYLE, branch1x1=b1, branch3x3=b3, branch3x3dbl=bd, branch_pool=bp)


def inception_bn() -> Network:
    conv = conv_maker(STYLE)  # stem convs as the blocks' convs

    return Network(
        name="inception-bn",
        naming="cadene-bninception",  # Cadene's flat Caffe names, so its checkpoint loads
        description="BN-Inception as in the Caffe model (Cadene's pretrainedmodels port): conv → BN (eps 1e-5) "
        "→ ReLU with conv bias, two 3×3 convs for the 5×5 path, stride-2 blocks 3c and 4e, a max pool in "
        "inception_5b's pool path, ceil-mode pools, a 7×7 average pool and one linear layer, no dropout.",
        input=(3, 224, 224),
        classes=1000,
        style=STYLE,
        stages=(
            Stage(
                "stem",
                (
                    conv("conv1_7x7_s2", 64, 7, 2, 3),  # 64×112×112
                    maxpool("pool1_3x3_s2", ceil=True),  # 64×56×56
                    conv("conv2_3x3_reduce", 64, 1),  # 64×56×56
                    conv("conv2_3x3", 192, 3, padding=1),  # 192×56×56
                    maxpool("pool2_3x3_s2", ceil=True),  # 192×28×28
                ),
            ),
            Stage(
                "inception3",
                (_block("inception_3a"), _block("inception_3b"), _block("inception_3c")),  # 256, 320 ×28×28; 576×14×14
                repeat="bn-inception",
            ),
            Stage(
                "inception4",
                (*(_block(f"inception_4{x}") for x in "abcd"), _block("inception_4e")),  # 576…608 ×14×14; 1056×7×7
                repeat="bn-inception",
            ),
            Stage(
                "inception5",
                (_block("inception_5a"), _block("inception_5b", "bn-inception-maxpool")),  # 1024×7×7
                repeat="bn-inception",
            ),
        ),
        head=(Pool("global_pool", "avg", (7, 7), (1, 1), ceil_mode=True), Flatten("flatten"), Linear("last_linear")),
    )
