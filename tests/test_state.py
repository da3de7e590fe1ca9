"""The design and its link (ui/state.py): pure functions, no Streamlit."""

from __future__ import annotations

import base64
import subprocess
import sys
import zlib
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from googlenet import config, get_preset, knobs, preset_names
from googlenet.knobs import block_count, min_block_count
from ui import state
from ui.state import Design, from_query, to_query

from .md import shown


def test_the_pure_module_imports_no_streamlit():
    code = "import sys, ui.state; assert 'streamlit' not in sys.modules, 'ui.state imported streamlit'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(__import__("pathlib").Path(__file__).parent.parent))


def test_the_documented_link():
    decoded = from_query({"preset": "d2l", "input": "1x96x96", "b4": "7", "inception3a.c1": "80"})
    assert decoded.problems == ()
    d = decoded.design
    # the input equals the preset's, so the canonical design (and the link) leave it out
    assert to_query(d) == {"preset": "d2l", "b4": "7", "inception3a.c1": "80"}
    net = d.network()
    assert block_count(net, "b4") == 7
    assert net.block("inception3a").width("c1") == (80,)
    assert net == knobs.Tweaks("d2l", counts=(("b4", 7),), widths=(("inception3a", "c1", (80,)),)).apply()


def test_an_empty_link_is_the_default_preset():
    d = from_query({}).design
    assert d == Design(knobs.Tweaks("d2l")) and not d.modified
    assert to_query(d) == {"preset": "d2l"}


def test_setters_are_canonical():
    d = state.from_preset("d2l")
    d = state.with_count(d, "b4", 7)
    d = state.with_block_width(d, "inception4f", "c2", (100, 200))  # a block the count added
    d = state.with_block_width(d, "inception3a", "c1", (64,))  # the preset's own value: no knob
    assert d.modified
    assert to_query(d) == {"preset": "d2l", "b4": "7", "inception4f.c2": "100,200"}
    # removing the added block removes its width knob; back to 5 blocks is the preset again
    d = state.with_count(d, "b4", 5)
    assert not d.modified and to_query(d) == {"preset": "d2l"}
    d = state.with_input(state.with_width_multiplier(d, 0.5), (1, 64, 64))
    assert to_query(d) == {"preset": "d2l", "input": "1x64x64", "width": "0.5"}
    assert state.reset(d) == state.from_preset("d2l")


def test_aux_and_residual_scale_in_the_link():
    d = state.with_aux(state.from_preset("googlenet"), True)
    assert to_query(d)["aux"] == "on" and d.network().aux_enabled
    r = state.with_scale(state.from_preset("inception-resnet-v2"), "block35_3", 0.3)
    assert to_query(r) == {"preset": "inception-resnet-v2", "block35_3.scale": "0.3"}
    assert from_query(to_query(r)).design == r


@st.composite
def designs(draw):
    preset = draw(st.sampled_from(preset_names()))
    d = state.from_preset(preset)
    origin = d.origin()
    for s in origin.stages:
        if s.repeat and draw(st.booleans()):
            n = block_count(origin, s.name)
            d = state.with_count(d, s.name, draw(st.integers(min_block_count(origin, s.name), 2 * n + 1)))
    net = d.network()
    blocks = net.blocks()
    for _ in range(draw(st.integers(0, 3))):
        if not blocks:
            break
        b = draw(st.sampled_from(blocks))
        name, arity = draw(st.sampled_from([(k, len(v)) for k, v in b.widths]))
        d = state.with_block_width(d, b.name, name, draw(st.lists(st.integers(1, 600), min_size=arity, max_size=arity)))
    if draw(st.booleans()):
        d = state.with_width_multiplier(d, draw(st.sampled_from([0.25, 0.5, 0.75, 1.25, 1.5, 2.0])))
    if draw(st.booleans()):
        c, h, w = origin.input
        d = state.with_input(d, (c, draw(st.integers(64, 512)), draw(st.integers(64, 512))))
    if draw(st.booleans()):
        d = state.with_classes(d, draw(st.integers(1, 5000)))
    return d


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(designs())
def test_every_design_survives_its_link(d):
    q = to_query(d)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in q.items())
    decoded = from_query(q)
    assert decoded.problems == ()
    assert decoded.design == d
    assert decoded.design.network() == d.network()
    # and the config JSON of the network leads back to the same short link
    assert state.from_network(config.loads(config.dumps(d.network()))) == d


def test_link_messages_show_user_text_as_text():
    decoded = from_query({"b4` ![t](https://example.invalid/t.png) `": "1", "inception3a.c1": "<b>x</b>"})
    for message in decoded.problems:
        assert "![t](" not in message and "<b>" not in message and "`" not in message.replace("\\`", "")
    assert "![t](https://example.invalid/t.png)" in shown(decoded.problems[0])


@pytest.mark.parametrize(
    "text", ["plain", "![t](https://x.invalid/t.png)", "`code` **b** <i>h</i> &lt; :red[c] $x$", "a\x1b[2Jb", "k" * 500]
)
def test_md_literal_shows_the_text_itself(text):
    out = state.md_literal(text, 1000)
    assert out.isprintable()
    assert shown(out) == text.replace("\x1b", "\\x1b")


