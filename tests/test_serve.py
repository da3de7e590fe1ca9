"""The classroom set for real (``make serve``): supervisord, nginx and two Streamlit replicas
started from the rendered templates on free ports. The app works in Chromium through nginx
under its security headers without one policy violation, and a measurement waits, shown, for
another tab's; a route cookie pins a session to one replica, and its downloads are found
whichever replica the cookie points to; and a class of websocket sessions, each moving a
slider on its own design, survives ``kill -9`` of the replica most of them are on: supervisord
restarts it, every session that was on it gets a new websocket through nginx to a live replica
and its own design back from its link, and no session ever sees another's design. At the end
everything is stopped by supervisord's pid and no child may outlive it."""

from __future__ import annotations

import asyncio
import functools
import re
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest

from bench import wsload
from bench.load import COUNT_KEY, expected_params, plans
from deploy.stack import DIRECT, Stack, established, healthy
from tests.browser.driver import BUILD, VIEWPORT, App, chromium

pytestmark = [pytest.mark.load, pytest.mark.serve]

REPLICAS = 2
CLASS = 20
MOVES = 5
KILL_AFTER_S = 2.0  # after every session has opened its link: mid-run (the moves take ~10 s)
TIME_BUDGET_S = 120
SETTLE_S = 30.0

# every policy violation in any frame of the page, kept on the window
WATCH_CSP = """document.addEventListener('securitypolicyviolation', (e) => {
  (window.top.__csp = window.top.__csp || []).push(`${e.violatedDirective} ${e.blockedURI} ${location.href.slice(0, 40)}`);
});"""


