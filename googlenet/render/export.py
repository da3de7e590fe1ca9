"""Export: Graphviz's real ``dot`` turns DOT text into PNG, SVG or PDF.

PNG export picks its resolution from the laid-out size, because Cairo cannot make a bitmap
wider or taller than 32,767 pixels and Graphviz would otherwise shrink the drawing silently.
A server process runs at most ``MAX_CONCURRENT`` ``dot`` processes at once (the others wait
their turn), so a burst of exports cannot take every core; the drawings themselves are
bounded in nodes (``draw.MAX_NODES``), so none costs more than a few seconds.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import threading

from .text import SMALL_SIZE

FORMATS = ("png", "svg", "pdf", "dot")
SCALES = (1, 2, 3)  # PNG scale factors a slide wants: 96, 192, 288 dpi

DEFAULT_DPI = 96  # Graphviz's own default for bitmaps; scale 1
MIN_DPI, MAX_DPI = 18, 1200
# Pixels per point below which the smallest text (9 pt) is under 9 pixels high: the
# bitmap is still made, with a note saying so.
MIN_LEGIBLE_SCALE = 1.0
CAIRO_MAX_SIDE = 32767  # Cairo's image surface limit, in pixels per side
MAX_PNG_PIXELS = 64_000_000  # keeps one export under ~256 MB of RGBA in `dot`
RENDER_TIMEOUT = 60.0  # seconds for one `dot` run
MAX_CONCURRENT = max(1, min(2, os.cpu_count() or 1))  # `dot` processes at once, per process
_SLOTS = threading.BoundedSemaphore(MAX_CONCURRENT)


class RenderError(RuntimeError):
    """``dot`` failed, timed out, or was asked for something it cannot make."""


class RenderBusy(RenderError):
    """Every ``dot`` slot stayed taken: a refusal of the moment, not of the drawing."""


class GraphvizMissing(RenderError):
    """No ``dot`` on the PATH."""

    MESSAGE = (
        "Graphviz's `dot` was not found on the PATH; install the Debian package `graphviz` "
        "(apt-get install graphviz) to export PNG, SVG or PDF (DOT export needs nothing)"
    )

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.MESSAGE)


class Rendered(bytes):
    """What ``render`` made: the file's bytes, plus what a caller may want to show.

    ``dpi`` and ``scale`` (pixels per point) are set for PNG; ``notes`` says what was
    changed to make the file (a lowered resolution), empty when nothing was.
    """

    fmt: str
    dpi: int | None
    scale: float | None
    size: tuple[int, int] | None  # pixels (PNG)
    notes: tuple[str, ...]

    @classmethod
    def make(cls, data: bytes, fmt: str, dpi=None, scale=None, size=None, notes=()) -> Rendered:
        out = cls(data)
        out.fmt, out.dpi, out.scale, out.size, out.notes = fmt, dpi, scale, size, tuple(notes)
        return out

    def __reduce__(self):  # caches pickle what they keep: keep the fields too
        return (_rendered, (bytes(self), self.fmt, self.dpi, self.scale, self.size, self.notes))


def _rendered(data, fmt, dpi, scale, size, notes) -> Rendered:
    return Rendered.make(data, fmt, dpi, scale, size, notes)


def find_dot() -> str:
    """The path of ``dot``; ``GraphvizMissing`` when there is none."""
    path = shutil.which("dot")
    if path is None:
        raise GraphvizMissing()
    return path


def _run(args: list[str], source: bytes) -> subprocess.CompletedProcess:
    """Run ``dot`` (no shell; the DOT text on stdin) within ``RENDER_TIMEOUT``, waiting for
    one of the ``MAX_CONCURRENT`` slots first."""
    timeout = RENDER_TIMEOUT
    if not _SLOTS.acquire(timeout=timeout):
        raise RenderBusy(f"the server is drawing {MAX_CONCURRENT} diagrams already; try again in a moment")
    try:
        done = subprocess.run(args, input=source, capture_output=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise GraphvizMissing() from None
    except subprocess.TimeoutExpired:
        raise RenderError(f"`dot` took longer than {timeout:g} s; try a collapsed level or --expand") from None
    except OSError as err:
        raise RenderError(f"cannot run `dot`: {err}") from None
    finally:
        _SLOTS.release()
    if done.returncode != 0:
        msg = done.stderr.decode("utf-8", "replace").strip()
        raise RenderError(f"`dot` failed (exit {done.returncode}): {msg[-2000:]}")
    return done


_PLAIN = re.compile(rb"^graph\s+(\S+)\s+(\S+)\s+(\S+)")
_PAD = re.compile(r"\bpad=([0-9.]+)")


def _pad_points(dot: str) -> float:
    """Both sides of the graph's pad, in points (Graphviz's default is 4 points a side)."""
    m = _PAD.search(dot)
    return 2 * (float(m.group(1)) * 72 if m else 4.0)


def layout_size(dot: str) -> tuple[float, float]:
    """The laid-out drawing's width and height in points, without the pad (``dot -Tplain``)."""
    done = _run([find_dot(), "-Tplain"], dot.encode())
    m = _PLAIN.match(done.stdout)
    if not m:
        raise RenderError("`dot -Tplain` gave no graph size")
    scale, w, h = (float(x) for x in m.groups())
    return w * scale * 72, h * scale * 72


