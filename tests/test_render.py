"""Diagrams: DOT at three levels, golden files, the real `dot`, legibility, escaping, CLI."""

from __future__ import annotations

import io
import os
import pickle
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from googlenet import analyze, get_preset, knobs, preset_names, render
from googlenet.cli import main
from googlenet.render import GraphvizMissing, RenderError, block_dot, export, layout, legend, network, palette, text, to_dot
from googlenet.spec import AdaptiveAvgPool, Block, Branch, Conv, Flatten, Linear, Network, Pool, SpecError, Stage

GOLDEN = Path(__file__).parent / "golden"
SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
ROOT = Path(__file__).resolve().parents[1]

needs_dot = pytest.mark.skipif(render.shutil.which("dot") is None, reason="Graphviz `dot` is not installed")


# --- helpers ------------------------------------------------------------------------------


def fresh(net: Network):
    """An analysis that bypasses analyze()'s cache, to prove output depends on the spec only."""
    return analyze.__wrapped__(net)


def with_aux(name: str) -> Network:
    net = get_preset(name)
    return replace(net, aux_enabled=True) if net.aux else net


def node_ids(dot: str) -> set[str]:
    return set(re.findall(r"^\s*(\w+) \[", dot, re.M)) - {"graph", "node", "edge"}


def edges(dot: str) -> list[tuple[str, str, str]]:
    """(source, target, attributes) of every drawn edge (not the invisible ordering ones)."""
    return [e for e in re.findall(r"^\s*(\w+) -> (\w+)(.*);$", dot, re.M) if "style=invis" not in e[2]]


def svg_texts(svg: bytes) -> list[str]:
    root = ET.fromstring(svg)  # also proves the SVG is well-formed XML
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def check_golden(name: str, text: str, overwrite: bool) -> None:
    path = GOLDEN / name
    if overwrite:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"no golden file {path}; run pytest --overwrite to create it"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file; run pytest --overwrite if the change is meant"


# --- a residual family with a split path, written out as data here so the golden files do not
# depend on presets that are still changing


def _test_residual(name: str) -> Block:
    """1×1 | 1×1→3×3 | 1×1→(1×3|3×1), projected, scaled and added to the input, then ReLU."""

    def conv(n, out, k, padding=(0, 0), stride=(1, 1)):
        return Conv(n, out, k, stride, padding)

    return Block(
        name,
        branches=(
            Branch("branch0", (conv("conv", 16, (1, 1)),)),
            Branch("branch1", (conv("conv1", 16, (1, 1)), conv("conv2", 24, (3, 3), (1, 1)))),
            Branch(
                "branch2",
                (conv("conv1", 8, (1, 1)),),
                split=(Branch("split1", (conv("conv", 8, (1, 3), (0, 1)),)), Branch("split2", (conv("conv", 8, (3, 1), (1, 0)),))),
            ),
            Branch("identity"),
        ),
        merge="add",
        project=Conv("project", None, (1, 1), act="none"),
        scale=0.2,
        act="relu",
    )


def _test_reduction(name: str) -> Block:
    """3×3 /2 | max pool 3×3 /2."""
    return Block(
        name, branches=(Branch("branch0", (Conv("conv", 32, (3, 3), (2, 2)),)), Branch("pool", (Pool("pool", "max", (3, 3), (2, 2)),)))
    )


@pytest.fixture
def residual_net() -> Network:
    """Stem, eight residual blocks with a split path (enough to wrap into columns), a
    reduction, a head."""
    return Network(
        name="residual-test",
        input=(3, 64, 64),
        classes=10,
        stages=(
            Stage("stem", (Conv("conv1", 32, (3, 3), (2, 2)), Pool("pool1", "max", (3, 3), (2, 2)))),
            Stage("A", tuple(_test_residual(f"res_{i}") for i in range(1, 9))),
            Stage("reduce", (_test_reduction("red"),)),
            Stage("pool", (AdaptiveAvgPool("avgpool"), Flatten("flatten"))),
        ),
        head=(Linear("fc"),),
    )


# --- golden DOT ---------------------------------------------------------------------------

