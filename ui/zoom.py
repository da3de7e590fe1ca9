"""A diagram page for an iframe: our rendered SVG inline, a legend, and a small hand-written
wheel-zoom / drag-pan script (``assets/panzoom.js``). Pure: no Streamlit, no network — the
page loads nothing from anywhere."""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "assets" / "panzoom.js"

# Streamlit's own page colours, which are also the renderer's theme backgrounds
PALETTE = {
    "light": {"page": "#FFFFFF", "text": "#31333F", "muted": "#6B6F7B", "button": "#F0F2F6", "border": "#D5D8DE"},
    "dark": {"page": "#0E1117", "text": "#FAFAFA", "muted": "#A3A8B8", "button": "#262730", "border": "#41444C"},
}


@lru_cache(maxsize=1)
def script() -> str:
    return SCRIPT.read_text(encoding="utf-8")


def inline_svg(svg: bytes | str) -> str:
    """The ``<svg>`` element alone: the XML prolog, DOCTYPE and comments before it go."""
    text = svg.decode("utf-8") if isinstance(svg, bytes) else svg
    start = text.find("<svg")
    if start < 0:
        raise ValueError("not an SVG document")
    return text[start:]


def page(svg: bytes | str, legend: list[tuple[str, str]] = (), theme: str = "light", title: str = "") -> str:
    """A whole HTML document showing ``svg`` with zoom and pan, and ``legend`` as chips."""
    c = PALETTE.get(theme, PALETTE["light"])
    chips = "".join(
        f'<span class="chip"><i style="background:{html.escape(color)}"></i>{html.escape(label)}</span>'
        for label, color in legend
    )
    label = f'<span class="title">{html.escape(title)}</span>' if title else ""
    return f"""<!doctype html>
<html><head><meta charset="utf-8">
<style>
html, body {{ margin: 0; height: 100%; overflow: hidden; background: {c["page"]}; color: {c["text"]};
  font: 12px "Source Sans Pro", "DejaVu Sans", sans-serif; }}
body {{ display: flex; flex-direction: column; }}
#view {{ position: relative; flex: 1 1 auto; min-height: 0; overflow: hidden; cursor: grab; touch-action: none; user-select: none; }}
#view.drag {{ cursor: grabbing; }}
#stage {{ position: absolute; left: 0; top: 0; transform-origin: 0 0; }}
#stage svg {{ display: block; }}
#bar {{ position: absolute; top: 6px; right: 6px; display: flex; gap: 4px; align-items: center;
  background: {c["page"]}; border-radius: 8px; padding: 2px 2px 2px 6px; opacity: .95; }}
#bar button {{ min-width: 28px; height: 26px; border: 1px solid {c["border"]}; border-radius: 6px;
  background: {c["button"]}; color: {c["text"]}; cursor: pointer; font: inherit; }}
#zoom {{ color: {c["muted"]}; min-width: 40px; text-align: right; }}
#legend {{ flex: none; display: flex; flex-wrap: wrap; gap: 4px 10px; padding: 4px 6px;
  border-top: 1px solid {c["border"]}; }}
#legend:empty {{ display: none; }}
.chip {{ display: inline-flex; align-items: center; gap: 4px; background: {c["page"]}; padding: 1px 4px;
  border-radius: 4px; opacity: .92; }}
.chip i {{ display: inline-block; width: 12px; height: 12px; border-radius: 3px; border: 1px solid {c["border"]}; }}
.title {{ position: absolute; left: 6px; top: 8px; color: {c["muted"]}; pointer-events: none; }}
</style></head>
<body>
<div id="view" data-testid="diagram" title="Scroll to zoom, drag to pan, double-click to fit">
<div id="stage">{inline_svg(svg)}</div>
</div>
{label}
<div id="bar"><span id="zoom"></span>
<button id="zout" title="Zoom out (-)">−</button><button id="zin" title="Zoom in (+)">+</button>
<button id="fit" title="Fit the whole diagram (0, double-click)">Fit</button>
<button id="one" title="Natural size (1)">1:1</button></div>
<div id="legend">{chips}</div>
<script>
{script()}
</script>
</body></html>
"""
