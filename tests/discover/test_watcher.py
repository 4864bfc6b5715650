"""The settle tracker (fake clock, no watchdog) and the watcher on real inotify events in tmp folders."""

from __future__ import annotations

import errno
import os
import threading
import time
from pathlib import Path

import pytest
from loguru import logger

from clearmedia.config import load_settings
from clearmedia.discover.settle import SettleTracker
from clearmedia.discover.watcher import Watcher
from tests.helpers import base_env, wait_for


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Files:
    """A fake file system for the tracker: path -> (size, mtime_ns)."""

    def __init__(self) -> None:
        self.sig: dict[str, tuple[int, int]] = {}

    def write(self, path: str, size: int, at: float) -> None:
        self.sig[path] = (size, int(at * 1e9))

    def __call__(self, path: str):
        return self.sig.get(path)


def tracker(settle: float = 10.0):
    clock, files = Clock(), Files()
    return SettleTracker(settle, clock=clock, signature=files), clock, files


def test_a_quiet_file_settles_after_settle_seconds_since_its_last_event():
    t, clock, files = tracker(10)
    files.write("/d/a.mkv", 100, clock.now)
    t.touch("/d/a.mkv")
    clock.now += 9.9
    assert t.ready() == ([], pytest.approx(0.1))
    clock.now += 0.1
    assert t.ready() == (["/d/a.mkv"], None)
    assert len(t) == 0


def test_every_event_restarts_the_wait():
    t, clock, files = tracker(10)
    for _ in range(5):  # a download writing every 3 s
        files.write("/d/a.mkv", 100, clock.now)
        t.touch("/d/a.mkv")
        clock.now += 3
        assert t.ready()[0] == []
    clock.now += 7 - 0.01
    assert t.ready()[0] == []
    clock.now += 0.01
    assert t.ready()[0] == ["/d/a.mkv"]


def test_a_change_without_an_event_is_noticed_and_restarts_the_wait():
    t, clock, files = tracker(10)
    t.touch("/d/a.mkv")
    clock.now += 10
    files.write("/d/a.mkv", 100, clock.now - 2)  # first look: written 2 s ago, wait 8 s more
    assert t.ready() == ([], pytest.approx(8))
    clock.now += 8
    files.write("/d/a.mkv", 200, clock.now - 10)  # grew behind our back (no event), mtime set back
    assert t.ready() == ([], pytest.approx(10))
    clock.now += 10
    assert t.ready()[0] == ["/d/a.mkv"]


def test_an_mtime_in_the_future_needs_two_equal_looks():
    t, clock, files = tracker(10)
    t.touch("/d/b.mkv")
    files.write("/d/b.mkv", 1, clock.now + 100)  # clock skew on a network share
    clock.now += 10
    assert t.ready()[0] == []
    files.write("/d/b.mkv", 2, clock.now + 100)
    clock.now += 10
    assert t.ready()[0] == []  # changed between the looks
    clock.now += 10
    assert t.ready()[0] == ["/d/b.mkv"]


def test_a_recent_mtime_keeps_the_file_waiting_even_without_events():
    t, clock, files = tracker(10)
    t.touch("/d/a.mkv")
    clock.now += 10
    files.write("/d/a.mkv", 100, clock.now - 2)  # written 2 s ago though the event is 10 s old
    settled, wait = t.ready()
    assert settled == [] and wait == pytest.approx(8)
    clock.now += 8
    assert t.ready()[0] == ["/d/a.mkv"]


def test_vanished_and_forgotten_paths_are_dropped():
    t, clock, files = tracker(1)
    t.touch("/d/gone.mkv")
    t.touch("/d/sub/x.mkv")
    t.touch("/d/sub/y.mkv")
    t.touch("/d/subway.mkv")
    t.forget("/d/sub")
    assert "/d/sub/x.mkv" not in t and "/d/subway.mkv" in t
    clock.now += 5
    assert t.ready() == ([], None)  # nothing exists: nothing handed over, nothing kept
    assert len(t) == 0


def test_settle_zero_hands_a_file_over_at_the_next_look():
    t, clock, files = tracker(0)
    files.write("/d/a.mkv", 1, clock.now - 1)
    assert t.touch("/d/a.mkv") is True
    assert t.touch("/d/a.mkv") is False
    assert t.ready()[0] == ["/d/a.mkv"]


# --- the Watcher on real events ------------------------------------------------------------------


def _settings(tmp_path: Path, **env):
    environ = base_env(tmp_path, **env)
    return load_settings(None, require_library=True, environ=environ)


class Recorder:
    def __init__(self):
        self.paths: list[tuple[float, str]] = []
        self.found = threading.Event()

    def consider(self, path: Path) -> str:
        self.paths.append((time.monotonic(), str(path)))
        return "new"

    def names(self) -> list[str]:
        return [os.path.basename(p) for _, p in self.paths]


@pytest.fixture
def watched(tmp_path):
    made = []

    def make(**env):
        settings = _settings(tmp_path, **env)
        recorder = Recorder()
        watcher = Watcher(settings, recorder.consider, recorder.found.set)
        made.append(watcher)
        watcher.start()
        return settings, watcher, recorder

    yield make
    for watcher in made:
        watcher.stop()


def test_file_written_in_chunks_is_handed_over_only_after_it_settles(watched, tmp_path):
    settings, watcher, recorder = watched(SETTLE_SECONDS="1")
    assert watcher.mode == "inotify"
    path = tmp_path / "downloads" / "Movie.2020.mkv"
    with open(path, "wb") as handle:
        for _ in range(3):
            handle.write(b"x" * 1000)
            handle.flush()
            time.sleep(0.5)
            assert recorder.paths == []
    last_write = time.monotonic()
    wait_for(lambda: recorder.paths, timeout=5, what="the settled file")
    at, handed = recorder.paths[0]
    assert handed == str(path)
    assert at - last_write >= 0.95
    assert at - last_write < 3
    assert recorder.found.is_set()


