"""Checks every value of a spec before anything is analysed or built: the one validation layer.

Each failure is a ``SpecError`` naming the field, e.g. ``b4.inception4c.c2.reduce: must be ≥ 1,
got 0``. Values are checked by ``values`` against ``limits``; each layer type checks its own
fields (``Layer.validate``); this module checks how layers, branches, blocks, stages and heads
fit together. What depends on the input size (shapes, a conv's groups against its input
channels, merges) is checked by the analysis.
"""

from __future__ import annotations

from . import limits as L
from .errors import SpecError, shown
from .naming import get_rule
from .spec import ACTS, LAYER_CLASSES, MERGES, Block, Branch, Network, Stage
from .templates import get_template
from .values import check_bool, check_choice, check_float, check_int, check_name

MERGE_NAMES = frozenset({"concat", "add", "project"})  # rows and modules of a block's merge


def validate_layer(layer, field: str) -> None:
    if not isinstance(layer, LAYER_CLASSES):
        raise SpecError(field, "layer.type", value=type(layer).__name__)
    layer.validate(field)


def _layers(layers, field: str, seen: set[str]) -> None:
    if not isinstance(layers, tuple):
        raise SpecError(field, "list.type", value=type(layers).__name__)
    if len(layers) > L.MAX_LAYERS_PER_BRANCH:
        raise SpecError(field, "branch.layers", limit=L.MAX_LAYERS_PER_BRANCH, count=len(layers))
    for layer in layers:
        name = getattr(layer, "name", None)
        check_name(f"{field}.{name!s}.name", name, seen)
        validate_layer(layer, f"{field}.{name}")


def _branch(br: Branch, field: str) -> None:
    if not isinstance(br, Branch):
        raise SpecError(field, "layer.type", value=type(br).__name__)
    seen: set[str] = set()
    _layers(br.layers, field, seen)
    if br.split:
        if len(br.split) < 2:
            raise SpecError(f"{field}.split", "branch.split_one", count=len(br.split))
        if len(br.split) > L.MAX_BRANCHES:
            raise SpecError(f"{field}.split", "block.many_branches", limit=L.MAX_BRANCHES, count=len(br.split))
        seen.add("concat")  # the split's concat row: "<branch>.concat"
        for sub in br.split:
            if sub.name == "concat":
                raise SpecError(f"{field}.{sub.name}.name", "name.merge", value=shown(sub.name))
            check_name(f"{field}.{sub.name!s}.name", sub.name, seen)
            if sub.identity:
                raise SpecError(f"{field}.{sub.name}", "block.only_identity")
            _branch(sub, f"{field}.{sub.name}")


def validate_block(block: Block, field: str) -> None:
    if not isinstance(block.branches, tuple) or not block.branches:
        raise SpecError(f"{field}.branches", "block.branches")
    if len(block.branches) > L.MAX_BRANCHES:
        raise SpecError(f"{field}.branches", "block.many_branches", limit=L.MAX_BRANCHES, count=len(block.branches))
    check_choice(f"{field}.merge", block.merge, MERGES)
    check_choice(f"{field}.act", block.act, ACTS)
    check_float(f"{field}.scale", block.scale, -L.MAX_SCALE, L.MAX_SCALE)
    names: set[str] = set()
    for br in block.branches:
        if br.name in MERGE_NAMES:
            raise SpecError(f"{field}.{br.name}.name", "name.merge", value=shown(br.name))
        check_name(f"{field}.{br.name!s}.name", br.name, names)
        _branch(br, f"{field}.{br.name}")
    if all(br.identity for br in block.branches):
        raise SpecError(f"{field}.branches", "block.only_identity")
    if block.merge == "concat":
        if block.project is not None:
            raise SpecError(f"{field}.project", "block.concat_project")
        if block.scale != 1:
            raise SpecError(f"{field}.scale", "block.concat_scale")
    elif block.project is not None:
        p = block.project
        validate_layer(p, f"{field}.project")
        if p.kernel != (1, 1) or p.stride != (1, 1) or p.padding != (0, 0) or p.dilation != (1, 1) or p.order != "post":
            raise SpecError(f"{field}.project", "block.project_kernel")
        if not any(br.identity for br in block.branches):
            raise SpecError(f"{field}.project", "block.project_identity")
    if block.kind is not None:
        t = get_template(block.kind, f"{field}.kind")
        check_widths(block, t, field)


def check_widths(block: Block, t, field: str) -> None:
    """A template block's width fields: the template's, in its order, each a tuple of channel counts."""
    if not isinstance(block.widths, tuple):
        raise SpecError(field, "list.type", value=type(block.widths).__name__)
    given = [k for k, _ in block.widths]
    expected = [k for k, _ in t.fields]
    if given != expected:
        missing = [k for k in expected if k not in given]
        extra = [k for k in given if k not in expected]
        what = "; ".join(
            s for s in (f"missing {', '.join(missing)}" if missing else "", f"unknown {', '.join(extra)}" if extra else "") if s
        ) or f"order must be {', '.join(expected)}"
        raise SpecError(field, "template.fields", kind=t.name, expected=", ".join(expected), what=what)
    for (key, value), (_, arity) in zip(block.widths, t.fields):
        if not isinstance(value, tuple) or len(value) != arity:
            raise SpecError(f"{field}.{key}", "width.arity", arity=arity, count=len(value) if isinstance(value, tuple) else shown(value))
        for part, v in zip(t.part_names(key), value):
            check_int(f"{field}.{key}{'.' + part if part else ''}", v, 1, L.MAX_CHANNELS)


