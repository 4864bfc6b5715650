"""The settle tracker: a path is settled once it produced no event for SETTLE_SECONDS, its mtime
is at least that old, and its size and mtime did not change since the last look."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

#: Signature of a file: (size, mtime_ns), or None when it is gone or not a regular file.
Signature = tuple[int, int] | None


def file_signature(path: str) -> Signature:
    """(size, mtime_ns) of a regular file, None if it is missing or something else."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not os.path.isfile(path):
        return None
    return (st.st_size, st.st_mtime_ns)


@dataclass
class _Entry:
    last_activity: float  # time of the last event, or of the last change seen by a look
    signature: Signature = None  # what the last look saw (None: not looked yet)


class SettleTracker:
    """Remembers recently active paths and says when each one has settled.

    Settled: no `touch` for `settle_seconds`, an mtime at least that old, and the same size and
    mtime as at the previous look. Thread-safe: the observer thread touches, another thread asks
    `ready()`. `clock` (wall time, comparable to mtimes) and `signature` are injectable for tests.
    """

    def __init__(
        self,
        settle_seconds: float,
        clock: Callable[[], float] = time.time,
        signature: Callable[[str], Signature] = file_signature,
    ) -> None:
        self.settle = float(settle_seconds)
        self._clock = clock
        self._signature = signature
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, path: str) -> bool:
        return path in self._entries

    def touch(self, path: str, now: float | None = None) -> bool:
        """Record activity on `path` (cheap: no stat). True when the path is new to the tracker."""
        now = self._clock() if now is None else now
        with self._lock:
            entry = self._entries.get(path)
            if entry is None:
                self._entries[path] = _Entry(now)
                return True
            entry.last_activity = max(entry.last_activity, now)
            return False

    def forget(self, path: str) -> None:
        """Drop `path` and everything below it (deleted or moved away)."""
        prefix = path.rstrip(os.sep) + os.sep
        with self._lock:
            for known in [p for p in self._entries if p == path or p.startswith(prefix)]:
                del self._entries[known]

    def ready(self, now: float | None = None) -> tuple[list[str], float | None]:
        """Pop the settled paths; return them and the seconds until the next one may settle."""
        now = self._clock() if now is None else now
        settled: list[str] = []
        next_in: float | None = None
        with self._lock:
            candidates = list(self._entries.items())
        for path, entry in candidates:
            wait: float | None = entry.last_activity + self.settle - now
            if wait is not None and wait <= 0:
                signature = self._signature(path)  # outside the lock: the observer keeps touching
                wait = self._look(path, entry, signature, now)
                if wait == 0:
                    settled.append(path)
                if not wait:
                    continue
            next_in = wait if next_in is None else min(next_in, wait)
        return settled, next_in

    def _look(self, path: str, entry: _Entry, signature: Signature, now: float) -> float | None:
        """Judge an entry quiet for `settle`: 0 = settled, None = gone (both popped), else seconds to wait."""
        with self._lock:
            if self._entries.get(path) is not entry:
                return self.settle  # forgotten or replaced meanwhile
            if entry.last_activity + self.settle > now:
                return entry.last_activity + self.settle - now  # touched while we looked
            previous, entry.signature = entry.signature, signature
            if signature is None:
                del self._entries[path]  # gone, or not a regular file: nothing to hand over
                return None
            mtime = signature[1] / 1e9
            if previous is not None and previous != signature:
                entry.last_activity = now  # changed without an event (missed, or polling)
                return self.settle
            if mtime > now + 1:  # mtime in the future (clock skew): trust two equal looks instead
                if previous is None:
                    entry.last_activity = now
                    return self.settle
            elif now - mtime < self.settle:  # written more recently than an event told us
                entry.last_activity = mtime
                return mtime + self.settle - now
            del self._entries[path]
            return 0
