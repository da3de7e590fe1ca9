"""What can be wrong with a spec, a config or a knob, as data: a field, a code and its values.

Every refusal in the core is a ``SpecError(field, code, **values)``. The English message is
``MESSAGES[code]`` filled with the values; an interface in another language translates the
code and fills in the same values (names, numbers and shapes, which stay as they are), so
nothing depends on matching English text. ``str(err)`` is ``"<field>: <message>"``, e.g.
``b4.inception4c.c2.reduce: must be ≥ 1, got 0``.

Values that come from a user (a number typed into a link, a key of a config file) are
shortened before they enter a message (``shown``), so no message echoes a whole file.
"""

from __future__ import annotations

from typing import Any

Pair = tuple[int, int]

MAX_SHOWN = 60  # characters of a user's value a message repeats

MESSAGES: dict[str, str] = {
    # values
    "int.type": "must be a whole number, got {value}",
    "int.decimal": "must be a whole number written without a decimal point, got {value}",
    "int.min": "must be ≥ {lo}, got {value}",
    "int.max": "must be ≤ {hi}, got {value}",
    "int.range": "must be between {lo} and {hi}, got {value}",
    "int.huge": "is far too large ({value})",
    "float.type": "must be a number, got {value}",
    "float.finite": "must be a finite number, got {value}",
    "float.min": "must be ≥ {lo}, got {value}",
    "float.above": "must be > {lo}, got {value}",
    "float.max": "must be ≤ {hi}, got {value}",
    "float.range": "must be between {lo} and {hi}, got {value}",
    "bool.type": "must be true or false, got {value}",
    "str.type": "must be a string, got {value}",
    "str.long": "must be at most {limit} characters, got {length}",
    "str.surrogate": "is not valid Unicode text (a lone surrogate), got {value}",
    "choice": "must be one of {choices}, got {value}",
    "pair.type": "must be a pair of whole numbers [height, width], got {value}",
    "pair.length": "must be [height, width], got {count} numbers",
    "list.type": "must be a list, got {value}",
    "list.long": "at most {limit} entries, got {count}",
    "object.type": "must be an object, got {value}",
    # names
    "name.empty": "must be a name of 1 to {limit} characters, got an empty one",
    "name.type": "must be a name, got {value}",
    "name.long": "must be at most {limit} characters, got {length}",
    "name.dot": "must not contain '.', got {value} (dots separate qualified names)",
    "name.printable": "must be printable: no control, format or line-break characters, got {value}",
    "name.reserved": "{value} is reserved by torch.nn.Module; choose another name",
    "name.merge": "{value} names the block's merge; choose another name",
    "name.dunder": "{value} begins and ends with '__', which Python reserves; choose another name",
    "name.twice": "the name {value} is used twice",
    # the network
    "network.type": "not a network: {value}",
    "input.shape": "must be [channels, height, width], got {value}",
    "stages.empty": "a network needs at least one stage",
    "stages.many": "at most {limit} stages, got {count}",
    "stage.empty": "the stage {value} has no layers or blocks; remove it or give it one",
    "items.many": "at most {limit} layers and blocks in all stages together, got {count}",
    "stage.many": "at most {limit} layers and blocks, got {count}",
    "blocks.many": "at most {limit} blocks, got {count}",
    "head.many": "at most {limit} layers, got {count}",
    "note.feature_map": "the network ends in a {shape} feature map, not one score per class: a head of a global average pool, a flatten and a linear layer makes it a classifier",
    "aux.many": "at most {limit} aux heads, got {count}",
    "aux.after": "no block named {value}",
    "aux.empty": "an aux head needs at least one layer",
    "width.field": "no such width field {value}; {kind} blocks have {fields}",
    "width.arity": "needs {arity} number(s), got {count}",
    "block.unknown": "no block named {value}",
    "stage.unknown": "no stage named {value}; stages: {names}",
    "node.unknown": "nothing is named {value}",
    "expand.unknown": "no stage, block or aux head named {value}; choose one of: {names}",
    "diagram.too_large": (
        "the {level} drawing would have {nodes} nodes, more than the {limit} that Graphviz lays out "
        "in a few seconds; draw the blocks level (runs of equal blocks fold into one node) "
        "or open one stage or block at a time"
    ),
    "preset.unknown": "unknown preset {value}; choose one of: {names}",
    "template.unknown": "unknown block kind {value}; known kinds: {names}",
    "template.edited": "{block} was edited structurally, so it has no {field} any more; change its layers instead",
    "template.none": "{block} was not made from a template, so it has nothing to reset to",
    "template.fields": "a {kind} block has the width fields {expected}: {what}",
    "count.norepeat": "this stage has no repeatable blocks",
    "count.empty": "no block left to copy; reset the stage to its preset",
    "scale.none": "only residual blocks have a scale; a {kind} block has none",
    # layers and blocks
    "layer.type": "not a layer: {value}",
    "layer.unknown_type": "must be one of {choices}, got {value}",
    "conv.groups": "{groups} groups must divide both the input channels ({cin}) and the output channels ({cout})",
    "pool.padding": "{name}: padding {padding} must be at most half the kernel {kernel} (PyTorch's rule for pools)",
    "pool.dilated_padding": "{name}: padding {padding} must be at most half the dilated kernel {kernel}",
    "lrn.flat": "{name} needs a C×H×W input, got a flat vector of {features}",
    "layer.needs_map": "{name} needs a C×H×W input, got a flat vector of {features}",
    "layer.needs_flat": "{name} needs a flat input; add a flatten before it (got {shape})",
    "layer.too_large": "{name} would have {count} {what}; the limit is {limit} (2⁴⁸) per layer",
    "layer.empty_output": "{name} ({what}) would produce {out} from a {size} input",
    "block.branches": "a block needs at least one branch",
    "block.many_branches": "at most {limit} branches, got {count}",
    "block.only_identity": "a block needs at least one branch with layers; identity branches only pass the input on",
    "block.concat_scale": "only an add merge has a scale; this block concatenates",
    "block.concat_project": "only an add merge has a projection; this block concatenates",
    "block.project_identity": "a projection is added to the block's input: give the block an identity branch",
    "block.project_kernel": "the projection is a 1×1 convolution with stride 1 and no padding",
    "block.merge_spatial": "{block}: branches produce different spatial sizes ({sizes}); they cannot be {verb}",
    "block.add_shapes": "{block}: an add needs every term to have one shape, got {shapes}",
    "branch.layers": "at most {limit} layers in a branch, got {count}",
    "branch.split_one": "a split needs at least two parallel paths, got {count}",
    # the input size
    "input.too_small": "input {input} is too small: {detail}; {hint}",
    "input.mismatch": "input {input} does not fit: {detail}; {hint}",
    "hint.smallest": "the smallest input is {size}",
    "hint.none": "no input size makes this network valid",
    "hint.nearby": "inputs that work nearby: {sizes}",
    "hint.nothing_near": "no input size near this one makes the branches agree",
    # config files and links
    "config.twice": "is written twice in one object; keep one",
    "config.missing": "is missing",
    "config.unknown_field": "unknown field; expected one of: {expected}",
    "config.format": "must be {expected}, got {value}",
    "config.size": "is {size} bytes; the limit is {limit}",
    "config.too_large": "is larger than the limit of {limit} bytes",
    "config.utf8": "is not UTF-8 text (byte {position})",
    "config.depth": "is nested more than {limit} levels deep",
    "config.json": "is not valid JSON: {reason} (line {line}, column {column})",
    "config.constant": "{value} at line {line}, column {column} is not a number JSON allows; write a finite number",
    "config.encoded": "is not an encoded config ({reason})",
    "config.block_form": "a block is written either with its template's width fields or with its branches, not both",
    # devices and costs
    "device.unknown": "unknown device {value}; choose one of: {names}",
    "device.dtype": "{device} has no {dtype} peak (no such arithmetic, or no published figure); choose one of: {choices}",
    "device.unmeasured": "{name} has not been measured yet in this process",
    # upstream naming, ONNX and code import
    "naming.collision": "under the {rule} naming, {first} and {second} would both put modules at {path}; rename one",
    "onnx.unsupported": "{layer} cannot be written as ONNX: {reason}",
    "onnx.missing": "ONNX export needs the {package} package (pip install -r requirements.txt)",
    "code.syntax": "is not valid Python: {reason}",
    "code.size": "is {size} characters; the limit is {limit}",
    "code.depth": "is nested more than {limit} levels deep",
    "code.many": "has more than {limit} {what}",
    "code.statement": "{construct} is not supported; {hint}",
    "code.loop": "a {kind} loop is not supported; write the layers out",
    "code.import": "importing {module} is not supported; the reader understands torch, torch.nn, torch.nn.functional and d2l's torch",
    "code.call": "{call}(…) is not something the reader knows; it reads {known}",
    "code.argument": "{call}: {reason}",
    "code.literal": "{what} must be written as a literal (a number, a tuple of numbers, True/False or a string), got {got}",
    "code.huge": "{value} is far too large",
    "code.name": "{name} is not defined above",
    "code.forward": "{cls}.forward: {reason}",
    "code.channels": "{call} expects {declared} input {unit}, but the layer before it gives {actual}",
    "code.activation": "{act} after {after} is not supported; an activation follows a conv, a linear layer or a BatchNorm",
    "code.no_network": "no network found: assign nn.Sequential(…) to a name (as the lecture does with net = nn.Sequential(b1, …, b5, nn.Linear(1024, 10))), or paste a file with build_model() from Inception Studio",
    "code.builder": "{call}: {reason}",
}


