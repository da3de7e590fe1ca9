"""The Chinese interface in a real browser: a browser whose language is Chinese gets the
Exercises and Family pages in Chinese on its first visit, the picker switches to English and
back (and the address bar keeps the choice), a card's button opens its design on the
Architecture page, and every page shows, as drawn, no English word in Chinese (by the rule of
tests/test_i18n.py) and no Chinese in English. Screenshots of both languages land in
build/screenshots/."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from ui.i18n import LANGUAGES, PARAM, PICKER

from ..test_i18n import CJK, english_words
from .driver import IDLE, SCREENSHOTS, VIEWPORT, App, exact

pytestmark = pytest.mark.browser


@pytest.fixture
def chinese_app(server, browser):
    """A tab of a browser whose language is Chinese (Playwright's locale sets both
    ``navigator.language`` and ``Accept-Language``; Chromium's ``--lang`` does not reach a
    Playwright context)."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    try:
        yield App(context.new_page(), server.url)
    finally:
        context.close()


def lang_in_link(app: App) -> str | None:
    values = parse_qs(urlsplit(app.page.url).query).get(PARAM)
    return values[-1] if values else None


def painted(app: App) -> None:
    """Every table and chart drawn (Streamlit paints a table's canvas once it is in view), so
    the screenshot shows them rather than their placeholders."""
    for selector in ("[data-testid=stDataFrame] canvas", "[data-testid=stPlotlyChart] .main-svg"):
        items = app.page.locator(selector)
        for i in range(items.count()):
            items.nth(i).scroll_into_view_if_needed()
            expect(items.nth(i)).to_be_visible()
    app.page.locator("[data-testid=stMain]").evaluate("main => main.scrollTo(0, 0)")


def pick_language(app: App, name: str) -> float:
    button = app.page.locator(f".st-key-{PICKER}").get_by_role("radio", name=name, exact=True)
    return app.rerun(button.click)


def test_a_chinese_browser_gets_the_exercises_in_chinese_and_can_switch(chinese_app, timings):
    app = chinese_app
    app.open(path="/exercises", title="练习")
    assert not app.problems(), app.problems()
    expect(app.page.locator("h3", has_text="1. GoogLeNet 的后续版本")).to_be_visible()
    assert lang_in_link(app) is None  # the browser's language: nothing to keep
    painted(app)
    app.full_screenshot(SCREENSHOTS / "i18n-exercises-zh.png")

    timings["language switch, Exercises page (中文 → English)"] = pick_language(app, "English")
    app.page.locator("h1", has_text=exact("Exercises")).first.wait_for()
    assert lang_in_link(app) == "en"
    assert not app.problems(), app.problems()
    painted(app)
    app.full_screenshot(SCREENSHOTS / "i18n-exercises-en.png")

    timings["language switch, Exercises page (English → 中文)"] = pick_language(app, "中文")
    app.page.locator("h1", has_text=exact("练习")).first.wait_for()
    assert lang_in_link(app) == "zh"


def test_the_family_page_in_chinese_draws_the_accuracy_picture(chinese_app):
    app = chinese_app
    app.open(path="/family", title="家族")
    chart = app.page.locator(".st-key-family_accuracy, [data-testid=stPlotlyChart]").filter(has_text="top-1").first
    expect(chart).to_be_visible()
    expect(app.page.get_by_text("准确率与运算量", exact=True)).to_be_visible()
    assert not app.problems(), app.problems()
    painted(app)
    app.full_screenshot(SCREENSHOTS / "i18n-family-zh.png")


def test_a_card_opens_its_design_on_the_architecture_page(app):
    app.open(path="/exercises", title="Exercises")
    button = app.page.locator(".st-key-ex_open_mnist_variant [data-testid^=stBaseButton]").first
    button.scroll_into_view_if_needed()
    app.rerun(button.click)
    app.page.locator("h1", has_text=exact("Inception Studio")).first.wait_for()
    app.wait_drawn(containing="64×28×28")
    assert not app.problems(), app.problems()


URLS = {"architecture": "/", "block": "/block", "compare": "/compare", "family": "/family", "code": "/code",
        "exercises": "/exercises", "hardware": "/hardware"}

# What a reader reads: the main area and the sidebar as drawn, without code (code blocks and inline
# code stay code), the diagrams' frames (their words are checked with the renderer's), icons (a
# Material icon is drawn from its name) and the file uploader's drop zone, whose words ("Upload",
# "200MB per file") are Streamlit's own and not the app's to translate.
VISIBLE_TEXT = """() => [document.querySelector('[data-testid=stMain]'), document.querySelector('[data-testid=stSidebar]')]
    .filter(Boolean).map(el => {
        const copy = el.cloneNode(true);
        copy.querySelectorAll('pre, code, iframe, [data-testid=stCode], [data-testid=stIconMaterial], ' +
            '[data-testid=stFileUploaderDropzone]').forEach(n => n.remove());
        document.body.appendChild(copy);  // innerText needs a rendered element
        const text = copy.innerText;
        copy.remove();
        return text;
    }).join('\\n')"""


def open_page(app: App, name: str) -> str:
    app.page.goto(app.base_url + URLS[name])
    app.page.locator("[data-testid=stMain] h1").first.wait_for()
    app.page.wait_for_selector(IDLE, state="attached")
    # a page's first visit may rerun once (the link written, a widget's default set): wait until
    # nothing on it is still a placeholder
    app.page.wait_for_function("() => !document.querySelector('[data-testid=stSkeleton]')", polling=100)
    app.page.wait_for_selector(IDLE, state="attached")
    painted(app)
    return app.page.evaluate(VISIBLE_TEXT)


@pytest.mark.parametrize("name", list(URLS))
def test_every_page_in_chinese_shows_no_english_word(chinese_app, name):
    app = chinese_app
    text = open_page(app, name)
    app.full_screenshot(SCREENSHOTS / f"i18n-page-{name}-zh.png")
    assert not app.problems(), app.problems()
    assert CJK.search(text)
    leftover = {}
    for line in text.splitlines():
        for w in english_words(line):
            leftover.setdefault(w, line[:120])
    assert not leftover, leftover


@pytest.mark.parametrize("name", list(URLS))
def test_every_page_in_english_shows_no_chinese(app, name):
    text = open_page(app, name)
    app.full_screenshot(SCREENSHOTS / f"i18n-page-{name}-en.png")
    assert not app.problems(), app.problems()
    chinese = [line for line in text.splitlines() if CJK.search(line) and line.strip() != LANGUAGES["zh"]]
    assert not chinese, chinese
