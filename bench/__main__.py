"""``python -m bench [--quick] [--no-browser] [--out PATH] [--only N,N]``: run the sections,
print one Markdown report and write it (default bench/results.md)."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from pathlib import Path

from .report import Section, document

# (number, module, needs a browser); each module has TITLE and run(quick) -> Section
SECTIONS = (
    (1, "analysis", False),
    (2, "scaling", False),
    (3, "build", False),
    (4, "diagram", False),
    (5, "rerun", False),
    (6, "browser", True),
    (7, "memory", True),
    (8, "wsload", False),
    (9, "serve", False),
    (10, "language", False),
    (11, "hardware", False),
    (12, "onnx", False),
    (13, "studio", True),
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="a small case of each section (about a minute)")
    p.add_argument("--no-browser", action="store_true", help="skip the sections that drive Chromium")
    p.add_argument("--out", type=Path, default=Path(__file__).with_name("results.md"), help="where to write the report")
    p.add_argument("--only", default="", help="comma-separated section numbers, e.g. 1,3")
    args = p.parse_args(argv)
    only = {int(x) for x in args.only.split(",") if x.strip()}

    start = time.perf_counter()
    sections: list[Section] = []
    failed = False
    for number, module, browser in SECTIONS:
        if only and number not in only:
            continue
        title = f"{number}. {module}"
        t0 = time.perf_counter()
        print(f"[bench] section {number}: {module} …", file=sys.stderr, flush=True)
        try:
            mod = importlib.import_module(f"bench.{module}")
            title = mod.TITLE
            if browser and args.no_browser:
                sections.append(Section(title, "Skipped: `--no-browser`."))
                continue
            sections.append(mod.run(quick=args.quick))
        except Exception:  # noqa: BLE001 - one broken section must not lose the others' figures
            failed = True
            tb = traceback.format_exc()
            print(tb, file=sys.stderr)
            sections.append(Section(title, "**This section failed:**\n\n```\n" + tb.strip() + "\n```"))
        print(f"[bench] section {number} took {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)

    text = document(sections, args.quick, time.perf_counter() - start)
    sys.stdout.write(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"[bench] wrote {args.out}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
