"""The inspector, the history and the typed fields in headless Chromium against the real server,
as a user does it: select a block, type a width, undo, press the browser's Back, type a value
out of range, visit another page and come back, press a rewrite button. Expected figures come
from the core (``knobs.Tweaks`` / ``rewrites`` → ``analyze``), and a rewrite's params from
PyTorch itself (the rewritten spec built, ``sum(p.numel())``)."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import torch
from playwright.sync_api import expect

from googlenet import analyze, knobs, rewrites
from googlenet.build import build
from ui import format as fmt
from ui import state

from .driver import SCREENSHOTS, App

pytestmark = pytest.mark.browser

TOTALS = ("Params", "MACs", "FLOPs", "Depth")
C1 = "main_k_i_w_inception3a_c1_0"  # the inspector's field of inception3a's c1


def analysis(preset: str = "d2l", **tweaks):
    return analyze(knobs.Tweaks(preset, **tweaks).apply())


def cards(app: App) -> dict[str, str]:
    return {k: app.metric(k).inner_text() for k in TOTALS}


def shown(t) -> dict[str, str]:
    """The cards in exact units."""
    return {"Params": f"{t.params:,}", "MACs": f"{t.macs:,}", "FLOPs": f"{t.flops:,}", "Depth": str(t.depth)}


def expect_totals(app: App, t) -> None:
    for label, value in shown(t).items():
        expect(app.metric(label)).to_have_text(value)


def query_of(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def design_of(url: str) -> dict[str, str]:
    """The link without its view parameters."""
    return {k: v for k, v in query_of(url).items() if k not in (*state.VIEW, "lang")}


def field(app: App, key: str):
    return app.page.locator(f".st-key-{key} input")


def type_into(app: App, key: str, value: int) -> float:
    box = field(app, key)
    box.fill(str(value))
    return app.rerun(lambda: box.press("Enter"))


def browse(app: App, arrow) -> None:
    """The browser's Back or Forward; what the rerun draws is waited for by the caller's
    ``expect`` (a rerun this fast can slip past the driver's watch)."""
    arrow()
    app.idle()


def select(app: App, block: str) -> None:
    """Choose a block in the inspector's Select box; its c1 field appears."""
    box = app.page.locator(".st-key-main_select").get_by_role("combobox")
    box.click()
    box.fill(block)
    app.page.get_by_role("option", name=block, exact=True).click()
    # waited for by what the rerun draws (a rerun this fast can slip past the driver's watch)
    field(app, f"main_k_i_w_{block}_c1_0").wait_for()
    app.idle()


def exact_units(app: App) -> None:
    app.units("exact")


def assert_clean(app: App, allow_errors: bool = False) -> None:
    problems = app.problems(allow_errors)
    assert not problems, problems


def test_select_a_block_and_type_a_width_the_totals_follow(app, timings):
    app.open()
    exact_units(app)
    t0 = time.perf_counter()
    select(app, "inception3a")
    timings["select a block → inspector shown, d2l"] = time.perf_counter() - t0
    inspector_numbers = app.page.locator(".st-key-main_inspector_numbers")
    expect(inspector_numbers).to_contain_text("256×12×12")  # inception3a's output shape
    expect(field(app, C1)).to_have_value("64")
    timings["typed width, d2l"] = type_into(app, C1, 80)
    expect_totals(app, analysis(widths=(("inception3a", "c1", (80,)),)).totals)
    expect(field(app, C1)).to_have_value("80")
    expect(inspector_numbers).to_contain_text("272×12×12")  # 256 − 64 + 80 channels
    expect(app.svg()).to_contain_text("272×12×12")
    assert design_of(app.page.url) == {"preset": "d2l", "inception3a.c1": "80"}
    assert query_of(app.page.url)["select"] == "inception3a"
    # a row of the layer table selects its layer: row 0 holds the totals, then conv1, maxpool1, conv2
    grid = app.page.locator(".st-key-main_table [data-testid=stDataFrameResizable]")
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    row = 35  # Streamlit's row height, the header's too
    app.rerun(lambda: app.page.mouse.click(box["x"] + 18, box["y"] + row + 3 * row + row / 2))
    expect(app.page.locator(".st-key-main_select").get_by_role("combobox")).to_have_value("conv2")
    expect(app.page.locator(".st-key-main_inspector_numbers")).to_contain_text("64×24×24")
    assert query_of(app.page.url)["select"] == "conv2"
    assert_clean(app)


def test_undo_and_back_restore_the_previous_design_exactly(app):
    app.open()
    exact_units(app)
    select(app, "inception3a")
    before_cards, before_link = cards(app), design_of(app.page.url)
    type_into(app, C1, 96)
    after = analysis(widths=(("inception3a", "c1", (96,)),)).totals
    expect_totals(app, after)
    after_link = design_of(app.page.url)
    assert after_link == {"preset": "d2l", "inception3a.c1": "96"}

    undo = app.page.locator(".st-key-main_undo").get_by_role("button", name="Undo")
    app.rerun(undo.click)
    expect_totals(app, analysis().totals)
    assert cards(app) == before_cards and design_of(app.page.url) == before_link
    expect(field(app, C1)).to_have_value("64")
    redo = app.page.locator(".st-key-main_redo").get_by_role("button", name="Redo")
    app.rerun(redo.click)
    expect_totals(app, after)
    assert design_of(app.page.url) == after_link

    # a second change, then the browser's Back twice: each step's design, totals and link
    type_into(app, C1, 128)
    expect_totals(app, analysis(widths=(("inception3a", "c1", (128,)),)).totals)
    browse(app, app.page.go_back)
    expect_totals(app, after)
    assert design_of(app.page.url) == after_link
    expect(field(app, C1)).to_have_value("96")
    browse(app, app.page.go_back)
    expect_totals(app, analysis().totals)
    assert cards(app) == before_cards
    # Forward again is a redo
    browse(app, app.page.go_forward)
    expect_totals(app, after)
    assert design_of(app.page.url) == after_link
    assert_clean(app)


OUT_OF_RANGE = (
    (C1, 0, "inception3a.c1: must be between 1 and 65,536, got 0"),
    ("main_k_channels", 0, "input.channels: must be between 1 and 4,096, got 0"),
    ("main_k_height", 99999, "input.height: must be between 1 and 16,384, got 99,999"),
)


def test_an_out_of_range_entry_names_the_range_and_the_field_shows_the_models_value(app):
    app.open()
    exact_units(app)
    select(app, "inception3a")
    for key, value, words in OUT_OF_RANGE:
        model = field(app, key).input_value()
        before, link = cards(app), design_of(app.page.url)
        type_into(app, key, value)
        message = app.page.locator(f".st-key-msg_{key}")
        expect(message).to_contain_text(words)
        expect(field(app, key)).to_have_value(model)
        assert cards(app) == before and design_of(app.page.url) == link
        # the next good value is taken, and the message goes
        good = int(model) + 16
        type_into(app, key, good)
        expect(message).to_have_count(0)
        expect(field(app, key)).to_have_value(str(good))
    assert design_of(app.page.url) == {"preset": "d2l", "input": "17x112x96", "inception3a.c1": "80"}
    assert_clean(app)


def entries(app: App) -> int:
    return app.page.evaluate("() => window.history.length")


def expect_view(app: App, units: str = "exact") -> None:
    expect(app.page.locator(".st-key-main_units").get_by_role("radio", name=units, exact=True)).to_have_attribute("aria-checked", "true")
    expect(app.page.locator(".st-key-main_level").get_by_role("radio", name="layers", exact=True)).to_have_attribute("aria-checked", "true")
    expect(app.page.locator(".st-key-main_select").get_by_role("combobox")).to_have_value("inception4a")
    expect(app.page.locator(".st-key-main_inspector_numbers")).to_contain_text("512×6×6")


def test_the_view_is_in_the_link_without_history_entries_and_survives_a_reload(app):
    app.open()
    start = entries(app)
    exact_units(app)
    select(app, "inception4a")
    level = app.page.locator(".st-key-main_level").get_by_role("radio", name="layers", exact=True)
    app.rerun(level.click)
    expect(app.page).to_have_url(re.compile(r"level=layers"))
    assert entries(app) == start  # pure view changes replace the entry
    assert {k: query_of(app.page.url).get(k) for k in ("select", "level", "units")} == {"select": "inception4a", "level": "layers", "units": None}
    assert design_of(app.page.url) == {"preset": "d2l"}
    app.page.reload()
    app.wait_ready("Inception Studio", diagram=True)
    expect_view(app, units="auto")  # the units are the reader's, not the link's
    type_into(app, "main_k_i_w_inception4a_c1_0", 200)
    assert entries(app) == start + 1  # a design change adds one
    assert_clean(app)


def test_the_view_survives_a_visit_to_another_page(app):
    app.open()
    exact_units(app)
    select(app, "inception4a")
    level = app.page.locator(".st-key-main_level").get_by_role("radio", name="layers", exact=True)
    app.rerun(level.click)
    app.navigate("Compare")
    link = app.page.locator("[data-testid=stSidebarNav] a").filter(has=app.page.get_by_text("Architecture", exact=True))
    link.click()
    app.page.locator("h1", has_text="Inception Studio").first.wait_for()
    app.idle()
    expect_view(app)
    assert_clean(app)


def test_a_rewrite_button_gives_the_params_pytorch_counts_and_survives_the_link(new_app):
    app = new_app().open()
    exact_units(app)
    select(app, "inception3a")
    app.page.locator(".st-key-main_struct_inception3a summary").click()  # opens in the browser, no rerun
    button = app.page.locator(".st-key-main_k_i_rw_factorize_5x5_inception3a").get_by_role("button", name="5×5 → two 3×3")
    expect(button).to_be_enabled()
    expect(app.page.locator(".st-key-main_k_i_rw_factorize_nxn_inception3a").get_by_role("button")).to_be_enabled()
    app.rerun(button.click)
    net = rewrites.factorize_5x5(knobs.Tweaks("d2l").apply(), "inception3a")
    params = sum(p.numel() for p in build(net, torch.device("meta")).parameters())
    expect(app.metric("Params")).to_have_text(f"{params:,}")
    expect(app.metric("MACs")).to_have_text(f"{analyze(net).totals.macs:,}")
    delta = params - analysis().totals.params
    expect(app.page.locator("[data-testid=stMetric]").filter(has_text="Params").first).to_contain_text(fmt.signed(delta, lambda v: f"{v:,}"))
    link = app.page.url
    assert "edit" in query_of(link) and query_of(link)["preset"] == "d2l"

    other = new_app()  # another browser: the structurally edited design from its link alone
    other.page.goto(link)
    other.wait_ready("Inception Studio", diagram=True)
    exact_units(other)
    expect(other.metric("Params")).to_have_text(f"{params:,}")
    expect(other.page.locator(".st-key-main_select").get_by_role("combobox")).to_have_value("inception3a")
    # reset this block to its template: back to the preset, and a short link
    other.page.locator(".st-key-main_struct_inception3a summary").click()
    other.rerun(other.page.locator(".st-key-main_k_i_reset_inception3a").get_by_role("button", name="Reset this block to its template").click)
    expect_totals(other, analysis().totals)
    assert design_of(other.page.url) == {"preset": "d2l"}
    assert_clean(app)
    assert_clean(other)


def test_screenshots_of_the_inspector_in_both_languages(new_app):
    for lang in ("en", "zh"):
        app = new_app()
        app.page.goto(app.base_url + f"/?preset=d2l&select=inception3a&lang={lang}")
        app.wait_ready("Inception Studio", diagram=True)
        expect(app.page.locator(".st-key-main_inspector_numbers")).to_contain_text("256×12×12")
        # every widget drawn (their code arrives in chunks after the first paint)
        for key in (C1, "main_k_height", "main_units", "main_k_count_b4", "main_select"):
            expect(app.page.locator(f".st-key-{key}").first).to_be_visible()
            app.page.locator(f".st-key-{key} input, .st-key-{key} button").first.wait_for()
        path = SCREENSHOTS / f"editor-inspector-{lang}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        app.page.locator(".st-key-main_inspector_numbers").scroll_into_view_if_needed()
        app.page.screenshot(path=str(path))
        assert path.stat().st_size > 20_000
        assert_clean(app)
