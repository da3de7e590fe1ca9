"""The Exercises page's cards: the chapter's questions in the session's language, each answered
with the numbers ``googlenet.exercises`` computes, and buttons that open the design a card talks
about on the Architecture page.

Every number here comes from the core; this module only words it. The answers are made once
per process (they depend on the presets only) and shared by every session.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd
import streamlit as st

from googlenet import exercises as ex
from googlenet.analysis import Analysis, shape_str
from googlenet.exercises import EXERCISES, Exercise
from googlenet.presets import get_preset
from googlenet.report import mb
from googlenet.spec import Network

from . import state, studio
from .charts import PALETTE, Figure, _figure, _text
from .i18n import N_, _
from .tables import si

ARCHITECTURE = "architecture"  # app.py's main page, st.Page(architecture, …): its URL path is the function's name
ARCHITECTURE_TITLE = N_("Architecture")
SMOOTHING = 0.1  # label smoothing's ε in Szegedy et al. 2016 (Inception-v3)

# The book's questions: msgid = the English edition (1.0) verbatim, msgstr = the Chinese edition
# (2.0) verbatim where it has the question (citations left out).
QUESTION = {
    "iterations": N_("GoogLeNet was so successful that it went through a number of iterations, progressively improving speed and accuracy. Try to implement and run some of them. They include the following:"),
    "min_size": N_("What is the minimum image size needed for GoogLeNet to work?"),
    "mnist": N_("Can you design a variant of GoogLeNet that works on Fashion-MNIST's native resolution of 28 × 28 pixels? How would you need to change the stem, the body, and the head of the network, if anything at all?"),
    "params": N_("Compare the model parameter sizes of AlexNet, VGG, NiN, and GoogLeNet. How do the latter two network architectures significantly reduce the model parameter size?"),
    "computation": N_("Compare the amount of computation needed in GoogLeNet and AlexNet. How does this affect the design of an accelerator chip, e.g., in terms of memory size, memory bandwidth, cache size, the amount of computation, and the benefit of specialized operations?"),
}
SUBQUESTION = {
    "a": N_("Add a batch normalization layer, as described later in the section on batch normalization."),
    "b": N_("Make adjustments to the Inception block (width, choice and order of convolutions)."),
    "c": N_("Use label smoothing for model regularization."),
    "d": N_("Make further adjustments to the Inception block by adding residual connection, as described later in the section on ResNet."),
}
TITLE = {
    "iterations": N_("The family's iterations"),
    "min_size": N_("The smallest image"),
    "mnist": N_("A variant for 28 × 28"),
    "params": N_("Where the parameters are"),
    "computation": N_("Computation, and what it asks of an accelerator"),
}
VARIANT = {
    "original": N_("the lecture's network"),
    "batchnorm": N_("(a) BatchNorm after every conv"),
    "factorize_5x5": N_("(b) each 5×5 → two 3×3"),
    "factorize_nxn": N_("(b) each n×n → 1×n, n×1"),
    "label_smoothing": N_("(c) label smoothing"),
    "residual": N_("(d) residual connections"),
}


def variant_name(key: str) -> str:
    return _(VARIANT[key])


def subquestion(part: str) -> str:
    return _(SUBQUESTION[part])


def count(n: int) -> str:
    return si(n)


def exact(n: int) -> str:
    return f"{n:,}"


def signed(n: int) -> str:
    return "0" if n == 0 else ("+" if n > 0 else "−") + si(abs(n))


def pct(x: float) -> str:
    return f"{x:.1%}"


def ratio(x: float) -> str:
    return f"{x:.2f}"


def architecture_page() -> st.Page:
    """A page object for app.py's Architecture page (``st.switch_page`` needs one for a page
    made from a function): same URL path, so the same page."""

    def architecture() -> None:  # never run: Streamlit runs the registered page
        pass

    return st.Page(architecture, url_path=ARCHITECTURE)


def open_design(net: Network) -> None:
    """Make ``net`` the design being edited and show it on the Architecture page."""
    from . import i18n

    d = state.from_network(net)
    studio.set_design(d, reseed=True)
    st.switch_page(architecture_page(), query_params={**state.to_query(d), **i18n.link_params()})


def open_button(label: str, net: Network, key: str) -> None:
    """A button named after the design it opens; its tooltip says where."""
    if st.button(label, key=f"ex_open_{key}", icon=":material/open_in_new:", help=open_label(label)):
        open_design(net)


def open_label(what: str) -> str:
    return _("Open {what} on the {page} page").format(what=what, page=_(ARCHITECTURE_TITLE))


def edition(e: Exercise) -> str:
    if e.zh is None:
        return _("English edition, exercise {en}; the Chinese edition does not ask it (translated here)").format(en=e.en)
    return _("English edition, exercise {en}; Chinese edition, exercise {zh}").format(en=e.en, zh=e.zh)


def card_head(number: int, e: Exercise) -> None:
    st.subheader(f"{number}. {_(TITLE[e.key])}")
    st.caption(edition(e))
    st.markdown("> " + _(QUESTION[e.key]))


def rows_height(n: int) -> int:
    """A table's height in pixels that shows all of its ``n`` rows and the header."""
    return 35 * (n + 1) + 3


def frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)


# --- the answers, made once -----------------------------------------------------------------------


@dataclass(frozen=True)
class Answers:
    iterations: tuple[ex.Variant, ...]
    min_size: tuple[ex.MinimumSize, ...]
    lecture_downsamplers: tuple[ex.Downsampler, ...]
    mnist: ex.Mnist
    params: tuple[ex.ParamSites, ...]
    no_reduces: Analysis
    computation: tuple[ex.Traffic, ex.Traffic, ex.Traffic]


@lru_cache(maxsize=1)
def answers() -> Answers:
    """Every card's numbers (frozen: one copy serves every session)."""
    return Answers(ex.iterations(), ex.minimum_sizes(), ex.downsamplers(ex.analyze(ex.lecture())), ex.mnist(),
                   ex.params_compared(), ex.without_reduces(), ex.computation())


# --- 1. the family's iterations ------------------------------------------------------------------------


def changed_text(changed: tuple[str, ...], n_blocks: int) -> str:
    if not changed:
        return "—"
    if len(changed) == n_blocks:
        return _("all {n}").format(n=n_blocks)
    return ", ".join(changed)


def iterations_table(variants) -> pd.DataFrame:
    lecture = next(v for v in variants if v.key == "label_smoothing")
    base = lecture.cost
    n_blocks = len(lecture.network.blocks())
    rows = [{
        _("Design"): variant_name("original"), _("Blocks changed"): "—",
        _("Params"): count(base.params), _("Params change"): "0", _("MACs"): count(base.macs), _("MACs change"): "0",
    }]
    for v in variants:
        rows.append({
            _("Design"): _(VARIANT[v.key]),
            _("Blocks changed"): changed_text(v.changed, n_blocks),
            _("Params"): count(v.cost.params), _("Params change"): signed(v.cost.params - base.params),
            _("MACs"): count(v.cost.macs), _("MACs change"): signed(v.cost.macs - base.macs),
        })
    return frame(rows)


def smoothed_targets(classes: int, eps: float = SMOOTHING) -> tuple[float, float]:
    """The target of the true class and of every other class under label smoothing."""
    return 1 - eps + eps / classes, eps / classes


