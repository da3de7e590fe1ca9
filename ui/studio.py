"""Streamlit glue shared by every page: the design in session state and in the link, the
bounded caches, the knob widgets, the diagram component, and the error boundary.

Pages call these functions and stay a description of their UI. The core never sees
Streamlit; this module never computes a cost itself.

Session state (set once per session by ``init``, from the link):

* ``design`` — the ``state.Design`` being edited (possibly invalid);
* ``last_valid`` — the last design whose analysis succeeded: what the pages show while
  ``design`` is invalid;
* ``link_problems`` — the link's parameters that were dropped, as ``state.Problem`` messages
  said in the reader's language when shown;
* ``compare`` — the two designs of the Compare page;
* ``history`` — the ``ui.history.History`` of designs (undo, redo, the browser's Back);
* ``link_written`` — the design part of the link this session last wrote (a different one
  arriving means the browser went Back or Forward);
* ``main_selected`` — the selected node's analysis key (``inception3a``, ``.b3``, ``conv1``);
* ``view`` — the Architecture page's view (level, colour, opened block, table columns),
  kept across page visits.

Widget keys are prefixed by page (``main_``, ``block_``, ``compare_``, ``code_``); the design
knobs are ``main_k_…`` so that they can be re-seeded from the design in one sweep.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import plotly.graph_objects as go
import streamlit as st

from googlenet import analyze, config, report
from googlenet import limits as L
from googlenet.analysis import Analysis
from googlenet.checks import Check, TooLargeToRun, measure_latency, torchinfo_check
from googlenet.knobs import block_count, min_block_count
from googlenet.templates import TEMPLATES, matches
from googlenet.lessons import BlockLesson, lesson
from googlenet.presets import PRESETS, preset_names
from googlenet.render import COLORS, LEVELS, GraphvizMissing, RenderBusy, RenderError, block_dot, expandable, legend, render, to_dot
from googlenet.spec import Block, InputTooSmall, Network, SpecError

from . import charts, figures, i18n, interop, jobs, state, tables, viewlink
from . import diagram as diagram_view
from . import format as fmt
from .history import History
from .i18n import N_, _
from .state import Design

TITLE = "Inception Studio"
ICON = str(Path(__file__).resolve().parent.parent / "assets" / "icon.png")  # local: no icon CDN
KNOB = "main_k_"  # prefix of every widget that edits the design
UPLOADED = "\x00uploaded"  # the preset picker's entry for an uploaded network
LATENCY_WAIT_S = 60.0  # longest wait in line for the server before a measurement is refused


# --- bounded caches of immutable values, keyed by the immutable spec --------------------------


@lru_cache(maxsize=64)
def dot_text(net: Network, level: str, expand: str | None, color: str, numbers: bool, theme: str, lang: str = "en") -> str:
    return to_dot(analyze(net), level=level, expand=expand, color=color, numbers=numbers, theme=theme, words=i18n.diagram_words(lang))


def diagram_file(net: Network, level: str, expand: str | None, color: str, numbers: bool, theme: str, fmt: str, lang: str = "en") -> bytes:
    """The diagram rendered by ``dot`` (SVG for the page, PNG/SVG for download), in ``lang``'s
    words. A drawing that failed (too large, or ``dot`` out of time) fails again at once from
    the cache: a link that cost ``dot`` its time limit once does not cost it again on every rerun.
    The cache keeps the failure's class and message, not the exception (whose traceback would
    grow with every raise and hold the session's frames); a busy server is not cached."""
    data, failed = _diagram_outcome(net, level, expand, color, numbers, theme, fmt, lang)
    if failed is not None:
        cls, message = failed
        raise cls(message)
    return data


@lru_cache(maxsize=64)
def _diagram_outcome(net: Network, level: str, expand: str | None, color: str, numbers: bool, theme: str, fmt: str, lang: str = "en"):
    try:
        return render(dot_text(net, level, expand, color, numbers, theme, lang), fmt), None
    except RenderBusy:
        raise  # lru_cache keeps no raised call: the next rerun tries again
    except RenderError as err:
        return None, (type(err), str(err))


@lru_cache(maxsize=64)
def diagram_legend(net: Network, color: str, level: str, expand: str | None, lang: str = "en") -> tuple[tuple[str, str], ...]:
    """The legend under a diagram: the kinds (or the colour scale) that drawing uses. Building
    it lays the network out as the drawing does (tens of ms at layers level), so it is cached."""
    return tuple(tuple(x) for x in legend(color, analyze(net), level, expand=expand, words=i18n.diagram_words(lang)))


@lru_cache(maxsize=64)
def block_svg(net: Network, block: str, theme: str, lang: str = "en") -> bytes:
    return render(block_dot(analyze(net), block, theme=theme, words=i18n.diagram_words(lang)), "svg")


@lru_cache(maxsize=32)
def config_text(net: Network) -> str:
    return config.dumps(net)


@lru_cache(maxsize=16)
def checks_of(net: Network) -> tuple[Check, ...]:
    return tuple(torchinfo_check(net))


def torchinfo_checks(net: Network) -> tuple[Check, ...] | None:
    """torchinfo's verdicts, or None with the reason shown when the check itself could not run."""
    with st.spinner("Building the model and running torchinfo…"):
        try:
            return checks_of(net)
        except Exception as err:  # noqa: BLE001 - whatever the design, a message and never an exception box
            st.error(f"The torchinfo check could not run: {state.md_literal(err, 500)}", icon=":material/error:")
            return None


@lru_cache(maxsize=256)
def block_lesson(net: Network, block: str) -> BlockLesson:
    return lesson(analyze(net), block)


