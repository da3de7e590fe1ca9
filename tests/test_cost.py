"""Costs on real hardware against independent judges: what autograd saves
(``saved_tensors_hooks``), what the optimizers keep (``state_dict``), what the layers read and
write (forward hooks and the ops PyTorch dispatched), and the roofline worked by hand."""

from __future__ import annotations

import contextlib
import json
import math
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from torch.utils._python_dispatch import TorchDispatchMode

from googlenet import SpecError, analyze, get_preset
from googlenet import cli, cost, devices, naming
from googlenet.build import build
from googlenet.codegen import to_python
from googlenet.presets import PRESETS
from googlenet.spec import LRN, AdaptiveAvgPool, AuxHead, BatchNorm, Block, Branch, Conv, Dropout, Flatten, Linear, Network, Pool, Stage

from .test_core import googlenet_specs
from .test_family import family_specs

ROOT = Path(__file__).resolve().parent.parent
LOW = {"fp16": torch.float16, "bf16": torch.bfloat16}
SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


# --- the judges ------------------------------------------------------------------------------------


def saved_by_torch(model: torch.nn.Module, net: Network, batch: int, dtype: str = "fp32", device: str = "meta") -> tuple[int, bool]:
    """Bytes of the unique storages autograd saves during one training-mode forward of ``model``
    (its parameters' and buffers' own storages left out), and whether the input is one of them."""
    model.train()
    own = {t.untyped_storage()._cdata for t in (*model.parameters(), *model.buffers())}
    seen: dict[int, torch.Tensor] = {}  # the tensors are kept, so no storage is freed and reused meanwhile

    def pack(t: torch.Tensor) -> torch.Tensor:
        s = t.untyped_storage()
        if s._cdata not in own:
            seen.setdefault(s._cdata, t)
        return t

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        x = torch.randn(batch, *net.input, device=device)
        autocast = torch.autocast("cpu", dtype=LOW[dtype]) if dtype != "fp32" else contextlib.nullcontext()
        with autocast, torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            model(x)
    return sum(t.untyped_storage().nbytes() for t in seen.values()), x.untyped_storage()._cdata in seen


def assert_saved_matches(net: Network, batch: int = 2, dtype: str = "fp32") -> None:
    device = "meta" if dtype == "fp32" else "cpu"  # autocast runs on the CPU only
    model = build(net, device=device)
    theirs, input_saved = saved_by_torch(model, net, batch, dtype, device)
    m = cost.memory(analyze(net), batch, dtype)
    assert m.saved_activations_bytes == theirs, (net.name, dtype, m.saved_activations_bytes - theirs)
    assert m.input_saved == input_saved
    made = sum(m.saved_by_layer.values()) + (m.input_bytes if m.input_saved else 0)
    assert made == m.saved_activations_bytes  # every saved byte belongs to a layer, or is the input


MERGE_OPS = {"aten.cat.default", "aten.add.Tensor", "aten.add_.Tensor", "aten.mul.Tensor"}


class _MergeOps(TorchDispatchMode):
    """Bytes every concatenation, addition and multiplication run outside the leaf modules
    reads and writes (the merges of blocks; activations are not among these ops), each tagged
    with how many leaf modules had run before it."""

    def __init__(self, calls: list):
        super().__init__()
        self.calls, self.depth, self.seen = calls, [0], []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if self.depth[0] == 0 and str(func) in MERGE_OPS:
            flat = [t for a in args for t in (a if isinstance(a, (list, tuple)) else (a,)) if isinstance(t, torch.Tensor)]
            self.seen.append((len(self.calls), str(func), sum(t.nbytes for t in flat) + out.nbytes))
        return out


