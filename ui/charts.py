"""Plotly figures of an analysis. Pure: each function takes core results and returns the figure as
plotly's figure JSON, ``{"data": [...], "layout": {...}}``, built from plain lists and dicts;
colours follow the Streamlit theme when shown with ``st.plotly_chart(theme="streamlit")``.

Plain dicts rather than ``plotly.graph_objects``: those validate every property on every
assignment, which cost more than the rest of a main-page rerun. ``tests/test_charts.py`` has
plotly's validator check every figure here instead."""

from __future__ import annotations

from typing import Any

from googlenet.analysis import Analysis, shape_str
from googlenet.lessons import BlockLesson, paths

from .i18n import N_, _
from .tables import si

Figure = dict[str, Any]

HEIGHT = 380
# Okabe–Ito: distinguishable with every common colour-vision deficiency, on light and dark
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#999999")
A_COLOR, B_COLOR = "#0072B2", "#E69F00"


def _color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _text(name: str) -> str:
    """A name as plotly text: plotly draws ``<b>``, ``<a href>``, ``<span style>`` and entities
    in labels, legends and hovers, so a name's ``&``, ``<`` and ``>`` go in as entities and show
    as themselves."""
    return name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _si_axes(layout: dict) -> dict:
    """Every axis with SI exponents (G for 10⁹, as the cards and tables write it; plotly's
    default writes B)."""
    for k, v in layout.items():
        if (k.startswith("xaxis") or k.startswith("yaxis")) and isinstance(v, dict):
            v.setdefault("exponentformat", "SI")
    for k in ("xaxis", "yaxis"):
        layout.setdefault(k, {"exponentformat": "SI"})
    return layout


def _figure(data: list[dict], title: str, height: int = HEIGHT, barmode: str = "group", **layout: Any) -> Figure:
    """A figure with the title, size, margins and legend (above the plot, on the right) every
    chart shares; numbers on its axes in SI units."""
    layout = _si_axes(layout)
    return {
        "data": data,
        "layout": {
            "title": {"text": title},
            "height": height,
            "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
            "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
            "barmode": barmode,
            **layout,
        },
    }


def _grid(
    rows: int, cols: int, titles: tuple[str, ...], shared_x: bool = False,
    h_spacing: float | None = None, v_spacing: float | None = None,
) -> tuple[dict, list[dict]]:
    """The axes and title annotations of a rows × cols grid of subplots, and each cell's
    ``{"xaxis", "yaxis"}`` for its traces, row by row.

    Laid out as ``plotly.subplots.make_subplots`` lays it out: row 1 at the top, axes numbered
    row by row, each title centred just above its cell. With ``shared_x`` the x axes of a column
    match its bottom one, and only the bottom one shows tick labels."""
    h_spacing = 0.2 / cols if h_spacing is None else h_spacing
    v_spacing = 0.3 / rows if v_spacing is None else v_spacing
    width = (1.0 - h_spacing * (cols - 1)) / cols
    height = (1.0 - v_spacing * (rows - 1)) / rows
    layout: dict = {}
    annotations, cells = [], []
    for r in range(rows):
        below = rows - 1 - r
        y0 = below * height + below * v_spacing
        y1 = min(y0 + height, 1.0)  # not a float's width above the top
        for c in range(cols):
            x0 = c * width + c * h_spacing
            x1 = x0 + width
            n = r * cols + c + 1
            s = str(n) if n > 1 else ""
            layout[f"xaxis{s}"] = {"anchor": f"y{s}", "domain": [x0, x1]}
            layout[f"yaxis{s}"] = {"anchor": f"x{s}", "domain": [y0, y1]}
            cells.append({"xaxis": f"x{s}", "yaxis": f"y{s}"})
            if titles[n - 1]:
                annotations.append({
                    "text": titles[n - 1], "x": (x0 + x1) / 2.0, "y": y1, "xref": "paper", "yref": "paper",
                    "xanchor": "center", "yanchor": "bottom", "showarrow": False, "font": {"size": 16},
                })
    if shared_x:
        for c in range(cols):
            bottom = (rows - 1) * cols + c + 1
            for r in range(rows - 1):
                n = r * cols + c + 1
                axis = layout[f"xaxis{n if n > 1 else ''}"]
                axis["matches"] = f"x{bottom if bottom > 1 else ''}"
                axis["showticklabels"] = False
    if annotations:
        layout["annotations"] = annotations
    return layout, cells


