"""Presets: named functions that return a fresh network spec.

A preset is registered once with a one-line description (a second registration of the same
name is refused, as in timm's ``register_model``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..spec import Network, SpecError


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    build: Callable[[], Network]


PRESETS: dict[str, Preset] = {}


def register_preset(name: str, description: str):
    def wrap(fn: Callable[[], Network]) -> Callable[[], Network]:
        if name in PRESETS:
            raise ValueError(f"preset {name!r} is already registered")
        PRESETS[name] = Preset(name, description, fn)
        return fn

    return wrap


def preset_names() -> list[str]:
    return list(PRESETS)


def get_preset(name: str) -> Network:
    """The preset's network, as published."""
    try:
        return PRESETS[name].build()
    except KeyError:
        raise SpecError("preset", f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}") from None


from . import googlenet  # noqa: E402,F401  (registers the presets, in picker order)
from . import inception_bn, inception_v3, inception_v4, inception_resnet_v2  # noqa: E402,F401
