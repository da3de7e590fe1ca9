"""A network as a standalone PyTorch file: ``to_python(net)`` → the text of ``model.py``.

The file imports only ``torch``; it defines a few small classes (``ConvBNAct``, ``Branch``,
``Block``, …) that mirror ``build.py`` and a ``build_model()`` that lists every layer with
concrete channels and a shape comment. Module names equal the analysis' qualified names, so
``build_model().state_dict()`` has the same keys, in the same order, as ``build(net)``'s and
weights move between the two with ``load_state_dict``.

Names and descriptions come from users. They reach the file only as ``repr`` string
literals, inside the header docstring with backslashes, non-printable characters and any
quote that could close it escaped, or in comments with the same escaping (so no newline can
end a comment); never as identifiers. The output is deterministic: the same spec gives the
same text.
"""

from __future__ import annotations

from collections import Counter

from . import blocks as _blocks
from .analysis import Analysis, LayerInfo, analyze
from .spec import LRN, AdaptiveAvgPool, Block, Branch, Conv, Dropout, Flatten, Linear, Network, Pool

INDENT = "    "


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


def _pair(p: tuple[int, int]) -> str:
    return str(p[0]) if p[0] == p[1] else f"({p[0]}, {p[1]})"


def _int(n: int) -> str:
    return f"{n:_}" if n >= 10_000 else str(n)


def _conv_defaults(a: Analysis) -> dict[str, object]:
    """The ``ConvBNAct`` keyword defaults: each the most common value among the network's
    convs (first seen wins a tie), so most lines only show the kernel, stride and padding."""
    convs = [r.layer for r in a.layers if isinstance(r.layer, Conv)]
    out: dict[str, object] = {}
    for key, fallback in (("bias", True), ("bn", False), ("bn_eps", 1e-5), ("act", True)):
        values = [getattr(c, key) for c in convs if key != "bn_eps" or c.bn]
        out[key] = Counter(values).most_common(1)[0][0] if values else fallback
    return out


