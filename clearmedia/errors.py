"""One root exception with a few leaves, and the `Reason` a file is where it is.

`cli` maps the exceptions to exit codes in one place; `pipeline` maps them to a file's outcome
in one table. A file's status is changed by a `Reason` code, never by matching message text:
the words may be reworded freely, the code is what later stages (the scanner reviving a file
found gone, /health naming a rejected key) look at.
"""

from __future__ import annotations

import errno
from enum import StrEnum


class Reason(StrEnum):
    """Why a file is in its status (stored in the `reason_code` column)."""

    SOURCE_GONE = "source_gone"  # the source file vanished (renamed or deleted); revived when found again
    SOURCE_UNAVAILABLE = "source_unavailable"  # its whole download folder is unmounted: waiting
    CROSS_DEVICE = "cross_device"  # SOURCE_DIR and TARGET_DIR on two file systems
    NOT_IDENTIFIED = "not_identified"  # no confident, unique TMDB match
    NAMING = "naming"  # no safe library path
    CONFLICT = "conflict"  # the library path is another file
    LIBRARY_DISK = "library_disk"  # library full, read-only or not writable: transient
    NETWORK = "network"  # network, HTTP 5xx/429, timeout: transient
    KEY_REJECTED = "key_rejected"  # TMDB or the LLM rejects the key: waiting
    SERVICE_PAUSED = "service_paused"  # the LLM circuit breaker is open: waiting
    INTERNAL = "internal"  # a bug: transient, logged with its traceback
    LINK_FAILED = "link_failed"  # any other OS error while linking: transient


class ClearMediaError(Exception):
    """Root of every error ClearMedia raises on purpose; `reason` says why, as a code."""

    reason: Reason = Reason.INTERNAL

    def __init__(self, message: str = "", reason: Reason | None = None):
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class ConfigError(ClearMediaError):
    """A setting is missing or malformed (exit 2). The message names the setting."""


class UsageError(ClearMediaError):
    """The command line itself is wrong (exit 2)."""


class DataDirError(ClearMediaError):
    """DATA_DIR cannot be written (disk full, read-only): `scan` exits 1, `run` waits (503)."""


class TransientError(ClearMediaError):
    """Worth trying again later: network, timeout, HTTP 5xx/429. The file is requeued."""

    reason = Reason.NETWORK


class LibraryDiskError(TransientError):
    """The library cannot take the link now (full, read-only, not writable): requeued."""

    reason = Reason.LIBRARY_DISK


class ServiceWaitError(TransientError):
    """A whole service is unusable for now, not this file: files wait in PENDING (requeued
    without spending an attempt), so a whole library does not turn FAILED at once."""

    reason = Reason.SOURCE_UNAVAILABLE


class ServiceConfigError(ServiceWaitError):
    """A remote service rejects our credentials (e.g. TMDB 401): wait until the user fixes it."""

    reason = Reason.KEY_REJECTED


class ServicePausedError(ServiceWaitError):
    """Calls to a service are paused after repeated failures (the LLM circuit breaker)."""

    reason = Reason.SERVICE_PAUSED


class IdentifyError(ClearMediaError):
    """The file cannot be identified; the message is the reason a person reads. FAILED."""

    reason = Reason.NOT_IDENTIFIED


class NamingError(ClearMediaError):
    """No safe library path can be built (e.g. it would leave TARGET_DIR). FAILED."""

    reason = Reason.NAMING


#: errno of a disk that cannot take a write now -> the cause in words ("library disk full").
DISK_ERRNOS = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "is read-only",
    errno.EACCES: "not writable (permission denied)",
    errno.EPERM: "not writable (operation not permitted)",
}


def disk_cause(error: OSError, what: str) -> str | None:
    """Given an OSError writing to `what` ("library", "DATA_DIR /data"), the cause in words when
    it is a full, read-only or unwritable disk (`library disk full`); None for other errors."""
    words = DISK_ERRNOS.get(error.errno)
    if words is None:
        return None
    return f"{what} {words}"


class StoppedError(ClearMediaError):
    """Stopped by a signal (SIGINT, SIGTERM): exit 128 + the signal's number (130, 143)."""

    def __init__(self, message: str, signum: int):
        super().__init__(message)
        self.signum = signum