GOLDEN_CASES = {
    "render-d2l-stages.dot": ("d2l", dict(level="stages")),
    "render-d2l-blocks.dot": ("d2l", dict(level="blocks")),
    "render-d2l-layers-numbers.dot": ("d2l", dict(level="layers", numbers=True)),
    "render-googlenet-aux-blocks-macs.dot": ("googlenet+aux", dict(level="blocks", color="macs", numbers=True)),
    "render-googlenet-expand-dark.dot": ("googlenet", dict(level="blocks", expand="inception4a", theme="dark")),
    "render-googlenet-torchvision-stages-params.dot": ("googlenet-torchvision", dict(level="stages", color="params", expand="b3")),
}


@pytest.mark.parametrize("golden", list(GOLDEN_CASES))
def test_golden_dot(golden, overwrite):
    preset, kwargs = GOLDEN_CASES[golden]
    name, _, aux = preset.partition("+")
    net = get_preset(name)
    if aux:
        net = replace(net, aux_enabled=True)
    check_golden(golden, to_dot(fresh(net), **kwargs), overwrite)


def test_golden_block_dot(overwrite):
    check_golden("render-d2l-block-inception3a.dot", block_dot(fresh(get_preset("d2l")), "inception3a"), overwrite)


def test_golden_residual_layers(residual_net, overwrite):
    dot = to_dot(fresh(residual_net), "layers", numbers=True)
    assert "from1" in dot, "eight residual blocks should wrap into columns"
    check_golden("render-residual-layers.dot", dot, overwrite)
    check_golden("render-residual-block.dot", block_dot(fresh(residual_net), "res_1", theme="dark"), overwrite)


@pytest.mark.parametrize("level", render.LEVELS)
def test_same_spec_same_dot(level):
    a, b = fresh(get_preset("googlenet")), fresh(get_preset("googlenet"))
    assert a is not b
    assert to_dot(a, level, numbers=True) == to_dot(b, level, numbers=True)


def test_dot_does_not_depend_on_hash_seed():
    code = "from googlenet import analyze, get_preset; from googlenet.render import to_dot; print(to_dot(analyze(get_preset('d2l')), 'layers'), end='')"
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout == to_dot(analyze(get_preset("d2l")), "layers")


# --- structure ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", preset_names())
def test_layers_level_draws_every_row_once_and_wires_merges(name):
    a = analyze(with_aux(name))
    dot = to_dot(a, "layers")
    ids = node_ids(dot)
    assert {i for i in ids if i.startswith("r")} == {f"r{i}" for i in range(len(a.layers))}
    indegree: dict[str, int] = {}
    for src, dst, _ in edges(dot):
        indegree[dst] = indegree.get(dst, 0) + 1
    for i, row in enumerate(a.layers):
        if row.kind == "concat":
            assert indegree[f"r{i}"] >= 2, row.name
        elif row.kind == "add":
            assert indegree[f"r{i}"] == 2, row.name  # the projection and the identity
        else:
            assert indegree.get(f"r{i}", 0) == 1, row.name


def test_residual_and_split_rows(residual_net):
    a = analyze(residual_net)
    dot = to_dot(a, "layers")
    add = next(i for i, r in enumerate(a.layers) if r.kind == "add")
    identity = [e for e in edges(dot) if e[1] == f"r{add}" and 'style="dashed"' in e[2]]
    first = next(i for i, r in enumerate(a.layers) if r.block == a.layers[add].block)
    assert len(identity) == 1 and identity[0][0] == f"t{first}"  # from the block's input, its title
    split_rows = [r for r in a.layers if ".split" in r.branch]
    assert split_rows and all(f"r{a.layers.index(r)}" in node_ids(dot) for r in split_rows)
    assert "branches ×0.2" in dot


