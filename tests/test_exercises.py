"""The exercises' answers: every number a card shows is the analysis's for the design it names,
and the analysis of each of those designs is what PyTorch measures on the built module; the
smallest inputs are judged by PyTorch running (or refusing) a forward pass; the book's networks
have the book's parameter counts (tests/lecture.py's rebuilt code, the research's hand counts)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from googlenet import analyze
from googlenet import exercises as ex
from googlenet.analysis import shape_str, smallest_input
from googlenet.build import build
from googlenet.errors import SpecError
from googlenet.presets import PRESETS, get_preset
from googlenet.spec import Conv

from .judge import assert_matches_pytorch
from .lecture import lecture_network


def convs(net):
    return [x for b in net.blocks() for br in b.branches for x in _layers(br) if isinstance(x, Conv)]


def _layers(br):
    yield from br.layers
    for s in br.split:
        yield from _layers(s)


# --- 1. the family's iterations ------------------------------------------------------------------


def test_each_variant_is_what_pytorch_builds():
    for v in ex.iterations():
        assert v.cost == ex.Cost.of(analyze(v.network)), v.key
        assert_matches_pytorch(v.network)


def test_the_variants_change_what_the_exercise_says():
    by = {v.key: v for v in ex.iterations()}
    lecture = ex.lecture()
    # (c) label smoothing is a loss: the network is the lecture's, exactly
    assert by["label_smoothing"].network == lecture and by["label_smoothing"].changed == ()
    assert by["label_smoothing"].cost == ex.Cost.of(analyze(lecture))
    # (a) BatchNorm after every conv: 2 params per output channel of every conv, no MACs
    extra = sum(2 * n.out_shape[0] for n in analyze(lecture).layers if n.kind == "conv")
    assert by["batchnorm"].cost.params == analyze(lecture).totals.params + extra
    assert by["batchnorm"].cost.macs == analyze(lecture).totals.macs
    assert all(c.bn for c in convs(by["batchnorm"].network))
    # (b) no 5×5 left; no square kernel above 1×1 left in the blocks
    assert any(c.kernel == (5, 5) for c in convs(lecture))
    assert not any(c.kernel == (5, 5) for c in convs(by["factorize_5x5"].network))
    assert not any(c.kernel[0] == c.kernel[1] > 1 for c in convs(by["factorize_nxn"].network))
    # (d) residual only where the block keeps its width, and every other layer's shape unchanged
    a0, a1 = analyze(lecture), analyze(by["residual"].network)
    keep = [b.name for b in a0.blocks if b.in_shape[0] == b.out_shape[0]]
    assert by["residual"].changed == tuple(keep) and keep
    assert [b.merge for b in by["residual"].network.blocks() if b.name in keep] == ["add"] * len(keep)
    assert [(b.name, b.out_shape) for b in a0.blocks] == [(b.name, b.out_shape) for b in a1.blocks]


def test_the_lecture_network_is_the_books():
    """The preset the cards start from has the parameters of the book's own code."""
    lecture, _ = lecture_network()
    assert analyze(ex.lecture()).totals.params == sum(p.numel() for p in lecture.parameters())
    # and the book's own code runs on a 1×1 image, as the smallest-input card says
    assert lecture(torch.empty(1, 1, 1, 1, device="meta")).shape == (1, 10)
    assert ex.minimum_size("d2l").any_size


# --- 2. the smallest image -------------------------------------------------------------------------


def forward_error(net, h: int, w: int) -> tuple[str, str] | None:
    """PyTorch's refusal of a forward pass of an ``h``×``w`` image through the module built
    for ``net``: its message and the leaf module it was running (None when it runs)."""
    model = build(net, "meta").eval()
    entered = []
    for name, mod in model.named_modules():
        if name and not list(mod.children()):
            mod.register_forward_pre_hook(lambda m, i, name=name: entered.append(name))
    try:
        with torch.no_grad():
            model(torch.empty(1, net.input[0], h, w, device="meta"))
    except RuntimeError as err:
        return str(err), entered[-1]
    return None


