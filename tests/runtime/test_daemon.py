"""`clearmedia run` as a real process: inotify on tmp folders, fake TMDB/LLM on 127.0.0.1, signals,
kill -9 and restart; plus the worker pool and the progress line in-process."""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

import pytest

from clearmedia.runtime.daemon import Progress
from clearmedia.runtime.workers import WorkerPool
from tests.daemon_helpers import DaemonProcess, daemon_env, links_of, rows
from tests.fakes.fake_llm import FakeLLM
from tests.helpers import MB, llm_env, make_video, run_cli, wait_for

# --- events ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_file_written_in_chunks_is_linked_only_after_its_last_write_plus_settle(tmp_path, tmdb):
    env = daemon_env(tmp_path, tmdb, SETTLE_SECONDS="2")
    downloads, library = tmp_path / "downloads", tmp_path / "library"
    daemon = DaemonProcess(env, tmp_path / "daemon.log")
    try:
        daemon.wait_ready()
        path = downloads / "Inception.2010.1080p.BluRay.x264.mkv"
        with open(path, "wb") as handle:
            for chunk in range(4):  # 4 writes 1 s apart, 5 MB each (sparse)
                handle.seek((chunk + 1) * 5 * MB - 1)
                handle.write(b"x")
                handle.flush()
                last_write = time.monotonic()
                if chunk < 3:
                    while time.monotonic() < last_write + 1:
                        assert not links_of(path, library), "linked while still being written"
                        assert rows(tmp_path / "data") == [], "recorded while still being written"
                        time.sleep(0.05)
        while time.monotonic() < last_write + 1.9:  # settle not over yet
            assert not links_of(path, library), "linked before SETTLE_SECONDS passed"
            time.sleep(0.05)
        link = wait_for(lambda: links_of(path, library), timeout=10, what="the library link")
        delay = time.monotonic() - last_write
        assert 1.9 <= delay < 7, delay
        assert link[0].name == "Inception (2010).mkv"
    finally:
        assert daemon.stop() == 0


@pytest.mark.slow
def test_qbittorrent_rename_and_folder_moved_in_are_linked(tmp_path, tmdb):
    env = daemon_env(tmp_path, tmdb, SETTLE_SECONDS="0.5")
    downloads, library, data = tmp_path / "downloads", tmp_path / "library", tmp_path / "data"
    pack = tmp_path / "elsewhere" / "Breaking.Bad.S01.1080p.BluRay"
    make_video(pack / "Breaking.Bad.S01E01.1080p.BluRay.mkv")
    make_video(pack / "Breaking.Bad.S01E02.1080p.BluRay.mkv")
    daemon = DaemonProcess(env, tmp_path / "daemon.log")
    try:
        daemon.wait_ready()
        partial = make_video(downloads / "The.Matrix.1999.1080p.mkv.!qB", age_s=0)
        pack.rename(downloads / pack.name)
        episodes = sorted((downloads / pack.name).iterdir())
        for episode in episodes:
            wait_for(lambda e=episode: links_of(e, library), timeout=10, what=f"a link for {episode.name}")
        assert not links_of(partial, library)
        final = partial.with_name("The.Matrix.1999.1080p.mkv")
        partial.rename(final)
        link = wait_for(lambda: links_of(final, library), timeout=10, what="the link after the rename")
        assert link[0].name == "The Matrix (1999).mkv"
        assert not any(path.endswith(".!qB") for _, path in rows(data))
        assert sorted(status for status, _ in rows(data)) == ["COMPLETED"] * 3
    finally:
        assert daemon.stop() == 0


@pytest.mark.slow
def test_poll_mode_links_a_new_file(tmp_path, tmdb):
    env = daemon_env(tmp_path, tmdb, WATCH_MODE="poll", SETTLE_SECONDS="0.5")
    daemon = DaemonProcess(env, tmp_path / "daemon.log")
    try:
        daemon.wait_ready()
        movie = make_video(tmp_path / "downloads" / "Inception.2010.720p.mkv")
        wait_for(lambda: links_of(movie, tmp_path / "library"), timeout=10, what="the link in poll mode")
        assert "polling every" in daemon.log()
    finally:
        assert daemon.stop() == 0


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["inotify", "poll"])
def test_a_source_folder_that_vanishes_and_comes_back_is_watched_again(tmp_path, tmdb, mode):
    # A USB disk or network share unmounted and mounted again: watchdog stops watching a folder
    # that disappears. SCAN_INTERVAL is an hour: only events can find the new file in time.
    env = daemon_env(tmp_path, tmdb, WATCH_MODE=mode, SETTLE_SECONDS="0.5")
    downloads = tmp_path / "downloads"
    daemon = DaemonProcess(env, tmp_path / "daemon.log")
    try:
        daemon.wait_ready()
        downloads.rmdir()
        wait_for(lambda: "is gone" in daemon.log(), timeout=15, what="the warning about the folder")
        downloads.mkdir()
        movie = make_video(downloads / "Inception.2010.720p.mkv")
        wait_for(lambda: links_of(movie, tmp_path / "library"), timeout=20, what="the link after the return")
    finally:
        assert daemon.stop() == 0


