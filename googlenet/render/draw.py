"""Drawing nodes in DOT: the base every diagram is made with. Nodes are HTML-like tables
(a coloured header saying what a layer or block is, then its name, details and output
shape), each with an estimate of its size for the layout; the graph's label holds the title
and the one legend, which lists exactly the colours drawn."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..analysis import Analysis, Node, shape_str
from . import layout
from .layout import NODESEP, ORIENTATIONS, RANKDIR, RANKSEP, Extent
from .model import Out, check, res_changed
from .palette import KIND_COLORS, KIND_LEGEND, THEME_COLORS, Heat, kind_color, text_on
from .text import FONT, FONT_SIZE, SMALL_SIZE, TITLE_SIZE, Html, Words, Writer, html, si, text_width, wrap

COLORS = ("kind", "params", "macs")
THEMES = tuple(THEME_COLORS)

# The most nodes one drawing may have, so that no drawing costs more than a few seconds of
# CPU. Measured on one core of this project's 2-core machine: Inception-ResNet-v2 with 128
# block17s at the layers level (1,243 nodes) takes 0.6 s in to_dot and 0.3 s in `dot`;
# 3,375 nodes take 1.5 s and 1.6 s; a PNG costs at most about 2.5 s more, whatever the
# drawing, because its pixels are bounded (export.MAX_PNG_PIXELS). The largest preset's
# layers level is 379 nodes. Past this, the drawing is refused with a message that offers
# the blocks level, where runs of equal blocks fold.
MAX_NODES = 1500

LINE = 1.13  # Graphviz's line height, in font sizes (DejaVu Sans, measured)
CELL_PAD = 2  # the tables' CELLPADDING
WIDTH_DETAIL = 200.0  # points: detail lines of a node wrap at about this width
WIDTH_TITLE = 260.0  # points: an opened block's title lines wrap at about this width


# --- node labels ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One row of a node's table: lines of text in one size, weight and colour."""

    lines: tuple[str, ...]
    size: int = FONT_SIZE
    bold: bool = False
    color: str | None = None
    bg: str | None = None

    def html(self) -> str:
        text = "<BR/>".join(html(x) for x in self.lines)
        if self.bold:
            text = f"<B>{text}</B>"
        font = ""
        if self.color:
            font += f' COLOR="{self.color}"'
        if self.size != FONT_SIZE:
            font += f' POINT-SIZE="{self.size}"'
        if font:
            text = f"<FONT{font}>{text}</FONT>"
        bg = f' BGCOLOR="{self.bg}"' if self.bg else ""
        return f"<TR><TD{bg}>{text}</TD></TR>"

    def width(self) -> float:
        return max((text_width(x, self.size, self.bold) for x in self.lines), default=0.0) + 2 * CELL_PAD

    def height(self) -> float:
        return len(self.lines) * LINE * self.size + 2 * CELL_PAD


def table_size(cells: list[Cell], border: float = 1) -> tuple[float, float]:
    w = max(c.width() for c in cells) + 2 * border
    h = sum(c.height() for c in cells) + 2 * border
    return w, h


def text_size(lines: list[tuple[str, int, bool]], margin_x: float, margin_y: float) -> tuple[float, float]:
    """A plain text label's size: (text, size, bold) per line, and the node's margins."""
    w = max(text_width(t, s, b) for t, s, b in lines)
    h = sum(LINE * s for _, s, _ in lines)
    return w + 2 * margin_x, h + 2 * margin_y


# --- drawing ------------------------------------------------------------------------------


