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

from ..blocks import BlockKind, Structure, block, conv_maker, maxpool, register_kind
from ..spec import Block, Branch, Flatten, Linear, Network, Pool, Stage, Style
from . import register_preset

STYLE = Style(conv_bias=True, batch_norm=True, bn_eps=1e-5)


def _four_paths(block: Block, style: Style, width: float, pool_op: str) -> Structure:
    conv = conv_maker(style, width)
    (b1,) = block.width("branch1x1")
    b3 = block.width("branch3x3")
    bd = block.width("branch3x3dbl")
    (bp,) = block.width("branch_pool")
    return Structure(
        branches=(
            Branch("branch1x1", (conv("conv", b1, 1),)),
            Branch("branch3x3", (conv("conv1", b3[0], 1), conv("conv2", b3[1], 3, padding=1))),
            Branch(
                "branch3x3dbl",
                (conv("conv1", bd[0], 1), conv("conv2", bd[1], 3, padding=1), conv("conv3", bd[2], 3, padding=1)),
            ),
            Branch("branch_pool", (Pool("pool", pool_op, (3, 3), (1, 1), (1, 1), ceil_mode=True), conv("conv", bp, 1))),
        )
    )


def _avg(block: Block, style: Style, width: float, in_channels: int) -> Structure:
    return _four_paths(block, style, width, "avg")


def _max(block: Block, style: Style, width: float, in_channels: int) -> Structure:
    return _four_paths(block, style, width, "max")


def _reduction(block: Block, style: Style, width: float, in_channels: int) -> Structure:
    conv = conv_maker(style, width)
    b3 = block.width("branch3x3")
    bd = block.width("branch3x3dbl")
    return Structure(
        branches=(
            Branch("branch3x3", (conv("conv1", b3[0], 1), conv("conv2", b3[1], 3, stride=2, padding=1))),
            Branch(
                "branch3x3dbl",
                (conv("conv1", bd[0], 1), conv("conv2", bd[1], 3, padding=1), conv("conv3", bd[2], 3, stride=2, padding=1)),
            ),
            Branch("branch_pool", (maxpool("pool", ceil=True),)),
        )
    )


_FOUR_PATHS = dict(
    fields=(("branch1x1", 1), ("branch3x3", 2), ("branch3x3dbl", 3), ("branch_pool", 1)),
    parts=(("branch3x3", ("reduce", "3x3")), ("branch3x3dbl", ("reduce", "3x3a", "3x3b"))),
    labels=(
        ("branch1x1", ("1×1",)),
        ("branch3x3", ("1×1 reduce", "3×3")),
        ("branch3x3dbl", ("1×1 reduce", "3×3", "3×3")),
        ("branch_pool", ("pool proj 1×1",)),
    ),
)
register_kind(
    BlockKind(
        name="bn-inception",
        expand=_avg,
        description="BN-Inception block: 1×1 | 1×1→3×3 | 1×1→3×3→3×3 | 3×3 avg pool→1×1",
        **_FOUR_PATHS,
    )
)
register_kind(
    BlockKind(
        name="bn-inception-maxpool",
        expand=_max,
        description="BN-Inception's last block (inception_5b): as bn-inception, with a 3×3 max pool before the projection",
        **_FOUR_PATHS,
    )
)
register_kind(
    BlockKind(
        name="bn-inception-reduction",
        fields=(("branch3x3", 2), ("branch3x3dbl", 3)),
        expand=_reduction,
        description="BN-Inception stride-2 block (3c, 4e): 1×1→3×3/2 | 1×1→3×3→3×3/2 | 3×3/2 max pool",
        parts=(("branch3x3", ("reduce", "3x3s2")), ("branch3x3dbl", ("reduce", "3x3", "3x3s2"))),
        labels=(("branch3x3", ("1×1 reduce", "3×3 /2")), ("branch3x3dbl", ("1×1 reduce", "3×3", "3×3 /2"))),
    )
)

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
        return block(name, "bn-inception-reduction", branch3x3=b3, branch3x3dbl=bd)
    b1, b3, bd, bp = ALLOCATION[name]
    return block(name, kind, branch1x1=b1, branch3x3=b3, branch3x3dbl=bd, branch_pool=bp)


@register_preset("inception-bn", "BN-Inception (Ioffe & Szegedy 2015): BatchNorm after every conv, 3×3 pairs for 5×5, stride-2 blocks")
def inception_bn() -> Network:
    conv = conv_maker(STYLE, 1.0)  # stem convs as the blocks' convs

    return Network(
        name="inception-bn",
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
