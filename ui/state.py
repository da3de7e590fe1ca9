"""The design a person is working on, and the link that shares it. Pure: no Streamlit here.

A design is a preset (or an uploaded network) plus the knobs turned on it (``knobs.Tweaks``).
Every setter returns a new, *canonical* design: a knob equal to the preset's value is
dropped, so "modified" means "differs from the preset" and the link stays short.

The link (``to_query`` / ``from_query``) holds the preset and every knob that differs::

    ?preset=d2l&input=1x96x96&classes=10&aux=on&width=0.5
     &b4=7                      number of repeated blocks of stage b4
     &inception3a.c1=80         one width field of one block (several numbers: 96,128)
     &block35_1.scale=0.2       residual scale of one block
     &config=<base64url(zlib(JSON))>   only for an uploaded network that is no preset variant
     &edit=<base64url(zlib(JSON))>     a structurally edited network (the knobs are turned on it;
                                       ``preset``/``config`` stay the reference for the deltas)

A parameter that cannot be read is dropped with a message that names it; an unknown preset
falls back to ``d2l``. Nothing is ever evaluated: numbers are matched by regular
expressions and an embedded config is read by ``config.loads`` (strict JSON), after a
bounded decompression.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import re
import zlib
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Mapping, Sequence

from googlenet import config, knobs
from googlenet import limits as L
from googlenet.presets import PRESETS, get_preset
from googlenet.spec import Network, SpecError
from googlenet.texts import Text
from ui import i18n
from ui.i18n import N_

DEFAULT_PRESET = "d2l"
# the view's parameters: the shareable view of the Architecture page (what is selected, the
# diagram's level, colour and opened block); they replace the browser's history entry when
# they change, where a design change adds one. The units are the reader's own (session only).
VIEW = ("select", "level", "color", "open")
RESERVED = ("preset", "config", "edit", "input", "classes", "aux", "width", "lang", *VIEW)
MAX_VALUE_LENGTH = 200  # a knob's value in the link; the embedded config has its own bound
MAX_CONFIG_PARAM = 400_000  # characters of the base64 config parameter
MAX_LINK_CONFIG = 16_000  # longer embedded configs are left out of the link (see ``to_query``)

_INT = re.compile(r"[0-9]{1,9}")
_FLOAT = re.compile(r"[0-9]{0,6}(\.[0-9]{1,12})?")
_SIZE = re.compile(r"([0-9]{1,9})[x×X]([0-9]{1,9})(?:[x×X]([0-9]{1,9}))?")
_ON = {"on": True, "1": True, "true": True, "yes": True, "off": False, "0": False, "false": False, "no": False}


_MD_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character


def md_literal(text: object, limit: int = 80) -> str:
    """User-supplied text made safe to show inside Streamlit Markdown: cut to ``limit``
    characters, control characters written as escapes, and every ASCII punctuation
    backslash-escaped, so no link, image, code span, colour directive or HTML entity can form."""
    text = str(text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    text = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
    return _MD_PUNCTUATION.sub(r"\\\1", text)


@lru_cache(maxsize=16)
def preset_network(name: str) -> Network:
    """The preset's network (immutable, so one copy serves every session)."""
    return get_preset(name)


# --- the design ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Design:
    """A preset, or an uploaded ``base`` network, and the knobs turned on it; after a structural
    edit, the knobs are turned on the ``edited`` network, and the preset (or upload) stays the
    reference that deltas and "reset" go back to."""

    tweaks: knobs.Tweaks = field(default_factory=knobs.Tweaks)
    base: Network | None = None
    edited: Network | None = None

    @property
    def preset(self) -> str:
        return self.tweaks.preset

    def origin(self) -> Network:
        """The unmodified network the design started from: the reference for deltas."""
        return self.base if self.base is not None else preset_network(self.tweaks.preset)

    def start(self) -> Network:
        """The network the knobs are turned on: the structurally edited one, else the origin."""
        return self.edited if self.edited is not None else self.origin()

    def network(self) -> Network:
        """The designed network; raises ``SpecError`` naming the knob that cannot apply."""
        return _network(self)

    @property
    def modified(self) -> bool:
        return self.edited is not None or self.tweaks != knobs.Tweaks(self.tweaks.preset)

    @property
    def title(self) -> str:
        """``d2l``, ``d2l (modified)``, ``my-net (uploaded)``."""
        name = self.base.name if self.base is not None else self.preset
        return name + (" (uploaded)" if self.base is not None else "") + (" (modified)" if self.modified else "")


