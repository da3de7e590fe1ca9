"""No input breaks it, nothing executes user data.

Property tests feed the core what a slider, a text box, a hand-edited JSON file, a hand-edited
link or a command line can carry. Every input must give a network that PyTorch agrees with, or
a ``SpecError`` whose message names the field: never another exception, never a hang, never an
error message that echoes a megabyte or a terminal escape. Then: huge networks cost arithmetic
only, the caches stay bounded, hostile names are escaped in every output, and no source file
can execute or unpickle what a user sends.

Run with ``--hypothesis-show-statistics`` to see how many inputs each property tried and how
they ended (loaded, refused by the reader, refused by the analysis).
"""

from __future__ import annotations

import ast
import base64
import contextlib
import copy
import csv
import dataclasses
import importlib
import io
import json
import os
import pkgutil
import re
import resource
import signal
import subprocess
import sys
import threading
import time
import tokenize
import tracemalloc
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import googlenet
from googlenet import InputTooSmall, SpecError, analyze, cli, config, get_preset, knobs, preset_names
from googlenet import limits as L
from googlenet.analysis import Analysis
from googlenet.build import build
from googlenet.report import summary, table, to_csv

from .judge import assert_matches_pytorch

ROOT = Path(__file__).resolve().parents[1]
PRESETS = tuple(preset_names())
PRESET_DOCS = {name: config.to_dict(get_preset(name)) for name in PRESETS}

SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
PER_EXAMPLE_SECONDS = 20.0  # a hang guard for one input, far above what any input needs
MAX_MESSAGE = 2_000  # characters of one error message: enough for any field and hint


# --- helpers ----------------------------------------------------------------------------------


class Hang(BaseException):
    """An input took longer than its time limit (a BaseException so no ``except`` eats it)."""


@contextlib.contextmanager
def time_limit(seconds: float = PER_EXAMPLE_SECONDS):
    """Interrupt the block after ``seconds`` (SIGALRM; the main thread only, else unbounded)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum, frame):
        raise Hang(f"took longer than {seconds:g} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def assert_names_a_field(err: SpecError) -> None:
    """The message starts with a non-empty field, is short, and is safe to print anywhere."""
    msg = str(err)
    assert isinstance(err, ValueError)
    assert isinstance(err.field, str) and err.field, f"no field named: {msg[:300]!r}"
    assert msg.startswith(f"{err.field}: ") and err.detail, msg[:300]
    assert len(msg) <= MAX_MESSAGE, f"a {len(msg):,}-character message: {msg[:300]!r}…"
    assert msg.isprintable(), f"control or format characters in the message: {msg[:300]!r}"
    msg.encode("utf-8")  # no lone surrogates: it can be printed and sent to a browser


def rss_bytes() -> int:
    """The resident set size of this process now (not its peak)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def check_outputs(a: Analysis) -> None:
    """What every page and command makes from an analysis can be made."""
    table(a).encode("utf-8")
    to_csv(a).encode("utf-8")
    json.dumps(summary(a), ensure_ascii=False).encode("utf-8")


def load_or_refuse(data: str | bytes):
    """``config.loads`` and ``analyze``: a network and its analysis, or a SpecError naming the
    field (checked here). Returns (network or None, analysis or None)."""
    with time_limit():
        try:
            net = config.loads(data)
        except SpecError as err:
            assert_names_a_field(err)
            event("refused by the reader")
            return None, None
        assert config.loads(config.dumps(net)) == net  # what loads, round-trips
        try:
            a = analyze(net)
        except SpecError as err:
            assert_names_a_field(err)
            event("refused by the analysis")
            # the hints are right: the network analyses at every input they name
            hints = [err.min_size] if isinstance(err, InputTooSmall) and err.min_size else []
            for size in hints + list(getattr(err, "suggestions", ())):
                analyze(replace(net, input=(net.input[0], *size)))
            return net, None
        check_outputs(a)
        event("valid network")
        return net, a


def assert_pytorch_agrees(net, a: Analysis) -> None:
    """PyTorch's own count of the built module equals the analysis (meta device: no memory)."""
    assert_matches_pytorch(net)
    model = build(net, device="meta").eval()
    with torch.inference_mode():
        y = model(torch.empty(1, *net.input, device="meta"))
    assert tuple(y.shape[1:]) == a.totals.output_shape


# --- odd values ---------------------------------------------------------------------------------

HOSTILE_NAMES = [
    "<script>alert(1)</script>",
    '"]; x [label="',
    "{",
    "}",
    "a\nb",
    "\\",
    "back\\slash\\N",
    "\u202eevil",  # right-to-left override
    "'",
    '"',
    "\x00",
    "\x1b[2J",  # a terminal escape
    "\ud800",  # a lone surrogate
    "=cmd|' /C calc'!A0",
    "=1+2",
    "+1",
    "-1",
    "@SUM(A1)",
    "a.b",
    "",
    " ",
    "__class__",
    "forward",
    "training",
    "_modules",
    "名前",
    "🙂",
    "x" * 65,
]
BOUNDARY_INTS = [
    0, 1, -1, 2, 3, 5, 7, 64, 65, 16_384, 16_385, 65_536, 65_537, 100_000, 100_001,
    10**12, 10**12 + 1, 2**31, 2**63, 10**30, -(10**30), 10**400,
]
BOUNDARY_FLOATS = [0.5, 1.5, 3.0, -0.0, 1e-3, 1 / 64, 1 / 65, 8.0, 8.5, 1e308, 5e-324, -1e308]


def _nest(depth: int):
    v: object = 1
    for i in range(depth):
        v = [v] if i % 2 else {"a": v}
    return v