@lru_cache(maxsize=48)
def chart_json(figure: Callable[[Analysis], charts.Figure], net: Network, lang: str = i18n.SOURCE) -> str:
    """A chart of the network's analysis as plotly JSON (a figure is mutable; its text is not),
    in the session's language ``lang`` (part of the cache's key: its words are built in)."""
    return json.dumps(figure(analyze(net)), separators=(",", ":"))


def plotly_figure(fig: charts.Figure) -> go.Figure:
    """A figure of ``ui.charts`` as the figure object ``st.plotly_chart`` takes."""
    # the charts build valid plotly JSON (tests/test_charts.py checks it): no second validation
    return go.Figure(fig, _validate=False)


def chart(figure: Callable[[Analysis], charts.Figure], net: Network, key: str) -> None:
    """``st.plotly_chart`` of ``figure(analyze(net))``, built once per network, not on every rerun."""
    st.plotly_chart(plotly_figure(json.loads(chart_json(figure, net, i18n.language()))), key=key)


@lru_cache(maxsize=8)
def family_analyses() -> tuple[tuple[str, str, Analysis], ...]:
    return tuple((name, PRESETS[name].description, analyze(state.preset_network(name))) for name in preset_names())


def theme() -> str:
    """The diagram theme: the app's theme type when the browser has told us, else light."""
    try:
        kind = st.context.theme.type
    except Exception:  # noqa: BLE001 - an old or bare runtime without theme information
        kind = None
    return "dark" if kind == "dark" else "light"


NO_EXPAND_ = N_("(none)")  # the "Open one stage or block" box's nothing


# --- shared state -----------------------------------------------------------------------------


def init() -> None:
    """Set the shared state once per session (from the link), follow the browser's Back and
    Forward, then keep the link in step."""
    i18n.init(st.query_params.to_dict())
    if "design" not in st.session_state:
        decoded = state.from_query(st.query_params.to_dict())
        st.session_state.setdefault("design", decoded.design)
        st.session_state.setdefault("link_problems", list(decoded.problems))
    st.session_state.setdefault("last_valid", state.reset(st.session_state.design))
    st.session_state.setdefault("compare", {"a": None, "b": state.from_preset("googlenet")})
    st.session_state.setdefault("history", History())
    if "view" not in st.session_state:
        st.session_state.view = view_from_link(st.query_params.to_dict())
    follow_link()
    write_link()


def design_params(q: dict[str, str]) -> dict[str, str]:
    """The design's part of a link: without the language and the view parameters."""
    return {k: v for k, v in q.items() if k not in state.VIEW and k != i18n.PARAM}


def follow_link() -> None:
    """When the link names another design than the one this session wrote last, the browser
    went Back or Forward (it reruns the page with that link): show that design, as an undo
    or redo when it is one step away. A link without a design (a page switch clears it) changes
    nothing."""
    ss = st.session_state
    written = ss.get("link_written")
    q = design_params(st.query_params.to_dict())
    if written is None or not q or q == written:
        return
    decoded = state.from_query(q)
    if decoded.design == ss.design:
        return
    ss.history = ss.history.follow(ss.design, decoded.design)
    ss.design = decoded.design
    ss.link_problems = list(decoded.problems)
    forget(KNOB)


# the view's link parameters and the session keys of the widgets that show them
VIEW_PARAMS = {"select": "main_selected", "level": "main_level", "color": "main_color", "open": "main_expand"}
VIEW_DEFAULTS = {"main_level": "blocks", "main_color": "kind", "main_expand": NO_EXPAND_, "main_selected": None}


def view_from_link(q: dict[str, str]) -> dict:
    """The view a link names (its widgets' session values); a value that is no option is left
    out (the opened block and the selection are checked against the network where shown)."""
    allowed = {"level": LEVELS, "color": COLORS}
    out = {}
    for param, key in VIEW_PARAMS.items():
        v = q.get(param)
        if v and len(v) <= 200 and (param not in allowed or v in allowed[param]):
            out[key] = v
    return out


def view_params() -> dict[str, str]:
    """The current view as link parameters, those that differ from the defaults."""
    ss = st.session_state
    saved = ss.get("view", {})
    out = {}
    for param, key in VIEW_PARAMS.items():
        v = ss.get(key, saved.get(key))
        if key == "main_expand" and v == _(NO_EXPAND_):  # nothing opened, in the page's language
            continue
        if v is not None and v != VIEW_DEFAULTS[key]:
            out[param] = str(v)
    return out


def replace_view_link() -> None:
    """The view into the address bar without a history entry: the browser's ``replaceState``
    (Streamlit pushes an entry whenever a script changes the query parameters)."""
    want = {k: view_params().get(k) for k in state.VIEW}
    script = viewlink.page(want)
    with st.container(key="main_view_link", height=1, border=False):
        st.iframe(script, height=1)


def write_link() -> None:
    """The design (and the chosen language) into the address bar in one change, so that the
    browser adds one history entry per design change, with the view as it is then; a change of
    the view alone is written by ``replace_view_link``, which adds no entry."""
    ss = st.session_state
    design = {**state.to_query(ss.design), **i18n.link_params()}
    ss.link_written = design_params(design)
    current = st.query_params.to_dict()
    if design_params(current) == ss.link_written and current.get(i18n.PARAM) == design.get(i18n.PARAM):
        return
    want = {**design, **view_params()}
    stale = [k for k in current if k not in want]
    try:
        from streamlit.runtime.state.session_state_proxy import get_session_state

        with get_session_state().query_params() as qp:
            for k in stale:
                qp.discard_param_no_forward_msg(k)
            qp.update(want)  # one message: one history entry
    except (ImportError, AttributeError):  # another Streamlit: deletions, then one update
        for k in stale:
            del st.query_params[k]
        st.query_params.update(want)