@lru_cache(maxsize=128)
def _network(design: Design) -> Network:
    return apply(design.tweaks, design.start())


def apply(t: knobs.Tweaks, origin: Network) -> Network:
    """``Tweaks.apply`` on any network, not only on its preset (for uploaded networks)."""
    net = origin
    if t.input is not None:
        net = replace(net, input=tuple(t.input))
    if t.classes is not None:
        net = replace(net, classes=t.classes)
    if t.aux is not None:
        net = replace(net, aux_enabled=t.aux and bool(net.aux))
    if t.width is not None:
        net = replace(net, width=t.width)
    for stage_name, n in t.counts:
        net = knobs.set_block_count(net, stage_name, n)
    for block, name, value in t.widths:
        net = knobs.set_width(net, block, name, value)
    for block, scale in t.scales:
        net = knobs.set_scale(net, block, scale)
    return net


def canonical(d: Design) -> Design:
    """The same design with every knob that equals the origin's value dropped, the rest in
    network order (counts by stage, widths by block then field)."""
    t, origin = d.tweaks, d.start()
    stage_order = {s.name: i for i, s in enumerate(origin.stages)}
    counts: dict[str, int] = {}
    for stage_name, n in t.counts:
        counts[stage_name] = n
    kept_counts = tuple(
        sorted(
            ((s, n) for s, n in counts.items() if s not in stage_order or n != knobs.block_count(origin, s)),
            key=lambda sn: stage_order.get(sn[0], len(stage_order)),
        )
    )
    counted = apply(knobs.Tweaks(t.preset, counts=kept_counts), origin)
    present = {b.name: b for b in counted.blocks()}
    block_order = {name: i for i, name in enumerate(present)}
    widths: dict[tuple[str, str], tuple[int, ...]] = {}
    for block, name, value in t.widths:
        widths[(block, name)] = tuple(value)
    kept_widths = []
    for (block, name), value in widths.items():
        b = present.get(block)
        if b is None:
            continue  # the block was removed by a count
        try:
            if b.width(name) == value:
                continue
        except KeyError:
            pass  # an unknown field: kept, so that applying it names the problem
        kept_widths.append((block, name, value))
    fields_of = {name: [f for f, _ in b.widths] for name, b in present.items()}
    kept_widths.sort(key=lambda w: (block_order[w[0]], fields_of[w[0]].index(w[1]) if w[1] in fields_of[w[0]] else 99))
    scales: dict[str, float] = {}
    for block, scale in t.scales:
        scales[block] = float(scale)
    kept_scales = tuple(
        sorted(((b, s) for b, s in scales.items() if b in present and present[b].scale != s), key=lambda bs: block_order[bs[0]])
    )
    tweaks = knobs.Tweaks(
        preset=t.preset,
        input=None if t.input is None or tuple(t.input) == origin.input else tuple(t.input),
        classes=None if t.classes is None or t.classes == origin.classes else t.classes,
        aux=None if t.aux is None or not origin.aux or t.aux == origin.aux_enabled else t.aux,
        width=None if t.width is None or t.width == origin.width else float(t.width),
        counts=kept_counts,
        widths=tuple(kept_widths),
        scales=kept_scales,
    )
    return Design(tweaks, d.base, d.edited)


# --- setters: each returns a canonical design ------------------------------------------------


def from_preset(name: str) -> Design:
    if name not in PRESETS:
        raise SpecError("preset", "preset.unknown", value=repr(name), names=", ".join(PRESETS))
    return Design(knobs.Tweaks(name))


def reset(d: Design) -> Design:
    return Design(knobs.Tweaks(d.preset), d.base)


def with_input(d: Design, shape: tuple[int, int, int]) -> Design:
    return canonical(Design(replace(d.tweaks, input=tuple(int(v) for v in shape)), d.base, d.edited))


def with_classes(d: Design, classes: int) -> Design:
    return canonical(Design(replace(d.tweaks, classes=int(classes)), d.base, d.edited))


def with_aux(d: Design, on: bool) -> Design:
    return canonical(Design(replace(d.tweaks, aux=bool(on)), d.base, d.edited))


