"""Networks of any structure against PyTorch: random stems, blocks of random branches, merges
and heads (``tests/structures.py``), each checked against ``numel``, a meta forward of every row,
FlopCounterMode, the gradient receptive field, the live-tensor peak of a real CPU forward, and
the CPU forward's output. Broken variants are refused with a message naming the field.

``STRUCTURE_EXAMPLES`` sets how many random networks each property draws (CI default: 25)."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from googlenet import analyze, get_preset
from googlenet.build import build
from googlenet.errors import SpecError
from googlenet.spec import Block, Branch, Conv

from .judge import assert_matches_pytorch, centre_fields, gradient_fields, measured_peak
from .structures import structural_specs

EXAMPLES = int(os.environ.get("STRUCTURE_EXAMPLES", "25"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def valid(net):
    try:
        return analyze(net)
    except SpecError as err:  # a stem that leaves nothing of a small input: said, with the field
        assert err.field and str(err).startswith(f"{err.field}: ")
        assume(False)


@SETTINGS
@given(structural_specs())
def test_random_structures_match_pytorch(net):
    a = valid(net)
    assert_matches_pytorch(net)
    assert measured_peak(net) == a.totals.peak_activation_bytes
    model = build(net).eval()
    with torch.inference_mode():
        y = model(torch.randn(2, *net.input))
    assert tuple(y.shape) == (2, *a.totals.output_shape) and torch.isfinite(y).all()


@SETTINGS
@given(structural_specs())
def test_random_structures_receptive_fields_by_gradients(net):
    a = valid(net)
    keys = [r.key for r in a.layers]
    measured = gradient_fields(net, keys)
    assert {k: measured[k] for k in keys} == {r.key: r.rf_clipped for r in a.layers}
    # on an input three times as wide as a field, the middle output's window lies inside the
    # image (its start is off the middle by less than a field): the whole theoretical field
    rows = [r for r in a.layers if len(r.out_shape) == 3]
    size = 3 * max(max(r.receptive_field) for r in rows) + 8
    assume(size <= 256)
    big = replace(net, input=(net.input[0], size, size))
    ab = analyze(big)
    # every row before the map is pooled away has an output element inside the image (a global
    # pool's field runs into the padding of the edge elements it averages, so it has none)
    keys = [r.key for r in ab.layers if len(r.out_shape) == 3 and r.kind != "adaptive_avg_pool"]
    keys = keys[: next((i for i, k in enumerate(keys) if ab.node(k).out_shape[1:] == (1, 1)), len(keys))]
    assert all(ab.node(k).rf_clipped == ab.node(k).receptive_field for k in keys)
    measured = centre_fields(big, keys)
    assert measured == {k: ab.node(k).receptive_field for k in keys}


# --- broken structures are refused, naming the field ----------------------------------------


def _first_block(net):
    for st_ in net.stages:
        for it in st_.items:
            if isinstance(it, Block):
                return st_, it
    return None, None


@SETTINGS
@given(structural_specs(), st.sampled_from(["groups", "add_channels", "add_size", "identity_only", "split_one", "project"]))
def test_broken_structures_name_the_field(net, how):
    stage, b = _first_block(net)
    assume(b is not None)
    valid(net)
    if how == "groups":
        found = next(((br, x) for br in b.branches for x in br.layers if isinstance(x, Conv)), None)
        assume(found is not None)
        br, conv = found
        cin = analyze(net).node(f"{b.name}.{br.name}.{conv.name}").in_shape[0]
        g = next(g for g in range(2, cin + 2) if cin % g)  # groups that do not divide the input
        bad_conv = replace(conv, groups=g, out=g * 3)
        branches = tuple(replace(x, layers=tuple(bad_conv if y is conv else y for y in x.layers)) for x in b.branches)
        bad, where = replace(b, branches=branches), f"{stage.name}.{b.name}"
    elif how == "add_channels":  # ResNet-style, but a branch ends one channel off the input
        branches = (Branch("a", (Conv("c", 5, (3, 3), padding=(1, 1)),)), Branch("b", (Conv("c", 6, (3, 3), padding=(1, 1)),)))
        bad, where = replace(b, branches=branches, merge="add", project=None, scale=1.0), f"{stage.name}.{b.name}"
    elif how == "add_size":  # a strided branch beside one that is not
        branches = (Branch("a", (Conv("c", 5, (3, 3), (2, 2), (1, 1)),)), Branch("b", (Conv("c", 5, (3, 3), padding=(1, 1)),)))
        bad, where = replace(b, branches=branches, merge="add", project=None, scale=1.0), "input"
    elif how == "identity_only":
        bad, where = replace(b, branches=(Branch("x"), Branch("y"))), f"{stage.name}.{b.name}.branches"
    elif how == "split_one":
        br = Branch("p", (Conv("c", 4, (1, 1)),), split=(Branch("only", (Conv("c", 4, (1, 1)),)),))
        bad, where = replace(b, branches=(br,), merge="concat", project=None, scale=1.0), f"{stage.name}.{b.name}.p.split"
    else:  # a projection without an identity branch to add it to
        branches = tuple(br for br in b.branches if not br.identity) or (Branch("a", (Conv("c", 4, (1, 1)),)),)
        bad, where = replace(b, branches=branches, merge="add", project=Conv("project", None, (1, 1), act="none")), f"{stage.name}.{b.name}.project"
    stages = tuple(replace(s, items=tuple(bad if it is b else it for it in s.items)) for s in net.stages)
    broken = replace(net, stages=stages)
    with pytest.raises(SpecError) as err:
        analyze(broken)
    e = err.value
    assert e.field.startswith(where), (e.field, where, str(e))
    assert str(e).startswith(f"{e.field}: ") and e.code


def test_groups_that_do_not_divide_are_refused_before_pytorch_would_fail():
    net = get_preset("d2l")
    from googlenet.edit import set_layer

    bad = set_layer(net, "conv2", groups=3)  # 64 input channels
    with pytest.raises(SpecError, match=r"b2\.conv2\.groups: 3 groups must divide both the input channels \(64\)"):
        analyze(bad)
    with pytest.raises(ValueError):  # PyTorch agrees, less clearly
        torch.nn.Conv2d(64, 64, 1, groups=3)