odd_values = st.one_of(
    st.integers(-5, 300),
    st.sampled_from(BOUNDARY_INTS),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(BOUNDARY_FLOATS),
    st.booleans(),
    st.none(),
    st.text(max_size=12),
    st.sampled_from(HOSTILE_NAMES),
    st.sampled_from(["x" * 10_000, "inception", "max", "avg", "conv", "block", "flatten", config.FORMAT]),
    st.lists(st.integers(-3, 300), max_size=4),
    st.lists(st.one_of(st.sampled_from(HOSTILE_NAMES), st.none(), st.floats()), max_size=3),
    st.dictionaries(st.sampled_from(["type", "name", "out", "kernel", "x"]), st.integers(0, 8), max_size=3),
    st.integers(1, 40).map(_nest),
)
FIELD_NAMES = ["type", "name", "kind", "out", "kernel", "stride", "padding", "scale", "act", "repeat", "items",
               "c1", "c2", "bias", "bn", "p", "op", "after", "layers", "format", "input", "extra", ""]


def _slots(doc) -> list[tuple[object, object]]:
    """Every (container, key) of a JSON document."""
    out = []

    def walk(x):
        items = x.items() if isinstance(x, dict) else enumerate(x) if isinstance(x, list) else ()
        for k, v in list(items):
            out.append((x, k))
            walk(v)

    walk(doc)
    return out


def _nudge(draw, v):
    """A nearby value of the same JSON type: mostly still valid."""
    if isinstance(v, bool):
        return not v
    if isinstance(v, int):
        return draw(st.one_of(st.integers(0, max(4, 2 * v)), st.integers(1, 3)))
    if isinstance(v, float):
        return draw(st.sampled_from([0.25, 0.5, 1.0, 1.5, v]))
    if isinstance(v, list) and v and all(isinstance(x, int) and not isinstance(x, bool) for x in v):
        return [draw(st.integers(1, max(4, 2 * x))) for x in v]
    return v


@st.composite
def mutated_docs(draw, ops=("replace", "nudge", "nudge", "delete", "add", "duplicate", "rename")):
    """A preset's config document with a few fields changed, removed, added or duplicated."""
    doc = copy.deepcopy(PRESET_DOCS[draw(st.sampled_from(PRESETS))])
    for _ in range(draw(st.integers(1, 4))):
        parent, key = draw(st.sampled_from(_slots(doc)))
        op = draw(st.sampled_from(ops))
        if op == "replace":
            parent[key] = draw(odd_values)
        elif op == "nudge":
            parent[key] = _nudge(draw, parent[key])
        elif op == "delete":
            del parent[key]
        elif op == "add":
            target = parent[key] if isinstance(parent[key], dict) else parent
            if isinstance(target, dict):
                target[draw(st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=8)))] = draw(odd_values)
            else:
                target.insert(draw(st.integers(0, len(target))), draw(odd_values))
        elif op == "duplicate":
            if isinstance(parent, list):
                parent.insert(key, copy.deepcopy(parent[key]))
        elif op == "rename" and isinstance(parent[key], dict):
            parent[key]["name"] = draw(st.sampled_from(HOSTILE_NAMES))
    return doc


TEXT_MUTATIONS = ["none"] * 8 + ["truncate", "bom", "dup-key", "byte", "invalid-utf8", "utf16", "number", "nesting", "surrogate"]
WEIRD_NUMBERS = ["1" + "0" * 5000, "1e999", "-1e999", "-0", "1E+2", "0x10", "01", "1.", ".5", "NaN", "-Infinity", "Infinity", "1e-999"]


@st.composite
def documents(draw, docs=mutated_docs()):
    """A mutated document as the bytes or text a file upload or a paste would carry."""
    doc = draw(docs)
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()), allow_nan=True, indent=draw(st.sampled_from([None, 2])))
    how = draw(st.sampled_from(TEXT_MUTATIONS))
    event(f"text mutation: {how}")
    if how == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    elif how == "bom":
        text = "\ufeff" + text
    elif how == "dup-key":
        keys = list(re.finditer(r'"(\w+)": ', text))
        if keys:
            m = draw(st.sampled_from(keys))
            value = json.dumps(draw(odd_values), allow_nan=True)
            text = f"{text[: m.start()]}\"{m.group(1)}\": {value}, {text[m.start():]}"
    elif how == "number":
        nums = list(re.finditer(r"(?<![\w.\"])\d+(?![\w.\"])", text))
        if nums:
            m = draw(st.sampled_from(nums))
            text = text[: m.start()] + draw(st.sampled_from(WEIRD_NUMBERS)) + text[m.end():]
    elif how == "nesting":
        n = draw(st.sampled_from([13, 100, 10_000, 200_000]))
        text = "[" * n + text + "]" * n
    elif how == "surrogate":
        text = text.replace('"name": "', '"name": "\\ud800', 1)
    data: str | bytes = text
    if draw(st.booleans()) or how in ("byte", "invalid-utf8", "utf16"):
        raw = text.encode("utf-8", "surrogatepass")
        if how == "byte" and raw:
            i = draw(st.integers(0, len(raw) - 1))
            raw = raw[:i] + bytes([draw(st.integers(0, 255))]) + raw[i + 1:]
        elif how == "invalid-utf8":
            i = draw(st.integers(0, len(raw)))
            raw = raw[:i] + draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x00"])) + raw[i:]
        elif how == "utf16":
            raw = text.encode("utf-16", "surrogatepass")
        elif how == "bom":
            raw = b"\xef\xbb\xbf" + raw[3:]
        data = raw
    return data


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=25,
)


# --- 1. config documents ------------------------------------------------------------------------


@settings(max_examples=1500, deadline=None, suppress_health_check=SLOW)
@given(documents())
def test_mutated_configs_load_or_are_refused_naming_the_field(data):
    load_or_refuse(data)


