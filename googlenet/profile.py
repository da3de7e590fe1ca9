"""Measured time of every layer on this machine's CPU, beside the roofline's prediction for it.

``profile_layers(net)`` builds the network (random weights, eval mode), labels every step of
its program — each layer as ``runtime.py`` runs it (a conv with its BatchNorm and activation),
each block and split — with ``torch.profiler.record_function``, runs untimed warm-up passes and
then timed passes under ``torch.profiler.profile``, and reads each layer's CPU time from the
profiler's events: a layer's own range; a merge (a concatenation, a residual add), which has no
module, from the ops its block ran outside its branches (``aten::cat`` for the concatenation,
the rest for the add). The profiler adds a little time to every op, so small layers read a
little slow.

Guards, as for ``checks.measure_latency``: the size limits of ``checks.check_runnable`` (here
for the batch asked for), before anything is built; one measurement at a time per process (the
same lock as the latency measurement: they share the CPU and torch's thread count), waited for
at most ``wait_seconds``; a time budget (timing stops once it is spent, after at least one timed
pass); cancellation between passes (``cancel``: a callable or a ``threading.Event``). The app
takes its turn in the server's line first (``ui.hardware.profile_in_turn``), so the lock is free
by then; the lock is for callers outside the app.

Refusals carry a code and values (``MESSAGES``) that an interface translates.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass
from typing import Callable

import torch

from . import devices, runtime
from .analysis import Analysis
from .build import Call, Open, build, steps
from .checks import _LOCK, MAX_RUN_BYTES, MAX_RUN_MACS, MAX_THREADS, TooLargeToRun, _cpus, _gb, check_runnable
from .cost import roofline
from .spec import Network
from .values import check_int

MAX_BATCH = 64

# The refusals' English, by code; an interface translates ``err.template`` with ``err.values``.
MESSAGES: dict[str, str] = {
    "profile.memory": "too large to run at batch {batch}: one forward pass needs about {need} of memory; the limit is {limit}",
    "profile.macs": "too large to run at batch {batch}: one forward pass is {gmacs} GMACs; the limit is {limit} GMACs",
    "profile.busy": "another measurement kept the CPU busy for {wait_s} s; try again when it has finished",
    "profile.cancelled": "cancelled before any timed pass",
}


class _Coded:
    """A refusal by ``code`` and ``values`` (``MESSAGES``): ``str(err)`` is the English."""

    def __init__(self, code: str, **values):
        super().__init__(MESSAGES[code].format(**values))  # first: TooLargeToRun's own init sets no code
        self.code, self.values, self.template = code, values, MESSAGES[code]


class Busy(_Coded, RuntimeError):
    """Another measurement held the CPU for longer than the wait allowed; nothing was run."""


class Cancelled(_Coded, RuntimeError):
    """Cancelled before any timed pass finished."""


class TooLargeAtBatch(_Coded, TooLargeToRun):
    """``TooLargeToRun`` for the batch asked for."""


@dataclass(frozen=True)
class LayerTime:
    name: str  # the layer's key
    kind: str
    measured_seconds: float  # median over the timed passes
    samples: tuple[float, ...]  # one per timed pass
    predicted_seconds: float  # the roofline's, for this CPU at fp32


@dataclass(frozen=True)
class Profile:
    layers: tuple[LayerTime, ...]  # every inference layer, in order
    forward_seconds: float  # median of the whole timed passes
    predicted_seconds: float  # the roofline's forward on this CPU, concat copies included
    batch: int
    warmup: int
    repeats: int  # timed passes done
    threads: int
    device: devices.Device  # this CPU as measured
    cancelled: bool  # stopped early by the caller
    out_of_time: bool  # stopped early by the budget

    def layer(self, key: str) -> LayerTime:
        for t in self.layers:
            if t.name == key:
                return t
        raise KeyError(key)


class _Timed:
    """A step of the program inside a named profiler range."""

    __slots__ = ("step", "label")

    def __init__(self, step, label: str):
        self.step, self.label = step, label

    def __call__(self, x):
        with torch.profiler.record_function(self.label):
            return self.step(x)


def _slots(entries: list, program: bool):
    """Every step under ``entries`` in the order the builder made them: ("leaf" | "block" |
    "project", where it sits, its index or None, the step)."""
    for i, entry in enumerate(entries):
        step = entry[1] if program else entry
        if isinstance(step, runtime._Block):
            yield "block", entries, i, program, step
            for br in step.branches:
                yield from _slots(br, False)
            if step.project is not None:
                yield "project", step, None, False, step.project
        else:
            yield "leaf", entries, i, program, step


def _put(where, i, program: bool, wrapped) -> None:
    if i is None:
        where.project = wrapped
    elif program:
        where[i] = (where[i][0], wrapped)
    else:
        where[i] = wrapped


LAYER, BLOCK = "layer:", "block:"


def _label(model: runtime.Net, a: Analysis) -> dict[str, tuple[str, str]]:
    """Wrap every leaf step and every block of ``model`` (built from ``a``) in a named range.
    Returns, for each block label, where its merge ops go: (key of its concat, key of its add)."""
    calls = [s.node.key for s in steps(a) if isinstance(s, Call) and not s.node.aux]
    blocks = []
    for s in steps(a):
        if isinstance(s, Open) and s.what == "block":
            if s.node is not None:
                blocks.append((s.node.key, f"{s.node.key}.concat", f"{s.node.key}.add"))
            else:  # a split: a concatenating block at the end of a branch
                branch = s.args[0][: -len(".split")]
                blocks.append((s.args[0], f"{branch}.concat", ""))
    slots = list(_slots(model._program, True))
    leaves = [x for x in slots if x[0] != "block"]
    nested = [x for x in slots if x[0] == "block"]
    if len(leaves) != len(calls) or len(nested) != len(blocks):  # pragma: no cover - build and steps share one walk
        raise RuntimeError("the built program does not match the analysis")
    merges = {}
    for (_, where, i, program, step), key in zip(leaves, calls):
        _put(where, i, program, _Timed(step, LAYER + key))
    for (_, where, i, program, step), (key, cat, add) in zip(nested, blocks):
        _put(where, i, program, _Timed(step, BLOCK + key))
        merges[BLOCK + key] = (cat, add)
    return merges


def _times(events, merges: dict[str, tuple[str, str]]) -> tuple[dict[str, list[float]], list[float]]:
    """Seconds per layer key, one entry per timed pass (a merge: the sum of its ops in that
    pass), and the whole passes' seconds."""
    per: dict[str, list[float]] = {}
    passes = []
    for e in events:
        name = e.name
        if name == "forward":
            passes.append(e.cpu_time_total / 1e6)
        elif name.startswith(LAYER):
            per.setdefault(name[len(LAYER):], []).append(e.cpu_time_total / 1e6)
        elif name.startswith(BLOCK):
            cat_key, add_key = merges[name]
            cat = add = 0.0
            for child in e.cpu_children:
                if child.name.startswith((LAYER, BLOCK)):
                    continue
                if child.name == "aten::cat" and cat_key:
                    cat += child.cpu_time_total / 1e6
                else:
                    add += child.cpu_time_total / 1e6
            if add_key:  # a residual block: a cat before the projection is its concat; the rest is the add
                per.setdefault(add_key, []).append(add)
                if cat:
                    per.setdefault(cat_key, []).append(cat)
            else:  # a concatenating block: the cat and the activation after it
                per.setdefault(cat_key, []).append(cat + add)
    return per, passes


