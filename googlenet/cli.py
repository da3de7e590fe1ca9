"""``python -m googlenet``: the command-line face of the core.

Every subcommand is a function taking the parsed arguments and returning the text to
print; bad input raises ``SpecError`` (or ``CliError``), which ``main`` turns into a message
on stderr and exit code 2 — never a traceback.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import replace
from pathlib import Path

from . import config, importer, limits
from .analysis import analyze
from .presets import PRESETS, get_preset
from .report import summary, table, to_csv
from .errors import shown
from .spec import Network, SpecError


class CliError(Exception):
    """A command-line mistake: printed without a traceback, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise CliError(f"{self.prog}: {message}")


def parse_input(text: str) -> tuple[int, int, int]:
    m = re.fullmatch(r"\s*(\d{1,6})\s*[x×X]\s*(\d{1,6})\s*[x×X]\s*(\d{1,6})\s*", text)
    if not m:
        raise CliError(f"--input must look like 3x224x224 (channels x height x width), got {shown(text)}")
    return tuple(int(g) for g in m.groups())  # type: ignore[return-value]


def add_network_args(p: argparse.ArgumentParser) -> None:
    """PRESET | --config FILE, and the knobs every network command takes."""
    p.add_argument("preset", nargs="?", help=f"one of: {', '.join(PRESETS)}")
    p.add_argument("--config", metavar="FILE", help="a JSON config (see `config PRESET`)")
    p.add_argument("--from-code", metavar="FILE", help="PyTorch code written the lecture's way, or a file from `code`; read, never run")
    p.add_argument("--input", metavar="CxHxW", help="input channels x height x width, e.g. 3x224x224")
    p.add_argument("--classes", type=int, metavar="N", help="number of classes")
    p.add_argument("--aux", action="store_true", help="turn the aux heads on (presets that have them)")


def _read_file(option: str, name: str) -> bytes:
    path = Path(name)
    try:
        size = path.stat().st_size
        if size > limits.MAX_CONFIG_BYTES:
            raise SpecError(option.lstrip("-"), "config.size", size=f"{size:,}", limit=f"{limits.MAX_CONFIG_BYTES:,}")
        with path.open("rb") as f:
            data = f.read(limits.MAX_CONFIG_BYTES + 1)  # a device such as /dev/zero never ends
    except (OSError, ValueError) as err:  # ValueError: a NUL byte in the path
        raise CliError(f"cannot read {option} {name}: {getattr(err, 'strerror', None) or err}") from None
    if len(data) > limits.MAX_CONFIG_BYTES:
        raise SpecError(option.lstrip("-"), "config.too_large", limit=f"{limits.MAX_CONFIG_BYTES:,}")
    return data


def network_from_args(args: argparse.Namespace) -> Network:
    code = getattr(args, "from_code", None)
    if sum(x is not None for x in (args.preset, args.config, code)) != 1:
        raise CliError("give a PRESET, --config FILE or --from-code FILE (exactly one)")
    if args.config is not None:
        net = config.loads(_read_file("--config", args.config))
    elif code is not None:
        data = _read_file("--from-code", code)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise SpecError("from-code", "config.utf8", position=err.start) from None
        imported = importer.read_code(text)
        for note in imported.notes:
            print(f"note: {note}", file=sys.stderr)
        net = imported.network
    else:
        net = get_preset(args.preset)
    if args.input is not None:
        net = replace(net, input=parse_input(args.input))
    if args.classes is not None:
        net = replace(net, classes=args.classes)
    if args.aux:
        if not net.aux:
            raise CliError(f"{net.name} has no aux heads")
        net = replace(net, aux_enabled=True)
    analyze(net)  # validates, with the field named in the message
    return net


def cmd_presets(args) -> str:
    width = max(len(n) for n in PRESETS)
    return "".join(f"{p.name.ljust(width)}  {p.description}\n" for p in PRESETS.values())


def cmd_config(args) -> str:
    return config.dumps(get_preset(args.preset))


def cmd_summary(args) -> str:
    a = analyze(network_from_args(args))
    if args.format == "json":
        return json.dumps(summary(a), indent=2, ensure_ascii=False) + "\n"
    if args.format == "csv":
        return to_csv(a)
    return table(a)


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m googlenet", description="Inception Studio: analyse GoogLeNet-family networks.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("presets", help="one line per preset: name, description")
    p.set_defaults(func=cmd_presets)

    p = sub.add_parser("config", help="the preset's full JSON config")
    p.add_argument("preset", help=f"one of: {', '.join(PRESETS)}")
    p.set_defaults(func=cmd_config)

    p = sub.add_parser("summary", help="per-layer shapes, params and MACs, with totals")
    add_network_args(p)
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.set_defaults(func=cmd_summary)

    for extend in EXTENSIONS:
        extend(sub)
    return parser


# Subcommands defined in other modules register here: each adds its parser(s) to ``sub``.
EXTENSIONS: list = []


def main(argv: list[str] | None = None) -> int:
    try:
        args = make_parser().parse_args(argv)
        out = args.func(args)
    except (SpecError, CliError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # pragma: no cover - e.g. `| head`
        return 0
    if isinstance(out, bytes):
        sys.stdout.buffer.write(out)
    elif out:
        sys.stdout.write(out)
    return 0


from . import cli_code  # noqa: E402,F401
from . import cli_export  # noqa: E402,F401
from . import cli_cost  # noqa: E402,F401
