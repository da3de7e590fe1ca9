"""Checks every value of a spec before anything is analysed or built.

Each failure is a ``SpecError`` whose message names the field, e.g.
``b4.inception4c.c2.reduce: must be ≥ 1, got 0``.
"""

from __future__ import annotations

import math
from functools import lru_cache

from . import limits as L
from .blocks import get_kind, part_names
from .spec import (
    LRN,
    AdaptiveAvgPool,
    Block,
    Conv,
    Dropout,
    Flatten,
    Linear,
    Network,
    Pool,
    SpecError,
)


@lru_cache(maxsize=1)
def _reserved() -> frozenset[str]:
    """Names an ``nn.Module`` child cannot take: the attributes of a live ``nn.Sequential``
    (an aux head is one; its instance state such as ``_modules`` and ``training`` included)
    and the two that ``build.InceptionNet`` keeps beside its children."""
    import torch.nn

    names = set(dir(torch.nn.Sequential())) | {"_order", "_aux_after"}
    return frozenset(n for n in names if not n.startswith("__"))


def _int(field: str, value, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(field, f"must be a whole number, got {value!r}")
    if value < lo:
        raise SpecError(field, f"must be ≥ {lo}, got {value}")
    if value > hi:
        raise SpecError(field, f"must be ≤ {hi}, got {value}")


def _float(field: str, value, lo: float, hi: float, lo_open: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(field, f"must be a number, got {value!r}")
    if not math.isfinite(value):
        raise SpecError(field, f"must be a finite number, got {value}")
    if value < lo or (lo_open and value == lo):
        raise SpecError(field, f"must be {'>' if lo_open else '≥'} {lo:g}, got {value:g}")
    if value > hi:
        raise SpecError(field, f"must be ≤ {hi:g}, got {value:g}")


def _bool(field: str, value) -> None:
    if not isinstance(value, bool):
        raise SpecError(field, f"must be true or false, got {value!r}")


def _name(field: str, value, seen: set[str] | None = None) -> None:
    if not isinstance(value, str) or not value:
        raise SpecError(field, f"must be a non-empty name, got {value!r}")
    if len(value) > L.MAX_NAME_LENGTH:
        raise SpecError(field, f"must be at most {L.MAX_NAME_LENGTH} characters, got {len(value)}")
    if "." in value:
        raise SpecError(field, f"must not contain '.', got {value!r} (dots separate qualified names)")
    if value in _reserved():
        raise SpecError(field, f"{value!r} is reserved by torch.nn.Module; choose another name")
    if seen is not None:
        if value in seen:
            raise SpecError(field, f"the name {value!r} is used twice")
        seen.add(value)


def _pair(field: str, value, lo: int, hi: int) -> None:
    if not isinstance(value, tuple) or len(value) != 2:
        raise SpecError(field, f"must be a pair of whole numbers, got {value!r}")
    for axis, v in zip(("height", "width"), value):
        _int(f"{field}.{axis}", v, lo, hi)


def validate_layer(layer, field: str) -> None:
    if isinstance(layer, Conv):
        _int(f"{field}.out", layer.out, 1, L.MAX_CHANNELS)
        _pair(f"{field}.kernel", layer.kernel, 1, L.MAX_KERNEL)
        _pair(f"{field}.stride", layer.stride, 1, L.MAX_STRIDE)
        _pair(f"{field}.padding", layer.padding, 0, L.MAX_PADDING)
        _bool(f"{field}.bias", layer.bias)
        _bool(f"{field}.bn", layer.bn)
        _float(f"{field}.bn_eps", layer.bn_eps, 0.0, 1.0, lo_open=True)
        _bool(f"{field}.act", layer.act)
    elif isinstance(layer, Pool):
        if layer.op not in ("max", "avg"):
            raise SpecError(f"{field}.op", f"must be 'max' or 'avg', got {layer.op!r}")
        _pair(f"{field}.kernel", layer.kernel, 1, L.MAX_KERNEL)
        _pair(f"{field}.stride", layer.stride, 1, L.MAX_STRIDE)
        _pair(f"{field}.padding", layer.padding, 0, L.MAX_PADDING)
        _bool(f"{field}.ceil_mode", layer.ceil_mode)
        _bool(f"{field}.count_include_pad", layer.count_include_pad)
    elif isinstance(layer, LRN):
        _int(f"{field}.size", layer.size, 1, L.MAX_KERNEL)
        _float(f"{field}.alpha", layer.alpha, 0.0, 1e6)
        _float(f"{field}.beta", layer.beta, 0.0, 1e6)
        _float(f"{field}.k", layer.k, 0.0, 1e6)
    elif isinstance(layer, Dropout):
        _float(f"{field}.p", layer.p, 0.0, 1.0)
    elif isinstance(layer, AdaptiveAvgPool):
        _pair(f"{field}.output", layer.output, 1, L.MAX_INPUT_SIZE)
    elif isinstance(layer, Flatten):
        pass
    elif isinstance(layer, Linear):
        if layer.out is not None:
            _int(f"{field}.out", layer.out, 1, L.MAX_CHANNELS)
        _bool(f"{field}.bias", layer.bias)
        _bool(f"{field}.act", layer.act)
    else:
        raise SpecError(field, f"not a layer: {type(layer).__name__}")


def validate_block(block: Block, field: str) -> None:
    kind = get_kind(block.kind, f"{field}.kind")
    if not isinstance(block.widths, tuple):
        raise SpecError(field, "widths must be a tuple of (field, channels) pairs")
    given = [k for k, _ in block.widths]
    expected = [k for k, _ in kind.fields]
    if given != expected:
        missing = [k for k in expected if k not in given]
        extra = [k for k in given if k not in expected]
        what = "; ".join(
            s for s in (f"missing {', '.join(missing)}" if missing else "", f"unknown {', '.join(extra)}" if extra else "") if s
        ) or f"order must be {', '.join(expected)}"
        raise SpecError(field, f"a {kind.name} block has the width fields {', '.join(expected)}: {what}")
    for (key, value), (_, arity) in zip(block.widths, kind.fields):
        if not isinstance(value, tuple) or len(value) != arity:
            raise SpecError(f"{field}.{key}", f"must have {arity} channel count{'s' if arity > 1 else ''}, got {value!r}")
        names = part_names(kind, key)
        for part, v in zip(names, value):
            _int(f"{field}.{key}{'.' + part if part else ''}", v, 1, L.MAX_CHANNELS)
    _float(f"{field}.scale", block.scale, -L.MAX_SCALE, L.MAX_SCALE)
    _bool(f"{field}.act", block.act)


def validate(net: Network) -> None:
    if not isinstance(net, Network):
        raise SpecError("", f"not a network: {type(net).__name__}")
    if not isinstance(net.input, tuple) or len(net.input) != 3:
        raise SpecError("input", f"must be [channels, height, width], got {net.input!r}")
    _int("input.channels", net.input[0], 1, L.MAX_INPUT_CHANNELS)
    _int("input.height", net.input[1], 1, L.MAX_INPUT_SIZE)
    _int("input.width", net.input[2], 1, L.MAX_INPUT_SIZE)
    _int("classes", net.classes, 1, L.MAX_CLASSES)
    _float("width", net.width, L.MIN_WIDTH, L.MAX_WIDTH)
    _bool("aux_enabled", net.aux_enabled)
    _float("style.bn_eps", net.style.bn_eps, 0.0, 1.0, lo_open=True)
    if net.style.branch3_kernel not in (3, 5):
        raise SpecError("style.branch3_kernel", f"must be 5 (the paper) or 3 (torchvision), got {net.style.branch3_kernel!r}")
    for key in ("conv_bias", "batch_norm", "pool_ceil"):
        _bool(f"style.{key}", getattr(net.style, key))
    if not net.stages:
        raise SpecError("stages", "a network needs at least one stage")
    if len(net.stages) > L.MAX_STAGES:
        raise SpecError("stages", f"at most {L.MAX_STAGES} stages, got {len(net.stages)}")
    total = sum(len(stage.items) for stage in net.stages)
    if total > L.MAX_ITEMS:
        raise SpecError("stages", f"at most {L.MAX_ITEMS} layers and blocks in all stages together, got {total}")
    top: set[str] = set()
    stage_names: set[str] = set()
    for stage in net.stages:
        _name(f"stages.{stage.name!s}.name", stage.name, stage_names)
        if len(stage.items) > L.MAX_ITEMS_PER_STAGE:
            raise SpecError(stage.name, f"at most {L.MAX_ITEMS_PER_STAGE} layers and blocks, got {len(stage.items)}")
        if stage.repeat is not None:
            get_kind(stage.repeat, f"{stage.name}.repeat")
            count = sum(1 for it in stage.items if isinstance(it, Block) and it.kind == stage.repeat)
            if count > L.MAX_BLOCKS_PER_STAGE:
                raise SpecError(f"{stage.name}.blocks", f"at most {L.MAX_BLOCKS_PER_STAGE} blocks, got {count}")
        for item in stage.items:
            field = f"{stage.name}.{item.name}"
            _name(f"{field}.name", item.name, top)
            if isinstance(item, Block):
                validate_block(item, field)
            else:
                validate_layer(item, field)
    if len(net.head) > L.MAX_HEAD_LAYERS:
        raise SpecError("head", f"at most {L.MAX_HEAD_LAYERS} layers, got {len(net.head)}")
    for layer in net.head:
        _name(f"head.{layer.name}.name", layer.name, top)
        validate_layer(layer, f"head.{layer.name}")
    if len(net.aux) > L.MAX_AUX_HEADS:
        raise SpecError("aux", f"at most {L.MAX_AUX_HEADS} aux heads, got {len(net.aux)}")
    block_names = {b.name for b in net.blocks()}
    for head in net.aux:
        _name(f"aux.{head.name}.name", head.name, top)
        if head.after not in block_names:
            raise SpecError(f"aux.{head.name}.after", f"no block named {head.after!r}")
        if len(head.layers) > L.MAX_HEAD_LAYERS:
            raise SpecError(f"aux.{head.name}", f"at most {L.MAX_HEAD_LAYERS} layers")
        inner: set[str] = set()
        for layer in head.layers:
            _name(f"aux.{head.name}.{layer.name}.name", layer.name, inner)
            validate_layer(layer, f"aux.{head.name}.{layer.name}")
