"""One pool of worker threads for `scan` and `run`: claim a due file, process it, repeat.

A worker's exception is logged and its file requeued; a thread that dies anyway is replaced
by `check()`. `stop()` stops claiming, waits a grace period, and releases what is still in flight.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from loguru import logger

from clearmedia.store import queue
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

    `claim()` returns a claimed `MediaFile` or None; `process(file)` takes it to its final state.
    An exception from `process` is logged with its traceback and the file requeued (the worker
    goes on); a thread that dies anyway is noticed by `check()` and replaced. Idle workers sleep
    until `wake()` or a growing poll that never outlasts the next due retry.
    """

    def __init__(
        self,
        size: int,
        process: Callable[[MediaFile], object],
        claim: Callable[[], MediaFile | None] = queue.claim,
        requeue: Callable[[MediaFile, str], object] | None = None,
        release: Callable[[MediaFile], object] = queue.release,
        next_due_in: Callable[[], float | None] = queue.next_due_in,
    ) -> None:
        self.size = size
        self._process = process
        self._claim = claim
        self._requeue = requeue or (
            lambda file, reason: queue.requeue(file, reason, max_attempts=5, base_delay=30)
        )
        self._release = release
        self._next_due_in = next_due_in
        self._threads: list[threading.Thread | None] = [None] * size
        self._current: dict[int, MediaFile] = {}
        self._stopping = threading.Event()
        self._cond = threading.Condition()
        self._generation = 0
        self._done = 0
        self._lock = threading.Lock()

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
        """Replace dead worker threads (unless stopping); return how many were replaced."""
        replaced = 0
        for slot, thread in enumerate(self._threads):
            if thread is not None and not thread.is_alive() and not self._stopping.is_set():
                logger.error("worker thread {} died; starting a new one", thread.name)
                self._spawn(slot)
                replaced += 1
        return replaced

    @property
    def alive(self) -> int:
        return sum(1 for t in self._threads if t is not None and t.is_alive())

    @property
    def busy(self) -> int:
        return len(self._current)

    @property
    def done(self) -> int:
        """Files processed since start (whatever their outcome)."""
        return self._done

    def stop(self, grace: float) -> int:
        """Stop claiming; wait up to `grace` s for files in progress; release the rest; return how many."""
        self._stopping.set()
        self.wake()
        deadline = time.monotonic() + grace
        for thread in self._threads:
            if thread is not None:
                thread.join(max(0.0, deadline - time.monotonic()))
        released = 0
        for file in list(self._current.values()):
            try:
                if self._release(file):
                    released += 1
                    logger.warning("released {} back to PENDING (still in progress at stop)", file.path)
            except Exception:
                logger.exception("could not release {}; the next start reclaims it", file.path)
        return released

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

    def _work(self, slot: int) -> None:
        backoff = IDLE_MIN
        try:
            while not self._stopping.is_set():
                generation = self._generation
                try:
                    file = self._claim()
                except Exception:
                    logger.exception("claiming a file failed; trying again soon")
                    self._idle(generation, IDLE_MAX)
                    continue
                if file is None:
                    self._idle(generation, self._idle_wait(backoff))
                    backoff = min(backoff * 2, IDLE_MAX)
                    continue
                backoff = IDLE_MIN
                self._run_one(slot, file)
        finally:
            close_db()

    def _run_one(self, slot: int, file: MediaFile) -> None:
        self._current[slot] = file
        try:
            with logger.contextualize(file_id=file.id, path=file.path):
                try:
                    self._process(file)
                except Exception as error:
                    logger.exception("processing {} failed unexpectedly; it is requeued", file.path)
                    try:
                        self._requeue(file, f"internal error: {type(error).__name__}: {error}")
                    except Exception:
                        logger.exception("could not requeue {}", file.path)
        except BaseException:
            # The thread is going down (check() replaces it): give the file back first.
            try:
                self._release(file)
            finally:
                self._current.pop(slot, None)
            raise
        self._current.pop(slot, None)
        with self._lock:
            self._done += 1


class DryRunSource:
    """DRY_RUN: hand each PENDING file to a worker once, without claiming (no state changes).

    New files get ever larger ids, so one query for the next id past the last one handed out
    finds them without rereading the whole backlog on every call.
    """

    def __init__(self) -> None:
        self._last_id = 0
        self._lock = threading.Lock()

    def claim(self) -> MediaFile | None:
        with self._lock:
            file = (
                MediaFile.select()
                .where((MediaFile.status == Status.PENDING) & (MediaFile.id > self._last_id))
                .order_by(MediaFile.id)
                .first()
            )
            if file is not None:
                self._last_id = file.id
            return file