def page() -> None:
    """The first call of every file in ``pages/``: those pages belong to app.py's navigation.

    Streamlit decides once per process, before any script has run, whether a folder named
    ``pages/`` means its older folder-based navigation; a server's first visit straight to
    ``/code`` would then run ``pages/code.py`` alone, without the entry point. The first
    ``st.navigation`` call switches that off for good; a page that finds it still on switches
    it off itself and reruns through the entry point, so even that first visit gets the app's
    navigation. (AppTest turns the folder mode back on before every run, where a rerun would
    swallow a button click; there the page just goes on, with the shared state set here and
    the language picker the entry point would have drawn.)
    """
    from streamlit import config as st_config
    from streamlit.runtime.pages_manager import PagesManager

    alone = PagesManager.uses_pages_directory
    if alone:
        PagesManager.uses_pages_directory = False
        if not st_config.get_option("global.appTest"):
            st.rerun()
    init()
    if alone:
        with st.sidebar:
            i18n.picker()


def set_design(d: Design, reseed: bool = False) -> None:
    """Replace the design (from a callback), one step of the history; ``reseed`` re-reads every
    knob widget from it."""
    ss = st.session_state
    ss.history = ss.get("history", History()).record(ss.design, d)
    ss.design = d
    ss.link_problems = []
    if reseed:
        forget(KNOB)


def undo() -> None:
    ss = st.session_state
    ss.history, ss.design = ss.history.undo(ss.design)
    ss.link_problems = []
    forget(KNOB)


def redo() -> None:
    ss = st.session_state
    ss.history, ss.design = ss.history.redo(ss.design)
    ss.link_problems = []
    forget(KNOB)


def history_buttons(key: str = "main") -> None:
    """Undo and redo, each with what it would change in its tooltip."""
    ss = st.session_state
    h = ss.get("history", History())
    cols = st.columns([1, 1, 3], vertical_alignment="center")

    def what(target: Design | None) -> str:
        if target is None:
            return _("Nothing to step to")
        try:
            lines = state.changes(ss.design.network(), target.network())
        except SpecError:
            lines = []
        return "; ".join(lines[:6]) or _("the same network")

    cols[0].button(
        _("Undo"), key=f"{key}_undo", icon=":material/undo:", on_click=undo, disabled=not h.can_undo, width="stretch",
        help=what(h.past[-1] if h.past else None),
    )
    cols[1].button(
        _("Redo"), key=f"{key}_redo", icon=":material/redo:", on_click=redo, disabled=not h.can_redo, width="stretch",
        help=what(h.future[-1] if h.future else None),
    )
    cols[2].caption(_("{n} steps to undo, {m} to redo; the browser's Back and Forward step through them too.").format(n=len(h.past), m=len(h.future)))


def forget(prefix: str) -> None:
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[key]


def knob(key: str, value) -> dict:
    """``value=`` for a widget that shows the design: ``st.slider(…, **knob(key, n), key=key)``.

    On every run but one the widget is given the design's value, so it always carries it: a
    widget whose code reaches the browser only after a later rerun (a slow computer, a busy
    server) shows the design, not its minimum, and the next move does not send that minimum
    back as a change. The one run is the first for the key (a new session, or a reseed that
    forgot it): then the value goes through session state, which also tells a widget already
    on screen to show it, and the widget keeps its own default that run (Streamlit warns
    about a widget given a value both ways)."""
    if key in st.session_state:
        return {"value": value}
    st.session_state[key] = value
    return {}


def option(key: str, options: list, value) -> dict:
    """``knob`` for a selectbox: ``index=`` of ``value`` among ``options``."""
    return {"index": options.index(value)} if knob(key, value) else {}


@dataclass(frozen=True)
class Current:
    """The design being edited and what is shown for it."""

    design: Design  # as edited
    shown: Design  # the design whose network is shown: ``design`` or the last valid one
    net: Network
    analysis: Analysis
    error: SpecError | None  # why ``design`` is not the one shown

    @property
    def origin(self) -> Analysis | None:
        """The unmodified preset (or upload) of the shown design, for the metric deltas."""
        try:
            return analyze(self.shown.origin())
        except SpecError:
            return None


def current() -> Current:
    """The current design; when it cannot make a network, the last valid one is shown."""
    d = st.session_state.design
    try:
        net = d.network()
        a = analyze(net)
    except SpecError as err:
        shown = st.session_state.get("last_valid") or state.reset(d)
        try:
            net = shown.network()
            a = analyze(net)
        except SpecError:
            shown = state.from_preset(state.DEFAULT_PRESET)
            net = shown.network()
            a = analyze(net)
        return Current(d, shown, net, a, err)
    st.session_state.last_valid = d
    return Current(d, d, net, a, None)


def knob_net(d: Design) -> Network:
    """The network whose values the knobs show: the design's, or its origin's if it has none."""
    try:
        return d.network()
    except SpecError:
        return d.start()


# --- messages ---------------------------------------------------------------------------------


def link_messages() -> None:
    lang = i18n.language()
    for problem in st.session_state.get("link_problems", []):
        st.warning(problem.text(lang), icon=":material/link_off:")


def error_box(cur: Current, key: str = "main") -> None:
    """What is wrong with the design, the fix when there is one, and what is shown instead."""
    if cur.error is None:
        return
    err = cur.error
    shown = cur.shown.title
    st.error(
        "**" + state.md_literal(err.field or _("network")) + "** — " + state.md_literal(i18n.error_detail(err), 500) + "\n\n"
        + _("Showing the last valid network ({title}) until this is fixed.").format(title=state.md_literal(shown)),
        icon=":material/error:",
    )
    if isinstance(err, InputTooSmall) and err.min_size is not None:
        h, w = err.min_size
        c = knob_net(cur.design).input[0]
        st.button(
            _("Use the smallest input, {shape}").format(shape=f"{c}×{h}×{w}"),
            key=f"{key}_fix_input",
            on_click=lambda: set_design(state.with_input(st.session_state.design, (c, h, w)), reseed=True),
        )


