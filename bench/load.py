"""A class at once in browsers — many browser sessions on one server, each moving sliders on a
design of its own; bench section 8 (``bench.wsload``) is the same class with websocket
clients. ``python -m bench.load [--sessions 20] [--moves 10]`` runs it.

Every session is a context of one headless Chromium, so a Streamlit session of its own, as a
student's browser is. Each opens the app from a link with its own inception3a c1, checks that
the sidebar shows the design's values, switches the totals to exact digits, and — once every
session has loaded — moves the b4 block-count slider with the keyboard through designs nobody
has drawn yet, pausing like a person between moves. After every move it checks that the
totals shown are its own design's, as the core computes them (a session that saw another's
design, or lost its own, shows another number) and, at the end, that its link is its own.
First one session alone, then all of them together. The response time runs from the key
press to the end of the rerun with the new totals shown, timed by the page itself; the
server's resident memory (VmRSS; VmHWM is its peak) and CPU time come from /proc.

The browsers run on the server's own machine, so by default they do not draw the Plotly
charts and data grids (the code of those two components is held back): the server still
builds and sends them, and the CPU goes to the server rather than to twenty renderers.
``--draw-everything`` draws them too.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import re
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from deploy.stack import descendants
from tests.browser.driver import BUILD, ERROR_ALERT, EXCEPTION, launch, vm

VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 120_000
STAGE = "b4"  # d2l's b4 has 5 blocks; its slider goes from 0 to 10
COUNT_KEY = f"main_k_count_{STAGE}"
SINGLE_C1 = 32  # the lone session's inception3a c1; the crowd's are 33, 34, …
D2L_C1 = 64  # d2l's own inception3a c1, which a link leaves out: no session's own
THINK_S = (0.5, 1.5)  # a person's pause between two moves
STAGGER_S = 0.5  # between two sessions' arrivals: a class opens the link within seconds
HEAVY = re.compile(r".*/static/js/(PlotlyChart|DataFrame)\.[^/]*\.js$")  # not drawn by light clients
SHOTS = BUILD / "load"

# Before a key press: the page notes the press, the end of the rerun it starts, and the link
# as it was. The whole document is watched: the app element may be re-mounted.
ARM = """() => {
  const seen = window.__load = {t0: performance.now(), started: false, end: null, search: location.search};
  document.addEventListener('keydown', () => { seen.t0 = performance.now(); }, {capture: true, once: true});
  if (window.__loadObserver) window.__loadObserver.disconnect();
  window.__loadObserver = new MutationObserver((records) => {
    const state = document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-script-state');
    if (state === 'running' || records.some((r) => r.oldValue === 'running')) seen.started = true;
    if (seen.started && state === 'notRunning' && seen.end === null) seen.end = performance.now();
  });
  window.__loadObserver.observe(document.body, {subtree: true, attributes: true, attributeOldValue: true, attributeFilter: ['data-test-script-state']});
}"""
# The move's rerun has ended — seen running, or the link it writes has changed — and the app
# is idle: the seconds since the key press and the Params card's text.
DONE = """() => {
  const seen = window.__load, app = document.querySelector('[data-testid=stApp]');
  if (!seen || !app || app.getAttribute('data-test-script-state') !== 'notRunning') return null;
  if (!seen.started && location.search === seen.search) return null;
  let params = null;
  for (const m of document.querySelectorAll('[data-testid=stMetric]')) {
    const label = m.querySelector('[data-testid=stMetricLabel]');
    if (label && label.innerText.trim() === 'Params') params = m.querySelector('[data-testid=stMetricValue]').innerText.trim();
  }
  return {seconds: ((seen.end ?? performance.now()) - seen.t0) / 1000, params};
}"""
READY = """() => {
  const h = document.querySelector('.st-key-main_diagram_box [data-testid=stBidiComponentIsolated]');
  const svg = h && h.shadowRoot && h.shadowRoot.querySelector('.sd-stage svg');
  const app = document.querySelector('[data-testid=stApp]');
  return !!(svg && app && app.getAttribute('data-test-script-state') === 'notRunning');
}"""
# What the sidebar shows of d2l's knobs; null while a widget has not been drawn yet.
KNOBS_SHOWN = """() => {
  const v = (k) => document.querySelector(`.st-key-main_k_${k} input`)?.value ?? null;
  return {channels: v('channels'), height: v('height'), width: v('width'), classes: v('classes'),
          multiplier: v('multiplier'), b3: v('count_b3'), b4: v('count_b4'), b5: v('count_b5')};
}"""
D2L_KNOBS = {"channels": "1", "height": "96", "width": "96", "classes": "10", "multiplier": "1", "b3": "2", "b4": "5", "b5": "2"}
STUCK = """() => ({
  state: document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-script-state'),
  status: document.querySelector('[data-testid=stStatusWidget]')?.innerText?.trim() || '',
  metrics: Array.from(document.querySelectorAll('[data-testid=stMetric]'), (m) => m.innerText.replace(/\\s+/g, ' ').trim()).slice(0, 3).join(' | '),
  slider: document.querySelector('.st-key-%s input')?.value || '',
  link: location.search})""" % COUNT_KEY


# --- the plan: who moves what, and what they must see ------------------------------------------


@dataclass(frozen=True)
class Plan:
    c1: int  # inception3a's c1: this session's own design
    keys: tuple[str, ...]  # the keys pressed on the b4 slider, in order
    counts: tuple[int, ...]  # b4 after each key


def moves_of(n: int) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """From d2l's 5 blocks in b4: up to 10, Home to 0, up to 4 — ten designs, each new."""
    keys = ["ArrowRight"] * 5 + ["Home"] + ["ArrowRight"] * 4
    counts = [6, 7, 8, 9, 10, 0, 1, 2, 3, 4]
    if not 1 <= n <= len(keys):
        raise ValueError(f"moves must be from 1 to {len(keys)}, got {n}")
    return tuple(keys[:n]), tuple(counts[:n])


