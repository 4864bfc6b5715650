"""`clearmedia scan` as a user meets it when things go wrong: Ctrl-C and SIGTERM, a library on
another file system, a rejected TMDB key, and what `--dry-run` prints. Real subprocesses, real
files, fake TMDB over HTTP."""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.fakes.fake_llm import FakeLLM
from tests.helpers import base_env, listed, llm_env, make_video, run_cli, wait_for

MOVIES = [f"Inception.2010.Part{i}.1080p.BluRay.x264.mkv" for i in range(12)]


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stop_signal_ends_scan_within_5_s_and_leaves_nothing_processing(tmp_path, tmdb, signum, status):
    tmdb.delay = 1.5  # every TMDB answer takes a while: a long backlog
    env = base_env(tmp_path, TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US", WORKERS="2")
    for name in MOVIES:
        make_video(tmp_path / "downloads" / name)
    scan = subprocess.Popen(
        [sys.executable, "-m", "clearmedia", "scan"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        wait_for(lambda: tmdb.count() >= 2, timeout=30, what="files in progress")
        sent = time.monotonic()
        scan.send_signal(signum)
        out, err = scan.communicate(timeout=10)
        took = time.monotonic() - sent
    finally:
        scan.kill()
    assert scan.returncode == status, err.decode()
    assert took < 5, f"took {took:.1f} s to stop"
    assert b"PENDING" in err  # says what became of the files in progress
    states = [row["status"] for row in listed(env)]
    assert "PROCESSING" not in states
    assert states.count("PENDING") >= 1  # the backlog was not drained


def test_a_library_on_another_file_system_fails_without_a_request_or_a_folder(tmp_path, tmdb):
    with tempfile.TemporaryDirectory(dir="/dev/shm") as other:
        env = base_env(tmp_path, TMDB_API_URL=tmdb.url, TARGET_DIR=other)
        make_video(tmp_path / "downloads" / "The.Matrix.1999.1080p.mkv")
        scan = run_cli("scan", env=env)
        assert scan.returncode == 0, scan.stderr
        assert "different file systems" in scan.stderr  # the warning at start
        [row] = listed(env)
        assert row["status"] == "FAILED"
        assert "one mount" in row["error"]
        assert tmdb.count() == 0  # no TMDB (nor LLM) request for a file that cannot be linked
        assert list(Path(other).iterdir()) == []  # no folder left behind


def test_a_rejected_tmdb_key_is_named_in_the_summary_and_files_wait(tmp_path, tmdb):
    env = base_env(tmp_path, TMDB_API_URL=tmdb.url, TMDB_API_KEY="wrong-key")
    make_video(tmp_path / "downloads" / "The.Matrix.1999.1080p.mkv")
    scan = run_cli("scan", env=env)
    assert scan.returncode == 0, scan.stderr
    assert "stay PENDING: TMDB rejected the API key" in scan.stdout, scan.stdout
    [row] = listed(env)
    assert row["status"] == "PENDING" and row["attempts"] == 0


def test_dry_run_prints_each_file_once_and_failures_as_would_fail(tmp_path, tmdb):
    env = base_env(tmp_path, TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US")
    make_video(tmp_path / "downloads" / "The.Matrix.1999.1080p.mkv")
    make_video(tmp_path / "downloads" / "Zzqx.Unknown.Work.2031.1080p.mkv")
    scan = run_cli("scan", "--dry-run", env=env)
    assert scan.returncode == 0, scan.stderr
    assert scan.stdout.count("The.Matrix.1999.1080p.mkv") == 1, scan.stdout
    assert scan.stdout.count("Zzqx.Unknown.Work.2031.1080p.mkv") == 1, scan.stdout
    assert "DRY RUN" not in scan.stderr  # the decisions are printed, not logged a second time
    assert "would link: " in scan.stdout and "The Matrix (1999)" in scan.stdout
    assert "would fail: " in scan.stdout and "not linked" not in scan.stdout
    assert {row["status"] for row in listed(env)} == {"PENDING"}


def test_a_dry_run_reads_the_names_in_one_llm_request_and_changes_nothing(tmp_path, tmdb):
    pack = tmp_path / "downloads" / "Breaking.Bad.S01.1080p"
    for n in range(1, 6):
        make_video(pack / f"Breaking.Bad.S01E0{n}.1080p.mkv")
    with FakeLLM() as llm:
        env = base_env(tmp_path, TMDB_API_URL=tmdb.url, LLM_BATCH_SIZE="20", WORKERS="2", **llm_env(llm))
        scan = run_cli("scan", "--dry-run", env=env)
        assert scan.returncode == 0, scan.stderr
        assert scan.stdout.count("would link:") == 5, scan.stdout
        assert len(llm.chat_requests()) == 1, "five names, one batch request"
    assert {row["status"] for row in listed(env)} == {"PENDING"}
    assert not any((tmp_path / "library").iterdir())
