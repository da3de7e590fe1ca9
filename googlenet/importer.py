"""PyTorch code in, a network spec out — parsed with ``ast``, never executed.

Two kinds of code are read:

* **The lecture's way** (Dive into Deep Learning): ``nn.Sequential`` of ``nn.Conv2d``,
  ``nn.ReLU``, ``nn.Sigmoid``, ``nn.MaxPool2d``, ``nn.AvgPool2d``, ``nn.AdaptiveAvgPool2d``,
  ``nn.Flatten``, ``nn.Linear``, ``nn.BatchNorm2d``, ``nn.Dropout``, ``nn.LocalResponseNorm``
  (and the ``Lazy`` forms), block classes written as the lecture writes ``Inception`` (an
  ``nn.Module`` whose ``__init__`` assigns layers and whose ``forward`` concatenates paths),
  functions that only ``return nn.Sequential(...)`` (the book's ``nin_block``), and calls of
  them with positional or keyword arguments. Each top-level ``nn.Sequential`` named in the
  network becomes a stage (``b1`` … ``b5``); the layers after the last one, the head. An
  ``X = torch.rand(size=(1, 1, 96, 96))`` line gives the input size, and the chapter's
  shape-printing loop (``for layer in net: X = layer(X); print(...)``) is skipped.
* **Inception Studio's generated code**: ``build_model()`` and its ``Builder`` calls (the
  runtime classes above it are not read), with the names, stages and block templates.

Anything else is refused with a ``SpecError`` naming the line and the construct ("line 12: a
for loop is not supported; write the layers out"). Only calls on a whitelist are read, every
argument must be a literal (numbers, tuples, strings, True/False/None, and arithmetic on
them) or a name bound above, and the text's size, nesting and numbers are bounded before and
while it is read. The result is validated and analysed like any spec; a declared input
channel count or feature count that disagrees with what the layer before it makes is refused
with the line of the call.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field, replace
from typing import Any

from .analysis import analyze
from .errors import SpecError, shown
from .naming import RULES
from .spec import (
    LRN,
    AdaptiveAvgPool,
    AuxHead,
    BatchNorm,
    Block,
    Branch,
    Conv,
    Dropout,
    Flatten,
    Linear,
    Network,
    Pool,
    Stage,
    Style,
)
from .templates import TEMPLATES
from .texts import text as coded

MAX_CHARS = 1_000_000
MAX_NESTING = 24  # brackets deep (the lecture's code needs 4)
MAX_NODES = 200_000  # syntax-tree nodes
MAX_NUMBER = 10**9  # any literal or computed integer
MAX_CALLS = 20_000  # layer and block calls made while reading
MAX_DEPTH = 8  # functions and block classes called inside one another
MAX_LAYERS = 2_000  # layers in the network once every Sequential is written out

KNOWN_IMPORTS = {
    "torch": "torch",
    "torch.nn": "nn",
    "torch.nn.functional": "F",
    "d2l.torch": "d2l",
    "d2l": "d2l-package",
}
# what a generated file imports for its runtime (never read further)
RUNTIME_IMPORTS = {"contextlib", "collections", "torch", "torch.nn"}

LAYERS = (
    "Conv2d", "LazyConv2d", "ReLU", "Sigmoid", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Flatten", "Linear",
    "LazyLinear", "BatchNorm2d", "LazyBatchNorm2d", "Dropout", "LocalResponseNorm", "Sequential",
)
KNOWN = "nn." + ", nn.".join(LAYERS) + ", block classes and functions defined above, and torch.rand/randn/zeros/ones for the input"

# PyTorch's signatures: (positional names in order, defaults)
SIGNATURES: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "Conv2d": (("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias", "padding_mode"),
               {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True, "padding_mode": "zeros"}),
    "LazyConv2d": (("out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias", "padding_mode"),
                   {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True, "padding_mode": "zeros"}),
    "ReLU": (("inplace",), {"inplace": False}),
    "Sigmoid": ((), {}),
    "MaxPool2d": (("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"),
                  {"stride": None, "padding": 0, "dilation": 1, "return_indices": False, "ceil_mode": False}),
    "AvgPool2d": (("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"),
                  {"stride": None, "padding": 0, "ceil_mode": False, "count_include_pad": True, "divisor_override": None}),
    "AdaptiveAvgPool2d": (("output_size",), {}),
    "Flatten": (("start_dim", "end_dim"), {"start_dim": 1, "end_dim": -1}),
    "Linear": (("in_features", "out_features", "bias"), {"bias": True}),
    "LazyLinear": (("out_features", "bias"), {"bias": True}),
    "BatchNorm2d": (("num_features", "eps", "momentum", "affine", "track_running_stats"),
                    {"eps": 1e-5, "momentum": 0.1, "affine": True, "track_running_stats": True}),
    "LazyBatchNorm2d": (("eps", "momentum", "affine", "track_running_stats"),
                        {"eps": 1e-5, "momentum": 0.1, "affine": True, "track_running_stats": True}),
    "Dropout": (("p", "inplace"), {"p": 0.5, "inplace": False}),
    "LocalResponseNorm": (("size", "alpha", "beta", "k"), {"alpha": 1e-4, "beta": 0.75, "k": 1.0}),
}
INPUT_MAKERS = ("rand", "randn", "zeros", "ones", "empty")
ACTIVATION_FUNCS = {"relu": "relu", "sigmoid": "sigmoid"}
DEFAULT_SIZE = 96  # the lecture's resize=96, when the code gives no input

# The reader's notes (``Imported.notes``), by code; an interface translates each by its code and values.
TEXTS: dict[str, str] = {
    "note.shape_loop": "line {line}: the loop that prints each layer's output shape was skipped (the table shows them)",
    "note.input": (
        "the code gives no input; assumed {channels}×{size}×{size} "
        "(add X = torch.rand(size=(1, C, H, W)) to choose, or change it on the Architecture page)"
    ),
    "note.runtime": "this file's runtime classes are not Inception Studio's; build_model()'s calls were read as its Builder means them",
    # the read network's description (a msgid without values, as a preset's description is)
    "description.lecture": "Read from PyTorch code written the lecture's way.",
}


def _err(node: ast.AST | int | None, code: str, **values) -> SpecError:
    line = node if isinstance(node, int) else getattr(node, "lineno", None)
    return SpecError(f"line {line}" if line else "code", code, **values)


# --- what reading makes ------------------------------------------------------------------------------


@dataclass
class Op:
    """One layer call, as written: the torch.nn class, its bound arguments, where it stands."""

    cls: str
    args: dict[str, Any]
    line: int
    text: str  # how the message names it: "nn.Conv2d(64, 192, …)"


@dataclass
class Seq:
    """An ``nn.Sequential``: ops, blocks and sequences in order; ``name`` the variable it is bound to."""

    items: list
    line: int
    name: str | None = None


@dataclass
class BlockCall:
    """A block class called with its arguments: its paths of ops, concatenated."""

    cls: str
    paths: list[list[Op]]
    line: int
    text: str


@dataclass
class InputShape:
    shape: tuple[int, ...]
    line: int


@dataclass
class _Class:
    """A block class: its ``__init__`` parameters, body and ``forward``."""

    name: str
    params: list[str]
    defaults: dict[str, ast.expr]
    init: list[ast.stmt]
    forward: ast.FunctionDef
    line: int


@dataclass
class _Func:
    """A function whose body only returns an expression (``nin_block``)."""

    name: str
    params: list[str]
    defaults: dict[str, ast.expr]
    body: ast.expr
    line: int


@dataclass
class Imported:
    network: Network
    notes: tuple[str, ...] = ()  # each a texts.Text: English, with its code and values
    kind: str = "lecture"  # "lecture" | "generated"


# --- bounds before parsing -------------------------------------------------------------------------------


def _precheck(text: str) -> None:
    if len(text) > MAX_CHARS:
        raise SpecError("code", "code.size", size=f"{len(text):,}", limit=f"{MAX_CHARS:,}")
    depth = deepest = 0
    for ch in text:  # brackets in strings count too: a bound, not a parse
        if ch in "([{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_NESTING:
                    raise SpecError("code", "code.depth", limit=MAX_NESTING)
        elif ch in ")]}":
            depth = max(0, depth - 1)


def _parse(text: str) -> ast.Module:
    _precheck(text)
    try:
        tree = ast.parse(text, mode="exec")
    except SyntaxError as err:
        raise SpecError(f"line {err.lineno}" if err.lineno else "code", "code.syntax", reason=shown(err.msg)) from None
    except (ValueError, RecursionError, MemoryError) as err:  # e.g. an integer of 5,000 digits, NUL bytes
        raise SpecError("code", "code.syntax", reason=shown(str(err).split("\n")[0])) from None
    count = 0
    for _ in ast.walk(tree):
        count += 1
        if count > MAX_NODES:
            raise SpecError("code", "code.many", limit=f"{MAX_NODES:,}", what="syntax elements")
    return tree


# --- literals ---------------------------------------------------------------------------------------------


def _number(v, node) -> Any:
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        if abs(v) > MAX_NUMBER:
            raise _err(node, "code.huge", value=shown(v))
        return v
    if isinstance(v, float):
        if not math.isfinite(v) or abs(v) > MAX_NUMBER:
            raise _err(node, "code.huge", value=shown(v))
        return v
    raise _err(node, "code.literal", what="a value", got=type(v).__name__)


class _Scope:
    """Names bound while reading: module-level variables, or a call's parameters."""

    def __init__(self, values: dict[str, Any], parent: _Scope | None = None):
        self.values, self.parent = values, parent

    def get(self, name: str, node) -> Any:
        s = self
        while s is not None:
            if name in s.values:
                return s.values[name]
            s = s.parent
        raise _err(node, "code.name", name=shown(name))


