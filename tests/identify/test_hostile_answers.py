"""Hostile LLM answers stay data: absurd numbers, negative and huge years, titles with path
separators or 10 KB of text, JSON with the wrong types. Through `clearmedia scan` every such file
is linked right (the rules' reading decides) or FAILED with a reason; nothing crashes and nothing
is written outside TARGET_DIR."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes.fake_llm import FakeLLM
from tests.fakes.fake_llm_batch import asked_paths
from tests.fakes.fake_tmdb import FakeTMDB
from tests.helpers import make_video, run_cli

#: name -> (what the LLM answers, (tmdb id, season, episodes) it must be linked as, or None: FAILED)
HOSTILE = {
    "Movies/The.Matrix.1999.1080p.BluRay.mkv": (
        {"title": "../../../../etc/passwd", "year": 1999, "type": "movie"},
        (603, None, []),
    ),
    "Movies/Heat.1995.1080p.BluRay.mkv": ({"title": "Heat", "year": -5, "type": "movie"}, (949, None, [])),
    "Movies/Inception.2010.1080p.BluRay.mkv": (
        {"title": "Inception " + "x" * 10240, "year": 2010, "type": "movie"},
        (27205, None, []),
    ),
    "Movies/Alien.1979.1080p.BluRay.mkv": (
        {"title": ["Alien"], "year": "nineteen seventy-nine", "type": 5, "episodes": {"a": 1}},
        (348, None, []),
    ),
    "Movies/Top.Gun.Maverick.2022.1080p.mkv": (
        {"title": "Top Gun Maverick", "year": 99999, "type": "movie", "title_en": "/" * 300},
        (361743, None, []),
    ),
    "TV/Breaking.Bad.S05E14.720p.mkv": (
        {"title": "Breaking Bad", "type": "tv", "season": 5, "episodes": [99999999]},
        (1396, 5, [14]),
    ),
    "TV/Fargo.S05E03.720p.mkv": (
        {"title": "Fargo", "type": "tv", "season": 500, "episodes": [3], "absolute_episode": -7},
        (60622, 5, [3]),
    ),
    "TV/The.Bear.S03E04.720p.mkv": (
        {
            "title": "The Bear/../../..",
            "type": "tv",
            "season": 3,
            "episodes": [4],
            "title_zh": "..\\..\\熊家餐馆",
            "titles": {"x": "../../../tmp/evil"},
        },
        (136315, 3, [4]),
    ),
    "TV/Westworld.S02E04.720p.mkv": (
        '{"title": "Westworld", "type": "tv", "season": 2, "episodes": [4], "year": 2018',  # cut short
        (63247, 2, [4]),
    ),
    "Downloads/1080p.x264.mkv": ('{"title": null, "type": "movie"}', None),
}


@pytest.mark.slow
@pytest.mark.parametrize("batch_size", ["20", "1"])
def test_hostile_llm_answers_are_data(tmp_path, env, batch_size):
    downloads, library = tmp_path / "downloads", tmp_path / "library"
    for name in HOSTILE:
        make_video(downloads / name)
    before = {p for p in tmp_path.rglob("*") if not p.is_relative_to(tmp_path / "data")}
    with FakeTMDB() as tmdb, FakeLLM() as llm:
        for name, (answer, _) in HOSTILE.items():
            llm.answers[Path(name).name] = answer
        env.update(TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US", PARSER="llm", LLM_BATCH_SIZE=batch_size)
        env.update(OPENAI_BASE_URL=llm.url, OPENAI_API_KEY=llm.api_key, LLM_MODEL="test-model")
        scanned = run_cli("scan", env=env, cwd=tmp_path, timeout=300)
        listed = run_cli("list", "--json", env=env, cwd=tmp_path)
        asked = asked_paths(llm)
    assert all(any(Path(name).name in path for path in asked) for name in HOSTILE), asked
    assert scanned.returncode == 0, scanned.stderr[-3000:]
    assert "Traceback" not in scanned.stderr
    rows = {Path(r["path"]).relative_to(downloads).as_posix(): r for r in json.loads(listed.stdout)}
    for name, (_, expected) in HOSTILE.items():
        row = rows[name]
        if expected is None:
            assert row["status"] == "FAILED" and row["error"], row
            continue
        assert row["status"] == "COMPLETED", row
        assert (row["tmdb_id"], row["season"], row["episodes"]) == expected, row
        assert Path(row["target"]).resolve().is_relative_to(library.resolve()), row["target"]
    made = {p for p in tmp_path.rglob("*") if not p.is_relative_to(tmp_path / "data")} - before
    assert all(p.is_relative_to(library) for p in made), sorted(made)
