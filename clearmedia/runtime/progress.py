"""The progress line of `run` during a backlog: done, remaining, rate, time left."""

from __future__ import annotations

from collections import deque

from clearmedia.store.models import Status


class Progress:
    """Builds the "done / remaining / rate / time left" line during a backlog."""

    def __init__(self, now: float, window: float = 60.0) -> None:
        self.window = window
        self._samples: deque[tuple[float, int]] = deque([(now, 0)])
        self._last_done = 0

    def line(self, now: float, done: int, counts: dict[str, int], blocked: str | None = None) -> str | None:
        """A progress line when work was done since the last call and files still wait, else None.

        `blocked` (a rejected key) replaces the rate and time left with what blocks the files."""
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[0][0] > self.window:
            self._samples.popleft()
        worked, self._last_done = done > self._last_done, done
        remaining = counts.get(Status.PENDING, 0) + counts.get(Status.PROCESSING, 0)
        if not worked or remaining < 1:
            return None
        if blocked:  # nothing can be done until the user acts: promise no finish time
            return f"progress: {done} done, {remaining} waiting: {blocked}"
        first_time, first_done = self._samples[0]
        rate = (done - first_done) / (now - first_time) if now > first_time else 0.0
        eta = _duration(remaining / rate) if rate > 0 else "unknown"
        return f"progress: {done} done, {remaining} remaining, {rate:.1f} files/s, about {eta} left"


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
