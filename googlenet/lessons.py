"""The lecture's lessons about one block, made measurable: what its paths cost, and what the
block would cost without the ideas that make it cheap.

* **1×1 reduce.** A path that starts with a 1×1 conv feeding a larger conv shrinks the
  channels first. Without it, the larger conv reads the block's full input. Only the reduce
  and the conv(s) reading it change; later layers of the path keep their cost.
* **Factorisation** (Inception-v2/v3 onwards). A 1×n conv followed by an n×1 conv stands for
  one n×n conv; two 3×3 convs stand for one 5×5. The counterfactual conv reads what the
  first of the pair reads, makes what the second makes, and has the stride of the second,
  with the padding of both (so it produces the same output shape).

Counterfactual convs are ``Conv`` specs with their input shape (``ConvAt``), so each one can
be built in PyTorch and counted (``tests/test_lessons.py`` does). Costs follow the analysis'
counting rule: params as ``numel`` counts them, MACs of the conv only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .analysis import Analysis, LayerInfo, conv_out, shape_str
from .blocks import get_kind
from .spec import Block, Conv

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
        c, out = self.in_shape[0], self.conv.out
        kh, kw = self.conv.kernel
        return out * c * kh * kw + (out if self.conv.bias else 0) + (2 * out if self.conv.bn else 0)

    @property
    def macs(self) -> int:
        out, oh, ow = self.out_shape
        kh, kw = self.conv.kernel
        return out * oh * ow * self.in_shape[0] * kh * kw

    @property
    def label(self) -> str:
        """``3×3, 192→128`` (and ``/2`` when strided)."""
        stride = _stride(self.conv.stride)
        return f"{shape_str(self.conv.kernel)}{' ' + stride if stride else ''}, {self.in_shape[0]}→{self.conv.out}"


def _at(row: LayerInfo) -> ConvAt:
    return ConvAt(row.name, row.layer, row.in_shape)


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
    # channels the pool path adds with its 1×1 projection, and would add without it
    pool_projection: tuple[int, int] | None = None

    @property
    def params_without_reduce(self) -> int:
        return self.params + sum(s.alt_params - s.params for s in self.reduce)

    @property
    def macs_without_reduce(self) -> int:
        return self.macs + sum(s.alt_macs - s.macs for s in self.reduce)

    @property
    def params_unfactorised(self) -> int:
        return self.params + sum(s.alt_params - s.params for s in self.factorise)

    @property
    def macs_unfactorised(self) -> int:
        return self.macs + sum(s.alt_macs - s.macs for s in self.factorise)


# --- reading a block's rows -----------------------------------------------------------------


def _block_rows(a: Analysis, block: str) -> list[LayerInfo]:
    rows = [r for r in a.layers if r.block == block and not r.aux]
    if not rows:
        raise KeyError(f"no block named {block!r}")
    return rows


def _path_names(rows: list[LayerInfo]) -> list[str]:
    names: list[str] = []
    for r in rows:
        top = r.branch.split(".", 1)[0]
        if top and top not in names:
            names.append(top)
    return names


def _row_label(r: LayerInfo) -> str:
    if r.kind == "conv":
        return shape_str(r.kernel) + _stride(r.stride)
    if r.kind in ("maxpool", "avgpool"):
        return f"{shape_str(r.kernel)} {r.kind[:3]}"
    return r.kind


def _trunk(rows: list[LayerInfo], name: str) -> list[LayerInfo]:
    """The path's own layers, before any split and without its split's concat."""
    return [r for r in rows if r.branch == name and r.kind != "concat"]


def _sub_paths(rows: list[LayerInfo], name: str) -> list[str]:
    """The names of the paths a path splits into (``split1``, ``split2``), if it splits."""
    return _path_names([replace(r, branch=r.branch[len(name) + 1 :]) for r in rows if r.branch.startswith(name + ".")])


def _path_label(rows: list[LayerInfo], name: str) -> str:
    parts = [_row_label(r) for r in _trunk(rows, name)]
    subs = _sub_paths(rows, name)
    if subs:
        split = [
            " → ".join(_row_label(r) for r in _trunk(rows, f"{name}.{s}")) for s in subs
        ]
        parts.append("(" + " | ".join(split) + ")")
    return " → ".join(parts)


def paths(a: Analysis, block: str) -> tuple[Path, ...]:
    """The block's parallel paths with their cost and output channels."""
    rows = _block_rows(a, block)
    return _paths(a, block, rows, _path_names(rows))


