"""Diagrams of an analysed network: Graphviz DOT at three levels of detail, and export.

``to_dot`` draws a network at the level of stages, blocks or layers (one stage or block can
be opened to layers while the rest stays collapsed; runs of equal blocks fold into one
node), top-down, bottom-up or left to right, wrapped into columns with a slide's aspect
ratio; ``block_dot`` draws one block the way the lecture draws an Inception block;
``legend`` lists what a drawing's legend shows; ``render`` runs the real ``dot`` to make
PNG, SVG or PDF.

The package, by concern: ``palette`` (colours), ``text`` (words, escaping, fonts, text
widths, DOT writing), ``layout`` (orientation, wrapping, folding), ``model`` (the network as
units to draw), ``draw`` (nodes, the title and the legend), ``block`` (a block's layers, and
``block_dot``), ``network`` (``to_dot``, ``legend``), ``export`` (running ``dot``).
"""

import shutil  # noqa: F401 - callers ask render.shutil.which("dot") whether Graphviz is there

from .block import block_dot
from .draw import COLORS, MAX_NODES, THEMES
from .export import (
    CAIRO_MAX_SIDE,
    DEFAULT_DPI,
    FORMATS,
    MAX_CONCURRENT,
    MAX_DPI,
    MAX_PNG_PIXELS,
    MIN_DPI,
    MIN_LEGIBLE_SCALE,
    RENDER_TIMEOUT,
    SCALES,
    GraphvizMissing,
    Rendered,
    RenderBusy,
    RenderError,
    find_dot,
    fit_dpi,
    layout_size,
    png_size,
    render,
)
from .layout import FITS, ORIENTATIONS
from .model import expandable
from .network import LEVELS, legend, to_dot
from .palette import KIND_COLORS, NO_WEIGHTS, VIRIDIS, text_on
from .text import FONT, FONT_SIZE, SMALL_SIZE, WORDS, html, quote, si

__all__ = [
    "CAIRO_MAX_SIDE", "COLORS", "DEFAULT_DPI", "FITS", "FONT", "FONT_SIZE", "FORMATS", "GraphvizMissing",
    "KIND_COLORS", "LEVELS", "MAX_CONCURRENT", "MAX_DPI", "MAX_NODES", "MAX_PNG_PIXELS", "MIN_DPI",
    "MIN_LEGIBLE_SCALE", "NO_WEIGHTS", "ORIENTATIONS", "RENDER_TIMEOUT", "SCALES", "SMALL_SIZE", "THEMES",
    "VIRIDIS", "WORDS", "Rendered", "RenderBusy", "RenderError", "block_dot", "expandable", "find_dot", "fit_dpi", "html",
    "layout_size", "legend", "png_size", "quote", "render", "si", "text_on", "to_dot",
]
