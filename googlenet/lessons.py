"""The lecture's lessons about one block, made measurable: what its paths cost, and what the
block would cost without the ideas that make it cheap.

* **1×1 reduce.** A path that starts with a 1×1 conv feeding a larger conv shrinks the
  channels first. Without it, the larger conv reads the block's full input. Only the reduce
  and the conv(s) reading it change; later layers of the path keep their cost.
* **Factorisation** (Inception-v2/v3 onwards). A 1×n conv followed by an n×1 conv stands for
  one n×n conv; two 3×3 convs stand for one 5×5. The counterfactual conv reads what the
  first of the pair reads, makes what the second makes, and has the stride of the second,
  with the padding of both (so it produces the same output shape).

The block's cost without them is the analysis of the network rewritten by
``rewrites.remove_reduces`` and ``rewrites.unfactorize``. The convs each lesson swaps are
listed too (``Swap``: ``Conv`` specs with their input shape, ``ConvAt``), so each one can be
built in PyTorch and counted (``tests/test_lessons.py`` does). Costs follow the analysis'
counting rule: params as ``numel`` counts them, MACs of the conv only.
"""

from __future__ import annotations

from dataclasses import dataclass

from .analysis import Analysis, Node, analyze, conv_out, shape_str
from .rewrites import remove_reduces, unfactorize
from .spec import Conv
from .templates import TEMPLATES

Shape3 = tuple[int, int, int]


def _stride(s: tuple[int, int]) -> str:
    """``/2``, ``/1×2``; nothing for stride 1."""
    return "" if s == (1, 1) else f"/{s[0]}" if s[0] == s[1] else f"/{s[0]}×{s[1]}"


@dataclass(frozen=True)
class ConvAt:
    """A conv and the tensor it reads: enough to build it in PyTorch and to count it."""

    name: str
    conv: Conv  # concrete output channels
    in_shape: Shape3

    @property
    def out_shape(self) -> Shape3:
        c, h, w = self.in_shape
        (kh, kw), (sh, sw), (ph, pw) = self.conv.kernel, self.conv.stride, self.conv.padding
        return (self.conv.out, conv_out(h, kh, sh, ph), conv_out(w, kw, sw, pw))

    @property
    def params(self) -> int:
        return self.conv.params(self.in_shape)

    @property
    def macs(self) -> int:
        return self.conv.macs(self.in_shape, self.out_shape)

    @property
    def label(self) -> str:
        """``3×3, 192→128`` (and ``/2`` when strided)."""
        stride = _stride(self.conv.stride)
        return f"{shape_str(self.conv.kernel)}{' ' + stride if stride else ''}, {self.in_shape[0]}→{self.conv.out}"


def _at(row: Node) -> ConvAt:
    return ConvAt(row.key, row.layer, row.in_shape)


@dataclass(frozen=True)
class Path:
    """One parallel path of a block, as analysed."""

    name: str  # "branch2"
    field: str  # the width field that sets its output ("c2"), or "" (a pool-only path)
    label: str  # "1×1 → 3×3", "3×3 max → 1×1", "1×1 → (1×3 | 3×1)"
    layers: tuple[str, ...]  # qualified names of its layers
    params: int
    macs: int
    out_channels: int
    share: float  # of the channels the paths concatenate


@dataclass(frozen=True)
class Swap:
    """Convs of the block against the conv(s) they stand for."""

    lesson: str  # "reduce" | "factorise"
    path: str
    actual: tuple[ConvAt, ...]
    alternative: tuple[ConvAt, ...]

    @property
    def params(self) -> int:
        return sum(c.params for c in self.actual)

    @property
    def macs(self) -> int:
        return sum(c.macs for c in self.actual)

    @property
    def alt_params(self) -> int:
        return sum(c.params for c in self.alternative)

    @property
    def alt_macs(self) -> int:
        return sum(c.macs for c in self.alternative)

    @property
    def actual_label(self) -> str:
        """``1×1, 192→96 → 3×3, 96→128``; a reduce feeding a split: ``1×1 … → (1×3 … | 3×1 …)``."""
        first, rest = self.actual[0], self.actual[1:]
        if self.lesson == "reduce" and len(rest) > 1:
            return f"{first.label} → (" + " | ".join(c.label for c in rest) + ")"
        return " → ".join(c.label for c in self.actual)

    @property
    def alternative_label(self) -> str:
        return " | ".join(c.label for c in self.alternative)


@dataclass(frozen=True)
class BlockLesson:
    block: str
    kind: str
    description: str
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    params: int
    macs: int
    paths: tuple[Path, ...]
    reduce: tuple[Swap, ...]
    factorise: tuple[Swap, ...]
    params_without_reduce: int
    macs_without_reduce: int
    params_unfactorised: int
    macs_unfactorised: int
    # channels the pool path adds with its 1×1 projection, and would add without it
    pool_projection: tuple[int, int] | None = None


# --- reading a block's paths from the tree ----------------------------------------------------------


def _block_node(a: Analysis, block: str) -> Node:
    return a.block(block)  # KeyError for a name that is not a block


def _trunk(path: Node) -> list[Node]:
    """The path's own layers, before any split."""
    return [c for c in path.children if c.is_leaf and c.kind != "concat"]


def _subs(path: Node) -> list[Node]:
    return [c for c in path.children if c.kind == "branch"]