def _stopper(cancel) -> Callable[[], bool]:
    if cancel is None:
        return lambda: False
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    return cancel


def check_size(net: Network, batch: int) -> Analysis:
    """``check_runnable`` for ``batch`` images: weights + batch × the peak activations, and
    batch × the MACs, within the latency measurement's limits."""
    check_int("batch", batch, 1, MAX_BATCH)
    a = check_runnable(net)
    t = a.totals
    need = t.weights_bytes + batch * t.peak_activation_bytes
    if need > MAX_RUN_BYTES:
        raise TooLargeAtBatch("profile.memory", batch=batch, need=_gb(need), limit=_gb(MAX_RUN_BYTES))
    if batch * t.macs > MAX_RUN_MACS:
        raise TooLargeAtBatch("profile.macs", batch=batch, gmacs=f"{batch * t.macs / 1e9:,.1f}", limit=f"{MAX_RUN_MACS / 1e9:,.0f}")
    return a


def profile_layers(
    net: Network,
    batch: int = 1,
    repeats: int = 5,
    warmup: int = 2,
    threads: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | threading.Event | None = None,
    max_seconds: float = 20.0,
    wait_seconds: float = 30.0,
    on_wait: Callable[[], None] | None = None,
) -> Profile:
    """Measure every layer of ``net`` (see the module). ``progress(done, total)`` is called
    before the first pass and after each (total = warmup + repeats); ``on_wait()`` once, if
    another measurement is running and this one has to wait for it."""
    check_int("repeats", repeats, 1, 1000)
    check_int("warmup", warmup, 0, 1000)
    bound = min(MAX_THREADS, _cpus())
    if threads is not None:
        check_int("threads", threads, 1, 1024)
    n_threads = bound if threads is None else min(threads, bound)
    a = check_size(net, batch)  # before building anything
    stop = _stopper(cancel)
    cpu = devices.this_cpu()  # measured once per process (in its own turn), before this one's clock starts
    if not _LOCK.acquire(blocking=False):
        if on_wait is not None:
            on_wait()
        if not _LOCK.acquire(timeout=wait_seconds):
            raise Busy("profile.busy", wait_s=f"{wait_seconds:g}")
    try:
        saved_threads = torch.get_num_threads()
        torch.set_num_threads(n_threads)
        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                model = build(net).eval()
                x = torch.randn(batch, *net.input)
            merges = _label(model, a)
            total = warmup + repeats
            if progress is not None:
                progress(0, total)
            start = time.perf_counter()
            done = timed = 0
            cancelled = out_of_time = False
            with torch.inference_mode():
                for _ in range(warmup):
                    if stop():
                        cancelled = True
                        break
                    if time.perf_counter() - start > max_seconds / 2:  # keep half the budget for the timed passes
                        break
                    model(x)
                    done += 1
                    if progress is not None:
                        progress(done, total)
                if not cancelled:
                    done = warmup
                    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
                        for _ in range(repeats):
                            if stop():
                                cancelled = True
                                break
                            if timed and time.perf_counter() - start > max_seconds:
                                out_of_time = True
                                break
                            with torch.profiler.record_function("forward"):
                                model(x)
                            timed += 1
                            done += 1
                            if progress is not None:
                                progress(done, total)
            if progress is not None and done < total:
                progress(total, total)
            if not timed:
                raise Cancelled("profile.cancelled")
            per, passes = _times(prof.events(), merges)
            del model, x
        finally:
            torch.set_num_threads(saved_threads)
    finally:
        _LOCK.release()
    predicted = roofline(a, cpu, "fp32", batch)
    layers = tuple(
        LayerTime(c.name, c.kind, statistics.median(per[c.name]) if per.get(c.name) else 0.0, tuple(per.get(c.name, ())),
                  c.predicted_seconds)
        for c in predicted.layers
    )
    return Profile(layers, statistics.median(passes), predicted.with_concat.predicted_seconds, batch, warmup, timed,
                   n_threads, cpu, cancelled, out_of_time)
