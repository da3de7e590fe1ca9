"""The current design as a standalone PyTorch file, torchinfo's verdict on our counts, and
(on demand) the measured CPU latency of a real forward pass."""

import streamlit as st

from ui import state, studio, tables

studio.page()
cur = studio.current()
st.title("Code & checks")
st.caption(f"For **{state.md_literal(cur.shown.title)}** (change the design on the Architecture page).")
studio.invalid_notice(cur)

st.header("PyTorch code", divider="gray")
code = studio.python_code(cur.net)
st.download_button(
    "Download the code", data=code, file_name=state.file_name(cur.shown, "py"), mime="text/x-python",
    key="code_download", on_click="ignore", icon=":material/download:",
)
st.caption("Needs only `torch`. `build_model()` returns the network; its state_dict keys match the app's own build.")
st.code(code, language="python", line_numbers=True, height=480)

st.header("torchinfo check", divider="gray")
st.caption("The model is built (on the meta device, no weights allocated) and torchinfo counts it; each of our totals should agree.")
checks = studio.torchinfo_checks(cur.net)
if checks is not None:
    differ = [c.name for c in checks if not c.agrees]
    if differ:
        st.error(f"{len(differ)} of {len(checks)} checks differ from torchinfo: {', '.join(differ)}.", icon=":material/cancel:")
    else:
        st.success(f"All {len(checks)} checks agree with torchinfo.", icon=":material/check_circle:")
    st.table(tables.checks(checks).set_index("Check"))

st.header("CPU latency", divider="gray")
st.caption("A real forward pass (random weights, batch 1, eval mode); the median of 20 timed passes after 3 warm-ups.")
studio.latency(cur.net)
