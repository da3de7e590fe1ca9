"""Two designs side by side: totals and their differences, what changed (widths, structure,
counts) and both diagrams with the blocks that differ marked, per-stage and per-block costs,
and the shapes that differ."""

import streamlit as st

from googlenet.diff import changed_keys, diff
from ui import charts, studio, tables
from ui.i18n import _

studio.page()
st.title(_("Compare"))
st.caption(_("A starts as the design from the Architecture page; pick any preset for either side, or change its input and width."))

left, middle, right = st.columns([5, 2, 5])
with left:
    a = studio.compare_side("a")
with middle:
    st.write("")
    st.button(_("Copy A to B"), key="compare_copy", on_click=studio.copy_a_to_b, width="stretch", icon=":material/arrow_forward:")
    st.button(_("Swap"), key="compare_swap", on_click=studio.swap_sides, width="stretch", icon=":material/swap_horiz:")
with right:
    b = studio.compare_side("b")

if a is None or b is None:
    st.stop()

st.header(_("Totals"), divider="gray")
units = studio.units_picker("compare_units")
st.dataframe(tables.compare_totals(a, b, units), hide_index=True, width="stretch")

st.header(_("What changed"), divider="gray")
changes = diff(a.network, b.network)
if changes:
    what = {
        "network": _("network"), "count": _("block count"), "widths": _("widths"),
        "structure": _("structure"), "added": _("added"), "removed": _("removed"),
    }
    # the network's own fields (googlenet.diff names them in words) and their on/off
    fields = {"input": _("input"), "classes": _("classes"), "width multiplier": _("width multiplier"),
              "aux heads": _("aux heads"), "style": _("style")}
    onoff = {"on": _("on"), "off": _("off")}

    def value(c, v):
        return onoff.get(v, v) if c.what == "network" else v

    rows = [{_("What"): what[c.what], _("Where"): fields.get(c.key, c.key) if c.what == "network" else c.key,
             "A": value(c, c.a), "B": value(c, c.b)} for c in changes]
    with st.container(key="compare_diff"):
        st.dataframe(rows, hide_index=True, width="stretch")
else:
    st.success(_("A and B have the same input, widths, structure and block counts."))

st.header(_("Diagrams"), divider="gray")
level = st.segmented_control(
    _("Level"), ["stages", "blocks", "layers"], default="blocks", required=True, key="compare_level",
    format_func=studio.level_label,
)
opts = studio.DiagramOptions(level=level, theme=studio.theme())
left, right = st.columns(2)
for col, side, an in ((left, "a", a), (right, "b", b)):
    with col:
        st.caption(_("Network {side}").format(side=side.upper()) + f" · {an.network.name}")
        studio.diagram(an.network, opts, height=560, key=f"compare_diagram_{side}", select_key=None, marked=tuple(changed_keys(changes, side)), caption=False)
st.caption(_("Dashed outlines: the blocks and stages that differ between A and B."))

st.header(_("Per stage"), divider="gray")
left, right = st.columns(2)
left.plotly_chart(studio.plotly_figure(charts.compare_groups(a, b, "stages", "params")), key="compare_stage_params")
right.plotly_chart(studio.plotly_figure(charts.compare_groups(a, b, "stages", "macs")), key="compare_stage_macs")

st.header(_("Per block"), divider="gray")
st.plotly_chart(studio.plotly_figure(charts.compare_groups(a, b, "blocks", "params")), key="compare_block_params")
st.plotly_chart(studio.plotly_figure(charts.compare_groups(a, b, "blocks", "macs")), key="compare_block_macs")

st.header(_("Shapes that differ"), divider="gray")
shapes = tables.compare_shapes(a, b)
if shapes.empty:
    st.success(_("Every stage and block has the same output shape in A and B."))
else:
    st.dataframe(shapes, hide_index=True, width="stretch")
