"""The real app in headless Chromium: the server started as a user's would be, the browser,
and what a user does on a page (open it, move a slider, pick a preset) — each step waited
for until the app says it is done, never for a fixed time.

Used by the browser tests (``tests/browser``), the load test and ``bench/load.py``.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
SCREENSHOTS = BUILD / "screenshots"
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]
# Generous: the machine is shared, and a first rerun of a large preset imports torch and draws.
TIMEOUT_MS = 90_000
VIEWPORT = {"width": 1400, "height": 1000}

APP = "[data-testid=stApp]"
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
EXCEPTION = "[data-testid=stException]"
ERROR_ALERT = "[data-testid=stAlertContentError]"
WARNING_ALERT = "[data-testid=stAlertContentWarning]"
MAIN_DIAGRAM = ".st-key-main_diagram_box [data-testid=diagram]"  # the diagram component in its keyed container

# Before an action: remember whether a script run starts and ends after it. A record's old
# value 'running' means a run ended even if the callback only sees 'notRunning' now. The whole
# document is watched: the app element may be re-mounted.
ARM = """() => {
  const seen = window.__studioRun = {started: false};
  if (window.__studioObserver) window.__studioObserver.disconnect();
  window.__studioObserver = new MutationObserver((records) => {
    const app = document.querySelector('[data-testid=stApp]');
    if (app && app.getAttribute('data-test-script-state') === 'running') seen.started = true;
    for (const r of records) if (r.oldValue === 'running') seen.started = true;
  });
  window.__studioObserver.observe(document.body, {subtree: true, attributes: true, attributeOldValue: true, attributeFilter: ['data-test-script-state']});
}"""
RAN = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  return !!(window.__studioRun && window.__studioRun.started && app
            && app.getAttribute('data-test-script-state') === 'notRunning');
}"""
# The diagram is drawn: an <svg> with a real size on screen.
DRAWN = """(svg) => { const r = svg.getBoundingClientRect(); return [r.width, r.height]; }"""


# --- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# the server is local: never through an HTTP(S)_PROXY from the environment
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def vm(pid: int, field: str = "VmRSS") -> int:
    """A ``/proc/<pid>/status`` memory field (VmRSS, VmHWM) in bytes."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


class AppServer:
    """``streamlit run app.py`` on a free localhost port, its output in ``build/browser/``
    (kept when something failed)."""

    def __init__(self, port: int | None = None, log_dir: Path = BUILD / "browser"):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"server-{self.port}.log"
        self.proc: subprocess.Popen | None = None
        self._logf = None

    def __enter__(self) -> AppServer:
        self.start()
        return self

    def __exit__(self, kind, *exc) -> None:
        self.stop(keep_log=kind is not None)

    def command(self) -> list[str]:
        return [
            PYTHON, "-m", "streamlit", "run", "app.py",
            "--server.headless", "true",
            "--server.port", str(self.port),
            "--server.address", "127.0.0.1",
            "--browser.gatherUsageStats", "false",
        ]

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def start(self, timeout: float = 60.0) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._logf = open(self.log, "wb")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(self.command(), cwd=ROOT, stdout=self._logf, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self.stop()
                raise RuntimeError(f"streamlit exited with {code} before answering; its log:\n{self.log_tail()}")
            try:
                with DIRECT.open(self.url + "/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit did not answer ok on {self.url}/_stcore/health within {timeout:.0f} s; its log:\n{self.log_tail()}")

    @property
    def pid(self) -> int:
        assert self.proc is not None, "the server is not running"
        return self.proc.pid

    def rss(self) -> int:
        return vm(self.pid, "VmRSS")

    def peak_rss(self) -> int:
        return vm(self.pid, "VmHWM")

    def stop(self, keep_log: bool = True) -> None:
        """Terminate, wait, and kill only if it will not go; the log stays if ``keep_log``."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
        if self._logf is not None:
            self._logf.close()
            self._logf = None
        if not keep_log:
            self.log.unlink(missing_ok=True)


# --- the browser -----------------------------------------------------------------------------


def chromium_path() -> str:
    exe = shutil.which("chromium")
    if exe is None:
        raise RuntimeError("no `chromium` on the PATH; `make system-browser` installs Debian's")
    return exe


def launch(playwright):
    """Debian's Chromium, headless (Playwright's own browsers are not installed)."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


@contextmanager
def chromium():
    """A launched headless Chromium driven by Playwright's sync API, closed at the end."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        try:
            yield browser
        finally:
            browser.close()


# --- what a user does ------------------------------------------------------------------------


def exact(label: str) -> re.Pattern:
    return re.compile(rf"^\s*{re.escape(label)}\s*$")


