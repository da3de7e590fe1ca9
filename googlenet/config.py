"""The JSON config format: a spec written out in full, and read back strictly.

Reading never executes or unpickles anything: the text is parsed by ``json`` (NaN and
Infinity refused), its size and nesting are bounded, every key is checked against the
schema below, and the result is validated like any spec. Every failure is a ``SpecError``
naming the field. ``dumps(loads(text)) == text`` for any text ``dumps`` wrote.

Schema (``"format": "inception-studio/1"``)::

    {format, name, description, input: [C, H, W], classes, width, aux_enabled,
     style: {conv_bias, batch_norm, bn_eps, branch3_kernel, pool_ceil},
     stages: [{name, repeat, items: [LAYER | BLOCK, ...]}],
     head: [LAYER, ...],
     aux: [{name, after, layers: [LAYER, ...]}]}
    LAYER: {type: conv|pool|lrn|dropout|adaptive_avg_pool|flatten|linear, name, ...fields}
    BLOCK: {type: block, name, kind, <width fields of the kind>, [scale, act (residual kinds)]}

A width field with one number is written as a number (``"c1": 64``), otherwise as a list
(``"c2": [96, 128]``). Layer fields left out take their defaults.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from typing import Any

from . import limits as L
from .blocks import get_kind
from .spec import LAYER_TYPES, AuxHead, Block, Network, SpecError, Stage, Style
from .validate import validate

FORMAT = "inception-studio/1"


# --- writing ---------------------------------------------------------------------------------


def _layer_dict(layer) -> dict[str, Any]:
    out: dict[str, Any] = {"type": layer.type}
    for f in dataclasses.fields(layer):
        v = getattr(layer, f.name)
        out[f.name] = list(v) if isinstance(v, tuple) else v
    return out


def _block_dict(block: Block) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "block", "name": block.name, "kind": block.kind}
    for key, value in block.widths:
        out[key] = value[0] if len(value) == 1 else list(value)
    if get_kind(block.kind).residual:
        out["scale"] = block.scale
        out["act"] = block.act
    return out


def to_dict(net: Network) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "name": net.name,
        "description": net.description,
        "input": list(net.input),
        "classes": net.classes,
        "width": net.width,
        "aux_enabled": net.aux_enabled,
        "style": dataclasses.asdict(net.style),
        "stages": [
            {
                "name": st.name,
                "repeat": st.repeat,
                "items": [_block_dict(it) if isinstance(it, Block) else _layer_dict(it) for it in st.items],
            }
            for st in net.stages
        ],
        "head": [_layer_dict(layer) for layer in net.head],
        "aux": [{"name": h.name, "after": h.after, "layers": [_layer_dict(x) for x in h.layers]} for h in net.aux],
    }


def _compact(obj, indent: str = "") -> str:
    """JSON with two-space indents, and lists of plain values kept on one line."""
    inner = indent + "  "
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        parts = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {_compact(v, inner)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(parts) + "\n" + indent + "}"
    if isinstance(obj, list):
        if all(not isinstance(v, (dict, list)) for v in obj):
            return json.dumps(obj, ensure_ascii=False)
        return "[\n" + ",\n".join(inner + _compact(v, inner) for v in obj) + "\n" + indent + "]"
    return json.dumps(obj, ensure_ascii=False)


def dumps(net: Network) -> str:
    """The config JSON of ``net``: deterministic UTF-8, two-space indents."""
    return _compact(to_dict(net)) + "\n"


# --- reading ---------------------------------------------------------------------------------


def _type_name(v) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(v), "a number"
    )


def _repr(v, limit: int = 60) -> str:
    """A value from the file as a message shows it: ``repr``, cut short, so a message never
    echoes a whole file nor a raw control character."""
    r = repr(v)
    return r if len(r) <= limit else r[:limit] + "…"


def _key(key: str) -> str:
    """A key from the file as a field name: as written when it is a plain short name."""
    return key if key.isprintable() and 0 < len(key) <= L.MAX_NAME_LENGTH else _repr(key)


def _obj(v, field: str) -> dict:
    if not isinstance(v, dict):
        raise SpecError(field, f"must be an object, got {_type_name(v)}")
    return v


def _list(v, field: str, limit: int) -> list:
    if not isinstance(v, list):
        raise SpecError(field, f"must be a list, got {_type_name(v)}")
    if len(v) > limit:
        raise SpecError(field, f"at most {limit} entries, got {len(v)}")
    return v


def _keys(d: dict, field: str, required: set[str], optional: set[str]) -> None:
    twice = getattr(d, "twice", None)
    if twice is not None:
        raise SpecError(f"{field}.{_key(twice)}" if field else _key(twice), "is written twice in one object; keep one")
    missing = sorted(required - d.keys())
    if missing:
        raise SpecError(f"{field}.{missing[0]}" if field else missing[0], "is missing")
    extra = sorted(d.keys() - required - optional)
    if extra:
        name = f"{field}.{_key(extra[0])}" if field else _key(extra[0])
        raise SpecError(name, f"unknown field; expected one of: {', '.join(sorted(required | optional))}")


def _int(v, field: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        if isinstance(v, float) and v.is_integer() and math.isfinite(v):
            raise SpecError(field, f"must be a whole number written without a decimal point, got {v!r}")
        raise SpecError(field, f"must be a whole number, got {_type_name(v) if not isinstance(v, (int, float)) else repr(v)}")
    if abs(v) > 10**12:
        raise SpecError(field, f"is far too large ({str(v)[:20]}…)")
    return v


def _float(v, field: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise SpecError(field, f"must be a number, got {_type_name(v)}")
    if isinstance(v, int) and abs(v) > 10**12:  # float() of a 400-digit integer overflows
        raise SpecError(field, f"is far too large ({str(v)[:20]}…)")
    v = float(v)
    if not math.isfinite(v):
        raise SpecError(field, "must be a finite number")
    return v


def _bool(v, field: str) -> bool:
    if not isinstance(v, bool):
        raise SpecError(field, f"must be true or false, got {_type_name(v)}")
    return v


def _str(v, field: str, limit: int = L.MAX_NAME_LENGTH) -> str:
    if not isinstance(v, str):
        raise SpecError(field, f"must be a string, got {_type_name(v)}")
    if len(v) > limit:
        raise SpecError(field, f"must be at most {limit} characters, got {len(v)}")
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:  # "\ud800" in the file: no UTF-8 page, terminal or file can hold it
        raise SpecError(field, f"is not valid Unicode text (a lone surrogate), got {_repr(v)}") from None
    return v


def _name(v, field: str) -> str:
    """A name: shown in tables, diagrams, file headers and on terminals, so printable."""
    v = _str(v, field)
    if not v.isprintable():
        raise SpecError(field, f"must be printable: no control, format or line-break characters, got {_repr(v)}")
    return v


def _pair(v, field: str) -> tuple[int, int]:
    if isinstance(v, list):
        if len(v) != 2:
            raise SpecError(field, f"must be [height, width], got {len(v)} numbers")
        return (_int(v[0], f"{field}.height"), _int(v[1], f"{field}.width"))
    n = _int(v, field)
    return (n, n)


_READERS = {
    "str": _str,
    "int": _int,
    "float": _float,
    "bool": _bool,
    "Pair": _pair,
    "int | None": lambda v, f: None if v is None else _int(v, f),
}


def _layer(d, field: str):
    d = _obj(d, field)
    kind = d.get("type")
    cls = LAYER_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise SpecError(f"{field}.type", f"must be one of {', '.join(LAYER_TYPES)}, got {_repr(kind)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    required = {n for n, f in fields.items() if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    _keys(d, field, required | {"type"}, set(fields) - required)
    name = _name(d["name"], f"{field}.name")
    field = f"{field.rsplit('[', 1)[0]}.{name}" if "[" in field else field
    kwargs = {n: _READERS[fields[n].type](d[n], f"{field}.{n}") for n in fields if n in d}
    return cls(**kwargs)


def _block(d: dict, field: str) -> Block:
    name = _name(d.get("name"), f"{field}.name")
    field = f"{field.rsplit('[', 1)[0]}.{name}"
    kind = get_kind(_str(d.get("kind"), f"{field}.kind"), f"{field}.kind")
    width_fields = [k for k, _ in kind.fields]
    optional = {"scale", "act"} if kind.residual else set()
    _keys(d, field, {"type", "name", "kind", *width_fields}, optional)
    widths = []
    for key, arity in kind.fields:
        v = d[key]
        if arity == 1 and not isinstance(v, list):
            widths.append((key, (_int(v, f"{field}.{key}"),)))
            continue
        v = _list(v, f"{field}.{key}", arity)
        if len(v) != arity:
            raise SpecError(f"{field}.{key}", f"must have {arity} channel counts, got {len(v)}")
        widths.append((key, tuple(_int(x, f"{field}.{key}[{i}]") for i, x in enumerate(v))))
    return Block(
        name=name,
        kind=kind.name,
        widths=tuple(widths),
        scale=_float(d.get("scale", 1.0), f"{field}.scale"),
        act=_bool(d.get("act", True), f"{field}.act"),
    )


def _item(d, field: str):
    d = _obj(d, field)
    if d.get("type") == "block":
        return _block(d, field)
    return _layer(d, field)


def _depth(v, limit: int, field: str = "config") -> None:
    stack = [(v, 1)]
    while stack:
        x, depth = stack.pop()
        if depth > limit:
            raise SpecError(field, f"is nested more than {limit} levels deep")
        if isinstance(x, dict):
            stack.extend((y, depth + 1) for y in x.values())
        elif isinstance(x, list):
            stack.extend((y, depth + 1) for y in x)


def from_dict(d) -> Network:
    _depth(d, L.MAX_JSON_DEPTH)
    d = _obj(d, "config")
    _keys(
        d,
        "",
        {"input", "classes", "stages"},
        {"format", "name", "description", "width", "aux_enabled", "style", "head", "aux"},
    )
    if d.get("format", FORMAT) != FORMAT:
        raise SpecError("format", f"must be {FORMAT!r}, got {_repr(d.get('format'))}")
    inp = _list(d["input"], "input", 3)
    if len(inp) != 3:
        raise SpecError("input", f"must be [channels, height, width], got {len(inp)} numbers")
    input_ = tuple(_int(v, f"input.{axis}") for v, axis in zip(inp, ("channels", "height", "width")))
    style_d = _obj(d.get("style", {}), "style")
    style_fields = {f.name: f for f in dataclasses.fields(Style)}
    _keys(style_d, "style", set(), set(style_fields))
    style = Style(**{k: _READERS[style_fields[k].type](v, f"style.{k}") for k, v in style_d.items()})
    stages = []
    for i, sd in enumerate(_list(d["stages"], "stages", L.MAX_STAGES)):
        sd = _obj(sd, f"stages[{i}]")
        _keys(sd, f"stages[{i}]", {"name", "items"}, {"repeat"})
        sname = _name(sd["name"], f"stages[{i}].name")
        repeat = sd.get("repeat")
        if repeat is not None:
            repeat = _str(repeat, f"{sname}.repeat")
        items = tuple(_item(x, f"{sname}[{j}]") for j, x in enumerate(_list(sd["items"], f"{sname}.items", L.MAX_ITEMS_PER_STAGE)))
        stages.append(Stage(sname, items, repeat))
    head = tuple(_layer(x, f"head[{j}]") for j, x in enumerate(_list(d.get("head", []), "head", L.MAX_HEAD_LAYERS)))
    aux = []
    for i, ad in enumerate(_list(d.get("aux", []), "aux", L.MAX_AUX_HEADS)):
        ad = _obj(ad, f"aux[{i}]")
        _keys(ad, f"aux[{i}]", {"name", "after", "layers"}, set())
        aname = _name(ad["name"], f"aux[{i}].name")
        layers = tuple(
            _layer(x, f"aux.{aname}[{j}]") for j, x in enumerate(_list(ad["layers"], f"aux.{aname}.layers", L.MAX_HEAD_LAYERS))
        )
        aux.append(AuxHead(aname, _str(ad["after"], f"aux.{aname}.after"), layers))
    net = Network(
        name=_name(d.get("name", "custom"), "name"),
        description=_str(d.get("description", ""), "description", L.MAX_TEXT_LENGTH),
        input=input_,
        classes=_int(d["classes"], "classes"),
        width=_float(d.get("width", 1.0), "width"),
        aux_enabled=_bool(d.get("aux_enabled", False), "aux_enabled"),
        style=style,
        stages=tuple(stages),
        head=head,
        aux=tuple(aux),
    )
    validate(net)
    return net


class _Object(dict):
    """A parsed JSON object that remembers a key written twice (``json`` keeps the last one
    silently, so a hand-edited duplicate would quietly override the value above it)."""

    twice: str | None = None


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    for key, value in pairs:
        if key in obj and obj.twice is None:
            obj.twice = key
        obj[key] = value
    return obj


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')


def _reject_constant(name: str):
    raise SpecError("config", f"{name} is not a number JSON allows")


def loads(data: str | bytes) -> Network:
    """Parse and validate a config; raises ``SpecError`` for anything that is not one."""
    if isinstance(data, (bytes, bytearray)):
        if len(data) > L.MAX_CONFIG_BYTES:
            raise SpecError("config", f"is {len(data):,} bytes; the limit is {L.MAX_CONFIG_BYTES:,}")
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as err:
            raise SpecError("config", f"is not UTF-8 text (byte {err.start})") from None
    if len(data.encode("utf-8", "surrogatepass")) > L.MAX_CONFIG_BYTES:
        raise SpecError("config", f"is larger than the limit of {L.MAX_CONFIG_BYTES:,} bytes")
    data = data.removeprefix("\ufeff")  # a byte-order mark (Windows Notepad writes one) is not JSON
    # a cheap bound on nesting before the parser recurses (brackets inside strings, as in a
    # name "[[[[", are text)
    depth = max_depth = 0
    for ch in _STRING.sub('""', data):
        if ch in "[{":
            depth += 1
            max_depth = max(max_depth, depth)
            if max_depth > L.MAX_JSON_DEPTH:
                raise SpecError("config", f"is nested more than {L.MAX_JSON_DEPTH} levels deep")
        elif ch in "]}":
            depth -= 1
    try:
        obj = json.loads(data, parse_constant=_reject_constant, object_pairs_hook=_object)
    except SpecError:
        raise
    except (json.JSONDecodeError, RecursionError, ValueError) as err:
        msg = err.msg if isinstance(err, json.JSONDecodeError) else str(err)
        where = f" at line {err.lineno}, column {err.colno}" if isinstance(err, json.JSONDecodeError) else ""
        raise SpecError("config", f"is not valid JSON: {msg}{where}") from None
    return from_dict(obj)
