"""Section 12: exporting a design as ONNX."""

from __future__ import annotations

import io
import os
import warnings

import torch

from googlenet import get_preset
from googlenet.build import build
from googlenet.onnx_export import to_onnx

from .report import Section, table
from .timing import Case, compare, fmt_time

TITLE = "12. ONNX export"
TARGET_S = 5.0


def _plain_export(net) -> bytes:
    """The baseline: the exporter alone on the built module (no scopes, no checks, default threads)."""
    model = build(net).eval()
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(1, *net.input),), f, dynamo=False, opset_version=17)
    return f.getvalue()


def run(quick: bool = False) -> Section:
    s = Section(
        TITLE,
        "`to_onnx(net)`: build with fresh weights, run every step in a named scope, export with "
        "PyTorch's TorchScript exporter on one intra-op thread, restore shared initializers, "
        "`onnx.checker`. Beside it, the exporter alone on the same built module with torch's default "
        "threads (no scopes, no check), interleaved in the same run: on a loaded two-core machine the "
        "trace's forward pass is several times faster on one thread.",
    )
    names = ["googlenet"] if quick else ["d2l", "googlenet", "googlenet-torchvision", "inception-v3"]
    cases = {}
    for n in names:
        net = get_preset(n)
        cases[n] = Case(lambda net=net: to_onnx(net))
        cases[f"{n} plain"] = Case(lambda net=net: _plain_export(net))
    load_before = os.getloadavg()
    t = compare(cases, rounds=3 if quick else 5, warmup=1)
    load_after = os.getloadavg()
    rows = []
    for n in names:
        med, base = t[n].median, t[f"{n} plain"].median
        mark = s.check(f"ONNX export, {n}", f"≤ {TARGET_S:g} s", fmt_time(med), med <= TARGET_S) if n.startswith("googlenet") else ""
        rows.append([n, f"{len(to_onnx(get_preset(n))) / 1e6:.1f} MB", fmt_time(med), fmt_time(base), f"{med / base:.2f}×", mark])
    s.add(table(["preset", "file", "to_onnx", "exporter alone", "ratio", f"≤ {TARGET_S:g} s"], rows))
    s.add("Load average (1 / 5 / 15 min) before and after the timed rounds: "
          + " / ".join(f"{x:.2f}" for x in load_before) + "; " + " / ".join(f"{x:.2f}" for x in load_after) + ".")
    return s