def with_width_multiplier(d: Design, width: float) -> Design:
    return canonical(Design(replace(d.tweaks, width=float(width)), d.base, d.edited))


def with_count(d: Design, stage: str, count: int) -> Design:
    return canonical(Design(replace(d.tweaks, counts=(*d.tweaks.counts, (stage, int(count)))), d.base, d.edited))


def with_block_width(d: Design, block: str, name: str, value: Sequence[int]) -> Design:
    value = tuple(int(v) for v in value)
    return canonical(Design(replace(d.tweaks, widths=(*d.tweaks.widths, (block, name, value))), d.base, d.edited))


def with_scale(d: Design, block: str, scale: float) -> Design:
    return canonical(Design(replace(d.tweaks, scales=(*d.tweaks.scales, (block, float(scale)))), d.base, d.edited))


def with_structure(d: Design, change) -> Design:
    """The design after a structural edit ``change(network) → network`` (``googlenet.edit``,
    ``googlenet.rewrites``): the knobs are folded into the edited network. A result that knobs
    alone can make from the preset is kept as knobs (a short link); the preset stays the
    reference either way. Raises ``SpecError`` when the edited network is not valid."""
    from googlenet import analyze

    now = d.network()
    new = change(now)
    if new == now:
        return d
    analyze(new)  # refuse an edit that makes no network, naming the field
    if d.base is None:
        t = diff(d.origin(), new, d.preset)
        if t is not None:
            return Design(t)
    elif new == d.base:
        return reset(d)
    return Design(knobs.Tweaks(d.preset), d.base, new)


def from_network(net: Network) -> Design:
    """A design for a whole network (an uploaded config): a preset and knobs when the
    network is a variant of a preset (so it fits in a short link), else the network itself."""
    order = [net.name] if net.name in PRESETS else []
    order += [p for p in PRESETS if p != net.name]
    for preset in order:
        t = diff(preset_network(preset), net, preset)
        if t is not None:
            return Design(t)
    return Design(knobs.Tweaks(DEFAULT_PRESET), base=net)


def diff(origin: Network, net: Network, preset: str) -> knobs.Tweaks | None:
    """The knobs that turn ``origin`` into ``net``, or None when no knobs can."""
    if [s.name for s in origin.stages] != [s.name for s in net.stages]:
        return None
    counts = []
    for so, sn in zip(origin.stages, net.stages):
        if so.repeat != sn.repeat:
            return None
        if so.repeat is not None:
            n = knobs.block_count(net, sn.name)
            if n != knobs.block_count(origin, so.name):
                counts.append((sn.name, n))
    t = knobs.Tweaks(
        preset,
        input=tuple(net.input),
        classes=net.classes,
        aux=net.aux_enabled if origin.aux else None,
        width=net.width,
        counts=tuple(counts),
    )
    try:
        counted = apply(t, origin)
    except SpecError:
        return None
    if len(counted.blocks()) != len(net.blocks()):
        return None
    widths, scales = [], []
    for a, b in zip(counted.blocks(), net.blocks()):
        if a.name != b.name or a.kind != b.kind or [f for f, _ in a.widths] != [f for f, _ in b.widths]:
            return None
        widths += [(b.name, f, vb) for (f, va), (_, vb) in zip(a.widths, b.widths) if va != vb]
        if a.scale != b.scale:
            scales.append((b.name, b.scale))
    t = replace(t, widths=tuple(widths), scales=tuple(scales))
    try:
        if apply(t, origin) != net:
            return None
    except SpecError:
        return None
    return canonical(Design(t)).tweaks


# --- the link -------------------------------------------------------------------------------


def _num(v: float) -> str:
    """A float as short as it reads back exactly: 0.5, 0.17, 2."""
    return repr(float(v)).removesuffix(".0")


@lru_cache(maxsize=16)
def pack_config(net: Network) -> str:
    """The ``config`` link parameter of a network (every rerun writes the link and names the
    downloads from it, so an uploaded network is packed once, not several times a rerun)."""
    return base64.urlsafe_b64encode(zlib.compress(config.dumps(net).encode("utf-8"), 9)).decode("ascii").rstrip("=")


