"""File system events → settled paths → `Scanner.consider`.

Events only make ClearMedia fast; the periodic rescan makes it correct (watchdog silently drops
events when its queue overflows, and NFS/SMB mounts deliver none). A path is handed to the
scanner once it produced no event for SETTLE_SECONDS, its mtime is at least that old and its
size and mtime did not change since the last look: a file still being written is never handed
over. A folder created or moved in is walked and each file in it is tracked on its own, so one
finished episode of a season pack still downloading is linked without waiting for the others.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

from loguru import logger
from watchdog.events import FileSystemEvent, FileSystemEventHandler

from clearmedia.config import Settings
from clearmedia.discover.inotify_watches import WatchAudit
from clearmedia.discover.rules import video_stem
from clearmedia.discover.settle import SettleTracker
from clearmedia.files import ARIA2_SUFFIX, shown

#: Seconds between checks that every source folder is still watched (see `Watcher._rearm`).
REARM_INTERVAL = 2.0

INOTIFY_LIMIT_HELP = (
    "the inotify watch limit is reached ({error}); falling back to WATCH_MODE=poll (slower, more disk "
    "reads). To fix it, raise the limit: `sudo sysctl fs.inotify.max_user_watches=524288`, and make it "
    "permanent with `echo fs.inotify.max_user_watches=524288 | sudo tee /etc/sysctl.d/90-clearmedia.conf` "
    "(plus `fs.inotify.max_user_instances=512` if the error is EMFILE)"
)


def _folder_key(path: str) -> tuple[int, int] | None:
    """(device, inode) of a folder, None when it is missing or not a folder."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else None


class _EventHandler(FileSystemEventHandler):
    """Turns watchdog events into tracker touches; ignores TARGET_DIR, DATA_DIR and outsiders."""

    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher

    def on_created(self, event: FileSystemEvent) -> None:
        self.watcher.saw(os.fsdecode(event.src_path), event.is_directory)

    def on_modified(self, event: FileSystemEvent) -> None:
        if not event.is_directory:  # a folder's mtime changes with every entry made in it
            self.watcher.saw(os.fsdecode(event.src_path), False)

    def on_closed(self, event: FileSystemEvent) -> None:
        self.watcher.saw(os.fsdecode(event.src_path), False)

    def on_moved(self, event: FileSystemEvent) -> None:
        self.watcher.tracker.forget(os.fsdecode(event.src_path))
        if event.dest_path:
            self.watcher.saw(os.fsdecode(event.dest_path), event.is_directory)

    def on_deleted(self, event: FileSystemEvent) -> None:
        path = os.fsdecode(event.src_path)
        self.watcher.tracker.forget(path)
        if path.endswith(ARIA2_SUFFIX) and not event.is_directory:
            # aria2 removes NAME.aria2 when NAME is complete: NAME is worth a look now.
            self.watcher.saw(path[: -len(ARIA2_SUFFIX)], False)


def _default_observer(mode: str, poll_interval: float):
    if mode == "poll":
        from watchdog.observers.polling import PollingObserver

        return PollingObserver(timeout=poll_interval)
    from watchdog.observers import Observer

    return Observer()


