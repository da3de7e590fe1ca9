"""Formatting an analysis: the torchinfo-like text table, CSV rows and the JSON summary."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

from .analysis import Analysis, Node, shape_str

# Prose the pages show, by key (an interface in another language translates it by key).
PROSE: dict[str, str] = {
    "counting_rule": (
        "MACs = multiply-accumulates of conv and linear layers (bias, BatchNorm, activations, "
        "pooling and concat not counted); FLOPs = 2 × MACs; bytes are fp32, batch 1"
    ),
}
COUNTING_RULE = PROSE["counting_rule"]


def mb(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:,.2f} MB"


def rf_text(r: Node) -> str:
    """The receptive field, and in brackets the part of the image it covers when that is less:
    ``779 (96)``, ``7×7``."""
    def one(p) -> str:
        return f"{p[0]}" if p[0] == p[1] else shape_str(p)

    full, clipped = one(r.receptive_field), one(r.rf_clipped)
    return full if full == clipped else f"{full} ({clipped})"


def table(a: Analysis) -> str:
    """A torchinfo-style table: one row per layer, a totals footer."""
    rows = [("Layer", "Kind", "Kernel", "Output shape", "Params", "MACs", "RF (in image)")]
    for r in a.layers:
        name = ("  " * r.key.count(".")) + r.key.rsplit(".", 1)[-1] if r.block or r.aux else r.key
        if r.block and "." not in name.strip():
            name = r.key
        rows.append(
            (
                name,
                r.kind,
                r.kernel_text,
                shape_str(r.out_shape),
                f"{r.params:,}" if r.params else "--",
                f"{r.macs:,}" if r.macs else "--",
                rf_text(r),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = {4, 5, 6}

    def fmt(row) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    width = len(fmt(rows[0]))
    rule, thin = "=" * width, "-" * width
    t = a.totals
    c, h, w = a.network.input
    out = [rule, fmt(rows[0]), rule]
    prev_block = None
    for r, row in zip(a.layers, rows[1:]):
        group = r.aux or r.block
        if group and group != prev_block:
            out.append(f"{group} ({'aux head' if r.aux else a.block(r.block).layer.kind or 'block'})")
        prev_block = group
        out.append(fmt(row))
    out += [
        rule,
        f"Network: {a.network.name}, input {c}×{h}×{w}, {a.network.classes} classes",
        f"Total params: {t.params:,}" + (f" (aux heads: {t.aux_params:,})" if t.aux_params else ""),
        f"Total MACs: {t.macs:,} ({t.macs / 1e9:.3f} G)" + (f"; aux heads (training only): {t.aux_macs:,}" if t.aux_macs else ""),
        f"Total FLOPs: {t.flops:,} ({t.flops / 1e9:.3f} G)",
        thin,
        f"Weights: {mb(t.weights_bytes)}",
        f"Peak activation memory: {mb(t.peak_activation_bytes)}",
        f"Depth (conv + linear on the longest path): {t.depth}",
        rule,
        COUNTING_RULE,
    ]
    return "\n".join(out) + "\n"


# The header row by column: the column names themselves unless a caller passes translated
# headers (``to_csv(a, headers=…)``; the interface passes its language's). Scripts that read the
# file by header should ask for the default.
CSV_HEADERS: dict[str, str] = {
    "name": "name",
    "kind": "kind",
    "stage": "stage",
    "block": "block",
    "branch": "branch",
    "aux": "aux",
    "kernel": "kernel",
    "stride": "stride",
    "input_shape": "input_shape",
    "output_shape": "output_shape",
    "params": "params",
    "macs": "macs",
    "flops": "flops",
    "output_elements": "output_elements",
    "output_bytes": "output_bytes",
    "receptive_field": "receptive_field",
    "receptive_field_in_image": "receptive_field_in_image",
    "jump": "jump",
}
CSV_COLUMNS = tuple(CSV_HEADERS)  # the columns, in order


def csv_rows(a: Analysis) -> list[dict[str, object]]:
    out = []
    for r in a.layers:
        out.append(
            {
                "name": r.key,
                "kind": r.kind,
                "stage": r.stage,
                "block": r.block,
                "branch": r.branch,
                "aux": r.aux,
                "kernel": shape_str(r.kernel) if r.kernel else "",
                "stride": shape_str(r.stride) if r.stride else "",
                "input_shape": shape_str(r.in_shape),
                "output_shape": shape_str(r.out_shape),
                "params": r.params,
                "macs": r.macs,
                "flops": r.flops,
                "output_elements": r.out_elements,
                "output_bytes": r.out_bytes,
                "receptive_field": shape_str(r.receptive_field),
                "receptive_field_in_image": shape_str(r.rf_clipped),
                "jump": shape_str(r.jump),
            }
        )
    return out


def _cell(v: object) -> object:
    # a spreadsheet would run a cell starting with = + - @ as a formula
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + v
    return v


def to_csv(a: Analysis, lineterminator: str = "\n", headers: Mapping[str, str] | None = None) -> str:
    """The layer table as CSV; ``headers`` (column → header text) replaces the header row's
    words, never the columns, their order or the cells."""
    if headers is not None and not (isinstance(headers, Mapping) and all(isinstance(v, str) for v in headers.values())):
        raise ValueError("headers must map column names (name, kind, …) to text")
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator=lineterminator)
    words = {**CSV_HEADERS, **(headers or {})}
    w.writerow({c: _cell(words[c]) for c in CSV_COLUMNS})
    for row in csv_rows(a):
        w.writerow({k: _cell(v) for k, v in row.items()})
    return buf.getvalue()


def to_csv_bytes(a: Analysis, excel: bool = False, headers: Mapping[str, str] | None = None) -> bytes:
    """The CSV as UTF-8 bytes. ``excel``: with a byte-order mark and CRLF line ends, which
    is how Excel recognises UTF-8 (without the mark it reads the file in the system's code
    page, and "×" in the shapes, or a Chinese name, comes out garbled)."""
    if excel:
        return b"\xef\xbb\xbf" + to_csv(a, "\r\n", headers).encode("utf-8")
    return to_csv(a, headers=headers).encode("utf-8")


def summary(a: Analysis) -> dict:
    """The ``summary --format json`` object."""
    t = a.totals
    return {
        "network": a.network.name,
        "input": list(a.network.input),
        "classes": a.network.classes,
        "counting": COUNTING_RULE,
        "totals": {
            "params": t.params,
            "macs": t.macs,
            "flops": t.flops,
            "aux_params": t.aux_params,
            "aux_macs": t.aux_macs,
            "weights_bytes": t.weights_bytes,
            "peak_activation_bytes": t.peak_activation_bytes,
            "depth": t.depth,
            "layers": t.layers,
            "output_shape": list(t.output_shape),
        },
        "stages": [
            {"name": g.name, "output_shape": list(g.out_shape), "params": g.params, "macs": g.macs} for g in a.stages
        ],
        "blocks": [
            {"name": g.name, "kind": g.layer.kind or "block", "stage": g.stage, "output_shape": list(g.out_shape), "params": g.params, "macs": g.macs}
            for g in a.blocks
        ],
        "layers": [
            {
                "name": r.key,
                "kind": r.kind,
                "block": r.block,
                "aux": r.aux,
                "output_shape": list(r.out_shape),
                "params": r.params,
                "macs": r.macs,
                "receptive_field": list(r.receptive_field),
                "receptive_field_in_image": list(r.rf_clipped),
            }
            for r in a.layers
        ],
    }