def unpack_config(text: str) -> Network:
    """The network of a ``config`` link parameter; ``SpecError`` if it is not one."""
    text = text.rstrip("=")
    if len(text) > MAX_CONFIG_PARAM or not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise SpecError("config", "config.encoded", reason="base64url characters only")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        unzip = zlib.decompressobj()
        data = unzip.decompress(raw, L.MAX_CONFIG_BYTES + 1)
    except (binascii.Error, ValueError, zlib.error):
        raise SpecError("config", "config.encoded", reason="it does not decompress") from None
    if len(data) > L.MAX_CONFIG_BYTES or unzip.unconsumed_tail:
        raise SpecError("config", "config.too_large", limit=f"{L.MAX_CONFIG_BYTES:,}")
    return config.loads(data)


def to_query(d: Design) -> dict[str, str]:
    """The link's query parameters, in a fixed order; knobs equal to the preset are left out."""
    t = d.tweaks
    q: dict[str, str] = {}
    if d.base is None:
        q["preset"] = t.preset
    else:
        packed = pack_config(d.base)
        if len(packed) <= MAX_LINK_CONFIG:
            q["config"] = packed
    if d.edited is not None:
        packed = pack_config(d.edited)
        if len(packed) <= MAX_LINK_CONFIG:
            q["edit"] = packed
    if t.input is not None:
        q["input"] = "x".join(str(v) for v in t.input)
    if t.classes is not None:
        q["classes"] = str(t.classes)
    if t.aux is not None:
        q["aux"] = "on" if t.aux else "off"
    if t.width is not None:
        q["width"] = _num(t.width)
    for stage, n in t.counts:
        q[stage] = str(n)
    for block, name, value in t.widths:
        q[f"{block}.{name}"] = ",".join(str(v) for v in value)
    for block, scale in t.scales:
        q[f"{block}.scale"] = _num(scale)
    return q


def link_fits(d: Design) -> bool:
    """Whether the link holds the whole design (an uploaded network may be too large)."""
    return all(n is None or len(pack_config(n)) <= MAX_LINK_CONFIG for n in (d.base, d.edited))


# Why a link's value was not read (the reason a problem below gives), and the problems themselves.
REASONS = {
    "whole": N_("must be a whole number from {lo} to {hi:,}"),
    "range": N_("must be from {lo} to {hi:,}, got {n:,}"),
    "number": N_("must be a number from {lo:g} to {hi:g}"),
    "number_range": N_("must be from {lo:g} to {hi:g}, got {v:g}"),
    "input": N_("must be channels×height×width, e.g. 1x96x96"),
    "too_long": N_("the value is longer than {n} characters"),
    "on_off": N_("must be on or off"),
    "no_aux": N_("{name} has no aux heads"),
    "no_stage": N_("{name} has no stage named '{key}'; stages: {stages}"),
    "no_block": N_("there is no block named '{block}'"),
    "not_residual": N_("{block} is not a residual block"),
}
PROBLEMS = {
    "too_many": N_("The link has {n:,} parameters, more than any design needs ({limit:,}), so none of them was read; showing {preset}."),
    "more": N_("… and {rest:,} more of the link's parameters were ignored in the same way."),
    "dropped": N_("Ignored **{key}={value}** from the link: {reason}."),
    "preset": N_("The link's **preset={preset}** is not a preset (choose one of {presets}); showing {default} without the link's other settings."),
    "config": N_("The link's **config** parameter was ignored: {reason}; showing {preset} without the link's other settings."),
    "edit": N_("The link's **edit** parameter was ignored: {reason}; showing the design without its structural edits."),
    "counts": N_("The link's block counts were ignored: {reason}."),
    "no_network": N_("The link's settings do not make a network ({reason}); showing {preset}."),
}
REASON_LIMIT = 300  # characters of a reason shown


def reason(code: str, **values) -> ValueError:
    """A link value's refusal, its message a ``Text`` so it is said in the reader's language."""
    return ValueError(Text(f"link.{code}", REASONS[code], values))


