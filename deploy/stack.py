"""The whole set — supervisord, nginx and the Streamlit replicas — rendered into a run
directory of its own on free local ports, for the tests and the benchmarks: started and
waited for until every part answers, looked into (process ids from supervisord's XML-RPC on
its unix socket, websockets from /proc), and stopped by process id, checking that no child
outlives supervisord."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import xmlrpc.client
from pathlib import Path

from .render import Settings, find_program, render

# the servers are local: never through an HTTP(S)_PROXY from the environment
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_ports(n: int) -> list[int]:
    """``n`` different ports free on 127.0.0.1 just now."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with DIRECT.open(url + "/_stcore/health", timeout=timeout) as r:
            return r.read().strip() == b"ok"
    except OSError:
        return False


def established(port: int) -> int:
    """TCP connections established to ``port`` on this machine (its server side), from /proc."""
    n = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                n += 1
    return n


def _started(pid: int) -> int | None:
    """The process's start time (clock ticks since boot), or None when it is gone or a zombie:
    with the pid, it names one process even if the pid is used again."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] in ("Z", "X") else int(fields[19])


def descendants(pid: int) -> list[int]:
    """Every live process started, directly or not, by ``pid``."""
    parent = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    found, todo = [], [pid]
    while todo:
        kids = [c for c, p in parent.items() if p == todo[-1]]
        todo.pop()
        found += kids
        todo += kids
    return found


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class _UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path: str, timeout: float = 10.0):
        super().__init__()
        self.path, self.timeout = path, timeout

    def make_connection(self, host):
        return _UnixConnection(self.path, self.timeout)


class Stack:
    """``replicas`` Streamlit servers behind nginx on ``127.0.0.1:<port>``, under supervisord,
    everything in ``run_dir`` (a new temporary directory by default, removed at the end unless
    something failed)."""

    def __init__(self, replicas: int = 2, sticky: str = "cookie", run_dir: Path | None = None):
        self._own_dir = run_dir is None
        run_dir = Path(tempfile.mkdtemp(prefix="studio-serve-")) if run_dir is None else run_dir
        os.chmod(run_dir, 0o755)  # nginx's workers run as nobody when root starts it
        port, *ports = free_ports(replicas + 1)
        self.settings = Settings(replicas=replicas, port=port, listen="127.0.0.1", host="127.0.0.1",
                                 replica_ports=tuple(ports), sticky=sticky, run_dir=run_dir)
        self.url = self.settings.url
        self.proc: subprocess.Popen | None = None
        self.children: list[tuple[int, int]] = []  # (pid, start time) of every process seen under supervisord
        self.survivors: list[int] = []  # children still alive after supervisord stopped (then killed)

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, kind, *exc) -> None:
        self.stop(keep=kind is not None)

    @property
    def run_dir(self) -> Path:
        return self.settings.run_dir

    @property
    def names(self) -> list[str]:
        return self.settings.names

    def port(self, name: str) -> int:
        return self.settings.replica_ports[self.names.index(name)]

    def replica_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port(name)}"

    # -- starting

    def start(self, timeout: float = 120.0) -> None:
        render(self.settings)
        out = open(self.run_dir / "log" / "supervisord.out", "wb")
        self.proc = subprocess.Popen([find_program("supervisord"), "-n", "-c", str(self.settings.supervisord_conf)],
                                     stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        out.close()
        deadline = time.monotonic() + timeout
        try:
            self.wait(lambda: all(self.state(n) == "RUNNING" for n in ("nginx", *self.names)), deadline, "every program RUNNING")
            self.wait(lambda: all(healthy(self.replica_url(n)) for n in self.names), deadline, "every replica's /_stcore/health")
            self.wait(lambda: healthy(self.url), deadline, "/_stcore/health through nginx")
        except BaseException:
            self.stop(keep=True)
            raise
        self._note_children()

    def wait(self, ready, deadline: float, what: str) -> None:
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"supervisord exited with {self.proc.returncode}; {self.logs()}")
            try:
                if ready():
                    return
            except (OSError, xmlrpc.client.Error):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"waited in vain for {what}; {self.logs()}")
            time.sleep(0.2)

    # -- looking in

    def rpc(self):
        """supervisord's XML-RPC interface (``supervisor.*``) through its unix socket."""
        return xmlrpc.client.ServerProxy("http://localhost/RPC2", transport=_UnixTransport(str(self.settings.socket))).supervisor

    def info(self, name: str) -> dict:
        return self.rpc().getProcessInfo(name)

    def state(self, name: str) -> str:
        return self.info(name)["statename"]

    def pid(self, name: str) -> int:
        return self.info(name)["pid"]

    def pids(self) -> dict[str, int]:
        return {p["name"]: p["pid"] for p in self.rpc().getAllProcessInfo()}

    def sessions(self, name: str) -> int:
        """Websockets (or requests) the replica holds open now."""
        return established(self.port(name))

    def _note_children(self) -> None:
        """Remember every process under supervisord now (the replicas, nginx and its workers)."""
        if self.proc is None:
            return
        seen = set(self.children)
        for pid in descendants(self.proc.pid):
            started = _started(pid)
            if started is not None and (pid, started) not in seen:
                self.children.append((pid, started))

    def kill(self, name: str, sig: int = signal.SIGKILL) -> int:
        """Send ``sig`` to one replica (a crash, with SIGKILL); its pid."""
        self._note_children()
        pid = self.pid(name)
        os.kill(pid, sig)
        return pid

    def wait_restarted(self, name: str, old_pid: int, timeout: float = 60.0) -> int:
        """Until supervisord has the program running again under a new pid and it answers."""
        self.wait(lambda: self.state(name) == "RUNNING" and self.pid(name) != old_pid and healthy(self.replica_url(name)),
                  time.monotonic() + timeout, f"{name} restarted")
        self._note_children()
        return self.pid(name)

    def logs(self, chars: int = 1500) -> str:
        parts = []
        for f in sorted((self.run_dir / "log").glob("*")):
            try:
                text = f.read_text(errors="replace")[-chars:]
            except OSError:
                continue
            if text.strip():
                parts.append(f"--- {f.name} ---\n{text}")
        return "logs:\n" + "\n".join(parts)

    # -- stopping

    def stop(self, keep: bool = False) -> None:
        """SIGTERM to supervisord, which stops its programs; wait; then every child seen (or
        still under it) that is alive is a survivor, recorded and killed by its pid."""
        self._note_children()
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=45)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
        for pid, started in self.children:
            if _started(pid) == started:
                self.survivors.append(pid)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self._own_dir and not keep and not self.survivors:
            shutil.rmtree(self.run_dir, ignore_errors=True)
