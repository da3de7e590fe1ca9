"""Build the real PyTorch ``nn.Module`` from a spec.

Module names are the analysis' qualified names (``inception4a.branch2.conv2``), so every
row of the analysis can be checked against the module that computes it. Channels come from
the analysis (one source of truth); pass ``device="meta"`` to build without allocating
weights.

On ``meta`` the modules skip their random initialisation (a meta tensor has no values to
set), and the device goes to each constructor rather than through a ``torch.device``
context, which intercepts every torch call: together half the time of a live build.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict

import torch
from torch import nn

from . import blocks as _blocks
from .analysis import Analysis, analyze
from .spec import LRN, AdaptiveAvgPool, Block, Branch, Conv, Dropout, Flatten, Linear, Network, Pool


class _NoMetaInit:
    """Skip ``reset_parameters`` on ``meta``: there are no values to initialise."""

    def reset_parameters(self) -> None:
        if self.weight is None or not self.weight.is_meta:
            super().reset_parameters()


def _no_meta_init(cls: type) -> type:
    """``cls`` without its initialisation on meta; named as torch names it, so the printed
    module and torchinfo read the same."""
    return type(cls.__name__, (_NoMetaInit, cls), {"__module__": __name__, "__qualname__": f"_{cls.__name__}"})


_Conv2d = _no_meta_init(nn.Conv2d)
_BatchNorm2d = _no_meta_init(nn.BatchNorm2d)
_Linear = _no_meta_init(nn.Linear)


class ConvBNAct(nn.Module):
    """Conv2d → optional BatchNorm2d → optional ReLU (torchvision's ``BasicConv2d``)."""

    def __init__(self, in_ch: int, layer: Conv, device=None):
        super().__init__()
        self.conv = _Conv2d(in_ch, layer.out, layer.kernel, layer.stride, layer.padding, bias=layer.bias, device=device)
        self.bn = _BatchNorm2d(layer.out, eps=layer.bn_eps, device=device) if layer.bn else None
        self.act = nn.ReLU(inplace=True) if layer.act else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        if self.act is not None:
            x = self.act(x)
        return x


class LinearAct(nn.Sequential):
    """Linear followed by ReLU (the aux heads' hidden layer)."""

    def __init__(self, in_f: int, layer: Linear, device=None):
        super().__init__()
        self.linear = _Linear(in_f, layer.out, bias=layer.bias, device=device)
        self.act = nn.ReLU(inplace=True)


class Concat(nn.Module):
    """Concatenate branch outputs along channels."""

    def forward(self, xs: list[torch.Tensor]) -> torch.Tensor:
        return torch.cat(xs, 1)


class ScaledAdd(nn.Module):
    """The residual merge: ``relu(x + scale · branches)`` (Inception-ResNet)."""

    def __init__(self, scale: float, act: bool):
        super().__init__()
        self.scale = scale
        self.act = nn.ReLU(inplace=True) if act else None

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        out = x + residual * self.scale
        return self.act(out) if self.act is not None else out

    def extra_repr(self) -> str:
        return f"scale={self.scale}"


class BranchModule(nn.Module):
    """Layers in sequence, then optional parallel sub-branches and their concat."""

    def __init__(self, layers: dict[str, nn.Module], split: dict[str, nn.Module]):
        super().__init__()
        for name, mod in layers.items():
            self.add_module(name, mod)
        self._layers = list(layers)
        self._split = list(split)
        for name, mod in split.items():
            self.add_module(name, mod)
        if split:
            self.concat = Concat()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for name in self._layers:
            x = getattr(self, name)(x)
        if self._split:
            x = self.concat([getattr(self, name)(x) for name in self._split])
        return x


class BlockModule(nn.Module):
    """Parallel branches merged by concat, or by a projection and a scaled residual add."""

    def __init__(self, branches: dict[str, nn.Module], project: nn.Module | None, add: ScaledAdd | None):
        super().__init__()
        for name, mod in branches.items():
            self.add_module(name, mod)
        self._branches = list(branches)
        self.concat = Concat()
        self.project = project
        self.add = add

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.concat([getattr(self, name)(x) for name in self._branches])
        if self.add is None:
            return out
        return self.add(x, self.project(out))


class InceptionNet(nn.Module):
    """A whole network: stem layers and blocks in order, the head, and the aux heads.

    In training mode with aux heads on, ``forward`` returns ``(logits, aux1, aux2, …)``, as
    torchvision's GoogLeNet does; otherwise the logits.
    """

    def __init__(self, order: list[str], modules: dict[str, nn.Module], aux: dict[str, list[str]]):
        super().__init__()
        for name, mod in modules.items():
            self.add_module(name, mod)
        self._order = order
        self._aux_after = aux  # block name → aux heads fed by it

    def forward(self, x: torch.Tensor):
        aux_out = []
        for name in self._order:
            x = getattr(self, name)(x)
            if self.training and name in self._aux_after:
                aux_out.extend(getattr(self, head)(x) for head in self._aux_after[name])
        return (x, *aux_out) if aux_out else x


def _layer_module(layer, info_in: tuple[int, ...], device=None) -> nn.Module:
    if isinstance(layer, Conv):
        return ConvBNAct(info_in[0], layer, device)
    if isinstance(layer, Pool):
        if layer.op == "max":
            return nn.MaxPool2d(layer.kernel, layer.stride, layer.padding, ceil_mode=layer.ceil_mode)
        return nn.AvgPool2d(
            layer.kernel, layer.stride, layer.padding, ceil_mode=layer.ceil_mode, count_include_pad=layer.count_include_pad
        )
    if isinstance(layer, LRN):
        return nn.LocalResponseNorm(layer.size, layer.alpha, layer.beta, layer.k)
    if isinstance(layer, Dropout):
        return nn.Dropout(layer.p)
    if isinstance(layer, AdaptiveAvgPool):
        return nn.AdaptiveAvgPool2d(layer.output)
    if isinstance(layer, Flatten):
        return nn.Flatten(1)
    if isinstance(layer, Linear):
        if layer.act:
            return LinearAct(info_in[0], layer, device)
        return _Linear(info_in[0], layer.out, bias=layer.bias, device=device)
    raise TypeError(f"not a layer: {layer!r}")  # pragma: no cover


def _seq(layers, prefix: str, a: Analysis, device=None) -> dict[str, nn.Module]:
    out = {}
    for layer in layers:
        row = a.layer(f"{prefix}{layer.name}")
        out[layer.name] = _layer_module(row.layer, row.in_shape, device)
    return out


def _branch(br: Branch, prefix: str, a: Analysis, device=None) -> BranchModule:
    p = f"{prefix}{br.name}."
    return BranchModule(_seq(br.layers, p, a, device), {s.name: _branch(s, p, a, device) for s in br.split})


def _block(block: Block, net: Network, a: Analysis, device=None) -> BlockModule:
    prefix = f"{block.name}."
    in_ch = a.block(block.name).in_shape[0]
    struct = _blocks.expand(block, net.style, net.width, in_ch)
    branches = {br.name: _branch(br, prefix, a, device) for br in struct.branches}
    if struct.merge == "concat":
        return BlockModule(branches, None, None)
    row = a.layer(f"{prefix}project")
    return BlockModule(branches, _layer_module(row.layer, row.in_shape, device), ScaledAdd(struct.scale, struct.act))


def build(net: Network, device: str | torch.device | None = None) -> InceptionNet:
    """The ``nn.Module`` of ``net`` (validated first). ``device="meta"`` allocates nothing."""
    a = analyze(net)
    device = torch.device(device) if device is not None else None
    modules: dict[str, nn.Module] = {}
    order: list[str] = []
    for stage in net.stages:
        for item in stage.items:
            modules[item.name] = _block(item, net, a, device) if isinstance(item, Block) else _seq((item,), "", a, device)[item.name]
            order.append(item.name)
    for layer in net.head:
        modules.update(_seq((layer,), "", a, device))
        order.append(layer.name)
    aux: dict[str, list[str]] = defaultdict(list)
    if net.aux_enabled:
        for head in net.aux:
            modules[head.name] = nn.Sequential(OrderedDict(_seq(head.layers, f"{head.name}.", a, device)))
            aux[head.after].append(head.name)
    return InceptionNet(order, modules, dict(aux))
