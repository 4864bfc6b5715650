"""Tell the media servers and the owner what happened, after the fact.

An entry point that processes files (`run`, `scan`, `add`, `fix`, `relink`) starts an
`Announcer` with `running(settings)` (the daemon: `start`/`stop`) and hands it down; the
pipeline calls `file_finished(announcer, ...)` where a file's final state is recorded. Without
an announcer (None: no server or notifier configured, or a dry run) nothing is announced. Nothing
here can fail, delay or block a file, and no announcer is kept in a global: whoever starts one
stops it.

This package receives plain values and imports no earlier stage (pipeline, runtime, discover).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import PurePosixPath

from loguru import logger

from clearmedia.announce.announcer import FLUSH_SECONDS, Announcer
from clearmedia.announce.outcome import FINAL, Outcome
from clearmedia.announce.servers import tell_servers_deleted
from clearmedia.config import Settings

__all__ = [
    "Announcer",
    "Outcome",
    "file_finished",
    "links_moved",
    "running",
    "start",
    "stop",
    "tell_servers_deleted",
]


def start(settings: Settings) -> Announcer | None:
    """A started announcer for the configured servers and notifiers; None when none is configured."""
    announcer = Announcer.from_settings(settings)
    return announcer.start() if announcer is not None else None


def stop(announcer: Announcer | None, timeout: float = FLUSH_SECONDS) -> None:
    """Send what is still waiting (at most `timeout` seconds), then stop announcing."""
    if announcer is not None:
        announcer.stop(timeout)


@contextmanager
def running(settings: Settings, timeout: float = FLUSH_SECONDS):
    """Announce during a one-shot command: yield the announcer (or None); the last batches are
    sent at its end (interrupted: half a second at most, so a signal still stops the command)."""
    announcer = start(settings)
    try:
        yield announcer
    except BaseException:
        stop(announcer, min(timeout, 0.5))
        raise
    stop(announcer, timeout)


def file_finished(announcer: Announcer | None, *, status, file_id, source, **fields) -> None:
    """Hand one file's final state to `announcer`; never raises, never waits.

    `fields`: target, media_type, title, year, season, episodes (list or JSON text), reason.
    Statuses other than COMPLETED, FAILED and CONFLICT are not announced.
    """
    if announcer is None:
        return
    try:
        outcome = Outcome.create(status=status, file_id=file_id, source=source, **fields)
        if outcome.status in FINAL:
            announcer.publish(outcome)
    except Exception:
        logger.exception("announce: the outcome of file {} is not announced", file_id)


def links_moved(announcer: Announcer | None, settings: Settings, moved: list[tuple[str, Outcome]]) -> None:
    """Links moved in the library (`relink`): the old folders are reported deleted at once, the
    new title folders are refreshed like a linked file's, without a notice. Never raises."""
    if not moved:
        return
    try:
        tell_servers_deleted(settings, [str(PurePosixPath(old).parent) for old, _ in moved])
    except Exception as error:
        logger.warning("could not tell the media servers about moved links: {}", error)
    if announcer is not None:
        for _, outcome in moved:
            announcer.publish(outcome, notify=False)