class Watcher:
    """watchdog observer over every source folder + a thread that hands settled paths over.

    `consider(path)` is the scanner's; `found()` is called after paths were handed over (the
    daemon wakes its idle workers). `mode` is "inotify", "poll" or "stopped".
    """

    def __init__(
        self,
        settings: Settings,
        consider: Callable[[Path], object],
        found: Callable[[], None] = lambda: None,
        observer_factory: Callable[[str, float], object] = _default_observer,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.roots = [str(p) for p in settings.source_dirs]
        self.excluded = [str(p) for p in (settings.target_dir, settings.data_dir) if p is not None]
        self.tracker = SettleTracker(settings.settle_seconds, clock=clock)
        self._consider = consider
        self._found = found
        self._observer_factory = observer_factory
        self._observer = None
        self._mode = "stopped"
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._handler: _EventHandler | None = None
        self._keys: dict[str, tuple[int, int] | None] = {}
        self._gone: set[str] = set()
        self._audit = WatchAudit(self.wanted)
        self.poll_interval = min(max(settings.settle_seconds / 2, 1.0), 10.0)

    # --- paths -------------------------------------------------------------------------------
    def wanted(self, path: str) -> bool:
        """Inside a source folder and not inside TARGET_DIR or DATA_DIR."""
        if any(path == ex or path.startswith(ex.rstrip(os.sep) + os.sep) for ex in self.excluded):
            return False
        return any(path.startswith(root.rstrip(os.sep) + os.sep) for root in self.roots)

    def saw(self, path: str, is_directory: bool) -> None:
        """An event on `path`: track it (every file below it, for a folder)."""
        if not self.wanted(path):
            return
        paths = [path]
        if is_directory:
            if self._mode == "inotify":
                self._audit.look_below(path)  # watchdog skips a folder it cannot watch silently
            paths = []
            for folder, dirs, files in os.walk(path):
                dirs[:] = [d for d in dirs if self.wanted(os.path.join(folder, d))]
                paths.extend(os.path.join(folder, name) for name in files)
        self.track(paths)

    def track(self, paths: list[str]) -> None:
        """Look at `paths` again once they settled; a new download says so once, at INFO."""
        new = False
        for item in paths:
            if self.tracker.touch(item):
                new = True
                if video_stem(os.fsencode(os.path.basename(item)).lower()) is not None:
                    logger.info(
                        "new download {}: waiting {:g} s for it to settle", shown(item), self.tracker.settle
                    )
        if new:
            self._wake.set()

    # --- lifecycle -----------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        """ "inotify" or "poll" while events flow and settled paths are handed over, else "stopped"."""
        observer_alive = self._observer is not None and self._observer.is_alive()
        thread_alive = self._thread is not None and self._thread.is_alive()
        return self._mode if observer_alive and thread_alive else "stopped"

    def _start_observer(self, mode: str):
        observer = self._observer_factory(mode, self.poll_interval)
        handler = _EventHandler(self)
        try:
            for root in self.roots:
                observer.schedule(handler, root, recursive=True)
            observer.start()
        except BaseException:
            with contextlib.suppress(Exception):  # best effort cleanup of a half-started observer
                observer.stop()
            raise
        self._handler = handler
        self._keys = {root: _folder_key(root) for root in self.roots}
        return observer

    def _rearm(self) -> None:
        """Watch a source folder again once it is back (a USB disk or share unmounted and mounted
        again): watchdog stops watching a folder that disappears, and inotify does not see into a
        file system mounted over the folder it watched. What the folder holds then is looked at."""
        observer = self._observer
        emitters = getattr(observer, "emitters", None)
        if emitters is None or self._handler is None or not observer.is_alive():
            return
        by_root = {emitter.watch.path: emitter for emitter in list(emitters)}
        for root in self.roots:
            key = _folder_key(root)
            emitter = by_root.get(root)
            if key is None:
                if root not in self._gone:
                    self._gone.add(root)
                    logger.warning(
                        "source folder {} is gone (unmounted?); watching it again when it is back", root
                    )
                continue
            if emitter is not None and emitter.is_alive() and key == self._keys.get(root):
                continue
            try:
                if emitter is not None:
                    observer.unschedule(emitter.watch)
                observer.schedule(self._handler, root, recursive=True)
            except OSError as error:
                logger.warning("cannot watch source folder {} again: {}", root, error)
                continue
            self._keys[root] = key
            self._gone.discard(root)
            self._audit.look_below(root)
            logger.info("source folder {} is back; watching it again", root)
            with contextlib.suppress(OSError), os.scandir(root) as entries:
                for entry in entries:
                    self.saw(entry.path, entry.is_dir(follow_symlinks=False))

    def start(self) -> str:
        """Start watching; fall back to polling when the inotify limit is hit. Return the mode."""
        mode = self.settings.watch_mode
        try:
            self._observer = self._start_observer(mode)
        except OSError as error:
            if mode != "inotify" or error.errno not in (errno.ENOSPC, errno.EMFILE):
                raise
            logger.warning(
                INOTIFY_LIMIT_HELP, error=f"{errno.errorcode.get(error.errno, error.errno)}: {error}"
            )
            mode = "poll"
            self._observer = self._start_observer(mode)
        self._mode = mode
        if mode == "inotify":
            for root in self.roots:
                self._audit.look_below(root)
        self._thread = threading.Thread(target=self._run, name="settle", daemon=True)
        self._thread.start()
        how = "inotify events" if mode == "inotify" else f"polling every {self.poll_interval:g} s"
        logger.info("watching {} ({}, settle {:g} s)", ", ".join(self.roots), how, self.tracker.settle)
        return mode

    def _audit_watches(self) -> None:
        """Fall back to polling when subfolders stay without an inotify watch (the limit is reached).

        Polling rather than a shorter rescan: it sees every folder whatever the limit, hands files
        over SETTLE_SECONDS after they stop changing like events do, and stopping the inotify
        observer gives its watches back to the user's other programs."""
        if self._mode != "inotify":
            return
        missing = self._audit.check(self.roots)
        if not missing:
            return
        logger.warning(
            INOTIFY_LIMIT_HELP,
            error=f"{len(missing)} folder(s) got no inotify watch, e.g. {shown(missing[0])}",
        )
        poll = self._start_observer("poll")
        old, self._observer, self._mode = self._observer, poll, "poll"
        with contextlib.suppress(Exception):
            old.stop()
            old.join(2.0)
        if self._stop.is_set():  # stop() ran meanwhile: do not leave the poller behind
            with contextlib.suppress(Exception):
                poll.stop()
        logger.info("watching {} (polling every {:g} s)", ", ".join(self.roots), self.poll_interval)
        for folder in missing:  # what was written there while nobody watched
            self.saw(folder, True)

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._observer is not None:
            try:
                self._observer.stop()
                self._observer.join(timeout)
            except Exception as error:
                logger.debug("stopping the observer: {}", error)
        if self._thread is not None:
            self._thread.join(timeout)
        self._mode = "stopped"

    def _run(self) -> None:
        next_rearm = time.monotonic() + REARM_INTERVAL
        try:
            while not self._stop.is_set():
                if time.monotonic() >= next_rearm:
                    next_rearm = time.monotonic() + REARM_INTERVAL
                    try:
                        self._rearm()
                        self._audit_watches()
                    except Exception:
                        logger.exception("checking that the source folders are watched failed")
                settled, next_in = self.tracker.ready()
                for path in settled:
                    if self._stop.is_set():
                        return
                    if self._hand_over(path) in ("new", "folder"):
                        self._found()  # at once: a thousand files moved in keep the workers busy from the first
                self._wake.wait(
                    REARM_INTERVAL if next_in is None else min(max(next_in, 0.02), REARM_INTERVAL)
                )
                self._wake.clear()
        finally:
            from clearmedia.store.db import database

            if database.obj is not None:
                database.close()

    def _hand_over(self, path: str) -> object:
        """Give a settled path to the scanner; return its outcome (None if it failed)."""
        try:
            outcome = self._consider(Path(path))
        except Exception:
            logger.exception("could not consider {}; the next rescan will try again", path)
            return None
        logger.debug("settled {}: {}", path, outcome)
        if outcome == "unsettled":  # changed after the tracker's look: SETTLE_SECONDS more
            self.track([path])
        return outcome
