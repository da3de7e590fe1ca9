"""``python -m googlenet export``: the network's diagram as PNG, SVG, PDF or DOT."""

from __future__ import annotations

import sys
from pathlib import Path

from . import cli, render
from .analysis import analyze


def cmd_export(args) -> str | bytes:
    a = analyze(cli.network_from_args(args))
    fmt = args.format or _format_from_suffix(args.output)
    if args.dpi is not None and fmt != "png":
        raise cli.CliError(f"--dpi applies to --format png only (got --format {fmt})")
    if args.dpi is not None and not render.MIN_DPI <= args.dpi <= render.MAX_DPI:
        raise cli.CliError(f"--dpi must be from {render.MIN_DPI} to {render.MAX_DPI}, got {args.dpi}")
    dot = render.to_dot(a, args.level, expand=args.expand, color=args.color, numbers=args.numbers, theme=args.theme)
    try:
        data = render.render(dot, fmt, dpi=args.dpi)
    except render.RenderError as err:
        raise cli.CliError(str(err)) from None
    for note in getattr(data, "notes", ()):
        print(f"note: {note}", file=sys.stderr)
    if args.output == "-":
        return bytes(data)
    try:
        Path(args.output).write_bytes(data)
    except OSError as err:
        raise cli.CliError(f"cannot write {args.output}: {err.strerror or err}") from None
    size = ""
    if fmt == "png":
        size = f" ({data.size[0]}×{data.size[1]} px at {data.dpi} dpi)"
    return f"wrote {args.output}{size}\n"


def _format_from_suffix(path: str) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in render.FORMATS:
        return suffix
    raise cli.CliError(f"give --format ({'|'.join(render.FORMATS)}); {path!r} does not end in one of them")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "export",
        help="draw the network: PNG, SVG, PDF or DOT",
        description="Draw the network with Graphviz (PNG, SVG and PDF need `dot`: apt-get install graphviz).",
    )
    cli.add_network_args(p)
    p.add_argument("--format", choices=render.FORMATS, help="default: from the -o file's suffix")
    p.add_argument("--level", choices=render.LEVELS, default="blocks", help="detail: one node per stage, block or layer")
    p.add_argument("--expand", metavar="NAME", help="draw this stage, block or aux head layer by layer")
    p.add_argument("--color", choices=render.COLORS, default="kind", help="colour by layer kind, or a heat map")
    p.add_argument("--numbers", action="store_true", help="show params and MACs on every node")
    p.add_argument("--theme", choices=render.THEMES, default="light", help="page background to draw for")
    p.add_argument("--dpi", type=int, metavar="N", help=f"PNG resolution (default {render.DEFAULT_DPI})")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write; - for stdout")
    p.set_defaults(func=cmd_export)


cli.EXTENSIONS.append(add_parser)