def cost_per_block(a: Analysis) -> Figure:
    """Params and MACs of every block, coloured by stage."""
    axes, (top, bottom) = _grid(2, 1, (_("Params"), _("MACs")), shared_x=True, v_spacing=0.08)
    data = []
    stages = list(dict.fromkeys(g.stage for g in a.blocks))
    for i, stage in enumerate(stages):
        groups = [g for g in a.blocks if g.stage == stage]
        names = [_text(g.name) for g in groups]
        common = dict(
            type="bar", x=names, name=_text(stage), legendgroup=_text(stage), customdata=[_text(g.layer.kind or _("block")) for g in groups],
            marker={"color": _color(i)},
        )
        data.append({
            **common, **top, "y": [g.params for g in groups],
            "hovertemplate": "%{x} (%{customdata})<br>" + _("{value} params").format(value="%{y:,}") + "<extra></extra>",
        })
        data.append({
            **common, **bottom, "y": [g.macs for g in groups], "showlegend": False,
            "hovertemplate": "%{x} (%{customdata})<br>%{y:,} MACs<extra></extra>",
        })
    return _figure(data, _("Params and MACs per block"), height=460, **axes)


def channel_allocation(a: Analysis) -> Figure:
    """Every block's output channels split by path (c1–c4 for an Inception block)."""
    names = [g.name for g in a.blocks]
    per_block = {name: paths(a, name) for name in names}
    labels: list[str] = []
    for ps in per_block.values():
        for p in ps:
            key = p.field or p.name
            if key not in labels:
                labels.append(key)
    data = []
    for i, key in enumerate(labels):
        ys, hover = [], []
        for name in names:
            match = [p for p in per_block[name] if (p.field or p.name) == key]
            ys.append(sum(p.out_channels for p in match))
            hover.append(" + ".join(_text(f"{p.name}: {p.label}") for p in match) or "—")
        data.append({
            "type": "bar", "x": [_text(n) for n in names], "y": ys, "name": _text(key), "customdata": hover,
            "marker": {"color": _color(i)},
            "hovertemplate": "%{x} · " + _text(key) + "<br>" + _("{value} channels").format(value="%{y:,}") + "<br>%{customdata}<extra></extra>",
        })
    fig = _figure(data, _("Channel allocation of every block, by path"), barmode="stack",
                  yaxis={"title": {"text": _("output channels")}})
    fig["layout"]["legend"]["traceorder"] = "normal"
    return fig


def depth_profile(a: Analysis) -> Figure:
    """Spatial size and channels of the main path's tensors, from the input to the logits."""
    trunk = [r for r in a.layers if not r.aux and not r.branch and (not r.block or r.kind in ("concat", "add"))]
    xs = [_("input")] + [_text(r.block or r.key) for r in trunk]
    shapes = [tuple(a.network.input)] + [r.out_shape for r in trunk]
    hover = [f"{x}<br>{shape_str(s)}" for x, s in zip(xs, shapes)]
    idx = list(range(len(xs)))
    axes, (top, bottom) = _grid(2, 1, (_("Height × width"), _("Channels")), shared_x=True, v_spacing=0.06)
    heights = [s[1] if len(s) == 3 else 1 for s in shapes]
    line = dict(type="scatter", x=idx, mode="lines+markers", line={"shape": "hv"}, text=hover,
                hovertemplate="%{text}<extra></extra>", showlegend=False)
    data = [
        {**line, **top, "y": heights, "name": _("height"), "marker": {"color": _color(0)}},
        {**line, **bottom, "y": [s[0] for s in shapes], "name": _("channels"), "marker": {"color": _color(1)}},
    ]
    # ticks at the sizes the network has (a log axis's own minor ticks read "100, 5, 2, 10 …")
    ticks = sorted(set(heights))
    axes["yaxis"].update(type="log", tickmode="array", tickvals=ticks, ticktext=[str(t) for t in ticks])
    axes["xaxis2"].update(tickmode="array", tickvals=idx, ticktext=xs, tickangle=-60)
    return _figure(data, _("Spatial size and channels along the depth"), height=460, **axes)


