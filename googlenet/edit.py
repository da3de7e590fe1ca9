"""Structural edits: change, insert and remove layers anywhere (stem, blocks, head, aux heads);
add, remove and reorder a block's branches; change its merge; reset it to its template.

Every function takes a network and returns a new one; places are named by the analysis
tree's keys (``conv1``, ``inception3a.branch2.conv1``, ``inception3a.branch3x3.split1``,
``head``, a stage's name, an aux head's name). A block changed here no longer matches its
template, so it is written out in the config; ``reset_block`` makes it from the template
again. What the change means for shapes is checked when the result is analysed.
"""

from __future__ import annotations

from dataclasses import replace

from .errors import SpecError, shown
from .knobs import _where, replace_item
from .spec import Block, Branch, Layer, Network
from .templates import get_template, remake


def _unknown(key: str) -> SpecError:
    return SpecError("node", "node.unknown", value=shown(key))


# --- finding a layer sequence ---------------------------------------------------------------------


def _map_branch(br: Branch, path: list[str], fn) -> Branch:
    """``br`` with ``fn`` applied to the sequence at ``path`` (empty: its own layers)."""
    if not path:
        return fn(br)
    head, rest = path[0], path[1:]
    subs = tuple(_map_branch(s, rest, fn) if s.name == head else s for s in br.split)
    if subs == br.split and not any(s.name == head for s in br.split):
        raise _unknown(head)
    return replace(br, split=subs)


def _map_block(block: Block, path: list[str], fn) -> Block:
    head, rest = path[0], path[1:]
    if not any(b.name == head for b in block.branches):
        raise _unknown(f"{block.name}.{head}")
    return replace(block, branches=tuple(_map_branch(b, rest, fn) if b.name == head else b for b in block.branches))


def _split_key(net: Network, key: str) -> tuple[str, list[str]]:
    first, *rest = key.split(".")
    return first, rest


def map_branch(net: Network, key: str, fn) -> Network:
    """Apply ``fn(Branch) → Branch`` to the branch (or split path) ``key``."""
    first, rest = _split_key(net, key)
    if not rest:
        raise _unknown(key)
    _, block = _where(net, first)
    return replace_item(net, first, _map_block(block, rest, fn))


def map_sequence(net: Network, where: str, fn) -> Network:
    """Apply ``fn(tuple of layers) → tuple of layers`` to the layers of ``where``: a stage's name,
    ``head``, an aux head's name or a branch key."""
    for st in net.stages:
        if st.name == where:
            layers = tuple(it for it in st.items)
            return replace(net, stages=tuple(replace(s, items=tuple(fn(layers))) if s is st else s for s in net.stages))
    if where == "head":
        return replace(net, head=tuple(fn(net.head)))
    for h in net.aux:
        if h.name == where:
            return replace(net, aux=tuple(replace(x, layers=tuple(fn(x.layers))) if x is h else x for x in net.aux))
    return map_branch(net, where, lambda br: replace(br, layers=tuple(fn(br.layers))))


def _parent(net: Network, key: str) -> tuple[str, str]:
    """The sequence holding the layer ``key``, and the layer's name."""
    if "." not in key:
        for st in net.stages:
            if any(it.name == key for it in st.items):
                return st.name, key
        if any(x.name == key for x in net.head):
            return "head", key
        raise _unknown(key)
    where, name = key.rsplit(".", 1)
    return where, name


# --- layers -----------------------------------------------------------------------------------------


def set_layer(net: Network, key: str, **changes) -> Network:
    """The layer ``key`` with fields changed (``out=96``, ``kernel=(3, 3)``, ``bn=True``, …)."""
    where, name = _parent(net, key)
    if name == "project" and "." in key:
        _, block = _where(net, where)
        if block.project is None:
            raise _unknown(key)
        return replace_item(net, where, replace(block, project=replace(block.project, **changes)))
    found = []

    def fn(layers):
        out = []
        for x in layers:
            if x.name == name and not isinstance(x, Block):
                x = replace(x, **changes)
                found.append(x)
            out.append(x)
        return out

    net = map_sequence(net, where, fn)
    if not found:
        raise _unknown(key)
    return net


def insert_layer(net: Network, where: str, layer: Layer, index: int | None = None) -> Network:
    """``layer`` inserted into ``where`` (a stage, ``head``, an aux head or a branch) at ``index``
    (default: at the end)."""

    def fn(layers):
        layers = list(layers)
        layers.insert(len(layers) if index is None else index, layer)
        return layers

    return map_sequence(net, where, fn)


def remove_layer(net: Network, key: str) -> Network:
    """The layer (or, at the top level, the block) ``key`` removed."""
    where, name = _parent(net, key)
    found = []

    def fn(layers):
        kept = [x for x in layers if x.name != name]
        if len(kept) != len(layers):
            found.append(name)
        return kept

    net = map_sequence(net, where, fn)
    if not found:
        raise _unknown(key)
    return replace(net, aux=tuple(h for h in net.aux if h.after != name))


def replace_layer(net: Network, key: str, layer: Layer) -> Network:
    """The layer ``key`` replaced by another (of any type)."""
    where, name = _parent(net, key)
    return map_sequence(net, where, lambda layers: [layer if x.name == name else x for x in layers])


# --- branches and merges --------------------------------------------------------------------------------


def add_branch(net: Network, block_name: str, branch: Branch, index: int | None = None) -> Network:
    _, block = _where(net, block_name)
    branches = list(block.branches)
    branches.insert(len(branches) if index is None else index, branch)
    return replace_item(net, block_name, replace(block, branches=tuple(branches)))


def remove_branch(net: Network, key: str) -> Network:
    block_name, _, name = key.partition(".")
    _, block = _where(net, block_name)
    kept = tuple(b for b in block.branches if b.name != name)
    if len(kept) == len(block.branches):
        raise _unknown(key)
    return replace_item(net, block_name, replace(block, branches=kept))


def move_branch(net: Network, key: str, offset: int) -> Network:
    """The branch ``key`` moved ``offset`` places (−1: one to the left), within its block."""
    block_name, _, name = key.partition(".")
    _, block = _where(net, block_name)
    branches = list(block.branches)
    i = next((n for n, b in enumerate(branches) if b.name == name), None)
    if i is None:
        raise _unknown(key)
    j = min(max(i + offset, 0), len(branches) - 1)
    branches.insert(j, branches.pop(i))
    return replace_item(net, block_name, replace(block, branches=tuple(branches)))


def set_merge(net: Network, block_name: str, **changes) -> Network:
    """A block's merge changed: ``merge``, ``project``, ``scale``, ``act``."""
    _, block = _where(net, block_name)
    return replace_item(net, block_name, replace(block, **changes))


def reset_block(net: Network, block_name: str) -> Network:
    """The block made again by its template, from the widths it was made with."""
    _, block = _where(net, block_name)
    if block.kind is None:
        raise SpecError(block_name, "template.none", block=block_name)
    get_template(block.kind, f"{block_name}.kind")
    return replace_item(net, block_name, remake(block, net.style))
