"""The SQLite work queue: claim order, retries, reclaiming, and atomic claims across real processes."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from clearmedia.store import queue
from clearmedia.store.models import MediaFile, Status
from tests.helpers import wait_for


def add_files(count: int, **fields) -> list[int]:
    """`count` PENDING rows (fake paths: the queue never looks at the disk); return their ids."""
    now = time.time()
    start = MediaFile.select().count()
    rows = [
        dict(device=1, inode=start + n, path=f"/dl/file{start + n}.mkv", source_root="/dl", size=1, mtime=now)
        | fields
        for n in range(count)
    ]
    with MediaFile._meta.database.atomic():
        for chunk in range(0, len(rows), 200):
            MediaFile.insert_many(rows[chunk : chunk + 200]).execute()
    return [row.id for row in MediaFile.select(MediaFile.id).order_by(MediaFile.id)][-count:]


def test_claim_takes_the_earliest_due_file_and_skips_files_not_yet_due(db):
    now = time.time()
    later, early, due_now = (add_files(1, next_attempt_at=t)[0] for t in (now - 10, now - 100, now - 50))
    add_files(1, next_attempt_at=now + 3600)
    add_files(1, status=Status.COMPLETED)

    claimed = [queue.claim(now=now) for _ in range(4)]

    assert [file.id if file else None for file in claimed] == [early, due_now, later, None]
    first = MediaFile.get_by_id(early)
    assert (first.status, first.claimed_by, first.claimed_at) == (Status.PROCESSING, queue.claimer_id(), now)
    assert queue.next_due_in(now=now) == pytest.approx(3600)


def test_finish_records_the_outcome_only_for_the_claimer_that_holds_the_file(db):
    add_files(1)
    file = queue.claim()

    stale = MediaFile.get_by_id(file.id)
    stale.claimed_by = "otherhost:1:1"
    assert queue.finish(stale, Status.FAILED, "not mine") is False
    assert queue.finish(file, Status.COMPLETED, target="/library/Movie.mkv") is True

    row = MediaFile.get_by_id(file.id)
    assert (row.status, row.target, row.claimed_by, row.error) == (
        Status.COMPLETED,
        "/library/Movie.mkv",
        None,
        None,
    )


def test_requeue_delay_doubles_and_is_capped_at_one_hour(db):
    add_files(1)
    delays = []
    for _ in range(9):
        file = queue.claim(now=time.time() + 10**6)
        before = time.time()
        assert queue.requeue(file, "TMDB timed out", max_attempts=100, base_delay=30) == Status.PENDING
        delays.append(round(MediaFile.get_by_id(file.id).next_attempt_at - before))

    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    row = MediaFile.get_by_id(file.id)
    assert (row.status, row.attempts, row.error, row.claimed_by) == (
        Status.PENDING,
        9,
        "TMDB timed out",
        None,
    )
    assert queue.retry_delay(50, 30) == queue.MAX_RETRY_DELAY == 3600


def test_failed_after_max_attempts(db):
    add_files(1)
    outcomes = []
    for _ in range(3):
        file = queue.claim(now=time.time() + 10**6)
        outcomes.append(queue.requeue(file, "HTTP 503", max_attempts=3, base_delay=1))

    assert outcomes == [Status.PENDING, Status.PENDING, Status.FAILED]
    row = MediaFile.get_by_id(file.id)
    assert (row.status, row.attempts) == (Status.FAILED, 3)
    assert row.error == "gave up after 3 attempts: HTTP 503"
    assert queue.claim(now=time.time() + 10**6) is None


def test_requeue_without_spending_an_attempt(db):
    add_files(1)
    for _ in range(10):
        file = queue.claim(now=time.time() + 10**6)
        status = queue.requeue(
            file, "TMDB rejects the API key", max_attempts=2, base_delay=30, spend_attempt=False
        )
        assert status == Status.PENDING

    row = MediaFile.get_by_id(file.id)
    assert (row.status, row.attempts, row.error) == (Status.PENDING, 0, "TMDB rejects the API key")
    assert row.next_attempt_at > time.time() + 20


def test_release_gives_the_file_back_due_now_without_spending_an_attempt(db):
    (file_id,) = add_files(1, attempts=2)
    file = queue.claim()

    assert queue.release(file) is True

    row = MediaFile.get_by_id(file_id)
    assert (row.status, row.attempts, row.claimed_by) == (Status.PENDING, 2, None)
    assert row.next_attempt_at <= time.time()
    assert queue.claim().id == file_id


def test_retry_by_id_and_by_status(db):
    failed = add_files(
        2, status=Status.FAILED, attempts=5, error="gave up", next_attempt_at=time.time() + 999
    )
    conflict = add_files(1, status=Status.CONFLICT, error="target exists")
    processing = add_files(1, status=Status.PROCESSING, claimed_by="h:1:1")
    completed = add_files(1, status=Status.COMPLETED)

    assert queue.retry(ids=[failed[0], processing[0]]) == 1  # a claimed file is left alone
    assert MediaFile.get_by_id(failed[1]).status == Status.FAILED
    assert queue.retry() == 1  # default: every FAILED file
    assert queue.retry(statuses=[Status.CONFLICT]) == 1

    for file_id in failed + conflict:
        row = MediaFile.get_by_id(file_id)
        assert (row.status, row.attempts, row.error, row.next_attempt_at) == (Status.PENDING, 0, None, 0)
    assert MediaFile.get_by_id(processing[0]).status == Status.PROCESSING
    assert MediaFile.get_by_id(completed[0]).status == Status.COMPLETED
    assert queue.counts() == {
        "PENDING": 3,
        "PROCESSING": 1,
        "COMPLETED": 1,
        "FAILED": 0,
        "CONFLICT": 0,
        "IGNORED": 0,
    }


def claimer_of_a_process(*args: str) -> tuple[subprocess.Popen, str]:
    """Start a Python process that prints its own claimer id; return it and the id."""
    code = "from clearmedia.store.queue import claimer_id; print(claimer_id(), flush=True); import time; time.sleep(float(__import__('sys').argv[1]))"
    process = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True)
    return process, process.stdout.readline().strip()


def test_reclaim_dead_takes_back_files_of_a_dead_process_only(db):
    dead, dead_claimer = claimer_of_a_process("0")
    dead.wait(timeout=10)
    alive, alive_claimer = claimer_of_a_process("60")
    try:
        host, pid, start = alive_claimer.split(":")
        reused_pid = f"{host}:{pid}:{int(start) + 1}"  # same pid, other start time: a new process
        for claimer in (dead_claimer, alive_claimer, queue.claimer_id(), reused_pid, "far-away-host:1:1"):
            add_files(1, status=Status.PROCESSING, claimed_by=claimer, claimed_at=time.time())

        assert queue.reclaim_dead() == 2

        status = {row.claimed_by: row.status for row in MediaFile.select()}
        assert status == {
            None: Status.PENDING,
            alive_claimer: Status.PROCESSING,
            queue.claimer_id(): Status.PROCESSING,
            "far-away-host:1:1": Status.PROCESSING,
        }
        assert MediaFile.select().where(MediaFile.status == Status.PENDING).count() == 2
        # Another host's claim is only taken back once it is very old.
        assert queue.reclaim_dead(now=time.time() + queue.FOREIGN_CLAIM_TIMEOUT + 1) == 3
    finally:
        alive.kill()
        alive.wait()


WORKER = """
import os, sys, time
from pathlib import Path
from clearmedia.store.db import open_database
from clearmedia.store.models import Status
from clearmedia.store import queue

