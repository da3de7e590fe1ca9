"""Figures a teacher puts on a slide, measured on Graphviz's real output (``dot -Tjson``
geometry and the PNG files themselves): the aspect of every preset at every level and
orientation, cut and crossed labels, the smallest text at 2×, folded repeats, the one
legend, Chinese labels, the bound on drawing size, and the CSV for Excel.

The 2× PNGs of the networks a lecture shows (the lecture's, Inception-ResNet-v2 and the
book's DenseNet) are kept in build/figures/ to be looked at."""

from __future__ import annotations

import csv
import io
import re
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from googlenet import analyze, get_preset, knobs, preset_names, report
from googlenet.cli import main
from googlenet.errors import SpecError
from googlenet.render import LEVELS, MAX_NODES, ORIENTATIONS, block_dot, export, layout as L, legend, render, to_dot
from googlenet.render.palette import THEME_COLORS
from tests.figures import crossings, layout, share_changed_without_cjk_fonts

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build" / "figures"
LOOKED_AT = ("d2l", "inception-resnet-v2", "d2l-densenet")
needs_dot = pytest.mark.skipif(export.shutil.which("dot") is None, reason="Graphviz `dot` is not installed")

CASES = [(p, lv, o) for p in preset_names() for lv in LEVELS for o in ORIENTATIONS]


def ranks(lay, orientation: str) -> int:
    """How many ranks the drawing has: distinct positions of node centres along the chain."""
    axis = 0 if orientation == "lr" else 1
    return len({round((b[axis] + b[axis + 2]) / 2) for b in lay.nodes.values()})


def drawn_fills(lay, theme: str = "light") -> set[str]:
    """The colours nodes are filled with, less the theme's own node and page colours."""
    th = THEME_COLORS[theme]
    plain = {th.node.lower(), th.page.lower()}
    return {c for fills in lay.fills.values() for c in fills} - plain


# --- every preset, level and orientation ----------------------------------------------------


@needs_dot
@pytest.mark.parametrize("name, level, orientation", CASES)
def test_default_figure_is_slide_ready(name, level, orientation):
    a = analyze(get_preset(name))
    dot = to_dot(a, level, orientation=orientation)
    lay = layout(dot)
    png = render(dot, "png")  # the default export
    w, h = png.size
    Image.open(io.BytesIO(png)).load()
    wrapped = "to1" in lay.nodes
    if wrapped:
        assert L.ASPECT_LO <= w / h <= L.ASPECT_HI, f"{w}×{h} px is {w / h:.2f} : 1"
    else:  # a short chain stays as it is: at most a slide's height of ranks
        assert ranks(lay, orientation) <= L.MAX_UNWRAPPED_RANKS, "a long chain was left unwrapped"
    # nothing is cut short, and no edge runs through a title, a label or a node
    assert not [t.text for t in lay.texts if t.text.rstrip().endswith(("…", "..."))]
    assert crossings(lay) == []
    # one legend: exactly the colours drawn, and what legend() tells the page
    assert lay.legend_fills == drawn_fills(lay)
    assert lay.legend_fills == {c.lower() for _, c in legend("kind", a, level)}
    # the smallest text, in the 2× PNG, is at least 12 pixels high: the dpi export gives
    # this drawing at 2× (lowered only past the pixel limits; test_2x_png_is_what_fit_dpi_says)
    dpi, _ = export.fit_dpi(lay.width, lay.height, 2 * export.DEFAULT_DPI)
    assert dpi / 72 * min(t.size for t in lay.texts) >= 12
    assert abs(w / ((lay.width + 28.8) * png.dpi / 72) - 1) < 0.01  # the PNG is this layout
    if name in LOOKED_AT:
        BUILD.mkdir(parents=True, exist_ok=True)
        (BUILD / f"{name}-{level}-{orientation}.png").write_bytes(png)


