"""The layer table as the Architecture page shows it (ui/tables.py): the totals in the table's
first row, summing the rows shown; the default columns and the picker's rest; the selection's
rows highlighted; and the charts' axes in SI units (G for 10⁹, as the cards write it)."""

from __future__ import annotations

import plotly.graph_objects as go
import torch

from googlenet import analyze, get_preset
from googlenet.build import build
from ui import charts, tables


def test_the_totals_are_the_first_row_and_sum_the_rows_shown():
    net = get_preset("d2l")
    a = analyze(net)
    df = tables.layers(a)
    shown = tables.with_totals(df, list(tables.LAYER_COLUMNS.values()))
    assert list(shown.columns) == list(df.columns)  # one table: the totals share its columns
    assert len(shown) == len(df) + 1 and shown.iloc[0]["Layer"] == f"Σ {len(a.layers)}"
    # judged by PyTorch: the rows' params are the model's parameters (no aux heads in d2l)
    assert shown.iloc[0]["Params"] == sum(p.numel() for p in build(net, torch.device("meta")).parameters())
    assert shown.iloc[0]["MACs"] == a.totals.macs and shown.iloc[0]["FLOPs"] == 2 * a.totals.macs
    only = tables.with_totals(tables.layers(a, blocks=["inception3a"]), list(tables.DEFAULT_COLUMNS))
    assert list(only.columns) == list(tables.DEFAULT_COLUMNS)
    assert only.iloc[0]["Params"] == a.node("inception3a").params


def test_the_picker_offers_every_other_column():
    every = list(tables.LAYER_COLUMNS.values())
    assert set(tables.DEFAULT_COLUMNS) | set(tables.MORE_COLUMNS) == set(every)
    assert not set(tables.DEFAULT_COLUMNS) & set(tables.MORE_COLUMNS)
    assert {"FLOPs", "Output bytes", "Receptive field"} <= set(tables.MORE_COLUMNS)
    assert len(tables.DEFAULT_COLUMNS) <= 8  # readable at 1400 px without scrolling sideways


def test_the_selections_rows_are_highlighted_and_the_totals_bold():
    a = analyze(get_preset("d2l"))
    shown = tables.with_totals(tables.layers(a), list(tables.DEFAULT_COLUMNS))
    keys = {n.key for n in a.layers if n.block == "inception3a"}
    styles = [tables.row_style(row, keys) for _, row in shown.iterrows()]
    assert all("bold" in s for s in styles[0])
    lit = [shown.iloc[i]["Layer"] for i, s in enumerate(styles) if i and s[0]]
    assert lit == [n.key for n in a.layers if n.block == "inception3a"]


def test_chart_axes_write_giga_as_g():
    a = analyze(get_preset("inception-v3"))
    for figure in (charts.cost_per_block, charts.channel_allocation, charts.depth_profile):
        fig = figure(a)
        axes = {k: v for k, v in fig["layout"].items() if k.startswith(("xaxis", "yaxis"))}
        assert axes and all(v.get("exponentformat") == "SI" for v in axes.values()), figure.__name__
        go.Figure(fig)  # plotly's own validator accepts it
