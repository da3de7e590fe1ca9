"""A design as an ONNX file, to open in Netron or run with onnxruntime.

``to_onnx(net)`` builds the network (fresh random weights, eval mode: the inference path, no
aux heads) and exports it with PyTorch's TorchScript-based exporter (``dynamo=False``). That
exporter needs nothing beyond torch and ``onnx``, runs offline, and takes about a second for
GoogLeNet; the ``torch.export``-based one needs ``onnxscript`` as well and takes several
times longer here.

Node names carry the design's block and layer names: every step of the network runs inside a
module scope named after its layer (``/inception3a/branch2/conv1/conv/Conv``,
``/inception3a/branch2/conv1/Relu``, ``/inception3a/Concat``), so Netron shows where each
node belongs; weights keep their ``state_dict`` keys (an upstream naming rule's keys, when
the design has one). BatchNorm stays a node of its own (not folded into its conv), as the
design has it. The batch dimension is dynamic.
"""

from __future__ import annotations

import contextlib
import io
import warnings

import torch
from torch import nn

from . import runtime
from .analysis import Analysis, Node, analyze
from .build import build
from .checks import _LOCK as _THREADS_LOCK
from .errors import SpecError
from .spec import Network
from .texts import Text
from .texts import text as coded

OPSET = 17
MAX_BYTES = 1_900_000_000  # one protobuf message holds at most 2 GiB; larger models need external data
INPUT, OUTPUT = "input", "logits"

# Why a design cannot be written as ONNX (``problem``), by code; an interface translates it by code and values.
TEXTS: dict[str, str] = {
    "onnx.weights": "its weights take {bytes} bytes, more than one ONNX file holds ({limit})",
    "onnx.adaptive_pool": (
        "{layer} pools {h}×{w} to {oh}×{ow}, which does not divide it: ONNX has no operator for "
        "that adaptive pooling (choose an input whose map there divides, or a global pool)"
    ),
}


class _Scope(nn.Module):
    """A named module scope around one step of the program (a layer, a branch, a block)."""

    def __init__(self, fn):
        super().__init__()
        self.__dict__["__step__"] = fn  # not a submodule: the step's modules stay the network's (a dunder: no layer has that name)

    def forward(self, x):
        return self.__dict__["__step__"](x)


def _scope(parent: nn.Module, name: str, fn) -> _Scope:
    s = _Scope(fn)
    parent.add_module(name, s)
    return s


def _leaf(parent: nn.Module, name: str, step):
    """A layer's step in a scope of its name; a single module without an activation (a pool,
    a linear layer) is a scope of its own already."""
    if isinstance(step, runtime._Layer) and step.act == "none":
        return step
    return _scope(parent, name, step)


def _branch(node: Node, steps: list, parent: nn.Module):
    """A branch's steps, each in the scope of its layer, the whole in the branch's scope."""
    if not steps:
        return []  # an identity branch stays one
    wrapped = []
    scope = _Scope(lambda x: runtime._run(wrapped, x))
    parent.add_module(node.name, scope)
    leaves = [c for c in node.children if c.is_leaf and c.kind != "concat"]
    subs = [c for c in node.children if c.kind == "branch"]
    for leaf, step in zip(leaves, steps):
        wrapped.append(_leaf(scope, leaf.name, step))
    if subs:  # the split: the last step, a block of its own
        split = steps[len(leaves)]
        wrapped.append(_scope(scope, "split", _block_copy(split, subs, None, scope)))
    return [scope]


def _block_copy(blk, branch_nodes: list[Node], project: Node | None, scope: nn.Module):
    copy = runtime._Block(blk.merge, blk.scale, blk.act)
    copy.branches = [_branch(n, steps, scope) for n, steps in zip(branch_nodes, blk.branches)]
    if blk.project is not None:
        copy.project = _scope(scope, project.name if project is not None else "project", blk.project)
    return copy


def _scoped_program(model: runtime.Net, a: Analysis, root: nn.Module) -> list:
    items = [item for st in a.stages for item in st.children]
    if len(items) != len(model._program):
        raise RuntimeError("the built program does not follow the analysis")  # pragma: no cover - a bug
    program = []
    for item, (name, step) in zip(items, model._program):
        if item.kind == "block":
            scope = _Scope(None)
            root.add_module(item.name, scope)
            branches = [c for c in item.children if c.kind == "branch"]
            project = next((c for c in item.children if c.is_leaf and c.kind == "conv"), None)
            scope.__dict__["__step__"] = _block_copy(step, branches, project, scope)
            program.append((name, scope))
        else:
            program.append((name, _leaf(root, item.name, step)))
    return program


