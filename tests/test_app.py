"""The app headless (Streamlit's AppTest): every page renders, the knobs move the totals to
what the core (and PyTorch) says, the diagram follows, errors are shown and never raised,
downloads are valid files, and a link restores a design."""

from __future__ import annotations

import csv
import io
import html
import json
import subprocess
import sys
import traceback
from pathlib import Path

import pytest
from PIL import Image
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from googlenet import analyze, config, get_preset
from googlenet.build import build
from ui import state

from .md import shown

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGES = ["pages/block.py", "pages/compare.py", "pages/family.py", "pages/code.py"]
TIMEOUT = 90


@pytest.fixture
def media(monkeypatch) -> list[MediaFileManager]:
    """The media file managers of each run, so the tests can read what a download serves."""
    made: list[MediaFileManager] = []

    class Recording(MediaFileManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr("streamlit.testing.v1.app_test.MediaFileManager", Recording)
    return made


def run(query: dict[str, str] | None = None, page: str | None = None, theme: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if query:
        at.query_params.update(query)
    if theme:
        at.context = {"theme": theme}
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_block(at: AppTest, block: str) -> AppTest:
    """Open a block's expander in the sidebar (its width sliders render only when open)."""
    at.session_state[f"main_open_{block}"] = True
    at.run()
    assert not at.exception
    return at


def metric(at: AppTest, label: str):
    (m,) = [m for m in at.metric if m.label == label]
    return m


def diagrams(at: AppTest) -> list[dict]:
    """The data each diagram component was given (its SVG, legend, marks), in page order."""
    return [json.loads(e.proto.json) for e in at.get("bidi_component") if e.proto.component_name == "inception_studio_diagram"]


def diagram_html(at: AppTest, index: int = 0) -> str:
    """The SVG a diagram component shows, with its legend's words."""
    d = diagrams(at)[index]
    return d["svg"] + "".join(f"<span>{html.escape(label)}</span>" for label, _color in d["legend"])


def download(at: AppTest, media: list[MediaFileManager], key: str) -> tuple[bytes, str]:
    """The bytes a download button serves and its file name (deferred ones are generated)."""
    (button,) = [b for b in at.get("download_button") if b.key == key]
    mgr = media[-1]
    url = mgr.execute_deferred(button.proto.deferred_file_id) if button.proto.deferred_file_id else button.proto.url
    stored = mgr._storage.get_file(url.rsplit("/", 1)[1])
    return stored.content, stored.filename


def totals_of(design: state.Design):
    return analyze(design.network()).totals


# --- every page renders ---------------------------------------------------------------------


def test_main_page_renders():
    at = run()
    assert at.title[0].value == "Inception Studio"
    assert metric(at, "Params").value == "5.98 M"
    assert at.query_params == {"preset": ["d2l"]} or dict(at.query_params) == {"preset": "d2l"}
    html = diagram_html(at)
    assert "<svg" in html and "inception3a" in html
    assert not at.error


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(page):
    at = run(page=page)
    assert at.title[0].value in ("Inception block", "Compare", "Family", "Code & checks")
    assert not at.error


@pytest.mark.parametrize("preset", ["googlenet", "inception-bn", "inception-v3", "inception-v4", "inception-resnet-v2"])
def test_main_page_renders_every_family_member(preset):
    at = run({"preset": preset})
    t = totals_of(state.from_preset(preset))
    assert f"{t.params:,}" in metric(at, "Params").proto.help
    assert not at.error


# --- knobs move the totals to the core's (and PyTorch's) figures -----------------------------


def test_c1_slider_changes_totals_and_diagram():
    at = open_block(run(), "inception3a")
    assert len(at.slider) == 4 + 6  # multiplier, three counts; c1, c2 (2), c3 (2), c4
    at.slider(key="main_k_w_inception3a_c1_0").set_value(80).run()
    assert not at.exception
    expected = state.with_block_width(state.from_preset("d2l"), "inception3a", "c1", (80,))
    net = expected.network()
    t = analyze(net).totals
    assert f"{t.params:,}" in metric(at, "Params").proto.help
    assert f"{t.macs:,}" in metric(at, "MACs").proto.help
    assert t.params == sum(p.numel() for p in build(net, "meta").parameters())
    assert metric(at, "Params").delta.startswith("+")  # the delta against the preset
    assert "272×12×12" in diagram_html(at)  # inception3a's output: 256 − 64 + 80 channels
    assert dict(at.query_params) in ({"preset": "d2l", "inception3a.c1": "80"}, {"preset": ["d2l"], "inception3a.c1": ["80"]})


def test_block_count_slider_changes_totals_and_diagram():
    at = run()
    at.slider(key="main_k_count_b4").set_value(7).run()
    expected = state.with_count(state.from_preset("d2l"), "b4", 7)
    t = totals_of(expected)
    assert f"{t.params:,}" in metric(at, "Params").proto.help
    assert metric(at, "Depth").value == str(t.depth)
    assert t.params == sum(p.numel() for p in build(expected.network(), "meta").parameters())
    assert "inception4g" in diagram_html(at)
    # the new block got its own width sliders, seeded from the block it copies (inception4e)
    assert open_block(at, "inception4g").slider(key="main_k_w_inception4g_c1_0").value == 256


def test_width_multiplier_and_input_knobs():
    at = run({"preset": "inception-v3"})
    at.slider(key="main_k_multiplier").set_value(0.5).run()
    at.number_input(key="main_k_height").set_value(160).run()
    at.number_input(key="main_k_width").set_value(160).run()
    expected = state.with_input(state.with_width_multiplier(state.from_preset("inception-v3"), 0.5), (3, 160, 160))
    assert f"{totals_of(expected).params:,}" in metric(at, "Params").proto.help
    assert at.query_params["width"] in ("0.5", ["0.5"]) and at.query_params["input"] in ("3x160x160", ["3x160x160"])


def test_preset_picker_and_reset():
    at = run({"preset": "d2l", "b4": "3"})
    assert at.slider(key="main_k_count_b4").value == 3
    at.button(key="main_reset").click().run()
    assert at.slider(key="main_k_count_b4").value == 5
    at.selectbox(key="main_k_preset").select("inception-resnet-v2").run()
    assert not at.exception
    assert metric(at, "Params").value == "55.8 M"
    assert at.slider(key="main_k_count_inception_resnet_a").value == 10
    open_block(at, "block35_1")
    assert at.slider(key="main_k_scale_block35_1").value == pytest.approx(0.17)
    at.slider(key="main_k_scale_block35_1").set_value(0.3).run()
    assert at.query_params["block35_1.scale"] in ("0.3", ["0.3"])


# --- errors are shown, never raised --------------------------------------------------------------


def test_too_small_input_shows_the_fix_and_keeps_the_last_network():
    at = run({"preset": "inception-v3"})
    at.number_input(key="main_k_height").set_value(32).run()
    assert not at.exception
    (err,) = at.error
    assert "input" in shown(err.value) and "the smallest input is 75×75" in shown(err.value)
    assert metric(at, "Params").value == "23.8 M"  # the last valid network is still shown
    assert "<svg" in diagram_html(at) and "3×299×299" in diagram_html(at)
    (fix,) = [b for b in at.button if b.key == "main_fix_input"]
    assert fix.label == "Use the smallest input, 3×75×75"
    fix.click().run()
    assert not at.error
    assert at.number_input(key="main_k_height").value == 75 and at.number_input(key="main_k_width").value == 75
    assert "3×75×75" in diagram_html(at)


def test_without_graphviz_the_browser_draws_the_diagram(monkeypatch):
    from googlenet.render import GraphvizMissing

    def missing(*args, **kwargs):
        raise GraphvizMissing()

    monkeypatch.setattr("ui.studio.diagram_file", missing)
    monkeypatch.setattr("ui.studio.block_svg", missing)
    monkeypatch.setattr("ui.figures.find_dot", missing)  # the downloads ask for dot themselves
    at = run()
    assert any("Graphviz" in w.value for w in at.warning)
    assert "inception3a" in at.get("graphviz_chart")[0].proto.spec
    assert [b.proto.disabled for b in at.get("download_button") if b.key in ("main_fig_dl_png", "main_fig_dl_svg")] == [True, True]
    at.switch_page("pages/block.py").run()
    assert not at.exception and at.get("graphviz_chart")


def test_other_pages_warn_about_an_invalid_design():
    at = run({"preset": "inception-v4", "input": "3x32x32"})
    assert at.error and not at.exception
    at.switch_page("pages/block.py").run()
    assert not at.exception
    assert any("invalid" in w.value for w in at.warning)


# --- the link -------------------------------------------------------------------------------------


def test_a_shared_link_restores_the_design():
    query = {"preset": "inception-v3", "input": "3x320x320", "mixed6": "6", "Mixed_6b.branch7x7": "160,160,192"}
    at = run(query)
    expected = state.from_query(query).design
    assert state.to_query(expected) == query
    assert f"{totals_of(expected).params:,}" in metric(at, "Params").proto.help
    assert at.slider(key="main_k_count_mixed6").value == 6
    assert open_block(at, "Mixed_6b").slider(key="main_k_w_Mixed_6b_branch7x7_0").value == 160
    assert {k: at.query_params[k] for k in query} in (query, {k: [v] for k, v in query.items()})
    # and the other pages show the same design
    at.switch_page("pages/code.py").run()
    assert "inception-v3 (modified)" in shown(at.caption[0].value)


def test_a_malformed_link_shows_a_message_and_falls_back():
    at = run({"preset": "d2l", "b4": "abc", "inception3a.c1": "0"})
    messages = " ".join(w.value for w in at.warning)
    assert "b4=abc" in shown(messages) and "inception3a.c1=0" in shown(messages)
    assert metric(at, "Params").value == "5.98 M"
    at = run({"preset": "resnet50"})
    assert "resnet50" in shown(at.warning[0].value) and metric(at, "Params").value == "5.98 M"


# --- downloads ----------------------------------------------------------------------------------------


def test_downloads_are_valid_files(media, tmp_path):
    query = {"preset": "d2l", "b4": "6", "inception3a.c1": "80"}
    at = run(query)
    design = state.from_query(query).design
    net = design.network()
    a = analyze(net)

    png, name = download(at, media, "main_fig_dl_png")
    assert name.startswith("d2l-custom-") and name.endswith("-blocks.png")
    img = Image.open(io.BytesIO(png))
    img.load()
    assert img.format == "PNG" and img.size[0] > 100

    svg, name = download(at, media, "main_fig_dl_svg")
    assert name.endswith("-blocks.svg") and b"<svg" in svg and "inception4f" in svg.decode()
    # the same picture the page shows
    assert svg.decode()[svg.decode().find("<svg"):] in diagram_html(at)

    text, name = download(at, media, "main_fig_dl_csv")
    assert name.endswith("-layers.csv")
    rows = list(csv.DictReader(io.StringIO(text.decode())))
    assert len(rows) == len(a.layers) and sum(int(r["params"]) for r in rows) == a.totals.params

    text, name = download(at, media, "main_dl_json")
    assert name.endswith("-config.json") and config.loads(text) == net
    json.loads(text)

    code, name = download(at, media, "main_dl_py")
    assert name.startswith("d2l_custom_") and name.endswith("_model.py")
    path = tmp_path / name
    path.write_bytes(code)
    script = (
        "import runpy, sys; m = runpy.run_path(sys.argv[1]); model = m['build_model']();"
        "print(sum(p.numel() for p in model.parameters()))"
    )
    out = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=120, check=True)
    assert int(out.stdout.split()[-1]) == a.totals.params


def test_an_unmodified_preset_has_plain_file_names(media):
    at = run({"preset": "inception-v3"})
    assert download(at, media, "main_fig_dl_csv")[1] == "inception-v3-layers.csv"
    assert download(at, media, "main_dl_json")[1] == "inception-v3-config.json"
    assert download(at, media, "main_dl_py")[1] == "inception_v3_model.py"  # an importable module name


# --- config import ------------------------------------------------------------------------------------


def test_importing_a_config_sets_the_design():
    net = state.with_count(state.from_preset("googlenet"), "b4", 4).network()
    at = run()
    at.file_uploader(key="main_upload").upload("mine.json", config.dumps(net).encode(), "application/json").run()
    assert not at.exception and not at.error
    assert f"{analyze(net).totals.params:,}" in metric(at, "Params").proto.help
    assert at.selectbox(key="main_k_preset").value == "googlenet"
    assert at.query_params["b4"] in ("4", ["4"])


def test_importing_a_bad_config_names_the_field():
    bad = json.loads(config.dumps(state.from_preset("d2l").network()))
    (block,) = [it for it in bad["stages"][2]["items"] if it["name"] == "inception3a"]
    block["c1"] = "sixty-four"
    at = run()
    at.file_uploader(key="main_upload").upload("bad.json", json.dumps(bad).encode(), "application/json").run()
    assert not at.exception
    (err,) = at.error
    assert "inception3a.c1" in shown(err.value) and "whole number" in shown(err.value)
    assert metric(at, "Params").value == "5.98 M"


# --- the other pages ---------------------------------------------------------------------------------


def test_block_page_shows_the_lessons():
    at = run({"preset": "inception-v3"}, page="pages/block.py")
    at.selectbox(key="block_name").select("Mixed_6b").run()
    assert not at.exception
    assert "Mixed_6b" in diagram_html(at)
    frames = at.dataframe
    assert len(frames) == 3  # paths, reduce, factorise
    factorised = frames[2].value
    assert list(factorised["Instead"]) == ["7×7, 128→192", "7×7, 128→128", "7×7, 128→192"]


def test_block_page_for_the_lecture_block():
    at = run(page="pages/block.py")
    assert at.selectbox(key="block_name").value == "inception3a"
    reduce = at.dataframe[1].value
    assert list(reduce["Instead"]) == ["3×3, 192→128", "5×5, 192→32"]
    assert any("no factorised pairs" in i.value for i in at.info)


def test_compare_page_copy_and_swap():
    at = run({"preset": "d2l", "b4": "7"}, page="pages/compare.py")
    table = at.dataframe[0].value
    a, b = totals_of(state.from_query({"preset": "d2l", "b4": "7"}).design), totals_of(state.from_preset("googlenet"))
    params = table[table[""] == "Params"].iloc[0]
    assert params["A"] != params["B"]
    assert "the design from the Architecture page" in at.caption[1].value  # A follows the edited design
    at.button(key="compare_swap").click().run()
    assert at.selectbox(key="compare_a_preset").value == "googlenet"
    at.button(key="compare_copy").click().run()
    assert at.selectbox(key="compare_b_preset").value == "googlenet"
    table = at.dataframe[0].value
    assert set(table["B − A"].iloc[:7]) == {"0"}
    assert any("same output shape" in s.value for s in at.success)
    assert a.params != b.params


def test_family_page_lists_every_preset():
    at = run(page="pages/family.py")
    table = at.table[0].value
    assert {"d2l", "googlenet", "inception-bn", "inception-v3", "inception-v4", "inception-resnet-v2"} <= set(table.index)
    assert len(diagrams(at)) == len(table)


def test_code_page_checks_and_latency():
    at = run({"preset": "d2l", "input": "1x64x64"}, page="pages/code.py")
    assert "def build_model(" in at.code[0].value
    verdicts = at.table[0].value["Verdict"]
    assert set(verdicts) == {"agrees"}
    at.button(key="code_measure").click().run()
    assert not at.exception and not at.error
    assert metric(at, "Median latency").value.endswith("ms")


def test_code_page_refuses_a_network_too_large_to_run():
    at = run({"preset": "googlenet", "input": "3x4096x4096", "width": "4"}, page="pages/code.py")
    at.button(key="code_measure").click().run()
    assert not at.exception
    assert any("too large to run" in e.value for e in at.error)


def test_dark_theme_draws_a_dark_diagram():
    at = run(theme="dark")
    assert "#0E1117" in diagram_html(at) or "#0e1117" in diagram_html(at).lower()


def test_a_drawing_that_failed_fails_again_from_the_cache_without_running_dot(monkeypatch):
    """A link whose drawing cost ``dot`` its time once must not cost it again on every rerun."""
    from googlenet.render import RenderError
    from ui import studio

    runs = []

    def slow_failure(dot, fmt):
        runs.append(fmt)
        raise RenderError("`dot` took longer than 120 s; try a collapsed level or --expand")

    monkeypatch.setattr("ui.studio.render", slow_failure)
    studio._diagram_outcome.cache_clear()
    net = get_preset("googlenet")
    raised = []
    for _ in range(3):
        with pytest.raises(RenderError, match="longer than") as info:
            studio.diagram_file(net, "layers", None, "kind", False, "light", "svg")
        raised.append(info.value)
    assert runs == ["svg"]
    # each rerun gets an exception of its own: a cached one would gather every raise's frames
    assert len({id(e) for e in raised}) == 3
    assert len(traceback.extract_tb(raised[-1].__traceback__)) == len(traceback.extract_tb(raised[0].__traceback__))
    studio._diagram_outcome.cache_clear()


def test_a_busy_server_is_not_remembered_as_a_failed_drawing(monkeypatch):
    from googlenet.render import RenderBusy
    from ui import studio

    runs = []

    def busy_then_drawn(dot, fmt):
        runs.append(fmt)
        if len(runs) == 1:
            raise RenderBusy("the server is drawing 2 diagrams already; try again in a moment")
        return b"<svg/>"

    monkeypatch.setattr("ui.studio.render", busy_then_drawn)
    studio._diagram_outcome.cache_clear()
    net = get_preset("googlenet")
    with pytest.raises(RenderBusy):
        studio.diagram_file(net, "layers", None, "kind", False, "light", "svg")
    assert studio.diagram_file(net, "layers", None, "kind", False, "light", "svg") == b"<svg/>"
    assert runs == ["svg", "svg"]
    studio._diagram_outcome.cache_clear()
