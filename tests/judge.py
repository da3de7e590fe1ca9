"""PyTorch as the judge: what the built module itself says about params, shapes and FLOPs.

Shapes come from forward hooks on the module's leaf modules (a conv row's ``conv`` and ``bn``)
and, for the merges, which have no module of their own, from the ``cat`` and ``add`` ops that
PyTorch's dispatcher saw run, in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

from googlenet import analyze
from googlenet.build import build
from googlenet.spec import Network

MERGE_OPS = {"concat": "aten.cat.default", "add": "aten.add.Tensor"}


class _Merges(TorchDispatchMode):
    """The output shapes of every concatenation and every out-of-place addition of two tensors
    (not a tensor and a number, as inside LocalResponseNorm), in order."""

    def __init__(self):
        super().__init__()
        self.seen: list[tuple[str, tuple[int, ...]]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        name = str(func)
        if name == MERGE_OPS["concat"] or (name == MERGE_OPS["add"] and all(isinstance(a, torch.Tensor) for a in args[:2])):
            self.seen.append((name, tuple(out.shape[1:])))
        return out


@dataclass
class Measured:
    params: int  # sum of numel over the module's parameters
    shapes: dict[str, tuple[int, ...]]  # leaf module name → output shape without the batch dim
    order: list[str]  # leaf module names in the order they ran (eval mode, then training)
    flops: int  # FlopCounterMode total of one eval-mode forward, batch 1
    aux_flops: int  # FlopCounterMode total of the aux heads alone (training-mode extra)
    merges: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)  # eval-mode cat / add outputs

    def last_under(self, module: str) -> tuple[int, ...] | None:
        """The output of the last leaf module that ran at ``module`` or inside it."""
        ran = [n for n in self.order if n == module or n.startswith(module + ".")]
        return self.shapes[ran[-1]] if ran else None


def measure(net: Network) -> Measured:
    """Build ``net`` on the meta device and let PyTorch count everything."""
    model = build(net, device="meta")
    params = sum(p.numel() for p in model.parameters())
    shapes: dict[str, tuple[int, ...]] = {}
    order: list[str] = []

    def hook(m, i, o, name):
        shapes[name] = tuple(o.shape[1:])
        order.append(name)

    hooks = [
        mod.register_forward_hook(lambda m, i, o, name=name: hook(m, i, o, name))
        for name, mod in model.named_modules()
        if name and not list(mod.children())
    ]
    x = torch.empty(1, *net.input, device="meta")
    model.eval()
    merges = _Merges()
    with FlopCounterMode(display=False) as counter, merges:
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
    return Measured(params, shapes, order, flops, aux_flops, merges.seen)


def _adds(block) -> int:
    """How many out-of-place additions a residual merge is: its branches' sum when they are
    several and not projected, and the sum with the input when it has an identity branch."""
    identities = sum(1 for b in block.branches if b.identity)
    rest = len(block.branches) - identities
    return (1 if block.project is None and rest > 1 else 0) + (1 if identities else 0)


def assert_matches_pytorch(net: Network) -> None:
    """The analysis of ``net`` equals what PyTorch measures on the built module: params, MACs
    (FLOPs / 2), aux-head MACs, every layer's output shape, and every merge's."""
    a = analyze(net)
    m = measure(net)
    assert a.totals.params == m.params
    assert 2 * a.totals.macs == m.flops
    assert 2 * a.totals.aux_macs == m.aux_flops
    for row in a.layers:
        if not row.module:
            continue
        got = m.last_under(row.module)
        assert got is not None, f"no module computes {row.key}"
        assert got == row.out_shape, row.key
    ours = []
    for r in a.layers:
        if r.aux or r.kind not in MERGE_OPS:
            continue
        ours += [(MERGE_OPS[r.kind], r.out_shape)] * (_adds(r.parent.layer) if r.kind == "add" else 1)
    assert ours == m.merges, (ours[:5], m.merges[:5])
    for group in a.blocks:
        assert group.out_shape == group.children[-1].out_shape, group.key