@contextlib.contextmanager
def _one_thread():
    """The export traces one forward pass; on a shared machine one intra-op thread runs it
    several times faster than two fighting over busy cores. torch's thread count is the
    process's, so it is changed under the lock the latency measurement changes it under."""
    with _THREADS_LOCK:
        saved = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(saved)


def problem(net: Network) -> Text | None:
    """Why ``net`` cannot be written as ONNX, found without exporting (None: it can): English
    text with its code and values (``TEXTS``)."""
    a = analyze(net)
    if a.totals.weights_bytes > MAX_BYTES:
        return coded(TEXTS, "onnx.weights", bytes=f"{a.totals.weights_bytes:,}", limit=f"{MAX_BYTES:,}")
    for leaf in a.layers:
        if leaf.aux or leaf.kind != "adaptive_avg_pool":
            continue
        (_, h, w), (_, oh, ow) = leaf.in_shape, leaf.out_shape
        if h % oh or w % ow:
            return coded(TEXTS, "onnx.adaptive_pool", layer=leaf.key, h=h, w=w, oh=oh, ow=ow)
    return None


def to_onnx(net: Network, transform_input: bool = False, state_dict: dict | None = None, opset: int = OPSET) -> bytes:
    """``net`` as an ONNX model (bytes), checked with ``onnx.checker``: with ``state_dict``'s
    weights (loaded strictly), else freshly initialised ones (seed 0: the same design gives the
    same file). Refuses with a ``SpecError`` a design too large for one file or with a layer
    ONNX cannot express."""
    try:
        import onnx
    except ImportError:  # pragma: no cover - requirements.txt installs it
        raise SpecError("format", "onnx.missing", package="onnx") from None
    a = analyze(net)
    why = problem(net)
    if why is not None:
        raise SpecError("format", "onnx.unsupported", layer=net.name, reason=why)
    if state_dict is None:
        with torch.random.fork_rng(devices=[]):  # seed 0 for the file, the caller's RNG left as it was
            torch.manual_seed(0)
            model = build(net, transform_input=transform_input)
    else:
        model = build(net, device="meta", transform_input=transform_input)
        model.load_state_dict(state_dict, strict=True, assign=True)
    model.eval()
    scopes = nn.Module()
    model.add_module("_scopes", scopes)  # registered, so the exporter names the scopes
    model._program = _scoped_program(model, a, scopes)
    x = torch.zeros(1, *net.input)
    f = io.BytesIO()
    with warnings.catch_warnings(), _one_thread():
        warnings.simplefilter("ignore")  # the exporter's notes about its successor
        try:
            torch.onnx.export(
                model, (x,), f, dynamo=False, opset_version=opset, input_names=[INPUT], output_names=[OUTPUT],
                dynamic_axes={INPUT: {0: "batch"}, OUTPUT: {0: "batch"}}, training=torch.onnx.TrainingMode.PRESERVE,
                do_constant_folding=True,
            )
        except Exception as err:  # an operator the exporter cannot write (e.g. adaptive pooling that does not divide)
            raise SpecError("format", "onnx.unsupported", layer=net.name, reason=str(err).split("\n")[0][:200]) from None
    proto = onnx.load_from_string(f.getvalue())
    _undo_shared_initializers(proto)
    proto.graph.name = net.name
    proto.doc_string = net.description
    for key, value in (("inception_studio.naming", net.naming), ("inception_studio.input", "x".join(map(str, net.input))),
                       ("inception_studio.params", str(a.totals.params)), ("inception_studio.macs", str(a.totals.macs))):
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(proto)
    return proto.SerializeToString()


def _undo_shared_initializers(proto) -> None:
    """The exporter keeps one copy of equal weights (freshly initialised BatchNorms are all
    ones and zeros) and feeds the others through Identity nodes; give each weight its own
    initializer under its own name again, so the graph shows the design's layers only."""
    inits = {i.name: i for i in proto.graph.initializer}
    keep = []
    for node in proto.graph.node:
        if node.op_type == "Identity" and len(node.input) == 1 and node.input[0] in inits:
            copy = proto.graph.initializer.add()
            copy.CopyFrom(inits[node.input[0]])
            copy.name = node.output[0]
        else:
            keep.append(node)
    if len(keep) != len(proto.graph.node):
        del proto.graph.node[:]
        proto.graph.node.extend(keep)


def cmd_export(args) -> str | bytes:
    """``python -m googlenet export … --format onnx -o FILE`` (the diagram options do not apply)."""
    from . import cli

    data = to_onnx(cli.network_from_args(args))
    if args.output == "-":
        return data
    try:
        with open(args.output, "wb") as f:
            f.write(data)
    except OSError as err:
        raise cli.CliError(f"cannot write {args.output}: {err.strerror or err}") from None
    return f"wrote {args.output} ({len(data):,} bytes; open it in Netron: https://netron.app, or `netron {args.output}`)\n"
