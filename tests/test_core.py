"""The GoogLeNet core against independent judges: PyTorch itself and published figures."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

from googlenet import InputTooSmall, SpecError, analyze, get_preset
from googlenet import config, knobs
from googlenet.build import build
from googlenet.presets.googlenet import ALLOCATION

from .judge import assert_matches_pytorch, measure
from .lecture import lecture_network

GOOGLENETS = ("d2l", "googlenet", "googlenet-torchvision")


@pytest.mark.parametrize(
    "name, aux", [(n, False) for n in GOOGLENETS] + [(n, True) for n in GOOGLENETS if get_preset(n).aux]
)
def test_preset_matches_pytorch(name, aux):
    assert_matches_pytorch(replace(get_preset(name), aux_enabled=aux))


@pytest.mark.parametrize("name", GOOGLENETS)
def test_preset_runs_a_real_cpu_forward(name):
    net = replace(get_preset(name), width=0.25)
    if name == "googlenet":  # its fixed 7×7 average pool needs the full 224 input
        net = replace(net, input=(3, 224, 224))
    else:
        net = replace(net, input=(net.input[0], 64, 64))
    model = build(net).eval()
    with torch.inference_mode():
        y = model(torch.randn(2, *net.input))
    assert tuple(y.shape) == (2, net.classes)
    assert torch.isfinite(y).all()


def test_torchvision_published_figures():
    # torchvision's GoogLeNet_Weights.IMAGENET1K_V1 metadata: num_params 6,624,904; _ops 1.498
    # (GFLOPS, counted as MACs); with aux_logits=True its GoogLeNet has 13,004,888 params.
    # The exact MAC count is PyTorch's: FlopCounterMode on the built module, halved.
    net = get_preset("googlenet-torchvision")
    a = analyze(net)
    assert a.totals.params == 6_624_904
    assert a.totals.macs == 1_498_376_192  # the exact count behind torchvision's published 1.498
    assert a.totals.macs == measure(net).flops // 2
    assert round(a.totals.macs / 1e9, 3) == 1.498
    assert analyze(replace(net, aux_enabled=True)).totals.params == 13_004_888


def stage_outputs(net) -> dict[str, tuple[int, ...]]:
    a = analyze(net)
    out = {g.name: g.out_shape for g in a.stages}
    out["b5_pool"] = a.layer("avgpool").out_shape
    return out


def test_lecture_stage_outputs():
    # the lecture's printed shapes for a 1×96×96 input
    s = stage_outputs(get_preset("d2l"))
    assert s["b1"] == (64, 24, 24)
    assert s["b2"] == (192, 12, 12)
    assert s["b3"] == (480, 6, 6)
    assert s["b4"] == (832, 3, 3)
    assert s["b5"] == (1024,)
    assert s["head"] == (10,)
    # and at 3×224×224, as in the paper's Table 1
    s = stage_outputs(replace(get_preset("d2l"), input=(3, 224, 224)))
    assert s["b2"] == (192, 28, 28)
    assert s["b3"] == (480, 14, 14)
    assert s["b4"] == (832, 7, 7)
    assert s["b5_pool"] == (1024, 1, 1)


def test_lecture_network_is_the_lectures_code():
    """The d2l preset equals the lecture's Sequential, built here by hand in plain PyTorch."""
    lecture, blocks = lecture_network()
    x = torch.empty(1, 1, 96, 96, device="meta")
    with FlopCounterMode(display=False) as counter:
        lecture(x)
    a = analyze(get_preset("d2l"))
    assert a.totals.params == sum(p.numel() for p in lecture.parameters())
    assert 2 * a.totals.macs == counter.get_total_flops()
    # per-block outputs too
    outs = {}
    for name, blk in blocks.items():
        blk.register_forward_hook(lambda m, i, o, name=name: outs.__setitem__(name, tuple(o.shape[1:])))
    lecture(x)
    assert list(outs.items()) == [(g.name, g.out_shape) for g in a.blocks]  # in order


def test_paper_googlenet_depth_is_22():
    # "The network is 22 layers deep when counting only layers with parameters"
    for name in GOOGLENETS:
        assert analyze(get_preset(name)).totals.depth == 22


# --- random valid specs ---------------------------------------------------------------------

channels = st.integers(1, 48)


@st.composite
def googlenet_specs(draw):
    name = draw(st.sampled_from(GOOGLENETS))
    net = get_preset(name)
    counts = {stage: draw(st.integers(0, 4)) for stage in ("b3", "b4", "b5")}
    for stage, n in counts.items():
        net = knobs.set_block_count(net, stage, n)
    for block in net.blocks():
        net = knobs.set_width(net, block.name, "c1", draw(channels))
        net = knobs.set_width(net, block.name, "c2", (draw(channels), draw(channels)))
        net = knobs.set_width(net, block.name, "c3", (draw(channels), draw(channels)))
        net = knobs.set_width(net, block.name, "c4", draw(channels))
    size = draw(st.integers(224, 260)) if name == "googlenet" else draw(st.integers(16, 160))
    net = replace(
        net,
        input=(draw(st.integers(1, 4)), size, draw(st.integers(224, 260)) if name == "googlenet" else draw(st.integers(16, 160))),
        classes=draw(st.integers(1, 50)),
        width=draw(st.sampled_from([0.25, 0.5, 1.0, 1.3])),
        aux_enabled=bool(net.aux) and draw(st.booleans()),
    )
    return net


