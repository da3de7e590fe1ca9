"""Expensive actions one at a time per server process, in order of arrival, the wait shown and
bounded. Pure Python (no Streamlit here): ``ui.studio`` shows the wait, the tests drive it with
threads.

    with jobs.SERVER.turn("measurement", on_wait=show, wait_s=60):
        ...  # the only expensive action running in this process now

Each Streamlit session runs its script in a thread of the one server process, so a lock here is
shared by every session of a replica. A session in line has ``on_wait(Waiting)`` called when it
starts to wait and every ``poll_s`` after (drawing something is also when Streamlit hands a
waiting script the rerun its user asked for, which then leaves the line), and is refused with
``Busy`` once it has waited ``wait_s``. Cheap work never takes a turn, so it is never held up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from .i18n import N_  # marks a msgid; ui.i18n translates it where shown

T = TypeVar("T")


@dataclass(frozen=True)
class Waiting:
    """Where a job stands in line."""

    position: int  # 1: next after the one running
    running: str  # what the running job does, e.g. "measurement"
    waited_s: float


# What the queue's jobs are called in its messages (the ``what`` and ``running`` values).
JOB_WORDS = {"measurement": N_("measurement")}


class Busy(RuntimeError):
    """The wait for a turn passed its bound; nothing was started. ``template`` and ``values``
    let an interface say it in its own language (``ui.i18n.coded_text``)."""

    value_words = JOB_WORDS
    template = N_("the server was busy with another {running} for {wait_s} s (your {what} was at position "
                  "{position} in the queue), so it was not started; try again in a minute")

    def __init__(self, what: str, waiting: Waiting, wait_s: float):
        self.waiting = waiting
        self.values = {"running": waiting.running, "wait_s": f"{wait_s:g}", "what": what, "position": waiting.position}
        super().__init__(self.template.format(**self.values))


class Queue:
    """One turn at a time, first come first served."""

    def __init__(self, wait_s: float = 60.0, poll_s: float = 0.5):
        if not wait_s >= 0 or not poll_s > 0:
            raise ValueError(f"wait_s must be ≥ 0 and poll_s > 0, got {wait_s!r} and {poll_s!r}")
        self.wait_s = wait_s
        self.poll_s = poll_s
        self._changed = threading.Condition()
        self._line: list[str] = []  # what each job does; the first one has the turn
        self._tickets: list[object] = []  # the same jobs, one token each

    @property
    def waiting(self) -> int:
        """Jobs in line behind the running one."""
        with self._changed:
            return max(0, len(self._tickets) - 1)

    @property
    def running(self) -> str | None:
        with self._changed:
            return self._line[0] if self._line else None

    @contextmanager
    def turn(self, what: str, on_wait: Callable[[Waiting], None] | None = None, wait_s: float | None = None) -> Iterator[None]:
        """Wait in line for the turn (refused with ``Busy`` after ``wait_s``), then hold it for
        the ``with`` block. Leaving the block, or the line, in any way lets the next one go."""
        bound = self.wait_s if wait_s is None else wait_s
        if not bound >= 0:
            raise ValueError(f"wait_s must be ≥ 0, got {bound!r}")
        ticket = object()
        t0 = time.monotonic()
        with self._changed:
            self._tickets.append(ticket)
            self._line.append(what)
        try:
            while True:
                with self._changed:
                    position = self._tickets.index(ticket)
                    if position == 0:
                        break
                    waiting = Waiting(position, self._line[0], time.monotonic() - t0)
                if waiting.waited_s >= bound:
                    raise Busy(what, waiting, bound)
                if on_wait is not None:
                    on_wait(waiting)  # outside the lock: it may draw, or be interrupted
                with self._changed:
                    if self._tickets.index(ticket) != 0:
                        self._changed.wait(min(self.poll_s, max(0.0, bound - (time.monotonic() - t0))))
            yield
        finally:
            with self._changed:
                i = self._tickets.index(ticket)
                del self._tickets[i], self._line[i]
                self._changed.notify_all()

    def run(self, fn: Callable[[], T], what: str, on_wait: Callable[[Waiting], None] | None = None, wait_s: float | None = None) -> T:
        """``fn()`` in its turn."""
        with self.turn(what, on_wait, wait_s):
            return fn()


# The server process's one line for expensive actions (CPU latency measurement; others may join).
SERVER = Queue()
