"""The real inotify watch limit (fs.inotify.max_user_watches) reached below a source folder.

watchdog silently skips a subfolder it cannot watch (ENOSPC); the watcher must notice, say how
to raise the limit and poll instead. The limit is per user and shared with every other process
of root on this machine (other tests too): it is lowered only while the observer starts, and
always restored.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest
from loguru import logger

from clearmedia.config import load_settings
from clearmedia.discover.inotify_watches import unwatched_folders, watched_inodes
from clearmedia.discover.watcher import Watcher
from tests.helpers import base_env, wait_for

pytestmark = pytest.mark.slow

LIMIT = Path("/proc/sys/fs/inotify/max_user_watches")


def _watches_of_this_user() -> int:
    """inotify watches held by every process of our user (what the kernel counts against the limit)."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            if os.stat(f"/proc/{pid}").st_uid != os.geteuid():
                continue
            for fd in os.listdir(f"/proc/{pid}/fdinfo"):
                with contextlib.suppress(OSError), open(f"/proc/{pid}/fdinfo/{fd}") as info:
                    total += info.read().count("inotify wd:")
    return total


@pytest.fixture
def watch_limit():
    """`with watch_limit(headroom):` allows only `headroom` more watches to this user meanwhile."""
    if not LIMIT.exists() or not os.access(LIMIT, os.W_OK):
        pytest.skip(f"lowering the inotify watch limit needs root and a writable {LIMIT}")
    original = LIMIT.read_text()

    @contextlib.contextmanager
    def lowered(headroom: int):
        try:
            LIMIT.write_text(str(_watches_of_this_user() + headroom))
            yield
        finally:
            LIMIT.write_text(original)

    try:
        yield lowered
    finally:
        LIMIT.write_text(original)  # whatever happened


class Recorder:
    def __init__(self):
        self.paths: list[str] = []

    def consider(self, path: Path) -> str:
        self.paths.append(str(path))
        return "new"


def _tree(downloads: Path, folders: int) -> Path:
    """`folders` season folders under downloads/ and one deep folder; return the deep one."""
    for n in range(folders):
        (downloads / f"Show {n:02d}" / "Season 01").mkdir(parents=True)
    deep = downloads / "Some.Show.S01.1080p" / "Season 01" / "extras" / "late"
    deep.mkdir(parents=True)
    return deep


def _start(tmp_path: Path, folders: int, watch_limit=None):
    settings = load_settings(None, require_library=True, environ=base_env(tmp_path, SETTLE_SECONDS="0.3"))
    deep = _tree(tmp_path / "downloads", folders)
    recorder = Recorder()
    watcher = Watcher(settings, recorder.consider)
    with watch_limit(5) if watch_limit else contextlib.nullcontext():
        mode = watcher.start()
    return watcher, recorder, deep, mode


@pytest.fixture
def warnings_logged():
    lines: list[str] = []
    sink = logger.add(lambda message: lines.append(str(message)), level="WARNING")
    yield lines
    logger.remove(sink)


def test_subfolders_left_unwatched_by_the_limit_make_the_watcher_poll_and_say_how_to_fix_it(
    tmp_path, watch_limit, warnings_logged
):
    watcher, recorder, deep, mode = _start(tmp_path, 60, watch_limit)
    try:
        assert mode == "inotify"  # the root got its watch: watchdog raised nothing
        wait_for(lambda: watcher.mode == "poll", timeout=15, what="the watcher to fall back to polling")
        text = "".join(warnings_logged)
        assert text.count("inotify watch limit is reached") == 1, text
        assert "got no inotify watch" in text
        assert "sudo sysctl fs.inotify.max_user_watches=524288" in text
        assert "/etc/sysctl.d/" in text

        episode = deep / "Some.Show.S01E02.1080p.mkv"
        episode.write_bytes(b"x" * 4096)
        wait_for(lambda: str(episode) in recorder.paths, timeout=10, what="the file in the deep folder")
        assert watcher.mode == "poll"  # what /health reports as `watcher`
        assert "".join(warnings_logged).count("inotify watch limit is reached") == 1  # said once
    finally:
        watcher.stop()


def test_with_room_for_every_folder_the_watcher_keeps_inotify_and_says_nothing(tmp_path, warnings_logged):
    watcher, recorder, deep, mode = _start(tmp_path, 60)
    try:
        assert mode == "inotify"
        (deep.parent / "new folder").mkdir()  # a folder created later is looked at too
        episode = deep / "Some.Show.S01E03.1080p.mkv"
        episode.write_bytes(b"x" * 4096)
        wait_for(lambda: str(episode) in recorder.paths, timeout=10, what="the file in the deep folder")
        newer = deep.parent / "new folder" / "Some.Show.S01E04.1080p.mkv"
        newer.write_bytes(b"x")
        wait_for(lambda: str(newer) in recorder.paths, timeout=10, what="the file in the new folder")
        downloads = str(tmp_path / "downloads")
        assert unwatched_folders([downloads], watched_inodes(), watcher.wanted) == []  # no false alarm
        assert watcher.mode == "inotify"
        assert "inotify watch limit" not in "".join(warnings_logged)
    finally:
        watcher.stop()
