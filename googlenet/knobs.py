"""The knobs a person turns on a network: block counts, a template block's widths, a residual
scale. Each setter returns a new spec (specs are immutable) and refuses a value that cannot
apply with a ``SpecError`` naming the field; ``Tweaks`` is a preset plus the knobs turned on
it, which is what the app keeps in its URL. Structural changes are in ``edit`` and
``rewrites``."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from . import limits as L
from .errors import SpecError, shown
from .presets import get_preset
from .spec import Block, Network, Stage
from .templates import get_template, matches, remake
from .validate import check_widths
from .values import check_float, check_int


def next_name(name: str, taken: set[str]) -> str:
    """The name of a block added after ``name``: ``inception4e`` → ``inception4f``,
    ``Mixed_5d`` → ``Mixed_5e``, ``block35_10`` → ``block35_11``."""
    candidate = name
    while True:
        m = re.fullmatch(r"(.*\d)([a-z]+)", candidate)
        if m:
            letters = m.group(2)
            # base-26 increment: z → aa
            chars = list(letters)
            i = len(chars) - 1
            while i >= 0 and chars[i] == "z":
                chars[i] = "a"
                i -= 1
            if i < 0:
                chars.insert(0, "a")
            else:
                chars[i] = chr(ord(chars[i]) + 1)
            candidate = m.group(1) + "".join(chars)
        else:
            m = re.fullmatch(r"(.*_)(\d+)", candidate)
            candidate = f"{m.group(1)}{int(m.group(2)) + 1}" if m else f"{candidate}_2"
        if candidate not in taken:
            return candidate


def taken_names(net: Network) -> set[str]:
    return {it.name for s in net.stages for it in s.items} | {h.name for h in net.aux} | {x.name for x in net.head} | {
        s.name for s in net.stages
    }


def stage(net: Network, name: str) -> Stage:
    for st in net.stages:
        if st.name == name:
            return st
    raise SpecError("stages", "stage.unknown", value=shown(name), names=", ".join(s.name for s in net.stages))


def block_count(net: Network, stage_name: str) -> int:
    st = stage(net, stage_name)
    return sum(1 for it in st.items if isinstance(it, Block) and it.kind == st.repeat)


def min_block_count(net: Network, stage_name: str) -> int:
    """0, unless removing every repeated block would leave the stage empty (then 1)."""
    st = stage(net, stage_name)
    others = sum(1 for it in st.items if not (isinstance(it, Block) and it.kind == st.repeat))
    return 0 if others else 1


def set_block_count(net: Network, stage_name: str, count: int) -> Network:
    """Add copies of the stage's last repeated block, or remove blocks from the end.

    Aux heads fed by a removed block are removed with it.
    """
    st = stage(net, stage_name)
    field = f"{stage_name}.blocks"
    if st.repeat is None:
        raise SpecError(field, "count.norepeat")
    check_int(field, count, min_block_count(net, stage_name), L.MAX_BLOCKS_PER_STAGE)
    items = list(st.items)
    idx = [i for i, it in enumerate(items) if isinstance(it, Block) and it.kind == st.repeat]
    if not idx:
        if count == 0:
            return net
        raise SpecError(field, "count.empty")
    taken = taken_names(net)
    removed: set[str] = set()
    if count > len(idx):
        last = items[idx[-1]]
        new = []
        name = last.name
        for _ in range(count - len(idx)):
            name = next_name(name, taken)
            taken.add(name)
            new.append(replace(last, name=name))
        items[idx[-1] + 1 : idx[-1] + 1] = new
    elif count < len(idx):
        drop = set(idx[count:])
        removed = {items[i].name for i in drop}
        items = [it for i, it in enumerate(items) if i not in drop]
    stages = tuple(replace(s, items=tuple(items)) if s.name == stage_name else s for s in net.stages)
    aux = tuple(h for h in net.aux if h.after not in removed)
    return replace(net, stages=stages, aux=aux)


def _where(net: Network, block_name: str) -> tuple[Stage, Block]:
    for st in net.stages:
        for it in st.items:
            if isinstance(it, Block) and it.name == block_name:
                return st, it
    raise SpecError("blocks", "block.unknown", value=shown(block_name))


def replace_item(net: Network, name: str, new) -> Network:
    """``net`` with the stage item (layer or block) named ``name`` replaced by ``new``."""
    stages = tuple(
        replace(st, items=tuple(new if it.name == name else it for it in st.items)) if any(it.name == name for it in st.items) else st
        for st in net.stages
    )
    return replace(net, stages=stages)


def set_width(net: Network, block_name: str, field: str, value: tuple[int, ...] | int) -> Network:
    """Set one width field (``c1``, ``c2`` = (reduce, out), …) of a block that still matches its template."""
    value = tuple(value) if isinstance(value, (tuple, list)) else (value,)  # 64, 0.5, "64": one number
    st, block = _where(net, block_name)
    where = f"{st.name}.{block_name}.{field}"
    if not matches(block, net.style):
        raise SpecError(where, "template.edited", block=block_name, field=field)
    t = get_template(block.kind)
    if field not in dict(t.fields):
        raise SpecError(where, "width.field", value=shown(field), kind=t.name, fields=", ".join(k for k, _ in t.fields))
    widths = tuple((k, value if k == field else v) for k, v in block.widths)
    check_widths(replace(block, widths=widths), t, f"{st.name}.{block_name}")
    return replace_item(net, block_name, remake(block, net.style, widths))


def set_scale(net: Network, block_name: str, scale: float) -> Network:
    """Set the residual scale of a block that merges by adding."""
    st, block = _where(net, block_name)
    where = f"{st.name}.{block_name}.scale"
    if block.merge != "add":
        raise SpecError(where, "scale.none", kind=block.kind or "concatenating")
    check_float(where, scale, -L.MAX_SCALE, L.MAX_SCALE)
    return replace_item(net, block_name, replace(block, scale=float(scale)))


@dataclass(frozen=True)
class Tweaks:
    """A preset and the knobs turned on it; ``None`` keeps the preset's value."""

    preset: str = "d2l"
    input: tuple[int, int, int] | None = None
    classes: int | None = None
    aux: bool | None = None
    width: float | None = None
    counts: tuple[tuple[str, int], ...] = ()  # (stage, number of repeated blocks)
    widths: tuple[tuple[str, str, tuple[int, ...]], ...] = ()  # (block, field, channels)
    scales: tuple[tuple[str, float], ...] = ()  # (block, residual scale)

    def apply(self, origin: Network | None = None) -> Network:
        """The network: counts first (new blocks copy the last one), then widths."""
        net = get_preset(self.preset) if origin is None else origin
        if self.input is not None:
            net = replace(net, input=tuple(self.input))
        if self.classes is not None:
            net = replace(net, classes=self.classes)
        if self.aux is not None:
            net = replace(net, aux_enabled=self.aux and bool(net.aux))
        if self.width is not None:
            net = replace(net, width=self.width)
        for stage_name, n in self.counts:
            net = set_block_count(net, stage_name, n)
        for block, field, value in self.widths:
            net = set_width(net, block, field, value)
        for block, scale in self.scales:
            net = set_scale(net, block, scale)
        return net
