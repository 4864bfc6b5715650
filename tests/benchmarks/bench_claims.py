"""Claims per second on one database: 1 process, then 4 processes at once.

    .venv/bin/python -m tests.benchmarks.bench_claims [--files 5000]

Each claim is followed by `finish(COMPLETED)`, as a worker does. Goal: >= 1,000 claims/s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL = 1000.0

WORKER = """
import json, sys, time
from pathlib import Path
from clearmedia.store.db import open_database
from clearmedia.store.models import Status
from clearmedia.store import queue

data, go = Path(sys.argv[1]), Path(sys.argv[2])
open_database(data)
queue.claimer_id()
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
start, count = time.time(), 0
while (file := queue.claim()) is not None:
    queue.finish(file, Status.COMPLETED)
    count += 1
print(json.dumps({"start": start, "end": time.time(), "count": count}), flush=True)
"""


def fill(data: Path, files: int) -> None:
    """A database holding `files` PENDING rows (fake paths: the queue never looks at the disk)."""
    from clearmedia.store.db import open_database
    from clearmedia.store.models import MediaFile

    db = open_database(data)
    now = time.time()
    with db.atomic():
        for chunk in range(0, files, 500):
            MediaFile.insert_many(
                [
                    dict(device=1, inode=n, path=f"/dl/f{n}.mkv", source_root="/dl", size=1, mtime=now)
                    for n in range(chunk, min(files, chunk + 500))
                ]
            ).execute()
    db.close()


def run(data: Path, processes: int) -> tuple[float, list[int]]:
    """Claim everything with `processes` processes started together; return (claims/s, per-process counts)."""
    go = data / "go"
    go.unlink(missing_ok=True)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(data), str(go)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(processes)
    ]
    for worker in workers:
        assert worker.stdout.readline().strip() == "ready"
    go.touch()
    results = [json.loads(worker.stdout.readline()) for worker in workers]
    for worker in workers:
        worker.wait()
    total = sum(r["count"] for r in results)
    elapsed = max(r["end"] for r in results) - min(r["start"] for r in results)
    return total / elapsed, [r["count"] for r in results]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-claims-") as tmp:
        for processes in (1, 4):
            data = Path(tmp) / f"data{processes}"
            fill(data, args.files)
            rate, counts = run(data, processes)
            verdict = "OK" if rate >= GOAL else "MISSED"
            print(
                f"{processes} process{'es' if processes > 1 else '  '}: {rate:7.0f} claims/s "
                f"(claim + finish; {args.files} files; per process {counts}) goal >= {GOAL:g}/s {verdict}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
