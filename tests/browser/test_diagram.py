"""The diagram component in headless Chromium against the real server, as a user works it:
zoom, change a knob, and the zoom is kept with the changed block in view; find a node by
name; click a node to select it; the view across a page visit and a change of level; the
theme's background behind the drawing; a phone's swipe scrolling the page; Compare's two
diagrams. Positions are read from the page (bounding boxes of the SVG's nodes, found by the
ids the renderer writes from the analysis keys), colours from screenshots' pixels."""

from __future__ import annotations

import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from googlenet import get_preset
from googlenet.diff import changed_keys, diff

from .driver import SCREENSHOTS, VIEWPORT, App, exact
from .test_studio import assert_clean

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def root(app: App, key: str = "main_diagram"):
    return app.page.locator(f".st-key-{key}_box [data-testid=diagram]")


def open_page(app: App, query: str = "?preset=d2l", path: str = "/", title: str = "Inception Studio", key: str = "main_diagram"):
    app.page.goto(app.base_url + path + query)
    app.page.locator("h1", has_text=exact(title)).first.wait_for()
    app.idle()
    drawn(app, key)
    return root(app, key)


def drawn(app: App, key: str = "main_diagram") -> None:
    """Until the component has put an SVG with a real size on screen."""
    r = root(app, key)
    expect(r).to_have_attribute("data-rev", re.compile(r"^[0-9a-f]{8}$"))
    box = r.locator(".sd-stage svg").bounding_box()
    assert box and box["width"] > 50 and box["height"] > 50, box


def go(app: App, link: str, title: str) -> None:
    """Follow a sidebar navigation link; until the page's title is there and its run is done."""
    app.page.locator("[data-testid=stSidebarNav] a").filter(has=app.page.get_by_text(link, exact=True)).click()
    app.page.locator("h1", has_text=exact(title)).first.wait_for()
    app.idle()


def scale(r) -> float:
    return float(r.get_attribute("data-scale"))


def node(r, key: str):
    return r.locator(f'[id="n:{key}"]').first


def from_centre(r, key: str) -> tuple[float, float]:
    """Where a node's centre is from the view's centre, both read in one go (the page may be
    scrolling between two separate reads)."""
    return tuple(r.evaluate(
        """(root, key) => {
      const v = root.querySelector('.sd-view').getBoundingClientRect();
      const n = root.querySelector(`[id="n:${key}"]`).getBoundingClientRect();
      return [n.x + n.width / 2 - (v.x + v.width / 2), n.y + n.height / 2 - (v.y + v.height / 2)];
    }""",
        key,
    ))


def centre(box: dict) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def inside(inner: dict, outer: dict, slack: float = 1.0) -> bool:
    return (
        inner["x"] >= outer["x"] - slack and inner["y"] >= outer["y"] - slack
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack
    )


def redrawn(app: App, r, action) -> None:
    """Do ``action``; wait for its rerun and for the component to hold the new drawing."""
    before = r.get_attribute("data-rev")
    app.rerun(action)
    expect(r).not_to_have_attribute("data-rev", before)


# --- zoom, a knob, the changed block ------------------------------------------------------------


def test_zoom_is_kept_when_a_knob_changes_and_the_changed_block_comes_into_view(app):
    r = open_page(app)
    view = r.locator(".sd-view")
    # the lecture's first Inception block is on screen at a readable size when the page opens
    assert inside(node(r, "inception3a").bounding_box(), view.bounding_box())
    text_px = r.locator(".sd-stage svg text").evaluate_all("ts => Math.min(...ts.map(t => t.getBoundingClientRect().height))")
    assert text_px >= 9, f"the smallest text is {text_px:.1f} px high"
    for _ in range(3):
        r.locator("button[data-act=in]").click()
    zoomed = scale(r)
    assert zoomed > 1.5
    r.locator(".sd-search").fill("inception3a")
    r.locator(".sd-search").press("Enter")
    assert not inside(node(r, "inception5b").bounding_box(), view.bounding_box())
    app.open_block("inception5b")
    redrawn(app, r, lambda: (app.slider("main_k_w_inception5b_c1_0").focus(), app.slider("main_k_w_inception5b_c1_0").press("ArrowRight")))
    expect(r).to_have_attribute("data-changed", "inception5b")
    assert scale(r) == pytest.approx(zoomed, rel=1e-3)  # the zoom survived the rerun
    expect(r.locator(".sd-flash")).to_have_count(1)
    assert inside(node(r, "inception5b").bounding_box(), view.bounding_box())  # and the change is in view
    assert_clean(app)


