"""Text for diagrams: the words the diagram writes (replaceable, for an interface in another
language), escaping for DOT strings and HTML-like labels, numbers with K/M/G, the fonts, and
an estimate of how wide Graphviz will set a line (for the layout's choice of columns).

Names are user input: every one goes through ``html`` or ``quote`` before it enters DOT.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from contextlib import contextmanager

# Graphviz hands the font name to fontconfig/Pango as a comma-separated family list: Latin
# text in DejaVu Sans, and what it lacks (Chinese, Japanese, Korean) in Noto Sans CJK SC.
# Graphviz measures each label with these fonts, so a label sized for one never overflows.
FONT = "DejaVu Sans,Noto Sans CJK SC"
FONT_SIZE = 10
SMALL_SIZE = 9
TITLE_SIZE = 12

# The words a diagram itself writes, by key. A translation passes ``words={key: text}``
# (placeholders in braces stay); names, numbers and shapes are never translated.
WORDS: dict[str, str] = {
    "input": "input",
    "input.from": "(from {name})",
    "input.network": "the network input",
    "classes": "{n} classes",
    "column.to": "column {n} ▸",
    "column.from": "▸ from column {n}",
    "row.to": "row {n} ▾",
    "row.from": "▸ from row {n}",
    "continued": "{name} (continued)",
    "concat": "concat",
    "add": "add",
    "add.scaled": "add, branches ×{scale}",
    "relu": "→ ReLU",
    "identity": "identity",
    "numbers": "{params} params · {macs} MACs",
    "params": "params",
    "macs": "MACs",
    "repeat": "{name} ×{n}",
    "aux": "aux head (training only)",
    "block": "block",
    "residual block": "residual block",
    "legend.kind": "kind",
    "legend.params": "params (log scale)",
    "legend.macs": "MACs (log scale)",
    "legend.none": "none (0 {unit})",
    "legend.fewest": "fewest {unit}",
    "legend.most": "most {unit}",
    "legend.conv": "conv",
    "legend.maxpool": "max pool",
    "legend.avgpool": "avg pool",
    "legend.lrn": "LRN, BatchNorm",
    "legend.block": "Inception block",
    "legend.residual": "residual block",
    "legend.concat": "concat",
    "legend.add": "residual add",
    "legend.dropout": "dropout, flatten",
    "legend.linear": "linear",
    # layer kinds as a stage's summary names them (a template's kind is its own name)
    "kind.adaptive_avg_pool": "adaptive avgpool",
    "kind.batchnorm": "BatchNorm",
    "kind.lrn": "LRN",
}


class Words:
    """``WORDS`` with a caller's replacements; ``w("column.to", n=2)`` → ``column 2 ▸``."""

    def __init__(self, words: Mapping[str, str] | None = None):
        if words is not None and not isinstance(words, Mapping):
            raise ValueError(f"words must be a mapping of {', '.join(sorted(WORDS)[:3])}, … to text")
        self.words = {**WORDS, **(words or {})}

    def __call__(self, key: str, **values) -> str:
        text = self.words.get(key, key)
        return text.format(**values) if values else text

    def kind(self, kind: str) -> str:
        """A template's or layer kind's name, translated when the words have ``kind.<name>``."""
        return self.words.get(f"kind.{kind}", kind)

    def description(self, kind: str, text: str) -> str:
        """A template's one-line description, translated when the words have ``template.<kind>``."""
        return self.words.get(f"template.{kind}", text)


def si(n: float) -> str:
    """3 significant digits with K, M, G: ``111K``, ``86.7M``, ``1.5G``."""
    for unit, div in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= div:
            s = f"{n / div:.3g}"
            return (s if "e" not in s else f"{n / div:.0f}") + unit
    return f"{n:.3g}" if isinstance(n, float) else str(n)


# --- escaping -----------------------------------------------------------------------------


def visible(ch: str) -> str:
    """A character that cannot appear raw in a label, as a visible escape (``\\n``)."""
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if ch in named:
        return named[ch]
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def bad_char(ch: str) -> bool:
    # control characters, lone surrogates, non-characters and line/paragraph separators
    # are invalid in XML (Graphviz's HTML labels, SVG) or would break a line
    return unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") or ch in ("\ufffe", "\uffff")


_HTML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "\\": "\\\\"}


