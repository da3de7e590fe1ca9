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


# --- peak activation memory: live tensors during a real forward pass ---------------------------


class _LiveBytes(TorchDispatchMode):
    """The bytes of the storages ops made that some tensor still refers to, and their peak.

    Every op's outputs are seen here; a storage counts from the op that made it until the last
    tensor on it is freed (weak references: CPython frees a tensor when its last reference
    goes). Views and in-place results share a storage and count once."""

    def __init__(self, external: set[int], base: int):
        super().__init__()
        self.external = external  # storages not counted: the input, the parameters and buffers
        self.holders: dict[int, int] = {}
        self.size: dict[int, int] = {}
        self.now = self.peak = base

    def _drop(self, key: int) -> None:
        self.holders[key] -= 1
        if self.holders[key] == 0:
            del self.holders[key]
            self.now -= self.size.pop(key)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        import weakref

        from torch.utils._pytree import tree_flatten

        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if not isinstance(t, torch.Tensor):
                continue
            st = t.untyped_storage()
            key = st.data_ptr()
            if key == 0 or key in self.external:
                continue
            if key not in self.holders:
                self.holders[key], self.size[key] = 0, st.nbytes()
                self.now += st.nbytes()
                self.peak = max(self.peak, self.now)
            self.holders[key] += 1
            weakref.finalize(t, self._drop, key)
        return out


def measured_peak(net: Network) -> int:
    """The peak bytes of live activations in one eval-mode, no-grad forward pass of the built
    module on the CPU, batch 1, the input included (its caller holds it throughout)."""
    model = build(net).eval()
    x = torch.randn(1, *net.input)
    external = {t.untyped_storage().data_ptr() for t in (*model.parameters(), *model.buffers(), x)}
    mode = _LiveBytes(external, base=x.untyped_storage().nbytes())
    with torch.no_grad(), mode:
        model(x)
    return mode.peak


# --- receptive field: the extent of a non-zero input gradient -----------------------------------


def linearised(net: Network) -> Network:
    """``net`` with every activation removed and every max pool made an average pool: the same
    windows, so the same receptive fields, and no gradient lost to a ReLU or an argmax."""
    import dataclasses

    from googlenet.spec import Block, Branch, Conv, Linear, Pool
    from googlenet.layers import BatchNorm

    def layer(x):
        if isinstance(x, (Conv, Linear, BatchNorm)):
            return dataclasses.replace(x, act="none")
        if isinstance(x, Pool) and x.op == "max":
            return dataclasses.replace(x, op="avg")
        return x

    def branch(b: Branch) -> Branch:
        return dataclasses.replace(b, layers=tuple(layer(x) for x in b.layers), split=tuple(branch(s) for s in b.split))

    def item(it):
        if isinstance(it, Block):
            return dataclasses.replace(it, branches=tuple(branch(b) for b in it.branches), act="none", kind=None, widths=())
        return layer(it)

    return dataclasses.replace(
        net,
        stages=tuple(dataclasses.replace(s, items=tuple(item(i) for i in s.items), repeat=None) for s in net.stages),
        head=tuple(layer(x) for x in net.head),
        aux_enabled=False,
    )


class _Capture(torch.overrides.TorchFunctionMode):
    """The results of torch.cat and of additions of two tensors, in order, still in the autograd graph."""

    def __init__(self):
        super().__init__()
        self.seen: list[torch.Tensor] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func in (torch.cat, torch.Tensor.add, torch.add, torch.Tensor.__add__) and (
            func is torch.cat or all(isinstance(a, torch.Tensor) for a in args[:2])
        ):
            self.seen.append(out)
        return out


def positive_model(net: Network):
    """The linearised network with positive weights (about 1/fan-in each, so values stay near 1
    deep down) and BatchNorm as a positive scale: no gradient can cancel or vanish. float32, as
    the built module is: PyTorch's CPU convolutions in float64 take a slow path (seconds for a
    small network), and a positive gradient 1/fan-in per layer stays far above float32's
    smallest number at these depths."""
    model = build(linearised(net)).eval()
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.copy_((torch.rand(m.weight.shape, generator=gen) + 0.5) / fan_in)
            elif isinstance(m, torch.nn.BatchNorm2d):
                m.weight.fill_(1.0), m.bias.zero_(), m.running_mean.zero_(), m.running_var.fill_(1.0)
    return model.requires_grad_(False)  # only the input's gradient is read


