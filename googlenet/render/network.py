"""The network diagram: ``to_dot`` draws the chain of stages, items and opened blocks in
columns (rows, left to right) chosen by ``layout.plan``, runs of equal blocks folded into one
node, and ``legend`` lists what its legend shows.

The DOT text is deterministic (node ids come from positions, never from names: ``r<row>``
for a layer, ``b<row>`` for a collapsed block, ``f<row>`` for a folded run of blocks,
``s<stage>`` for a stage, ``t<row>`` for an opened block's title) and every name is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..analysis import Analysis, shape_str
from ..errors import SpecError
from . import layout
from .block import BlockDrawer
from .draw import COLORS, LINE, MAX_NODES, WIDTH_DETAIL, WIDTH_TITLE, Draw, cluster_key
from .layout import CLUSTER_MARGIN, FITS, NODESEP, RANKSEP, Extent
from .model import (
    Item,
    Out,
    StageView,
    branches_of,
    check,
    color_kind,
    expandable,
    kind_text,
    model_of,
    path_depth,
    res_changed,
    scale_text,
    widths_text,
)
from .palette import KIND_COLORS, KIND_LEGEND, NO_WEIGHTS, viridis
from .text import FONT_SIZE, SMALL_SIZE, TITLE_SIZE, Html, Words, Writer, html, text_width, wrap

LEVELS = ("stages", "blocks", "layers")




@dataclass(frozen=True)
class Unit:
    """One step of the main chain: a collapsed stage, a layer, a block (open or not), or a
    run of equal blocks folded into one node."""

    stage: StageView
    item: Item | None  # None: the whole stage, collapsed
    open: bool  # a block drawn layer by layer
    ranks: int  # ranks it takes
    run: tuple[Item, ...] = ()  # a folded run: its blocks (item is the first)

    @property
    def nodes(self) -> int:
        if self.open:
            return self.item.group.n_layers + 1
        return 1


class Network(Draw):
    def __init__(self, a: Analysis, level: str, expand: str | None, color: str, numbers: bool, theme: str,
                 orientation: str = "tb", fit: str | None = None, fold: bool = True, transparent: bool = False,
                 words: Mapping[str, str] | None = None):
        super().__init__(a, color, numbers, theme, orientation, transparent, words)
        check("level", level, LEVELS)
        if fit is not None:
            check("fit", fit, tuple(FITS))
        if not isinstance(fold, bool):
            raise ValueError(f"fold must be true or false; got {fold!r}")
        self.level = level
        self.fit = fit
        self.fold = fold
        self.m = model_of(a)
        self.expand = expand
        if expand is not None and expand not in expandable(a):
            raise SpecError("expand", "expand.unknown", value=repr(expand), names=", ".join(expandable(a)))
        self.exits: dict[int, Out] = {}  # stage index → the drawn output of the stage
        self.block_exits: dict[str, Out] = {}
        self.vertical = layout.vertical(orientation)

    def units(self) -> list[Unit]:
        units = []
        for st in self.m.stages:
            stage_open = self.level != "stages" or self.expand == st.name or any(it.name == self.expand for it in st.items)
            if not stage_open:
                units.append(Unit(st, None, False, 1))
                continue
            folds = {}
            if self.fold and self.level == "blocks":
                blocks = [it.block for it in st.items]
                keep = {k for k, it in enumerate(st.items) if it.name == self.expand or self.expand == st.name}
                folds = {i: j for i, j in layout.runs(blocks, keep)}
            k = 0
            while k < len(st.items):
                it = st.items[k]
                if k in folds:
                    j = folds[k]
                    units.append(Unit(st, it, False, 1, st.items[k:j]))
                    k = j
                    continue
                k += 1
                if it.block is None:
                    units.append(Unit(st, it, False, 1))
                    continue
                opened = self.level == "layers" or self.expand in (st.name, it.name)
                if not opened:
                    units.append(Unit(st, it, False, 1))
                    continue
                branches = branches_of(it.group)
                height = max((path_depth(b) for b in branches), default=0) + 2 + (2 if it.block.merge == "add" else 0)
                units.append(Unit(st, it, True, height))
        return units

    def count(self, units: list[Unit]) -> int:
        n = 1 + sum(u.nodes for u in units)
        for x in self.m.aux:
            n += len(x.rows) if (self.level == "layers" or self.expand == x.head.name) else 1
        return n

    def draw(self) -> str:
        net = self.a.network
        units = self.units()
        nodes = self.count(units)
        if nodes > MAX_NODES:
            raise SpecError("level", "diagram.too_large", level=self.level, nodes=f"{nodes:,}", limit=f"{MAX_NODES:,}")
        title_lines, title = self.title()
        extents = self.measure(units)
        starts = {k for k in range(1, len(units)) if units[k].stage is not units[k - 1].stage}
        ranks = 1 + sum(u.ranks for u in units)
        inp = Out("input", tuple(net.input), tuple(net.input))
        self.text_node("input", [(self.tr("input"), FONT_SIZE, True), (shape_str(net.input), FONT_SIZE, False)], shape="box", style="rounded")
        io = layout.oriented(*self.sizes["input"], self.orientation)
        conn = Extent(io.along, io.across + 20)

        label = LINE * FONT_SIZE + 2 * CLUSTER_MARGIN  # a stage cluster's label and margins

        def column_extent(i: int, j: int, k: int) -> Extent:
            """Column ``k``: the input or the connector from the previous column, units
            ``i:j`` in their stages' clusters, the connector to the next column."""
            prof = [conn.along]
            across = conn.across
            prev = None
            for u, e in zip(units[i:j], extents[i:j]):
                ranks = list(e.ranks)
                width = e.across
                if u.item is not None:
                    width += 2 * CLUSTER_MARGIN
                    if u.stage is not prev:  # a stage cluster begins: its label and margin
                        if self.vertical:
                            ranks[0] += label
                            strut = self.strut(self.stage_label(u.stage, u), self.first_across(u))
                            if strut:
                                width += strut + NODESEP
                        else:
                            ranks[0] += 2 * CLUSTER_MARGIN
                            width += LINE * FONT_SIZE
                prof += ranks
                across = max(across, width)
                prev = u.stage if u.item is not None else None
            if j < len(units):
                prof.append(conn.along)
            return Extent(sum(prof) + RANKSEP * (len(prof) - 1), across, tuple(prof))

        p = layout.plan(extents, starts, ranks, column_extent, self.title_extent(title_lines, 480.0), self.orientation, self.fit)
        self.used.clear()  # what the real drawing uses, below
        self.w = Writer()
        self.edges = []
        self.text_node("input", [(self.tr("input"), FONT_SIZE, True), (shape_str(net.input), FONT_SIZE, False)], shape="box", style="rounded")
        tops = ["input"]
        src = inp
        self.straight.add("input")
        to, frm = ("column.to", "column.from") if self.vertical else ("row.to", "row.from")
        for k, col in enumerate(layout.pieces(units, list(p.cuts))):
            if k > 0:
                # off-page connectors: an edge from the end of one column to the start of
                # the next would cross the whole drawing
                shape = shape_str(src.out_shape)
                self.text_node(f"to{k}", [(self.tr(to, n=k + 1), FONT_SIZE, False), (shape, FONT_SIZE, False)], shape="cds")
                self.edge(src, f"to{k}")
                self.text_node(f"from{k}", [(self.tr(frm, n=k), FONT_SIZE, False), (shape, FONT_SIZE, False)], shape="cds")
                tops.append(f"from{k}")
                src = Out(f"from{k}", src.out_shape, src.out_shape)
                self.straight.add(f"from{k}")
            src = self.column(k, col, src)
        self.aux_heads()
        with self.w.sub(rank="same"):
            self.w.line(" -> ".join(tops) + " [style=invis];" if len(tops) > 1 else f"{tops[0]};")
        title_width = max(text_width(x, TITLE_SIZE) for x in title_lines)
        return self.finish(title, p.ratio, legend_width=max(300.0, p.width - 2 * layout.PAD), title_width=title_width)

    def title(self) -> tuple[list[str], str]:
        net = self.a.network
        c, h, w = net.input
        parts = [net.name, f"{self.tr('input')} {c}×{h}×{w}", self.tr("classes", n=net.classes)]
        if self.numbers:
            t = self.a.totals
            parts.append(self.numbers_text(t.params, t.macs))
        text = f"<B>{html(parts[0])}</B>  ·  " + "  ·  ".join(html(x) for x in parts[1:])
        return ["  ·  ".join(parts)], text

    def measure(self, units: list[Unit]) -> list[Extent]:
        """Each unit's estimated extent, from a scratch drawing of it (cheap: no Graphviz)."""
        saved = self.w, self.edges
        self.w, self.edges = Writer(), []
        dummy = Out("input", (), ())
        out = []
        for u in units:
            if u.item is None:
                self.stage_node(u.stage, dummy)
                out.append(layout.oriented(*self.sizes[f"s{u.stage.index}"], self.orientation))
            elif u.open:
                e = self.open_block(u.item, dummy).extent(self.orientation)
                t = layout.oriented(*self.sizes[f"t{u.item.start}"], self.orientation)
                prof = [t.along + CLUSTER_MARGIN, *e.ranks]
                prof[-1] += CLUSTER_MARGIN
                out.append(Extent(sum(prof) + RANKSEP * (len(prof) - 1), max(e.across, t.across) + 2 * CLUSTER_MARGIN, tuple(prof)))
            else:
                node_id = self.item(u, dummy).node
                out.append(layout.oriented(*self.sizes[node_id], self.orientation))
        self.w, self.edges = saved
        self.exits.clear()
        self.block_exits.clear()
        return out

    def column(self, k: int, units: list[Unit], src: Out) -> Out:
        """Draw one column: runs of units of the same stage share a cluster."""
        i = 0
        while i < len(units):
            st = units[i].stage
            j = i
            while j < len(units) and units[j].stage is st:
                j += 1
            run = units[i:j]
            if run[0].item is None:
                src = self.stage_node(st, src)
            else:
                text = self.stage_label(st, run[0])
                with self.dashed_box(f"cluster_s{st.index}_{k}", f"<B>{html(text)}</B>"):
                    # the edge into the cluster runs to its first node: keep that node clear
                    # of the cluster's title, which sits above it on the left, with a spacer
                    strut = self.strut(text, self.first_across(run[0]))
                    spacer = (f"w{st.index}_{k}", strut) if strut > 0 else None
                    for n, u in enumerate(run):
                        if u.open:
                            src = self.open_block(u.item, src, spacer if n == 0 else None).out
                        else:
                            src = self.item(u, src)
                            if n == 0 and spacer:
                                self.spacer(*spacer, self.node_of(u))
                        self.block_exits[u.item.name] = src
                        for x in u.run:
                            self.block_exits[x.name] = src
            self.exits[st.index] = src
            i = j
        return src

    def stage_label(self, st: StageView, u: Unit) -> str:
        return st.name if u.item is st.items[0] else self.tr("continued", name=st.name)

    def strut(self, label: str, first_across: float) -> float:
        """How wide a spacer beside a stage cluster's first node must be for the edge that
        enters the cluster (at that node's middle) to pass clear of the cluster's title."""
        if not self.vertical:
            return 0.0  # left to right, the edge enters from the side, below the title
        clear = text_width(label, FONT_SIZE, True) + 6 - first_across / 2  # beyond the node's middle
        return max(4.0, clear - NODESEP) if clear > 0 else 0.0

    def node_of(self, u: Unit) -> str:
        it = u.item
        if it.block is None:
            return f"r{it.start}"
        return f"f{it.start}" if u.run else f"b{it.start}"

    def first_across(self, u: Unit) -> float:
        """The size across the chain of a unit's first node (an opened block's title)."""
        first = f"t{u.item.start}" if u.open else self.node_of(u)
        return layout.oriented(*self.sizes[first], self.orientation).across

    def dashed_box(self, name: str, label: str):
        """A stage's or an aux head's cluster: a dashed rounded box titled top left."""
        return self.w.sub(
            name, label=Html(label), labeljust="l", style="rounded,dashed",
            color=self.th.cluster, fontcolor=self.th.muted, fontsize=FONT_SIZE,
        )

    def stage_node(self, st: StageView, src: Out) -> Out:
        g = st.group
        node_id = f"s{st.index}"
        kinds = [color_kind(it.block) if it.block else it.rows[0].kind for it in st.items]
        weight: dict[str, int] = {}
        for kind, it in zip(kinds, st.items):
            weight[kind] = weight.get(kind, 0) + sum(r.macs for r in it.rows)
        main = "residual" if "residual" in weight else "block" if "block" in weight else max(weight, key=lambda k: (weight[k], k))
        self.box(
            node_id,
            wrap(stage_summary(st, self.tr), WIDTH_DETAIL, FONT_SIZE, sep=", ", bold=True),
            st.name,
            g.out_shape,
            g.params,
            g.macs,
            main,
            tooltip=f"stage {st.name}: {shape_str(g.in_shape)} → {shape_str(g.out_shape)}, {g.n_layers} layers, {g.params:,} params, {g.macs:,} MACs",
            bold_name=True,
            res_change=res_changed(g.in_shape, g.out_shape),
            key=g.key,
        )
        self.edge(src, node_id)
        out = Out(node_id, g.in_shape, g.out_shape)
        for it in st.items:
            self.block_exits[it.name] = out
        return out

    def item(self, u: Unit, src: Out) -> Out:
        it = u.item
        if it.block is None:
            (row,) = it.rows
            node_id = f"r{it.start}"
            self.layer(node_id, row, it.name)
            self.edge(src, node_id)
            return Out(node_id, row.in_shape, row.out_shape)
        detail = widths_text(it.block) + scale_text(it.block)
        kind = kind_text(it.block, self.tr)
        if u.run:
            first, last = u.run[0].group, u.run[-1].group
            names = [x.name for x in u.run]
            params = sum(x.group.params for x in u.run)
            macs = sum(x.group.macs for x in u.run)
            node_id = f"f{it.start}"
            self.box(
                node_id,
                [kind],
                self.tr("repeat", name=layout.run_name(names[0], names[-1]), n=len(names)),
                last.out_shape,
                params,
                macs,
                color_kind(it.block),
                detail=detail,
                tooltip=f"{len(names)} equal {kind} blocks, {', '.join(names)}: {shape_str(first.in_shape)} → {shape_str(last.out_shape)}, {params:,} params, {macs:,} MACs",
                bold_name=True,
                res_change=res_changed(first.in_shape, last.out_shape),
                repeat=True,
                key=first.key,
            )
            self.edge(src, node_id)
            return Out(node_id, first.in_shape, last.out_shape)
        g = it.group
        node_id = f"b{it.start}"
        self.box(
            node_id,
            [kind],
            it.name,
            g.out_shape,
            g.params,
            g.macs,
            color_kind(it.block),
            detail=detail,
            tooltip=f"{it.name} ({kind}): {shape_str(g.in_shape)} → {shape_str(g.out_shape)}, {g.params:,} params, {g.macs:,} MACs",
            bold_name=True,
            res_change=res_changed(g.in_shape, g.out_shape),
            key=g.key,
        )
        self.edge(src, node_id)
        return Out(node_id, g.in_shape, g.out_shape)

    def spacer(self, node_id: str, width: float, beside: str) -> None:
        """An invisible node ``width`` points wide on the left of ``beside``, in its rank
        (written in ``beside``'s own cluster: a rank constraint across clusters moves nodes)."""
        self.w.node(node_id, shape="box", style="invis", label="", width=round(width / 72, 3), height=0.02, fixedsize=True)
        with self.w.sub(rank="same"):
            self.w.line(f"{node_id} -> {beside} [style=invis];")

    def open_block(self, it: Item, src: Out, spacer: tuple[str, float] | None = None) -> OpenBlock:
        """A block layer by layer in its cluster. Its title is a node where the input enters
        (not the cluster's label), so no edge into the block crosses the title."""
        g = it.group
        lines = [(f"{it.name}  {kind_text(it.block, self.tr)}", FONT_SIZE, True)]
        for part in wrap(widths_text(it.block) + scale_text(it.block), WIDTH_TITLE, SMALL_SIZE):
            lines.append((part, SMALL_SIZE, False))
        if self.numbers:
            lines.append((self.numbers_text(g.params, g.macs), SMALL_SIZE, False))
        color = KIND_COLORS[color_kind(it.block)]
        title_id = f"t{it.start}"
        with self.w.sub(
            f"cluster_b{it.start}",
            id=cluster_key(g.key),
            label="",  # not the stage's: a cluster inherits its parent's attributes
            style="rounded",
            color=color,
            penwidth=1.5,
        ):
            self.text_node(title_id, lines, (4.0, 2.0), shape="box", style="rounded", color=color,
                           tooltip=f"{it.name} ({kind_text(it.block, self.tr)}): {shape_str(g.in_shape)} → {shape_str(g.out_shape)}, {g.params:,} params, {g.macs:,} MACs",
                           key=g.key)
            self.edge(src, title_id)
            if spacer:
                self.spacer(*spacer, title_id)
            drawer = BlockDrawer(self, it, self.m.index)
            out = drawer.draw(Out(title_id, g.in_shape, g.in_shape))
        return OpenBlock(drawer, out)

    def aux_heads_kinds(self) -> None:
        """The colour kinds the aux heads add, without drawing them."""
        for x in self.m.aux:
            if self.level == "layers" or self.expand == x.head.name:
                for row in x.rows:
                    self.fill(row.kind, 0)
            else:
                self.fill("linear", 0)

    def aux_heads(self) -> None:
        for x in self.m.aux:
            src = self.block_exits.get(x.head.after)
            if src is None:  # pragma: no cover - validate() refuses unknown blocks
                continue
            opened = self.level == "layers" or self.expand == x.head.name
            if not opened:
                g = x.group
                node_id = f"x{x.start}"
                self.box(
                    node_id,
                    [self.tr("aux")],
                    x.head.name,
                    g.out_shape,
                    g.params,
                    g.macs,
                    "linear",
                    detail=[r.label for r in x.rows],
                    tooltip=f"aux head {x.head.name} after {x.head.after}: {g.params:,} params, {g.macs:,} MACs",
                    bold_name=True,
                    dashed=True,
                    key=g.key,
                )
                self.edge(src, node_id, style="dashed", weight=0)
                continue
            with self.dashed_box(f"cluster_x{x.start}", f"<B>{html(x.head.name)}</B>  {html(self.tr('aux'))}"):
                prev = src
                for n, row in enumerate(x.rows):
                    node_id = f"r{x.start + n}"
                    self.layer(node_id, row, row.name)
                    self.edge(prev, node_id, style="dashed" if n == 0 else None, weight=0 if n == 0 else None)
                    prev = Out(node_id, row.in_shape, row.out_shape)


