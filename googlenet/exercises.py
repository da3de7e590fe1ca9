"""The exercises of the GoogLeNet chapter of *Dive into Deep Learning*, answered with this
project's own numbers. Each function returns what one exercise's card shows, computed from the
analysis of the networks it names, so no number in an answer is ever typed in.

The English edition (1.0) asks five questions, the Chinese edition (2.0) three; ``EXERCISES``
maps both onto one list (the Chinese three are the English 1, 2 and 4).

Bytes are fp32 at batch 1, as everywhere in the analysis. The arithmetic intensity of card 5 is
FLOPs per byte moved, counting each weight once and each layer's output once (the analysis's
``weights_bytes`` and ``activation_bytes``); per layer, a conv or linear layer reads its input
and weights and writes its output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from . import edit, rewrites
from .analysis import Analysis, Node, analyze, smallest_input
from .errors import SpecError
from .layers import BYTES_PER_ELEMENT
from .presets import PRESETS, get_preset
from .spec import Network

LECTURE = "d2l"
PARAMS_COMPARED = ("d2l-alexnet", "d2l-vgg11", "d2l-nin", "d2l")  # exercise 4 (zh 3), in the book's order
ALEXNET = "d2l-alexnet"
MNIST = 28  # Fashion-MNIST's native resolution


@dataclass(frozen=True)
class Exercise:
    """One card: its place in the list and its number in each edition (None: not in it)."""

    key: str
    en: int | None  # English edition 1.0, chapter_convolutional-modern/googlenet.md
    zh: int | None  # Chinese edition 2.0, the same file of d2l-zh


EXERCISES = (
    Exercise("iterations", 1, 1),
    Exercise("min_size", 2, 2),
    Exercise("mnist", 3, None),
    Exercise("params", 4, 3),
    Exercise("computation", 5, None),
)


@dataclass(frozen=True)
class Cost:
    """The totals a card compares, from one analysis."""

    params: int
    macs: int
    weights_bytes: int
    activation_bytes: int
    peak_activation_bytes: int
    depth: int

    @property
    def flops(self) -> int:
        return 2 * self.macs

    @classmethod
    def of(cls, a: Analysis) -> Cost:
        t = a.totals
        return cls(t.params, t.macs, t.weights_bytes, t.activation_bytes, t.peak_activation_bytes, t.depth)


def lecture() -> Network:
    return get_preset(LECTURE)


# --- 1. the family's iterations ---------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """A one-click variant of the lecture's network: which part of exercise 1 it answers, the
    network, its cost, and the blocks whose layers differ from the original's."""

    key: str  # batchnorm | factorize_5x5 | factorize_nxn | label_smoothing | residual
    part: str  # a, b, c, d
    network: Network
    cost: Cost
    changed: tuple[str, ...]


def _changed_blocks(before: Network, after: Network) -> tuple[str, ...]:
    old = {b.name: b for b in before.blocks()}
    return tuple(b.name for b in after.blocks() if old.get(b.name) != b)


def residual_blocks(a: Analysis) -> tuple[str, ...]:
    """The blocks whose output has as many channels as their input: made residual, their 1×1
    projection maps the branches back to that width, so no other layer's shape changes."""
    return tuple(b.name for b in a.blocks if b.in_shape[0] == b.out_shape[0])


def iterations(base: Network | None = None) -> tuple[Variant, ...]:
    """Exercise 1: (a) BatchNorm after every conv; (b) the block adjusted, two ways (each 5×5
    → two 3×3, Inception-v2; each n×n → 1×n then n×1, Inception-v3); (c) label smoothing, which
    changes the loss and not the network; (d) residual connections."""
    base = base or lecture()
    a0 = analyze(base)
    res = residual_blocks(a0)
    residual = base
    for name in res:
        residual = rewrites.make_residual(residual, name)
    made = (
        ("batchnorm", "a", rewrites.add_batchnorm(base)),
        ("factorize_5x5", "b", rewrites.factorize_5x5(base)),
        ("factorize_nxn", "b", rewrites.factorize_nxn(base)),
        ("label_smoothing", "c", base),
        ("residual", "d", residual),
    )
    out = []
    for key, part, net in made:
        if net is not base:
            net = replace(net, name=f"{base.name}-{key.replace('_', '-')}")
        out.append(Variant(key, part, net, Cost.of(analyze(net)), _changed_blocks(base, net)))
    return tuple(out)


# --- 2. the smallest image ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Downsampler:
    """A layer that shrinks the image (stride > 1, or a window larger than its padding makes
    up for): the smallest input side it accepts, and whether its output is ⌈n / stride⌉."""

    name: str
    label: str
    needs: tuple[int, int]  # the smallest (height, width) it takes without an empty output
    rounds_up: bool


def _smallest_side(layer, channels: int, axis: int, limit: int = 4096) -> int:
    for n in range(1, limit + 1):
        shape = (channels, n, 1 << 16) if axis == 0 else (channels, 1 << 16, n)
        try:
            layer.out_shape(shape, "", layer.name)
        except SpecError:
            continue
        return n
    return limit