def _dotted(node: ast.expr) -> str | None:
    """``nn.Conv2d`` → "nn.Conv2d"; None for anything but a chain of names."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _callee(node: ast.expr) -> str:
    """How a message names what is called: ``nn.Conv2d``, ``__import__(…).system``."""
    d = _dotted(node)
    if d is not None:
        return d
    if isinstance(node, ast.Attribute):
        return f"{_callee(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return f"{_callee(node.func)}(…)"
    return _construct(node)


def _construct(node: ast.AST) -> str:
    """What a statement or expression is, for a message: "a for loop", "a lambda"."""
    names = {
        ast.For: "a for loop", ast.While: "a while loop", ast.If: "an if statement", ast.With: "a with statement",
        ast.Try: "a try statement", ast.Lambda: "a lambda", ast.ListComp: "a list comprehension",
        ast.GeneratorExp: "a generator expression", ast.DictComp: "a dict comprehension", ast.SetComp: "a set comprehension",
        ast.Dict: "a dict", ast.Set: "a set", ast.JoinedStr: "an f-string", ast.Await: "await", ast.Yield: "yield",
        ast.Global: "a global statement", ast.Nonlocal: "a nonlocal statement", ast.Delete: "a del statement",
        ast.AugAssign: "an augmented assignment", ast.Raise: "a raise statement", ast.Assert: "an assert statement",
        ast.AsyncFunctionDef: "an async function", ast.NamedExpr: "an assignment expression", ast.Starred: "a *argument",
        ast.Subscript: "indexing", ast.Compare: "a comparison", ast.BoolOp: "and/or", ast.IfExp: "a conditional expression",
    }
    names.update({ast.Import: "an import", ast.ImportFrom: "an import", ast.ClassDef: "a class", ast.FunctionDef: "a function",
                  ast.Assign: "an assignment", ast.Return: "a return", ast.Expr: "an expression", ast.BinOp: "this operator",
                  ast.Attribute: "an attribute", ast.Call: "a call"})
    for cls, text in names.items():
        if isinstance(node, cls):
            return text
    return f"a {type(node).__name__} expression"


class _Reader:
    """Reads the lecture's kind of code: statements one by one, values by a small interpreter
    over literals, names, arithmetic and whitelisted calls. Nothing is executed."""

    def __init__(self):
        self.aliases: dict[str, str] = {}  # local name → "torch" | "nn" | "F" | "d2l"
        self.scope = _Scope({})
        self.classes: dict[str, _Class] = {}
        self.funcs: dict[str, _Func] = {}
        self.input: InputShape | None = None
        self.notes: list[str] = []
        self.calls = 0
        self.depth = 0  # functions and block classes being called
        self.last_seq: tuple[str, Seq] | None = None
        self.nets: list[tuple[str, Seq]] = []

    # statements
    def module(self, tree: ast.Module) -> None:
        for i, stmt in enumerate(tree.body):
            if i == 0 and _is_docstring(stmt):
                continue
            self.statement(stmt)

    def statement(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            self.import_(stmt)
        elif isinstance(stmt, ast.ClassDef):
            self.class_(stmt)
        elif isinstance(stmt, ast.FunctionDef):
            self.func(stmt)
        elif isinstance(stmt, ast.Assign):
            self.assign(stmt)
        elif isinstance(stmt, ast.Expr) and _is_docstring(stmt):
            pass
        elif isinstance(stmt, ast.Pass):
            pass
        elif isinstance(stmt, ast.For) and self.shape_loop(stmt):
            self.notes.append(coded(TEXTS, "note.shape_loop", line=stmt.lineno))
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            raise _err(stmt, "code.loop", kind="for")
        elif isinstance(stmt, ast.While):
            raise _err(stmt, "code.loop", kind="while")
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            raise _err(stmt, "code.statement", construct=f"calling {self.call_name(stmt.value)}(…) on its own",
                       hint="paste the network's code only (its layers, blocks and nn.Sequential)")
        else:
            raise _err(stmt, "code.statement", construct=_construct(stmt), hint="write the layers out")

    def import_(self, stmt) -> None:
        if isinstance(stmt, ast.Import):
            for a in stmt.names:
                if a.name not in KNOWN_IMPORTS or a.name == "d2l":
                    raise _err(stmt, "code.import", module=shown(a.name))
                local = a.asname or a.name.split(".")[0]
                self.aliases[local] = KNOWN_IMPORTS[a.name] if a.asname else "torch"
            return
        if stmt.level or stmt.module is None:
            raise _err(stmt, "code.import", module="a relative module")
        for a in stmt.names:
            full = f"{stmt.module}.{a.name}"
            if full not in KNOWN_IMPORTS or a.name == "*":
                raise _err(stmt, "code.import", module=shown(full if a.name != "*" else f"* from {stmt.module}"))
            self.aliases[a.asname or a.name] = KNOWN_IMPORTS[full]

    def class_(self, stmt: ast.ClassDef) -> None:
        bases = [_dotted(b) for b in stmt.bases]
        if len(bases) != 1 or bases[0] is None or self.resolve(bases[0]) != "nn.Module" or stmt.keywords or stmt.decorator_list:
            raise _err(stmt, "code.statement", construct=f"the class {shown(stmt.name)} (not a plain nn.Module block)",
                       hint="a block class derives from nn.Module and has __init__ and forward only")
        init = forward = None
        for item in stmt.body:
            if isinstance(item, ast.FunctionDef) and item.name == "__init__" and not item.decorator_list:
                init = item
            elif isinstance(item, ast.FunctionDef) and item.name == "forward" and not item.decorator_list:
                forward = item
            elif _is_docstring(item) or isinstance(item, ast.Pass):
                continue
            else:
                raise _err(item, "code.statement", construct=f"{_construct(item) if not isinstance(item, ast.FunctionDef) else 'the method ' + shown(item.name)} in a block class",
                           hint="a block class has __init__ and forward only")
        if init is None or forward is None:
            raise _err(stmt, "code.statement", construct=f"the class {shown(stmt.name)} without __init__ and forward",
                       hint="write the block as the lecture writes Inception")
        params, defaults = _params(init, skip=1)
        self.classes[stmt.name] = _Class(stmt.name, params, defaults, init.body, forward, stmt.lineno)

    def func(self, stmt: ast.FunctionDef) -> None:
        body = [s for s in stmt.body if not _is_docstring(s)]
        loop = next((n for s in body for n in ast.walk(s) if isinstance(n, (ast.For, ast.While))), None)
        if loop is not None:
            raise _err(loop, "code.loop", kind="for" if isinstance(loop, ast.For) else "while")
        if stmt.decorator_list:
            raise _err(stmt, "code.statement", construct=f"a decorated function ({shown(stmt.name)})", hint="write the layers out")
        if len(body) != 1 or not isinstance(body[0], ast.Return) or body[0].value is None:
            bad = next((s for s in body if not isinstance(s, ast.Return)), body[0] if body else stmt)
            raise _err(bad, "code.statement", construct=_construct(bad) if bad is not stmt else f"the function {shown(stmt.name)}",
                       hint="a function may only return nn.Sequential(…) of layers; write the layers out")
        params, defaults = _params(stmt, skip=0)
        self.funcs[stmt.name] = _Func(stmt.name, params, defaults, body[0].value, stmt.lineno)

    def assign(self, stmt: ast.Assign) -> None:
        if len(stmt.targets) != 1:
            raise _err(stmt, "code.statement", construct="a chained assignment", hint="assign one name at a time")
        target = stmt.targets[0]
        if isinstance(target, ast.Tuple) and all(isinstance(t, ast.Name) for t in target.elts) and isinstance(stmt.value, ast.Tuple):
            if len(target.elts) != len(stmt.value.elts):
                raise _err(stmt, "code.statement", construct="an unpacking of unequal length", hint="assign one name at a time")
            for t, v in zip(target.elts, stmt.value.elts):
                self.scope.values[t.id] = self.value(v, self.scope)
            return
        if not isinstance(target, ast.Name):
            raise _err(stmt, "code.statement", construct=f"assigning to {_construct(target)}", hint="assign to a plain name")
        value = self.value(stmt.value, self.scope)
        if isinstance(value, Seq):
            value = replace(value, name=target.id)
            self.last_seq = (target.id, value)
        self.scope.values[target.id] = value

    def shape_loop(self, stmt: ast.For) -> bool:
        """The chapter's ``for layer in net: X = layer(X); print(...)``: it only prints."""
        if stmt.orelse or not isinstance(stmt.target, ast.Name) or not isinstance(stmt.iter, (ast.Name, ast.Attribute, ast.Call)):
            return False
        for s in stmt.body:
            if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Call) \
                    and isinstance(s.value.func, ast.Name) and s.value.func.id == stmt.target.id:
                continue
            if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Name) and s.value.func.id == "print":
                continue
            return False
        return True

    # values
    def resolve(self, dotted: str) -> str:
        """``nn.Conv2d`` under ``from torch import nn`` (or ``torch.nn.Conv2d``) → "nn.Conv2d"."""
        head, _, rest = dotted.partition(".")
        alias = self.aliases.get(head)
        if alias is None:
            return dotted
        if alias == "torch" and rest.startswith("nn.functional."):
            return "F." + rest[len("nn.functional."):]
        if alias == "torch" and rest.startswith("nn."):
            return "nn." + rest[3:]
        return f"{alias}.{rest}" if rest else alias

    def call_name(self, call: ast.Call) -> str:
        return shown(_callee(call.func))

    def value(self, node: ast.expr, scope: _Scope) -> Any:
        if isinstance(node, ast.Constant):
            return _number(node.value, node)
        if isinstance(node, (ast.Tuple, ast.List)):
            if any(isinstance(e, ast.Starred) for e in node.elts):
                raise _err(node, "code.statement", construct="a *argument", hint="write the layers out")
            return tuple(self.value(e, scope) for e in node.elts)
        if isinstance(node, ast.Name):
            if node.id in ("True", "False", "None"):
                return {"True": True, "False": False, "None": None}[node.id]
            return scope.get(node.id, node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self.value(node.operand, scope)
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                raise _err(node, "code.literal", what="a signed value", got=type(v).__name__)
            return _number(-v if isinstance(node.op, ast.USub) else v, node)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv)):
            a, b = self.value(node.left, scope), self.value(node.right, scope)
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in (a, b)):
                raise _err(node, "code.literal", what="arithmetic", got="something other than whole numbers")
            if isinstance(node.op, ast.FloorDiv) and b == 0:
                raise _err(node, "code.literal", what="a division", got="a division by zero")
            op = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b, ast.FloorDiv: lambda: a // b}
            return _number(op[type(node.op)](), node)  # both ≤ 10⁹: the product is small enough to compute
        if isinstance(node, ast.Subscript):
            base = self.value(node.value, scope)
            index = self.value(node.slice, scope)
            if not isinstance(base, tuple) or not isinstance(index, int) or isinstance(index, bool) or not -len(base) <= index < len(base):
                raise _err(node, "code.literal", what="an index", got="something other than a tuple and a whole number in range")
            return base[index]
        if isinstance(node, ast.Call):
            return self.call(node, scope)
        raise _err(node, "code.statement", construct=_construct(node), hint="write the layers out")

    def call(self, node: ast.Call, scope: _Scope):
        self.calls += 1
        if self.calls > MAX_CALLS:
            raise _err(node, "code.many", limit=f"{MAX_CALLS:,}", what="layer and block calls")
        name = _dotted(node.func)
        if name is None:
            raise _err(node, "code.call", call=shown(_callee(node.func)), known=KNOWN)
        full = self.resolve(name)
        if full.startswith("nn.") and full[3:] in LAYERS:
            cls = full[3:]
            if cls == "Sequential":
                if node.keywords:
                    raise _err(node, "code.argument", call="nn.Sequential", reason="takes its layers as positional arguments")
                items = []
                for a in node.args:
                    if isinstance(a, ast.Starred):
                        raise _err(a, "code.statement", construct="a *list of layers", hint="write the layers out")
                    v = self.value(a, scope)
                    if not isinstance(v, (Op, Seq, BlockCall)):
                        raise _err(a, "code.argument", call="nn.Sequential", reason=f"{_describe(v)} is not a layer")
                    items.append(v)
                return Seq(items, node.lineno)
            return Op(cls, self.bind(node, cls, SIGNATURES[cls], scope), node.lineno, f"nn.{cls}(…)")
        if full.startswith("torch.") and full[6:] in INPUT_MAKERS:
            return self.input_shape(node, scope)
        if name in self.classes or name in self.funcs:
            if self.depth >= MAX_DEPTH:
                raise _err(node, "code.many", limit=MAX_DEPTH, what="functions or blocks called inside one another")
            self.depth += 1
            try:
                if name in self.classes:
                    return self.block_call(node, self.classes[name], scope)
                f = self.funcs[name]
                bound = self.bind_params(node, f.name, f.params, f.defaults, scope)
                return self.value(f.body, _Scope(bound, self.scope))
            finally:
                self.depth -= 1
        raise _err(node, "code.call", call=shown(name), known=KNOWN)

    def bind(self, node: ast.Call, cls: str, sig, scope: _Scope) -> dict[str, Any]:
        names, defaults = sig
        text = f"nn.{cls}"
        if len(node.args) > len(names):
            raise _err(node, "code.argument", call=text, reason=f"takes at most {len(names)} positional arguments, got {len(node.args)}")
        out: dict[str, Any] = {}
        for n, a in zip(names, node.args):
            if isinstance(a, ast.Starred):
                raise _err(a, "code.statement", construct="a *argument", hint="write the arguments out")
            out[n] = self.value(a, scope)
        for kw in node.keywords:
            if kw.arg is None:
                raise _err(node, "code.statement", construct="a **argument", hint="write the arguments out")
            if kw.arg not in names:
                raise _err(node, "code.argument", call=text, reason=f"has no argument {shown(kw.arg)}")
            if kw.arg in out:
                raise _err(node, "code.argument", call=text, reason=f"{kw.arg} is given twice")
            out[kw.arg] = self.value(kw.value, scope)
        missing = [n for n in names if n not in out and n not in defaults]
        if missing:
            raise _err(node, "code.argument", call=text, reason=f"needs {missing[0]}")
        return {n: out.get(n, defaults.get(n)) for n in names}

    def bind_params(self, node: ast.Call, what: str, params: list[str], defaults: dict[str, ast.expr], scope: _Scope) -> dict[str, Any]:
        if len(node.args) > len(params):
            raise _err(node, "code.argument", call=shown(what), reason=f"takes {len(params)} arguments, got {len(node.args)}")
        out = {}
        for p, a in zip(params, node.args):
            if isinstance(a, ast.Starred):
                raise _err(a, "code.statement", construct="a *argument", hint="write the arguments out")
            out[p] = self.value(a, scope)
        for kw in node.keywords:
            if kw.arg is None or kw.arg not in params:
                raise _err(node, "code.argument", call=shown(what), reason=f"has no argument {shown(kw.arg)}")
            if kw.arg in out:
                raise _err(node, "code.argument", call=shown(what), reason=f"{kw.arg} is given twice")
            out[kw.arg] = self.value(kw.value, scope)
        for p in params:
            if p not in out:
                if p not in defaults:
                    raise _err(node, "code.argument", call=shown(what), reason=f"needs {p}")
                out[p] = self.value(defaults[p], self.scope)
        return out

    def input_shape(self, node: ast.Call, scope: _Scope) -> InputShape:
        kws = {k.arg: k.value for k in node.keywords}
        if "size" in kws:
            dims = self.value(kws["size"], scope)
        elif len(node.args) == 1:
            dims = self.value(node.args[0], scope)
        else:
            dims = tuple(self.value(a, scope) for a in node.args)
        if not isinstance(dims, tuple) or len(dims) != 4 or not all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
            raise _err(node, "code.argument", call="the input tensor", reason="needs four whole numbers (batch, channels, height, width)")
        shape = InputShape(tuple(dims[1:]), node.lineno)
        self.input = shape
        return shape

    # block classes
    def block_call(self, node: ast.Call, cls: _Class, scope: _Scope) -> BlockCall:
        bound = self.bind_params(node, cls.name, cls.params, cls.defaults, scope)
        local = _Scope(bound, self.scope)
        attrs: dict[str, Op] = {}
        for stmt in cls.init:
            if _is_docstring(stmt) or isinstance(stmt, ast.Pass):
                continue
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and _is_super_init(stmt.value):
                continue
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Attribute) \
                    and isinstance(stmt.targets[0].value, ast.Name) and stmt.targets[0].value.id == "self":
                v = self.value(stmt.value, local)
                if not isinstance(v, Op):
                    raise _err(stmt, "code.statement", construct=f"self.{stmt.targets[0].attr} = {_describe(v)}",
                               hint="a block's __init__ assigns one nn layer to each attribute")
                attrs[stmt.targets[0].attr] = v
                continue
            raise _err(stmt, "code.statement", construct=f"{_construct(stmt)} in {shown(cls.name)}.__init__",
                       hint="a block's __init__ only assigns layers to self.<name>")
        paths = _forward_paths(cls, attrs, self)
        return BlockCall(cls.name, paths, node.lineno, f"{cls.name}(…)")


