"""Section 2: analysis time against the number of Inception blocks."""

from __future__ import annotations

from googlenet import analyze, get_preset
from googlenet.knobs import block_count, set_block_count

from .analysis import analyze_uncached
from .report import Section, table
from .timing import Case, compare, fmt_time

TITLE = "2. Scaling with the number of blocks"

COUNTS = (5, 20, 50, 100)


def run(quick: bool = False) -> Section:
    s = Section(
        TITLE,
        "GoogLeNet with its stage 4 (`b4`) set to N Inception blocks by `set_block_count`; "
        "`analyze` uncached, all counts interleaved in one run. 'per block' is the time over all "
        "blocks of the network; 'marginal' is the cost of each block added since the previous row.",
    )
    base = get_preset("googlenet")
    counts = (5, 20, 50) if quick else COUNTS
    nets = {n: set_block_count(base, "b4", n) for n in counts}
    cases = {str(n): Case(lambda net=net: analyze_uncached(net), inner=3) for n, net in nets.items()}
    t = compare(cases, rounds=3 if quick else 9, warmup=1)
    rows = []
    prev = None
    marginals = []
    for n, net in nets.items():
        a = analyze(net)
        blocks = len(a.blocks)
        med = t[str(n)].median
        marginal = None
        if prev is not None:
            marginal = (med - prev[1]) / (blocks - prev[0])
            marginals.append(marginal)
        prev = (blocks, med)
        rows.append([n, blocks, len(a.layers), fmt_time(med), fmt_time(med / blocks), fmt_time(marginal) if marginal is not None else "–"])
    assert block_count(nets[counts[-1]], "b4") == counts[-1]
    s.add(table(["b4 blocks", "blocks in all", "rows", "analysis", "per block", "marginal per block"], rows))
    if len(marginals) >= 2:
        # linear: the last blocks added cost no more than 1.5× the first ones
        ratio = marginals[-1] / marginals[0] if marginals[0] > 0 else float("inf")
        measured = f"{ratio:.2f}× (last step's marginal over the first's)"
        mark = s.check("analysis grows linearly with blocks", "marginal cost per block flat (≤ 1.5×)", measured, ratio <= 1.5)
        s.add(f"Linear growth: {measured} — {mark}.")
    return s
