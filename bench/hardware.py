"""Section 11: the cost analysis (memory, roofline, epoch, largest batch) and the Hardware page's
server-side rerun.

The cost analysis of one design is timed beside the analysis it reads (``analyze`` uncached, the
baseline measured in the same run); the page's rerun through ``AppTest`` after a batch-size move,
with the design caches cleared ('cold', what a new choice costs) and with every result cached
('warm').
"""

from __future__ import annotations

import os

from googlenet import analyze, cost, devices, get_preset

from . import rerun
from .report import Section, table
from .timing import Case, compare, fmt_ratio, fmt_time

TITLE = "11. Hardware costs"
COST_TARGET_S = 0.010
PAGE_TARGET_S = 0.150
PRESETS = ("inception-resnet-v2", "d2l")  # the largest preset first: its target is the one judged
PAGES = ("d2l", "inception-resnet-v2")


def load() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def clear() -> None:
    """The design caches of the main page and the Hardware page's own."""
    rerun.clear_caches()
    from ui import hardware

    for fn in (hardware.memory_of, hardware.roofline_of, hardware.largest_of, hardware.epoch_of, hardware.figure_json,
               hardware._columns):
        fn.cache_clear()


class HardwarePage:
    """The Hardware page in ``AppTest``, its batch slider moved between two sizes."""

    def __init__(self, preset: str):
        from streamlit.testing.v1 import AppTest

        self.at = AppTest.from_file(rerun.APP, default_timeout=120)
        self.at.query_params["preset"] = preset
        self.at.run()
        self.at.switch_page("pages/hardware.py").run()
        self._fail("first run")
        self.flip = 0

    def _fail(self, what: str) -> None:
        if self.at.exception:
            raise RuntimeError(f"the Hardware page raised on {what}: {self.at.exception[0].message}")

    def move(self) -> None:
        self.flip ^= 1
        self.at.select_slider(key="hw_batch").set_value(256 if self.flip else 32).run()
        self._fail("a batch move")

    def stays(self) -> None:
        self.at.run()


def run(quick: bool = False) -> Section:
    rerun._quiet()
    s = Section(
        TITLE,
        "The cost analysis of a design at batch 256 — `memory` (the training-mode forward walked op by op for what "
        "autograd saves), `roofline` on the A100, `epoch_seconds` (a roofline per batch size) and `largest_batch` "
        "(two memories) — beside the uncached analysis it reads, interleaved in one run. Then the Hardware page's "
        f"server-side rerun after a batch-size move (`AppTest`, as section 5). Load average when this section started: {load()}.",
    )
    a100 = devices.PRESETS["a100"]
    rows = []
    for i, name in enumerate(PRESETS[:1] if quick else PRESETS):
        net = get_preset(name)
        a = analyze(net)
        cases = {
            "analysis (baseline)": Case(lambda net=net: analyze.__wrapped__(net)),
            "memory + roofline": Case(lambda a=a: (cost.memory(a, 256, "fp32", "adam"), cost.roofline(a, a100, "fp32", 256))),
            "memory": Case(lambda a=a: cost.memory(a, 256, "bf16", "adam")),
            "roofline": Case(lambda a=a: cost.roofline(a, a100, "bf16", 256)),
            "epoch": Case(lambda a=a: cost.epoch_seconds(a, a100, "fp32", 256)),
            "largest batch": Case(lambda a=a: cost.largest_batch(a, 80 * devices.GiB, "fp32", "adam")),
        }
        t = compare(cases, rounds=5 if quick else 30, warmup=1, budget_s=20, min_rounds=3)
        base = t["analysis (baseline)"].median
        both = t["memory + roofline"].median
        if i == 0:
            mark = s.check(f"cost analysis, {name}, batch 256", f"≤ {COST_TARGET_S * 1e3:.0f} ms", fmt_time(both), both <= COST_TARGET_S)
        else:
            mark = "–"
        for case, timing in t.items():
            rows.append([name, case, fmt_time(timing.median), fmt_ratio(timing.median / base),
                         mark if case == "memory + roofline" else ""])
    s.add(table(["network", "what", "median", "× the analysis", "target"], rows))

    rows = []
    for name in PAGES[:1] if quick else PAGES:
        clear()
        page = HardwarePage(name)
        t = compare({"cold": Case(page.move, setup=clear), "warm": Case(page.stays)},
                    rounds=2 if quick else 9, warmup=1, budget_s=30, min_rounds=2 if quick else 3)
        cold = t["cold"].median
        mark = s.check(f"Hardware-page rerun, server side, {name}", f"≤ {PAGE_TARGET_S * 1e3:.0f} ms", fmt_time(cold),
                       cold <= PAGE_TARGET_S)
        rows.append([name, "batch 32 ↔ 256", fmt_time(cold), fmt_time(t["warm"].median), mark])
    s.add(table(["network", "moved", "cold rerun", "warm rerun", "target"], rows))
    return s
