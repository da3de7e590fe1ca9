"""Per-layer analysis by arithmetic on the spec: shapes, params, MACs, memory, receptive field.

Counting rule (the convention of torchvision's published GFLOPS and of fvcore): MACs are the
multiply-accumulates of convolution and linear layers only; bias adds, BatchNorm,
activations, pooling, LRN and concat are not counted. FLOPs = 2 × MACs, which is what
``torch.utils.flop_counter.FlopCounterMode`` reports. Params are what ``numel`` counts
(BatchNorm's weight and bias are params; its running statistics are buffers). Bytes are
fp32, batch 1.

Peak activation memory is a model of one eager inference pass: tensors live from the layer
that makes them to the last layer that reads them; a block keeps its input alive until its
branches are merged; ReLU is in place; BatchNorm's output replaces its conv's; flatten and
inference-mode dropout allocate nothing.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import NamedTuple

from . import blocks as _blocks
from . import limits as L
from .spec import (
    AdaptiveAvgPool,
    Block,
    Branch,
    Conv,
    Dropout,
    Flatten,
    InputTooSmall,
    Layer,
    Linear,
    LRN,
    Network,
    Pool,
    ShapeMismatch,
    SpecError,
    scaled,
)
from .validate import validate

BYTES_PER_ELEMENT = 4  # fp32

Shape = tuple[int, ...]


def shape_str(shape: Shape) -> str:
    """``(64, 24, 24)`` → ``64×24×24``."""
    return "×".join(str(s) for s in shape)


@dataclass(frozen=True)
class LayerInfo:
    name: str  # qualified: "inception4a.branch2.conv2"
    kind: str  # conv, maxpool, avgpool, lrn, dropout, adaptive_avg_pool, flatten, linear, concat, add
    stage: str
    block: str  # "" for layers outside blocks
    branch: str  # "" outside branches; "branch3x3.split1" inside a split
    kernel: tuple[int, int] | None
    stride: tuple[int, int] | None
    in_shape: Shape
    out_shape: Shape
    params: int
    macs: int
    receptive_field: tuple[int, int]
    jump: tuple[int, int]
    aux: str = ""  # the aux head this row belongs to
    layer: Layer | None = None  # the resolved layer (concrete channels)

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
        """Kernel and stride, e.g. ``1×7 /1`` or ``3×3 /1×2``; empty for concat and add."""
        if self.kernel is None:
            return ""
        sh, sw = self.stride
        return f"{self.kernel[0]}×{self.kernel[1]} /{sh if sh == sw else f'{sh}×{sw}'}"

    @property
    def label(self) -> str:
        """What the layer is, e.g. ``conv 1×7 /1`` or ``maxpool 3×3 /2``."""
        return f"{self.kind} {self.kernel_text}" if self.kernel is not None else self.kind


@dataclass(frozen=True)
class Group:
    """Sums over a block, a stage or an aux head."""

    name: str
    kind: str
    stage: str
    in_shape: Shape
    out_shape: Shape
    params: int
    macs: int
    layers: int

    @property
    def flops(self) -> int:
        return 2 * self.macs


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
class Analysis:
    network: Network
    layers: tuple[LayerInfo, ...]
    blocks: tuple[Group, ...]  # every block, in order
    stages: tuple[Group, ...]
    aux: tuple[Group, ...]
    totals: Totals

    def layer(self, name: str) -> LayerInfo:
        return self._by_name()[name]

    def _by_name(self) -> dict[str, LayerInfo]:
        cached = self.__dict__.get("_index")
        if cached is None:
            cached = {row.name: row for row in self.layers}
            object.__setattr__(self, "_index", cached)
        return cached

    def block(self, name: str) -> Group:
        for g in self.blocks:
            if g.name == name:
                return g
        raise KeyError(name)


# --- per-axis arithmetic --------------------------------------------------------------------


def conv_out(size: int, k: int, s: int, p: int) -> int:
    return (size + 2 * p - k) // s + 1


def pool_out(size: int, k: int, s: int, p: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output size, including its ceil-mode rule: the last window must
    start inside the input or its left padding."""
    if ceil_mode:
        out = -(-(size + 2 * p - k) // s) + 1
        if (out - 1) * s >= size + p:
            out -= 1
        return out
    return (size + 2 * p - k) // s + 1


# --- the walk -------------------------------------------------------------------------------


class _State:
    __slots__ = ("shape", "rf", "jump", "depth")

    def __init__(self, shape, rf, jump, depth):
        self.shape = shape
        self.rf = rf
        self.jump = jump
        self.depth = depth


def _check_size(field: str, name: str, params: int, out: Shape) -> None:
    """Refuse a layer whose weights or output PyTorch could not hold (see ``MAX_ELEMENTS``)."""
    for what, n in (("parameters", params), ("output elements", math.prod(out))):
        if n > L.MAX_ELEMENTS:
            raise SpecError(field, f"{name} would have {n:,} {what}; the limit is {L.MAX_ELEMENTS:,} (2⁴⁸) per layer")


def _nbytes(shape: Shape) -> int:
    return BYTES_PER_ELEMENT * math.prod(shape)


class _Walker:
    def __init__(self, net: Network, record: bool = True, expanded: dict | None = None):
        self.net = net
        self.record = record  # False: shapes only, no rows (the smallest-input search walks often)
        self.expanded = {} if expanded is None else expanded  # (block id, in channels) → Structure
        self.rows: list[LayerInfo] = []
        self.base = 0  # bytes held by enclosing contexts
        self.peak = 0
        self.stage = ""
        self.block = ""
        self.aux = ""

    def record_row(self, name: str, kind: str, branch: str, in_shape: Shape, out: _State, kernel=None, stride=None,
                   params: int = 0, macs: int = 0, layer: Layer | None = None) -> None:
        if self.record:
            self.rows.append(
                LayerInfo(name, kind, self.stage, self.block, branch, kernel, stride, in_shape, out.shape,
                          params, macs, out.rf, out.jump, self.aux, layer)
            )

    # one layer
    def layer(self, layer: Layer, st: _State, prefix: str, branch: str, field: str, scale: bool) -> _State:
        """One layer; ``scale``: apply the width multiplier (stem and aux convs; block convs
        were scaled when their block was expanded)."""
        net = self.net
        name = f"{prefix}{layer.name}"
        shape = st.shape
        kernel = stride = None
        params = macs = 0
        rf, jump, depth = st.rf, st.jump, st.depth
        if isinstance(layer, (Conv, Pool)):
            if len(shape) != 3:
                raise SpecError(field, f"{name} needs a C×H×W input, got a flat vector of {shape[0]}")
            c, h, w = shape
            (kh, kw), (sh, sw), (ph, pw) = layer.kernel, layer.stride, layer.padding
            kernel, stride = (kh, kw), (sh, sw)
            if isinstance(layer, Conv):
                out_c = scaled(layer.out, net.width) if scale else layer.out
                if self.record:
                    layer = replace(layer, out=out_c)
                oh, ow = conv_out(h, kh, sh, ph), conv_out(w, kw, sw, pw)
                kind = "conv"
            else:
                if 2 * ph > kh or 2 * pw > kw:
                    raise SpecError(
                        f"{field}.padding",
                        f"{name}: padding {ph}×{pw} must be at most half the kernel {kh}×{kw} (PyTorch's rule for pools)",
                    )
                out_c = c
                oh = pool_out(h, kh, sh, ph, layer.ceil_mode)
                ow = pool_out(w, kw, sw, pw, layer.ceil_mode)
                kind = f"{layer.op}pool"
            if oh < 1 or ow < 1:
                raise InputTooSmall(
                    field,
                    f"{name} ({kind} {kh}×{kw} /{sh}) would produce {max(oh, 0)}×{max(ow, 0)} from a {h}×{w} input",
                    layer=name,
                )
            out = (out_c, oh, ow)
            if isinstance(layer, Conv):
                params = out_c * c * kh * kw + (out_c if layer.bias else 0) + (2 * out_c if layer.bn else 0)
                macs = out_c * oh * ow * c * kh * kw
                depth += 1
            rf = (rf[0] + (kh - 1) * jump[0], rf[1] + (kw - 1) * jump[1])
            jump = (jump[0] * sh, jump[1] * sw)
        elif isinstance(layer, AdaptiveAvgPool):
            if len(shape) != 3:
                raise SpecError(field, f"{name} needs a C×H×W input")
            c, h, w = shape
            oh, ow = layer.output
            out = (c, oh, ow)
            kind = "adaptive_avg_pool"
            kh, kw = -(-h // oh), -(-w // ow)
            kernel, stride = (kh, kw), (max(1, h // oh), max(1, w // ow))
            rf = (rf[0] + (kh - 1) * jump[0], rf[1] + (kw - 1) * jump[1])
            jump = (jump[0] * stride[0], jump[1] * stride[1])
        elif isinstance(layer, LRN):
            if len(shape) != 3:  # PyTorch's LocalResponseNorm needs a spatial input
                raise SpecError(field, f"{name} needs a C×H×W input, got a flat vector of {shape[0]}")
            out, kind = shape, "lrn"
        elif isinstance(layer, Dropout):
            out, kind = shape, "dropout"
        elif isinstance(layer, Flatten):
            out, kind = (math.prod(shape),), "flatten"
            if len(shape) == 3:
                rf = (rf[0] + (shape[1] - 1) * jump[0], rf[1] + (shape[2] - 1) * jump[1])
        elif isinstance(layer, Linear):
            if len(shape) != 1:
                raise SpecError(
                    field, f"{name} needs a flat input; add a flatten before it (got {shape_str(shape)})"
                )
            out_f = net.classes if layer.out is None else layer.out
            if self.record:
                layer = replace(layer, out=out_f)
            out, kind = (out_f,), "linear"
            params = shape[0] * out_f + (out_f if layer.bias else 0)
            macs = shape[0] * out_f
            depth += 1
        else:  # pragma: no cover - validate() refuses unknown layers first
            raise SpecError(field, f"unknown layer {layer!r}")
        _check_size(field, name, params, out)
        st = _State(out, rf, jump, depth)
        self.record_row(name, kind, branch, shape, st, kernel, stride, params, macs, layer)
        return st

    def seq(self, layers, st: _State, prefix: str, branch: str, field: str, in_held: bool, scale: bool = False) -> tuple[_State, int]:
        """Run layers in order; returns the state and the bytes of the live output tensor."""
        cur = 0 if in_held else _nbytes(st.shape)
        for layer in layers:
            st = self.layer(layer, st, prefix, branch, f"{field}.{layer.name}", scale)
            if isinstance(layer, (Flatten, Dropout)):
                continue  # a view / identity at inference: no new tensor
            out = _nbytes(st.shape)
            self.peak = max(self.peak, self.base + cur + out)
            cur = out
        return st, cur

    def parallel(self, branches: tuple[Branch, ...], x: _State, prefix: str, field: str, outer: str) -> tuple[_State, int]:
        """Branches reading x (already held in self.base) and their concat."""
        outs: list[_State] = []
        held = 0
        saved = self.base
        for br in branches:
            bname = f"{outer}.{br.name}" if outer else br.name
            self.base = saved + held
            st, nbytes = self.seq(br.layers, x, f"{prefix}{br.name}.", bname, f"{field}.{br.name}", in_held=True)
            if br.split:
                self.base = saved + held + nbytes
                st, nbytes = self.parallel(br.split, st, f"{prefix}{br.name}.", f"{field}.{br.name}", bname)
            outs.append(st)
            held += nbytes
        self.base = saved
        return self.concat(outs, x, prefix, field, outer, held)

    def concat(self, outs: list[_State], x: _State, prefix: str, field: str, outer: str, held: int) -> tuple[_State, int]:
        if len(x.shape) != 3:
            raise SpecError(field, f"{prefix.rstrip('.')} needs a C×H×W input")
        sizes = {o.shape[1:] for o in outs}
        if len(sizes) != 1:
            desc = ", ".join(shape_str(o.shape[1:]) for o in outs)
            raise ShapeMismatch(
                field,
                f"{prefix.rstrip('.')}: branches produce different spatial sizes ({desc}); they cannot be concatenated",
                layer=f"{prefix}concat",
            )
        (hw,) = sizes
        out = (sum(o.shape[0] for o in outs), *hw)
        _check_size(field, f"{prefix}concat", 0, out)
        rf = (max(o.rf[0] for o in outs), max(o.rf[1] for o in outs))
        jump = (max(o.jump[0] for o in outs), max(o.jump[1] for o in outs))
        depth = max(o.depth for o in outs)
        nbytes = _nbytes(out)
        self.peak = max(self.peak, self.base + held + nbytes)
        st = _State(out, rf, jump, depth)
        self.record_row(f"{prefix}concat", "concat", outer, x.shape, st)
        return st, nbytes

    def block_(self, block: Block, x: _State, field: str) -> tuple[_State, int]:
        if len(x.shape) != 3:
            raise SpecError(field, f"{block.name} needs a C×H×W input")
        key = (id(block), x.shape[0])
        struct = self.expanded.get(key)
        if struct is None:
            struct = self.expanded[key] = _blocks.expand(block, self.net.style, self.net.width, x.shape[0])
        prefix = f"{block.name}."
        xbytes = _nbytes(x.shape)
        saved = self.base
        self.base = saved + xbytes  # the block input lives until the merge
        cat, cat_bytes = self.parallel(struct.branches, x, prefix, field, "")
        if struct.merge == "concat":
            self.base = saved
            return cat, cat_bytes
        # residual: project (1×1 back to the input width), scale, add, ReLU
        self.base = saved + xbytes
        proj = replace(struct.project, out=x.shape[0], name="project")
        st = self.layer(proj, cat, prefix, "", f"{field}.project", scale=False)
        pbytes = _nbytes(st.shape)
        self.peak = max(self.peak, self.base + cat_bytes + pbytes)
        if st.shape != x.shape:
            raise SpecError(
                field,
                f"{block.name}: the residual add needs the branches' projection ({shape_str(st.shape)}) "
                f"to match the block input ({shape_str(x.shape)})",
            )
        self.peak = max(self.peak, self.base + pbytes + xbytes)
        out = _State(x.shape, (max(st.rf[0], x.rf[0]), max(st.rf[1], x.rf[1])), st.jump, max(st.depth, x.depth))
        self.record_row(f"{prefix}add", "add", "", x.shape, out)
        self.base = saved
        return out, xbytes


def _walk(net: Network, record: bool = True, expanded: dict | None = None) -> tuple[list[LayerInfo], dict[str, tuple], int, int, _State]:
    w = _Walker(net, record, expanded)
    st = _State(tuple(net.input), (1, 1), (1, 1), 0)
    cur = _nbytes(st.shape)
    w.peak = cur
    block_io: dict[str, tuple] = {}
    outputs: dict[str, _State] = {}
    for stage in net.stages:
        w.stage = stage.name
        for item in stage.items:
            field = f"{stage.name}.{item.name}"
            if isinstance(item, Block):
                w.block = item.name
                start = len(w.rows)
                x = st
                st, cur = w.block_(item, st, field)
                block_io[item.name] = (x.shape, st.shape, start, len(w.rows))
                outputs[item.name] = st
                w.block = ""
            else:
                st, cur = w.seq((item,), st, "", "", stage.name, in_held=False, scale=True)
    w.stage = "head"
    st, cur = w.seq(net.head, st, "", "", "head", in_held=False, scale=True)
    final = st
    if net.aux_enabled:
        for head in net.aux:
            if head.after not in outputs:
                raise SpecError(f"aux.{head.name}.after", f"no block named {head.after!r}")
            w.aux, w.stage = head.name, head.name
            src = outputs[head.after]
            start = len(w.rows)
            saved_peak = w.peak
            w.seq(head.layers, _State(src.shape, src.rf, src.jump, 0), f"{head.name}.", "", f"aux.{head.name}", in_held=True, scale=True)
            w.peak = saved_peak  # aux heads do not run at inference
            block_io[head.name] = (src.shape, w.rows[-1].out_shape if len(w.rows) > start else src.shape, start, len(w.rows))
            w.aux = ""
    return w.rows, block_io, w.peak, final.depth, final


def _analyze(net: Network) -> Analysis:
    rows, block_io, peak, depth, final = _walk(net)
    main = [r for r in rows if not r.aux]
    aux = [r for r in rows if r.aux]

    def group(name: str, kind: str, stage: str, sub: list[LayerInfo], io: tuple | None = None) -> Group:
        i, o = io[:2] if io else (sub[0].in_shape, sub[-1].out_shape)
        return Group(name, kind, stage, i, o, sum(r.params for r in sub), sum(r.macs for r in sub), len(sub))

    def span(name: str) -> list[LayerInfo]:
        return rows[block_io[name][2] : block_io[name][3]]

    blocks = [
        group(it.name, it.kind, st.name, span(it.name), block_io[it.name])
        for st in net.stages
        for it in st.items
        if isinstance(it, Block)
    ]
    stages = []
    for name, kind in [(st.name, "stage") for st in net.stages] + [("head", "head")]:
        sub = [r for r in main if r.stage == name]
        if sub:
            stages.append(group(name, kind, name, sub))
    aux_groups = [group(h.name, "aux", h.name, span(h.name), block_io[h.name]) for h in (net.aux if net.aux_enabled else ())]
    params_main = sum(r.params for r in main)
    aux_params = sum(r.params for r in aux)
    params = params_main + aux_params
    totals = Totals(
        params=params,
        macs=sum(r.macs for r in main),
        aux_params=aux_params,
        aux_macs=sum(r.macs for r in aux),
        weights_bytes=BYTES_PER_ELEMENT * params,
        peak_activation_bytes=peak,
        activation_bytes=sum(r.out_bytes for r in main),
        depth=depth,
        layers=len(main),
        output_shape=final.shape,
    )
    return Analysis(net, tuple(rows), tuple(blocks), tuple(stages), tuple(aux_groups), totals)


def _fits(net: Network, h: int, w: int, expanded: dict | None = None) -> bool:
    try:
        _walk(replace(net, input=(net.input[0], h, w)), record=False, expanded=expanded)
    except SpecError:  # too small (InputTooSmall), branches that disagree, a size limit
        return False
    return True


def smallest_input(net: Network) -> tuple[int, int] | None:
    """The smallest height and width (each searched with the other one large) that work;
    None when no input up to the limit works."""
    expanded: dict = {}  # the blocks' branches, expanded once for every walk of the search
    # large is 4096 (or the input) first, then the input limit: a minimum above 4096 exists
    # (three 64×64 convs after a /64 one need 8,128), but so do networks whose tensors pass
    # their size limit only at the largest inputs
    for big_h, big_w in ((max(net.input[1], 4096), max(net.input[2], 4096)), (L.MAX_INPUT_SIZE, L.MAX_INPUT_SIZE)):
        if _fits(net, big_h, big_w, expanded):
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

    min_h = search(lambda h: _fits(net, h, big_w, expanded), big_h)
    min_w = search(lambda w: _fits(net, big_h, w, expanded), big_w)
    return min_h, min_w


class CacheInfo(NamedTuple):
    hits: int
    misses: int
    maxsize: int
    currsize: int
    rows: int  # layer rows held by the cached analyses
    max_rows: int


class _Cache:
    """Analyses by spec, least recently used dropped first, bounded by count and by their
    layer rows together (about 900 bytes each): 256 analyses of the largest networks the
    limits allow, 29,000 rows each, would otherwise hold some 7 GB of a shared server."""

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
            if net in self._data or len(a.layers) > self.max_rows:
                return
            self._data[net] = a
            self.rows += len(a.layers)
            while len(self._data) > self.maxsize or self.rows > self.max_rows:
                _, old = self._data.popitem(last=False)
                self.rows -= len(old.layers)

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
        if least is None:
            hint = "no input size makes this network valid"
        else:
            hint = f"the smallest input is {least[0]}×{least[1]}"
        raise InputTooSmall(
            "input",
            f"input {c}×{h}×{w} is too small: {err.detail}; {hint}",
            layer=err.layer,
            min_size=least,
        ) from None
    except ShapeMismatch as err:
        near = nearest_inputs(net)
        c, h, w = net.input
        if near:
            hint = "inputs that work nearby: " + ", ".join(f"{c}×{a}×{b}" for a, b in near)
        else:
            hint = "no input size near this one makes the branches agree"
        raise ShapeMismatch(
            "input", f"input {c}×{h}×{w} does not fit: {err.detail}; {hint}", layer=err.layer, suggestions=near
        ) from None


def nearest_inputs(net: Network, reach: int = 256) -> tuple[tuple[int, int], ...]:
    """The working input sizes nearest to ``net.input`` below and above it, moving height and
    width together (stride-2 blocks whose branches pad differently only agree on some sizes)."""
    _, h, w = net.input
    # each try may walk the whole network: about 20,000 items walked in all, so a mismatch at
    # the end of the largest network the limits allow costs a few analyses, not 512 of them
    items = 1 + len(net.head) + sum(len(st.items) for st in net.stages)
    reach = min(reach, max(4, 20_000 // (2 * items)))
    expanded: dict = {}
    below = above = None
    for d in range(1, reach + 1):
        if below is None and min(h, w) - d >= 1 and _fits(net, h - d, w - d, expanded):
            below = (h - d, w - d)
        if above is None and max(h, w) + d <= L.MAX_INPUT_SIZE and _fits(net, h + d, w + d, expanded):
            above = (h + d, w + d)
        if below and above:
            break
    return tuple(x for x in (below, above) if x)


# the functions lru_cache would have put there
analyze.cache_info = _CACHE.info  # type: ignore[attr-defined]
analyze.cache_clear = _CACHE.clear  # type: ignore[attr-defined]
analyze.__wrapped__ = _analyze_validated  # type: ignore[attr-defined]  (uncached)
