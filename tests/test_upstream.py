"""Upstream checkpoints load by key: for the five presets that have an upstream implementation,
the built module's and the generated code's ``state_dict`` have the upstream model's keys,
shapes, dtypes and order (the judge: the reference files in ``tests/reference/state_dicts``,
made from the upstream code itself), a state_dict shaped like the upstream one loads strictly
with aux heads on and off, and the outputs are the upstream model's structure."""

from __future__ import annotations

import json
import sys
import types
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from googlenet import analyze, get_preset
from googlenet.build import build
from googlenet.codegen import to_python
from googlenet.config import dumps, loads
from googlenet.errors import SpecError
from googlenet.knobs import set_block_count
from googlenet.naming import RULES, load_lines, module_paths
from googlenet.spec import Block, Branch, Conv, Pool

from .weights import signal_state

REF = Path(__file__).parent / "reference" / "state_dicts"

# (preset, aux heads on, reference file)
CASES = [
    ("googlenet-torchvision", False, "googlenet-torchvision"),
    ("googlenet-torchvision", True, "googlenet-torchvision-aux"),
    ("inception-v3", False, "inception-v3"),
    ("inception-v3", True, "inception-v3-aux"),
    ("inception-v4", False, "inception-v4"),
    ("inception-resnet-v2", False, "inception-resnet-v2"),
    ("inception-bn", False, "inception-bn"),
]
IDS = [c[2] for c in CASES]
DTYPES = {"float32": torch.float32, "int64": torch.int64}
SMALLER = {"googlenet-torchvision": (3, 96, 96), "inception-v4": (3, 107, 107), "inception-resnet-v2": (3, 107, 107)}


def reference(name: str) -> dict:
    return json.loads((REF / f"{name}.json").read_text())


def rows(sd) -> list[list]:
    return [[k, list(v.shape), str(v.dtype).removeprefix("torch.")] for k, v in sd.items()]


def generated(net):
    ns: dict = {"__name__": "generated_model"}
    exec(compile(to_python(net), "<generated>", "exec"), ns)
    return ns


def random_state(ref: dict, seed: int = 0) -> dict[str, torch.Tensor]:
    """A state_dict with the reference's keys, shapes and dtypes, and random values that keep
    a signal alive (``weights.signal_state``), so comparing outputs means something."""
    return signal_state([(k, shape, DTYPES[dtype]) for k, shape, dtype in ref["state_dict"]], seed)


@pytest.mark.parametrize("preset, aux, ref_name", CASES, ids=IDS)
def test_state_dict_keys_shapes_and_order_are_upstreams(preset, aux, ref_name):
    ref = reference(ref_name)
    net = replace(get_preset(preset), aux_enabled=aux)
    built = build(net, device="meta")
    assert rows(built.state_dict()) == ref["state_dict"]
    with torch.device("meta"):
        model = generated(net)["build_model"]()
    assert rows(model.state_dict()) == ref["state_dict"]
    assert sum(p.numel() for p in built.parameters()) == ref["counts"]["total_params"] == analyze(net).totals.params
    eps = {m.eps for m in built.modules() if isinstance(m, torch.nn.BatchNorm2d)}
    assert eps == {b["eps"] for b in ref["batchnorm"]}


