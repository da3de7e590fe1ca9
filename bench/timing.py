"""Interleaved timing: every case of a comparison is run once per round, in a rotating
order, so a slow spell of a shared machine hits all of them alike and their ratio holds."""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Case:
    """One thing to time. ``setup`` runs untimed before every call (e.g. clearing a cache);
    ``inner`` calls are timed one by one in each round (for cases much cheaper than the rest)."""

    fn: Callable[[], object]
    setup: Callable[[], object] | None = None
    inner: int = 1
    warm: Callable[[], object] | None = None  # the warm-up call, when ``fn`` is too slow to run twice


@dataclass
class Timing:
    samples: list[float] = field(default_factory=list)  # seconds

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def n(self) -> int:
        return len(self.samples)


def _once(case: Case) -> float:
    if case.setup is not None:
        case.setup()
    gc.collect()
    t0 = time.perf_counter()
    case.fn()
    return time.perf_counter() - t0


def compare(
    cases: dict[str, Case],
    rounds: int = 7,
    warmup: int = 1,
    budget_s: float | None = None,
    min_rounds: int = 3,
) -> dict[str, Timing]:
    """Median-ready samples of every case. After ``warmup`` untimed rounds, runs up to
    ``rounds`` timed rounds, stopping early (never before ``min_rounds``) once ``budget_s``
    seconds have gone on timed rounds."""
    names = list(cases)
    for _ in range(warmup):
        for name in names:
            case = cases[name]
            _once(Case(case.warm, case.setup) if case.warm is not None else case)
    out = {name: Timing() for name in names}
    start = time.perf_counter()
    for r in range(rounds):
        # rotate the order so no case always runs first (after a collection) or last
        order = names[r % len(names):] + names[: r % len(names)]
        for name in order:
            case = cases[name]
            for _ in range(case.inner):
                out[name].samples.append(_once(case))
        if budget_s is not None and r + 1 >= min_rounds and time.perf_counter() - start > budget_s:
            break
    return out


def fmt_time(seconds: float | None) -> str:
    """A duration with a unit that keeps three significant digits."""
    if seconds is None:
        return "–"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        ms = seconds * 1e3
        return f"{ms:.3g} ms" if ms < 100 else f"{ms:.0f} ms"
    return f"{seconds:.2f} s"


def fmt_ratio(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:.2f}×" if x < 10 else f"{x:,.0f}×"
