"""The Chinese interface: the catalogs are complete (no untranslated or fuzzy entry, the same
placeholders, every marked string in them), the core's messages translate by code and values,
the session's language comes from the link or the browser and the picker changes it, and the
translated pages show no English word outside the names and units that stay as they are.

The rule for a Chinese page (GLOSSARY.md, "What stays as it is"): every run of ASCII letters it
shows must be
* a name from the core — a preset, a stage, block or layer key or name, a layer kind or the
  words of a layer label (``conv 3×3 /2``) and its details (``pad 1``, ``ceil``) — of any preset
  or any design the pages show;
* an identifier: a word with a digit, an underscore or a dot in it (``inception3a``,
  ``Mixed_5b``, ``fc1``, ``IMAGENET1K_V1``);
* a single letter (the exercises' parts, ``n``, ``k``);
* a name or unit in ``STAY`` (networks, libraries, authors, data sets, MACs, FLOPs, MB, …);
* a block template's name, a device's title or the title of the document it cites (a datasheet),
  an upstream model's name or checkpoint source;
* code: inside backticks in Markdown (`` `pip install netron` ``);
* part of a cited file's path (``results/results-imagenet.csv``);
* or an English gloss in full-width brackets right after a Chinese term, as the book writes
  them: 标签平滑（label smoothing）.
Anything else is a string that reached the page untranslated.
"""

from __future__ import annotations

import ast
import html
import io
import json
import re
import string
import tokenize
from dataclasses import replace
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from streamlit.testing.v1 import AppTest

from googlenet import analyze, config
from googlenet import exercises as ex
from googlenet.errors import MESSAGES, SpecError
from googlenet.presets import PRESETS, get_preset
from ui import i18n, state

from .test_app import APP, TIMEOUT
from .test_render import needs_dot

ROOT = Path(__file__).resolve().parent.parent
PO = i18n.catalog_path("zh")
POT = i18n.LOCALE_DIR / "messages.pot"
CJK = re.compile(r"[\u4e00-\u9fff]")
CHINESE = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")  # Han characters or Chinese punctuation

STAY = {
    # networks, blocks, libraries, data sets, people
    "GoogLeNet", "AlexNet", "VGG", "NiN", "ResNet", "Inception", "BN", "LeNet", "DenseNet", "ImageNet",
    "Fashion", "MNIST", "PyTorch", "torchvision", "timm", "Graphviz", "arXiv", "Ioffe", "Szegedy", "ReLU", "BatchNorm",
    "torch", "torchinfo", "ONNX", "Netron", "TensorFlow", "autograd", "sigmoid", "SGD", "Adam", "AdamW", "CPU", "GPU",
    "English",  # the picker names each language in its own
    # units and metrics
    "MACs", "FLOPs", "MB", "M", "G", "k", "ms", "fp32", "top", "DRAM", "acc",
    "B", "kB", "GB", "TB", "GiB", "FLOP", "GFLOP", "TFLOP", "TFLOPS", "GMACs", "GMAC", "min",
    "meta", "numel",  # PyTorch's device without storage; its element count
    # formats and values a message quotes
    "JSON", "Python", "Unicode", "true", "false",
    "config", "edit", "preset", "on", "off",  # the link's parameters and values its messages quote
    # a layer's field names and Python values as the Compare page's list of changes quotes them
    # (googlenet.diff: ``padding (1, 1), ceil_mode False``)
    "padding", "True", "False",
    "PNG", "SVG", "PDF",  # export formats
    "dpi",  # a PNG's resolution
    "CSV", "Excel",  # a file format and the program a CSV option is for
    "round",  # the width multiplier's formula: max(1, round(c × m))
    "max",  # a path's label on the Block page (googlenet.lessons: ``3×3 max → 1×1``); the formula max(1, …)
}
PATH = re.compile(r"\S*/\S*\.\w+")  # a cited file: results/results-imagenet.csv
GLOSS = re.compile(r"（[\x20-\x7e]+?）")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.@\-]*[A-Za-z0-9]|[A-Za-z]")


def _names() -> set[str]:
    """Every name the core gives the presets and the exercises' designs."""
    nets = [get_preset(p) for p in PRESETS] + [v.network for v in ex.iterations()] + [ex.mnist_variant(),
                                                                                      ex.without_reduces().network]
    from googlenet import devices
    from googlenet.naming import RULES
    from googlenet.templates import TEMPLATES

    names = set(PRESETS) | set(TEMPLATES)
    for dev in devices.PRESETS.values():  # product names and the datasheets they cite
        names.update(re.findall(r"[A-Za-z][A-Za-z0-9]*", f"{dev.title} {dev.source}"))
    for rule in RULES.values():  # upstream model names, checkpoint files and where they come from
        cp = rule.checkpoint
        names.update(re.findall(r"[A-Za-z][A-Za-z0-9]*", f"{rule.upstream} {cp.file if cp else ''} {cp.source if cp else ''}"))
    for net in nets:
        a = analyze(net)
        names.add(net.name)
        for n in a.root.walk():
            names.update({n.key, n.name, n.kind, n.stage, n.block})
            names.update(re.split(r"[ .]", n.key))
            if n.is_leaf and n.layer is not None:
                names.update(n.label.split())
                names.update(w for d in getattr(n.layer, "details", ()) for w in d.split())  # pad 1, ceil
    return {x for x in names if x}