class Problem(str):
    """A message about the link: ``str`` is the English; ``text(lang)`` says it in ``lang``, by
    its template and values. The values are quoted for Markdown already, except ``reason`` (a
    ``SpecError``, a coded text or plain text), which is translated first and quoted then."""

    code: str
    template: str
    values: dict

    def __new__(cls, code: str, **values) -> "Problem":
        self = super().__new__(cls, _fill(PROBLEMS[code], values, i18n.SOURCE))
        self.code, self.template, self.values = code, PROBLEMS[code], values
        return self

    def __reduce__(self):  # copied with its code and values, not as the bare English
        return (_problem, (self.code, self.values))

    def text(self, lang: str) -> str:
        return _fill(i18n.gettext_in(lang, self.template), self.values, lang)


def _problem(code: str, values: dict) -> Problem:
    return Problem(code, **values)


def _said(value: object, lang: str) -> str:
    if isinstance(value, SpecError):
        return i18n.error_text(value, lang)
    if isinstance(value, ValueError) and value.args:
        value = value.args[0]
    return i18n.coded_text(value, lang)


def _fill(template: str, values: Mapping[str, object], lang: str) -> str:
    said = {k: md_literal(_said(v, lang), REASON_LIMIT) if k == "reason" else v for k, v in values.items()}
    return template.format(**said)


@dataclass(frozen=True)
class Decoded:
    design: Design
    problems: tuple[Problem, ...] = ()  # one message per parameter that was dropped


def _last(v: str | Sequence[str]) -> str:
    if isinstance(v, str):
        return v
    return v[-1] if v else ""


def _parse_int(text: str, lo: int, hi: int) -> int:
    if not _INT.fullmatch(text):
        raise reason("whole", lo=lo, hi=hi)
    n = int(text)
    if not lo <= n <= hi:
        raise reason("range", lo=lo, hi=hi, n=n)
    return n


def _parse_float(text: str, lo: float, hi: float) -> float:
    neg = text.startswith("-")
    body = text[1:] if neg else text
    if not body or body == "." or not _FLOAT.fullmatch(body):
        raise reason("number", lo=lo, hi=hi)
    v = float(body) * (-1 if neg else 1)
    if not (math.isfinite(v) and lo <= v <= hi):
        raise reason("number_range", lo=lo, hi=hi, v=v)
    return v


def _parse_input(text: str) -> tuple[int, int, int]:
    m = _SIZE.fullmatch(text)
    if not m:
        raise reason("input")
    c, h, w = (m.group(1), m.group(2), m.group(3)) if m.group(3) else ("", m.group(1), m.group(2))
    if not c:
        raise reason("input")
    return (
        _parse_int(c, 1, L.MAX_INPUT_CHANNELS),
        _parse_int(h, 1, L.MAX_INPUT_SIZE),
        _parse_int(w, 1, L.MAX_INPUT_SIZE),
    )


MAX_LINK_PARAMS = 1_000  # a design link has one parameter per changed knob; far fewer than this
MAX_PROBLEMS = 5  # messages about a link shown one by one; the rest are summed up in one


def from_query(params: Mapping[str, str | Sequence[str]]) -> Decoded:
    """The design a link describes, and what was dropped from it: a message per dropped
    parameter, the first few of them, then one that counts the rest; a link with more
    parameters than any design has is set aside whole, with one message."""
    if len(params) > MAX_LINK_PARAMS:
        preset = _last(params.get("preset", DEFAULT_PRESET)) if "preset" in params else DEFAULT_PRESET
        preset = preset if preset in PRESETS else DEFAULT_PRESET
        return Decoded(Design(knobs.Tweaks(preset)), (
            Problem("too_many", n=len(params), limit=MAX_LINK_PARAMS, preset=md_literal(preset)),))
    decoded = _from_query(params)
    problems = decoded.problems
    if len(problems) > MAX_PROBLEMS:
        rest = len(problems) - (MAX_PROBLEMS - 1)
        problems = (*problems[: MAX_PROBLEMS - 1], Problem("more", rest=rest))
    return Decoded(decoded.design, problems)


