"""The layer types: each one owns what it means — its checks, output shape, params, MACs,
receptive-field window, memory, the builder call that makes its module, and its label.

A layer here is a frozen dataclass holding only what its designer chose; the channels it
reads come from the layer before it and are passed in (``in_shape``). ``concrete`` fills in
what follows from the network (the width multiplier, a width that means "the classes"), so
the other methods see concrete numbers. ``call`` is the ``runtime.Builder`` method and
arguments that make the module: ``build`` calls it and ``codegen`` writes it, one definition
for both.

Counting: MACs are the multiply-accumulates of convolution and linear layers; a bias add,
BatchNorm, an activation or a pool counts none. Params are what ``numel`` counts
(BatchNorm's weight and bias; not its running statistics, which are buffers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, ClassVar, Union

from . import limits as L
from .errors import InputTooSmall, SpecError
from .values import check_bool, check_choice, check_float, check_int, check_pair

Pair = tuple[int, int]
Shape = tuple[int, ...]
ACTS = ("relu", "sigmoid", "none")
BYTES_PER_ELEMENT = 4  # fp32


def shape_str(shape: Shape) -> str:
    """``(64, 24, 24)`` → ``64×24×24``."""
    return "×".join(str(s) for s in shape)


def scaled(channels: int, width: float | Fraction) -> int:
    """Channels after the width multiplier, exactly ``max(1, ⌊c·m + ½⌋)`` for the decimal ``m``
    (``0.35`` is 7/20, not the binary float just below it: 90 × 0.35 = 31.5 rounds up to 32)."""
    if width == 1:
        return channels
    m = width if isinstance(width, Fraction) else Fraction(repr(float(width)))
    return max(1, math.floor(channels * m + Fraction(1, 2)))


def _text(p: Pair) -> str:
    return str(p[0]) if p[0] == p[1] else f"{p[0]}×{p[1]}"


def stride_text(s: Pair) -> str:
    return f"/{s[0]}" if s[0] == s[1] else f"/{s[0]}×{s[1]}"


def _needs_map(name: str, in_shape: Shape, field: str) -> None:
    if len(in_shape) != 3:
        raise SpecError(field, "layer.needs_map", name=name, features=f"{in_shape[0]:,}")


def _spatial(name: str, what: str, h: int, w: int, oh: int, ow: int, field: str) -> None:
    if oh < 1 or ow < 1:
        raise InputTooSmall(field, "layer.empty_output", layer=name, name=name, what=what,
                            out=f"{max(oh, 0)}×{max(ow, 0)}", size=f"{h}×{w}")


def conv_out(size: int, k: int, s: int, p: int, d: int = 1) -> int:
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def pool_out(size: int, k: int, s: int, p: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output size, with its ceil-mode rule: the last window must start
    inside the input or its left padding."""
    if ceil_mode:
        out = -(-(size + 2 * p - k) // s) + 1
        if (out - 1) * s >= size + p:
            out -= 1
        return out
    return (size + 2 * p - k) // s + 1


def adaptive_bins(size: int, out: int) -> list[tuple[int, int]]:
    """The [start, end) input rows of each output row of PyTorch's adaptive pooling."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


# --- the layer types --------------------------------------------------------------------------


@dataclass(frozen=True)
class Conv:
    """Conv2d, then (optionally) BatchNorm2d and an activation — torchvision's BasicConv2d; with
    ``order="pre"``, BatchNorm2d and the activation come first (DenseNet's BN → ReLU → conv).

    ``out=None`` is the number of classes (NiN's last conv), or for a residual block's
    projection, the block's input width.
    """

    name: str
    out: int | None
    kernel: Pair
    stride: Pair = (1, 1)
    padding: Pair = (0, 0)
    dilation: Pair = (1, 1)
    groups: int = 1
    bias: bool = True
    bn: bool = False
    bn_eps: float = 1e-5
    act: str = "relu"
    order: str = "post"
    type: ClassVar[str] = "conv"
    kind: ClassVar[str] = "conv"
    ORDERS: ClassVar[tuple[str, ...]] = ("post", "pre")

    def validate(self, field: str) -> None:
        if self.out is not None:
            check_int(f"{field}.out", self.out, 1, L.MAX_CHANNELS)
        check_pair(f"{field}.kernel", self.kernel, 1, L.MAX_KERNEL)
        check_pair(f"{field}.stride", self.stride, 1, L.MAX_STRIDE)
        check_pair(f"{field}.padding", self.padding, 0, L.MAX_PADDING)
        check_pair(f"{field}.dilation", self.dilation, 1, L.MAX_DILATION)
        check_int(f"{field}.groups", self.groups, 1, L.MAX_CHANNELS)
        check_bool(f"{field}.bias", self.bias)
        check_bool(f"{field}.bn", self.bn)
        check_float(f"{field}.bn_eps", self.bn_eps, 0.0, 1.0, lo_open=True)
        check_choice(f"{field}.act", self.act, ACTS)
        check_choice(f"{field}.order", self.order, self.ORDERS)

    def concrete(self, width, default_out: int) -> Conv:
        """The width multiplier applied (a derived width is never scaled)."""
        out = default_out if self.out is None else scaled(self.out, width)
        return self if out == self.out else replace(self, out=out)

    def out_shape(self, in_shape: Shape, field: str, name: str) -> Shape:
        _needs_map(name, in_shape, field)
        c, h, w = in_shape
        if c % self.groups or self.out % self.groups:
            raise SpecError(f"{field}.groups", "conv.groups", groups=self.groups, cin=c, cout=self.out)
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = self.kernel, self.stride, self.padding, self.dilation
        oh, ow = conv_out(h, kh, sh, ph, dh), conv_out(w, kw, sw, pw, dw)
        _spatial(name, self.label, h, w, oh, ow, field)
        return (self.out, oh, ow)

    def params(self, in_shape: Shape) -> int:
        c = in_shape[0]
        kh, kw = self.kernel
        norm = (c if self.order == "pre" else self.out) if self.bn else 0
        return self.out * (c // self.groups) * kh * kw + (self.out if self.bias else 0) + 2 * norm

    def macs(self, in_shape: Shape, out_shape: Shape) -> int:
        kh, kw = self.kernel
        return math.prod(out_shape) * (in_shape[0] // self.groups) * kh * kw

    def window(self) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
        """Per axis: (dilated kernel, stride, padding)."""
        return tuple(((k - 1) * d + 1, s, p) for k, s, p, d in zip(self.kernel, self.stride, self.padding, self.dilation))

    def transient_bytes(self, in_shape: Shape, out_shape: Shape) -> int:
        """Bytes alive during the step besides its input and output: the conv's own output
        while BatchNorm reads it, or the pre-activated input the conv reads."""
        if self.order == "pre":
            return nbytes(in_shape) if self.bn or self.act != "none" else 0
        return nbytes(out_shape) if self.bn else 0

    @property
    def label(self) -> str:
        return f"conv {shape_str(self.kernel)} {stride_text(self.stride)}"

    @property
    def details(self) -> tuple[str, ...]:
        """What the label leaves out, shortest first: ``pad 1``, ``BN``, ``groups 32``."""
        bits = []
        if self.padding != (0, 0):
            bits.append(f"pad {_text(self.padding)}")
        if self.dilation != (1, 1):
            bits.append(f"dilation {_text(self.dilation)}")
        if self.groups != 1:
            bits.append(f"groups {self.groups}")
        if self.order == "pre":
            first = [x for x in ("BN" if self.bn else "", self.act if self.act != "none" else "") if x]
            bits.append(" → ".join(first) + " before the conv" if first else "pre-activation order")
        else:
            if self.bn:
                bits.append("BN")
            if self.act == "none":
                bits.append("no activation")
            elif self.act != "relu":
                bits.append(self.act)
        return tuple(bits)

    def call(self, in_shape: Shape, project: bool = False) -> tuple[str, tuple, dict[str, Any]]:
        kw: dict[str, Any] = {}
        if project:
            for key, default in (("bias", True), ("bn", False), ("act", "none")):
                if getattr(self, key) != default:
                    kw[key] = getattr(self, key)
            if self.bn and self.bn_eps != 1e-5:
                kw["bn_eps"] = self.bn_eps
            return "project", (in_shape[0], self.out), kw
        for key, default in (("stride", (1, 1)), ("padding", (0, 0)), ("dilation", (1, 1)), ("groups", 1),
                             ("bias", True), ("bn", False)):
            if getattr(self, key) != default:
                kw[key] = getattr(self, key)
        if self.bn and self.bn_eps != 1e-5:
            kw["bn_eps"] = self.bn_eps
        if self.act != "relu":
            kw["act"] = self.act
        if self.order != "post":
            kw["order"] = self.order
        return "conv", (in_shape[0], self.out, self.kernel), kw


@dataclass(frozen=True)
class Pool:
    """MaxPool2d or AvgPool2d; ``ceil_mode`` as in PyTorch (Caffe's pools round up)."""

    name: str
    op: str  # "max" | "avg"
    kernel: Pair
    stride: Pair
    padding: Pair = (0, 0)
    ceil_mode: bool = False
    count_include_pad: bool = True  # avg pools only
    type: ClassVar[str] = "pool"
    OPS: ClassVar[tuple[str, ...]] = ("max", "avg")

    @property
    def kind(self) -> str:
        return f"{self.op}pool"

    def validate(self, field: str) -> None:
        check_choice(f"{field}.op", self.op, self.OPS)
        check_pair(f"{field}.kernel", self.kernel, 1, L.MAX_KERNEL)
        check_pair(f"{field}.stride", self.stride, 1, L.MAX_STRIDE)
        check_pair(f"{field}.padding", self.padding, 0, L.MAX_PADDING)
        check_bool(f"{field}.ceil_mode", self.ceil_mode)
        check_bool(f"{field}.count_include_pad", self.count_include_pad)
        (kh, kw), (ph, pw) = self.kernel, self.padding
        if 2 * ph > kh or 2 * pw > kw:
            raise SpecError(f"{field}.padding", "pool.padding", name=self.name, padding=f"{ph}×{pw}", kernel=f"{kh}×{kw}")

    def concrete(self, width, default_out: int) -> Pool:
        return self

    def out_shape(self, in_shape: Shape, field: str, name: str) -> Shape:
        _needs_map(name, in_shape, field)
        c, h, w = in_shape
        (kh, kw), (sh, sw), (ph, pw) = self.kernel, self.stride, self.padding
        oh, ow = pool_out(h, kh, sh, ph, self.ceil_mode), pool_out(w, kw, sw, pw, self.ceil_mode)
        _spatial(name, self.label, h, w, oh, ow, field)
        return (c, oh, ow)

    def params(self, in_shape: Shape) -> int:
        return 0

    def macs(self, in_shape: Shape, out_shape: Shape) -> int:
        return 0

    def window(self):
        return tuple(zip(self.kernel, self.stride, self.padding))

    def transient_bytes(self, in_shape: Shape, out_shape: Shape) -> int:
        # PyTorch's CPU max pool makes its argmax indices (int64) even without autograd
        return 2 * nbytes(out_shape) if self.op == "max" else 0

    @property
    def label(self) -> str:
        return f"{self.kind} {shape_str(self.kernel)} {stride_text(self.stride)}"

    @property
    def details(self) -> tuple[str, ...]:
        bits = []
        if self.padding != (0, 0):
            bits.append(f"pad {_text(self.padding)}")
        if self.ceil_mode:
            bits.append("ceil")
        if self.op == "avg" and not self.count_include_pad:
            bits.append("pads not counted")
        return tuple(bits)

    def call(self, in_shape: Shape) -> tuple[str, tuple, dict[str, Any]]:
        kw: dict[str, Any] = {}
        if self.padding != (0, 0):
            kw["padding"] = self.padding
        if self.ceil_mode:
            kw["ceil_mode"] = True
        if self.op == "avg" and not self.count_include_pad:
            kw["count_include_pad"] = False
        return "pool", (self.op, self.kernel, self.stride), kw


class _Pointwise:
    """A layer that keeps its input's shape (no receptive-field growth, no weights)."""

    def concrete(self, width, default_out: int):
        return self

    def out_shape(self, in_shape: Shape, field: str, name: str) -> Shape:
        return in_shape

    def params(self, in_shape: Shape) -> int:
        return 0

    def macs(self, in_shape: Shape, out_shape: Shape) -> int:
        return 0

    def window(self):
        return None

    def transient_bytes(self, in_shape: Shape, out_shape: Shape) -> int:
        return 0

    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class LRN(_Pointwise):
    """LocalResponseNorm across channels, as in the GoogLeNet paper's Caffe model."""

    name: str
    size: int = 5
    alpha: float = 1e-4
    beta: float = 0.75
    k: float = 1.0
    type: ClassVar[str] = "lrn"
    kind: ClassVar[str] = "lrn"

    def validate(self, field: str) -> None:
        check_int(f"{field}.size", self.size, 1, L.MAX_KERNEL)
        check_float(f"{field}.alpha", self.alpha, 0.0, 1e6)
        check_float(f"{field}.beta", self.beta, 0.0, 1e6)
        check_float(f"{field}.k", self.k, 0.0, 1e6)

    def out_shape(self, in_shape: Shape, field: str, name: str) -> Shape:
        _needs_map(name, in_shape, field)  # PyTorch's local_response_norm needs a spatial input
        return in_shape

    def transient_bytes(self, in_shape: Shape, out_shape: Shape) -> int:
        # torch.nn.functional.local_response_norm squares the input and pads it by size − 1
        # channels (both alive at once), averages that, then computes (avg·α + k)^β in one
        # expression, which holds the average, α·avg and α·avg + k together
        c, h, w = in_shape
        return BYTES_PER_ELEMENT * h * w * max(c + self.size - 1, 2 * c)

    @property
    def label(self) -> str:
        return f"LRN size {self.size}"

    def call(self, in_shape: Shape):
        return "lrn", (self.size,), {"alpha": self.alpha, "beta": self.beta, "k": self.k}


@dataclass(frozen=True)
class Dropout(_Pointwise):
    name: str
    p: float = 0.5
    type: ClassVar[str] = "dropout"
    kind: ClassVar[str] = "dropout"

    def validate(self, field: str) -> None:
        check_float(f"{field}.p", self.p, 0.0, 1.0)

    @property
    def label(self) -> str:
        return f"dropout p={self.p:g}"

    def call(self, in_shape: Shape):
        return "dropout", (self.p,), {}


@dataclass(frozen=True)
class BatchNorm(_Pointwise):
    """BatchNorm2d on its own, with an optional activation (DenseNet's closing BN → ReLU)."""

    name: str
    eps: float = 1e-5
    act: str = "none"
    type: ClassVar[str] = "batchnorm"
    kind: ClassVar[str] = "batchnorm"

    def validate(self, field: str) -> None:
        check_float(f"{field}.eps", self.eps, 0.0, 1.0, lo_open=True)
        check_choice(f"{field}.act", self.act, ACTS)

    def out_shape(self, in_shape: Shape, field: str, name: str) -> Shape:
        _needs_map(name, in_shape, field)  # BatchNorm2d
        return in_shape

    def params(self, in_shape: Shape) -> int:
        return 2 * in_shape[0]

    @property
    def label(self) -> str:
        return "batchnorm" + (f" → {self.act}" if self.act != "none" else "")

    def call(self, in_shape: Shape):
        kw: dict[str, Any] = {}
        if self.eps != 1e-5:
            kw["eps"] = self.eps
        if self.act != "none":
            kw["act"] = self.act
        return "batchnorm", (in_shape[0],), kw


@dataclass(frozen=True)
class AdaptiveAvgPool:
    """AdaptiveAvgPool2d to a fixed output size; (1, 1) is global average pooling."""

    name: str
    output: Pair = (1, 1)
    type: ClassVar[str] = "adaptive_avg_pool"
    kind: ClassVar[str] = "adaptive_avg_pool"
    details: ClassVar[tuple[str, ...]] = ()

    def validate(self, field: str) -> None:
        check_pair(f"{field}.output", self.output, 1, L.MAX_INPUT_SIZE)

    def concrete(self, width, default_out: int) -> AdaptiveAvgPool:
        return self

    def out_shape(self, in_shape: Shape, field: str, name: str) -> Shape:
        _needs_map(name, in_shape, field)
        return (in_shape[0], *self.output)

    def params(self, in_shape: Shape) -> int:
        return 0

    def macs(self, in_shape: Shape, out_shape: Shape) -> int:
        return 0

    def window(self):
        return "adaptive"

    def transient_bytes(self, in_shape: Shape, out_shape: Shape) -> int:
        return 0

    @property
    def label(self) -> str:
        return "global avgpool" if self.output == (1, 1) else f"adaptive avgpool → {shape_str(self.output)}"

    def call(self, in_shape: Shape):
        return "adaptive_avg_pool", (self.output,), {}


@dataclass(frozen=True)
class Flatten(_Pointwise):
    name: str
    type: ClassVar[str] = "flatten"
    kind: ClassVar[str] = "flatten"
    label: ClassVar[str] = "flatten"

    def validate(self, field: str) -> None:
        pass

    def out_shape(self, in_shape: Shape, field: str, name: str) -> Shape:
        return (math.prod(in_shape),)

    def window(self):
        return "all"

    def call(self, in_shape: Shape):
        return "flatten", (), {}


@dataclass(frozen=True)
class Linear:
    """A fully connected layer, with an optional activation; ``out=None`` is the number of classes."""

    name: str
    out: int | None = None
    bias: bool = True
    act: str = "none"
    type: ClassVar[str] = "linear"
    kind: ClassVar[str] = "linear"

    def validate(self, field: str) -> None:
        if self.out is not None:
            check_int(f"{field}.out", self.out, 1, L.MAX_CHANNELS)
        check_bool(f"{field}.bias", self.bias)
        check_choice(f"{field}.act", self.act, ACTS)

    def concrete(self, width, default_out: int) -> Linear:
        return self if self.out is not None else replace(self, out=default_out)

    def out_shape(self, in_shape: Shape, field: str, name: str) -> Shape:
        if len(in_shape) != 1:
            raise SpecError(field, "layer.needs_flat", name=name, shape=shape_str(in_shape))
        return (self.out,)

    def params(self, in_shape: Shape) -> int:
        return in_shape[0] * self.out + (self.out if self.bias else 0)

    def macs(self, in_shape: Shape, out_shape: Shape) -> int:
        return in_shape[0] * self.out

    def window(self):
        return None

    def transient_bytes(self, in_shape: Shape, out_shape: Shape) -> int:
        return 0

    @property
    def label(self) -> str:
        return "linear"

    @property
    def details(self) -> tuple[str, ...]:
        return (self.act,) if self.act != "none" else ()

    def call(self, in_shape: Shape):
        kw: dict[str, Any] = {}
        if not self.bias:
            kw["bias"] = False
        if self.act != "none":
            kw["act"] = self.act
        return "linear", (in_shape[0], self.out), kw


Layer = Union[Conv, Pool, LRN, Dropout, BatchNorm, AdaptiveAvgPool, Flatten, Linear]
LAYER_TYPES: dict[str, type] = {
    cls.type: cls for cls in (Conv, Pool, LRN, Dropout, BatchNorm, AdaptiveAvgPool, Flatten, Linear)
}
LAYER_CLASSES = tuple(LAYER_TYPES.values())


def nbytes(shape: Shape) -> int:
    return BYTES_PER_ELEMENT * math.prod(shape)


def allocates(layer: Layer) -> bool:
    """Whether the layer's step makes a new tensor at inference (flatten is a view; dropout
    returns its input)."""
    return not isinstance(layer, (Flatten, Dropout))
