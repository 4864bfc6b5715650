"""Scanner speed against `find`: first discovery, rescan with nothing new, peak memory.

    .venv/bin/python -m tests.benchmarks.bench_scan [--files 100000] [--folders 1000]

Goals: rescan <= 2x find, first discovery <= 4x find, discovery peak RSS <= 150 MB.
Logging is switched off (no loguru sink) so the figures are the scanner's own.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_RESCAN, GOAL_DISCOVERY, GOAL_RSS_MB = 2.0, 4.0, 150.0


def build_tree(src: Path, files: int, folders: int) -> None:
    per_folder = max(1, files // folders)
    made = 0
    for f in range(folders):
        folder = src / f"Show.{f:04d}.S01.1080p.WEB-DL.x264-GROUP"
        folder.mkdir(parents=True)
        for e in range(per_folder):
            if made == files:
                return
            (folder / f"Show.{f:04d}.S01E{e:03d}.1080p.WEB-DL.x264-GROUP.mkv").touch()
            made += 1


def settings_for(root: Path, data: str):
    from clearmedia.config import load_settings

    env = {
        "SOURCE_DIR": str(root / "src"),
        "TARGET_DIR": str(root / "library"),
        "DATA_DIR": str(root / data),
        "TMDB_API_KEY": "bench",
        "PARSER": "guessit",
        "SETTLE_SECONDS": "0",
        "MIN_FILE_SIZE_MB": "0",
    }
    return load_settings(None, require_library=True, environ=env)


def time_find(src: Path) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run(
            ["find", str(src), "-type", "f", "-printf", "%i %D %s %T@\n"],
            stdout=subprocess.DEVNULL,
            check=True,
        )
        best = min(best, time.perf_counter() - started)
    return best


def child(root: Path, data: str, rescans: int) -> None:
    """Run in a fresh process: discovery on an empty DATA_DIR, then `rescans` rescans; print JSON."""
    from loguru import logger

    from clearmedia.discover.scanner import Scanner
    from clearmedia.store.db import open_database

    logger.remove()
    settings = settings_for(root, data)
    open_database(settings.data_dir)
    scanner = Scanner(settings)
    base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    report = scanner.scan_all()
    discovery = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    for _ in range(rescans):
        started = time.perf_counter()
        again = scanner.scan_all()
        times.append(time.perf_counter() - started)
        assert again.new == 0 and again.known == report.new, again
    print(
        json.dumps(
            {
                "new": report.new,
                "discovery": discovery,
                "base_kb": base_kb,
                "peak_kb": peak_kb,
                "rescans": times,
            }
        )
    )


def _child_run(root: Path, data: str) -> dict:
    """One fresh discovery and three rescans in a child process (its own peak RSS)."""
    out = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_scan", "--child", str(root), "--data", data],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(find_s: float, runs: list[dict]) -> None:
    """Print the best of the runs against `find` and the goals."""
    discovery = min(r["discovery"] for r in runs)
    rescan = min(min(r["rescans"]) for r in runs)
    peak_mb = max(r["peak_kb"] for r in runs) / 1024
    base_mb = min(r["base_kb"] for r in runs) / 1024
    print(f"find -printf (best of 3):        {find_s * 1000:8.1f} ms")
    print(
        f"first discovery (best of 2):     {discovery * 1000:8.1f} ms = {discovery / find_s:5.2f}x find "
        f"(goal <= {GOAL_DISCOVERY:g}x) {'OK' if discovery / find_s <= GOAL_DISCOVERY else 'MISSED'}"
    )
    print(
        f"rescan, nothing new (best of 6): {rescan * 1000:8.1f} ms = {rescan / find_s:5.2f}x find "
        f"(goal <= {GOAL_RESCAN:g}x) {'OK' if rescan / find_s <= GOAL_RESCAN else 'MISSED'}"
    )
    print(
        f"discovery peak RSS:              {peak_mb:8.1f} MB (interpreter and imports before the scan: "
        f"{base_mb:.1f} MB) (goal <= {GOAL_RSS_MB:g} MB) {'OK' if peak_mb <= GOAL_RSS_MB else 'MISSED'}"
    )
    print(f"files recorded: {runs[0]['new']}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--folders", type=int, default=None, help="default: files / 100")
    parser.add_argument(
        "--dir", type=Path, default=None, help="where to build the tree (default: a temp dir)"
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data", default="data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data, rescans=3)
        return 0
    folders = args.folders or max(1, args.files // 100)
    root = Path(tempfile.mkdtemp(prefix="bench-scan-", dir=args.dir))
    try:
        (root / "library").mkdir()
        started = time.perf_counter()
        build_tree(root / "src", args.files, folders)
        print(
            f"built {args.files} files in {folders} folders under {root} in {time.perf_counter() - started:.1f} s"
        )
        report(time_find(root / "src"), [_child_run(root, f"data{attempt}") for attempt in range(2)])
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