GROUP_TITLES = {
    ("params", "stages"): N_("Params per stage"), ("macs", "stages"): N_("MACs per stage"),
    ("params", "blocks"): N_("Params per block"), ("macs", "blocks"): N_("MACs per block"),
}


def compare_groups(a: Analysis, b: Analysis, level: str, metric: str) -> Figure:
    """A against B per stage or per block (``level``), ``metric`` = params | macs."""
    ga = a.stages if level == "stages" else a.blocks
    gb = b.stages if level == "stages" else b.blocks
    names = list(dict.fromkeys([g.name for g in ga] + [g.name for g in gb]))
    va = {g.name: getattr(g, metric) for g in ga}
    vb = {g.name: getattr(g, metric) for g in gb}
    unit = _("params") if metric == "params" else "MACs"
    data = [
        {
            "type": "bar", "x": [_text(n) for n in names], "y": [vals.get(n) for n in names], "name": label,
            "marker": {"color": color},
            "hovertemplate": "%{x}<br>%{y:,} " + unit + "<extra>" + label + "</extra>",
        }
        for label, vals, color in (("A", va, A_COLOR), ("B", vb, B_COLOR))
    ]
    return _figure(data, _(GROUP_TITLES[metric, level]))


def family(entries: list[tuple[str, Analysis]]) -> Figure:
    """Params against MACs of each preset, marker size by depth."""
    data = []
    ordered = sorted(entries, key=lambda e: e[1].totals.macs)
    for i, (name, a) in enumerate(ordered):
        t = a.totals
        data.append({
            "type": "scatter", "x": [t.macs], "y": [t.params], "name": _text(name), "mode": "markers+text", "text": [_text(name)],
            "textposition": "top center" if i % 2 == 0 else "bottom center",  # neighbours' labels apart
            "marker": {"size": 10 + t.depth / 6, "color": _color(i)},
            "hovertemplate": _("{name}<br>{macs} MACs<br>{params} params<br>depth {depth}").format(
                name=_text(name), macs=si(t.macs), params=si(t.params), depth=t.depth) + "<extra></extra>",
        })
    return _figure(
        data, _("The family: cost against size (marker size: depth)"), height=420, showlegend=False,
        xaxis={"title": {"text": _("MACs per image")}, "type": "log"},
        yaxis={"title": {"text": _("params")}, "type": "log"},
    )


def lesson_bars(les: BlockLesson, lesson: str) -> Figure:
    """The block as built against the block without its 1×1 reduces (or unfactorised)."""
    if lesson == "reduce":
        other, params, macs = _("without 1×1 reduce"), les.params_without_reduce, les.macs_without_reduce
    else:
        other, params, macs = _("unfactorised"), les.params_unfactorised, les.macs_unfactorised
    axes, cells = _grid(1, 2, (_("Params"), _("MACs")))
    data = [
        {
            "type": "bar", **cell, "x": [_("as built"), other], "y": [built, instead],
            "text": [si(built), si(instead)], "textposition": "auto",
            "marker": {"color": [A_COLOR, PALETTE[3]]}, "showlegend": False,
            "hovertemplate": "%{x}<br>%{y:,}<extra></extra>",
        }
        for cell, (built, instead) in zip(cells, ((les.params, params), (les.macs, macs)))
    ]
    return _figure(data, _("{block}: as built vs {other}").format(block=_text(les.block), other=other), height=320, **axes)


def path_shares(les: BlockLesson) -> Figure:
    """Each path's share of the output channels and of the MACs."""
    data = []
    for i, p in enumerate(les.paths):
        label = _text(p.field or p.name)
        data.append({
            "type": "bar", "y": [_("channels"), _("MACs")], "x": [p.share, p.macs / les.macs if les.macs else 0],
            "name": label, "orientation": "h", "marker": {"color": _color(i)},
            "hovertemplate": f"{label} ({_text(p.label)})<br>%{{x:.1%}}<extra></extra>",
        })
    fig = _figure(data, _("Share of each path"), height=220, barmode="stack",
                  xaxis={"tickformat": ".0%"}, yaxis={"autorange": "reversed"})
    fig["layout"]["legend"]["traceorder"] = "normal"
    return fig