def shown(value: Any, limit: int = MAX_SHOWN) -> str:
    """A user's value as a message repeats it: ``repr``, cut short, control characters escaped."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, int):
        if value.bit_length() > 4 * limit:  # far too long to print; str() of it would be slow too
            return f"a number of about {int(value.bit_length() * 0.30103)} digits"
        text = str(value)
        return text if len(text) <= limit else f"{text[:20]}… ({len(text.lstrip('-'))} digits)"
    if isinstance(value, float):
        return f"{value:g}"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class SpecError(ValueError):
    """A spec, config or knob value that cannot make a network; the message names the field.

    ``field`` is where ("b4.inception4c.c2.reduce"), ``code`` what (a key of ``MESSAGES``),
    ``values`` the values its message is filled with.
    """

    def __init__(self, field: str, code: str, /, **values: Any):
        self.field = field
        self.code = code
        self.values = values
        self.detail = MESSAGES[code].format(**values)
        super().__init__(f"{field}: {self.detail}" if field else self.detail)


class InputTooSmall(SpecError):
    """Some layer's output would be empty at this input size; ``layer`` names it and
    ``min_size`` is the smallest (height, width) that works, if one does."""

    def __init__(self, field: str, code: str, layer: str, min_size: Pair | None = None, **values: Any):
        self.layer = layer
        self.min_size = min_size
        super().__init__(field, code, **values)


class ShapeMismatch(SpecError):
    """Branches that cannot be merged at this input size; ``suggestions`` are nearby input
    sizes (height, width) that work."""

    def __init__(self, field: str, code: str, layer: str, suggestions: tuple[Pair, ...] = (), **values: Any):
        self.layer = layer
        self.suggestions = suggestions
        super().__init__(field, code, **values)
