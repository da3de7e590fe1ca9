"""What a security probe found, each pinned down: names Python or nn.Module reserve, NaN and
Infinity without a place, an echoed 100,000-digit value, an empty name, empty stages, a network
with no head. Every case is refused (or explained) with a message naming the field."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from googlenet import analyze, config, get_preset
from googlenet.codegen import to_python
from googlenet.errors import SpecError

ROOT = Path(__file__).resolve().parents[1]
DUNDERS = ["__init__", "__class__", "__dict__", "__call__", "__module__", "__getattr__", "__weakref__", "__doc__", "__annotations__"]
# attributes every nn.Module has: a child module of that name could not be registered
MODULE_ATTRIBUTES = ["forward", "training", "_modules", "parameters", "state_dict", "_program", "cuda", "eval"]


def doc(name="d2l"):
    return config.to_dict(get_preset(name))


def places(d: dict):
    """Every place a name can stand, as (where, setter)."""
    yield "stage", lambda v: d["stages"][0].__setitem__("name", v)
    yield "layer", lambda v: d["stages"][0]["items"][0].__setitem__("name", v)
    yield "block", lambda v: d["stages"][2]["items"][0].__setitem__("name", v)
    yield "head", lambda v: d["head"][0].__setitem__("name", v)


@pytest.mark.parametrize("name", DUNDERS + MODULE_ATTRIBUTES)
def test_reserved_names_are_refused_everywhere_with_the_field(name):
    for where, put in places(d := doc()):
        d = doc()
        dict(places(d))[where](name)
        with pytest.raises(SpecError) as err:
            analyze(config.from_dict(d))
        assert err.value.field.endswith(".name") or err.value.field == "name", (where, str(err.value))
        assert err.value.code in ("name.dunder", "name.reserved"), str(err.value)


def test_a_block_renamed_by_a_template_edit_cannot_take_a_reserved_name_either():
    from googlenet.edit import add_branch
    from googlenet.spec import Branch, Conv

    net = add_branch(get_preset("d2l"), "inception3a", Branch("__dict__", (Conv("conv", 8, (1, 1)),)))
    with pytest.raises(SpecError, match=r"b3\.inception3a\.__dict__\.name: '__dict__' begins and ends with '__'"):
        analyze(net)


def test_every_accepted_name_builds_and_generates_code_that_runs():
    """Names close to the reserved ones are fine, and the generated file builds."""
    d = doc()
    d["stages"][2]["items"][0]["name"] = "_init_"
    d["stages"][0]["items"][0]["name"] = "forward_"
    net = config.from_dict(d)
    ns: dict = {"__name__": "generated"}
    exec(compile(to_python(net), "<generated>", "exec"), ns)
    with torch.device("meta"):
        model = ns["build_model"]()
    assert sum(p.numel() for p in model.parameters()) == analyze(net).totals.params


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_name_their_field_line_and_column(token):
    text = config.dumps(get_preset("d2l"))
    at = text.index('"bn_eps"', text.index('"conv2"'))  # stage b2's first conv
    bad = text[:at] + text[at:].replace('"bn_eps": 1e-05', f'"bn_eps": {token}', 1)
    line = bad.count("\n", 0, bad.index(token)) + 1
    with pytest.raises(SpecError) as err:
        config.loads(bad)
    assert err.value.field == "stages[1].items[0].bn_eps", str(err.value)
    assert f"line {line}," in str(err.value) and token in str(err.value)


def test_a_huge_value_is_not_echoed_back_in_full():
    huge = "9" * 100_000
    r = subprocess.run([sys.executable, "-m", "googlenet", "summary", "d2l", "--input", f"3x{huge}x3"],
                       capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 2 and len(r.stderr) < 400, len(r.stderr)
    text = json.dumps(doc()).replace('"classes": 10', f'"classes": {huge}')
    with pytest.raises(SpecError) as err:
        config.loads(text)
    assert err.value.field == "classes" and len(str(err.value)) < 200, str(err.value)


def test_an_empty_name_is_refused():
    d = doc()
    d["name"] = ""
    with pytest.raises(SpecError, match=r"^name: must be a name of 1 to 64 characters"):
        config.from_dict(d)
    d = doc()
    d["stages"][1]["items"][0]["name"] = ""
    with pytest.raises(SpecError, match=r"name: must be a name of 1 to 64 characters"):
        config.from_dict(d)


def test_an_empty_stage_is_refused_and_a_missing_head_is_explained():
    d = doc()
    d["stages"][1]["items"] = []
    with pytest.raises(SpecError, match=r"^b2\.items: the stage 'b2' has no layers or blocks"):
        config.from_dict(d)
    net = replace(get_preset("d2l"), head=(), stages=get_preset("d2l").stages[:4])
    a = analyze(net)
    assert [n.code for n in a.notes] == ["note.feature_map"]
    assert "832×3×3 feature map" in a.notes[0].text
    assert analyze(get_preset("d2l")).notes == ()