@pytest.mark.parametrize(
    "key, value, words",
    [
        ("b4", "abc", "whole number"),
        ("b4", "-1", "whole number"),
        ("b4", "999", "from 0 to 128"),
        ("b1", "2", "no repeatable blocks"),
        ("nostage", "3", "no stage named 'nostage'"),
        ("inception3a.c1", "0", "from 1 to 65,536"),
        ("inception3a.c1", "-5", "from 1 to 65,536"),
        ("inception3a.c1", "70000", "from 1 to 65,536, got 70,000"),
        ("inception3a.c2", "16,0", "got 0"),
        ("inception3a.c2", "96", "needs 2 number(s), got 1"),
        ("inception3a.c9", "5", "no such width"),
        ("inception9z.c1", "5", "no block named 'inception9z'"),
        ("inception3a.scale", "0.5", "not a residual block"),
        ("input", "96x96", "channels×height×width"),
        ("input", "1x0x96", "from 1"),
        ("width", "nan", "must be a number"),
        ("width", "1e400", "must be a number"),
        ("width", "9", "from 0.015625 to 8"),
        ("classes", "0", "from 1"),
        ("aux", "on", "no aux heads"),
        ("b4", "7" * 300, "longer than"),
    ],
)
def test_a_malformed_parameter_is_named_and_dropped(key, value, words):
    decoded = from_query({"preset": "d2l", key: value, "b5": "3"})
    (message,) = decoded.problems
    seen = shown(message)
    assert f"{key}=" in seen and words in seen, message
    assert to_query(decoded.design) == {"preset": "d2l", "b5": "3"}  # the good parameter is kept


def test_an_unknown_preset_falls_back_to_the_default():
    decoded = from_query({"preset": "resnet50", "b4": "7"})
    assert decoded.design == state.from_preset("d2l")
    assert "resnet50" in decoded.problems[0] and "d2l" in decoded.problems[0]


def test_repeated_parameters_take_the_last_value():
    assert to_query(from_query({"preset": ["googlenet", "d2l"], "b4": ["3", "6"]}).design) == {"preset": "d2l", "b4": "6"}


def test_an_uploaded_network_rides_in_the_link():
    net = replace(get_preset("d2l"), name="my-net", description="mine")
    d = state.from_network(net)
    assert d.base == net and not d.modified
    d = state.with_count(d, "b3", 3)
    q = to_query(d)
    assert set(q) == {"config", "b3"}
    back = from_query(q)
    assert back.problems == () and back.design == d
    assert state.stem(d).startswith("my-net-custom-")


@pytest.mark.parametrize(
    "packed, words",
    [
        ("not base64!", "base64url"),
        (base64.urlsafe_b64encode(b"plain text").decode(), "decompress"),
        (base64.urlsafe_b64encode(zlib.compress(b'{"format": 1}')).decode().rstrip("="), "config"),
        (base64.urlsafe_b64encode(zlib.compress(b" " * 3_000_000, 9)).decode().rstrip("="), "larger than"),
    ],
)
def test_a_bad_embedded_config_is_refused(packed, words):
    decoded = from_query({"config": packed, "b4": "7"})
    assert decoded.design == state.from_preset("d2l")
    seen = shown(decoded.problems[0])
    assert "config" in seen and words in seen, decoded.problems


def test_file_names():
    d = state.from_preset("d2l")
    assert state.file_name(d, "png", "blocks") == "d2l-blocks.png"
    assert state.file_name(state.from_preset("inception-v3"), "csv") == "inception-v3-layers.csv"
    assert state.file_name(d, "json") == "d2l-config.json"
    assert state.file_name(d, "py") == "d2l_model.py"
    custom = state.with_count(d, "b4", 7)
    name = state.file_name(custom, "py")
    assert name.startswith("d2l_custom_") and name.endswith("_model.py") and name.isascii()
    assert state.file_name(custom, "svg", "layers").startswith("d2l-custom-")
    # the same design always gets the same name; another design another name
    assert state.file_name(state.with_count(d, "b4", 7), "py") == name
    assert state.file_name(state.with_count(d, "b4", 6), "py") != name


# --- links with many parameters ------------------------------------------------------------------


def test_hundreds_of_bad_parameters_give_a_few_messages_and_one_that_counts_the_rest():
    params = {"preset": "d2l", **{f"nostage{i}": "1" for i in range(300)}}
    problems = state.from_query(params).problems
    assert len(problems) == state.MAX_PROBLEMS
    assert all("nostage" in p for p in problems[:-1])
    assert f"{300 - (state.MAX_PROBLEMS - 1):,} more" in problems[-1]


def test_a_link_with_more_parameters_than_any_design_is_set_aside_with_one_message():
    params = {"preset": "googlenet", "b4": "6", **{f"p{i}": "1" for i in range(2_000)}}
    decoded = state.from_query(params)
    assert decoded.design == state.from_preset("googlenet")  # none of it read, not even b4
    assert len(decoded.problems) == 1 and "2,002 parameters" in decoded.problems[0]


def test_a_few_bad_parameters_are_each_named():
    problems = state.from_query({"preset": "d2l", "b9": "1", "b4": "x"}).problems
    assert len(problems) == 2 and any("b9" in p for p in problems) and any("b4" in p for p in problems)
