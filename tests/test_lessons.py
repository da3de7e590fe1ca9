"""The block lessons against PyTorch: every counterfactual conv is built and counted."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from googlenet import analyze, get_preset, preset_names
from googlenet.lessons import ConvAt, lesson, paths


def measured(convs: tuple[ConvAt, ...]) -> tuple[int, int, list[tuple[int, ...]]]:
    """Params (numel), FLOPs (FlopCounterMode) and output shapes of the convs, each built
    on the meta device and run on its own input."""
    params = flops = 0
    shapes = []
    for c in convs:
        layers = [nn.Conv2d(c.in_shape[0], c.conv.out, c.conv.kernel, c.conv.stride, c.conv.padding, bias=c.conv.bias, device="meta")]
        if c.conv.bn:
            layers.append(nn.BatchNorm2d(c.conv.out, device="meta"))
        m = nn.Sequential(*layers).eval()
        params += sum(p.numel() for p in m.parameters())
        with FlopCounterMode(display=False) as counter:
            y = m(torch.empty(1, *c.in_shape, device="meta"))
        flops += counter.get_total_flops()
        shapes.append(tuple(y.shape[1:]))
    return params, flops, shapes


def every_block():
    for name in preset_names():
        net = get_preset(name)
        for b in net.blocks():
            yield name, b.name


BLOCKS = list(every_block())


@pytest.mark.parametrize("preset", preset_names("family"))
def test_counterfactuals_match_pytorch(preset):
    a = analyze(get_preset(preset))
    seen = 0
    for b in a.network.blocks():
        les = lesson(a, b.name)
        for swap in les.reduce + les.factorise:
            seen += 1
            # the block's own convs: our ConvAt arithmetic equals the analysis rows
            for c in swap.actual:
                row = a.layer(c.name)
                assert (c.params, c.macs, c.out_shape) == (row.params, row.macs, row.out_shape), c.name
            params, flops, shapes = measured(swap.actual)
            assert (params, flops) == (swap.params, 2 * swap.macs), (b.name, swap.actual_label)
            assert shapes == [c.out_shape for c in swap.actual], (b.name, swap.actual_label)
            params, flops, shapes = measured(swap.alternative)
            assert (params, flops) == (swap.alt_params, 2 * swap.alt_macs), (b.name, swap.alternative_label)
            # the counterfactual makes exactly what the convs it replaces make
            replaced = swap.actual[1:] if swap.lesson == "reduce" else swap.actual[-1:]
            assert shapes == [c.out_shape for c in replaced], (b.name, swap.alternative_label)
            assert [c.out_shape for c in swap.alternative] == shapes
    assert seen > 0


def test_lecture_block_without_reduce():
    """d2l's inception3a on 192×12×12: the 3×3 and 5×5 would read all 192 channels."""
    a = analyze(get_preset("d2l"))
    les = lesson(a, "inception3a")
    assert [p.field for p in les.paths] == ["c1", "c2", "c3", "c4"]
    assert [p.out_channels for p in les.paths] == [64, 128, 32, 32]
    assert [p.share for p in les.paths] == [0.25, 0.5, 0.125, 0.125]
    r2, r3 = les.reduce
    assert r2.alternative[0].label == "3×3, 192→128"
    assert r2.alt_params == 192 * 128 * 9 + 128
    assert r3.alt_macs == 32 * 12 * 12 * 192 * 25
    assert les.params_without_reduce == les.params - r2.params - r3.params + r2.alt_params + r3.alt_params
    assert les.params_without_reduce > 2 * les.params
    assert les.factorise == ()
    assert les.pool_projection == (32, 192)


def test_v3_factorisation():
    """Inception-v3's Mixed_6b: 1×7 → 7×1 stands for 7×7; Mixed_5b: two 3×3 for a 5×5."""
    a = analyze(get_preset("inception-v3"))
    f = lesson(a, "Mixed_6b").factorise
    assert [s.alternative[0].conv.kernel for s in f] == [(7, 7)] * 3
    first = f[0]
    assert first.actual_label == "1×7, 128→128 → 7×1, 128→192"
    assert first.alternative_label == "7×7, 128→192"
    assert first.alt_params > 3 * first.params
    (pair,) = lesson(a, "Mixed_5b").factorise
    assert pair.alternative[0].conv.kernel == (5, 5)
    assert pair.alternative[0].out_shape == pair.actual[1].out_shape
    # a reduce that feeds a split replaces both halves of the split
    reduce = lesson(a, "Mixed_7b").reduce[0]
    assert reduce.actual_label.count("|") == 1 and len(reduce.alternative) == 2


@pytest.mark.parametrize("preset, block", BLOCKS[:: max(1, len(BLOCKS) // 40)])
def test_paths_add_up_to_the_block(preset, block):
    a = analyze(get_preset(preset))
    ps = paths(a, block)
    group = a.block(block)
    project = [r for r in a.layers if r.block == block and r.key == f"{block}.project"]
    assert sum(p.params for p in ps) + sum(r.params for r in project) == group.params
    assert sum(p.macs for p in ps) + sum(r.macs for r in project) == group.macs
    assert abs(sum(p.share for p in ps) - 1) < 1e-9
    spec = a.network.block(block)
    if spec.merge == "concat":  # the paths' channels, and the input once per identity branch, are its output
        identities = sum(1 for b in spec.branches if b.identity)
        assert sum(p.out_channels for p in ps) + identities * group.in_shape[0] == group.out_shape[0]


def test_unknown_block_is_refused():
    with pytest.raises(KeyError):
        lesson(analyze(get_preset("d2l")), "inception9z")