def _paths(a: Analysis, block: str, rows: list[LayerInfo], names: list[str]) -> tuple[Path, ...]:
    spec = a.network.block(block)
    fields = [f for f, _ in get_kind(spec.kind).fields]
    by_field = dict(zip(names, fields)) if len(fields) == len(names) else {n: n if n in fields else "" for n in names}
    outs = {}
    for name in names:
        mine = [r for r in rows if r.branch == name or r.branch.startswith(name + ".")]
        last = [r for r in mine if r.branch == name][-1]  # the path's last layer or its split's concat
        outs[name] = (mine, last.out_shape[0])
    total = sum(c for _, c in outs.values()) or 1
    return tuple(
        Path(
            name=name,
            field=by_field.get(name, ""),
            label=_path_label(rows, name),
            layers=tuple(r.name for r in mine),
            params=sum(r.params for r in mine),
            macs=sum(r.macs for r in mine),
            out_channels=channels,
            share=channels / total,
        )
        for name, (mine, channels) in outs.items()
    )


# --- the counterfactuals --------------------------------------------------------------------


def _reduce_swaps(rows: list[LayerInfo], names: list[str], block_in: Shape3) -> list[Swap]:
    swaps = []
    for name in names:
        trunk = _trunk(rows, name)
        if not trunk or trunk[0].kind != "conv":
            continue
        first = trunk[0]
        if first.kernel != (1, 1) or first.stride != (1, 1) or first.layer.padding != (0, 0):
            continue
        if len(trunk) > 1:
            readers = [trunk[1]]
        else:  # the 1×1 feeds a split: every sub-path's first layer reads it
            readers = []
            for sub in _sub_paths(rows, name):
                sub_rows = [r for r in rows if r.branch == f"{name}.{sub}"]
                if sub_rows:
                    readers.append(sub_rows[0])
        if not readers or any(r.kind != "conv" or r.kernel == (1, 1) for r in readers):
            continue
        actual = (_at(first), *(_at(r) for r in readers))
        alternative = tuple(ConvAt(r.name, r.layer, block_in) for r in readers)
        swaps.append(Swap("reduce", name, actual, alternative))
    return swaps


def _factor_kernel(a: LayerInfo, b: LayerInfo) -> tuple[int, int] | None:
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


def _factor_swaps(rows: list[LayerInfo], names: list[str]) -> list[Swap]:
    swaps = []
    for name in names:
        trunk = _trunk(rows, name)
        i = 0
        while i + 1 < len(trunk):
            a, b = trunk[i], trunk[i + 1]
            kernel = _factor_kernel(a, b)
            if kernel is None:
                i += 1
                continue
            pa, pb = a.layer.padding, b.layer.padding
            conv = replace(
                b.layer,
                name=f"{a.layer.name}+{b.layer.name}",
                kernel=kernel,
                padding=(pa[0] + pb[0], pa[1] + pb[1]),
            )
            alt = ConvAt(f"{a.name}+{b.layer.name}", conv, a.in_shape)
            swaps.append(Swap("factorise", name, (_at(a), _at(b)), (alt,)))
            i += 2
    return swaps


def lesson(a: Analysis, block: str) -> BlockLesson:
    """One block: its paths, and its cost without 1×1 reduces and without factorisation."""
    rows = _block_rows(a, block)
    spec: Block = a.network.block(block)
    group = a.block(block)
    names = _path_names(rows)
    kind = get_kind(spec.kind)
    pool_projection = None
    for name in names:
        trunk = _trunk(rows, name)
        if len(trunk) == 2 and trunk[0].kind in ("maxpool", "avgpool") and trunk[1].kind == "conv" and trunk[1].kernel == (1, 1):
            pool_projection = (trunk[1].out_shape[0], trunk[0].out_shape[0])
    return BlockLesson(
        block=block,
        kind=spec.kind,
        description=kind.description,
        in_shape=group.in_shape,
        out_shape=group.out_shape,
        params=group.params,
        macs=group.macs,
        paths=_paths(a, block, rows, names),
        reduce=tuple(_reduce_swaps(rows, names, group.in_shape)),
        factorise=tuple(_factor_swaps(rows, names)),
        pool_projection=pool_projection,
    )
