"""Section 10: switching the interface's language, server side.

The picker moved between English and 中文 on the Exercises, Family and Hardware pages,
through Streamlit's ``AppTest`` (the real script with its widgets, caches and messages; no
websocket, no browser), against a rerun of the same page in the same language measured in the
same rounds: the switch costs the page's rerun plus the catalog lookups of every string.
"""

from __future__ import annotations

import os

from .report import Section, table
from .rerun import APP, _quiet
from .timing import Case, compare, fmt_time

TITLE = "10. Switching the language, server side"
PAGES = (("Exercises", "pages/exercises.py"), ("Family", "pages/family.py"), ("Hardware", "pages/hardware.py"))
TARGET_S = 1.0


def load() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


class PageDriver:
    """One page in ``AppTest``, its language picker flipped back and forth."""

    def __init__(self, path: str):
        from streamlit.testing.v1 import AppTest

        from ui import i18n

        self.key = i18n.PICKER
        self.at = AppTest.from_file(APP, default_timeout=120)
        self.at.run()
        self.at.switch_page(path).run()
        self._fail("first run")
        self.lang = "en"

    def _fail(self, what: str) -> None:
        if self.at.exception:
            raise RuntimeError(f"the page raised on {what}: {self.at.exception[0].message}")

    def switch(self) -> None:
        self.lang = "zh" if self.lang == "en" else "en"
        self.at.button_group(key=self.key).set_value(self.lang).run()
        self._fail(f"switching to {self.lang}")
        title = self.at.title[0].value
        if (self.lang == "zh") != any("\u4e00" <= ch <= "\u9fff" for ch in title):
            raise RuntimeError(f"the title {title!r} is not in {self.lang} after the switch")

    def stays(self) -> None:
        self.at.run()
        self._fail("a rerun")


def run(quick: bool = False) -> Section:
    _quiet()
    before = load()
    s = Section(
        TITLE,
        "The language picker moved (English ↔ 中文) on each page that speaks both, each switch a "
        "rerun of the page in the other language; beside it, a rerun of the same page with nothing "
        "changed, timed in the same rounds. Streamlit's `AppTest` runs the real script (widgets, "
        "caches, messages) without a websocket or a browser.",
    )
    rows = []
    for label, path in PAGES[:1] if quick else PAGES:
        page = PageDriver(path)
        t = compare({"switch": Case(page.switch), "same language": Case(page.stays)},
                    rounds=4 if quick else 12, warmup=2, budget_s=30, min_rounds=4)
        switch, same = t["switch"].median, t["same language"].median
        mark = s.check(f"language switch re-renders the {label} page", f"≤ {TARGET_S:.0f} s", fmt_time(switch), switch <= TARGET_S)
        rows.append([label, fmt_time(switch), fmt_time(t["switch"].samples and max(t["switch"].samples)),
                     fmt_time(same), t["switch"].n, mark])
    s.add(table(["page", "switch (median)", "switch (slowest)", "rerun, same language (median)", "switches", "target"], rows))
    s.add(f"Load average (1 / 5 / 15 min) before the section: {before}; after it: {load()}.")
    return s
