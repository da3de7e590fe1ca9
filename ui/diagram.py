"""The studio's diagram component: the Graphviz SVG drawn on the server, shown by a small
Streamlit Components v2 module (``assets/diagram/diagram.js`` and ``.css``, loaded from
this repository, nothing from the network) with zoom, pan, search, full screen, click to
select, and marks on what a design change touched.

``show(svg, key=…)`` mounts it. The view (zoom and centre, anchored on the node nearest the
centre) is kept by the browser per ``key``, so it survives reruns, page visits, reloads and
level changes where the same nodes are drawn. Nodes are named by their analysis keys (the
renderer writes them as SVG ids), which is what a click returns and what ``selected``,
``changed``, ``marked`` and ``focus`` take.

Session state: ``select_key`` (e.g. ``"main_selected"``) gets the key of a clicked node;
``diagram_changes`` holds, per diagram key, the network last drawn, a change counter and the
keys that changed, so that a change is marked once, not again on a page visit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import streamlit as st

from googlenet.diff import changed_keys, diff
from googlenet.spec import Network

from .i18n import _

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "diagram"
NAME = "inception_studio_diagram"
CHANGES = "diagram_changes"
MIN_PX = 9  # the smallest text on screen at the readable scale, in CSS pixels
MAX_MARKED_CHANGES = 8  # more changed blocks than this is a new network, not a change to mark


# registered once, when the module is imported (Streamlit re-registers it on a new runtime)
_COMPONENT = st.components.v2.component(
    NAME,
    css=(ASSETS / "diagram.css").read_text(encoding="utf-8"),
    js=(ASSETS / "diagram.js").read_text(encoding="utf-8"),
)


def words() -> dict[str, str]:
    """The component's words in the session's language."""
    return {
        "zoom_in": _("Zoom in (+)"),
        "zoom_out": _("Zoom out (−)"),
        "readable": _("Readable size: the smallest text 9 px (1)"),
        "fit": _("Fit all"),
        "fit_title": _("The whole diagram in view (0, double-click)"),
        "pan": _("Pan"),
        "pan_title": _("On a touch screen, one finger moves the diagram instead of scrolling the page"),
        "full": _("Full screen"),
        "exit_full": _("Exit full screen"),
        "full_title": _("Show the diagram on the whole screen (Esc leaves)"),
        "search": _("Find a block or layer"),
        "not_found": _("Not found: {q}"),
        "hint": _("Scroll or pinch to zoom, drag or two fingers to pan, click a node to select it"),
    }


def svg_text(svg: bytes | str) -> str:
    """The ``<svg>`` element alone: the XML prolog, DOCTYPE and comments before it go."""
    text = svg.decode("utf-8") if isinstance(svg, bytes) else svg
    start = text.find("<svg")
    if start < 0:
        raise ValueError("not an SVG document")
    return text[start:]


def _selected(key: str, select_key: str):
    def callback() -> None:
        value = (st.session_state.get(key) or {}).get("select")
        if isinstance(value, str) and value:
            st.session_state[select_key] = value

    return callback


def show(
    svg: bytes | str,
    *,
    key: str,
    theme: str = "light",
    legend: Sequence[tuple[str, str]] = (),
    alt: str = "",
    height: int = 640,
    focus: Sequence[str] = (),
    changed: Sequence[str] = (),
    change_token: int | None = None,
    selected: str | None = None,
    marked: Sequence[str] = (),
    select_key: str | None = None,
) -> None:
    """Mount the diagram. ``focus``: what a first view shows (when not all of it is readable at
    once); ``changed`` + a new ``change_token``: flashed once and brought into view; ``marked``:
    kept outlined (Compare's differences); ``selected``: outlined; a click stores the node's key
    in ``st.session_state[select_key]`` (no ``select_key``: a click selects nothing)."""
    text = svg_text(svg)
    data = {
        "key": key,
        "svg": text,
        "rev": f"{hash(text) & 0xFFFFFFFF:08x}",
        "theme": theme,
        "legend": [list(x) for x in legend],
        "alt": alt,
        "height": int(height),
        "min_px": MIN_PX,
        "focus": list(focus),
        "changed": list(changed),
        "change_token": change_token,
        "selected": selected,
        "marked": list(marked),
        "selectable": select_key is not None,
        "words": words(),
    }
    callbacks = {"on_select_change": _selected(key, select_key) if select_key else (lambda: None)}
    # the keyed container gives browser tests and the page's CSS a stable selector
    with st.container(key=f"{key}_box"):
        _COMPONENT(key=key, data=data, width="stretch", height="content", **callbacks)


def design_changes(key: str, net: Network) -> tuple[list[str], int]:
    """The blocks that the last design change touched, and a counter that moves on with every
    change: compared with the network this diagram drew before in this session."""
    store = st.session_state.setdefault(CHANGES, {})
    prev, token, keys = store.get(key, (None, 0, []))
    if prev is not None and prev != net:
        found = changed_keys(diff(prev, net), "b")
        keys = found if len(found) <= MAX_MARKED_CHANGES else []
        token += 1
    store[key] = (net, token, keys)
    return list(keys), token


def lecture_focus(blocks: Sequence[str]) -> list[str]:
    """What a first view centres on when the whole drawing is not readable at once: the first
    two blocks (the lecture's inception3a and 3b), else nothing (the top left corner)."""
    return list(blocks[:2])
