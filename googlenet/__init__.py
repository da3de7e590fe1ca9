"""Inception Studio's core: spec → (build | analyze | render | codegen) for the Inception family."""

from .analysis import Analysis, LayerInfo, analyze
from .presets import PRESETS, get_preset, preset_names
from .spec import Block, InputTooSmall, Network, SpecError

__all__ = [
    "PRESETS",
    "Analysis",
    "Block",
    "InputTooSmall",
    "LayerInfo",
    "Network",
    "SpecError",
    "analyze",
    "get_preset",
    "preset_names",
]
