"""How long diagrams take: DOT generation and Graphviz rendering (SVG, PNG) for every preset
at every level, as medians of repeated runs, printed as a Markdown table.

    .venv/bin/python bench/bench_render.py [--repeats 3] [--preset NAME ...]

DOT generation is timed on a cached analysis (the app analyses once per spec); rendering
runs the real ``dot``, so the PNG column includes the layout pass that picks the dpi.
"""

from __future__ import annotations

import argparse
import gc
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path


def median_seconds(fn, repeats: int) -> float:
    """Median wall time of ``repeats`` calls, after one untimed warm-up call."""
    fn()
    samples = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def measure(presets: list[str] | None = None, repeats: int = 3, dot_repeats: int = 20) -> list[dict]:
    from googlenet import analyze, get_preset, preset_names
    from googlenet.render import LEVELS, render, to_dot

    rows = []
    for name in presets or preset_names():
        a = analyze(get_preset(name))
        for level in LEVELS:
            dot = to_dot(a, level)
            png = render(dot, "png")
            rows.append(
                {
                    "preset": name,
                    "level": level,
                    "nodes": len(set(re.findall(r"^\s*([a-z]+\d*) \[", dot, re.M)) - {"graph", "node", "edge"}),
                    "dot_kb": len(dot.encode()) / 1024,
                    "to_dot_ms": 1000 * median_seconds(lambda: to_dot(a, level), dot_repeats),
                    "svg_s": median_seconds(lambda: render(dot, "svg"), repeats),
                    "png_s": median_seconds(lambda: render(dot, "png"), repeats),
                    "png_px": png.size,
                    "dpi": png.dpi,
                }
            )
            print(f"  {name} {level}: done", file=sys.stderr, flush=True)
    return rows


def largest_preset() -> str:
    """The preset with the most layers: the heaviest drawing a user can ask for by name."""
    from googlenet import analyze, get_preset, preset_names

    return max(preset_names(), key=lambda n: len(analyze(get_preset(n)).layers))


def png_at_scale(name: str, level: str = "layers", scale: int = 2, repeats: int = 3) -> dict:
    """PNG export at ``scale`` (the whole export: DOT, the layout pass that picks the dpi,
    the bitmap), as the median of ``repeats`` runs, with the CPU time of `dot` beside it."""
    import resource

    from googlenet import analyze, get_preset
    from googlenet.render import render, to_dot

    a = analyze(get_preset(name))
    png = render(to_dot(a, level), "png", scale=scale)
    walls, cpus = [], []
    for _ in range(repeats):
        gc.collect()
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        render(to_dot(a, level), "png", scale=scale)
        walls.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    return {"preset": name, "level": level, "scale": scale, "s": statistics.median(walls),
            "dot_cpu_s": statistics.median(cpus), "px": png.size, "dpi": png.dpi, "notes": png.notes}


def table(rows: list[dict]) -> str:
    head = "| preset | level | nodes | DOT | to_dot | dot → SVG | dot → PNG | PNG size |\n"
    head += "|---|---|---:|---:|---:|---:|---:|---|\n"
    body = "".join(
        f"| {r['preset']} | {r['level']} | {r['nodes']} | {r['dot_kb']:.0f} KB | {r['to_dot_ms']:.1f} ms "
        f"| {r['svg_s']:.2f} s | {r['png_s']:.2f} s | {r['png_px'][0]}×{r['png_px'][1]} @ {r['dpi']} dpi |\n"
        for r in rows
    )
    return head + body


def environment() -> str:
    try:
        version = subprocess.run(["dot", "-V"], capture_output=True, text=True, timeout=10).stderr.strip()
    except (OSError, subprocess.TimeoutExpired):
        version = "dot not found"
    return f"Python {platform.python_version()} on {platform.machine()}, {version}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=3, help="timed runs of each render (median reported)")
    p.add_argument("--preset", action="append", help="only this preset (repeatable)")
    args = p.parse_args(argv)
    rows = measure(args.preset, args.repeats)
    print(f"Diagram timings: medians of {args.repeats} renders (to_dot: of 20), {environment()}\n")
    print(table(rows), end="")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
    raise SystemExit(main())
