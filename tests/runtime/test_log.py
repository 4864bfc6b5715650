"""clearmedia.runtime.log in real subprocesses: each format's shape, journal detection, no secret anywhere."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from tests.helpers import base_env

TMDB_KEY = "tmdb-key-SECRET-5f3a9c"
OPENAI_KEY = "sk-openai-SECRET-77d1e0"
EXTRA_TOKEN = "extra/TOKEN+42"  # passed as `secrets=`; its URL-quoted form must go too
SECRETS = (TMDB_KEY, OPENAI_KEY, EXTRA_TOKEN, "extra%2FTOKEN%2B42")

# Settings come from the environment, so the keys reach setup_logging via settings.secrets().
SCRIPT = f"""
import logging, os
from loguru import logger
from clearmedia.config import load_settings
from clearmedia.runtime.log import setup_logging

settings = load_settings(None, require_library=False)
setup_logging(settings, secrets=[{EXTRA_TOKEN!r}])
logger.bind(file_id=7, path="/downloads/Dune.2021.mkv").info("linked with key {{}}", settings.openai_api_key)
logger.debug("debug line")
logger.bind(path=os.fsdecode(b"/downloads/\\xff.mkv")).warning("odd name")
try:
    raise RuntimeError("TMDB refused " + settings.tmdb_api_key + " and {EXTRA_TOKEN}")
except RuntimeError:
    logger.exception("lookup failed for {EXTRA_TOKEN.replace("/", "%2F").replace("+", "%2B")}")
