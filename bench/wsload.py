"""Section 8: a class at once — many sessions on one server, each moving a slider on a design
of its own, driven by websocket clients instead of browsers.
``python -m bench.wsload [--sessions 20] [--moves 10]`` runs it alone.

Each client speaks the protocol the page's JavaScript speaks: Streamlit's protobuf messages
over ``/_stcore/stream`` (a ``BackMsg`` asking for a rerun with the link's query string and
the widget that moved; ``ForwardMsg`` deltas back, then the end of the run). So a session
costs the server what a browser's costs, while the clients cost the machine almost nothing:
on a two-core machine, twenty local Chromiums (``bench.load``) take most of the CPU the
server would answer with, and measure the clients more than the server.

Every session opens the link with its own inception3a c1 and, once all have arrived, moves
the b4 block-count slider through the same ten new designs as ``bench.load``, pausing like a
person between moves. After each move it checks that the link the server wrote for it and
the Params card it sent are its own design's. A response runs from the rerun request sent
to the end of the run received. First one session alone, then all of them together; the
server's CPU time and resident memory come from /proc.

Like the page, a client first loads the page (keeping the cookies it is given: behind nginx
the route cookie that pins it to a replica) and then opens the websocket with them. With
``reconnect`` a dropped websocket is what the page survives too: a new websocket to the same
address, a rerun with the session's link, which must bring back the session's own design,
and then the move again (``bench.serve`` and ``tests/test_serve.py`` kill a replica).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from tests.browser.driver import DIRECT, vm

from .load import COUNT_KEY, SINGLE_C1, STAGE, STAGGER_S, THINK_S, Crowd, Plan, Usage, _Gate, _median, _p90, crowd_arguments, expected_params, link, plans

TITLE = "8. Many sessions at once"
TIMEOUT_S = 120.0
TARGET_RATIO = 3.0
RECONNECTS = 5  # dropped websockets in one rerun before the session gives up
RECONNECT_WAIT_S = (0.1, 2.0)  # the first pause before a new websocket, and the longest
RECONNECT_BOUND_S = 60.0  # no new websocket after this long: the session has failed


@dataclass
class Run:
    """What one rerun sent back."""

    seconds: float
    query: dict[str, str] | None = None  # the link, when the run changed it
    params: str | None = None  # the Params card
    sliders: dict[str, str] = field(default_factory=dict)  # widget key → widget id
    errors: list[str] = field(default_factory=list)  # exception and error elements
    downloads: list[str] = field(default_factory=list)  # the download buttons' URLs (/media/…)


class Client:
    """One Streamlit session over one websocket, opened after the page as a browser opens it."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self.ws_url = self.url.replace("http://", "ws://", 1) + "/_stcore/stream"
        self.ws = None
        self.page = ""
        self.cookies: dict[str, str] = {}

    async def __aenter__(self) -> Client:
        await self.connect()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()

    def _load_page(self) -> None:
        with DIRECT.open(self.url + "/", timeout=TIMEOUT_S) as r:
            r.read()
            for header in r.headers.get_all("Set-Cookie") or []:
                name, _, value = header.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value.strip()

    async def connect(self) -> None:
        import websockets

        if not self.cookies:
            await asyncio.to_thread(self._load_page)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else None
        # proxy=None: the server is local, and websockets would otherwise follow HTTP(S)_PROXY
        self.ws = await websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=TIMEOUT_S,
                                           proxy=None, additional_headers=headers)

    async def reconnect(self, deadline: float) -> None:
        """A new websocket with the same cookies, retried with growing pauses (as the page
        retries) until ``deadline``."""
        if self.ws is not None:
            await self.ws.close()
        pause = RECONNECT_WAIT_S[0]
        while True:
            await asyncio.sleep(pause)
            try:
                await self.connect()
                return
            except (OSError, asyncio.TimeoutError, *_dropped()) as err:
                if time.monotonic() + pause > deadline:
                    raise RuntimeError(f"no new websocket before the time bound: {type(err).__name__}: {err}") from err
                pause = min(2 * pause, RECONNECT_WAIT_S[1])

    async def rerun(self, query: dict[str, str], widget: tuple[str, float] | None = None) -> Run:
        """Ask for a rerun, as the page does after a widget changes, and read until it ends."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        msg.rerun_script.query_string = urlencode(query)
        msg.rerun_script.page_script_hash = self.page
        if widget is not None:
            state = msg.rerun_script.widget_states.widgets.add()
            state.id = widget[0]
            state.double_array_value.data.append(widget[1])
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        run = Run(0.0)
        while True:
            fwd = ForwardMsg.FromString(await asyncio.wait_for(self.ws.recv(), TIMEOUT_S))
            kind = fwd.WhichOneof("type")
            if kind == "new_session":
                self.page = fwd.new_session.page_script_hash  # sent back with every rerun, as the page does
            elif kind == "page_info_changed":
                run.query = dict(parse_qsl(fwd.page_info_changed.query_string))
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                el = fwd.delta.new_element
                what = el.WhichOneof("type")
                if what == "slider":
                    run.sliders[el.slider.id.rsplit("-", 1)[-1]] = el.slider.id
                elif what == "metric" and el.metric.label == "Params":
                    run.params = el.metric.body
                elif what == "download_button" and el.download_button.url:
                    run.downloads.append(el.download_button.url)
                elif what == "exception":
                    run.errors.append(f"exception: {el.exception.type}: {el.exception.message[:200]}")
                elif what == "alert" and el.alert.format == el.alert.ERROR:
                    run.errors.append(f"error: {el.alert.body[:200]}")
            elif kind == "script_finished":
                run.seconds = time.perf_counter() - t0
                if fwd.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                    run.errors.append(f"the run ended with {ForwardMsg.ScriptFinishedStatus.Name(fwd.script_finished)}")
                return run


def _dropped() -> tuple[type[BaseException], ...]:
    """What a websocket that went away raises (the server died, or nginx had no replica)."""
    from websockets.exceptions import ConnectionClosed, InvalidHandshake

    return ConnectionClosed, InvalidHandshake


@dataclass
class SessionResult:
    c1: int
    open_s: float | None = None  # the link's first run
    times: list[float] = field(default_factory=list)  # rerun request sent → run's end received
    wrong: list[str] = field(default_factory=list)  # links or totals that were not this session's
    problems: list[str] = field(default_factory=list)  # errors, timeouts, dropped connections
    done: int = 0
    restored: list[float] = field(default_factory=list)  # per dropped websocket: the drop → its design back

    @property
    def held(self) -> bool:
        return not self.problems and not self.wrong and self.open_s is not None


async def _rerun(client: Client, query: dict[str, str], widget, res: SessionResult, design: str, reconnect: bool) -> Run:
    """``client.rerun(query, widget)``. With ``reconnect``, a dropped websocket is replaced as the
    page replaces it, and the rerun of the link on it must show the session's own ``design`` (its
    Params) before the rerun is asked again."""
    drops = 0
    while True:
        try:
            return await client.rerun(query, widget)
        except _dropped() + (OSError,):
            drops += 1
            if not reconnect or drops > RECONNECTS:
                raise
        t0 = time.perf_counter()
        while True:
            await client.reconnect(time.monotonic() + RECONNECT_BOUND_S)
            try:
                back = await client.rerun(query)
                break
            except _dropped() + (OSError,):
                drops += 1
                if drops > RECONNECTS:
                    raise
        res.restored.append(time.perf_counter() - t0)
        res.problems += [f"after a new websocket: {e}" for e in back.errors]
        if back.params != design or back.query not in (None, query):
            res.wrong.append(f"c1={res.c1}: after a new websocket the link {query} showed Params {back.params!r} "
                             f"and the link {back.query or query}, not {design!r}")
        if widget is not None and COUNT_KEY in back.sliders:
            widget = (back.sliders[COUNT_KEY], widget[1])


async def _session(url: str, plan: Plan, expected: dict[int, str], think, gate: _Gate, deadline: float, delay: float, reconnect: bool) -> SessionResult:
    res = SessionResult(plan.c1)
    rng = random.Random(plan.c1)
    await asyncio.sleep(delay)
    arrived = False
    step = "opening the link"
    try:
        async with Client(url) as client:
            query = link(plan.c1)
            first = await client.rerun(query)
            res.open_s = first.seconds
            res.problems += first.errors
            if first.params != expected[5]:
                res.wrong.append(f"c1={plan.c1}: opened with Params {first.params!r}, not {expected[5]!r}")
            slider = first.sliders.get(COUNT_KEY)
            if slider is None:
                raise RuntimeError(f"no {COUNT_KEY} slider in the first run")
            arrived = True
            gate.arrive()
            await gate.wait()
            now = 5  # the session's b4 count
            for count in plan.counts:
                if res.wrong or res.problems:
                    break
                if time.monotonic() > deadline:
                    res.problems.append(f"stopped by the time bound after {res.done} moves")
                    break
                await asyncio.sleep(rng.uniform(*think))
                step = f"move {res.done + 1} ({STAGE}={count})"
                run = await _rerun(client, query, (slider, float(count)), res, expected[now], reconnect)
                slider = run.sliders.get(COUNT_KEY, slider)
                res.problems += [f"{step}: {e}" for e in run.errors]
                mine = link(plan.c1, count)
                if run.query != mine:
                    res.wrong.append(f"c1={plan.c1}, {step}: the link is {run.query}, not {mine}")
                if run.params != expected[count]:
                    res.wrong.append(f"c1={plan.c1}, {step}: Params {run.params!r}, not {expected[count]!r}")
                query = run.query or query
                now = count
                res.times.append(run.seconds)
                res.done += 1
    except Exception as err:  # noqa: BLE001 - one session's failure is a figure, not the end of the run
        res.problems.append(f"{step}: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
    finally:
        if not arrived:
            gate.arrive()  # the others go on without this one
    return res


async def _sessions(url: str, todo: list[Plan], think, time_budget: float, stagger: float, on_open, reconnect: bool) -> list[SessionResult]:
    by_c1 = {p.c1: {count: expected_params(p.c1, count, "auto") for count in (5, *p.counts)} for p in todo}
    gate = _Gate(len(todo), on_open)
    deadline = time.monotonic() + time_budget
    return list(await asyncio.gather(*(
        _session(url, p, by_c1[p.c1], think, gate, deadline, i * stagger, reconnect) for i, p in enumerate(todo)
    )))


def sessions(url: str, todo: list[Plan], think=THINK_S, time_budget: float = 600.0, stagger: float = STAGGER_S, on_open=None,
             reconnect: bool = False) -> list[SessionResult]:
    """Run ``todo`` at once against the app at ``url``; ``on_open()`` when all have arrived.
    With ``reconnect``, a dropped websocket is replaced as the page does (otherwise it ends
    the session as a problem)."""
    # a thread of its own: the caller may be inside a running event loop (Playwright's sync API)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _sessions(url, todo, think, time_budget, stagger, on_open, reconnect)).result()


# --- the figures ------------------------------------------------------------------------------------


@dataclass
class Figures(Crowd):
    @property
    def restored(self) -> list[float]:
        """Per websocket replaced after a drop: seconds from the drop to the design back."""
        return [t for r in self.single + self.crowd for t in r.restored]

    def rows(self) -> list[tuple[str, str]]:
        def s(x: float | None) -> str:
            return "–" if x is None else f"{x:.3f} s"

        opened = [r.open_s for r in self.crowd if r.open_s is not None]
        return [
            ("sessions held", f"{self.held} of {self.sessions}, {self.moves} moves each ({len(self.crowd_times)} timed responses)"),
            ("response, one session alone", f"median {s(_median(self.single_times))}, p90 {s(_p90(self.single_times))}"),
            (f"response, {self.sessions} at once", f"median {s(_median(self.crowd_times))}, p90 {s(_p90(self.crowd_times))}, "
                                                   f"max {s(max(self.crowd_times, default=None))}"),
            ("ratio of the medians", "–" if self.ratio is None else f"{self.ratio:.2f}×"),
            ("first run of the link", f"alone {s(_median([r.open_s for r in self.single if r.open_s is not None]))}; "
                                      f"{self.sessions} arriving {STAGGER_S:g} s apart: median {s(_median(opened))}, max {s(max(opened, default=None))}"),
            ("server memory (VmRSS)", f"start {self.rss_start / 1e6:,.0f} MB, end {self.rss_end / 1e6:,.0f} MB; peak (VmHWM) {self.rss_peak / 1e6:,.0f} MB"),
            ("CPU while moving, one session alone", self.single_usage.text()),
            (f"CPU while moving, {self.sessions} at once", self.crowd_usage.text()),
            ("server CPU per response", f"alone {self.per_response(self.single_usage, self.single_times)}; "
                                        f"{self.sessions} at once {self.per_response(self.crowd_usage, self.crowd_times)}"),
            ("wrong links or totals", str(len(self.wrong))),
            ("problems (errors, timeouts)", str(len(self.problems))),
        ] + ([("websockets replaced after a drop", f"{len(self.restored)}, each session's design back after median {s(_median(self.restored))}, "
                                                    f"max {s(max(self.restored))}")] if self.restored else [])


def measure(url: str, pid: int, n: int = 20, moves: int = 10, think=THINK_S, time_budget: float = 600.0) -> Figures:
    """One session alone, then ``n`` at once, against the server at ``url`` (process ``pid``).
    CPU is counted from the first move on (the links' first runs left out)."""
    marks = []
    rss_start = vm(pid)
    single = sessions(url, plans(1, moves, SINGLE_C1), think, time_budget, on_open=lambda: marks.append(Usage.mark(pid)))
    single_usage = Usage.since(pid, marks[-1])
    crowd = sessions(url, plans(n, moves, SINGLE_C1 + 1), think, time_budget, on_open=lambda: marks.append(Usage.mark(pid)))
    crowd_usage = Usage.since(pid, marks[-1])
    return Figures(n, moves, single, crowd, rss_start, vm(pid), vm(pid, "VmHWM"), single_usage, crowd_usage)


# --- the bench section and the command ---------------------------------------------------------------


def run(quick: bool = False):
    """The section for ``python -m bench``."""
    from .report import Section, table
    from .server import Server

    n, moves = (6, 3) if quick else (20, 10)
    s = Section(TITLE, " ".join(__doc__.split("\n\n", 1)[1].split()))
    with Server() as srv:
        f = measure(srv.url, srv.pid, n, moves)
    ratio = f.ratio
    mark = s.check(f"median response, {n} sessions at once", f"≤ {TARGET_RATIO:g}× one session's", "–" if ratio is None else f"{ratio:.2f}×",
                   None if ratio is None else ratio <= TARGET_RATIO, f"websocket clients, a pause of {THINK_S[0]:g}–{THINK_S[1]:g} s between moves")
    s.check(f"sessions held, {n} at once", "all, each seeing only its own design", f"{f.held} of {n}", f.held == n and not f.wrong)
    s.check(f"server memory with {n} sessions", "< 1.5 GB resident", f"{f.rss_peak / 1e6:,.0f} MB peak", f.rss_peak < 1.5e9)
    s.add(table(["figure", "value"], [list(r) for r in f.rows()]))
    s.add(f"Median response with {n} sessions at once: {mark}. With browsers as the clients: `python -m bench.load`.")
    for line in (f.wrong + f.problems)[:20]:
        s.add(f"- {line}")
    return s


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.wsload", description=" ".join(__doc__.split("\n\n")[0].split()))
    args = crowd_arguments(p, argv, most_sessions=256, time_budget=600.0)

    from .server import Server

    with Server() as srv:
        print(f"[wsload] {srv.url}, pid {srv.pid}: one session, then {args.sessions} at once, {args.moves} moves each", file=sys.stderr, flush=True)
        f = measure(srv.url, srv.pid, args.sessions, args.moves, tuple(args.think), args.time_budget)
    return f.print_report()


if __name__ == "__main__":
    sys.exit(main())