@settings(max_examples=800, deadline=None, suppress_health_check=SLOW)
@given(
    st.one_of(
        st.binary(max_size=400),
        st.text(max_size=200),
        json_values.map(lambda v: json.dumps(v, allow_nan=True)),
        st.fixed_dictionaries({"input": json_values, "classes": json_values, "stages": json_values}).map(
            lambda v: json.dumps(v, allow_nan=True)
        ),
    )
)
def test_random_bytes_and_json_are_refused_naming_the_field(data):
    net, _ = load_or_refuse(data)
    assert net is None or isinstance(net, googlenet.Network)


@settings(max_examples=50, deadline=None, suppress_health_check=SLOW)
@given(mutated_docs(ops=("nudge",)).map(json.dumps))
def test_valid_mutated_configs_match_pytorch(text):
    net, a = load_or_refuse(text)
    if a is not None:
        with time_limit(60):
            assert_pytorch_agrees(net, a)


@st.composite
def layer_docs(draw) -> dict:
    """A small network of plain layers with random kernels, strides, paddings and modes."""
    small = st.integers(1, 4)
    pair = st.one_of(small, st.lists(small, min_size=2, max_size=2))
    layers = []
    for i in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["conv", "conv", "pool", "pool", "lrn", "dropout", "adaptive_avg_pool"]))
        layer = {"type": kind, "name": f"l{i}"}
        if kind == "conv":
            layer |= {"out": draw(st.integers(1, 6)), "kernel": draw(pair), "stride": draw(pair), "padding": draw(st.integers(0, 3)),
                      "bias": draw(st.booleans()), "bn": draw(st.booleans()), "act": draw(st.booleans())}
        elif kind == "pool":
            k = draw(st.integers(1, 5))
            layer |= {"op": draw(st.sampled_from(["max", "avg"])), "kernel": k, "stride": draw(small),
                      "padding": draw(st.integers(0, k // 2)), "ceil_mode": draw(st.booleans()),
                      "count_include_pad": draw(st.booleans())}
        elif kind == "lrn":
            layer |= {"size": draw(st.integers(1, 7))}
        elif kind == "adaptive_avg_pool":
            layer |= {"output": draw(pair)}
        layers.append(layer)
    head = [{"type": "flatten", "name": "flat"}, {"type": "linear", "name": "fc", "act": draw(st.booleans())}]
    size = [draw(st.integers(1, 40)), draw(st.integers(1, 40))]
    return {"input": [draw(st.integers(1, 3)), *size], "classes": draw(st.integers(1, 5)),
            "width": draw(st.sampled_from([0.5, 1.0, 2.0])), "stages": [{"name": "s", "items": layers}], "head": head}


@settings(max_examples=150, deadline=None, suppress_health_check=SLOW)
@given(layer_docs())
def test_random_plain_layers_match_pytorch(doc):
    net, a = load_or_refuse(json.dumps(doc))
    if a is not None:
        with time_limit(60):
            assert_pytorch_agrees(net, a)


@pytest.mark.parametrize(
    "text, field",
    [
        ('{"input": [1, 96, 96], "classes": 10, "width": ' + "9" * 400 + ', "stages": []}', "width"),
        ('\ufeff{"input": [1, 96, 96], "classes": 10, "stages": []}', "stages"),  # a BOM is only an encoding mark
        ('{"input": [1, 96, 96], "classes": 10, "classes": 11, "stages": []}', "classes"),
        ('{"input": [1, 96, 96], "classes": 10, "stages": [], "format": "' + "x" * 900_000 + '"}', "format"),
        ('{"input": [1, 96, 96], "classes": 10, "stages": [], "' + "k" * 900_000 + '": 1}', "'kkk"),
        ('{"input": [1, 96, 96], "classes": 10, "stages": [{"name": "a\\u001b[2J", "items": []}]}', "stages[0].name"),
        ('{"input": [1, 96, 96], "classes": 10, "stages": [{"name": "\\ud800", "items": []}]}', "stages[0].name"),
        ('{"name": "[[[[[[[[[[[[[[[[", "input": [1, 96, 96], "classes": 10, "stages": []}', "stages"),
    ],
)
def test_config_edge_cases_name_the_field(text, field):
    for data in (text, text.encode("utf-8", "surrogatepass")):
        with pytest.raises(SpecError) as err:
            config.loads(data)
        assert_names_a_field(err.value)
        assert err.value.field.startswith(field), str(err.value)[:200]


def test_a_bom_before_a_valid_config_is_accepted():
    text = config.dumps(get_preset("d2l"))
    assert config.loads("\ufeff" + text) == config.loads(b"\xef\xbb\xbf" + text.encode()) == get_preset("d2l")


def test_flat_input_to_a_layer_pytorch_needs_spatial_for_is_refused():
    doc = copy.deepcopy(PRESET_DOCS["d2l"])
    doc["head"].append({"type": "lrn", "name": "norm"})
    with pytest.raises(SpecError, match=r"head\.norm: .*C×H×W"):
        analyze(config.from_dict(doc))


def _convs(*specs) -> googlenet.Network:
    items = [{"type": "conv", "name": f"c{i}", "out": 4, "kernel": k, "stride": s} for i, (k, s) in enumerate(specs)]
    return config.from_dict({"input": [1, 100, 100], "classes": 10, "stages": [{"name": "s", "items": items}]})


def test_a_smallest_input_above_4096_is_found():
    net = _convs((64, 64), (64, 1), (64, 1))  # needs 127 after a 64-fold reduction: 8,128
    with pytest.raises(InputTooSmall) as err:
        analyze(net)
    assert err.value.min_size == (8128, 8128), str(err.value)
    analyze(replace(net, input=(1, 8128, 8128)))
    with pytest.raises(InputTooSmall, match="no input size makes this network valid"):
        analyze(_convs((64, 64), (64, 64), (64, 64)))  # 262,144: past the input limit


def test_nearby_inputs_suggested_for_branches_that_cannot_meet_are_within_the_limits():
    bn = PRESET_DOCS["inception-bn"]
    block = next(it for s in bn["stages"] for it in s["items"] if it.get("kind") == "bn-inception-reduction")
    doc = {"input": [3, 16384, 16384], "classes": 10, "stages": [
        {"name": "stem", "items": [{"type": "conv", "name": "s1", "out": 8, "kernel": 1, "stride": 5}]},
        {"name": "last", "items": [block]},
    ]}
    with pytest.raises(SpecError) as err:
        analyze(config.from_dict(doc))
    assert "cannot be concatenated" in str(err.value) and err.value.suggestions, str(err.value)
    for size in err.value.suggestions:
        assert max(size) <= L.MAX_INPUT_SIZE, str(err.value)
        analyze(replace(config.from_dict(doc), input=(3, *size)))


def test_tensors_pytorch_cannot_hold_are_refused():
    # 524,288 channels (65,536 × width 8) of 16,384² flattened into 65,536 classes: 2⁶³ weights
    doc = {
        "input": [1, 16384, 16384], "classes": 65536, "width": 8,
        "stages": [{"name": "s", "items": [
            {"type": "conv", "name": "c", "out": 65536, "kernel": 1},
            {"type": "flatten", "name": "f"},
            {"type": "linear", "name": "fc"},
        ]}],
    }
    with pytest.raises(SpecError) as err:
        analyze(config.from_dict(doc))
    assert err.value.field == "s.fc" and "limit" in str(err.value)


# --- 2. knobs with what a widget can carry ------------------------------------------------------

widget_values = st.one_of(
    st.integers(-3, 70_000), st.sampled_from(BOUNDARY_INTS), st.floats(), st.booleans(), st.none(),
    st.text(max_size=6), st.lists(st.integers(-2, 600), max_size=4).map(tuple), st.lists(st.text(max_size=3), max_size=3),
)


@settings(max_examples=800, deadline=None, suppress_health_check=SLOW)
@given(st.sampled_from(PRESETS), st.data())
def test_knobs_give_a_network_or_name_the_field(preset, data):
    net = get_preset(preset)
    blocks = [b.name for b in net.blocks()]
    stages = [s.name for s in net.stages]
    with time_limit():
        for _ in range(data.draw(st.integers(1, 3))):
            knob = data.draw(st.sampled_from(["width", "count", "scale"]))
            try:
                if knob == "width":
                    block = data.draw(st.sampled_from(blocks + ["nope", ""]))
                    fields = [f for f, _ in net.block(block).widths] if block in blocks else ["c1"]
                    field = data.draw(st.sampled_from(fields + ["zz"]))
                    net = knobs.set_width(net, block, field, data.draw(widget_values))
                elif knob == "count":
                    net = knobs.set_block_count(net, data.draw(st.sampled_from(stages + ["nope"])), data.draw(widget_values))
                else:
                    block, value = data.draw(st.sampled_from(blocks + ["nope"])), data.draw(widget_values)
                    net = knobs.set_scale(net, block, value)
                    assert net.block(block).scale == value  # set, not silently ignored
            except SpecError as err:
                assert_names_a_field(err)
        try:
            check_outputs(analyze(net))
            assert config.loads(config.dumps(net)) == net  # every knob's value survives a save
        except SpecError as err:
            assert_names_a_field(err)


# --- 3. the command line ----------------------------------------------------------------------

ARG_WORDS = [
    "summary", "config", "presets", "code", "export", *PRESETS, "--config", "--input", "--classes", "--aux",
    "--format", "json", "csv", "table", "-o", "--output", "png", "svg", "pdf", "dot", "out.svg", "out.dot", "out.png",
    "--level", "stages", "blocks", "layers", "--expand", "inception3a", "b3", "--color", "params", "--theme", "dark",
    "--numbers", "--dpi", "18", "1200", "99999",
    "3x224x224", "1x96x96", "0x0x0", "3x99999x99999", "3x16384x16384", "3x8x8", "3 x 64 x 64", "1×96×96",
    "-1", "0", "10", "100001", "99999999999999999999", "1e3", "١٠", "", "-", "--", "--inp", "--cla", "-h",
    "@good", "@bad", "@hostile", "@dir", "@missing", "@big", "@latin1", "/dev/null",
]


def _files(tmp: Path) -> dict[str, str]:
    """The files an ``@name`` argument stands for, (re)written for every example."""
    hostile = copy.deepcopy(PRESET_DOCS["d2l"])
    hostile["name"] = "=cmd|' /C calc'!A0"
    hostile["stages"][0]["name"] = "<script>alert(1)</script>"
    (tmp / "good.json").write_text(config.dumps(get_preset("d2l")))
    (tmp / "bad.json").write_text('{"input": [1, 96, 96], "classes": 10, "stages": [{"name": "b1", "items": [{"type": "conv", "name": "c", "out": 0, "kernel": 3}]}]}')
    (tmp / "hostile.json").write_text(json.dumps(hostile))
    (tmp / "big.json").write_bytes(b" " * (L.MAX_CONFIG_BYTES + 1))
    (tmp / "latin1.json").write_bytes('{"name": "caf\u00e9"}'.encode("latin-1"))
    (tmp / "dir").mkdir(exist_ok=True)
    (tmp / "missing.json").unlink(missing_ok=True)
    return {f"@{p}": str(tmp / f"{p}.json") for p in ("good", "bad", "hostile", "big", "latin1")} | {
        "@dir": str(tmp / "dir"),
        "@missing": str(tmp / "missing.json"),
    }


def run_main(argv: list[str]) -> tuple[int, str, str]:
    """``cli.main`` in this process, with stdout a strict UTF-8 stream (as on a terminal) and
    stderr one that escapes what it cannot encode (as Python's own does)."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace")
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exit_:  # --help
            code = exit_.code
        out.flush()
        err.flush()
    return code, out.buffer.getvalue().decode("utf-8"), err.buffer.getvalue().decode("utf-8")


# random text never starts with "-" nor holds a "/", so "-o TEXT" can only write inside the
# example's temporary working directory
safe_text = st.text(st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)), max_size=10).filter(
    lambda s: not s.startswith("-")
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("cli")


@contextlib.contextmanager
def working_directory(path: Path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


COMMANDS = ["summary", "config", "presets", "code", "export"]
NETWORK_ARGS = [[], *([p] for p in PRESETS), ["--config", "@good"], ["--config", "@hostile"], ["--config", "@bad"]]
OPTION_VALUES = {
    "--input": ["3x224x224", "1x96x96", "3x299x299", "3x64x64", "0x0x0", "3x99999x99999", "3x16384x16384", "1×96×96", "big"],
    "--classes": ["10", "1000", "0", "-1", "100001", "99999999999999999999", "1e3", "١٠"],
    "--format": ["json", "csv", "table", "svg", "dot", "png", "xml"],
    "--level": ["stages", "blocks", "layers", "x"],
    "--expand": ["inception3a", "b3", "Mixed_5b", "nope"],
    "--color": ["kind", "params", "macs", "x"],
    "--theme": ["light", "dark", "x"],
    "--dpi": ["18", "96", "99999", "0", "x"],
    "-o": ["out.svg", "out.dot", "out.py", "out.png", "@dir", "-", "/dev/null"],
}


@st.composite
def cli_options(draw) -> list[str]:
    """One option with a (mostly sensible) value, a flag, or any word."""
    kind = draw(st.integers(0, 9))
    if kind < 6:
        opt = draw(st.sampled_from(sorted(OPTION_VALUES)))
        return [opt, draw(st.one_of(st.sampled_from(OPTION_VALUES[opt]), st.sampled_from(OPTION_VALUES[opt]), safe_text))]
    if kind < 8:
        return [draw(st.sampled_from(["--aux", "--numbers", "-h"]))]
    return [draw(st.one_of(st.sampled_from(ARG_WORDS), safe_text))]


@st.composite
def argvs(draw) -> list[str]:
    """Mostly a real command with a network and options after it; sometimes any words."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.lists(st.one_of(st.sampled_from(ARG_WORDS), safe_text), max_size=6))
    tail = [w for group in draw(st.lists(cli_options(), max_size=4)) for w in group]
    return [draw(st.sampled_from(COMMANDS)), *draw(st.sampled_from(NETWORK_ARGS)), *tail]


@settings(max_examples=800, deadline=None, suppress_health_check=SLOW)
@given(argvs())
def test_cli_exits_0_or_2_without_a_traceback(workdir, words):
    files = _files(workdir)
    argv = [files.get(w, w) for w in words]
    with time_limit(), working_directory(workdir):  # where "-o NAME" writes
        code, out, err = run_main(argv)
    assert code in (0, 2), (argv, code, err[-500:])
    event(f"{argv[0] if argv else 'no arguments'}: exit {code}")
    assert "Traceback" not in err
    if code == 2:
        assert err.startswith("error: "), err[:300]
    elif argv[:1] == ["summary"] and "json" in argv and "--format" in argv and "-h" not in argv:
        json.loads(out)
    assert "\x1b" not in out


@pytest.mark.parametrize(
    "args, code, message",
    [
        (("summary", "--config", "/dev/zero"), 2, "config"),  # an endless file: read no more than the limit
        (("summary", "--config", "/dev/null"), 2, "config: is not valid JSON"),
        (("summary", "d2l", "--input", "3x16384x16384", "--format", "csv"), 0, ""),
        (("summary", "--config", "@hostile", "--format", "csv"), 0, ""),
        (("summary", "--classes", "1e9", "d2l"), 2, "invalid int value"),
        (("summary", os.fsdecode(b"caf\xe9")), 2, "unknown preset"),  # argv that is not UTF-8
        (("summary", "--config", os.fsdecode(b"/tmp/\xff.json")), 2, "cannot read --config"),
    ],
)
def test_cli_in_a_real_process(tmp_path, args, code, message):
    files = _files(tmp_path)
    argv = [files.get(a, a) for a in args]

    def limit_memory():  # an endless read must fail, not take the machine
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    r = subprocess.run(
        [sys.executable, "-m", "googlenet", *argv], capture_output=True, text=True, timeout=120,
        cwd=ROOT, preexec_fn=limit_memory,
    )
    assert r.returncode == code, r.stderr[-1000:]
    assert "Traceback" not in r.stderr
    assert message in r.stderr
    if args[-1] == "csv":
        for row in csv.reader(io.StringIO(r.stdout)):
            assert not any(cell[:1] in ("=", "+", "-", "@") for cell in row), row


# --- 4. link query parameters -----------------------------------------------------------------


def _state():
    return pytest.importorskip("ui.state", reason="the app's query-parameter parser is not there yet")


def _packed(text: str | bytes, level: int = 9) -> str:
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    return base64.urlsafe_b64encode(zlib.compress(raw, level)).decode("ascii").rstrip("=")


QUERY_KEYS = ["preset", "config", "input", "classes", "aux", "width", "b3", "b4", "b5", "b1", "head", "stem",
              "inception3a.c1", "inception3a.c2", "inception3a.scale", "inception4f.c1", "inception4e.c4",
              "block35_1.scale", "block35_1.branch0", "Mixed_5b.branch1x1", "Mixed_6b.branch7x7", "nope.c1",
              "inception_resnet_a", "inception_resnet_b", "Mixed_6", ".", "", "inception3a.", "inception3a.zz"]
QUERY_VALUES = [*PRESETS, "resnet", "1x96x96", "3x224x224", "3x16384x16384", "0x1x1", "1x96", "96", "x", "3×64×64",
                "10", "0", "-1", "128", "129", "999999999", "9999999999", "on", "off", "ON", "yes", "maybe",
                "0.5", "8", "8.5", "0.015625", "0.0001", "-.5", ".", "-", "nan", "inf", "1e3", "96,128", "1,2,3",
                " 7 ", "7,", ",", "", "٣", "x" * 201, "x" * 5000, "%00", "<script>", "A" * 10, "eJw", "_-_-"]


@st.composite
def query_params(draw):
    keys = draw(st.lists(st.one_of(st.sampled_from(QUERY_KEYS), st.text(max_size=12)), max_size=8, unique=True))
    params = {}
    for k in keys:
        if k == "config" and draw(st.booleans()):
            params[k] = _packed(draw(documents(mutated_docs())))
        elif k == "config" and draw(st.booleans()):
            params[k] = _packed(b"\0" * (L.MAX_CONFIG_BYTES * 4))  # a zip bomb
        else:
            v = draw(st.one_of(st.sampled_from(QUERY_VALUES), st.text(max_size=12)))
            params[k] = draw(st.sampled_from([v, [v], [], ["1", v]]))
    return params


@settings(max_examples=800, deadline=None, suppress_health_check=SLOW)
@given(query_params())
def test_link_parameters_give_a_design_and_a_network_or_a_clear_error(params):
    state = _state()
    with time_limit():
        decoded = state.from_query(params)
        assert all(isinstance(p, str) for p in decoded.problems)
        try:
            net = decoded.design.network()
            event("the link makes a network")
            check_outputs(analyze(net))
            event("a valid network")
        except SpecError as err:
            assert_names_a_field(err)
        # the design's own link reads back to the same design, with nothing dropped
        if state.link_fits(decoded.design):
            again = state.from_query(state.to_query(decoded.design))
            assert again.design == decoded.design and again.problems == ()


def test_link_problems_quote_the_link_safely():
    state = _state()
    for params in ({"preset": "\x1b[2J"}, {"b4` ![t](https://example.invalid/t.png) `": "1"}, {"k" * 100_000: "1"}):
        problems = state.from_query(params).problems
        assert problems, params
        for p in problems:
            assert p.isprintable() and len(p) <= MAX_MESSAGE and "![t](" not in p, p[:200]


# --- 5. huge networks: arithmetic only ----------------------------------------------------------


def huge_googlenet():
    net = get_preset("googlenet")
    for b in net.blocks():
        net = knobs.set_width(net, b.name, "c1", 16_384)
    return replace(net, input=(3, 8192, 8192), width=8.0)


def test_a_huge_network_is_analysed_by_arithmetic_alone():
    net = huge_googlenet()
    small = get_preset("d2l")  # first: imports and PyTorch's lazy meta kernels, not measured
    with torch.inference_mode():
        build(small, device="meta").eval()(torch.empty(1, *small.input, device="meta"))
    rss0 = rss_bytes()
    tracemalloc.start()
    t0 = time.perf_counter()
    with time_limit(30):
        a = analyze(net)
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    grown = rss_bytes() - rss0
    assert seconds < 2.0, f"{seconds:.2f} s"  # a hang guard, not a benchmark: it takes milliseconds
    assert peak < 50e6 and grown < 50e6, (peak, grown)
    assert a.totals.output_shape == (1000,) and a.layer("inception5b.branch1.conv").out_shape[0] == 131_072
    # PyTorch's meta device agrees and allocates no weights for its ~10¹¹ parameters
    rss0 = rss_bytes()
    model = build(net, device="meta")
    assert sum(p.numel() for p in model.parameters()) == a.totals.params > 10**11
    assert all(p.is_meta for p in model.parameters())
    with torch.inference_mode():
        y = model.eval()(torch.empty(1, *net.input, device="meta"))
    assert tuple(y.shape[1:]) == a.totals.output_shape
    assert rss_bytes() - rss0 < 50e6


def largest_config() -> str:
    """The largest network the limits allow: Inception-v3's stem, then as many Inception-v3 C
    blocks as the limits on items per stage and in all stages allow."""
    doc = copy.deepcopy(PRESET_DOCS["inception-v3"])
    c = next(it for s in doc["stages"] for it in s["items"] if it.get("kind") == "inception-v3-c")
    stages, n = [doc["stages"][0]], 0
    left = L.MAX_ITEMS - len(doc["stages"][0]["items"])
    for s in range(L.MAX_STAGES - 1):
        items = []
        for _ in range(min(L.MAX_ITEMS_PER_STAGE, left - n)):
            block = dict(c, name=f"m{n}")
            n += 1
            for k, v in c.items():
                if k not in ("type", "name", "kind"):
                    block[k] = [8] * len(v) if isinstance(v, list) else 8
            items.append(block)
        if items:
            stages.append({"name": f"s{s}", "items": items})
    doc.update(stages=stages, aux=[], aux_enabled=False)
    return json.dumps(doc)


def test_the_largest_network_the_limits_allow_stays_quick(monkeypatch):
    text = largest_config()
    assert len(text) < L.MAX_CONFIG_BYTES
    walks = []
    walk = googlenet.analysis._walk
    monkeypatch.setattr(googlenet.analysis, "_walk", lambda net, **kw: walks.append(net.input) or walk(net, **kw))
    with time_limit(60):  # a guard against a hang, not a speed target (those live in bench/)
        net = config.loads(text)
        a = analyze(net)
        assert len(a.layers) > 5_000 and len(walks) == 1
        # a too-small input: the search for the smallest one costs a few walks, not dozens —
        # one at the large size, then a gallop and a bisection of at most 1 + log2(64) per side
        with pytest.raises(InputTooSmall) as err:
            analyze(replace(net, input=(3, 10, 10)))
    assert err.value.min_size == (27, 27)
    assert len(walks) - 1 <= 2 + 2 * 8, walks


def test_branches_that_cannot_meet_at_the_end_of_the_largest_network_stay_quick(monkeypatch):
    # strides 64 × 16 in the stem, then 600-odd blocks, then BN-Inception's reduction block, whose
    # branches agree on only half the inputs: at 2,560 the nearest working inputs are 512 away
    doc = json.loads(largest_config())
    bn = PRESET_DOCS["inception-bn"]
    doc["stages"][0] = {"name": "stem", "items": [
        {"type": "conv", "name": "s1", "out": 8, "kernel": 1, "stride": 64},
        {"type": "conv", "name": "s2", "out": 8, "kernel": 1, "stride": 16},
    ]}
    doc["stages"][-1]["items"][-1] = next(it for s in bn["stages"] for it in s["items"] if it.get("kind") == "bn-inception-reduction")
    net = config.loads(json.dumps(doc))
    walks = []
    walk = googlenet.analysis._walk
    monkeypatch.setattr(googlenet.analysis, "_walk", lambda net, **kw: walks.append(net.input) or walk(net, **kw))
    with time_limit(60):  # a guard against a hang, not a speed target (those live in bench/)
        analyze(replace(net, input=(3, 2048, 2048)))
        assert len(walks) == 1
        with pytest.raises(SpecError) as err:
            analyze(replace(net, input=(3, 2560, 2560)))
    assert_names_a_field(err.value)
    assert "cannot be concatenated" in str(err.value)
    # the search for the nearest working sizes stops after a few dozen walks of this network;
    # stepping out to its default reach of 256 each way would walk it up to 512 times
    assert 2 <= len(walks) - 1 <= 40, len(walks)


# --- 6. caches ----------------------------------------------------------------------------------


def _is_frozen(value, seen=None) -> bool:
    """Only frozen dataclasses, tuples, frozensets and scalars, all the way down."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return True
    seen.add(id(value))
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return True
    if isinstance(value, (tuple, frozenset)):
        return all(_is_frozen(v, seen) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if not type(value).__dataclass_params__.frozen:
            return False
        return all(_is_frozen(getattr(value, f.name), seen) for f in dataclasses.fields(value))
    return False


def _caches():
    """Every function in googlenet/ that caches (has ``cache_info``)."""
    found = {}
    for mod in pkgutil.walk_packages(googlenet.__path__, "googlenet."):
        if mod.name.endswith("__main__"):
            continue
        m = importlib.import_module(mod.name)
        for name, obj in vars(m).items():
            if callable(obj) and hasattr(obj, "cache_info") and getattr(obj, "__module__", "") == mod.name:
                found[f"{mod.name}.{name}"] = obj
    return found


def test_every_cache_is_bounded():
    caches = _caches()
    assert "googlenet.analysis.analyze" in caches
    for name, fn in caches.items():
        maxsize = fn.cache_info().maxsize
        assert maxsize is not None and maxsize <= 1024, f"{name} is unbounded"


def test_analysing_300_networks_keeps_the_cache_at_its_bound():
    analyze.cache_clear()
    base = get_preset("d2l")
    bound = analyze.cache_info().maxsize
    for classes in range(1, 301):
        analyze(replace(base, classes=classes))
        assert analyze.cache_info().currsize <= bound
    assert analyze.cache_info().currsize == bound < 300
    hit = analyze(replace(base, classes=300))
    assert analyze.cache_info().hits >= 1 and _is_frozen(hit)
    with pytest.raises(dataclasses.FrozenInstanceError):
        hit.totals.params = 0


def test_huge_analyses_do_not_fill_the_cache():
    # 256 analyses of the largest network (7,000-odd layers each) would hold about 1.7 GB:
    # the cache also bounds its rows
    analyze.cache_clear()
    net = config.loads(largest_config())
    rows_each = len(analyze(net).layers)
    for classes in range(2, 2 + 20):
        analyze(replace(net, classes=classes))
    held = analyze.cache_info()
    assert held.rows <= held.max_rows and held.currsize <= held.max_rows // rows_each < 20, held
    analyze.cache_clear()


# --- 7. hostile names in every output -----------------------------------------------------------


def _hostile_doc(name: str) -> dict:
    doc = copy.deepcopy(PRESET_DOCS["d2l"])
    doc["name"] = name
    doc["description"] = name
    doc["stages"][0]["name"] = name
    doc["stages"][2]["items"][0]["name"] = name  # a block
    doc["head"][-1]["name"] = name + "_fc"
    return doc


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=lambda s: repr(s)[:24])
def test_hostile_names_are_refused_or_escaped_everywhere(name):
    try:
        net = config.loads(json.dumps(_hostile_doc(name)))
        a = analyze(net)
    except SpecError as err:
        assert_names_a_field(err)
        return
    # CSV: no cell a spreadsheet would run as a formula
    for row in csv.reader(io.StringIO(to_csv(a))):
        assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in row), row
    assert name in table(a) and "\x1b" not in table(a)
    # generated code: the name is only ever inside a string literal or a comment
    codegen = pytest.importorskip("googlenet.codegen")
    src = codegen.to_python(net)
    tree = ast.parse(src)
    assert not any(isinstance(n, ast.Name) and "alert" in n.id for n in ast.walk(tree))
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if "alert" in tok.string or "calc" in tok.string:
            assert tok.type in (tokenize.STRING, tokenize.COMMENT), tok
    # diagrams: DOT at every level; Graphviz reads it, and its SVG holds no markup from the name
    render = pytest.importorskip("googlenet.render")
    dots = [render.to_dot(a, level=level) for level in ("stages", "blocks", "layers")]
    if render.shutil.which("dot") and any(c in name for c in "<>\"\\{}[];&'"):
        svg = bytes(render.render(dots[1], "svg")).decode("utf-8")
        assert "<script" not in svg.lower()
    # charts: plotly draws <b>, <a href>, <span style> and entities in its labels, so the only
    # markup in a figure is the charts' own line breaks and hover boxes
    from googlenet.lessons import lesson
    from ui import charts

    block = name  # _hostile_doc names a block with it
    figures = [
        charts.cost_per_block(a), charts.channel_allocation(a), charts.depth_profile(a),
        charts.compare_groups(a, a, "blocks", "params"), charts.compare_groups(a, a, "stages", "macs"),
        charts.lesson_bars(lesson(a, block), "reduce"), charts.path_shares(lesson(a, block)),
    ]
    text = json.dumps(figures, ensure_ascii=False)
    for ours in ("<br>", "<extra>", "</extra>"):
        text = text.replace(ours, "")
    assert "<" not in text and ">" not in text
    if "<" in name:
        assert name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in json.dumps(figures, ensure_ascii=False)


# --- 8. nothing executes user data ----------------------------------------------------------

SCANNED = ["googlenet", "app.py", "pages", "ui"]

FORBIDDEN_IMPORTS = {"pickle", "_pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle", "joblib", "pty"}
FORBIDDEN_CALLS = {
    "eval", "exec", "compile", "__import__", "execfile", "breakpoint",
    "os.system", "os.popen", "os.execv", "os.execvp", "os.execl", "os.spawnv", "os.spawnl", "os.startfile",
    "runpy.run_path", "runpy.run_module", "code.interact", "importlib.import_module",
    "torch.load", "torch.jit.load", "torch.hub.load", "torch.package.PackageImporter",
    "np.load", "numpy.load", "pd.read_pickle", "pandas.read_pickle",
    "yaml.load", "yaml.unsafe_load", "yaml.full_load", "yaml.load_all",
    "st.html", "streamlit.html", "components.html", "st.components.v1.html", "stc.html",
}
# what is legitimately needed, with the reason; (file, what) must match exactly
ALLOWED = {
    ("googlenet/render/export.py", "import subprocess"): "runs Graphviz's dot: an argv list, DOT text on stdin, no shell, a timeout",
    ("googlenet/render/export.py", "subprocess.run"): "the one dot invocation (see _run)",
}


def _dotted(node) -> str:
    """``os.system`` for ``os.system(…)``; ``().eval`` for ``build(net).eval()`` (a method of a
    value, not the builtin)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return "()"


def _source_files() -> list[Path]:
    out = []
    for entry in SCANNED:
        p = ROOT / entry
        out += sorted(p.rglob("*.py")) if p.is_dir() else [p] if p.exists() else []
    return out


def _findings(path: Path, rel: str | None = None) -> list[tuple[str, str, int]]:
    rel = rel or path.relative_to(ROOT).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for n in names:
                top = n.split(".")[0]
                if top in FORBIDDEN_IMPORTS or top == "subprocess":
                    found.append((rel, f"import {top}", node.lineno))
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name in FORBIDDEN_CALLS or name.split(".")[0] in FORBIDDEN_IMPORTS:
                found.append((rel, name, node.lineno))
            if name.startswith("subprocess."):
                found.append((rel, name, node.lineno))
                first = node.args[0] if node.args else None
                if isinstance(first, (ast.JoinedStr, ast.BinOp)) or (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                    found.append((rel, f"{name} with a command string", node.lineno))
            for kw in node.keywords:
                literal_false = isinstance(kw.value, ast.Constant) and kw.value.value is False
                if kw.arg in ("shell", "unsafe_allow_html", "allow_pickle") and not literal_false:
                    found.append((rel, f"{kw.arg}=", node.lineno))
                if kw.arg == "weights_only" and not (isinstance(kw.value, ast.Constant) and kw.value.value is True):
                    found.append((rel, "weights_only=", node.lineno))
    return found


def test_no_source_file_can_execute_or_unpickle_user_data():
    files = _source_files()
    assert any(p.name == "config.py" for p in files)
    bad = [f"{rel}:{line}: {what}" for p in files for rel, what, line in _findings(p) if (rel, what) not in ALLOWED]
    assert not bad, "\n".join(bad)


def test_the_scan_finds_what_it_forbids(tmp_path):
    src = (
        "import pickle, subprocess\nimport streamlit as st\n"
        "eval(x)\nexec(y)\ntorch.load(p)\nsubprocess.run(f'dot {x}', shell=True)\n"
        "st.markdown(name, unsafe_allow_html=True)\nos.system(cmd)\nst.html(name)\n"
        "'eval(' # exec(\n"
    )
    path = tmp_path / "probe.py"
    path.write_text(src)
    found = [what for _, what, _ in _findings(path, "googlenet/probe.py")]
    assert {"import pickle", "import subprocess", "eval", "exec", "torch.load", "shell=", "unsafe_allow_html=",
            "os.system", "st.html", "subprocess.run with a command string"} <= set(found)
    assert sum(w in ("eval", "exec") for w in found) == 2  # strings and comments are not code