def plans(sessions: int, moves: int, first_c1: int) -> list[Plan]:
    """``sessions`` plans with inception3a c1 from ``first_c1`` on, each a design of its own."""
    keys, counts = moves_of(moves)
    c1s = [c for c in range(first_c1, first_c1 + sessions + 1) if c != D2L_C1][:sessions]
    return [Plan(c1, keys, counts) for c1 in c1s]


def link(c1: int, count: int = 5) -> dict[str, str]:
    """The query string the app writes for d2l with this c1 and b4 count (5 is d2l's own)."""
    q = {"preset": "d2l", "inception3a.c1": str(c1)}
    if count != 5:
        q[STAGE] = str(count)
    return q


def expected_params(c1: int, count: int, units: str) -> str:
    """The Params card of d2l with this c1 and b4 count in ``units``, as the core and the app make it."""
    from googlenet import analyze, knobs
    from ui import tables

    t = knobs.Tweaks("d2l", counts=((STAGE, count),), widths=(("inception3a", "c1", (c1,)),))
    return tables.count(analyze(t.apply()).totals.params, units)


# --- one session ---------------------------------------------------------------------------------


class _Gate:
    """Opens when every session has loaded (or failed to): the moves then start together."""

    def __init__(self, n: int, on_open=None):
        self.left = n
        self.opened = asyncio.Event()
        self.on_open = on_open

    def arrive(self) -> None:
        self.left -= 1
        if self.left <= 0 and not self.opened.is_set():
            if self.on_open is not None:
                self.on_open()
            self.opened.set()

    async def wait(self) -> None:
        await self.opened.wait()