def test_rename_from_qbittorrent_name_hands_over_the_destination(watched, tmp_path):
    settings, watcher, recorder = watched(SETTLE_SECONDS="0.3")
    downloads = tmp_path / "downloads"
    partial = downloads / "Show.S01E01.mkv.!qB"
    partial.write_bytes(b"x" * 100)
    wait_for(lambda: recorder.paths, timeout=5, what="the .!qB file handed over (the scanner skips it)")
    recorder.paths.clear()
    partial.rename(downloads / "Show.S01E01.mkv")
    wait_for(lambda: "Show.S01E01.mkv" in recorder.names(), timeout=5, what="the renamed file")
    assert "Show.S01E01.mkv.!qB" not in recorder.names()


def test_folder_moved_in_is_walked_and_target_and_data_dirs_are_ignored(watched, tmp_path):
    outside = tmp_path / "elsewhere" / "Pack.S01"
    (outside / "Subs").mkdir(parents=True)
    for name in ("Pack.S01E01.mkv", "Pack.S01E02.mkv", "Subs/en.srt"):
        (outside / name).write_bytes(b"x")
    past = time.time() - 3600
    for name in ("Pack.S01E01.mkv", "Pack.S01E02.mkv", "Subs/en.srt"):
        os.utime(outside / name, (past, past))
    # TARGET_DIR and DATA_DIR inside the source folder: their events are ignored
    downloads = tmp_path / "downloads"
    (downloads / ".state").mkdir(parents=True)
    settings, watcher, recorder = watched(
        SETTLE_SECONDS="0.3", DATA_DIR=str(downloads / ".state"), TARGET_DIR=str(tmp_path / "library")
    )
    (downloads / ".state" / "junk.mkv").write_bytes(b"x")
    outside.rename(downloads / "Pack.S01")
    wait_for(lambda: len(recorder.paths) >= 3, timeout=5, what="every file of the folder")
    time.sleep(0.5)  # nothing else may follow (the ignored DATA_DIR file in particular)
    assert sorted(recorder.names()) == ["Pack.S01E01.mkv", "Pack.S01E02.mkv", "en.srt"]


def test_poll_mode_sees_new_files(watched, tmp_path):
    settings, watcher, recorder = watched(SETTLE_SECONDS="0.2", WATCH_MODE="poll")
    assert watcher.mode == "poll"
    (tmp_path / "downloads" / "a.mkv").write_bytes(b"x")
    wait_for(lambda: recorder.paths, timeout=8, what="the polled file")
    watcher.stop()
    assert watcher.mode == "stopped"


def test_inotify_limit_falls_back_to_polling_and_says_how_to_fix_it(tmp_path):
    settings = _settings(tmp_path, SETTLE_SECONDS="0.2")
    from watchdog.observers.polling import PollingObserver

    made = []

    class FullInotify:
        def __init__(self):
            self.stopped = False

        def schedule(self, *args, **kwargs):
            pass

        def start(self):
            raise OSError(errno.ENOSPC, "inotify watch limit reached")

        def stop(self):
            self.stopped = True

    def factory(mode, interval):
        made.append(mode)
        return FullInotify() if mode == "inotify" else PollingObserver(timeout=interval)

    lines = []
    sink = logger.add(lambda message: lines.append(str(message)), level="WARNING")
    recorder = Recorder()
    watcher = Watcher(settings, recorder.consider, observer_factory=factory)
    try:
        assert watcher.start() == "poll"
        assert made == ["inotify", "poll"]
        assert watcher.mode == "poll"
        text = "".join(lines)
        assert "sysctl fs.inotify.max_user_watches=524288" in text
        assert "/etc/sysctl.d" in text
        (tmp_path / "downloads" / "b.mkv").write_bytes(b"x")
        wait_for(lambda: recorder.paths, timeout=8, what="the polled file")
    finally:
        logger.remove(sink)
        watcher.stop()


def test_other_observer_errors_are_not_swallowed(tmp_path):
    settings = _settings(tmp_path)

    class Broken:
        def schedule(self, *args, **kwargs):
            raise OSError(errno.EACCES, "permission denied")

        def stop(self):
            pass

    watcher = Watcher(settings, lambda p: "new", observer_factory=lambda mode, interval: Broken())
    with pytest.raises(OSError):
        watcher.start()
    assert watcher.mode == "stopped"


def test_a_file_the_scanner_finds_unsettled_is_looked_at_again_after_settle_seconds(tmp_path):
    """The scanner may still see a change the tracker missed (a write without an event between
    the tracker's look and the scanner's): the file comes back after SETTLE_SECONDS, not only at
    the next full rescan."""
    answers = ["unsettled", "new"]
    recorder = Recorder()

    def consider(path: Path) -> str:
        recorder.consider(path)
        return answers.pop(0) if answers else "known"

    watcher = Watcher(_settings(tmp_path, SETTLE_SECONDS="0.3"), consider, recorder.found.set)
    watcher.start()
    try:
        path = tmp_path / "downloads" / "Movie.2020.mkv"
        path.write_bytes(b"x" * 100)
        wait_for(lambda: len(recorder.paths) >= 2, timeout=5, what="the file handed over again")
        (first, _), (second, handed) = recorder.paths[:2]
        assert handed == str(path)
        assert second - first >= 0.25
    finally:
        watcher.stop()
