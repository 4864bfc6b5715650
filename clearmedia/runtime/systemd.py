"""sd_notify over the stdlib socket: READY, STATUS, WATCHDOG and STOPPING for `Type=notify` units.

Does nothing unless systemd (or a test) sets NOTIFY_SOCKET. The watchdog ping is sent by the
daemon's main loop through `watchdog_ping()`, never by a free-running thread, so a stuck main
loop stops the pings and systemd restarts the service.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping

from loguru import logger


def _address(value: str) -> str | bytes:
    """NOTIFY_SOCKET as a socket address: `@name` is Linux's abstract namespace (a leading NUL)."""
    if value.startswith("@"):
        return b"\0" + value[1:].encode()
    return value


def watchdog_interval(environ: Mapping[str, str] | None = None) -> float | None:
    """Seconds between WATCHDOG=1 pings (half of WATCHDOG_USEC), or None when no watchdog is asked.

    WATCHDOG_PID, when set, must be this process: the watchdog is meant for it, not for a child.
    """
    environ = os.environ if environ is None else environ
    usec = environ.get("WATCHDOG_USEC", "")
    pid = environ.get("WATCHDOG_PID", "")
    if pid and pid != str(os.getpid()):
        return None
    try:
        value = int(usec)
    except ValueError:
        return None
    if value <= 0:
        return None
    return value / 1_000_000 / 2


class Notifier:
    """Sends sd_notify messages; every method is a no-op when NOTIFY_SOCKET is not set."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        environ = os.environ if environ is None else environ
        target = environ.get("NOTIFY_SOCKET", "")
        self._address: str | bytes | None = None
        self._socket: socket.socket | None = None
        if target.startswith(("/", "@")):
            self._address = _address(target)
            self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        elif target:
            logger.warning(
                "NOTIFY_SOCKET={} is not a unix socket path; systemd notifications are off", target
            )
        self.watchdog_interval = watchdog_interval(environ) if self._socket else None
        self._last_ping = 0.0
        self._last_status: str | None = None

    @property
    def enabled(self) -> bool:
        return self._socket is not None

    def notify(self, *fields: str) -> bool:
        """Send `fields` (e.g. "READY=1") as one datagram; True if it was sent."""
        if self._socket is None or self._address is None:
            return False
        try:
            self._socket.sendto("\n".join(fields).encode(), self._address)
        except OSError as error:
            logger.debug("sd_notify {} failed: {}", fields, error)
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        return self.notify("READY=1", *([f"STATUS={status}"] if status else []))

    def status(self, text: str) -> bool:
        """STATUS=text, sent only when it changed since the last one."""
        if text == self._last_status:
            return False
        self._last_status = text
        return self.notify(f"STATUS={text}")

    def stopping(self, status: str | None = None) -> bool:
        return self.notify("STOPPING=1", *([f"STATUS={status}"] if status else []))

    def watchdog_ping(self, now: float | None = None) -> bool:
        """WATCHDOG=1 if half the watchdog timeout passed since the last ping; call from the main loop."""
        if self.watchdog_interval is None:
            return False
        now = time.monotonic() if now is None else now
        if now - self._last_ping < self.watchdog_interval:
            return False
        self._last_ping = now
        return self.notify("WATCHDOG=1")

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def status_line(counts: Mapping[str, int]) -> str:
    """`3 pending, 1 processing, 120 completed, 2 failed` (+ conflicts/ignored when there are any)."""
    parts = [
        f"{counts.get('PENDING', 0)} pending",
        f"{counts.get('PROCESSING', 0)} processing",
        f"{counts.get('COMPLETED', 0)} completed",
        f"{counts.get('FAILED', 0)} failed",
    ]
    for name in ("CONFLICT", "IGNORED"):
        if counts.get(name):
            parts.append(f"{counts[name]} {name.lower()}")
    return ", ".join(parts)
