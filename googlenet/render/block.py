"""Blocks: the layers of an opened block inside a network drawing (its paths side by side,
their merge; for a residual block the projection, the identity path and the add), and
``block_dot``, one block on its own as the lecture draws it."""

from __future__ import annotations

from collections.abc import Mapping

from ..analysis import Analysis, Node, shape_str
from ..errors import SpecError
from ..templates import TEMPLATES
from . import layout
from .draw import MAX_NODES, Draw
from .layout import NODESEP, RANKSEP, Extent
from .model import Item, Model, Out, branches_of, kind_text, model_of, sub_branches, trunk_layers
from .text import FONT_SIZE, SMALL_SIZE, TITLE_SIZE, Words, html, text_width

PASSING = 10.0  # points across that an edge takes where it passes a rank without a node


class BlockDrawer:
    """Draws an expanded block's nodes (already in their cluster): branches side by side, their
    merge, and for a residual block the projection, the identity path and the add."""

    def __init__(self, d: Draw, it: Item, index: dict):
        self.d = d
        self.it = it
        self.index = index
        self.names: dict[str, str] | None = None  # block_dot: node key → what it shows as a layer's name

    def nid(self, node: Node) -> str:
        return f"r{self.index[id(node)]}"

    def draw(self, src: Out) -> Out:
        self.src = src
        node, block = self.it.group, self.it.block
        heads: list[str] = []
        branches = branches_of(node)
        merges = [c for c in node.children if c.is_leaf]
        if block.merge == "concat":
            (cat,) = merges
            ends = [self.branch(b, src, heads) if b.children else src for b in branches]
            return self.merge(cat, ends, heads, identity=any(not b.children for b in branches))
        ends = [self.branch(b, src, heads) for b in branches if b.children]
        merges = iter(merges)
        m = next(merges)
        if m.kind == "concat":
            ends = [self.merge(m, ends, heads)]
            heads = []
            m = next(merges)
        if m.kind == "conv":  # the projection
            node_id = self.nid(m)
            self.draw_layer(node_id, m, "project")
            for e in ends:
                self.d.edge(e, node_id)
            ends = [Out(node_id, m.in_shape, m.out_shape)]
            m = next(merges)
        add_id = self.nid(m)
        self.d.layer(add_id, m, "add", scale=block.scale, act=block.act)
        for e in ends:
            self.d.edge(e, add_id)
        if len(heads) > 1:
            with self.d.w.sub(rank="same"):
                self.d.w.line(" -> ".join(heads) + " [style=invis];")
        for _ in (b for b in branches if not b.children):
            # the block figure names the shortcut; in a network, the dashed line into the add says it
            label = self.d.tr("identity") if self.names is not None else None
            self.d.edge(src, add_id, style="dashed", label=label, weight=0)
        return Out(add_id, m.in_shape, m.out_shape)

    def draw_layer(self, node_id: str, row: Node, short: str) -> None:
        self.d.layer(node_id, row, (self.names or {}).get(row.key, short))

    def branch(self, br: Node, src: Out, heads: list[str]) -> Out:
        prev = src
        for n, row in enumerate(trunk_layers(br)):
            node_id = self.nid(row)
            self.draw_layer(node_id, row, row.name)
            self.d.edge(prev, node_id)
            if n == 0:
                heads.append(node_id)
            prev = Out(node_id, row.in_shape, row.out_shape)
        subs = sub_branches(br)
        if subs:
            sub_heads: list[str] = []
            ends = [self.branch(s, prev, sub_heads) for s in subs]
            if not trunk_layers(br):
                heads.extend(sub_heads)
                sub_heads = []
            cat = next(c for c in br.children if c.kind == "concat")
            prev = self.merge(cat, ends, sub_heads)
        return prev

    def merge(self, row: Node, ends: list[Out], heads: list[str], identity: bool = False) -> Out:
        node_id = self.nid(row)
        self.d.layer(node_id, row, "concat")
        for e in ends:
            if e is self.src and identity:
                self.d.edge(e, node_id, style="dashed", label=self.d.tr("input"), weight=0)
            else:
                self.d.edge(e, node_id)
        if len(heads) > 1:
            # the lecture's figure: paths start side by side, in their order, left to right
            with self.d.w.sub(rank="same"):
                self.d.w.line(" -> ".join(heads) + " [style=invis];")
        return Out(node_id, row.in_shape, row.out_shape)

    def extent(self, orientation: str) -> Extent:
        """The block's estimated size, rank by rank (its cluster's margins not included).

        Graphviz sets each rank's nodes side by side, so a block is as wide as its widest
        rank (an edge passing a rank where its path has no node takes a little room too),
        and a rank is as long as its longest node.
        """
        sizes = self.d.sizes

        def ext(node: Node) -> Extent:
            return layout.oriented(*sizes[self.nid(node)], orientation)

        def side_by_side(parts: list[tuple[list[float], list[float]]]) -> tuple[list[float], list[float]]:
            depth = max((len(p) for p, _ in parts), default=0)
            prof = [max(p[r] for p, _ in parts if r < len(p)) for r in range(depth)]
            widths = [sum(w[r] if r < len(w) else PASSING for _, w in parts) + NODESEP * (len(parts) - 1) for r in range(depth)]
            return prof, widths

        def branch(br: Node) -> tuple[list[float], list[float]]:
            prof = [ext(r).along for r in trunk_layers(br)]
            widths = [ext(r).across for r in trunk_layers(br)]
            subs = sub_branches(br)
            if subs:
                sub, sub_widths = side_by_side([branch(s) for s in subs])
                cat = ext(next(c for c in br.children if c.kind == "concat"))
                prof += [*sub, cat.along]
                widths += [*sub_widths, cat.across]
            return prof, widths

        node = self.it.group
        prof, widths = side_by_side([branch(b) for b in branches_of(node) if b.children])
        identity = sum(1 for b in branches_of(node) if not b.children)
        widths = [w + (PASSING + NODESEP) * identity for w in widths]  # the identity edge runs beside
        for m in (c for c in node.children if c.is_leaf):
            e = ext(m)
            prof.append(e.along)
            widths.append(e.across)
        return Extent(sum(prof) + RANKSEP * max(0, len(prof) - 1), max(widths, default=0.0), tuple(prof))


