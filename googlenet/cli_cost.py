"""``python -m googlenet cost`` (memory, roofline and epoch time on a device) and
``python -m googlenet devices`` (the device presets and their sources)."""

from __future__ import annotations

import json

from . import cli, cost, devices
from .analysis import analyze
from .report import COUNTING_RULE


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


def _seconds(s: float) -> str:
    if s >= 3600:
        return f"{s / 3600:,.2f} h"
    if s >= 1:
        return f"{s:,.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:,.3f} ms"
    return f"{s * 1e6:,.2f} µs"


def as_json(m: cost.Memory, r: cost.Roofline) -> dict:
    """The ``cost --format json`` object: exactly ``memory`` and ``layers``."""
    return {
        "memory": {
            "weights_bytes": m.weights_bytes,
            "gradients_bytes": m.gradients_bytes,
            "optimizer_bytes": m.optimizer_bytes,
            "saved_activations_bytes": m.saved_activations_bytes,
            "input_bytes": m.input_bytes,
            "peak_inference_bytes": m.peak_inference_bytes,
            "training_total_bytes": m.training_total_bytes,
        },
        "layers": [
            {"name": c.name, "flops": c.flops, "bytes_moved": c.bytes_moved, "intensity": c.intensity,
             "predicted_seconds": c.predicted_seconds, "bound": c.bound}
            for c in r.layers
        ],
    }


def as_table(a, m: cost.Memory, r: cost.Roofline, epoch: float, images: int, fits: int) -> str:
    dev = r.device
    c, h, w = a.network.input
    out = [
        f"Network: {a.network.name}, input {c}×{h}×{w}, batch {m.batch}, {m.dtype}, optimizer {m.optimizer}",
        f"Device: {dev.name} — {dev.title}: peak {dev.peak(m.dtype) / 1e12:,.2f} TFLOP/s ({m.dtype}), "
        f"{dev.bandwidth / 1e9:,.0f} GB/s, ridge point {dev.ridge(m.dtype):,.1f} FLOP/byte, {dev.memory_bytes / devices.GiB:,.0f} GiB",
        "",
        "Memory for training" + (" (mixed precision: fp32 weights, gradients and optimizer state; 16-bit activations)" if m.dtype != "fp32" else ""),
    ]
    parts = [
        ("weights (fp32)", m.weights_bytes),
        ("buffers (BatchNorm statistics)", m.buffers_bytes),
        ("gradients (fp32)", m.gradients_bytes),
        (f"optimizer state ({m.optimizer})", m.optimizer_bytes),
        ("activations saved for backward" + (" (incl. the input batch)" if m.input_saved else ""), m.saved_activations_bytes),
    ]
    if m.weight_copies_bytes:
        parts.append(("  of which 16-bit weight copies", m.weight_copies_bytes))
    if not m.input_saved:
        parts.append(("input batch (fp32)", m.input_bytes))
    parts += [("training total", m.training_total_bytes), ("peak of one inference pass (activations)", m.peak_inference_bytes)]
    width = max(len(p) for p, _ in parts)
    out += [f"  {p.ljust(width)}  {_mb(v):>14}" for p, v in parts]
    out += [f"  largest batch that fits in {dev.memory_bytes / devices.GiB:,.0f} GiB: {fits:,}", ""]

    rows = [("Layer", "Kind", "FLOPs", "Bytes", "FLOP/B", "Attainable", "Time", "Bound", "Saved")]
    saved = m.saved_by_layer
    for lc in r.layers:
        rows.append((lc.name, lc.kind, f"{lc.flops:,}", f"{lc.bytes_moved:,}", f"{lc.intensity:,.1f}",
                     f"{lc.attainable / 1e12:,.2f} T", _seconds(lc.predicted_seconds), lc.bound,
                     f"{saved.get(lc.name, 0):,}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = {2, 3, 4, 5, 6, 8}

    def fmt(row) -> str:
        return "  ".join(x.rjust(wd) if i in right else x.ljust(wd) for i, (x, wd) in enumerate(zip(row, widths))).rstrip()

    rule = "=" * len(fmt(rows[0]))
    out += [f"Roofline on {dev.name}, batch {m.batch}, {m.dtype}", rule, fmt(rows[0]), rule]
    out += [fmt(row) for row in rows[1:]]
    t, cc = r.total, r.concat
    share = t.memory_bound_seconds / t.predicted_seconds if t.predicted_seconds else 0.0
    out += [
        rule,
        f"Forward, layers: {t.flops:,} FLOPs, {t.bytes_moved:,} bytes, {_seconds(t.predicted_seconds)} "
        f"({share:.0%} of it in memory-bound layers)",
        f"Concat copies (left out of the layers): {cc.bytes_moved:,} bytes, {_seconds(cc.predicted_seconds)}",
        f"Epoch of {images:,} images (forward + backward ≈ 3 × forward, concat copies included): {_seconds(epoch)}",
        "",
        COUNTING_RULE.replace("; bytes are fp32, batch 1", "") + "; bytes moved = input + weights + output at the dtype.",
        "Left out: kernel launch overhead, cache reuse between layers, unfused BatchNorm/ReLU passes.",
    ]
    return "\n".join(out) + "\n"


def cmd_cost(args) -> str:
    a = analyze(cli.network_from_args(args))
    device = devices.get(args.device)
    m = cost.memory(a, args.batch, args.dtype, args.optimizer)
    r = cost.roofline(a, device, args.dtype, args.batch)
    if args.format == "json":
        return json.dumps(as_json(m, r), indent=2) + "\n"
    epoch = cost.epoch_seconds(a, device, args.dtype, args.batch, args.images)
    fits = cost.largest_batch(a, device.memory_bytes, args.dtype, args.optimizer)
    return as_table(a, m, r, epoch, args.images, fits)


def cmd_devices(args) -> str:
    lines = [d.line for d in devices.PRESETS.values()]
    lines.append(f"{devices.THIS_CPU}  this machine's CPU, measured when chosen (a matmul per dtype and a memory copy, "
                 f"about {devices.MAX_SECONDS:g} s, once per process)")
    return "\n".join(lines) + "\n"


def register(sub) -> None:
    p = sub.add_parser("cost", help="training and inference memory, a roofline per layer and the epoch time on a device")
    cli.add_network_args(p)
    p.add_argument("--batch", type=int, default=1, metavar="N", help="batch size (default 1)")
    p.add_argument("--dtype", choices=devices.DTYPES, default="fp32", help="fp32, or fp16/bf16 mixed precision")
    p.add_argument("--optimizer", choices=cost.OPTIMIZERS, default="sgd")
    p.add_argument("--device", default=devices.DEFAULT, metavar="NAME", help=f"one of: {', '.join(devices.names())}")
    p.add_argument("--images", type=int, default=cost.DEFAULT_IMAGES, metavar="N", help="images per epoch (default 60,000)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=cmd_cost)

    p = sub.add_parser("devices", help="one line per device preset, with its source")
    p.set_defaults(func=cmd_devices)


cli.EXTENSIONS.append(register)