# --- stopping, crashing, restarting ----------------------------------------------------------------

EPISODES = [
    f"Breaking.Bad.S{s:02}E{e:02}.720p.HDTV.x264.mkv"
    for s, n in ((1, 7), (2, 13), (3, 12))
    for e in range(1, n + 1)
]


@pytest.mark.slow
def test_sigterm_finishes_files_in_progress_and_exits_0(tmp_path, tmdb):
    with FakeLLM() as llm:
        llm.delay = 1.0
        env = daemon_env(tmp_path, tmdb, **llm_env(llm), WORKERS="2")
        env["LLM_BATCH_SIZE"] = "1"  # one request per file in progress (batches: tests/test_llm_batch.py)
        for name in EPISODES[:8]:
            make_video(tmp_path / "downloads" / name)
        daemon = DaemonProcess(env, tmp_path / "daemon.log")
        try:
            wait_for(lambda: len(llm.chat_requests()) >= 2, timeout=20, what="two files in progress")
            assert any(status == "PROCESSING" for status, _ in rows(tmp_path / "data"))
        finally:
            started = time.monotonic()
            assert daemon.stop(signal.SIGTERM) == 0
        assert time.monotonic() - started < 10
        statuses = [status for status, _ in rows(tmp_path / "data")]
        assert "PROCESSING" not in statuses
        assert "COMPLETED" in statuses and "PENDING" in statuses  # in-flight finished, the rest waits
        assert "stopping (SIGTERM)" in daemon.log()


@pytest.mark.slow
def test_kill_9_during_a_backlog_then_restart_links_every_file_exactly_once(tmp_path, tmdb):
    with FakeLLM() as llm:
        llm.delay = 0.3
        env = daemon_env(tmp_path, tmdb, **llm_env(llm), WORKERS="4")
        sources = [make_video(tmp_path / "downloads" / name) for name in EPISODES]
        data, library = tmp_path / "data", tmp_path / "library"
        first = DaemonProcess(env, tmp_path / "first.log")
        try:
            wait_for(
                lambda: sum(status == "COMPLETED" for status, _ in rows(data)) >= 6,
                timeout=30,
                what="part of the backlog done",
            )
            first.proc.kill()  # kill -9 in the middle of the backlog
            first.proc.wait(5)
        finally:
            first.stop(signal.SIGKILL)
        statuses = [status for status, _ in rows(data)]
        assert "PROCESSING" in statuses or "PENDING" in statuses, "the backlog was not interrupted"

        second = DaemonProcess(env, tmp_path / "second.log")
        try:
            wait_for(
                lambda: [s for s, _ in rows(data)] == ["COMPLETED"] * len(EPISODES),
                timeout=40,
                what="every file COMPLETED after the restart",
            )
        finally:
            assert second.stop() == 0
    linked = {(p.stat().st_dev, p.stat().st_ino) for p in library.rglob("*") if p.is_file()}
    assert len(linked) == len(EPISODES)
    for source in sources:
        assert len(links_of(source, library)) == 1, source
        assert os.stat(source).st_nlink == 2
    assert [s for s, _ in rows(data)] == ["COMPLETED"] * len(EPISODES)


@pytest.mark.slow
def test_second_signal_exits_at_once_and_the_next_start_reclaims(tmp_path, tmdb):
    with FakeLLM() as llm:
        llm.delay = 30
        env = daemon_env(tmp_path, tmdb, **llm_env(llm), WORKERS="1")
        make_video(tmp_path / "downloads" / EPISODES[0])
        daemon = DaemonProcess(env, tmp_path / "daemon.log")
        try:
            wait_for(lambda: llm.chat_requests(), timeout=20, what="a file in progress")
            daemon.send(signal.SIGTERM)
            wait_for(lambda: "stopping (SIGTERM)" in daemon.log(), timeout=5, what="the stop to begin")
            started = time.monotonic()
        finally:
            assert daemon.stop(signal.SIGINT, timeout=5) == 130
        assert time.monotonic() - started < 3
        assert [s for s, _ in rows(tmp_path / "data")] == ["PROCESSING"]
        llm.delay = 0
        again = DaemonProcess(env, tmp_path / "again.log")
        try:
            wait_for(
                lambda: [s for s, _ in rows(tmp_path / "data")] == ["COMPLETED"], timeout=20, what="reclaimed"
            )
        finally:
            assert again.stop() == 0