class Draw:
    def __init__(self, a: Analysis, color: str, numbers: bool, theme: str, orientation: str, transparent: bool,
                 words: Mapping[str, str] | None):
        check("color", color, COLORS)
        check("theme", theme, THEMES)
        check("orientation", orientation, ORIENTATIONS)
        if not isinstance(transparent, bool):
            raise ValueError(f"transparent must be true or false; got {transparent!r}")
        self.a = a
        self.color = color
        self.numbers = numbers
        self.th = THEME_COLORS[theme]
        self.orientation = orientation
        self.transparent = transparent
        self.tr = Words(words)
        self.heat = Heat.of(a, color) if color != "kind" else None
        self.w = Writer()
        self.used: set[str] = set()  # colour kinds drawn, for the legend
        self.sizes: dict[str, tuple[float, float]] = {}  # node id → estimated width, height (points)
        # Edges are written last, in the root graph: an edge written inside a cluster
        # would pull both of its ends into that cluster.
        self.edges: list[tuple[str, str, dict]] = []
        self.straight: set[str] = set()  # nodes whose out-edges Graphviz should keep straight

    # the graph
    def finish(self, title: str, ratio: float | None = None, legend_width: float = 480.0, title_width: float = 0.0) -> str:
        """The whole DOT text: the graph's attributes, its label (the title, about
        ``title_width`` points wide, and the legend), then the nodes and clusters drawn so
        far, then the edges."""
        th = self.th
        label = self.title_label(title, legend_width, title_width)
        head = Writer()
        head.line("digraph inception {")
        head.depth = 1
        head.attrs(
            "graph",
            rankdir=RANKDIR[self.orientation],
            bgcolor="transparent" if self.transparent else th.page,
            fontname=FONT,
            fontsize=FONT_SIZE,
            fontcolor=th.text,
            label=Html(label),
            labelloc="t",
            labeljust="l",
            nodesep=NODESEP / 72,
            ranksep=RANKSEP / 72,
            pad=layout.PAD / 72,
            ratio=ratio,
        )
        head.attrs("node", shape="plain", fontname=FONT, fontsize=FONT_SIZE, fontcolor=th.text, color=th.line)
        head.attrs("edge", fontname=FONT, fontsize=SMALL_SIZE, fontcolor=th.text, color=th.line, arrowsize=0.7)
        body = ["  " + x for x in self.w.lines]
        for a, b, attrs in self.edges:
            w = Writer()
            w.depth = 1
            w.edge(a, b, **attrs)
            body.extend(w.lines)
        return "\n".join([*head.lines, *body, "}"]) + "\n"

    def title_label(self, title: str, legend_width: float, title_width: float) -> str:
        """The graph label: the title (already HTML) over the legend's rows of chips. Graphviz
        spreads a table's cells over the width it is given, so where the title is wider than
        the legend an empty cell beside the legend takes up the difference."""
        table = self.legend_table(legend_width)
        filler = title_width - self.legend_width(legend_width) if table else 0.0
        span = ' COLSPAN="2"' if filler > 4 else ""
        rows = [f'<TR><TD ALIGN="LEFT" BALIGN="LEFT"{span}><FONT POINT-SIZE="{TITLE_SIZE}">{title}</FONT></TD></TR>']
        if table:
            pad = f'<TD WIDTH="{round(filler)}"></TD>' if span else ""
            rows.append(f'<TR><TD ALIGN="LEFT">{table}</TD>{pad}</TR>')
        return '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">' + "".join(rows) + "</TABLE>"

    def legend_width(self, width: float) -> float:
        """About how wide the legend's widest row is, in points."""
        head = text_width(self.legend_title() + ":", SMALL_SIZE, True) + 8
        return max((head + sum(self._chip_width(label) for label, _ in row) for row in self.legend_rows(width)), default=0.0)

    def legend_title(self) -> str:
        if self.heat is None:
            return self.tr("legend.kind")
        return self.tr("legend.params" if self.heat.metric == "params" else "legend.macs")

    def legend_entries(self) -> list[tuple[str, str]]:
        """(label, colour) of the legend: the kinds drawn, or the heat map's scale."""
        if self.heat is not None:
            unit = self.tr("params" if self.heat.metric == "params" else "macs")
            return self.heat.stops(unit, self.tr("legend.none", unit=unit))
        return [(self.tr(key), KIND_COLORS[kinds[0]]) for key, kinds in KIND_LEGEND if any(k in self.used for k in kinds)]

    @staticmethod
    def _chip_width(label: str) -> float:
        return 12 + 4 + text_width(label, SMALL_SIZE) + 12

    def legend_rows(self, width: float) -> list[list[tuple[str, str]]]:
        """The legend's entries in rows of at most about ``width`` points."""
        entries = self.legend_entries()
        if not entries:
            return []
        rows: list[list[tuple[str, str]]] = [[]]
        used = text_width(self.legend_title() + ":", SMALL_SIZE, True) + 8
        for label, fill in entries:
            need = self._chip_width(label)
            if rows[-1] and used + need > width:
                rows.append([])
                used = text_width(self.legend_title() + ":", SMALL_SIZE, True) + 8
            rows[-1].append((label, fill))
            used += need
        return rows

    def legend_table(self, width: float) -> str:
        """The legend as one table: its title, then rows of colour chips and their labels."""
        rows = self.legend_rows(width)
        if not rows:
            return ""
        out = []
        for k, row in enumerate(rows):
            head = f'<FONT POINT-SIZE="{SMALL_SIZE}"><B>{html(self.legend_title() + ":")}</B></FONT>' if k == 0 else ""
            cells = [f'<TD ALIGN="LEFT">{head}</TD>']
            for label, fill in row:
                cells.append(
                    f'<TD BGCOLOR="{fill}" WIDTH="12" HEIGHT="12" FIXEDSIZE="TRUE" BORDER="1" COLOR="{self.th.cluster}"></TD>'
                    f'<TD ALIGN="LEFT"><FONT POINT-SIZE="{SMALL_SIZE}">{html(label)}</FONT></TD>'
                )
            out.append("<TR>" + "".join(cells) + "</TR>")
        return '<TABLE ALIGN="LEFT" BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="1">' + "".join(out) + "</TABLE>"

    def title_extent(self, title_lines: list[str], width: float) -> Extent:
        """The graph label's size: width as ``across``, height as ``along``."""
        rows = self.legend_rows(width)
        w = max([text_width(t, TITLE_SIZE, True) for t in title_lines] + [0.0])
        entries = self.legend_entries()
        if entries:
            head = text_width(self.legend_title() + ":", SMALL_SIZE, True) + 8
            w = max(w, min(width, head + sum(self._chip_width(label) for label, _ in entries)))
        h = len(title_lines) * LINE * TITLE_SIZE + len(rows) * 20 + 8
        return Extent(h, w + 8)

    # colours
    def fill(self, kind: str, value: int) -> str:
        if self.heat is not None:
            return self.heat.color(value)
        self.used.add(kind)
        return kind_color(kind)

    # nodes
    def box(
        self,
        node_id: str,
        what: list[str],
        name: str,
        shape: tuple[int, ...],
        params: int,
        macs: int,
        kind: str,
        detail: list[str] = (),
        tooltip: str = "",
        bold_name: bool = False,
        res_change: bool = False,
        dashed: bool = False,
        repeat: bool = False,
        key: str | None = None,
    ) -> None:
        """A layer, block or stage: a coloured header saying what it is, then its name,
        details, output shape and (with ``numbers``) params and MACs. ``repeat`` draws a
        double border: a run of equal blocks folded into one node."""
        th = self.th
        fill = self.fill(kind, params if self.color == "params" else macs)
        cells = [Cell(tuple(what), bold=True, color=text_on(fill), bg=fill)]
        if bold_name:  # a block's or stage's name stands on its line, its details below
            cells.append(Cell((name,), SMALL_SIZE, True, th.muted))
            lines = wrap(list(detail), WIDTH_DETAIL, SMALL_SIZE)
        else:  # a layer's name and details share lines: ``conv1 · pad 3``
            lines = wrap([name, *detail], WIDTH_DETAIL, SMALL_SIZE)
        if lines:
            cells.append(Cell(tuple(lines), SMALL_SIZE, color=th.muted))
        cells.append(Cell((shape_str(shape),), bold=res_change))
        if self.numbers:
            cells.append(Cell((self.numbers_text(params, macs),), SMALL_SIZE))
        style = ' STYLE="dashed"' if dashed else ""
        table = (
            f'<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="{CELL_PAD}" COLOR="{th.line}" '
            f'BGCOLOR="{th.node}"{style}>' + "".join(c.html() for c in cells) + "</TABLE>"
        )
        w, h = table_size(cells)
        if repeat:
            table = (
                f'<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="2" CELLPADDING="0" COLOR="{th.line}" '
                f'BGCOLOR="{th.node}"><TR><TD>{table}</TD></TR></TABLE>'
            )
            w, h = w + 6, h + 6
        self.sizes[node_id] = (w, h)
        self.w.node(node_id, label=Html(table), tooltip=tooltip or None, id=node_key(key))

    def numbers_text(self, params: int, macs: int) -> str:
        return self.tr("numbers", params=si(params), macs=si(macs))

    def text_node(self, node_id: str, lines: list[tuple[str, int, bool]], margin: tuple[float, float] = (8.6, 2.2), **attrs) -> None:
        """A box-like node (``shape`` in ``attrs``) with lines of (text, size, bold)."""
        parts = []
        for text, size, bold in lines:
            t = html(text)
            if bold:
                t = f"<B>{t}</B>"
            if size != FONT_SIZE:
                t = f'<FONT POINT-SIZE="{size}">{t}</FONT>'
            parts.append(t)
        color = attrs.pop("ink", None)
        label = "<BR/>".join(parts)
        if color:
            label = f'<FONT COLOR="{color}">{label}</FONT>'
        w, h = text_size(lines, *margin)
        if attrs.get("shape") == "ellipse":
            w, h = w * 1.25, h * 1.3
        if attrs.get("shape") == "cds":  # the arrow's point takes the right end
            margin = (margin[0] + 8, margin[1])
            w += 16
        self.sizes[node_id] = (w, h)
        if "key" in attrs:
            attrs["id"] = node_key(attrs.pop("key"))
        self.w.node(node_id, label=Html(label), margin=f"{margin[0] / 72:.2f},{margin[1] / 72:.2f}", width=0, height=0, **attrs)

    def layer(self, node_id: str, row: Node, short: str, scale: float = 1.0, act: bool = True) -> None:
        tip = tooltip_of(row)
        if row.kind == "concat":
            fill = self.fill("concat", 0)
            lines = [(self.tr("concat"), FONT_SIZE, True), (shape_str(row.out_shape), FONT_SIZE, False)]
            self.text_node(node_id, lines, shape="box", style="rounded,filled", fillcolor=fill, color=self.th.line, ink=text_on(fill), tooltip=tip, key=row.key)
            return
        if row.kind == "add":
            fill = self.fill("add", 0)
            op = self.tr("add") if scale == 1.0 else self.tr("add.scaled", scale=f"{scale:g}")
            relu = " " + self.tr("relu") if act else ""
            lines = [(f"+ {op}{relu}", FONT_SIZE, False), (shape_str(row.out_shape), FONT_SIZE, False)]
            self.text_node(node_id, lines, (2.9, 1.4), shape="ellipse", style="filled", fillcolor=fill, color=self.th.line, ink=text_on(fill), tooltip=tip, key=row.key)
            return
        self.box(
            node_id,
            [row.label],
            short,
            row.out_shape,
            row.params,
            row.macs,
            row.kind,
            detail=list(getattr(row.layer, "details", ())),
            tooltip=tip,
            res_change=res_changed(row.in_shape, row.out_shape),
            key=row.key,
        )

    def edge(self, src: Out, dst: str, **attrs) -> None:
        """An edge carrying ``src``'s output, bold where the resolution changed. Shapes are
        not repeated on edges: every node shows its own output shape."""
        if res_changed(src.in_shape, src.out_shape):
            attrs.setdefault("penwidth", 2)
        if src.node in self.straight:  # a column's connector stands right above its first node
            attrs.setdefault("weight", 10)
        self.edges.append((src.node, dst, attrs))


def node_key(key: str | None) -> str | None:
    """The SVG ``id`` of a drawn node or cluster: ``n:`` + the analysis key (``n:inception3a``,
    ``n:inception3a.branch2.conv1``, ``n:.b3``), so that a page can find the node a key names;
    ``None`` (Graphviz's own ``node1``…) for drawn things no key names. The prefix keeps the
    ids apart from Graphviz's; the writer quotes it like any other string."""
    return None if key is None else _id_text("n:" + key)


def cluster_key(key: str) -> str:
    """The SVG ``id`` of an opened block's cluster: ``c:`` + the block's key."""
    return _id_text("c:" + key)


def _id_text(text: str) -> str:
    # Graphviz escapes < > " in an id but passes an entity such as "&amp;" through as it
    # stands: writing every & as &amp; makes the SVG's id read back as the key itself
    return text.replace("&", "&amp;")


def tooltip_of(row: Node) -> str:
    rf = row.receptive_field
    rf_text = str(rf[0]) if rf[0] == rf[1] else shape_str(rf)
    return (
        f"{row.key}: {row.label}, {shape_str(row.in_shape)} → {shape_str(row.out_shape)}, "
        f"{row.params:,} params, {row.macs:,} MACs, receptive field {rf_text}"
    )