def _from_query(params: Mapping[str, str | Sequence[str]]) -> Decoded:
    q = {str(k): _last(v) for k, v in params.items()}
    problems: list[Problem] = []

    def drop(key: str, why: Exception) -> None:
        problems.append(Problem("dropped", key=md_literal(key, 40), value=md_literal(q[key], 40), reason=why))

    preset = q.get("preset", DEFAULT_PRESET)
    base = None
    if preset not in PRESETS:
        problems.append(Problem("preset", preset=md_literal(preset, 40), presets=md_literal(", ".join(PRESETS), 300),
                                default=md_literal(DEFAULT_PRESET)))
        return Decoded(Design(knobs.Tweaks(DEFAULT_PRESET)), tuple(problems))
    if "config" in q:
        try:
            base = unpack_config(q["config"])
        except SpecError as err:
            problems.append(Problem("config", reason=err, preset=md_literal(preset)))
            return Decoded(Design(knobs.Tweaks(preset)), tuple(problems))
    edited = None
    if "edit" in q:
        try:
            edited = unpack_config(q["edit"])
        except SpecError as err:
            problems.append(Problem("edit", reason=err))
    d = Design(knobs.Tweaks(preset), base, edited)
    origin = d.start()
    t = d.tweaks
    for key in q:
        if key not in RESERVED and len(q[key]) > MAX_VALUE_LENGTH:
            drop(key, reason("too_long", n=MAX_VALUE_LENGTH))

    def read(key: str, parse):
        nonlocal t
        if key not in q:
            return
        try:
            t = parse(q[key])
        except (ValueError, SpecError) as err:
            drop(key, err)

    read("input", lambda v: replace(t, input=_parse_input(v)))
    read("classes", lambda v: replace(t, classes=_parse_int(v, 1, L.MAX_CLASSES)))

    def aux(v: str) -> knobs.Tweaks:
        if v.lower() not in _ON:
            raise reason("on_off")
        if not origin.aux:
            raise reason("no_aux", name=origin.name)
        return replace(t, aux=_ON[v.lower()])

    read("aux", aux)
    read("width", lambda v: replace(t, width=_parse_float(v, L.MIN_WIDTH, L.MAX_WIDTH)))

    stages = {s.name: s for s in origin.stages}
    others = [k for k in q if k not in RESERVED and len(q[k]) <= MAX_VALUE_LENGTH]
    for key in [k for k in others if "." not in k]:
        if key not in stages:
            drop(key, reason("no_stage", name=origin.name, key=key, stages=", ".join(stages)))
            continue
        try:
            n = _parse_int(q[key], 0, L.MAX_BLOCKS_PER_STAGE)
            knobs.set_block_count(origin, key, n)
        except (ValueError, SpecError) as err:
            drop(key, err)
            continue
        t = replace(t, counts=(*t.counts, (key, n)))
    try:
        counted = apply(knobs.Tweaks(preset, counts=t.counts), origin)
    except SpecError as err:  # pragma: no cover - each count was tried above
        problems.append(Problem("counts", reason=err))
        t = replace(t, counts=())
        counted = origin
    blocks = {b.name: b for b in counted.blocks()}
    for key in [k for k in others if "." in k]:
        block, _, name = key.partition(".")
        if block not in blocks:
            drop(key, reason("no_block", block=block))
            continue
        b = blocks[block]
        try:
            if name == "scale":
                if b.merge != "add":
                    raise reason("not_residual", block=block)
                t = replace(t, scales=(*t.scales, (block, _parse_float(q[key], -100.0, 100.0))))
                continue
            parts = q[key].split(",")
            value = tuple(_parse_int(p.strip(), 1, L.MAX_CHANNELS) for p in parts)
            knobs.set_width(counted, block, name, value)
        except (ValueError, SpecError) as err:
            drop(key, err)
            continue
        t = replace(t, widths=(*t.widths, (block, name, value)))
    d = canonical(Design(t, base, edited))
    try:
        d.network()
    except SpecError as err:  # pragma: no cover - each knob was tried above
        problems.append(Problem("no_network", reason=err, preset=md_literal(preset)))
        d = Design(knobs.Tweaks(preset), base)
    return Decoded(d, tuple(problems))


# --- file names -----------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "network"


def stem(d: Design) -> str:
    """The stem of every exported file: ``d2l``, ``d2l-custom-1a2b3c``, ``my-net``."""
    name = _slug(d.base.name) if d.base is not None else d.preset
    if not d.modified:
        return name
    digest = hashlib.sha1(repr(to_query(d)).encode("utf-8")).hexdigest()[:6]
    return f"{name}-custom-{digest}"


