"""The inspector beside the diagram: the selected block or layer, its picture and numbers, its
widths to type or slide, and its structure to edit (branches, layers, the rewrites, reset).

The selection is ``st.session_state["main_selected"]``, an analysis node key (``inception3a``,
``conv1``, ``inception3a.branch2.conv1``, ``.b3``): the diagram's clicks, the layer table's rows
and the "Select" box here all write it. Every change goes through ``studio.set_design`` (one
step of the history) and ``state.with_structure`` (a structural edit)."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Callable

import streamlit as st

from googlenet import edit, rewrites
from googlenet import limits as L
from googlenet.analysis import Analysis
from googlenet.layers import ACTS
from googlenet.spec import BatchNorm, Block, Branch, Conv, Dropout, Network, Pool, SpecError
from googlenet.templates import TEMPLATES, matches

from . import format as fmt
from . import i18n, state, studio, tables
from .i18n import N_, _
from .state import Design

SELECT = "main_select"  # the Select box's key (the link's ``select=`` is written by studio.replace_view_link)
P = studio.KNOB + "i_"  # the inspector's widgets: re-read from the design like every knob
WIDTH_STEP = 8  # the +/− step of a width field (channel counts are usually multiples of 8)

# rewrites offered for a block: (function, button label)
REWRITES = (
    (rewrites.factorize_5x5, N_("5×5 → two 3×3")),
    (rewrites.factorize_nxn, N_("n×n → 1×n + n×1")),
    (rewrites.unfactorize, N_("Unfactorise")),
    (rewrites.add_batchnorm, N_("Add BatchNorm")),
    (rewrites.make_residual, N_("Make residual")),
    (rewrites.remove_reduces, N_("Remove the 1×1 reduces")),
)

# layers one can insert into the stem or head, or add as a path of a block
NEW_LAYERS = {
    N_("conv 3×3"): lambda name, out: Conv(name, out, (3, 3), padding=(1, 1)),
    N_("conv 1×1"): lambda name, out: Conv(name, out, (1, 1)),
    N_("max pool 3×3 /2"): lambda name, out: Pool(name, "max", (3, 3), (2, 2), (1, 1)),
    N_("BatchNorm"): lambda name, out: BatchNorm(name),
    N_("dropout 0.5"): lambda name, out: Dropout(name, 0.5),
}
NEW_PATHS = {
    N_("1×1 conv"): lambda out: (Conv("conv", out, (1, 1)),),
    N_("3×3 conv"): lambda out: (Conv("conv", out, (3, 3), padding=(1, 1)),),
    N_("1×1 reduce → 3×3 conv"): lambda out: (Conv("conv1", max(1, out // 2), (1, 1)), Conv("conv2", out, (3, 3), padding=(1, 1))),
    N_("3×3 max pool → 1×1 conv"): lambda out: (Pool("pool", "max", (3, 3), (1, 1), (1, 1)), Conv("conv", out, (1, 1))),
    N_("identity"): lambda out: (),
}

# the editable fields of a layer: (kind, lowest, highest); kind int | pair | bool | act | op
FIELDS = {
    "out": ("int", 1, L.MAX_CHANNELS),
    "kernel": ("pair", 1, L.MAX_KERNEL),
    "stride": ("pair", 1, L.MAX_STRIDE),
    "padding": ("pair", 0, L.MAX_PADDING),
    "dilation": ("pair", 1, L.MAX_DILATION),
    "groups": ("int", 1, L.MAX_CHANNELS),
    "bn": ("bool", 0, 1),
    "act": ("act", 0, 0),
    "op": ("op", 0, 0),
}
GROUPS = {"block": N_("block"), "stage": N_("stage"), "head": N_("head"), "branch": N_("path")}
FIELD_LABELS = {
    "out": N_("Output channels"), "kernel": N_("Kernel"), "stride": N_("Stride"), "padding": N_("Padding"),
    "dilation": N_("Dilation"), "groups": N_("Groups"), "bn": N_("BatchNorm"), "act": N_("Activation"), "op": N_("Pool"),
}


# --- what can be selected ------------------------------------------------------------------------


def choices(a: Analysis) -> list[str]:
    """The Select box's keys in network order: stem layers, blocks, head layers."""
    out: list[str] = []
    for r in a.layers:
        if r.aux:
            continue
        k = r.block or r.key
        if k not in out:
            out.append(k)
    return out


