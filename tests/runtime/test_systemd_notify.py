"""sd_notify: a unix datagram socket bound by the test receives what a real daemon sends."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import uuid
from pathlib import Path

import pytest

from clearmedia.runtime.systemd import Notifier, status_line, watchdog_interval
from tests.daemon_helpers import DaemonProcess, daemon_env
from tests.helpers import make_video, wait_for


class NotifySocket:
    """A bound AF_UNIX datagram socket collecting every message, like systemd's."""

    def __init__(self, address: str | bytes) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address)
        self.sock.settimeout(0.2)
        self.messages: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except TimeoutError:
                continue
            except OSError:
                return

    def lines(self) -> list[str]:
        return [line for message in list(self.messages) for line in message.split("\n")]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def short_dir():
    """Socket paths are limited to 107 bytes: pytest's tmp_path can be longer."""
    path = Path(tempfile.mkdtemp(prefix="cm-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.slow
def test_daemon_sends_ready_watchdog_status_and_stopping(tmp_path, short_dir, tmdb):
    listener = NotifySocket(str(short_dir / "notify"))
    env = daemon_env(tmp_path, tmdb, NOTIFY_SOCKET=str(short_dir / "notify"), WATCHDOG_USEC="400000")
    make_video(tmp_path / "downloads" / "Inception.2010.1080p.mkv")
    daemon = DaemonProcess(env, tmp_path / "daemon.log")
    try:
        wait_for(lambda: "READY=1" in listener.lines(), timeout=20, what="READY=1")
        wait_for(lambda: listener.lines().count("WATCHDOG=1") >= 5, timeout=5, what="watchdog pings")
        wait_for(
            lambda: any(line.startswith("STATUS=") and "1 completed" in line for line in listener.lines()),
            timeout=15,
            what="a STATUS line with the counts",
        )
    finally:
        assert daemon.stop() == 0
    try:
        lines = listener.lines()
        assert "STOPPING=1" in lines
        assert lines.index("READY=1") < lines.index("STOPPING=1")
        status = next(line for line in lines if line.startswith("STATUS=") and "completed" in line)
        assert status.startswith("STATUS=") and " pending, " in status and " failed" in status
    finally:
        listener.close()


def test_abstract_namespace_socket_and_watchdog_interval():
    name = f"clearmedia-test-{uuid.uuid4().hex}"
    listener = NotifySocket(b"\0" + name.encode())
    try:
        notifier = Notifier({"NOTIFY_SOCKET": "@" + name, "WATCHDOG_USEC": "400000"})
        assert notifier.enabled and notifier.watchdog_interval == pytest.approx(0.2)
        assert notifier.ready("starting")
        assert notifier.watchdog_ping(now=100.0)
        assert not notifier.watchdog_ping(now=100.1)  # not yet half the timeout
        assert notifier.watchdog_ping(now=100.25)
        assert notifier.status("1 pending") and not notifier.status("1 pending")  # only changes are sent
        wait_for(lambda: len(listener.lines()) >= 5, timeout=5, what="the datagrams")
        assert listener.lines() == [
            "READY=1",
            "STATUS=starting",
            "WATCHDOG=1",
            "WATCHDOG=1",
            "STATUS=1 pending",
        ]
        notifier.close()
    finally:
        listener.close()


def test_nothing_is_sent_without_notify_socket_and_watchdog_pid_is_honoured():
    quiet = Notifier({})
    assert not quiet.enabled and not quiet.ready() and not quiet.watchdog_ping()
    assert watchdog_interval({"WATCHDOG_USEC": "1000000"}) == 0.5
    assert watchdog_interval({"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": str(os.getpid())}) == 0.5
    assert watchdog_interval({"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "nonsense"}) is None
    assert watchdog_interval({}) is None


def test_status_line():
    counts = {"PENDING": 3, "PROCESSING": 1, "COMPLETED": 120, "FAILED": 2, "CONFLICT": 0, "IGNORED": 4}
    assert status_line(counts) == "3 pending, 1 processing, 120 completed, 2 failed, 4 ignored"