def outputs(net: Network, model, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """The tensor every leaf row of ``net``'s analysis computes (batch first), in the graph."""
    a = analyze(linearised(net))
    leaf_out: dict[str, torch.Tensor] = {}
    hooks = [
        mod.register_forward_hook(lambda m, i, o, name=name: leaf_out.__setitem__(name, o))
        for name, mod in model.named_modules()
        if name and not list(mod.children())
    ]
    cap = _Capture()
    with cap:
        model(x)
    for h in hooks:
        h.remove()
    merges = iter(cap.seen)
    got: dict[str, torch.Tensor] = {}
    for r in a.layers:
        if r.module:
            last = [n for n in leaf_out if n == r.module or n.startswith(r.module + ".")]
            got[r.key] = leaf_out[last[-1]]
        elif r.kind == "concat":
            got[r.key] = next(merges)
        else:  # an add: its last addition (a sum of branches first, then the input)
            for _ in range(_adds(r.parent.layer)):
                got[r.key] = next(merges)
    return got


def _extent(mask: torch.Tensor) -> int:
    idx = mask.nonzero()
    return int(idx.max() - idx.min() + 1) if len(idx) else 0


def gradient_fields(net: Network, keys: list[str]) -> dict[str, tuple[int, int]]:
    """For each row, the most input pixels (height, width) that any one of its output elements
    reads: the extent of the non-zero input gradient of that element, cut to the image.

    Separable windows make the field of output (i, j) a rectangle rows(i) × cols(j); so each
    output row i is one batch element b = i of a forward pass (eval mode: batch elements do not
    interact), its gradient read from that row summed over the columns — one backward pass per
    row of the table and axis, not one per output element. With an input large enough, this is
    the whole theoretical field."""
    model = positive_model(net)
    c, h, w = net.input
    with torch.no_grad():
        probe = outputs(net, model, torch.rand(1, c, h, w, dtype=torch.float32))
    sizes = {k: (probe[k].shape[2], probe[k].shape[3]) if probe[k].dim() == 4 else (1, 1) for k in keys}
    fields: dict[str, list[int]] = {k: [] for k in keys}
    for axis in (0, 1):
        n_max = max(s[axis] for s in sizes.values())
        x = torch.rand(n_max, c, h, w, dtype=torch.float32, requires_grad=True)
        ys = outputs(net, model, x)
        for key in keys:
            y, n = ys[key], sizes[key][axis]
            if y.dim() == 4:  # batch element b picks its output row (or column) b: one product
                mask = torch.zeros(y.shape[0], 1, y.shape[2], y.shape[3])
                b = torch.arange(n)
                if axis == 0:
                    mask[b, 0, b, :] = 1.0
                else:
                    mask[b, 0, :, b] = 1.0
                pick = (y * mask).sum()
            else:
                pick = y[0].sum()
            (g,) = torch.autograd.grad(pick, x, retain_graph=True)
            nz = g[:n].abs().sum(1) > 0  # rows × height × width
            fields[key].append(max(_extent(nz[b].any(1 if axis == 0 else 0)) for b in range(n)))
    return {k: (v[0], v[1]) for k, v in fields.items()}


def centre_fields(net: Network, keys: list[str]) -> dict[str, tuple[int, int]]:
    """For each row, the extent (height, width) of the non-zero input gradient of the output
    element in the middle of its map: with an input wide enough that this element's window lies
    inside the image, the whole theoretical receptive field. One batch element, one backward
    pass per row."""
    model = positive_model(net)
    x = torch.rand(1, *net.input, dtype=torch.float32, requires_grad=True)
    ys = outputs(net, model, x)
    out = {}
    for key in keys:
        y = ys[key]
        pick = y[0, :, y.shape[2] // 2, y.shape[3] // 2] if y.dim() == 4 else y[0]
        (g,) = torch.autograd.grad(pick.sum(), x, retain_graph=True)
        nz = g[0].abs().sum(0) > 0
        out[key] = (_extent(nz.any(1)), _extent(nz.any(0)))
    return out
