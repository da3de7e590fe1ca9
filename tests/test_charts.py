"""The main page's charts show what PyTorch measures and what the lecture publishes."""

from __future__ import annotations

import inspect
import json
from dataclasses import replace

import plotly.graph_objects as go
import plotly.io as pio
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from googlenet import analyze, get_preset
from googlenet.build import build
from googlenet.lessons import lesson
from ui import charts

from .lecture import BLOCK_NAMES, lecture_network


def lecture_c1_to_c4() -> dict[str, tuple[int, int, int, int]]:
    """Each of the lecture's Inception blocks and the output channels of its four paths."""
    _, blocks = lecture_network()
    return {name: (b.p1_1.out_channels, b.p2_2.out_channels, b.p3_2.out_channels, b.p4_2.out_channels) for name, b in blocks.items()}


def bars(fig: dict, axis: str) -> dict:
    """Bar heights by x label over every trace drawn on ``axis`` (``y``, ``y2``)."""
    out: dict = {}
    for tr in fig["data"]:
        if tr.get("yaxis", "y") == axis:
            for x, y in zip(tr["x"], tr["y"]):
                out[x] = out.get(x, 0) + y
    return out


@pytest.mark.parametrize("preset", ["d2l", "inception-resnet-v2"])
def test_cost_per_block_shows_the_params_and_macs_pytorch_counts_per_block(preset):
    # under the studio naming every block is a module of its own, at its name (an upstream
    # naming spreads a block over `repeat.<i>` or flat Caffe names; the numbers are the same)
    net = replace(get_preset(preset), naming="studio")
    fig = charts.cost_per_block(analyze(net))
    model = build(net, device="meta").eval()
    with FlopCounterMode(display=False) as counter:
        model(torch.empty(1, *net.input, device="meta"))
    flops = counter.get_flop_counts()
    params, macs = bars(fig, "y"), bars(fig, "y2")
    assert list(params) == list(macs) and len(params) == len(net.blocks())
    if preset == "d2l":
        assert list(params) == list(BLOCK_NAMES)
    for name in params:
        assert params[name] == sum(p.numel() for p in model.get_submodule(name).parameters()), name
        # the module tracker files each FLOP under the leaf module that ran it (conv, linear)
        prefix = f"{type(model).__name__}.{name}."
        assert 2 * macs[name] == sum(sum(v.values()) for k, v in flops.items() if k.startswith(prefix)), name


def test_channel_allocation_stacks_the_lectures_c1_to_c4():
    fig = charts.channel_allocation(analyze(get_preset("d2l")))
    stacked = {tr["name"]: dict(zip(tr["x"], tr["y"])) for tr in fig["data"]}
    assert list(stacked) == ["c1", "c2", "c3", "c4"]
    lecture = lecture_c1_to_c4()
    assert list(stacked["c1"]) == list(lecture)
    for block, widths in lecture.items():
        assert tuple(stacked[k][block] for k in stacked) == widths, block


def test_depth_profile_labels_its_log_axis_with_the_sizes_the_network_has():
    net = get_preset("d2l")
    fig = charts.depth_profile(analyze(net))
    heights = fig["data"][0]["y"]
    # the lecture's stages halve 96 down to 3, then the global pool leaves 1
    assert sorted(set(heights)) == [1, 3, 6, 12, 24, 48, 96]
    axis = fig["layout"]["yaxis"]
    assert axis["type"] == "log" and list(axis["tickvals"]) == [1, 3, 6, 12, 24, 48, 96]
    assert list(axis["ticktext"]) == ["1", "3", "6", "12", "24", "48", "96"]


VALIDATED = ("d2l", "inception-v3", "inception-resnet-v2")


@pytest.mark.parametrize("preset", VALIDATED)
def test_every_chart_is_a_figure_plotlys_own_validator_accepts(preset):
    a = analyze(get_preset(preset))
    b = analyze(get_preset(VALIDATED[(VALIDATED.index(preset) + 1) % len(VALIDATED)]))
    figures = {
        "cost_per_block": [charts.cost_per_block(a)],
        "channel_allocation": [charts.channel_allocation(a)],
        "depth_profile": [charts.depth_profile(a)],
        "compare_groups": [charts.compare_groups(a, b, level, metric) for level in ("stages", "blocks") for metric in ("params", "macs")],
        "family": [charts.family([(preset, a), ("other", b)])],
        "lesson_bars": [],
        "path_shares": [],
    }
    # one block of every kind, with the lessons the Inception block page shows for it
    for block in {g.kind: g.name for g in a.blocks}.values():
        les = lesson(a, block)
        figures["path_shares"].append(charts.path_shares(les))
        shown = [name for name, has in (("reduce", les.reduce), ("factorise", les.factorise)) if has]
        figures["lesson_bars"] += [charts.lesson_bars(les, name) for name in shown]
    public = {
        name for name, f in vars(charts).items()
        if inspect.isfunction(f) and f.__module__ == charts.__name__ and not name.startswith("_")
    }
    assert set(figures) == public
    for name, figs in figures.items():
        assert figs, name
        for fig in figs:
            assert set(fig) == {"data", "layout"} and json.dumps(fig), name
            go.Figure(fig)  # raises ValueError on any property plotly does not know or any invalid value
            assert json.loads(pio.to_json(fig))["data"], name
