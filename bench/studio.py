"""Section 13: the studio's loop in headless Chromium against a real server — a width moved
→ the diagram component redrawn, the app's first open, a page switch — each beside a no-op
rerun measured in the same run, interleaved, with the load average at the time."""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass

from tests.browser.driver import ARM, IDLE, RAN, chromium  # a run's start and end, as the browser tests watch them

from .report import Section, table
from .server import Server
from .timing import fmt_time

TITLE = "13. The studio's loop: width → diagram, first open, page switch, in a browser"
TIMEOUT_MS = 180_000  # generous: a first run under load imports torch and draws
VIEWPORT = {"width": 1400, "height": 1000}


def diagram(key: str = "main_diagram") -> str:
    """The component's host element (its DOM is in the host's shadow root)."""
    return f".st-key-{key}_box [data-testid=stBidiComponentIsolated]"


# the diagram component holds a drawing other than ``old`` (its data-rev), laid out
DRAWN = """([sel, old]) => {
  const host = document.querySelector(sel);
  const r = host && host.shadowRoot && host.shadowRoot.querySelector('[data-testid=diagram]');
  if (!r || !r.dataset.rev || r.dataset.rev === old) return false;
  const svg = r.querySelector('.sd-stage svg');
  return !!(svg && svg.getBoundingClientRect().width > 50);
}"""


def load() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"


