"""The per-layer CPU measurement: real forward passes under torch.profiler, bounded, cancellable,
one at a time."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from googlenet import analyze, devices, get_preset
from googlenet.checks import _LOCK, TooLargeToRun
from googlenet.profile import Busy, Cancelled, profile_layers

SMALL = replace(get_preset("d2l"), input=(1, 64, 64), width=0.25)


def test_a_small_network_is_measured_within_its_budget_with_a_time_for_every_conv():
    devices.this_cpu()  # measured once per process, outside the budget
    seen = []
    t0 = time.perf_counter()
    p = profile_layers(SMALL, batch=1, repeats=3, warmup=1, max_seconds=8.0, progress=lambda done, total: seen.append((done, total)))
    elapsed = time.perf_counter() - t0
    assert elapsed < 8.0 + 10.0  # the budget, and the build and one pass that may run over it
    a = analyze(SMALL)
    convs = [n.key for n in a.layers if n.kind == "conv"]
    assert len(convs) == 57
    for key in convs:
        t = p.layer(key)
        assert len(t.samples) == p.repeats >= 1 and t.measured_seconds > 0, key
        assert t.predicted_seconds > 0
    assert [t.name for t in p.layers] == [n.key for n in a.layers]
    assert all(p.layer(n.key).samples for n in a.layers if n.kind == "concat")  # the merges too
    assert seen[0] == (0, 4) and seen[-1] == (4, 4) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    # every layer's time lies inside its pass: together they are at most the whole pass
    assert sum(t.measured_seconds for t in p.layers) <= 1.5 * p.forward_seconds
    assert p.device.measured and p.predicted_seconds > 0


def test_residual_adds_are_measured():
    net = replace(get_preset("d2l-resnet18"), input=(1, 32, 32), width=0.25)
    p = profile_layers(net, repeats=1, warmup=0, max_seconds=8.0)
    adds = [t for t in p.layers if t.kind == "add"]
    assert len(adds) == 8 and all(t.samples and t.measured_seconds > 0 for t in adds)


def test_cancel_between_passes():
    stop = threading.Event()

    def progress(done, total):
        if done == 2:  # the warm-up and one timed pass
            stop.set()

    p = profile_layers(SMALL, repeats=50, warmup=1, cancel=stop, progress=progress, max_seconds=30.0)
    assert p.cancelled and p.repeats == 1
    with pytest.raises(Cancelled):
        profile_layers(SMALL, repeats=5, warmup=1, cancel=lambda: True)


def test_the_budget_stops_timing_after_one_pass():
    p = profile_layers(SMALL, repeats=1000, warmup=0, max_seconds=0.0)
    assert p.out_of_time and p.repeats == 1


def test_one_measurement_at_a_time_and_a_bounded_wait():
    devices.this_cpu()  # measured in its own turn before a profile takes one: not what this test waits for
    waited = []
    with _LOCK:  # another measurement (a latency one, or another profile) holds the CPU
        t0 = time.perf_counter()
        with pytest.raises(Busy):
            profile_layers(SMALL, repeats=1, wait_seconds=0.3, on_wait=lambda: waited.append(True))
        assert time.perf_counter() - t0 < 5.0
    assert waited == [True]


def test_this_cpu_is_measured_in_its_turn():
    import googlenet.devices as d

    saved, d._cpu = d._cpu, None
    try:
        holder = threading.Thread(target=lambda: (_LOCK.acquire(), time.sleep(1.0), _LOCK.release()))
        holder.start()
        time.sleep(0.1)
        t0 = time.perf_counter()
        cpu = d.this_cpu()  # waits for the running measurement, then measures
        assert time.perf_counter() - t0 >= 0.85 and cpu.measured
        holder.join()
    finally:
        d._cpu = saved or d._cpu


def test_networks_too_large_are_refused_before_anything_is_built():
    t0 = time.perf_counter()
    with pytest.raises(TooLargeToRun, match="too large to run"):
        profile_layers(replace(get_preset("inception-v4"), input=(3, 2000, 2000)))
    with pytest.raises(TooLargeToRun, match="at batch 64"):
        profile_layers(get_preset("inception-resnet-v2"), batch=64)
    assert time.perf_counter() - t0 < 5.0
