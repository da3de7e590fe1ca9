"""The chapter's exercises (练习), each answered with the app's own numbers: the family's
iterations, the smallest image, a variant for 28×28, where the parameters are, and what the
computation asks of an accelerator. Every card opens the design it talks about."""

import streamlit as st

from ui import exercises, studio
from ui.i18n import _

studio.page()

st.title(_("Exercises"))
st.caption(_("The exercises of the GoogLeNet chapter of Dive into Deep Learning, answered with this app's numbers: every figure below is computed from the network it names, and each button opens that network on the Architecture page. MACs are the multiply-accumulates of conv and linear layers; FLOPs = 2 × MACs."))
exercises.page()
