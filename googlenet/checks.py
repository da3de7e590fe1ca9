"""Independent checks of the analysis, for the "Code & checks" page.

``torchinfo_check(net)`` builds the network and lets torchinfo, a tool that knows nothing of
our spec, count it: total and per-layer params, per-layer output shapes, and mult-adds.
Every check compares a number our analysis computed by arithmetic with one torchinfo
measured on the live module, so a wrong analysis shows as "differs". What the comparison
cannot catch: the built module takes its channel counts from the analysis (the width
multiplier's rounding is ours), but spatial sizes, parameter tensors, concat widths and
the forward pass itself are PyTorch's.

``measure_latency(net)`` times real CPU forward passes, after refusing (``TooLargeToRun``)
networks whose memory or MACs would stall a shared machine, before anything is allocated.
"""

from __future__ import annotations

import math
import os
import statistics
import threading
import time
from dataclasses import dataclass
from typing import Callable

import torch

from .analysis import Analysis, Node, analyze, shape_str
from .build import build
from .naming import node_parts
from .spec import BatchNorm, Conv, Linear, Network

# --- torchinfo --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One comparison: our figure, torchinfo's, whether they agree, and what was compared."""

    name: str
    ours: int | str
    theirs: int | str
    agrees: bool
    note: str = ""
    # the text fields as (template, values) pieces, by field ("name", "note", "ours", "theirs"),
    # so an interface can say them in its language; the English fields above are these filled in
    texts: tuple = ()

    @property
    def verdict(self) -> str:
        return "agrees" if self.agrees else "differs"


def _summary(model: torch.nn.Module, shape: tuple[int, ...], mode: str, device: str):
    import torchinfo

    try:
        return torchinfo.summary(model, input_size=shape, device=device, mode=mode, verbose=0)
    finally:
        # torchinfo keeps the last summary per model class (holding the model) even when
        # its cache is off; let the model go
        clear = getattr(getattr(torchinfo, "torchinfo", None), "clear_cached_forward_pass", None)
        if clear is not None:
            clear()


def _shape(shape) -> str:
    return shape_str(shape) if shape else "-"


# The words of the checks, by code (templates with their values filled in by ``_t``).
CHECK_WORDS: dict[str, str] = {
    "params_total": "params (total)",
    "params_total.note": "torchinfo's total_params: every parameter of the model (torchinfo ran {where})",
    "params_total.not_run": (
        "; {n} of them are in modules that did not run in its eval-mode forward (the aux heads {heads}): torchinfo "
        "counts those only as the root module's parameters that no executed layer claimed"
    ),
    "where.meta": "on the meta device",
    "where.cpu": "on the CPU (the meta device failed: {error})",
    "params_run": "params (layers run at inference)",
    "params_run.note": "the sum over the layers torchinfo saw run in one eval-mode forward",
    "macs.unreproduced": (
        "could not reproduce torchinfo's total mult-adds ({total}) from its per-layer rule ({reproduced}); its "
        "counting may have changed, so its figure is not comparable"
    ),
    "macs.note": (
        "torchinfo reports {total} mult-adds. Its rule (layer_info.calculate_macs) also counts one add per bias "
        "element per output position (conv: channels × H × W; linear: features; {bias} here) and each BatchNorm's "
        "weight and bias once per channel, not per position ({batchnorm}); without those, {weights} are the conv "
        "and linear weight multiply-accumulates, which is what we count"
    ),
    "rule": "mult-adds in torchinfo's rule",
    "rule.note": (
        "our MACs plus one add per conv output element with a bias, one per linear output with a bias, and 2 per "
        "BatchNorm channel, against torchinfo's total_mult_adds as it prints it"
    ),
    "output": "output shape",
    "output.note": "the model's output, batch dimension dropped",
    "what.layer": "layer",
    "what.aux": "aux head",
    "shapes": "{what} output shapes",
    "shapes.note": (
        "each layer's output shape (batch dimension dropped) from torchinfo's forward hooks on its modules; "
        "concat and add have none"
    ),
    "params": "{what} params",
    "params.note": "each layer's parameter count (numel; BatchNorm's weight and bias included) as torchinfo counts its module",
    "layers.ours": "{n} layers",
    "layers.theirs": "{matched} of {n} match",
    "layers.unaccounted": ", {n} modules unaccounted for",
    "layers.differs": ". Differs: ",
    "layers.more": "; and {n} more",
    "problem.no_module": "{key}: no module at {module} ran",
    "problem.shape": "{key}: ours {ours}, torchinfo {theirs}",
    "problem.params": "{key}: ours {ours}, torchinfo {theirs}",
    "problem.unclaimed": "{name}: {n} params in no layer of ours",
    "aux_macs": "aux head MACs",
    "aux_macs.note": (
        "conv and linear weight multiply-accumulates of the aux heads, per image, from a training-mode forward "
        "with a batch of 2 (BatchNorm cannot train on one value)"
    ),
    "sep": "; ",
}