@pytest.mark.parametrize("preset, aux, ref_name", CASES, ids=IDS)
def test_a_checkpoint_shaped_like_upstreams_loads_strictly_into_both(preset, aux, ref_name):
    ref = reference(ref_name)
    net = replace(get_preset(preset), aux_enabled=aux)
    if preset in SMALLER:  # the same weights at a smaller input (global pooling): a cheaper forward
        net = replace(net, input=SMALLER[preset])
    state = random_state(ref)
    built = build(net, device="meta")  # no initialisation to pay for: the load brings every value
    built.load_state_dict(state, strict=True, assign=True)
    with torch.device("meta"):
        model = generated(net)["build_model"]()
    model.load_state_dict(state, strict=True, assign=True)
    ours, theirs = built.state_dict(), model.state_dict()
    for key, value in state.items():  # the values landed where the keys say
        assert torch.equal(ours[key], value) and torch.equal(theirs[key], value), key
    x = torch.randn(2, *net.input, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ours, theirs = built.eval()(x), model.eval()(x)
    assert torch.equal(ours, theirs) and torch.isfinite(ours).all()
    assert not torch.allclose(ours[0], ours[1])  # the output depends on the input: a real check
    # one wrong shape or one missing key is refused: the load really is strict
    key = ref["state_dict"][0][0]
    with pytest.raises(RuntimeError, match="size mismatch"):
        built.load_state_dict({**state, key: torch.zeros(1)})
    with pytest.raises(RuntimeError, match="Missing key"):
        built.load_state_dict({k: v for k, v in state.items() if k != key})


@pytest.mark.parametrize("preset, aux, ref_name", CASES, ids=IDS)
def test_outputs_have_upstreams_structure(preset, aux, ref_name):
    """eval: a Tensor; train with aux heads: the named tuple of the reference, its items the
    heads the reference says (checked with forward hooks on each head's last layer)."""
    ref = reference(ref_name)["forward_output"]
    net = replace(get_preset(preset), aux_enabled=aux)
    model = build(net, device="meta")
    x = torch.empty(*ref["eval"]["input"], device="meta")
    out = model.eval()(x)
    assert type(out) is torch.Tensor and list(out.shape) == ref["eval"]["shape"]
    train = ref["train"]
    heads = {}
    for head in net.aux if net.aux_enabled else ():
        last = analyze(net).node(f"{head.name}.{head.layers[-1].name}").module
        model.get_submodule(last).register_forward_hook(lambda m, i, o, name=head.name: heads.__setitem__(name, o))
    out = model.train()(torch.empty(*train["input"], device="meta"))
    if "fields" not in train:
        assert type(out) is torch.Tensor and list(out.shape) == train["shape"]
        return
    assert type(out).__name__ == train["type"].split(".")[-1].split(" ")[0]
    assert list(out._fields) == train["fields"]
    assert [list(t.shape) for t in out] == [item["shape"] for item in train["items"]]
    for item, source in zip(out[1:], train["item_sources"][1:]):
        assert item is heads[source.split(" ")[0]], source  # "aux2 (InceptionAux on the inception4d output)"


def torchvision_transform(x):
    """torchvision's ``_transform_input``, written out as the reference file quotes it."""
    x_ch0 = torch.unsqueeze(x[:, 0], 1) * (0.229 / 0.5) + (0.485 - 0.5) / 0.5
    x_ch1 = torch.unsqueeze(x[:, 1], 1) * (0.224 / 0.5) + (0.456 - 0.5) / 0.5
    x_ch2 = torch.unsqueeze(x[:, 2], 1) * (0.225 / 0.5) + (0.406 - 0.5) / 0.5
    return torch.cat((x_ch0, x_ch1, x_ch2), 1)


def test_the_transform_above_is_the_reference_files():
    for name in ("googlenet-torchvision", "inception-v3"):
        quoted = reference(name)["input_transform"]["formula_source"]
        assert quoted[0] == "x_ch0 = torch.unsqueeze(x[:, 0], 1) * (0.229 / 0.5) + (0.485 - 0.5) / 0.5"
        assert quoted[1] == "x_ch1 = torch.unsqueeze(x[:, 1], 1) * (0.224 / 0.5) + (0.456 - 0.5) / 0.5"
        assert quoted[2] == "x_ch2 = torch.unsqueeze(x[:, 2], 1) * (0.225 / 0.5) + (0.406 - 0.5) / 0.5"
        assert quoted[3] == "x = torch.cat((x_ch0, x_ch1, x_ch2), 1)"


@pytest.mark.parametrize("preset", ["googlenet-torchvision", "inception-v3"])
def test_transform_input_is_torchvisions_bit_for_bit(preset):
    net = replace(get_preset(preset), input=(3, 96, 96)) if preset == "googlenet-torchvision" else replace(get_preset(preset), input=(3, 80, 80))
    state = random_state(reference(preset))
    plain = build(net, device="meta")
    plain.load_state_dict(state, assign=True)
    on = build(net, device="meta", transform_input=True)
    on.load_state_dict(state, assign=True)
    plain.eval(), on.eval()
    x = torch.randn(2, *net.input)
    with torch.no_grad():
        assert torch.equal(on(x), plain(torchvision_transform(x)))
        assert not torch.equal(on(x), plain(x))
    code = generated(net)
    with torch.device("meta"):
        model = code["build_model"](transform_input=True).eval()
    model.load_state_dict(state, assign=True)
    with torch.no_grad():
        assert torch.equal(model(x), on(x))
    assert code["build_model"]().transform_input is False  # as torchvision's builders without weights


def keys(net) -> list[str]:
    return list(build(net, device="meta").state_dict())


def test_a_sixth_stage4_block_of_torchvisions_googlenet_follows_the_pattern():
    net = set_block_count(get_preset("googlenet-torchvision"), "b4", 6)
    got = keys(net)
    fourth_e = [k for k in got if k.startswith("inception4e.")]
    assert [k.replace("inception4e.", "inception4f.") for k in fourth_e] == [k for k in got if k.startswith("inception4f.")]
    assert "inception4f.branch2.0.conv.weight" in got and "inception4f.branch4.1.bn.running_var" in got
    # and it sits where torchvision would register it: after inception4e, before maxpool4's successors
    assert got.index("inception4f.branch1.conv.weight") > got.index("inception4e.branch4.1.bn.num_batches_tracked")
    assert got.index("inception4f.branch4.1.bn.num_batches_tracked") < got.index("inception5a.branch1.conv.weight")


def test_timm_feature_indices_follow_the_position():
    base = keys(get_preset("inception-v4"))
    more = keys(set_block_count(get_preset("inception-v4"), "inception_a", 5))
    assert "features.10.branch0.conv.weight" in base and "features.10.branch1.2.conv.weight" in base  # reduction_a
    assert "features.10.branch3.1.conv.weight" in more  # a fifth Inception-A at position 10 …
    assert "features.11.branch1.2.conv.weight" in more  # … moves reduction_a to 11
    assert max(int(k.split(".")[1]) for k in more if k.startswith("features.")) == 22
    irv2 = keys(set_block_count(get_preset("inception-resnet-v2"), "inception_resnet_a", 11))
    assert "repeat.10.conv2d.weight" in irv2 and "repeat.10.conv2d.bias" in irv2 and "repeat_1.0.conv2d.weight" in irv2


def test_cadene_names_keep_the_pattern_for_a_new_block():
    net = set_block_count(get_preset("inception-bn"), "inception4", 5)
    got = keys(net)
    new = [k for k in got if k.startswith("inception_4f_")]
    assert new == [k.replace("inception_4d_", "inception_4f_") for k in got if k.startswith("inception_4d_")]
    assert "inception_4f_double_3x3_2_bn.running_mean" in got


def test_naming_is_in_the_config_and_checked():
    net = get_preset("inception-v3")
    text = dumps(net)
    assert '"naming": "torchvision-inception-v3"' in text
    assert loads(text) == net
    assert loads(text.replace('"naming": "torchvision-inception-v3",\n', "")).naming == "studio"
    assert '"naming"' not in dumps(get_preset("d2l"))  # the default is left out, as older files have it
    with pytest.raises(SpecError) as err:
        loads(text.replace('"torchvision-inception-v3"', '"keras"'))
    assert err.value.field == "naming" and "torchvision-googlenet" in err.value.detail


def test_every_rule_gives_every_preset_unique_paths():
    """A rule is total: any preset (the book's too) under any rule builds, with one module per path."""
    from googlenet import preset_names

    for rule in RULES:
        for name in preset_names():
            net = replace(get_preset(name), naming=rule, aux_enabled=bool(get_preset(name).aux))
            paths = module_paths(net)
            assert len(set(paths.values())) == len(paths), (rule, name)
            model = build(net, device="meta")
            assert sum(p.numel() for p in model.parameters()) == analyze(net).totals.params, (rule, name)


def test_a_collision_is_a_message_not_a_traceback():
    """Under torchvision-v3 names a branch's only conv lives at the branch's path; a pool named
    ``conv`` beside it would land on that conv's own Conv2d."""
    net = get_preset("inception-v3")
    blk = net.stages[1].items[0]
    pool = Branch("branch_pool", (Pool("conv", "avg", (3, 3), (1, 1), (1, 1)), Conv("proj", 32, (1, 1), bias=False, bn=True, bn_eps=1e-3)))
    edited = Block(blk.name, (*blk.branches[:3], pool))
    stages = (net.stages[0], replace(net.stages[1], items=(edited, *net.stages[1].items[1:])), *net.stages[2:])
    with pytest.raises(SpecError) as err:
        analyze(replace(net, stages=stages))
    assert err.value.code == "naming.collision" and err.value.field == "naming"
    assert "Mixed_5b.branch_pool.conv" in err.value.detail


@pytest.mark.parametrize("preset, aux, ref_name", [c for c in CASES], ids=IDS)
def test_the_loading_lines_load_a_checkpoint_file(preset, aux, ref_name, tmp_path, monkeypatch):
    """The lines the Code page shows, run after the generated file's definitions, load a file
    holding the upstream checkpoint's keys (the torchvision files hold the aux heads too)."""
    net = replace(get_preset(preset), aux_enabled=aux)
    lines = load_lines(net)
    rule = RULES[net.naming]
    ck = rule.checkpoint
    ref = reference(ref_name if not ck.aux_keys else f"{preset}-aux")  # what the published file holds
    state = random_state(ref, seed=3)
    monkeypatch.chdir(tmp_path)
    if ck.file.endswith(".safetensors"):
        # safetensors is not a dependency here: a stand-in for its load_file that reads this file
        fake = types.ModuleType("safetensors.torch")
        fake.load_file = lambda path: dict(state) if Path(path).name == ck.file else {}
        package = types.ModuleType("safetensors")
        package.torch = fake
        monkeypatch.setitem(sys.modules, "safetensors", package)
        monkeypatch.setitem(sys.modules, "safetensors.torch", fake)
    else:
        torch.save(state, tmp_path / ck.file)
    ns = generated(net)
    exec("\n".join(lines), ns)
    model = ns["model"]
    assert model.transform_input is ck.transform_input
    loaded = model.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in state.items() if k in loaded)
    assert len(loaded) == len(reference(ref_name)["state_dict"])
