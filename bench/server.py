"""A real ``streamlit run app.py`` for the browser sections: the browser tests' server
(``tests.browser.driver.AppServer``) with the file watcher off, its log in the temporary
directory and removed when the ``with`` block ends (kept if the server would not start)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.browser.driver import AppServer, free_port
from tests.browser.driver import vm as proc_status

__all__ = ["Server", "free_port", "proc_status"]


class Server(AppServer):
    def __init__(self, port: int | None = None):
        super().__init__(port, log_dir=Path(tempfile.gettempdir()))
        self.log = self.log.with_name(f"inception-studio-bench-{self.port}.log")

    def __exit__(self, *exc) -> None:
        self.stop(keep_log=False)

    def command(self) -> list[str]:
        return [*super().command(), "--server.fileWatcherType", "none"]

    def start(self, timeout: float = 90.0) -> None:
        super().start(timeout)