def _t(code: str, **values) -> tuple[tuple[str, tuple], ...]:
    """One piece of a check's text: its template (a msgid) and its values."""
    return ((CHECK_WORDS[code], tuple(values.items())),)


def _en(parts) -> str:
    """The pieces in English; a value that is itself pieces (a tuple) is filled in first."""
    return "".join(template.format(**{k: _en(v) if isinstance(v, tuple) else v for k, v in values}) for template, values in parts)


def _check(name, ours, theirs, agrees: bool, note) -> Check:
    """A check whose text fields are pieces (``_t``); ints stay ints."""
    texts = tuple((field, parts) for field, parts in (("name", name), ("note", note), ("ours", ours), ("theirs", theirs))
                  if isinstance(parts, tuple))
    text = {field: _en(parts) for field, parts in texts}
    return Check(text.get("name", name), text.get("ours", ours), text.get("theirs", theirs), agrees, text.get("note", ""), texts)


@dataclass(frozen=True)
class _Run:
    """The layers of one torchinfo forward, by qualified module name."""

    by_name: dict  # name → torchinfo LayerInfo of a module that ran
    leaves: list  # (name, LayerInfo) of executed leaf modules
    root: object
    total_params: int
    total_mult_adds: int
    batch: int


def _run(model: torch.nn.Module, net: Network, mode: str, batch: int, device: str) -> _Run:
    stats = _summary(model, (batch, *net.input), mode, device)
    names = {id(m): n for n, m in model.named_modules()}
    by_name, leaves = {}, []
    for info in stats.summary_list:
        if not info.executed or info.layer_id not in names:
            continue
        name = names[info.layer_id]
        by_name[name] = info
        if info.is_leaf_layer:
            leaves.append((name, info))
    root = next(i for i in stats.summary_list if i.depth == 0)
    return _Run(by_name, leaves, root, stats.total_params, stats.total_mult_adds, batch)


