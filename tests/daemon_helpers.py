"""A real `clearmedia run` process and what tests read from its database and library."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from tests.fakes.fake_tmdb import FakeTMDB
from tests.helpers import base_env, wait_for


class DaemonProcess:
    """`python -m clearmedia run` with its output in a log file; stop() it in a `finally`."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "clearmedia", "run"], env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 20) -> None:
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"the daemon exited with {self.proc.returncode}:\n{self.log()}")
            return "running:" in self.log()

        wait_for(ready, timeout=timeout, what="the daemon to start")

    def send(self, signum: int) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signum)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 20) -> int:
        """Send `signum` and wait; kill it if it does not stop. Return its exit status."""
        try:
            self.send(signum)
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                raise AssertionError(f"the daemon did not stop within {timeout} s:\n{self.log()}") from None
        finally:
            self._log.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def health(port: int) -> tuple[int, dict]:
    """(HTTP status, body) of the daemon's /health on `port`; (0, {}) while nobody answers."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
    except OSError:
        return 0, {}


def rows(data_dir: Path) -> list[tuple[str, str]]:
    """(status, source path) of every file, read with the stdlib (paths are stored as bytes)."""
    db_path = data_dir / "clearmedia.db"
    if not db_path.exists():
        return []
    try:
        with sqlite3.connect(db_path, timeout=30) as db:
            found = db.execute("SELECT status, path FROM media_file ORDER BY id").fetchall()
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):
            return []  # the daemon is creating the database right now
        raise
    return [(status, os.fsdecode(bytes(path))) for status, path in found]


def links_of(source: Path, library: Path) -> list[Path]:
    """Every file under `library` that is the same inode as `source`."""
    st = os.stat(source)
    return [
        p
        for p in library.rglob("*")
        if p.is_file() and (p.stat().st_ino, p.stat().st_dev) == (st.st_ino, st.st_dev)
    ]


def daemon_env(tmp_path: Path, tmdb: FakeTMDB, **overrides: str) -> dict[str, str]:
    values = dict(TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US", SCAN_INTERVAL="3600", SETTLE_SECONDS="1")
    values.update(overrides)
    return base_env(tmp_path, **values)