class _Writer:
    def __init__(self, net: Network, a: Analysis):
        self.net = net
        self.a = a
        self.defaults = _conv_defaults(a)
        self.lines: list[str] = []
        self.used: set[str] = set()

    def emit(self, depth: int, text: str, note: str = "") -> None:
        self.lines.append(f"{INDENT * depth}{text}{f'  # {note}' if note else ''}")

    # one layer → a constructor call
    def module(self, row: LayerInfo) -> str:
        layer = row.layer
        if isinstance(layer, Conv):
            self.used.add("ConvBNAct")
            args = [str(row.in_shape[0]), str(layer.out), _pair(layer.kernel)]
            if layer.stride != (1, 1):
                args.append(f"stride={_pair(layer.stride)}")
            if layer.padding != (0, 0):
                args.append(f"padding={_pair(layer.padding)}")
            d = self.defaults
            if layer.bias != d["bias"]:
                args.append(f"bias={layer.bias!r}")
            if layer.bn != d["bn"]:
                args.append(f"bn={layer.bn!r}")
            if layer.bn and layer.bn_eps != d["bn_eps"]:
                args.append(f"bn_eps={layer.bn_eps!r}")
            if layer.act != d["act"]:
                args.append(f"act={layer.act!r}")
            return f"ConvBNAct({', '.join(args)})"
        if isinstance(layer, Pool):
            cls = "nn.MaxPool2d" if layer.op == "max" else "nn.AvgPool2d"
            args = [_pair(layer.kernel), f"stride={_pair(layer.stride)}"]
            if layer.padding != (0, 0):
                args.append(f"padding={_pair(layer.padding)}")
            if layer.ceil_mode:
                args.append("ceil_mode=True")
            if layer.op == "avg" and not layer.count_include_pad:
                args.append("count_include_pad=False")
            return f"{cls}({', '.join(args)})"
        if isinstance(layer, LRN):
            return f"nn.LocalResponseNorm({layer.size}, alpha={layer.alpha!r}, beta={layer.beta!r}, k={layer.k!r})"
        if isinstance(layer, Dropout):
            return f"nn.Dropout({layer.p!r})"
        if isinstance(layer, AdaptiveAvgPool):
            return f"nn.AdaptiveAvgPool2d({_pair(layer.output)})"
        if isinstance(layer, Flatten):
            return "nn.Flatten(1)"
        if isinstance(layer, Linear):
            bias = "" if layer.bias else ", bias=False"
            if layer.act:
                self.used.add("LinearAct")
                return f"LinearAct({row.in_shape[0]}, {layer.out}{bias})"
            return f"nn.Linear({row.in_shape[0]}, {layer.out}{bias})"
        raise TypeError(f"not a layer: {layer!r}")  # pragma: no cover - validate() refuses it

    def layers(self, layers, prefix: str, depth: int) -> None:
        for layer in layers:
            row = self.a.layer(f"{prefix}{layer.name}")
            self.emit(depth, f"({literal(layer.name)}, {self.module(row)}),", f"-> {_shape(row.out_shape)}")

    def branch(self, br: Branch, prefix: str, depth: int) -> None:
        self.used.add("Branch")
        p = f"{prefix}{br.name}."
        self.emit(depth, f"({literal(br.name)}, Branch([")
        self.layers(br.layers, p, depth + 1)
        if not br.split:
            self.emit(depth, "])),")
            return
        self.emit(depth, "], split=[")
        for sub in br.split:
            self.branch(sub, p, depth + 1)
        self.emit(depth, "])),", f"concat -> {_shape(self.a.layer(f'{p}concat').out_shape)}")

    def block(self, block: Block, depth: int) -> None:
        self.used.add("Block")
        g = self.a.block(block.name)
        struct = _blocks.expand(block, self.net.style, self.net.width, g.in_shape[0])
        widths = ", ".join(f"{k}={v[0] if len(v) == 1 else v}" for k, v in block.widths)
        if self.net.width != 1.0:
            widths += f" (before the width multiplier {self.net.width!r})"
        self.emit(depth, f"({literal(block.name)}, Block([", comment(f"{block.kind}: {widths}"))
        prefix = f"{block.name}."
        for br in struct.branches:
            self.branch(br, prefix, depth + 1)
        concat = self.a.layer(f"{prefix}concat")
        if struct.merge == "concat":
            self.emit(depth, "])),", f"concat: {_shape(g.in_shape)} -> {_shape(concat.out_shape)}")
            return
        self.used.add("ScaledAdd")
        project = self.a.layer(f"{prefix}project")
        self.emit(depth, f"], project={self.module(project)}, scale={struct.scale!r}, act={struct.act!r})),",
                  f"concat {_shape(concat.out_shape)}, project, x + {struct.scale!r} * residual"
                  f"{', ReLU' if struct.act else ''} -> {_shape(g.out_shape)}")

    def network(self) -> None:
        net = self.net
        self.emit(1, "return InceptionNet(")
        self.emit(2, "[")
        for stage in net.stages:
            self.emit(3, f"# stage {comment(stage.name)}")
            for item in stage.items:
                if isinstance(item, Block):
                    self.block(item, 3)
                else:
                    self.layers((item,), "", 3)
        if net.head:
            self.emit(3, "# head")
            self.layers(net.head, "", 3)
        self.emit(2, "],")
        if net.aux_enabled and net.aux:
            self.used.add("AuxHead")
            self.emit(2, "aux=[", "(name, the block that feeds it, layers); they run in training mode only")
            for head in net.aux:
                self.emit(3, f"({literal(head.name)}, {literal(head.after)}, AuxHead([")
                self.layers(head.layers, f"{head.name}.", 4)
                self.emit(3, "])),")
            self.emit(2, "],")
        self.emit(1, ")")


# --- the classes of the generated file (only those the network uses are written) ----------

