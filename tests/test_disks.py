"""Full and read-only disks, for real: small tmpfs mounts holding the library or DATA_DIR.

Tests run as root here and in CI; where `mount` is not permitted they are skipped with the reason.
Every mount is undone in the fixture's finalizer, whatever the test did.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.daemon_helpers import free_port, health
from tests.helpers import base_env, listed, make_video, run_cli, wait_for

MOVIE = "Inception.2010.1080p.BluRay.x264-[YTS.AM].mp4"


@pytest.fixture
def tmpfs():
    """mount(folder, size, inodes) mounts a fresh tmpfs; all are unmounted at the end."""
    mounted: list[Path] = []

    def mount(folder: Path, size: str = "4m", inodes: int = 1000) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        options = f"size={size},nr_inodes={inodes}"
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in reversed(mounted):
        subprocess.run(["mount", "-o", "remount,rw", str(folder)], capture_output=True)
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def fill_inodes(folder: Path, keep_free: int = 0) -> list[Path]:
    """Create empty files until the file system has no inode left; free `keep_free` of them again."""
    made = []
    while True:
        path = folder / f"filler-{len(made)}"
        try:
            path.touch()
        except OSError as error:
            assert error.errno == errno.ENOSPC
            break
        made.append(path)
    for path in made[len(made) - keep_free :] if keep_free else []:
        path.unlink()
    return made[: len(made) - keep_free] if keep_free else made


def fill_space(folder: Path) -> Path:
    path = folder / "filler.bin"
    with open(path, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC
    return path


def library_env(tmp_path, disk, tmdb, **extra):
    env = base_env(tmp_path, TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US", RETRY_DELAY="0", **extra)
    env.update(SOURCE_DIR=str(disk / "downloads"), TARGET_DIR=str(disk / "library"))
    for name in ("downloads", "library"):
        (disk / name).mkdir(exist_ok=True)
    return env


def test_a_library_without_free_inodes_requeues_with_the_cause_and_leaves_no_folder(tmp_path, tmpfs, tmdb):
    disk = tmpfs(tmp_path / "disk", inodes=64)
    env = library_env(tmp_path, disk, tmdb)
    make_video(disk / "downloads" / MOVIE)
    fillers = fill_inodes(disk / "downloads", keep_free=1)  # "Movies" can be made, its title folder not

    scan = run_cli("scan", env=env)
    assert scan.returncode == 0, scan.stderr
    [row] = listed(env)
    assert row["status"] == "PENDING"
    assert "library disk full" in row["error"]
    assert list((disk / "library").iterdir()) == []  # the folder made for the failed link is gone

    for path in fillers:
        path.unlink()
    scan = run_cli("scan", env=env)
    [row] = listed(env)
    assert row["status"] == "COMPLETED", row
    assert os.path.samefile(row["target"], disk / "downloads" / MOVIE)


def test_a_read_only_library_requeues_and_links_once_writable_again(tmp_path, tmpfs, tmdb):
    disk = tmpfs(tmp_path / "disk")
    env = library_env(tmp_path, disk, tmdb)
    make_video(disk / "downloads" / MOVIE)
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)

    scan = run_cli("scan", env=env)
    assert scan.returncode == 0, scan.stderr
    [row] = listed(env)
    assert row["status"] == "PENDING" and "library is read-only" in row["error"], row

    subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
    run_cli("scan", env=env)
    [row] = listed(env)
    assert row["status"] == "COMPLETED", row


def test_scan_with_a_full_data_dir_exits_1_with_one_line_naming_it(tmp_path, tmpfs, tmdb):
    data = tmpfs(tmp_path / "data", size="2m")
    env = base_env(tmp_path, TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US")
    assert run_cli("scan", env=env).returncode == 0  # the database exists
    fill_space(data)
    make_video(tmp_path / "downloads" / MOVIE)

    scan = run_cli("scan", env=env)
    assert scan.returncode == 1, scan.stdout + scan.stderr
    errors = [line for line in scan.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(data) in errors[0] and "full" in errors[0], scan.stderr
    assert "Traceback" not in scan.stderr


def test_run_with_a_full_data_dir_answers_503_naming_it_and_resumes_by_itself(tmp_path, tmpfs, tmdb):
    data = tmpfs(tmp_path / "data", size="2m")
    port = free_port()
    env = base_env(tmp_path, TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US", HEALTH_PORT=str(port))
    daemon = subprocess.Popen(
        [sys.executable, "-m", "clearmedia", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: health(port)[0] == 200, timeout=20, what="a healthy daemon")
        filler = fill_space(data)
        code, body = wait_for(lambda: (h := health(port))[0] == 503 and h, timeout=10, what="503")
        assert any(str(data) in p and "full" in p for p in body["problems"]), body
        make_video(tmp_path / "downloads" / MOVIE)  # arrives while nothing can be recorded

        filler.unlink()
        wait_for(lambda: health(port)[0] == 200, timeout=10, what="healthy again")
        wait_for(
            lambda: any(r["status"] == "COMPLETED" for r in listed(env)), timeout=20, what="the file linked"
        )
        assert daemon.poll() is None  # it kept running all along
    finally:
        daemon.terminate()
        assert daemon.wait(15) == 0