def card_iterations(number: int, e: Exercise) -> None:
    variants = answers().iterations
    by = {v.key: v for v in variants}
    base = by["label_smoothing"]
    card_head(number, e)
    st.markdown(_("Each variant is the lecture's network changed by one rewrite, with its cost beside the original's ({params} params, {macs} MACs)."
                  ).format(params=count(base.cost.params), macs=count(base.cost.macs)))
    st.dataframe(iterations_table(variants), hide_index=True, width="stretch", key="ex_iterations_table")
    bn, f5, fn, res = by["batchnorm"], by["factorize_5x5"], by["factorize_nxn"], by["residual"]
    st.markdown("**" + subquestion("a") + "**")
    st.markdown(_("BatchNorm after every conv, in the stem and in all {blocks} blocks: {params} params, because each BatchNorm layer learns a scale and a shift per channel; the MACs stay {macs}, since only conv and linear layers' multiply-accumulates are counted.").format(
        blocks=len(bn.changed), params=signed(bn.cost.params - base.cost.params), macs=count(bn.cost.macs)))
    open_button(variant_name("batchnorm"), bn.network, "iterations_batchnorm")
    st.markdown("**" + subquestion("b") + "**")
    st.markdown(_("Each 5×5 conv as two 3×3 convs (Inception-v2, BN-Inception) covers the same 5×5 window: {p5} params and {m5} MACs here, because the first 3×3 already makes the 5×5's output channels. Each n×n conv as a 1×n then an n×1 conv (Inception-v3) covers the same window with fewer weights: {pn} params and {mn} MACs.").format(
        p5=signed(f5.cost.params - base.cost.params), m5=signed(f5.cost.macs - base.cost.macs),
        pn=signed(fn.cost.params - base.cost.params), mn=signed(fn.cost.macs - base.cost.macs)))
    left, right = st.columns(2)
    with left:
        open_button(variant_name("factorize_5x5"), f5.network, "iterations_factorize_5x5")
    with right:
        open_button(variant_name("factorize_nxn"), fn.network, "iterations_factorize_nxn")
    st.markdown("**" + subquestion("c") + "**")
    classes = base.network.classes
    true, other = smoothed_targets(classes)
    st.markdown(_("Label smoothing changes the loss, not the architecture: with ε = {eps} and {k} classes the target is {true} for the true class and {other} for each other class instead of 1 and 0. The network is the lecture's, so its cost is unchanged: {params} params, {macs} MACs.").format(
        eps=SMOOTHING, k=classes, true=f"{true:g}", other=f"{other:g}", params=count(base.cost.params), macs=count(base.cost.macs)))
    open_button(variant_name("original"), base.network, "iterations_label_smoothing")
    st.markdown("**" + subquestion("d") + "**")
    st.markdown(_("Residual connections on the blocks whose output has as many channels as their input ({blocks}): a 1×1 convolution projects the concatenated branches back to that width, the result is added to the block's input, then ReLU. The change: {params} params and {macs} MACs; no other layer's shape changes.").format(
        blocks=", ".join(res.changed), params=signed(res.cost.params - base.cost.params), macs=signed(res.cost.macs - base.cost.macs)))
    open_button(variant_name("residual"), res.network, "iterations_residual")


# --- 2. the smallest image ---------------------------------------------------------------------------------


def min_size_table(sizes) -> pd.DataFrame:
    rows = []
    for m in sizes:
        if m.any_size:
            smallest, fails, gets = _("any: 1×1"), "—", "—"
        elif m.smallest is None:
            smallest, fails, gets = _("no size works"), "—", "—"
        else:
            smallest = shape_str(m.smallest)
            fails = m.layer or "—"
            gets = m.failure.size or "—"
        rows.append({
            _("Network"): m.preset, _("Default input"): shape_str(m.input), _("Smallest input"): smallest,
            _("Fails first one pixel smaller"): fails, _("Its input there"): gets,
            _("Layers whose output is not ⌈n / stride⌉"): len(m.fixed),
        })
    return frame(rows)