@pytest.mark.slow
def test_dry_run_links_nothing_and_cross_device_is_a_warning(tmp_path, tmdb):
    other_fs = Path(tempfile.mkdtemp(prefix="cm-library-", dir="/dev/shm"))
    try:
        if os.stat(other_fs).st_dev == os.stat(tmp_path).st_dev:
            pytest.skip("/dev/shm is on the same file system here")
        env = daemon_env(tmp_path, tmdb, SETTLE_SECONDS="0", DRY_RUN="true", TARGET_DIR=str(other_fs))
        movie = make_video(tmp_path / "downloads" / "Inception.2010.1080p.mkv")
        daemon = DaemonProcess(env, tmp_path / "daemon.log")
        try:
            wait_for(lambda: "DRY RUN" in daemon.log(), timeout=20, what="the dry-run decision")
            time.sleep(1.5)  # the worker must not pick the same file again and again
        finally:
            assert daemon.stop() == 0
        log = daemon.log()
        assert "different file systems" in log and "one mount or share" in log.lower()
        assert log.count("DRY RUN") == 1
        assert [s for s, _ in rows(tmp_path / "data")] == ["PENDING"]
        assert os.stat(movie).st_nlink == 1 and not any(other_fs.iterdir())
    finally:
        shutil.rmtree(other_fs, ignore_errors=True)


def test_status_json_and_list_after_a_run(tmp_path, tmdb):
    """The lead's CLI reads what the daemon wrote (and nothing stays PROCESSING)."""
    env = daemon_env(tmp_path, tmdb, SETTLE_SECONDS="0")
    movie = make_video(tmp_path / "downloads" / "Inception.2010.1080p.mkv")
    daemon = DaemonProcess(env, tmp_path / "daemon.log")
    try:
        wait_for(lambda: links_of(movie, tmp_path / "library"), timeout=20, what="the startup rescan's link")
    finally:
        assert daemon.stop() == 0
    status = run_cli("status", "--json", env=env)
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert data["counts"]["COMPLETED"] == 1 and data["counts"]["PROCESSING"] == 0
    assert data["last_scan"]
    listed = run_cli("list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert row["status"] == "COMPLETED" and row["path"] == str(movie)
    assert row["target"] == str(links_of(movie, tmp_path / "library")[0])


# --- in-process: the worker pool and the progress line ---------------------------------------------


class FakeFile:
    def __init__(self, id: int) -> None:
        self.id = id
        self.path = f"/downloads/{id}.mkv"


class FakeQueue:
    def __init__(self, count: int) -> None:
        self.items = [FakeFile(i) for i in range(count)]
        self.lock = threading.Lock()
        self.requeued: list[tuple[int, str]] = []
        self.released: list[int] = []

    def claim(self):
        with self.lock:
            return self.items.pop(0) if self.items else None

    def requeue(self, file, reason):
        self.requeued.append((file.id, reason))

    def release(self, file):
        self.released.append(file.id)
        return True


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_worker_pool_survives_exceptions_and_replaces_dead_threads():
    fake = FakeQueue(6)
    done = []

    class Fatal(BaseException):
        pass

    def process(file):
        if file.id == 1:
            raise ValueError("boom")
        if file.id == 2:
            raise Fatal()  # kills the thread (not an Exception)
        done.append(file.id)

    pool = WorkerPool(1, process, claim=fake.claim, release=fake.release, next_due_in=lambda: None)
    pool.start()
    try:
        wait_for(lambda: pool.alive == 0, timeout=5, what="the worker to die of Fatal")
        # pipeline.process settles one file's errors itself; what escapes it is given back
        assert fake.released == [1, 2]  # and so is the file of the dying thread
        assert pool.check() == 1
        wait_for(lambda: sorted(done) == [0, 3, 4, 5], timeout=5, what="the new worker to go on")
        assert pool.done == 5
    finally:
        pool.stop(1)


def test_worker_pool_wakes_on_new_work_and_releases_what_is_still_running_at_stop():
    fake = FakeQueue(0)
    started, finish = threading.Event(), threading.Event()

    def process(file):
        started.set()
        finish.wait(10)

    pool = WorkerPool(2, process, claim=fake.claim, release=fake.release, next_due_in=lambda: None)
    pool.start()
    try:
        time.sleep(0.5)  # let the workers go idle with a growing wait
        fake.items.append(FakeFile(7))
        at = time.monotonic()
        pool.wake()
        assert started.wait(2)
        assert time.monotonic() - at < 0.2  # woken, not polled
        at = time.monotonic()
        assert pool.stop(0.5) == 1
        assert time.monotonic() - at < 1.5
        assert fake.released == [7]
    finally:
        finish.set()


def test_progress_line_reports_rate_and_time_left():
    progress = Progress(now=0)
    assert progress.line(5, 0, {"PENDING": 100}) is None  # nothing done yet
    line = progress.line(10, 20, {"PENDING": 75, "PROCESSING": 5})
    assert line == "progress: 20 done, 80 remaining, 2.0 files/s, about 40s left"
    assert progress.line(20, 20, {"PENDING": 80}) is None  # no work done since
    assert progress.line(30, 30, {"PENDING": 0, "PROCESSING": 0}) is None  # backlog over
