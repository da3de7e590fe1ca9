"""The network as units to draw: its stages, their items (layers and blocks) and its aux
heads, read from the analysis tree, with the rows under each (their row indices are the DOT
node ids), and the few words that describe a block."""

from __future__ import annotations

from dataclasses import dataclass

from ..analysis import Analysis, Node
from ..spec import AuxHead, Block
from .text import Words


def check(what: str, value, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(map(str, allowed))}; got {value!r}")


@dataclass(frozen=True)
class Item:
    """A stage item: a top-level layer (one row) or a block (its node in the tree)."""

    name: str
    start: int  # index of its first row in ``a.layers``
    rows: tuple[Node, ...]
    block: Block | None = None
    group: Node | None = None


@dataclass(frozen=True)
class StageView:
    index: int
    name: str
    items: tuple[Item, ...]
    group: Node
    head: bool = False


@dataclass(frozen=True)
class AuxView:
    index: int
    head: AuxHead
    start: int
    rows: tuple[Node, ...]
    group: Node


@dataclass(frozen=True)
class Model:
    stages: tuple[StageView, ...]
    aux: tuple[AuxView, ...]
    index: dict  # id(leaf node) → its row in ``a.layers`` (the DOT node ids)


def model_of(a: Analysis) -> Model:
    """The analysis tree's stages, items and aux heads, with the rows under each."""
    index = {id(n): i for i, n in enumerate(a.layers)}
    stages = []
    for k, st in enumerate(a.stages):
        items = []
        for it in st.children:
            rows = (it,) if it.is_leaf else tuple(it.leaves())
            block = it.layer if it.kind == "block" else None
            items.append(Item(it.name, index[id(rows[0])], rows, block, it if block is not None else None))
        stages.append(StageView(k, st.name, tuple(items), st, st.kind == "head"))
    specs = {h.name: h for h in a.network.aux}
    aux = [AuxView(k, specs[h.name], index[id(h.children[0])], tuple(h.leaves()), h) for k, h in enumerate(a.aux)]
    return Model(tuple(stages), tuple(aux), index)


def expandable(a: Analysis) -> list[str]:
    """The names ``expand=`` accepts: stages, blocks and (when on) aux heads."""
    m = model_of(a)
    names = [s.name for s in m.stages]
    names += [it.name for s in m.stages for it in s.items if it.block is not None]
    names += [x.head.name for x in m.aux]
    seen: set[str] = set()
    return [n for n in names if not (n in seen or seen.add(n))]


@dataclass(frozen=True)
class Out:
    """A drawn tensor source: the node and the shapes around it."""

    node: str
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]


def res_changed(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return len(a) != len(b) or (len(a) == 3 and a[1:] != b[1:])


def sub_branches(branch: Node) -> list[Node]:
    return [c for c in branch.children if c.kind == "branch"]


def trunk_layers(branch: Node) -> list[Node]:
    return [c for c in branch.children if c.is_leaf and c.kind != "concat"]


def path_depth(branch: Node) -> int:
    subs = sub_branches(branch)
    sub = max((path_depth(s) for s in subs), default=0)
    return len(trunk_layers(branch)) + (sub + 1 if subs else 0)


def branches_of(block: Node) -> list[Node]:
    return [c for c in block.children if c.kind == "branch"]


def color_kind(block: Block) -> str:
    return "residual" if block.merge == "add" else "block"


def kind_text(block: Block, w: Words) -> str:
    """What a block is: its template's name, or "block" for one written by hand."""
    return w.kind(block.kind) if block.kind else w("residual block" if block.merge == "add" else "block")


def widths_text(block: Block) -> list[str]:
    return [f"{k} {','.join(map(str, v))}" for k, v in block.widths]


def scale_text(block: Block) -> list[str]:
    return [f"scale {block.scale:g}"] if block.merge == "add" else []