def file_name(d: Design, what: str, level: str = "blocks") -> str:
    """``d2l-blocks.png``, ``inception-v3-layers.csv``, ``d2l-config.json``, ``d2l_model.py``."""
    s = stem(d)
    if what in ("png", "svg", "pdf", "dot"):
        return f"{s}-{level}.{what}"
    if what == "csv":
        return f"{s}-layers.csv"
    if what == "json":
        return f"{s}-config.json"
    if what == "py":
        return f"{s.replace('-', '_')}_model.py"
    raise ValueError(f"unknown export {what!r}")


# --- what changed ---------------------------------------------------------------------------


def _shape(v) -> str:
    return "×".join(str(x) for x in v)


def _fields(a, b) -> list[str]:
    """``kernel 5×5 → 3×3`` for every field that differs between two layers of one type."""
    from dataclasses import fields

    out = []
    for f in fields(a):
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if va != vb and f.name != "name":
            show = (lambda v: _shape(v) if isinstance(v, tuple) else str(v))
            out.append(f"{f.name} {show(va)} → {show(vb)}")
    return out


def _branch_changes(name: str, a, b) -> list[str]:
    out = []
    na, nb = [x.name for x in a.branches], [x.name for x in b.branches]
    out += [f"{name}: + branch {n}" for n in nb if n not in na]
    out += [f"{name}: − branch {n}" for n in na if n not in nb]
    common = [n for n in na if n in nb]
    if common != [n for n in nb if n in na]:
        out.append(f"{name}: branches reordered")
    ba, bb = {x.name: x for x in a.branches}, {x.name: x for x in b.branches}
    for n in common:
        if ba[n] != bb[n]:
            la, lb = {x.name: x for x in ba[n].layers}, {x.name: x for x in bb[n].layers}
            if list(la) != list(lb) or ba[n].split != bb[n].split:
                out.append(f"{name}.{n}: layers {' → '.join(la) or 'identity'} ⇒ {' → '.join(lb) or 'identity'}")
            else:
                out += [f"{name}.{n}.{k}: {c}" for k in la if la[k] != lb[k] for c in _fields(la[k], lb[k])]
    for attr in ("merge", "scale", "act"):
        if getattr(a, attr) != getattr(b, attr):
            out.append(f"{name}: {attr} {getattr(a, attr)} → {getattr(b, attr)}")
    if a.project != b.project:
        out.append(f"{name}: projection {'added' if a.project is None else 'removed' if b.project is None else 'changed'}")
    return out


def changes(before: Network, after: Network) -> list[str]:
    """What differs between two networks, one line per change, in network order: the input,
    classes, width, aux heads, blocks and layers added or removed, a block's widths or its
    structure (branches, layers, merge), a stem or head layer's fields."""
    from googlenet.spec import Block

    out = []
    for attr, show in (("input", _shape), ("classes", str), ("width", str), ("aux_enabled", lambda v: "on" if v else "off")):
        va, vb = getattr(before, attr), getattr(after, attr)
        if va != vb:
            out.append(f"{'aux heads' if attr == 'aux_enabled' else attr} {show(va)} → {show(vb)}")

    def items(net: Network) -> dict:
        d = {it.name: it for s in net.stages for it in s.items}
        d.update({f"head.{x.name}": x for x in net.head})
        return d

    ia, ib = items(before), items(after)
    for name in ib:
        if name not in ia:
            out.append(f"+ {name}")
    for name in ia:
        if name not in ib:
            out.append(f"− {name}")
    for name, a in ia.items():
        b = ib.get(name)
        if b is None or a == b:
            continue
        if isinstance(a, Block) and isinstance(b, Block):
            wa, wb = dict(a.widths), dict(b.widths)
            same_kind = a.kind == b.kind and list(wa) == list(wb)
            from googlenet.templates import matches

            if same_kind and matches(a, before.style) and matches(b, after.style):
                out += [f"{name}.{f} {','.join(map(str, wa[f]))} → {','.join(map(str, wb[f]))}" for f in wa if wa[f] != wb[f]]
                if a.scale != b.scale:
                    out.append(f"{name}.scale {a.scale:g} → {b.scale:g}")
            else:
                out += _branch_changes(name, a, b) or [f"{name}: changed"]
        elif type(a) is type(b):
            out += [f"{name}: {c}" for c in _fields(a, b)]
        else:
            out.append(f"{name}: {a.type} → {b.type}")
    return out
