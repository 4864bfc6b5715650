"""What `run` tells people: /health while starting and with a rejected key, progress lines that
promise nothing while nothing can be done, and files the first scan found still settling."""

from __future__ import annotations

import json
import subprocess
import sys

from clearmedia.runtime.daemon import Progress
from clearmedia.runtime.health import report
from tests.daemon_helpers import free_port, health
from tests.helpers import base_env, make_video, run_cli, wait_for


def start(env, log):
    return subprocess.Popen([sys.executable, "-m", "clearmedia", "run"], env=env, stderr=open(log, "wb"))


def stop(daemon) -> int:
    daemon.terminate()
    return daemon.wait(15)


def test_health_says_starting_with_503_until_the_watcher_runs(db):
    code, body = report({"starting": True, "watcher": "stopped", "problems": []}, started=0)
    assert code == 503 and body["status"] == "starting"
    code, body = report({"watcher": "inotify", "problems": []}, started=0)
    assert code == 200 and body["status"] == "ok"


def test_progress_promises_no_finish_time_while_a_key_is_rejected():
    progress = Progress(now=0)
    line = progress.line(10, 5, {"PENDING": 50}, blocked="TMDB rejected the API key (HTTP 401)")
    assert line == "progress: 5 done, 50 waiting: TMDB rejected the API key (HTTP 401)"
    assert "left" not in line


def test_a_rejected_key_is_named_on_health_and_files_wait(tmp_path, tmdb):
    port = free_port()
    env = base_env(tmp_path, TMDB_API_URL=tmdb.url, TMDB_API_KEY="wrong-key", HEALTH_PORT=str(port))
    make_video(tmp_path / "downloads" / "The.Matrix.1999.1080p.mkv")
    daemon = start(env, tmp_path / "daemon.log")
    try:
        code, body = wait_for(
            lambda: (h := health(port))[0] == 503 and h[1].get("problems") and h, timeout=20, what="503"
        )
        assert any("TMDB rejected the API key" in p for p in body["problems"]), body
        assert "wrong-key" not in json.dumps(body)
    finally:
        assert stop(daemon) == 0
    [row] = json.loads(run_cli("list", "--json", env=env).stdout)
    assert row["status"] == "PENDING" and row["attempts"] == 0


def test_a_file_the_first_scan_found_settling_is_linked_settle_seconds_later(tmp_path, tmdb):
    env = base_env(
        tmp_path, TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US", SETTLE_SECONDS="2", SCAN_INTERVAL="3600"
    )
    make_video(tmp_path / "downloads" / "The.Matrix.1999.1080p.mkv", age_s=0)  # no event will come for it
    log = tmp_path / "daemon.log"
    daemon = start(env, log)
    try:
        wait_for(
            lambda: b"COMPLETED" in log.read_bytes(), timeout=15, what="the link, long before SCAN_INTERVAL"
        )
        text = log.read_text()
        assert "waiting 2 s for it to settle" in text
        assert text.count("The.Matrix.1999.1080p.mkv: waiting") == 1
    finally:
        assert stop(daemon) == 0
