"""A residual block kind with a split path, independent of the presets, for the tests that need
one. Kinds are a global registry: a test module registers it only while its tests run, with
``monkeypatch.setitem(KINDS, RESIDUAL_SPLIT.name, RESIDUAL_SPLIT)``."""

from __future__ import annotations

from googlenet.blocks import BlockKind, Structure, conv_maker
from googlenet.spec import Block, Branch


def _residual_split(block: Block, style, width: float, in_channels: int) -> Structure:
    conv = conv_maker(style, width)
    (a,) = block.width("a")
    b = block.width("b")
    return Structure(
        branches=(
            Branch("branch1x1", (conv("conv", a, 1),)),
            Branch(
                "branch3x3",
                (conv("conv1", b[0], 1),),
                split=(
                    Branch("split1", (conv("conv", b[1], (1, 3), padding=(0, 1)),)),
                    Branch("split2", (conv("conv", b[1], (3, 1), padding=(1, 0)),)),
                ),
            ),
        ),
        merge="add",
        project=conv("project", 1, 1, act=False),
        scale=block.scale,
        act=block.act,
    )


RESIDUAL_SPLIT = BlockKind(
    "test_residual_split", (("a", 1), ("b", 2)), _residual_split, "test: residual add over 1×1 | 1×1→(1×3, 3×1)", residual=True
)
