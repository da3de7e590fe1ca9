"""A residual block with a split path, written out as data (no template), for the tests that
need one independent of the presets."""

from __future__ import annotations

from googlenet.spec import Block, Branch, Conv, Style


def residual_split(name: str, a: int, b: tuple[int, int], scale: float = 1.0, act: str = "relu", style: Style = Style()) -> Block:
    """1×1 | 1×1→(1×3 | 3×1), concatenated, projected back to the input width, scaled, added."""

    def conv(n, out, k, padding=(0, 0)):
        return Conv(n, out, k, padding=padding, bias=style.conv_bias, bn=style.batch_norm, bn_eps=style.bn_eps)

    return Block(
        name,
        branches=(
            Branch("branch1x1", (conv("conv", a, (1, 1)),)),
            Branch(
                "branch3x3",
                (conv("conv1", b[0], (1, 1)),),
                split=(
                    Branch("split1", (conv("conv", b[1], (1, 3), (0, 1)),)),
                    Branch("split2", (conv("conv", b[1], (3, 1), (1, 0)),)),
                ),
            ),
            Branch("identity"),
        ),
        merge="add",
        project=Conv("project", None, (1, 1), bias=style.conv_bias, bn=style.batch_norm, bn_eps=style.bn_eps, act="none"),
        scale=scale,
        act=act,
    )
