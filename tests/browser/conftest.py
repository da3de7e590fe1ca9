"""Fixtures of the browser tests: one real server and one Chromium for the session, a fresh
browser context (so a fresh Streamlit session) for every test, and a screenshot of the page
of any test that fails, in build/screenshots/failed/."""

from __future__ import annotations

import pytest

from playwright.sync_api import expect

from .driver import SCREENSHOTS, TIMEOUT_MS, VIEWPORT, App, AppServer, chromium

expect.set_options(timeout=TIMEOUT_MS)


TIMINGS: dict[str, float] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.section("browser timings (interaction until the app finished)")
        for what, seconds in TIMINGS.items():
            terminalreporter.write_line(f"{what:<45} {seconds:7.2f} s")


@pytest.fixture
def timings() -> dict[str, float]:
    """Seconds of interactions worth watching; printed after the run."""
    return TIMINGS


@pytest.fixture(scope="session")
def server(request):
    srv = AppServer()
    srv.start(timeout=60)
    try:
        yield srv
    finally:
        srv.stop(keep_log=request.session.testsfailed > 0)


@pytest.fixture(scope="session")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def new_app(server, browser, request):
    """Opens tabs on the app, each in a context of its own; all are closed after the test."""
    contexts = []

    def make() -> App:
        context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        contexts.append(context)
        return App(context.new_page(), server.url)

    yield make
    failed = getattr(request.node, "report_call", None)
    try:
        if failed is not None and failed.failed and request.node.get_closest_marker("xfail") is None:
            for i, context in enumerate(contexts):
                for j, page in enumerate(context.pages):
                    name = f"{request.node.name}-{i}-{j}".replace("/", "_")
                    try:
                        page.screenshot(path=str(SCREENSHOTS / "failed" / f"{name}.png"))
                    except Exception:  # noqa: BLE001 - a failure's screenshot must not hide the failure
                        pass
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def app(new_app) -> App:
    return new_app()
