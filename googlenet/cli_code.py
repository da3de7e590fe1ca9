"""``python -m googlenet code``: write the network as a standalone PyTorch file."""

from __future__ import annotations

import sys
from pathlib import Path

from . import cli
from .codegen import to_python


def cmd_code(args) -> str:
    text = to_python(cli.network_from_args(args))
    if args.output in (None, "-"):
        return text
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as err:
        raise cli.CliError(f"cannot write -o {args.output}: {err.strerror or err}") from None
    print(f"wrote {args.output} ({text.count(chr(10))} lines)", file=sys.stderr)
    return ""


def register(sub) -> None:
    p = sub.add_parser("code", help="the network as a standalone PyTorch module file (imports only torch)")
    cli.add_network_args(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of printing (- is stdout)")
    p.set_defaults(func=cmd_code)


cli.EXTENSIONS.append(register)
