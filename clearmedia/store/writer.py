"""Inserting newly discovered files: batched multi-row INSERTs, optionally on a writer thread."""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from functools import lru_cache
from itertools import chain

from loguru import logger

from clearmedia.files import shown
from clearmedia.store.models import Status

#: Rows per INSERT and transaction (fewer when SQLite allows fewer parameters in a statement).
BATCH_SIZE = 500
#: A full scan's writer thread commits after this many rows or seconds, whichever comes first.
COMMIT_ROWS, COMMIT_SECONDS = 5000, 0.5
#: Batches waiting for the writer thread (bounds the memory a fast walk can run ahead with).
WRITE_QUEUE = 8
PENDING = Status.PENDING.value
#: For the per-file lines: the path is only turned into text when the line is really written.
_lazy = logger.opt(lazy=True)


class RowWriter:
    """Inserts batches of new rows and logs each new file with its id.

    A full scan hands its batches to a writer thread (`threaded`): SQLite works with the GIL
    released, so the walk (system calls, Python) and the inserts overlap on two cores. The
    thread keeps a transaction open over the batches already waiting, up to COMMIT_ROWS rows or
    COMMIT_SECONDS, so new rows stay visible to the daemon's workers within about a second.
    """

    def __init__(self, db, threaded: bool = False):
        self.db = db
        self.threaded = threaded
        self.new_ids: list[int] = []
        self.ignored = 0
        self.conflicts = 0
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def close(self, report) -> None:
        """Wait for what is still being written, then add the counts to `report` (a ScanReport)."""
        self.stop(reraise=True)
        report.new += len(self.new_ids)
        report.new_ids.extend(self.new_ids)
        report.ignored += self.ignored
        report.known += self.conflicts

    def stop(self, reraise: bool = False) -> None:
        """Let the writer thread write what it was given and end; `reraise` its error, if any."""
        thread, self._thread = self._thread, None
        if thread is not None:
            try:
                self._put(None)
            except BaseException:
                if reraise:
                    raise
            finally:
                thread.join()
        if reraise and self._error is not None:
            raise self._error

    def write(self, rows: list[tuple]) -> None:
        """Insert `rows` (in the writer thread when threaded) and log each new file with its id."""
        if not self.threaded:
            with self.db.atomic("IMMEDIATE"):
                created = self._insert(rows)
            self._log(created)
            return
        if self._thread is None:
            self._queue = queue.Queue(maxsize=WRITE_QUEUE)
            self._thread = threading.Thread(target=self._run, name="scan-writer", daemon=True)
            self._thread.start()
        self._put(rows)

    def _put(self, rows: list[tuple] | None) -> None:
        """Hand `rows` (None: the end) to the writer thread; raise its error if it failed."""
        while True:
            if self._error is not None:
                raise self._error
            try:
                self._queue.put(rows, timeout=0.1)
                return
            except queue.Full:
                continue

    def _run(self) -> None:
        """The writer thread: one transaction over the batches already waiting (see the class)."""
        db, waiting = self.db, self._queue
        try:
            rows = waiting.get()
            while rows is not None:
                created: list[tuple] = []
                deadline = time.monotonic() + COMMIT_SECONDS
                count = 0
                with db.atomic("IMMEDIATE"):
                    while True:
                        created.extend(self._insert(rows))
                        count += len(rows)
                        if count >= COMMIT_ROWS or time.monotonic() >= deadline:
                            rows = ...
                            break
                        try:
                            rows = waiting.get_nowait()  # never wait for the walk holding the lock
                        except queue.Empty:
                            rows = ...
                            break
                        if rows is None:
                            break
                self._log(created)
                if rows is ...:
                    rows = waiting.get()
        except BaseException as error:  # raised in the walking thread by `_put` / `close`
            self._error = error
        finally:
            db.close()  # this thread's connection (peewee keeps one per thread)

    def _insert(self, rows: list[tuple]) -> list[tuple]:
        """Insert `rows` (inside a write transaction); return (id, device, inode, path, status,
        error) of the rows created."""
        db = self.db
        before = db.execute_sql("SELECT COALESCE(MAX(id), 0) FROM media_file").fetchone()[0]
        db.execute_sql(insert_sql(len(rows)), list(chain.from_iterable(rows)))
        after = db.execute_sql("SELECT MAX(id) FROM media_file").fetchone()[0]
        if after - before == len(rows):
            # Every row went in, and while we hold the write lock each new row gets the
            # largest id + 1: the ids are before+1 … after, in order. No need to read back.
            created = [
                (file_id, row[0], row[1], row[2], row[6], row[7])
                for file_id, row in zip(range(before + 1, after + 1), rows, strict=True)
            ]
        else:
            created = db.execute_sql(
                "SELECT id, device, inode, path, status, error FROM media_file WHERE id > ? ORDER BY id",
                (before,),
            ).fetchall()
        self.conflicts += len(rows) - len(created)  # recorded meanwhile by another process
        return created

    def _log(self, created: list[tuple]) -> None:
        for file_id, _device, _inode, path, status, error in created:
            if status == PENDING:
                self.new_ids.append(file_id)
                _lazy.debug("new file #{}: {}", lambda i=file_id: i, lambda p=path: shown(p))
            else:
                self.ignored += 1
                _lazy.debug(
                    "ignored #{} {}: {}", lambda i=file_id: i, lambda p=path: shown(p), lambda e=error: e
                )


INSERT_COLUMNS = (
    "device",
    "inode",
    "path",
    "source_root",
    "size",
    "mtime",
    "status",
    "error",
    "attempts",
    "next_attempt_at",
    "created_at",
    "updated_at",
)
#: ON CONFLICT: another process (a `scan` beside the daemon) recorded the same file meanwhile.


def batch_size(db) -> int:
    limit = db.connection().getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(BATCH_SIZE, limit // len(INSERT_COLUMNS)))


@lru_cache(maxsize=4)
def insert_sql(count: int) -> str:
    """One multi-row INSERT for `count` rows.

    Measured on 20,000 rows (tests/benchmarks/bench_scan.py): peewee's `insert_many` spends about
    200 us per row building SQL text; `executemany` pays about 13 us per row, most of it SQLite
    rebuilding the status CHECK's IN-list for every statement; one multi-row statement about 8 us.
    ON CONFLICT: another process (a `scan` beside the daemon) recorded the same file meanwhile.
    """
    one = "(" + ", ".join("?" * len(INSERT_COLUMNS)) + ")"
    return "INSERT INTO media_file ({}) VALUES {} ON CONFLICT (device, inode) DO NOTHING".format(
        ", ".join(INSERT_COLUMNS), ", ".join([one] * count)
    )
