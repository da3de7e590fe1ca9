"""Inception Studio: design a GoogLeNet / Inception network and watch it being built, drawn
and measured. This file is the entry point (shared state, navigation) and the main page, the
architecture: the diagram with the inspector beside it, the totals above, the layer table
and the charts below."""

import streamlit as st

from ui import charts, i18n, inspector, state, studio
from ui.i18n import _

st.set_page_config(page_title=studio.TITLE, page_icon=studio.ICON, layout="wide")
studio.init()


def architecture() -> None:
    cur = studio.current()
    studio.restore_view()  # the view as it was on the last visit, or as the link names it

    with st.sidebar:
        st.header(_("Design"))
        studio.preset_picker()
        studio.input_knobs()
        studio.knob_error()
        studio.count_knobs()
        studio.width_knobs()

    st.title(studio.TITLE)
    st.caption(_("Designing **{title}**. Every knob is in the link: copy the address bar to share this design.").format(title=state.md_literal(cur.design.title)))
    studio.link_messages()
    studio.error_box(cur)

    st.header(_("Totals"), divider="gray")
    top = st.columns([3, 2], vertical_alignment="bottom")
    with top[0]:
        studio.history_buttons()
    with top[1]:
        units = studio.units_picker("main_units")
    studio.metrics(cur, units)

    st.header(_("Diagram"), divider="gray")
    opts = studio.diagram_options(cur.analysis)
    left, right = st.columns([3, 2], gap="medium")
    with left:
        studio.diagram(cur.net, opts)
    with right:
        inspector.inspector(cur)

    st.header(_("Layers"), divider="gray")
    studio.layer_table(cur.analysis, selected=st.session_state.get(studio.SELECTED))
    studio.keep_view()
    studio.replace_view_link()

    st.header(_("Charts"), divider="gray")
    studio.chart(charts.cost_per_block, cur.net, key="main_chart_cost")
    left, right = st.columns(2)
    with left:
        studio.chart(charts.channel_allocation, cur.net, key="main_chart_channels")
    with right:
        studio.chart(charts.depth_profile, cur.net, key="main_chart_depth")

    st.header(_("Export and import"), divider="gray")
    studio.exports(cur, opts)
    studio.config_import()


pages = [
    st.Page(architecture, title=_("Architecture"), icon=":material/hub:", default=True),
    st.Page("pages/block.py", title=_("Inception block"), icon=":material/biotech:"),
    st.Page("pages/compare.py", title=_("Compare"), icon=":material/compare_arrows:"),
    st.Page("pages/family.py", title=_("Family"), icon=":material/account_tree:"),
    st.Page("pages/code.py", title=_("Code & checks"), icon=":material/code:"),
    st.Page("pages/exercises.py", title=_("Exercises"), icon=":material/school:"),
    st.Page("pages/hardware.py", title=_("Hardware"), icon=":material/memory:"),
]
page = st.navigation(pages)
with st.sidebar:
    i18n.picker()  # the one language picker, for every page
page.run()