def card_min_size(number: int, e: Exercise) -> None:
    sizes = answers().min_size
    lecture = answers().lecture_downsamplers
    card_head(number, e)
    st.markdown(_("Every preset, analysed at every size: the smallest input that works, and the layer that fails first one pixel below it (an empty output, or branches that no longer agree)."))
    st.dataframe(min_size_table(sizes), hide_index=True, width="stretch", height=rows_height(len(sizes)), key="ex_min_size_table")
    by = {m.preset: m for m in sizes}
    if by[ex.LECTURE].any_size:
        st.markdown(_("The lecture's network runs at any size, down to 1×1: each of its {n} downsampling layers ({layers}) pads so that its output is ⌈n / stride⌉, at least one pixel for every n ≥ 1, and the global average pool takes whatever is left.").format(
            n=len(lecture), layers=", ".join(f"{d.name} ({d.label})" for d in lecture)))
    paper = by.get("googlenet")
    failure = paper.failure if paper is not None else None
    if failure is not None and failure.size is not None:
        st.markdown(_("The paper's GoogLeNet ends in a fixed {label} average pool ({layer}): from a {below} image it gets {size} and would produce {out}, so {smallest} is the smallest input.").format(
            label=failure.value("what"), layer=paper.layer, below=shape_str(paper.below), size=failure.size,
            out=failure.value("out"), smallest=shape_str(paper.smallest)))
    family = [m for m in sizes if m.preset == "inception-v3" and m.fixed and m.failure is not None]
    for m in family:
        st.markdown(_("The family's later networks use unpadded (valid) convolutions and pools, which do not round up: a 3×3 /2 window needs at least 3 pixels. {preset} has {n} such layers; one pixel below {smallest}, its layer {layer} gets {size} and has nothing left to slide over.").format(
            preset=m.preset, n=len(m.fixed), smallest=shape_str(m.smallest), layer=m.layer, size=m.failure.size or "—"))
    bn = by.get("inception-bn")
    if bn is not None and bn.failure is not None:
        st.markdown(_("BN-Inception fails differently: its stride-2 blocks' branches pad differently, so only some sizes make them agree; one pixel below {smallest}, {layer} cannot concatenate its branches.").format(
            smallest=shape_str(bn.smallest), layer=bn.layer))
    left, right = st.columns([2, 3])
    names = [m.preset for m in sizes]
    choice = left.selectbox(_("Network"), names, key="ex_min_size_preset")
    m = by[choice]
    if m.smallest is not None:
        net = get_preset(choice)
        small = state.with_input(state.from_preset(choice), (net.input[0], *m.smallest)).network()
        with right:
            st.write("")
            open_button(_("{preset} at {size}").format(preset=choice, size=shape_str(m.smallest)), small, "min_size")


# --- 3. a variant for 28×28 ----------------------------------------------------------------------------------


def _shape(node) -> str:
    return shape_str(node.out_shape) if node is not None else "—"


def _rf(node) -> str:
    """The receptive field and, when the image is smaller, the part of it that is read."""
    (h, w), (ch, cw) = node.receptive_field, node.rf_clipped
    rf = str(h) if h == w else f"{h}×{w}"
    clipped = str(ch) if ch == cw else f"{ch}×{cw}"
    return rf if (h, w) == (ch, cw) else _("{rf} (the whole {clipped})").format(rf=rf, clipped=clipped)


def mnist_table(m) -> pd.DataFrame:
    o, a, v = _("96×96, the lecture's"), _("28×28, unchanged"), _("28×28, the variant")
    rows = [{_("Stage"): r.stage, o: _shape(r.original), a: _shape(r.as_is), v: _shape(r.variant)} for r in m.stages]
    costs = [ex.Cost.of(x) for x in (m.original, m.as_is, m.variant)]
    rows.append({_("Stage"): _("Params"), o: count(costs[0].params), a: count(costs[1].params), v: count(costs[2].params)})
    rows.append({_("Stage"): _("MACs"), o: count(costs[0].macs), a: count(costs[1].macs), v: count(costs[2].macs)})
    last = m.last_map
    rows.append({_("Stage"): _("Last feature map"), o: f"{last[0].key} {shape_str(last[0].out_shape)}",
                 a: f"{last[1].key} {shape_str(last[1].out_shape)}", v: f"{last[2].key} {shape_str(last[2].out_shape)}"})
    rows.append({_("Stage"): _("Its receptive field"), o: _rf(last[0]), a: _rf(last[1]), v: _rf(last[2])})
    return frame(rows)


