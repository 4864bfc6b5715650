"""`scan`: one pass over the download folders with the same worker pool as `run`, then exit.

SIGINT or SIGTERM stop it within STOP_GRACE seconds: workers stop claiming, files in progress
finish or go back to PENDING, and the command ends with 130 / 143 (cli maps `StoppedError`).
"""

from __future__ import annotations

import signal
import threading
from collections import Counter

from loguru import logger

from clearmedia.commands.output import printable
from clearmedia.config import Settings
from clearmedia.errors import DataDirError, StoppedError
from clearmedia.library.layout import warn_if_layout_changed
from clearmedia.store.db import data_dir_error, open_database
from clearmedia.store.models import Status

#: Seconds files in progress get to finish after a stop signal (the contract allows 5 s in all).
STOP_GRACE = 3.0


def register(commands, common) -> None:
    scan = commands.add_parser("scan", parents=[common], help="one pass over the download folders, then exit")
    scan.add_argument("--dry-run", action="store_true", help="decide and print, link nothing")
    scan.set_defaults(handler=cmd_scan, needs_library=True)


def _print_found(report) -> None:
    print(
        f"scan: {report.seen} video files seen, {report.new} new, {report.ignored} ignored, "
        f"{report.moved} moved, {report.unsettled} still settling, {report.incomplete} incomplete"
    )


def _print_outcomes(outcomes) -> None:
    tally = Counter(str(status) for _, status in outcomes)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(tally.items())) or "nothing was due"
    print(f"processed: {summary}")
    for file, status in outcomes:
        if status == Status.COMPLETED:
            print(f"linked: {printable(file.target)}")
        elif status in (Status.FAILED, Status.CONFLICT):
            print(f"{status.lower()}: {printable(file.path)}: {printable(file.error)}")
    waiting: dict[str, list] = {}  # reason code -> files back in PENDING (a rejected key, a full disk …)
    for file, status in outcomes:
        if status == Status.PENDING:
            waiting.setdefault(file.reason_code or "", []).append(file)
    for files in waiting.values():
        print(f"waiting: {len(files)} file(s) stay PENDING: {printable(files[0].error)}")


class _Stop:
    """Signal handlers that only note the signal and stop the pool from claiming more."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.event = threading.Event()
        self._previous: dict = {}

    def __enter__(self) -> _Stop:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum, _frame) -> None:
        self.signum = self.signum or signum
        self.event.set()

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def _drain(pool, stop: _Stop) -> int:
    """Run `pool` until it has drained or a stop signal came; return the files released."""
    pool.start()
    while not pool.join(timeout=0.2):  # short waits: signal handlers run on this thread
        if stop.event.is_set():
            return pool.stop(STOP_GRACE)
    return 0


def _pool(settings: Settings, identifier, dry: bool, announcer=None):
    from clearmedia import pipeline
    from clearmedia.runtime.readahead import DryRunSource, ReadAhead
    from clearmedia.runtime.workers import WorkerPool

    if not dry:
        return WorkerPool(
            settings.workers,
            lambda file: pipeline.process(file, settings, identifier, announcer),
            claim=ReadAhead(settings, identifier),  # LLM_BATCH_SIZE files per LLM request
            drain=True,
            keep_outcomes=True,
        )
    source = DryRunSource(settings, identifier)  # reads names a batch at a time, claims nothing

    def decide(file):
        decision = pipeline.decide_safely(file, settings, identifier)
        logger.debug("DRY RUN {}", decision.describe())
        return decision

    return WorkerPool(
        settings.workers, decide, claim=source.claim, release=lambda f: False, drain=True, keep_outcomes=True
    )


def _process(settings: Settings, identifier, dry: bool, stop: _Stop, announcer=None) -> None:
    from clearmedia.store import usage

    spent_before = usage.totals()
    pool = _pool(settings, identifier, dry, announcer)
    released = _drain(pool, stop)
    if pool.problem:
        raise DataDirError(pool.problem)
    if dry:
        decisions = sorted((d for _, d in pool.outcomes), key=lambda d: d.file.id)
        for decision in decisions:
            print(decision.describe())
        print(f"dry run: {len(decisions)} files decided, nothing linked, no state changed")
    else:
        _print_outcomes(pool.outcomes)
    if settings.effective_parser == "llm":
        spent = {name: n - spent_before[name] for name, n in usage.totals().items()}
        print(f"LLM: {usage.describe(spent)}")
    if stop.signum is not None:
        name = signal.Signals(stop.signum).name
        raise StoppedError(
            f"scan stopped by {name}: {released} file(s) in progress went back to PENDING", stop.signum
        )


def cmd_scan(args, settings: Settings) -> int:
    try:
        return _scan(args, settings)
    except (DataDirError, StoppedError):
        raise
    except Exception as error:
        raise data_dir_error(settings.data_dir, error) or error from None


def _scan(args, settings: Settings) -> int:
    from clearmedia import pipeline
    from clearmedia.discover.scanner import Scanner
    from clearmedia.identify import Identifier
    from clearmedia.store import queue

    dry = args.dry_run or settings.dry_run
    open_database(settings.data_dir)
    pipeline.warn_if_cross_device(settings)
    warn_if_layout_changed(settings, remember=not dry)
    queue.reclaim_dead()
    with _Stop() as stop:
        report = Scanner(settings).scan_all(stop.event)
        _print_found(report)
        if stop.signum is not None:
            raise StoppedError("scan stopped before processing", stop.signum)
        identifier = Identifier(settings)
        try:
            if dry:
                _process(settings, identifier, True, stop)
            else:
                from clearmedia import announce

                with announce.running(settings) as announcer:  # told before exit (≤ 5 s)
                    _process(settings, identifier, False, stop, announcer)
        finally:
            identifier.close()
    return 0
