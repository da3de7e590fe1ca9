"""PyTorch as the judge: what the built module itself says about params, shapes and FLOPs."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.utils.flop_counter import FlopCounterMode

from googlenet import analyze
from googlenet.build import build
from googlenet.spec import Network


@dataclass
class Measured:
    params: int  # sum of numel over the module's parameters
    shapes: dict[str, tuple[int, ...]]  # module name → output shape without the batch dim
    flops: int  # FlopCounterMode total of one eval-mode forward, batch 1
    aux_flops: int  # FlopCounterMode total of the aux heads alone (training-mode extra)


def measure(net: Network) -> Measured:
    """Build ``net`` on the meta device and let PyTorch count everything."""
    model = build(net, device="meta")
    params = sum(p.numel() for p in model.parameters())
    shapes: dict[str, tuple[int, ...]] = {}
    hooks = [
        mod.register_forward_hook(lambda m, i, o, name=name: shapes.__setitem__(name, tuple(o.shape[1:])))
        for name, mod in model.named_modules()
        if name
    ]
    x = torch.empty(1, *net.input, device="meta")
    model.eval()
    with FlopCounterMode(display=False) as counter:
        model(x)
    flops = counter.get_total_flops()
    aux_flops = 0
    if net.aux_enabled and net.aux:
        model.train()  # aux heads run in training mode only
        x2 = torch.empty(2, *net.input, device="meta")  # BatchNorm trains on more than one value
        with FlopCounterMode(display=False) as counter:
            model(x2)
        aux_flops = counter.get_total_flops() // 2 - flops
    for h in hooks:
        h.remove()
    return Measured(params, shapes, flops, aux_flops)


def assert_matches_pytorch(net: Network) -> None:
    """The analysis of ``net`` equals what PyTorch measures on the built module: params, MACs
    (FLOPs / 2), aux-head MACs and every layer's and block's output shape."""
    a = analyze(net)
    m = measure(net)
    assert a.totals.params == m.params
    assert 2 * a.totals.macs == m.flops
    assert 2 * a.totals.aux_macs == m.aux_flops
    for row in a.layers:
        assert row.name in m.shapes, f"no module computes {row.name}"
        assert m.shapes[row.name] == row.out_shape, row.name
    for group in a.blocks:
        assert m.shapes[group.name] == group.out_shape, group.name
