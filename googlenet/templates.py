"""Templates: functions from named widths to a block — the lecture's ``Inception(c1, c2, c3, c4)``
and the block kinds of the family.

A template has width fields (``c1`` one channel count; ``c2`` two: a 1×1 reduce and a 3×3)
and makes a ``Block`` from them in a network's ``Style`` (bias, BatchNorm, the documented
quirks). The block remembers the template and its widths, so ``matches`` can tell whether it
has been edited since; a block that matches keeps the template's vocabulary in the config,
the link and the UI.

Topologies shared by several kinds are one parametrised function each (Inception-v3's C
block is Inception-v4's B block with another pool; v3's D is v4's Reduction-B). Every
template is listed in ``TEMPLATES`` at the bottom, the one table of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Mapping

from .errors import SpecError
from .spec import Block, Branch, Conv, Pool, Style

Widths = Mapping[str, tuple[int, ...]]


@dataclass(frozen=True)
class Body:
    """What a template makes: the branches and, for a residual block, its projection."""

    branches: tuple[Branch, ...]
    merge: str = "concat"
    project: Conv | None = None


@dataclass(frozen=True)
class Template:
    name: str
    fields: tuple[tuple[str, int], ...]  # (width field, how many channel counts)
    body: Callable[[Widths, Style], Body]
    description: str
    residual: bool = False  # a scaled residual add: the block's scale and act are the template's too
    # short names of the numbers of a multi-number field, for error paths and the link:
    # ("c2", ("reduce", "out")) makes "inception4c.c2.reduce"
    parts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # what each number is, for people: ("c2", ("1×1 reduce", "3×3"))
    labels: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def part_names(self, field_name: str) -> tuple[str, ...]:
        """Names of a width field's numbers: ``("",)`` for a single number."""
        arity = dict(self.fields)[field_name]
        given = dict(self.parts).get(field_name)
        if given:
            return given
        return ("",) if arity == 1 else tuple(str(i + 1) for i in range(arity))

    def part_labels(self, field_name: str) -> tuple[str, ...]:
        given = dict(self.labels).get(field_name)
        return given if given else tuple(p or field_name for p in self.part_names(field_name))

    def make(self, name: str, widths: Widths | tuple, style: Style, scale: float = 1.0, act: str | None = None) -> Block:
        """The block ``name`` with these widths (a mapping or ``Block.widths`` pairs)."""
        pairs = tuple(widths.items()) if isinstance(widths, Mapping) else tuple(widths)
        body = self.body(dict(pairs), style)
        if act is None:
            act = "relu" if self.residual else "none"
        return Block(
            name=name,
            branches=body.branches,
            merge=body.merge,
            project=body.project,
            scale=scale if self.residual else 1.0,
            act=act,
            kind=self.name,
            widths=pairs,
        )


def get_template(name: str, where: str = "kind") -> Template:
    try:
        return TEMPLATES[name]
    except KeyError:
        raise SpecError(where, "template.unknown", value=repr(name), names=", ".join(TEMPLATES)) from None


def remake(block: Block, style: Style, widths: tuple | None = None) -> Block:
    """``block`` made again by its template (with new ``widths``), keeping its name, scale and act."""
    t = get_template(block.kind, f"{block.name}.kind")
    return t.make(block.name, block.widths if widths is None else widths, style, block.scale, block.act)


@lru_cache(maxsize=1024)
def matches(block: Block, style: Style) -> bool:
    """Whether ``block`` is exactly what its template makes from its widths (not edited since)."""
    if block.kind is None or block.kind not in TEMPLATES:
        return False
    t = TEMPLATES[block.kind]
    if [k for k, _ in block.widths] != [k for k, _ in t.fields]:
        return False
    if any(not isinstance(v, tuple) or len(v) != n for (_, v), (_, n) in zip(block.widths, t.fields)):
        return False
    try:
        return remake(block, style) == block
    except (KeyError, TypeError, ValueError, IndexError):
        return False


def make(name: str, kind: str, style: Style, scale: float = 1.0, act: str | None = None, **widths) -> Block:
    """A block from keyword widths (one number or a tuple each), in the template's field order."""
    t = get_template(kind)
    pairs = tuple((k, (v,) if isinstance(v, int) else tuple(v)) for k, v in widths.items())
    return t.make(name, pairs, style, scale, act)


# --- making layers in a style ---------------------------------------------------------------------


