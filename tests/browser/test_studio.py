"""The app as a new user meets it, in headless Chromium against the real server: what AppTest
cannot see — a diagram that is not drawn, a slider that does not move, a download the
browser never receives, a page that renders blank. Expected figures come from the core
(``knobs.Tweaks(...).apply()`` → ``analyze``), formatted as the app formats them."""

from __future__ import annotations

import csv
import re
import subprocess
import time
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image
from playwright.sync_api import expect

from googlenet import analyze, config, knobs, report
from googlenet.spec import InputTooSmall
from ui import tables

from ..lecture import BLOCK_NAMES as D2L_BLOCKS
from .driver import PYTHON, SCREENSHOTS, App

pytestmark = pytest.mark.browser

TOTALS = ("Params", "MACs", "FLOPs", "Depth")
HANG_S = 60  # a redraw slower than this is a hang, whatever the machine's load


def analysis(preset: str = "d2l", **tweaks):
    return analyze(knobs.Tweaks(preset, **tweaks).apply())


def shown(t, units: str = "auto") -> dict[str, str]:
    """The metric cards the app shows for these totals."""
    return {
        "Params": tables.count(t.params, units),
        "MACs": tables.count(t.macs, units),
        "FLOPs": tables.count(t.flops, units),
        "Depth": str(t.depth),
    }


def expect_totals(app: App, t, units: str = "auto") -> None:
    for label, value in shown(t, units).items():
        expect(app.metric(label)).to_have_text(value)


def assert_clean(app: App, allow_errors: bool = False) -> None:
    problems = app.problems(allow_errors)
    assert not problems, problems


