"""Where things go: orientation, the wrapping of a long chain into balanced columns (rows,
left to right) whose drawing has a slide's aspect ratio, and the folding of repeated blocks.

Graphviz lays out one column at a time well but has no notion of a page: a network of 40
blocks is a strip 1 : 8. The chain is therefore cut into columns here, before Graphviz sees
it. The cut is chosen on an estimate of every node's size (text measured with the fonts'
own widths, see ``text.text_width``), and the graph's ``ratio`` attribute then makes the
laid-out drawing exactly the chosen aspect, spreading it by the few per cent that the
estimate missed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from ..spec import Block

ORIENTATIONS = ("tb", "bt", "lr")  # top-down, bottom-up (the book's figures), left to right
RANKDIR = {"tb": "TB", "bt": "BT", "lr": "LR"}
# "fit" choices: the aspect ratio (width : height) of the slide a drawing is made for
FITS = {"16:9": 16 / 9, "4:3": 4 / 3}
# The default drawing of a chain long enough to wrap lies between 4:3 and 16:9 landscape
# (both common slide shapes), aiming at their geometric middle.
ASPECT_LO, ASPECT_HI = 4 / 3, 16 / 9
ASPECT_TARGET = math.sqrt(ASPECT_LO * ASPECT_HI)
ASPECT_MARGIN = 1.05  # aim this far inside the range: the estimate of the width is off by a few per cent
# A chain of at most this many ranks (the input included) is drawn as it is, unwrapped:
# seven stages fit one slide's height; "fit" wraps it anyway.
MAX_UNWRAPPED_RANKS = 8
MAX_COLUMNS = 16

# spacing, in points (the graph's nodesep and ranksep are these / 72)
NODESEP = 18.0
RANKSEP = 21.6
PAD = 14.4  # the graph's pad, each side
CLUSTER_MARGIN = 8.0  # Graphviz's default space between a cluster's border and its nodes


@dataclass(frozen=True)
class Extent:
    """A unit's size along the chain (the rank direction) and across it, in points, and how
    the length along is spread over the ranks it takes (Graphviz aligns ranks across
    columns, so a rank is as long as its longest node in any column)."""

    along: float
    across: float
    profile: tuple[float, ...] = ()

    @property
    def ranks(self) -> tuple[float, ...]:
        return self.profile or (self.along,)


def vertical(orientation: str) -> bool:
    return orientation != "lr"


def oriented(width: float, height: float, orientation: str) -> Extent:
    """A node's width × height as (along, across) for the orientation."""
    return Extent(height, width) if vertical(orientation) else Extent(width, height)


# --- wrapping -----------------------------------------------------------------------------


def split(along: list[float], stage_starts: set[int], n: int) -> list[int]:
    """Cut points (start indices after the first) that split units of lengths ``along`` into
    at most ``n`` consecutive columns whose longest is about as short as can be, cutting at
    a stage boundary where one is near (so a stage's cluster stays whole).

    Binary search over the column length with a greedy fill: a column that would overflow
    runs on to a stage boundary up to a tenth past the length, or ends at the last stage
    boundary in it that leaves it at least half full, or else just before the unit that
    overflows.
    """
    if n <= 1 or len(along) <= 1:
        return []
    prefix = [0.0]
    for a in along:
        prefix.append(prefix[-1] + a)

    def fill(limit: float) -> list[int]:
        cuts, start, i = [], 0, 0
        while i < len(along):
            if i > start and prefix[i + 1] - prefix[start] > limit:
                ends = [k for k in stage_starts | {len(along)} if start < k]
                over = [k for k in ends if k > i and prefix[k] - prefix[start] <= 1.1 * limit]
                if over:  # a stage ends just past the limit: let the column run over to it
                    i = max(over)
                    if i >= len(along):
                        break
                    cuts.append(i)
                    start = i
                    continue
                near = [k for k in ends if k <= i and prefix[k] - prefix[start] >= 0.5 * limit]
                cut = max(near) if near else i
                cuts.append(cut)
                start = cut
                i = cut
                continue
            i += 1
        return cuts

    lo, hi = max(along), sum(along)
    for _ in range(40):
        mid = (lo + hi) / 2
        if len(fill(mid)) + 1 <= n:
            hi = mid
        else:
            lo = mid
    cuts = fill(hi)
    # Fewer columns than asked for fit as well: split the longest column again, at its
    # stage boundary nearest its middle (else its middle), until there are n.
    while len(cuts) + 1 < n:
        bounds = [0, *cuts, len(along)]
        spans = [(prefix[b] - prefix[a], a, b) for a, b in zip(bounds, bounds[1:]) if b - a > 1]
        if not spans:
            break
        _, a, b = max(spans)
        mid = (prefix[a] + prefix[b]) / 2
        inner = [k for k in stage_starts if a < k < b] or list(range(a + 1, b))
        cuts = sorted([*cuts, min(inner, key=lambda k: abs(prefix[k] - mid))])
    return cuts


def aligned(columns: list[Extent]) -> float:
    """The length along of columns side by side whose ranks line up: each rank as long as
    its longest node in any column, plus the space between ranks."""
    depth = max(len(c.ranks) for c in columns)
    total = 0.0
    for r in range(depth):
        total += max(c.ranks[r] for c in columns if r < len(c.ranks))
    return total + RANKSEP * (depth - 1)


def pieces(seq: list, cuts: list[int]) -> list[list]:
    bounds = [0, *cuts, len(seq)]
    return [seq[a:b] for a, b in zip(bounds, bounds[1:])]