class App:
    """One browser tab on the app; every action returns when the app's rerun has finished."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.js_errors: list[str] = []
        page.set_default_timeout(TIMEOUT_MS)
        page.on("pageerror", lambda err: self.js_errors.append(str(err)))

    # -- opening and waiting

    def open(self, query: str = "", path: str = "/", title: str = "Inception Studio") -> App:
        """Open a page (with a link's query) and wait for its first run to finish."""
        self.page.goto(self.base_url + path + query)
        self.wait_ready(title, diagram=path == "/")
        return self

    def wait_ready(self, title: str, diagram: bool) -> None:
        # the app says 'notRunning' before its first run too: wait for what the run draws first
        self.page.locator("h1", has_text=exact(title)).first.wait_for()
        if diagram:
            self.wait_drawn()
        self.idle()

    def idle(self) -> None:
        self.page.wait_for_selector(IDLE, state="attached")

    def rerun(self, action) -> float:
        """Do ``action`` and wait until the rerun it starts has finished; the seconds it took."""
        self.page.evaluate(ARM)
        t0 = time.perf_counter()
        action()
        self.page.wait_for_function(RAN, polling=50)
        return time.perf_counter() - t0

    # -- what is on the page

    def metric(self, label: str):
        """The value of a metric card, by its label."""
        card = self.page.locator("[data-testid=stMetric]").filter(
            has=self.page.locator("[data-testid=stMetricLabel]", has_text=exact(label))
        )
        return card.locator("[data-testid=stMetricValue]")

    def svg(self, diagram: str = MAIN_DIAGRAM):
        """The drawing of a diagram component (Playwright's locators reach into its shadow root)."""
        return self.page.locator(diagram).locator(".sd-stage svg").first

    def svg_text(self, diagram: str = MAIN_DIAGRAM) -> str:
        return self.svg(diagram).text_content() or ""

    def wait_drawn(self, diagram: str = MAIN_DIAGRAM, containing: str | None = None) -> None:
        """Until the diagram's SVG (holding ``containing``) is on screen at a readable size."""
        svg = self.svg(diagram)
        if containing is not None:
            svg = self.page.locator(diagram).locator(".sd-stage svg", has_text=containing).first
        svg.wait_for(state="visible")
        w, h = svg.evaluate(DRAWN)
        assert w > 50 and h > 50, f"the diagram is drawn {w:.0f}×{h:.0f} px"

    def problems(self, allow_errors: bool = False) -> list[str]:
        """Exception elements, error messages (unless allowed) and JavaScript errors."""
        found = [f"exception: {t}" for t in self.page.locator(EXCEPTION).all_inner_texts()]
        if not allow_errors:
            found += [f"error: {t}" for t in self.page.locator(ERROR_ALERT).all_inner_texts()]
        found += [f"JavaScript: {e}" for e in self.js_errors]
        return found

    def errors(self) -> list[str]:
        return [t.strip() for t in self.page.locator(ERROR_ALERT).all_inner_texts()]

    def warnings(self) -> list[str]:
        return [t.strip() for t in self.page.locator(WARNING_ALERT).all_inner_texts()]

    # -- the knobs

    def slider(self, key: str):
        return self.page.locator(f".st-key-{key} input[type=range]")

    def slider_value(self, key: str) -> int:
        return int(self.slider(key).get_attribute("value"))

    def press(self, key: str, keys: str = "ArrowRight") -> float:
        """Focus a slider's thumb and press a key, as a keyboard user moves it."""
        knob = self.slider(key)
        knob.focus()
        return self.rerun(lambda: knob.press(keys))

    def open_block(self, block: str) -> None:
        """Open a block's expander in the sidebar (its width sliders exist only when open)."""
        self.rerun(lambda: self.page.locator(f".st-key-main_open_{block} summary").click())
        self.page.locator(f".st-key-main_open_{block} input[type=range]").first.wait_for()

    def pick(self, key: str, option: str) -> float:
        """Choose an option of a select box: open it, type to filter, click the option."""
        box = self.page.locator(f".st-key-{key}").get_by_role("combobox")
        box.click()
        box.fill(option)
        return self.rerun(lambda: self.page.get_by_role("option", name=option, exact=True).click())

    def units(self, which: str) -> None:
        group = self.page.locator(".st-key-main_units")
        button = group.get_by_role("radio", name=which, exact=True)
        if button.get_attribute("aria-checked") != "true":
            self.rerun(button.click)

    def number(self, key: str, value: int) -> float:
        box = self.page.locator(f".st-key-{key} input")
        box.fill(str(value))
        return self.rerun(lambda: box.press("Enter"))

    def navigate(self, title: str) -> None:
        """Follow a sidebar navigation link to another page."""
        link = self.page.locator("[data-testid=stSidebarNav] a").filter(has=self.page.get_by_text(title, exact=True))
        link.click()
        self.page.locator("h1", has_text=exact(title)).first.wait_for()
        self.idle()

    # -- screenshots

    def full_screenshot(self, path: Path, max_height: int = 12_000) -> Path:
        """The whole page: Streamlit scrolls its main area, not the document, so the window is
        made as tall as the content for the shot and put back after."""
        main_h, side_h = self.page.evaluate(
            "() => [document.querySelector('[data-testid=stMain]')?.scrollHeight || 0,"
            " document.querySelector('[data-testid=stSidebarContent]')?.scrollHeight || 0]"
        )
        height = int(min(max_height, max(VIEWPORT["height"], main_h, side_h)))
        size = self.page.viewport_size
        self.page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
        try:
            # two frames: the resized layout (and charts that follow the width) has painted
            self.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            path.parent.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(path), full_page=True)
        finally:
            self.page.set_viewport_size(size)
        return path
