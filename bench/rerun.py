"""Section 5: the server-side work of one rerun of the main page, without the browser.

Two views of the same rerun, interleaved: the whole script through Streamlit's ``AppTest``
(``app.py`` as the server runs it: widgets, caches, protobuf messages, but no websocket), and
the functions the page calls one by one, so a slow rerun can be traced to its part.
"""

from __future__ import annotations

import importlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from googlenet import analyze

from .report import Section, table
from .timing import Case, compare, fmt_time

TITLE = "5. Main-page rerun, server side"
ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")

# Modules whose lru_caches hold results keyed by the design or network; clearing them makes a
# rerun cost what a slider move to a new design costs. Caches of constants are kept.
CACHED_MODULES = ("googlenet.analysis", "googlenet.render", "ui.state", "ui.studio", "ui.tables", "ui.charts", "ui.figures")
KEEP = {"preset_network", "family_analyses", "script", "_reserved"}


@dataclass(frozen=True)
class Scenario:
    label: str
    preset: str
    stage: str  # the stage whose block-count slider is moved
    level: str  # the diagram level shown
    target_s: float


SCENARIOS = (
    Scenario("GoogLeNet (d2l)", "d2l", "b4", "layers", 0.150),
    Scenario("Inception-ResNet-v2", "inception-resnet-v2", "inception_resnet_b", "blocks", 0.400),
)


def design_caches() -> list:
    out = []
    for name in CACHED_MODULES:
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        for attr, fn in vars(mod).items():
            if attr in KEEP or not hasattr(fn, "cache_clear") or getattr(fn, "__module__", None) != name:
                continue
            out.append(fn)
    return out


def clear_caches() -> None:
    for fn in design_caches():
        fn.cache_clear()


def _quiet() -> None:
    # AppTest runs the script outside a server thread; Streamlit warns about it once a call
    os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")
    for name in ("streamlit", "streamlit.runtime.scriptrunner_utils.script_run_context", "streamlit.runtime.caching"):
        logging.getLogger(name).setLevel(logging.ERROR)


class PageDriver:
    """The main page in ``AppTest``, with one block-count slider moved back and forth."""

    def __init__(self, sc: Scenario):
        from streamlit.testing.v1 import AppTest

        self.sc = sc
        self.at = AppTest.from_file(APP, default_timeout=120)
        self.at.query_params["preset"] = sc.preset
        self.at.run()
        self._fail("first run")
        self.key = f"main_k_count_{sc.stage}"
        self.start = self.at.slider(key=self.key).value
        if sc.level != "blocks":
            self.at.button_group(key="main_level").set_value(sc.level).run()
            self._fail(f"level {sc.level}")
        self.flip = 0

    def _fail(self, what: str) -> None:
        if self.at.exception:
            raise RuntimeError(f"app.py raised on {what}: {self.at.exception[0].message}")

    def move(self) -> None:
        """One slider move to the other value, and the rerun it causes."""
        self.flip ^= 1
        self.at.slider(key=self.key).set_value(self.start + self.flip).run()
        self._fail("a slider move")

    def stays(self) -> None:
        """A rerun with nothing changed (every cache hit), for the floor of a rerun."""
        self.at.run()


def page_functions(sc: Scenario, count: int):
    """The functions the main page calls for one design, as zero-argument callables."""
    from ui import charts, figures, state, studio, tables
    from googlenet.render import legend, render, to_dot

    d = state.with_count(state.from_preset(sc.preset), sc.stage, count)
    net = d.network()
    origin = d.origin()

    svg = render(to_dot(analyze(net), level=sc.level), "svg")

    funcs = {
        "design → network": lambda: state.with_count(state.from_preset(sc.preset), sc.stage, count).network(),
        "analysis": lambda: analyze.__wrapped__(net),
        "DOT": lambda: to_dot(analyze(net), level=sc.level),
        "SVG (`dot`)": lambda: render(to_dot(analyze(net), level=sc.level), "svg"),
        "metrics": lambda: tables.metrics(analyze(net), analyze(origin)),
        "layer table": lambda: tables.layer_totals(tables.layers(analyze(net))),
        "charts": lambda: (charts.cost_per_block(analyze(net)), charts.channel_allocation(analyze(net)), charts.depth_profile(analyze(net))),
        "CSV + config (exports)": lambda: (figures.csv_bytes(net, False), studio.config_text(net)),
    }
    # every part starts from cold caches except the analysis it reads, which the page makes first
    setup = lambda: (clear_caches(), analyze(net), analyze(origin))  # noqa: E731
    return funcs, setup


def run(quick: bool = False) -> Section:
    _quiet()
    s = Section(
        TITLE,
        "One rerun after a block-count slider move, on a fresh Streamlit `AppTest` of `app.py` "
        "(the real script with its widgets, caches and messages; no websocket, no browser). "
        "'cold': the design caches are cleared before each rerun, so it costs what a move to a "
        "design never seen costs; 'warm': a rerun whose results are all cached, the floor of any "
        "rerun of this page. Below each, the functions the page calls, timed one by one in the same run "
        "(each from cold caches, given the analysis).",
    )
    summary = []
    for sc in SCENARIOS[:1] if quick else SCENARIOS:
        clear_caches()
        page = PageDriver(sc)
        funcs, setup = page_functions(sc, page.start + 1)
        cases = {
            "cold": Case(page.move, setup=clear_caches),
            "warm": Case(page.stays),
        }
        cases.update({name: Case(fn, setup=setup) for name, fn in funcs.items()})
        t = compare(cases, rounds=2 if quick else 9, warmup=1, budget_s=30, min_rounds=2 if quick else 3)
        cold = t["cold"].median
        mark = s.check(f"main-page rerun, server side, {sc.label}", f"≤ {sc.target_s * 1e3:.0f} ms", fmt_time(cold), cold <= sc.target_s)
        summary.append([sc.label, f"{sc.stage} slider, {sc.level} level", fmt_time(cold), fmt_time(t["warm"].median), mark])
        rows = [[name, fmt_time(t[name].median)] for name in funcs]
        rows.append(["sum of the parts", fmt_time(sum(t[name].median for name in funcs))])
        s.add(f"**{sc.label}**, parts of a cold rerun:\n\n" + table(["part", "median"], rows))
    s.blocks.insert(0, table(["network", "moved", "cold rerun", "warm rerun", "target"], summary))
    return s