logging.getLogger("urllib3").warning("GET /3/search/movie?api_key=%s", settings.tmdb_api_key)
"""


def run_logging(tmp_path: Path, stderr=subprocess.PIPE, **env_overrides: str) -> subprocess.CompletedProcess:
    env = base_env(tmp_path, TMDB_API_KEY=TMDB_KEY, OPENAI_API_KEY=OPENAI_KEY, **env_overrides)
    return subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        cwd=tmp_path,
        stderr=stderr,
        stdout=subprocess.PIPE,
        text=True,
        timeout=60,
    )


def assert_no_secret(output: str) -> None:
    assert output.strip(), "nothing was logged"
    for secret in SECRETS:
        assert secret not in output
    assert "Logging error" not in output
    assert "***" in output


TIMESTAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}"


def test_text_format_has_time_level_message_extras_and_traceback(tmp_path):
    err = run_logging(tmp_path, LOG_FORMAT="text").stderr
    assert_no_secret(err)
    lines = err.splitlines()
    assert re.fullmatch(
        TIMESTAMP + r" \| INFO +\| linked with key \*\*\* file_id=7 path=/downloads/Dune\.2021\.mkv", lines[0]
    ), lines[0]
    assert re.fullmatch(TIMESTAMP + r" \| WARNING +\| odd name path=/downloads/\\udcff\.mkv", lines[1]), (
        lines[1]
    )
    assert "debug line" not in err  # LOG_LEVEL defaults to INFO
    assert "Traceback (most recent call last):" in err
    assert "RuntimeError: TMDB refused *** and ***" in err
    assert re.search(TIMESTAMP + r" \| WARNING +\| urllib3: GET /3/search/movie\?api_key=\*\*\*$", err, re.M)
    assert "\x1b[" not in err


def test_json_format_is_one_object_per_line(tmp_path):
    err = run_logging(tmp_path, LOG_FORMAT="json", LOG_LEVEL="DEBUG").stderr
    assert_no_secret(err)
    entries = [json.loads(line) for line in err.splitlines()]  # every line parses on its own
    assert [e["level"] for e in entries] == ["INFO", "DEBUG", "WARNING", "ERROR", "WARNING"]
    info = entries[0]
    assert info["message"] == "linked with key ***"
    assert (info["file_id"], info["path"]) == (7, "/downloads/Dune.2021.mkv")
    assert datetime.fromisoformat(info["time"]).tzinfo is not None
    error = entries[3]
    assert error["message"] == "lookup failed for ***"
    assert error["exception"].startswith("Traceback (most recent call last):")
    assert error["exception"].endswith("RuntimeError: TMDB refused *** and ***")
    assert "exception" not in info


def test_journal_format_prefixes_every_line_with_its_priority(tmp_path):
    err = run_logging(tmp_path, LOG_FORMAT="journal", LOG_LEVEL="DEBUG").stderr
    assert_no_secret(err)
    lines = err.splitlines()
    assert all(re.match(r"<[0-7]>", line) for line in lines), lines
    assert lines[0] == "<6>linked with key *** file_id=7 path=/downloads/Dune.2021.mkv"
    assert lines[1] == "<7>debug line"
    assert lines[2] == r"<4>odd name path=/downloads/\udcff.mkv"
    error_lines = [line for line in lines if line.startswith("<3>")]
    assert error_lines[0] == "<3>lookup failed for ***"
    assert error_lines[1] == "<3>Traceback (most recent call last):"
    assert error_lines[-1] == "<3>RuntimeError: TMDB refused *** and ***"
    assert len(error_lines) >= 4  # the whole traceback, not just its first line
    assert lines[-1] == "<4>urllib3: GET /3/search/movie?api_key=***"
    assert not re.search(r"\d\d:\d\d:\d\d", err)  # journald adds its own timestamps
    assert "\x1b[" not in err


def test_auto_is_journal_when_stderr_is_the_journal_stream(tmp_path):
    out = tmp_path / "stderr.log"
    with open(out, "w") as handle:
        st = os.fstat(handle.fileno())
        run_logging(tmp_path, stderr=handle, LOG_FORMAT="auto", JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
    err = out.read_text()
    assert_no_secret(err)
    assert err.startswith("<6>linked with key ***")
    assert all(line.startswith("<") for line in err.splitlines())


def test_auto_ignores_an_inherited_journal_stream_that_is_not_stderr(tmp_path):
    err = run_logging(tmp_path, LOG_FORMAT="auto", JOURNAL_STREAM="8:12345").stderr
    assert_no_secret(err)
    assert re.match(TIMESTAMP + r" \| INFO ", err)  # plain text: stderr is a pipe, not the journal
    assert "\x1b[" not in err


def test_auto_is_colour_text_on_a_terminal(tmp_path):
    leader, follower = pty.openpty()
    try:
        proc = run_logging(tmp_path, stderr=follower, LOG_FORMAT="auto")
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal has no writer left
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    assert proc.returncode == 0
    err = b"".join(chunks).decode("utf-8", "replace")
    assert_no_secret(err)
    assert "\x1b[" in err
    assert "linked with key ***" in err


@pytest.mark.parametrize("fmt", ["text", "json", "journal"])
def test_exit_status_and_stdout_untouched(tmp_path, fmt):
    proc = run_logging(tmp_path, LOG_FORMAT=fmt)
    assert proc.returncode == 0
    assert proc.stdout == ""  # logs go to stderr only; stdout stays for command output


@pytest.mark.parametrize("fmt", ["text", "journal"])
def test_a_path_already_in_the_message_is_not_repeated(fmt):
    import io
    import logging

    from loguru import logger

    from clearmedia.runtime.log import setup_logging

    stream = io.StringIO()
    root_handlers = list(logging.root.handlers)
    setup_logging(stream=stream, fmt=fmt, level="INFO")
    try:
        with logger.contextualize(file_id=7, path="/dl/Film.mkv"):
            logger.info("COMPLETED /dl/Film.mkv -> /lib/Film.mkv")
            logger.info("looking again")
    finally:
        logger.remove()
        logging.root.handlers[:] = root_handlers
    first, second = stream.getvalue().splitlines()
    assert first.count("/dl/Film.mkv") == 1 and first.endswith("file_id=7")
    assert second.endswith("file_id=7 path=/dl/Film.mkv")


@pytest.mark.slow
def test_the_daemon_under_systemd_writes_journal_lines(tmp_path):
    """`clearmedia run` with stderr being the journal stream (JOURNAL_STREAM names it)."""
    import signal

    from tests.fakes.fake_tmdb import FakeTMDB
    from tests.helpers import make_video, wait_for

    log = tmp_path / "journal.log"
    with FakeTMDB() as tmdb, open(log, "wb") as handle:
        st = os.fstat(handle.fileno())
        env = base_env(tmp_path, TMDB_API_URL=tmdb.url, LOG_FORMAT="auto", SETTLE_SECONDS="0")
        env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
        daemon = subprocess.Popen([sys.executable, "-m", "clearmedia", "run"], env=env, stderr=handle)
        try:
            make_video(tmp_path / "downloads" / "The.Matrix.1999.1080p.mkv")
            wait_for(lambda: b"COMPLETED" in log.read_bytes(), timeout=30, what="a COMPLETED line")
        finally:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=30) == 0
    lines = log.read_text().splitlines()
    assert lines and all(re.match(r"<[0-7]>", line) for line in lines), lines
    assert not any("\x1b[" in line or re.match(r"<\d>\d{4}-\d\d-\d\d", line) for line in lines)
    assert any(line.startswith("<6>COMPLETED") for line in lines)
    assert env["TMDB_API_KEY"] not in log.read_text()
