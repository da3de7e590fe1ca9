"""Figure export controls for the pages: orientation, PNG scale, fit 16:9, folded repeats,
transparent background and CSV for Excel, and the download buttons that use them.

The pages pass what they already hold (the network, the diagram's level, expand, colour,
numbers and theme); these functions draw the widgets and return plain values. The files
are made by the core (``googlenet.render``, ``googlenet.report``), cached by their
immutable arguments, so the figure shown and the figure downloaded are the same drawing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import streamlit as st

from googlenet import analyze, report
from googlenet.render import ORIENTATIONS, SCALES, GraphvizMissing, RenderError, block_dot, find_dot, legend, render, to_dot
from googlenet.spec import Network, SpecError

from . import i18n
from .i18n import N_, _

ORIENTATION_LABELS = {"tb": N_("Top-down"), "bt": N_("Bottom-up"), "lr": N_("Left-right")}
MIMES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf", "dot": "text/vnd.graphviz"}
ICONS = {"png": ":material/image:", "svg": ":material/polyline:", "pdf": ":material/picture_as_pdf:"}
FIGURE_FORMATS = ("png", "svg", "pdf")


@dataclass(frozen=True)
class FigureOptions:
    """How a figure is drawn and exported (the diagram's level, colour, … are the page's)."""

    orientation: str = "tb"
    scale: int = 1  # PNG at 1×, 2× or 3× (96 dpi each)
    fit: str | None = None  # "16:9": wrap for a slide of that shape
    fold: bool = True  # runs of equal blocks as one node (blocks level)
    transparent: bool = False
    excel: bool = True  # the CSV with a byte-order mark, which Excel needs to read UTF-8
    lang: str = "en"  # the words of the drawing, its legend and the CSV's headers


def figure_options(prefix: str = "main", default_orientation: str = "tb", block: bool = False) -> FigureOptions:
    """One row of export controls; returns what they are set to. ``block``: only those a
    block figure uses (orientation, PNG scale, transparent)."""
    cols = st.columns([5, 3, 2] if block else [5, 3, 2, 2, 2, 2])
    orientation = cols[0].segmented_control(
        _("Orientation"), ORIENTATIONS, default=default_orientation, required=True, key=f"{prefix}_fig_orientation",
        format_func=lambda o: _(ORIENTATION_LABELS[o]), help=_("Bottom-up puts the input at the bottom, as the book's figures do"),
    )
    scale = cols[1].segmented_control(
        _("PNG scale"), SCALES, default=1, required=True, key=f"{prefix}_fig_scale", format_func=lambda s: f"{s}×",
        help=_("96 dpi × the scale: 2× for a 1080p slide, 3× for print"),
    )
    if block:
        transparent = cols[2].toggle(_("Transparent"), key=f"{prefix}_fig_transparent", help=_("Leave the background unpainted (PNG, SVG, PDF)"))
        return FigureOptions(orientation, scale, transparent=transparent, lang=i18n.language())
    fit = cols[2].toggle(_("Fit 16:9"), key=f"{prefix}_fig_fit", help=_("Wrap the network into columns for a 16:9 slide"))
    fold = cols[3].toggle(_("Fold repeats"), value=True, key=f"{prefix}_fig_fold", help=_("Draw a run of equal blocks as one node (“block17_1–20 ×20”)"))
    transparent = cols[4].toggle(_("Transparent"), key=f"{prefix}_fig_transparent", help=_("Leave the background unpainted (PNG, SVG, PDF)"))
    excel = cols[5].toggle(_("CSV for Excel"), value=True, key=f"{prefix}_fig_excel", help=_("With a byte-order mark, so that Excel reads “×” and Chinese names right"))
    return FigureOptions(orientation, scale, "16:9" if fit else None, fold, transparent, excel, i18n.language())


# --- bounded caches of immutable values ---------------------------------------------------------


@lru_cache(maxsize=64)
def figure_dot(net: Network, level: str, expand: str | None, color: str, numbers: bool, theme: str, fig: FigureOptions) -> str:
    """The network's DOT for these options (``SpecError`` when it is too large to draw)."""
    return to_dot(
        analyze(net), level, expand=expand, color=color, numbers=numbers, theme=theme,
        orientation=fig.orientation, fit=fig.fit, fold=fig.fold, transparent=fig.transparent,
        words=i18n.diagram_words(fig.lang),
    )


