"""Small helpers shared by the tests: real files, real settings, the real CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

MB = 1024 * 1024
#: The repository's top folder, and the test data in it.
REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"


def make_video(path: Path, size_mb: float = 20, age_s: float = 3600, content: bytes | None = None) -> Path:
    """Create a (sparse) file of `size_mb` whose mtime is `age_s` seconds in the past."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        if content:
            handle.write(content)
        handle.truncate(max(int(size_mb * MB), len(content or b"")))
    past = time.time() - age_s
    os.utime(path, (past, past))
    return path


def fingerprint(path: Path) -> tuple[int, int, int]:
    """(inode, size, mtime_ns): what must be unchanged in a source file after ClearMedia ran."""
    st = os.stat(path)
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def base_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """Environment for a complete library under `tmp_path` (downloads/, library/, data/)."""
    for name in ("downloads", "library", "data"):
        (tmp_path / name).mkdir(exist_ok=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("TMDB_", "OPENAI_", "CLEARMEDIA_", "NOTIFY_SOCKET", "JOURNAL_STREAM", "WATCHDOG_")
        )
    }
    env.update(
        SOURCE_DIR=str(tmp_path / "downloads"),
        TARGET_DIR=str(tmp_path / "library"),
        DATA_DIR=str(tmp_path / "data"),
        TMDB_API_KEY="test-tmdb-key-SECRET",
        TMDB_API_URL="http://127.0.0.1:9/3",
        PARSER="guessit",
        SETTLE_SECONDS="0",
        LOG_FORMAT="text",
        HEALTH_PORT="0",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


def run_cli(
    *args: str, env: dict[str, str], cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run `python -m clearmedia ARGS` as a user would; return the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "clearmedia", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_for(
    condition: Callable[[], object], timeout: float = 20, interval: float = 0.05, what: str = "condition"
):
    """Poll `condition` until it returns something truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def in_threads(work: Callable[[object], object], items: Sequence, threads: int = 8) -> None:
    """Call `work(item)` for every item from `threads` threads that start together; re-raise the
    first error in the test's thread."""
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def run(part: Sequence) -> None:
        barrier.wait()
        try:
            for item in part:
                work(item)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(items[i::threads],)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    if errors:
        raise errors[0]


def listed(env: dict[str, str], cwd: Path | None = None) -> list[dict]:
    """The rows of `clearmedia list --json`, as a user's script reads them."""
    import json

    result = run_cli("list", "--json", env=env, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def listed_by_name(env: dict[str, str], cwd: Path | None = None) -> dict[str, dict]:
    """`list --json` rows by source file name."""
    return {os.path.basename(row["path"]): row for row in listed(env, cwd)}


def llm_env(llm, **overrides: str) -> dict[str, str]:
    """The settings that send names to a fake LLM (tests/fakes/fake_llm.py) instead of guessit."""
    return dict(PARSER="llm", OPENAI_BASE_URL=llm.url, OPENAI_API_KEY=llm.api_key, **overrides)


def recorded_rows() -> dict[str, object]:
    """Every row of the open database (`clearmedia.store.db.open_database`) by source path."""
    from clearmedia.store.models import MediaFile

    return {row.path: row for row in MediaFile.select()}


def recorded_names() -> set[str]:
    """The file names of every recorded source file."""
    return {os.path.basename(path) for path in recorded_rows()}
