"""Inception Studio: pick an Inception-family network, set its input, see every layer measured."""

from dataclasses import replace

import pandas as pd
import streamlit as st

from googlenet import SpecError, analyze, get_preset, preset_names
from googlenet.report import COUNTING_RULE, csv_rows

st.set_page_config(page_title="Inception Studio", layout="wide")
st.title("Inception Studio")

with st.sidebar:
    preset = st.selectbox("Network", preset_names(), key="main_preset")
    base = get_preset(preset)
    channels = st.number_input("Input channels", 1, 64, base.input[0], key="main_channels")
    size = st.number_input("Input height and width", 1, 2048, base.input[1], key="main_size")
    classes = st.number_input("Classes", 1, 100_000, base.classes, key="main_classes")

try:
    a = analyze(replace(base, input=(int(channels), int(size), int(size)), classes=int(classes)))
except SpecError as err:
    st.error(str(err))
    st.stop()

t = a.totals
cols = st.columns(4)
cols[0].metric("Params", f"{t.params:,}")
cols[1].metric("MACs", f"{t.macs / 1e9:.3f} G")
cols[2].metric("FLOPs", f"{t.flops / 1e9:.3f} G")
cols[3].metric("Output", "×".join(map(str, t.output_shape)))
st.caption(COUNTING_RULE)
st.dataframe(pd.DataFrame(csv_rows(a)), hide_index=True, use_container_width=True)
