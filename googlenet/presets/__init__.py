"""Presets: named functions that return a fresh network spec, listed in one table.

``PRESETS`` is in picker order: the lecture's GoogLeNet and the family, then the networks of
the book's chapter that the lecture compares GoogLeNet with (``group`` says which).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..errors import SpecError
from ..spec import Network
from . import book, googlenet, inception_bn, inception_resnet_v2, inception_v3, inception_v4


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    build: Callable[[], Network]
    group: str = "family"  # "family" | "book"


FAMILY = "family"
BOOK = "book"

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("d2l", "The lecture's GoogLeNet (Dive into Deep Learning): 1×96×96, 10 classes, no BN", googlenet.d2l),
        Preset("googlenet", "The paper's GoogLeNet (Szegedy et al. 2014): LRN, 7×7 average pool, optional aux heads", googlenet.googlenet),
        Preset(
            "googlenet-torchvision",
            "torchvision's GoogLeNet: conv → BN → ReLU, 3×3 in the \"5×5\" path, ceil-mode pools",
            googlenet.googlenet_torchvision,
        ),
        Preset(
            "inception-bn",
            "BN-Inception (Ioffe & Szegedy 2015): BatchNorm after every conv, 3×3 pairs for 5×5, stride-2 blocks",
            inception_bn.inception_bn,
        ),
        Preset(
            "inception-v3",
            "torchvision's Inception-v3: 299×299, factorised 7×7 and 1×3|3×1 convs, optional aux head",
            inception_v3.inception_v3,
        ),
        Preset("inception-v4", "timm's Inception-v4: 299×299, a branching stem, 4 × A, 7 × B, 3 × C blocks", inception_v4.inception_v4),
        Preset(
            "inception-resnet-v2",
            "timm's Inception-ResNet-v2: 299×299, 10 × A, 20 × B, 10 × C residual blocks with scaled adds",
            inception_resnet_v2.inception_resnet_v2,
        ),
        Preset("d2l-lenet", "The book's LeNet: 1×28×28, sigmoid activations, average pools", book.lenet, BOOK),
        Preset("d2l-alexnet", "The book's AlexNet: 1×224×224, 11×11 /4 first conv, two 4096-wide linear layers", book.alexnet, BOOK),
        Preset("d2l-vgg11", "The book's VGG-11: 1×224×224, five VGG blocks of 3×3 convs", book.vgg11, BOOK),
        Preset("d2l-nin", "The book's NiN: 1×224×224, NiN blocks of a conv and two 1×1 convs, global average pool", book.nin, BOOK),
        Preset("d2l-resnet18", "The book's ResNet-18: 1×96×96, residual blocks with BatchNorm", book.resnet18, BOOK),
        Preset("d2l-densenet", "The book's DenseNet: 1×96×96, four dense blocks of BN → ReLU → conv layers", book.densenet, BOOK),
    )
}


def preset_names(group: str | None = None) -> list[str]:
    return [n for n, p in PRESETS.items() if group is None or p.group == group]


def get_preset(name: str) -> Network:
    """The preset's network, as published."""
    try:
        return PRESETS[name].build()
    except KeyError:
        raise SpecError("preset", "preset.unknown", value=repr(name), names=", ".join(PRESETS)) from None