def _is_docstring(stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def _is_super_init(call: ast.Call) -> bool:
    f = call.func
    return isinstance(f, ast.Attribute) and f.attr == "__init__" and isinstance(f.value, ast.Call) \
        and isinstance(f.value.func, ast.Name) and f.value.func.id == "super"


def _params(fn: ast.FunctionDef, skip: int) -> tuple[list[str], dict[str, ast.expr]]:
    a = fn.args
    if a.posonlyargs or a.kwonlyargs or a.vararg:
        raise _err(fn, "code.statement", construct=f"the parameters of {shown(fn.name)}", hint="use plain parameters (and **kwargs)")
    names = [x.arg for x in a.args][skip:]
    defaults = dict(zip(names[len(names) - len(a.defaults):], a.defaults)) if a.defaults else {}
    return names, defaults


def _describe(v) -> str:
    if isinstance(v, tuple):
        return "a tuple"
    if isinstance(v, InputShape):
        return "a tensor"
    return "a number" if isinstance(v, (int, float)) else repr(v) if isinstance(v, str) else type(v).__name__


def _forward_paths(cls: _Class, attrs: dict[str, Op], reader: _Reader) -> list[list[Op]]:
    """The lecture's forward: each path a chain of the block's layers (and F.relu) applied to
    the input, the result ``torch.cat`` of the paths along channels."""
    fwd = cls.forward
    params = [x.arg for x in fwd.args.args]
    if len(params) != 2 or fwd.args.vararg or fwd.args.kwonlyargs:
        raise _err(fwd, "code.forward", cls=shown(cls.name), reason="forward takes one input (self, x)")
    x = params[1]
    env: dict[str, list] = {x: []}
    used: set[str] = set()

    def path(node: ast.expr) -> list:
        if isinstance(node, ast.Name):
            if node.id not in env:
                raise _err(node, "code.name", name=shown(node.id))
            return list(env[node.id])
        if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
            f = node.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "self":
                if f.attr not in attrs:
                    raise _err(node, "code.forward", cls=shown(cls.name), reason=f"self.{shown(f.attr)} is not a layer of __init__")
                if f.attr in used:
                    raise _err(node, "code.forward", cls=shown(cls.name), reason=f"self.{shown(f.attr)} is used twice (shared weights are not supported)")
                used.add(f.attr)
                return path(node.args[0]) + [attrs[f.attr]]
            d = _dotted(f)
            full = reader.resolve(d) if d else ""
            for prefix in ("F.", "torch."):
                if full.startswith(prefix) and full[len(prefix):] in ACTIVATION_FUNCS:
                    return path(node.args[0]) + [("act", ACTIVATION_FUNCS[full[len(prefix):]], node.lineno)]
        raise _err(node, "code.forward", cls=shown(cls.name), reason=f"{_construct(node) if not isinstance(node, ast.Call) else 'calling ' + reader.call_name(node)} is not a layer of the block or F.relu")

    body = [s for s in fwd.body if not _is_docstring(s)]
    for stmt in body[:-1]:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            env[stmt.targets[0].id] = path(stmt.value)
            continue
        raise _err(stmt, "code.forward", cls=shown(cls.name), reason=f"{_construct(stmt)} is not supported; assign each path to a name")
    ret = body[-1] if body else None
    if not isinstance(ret, ast.Return) or not isinstance(ret.value, ast.Call):
        raise _err(ret or fwd, "code.forward", cls=shown(cls.name), reason="forward must end in return torch.cat((p1, p2, …), dim=1)")
    call = ret.value
    if reader.resolve(_dotted(call.func) or "") not in ("torch.cat", "torch.concat"):
        if isinstance(call.func, (ast.Name, ast.Attribute)):
            only = path(call)  # a single path, no concat: a block of one branch
            return [only]
        raise _err(ret, "code.forward", cls=shown(cls.name), reason="forward must end in return torch.cat((p1, p2, …), dim=1)")
    dim = [k.value for k in call.keywords if k.arg == "dim"] or call.args[1:2]
    if not call.args or not isinstance(call.args[0], (ast.Tuple, ast.List)) or len(dim) != 1 \
            or not isinstance(dim[0], ast.Constant) or dim[0].value != 1:
        raise _err(ret, "code.forward", cls=shown(cls.name), reason="the paths must be concatenated along channels: torch.cat((p1, p2, …), dim=1)")
    paths = [path(e) for e in call.args[0].elts]
    if not paths:
        raise _err(ret, "code.forward", cls=shown(cls.name), reason="no paths are concatenated")
    unused = [a for a in attrs if a not in used]
    if unused:
        raise _err(cls.line, "code.forward", cls=shown(cls.name), reason=f"self.{shown(unused[0])} is made in __init__ but never used in forward")
    return paths


# --- ops to layers ----------------------------------------------------------------------------------------


def _pair(v, op: Op, arg: str) -> tuple[int, int]:
    if isinstance(v, int) and not isinstance(v, bool):
        return (v, v)
    if isinstance(v, tuple) and len(v) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in v):
        return (v[0], v[1])
    raise _err(op.line, "code.argument", call=f"nn.{op.cls}", reason=f"{arg} must be a whole number or a pair, got {shown(v)}")


