"""The editor's pure parts: the history of designs (ui/history.py), structural edits in the
design and its link (ui/state.py), and the list of what changed between two networks."""

from __future__ import annotations

import torch

from googlenet import analyze, config, edit, rewrites
from googlenet.build import build
from googlenet.spec import Branch, Conv
from ui import state
from ui.history import LIMIT, History
from ui.state import from_query, to_query


def params_of(net) -> int:
    """PyTorch's count of the built model."""
    return sum(p.numel() for p in build(net, torch.device("meta")).parameters())


# --- history -------------------------------------------------------------------------------------


def test_undo_and_redo_walk_the_steps_back_and_forth():
    h: History[int] = History()
    now = 0
    for nxt in (1, 2, 3):
        h, now = h.record(now, nxt), nxt
    assert (h.past, h.future) == ((0, 1, 2), ())
    h, now = h.undo(now)
    assert now == 2 and h.past == (0, 1) and h.future == (3,)
    h, now = h.undo(now)
    assert now == 1
    h, now = h.redo(now)
    assert now == 2 and h.future == (3,)
    # a new change after an undo forgets what could be redone
    h, now = h.record(now, 7), 7
    assert h.past == (0, 1, 2) and h.future == () and not h.can_redo


def test_nothing_to_undo_changes_nothing():
    h: History[str] = History()
    assert h.undo("a") == (h, "a") and h.redo("a") == (h, "a")
    assert h.record("a", "a") is h  # no step for a change to the same design


def test_at_least_fifty_steps_are_kept():
    h: History[int] = History()
    for i in range(LIMIT + 30):
        h = h.record(i, i + 1)
    assert len(h.past) == LIMIT >= 50
    now = LIMIT + 30
    for _ in range(60):
        h, now = h.undo(now)
    assert now == LIMIT + 30 - 60


def test_the_browser_arrows_are_undo_and_redo():
    h: History[str] = History().record("a", "b").record("b", "c")
    back = h.follow("c", "b")  # Back: the design one step behind
    assert back == h.undo("c")[0]
    fwd = back.follow("b", "c")  # Forward again
    assert fwd == History(("a", "b"), ())
    other = h.follow("c", "z")  # any other design the link names: a new step
    assert other.past == ("a", "b", "c") and other.future == ()


# --- structural edits in the design and the link ------------------------------------------------


def test_a_structural_edit_rides_in_the_link_and_keeps_the_preset_as_reference():
    d = state.with_block_width(state.from_preset("d2l"), "inception3a", "c1", [80])
    edited = state.with_structure(d, lambda n: rewrites.factorize_5x5(n, "inception3a"))
    assert edited.edited is not None and edited.origin() == state.preset_network("d2l")
    assert edited.modified and edited.preset == "d2l"
    q = to_query(edited)
    assert q["preset"] == "d2l" and set(q) == {"preset", "edit"}
    decoded = from_query(q)
    assert decoded.problems == () and decoded.design == edited
    assert decoded.design.network() == edited.network()
    # judged by PyTorch: the 5×5 of branch3 became two 3×3 convs, 32 → 32 channels
    before, after = params_of(d.network()), params_of(edited.network())
    assert before - after == (5 * 5 * 16 * 32 + 32) - (3 * 3 * 16 * 32 + 32 + 3 * 3 * 32 * 32 + 32)
    assert analyze(edited.network()).totals.params == after


def test_knobs_after_a_structural_edit_are_turned_on_the_edited_network():
    edited = state.with_structure(state.from_preset("d2l"), lambda n: rewrites.add_batchnorm(n, "inception3b"))
    d = state.with_input(state.with_count(edited, "b4", 6), (1, 128, 128))
    q = to_query(d)
    assert {"preset", "edit", "input", "b4"} <= set(q)
    back = from_query(q).design
    assert back == d and back.network().input == (1, 128, 128)
    assert back.network().block("inception3b") == edited.network().block("inception3b")


def test_an_edit_that_knobs_can_make_is_kept_as_knobs_and_reset_goes_back():
    d0 = state.from_preset("d2l")
    e = state.with_structure(d0, lambda n: rewrites.factorize_5x5(n, "inception3a"))
    back = state.with_structure(e, lambda n: edit.reset_block(n, "inception3a"))
    assert back == d0 and to_query(back) == {"preset": "d2l"}
    assert state.reset(e) == d0


def test_a_refused_edit_raises_naming_the_field():
    d = state.from_preset("d2l")
    try:
        state.with_structure(d, lambda n: edit.set_layer(n, "conv1", out=0))
    except state.SpecError as err:
        assert "conv1" in err.field
    else:  # pragma: no cover
        raise AssertionError("out=0 was accepted")


def test_a_broken_edit_parameter_is_named_and_dropped():
    decoded = from_query({"preset": "d2l", "edit": "not-a-config"})
    assert decoded.design == state.from_preset("d2l")
    assert any("edit" in p for p in decoded.problems)


def test_an_edited_design_survives_a_config_round_trip_of_its_network():
    e = state.with_structure(state.from_preset("googlenet-torchvision"), lambda n: rewrites.make_residual(n, "inception4a"))
    assert config.loads(config.dumps(e.network())) == e.network()
    assert from_query(to_query(e)).design.network() == e.network()


# --- what changed ---------------------------------------------------------------------------------


def test_changes_name_every_kind_of_edit():
    d2l = state.preset_network("d2l")
    assert state.changes(d2l, d2l) == []
    d = state.with_block_width(state.from_preset("d2l"), "inception3a", "c1", [80])
    assert state.changes(d2l, d.network()) == ["inception3a.c1 64 → 80"]
    d = state.with_input(state.with_count(state.from_preset("d2l"), "b4", 6), (1, 128, 128))
    assert state.changes(d2l, d.network()) == ["input 1×96×96 → 1×128×128", "+ inception4f"]
    conv = edit.set_layer(d2l, "conv1", kernel=(5, 5), padding=(2, 2))
    assert state.changes(d2l, conv) == ["conv1: kernel 7×7 → 5×5", "conv1: padding 3×3 → 2×2"]
    added = edit.add_branch(d2l, "inception3a", Branch("branch5", (Conv("conv", 16, (1, 1)),)))
    assert state.changes(d2l, added) == ["inception3a: + branch branch5"]
    moved = edit.move_branch(d2l, "inception3a.branch4", -3)
    assert state.changes(d2l, moved) == ["inception3a: branches reordered"]
    fact = rewrites.factorize_5x5(d2l, "inception3a")
    assert state.changes(d2l, fact) == ["inception3a.branch3: layers conv1 → conv2 ⇒ conv1 → conv2a → conv2b"]
    res = rewrites.make_residual(d2l, "inception3a")
    lines = state.changes(d2l, res)
    assert "inception3a: + branch identity" in lines and "inception3a: merge concat → add" in lines
    assert "inception3a: projection added" in lines