@lru_cache(maxsize=32)
def figure_file(net: Network, level: str, expand: str | None, color: str, numbers: bool, theme: str, fig: FigureOptions, fmt: str) -> bytes:
    """The network drawn by ``dot`` as ``fmt`` (PNG at the options' scale)."""
    dot = figure_dot(net, level, expand, color, numbers, theme, fig)
    return render(dot, fmt, scale=fig.scale if fmt == "png" else None)


@lru_cache(maxsize=32)
def block_file(net: Network, block: str, theme: str, fig: FigureOptions, fmt: str) -> bytes:
    """One block's figure, as the lecture draws it, as ``fmt``."""
    dot = block_dot(analyze(net), block, theme=theme, orientation=fig.orientation, transparent=fig.transparent,
                    words=i18n.diagram_words(fig.lang))
    return render(dot, fmt, scale=fig.scale if fmt == "png" else None)


@lru_cache(maxsize=16)
def csv_bytes(net: Network, excel: bool, lang: str = "en") -> bytes:
    return report.to_csv_bytes(analyze(net), excel=excel, headers=i18n.csv_headers(lang))


def figure_legend(net: Network, level: str, expand: str | None, color: str, fig: FigureOptions) -> list[tuple[str, str]]:
    """The legend the figure draws (for chips under the page's diagram): the same entries."""
    return legend(color, analyze(net), level, expand=expand, fold=fig.fold, words=i18n.diagram_words(fig.lang))


# --- download buttons ------------------------------------------------------------------------------


def _graphviz() -> bool:
    try:
        find_dot()
    except GraphvizMissing:
        return False
    return True


def figure_downloads(
    net: Network, file_stem: str, level: str, expand: str | None, color: str, numbers: bool, theme: str,
    fig: FigureOptions, prefix: str = "main",
) -> None:
    """Diagram PNG, SVG and PDF buttons with the figure options; a drawing too large to lay
    out says so (and what to draw instead) instead of offering files."""
    try:
        figure_dot(net, level, expand, color, numbers, theme, fig)
    except SpecError as err:
        st.warning(str(err), icon=":material/warning:")
        return
    ok = _graphviz()
    cols = st.columns(len(FIGURE_FORMATS))
    for col, fmt in zip(cols, FIGURE_FORMATS):
        col.download_button(
            _("Diagram {format}").format(format=fmt.upper()) + (f" {fig.scale}×" if fmt == "png" and fig.scale > 1 else ""),
            data=lambda fmt=fmt: _file_or_empty(figure_file, net, level, expand, color, numbers, theme, fig, fmt),
            file_name=f"{file_stem}-{level}.{fmt}", mime=MIMES[fmt], key=f"{prefix}_fig_dl_{fmt}",
            on_click="ignore", icon=ICONS[fmt], disabled=not ok,
        )


def block_downloads(net: Network, block: str, file_stem: str, theme: str, fig: FigureOptions, prefix: str = "block") -> None:
    """The block figure (the lecture's paths with this block's widths) as PNG, SVG and PDF."""
    ok = _graphviz()
    cols = st.columns(len(FIGURE_FORMATS))
    for col, fmt in zip(cols, FIGURE_FORMATS):
        col.download_button(
            _("Block {format}").format(format=fmt.upper()) + (f" {fig.scale}×" if fmt == "png" and fig.scale > 1 else ""),
            data=lambda fmt=fmt: _file_or_empty(block_file, net, block, theme, fig, fmt),
            file_name=f"{file_stem}-{block}.{fmt}", mime=MIMES[fmt], key=f"{prefix}_fig_dl_{fmt}",
            on_click="ignore", icon=ICONS[fmt], disabled=not ok,
        )


def csv_download(net: Network, file_name: str, fig: FigureOptions, prefix: str = "main") -> None:
    """The layer table as CSV, with a byte-order mark when ``fig.excel``."""
    st.download_button(
        _("Layer table CSV (Excel)") if fig.excel else _("Layer table CSV"), data=csv_bytes(net, fig.excel, fig.lang), file_name=file_name,
        mime="text/csv", key=f"{prefix}_fig_dl_csv", on_click="ignore", icon=":material/table:",
    )


def _file_or_empty(make, *args) -> bytes:
    """The file, or nothing when ``dot`` failed (the page shows the reason with the diagram)."""
    try:
        return bytes(make(*args))
    except RenderError:
        return b""