@settings(max_examples=220, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(googlenet_specs())
def test_random_specs_match_pytorch(net):
    assert_matches_pytorch(net)


# --- JSON config ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", GOOGLENETS)
def test_config_round_trip(name):
    net = get_preset(name)
    text = config.dumps(net)
    again = config.loads(text)
    assert again == net and hash(again) == hash(net)
    assert config.dumps(again) == text
    assert json.loads(text)["stages"][2]["items"][0]["c2"] == list(ALLOCATION["inception3a"][1])


def test_config_uses_the_lectures_vocabulary():
    block = json.loads(config.dumps(get_preset("d2l")))["stages"][3]["items"][2]
    assert block == {"type": "block", "name": "inception4c", "kind": "inception", "c1": 128, "c2": [128, 256], "c3": [24, 64], "c4": 64}


# --- knobs ------------------------------------------------------------------------------------


def test_adding_blocks_repeats_the_last_and_names_the_next_letter():
    net = knobs.set_block_count(get_preset("d2l"), "b4", 7)
    names = [b.name for b in net.blocks()]
    assert names[2:9] == ["inception4a", "inception4b", "inception4c", "inception4d", "inception4e", "inception4f", "inception4g"]
    assert net.block("inception4g").widths == net.block("inception4e").widths
    fewer = knobs.set_block_count(net, "b4", 2)
    assert [b.name for b in fewer.blocks()][2:4] == ["inception4a", "inception4b"]
    assert_matches_pytorch(fewer)


def test_removing_the_block_of_an_aux_head_removes_the_head():
    net = replace(get_preset("googlenet-torchvision"), aux_enabled=True)
    net = knobs.set_block_count(net, "b4", 3)
    assert [h.name for h in net.aux] == ["aux1"]
    assert_matches_pytorch(net)


def test_width_multiplier_rounds_half_up():
    net = replace(get_preset("d2l"), width=0.5)
    a = analyze(net)
    # c3 reduce of inception3a is 16 → 8; conv1 64 → 32; 3×3 out 208·0.5 = 104
    assert a.layer("inception3a.branch3.conv1").out_shape[0] == 8
    assert a.layer("conv1").out_shape[0] == 32
    assert a.layer("inception4a.branch2.conv2").out_shape[0] == 104
    assert analyze(replace(get_preset("d2l"), width=0.3)).layer("inception3a.branch3.conv1").out_shape[0] == 5  # 4.8 → 5
    assert_matches_pytorch(net)


# --- errors -----------------------------------------------------------------------------------


def test_zero_channels_names_the_field():
    net = knobs.Tweaks("d2l").apply()
    bad = replace(net, stages=tuple(
        replace(s, items=tuple(replace(it, widths=tuple((k, (0, 256) if k == "c2" else v) for k, v in it.widths))
                               if getattr(it, "name", "") == "inception4c" else it for it in s.items))
        for s in net.stages
    ))
    with pytest.raises(SpecError, match=r"b4\.inception4c\.c2\.reduce: must be ≥ 1, got 0"):
        analyze(bad)
    with pytest.raises(SpecError, match=r"b4\.inception4c\.c1: must be ≥ 1, got -3"):
        knobs.set_width(net, "inception4c", "c1", -3)


def test_too_small_input_names_the_layer_and_the_minimum():
    net = replace(get_preset("googlenet"), input=(3, 100, 100))
    with pytest.raises(InputTooSmall) as err:
        analyze(net)
    # the paper's fixed 7×7 average pool is the layer that runs out of input
    assert err.value.layer == "avgpool" and "avgpool" in str(err.value)
    least = err.value.min_size
    assert f"the smallest input is {least[0]}×{least[1]}" in str(err.value)
    # PyTorch agrees: one pixel less fails, the minimum itself runs
    model = build(replace(net, input=(3, *least)), device="meta").eval()
    model(torch.empty(1, 3, *least, device="meta"))
    with pytest.raises(RuntimeError):
        model(torch.empty(1, 3, least[0] - 1, least[1], device="meta"))


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(SpecError, match=r"unknown preset 'resnet'; choose one of: d2l, googlenet"):
        get_preset("resnet")


@pytest.mark.parametrize(
    "text, field",
    [
        ("{", "config: is not valid JSON"),
        ("[1, 2]", "config: must be an object"),
        ('{"input": [1, 96], "classes": 10, "stages": []}', "input: must be [channels, height, width]"),
        ('{"input": [1, 96, 96], "classes": NaN, "stages": []}', "classes: NaN at line 1, column 35 is not a number JSON allows"),
        ('{"input": [1, 96, 96], "classes": 10, "stages": [], "extra": 1}', "extra: unknown field"),
        ('{"input": [1, 96, 96], "classes": 10, "stages": []}', "stages: a network needs at least one stage"),
        ('{"input": [1, 96, "x"], "classes": 10, "stages": []}', "input.width: must be a whole number"),
    ],
)
def test_malformed_configs_name_the_field(text, field):
    with pytest.raises(SpecError) as err:
        config.loads(text)
    assert field in str(err.value)


# --- command line -----------------------------------------------------------------------------


def run_cli(*args: str, input_: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "googlenet", *args], capture_output=True, text=True, timeout=120, input=input_)


