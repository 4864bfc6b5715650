"""clearmedia.library.linker: real files, real hard links, a real second file system (/dev/shm)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from clearmedia.library import linker
from clearmedia.library.linker import (
    CROSS_DEVICE_REASON,
    LINK_FAILED_CONFLICT,
    LINK_FAILED_CROSS_DEVICE,
    LINK_FAILED_NO_SOURCE,
    LINK_FAILED_UNKNOWN,
    LINK_SUCCESS,
    LinkResult,
    can_hardlink,
    create_hardlink,
    describe,
    same_filesystem,
)
from tests.helpers import fingerprint


def make_file(path: Path, content: bytes = b"video bytes") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def state(path: Path) -> tuple[bytes, int, int, int]:
    """(content, inode, mtime_ns, link count): what a CONFLICT must leave exactly as it was."""
    st = os.lstat(path)
    return (path.read_bytes(), st.st_ino, st.st_mtime_ns, st.st_nlink)


@pytest.fixture
def source(tmp_path):
    return make_file(tmp_path / "downloads" / "Movie.2020.1080p.mkv", b"the movie")


def other_filesystem(tmp_path: Path) -> Path:
    shm = Path("/dev/shm")
    if not shm.is_dir() or not os.access(shm, os.W_OK):
        pytest.skip("no writable /dev/shm to act as a second file system")
    if os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("/dev/shm is on the same file system as the temp folder here")
    return shm


def test_module_exports_the_five_result_names():
    assert {r.name for r in LinkResult} == {
        "LINK_SUCCESS",
        "LINK_FAILED_CONFLICT",
        "LINK_FAILED_CROSS_DEVICE",
        "LINK_FAILED_NO_SOURCE",
        "LINK_FAILED_UNKNOWN",
    }
    for result in LinkResult:
        assert getattr(linker, result.name) is result
        assert describe(result)


def test_the_module_never_deletes_renames_or_replaces():
    text = Path(linker.__file__).read_text()
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    for forbidden in ("unlink", "remove(", "rename", "replace(", "rmtree", "rmdir"):
        assert forbidden not in re.sub(r'"""(.|\n)*?"""', "", code), forbidden


def test_success_creates_a_hard_link_with_parents(source, tmp_path):
    before = fingerprint(source)
    destination = tmp_path / "library" / "Movies" / "Movie (2020)" / "Movie (2020).mkv"
    assert create_hardlink(source, destination) is LINK_SUCCESS
    assert os.path.samefile(source, destination)
    assert os.stat(destination).st_nlink == 2
    assert destination.read_bytes() == b"the movie"
    assert fingerprint(source) == before


def test_rerun_on_the_same_inode_is_success(source, tmp_path):
    destination = tmp_path / "library" / "Movie.mkv"
    assert create_hardlink(source, destination) is LINK_SUCCESS
    before = state(destination)
    assert create_hardlink(source, destination) is LINK_SUCCESS
    assert state(destination) == before


def test_existing_other_file_is_a_conflict_left_byte_identical(source, tmp_path):
    destination = make_file(tmp_path / "library" / "Movie.mkv", b"someone else's file")
    os.utime(destination, ns=(1_000_000_000, 1_000_000_000))
    before, source_before = state(destination), fingerprint(source)
    assert create_hardlink(source, destination) is LINK_FAILED_CONFLICT
    assert state(destination) == before
    assert fingerprint(source) == source_before


def test_dangling_symlink_destination_is_a_conflict_and_stays(source, tmp_path):
    destination = tmp_path / "library" / "Movie.mkv"
    destination.parent.mkdir(parents=True)
    destination.symlink_to(tmp_path / "nowhere")
    assert create_hardlink(source, destination) is LINK_FAILED_CONFLICT
    assert destination.is_symlink()
    assert os.readlink(destination) == str(tmp_path / "nowhere")
    assert not (tmp_path / "nowhere").exists()


def test_symlink_to_the_source_is_not_the_same_file(source, tmp_path):
    destination = tmp_path / "library" / "Movie.mkv"
    destination.parent.mkdir(parents=True)
    destination.symlink_to(source)
    assert create_hardlink(source, destination) is LINK_FAILED_CONFLICT
    assert destination.is_symlink()


def test_existing_folder_at_destination_is_a_conflict(source, tmp_path):
    destination = tmp_path / "library" / "Movie.mkv"
    (destination / "inside").mkdir(parents=True)
    assert create_hardlink(source, destination) is LINK_FAILED_CONFLICT
    assert (destination / "inside").is_dir()


def test_missing_source_is_no_source(tmp_path):
    destination = tmp_path / "library" / "Movie.mkv"
    assert create_hardlink(tmp_path / "gone.mkv", destination) is LINK_FAILED_NO_SOURCE
    assert not destination.exists()
    assert not destination.parent.exists()


def test_symlinked_source_is_not_followed(source, tmp_path):
    link = tmp_path / "downloads" / "link.mkv"
    link.symlink_to(source)
    destination = tmp_path / "library" / "Movie.mkv"
    assert create_hardlink(link, destination) is LINK_FAILED_NO_SOURCE
    assert not os.path.lexists(destination)


def test_folder_source_is_no_source(tmp_path):
    folder = tmp_path / "downloads" / "Movie.mkv"
    folder.mkdir(parents=True)
    assert create_hardlink(folder, tmp_path / "library" / "x.mkv") is LINK_FAILED_NO_SOURCE


def test_cross_device_on_a_real_second_file_system(source, tmp_path):
    shm = other_filesystem(tmp_path)
    folder = shm / f"clearmedia-test-{os.getpid()}-{tmp_path.name}"
    before = fingerprint(source)
    try:
        assert create_hardlink(source, folder / "Movie.mkv") is LINK_FAILED_CROSS_DEVICE
        assert not os.path.lexists(folder / "Movie.mkv")
    finally:
        if folder.is_dir():
            folder.rmdir()  # only the empty folder the linker made for the link
    assert fingerprint(source) == before
    assert "one mount" in describe(LINK_FAILED_CROSS_DEVICE)


def test_parent_that_is_a_file_is_unknown_and_logged(source, tmp_path):
    from loguru import logger

    blocker = make_file(tmp_path / "library" / "Movies", b"a file where a folder should be")
    before = state(blocker)
    messages: list[str] = []
    sink = logger.add(messages.append, level="ERROR", format="{message}")
    try:
        result = create_hardlink(source, blocker / "Movie (2020)" / "Movie (2020).mkv")
    finally:
        logger.remove(sink)
    assert result is LINK_FAILED_UNKNOWN
    assert state(blocker) == before
    assert any("ENOTDIR" in m or "EEXIST" in m for m in messages), messages


def test_link_error_other_than_exdev_is_unknown(source, tmp_path):
    # os.link itself fails (ENAMETOOLONG): the folder exists, the name is over 255 bytes.
    folder = tmp_path / "library"
    folder.mkdir()
    before = fingerprint(source)
    assert create_hardlink(source, folder / ("x" * 300 + ".mkv")) is LINK_FAILED_UNKNOWN
    assert list(folder.iterdir()) == []
    assert fingerprint(source) == before


class _RaceBeforeLink:
    """An audit hook that makes a file appear at the destination just before `os.link` runs:
    the race between the linker's existence check and its link, made deterministic."""

    armed: tuple[Path, Path] | None = None  # (file to put there, destination)
    installed = False

    @classmethod
    def arm(cls, intruder: Path, destination: Path) -> None:
        if not cls.installed:
            sys.addaudithook(cls._hook)  # hooks cannot be removed; disarmed it does nothing
            cls.installed = True
        cls.armed = (intruder, destination)

    @classmethod
    def _hook(cls, event: str, args: tuple) -> None:
        if event != "os.link" or cls.armed is None:
            return
        intruder, destination = cls.armed
        if os.fspath(args[1]) == os.fspath(destination):
            cls.armed = None
            os.link(intruder, destination)


