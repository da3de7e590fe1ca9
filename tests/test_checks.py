"""The "Code & checks" page's checks: torchinfo agrees with our analysis when it is right
and says "differs" when it is not; latency is measured for real and refused when too large."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
import torch
import torchinfo

from googlenet import analyze, checks, get_preset, preset_names
from googlenet.build import build
from googlenet.checks import Check, Latency, TooLargeToRun, check_runnable, measure_latency, torchinfo_check
from googlenet.knobs import Tweaks, set_width
from googlenet.spec import Block, Network

from .kinds import residual_split


def nets() -> list[tuple[str, Network]]:
    out = []
    for name in preset_names():
        net = get_preset(name)
        out.append((name, net))
        if net.aux:
            out.append((f"{name}+aux", replace(net, aux_enabled=True)))
    return out


NETS = nets()


def by_name(result: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in result}


@pytest.mark.parametrize("net", [n for _, n in NETS], ids=[i for i, _ in NETS])
def test_torchinfo_agrees_with_every_preset(net):
    result = torchinfo_check(net)
    assert all(isinstance(c, Check) for c in result)
    assert [c.name for c in result if not c.agrees] == [], [c for c in result if not c.agrees]
    got = by_name(result)
    a = analyze(net)
    assert got["params (total)"].ours == a.totals.params == got["params (total)"].theirs
    assert got["MACs"].theirs == a.totals.macs
    if net.aux_enabled:
        assert {"aux head output shapes", "aux head params", "aux head MACs"} <= got.keys()
        assert "did not run" in got["params (total)"].note  # said, not hidden


def test_torchinfo_agrees_with_residual_split_blocks_and_bn():
    gtv = get_preset("googlenet-torchvision")  # BN, no conv bias
    st = gtv.stages[2]
    res = residual_split("res1", 32, (16, 24), scale=0.3, style=gtv.style)
    net = replace(gtv, stages=(*gtv.stages[:2], replace(st, items=(res, *st.items)), *gtv.stages[3:]), input=(3, 96, 96))
    result = torchinfo_check(net)
    assert all(c.agrees for c in result), [c for c in result if not c.agrees]


def test_a_wrong_analysis_differs():
    net = get_preset("d2l")
    # the analysis of a different spec: one block's c1 changed
    wrong = analyze(set_width(net, "inception4b", "c1", 161))
    got = by_name(torchinfo_check(net, wrong))
    for name in ("params (total)", "MACs", "mult-adds in torchinfo's rule", "layer output shapes", "layer params"):
        assert got[name].verdict == "differs", name
    assert "inception4b.branch1.conv" in got["layer params"].note
    assert "inception4b.branch1.conv" in got["layer output shapes"].note


def test_a_wrong_mac_count_alone_differs():
    net = get_preset("googlenet-torchvision")
    a = analyze(net)
    off_by_one = replace(a, totals=replace(a.totals, macs=a.totals.macs + 1))
    got = by_name(torchinfo_check(net, off_by_one))
    assert got["MACs"].verdict == "differs"
    assert got["params (total)"].agrees and got["layer output shapes"].agrees


def test_a_wrong_layer_shape_differs():
    net = get_preset("d2l")
    a = analyze(net)
    rows = tuple(replace(r, out_shape=(1, 2, 3)) if r.name == "maxpool2" else r for r in a.layers)
    got = by_name(torchinfo_check(net, replace(a, layers=rows)))
    assert got["layer output shapes"].verdict == "differs"
    assert "maxpool2: ours 1×2×3" in got["layer output shapes"].note


def test_mac_note_explains_torchinfo_rule():
    net = get_preset("googlenet-torchvision")
    # torchinfo's own total, asked here directly (1,498,391,752)
    theirs = torchinfo.summary(build(net, device="meta"), input_size=(1, *net.input), device="meta", mode="eval", verbose=0).total_mult_adds
    got = by_name(torchinfo_check(net))
    note = got["MACs"].note
    assert f"{theirs:,}" in note  # as torchinfo prints it
    assert "BatchNorm" in note and "bias" in note
    assert got["mult-adds in torchinfo's rule"].theirs == theirs


def test_falls_back_to_cpu_when_meta_fails(monkeypatch):
    real = checks._summary

    def no_meta(model, shape, mode, device):
        if device == "meta":
            raise RuntimeError("Failed to run torchinfo (simulated)")
        return real(model, shape, mode, device)

    monkeypatch.setattr(checks, "_summary", no_meta)
    result = torchinfo_check(Tweaks("d2l", input=(1, 32, 32)).apply())
    assert all(c.agrees for c in result)
    assert "on the CPU" in result[0].note


# --- latency ------------------------------------------------------------------------------------


def test_latency_on_a_tiny_config():
    net = Tweaks("d2l", input=(1, 32, 32), width=0.25).apply()
    calls = []
    threads_before = torch.get_num_threads()
    rng_before = torch.random.get_rng_state()
    lat = measure_latency(net, repeats=5, warmup=1, threads=1, progress=lambda i, n: calls.append((i, n)))
    assert isinstance(lat, Latency)
    assert lat.repeats == 5 and len(lat.samples_ms) == 5 and all(s > 0 for s in lat.samples_ms)
    assert 0 < lat.p10_ms <= lat.median_ms <= lat.p90_ms < 10_000
    assert lat.threads == 1 and lat.warmup == 1 and lat.input == (1, 32, 32)
    assert lat.macs == analyze(net).totals.macs and lat.gmacs_per_s > 0
    assert calls == [(i, 6) for i in range(7)]
    assert torch.get_num_threads() == threads_before  # restored
    assert torch.equal(torch.random.get_rng_state(), rng_before)  # the global RNG is untouched


def test_latency_threads_are_bounded():
    net = Tweaks("d2l", input=(1, 32, 32), width=0.25).apply()
    lat = measure_latency(net, repeats=1, warmup=0, threads=1000)
    assert 1 <= lat.threads <= checks.MAX_THREADS


def test_latency_time_budget_stops_early():
    net = Tweaks("d2l", input=(1, 32, 32), width=0.25).apply()
    calls = []
    lat = measure_latency(net, repeats=500, warmup=0, max_seconds=0.0, progress=lambda i, n: calls.append(i))
    assert lat.repeats == checks.MIN_TIMED
    assert calls[-1] == 500  # the progress bar is completed


@pytest.mark.parametrize("kwargs", [{"repeats": 0}, {"warmup": -1}, {"threads": 0}, {"repeats": 1.5}])
def test_latency_refuses_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        measure_latency(get_preset("d2l"), **kwargs)


def test_guard_refuses_a_huge_network_before_allocating(monkeypatch):
    net = replace(set_width(get_preset("d2l"), "inception3a", "c1", 16384), input=(1, 2048, 2048))

    def no_build(*args, **kwargs):
        raise AssertionError("the guard must refuse before building")

    monkeypatch.setattr(checks, "build", no_build)
    start = time.perf_counter()
    with pytest.raises(TooLargeToRun) as err:
        measure_latency(net)
    assert time.perf_counter() - start < 2.0
    msg = str(err.value)
    assert "memory" in msg and "GB" in msg and "limit is 2.00 GB" in msg
    assert isinstance(err.value, ValueError)


def test_guard_refuses_too_many_macs():
    net = Tweaks("d2l", input=(1, 768, 768), width=4.0).apply()  # ≈ 277 GMACs in ≈ 0.6 GB
    with pytest.raises(TooLargeToRun, match=r"GMACs; the limit is 200 GMACs"):
        check_runnable(net)


def test_guard_passes_the_presets():
    for name in preset_names():
        check_runnable(get_preset(name))
