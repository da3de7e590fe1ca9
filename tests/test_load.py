"""A class at once, in under a minute or so: browser sessions on a server of their own, each
moving a slider on its own design, must each see only their own design — totals, knobs and
link — keep responding, and leave the server's memory bounded. ``python -m bench.load`` is
the long variant (20 sessions, 10 moves each) and judges the target, the crowd's median
response within 3× of one session's; here the ratio is printed and only a hang or a queue
worse than serving the sessions one after another fails: this machine is shared."""

from __future__ import annotations

import pytest

from bench import load
from tests.browser.driver import BUILD, AppServer

pytestmark = pytest.mark.load

SESSIONS = 8
MOVES = 3
TIME_BUDGET_S = 120  # no move starts after this; every wait has its own timeout too
MEMORY_BOUND = 1.5e9


def test_concurrent_sessions_see_only_their_own_design_and_keep_responding(capsys):
    with AppServer() as srv:
        f = load.measure(srv.url, srv.pid, SESSIONS, MOVES, time_budget=TIME_BUDGET_S)
        log = srv.log_tail(2000)  # for the failure message: the log itself goes with the server
    figures = "\n".join(f.lines())
    (BUILD / "load").mkdir(parents=True, exist_ok=True)
    (BUILD / "load" / "test_load.txt").write_text(figures + "\n" + "\n".join(f.wrong + f.problems) + "\n", encoding="utf-8")
    with capsys.disabled():
        print(f"\n--- load: {SESSIONS} sessions at once, {MOVES} moves each ---\n{figures}")

    assert f.wrong == []  # no session showed another design than its own, nor a knob off its design
    assert not f.problems, (f.problems, log)
    assert f.crowd_median is not None and f.crowd_median < 30, figures
    # served one after another, each response would wait for the others': SESSIONS × one
    assert f.ratio is not None and f.ratio < 2 * SESSIONS, figures
    assert f.rss_end < MEMORY_BOUND and f.rss_peak < MEMORY_BOUND, figures
    assert f.held == SESSIONS and all(r.done == MOVES for r in f.single + f.crowd)
