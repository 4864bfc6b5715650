"""The announce thread: one bounded queue in, one gathering channel per destination out.

Workers only `publish()` (a non-blocking put; a full queue drops the outcome with a warning).
The `announce` thread routes each outcome: a linked file's title folder to every media server's
channel, announced events to the notifier's channel. A channel gathers items for its delay
(REFRESH_DELAY, NOTIFY_BATCH_SECONDS) and sends them as one batch on its own thread, so a
server that hangs delays neither the files, nor the other servers, nor the notices. Folders a
server could not be told are kept (bounded) and sent again after a growing wait.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable

from loguru import logger

from clearmedia.announce.notify import Notifier, language_of
from clearmedia.announce.outcome import Outcome, title_folder
from clearmedia.announce.servers import MediaServer, configured, map_path, refresh_folders
from clearmedia.config import Settings

#: Outcomes waiting for the announce thread; more are dropped with a warning.
QUEUE_LIMIT = 10_000
#: Items one channel holds (folders not yet told, notices not yet sent).
CHANNEL_LIMIT = 5_000
#: After a failed batch a server is tried again after this wait, doubled each time up to RETRY_MAX.
RETRY_BASE, RETRY_MAX = 30.0, 600.0
#: Seconds a one-shot command waits at exit for the last batches.
FLUSH_SECONDS = 5.0

_STOP = object()


class Channel:
    """Gathers items for `delay` seconds, then hands them to `send(items, last)` on its own thread.

    `send` returns the items to keep for a later try (a server that is down); a channel that is
    flushing for exit sends at once, tries once and keeps nothing.
    """

    def __init__(self, name: str, delay: float, send: Callable[[list, bool], list], limit=CHANNEL_LIMIT):
        self.name, self.delay, self.limit = name, delay, limit
        self._send = send
        self._items: dict = {}  # an ordered set
        self._first: float | None = None
        self._retry_at = 0.0
        self._failures = 0
        self._busy = self._flushing = False
        self._dropped = 0
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=f"announce-{name.lower()}", daemon=True)

    def start(self) -> Channel:
        self._thread.start()
        return self

    def offer(self, item) -> None:
        with self._cond:
            if item not in self._items and len(self._items) >= self.limit:
                self._dropped += 1
                if self._dropped in (1, 10, 100) or self._dropped % 1000 == 0:
                    logger.warning(
                        "{}: {} item(s) dropped, too many waiting to be sent", self.name, self._dropped
                    )
                return
            self._items[item] = None
            if self._first is None:
                self._first = time.monotonic()
            self._cond.notify_all()

    def _next_batch(self) -> tuple[list, bool] | None:
        with self._cond:
            while True:
                if self._items:
                    due = (
                        time.monotonic() if self._flushing else max(self._first + self.delay, self._retry_at)
                    )
                    wait = due - time.monotonic()
                    if wait <= 0:
                        batch, self._items, self._first = list(self._items), {}, None
                        self._busy = True
                        return batch, self._flushing
                elif self._flushing:
                    return None
                else:
                    wait = None
                self._cond.wait(wait)

    def _run(self) -> None:
        while (taken := self._next_batch()) is not None:
            batch, last = taken
            try:
                kept = self._send(batch, last)
            except Exception:
                logger.exception("{}: sending failed unexpectedly; the batch is dropped", self.name)
                kept = []
            with self._cond:
                self._busy = False
                if kept and not last:
                    self._failures += 1
                    self._retry_at = time.monotonic() + min(RETRY_BASE * 2 ** (self._failures - 1), RETRY_MAX)
                    for item in kept:
                        self._items.setdefault(item, None)
                    self._first = self._first or time.monotonic()
                elif not kept:
                    self._failures, self._retry_at = 0, 0.0
                self._cond.notify_all()

    def flush(self) -> None:
        """Send what is waiting now, then end the thread."""
        with self._cond:
            self._flushing = True
            self._cond.notify_all()

    def join(self, deadline: float) -> bool:
        """Wait until the flush is done or `deadline` (monotonic); True when done."""
        self._thread.join(max(0.0, deadline - time.monotonic()))
        return not self._thread.is_alive()


def _server_channel(server: MediaServer, delay: float) -> Channel:
    def send(folders: list, last: bool) -> list:
        return refresh_folders(server, folders, tries=1 if last else 3)

    return Channel(server.name, delay, send)


def _notice_channel(notifier: Notifier, delay: float) -> Channel:
    def send(outcomes: list, last: bool) -> list:
        notifier.send(outcomes, tries=1 if last else 3)
        return []  # a notice that cannot be sent is dropped (logged by the notifier)

    return Channel("notify", delay, send)


class Announcer:
    """The queue, the routing thread and the channels; `publish()` never blocks or raises."""

    def __init__(self, settings: Settings, servers: list[MediaServer], notifier: Notifier | None):
        self.settings = settings
        self._queue: queue.Queue = queue.Queue(maxsize=QUEUE_LIMIT)
        self._servers = [_server_channel(s, settings.refresh_delay) for s in servers]
        self._notices = _notice_channel(notifier, settings.notify_batch_seconds) if notifier else None
        self._dropped = 0
        self._thread = threading.Thread(target=self._run, name="announce", daemon=True)

    @classmethod
    def from_settings(cls, settings: Settings) -> Announcer | None:
        """An announcer for the configured servers and notifiers; None when there are none."""
        servers = configured(settings)
        notifier = None
        if settings.notify_urls and settings.notify_events:
            notifier = Notifier(settings.notify_urls, language_of(settings.tmdb_language), settings.secrets())
            notifier = notifier if notifier.targets else None
        return cls(settings, servers, notifier) if servers or notifier else None

    @property
    def channels(self) -> list[Channel]:
        return self._servers + ([self._notices] if self._notices else [])

    def start(self) -> Announcer:
        for channel in self.channels:
            channel.start()
        self._thread.start()
        names = [c.name for c in self._servers] + (["notifications"] if self._notices else [])
        logger.info("announcing to {}", ", ".join(names))
        return self

    def publish(self, outcome: Outcome, notify: bool = True) -> None:
        """Queue one outcome (servers are told of a linked file's folder; with `notify`, the
        owner too when NOTIFY_EVENTS asks); a full queue drops it with a warning."""
        try:
            self._queue.put_nowait((outcome, notify))
        except queue.Full:
            self._dropped += 1
            if self._dropped in (1, 10, 100) or self._dropped % 1000 == 0:
                logger.warning("announce queue full: {} outcome(s) not announced", self._dropped)

    def _route(self, outcome: Outcome, notify: bool = True) -> None:
        if outcome.status == "COMPLETED" and outcome.target and self._servers:
            folder = title_folder(
                outcome.target, outcome.media_type, outcome.season, str(self.settings.target_dir)
            )
            mapped = map_path(folder, self.settings.media_server_path_map)
            for channel in self._servers:
                channel.offer(mapped)
        if notify and self._notices is not None and outcome.event in self.settings.notify_events:
            self._notices.offer(outcome)

    def _run(self) -> None:
        while (item := self._queue.get()) is not _STOP:
            try:
                self._route(*item)
            except Exception:
                logger.exception("announce: an outcome could not be routed")

    def stop(self, timeout: float = FLUSH_SECONDS) -> bool:
        """Send what is waiting (each destination tried once) within `timeout` s; True when all done."""
        deadline = time.monotonic() + timeout
        with contextlib.suppress(queue.Full):
            self._queue.put(_STOP, timeout=max(0.1, timeout / 2))
        self._thread.join(max(0.0, deadline - time.monotonic()))
        for channel in self.channels:
            channel.flush()
        done = all([channel.join(deadline) for channel in self.channels])
        if not done:
            logger.warning(
                "some media servers or notifiers did not answer in {:g} s; not waiting longer", timeout
            )
        return done