NAMES = _names()


def english_words(text: str) -> list[str]:
    """The ASCII words of ``text`` that the rule above does not let through."""
    text = re.sub(r"`[^`]*`", " ", text)  # Markdown code
    text = PATH.sub(" ", GLOSS.sub(" ", html.unescape(re.sub(r"<[^>]+>", " ", text))))
    out = []
    for w in WORD.findall(text):
        if w in NAMES or w in STAY or len(w) == 1 or re.search(r"[0-9_.]", w):
            continue
        if "-" in w and all(part in NAMES or part in STAY or re.search(r"[0-9]", part) for part in w.split("-")):
            continue  # Fashion-MNIST, top-1, d2l-alexnet
        out.append(w)
    return out


# --- the catalogs -------------------------------------------------------------------------------


def catalog(path: Path = PO):
    with open(path, "rb") as f:
        return read_po(f)


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_the_catalog_has_no_untranslated_or_fuzzy_entry():
    cat = catalog()
    entries = [m for m in cat if m.id]
    assert len(entries) > 150
    assert not [m.id for m in entries if not m.string], "untranslated"
    assert not [m.id for m in entries if m.fuzzy], "fuzzy"
    assert not cat.obsolete
    for m in entries:
        assert fields(m.id) == fields(m.string), m.id
        assert CHINESE.search(m.string) or m.id == m.string, m.id  # a translation, or a term that stays