def moved_by_torch(net: Network, batch: int, dtype: str) -> dict[str, int]:
    """Per layer key, the bytes PyTorch's eval-mode forward moves for it: for a layer with
    modules, the input of the first module under its path that ran, every parameter under it
    and the output of the last (nothing when the output is the input's storage: a view, or
    dropout returning its input); for a merge, every tensor its ops read and write."""
    tdt = {"fp32": torch.float32, **LOW}[dtype]
    model = build(net, device="meta").to(tdt).eval()
    calls: list[tuple[str, torch.Tensor, torch.Tensor]] = []
    mode = _MergeOps(calls)

    def enter(module, inputs) -> None:
        mode.depth[0] += 1

    def leave(module, inputs, output, name: str) -> None:
        mode.depth[0] -= 1
        calls.append((name, inputs[0], output))

    hooks = []
    for name, mod in model.named_modules():
        if name and not list(mod.children()):
            hooks.append(mod.register_forward_pre_hook(enter))
            hooks.append(mod.register_forward_hook(lambda m, i, o, name=name: leave(m, i, o, name)))
    with torch.no_grad(), mode:
        model(torch.empty(batch, *net.input, device="meta", dtype=tdt))
    for h in hooks:
        h.remove()
    a = analyze(net)
    modules = dict(model.named_modules())
    out, done = {}, 0
    merge_events: dict[int, list] = {}
    for seg, op, nbytes in mode.seen:
        merge_events.setdefault(seg, []).append((op, nbytes))
    # each module belongs to the layer whose path is the longest that holds it: a layer's path
    # and what is under it, and a flat conv's BatchNorm beside it under an upstream naming
    # (Cadene's ``inception_3a_1x1_bn``); torchvision's functional pool of ``branch_pool`` sits
    # at ``Mixed_5b.branch_pool.pool``, inside the conv's path, and is the pool's
    held = {p: n.key for n in a.layers if n.module for p in naming.node_parts(n)}

    def owner(name: str) -> str | None:
        best = max((p for p in held if name == p or name.startswith(p + ".")), key=len, default=None)
        return held.get(best)

    for n in a.layers:
        if n.aux:
            continue
        if n.module:
            def mine(name: str, key=n.key) -> bool:
                return owner(name) == key

            under = [(name, i, o) for name, i, o in calls if mine(name)]
            done += len(under)
            i, o = under[0][1], under[-1][2]
            if o.untyped_storage()._cdata == i.untyped_storage()._cdata:
                out[n.key] = 0
                continue
            weights = sum(p.nbytes for name, m in modules.items() if mine(name) for p in m.parameters(recurse=False))
            out[n.key] = i.nbytes + weights + o.nbytes
        else:  # a merge: the ops run since the last module
            events = merge_events.get(done, [])
            if n.kind == "concat":
                cats = [e for e in events if e[0] == "aten.cat.default"]
                out[n.key] = cats[0][1]
                events.remove(cats[0])
            else:
                out[n.key] = sum(b for op, b in events if op != "aten.cat.default")
                merge_events[done] = [e for e in events if e[0] == "aten.cat.default"]
    return out


# --- random networks of every structure ---------------------------------------------------------------

ACTS = st.sampled_from(["relu", "sigmoid", "none"])


