"""A network as a standalone PyTorch file: ``to_python(net)`` → the text of ``model.py``.

The file imports only ``torch``. It contains the runtime the app builds with
(``googlenet/runtime.py``, its text copied in) and a ``build_model()`` that makes the network
with the same ``Builder`` calls ``build`` makes (``build.steps``), each layer on a line with its
concrete channels and output shape. So ``build_model().state_dict()`` has the same keys, in
the same order, as ``build(net)``'s, and weights move between the two with ``load_state_dict``.

Names and descriptions come from users. They reach the file only as ``repr`` string
literals, inside the header docstring with backslashes, non-printable characters and any
quote that could close it escaped, or in comments with the same escaping (so no newline can
end a comment); never as identifiers. The output is deterministic: the same spec gives the
same text.
"""

from __future__ import annotations

import inspect

from . import runtime
from .analysis import Analysis, analyze
from .build import Call, Close, Open, StageMark, steps
from .naming import get_rule, load_lines
from .spec import Network
from .templates import TEMPLATES

INDENT = "    "

# The words of the file's comments and docstring, by key: ``to_python(net, words={key: text})``
# writes them in another language (placeholders in braces stay). Only comments change: the code
# is the same whatever the words. ``template.<kind>`` keys replace a template's description,
# ``description`` the network's.
COMMENTS: dict[str, str] = {
    "header.title": "A network designed in Inception Studio, {name}, as a standalone PyTorch module.",
    "header.input": "Input: {c}x{h}x{w} (channels x height x width); call model(x) with x of shape (N, {c}, {h}, {w}).",
    "header.output": "Output: N x {shape} ({classes} classes).",
    "header.params": "Params: {params}.",
    "header.params_aux": "Params: {params}, of which {aux} in the aux heads (they run in training mode only).",
    "header.macs": "MACs: {macs} per image ({gmacs} GMACs; FLOPs = 2 x MACs).",
    "header.macs_aux": "MACs: {macs} per image ({gmacs} GMACs; FLOPs = 2 x MACs); the aux heads add {aux} in training.",
    "header.counting": (
        "How MACs are counted: multiply-accumulates of conv and linear layers only; bias adds,\n"
        "BatchNorm, activations, pooling, LRN, concat and adds are not counted (torchvision's\n"
        "convention; torch.utils.flop_counter reports 2 x MACs as FLOPs). fvcore's default total\n"
        "counts conv and linear multiply-adds too, but also BatchNorm and adaptive average\n"
        "pooling, so it is a little higher for a network that has them."
    ),
    "header.outputs": (
        "forward(x) returns the logits; in training mode with aux heads, a named tuple as\n"
        "torchvision's: InceptionOutputs(logits, aux_logits) for one head,\n"
        "GoogLeNetOutputs(logits, aux_logits2, aux_logits1) for two (the second head first)."
    ),
    "header.naming": (
        "Module names follow {upstream} (naming {naming}), so its state_dict keys, shapes and order "
        "are that model's and its checkpoints load by key:"
    ),
    "header.templates": "Block templates:",
    "header.weights": (
        "Weights are PyTorch's default initialisation. build_model() makes the network layer by\n"
        "layer with the Builder below, which puts each layer's modules at the path it is given, so\n"
        "a state_dict of the model Inception Studio builds loads here with model.load_state_dict(sd).\n"
        "build_model(transform_input=True) does what torchvision's GoogLeNet and Inception3 do\n"
        "when their builders load weights: turn an ImageNet-normalised input into (p - 0.5) / 0.5.\n"
        "Needs only torch (2.0 or later); run this file to check the parameter count and the output\n"
        "shape on the meta device (nothing is allocated)."
    ),
    "const.naming": "where the modules go (Inception Studio's naming rules)",
    "const.input": "channels, height, width",
    "const.output": "per image",
    "const.macs": "per image, conv and linear layers (see above)",
    "build.doc": "The network with freshly initialised weights; shapes in the comments are per image.",
    "main.meta": "shapes and counts only: nothing is allocated",
    "block.own": "a block of its own",
    "block.width": "(before the width multiplier {width})",
    "block.split": "the branch splits: its paths are concatenated",
    "branch.identity": "identity: the block's input",
    "aux.training": "runs in training mode only",
    "block.residual": "x + {scale} * residual",
}


