"""Colours: the kind palette (Okabe–Ito), the heat map (viridis on a log scale), the two
page themes, and the legend entries each of them draws."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..analysis import Analysis
from .text import si

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
    "batchnorm": "#999999",
    "dropout": "#DDDDDD",
    "flatten": "#DDDDDD",
    "linear": OKABE_ITO["bluish green"],
    "concat": OKABE_ITO["vermillion"],
    "add": OKABE_ITO["reddish purple"],
    "block": OKABE_ITO["blue"],  # a collapsed block whose branches are concatenated
    "residual": OKABE_ITO["reddish purple"],  # a collapsed residual block
}
OTHER = "#999999"  # a kind without a colour of its own
# (word key of the legend label, the kinds it stands for), in the order a network meets them
KIND_LEGEND = (
    ("legend.conv", ("conv",)),
    ("legend.maxpool", ("maxpool",)),
    ("legend.avgpool", ("avgpool", "adaptive_avg_pool")),
    ("legend.lrn", ("lrn", "batchnorm")),
    ("legend.block", ("block",)),
    ("legend.residual", ("residual",)),
    ("legend.concat", ("concat",)),
    ("legend.add", ("add",)),
    ("legend.dropout", ("dropout", "flatten")),
    ("legend.linear", ("linear",)),
)
# viridis (perceptually uniform, readable with every common colour-vision deficiency)
VIRIDIS = (
    "#440154", "#482475", "#414487", "#355F8D", "#2A788E", "#21918C",
    "#22A884", "#44BF70", "#7AD151", "#BDDF26", "#FDE725",
)  # fmt: skip
NO_WEIGHTS = "#E5E5E5"  # heat-map fill of nodes with nothing to count


@dataclass(frozen=True)
class Theme:
    page: str
    text: str
    muted: str
    line: str
    node: str
    cluster: str


THEME_COLORS = {
    # GitHub's and Streamlit's page colours, so a transparent-looking export sits well on both
    "light": Theme(page="#FFFFFF", text="#1F2328", muted="#57606A", line="#57606A", node="#FFFFFF", cluster="#8C959F"),
    "dark": Theme(page="#0E1117", text="#E6EDF3", muted="#9DA7B3", line="#9DA7B3", node="#161B22", cluster="#6E7681"),
}


def rgb(hex_color: str) -> tuple[int, int, int]:
    return int(hex_color[1:3], 16), int(hex_color[3:5], 16), int(hex_color[5:7], 16)


def luminance(hex_color: str) -> float:
    """WCAG relative luminance."""

    def lin(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in rgb(hex_color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_on(fill: str) -> str:
    """Black or white, whichever contrasts more with ``fill`` (WCAG contrast ratio)."""
    lum = luminance(fill)
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#FFFFFF"


def viridis(t: float) -> str:
    t = min(1.0, max(0.0, t))
    x = t * (len(VIRIDIS) - 1)
    i = min(int(x), len(VIRIDIS) - 2)
    f = x - i
    a, b = rgb(VIRIDIS[i]), rgb(VIRIDIS[i + 1])
    return "#{:02X}{:02X}{:02X}".format(*(round(p + (q - p) * f) for p, q in zip(a, b)))


def kind_color(kind: str) -> str:
    return KIND_COLORS.get(kind, OTHER)


@dataclass(frozen=True)
class Heat:
    """A log scale from the smallest non-zero value of any row to the largest of any group,
    so a layer, a block and a stage are coloured on the same scale at every level."""

    metric: str  # "params" | "macs"
    lo: int
    hi: int

    @staticmethod
    def of(a: Analysis, metric: str) -> Heat:
        values = [getattr(x, metric) for x in (*a.layers, *a.blocks, *a.stages, *a.aux)]
        nonzero = [v for v in values if v > 0]
        if not nonzero:
            return Heat(metric, 1, 1)
        return Heat(metric, min(nonzero), max(nonzero))

    def t(self, value: int) -> float:
        if self.hi <= self.lo:
            return 1.0
        return math.log(value / self.lo) / math.log(self.hi / self.lo)

    def color(self, value: int) -> str:
        return NO_WEIGHTS if value <= 0 else viridis(self.t(value))

    def stops(self, unit: str, none: str, n: int = 6) -> list[tuple[str, str]]:
        """(label, colour) from none through the smallest to the largest value; ``unit`` is
        the word for the metric, ``none`` the label of the no-weights grey."""
        out = [(none, NO_WEIGHTS)]
        if self.hi <= self.lo:
            return out + [(f"{si(self.hi)} {unit}", viridis(1.0))]
        for i in range(n):
            t = i / (n - 1)
            value = self.lo * (self.hi / self.lo) ** t
            out.append((f"{si(value)} {unit}", viridis(t)))
        return out