class _Wire:
    """The page's websocket as the browser's network layer logs it (Chrome DevTools Protocol):
    when each rerun request left and each script run's end arrived, in the browser's own
    clock. The time between them is the server's share of a response, without the time the
    page then takes to draw it — which, with twenty browsers on the server's own two cores,
    is most of it."""

    def __init__(self):
        self.requests: list[float] = []
        self.finishes: list[float] = []
        self.changed = asyncio.Event()

    def sent(self, event: dict) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        frame = event["response"]
        if frame.get("opcode") != 2:
            return
        try:
            msg = BackMsg.FromString(base64.b64decode(frame["payloadData"]))
        except Exception:  # noqa: BLE001 - not ours to judge
            return
        if msg.WhichOneof("type") == "rerun_script":
            self.requests.append(event["timestamp"])
            self.changed.set()

    def received(self, event: dict) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        frame = event["response"]
        if frame.get("opcode") != 2 or len(frame["payloadData"]) > 400:  # the end of a run is a few bytes
            return
        try:
            msg = ForwardMsg.FromString(base64.b64decode(frame["payloadData"]))
        except Exception:  # noqa: BLE001
            return
        if msg.WhichOneof("type") == "script_finished" and msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
            self.finishes.append(event["timestamp"])
            self.changed.set()

    async def round_trip(self, since: int, timeout: float = 10.0) -> float | None:
        """Seconds from the first rerun request after the ``since``-th to the end of a run after it."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.requests) > since:
                t0 = self.requests[since]
                ends = [t for t in self.finishes if t >= t0]
                if ends:
                    return ends[0] - t0
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except asyncio.TimeoutError:
                return None


@dataclass
class SessionResult:
    c1: int
    open_s: float | None = None  # link opened → first run finished with the diagram drawn
    times: list[float] = field(default_factory=list)  # key press → rerun ended with the new totals
    wrong: list[str] = field(default_factory=list)  # totals, knobs or links that were not this session's
    problems: list[str] = field(default_factory=list)  # exceptions, errors, JS errors, timeouts
    done: int = 0  # moves completed
    sockets: int = 0  # websockets the page opened: more than one means it reconnected
    wire: list[float] = field(default_factory=list)  # rerun request sent → run's end received, per move

    @property
    def held(self) -> bool:
        return not self.problems and not self.wrong and self.open_s is not None


async def _stuck(page, res: SessionResult) -> str:
    """What a page shows when something went wrong, and a screenshot in build/load/."""
    try:
        seen = await page.evaluate(STUCK)
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / f"session-c1-{res.c1}.png"))
        return ", ".join(f"{k}={v!r}" for k, v in seen.items() if v) + f", websockets opened={res.sockets}"
    except Exception as err:  # noqa: BLE001 - the page may be gone
        return f"unreadable ({type(err).__name__})"


async def _knobs_agree(page, res: SessionResult, when: str) -> None:
    """Every knob drawn shows the design's value: a knob showing another value is sent back
    as a change with the next move, whichever knob the user touches."""
    shown = await page.evaluate(KNOBS_SHOWN)
    off = {k: v for k, v in shown.items() if v is not None and v != D2L_KNOBS[k]}
    if off:
        res.wrong.append(f"c1={res.c1} {when}: the sidebar shows {off}, the design has {({k: D2L_KNOBS[k] for k in off})}")


async def _session(browser, url: str, plan: Plan, expected: dict[int, str], think, gate: _Gate, deadline: float, delay: float, light: bool) -> SessionResult:
    res = SessionResult(plan.c1)
    rng = random.Random(plan.c1)
    await asyncio.sleep(delay)
    context = await browser.new_context(viewport=VIEWPORT)
    held = []
    if light:
        await context.route(HEAVY, lambda route: held.append(route))  # never answered: not drawn
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    def on_error(err) -> None:
        res.problems.append(f"JavaScript: {err}")

    page.on("pageerror", on_error)
    page.on("websocket", lambda ws: setattr(res, "sockets", res.sockets + ("_stcore/stream" in ws.url)))
    wire = _Wire()
    cdp = await context.new_cdp_session(page)
    cdp.on("Network.webSocketFrameSent", wire.sent)
    cdp.on("Network.webSocketFrameReceived", wire.received)
    await cdp.send("Network.enable")
    arrived = False
    step = "opening the link"
    try:
        t0 = time.perf_counter()
        await page.goto(f"{url}/?preset=d2l&inception3a.c1={plan.c1}")
        await page.wait_for_function(READY, polling=100)
        await page.locator(f".st-key-{COUNT_KEY} input").wait_for(state="attached")
        res.open_s = time.perf_counter() - t0
        await _knobs_agree(page, res, "after loading")
        step = "choosing exact units"
        await page.locator(".st-key-main_units").get_by_role("radio", name="exact", exact=True).click()
        await page.locator("[data-testid=stMetricValue]", has_text=expected[5]).first.wait_for()
        arrived = True
        gate.arrive()
        await gate.wait()
        await _knobs_agree(page, res, "before the first move")
        knob = page.locator(f".st-key-{COUNT_KEY} input")
        for key, count in zip(plan.keys, plan.counts):
            if res.wrong:
                break
            if time.monotonic() > deadline:
                res.problems.append(f"stopped by the time bound after {res.done} moves")
                break
            await asyncio.sleep(rng.uniform(*think))
            step = f"move {res.done + 1} ({key} to {STAGE}={count})"
            await knob.focus()
            await page.evaluate(ARM)
            requests = len(wire.requests)
            await knob.press(key)
            done = await (await page.wait_for_function(DONE, polling=100)).json_value()
            trip = await wire.round_trip(requests)
            seconds, params = done["seconds"], done["params"]
            if params != expected[count]:
                # the totals may follow the end of the run by a frame; anything else is wrong
                try:
                    await page.locator("[data-testid=stMetricValue]", has_text=expected[count]).first.wait_for(timeout=10_000)
                    seconds = await page.evaluate("() => (performance.now() - window.__load.t0) / 1000")
                except Exception:  # noqa: BLE001 - reported as a wrong total
                    res.wrong.append(f"c1={plan.c1}, {STAGE}={count}: shows {params!r}, not {expected[count]!r}; {await _stuck(page, res)}")
                    break
            res.times.append(seconds)
            if trip is not None:
                res.wire.append(trip)
            res.done += 1
        if res.done:
            q = {k: v[-1] for k, v in parse_qs(urlsplit(page.url).query).items()}
            mine = link(plan.c1, plan.counts[res.done - 1])
            if q != mine:
                res.wrong.append(f"c1={plan.c1}: the link is {q}, not {mine}")
        for what, selector in (("exception", EXCEPTION), ("error", ERROR_ALERT)):
            for text in await page.locator(selector).all_inner_texts():
                res.problems.append(f"{what}: {text.strip()[:300]}")
    except Exception as err:  # noqa: BLE001 - one session's failure is a figure, not the end of the run
        first = str(err).splitlines()[0] if str(err) else ""
        res.problems.append(f"{step}: {type(err).__name__}: {first}; {await _stuck(page, res)}")
    finally:
        if not arrived:
            gate.arrive()  # the others go on without this one
        if held:
            # the held requests are answered only now, when nothing is checked any more
            page.remove_listener("pageerror", on_error)
            for route in held:
                await route.abort()
        await context.close()
    return res


def _lower_priority(niceness: int, spare: int | None) -> None:
    """Our browsers' page renderers yield the CPU to the server, as browsers on the students'
    own computers would; renderers started later inherit it from Chromium's zygote. The
    browser's own processes (its network service times the websocket frames) are left as
    they are, and so is ``spare`` (the server, when we started it too)."""
    keep = {spare, *descendants(spare)} if spare else set()
    for pid in descendants(os.getpid()):
        if pid in keep:
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
            if b"--type=renderer" in args or b"--type=zygote" in args:
                os.setpriority(os.PRIO_PROCESS, pid, niceness)
        except OSError:
            pass


async def _sessions(url: str, todo: list[Plan], expected: dict, think, time_budget: float, stagger: float, light: bool, niceness: int, spare: int | None, on_open) -> list[SessionResult]:
    from playwright.async_api import async_playwright

    deadline = time.monotonic() + time_budget
    async with async_playwright() as p:
        browser = await launch(p)
        try:
            if niceness:
                _lower_priority(niceness, spare)
            gate = _Gate(len(todo), on_open)
            runs = (_session(browser, url, plan, expected[plan.c1], think, gate, deadline, i * stagger, light) for i, plan in enumerate(todo))
            return list(await asyncio.gather(*runs))
        finally:
            await browser.close()


def sessions(url: str, todo: list[Plan], think=THINK_S, time_budget: float = 600.0, stagger: float = STAGGER_S, light: bool = True,
             niceness: int = 10, spare: int | None = None, on_open=None) -> list[SessionResult]:
    """Run the sessions at once; each waits for all to have loaded before its first move, and
    ``on_open()`` is called then. Our browsers run at ``niceness``, sparing the process
    ``spare`` (the server, if we started it). In a thread of its own, so that it also runs beside a
    synchronous Playwright."""
    expected = {plan.c1: {n: expected_params(plan.c1, n, "exact") for n in (5, *plan.counts)} for plan in todo}
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _sessions(url, todo, expected, think, time_budget, stagger, light, niceness, spare, on_open)).result()


# --- the figures ------------------------------------------------------------------------------------


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process has used, with its finished children's (the
    server's ``dot`` runs)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _machine() -> tuple[float, float]:
    """The machine's busy and total CPU seconds since boot (all cores)."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK"), sum(ticks) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Usage:
    """A phase's wall time, the server's CPU time in it, and how busy the whole machine was."""

    wall_s: float
    server_s: float
    machine_busy_s: float
    machine_s: float

    @staticmethod
    def mark(pid: int) -> tuple[float, float, float, float]:
        return (time.monotonic(), _cpu_s(pid), *_machine())

    @classmethod
    def since(cls, pid: int, mark: tuple[float, float, float, float]) -> Usage:
        t, server, busy, total = mark
        now_busy, now_total = _machine()
        return cls(time.monotonic() - t, _cpu_s(pid) - server, now_busy - busy, now_total - total)

    def text(self) -> str:
        busy = self.machine_busy_s / self.machine_s if self.machine_s else 0.0
        return (f"{self.wall_s:.0f} s, the server used {self.server_s:.0f} CPU s ({self.server_s / max(self.wall_s, 1e-9):.0%} of a core); "
                f"the machine was {busy:.0%} busy on {os.cpu_count()} cores")


