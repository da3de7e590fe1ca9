"""What changed between two networks: the input, the classes, the width multiplier, the aux
heads, each stage's block count, each block's widths or structure, each stem or head layer.

Pure and small: the Compare page lists it, and the diagram marks the blocks it names (the
design before and after a change, or the two sides of a comparison). Blocks are matched by
their stage and name, as a block count change adds or removes blocks at a stage's end.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass, replace

from .layers import shape_str
from .spec import Block, Network

WHATS = ("network", "count", "widths", "structure", "added", "removed")


@dataclass(frozen=True)
class Change:
    """One difference: ``what`` (one of ``WHATS``), where (``key``: a block's, layer's or
    stage's analysis key, or a network field), and the value on either side as text (``""``
    where a side has none)."""

    what: str
    key: str
    a: str
    b: str


def _widths(b: Block) -> str:
    return ", ".join(f"{name} {'/'.join(map(str, values))}" for name, values in b.widths)


def _same_but_name(x, y) -> bool:
    return replace(x, name="") == replace(y, name="")


def _layer_text(layer) -> str:
    return getattr(layer, "label", None) or type(layer).__name__


def _fields_apart(x, y) -> tuple[str, str]:
    """Two layers of one type that read the same: the fields in which they differ."""
    if type(x) is not type(y) or not is_dataclass(x):
        return _layer_text(x), _layer_text(y)
    apart = [f.name for f in fields(x) if f.name != "name" and getattr(x, f.name) != getattr(y, f.name)]
    return (", ".join(f"{n} {getattr(x, n)}" for n in apart), ", ".join(f"{n} {getattr(y, n)}" for n in apart))


def _item_text(item) -> str:
    if isinstance(item, Block):
        return f"{item.kind or 'block'}: {_widths(item)}" if item.widths else f"{item.kind or 'block'}, {len(item.branches)} branches"
    return _layer_text(item)


def diff(a: Network, b: Network) -> list[Change]:
    """Every difference from ``a`` to ``b``, in the order of the network (network fields first)."""
    out: list[Change] = []
    for what, va, vb in (
        ("input", shape_str(a.input), shape_str(b.input)),
        ("classes", str(a.classes), str(b.classes)),
        ("width multiplier", f"{a.width:g}", f"{b.width:g}"),
        ("aux heads", "on" if a.aux_enabled and a.aux else "off", "on" if b.aux_enabled and b.aux else "off"),
    ):
        if va != vb:
            out.append(Change("network", what, va, vb))
    if a.style != b.style:
        out.append(Change("network", "style", "", ""))
    stages_b = {s.name: s for s in b.stages}
    stages_a = {s.name: s for s in a.stages}
    for s in a.stages:
        t = stages_b.get(s.name)
        if t is None:
            out.append(Change("removed", "." + s.name, f"{len(s.items)} items", ""))
            continue
        blocks_a = [it for it in s.items if isinstance(it, Block)]
        blocks_b = [it for it in t.items if isinstance(it, Block)]
        if len(blocks_a) != len(blocks_b):
            out.append(Change("count", "." + s.name, str(len(blocks_a)), str(len(blocks_b))))
        items_b = {it.name: it for it in t.items}
        for it in s.items:
            other = items_b.get(it.name)
            if other is None:
                out.append(Change("removed", it.name, _item_text(it), ""))
            elif isinstance(it, Block) and isinstance(other, Block):
                if it.kind == other.kind and it.widths and other.widths and it.widths != other.widths:
                    same = _same_but_name(replace(it, widths=(), branches=()), replace(other, widths=(), branches=()))
                    out.append(Change("widths" if same else "structure", it.name, _widths(it), _widths(other)))
                elif not _same_but_name(it, other):
                    out.append(Change("structure", it.name, _item_text(it), _item_text(other)))
            elif it != other:
                ta, tb = _item_text(it), _item_text(other)
                if ta == tb:
                    ta, tb = _fields_apart(it, other)
                out.append(Change("structure", it.name, ta, tb))
        names_a = {it.name for it in s.items}
        out += [Change("added", it.name, "", _item_text(it)) for it in t.items if it.name not in names_a]
    out += [Change("added", "." + t.name, "", f"{len(t.items)} items") for t in b.stages if t.name not in stages_a]
    if a.head != b.head:
        out.append(Change("structure", ".head", ", ".join(map(_layer_text, a.head)), ", ".join(map(_layer_text, b.head))))
    return out


def changed_keys(changes: list[Change], side: str = "b") -> list[str]:
    """The keys of the blocks, layers and stages that ``changes`` name and ``side`` draws:
    what a diagram of that side marks (network-wide changes mark nothing)."""
    keys = []
    for c in changes:
        if c.what == "network":
            continue
        if (c.what == "added" and side == "a") or (c.what == "removed" and side == "b"):
            continue
        if c.key not in keys:
            keys.append(c.key)
    return keys
