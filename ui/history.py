"""Undo and redo of design changes. Pure: a frozen ``History`` of past and future designs, each
step returning a new one (session state keeps the current one).

The browser's Back and Forward arrive as a link naming a design (``follow``): the design one
step back is an undo, one step forward a redo, any other design a new change; so the buttons
and the browser's arrows walk the same list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
LIMIT = 100  # steps kept each way (at least 50 are promised)


@dataclass(frozen=True)
class History(Generic[T]):
    past: tuple[T, ...] = ()  # oldest first; past[-1] is what undo returns to
    future: tuple[T, ...] = ()  # future[-1] is what redo returns to
    limit: int = LIMIT

    @property
    def can_undo(self) -> bool:
        return bool(self.past)

    @property
    def can_redo(self) -> bool:
        return bool(self.future)

    def record(self, before: T, after: T) -> History[T]:
        """A change from ``before`` to ``after``: ``before`` can be undone to; redo is gone."""
        if before == after:
            return self
        return History((*self.past, before)[-self.limit :], (), self.limit)

    def undo(self, now: T) -> tuple[History[T], T]:
        """The design one step back (``now`` when there is none) and the history after it."""
        if not self.past:
            return self, now
        return History(self.past[:-1], (*self.future, now)[-self.limit :], self.limit), self.past[-1]

    def redo(self, now: T) -> tuple[History[T], T]:
        if not self.future:
            return self, now
        return History((*self.past, now)[-self.limit :], self.future[:-1], self.limit), self.future[-1]

    def follow(self, now: T, target: T) -> History[T]:
        """The history after the browser moved from ``now`` to ``target`` (Back, Forward, or a
        link): an undo when ``target`` is one step back, a redo when one step forward, else a
        new change."""
        if self.past and self.past[-1] == target:
            return self.undo(now)[0]
        if self.future and self.future[-1] == target:
            return self.redo(now)[0]
        return self.record(now, target)