@pytest.mark.parametrize("name", [n for n in preset_names() if get_preset(n).blocks()])
def test_expanding_one_block_adds_exactly_its_layers(name):
    a = analyze(get_preset(name))
    g = a.blocks[len(a.blocks) // 2]
    start = next(i for i, r in enumerate(a.layers) if r.block == g.name)

    def ids(dot: str) -> set[str]:
        return {i for i in node_ids(dot) if re.fullmatch(r"[rbst]\d+", i)}  # not connectors or spacers

    base = ids(to_dot(a, "blocks", fold=False))
    opened = ids(to_dot(a, "blocks", expand=g.name, fold=False))
    # its layers, and its title where the input enters
    assert opened - base == {f"r{i}" for i in range(start, start + g.n_layers)} | {f"t{start}"}
    assert base - opened == {f"b{start}"}


def test_expanding_a_stage_at_stages_level():
    a = analyze(get_preset("d2l"))
    def ids(dot: str) -> set[str]:
        return {i for i in node_ids(dot) if re.fullmatch(r"[rbs]\d+", i)}  # not connectors, titles or spacers

    base = ids(to_dot(a, "stages"))
    opened = ids(to_dot(a, "stages", expand="b3"))
    rows = {f"r{i}" for i, r in enumerate(a.layers) if r.stage == "b3"}
    assert opened - base == rows
    assert base - opened == {"s2"}


def test_bad_expand_lists_the_valid_names():
    a = analyze(get_preset("d2l"))
    with pytest.raises(SpecError, match="inception4a") as err:
        to_dot(a, "blocks", expand="inception9z")
    assert "b3" in str(err.value)
    for bad in (dict(level="cells"), dict(color="rainbow"), dict(theme="sepia"), dict(orientation="rl"), dict(fit="21:9"), dict(fold="no"), dict(transparent=1)):
        with pytest.raises(ValueError):
            to_dot(a, **bad)


def test_aux_heads_drawn_only_when_enabled():
    off = to_dot(analyze(get_preset("googlenet")), "blocks")
    a = analyze(with_aux("googlenet"))
    on = to_dot(a, "blocks")
    assert "aux1" not in off and "aux1" in on and "aux2" in on
    block_node = {g.name: f"b{next(i for i, r in enumerate(a.layers) if r.block == g.name)}" for g in a.blocks}
    aux_edges = [(s, d) for s, d, attrs in edges(on) if d.startswith("x")]
    assert {s for s, _ in aux_edges} == {block_node["inception4a"], block_node["inception4d"]}
    layers = to_dot(a, "layers")
    aux_rows = [i for i, r in enumerate(a.layers) if r.aux]
    assert all(f"r{i}" in node_ids(layers) for i in aux_rows)


@pytest.mark.parametrize("level", render.LEVELS)
def test_every_resolution_change_is_drawn(level):
    """Every edge leaving a layer, block or stage that changes the resolution is bold, and
    that node shows its new shape in bold; no edge repeats a shape its node already shows."""
    a = analyze(get_preset("googlenet"))
    shapes = {f"r{i}": (r.in_shape, r.out_shape) for i, r in enumerate(a.layers)}
    shapes.update({f"s{k}": (g.in_shape, g.out_shape) for k, g in enumerate(a.stages)})
    for g in a.blocks:
        start = next(i for i, r in enumerate(a.layers) if r.block == g.name)
        shapes[f"b{start}"] = (g.in_shape, g.out_shape)
    dot = to_dot(a, level)
    labels = dict(re.findall(r"^\s*(\w+) \[label=<(.*)>", dot, re.M))
    out_edges: dict[str, list[str]] = {}
    for src, _, attrs in edges(dot):
        out_edges.setdefault(src, []).append(attrs)
        assert "label" not in attrs or "×" not in attrs, attrs
    checked = 0
    for node, attrs in out_edges.items():
        if node not in shapes:
            continue
        i, o = shapes[node]
        if len(i) != len(o) or i[1:] != o[1:]:
            assert all("penwidth=2" in x for x in attrs), node
            assert f"<B>{'×'.join(map(str, o))}</B>" in labels[node], node
            checked += 1
    assert checked >= 4


def test_wrapping_keeps_columns_balanced():
    a = analyze(get_preset(preset_names()[-1]))
    n = network.Network(a, "layers", None, "kind", False, "light")
    units = n.units()
    along = [e.along for e in n.measure(units)]
    starts = {k for k in range(1, len(units)) if units[k].stage is not units[k - 1].stage}
    for count in range(2, 7):
        cuts = layout.split(along, starts, count)
        cols = layout.pieces(along, cuts)
        assert len(cols) == count and [x for c in cols for x in c] == along
        heights = [sum(c) for c in cols]
        assert max(heights) <= 1.6 * (sum(heights) / len(heights)), (count, heights)


# --- legend and colours -------------------------------------------------------------------


def contrast(a: str, b: str) -> float:
    la, lb = sorted((palette.luminance(a), palette.luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_legend_kinds_follow_the_drawing(residual_net):
    a = analyze(get_preset("d2l"))
    blocks, layers = dict(legend("kind", a)), dict(legend("kind", a, "layers"))
    assert {"conv", "max pool", "Inception block", "linear"} <= set(blocks) and "concat" not in blocks
    assert {"conv", "max pool", "concat", "linear"} <= set(layers) and "Inception block" not in layers
    assert "concat" in dict(legend("kind", a, "blocks", expand="inception4a"))
    assert "residual add" not in layers and "LRN, BatchNorm" not in layers
    res = analyze(residual_net)
    assert {"residual add", "concat"} <= set(dict(legend("kind", res, "layers")))
    assert "residual block" in dict(legend("kind", res, "blocks"))
    assert len(legend("kind")) == len(palette.KIND_LEGEND)
    with pytest.raises(ValueError):
        legend("rainbow")


@pytest.mark.parametrize("metric", ["params", "macs"])
def test_heat_legend_is_a_rising_scale(metric):
    a = analyze(get_preset("googlenet"))
    stops = legend(metric, a)
    assert stops[0][1] == render.NO_WEIGHTS
    values = [float(re.match(r"[\d.]+", label).group()) * {"K": 1e3, "M": 1e6, "G": 1e9}.get(re.match(r"[\d.]+([KMG]?)", label).group(1), 1) for label, _ in stops[1:]]
    assert values == sorted(values) and len(values) >= 3
    assert stops[1][1] == render.VIRIDIS[0] and stops[-1][1] == render.VIRIDIS[-1]
    assert len(legend(metric)) == 3


@pytest.mark.parametrize("theme", render.THEMES)
def test_text_is_readable_on_every_fill_and_theme(theme):
    th = palette.THEME_COLORS[theme]
    assert contrast(th.text, th.page) >= 7 and contrast(th.text, th.node) >= 7
    assert contrast(th.muted, th.node) >= 4.5 and contrast(th.line, th.page) >= 3
    fills = [*render.KIND_COLORS.values(), *render.VIRIDIS, render.NO_WEIGHTS]
    for fill in fills:
        assert contrast(render.text_on(fill), fill) >= 4.5, fill


def test_themes_draw_on_their_page():
    a = analyze(get_preset("d2l"))
    assert 'bgcolor="#0E1117"' in to_dot(a, "blocks", theme="dark")
    assert 'bgcolor="#FFFFFF"' in to_dot(a, "blocks", theme="light")


# --- escaping -----------------------------------------------------------------------------

HOSTILE = {
    "network": '<script>alert("net")</script>',
    "stage": 'a{b}|c<d>\\N\\G\\l\\',
    "block1": "<script>alert(1)</script>",
    "block2": '"]; evil [label="x',
    "layer": "line1<BR/>line2 \\n",  # names are printable; markup and escapes must stay text
    "stem": "it's &amp; ok",
}


@pytest.fixture
def hostile_net() -> Network:
    net = get_preset("d2l")
    stages = list(net.stages)
    b1 = stages[0]
    stages[0] = replace(b1, items=(replace(b1.items[0], name=HOSTILE["stem"]), replace(b1.items[1], name=HOSTILE["layer"])))
    b3 = stages[2]
    blocks = (replace(b3.items[0], name=HOSTILE["block1"]), replace(b3.items[1], name=HOSTILE["block2"]), *b3.items[2:])
    stages[2] = replace(b3, name=HOSTILE["stage"], items=blocks)
    return replace(net, name=HOSTILE["network"], stages=tuple(stages))


def visible(text_: str) -> str:
    return "".join(text.visible(c) if text.bad_char(c) else c for c in text_)


@needs_dot
@pytest.mark.parametrize("level", render.LEVELS)
def test_hostile_names_stay_text(hostile_net, level):
    a = analyze(hostile_net)
    dot = to_dot(a, level, numbers=True)
    svg = render.render(dot, "svg")
    assert b"<script" not in svg.lower()
    assert b"<title>evil</title>" not in svg
    # no name made a node of its own: the SVG has exactly the nodes we wrote
    visible_ids = {i for i in node_ids(dot) if not re.fullmatch(r"w\d+_\d+", i)}  # invisible spacers draw nothing
    assert len(re.findall(rb'class="node"', svg)) == len(visible_ids)
    texts = svg_texts(svg)
    joined = "\n".join(texts)
    assert HOSTILE["network"] in joined
    if level != "stages":
        assert visible(HOSTILE["stage"]) in texts
        # a block's name stands alone on its node, or begins an opened block's title
        assert any(t.startswith(HOSTILE["block1"]) for t in texts) and any(t.startswith(HOSTILE["block2"]) for t in texts)
    if level == "layers":  # a layer's name shares its line with the layer's details
        assert any(t.startswith(visible(HOSTILE["layer"])) for t in texts)
        assert any(t.startswith(visible(HOSTILE["stem"])) for t in texts)
        tips = [el.get(f"{XLINK}title") for el in ET.fromstring(svg).iter() if el.get(f"{XLINK}title")]
        assert any(t.startswith(HOSTILE["block1"] + ".branch1.conv:") for t in tips)
        assert any(t.startswith(HOSTILE["block2"] + ".concat:") for t in tips)


@needs_dot
def test_hostile_names_in_block_dot(hostile_net):
    svg = render.render(block_dot(analyze(hostile_net), HOSTILE["block2"]), "svg")
    assert b"<script" not in svg.lower()
    texts = svg_texts(svg)
    assert HOSTILE["block2"] in texts
    assert any(HOSTILE["block1"] in t for t in texts)  # "input (from <script>…)"


def test_escapes():
    assert render.html('<a href="x">&\'') == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
    assert render.html("\\N\n") == "\\\\N\\\\n"
    assert render.quote('a"b\\N\n') == '"a\\"b\\\\N\\\\n"'


# --- the real dot: SVG contents, PNG size and legibility -----------------------------------


@needs_dot
@pytest.mark.parametrize("name", preset_names())
def test_every_block_name_is_in_the_blocks_svg(name):
    a = analyze(with_aux(name))
    texts = set(svg_texts(render.render(to_dot(a, "blocks", fold=False), "svg")))
    missing = [g.name for g in a.blocks if g.name not in texts]
    assert not missing
    assert all(x.name in texts for x in a.aux)


@needs_dot
def test_changing_c1_changes_the_drawing():
    net = get_preset("d2l")
    wider = knobs.set_width(net, "inception3a", "c1", 100)
    before = svg_texts(render.render(to_dot(analyze(net), "blocks"), "svg"))
    after = svg_texts(render.render(to_dot(analyze(wider), "blocks"), "svg"))
    assert "256×12×12" in before and "292×12×12" not in before
    assert "292×12×12" in after  # 100 + 128 + 32 + 32 channels
    assert any("c1 100" in t for t in after)
    layers = svg_texts(render.render(to_dot(analyze(wider), "layers"), "svg"))
    assert "100×12×12" in layers
    block = svg_texts(render.render(block_dot(analyze(wider), "inception3a"), "svg"))
    assert "c1 = 100" in block and "292×12×12" in block


def svg_points(svg: bytes) -> tuple[float, float]:
    root = ET.fromstring(svg)
    return float(root.get("width").removesuffix("pt")), float(root.get("height").removesuffix("pt"))


@needs_dot
@pytest.mark.parametrize("name", preset_names())
def test_layers_png_is_legible(name):
    """The bitmap keeps at least MIN_LEGIBLE_SCALE pixels per point of the drawing, so the
    smallest (9 pt) text is at least 9 pixels high: nothing was shrunk to fit."""
    dot = to_dot(analyze(with_aux(name)), "layers", numbers=True)
    png = render.render(dot, "png")
    w_pt, h_pt = svg_points(render.render(dot, "svg"))
    im = Image.open(io.BytesIO(png))
    im.load()  # decodes every row
    assert im.format == "PNG" and im.size == png.size
    w, h = im.size
    assert 300 <= w <= render.CAIRO_MAX_SIDE and 300 <= h <= render.CAIRO_MAX_SIDE
    assert w * h <= render.MAX_PNG_PIXELS
    scale = min(w / w_pt, h / h_pt)
    assert scale >= render.MIN_LEGIBLE_SCALE
    assert scale * render.SMALL_SIZE >= 9
    assert png.notes == () and png.dpi == render.DEFAULT_DPI
    assert layout.ASPECT_LO <= w / h <= layout.ASPECT_HI, "wrapping makes a slide of it, not a strip"


@needs_dot
def test_png_dpi_option():
    dot = to_dot(analyze(get_preset("d2l")), "stages")
    low, high = render.render(dot, "png", dpi=72), render.render(dot, "png", dpi=144)
    assert high.dpi == 144 and low.dpi == 72
    assert abs(high.size[0] / low.size[0] - 2) < 0.02
    for bad in (0, 5000, 1.5, True):
        with pytest.raises(ValueError):
            render.render(dot, "png", dpi=bad)


@needs_dot
def test_too_large_png_lowers_dpi_and_says_so(monkeypatch):
    dot = to_dot(analyze(get_preset("d2l")), "layers")
    monkeypatch.setattr(export, "MAX_PNG_PIXELS", 1_000_000)
    png = render.render(dot, "png", dpi=200)
    assert png.dpi < 200 and any("megapixels" in n for n in png.notes)
    assert png.size[0] * png.size[1] <= 1_000_000
    monkeypatch.setattr(export, "MAX_PNG_PIXELS", 10**9)
    monkeypatch.setattr(export, "CAIRO_MAX_SIDE", 1500)
    png = render.render(dot, "png", dpi=200)
    assert max(png.size) <= 1500 and any("Cairo" in n for n in png.notes)
    Image.open(io.BytesIO(png)).load()


def test_fit_dpi():
    assert render.fit_dpi(500, 400, 96) == (96, [])
    dpi, notes = render.fit_dpi(72 * 500, 72 * 20, 96)  # 500 inches wide
    # Cairo's largest image side is 32,767 px: the dpi keeps the width under it, lowered no further than needed
    assert 500 * dpi <= 32_767 < 500 * (dpi + 1) / 0.98 and len(notes) == 2
    assert "Cairo" in notes[0] and "SVG or PDF" in notes[1]


@needs_dot
@pytest.mark.parametrize("fmt, magic", [("svg", b"<?xml"), ("pdf", b"%PDF"), ("dot", b"digraph")])
def test_other_formats(fmt, magic):
    dot = to_dot(analyze(get_preset("d2l")), "blocks")
    out = render.render(dot, fmt)
    assert out.startswith(magic) and out.fmt == fmt
    assert pickle.loads(pickle.dumps(out)) == out  # caches pickle what they keep


def test_dot_missing_is_reported(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without dot
    dot = to_dot(analyze(get_preset("d2l")), "blocks")
    with pytest.raises(GraphvizMissing, match="apt-get install graphviz"):
        render.render(dot, "svg")
    with pytest.raises(RuntimeError, match="`graphviz`"):
        render.render(dot, "png")
    assert render.render(dot, "dot") == dot.encode()  # DOT needs no Graphviz
    assert main(["export", "d2l", "-o", str(tmp_path / "d2l.png")]) == 2
    assert "graphviz" in capsys.readouterr().err
    assert not (tmp_path / "d2l.png").exists()


@needs_dot
def test_dot_timeout_is_an_error(monkeypatch):
    monkeypatch.setattr(export, "RENDER_TIMEOUT", 1e-4)
    with pytest.raises(RenderError, match="longer than"):
        render.render(to_dot(analyze(get_preset("d2l")), "layers"), "svg")


def test_bad_format():
    with pytest.raises(ValueError, match="format"):
        render.render("digraph {}", "gif")


# --- command line -------------------------------------------------------------------------


@needs_dot
@pytest.mark.parametrize("fmt, magic", [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF"), ("dot", b"digraph")])
def test_cli_export(tmp_path, capsys, fmt, magic):
    out = tmp_path / f"net.{fmt}"
    args = ["export", "googlenet", "--aux", "--level", "layers", "--expand", "inception4a", "--color", "macs", "--numbers", "--format", fmt, "-o", str(out)]
    assert main(args) == 0
    assert out.read_bytes().startswith(magic)
    assert str(out) in capsys.readouterr().out


@needs_dot
def test_cli_export_options(tmp_path, capsys):
    png = tmp_path / "d2l.png"
    assert main(["export", "d2l", "--level", "stages", "--dpi", "48", "-o", str(png)]) == 0  # format from suffix
    assert "48 dpi" in capsys.readouterr().out
    assert main(["export", "d2l", "--format", "dot", "--input", "1x224x224", "-o", "-"]) == 0
    assert "1×224×224" in capsys.readouterr().out


def test_cli_export_errors(tmp_path, capsys):
    assert main(["export", "d2l", "--expand", "nope", "-o", str(tmp_path / "x.svg")]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and "inception5b" in err and "b1" in err
    assert main(["export", "d2l", "-o", str(tmp_path / "x.txt")]) == 2
    assert "--format" in capsys.readouterr().err
    assert main(["export", "d2l", "--format", "svg", "--dpi", "100", "-o", str(tmp_path / "x.svg")]) == 2
    assert "--dpi" in capsys.readouterr().err
    assert main(["export", "d2l", "--format", "png", "--level", "cells", "-o", str(tmp_path / "x.png")]) == 2
    assert main(["export", "-o", str(tmp_path / "x.png")]) == 2
    assert main(["export", "d2l", "--format", "dot", "-o", str(tmp_path / "missing" / "x.dot")]) == 2
    assert "cannot write" in capsys.readouterr().err


# --- node ids: the page finds a drawn node by its analysis key ------------------------------------


def keyed_elements(svg: bytes) -> list[tuple[str, str]]:
    """(SVG id, class "node" or "cluster") of every element whose id names a key, in order."""
    return [(el.get("id"), el.get("class")) for el in ET.fromstring(svg).iter() if (el.get("id") or "").startswith(("n:", "c:"))]


def drawn_ids(svg: bytes) -> dict[str, str]:
    """SVG id → class of every element whose id names a key."""
    return dict(keyed_elements(svg))


@needs_dot
@pytest.mark.parametrize("level", render.LEVELS)
def test_every_drawn_node_is_named_by_its_key(hostile_net, level):
    a = analyze(hostile_net)
    keys = {n.key for n in a.layers} | {g.key for g in a.blocks} | {s.key for s in a.stages} | {x.key for x in a.aux}
    svg = render.render(to_dot(a, level), "svg")
    ids = drawn_ids(svg)
    assert ids, "no node carries its key"
    assert all(i[2:] in keys for i in ids), sorted(i for i in ids if i[2:] not in keys)  # hostile names read back exactly
    raw = [i for i, _ in keyed_elements(svg)]
    assert len(raw) == len(set(raw))  # no two elements share an id
    if level == "stages":
        assert {i[2:] for i in ids} == {s.key for s in a.stages}
    if level == "blocks":
        assert "n:" + HOSTILE["block2"] in ids and ids["n:" + HOSTILE["block2"]] == "node"
    if level == "layers":  # every layer is drawn, and every block is a cluster with its title node
        assert {n.key for n in a.layers if not n.aux} <= {i[2:] for i in ids}
        for g in a.blocks:
            assert ids["c:" + g.key] == "cluster" and ids["n:" + g.key] == "node"


@needs_dot
def test_an_opened_block_and_a_folded_run_are_found_by_key():
    a = analyze(get_preset("d2l"))
    ids = drawn_ids(render.render(to_dot(a, "blocks", expand="inception4a"), "svg"))
    assert ids["c:inception4a"] == "cluster" and "n:inception4a.branch2.conv1" in ids
    assert "n:inception3a" in ids and "n:inception3a.branch1.conv" not in ids
    folded = drawn_ids(render.render(to_dot(analyze(get_preset("inception-resnet-v2")), "blocks"), "svg"))
    assert "n:block35_1" in folded and "n:block35_2" not in folded  # block35_1–10 ×10: one node, its first key


@needs_dot
def test_the_block_figure_names_its_layers():
    a = analyze(get_preset("d2l"))
    ids = drawn_ids(render.render(block_dot(a, "inception3a"), "svg"))
    assert {i[2:] for i in ids} >= {n.key for n in a.node("inception3a").leaves()}