def _median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def _p90(xs: list[float]) -> float | None:
    return statistics.quantiles(xs, n=10, method="inclusive")[-1] if len(xs) >= 2 else (xs[0] if xs else None)


@dataclass
class Crowd:
    """One session alone, then ``sessions`` at once: what both load drivers measure."""

    sessions: int
    moves: int
    single: list  # the lone session's result
    crowd: list  # every crowd session's result
    rss_start: int
    rss_end: int
    rss_peak: int
    single_usage: Usage
    crowd_usage: Usage

    @property
    def single_times(self) -> list[float]:
        return [t for r in self.single for t in r.times]

    @property
    def crowd_times(self) -> list[float]:
        return [t for r in self.crowd for t in r.times]

    @property
    def single_median(self) -> float | None:
        return _median(self.single_times)

    @property
    def crowd_median(self) -> float | None:
        return _median(self.crowd_times)

    @property
    def ratio(self) -> float | None:
        s, c = self.single_median, self.crowd_median
        return c / s if s and c is not None else None

    @property
    def held(self) -> int:
        return sum(r.held for r in self.crowd)

    @property
    def wrong(self) -> list[str]:
        return [w for r in self.single + self.crowd for w in r.wrong]

    @property
    def problems(self) -> list[str]:
        return [f"c1={r.c1}: {p}" for r in self.single + self.crowd for p in r.problems]

    @staticmethod
    def cpu_per_response(usage: Usage, times: list[float]) -> float | None:
        """The server's CPU seconds per timed response in a phase."""
        return usage.server_s / len(times) if times else None

    @classmethod
    def per_response(cls, usage: Usage, times: list[float]) -> str:
        cpu = cls.cpu_per_response(usage, times)
        return "–" if cpu is None else f"{cpu:.3f} s"

    def lines(self) -> list[str]:
        return [f"{k}: {v}" for k, v in self.rows()]  # rows(): each driver's own report

    def print_report(self) -> int:
        """Print the figures and every wrong design or problem; 0 when every session held."""
        for line in self.lines() + ["  " + x for x in self.wrong + self.problems]:
            print(line)
        return 0 if self.held == self.sessions and not self.wrong and not self.problems else 1


