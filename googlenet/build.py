"""Build the real PyTorch module of a spec, from its analysis tree.

``steps(a)`` walks the analysis tree once and says what to make, in order: each layer as the
``runtime.Builder`` call its layer type names (``Layer.call``), and where blocks, branches and
aux heads open and close. ``build`` performs those calls; ``codegen`` writes the same calls as
Python source. Module paths are the tree's ``module`` (``inception4a.branch2.conv2``, or an
upstream implementation's names under a naming rule, ``naming.py``), so every node of the
analysis can be checked against the module that computes it.

On ``meta`` the layers skip their random initialisation (a meta tensor has no values to set),
and the device goes to each constructor rather than through a ``torch.device`` context,
which intercepts every torch call: together half the time of a live build.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Iterator

import torch
from torch import nn

from .analysis import Analysis, Node, analyze
from .naming import aux_position, conv_flat
from .runtime import Builder, Net
from .spec import Network
from .templates import matches


@dataclass(frozen=True)
class Call:
    """One layer: ``Builder.<method>(path, *args, **kwargs)``."""

    node: Node
    method: str
    args: tuple
    kwargs: dict


@dataclass(frozen=True)
class Open:
    """``with builder.<what>(*args, **kwargs):`` — a block, a branch or an aux head begins."""

    node: Node | None
    what: str  # "block" | "branch" | "aux"
    args: tuple = ()
    kwargs: dict | None = None


@dataclass(frozen=True)
class Close:
    node: Node | None


@dataclass(frozen=True)
class StageMark:
    """A stage (or the head) begins: no call, a comment in the generated code."""

    node: Node


Step = Call | Open | Close | StageMark


def _call(node: Node, net: Network) -> Call:
    if node.key.endswith(".project") and node.kind == "conv" and node.parent is not None and node.parent.kind == "block":
        method, args, kw = node.layer.call(node.in_shape, project=True)
    else:
        method, args, kw = node.layer.call(node.in_shape)
    if conv_flat(net, node.key, node.layer):
        kw = {**kw, "flat": True}
    return Call(node, method, args, kw)


def _branch(node: Node, net: Network) -> Iterator[Step]:
    yield Open(node, "branch", (node.name,))
    subs = [c for c in node.children if c.kind == "branch"]
    for c in node.children:
        if c.is_leaf and c.kind != "concat":
            yield _call(c, net)
    if subs:
        # a split: a block of its own, concatenating the sub-paths, at the end of the branch
        yield Open(None, "block", (f"{node.key}.split",))
        for s in subs:
            yield from _branch(s, net)
        yield Close(None)
    yield Close(node)


def _block(node: Node, net: Network) -> Iterator[Step]:
    block = node.layer
    kw = {}
    if block.merge != "concat":
        kw["merge"] = block.merge
    if block.scale != 1:
        kw["scale"] = block.scale
    if block.act != "none":
        kw["act"] = block.act
    if block.kind is not None and matches(block, net.style):
        kw["kind"] = block.kind
    yield Open(node, "block", (node.name,), kw)
    for c in node.children:
        if c.kind == "branch":
            yield from _branch(c, net)
    for c in node.children:
        if c.is_leaf and c.kind == "conv":  # the projection
            yield _call(c, net)
    yield Close(node)


def _aux(a: Analysis, head: Node) -> Iterator[Step]:
    yield Open(head, "aux", (head.name, _after(a, head.name)))
    for leaf in head.children:
        yield _call(leaf, a.network)
    yield Close(head)


def steps(a: Analysis) -> Iterator[Step]:
    """What to make for ``a``'s network, in the order its forward pass runs, except that aux
    heads are made where the naming rule registers them (``naming.aux_position``): after the
    block they read, before the head, or last."""
    net = a.network
    where = aux_position(net)
    after = {h.name: _after(a, h.name) for h in a.aux}
    for st in a.stages:
        if st.kind == "head" and where == "head":
            for head in a.aux:
                yield from _aux(a, head)
        yield StageMark(st)
        for item in st.children:
            if item.kind == "block":
                yield from _block(item, net)
            else:
                yield _call(item, net)
            if where == "source":
                for head in a.aux:
                    if after[head.name] == item.name:
                        yield from _aux(a, head)
    if where == "end" or (where == "head" and not any(st.kind == "head" for st in a.stages)):
        for head in a.aux:
            yield from _aux(a, head)


def _after(a: Analysis, name: str) -> str:
    return next(h.after for h in a.network.aux if h.name == name)


# --- building -------------------------------------------------------------------------------------


class _NoMetaInit:
    """Skip ``reset_parameters`` on ``meta``: there are no values to initialise."""

    def reset_parameters(self) -> None:
        if self.weight is None or not self.weight.is_meta:
            super().reset_parameters()


def _no_meta_init(cls: type) -> type:
    """``cls`` without its initialisation on meta; named as torch names it, so the printed
    module and torchinfo read the same."""
    return type(cls.__name__, (_NoMetaInit, cls), {"__module__": __name__, "__qualname__": f"_{cls.__name__}"})


FAST = types.SimpleNamespace(
    Conv2d=_no_meta_init(nn.Conv2d), BatchNorm2d=_no_meta_init(nn.BatchNorm2d), Linear=_no_meta_init(nn.Linear)
)


def build(net: Network, device: str | torch.device | None = None, transform_input: bool = False) -> Net:
    """The ``nn.Module`` of ``net`` (validated first). ``device="meta"`` allocates nothing.
    ``transform_input``: as torchvision's (see ``runtime``); off, as its builders leave it
    without weights."""
    a = analyze(net)
    device = torch.device(device) if device is not None else None
    b = Builder(FAST if device is not None and device.type == "meta" else nn, device, transform_input=transform_input)
    open_ = []
    for step in steps(a):
        if isinstance(step, Call):
            getattr(b, step.method)(step.node.module, *step.args, **step.kwargs)
        elif isinstance(step, Open):
            ctx = getattr(b, step.what)(*step.args, **(step.kwargs or {}))
            ctx.__enter__()
            open_.append(ctx)
        elif isinstance(step, Close):
            open_.pop().__exit__(None, None, None)
    return b.net
