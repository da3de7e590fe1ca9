"""Inception Studio: design a GoogLeNet / Inception network with sliders and watch it being
built, drawn and measured. This file is the entry point (shared state, navigation) and the
main page, the architecture."""

import streamlit as st

from ui import charts, state, studio
from ui.i18n import _

st.set_page_config(page_title=studio.TITLE, page_icon=studio.ICON, layout="wide")
studio.init()


def architecture() -> None:
    cur = studio.current()

    with st.sidebar:
        st.header("Design")
        studio.preset_picker()
        studio.input_knobs()
        studio.knob_error()
        studio.count_knobs()
        studio.width_knobs()

    st.title(studio.TITLE)
    st.caption(f"Designing **{state.md_literal(cur.design.title)}**. Every knob is in the link: copy the address bar to share this design.")
    studio.link_messages()
    studio.error_box(cur)

    st.header("Totals", divider="gray")
    units = studio.units_picker("main_units")
    studio.metrics(cur, units)

    st.header("Diagram", divider="gray")
    opts = studio.diagram_options(cur.analysis)
    studio.diagram(cur.net, opts)

    st.header("Layers", divider="gray")
    studio.layer_table(cur.analysis)

    st.header("Charts", divider="gray")
    studio.chart(charts.cost_per_block, cur.net, key="main_chart_cost")
    left, right = st.columns(2)
    with left:
        studio.chart(charts.channel_allocation, cur.net, key="main_chart_channels")
    with right:
        studio.chart(charts.depth_profile, cur.net, key="main_chart_depth")

    st.header("Export and import", divider="gray")
    studio.exports(cur, opts)
    studio.config_import()


st.navigation(
    [
        st.Page(architecture, title=_("Architecture"), icon=":material/hub:", default=True),
        st.Page("pages/block.py", title=_("Inception block"), icon=":material/biotech:"),
        st.Page("pages/compare.py", title=_("Compare"), icon=":material/compare_arrows:"),
        st.Page("pages/family.py", title=_("Family"), icon=":material/account_tree:"),
        st.Page("pages/code.py", title=_("Code & checks"), icon=":material/code:"),
        st.Page("pages/exercises.py", title=_("Exercises"), icon=":material/school:"),
        st.Page("pages/hardware.py", title=_("Hardware"), icon=":material/memory:"),
    ]
).run()
