"""Diagrams of an analysed network: Graphviz DOT at three levels of detail, and export.

``to_dot`` draws a network at the level of stages, blocks or layers (one stage or block can
be opened to layers while the rest stays collapsed); ``block_dot`` draws one block the way
the lecture draws an Inception block; ``render`` runs the real ``dot`` to make PNG, SVG or
PDF. The DOT text is deterministic (node ids come from positions, never from names) and
every name is escaped, because names are user input.

Long chains are wrapped into side-by-side columns, so the layers of the largest presets stay
readable instead of becoming a strip hundreds of inches tall; PNG export picks its
resolution from the laid-out size, because Cairo cannot make a bitmap wider or taller than
32767 pixels and Graphviz would otherwise shrink the drawing silently.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass

from .analysis import Analysis, Node, shape_str
from .errors import SpecError
from .spec import AuxHead, Block
from .templates import TEMPLATES

LEVELS = ("stages", "blocks", "layers")
COLORS = ("kind", "params", "macs")
THEMES = ("light", "dark")
FORMATS = ("png", "svg", "pdf", "dot")

DEFAULT_DPI = 96  # Graphviz's own default for bitmaps
MIN_DPI, MAX_DPI = 18, 1200
# Pixels per point below which the smallest text (9 pt) is under 9 pixels high: the
# bitmap is still made, with a note saying so.
MIN_LEGIBLE_SCALE = 1.0
CAIRO_MAX_SIDE = 32767  # Cairo's image surface limit, in pixels per side
MAX_PNG_PIXELS = 64_000_000  # keeps one export under ~256 MB of RGBA in `dot`
RENDER_TIMEOUT = 120.0  # seconds for one `dot` run
# A chain longer than this many ranks is wrapped into columns of about equal height, as
# many as make the drawing about COLUMN_ASPECT times as tall as it is wide.
MAX_COLUMN_RANKS = 30
COLUMN_ASPECT = 1.2
RANK_INCHES = 1.6  # a node, an edge label and the gaps, roughly

FONT = "DejaVu Sans"
FONT_SIZE = 10
SMALL_SIZE = 9

# --- colours ------------------------------------------------------------------------------

# Okabe & Ito (2008), the colour-blind-safe qualitative palette; two greys for layers that
# hold no weights and do no arithmetic worth a colour.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}
KIND_COLORS = {
    "conv": OKABE_ITO["sky blue"],
    "maxpool": OKABE_ITO["orange"],
    "avgpool": OKABE_ITO["yellow"],
    "adaptive_avg_pool": OKABE_ITO["yellow"],
    "lrn": "#999999",
    "dropout": "#DDDDDD",
    "flatten": "#DDDDDD",
    "linear": OKABE_ITO["bluish green"],
    "concat": OKABE_ITO["vermillion"],
    "add": OKABE_ITO["reddish purple"],
    "block": OKABE_ITO["blue"],  # a collapsed block whose branches are concatenated
    "residual": OKABE_ITO["reddish purple"],  # a collapsed residual block
}
# (legend label, the kinds it stands for), in the order a network meets them
_KIND_LEGEND = (
    ("conv", ("conv",)),
    ("max pool", ("maxpool",)),
    ("avg pool", ("avgpool", "adaptive_avg_pool")),
    ("LRN", ("lrn",)),
    ("Inception block", ("block",)),
    ("residual block", ("residual",)),
    ("concat", ("concat",)),
    ("residual add", ("add",)),
    ("dropout, flatten", ("dropout", "flatten")),
    ("linear", ("linear",)),
)
# viridis (perceptually uniform, readable with every common colour-vision deficiency)
VIRIDIS = (
    "#440154", "#482475", "#414487", "#355F8D", "#2A788E", "#21918C",
    "#22A884", "#44BF70", "#7AD151", "#BDDF26", "#FDE725",
)  # fmt: skip
NO_WEIGHTS = "#E5E5E5"  # heat-map fill of nodes with nothing to count


@dataclass(frozen=True)
class _Theme:
    page: str
    text: str
    muted: str
    line: str
    node: str
    cluster: str


_THEMES = {
    # GitHub's and Streamlit's page colours, so a transparent-looking export sits well on both
    "light": _Theme(page="#FFFFFF", text="#1F2328", muted="#57606A", line="#57606A", node="#FFFFFF", cluster="#8C959F"),
    "dark": _Theme(page="#0E1117", text="#E6EDF3", muted="#9DA7B3", line="#9DA7B3", node="#161B22", cluster="#6E7681"),
}


def _rgb(hex_color: str) -> tuple[int, int, int]:
    return int(hex_color[1:3], 16), int(hex_color[3:5], 16), int(hex_color[5:7], 16)


def _luminance(hex_color: str) -> float:
    def lin(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in _rgb(hex_color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_on(fill: str) -> str:
    """Black or white, whichever contrasts more with ``fill`` (WCAG contrast ratio)."""
    lum = _luminance(fill)
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#FFFFFF"


def _viridis(t: float) -> str:
    t = min(1.0, max(0.0, t))
    x = t * (len(VIRIDIS) - 1)
    i = min(int(x), len(VIRIDIS) - 2)
    f = x - i
    a, b = _rgb(VIRIDIS[i]), _rgb(VIRIDIS[i + 1])
    return "#{:02X}{:02X}{:02X}".format(*(round(p + (q - p) * f) for p, q in zip(a, b)))


@dataclass(frozen=True)
class _Heat:
    """A log scale from the smallest non-zero value of any row to the largest of any group,
    so a layer, a block and a stage are coloured on the same scale at every level."""

    metric: str  # "params" | "macs"
    lo: int
    hi: int

    @staticmethod
    def of(a: Analysis, metric: str) -> _Heat:
        values = [getattr(x, metric) for x in (*a.layers, *a.blocks, *a.stages, *a.aux)]
        nonzero = [v for v in values if v > 0]
        if not nonzero:
            return _Heat(metric, 1, 1)
        return _Heat(metric, min(nonzero), max(nonzero))

    def t(self, value: int) -> float:
        if self.hi <= self.lo:
            return 1.0
        return math.log(value / self.lo) / math.log(self.hi / self.lo)

    def color(self, value: int) -> str:
        return NO_WEIGHTS if value <= 0 else _viridis(self.t(value))

    def stops(self, n: int = 6) -> list[tuple[str, str]]:
        unit = "params" if self.metric == "params" else "MACs"
        out = [(f"none (0 {unit})", NO_WEIGHTS)]
        if self.hi <= self.lo:
            return out + [(f"{si(self.hi)} {unit}", _viridis(1.0))]
        for i in range(n):
            t = i / (n - 1)
            value = self.lo * (self.hi / self.lo) ** t
            out.append((f"{si(value)} {unit}", _viridis(t)))
        return out


def legend(color: str, a: Analysis | None = None) -> list[tuple[str, str]]:
    """(label, hex colour) pairs for the UI's legend.

    ``kind``: the kinds present in ``a`` (all kinds without it). ``params`` / ``macs``: the
    heat map's scale, with ``a`` as numbers, without it as low … high.
    """
    _check("color", color, COLORS)
    if color == "kind":
        present = None if a is None else _kinds_present(a)
        return [
            (label, KIND_COLORS[kinds[0]])
            for label, kinds in _KIND_LEGEND
            if present is None or any(k in present for k in kinds)
        ]
    if a is None:
        unit = "params" if color == "params" else "MACs"
        return [(f"none (0 {unit})", NO_WEIGHTS), (f"fewest {unit}", _viridis(0.0)), (f"most {unit}", _viridis(1.0))]
    return _Heat.of(a, color).stops()


def _kinds_present(a: Analysis) -> set[str]:
    kinds = {r.kind for r in a.layers}
    for b in a.network.blocks():
        kinds.add(_block_color_kind(b))
    return kinds


def _block_color_kind(block: Block) -> str:
    return "residual" if block.merge == "add" else "block"


# --- text ---------------------------------------------------------------------------------


def si(n: float) -> str:
    """3 significant digits with K, M, G: ``111K``, ``86.7M``, ``1.5G``."""
    for unit, div in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= div:
            s = f"{n / div:.3g}"
            return (s if "e" not in s else f"{n / div:.0f}") + unit
    return f"{n:.3g}" if isinstance(n, float) else str(n)


def _visible(ch: str) -> str:
    """A character that cannot appear raw in a label, as a visible escape (``\\n``)."""
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if ch in named:
        return named[ch]
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def _bad_char(ch: str) -> bool:
    # control characters, lone surrogates, non-characters and line/paragraph separators
    # are invalid in XML (Graphviz's HTML labels, SVG) or would break a line
    return unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") or ch in ("\ufffe", "\uffff")


def html(text: object) -> str:
    """Text for a Graphviz HTML-like label: markup characters as entities, control
    characters as visible escapes, backslashes doubled (Graphviz expands ``\\N``, ``\\G``
    and friends even inside HTML labels, and reads ``\\\\`` as one backslash)."""
    out = []
    for ch in str(text):
        if _bad_char(ch):
            ch = _visible(ch)
        for c in ch:
            out.append(_HTML_ESCAPES.get(c, c))
    return "".join(out)


_HTML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "\\": "\\\\"}


def quote(text: object) -> str:
    """A DOT double-quoted string. Backslashes are doubled because Graphviz expands
    ``\\N``, ``\\G`` and ``\\l`` in labels and tooltips."""
    out = ['"']
    for ch in str(text):
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif _bad_char(ch):
            out.append("\\" + _visible(ch))  # shown as typed: a backslash, then n
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


class _Html(str):
    """An HTML-like label, already escaped: written as ``<…>``."""


def _attrs(attrs: dict) -> str:
    parts = []
    for key, value in attrs.items():
        if value is None:
            continue
        if isinstance(value, _Html):
            parts.append(f"{key}=<{value}>")
        elif isinstance(value, bool):
            parts.append(f"{key}={'true' if value else 'false'}")
        elif isinstance(value, (int, float)):
            parts.append(f"{key}={value}")
        else:
            parts.append(f"{key}={quote(value)}")
    return f" [{', '.join(parts)}]" if parts else ""


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0

    def line(self, text: str) -> None:
        self.lines.append("  " * self.depth + text)

    def attrs(self, what: str, **attrs) -> None:
        self.line(f"{what}{_attrs(attrs)};")

    def node(self, node_id: str, **attrs) -> None:
        self.line(f"{node_id}{_attrs(attrs)};")

    def edge(self, a: str, b: str, **attrs) -> None:
        self.line(f"{a} -> {b}{_attrs(attrs)};")

    @contextmanager
    def sub(self, name: str = "", **attrs):
        self.line(f"subgraph {name} {{" if name else "{")
        self.depth += 1
        for key, value in attrs.items():
            if value is not None:
                self.line(f"{_attrs({key: value})[2:-1]};")
        yield
        self.depth -= 1
        self.line("}")


# --- the network as units to draw ---------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    """A stage item: a top-level layer (one row) or a block (its node in the tree)."""

    name: str
    start: int  # index of its first row in ``a.layers``
    rows: tuple[Node, ...]
    block: Block | None = None
    group: Node | None = None


@dataclass(frozen=True)
class _Stage:
    index: int
    name: str
    items: tuple[_Item, ...]
    group: Node
    head: bool = False


@dataclass(frozen=True)
class _Aux:
    index: int
    head: AuxHead
    start: int
    rows: tuple[Node, ...]
    group: Node


@dataclass(frozen=True)
class _Model:
    stages: tuple[_Stage, ...]
    aux: tuple[_Aux, ...]
    index: dict  # id(leaf node) → its row in ``a.layers`` (the DOT node ids)


def _model(a: Analysis) -> _Model:
    """The analysis tree's stages, items and aux heads, with the rows under each."""
    index = {id(n): i for i, n in enumerate(a.layers)}
    stages = []
    for k, st in enumerate(a.stages):
        items = []
        for it in st.children:
            rows = (it,) if it.is_leaf else tuple(it.leaves())
            block = it.layer if it.kind == "block" else None
            items.append(_Item(it.name, index[id(rows[0])], rows, block, it if block is not None else None))
        stages.append(_Stage(k, st.name, tuple(items), st, st.kind == "head"))
    specs = {h.name: h for h in a.network.aux}
    aux = [_Aux(k, specs[h.name], index[id(h.children[0])], tuple(h.leaves()), h) for k, h in enumerate(a.aux)]
    return _Model(tuple(stages), tuple(aux), index)