@dataclass
class Figures(Crowd):
    light: bool
    niceness: int
    rss_single: int

    @property
    def single_wire(self) -> list[float]:
        return [t for r in self.single for t in r.wire]

    @property
    def crowd_wire(self) -> list[float]:
        return [t for r in self.crowd for t in r.wire]

    @property
    def wire_ratio(self) -> float | None:
        s, c = _median(self.single_wire), _median(self.crowd_wire)
        return c / s if s and c is not None else None

    @property
    def reconnects(self) -> int:
        return sum(max(0, r.sockets - 1) for r in self.single + self.crowd)

    def rows(self) -> list[tuple[str, str]]:
        def s(x: float | None) -> str:
            return "–" if x is None else f"{x:.2f} s"

        def mb(b: int) -> str:
            return f"{b / 1e6:,.0f} MB"

        opened = [r.open_s for r in self.crowd if r.open_s is not None]
        return [
            ("sessions held", f"{self.held} of {self.sessions}, {self.moves} moves each ({len(self.crowd_times)} timed responses)"
             + ("" if self.light else "; clients draw everything") + (f"; page renderers at nice {self.niceness}" if self.niceness else "")),
            ("response, one session alone", f"median {s(self.single_median)}, p90 {s(_p90(self.single_times))}"),
            (f"response, {self.sessions} at once", f"median {s(self.crowd_median)}, p90 {s(_p90(self.crowd_times))}, max {s(max(self.crowd_times, default=None))}"),
            ("ratio of the medians", "–" if self.ratio is None else f"{self.ratio:.2f}×"),
            ("server's share (request sent → run's end received)",
             f"alone median {s(_median(self.single_wire))}; {self.sessions} at once median {s(_median(self.crowd_wire))}, "
             f"p90 {s(_p90(self.crowd_wire))}; ratio {'–' if self.wire_ratio is None else f'{self.wire_ratio:.2f}×'}"),
            ("page open", f"alone {s(_median([r.open_s for r in self.single if r.open_s is not None]))}; "
                          f"{self.sessions} at once: median {s(_median(opened))}, max {s(max(opened, default=None))}"),
            ("server memory (VmRSS)", f"start {mb(self.rss_start)}, after one session {mb(self.rss_single)}, end {mb(self.rss_end)}; peak (VmHWM) {mb(self.rss_peak)}"),
            ("CPU while moving, one session alone", self.single_usage.text()),
            (f"CPU while moving, {self.sessions} at once", self.crowd_usage.text()),
            ("server CPU per response", f"alone {self.per_response(self.single_usage, self.single_times)}; "
                                        f"{self.sessions} at once {self.per_response(self.crowd_usage, self.crowd_times)}"),
            ("wrong totals, knobs or links", str(len(self.wrong))),
            ("problems (errors, timeouts)", f"{len(self.problems)}; websocket reconnects: {self.reconnects}"),
        ]