class Comments:
    """``COMMENTS`` with a caller's replacements, each filled and escaped for the file."""

    def __init__(self, words=None):
        if words is not None and not (hasattr(words, "get") and all(isinstance(v, str) for v in words.values())):
            raise ValueError("words must map comment keys (header.title, …) to text")
        self.words = {**COMMENTS, **(words or {})}

    def lines(self, key: str, **values) -> list[str]:
        """The text of ``key``, its own line breaks kept, escaped (values too) for a docstring or comment."""
        safe = {k: escape(str(v)) for k, v in values.items()}
        return [escape(line).format(**safe) for line in self.words[key].split("\n")]

    def __call__(self, key: str, **values) -> str:
        return " ".join(self.lines(key, **values))

    def template(self, kind: str) -> str:
        return escape(self.words.get(f"template.{kind}", TEMPLATES[kind].description))


# --- escaping user text -------------------------------------------------------------------


def escape(text: str, quote: str = '"') -> str:
    """``text`` made safe inside a triple-quoted string delimited by ``quote`` (or a comment,
    with ``quote=""``): backslashes doubled, every non-printable character (newlines, control
    and format characters, lone surrogates) written as a ``\\x``/``\\u``/``\\U`` escape, and
    a ``quote`` escaped when it touches another one or an end of the text, so no run of
    three can close the string. Printable text stays readable."""
    text = str(text)
    out = []
    for i, ch in enumerate(text):
        if ch == "\\":
            out.append("\\\\")
        elif quote and ch == quote and (
            i == 0 or i == len(text) - 1 or text[i - 1] == quote or text[i + 1] == quote
        ):
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(repr(ch)[1:-1])  # '\n', '\x00', '\u2028', '\ud800', …
    return "".join(out)


def comment(text: str) -> str:
    """User text for a ``#`` comment: one line, escaped like a string body."""
    return escape(text, quote="")


def literal(text: str) -> str:
    """User text as a Python string literal."""
    return repr(str(text))


# --- formatting values ----------------------------------------------------------------------


def _shape(shape: tuple[int, ...]) -> str:
    return "x".join(str(s) for s in shape)


def _value(v) -> str:
    """A builder argument as Python source: a square pair as one number, strings as literals."""
    if isinstance(v, tuple) and len(v) == 2 and v[0] == v[1] and all(isinstance(x, int) for x in v):
        return str(v[0])
    if isinstance(v, str):
        return literal(v)
    if isinstance(v, int) and not isinstance(v, bool) and v >= 10_000:
        return f"{v:_}"
    return repr(v)


def _call_text(step: Call) -> str:
    args = [literal(step.node.module), *(_value(a) for a in step.args)]
    args += [f"{k}={_value(v)}" for k, v in step.kwargs.items()]
    if step.method != "project" and step.node.module.rsplit(".", 1)[-1] != step.node.name:
        args.append(f"name={literal(step.node.name)}")  # an upstream naming: the path does not say it
    return f"b.{step.method}({', '.join(args)})"


def _widths_text(block) -> str:
    return ", ".join(f"{k}={v[0] if len(v) == 1 else v}" for k, v in block.widths)


class _Writer:
    def __init__(self, a: Analysis, words: Comments):
        self.a = a
        self.w = words
        self.lines: list[str] = []
        self.depth = 1

    def emit(self, text: str, note: str = "") -> None:
        self.lines.append(f"{INDENT * self.depth}{text}{f'  # {note}' if note else ''}")

    def open_(self, step: Open) -> None:
        node = step.node
        args = [_value(a) for a in step.args] + [f"{k}={_value(v)}" for k, v in (step.kwargs or {}).items()]
        call = f"with b.{step.what}({', '.join(args)}):"
        if step.what == "block" and node is not None:
            block = node.layer
            what = comment(f"{block.kind}: {_widths_text(block)}") if block.kind else self.w("block.own")
            if self.a.network.width != 1 and block.kind:
                what += " " + self.w("block.width", width=repr(self.a.network.width))
            merge = "concat" if block.merge == "concat" else self.w("block.residual", scale=repr(block.scale))
            self.emit(call, f"{what}; {_shape(node.in_shape)} -> {merge} -> {_shape(node.out_shape)}")
        elif step.what == "block":
            self.emit(call, self.w("block.split"))
        elif step.what == "branch":
            self.emit(call, self.w("branch.identity") if not node.children else "")
        else:
            self.emit(call, self.w("aux.training"))
        self.depth += 1
        if step.what == "branch" and not node.children:
            self.emit("pass")

    def write(self) -> None:
        for step in steps(self.a):
            if isinstance(step, StageMark):
                if step.node.kind == "head":
                    self.emit("b.head()")
                else:
                    stage = step.node.layer
                    repeat = f", repeat={literal(stage.repeat)}" if stage.repeat is not None else ""
                    self.emit(f"b.stage({literal(stage.name)}{repeat})")
            elif isinstance(step, Call):
                self.emit(_call_text(step), f"-> {_shape(step.node.out_shape)}")
            elif isinstance(step, Open):
                self.open_(step)
            elif isinstance(step, Close):
                self.depth -= 1


