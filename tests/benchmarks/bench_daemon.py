"""Benchmark of `clearmedia run` as a real process (fake TMDB and LLM on 127.0.0.1).

    .venv/bin/python -m tests.benchmarks.bench_daemon [latency] [throughput] [unbatched] [idle]

1. latency: from a file's last write to its library link, SETTLE_SECONDS=1, instant fakes, 50 files
   (goal: median <= SETTLE_SECONDS + 1 s);
2. throughput: 1,000 files renamed in at once, FakeLLM answering in 200 ms, WORKERS=4,
   LLM_BATCH_SIZE=20 (goal: >= 60 files/s, no more daemon CPU per file than one request per file,
   ~13-26 ms), with the CPU seconds the daemon used; `unbatched`: the same with LLM_BATCH_SIZE=1
   (one LLM request per file, as before batching: ~16-18 files/s);
3. idle: the CPU an idle daemon uses over 20 s (goal: < 1 % of a core).
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tests.fakes.fake_llm import FakeLLM
from tests.fakes.fake_tmdb import FakeTMDB
from tests.helpers import MB, base_env, llm_env, make_video, wait_for

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
#: One Piece has 1,155 episodes in the fake catalogue: enough distinct names for every file.
ONE_PIECE_SEASONS = (61, 16, 14, 39, 13, 52, 33, 35, 73, 45, 26, 14, 101, 58, 62, 49, 118, 33, 98, 15, 200)


def episode_names(count: int) -> list[str]:
    names = []
    for season, episodes in enumerate(ONE_PIECE_SEASONS, start=1):
        for episode in range(1, episodes + 1):
            names.append(f"One.Piece.S{season:02}E{episode:03}.1080p.WEB-DL.x264.mkv")
    return names[:count]


EPISODE_NAME = re.compile(r"One\.Piece\.S(\d+)E(\d+)")


def quick_answer(relative_path: str, _body: dict) -> dict:
    """The LLM answer for our One Piece names without running guessit in the fake (its CPU, under
    the benchmark process's GIL, would make the fake, not the daemon, the bottleneck)."""
    season, episode = EPISODE_NAME.search(relative_path).groups()
    return {
        "title": "One Piece",
        "year": None,
        "type": "tv",
        "season": int(season),
        "episodes": [int(episode)],
    }


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat", "rb") as stat:
        fields = stat.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def completed(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "clearmedia.db", timeout=30) as db:
        return db.execute("SELECT COUNT(*) FROM media_file WHERE status = 'COMPLETED'").fetchone()[0]


def counts(data_dir: Path) -> dict[str, int]:
    with sqlite3.connect(data_dir / "clearmedia.db", timeout=30) as db:
        return dict(db.execute("SELECT status, COUNT(*) FROM media_file GROUP BY status").fetchall())


class Daemon:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log_path = log
        self._log = open(log, "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "clearmedia", "run"], env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        wait_for(lambda: "running:" in log.read_text(errors="replace"), timeout=30, what="the daemon")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        finally:
            self._log.close()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def bench_latency(root: Path, tmdb: FakeTMDB, llm: FakeLLM, files: int = 50) -> dict:
    """Files written one after another (3 writes 100 ms apart); time from last write to link."""
    settle = 1.0
    env = base_env(
        root,
        TMDB_API_URL=tmdb.url,
        **llm_env(llm),
        SETTLE_SECONDS=str(settle),
        SCAN_INTERVAL="3600",
        LOG_LEVEL="INFO",
    )
    daemon = Daemon(env, root / "latency.log")
    latencies: list[float] = []
    pending: dict[Path, float] = {}
    lock = threading.Lock()
    done = threading.Event()

    def watch_links() -> None:  # a source's link count becomes 2 when the library link exists
        while not done.is_set():
            with lock:
                for path, last_write in list(pending.items()):
                    if os.stat(path).st_nlink > 1:
                        latencies.append(time.monotonic() - last_write)
                        del pending[path]
            time.sleep(0.01)

    watcher = threading.Thread(target=watch_links, daemon=True)
    watcher.start()
    try:
        for name in episode_names(files):
            path = root / "downloads" / name
            with open(path, "wb") as handle:
                for chunk in range(3):
                    handle.seek((chunk + 1) * 4 * MB - 1)
                    handle.write(b"x")
                    handle.flush()
                    last = time.monotonic()
                    time.sleep(0.1)
            with lock:
                pending[path] = last
            time.sleep(0.1)
        wait_for(lambda: not pending, timeout=60, what="every link")
    finally:
        done.set()
        idle = bench_idle(daemon)
        daemon.stop()
    return {
        "files": len(latencies),
        "settle": settle,
        "median": statistics.median(latencies),
        "p95": percentile(latencies, 0.95),
        "max": max(latencies),
        **idle,
    }


def bench_idle(daemon: Daemon, seconds: float = 20.0) -> dict:
    time.sleep(3)  # let the last files finish and the loop go quiet
    before = cpu_seconds(daemon.proc.pid)
    time.sleep(seconds)
    used = cpu_seconds(daemon.proc.pid) - before
    return {"idle_seconds": seconds, "idle_cpu_s": used, "idle_percent": 100 * used / seconds}


def bench_throughput(root: Path, tmdb: FakeTMDB, llm: FakeLLM, files: int = 1000, batch: str = "20") -> dict:
    llm.delay = 0.2
    llm.answers["One.Piece."] = quick_answer
    env = base_env(
        root,
        TMDB_API_URL=tmdb.url,
        **llm_env(llm),
        SETTLE_SECONDS="1",
        SCAN_INTERVAL="3600",
        WORKERS="4",
        LLM_BATCH_SIZE=batch,
        LOG_LEVEL="INFO",
    )
    staging = root / "staging"
    names = episode_names(files)
    for name in names:
        make_video(staging / name, size_mb=20)
    daemon = Daemon(env, root / "throughput.log")
    try:
        cpu_before = cpu_seconds(daemon.proc.pid)
        started = time.monotonic()
        for name in names:
            os.rename(staging / name, root / "downloads" / name)
        moved = time.monotonic() - started
        first_link = wait_for(
            lambda: completed(root / "data") > 0 and time.monotonic(), timeout=60, what="a link"
        )
        wait_for(lambda: completed(root / "data") >= files, timeout=240, interval=0.1, what="every file")
        elapsed = time.monotonic() - started
        cpu = cpu_seconds(daemon.proc.pid) - cpu_before
        final = counts(root / "data")
    finally:
        daemon.stop()
    return {
        "files": files,
        "rename_s": moved,
        "first_link_s": first_link - started,
        "elapsed_s": elapsed,
        "files_per_s": files / elapsed,
        "steady_files_per_s": files / (elapsed - (first_link - started)),
        "cpu_s": cpu,
        "cpu_ms_per_file": 1000 * cpu / files,
        "llm_requests": len(llm.chat_requests()),
        "counts": final,
    }


def main(argv: list[str]) -> int:
    wanted = set(argv) or {"latency", "throughput"}
    with FakeTMDB() as tmdb, FakeLLM() as llm:
        if "latency" in wanted or "idle" in wanted:
            with tempfile.TemporaryDirectory(prefix="cm-bench-") as tmp:
                result = bench_latency(Path(tmp), tmdb, llm)
            print(
                f"latency (SETTLE_SECONDS={result['settle']:g}, {result['files']} files, last write -> link): "
                f"median {result['median']:.2f} s, p95 {result['p95']:.2f} s, max {result['max']:.2f} s "
                f"(goal: median <= {result['settle'] + 1:g} s)"
            )
            print(
                f"idle: {result['idle_cpu_s']:.3f} CPU s in {result['idle_seconds']:g} s = "
                f"{result['idle_percent']:.2f} % of a core (goal < 1 %)"
            )
        for mode, batch, goal in (("throughput", "20", 60), ("unbatched", "1", 15)):
            if mode not in wanted:
                continue
            llm.reset()
            with tempfile.TemporaryDirectory(prefix="cm-bench-") as tmp:
                result = bench_throughput(Path(tmp), tmdb, llm, batch=batch)
            print(
                f"throughput ({result['files']} files renamed in over {result['rename_s']:.2f} s, "
                f"LLM 200 ms, WORKERS=4, LLM_BATCH_SIZE={batch}): {result['files_per_s']:.1f} files/s overall "
                f"({result['elapsed_s']:.1f} s; first link after {result['first_link_s']:.1f} s; "
                f"{result['steady_files_per_s']:.1f} files/s after it) (goal >= {goal})"
            )
            print(
                f"  daemon CPU: {result['cpu_s']:.1f} s ({result['cpu_ms_per_file']:.1f} ms per file); "
                f"LLM requests: {result['llm_requests']}; final: {result['counts']}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
