"""What a network costs on real hardware, from its analysis: the memory of training and of
inference for a batch, a dtype and an optimizer; a roofline for every layer on a device; the
time of an epoch.

**Memory for training** (``memory``) is what stays allocated from the end of the forward pass
to the start of the backward pass, part by part:

* *weights*: the parameters, fp32 (4 bytes each). *Buffers*: BatchNorm's running mean and
  variance (fp32) and its batch counter (one int64), which the module keeps besides.
* *gradients*: one fp32 tensor per parameter, as ``backward`` leaves them in ``.grad``.
* *optimizer state*, exactly the tensors of ``optimizer.state_dict()`` after one step (torch's
  defaults): SGD none; SGD with momentum one momentum buffer per parameter; Adam and AdamW
  ``exp_avg`` and ``exp_avg_sq`` per parameter and a 0-dim fp32 ``step`` per parameter tensor.
* *activations saved for backward*: the storages autograd holds for the backward pass of the
  module ``build`` makes, counted once each however many ops saved them, the parameters' and
  buffers' own storages excluded. The model follows ``runtime.py`` op by op: a conv saves its
  input (and its weight: a parameter); BatchNorm its input and two per-channel fp32 statistics;
  an in-place ReLU or sigmoid its result — the very tensor the conv or BatchNorm before it made,
  so the two share a storage; a max pool its input and int64 argmax indices; an average pool and
  an adaptive one its input (a global (1, 1) one is a ``mean`` and saves nothing); dropout in
  training the random scaling tensor it multiplies by (on the CPU: an input-sized tensor of the
  input's dtype); LRN its input and three fp32 intermediates; a linear layer its input; flatten
  is a view; concatenation and the residual add save nothing. Ops whose inputs need no gradient
  (a pool straight on the image) record nothing. The tests check the total, byte for byte,
  against ``torch.autograd.graph.saved_tensors_hooks`` on the built module.
* *input batch*: fp32; when the first layer saves it (a conv does), it is counted once, among
  the saved activations (``input_saved``).

**Mixed precision** (``fp16`` / ``bf16``) is ``torch.autocast`` over fp32 parameters: the
weights stay fp32 and are the master weights, gradients are fp32, the optimizer state is fp32.
Convs and linear layers run in 16 bits: each saves a 16-bit copy of its weight (counted in the
saved activations, and apart as ``weight_copies_bytes``) and a 16-bit copy of an fp32 input;
what follows a conv stays 16-bit (BatchNorm keeps its fp32 statistics), LRN computes in fp32
and returns fp32, and a merge of a 16-bit and an fp32 tensor is fp32. The model follows
PyTorch's CPU autocast, which the tests run; on CUDA, dropout saves a one-byte mask instead.

**Peak of one inference pass**: the analysis's judged model of an eager forward at batch 1 in
fp32 (``Totals.peak_activation_bytes``: every live tensor, the input included), times the
batch; at 16 bits, half of that (every tensor at 2 bytes: an inference in fp16 or bf16 — only
a max pool's int64 indices, alive for a moment, would be larger).

**Training total** = weights + buffers + gradients + optimizer state + saved activations +
the input batch (if not saved already). The backward pass adds the gradients of one layer's
input and output at a time on top, and an allocator's cache and a conv's workspace more.

**Roofline** (``roofline``): per layer, FLOPs = 2 × MACs (conv and linear only, the analysis's
rule), bytes moved = input + weights + output at the dtype (a conv's BatchNorm and activation
taken as fused into it; flatten and inference-mode dropout move nothing), arithmetic intensity
= FLOPs / bytes, attainable = min(peak, intensity × bandwidth), predicted time =
max(FLOPs / peak, bytes / bandwidth), compute-bound when the intensity reaches the device's
ridge point peak / bandwidth, else memory-bound. A concatenation moves its inputs and its output
(a copy, no FLOPs); its cost is kept apart (``Roofline.concat``) because the layer model leaves
it out, though eager PyTorch pays it. A residual add moves every tensor each of its
elementwise ops reads and writes. Left out: kernel launch overhead, cache reuse between layers,
a conv's separate BatchNorm and ReLU passes when they are not fused.

**Epoch** (``epoch_seconds``): forward + backward ≈ 3 × the forward's predicted time (the
backward pass does about twice the forward's FLOPs), concat copies included, aux heads
included when on, for every batch of a data set of ``images`` at the design's input size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .analysis import Analysis, Node
from .devices import Device, check_dtype
from .errors import SpecError
from .layers import LRN, AdaptiveAvgPool, BatchNorm, Conv, Dropout, Flatten, Linear, Pool
from .values import check_choice, check_int

OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")
DTYPE_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2}
MAX_BATCH = 1 << 20
FP32, LOW, INT64 = 4, 2, 8
DEFAULT_IMAGES = 60_000  # Fashion-MNIST's training set


def _check(batch: int, dtype: str, optimizer: str | None = None) -> None:
    check_int("batch", batch, 1, MAX_BATCH)
    check_dtype(dtype)
    if optimizer is not None:
        check_choice("optimizer", optimizer, OPTIMIZERS)


# --- memory ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Memory:
    """Bytes of training and inference at one batch size, dtype and optimizer (see the module)."""

    batch: int
    dtype: str
    optimizer: str
    weights_bytes: int
    buffers_bytes: int
    gradients_bytes: int
    optimizer_bytes: int
    saved_activations_bytes: int
    weight_copies_bytes: int  # of the saved: autocast's 16-bit weight copies (0 in fp32)
    input_bytes: int
    input_saved: bool  # the input batch is among the saved activations
    peak_inference_bytes: int
    training_total_bytes: int
    saved_layers: tuple[tuple[str, int], ...] = field(repr=False)  # (leaf key, bytes of the saved storages it made)

    @property
    def saved_by_layer(self) -> dict[str, int]:
        """Leaf key → the bytes of the saved storages it made (a new dict: a cached Memory is shared)."""
        return dict(self.saved_layers)

    def saved_in(self, node: Node) -> int:
        """Saved bytes made by the leaves of ``node`` (a layer, block, branch, stage or aux head)."""
        by = self.saved_by_layer
        if node.is_leaf:
            return by.get(node.key, 0)
        return sum(by.get(n.key, 0) for n in node.leaves())

    @property
    def inference_total_bytes(self) -> int:
        """Weights at the dtype (16-bit for an fp16/bf16 inference) + the peak activations."""
        return self.weights_bytes * DTYPE_BYTES[self.dtype] // FP32 + self.peak_inference_bytes


class _Store:
    """One storage of the simulated forward: its size and the leaf that made it."""

    __slots__ = ("nbytes", "owner")

    def __init__(self, nbytes: int, owner: str):
        self.nbytes, self.owner = nbytes, owner


class _V:
    """A tensor of the simulated forward: its storage, elements, bytes per element, and
    whether it needs a gradient (its history reaches a parameter)."""

    __slots__ = ("store", "numel", "el", "grad")

    def __init__(self, store: _Store, numel: int, el: int, grad: bool):
        self.store, self.numel, self.el, self.grad = store, numel, el, grad


class _Forward:
    """A training-mode forward pass of the built module, op by op as ``runtime.py`` runs it,
    keeping only what autograd saves."""

    def __init__(self, a: Analysis, batch: int, low: bool):
        self.a, self.batch, self.low = a, batch, low
        self.saved: dict[int, _Store] = {}
        self.copies = 0
        self.conv_el = LOW if low else FP32

    # tensors
    def new(self, numel: int, el: int, owner: str, grad: bool) -> _V:
        return _V(_Store(numel * el, owner), numel, el, grad)

    def save(self, v: _V) -> None:
        self.saved[id(v.store)] = v.store

    def save_new(self, nbytes: int, owner: str) -> None:
        s = _Store(nbytes, owner)
        self.saved[id(s)] = s

    def numel(self, shape: tuple[int, ...]) -> int:
        return self.batch * math.prod(shape)

    # ops
    def weighted(self, x: _V, weights: int, out: int, key: str) -> _V:
        """Conv2d or Linear: saves its input (a 16-bit copy of an fp32 one under autocast) and
        its weight (a parameter, or autocast's 16-bit copy of it)."""
        if self.low:
            if x.el != LOW:
                x = self.new(x.numel, LOW, key, x.grad)
            self.save(x)
            self.save_new(weights * LOW, key)
            self.copies += weights * LOW
        else:
            self.save(x)
        return self.new(out, self.conv_el, key, True)

    def batchnorm(self, x: _V, channels: int, key: str) -> _V:
        self.save(x)
        self.save_new(channels * FP32, key)  # save_mean
        self.save_new(channels * FP32, key)  # save_invstd
        return self.new(x.numel, x.el, key, True)

    def act_(self, v: _V, act: str) -> _V:
        """In place, on a tensor the step has just made: saves it (relu_, sigmoid_ save the result)."""
        if act != "none" and v.grad:
            self.save(v)
        return v

    def act(self, v: _V, act: str, key: str) -> _V:
        """Into a new tensor (relu, sigmoid on a tensor the step was given)."""
        if act == "none":
            return v
        y = self.new(v.numel, v.el, key, v.grad)
        return self.act_(y, act)

    def leaf(self, n: Node, x: _V) -> _V:
        L, key = n.layer, n.key
        out = self.numel(n.out_shape)
        if isinstance(L, Conv):
            c_in = n.in_shape[0]
            kh, kw = L.kernel
            weights = L.out * (c_in // L.groups) * kh * kw
            if L.order == "pre":
                if L.bn:
                    z = self.act_(self.batchnorm(x, c_in, key), L.act)
                else:
                    z = self.act(x, L.act, key)
                return self.weighted(z, weights, out, key)
            y = self.weighted(x, weights, out, key)
            if L.bn:
                y = self.batchnorm(y, L.out, key)
            return self.act_(y, L.act)
        if isinstance(L, Linear):
            return self.act_(self.weighted(x, n.in_shape[0] * L.out, out, key), L.act)
        if isinstance(L, BatchNorm):
            return self.act_(self.batchnorm(x, n.in_shape[0], key), L.act)
        if isinstance(L, Pool):
            if x.grad:
                self.save(x)
                if L.op == "max":
                    self.save_new(out * INT64, key)  # the argmax indices
            return self.new(out, x.el, key, x.grad)
        if isinstance(L, AdaptiveAvgPool):
            if x.grad and tuple(L.output) != (1, 1):  # (1, 1) is a mean, which saves nothing
                self.save(x)
            return self.new(out, x.el, key, x.grad)
        if isinstance(L, LRN):
            # F.local_response_norm: input², padded by size − 1 channels and averaged over
            # channels by avg_pool3d (fp32, also under autocast), · α + k, ^β, input / that
            if x.grad:
                c, h, w = n.in_shape
                self.save(x)
                self.save_new(self.batch * (c + L.size - 1) * h * w * FP32, key)  # avg_pool3d's input
                self.save_new(x.numel * FP32, key)  # pow's input
                self.save_new(x.numel * FP32, key)  # pow's result, the divisor
            return self.new(out, FP32, key, x.grad)
        if isinstance(L, Dropout):
            if L.p == 0:
                return x  # returns its input
            if x.grad:  # input * noise saves the noise; p = 1 multiplies by a 0-dim zero
                self.save_new(x.numel * x.el if L.p < 1 else x.el, key)
            return self.new(out, x.el, key, x.grad)
        if isinstance(L, Flatten):
            return _V(x.store, x.numel, x.el, x.grad)  # a view
        raise TypeError(f"no memory model for {type(L).__name__}")  # pragma: no cover - every layer type is above

    def cat(self, outs: list[_V], key: str) -> _V:
        """torch.cat: a new tensor, nothing saved; of the widest dtype of its inputs."""
        return self.new(sum(o.numel for o in outs), max(o.el for o in outs), key, any(o.grad for o in outs))

    def sequence(self, nodes, x: _V) -> _V:
        for n in nodes:
            x = self.leaf(n, x)
        return x

    def branch(self, node: Node, spec, x: _V) -> _V:
        leaves = [c for c in node.children if c.is_leaf and c.kind != "concat"]
        x = self.sequence(leaves, x)
        subs = [c for c in node.children if c.kind == "branch"]
        if subs:
            outs = [self.branch(s, sp, x) for s, sp in zip(subs, spec.split)]
            x = self.cat(outs, f"{node.key}.concat")
        return x

    def block(self, node: Node, x: _V) -> _V:
        spec = node.layer
        branches = [c for c in node.children if c.kind == "branch"]
        outs = [x if sp.identity else self.branch(b, sp, x) for b, sp in zip(branches, spec.branches)]
        if spec.merge == "concat":
            return self.act_(self.cat(outs, f"{node.key}.concat"), spec.act)
        identities = sum(1 for sp in spec.branches if sp.identity)
        rest = [o for o, sp in zip(outs, spec.branches) if not sp.identity]
        add_key = f"{node.key}.add"
        fresh = True
        if spec.project is not None:
            r = self.cat(rest, f"{node.key}.concat") if len(rest) > 1 else rest[0]
            r = self.leaf(self.a.layer(f"{node.key}.project"), r)
        elif len(rest) > 1:
            # rest[0] + rest[1] makes R at their wider dtype; adding the others in place keeps it
            r = self.new(rest[0].numel, max(rest[0].el, rest[1].el), add_key, any(o.grad for o in rest))
        else:
            r = rest[0]
            fresh = False
        if identities:
            y = self.new(r.numel, max(x.el, r.el), add_key, x.grad or r.grad)
        elif spec.scale != 1:
            y = self.new(r.numel, r.el, add_key, r.grad)
        else:
            return self.act_(r, spec.act) if fresh else self.act(r, spec.act, add_key)
        return self.act_(y, spec.act)

    def run(self) -> bool:
        """The whole forward, aux heads included when on; True if the input batch was saved."""
        a = self.a
        x0 = self.new(self.numel(a.network.input), FP32, "", False)
        after = {h.name: h.after for h in a.network.aux}
        heads: dict[str, list[Node]] = {}
        for head in a.aux:  # in the order they were declared, as the runtime runs them
            heads.setdefault(after[head.name], []).append(head)
        x = x0
        for st in a.stages:
            for item in st.children:
                x = self.block(item, x) if item.kind == "block" else self.leaf(item, x)
                for head in heads.get(item.name, ()):
                    self.sequence(head.children, x)
        return id(x0.store) in self.saved


def _param_tensors(a: Analysis) -> tuple[int, int]:
    """The number of parameter tensors, and the bytes of the buffers (BatchNorm's running mean
    and variance, fp32, and its int64 batch counter)."""
    tensors = buffers = 0
    for n in a.layers:
        L = n.layer
        if isinstance(L, Conv):
            tensors += 1 + L.bias + 2 * L.bn
            if L.bn:
                buffers += 2 * FP32 * (n.in_shape[0] if L.order == "pre" else L.out) + INT64
        elif isinstance(L, Linear):
            tensors += 1 + L.bias
        elif isinstance(L, BatchNorm):
            tensors += 2
            buffers += 2 * FP32 * n.in_shape[0] + INT64
    return tensors, buffers


def optimizer_bytes(a: Analysis, optimizer: str) -> int:
    """The bytes of ``optimizer``'s ``state_dict`` tensors after one step."""
    check_choice("optimizer", optimizer, OPTIMIZERS)
    params = a.totals.params
    if optimizer == "sgd":
        return 0
    if optimizer == "momentum":
        return FP32 * params
    tensors, _ = _param_tensors(a)
    return 2 * FP32 * params + FP32 * tensors  # exp_avg, exp_avg_sq, and a 0-dim step per tensor


def memory(a: Analysis, batch: int = 1, dtype: str = "fp32", optimizer: str = "sgd") -> Memory:
    """The memory of training (and the peak of inference) at ``batch``, ``dtype``, ``optimizer``."""
    _check(batch, dtype, optimizer)
    fwd = _Forward(a, batch, dtype != "fp32")
    input_saved = fwd.run()
    by_layer: dict[str, int] = {}
    saved = 0
    for s in fwd.saved.values():
        saved += s.nbytes
        if s.owner:
            by_layer[s.owner] = by_layer.get(s.owner, 0) + s.nbytes
    params = a.totals.params
    _, buffers = _param_tensors(a)
    weights = FP32 * params
    grads = FP32 * params
    opt = optimizer_bytes(a, optimizer)
    input_bytes = FP32 * batch * math.prod(a.network.input)
    peak = batch * a.totals.peak_activation_bytes * DTYPE_BYTES[dtype] // FP32
    total = weights + buffers + grads + opt + saved + (0 if input_saved else input_bytes)
    return Memory(batch, dtype, optimizer, weights, buffers, grads, opt, saved, fwd.copies, input_bytes, input_saved,
                  peak, total, tuple(by_layer.items()))


def largest_batch(a: Analysis, device_memory_bytes: int, dtype: str = "fp32", optimizer: str = "sgd") -> int:
    """The largest batch whose training total fits in ``device_memory_bytes`` (0 if not even
    one image does; at most ``MAX_BATCH``). The total is affine in the batch — every saved
    tensor scales with it but BatchNorm's statistics and autocast's weight copies — so two
    evaluations give it exactly."""
    check_int("memory", device_memory_bytes, 0, 2**62)
    one = memory(a, 1, dtype, optimizer).training_total_bytes
    per_image = memory(a, 2, dtype, optimizer).training_total_bytes - one
    if one > device_memory_bytes:
        return 0
    return min(MAX_BATCH, 1 + (device_memory_bytes - one) // per_image)


# --- roofline ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerCost:
    """One layer on one device: FLOPs, bytes moved, intensity, attainable FLOP/s, time, bound."""

    name: str  # the layer's key
    kind: str
    flops: int
    bytes_moved: int
    intensity: float  # FLOP per byte
    attainable: float  # FLOP/s: min(peak, intensity × bandwidth)
    predicted_seconds: float
    bound: str  # "compute" | "memory" | "none" (moves nothing, computes nothing)


@dataclass(frozen=True)
class CostSum:
    """Layers together: their FLOPs, bytes and predicted time, and how much of it is memory-bound."""

    flops: int = 0
    bytes_moved: int = 0
    predicted_seconds: float = 0.0
    memory_bound_seconds: float = 0.0
    layers: int = 0

    def __add__(self, c: LayerCost | CostSum) -> CostSum:
        if isinstance(c, CostSum):
            return CostSum(self.flops + c.flops, self.bytes_moved + c.bytes_moved, self.predicted_seconds + c.predicted_seconds,
                           self.memory_bound_seconds + c.memory_bound_seconds, self.layers + c.layers)
        mem = c.predicted_seconds if c.bound == "memory" else 0.0
        return CostSum(self.flops + c.flops, self.bytes_moved + c.bytes_moved, self.predicted_seconds + c.predicted_seconds,
                       self.memory_bound_seconds + mem, self.layers + 1)

    @property
    def intensity(self) -> float:
        return self.flops / self.bytes_moved if self.bytes_moved else 0.0

    @property
    def achieved(self) -> float:
        """FLOP/s over the predicted time."""
        return self.flops / self.predicted_seconds if self.predicted_seconds else 0.0


@dataclass(frozen=True)
class Roofline:
    device: Device
    dtype: str
    batch: int
    layers: tuple[LayerCost, ...]  # every leaf in inference order (aux heads' too with ``aux``), concats included
    total: CostSum  # every layer but the concatenations
    concat: CostSum  # the concatenations' copies, which the layer model leaves out
    group_sums: tuple[tuple[str, CostSum], ...] = field(repr=False)  # (block, branch, stage or aux-head key, its layers; concats apart)

    @property
    def groups(self) -> dict[str, CostSum]:
        """Group key → the sum of its layers (a new dict: a cached Roofline is shared)."""
        return dict(self.group_sums)

    @property
    def with_concat(self) -> CostSum:
        return self.total + self.concat

    def layer(self, key: str) -> LayerCost:
        for c in self.layers:
            if c.name == key:
                return c
        raise KeyError(key)


def _add_passes(node: Node) -> int:
    """How many output-sized tensors a residual merge's elementwise ops read and write, as
    ``runtime._Block`` runs them (its activation taken as fused)."""
    spec = node.parent.layer
    identities = sum(1 for b in spec.branches if b.identity)
    rest = len(spec.branches) - identities
    summed = 1 if spec.project is not None else rest  # tensors added into R
    ops = (summed - 1) + identities  # each reads two tensors and writes one (the scale rides on x + scale · R)
    scaled = 2 if not identities and spec.scale != 1 else 0  # R · scale reads one and writes one
    return 3 * ops + scaled


def layer_bytes(n: Node, batch: int, el: int) -> int:
    """Bytes a layer moves at ``batch`` with ``el`` bytes per element: input + weights + output."""
    L = n.layer
    if n.kind == "concat":
        return 2 * batch * math.prod(n.out_shape) * el
    if n.kind == "add":
        return _add_passes(n) * batch * math.prod(n.out_shape) * el
    if isinstance(L, (Flatten, Dropout)):
        return 0  # a view; inference-mode dropout returns its input
    return (batch * (math.prod(n.in_shape) + math.prod(n.out_shape)) + n.params) * el


def _cost(n: Node, batch: int, el: int, peak: float, bandwidth: float) -> LayerCost:
    flops = 2 * n.macs * batch
    moved = layer_bytes(n, batch, el)
    compute_s = flops / peak
    memory_s = moved / bandwidth
    if not flops and not moved:
        bound = "none"
    else:
        bound = "compute" if flops * bandwidth >= moved * peak else "memory"
    intensity = flops / moved if moved else 0.0
    return LayerCost(n.key, n.kind, flops, moved, intensity, min(peak, intensity * bandwidth), max(compute_s, memory_s), bound)


def roofline(a: Analysis, device: Device, dtype: str = "fp32", batch: int = 1, aux: bool = False) -> Roofline:
    """Every layer of one forward pass at ``batch`` on ``device`` at ``dtype`` (see the module);
    ``aux``: the aux heads too (they run in training)."""
    _check(batch, dtype)
    peak = device.peak(dtype)
    el = DTYPE_BYTES[dtype]
    leaves = a.layers if aux else [n for n in a.layers if not n.aux]
    costs = tuple(_cost(n, batch, el, peak, device.bandwidth) for n in leaves)
    # sums as plain lists first (flops, bytes, seconds, memory-bound seconds, layers): a frozen
    # CostSum per layer and ancestor would be most of the time
    sums: dict[str, list] = {}
    total, concat = [0, 0, 0.0, 0.0, 0], [0, 0, 0.0, 0.0, 0]
    for n, c in zip(leaves, costs):
        mem = c.predicted_seconds if c.bound == "memory" else 0.0
        targets = [concat] if c.kind == "concat" else [total]
        if c.kind != "concat":
            p = n.parent
            while p is not None and p.kind != "network":
                acc = sums.get(p.key)
                if acc is None:
                    acc = sums[p.key] = [0, 0, 0.0, 0.0, 0]
                targets.append(acc)
                p = p.parent
        for acc in targets:
            acc[0] += c.flops
            acc[1] += c.bytes_moved
            acc[2] += c.predicted_seconds
            acc[3] += mem
            acc[4] += 1
    groups = tuple((k, CostSum(*v)) for k, v in sums.items())
    return Roofline(device, dtype, batch, costs, CostSum(*total), CostSum(*concat), groups)


def epoch_seconds(a: Analysis, device: Device, dtype: str = "fp32", batch: int = 1, images: int = DEFAULT_IMAGES) -> float:
    """Predicted seconds of one training epoch over ``images`` (forward + backward ≈ 3 × the
    forward, concat copies and aux heads included); the last batch may be smaller."""
    _check(batch, dtype)
    check_int("images", images, 1, 10**12)
    full, rest = divmod(images, batch)

    def step(b: int) -> float:
        return 3 * roofline(a, device, dtype, b, aux=True).with_concat.predicted_seconds

    return full * step(batch) + (step(rest) if rest else 0.0)


# --- the layer table's columns ----------------------------------------------------------------------------

COLUMNS = ("Saved for backward (bytes)", "Predicted time (s)", "Bound")


def columns(a: Analysis, device: Device, dtype: str = "fp32", batch: int = 1, optimizer: str = "sgd") -> dict[str, dict[str, object]]:
    """Per layer key: the bytes it saves for backward (its share of ``Memory.saved_by_layer``)
    and its predicted forward time and bound on ``device`` — the memory and predicted-time
    columns of the layer table. Aux-head layers have no predicted time (they do not run at
    inference)."""
    saved = memory(a, batch, dtype, optimizer).saved_by_layer
    r = {c.name: c for c in roofline(a, device, dtype, batch).layers}
    out = {}
    for n in a.layers:
        c = r.get(n.key)
        out[n.key] = {
            COLUMNS[0]: saved.get(n.key, 0),
            COLUMNS[1]: c.predicted_seconds if c is not None else None,
            COLUMNS[2]: c.bound if c is not None else "",
        }
    return out


def unsupported(device: Device, dtype: str) -> SpecError | None:
    """Why ``device`` cannot run the roofline at ``dtype``, or None."""
    try:
        device.peak(dtype)
    except SpecError as err:
        return err
    return None
