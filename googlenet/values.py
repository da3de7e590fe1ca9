"""Checks of single values (whole numbers, numbers, flags, names, pairs, choices) against the
limits; each failure is a ``SpecError`` naming the field. The one place ranges are checked:
layers, blocks, the network and the knobs all call these."""

from __future__ import annotations

import math
from functools import lru_cache

from . import limits as L
from .errors import SpecError, shown


def check_int(field: str, value, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(field, "int.type", value=shown(value))
    if value < lo:
        raise SpecError(field, "int.min", lo=f"{lo:,}", value=shown(value))
    if value > hi:
        raise SpecError(field, "int.max", hi=f"{hi:,}", value=shown(value))


def check_float(field: str, value, lo: float, hi: float, lo_open: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(field, "float.type", value=shown(value))
    if isinstance(value, int) and abs(value) > 10**12:  # float() of a 400-digit integer overflows
        raise SpecError(field, "float.max", hi=f"{hi:g}", value=shown(value))
    if not math.isfinite(value):
        raise SpecError(field, "float.finite", value=shown(value))
    if value < lo or (lo_open and value == lo):
        raise SpecError(field, "float.above" if lo_open else "float.min", lo=f"{lo:g}", value=f"{value:g}")
    if value > hi:
        raise SpecError(field, "float.max", hi=f"{hi:g}", value=f"{value:g}")


def check_bool(field: str, value) -> None:
    if not isinstance(value, bool):
        raise SpecError(field, "bool.type", value=shown(value))


def check_choice(field: str, value, choices: tuple[str, ...]) -> None:
    if not isinstance(value, str) or value not in choices:
        raise SpecError(field, "choice", choices=", ".join(choices), value=shown(value))


def check_pair(field: str, value, lo: int, hi: int) -> None:
    if not isinstance(value, tuple) or len(value) != 2:
        raise SpecError(field, "pair.type", value=shown(value))
    for axis, v in zip(("height", "width"), value):
        check_int(f"{field}.{axis}", v, lo, hi)


@lru_cache(maxsize=1)
def reserved_names() -> frozenset[str]:
    """Names a module of the built network cannot take: every attribute of the network and of
    its containers (``nn.Module``'s methods, its instance state such as ``_modules`` and
    ``training``, and what the runtime keeps beside its children)."""
    from . import runtime

    return frozenset(dir(runtime.Net())) | frozenset(dir(runtime.Group()))


def check_name(field: str, value, seen: set[str] | None = None) -> None:
    """A name: 1–64 printable characters, no ``.``, none that ``nn.Module`` or Python reserves."""
    if not isinstance(value, str):
        raise SpecError(field, "name.type", value=shown(value))
    if not value:
        raise SpecError(field, "name.empty", limit=L.MAX_NAME_LENGTH)
    if len(value) > L.MAX_NAME_LENGTH:
        raise SpecError(field, "name.long", limit=L.MAX_NAME_LENGTH, length=len(value))
    if "." in value:
        raise SpecError(field, "name.dot", value=shown(value))
    if not value.isprintable():
        raise SpecError(field, "name.printable", value=shown(value))
    if value.startswith("__") and value.endswith("__"):
        raise SpecError(field, "name.dunder", value=shown(value))
    if value in reserved_names():
        raise SpecError(field, "name.reserved", value=shown(value))
    if seen is not None:
        if value in seen:
            raise SpecError(field, "name.twice", value=shown(value))
        seen.add(value)
