"""How long from `clearmedia add` returning until the running daemon's link exists.

    .venv/bin/python -m tests.benchmarks.bench_add [--files N]

A real `clearmedia run` (SETTLE_SECONDS an hour, rescans an hour apart: only `add` can get a
fresh file linked), the fake TMDB on 127.0.0.1, one fresh file per `add`. The contract asks
for under 2 s; idle workers would otherwise find the file by polling within 5 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from tests.daemon_helpers import DaemonProcess, links_of, rows
from tests.fakes.fake_tmdb import FakeTMDB
from tests.helpers import base_env, make_video, run_cli, wait_for

TITLES = [
    "Inception.2010",
    "The.Matrix.1999",
    "Dune.2021",
    "Blade.Runner.1982",
    "Spirited.Away.2001",
    "1917.2019",
    "Blade.Runner.2049.2017",
    "Dune.Part.Two.2024",
]


def _done(root: Path, movie: Path) -> bool:
    if links_of(movie, root / "library"):
        return True
    return any(path == str(movie) and status != "PENDING" for status, path in rows(root / "data"))


def measure(files: int) -> list[tuple[float, float]]:
    """(seconds from `add` returning, seconds from `add` starting) until each file is processed."""
    delays = []
    with tempfile.TemporaryDirectory() as folder, FakeTMDB() as tmdb:
        root = Path(folder)
        env = base_env(
            root, TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US", SETTLE_SECONDS="3600", SCAN_INTERVAL="3600"
        )
        daemon = DaemonProcess(env, root / "daemon.log")
        try:
            daemon.wait_ready()
            time.sleep(6)  # a benchmark, not a test: let idle workers reach their longest poll first
            for index in range(files):
                # each title once per round; later rounds end as CONFLICT (same library name), also an outcome
                name = f"{TITLES[index % len(TITLES)]}.1080p.mkv"
                movie = make_video(root / "downloads" / f"round{index // len(TITLES)}" / name, age_s=0)
                started = time.monotonic()
                result = run_cli("add", str(movie), env=env)
                returned = time.monotonic()
                assert result.returncode == 0, result.stdout + result.stderr
                wait_for(
                    lambda m=movie: _done(root, m), timeout=10, interval=0.01, what=f"{movie.name} processed"
                )
                delays.append((time.monotonic() - returned, time.monotonic() - started))
        finally:
            daemon.stop()
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=8)
    args = parser.parse_args()
    delays = measure(args.files)
    after, total = [d[0] for d in delays], [d[1] for d in delays]
    print(
        f"add -> link with a running daemon, {len(delays)} files: after add returned median "
        f"{statistics.median(after) * 1000:.0f} ms, max {max(after) * 1000:.0f} ms; from add's start "
        f"median {statistics.median(total) * 1000:.0f} ms, max {max(total) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
