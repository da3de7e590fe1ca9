"""The analysis of a network by arithmetic on its spec: a tree of nodes (network → stages →
blocks → branches → layers), each carrying its numbers. The flat per-layer table is a view of
the tree (``Analysis.layers``), as are the blocks, stages and aux heads.

Counting rule (torchvision's published GFLOPS): MACs are the multiply-accumulates of
convolution and linear layers only; bias adds, BatchNorm, activations, pooling, LRN, concat
and adds are not counted. FLOPs = 2 × MACs, which is what
``torch.utils.flop_counter.FlopCounterMode`` reports. Params are what ``numel`` counts. Bytes
are fp32, batch 1.

Receptive field, per axis: ``rf ← rf + (k_dilated − 1)·jump``, ``jump ← jump·stride``; a merge
covers the union of its branches' fields. ``rf_clipped`` is the largest part of the input
that any one output element of the layer really reads (the field cut at the image's edges):
at most the input size.

Peak activation memory is that of one inference pass of the module ``build`` makes, as its
runtime runs it (``runtime.py``): a tensor lives from the step that makes it until nothing
refers to it; a block holds its input until its branches are merged; activations run in
place; BatchNorm's output exists beside its conv's for a moment; flatten and inference-mode
dropout make no tensor. The tests measure it on real forward passes.

Every node has a ``key``, unique in the network and stable across changes that keep names:
a stage's or top-level item's name (``b3``, ``inception3a``, ``conv1``), then dotted paths
inside a block (``inception3a.branch2``, ``inception3a.branch2.conv1``, ``inception3a.concat``).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import NamedTuple  # noqa: F401  (CacheInfo)

from . import limits as L
from .errors import MESSAGES, InputTooSmall, ShapeMismatch, SpecError
from .layers import (
    BYTES_PER_ELEMENT,
    AdaptiveAvgPool,
    Conv,
    Layer,
    adaptive_bins,
    allocates,
    conv_out,
    nbytes,
    pool_out,
    shape_str,
)
from .naming import module_paths
from .spec import Block, Branch, Network
from .validate import validate

__all__ = ["Analysis", "BYTES_PER_ELEMENT", "Group", "LayerInfo", "Node", "Totals", "analyze", "conv_out",
           "nearest_inputs", "pool_out", "shape_str", "smallest_input"]

Shape = tuple[int, ...]
Pair = tuple[int, int]


@dataclass(frozen=True, eq=False, slots=True)
class Node:
    """One node of the analysis tree: a layer (a leaf, including a block's concat, add and
    projection) or a group of them (a branch, a block, a stage, the head, an aux head, the
    network), with its numbers; a group's params and MACs are its leaves' sums. Analyses are
    cached and shared between sessions, so nodes are frozen (``parent`` is set once, as the
    tree is made)."""

    key: str
    name: str
    kind: str  # group: network, stage, head, aux, block, branch; leaf: conv, maxpool, …, concat, add
    stage: str = ""
    block: str = ""  # the block a leaf or branch belongs to
    branch: str = ""  # the branch path inside the block: "branch3x3" or "branch3x3.split1"
    aux: str = ""  # the aux head a leaf belongs to
    in_shape: Shape = ()
    out_shape: Shape = ()
    params: int = 0
    macs: int = 0
    receptive_field: Pair = (1, 1)
    rf_clipped: Pair = (1, 1)
    jump: Pair = (1, 1)
    kernel: Pair | None = None
    stride: Pair | None = None
    layer: object = None  # a leaf's layer with concrete channels; a block node's Block; a stage's Stage
    module: str = ""  # a leaf's module path in the built network ("" for a merge, which has none)
    children: tuple[Node, ...] = ()
    n_layers: int = 0  # leaves in the subtree
    parent: Node | None = field(default=None, repr=False)
    is_leaf: bool = True

    @property
    def flops(self) -> int:
        return 2 * self.macs

    @property
    def out_elements(self) -> int:
        return math.prod(self.out_shape)

    @property
    def out_bytes(self) -> int:
        return BYTES_PER_ELEMENT * self.out_elements

    @property
    def kernel_text(self) -> str:
        """Kernel and stride, e.g. ``1×7 /1`` or ``3×3 /1×2``; empty for merges and groups."""
        if self.kernel is None:
            return ""
        sh, sw = self.stride
        return f"{self.kernel[0]}×{self.kernel[1]} /{sh if sh == sw else f'{sh}×{sw}'}"

    @property
    def label(self) -> str:
        """What the layer is, e.g. ``conv 1×7 /1``, ``maxpool 3×3 /2``, ``LRN size 5``."""
        if self.is_leaf and self.layer is not None:
            return self.layer.label
        return self.kind

    def walk(self):
        """This node and every node below it, parents first, in execution order."""
        yield self
        for c in self.children:
            yield from c.walk()

    def leaves(self) -> list[Node]:
        return [n for n in self.walk() if n.is_leaf]


# the names the analysis used to give its rows and groups, still read by callers
LayerInfo = Node
Group = Node


@dataclass(frozen=True)
class Totals:
    params: int  # includes aux heads when they are on
    macs: int  # inference path only (aux heads do not run at inference)
    aux_params: int
    aux_macs: int
    weights_bytes: int
    peak_activation_bytes: int
    activation_bytes: int  # sum of every inference layer's output
    depth: int  # conv/linear layers on the longest input → output path
    layers: int
    output_shape: Shape

    @property
    def flops(self) -> int:
        return 2 * self.macs


@dataclass(frozen=True)
class Note:
    """Something worth saying about a valid network, as a code and its values (see ``errors``)."""

    code: str
    values: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str:
        return MESSAGES[self.code].format(**dict(self.values))


@dataclass(frozen=True, eq=False)
class Analysis:
    network: Network
    root: Node
    layers: tuple[Node, ...]  # every leaf, inference order, then the aux heads' (when on)
    blocks: tuple[Node, ...]  # every block, in order
    stages: tuple[Node, ...]  # every stage that has layers, then the head
    aux: tuple[Node, ...]
    totals: Totals
    notes: tuple[Note, ...] = ()

    def _by_key(self) -> dict[str, Node]:
        """Every node by key, made on first use (it holds nothing but this analysis's own nodes)."""
        index = self.__dict__.get("_index")
        if index is None:
            index = {n.key: n for n in self.root.walk() if n is not self.root}
            object.__setattr__(self, "_index", index)
        return index

    def node(self, key: str) -> Node:
        """A node by key: ``inception4a``, ``inception4a.branch2.conv2``; a stage's key is its
        name after a dot (``.b3``, ``.head``), because a stage may share its name with a layer."""
        try:
            return self._by_key()[key]
        except KeyError:
            raise SpecError("node", "node.unknown", value=repr(key)) from None

    def layer(self, name: str) -> Node:
        """A leaf by its key (``inception4a.branch2.conv2``)."""
        n = self._by_key().get(name)
        if n is None or not n.is_leaf:
            raise KeyError(name)
        return n

    def block(self, name: str) -> Node:
        n = self._by_key().get(name)
        if n is None or n.kind != "block":
            raise KeyError(name)
        return n


# --- the walk ---------------------------------------------------------------------------------------


class _Axis:
    """The receptive field on one axis of a tensor with ``n`` positions there.

    ``rf``, ``jump``, ``left``: the theoretical field, as on an input so large that nothing is
    cut: position j reads input pixels [left + j·jump, left + j·jump + rf − 1]. That is exactly
    what the interior positions read. The first and the last positions, whose windows reach into
    padding or past pixels a stride skipped, keep the first and last input pixel they really
    read in ``first`` and ``last`` (the first ``len(first) - tail`` positions, then the last
    ``tail``); a position that reads only padding has first = NONE, last = −NONE. The edges hold
    as many positions as paddings and strides make, not as the input is wide, so tracking them
    costs the same at any input size; when no position is interior, all are explicit (``tail``
    is 0 and ``first`` has ``n`` entries)."""

    __slots__ = ("n", "rf", "jump", "left", "first", "last", "tail")

    def __init__(self, n: int, rf: int, jump: int, left: int, first=(), last=(), tail: int = 0):
        self.n, self.rf, self.jump, self.left = n, rf, jump, left
        self.first, self.last, self.tail = first, last, tail

    @property
    def full(self) -> bool:
        return len(self.first) == self.n

    def at(self, j: int) -> tuple[int, int]:
        """The first and last input pixel position ``j`` reads (NONE, −NONE: only padding)."""
        head = len(self.first) - self.tail
        if j < head:
            return self.first[j], self.last[j]
        k = j - (self.n - self.tail)
        if k >= 0:
            return self.first[head + k], self.last[head + k]
        start = self.left + j * self.jump
        return start, start + self.rf - 1

    def lists(self) -> tuple[list[int], list[int]]:
        """Every position's first and last pixel (only used when the axis is short)."""
        if self.full:
            return list(self.first), list(self.last)
        pairs = [self.at(j) for j in range(self.n)]
        return [f for f, _ in pairs], [g for _, g in pairs]

    def clipped(self) -> int:
        """The most input pixels any one position reads."""
        best = self.rf if not self.full else 0
        if self.first:
            best = max(best, max(map(int.__sub__, self.last, self.first)) + 1)
        return max(best, 0)


NONE = 1 << 60  # the first pixel of a position that reads only padding


class _T:
    """A tensor as the walk sees it: its shape, receptive field per axis and conv/linear depth."""

    __slots__ = ("shape", "h", "w", "depth")

    def __init__(self, shape, h: _Axis, w: _Axis, depth: int):
        self.shape, self.h, self.w, self.depth = shape, h, w, depth


def _input_axis(n: int) -> _Axis:
    return _Axis(n, 1, 1, 0)


def _edges(a: _Axis, reads, n_out: int, first_interior: int, last_interior: int, rf: int, jump: int, left: int) -> _Axis:
    if first_interior > last_interior or first_interior >= n_out or last_interior < 0:
        pairs = [reads(i) for i in range(n_out)]
        return _Axis(n_out, rf, jump, left, tuple(f for f, _ in pairs), tuple(g for _, g in pairs), 0)
    head = [reads(i) for i in range(min(first_interior, n_out))]
    tail = [reads(i) for i in range(max(last_interior + 1, len(head)), n_out)]
    pairs = head + tail
    return _Axis(n_out, rf, jump, left, tuple(f for f, _ in pairs), tuple(g for _, g in pairs), len(tail))


def _window(a: _Axis, k: int, s: int, p: int, d: int, n_out: int) -> _Axis:
    """A conv or pool window (k taps, dilation d, stride s, padding p) over ``a``."""
    rf, jump, left = a.rf + (k - 1) * d * a.jump, a.jump * s, a.left - p * a.jump
    if (k, s, p) == (1, 1, 0):
        return _Axis(n_out, rf, jump, left, a.first, a.last, a.tail)
    n = a.n
    span = (k - 1) * d
    if a.full:  # short: read the taps from the lists (min/max also skip padding-only positions)
        fs, ls = a.first, a.last
        if s == 1 and d == 1 and p <= k - 1 and NONE not in fs and list(fs) == sorted(fs) and list(ls) == sorted(ls):
            # both lists only grow along the axis (a dilated window can break that), so a
            # window's first pixel is its first tap's and its last its last tap's: shifted lists
            head = min(p, n_out)
            body = ls[k - 1 - p : k - 1 - p + n_out]
            return _Axis(n_out, rf, jump, left, (fs[0],) * head + fs[: n_out - head], body + (ls[-1],) * (n_out - len(body)), 0)

        def reads(i: int):
            start = i * s - p
            lo, hi = max(start + max(0, -(start // d)) * d, 0), min(start + span, n - 1)
            return (min(fs[lo : hi + 1 : d]), max(ls[lo : hi + 1 : d])) if lo <= hi else (NONE, -NONE)

        return _edges(a, reads, n_out, n_out, -1, rf, jump, left)
    head = len(a.first) - a.tail

    def reads(i: int):
        # every tap inside the axis: after a dilated window the edges need not grow along the
        # axis, so the first pixel is the least of the taps' (a padding-only tap reads NONE)
        start = i * s - p
        taps = [a.at(q) for q in range(start + max(0, -(start // d)) * d, min(start + span, n - 1) + 1, d)]
        if not taps:
            return NONE, -NONE
        return min(t[0] for t in taps), max(t[1] for t in taps)

    # outputs whose every tap is an interior position of the input are interior themselves
    return _edges(a, reads, n_out, -(-(head + p) // s), (n - a.tail - 1 - span + p) // s, rf, jump, left)


def _bins(a: _Axis, o: int) -> _Axis:
    """Adaptive average pooling to ``o`` positions: each reads its bin of the input."""
    bins = adaptive_bins(a.n, o)
    biggest = max(e - s for s, e in bins)
    pairs = [(min(a.at(j)[0] for j in range(s, e)), max(a.at(j)[1] for j in range(s, e))) for s, e in bins]
    return _Axis(o, a.rf + (biggest - 1) * a.jump, a.jump * max(1, a.n // o), a.left,
                 tuple(f for f, _ in pairs), tuple(g for _, g in pairs), 0)


def _whole(a: _Axis) -> _Axis:
    """Everything at once (a flatten): one position reading all of the axis."""
    if a.full:
        f, g = min(a.first), max(a.last)
    else:  # the interior grows along the axis: its least and greatest are at its two ends
        head = len(a.first) - a.tail
        ends = [a.at(head), a.at(a.n - a.tail - 1)] + [a.at(j) for j in range(head)] + [
            a.at(a.n - 1 - j) for j in range(a.tail)]
        f, g = min(e[0] for e in ends), max(e[1] for e in ends)
    return _Axis(1, a.rf + (a.n - 1) * a.jump, a.jump * a.n, a.left, (f,), (g,), 0)


def _union(axes: list[_Axis]) -> _Axis:
    """Parallel branches merged: each position reads what any branch's position reads."""
    if len(axes) == 1:
        return axes[0]
    left = min(a.left for a in axes)
    rf = max(a.left + a.rf for a in axes) - left
    jump = max(a.jump for a in axes)
    n = axes[0].n
    if all(a.full for a in axes) or len({a.jump for a in axes}) > 1:
        cols = [a.lists() for a in axes]
        first = tuple(map(min, *(c[0] for c in cols)))
        last = tuple(map(max, *(c[1] for c in cols)))
        return _Axis(n, rf, jump, left, first, last, 0)
    head = max(len(a.first) - a.tail for a in axes)
    tail = max(a.tail for a in axes)
    if head + tail >= n:
        cols = [a.lists() for a in axes]
        return _Axis(n, rf, jump, left, tuple(map(min, *(c[0] for c in cols))), tuple(map(max, *(c[1] for c in cols))), 0)
    js = list(range(head)) + list(range(n - tail, n))
    pairs = [[a.at(j) for a in axes] for j in js]
    first = tuple(min(p[0] for p in ps) for ps in pairs)
    last = tuple(max(p[1] for p in ps) for ps in pairs)
    return _Axis(n, rf, jump, left, first, last, tail)


def _check_size(field_: str, name: str, params: int, out: Shape) -> None:
    """Refuse a layer whose weights or output PyTorch could not hold (see ``MAX_ELEMENTS``)."""
    for what, n in (("parameters", params), ("output elements", math.prod(out))):
        if n > L.MAX_ELEMENTS:
            raise SpecError(field_, "layer.too_large", name=name, count=f"{n:,}", what=what, limit=f"{L.MAX_ELEMENTS:,}")


class _Walker:
    """Walks the spec once: shapes and errors always; with ``record``, the nodes with their
    numbers, the receptive fields and the memory model too (the smallest-input search walks
    often, so it only asks for shapes)."""

    def __init__(self, net: Network, record: bool = True):
        self.net = net
        self.record = record
        self.width = Fraction(repr(float(net.width))) if net.width != 1 else 1
        self.size = net.input[1:]
        self.base = 0  # bytes held by enclosing frames (a block's input, finished branches)
        self.peak = 0
        self.stage = self.block = self.aux = ""
        self.module_prefix = ""
        self.paths = module_paths(net) if record else {}  # leaf key → module path, by ``net.naming``

    # nodes
    def node(self, key: str, name: str, kind: str, t_in: _T, t_out: _T, *, branch: str = "", layer=None,
             params: int = 0, macs: int = 0, kernel=None, stride=None, module: str = "", children=(), n_layers=0) -> Node | None:
        if not self.record:
            return None
        clipped = (t_out.h.clipped(), t_out.w.clipped())
        return Node(
            key, name, kind, self.stage, self.block, branch, self.aux, t_in.shape, t_out.shape, params, macs,
            (t_out.h.rf, t_out.w.rf), clipped, (t_out.h.jump, t_out.w.jump), kernel, stride, layer, module,
            tuple(c for c in children if c is not None), n_layers,
        )

    def union(self, axes: list[_Axis]) -> _Axis | None:
        return _union(axes) if self.record else None

    def bump(self, live: int) -> None:
        if live > self.peak:
            self.peak = live

    # one layer
    def layer(self, layer: Layer, x: _T, key: str, module: str, branch: str, field_: str, default_out: int) -> tuple[_T, Node | None, Layer]:
        layer = layer.concrete(self.width, default_out)
        name = key
        out = layer.out_shape(x.shape, field_, name)
        params = layer.params(x.shape)
        macs = layer.macs(x.shape, out)
        _check_size(field_, name, params, out)
        h, w = x.h, x.w
        kernel = stride = None
        win = layer.window() if self.record else None  # the smallest-input search needs shapes only
        if win == "all":
            if len(x.shape) == 3:
                h, w = _whole(h), _whole(w)
        elif win == "adaptive":
            h, w = _bins(h, out[1]), _bins(w, out[2])
            kernel = tuple(max(e - s for s, e in adaptive_bins(n, o)) for n, o in zip(x.shape[1:], out[1:]))
            stride = tuple(max(1, n // o) for n, o in zip(x.shape[1:], out[1:]))
        elif win is not None:
            (kh, sh, ph), (kw, sw, pw) = win
            dh, dw = getattr(layer, "dilation", (1, 1))
            h = _window(h, (kh - 1) // dh + 1, sh, ph, dh, out[1])
            w = _window(w, (kw - 1) // dw + 1, sw, pw, dw, out[2])
            kernel, stride = layer.kernel, layer.stride
        depth = x.depth + (1 if layer.kind in ("conv", "linear") else 0)
        y = _T(out, h, w, depth)
        node = self.node(key, layer.name, layer.kind, x, y, branch=branch, layer=layer, params=params, macs=macs,
                         kernel=kernel, stride=stride, module=self.paths.get(key, module))
        return y, node, layer

    def seq(self, layers, x: _T, prefix: str, module_prefix: str, branch: str, field_: str, owned: bool,
            default_out: int) -> tuple[_T, int, list]:
        """Layers in order. ``owned``: the input is this sequence's to free (else an enclosing
        frame holds it). Returns the output, the bytes this sequence still holds, the nodes."""
        cur = nbytes(x.shape) if owned else 0
        nodes = []
        for layer in layers:
            key = f"{prefix}{layer.name}"
            y, node, concrete = self.layer(layer, x, key, f"{module_prefix}{layer.name}", branch, f"{field_}.{layer.name}", default_out)
            nodes.append(node)
            if allocates(concrete):
                out = nbytes(y.shape)
                if self.record:
                    self.bump(self.base + cur + concrete.transient_bytes(x.shape, y.shape) + out)
                cur = out
            x = y
        return x, cur, nodes

    # blocks
    def branches(self, branches, x: _T, prefix: str, field_: str, outer: str, held: int):
        """Run parallel branches on ``x`` (which an enclosing frame holds). Returns their
        outputs, the bytes each output holds, and their nodes."""
        outs, sizes, nodes = [], [], []
        saved = self.base
        done = 0
        for br in branches:
            path = f"{outer}.{br.name}" if outer else br.name
            self.base = saved + done
            key = f"{prefix}{br.name}"
            t, cur, kids = self.seq(br.layers, x, f"{key}.", f"{self.module_prefix}{path}.", path, f"{field_}.{br.name}",
                                    owned=False, default_out=self.net.classes)
            if br.split:
                self.base = saved + done + cur
                t, cur, sub_nodes, cat = self.split(br, t, f"{key}.", f"{field_}.{br.name}", path)
                kids += sub_nodes + [cat]
            outs.append(t)
            sizes.append(cur)
            done += cur
            if self.record:
                nodes.append(self.group(key, br.name, "branch", x, t, kids, branch=path))
        self.base = saved
        return outs, sizes, nodes

    def split(self, br: Branch, x: _T, prefix: str, field_: str, path: str):
        saved = self.base
        outs, sizes, nodes = self.branches(br.split, x, prefix, field_, path, 0)
        t, nbytes_, cat = self.concat(outs, sizes, x, f"{prefix}concat", field_, path, prefix.rstrip("."))
        self.base = saved
        return t, nbytes_, nodes, cat

    def concat(self, outs: list[_T], sizes: list[int], x: _T, key: str, field_: str, branch: str, where: str):
        self.same_spatial(outs, field_, where, "concatenated", key)
        out = (sum(o.shape[0] for o in outs), *outs[0].shape[1:])
        _check_size(field_, key, 0, out)
        y = _T(out, self.union([o.h for o in outs]), self.union([o.w for o in outs]), max(o.depth for o in outs))
        size = nbytes(out)
        if self.record:
            self.bump(self.base + sum(sizes) + size)
        return y, size, self.node(key, "concat", "concat", x, y, branch=branch)

    @staticmethod
    def same_spatial(outs: list[_T], field_: str, where: str, verb: str, key: str) -> None:
        if any(len(o.shape) != 3 for o in outs):
            raise SpecError(field_, "layer.needs_map", name=where, features=", ".join(shape_str(o.shape) for o in outs))
        if len({o.shape[1:] for o in outs}) != 1:
            raise ShapeMismatch(field_, "block.merge_spatial", layer=key, block=where,
                                sizes=", ".join(shape_str(o.shape[1:]) for o in outs), verb=verb)

    def block_(self, block: Block, x: _T, field_: str, owned: bool) -> tuple[_T, int, Node | None]:
        if len(x.shape) != 3:
            raise SpecError(field_, "layer.needs_map", name=block.name, features=f"{x.shape[0]:,}")
        prefix = f"{block.name}."
        xbytes = nbytes(x.shape)
        saved = self.base
        self.base = saved + (xbytes if owned else 0)  # the block's input lives until the merge
        block_base = self.base
        self.module_prefix = prefix
        outs, sizes, kids = self.branches(block.branches, x, prefix, field_, "", 0)
        self.module_prefix = ""
        ident = [i for i, br in enumerate(block.branches) if br.identity]
        if block.merge == "concat":
            t, size, cat = self.concat(outs, sizes, x, f"{prefix}concat", field_, "", block.name)
            kids.append(cat)  # an activation after it runs in place
        else:
            t, size, more = self.add(block, x, outs, sizes, ident, field_, block_base)
            kids += more
        self.base = saved
        node = self.group(block.name, block.name, "block", x, t, kids, layer=block) if self.record else None
        return t, size, node

    def add(self, block: Block, x: _T, outs: list[_T], sizes: list[int], ident: list[int], field_: str, base: int):
        """The residual merge, as the runtime does it: ``act(x + scale · R)``."""
        prefix = f"{block.name}."
        rest = [(o, s) for i, (o, s) in enumerate(zip(outs, sizes)) if i not in ident]
        nodes = []
        terms = [o for i, o in enumerate(outs) if i in ident]
        fresh = True
        if block.project is not None:
            if len(rest) > 1:
                r, rsize, cat = self.concat([o for o, _ in rest], [s for _, s in rest], x, f"{prefix}concat", field_, "", block.name)
                nodes.append(cat)
            else:
                (r, rsize), = rest
            self.base = base + rsize
            proj = block.project
            r2, node, concrete = self.layer(proj, r, f"{prefix}project", f"{prefix}project", "", f"{field_}.project", x.shape[0])
            nodes.append(node)
            psize = nbytes(r2.shape)
            if self.record:
                self.bump(base + rsize + concrete.transient_bytes(r.shape, r2.shape) + psize)
            r, rsize = r2, psize
            self.base = base
        elif len(rest) > 1:
            self.same_shape([o for o, _ in rest], field_, block.name, f"{prefix}add")
            rsize = nbytes(rest[0][0].shape)
            if self.record:
                self.bump(base + sum(s for _, s in rest) + rsize)
            r = _T(rest[0][0].shape, self.union([o.h for o, _ in rest]), self.union([o.w for o, _ in rest]), max(o.depth for o, _ in rest))
        else:
            (r, rsize), = rest
            fresh = False
        every = [r] + terms
        self.same_shape(every, field_, block.name, f"{prefix}add")
        ysize = nbytes(r.shape)
        if terms or block.scale != 1:
            if self.record:
                self.bump(base + rsize + ysize)
            fresh = True
        elif not fresh and block.act != "none":
            if self.record:
                self.bump(base + rsize + ysize)
        else:
            ysize = rsize
        y = _T(r.shape, self.union([t.h for t in every]), self.union([t.w for t in every]), max(t.depth for t in every))
        nodes.append(self.node(f"{prefix}add", "add", "add", x, y))
        return y, ysize, nodes

    @staticmethod
    def same_shape(terms: list[_T], field_: str, where: str, key: str) -> None:
        shapes = {t.shape for t in terms}
        if len(shapes) == 1:
            return
        spatial = {t.shape[1:] for t in terms}
        code_args = dict(block=where, shapes=", ".join(shape_str(t.shape) for t in terms))
        if len(spatial) > 1:  # sizes that differ may agree at another input size
            raise ShapeMismatch(field_, "block.add_shapes", layer=key, **code_args)
        raise SpecError(field_, "block.add_shapes", **code_args)

    def group(self, key: str, name: str, kind: str, x: _T, y: _T, kids: list, branch: str = "", layer=None) -> Node:
        kids = [k for k in kids if k is not None]
        return Node(
            key, name, kind, self.stage, self.block if kind != "block" else name, branch, self.aux, x.shape, y.shape,
            sum(k.params for k in kids), sum(k.macs for k in kids), (y.h.rf, y.w.rf),
            kids[-1].rf_clipped if kids else (1, 1), (y.h.jump, y.w.jump), layer=layer, children=tuple(kids),
            n_layers=sum(k.n_layers if not k.is_leaf else 1 for k in kids), is_leaf=False,
        )


def _walk(net: Network, record: bool = True):
    w = _Walker(net, record)
    x = _T(tuple(net.input), _input_axis(net.input[1]), _input_axis(net.input[2]), 0)
    w.peak = w.base = nbytes(x.shape)  # the caller holds the input for the whole pass
    stage_nodes: list[Node] = []
    block_out: dict[str, _T] = {}
    cur_owned = False  # the first item reads the caller's input; every later one, the tensor before it
    for stage in net.stages:
        w.stage = stage.name
        kids = []
        x_in = x
        for item in stage.items:
            field_ = f"{stage.name}.{item.name}"
            if isinstance(item, Block):
                w.block = item.name
                x, held, node = w.block_(item, x, field_, owned=cur_owned)
                block_out[item.name] = x
                w.block = ""
            else:
                x, held, nodes = w.seq((item,), x, "", "", "", stage.name, owned=cur_owned, default_out=net.classes)
                node = nodes[0]
            kids.append(node)
            # a flatten or dropout of the caller's input is still the caller's tensor
            cur_owned = cur_owned or held > 0
        if record:
            stage_nodes.append(w.group(f".{stage.name}", stage.name, "stage", x_in, x, kids, layer=stage))
    w.stage = "head"
    x_in = x
    x, _, head_nodes = w.seq(net.head, x, "", "", "", "head", owned=cur_owned, default_out=net.classes)
    if record and net.head:
        stage_nodes.append(w.group(".head", "head", "head", x_in, x, head_nodes))
    final = x
    aux_nodes = []
    if net.aux_enabled:
        saved_peak = w.peak
        for head in net.aux:
            src = block_out[head.after]
            w.aux = w.stage = head.name
            y, _, nodes = w.seq(head.layers, _T(src.shape, src.h, src.w, 0), f"{head.name}.", f"{head.name}.", "",
                                f"aux.{head.name}", owned=False, default_out=net.classes)
            if record:
                aux_nodes.append(w.group(head.name, head.name, "aux", src, y, nodes))
            w.aux = ""
        w.peak = saved_peak  # aux heads do not run at inference
    return w, stage_nodes, aux_nodes, final


def _analyze(net: Network) -> Analysis:
    w, stage_nodes, aux_nodes, final = _walk(net)
    root = Node(net.name, net.name, "network", in_shape=tuple(net.input), out_shape=final.shape,
                children=tuple(stage_nodes + aux_nodes), layer=net, is_leaf=False)
    for n in root.walk():
        for c in n.children:
            object.__setattr__(c, "parent", n)
    main = [n for st in stage_nodes for n in st.walk() if n.is_leaf]
    aux = [n for h in aux_nodes for n in h.walk() if n.is_leaf]
    blocks = [n for st in stage_nodes for n in st.walk() if n.kind == "block"]
    params_main = sum(r.params for r in main)
    aux_params = sum(r.params for r in aux)
    totals = Totals(
        params=params_main + aux_params,
        macs=sum(r.macs for r in main),
        aux_params=aux_params,
        aux_macs=sum(r.macs for r in aux),
        weights_bytes=BYTES_PER_ELEMENT * (params_main + aux_params),
        peak_activation_bytes=w.peak,
        activation_bytes=sum(r.out_bytes for r in main),
        depth=final.depth,
        layers=len(main),
        output_shape=final.shape,
    )
    for key, value in (("params", totals.params), ("macs", totals.macs), ("n_layers", len(main) + len(aux))):
        object.__setattr__(root, key, value)
    notes = []
    if len(final.shape) != 1:
        notes.append(Note("note.feature_map", (("shape", shape_str(final.shape)),)))
    return Analysis(net, root, tuple(main + aux), tuple(blocks), tuple(stage_nodes), tuple(aux_nodes), totals, tuple(notes))


# --- input sizes that work ----------------------------------------------------------------------------


def _fits(net: Network, h: int, w: int) -> bool:
    try:
        _walk(replace(net, input=(net.input[0], h, w)), record=False)
    except SpecError:  # too small (InputTooSmall), branches that disagree, a size limit
        return False
    return True


def smallest_input(net: Network) -> tuple[int, int] | None:
    """The smallest height and width (each searched with the other one large) that work;
    None when no input up to the limit works."""
    # large is 4096 (or the input) first, then the input limit: a minimum above 4096 exists
    # (three 64×64 convs after a /64 one need 8,128), but so do networks whose tensors pass
    # their size limit only at the largest inputs
    for big_h, big_w in ((max(net.input[1], 4096), max(net.input[2], 4096)), (L.MAX_INPUT_SIZE, L.MAX_INPUT_SIZE)):
        if _fits(net, big_h, big_w):
            break
    else:
        return None

    def search(ok, big: int) -> int:
        # gallop up from 64, then bisect: most minimums are small, and a walk below the minimum
        # stops at the layer that fails, so the cheap walks come first; ok(big) holds
        lo, hi = 1, 64
        while not ok(hi):
            lo, hi = hi + 1, min(hi * 2, big)
        while lo < hi:
            mid = (lo + hi) // 2
            if ok(mid):
                hi = mid
            else:
                lo = mid + 1
        return lo

    min_h = search(lambda h: _fits(net, h, big_w), big_h)
    min_w = search(lambda w: _fits(net, big_h, w), big_w)
    return min_h, min_w


def nearest_inputs(net: Network, reach: int = 256) -> tuple[tuple[int, int], ...]:
    """The working input sizes nearest to ``net.input`` below and above it, moving height and
    width together (stride-2 blocks whose branches pad differently only agree on some sizes)."""
    _, h, w = net.input
    # each try may walk the whole network: about 20,000 items walked in all, so a mismatch at
    # the end of the largest network the limits allow costs a few analyses, not 512 of them
    items = 1 + len(net.head) + sum(len(st.items) for st in net.stages)
    reach = min(reach, max(4, 20_000 // (2 * items)))
    below = above = None
    for d in range(1, reach + 1):
        if below is None and min(h, w) - d >= 1 and _fits(net, h - d, w - d):
            below = (h - d, w - d)
        if above is None and max(h, w) + d <= L.MAX_INPUT_SIZE and _fits(net, h + d, w + d):
            above = (h + d, w + d)
        if below and above:
            break
    return tuple(x for x in (below, above) if x)


# --- the cache ------------------------------------------------------------------------------------------


class CacheInfo(NamedTuple):
    hits: int
    misses: int
    maxsize: int
    currsize: int
    rows: int  # layer rows held by the cached analyses
    max_rows: int


class _Cache:
    """Analyses by spec, least recently used dropped first, bounded by count and by their
    layer rows together (about 1.5 kB each with the groups above them): 256 analyses of the
    largest networks the limits allow, 29,000 rows each, would otherwise hold some 10 GB of a
    shared server."""

    def __init__(self, maxsize: int, max_rows: int):
        self.maxsize, self.max_rows = maxsize, max_rows
        self._data: OrderedDict[Network, Analysis] = OrderedDict()
        self._lock = threading.Lock()  # the app analyses from one thread per session
        self.rows = self.hits = self.misses = 0

    def get(self, net: Network) -> Analysis | None:
        with self._lock:
            a = self._data.get(net)
            if a is None:
                self.misses += 1
            else:
                self.hits += 1
                self._data.move_to_end(net)
            return a

    def put(self, net: Network, a: Analysis) -> None:
        with self._lock:
            if net in self._data or a.root.n_layers > self.max_rows:
                return
            self._data[net] = a
            self.rows += a.root.n_layers
            while len(self._data) > self.maxsize or self.rows > self.max_rows:
                _, old = self._data.popitem(last=False)
                self.rows -= old.root.n_layers

    def info(self) -> CacheInfo:
        with self._lock:
            return CacheInfo(self.hits, self.misses, self.maxsize, len(self._data), self.rows, self.max_rows)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.rows = self.hits = self.misses = 0


_CACHE = _Cache(maxsize=256, max_rows=100_000)


def analyze(net: Network) -> Analysis:
    """Validate ``net`` and analyse every layer. Cached by the (immutable) spec; see ``_Cache``
    for the bounds (``analyze.cache_info()``, ``analyze.cache_clear()`` as with ``lru_cache``)."""
    a = _CACHE.get(net)
    if a is None:
        a = _analyze_validated(net)
        _CACHE.put(net, a)
    return a


def _analyze_validated(net: Network) -> Analysis:
    validate(net)
    try:
        return _analyze(net)
    except InputTooSmall as err:
        least = smallest_input(net)
        c, h, w = net.input
        hint = SpecError("input", "hint.none") if least is None else SpecError("input", "hint.smallest", size=f"{least[0]}×{least[1]}")
        raised = InputTooSmall("input", "input.too_small", layer=err.layer, min_size=least, input=f"{c}×{h}×{w}",
                               detail=err.detail, hint=hint.detail)
        raised.cause, raised.hint = err, hint
        raise raised from None
    except ShapeMismatch as err:
        near = nearest_inputs(net)
        c, h, w = net.input
        if near:
            hint = SpecError("input", "hint.nearby", sizes=", ".join(f"{c}×{a}×{b}" for a, b in near))
        else:
            hint = SpecError("input", "hint.nothing_near")
        raised = ShapeMismatch("input", "input.mismatch", layer=err.layer, suggestions=near, input=f"{c}×{h}×{w}",
                               detail=err.detail, hint=hint.detail)
        raised.cause, raised.hint = err, hint
        raise raised from None


# the functions lru_cache would have put there
analyze.cache_info = _CACHE.info  # type: ignore[attr-defined]
analyze.cache_clear = _CACHE.clear  # type: ignore[attr-defined]
analyze.__wrapped__ = _analyze_validated  # type: ignore[attr-defined]  (uncached)
