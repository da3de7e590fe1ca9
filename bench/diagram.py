"""Section 4: DOT generation and ``dot`` rendering, through bench/bench_render.py."""

from __future__ import annotations

import os

from . import bench_render
from .report import Section
from .timing import fmt_time

TITLE = "4. Diagrams: DOT and rendering"
PNG_PRESET = "googlenet"  # the "GoogLeNet, layers level" target


def run(quick: bool = False) -> Section:
    s = Section(
        TITLE,
        "`bench/bench_render.py`'s measurements: `to_dot` on a cached analysis, and the real `dot` "
        "making SVG and PNG (PNG includes the `-Tplain` layout pass that picks the dpi). Medians "
        f"of {1 if quick else 3} renders after a warm-up.",
    )
    presets = [PNG_PRESET] if quick else None
    rows = bench_render.measure(presets, repeats=1 if quick else 3, dot_repeats=3 if quick else 20)
    s.add(bench_render.table(rows).rstrip("\n"))
    s.add(f"Graphviz: {bench_render.environment()}.")
    layers = next((r for r in rows if r["preset"] == PNG_PRESET and r["level"] == "layers"), None)
    if layers is not None:
        s.check("PNG export, GoogLeNet, layers level", "≤ 1.5 s", fmt_time(layers["png_s"]), layers["png_s"] <= 1.5)
    big = bench_render.png_at_scale(bench_render.largest_preset(), "layers", 2, repeats=1 if quick else 3)
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    s.add(
        f"PNG at 2× of the largest preset ({big['preset']}, layers level): {fmt_time(big['s'])} "
        f"(of which `dot` used {big['dot_cpu_s']:.2f} s of CPU), {big['px'][0]}×{big['px'][1]} px at "
        f"{big['dpi']} dpi{'; ' + '; '.join(big['notes']) if big['notes'] else ''}. Load average when measured "
        f"(1 / 5 / 15 min): {load}."
    )
    s.check(
        f"PNG export at 2×, largest preset ({big['preset']}), layers level",
        "≤ 3 s",
        fmt_time(big["s"]),
        big["s"] <= 3.0,
        f"load {load.split(' / ')[0]}; dot CPU {big['dot_cpu_s']:.2f} s",
    )
    worst = max(rows, key=lambda r: max(r["png_s"], r["svg_s"]))
    slowest = max(worst["png_s"], worst["svg_s"])
    s.check(
        "PNG/SVG export, slowest preset and level",
        "≤ 5 s",
        f"{fmt_time(slowest)} ({worst['preset']}, {worst['level']})",
        slowest <= 5.0,
    )
    return s