def fit_dpi(width_pt: float, height_pt: float, dpi: int, pad_pt: float = 28.8) -> tuple[int, list[str]]:
    """The highest dpi ≤ ``dpi`` whose bitmap fits Cairo's side limit and our pixel budget,
    with a note for each reduction."""
    w = (width_pt + pad_pt) / 72
    h = (height_pt + pad_pt) / 72
    notes = []
    best = dpi
    side = (CAIRO_MAX_SIDE - 2) / max(w, h)
    if side < best:
        best = int(side)
        notes.append(
            f"the drawing is {w:.0f}×{h:.0f} in; at {dpi} dpi the PNG would exceed Cairo's "
            f"limit of {CAIRO_MAX_SIDE} pixels per side, so it was made at {best} dpi"
        )
    area = int(math.sqrt(MAX_PNG_PIXELS / (w * h)))
    while area > 1 and (math.ceil(w * area) + 1) * (math.ceil(h * area) + 1) > MAX_PNG_PIXELS:
        area -= 1  # Graphviz rounds each side up
    if area < best:
        best = area
        notes.append(
            f"the drawing is {w:.0f}×{h:.0f} in; at {dpi} dpi the PNG would exceed "
            f"{MAX_PNG_PIXELS / 1e6:.0f} megapixels, so it was made at {best} dpi"
        )
    best = max(best, 1)
    if best < dpi and best / 72 < MIN_LEGIBLE_SCALE:
        notes.append(f"at {best} dpi small text is under {SMALL_SIZE} pixels high; export SVG or PDF to read it")
    return best, notes


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise RenderError("`dot` did not produce a PNG")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _valid_dpi(dpi) -> bool:
    return not isinstance(dpi, bool) and isinstance(dpi, int) and MIN_DPI <= dpi <= MAX_DPI


def render(dot: str, fmt: str, dpi: int | None = None, scale: int | None = None) -> Rendered:
    """Render DOT text with Graphviz's ``dot``: ``png`` (at ``dpi``, or ``scale`` × 96 dpi,
    default 96; lowered to fit Cairo's size limit with a note in ``.notes``), ``svg``,
    ``pdf``; ``dot`` returns the text itself. Returns ``Rendered`` bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    if dpi is not None and not _valid_dpi(dpi):
        raise ValueError(f"dpi must be a whole number from {MIN_DPI} to {MAX_DPI}; got {dpi!r}")
    if scale is not None:
        if isinstance(scale, bool) or scale not in SCALES:
            raise ValueError(f"scale must be one of {', '.join(map(str, SCALES))}; got {scale!r}")
        if dpi is not None:
            raise ValueError("give dpi or scale, not both")
        dpi = DEFAULT_DPI * scale
    if fmt == "dot":
        return Rendered.make(dot.encode(), "dot")
    exe = find_dot()
    source = dot.encode()
    if fmt != "png":
        notes = [f"the resolution applies to PNG only; a {fmt.upper()} is vector and scales freely"] if dpi is not None else []
        done = _run([exe, f"-T{fmt}"], source)
        return Rendered.make(done.stdout, fmt, notes=notes)
    want = dpi or DEFAULT_DPI
    pad = _pad_points(dot)
    w_pt, h_pt = layout_size(dot)
    use, notes = fit_dpi(w_pt, h_pt, want, pad)
    done = _run([exe, "-Tpng", f"-Gdpi={use}"], source)
    data = done.stdout
    size = png_size(data)
    if b"Scaling by" in done.stderr:  # Cairo shrank it after all: say so rather than hide it
        notes.append("Graphviz scaled the bitmap down to fit Cairo's size limit; export SVG or PDF for full detail")
    return Rendered.make(data, "png", dpi=use, scale=size[0] / (w_pt + pad), size=size, notes=notes)