def invalid_notice(cur: Current) -> None:
    """For pages other than the main one: the edited design is invalid, so this shows the last valid."""
    if cur.error is not None:
        st.warning(
            f"The design on the Architecture page is invalid ({state.md_literal(cur.error, 500)}); this page shows the last valid network, {state.md_literal(cur.shown.title)}.",
            icon=":material/warning:",
        )


# --- the design knobs (main page sidebar) ------------------------------------------------------


def _on(key: str, change):
    """A callback: apply ``change(design, widget value)``; a refused value is reported, not raised."""

    def callback() -> None:
        try:
            set_design(change(st.session_state.design, st.session_state[key]))
        except SpecError as err:
            st.session_state.main_knob_error = i18n.error_text(err)

    return callback


def _pick_preset() -> None:
    choice = st.session_state[KNOB + "preset"]
    if choice == UPLOADED:
        return
    set_design(state.from_preset(choice), reseed=True)


def preset_label(option: str, d: Design) -> str:
    """The family's presets by name; the book's other networks (for comparing with GoogLeNet)
    marked as a group of their own; an upload by its network's name."""
    if option == UPLOADED and d.base is not None:
        return _("{name} (uploaded)").format(name=d.base.name)
    if option in PRESETS and PRESETS[option].group == "book":
        return _("{name} · the book's other networks").format(name=option)
    return option


def preset_picker() -> None:
    d = st.session_state.design
    options = ([UPLOADED] if d.base is not None else []) + preset_names()
    st.selectbox(
        _("Preset"),
        options,
        **option(KNOB + "preset", options, UPLOADED if d.base is not None else d.preset),
        key=KNOB + "preset",
        format_func={o: preset_label(o, d) for o in options}.__getitem__,
        on_change=_pick_preset,
        help=_("The network to start from; every knob below is a change to it."),
    )
    origin = d.origin()
    described = i18n.preset_description(d.preset) if d.base is None else origin.description  # an upload's own words stay
    st.caption(state.md_literal(described or "", 600))
    st.button(
        _("Reset to preset"),
        key="main_reset",
        on_click=lambda: set_design(state.reset(st.session_state.design), reseed=True),
        disabled=not d.modified,
        width="stretch",
    )


def seed(key: str, value) -> dict:
    """``value=`` for a widget that must show ``value``, the model's: as ``knob`` does (the
    widget carries the value, so code that reaches the browser late shows it), except that a
    widget holding another value (a refused entry) is put back through session state."""
    ss = st.session_state
    if ss.get(key) != value:
        ss[key] = value
        return {}
    return {"value": value}


MESSAGE = "__message"  # suffix of the session key holding a field's message for one run


def typed(
    label: str, key: str, value: int, lo: int, hi: int, field: str, change: Callable[[Design, int], Design],
    step: int = 1, help: str | None = None, where=None,
) -> None:
    """A whole-number field one can type, that always shows the value the model uses.

    No browser-side bounds (those only draw a red border): a value out of ``lo``–``hi`` or one
    the core refuses leaves the design as it was, shows a message under the field naming the
    allowed range (a ``SpecError`` in the session's language), and the field is put back to
    the model's value."""
    where = where or st
    ss = st.session_state
    shown = seed(key, value)

    def changed() -> None:
        v = ss.get(key)
        if v is None or not lo <= v <= hi:
            ss[key + MESSAGE] = i18n.error_text(SpecError(field, "int.range", lo=f"{lo:,}", hi=f"{hi:,}", value="" if v is None else f"{v:,}"))
            return
        try:
            set_design(change(ss.design, int(v)))
        except SpecError as err:
            ss[key + MESSAGE] = i18n.error_text(err)

    where.number_input(label, step=step, key=key, on_change=changed, help=help, **shown)
    message = ss.pop(key + MESSAGE, None)
    if message:
        with where.container(key=f"msg_{key}"):
            st.error(state.md_literal(message, 500), icon=":material/error:")


def input_knobs() -> None:
    d = st.session_state.design
    net = knob_net(d)
    start = d.start()
    c, h, w = d.tweaks.input or start.input  # as typed: a too small input is explained above
    classes = d.tweaks.classes or start.classes

    def shape(i: int):
        def change(d: Design, v: int) -> Design:
            now = list(d.tweaks.input or d.start().input)
            now[i] = v
            return state.with_input(d, tuple(now))

        return change

    cols = st.columns(3)
    k = KNOB
    typed(_("Channels"), k + "channels", c, 1, L.MAX_INPUT_CHANNELS, "input.channels", shape(0), where=cols[0])
    typed(_("Height"), k + "height", h, 1, L.MAX_INPUT_SIZE, "input.height", shape(1), where=cols[1])
    typed(_("Width"), k + "width", w, 1, L.MAX_INPUT_SIZE, "input.width", shape(2), where=cols[2])
    typed(_("Classes"), k + "classes", classes, 1, L.MAX_CLASSES, "classes", state.with_classes)
    if d.origin().aux:
        st.toggle(
            _("Aux heads"),
            **knob(KNOB + "aux", net.aux_enabled),
            key=KNOB + "aux",
            on_change=_on(KNOB + "aux", state.with_aux),
            help=_("GoogLeNet's auxiliary classifiers: they add params and run only in training."),
        )
    st.slider(
        _("Width multiplier"),
        min(0.25, net.width),
        max(2.0, net.width),
        **knob(KNOB + "multiplier", float(net.width)),
        step=0.05,
        key=KNOB + "multiplier",
        on_change=_on(KNOB + "multiplier", state.with_width_multiplier),
        help=_("Scales every conv's output channels: max(1, round(c × m))."),
    )


