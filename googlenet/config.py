"""The JSON config format: a spec written out in full, and read back strictly.

Reading never executes or unpickles anything: the text is parsed by ``json`` (NaN and
Infinity refused, with their line, column and field), its size and nesting are bounded, every
key is checked against the schema below, and the result is validated like any spec. Every
failure is a ``SpecError`` naming the field. ``dumps(loads(text)) == text`` for any text
``dumps`` wrote.

Schema (``"format": "inception-studio/2"``)::

    {format, name, description, input: [C, H, W], classes, width, aux_enabled, naming,
     style: {conv_bias, batch_norm, bn_eps, branch3_kernel, pool_ceil},
     stages: [{name, repeat, items: [LAYER | BLOCK, ...]}],
     head: [LAYER, ...],
     aux: [{name, after, layers: [LAYER, ...]}]}
    LAYER: {type: conv|pool|lrn|dropout|batchnorm|adaptive_avg_pool|flatten|linear, name, ...fields}
    BLOCK, made by a template and unchanged since:
           {type: block, name, kind, <the template's width fields>, [scale, act (residual templates)]}
    BLOCK, written out: {type: block, name, branches: [BRANCH, ...], merge: concat|add,
           [project: LAYER (a 1×1 conv), scale, act], [kind, widths: {field: channels}]}
    BRANCH: {name, layers: [LAYER, ...], [split: [BRANCH, ...]]}   (no layers: the identity)

A width field with one number is written as a number (``"c1": 64``), otherwise as a list
(``"c2": [96, 128]``). Fields left out take their defaults. A written-out block keeps the
``kind`` and ``widths`` of the template it was made from, so it can be reset to it.
``"inception-studio/1"`` configs (template blocks only, ``act`` as true/false) still load.
``naming`` is a module naming rule of ``naming.RULES``, written when it is not ``"studio"`` (the
default, and what every file written before the field existed meant).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from typing import Any

from . import limits as L
from .errors import SpecError, shown
from .layers import Conv
from .spec import LAYER_TYPES, AuxHead, Block, Branch, Network, Stage, Style
from .templates import get_template, matches
from .validate import validate

FORMAT = "inception-studio/2"
FORMATS = ("inception-studio/1", FORMAT)


# --- writing ---------------------------------------------------------------------------------


def _layer_dict(layer) -> dict[str, Any]:
    out: dict[str, Any] = {"type": layer.type}
    for f in dataclasses.fields(layer):
        v = getattr(layer, f.name)
        out[f.name] = list(v) if isinstance(v, tuple) else v
    return out


def _widths_dict(block: Block) -> dict[str, Any]:
    return {key: value[0] if len(value) == 1 else list(value) for key, value in block.widths}


def _branch_dict(br: Branch) -> dict[str, Any]:
    out: dict[str, Any] = {"name": br.name, "layers": [_layer_dict(x) for x in br.layers]}
    if br.split:
        out["split"] = [_branch_dict(s) for s in br.split]
    return out


def _block_dict(block: Block, style: Style) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "block", "name": block.name}
    if matches(block, style):
        out["kind"] = block.kind
        out.update(_widths_dict(block))
        if get_template(block.kind).residual:
            out["scale"] = block.scale
            out["act"] = block.act
        return out
    out["branches"] = [_branch_dict(br) for br in block.branches]
    out["merge"] = block.merge
    if block.merge == "add":
        out["project"] = _layer_dict(block.project) if block.project is not None else None
        out["scale"] = block.scale
    out["act"] = block.act
    if block.kind is not None:
        out["kind"] = block.kind
        out["widths"] = _widths_dict(block)
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
        **({"naming": net.naming} if net.naming != "studio" else {}),  # left out: the default
        "style": dataclasses.asdict(net.style),
        "stages": [
            {
                "name": st.name,
                "repeat": st.repeat,
                "items": [_block_dict(it, net.style) if isinstance(it, Block) else _layer_dict(it) for it in st.items],
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


# --- reading: JSON types -----------------------------------------------------------------------------


def _type_name(v) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(v), "a number"
    )


def _key(key: str) -> str:
    """A key from the file as a field name: as written when it is a plain short name."""
    return key if key.isprintable() and 0 < len(key) <= L.MAX_NAME_LENGTH else shown(key)


def _obj(v, field: str) -> dict:
    if not isinstance(v, dict):
        raise SpecError(field, "object.type", value=_type_name(v))
    return v


def _list(v, field: str, limit: int) -> list:
    if not isinstance(v, list):
        raise SpecError(field, "list.type", value=_type_name(v))
    if len(v) > limit:
        raise SpecError(field, "list.long", limit=limit, count=len(v))
    return v


def _keys(d: dict, field: str, required: set[str], optional: set[str]) -> None:
    twice = getattr(d, "twice", None)
    if twice is not None:
        raise SpecError(f"{field}.{_key(twice)}" if field else _key(twice), "config.twice")
    missing = sorted(required - d.keys())
    if missing:
        raise SpecError(f"{field}.{missing[0]}" if field else missing[0], "config.missing")
    extra = sorted(d.keys() - required - optional)
    if extra:
        name = f"{field}.{_key(extra[0])}" if field else _key(extra[0])
        raise SpecError(name, "config.unknown_field", expected=", ".join(sorted(required | optional)))


def _int(v, field: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        if isinstance(v, float) and v.is_integer() and math.isfinite(v):
            raise SpecError(field, "int.decimal", value=shown(v))
        raise SpecError(field, "int.type", value=_type_name(v) if not isinstance(v, (int, float)) else shown(v))
    if abs(v) > 10**12:
        raise SpecError(field, "int.huge", value=shown(v))
    return v


def _float(v, field: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise SpecError(field, "float.type", value=_type_name(v))
    if isinstance(v, int) and abs(v) > 10**12:  # float() of a 400-digit integer overflows
        raise SpecError(field, "int.huge", value=shown(v))
    v = float(v)
    if not math.isfinite(v):
        raise SpecError(field, "float.finite", value=shown(v))
    return v


def _bool(v, field: str) -> bool:
    if not isinstance(v, bool):
        raise SpecError(field, "bool.type", value=_type_name(v))
    return v


def _str(v, field: str, limit: int = L.MAX_NAME_LENGTH) -> str:
    if not isinstance(v, str):
        raise SpecError(field, "str.type", value=_type_name(v))
    if len(v) > limit:
        raise SpecError(field, "str.long", limit=limit, length=len(v))
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:  # "\ud800" in the file: no UTF-8 page, terminal or file can hold it
        raise SpecError(field, "str.surrogate", value=shown(v)) from None
    return v


def _name(v, field: str) -> str:
    """A name: shown in tables, diagrams, file headers and on terminals, so printable."""
    v = _str(v, field)
    if not v.isprintable():
        raise SpecError(field, "name.printable", value=shown(v))
    return v


def _pair(v, field: str) -> tuple[int, int]:
    if isinstance(v, list):
        if len(v) != 2:
            raise SpecError(field, "pair.length", count=len(v))
        return (_int(v[0], f"{field}.height"), _int(v[1], f"{field}.width"))
    n = _int(v, field)
    return (n, n)


def _act(v, field: str, old: bool) -> str:
    """An activation: a name; a format-1 file wrote true (ReLU) or false (none)."""
    if old and isinstance(v, bool):
        return "relu" if v else "none"
    return _str(v, field)


def _reader(annotation: str):
    return {
        "str": _str,
        "int": _int,
        "float": _float,
        "bool": _bool,
        "Pair": _pair,
        "int | None": lambda v, f: None if v is None else _int(v, f),
    }[annotation]


# --- reading: the spec -------------------------------------------------------------------------------


class _Reader:
    def __init__(self, old: bool):
        self.old = old  # a format-1 file

    def layer(self, d, field: str):
        d = _obj(d, field)
        kind = d.get("type")
        cls = LAYER_TYPES.get(kind) if isinstance(kind, str) else None
        if cls is None or (self.old and kind == "batchnorm"):
            raise SpecError(f"{field}.type", "layer.unknown_type", choices=", ".join(LAYER_TYPES), value=shown(kind))
        fields = {f.name: f for f in dataclasses.fields(cls)}
        required = {n for n, f in fields.items() if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
        _keys(d, field, required | {"type"}, set(fields) - required)
        name = _name(d["name"], f"{field}.name")
        field = f"{field.rsplit('[', 1)[0]}.{name}" if "[" in field else field
        kwargs = {}
        for n in fields:
            if n not in d:
                continue
            if n == "act":
                kwargs[n] = _act(d[n], f"{field}.{n}", self.old)
            else:
                kwargs[n] = _reader(fields[n].type)(d[n], f"{field}.{n}")
        return cls(**kwargs)

    def widths(self, d: dict, t, field: str) -> tuple:
        widths = []
        for key, arity in t.fields:
            v = d[key]
            if arity == 1 and not isinstance(v, list):
                widths.append((key, (_int(v, f"{field}.{key}"),)))
                continue
            v = _list(v, f"{field}.{key}", arity)
            if len(v) != arity:
                raise SpecError(f"{field}.{key}", "width.arity", arity=arity, count=len(v))
            widths.append((key, tuple(_int(x, f"{field}.{key}[{i}]") for i, x in enumerate(v))))
        return tuple(widths)

    def branch(self, d, field: str, depth: int = 0) -> Branch:
        d = _obj(d, field)
        _keys(d, field, {"name", "layers"}, {"split"})
        name = _name(d["name"], f"{field}.name")
        field = f"{field.rsplit('[', 1)[0]}.{name}" if "[" in field else field
        layers = tuple(self.layer(x, f"{field}[{j}]") for j, x in enumerate(_list(d["layers"], f"{field}.layers", L.MAX_LAYERS_PER_BRANCH)))
        split = tuple(
            self.branch(x, f"{field}[{j}]", depth + 1) for j, x in enumerate(_list(d.get("split", []), f"{field}.split", L.MAX_BRANCHES))
        )
        return Branch(name, layers, split)

    def block(self, d: dict, field: str, style: Style) -> Block:
        name = _name(d.get("name"), f"{field}.name")
        field = f"{field.rsplit('[', 1)[0]}.{name}"
        if "branches" not in d:  # a template's block
            t = get_template(_str(d.get("kind"), f"{field}.kind"), f"{field}.kind")
            optional = {"scale", "act"} if t.residual else set()
            _keys(d, field, {"type", "name", "kind", *(k for k, _ in t.fields)}, optional)
            scale = _float(d.get("scale", 1.0), f"{field}.scale")
            act = _act(d["act"], f"{field}.act", self.old) if "act" in d else None
            return t.make(name, self.widths(d, t, field), style, scale, act)
        _keys(d, field, {"type", "name", "branches"}, {"merge", "project", "scale", "act", "kind", "widths"})
        branches = tuple(
            self.branch(x, f"{field}[{j}]") for j, x in enumerate(_list(d["branches"], f"{field}.branches", L.MAX_BRANCHES))
        )
        project = d.get("project")
        if project is not None:
            project = self.layer(project, f"{field}.project")
            if not isinstance(project, Conv):
                raise SpecError(f"{field}.project.type", "block.project_kernel")
        kind, widths = None, ()
        if "kind" in d or "widths" in d:
            if "kind" not in d or "widths" not in d:
                raise SpecError(f"{field}.{'kind' if 'kind' not in d else 'widths'}", "config.missing")
            t = get_template(_str(d["kind"], f"{field}.kind"), f"{field}.kind")
            w = _obj(d["widths"], f"{field}.widths")
            _keys(w, f"{field}.widths", {k for k, _ in t.fields}, set())
            kind, widths = t.name, self.widths(w, t, f"{field}.widths")
        return Block(
            name=name,
            branches=branches,
            merge=_str(d.get("merge", "concat"), f"{field}.merge"),
            project=project,
            scale=_float(d.get("scale", 1.0), f"{field}.scale"),
            act=_str(d.get("act", "none"), f"{field}.act"),
            kind=kind,
            widths=widths,
        )

    def item(self, d, field: str, style: Style):
        d = _obj(d, field)
        if d.get("type") == "block":
            return self.block(d, field, style)
        return self.layer(d, field)


def _depth(v, limit: int, field: str = "config") -> None:
    stack = [(v, 1)]
    while stack:
        x, depth = stack.pop()
        if depth > limit:
            raise SpecError(field, "config.depth", limit=limit)
        if isinstance(x, dict):
            stack.extend((y, depth + 1) for y in x.values())
        elif isinstance(x, list):
            stack.extend((y, depth + 1) for y in x)


def _style(d, old: bool) -> Style:
    d = _obj(d, "style")
    fields = {f.name: f for f in dataclasses.fields(Style)}
    _keys(d, "style", set(), set(fields))
    return Style(**{k: _reader(fields[k].type)(v, f"style.{k}") for k, v in d.items()})


def from_dict(d) -> Network:
    _depth(d, L.MAX_JSON_DEPTH)
    d = _obj(d, "config")
    _keys(
        d,
        "",
        {"input", "classes", "stages"},
        {"format", "name", "description", "width", "aux_enabled", "naming", "style", "head", "aux"},
    )
    fmt = d.get("format", FORMAT)
    if fmt not in FORMATS:
        raise SpecError("format", "config.format", expected=" or ".join(repr(f) for f in FORMATS), value=shown(fmt))
    r = _Reader(old=fmt == FORMATS[0])
    inp = _list(d["input"], "input", 3)
    if len(inp) != 3:
        raise SpecError("input", "input.shape", value=f"{len(inp)} numbers")
    input_ = tuple(_int(v, f"input.{axis}") for v, axis in zip(inp, ("channels", "height", "width")))
    style = _style(d.get("style", {}), r.old)
    stages = []
    for i, sd in enumerate(_list(d["stages"], "stages", L.MAX_STAGES)):
        sd = _obj(sd, f"stages[{i}]")
        _keys(sd, f"stages[{i}]", {"name", "items"}, {"repeat"})
        sname = _name(sd["name"], f"stages[{i}].name")
        repeat = sd.get("repeat")
        if repeat is not None:
            repeat = _str(repeat, f"{sname}.repeat")
        raw = _list(sd["items"], f"{sname}.items", L.MAX_ITEMS_PER_STAGE)
        stages.append(Stage(sname, tuple(r.item(x, f"{sname}[{j}]", style) for j, x in enumerate(raw)), repeat))
    head = tuple(r.layer(x, f"head[{j}]") for j, x in enumerate(_list(d.get("head", []), "head", L.MAX_HEAD_LAYERS)))
    aux = []
    for i, ad in enumerate(_list(d.get("aux", []), "aux", L.MAX_AUX_HEADS)):
        ad = _obj(ad, f"aux[{i}]")
        _keys(ad, f"aux[{i}]", {"name", "after", "layers"}, set())
        aname = _name(ad["name"], f"aux[{i}].name")
        layers = tuple(
            r.layer(x, f"aux.{aname}[{j}]") for j, x in enumerate(_list(ad["layers"], f"aux.{aname}.layers", L.MAX_HEAD_LAYERS))
        )
        aux.append(AuxHead(aname, _str(ad["after"], f"aux.{aname}.after"), layers))
    net = Network(
        name=_name(d.get("name", "custom"), "name"),
        description=_str(d.get("description", ""), "description", L.MAX_TEXT_LENGTH),
        input=input_,
        classes=_int(d["classes"], "classes"),
        width=_float(d.get("width", 1.0), "width"),
        aux_enabled=_bool(d.get("aux_enabled", False), "aux_enabled"),
        naming=_str(d.get("naming", "studio"), "naming"),
        style=style,
        stages=tuple(stages),
        head=head,
        aux=tuple(aux),
    )
    validate(net)
    return net


# --- reading: the text ---------------------------------------------------------------------------------


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
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|-?Infinity|NaN|[^\s{}\[\],:"]+')
MAX_DIGITS = 1000  # a number token longer than this is refused before Python converts it


def _where(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _bad_token(tok: str) -> bool:
    return tok in ("NaN", "Infinity", "-Infinity") or (len(tok) > MAX_DIGITS and tok.lstrip("-")[:1].isdigit())


def _constant_field(text: str) -> tuple[str, str, int, int] | None:
    """Where the first NaN, Infinity or far too long number stands: the token, its JSON path
    (``stages[2].items[0].bn_eps``), line and column. A small scan of the tokens; the file
    already passed its size bound."""
    stack: list[list] = []  # per open container: [kind, key or index, expecting a key]
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        if _bad_token(tok):
            path = ""
            for kind, at, _ in stack:
                if kind == "{":
                    path += f".{_key(at)}" if path else _key(at)
                else:
                    path += f"[{at}]"
            line, col = _where(text, m.start())
            return tok, path or "config", line, col
        if tok in "{[" and len(tok) == 1:
            stack.append([tok, "" if tok == "{" else 0, tok == "{"])
        elif tok in "}]" and len(tok) == 1:
            if stack:
                stack.pop()
        elif tok == ",":
            if stack:
                top = stack[-1]
                if top[0] == "[":
                    top[1] += 1
                else:
                    top[2] = True
        elif tok == ":":
            pass
        elif stack and stack[-1][0] == "{" and stack[-1][2]:
            try:
                stack[-1][1] = json.loads(tok)
            except ValueError:
                stack[-1][1] = tok
            stack[-1][2] = False
    return None


def _reject_constant(name: str):
    raise ValueError(name)


def _int_token(text: str) -> int:
    if len(text) > MAX_DIGITS:  # int() of it would take long, and Python refuses past 4,300 digits
        raise ValueError("huge")
    return int(text)


def loads(data: str | bytes) -> Network:
    """Parse and validate a config; raises ``SpecError`` for anything that is not one."""
    if isinstance(data, (bytes, bytearray)):
        if len(data) > L.MAX_CONFIG_BYTES:
            raise SpecError("config", "config.size", size=f"{len(data):,}", limit=f"{L.MAX_CONFIG_BYTES:,}")
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as err:
            raise SpecError("config", "config.utf8", position=err.start) from None
    size = len(data.encode("utf-8", "surrogatepass"))
    if size > L.MAX_CONFIG_BYTES:
        raise SpecError("config", "config.size", size=f"{size:,}", limit=f"{L.MAX_CONFIG_BYTES:,}")
    data = data.removeprefix("\ufeff")  # a byte-order mark (Windows Notepad writes one) is not JSON
    # a cheap bound on nesting before the parser recurses (brackets inside strings, as in a
    # name "[[[[", are text)
    depth = max_depth = 0
    for ch in _STRING.sub('""', data):
        if ch in "[{":
            depth += 1
            max_depth = max(max_depth, depth)
            if max_depth > L.MAX_JSON_DEPTH:
                raise SpecError("config", "config.depth", limit=L.MAX_JSON_DEPTH)
        elif ch in "]}":
            depth -= 1
    try:
        obj = json.loads(data, parse_constant=_reject_constant, parse_int=_int_token, object_pairs_hook=_object)
    except json.JSONDecodeError as err:
        raise SpecError("config", "config.json", reason=err.msg, line=err.lineno, column=err.colno) from None
    except (RecursionError, ValueError) as err:
        where = _constant_field(data)
        if where is not None:
            tok, field, line, col = where
            if tok in ("NaN", "Infinity", "-Infinity"):
                raise SpecError(field, "config.constant", value=tok, line=line, column=col) from None
            raise SpecError(field, "int.huge", value=f"a number of {len(tok.lstrip('-')):,} digits at line {line}, column {col}") from None
        raise SpecError("config", "config.json", reason=str(err)[:100], line="?", column="?") from None
    return from_dict(obj)

