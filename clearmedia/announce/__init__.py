"""Tell the media servers and the owner what happened, after the fact.

The pipeline calls `file_finished(...)` where a file's final state is recorded; `run` and
`scan` call `start(settings)` first and `stop()` at the end (`scan` waits at most a few
seconds). Without a running announcer (no server or notifier configured, or a command that
did not start one) `file_finished` does nothing. Nothing here can fail, delay or block a file.

This package receives plain values and imports no earlier stage (pipeline, runtime, discover).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from loguru import logger

from clearmedia.announce.announcer import FLUSH_SECONDS, Announcer
from clearmedia.announce.outcome import FINAL, Outcome
from clearmedia.announce.servers import tell_servers_deleted
from clearmedia.config import Settings

__all__ = ["Outcome", "file_finished", "running", "start", "stop", "tell_servers_deleted"]

_lock = threading.Lock()
_current: Announcer | None = None


def start(settings: Settings) -> Announcer | None:
    """Start announcing for this process (once); None when no server or notifier is configured."""
    global _current
    with _lock:
        if _current is None:
            _current = Announcer.from_settings(settings)
            if _current is not None:
                _current.start()
        return _current


def stop(timeout: float = FLUSH_SECONDS) -> None:
    """Send what is still waiting (at most `timeout` seconds), then stop announcing."""
    global _current
    with _lock:
        announcer, _current = _current, None
    if announcer is not None:
        announcer.stop(timeout)


@contextmanager
def running(settings: Settings, timeout: float = FLUSH_SECONDS):
    """Announce during a one-shot command; the last batches are sent at its end (interrupted:
    half a second at most, so a signal still stops the command at once)."""
    start(settings)
    try:
        yield
    except BaseException:
        stop(min(timeout, 0.5))
        raise
    stop(timeout)


def file_finished(*, status, file_id, source, **fields) -> None:
    """Hand one file's final state to the announcer; never raises, never waits.

    `fields`: target, media_type, title, year, season, episodes (list or JSON text), reason.
    Statuses other than COMPLETED, FAILED and CONFLICT are not announced.
    """
    announcer = _current
    if announcer is None:
        return
    try:
        outcome = Outcome.create(status=status, file_id=file_id, source=source, **fields)
        if outcome.status in FINAL:
            announcer.publish(outcome)
    except Exception:
        logger.exception("announce: the outcome of file {} is not announced", file_id)