def card_mnist(number: int, e: Exercise) -> None:
    m = answers().mnist
    card_head(number, e)
    stages = {r.stage: r for r in m.stages}
    cost = {k: ex.Cost.of(x) for k, x in (("o", m.original), ("a", m.as_is), ("v", m.variant))}
    st.markdown(_("A starting design to edit: the lecture's network with a stem for small images."))
    st.markdown("- " + _("**Stem.** Fed 28×28 unchanged, the 7×7 /2 conv and the 3×3 /2 pool leave {a1} after b1, and the blocks of b4 and b5 run on {a4}, where their 3×3 and 5×5 convolutions see mostly padding. The variant's stem is one 3×3 /1 conv with padding 1 and no pool, so b1 keeps {v1}.").format(
        a1=_shape(stages["b1"].as_is), a4=shape_str(stages["b4"].as_is.out_shape[1:]), v1=_shape(stages["b1"].variant)))
    st.markdown("- " + _("**Body.** The nine Inception blocks stay as they are; the variant's stages b2, b3 and b4 end at {v2}, {v3} and {v4}, close to the original's {o2}, {o3} and {o4} at 96×96.").format(
        v2=shape_str(stages["b2"].variant.out_shape[1:]), v3=shape_str(stages["b3"].variant.out_shape[1:]), v4=shape_str(stages["b4"].variant.out_shape[1:]),
        o2=shape_str(stages["b2"].original.out_shape[1:]), o3=shape_str(stages["b3"].original.out_shape[1:]), o4=shape_str(stages["b4"].original.out_shape[1:])))
    st.markdown("- " + _("**Head.** The global average pool and the linear layer stay: they take any size."))
    last = m.last_map
    st.markdown(_("The variant has {vp} params against the original's {op} (the 3×3 stem conv has fewer weights than the 7×7) and {vm} MACs against {om}: its blocks work on more pixels. The last feature map's receptive field is {vrf} pixels in the variant and {orf} in the original; both read the whole image.").format(
        vp=count(cost["v"].params), op=count(cost["o"].params), vm=count(cost["v"].macs), om=count(cost["o"].macs),
        vrf=last[2].receptive_field[0], orf=last[0].receptive_field[0]))
    table = mnist_table(m)
    st.dataframe(table, hide_index=True, width="stretch", height=rows_height(len(table)), key="ex_mnist_table")
    left, right = st.columns(2)
    with left:
        open_button(_("the 28×28 variant"), m.variant.network, "mnist_variant")
    with right:
        open_button(_("the unchanged network at 28×28"), m.as_is.network, "mnist_as_is")


# --- 4. where the parameters are ------------------------------------------------------------------------------


def params_table(sites) -> pd.DataFrame:
    return frame([{
        _("Network"): s.preset, _("Params"): count(s.params), _("1×1 convolutions"): count(s.conv_1x1),
        _("Other convolutions"): count(s.conv_kxk), _("Fully connected layers"): count(s.linear),
        _("Share in fully connected layers"): pct(s.linear / s.params),
        _("Largest layer"): f"{s.largest.key} ({count(s.largest.params)})",
    } for s in sites])


def params_chart(sites) -> Figure:
    parts = ((_("1×1 convolutions"), "conv_1x1"), (_("Other convolutions"), "conv_kxk"), (_("Fully connected layers"), "linear"))
    names = [_text(s.preset) for s in sites]
    data = [{
        "type": "bar", "orientation": "h", "name": label, "y": names, "x": [getattr(s, attr) for s in sites],
        "marker": {"color": PALETTE[i]}, "hovertemplate": "%{y}<br>" + label + ": %{x:,}<extra></extra>",
    } for i, (label, attr) in enumerate(parts)]
    return _figure(data, _("Parameters by where they sit"), height=300, barmode="stack",
                   xaxis={"title": {"text": _("parameters")}}, yaxis={"autorange": "reversed"})


