"""Plotly figures of an analysis. Pure: each function takes core results and returns a figure;
colours follow the Streamlit theme when shown with ``st.plotly_chart(theme="streamlit")``."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from googlenet.analysis import Analysis, shape_str
from googlenet.lessons import BlockLesson, paths

from .tables import si

HEIGHT = 380
# Okabe–Ito: distinguishable with every common colour-vision deficiency, on light and dark
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#999999")
A_COLOR, B_COLOR = "#0072B2", "#E69F00"


def _color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _layout(fig: go.Figure, title: str, height: int = HEIGHT) -> go.Figure:
    fig.update_layout(
        title=title,
        height=height,
        margin=dict(l=10, r=10, t=50, b=10),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
        barmode=fig.layout.barmode or "group",
    )
    return fig


def cost_per_block(a: Analysis) -> go.Figure:
    """Params and MACs of every block, coloured by stage."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, subplot_titles=("Params", "MACs"))
    stages = list(dict.fromkeys(g.stage for g in a.blocks))
    for i, stage in enumerate(stages):
        groups = [g for g in a.blocks if g.stage == stage]
        names = [g.name for g in groups]
        common = dict(name=stage, legendgroup=stage, customdata=[g.kind for g in groups], marker_color=_color(i))
        fig.add_trace(
            go.Bar(x=names, y=[g.params for g in groups], hovertemplate="%{x} (%{customdata})<br>%{y:,} params<extra></extra>", **common),
            row=1, col=1,
        )
        fig.add_trace(
            go.Bar(
                x=names, y=[g.macs for g in groups], showlegend=False,
                hovertemplate="%{x} (%{customdata})<br>%{y:,} MACs<extra></extra>", **common,
            ),
            row=2, col=1,
        )
    return _layout(fig, "Params and MACs per block", height=460)


def channel_allocation(a: Analysis) -> go.Figure:
    """Every block's output channels split by path (c1–c4 for an Inception block)."""
    names = [g.name for g in a.blocks]
    per_block = {name: paths(a, name) for name in names}
    labels: list[str] = []
    for ps in per_block.values():
        for p in ps:
            key = p.field or p.name
            if key not in labels:
                labels.append(key)
    fig = go.Figure()
    for i, key in enumerate(labels):
        ys, hover = [], []
        for name in names:
            match = [p for p in per_block[name] if (p.field or p.name) == key]
            ys.append(sum(p.out_channels for p in match))
            hover.append(" + ".join(f"{p.name}: {p.label}" for p in match) or "—")
        fig.add_trace(
            go.Bar(
                x=names, y=ys, name=key, customdata=hover, marker_color=_color(i),
                hovertemplate="%{x} · " + key + "<br>%{y:,} channels<br>%{customdata}<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack", yaxis_title="output channels", legend_traceorder="normal")
    return _layout(fig, "Channel allocation of every block, by path")


def depth_profile(a: Analysis) -> go.Figure:
    """Spatial size and channels of the main path's tensors, from the input to the logits."""
    trunk = [r for r in a.layers if not r.aux and not r.branch and (not r.block or r.kind in ("concat", "add"))]
    xs = ["input"] + [r.block or r.name for r in trunk]
    shapes = [tuple(a.network.input)] + [r.out_shape for r in trunk]
    hover = [f"{x}<br>{shape_str(s)}" for x, s in zip(xs, shapes)]
    idx = list(range(len(xs)))
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06, subplot_titles=("Height × width", "Channels"))
    size = [f"{s[1]}×{s[2]}" if len(s) == 3 else "1×1" for s in shapes]
    heights = [s[1] if len(s) == 3 else 1 for s in shapes]
    fig.add_trace(
        go.Scatter(
            x=idx, y=heights, name="height", mode="lines+markers", line_shape="hv",
            marker_color=_color(0), text=hover, customdata=size, hovertemplate="%{text}<extra></extra>", showlegend=False,
        ),
        row=1, col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=idx, y=[s[0] for s in shapes], name="channels", mode="lines+markers", line_shape="hv",
            marker_color=_color(1), text=hover, hovertemplate="%{text}<extra></extra>", showlegend=False,
        ),
        row=2, col=1,
    )
    # ticks at the sizes the network has (a log axis's own minor ticks read "100, 5, 2, 10 …")
    ticks = sorted(set(heights))
    fig.update_yaxes(type="log", tickmode="array", tickvals=ticks, ticktext=[str(t) for t in ticks], row=1, col=1)
    fig.update_xaxes(tickmode="array", tickvals=idx, ticktext=xs, tickangle=-60, row=2, col=1)
    return _layout(fig, "Spatial size and channels along the depth", height=460)