def _p(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def conv_maker(style: Style) -> Callable[..., Conv]:
    """``conv(name, out, kernel, stride=1, padding=0, act="relu")`` in the style's bias and BatchNorm."""

    def conv(name: str, out: int | None, kernel, stride=1, padding=0, act: str = "relu") -> Conv:
        return Conv(name, out, _p(kernel), _p(stride), _p(padding), bias=style.conv_bias, bn=style.batch_norm,
                    bn_eps=style.bn_eps, act=act)

    return conv


def maxpool(name: str, k: int = 3, s: int = 2, p: int = 0, ceil: bool = False) -> Pool:
    """A k×k max pool, stride s, padding p; ``ceil`` rounds the output size up, as Caffe does."""
    return Pool(name, "max", (k, k), (s, s), (p, p), ceil_mode=ceil)


def avgpool3(name: str = "pool", count_include_pad: bool = True, ceil: bool = False) -> Pool:
    """The 3×3 /1 average pool, padding 1, of the pool paths."""
    return Pool(name, "avg", (3, 3), (1, 1), (1, 1), ceil_mode=ceil, count_include_pad=count_include_pad)


def _split_1x3_3x1(conv, out_1x3: int, out_3x1: int) -> tuple[Branch, Branch]:
    """The 1×3 | 3×1 pair that ends a path of Inception-v3's E and Inception-v4's C blocks."""
    return (
        Branch("split1", (conv("conv", out_1x3, (1, 3), padding=(0, 1)),)),
        Branch("split2", (conv("conv", out_3x1, (3, 1), padding=(1, 0)),)),
    )


def _chain(conv, widths: tuple[int, ...], kernels: tuple, strides: tuple = (), paddings: tuple | None = None) -> tuple[Conv, ...]:
    """Convs ``conv1``, ``conv2``, … (``conv`` when there is one) of the given kernels; each
    same-padded unless ``paddings`` says otherwise, the last one with ``strides``' stride."""
    out = []
    for i, (w, k) in enumerate(zip(widths, kernels)):
        k = _p(k)
        pad = paddings[i] if paddings is not None else (k[0] // 2, k[1] // 2)
        stride = strides[i] if strides else 1
        out.append(conv("conv" if len(widths) == 1 else f"conv{i + 1}", w, k, stride, pad))
    return tuple(out)


# --- GoogLeNet (Inception v1) ---------------------------------------------------------------------


def _inception_v1(w: Widths, style: Style) -> Body:
    conv = conv_maker(style)
    k3 = style.branch3_kernel
    return Body((
        Branch("branch1", (conv("conv", w["c1"][0], 1),)),
        Branch("branch2", (conv("conv1", w["c2"][0], 1), conv("conv2", w["c2"][1], 3, padding=1))),
        Branch("branch3", (conv("conv1", w["c3"][0], 1), conv("conv2", w["c3"][1], k3, padding=k3 // 2))),
        Branch("branch4", (Pool("pool", "max", (3, 3), (1, 1), (1, 1), ceil_mode=style.pool_ceil), conv("conv", w["c4"][0], 1))),
    ))


INCEPTION = Template(
    name="inception",
    fields=(("c1", 1), ("c2", 2), ("c3", 2), ("c4", 1)),
    body=_inception_v1,
    description="GoogLeNet's Inception block: 1×1 | 1×1→3×3 | 1×1→5×5 | 3×3 max pool→1×1",
    parts=(("c2", ("reduce", "out")), ("c3", ("reduce", "out"))),
    labels=(("c1", ("1×1",)), ("c2", ("1×1 reduce", "3×3")), ("c3", ("1×1 reduce", "5×5")), ("c4", ("pool proj 1×1",))),
)


# --- four paths: 1×1 | 1×1→k×k | 1×1→3×3→3×3 | pool→1×1 ----------------------------------------------


def four_paths(names: tuple[str, str, str, str], second: int, pool: Callable[[], Pool]):
    """BN-Inception's, Inception-v3's A (``second`` = 5: a 5×5 path), Inception-v4's A and
    Inception-ResNet-v2's mixed_5b blocks: the same four paths with other names and pools."""

    def body(w: Widths, style: Style) -> Body:
        conv = conv_maker(style)
        f1, f2, f3, f4 = (w[k] for k in w)
        n1, n2, n3, n4 = names
        return Body((
            Branch(n1, (conv("conv", f1[0], 1),)),
            Branch(n2, _chain(conv, f2, (1, second))),
            Branch(n3, _chain(conv, f3, (1, 3, 3))),
            Branch(n4, (pool(), conv("conv", f4[0], 1))),
        ))

    return body


def _labels(names: tuple[str, ...], *texts: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(zip(names, texts))


_BN_NAMES = ("branch1x1", "branch3x3", "branch3x3dbl", "branch_pool")
_FOUR = dict(
    fields=(("branch1x1", 1), ("branch3x3", 2), ("branch3x3dbl", 3), ("branch_pool", 1)),
    parts=(("branch3x3", ("reduce", "3x3")), ("branch3x3dbl", ("reduce", "3x3a", "3x3b"))),
    labels=_labels(_BN_NAMES, ("1×1",), ("1×1 reduce", "3×3"), ("1×1 reduce", "3×3", "3×3"), ("pool proj 1×1",)),
)
BN_INCEPTION = Template(
    name="bn-inception",
    body=four_paths(_BN_NAMES, 3, lambda: avgpool3(ceil=True)),
    description="BN-Inception block: 1×1 | 1×1→3×3 | 1×1→3×3→3×3 | 3×3 avg pool→1×1",
    **_FOUR,
)
BN_INCEPTION_MAXPOOL = Template(
    name="bn-inception-maxpool",
    body=four_paths(_BN_NAMES, 3, lambda: Pool("pool", "max", (3, 3), (1, 1), (1, 1), ceil_mode=True)),
    description="BN-Inception's last block (inception_5b): as bn-inception, with a 3×3 max pool before the projection",
    **_FOUR,
)

_V3A_NAMES = ("branch1x1", "branch5x5", "branch3x3dbl", "branch_pool")
INCEPTION_V3_A = Template(
    name="inception-v3-a",
    fields=(("branch1x1", 1), ("branch5x5", 2), ("branch3x3dbl", 3), ("branch_pool", 1)),
    body=four_paths(_V3A_NAMES, 5, avgpool3),
    description="Inception-v3 35×35 block (InceptionA): 1×1 | 1×1→5×5 | 1×1→3×3→3×3 | 3×3 avg pool→1×1",
    parts=(("branch5x5", ("reduce", "5x5")), ("branch3x3dbl", ("reduce", "3x3a", "3x3b"))),
    labels=_labels(_V3A_NAMES, ("1×1",), ("1×1 reduce", "5×5"), ("1×1 reduce", "3×3", "3×3"), ("pool proj 1×1",)),
)

_NUMBERED = ("branch0", "branch1", "branch2", "branch3")
INCEPTION_V4_A = Template(
    name="inception-v4-a",
    fields=(("branch0", 1), ("branch1", 2), ("branch2", 3), ("branch3", 1)),
    body=four_paths(_NUMBERED, 3, lambda: avgpool3(count_include_pad=False)),
    description="Inception-A (35×35): 1×1 | 1×1→3×3 | 1×1→3×3→3×3 | 3×3 avg pool→1×1",
    parts=(("branch1", ("reduce", "3x3")), ("branch2", ("reduce", "3x3a", "3x3b"))),
    labels=_labels(_NUMBERED, ("1×1",), ("1×1 reduce", "3×3"), ("1×1 reduce", "3×3", "3×3"), ("pool proj 1×1",)),
)
IRV2_MIXED_5B = Template(
    name="inception-resnet-v2-mixed-5b",
    fields=(("branch0", 1), ("branch1", 2), ("branch2", 3), ("branch3", 1)),
    body=four_paths(_NUMBERED, 5, lambda: avgpool3(count_include_pad=False)),
    description="Inception-ResNet-v2 stem block (mixed_5b): 1×1 | 1×1→5×5 | 1×1→3×3→3×3 | avg pool→1×1",
    parts=(("branch1", ("reduce", "5x5")), ("branch2", ("reduce", "3x3a", "3x3b"))),
    labels=_labels(_NUMBERED, ("1×1",), ("1×1 reduce", "5×5"), ("1×1 reduce", "3×3", "3×3"), ("pool proj 1×1",)),
)


# --- reductions: k×k /2 paths beside a 3×3 /2 max pool ------------------------------------------------


def _bn_reduction(w: Widths, style: Style) -> Body:
    # Caffe's stride-2 BN-Inception blocks pad their 3×3 /2 convs and round the pool up
    conv = conv_maker(style)
    return Body((
        Branch("branch3x3", _chain(conv, w["branch3x3"], (1, 3), (1, 2))),
        Branch("branch3x3dbl", _chain(conv, w["branch3x3dbl"], (1, 3, 3), (1, 1, 2))),
        Branch("branch_pool", (maxpool("pool", ceil=True),)),
    ))


BN_INCEPTION_REDUCTION = Template(
    name="bn-inception-reduction",
    fields=(("branch3x3", 2), ("branch3x3dbl", 3)),
    body=_bn_reduction,
    description="BN-Inception stride-2 block (3c, 4e): 1×1→3×3/2 | 1×1→3×3→3×3/2 | 3×3/2 max pool",
    parts=(("branch3x3", ("reduce", "3x3s2")), ("branch3x3dbl", ("reduce", "3x3", "3x3s2"))),
    labels=(("branch3x3", ("1×1 reduce", "3×3 /2")), ("branch3x3dbl", ("1×1 reduce", "3×3", "3×3 /2"))),
)


def reduction_35(names: tuple[str, str, str]):
    """Inception-v3's B and Inception-v4's Reduction-A (also Inception-ResNet-v2's mixed_6a):
    3×3/2 | 1×1→3×3→3×3/2 | 3×3/2 max pool, the strided convs unpadded."""

    def body(w: Widths, style: Style) -> Body:
        conv = conv_maker(style)
        a, b = (w[k] for k in w)
        return Body((
            Branch(names[0], (conv("conv", a[0], 3, stride=2),)),
            Branch(names[1], _chain(conv, b, (1, 3, 3), (1, 1, 2), ((0, 0), (1, 1), (0, 0)))),
            Branch(names[2], (maxpool("pool"),)),
        ))

    return body


INCEPTION_V3_B = Template(
    name="inception-v3-b",
    fields=(("branch3x3", 1), ("branch3x3dbl", 3)),
    body=reduction_35(("branch3x3", "branch3x3dbl", "branch_pool")),
    description="Inception-v3 35→17 reduction (InceptionB): 3×3/2 | 1×1→3×3→3×3/2 | 3×3/2 max pool",
    parts=(("branch3x3dbl", ("reduce", "3x3", "3x3s2")),),
    labels=(("branch3x3", ("3×3 /2",)), ("branch3x3dbl", ("1×1 reduce", "3×3", "3×3 /2"))),
)
INCEPTION_V4_REDUCTION_A = Template(
    name="inception-v4-reduction-a",
    fields=(("branch0", 1), ("branch1", 3)),
    body=reduction_35(("branch0", "branch1", "branch2")),
    description="Reduction-A (35→17): 3×3/2 (n) | 1×1→3×3→3×3/2 (k, l, m) | 3×3/2 max pool",
    parts=(("branch0", ("n",)), ("branch1", ("k", "l", "m"))),
    labels=(("branch0", ("3×3 /2 (n)",)), ("branch1", ("1×1 reduce (k)", "3×3 (l)", "3×3 /2 (m)"))),
)


def reduction_17(names: tuple[str, str, str]):
    """Inception-v3's D and Inception-v4's Reduction-B: 1×1→3×3/2 | 1×1→1×7→7×1→3×3/2 | 3×3/2 max pool."""

    def body(w: Widths, style: Style) -> Body:
        conv = conv_maker(style)
        a, b = (w[k] for k in w)
        return Body((
            Branch(names[0], _chain(conv, a, (1, 3), (1, 2), ((0, 0), (0, 0)))),
            Branch(names[1], _chain(conv, b, (1, (1, 7), (7, 1), 3), (1, 1, 1, 2), ((0, 0), (0, 3), (3, 0), (0, 0)))),
            Branch(names[2], (maxpool("pool"),)),
        ))

    return body


INCEPTION_V3_D = Template(
    name="inception-v3-d",
    fields=(("branch3x3", 2), ("branch7x7x3", 4)),
    body=reduction_17(("branch3x3", "branch7x7x3", "branch_pool")),
    description="Inception-v3 17→8 reduction (InceptionD): 1×1→3×3/2 | 1×1→1×7→7×1→3×3/2 | 3×3/2 max pool",
    parts=(("branch3x3", ("reduce", "3x3s2")), ("branch7x7x3", ("reduce", "1x7", "7x1", "3x3s2"))),
    labels=(("branch3x3", ("1×1 reduce", "3×3 /2")), ("branch7x7x3", ("1×1 reduce", "1×7", "7×1", "3×3 /2"))),
)
INCEPTION_V4_REDUCTION_B = Template(
    name="inception-v4-reduction-b",
    fields=(("branch0", 2), ("branch1", 4)),
    body=reduction_17(("branch0", "branch1", "branch2")),
    description="Reduction-B (17→8): 1×1→3×3/2 | 1×1→1×7→7×1→3×3/2 | 3×3/2 max pool",
    parts=(("branch0", ("reduce", "3x3s2")), ("branch1", ("reduce", "1x7", "7x1", "3x3s2"))),
    labels=(("branch0", ("1×1 reduce", "3×3 /2")), ("branch1", ("1×1 reduce", "1×7", "7×1", "3×3 /2"))),
)


def _irv2_reduction_b(w: Widths, style: Style) -> Body:
    conv = conv_maker(style)
    unpadded = ((0, 0), (0, 0))
    return Body((
        Branch("branch0", _chain(conv, w["branch0"], (1, 3), (1, 2), unpadded)),
        Branch("branch1", _chain(conv, w["branch1"], (1, 3), (1, 2), unpadded)),
        Branch("branch2", _chain(conv, w["branch2"], (1, 3, 3), (1, 1, 2), ((0, 0), (1, 1), (0, 0)))),
        Branch("branch3", (maxpool("pool"),)),
    ))


IRV2_REDUCTION_B = Template(
    name="inception-resnet-v2-reduction-b",
    fields=(("branch0", 2), ("branch1", 2), ("branch2", 3)),
    body=_irv2_reduction_b,
    description="Inception-ResNet-v2 Reduction-B (mixed_7a): 1×1→3×3/2 | 1×1→3×3/2 | 1×1→3×3→3×3/2 | max pool",
    parts=(("branch0", ("reduce", "3x3s2")), ("branch1", ("reduce", "3x3s2")), ("branch2", ("reduce", "3x3", "3x3s2"))),
    labels=(("branch0", ("1×1 reduce", "3×3 /2")), ("branch1", ("1×1 reduce", "3×3 /2")), ("branch2", ("1×1 reduce", "3×3", "3×3 /2"))),
)


# --- 17×17: 1×1 | 1×1→1×7→7×1 | 1×1→(7×1→1×7)×2 | pool→1×1 ------------------------------------------


def seven_by_seven(names: tuple[str, str, str, str], pool: Callable[[], Pool]):
    """Inception-v3's C and Inception-v4's B blocks (their pools differ)."""

    def body(w: Widths, style: Style) -> Body:
        conv = conv_maker(style)
        f1, f2, f3, f4 = (w[k] for k in w)
        return Body((
            Branch(names[0], (conv("conv", f1[0], 1),)),
            Branch(names[1], _chain(conv, f2, (1, (1, 7), (7, 1)))),
            Branch(names[2], _chain(conv, f3, (1, (7, 1), (1, 7), (7, 1), (1, 7)))),
            Branch(names[3], (pool(), conv("conv", f4[0], 1))),
        ))

    return body


_V3C_NAMES = ("branch1x1", "branch7x7", "branch7x7dbl", "branch_pool")
INCEPTION_V3_C = Template(
    name="inception-v3-c",
    fields=(("branch1x1", 1), ("branch7x7", 3), ("branch7x7dbl", 5), ("branch_pool", 1)),
    body=seven_by_seven(_V3C_NAMES, avgpool3),
    description="Inception-v3 17×17 block (InceptionC): 1×1 | 1×1→1×7→7×1 | 1×1→(7×1→1×7)×2 | avg pool→1×1",
    parts=(("branch7x7", ("reduce", "1x7", "7x1")), ("branch7x7dbl", ("reduce", "7x1a", "1x7a", "7x1b", "1x7b"))),
    labels=_labels(_V3C_NAMES, ("1×1",), ("1×1 reduce", "1×7", "7×1"), ("1×1 reduce", "7×1", "1×7", "7×1", "1×7"), ("pool proj 1×1",)),
)
INCEPTION_V4_B = Template(
    name="inception-v4-b",
    fields=(("branch0", 1), ("branch1", 3), ("branch2", 5), ("branch3", 1)),
    body=seven_by_seven(_NUMBERED, lambda: avgpool3(count_include_pad=False)),
    description="Inception-B (17×17): 1×1 | 1×1→1×7→7×1 | 1×1→(7×1→1×7)×2 | 3×3 avg pool→1×1",
    parts=(("branch1", ("reduce", "1x7", "7x1")), ("branch2", ("reduce", "7x1a", "1x7a", "7x1b", "1x7b"))),
    labels=_labels(_NUMBERED, ("1×1",), ("1×1 reduce", "1×7", "7×1"), ("1×1 reduce", "7×1", "1×7", "7×1", "1×7"), ("pool proj 1×1",)),
)


# --- 8×8: paths that end in a 1×3 | 3×1 split ------------------------------------------------------------


def _v3_e(w: Widths, style: Style) -> Body:
    conv = conv_maker(style)
    b3, bd = w["branch3x3"], w["branch3x3dbl"]
    return Body((
        Branch("branch1x1", (conv("conv", w["branch1x1"][0], 1),)),
        Branch("branch3x3", (conv("conv1", b3[0], 1),), _split_1x3_3x1(conv, b3[1], b3[2])),
        Branch("branch3x3dbl", _chain(conv, bd[:2], (1, 3)), _split_1x3_3x1(conv, bd[2], bd[3])),
        Branch("branch_pool", (avgpool3(), conv("conv", w["branch_pool"][0], 1))),
    ))


INCEPTION_V3_E = Template(
    name="inception-v3-e",
    fields=(("branch1x1", 1), ("branch3x3", 3), ("branch3x3dbl", 4), ("branch_pool", 1)),
    body=_v3_e,
    description="Inception-v3 8×8 block (InceptionE): 1×1 | 1×1→(1×3|3×1) | 1×1→3×3→(1×3|3×1) | avg pool→1×1",
    parts=(("branch3x3", ("reduce", "1x3", "3x1")), ("branch3x3dbl", ("reduce", "3x3", "1x3", "3x1"))),
    labels=(
        ("branch1x1", ("1×1",)),
        ("branch3x3", ("1×1 reduce", "1×3", "3×1")),
        ("branch3x3dbl", ("1×1 reduce", "3×3", "1×3", "3×1")),
        ("branch_pool", ("pool proj 1×1",)),
    ),
)


def _v4_c(w: Widths, style: Style) -> Body:
    conv = conv_maker(style)
    b1, b2 = w["branch1"], w["branch2"]
    return Body((
        Branch("branch0", (conv("conv", w["branch0"][0], 1),)),
        Branch("branch1", (conv("conv1", b1[0], 1),), _split_1x3_3x1(conv, b1[1], b1[2])),
        Branch("branch2", _chain(conv, b2[:3], (1, (3, 1), (1, 3))), _split_1x3_3x1(conv, b2[3], b2[4])),
        Branch("branch3", (avgpool3(count_include_pad=False), conv("conv", w["branch3"][0], 1))),
    ))


INCEPTION_V4_C = Template(
    name="inception-v4-c",
    fields=(("branch0", 1), ("branch1", 3), ("branch2", 5), ("branch3", 1)),
    body=_v4_c,
    description="Inception-C (8×8): 1×1 | 1×1→(1×3|3×1) | 1×1→3×1→1×3→(1×3|3×1) | 3×3 avg pool→1×1",
    parts=(("branch1", ("reduce", "1x3", "3x1")), ("branch2", ("reduce", "3x1", "1x3", "1x3b", "3x1b"))),
    labels=_labels(_NUMBERED, ("1×1",), ("1×1 reduce", "1×3", "3×1"), ("1×1 reduce", "3×1", "1×3", "1×3", "3×1"), ("pool proj 1×1",)),
)


# --- Inception-v4's branching stem ----------------------------------------------------------------------


def _v4_mixed_3a(w: Widths, style: Style) -> Body:
    conv = conv_maker(style)
    return Body((Branch("branch0", (maxpool("pool"),)), Branch("branch1", (conv("conv", w["branch1"][0], 3, stride=2),))))


def _v4_mixed_4a(w: Widths, style: Style) -> Body:
    conv = conv_maker(style)
    return Body((
        Branch("branch0", _chain(conv, w["branch0"], (1, 3), paddings=((0, 0), (0, 0)))),
        Branch("branch1", _chain(conv, w["branch1"], (1, (1, 7), (7, 1), 3), paddings=((0, 0), (0, 3), (3, 0), (0, 0)))),
    ))


def _v4_mixed_5a(w: Widths, style: Style) -> Body:
    conv = conv_maker(style)
    return Body((Branch("branch0", (conv("conv", w["branch0"][0], 3, stride=2),)), Branch("branch1", (maxpool("pool"),))))


INCEPTION_V4_MIXED_3A = Template(
    name="inception-v4-mixed-3a",
    fields=(("branch1", 1),),
    body=_v4_mixed_3a,
    description="Inception-v4 stem block (Mixed3a): 3×3/2 max pool | 3×3/2 conv",
    labels=(("branch1", ("3×3 /2",)),),
)
INCEPTION_V4_MIXED_4A = Template(
    name="inception-v4-mixed-4a",
    fields=(("branch0", 2), ("branch1", 4)),
    body=_v4_mixed_4a,
    description="Inception-v4 stem block (Mixed4a): 1×1→3×3 | 1×1→1×7→7×1→3×3, both unpadded",
    parts=(("branch0", ("reduce", "3x3")), ("branch1", ("reduce", "1x7", "7x1", "3x3"))),
    labels=(("branch0", ("1×1 reduce", "3×3")), ("branch1", ("1×1 reduce", "1×7", "7×1", "3×3"))),
)
INCEPTION_V4_MIXED_5A = Template(
    name="inception-v4-mixed-5a",
    fields=(("branch0", 1),),
    body=_v4_mixed_5a,
    description="Inception-v4 stem block (Mixed5a): 3×3/2 conv | 3×3/2 max pool",
    labels=(("branch0", ("3×3 /2",)),),
)


# --- Inception-ResNet: branches, a 1×1 projection back to the input width, a scaled add ----------------


def _residual(branches: tuple[Branch, ...]) -> Body:
    # the projection has a bias and neither BatchNorm nor activation; out=None: the block's input width
    project = Conv("project", None, (1, 1), bias=True, bn=False, act="none")
    return Body((*branches, Branch("identity")), merge="add", project=project)


def _block35(w: Widths, style: Style) -> Body:
    conv = conv_maker(style)
    return _residual((
        Branch("branch0", (conv("conv", w["branch0"][0], 1),)),
        Branch("branch1", _chain(conv, w["branch1"], (1, 3))),
        Branch("branch2", _chain(conv, w["branch2"], (1, 3, 3))),
    ))


def two_paths(n: int):
    """1×1 | 1×1→1×n→n×1, projected and added: block17 has n = 7, block8 n = 3."""

    def body(w: Widths, style: Style) -> Body:
        conv = conv_maker(style)
        return _residual((
            Branch("branch0", (conv("conv", w["branch0"][0], 1),)),
            Branch("branch1", _chain(conv, w["branch1"], (1, (1, n), (n, 1)))),
        ))

    return body


INCEPTION_RESNET_A = Template(
    name="inception-resnet-a",
    fields=(("branch0", 1), ("branch1", 2), ("branch2", 3)),
    body=_block35,
    description="Inception-ResNet-A (block35): 1×1 | 1×1→3×3 | 1×1→3×3→3×3, 1×1 projection, scaled residual add",
    residual=True,
    parts=(("branch1", ("reduce", "3x3")), ("branch2", ("reduce", "3x3a", "3x3b"))),
    labels=(("branch0", ("1×1",)), ("branch1", ("1×1 reduce", "3×3")), ("branch2", ("1×1 reduce", "3×3", "3×3"))),
)
INCEPTION_RESNET_B = Template(
    name="inception-resnet-b",
    fields=(("branch0", 1), ("branch1", 3)),
    body=two_paths(7),
    description="Inception-ResNet-B (block17): 1×1 | 1×1→1×7→7×1, 1×1 projection, scaled residual add",
    residual=True,
    parts=(("branch1", ("reduce", "1x7", "7x1")),),
    labels=(("branch0", ("1×1",)), ("branch1", ("1×1 reduce", "1×7", "7×1"))),
)
_C = dict(
    fields=(("branch0", 1), ("branch1", 3)),
    body=two_paths(3),
    residual=True,
    parts=(("branch1", ("reduce", "1x3", "3x1")),),
    labels=(("branch0", ("1×1",)), ("branch1", ("1×1 reduce", "1×3", "3×1"))),
)
INCEPTION_RESNET_C = Template(
    name="inception-resnet-c",
    description="Inception-ResNet-C (block8): 1×1 | 1×1→1×3→3×1, 1×1 projection, scaled residual add",
    **_C,
)
# Its own template, so that the block-count knob of the last stage adds and removes only the
# numbered block8_i and keeps this one last.
INCEPTION_RESNET_C_FINAL = Template(
    name="inception-resnet-c-final",
    description="The closing Inception-ResNet-C (timm's final block8): as inception-resnet-c, with no ReLU after the add",
    **_C,
)


# --- the book's other multi-branch blocks: ResNet and DenseNet -------------------------------------


def _resnet_basic(stride: int, projection: bool):
    """The book's ``Residual``: 3×3 (stride) → BN → ReLU → 3×3 → BN, added to the input (or to
    its 1×1 projection with the same stride), then ReLU. The convs keep PyTorch's default bias."""

    def body(w: Widths, style: Style) -> Body:
        (c,) = w["channels"]
        main = Branch("main", (
            Conv("conv1", c, (3, 3), (stride, stride), (1, 1), bn=True, bn_eps=style.bn_eps),
            Conv("conv2", c, (3, 3), padding=(1, 1), bn=True, bn_eps=style.bn_eps, act="none"),
        ))
        if projection:
            shortcut = Branch("shortcut", (Conv("conv3", c, (1, 1), (stride, stride), act="none"),))
        else:
            shortcut = Branch("shortcut")
        return Body((main, shortcut), merge="add")

    return body


RESNET_BASIC = Template(
    name="resnet-basic",
    fields=(("channels", 1),),
    body=_resnet_basic(1, False),
    description="ResNet's basic block: 3×3 → BN → ReLU → 3×3 → BN, plus the input, then ReLU",
    residual=True,
    labels=(("channels", ("3×3 convs",)),),
)
RESNET_BASIC_DOWN = Template(
    name="resnet-basic-down",
    fields=(("channels", 1),),
    body=_resnet_basic(2, True),
    description="ResNet's downsampling block: 3×3 /2 → BN → ReLU → 3×3 → BN, plus a 1×1 /2 projection of the input, then ReLU",
    residual=True,
    labels=(("channels", ("3×3 convs and 1×1 shortcut",)),),
)


def _dense_layer(w: Widths, style: Style) -> Body:
    """The book's ``conv_block`` in a ``DenseBlock``: BN → ReLU → 3×3 conv, concatenated after its input."""
    (g,) = w["growth"]
    conv = Conv("conv", g, (3, 3), padding=(1, 1), bn=True, bn_eps=style.bn_eps, order="pre")
    return Body((Branch("input"), Branch("new", (conv,))))


DENSENET_LAYER = Template(
    name="densenet-layer",
    fields=(("growth", 1),),
    body=_dense_layer,
    description="DenseNet's layer: BN → ReLU → 3×3 conv, its output concatenated after its input",
    labels=(("growth", ("3×3 conv (growth rate)",)),),
)


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        INCEPTION,
        BN_INCEPTION,
        BN_INCEPTION_MAXPOOL,
        BN_INCEPTION_REDUCTION,
        INCEPTION_V3_A,
        INCEPTION_V3_B,
        INCEPTION_V3_C,
        INCEPTION_V3_D,
        INCEPTION_V3_E,
        INCEPTION_V4_MIXED_3A,
        INCEPTION_V4_MIXED_4A,
        INCEPTION_V4_MIXED_5A,
        INCEPTION_V4_A,
        INCEPTION_V4_REDUCTION_A,
        INCEPTION_V4_B,
        INCEPTION_V4_REDUCTION_B,
        INCEPTION_V4_C,
        IRV2_MIXED_5B,
        INCEPTION_RESNET_A,
        INCEPTION_RESNET_B,
        IRV2_REDUCTION_B,
        INCEPTION_RESNET_C,
        INCEPTION_RESNET_C_FINAL,
        RESNET_BASIC,
        RESNET_BASIC_DOWN,
        DENSENET_LAYER,
    )
}


def inception(name: str, c1: int, c2: tuple[int, int], c3: tuple[int, int], c4: int, style: Style = Style()) -> Block:
    """The lecture's ``Inception(c1, c2, c3, c4)``; input channels are derived, not given."""
    return INCEPTION.make(name, (("c1", (c1,)), ("c2", tuple(c2)), ("c3", tuple(c3)), ("c4", (c4,))), style)
