"""The Inception family in one table: GoogLeNet (the lecture's and the paper's), BN-Inception,
Inception-v3, Inception-v4 and Inception-ResNet-v2 at their default inputs; and the chapter's
picture of published accuracy against operations, with the design being edited on its cost axis."""

import streamlit as st

from ui import accuracy, charts, i18n, studio, tables
from ui.i18n import _

studio.page()
st.title(_("Family"))
st.caption(_("Every preset at its published input size and width; the idea is the preset's own one-line summary."))

family = studio.family_analyses()
table = tables.family([(name, i18n.preset_description(name), a) for name, _idea, a in family], readable=True)
st.table(table.set_index(table.columns[0]))  # the network's name
st.plotly_chart(studio.plotly_figure(charts.family([(name, a) for name, _idea, a in family])), key="family_chart")

st.header(_("Accuracy against operations"), divider="gray")
cur = studio.current()
entries = [(name, a) for name, _idea, a in family]
st.plotly_chart(studio.plotly_figure(accuracy.figure(entries, cur.analysis, cur.shown.title)), key="family_accuracy")
st.caption(_("Top-1 as published for each preset's weights (single model, single crop, ImageNet-1k validation); the MACs are our count at the preset's own input. The dashed line is the design on the Architecture page: its cost, not a measured accuracy."))
st.dataframe(accuracy.sources(entries), hide_index=True, width="stretch", key="family_accuracy_sources")

st.header(_("Stages of each network"), divider="gray")
for tab, (name, idea, a) in zip(st.tabs([name for name, _idea, _a in family]), family):
    with tab:
        st.caption(i18n.preset_description(name))
        studio.stages_diagram(a.network, height=620, key=f"family_diagram_{name}")
