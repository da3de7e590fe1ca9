"""Glue of the Hardware page: the pickers, the bounded caches of memory and roofline results,
the plotly figures (plain figure JSON, as ``ui.charts`` makes them), and the measurement with
its progress bar, time budget and cancel button. The numbers come from ``googlenet.cost``,
``googlenet.devices`` and ``googlenet.profile``; this module only shows them.

Widget keys start with ``hw_``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd
import streamlit as st

from googlenet import analyze, cost, devices
from googlenet.analysis import Analysis
from googlenet.checks import TooLargeToRun
from googlenet.profile import MAX_BATCH as MAX_PROFILE_BATCH
from googlenet.profile import Busy, Cancelled, Profile, profile_layers
from googlenet.render import KIND_COLORS
from googlenet.spec import Network, SpecError

from . import i18n, jobs, state
from .charts import PALETTE, Figure, _figure, _text
from .i18n import N_, _
from .studio import plotly_figure, show_wait

BATCHES = (1, 2, 4, 8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 4096)
DTYPE_LABELS = {"fp32": "fp32", "fp16": N_("fp16 mixed precision"), "bf16": N_("bf16 mixed precision")}
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": N_("SGD with momentum"), "adam": "Adam", "adamw": "AdamW"}
PARTS = (  # (label, Memory field, colour): the training total, bottom to top
    (N_("weights"), "weights_bytes", PALETTE[0]),
    (N_("buffers"), "buffers_bytes", PALETTE[7]),
    (N_("gradients"), "gradients_bytes", PALETTE[1]),
    (N_("optimizer state"), "optimizer_bytes", PALETTE[2]),
    (N_("saved activations"), "saved_activations_bytes", PALETTE[3]),
    (N_("input batch"), "input_bytes", PALETTE[4]),
)
BOUND = {"compute": N_("compute"), "memory": N_("memory"), "none": N_("none")}  # a layer's cost.LayerCost.bound

PROFILE_WAIT_S = 60.0  # longest wait in line for the server before a measurement is refused
LOG = {"type": "log", "dtick": 1, "exponentformat": "SI"}  # a tick at every power of ten, no minor labels



def left_out(a: Analysis) -> str:
    """What the roofline leaves out, said of this network."""
    convs = sum(1 for n in a.layers if n.kind == "conv" and not n.aux)
    cats = sum(1 for n in a.layers if n.kind == "concat" and not n.aux)
    return _(
        "**What the roofline leaves out.** Each layer is timed alone as if its input, weights and output crossed "
        "memory exactly once. Left out: *kernel launch overhead* (a few microseconds per op on a GPU, which dominates "
        "at small batches: this network runs {convs} convs, each a launch or more), *cache reuse* between layers (a "
        "block's input read by each of its branches is counted each time, though it may stay in cache), a conv's "
        "separate BatchNorm and ReLU passes when they are not fused, and the *concatenations*{here}: eager PyTorch "
        "copies every branch output into the block's output, pure memory traffic, shown apart. "
        "That copy, with the many small 1×1 convs of low arithmetic intensity, is part of why an Inception network "
        "is slower than its FLOPs suggest."
    ).format(convs=convs, here=_(" ({n} here)").format(n=cats) if cats else "")


@dataclass(frozen=True)
class Choice:
    device: str
    dtype: str
    batch: int
    optimizer: str


# --- formatting --------------------------------------------------------------------------------------


def nbytes(n: float) -> str:
    """Bytes with a decimal prefix: 23.9 MB, 1.21 GB."""
    for div, p in ((1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if abs(n) >= div:
            return f"{n / div:,.3g} {p}" if abs(n / div) < 1000 else f"{n / div:,.0f} {p}"
    return f"{n:,.0f} B"


def seconds(s: float) -> str:
    if s >= 3600:
        return f"{s / 3600:,.2f} h"
    if s >= 60:
        return f"{s / 60:,.1f} min"
    if s >= 1:
        return f"{s:,.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:,.3g} ms"
    return f"{s * 1e6:,.3g} µs"


def flops_per_s(f: float) -> str:
    return f"{f / 1e12:,.3g} TFLOP/s" if f >= 1e11 else f"{f / 1e9:,.3g} GFLOP/s"


# --- bounded caches of immutable results ---------------------------------------------------------------


@lru_cache(maxsize=64)
def memory_of(net: Network, batch: int, dtype: str, optimizer: str) -> cost.Memory:
    return cost.memory(analyze(net), batch, dtype, optimizer)


@lru_cache(maxsize=64)
def roofline_of(net: Network, device: str, dtype: str, batch: int) -> cost.Roofline:
    return cost.roofline(analyze(net), devices.get(device, measure=False), dtype, batch)


@lru_cache(maxsize=64)
def largest_of(net: Network, memory_bytes: int, dtype: str, optimizer: str) -> int:
    return cost.largest_batch(analyze(net), memory_bytes, dtype, optimizer)


@lru_cache(maxsize=64)
def epoch_of(net: Network, device: str, dtype: str, batch: int, images: int) -> float:
    return cost.epoch_seconds(analyze(net), devices.get(device, measure=False), dtype, batch, images)


@lru_cache(maxsize=48)
def figure_json(kind: str, net: Network, device: str, dtype: str, batch: int, optimizer: str, lang: str = "en") -> str:
    """One of the page's figures as plotly JSON text (the figure dicts are mutable; text is not),
    its words in ``lang`` (the figures read the session's language; ``lang`` keys the cache)."""
    a = analyze(net)
    if kind == "memory":
        fig = memory_figure(memory_of(net, batch, dtype, optimizer))
    elif kind == "roofline":
        fig = roofline_figure(a, roofline_of(net, device, dtype, batch))
    else:
        fig = time_figure(a, roofline_of(net, device, dtype, batch))
    return json.dumps(fig, separators=(",", ":"))


def layer_columns(net: Network, choice: Choice) -> dict[str, dict[str, object]]:
    """The layer table's memory and predicted-time columns for the current choice, by layer key
    (``cost.COLUMNS``): join them to ``ui.tables.layers(a)`` on its ``Layer`` column. A new
    dict each call; what is cached is immutable."""
    return {key: dict(zip(cost.COLUMNS, values)) for key, values in
            _columns(net, choice.device, choice.dtype, choice.batch, choice.optimizer)}


@lru_cache(maxsize=32)
def _columns(net: Network, device: str, dtype: str, batch: int, optimizer: str) -> tuple[tuple[str, tuple], ...]:
    cols = cost.columns(analyze(net), devices.get(device, measure=False), dtype, batch, optimizer)
    return tuple((key, tuple(row[c] for c in cost.COLUMNS)) for key, row in cols.items())


# --- figures ---------------------------------------------------------------------------------------------


def memory_figure(m: cost.Memory) -> Figure:
    """The training total as one stacked bar, beside the peak of one inference pass."""
    data = []
    for label, attr, color in PARTS:
        v = getattr(m, attr)
        if attr == "input_bytes" and m.input_saved:
            continue  # counted among the saved activations
        data.append({
            "type": "bar", "orientation": "h", "y": [_("training")], "x": [v], "name": _(label), "marker": {"color": color},
            "hovertemplate": _("{label}<br>%{{x:,}} bytes ({bytes})").format(label=_(label), bytes=nbytes(v)) + "<extra></extra>",
        })
    data.append({
        "type": "bar", "orientation": "h", "y": [_("inference")], "x": [m.peak_inference_bytes],
        "name": _("peak activations (inference)"), "marker": {"color": PALETTE[5]},
        "hovertemplate": _("peak of one inference pass<br>%{{x:,}} bytes ({bytes})").format(bytes=nbytes(m.peak_inference_bytes))
        + "<extra></extra>",
    })
    data.append({
        "type": "bar", "orientation": "h", "y": [_("inference")], "x": [m.weights_bytes * cost.DTYPE_BYTES[m.dtype] // 4],
        "name": _("weights ({dtype})").format(dtype=m.dtype), "marker": {"color": PALETTE[0], "pattern": {"shape": "/"}},
        "hovertemplate": _("weights at the dtype<br>%{x:,} bytes") + "<extra></extra>",
    })
    fig = _figure(data, _("Memory at batch {batch}, {dtype}, {optimizer}").format(
        batch=m.batch, dtype=m.dtype, optimizer=_(OPTIMIZER_LABELS[m.optimizer])), height=260, barmode="stack",
                  xaxis={"title": {"text": _("bytes")}}, yaxis={"autorange": "reversed"})
    fig["layout"]["legend"]["traceorder"] = "normal"
    return fig


def _group(a: Analysis, key: str) -> str:
    """The colour group of a layer: its kind, with convs by kernel (1×1 convs are the memory-bound ones)."""
    n = a.layer(key)
    if n.kind == "conv" and n.kernel is not None:
        return f"conv {n.kernel[0]}×{n.kernel[1]}"
    return n.kind


GROUP_WORDS = {  # a layer kind → the diagram's word for it (googlenet.render.WORDS); others stay names
    "linear": "legend.linear", "maxpool": "legend.maxpool", "avgpool": "legend.avgpool", "concat": "concat", "add": "add",
    "batchnorm": "kind.batchnorm", "lrn": "kind.lrn", "adaptive_avg_pool": "kind.adaptive_avg_pool",
}


def _group_name(group: str) -> str:
    """A colour group as the legend names it: a conv's kernel as the diagrams label it
    (``conv 1×1``), any other kind in the diagram legend's words (全连接层 for ``linear``)."""
    key = GROUP_WORDS.get(group)
    return i18n.diagram_words()[key] if key else group


def roofline_figure(a: Analysis, r: cost.Roofline) -> Figure:
    """Log–log: each layer with FLOPs at (intensity, attainable FLOP/s), under the device's roof."""
    dev = r.device
    peak, bw = dev.peak(r.dtype), dev.bandwidth
    pts = [c for c in r.layers if c.flops > 0]
    groups: dict[str, list[cost.LayerCost]] = {}
    for c in pts:
        groups.setdefault(_group(a, c.name), []).append(c)
    ridge = peak / bw
    lo = min([ridge / 100] + [c.intensity / 2 for c in pts])
    hi = max([ridge * 100] + [c.intensity * 2 for c in pts])
    roof_x = [lo, ridge, hi]
    data = [{
        "type": "scatter", "mode": "lines", "x": roof_x, "y": [lo * bw, peak, peak], "name": _("roof"),
        "line": {"color": "#999999", "width": 2}, "hoverinfo": "skip",
    }]
    convs = sorted((g for g in groups if g.startswith("conv")), key=lambda g: -len(groups[g]))
    colors = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(convs)}
    for g, cs in sorted(groups.items(), key=lambda kv: (not kv[0].startswith("conv"), -len(kv[1]))):
        color = colors.get(g, KIND_COLORS.get(g, "#999999"))
        data.append({
            "type": "scatter", "mode": "markers", "x": [c.intensity for c in cs], "y": [c.attainable for c in cs],
            "name": _text(_group_name(g)), "marker": {"color": color, "size": 8, "line": {"width": 0.5, "color": "#333333"}},
            "text": [_text(c.name) for c in cs],
            "customdata": [[c.flops, c.bytes_moved, seconds(c.predicted_seconds), _(BOUND.get(c.bound, c.bound))] for c in cs],
            "hovertemplate": _("%{text}<br>%{x:.3g} FLOP/byte → %{y:.3s}FLOP/s<br>%{customdata[0]:,} FLOPs, "
                               "%{customdata[1]:,} bytes<br>%{customdata[2]}, %{customdata[3]}-bound") + "<extra></extra>",
        })
    fig = _figure(
        data, _("Roofline on {device}, {dtype}, batch {batch}").format(device=_text(i18n.translate(dev.title)), dtype=r.dtype, batch=r.batch),
        height=460,
        xaxis={"title": {"text": _("arithmetic intensity (FLOP per byte moved)")}, **LOG},
        yaxis={"title": {"text": _("attainable FLOP/s")}, **LOG},
    )
    fig["layout"]["annotations"] = [{
        "x": math.log10(ridge), "y": math.log10(peak), "xref": "x", "yref": "y",
        "text": _("ridge {ridge} FLOP/B").format(ridge=f"{ridge:,.1f}"),
        "showarrow": True, "arrowhead": 2, "ax": 40, "ay": 30,
    }]
    return fig


def time_figure(a: Analysis, r: cost.Roofline) -> Figure:
    """Where the time goes: each stage's predicted forward time, compute-bound, memory-bound,
    and its concatenation copies (which the layer model leaves out), stacked."""
    names = [s.name for s in a.stages]
    concat = {s.name: 0.0 for s in a.stages}
    for c in r.layers:
        if c.kind == "concat":
            concat[a.layer(c.name).stage] += c.predicted_seconds
    compute, memory_ = [], []
    groups = r.groups
    for s in a.stages:
        g = groups.get(s.key, cost.CostSum())
        memory_.append(g.memory_bound_seconds)
        compute.append(g.predicted_seconds - g.memory_bound_seconds)
    data = []
    for label, ys, color in ((_("compute-bound layers"), compute, PALETTE[0]), (_("memory-bound layers"), memory_, PALETTE[1]),
                             (_("concat copies"), [concat[n] for n in names], KIND_COLORS["concat"])):
        data.append({
            "type": "bar", "x": [_text(n) for n in names], "y": ys, "name": label, "marker": {"color": color},
            "customdata": [seconds(y) for y in ys], "hovertemplate": "%{x}<br>%{customdata}<extra>" + label + "</extra>",
        })
    fig = _figure(data, _("Where the time goes: predicted forward time per stage"), height=380, barmode="stack",
                  yaxis={"title": {"text": _("seconds")}})
    fig["layout"]["legend"]["traceorder"] = "normal"
    return fig


def measured_figure(a: Analysis, p: Profile) -> Figure:
    """Measured against predicted per layer, log–log, with the line where they agree."""
    pts = [t for t in p.layers if t.measured_seconds > 0 and t.predicted_seconds > 0]
    groups: dict[str, list] = {}
    for t in pts:
        groups.setdefault(_group(a, t.name), []).append(t)
    lo = min([t.predicted_seconds for t in pts] + [t.measured_seconds for t in pts] + [1e-6])
    hi = max([t.predicted_seconds for t in pts] + [t.measured_seconds for t in pts] + [1e-3])
    data = [{"type": "scatter", "mode": "lines", "x": [lo, hi], "y": [lo, hi], "name": _("measured = predicted"),
             "line": {"color": "#999999", "dash": "dash"}, "hoverinfo": "skip"}]
    for i, (g, ts) in enumerate(sorted(groups.items(), key=lambda kv: -len(kv[1]))):
        data.append({
            "type": "scatter", "mode": "markers", "x": [t.predicted_seconds for t in ts], "y": [t.measured_seconds for t in ts],
            "name": _text(_group_name(g)),
            "marker": {"color": KIND_COLORS.get(g, PALETTE[i % len(PALETTE)]) if not g.startswith("conv") else PALETTE[i % len(PALETTE)], "size": 7},
            "text": [_text(t.name) for t in ts],
            "customdata": [[seconds(t.predicted_seconds), seconds(t.measured_seconds)] for t in ts],
            "hovertemplate": _("%{text}<br>predicted %{customdata[0]}<br>measured %{customdata[1]}") + "<extra></extra>",
        })
    fig = _figure(data, _("Measured on this CPU against the roofline's prediction (batch {batch})").format(batch=p.batch), height=480,
                  xaxis={"title": {"text": _("predicted seconds")}, **LOG},
                  yaxis={"title": {"text": _("measured seconds (median)")}, **LOG})
    fig["layout"]["legend"].update(yanchor="top", y=-0.15, xanchor="left", x=0)  # many kinds: below the plot
    fig["layout"]["margin"]["b"] = 90
    return fig


def show(kind: str, net: Network, choice: Choice, key: str) -> None:
    fig = json.loads(figure_json(kind, net, choice.device, choice.dtype, choice.batch, choice.optimizer, i18n.language()))
    st.plotly_chart(plotly_figure(fig), key=key)


# --- tables ----------------------------------------------------------------------------------------------


def saved_table(a: Analysis, m: cost.Memory) -> pd.DataFrame:
    """Saved-for-backward bytes per stage and block (and aux head), with their share."""
    rows = []
    total = m.saved_activations_bytes or 1
    by = m.saved_by_layer

    def saved_in(node) -> int:
        return sum(by.get(n.key, 0) for n in node.leaves())

    where, kind, saved, share = _("Where"), _("Kind"), _("Saved bytes"), _("Share")
    if m.input_saved:
        rows.append({where: _("input batch"), kind: _("input"), saved: m.input_bytes, share: m.input_bytes / total})
    for st_ in a.stages:
        rows.append({where: st_.name, kind: _("stage"), saved: saved_in(st_), share: saved_in(st_) / total})
        for b in st_.children:
            if b.kind == "block":
                rows.append({where: f"  {b.name}", kind: b.layer.kind or _("block"), saved: saved_in(b),
                             share: saved_in(b) / total})
    for h in a.aux:
        rows.append({where: h.name, kind: _("aux head"), saved: saved_in(h), share: saved_in(h) / total})
    return pd.DataFrame(rows, columns=[where, kind, saved, share])


def roofline_table(r: cost.Roofline, m: cost.Memory) -> pd.DataFrame:
    saved = m.saved_by_layer
    return pd.DataFrame(
        [{
            _("Layer"): c.name, _("Kind"): c.kind, "FLOPs": c.flops, _("Bytes moved"): c.bytes_moved, _("FLOP/byte"): round(c.intensity, 2),
            _("Attainable TFLOP/s"): round(c.attainable / 1e12, 4), _("Predicted µs"): round(c.predicted_seconds * 1e6, 3),
            _("Bound"): _(BOUND.get(c.bound, c.bound)), _("Saved for backward (bytes)"): saved.get(c.name, 0),
        } for c in r.layers],
    )


def measured_table(p: Profile) -> pd.DataFrame:
    return pd.DataFrame(
        [{
            _("Layer"): t.name, _("Kind"): t.kind, _("Measured µs"): round(t.measured_seconds * 1e6, 1),
            _("Predicted µs"): round(t.predicted_seconds * 1e6, 2),
            _("Measured / predicted"): round(t.measured_seconds / t.predicted_seconds, 2) if t.predicted_seconds else None,
        } for t in p.layers],
    )


# --- widgets ---------------------------------------------------------------------------------------------


def _device_label(name: str) -> str:
    """The picker's label of a device: the same on every run (Streamlit's selectbox finds the
    chosen option again by its label, so a label that changed once the CPU was measured lost
    the choice on the next run)."""
    if name == devices.THIS_CPU:
        return _("This machine's CPU ({state})").format(state=_("measured when chosen, about 2 s"))
    return devices.PRESETS[name].title


def pickers() -> Choice:
    """Device, dtype, batch and optimizer, in one row; the choice is kept by Streamlit per session."""
    cols = st.columns([3, 2, 3, 2])
    names = devices.names()
    device = cols[0].selectbox(_("Device"), names, index=names.index(devices.DEFAULT), format_func=_device_label, key="hw_device")
    dtype = cols[1].selectbox(_("Precision"), list(DTYPE_LABELS), format_func=lambda d: _(DTYPE_LABELS[d]), key="hw_dtype",
                              help=_("fp16/bf16: mixed precision (torch.autocast) — fp32 master weights, gradients and "
                                     "optimizer state; convs and linear layers in 16 bits"))
    batch = cols[2].select_slider(_("Batch size"), BATCHES, value=32, key="hw_batch")
    optimizer = cols[3].selectbox(_("Optimizer"), list(OPTIMIZER_LABELS), format_func=lambda o: _(OPTIMIZER_LABELS[o]),
                                  key="hw_optimizer")
    return Choice(device, dtype, batch, optimizer)


def resolve(choice: Choice) -> devices.Device:
    """The chosen device; this machine's CPU is measured here the first time (a spinner says so),
    in its turn in the server's line (the wait shown); after the wait's bound it measures anyway,
    as ``devices.this_cpu`` does: the benchmark is short."""
    if choice.device == devices.THIS_CPU and devices.measured() is None:
        slot = st.empty()

        in_line = show_wait(slot)

        def measure() -> devices.Device:
            slot.empty()
            with st.spinner(_("Measuring this machine's CPU (a matmul per dtype and a memory copy, about 2 s)…")):
                return devices.this_cpu()

        try:
            return jobs.SERVER.run(measure, "measurement", on_wait=in_line, wait_s=PROFILE_WAIT_S)
        except jobs.Busy:
            return measure()
    return devices.get(choice.device)


def device_caption(dev: devices.Device) -> None:
    peaks = ", ".join(f"{d} {flops_per_s(f)}" for d, f in dev.peaks)
    st.caption(_("**{device}**: {peaks}; {bandwidth} GB/s; {memory} GiB. Which figures: {basis}. Source: {source}.").format(
        device=state.md_literal(i18n.translate(dev.title)), peaks=peaks, bandwidth=f"{dev.bandwidth / 1e9:,.0f}",
        memory=f"{dev.memory_bytes / devices.GiB:,.0f}", basis=state.md_literal(i18n.translate(dev.basis), 600),
        source=state.md_literal(i18n.translate(dev.source), 400)))


def memory_section(net: Network, choice: Choice, dev: devices.Device) -> None:
    a = analyze(net)
    m = memory_of(net, choice.batch, choice.dtype, choice.optimizer)
    saved = _("what autograd keeps for the backward pass: unique storages, parameters excluded")
    if m.weight_copies_bytes:
        saved += _("; includes {n} bytes of 16-bit weight copies").format(n=f"{m.weight_copies_bytes:,}")
    if m.input_saved:
        saved += _("; includes the input batch, which the first layer saves")
    cards = [
        (_("Weights"), m.weights_bytes, _("fp32 (the master weights under mixed precision); BatchNorm's running statistics "
                                          "add {n} bytes of buffers").format(n=f"{m.buffers_bytes:,}")),
        (_("Gradients"), m.gradients_bytes, _("one fp32 gradient per parameter")),
        (_("Optimizer state"), m.optimizer_bytes, _("the tensors of optimizer.state_dict() after one step")),
        (_("Saved activations"), m.saved_activations_bytes, saved),
        (_("Input batch"), m.input_bytes, "fp32"),
        (_("Training total"), m.training_total_bytes, _("weights + buffers + gradients + optimizer state + saved activations")
         if m.input_saved else _("weights + buffers + gradients + optimizer state + saved activations + input batch")),
        (_("Peak of one inference pass"), m.peak_inference_bytes, _("activations only: the analysis's model of an eager forward at "
                                                                    "batch 1, fp32, times the batch (half at 16 bits)")),
    ]
    cols = st.columns(4)
    for i, (label, v, why) in enumerate(cards):
        cols[i % 4].metric(label, nbytes(v), help=_("{n} bytes — {why}").format(n=f"{v:,}", why=why))
    with cols[3]:
        gib = st.number_input(_("Fits in (GiB)"), 0.25, 100_000.0, value=float(dev.memory_bytes / devices.GiB), step=1.0,
                              key=f"hw_gib_{choice.device}", help=_("device memory, in GiB (what vendors call GB of GPU memory)"))
        fits = largest_of(net, int(gib * devices.GiB), choice.dtype, choice.optimizer)
        st.metric(_("Largest batch that fits"), f"{fits:,}" if fits else _("none"),
                  help=_("the largest batch whose training total is at most this memory (the total grows linearly with the batch)"))
    show("memory", net, choice, "hw_chart_memory")
    if choice.dtype != "fp32":
        st.caption(_("Mixed precision as `torch.autocast` runs it: the weights, gradients and optimizer state stay fp32 (the "
                     "weights are the master copy); each conv and linear layer saves a 16-bit copy of its weight and works "
                     "in 16 bits; BatchNorm keeps fp32 statistics; LRN computes in fp32."))
    with st.expander(_("Saved for backward, per stage and block")):
        st.dataframe(saved_table(a, m), hide_index=True, width="stretch", column_config={
            _("Saved bytes"): st.column_config.NumberColumn(format="localized"),
            _("Share"): st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
        })


def roofline_section(net: Network, choice: Choice, dev: devices.Device) -> None:
    problem = cost.unsupported(dev, choice.dtype)
    if problem is not None:
        st.warning(_("No roofline: {why}.").format(why=state.md_literal(i18n.error_detail(problem), 300)), icon=":material/block:")
        return
    r = roofline_of(net, choice.device, choice.dtype, choice.batch)
    m = memory_of(net, choice.batch, choice.dtype, choice.optimizer)
    t, cc = r.total, r.concat
    cols = st.columns(4)
    share = t.memory_bound_seconds / t.predicted_seconds if t.predicted_seconds else 0
    cols[0].metric(_("Forward, layers"), seconds(t.predicted_seconds),
                   help=_("{flops} FLOPs and {bytes} bytes at batch {batch}; {share} of it memory-bound").format(
                       flops=f"{t.flops:,}", bytes=f"{t.bytes_moved:,}", batch=r.batch, share=f"{share:.0%}"))
    cols[1].metric(_("Concat copies"), seconds(cc.predicted_seconds),
                   help=_("{bytes} bytes copied, no FLOPs").format(bytes=f"{cc.bytes_moved:,}"))
    cols[2].metric(_("Achieved"), flops_per_s(r.with_concat.achieved), help=_("FLOPs over the predicted time, concat copies included"))
    with cols[3]:
        images = st.number_input(_("Images per epoch"), 1, 100_000_000, value=cost.DEFAULT_IMAGES, step=10_000, key="hw_images",
                                 help=_("default: Fashion-MNIST's 60,000 training images, at the design's input size"))
        st.metric(_("Epoch, training"), seconds(epoch_of(net, choice.device, choice.dtype, choice.batch, int(images))),
                  help=_("forward + backward ≈ 3 × the forward, concat copies and aux heads included, every batch"))
    show("roofline", net, choice, "hw_chart_roofline")
    drawn = sum(1 for c in r.layers if c.flops > 0)
    st.caption(_("{drawn} layers with FLOPs (convs and linear layers) are drawn at their intensity; the other "
                 "{other} (pools, BatchNorm, LRN, concatenations, adds, flatten) do no counted FLOPs, so "
                 "they are memory-bound by definition: their time is in the chart below.").format(drawn=drawn, other=len(r.layers) - drawn))
    show("time", net, choice, "hw_chart_time")
    st.markdown(left_out(analyze(net)))
    with st.expander(_("Every layer: FLOPs, bytes, intensity, predicted time, and what it saves for backward")):
        number = st.column_config.NumberColumn(format="localized")
        st.dataframe(roofline_table(r, m), hide_index=True, width="stretch", height=420,
                     column_config={"FLOPs": number, _("Bytes moved"): number, _("Saved for backward (bytes)"): number})


def profile_in_turn(net: Network, batch: int, repeats: int, max_seconds: float, progress=None, on_wait=None,
                    in_line=None, starting=None, cancel=None, wait_s: float | None = None) -> Profile:
    """``profile_layers`` in its turn in the server's line (``jobs.SERVER``, shared with the
    latency measurement on the Code page): ``in_line(Waiting)`` while it waits, refused with
    ``jobs.Busy`` after ``wait_s`` (default ``PROFILE_WAIT_S``) with nothing run. Inside the
    turn the core's own lock is free (every measurement the app starts takes a turn first), so
    it is only held up by one started outside the line (the CLI's, in the same process), for
    which ``on_wait()`` is called. ``starting()`` once the turn has come."""
    with jobs.SERVER.turn("measurement", on_wait=in_line, wait_s=PROFILE_WAIT_S if wait_s is None else wait_s):
        if starting is not None:
            starting()
        if devices.measured() is None:
            with st.spinner(_("Measuring this machine's CPU first (once)…")):
                devices.this_cpu()
        return profile_layers(net, batch=batch, repeats=repeats, warmup=2, max_seconds=max_seconds,
                              progress=progress, on_wait=on_wait, cancel=cancel)


def measure_section(net: Network) -> None:
    """Measured against predicted on this CPU: a button, a progress bar, a time budget and a cancel button."""
    a = analyze(net)
    cols = st.columns([2, 2, 3, 2])
    batch = cols[0].number_input(_("Batch"), 1, MAX_PROFILE_BATCH, value=1, key="hw_profile_batch")
    repeats = cols[1].number_input(_("Timed passes"), 1, 50, value=5, key="hw_profile_repeats")
    budget = cols[2].slider(_("Time budget (s)"), 5, 60, value=20, key="hw_profile_budget",
                            help=_("timing stops when the budget is spent, after at least one timed pass"))
    key = "hw_profile_result"
    with cols[3]:
        st.write("")
        start = st.button(_("Measure on this CPU"), key="hw_measure", icon=":material/timer:", width="stretch")
    if st.session_state.pop("hw_cancelled", False):
        st.info(_("Measurement cancelled."), icon=":material/cancel:")
    if start:
        # clicking Cancel asks for a rerun, which Streamlit delivers by interrupting this run at
        # its next progress update (or its next wait in line); the measurement's finally blocks
        # free the CPU, and leaving the line lets the next one go
        cancel = st.empty()
        cancel.button(_("Cancel"), key="hw_cancel", on_click=lambda: st.session_state.__setitem__("hw_cancelled", True),
                      help=_("stops the measurement at the next pass"))
        bar = st.empty()  # the wait in line, then the progress

        in_line = show_wait(bar)

        def progress(done: int, total: int) -> None:
            bar.progress(done / total if total else 1.0, text=_("Pass {done} of {total} (warm-up first)").format(done=done, total=total))

        def waiting() -> None:
            bar.progress(0.0, text=_("Waiting: another measurement is running on this server (one at a time)…"))

        def building() -> None:
            bar.progress(0.0, text=_("Building the model…"))

        try:
            result = profile_in_turn(
                net, batch=int(batch), repeats=int(repeats), max_seconds=float(budget), progress=progress, on_wait=waiting,
                in_line=in_line, starting=building, cancel=lambda: st.session_state.get("hw_cancelled", False))
        except jobs.Busy as err:
            cancel.empty()
            bar.warning(_("Not measured: {why}.").format(why=state.md_literal(i18n.coded_text(err), 500)),
                        icon=":material/hourglass_disabled:")
            return
        except (TooLargeToRun, Busy, Cancelled, SpecError) as err:
            bar.empty()
            cancel.empty()
            text = i18n.error_text(err) if isinstance(err, SpecError) else i18n.coded_text(err)
            st.error(_("Not measured: {why}").format(why=state.md_literal(text, 500)), icon=":material/block:")
            return
        bar.empty()
        cancel.empty()
        st.session_state[key] = (net, result)
    stored = st.session_state.get(key)
    if stored is None:
        st.caption(_("Builds the model with random weights and times every layer in eval mode; at most one measurement runs "
                     "on the server at a time."))
        return
    measured_net, p = stored
    if measured_net != net:
        st.caption(_("The last measurement was of another design; measure again for this one."))
        return
    cols = st.columns(4)
    cols[0].metric(_("Measured forward"), seconds(p.forward_seconds),
                   help=_("median of {n} timed passes, {threads} threads").format(n=p.repeats, threads=p.threads))
    cols[1].metric(_("Predicted forward"), seconds(p.predicted_seconds), help=_("the roofline on this CPU's measured peak and bandwidth"))
    cols[2].metric(_("Measured / predicted"), f"{p.forward_seconds / p.predicted_seconds:,.1f}×" if p.predicted_seconds else "—")
    cols[3].metric(_("This CPU"), flops_per_s(p.device.peak("fp32")),
                   help=_("fp32 matmul peak; {bandwidth} GB/s copy bandwidth").format(bandwidth=f"{p.device.bandwidth / 1e9:,.1f}"))
    if p.cancelled or p.out_of_time:
        why = _("cancelled") if p.cancelled else _("the time budget was spent")
        stopped = _("Stopped after {n} timed pass ({why}).") if p.repeats == 1 else _("Stopped after {n} timed passes ({why}).")
        st.caption(stopped.format(n=p.repeats, why=why))
    st.plotly_chart(plotly_figure(measured_figure(a, p)), key="hw_chart_measured")
    st.dataframe(measured_table(p), hide_index=True, width="stretch", height=360)