@needs_dot
def test_2x_png_is_what_fit_dpi_says():
    """The largest preset's layers level at 2×: the real PNG has the pixels and dpi that
    fit_dpi predicts from the layout, and its smallest text is at least 12 pixels high."""
    dot = to_dot(analyze(get_preset("inception-resnet-v2")), "layers")
    lay = layout(dot)
    big = render(dot, "png", scale=2)
    dpi, notes = export.fit_dpi(lay.width, lay.height, 192)
    assert big.dpi == dpi and list(big.notes) == notes
    assert abs(big.size[0] - (lay.width + 28.8) * dpi / 72) <= 2
    assert big.scale * min(t.size for t in lay.texts) >= 12
    Image.open(io.BytesIO(big)).load()


@needs_dot
@pytest.mark.parametrize("name, level, orientation", [(p, lv, o) for p in preset_names() for lv in ("blocks", "layers") for o in ("tb", "lr")])
def test_the_wrapping_does_the_work_not_the_stretching(name, level, orientation):
    """Graphviz's ``ratio`` spreads a drawing to the chosen aspect; the columns must already
    be near it, so that a figure is not half empty space."""
    dot = to_dot(analyze(get_preset(name)), level, orientation=orientation)
    m = re.search(r", ratio=([0-9.]+)", dot)
    if m is None:
        return  # unwrapped (checked above): nothing is stretched
    loose = layout(dot.replace(m.group(0), ""))
    tight = layout(dot)
    stretch = max(tight.width / loose.width, tight.height / loose.height)
    assert stretch <= 1.25, f"stretched {stretch:.2f}×"


@needs_dot
@pytest.mark.parametrize("name, level, orientation", [("d2l", "stages", "tb"), ("d2l", "blocks", "bt"), ("d2l", "layers", "lr"),
                                                       ("inception-resnet-v2", "blocks", "tb"), ("inception-v3", "layers", "tb"),
                                                       ("d2l-lenet", "layers", "lr")])
def test_fit_16_9_makes_a_slide(name, level, orientation):
    dot = to_dot(analyze(get_preset(name)), level, orientation=orientation, fit="16:9")
    png = render(dot, "png")
    assert abs(png.size[0] / png.size[1] / (16 / 9) - 1) < 0.04, png.size
    assert crossings(layout(dot)) == []


@needs_dot
def test_orientations_put_the_input_where_they_say():
    a = analyze(get_preset("d2l"))
    for orientation, axis, first in (("tb", 1, "greater"), ("bt", 1, "less"), ("lr", 0, "less")):
        lay = layout(to_dot(a, "blocks", orientation=orientation))
        # the input and the first layer: y grows upwards in Graphviz's coordinates
        i, r = lay.nodes["input"], lay.nodes["r0"]
        ci, cr = (i[axis] + i[axis + 2]) / 2, (r[axis] + r[axis + 2]) / 2
        assert (ci > cr) if first == "greater" else (ci < cr), orientation
    for orientation in ORIENTATIONS:
        dot = block_dot(a, "inception3a", orientation=orientation)
        lay = layout(dot)
        cat = next(n for n, b in lay.nodes.items() if n.startswith("r") and any(t.text == "concat" for t in lay.texts if t.owner == n))
        i, c = lay.nodes["input"], lay.nodes[cat]
        if orientation == "bt":  # the book's figure: input at the bottom, the concat on top
            assert i[3] < c[1]
        elif orientation == "tb":
            assert i[1] > c[3]
        else:
            assert i[2] < c[0]
        assert crossings(lay) == []


# --- folded repeats ---------------------------------------------------------------------------


def node_ids(dot: str) -> set[str]:
    return set(re.findall(r"^\s*(\w+) \[", dot, re.M)) - {"graph", "node", "edge"}


def chain_ids(dot: str) -> set[str]:
    """Nodes of layers, blocks, folds and stages (not connectors or spacers)."""
    return {i for i in node_ids(dot) if re.fullmatch(r"[rbfst]\d+", i)}


