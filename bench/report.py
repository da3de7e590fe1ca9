"""The Markdown report: sections of tables, and targets judged met or missed."""

from __future__ import annotations

import datetime
import os
import platform
import sys
from dataclasses import dataclass, field


@dataclass
class Check:
    """One target against one measurement; ``met`` is None when it could not be measured."""

    what: str
    target: str
    measured: str
    met: bool | None
    note: str = ""

    @property
    def verdict(self) -> str:
        return verdict(self.met)


def verdict(met: bool | None) -> str:
    return "–" if met is None else ("met" if met else "**missed**")


@dataclass
class Section:
    title: str
    intro: str = ""
    blocks: list[str] = field(default_factory=list)  # Markdown tables and paragraphs
    checks: list[Check] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.blocks.append(text)

    def check(self, what: str, target: str, measured: str, met: bool | None, note: str = "") -> str:
        """Record a target; returns the verdict for the row beside the measurement."""
        self.checks.append(Check(what, target, measured, met, note))
        return verdict(met)

    def markdown(self) -> str:
        parts = [f"## {self.title}"]
        if self.intro:
            parts.append(self.intro)
        parts.extend(self.blocks)
        return "\n\n".join(parts)


def table(headers: list[str], rows: list[list[object]]) -> str:
    def cell(v: object) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_header(quick: bool) -> str:
    import torch

    try:
        load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    lines = [
        "# Inception Studio benchmarks" + (" (quick)" if quick else ""),
        "",
        f"- Date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- CPU: {cpu_model()}, {os.cpu_count()} cores (torch uses {torch.get_num_threads()} threads)",
        f"- Python {platform.python_version()}, torch {torch.__version__}, {platform.system()} {platform.release()}",
        f"- Load average when the run started (1 / 5 / 15 min): {load}",
        "",
        "Each figure is the median of repeated runs after a warm-up; the figures compared in one "
        "table were measured in the same run with their repeats interleaved, so a ratio holds on a "
        "busy machine even when the absolute times do not.",
    ]
    return "\n".join(lines)


def summary(sections: list[Section]) -> str:
    rows = [[c.what, c.target, c.measured, c.verdict, c.note] for s in sections for c in s.checks]
    met = sum(1 for s in sections for c in s.checks if c.met)
    missed = sum(1 for s in sections for c in s.checks if c.met is False)
    head = f"## Targets\n\n{met} met, {missed} missed."
    return head + "\n\n" + table(["what", "target", "measured", "met?", "note"], rows)


def document(sections: list[Section], quick: bool, elapsed_s: float) -> str:
    parts = [machine_header(quick), summary(sections)]
    parts += [s.markdown() for s in sections]
    parts.append(f"_Whole run: {elapsed_s:.0f} s; `{' '.join([os.path.basename(sys.executable), '-m', 'bench', *sys.argv[1:]])}`._")
    return "\n\n".join(parts) + "\n"