@dataclass(frozen=True)
class Plan:
    """The columns (rows, left to right) and the ``ratio`` attribute to give Graphviz."""

    cuts: tuple[int, ...]
    ratio: float | None  # height / width of the drawing, or None to leave it as laid out
    aspect: float  # the estimated width : height before any stretching
    width: float  # the estimated width of the file, stretched (points)


def plan(
    extents: list[Extent],
    stage_starts: set[int],
    ranks: int,
    column_extent,
    title: Extent,
    orientation: str,
    fit: str | None,
) -> Plan:
    """Choose the number of columns whose estimated drawing is nearest the target aspect.

    ``column_extent(i, j, k)`` → the Extent of column ``k`` holding units ``i:j`` (clusters
    and connectors included); ``title`` is the graph label's, its width as ``across`` and
    its height as ``along`` whatever the orientation (it is always on top).
    """
    along = [e.along for e in extents]

    def size(cuts: list[int]) -> tuple[float, float]:
        cols = [column_extent(i, j, k) for k, (i, j) in enumerate(_spans(cuts, len(extents)))]
        across = sum(c.across for c in cols) + NODESEP * (len(cols) - 1)
        w, h = (across, aligned(cols)) if vertical(orientation) else (aligned(cols), across)
        # the graph label sits on top, in every orientation
        return max(w, title.across) + 2 * PAD, h + title.along + 2 * PAD

    if fit is None and ranks <= MAX_UNWRAPPED_RANKS:
        w, h = size([])
        return Plan((), None, w / h, w)
    target = FITS[fit] if fit is not None else ASPECT_TARGET
    best = None
    # Columns balanced by length, and by ranks: Graphviz lines ranks up across columns, so
    # a column of a few long nodes can be as long as one of many short ones
    ranked = [float(len(e.ranks)) for e in extents]
    for n in range(1, min(MAX_COLUMNS, len(extents)) + 1):
        tried = {tuple(split(metric, stage_starts, n)) for metric in (along, ranked)}
        if best is not None and all(len(c) + 1 < n for c in tried):
            break  # no more columns can be made
        for cuts in sorted(tried):
            w, h = size(list(cuts))
            miss = _miss(w / h, target, fit is not None) + CUT_COST * sum(1 for c in cuts if c not in stage_starts)
            if best is None or miss < best[0] - 1e-9:
                best = (miss, list(cuts), w, h)
    _, cuts, w, h = best
    aspect = w / h
    if fit is not None:
        want = target
    else:
        want = min(max(aspect, ASPECT_LO * ASPECT_MARGIN), ASPECT_HI / ASPECT_MARGIN)
    # Graphviz's ratio is the laid-out drawing's height / width without the pad and the
    # graph's label (added after it): choose it so that the whole file has ``want``,
    # stretching the dimension that is short
    wi, hi = w - 2 * PAD, h - 2 * PAD
    if w / h >= want:
        ratio = ((wi + 2 * PAD) / want - 2 * PAD - title.along) / wi
    else:
        ratio = (hi - title.along) / (want * (hi + 2 * PAD) - 2 * PAD)
    return Plan(tuple(cuts), round(ratio, 4), aspect, max(w, h * want))


# What choosing a wrapping weighs: how far the drawing must be stretched to the aspect it
# is given (log scale; inside the default range nothing), against each stage cut in two.
CUT_COST = 0.1


def _miss(aspect: float, target: float, exact: bool) -> float:
    off = abs(math.log(aspect / target))
    if exact:
        return 2 * off
    outside = max(0.0, math.log(ASPECT_LO / aspect), math.log(aspect / ASPECT_HI))
    return 2 * outside + 0.1 * off


def _spans(cuts: list[int], size: int) -> list[tuple[int, int]]:
    bounds = [0, *cuts, size]
    return list(zip(bounds, bounds[1:]))


# --- folded repeats -----------------------------------------------------------------------


def same_block(a: Block, b: Block) -> bool:
    """Two blocks are repeats of each other when they are equal but for their names."""
    return replace(a, name="") == replace(b, name="")


def runs(blocks: list[Block | None], keep: set[int]) -> list[tuple[int, int]]:
    """(start, stop) of every run of ≥ 2 consecutive equal blocks; ``keep`` are indices that
    stay on their own (an expanded block splits its run)."""
    out = []
    i = 0
    while i < len(blocks):
        j = i + 1
        if blocks[i] is not None and i not in keep:
            while j < len(blocks) and blocks[j] is not None and j not in keep and same_block(blocks[i], blocks[j]):
                j += 1
        if j - i >= 2:
            out.append((i, j))
        i = j
    return out


def run_name(first: str, last: str) -> str:
    """``inception4b``, ``inception4d`` → ``inception4b–d``; ``block17_1``, ``block17_20`` →
    ``block17_1–20``: the common prefix once, never cut inside a number."""
    k = 0
    while k < min(len(first), len(last)) and first[k] == last[k]:
        k += 1
    def digit(name: str, i: int) -> bool:
        return i >= len(name) or name[i].isdigit()  # the end of a name may end a number

    if k > 0 and first[k - 1].isdigit() and (digit(first, k) or digit(last, k)):
        while k > 0 and first[k - 1].isdigit():  # the differing number, whole
            k -= 1
    if k == 0 or k == len(first):  # nothing in common, or nothing of the first left to show
        return f"{first}–{last}"
    return f"{first}–{last[k:]}"
