"""Section 6: slider → redrawn diagram in headless Chromium, against a real server."""

from __future__ import annotations

import json
import re
import statistics
import time
from dataclasses import dataclass

from tests.browser.driver import chromium

from .report import Section, table
from .server import Server
from .timing import fmt_time

TITLE = "6. Slider to redrawn diagram, in a browser"
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
DIAGRAM = ".st-key-main_diagram_box [data-testid=stBidiComponentIsolated]"  # the diagram component's host
TIMEOUT_MS = 60_000

# Marks the drawing shown now (the component's data-rev, in its shadow root); REDRAWN is true
# once another drawing has replaced it and is laid out.
MARK = """() => {
  const host = document.querySelector('%s');
  const r = host && host.shadowRoot && host.shadowRoot.querySelector('[data-testid=diagram]');
  window.__benchOld = r ? r.dataset.rev : null;
  // when the rerun starts and ends, to split the time between the client and the server
  const app = document.querySelector('[data-testid=stApp]');
  const t0 = performance.now();
  window.__benchEvents = [];
  if (window.__benchObserver) window.__benchObserver.disconnect();
  window.__benchObserver = new MutationObserver(() => window.__benchEvents.push(
    [app.getAttribute('data-test-script-state'), performance.now() - t0]));
  window.__benchObserver.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}""" % DIAGRAM
REDRAWN = """() => {
  const host = document.querySelector('%s');
  const r = host && host.shadowRoot && host.shadowRoot.querySelector('[data-testid=diagram]');
  if (!r || !r.dataset.rev || r.dataset.rev === window.__benchOld) return false;
  const svg = r.querySelector('.sd-stage svg');
  return !!(svg && svg.getBoundingClientRect().width > 50);
}""" % DIAGRAM


@dataclass(frozen=True)
class Scenario:
    label: str
    preset: str
    stage: str
    level: str
    moves: int  # timed moves to designs never seen, after one warm-up move
    target_s: float


SCENARIOS = (
    Scenario("GoogLeNet (d2l)", "d2l", "b4", "layers", 4, 1.0),
    Scenario("Inception-ResNet-v2", "inception-resnet-v2", "inception_resnet_b", "blocks", 6, 2.0),
)


