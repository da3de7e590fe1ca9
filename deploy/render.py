"""Render the nginx and supervisord configuration of ``make serve`` for the chosen numbers.

``python -m deploy.render [--replicas N] [--port 8501] [--host NAME] [--run-dir build/serve]``
writes ``nginx.conf`` and ``supervisord.conf`` into the run directory, from the templates
beside this file (``nginx.conf.in``, ``supervisord.conf.in``, ``replica.conf.in``: ``@{name}``
marks a value, so nginx's own ``$variables`` stay as they are). Nothing is edited by hand, and
everything the servers write (pid files, logs, sockets, nginx's temporary paths) goes into the
run directory, so the same files work for a normal user and for root.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import shutil
import string
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RUN_DIR = ROOT / "build" / "serve"
PUBLIC_PORT = 8501
STICKY = ("cookie", "ip")

# What the app needs of the browser, found by trying in Chromium (tests/test_serve.py fails on
# any violation): its styles are inline (Streamlit's and the diagram component's); Streamlit
# loads a Components v2 component's script (the diagram's) by import() of a blob: URL the page
# itself made from the script the server sent; Plotly's PNG export
# draws through a blob: image, and Streamlit's data grid, Plotly and icons use data: images and a
# data: font; protobuf tries WebAssembly ('wasm-unsafe-eval' allows that and no eval). Scripts
# run only from the server, or inline when their hash is listed (see inline_script_hashes).
POLICY = (
    ("default-src", "'self'"),
    ("script-src", "'self' 'wasm-unsafe-eval' blob: {hashes}"),
    ("style-src", "'self' 'unsafe-inline'"),
    ("img-src", "'self' data: blob:"),
    ("font-src", "'self' data:"),
    ("connect-src", "'self'"),  # the websocket and uploads go back to where the page came from
    ("object-src", "'none'"),
    ("base-uri", "'self'"),
    ("form-action", "'self'"),
    ("frame-ancestors", "'self'"),  # no other site may frame the app (X-Frame-Options for old browsers)
)
INLINE_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S | re.I)


def inline_script_hashes() -> list[str]:
    """CSP hashes of the inline scripts the app's pages run: those of Streamlit's ``index.html``
    (the installed version's), worked out on each render, so they follow it."""
    import importlib.util

    index = Path(importlib.util.find_spec("streamlit").origin).parent / "static" / "index.html"
    from ui import viewlink

    pages = (index.read_text(encoding="utf-8"), viewlink.page({}))
    bodies = [m["body"] for page in pages for m in INLINE_SCRIPT.finditer(page) if "src=" not in m["attrs"]]
    return sorted({"'sha256-" + base64.b64encode(hashlib.sha256(b.encode("utf-8")).digest()).decode("ascii") + "'" for b in bodies})


def content_security_policy() -> str:
    hashes = " ".join(inline_script_hashes())
    return "; ".join(f"{name} {value.format(hashes=hashes)}" for name, value in POLICY)


class Template(string.Template):
    """``@{name}`` only: a bare ``@`` or an unknown name is an error, never left in the output."""

    delimiter = "@"
    idpattern = r"(?!)"  # no bare @name
    braceidpattern = r"[a-z_]+"


def nproc() -> int:
    """The cores this process may use, as ``nproc`` counts them."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def find_program(name: str) -> str:
    """A program on the PATH or in the sbin directories a normal user's PATH leaves out."""
    found = shutil.which(name) or next((p for d in ("/usr/sbin", "/sbin") if os.access(p := f"{d}/{name}", os.X_OK)), None)
    if found is None:
        raise FileNotFoundError(f"no `{name}` found; `make system-serve` installs it (Debian packages nginx and supervisor)")
    return found


@dataclass(frozen=True)
class Settings:
    replicas: int = field(default_factory=nproc)
    port: int = PUBLIC_PORT  # nginx's public port
    listen: str = ""  # nginx's address; empty: every interface
    host: str = "localhost"  # the public host name: nginx's server_name and Streamlit's browser.serverAddress
    replica_ports: tuple[int, ...] = ()  # default: port + 101, port + 102, …
    sticky: str = "cookie"
    run_dir: Path = RUN_DIR
    python: str = sys.executable
    nginx: str = ""  # default: found on the PATH or in /usr/sbin

    def __post_init__(self) -> None:
        if not 1 <= self.replicas <= 256:
            raise ValueError(f"replicas: from 1 to 256, got {self.replicas}")
        ports = self.replica_ports or tuple(self.port + 100 + i for i in range(1, self.replicas + 1))
        if len(ports) != self.replicas:
            raise ValueError(f"replica ports: {self.replicas} wanted, {len(ports)} given")
        for p in (self.port, *ports):
            if not 1 <= p <= 65535:
                raise ValueError(f"port: from 1 to 65535, got {p}")
        if len({self.port, *ports}) != len(ports) + 1:
            raise ValueError(f"ports: each must differ (public {self.port}, replicas {list(ports)})")
        object.__setattr__(self, "replica_ports", ports)
        if self.sticky not in STICKY:
            raise ValueError(f"sticky: one of {', '.join(STICKY)}, got {self.sticky!r}")
        if not re.fullmatch(r"[A-Za-z0-9.-]{1,253}", self.host):
            raise ValueError(f"host: a host name or address (letters, digits, dots, hyphens), got {self.host!r}")
        if self.listen and not re.fullmatch(r"[0-9.]{7,15}|\[[0-9a-fA-F:]+\]", self.listen):
            raise ValueError(f"listen: an IPv4 address or a bracketed IPv6 one, got {self.listen!r}")
        object.__setattr__(self, "run_dir", Path(self.run_dir).resolve())
        for what, path in (("run directory", str(self.run_dir)), ("python", self.python), ("checkout", str(ROOT))):
            # the paths go into both files unquoted (supervisord) or quoted (nginx)
            if not re.fullmatch(r"[\w./+-]+", path):
                raise ValueError(f"{what}: only letters, digits and . / _ + - can go into the configuration, got {path!r}")

    @property
    def names(self) -> list[str]:
        """supervisord's program names of the replicas."""
        return [f"app-{i}" for i in range(1, self.replicas + 1)]

    @property
    def nginx_conf(self) -> Path:
        return self.run_dir / "nginx.conf"

    @property
    def supervisord_conf(self) -> Path:
        return self.run_dir / "supervisord.conf"

    @property
    def socket(self) -> Path:
        return self.run_dir / "supervisor.sock"

    @property
    def url(self) -> str:
        return f"http://{self.listen or self.host}:{self.port}"


def _template(name: str) -> Template:
    return Template((HERE / name).read_text(encoding="utf-8"))


def nginx_conf(s: Settings) -> str:
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in s.replica_ports)
    if s.sticky == "cookie":
        key, cookie = "$studio_route", "$studio_route_cookie"
        note = "a session stays on one replica: its browser's route cookie picks it"
    else:
        key, cookie = "$remote_addr", '""'
        note = "a session stays on one replica: its address picks it (a class behind one NAT shares one)"
    return _template("nginx.conf.in").substitute(
        replicas=s.replicas, run=s.run_dir, servers=servers, hash_key=key, set_cookie=cookie, sticky_note=note,
        listen=f"{s.listen}:{s.port}" if s.listen else str(s.port), server_name=s.host, csp=content_security_policy(),
    )