@pytest.mark.parametrize("preset", list(PRESETS))
def test_smallest_input_is_where_pytorch_starts_to_run(preset):
    (m,) = ex.minimum_sizes((preset,))
    net = get_preset(preset)
    assert m.smallest == smallest_input(net)
    h, w = m.smallest
    at_least = replace(net, input=(net.input[0], h, w))
    analyze(at_least)  # works
    assert forward_error(at_least, h, w) is None
    if m.any_size:
        assert (h, w) == (1, 1) and m.failure is None
        return
    with pytest.raises(SpecError) as err:
        analyze(replace(net, input=(net.input[0], h - 1, w - 1)))
    assert m.below == (h - 1, w - 1) and err.value.layer == m.layer and err.value.code == m.failure.code
    refused = forward_error(at_least, h - 1, w - 1)  # the same module, one pixel less
    assert refused is not None
    message, module = refused
    if m.failure.code == "input.too_small":  # PyTorch stops in the layer the card names
        row = analyze(at_least).node(m.layer).module
        assert module == row or module.startswith(row + "."), (module, m.layer, message)
    else:  # branches that no longer agree: the concat after the block's last leaf
        assert "Sizes of tensors must match" in message and module.startswith(m.layer.split(".")[0]), message


def test_the_lecture_rounds_up_and_the_paper_does_not():
    lecture = ex.downsamplers(analyze(ex.lecture()))
    assert lecture and all(d.rounds_up and d.needs == (1, 1) for d in lecture)
    assert {d.name for d in lecture} == {"conv1", "maxpool1", "maxpool2", "maxpool3", "maxpool4"}
    paper = ex.minimum_size("googlenet")
    assert paper.layer == "avgpool" and "avgpool" in {d.name for d in paper.fixed}
    assert paper.failure.size == "6×6"  # 222 → … → 6×6 before a 7×7 window
    # the judge: PyTorch's own output sizes agree with ⌈n / 2⌉ for the lecture's pools
    pool = torch.nn.MaxPool2d(3, 2, padding=1)
    for n in range(1, 40):
        assert pool(torch.empty(1, 1, n, n, device="meta")).shape[-1] == math.ceil(n / 2)


# --- 3. a variant for 28×28 ------------------------------------------------------------------------


def test_the_28_variant_and_its_comparison():
    m = ex.mnist()
    assert m.original.network == ex.lecture() and m.as_is.network.input == (1, 28, 28)
    assert m.variant.network.input == (1, 28, 28)
    for a in (m.as_is, m.variant):
        assert_matches_pytorch(a.network)
    stages = {r.stage: r for r in m.stages}
    assert stages["b1"].variant.out_shape == (64, 28, 28) and stages["b1"].as_is.out_shape == (64, 7, 7)
    assert stages["b4"].as_is.out_shape[1:] == (1, 1)
    # the body and the head are the lecture's: the same blocks, the same head
    assert m.variant.network.blocks() == ex.lecture().blocks() and m.variant.network.head == ex.lecture().head
    for row in m.stages:
        for a, node in ((m.original, row.original), (m.as_is, row.as_is), (m.variant, row.variant)):
            assert node is analyze(a.network).node(f".{row.stage}")
    last = m.last_map
    assert [n.key for n in last] == ["inception5b.concat"] * 3
    assert last[2].rf_clipped == (28, 28) and last[0].rf_clipped == (96, 96)


# --- 4. where the parameters are ---------------------------------------------------------------------

# the research's hand counts of the book's code (tests/lecture.py rebuilds GoogLeNet's)
BOOK_PARAMS = {"d2l-alexnet": 46_764_746, "d2l-vgg11": 128_806_154, "d2l-nin": 1_992_166, "d2l": 5_977_530}


def test_params_sit_where_the_card_says():
    sites = ex.params_compared()
    assert [s.preset for s in sites] == list(BOOK_PARAMS)
    for s in sites:
        assert s.params == BOOK_PARAMS[s.preset]
        assert s.params == sum(p.numel() for p in build(get_preset(s.preset), "meta").parameters())
        assert s.conv_1x1 + s.conv_kxk + s.linear + s.other == s.params
        model = build(get_preset(s.preset), "meta")
        linear = sum(p.numel() for mod in model.modules() if isinstance(mod, torch.nn.Linear) for p in mod.parameters())
        assert s.linear == linear
    by = {s.preset: s for s in sites}
    assert by["d2l-alexnet"].linear == 26_218_496 + 16_781_312 + 40_970
    assert by["d2l-nin"].linear == 0 and by["d2l"].linear == 1024 * 10 + 10
    assert by["d2l-vgg11"].largest.params == 25088 * 4096 + 4096


