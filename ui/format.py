"""How a number reads on screen: counts with one SI word per power (k, M, G, T: "G" for 10⁹
everywhere, never "B"), bytes that switch from MB to GB past 1,000 MB, changes as percentages
up to ±1000 % and as ratios (×) beyond, durations and ranges short enough for a metric card.

Pure: no Streamlit, no pandas; every page, table and chart formats through here."""

from __future__ import annotations

from typing import Callable

UNITS = ("auto", "M", "G", "exact")
GIGA = "G"  # the one word for 10⁹: cards, tables and charts (plotly's ``exponentformat="SI"``)
_PREFIXES = ((1e12, "T"), (1e9, GIGA), (1e6, "M"), (1e3, "k"))
MAX_PERCENT = 1000.0  # a change larger than this reads as a ratio: "×29,126"


def si(n: float) -> str:
    """Three significant figures with an SI prefix: 5.98 M, 276 M, 1.58 G."""
    for div, p in _PREFIXES:
        if abs(n) >= div:
            v = n / div
            text = f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
            if "e" in text:  # 999.96 rounds to 1e+03 under .3g
                text = f"{v:,.0f}"
            return f"{text} {p}"
    return f"{n:,.0f}"


def count(n: int, units: str = "auto") -> str:
    """A count of params, MACs or FLOPs in the chosen units."""
    if units == "exact":
        return f"{n:,}"
    if units == "M":
        return f"{n / 1e6:,.2f} M"
    if units == "G":
        return f"{n / 1e9:,.3f} {GIGA}"
    return si(n)


def nbytes(n: int) -> str:
    """Bytes in MB (two decimals) up to 1,000 MB, in GB beyond: ``26.50 MB``, ``21.47 GB``."""
    if abs(n) >= 1e12:
        return f"{n / 1e12:,.2f} TB"
    if abs(n) >= 1e9:
        return f"{n / 1e9:,.2f} GB"
    return f"{n / 1e6:,.2f} MB"


def signed(n: int | float, fmt: Callable[[int], str]) -> str:
    """A difference with its sign, its size written by ``fmt``: ``+1.2 M``, ``-3``; zero is ``0``."""
    if n == 0:
        return "0"
    return ("+" if n > 0 else "-") + fmt(abs(n))


def ratio(r: float) -> str:
    """``×2.41``, ``×29,126``."""
    return f"×{r:,.0f}" if r >= 100 else f"×{r:.3g}"


def change(now: float, then: float) -> str:
    """The change from ``then`` to ``now``: a percentage within ±1000 %, else the ratio."""
    if not then:
        return ""
    pct = (now - then) / then * 100
    if abs(pct) > MAX_PERCENT:
        return ratio(now / then)
    return f"{pct:+.1f}%"


def delta(now: int, then: int | None, fmt: Callable[[int], str]) -> str | None:
    """A metric card's delta: ``+1.2 M (+20.0%)``, ``+29.1 G (×29,126)``; None when equal."""
    if then is None or now == then:
        return None
    c = change(now, then)
    return signed(now - then, fmt) + (f" ({c})" if c else "")


def ms(x: float) -> str:
    """Milliseconds to three significant figures: 0.845, 12.3, 953, 1,210."""
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def duration(x_ms: float) -> str:
    """A duration with its unit, three significant figures: ``0.845 ms``, ``953 ms``, ``7.18 s``."""
    if x_ms >= 1000:
        return f"{x_ms / 1000:.3g} s" if x_ms < 100_000 else f"{x_ms / 1000:,.0f} s"
    return f"{ms(x_ms)} ms"


def duration_range(lo_ms: float, hi_ms: float) -> str:
    """A range in one unit, short enough for a metric card: ``7.18–9.13 s``, ``12.3–14.1 ms``."""
    if hi_ms >= 1000:
        f = (lambda v: f"{v / 1000:.3g}") if hi_ms < 100_000 else (lambda v: f"{v / 1000:,.0f}")
        return f"{f(lo_ms)}–{f(hi_ms)} s"
    return f"{ms(lo_ms)}–{ms(hi_ms)} ms"
