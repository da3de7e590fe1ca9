"""The Inception family in one table: GoogLeNet (the lecture's and the paper's), BN-Inception,
Inception-v3, Inception-v4 and Inception-ResNet-v2 at their default inputs."""

import streamlit as st

from ui import charts, studio, tables

studio.page()
st.title("Family")
st.caption("Every preset at its published input size and width; the idea is the preset's own one-line summary.")

family = studio.family_analyses()
st.table(tables.family(list(family), readable=True).set_index("Network"))
st.plotly_chart(studio.plotly_figure(charts.family([(name, a) for name, _, a in family])), key="family_chart")

st.header("Stages of each network", divider="gray")
for tab, (name, idea, a) in zip(st.tabs([name for name, _, _ in family]), family):
    with tab:
        st.caption(idea)
        studio.stages_diagram(a.network, height=480, key=f"family_diagram_{name}")