MARKER = "# --- the runtime (copied into generated code from here on)"


def runtime_source() -> str:
    """The runtime's code (``googlenet/runtime.py`` from its marker line on), as the file has it."""
    text = inspect.getsource(runtime)
    return text[text.index(MARKER) + len(MARKER):].split("\n", 1)[1].strip("\n")


def _wrap(text: str, width: int = 92) -> list[str]:
    """Greedy word wrap of already escaped text (escapes contain no spaces, so they stay whole)."""
    lines, cur = [], ""
    for word in text.split(" "):
        if cur and len(cur) + 1 + len(word) > width:
            lines.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}" if cur else word
    if cur:
        lines.append(cur)
    return lines


def _header(net: Network, a: Analysis, w_: Comments) -> list[str]:
    t = a.totals
    c, h, w = net.input
    kinds = sorted({b.kind for b in net.blocks() if b.kind})
    if t.aux_params:
        params = w_.lines("header.params_aux", params=f"{t.params:,}", aux=f"{t.aux_params:,}")
        macs = w_.lines("header.macs_aux", macs=f"{t.macs:,}", gmacs=f"{t.macs / 1e9:.3f}", aux=f"{t.aux_macs:,}")
    else:
        params = w_.lines("header.params", params=f"{t.params:,}")
        macs = w_.lines("header.macs", macs=f"{t.macs:,}", gmacs=f"{t.macs / 1e9:.3f}")
    doc = [
        *w_.lines("header.title", name=net.name),
        "",
        *_wrap(escape(w_.words.get("description", net.description))),
        *([""] if net.description else []),
        *w_.lines("header.input", c=c, h=h, w=w),
        *w_.lines("header.output", shape=_shape(t.output_shape), classes=net.classes),
        *params,
        *macs,
        *w_.lines("header.counting"),
        *w_.lines("header.outputs"),
    ]
    rule = get_rule(net.naming)
    if net.naming != "studio":
        doc += ["", *(line for part in w_.lines("header.naming", upstream=rule.upstream, naming=repr(net.naming))
                      for line in _wrap(part))]
        lines = load_lines(net)
        if lines:
            doc += [f"    {escape(line)}" for line in lines]
    if kinds:
        doc += ["", *w_.lines("header.templates")]
        for k in kinds:
            doc += [f"  {escape(k)}: {w_.template(k)}"]
    doc += ["", *w_.lines("header.weights")]
    return ['"""' + doc[0], *doc[1:], '"""']


def to_python(net: Network, words=None) -> str:
    """``net`` as a standalone, deterministic PyTorch module file (validated first). ``words``
    (``COMMENTS`` keys → text) writes its comments and docstring in another language; the
    code is the same."""
    w_ = Comments(words)
    a = analyze(net)
    wr = _Writer(a, w_)
    wr.write()
    t = a.totals
    c, h, w = net.input
    parts = [
        *_header(net, a, w_),
        "",
        runtime_source(),
        "",
        "",
        f"NAME = {literal(net.name)}",
        f"DESCRIPTION = {literal(net.description)}",
        f"NAMING = {literal(net.naming)}  # {w_('const.naming')}",
        f"INPUT_SHAPE = ({c}, {h}, {w})  # {w_('const.input')}",
        f"NUM_CLASSES = {net.classes}",
        f"OUTPUT_SHAPE = {tuple(t.output_shape)!r}  # {w_('const.output')}",
        f"PARAMS = {_value(t.params)}  # sum(p.numel() for p in build_model().parameters())",
        f"MACS = {_value(t.macs)}  # {w_('const.macs')}",
        "",
        "",
        "def build_model(transform_input: bool = False) -> Net:",
        f'    """{w_("build.doc")}"""',
        "    b = Builder(transform_input=transform_input)",
        *wr.lines,
        "    return b.net",
        "",
        "",
        'if __name__ == "__main__":',
        f'    with torch.device("meta"):  # {w_("main.meta")}',
        "        model = build_model().eval()",
        "        out = model(torch.empty(1, *INPUT_SHAPE))",
        '    print(f"params: {sum(p.numel() for p in model.parameters()):,} (expected {PARAMS:,})")',
        '    print(f"output: {tuple(out.shape)} (expected {(1, *OUTPUT_SHAPE)})")',
    ]
    return "\n".join(parts) + "\n"