def test_the_view_survives_a_page_visit_and_a_level_change_keeps_the_node_in_place(app):
    r = open_page(app)
    r.locator("button[data-act=in]").click()
    r.locator(".sd-search").fill("inception4a")
    r.locator(".sd-search").press("Enter")
    expect(r).to_have_attribute("data-found", "inception4a")
    s = scale(r)
    at = from_centre(r, "inception4a")
    assert abs(at[0]) < 3 and abs(at[1]) < 3, at  # search centres it
    go(app, "Family", "Family")
    go(app, "Architecture", "Inception Studio")
    r = root(app)
    drawn(app)
    assert scale(r) == pytest.approx(s, rel=1e-3)
    back = from_centre(r, "inception4a")
    assert abs(back[0] - at[0]) < 3 and abs(back[1] - at[1]) < 3, (back, at)
    # at the layers level inception4a is a box of layers, its title where the block's node was
    group = app.page.locator(".st-key-main_level")
    redrawn(app, r, group.get_by_role("radio", name="layers", exact=True).click)
    assert scale(r) == pytest.approx(s, rel=1e-3)
    title = from_centre(r, "inception4a")
    assert abs(title[0] - at[0]) < 40 and abs(title[1] - at[1]) < 40, (title, at)
    assert_clean(app)


def test_search_finds_a_folded_block_and_full_screen_fills_the_window(app):
    r = open_page(app, "?preset=inception-v3")
    r.locator(".sd-search").fill("mixed_6d")  # drawn folded into "Mixed_6c–d ×2"; any case
    r.locator(".sd-search").press("Enter")
    expect(r).to_have_attribute("data-found", "Mixed_6c")
    r.locator(".sd-search").fill("no such block")
    r.locator(".sd-search").press("Enter")
    expect(r.locator(".sd-msg")).to_contain_text("no such block")
    r.locator("button[data-act=full]").click()
    box = r.bounding_box()
    assert box["width"] == VIEWPORT["width"] and box["height"] == VIEWPORT["height"], box
    app.page.keyboard.press("Escape")
    assert r.bounding_box()["width"] < VIEWPORT["width"]
    assert_clean(app)


# --- click to select ------------------------------------------------------------------------------


def test_clicking_a_node_selects_it_for_the_page(app):
    r = open_page(app)
    target = node(r, "inception3b")
    app.rerun(lambda: target.click())
    caption = app.page.get_by_text(re.compile(r"^Selected: inception3b"))
    expect(caption).to_be_visible()
    expect(r).to_have_attribute("data-selected", "inception3b")
    expect(r.locator(".sd-selected")).to_have_count(1)
    # a layer of an opened block: its own key
    group = app.page.locator(".st-key-main_level")
    redrawn(app, r, group.get_by_role("radio", name="layers", exact=True).click)
    # the layers level is taller than the view: find the layer first, as a reader would
    r.locator(".sd-search").fill("inception3a.branch2.conv2")
    r.locator(".sd-search").press("Enter")
    expect(r).to_have_attribute("data-found", "inception3a.branch2.conv2")
    app.rerun(lambda: node(r, "inception3a.branch2.conv2").click())
    expect(app.page.get_by_text(re.compile(r"^Selected: inception3a\.branch2\.conv2"))).to_be_visible()
    assert_clean(app)


# --- themes and phones ------------------------------------------------------------------------------


def most_common(path, box) -> tuple[int, int, int]:
    img = Image.open(path).convert("RGB").crop((int(box["x"]), int(box["y"]), int(box["x"] + box["width"]), int(box["y"] + box["height"])))
    return max(img.getcolors(maxcolors=img.width * img.height))[1]


def rgb(css: str) -> tuple[int, int, int]:
    return tuple(int(x) for x in re.findall(r"\d+", css)[:3])


