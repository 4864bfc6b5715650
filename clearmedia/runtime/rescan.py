"""The periodic full rescan of `run`: the walk that makes ClearMedia correct when events are lost."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

from loguru import logger

from clearmedia.config import Settings
from clearmedia.runtime.workers import close_db


class Rescanner:
    """A full scan at start (in its own thread, so startup is quick), then every SCAN_INTERVAL s."""

    def __init__(
        self,
        settings: Settings,
        found: Callable[[], None],
        unsettled: Callable[[list[str]], None] = lambda p: None,
    ) -> None:
        self.settings = settings
        self._found = found
        self._unsettled = unsettled
        self._stop = threading.Event()
        self._poke = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_scan: str | None = None
        self.scans = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rescan", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def poke(self) -> None:
        """Scan now instead of at the next SCAN_INTERVAL (e.g. DATA_DIR can be written again)."""
        self._poke.set()

    def stop(self, timeout: float = 1.0) -> None:
        self._stop.set()
        self._poke.set()
        if self._thread is not None:
            self._thread.join(timeout)  # a walk in progress is not interrupted; it is a daemon thread

    def _run(self) -> None:
        from clearmedia.discover.scanner import Scanner

        scanner = Scanner(self.settings)
        try:
            while not self._stop.is_set():
                try:
                    report = scanner.scan_all()
                    self._found()  # new files, or files whose retry came due: wake idle workers
                    self._unsettled(report.unsettled_paths)  # looked at again SETTLE_SECONDS later
                except Exception:
                    logger.exception("rescan failed; trying again in {} s", self.settings.scan_interval)
                self.scans += 1
                self.last_scan = datetime.now(UTC).isoformat(timespec="seconds")
                self._poke.wait(self.settings.scan_interval)
                self._poke.clear()
        finally:
            close_db()