def expandable(a: Analysis) -> list[str]:
    """The names ``expand=`` accepts: stages, blocks and (when on) aux heads."""
    m = _model(a)
    names = [s.name for s in m.stages]
    names += [it.name for s in m.stages for it in s.items if it.block is not None]
    names += [x.head.name for x in m.aux]
    seen: set[str] = set()
    return [n for n in names if not (n in seen or seen.add(n))]


@dataclass(frozen=True)
class _Out:
    """A drawn tensor source: the node and the shapes around it (for edge labels)."""

    node: str
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]


def _res_changed(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return len(a) != len(b) or (len(a) == 3 and a[1:] != b[1:])


def _check(what: str, value, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}; got {value!r}")


def _subs(branch: Node) -> list[Node]:
    return [c for c in branch.children if c.kind == "branch"]


def _trunk(branch: Node) -> list[Node]:
    return [c for c in branch.children if c.is_leaf and c.kind != "concat"]


def _leaves(branch: Node) -> int:
    subs = _subs(branch)
    return sum(_leaves(s) for s in subs) if subs else 1


def _depth(branch: Node) -> int:
    subs = _subs(branch)
    sub = max((_depth(s) for s in subs), default=0)
    return len(_trunk(branch)) + (sub + 1 if subs else 0)


def _branches(block: Node) -> list[Node]:
    return [c for c in block.children if c.kind == "branch"]


# --- drawing ------------------------------------------------------------------------------


class _Draw:
    def __init__(self, a: Analysis, color: str, numbers: bool, theme: str):
        _check("color", color, COLORS)
        _check("theme", theme, THEMES)
        self.a = a
        self.color = color
        self.numbers = numbers
        self.th = _THEMES[theme]
        self.heat = _Heat.of(a, color) if color != "kind" else None
        self.w = _Writer()
        self.used: set[str] = set()  # colour kinds drawn, for the in-graph legend
        self.labelled: set[str] = set()  # sources whose shape an edge already shows
        # Edges are written last, in the root graph: an edge written inside a cluster
        # would pull both of its ends into that cluster.
        self.edges: list[tuple[str, str, dict]] = []

    # graph frame
    def begin(self, rankdir: str, title: str, labelloc: str = "t") -> None:
        th = self.th
        self.w.line("digraph inception {")
        self.w.depth = 1
        self.w.attrs(
            "graph",
            rankdir=rankdir,
            bgcolor=th.page,
            fontname=FONT,
            fontsize=FONT_SIZE + 2,
            fontcolor=th.text,
            label=_Html(title),
            labelloc=labelloc,
            labeljust="l",
            nodesep=0.25,
            ranksep=0.3,
            pad=0.2,
        )
        self.w.attrs("node", shape="plain", fontname=FONT, fontsize=FONT_SIZE, fontcolor=th.text, color=th.line)
        self.w.attrs("edge", fontname=FONT, fontsize=SMALL_SIZE, fontcolor=th.text, color=th.line, arrowsize=0.7)

    def end(self) -> str:
        for a, b, attrs in self.edges:
            self.w.edge(a, b, **attrs)
        self.w.depth = 0
        self.w.line("}")
        return "\n".join(self.w.lines) + "\n"

    # colours
    def fill(self, kind: str, value: int) -> str:
        if self.heat is not None:
            return self.heat.color(value)
        self.used.add(kind)
        return KIND_COLORS.get(kind, "#999999")

    # nodes
    def box(
        self,
        node_id: str,
        what: str,
        name: str,
        shape: tuple[int, ...],
        params: int,
        macs: int,
        kind: str,
        detail: str = "",
        tooltip: str = "",
        bold_name: bool = False,
        res_change: bool = False,
        dashed: bool = False,
    ) -> None:
        """A layer, block or stage: a coloured header saying what it is, then its name,
        details, output shape and (with ``numbers``) params and MACs."""
        th = self.th
        fill = self.fill(kind, params if self.color == "params" else macs)
        ink = text_on(fill)
        cells = [f'<TR><TD BGCOLOR="{fill}"><FONT COLOR="{ink}"><B>{html(what)}</B></FONT></TD></TR>']
        name_html = f"<B>{html(name)}</B>" if bold_name else html(name)
        cells.append(f'<TR><TD><FONT COLOR="{th.muted}" POINT-SIZE="{SMALL_SIZE}">{name_html}</FONT></TD></TR>')
        for part in _wrap(detail):
            cells.append(f'<TR><TD><FONT COLOR="{th.muted}" POINT-SIZE="{SMALL_SIZE}">{html(part)}</FONT></TD></TR>')
        s = html(shape_str(shape))
        cells.append(f"<TR><TD>{f'<B>{s}</B>' if res_change else s}</TD></TR>")
        if self.numbers:
            cells.append(f'<TR><TD><FONT POINT-SIZE="{SMALL_SIZE}">{self.numbers_text(params, macs)}</FONT></TD></TR>')
        style = ' STYLE="dashed"' if dashed else ""
        label = (
            f'<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" COLOR="{th.line}" '
            f'BGCOLOR="{th.node}"{style}>' + "".join(cells) + "</TABLE>"
        )
        self.w.node(node_id, label=_Html(label), tooltip=tooltip or None)

    @staticmethod
    def numbers_text(params: int, macs: int) -> str:
        return f"{si(params)} params · {si(macs)} MACs"

    def layer(self, node_id: str, row: LayerInfo, short: str, scale: float = 1.0, act: bool = True) -> None:
        tip = _tooltip(row)
        if row.kind == "concat":
            fill = self.fill("concat", 0)
            ink = text_on(fill)
            label = f'<FONT COLOR="{ink}"><B>concat</B></FONT><BR/><FONT COLOR="{ink}">{html(shape_str(row.out_shape))}</FONT>'
            self.w.node(node_id, shape="box", style="rounded,filled", fillcolor=fill, color=self.th.line, margin="0.12,0.03", label=_Html(label), tooltip=tip)
            return
        if row.kind == "add":
            fill = self.fill("add", 0)
            ink = text_on(fill)
            op = "add" if scale == 1.0 else f"add, branches ×{scale:g}"
            relu = " → ReLU" if act else ""
            label = f'<FONT COLOR="{ink}"><B>+</B> {html(op)}{relu}</FONT><BR/><FONT COLOR="{ink}">{html(shape_str(row.out_shape))}</FONT>'
            self.w.node(node_id, shape="ellipse", style="filled", fillcolor=fill, color=self.th.line, margin="0.04,0.02", label=_Html(label), tooltip=tip)
            return
        self.box(
            node_id,
            _what(row),
            short,
            row.out_shape,
            row.params,
            row.macs,
            row.kind,
            detail=_extras(row),
            tooltip=tip,
            res_change=_res_changed(row.in_shape, row.out_shape),
        )

    def edge(self, src: _Out, dst: str, inner: bool = False, **attrs) -> None:
        """An edge carrying ``src``'s output: bold where the resolution changed; labelled
        with the shape where the tensor changed, once per source (a fan-out repeats it) and,
        inside a block, only where the resolution changed (the nodes show the rest)."""
        res = _res_changed(src.in_shape, src.out_shape)
        if res:
            attrs.setdefault("penwidth", 2)
        if src.out_shape != src.in_shape and (res or not inner) and src.node not in self.labelled:
            self.labelled.add(src.node)
            text = html(shape_str(src.out_shape))
            attrs.setdefault("label", _Html(f"<B>{text}</B>" if res else text))
        self.edges.append((src.node, dst, attrs))

    def legend_node(self) -> bool:
        if self.heat is not None:
            entries = self.heat.stops()
            title = "params (log scale)" if self.heat.metric == "params" else "MACs (log scale)"
        else:
            entries = [(label, KIND_COLORS[kinds[0]]) for label, kinds in _KIND_LEGEND if any(k in self.used for k in kinds)]
            title = "kind"
        if not entries:
            return False
        rows = [f'<TR><TD COLSPAN="2"><B>{html(title)}</B></TD></TR>']
        for label, fill in entries:
            rows.append(
                f'<TR><TD BGCOLOR="{fill}" WIDTH="14" HEIGHT="12" FIXEDSIZE="TRUE"></TD>'
                f'<TD ALIGN="LEFT"><FONT POINT-SIZE="{SMALL_SIZE}">{html(label)}</FONT></TD></TR>'
            )
        table = (
            f'<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="2" CELLPADDING="1" COLOR="{self.th.cluster}" '
            f'BGCOLOR="{self.th.node}">' + "".join(rows) + "</TABLE>"
        )
        self.w.node("legend", label=_Html(table))
        return True


def _wrap(text: str, width: int = 34) -> list[str]:
    """Split a ``·``-separated detail line into lines of about ``width`` characters."""
    if not text:
        return []
    parts = text.split(" · ")
    lines, cur = [], ""
    for p in parts:
        if cur and len(cur) + 3 + len(p) > width:
            lines.append(cur)
            cur = p
        else:
            cur = f"{cur} · {p}" if cur else p
    lines.append(cur)
    return lines


def _what(row: Node) -> str:
    return row.label


def _extras(row: Node) -> str:
    return " · ".join(getattr(row.layer, "details", ()))


def _tooltip(row: LayerInfo) -> str:
    rf = row.receptive_field
    rf_text = str(rf[0]) if rf[0] == rf[1] else shape_str(rf)
    return (
        f"{row.key}: {_what(row)}, {shape_str(row.in_shape)} → {shape_str(row.out_shape)}, "
        f"{row.params:,} params, {row.macs:,} MACs, receptive field {rf_text}"
    )


def _widths_text(block: Block) -> str:
    return " · ".join(f"{k} {','.join(map(str, v))}" for k, v in block.widths)


def _scale_text(block: Block) -> str:
    return f"scale {block.scale:g}" if block.merge == "add" else ""


def _kind_text(block: Block) -> str:
    """What a block is: its template's name, or "block" for one written by hand."""
    return block.kind or ("residual block" if block.merge == "add" else "block")


# --- the network diagram ------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    """One step of the main chain: a collapsed stage, a layer, or a block (open or not)."""

    stage: _Stage
    item: _Item | None  # None: the whole stage, collapsed
    open: bool  # a block drawn layer by layer
    height: int  # ranks it takes
    width: float = 1.6  # inches, roughly


class _Network(_Draw):
    def __init__(self, a: Analysis, level: str, expand: str | None, color: str, numbers: bool, theme: str):
        super().__init__(a, color, numbers, theme)
        _check("level", level, LEVELS)
        self.level = level
        self.m = _model(a)
        self.expand = expand
        if expand is not None and expand not in expandable(a):
            raise SpecError("expand", "expand.unknown", value=repr(expand), names=", ".join(expandable(a)))
        self.exits: dict[int, _Out] = {}  # stage index → the drawn output of the stage
        self.block_exits: dict[str, _Out] = {}

    def units(self) -> list[_Unit]:
        units = []
        for st in self.m.stages:
            stage_open = self.level != "stages" or self.expand == st.name or any(it.name == self.expand for it in st.items)
            if not stage_open:
                units.append(_Unit(st, None, False, 1))
                continue
            for it in st.items:
                if it.block is None:
                    units.append(_Unit(st, it, False, 1))
                    continue
                opened = self.level == "layers" or self.expand in (st.name, it.name)
                if not opened:
                    units.append(_Unit(st, it, False, 1))
                    continue
                branches = _branches(it.group)
                height = max((_depth(b) for b in branches), default=0) + 1 + (2 if it.block.merge == "add" else 0)
                paths = sum(_leaves(b) for b in branches if b.children)
                units.append(_Unit(st, it, True, height, 0.5 + 1.4 * paths))
        return units

    def draw(self) -> str:
        net = self.a.network
        c, h, w = net.input
        title = f"<B>{html(net.name)}</B>  ·  input {c}×{h}×{w}  ·  {net.classes} classes"
        if self.numbers:
            t = self.a.totals
            title += f"  ·  {si(t.params)} params  ·  {si(t.macs)} MACs"
        self.begin("TB", title)
        units = self.units()
        columns = _columns(units)
        inp = _Out("input", tuple(net.input), tuple(net.input))
        self.w.node(
            "input",
            shape="box",
            style="rounded",
            label=_Html(f"<B>input</B><BR/>{html(shape_str(net.input))}"),
        )
        tops = ["input"]
        src = inp
        for k, col in enumerate(columns):
            if k > 0:
                # off-page connectors: an edge from the bottom of one column to the top of
                # the next would cross the whole drawing
                shape = html(shape_str(src.out_shape))
                self.w.node(f"to{k}", shape="cds", label=_Html(f"column {k + 1} ▸<BR/>{shape}"))
                self.edge(src, f"to{k}")
                self.w.node(f"from{k}", shape="cds", label=_Html(f"▸ from column {k}<BR/>{shape}"))
                tops.append(f"from{k}")
                src = _Out(f"from{k}", src.out_shape, src.out_shape)
            src = self.column(k, col, src)
        self.aux_heads()
        if self.legend_node():
            tops.append("legend")
        with self.w.sub(rank="same"):
            self.w.line(" -> ".join(tops) + " [style=invis];" if len(tops) > 1 else f"{tops[0]};")
        return self.end()

    def column(self, k: int, units: list[_Unit], src: _Out) -> _Out:
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
                first = run[0].item is st.items[0]
                label = f"<B>{html(st.name)}</B>" + ("" if first else " (continued)")
                with self.w.sub(
                    f"cluster_s{st.index}_{k}",
                    label=_Html(label),
                    labeljust="l",
                    style="rounded,dashed",
                    color=self.th.cluster,
                    fontcolor=self.th.muted,
                    fontsize=FONT_SIZE,
                ):
                    for u in run:
                        src = self.item(u, src)
            self.exits[st.index] = src
            i = j
        return src

    def stage_node(self, st: _Stage, src: _Out) -> _Out:
        g = st.group
        node_id = f"s{st.index}"
        kinds = [_block_color_kind(it.block) if it.block else it.rows[0].kind for it in st.items]
        weight: dict[str, int] = {}
        for kind, it in zip(kinds, st.items):
            weight[kind] = weight.get(kind, 0) + sum(r.macs for r in it.rows)
        main = "residual" if "residual" in weight else "block" if "block" in weight else max(weight, key=lambda k: (weight[k], k))
        self.box(
            node_id,
            _stage_summary(st),
            st.name,
            g.out_shape,
            g.params,
            g.macs,
            main,
            tooltip=f"stage {st.name}: {shape_str(g.in_shape)} → {shape_str(g.out_shape)}, {g.n_layers} layers, {g.params:,} params, {g.macs:,} MACs",
            bold_name=True,
            res_change=_res_changed(g.in_shape, g.out_shape),
        )
        self.edge(src, node_id)
        out = _Out(node_id, g.in_shape, g.out_shape)
        for it in st.items:
            self.block_exits[it.name] = out
        return out

    def item(self, u: _Unit, src: _Out) -> _Out:
        it = u.item
        if it.block is None:
            (row,) = it.rows
            node_id = f"r{it.start}"
            self.layer(node_id, row, it.name)
            self.edge(src, node_id)
            return _Out(node_id, row.in_shape, row.out_shape)
        if u.open:
            out = self.open_block(it, src)
        else:
            g = it.group
            node_id = f"b{it.start}"
            self.box(
                node_id,
                _kind_text(it.block),
                it.name,
                g.out_shape,
                g.params,
                g.macs,
                _block_color_kind(it.block),
                detail=" · ".join(x for x in (_widths_text(it.block), _scale_text(it.block)) if x),
                tooltip=f"{it.name} ({_kind_text(it.block)}): {shape_str(g.in_shape)} → {shape_str(g.out_shape)}, {g.params:,} params, {g.macs:,} MACs",
                bold_name=True,
                res_change=_res_changed(g.in_shape, g.out_shape),
            )
            self.edge(src, node_id)
            out = _Out(node_id, g.in_shape, g.out_shape)
        self.block_exits[it.name] = out
        return out

    def open_block(self, it: _Item, src: _Out) -> _Out:
        g = it.group
        label = f"<B>{html(it.name)}</B>  {html(_kind_text(it.block))}"
        detail = " · ".join(x for x in (_widths_text(it.block), _scale_text(it.block)) if x)
        if detail:
            label += f'<BR ALIGN="LEFT"/><FONT POINT-SIZE="{SMALL_SIZE}">{html(detail)}</FONT>'
        if self.numbers:
            label += f'<BR ALIGN="LEFT"/><FONT POINT-SIZE="{SMALL_SIZE}">{self.numbers_text(g.params, g.macs)}</FONT>'
        label += '<BR ALIGN="LEFT"/>'
        color = KIND_COLORS[_block_color_kind(it.block)]
        with self.w.sub(
            f"cluster_b{it.start}",
            label=_Html(label),
            labeljust="l",
            style="rounded",
            color=color,
            penwidth=1.5,
            fontcolor=self.th.text,
            fontsize=FONT_SIZE,
        ):
            return _BlockDrawer(self, it, self.m.index).draw(src)

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
                    "aux head (training only)",
                    x.head.name,
                    g.out_shape,
                    g.params,
                    g.macs,
                    "linear",
                    detail=" · ".join(_what(r) for r in x.rows),
                    tooltip=f"aux head {x.head.name} after {x.head.after}: {g.params:,} params, {g.macs:,} MACs",
                    bold_name=True,
                    dashed=True,
                )
                self.edge(src, node_id, style="dashed", weight=0)
                continue
            with self.w.sub(
                f"cluster_x{x.start}",
                label=_Html(f"<B>{html(x.head.name)}</B>  aux head (training only)"),
                labeljust="l",
                style="rounded,dashed",
                color=self.th.cluster,
                fontcolor=self.th.muted,
                fontsize=FONT_SIZE,
            ):
                prev = src
                for n, row in enumerate(x.rows):
                    node_id = f"r{x.start + n}"
                    self.layer(node_id, row, row.name)
                    self.edge(prev, node_id, style="dashed" if n == 0 else None, weight=0 if n == 0 else None)
                    prev = _Out(node_id, row.in_shape, row.out_shape)