def card_params(number: int, e: Exercise) -> None:
    sites = answers().params
    no_red = answers().no_reduces
    card_head(number, e)
    st.dataframe(params_table(sites), hide_index=True, width="stretch", key="ex_params_table")
    st.plotly_chart(studio.plotly_figure(params_chart(sites)), key="ex_params_chart")
    by = {s.preset: s for s in sites}
    alex, vgg, nin, g = by["d2l-alexnet"], by["d2l-vgg11"], by["d2l-nin"], by[ex.LECTURE]
    st.markdown(_("AlexNet and VGG keep most of their parameters in their fully connected layers: {a_pct} of AlexNet's {a} and {v_pct} of VGG-11's {v}. In both the largest layer is the first fully connected one ({a_layer}: {a_layer_params}; {v_layer}: {v_layer_params}), which connects every value of the last feature map to each of its 4,096 outputs.").format(
        a_pct=pct(alex.linear / alex.params), a=count(alex.params), v_pct=pct(vgg.linear / vgg.params), v=count(vgg.params),
        a_layer=alex.largest.key, a_layer_params=count(alex.largest.params), v_layer=vgg.largest.key, v_layer_params=count(vgg.largest.params)))
    st.markdown(_("NiN has no fully connected layer at all ({nin_fc}): its last convolution makes one channel per class and a global average pool turns each channel into a score. GoogLeNet also ends in a global average pool, followed by one small linear layer ({g_fc} params, {g_fc_pct} of its {g}).").format(
        nin_fc=count(nin.linear), g_fc=exact(g.linear), g_fc_pct=pct(g.linear / g.params), g=count(g.params)))
    st.markdown(_("The 1×1 convolutions are cheap: in NiN they add depth and non-linearity for {nin_1} params ({nin_1_pct}). GoogLeNet's 1×1 reduces shrink the channels before its 3×3 and 5×5 convolutions: without them it would have {nr_p} params and {nr_m} MACs instead of {g} and {g_m}.").format(
        nin_1=count(nin.conv_1x1), nin_1_pct=pct(nin.conv_1x1 / nin.params), nr_p=count(no_red.totals.params),
        nr_m=count(no_red.totals.macs), g=count(g.params), g_m=count(g.analysis.totals.macs)))
    for col, s in zip(st.columns(len(sites)), sites):
        with col:
            open_button(s.preset, s.analysis.network, f"params_{s.preset}")


# --- 5. computation ------------------------------------------------------------------------------------------


def _one_by_one_share(t: ex.Traffic) -> float:
    return sum(lt.macs for lt in t.layers if lt.kernel == (1, 1)) / t.macs


def computation_table(traffics) -> pd.DataFrame:
    cols = [f"{t.name} {shape_str(t.input)}" for t in traffics]
    rows = [
        (_("MACs (multiply-accumulates)"), [count(t.macs) for t in traffics]),
        (_("FLOPs (2 × MACs)"), [count(t.flops) for t in traffics]),
        (_("Weight bytes (4 × params)"), [mb(t.weights_bytes) for t in traffics]),
        (_("of which fully connected"), [mb(t.linear_weights_bytes) for t in traffics]),
        (_("Activation bytes (every layer's output)"), [mb(t.activation_bytes) for t in traffics]),
        (_("Peak activation memory"), [mb(t.peak_activation_bytes) for t in traffics]),
        (_("Arithmetic intensity (FLOPs per byte)"), [ratio(t.intensity) for t in traffics]),
        (_("MACs in 1×1 convolutions"), [pct(_one_by_one_share(t)) for t in traffics]),
        (_("Largest weights"), [t.largest_weights.key for t in traffics]),
        (_("Largest output"), [f"{t.largest_output.key} ({mb(t.largest_output.out_bytes)})" for t in traffics]),
    ]
    return frame([{"": label, **dict(zip(cols, values))} for label, values in rows])


def intensity_chart(traffics) -> Figure:
    data = []
    for i, t in enumerate(traffics):
        data.append({
            "type": "scatter", "mode": "markers+lines", "name": _text(f"{t.name} {shape_str(t.input)}"),
            "x": list(range(1, len(t.layers) + 1)), "y": [lt.intensity for lt in t.layers],
            "text": [_text(lt.key) for lt in t.layers], "marker": {"color": PALETTE[i], "size": 6},
            "hovertemplate": "%{text}<br>%{y:.1f}<extra></extra>",
        })
    return _figure(data, _("Arithmetic intensity of each conv and linear layer (batch 1)"), height=360,
                   xaxis={"title": {"text": _("conv and linear layers, in order")}},
                   yaxis={"title": {"text": _("FLOPs per byte")}, "type": "log", "dtick": 1})


