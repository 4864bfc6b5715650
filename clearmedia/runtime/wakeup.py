"""How `add` finds a running daemon on the same DATA_DIR and wakes it at once.

- `run` holds a shared `flock` on DATA_DIR/run.lock for as long as it runs. The kernel drops the
  lock when the process dies (even by kill -9), so a stale file never fools `add`:
  `daemon_running()` tries an exclusive lock without waiting and fails only while a daemon lives.
- `add` replaces DATA_DIR/wake (a new inode each time); the daemon's `WakeWatcher` looks at it
  every POLL seconds and wakes the idle workers. A stat is cheap, needs no socket path limit and
  works across containers that share DATA_DIR.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

from loguru import logger

LOCK_FILE = "run.lock"
WAKE_FILE = "wake"
POLL = 0.1


class RunLock:
    """Held by `clearmedia run`: tells `add` that a daemon processes this DATA_DIR."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(self._fd, fcntl.LOCK_SH)  # shared: several daemons may run on one DATA_DIR
        except OSError as error:
            logger.warning("cannot lock {} ({}): `add` will process files itself", self.path, error)
            self.release()

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock
            self._fd = None


def daemon_running(data_dir: Path) -> bool:
    """Does a `clearmedia run` hold DATA_DIR's run lock right now?"""
    try:
        fd = os.open(Path(data_dir) / LOCK_FILE, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # also drops the exclusive lock if it was taken
    return False


def wake(data_dir: Path) -> None:
    """Tell a running daemon that new files wait (a new wake file: a new inode)."""
    path = Path(data_dir) / WAKE_FILE
    temp = path.with_name(f".{WAKE_FILE}.{os.getpid()}")
    temp.write_bytes(b"")
    os.replace(temp, path)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


class WakeWatcher:
    """A thread that calls `callback` whenever DATA_DIR/wake is replaced."""

    def __init__(self, data_dir: Path, callback, interval: float = POLL) -> None:
        self.path = Path(data_dir) / WAKE_FILE
        self.callback = callback
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="wake", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(1.0)

    def _run(self) -> None:
        seen = _stamp(self.path)
        while not self._stop.wait(self.interval):
            now = _stamp(self.path)
            if now != seen:
                seen = now
                if now is not None:
                    logger.debug("woken by `clearmedia add`")
                    try:
                        self.callback()
                    except Exception:
                        logger.exception("waking the workers failed")