@pytest.mark.parametrize("same_file", [True, False], ids=["same-inode", "other-file"])
def test_destination_appearing_just_before_the_link(source, tmp_path, same_file):
    intruder = source if same_file else make_file(tmp_path / "elsewhere" / "other.mkv", b"other")
    destination = tmp_path / "library" / "Movie.mkv"
    _RaceBeforeLink.arm(intruder, destination)
    try:
        result = create_hardlink(source, destination)
    finally:
        _RaceBeforeLink.armed = None
    assert os.path.samefile(intruder, destination)  # the hook really ran, and won the race
    assert result is (LINK_SUCCESS if same_file else LINK_FAILED_CONFLICT)
    if not same_file:
        assert destination.read_bytes() == b"other"


def test_many_threads_racing_for_one_name_all_succeed(source, tmp_path):
    """The EEXIST race: whoever loses sees the same inode and reports success."""
    from concurrent.futures import ThreadPoolExecutor

    destination = tmp_path / "library" / "deep" / "Movie.mkv"
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: create_hardlink(source, destination), range(32)))
    assert set(results) == {LINK_SUCCESS}
    assert os.path.samefile(source, destination)


def test_race_lost_to_another_file_is_a_conflict(tmp_path):
    """Two different sources race for one name: exactly one wins, the others see a conflict."""
    from concurrent.futures import ThreadPoolExecutor

    sources = [make_file(tmp_path / "downloads" / f"{i}.mkv", str(i).encode()) for i in range(16)]
    destination = tmp_path / "library" / "Movie.mkv"
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda s: create_hardlink(s, destination), sources))
    assert results.count(LINK_SUCCESS) == 1
    assert results.count(LINK_FAILED_CONFLICT) == 15
    winner = sources[results.index(LINK_SUCCESS)]
    assert os.path.samefile(winner, destination)


def test_same_filesystem(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert same_filesystem(tmp_path / "a", tmp_path / "b")
    shm = other_filesystem(tmp_path)
    assert not same_filesystem(tmp_path / "a", shm)


def test_can_hardlink_succeeds_and_leaves_nothing_behind(tmp_path):
    downloads, library = tmp_path / "downloads", tmp_path / "library"
    keep = make_file(downloads / "Keep.mkv", b"keep me")
    existing = make_file(library / "Movies" / "Old.mkv", b"old")
    before = (fingerprint(keep), state(existing))
    assert can_hardlink(downloads, library) is None
    assert sorted(p.name for p in downloads.iterdir()) == ["Keep.mkv"]
    assert sorted(p.name for p in library.iterdir()) == ["Movies"]
    assert (fingerprint(keep), state(existing)) == before


def test_can_hardlink_across_file_systems_names_the_fix(tmp_path):
    shm = other_filesystem(tmp_path)
    library = shm / f"clearmedia-check-{os.getpid()}-{tmp_path.name}"
    library.mkdir()
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    try:
        reason = can_hardlink(downloads, library)
        assert reason == CROSS_DEVICE_REASON
        assert "different file systems" in reason and "one bind mount" in reason
        assert list(library.iterdir()) == []
        assert list(downloads.iterdir()) == []
    finally:
        library.rmdir()


def test_can_hardlink_reports_a_missing_folder(tmp_path):
    (tmp_path / "downloads").mkdir()
    reason = can_hardlink(tmp_path / "downloads", tmp_path / "missing")
    assert reason and "TARGET_DIR" in reason
    assert list((tmp_path / "downloads").iterdir()) == []
