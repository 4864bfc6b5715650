"""LLM and TMDB requests per file: first run and rerun (new Identifier, same DATA_DIR), against fakes.

    .venv/bin/python -m tests.benchmarks.bench_identify [--workers 4] [--latency 0.02] [--imperfect]

Tree: 2 season packs of 12 episodes + 20 films (each in its own folder), identified with PARSER=llm
(fake LLM) with LLM_BATCH_SIZE=1 (one request per file, as before batching) and =20, and with
PARSER=guessit. Names are read ahead a batch at a time as a worker does (`parse_many`), then
identified by WORKERS threads. Goals: rerun 0 LLM and 0 TMDB requests per file; with batches of 20
at most 0.1 LLM requests per file on season packs and 0.3 on films; at most 0.5 TMDB requests per
file on season packs. Prompt tokens per file are from the API's `usage` (our own counters).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from loguru import logger

from clearmedia.config import load_settings
from clearmedia.identify import Identifier, readable_name
from clearmedia.store import usage
from clearmedia.store.db import open_database
from tests.fakes.fake_llm import FakeLLM
from tests.fakes.fake_tmdb import FakeTMDB
from tests.helpers import base_env

GOAL_PACK_FIRST, GOAL_RERUN, GOAL_LLM_FIRST = 0.5, 0.0, 1.0
GOAL_LLM_BATCHED = {"season packs": 0.1, "films": 0.3}  # LLM requests per file, LLM_BATCH_SIZE=20

PACKS = [
    ("Breaking.Bad.S02.1080p.BluRay.x264-ROVERS", "Breaking.Bad.S02E{e:02d}.1080p.BluRay.x264-ROVERS.mkv"),
    (
        "The.Office.US.S03.720p.WEB-DL.DD5.1.H.264-CtrlHD",
        "The.Office.US.S03E{e:02d}.720p.WEB-DL.DD5.1.H.264-CtrlHD.mkv",
    ),
]
FILMS = [
    "The.Matrix.1999.1080p.BluRay.x264-AMIABLE.mkv",
    "Dune.2021.2160p.4K.WEB.x265.10bit.AAC5.1-[YTS.MX].mkv",
    "Dune.1984.REMASTERED.1080p.BluRay.x264-SPOOKS.mkv",
    "Sen.to.Chihiro.no.Kamikakushi.2001.1080p.BluRay.x265.10bit.FLAC-Kira.mkv",
    "Seven.1995.REMASTERED.1080p.BluRay.x264.DTS-HD.MA.5.1-SWTYBLZ.mkv",
    "1917.2019.1080p.BluRay.x264-SPARKS.mkv",
    "Blade.Runner.2049.2017.1080p.BluRay.DD5.1.x264-DON.mkv",
    "Blade.Runner.1982.Final.Cut.1080p.BluRay.x264-HD.mkv",
    "2001.A.Space.Odyssey.1968.1080p.BluRay.x264-AMIABLE.mkv",
    "Inception.2010.1080p.BluRay.x264-[YTS.AM].mp4",
    "It.2017.1080p.BluRay.x264-SPARKS.mkv",
    "Home Alone (1990) 1080p.mkv",
    "[4K蓝光]哪吒之魔童闹海.Ne.Zha.2.2025.2160p.WEB-DL.H265.DDP5.1.Atmos-ADWeb.mkv",
    "热辣滚烫.YOLO.2024.2160p.WEB-DL.H265.AAC-HHWEB.mp4",
    "Fargo.1996.1080p.BluRay.x264-CiNEFiLE.mkv",
    "The.Thing.1982.1080p.BluRay.x264-AMIABLE.mkv",
    "Alien.1979.Directors.Cut.1080p.BluRay.x264-HD1080.mkv",
    "Leon.The.Professional.1994.Extended.1080p.BluRay.x264-CtrlHD.mkv",
    "Heat.1995.1080p.BluRay.x264-HDMaNiAcS.mkv",
    "Top.Gun.Maverick.2022.1080p.WEBRip.x264-RARBG.mp4",
]


def tree() -> tuple[list[str], list[str]]:
    packs = [f"TV/{folder}/{pattern.format(e=e)}" for folder, pattern in PACKS for e in range(1, 13)]
    films = [f"Movies/{name.rsplit('.', 1)[0]}/{name}" for name in FILMS]
    return packs, films


def run(
    settings, tmdb: FakeTMDB, llm: FakeLLM, files: list[str], workers: int
) -> tuple[int, int, float, int]:
    """Identify `files` with a new Identifier; return TMDB requests, LLM requests, seconds, misses."""
    identifier = Identifier(settings)
    tmdb.reset()
    imperfect = llm.imperfect
    llm.reset()
    llm.delay = tmdb.delay
    started = time.monotonic()
    parse_many = getattr(identifier.parser, "parse_many", None)
    if parse_many is not None and settings.llm_batch_size > 1:  # read ahead, as runtime/readahead.py
        parse_many([readable_name(f) for f in files], settings.llm_batch_size)
    llm.imperfect = imperfect
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(identifier.identify, files))
    elapsed = time.monotonic() - started
    identifier.close()
    misses = sum(1 for r in results if r.match is None)
    return tmdb.count(), len(llm.chat_requests()), elapsed, misses


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--workers", type=int, default=4)
    args.add_argument("--latency", type=float, default=0.02, help="seconds the fakes take per answer")
    args.add_argument("--imperfect", action="store_true", help="the fake LLM answers like a real model")
    opts = args.parse_args()
    logger.remove()  # figures, not log lines
    packs, films = tree()
    print(f"tree: {len(packs)} season-pack files (2 packs), {len(films)} films; workers={opts.workers}")
    met = True
    for parser, batch in (("llm", "1"), ("llm", "20"), ("guessit", "20")):
        with (
            tempfile.TemporaryDirectory() as tmp,
            FakeTMDB(delay=opts.latency) as tmdb,
            FakeLLM(imperfect=opts.imperfect) as llm,
        ):
            env = base_env(Path(tmp), TMDB_API_URL=tmdb.url, PARSER=parser, LLM_BATCH_SIZE=batch)
            env.update(OPENAI_BASE_URL=llm.url, OPENAI_API_KEY=llm.api_key, LLM_MODEL="test-model")
            settings = load_settings(environ=env, require_library=True)
            db = open_database(settings.data_dir)
            for label, files in (("season packs", packs), ("films", films)):
                for round_name in ("first run", "rerun"):
                    spent = usage.totals()["prompt_tokens"]
                    tmdb_n, llm_n, elapsed, misses = run(settings, tmdb, llm, files, opts.workers)
                    per_tmdb, per_llm = tmdb_n / len(files), llm_n / len(files)
                    tokens = (usage.totals()["prompt_tokens"] - spent) / len(files)
                    print(
                        f"PARSER={parser:7} BATCH={batch:2} {label:12} {round_name:9}: TMDB {tmdb_n:3} = "
                        f"{per_tmdb:.2f}/file, LLM {llm_n:3} = {per_llm:.2f}/file, {tokens:5.0f} prompt "
                        f"tokens/file; {elapsed:.2f} s; unidentified {misses}"
                    )
                    if round_name == "rerun":
                        met &= tmdb_n == 0 and llm_n == 0
                    else:
                        met &= per_llm <= (GOAL_LLM_BATCHED[label] if batch == "20" else GOAL_LLM_FIRST)
                        met &= label != "season packs" or per_tmdb <= GOAL_PACK_FIRST
            db.close()
    print(
        f"goals (rerun 0 and 0; LLM/file with LLM_BATCH_SIZE=20 <= {GOAL_LLM_BATCHED['season packs']:g} on "
        f"season packs and <= {GOAL_LLM_BATCHED['films']:g} on films; season packs <= {GOAL_PACK_FIRST} "
        f"TMDB/file){' (for the plain fake, not --imperfect)' if opts.imperfect else ''}: {'met' if met else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