def _their_macs(run: _Run, prefix: str = "") -> dict[str, int]:
    """torchinfo's mult-adds of the executed leaves, split by what they multiply, per image.

    Its rule (``torchinfo/layer_info.py``, ``LayerInfo.calculate_macs``): for each parameter
    named ``weight`` or ``bias`` of a module whose class name contains "Conv", numel × batch ×
    output H × W; for any other module, numel × batch (once per image, not per position).
    So a conv's weight term is exactly our MACs, its bias term adds one per output element,
    a linear layer's weight term is our MACs, and BatchNorm adds 2 × channels.
    """
    parts = {"weights": 0, "bias": 0, "batchnorm": 0, "other": 0}
    for name, info in run.leaves:
        if prefix and not name.startswith(prefix):
            continue
        cls = info.class_name
        out = list(info.output_size)
        for pname, p in info.module.named_parameters():
            n = p.numel()
            if pname not in ("weight", "bias"):
                term, part = math.prod(out[:2]) * n, "other"
            else:
                term = n * math.prod(out[:1] + out[2:]) if "Conv" in cls else out[0] * n
                if "BatchNorm" in cls:
                    part = "batchnorm"
                elif pname == "bias":
                    part = "bias"
                elif "Conv" in cls or cls == "Linear":
                    part = "weights"
                else:
                    part = "other"
            parts[part] += term
    return {k: v // run.batch for k, v in parts.items()}


def _ours_in_their_rule(rows: list[Node]) -> int:
    """Our analysis restated in torchinfo's counting rule (see ``_their_macs``)."""
    total = 0
    for r in rows:
        layer = r.layer
        total += r.macs
        if isinstance(layer, Conv):
            c, h, w = r.out_shape
            total += (c * h * w if layer.bias else 0) + (2 * (r.in_shape[0] if layer.order == "pre" else c) if layer.bn else 0)
        elif isinstance(layer, BatchNorm):
            total += 2 * r.in_shape[0]
        elif isinstance(layer, Linear) and layer.bias:
            total += r.out_shape[0]
    return total


def _claimed(name: str, rows: set[str]) -> bool:
    parts = name.split(".")
    return any(".".join(parts[:i]) in rows for i in range(1, len(parts) + 1))


def _under(run: _Run, modules: tuple[str, ...]) -> list:
    """The executed leaf modules at one of ``modules`` or inside it (a conv's conv and
    BatchNorm, or a flat conv and its BatchNorm beside it), in the order they ran."""
    return [info for name, info in run.leaves if any(name == m or name.startswith(m + ".") for m in modules)]


def _layer_checks(rows: list[Node], run: _Run, leaves: list, what: str) -> list[Check]:
    """Per-layer output shapes and params of ``rows`` against the modules at their module paths
    (a merge has none); ``leaves``: the executed leaf modules whose params some row must account for."""
    shapes: list[str] = []
    params: list[str] = []
    rows = [r for r in rows if r.module]
    for r in rows:
        ran = _under(run, node_parts(r))
        if not ran:
            shapes.append(_t("problem.no_module", key=r.key, module=r.module))
            params.append(_t("problem.no_module", key=r.key, module=r.module))
            continue
        theirs = tuple(ran[-1].output_size[1:])
        if theirs != tuple(r.out_shape):
            shapes.append(_t("problem.shape", key=r.key, ours=_shape(r.out_shape), theirs=_shape(theirs)))
        n = sum(info.num_params for info in ran)
        if n != r.params:
            params.append(_t("problem.params", key=r.key, ours=f"{r.params:,}", theirs=f"{n:,}"))
    names = {m for r in rows for m in node_parts(r)}
    unclaimed = [
        _t("problem.unclaimed", name=name, n=f"{info.num_params:,}")
        for name, info in leaves
        if info.num_params and not _claimed(name, names)
    ]
    whose = _t("what.aux" if what == "aux head" else "what.layer")

    def check(title: str, bad: list, extra: list, rule: str) -> Check:
        n = len(rows)
        theirs = _t("layers.theirs", matched=n - len(bad), n=n) + (_t("layers.unaccounted", n=len(extra)) if extra else ())
        problems = bad + extra
        shown = tuple(piece for i, problem in enumerate(problems[:3]) for piece in (_t("sep") if i else ()) + problem)
        if len(problems) > 3:
            shown += _t("layers.more", n=len(problems) - 3)
        note = _t(rule) + (_t("layers.differs") + shown if problems else ())
        return _check(_t(title, what=whose), _t("layers.ours", n=n), theirs, not problems, note)

    return [check("shapes", shapes, [], "shapes.note"), check("params", params, unclaimed, "params.note")]


def torchinfo_check(net: Network, ours: Analysis | None = None) -> list[Check]:
    """torchinfo's counts of the built ``net`` against our analysis ``ours`` (by default
    ``analyze(net)``; pass another analysis to see the checks fail).

    torchinfo runs one eval-mode forward, batch 1, on the ``meta`` device (nothing is
    allocated); with aux heads on, a second, training-mode forward (batch 2, since BatchNorm
    cannot train on one value) checks the aux heads, which only run in training.
    """
    a = ours if ours is not None else analyze(net)
    t = a.totals
    device, where = "meta", _t("where.meta")
    model = build(net, device="meta")
    try:
        run = _run(model, net, "eval", 1, device)
    except RuntimeError as err:  # an op without a meta kernel: measure on the CPU instead
        check_runnable(net)
        device, where = "cpu", _t("where.cpu", error=str(err).splitlines()[0])
        model = build(net)
        run = _run(model, net, "eval", 1, device)
    main_rows = [r for r in a.layers if not r.aux]
    aux_names = [h.name for h in net.aux] if net.aux_enabled else []
    checks: list[Check] = []

    ran = sum(info.num_params for _, info in run.leaves)
    not_run = run.total_params - ran
    note = _t("params_total.note", where=where)
    if not_run:
        note += _t("params_total.not_run", n=f"{not_run:,}", heads=", ".join(aux_names) or "?")
    checks.append(_check(_t("params_total"), t.params, run.total_params, t.params == run.total_params, note))
    checks.append(_check(_t("params_run"), t.params - t.aux_params, ran, t.params - t.aux_params == ran, _t("params_run.note")))

    macs = _their_macs(run)
    reproduced = sum(macs.values())
    if reproduced != run.total_mult_adds:
        checks.append(_check("MACs", t.macs, run.total_mult_adds, False, _t(
            "macs.unreproduced", total=f"{run.total_mult_adds:,}", reproduced=f"{reproduced:,}")))
    else:
        checks.append(_check("MACs", t.macs, macs["weights"], t.macs == macs["weights"], _t(
            "macs.note", total=f"{run.total_mult_adds:,}", bias=f"{macs['bias']:,}", batchnorm=f"{macs['batchnorm']:,}",
            weights=f"{macs['weights']:,}")))
    ours_rule = _ours_in_their_rule(main_rows)
    checks.append(_check(_t("rule"), ours_rule, run.total_mult_adds, ours_rule == run.total_mult_adds, _t("rule.note")))
    theirs_out = tuple(run.root.output_size[1:])
    checks.append(_check(_t("output"), _shape(t.output_shape), _shape(theirs_out), tuple(t.output_shape) == theirs_out,
                         _t("output.note")))
    checks += _layer_checks(main_rows, run, run.leaves, "layer")

    aux_rows = [r for r in a.layers if r.aux]
    if aux_names or aux_rows:
        train = _run(model, net, "train", 2, device)
        aux_leaves = [(n, i) for n, i in train.leaves if n.split(".", 1)[0] in aux_names]
        checks += _layer_checks(aux_rows, train, aux_leaves, "aux head")
        aux_macs = sum(_their_macs(train, f"{name}.")["weights"] for name in aux_names)
        checks.append(_check(_t("aux_macs"), t.aux_macs, aux_macs, t.aux_macs == aux_macs, _t("aux_macs.note")))
    return checks


# --- latency ----------------------------------------------------------------------------------

MAX_RUN_BYTES = 2_000_000_000  # weights + peak activations of a measured forward pass
MAX_RUN_MACS = 200_000_000_000  # per image
MAX_THREADS = 4
MIN_TIMED = 3  # timed passes kept even when the time budget runs out

_LOCK = threading.Lock()  # one measurement at a time: they share the CPU and torch's thread count


# The refusals' English, by code; an interface translates ``err.template`` with ``err.values``.
MESSAGES: dict[str, str] = {
    "run.memory": (
        "too large to run: one forward pass needs about {need} of memory (weights {weights} + peak "
        "activations {peak}); the limit is {limit}"
    ),
    "run.macs": "too large to run: one forward pass is {gmacs} GMACs; the limit is {limit} GMACs",
}


class TooLargeToRun(ValueError):
    """The network would need more memory or compute than a measurement may use."""

    def __init__(self, code: str, **values):
        """``TooLargeToRun(code, **values)``; a text of its own is kept as it is (no code)."""
        if code in MESSAGES:
            self.code, self.values, self.template = code, values, MESSAGES[code]
            code = self.template.format(**values)
        else:
            self.code, self.values, self.template = None, {}, None
        super().__init__(code)


def _gb(n: int) -> str:
    return f"{n / 1e9:,.2f} GB"


def check_runnable(net: Network) -> Analysis:
    """Refuse (``TooLargeToRun``) a network too large to run here; from the analysis only."""
    a = analyze(net)
    t = a.totals
    need = t.weights_bytes + t.peak_activation_bytes
    if need > MAX_RUN_BYTES:
        raise TooLargeToRun("run.memory", need=_gb(need), weights=_gb(t.weights_bytes),
                            peak=_gb(t.peak_activation_bytes), limit=_gb(MAX_RUN_BYTES))
    if t.macs > MAX_RUN_MACS:
        raise TooLargeToRun("run.macs", gmacs=f"{t.macs / 1e9:,.1f}", limit=f"{MAX_RUN_MACS / 1e9:,.0f}")
    return a


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _quantile(xs: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), ``xs`` sorted."""
    pos = q * (len(xs) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


@dataclass(frozen=True)
class Latency:
    """Wall-clock time of one eval-mode forward pass, batch 1, on the CPU."""

    median_ms: float
    p10_ms: float
    p90_ms: float
    samples_ms: tuple[float, ...]  # the timed passes, in order
    warmup: int
    threads: int
    input: tuple[int, int, int]
    macs: int
    torch_version: str

    @property
    def repeats(self) -> int:
        return len(self.samples_ms)

    @property
    def gmacs_per_s(self) -> float:
        return self.macs / (self.median_ms / 1e3) / 1e9


def measure_latency(
    net: Network,
    repeats: int = 20,
    warmup: int = 3,
    threads: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    max_seconds: float | None = 30.0,
) -> Latency:
    """Time ``repeats`` forward passes after ``warmup`` untimed ones: eval mode, batch 1,
    ``torch.inference_mode``, fresh random weights and input (the global RNG is left as it was).

    ``threads``: torch's intra-op threads, at most ``min(MAX_THREADS, CPUs)`` (default that
    bound); the previous setting is restored. ``progress(done, total)`` is called before the
    first pass and after each one (total = warmup + repeats). Once ``max_seconds`` have passed,
    timing stops after at least ``MIN_TIMED`` passes. Raises ``TooLargeToRun`` before
    building anything if the network is over ``MAX_RUN_BYTES`` or ``MAX_RUN_MACS``.
    """
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a whole number ≥ 1, got {repeats!r}")
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be a whole number ≥ 0, got {warmup!r}")
    bound = min(MAX_THREADS, _cpus())
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads must be a whole number ≥ 1, got {threads!r}")
    n_threads = bound if threads is None else min(threads, bound)
    a = check_runnable(net)  # before allocating anything
    total = warmup + repeats
    with _LOCK:
        saved = torch.get_num_threads()
        torch.set_num_threads(n_threads)
        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                model = build(net).eval()
                x = torch.randn(1, *net.input)
            if progress is not None:
                progress(0, total)
            samples: list[float] = []
            start = time.perf_counter()
            with torch.inference_mode():
                for i in range(total):
                    t0 = time.perf_counter_ns()
                    model(x)
                    elapsed = time.perf_counter_ns() - t0
                    if i >= warmup:
                        samples.append(elapsed / 1e6)
                    if progress is not None:
                        progress(i + 1, total)
                    if max_seconds is not None and len(samples) >= MIN_TIMED and time.perf_counter() - start > max_seconds:
                        if progress is not None and i + 1 < total:
                            progress(total, total)
                        break
            del model, x
        finally:
            torch.set_num_threads(saved)
    ordered = sorted(samples)
    return Latency(
        median_ms=statistics.median(ordered),
        p10_ms=_quantile(ordered, 0.1),
        p90_ms=_quantile(ordered, 0.9),
        samples_ms=tuple(samples),
        warmup=warmup,
        threads=n_threads,
        input=tuple(net.input),
        macs=a.totals.macs,
        torch_version=torch.__version__,
    )