def test_cli_summary_json_prints_the_published_numbers():
    flops = measure(get_preset("googlenet-torchvision")).flops  # PyTorch's count; published: 1.498 GMACs
    r = run_cli("summary", "googlenet-torchvision", "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["input"] == [3, 224, 224]
    assert out["totals"]["params"] == 6_624_904
    assert out["totals"]["macs"] == flops // 2 == 1_498_376_192
    assert out["totals"]["flops"] == flops
    assert {"weights_bytes", "peak_activation_bytes"} <= out["totals"].keys()
    assert [b["name"] for b in out["blocks"]][:2] == ["inception3a", "inception3b"]
    assert {"name", "kind", "block", "output_shape", "params", "macs", "receptive_field"} <= out["layers"][0].keys()
    r = run_cli("summary", "googlenet-torchvision", "--aux", "--format", "json")
    out = json.loads(r.stdout)
    assert out["totals"]["params"] == 13_004_888
    assert out["totals"]["macs"] == flops // 2 == 1_498_376_192


def test_cli_config_then_summary_with_overrides(tmp_path):
    r = run_cli("config", "d2l")
    path = tmp_path / "d2l.json"
    path.write_text(r.stdout)
    r = run_cli("summary", "--config", str(path), "--input", "3x224x224", "--classes", "1000", "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    shapes = {s["name"]: s["output_shape"] for s in out["stages"]}
    assert shapes["b3"] == [480, 14, 14] and shapes["head"] == [1000]


def test_cli_table_and_csv():
    r = run_cli("summary", "d2l")
    assert r.returncode == 0
    lecture, _ = lecture_network()
    assert f"Total params: {sum(p.numel() for p in lecture.parameters()):,}" in r.stdout  # 5,977,530
    assert "MACs = multiply-accumulates of conv and linear layers" in r.stdout
    r = run_cli("summary", "d2l", "--format", "csv")
    lines = r.stdout.splitlines()
    assert lines[0].startswith("name,kind,stage,block")
    assert len(lines) == 1 + len(analyze(get_preset("d2l")).layers)


def test_cli_presets_lists_each_with_a_description():
    r = run_cli("presets")
    names = [line.split()[0] for line in r.stdout.splitlines()]
    assert names[:3] == ["d2l", "googlenet", "googlenet-torchvision"]


@pytest.mark.parametrize(
    "args, message",
    [
        (("summary", "resnet"), "unknown preset 'resnet'"),
        (("summary", "d2l", "--input", "1x0x96"), "input.height: must be ≥ 1, got 0"),
        (("summary", "googlenet", "--input", "3x64x64"), "the smallest input is"),
        (("summary", "d2l", "--input", "big"), "--input must look like 3x224x224"),
        (("summary",), "give a PRESET, --config FILE or --from-code FILE"),
        (("summary", "d2l", "--aux"), "d2l has no aux heads"),
        (("summary", "--config", "/nonexistent.json"), "cannot read --config"),
        (("frobnicate",), "invalid choice"),
    ],
)
def test_cli_errors_exit_2_without_traceback(args, message):
    r = run_cli(*args)
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_malformed_config_file(tmp_path):
    path = tmp_path / "bad.json"
    path.write_bytes(b'{"input": [1, 96, 96], "classes": 10, "stages": [{"name": "b1", "items": [{"type": "conv", "name": "c", "out": 0, "kernel": 3}]}]}')
    r = run_cli("summary", "--config", str(path))
    assert r.returncode == 2
    assert "b1.c.out: must be ≥ 1, got 0" in r.stderr


def test_branch_mismatch_names_the_block_and_nearby_sizes_that_work():
    from googlenet.spec import ShapeMismatch

    net = replace(get_preset("inception-bn"), input=(3, 231, 231))
    with pytest.raises(ShapeMismatch) as err:
        analyze(net)
    assert "inception_3c: branches produce different spatial sizes" in str(err.value)
    assert err.value.suggestions, str(err.value)
    # PyTorch agrees: the concat fails at this size and every suggested size runs
    model = build(replace(net, input=(3, *err.value.suggestions[0])), device="meta").eval()
    with pytest.raises(RuntimeError, match="Sizes of tensors must match"):
        model(torch.empty(1, 3, 231, 231, device="meta"))
    for h, w in err.value.suggestions:
        fine = replace(net, input=(3, h, w))
        build(fine, device="meta").eval()(torch.empty(1, 3, h, w, device="meta"))
        assert abs(h - 231) <= 256