@dataclass(frozen=True)
class OpenBlock:
    drawer: BlockDrawer
    out: Out

    def extent(self, orientation: str) -> Extent:
        return self.drawer.extent(orientation)


def stage_summary(st: StageView, tr: Words) -> list[str]:
    """What a stage holds, every item: ``inception ×2``, ``maxpool`` (runs counted)."""
    runs: list[list] = []
    for it in st.items:
        what = kind_text(it.block, tr) if it.block else tr.kind(it.rows[0].kind)
        if runs and runs[-1][0] == what:
            runs[-1][1] += 1
        else:
            runs.append([what, 1])
    return [f"{w} ×{n}" if n > 1 else w for w, n in runs]


def to_dot(
    a: Analysis,
    level: str = "blocks",
    expand: str | None = None,
    color: str = "kind",
    numbers: bool = False,
    theme: str = "light",
    orientation: str = "tb",
    fit: str | None = None,
    fold: bool = True,
    transparent: bool = False,
    words: Mapping[str, str] | None = None,
) -> str:
    """The network as Graphviz DOT at ``level`` (see ``LEVELS``).

    ``expand`` names a stage, block or aux head drawn layer by layer; ``orientation`` is
    ``tb`` (top-down), ``bt`` (bottom-up, as the book draws) or ``lr``; a chain long enough
    wraps into columns (rows for ``lr``) whose drawing is between 4:3 and 16:9, or exactly
    ``fit`` (``"16:9"``, ``"4:3"``); ``fold`` draws a run of equal blocks as one node at the
    blocks level; ``transparent`` leaves the page unpainted; ``words`` replaces the words the
    diagram writes (see ``text.WORDS``). Same arguments → same text.
    """
    return Network(a, level, expand, color, numbers, theme, orientation, fit, fold, transparent, words).draw()


def legend(
    color: str,
    a: Analysis | None = None,
    level: str = "blocks",
    expand: str | None = None,
    fold: bool = True,
    words: Mapping[str, str] | None = None,
) -> list[tuple[str, str]]:
    """(label, hex colour) pairs: exactly the legend that ``to_dot`` with the same arguments
    draws. ``kind``: the kinds drawn (every kind without ``a``); ``params`` / ``macs``: the
    heat map's scale (without ``a``, as none / fewest / most)."""
    check("color", color, COLORS)
    tr = Words(words)
    if a is None:
        if color == "kind":
            return [(tr(key), KIND_COLORS[kinds[0]]) for key, kinds in KIND_LEGEND]
        unit = tr("params" if color == "params" else "macs")
        return [(tr("legend.none", unit=unit), NO_WEIGHTS), (tr("legend.fewest", unit=unit), viridis(0.0)), (tr("legend.most", unit=unit), viridis(1.0))]
    net = Network(a, level, expand, color, False, "light", fold=fold, words=words)
    units = net.units()
    net.measure(units)  # draws every unit once: what it colours is what the legend lists
    net.aux_heads_kinds()
    return net.legend_entries()