def selection(a: Analysis) -> str | None:
    """The selected key, if it names a node of this network (a structural edit or another
    preset may have removed it)."""
    ss = st.session_state
    key = ss.get(studio.SELECTED)
    if not key:
        return None
    try:
        a.node(key)
    except (KeyError, SpecError):
        return None
    return key


def select_box(a: Analysis) -> str | None:
    """The Select box (until the diagram's clicks land, and for the keyboard); it follows the
    selection made elsewhere, and its value is in the link."""
    ss = st.session_state
    sel = selection(a)
    options = [""] + choices(a)
    if sel and sel not in options:
        options.append(sel)
    if ss.get(SELECT, "") != (sel or ""):
        ss[SELECT] = sel or ""

    def picked() -> None:
        ss[studio.SELECTED] = ss[SELECT] or None

    st.selectbox(
        _("Select"), options, key=SELECT, on_change=picked,
        format_func=lambda k: k or "—",  # language-free: Streamlit may format outside the session
        help=_("A block or a stem or head layer; clicking a node of the diagram or a row of the layer table selects it too."),
    )
    return sel


# --- the spec behind a key --------------------------------------------------------------------------


def spec_layer(net: Network, key: str):
    """The layer (as designed, not concrete) that the analysis key names, or None."""
    parts = key.split(".")
    if len(parts) == 1:
        for s in net.stages:
            for it in s.items:
                if it.name == key:
                    return it
        for x in net.head:
            if x.name == key:
                return x
        return None
    try:
        block = net.block(parts[0])
    except (KeyError, SpecError):
        return None
    if parts[1:] == ["project"]:
        return block.project
    branches: tuple[Branch, ...] = block.branches
    br = None
    for name in parts[1:-1]:
        br = next((b for b in branches if b.name == name), None)
        if br is None:
            return None
        branches = br.split
    if br is None:
        return None
    return next((x for x in br.layers if x.name == parts[-1]), None)


def _where(net: Network, key: str) -> tuple[str, int] | None:
    """The stem stage or ``head`` holding the top-level layer ``key``, and its index there."""
    for s in net.stages:
        for i, it in enumerate(s.items):
            if it.name == key:
                return s.name, i
    for i, x in enumerate(net.head):
        if x.name == key:
            return "head", i
    return None


def _fresh(net: Network, base: str) -> str:
    taken = {it.name for s in net.stages for it in s.items} | {x.name for x in net.head} | {s.name for s in net.stages}
    n, name = 1, base
    while name in taken:
        n += 1
        name = f"{base}{n}"
    return name


# --- changes -------------------------------------------------------------------------------------------


ERROR = P + "error"


def _structural(change: Callable[[Network], Network]) -> Callable[[], None]:
    """A button's callback: apply a structural edit; a refusal is shown, in the session's language."""

    def callback() -> None:
        ss = st.session_state
        try:
            studio.set_design(state.with_structure(ss.design, change), reseed=True)
        except SpecError as err:
            ss[ERROR] = i18n.error_text(err)

    return callback


def _error() -> None:
    message = st.session_state.pop(ERROR, None)
    if message:
        st.error(state.md_literal(message, 500), icon=":material/error:")


# --- the parts of the inspector ---------------------------------------------------------------------


def numbers(node, a: Analysis) -> None:
    t = a.totals
    rf = node.receptive_field
    cards = (
        (_("Output shape"), tables.shape(node.out_shape), None),
        (_("Receptive field"), f"{rf[0]}" if rf[0] == rf[1] else tables.shape(rf), _("input pixels that can reach one output element")),
        (_("Params here"), fmt.si(node.params), f"{node.params:,}"),
        (_("Share of params"), f"{node.params / t.params:.1%}" if t.params else "—", None),
        (_("MACs here"), fmt.si(node.macs), f"{node.macs:,}"),
        (_("Share of MACs"), f"{node.macs / t.macs:.1%}" if t.macs else "—", None),
    )
    with st.container(key="main_inspector_numbers"):
        for i in range(0, len(cards), 2):
            for col, (label, value, help_) in zip(st.columns(2), cards[i : i + 2]):
                col.metric(label, value, help=help_)


