"""`clearmedia run`: watcher + periodic rescan + worker threads + health endpoint + sd_notify.

Threads: `watcher` (watchdog observer and the `settle` thread handing settled paths to the
scanner), `rescan` (one full scan at start, then every SCAN_INTERVAL), WORKERS `worker-N` threads
claiming and processing files, `health` (HTTP). The main thread runs a light loop: it reclaims
files of dead processes, replaces dead workers, pings the systemd watchdog, updates STATUS and
logs progress; signal handlers only set a flag (the wakeup fd ends the loop's wait at once).

Stopping (SIGTERM or SIGINT): stop claiming, give files in progress STOP_GRACE seconds to finish,
release the rest back to PENDING, exit 0. A second signal exits at once with status 130; files
it interrupts stay PROCESSING until the next start reclaims them (their process is gone).
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time

from loguru import logger

from clearmedia import __version__
from clearmedia.config import Settings
from clearmedia.runtime.health import HealthServer
from clearmedia.runtime.progress import Progress
from clearmedia.runtime.readahead import DryRunSource, ReadAhead
from clearmedia.runtime.rescan import Rescanner
from clearmedia.runtime.systemd import Notifier, status_line
from clearmedia.runtime.wakeup import RunLock, WakeWatcher
from clearmedia.runtime.workers import WorkerPool
from clearmedia.store import queue
from clearmedia.store.db import data_dir_problem
from clearmedia.store.models import MediaFile, Meta

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
#: Seconds the files in progress get to finish after a stop signal.
STOP_GRACE = 10.0
#: Seconds between reclaims of files left PROCESSING by dead processes (contract: within 60 s).
RECLAIM_INTERVAL = 30.0
#: The STATUS line (queue counts) is refreshed after activity, at least this often when idle.
STATUS_IDLE = 60.0
PROGRESS_INTERVAL = 10.0
#: Seconds between looks at whether DATA_DIR can be written.
DATA_CHECK_INTERVAL = 2.0
#: The main loop counts as stalled (health 503) when its heartbeat is older than this.
STALL_AFTER = 60.0


# --- the daemon ----------------------------------------------------------------------------------


class Daemon:
    """Wires everything together; `run()` blocks until a stop signal and returns the exit status."""

    def __init__(self, settings: Settings, environ: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.notifier = Notifier(environ)
        self.health = HealthServer(settings, self.state)
        self.pool: WorkerPool | None = None
        self.watcher = None
        self.rescanner: Rescanner | None = None
        self.identifier = None
        self.announcer = None  # media servers and notices (announce.start), None when none is set
        self.started = time.time()
        self._heartbeat = time.monotonic()
        self._stop_signal: str | None = None
        self._running = False  # health answers 503 "starting" until the watcher runs
        self._data_problem: str | None = None  # DATA_DIR cannot be written (full, read-only)
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)

    # --- signals -----------------------------------------------------------------------------
    def _on_signal(self, signum: int, _frame) -> None:
        """Only sets a flag (the wakeup fd already woke the main loop); a second signal exits now."""
        if self._stop_signal is not None:
            os.write(
                2, b"second stop signal: exiting at once; files in progress are reclaimed at next start\n"
            )
            os._exit(130)
        self._stop_signal = signal.Signals(signum).name

    def _install_signals(self) -> None:
        self._previous_handlers = {signum: signal.signal(signum, self._on_signal) for signum in STOP_SIGNALS}
        self._previous_wakeup_fd = signal.set_wakeup_fd(self._wake_w, warn_on_full_buffer=False)

    def _restore_signals(self) -> None:
        signal.set_wakeup_fd(self._previous_wakeup_fd)
        for signum, handler in self._previous_handlers.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)

    # --- health ------------------------------------------------------------------------------
    def state(self) -> dict:
        """What /health reports (called on the health server's threads)."""
        problems = []
        watcher = self.watcher.mode if self.watcher is not None else "stopped"
        if not self._running:
            return {"watcher": watcher, "starting": True, "problems": [], "last_scan": None}
        if watcher == "stopped":
            problems.append("the file watcher is not running")
        problems.extend(p for p in (self._data_problem,) if p)
        if self.pool is not None:
            problems.extend(
                p for p in (self.pool.problem, self.pool.blocked) if p and p != self._data_problem
            )
        if self.pool is not None and self.pool.alive < self.pool.size:
            problems.append(f"only {self.pool.alive} of {self.pool.size} worker threads are running")
        if self.rescanner is not None and not self.rescanner.alive:
            problems.append("the periodic rescan is not running")
        if time.monotonic() - self._heartbeat > STALL_AFTER:
            problems.append(f"the main loop has not run for {time.monotonic() - self._heartbeat:.0f} s")
        if self._stop_signal:
            problems.append(f"stopping ({self._stop_signal})")
        try:
            last_scan = Meta.get_value("last_scan")
        except Exception as error:
            last_scan = None
            problems.append(f"database: {type(error).__name__}")
        last_scan = last_scan or (self.rescanner.last_scan if self.rescanner else None)
        workers = (
            {"size": self.pool.size, "alive": self.pool.alive, "busy": self.pool.busy} if self.pool else None
        )
        return {"watcher": watcher, "problems": problems, "last_scan": last_scan, "workers": workers}

    # --- start -------------------------------------------------------------------------------
    def _process(self, file: MediaFile):
        from clearmedia import pipeline

        if self.settings.dry_run:
            decision = pipeline.decide_safely(file, self.settings, self.identifier)
            logger.info("DRY RUN {}", decision.describe())
            return None
        return pipeline.process(file, self.settings, self.identifier, self.announcer)

    def _warm_up(self) -> None:
        """Import the parsers and run guessit once in the background, so the first file after a
        start is not held up by a second of imports."""

        def warm() -> None:
            try:
                if self.settings.effective_parser == "llm":
                    import clearmedia.identify.llm  # noqa: F401 (imports openai)
                from clearmedia.identify.rules import parse_name

                parse_name("Warm.Up.2020.1080p.mkv")
            except Exception as error:
                logger.debug("warm-up: {}", error)

        threading.Thread(target=warm, name="warm-up", daemon=True).start()

    def _make_pool(self) -> WorkerPool:
        """The workers: deciding only under DRY_RUN, else processing (and announcing) due files."""
        settings = self.settings
        if settings.dry_run:
            source = DryRunSource(settings, self.identifier)
            logger.warning("DRY_RUN: decisions are logged, no link is created and no state changes")
            return WorkerPool(
                settings.workers,
                self._process,
                claim=source.claim,
                release=lambda file: False,
                next_due_in=lambda: None,  # every PENDING file is "due", but each is handed out once
            )
        from clearmedia import announce

        self.announcer = announce.start(settings)  # servers and notices, on threads of their own
        # LLM_BATCH_SIZE files per LLM request
        return WorkerPool(settings.workers, self._process, claim=ReadAhead(settings, self.identifier))

    def _start(self) -> None:
        from clearmedia import pipeline
        from clearmedia.discover.scanner import Scanner
        from clearmedia.discover.watcher import Watcher
        from clearmedia.identify import Identifier

        settings = self.settings
        pipeline.warn_if_cross_device(settings)
        reclaimed = queue.reclaim_dead()
        if reclaimed:
            logger.info("{} file(s) left in progress by a stopped ClearMedia are PENDING again", reclaimed)
        self.identifier = Identifier(settings)
        self._warm_up()
        self.pool = self._make_pool()
        self.pool.start()
        if not settings.dry_run:  # `clearmedia add` wakes us instead of processing files itself
            self.run_lock = RunLock(settings.data_dir)
            self.run_lock.acquire()
            self.wakeup = WakeWatcher(settings.data_dir, self.pool.wake)
            self.wakeup.start()
        scanner = Scanner(settings)

        def consider(path):
            outcome = scanner.consider(path)
            if outcome == "unsettled":  # written again since the last event: keep watching it
                self.watcher.tracker.touch(str(path))
            return outcome

        self.watcher = Watcher(settings, consider, self.pool.wake)
        try:
            self.watcher.start()
        except OSError as error:
            logger.error(
                "cannot watch the source folders ({}); new files are found by the rescan every {} s only",
                error,
                settings.scan_interval,
            )
        # After the watcher exists: the first scan's unsettled files go to its settle tracker.
        self.rescanner = Rescanner(settings, self.pool.wake, self._track_unsettled)
        self.rescanner.start()
        self._running = True

    def _check_data_dir(self) -> None:
        """Notice DATA_DIR turning unwritable (health 503), and resume by itself once it is back."""
        problem = data_dir_problem(self.settings.data_dir)
        if problem and problem != self._data_problem:
            logger.error(problem)
        elif problem is None and self._data_problem is not None:
            logger.info("DATA_DIR {} can be written again; carrying on", self.settings.data_dir)
            if self.rescanner is not None:
                self.rescanner.poke()  # what the watcher could not record meanwhile
            if self.pool is not None:
                self.pool.wake()
        self._data_problem = problem

    def _track_unsettled(self, paths: list[str]) -> None:
        """Files a rescan found not yet settled are looked at again SETTLE_SECONDS later."""
        watcher = self.watcher
        if watcher is not None and paths:
            watcher.track(paths)

    # --- main loop ---------------------------------------------------------------------------
    def _tick_seconds(self) -> float:
        interval = self.notifier.watchdog_interval
        return 1.0 if interval is None else max(0.01, min(1.0, interval / 2))

    def _drain_wakeups(self) -> None:
        try:
            while os.read(self._wake_r, 512):
                pass
        except (BlockingIOError, OSError):
            pass

    def _activity(self) -> tuple[int, int]:
        """Changes whenever files were found or processed: the STATUS line is then refreshed."""
        return (self.pool.done, self.pool.wakeups) if self.pool is not None else (0, 0)

    def _loop(self) -> None:
        tick = self._tick_seconds()
        progress = Progress(time.monotonic())
        next_reclaim = time.monotonic() + RECLAIM_INTERVAL
        next_data_check = 0.0
        next_status, seen_activity = 0.0, None
        next_progress = time.monotonic() + PROGRESS_INTERVAL
        counts: dict[str, int] = {}
        while self._stop_signal is None:
            now = time.monotonic()
            self._heartbeat = now
            self.notifier.watchdog_ping(now)
            try:
                if now >= next_data_check:
                    next_data_check = now + DATA_CHECK_INTERVAL
                    self._check_data_dir()
                if now >= next_reclaim:
                    next_reclaim = now + RECLAIM_INTERVAL
                    if queue.reclaim_dead():
                        logger.info("reclaimed files left in progress by a stopped ClearMedia")
                        self.pool.wake()
                self.pool.check()
                if self.rescanner is not None and not self.rescanner.alive:
                    logger.error("the rescan thread died; starting it again")
                    self.rescanner.start()
                activity = self._activity()
                if now >= next_status or (activity != seen_activity and now >= next_status - STATUS_IDLE + 1):
                    # counts: at most once a second while busy, once a minute when idle
                    next_status, seen_activity = now + STATUS_IDLE, activity
                    counts = queue.counts()
                    self.notifier.status(status_line(counts))
                if now >= next_progress:
                    next_progress = now + PROGRESS_INTERVAL
                    line = progress.line(now, self.pool.done, counts, self.pool.blocked)
                    if line:
                        logger.info(line)
            except Exception:
                logger.exception("main loop: unexpected error; carrying on")
            select.select([self._wake_r], [], [], tick)
            self._drain_wakeups()

    # --- stop --------------------------------------------------------------------------------
    def _shutdown(self) -> None:
        self.notifier.stopping("stopping: finishing files in progress")
        busy = self.pool.busy if self.pool else 0
        logger.info(
            "stopping ({}): {} file(s) in progress get up to {:g} s to finish",
            self._stop_signal or "error",
            busy,
            STOP_GRACE,
        )
        if self.watcher is not None:
            self.watcher.stop()
        if getattr(self, "wakeup", None) is not None:
            self.wakeup.stop()
        if self.rescanner is not None:
            self.rescanner.stop()
        released = self.pool.stop(STOP_GRACE) if self.pool is not None else 0
        from clearmedia import announce

        announce.stop(self.announcer, 3.0)  # send what is gathered; a dead server costs at most 3 s
        if getattr(self, "run_lock", None) is not None:
            self.run_lock.release()
        self.health.stop()
        if self.identifier is not None:
            try:
                self.identifier.close()
            except Exception:
                logger.exception("closing the identifier")
        try:
            summary = status_line(queue.counts())
        except Exception as error:
            summary = f"(counts unavailable: {error})"
        logger.info(
            "stopped: {}{}", summary, f"; {released} file(s) released back to PENDING" if released else ""
        )
        self.notifier.close()

    def run(self) -> int:
        self.health.start(self.started)  # first: a busy HEALTH_PORT stops us before anything runs
        self._install_signals()
        try:
            self._start()
            self.notifier.ready(status_line(queue.counts()))
            logger.info(
                "ClearMedia {} running: {} worker(s), rescan every {} s, settle {:g} s",
                __version__,
                self.settings.workers,
                self.settings.scan_interval,
                self.settings.settle_seconds,
            )
            self._loop()
        finally:
            try:
                self._shutdown()
            finally:
                self._restore_signals()
                os.close(self._wake_r)
                os.close(self._wake_w)
        return 0


def run(settings: Settings) -> int:
    """`clearmedia run`: the daemon. Returns 0 after a clean stop; raises ConfigError (exit 2) if
    it cannot start (e.g. HEALTH_PORT in use)."""
    return Daemon(settings).run()