def _stage_summary(st: _Stage) -> str:
    """What a stage holds: ``2 × inception, maxpool`` (runs of the same kind counted)."""
    runs: list[list] = []
    for it in st.items:
        what = _kind_text(it.block) if it.block else it.rows[0].kind
        if runs and runs[-1][0] == what:
            runs[-1][1] += 1
        else:
            runs.append([what, 1])
    parts = [f"{w} ×{n}" if n > 1 else w for w, n in runs]
    text = ", ".join(parts)
    return text if len(text) <= 40 else text[:39] + "…"


def _columns(units: list[_Unit]) -> list[list[_Unit]]:
    """Split the chain into columns of about equal height, preferring stage boundaries.

    Dynamic programming over the cut points: the cost of a column is its squared distance
    from the mean height, plus the cost of being a quarter off when it cuts a stage.
    """
    total = 1 + sum(u.height for u in units)
    if total <= MAX_COLUMN_RANKS or len(units) < 2:
        return [units]
    # as many columns as make the drawing about COLUMN_ASPECT times as tall as wide
    width = max(u.width for u in units)
    n = round(math.sqrt(total * RANK_INCHES / (width * COLUMN_ASPECT)))
    n = min(max(2, n), len(units))
    target = total / n
    cut_cost = (0.25 * target) ** 2
    prefix = [0]
    for u in units:
        prefix.append(prefix[-1] + u.height)
    size = len(units)
    inf = float("inf")
    # best[c][j]: the cheapest way to put units[:j] into c columns; back[c][j]: where the
    # last of them starts
    best = [[inf] * (size + 1) for _ in range(n + 1)]
    back = [[0] * (size + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for c in range(1, n + 1):
        for j in range(c, size - (n - c) + 1):
            cost_cut = cut_cost if j < size and units[j - 1].stage is units[j].stage else 0.0
            for i in range(j - 1, c - 2, -1):
                if best[c - 1][i] == inf:
                    continue
                h = 1 + prefix[j] - prefix[i]  # the input or a connector takes a rank
                if h > 2 * target and i < j - 1:
                    break
                cost = best[c - 1][i] + (h - target) ** 2 + cost_cut
                if cost < best[c][j]:
                    best[c][j], back[c][j] = cost, i
    cols = []
    j = size
    for c in range(n, 0, -1):
        i = back[c][j]
        cols.append(units[i:j])
        j = i
    return cols[::-1]


class _BlockDrawer:
    """Draws an expanded block's nodes (already in their cluster): branches side by side, their
    merge, and for a residual block the projection, the identity path and the add."""

    def __init__(self, d: _Draw, it: _Item, index: dict):
        self.d = d
        self.it = it
        self.index = index
        self.names: dict[str, str] = {}  # node key → what block_dot shows as its name

    def nid(self, node: Node) -> str:
        return f"r{self.index[id(node)]}"

    def draw(self, src: _Out) -> _Out:
        self.src = src
        node, block = self.it.group, self.it.block
        heads: list[str] = []
        branches = _branches(node)
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
                self.d.edge(e, node_id, inner=True)
            ends = [_Out(node_id, m.in_shape, m.out_shape)]
            m = next(merges)
        add_id = self.nid(m)
        self.d.layer(add_id, m, "add", scale=block.scale, act=block.act)
        for e in ends:
            self.d.edge(e, add_id, inner=e is not self.src)
        if len(heads) > 1:
            with self.d.w.sub(rank="same"):
                self.d.w.line(" -> ".join(heads) + " [style=invis];")
        for _ in (b for b in branches if not b.children):
            self.d.edge(src, add_id, inner=True, style="dashed", label="identity", weight=0)
        return _Out(add_id, m.in_shape, m.out_shape)

    def draw_layer(self, node_id: str, row: Node, short: str) -> None:
        self.d.layer(node_id, row, self.names.get(row.key, short))

    def branch(self, br: Node, src: _Out, heads: list[str]) -> _Out:
        prev = src
        for n, row in enumerate(_trunk(br)):
            node_id = self.nid(row)
            self.draw_layer(node_id, row, row.name)
            self.d.edge(prev, node_id, inner=prev is not self.src)
            if n == 0:
                heads.append(node_id)
            prev = _Out(node_id, row.in_shape, row.out_shape)
        subs = _subs(br)
        if subs:
            sub_heads: list[str] = []
            ends = [self.branch(s, prev, sub_heads) for s in subs]
            if not _trunk(br):
                heads.extend(sub_heads)
                sub_heads = []
            cat = next(c for c in br.children if c.kind == "concat")
            prev = self.merge(cat, ends, sub_heads)
        return prev

    def merge(self, row: Node, ends: list[_Out], heads: list[str], identity: bool = False) -> _Out:
        node_id = self.nid(row)
        self.d.layer(node_id, row, "concat")
        for e in ends:
            if e is self.src and identity:
                self.d.edge(e, node_id, inner=True, style="dashed", label="input", weight=0)
            else:
                self.d.edge(e, node_id, inner=e is not self.src)
        if len(heads) > 1:
            # the lecture's figure: paths start side by side, in their order, left to right
            with self.d.w.sub(rank="same"):
                self.d.w.line(" -> ".join(heads) + " [style=invis];")
        return _Out(node_id, row.in_shape, row.out_shape)


def to_dot(
    a: Analysis,
    level: str = "blocks",
    expand: str | None = None,
    color: str = "kind",
    numbers: bool = False,
    theme: str = "light",
) -> str:
    """The network as Graphviz DOT at ``level`` (see ``LEVELS``), with the stage, block or
    aux head named ``expand`` drawn layer by layer. Same analysis → same text."""
    return _Network(a, level, expand, color, numbers, theme).draw()


# --- one block under the microscope -------------------------------------------------------


def block_dot(a: Analysis, block: str, theme: str = "light") -> str:
    """One block as the lecture draws it: the input at the bottom, the paths side by side
    with their widths (c1–c4 for an Inception block), their merge at the top."""
    m = _model(a)
    found = [(st, it) for st in m.stages for it in st.items if it.block is not None and it.name == block]
    if not found:
        names = [it.name for st in m.stages for it in st.items if it.block is not None]
        raise SpecError("block", "expand.unknown", value=repr(block), names=", ".join(names))
    st, it = found[0]
    d = _Draw(a, "kind", True, theme)
    g = it.group
    template = TEMPLATES.get(it.block.kind) if it.block.kind else None
    call = f"{it.block.kind}(" + ", ".join(f"{k}={v[0] if len(v) == 1 else v}" for k, v in it.block.widths) + ")" if template else _kind_text(it.block)
    title = (
        f"<B>{html(it.name)}</B>  ·  {html(call)}<BR ALIGN=\"LEFT\"/>"
        f"{html(shape_str(g.in_shape))} → {html(shape_str(g.out_shape))}  ·  "
        f"{si(g.params)} params  ·  {si(g.macs)} MACs<BR ALIGN=\"LEFT\"/>"
    )
    if template is not None:
        title += f'<FONT POINT-SIZE="{SMALL_SIZE}">{html(template.description)}</FONT><BR ALIGN="LEFT"/>'
    d.begin("BT", title, labelloc="b")
    drawer = _BlockDrawer(d, it, m.index)
    drawer.names = _width_names(a, it) if template is not None else {}
    prev = _previous(m, st, it)
    d.w.node(
        "input",
        shape="box",
        style="rounded",
        label=_Html(f"<B>input</B> (from {html(prev)})<BR/>{html(shape_str(g.in_shape))}"),
    )
    src = _Out("input", g.in_shape, g.in_shape)
    drawer.draw(src)
    d.legend_node()
    return d.end()


def _previous(m: _Model, st: _Stage, it: _Item) -> str:
    flat = [x for s in m.stages for x in s.items]
    i = next(n for n, x in enumerate(flat) if x is it)
    return flat[i - 1].name if i > 0 else "the network input"


def _width_names(a: Analysis, it: _Item) -> dict[str, str]:
    """Leaf key → ``c2[0] = 96``: which width field made each conv, found by matching each
    field's channels with a path's convs (so nothing is claimed that the numbers do not show)."""
    from .layers import scaled

    net = a.network

    def convs(br: Node, deep: bool) -> list[Node]:
        out = [r for r in _trunk(br) if r.kind == "conv"]
        if deep:
            for s in _subs(br):
                out += convs(s, True)
        return out

    # candidates: a whole path (its splits included), its trunk, each split on its own
    paths = []
    for br in _branches(it.group):
        paths.append(convs(br, True))
        paths.append(convs(br, False))
        for s in _subs(br):
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


# --- export -------------------------------------------------------------------------------


class RenderError(RuntimeError):
    """``dot`` failed, timed out, or was asked for something it cannot make."""


class GraphvizMissing(RenderError):
    """No ``dot`` on the PATH."""

    MESSAGE = (
        "Graphviz's `dot` was not found on the PATH; install the Debian package `graphviz` "
        "(apt-get install graphviz) to export PNG, SVG or PDF (DOT export needs nothing)"
    )

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.MESSAGE)


class Rendered(bytes):
    """What ``render`` made: the file's bytes, plus what a caller may want to show.

    ``dpi`` and ``scale`` (pixels per point) are set for PNG; ``notes`` says what was
    changed to make the file (a lowered resolution), empty when nothing was.
    """

    fmt: str
    dpi: int | None
    scale: float | None
    size: tuple[int, int] | None  # pixels (PNG) or points (SVG, PDF)
    notes: tuple[str, ...]

    @classmethod
    def make(cls, data: bytes, fmt: str, dpi=None, scale=None, size=None, notes=()) -> Rendered:
        out = cls(data)
        out.fmt, out.dpi, out.scale, out.size, out.notes = fmt, dpi, scale, size, tuple(notes)
        return out


def find_dot() -> str:
    """The path of ``dot``; ``GraphvizMissing`` when there is none."""
    path = shutil.which("dot")
    if path is None:
        raise GraphvizMissing()
    return path


def _run(args: list[str], source: bytes) -> subprocess.CompletedProcess:
    """Run ``dot`` (no shell; the DOT text on stdin) within ``RENDER_TIMEOUT``."""
    timeout = RENDER_TIMEOUT
    try:
        done = subprocess.run(args, input=source, capture_output=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise GraphvizMissing() from None
    except subprocess.TimeoutExpired:
        raise RenderError(f"`dot` took longer than {timeout:g} s; try a collapsed level or --expand") from None
    except OSError as err:
        raise RenderError(f"cannot run `dot`: {err}") from None
    if done.returncode != 0:
        msg = done.stderr.decode("utf-8", "replace").strip()
        raise RenderError(f"`dot` failed (exit {done.returncode}): {msg[-2000:]}")
    return done


_PLAIN = re.compile(rb"^graph\s+(\S+)\s+(\S+)\s+(\S+)")
_PAD_POINTS = 2 * 0.2 * 72  # the graph's pad attribute, both sides, in points


def layout_size(dot: str) -> tuple[float, float]:
    """The laid-out drawing's width and height in points (``dot -Tplain``)."""
    done = _run([find_dot(), "-Tplain"], dot.encode())
    m = _PLAIN.match(done.stdout)
    if not m:
        raise RenderError("`dot -Tplain` gave no graph size")
    scale, w, h = (float(x) for x in m.groups())
    return w * scale * 72, h * scale * 72


def fit_dpi(width_pt: float, height_pt: float, dpi: int) -> tuple[int, list[str]]:
    """The highest dpi ≤ ``dpi`` whose bitmap fits Cairo's side limit and our pixel budget,
    with a note for each reduction."""
    w = (width_pt + _PAD_POINTS) / 72
    h = (height_pt + _PAD_POINTS) / 72
    notes = []
    best = dpi
    side = (CAIRO_MAX_SIDE - 2) / max(w, h)
    if side < best:
        best = int(side)
        notes.append(
            f"the drawing is {w:.0f}×{h:.0f} in; at {dpi} dpi the PNG would exceed Cairo's "
            f"limit of {CAIRO_MAX_SIDE} pixels per side, so it was made at {best} dpi"
        )
    area = math.sqrt(MAX_PNG_PIXELS / (w * h))
    if area < best:
        best = int(area)
        notes.append(
            f"the drawing is {w:.0f}×{h:.0f} in; at {dpi} dpi the PNG would exceed "
            f"{MAX_PNG_PIXELS / 1e6:.0f} megapixels, so it was made at {best} dpi"
        )
    best = max(best, 1)
    if best < dpi and best / 72 < MIN_LEGIBLE_SCALE:
        notes.append(f"at {best} dpi small text is under {SMALL_SIZE} pixels high; export SVG or PDF to read it")
    return best, notes


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise RenderError("`dot` did not produce a PNG")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def render(dot: str, fmt: str, dpi: int | None = None) -> bytes:
    """Render DOT text with Graphviz's ``dot``: ``png`` (at ``dpi``, default 96, lowered to
    fit Cairo's size limit with a note in ``.notes``), ``svg``, ``pdf``; ``dot`` returns the
    text itself. Returns ``Rendered`` bytes."""
    _check("format", fmt, FORMATS)
    if dpi is not None and (isinstance(dpi, bool) or not isinstance(dpi, int) or not MIN_DPI <= dpi <= MAX_DPI):
        raise ValueError(f"dpi must be a whole number from {MIN_DPI} to {MAX_DPI}; got {dpi!r}")
    if fmt == "dot":
        return Rendered.make(dot.encode(), "dot")
    exe = find_dot()
    source = dot.encode()
    if fmt != "png":
        notes = [f"--dpi applies to PNG only; a {fmt.upper()} is vector and scales freely"] if dpi is not None else []
        done = _run([exe, f"-T{fmt}"], source)
        return Rendered.make(done.stdout, fmt, notes=notes)
    want = dpi or DEFAULT_DPI
    w_pt, h_pt = layout_size(dot)
    use, notes = fit_dpi(w_pt, h_pt, want)
    done = _run([exe, "-Tpng", f"-Gdpi={use}"], source)
    data = done.stdout
    size = png_size(data)
    if b"Scaling by" in done.stderr:  # Cairo shrank it after all: say so rather than hide it
        notes.append("Graphviz scaled the bitmap down to fit Cairo's size limit; export SVG or PDF for full detail")
    scale = size[0] / (w_pt + _PAD_POINTS)
    return Rendered.make(data, "png", dpi=use, scale=scale, size=size, notes=notes)