def compare_groups(a: Analysis, b: Analysis, level: str, metric: str) -> go.Figure:
    """A against B per stage or per block (``level``), ``metric`` = params | macs."""
    ga = a.stages if level == "stages" else a.blocks
    gb = b.stages if level == "stages" else b.blocks
    names = list(dict.fromkeys([g.name for g in ga] + [g.name for g in gb]))
    va = {g.name: getattr(g, metric) for g in ga}
    vb = {g.name: getattr(g, metric) for g in gb}
    fig = go.Figure()
    unit = "params" if metric == "params" else "MACs"
    for label, vals, color in (("A", va, A_COLOR), ("B", vb, B_COLOR)):
        fig.add_trace(
            go.Bar(
                x=names, y=[vals.get(n) for n in names], name=label, marker_color=color,
                hovertemplate="%{x}<br>%{y:,} " + unit + "<extra>" + label + "</extra>",
            )
        )
    return _layout(fig, f"{unit[0].upper()}{unit[1:]} per {level[:-1]}")


def family(entries: list[tuple[str, Analysis]]) -> go.Figure:
    """Params against MACs of each preset, marker size by depth."""
    fig = go.Figure()
    ordered = sorted(entries, key=lambda e: e[1].totals.macs)
    for i, (name, a) in enumerate(ordered):
        t = a.totals
        fig.add_trace(
            go.Scatter(
                x=[t.macs], y=[t.params], name=name, mode="markers+text", text=[name],
                textposition="top center" if i % 2 == 0 else "bottom center",  # neighbours' labels apart
                marker=dict(size=10 + t.depth / 6, color=_color(i)),
                hovertemplate=f"{name}<br>{si(t.macs)} MACs<br>{si(t.params)} params<br>depth {t.depth}<extra></extra>",
            )
        )
    fig.update_xaxes(title_text="MACs per image", type="log")
    fig.update_yaxes(title_text="params", type="log")
    fig.update_layout(showlegend=False)
    return _layout(fig, "The family: cost against size (marker size: depth)", height=420)


def lesson_bars(les: BlockLesson, lesson: str) -> go.Figure:
    """The block as built against the block without its 1×1 reduces (or unfactorised)."""
    if lesson == "reduce":
        other, params, macs = "without 1×1 reduce", les.params_without_reduce, les.macs_without_reduce
    else:
        other, params, macs = "unfactorised", les.params_unfactorised, les.macs_unfactorised
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Params", "MACs"))
    for col, (built, instead) in enumerate(((les.params, params), (les.macs, macs)), start=1):
        fig.add_trace(
            go.Bar(
                x=["as built", other], y=[built, instead], text=[si(built), si(instead)], textposition="auto",
                marker_color=[A_COLOR, PALETTE[3]], showlegend=False, hovertemplate="%{x}<br>%{y:,}<extra></extra>",
            ),
            row=1, col=col,
        )
    return _layout(fig, f"{les.block}: as built vs {other}", height=320)


def path_shares(les: BlockLesson) -> go.Figure:
    """Each path's share of the output channels and of the MACs."""
    fig = go.Figure()
    for i, p in enumerate(les.paths):
        label = p.field or p.name
        fig.add_trace(
            go.Bar(
                y=["channels", "MACs"], x=[p.share, p.macs / les.macs if les.macs else 0], name=label, orientation="h",
                marker_color=_color(i),
                hovertemplate=f"{label} ({p.label})<br>%{{x:.1%}}<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack", xaxis_tickformat=".0%", legend_traceorder="normal", yaxis_autorange="reversed")
    return _layout(fig, "Share of each path", height=220)
