"""Section 1: our analysis against torchinfo and FlopCounterMode, on the same built model."""

from __future__ import annotations

from dataclasses import replace

import torch
import torchinfo
from torch.utils.flop_counter import FlopCounterMode

from googlenet import analyze, get_preset, preset_names
from googlenet.build import build

from .report import Section, table
from .timing import Case, compare, fmt_ratio, fmt_time

TITLE = "1. Analysis against torchinfo and FlopCounterMode"

SIZES = (None, 1024, 2048)  # None: the preset's own input

# A CPU torchinfo pass is a real forward pass with hooks: ~7 s for GoogLeNet at 1024 and
# ~25 s at 2048 on two busy cores, and tens of seconds more for the larger presets. It runs at
# every preset's own input; above that for torchvision's GoogLeNet only: its global pool keeps
# the classifier at 1024 inputs (the paper's fixed 7×7 pool would give a 692M-weight one at 2048).
CPU_LARGE_PRESETS = ("googlenet-torchvision",)
CPU_MAX_MACS = 150e9


def analyze_uncached(net) -> object:
    """Validation and every layer's numbers, without the lru_cache."""
    return analyze.__wrapped__(net)


def torchinfo_pass(model, shape, device) -> torchinfo.ModelStatistics:
    return torchinfo.summary(model, input_size=(1, *shape), device=device, verbose=0)


def flop_count(model, shape) -> int:
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.empty(1, *shape, device="meta"))
    return counter.get_total_flops()


def cpu_skip_reason(name: str, size, macs: int) -> str | None:
    if size is None:
        return None
    if name not in CPU_LARGE_PRESETS or macs > CPU_MAX_MACS:
        return f"not run: a {macs / 1e9:.0f} GMAC CPU pass"
    return None


def measure(names: list[str], sizes, rounds: int, cpu: bool, tools: set[str] | None = None) -> list[dict]:
    """One interleaved comparison per preset, over all its sizes, so that both the ratios to
    torchinfo and the growth of our time with the input come from the same run."""
    rows = []
    for name in names:
        base = get_preset(name)
        cases: dict[str, Case] = {}
        info = []
        warm_model = None  # the CPU model at the preset's own input, for warm-ups
        for size in sizes:
            net = base if size is None else replace(base, input=(base.input[0], size, size))
            shape = tuple(net.input)
            a = analyze(net)
            meta_model = build(net, device="meta").eval()
            key = f"{shape[1]}"
            cases[f"ours {key}"] = Case(lambda net=net: analyze_uncached(net), inner=5)
            others = tools is None or name in tools
            if others:
                cases[f"meta {key}"] = Case(lambda m=meta_model, s=shape: torchinfo_pass(m, s, "meta"))
                cases[f"fc {key}"] = Case(lambda m=meta_model, s=shape: flop_count(m, s))
            skip = cpu_skip_reason(name, size, a.totals.macs) if cpu else "skipped (--quick)"
            if skip is None and others:
                cpu_model = build(net, device="cpu").eval()
                warm_model = warm_model or (cpu_model if size is None else build(base, device="cpu").eval())
                cases[f"cpu {key}"] = Case(
                    lambda m=cpu_model, s=shape: torchinfo_pass(m, s, "cpu"),
                    # warm the code paths at the preset's own input: a second 25 s pass adds nothing
                    warm=lambda m=warm_model, s=tuple(base.input): torchinfo_pass(m, s, "cpu"),
                )
            agree = flop_count(meta_model, shape) == a.totals.flops if others else None
            info.append((size, shape, key, len(a.layers), skip, agree))
        t = compare(cases, rounds=rounds, warmup=1, budget_s=10.0)
        # Growth with the input: ours alone at every size, finely interleaved (one call each per
        # round), so a busy spell of the machine cannot land on one size's samples only.
        keys = [key for _, _, key, *_ in info]
        growth = compare({key: Case(cases[f"ours {key}"].fn) for key in keys}, rounds=41 if rounds > 2 else 15, warmup=1)
        for size, shape, key, nrows, skip, agree in info:
            rows.append(
                {
                    "preset": name,
                    "input": f"{shape[1]}×{shape[2]}",
                    "size": size,
                    "layers": nrows,
                    "ours": t[f"ours {key}"].median,
                    "alone": growth[key].median,
                    "meta": t[f"meta {key}"].median if f"meta {key}" in t else None,
                    "fc": t[f"fc {key}"].median if f"fc {key}" in t else None,
                    "cpu": t[f"cpu {key}"].median if f"cpu {key}" in t else None,
                    "cpu_skip": skip,
                    "flops_agree": agree,
                }
            )
    return rows