def _stage(stage: Stage, top: set[str]) -> None:
    if not isinstance(stage.items, tuple):
        raise SpecError(stage.name, "list.type", value=type(stage.items).__name__)
    if not stage.items:
        raise SpecError(f"{stage.name}.items", "stage.empty", value=shown(stage.name))
    if len(stage.items) > L.MAX_ITEMS_PER_STAGE:
        raise SpecError(stage.name, "stage.many", limit=L.MAX_ITEMS_PER_STAGE, count=len(stage.items))
    if stage.repeat is not None:
        get_template(stage.repeat, f"{stage.name}.repeat")
        count = sum(1 for it in stage.items if isinstance(it, Block) and it.kind == stage.repeat)
        if count > L.MAX_BLOCKS_PER_STAGE:
            raise SpecError(f"{stage.name}.blocks", "blocks.many", limit=L.MAX_BLOCKS_PER_STAGE, count=count)
    for item in stage.items:
        name = getattr(item, "name", None)
        field = f"{stage.name}.{name!s}"
        check_name(f"{field}.name", name, top)
        if isinstance(item, Block):
            validate_block(item, field)
        else:
            validate_layer(item, field)


def validate(net: Network) -> None:
    if not isinstance(net, Network):
        raise SpecError("", "network.type", value=type(net).__name__)
    check_name("name", net.name)
    if not isinstance(net.description, str) or len(net.description) > L.MAX_TEXT_LENGTH:
        raise SpecError("description", "str.long", limit=L.MAX_TEXT_LENGTH, length=len(str(net.description)))
    if not isinstance(net.input, tuple) or len(net.input) != 3:
        raise SpecError("input", "input.shape", value=shown(net.input))
    check_int("input.channels", net.input[0], 1, L.MAX_INPUT_CHANNELS)
    check_int("input.height", net.input[1], 1, L.MAX_INPUT_SIZE)
    check_int("input.width", net.input[2], 1, L.MAX_INPUT_SIZE)
    check_int("classes", net.classes, 1, L.MAX_CLASSES)
    check_float("width", net.width, L.MIN_WIDTH, L.MAX_WIDTH)
    check_bool("aux_enabled", net.aux_enabled)
    get_rule(net.naming, "naming")
    check_float("style.bn_eps", net.style.bn_eps, 0.0, 1.0, lo_open=True)
    if net.style.branch3_kernel not in (3, 5):
        raise SpecError("style.branch3_kernel", "choice", choices="5 (the paper), 3 (torchvision)", value=shown(net.style.branch3_kernel))
    for key in ("conv_bias", "batch_norm", "pool_ceil"):
        check_bool(f"style.{key}", getattr(net.style, key))
    if not isinstance(net.stages, tuple) or not net.stages:
        raise SpecError("stages", "stages.empty")
    if len(net.stages) > L.MAX_STAGES:
        raise SpecError("stages", "stages.many", limit=L.MAX_STAGES, count=len(net.stages))
    total = sum(len(stage.items) for stage in net.stages)
    if total > L.MAX_ITEMS:
        raise SpecError("stages", "items.many", limit=L.MAX_ITEMS, count=total)
    top: set[str] = set()  # items, head layers and aux heads: the network's module names
    stage_names: set[str] = set()
    for stage in net.stages:
        check_name(f"stages.{stage.name!s}.name", stage.name, stage_names)
        _stage(stage, top)
    if len(net.head) > L.MAX_HEAD_LAYERS:
        raise SpecError("head", "head.many", limit=L.MAX_HEAD_LAYERS, count=len(net.head))
    for layer in net.head:
        name = getattr(layer, "name", None)
        check_name(f"head.{name!s}.name", name, top)
        validate_layer(layer, f"head.{name}")
    if len(net.aux) > L.MAX_AUX_HEADS:
        raise SpecError("aux", "aux.many", limit=L.MAX_AUX_HEADS, count=len(net.aux))
    block_names = {b.name for b in net.blocks()}
    for head in net.aux:
        check_name(f"aux.{head.name!s}.name", head.name, top)
        if head.after not in block_names:
            raise SpecError(f"aux.{head.name}.after", "aux.after", value=shown(head.after))
        if not head.layers:
            raise SpecError(f"aux.{head.name}", "aux.empty")
        if len(head.layers) > L.MAX_HEAD_LAYERS:
            raise SpecError(f"aux.{head.name}", "head.many", limit=L.MAX_HEAD_LAYERS, count=len(head.layers))
        _layers(head.layers, f"aux.{head.name}", set())

