"""The declarative description of an Inception-family network.

A network is stages of items; an item is a plain layer (the stem's convs and pools) or a
block; a block stores only what its designer chose (its kind and each branch's widths) and
is expanded into parallel branches of layers by its kind (see ``blocks.py``). Everything is
a frozen dataclass: hashable (so it keys caches), comparable, and round-trips through JSON
(see ``config.py``). Channels flowing into a layer are never stored: they are derived from
the previous layer when the network is analysed or built.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar, Union

Pair = tuple[int, int]


class SpecError(ValueError):
    """A spec or config value that cannot make a network; the message names the field."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.detail = message
        super().__init__(f"{field}: {message}" if field else message)


class InputTooSmall(SpecError):
    """The input is too small: some layer's output would be empty."""

    def __init__(self, field: str, message: str, layer: str, min_size: Pair | None = None):
        self.layer = layer
        self.min_size = min_size
        super().__init__(field, message)


class ShapeMismatch(SpecError):
    """Branches that cannot be merged at this input size (their spatial sizes differ);
    ``suggestions`` are nearby input sizes (height, width) that work."""

    def __init__(self, field: str, message: str, layer: str, suggestions: tuple[tuple[int, int], ...] = ()):
        self.layer = layer
        self.suggestions = suggestions
        super().__init__(field, message)


# --- layers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conv:
    """Conv2d, optionally followed by BatchNorm2d and an activation (torchvision's BasicConv2d)."""

    name: str
    out: int
    kernel: Pair
    stride: Pair = (1, 1)
    padding: Pair = (0, 0)
    bias: bool = True
    bn: bool = False
    bn_eps: float = 1e-5
    act: bool = True  # ReLU after the conv (and BN)
    type: ClassVar[str] = "conv"


@dataclass(frozen=True)
class Pool:
    """MaxPool2d or AvgPool2d; ``ceil_mode`` as in PyTorch (Caffe pools round up)."""

    name: str
    op: str  # "max" | "avg"
    kernel: Pair
    stride: Pair
    padding: Pair = (0, 0)
    ceil_mode: bool = False
    count_include_pad: bool = True  # avg pools only
    type: ClassVar[str] = "pool"


@dataclass(frozen=True)
class LRN:
    """LocalResponseNorm across channels, as in the GoogLeNet paper's Caffe model."""

    name: str
    size: int = 5
    alpha: float = 1e-4
    beta: float = 0.75
    k: float = 1.0
    type: ClassVar[str] = "lrn"


@dataclass(frozen=True)
class Dropout:
    name: str
    p: float = 0.5
    type: ClassVar[str] = "dropout"


@dataclass(frozen=True)
class AdaptiveAvgPool:
    """AdaptiveAvgPool2d to a fixed output size; (1, 1) is global average pooling."""

    name: str
    output: Pair = (1, 1)
    type: ClassVar[str] = "adaptive_avg_pool"


@dataclass(frozen=True)
class Flatten:
    name: str
    type: ClassVar[str] = "flatten"


@dataclass(frozen=True)
class Linear:
    """Fully connected layer; ``out=None`` means the network's number of classes."""

    name: str
    out: int | None = None
    bias: bool = True
    act: bool = False
    type: ClassVar[str] = "linear"


Layer = Union[Conv, Pool, LRN, Dropout, AdaptiveAvgPool, Flatten, Linear]
LAYER_TYPES: dict[str, type] = {
    cls.type: cls for cls in (Conv, Pool, LRN, Dropout, AdaptiveAvgPool, Flatten, Linear)
}


# --- blocks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Branch:
    """One path of a block: layers in sequence, then optionally parallel sub-branches whose
    outputs are concatenated (Inception-v3's 1×3 / 3×1 split at the end of a path)."""

    name: str
    layers: tuple[Layer, ...]
    split: tuple[Branch, ...] = ()


@dataclass(frozen=True)
class Block:
    """A multi-branch block: its kind (see ``blocks.KINDS``) and the widths of its branches.

    ``widths`` maps each width field of the kind to a tuple of channel counts, e.g. the
    lecture's Inception block has ``c1=(64,)``, ``c2=(96, 128)``, ``c3=(16, 32)``, ``c4=(32,)``.
    ``scale`` and ``act`` apply to residual kinds only: the branch sum is scaled before the
    add, and a ReLU follows the add unless ``act`` is false.
    """

    name: str
    kind: str
    widths: tuple[tuple[str, tuple[int, ...]], ...]
    scale: float = 1.0
    act: bool = True
    type: ClassVar[str] = "block"

    def width(self, field_name: str) -> tuple[int, ...]:
        for key, value in self.widths:
            if key == field_name:
                return value
        raise KeyError(f"{self.name} has no width field {field_name!r}")

    def with_width(self, field_name: str, value: tuple[int, ...]) -> Block:
        if all(key != field_name for key, _ in self.widths):
            raise SpecError(f"{self.name}.{field_name}", "no such width field")
        return replace(
            self, widths=tuple((k, tuple(value) if k == field_name else v) for k, v in self.widths)
        )


Item = Union[Layer, Block]


@dataclass(frozen=True)
class Stage:
    """A run of items at (mostly) one resolution; ``repeat`` names the block kind whose
    count is a knob (new blocks copy the last one of that kind)."""

    name: str
    items: tuple[Item, ...]
    repeat: str | None = None


@dataclass(frozen=True)
class AuxHead:
    """An auxiliary classifier fed by the output of block ``after``; trains only."""

    name: str
    after: str
    layers: tuple[Layer, ...]


@dataclass(frozen=True)
class Style:
    """How the convolutions inside blocks are made, and the family's documented quirks."""

    conv_bias: bool = True
    batch_norm: bool = False
    bn_eps: float = 1e-5
    # GoogLeNet's third path is 1×1 → 5×5 in the paper; torchvision's weights (ported from
    # TensorFlow) use a 3×3 there, a known quirk kept for compatibility (pytorch/vision#906).
    branch3_kernel: int = 5
    # ceil_mode of the 3×3/1 max pool on the fourth path (torchvision sets it; with stride 1
    # and padding 1 it never changes a shape).
    pool_ceil: bool = False


@dataclass(frozen=True)
class Network:
    name: str
    input: tuple[int, int, int]  # (channels, height, width)
    classes: int
    stages: tuple[Stage, ...]
    head: tuple[Layer, ...] = ()
    style: Style = field(default_factory=Style)
    aux: tuple[AuxHead, ...] = ()
    aux_enabled: bool = False
    width: float = 1.0  # multiplier on every conv's output channels, see ``scaled``
    description: str = ""

    def blocks(self) -> list[Block]:
        return [it for st in self.stages for it in st.items if isinstance(it, Block)]

    def block(self, name: str) -> Block:
        for b in self.blocks():
            if b.name == name:
                return b
        raise SpecError("blocks", f"no block named {name!r}")


def scaled(channels: int, width: float) -> int:
    """Channels after the width multiplier: round half up, at least 1 (``max(1, ⌊c·m + ½⌋)``)."""
    if width == 1.0:
        return channels
    return max(1, int(channels * width + 0.5))
