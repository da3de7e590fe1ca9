"""Block kinds: how a block's stored widths expand into parallel branches of layers.

Each kind is registered once (a second registration of the same name is refused, like
timm's model registry) with its width fields and an ``expand`` function. Presets of the
family register their kinds in their own modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .spec import Block, Branch, Conv, Pool, Style, SpecError, scaled


@dataclass(frozen=True)
class Structure:
    """A block expanded: branches merged by ``concat`` or by a residual ``add``.

    For ``add``: the branches are concatenated, projected by ``project`` (a 1×1 conv whose
    output width is the block's input width), multiplied by ``scale``, added to the block's
    input, and passed through a ReLU when ``act``.
    """

    branches: tuple[Branch, ...]
    merge: str = "concat"  # "concat" | "add"
    project: Conv | None = None
    scale: float = 1.0
    act: bool = True


@dataclass(frozen=True)
class BlockKind:
    name: str
    fields: tuple[tuple[str, int], ...]  # (width field, how many channel counts)
    expand: Callable[[Block, Style, float, int], Structure]  # (block, style, width mult, in_ch)
    description: str
    residual: bool = False
    # short names of each number of a multi-number field, used in error paths and the UI:
    # ("c2", ("reduce", "out")) makes "inception4c.c2.reduce"
    parts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # what each number of a field is, for people: ("c2", ("1×1 reduce", "3×3"))
    labels: tuple[tuple[str, tuple[str, ...]], ...] = ()


KINDS: dict[str, BlockKind] = {}


def register_kind(kind: BlockKind) -> BlockKind:
    if kind.name in KINDS:
        raise ValueError(f"block kind {kind.name!r} is already registered")
    KINDS[kind.name] = kind
    return kind


def get_kind(name: str, where: str = "kind") -> BlockKind:
    try:
        return KINDS[name]
    except KeyError:
        known = ", ".join(sorted(KINDS))
        raise SpecError(where, f"unknown block kind {name!r}; known kinds: {known}") from None


def part_names(kind: BlockKind, field_name: str) -> tuple[str, ...]:
    """Names of the numbers of a width field: ``("",)`` for a single number."""
    arity = dict(kind.fields)[field_name]
    given = dict(kind.parts).get(field_name)
    if given:
        return given
    return ("",) if arity == 1 else tuple(str(i + 1) for i in range(arity))


def part_labels(kind: BlockKind, field_name: str) -> tuple[str, ...]:
    given = dict(kind.labels).get(field_name)
    return given if given else tuple(p or field_name for p in part_names(kind, field_name))


def conv_maker(style: Style, width: float) -> Callable[..., Conv]:
    """``conv(name, out, kernel, stride=1, padding=0)`` in the block style, width-scaled."""

    def conv(name: str, out: int, kernel, stride=1, padding=0, act: bool = True) -> Conv:
        return Conv(
            name=name,
            out=scaled(out, width),
            kernel=_pair(kernel),
            stride=_pair(stride),
            padding=_pair(padding),
            bias=style.conv_bias,
            bn=style.batch_norm,
            bn_eps=style.bn_eps,
            act=act,
        )

    return conv


def maxpool(name: str, k: int = 3, s: int = 2, p: int = 0, ceil: bool = False) -> Pool:
    """A k×k max pool, stride s, padding p; ``ceil`` rounds the output size up, as Caffe does."""
    return Pool(name, "max", (k, k), (s, s), (p, p), ceil_mode=ceil)


def split_1x3_3x1(conv: Callable[..., Conv], out_1x3: int, out_3x1: int) -> tuple[Branch, Branch]:
    """The 1×3 | 3×1 pair that ends a path of Inception-v3's E and Inception-v4's C blocks;
    their outputs are concatenated."""
    return (
        Branch("split1", (conv("conv", out_1x3, (1, 3), padding=(0, 1)),)),
        Branch("split2", (conv("conv", out_3x1, (3, 1), padding=(1, 0)),)),
    )


def _pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def block(name: str, kind: str, **widths: tuple[int, ...] | int) -> Block:
    """A block from keyword widths in the kind's field order (one number or a tuple each)."""
    return Block(name, kind, tuple((k, (v,) if isinstance(v, int) else tuple(v)) for k, v in widths.items()))


def expand(block: Block, style: Style, width: float, in_channels: int) -> Structure:
    return get_kind(block.kind, f"{block.name}.kind").expand(block, style, width, in_channels)


# --- GoogLeNet (Inception v1) ---------------------------------------------------------------


def _inception_v1(block: Block, style: Style, width: float, in_channels: int) -> Structure:
    conv = conv_maker(style, width)
    (c1,) = block.width("c1")
    c2 = block.width("c2")
    c3 = block.width("c3")
    (c4,) = block.width("c4")
    k3 = style.branch3_kernel
    return Structure(
        branches=(
            Branch("branch1", (conv("conv", c1, 1),)),
            Branch("branch2", (conv("conv1", c2[0], 1), conv("conv2", c2[1], 3, padding=1))),
            Branch("branch3", (conv("conv1", c3[0], 1), conv("conv2", c3[1], k3, padding=k3 // 2))),
            Branch(
                "branch4",
                (
                    Pool("pool", "max", (3, 3), (1, 1), (1, 1), ceil_mode=style.pool_ceil),
                    conv("conv", c4, 1),
                ),
            ),
        )
    )


INCEPTION = register_kind(
    BlockKind(
        name="inception",
        fields=(("c1", 1), ("c2", 2), ("c3", 2), ("c4", 1)),
        expand=_inception_v1,
        description="GoogLeNet's Inception block: 1×1 | 1×1→3×3 | 1×1→5×5 | 3×3 max pool→1×1",
        parts=(("c2", ("reduce", "out")), ("c3", ("reduce", "out"))),
        labels=(
            ("c1", ("1×1",)),
            ("c2", ("1×1 reduce", "3×3")),
            ("c3", ("1×1 reduce", "5×5")),
            ("c4", ("pool proj 1×1",)),
        ),
    )
)


def inception(name: str, c1: int, c2: tuple[int, int], c3: tuple[int, int], c4: int) -> Block:
    """The lecture's ``Inception(c1, c2, c3, c4)``; input channels are derived, not given."""
    return Block(name, "inception", (("c1", (c1,)), ("c2", tuple(c2)), ("c3", tuple(c3)), ("c4", (c4,))))