def meta_note(r: dict) -> str:
    """torchinfo on meta does no arithmetic either: its ratio to ours, for the record."""
    if not r["meta"]:
        return ""
    return f"torchinfo on meta: {fmt_ratio(r['meta'] / r['ours'])} (its per-module hooks, not arithmetic)"


def run(quick: bool = False) -> Section:
    s = Section(
        TITLE,
        "Ours: `analyze` without its cache (validation, then every layer's shape, params, MACs, "
        "memory and receptive field, and the totals). torchinfo and FlopCounterMode run on the "
        "module `build()` makes from the same spec: torchinfo on `meta` (supported in 1.8: shapes, "
        "params and mult-adds come out; no memory is touched) and on CPU (a real forward pass); "
        "FlopCounterMode on `meta`. Ratios are their time over ours, from the same interleaved run. "
        "A CPU torchinfo pass is a real forward pass (about 7 s for GoogLeNet at 1024 and 25 s at 2048 "
        "on this machine), so above a preset's own input it runs for torchvision's GoogLeNet only. "
        "'FLOPs agree': FlopCounterMode's total equals our 2 × MACs. The growth with the input "
        "compares ours alone at the three sizes, one call each per round over 41 rounds.",
    )
    names = ["googlenet", "inception-resnet-v2"] if quick else preset_names()
    sizes = (None, 2048) if quick else SIZES
    # --quick: the other tools on GoogLeNet only, two rounds
    rows = measure(names, sizes, rounds=2 if quick else 7, cpu=not quick, tools={"googlenet"} if quick else None)
    default = {r["preset"]: r for r in rows if r["size"] is None}
    out = []
    for r in rows:
        marks = []
        name = r["preset"]
        if name == "googlenet" and r["size"] is None:
            marks.append("≤ 5 ms: " + s.check("analysis, GoogLeNet at 224", "≤ 5 ms", fmt_time(r["ours"]), r["ours"] <= 5e-3))
            ratio = r["cpu"] / r["ours"] if r["cpu"] else None
            marks.append(
                "≥ 30×: "
                + s.check(
                    "analysis vs torchinfo (CPU), GoogLeNet at 224", "≥ 30× faster", fmt_ratio(ratio), None if ratio is None else ratio >= 30,
                    note=meta_note(r),
                )
            )
        if name == "inception-resnet-v2" and r["size"] is None:
            marks.append("≤ 25 ms: " + s.check("analysis, Inception-ResNet-v2", "≤ 25 ms", fmt_time(r["ours"]), r["ours"] <= 25e-3))
        if r["size"] == 2048:
            growth = r["alone"] / default[name]["alone"]
            marks.append(f"grows {fmt_ratio(growth)} (≤ 1.2×): " + s.check(f"analysis, {name}, own input → 2048", "grows ≤ 1.2×", fmt_ratio(growth), growth <= 1.2))
            if r["cpu"]:
                ratio = r["cpu"] / r["ours"]
                marks.append(
                    "≥ 300×: " + s.check(f"analysis vs torchinfo (CPU), {name} at 2048", "≥ 300× faster", fmt_ratio(ratio), ratio >= 300, note=meta_note(r))
                )
        out.append(
            [
                name,
                r["input"],
                r["layers"],
                fmt_time(r["ours"]),
                fmt_time(r["cpu"]) if r["cpu"] else r["cpu_skip"],
                fmt_ratio(r["cpu"] / r["ours"]) if r["cpu"] else "–",
                fmt_time(r["meta"]),
                fmt_ratio(r["meta"] / r["ours"] if r["meta"] else None),
                fmt_time(r["fc"]),
                fmt_ratio(r["fc"] / r["ours"] if r["fc"] else None),
                {True: "yes", False: "**no**", None: "–"}[r["flops_agree"]],
                "; ".join(marks),
            ]
        )
    s.add(
        table(
            ["preset", "input", "rows", "ours", "torchinfo CPU", "ratio", "torchinfo meta", "ratio", "FlopCounter meta", "ratio", "FLOPs agree", "target"],
            out,
        )
    )
    return s