def html(text: object) -> str:
    """Text for a Graphviz HTML-like label: markup characters as entities, control
    characters as visible escapes, backslashes doubled (Graphviz expands ``\\N``, ``\\G``
    and friends even inside HTML labels, and reads ``\\\\`` as one backslash)."""
    out = []
    for ch in str(text):
        if bad_char(ch):
            ch = visible(ch)
        for c in ch:
            out.append(_HTML_ESCAPES.get(c, c))
    return "".join(out)


def quote(text: object) -> str:
    """A DOT double-quoted string. Backslashes are doubled because Graphviz expands
    ``\\N``, ``\\G`` and ``\\l`` in labels and tooltips."""
    out = ['"']
    for ch in str(text):
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif bad_char(ch):
            out.append("\\" + visible(ch))  # shown as typed: a backslash, then n
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


class Html(str):
    """An HTML-like label, already escaped: written as ``<…>``."""


def attrs_text(attrs: dict) -> str:
    parts = []
    for key, value in attrs.items():
        if value is None:
            continue
        if isinstance(value, Html):
            parts.append(f"{key}=<{value}>")
        elif isinstance(value, bool):
            parts.append(f"{key}={'true' if value else 'false'}")
        elif isinstance(value, (int, float)):
            parts.append(f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}")
        else:
            parts.append(f"{key}={quote(value)}")
    return f" [{', '.join(parts)}]" if parts else ""


class Writer:
    """DOT text, line by line, indented by nesting."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0

    def line(self, text: str) -> None:
        self.lines.append("  " * self.depth + text)

    def attrs(self, what: str, **attrs) -> None:
        self.line(f"{what}{attrs_text(attrs)};")

    def node(self, node_id: str, **attrs) -> None:
        self.line(f"{node_id}{attrs_text(attrs)};")

    def edge(self, a: str, b: str, **attrs) -> None:
        self.line(f"{a} -> {b}{attrs_text(attrs)};")

    @contextmanager
    def sub(self, name: str = "", **attrs):
        self.line(f"subgraph {name} {{" if name else "{")
        self.depth += 1
        for key, value in attrs.items():
            if value is not None:
                self.line(f"{attrs_text({key: value})[2:-1]};")
        yield
        self.depth -= 1
        self.line("}")


# --- how wide a line will be --------------------------------------------------------------

# DejaVu Sans advance widths, per mille of the font size, for U+0020…U+007E (from the font's
# own tables); Book and Bold.
_BOOK = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636,
    636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775,
    752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390,
    337, 390, 838, 500, 500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612,
    635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
)  # fmt: skip
_BOLD = (
    348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696, 696, 696,
    696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838, 580, 1000, 774, 762, 734, 830, 683, 683, 821,
    837, 372, 372, 775, 637, 995, 837, 850, 733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 457,
    365, 457, 838, 500, 500, 675, 716, 593, 716, 678, 435, 716, 712, 343, 343, 665, 343, 1042, 712, 687,
    716, 716, 493, 595, 478, 712, 652, 924, 645, 652, 582, 712, 365, 712, 838,
)  # fmt: skip
_OTHER = {"×": 838, "·": 318, "▸": 502, "▾": 502, "→": 838, "–": 500, "…": 1000}


def text_width(text: str, size: float, bold: bool = False) -> float:
    """About how many points wide Graphviz sets ``text`` (wide East Asian characters are one
    em in Noto Sans CJK)."""
    table = _BOLD if bold else _BOOK
    total = 0
    for ch in text:
        o = ord(ch)
        if 32 <= o < 127:
            total += table[o - 32]
        elif ch in _OTHER:
            total += _OTHER[ch]
        elif unicodedata.east_asian_width(ch) in ("W", "F"):
            total += 1000
        else:
            total += 650
    return total * size / 1000


def wrap(parts: list[str], width: float, size: float, sep: str = " · ", bold: bool = False) -> list[str]:
    """Join ``parts`` with ``sep`` into lines at most ``width`` points wide (a part longer
    than that gets a line of its own; nothing is cut)."""
    lines: list[str] = []
    cur = ""
    for p in parts:
        joined = f"{cur}{sep}{p}" if cur else p
        if cur and text_width(joined, size, bold) > width:
            lines.append(cur)
            cur = p
        else:
            cur = joined
    if cur:
        lines.append(cur)
    return lines
