"""TMDB requests per file: first run and rerun (new Identifier, same DATA_DIR), against the fake TMDB.

    .venv/bin/python -m tests.benchmarks.bench_identify [--workers 4] [--latency 0.02]

Tree: 2 season packs of 12 episodes + 20 films. Goals: rerun 0 requests per file; first run
<= 0.5 TMDB requests per file for the season-pack files. Uses the guessit parser
(`make_parser` with PARSER=guessit) when that module exists, else a tiny inline parser.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from loguru import logger

from clearmedia.config import load_settings
from clearmedia.identify import Identifier
from clearmedia.identify.types import ParsedName
from tests.fakes.fake_tmdb import FakeTMDB
from tests.helpers import base_env

GOAL_PACK_FIRST, GOAL_RERUN = 0.5, 0.0

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


class InlineParser:
    """Fallback when clearmedia.identify.parser is not there: enough for this tree's names."""

    def parse(self, relative_path: str) -> ParsedName:
        name = Path(relative_path).stem
        episode = re.search(r"^(.*?)[. ]S(\d+)E(\d+)", name)
        if episode:
            title = episode[1].replace(".", " ").removesuffix(" US")
            return ParsedName(title, media_type="tv", season=int(episode[2]), episodes=(int(episode[3]),))
        film = re.search(r"^(.*?)[. (]+((?:19|20)\d\d)\b(?!.*\b(?:19|20)\d\d\b)", name)
        title, year = (film[1], int(film[2])) if film else (name, None)
        return ParsedName(re.sub(r"[._]", " ", title).strip(), year=year, media_type="movie")


def tree() -> tuple[list[str], list[str]]:
    packs = [f"TV/{folder}/{pattern.format(e=e)}" for folder, pattern in PACKS for e in range(1, 13)]
    films = [f"Movies/{name}" for name in FILMS]
    return packs, films


def make_identifier(settings) -> tuple[Identifier, str]:
    try:
        from clearmedia.identify.parser import make_parser

        parser = make_parser(settings)
        return Identifier(settings, parser=parser), getattr(parser, "name", settings.effective_parser)
    except ImportError:
        return Identifier(settings, parser=InlineParser()), "inline"


def run(settings, fake: FakeTMDB, files: list[str], workers: int) -> tuple[dict[str, int], float, int, str]:
    """Identify `files` with a new Identifier; return requests per path kind, seconds, misses, parser."""
    identifier, parser_name = make_identifier(settings)
    fake.reset()
    started = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(identifier.identify, files))
    elapsed = time.monotonic() - started
    identifier.close()
    misses = sum(1 for r in results if r.match is None)
    kinds = {"search": fake.count("/search/"), "season": fake.count("/season/")}
    kinds["details"] = fake.count() - kinds["search"] - kinds["season"]
    kinds["total"] = fake.count()
    return kinds, elapsed, misses, parser_name


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--workers", type=int, default=4)
    args.add_argument("--latency", type=float, default=0.02, help="seconds the fake TMDB takes per answer")
    args.add_argument("--parser", default="guessit", help="PARSER setting (guessit; llm needs OPENAI_* set)")
    opts = args.parse_args()
    logger.remove()  # figures, not log lines
    packs, films = tree()
    print(f"tree: {len(packs)} season-pack files (2 packs), {len(films)} films; workers={opts.workers}")
    with tempfile.TemporaryDirectory() as tmp, FakeTMDB(delay=opts.latency) as fake:
        settings = load_settings(
            environ=base_env(Path(tmp), TMDB_API_URL=fake.url, PARSER=opts.parser), require_library=True
        )
        figures = {}
        for label, files in (("season packs", packs), ("films", films)):
            for round_name in ("first run", "rerun"):
                kinds, elapsed, misses, parser_name = run(settings, fake, files, opts.workers)
                figures[(label, round_name)] = kinds["total"] / len(files)
                print(
                    f"{label:13} {round_name:9}: {kinds['total']:3} TMDB requests = "
                    f"{kinds['total'] / len(files):.2f}/file (search {kinds['search']}, details {kinds['details']}, "
                    f"season {kinds['season']}); {elapsed:.2f} s; unidentified {misses}; parser {parser_name}"
                )
    ok_first = figures[("season packs", "first run")] <= GOAL_PACK_FIRST
    ok_rerun = all(figures[(label, "rerun")] <= GOAL_RERUN for label in ("season packs", "films"))
    print(f"goal season packs first run <= {GOAL_PACK_FIRST}/file: {'met' if ok_first else 'MISSED'}")
    print(f"goal rerun = 0/file: {'met' if ok_rerun else 'MISSED'}")


if __name__ == "__main__":
    main()
