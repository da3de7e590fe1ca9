"""The knobs a user turns, as pure functions from spec to spec, and ``Tweaks``: a preset
plus the knobs turned, which is what the app keeps in its URL."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from . import limits as L
from .blocks import get_kind, part_names
from .presets import get_preset
from .spec import Block, Network, SpecError, Stage


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


def stage(net: Network, name: str) -> Stage:
    for st in net.stages:
        if st.name == name:
            return st
    raise SpecError("stages", f"no stage named {name!r}; stages: {', '.join(s.name for s in net.stages)}")


def block_count(net: Network, stage_name: str) -> int:
    st = stage(net, stage_name)
    return sum(1 for it in st.items if isinstance(it, Block) and it.kind == st.repeat)


def set_block_count(net: Network, stage_name: str, count: int) -> Network:
    """Add copies of the stage's last repeated block, or remove blocks from the end.

    Aux heads fed by a removed block are removed with it.
    """
    st = stage(net, stage_name)
    field = f"{stage_name}.blocks"
    if st.repeat is None:
        raise SpecError(field, "this stage has no repeatable blocks")
    if isinstance(count, bool) or not isinstance(count, int):
        raise SpecError(field, f"must be a whole number, got {count!r}")
    if not 0 <= count <= L.MAX_BLOCKS_PER_STAGE:
        raise SpecError(field, f"must be between 0 and {L.MAX_BLOCKS_PER_STAGE}, got {count}")
    items = list(st.items)
    idx = [i for i, it in enumerate(items) if isinstance(it, Block) and it.kind == st.repeat]
    if not idx:
        if count == 0:
            return net
        raise SpecError(field, "no block left to copy; reset the stage to its preset")
    taken = {it.name for s in net.stages for it in s.items} | {h.name for h in net.aux} | {x.name for x in net.head}
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


def set_width(net: Network, block_name: str, field: str, value: tuple[int, ...] | int) -> Network:
    """Set one width field (``c1``, ``c2`` = (reduce, out), …) of one block."""
    value = tuple(value) if isinstance(value, (tuple, list)) else (value,)  # 64, 0.5, "64": one number
    found = False
    stages = []
    for st in net.stages:
        items = []
        for it in st.items:
            if isinstance(it, Block) and it.name == block_name:
                kind = get_kind(it.kind)
                arity = dict(kind.fields).get(field)
                if arity is None:
                    raise SpecError(f"{st.name}.{block_name}.{field}", f"no such width; a {kind.name} block has {', '.join(k for k, _ in kind.fields)}")
                if len(value) != arity:
                    raise SpecError(f"{st.name}.{block_name}.{field}", f"needs {arity} numbers, got {len(value)}")
                for part, v in zip(part_names(kind, field), value):
                    where = f"{st.name}.{block_name}.{field}{'.' + part if part else ''}"
                    if isinstance(v, bool) or not isinstance(v, int):
                        raise SpecError(where, f"must be a whole number, got {v!r}")
                    if not 1 <= v <= L.MAX_CHANNELS:
                        raise SpecError(where, f"must be between 1 and {L.MAX_CHANNELS}, got {v}")
                it = it.with_width(field, value)
                found = True
            items.append(it)
        stages.append(replace(st, items=tuple(items)))
    if not found:
        raise SpecError("blocks", f"no block named {block_name!r}")
    return replace(net, stages=tuple(stages))


def set_scale(net: Network, block_name: str, scale: float) -> Network:
    """Set the residual scale of one residual block."""
    where = next((f"{st.name}.{it.name}" for st in net.stages for it in st.items if isinstance(it, Block) and it.name == block_name), None)
    if where is None:
        raise SpecError("blocks", f"no block named {block_name!r}")
    kind = get_kind(net.block(block_name).kind)
    if not kind.residual:
        raise SpecError(f"{where}.scale", f"only residual blocks have a scale; a {kind.name} block has none")
    if isinstance(scale, bool) or not isinstance(scale, (int, float)):
        raise SpecError(f"{where}.scale", f"must be a number, got {scale!r}")
    if not -L.MAX_SCALE <= scale <= L.MAX_SCALE:  # NaN fails too; a huge int never meets float()
        raise SpecError(f"{where}.scale", f"must be between {-L.MAX_SCALE:g} and {L.MAX_SCALE:g}, got {scale!r}")
    stages = tuple(
        replace(st, items=tuple(replace(it, scale=float(scale)) if isinstance(it, Block) and it.name == block_name else it for it in st.items))
        for st in net.stages
    )
    return replace(net, stages=stages)


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

    def apply(self) -> Network:
        """The network: counts first (new blocks copy the last one), then widths."""
        net = get_preset(self.preset)
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