def count_knobs() -> None:
    d = st.session_state.design
    net, origin = knob_net(d), d.origin()
    repeat = [s for s in net.stages if s.repeat]
    if not repeat:
        return
    st.subheader(_("Blocks per stage"))
    for s in repeat:
        key = f"{KNOB}count_{s.name}"
        n = block_count(net, s.name)
        n0 = block_count(origin, s.name)
        st.slider(
            _("{stage} blocks").format(stage=s.name),
            min_block_count(net, s.name),
            min(L.MAX_BLOCKS_PER_STAGE, max(2 * n0, n0 + 4, n)),
            **knob(key, n),
            key=key,
            on_change=_on(key, lambda d, v, name=s.name: state.with_count(d, name, v)),
            help=_("{kind} blocks; the preset has {n}. Added blocks copy the stage's last block; removing a block removes an aux head it feeds.").format(kind=s.repeat, n=n0),
        )


def _slider_max(origin: Network, kind: str, name: str, i: int, value: int) -> int:
    same = [b.width(name)[i] for b in origin.blocks() if b.kind == kind and b.widths]
    top = max(same, default=value)
    return min(L.MAX_CHANNELS, max(64, -(-2 * top // 32) * 32, value))


def width_knobs() -> None:
    d = st.session_state.design
    net, origin = knob_net(d), d.origin()
    staged = [(s, [it for it in s.items if isinstance(it, Block) and matches(it, net.style)]) for s in net.stages]
    staged = [(s, bs) for s, bs in staged if bs]
    if not staged:
        return
    st.subheader(_("Block widths"))
    st.caption(_("Or select a block beside the diagram: its widths can be typed there."))
    for s, blocks in staged:
        st.caption(_("Stage {stage}").format(stage=state.md_literal(s.name)))
        for b in blocks:
            kind = TEMPLATES[b.kind]
            # lazy: a closed expander runs nothing, so hundreds of blocks cost no widgets
            box = st.expander(f"{state.md_literal(b.name)} · {state.md_literal(b.kind)}", key=f"main_open_{b.name}", on_change="rerun")
            if not box.open:
                continue
            with box:
                for name, arity in kind.fields:
                    keys = [f"{KNOB}w_{b.name}_{name}_{i}" for i in range(arity)]

                    def widths(d: Design, _v, block=b.name, name=name, keys=tuple(keys)) -> Design:
                        return state.with_block_width(d, block, name, [st.session_state[k] for k in keys])

                    for i, (key, value, label) in enumerate(zip(keys, b.width(name), kind.part_labels(name))):
                        top = _slider_max(origin, b.kind, name, i, value)
                        st.slider(f"{name} · {label}", 1, top, **knob(key, value), key=key, on_change=_on(key, widths))
                if kind.residual:
                    key = f"{KNOB}scale_{b.name}"
                    st.slider(
                        _("residual scale"),
                        min(0.0, b.scale),
                        max(1.0, b.scale),
                        **knob(key, float(b.scale)),
                        step=0.01,
                        key=key,
                        on_change=_on(key, lambda d, v, block=b.name: state.with_scale(d, block, v)),
                        help=_("The branches' sum is multiplied by this before it is added to the input."),
                    )


def knob_error() -> None:
    message = st.session_state.pop("main_knob_error", None)
    if message:
        st.error(state.md_literal(message, 500))


# --- config import ----------------------------------------------------------------------------


def _imported() -> None:
    f = st.session_state.get("main_upload")
    if f is None:
        return
    data = f.getvalue()
    if len(data) > L.MAX_CONFIG_BYTES:
        st.session_state.main_import_message = ("error", _("{file}: the file is larger than {limit} bytes").format(file=f.name, limit=f"{L.MAX_CONFIG_BYTES:,}"))
        return
    try:
        net = config.loads(data)
    except SpecError as err:
        st.session_state.main_import_message = ("error", _("Could not import {file}: **{field}** — {detail}").format(file=f.name, field=err.field or "config", detail=i18n.error_detail(err)))
        return
    d = state.from_network(net)
    set_design(d, reseed=True)
    how = _("a variant of the {preset} preset").format(preset=d.preset) if d.base is None else _("a network of its own (kept in the link as a packed config)")
    st.session_state.main_import_message = ("success", _("Imported {file}: {how}.").format(file=f.name, how=how))


def config_import() -> None:
    st.file_uploader(
        _("Import a config (JSON)"),
        type=["json"],
        key="main_upload",
        on_change=_imported,
        help=_("A file saved with “Config JSON” below, or written by hand in the same format."),
    )
    kind, message = st.session_state.pop("main_import_message", (None, None))
    if kind == "error":
        st.error(state.md_literal(message, 500), icon=":material/error:")
    elif kind == "success":
        st.success(state.md_literal(message, 500))
    d = st.session_state.design
    if not state.link_fits(d):
        st.info(_("This network is too large to put in a link; share its config JSON instead."))


# --- totals -----------------------------------------------------------------------------------


def units_picker(key: str) -> str:
    return st.segmented_control(
        _("Units"), tables.UNITS, default="auto", required=True, key=key, persist_state="session",
        format_func={"auto": _("auto"), "M": "M", "G": "G", "exact": _("exact")}.__getitem__,
        help=_("auto: three significant figures (k, M, G); exact: every digit"),
    )


def metrics(cur: Current, units: str) -> None:
    cards = tables.metrics(cur.analysis, cur.origin if cur.shown.modified else None, units)
    for row in (cards[:4], cards[4:]):
        for col, m in zip(st.columns(4), row):
            col.metric(_(m.label), m.value, m.delta, delta_color="inverse" if m.label != "Depth" else "off", help=m.help)


VIEW_KEYS = ("main_level", "main_expand", "main_color", "main_numbers", "main_table_columns", "main_units", "main_selected")


def restore_view() -> None:
    """Put the page's view widgets back as they were when the page was last shown (a page
    switch forgets the state of widgets that are not drawn)."""
    ss = st.session_state
    for k, v in ss.get("view", {}).items():
        if k not in ss:
            ss[k] = v


def keep_view() -> None:
    st.session_state.view = {k: st.session_state[k] for k in VIEW_KEYS if k in st.session_state}


# --- diagrams ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiagramOptions:
    level: str = "blocks"
    expand: str | None = None
    color: str = "kind"
    numbers: bool = False
    theme: str = "light"


LEVEL_LABELS = {"stages": N_("stages"), "blocks": N_("blocks"), "layers": N_("layers")}


def level_label(level: str) -> str:
    """A diagram level's name in the reader's language."""
    return _(LEVEL_LABELS.get(level, level))


def diagram_options(a: Analysis, prefix: str = "main") -> DiagramOptions:
    cols = st.columns([3, 3, 3, 2])
    level = cols[0].segmented_control(
        _("Level"), LEVELS, default="blocks", required=True, key=f"{prefix}_level",
        format_func=level_label,
    )
    none = _(NO_EXPAND_)  # the option itself, not a format_func: the same in every view of the widget
    names = [none] + expandable(a)
    key = f"{prefix}_expand"
    if st.session_state.get(key) not in names:
        st.session_state[key] = none
    expand = cols[1].selectbox(_("Open one stage or block"), names, key=key, help=_("Draw it layer by layer; the rest stays collapsed."))
    color = cols[2].segmented_control(
        _("Colour by"), COLORS, default="kind", required=True, key=f"{prefix}_color",
        format_func=lambda c: {"kind": _("kind"), "params": _("params"), "macs": _("MACs")}[c],
    )
    numbers = cols[3].toggle(_("Numbers"), key=f"{prefix}_numbers", help=_("Params and MACs on every node"))
    return DiagramOptions(level, None if expand == none else expand, color, numbers, theme())


SELECTED = "main_selected"  # the analysis key of the node clicked on the main diagram


def _show_svg(svg: bytes, chips: list[tuple[str, str]], height: int, alt: str, theme_: str, key: str, **view) -> None:
    """The SVG in the diagram component (``ui.diagram``): zoom, pan, search, select."""
    diagram_view.show(svg, key=key, theme=theme_, legend=chips, alt=alt, height=height, **view)


def _drawn(make, fallback_dot) -> bytes | None:
    """``make()``'s SVG; without Graphviz the DOT drawn in the browser, on error the reason."""
    try:
        with st.spinner(_("Drawing with Graphviz…")):  # shows only when a drawing is slow
            return make()
    except GraphvizMissing as err:
        st.warning(_("{reason}. Drawing it in the browser instead (no export).").format(reason=state.md_literal(err, 500)))
        st.graphviz_chart(fallback_dot())
    except RenderError as err:
        st.error(_("The diagram could not be drawn: {reason}").format(reason=state.md_literal(err, 500)))
    return None


def diagram(
    net: Network, opts: DiagramOptions, height: int = 640, key: str = "main_diagram",
    select_key: str | None = SELECTED, marked: tuple[str, ...] = (), caption: bool = True,
) -> None:
    """The network drawn by ``dot`` on the server, in the diagram component: its view kept
    across reruns, the blocks the last design change touched flashed and brought into view,
    a click selecting a node (its key in ``st.session_state[select_key]``)."""
    args = (net, opts.level, opts.expand, opts.color, opts.numbers, opts.theme)
    lang = i18n.language()
    svg = _drawn(lambda: diagram_file(*args, "svg", lang), lambda: dot_text(*args, lang))
    if svg is None:
        return
    a = analyze(net)
    changed, token = diagram_view.design_changes(key, net)
    selected = st.session_state.get(select_key) if select_key else None
    _show_svg(
        svg, diagram_legend(net, opts.color, opts.level, opts.expand, lang), height, _("Diagram of {name} at the level of {level}").format(name=net.name, level=opts.level),
        opts.theme, key, focus=diagram_view.lecture_focus([g.key for g in a.blocks]), changed=changed, change_token=token,
        selected=selected, marked=marked, select_key=select_key,
    )
    if not caption:
        return
    text = _("Scroll or pinch to zoom, drag to pan, type a name to find it, click a node to select it.") + " " + i18n.translate(report.COUNTING_RULE) + "."
    if selected:
        text = _("Selected: {name}").format(name=state.md_literal(selected)) + " · " + text
    st.caption(text)


def block_diagram(net: Network, block: str, height: int = 560) -> None:
    th = theme()
    lang = i18n.language()
    svg = _drawn(lambda: block_svg(net, block, th, lang), lambda: block_dot(analyze(net), block, theme=th, words=i18n.diagram_words(lang)))
    if svg is None:
        return
    # the drawing has its own legend; a click selects the layer for the Architecture page too
    _show_svg(svg, [], height, _("Diagram of block {name}").format(name=block), th, "block_diagram", select_key=SELECTED,
              selected=st.session_state.get(SELECTED))


def stages_diagram(net: Network, height: int = 520, key: str = "family_diagram") -> None:
    diagram(net, DiagramOptions(level="stages", numbers=True, theme=theme()), height, key, select_key=None, caption=False)


# --- the layer table ----------------------------------------------------------------------------


def leaf_keys(a: Analysis, key: str | None) -> frozenset[str]:
    """The keys of the layers under the node ``key`` (itself when it is a layer)."""
    try:
        node = a.node(key) if key else None
    except (KeyError, SpecError):
        node = None
    if node is None:
        return frozenset()
    out, todo = set(), [node]
    while todo:
        n = todo.pop()
        if n.is_leaf:
            out.add(n.key)
        todo.extend(n.children)
    return frozenset(out)


def layer_table(a: Analysis, prefix: str = "main", selected: str | None = None) -> None:
    """One table of the layers, the totals its first row (aligned with the columns by being in
    the same table), the columns that matter shown and the rest a pick away; a row clicked
    selects its layer, and the rows of the selected node are highlighted."""
    cols = st.columns([2, 2, 3])
    stage_names = list(dict.fromkeys(r.stage for r in a.layers))
    stages = cols[0].multiselect(_("Stages"), stage_names, key=f"{prefix}_table_stages", placeholder=_("all stages"))
    block_names = [g.name for g in a.blocks if not stages or g.stage in stages]
    key = f"{prefix}_table_blocks"
    if any(b not in block_names for b in st.session_state.get(key, [])):
        st.session_state[key] = [b for b in st.session_state[key] if b in block_names]
    blocks = cols[1].multiselect(_("Blocks"), block_names, key=key, placeholder=_("all blocks"))
    extra_key = f"{prefix}_table_columns"
    extra = cols[2].multiselect(
        _("More columns"), list(tables.MORE_COLUMNS), key=extra_key, format_func={c: _(c) for c in tables.MORE_COLUMNS}.__getitem__,
        placeholder=_("FLOPs, bytes, receptive field…"),
    )
    df = tables.layers(a, stages, blocks)
    shown = tables.with_totals(df, [c for c in tables.LAYER_COLUMNS.values() if c in tables.DEFAULT_COLUMNS or c in extra])
    number = lambda c: st.column_config.NumberColumn(_(c), format="localized")  # noqa: E731
    labels = {c: _(c) for c in shown.columns}  # the columns as the reader's language names them
    english = {v: k for k, v in labels.items()}
    config_ = {labels[c]: (number(c) if c in tables.NUMBER_COLUMNS else st.column_config.TextColumn(_(c))) for c in shown.columns}
    config_[labels["Layer"]] = st.column_config.TextColumn(_("Layer"), width="medium", pinned=True)
    keys = leaf_keys(a, selected)
    styled = shown.rename(columns=labels).style.apply(lambda row: tables.row_style(row.rename(index=english), keys), axis=1)

    def picked() -> None:
        rows = st.session_state[f"{prefix}_table"].selection.rows
        if rows and rows[0] > 0:
            st.session_state[SELECTED] = shown.iloc[rows[0]]["Layer"]

    st.dataframe(
        styled, hide_index=True, width="stretch", height=420, column_config=config_, key=f"{prefix}_table",
        on_select=picked, selection_mode="single-row",
    )
    st.caption(i18n.translate(report.COUNTING_RULE) + ". " + _("Aux-head rows (training only) are named by their head in Stage. The first row holds the totals of the rows shown; click a row to select its layer."))


# --- exports ------------------------------------------------------------------------------------


def exports(cur: Current, opts: DiagramOptions, prefix: str = "main") -> None:
    """The figure options a slide needs (orientation, PNG scale, fit 16:9, folded repeats,
    transparent, CSV for Excel) and the downloads made with them: the diagram at the page's
    level, expand, colour, numbers and theme, drawn by ``dot``; the table, config and code."""
    d, net = cur.shown, cur.net
    fig = figures.figure_options(prefix)
    figures.figure_downloads(net, state.stem(d), opts.level, opts.expand, opts.color, opts.numbers, opts.theme, fig, prefix)
    cols = st.columns(3)
    with cols[0]:
        figures.csv_download(net, state.file_name(d, "csv"), fig, prefix)
    cols[1].download_button(
        _("Config JSON"), data=config_text(net), file_name=state.file_name(d, "json"), mime="application/json",
        key=f"{prefix}_dl_json", on_click="ignore", icon=":material/data_object:",
    )
    cols[2].download_button(
        _("PyTorch code"), data=lambda: interop.python_code(net, i18n.SOURCE), file_name=state.file_name(d, "py"), mime="text/x-python",
        key=f"{prefix}_dl_py", on_click="ignore", icon=":material/code:",
    )


# --- one block ------------------------------------------------------------------------------------


def block_picker(net: Network) -> str | None:
    blocks = net.blocks()
    if not blocks:
        return None
    names = [b.name for b in blocks]
    kinds = {b.name: b.kind or _("block") for b in blocks}
    key = "block_name"
    if st.session_state.get(key) not in names:
        lecture = [b.name for b in blocks if b.kind in TEMPLATES and len(TEMPLATES[b.kind].fields) >= 4]
        st.session_state[key] = (lecture or names)[0]
    return st.selectbox(_("Block"), names, key=key, format_func=lambda n: f"{n} · {kinds[n]}")


# --- two designs -----------------------------------------------------------------------------------


def compare_design(side: str) -> Design:
    """A side's design; ``None`` in the state means "the Architecture page's design"."""
    d = st.session_state.compare[side]
    return st.session_state.design if d is None else d


def _compare_set(side: str, d: Design | None) -> None:
    st.session_state.compare = {**st.session_state.compare, side: d}
    forget(f"compare_{side}_")


def copy_a_to_b() -> None:
    _compare_set("b", compare_design("a"))


def swap_sides() -> None:
    a, b = compare_design("a"), compare_design("b")
    st.session_state.compare = {"a": b, "b": a}
    forget("compare_a_")
    forget("compare_b_")


def compare_side(side: str) -> Analysis | None:
    """One side's pickers; returns its analysis (None, with the error shown, if it is invalid)."""
    following = st.session_state.compare[side] is None
    d = compare_design(side)
    p = f"compare_{side}_"
    options = ([UPLOADED] if d.base is not None else []) + preset_names()

    def pick() -> None:
        choice = st.session_state[p + "preset"]
        if choice != UPLOADED:
            _compare_set(side, state.from_preset(choice))

    st.selectbox(
        _("Network {side}").format(side=side.upper()), options, **option(p + "preset", options, UPLOADED if d.base is not None else d.preset),
        key=p + "preset", on_change=pick,
        format_func=lambda o: _("{name} (uploaded)").format(name=d.base.name) if o == UPLOADED and d.base is not None else o,
    )
    net = knob_net(d)

    def change(make):
        def callback() -> None:
            ss = st.session_state
            try:
                ss.compare = {**ss.compare, side: make(compare_design(side))}
            except SpecError as err:
                ss[p + "error"] = i18n.error_text(err)

        return callback

    cols = st.columns(3)
    size = lambda d: state.with_input(d, (net.input[0], st.session_state[p + "height"], st.session_state[p + "width"]))  # noqa: E731
    cols[0].number_input(_("Height"), 1, L.MAX_INPUT_SIZE, **knob(p + "height", net.input[1]), key=p + "height", on_change=change(size))
    cols[1].number_input(_("Width"), 1, L.MAX_INPUT_SIZE, **knob(p + "width", net.input[2]), key=p + "width", on_change=change(size))
    cols[2].number_input(
        _("Width multiplier"), L.MIN_WIDTH, L.MAX_WIDTH, **knob(p + "multiplier", float(net.width)), step=0.05, key=p + "multiplier",
        on_change=change(lambda d: state.with_width_multiplier(d, st.session_state[p + "multiplier"])),
    )
    st.button(
        _("Follow the Architecture page"), key=p + "load", width="stretch", disabled=following,
        on_click=lambda: _compare_set(side, None),
        help=_("This side then shows the design being edited on the Architecture page, as it changes."),
    )
    source = _("the design from the Architecture page") if following else _("set on this page")
    st.caption(f"{state.md_literal(d.title)} — {source}")
    message = st.session_state.pop(p + "error", None)
    if message:
        st.error(state.md_literal(message, 500), icon=":material/error:")
    try:
        return analyze(d.network())
    except SpecError as err:
        field = err.field or _("network")
        st.error(f"**{state.md_literal(field)}** — {state.md_literal(i18n.error_detail(err), 500)}", icon=":material/error:")
        return None


# --- checks -----------------------------------------------------------------------------------------


def show_wait(slot) -> Callable[[jobs.Waiting], None]:
    """A callback for the server's line: ``slot`` says where this session waits, and for what."""
    def in_line(w: jobs.Waiting) -> None:
        slot.info(_("Waiting for the server: another {running} is running (position {position})…").format(
            running=_(jobs.JOB_WORDS.get(w.running, w.running)), position=w.position), icon=":material/hourglass_top:")
    return in_line


def latency(net: Network) -> None:
    """A button that times real CPU forward passes, with progress, one session at a time per
    server (the others wait in line, shown); the size guard's refusal is shown."""
    key = "code_latency_result"
    if st.button(_("Measure CPU latency"), key="code_measure", help=_("Builds the model with random weights and times forward passes, batch 1")):
        bar = st.empty()  # the wait in line, then the progress

        waiting = show_wait(bar)

        def progress(done: int, total: int) -> None:
            bar.progress(done / total if total else 1.0, text=_("Forward pass {done} of {total}").format(done=done, total=total))

        def measure():
            bar.progress(0.0, text=_("Building the model…"))
            return measure_latency(net, repeats=20, progress=progress)

        try:
            result = jobs.SERVER.run(measure, "measurement", on_wait=waiting, wait_s=LATENCY_WAIT_S)
        except jobs.Busy as err:
            bar.warning(_("Not measured: {why}.").format(why=i18n.coded_text(err)), icon=":material/hourglass_disabled:")
            return
        except TooLargeToRun as err:
            bar.empty()
            st.error(_("Not measured: {why}.").format(why=state.md_literal(i18n.coded_text(err), 500)), icon=":material/block:")
            return
        except ValueError as err:
            bar.empty()
            st.error(_("Not measured: {why}").format(why=state.md_literal(i18n.coded_text(err), 500)), icon=":material/block:")
            return
        bar.empty()
        st.session_state[key] = (net, result)
    stored = st.session_state.get(key)
    if stored is None:
        return
    measured_net, lat = stored
    if measured_net != net:
        st.caption(_("The last measurement was of another design; measure again for this one."))
        return
    cols = st.columns(4)
    cols[0].metric(_("Median latency"), fmt.duration(lat.median_ms),
                   help=_("median of {repeats} timed passes after {warmup} warm-up passes").format(repeats=lat.repeats, warmup=lat.warmup))
    cols[1].metric(_("10th–90th percentile"), fmt.duration_range(lat.p10_ms, lat.p90_ms))
    cols[2].metric(_("Throughput"), f"{lat.gmacs_per_s:,.1f} GMAC/s")
    cols[3].metric(_("Threads"), str(lat.threads), help=f"torch {lat.torch_version}")
