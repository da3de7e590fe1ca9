"""Section 3: building the live PyTorch module on ``meta``."""

from __future__ import annotations

from googlenet import analyze, get_preset, preset_names
from googlenet.build import build

from .report import Section, table
from .timing import Case, compare, fmt_time

TITLE = "3. Building the PyTorch module on meta"


def run(quick: bool = False) -> Section:
    s = Section(
        TITLE,
        "`build(net, device=\"meta\")`: every `nn.Module` constructed, no weight allocated. The "
        "analysis it reads is cached in the app by then; 'with analysis' clears that cache first. "
        "All presets interleaved in one run.",
    )
    names = ["googlenet", "inception-resnet-v2"] if quick else preset_names()
    nets = {n: get_preset(n) for n in names}
    cases = {}
    for n, net in nets.items():
        cases[n] = Case(lambda net=net: build(net, device="meta"), setup=lambda net=net: analyze(net))
        cases[f"{n} +a"] = Case(lambda net=net: build(net, device="meta"), setup=analyze.cache_clear)
    t = compare(cases, rounds=3 if quick else 9, warmup=1)
    rows = []
    for n, net in nets.items():
        model = build(net, device="meta")
        modules = sum(1 for _ in model.modules())
        params = sum(p.numel() for p in model.parameters())
        med = t[n].median
        mark = s.check(f"build on meta, {n}", "≤ 50 ms", fmt_time(med), med <= 50e-3)
        rows.append([n, modules, f"{params / 1e6:.1f} M", fmt_time(med), fmt_time(t[f"{n} +a"].median), mark])
    s.add(table(["preset", "modules", "params", "build", "with analysis", "≤ 50 ms"], rows))
    return s