@pytest.mark.parametrize("name", preset_names())
def test_folded_nodes_expand_to_exactly_their_blocks(name):
    net = get_preset(name)
    a = analyze(net)
    folded, flat = to_dot(a, "blocks"), to_dot(a, "blocks", fold=False)
    start = {}  # row of each block's first layer → the block
    for g in a.blocks:
        start[f"b{next(i for i, r in enumerate(a.layers) if r.block == g.name)}"] = g
    order = [b.name for b in net.blocks()]
    f_nodes = sorted(chain_ids(folded) - chain_ids(flat), key=lambda i: int(i[1:]))
    opened = chain_ids(flat) - chain_ids(folded)
    claimed = set()
    for f in f_nodes:
        label = re.search(rf"^\s*{f} \[.*?tooltip=\"(\d+) equal .*? blocks, ([^:]*):", folded, re.M)
        count, names = int(label.group(1)), label.group(2).split(", ")
        assert count == len(names) >= 2
        blocks = [b for b in net.blocks() if b.name in names]
        # consecutive, in one stage, equal but for their names
        assert order[order.index(names[0]) : order.index(names[0]) + count] == names
        assert len({a.block(n).stage for n in names}) == 1
        assert all(replace(b, name="") == replace(blocks[0], name="") for b in blocks)
        ids = {i for i, g in start.items() if g.name in names}
        assert f"b{f[1:]}" in ids and len(ids) == count
        claimed |= ids
    assert opened == claimed  # what fold=False draws beyond the folded drawing: exactly their blocks
    # a run is never left unfolded: neighbours drawn on their own differ
    drawn = [g for i, g in start.items() if i in chain_ids(folded)]
    for g1, g2 in zip(drawn, drawn[1:]):
        b1, b2 = g1.layer, g2.layer
        if g1.stage == g2.stage and order.index(b2.name) == order.index(b1.name) + 1:
            assert replace(b1, name="") != replace(b2, name="")


@needs_dot
def test_fold_labels_and_expanding_inside_a_run():
    a = analyze(get_preset("inception-resnet-v2"))
    texts = " ".join(t.text for t in layout(to_dot(a, "blocks")).texts)
    assert "block17_1–20 ×20" in texts and "block35_1–10 ×10" in texts and "block8_1–9 ×9" in texts
    dot = to_dot(a, "blocks", expand="block17_5")
    texts = " ".join(t.text for t in layout(dot).texts)
    assert "block17_1–4 ×4" in texts and "block17_6–20 ×15" in texts and "block17_5" in texts
    assert "block17_1–20" not in texts


# --- size bound and concurrent dot ------------------------------------------------------------


def big_network():
    """The largest Inception-ResNet-v2 the limits allow in its repeated stages."""
    net = get_preset("inception-resnet-v2")
    for stage in ("inception_resnet_a", "inception_resnet_b", "inception_resnet_c"):
        net = knobs.set_block_count(net, stage, 128)
    return net


def test_a_drawing_too_large_to_lay_out_is_refused_with_the_way_out(tmp_path, capsys):
    a = analyze(big_network())
    t0 = time.process_time()
    with pytest.raises(SpecError) as err:
        to_dot(a, "layers")
    assert time.process_time() - t0 < 1.0  # refused before any drawing work
    assert err.value.field == "level" and err.value.code == "diagram.too_large"
    assert "blocks level" in str(err.value) and f"{MAX_NODES:,}" in str(err.value)
    dot = to_dot(a, "blocks")  # what the message offers: 396 blocks folded into a handful of nodes
    assert len(chain_ids(dot)) < 40
    assert main(["export", "--config", str(_config(tmp_path, a.network)), "--level", "layers", "-o", str(tmp_path / "x.svg")]) == 2
    assert "blocks level" in capsys.readouterr().err


def _config(tmp_path, net):
    from googlenet import config

    path = tmp_path / "big.json"
    path.write_text(config.dumps(net), encoding="utf-8")
    return path


@needs_dot
def test_no_more_dot_processes_than_the_slots(monkeypatch):
    running, peak, lock = [0], [0], threading.Lock()
    real = export.subprocess.run

    def counted(*args, **kwargs):  # the real dot, counted while it runs
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(export.subprocess, "run", counted)
    dot = to_dot(analyze(get_preset("googlenet")), "layers")
    errors = []

    def work():
        try:
            render(dot, "svg")
        except Exception as e:  # noqa: BLE001 - collected and reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(3 * export.MAX_CONCURRENT)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and 1 <= peak[0] <= export.MAX_CONCURRENT


