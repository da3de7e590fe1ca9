"""The benchmark suite end to end in its quick form: it runs, and its report has every
section and the rows the targets are judged on. No timing is asserted: this machine's
speed is not the code's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SECTIONS = [
    "## 1. Analysis against torchinfo and FlopCounterMode",
    "## 2. Scaling with the number of blocks",
    "## 3. Building the PyTorch module on meta",
    "## 4. Diagrams: DOT and rendering",
    "## 5. Main-page rerun, server side",
    "## 6. Slider to redrawn diagram, in a browser",
    "## 7. Server memory",
    "## 8. Many sessions at once",
    "## 9. A class on replicas behind nginx",
    "## 10. Switching the language, server side",
    "## 11. Hardware costs",
    "## 12. ONNX export",
    "## 13. The studio's loop: width → diagram, first open, page switch, in a browser",
]
TARGET_ROWS = [
    "| analysis, GoogLeNet at 224 | ≤ 5 ms |",
    "| analysis, Inception-ResNet-v2 | ≤ 25 ms |",
    "| analysis, googlenet, own input → 2048 | grows ≤ 1.2× |",
    "| analysis grows linearly with blocks |",
    "| build on meta, inception-resnet-v2 | ≤ 50 ms |",
    "| PNG export, GoogLeNet, layers level | ≤ 1.5 s |",
    "| PNG/SVG export, slowest preset and level | ≤ 5 s |",
    "| main-page rerun, server side, GoogLeNet (d2l) | ≤ 150 ms |",
    "| language switch re-renders the Exercises page | ≤ 1 s |",
    "| cost analysis, inception-resnet-v2, batch 256 | ≤ 10 ms |",
    "| Hardware-page rerun, server side, d2l | ≤ 150 ms |",
    "| ONNX export, googlenet | ≤ 5 s |",
]


def test_quick_bench_writes_the_report(tmp_path):
    out = tmp_path / "results.md"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--no-browser", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    report = out.read_text(encoding="utf-8")
    assert report == done.stdout  # printed and written alike
    head = report.splitlines()[:8]
    assert head[0] == "# Inception Studio benchmarks (quick)"
    for field in ("- Date: ", "- CPU: ", "- Python "):
        assert any(line.startswith(field) for line in head), field
    assert "torch " in report.split("\n\n", 2)[1]
    for title in SECTIONS:
        assert title in report
    assert report.count("Skipped: `--no-browser`.") == 3
    assert "This section failed" not in report
    targets = report.split("## Targets", 1)[1].split("\n## ", 1)[0]
    for row in TARGET_ROWS:
        assert row in targets, row
    for line in targets.splitlines():
        if line.startswith("| ") and not line.startswith("| what"):
            assert line.rstrip().split(" | ")[3] in ("met", "**missed**", "–"), line