def test_the_dark_theme_is_behind_the_drawing_and_its_text_reads(new_app):
    app = new_app()
    app.page.emulate_media(color_scheme="dark")  # Streamlit's default theme follows the system
    r = open_page(app)
    expect(r).to_have_attribute("data-theme", "dark")
    page_bg = rgb(app.page.locator("[data-testid=stApp]").evaluate("e => getComputedStyle(e).backgroundColor"))
    assert sum(page_bg) < 3 * 60, page_bg  # a dark page
    shot = SCREENSHOTS / "diagram-dark.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    r.scroll_into_view_if_needed()
    app.page.screenshot(path=str(shot))
    assert most_common(shot, r.locator(".sd-view").bounding_box()) == page_bg
    worst = r.evaluate(
        """(root) => {
      const parse = (c) => c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
      const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
        return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
      const bg = parse(getComputedStyle(root.querySelector('.sd-view')).backgroundColor);
      let worst = 99;
      for (const t of root.querySelectorAll('.sd-stage svg text')) {
        if (t.closest('g.node')) continue;  // text in a node is on the node's own fill
        const a = lum(parse(getComputedStyle(t).fill)), b = lum(bg);
        worst = Math.min(worst, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05));
      }
      return worst;
    }"""
    )
    assert worst >= 4.5, worst
    assert_clean(app)


def swipe(page, x: float, y: float, dy: float, steps: int = 12) -> None:
    """A one-finger swipe as the touch screen sends it, through the browser's own input
    pipeline (which honours CSS touch-action and scrolls what a finger would scroll)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for i in range(1, steps + 1):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y + dy * i / steps}]})
        page.wait_for_timeout(16)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_timeout(300)  # the page's scrolling settles
    cdp.detach()


def scrolled(page) -> float:
    return page.evaluate("() => (document.querySelector('[data-testid=stMain]')?.scrollTop || 0) + window.scrollY")


def test_on_a_phone_a_swipe_over_the_diagram_scrolls_the_page_and_pan_mode_moves_the_drawing(browser, server):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=1)
    try:
        app = App(context.new_page(), server.url)
        r = open_page(app)
        view = r.locator(".sd-view")
        view.scroll_into_view_if_needed()
        box = view.bounding_box()
        assert box["width"] <= PHONE["width"] and 240 <= box["height"] <= 0.7 * PHONE["height"], box
        shot = SCREENSHOTS / "diagram-phone.png"
        app.page.screenshot(path=str(shot))
        img = Image.open(shot).convert("RGB")
        assert len(img.getcolors(maxcolors=img.width * img.height)) >= 32  # not blank
        before, stage = scrolled(app.page), r.locator(".sd-stage").evaluate("e => e.style.transform")
        x, y = centre(view.bounding_box())
        swipe(app.page, x, y, -250)
        assert scrolled(app.page) > before + 100, (before, scrolled(app.page))
        assert r.locator(".sd-stage").evaluate("e => e.style.transform") == stage  # the drawing stayed
        r.locator("button[data-act=pan]").tap()
        expect(r.locator("button[data-act=pan]")).to_have_attribute("aria-pressed", "true")
        before = scrolled(app.page)
        x, y = centre(view.bounding_box())
        swipe(app.page, x, y, -150)
        assert abs(scrolled(app.page) - before) < 5
        assert r.locator(".sd-stage").evaluate("e => e.style.transform") != stage  # the drawing moved instead
        assert_clean(app)
    finally:
        context.close()


# --- Compare ----------------------------------------------------------------------------------------


def test_compare_shows_both_diagrams_with_the_differing_blocks_marked(app):
    open_page(app)
    go(app, "Compare", "Compare")
    a, b = root(app, "compare_diagram_a"), root(app, "compare_diagram_b")
    drawn(app, "compare_diagram_a")
    drawn(app, "compare_diagram_b")
    ba, bb = a.bounding_box(), b.bounding_box()
    assert ba["x"] + ba["width"] <= bb["x"] and abs(ba["y"] - bb["y"]) < 2  # side by side
    changes = diff(get_preset("d2l"), get_preset("googlenet"))
    # every differing block that a side draws is marked on it (folded runs count once)
    assert int(a.get_attribute("data-marked")) >= 1 and int(b.get_attribute("data-marked")) >= 1
    assert int(b.get_attribute("data-marked")) <= len(changed_keys(changes, "b"))
    expect(app.page.locator(".st-key-compare_diff [data-testid=stDataFrame]")).to_be_visible()
    marks = set(b.locator(".sd-diff").evaluate_all("ms => ms.map(m => m.dataset.key)"))
    assert marks <= set(changed_keys(changes, "b")) and "lrn1" in marks  # GoogLeNet's LRN, which d2l has not
    assert_clean(app)