_CLASSES: dict[str, str] = {
    "ConvBNAct": '''
class ConvBNAct(nn.Module):
    """Conv2d -> BatchNorm2d (optional) -> ReLU (optional), torchvision's BasicConv2d."""

    def __init__(self, in_ch, out_ch, kernel, stride=1, padding=0, bias={bias!r}, bn={bn!r}, bn_eps={bn_eps!r}, act={act!r}):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, kernel, stride, padding, bias=bias)
        self.bn = nn.BatchNorm2d(out_ch, eps=bn_eps) if bn else None
        self.act = nn.ReLU(inplace=True) if act else None

    def forward(self, x):
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        if self.act is not None:
            x = self.act(x)
        return x
''',
    "LinearAct": '''
class LinearAct(nn.Sequential):
    """Linear -> ReLU (the aux heads' hidden layer)."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features, bias=bias)
        self.act = nn.ReLU(inplace=True)
''',
    "Concat": '''
class Concat(nn.Module):
    """Concatenate branch outputs along channels."""

    def forward(self, xs):
        return torch.cat(xs, 1)
''',
    "ScaledAdd": '''
class ScaledAdd(nn.Module):
    """The residual merge: relu(x + scale * residual) (Inception-ResNet)."""

    def __init__(self, scale, act=True):
        super().__init__()
        self.scale = scale
        self.act = nn.ReLU(inplace=True) if act else None

    def forward(self, x, residual):
        out = x + residual * self.scale
        return self.act(out) if self.act is not None else out
''',
    "Branch": '''
class Branch(nn.Module):
    """One path of a block: (name, module) layers in sequence, then optionally parallel
    sub-branches whose outputs are concatenated."""

    def __init__(self, layers, split=()):
        super().__init__()
        for name, module in layers:
            self.add_module(name, module)
        self._layers = [name for name, _ in layers]
        self._split = [name for name, _ in split]
        for name, module in split:
            self.add_module(name, module)
        if split:
            self.concat = Concat()

    def forward(self, x):
        for name in self._layers:
            x = self._modules[name](x)
        if self._split:
            x = self.concat([self._modules[name](x) for name in self._split])
        return x
''',
    "Block": '''
class Block(nn.Module):
    """Parallel branches reading the same input, concatenated; with ``project``, a residual
    block: x + scale * project(concat), then a ReLU when ``act``."""

    def __init__(self, branches, project=None, scale=1.0, act=True):
        super().__init__()
        for name, module in branches:
            self.add_module(name, module)
        self._branches = [name for name, _ in branches]
        self.concat = Concat()
        self.project = project
        self.add = ScaledAdd(scale, act) if project is not None else None

    def forward(self, x):
        out = self.concat([self._modules[name](x) for name in self._branches])
        if self.add is None:
            return out
        return self.add(x, self.project(out))
''',
    "AuxHead": '''
class AuxHead(nn.Sequential):
    """An auxiliary classifier: (name, module) layers in sequence."""

    def __init__(self, layers):
        super().__init__()
        for name, module in layers:
            self.add_module(name, module)
''',
    "InceptionNet": '''
class InceptionNet(nn.Module):
    """Stem layers and blocks in order, then the head. In training mode with aux heads,
    forward returns (logits, aux1, aux2, ...), as torchvision's GoogLeNet does."""

    def __init__(self, body, aux=()):
        super().__init__()
        for name, module in body:
            self.add_module(name, module)
        aux_after = {}
        for name, after, module in aux:
            self.add_module(name, module)
            aux_after.setdefault(after, []).append(name)
        self._order = [name for name, _ in body]
        self._aux_after = aux_after  # block name -> the aux heads it feeds

    def forward(self, x):
        aux_out = []
        for name in self._order:
            x = self._modules[name](x)
            if self.training and name in self._aux_after:
                aux_out.extend(self._modules[head](x) for head in self._aux_after[name])
        return (x, *aux_out) if aux_out else x
''',
}