def test_a_busy_server_says_so(monkeypatch):
    monkeypatch.setattr(export, "RENDER_TIMEOUT", 0.05)
    taken = [export._SLOTS.acquire(timeout=1) for _ in range(export.MAX_CONCURRENT)]
    try:
        assert all(taken)
        with pytest.raises(export.RenderError, match="try again"):
            render("digraph { a }", "svg")
    finally:
        for _ in taken:
            export._SLOTS.release()


# --- scale, transparency, words, fonts ----------------------------------------------------------


@needs_dot
def test_scale_and_transparent_background():
    a = analyze(get_preset("d2l"))
    dot = to_dot(a, "stages")
    one, two, three = (render(dot, "png", scale=s) for s in (1, 2, 3))
    assert (one.dpi, two.dpi, three.dpi) == (96, 192, 288)
    assert abs(two.size[0] / one.size[0] - 2) < 0.02 and abs(three.size[0] / one.size[0] - 3) < 0.02
    for bad in (0, 4, 1.5, True):
        with pytest.raises(ValueError):
            render(dot, "png", scale=bad)
    with pytest.raises(ValueError):
        render(dot, "png", scale=2, dpi=100)
    opaque = Image.open(io.BytesIO(render(dot, "png"))).convert("RGBA")
    clear = Image.open(io.BytesIO(render(to_dot(a, "stages", transparent=True), "png"))).convert("RGBA")
    assert opaque.getpixel((2, 2))[3] == 255
    assert clear.getpixel((2, 2))[3] == 0  # the page is not painted
    alpha = clear.getchannel("A")
    assert alpha.getextrema() == (0, 255)  # the nodes still are


CHINESE = {
    "input": "输入",
    "classes": "{n} 个类别",
    "legend.kind": "层的种类",
    "legend.conv": "卷积层",
    "legend.avgpool": "平均汇聚层",
    "legend.dropout": "暂退法、展平",
    "legend.linear": "全连接层",
    "column.to": "第 {n} 列 ▸",
    "column.from": "▸ 接第 {n} 列",
}


@needs_dot
def test_words_are_replaceable():
    a = analyze(get_preset("d2l-lenet"))
    dot = to_dot(a, "layers", words=CHINESE)
    texts = [t.text for t in layout(dot).texts]
    assert "输入" in texts and "第 2 列 ▸" in texts and "▸ 接第 1 列" in texts
    assert any("10 个类别" in t for t in texts)
    assert ("卷积层", "#56B4E9") in legend("kind", a, "layers", words=CHINESE)
    assert "input" not in texts and "column 2 ▸" not in dot


@needs_dot
def test_chinese_labels_are_set_in_a_cjk_font_and_are_not_tofu(monkeypatch, tmp_path):
    a = analyze(get_preset("d2l-lenet"))
    dot = to_dot(a, "stages", words=CHINESE)
    svg = render(dot, "svg").decode()
    (text,) = re.findall(r"<text [^>]*>输入</text>", svg)
    assert "Noto Sans CJK SC" in re.search(r'font-family="([^"]*)"', text).group(1)
    # Graphviz measured it with the CJK font: each Han character is one em wide
    (measured,) = [t for t in layout(dot).texts if t.text == "层的种类:"]
    assert abs((measured.box[2] - measured.box[0]) - (4 * 9 + 9 * 0.337)) < 2.5  # 4 ems of 9 pt and a colon
    # the same drawing with fonts that have no Han glyphs draws boxes (tofu) instead
    changed = share_changed_without_cjk_fonts(dot, tmp_path, monkeypatch)
    assert changed > 0.01, f"only {changed:.2%} of the pixels differ: the Han text looks the same without a CJK font"


# --- the CLI ------------------------------------------------------------------------------------


