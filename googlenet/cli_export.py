"""``python -m googlenet export``: the network's diagram (or one block's) as PNG, SVG, PDF
or DOT, drawn for a slide: orientation, wrapping to 16:9, scale, transparent background."""

from __future__ import annotations

import sys
from pathlib import Path

from . import cli, onnx_export, render
from .analysis import analyze


def cmd_export(args) -> str | bytes:
    if args.format == "onnx" or (args.format is None and args.output.lower().endswith(".onnx")):
        return onnx_export.cmd_export(args)
    a = analyze(cli.network_from_args(args))
    fmt = args.format or _format_from_suffix(args.output)
    if args.dpi is not None and args.scale is not None:
        raise cli.CliError("give --scale or --dpi, not both")
    if (args.dpi is not None or args.scale is not None) and fmt != "png":
        raise cli.CliError(f"--{'dpi' if args.dpi is not None else 'scale'} applies to --format png only (got --format {fmt})")
    if args.dpi is not None and not render.MIN_DPI <= args.dpi <= render.MAX_DPI:
        raise cli.CliError(f"--dpi must be from {render.MIN_DPI} to {render.MAX_DPI}, got {args.dpi}")
    if args.block is not None:
        if args.level != "blocks" or args.expand or args.fit or args.no_fold or args.color != "kind":
            raise cli.CliError("--block draws one block on its own: --level, --expand, --fit, --no-fold and --color do not apply")
        dot = render.block_dot(a, args.block, theme=args.theme, orientation=args.orientation or "bt", transparent=args.transparent)
    else:
        dot = render.to_dot(
            a,
            args.level,
            expand=args.expand,
            color=args.color,
            numbers=args.numbers,
            theme=args.theme,
            orientation=args.orientation or "tb",
            fit=args.fit,
            fold=not args.no_fold,
            transparent=args.transparent,
        )
    try:
        data = render.render(dot, fmt, dpi=args.dpi, scale=args.scale)
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
    p.add_argument("--format", choices=(*render.FORMATS, "onnx"), help="default: from the -o file's suffix")
    p.add_argument("--level", choices=render.LEVELS, default="blocks", help="detail: one node per stage, block or layer")
    p.add_argument("--expand", metavar="NAME", help="draw this stage, block or aux head layer by layer")
    p.add_argument("--block", metavar="NAME", help="draw only this block, its paths side by side (the lecture's figure)")
    p.add_argument("--orientation", choices=render.ORIENTATIONS, help="tb top-down (default), bt bottom-up (the book's; default for --block), lr left to right")
    p.add_argument("--fit", choices=tuple(render.FITS), help="wrap into columns for a slide of this shape (default: between 4:3 and 16:9 when long)")
    p.add_argument("--no-fold", action="store_true", help="draw every block, even runs of equal ones (folded into one node by default)")
    p.add_argument("--color", choices=render.COLORS, default="kind", help="colour by layer kind, or a heat map")
    p.add_argument("--numbers", action="store_true", help="show params and MACs on every node")
    p.add_argument("--theme", choices=render.THEMES, default="light", help="page background to draw for")
    p.add_argument("--transparent", action="store_true", help="leave the background unpainted (PNG with alpha, SVG, PDF)")
    p.add_argument("--scale", type=int, choices=render.SCALES, help=f"PNG at 1×, 2× or 3× ({render.DEFAULT_DPI} dpi each)")
    p.add_argument("--dpi", type=int, metavar="N", help=f"PNG resolution (default {render.DEFAULT_DPI})")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write; - for stdout")
    p.set_defaults(func=cmd_export)


cli.EXTENSIONS.append(add_parser)