def _rounds_up(layer, channels: int) -> bool:
    """Whether every input side 1…64 gives ⌈n / stride⌉ on both axes."""
    for n in range(1, 65):
        try:
            _, oh, ow = layer.out_shape((channels, n, n), "", layer.name)
        except SpecError:
            return False
        sh, sw = layer.stride
        if (oh, ow) != (-(-n // sh), -(-n // sw)):
            return False
    return True


def downsamplers(a: Analysis) -> tuple[Downsampler, ...]:
    """The layers of the inference path that shrink the image, in order."""
    out = []
    for n in a.layers:
        if n.aux or n.kernel is None or len(n.in_shape) != 3:
            continue
        layer = n.layer
        stride = getattr(layer, "stride", (1, 1))
        needs = (_smallest_side(layer, n.in_shape[0], 0), _smallest_side(layer, n.in_shape[0], 1))
        if stride == (1, 1) and needs == (1, 1):
            continue  # keeps the size
        out.append(Downsampler(n.key, n.label, needs, _rounds_up(layer, n.in_shape[0])))
    return tuple(out)


@dataclass(frozen=True)
class Failure:
    """A refusal as plain data: the error's code, the layer that fails first, and its cause's
    code and values (``layer.empty_output`` with ``name``, ``what``, ``out``, ``size``). Answers
    are shared by every session, so they hold no exception objects."""

    code: str
    layer: str | None
    cause_code: str | None = None
    cause: tuple[tuple[str, str], ...] = ()

    def value(self, name: str) -> str | None:
        return dict(self.cause).get(name)

    @property
    def size(self) -> str | None:
        """The size the failing layer receives (``6×6``), when the error says."""
        return self.value("size") if self.cause_code == "layer.empty_output" else None

    @classmethod
    def of(cls, err: SpecError) -> Failure:
        cause = getattr(err, "cause", None)
        values = tuple((k, str(v)) for k, v in cause.values.items()) if isinstance(cause, SpecError) else ()
        return cls(err.code, getattr(err, "layer", None), cause.code if isinstance(cause, SpecError) else None, values)


@dataclass(frozen=True)
class MinimumSize:
    """Exercise 2 for one network: its default input, the smallest that works, and what the
    analysis says one pixel below it (None when the smallest is 1×1)."""

    preset: str
    input: tuple[int, int, int]
    smallest: tuple[int, int] | None
    below: tuple[int, int] | None
    failure: Failure | None
    fixed: tuple[Downsampler, ...]  # the layers that do not round up

    @property
    def layer(self) -> str | None:
        """The layer that fails first one pixel below the smallest input."""
        return self.failure.layer if self.failure else None

    @property
    def any_size(self) -> bool:
        return self.smallest == (1, 1)


def minimum_size(preset: str) -> MinimumSize:
    net = get_preset(preset)
    a = analyze(net)
    least = smallest_input(net)
    below = failure = None
    if least is not None and least != (1, 1):
        below = (max(1, least[0] - 1), max(1, least[1] - 1))
        try:
            analyze(replace(net, input=(net.input[0], *below)))
        except SpecError as err:
            failure = Failure.of(err)
    fixed = tuple(d for d in downsamplers(a) if not d.rounds_up)
    return MinimumSize(preset, tuple(net.input), least, below, failure, fixed)


def minimum_sizes(presets: tuple[str, ...] | None = None) -> tuple[MinimumSize, ...]:
    """Exercise 2: every preset (or ``presets``)."""
    return tuple(minimum_size(p) for p in (presets or tuple(PRESETS)))


# --- 3. a variant for 28×28 --------------------------------------------------------------------------------


def mnist_variant(base: Network | None = None, size: int = MNIST) -> Network:
    """A starting design for ``size``×``size`` images. The stem's 7×7 /2 conv and 3×3 /2 pool
    shrink 96 to 24 before the first block; for 28 the stem keeps the resolution (a 3×3 /1 conv
    with padding 1, no pool), so the blocks see 14, 7 and 4 pixels where the original's see 12,
    6 and 3. The body's blocks and the head (global average pool, one linear layer) stay."""
    base = base or lecture()
    net = replace(base, name=f"{base.name}-{size}x{size}", input=(base.input[0], size, size))
    net = edit.set_layer(net, "conv1", kernel=(3, 3), stride=(1, 1), padding=(1, 1))
    return edit.remove_layer(net, "maxpool1")


@dataclass(frozen=True)
class StageRow:
    """One stage in the three designs of exercise 3 (None: the stage has no layers there)."""

    stage: str
    original: Node | None
    as_is: Node | None
    variant: Node | None


@dataclass(frozen=True)
class Mnist:
    original: Analysis  # the lecture's network at its 96×96
    as_is: Analysis  # the same network fed 28×28
    variant: Analysis  # the starting design for 28×28
    stages: tuple[StageRow, ...]

    @property
    def last_map(self) -> tuple[Node, Node, Node]:
        """The last layer before the global average pool in each: where the features are."""
        return tuple(_last_map(a) for a in (self.original, self.as_is, self.variant))


def _last_map(a: Analysis) -> Node:
    """The last layer of the inference path whose output is still a feature map before the
    global average pool (or the last feature map, when there is none)."""
    maps = []
    for n in a.layers:
        if n.aux:
            continue
        if n.kind == "adaptive_avg_pool":
            break
        if len(n.out_shape) == 3:
            maps.append(n)
    return maps[-1]


def mnist(base: Network | None = None, size: int = MNIST) -> Mnist:
    base = base or lecture()
    original = analyze(base)
    as_is = analyze(replace(base, input=(base.input[0], size, size)))
    variant = analyze(mnist_variant(base, size))
    names = list(dict.fromkeys(s.name for a in (original, as_is, variant) for s in a.stages))

    def stage(a: Analysis, name: str) -> Node | None:
        return next((s for s in a.stages if s.name == name), None)

    rows = tuple(StageRow(n, stage(original, n), stage(as_is, n), stage(variant, n)) for n in names)
    return Mnist(original, as_is, variant, rows)


# --- 4. where the parameters are -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParamSites:
    """Exercise 4 for one network: its params split by where they sit."""

    preset: str
    analysis: Analysis
    conv_1x1: int  # 1×1 convolutions (with their biases, and BatchNorm after them)
    conv_kxk: int  # every other convolution
    linear: int  # fully connected layers
    other: int  # anything else with weights (BatchNorm layers of their own)
    largest: Node  # the layer with the most params

    @property
    def params(self) -> int:
        return self.analysis.totals.params


def param_sites(preset: str) -> ParamSites:
    a = analyze(get_preset(preset))
    one = kxk = lin = other = 0
    for n in a.layers:
        if n.aux:
            continue
        if n.kind == "conv":
            if n.kernel == (1, 1):
                one += n.params
            else:
                kxk += n.params
        elif n.kind == "linear":
            lin += n.params
        else:
            other += n.params
    largest = max((n for n in a.layers if not n.aux), key=lambda n: n.params)
    return ParamSites(preset, a, one, kxk, lin, other, largest)


def params_compared(presets: tuple[str, ...] = PARAMS_COMPARED) -> tuple[ParamSites, ...]:
    return tuple(param_sites(p) for p in presets)


def without_reduces(base: Network | None = None) -> Analysis:
    """The lecture's network with every block's 1×1 reduces removed (the larger convs read the
    block's whole input): what the reduces save."""
    base = base or lecture()
    return analyze(replace(rewrites.remove_reduces(base), name=f"{base.name}-no-reduces"))


# --- 5. computation and what it asks of an accelerator ----------------------------------------------------------


@dataclass(frozen=True)
class LayerTraffic:
    """One conv or linear layer: its MACs and the bytes it moves (weights read, input read,
    output written), and their ratio."""

    key: str
    kind: str
    kernel: tuple[int, int] | None  # None for a linear layer
    macs: int
    bytes: int

    @property
    def intensity(self) -> float:
        return 2 * self.macs / self.bytes if self.bytes else math.inf


@dataclass(frozen=True)
class Traffic:
    """Exercise 5 for one network, from the analysis's own counts."""

    name: str
    input: tuple[int, ...]
    macs: int
    weights_bytes: int
    activation_bytes: int
    peak_activation_bytes: int
    largest_weights: Node  # the layer whose weights take most memory
    largest_output: Node  # the layer whose output takes most memory
    linear_weights_bytes: int  # the weights of the fully connected layers
    layers: tuple[LayerTraffic, ...]

    @property
    def flops(self) -> int:
        return 2 * self.macs

    @property
    def intensity(self) -> float:
        """FLOPs per byte: every weight read once and every layer output written once."""
        return self.flops / (self.weights_bytes + self.activation_bytes)

def traffic(a: Analysis) -> Traffic:
    """What one inference pass at batch 1 computes and moves. This is the one function to swap
    for a hardware model's roofline: it returns per-layer MACs, bytes and intensity."""
    t = a.totals
    main = [n for n in a.layers if not n.aux]
    layers = tuple(
        LayerTraffic(n.key, n.kind, n.kernel, n.macs,
                     BYTES_PER_ELEMENT * (n.params + math.prod(n.in_shape) + math.prod(n.out_shape)))
        for n in main if n.kind in ("conv", "linear")
    )
    return Traffic(
        a.network.name, tuple(a.network.input), t.macs, t.weights_bytes, t.activation_bytes, t.peak_activation_bytes,
        max(main, key=lambda n: n.params), max(main, key=lambda n: n.out_bytes),
        BYTES_PER_ELEMENT * sum(n.params for n in main if n.kind == "linear"), layers,
    )


def computation(base: Network | None = None, size: int = 224) -> tuple[Traffic, Traffic, Traffic]:
    """Exercise 5: the lecture's GoogLeNet at its 96×96 and at AlexNet's ``size``, and AlexNet."""
    base = base or lecture()
    big = replace(base, input=(base.input[0], size, size))
    return traffic(analyze(base)), traffic(analyze(big)), traffic(analyze(get_preset(ALEXNET)))