@needs_dot
def test_cli_figure_options(tmp_path, capsys):
    out = tmp_path / "d2l.png"
    args = ["export", "d2l", "--level", "blocks", "--orientation", "bt", "--scale", "2", "--transparent", "--fit", "16:9", "-o", str(out)]
    assert main(args) == 0
    assert "192 dpi" in capsys.readouterr().out
    im = Image.open(out)
    assert im.mode == "RGBA" and abs(im.width / im.height / (16 / 9) - 1) < 0.04
    assert main(["export", "inception-resnet-v2", "--no-fold", "--format", "dot", "-o", "-"]) == 0
    assert "block17_1–20" not in capsys.readouterr().out
    assert main(["export", "d2l", "--block", "inception3a", "--orientation", "lr", "--format", "dot", "-o", "-"]) == 0
    assert 'rankdir="LR"' in capsys.readouterr().out
    assert main(["export", "d2l", "--scale", "2", "--dpi", "100", "-o", str(out)]) == 2
    assert "--scale" in capsys.readouterr().err
    assert main(["export", "d2l", "--block", "nope", "-o", str(tmp_path / "b.svg")]) == 2
    assert "inception3a" in capsys.readouterr().err


# --- CSV for Excel ------------------------------------------------------------------------------


def test_csv_for_excel_has_a_byte_order_mark():
    a = analyze(get_preset("d2l"))
    plain = report.to_csv(a)
    excel = report.to_csv_bytes(a, excel=True)
    assert excel.startswith(b"\xef\xbb\xbf") and not plain.startswith("\ufeff")
    text = excel.decode("utf-8-sig")
    assert text.replace("\r\n", "\n") == plain
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "name" and any("×" in cell for cell in rows[1])  # 1×96×96 reads as such
    assert report.to_csv_bytes(a) == plain.encode()


# --- the app's export controls (ui/figures.py) --------------------------------------------------


def _controls_page():
    import streamlit as st

    from googlenet import get_preset, knobs
    from ui import figures

    net = get_preset("inception-resnet-v2")
    if st.session_state.get("big"):
        for stage in ("inception_resnet_a", "inception_resnet_b", "inception_resnet_c"):
            net = knobs.set_block_count(net, stage, 128)
    fig = figures.figure_options("t")
    st.session_state["fig"] = fig
    figures.figure_downloads(net, "irv2", "layers" if st.session_state.get("big") else "blocks", None, "kind", False, "light", fig, "t")
    figures.block_downloads(net, "block17_1", "irv2", "light", fig, "tb")
    figures.csv_download(net, "irv2-layers.csv", fig, "t")


@needs_dot
def test_app_export_controls():
    from streamlit.testing.v1 import AppTest

    from ui import figures

    at = AppTest.from_function(_controls_page, default_timeout=60).run()
    assert not at.exception
    assert at.session_state["fig"] == figures.FigureOptions()
    keys = {b.key for b in at.get("download_button")}
    assert {"t_fig_dl_png", "t_fig_dl_svg", "t_fig_dl_pdf", "tb_fig_dl_png", "t_fig_dl_csv"} <= keys
    at.toggle(key="t_fig_fit").set_value(True).run()
    at.toggle(key="t_fig_transparent").set_value(True).run()
    at.get("segmented_control")[0].set_value("bt").run()
    at.get("segmented_control")[1].set_value(2).run()
    fig = at.session_state["fig"]
    assert fig == figures.FigureOptions("bt", 2, "16:9", True, True, True)
    png = figures.figure_file(get_preset("inception-resnet-v2"), "blocks", None, "kind", False, "light", fig, "png")
    im = Image.open(io.BytesIO(png))
    assert png.dpi == 192 and im.mode == "RGBA" and abs(im.width / im.height / (16 / 9) - 1) < 0.04
    assert figures.csv_bytes(get_preset("d2l"), True).startswith(b"\xef\xbb\xbf")
    # a drawing too large to lay out: the page says what to draw instead, and offers no files
    at.session_state["big"] = True
    at.run()
    assert not at.exception
    assert any("blocks level" in w.value for w in at.warning)
    assert "t_fig_dl_png" not in {b.key for b in at.get("download_button")}