@dataclass
class _Declared:
    """What a call says its input is (checked against the channels that really arrive)."""

    line: int
    call: str
    value: int
    unit: str  # "channels" | "features"


@dataclass
class _Made:
    layers: list
    declared: dict[int, _Declared] = field(default_factory=dict)  # position in layers → declaration


def _fold(ops: list, names) -> _Made:
    """A run of ops as our layers: a conv takes the BatchNorm2d and the activation after it,
    a linear layer or a lone BatchNorm2d the activation after it."""
    made = _Made([])
    i = 0
    while i < len(ops):
        op = ops[i]
        if isinstance(op, tuple):  # ("act", name, line) from F.relu in a forward
            raise _err(op[2], "code.activation", act=op[1], after="the block's input" if i == 0 else "that layer")
        if op.cls in ("ReLU", "Sigmoid"):
            raise _err(op.line, "code.activation", act=f"nn.{op.cls}", after="its layer" if i else "nothing (it comes first)")
        nxt = ops[i + 1] if i + 1 < len(ops) else None
        layer, declared, used = _layer(op, nxt, ops[i + 2] if i + 2 < len(ops) else None, names)
        if declared is not None:
            made.declared[len(made.layers)] = declared
        made.layers.append(layer)
        i += used
    return made


def _act_of(op) -> str | None:
    if isinstance(op, tuple):
        return op[1]
    if isinstance(op, Op) and op.cls in ("ReLU", "Sigmoid"):
        return op.cls.lower()
    return None


class _Names:
    """Layer names as the d2l preset has them: conv1, conv2, …; maxpool1, …; avgpool, flatten, fc."""

    def __init__(self, totals: dict[str, int]):
        self.totals, self.seen = totals, {}

    def __call__(self, kind: str) -> str:
        self.seen[kind] = self.seen.get(kind, 0) + 1
        base = {"conv": "conv", "maxpool": "maxpool", "avgpool": "avgpool", "adaptive": "avgpool", "flatten": "flatten",
                "linear": "fc", "bn": "bn", "dropout": "dropout", "lrn": "lrn"}[kind]
        if self.totals.get(kind, 0) == 1 and kind in ("adaptive", "flatten", "linear", "dropout", "lrn", "bn"):
            return base
        return f"{base}{self.seen[kind]}"