def measure(url: str, pid: int, n: int = 20, moves: int = 10, think=THINK_S, time_budget: float = 900.0, light: bool = True, niceness: int = 10) -> Figures:
    """One session alone, then ``n`` at once, against the server at ``url`` (process ``pid``).
    CPU is counted from the first move on (page loads left out)."""
    t0 = time.monotonic()
    rss_start = vm(pid)
    marks = []
    single = sessions(url, plans(1, moves, SINGLE_C1), think, time_budget, light=light, niceness=niceness, spare=pid, on_open=lambda: marks.append(Usage.mark(pid)))
    single_usage = Usage.since(pid, marks[-1])
    rss_single = vm(pid)
    left = max(60.0, time_budget - (time.monotonic() - t0))
    crowd = sessions(url, plans(n, moves, SINGLE_C1 + 1), think, left, light=light, niceness=niceness, spare=pid, on_open=lambda: marks.append(Usage.mark(pid)))
    crowd_usage = Usage.since(pid, marks[-1])
    return Figures(n, moves, single, crowd, rss_start, vm(pid), vm(pid, "VmHWM"), single_usage, crowd_usage, light, niceness, rss_single)


# --- the bench section and the command ---------------------------------------------------------------


def crowd_arguments(p: argparse.ArgumentParser, argv: list[str] | None, most_sessions: int, time_budget: float) -> argparse.Namespace:
    """Add the options both load drivers take to ``p``, parse ``argv`` and check them."""
    p.add_argument("--sessions", type=int, default=20, help=f"sessions at once, 1 to {most_sessions} (default 20)")
    p.add_argument("--moves", type=int, default=10, help="slider moves per session, 1 to 10 (default 10)")
    p.add_argument("--think", type=float, nargs=2, default=THINK_S, metavar=("MIN", "MAX"), help="pause between moves, seconds (default 0.5 1.5)")
    p.add_argument("--time-budget", type=float, default=time_budget, help=f"no move starts after this many seconds (default {time_budget:g})")
    args = p.parse_args(argv)
    if not 1 <= args.sessions <= most_sessions:
        p.error(f"--sessions must be from 1 to {most_sessions}")
    try:
        moves_of(args.moves)
    except ValueError as err:
        p.error(str(err))
    return args


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=" ".join(__doc__.split("\n\n")[0].split()))
    p.add_argument("--draw-everything", action="store_true", help="the browsers draw the charts and data grids too")
    p.add_argument("--nice", type=int, default=10, help="niceness of the browsers' page renderers, 0 to leave them level with the server (default 10)")
    args = crowd_arguments(p, argv, most_sessions=64, time_budget=900.0)
    if not 0 <= args.nice <= 19:
        p.error("--nice must be from 0 to 19")

    from .server import Server

    with Server() as srv:
        print(f"[load] {srv.url}, pid {srv.pid}: one session, then {args.sessions} at once, {args.moves} moves each", file=sys.stderr, flush=True)
        f = measure(srv.url, srv.pid, args.sessions, args.moves, tuple(args.think), args.time_budget, light=not args.draw_everything, niceness=args.nice)
    return f.print_report()


if __name__ == "__main__":
    sys.exit(main())