def _slider(label: str, key: str, value: int, top: int, change: Callable[[Design, int], Design], where) -> None:
    ss = st.session_state
    shown = studio.seed(key, value)

    def moved() -> None:
        try:
            studio.set_design(change(ss.design, int(ss[key])))
        except SpecError as err:
            ss[ERROR] = i18n.error_text(err)

    where.slider(label, 1, top, key=key, on_change=moved, label_visibility="collapsed", **shown)


def widths(b: Block, net: Network, origin: Network) -> None:
    """A template block's width fields: a field to type and a slider beside each."""
    kind = TEMPLATES[b.kind]
    for name, _arity in kind.fields:
        value = b.width(name)
        for i, (v, part) in enumerate(zip(value, kind.part_labels(name))):

            def change(d: Design, x: int, name=name, i=i) -> Design:
                now = list(knob_block(d, b.name).width(name))
                now[i] = x
                return state.with_block_width(d, b.name, name, now)

            left, right = st.columns([2, 3], vertical_alignment="bottom")
            key = f"{P}w_{b.name}_{name}_{i}"
            studio.typed(f"{name} · {part}", key, v, 1, L.MAX_CHANNELS, f"{b.name}.{name}", change, step=WIDTH_STEP, where=left)
            _slider(f"{name} · {part}", key + "_s", v, studio._slider_max(origin, b.kind, name, i, v), change, right)


def knob_block(d: Design, name: str) -> Block:
    return studio.knob_net(d).block(name)


def conv_widths(b: Block, a: Analysis) -> None:
    """An edited block's convs' output channels, to type (the template's fields no longer apply)."""
    for leaf in sorted(studio.leaf_keys(a, b.name), key=lambda k: [n.key for n in a.layers].index(k)):
        layer = spec_layer(a.network, leaf)
        if not isinstance(layer, Conv) or layer.out is None:
            continue

        def change(d: Design, x: int, leaf=leaf) -> Design:
            return state.with_structure(d, lambda n: edit.set_layer(n, leaf, out=x))

        studio.typed(leaf.removeprefix(b.name + "."), f"{P}o_{leaf}", layer.out, 1, L.MAX_CHANNELS, f"{leaf}.out", change, step=WIDTH_STEP)


def layer_editor(net: Network, key: str) -> None:
    """The fields of one layer (kernel, stride, padding, output channels, groups, dilation,
    BatchNorm, activation); Apply checks each against its range and applies them together."""
    layer = spec_layer(net, key)
    if layer is None:
        return
    names = [f.name for f in fields(layer) if f.name in FIELDS and not (f.name == "out" and getattr(layer, "out") is None)]
    if not names:
        st.caption(_("{layer} has nothing to set.").format(layer=layer.label if isinstance(layer.label, str) else key))
        return
    ss = st.session_state
    form = f"{P}f_{key}"
    for n in names:  # the fields show the model's values
        v = getattr(layer, n)
        for i, part in enumerate(v if FIELDS[n][0] == "pair" else (v,)):
            k = f"{form}_{n}_{i}"
            if ss.get(k) != part:
                ss[k] = part

    def apply() -> None:
        changes, bad = {}, False
        for n in names:
            kind, lo, hi = FIELDS[n]
            parts = [ss.get(f"{form}_{n}_{i}") for i in range(2 if kind == "pair" else 1)]
            if kind in ("int", "pair"):
                for i, v in enumerate(parts):
                    if v is None or not lo <= v <= hi:
                        axis = (".height", ".width")[i] if kind == "pair" else ""
                        ss[f"{form}_{n}{studio.MESSAGE}"] = i18n.error_text(
                            SpecError(f"{key}.{n}{axis}", "int.range", lo=f"{lo:,}", hi=f"{hi:,}", value="" if v is None else f"{v:,}")
                        )
                        bad = True
                changes[n] = tuple(int(v) for v in parts) if kind == "pair" else int(parts[0])
            else:
                changes[n] = parts[0]
        if bad:
            return
        changes = {n: v for n, v in changes.items() if getattr(layer, n) != v}
        if not changes:
            return
        try:
            studio.set_design(state.with_structure(ss.design, lambda net_: edit.set_layer(net_, key, **changes)), reseed=True)
        except SpecError as err:
            ss[ERROR] = i18n.error_text(err)

    with st.form(form, border=True):
        st.markdown(f"**{state.md_literal(key)}** · {state.md_literal(layer.label if isinstance(layer.label, str) else layer.type)}")
        for n in names:
            kind = FIELDS[n][0]
            label = _(FIELD_LABELS[n])
            if kind == "pair":
                c = st.columns(2)
                height, width = _("height"), _("width")
                c[0].number_input(f"{label} · {height}", step=1, key=f"{form}_{n}_0")
                c[1].number_input(f"{label} · {width}", step=1, key=f"{form}_{n}_1")
            elif kind == "int":
                st.number_input(label, step=WIDTH_STEP if n == "out" else 1, key=f"{form}_{n}_0")
            elif kind == "bool":
                st.toggle(label, key=f"{form}_{n}_0")
            elif kind == "act":
                st.selectbox(label, list(ACTS), key=f"{form}_{n}_0")
            elif kind == "op":
                st.selectbox(label, ["max", "avg"], key=f"{form}_{n}_0")
            message = ss.pop(f"{form}_{n}{studio.MESSAGE}", None)
            if message:
                with st.container(key=f"msg_{form}_{n}"):
                    st.error(state.md_literal(message, 500), icon=":material/error:")
        st.form_submit_button(_("Apply"), on_click=apply, key=f"{form}_apply", type="primary")