data, out, go = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
open_database(data)
out.with_suffix(".ready").touch()
while not go.exists():
    time.sleep(0.005)
claimed = []
while (file := queue.claim()) is not None:
    claimed.append(f"{file.id} {os.getpid()}")
    assert queue.finish(file, Status.COMPLETED), file.id
    time.sleep(0.001)  # a file takes time to process: a late starter still finds work
out.write_text("\\n".join(claimed))
"""


@pytest.mark.timeout(60)
def test_processes_on_one_database_never_claim_a_file_twice(tmp_path, db):
    files = set(add_files(1200))
    go = tmp_path / "go"
    outputs = [tmp_path / f"worker{n}.txt" for n in range(4)]
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(tmp_path / "data"), str(out), str(go)])
        for out in outputs
    ]
    try:
        wait_for(lambda: all(out.with_suffix(".ready").exists() for out in outputs), what="workers ready")
        go.touch()
        assert [worker.wait(timeout=50) for worker in workers] == [0, 0, 0, 0]
    finally:
        for worker in workers:
            worker.kill()

    claims = [line.split() for out in outputs for line in out.read_text().splitlines()]
    per_file = Counter(int(file_id) for file_id, _ in claims)
    assert set(per_file) == files  # none lost
    assert max(per_file.values()) == 1  # none claimed twice
    pids = {pid for _, pid in claims}
    # they really competed (on a loaded machine one process may start too late to win a claim)
    assert len(pids) >= 2 and pids <= {str(worker.pid) for worker in workers}
    assert queue.counts()["COMPLETED"] == len(files)
    assert Path(tmp_path / "data" / "clearmedia.db").exists()


def test_a_file_left_processing_by_a_dead_process_can_be_claimed_by_name_at_once(db):
    """`unlink`, `fix` and `add` claim by id: a row a crashed scan left PROCESSING is theirs,
    without waiting for a `run` or `scan` to reclaim it; a live claimer keeps its row."""
    dead, dead_claimer = claimer_of_a_process("0")
    dead.wait(timeout=10)
    alive, alive_claimer = claimer_of_a_process("30")
    try:
        stuck, busy = add_files(2, status=Status.PROCESSING)
        MediaFile.update(claimed_by=dead_claimer, claimed_at=time.time()).where(
            MediaFile.id == stuck
        ).execute()
        MediaFile.update(claimed_by=alive_claimer, claimed_at=time.time()).where(
            MediaFile.id == busy
        ).execute()
        claimed = queue.claim_file(stuck)
        assert claimed is not None and claimed.claimed_by == queue.claimer_id()
        assert queue.claim_file(busy) is None
        assert MediaFile.get_by_id(busy).claimed_by == alive_claimer
    finally:
        alive.kill()
        alive.wait()
