"""One pool of worker threads for `scan` and `run`: claim a due file, process it, repeat.

`run` keeps its workers until `stop()`; `scan` uses `drain=True`: a worker ends when nothing is
due, and `join()` returns once every worker has ended (or the pool was stopped). `process` is
`pipeline.process`, which settles every one-file problem itself; what still escapes it (the
database cannot be written) gives the file back, and a file that cannot even be given back is
kept and given back by `check()` once the database can be written again. A thread that dies
anyway is replaced by `check()`. `stop()` stops claiming, waits a grace period, and releases
what is still in flight.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from loguru import logger

from clearmedia.errors import Reason
from clearmedia.store import queue
from clearmedia.store.db import data_dir, data_dir_cause
from clearmedia.store.models import MediaFile, Status

#: Idle workers poll the queue with a growing wait (a wakeup usually comes first).
IDLE_MIN, IDLE_MAX = 0.2, 5.0


def close_db() -> None:
    """Close this thread's SQLite connection (peewee keeps one per thread)."""
    from clearmedia.store.db import database

    if database.obj is not None:
        database.close()


class WorkerPool:
    """WORKERS threads that claim a due file and process it, one at a time each.

    `claim()` returns a claimed `MediaFile` or None; `process(file)` takes it to its final state
    and returns the status. Outcomes are kept in `outcomes` when `keep_outcomes` (for `scan`'s
    summary). `problem` names a database that cannot be written; `blocked` a rejected key.
    """

    def __init__(
        self,
        size: int,
        process: Callable[[MediaFile], object],
        claim: Callable[[], MediaFile | None] = queue.claim,
        release: Callable[[MediaFile], object] = queue.release,
        next_due_in: Callable[[], float | None] = queue.next_due_in,
        drain: bool = False,
        keep_outcomes: bool = False,
    ) -> None:
        self.size = size
        self._process = process
        self._claim = claim
        self._release = release
        self._next_due_in = next_due_in
        self.drain = drain
        self.keep_outcomes = keep_outcomes
        self.outcomes: list[tuple[MediaFile, object]] = []
        self.problem: str | None = None
        self.blocked: str | None = None
        self._threads: list[threading.Thread | None] = [None] * size
        self._lock = threading.Lock()  # guards _current, _stranded, _seen, outcomes, _done
        self._current: dict[int, MediaFile] = {}
        self._stranded: list[MediaFile] = []
        self._seen: set[int] = set()
        self._stopping = threading.Event()
        self._cond = threading.Condition()
        self._generation = 0
        self._done = 0

    # --- control ---------------------------------------------------------------------------
    def start(self) -> None:
        for slot in range(self.size):
            self._spawn(slot)

    def _spawn(self, slot: int) -> None:
        thread = threading.Thread(target=self._work, args=(slot,), name=f"worker-{slot + 1}", daemon=True)
        self._threads[slot] = thread
        thread.start()

    def wake(self) -> None:
        """New work may be there: wake every idle worker."""
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    @property
    def wakeups(self) -> int:
        return self._generation

    def check(self) -> int:
        """Give back stranded files; replace dead worker threads (not when stopping or draining)."""
        self._give_back_stranded()
        replaced = 0
        for slot, thread in enumerate(self._threads):
            if (
                thread is not None
                and not thread.is_alive()
                and not self._stopping.is_set()
                and not self.drain
            ):
                logger.error("worker thread {} died; starting a new one", thread.name)
                self._spawn(slot)
                replaced += 1
        return replaced

    @property
    def alive(self) -> int:
        return sum(1 for t in self._threads if t is not None and t.is_alive())

    @property
    def busy(self) -> int:
        with self._lock:
            return len(self._current)

    @property
    def done(self) -> int:
        """Files processed since start (whatever their outcome)."""
        return self._done

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every worker has ended (drained or stopped); True when they all have."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            if thread is not None:
                thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        if self.alive == 0:
            self._release_unstarted()
        return self.alive == 0

    def stop(self, grace: float) -> int:
        """Stop claiming; wait up to `grace` s for files in progress; release the rest; return how many."""
        self._stopping.set()
        self.wake()
        self.join(grace)
        with self._lock:
            in_flight = list(self._current.values())
        released = 0
        for file in in_flight:
            try:
                if self._release(file):
                    released += 1
                    logger.warning("released {} back to PENDING (still in progress at stop)", file.path)
            except Exception:
                logger.exception("could not release {}; the next start reclaims it", file.path)
        return released + self._release_unstarted()

    def _release_unstarted(self) -> int:
        """Give back files `claim` took in a batch but never handed to a worker (runtime/readahead)."""
        release_all = getattr(self._claim, "release_all", None)
        return release_all() if callable(release_all) else 0

    # --- one worker ------------------------------------------------------------------------
    def _idle(self, generation: int, timeout: float) -> None:
        with self._cond:
            if self._generation == generation and not self._stopping.is_set():
                self._cond.wait(timeout)

    def _idle_wait(self, backoff: float) -> float:
        try:
            due = self._next_due_in()
        except Exception:
            due = None
        return backoff if due is None else min(backoff, max(due, 0.05))

    def _next(self) -> MediaFile | None:
        """Claim the next file; note (and clear) a database that cannot be written."""
        try:
            file = self._claim()
        except Exception as error:
            self._database_problem(error)
            raise
        if self.problem is not None:
            logger.info("the database can be written again; carrying on")
            self.problem = None
        return file

    def _work(self, slot: int) -> None:
        backoff = IDLE_MIN
        try:
            while not self._stopping.is_set():
                generation = self._generation
                try:
                    file = self._next()
                except Exception:
                    if self.drain:
                        return
                    self._idle(generation, IDLE_MAX)
                    continue
                if file is None or (self.drain and self._again(file)):
                    if self.drain:
                        return
                    self._idle(generation, self._idle_wait(backoff))
                    backoff = min(backoff * 2, IDLE_MAX)
                    continue
                if self._stopping.is_set():  # claimed while `stop()` began: not begun, so give it back
                    self._give_back(file)
                    return
                backoff = IDLE_MIN
                self._run_one(slot, file)
        finally:
            close_db()

    def _again(self, file: MediaFile) -> bool:
        """Draining: a file requeued with no delay comes back at once; leave it for the next pass."""
        with self._lock:
            seen = file.id in self._seen
            self._seen.add(file.id)
        if seen:
            self._release(file)
        return seen

    def _run_one(self, slot: int, file: MediaFile) -> None:
        with self._lock:
            self._current[slot] = file
        try:
            with logger.contextualize(file_id=file.id, path=file.path):
                try:
                    outcome = self._process(file)
                except Exception as error:
                    self._escaped(file, error)
                    outcome = None
        except BaseException:
            # The thread is going down (check() replaces it): give the file back first.
            self._give_back(file)
            raise
        finally:
            with self._lock:
                self._current.pop(slot, None)
        with self._lock:
            self._done += 1
            if self.keep_outcomes and outcome is not None:
                self.outcomes.append((file, outcome))
        self._note_blocked(file, outcome)

    def _note_blocked(self, file: MediaFile, outcome) -> None:
        """A rejected key means nothing can be done until the user fixes it: say so."""
        if outcome == Status.PENDING and getattr(file, "reason_code", None) == Reason.KEY_REJECTED:
            self.blocked = file.error
        elif outcome in (Status.COMPLETED, Status.CONFLICT) or (
            outcome == Status.FAILED and file.reason_code != Reason.KEY_REJECTED
        ):
            self.blocked = None

    def _escaped(self, file: MediaFile, error: Exception) -> None:
        """`process` raised (the database cannot record the outcome): give the file back."""
        if not self._database_problem(error):
            logger.opt(exception=error).error(
                "processing {} failed unexpectedly; it is given back", file.path
            )
        self._give_back(file)

    def _give_back(self, file: MediaFile) -> None:
        try:
            self._release(file)
        except Exception as error:
            self._database_problem(error)
            with self._lock:
                self._stranded.append(file)

    def _give_back_stranded(self) -> None:
        with self._lock:
            stranded, self._stranded = self._stranded, []
        for file in stranded:
            self._give_back(file)

    def _database_problem(self, error: BaseException) -> bool:
        """Note a database that cannot be written (health shows it); True when that was it."""
        cause = data_dir_cause(error)
        if cause is None:
            logger.opt(exception=error).error("the queue failed; trying again soon")
            return False
        problem = f"DATA_DIR {data_dir()} cannot be written: {cause}; files wait until it can"
        if self.problem != problem:
            logger.error(problem)
        self.problem = problem
        return True


def process_due(settings, identifier) -> list[tuple[MediaFile, object]]:
    """Claim and process every due PENDING file with WORKERS threads (a drain, as `scan` does);
    return the (file, status) pairs."""
    from clearmedia import pipeline

    pool = WorkerPool(
        settings.workers,
        lambda file: pipeline.process(file, settings, identifier),
        drain=True,
        keep_outcomes=True,
    )
    pool.start()
    pool.join()
    return pool.outcomes