def branches(b: Block, net: Network) -> None:
    """The block's paths: move one left or right, remove one, add one."""
    paths, merge = _("Paths"), _("merge")
    st.markdown(f"**{paths}** · {merge}: {b.merge}")
    for i, br in enumerate(b.branches):
        cols = st.columns([5, 1, 1, 1], vertical_alignment="center")
        what = " → ".join(x.label if isinstance(x.label, str) else x.type for x in br.layers) or _("identity")
        if br.split:
            what += " → [" + " | ".join(s.name for s in br.split) + "]"
        cols[0].markdown(f"`{state.md_literal(br.name)}` {state.md_literal(what, 200)}")
        key = f"{b.name}.{br.name}"
        cols[1].button("", icon=":material/arrow_upward:", key=f"{P}up_{key}", disabled=i == 0, help=_("Move left (earlier in the concatenation)"),
                       on_click=_structural(lambda n, key=key: edit.move_branch(n, key, -1)))
        cols[2].button("", icon=":material/arrow_downward:", key=f"{P}down_{key}", disabled=i == len(b.branches) - 1,
                       help=_("Move right"), on_click=_structural(lambda n, key=key: edit.move_branch(n, key, 1)))
        cols[3].button("", icon=":material/close:", key=f"{P}rm_{key}", disabled=len(b.branches) == 1, help=_("Remove this path"),
                       on_click=_structural(lambda n, key=key: edit.remove_branch(n, key)))
    cols = st.columns([3, 2], vertical_alignment="bottom")
    labels = {k: _(k) for k in NEW_PATHS}  # translated here, in the session
    cols[0].selectbox(_("New path"), list(NEW_PATHS), key=f"{P}newpath_{b.name}", format_func=labels.__getitem__)
    cols[1].number_input(_("Output channels"), min_value=1, max_value=L.MAX_CHANNELS, value=64, step=WIDTH_STEP, key=f"{P}newout_{b.name}")
    taken = {br.name for br in b.branches}
    name = next(f"branch{n}" for n in range(1, 100) if f"branch{n}" not in taken)
    ss = st.session_state  # read when clicked: the values the fields hold then

    def path(n: Network) -> Network:
        return edit.add_branch(n, b.name, Branch(name, NEW_PATHS[ss[f"{P}newpath_{b.name}"]](int(ss[f"{P}newout_{b.name}"]))))

    st.button(_("Add path"), key=f"{P}add_{b.name}", icon=":material/add:", width="stretch", on_click=_structural(path))