_ORDER = ("ConvBNAct", "LinearAct", "Concat", "ScaledAdd", "Branch", "Block", "AuxHead", "InceptionNet")


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


def _header(net: Network, a: Analysis) -> list[str]:
    t = a.totals
    c, h, w = net.input
    kinds = sorted({b.kind for b in net.blocks()})
    doc = [
        f"An Inception-family network, {escape(net.name)}, as a standalone PyTorch module.",
        "",
        *_wrap(escape(net.description)),
        *([""] if net.description else []),
        f"Input: {c}x{h}x{w} (channels x height x width); call model(x) with x of shape (N, {c}, {h}, {w}).",
        f"Output: N x {_shape(t.output_shape)} ({net.classes} classes).",
        f"Params: {t.params:,}"
        + (f", of which {t.aux_params:,} in the aux heads (they run in training mode only)." if t.aux_params else "."),
        f"MACs: {t.macs:,} per image ({t.macs / 1e9:.3f} GMACs; FLOPs = 2 x MACs)"
        + (f"; the aux heads add {t.aux_macs:,} in training." if t.aux_params else "."),
        "How MACs are counted: multiply-accumulates of conv and linear layers only; bias adds,",
        "BatchNorm, activations, pooling, LRN and concat are not counted (torchvision's and",
        "fvcore's convention; torch.utils.flop_counter reports 2 x MACs as FLOPs).",
    ]
    if kinds:
        doc += ["", "Block kinds:"]
        for k in kinds:
            doc += [f"  {escape(k)}: {escape(_blocks.get_kind(k).description)}"]
    doc += [
        "",
        "Weights are PyTorch's default initialisation. Module names are the layer names of",
        "Inception Studio's analysis, so a state_dict of the model it builds loads here with",
        "model.load_state_dict(state_dict). Needs only torch (2.0 or later); run this file to check the",
        "parameter count and the output shape on the meta device (nothing is allocated).",
    ]
    return ['"""' + doc[0], *doc[1:], '"""']


def to_python(net: Network) -> str:
    """``net`` as a standalone, deterministic PyTorch module file (validated first)."""
    a = analyze(net)
    wr = _Writer(net, a)
    wr.network()
    used = wr.used | {"InceptionNet"}
    if used & {"Branch", "Block"}:
        used.add("Concat")
    if "Block" in used:
        used.add("ScaledAdd")  # Block refers to it even when no block is residual
    t = a.totals
    c, h, w = net.input
    parts = [
        *_header(net, a),
        "",
        "import torch",
        "from torch import nn",
        "",
        f"NAME = {literal(net.name)}",
        f"INPUT_SHAPE = ({c}, {h}, {w})  # channels, height, width",
        f"NUM_CLASSES = {net.classes}",
        f"OUTPUT_SHAPE = {tuple(t.output_shape)!r}  # per image",
        f"PARAMS = {_int(t.params)}  # sum(p.numel() for p in build_model().parameters())",
        f"MACS = {_int(t.macs)}  # per image, conv and linear layers (see above)",
        "",
    ]
    for name in _ORDER:
        if name in used:
            src = _CLASSES[name]
            if name == "ConvBNAct":
                src = src.format(**wr.defaults)
            parts += ["", src.strip("\n"), ""]
    parts += [
        "",
        "def build_model() -> InceptionNet:",
        '    """The network with freshly initialised weights; shapes in the comments are per image."""',
        *wr.lines,
        "",
        "",
        'if __name__ == "__main__":',
        '    with torch.device("meta"):  # shapes and counts only: nothing is allocated',
        "        model = build_model().eval()",
        "        out = model(torch.empty(1, *INPUT_SHAPE))",
        '    print(f"params: {sum(p.numel() for p in model.parameters()):,} (expected {PARAMS:,})")',
        '    print(f"output: {tuple(out.shape)} (expected {(1, *OUTPUT_SHAPE)})")',
    ]
    return "\n".join(parts) + "\n"