def card_computation(number: int, e: Exercise) -> None:
    small, big, alex = answers().computation
    card_head(number, e)
    st.markdown(_("From the analysis's own counts, batch 1, fp32: the bytes are the weights read once and every layer's output written once; the arithmetic intensity is FLOPs divided by those bytes."))
    st.dataframe(computation_table((small, big, alex)), hide_index=True, width="stretch", key="ex_computation_table")
    st.plotly_chart(studio.plotly_figure(intensity_chart((small, big, alex))), key="ex_computation_chart")
    fc = [lt.intensity for lt in alex.layers if lt.kind == "linear"]
    convs = [lt.intensity for lt in big.layers if lt.kind == "conv"]
    points = [
        _("**Computation.** At the same 224×224 input GoogLeNet needs {r_macs}× AlexNet's MACs ({g_m} against {a_m}) with {r_w}× its weights ({g_w} against {a_w}).").format(
            r_macs=ratio(big.macs / alex.macs), g_m=count(big.macs), a_m=count(alex.macs), r_w=ratio(big.weights_bytes / alex.weights_bytes),
            g_w=mb(big.weights_bytes), a_w=mb(alex.weights_bytes)),
        _("**Memory size.** {a_fc} of AlexNet's {a_w} of weights are in its fully connected layers; GoogLeNet's whole model is {g_w}, so far more of it fits in on-chip memory, where it need not be read from DRAM for every image.").format(
            a_fc=mb(alex.linear_weights_bytes), a_w=mb(alex.weights_bytes), g_w=mb(big.weights_bytes)),
        _("**Memory bandwidth.** A fully connected layer at batch 1 uses each 4-byte weight for one multiply-add, so AlexNet's run at {fc} FLOPs per byte or less: they wait for memory, whatever the chip's arithmetic. GoogLeNet's convolutions reuse each weight at every position (median {conv} FLOPs per byte at 224×224); over the whole pass it does {g_i} FLOPs per byte against AlexNet's {a_i}.").format(
            fc=ratio(max(fc)) if fc else "—", conv=ratio(statistics.median(convs)), g_i=ratio(big.intensity), a_i=ratio(alex.intensity)),
        _("**Cache size.** The largest output ({g_out}: {g_out_b}) and the peak of live activations ({g_peak}) tell how much on-chip buffer keeps a layer's input and output from spilling to DRAM; a multi-branch block also keeps its input alive until its branches are concatenated.").format(
            g_out=big.largest_output.key, g_out_b=mb(big.largest_output.out_bytes), g_peak=mb(big.peak_activation_bytes)),
        _("**Specialised operations.** {share} of GoogLeNet's MACs are 1×1 convolutions, which are matrix multiplications over the channels: a matrix unit (a systolic array) does them well. Many small branches of different shapes keep such units less busy than AlexNet's few large layers.").format(
            share=pct(_one_by_one_share(big))),
    ]
    for p in points:
        st.markdown("- " + p)
    left, right = st.columns(2)
    with left:
        open_button(_("GoogLeNet at 224×224"), state.with_input(state.from_preset(ex.LECTURE), big.input).network(), "computation_googlenet")
    with right:
        open_button("d2l-alexnet", get_preset(ex.ALEXNET), "computation_alexnet")


CARDS = {
    "iterations": card_iterations,
    "min_size": card_min_size,
    "mnist": card_mnist,
    "params": card_params,
    "computation": card_computation,
}


def page() -> None:
    """Every card, in the order of the English edition."""
    for number, e in enumerate(EXERCISES, start=1):
        with st.container(border=True, key=f"ex_card_{e.key}"):
            CARDS[e.key](number, e)