def rewrite_buttons(b: Block, net: Network) -> None:
    cols = st.columns(2)  # two to a row: no label is cut
    for i, (fn, label) in enumerate(REWRITES):
        try:
            ok = rewrites.applies(fn, net, b.name)
        except SpecError:
            ok = False
        cols[i % 2].button(_(label), key=f"{P}rw_{fn.__name__}_{b.name}", disabled=not ok, width="stretch",
                           on_click=_structural(lambda n, fn=fn: fn(n, b.name)))
    template = b.kind in TEMPLATES
    st.button(
        _("Reset this block to its template"), key=f"{P}reset_{b.name}", icon=":material/restart_alt:", width="stretch",
        disabled=not template or matches(b, net.style), on_click=_structural(lambda n: edit.reset_block(n, b.name)),
    )


def top_level(net: Network, key: str) -> None:
    """A stem or head layer: insert a layer after it, or remove it."""
    place = _where(net, key)
    if place is None:
        return
    where, index = place
    cols = st.columns([3, 2], vertical_alignment="bottom")
    labels = {k: _(k) for k in NEW_LAYERS}
    cols[0].selectbox(_("Insert after it"), list(NEW_LAYERS), key=f"{P}newlayer_{key}", format_func=labels.__getitem__)
    cols[1].number_input(_("Output channels"), min_value=1, max_value=L.MAX_CHANNELS, value=64, step=WIDTH_STEP, key=f"{P}newlout_{key}")
    ss = st.session_state

    def insert(n: Network) -> Network:
        kind = ss[f"{P}newlayer_{key}"]
        name = _fresh(n, kind.split()[0].replace("BatchNorm", "bn"))
        return edit.insert_layer(n, where, NEW_LAYERS[kind](name, int(ss[f"{P}newlout_{key}"])), index + 1)

    st.button(_("Insert"), key=f"{P}insert_{key}", icon=":material/add:", width="stretch", on_click=_structural(insert))
    st.button(_("Remove this layer"), key=f"{P}remove_{key}", icon=":material/delete:",
              on_click=_structural(lambda n: edit.remove_layer(n, key)))


# --- the inspector -------------------------------------------------------------------------------------


def inspector(cur: studio.Current) -> None:
    a, net = cur.analysis, cur.net
    st.subheader(_("Inspector"))
    sel = select_box(a)
    _error()
    if sel is None:
        st.info(_("Select a block or a layer (in the diagram, the layer table or the box above) to see its numbers and edit it."), icon=":material/ads_click:")
        return
    node = a.node(sel)
    kind = _(GROUPS[node.kind]) if node.kind in GROUPS else node.kind  # a layer's kind is its label's word
    template = f" · {state.md_literal(node.layer.kind)}" if node.kind == "block" and node.layer.kind else ""
    st.markdown(f"**{state.md_literal(node.name)}** · {state.md_literal(kind)}{template}")
    numbers(node, a)
    if node.kind == "block":
        b = node.layer
        studio.block_diagram(net, b.name, height=380)
        if b.kind in TEMPLATES and matches(b, net.style) and TEMPLATES[b.kind].fields:
            st.markdown("**" + _("Widths") + "**")
            widths(b, net, cur.design.origin())
        else:
            st.markdown("**" + _("Output channels") + "**")
            conv_widths(b, a)
        with st.expander(_("Structure"), expanded=False, key=f"main_struct_{b.name}"):
            branches(b, net)
            st.divider()
            st.markdown("**" + _("Rewrites") + "**")
            rewrite_buttons(b, net)
            st.divider()
            layers = sorted(studio.leaf_keys(a, b.name), key=[n.key for n in a.layers].index)
            layers = [k for k in layers if spec_layer(net, k) is not None]
            if layers:
                lk = f"main_ilayer_{b.name}"  # not a knob: kept when an edit re-reads the knobs
                if st.session_state.get(lk) not in layers:
                    st.session_state[lk] = layers[0]
                chosen = st.selectbox(_("Layer"), layers, key=lk)
                layer_editor(net, chosen)
                st.button(_("Remove this layer"), key=f"{P}rml_{chosen}", icon=":material/delete:",
                          on_click=_structural(lambda n: edit.remove_layer(n, chosen)))
    elif node.is_leaf:
        st.caption(state.md_literal(node.layer.label if isinstance(node.layer.label, str) else node.kind))
        layer_editor(net, sel)
        top_level(net, sel)
