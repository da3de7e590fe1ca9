"""Section 9: a class on replicas behind nginx — what scaling out buys on this machine.
``python -m bench.serve [--sessions 40] [--moves 5] [--rounds 2] [--quick]`` runs it alone.

Three sets like the one ``make serve`` runs (supervisord, nginx, Streamlit replicas, rendered
by ``deploy.stack`` on free ports) are started side by side: one replica; two replicas with
sessions pinned by nginx's route cookie (what ``make serve`` does); two replicas with sessions
pinned by the client's address (``hash $remote_addr``), where every client here has the same
one, as a class behind one NAT has. The same class of websocket clients (``bench.wsload``: each
session opens its own design's link through nginx and moves the b4 slider through new designs,
pausing like a person) then comes to each set in turn, round after round, the order reversed
every other round and every round's designs new, so that the columns share the machine's ups
and downs. A response runs from the rerun request sent to the end of the run received; the CPU
time of each replica, of nginx and of the clients and each replica's resident memory come from
/proc, the sessions each replica holds from its established connections, the load average from
the kernel.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field

from deploy.stack import Stack, descendants
from tests.browser.driver import vm

from .load import SINGLE_C1, THINK_S, Usage, _cpu_s, _median, _p90, plans
from .report import Section, table
from .wsload import SessionResult, sessions

TITLE = "9. A class on replicas behind nginx"
SETUPS = ((1, "cookie", "1 replica"), (2, "cookie", "2 replicas, route cookie"), (2, "ip", "2 replicas, client address"))
MEMORY_BOUND = 1.5e9


@dataclass
class Column:
    """One set of replicas and every class that came to it."""

    label: str
    stack: Stack
    crowd: list[SessionResult] = field(default_factory=list)
    held_by: dict[str, int] = field(default_factory=dict)  # sessions on each replica (summed over the rounds)
    replica_s: dict[str, float] = field(default_factory=dict)  # CPU seconds of each replica while moving
    nginx_s: float = 0.0
    clients_s: float = 0.0  # this process: the websocket clients
    wall_s: float = 0.0  # while moving
    busy: list[float] = field(default_factory=list)  # share of the machine busy while moving, per round
    load: list[tuple[float, float]] = field(default_factory=list)  # 1-min load average at the first move and at the end
    rss_first: dict[str, int] = field(default_factory=dict)  # each replica's VmRSS after the first round
    rss_end: dict[str, int] = field(default_factory=dict)
    pids: dict[str, int] = field(default_factory=dict)
    restarted: bool = False  # a replica's pid changed between the first class and the end

    @property
    def times(self) -> list[float]:
        return [t for r in self.crowd for t in r.times]

    @property
    def held(self) -> int:
        return sum(r.held for r in self.crowd)

    @property
    def wrong(self) -> list[str]:
        return [w for r in self.crowd for w in r.wrong]

    @property
    def problems(self) -> list[str]:
        return [f"c1={r.c1}: {p}" for r in self.crowd for p in r.problems]


def _nginx_s(stack: Stack) -> float:
    master = stack.pid("nginx")
    return sum(_cpu_s(p) for p in (master, *descendants(master)))


def one_class(col: Column, todo, think, time_budget: float) -> None:
    stack = col.stack
    col.pids = col.pids or {name: stack.pid(name) for name in stack.names}
    marks = {}

    def on_open() -> None:
        marks["replicas"] = {name: Usage.mark(pid) for name, pid in col.pids.items()}
        marks["nginx"], marks["clients"] = _nginx_s(stack), time.process_time()
        for name in stack.names:
            col.held_by[name] = col.held_by.get(name, 0) + stack.sessions(name)
        marks["load"] = os.getloadavg()[0]

    col.crowd += sessions(stack.url, todo, think, time_budget, on_open=on_open)
    usage = {name: Usage.since(pid, marks["replicas"][name]) for name, pid in col.pids.items()}
    col.clients_s += time.process_time() - marks["clients"]
    col.nginx_s += _nginx_s(stack) - marks["nginx"]
    for name, u in usage.items():
        col.replica_s[name] = col.replica_s.get(name, 0.0) + u.server_s
    u = next(iter(usage.values()))  # the phase is the same for every replica
    col.wall_s += u.wall_s
    col.busy.append(u.machine_busy_s / max(u.machine_s, 1e-9))
    col.load.append((marks["load"], os.getloadavg()[0]))
    rss = {name: vm(pid) for name, pid in col.pids.items()}
    col.rss_first = col.rss_first or rss
    col.rss_end = rss


def measure(n: int = 40, moves: int = 5, rounds: int = 2, think=THINK_S, time_budget: float = 600.0) -> list[Column]:
    with ExitStack() as running:
        cols = [Column(label, running.enter_context(Stack(replicas, sticky))) for replicas, sticky, label in SETUPS]
        for r in range(rounds):
            todo = plans(n, moves, SINGLE_C1 + 1 + r * (n + 1))  # new designs every round
            for col in (cols if r % 2 == 0 else cols[::-1]):
                one_class(col, todo, think, time_budget)
        for col in cols:
            now = col.stack.pids()
            col.restarted = any(now[name] != pid for name, pid in col.pids.items())
    return cols


def _s(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f} s"


def rows(cols: list[Column], n: int, moves: int, rounds: int) -> list[list[str]]:
    def each(c: Column, f) -> str:
        return "; ".join(f"{name}: {f(c, name)}" for name in c.stack.names)

    def core(seconds: float, c: Column) -> str:
        return f"{seconds:.1f} s ({seconds / max(c.wall_s, 1e-9):.0%} of a core)"

    return [
        ["sessions held", *(f"{c.held} of {n * rounds}" + (" (a replica restarted)" if c.restarted else "") for c in cols)],
        ["sessions on each replica", *(each(c, lambda c, name: str(c.held_by.get(name, 0))) for c in cols)],
        ["response, median", *(_s(_median(c.times)) for c in cols)],
        ["response, p90 / max", *(f"{_s(_p90(c.times))} / {_s(max(c.times, default=None))}" for c in cols)],
        ["CPU of each replica while moving", *(each(c, lambda c, name: core(c.replica_s[name], c)) for c in cols)],
        ["CPU of nginx / of the clients", *(f"{core(c.nginx_s, c)} / {core(c.clients_s, c)}" for c in cols)],
        ["the machine while moving", *(f"{min(c.busy):.0%}–{max(c.busy):.0%} of {os.cpu_count()} cores busy, {c.wall_s:.0f} s" for c in cols)],
        [f"memory of each replica after {n * moves} designs (VmRSS)", *(each(c, lambda c, name: f"{c.rss_first[name] / 1e6:,.0f} MB") for c in cols)],
        [f"… after {n * moves * rounds}", *(each(c, lambda c, name: f"{c.rss_end[name] / 1e6:,.0f} MB") for c in cols)],
        ["load average (1 min), first move → end, per round", *("; ".join(f"{a:.2f} → {b:.2f}" for a, b in c.load) for c in cols)],
        ["wrong links or totals / problems", *(f"{len(c.wrong)} / {len(c.problems)}" for c in cols)],
    ]


def run(quick: bool = False, n: int | None = None, moves: int | None = None, rounds: int | None = None) -> Section:
    """The section for ``python -m bench``."""
    n, moves, rounds = n or (6 if quick else 40), moves or (2 if quick else 5), rounds or (1 if quick else 2)
    s = Section(TITLE, " ".join(__doc__.split("\n\n", 1)[1].split()))
    cols = measure(n, moves, rounds)
    one, two, by_address = cols
    m1, m2 = _median(one.times), _median(two.times)
    gain = m1 / m2 if m1 and m2 else None
    # a small class does not fill one replica: then the figure is shown, not judged
    s.check(f"median response, {n} sessions: 2 replicas (cookie) against 1", "faster than 1 replica",
            "–" if gain is None else f"{gain:.2f}× faster ({_s(m2)} against {_s(m1)})", None if gain is None or quick else gain > 1,
            "load average " + ", ".join(f"{a:.2f}" for c in (one, two) for a, _ in c.load) + " as the moves started"
            + ("; not judged with --quick" if quick else ""))
    spread = sorted(two.held_by.values())
    s.check(f"{n} sessions from one address on 2 replicas", "the route cookie spreads them, the address does not",
            f"cookie {' / '.join(map(str, spread))}; address {' / '.join(map(str, sorted(by_address.held_by.values())))}",
            spread[0] >= 1 and sorted(by_address.held_by.values())[0] == 0)
    s.check(f"sessions held, {n} at once through nginx", "all, each seeing only its own design",
            ", ".join(f"{c.held} of {n * rounds}" for c in cols), all(c.held == n * rounds and not c.wrong for c in cols))
    peak = max(b for c in cols for b in c.rss_end.values())
    s.check("memory of one replica", f"< {MEMORY_BOUND / 1e9:g} GB resident", f"{peak / 1e6:,.0f} MB at most", peak < MEMORY_BOUND)
    s.add(table(["figure", *(c.label for c in cols)], rows(cols, n, moves, rounds)))
    s.add(f"{n} sessions × {moves} moves per class, {rounds} round(s), a pause of {THINK_S[0]:g}–{THINK_S[1]:g} s between "
          f"moves; the clients and nginx run on the same {os.cpu_count()} cores as the replicas. The ratio of the first two "
          "medians is what a second replica buys here. Pinned by the address, every session lands on one replica and the "
          "second one idles.")
    for line in [x for c in cols for x in c.wrong + c.problems][:20]:
        s.add(f"- {line}")
    return s


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.serve", description=" ".join(__doc__.split("\n\n")[0].split()))
    p.add_argument("--sessions", type=int, default=40, help="sessions at once, 1 to 256 (default 40)")
    p.add_argument("--moves", type=int, default=5, help="slider moves per session, 1 to 10 (default 5)")
    p.add_argument("--rounds", type=int, default=2, help="classes to each set, 1 to 10 (default 2)")
    p.add_argument("--quick", action="store_true", help="6 sessions, 2 moves each, one round")
    args = p.parse_args(argv)
    if not 1 <= args.sessions <= 256 or not 1 <= args.moves <= 10 or not 1 <= args.rounds <= 10:
        p.error("--sessions must be from 1 to 256, --moves from 1 to 10 and --rounds from 1 to 10")
    s = run(args.quick, *((None, None, None) if args.quick else (args.sessions, args.moves, args.rounds)))
    for c in s.checks:
        print(f"- {c.what}: {c.measured} (target {c.target}: {c.verdict})", file=sys.stderr)
    print(s.markdown())
    return 0 if all(c.met is not False for c in s.checks) else 1


if __name__ == "__main__":
    sys.exit(main())