def block_dot(
    a: Analysis,
    block: str,
    theme: str = "light",
    orientation: str = "bt",
    transparent: bool = False,
    words: Mapping[str, str] | None = None,
) -> str:
    """One block as the lecture draws it: the input at the bottom (``orientation="bt"``, or
    ``tb``, ``lr``), the paths side by side with their widths (c1–c4 for an Inception
    block), their merge at the top, and a legend of the kinds drawn."""
    m = model_of(a)
    found = [(st, it) for st in m.stages for it in st.items if it.block is not None and it.name == block]
    if not found:
        names = [it.name for st in m.stages for it in st.items if it.block is not None]
        raise SpecError("block", "expand.unknown", value=repr(block), names=", ".join(names))
    st, it = found[0]
    if it.group.n_layers + 1 > MAX_NODES:
        raise SpecError("block", "diagram.too_large", level="block", nodes=f"{it.group.n_layers + 1:,}", limit=f"{MAX_NODES:,}")
    d = Draw(a, "kind", True, theme, orientation, transparent, words)
    g = it.group
    template = TEMPLATES.get(it.block.kind) if it.block.kind else None
    call = (
        f"{it.block.kind}(" + ", ".join(f"{k}={v[0] if len(v) == 1 else v}" for k, v in it.block.widths) + ")"
        if template
        else kind_text(it.block, d.tr)
    )
    title = (
        f"<B>{html(it.name)}</B>  ·  {html(call)}<BR/>"
        f"{html(shape_str(g.in_shape))} → {html(shape_str(g.out_shape))}  ·  {html(d.numbers_text(g.params, g.macs))}"
    )
    described = d.tr.description(it.block.kind, template.description) if template is not None else ""
    if template is not None:
        title += f'<BR/><FONT POINT-SIZE="{SMALL_SIZE}">{html(described)}</FONT>'
    drawer = BlockDrawer(d, it, m.index)
    drawer.names = _width_names(a, it) if template is not None else {}
    prev = _previous(m, it, d.tr)
    d.text_node(
        "input",
        [(d.tr("input"), FONT_SIZE, True), (d.tr("input.from", name=prev), FONT_SIZE, False), (shape_str(g.in_shape), FONT_SIZE, False)],
        shape="box",
        style="rounded",
    )
    drawer.draw(Out("input", g.in_shape, g.in_shape))
    e = drawer.extent(orientation)
    width = max(
        text_width(f"{it.name}  ·  {call}", TITLE_SIZE),
        text_width(f"{shape_str(g.in_shape)} → {shape_str(g.out_shape)}  ·  {d.numbers_text(g.params, g.macs)}", TITLE_SIZE),
        text_width(described, SMALL_SIZE),
    )
    return d.finish(title, legend_width=max(300.0, e.across if layout.vertical(orientation) else e.along), title_width=width)


def _previous(m: Model, it: Item, tr: Words) -> str:
    flat = [x for s in m.stages for x in s.items]
    i = next(n for n, x in enumerate(flat) if x is it)
    return flat[i - 1].name if i > 0 else tr("input.network")


def _width_names(a: Analysis, it: Item) -> dict[str, str]:
    """Leaf key → ``c2[0] = 96``: which width field made each conv, found by matching each
    field's channels with a path's convs (so nothing is claimed that the numbers do not show)."""
    from ..layers import scaled

    net = a.network

    def convs(br: Node, deep: bool) -> list[Node]:
        out = [r for r in trunk_layers(br) if r.kind == "conv"]
        if deep:
            for s in sub_branches(br):
                out += convs(s, True)
        return out

    # candidates: a whole path (its splits included), its trunk, each split on its own
    paths = []
    for br in branches_of(it.group):
        paths.append(convs(br, True))
        paths.append(convs(br, False))
        for s in sub_branches(br):
            paths.append(convs(s, True))
    names: dict[str, str] = {}
    for field, values in it.block.widths:
        want = [scaled(v, net.width) for v in values]
        for p in paths:
            if p and [r.out_shape[0] for r in p] == want and not any(r.key in names for r in p):
                for j, r in enumerate(p):
                    names[r.key] = f"{field} = {r.out_shape[0]}" if len(values) == 1 else f"{field}[{j}] = {r.out_shape[0]}"
                break
    return names
