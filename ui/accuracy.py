"""The chapter's accuracy-against-operations picture for the family: published ImageNet-1k top-1
of each preset that has one, on the MACs axis (our count, at the preset's own input), bubble
area = params, and the design being edited placed on the cost axis. Every figure carries its
source."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from googlenet.analysis import Analysis

from .charts import PALETTE, Figure, _figure, _text
from .i18n import N_, _
from .tables import si


@dataclass(frozen=True)
class Published:
    """A published single-model, single-crop ImageNet-1k validation top-1 accuracy."""

    preset: str
    top1: float  # percent
    source: str  # who published it (a name)
    where: str  # the exact place: a weights enum, a results file, a paper's table (names; or a msgid)
    translate_where: bool = False


PUBLISHED = (
    Published("googlenet-torchvision", 69.778, "torchvision 0.29", "GoogLeNet_Weights.IMAGENET1K_V1, acc@1"),
    Published("inception-bn", 74.8, "Ioffe & Szegedy 2015",
              N_("arXiv 1502.03167, §4.2.3: BN-Inception single crop, top-1 error 25.2%"), translate_where=True),
    Published("inception-v3", 77.294, "torchvision 0.29", "Inception_V3_Weights.IMAGENET1K_V1, acc@1"),
    Published("inception-v4", 80.144, "timm", "results/results-imagenet.csv, inception_v4.tf_in1k"),
    Published("inception-resnet-v2", 80.434, "timm", "results/results-imagenet.csv, inception_resnet_v2.tf_in1k"),
)
NOT_PUBLISHED = {
    "googlenet": (N_("The paper gives no top-1 accuracy, only top-5 error ({error} for one model and one crop, Table 3)."),
                  {"error": "10.07%"}),
}


def where(p: Published) -> str:
    return _(p.where) if p.translate_where else p.where


def points(family: list[tuple[str, Analysis]]) -> list[tuple[Published, Analysis]]:
    by = dict(family)
    return [(p, by[p.preset]) for p in PUBLISHED if p.preset in by]


def figure(family: list[tuple[str, Analysis]], current: Analysis | None = None, current_name: str = "") -> Figure:
    """Top-1 against MACs; bubble area proportional to params; the current design as a line."""
    pts = points(family)
    biggest = max(a.totals.params for _p, a in pts)
    data = [{
        "type": "scatter", "mode": "markers+text", "name": _text(p.preset), "showlegend": False,
        "x": [a.totals.macs], "y": [p.top1], "text": [_text(p.preset)],
        "textposition": "top center" if i % 2 == 0 else "bottom center",
        "marker": {"size": [a.totals.params], "sizemode": "area", "sizeref": 2 * biggest / 60**2, "sizemin": 4,
                   "color": PALETTE[i % len(PALETTE)], "opacity": 0.8},
        "hovertemplate": _("{preset}<br>top-1 {top1}%<br>{macs} MACs, {params} params<br>{source}: {where}").format(
            preset=_text(p.preset), top1=f"{p.top1:.3g}", macs=si(a.totals.macs), params=si(a.totals.params),
            source=_text(p.source), where=_text(where(p))) + "<extra></extra>",
    } for i, (p, a) in enumerate(pts)]
    layout = {}
    if current is not None:
        x = current.totals.macs
        data.append({
            "type": "scatter", "mode": "lines", "x": [x, x], "y": [65, 85], "showlegend": True,
            "name": _text(_("your design: {name}, {macs} MACs").format(name=current_name, macs=si(x))),
            "line": {"color": PALETTE[3], "dash": "dash"}, "hoverinfo": "name",
        })
    macs = [a.totals.macs for _p, a in pts] + ([current.totals.macs] if current is not None else [])
    lo, hi = math.log10(min(macs)) - 0.15, math.log10(max(macs)) + 0.15
    return _figure(
        data, _("Published ImageNet top-1 against MACs (bubble area: params)"), height=440,
        xaxis={"title": {"text": _("MACs per image, at the network's own input (log scale)")}, "type": "log", "range": [lo, hi],
               "exponentformat": "SI"},
        yaxis={"title": {"text": _("top-1 accuracy (%)")}, "range": [65, 85]},
        **layout,
    )


def sources(family: list[tuple[str, Analysis]]) -> pd.DataFrame:
    """Each figure with its source, beside the chart."""
    rows = [{
        _("Network"): p.preset, _("Top-1 (%)"): f"{p.top1:.3f}".rstrip("0").rstrip("."),
        _("MACs"): si(a.totals.macs), _("Params"): si(a.totals.params), _("Source"): f"{p.source}: {where(p)}",
    } for p, a in points(family)]
    by = dict(family)
    rows += [{
        _("Network"): name, _("Top-1 (%)"): "—", _("MACs"): si(by[name].totals.macs), _("Params"): si(by[name].totals.params),
        _("Source"): _(text).format(**values),
    } for name, (text, values) in NOT_PUBLISHED.items() if name in by]
    return pd.DataFrame(rows)