def off_the_loop(test):
    """Runs a test in a thread of its own. The browser tests' session-wide Playwright keeps an
    event loop running on the main thread once they have run, and neither ``asyncio.run`` nor a
    second sync Playwright may start inside a running loop; a fresh thread has none."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        box: dict = {}

        def target() -> None:
            try:
                test(*args, **kwargs)
            except BaseException as err:  # noqa: BLE001 - re-raised on the test's own thread
                box["error"] = err

        t = threading.Thread(target=target, name=test.__name__)
        t.start()
        t.join()
        if "error" in box:
            raise box["error"]

    return run


@pytest.fixture(scope="module")
def stack(request):
    s = Stack(REPLICAS)
    s.start()
    ports = [s.settings.port, *s.settings.replica_ports]
    failed_before = request.session.testsfailed
    try:
        yield s
    finally:
        s.stop(keep=request.session.testsfailed > failed_before)  # the logs stay when a test failed
    assert s.survivors == [], f"still alive after supervisord stopped: {s.survivors}"
    assert not any(healthy(f"http://127.0.0.1:{p}", timeout=1) for p in ports)


def wait_until(cond, what: str, timeout: float = SETTLE_S, pause=lambda: time.sleep(0.05)):
    """``cond()`` once it is true; ``pause`` between tries (a page's own wait lets Playwright
    take in the browser's events)."""
    deadline = time.monotonic() + timeout
    while not (value := cond()):
        if time.monotonic() > deadline:
            raise AssertionError(f"waited in vain for {what}")
        pause()
    return value


def replica_holding(stack: Stack, before: dict[str, int]) -> str:
    """The one replica whose open connections grew since ``before``."""
    def grown():
        now = {n: stack.sessions(n) for n in stack.names}
        up = [n for n in stack.names if now[n] > before[n]]
        return up[0] if len(up) == 1 else None

    return wait_until(grown, "one replica holding the new websocket")


def test_headers_and_health_through_nginx(stack):
    with DIRECT.open(stack.url + "/", timeout=10) as r:
        headers = r.headers
        assert r.status == 200 and b"<title>Streamlit</title>" in r.read()
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'self'" in headers["Content-Security-Policy"]
    [route] = [c for c in headers.get_all("Set-Cookie") if c.startswith("studio_route=")]
    assert re.fullmatch(r"studio_route=[0-9a-f]{32}; Path=/; HttpOnly; SameSite=Lax", route)
    assert healthy(stack.url) and all(healthy(stack.replica_url(n)) for n in stack.names)


@off_the_loop
def test_a_route_cookie_pins_a_session_to_one_replica(stack):
    async def replica_of(cookies: dict[str, str]) -> str:
        client = wsload.Client(stack.url)
        client.cookies = dict(cookies)
        before = {n: stack.sessions(n) for n in stack.names}
        await client.connect()
        try:
            return await asyncio.to_thread(replica_holding, stack, before)
        finally:
            await client.ws.close()
            await asyncio.to_thread(wait_until, lambda: {n: stack.sessions(n) for n in stack.names} == before, "the websocket closed")

    async def main() -> dict[str, set[str]]:
        seen = {}
        for i in range(12):  # all twelve on one replica by chance: 1 in 2,048
            route = f"{i:032x}"
            seen[route] = {await replica_of({"studio_route": route}) for _ in range(2)}
        return seen

    seen = asyncio.run(main())
    assert all(len(replicas) == 1 for replicas in seen.values()), seen  # each cookie: always the same replica
    assert set().union(*seen.values()) == set(stack.names), seen  # and the cookies spread over both


@off_the_loop
def test_a_download_is_found_whichever_replica_the_route_cookie_points_to(stack):
    """After a failover a session's websocket stays on the replica it moved to while its cookie
    points back to the first one: its downloads, kept in the memory of the replica that made
    them, must still be found."""

    def fetch(url: str, route: str | None = None) -> tuple[int, bytes]:
        req = urllib.request.Request(url, headers={"Cookie": f"studio_route={route}"} if route else {})
        try:
            with DIRECT.open(req, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as err:
            return err.code, b""

    async def main() -> dict[str, tuple]:
        routes: dict[str, tuple[str, wsload.Client]] = {}  # replica → a route cookie to it and a session on it
        try:
            for i in range(64):
                if len(routes) == len(stack.names):
                    break
                client = wsload.Client(stack.url)
                client.cookies = {"studio_route": f"{i:032x}"}
                before = {n: stack.sessions(n) for n in stack.names}
                await client.connect()
                name = await asyncio.to_thread(replica_holding, stack, before)
                if name in routes:
                    await client.ws.close()
                    await asyncio.to_thread(wait_until, lambda: {n: stack.sessions(n) for n in stack.names} == before, "the websocket closed")
                else:
                    routes[name] = (client.cookies["studio_route"], client)
            (a, (route_a, client)), (b, (route_b, _)) = sorted(routes.items())
            run = await client.rerun({"preset": "d2l", "inception3a.c1": "41"})
            assert run.errors == [] and run.downloads, run
            # fetched while the session is open: its files live as long as it does
            return {path: (await asyncio.to_thread(fetch, stack.url + path, route_a),
                           await asyncio.to_thread(fetch, stack.url + path, route_b),
                           await asyncio.to_thread(fetch, stack.replica_url(b) + path)) for path in run.downloads}
        finally:
            for _, c in routes.values():
                await c.ws.close()

    fetched = asyncio.run(main())
    assert len(fetched) >= 2  # the main page's exports made at once: the layer table and the config (the diagram files are made when clicked)
    for path, (own, routed_elsewhere, elsewhere) in fetched.items():
        seen = f"{path}: own route {own[0]}, the other route {routed_elsewhere[0]}, the other replica {elsewhere[0]}; {stack.logs()}"
        assert own[0] == 200 and own[1], seen
        assert elsewhere[0] == 404, seen  # the other replica does not have it ...
        assert routed_elsewhere == own, seen  # ... so nginx asked on, and found the same file


@pytest.mark.browser
@off_the_loop
def test_the_app_works_in_a_browser_through_nginx_and_survives_its_replica_crashing(stack):
    with chromium() as browser:
        context = browser.new_context(viewport=VIEWPORT)
        context.add_init_script(WATCH_CSP)
        page = context.new_page()
        sockets = []
        page.on("websocket", lambda ws: sockets.append(ws.url) if ws.url.endswith("/_stcore/stream") else None)
        app = App(page, stack.url)
        before = {n: stack.sessions(n) for n in stack.names}
        app.open("?preset=d2l&inception3a.c1=40")
        held = replica_holding(stack, before)
        app.press(COUNT_KEY)  # b4: 5 → 6
        design = expected_params(40, 6, "auto")
        assert app.metric("Params").inner_text() == design

        # every page draws under the policy, the measurement included; a second tab (the same
        # cookie, so the same replica) measures a large network first, and this one waits its turn
        for title in ("Inception block", "Compare", "Family", "Code & checks"):
            app.navigate(title)
        other = App(context.new_page(), stack.url).open("?preset=inception-v4", path="/code", title="Code & checks")
        other.page.locator(".st-key-code_measure button").first.click()
        other.page.locator("[data-testid=stProgress]").first.wait_for()
        page.locator(".st-key-code_measure button").first.click()
        waiting = page.locator("[data-testid=stAlertContentInfo]", has_text="Waiting for the server: another measurement is running (position 1)…")
        waiting.wait_for()
        page.locator("[data-testid=stMetricLabel]", has_text="Median latency").wait_for()
        assert waiting.count() == 0
        other.page.locator("[data-testid=stMetricLabel]", has_text="Median latency").wait_for()
        assert other.problems() == []
        other.page.close()
        page.locator("[data-testid=stSidebarNav] a").first.click()
        page.locator("h1", has_text="Inception Studio").first.wait_for()
        app.wait_drawn()
        app.idle()
        assert page.evaluate("window.__csp || []") == [], "the policy blocked something the app needs"
        assert app.problems() == []

        # ... and is enforced: an inline script nobody listed does not run
        page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1'; document.body.append(s); }")
        assert page.evaluate("window.__ran") is None
        assert any(v.startswith("script-src-elem inline") for v in page.evaluate("window.__csp"))

        # another site cannot frame the app
        framing = context.new_page()
        framing.goto(f"data:text/html,<iframe src='{stack.url}/' width=600 height=400></iframe>")
        wait_until(lambda: len(framing.frames) == 2 and framing.frames[1].url != "about:blank", "the frame to load or fail",
                   pause=lambda: framing.wait_for_timeout(50))
        assert framing.frames[1].url.startswith("chrome-error://")
        framing.close()

        # the replica holding this page's websocket crashes
        old = stack.kill(held)
        wait_until(lambda: len(sockets) >= 2, "a new websocket from the page", pause=lambda: page.wait_for_timeout(50))
        assert app.metric("Params").inner_text() == design  # the page still shows it
        # moving on: the first rerun on the new replica starts from the link, so a move is the
        # held design or the next one, and nothing else
        for _ in range(2):
            app.press(COUNT_KEY)
            count = int(parse_qs(urlsplit(page.url).query)["b4"][0])
            assert count in (6, 7), page.url
            assert app.metric("Params").inner_text() == expected_params(40, count, "auto")
            if count == 7:
                break
        assert count == 7
        assert app.problems() == []
        stack.wait_restarted(held, old)


@off_the_loop
def test_a_class_survives_a_replica_killed_mid_run(stack, capsys):
    killed: dict = {}

    def crash() -> None:
        try:
            killed["on"] = {n: stack.sessions(n) for n in stack.names}
            killed["name"] = max(killed["on"], key=killed["on"].get)
            killed["pid"] = stack.kill(killed["name"])
        except Exception as err:  # noqa: BLE001 - reported by the assertions below
            killed["error"] = err

    timer = None

    def on_open() -> None:
        nonlocal timer
        timer = threading.Timer(KILL_AFTER_S, crash)
        timer.start()

    t0 = time.monotonic()
    crowd = wsload.sessions(stack.url, plans(CLASS, MOVES, 40), time_budget=TIME_BUDGET_S, on_open=on_open, reconnect=True)
    timer.join()
    took = time.monotonic() - t0
    assert "error" not in killed, killed
    new_pid = stack.wait_restarted(killed["name"], killed["pid"])

    wrong = [w for r in crowd for w in r.wrong]
    problems = [f"c1={r.c1}: {p}" for r in crowd for p in r.problems]
    moved = [r for r in crowd if r.restored]
    times = sorted(t for r in crowd for t in r.times)
    restored = sorted(t for r in crowd for t in r.restored)
    lines = [
        f"{CLASS} sessions × {MOVES} moves through nginx to {REPLICAS} replicas in {took:.0f} s",
        f"websockets on each replica when {killed['name']} (pid {killed['pid']}) was killed: {killed['on']}",
        f"supervisord restarted it as pid {new_pid}",
        f"sessions that got a new websocket: {len(moved)}; their design back after median "
        f"{restored[len(restored) // 2] if restored else float('nan'):.2f} s, max {max(restored, default=float('nan')):.2f} s",
        f"response median {times[len(times) // 2]:.3f} s, max {times[-1]:.3f} s; held {sum(r.held for r in crowd)} of {CLASS}",
        f"wrong links or totals: {len(wrong)}; problems: {len(problems)}",
    ]
    (BUILD / "load").mkdir(parents=True, exist_ok=True)
    (BUILD / "load" / "test_serve.txt").write_text("\n".join(lines + wrong + problems) + "\n", encoding="utf-8")
    with capsys.disabled():
        print("\n--- serve: a replica killed mid-run ---\n" + "\n".join(lines))

    assert wrong == []  # no session saw another's design, before the crash or after it
    assert problems == [], (problems, stack.logs())
    assert all(r.held and r.done == MOVES for r in crowd)
    assert sum(killed["on"].values()) == CLASS and min(killed["on"].values()) >= 1  # all open, on both replicas
    # every session that was on the killed replica, and only those, came back through a new websocket
    assert len(moved) == killed["on"][killed["name"]]
    assert all(len(r.restored) == 1 for r in moved)
    assert all(r.done == MOVES for r in moved)
    log = (stack.run_dir / "log" / "supervisord.log").read_text()
    assert f"exited: {killed['name']} (terminated by SIGKILL" in log
    assert stack.state(killed["name"]) == "RUNNING" and healthy(stack.replica_url(killed["name"]))
    wait_until(lambda: all(established(stack.port(n)) == 0 for n in stack.names), "every session's websocket closed")
