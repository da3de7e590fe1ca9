"""The current design as a standalone PyTorch file (and as ONNX), how to load its upstream
weights, PyTorch code read back into the design, torchinfo's verdict on our counts, and (on
demand) the measured CPU latency of a real forward pass."""

import streamlit as st

from googlenet.naming import RULES, load_lines
from ui import interop, state, studio, tables

studio.page()
cur = studio.current()
st.title("Code & checks")
st.caption(f"For **{state.md_literal(cur.shown.title)}** (change the design on the Architecture page).")
studio.invalid_notice(cur)

st.header("PyTorch code", divider="gray")
code = studio.python_code(cur.net)
left, right = st.columns([1, 4])
with left:
    st.download_button(
        "Download the code", data=code, file_name=state.file_name(cur.shown, "py"), mime="text/x-python",
        key="code_download", on_click="ignore", icon=":material/download:",
    )
with right:
    interop.onnx_download(cur.net, f"{state.stem(cur.shown)}.onnx", key="code_onnx_download")
st.caption(
    "Needs only `torch`. `build_model()` returns the network; its state_dict keys match the app's own build. "
    f"The ONNX file holds the inference path with random weights. {interop.NETRON}"
)
st.code(code, language="python", line_numbers=True, height=480)

lines = load_lines(cur.net)
if lines is not None:
    rule = RULES[cur.net.naming]
    st.header("Upstream weights", divider="gray")
    st.markdown(
        f"This design's modules are named as in **{state.md_literal(rule.upstream, 200)}**, so its published "
        f"checkpoint loads by key. After the file above, these lines load it (the file itself cannot be fetched here: "
        f"download **{state.md_literal(rule.checkpoint.file)}** from {state.md_literal(rule.checkpoint.source, 200)}):"
    )
    st.code("\n".join(lines), language="python")
    notes = [n for n in (rule.checkpoint.note,) if n]
    if rule.checkpoint.transform_input:
        notes.append("transform_input=True turns an ImageNet-normalised input into the (p − 0.5) / 0.5 these TensorFlow-ported weights expect, as torchvision's builder does")
    if notes:
        st.caption("; ".join(state.md_literal(n, 300) for n in notes) + ".")

st.header("Read code into the design", divider="gray")
st.caption("Paste the lecture's code (its Inception class and nn.Sequential stages) or a file saved above; it is read, never run, and becomes the design on the Architecture page.")
imported = interop.code_import(key="code_import")
if imported is not None:
    studio.set_design(state.from_network(imported), reseed=True)
    st.rerun()

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