def _row_label(r: Node) -> str:
    if r.kind == "conv":
        return shape_str(r.kernel) + _stride(r.stride)
    if r.kind in ("maxpool", "avgpool"):
        return f"{shape_str(r.kernel)} {r.kind[:3]}"
    return r.kind


def _path_label(path: Node) -> str:
    parts = [_row_label(r) for r in _trunk(path)]
    subs = _subs(path)
    if subs:
        parts.append("(" + " | ".join(_path_label(s) for s in subs) + ")")
    return " → ".join(parts)


def _branches(node: Node) -> list[Node]:
    """The block's paths: its branches that have layers (the identity is not a path)."""
    return [c for c in node.children if c.kind == "branch" and c.children]


def paths(a: Analysis, block: str) -> tuple[Path, ...]:
    """The block's parallel paths with their cost and output channels."""
    node = _block_node(a, block)
    spec = node.layer
    branches = _branches(node)
    fields = [f for f, _ in TEMPLATES[spec.kind].fields] if spec.kind in TEMPLATES else []
    names = [b.name for b in branches]
    if set(fields) >= set(names):
        by_field = {n: n for n in names}
    elif len(fields) == len(names):
        by_field = dict(zip(names, fields))
    else:
        by_field = {}
    total = sum(b.out_shape[0] for b in branches) or 1
    return tuple(
        Path(
            name=b.name,
            field=by_field.get(b.name, ""),
            label=_path_label(b),
            layers=tuple(n.key for n in b.leaves()),
            params=b.params,
            macs=b.macs,
            out_channels=b.out_shape[0],
            share=b.out_shape[0] / total,
        )
        for b in branches
    )


# --- the counterfactuals --------------------------------------------------------------------


def _reduce_swaps(node: Node) -> list[Swap]:
    swaps = []
    for path in _branches(node):
        trunk = _trunk(path)
        if not trunk or trunk[0].kind != "conv":
            continue
        first = trunk[0]
        c = first.layer
        if c.kernel != (1, 1) or c.stride != (1, 1) or c.padding != (0, 0) or c.dilation != (1, 1) or c.groups != 1:
            continue
        if len(trunk) > 1:
            readers = [trunk[1]]
        else:  # the 1×1 feeds a split: every sub-path's first layer reads it
            readers = [_trunk(s)[0] for s in _subs(path) if _trunk(s)]
        if not readers or any(r.kind != "conv" or r.kernel == (1, 1) for r in readers):
            continue
        actual = (_at(first), *(_at(r) for r in readers))
        alternative = tuple(ConvAt(r.key, r.layer, node.in_shape) for r in readers)
        swaps.append(Swap("reduce", path.name, actual, alternative))
    return swaps


def _factor_kernel(a: Node, b: Node) -> tuple[int, int] | None:
    """The kernel a pair of convs stands for: 1×n then n×1 (either order) → n×n; 3×3 then
    3×3 → 5×5. The first conv must keep the resolution (stride 1)."""
    if a.kind != "conv" or b.kind != "conv" or a.stride != (1, 1):
        return None
    ka, kb = a.kernel, b.kernel
    n = max(ka)
    if n > 1 and {ka, kb} == {(1, n), (n, 1)}:
        return (n, n)
    if ka == kb == (3, 3):
        return (5, 5)
    return None


def _factor_swaps(node: Node) -> list[Swap]:
    swaps = []
    for path in _branches(node):
        for seq_owner in (path, *_subs(path)):
            trunk = _trunk(seq_owner)
            i = 0
            while i + 1 < len(trunk):
                a, b = trunk[i], trunk[i + 1]
                kernel = _factor_kernel(a, b)
                if kernel is None:
                    i += 1
                    continue
                pa, pb = a.layer.padding, b.layer.padding
                conv = Conv(
                    f"{a.layer.name}+{b.layer.name}", b.layer.out, kernel, b.layer.stride, (pa[0] + pb[0], pa[1] + pb[1]),
                    bias=b.layer.bias, bn=b.layer.bn, bn_eps=b.layer.bn_eps, act=b.layer.act,
                )
                swaps.append(Swap("factorise", path.name, (_at(a), _at(b)), (ConvAt(f"{a.key}+{b.layer.name}", conv, a.in_shape),)))
                i += 2
    return swaps


def lesson(a: Analysis, block: str) -> BlockLesson:
    """One block: its paths, and its cost without 1×1 reduces and without factorisation."""
    node = _block_node(a, block)
    spec = node.layer
    pool_projection = None
    for path in _branches(node):
        trunk = _trunk(path)
        if len(trunk) == 2 and trunk[0].kind in ("maxpool", "avgpool") and trunk[1].kind == "conv" and trunk[1].kernel == (1, 1):
            pool_projection = (trunk[1].out_shape[0], trunk[0].out_shape[0])
    without = analyze(remove_reduces(a.network, block)).block(block)
    unfactorised = analyze(unfactorize(a.network, block)).block(block)
    template = TEMPLATES.get(spec.kind) if spec.kind else None
    return BlockLesson(
        block=block,
        kind=spec.kind or "block",
        description=template.description if template else "",
        in_shape=node.in_shape,
        out_shape=node.out_shape,
        params=node.params,
        macs=node.macs,
        paths=paths(a, block),
        reduce=tuple(_reduce_swaps(node)),
        factorise=tuple(_factor_swaps(node)),
        params_without_reduce=without.params,
        macs_without_reduce=without.macs,
        params_unfactorised=unfactorised.params,
        macs_unfactorised=unfactorised.macs,
        pool_projection=pool_projection,
    )