def test_every_marked_string_is_in_the_catalog():
    """What `make i18n-extract` finds in the code now is what the .pot and the .po hold."""
    with open(ROOT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = {msg for _, _, msg, _, _ in extract_from_dir(str(ROOT), method_map, options_map, keywords={"_": None, "N_": None, "ngettext": (1, 2)})}
    found = {m if isinstance(m, str) else m[0] for m in found}
    assert found == {m.id for m in catalog(POT) if m.id}
    assert found == {m.id for m in catalog() if m.id}
    assert set(MESSAGES.values()) <= found and set(i18n.VALUE_WORDS) <= found


def test_the_compiled_catalog_is_the_po():
    """The app reads the .mo when it is up to date; compiled from the .po it says the same."""
    import gettext
    import io

    fresh = gettext.GNUTranslations(io.BytesIO(i18n.compile_po(PO)))
    for m in catalog():
        if m.id:
            assert i18n.translations("zh").gettext(m.id) == fresh.gettext(m.id) == m.string
    assert i18n.load("zh").messages == i18n.CATALOGS["zh"].messages  # the .mo, or the .po compiled


# --- the core's messages ----------------------------------------------------------------------------


def sample(code: str) -> SpecError:
    """A SpecError of ``code`` with a distinct token for every placeholder."""
    return SpecError("b4.inception4c.c2", code, **{name: f"<{name}>" for name in fields(MESSAGES[code])})


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_core_message_translates_by_code(code):
    err = sample(code)
    assert i18n.error_text(err, "en") == str(err)  # English is the core's own text
    zh = i18n.error_text(err, "zh")
    assert zh.startswith("b4.inception4c.c2: ") and CJK.search(zh)
    for name in fields(MESSAGES[code]):
        assert f"<{name}>" in zh  # every value, as it is
    assert not english_words(re.sub(r"<\w+>", " ", zh).replace("torch.nn.Module", " ")), zh


def test_a_message_with_a_field_placeholder_can_be_raised():
    """``template.edited`` fills a ``{field}`` of its own: raising it must not collide with the
    error's field (it was a TypeError, a traceback instead of the message)."""
    from googlenet import knobs, rewrites

    net = rewrites.factorize_5x5(get_preset("d2l"), "inception3a")
    with pytest.raises(SpecError) as info:
        knobs.set_width(net, "inception3a", "c1", (80,))
    assert info.value.code == "template.edited" and info.value.field == "b3.inception3a.c1"
    assert "inception3a" in i18n.error_text(info.value, "zh") and "c1" in i18n.error_text(info.value, "zh")


def test_a_too_small_input_is_translated_with_its_cause_and_hint():
    net = replace(get_preset("inception-v3"), input=(3, 32, 32))
    with pytest.raises(SpecError) as info:
        analyze(net)
    err = info.value
    assert i18n.error_text(err, "en") == str(err)
    zh = i18n.error_text(err, "zh")
    cause = err.cause
    assert zh.startswith("input: 输入 3×32×32 太小：")
    assert f"{cause.values['name']}（{cause.values['what']}）从 {cause.values['size']} 的输入只能得到" in zh
    assert zh.endswith("；最小的输入是 75×75")
    assert not english_words(zh), zh


def test_branches_that_disagree_are_translated_with_the_verb():
    net = replace(get_preset("inception-bn"), input=(3, 222, 222))
    with pytest.raises(SpecError) as info:
        analyze(net)
    zh = i18n.error_text(info.value, "zh")
    assert "无法连结" in zh and "附近可用的输入：3×223×223" in zh
    assert "concatenated" in str(info.value) and "concatenated" not in zh
    assert not english_words(zh), zh


def test_a_config_error_names_its_field_in_both_languages():
    bad = json.loads(config.dumps(get_preset("d2l")))
    bad["classes"] = "ten"
    with pytest.raises(SpecError) as info:
        config.loads(json.dumps(bad))
    assert i18n.error_text(info.value, "zh").startswith(f"{info.value.field}: 必须是整数")


def test_notes_translate_by_code():
    net = replace(get_preset("d2l"), head=())  # ends in b5's flatten? no: drop the head and the flatten
    stages = list(net.stages)
    stages[-1] = replace(stages[-1], items=stages[-1].items[:-2])
    a = analyze(replace(net, stages=tuple(stages)))
    (note,) = a.notes
    assert i18n.note_text(note, "en") == note.text
    assert "特征图" in i18n.note_text(note, "zh") and "1024×3×3" in i18n.note_text(note, "zh")


# --- the session's language ----------------------------------------------------------------------------


@pytest.mark.parametrize("params, lang", [
    ({"lang": "zh"}, "zh"), ({"lang": "en"}, "en"), ({"lang": "zh-CN"}, "zh"), ({"lang": ["en", "ZH"]}, "zh"),
    ({"lang": "fr"}, None), ({}, None), ({"lang": ""}, None), ({"preset": "d2l"}, None),
])
def test_language_from_query(params, lang):
    assert i18n.language_from_query(params) == lang


@pytest.mark.parametrize("preference, lang", [
    ("zh-CN", "zh"), ("zh", "zh"), ("zh-Hans-CN", "zh"), ("en-US", "en"), ("de-DE", "en"), (None, "en"), ("", "en"),
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh"), ("en-GB,en;q=0.9,zh;q=0.8", "en"), ("de,zh;q=0.5", "zh"),
    ("fr;q=1, en;q=0.2, zh;q=0.7", "zh"), ("zh;q=0, en", "en"),
])
def test_language_default(preference, lang):
    assert i18n.language_default(preference) == lang


def _probe():
    import streamlit as st

    from ui import i18n

    i18n.init({"lang": st.query_params.get("probe_lang", "")} if "probe_lang" in st.query_params else None)
    st.title(i18n._("Exercises"))
    st.write(repr(i18n.link_params()))


def test_the_link_decides_before_the_browser_and_is_kept():
    """``init`` (as the entry point calls it with the link's parameters) picks the link's
    language over the browser's and marks it chosen, so ``link_params`` keeps it."""
    at = AppTest.from_function(_probe, default_timeout=TIMEOUT)
    at.query_params["probe_lang"] = "zh"
    at.context = {"locale": "en-US"}
    at.run()
    assert at.title[0].value == "练习" and at.markdown[0].value == repr({"lang": "zh"})
    at = AppTest.from_function(_probe, default_timeout=TIMEOUT)
    at.context = {"locale": "zh-CN"}
    at.run()
    assert at.title[0].value == "练习" and at.markdown[0].value == "{}"  # the browser's: not put in the link
    at = AppTest.from_function(_probe, default_timeout=TIMEOUT)
    at.run()  # no browser information at all
    assert at.title[0].value == "Exercises"


# --- the pages in both languages ----------------------------------------------------------------------


def texts_of_chart(spec: str) -> list[str]:
    """A plotly chart's words: titles, axis titles, annotations, and each trace's name, text,
    hover template and the text it fills into the template."""
    fig = json.loads(spec)
    out = []
    layout = fig.get("layout", {})
    parts = [layout.get("title"), layout.get("legend", {}).get("title")]
    parts += [layout.get(k, {}).get("title") for k in layout if k.startswith(("xaxis", "yaxis"))]
    for part in parts:
        if isinstance(part, dict) and part.get("text"):
            out.append(part["text"])
    out += [str(a.get("text", "")) for a in layout.get("annotations", []) or []]
    for trace in fig.get("data", []):
        out += [str(trace.get("name", ""))] + [str(t) for t in trace.get("text", []) or []]
        out += [v for row in trace.get("customdata", []) or [] for v in (row if isinstance(row, list) else [row]) if isinstance(v, str)]
        out.append(re.sub(r"%\{[^}]*\}", " ", str(trace.get("hovertemplate", ""))).replace("<br>", " ").replace("<extra></extra>", ""))
    return out


def _frame(df) -> list[str]:
    return [str(c) for c in df.columns] + [str(i) for i in df.index if not isinstance(i, int)] + [str(v) for v in df.to_numpy().ravel()]


WIDGETS = ("button", "selectbox", "multiselect", "radio", "number_input", "slider", "select_slider", "text_area",
           "text_input", "toggle", "checkbox", "download_button", "file_uploader", "form_submit_button")


def texts(at: AppTest, charts: set[str] | None = None, frames: bool = True) -> list[str]:
    """What a reader sees: titles, headers, text, labels, help texts, options, metrics, expanders,
    tabs, tables' and data frames' cells, charts' words (code blocks are code: not included)."""
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        out += [e.value for e in getattr(at, kind)]
    for kind in WIDGETS:
        for w in at.get(kind):
            proto = getattr(w, "proto", None)
            out += [str(getattr(proto, "label", "")), str(getattr(proto, "help", ""))]  # a placeholder is sample code
            if kind in ("selectbox", "multiselect", "radio", "select_slider"):
                out += [str(o) for o in w.options]
    for group in at.button_group:
        out += [group.label, group.proto.help, *[o.content for o in group.proto.options]]
    for m in at.metric:
        out += [m.label, m.proto.help, str(m.value)]
    out += [e.label for e in at.expander] + [t.label for t in at.tabs]
    if frames:
        for f in at.dataframe:
            out += _frame(f.value)
        for t in at.table:
            out += _frame(t.value)
    for chart in at.get("plotly_chart"):
        if charts is None or chart.proto.id and any(k in chart.proto.id for k in charts):
            out += texts_of_chart(chart.proto.spec)
    return [t for t in out if t]


def page(path: str, lang: str | None = None, locale: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if locale:
        at.context = {"locale": locale}
    at.run()
    if lang:
        at.session_state[i18n.KEY] = lang
    at.switch_page(path).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_exercises_page_in_chinese_shows_no_english_word():
    at = page("pages/exercises.py", locale="zh-CN")  # a first visit follows the browser
    assert at.title[0].value == "练习"
    shown = texts(at)
    assert len(shown) > 100
    leftover = {w for t in shown for w in english_words(t)}
    assert not leftover, sorted(leftover)
    assert sum(bool(CJK.search(t)) for t in shown) > 60


def test_the_exercises_page_in_english_shows_no_chinese():
    at = page("pages/exercises.py", locale="en-US")
    assert at.title[0].value == "Exercises"
    chinese = [t for t in texts(at) if CJK.search(t) and t != i18n.LANGUAGES["zh"]]
    assert not chinese, chinese


def test_the_family_page_in_chinese_shows_its_own_strings_in_chinese():
    """The page's own strings and the accuracy picture; the family table, its chart and the
    stage diagrams above and below are shared with other pages and still English."""
    at = page("pages/family.py", lang="zh")
    assert at.title[0].value == "家族"
    own = [at.title[0].value, *[h.value for h in at.header], at.caption[0].value, at.caption[1].value]
    frame = at.dataframe[0].value
    own += [str(c) for c in frame.columns] + [str(v) for v in frame.to_numpy().ravel()]
    (chart,) = [c for c in at.get("plotly_chart") if "family_accuracy" in c.proto.id]
    own += texts_of_chart(chart.proto.spec)
    leftover = {w for t in own for w in english_words(t)}
    assert not leftover, sorted(leftover)


def test_the_picker_switches_the_language_and_keeps_it_in_the_link():
    at = page("pages/exercises.py")
    assert at.title[0].value == "Exercises"
    at.button_group(key=i18n.PICKER).set_value("zh").run()
    assert not at.exception
    assert at.title[0].value == "练习" and at.subheader[0].value.startswith("1. GoogLeNet 的后续版本")
    assert at.query_params[i18n.PARAM] in ("zh", ["zh"])
    at.button_group(key=i18n.PICKER).set_value("en").run()
    assert at.title[0].value == "Exercises" and at.query_params[i18n.PARAM] in ("en", ["en"])


# --- every page, both languages ------------------------------------------------------------------------

PAGES = {
    "architecture": None, "block": "pages/block.py", "compare": "pages/compare.py", "family": "pages/family.py",
    "code": "pages/code.py", "exercises": "pages/exercises.py", "hardware": "pages/hardware.py",
}
def visit(name: str, lang: str) -> AppTest:
    """A page as a reader in ``lang`` sees it after a first visit (the language set as the picker sets it)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.session_state[i18n.KEY] = lang
    if PAGES[name] is None:
        at.run()
    else:
        at.switch_page(PAGES[name]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_in_chinese_shows_no_english_word(name):
    shown = texts(visit(name, "zh"))
    assert len(shown) > 10 and sum(bool(CJK.search(t)) for t in shown) > 5
    leftover = {}
    for t in shown:
        for w in english_words(t):
            leftover.setdefault(w, t[:120])
    assert not leftover, leftover


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_in_english_shows_no_chinese(name):
    chinese = [t for t in texts(visit(name, "en")) if CJK.search(t) and t != i18n.LANGUAGES["zh"]]
    assert not chinese, chinese


def test_the_block_page_in_chinese_shows_its_own_strings_in_chinese():
    """The page's own strings (pages/block.py): its title, headers, captions, notes, the block's
    description and its metrics (the picker, tables and charts are shared glue, checked page by page above)."""
    at = visit("block", "zh")
    assert at.title[0].value == "Inception 块"
    own = [at.title[0].value, *[h.value for h in at.header], *[c.value for c in at.caption], *[i.value for i in at.info],
           *[m.value for m in at.markdown], *[m.label for m in at.metric]]
    assert {"路径", "第一课：1×1 降维", "第二课：分解卷积"} <= {h.value for h in at.header}
    assert any("GoogLeNet 的 Inception 块" in m.value for m in at.markdown)  # the template's description
    leftover = {w for t in own for w in english_words(t)}
    assert not leftover, sorted(leftover)


def test_the_code_page_in_chinese_shows_its_own_strings_and_the_checks_in_chinese():
    """pages/code.py and ui/interop.py: everything but the latency section's button (ui/studio.py)."""
    at = visit("code", "zh")
    assert at.title[0].value == "代码与检查"
    own = [t for t in texts(at) if "latency" not in t and "Builds the model" not in t]
    (table,) = at.table
    assert list(table.value.columns) == ["结论", "我们的", "torchinfo", "说明"] and table.value.index.name == "检查项"
    assert "参数量（总计）" in table.value.index and set(table.value["结论"]) == {"一致"}
    leftover = {w for t in own for w in english_words(t)}
    assert not leftover, sorted(leftover)
    # the code's comments are in Chinese; the code itself is the English file's
    (code,) = [c for c in at.code if "def build_model" in c.value]
    assert "用 Inception Studio 设计的网络" in code.value and "# 通道、高、宽" in code.value


# --- what the core writes: diagrams, exported figures, CSV headers, the generated code's comments ---------



def test_the_diagram_words_cover_the_renderer_and_are_chinese():
    from googlenet.render import WORDS

    zh = i18n.diagram_words("zh")
    assert set(WORDS) <= set(zh) and i18n.diagram_words("en") == WORDS
    for key, text in zh.items():
        if key.startswith("template."):
            continue  # a template's description, for a renderer that writes it

        assert fields(text) == fields(WORDS[key]), key
        assert CHINESE.search(text) or text == WORDS[key], key  # translated, or a name (LRN, → ReLU)
    assert zh["legend.maxpool"] == "最大汇聚层" and zh["concat"] == "连结"  # GLOSSARY.md


@needs_dot
@pytest.mark.parametrize("preset, level", [("d2l", "layers"), ("googlenet", "blocks"), ("inception-resnet-v2", "stages")])
def test_a_chinese_diagram_writes_no_english_word(preset, level):
    from googlenet.render import legend, to_dot

    from .figures import layout

    a = analyze(get_preset(preset))
    words = i18n.diagram_words("zh")
    drawn = [t.text for t in layout(to_dot(a, level, numbers=True, words=words)).texts]
    drawn += [label for label, _color in legend("kind", a, level, words=words)]
    leftover = {w for t in drawn for w in english_words(t)}
    assert not leftover, sorted(leftover)
    assert any(CJK.search(t) for t in drawn)


@needs_dot
def test_a_chinese_png_export_is_drawn_with_a_cjk_font_not_tofu(monkeypatch, tmp_path):
    """The SVG names a CJK font for the Chinese words; the PNG drawn with the fonts the machine has
    differs from the same DOT drawn with fonts that lack Han glyphs (boxes: tofu)."""
    from googlenet.render import render, to_dot

    from .figures import share_changed_without_cjk_fonts

    dot = to_dot(analyze(get_preset("d2l")), "stages", words=i18n.diagram_words("zh"))
    svg = render(dot, "svg").decode()
    han = [m for m in re.finditer(r'<text [^>]*font-family="([^"]*)"[^>]*>([^<]*)</text>', svg) if CJK.search(m.group(2))]
    assert han and all("Noto Sans CJK SC" in m.group(1) for m in han)
    changed = share_changed_without_cjk_fonts(dot, tmp_path, monkeypatch)
    assert changed > 0.005, f"only {changed:.2%} of the pixels differ: the Han text looks the same without a CJK font"


def test_csv_headers_in_chinese_change_only_the_header_row():
    import csv

    from googlenet import report

    a = analyze(get_preset("googlenet"))
    en, zh = report.to_csv(a), report.to_csv(a, headers=i18n.csv_headers("zh"))
    assert report.to_csv(a, headers=i18n.csv_headers("en")) == en
    (en_head, *en_rows), (zh_head, *zh_rows) = csv.reader(io.StringIO(en)), csv.reader(io.StringIO(zh))
    assert en_head == list(report.CSV_COLUMNS) and zh_rows == en_rows
    assert zh_head[:4] == ["名称", "种类", "模块", "块"] and "感受野" in zh_head and len(set(zh_head)) == len(zh_head)
    assert report.to_csv_bytes(a, excel=True, headers=i18n.csv_headers("zh")).decode("utf-8-sig").startswith("名称,种类")
    with pytest.raises(ValueError):
        report.to_csv(a, headers={"name": 3})


def _code_only(source: str) -> str:
    """The module's code without its docstrings (comments are not in the tree)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            body[0] = ast.Pass()
    return ast.dump(tree)


def _comments(source: str) -> list[str]:
    return [t.string for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type == tokenize.COMMENT]


@pytest.mark.parametrize("preset", ["d2l", "googlenet", "googlenet-torchvision", "inception-resnet-v2"])
def test_code_comments_in_chinese_leave_the_code_as_it_is(preset):
    from googlenet import codegen

    net = get_preset(preset)
    en, zh = codegen.to_python(net), codegen.to_python(net, words=i18n.code_words("zh", net.description))
    assert codegen.to_python(net, words=i18n.code_words("en")) == en
    assert _code_only(zh) == _code_only(en) and zh != en
    doc = ast.get_docstring(ast.parse(zh))
    assert doc.startswith(f"用 Inception Studio 设计的网络 {net.name}") and "MACs 的计算方式" in doc
    assert CJK.search(i18n.gettext_in("zh", net.description)) and i18n.gettext_in("zh", net.description) in doc.replace("\n", " ")
    for kind in sorted({b.kind for b in net.blocks() if b.kind}):  # the templates it uses, described in Chinese
        assert f"  {kind}: {i18n.template_description(kind, 'zh')}" in doc
    ours = [c for c in _comments(zh) if c not in _comments(en)]
    assert ours and all(CJK.search(c) for c in ours)  # every comment that changed is Chinese
    runtime = set(_comments(codegen.runtime_source()))  # the runtime, carried verbatim, keeps its own comments
    written = [c for c in _comments(zh) if c not in runtime
               and not re.fullmatch(r"# -> [0-9x]+", c)  # shape comments stay as they are
               and "numel()" not in c]  # and the one that is code: sum(p.numel() for p in …)
    leftover = {w for c in written for w in english_words(c)}
    assert not leftover, sorted(leftover)


def test_generated_code_with_chinese_comments_runs(tmp_path):
    """Our own preset's file, written with Chinese comments, runs in a fresh interpreter."""
    import subprocess
    import sys

    from googlenet import codegen

    net = get_preset("googlenet")
    path = tmp_path / "model.py"
    path.write_text(codegen.to_python(net, words=i18n.code_words("zh", net.description)), encoding="utf-8")
    res = subprocess.run([sys.executable, "-I", str(path)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    params = analyze(net).totals.params
    assert f"params: {params:,} (expected {params:,})" in res.stdout


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_has_one_language_picker(name):
    """The entry point draws it for every page; a page run alone (AppTest's folder mode) draws
    it itself, never both."""
    at = visit(name, "en")
    assert [b.key for b in at.button_group if b.key == i18n.PICKER] == [i18n.PICKER]
    chinese = lambda: sum(bool(CJK.search(t)) for t in texts(at))  # noqa: E731
    assert chinese() <= 1  # the picker's own "中文"
    at.button_group(key=i18n.PICKER).set_value("zh").run()
    assert not at.exception and chinese() > 5  # the page now speaks Chinese


def test_refusals_to_measure_translate_by_template_and_values():
    from googlenet.checks import MAX_RUN_MACS, TooLargeToRun, check_runnable
    from googlenet.knobs import set_block_count
    from ui import jobs

    busy = jobs.Busy("measurement", jobs.Waiting(2, "measurement", 61.0), 60.0)
    assert i18n.coded_text(busy, "en") == str(busy) == (
        "the server was busy with another measurement for 60 s (your measurement was at position 2 in the queue), "
        "so it was not started; try again in a minute")
    assert i18n.coded_text(busy, "zh") == "服务器忙于另一次测量已有 60 秒（你的测量排在队列第 2 位），所以没有开始；请一分钟后再试"
    net = get_preset("inception-resnet-v2")
    for stage in ("inception_resnet_b",):
        net = set_block_count(net, stage, 128)
    net = replace(net, input=(3, 1999, 1999))
    with pytest.raises(TooLargeToRun) as info:
        check_runnable(net)
    zh = i18n.coded_text(info.value, "zh")
    assert i18n.coded_text(info.value, "en") == str(info.value) and zh.startswith("太大，无法运行：") and CJK.search(zh)
    assert all(str(v) in zh for v in info.value.values.values())
    assert f"{MAX_RUN_MACS / 1e9:,.0f}" in zh  # the limit the refusal names
    assert i18n.coded_text(ValueError("plain"), "zh") == "plain"  # no template: its own text


# --- the core's prose by code: the reader's notes, ONNX problems, profile refusals, this CPU ----------------

BOOK = ROOT / "tests" / "reference" / "d2l"


def _core_text_tables():
    from googlenet import devices, importer, onnx_export, profile

    return {"importer": importer.TEXTS, "onnx_export": onnx_export.TEXTS, "devices": devices.TEXTS, "profile": profile.MESSAGES,
            "link reasons": state.REASONS, "link problems": state.PROBLEMS}


@pytest.mark.parametrize("table", ["importer", "onnx_export", "devices", "profile", "link reasons", "link problems"])
def test_every_core_text_has_a_chinese_template_with_the_same_placeholders(table):
    for code, template in _core_text_tables()[table].items():
        zh = i18n.gettext_in("zh", template)
        assert zh != template and CJK.search(zh), code
        assert fields(zh) == fields(template), code
        assert not english_words(re.sub(r"\{[^}]*\}", " ", zh)), (code, english_words(zh))


def _shown(text) -> tuple[str, str]:
    """``text`` as the English and the Chinese interface show it."""
    return i18n.translate(text, "en"), i18n.translate(text, "zh")


def test_the_readers_notes_are_the_same_english_and_translate_by_code():
    from googlenet.codegen import to_python
    from googlenet.importer import read_code

    lecture = (BOOK / "googlenet_zh.py").read_text(encoding="utf-8")
    (loop,) = read_code(lecture).notes
    (no_input,) = read_code(lecture.split("X = torch.rand")[0]).notes
    (runtime,) = read_code(to_python(get_preset("d2l")).replace("class Group", "class Grouping")).notes
    line = next(i for i, s in enumerate(lecture.splitlines(), 1) if s.startswith("for layer in net"))
    expected = {
        loop: f"line {line}: the loop that prints each layer's output shape was skipped (the table shows them)",
        no_input: "the code gives no input; assumed 1×96×96 (add X = torch.rand(size=(1, C, H, W)) to choose, or change "
                  "it on the Architecture page)",
        runtime: "this file's runtime classes are not Inception Studio's; build_model()'s calls were read as its Builder "
                 "means them",
    }
    for note, english in expected.items():
        en, zh = _shown(note)
        assert str(note) == en == english
        assert CJK.search(zh) and not english_words(zh), (zh, english_words(zh))
    assert f"第 {line} 行" in _shown(loop)[1] and "1×96×96" in _shown(no_input)[1]


def _pool_that_does_not_divide():
    from googlenet.layers import AdaptiveAvgPool
    from googlenet.spec import Stage

    net = get_preset("d2l")
    b5 = net.stages[-1]
    items = tuple(AdaptiveAvgPool("avgpool", (2, 2)) if it.name == "avgpool" else it for it in b5.items)
    return replace(net, stages=(*net.stages[:-1], Stage(b5.name, items, b5.repeat)))


def test_why_a_design_has_no_onnx_file_is_the_same_english_and_translates_by_code():
    from googlenet import onnx_export

    pool = onnx_export.problem(_pool_that_does_not_divide())
    big = replace(get_preset("d2l-vgg11"), width=4)
    weights = onnx_export.problem(big)
    n = analyze(big).totals.weights_bytes
    assert n > onnx_export.MAX_BYTES
    expected = {
        pool: "avgpool pools 3×3 to 2×2, which does not divide it: ONNX has no operator for that adaptive pooling "
              "(choose an input whose map there divides, or a global pool)",
        weights: f"its weights take {n:,} bytes, more than one ONNX file holds (1,900,000,000)",
    }
    for why, english in expected.items():
        en, zh = _shown(why)
        assert str(why) == en == english
        assert CJK.search(zh) and not english_words(zh), (zh, english_words(zh))
    assert f"{n:,}" in _shown(weights)[1] and "avgpool" in _shown(pool)[1] and "3×3" in _shown(pool)[1]
    # the export's refusal carries the same reason, translated inside its message
    with pytest.raises(SpecError) as err:
        onnx_export.to_onnx(_pool_that_does_not_divide())
    assert str(err.value) == f"format: d2l cannot be written as ONNX: {expected[pool]}"
    zh = i18n.error_detail(err.value, "zh")  # the field ("format") is a name, shown as it is
    assert _shown(pool)[1] in zh and not english_words(zh), zh


def test_the_profilers_refusals_are_the_same_english_and_translate_by_code():
    from googlenet import devices
    from googlenet.checks import _LOCK, TooLargeToRun
    from googlenet.profile import Busy, Cancelled, check_size, profile_layers

    refused = {}
    with pytest.raises(TooLargeToRun) as memory:
        check_size(replace(get_preset("d2l-lenet"), input=(1, 1000, 1000)), 64)
    with pytest.raises(TooLargeToRun) as macs:
        check_size(get_preset("inception-resnet-v2"), 64)
    t = analyze(get_preset("inception-resnet-v2")).totals
    refused[memory.value] = "too large to run at batch 64: one forward pass needs about 2.65 GB of memory; the limit is 2.00 GB"
    refused[macs.value] = f"too large to run at batch 64: one forward pass is {64 * t.macs / 1e9:,.1f} GMACs; the limit is 200 GMACs"
    small = replace(get_preset("d2l"), input=(1, 32, 32), width=0.25)
    devices.this_cpu()  # measured first, in its own turn
    with _LOCK, pytest.raises(Busy) as busy:
        profile_layers(small, repeats=1, wait_seconds=0.1)
    refused[busy.value] = "another measurement kept the CPU busy for 0.1 s; try again when it has finished"
    with pytest.raises(Cancelled) as cancelled:
        profile_layers(small, repeats=1, cancel=lambda: True)
    refused[cancelled.value] = "cancelled before any timed pass"
    for err, english in refused.items():
        assert str(err) == i18n.coded_text(err, "en") == english
        zh = i18n.coded_text(err, "zh")
        assert CJK.search(zh) and not english_words(zh), (zh, english_words(zh))
        assert all(str(v) in zh for v in err.values.values())
    assert i18n.coded_text(memory.value, "zh").startswith("太大，无法以批量大小 64 运行")


def _cpu_model_name() -> str | None:
    for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("model name"):
            return " ".join(line.split(":", 1)[1].split())[:80]
    return None


def test_this_cpu_is_described_in_the_same_english_and_translates_by_code():
    import os

    import torch

    from googlenet import devices
    from googlenet.checks import MAX_THREADS

    cpu = devices.this_cpu()
    name, threads = _cpu_model_name(), min(MAX_THREADS, len(os.sched_getaffinity(0)))
    assert name is not None  # Linux: /proc/cpuinfo names it
    title = f"This machine's CPU ({name}, {threads} thread{'s' if threads != 1 else ''})"
    source = (f"measured here with torch {torch.__version__}: the best of repeated square matmuls per dtype, and of copies "
              "of a 128 MB buffer")
    basis = re.compile(r"peaks: the fastest matmul per dtype; bandwidth: bytes read \+ written by the fastest copy; "
                       r"memory: the machine's physical memory; load average \d+\.\d\d while measuring")
    assert _shown(cpu.title)[0] == cpu.title == title
    assert _shown(cpu.source)[0] == cpu.source == source
    assert _shown(cpu.basis)[0] == cpu.basis and basis.fullmatch(cpu.basis), cpu.basis
    for text in (cpu.title, cpu.source, cpu.basis):
        zh = _shown(text)[1]
        assert CJK.search(zh), zh
        # the CPU's model name and torch's version are names: they stay as they are
        rest = zh.replace(name, " ").replace(torch.__version__, " ")
        assert not english_words(rest), (zh, english_words(rest))
    assert _shown(cpu.title)[1] == f"本机的 CPU（{name}，{threads} 个线程）"
    for model, threads_ in ((None, 1), (None, 3), ("X", 1)):  # the other titles: no name known, one thread
        en, zh = _shown(devices._title(model, threads_))
        assert en == f"This machine's CPU ({model or 'this CPU'}, {threads_} thread{'s' if threads_ != 1 else ''})"
        assert CJK.search(zh) and not english_words(zh.replace("X", " ")), zh


def test_the_code_page_in_chinese_shows_the_readers_notes_and_its_line_in_chinese():
    at = visit("code", "zh")
    lecture = (BOOK / "googlenet_zh.py").read_text(encoding="utf-8").split("X = torch.rand")[0]
    at.text_area(key="code_import_text").set_value(lecture)
    (button,) = [b for b in at.button if b.label == "读取代码"]
    button.click().run()
    assert not at.exception and not at.error
    infos = [i.value for i in at.info]
    assert any("1×96×96" in i and "假定" in i for i in infos), infos
    assert any("`X = torch.rand(size=(1, C, H, W))`" in i for i in infos), infos  # the code shows as code
    (code,) = [c for c in at.code if "def build_model" in c.value]  # the read design's description, in the code's docstring
    docstring = code.value.split('"""')[1]  # the code itself (its DESCRIPTION constant) is the English file's
    assert "从按课程写法编写的 PyTorch 代码读入。" in docstring and "lecture's way" not in docstring
    name = at.session_state["design"].network().name  # the read design's name: a name, shown as it is
    leftover = {w for t in infos for w in english_words(t.replace(f"**{name}**", " "))}
    assert not leftover, (sorted(leftover), infos)
    at.text_area(key="code_import_text").set_value((BOOK / "vgg_zh.py").read_text(encoding="utf-8"))
    [b for b in at.button if b.label == "读取代码"][0].click().run()
    (error,) = [e.value for e in at.error]
    assert "**第 7 行**" in error and "line" not in error, error


def test_the_hardware_page_in_chinese_describes_this_cpu_in_chinese():
    import torch

    at = visit("hardware", "zh")
    from googlenet import devices

    at.selectbox(key="hw_device").select_index(devices.names().index(devices.THIS_CPU)).run()
    assert not at.exception and not at.error
    name = _cpu_model_name()
    (caption,) = [c.value for c in at.caption if "本机的 CPU" in c.value and "Source" not in c.value]
    assert "测量时的平均负载" in caption and "在本机用 torch" in caption
    plain = caption.replace("\\", "")  # Markdown escapes
    rest = plain.replace(name or "\0", " ").replace(torch.__version__, " ")
    assert not english_words(rest), (english_words(rest), caption)


def test_the_block_figure_describes_its_template_in_the_readers_language():
    from googlenet.render import block_dot
    from googlenet.render.text import html
    from googlenet.templates import TEMPLATES

    a = analyze(get_preset("d2l"))
    english = html(TEMPLATES["inception"].description)  # as a DOT label writes it
    chinese = block_dot(a, "inception3a", words=i18n.diagram_words("zh"))
    assert english not in chinese and "GoogLeNet 的 Inception 块" in chinese  # the catalog's words
    assert english in block_dot(a, "inception3a")


def test_a_links_problems_are_said_in_the_readers_language_and_follow_the_picker():
    """Kept by template and values, so they are said in the language of the moment they are shown."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update({"preset": "d2l", "aux": "maybe", "b4": "999", "b9": "1", "lang": "zh"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [w.value for w in at.warning] == [
        "已忽略链接中的 **aux=maybe**：必须是 on 或 off。",
        "已忽略链接中的 **b4=999**：必须在 0 到 128 之间，得到的是 999。",
        "已忽略链接中的 **b9=1**：d2l 没有名为 \\'b9\\' 的模块；现有模块：b1\\, b2\\, b3\\, b4\\, b5。",
    ]
    at.button_group(key=i18n.PICKER).set_value("en").run()
    assert [w.value for w in at.warning] == [
        "Ignored **aux=maybe** from the link: must be on or off.",
        "Ignored **b4=999** from the link: must be from 0 to 128\\, got 999.",
        "Ignored **b9=1** from the link: d2l has no stage named \\'b9\\'\\; stages\\: b1\\, b2\\, b3\\, b4\\, b5.",
    ]


def test_a_links_problem_translates_a_core_refusal_by_code():
    from ui.state import from_query

    (problem,) = from_query({"preset": "d2l", "inception3a.c2": "64"}).problems  # c2 is (reduce, out)
    zh = problem.text("zh")
    assert problem.text("en") == problem and zh.startswith("已忽略链接中的 **inception3a\\.c2=64**：") and CJK.search(zh)
    assert not english_words(zh.replace("\\", "")), english_words(zh)
