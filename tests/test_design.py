"""Designing structure: the rewrites, the structural edits, exact width rounding, configs that
write edited blocks out (and old configs that still load), and a network of custom blocks
through the command line — each against PyTorch or exact arithmetic."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest
import torch

from googlenet import analyze, config, get_preset
from googlenet import edit, rewrites
from googlenet.build import build
from googlenet.errors import SpecError
from googlenet.layers import scaled
from googlenet.render import to_dot
from googlenet.spec import Branch, Conv, Pool
from googlenet.templates import matches

from .judge import assert_matches_pytorch, measure

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


# --- width rounding: exact, for the decimal the user wrote --------------------------------------


def rule(c: int, m: str) -> int:
    """The documented rule in exact arithmetic: max(1, ⌊c·m + ½⌋) with m the decimal as written."""
    x = c * Fraction(m) + Fraction(1, 2)
    return max(1, x.numerator // x.denominator)


@pytest.mark.parametrize("m", ["0.35", "0.5", "0.25", "0.75", "1.5", "0.3", "0.7", "0.45", "1.25", "0.1", "0.05", "2.5"])
def test_width_rounding_is_the_documented_rule_exactly(m):
    assert [scaled(c, float(m)) for c in range(1, 1025)] == [rule(c, m) for c in range(1, 1025)]


def test_the_ties_round_up():
    assert scaled(90, 0.35) == 32  # 31.5: in binary floating point 90 × 0.35 is 31.499…
    assert [scaled(c, 0.5) for c in (1, 3, 5, 7, 9)] == [1, 2, 3, 4, 5]  # odd × ½ is always a tie
    net = replace(get_preset("d2l"), width=0.35)
    a = analyze(net)
    # inception3b's 3×3 reduce is 128 → 44.8 → 45; its c4 64 → 22.4 → 22; conv3 192 → 67.2 → 67
    assert a.layer("inception3b.branch2.conv1").out_shape[0] == 45
    assert a.layer("inception3b.branch4.conv").out_shape[0] == 22
    assert a.layer("conv3").out_shape[0] == rule(192, "0.35")
    assert_matches_pytorch(net)  # and the built module has exactly those widths


# --- rewrites ---------------------------------------------------------------------------------


def block_of(a, name):
    return a.block(name)


def test_factorize_5x5_keeps_every_shape_and_costs_less():
    net = get_preset("d2l")
    new = rewrites.factorize_5x5(net, "inception3a")
    a, b = analyze(net), analyze(new)
    assert a.totals.output_shape == b.totals.output_shape
    old3, new3 = a.node("inception3a.branch3"), b.node("inception3a.branch3")
    assert [r.kernel for r in new3.children] == [(1, 1), (3, 3), (3, 3)]
    assert old3.out_shape == new3.out_shape
    # two 3×3 convs of 32 channels on a 16-channel reduce instead of one 5×5
    assert new3.params == 16 * 192 + 16 + 32 * 16 * 9 + 32 + 32 * 32 * 9 + 32
    assert not matches(new.block("inception3a"), new.style) and matches(new.block("inception3b"), new.style)
    assert_matches_pytorch(new)
    everywhere = rewrites.factorize_5x5(net)
    assert all((5, 5) not in [r.kernel for r in analyze(everywhere).layers] for _ in [0])


def test_factorize_nxn_makes_1xn_then_nx1_with_the_same_output():
    net = get_preset("d2l")
    new = rewrites.factorize_nxn(net, "inception4a", n=3)
    b = analyze(new).node("inception4a.branch2")
    assert [r.kernel for r in b.children] == [(1, 1), (1, 3), (3, 1)]
    assert b.out_shape == analyze(net).node("inception4a.branch2").out_shape
    assert_matches_pytorch(new)
    # and back: unfactorize undoes it, to the same numbers
    assert analyze(rewrites.unfactorize(new, "inception4a")).totals.params == analyze(net).totals.params


def test_add_batchnorm_to_the_whole_network_keeps_the_templates():
    net = get_preset("d2l")
    bn = rewrites.add_batchnorm(net)
    a = analyze(bn)
    convs = [r for r in a.layers if r.kind == "conv"]
    assert all(r.layer.bn for r in convs)
    # BatchNorm adds a weight and a bias per output channel of every conv
    assert a.totals.params == analyze(net).totals.params + sum(2 * r.out_shape[0] for r in convs)
    assert all(matches(b, bn.style) for b in bn.blocks())  # still the lecture's Inception blocks, in the BN style
    assert config.loads(config.dumps(bn)) == bn
    assert_matches_pytorch(bn)


def test_make_residual_adds_the_input_and_projects_back_to_its_width():
    net = get_preset("d2l")
    new = rewrites.make_residual(net, "inception3b", scale=0.2)
    a = analyze(new)
    b = a.block("inception3b")
    assert b.out_shape == b.in_shape == (256, 12, 12)
    proj = a.layer("inception3b.project")
    assert proj.in_shape == (480, 12, 12) and proj.out_shape == (256, 12, 12)
    assert_matches_pytorch(new)
    # the merge really is x + 0.2 · project(concat): check it against the formula on the CPU
    model = build(replace(new, input=(1, 48, 48))).eval()
    seen = {}
    model.get_submodule("inception3b.branch1.conv.conv").register_forward_pre_hook(lambda m, i: seen.setdefault("x", i[0]))
    model.get_submodule("inception3b.project.conv").register_forward_hook(lambda m, i, o: seen.setdefault("p", o))
    model.get_submodule("maxpool3").register_forward_pre_hook(lambda m, i: seen.setdefault("y", i[0]))
    with torch.inference_mode():
        model(torch.randn(1, 1, 48, 48))
    torch.testing.assert_close(seen["y"], torch.relu(seen["x"] + 0.2 * seen["p"]))


def test_remove_reduces_is_the_lessons_counterfactual():
    from googlenet.lessons import lesson

    net = get_preset("d2l")
    new = rewrites.remove_reduces(net, "inception3a")
    b = analyze(new).node("inception3a")
    assert [len(br.children) for br in b.children if br.kind == "branch"] == [1, 1, 1, 2]
    les = lesson(analyze(net), "inception3a")
    assert (les.params_without_reduce, les.macs_without_reduce) == (b.params, b.macs)
    m = measure(new)
    assert m.params == analyze(new).totals.params


def test_a_rewrite_that_finds_nothing_changes_nothing():
    net = get_preset("inception-v3")
    assert not rewrites.applies(rewrites.factorize_5x5, net, "Mixed_6b")  # 7×7 factorised already, no 5×5
    assert rewrites.applies(rewrites.factorize_5x5, net, "Mixed_5b")  # its branch5x5


# --- structural edits ---------------------------------------------------------------------------


def test_a_fifth_path_and_an_edited_stem():
    net = get_preset("d2l")
    fifth = Branch("branch5", (Conv("conv1", 16, (1, 1)), Conv("conv2", 16, (1, 7), padding=(0, 3)), Conv("conv3", 24, (7, 1), padding=(3, 0))))
    net = edit.add_branch(net, "inception3a", fifth)
    net = edit.set_layer(net, "conv1", kernel=(3, 3), stride=(1, 1), padding=(1, 1))
    net = edit.remove_layer(net, "maxpool1")
    net = replace(net, input=(1, 28, 28))
    a = analyze(net)
    assert a.block("inception3a").out_shape == (256 + 24, 14, 14)  # 28 → conv2, conv3 → maxpool2 → 14
    assert a.layer("conv1").out_shape == (64, 28, 28)
    assert_matches_pytorch(net)
    assert config.loads(config.dumps(net)) == net
    written = json.loads(config.dumps(net))["stages"][2]["items"][0]
    assert "branches" in written and written["kind"] == "inception" and written["widths"]["c2"] == [96, 128]
    # and it can go back to the lecture's block
    back = edit.reset_block(net, "inception3a")
    assert matches(back.block("inception3a"), back.style) and analyze(back).block("inception3a").out_shape == (256, 14, 14)


def test_branches_move_and_go():
    net = get_preset("d2l")
    moved = edit.move_branch(net, "inception3a.branch4", -3)
    assert [b.name for b in moved.block("inception3a").branches] == ["branch4", "branch1", "branch2", "branch3"]
    a = analyze(moved)
    assert a.block("inception3a").out_shape == (256, 12, 12)
    assert_matches_pytorch(moved)
    fewer = edit.remove_branch(net, "inception3a.branch3")
    assert analyze(fewer).block("inception3a").out_shape == (224, 12, 12)
    with pytest.raises(SpecError, match="nothing is named"):
        edit.remove_branch(net, "inception3a.branch9")


def test_head_layers_insert_and_a_layer_inside_a_split():
    net = get_preset("inception-v3")
    net = edit.set_layer(net, "Mixed_7b.branch3x3.split1.conv", out=256)
    a = analyze(net)
    assert a.layer("Mixed_7b.branch3x3.split1.conv").out_shape[0] == 256
    net = edit.insert_layer(net, "head", Pool("extra", "max", (1, 1), (1, 1)), 0)
    assert [x.name for x in net.head][:2] == ["extra", "avgpool"]
    assert_matches_pytorch(net)


# --- configs --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["d2l", "inception-resnet-v2"])
def test_old_configs_still_load(name):
    old = config.loads((DATA / f"{name}-format1.json").read_bytes())
    assert json.loads((DATA / f"{name}-format1.json").read_text())["format"] == "inception-studio/1"
    # a file from before naming rules keeps the module names it had: the studio naming
    assert old == replace(get_preset(name), naming="studio")


def test_custom_blocks_through_the_command_line():
    """A five-path block, a 28×28 stem, a ResNet basic block and a DenseNet layer: the command
    line's numbers are PyTorch's."""
    path = ROOT / "examples" / "custom-blocks.json"
    net = config.loads(path.read_bytes())
    assert config.dumps(net) == path.read_text(encoding="utf-8")  # round trip, byte for byte
    kinds = {b.name: (b.kind, len(b.branches), b.merge) for b in net.blocks()}
    assert kinds["five_paths"] == (None, 5, "concat")
    assert kinds["residual"][0] == "resnet-basic" and kinds["residual"][2] == "add"
    assert kinds["dense"][0] == "densenet-layer" and net.input == (1, 28, 28)
    r = subprocess.run([sys.executable, "-m", "googlenet", "summary", "--config", str(path), "--format", "json"],
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    m = measure(net)
    assert out["totals"]["params"] == m.params
    assert out["totals"]["flops"] == m.flops
    assert_matches_pytorch(net)


# --- the diagram: a concat has one edge per branch ------------------------------------------------


@pytest.mark.parametrize("name", ["d2l", "inception-v3", "d2l-densenet", "inception-resnet-v2"])
def test_every_concat_has_one_incoming_edge_per_branch(name):
    a = analyze(get_preset(name))
    dot = to_dot(a, "layers")
    laid = json.loads(subprocess.run(["dot", "-Tjson"], input=dot, capture_output=True, text=True, check=True, timeout=120).stdout)
    ids = {o["_gvid"]: o["name"] for o in laid.get("objects", []) if "nodes" not in o}
    into: dict[str, int] = {}
    for e in laid["edges"]:
        into[ids[e["head"]]] = into.get(ids[e["head"]], 0) + 1
    index = {id(r): i for i, r in enumerate(a.layers)}
    concats = [r for r in a.layers if r.kind == "concat"]
    assert concats
    for r in concats:
        owner = r.parent  # the block, or the branch whose split it merges
        paths = [c for c in owner.children if c.kind == "branch"]
        if owner.kind == "block" and owner.layer.merge == "add":
            paths = [c for c in paths if c.children]  # the concat of an add: its non-identity branches
        assert into.get(f"r{index[id(r)]}", 0) == len(paths), r.key
