"""Recognition: how many videos end where they should, how many are linked wrong, how many fail.

    .venv/bin/python -m tests.benchmarks.bench_recognition

1. The sample library (tests/fixtures/downloads-sample.jsonl) through `clearmedia scan` against the
   fake TMDB (titles by language, as TMDB serves them), with PARSER=llm and the imperfect fake LLM
   (FIDELITY.md's flaws), with the plain fake LLM, and with PARSER=guessit. Goal: zero wrong links;
   every video linked at its expected path or FAILED with a reason.
2. The unseen names (tests/fixtures/unseen-names.jsonl: scene, Chinese sites, fansubs, Korean
   dramas in English, anime by absolute number and arc, daily shows, specials, remakes, editions,
   ids in paths) through `scan` with TMDB_LANGUAGE=zh-CN in the same three modes. Goal: zero wrong
   links; a FAILED only where the name cannot decide.
3. The probe names (tests/fixtures/probe-names.jsonl: years and numbers as titles, dots and
   apostrophes, later seasons by their year, anime seasons written every way, absolute numbers,
   Chinese sites, kanji titles, Korean dramas, shows by air date, multi-episode files, season packs,
   same-titled films and shows, remakes) through `scan`, each with its TMDB_LANGUAGE. Same goal.
4. The rule parser (offline reading + verdict) beside plain guessit on the peers' names, per
   source. Goal: never behind guessit on any source.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path

from tests.benchmarks import peer_names
from tests.fakes.fake_llm import FakeLLM
from tests.fakes.fake_tmdb import FakeTMDB
from tests.helpers import base_env, run_cli
from tests.test_sample_library import (
    PROBE,
    ROWS,
    UNSEEN,
    build,
    expected_name,
    outcome,
    scan_probe,
    scan_unseen,
)


def scan_sample(mode: str) -> Counter:
    """Run the sample library through `scan`; count right, wrong, failed and other outcomes."""
    counts: Counter = Counter()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        downloads = root / "downloads"
        build(downloads)
        with FakeTMDB() as tmdb, FakeLLM(imperfect=mode == "llm-imperfect") as llm:
            env = base_env(root, TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US", PARSER=mode.split("-")[0])
            env.update(OPENAI_BASE_URL=llm.url, OPENAI_API_KEY=llm.api_key, LLM_MODEL="test-model")
            scanned = run_cli("scan", env=env, cwd=root, timeout=600)
            if scanned.returncode != 0:
                raise SystemExit(f"scan failed: {scanned.stderr[-2000:]}")
            listed = run_cli("list", "--json", env=env, cwd=root)
        rows = {Path(r["path"]).relative_to(downloads).as_posix(): r for r in json.loads(listed.stdout)}
    for truth in ROWS:
        if truth["kind"] not in ("movie", "episode"):
            continue
        row = rows.get(truth["path"]) or {}
        if row.get("status") == "COMPLETED":
            right = Path(row["target"]).stem == expected_name(truth)
            counts["linked at the expected path" if right else "WRONG link"] += 1
            if not right:
                print(f"  wrong: {truth['path']} -> {row['target']}")
        elif row.get("status") == "FAILED":
            counts["failed with a reason" if row.get("error") else "failed without a reason"] += 1
            print(f"  failed: {truth['path']}: {row.get('error')}")
        else:
            counts[f"left {row.get('status')}"] += 1
    return counts


def named_set(names: list[dict], scan, mode: str) -> Counter:
    """Run a set of names with their truth through `scan` (the unseen or the probe set's runner);
    count linked, failed (hard, or rightly undecidable) and wrong."""
    counts: Counter = Counter()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        rows = scan(root, base_env(root), mode)
        for truth in names:
            row = rows.get(truth["path"])
            library = Path(row["library"]) if row and "library" in row else root / "library"
            what = outcome(truth, row, library)
            if what == "failed" and truth["truth"] is None:
                what = "failed (cannot decide)"
            elif what == "failed" and truth.get("may_fail"):
                what = "failed (hard)"
            counts[what] += 1
            if what not in ("linked", "failed (cannot decide)"):
                got = (row or {}).get("error") or (row or {}).get("target")
                print(f"  {what}: [{truth.get('language', 'zh-CN')}] {truth['path']}: {got}")
    return counts


def by_mode(run) -> None:
    """Print one line of counts per reader mode."""
    for mode in ("llm-imperfect", "llm", "guessit"):
        counts = run(mode)
        print(f"{mode:14} " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))


def main() -> None:
    videos = sum(1 for r in ROWS if r["kind"] in ("movie", "episode"))
    print(f"Sample library: {videos} videos")
    by_mode(scan_sample)
    decidable = sum(1 for r in UNSEEN if r["truth"] is not None)
    print(f"\nUnseen names: {len(UNSEEN)} ({decidable} decidable), TMDB_LANGUAGE=zh-CN")
    by_mode(lambda mode: named_set(UNSEEN, scan_unseen, mode))
    decidable = sum(1 for r in PROBE if r["truth"] is not None)
    print(f"\nProbe names: {len(PROBE)} ({decidable} decidable), TMDB_LANGUAGE per name (zh-CN, en-US)")
    by_mode(lambda mode: named_set(PROBE, scan_probe, mode))
    cases = peer_names.load()
    total = Counter(c["source"] for c in cases)
    ours, theirs = (
        peer_names.score(peer_names.rules_reading, cases),
        peer_names.score(peer_names.guessit_reading, cases),
    )
    print(f"\nPeer names ({len(cases)}): right readings per source")
    print(f"{'source':72} {'names':>5} {'guessit':>8} {'ours':>5}")
    for source in total:
        flag = "" if ours[source] >= theirs[source] else "  BEHIND"
        print(f"{source:72} {total[source]:5} {theirs[source]:8} {ours[source]:5}{flag}")
    print(f"{'all':72} {sum(total.values()):5} {sum(theirs.values()):8} {sum(ours.values()):5}")


if __name__ == "__main__":
    main()