def _kind(op: Op) -> str:
    return {"Conv2d": "conv", "LazyConv2d": "conv", "MaxPool2d": "maxpool", "AvgPool2d": "avgpool", "AdaptiveAvgPool2d": "adaptive",
            "Flatten": "flatten", "Linear": "linear", "LazyLinear": "linear", "BatchNorm2d": "bn", "LazyBatchNorm2d": "bn",
            "Dropout": "dropout", "LocalResponseNorm": "lrn"}[op.cls]


def _layer(op: Op, nxt, nxt2, names) -> tuple[object, _Declared | None, int]:
    """One of our layers from ``op`` and the BatchNorm2d and activation after it; how many ops it took."""
    a, cls = op.args, op.cls
    name = names(_kind(op))

    def check(cond: bool, reason: str):
        if not cond:
            raise _err(op.line, "code.argument", call=f"nn.{cls}", reason=reason)

    def whole(key: str, lo: int = 0) -> int:
        v = a[key]
        check(isinstance(v, int) and not isinstance(v, bool) and v >= lo, f"{key} must be a whole number ≥ {lo}, got {shown(v)}")
        return v

    if cls in ("Conv2d", "LazyConv2d"):
        check(a["padding_mode"] == "zeros", "only padding_mode='zeros' is supported")
        kernel = _pair(a["kernel_size"], op, "kernel_size")
        pad = a["padding"]
        if pad == "valid":
            pad = (0, 0)
        elif pad == "same":
            check(a["stride"] in (1, (1, 1)) and all(k % 2 for k in kernel), "padding='same' needs stride 1 and odd kernels here")
            pad = (kernel[0] // 2, kernel[1] // 2)
        bn, act, used = False, "none", 1
        eps = 1e-5
        if isinstance(nxt, Op) and nxt.cls in ("BatchNorm2d", "LazyBatchNorm2d"):
            check(nxt.args["affine"] and nxt.args["track_running_stats"], "a BatchNorm2d without affine or running statistics is not supported")
            bn, eps, used = True, float(nxt.args["eps"]), 2
            nxt = nxt2
        act_ = _act_of(nxt)
        if act_ is not None:
            act, used = act_, used + 1
        out = whole("out_channels", 1)
        layer = Conv(name, out, kernel, _pair(a["stride"], op, "stride"), _pair(pad, op, "padding"), _pair(a["dilation"], op, "dilation"),
                     whole("groups", 1), bias=bool(a["bias"]), bn=bn, bn_eps=eps, act=act)
        declared = _Declared(op.line, f"nn.{cls}({a['in_channels']}, {out}, …)", a["in_channels"], "channels") if cls == "Conv2d" else None
        if declared is not None:
            check(isinstance(a["in_channels"], int) and not isinstance(a["in_channels"], bool), "in_channels must be a whole number")
        return layer, declared, used
    if cls in ("MaxPool2d", "AvgPool2d"):
        if cls == "MaxPool2d":
            check(a["dilation"] in (1, (1, 1)) and not a["return_indices"], "dilation and return_indices are not supported")
        else:
            check(a["divisor_override"] is None, "divisor_override is not supported")
        kernel = _pair(a["kernel_size"], op, "kernel_size")
        stride = kernel if a["stride"] is None else _pair(a["stride"], op, "stride")
        layer = Pool(name, "max" if cls == "MaxPool2d" else "avg", kernel, stride, _pair(a["padding"], op, "padding"),
                     ceil_mode=bool(a["ceil_mode"]), count_include_pad=bool(a.get("count_include_pad", True)))
        return layer, None, 1
    if cls == "AdaptiveAvgPool2d":
        return AdaptiveAvgPool(name, _pair(a["output_size"], op, "output_size")), None, 1
    if cls == "Flatten":
        check(a["start_dim"] == 1 and a["end_dim"] == -1, "only Flatten() of everything but the batch is supported")
        return Flatten(name), None, 1
    if cls in ("Linear", "LazyLinear"):
        act_ = _act_of(nxt)
        out = whole("out_features", 1)
        layer = Linear(name, out, bias=bool(a["bias"]), act=act_ or "none")
        declared = _Declared(op.line, f"nn.Linear({a['in_features']}, {out})", a["in_features"], "features") if cls == "Linear" else None
        return layer, declared, 2 if act_ else 1
    if cls in ("BatchNorm2d", "LazyBatchNorm2d"):
        check(a["affine"] and a["track_running_stats"], "a BatchNorm2d without affine or running statistics is not supported")
        act_ = _act_of(nxt)
        layer = BatchNorm(name, float(a["eps"]), act=act_ or "none")
        declared = _Declared(op.line, f"nn.BatchNorm2d({a['num_features']})", a["num_features"], "channels") if cls == "BatchNorm2d" else None
        return layer, declared, 2 if act_ else 1
    if cls == "Dropout":
        return Dropout(name, float(a["p"])), None, 1
    if cls == "LocalResponseNorm":
        return LRN(name, whole("size", 1), float(a["alpha"]), float(a["beta"]), float(a["k"])), None, 1
    raise _err(op.line, "code.call", call=f"nn.{cls}", known=KNOWN)  # pragma: no cover - every class is handled above


# --- the network --------------------------------------------------------------------------------------------


def _ops_count(items) -> dict[str, int]:
    totals: dict[str, int] = {}

    def walk(x):
        if isinstance(x, Seq):
            for y in x.items:
                walk(y)
        elif isinstance(x, Op) and x.cls not in ("ReLU", "Sigmoid"):
            totals[_kind(x)] = totals.get(_kind(x), 0) + 1

    for it in items:
        walk(it)
    return totals


def _flat_ops(seq: Seq, budget: list[int] | None = None) -> list:
    """A stage's contents, nested Sequentials written out in place (a Sequential used many
    times over is counted each time, so the size stays bounded)."""
    budget = [MAX_LAYERS] if budget is None else budget
    out = []
    for it in seq.items:
        if isinstance(it, Seq):
            out.extend(_flat_ops(it, budget))
            continue
        budget[0] -= 1
        if budget[0] < 0:
            raise _err(seq.line, "code.many", limit=f"{MAX_LAYERS:,}", what="layers once every nn.Sequential is written out")
        out.append(it)
    return out


class _Builder:
    """Seqs and block calls → stages, blocks and the head, with their declarations."""

    def __init__(self, names: _Names):
        self.names = names
        self.declared: dict[str, _Declared] = {}  # layer key → declaration
        self.blocks_in_stage: dict[str, int] = {}

    def run(self, items: list, stage_no: int) -> list:
        """The items of one stage: layers, and blocks for the block calls."""
        out = []
        pending: list = []

        def flush():
            if pending:
                made = _fold(pending, self.names)
                for pos, d in made.declared.items():
                    self.declared[made.layers[pos].name] = d
                out.extend(made.layers)
                pending.clear()

        for it in items:
            if isinstance(it, BlockCall):
                flush()
                out.append(self.block(it, stage_no))
            else:
                pending.append(it)
        flush()
        return out

    def block(self, call: BlockCall, stage_no: int) -> Block:
        n = self.blocks_in_stage.get(stage_no, 0)
        self.blocks_in_stage[stage_no] = n + 1
        letters = ""
        k = n
        while True:
            letters = chr(ord("a") + k % 26) + letters
            k = k // 26 - 1
            if k < 0:
                break
        name = f"inception{stage_no}{letters}"
        branches = []
        for j, ops in enumerate(call.paths, start=1):
            made = _fold(ops, _Local())
            layers = _names_in_branch(made.layers)
            for pos, d in made.declared.items():  # a wrong count is fixed where the block is called
                self.declared[f"{name}.branch{j}.{layers[pos].name}"] = replace(d, line=call.line, call=f"{call.text}: {d.call}")
            branches.append(Branch(f"branch{j}", tuple(layers)))
        return Block(name, tuple(branches))


class _Local:
    """Names inside a branch are given afterwards (``_names_in_branch``)."""

    def __call__(self, kind: str) -> str:
        return kind


def _names_in_branch(layers: list) -> list:
    """conv, or conv1, conv2, …; pool (as the templates name them)."""
    convs = [x for x in layers if isinstance(x, Conv)]
    out, ci = [], 0
    kinds: dict[str, int] = {}
    for x in layers:
        if isinstance(x, Conv):
            ci += 1
            out.append(replace(x, name="conv" if len(convs) == 1 else f"conv{ci}"))
        else:
            base = "pool" if isinstance(x, Pool) else x.name
            kinds[base] = kinds.get(base, 0) + 1
            out.append(replace(x, name=base if kinds[base] == 1 else f"{base}{kinds[base]}"))
    return out


def _stage_number(name: str | None, index: int) -> int:
    digits = "".join(ch for ch in (name or "") if ch.isdigit())
    return int(digits) if digits and len(digits) <= 3 else index


def _template_style(blocks: list[Block], base: Style, kinds: list | None = None) -> Style:
    """The style under which the most blocks are what a template makes (the lecture's
    Inception with conv biases and a 5×5, torchvision's with BatchNorm and a 3×3, …): the
    default style, or that of the blocks' first conv, with either quirk; ties go to the first."""
    best, best_n = Style(), 0
    for start in (Style(), base):
        for k3 in (5, 3):
            for ceil in (False, True):
                s = replace(start, branch3_kernel=k3, pool_ceil=ceil)
                n = sum(1 for i, b in enumerate(blocks) if (kinds is None or kinds[i]) and _as_template(b, s, kinds[i] if kinds else None) is not None)
                if n > best_n:
                    best, best_n = s, n
    return best


def _as_template(block: Block, style: Style, kind: str | None = None) -> Block | None:
    """``block`` as a template's block (its kind and widths), when one makes exactly it:
    the template ``kind`` names, else one that makes it with the same names, else one that
    makes it under other names (the lecture's ``p1_1`` … are ``branch1.conv`` …)."""
    if kind is not None:
        if kind not in TEMPLATES:
            return None
        made = _made_by(TEMPLATES[kind], block, style)
        return made if made is not None and made == replace(block, kind=made.kind, widths=made.widths) else None
    found = [m for t in TEMPLATES.values() if (m := _made_by(t, block, style)) is not None]
    for m in found:
        if m == replace(block, kind=m.kind, widths=m.widths):
            return m
    return found[0] if found else None


def _made_by(t, block: Block, style: Style) -> Block | None:
    """What template ``t`` makes of ``block``'s conv widths, if that is ``block`` but for names.
    Which conv carries which width number is learnt by making the template once with a
    distinct number in every place (ResNet's block uses its one width twice)."""
    sentinels, k = [], 1001
    for key, n in t.fields:
        sentinels.append((key, tuple(range(k, k + n))))
        k += n
    try:
        probe = t.make(block.name, tuple(sentinels), style, block.scale, block.act if t.residual else None)
    except (KeyError, TypeError, ValueError, IndexError, SpecError):
        return None
    places = [x.out for br in probe.branches for x in _all_layers(br) if isinstance(x, Conv)]
    outs = [x.out for br in block.branches for x in _all_layers(br) if isinstance(x, Conv)]
    if len(places) != len(outs) or t.residual != (block.merge == "add"):
        return None
    value: dict[int, int] = {}
    for place, out in zip(places, outs):
        if isinstance(place, int) and 1001 <= place < k:
            if value.setdefault(place, out) != out:
                return None
    if len(value) != k - 1001:
        return None
    widths = tuple((key, tuple(value[v] for v in vs)) for key, vs in sentinels)
    try:
        made = t.make(block.name, widths, style, block.scale, block.act if t.residual else None)
    except (KeyError, TypeError, ValueError, IndexError, SpecError):
        return None
    return made if _same_structure(made, block) else None


def _all_layers(br: Branch):
    yield from br.layers
    for s in br.split:
        yield from _all_layers(s)


def _same_structure(a: Block, b: Block) -> bool:
    """Equal but for the names of branches and layers."""
    def strip(br: Branch):
        return (tuple(replace(x, name="") for x in br.layers), tuple(strip(s) for s in br.split))

    if (a.merge, a.scale, a.act, len(a.branches)) != (b.merge, b.scale, b.act, len(b.branches)):
        return False
    if (a.project is None) != (b.project is None) or (a.project is not None and replace(a.project, name="") != replace(b.project, name="")):
        return False
    return all(strip(x) == strip(y) for x, y in zip(a.branches, b.branches))


def _lecture_network(r: _Reader) -> tuple[Network, dict[str, _Declared]]:
    if r.last_seq is None:
        raise SpecError("code", "code.no_network")
    net_name, top = r.last_seq
    budget = [MAX_LAYERS]
    seen: set[int] = set()
    for it in _flat_ops(Seq(list(top.items), top.line), [MAX_LAYERS]):
        if isinstance(it, Op) and it.cls not in ("ReLU", "Sigmoid", "Flatten", "Dropout", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"):
            if id(it) in seen:
                raise _err(it.line, "code.argument", call=it.text, reason="is used twice in the network (its weights would be shared); make a new layer for each place")
            seen.add(id(it))
    names = _Names(_ops_count(top.items))
    b = _Builder(names)
    stages: list[Stage] = []
    items = list(top.items)
    last_seq = max((i for i, it in enumerate(items) if isinstance(it, Seq)), default=None)
    if last_seq is None:  # one flat Sequential: stages end at each pool, the head begins at the first flatten/linear
        first_head = next((i for i, it in enumerate(items) if isinstance(it, Op) and it.cls in ("Flatten", "Linear", "LazyLinear")), len(items))
        body, head_ops = items[:first_head], items[first_head:]
        run: list = []
        groups: list[list] = []
        for it in body:
            run.append(it)
            if isinstance(it, Op) and it.cls in ("MaxPool2d", "AvgPool2d"):
                groups.append(run)
                run = []
        if run:
            if groups and all(isinstance(x, Op) and x.cls in ("ReLU", "Sigmoid", "Dropout") for x in run):
                groups[-1].extend(run)
            else:
                groups.append(run)
        for i, g in enumerate(groups, start=1):
            stages.append(Stage(f"b{i}", tuple(b.run(g, i))))
    else:
        head_ops = items[last_seq + 1:]
        cur: tuple[str, list] | None = None
        index = 0
        for it in items[: last_seq + 1]:
            if isinstance(it, Seq):
                if cur is not None:
                    stages.append(Stage(cur[0], tuple(b.run(cur[1], cur[2]))))
                index += 1
                name = it.name if it.name and it.name not in {s.name for s in stages} else f"b{index}"
                cur = (name, _flat_ops(it, budget), _stage_number(it.name, index))
            elif cur is None:
                index += 1
                cur = (f"b{index}", [it], index)
            else:
                cur[1].append(it)
        if cur is not None:
            stages.append(Stage(cur[0], tuple(b.run(cur[1], cur[2]))))
    head_made = _fold(head_ops, names)
    for pos, d in head_made.declared.items():
        b.declared[head_made.layers[pos].name] = d
    head = head_made.layers
    if not stages:
        raise SpecError("code", "code.no_network")
    # the number of classes: the last linear layer's width (or the last conv's, as NiN has it)
    last = head[-1] if head else None
    classes = 10
    if isinstance(last, Linear):
        classes = last.out
        head[-1] = replace(last, out=None)
    else:
        last_conv = next((x for st in reversed(stages) for x in reversed(st.items) if isinstance(x, Conv)), None)
        if last_conv is not None:
            classes = last_conv.out
    # input: the code's X = torch.rand(...), else the first conv's channels at the lecture's size
    if r.input is not None:
        input_ = r.input.shape
        if len(input_) != 3:
            raise _err(r.input.line, "code.argument", call="the input tensor", reason="needs (batch, channels, height, width)")
    else:
        first = next(iter(b.declared.values()), None)
        channels = first.value if first is not None and first.unit == "channels" else 3
        input_ = (channels, DEFAULT_SIZE, DEFAULT_SIZE)
        r.notes.append(coded(TEXTS, "note.input", channels=channels, size=DEFAULT_SIZE))
    blocks = [it for st in stages for it in st.items if isinstance(it, Block)]
    style = Style()
    first_conv = next((x for blk in blocks for br in blk.branches for x in br.layers if isinstance(x, Conv)), None)
    if first_conv is not None:
        style = Style(conv_bias=first_conv.bias, batch_norm=first_conv.bn, bn_eps=first_conv.bn_eps)
    style = _template_style(blocks, style)
    out_stages = []
    for st in stages:
        new = []
        for it in st.items:
            if isinstance(it, Block):
                t = _as_template(it, style)
                if t is not None:
                    _rename_declared(b.declared, it, t)
                    it = t
            new.append(it)
        kinds = {it.kind for it in new if isinstance(it, Block) and it.kind}
        out_stages.append(Stage(st.name, tuple(new), repeat=kinds.pop() if len(kinds) == 1 else None))
    name = net_name if net_name.isidentifier() and net_name != "net" else "imported"
    net = Network(name=name, input=tuple(input_), classes=classes, stages=tuple(out_stages), head=tuple(head), style=style,
                  description=TEXTS["description.lecture"])
    return net, b.declared


def _rename_declared(declared: dict[str, _Declared], parsed: Block, made: Block) -> None:
    """Declarations follow a block's layers to the names its template gives them."""
    for bp, bm in zip(parsed.branches, made.branches):
        for lp, lm in zip(bp.layers, bm.layers):
            key = f"{parsed.name}.{bp.name}.{lp.name}"
            if key in declared:
                declared[f"{made.name}.{bm.name}.{lm.name}"] = declared.pop(key)


def _check_declared(net: Network, declared: dict[str, _Declared]) -> None:
    a = analyze(net)
    for key, d in declared.items():
        try:
            node = a.layer(key)
        except KeyError:
            continue
        actual = node.in_shape[0]
        if actual != d.value:
            raise _err(d.line, "code.channels", call=d.call, declared=f"{d.value:,}", unit=d.unit, actual=f"{actual:,}")


# --- generated code ---------------------------------------------------------------------------------------------


def _is_generated(tree: ast.Module) -> ast.FunctionDef | None:
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef) and stmt.name == "build_model":
            first = stmt.body[1] if len(stmt.body) > 1 and _is_docstring(stmt.body[0]) else (stmt.body[0] if stmt.body else None)
            if isinstance(first, ast.Assign) and isinstance(first.value, ast.Call) and _dotted(first.value.func) == "Builder":
                return stmt
    return None


class _Generated:
    """Reads ``build_model()``'s Builder calls back into the spec they were written from."""

    METHODS = ("conv", "project", "pool", "adaptive_avg_pool", "lrn", "dropout", "flatten", "linear", "batchnorm")
    SIGS = {
        "conv": ("path", "in_ch", "out_ch", "kernel", "stride", "padding", "dilation", "groups", "bias", "bn", "bn_eps", "act", "order", "flat", "bn_path", "name"),
        "project": ("path", "in_ch", "out_ch", "bias", "bn", "bn_eps", "act", "flat", "bn_path"),
        "pool": ("path", "op", "kernel", "stride", "padding", "ceil_mode", "count_include_pad", "name"),
        "adaptive_avg_pool": ("path", "output", "name"),
        "lrn": ("path", "size", "alpha", "beta", "k", "name"),
        "dropout": ("path", "p", "name"),
        "flatten": ("path", "name"),
        "linear": ("path", "in_features", "out_features", "bias", "act", "name"),
        "batchnorm": ("path", "channels", "eps", "act", "name"),
    }

    def __init__(self, tree: ast.Module, fn: ast.FunctionDef):
        self.tree, self.fn = tree, fn
        self.reader = _Reader()
        self.consts: dict[str, Any] = {}
        self.notes: list[str] = []
        self.declared: list[_Declared] = []  # conv, project and linear calls in order
        self.kinds: dict[str, str | None] = {}  # block name → the template its b.block(kind=…) names

    def top(self) -> None:
        """The file's other statements: the runtime (defs and classes, not read), its imports,
        the constants, and the ``__main__`` check."""
        for i, stmt in enumerate(self.tree.body):
            if (i == 0 and _is_docstring(stmt)) or stmt is self.fn or isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
                continue
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in stmt.names] if isinstance(stmt, ast.Import) else [stmt.module or ""]
                bad = [m for m in mods if m not in RUNTIME_IMPORTS]
                if bad or (isinstance(stmt, ast.ImportFrom) and stmt.level):
                    raise _err(stmt, "code.import", module=shown(bad[0] if bad else "a relative module"))
                continue
            if isinstance(stmt, ast.If) and isinstance(stmt.test, ast.Compare) and _dotted(stmt.test.left) == "__name__":
                continue  # the file's own `if __name__ == "__main__":` check
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                t = stmt.targets[0].id
                if t.startswith("_"):
                    continue  # the runtime's tables
                if t in ("NAME", "DESCRIPTION", "NAMING", "INPUT_SHAPE", "NUM_CLASSES"):
                    self.consts[t] = self.reader.value(stmt.value, _Scope({}))
                    continue
                if t.isupper() and isinstance(stmt.value, (ast.Constant, ast.Tuple)):
                    continue  # PARAMS, MACS, OUTPUT_SHAPE: what the file says it makes, not read
                if isinstance(stmt.value, ast.Call) and _dotted(stmt.value.func) == "namedtuple":
                    continue  # the runtime's output tuples
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue
            if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Attribute) and _dotted(stmt.targets[0].value) in ("NetOutputs", "GoogLeNetOutputs", "InceptionOutputs"):
                continue
            raise _err(stmt, "code.statement", construct=_construct(stmt), hint="a file from Inception Studio has its runtime, constants and build_model() only")

    def run(self) -> Network:
        self.top()
        defined = {s.name for s in self.tree.body if isinstance(s, (ast.ClassDef, ast.FunctionDef))}
        expected = {"Group", "_Conv", "_Layer", "_run", "_Block", "Net", "Builder", "_pair", "_act", "_act_"}
        if not expected <= defined:
            self.notes.append(coded(TEXTS, "note.runtime"))
        body = [s for s in self.fn.body if not _is_docstring(s)]
        stmts = body[1:]
        if stmts and isinstance(stmts[-1], ast.Return):
            stmts = stmts[:-1]
        self.stages: list[tuple[str, str | None, list]] = []
        self.head: list | None = None
        self.aux: list[AuxHead] = []
        self.naming = self.consts.get("NAMING", "studio")
        if self.naming not in RULES:
            raise SpecError("NAMING", "choice", choices=", ".join(RULES), value=shown(self.naming))
        for stmt in stmts:
            self.stmt(stmt, where=None)
        input_ = self.consts.get("INPUT_SHAPE")
        classes = self.consts.get("NUM_CLASSES")
        if not (isinstance(input_, tuple) and len(input_) == 3) or not isinstance(classes, int):
            raise SpecError("code", "code.builder", call="INPUT_SHAPE / NUM_CLASSES", reason="a generated file defines both above build_model()")
        stages = [Stage(n, tuple(items), repeat) for n, repeat, items in self.stages]
        head = self.head or []
        if stages and not any(isinstance(x, Linear) for x in head):  # NiN: the last convs make the classes
            last = stages[-1]
            stages[-1] = replace(last, items=tuple(replace(x, out=None) if isinstance(x, Conv) and x.out == classes else x for x in last.items))
        head, aux = self._classes(head, classes), [self._aux_classes(h, classes) for h in self.aux]
        blocks = [it for st in stages for it in st.items if isinstance(it, Block)]
        first = next((x for blk in blocks for br in blk.branches for x in _all_layers(br) if isinstance(x, Conv)), None)
        style = Style(conv_bias=first.bias, batch_norm=first.bn, bn_eps=first.bn_eps) if first is not None else Style()
        kinds = [self.kinds.get(b.name) for b in blocks]
        if any(kinds):  # the file names the templates: the style is the one under which they make these blocks
            style = _template_style(blocks, style, kinds)
        else:
            style = _template_style(blocks, style)

        def typed(it):
            if not isinstance(it, Block) or self.kinds.get(it.name) is None:
                return it
            return _as_template(it, style, self.kinds[it.name]) or it

        stages = [replace(st, items=tuple(typed(it) for it in st.items)) for st in stages]
        name = self.consts.get("NAME", "imported")
        net = Network(
            name=name if isinstance(name, str) and name else "imported", input=input_, classes=classes, stages=tuple(stages),
            head=tuple(head), style=style, aux=tuple(aux), aux_enabled=bool(aux), naming=self.naming,
            description=self.consts.get("DESCRIPTION", "") if isinstance(self.consts.get("DESCRIPTION", ""), str) else "",
        )
        return net

    @staticmethod
    def _classes(head: list, classes: int) -> list:
        if head and isinstance(head[-1], Linear) and head[-1].out == classes:
            head = [*head[:-1], replace(head[-1], out=None)]
        return head

    def _aux_classes(self, h: AuxHead, classes: int) -> AuxHead:
        return replace(h, layers=tuple(self._classes(list(h.layers), classes)))

    # statements inside build_model
    def stmt(self, stmt: ast.stmt, where) -> None:
        if isinstance(stmt, ast.Pass):
            return
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            self.call(stmt.value, where)
            return
        if isinstance(stmt, ast.With) and len(stmt.items) == 1 and isinstance(stmt.items[0].context_expr, ast.Call):
            self.with_(stmt, stmt.items[0].context_expr, where)
            return
        raise _err(stmt, "code.statement", construct=_construct(stmt), hint="build_model() holds Builder calls only")

    def bound(self, call: ast.Call, names: tuple[str, ...], what: str) -> dict[str, Any]:
        if len(call.args) > len(names):
            raise _err(call, "code.builder", call=f"b.{what}", reason=f"takes at most {len(names)} positional arguments")
        out = {}
        for n, a in zip(names, call.args):
            out[n] = self.arg(a)
        for kw in call.keywords:
            if kw.arg not in names:
                raise _err(call, "code.builder", call=f"b.{what}", reason=f"has no argument {shown(kw.arg)}")
            out[kw.arg] = self.arg(kw.value)
        return out

    def arg(self, node: ast.expr):
        if isinstance(node, ast.Name) and node.id in self.consts:
            return self.consts[node.id]
        return self.reader.value(node, _Scope({}))

    def method(self, call: ast.Call) -> str:
        f = call.func
        if not (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "b"):
            raise _err(call, "code.call", call=self.reader.call_name(call), known="the Builder's methods (b.conv, b.pool, with b.block, …)")
        return f.attr

    def call(self, call: ast.Call, where) -> None:
        m = self.method(call)
        if m == "stage":
            a = self.bound(call, ("name", "repeat"), m)
            self.stages.append((a["name"], a.get("repeat"), []))
            return
        if m == "head":
            self.head = []
            return
        if m not in self.METHODS:
            raise _err(call, "code.call", call=f"b.{m}", known="the Builder's methods (b.conv, b.pool, with b.block, …)")
        a = self.bound(call, self.SIGS[m], m)
        if "path" not in a or not isinstance(a["path"], str):
            raise _err(call, "code.builder", call=f"b.{m}", reason="needs the module path first")
        layer = self.layer(m, a, call)
        if m == "project":
            if not isinstance(where, _OpenBlock):
                raise _err(call, "code.builder", call="b.project", reason="belongs inside a block")
            where.project = layer
            return
        if isinstance(where, (_OpenBranch, _OpenAux)):
            where.layers.append(layer)
        elif self.head is not None:
            self.head.append(layer)
        else:
            if not self.stages:
                self.stages.append(("stage1", None, []))
            self.stages[-1][2].append(layer)

    def layer(self, m: str, a: dict, call: ast.Call):
        name = a.get("name") or a["path"].rsplit(".", 1)[-1]
        if m == "project":
            name = "project"
        try:
            if m in ("conv", "project"):
                kernel = a.get("kernel", 1)
                layer = Conv(name, a["out_ch"], _p(kernel), _p(a.get("stride", 1)), _p(a.get("padding", 0)), _p(a.get("dilation", 1)),
                             a.get("groups", 1), bias=a.get("bias", True), bn=a.get("bn", False), bn_eps=a.get("bn_eps", 1e-5),
                             act=a.get("act", "relu" if m == "conv" else "none"), order=a.get("order", "post"))
                self.declared.append(_Declared(call.lineno, f"b.{m}({a['path']!r}, {a['in_ch']}, …)", a["in_ch"], "channels"))
                return layer
            if m == "pool":
                return Pool(name, a["op"], _p(a["kernel"]), _p(a["stride"]), _p(a.get("padding", 0)), ceil_mode=a.get("ceil_mode", False),
                            count_include_pad=a.get("count_include_pad", True))
            if m == "adaptive_avg_pool":
                return AdaptiveAvgPool(name, _p(a["output"]))
            if m == "lrn":
                return LRN(name, a["size"], a.get("alpha", 1e-4), a.get("beta", 0.75), a.get("k", 1.0))
            if m == "dropout":
                return Dropout(name, a["p"])
            if m == "flatten":
                return Flatten(name)
            if m == "linear":
                layer = Linear(name, a["out_features"], bias=a.get("bias", True), act=a.get("act", "none"))
                self.declared.append(_Declared(call.lineno, f"b.linear({a['path']!r}, {a['in_features']}, …)", a["in_features"], "features"))
                return layer
            if m == "batchnorm":
                return BatchNorm(name, a.get("eps", 1e-5), act=a.get("act", "none"))
        except KeyError as err:
            raise _err(call, "code.builder", call=f"b.{m}", reason=f"needs {err.args[0]}") from None
        raise _err(call, "code.call", call=f"b.{m}", known="the Builder's methods")  # pragma: no cover

    def with_(self, stmt: ast.With, call: ast.Call, where) -> None:
        m = self.method(call)
        if m == "block":
            a = self.bound(call, ("name", "merge", "scale", "act", "kind"), m)
            blk = _OpenBlock(a["name"], a.get("merge", "concat"), a.get("scale", 1.0), a.get("act", "none"), a.get("kind"))
            for s in stmt.body:
                self.stmt(s, blk)
            if isinstance(where, _OpenBranch):  # a split at the end of a branch
                where.split = [Branch(br.name, tuple(br.layers), tuple(br.split)) for br in blk.branches]
                return
            block = Block(blk.name, tuple(Branch(br.name, tuple(br.layers), tuple(br.split)) for br in blk.branches), blk.merge,
                          _project(blk.project), blk.scale, blk.act)
            self.kinds[blk.name] = blk.kind
            if not self.stages:
                self.stages.append(("stage1", None, []))
            self.stages[-1][2].append(block)
            return
        if m == "branch":
            if not isinstance(where, _OpenBlock):
                raise _err(call, "code.builder", call="b.branch", reason="belongs inside a block")
            a = self.bound(call, ("name",), m)
            br = _OpenBranch(a.get("name") or f"branch{len(where.branches) + 1}")
            for s in stmt.body:
                self.stmt(s, br)
            where.branches.append(br)
            return
        if m == "aux":
            a = self.bound(call, ("name", "after"), m)
            h = _OpenAux(a["name"], a["after"])
            for s in stmt.body:
                self.stmt(s, h)
            self.aux.append(AuxHead(h.name, h.after, tuple(h.layers)))
            return
        raise _err(call, "code.call", call=f"b.{m}", known="with b.block(…), with b.branch(…), with b.aux(…)")


