"""The declarative description of a network: stages of layers and blocks, a head, aux heads.

A block is data: parallel branches of layers (a branch may end in a split into parallel
sub-paths, Inception-v3's 1×3 | 3×1; a branch with no layers is the identity) and how they
merge — ``concat``, or ``add`` with an optional 1×1 projection and a scale — with an optional
activation after the merge. That covers Inception v1–v4, Inception-ResNet, ResNet's blocks
and DenseNet's layer. A block made by a template (``templates.py``: the lecture's
``Inception(c1, c2, c3, c4)`` and the family's kinds) also remembers the template's name and
the widths it was made with, so while it still matches them it keeps the lecture's
vocabulary (``c1``, ``c2 = (reduce, out)``, …).

Everything is a frozen dataclass: hashable (so it keys caches), comparable, and round-trips
through JSON (``config.py``). Channels flowing into a layer are never stored: they follow
from the layer before it when the network is analysed or built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Union

from .errors import InputTooSmall, ShapeMismatch, SpecError
from .layers import (
    ACTS,
    LAYER_CLASSES,
    LAYER_TYPES,
    LRN,
    AdaptiveAvgPool,
    BatchNorm,
    Conv,
    Dropout,
    Flatten,
    Layer,
    Linear,
    Pool,
    scaled,
    shape_str,
)

__all__ = [
    "ACTS", "LAYER_CLASSES", "LAYER_TYPES", "LRN", "MERGES", "AdaptiveAvgPool", "AuxHead", "BatchNorm", "Block", "Branch",
    "Conv", "Dropout", "Flatten", "InputTooSmall", "Item", "Layer", "Linear", "Network", "Pool", "ShapeMismatch",
    "SpecError", "Stage", "Style", "scaled", "shape_str",
]

MERGES = ("concat", "add")


@dataclass(frozen=True)
class Branch:
    """One path of a block: layers in sequence, then optionally parallel sub-branches whose
    outputs are concatenated. No layers and no split: the identity (the block's input)."""

    name: str
    layers: tuple[Layer, ...] = ()
    split: tuple[Branch, ...] = ()

    @property
    def identity(self) -> bool:
        return not self.layers and not self.split


@dataclass(frozen=True)
class Block:
    """Parallel branches reading one input, and their merge.

    ``concat``: the branch outputs side by side along channels (an identity branch adds the
    input itself, as in DenseNet). ``add``: ``act(x + scale · R)``, where ``x`` is the input
    (once per identity branch) and ``R`` is ``project`` applied to the concatenated other
    branches (Inception-ResNet), or their sum when there is no projection (ResNet, whose
    shortcut is an identity branch or a branch with a 1×1 conv). ``act`` follows the merge.

    ``kind`` and ``widths``: the template the block was made from and its width fields
    (``(("c1", (64,)), ("c2", (96, 128)), …)``), kept as its vocabulary; ``None`` and ``()``
    for a block written out by hand.
    """

    name: str
    branches: tuple[Branch, ...]
    merge: str = "concat"
    project: Conv | None = None
    scale: float = 1.0
    act: str = "none"
    kind: str | None = None
    widths: tuple[tuple[str, tuple[int, ...]], ...] = ()
    type: ClassVar[str] = "block"

    def width(self, field_name: str) -> tuple[int, ...]:
        for key, value in self.widths:
            if key == field_name:
                return value
        raise KeyError(f"{self.name} has no width field {field_name!r}")

    @property
    def residual(self) -> bool:
        return self.merge == "add"


Item = Union[Layer, Block]


@dataclass(frozen=True)
class Stage:
    """A run of items at (mostly) one resolution; ``repeat`` names the template whose block
    count is a knob (new blocks copy the last one made from it)."""

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
    """How templates make the convolutions of their blocks, and the family's documented quirks."""

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
    width: float = 1.0  # multiplier on every conv's output channels, see ``layers.scaled``
    description: str = ""
    # where the built module puts each layer (``naming.RULES``): "studio" (our own names) or an
    # upstream implementation's, so that its checkpoints load by key
    naming: str = "studio"

    def blocks(self) -> list[Block]:
        return [it for st in self.stages for it in st.items if isinstance(it, Block)]

    def block(self, name: str) -> Block:
        for b in self.blocks():
            if b.name == name:
                return b
        raise SpecError("blocks", "block.unknown", value=repr(name))

    def stage_of(self, item_name: str) -> Stage:
        for st in self.stages:
            if any(it.name == item_name for it in st.items):
                return st
        raise SpecError("blocks", "block.unknown", value=repr(item_name))
