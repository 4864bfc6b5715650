"""Run every benchmark in turn and print their figures: `python -m tests.benchmarks [NAME ...]`.

Each benchmark runs as its own process (`python -m tests.benchmarks.bench_NAME`, as it runs alone),
so one's threads, servers and temporary folders never touch the next one's figures. With names
(`scan`, `claims` …) only those run. Exit status: 1 when a benchmark failed to run, else 0.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

#: In the order they run: the quick ones first.
BENCHMARKS = ("claims", "identify", "add", "recognition", "daemon", "scan")


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    root = Path(__file__).resolve().parents[2]
    failed = []
    for name in names:
        print(f"\n=== bench_{name} ===", flush=True)
        started = time.monotonic()
        command = [sys.executable, "-m", f"tests.benchmarks.bench_{name}"]
        done = subprocess.run(command, cwd=root, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        print(f"=== bench_{name}: {time.monotonic() - started:.0f} s, exit {done.returncode} ===", flush=True)
        if done.returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed to run: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
