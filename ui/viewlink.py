"""The script that writes the view into the address bar without a history entry (the
browser's ``replaceState``; Streamlit pushes an entry whenever a script changes the query
parameters). Its text is constant, the view it writes rides in a data attribute, so the
classroom's Content-Security-Policy can allow it by its hash (``deploy/render.py``)."""

import html
import json

SCRIPT = (
    "(function(){try{const s=document.currentScript,w=window.parent,h=w.history,"
    "u=new URL(w.location.href),want=JSON.parse(s.dataset.want);"
    "for(const[k,v]of Object.entries(want)){if(v===null)u.searchParams.delete(k);else u.searchParams.set(k,v);}"
    "if(u.href!==w.location.href)h.replaceState(h.state,'',u.href);}catch(e){}})();"
)


def page(want: dict) -> str:
    """The iframe's document: the constant script, told what to write."""
    return f'<script data-want="{html.escape(json.dumps(want, sort_keys=True), quote=True)}">{SCRIPT}</script>'
