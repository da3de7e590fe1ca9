"""What the current design costs on real hardware: memory for training and inference, a roofline
per layer on a chosen device, the epoch time, and the layers measured on this machine's CPU
beside their prediction."""

import streamlit as st

from ui import hardware, state, studio
from ui.i18n import _

studio.page()
cur = studio.current()
st.title(_("Hardware"))
st.caption(_("What **{name}** costs on a real device (change the design on the Architecture page).").format(name=state.md_literal(cur.shown.title)))
studio.invalid_notice(cur)

choice = hardware.pickers()
device = hardware.resolve(choice)
hardware.device_caption(device)

st.header(_("Memory"), divider="gray")
hardware.memory_section(cur.net, choice, device)

st.header(_("Roofline"), divider="gray")
hardware.roofline_section(cur.net, choice, device)

st.header(_("Measured on this CPU"), divider="gray")
st.caption(_("Every layer timed with torch.profiler (eval mode, random weights), beside the roofline's prediction for this "
             "CPU's measured peak and bandwidth: how good the model is, and where it is not."))
hardware.measure_section(cur.net)