def test_without_reduces_costs_what_pytorch_builds():
    a = ex.without_reduces()
    assert_matches_pytorch(a.network)
    assert a.totals.params > analyze(ex.lecture()).totals.params


# --- 5. computation -----------------------------------------------------------------------------------


def test_traffic_is_the_analysis_and_pytorch_counts_the_flops():
    small, big, alex = ex.computation()
    for t, net in ((small, ex.lecture()), (big, replace(ex.lecture(), input=(1, 224, 224))), (alex, get_preset("d2l-alexnet"))):
        a = analyze(net)
        assert (t.macs, t.weights_bytes, t.activation_bytes, t.peak_activation_bytes) == (
            a.totals.macs, a.totals.weights_bytes, a.totals.activation_bytes, a.totals.peak_activation_bytes)
        assert t.weights_bytes == 4 * sum(p.numel() for p in build(net, "meta").parameters())
        assert t.intensity == 2 * a.totals.macs / (a.totals.weights_bytes + a.totals.activation_bytes)
        assert sum(lt.macs for lt in t.layers) == t.macs
        for lt in t.layers:
            n = a.node(lt.key)
            assert lt.bytes == 4 * (n.params + math.prod(n.in_shape) + math.prod(n.out_shape))
        assert_matches_pytorch(net)  # MACs = FlopCounterMode / 2
    # at batch 1 a linear layer does one multiply-add per weight: below one FLOP per 2 bytes
    assert max(lt.intensity for lt in alex.layers if lt.kind == "linear") <= 0.5
    assert alex.linear_weights_bytes == 4 * (26_218_496 + 16_781_312 + 40_970)


# --- the page shows these numbers ------------------------------------------------------------------------


def test_the_page_shows_the_analysis_numbers():
    from streamlit.testing.v1 import AppTest

    from ui.tables import si

    from .test_app import APP, TIMEOUT

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/exercises.py").run()
    assert not at.exception
    def frame(column: str):
        (found,) = [f.value for f in at.dataframe if column in f.value.columns]
        return found

    it = frame("Blocks changed")
    expected = [analyze(ex.lecture()).totals.params] + [analyze(v.network).totals.params for v in ex.iterations()]
    assert list(it["Params"]) == [si(p) for p in expected]
    sizes = frame("Smallest input")
    for _, row in sizes.iterrows():
        least = smallest_input(get_preset(row["Network"]))
        assert row["Smallest input"] == ("any: 1×1" if least == (1, 1) else shape_str(least))
    params = frame("Share in fully connected layers")
    assert list(params["Params"]) == [si(BOOK_PARAMS[p]) for p in params["Network"]]
    comp = frame("d2l-alexnet 1×224×224")
    macs = comp[comp[""] == "MACs (multiply-accumulates)"].iloc[0]
    assert list(macs.iloc[1:]) == [si(analyze(ex.lecture()).totals.macs),
                                   si(analyze(replace(ex.lecture(), input=(1, 224, 224))).totals.macs),
                                   si(analyze(get_preset("d2l-alexnet")).totals.macs)]


@pytest.mark.parametrize("button, expected", [
    ("ex_open_iterations_residual", lambda: next(v.network for v in ex.iterations() if v.key == "residual")),
    ("ex_open_mnist_variant", lambda: ex.mnist_variant()),
    ("ex_open_params_d2l-nin", lambda: get_preset("d2l-nin")),
])
def test_a_card_opens_its_design_on_the_architecture_page(button, expected):
    from streamlit.testing.v1 import AppTest

    from .test_app import APP, TIMEOUT

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/exercises.py").run()
    at.button(key=button).click().run()
    assert not at.exception
    assert at.title[0].value == "Inception Studio"  # the Architecture page
    net = expected()
    assert at.session_state["design"].network() == net
    (params,) = [m for m in at.metric if m.label == "Params"]
    assert f"{analyze(net).totals.params:,}" in params.proto.help
