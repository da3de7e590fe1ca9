"""One block under the microscope: its paths with their actual widths and costs, and the
lecture's lessons made measurable — the block without its 1×1 reduces, and (for
Inception-v3 and later) without its factorised convolutions."""

import streamlit as st

from googlenet import report
from ui import charts, figures, i18n, studio, tables
from ui.i18n import _
from ui.state import md_literal, stem

studio.page()
cur = studio.current()
st.title(_("Inception block"))
st.caption(_("One block of **{name}** (change the design on the Architecture page).").format(name=md_literal(cur.shown.title)))
studio.invalid_notice(cur)

block = studio.block_picker(cur.net)
if block is None:
    st.info(_("This network has no blocks: every stage's block count is zero."))
    st.stop()
les = studio.block_lesson(cur.net, block)
st.markdown(f"**{les.kind}** — {i18n.template_description(les.kind)}")

left, right = st.columns([3, 2])
with left:
    studio.block_diagram(cur.net, block)
with right:
    cols = st.columns(2)
    cols[0].metric(_("Input"), tables.shape(les.in_shape))
    cols[1].metric(_("Output"), tables.shape(les.out_shape))
    cols = st.columns(2)
    cols[0].metric(_("Params"), tables.si(les.params), help=f"{les.params:,}")
    cols[1].metric("MACs", tables.si(les.macs), help=f"{les.macs:,}")
    st.plotly_chart(studio.plotly_figure(charts.path_shares(les)), key="block_chart_shares")

st.header(_("Paths"), divider="gray")
st.dataframe(
    tables.paths(les),
    hide_index=True,
    width="stretch",
    column_config={
        _("Params"): st.column_config.NumberColumn(format="localized"),
        _("MACs"): st.column_config.NumberColumn(format="localized"),
        _("Share of channels"): st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
        _("Share of MACs"): st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
    },
)


def swapped(lesson: str, instead: str, params: int, macs: int) -> None:
    """A lesson's convs against what they replace, and the whole block's cost ``instead``."""
    counts = {c: st.column_config.NumberColumn(format="localized") for c in (_("Params"), _("Params instead"), _("MACs"), _("MACs instead"))}
    counts[_("MACs saved")] = st.column_config.NumberColumn(format="percent")
    st.dataframe(tables.swaps(les, lesson), hide_index=True, width="stretch", column_config=counts)
    left, right = st.columns(2)
    left.plotly_chart(studio.plotly_figure(charts.lesson_bars(les, lesson)), key=f"block_chart_{lesson}")
    right.metric(_("Params {instead}").format(instead=instead), tables.si(params), tables.times(params, les.params), delta_color="off")
    right.metric(_("MACs {instead}").format(instead=instead), tables.si(macs), tables.times(macs, les.macs), delta_color="off")


st.header(_("Lesson 1: the 1×1 reduce"), divider="gray")
if les.reduce:
    st.markdown(_(
        "A 1×1 convolution first shrinks the channels, so the larger convolution reads fewer of them. "
        "Without the reduces, each larger convolution reads all **{channels}** input channels:"
    ).format(channels=les.in_shape[0]))
    swapped("reduce", _("without the reduces"), les.params_without_reduce, les.macs_without_reduce)
else:
    st.info(_("No path of this block starts with a 1×1 reduce before a larger convolution."))
if les.pool_projection is not None:
    kept, without = les.pool_projection
    st.markdown(_(
        "The pool path's 1×1 projection matters too: it passes **{kept}** channels on; "
        "without it the pool would pass all **{without}**, and the block's output would grow with every block."
    ).format(kept=kept, without=without))

st.header(_("Lesson 2: factorisation"), divider="gray")
if les.factorise:
    st.markdown(_(
        "A 1×n convolution followed by an n×1 one sees the same n×n window as one n×n convolution, "
        "and two 3×3 convolutions see a 5×5 window — for fewer params and MACs:"
    ))
    swapped("factorise", _("unfactorised"), les.params_unfactorised, les.macs_unfactorised)
else:
    st.info(_("This block has no factorised pairs (1×n → n×1, or 3×3 → 3×3); Inception-v3 and later blocks do."))
st.caption(_("{why} {rule}.").format(
    why=_("Counterfactual costs are computed from the same convolutions built in PyTorch (see tests)."),
    rule=i18n.translate(report.COUNTING_RULE)))

st.header(_("Export the block figure"), divider="gray")
fig = figures.figure_options("block", default_orientation="bt", block=True)
figures.block_downloads(cur.net, block, stem(cur.shown), studio.theme(), fig)
