"""The diff of two networks (Compare's list, the diagram's marks): each kind of change found,
named by the key the diagram draws, and nothing found between a network and itself."""

from __future__ import annotations

from dataclasses import replace

import pytest

from googlenet import analyze, get_preset, knobs, rewrites
from googlenet.diff import Change, changed_keys, diff
from googlenet.presets import preset_names


@pytest.mark.parametrize("name", preset_names())
def test_a_network_has_no_differences_with_itself_or_a_rebuilt_copy(name):
    assert diff(get_preset(name), get_preset(name)) == []


def test_a_width_is_a_widths_change_of_that_block_alone():
    a = get_preset("d2l")
    b = knobs.Tweaks("d2l", widths=(("inception3a", "c1", (96,)),)).apply()
    (c,) = diff(a, b)
    # the book's Inception(192, 64, (96, 128), (16, 32), 32), its c1 made 96
    assert c == Change("widths", "inception3a", "c1 64, c2 96/128, c3 16/32, c4 32", "c1 96, c2 96/128, c3 16/32, c4 32")
    assert changed_keys([c]) == ["inception3a"]
    # every key the diff names is a block of the analysis: the diagram can find it
    assert {g.key for g in analyze(b).blocks} >= set(changed_keys([c]))


def test_a_block_count_adds_blocks_and_says_so_per_stage():
    a = get_preset("googlenet")
    n = knobs.block_count(a, "b4")
    b = knobs.Tweaks("googlenet", counts=(("b4", n + 1),)).apply()
    changes = diff(a, b)
    assert Change("count", ".b4", str(n), str(n + 1)) in changes
    added = [c for c in changes if c.what == "added"]
    assert len(added) == 1 and added[0].key not in {g.name for g in a.blocks()}
    assert added[0].key in {g.name for g in b.blocks()}
    # the added block is marked on B's drawing, not on A's; the count on both
    assert added[0].key in changed_keys(changes, "b") and added[0].key not in changed_keys(changes, "a")
    assert diff(b, a) == [Change("count", ".b4", str(n + 1), str(n)), Change("removed", added[0].key, added[0].b, "")]


def test_a_rewrite_is_a_structure_change():
    a = get_preset("d2l")
    b = rewrites.factorize_5x5(a, "inception4a")
    changes = diff(a, b)
    assert [(c.what, c.key) for c in changes] == [("structure", "inception4a")]


def test_network_fields_are_listed_and_mark_no_block():
    a = get_preset("d2l")
    b = replace(a, input=(3, 224, 224), classes=a.classes + 5, width=0.5)
    changes = diff(a, b)
    assert [(c.what, c.key) for c in changes] == [("network", "input"), ("network", "classes"), ("network", "width multiplier")]
    assert changes[0].a == "×".join(map(str, a.input)) and changes[0].b == "3×224×224"
    assert changed_keys(changes) == []


def test_another_family_member_differs_in_almost_everything():
    changes = diff(get_preset("d2l"), get_preset("inception-v3"))
    whats = {c.what for c in changes}
    assert {"network", "removed", "added"} <= whats


def test_layers_that_read_the_same_say_which_field_differs():
    a, b = get_preset("d2l"), get_preset("googlenet")
    pools = [c for c in diff(a, b) if c.what == "structure" and c.key == "maxpool2"]
    # the book's nn.MaxPool2d(3, 2, padding=1) against the paper's (torchvision's) MaxPool2d(3, 2, ceil_mode=True)
    assert pools == [Change("structure", "maxpool2", "padding (1, 1), ceil_mode False", "padding (0, 0), ceil_mode True")]
