"""Section 9: a class on replicas behind nginx — what scaling out buys on this machine.
``python -m bench.serve [--sessions 40] [--moves 5] [--quick]`` runs it alone.

The set ``make serve`` runs (supervisord, nginx, Streamlit replicas; ``deploy.stack`` renders
it on free ports) is started three times in one run, and each time the same class of websocket
clients (``bench.wsload``: each session opens its own design's link through nginx and moves the
b4 slider through new designs, pausing like a person) comes in through nginx: one replica; two
replicas with sessions pinned by nginx's route cookie (what ``make serve`` does); two replicas
with sessions pinned by the client's address (``hash $remote_addr``), where every client here,
like a class behind one NAT, has the same one. A response runs from the rerun request sent to
the end of the run received; each replica's CPU time and resident memory come from /proc, the
sessions each replica holds from its established connections, the load average from the kernel.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass

from deploy.stack import Stack
from tests.browser.driver import vm

from .load import SINGLE_C1, THINK_S, Usage, _median, _p90, plans
from .report import Section, table
from .wsload import SessionResult, sessions

TITLE = "9. A class on replicas behind nginx"
SETUPS = ((1, "cookie", "1 replica"), (2, "cookie", "2 replicas, route cookie"), (2, "ip", "2 replicas, client address"))
MEMORY_BOUND = 1.5e9


@dataclass
class Class:
    """One class through nginx to one set of replicas."""

    label: str
    replicas: int
    sticky: str
    crowd: list[SessionResult]
    held_by: dict[str, int]  # sessions on each replica once all had opened their links
    cpu: dict[str, Usage]  # each replica's, from the first move on
    rss: dict[str, int]  # each replica's VmRSS at the end
    load: tuple[float, float]  # 1-minute load average as the moves started and at the end
    restarted: bool  # a replica's pid changed during the run

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


def one_class(replicas: int, sticky: str, label: str, n: int, moves: int, think=THINK_S, time_budget: float = 600.0) -> Class:
    with Stack(replicas, sticky) as stack:
        pids = {name: stack.pid(name) for name in stack.names}
        marks, held_by, load = {}, {}, []

        def on_open() -> None:
            marks.update({name: Usage.mark(pid) for name, pid in pids.items()})
            held_by.update({name: stack.sessions(name) for name in stack.names})
            load.append(os.getloadavg()[0])

        crowd = sessions(stack.url, plans(n, moves, SINGLE_C1 + 1), think, time_budget, on_open=on_open)
        cpu = {name: Usage.since(pid, marks[name]) for name, pid in pids.items()}
        rss = {name: vm(pid) for name, pid in pids.items()}
        now = stack.pids()
    restarted = any(now[name] != pid for name, pid in pids.items())
    return Class(label, replicas, sticky, crowd, held_by, cpu, rss, (load[0], os.getloadavg()[0]), restarted)


def measure(n: int = 40, moves: int = 5, think=THINK_S) -> list[Class]:
    return [one_class(replicas, sticky, label, n, moves, think) for replicas, sticky, label in SETUPS]


def _s(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f} s"


def rows(classes: list[Class], n: int, moves: int) -> list[list[str]]:
    def each(c: Class, f) -> str:
        return "; ".join(f"{name}: {f(c, name)}" for name in sorted(c.cpu))

    def cpu(c: Class, name: str) -> str:
        u = c.cpu[name]
        return f"{u.server_s:.0f} s ({u.server_s / max(u.wall_s, 1e-9):.0%} of a core)"

    def machine(c: Class) -> str:
        u = next(iter(c.cpu.values()))  # the same phase for every replica
        return f"{u.machine_busy_s / max(u.machine_s, 1e-9):.0%} of {os.cpu_count()} cores for {u.wall_s:.0f} s"

    return [
        ["sessions held", *(f"{c.held} of {n}" + (" (a replica restarted)" if c.restarted else "") for c in classes)],
        ["sessions on each replica", *(each(c, lambda c, name: str(c.held_by.get(name, 0))) for c in classes)],
        ["response, median", *(_s(_median(c.times)) for c in classes)],
        ["response, p90 / max", *(f"{_s(_p90(c.times))} / {_s(max(c.times, default=None))}" for c in classes)],
        ["CPU of each replica while moving", *(each(c, cpu) for c in classes)],
        ["the machine while moving", *(machine(c) for c in classes)],
        [f"memory of each replica after the class's {n * moves} designs (VmRSS)", *(each(c, lambda c, name: f"{c.rss[name] / 1e6:,.0f} MB") for c in classes)],
        ["load average (1 min), first move → end", *(f"{c.load[0]:.2f} → {c.load[1]:.2f}" for c in classes)],
        ["wrong links or totals / problems", *(f"{len(c.wrong)} / {len(c.problems)}" for c in classes)],
    ]


def run(quick: bool = False, n: int | None = None, moves: int | None = None) -> Section:
    """The section for ``python -m bench``."""
    n = n or (6 if quick else 40)
    moves = moves or (2 if quick else 5)
    s = Section(TITLE, " ".join(__doc__.split("\n\n", 1)[1].split()))
    classes = measure(n, moves)
    one, two, by_address = classes
    m1, m2 = _median(one.times), _median(two.times)
    gain = m1 / m2 if m1 and m2 else None
    # a small class does not fill one replica: then the figure is shown, not judged
    s.check(f"median response, {n} sessions: 2 replicas (cookie) against 1", "faster than 1 replica",
            "–" if gain is None else f"{gain:.2f}× faster ({_s(m2)} against {_s(m1)})", None if gain is None or quick else gain > 1,
            f"load average {one.load[0]:.2f} and {two.load[0]:.2f} as the moves started" + ("; not judged with --quick" if quick else ""))
    spread = sorted(two.held_by.values())
    s.check(f"{n} sessions from one address on 2 replicas", "the route cookie spreads them, the address does not",
            f"cookie {' / '.join(map(str, spread))}; address {' / '.join(map(str, sorted(by_address.held_by.values())))}",
            len(spread) == 2 and spread[0] >= 1 and sorted(by_address.held_by.values())[0] == 0)
    s.check(f"sessions held, {n} at once through nginx", "all, each seeing only its own design",
            ", ".join(f"{c.held} of {n}" for c in classes), all(c.held == n and not c.wrong for c in classes))
    peak = max(b for c in classes for b in c.rss.values())
    s.check("memory of one replica", f"< {MEMORY_BOUND / 1e9:g} GB resident", f"{peak / 1e6:,.0f} MB at most", peak < MEMORY_BOUND)
    s.add(table(["figure", *(c.label for c in classes)], rows(classes, n, moves)))
    s.add(f"{n} sessions × {moves} moves in each column, a pause of {THINK_S[0]:g}–{THINK_S[1]:g} s between moves; the "
          f"clients run on the same {os.cpu_count()} cores as the servers. The ratio of the first two medians is what a second "
          "replica buys here. Pinned by the address, every session lands on one replica and the second one idles.")
    for line in [x for c in classes for x in c.wrong + c.problems][:20]:
        s.add(f"- {line}")
    return s


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.serve", description=" ".join(__doc__.split("\n\n")[0].split()))
    p.add_argument("--sessions", type=int, default=40, help="sessions at once, 1 to 256 (default 40)")
    p.add_argument("--moves", type=int, default=5, help="slider moves per session, 1 to 10 (default 5)")
    p.add_argument("--quick", action="store_true", help="6 sessions, 2 moves each")
    args = p.parse_args(argv)
    if not 1 <= args.sessions <= 256 or not 1 <= args.moves <= 10:
        p.error("--sessions must be from 1 to 256 and --moves from 1 to 10")
    s = run(args.quick, None if args.quick else args.sessions, None if args.quick else args.moves)
    for c in s.checks:
        print(f"- {c.what}: {c.measured} (target {c.target}: {c.verdict})", file=sys.stderr)
    print(s.markdown())
    return 0 if all(c.met is not False for c in s.checks) else 1


if __name__ == "__main__":
    sys.exit(main())