def query_of(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def assert_not_blank(path) -> tuple[int, int]:
    """A real picture: a sane size and many colours, not one colour filling it."""
    img = Image.open(path)
    img.load()
    w, h = img.size
    assert 300 <= w <= 20_000 and 300 <= h <= 20_000, f"{path.name}: {w}×{h}"
    colours = img.convert("RGB").getcolors(maxcolors=w * h)
    top = max(n for n, _ in colours)
    assert len(colours) >= 32, f"{path.name}: only {len(colours)} colours"
    assert top / (w * h) < 0.97, f"{path.name}: one colour fills {top / (w * h):.1%}"
    return w, h


# --- a first visit --------------------------------------------------------------------------------


FOLDED = re.compile(r"(\S+)–(\S+) ×(\d+)")


def drawn_blocks(text: str, names: list[str]) -> list[str]:
    """The blocks a blocks-level drawing shows: by name, or inside a folded run labelled
    ``first–rest ×n`` (``inception4e–f ×2``: the run's last name is a prefix of the first's
    followed by the rest), whose n names follow each other in the network."""
    shown = [n for n in names if n in text]
    for first, rest, n in FOLDED.findall(text):
        if first not in names:
            continue
        i = names.index(first)
        run = names[i : i + int(n)]
        if len(run) == int(n) and any(run[-1] == first[:k] + rest for k in range(len(first) + 1)):
            shown += run
    return [n for n in names if n in shown]


def test_a_first_visit_shows_the_design_its_totals_and_its_diagram(app):
    app.open()
    page = app.page
    assert page.title() == "Inception Studio"
    assert query_of(page.url) == {"preset": "d2l"}

    sidebar = page.locator("[data-testid=stSidebar]")
    expect(sidebar.get_by_role("combobox", name="Preset")).to_have_value("d2l")
    for key in ("main_k_channels", "main_k_height", "main_k_width", "main_k_classes"):
        expect(sidebar.locator(f".st-key-{key} input")).to_be_visible()
    for stage, count in (("b3", 2), ("b4", 5), ("b5", 2)):
        expect(sidebar.locator(f".st-key-main_k_count_{stage}")).to_be_visible()
        assert app.slider_value(f"main_k_count_{stage}") == count
    for block in D2L_BLOCKS:
        expect(sidebar.locator(f".st-key-main_open_{block} summary")).to_be_visible()

    expect_totals(app, analysis().totals)
    assert drawn_blocks(app.svg_text(), list(D2L_BLOCKS)) == list(D2L_BLOCKS)
    assert page.locator("[data-testid=stSidebarNav] a").count() == 7
    assert_clean(app)


# --- knobs ------------------------------------------------------------------------------------------


def test_sliders_move_the_totals_and_the_diagram_to_the_cores_figures(app, timings):
    app.open()
    app.open_block("inception3a")
    c1 = "main_k_w_inception3a_c1_0"
    assert app.slider_value(c1) == 64
    timings["c1 slider, d2l"] = app.press(c1, "ArrowRight")
    assert app.slider_value(c1) == 65
    widths = (("inception3a", "c1", (65,)),)
    expect_totals(app, analysis(widths=widths).totals)
    # inception3a's output: 256 − 64 + 65 channels, on the diagram
    expect(app.svg()).to_contain_text("257×12×12")

    timings["b4 slider, d2l"] = app.press("main_k_count_b4", "ArrowRight")
    assert app.slider_value("main_k_count_b4") == 6
    a = analysis(counts=(("b4", 6),), widths=widths)
    expect_totals(app, a.totals)
    expect(app.svg()).to_contain_text("inception4e–f ×2")  # the added block repeats the last: folded
    names = [g.name for g in a.blocks]
    assert drawn_blocks(app.svg_text(), names) == names and "inception4f" in names

    app.units("exact")  # every digit: no two designs can look alike
    expect_totals(app, a.totals, "exact")
    assert query_of(app.page.url) == {"preset": "d2l", "b4": "6", "inception3a.c1": "65"}
    assert_clean(app)


def test_switching_presets_redraws_and_stays_responsive(app, timings):
    app.open()
    for preset, stage in (("inception-v3", "mixed6"), ("inception-resnet-v2", "inception_resnet_b")):
        a = analysis(preset)
        names = [g.name for g in a.blocks]
        t0 = time.perf_counter()
        app.pick("main_k_preset", preset)
        app.wait_drawn(containing=names[0])
        elapsed = timings[f"preset → {preset} drawn"] = time.perf_counter() - t0
        assert elapsed < HANG_S
        svg = app.svg_text()
        assert drawn_blocks(svg, names) == names and "inception3a" not in svg
        expect_totals(app, a.totals)

        # one more block in a stage: the blocks level redraws with it
        key = f"main_k_count_{stage}"
        n = app.slider_value(key)
        t0 = time.perf_counter()
        app.press(key, "ArrowRight")
        more = analysis(preset, counts=((stage, n + 1),))
        new = [g.name for g in more.blocks if g.name not in names]
        assert len(new) == 1
        # the new block repeats the stage's last one: drawn, or inside the folded run it joins
        every = [g.name for g in more.blocks]
        deadline = time.perf_counter() + HANG_S
        while drawn_blocks(app.svg_text(), every) != every:
            assert time.perf_counter() < deadline, f"{new[0]} never drawn"
            time.sleep(0.1)
        elapsed = timings[f"{stage} {n} → {n + 1}, {preset}"] = time.perf_counter() - t0
        assert elapsed < HANG_S
        expect_totals(app, more.totals)
    assert_clean(app)


# --- downloads --------------------------------------------------------------------------------------


def download(app: App, key: str, tmp_path):
    with app.page.expect_download() as info:
        app.page.locator(f".st-key-{key} button").click()
    d = info.value
    assert d.failure() is None, d.failure()
    path = tmp_path / d.suggested_filename
    d.save_as(path)
    return path


def test_every_download_reaches_the_browser_as_a_valid_file(app, tmp_path):
    app.open("?preset=d2l&b4=6&inception3a.c1=80")
    net = knobs.Tweaks("d2l", counts=(("b4", 6),), widths=(("inception3a", "c1", (80,)),)).apply()
    a = analyze(net)
    expect_totals(app, a.totals)
    shown_labels = app.svg().evaluate("s => Array.from(s.querySelectorAll('text'), t => t.textContent)")

    png = download(app, "main_fig_dl_png", tmp_path)
    assert re.fullmatch(r"d2l-custom-[0-9a-f]{6}-blocks\.png", png.name)
    with Image.open(png) as img:
        assert img.format == "PNG"
    w, h = assert_not_blank(png)
    # the picture shown: the same proportions as the page's SVG (Graphviz sizes in points)
    svg_w, svg_h = app.svg().evaluate("s => [s.width.baseVal.value, s.height.baseVal.value]")
    assert abs(w / h - svg_w / svg_h) < 0.02 * (svg_w / svg_h), ((w, h), (svg_w, svg_h))

    svg = download(app, "main_fig_dl_svg", tmp_path)
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    text = "".join(root.itertext())
    names = [g.name for g in a.blocks]
    assert drawn_blocks(text, names) == names and "inception4f" in names
    assert "272×12×12" in text  # inception3a's output with c1 = 80
    # the drawing on the page, label for label
    assert [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")] == shown_labels

    table = download(app, "main_fig_dl_csv", tmp_path)
    assert table.read_bytes().startswith("\ufeff".encode("utf-8"))  # "CSV for Excel" is on by default
    with open(table, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == tuple(report.CSV_COLUMNS)
    assert len(rows) - 1 == len(a.layers)
    params = rows[0].index("params")
    assert sum(int(r[params]) for r in rows[1:]) == a.totals.params

    saved = download(app, "main_dl_json", tmp_path)
    assert config.loads(saved.read_bytes()) == net

    code = download(app, "main_dl_py", tmp_path)
    assert re.fullmatch(r"d2l_custom_[0-9a-f]{6}_model\.py", code.name)
    script = (
        "import runpy, sys; m = runpy.run_path(sys.argv[1]); model = m['build_model']();"
        "print(sum(p.numel() for p in model.parameters()))"
    )
    out = subprocess.run([PYTHON, "-c", script, str(code)], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    assert int(out.stdout.split()[-1]) == a.totals.params
    assert_clean(app)


# --- errors are shown, and the app recovers ----------------------------------------------------------


@pytest.mark.parametrize(
    "preset, size, fix",
    [("inception-v3", 32, "button"), ("googlenet", 32, "typed")],
)
def test_a_too_small_input_names_the_layer_and_the_smallest_size_then_recovers(app, preset, size, fix):
    app.open(f"?preset={preset}")
    original = app.svg_text()
    with pytest.raises(InputTooSmall) as info:
        analysis(preset, input=(3, size, size))
    err = info.value
    h, w = err.min_size

    app.number("main_k_height", size)
    app.number("main_k_width", size)
    errors = app.errors()
    assert len(errors) == 1, errors
    assert err.layer in errors[0] and f"{h}×{w}" in errors[0] and f"3×{size}×{size}" in errors[0], errors[0]
    expect_totals(app, analysis(preset).totals)  # the last valid network stays on show
    assert app.svg_text() == original
    assert_clean(app, allow_errors=True)

    if fix == "button":
        button = app.page.locator(".st-key-main_fix_input button")
        expect(button).to_have_text(f"Use the smallest input, 3×{h}×{w}")
        app.rerun(button.click)
        fixed = (3, h, w)
    else:
        fixed = tuple(analysis(preset).network.input)
        app.number("main_k_height", fixed[1])
        app.number("main_k_width", fixed[2])
    expect(app.page.locator("[data-testid=stAlertContentError]")).to_have_count(0)
    expect_totals(app, analysis(preset, input=fixed).totals)
    app.wait_drawn(containing=f"{fixed[0]}×{fixed[1]}×{fixed[2]}")
    assert_clean(app)


def test_knobs_drawn_late_show_the_design_and_the_next_move_keeps_it(app):
    """On a slow computer or a busy server the sidebar's widget code can arrive after the user
    has already touched the page: here the slider's and number input's code is held back
    until a click in the main area has rerun the app."""
    held = []
    app.page.route(re.compile(r".*/static/js/(Slider|NumberInput)\.[^/]*\.js$"), lambda route: held.append(route))
    app.open("?preset=d2l&inception3a.c1=40")
    app.units("exact")
    assert held, "the widget code was not requested"
    for route in held:
        route.continue_()
    app.slider("main_k_count_b5").wait_for(state="attached")
    app.page.locator(".st-key-main_k_height input").wait_for(state="attached")
    inputs = {k: app.page.locator(f".st-key-main_k_{k} input").input_value() for k in ("height", "classes", "multiplier", "count_b4", "count_b5")}
    moved = app.press("main_k_count_b5", "ArrowRight")
    assert moved < HANG_S
    link = query_of(app.page.url)
    assert (inputs, link) == (
        {"height": "96", "classes": "10", "multiplier": "1", "count_b4": "5", "count_b5": "2"},
        {"preset": "d2l", "inception3a.c1": "40", "b5": "3"},
    )


# --- links --------------------------------------------------------------------------------------------


def test_a_shared_link_opens_the_same_design(new_app):
    first = new_app().open()
    first.press("main_k_count_b4", "ArrowLeft")
    first.press("main_k_count_b5", "ArrowRight")
    first.units("exact")
    t = analysis(counts=(("b4", 4), ("b5", 3))).totals
    expect_totals(first, t, "exact")
    link = first.page.url
    assert query_of(link) == {"preset": "d2l", "b4": "4", "b5": "3"}

    second = new_app()  # another browser: nothing shared but the link
    second.page.goto(link)
    second.wait_ready("Inception Studio", diagram=True)
    second.units("exact")
    expect_totals(second, t, "exact")
    assert {k: second.metric(k).inner_text() for k in TOTALS} == {k: first.metric(k).inner_text() for k in TOTALS}
    assert (second.slider_value("main_k_count_b4"), second.slider_value("main_k_count_b5")) == (4, 3)
    names = [g.name for g in analysis(counts=(("b4", 4), ("b5", 3))).blocks]
    assert drawn_blocks(second.svg_text(), names) == names and "inception4e" not in second.svg_text()
    assert_clean(first)
    assert_clean(second)


def test_a_malformed_link_says_what_was_ignored(app):
    app.open("?preset=nope&inception3a.c1=-5&input=abc")
    (warning,) = app.warnings()
    assert "preset=nope" in warning and "is not a preset" in warning and "showing d2l" in warning
    assert query_of(app.page.url) == {"preset": "d2l"}
    expect_totals(app, analysis().totals)
    assert_clean(app)

    app.open("?preset=d2l&inception3a.c1=-5&input=abc&b4=many")
    warnings = " ".join(app.warnings())
    for part in ("inception3a.c1=-5", "input=abc", "b4=many"):
        assert part in warnings, warnings
    expect_totals(app, analysis().totals)
    assert_clean(app)


# --- every page, seen -----------------------------------------------------------------------------------

PAGES = [
    # (navigation label, page title, what the page has drawn when it is ready)
    ("Architecture", "Inception Studio", ".st-key-main_diagram_box [data-testid=diagram]"),
    ("Inception block", "Inception block", ".st-key-block_diagram_box [data-testid=diagram]"),
    ("Compare", "Compare", "[data-testid=stDataFrame]"),
    ("Family", "Family", ".st-key-family_diagram_d2l_box [data-testid=diagram]"),
    ("Code & checks", "Code & checks", "[data-testid=stCode]"),
]


def test_every_page_renders_and_is_not_blank(app):
    app.open()
    for i, (link, title, ready) in enumerate(PAGES, 1):
        if i > 1:
            app.navigate(link)
        if ready.endswith("[data-testid=diagram]"):
            app.wait_drawn(ready)
        else:
            expect(app.page.locator(ready).first).to_be_visible()
        if title == "Code & checks":
            expect(app.page.locator("[data-testid=stAlertContentSuccess]")).to_contain_text("agree with torchinfo")
        assert_clean(app)
        # the entry point draws one language picker for every page
        expect(app.page.locator("[data-testid=stSidebar] .st-key-lang_picker")).to_have_count(1)
        slug = re.sub(r"[^a-z0-9]+", "-", link.lower()).strip("-")
        shot = app.full_screenshot(SCREENSHOTS / f"{i}-{slug}.png")
        assert_not_blank(shot)