def supervisord_conf(s: Settings) -> str:
    replica = _template("replica.conf.in")
    programs = "".join(
        replica.substitute(name=name, port=port, python=s.python, root=ROOT, run=s.run_dir, public_host=s.host, public_port=s.port)
        for name, port in zip(s.names, s.replica_ports)
    )
    return _template("supervisord.conf.in").substitute(
        replicas=s.replicas, run=s.run_dir, root=ROOT, nginx=s.nginx or find_program("nginx"), programs=programs,
    )


def render(s: Settings) -> Settings:
    """Write both files (and the directories they name) into ``s.run_dir``."""
    nginx, supervisord = nginx_conf(s), supervisord_conf(s)
    for d in (s.run_dir, s.run_dir / "log", s.run_dir / "tmp"):
        d.mkdir(parents=True, exist_ok=True)
    s.nginx_conf.write_text(nginx, encoding="utf-8")
    s.supervisord_conf.write_text(supervisord, encoding="utf-8")
    return s


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m deploy.render", description=" ".join(__doc__.split("\n\n")[0].split()))
    p.add_argument("--replicas", type=int, default=nproc(), help=f"Streamlit servers (default: the number of cores, {nproc()})")
    p.add_argument("--port", type=int, default=PUBLIC_PORT, help=f"nginx's public port (default {PUBLIC_PORT})")
    p.add_argument("--listen", default="", help="nginx's address (default: every interface)")
    p.add_argument("--host", default="localhost", help="the public host name the students open (default localhost)")
    p.add_argument("--first-replica-port", type=int, default=None, help="the first replica's port; the others follow (default: port + 101)")
    p.add_argument("--sticky", choices=STICKY, default="cookie", help="what pins a session to a replica (default cookie)")
    p.add_argument("--run-dir", type=Path, default=RUN_DIR, help="where the files and everything the servers write go (default build/serve)")
    args = p.parse_args(argv)
    first = args.first_replica_port
    try:
        s = render(Settings(
            replicas=args.replicas, port=args.port, listen=args.listen, host=args.host, sticky=args.sticky, run_dir=args.run_dir,
            replica_ports=tuple(range(first, first + args.replicas)) if first else (),
        ))
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{s.nginx_conf}\n{s.supervisord_conf}")
    print(f"{s.replicas} replica(s) on 127.0.0.1:{', '.join(map(str, s.replica_ports))} behind nginx on port {s.port}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