@st.composite
def same_size_layer(draw, name: str, channels: int | None):
    """A layer that keeps the spatial size; its convs have ``channels`` outputs when given."""
    kind = draw(st.sampled_from(["conv", "conv", "conv", "maxpool", "avgpool", "lrn", "dropout", "batchnorm"]))
    if kind == "conv":
        k = draw(st.sampled_from([1, 3]))
        return Conv(name, channels or draw(st.integers(1, 6)), (k, k), padding=(k // 2, k // 2), bias=draw(st.booleans()),
                    bn=draw(st.booleans()), act=draw(ACTS), order=draw(st.sampled_from(["post", "pre"])))
    if kind in ("maxpool", "avgpool"):
        return Pool(name, kind[:3], (3, 3), (1, 1), (1, 1), count_include_pad=draw(st.booleans()))
    if kind == "lrn":
        return LRN(name, size=draw(st.integers(1, 5)), alpha=draw(st.sampled_from([1e-4, 0.0])), beta=draw(st.sampled_from([0.75, 0.0])))
    if kind == "dropout":
        return Dropout(name, p=draw(st.sampled_from([0.0, 0.3, 1.0])))
    return BatchNorm(name, act=draw(ACTS))


@st.composite
def branches(draw, channels: int | None, identity_ok: bool):
    out = []
    for i in range(draw(st.integers(1, 3))):
        if identity_ok and draw(st.integers(0, 3)) == 0:
            out.append(Branch(f"p{i}"))
            continue
        layers = tuple(draw(same_size_layer(f"l{j}", channels)) for j in range(draw(st.integers(1, 3))))
        split = ()
        if channels is None and draw(st.integers(0, 3)) == 0:
            split = tuple(Branch(f"s{k}", (draw(same_size_layer("l0", None)),)) for k in range(2))
        out.append(Branch(f"p{i}", layers, split))
    if all(b.identity for b in out):
        out.append(Branch("last", (draw(same_size_layer("l0", channels)),)))
    return tuple(out)


@st.composite
def structural_specs(draw):
    """Random networks: stem layers of every kind (a pool or an LRN straight on the image
    records nothing for backward), concat and residual blocks with splits, identity branches,
    projections, scales and activations, an aux head, a head of pool, flatten, dropout, linear."""
    c = draw(st.integers(2, 6))
    items: list = []
    if draw(st.booleans()):
        items.append(draw(same_size_layer("first", None)))
    items.append(Conv("stem", c, (3, 3), stride=(draw(st.sampled_from([1, 2])),) * 2, padding=(1, 1), bn=draw(st.booleans()),
                      act=draw(ACTS)))
    blocks = []
    for b in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            items.append(Block(f"cat{b}", draw(branches(None, True)), act=draw(ACTS)))
            items.append(Conv(f"fit{b}", c, (1, 1), act=draw(ACTS)))  # back to c channels
        else:
            project = draw(st.booleans())
            brs = draw(branches(None if project else c, True))
            if project and not any(x.identity for x in brs):
                brs = (*brs, Branch("shortcut"))
            items.append(Block(
                f"res{b}", brs, merge="add", scale=draw(st.sampled_from([1.0, 0.2, -0.5])), act=draw(ACTS),
                project=Conv("project", None, (1, 1), bias=draw(st.booleans()), bn=draw(st.booleans()), act=draw(ACTS)) if project else None,
            ))
        blocks.append(items[-1].name if isinstance(items[-1], Block) else items[-2].name)
    pool = draw(st.sampled_from([(1, 1), (2, 2)]))
    head = (AdaptiveAvgPool("gap", pool), Flatten("flatten"), Dropout("drop", draw(st.sampled_from([0.0, 0.5]))),
            Linear("fc", act=draw(ACTS)))
    aux = ()
    if draw(st.booleans()):
        aux = (AuxHead("aux1", draw(st.sampled_from(blocks)), (Pool("pool", "avg", (2, 2), (2, 2)), Flatten("flatten"), Linear("fc"))),)
    size = draw(st.integers(4, 10))
    net = Network("random", (draw(st.integers(1, 3)), size, size), draw(st.integers(1, 5)), (Stage("s", tuple(items)),),
                  head=head, aux=aux, aux_enabled=bool(aux))
    try:
        analyze(net)
    except SpecError:
        assume(False)
    return net


# --- saved activations ------------------------------------------------------------------------------------

PRESET_RUNS = [(n, False) for n in PRESETS] + [(n, True) for n in PRESETS if get_preset(n).aux]


@pytest.mark.parametrize("name, aux", PRESET_RUNS)
def test_saved_activations_equal_what_autograd_saves_for_every_preset(name, aux):
    net = replace(get_preset(name), aux_enabled=aux)
    assert_saved_matches(net, batch=2)
    assert_saved_matches(net, batch=3)


def _small(name: str) -> Network:
    """The preset at a quarter of its widths and a small input, for real CPU forwards."""
    net = replace(get_preset(name), width=0.25)
    c, h, _ = net.input
    for size in (64, 75):
        try:
            analyze(replace(net, input=(c, size, size)))
            return replace(net, input=(c, size, size))
        except SpecError:
            pass
    return net  # the presets that only take their own input (GoogLeNet's 7×7 pool, BN-Inception)


# bf16 for every preset; fp16 takes the same path through autocast, so a few presets suffice
# (LRN's fp32 islands, DenseNet's pre-activation, residual adds, aux-free and BN-free stems)
MIXED = [(n, "bf16") for n in PRESETS] + [(n, "fp16") for n in ("googlenet", "d2l-densenet", "inception-resnet-v2", "d2l-alexnet")]


@pytest.mark.parametrize("name, dtype", MIXED)
def test_mixed_precision_saved_activations_equal_what_autograd_saves(name, dtype):
    assert_saved_matches(_small(name), batch=2, dtype=dtype)


@settings(max_examples=60, deadline=None, suppress_health_check=SLOW)
@given(structural_specs(), st.integers(2, 3))
def test_random_structures_saved_activations_equal_what_autograd_saves(net, batch):
    assert_saved_matches(net, batch)


@settings(max_examples=40, deadline=None, suppress_health_check=SLOW)
@given(structural_specs(), st.sampled_from(["bf16", "fp16"]))
def test_random_structures_mixed_precision_saved_activations(net, dtype):
    assert_saved_matches(net, 2, dtype)


@settings(max_examples=15, deadline=None, suppress_health_check=SLOW)
@given(googlenet_specs())
def test_random_googlenets_saved_activations(net):
    assert_saved_matches(net)


@pytest.mark.parametrize("name", ["inception-bn", "inception-v3", "inception-resnet-v2"])  # the strategy is the family's
@settings(max_examples=3, deadline=None, suppress_health_check=SLOW)
@given(data=st.data())
def test_random_family_knobs_saved_activations(name, data):
    assert_saved_matches(data.draw(family_specs(name)))


@pytest.mark.parametrize("name", ["googlenet-torchvision", "d2l-densenet", "inception-resnet-v2"])
def test_the_generated_code_saves_what_the_built_module_saves(name):
    net = get_preset(name)
    ns: dict = {}
    exec(compile(to_python(net), "<generated>", "exec"), ns)  # our own generated file, as a user runs it
    with torch.device("meta"):
        model = ns["build_model"]()
    theirs, _ = saved_by_torch(model, net, 2)
    assert cost.memory(analyze(net), 2).saved_activations_bytes == theirs


def test_in_place_relu_shares_the_storage_of_the_conv_it_follows():
    # conv → BN → ReLU in place: BN's output is what the ReLU saves and what the next conv reads
    stage = (Conv("a", 4, (3, 3), padding=(1, 1), bn=True), Conv("b", 4, (1, 1), bias=False, act="none"))
    net = Network("two", (3, 8, 8), 2, (Stage("s", stage),))
    m = cost.memory(analyze(net), 2)
    n = 2 * 4 * 8 * 8 * 4  # one 4×8×8 map of the batch, fp32
    # a: the input (saved by its conv), its conv's output (saved by BN), BN's output (ReLU, conv b),
    # BN's two per-channel statistics
    assert m.saved_activations_bytes == 2 * 3 * 8 * 8 * 4 + n + n + 2 * 4 * 4
    assert m.saved_by_layer == {"a": n + n + 2 * 4 * 4}
    assert m.input_saved


def test_a_residual_sum_keeps_the_dtype_of_its_first_two_terms_under_autocast():
    # max pool and conv give bf16, LRN fp32: R = pool + conv is bf16, and R += LRN stays bf16
    block = Block("res0", (Branch("p0", (Pool("l0", "max", (3, 3), (1, 1), (1, 1)),)),
                           Branch("p1", (Conv("l0", 2, (1, 1), bias=False),)),
                           Branch("p2", (LRN("l0", size=1),))), merge="add", act="relu")
    net = Network("mixed", (1, 4, 4), 1, (Stage("s", (Conv("stem", 2, (3, 3), padding=(1, 1)), block)),),
                  head=(AdaptiveAvgPool("gap"), Flatten("flatten"), Linear("fc")))
    assert_saved_matches(net, 2, "bf16")
    assert cost.memory(analyze(net), 2, "bf16").saved_by_layer["res0.add"] == 2 * 2 * 4 * 4 * 2  # saved by the ReLU, 16-bit


# --- weights, gradients, optimizer state ---------------------------------------------------------------

TINY = Network("tiny", (2, 6, 6), 3, (Stage("s", (Conv("c", 3, (3, 3), bn=True), BatchNorm("bn", act="relu"),
                                                  Conv("d", 2, (1, 1), bias=False))),),
               head=(AdaptiveAvgPool("gap"), Flatten("flatten"), Linear("fc")))

OPTIMIZERS = {
    "sgd": lambda p: torch.optim.SGD(p, lr=0.1),
    "momentum": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
    "adam": lambda p: torch.optim.Adam(p),
    "adamw": lambda p: torch.optim.AdamW(p),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_weights_gradients_and_optimizer_state_are_the_real_ones_after_a_step(name):
    torch.manual_seed(0)
    model = build(TINY).train()
    opt = OPTIMIZERS[name](model.parameters())
    model(torch.randn(2, *TINY.input)).sum().backward()
    opt.step()
    state = [t for s in opt.state_dict()["state"].values() for t in s.values() if isinstance(t, torch.Tensor)]
    m = cost.memory(analyze(TINY), 2, "fp32", name)
    assert m.optimizer_bytes == sum(t.nbytes for t in state)
    assert m.gradients_bytes == sum(p.grad.nbytes for p in model.parameters())
    assert m.weights_bytes == sum(p.nbytes for p in model.parameters())
    assert m.buffers_bytes == sum(b.nbytes for b in model.buffers())
    if name in ("adam", "adamw"):
        assert m.optimizer_bytes > 2 * m.weights_bytes  # the step counters
    # mixed precision keeps all of these in fp32
    m16 = cost.memory(analyze(TINY), 2, "bf16", name)
    assert (m16.weights_bytes, m16.gradients_bytes, m16.optimizer_bytes) == (m.weights_bytes, m.gradients_bytes, m.optimizer_bytes)


@pytest.mark.parametrize("name", list(PRESETS))
def test_weights_and_buffers_of_every_preset_are_the_built_modules(name):
    net = get_preset(name)
    model = build(net, device="meta")
    m = cost.memory(analyze(net), 1, "fp32", "adam")
    assert m.weights_bytes == sum(p.nbytes for p in model.parameters())
    assert m.buffers_bytes == sum(b.nbytes for b in model.buffers())
    # Adam: exp_avg and exp_avg_sq like every parameter, a 4-byte step per parameter tensor
    assert m.optimizer_bytes == 2 * m.weights_bytes + 4 * len(list(model.parameters()))


def test_mixed_precision_saves_16_bit_copies_of_the_conv_and_linear_weights():
    a = analyze(TINY)
    m = cost.memory(a, 2, "bf16")
    weights = 3 * 2 * 3 * 3 + 2 * 3 + 3 * 2  # c, d and fc's weights (not biases, not BatchNorm's)
    assert m.weight_copies_bytes == 2 * weights
    assert cost.memory(a, 2, "fp32").weight_copies_bytes == 0


def test_training_total_adds_its_parts_and_the_input_once():
    a = analyze(get_preset("d2l"))
    m = cost.memory(a, 64, "fp32", "momentum")
    assert m.input_saved  # the first conv saves the batch, so it is not counted twice
    assert m.training_total_bytes == m.weights_bytes + m.buffers_bytes + m.gradients_bytes + m.optimizer_bytes + m.saved_activations_bytes
    m = cost.memory(a, 64, "bf16", "momentum")
    assert not m.input_saved  # autocast's conv saves its 16-bit copy of the batch instead
    assert m.training_total_bytes == (m.weights_bytes + m.buffers_bytes + m.gradients_bytes + m.optimizer_bytes
                                      + m.saved_activations_bytes + m.input_bytes)
    assert m.input_bytes == 64 * 1 * 96 * 96 * 4


def test_peak_inference_scales_the_judged_batch_1_model():
    a = analyze(get_preset("googlenet-torchvision"))
    assert cost.memory(a, 32).peak_inference_bytes == 32 * a.totals.peak_activation_bytes
    assert cost.memory(a, 32, "fp16").peak_inference_bytes == 16 * a.totals.peak_activation_bytes


def test_saved_bytes_of_blocks_and_stages_are_their_layers():
    a = analyze(get_preset("googlenet-torchvision"))
    m = cost.memory(a, 8)
    for g in (*a.blocks, *a.stages):
        assert m.saved_in(g) == sum(m.saved_by_layer.get(n.key, 0) for n in g.leaves())
    assert sum(m.saved_in(s) for s in a.stages) + m.input_bytes == m.saved_activations_bytes


@pytest.mark.parametrize("dtype, optimizer", [("fp32", "sgd"), ("bf16", "adam"), ("fp16", "momentum")])
def test_largest_batch_fits_and_one_more_does_not(dtype, optimizer):
    a = analyze(get_preset("inception-v3"))
    for gib in (1, 24, 80):
        limit = gib * devices.GiB
        b = cost.largest_batch(a, limit, dtype, optimizer)
        assert b >= 1
        assert cost.memory(a, b, dtype, optimizer).training_total_bytes <= limit
        assert cost.memory(a, b + 1, dtype, optimizer).training_total_bytes > limit
    assert cost.largest_batch(a, 10**6, dtype, optimizer) == 0  # not even the weights fit in 1 MB


# --- bytes moved and the roofline ------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["fp32", "fp16"])
@pytest.mark.parametrize("name", list(PRESETS))
def test_bytes_moved_per_layer_equal_what_the_modules_read_and_write(name, dtype):
    net = get_preset(name)
    theirs = moved_by_torch(net, 2, dtype)
    r = cost.roofline(analyze(net), devices.PRESETS["a100"], dtype, 2)
    assert {c.name: c.bytes_moved for c in r.layers} == theirs


@settings(max_examples=40, deadline=None, suppress_health_check=SLOW)
@given(structural_specs())
def test_random_structures_bytes_moved_equal_what_the_modules_read_and_write(net):
    r = cost.roofline(analyze(net), devices.PRESETS["h100"], "fp32", 2)
    assert {c.name: c.bytes_moved for c in r.layers} == moved_by_torch(net, 2, "fp32")


def test_roofline_of_inception5a_1x1_path_by_hand():
    # 832 → 256 channels at 7×7, batch 1, fp32, no bias: 2 · 7 · 7 · 256 · 832 FLOPs
    conv = Conv("branch1", 256, (1, 1), bias=False, act="none")
    a = analyze(Network("inception5a_1x1", (832, 7, 7), 10, (Stage("s", (conv,)),)))
    flops, moved = 20_873_216, 163_072 + 851_968 + 50_176
    assert moved == 1_065_216
    for dev in devices.PRESETS.values():
        c = cost.roofline(a, dev, "fp32", 1).layers[0]
        assert (c.flops, c.bytes_moved) == (flops, moved)
        assert c.intensity == pytest.approx(19.6, abs=0.005)  # 19.595…
        memory_bound = dev.peak("fp32") / dev.bandwidth > 19.6
        assert c.bound == ("memory" if memory_bound else "compute"), dev.name
        assert c.attainable == pytest.approx(min(dev.peak("fp32"), 19.595 * dev.bandwidth), rel=1e-4)
        assert c.predicted_seconds == pytest.approx(max(flops / dev.peak("fp32"), moved / dev.bandwidth), rel=1e-12)
    # on the A100 (19.5 TFLOP/s, 2,039 GB/s: ridge 9.6) it is compute-bound: 20,873,216 / 19.5e12 s;
    # on the H100 (67 TFLOP/s, 3,350 GB/s: ridge 20.0) memory-bound: 1,065,216 / 3.35e12 s
    assert cost.roofline(a, devices.PRESETS["a100"]).layers[0].predicted_seconds == pytest.approx(1.07042e-6, rel=1e-5)
    assert cost.roofline(a, devices.PRESETS["h100"]).layers[0].predicted_seconds == pytest.approx(3.17975e-7, rel=1e-5)
    # the paper's network has the same conv with a bias: 1,024 bytes more
    paper = analyze(get_preset("googlenet")).layer("inception5a.branch1.conv")
    assert (paper.in_shape, paper.out_shape) == ((832, 7, 7), (256, 7, 7))
    assert cost.layer_bytes(paper, 1, 4) == 1_066_240


def test_concat_copies_are_counted_apart_from_the_layers():
    a = analyze(get_preset("googlenet-torchvision"))
    r = cost.roofline(a, devices.PRESETS["v100"], "fp16", 16)
    cats = [c for c in r.layers if c.kind == "concat"]
    assert len(cats) == 9 and all(c.flops == 0 and c.bound == "memory" for c in cats)
    assert r.concat.bytes_moved == sum(c.bytes_moved for c in cats)
    assert r.total.bytes_moved == sum(c.bytes_moved for c in r.layers if c.kind != "concat")
    assert r.with_concat.predicted_seconds == pytest.approx(r.total.predicted_seconds + r.concat.predicted_seconds)
    # a concatenation reads its inputs and writes its output: twice the block's output at 2 bytes
    out = a.layer("inception3a.concat").out_shape
    assert r.layer("inception3a.concat").bytes_moved == 2 * 16 * math.prod(out) * 2
    block = a.block("inception3a")
    assert r.groups["inception3a"].flops == 16 * 2 * block.macs
    assert r.groups[".b3"].predicted_seconds == pytest.approx(sum(r.groups[b.key].predicted_seconds for b in a.blocks if b.stage == "b3")
                                                               + sum(c.predicted_seconds for c in r.layers if c.name == "maxpool3"))


def test_total_flops_are_the_analysis_flops_times_the_batch():
    for name in PRESETS:
        a = analyze(get_preset(name))
        assert cost.roofline(a, devices.PRESETS["rtx-4090"], "bf16", 4).total.flops == 4 * a.totals.flops


def test_epoch_is_three_forwards_per_batch_and_a_smaller_last_batch():
    a = analyze(get_preset("d2l"))
    dev = devices.PRESETS["rtx-4090"]

    def forward(b):
        return cost.roofline(a, dev, "fp32", b).with_concat.predicted_seconds

    # 60,000 = 468 × 128 + 96
    assert cost.epoch_seconds(a, dev, "fp32", 128) == pytest.approx(3 * (468 * forward(128) + forward(96)))
    assert cost.epoch_seconds(a, dev, "fp32", 100, images=1_000) == pytest.approx(30 * forward(100))


def test_unsupported_dtype_and_unknown_device_are_refused_naming_the_field():
    a = analyze(get_preset("d2l"))
    with pytest.raises(SpecError) as err:
        cost.roofline(a, devices.PRESETS["v100"], "bf16")
    assert err.value.field == "dtype" and "fp32, fp16" in str(err.value)
    with pytest.raises(SpecError) as err:
        devices.get("tpu")
    assert err.value.field == "device"
    for bad in (0, -1, cost.MAX_BATCH + 1, 1.5, True):
        with pytest.raises(SpecError) as err:
            cost.memory(a, bad)
        assert err.value.field == "batch"
    with pytest.raises(SpecError) as err:
        cost.memory(a, 1, "fp64")
    assert err.value.field == "dtype"
    with pytest.raises(SpecError) as err:
        cost.memory(a, 1, "fp32", "lion")
    assert err.value.field == "optimizer"


# --- devices ----------------------------------------------------------------------------------------------


def test_device_presets_cite_their_vendor_and_use_dense_peaks():
    kinds = {d.kind for d in devices.PRESETS.values()}
    assert {"data-centre GPU", "consumer GPU", "CPU"} <= kinds
    assert len([d for d in devices.PRESETS.values() if d.kind == "data-centre GPU"]) >= 2
    for d in devices.PRESETS.values():
        assert ("nvidia.com" in d.source) or ("amd.com" in d.source), d.name
        assert d.has("fp32") and d.bandwidth > 0 and d.memory_bytes > 0
    a100, h100 = devices.PRESETS["a100"], devices.PRESETS["h100"]
    assert a100.peak("bf16") == 312e12  # the datasheet's 624 is with sparsity
    assert h100.peak("fp16") == 1_979e12 / 2  # printed with sparsity; half without
    assert not devices.PRESETS["v100"].has("bf16")


def test_this_cpu_is_measured_within_its_bound_and_once():
    t0 = time.perf_counter()
    d = devices.measure_cpu(max_seconds=1.0)
    assert time.perf_counter() - t0 < 4.0  # the allocations and the last timed product may run over a little
    assert d.measured and d.has("fp32") and d.peak("fp32") > 1e8 and d.bandwidth > 1e8
    first = devices.this_cpu()
    assert devices.this_cpu() is first and devices.get("this-cpu") is first


# --- command line -------------------------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "googlenet", *args], capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_cli_cost_json_prints_exactly_the_listed_fields():
    r = run_cli("cost", "googlenet-torchvision", "--batch", "32", "--dtype", "bf16", "--optimizer", "adam", "--device", "h100",
                "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) == {"memory", "layers"}
    assert set(out["memory"]) == {"weights_bytes", "gradients_bytes", "optimizer_bytes", "saved_activations_bytes", "input_bytes",
                                  "peak_inference_bytes", "training_total_bytes"}
    assert all(set(row) == {"name", "flops", "bytes_moved", "intensity", "predicted_seconds", "bound"} for row in out["layers"])
    net = get_preset("googlenet-torchvision")
    theirs, _ = saved_by_torch(build(net, device="meta"), net, 32)
    assert cost.memory(analyze(net), 32).saved_activations_bytes == theirs
    assert out["memory"]["weights_bytes"] == 4 * 6_624_904
    assert out["memory"]["optimizer_bytes"] == 2 * 4 * 6_624_904 + 4 * len(list(build(net, device="meta").parameters()))
    assert [row["name"] for row in out["layers"]] == [n.key for n in analyze(net).layers]
    assert sum(row["flops"] for row in out["layers"]) == 32 * 2 * 1_498_376_192


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_cost_table_and_devices(capsys):
    code, out, err = run_main(capsys, "cost", "d2l", "--batch", "128", "--device", "rtx-4090", "--input", "1x224x224")
    assert code == 0, err
    a = analyze(replace(get_preset("d2l"), input=(1, 224, 224)))
    m = cost.memory(a, 128)
    assert f"{m.training_total_bytes / 1e6:,.1f} MB" in out
    assert f"largest batch that fits in 24 GiB: {cost.largest_batch(a, 24 * devices.GiB):,}" in out
    assert "inception5a.branch1.conv" in out and "Concat copies" in out
    code, out, _ = run_main(capsys, "devices")
    lines = out.splitlines()
    assert [x.split()[0] for x in lines] == devices.names()
    assert all("datasheet" in x or "specifications" in x or "whitepaper" in x for x in lines[:-1])


@pytest.mark.parametrize(
    "args, message",
    [
        (("cost", "d2l", "--device", "tpu"), "device: unknown device 'tpu'"),
        (("cost", "d2l", "--device", "v100", "--dtype", "bf16"), "dtype: NVIDIA Tesla V100"),
        (("cost", "d2l", "--batch", "0"), "batch: must be ≥ 1, got 0"),
        (("cost", "d2l", "--dtype", "fp64"), "invalid choice"),
        (("cost", "d2l", "--device", "ryzen-9-7950x", "--dtype", "fp16"), "choose one of: fp32"),
    ],
)
def test_cli_cost_errors_exit_2_naming_the_field(capsys, args, message):
    code, _, err = run_main(capsys, *args)
    assert code == 2
    assert err.startswith("error: ") and message in err and "Traceback" not in err
