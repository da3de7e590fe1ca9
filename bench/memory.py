"""Section 7: the server's resident memory after many distinct designs, each opened by a
browser from its link (so every one is a new session, as shared links are)."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from .browser import chromium, open_page, wait_loaded
from .report import Section, table
from .server import Server
from .timing import fmt_time

TITLE = "7. Server memory"
TARGET_BYTES = 600e6
PAGES = 2  # browser tabs loading designs at once (two cores)


def designs(n: int) -> list[dict[str, str]]:
    """``n`` distinct, valid links: every preset in turn, each with a block count, width
    multiplier and input size of its own."""
    from googlenet.knobs import block_count
    from googlenet.presets import preset_names
    from ui import state

    presets = preset_names()
    out, seen = [], set()
    for i in range(n):
        name = presets[i % len(presets)]
        net = state.preset_network(name)
        j = i // len(presets)
        stage = next(s.name for s in net.stages if s.repeat)
        count = max(1, block_count(net, stage) + j % 5 - 1)
        width = (0.5, 0.75, 1.0, 1.25)[(j // 5) % 4]
        c, h, w = net.input
        size = h + 32 * (j // 20)
        q = {"preset": name, stage: str(count), "width": f"{width:g}", "input": f"{c}x{size}x{size}"}
        decoded = state.from_query(q)
        if decoded.problems:
            raise ValueError(f"design {q} is not valid: {decoded.problems}")
        key = decoded.design
        if key in seen:
            raise ValueError(f"design {q} repeats an earlier one")
        seen.add(key)
        out.append(q)
    return out


def run(quick: bool = False) -> Section:
    n = 20 if quick else 200
    s = Section(
        TITLE,
        f"`streamlit run app.py` started for this section; headless Chromium opens {n} distinct "
        f"designs from their links (every preset in turn, each with its own block count, width "
        f"multiplier and input size), {PAGES} tabs at a time, waiting for each page to finish its "
        "run with its diagram drawn. Each link is a new session, so this fills the server's design "
        "caches and its session store as shared links would. Resident memory (VmRSS) and its peak "
        "(VmHWM) from /proc.",
    )
    links = designs(n)
    checkpoints = sorted({min(n, x) for x in (1, n // 4, n // 2, 3 * n // 4, n)})
    rows = []
    with Server() as srv, chromium() as browser:
        idle = srv.rss()
        rows.append(["server started, no session", fmt_time(None), f"{idle / 1e6:.0f} MB", f"{srv.peak_rss() / 1e6:.0f} MB"])
        tabs = [open_page(browser, f"{srv.url}/?{urlencode(links[0])}")]
        tabs += [open_page(browser, f"{srv.url}/?{urlencode(links[0])}") for _ in range(PAGES - 1)]
        rows.append(["first page (warm-up)", "–", f"{srv.rss() / 1e6:.0f} MB", f"{srv.peak_rss() / 1e6:.0f} MB"])
        done = 0
        t0 = time.perf_counter()
        while done < n:
            batch = links[done : done + PAGES]
            for tab, q in zip(tabs, batch):
                tab.goto(f"{srv.url}/?{urlencode(q)}", wait_until="commit")
            for tab in tabs[: len(batch)]:
                wait_loaded(tab)
            done += len(batch)
            if any(done - len(batch) < c <= done for c in checkpoints):
                per = (time.perf_counter() - t0) / done
                rows.append([f"after {done} designs", fmt_time(per), f"{srv.rss() / 1e6:.0f} MB", f"{srv.peak_rss() / 1e6:.0f} MB"])
        for tab in tabs:
            tab.close()
        time.sleep(2)
        final = srv.rss()
        rows.append(["tabs closed, 2 s later", "–", f"{final / 1e6:.0f} MB", f"{srv.peak_rss() / 1e6:.0f} MB"])
        after = next(r for r in rows if r[0] == f"after {n} designs")
    measured = after[2]
    mark = s.check(f"server memory after {n} designs", "≤ 600 MB resident", measured, float(measured.split()[0]) * 1e6 <= TARGET_BYTES)
    s.add(table(["when", "time per design", "VmRSS", "VmHWM (peak)"], rows))
    s.add(f"After {n} designs: {measured} — {mark}.")
    return s