@dataclass
class _OpenBlock:
    name: str
    merge: str
    scale: float
    act: str
    kind: str | None = None
    branches: list = field(default_factory=list)
    project: Conv | None = None


@dataclass
class _OpenBranch:
    name: str
    layers: list = field(default_factory=list)
    split: list = field(default_factory=list)


@dataclass
class _OpenAux:
    name: str
    after: str
    layers: list = field(default_factory=list)


def _project(p: Conv | None) -> Conv | None:
    return None if p is None else replace(p, out=None)  # the block's input width (checked by the analysis)


def _p(v) -> tuple[int, int]:
    if isinstance(v, int) and not isinstance(v, bool):
        return (v, v)
    if isinstance(v, tuple) and len(v) == 2:
        return (v[0], v[1])
    raise SpecError("code", "code.literal", what="a size", got=shown(v))


def _check_generated(net: Network, g: _Generated) -> None:
    """Each call's stated input channels (or features) are the ones that arrive: the calls
    the network makes, in the order the file makes them, against the file's."""
    from .build import Call, steps

    made = [s for s in steps(analyze(net)) if isinstance(s, Call) and s.method in ("conv", "project", "linear")]
    for d, call in zip(g.declared, made):
        actual = call.args[0]
        if actual != d.value:
            raise _err(d.line, "code.channels", call=d.call, declared=shown(d.value), unit=d.unit, actual=f"{actual:,}")


# --- entry points ---------------------------------------------------------------------------------------------


def read_code(text: str) -> Imported:
    """The network a piece of PyTorch code describes; ``SpecError`` naming the line otherwise."""
    if not isinstance(text, str):
        raise SpecError("code", "str.type", value=type(text).__name__)
    tree = _parse(text)
    fn = _is_generated(tree)
    if fn is not None:
        g = _Generated(tree, fn)
        net = g.run()
        analyze(net)  # validated and analysed, every field named
        _check_generated(net, g)
        return Imported(net, tuple(g.notes), "generated")
    r = _Reader()
    r.module(tree)
    net, declared = _lecture_network(r)
    analyze(net)
    _check_declared(net, declared)
    return Imported(net, tuple(r.notes), "lecture")


def from_code(text: str) -> Network:
    return read_code(text).network


__all__ = ["Imported", "from_code", "read_code"]
