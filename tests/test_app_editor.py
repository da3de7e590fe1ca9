"""The inspector and the history headless (AppTest): every structural edit the inspector
offers changes the design to what ``googlenet.edit`` / ``rewrites`` make, judged by PyTorch's
count of the built model; typed values out of range leave the design and the field as they
were; undo walks back; the layer table selects and highlights."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from googlenet import analyze, edit, knobs, rewrites
from googlenet.build import build
from googlenet.spec import Branch, Conv, Pool
from ui import state

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


def params(net) -> int:
    return sum(p.numel() for p in build(net, torch.device("meta")).parameters())


def d2l():
    return knobs.Tweaks("d2l").apply()


@pytest.fixture
def at() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    app.session_state["main_selected"] = "inception3a"
    app.session_state["main_units"] = "exact"
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def metric(at: AppTest, label: str) -> str:
    (m,) = [m for m in at.metric if m.label == label]
    return m.value


def button(at: AppTest, key: str):
    (b,) = [b for b in at.button if b.key == key]
    return b


def number(at: AppTest, key: str):
    (n,) = [n for n in at.number_input if n.key == key]
    return n


def errors(at: AppTest) -> list[str]:
    """The error boxes' text as shown (without Markdown's escapes)."""
    return [e.value.replace("\\", "") for e in at.error]


def shows(at: AppTest, net) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert metric(at, "Params") == f"{params(net):,}"
    assert at.session_state["design"].network() == net


def test_the_inspector_shows_the_selection_and_its_share(at):
    a = analyze(d2l())
    node = a.node("inception3a")
    assert metric(at, "Output shape") == "256×12×12"
    assert metric(at, "Share of params") == f"{node.params / a.totals.params:.1%}"
    assert metric(at, "Receptive field") == str(node.receptive_field[0])
    assert number(at, "main_k_i_w_inception3a_c2_1").value == 128


def test_a_typed_width_and_its_slider_change_the_design(at):
    number(at, "main_k_i_w_inception3a_c2_1").set_value(160).run()
    shows(at, knobs.set_width(d2l(), "inception3a", "c2", (96, 160)))
    (s,) = [s for s in at.slider if s.key == "main_k_i_w_inception3a_c2_1_s"]
    assert s.value == 160
    s.set_value(200).run()
    shows(at, knobs.set_width(d2l(), "inception3a", "c2", (96, 200)))
    assert number(at, "main_k_i_w_inception3a_c2_1").value == 200


def test_out_of_range_keeps_the_design_and_shows_the_models_value(at):
    number(at, "main_k_i_w_inception3a_c1_0").set_value(70_000).run()
    assert any("inception3a.c1: must be between 1 and 65,536, got 70,000" in e for e in errors(at))
    assert number(at, "main_k_i_w_inception3a_c1_0").value == 64
    shows(at, d2l())
    number(at, "main_k_classes").set_value(0).run()
    assert any("classes: must be between 1 and 100,000, got 0" in e for e in errors(at))
    assert number(at, "main_k_classes").value == 10


@pytest.mark.parametrize(
    "key, change",
    [
        ("main_k_i_rw_factorize_5x5_inception3a", lambda n: rewrites.factorize_5x5(n, "inception3a")),
        ("main_k_i_rw_factorize_nxn_inception3a", lambda n: rewrites.factorize_nxn(n, "inception3a")),
        ("main_k_i_rw_add_batchnorm_inception3a", lambda n: rewrites.add_batchnorm(n, "inception3a")),
        ("main_k_i_rw_make_residual_inception3a", lambda n: rewrites.make_residual(n, "inception3a")),
        ("main_k_i_rw_remove_reduces_inception3a", lambda n: rewrites.remove_reduces(n, "inception3a")),
        ("main_k_i_rm_inception3a.branch4", lambda n: edit.remove_branch(n, "inception3a.branch4")),
        ("main_k_i_up_inception3a.branch4", lambda n: edit.move_branch(n, "inception3a.branch4", -1)),
        ("main_k_i_down_inception3a.branch1", lambda n: edit.move_branch(n, "inception3a.branch1", 1)),
    ],
)
def test_each_structure_button_makes_what_the_core_makes(at, key, change):
    button(at, key).click().run()
    net = change(d2l())
    shows(at, net)
    assert "edit" in at.query_params
    # undo goes back to the preset exactly
    button(at, "main_undo").click().run()
    shows(at, d2l())
    assert dict(at.query_params).get("edit") is None


def test_unfactorise_is_offered_only_where_it_applies(at):
    assert button(at, "main_k_i_rw_unfactorize_inception3a").proto.disabled == (not rewrites.applies(rewrites.unfactorize, d2l(), "inception3a"))
    assert button(at, "main_k_i_reset_inception3a").proto.disabled  # it matches its template
    button(at, "main_k_i_rw_factorize_5x5_inception3a").click().run()
    assert not button(at, "main_k_i_rw_unfactorize_inception3a").proto.disabled
    assert not button(at, "main_k_i_reset_inception3a").proto.disabled
    button(at, "main_k_i_reset_inception3a").click().run()
    shows(at, d2l())
    assert at.session_state["design"] == state.from_preset("d2l")


def test_adding_a_path_and_editing_a_layer(at):
    at.selectbox(key="main_k_i_newpath_inception3a").set_value("3×3 max pool → 1×1 conv")
    number(at, "main_k_i_newout_inception3a").set_value(24)
    button(at, "main_k_i_add_inception3a").click().run()
    net = edit.add_branch(d2l(), "inception3a", Branch("branch5", (Pool("pool", "max", (3, 3), (1, 1), (1, 1)), Conv("conv", 24, (1, 1)))))
    shows(at, net)
    # the layer editor: branch2's 3×3 conv made 5×5 with padding 2 and BatchNorm
    at.selectbox(key="main_ilayer_inception3a").set_value("inception3a.branch2.conv2").run()
    form = "main_k_i_f_inception3a.branch2.conv2"
    for part in (0, 1):
        number(at, f"{form}_kernel_{part}").set_value(5)
        number(at, f"{form}_padding_{part}").set_value(2)
    (bn,) = [t for t in at.toggle if t.key == f"{form}_bn_0"]
    bn.set_value(True)
    button(at, f"{form}_apply").click().run()
    net = edit.set_layer(net, "inception3a.branch2.conv2", kernel=(5, 5), padding=(2, 2), bn=True)
    shows(at, net)
    # a kernel of 0 is refused under its field, and nothing changes
    number(at, f"{form}_kernel_0").set_value(0)
    button(at, f"{form}_apply").click().run()
    assert any("inception3a.branch2.conv2.kernel.height: must be between 1 and 64, got 0" in e for e in errors(at))
    shows(at, net)
    assert number(at, f"{form}_kernel_0").value == 5


def test_stem_layers_can_be_edited_inserted_and_removed(at):
    at.session_state["main_selected"] = "conv2"
    at.run()
    at.selectbox(key="main_k_i_newlayer_conv2").set_value("BatchNorm")
    button(at, "main_k_i_insert_conv2").click().run()
    from googlenet.spec import BatchNorm

    net = edit.insert_layer(d2l(), "b2", BatchNorm("bn"), 1)
    shows(at, net)
    button(at, "main_k_i_remove_conv2").click().run()
    shows(at, edit.remove_layer(net, "conv2"))


def test_a_selection_made_elsewhere_shows_in_the_select_box_and_the_inspector():
    """What the diagram's click and the table's row write (the browser test clicks the row)."""
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    app.session_state["main_selected"] = "inception4a.branch2.conv2"
    app.run()
    assert not app.exception
    assert app.selectbox(key="main_select").value == "inception4a.branch2.conv2"
    assert [m for m in app.metric if m.label == "Output shape"][0].value == "208×6×6"