def med(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


@dataclass(frozen=True)
class Scenario:
    label: str
    preset: str
    level: str
    block: str | None  # the block whose first width is moved (None: the first one offered)
    target_s: float


SCENARIOS = (
    Scenario("GoogLeNet (d2l)", "d2l", "layers", "inception4a", 0.4),
    Scenario("Inception-ResNet-v2", "inception-resnet-v2", "blocks", None, 0.8),
)


def rev(page, key: str = "main_diagram") -> str:
    return page.eval_on_selector(diagram(key), "h => (h.shadowRoot && h.shadowRoot.querySelector('[data-testid=diagram]')?.dataset.rev) || ''")


def redraw(page, action, key: str = "main_diagram") -> tuple[float, float]:
    """Seconds from ``action`` to the component showing the new drawing, and to the run's end."""
    old = rev(page, key)
    page.evaluate(ARM)
    t0 = time.perf_counter()
    action()
    page.wait_for_function(DRAWN, arg=[diagram(key), old], polling="raf")
    drawn = time.perf_counter() - t0
    page.wait_for_function(RAN, polling=20)
    return drawn, time.perf_counter() - t0


def noop(page) -> float:
    """A rerun that changes no design: the Units control switched (auto ↔ exact), which
    redraws nothing but the totals' text, until the run has ended."""
    group = page.locator(".st-key-main_units")
    radios = group.get_by_role("radio")
    target = radios.nth(0) if radios.nth(0).get_attribute("aria-checked") != "true" else radios.nth(1)
    page.evaluate(ARM)
    t0 = time.perf_counter()
    target.click()
    page.wait_for_function(RAN, polling=20)
    return time.perf_counter() - t0


def open_app(browser, url: str, key: str = "main_diagram"):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_function(DRAWN, arg=[diagram(key), ""], polling="raf")
    page.wait_for_selector(IDLE, state="attached")
    return context, page, time.perf_counter() - t0


def choose_level(page, level: str) -> None:
    group = page.locator(".st-key-main_level")
    button = group.get_by_role("radio", name=level, exact=True)
    if button.get_attribute("aria-checked") != "true":
        redraw(page, button.click)


def width_slider(page, block: str | None):
    if block is None:
        classes = page.eval_on_selector_all("[class*=st-key-main_open_]", "els => els.map(e => [...e.classList].find(c => c.startsWith('st-key-main_open_')))")
        if not classes:
            raise RuntimeError("no block with width knobs in the sidebar")
        block = classes[0][len("st-key-main_open_"):]
    box = page.locator(f".st-key-main_open_{block}")
    page.evaluate(ARM)
    box.locator("summary").click()
    page.wait_for_function(RAN, polling=20)
    knob = box.locator("input[type=range]").first
    knob.wait_for()
    return block, knob


def measure_width(browser, srv: Server, sc: Scenario, moves: int) -> dict:
    context, page, _ = open_app(browser, f"{srv.url}/?preset={sc.preset}")
    try:
        choose_level(page, sc.level)
        block, knob = width_slider(page, sc.block)
        knob.focus()
        redraw(page, lambda: knob.press("ArrowRight"))  # warm-up
        noop(page)
        drawn, done, base, loads = [], [], [], []
        for _ in range(moves):  # interleaved: a move to a design never drawn, then a no-op rerun
            knob.focus()
            d, e = redraw(page, lambda: knob.press("ArrowRight"))
            drawn.append(d)
            done.append(e)
            base.append(noop(page))
            loads.append(load())
        return {"block": block, "drawn": med(drawn), "done": med(done), "noop": med(base), "n": moves, "load": loads[-1] if loads else load()}
    finally:
        context.close()


def measure_open_and_switch(browser, srv: Server, times: int) -> dict:
    opens, switches, backs, base, loads = [], [], [], [], []
    for _ in range(times):
        context, page, t_open = open_app(browser, f"{srv.url}/?preset=d2l")
        try:
            opens.append(t_open)
            base.append(noop(page))
            for link, key, out in (("Inception block", "block_diagram", switches), ("Architecture", "main_diagram", backs)):
                nav = page.locator("[data-testid=stSidebarNav] a").filter(has=page.get_by_text(link, exact=True))
                t0 = time.perf_counter()
                nav.click()
                # a page switch mounts the other page's diagram anew: drawn, then the run idle
                page.wait_for_function(DRAWN, arg=[diagram(key), ""], polling="raf")
                page.wait_for_selector(IDLE, state="attached")
                out.append(time.perf_counter() - t0)
            loads.append(load())
        finally:
            context.close()
    return {"open": med(opens), "switch": med(switches), "back": med(backs), "noop": med(base), "n": times, "load": loads[-1]}


def ratio(x: float | None, base: float | None) -> str:
    return f"{x / base:.1f}×" if x and base else "–"


def run(quick: bool = False) -> Section:
    s = Section(
        TITLE,
        "Headless Chromium (Playwright) against `streamlit run app.py` started for this section, "
        "1400×1000. 'Width → diagram': the first width slider of a block (opened in the sidebar) "
        "is moved one step with the arrow key, to a design the server has not drawn; the time runs "
        "from the key press until the diagram component holds the new SVG, laid out ('diagram'), "
        "and until the rerun has ended ('whole rerun'). Beside each, in the same run and "
        "interleaved with it, a no-op rerun (the Units control switched: the same design, "
        "nothing redrawn) to its end. 'First open': a new tab until the diagram is drawn and the first run has "
        "ended; 'page switch': a sidebar link until the other page's diagram is drawn and its run "
        "has ended. Medians; one untimed move first; the 1-minute load average beside each row.",
    )
    rows = []
    with Server() as srv, chromium() as browser:
        for sc in SCENARIOS:
            r = measure_width(browser, srv, sc, 2 if quick else 6)
            mark = s.check(
                f"width → redrawn diagram, {sc.label} ({sc.level})", f"≤ {sc.target_s * 1000:.0f} ms", fmt_time(r["drawn"]),
                r["drawn"] is not None and r["drawn"] <= sc.target_s, f"load {r['load']}",
            )
            rows.append([f"width → diagram, {sc.label}, {r['block']}", sc.level, r["n"], fmt_time(r["drawn"]), fmt_time(r["done"]),
                         fmt_time(r["noop"]), ratio(r["done"], r["noop"]), r["load"], mark])
        o = measure_open_and_switch(browser, srv, 2 if quick else 4)
        m_open = s.check("first open of the app (d2l)", "≤ 3 s", fmt_time(o["open"]), o["open"] <= 3.0, f"load {o['load']}")
        m_switch = s.check("page switch (Architecture → Inception block)", "≤ 1 s", fmt_time(o["switch"]), o["switch"] <= 1.0, f"load {o['load']}")
        m_back = s.check("page switch (Inception block → Architecture)", "≤ 1 s", fmt_time(o["back"]), o["back"] <= 1.0, f"load {o['load']}")
        rows.append(["first open (d2l, new tab)", "blocks", o["n"], fmt_time(o["open"]), fmt_time(o["open"]), fmt_time(o["noop"]), ratio(o["open"], o["noop"]), o["load"], m_open])
        rows.append(["page switch → Inception block", "–", o["n"], fmt_time(o["switch"]), fmt_time(o["switch"]), fmt_time(o["noop"]), ratio(o["switch"], o["noop"]), o["load"], m_switch])
        rows.append(["page switch → Architecture", "blocks", o["n"], fmt_time(o["back"]), fmt_time(o["back"]), fmt_time(o["noop"]), ratio(o["back"], o["noop"]), o["load"], m_back])
    s.add(table(["what", "level", "runs", "diagram", "whole rerun", "no-op rerun", "÷ no-op", "load (1 min)", "target"], rows))
    return s