def open_page(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    wait_loaded(page)
    return page


def wait_loaded(page) -> None:
    """Until the page's first run has drawn its diagram and finished. (The app reports
    'notRunning' before its first run too, so the diagram is waited for first.)"""
    page.wait_for_function(
        "() => { const h = document.querySelector('%s'); return h && h.shadowRoot && h.shadowRoot.querySelector('.sd-stage svg'); }" % DIAGRAM,
        polling=50,
    )
    page.wait_for_selector(IDLE, state="attached")


@dataclass(frozen=True)
class Redraw:
    diagram: float  # seconds from the key press to the new diagram loaded
    done: float  # … to the end of the rerun
    started: float | None  # … to the rerun's start (the client's share: debounce, websocket)
    running: float | None  # the rerun itself, start to end, as the page saw it


def redraw(page, action) -> Redraw:
    page.evaluate(MARK)
    t0 = time.perf_counter()
    action()
    page.wait_for_function(REDRAWN, polling="raf")
    t_diagram = time.perf_counter() - t0
    page.wait_for_selector(IDLE, state="attached")
    done = time.perf_counter() - t0
    events = page.evaluate("() => window.__benchEvents")
    starts = [t for state, t in events if state == "running"]
    ends = [t for state, t in events if state == "notRunning"]
    started = starts[0] / 1e3 if starts else None
    running = (ends[-1] - starts[0]) / 1e3 if starts and ends and ends[-1] > starts[0] else None
    return Redraw(t_diagram, done, started, running)


def count_slider(page, stage: str):
    """The block-count slider of ``stage``: the one whose label starts with the stage's name
    and speaks of blocks (the app says "b4 blocks"). A widget's code can reach the page after
    the run that made it has finished, so the slider is waited for."""
    page.wait_for_function(
        """(stage) => Array.from(document.querySelectorAll('[data-testid=stSlider] input[type=range]'),
             (e) => e.getAttribute('aria-label') || '').some((x) => x.startsWith(stage + ' ') && x.includes('blocks'))""",
        arg=stage, polling=100,
    )
    labels = page.eval_on_selector_all(
        "[data-testid=stSlider] input[type=range]", "els => els.map(e => e.getAttribute('aria-label') || '')"
    )
    found = [x for x in labels if re.match(rf"{re.escape(stage)}\b", x) and "blocks" in x]
    if not found:
        raise RuntimeError(f"no block-count slider for stage {stage!r} among {labels[:12]}")
    return page.locator(f"[data-testid=stSlider] input[type=range][aria-label={json.dumps(found[0])}]")


def choose_level(page, level: str) -> None:
    group = page.locator("[data-testid=stButtonGroup]", has_text="Level")
    button = group.locator("button", has_text=re.compile(rf"^\s*{level}\s*$"))
    if "active" in (button.get_attribute("kind") or "").lower():
        return
    redraw(page, button.click)


def measure(browser, srv: Server, sc: Scenario, moves: int) -> dict:
    page = open_page(browser, f"{srv.url}/?preset={sc.preset}")
    try:
        if sc.level != "blocks":
            choose_level(page, sc.level)
        knob = count_slider(page, sc.stage)
        start, top = int(knob.get_attribute("value")), int(knob.get_attribute("max"))
        moves = min(moves, top - start - 1)
        knob.focus()
        press = lambda key: (lambda: page.keyboard.press(key))  # noqa: E731
        redraw(page, press("ArrowRight"))  # warm-up: the first move also loads the new level's code paths
        cold = [redraw(page, press("ArrowRight")) for _ in range(moves)]
        # back over designs the server has already drawn: its caches answer
        warm = [redraw(page, press("ArrowLeft")) for _ in range(min(3, moves))]
        med = lambda xs: statistics.median(xs) if xs else None  # noqa: E731
        return {
            "cold": med([r.diagram for r in cold]),
            "cold_done": med([r.done for r in cold]),
            "started": med([r.started for r in cold if r.started is not None]),
            "running": med([r.running for r in cold if r.running is not None]),
            "warm": med([r.diagram for r in warm]),
            "n": len(cold),
            "range": f"{start + 1} → {start + 1 + moves}",
        }
    finally:
        page.close()


def run(quick: bool = False) -> Section:
    s = Section(
        TITLE,
        "Headless Chromium (Playwright) against `streamlit run app.py` started for this section. "
        "The block-count slider is focused and moved one step with the arrow keys; the time runs "
        "from the key press until the diagram component holds a new drawing, laid out ('diagram'), "
        "and until Streamlit reports the rerun finished ('whole rerun'); the page's own record of the script state splits that into the wait before the rerun starts (the slider's debounce and the websocket) and the rerun as the page saw it run. Each move goes to a design "
        "the server has not seen; 'revisited' moves back over designs it has (its caches answer). "
        "Medians; one untimed move first.",
    )
    rows = []
    with Server() as srv, chromium() as browser:
        for sc in SCENARIOS:
            r = measure(browser, srv, sc, 2 if quick else sc.moves)
            mark = s.check(f"slider → redrawn diagram, {sc.label} ({sc.level})", f"≤ {sc.target_s:g} s", fmt_time(r["cold"]), r["cold"] <= sc.target_s)
            rows.append(
                [
                    sc.label, f"{sc.stage} {r['range']}", sc.level, r["n"], fmt_time(r["cold"]), fmt_time(r["cold_done"]),
                    fmt_time(r["started"]), fmt_time(r["running"]), fmt_time(r["warm"]), mark,
                ]
            )
    s.add(
        table(
            ["network", "slider moves", "level", "moves", "diagram", "whole rerun", "rerun starts after", "rerun runs", "revisited", "target"],
            rows,
        )
    )
    return s
