"""Realistic names no other test has seen (Korean dramas and films, anime by arc, by final season
and by absolute number, a daily show, a special, editions, same-title works), read by the rules and
by an imperfect LLM (the unkind fakes): each is linked where TMDB lists it, or FAILED with a reason.
Never a wrong link."""

from __future__ import annotations

import pytest

from clearmedia.config import load_settings
from clearmedia.identify import Identifier
from clearmedia.identify.llm import LLMParser
from clearmedia.identify.rules import RulesParser
from tests.fakes.fake_llm import FakeLLM
from tests.fakes.fake_tmdb import FakeTMDB
from tests.helpers import base_env

FAILED = None
#: (relative path, (media type, tmdb id, season, episodes) or FAILED and a word of the reason)
UNSEEN = [
    ("电影/寄生虫.Parasite.2019.1080p.BluRay.x264-WiKi.mkv", ("movie", 496243, None, ())),
    ("Movies/Decision.to.Leave.2022.1080p.BluRay.x264-WiKi.mkv", ("movie", 705996, None, ())),
    ("Movies/Your.Name.2016.1080p.BluRay.x264.mkv", ("movie", 372058, None, ())),
    ("Movies/Avatar.2009.IMAX.2160p.UHD.BluRay.x265.mkv", ("movie", 19995, None, ())),
    ("Movies/Tangled.2010.Extended.Edition.1080p.BluRay.mkv", ("movie", 38757, None, ())),
    ("Movies/The.Thing.1080p.BluRay.x264.mkv", (FAILED, "two TMDB works")),
    ("Movies/Some Film [tmdbid-603]/film.mkv", ("movie", 603, None, ())),
    ("TV/Sweet.Home.2023.S02E03.1080p.NF.WEB-DL.DDP5.1.x264.mkv", ("tv", 96648, 2, (3,))),
    ("韩剧/Moving.E15.1080p.DSNP.WEB-DL.mkv", ("tv", 213026, 1, (15,))),
    (
        "[Erai-raws] Shingeki no Kyojin - The Final Season - 05 [1080p][Multiple Subtitle].mkv",
        ("tv", 1429, 4, (5,)),
    ),
    ("[SubsPlease] Kimetsu no Yaiba - Katanakaji no Sato-hen - 03 (1080p) [A1B2C3D4].mkv", (FAILED, "arc")),
    ("[SubsPlease] Oshi no Ko - 30 (1080p) [0C8E2F41].mkv", (FAILED, "not one of them")),
    ("【高清剧集网】鬼灭之刃 第三季 第03集 1080p.mp4", ("tv", 85937, 3, (3,))),
    ("TV/Late.Night.with.Seth.Meyers.2024.01.09.Guest.Name.720p.WEB.h264-EDITH.mkv", ("tv", 61818, 11, (2,))),
    (
        "TV/Doctor.Who.2005.Christmas.Special.The.Christmas.Invasion.720p.HDTV.x264.mkv",
        ("tv", 57243, 0, (1,)),
    ),
    ("TV/Harbor.Lights.S01E09.720p.WEB.mkv", (FAILED, "6 episodes")),
]


@pytest.fixture(scope="module")
def servers():
    with FakeTMDB() as tmdb, FakeLLM(imperfect=True) as llm:
        yield tmdb, llm


@pytest.fixture(params=["llm-imperfect", "guessit"])
def identifier(request, tmp_path, servers):
    tmdb, llm = servers
    settings = load_settings(environ=base_env(tmp_path, TMDB_API_URL=tmdb.url), require_library=True)
    if request.param == "guessit":
        parser = RulesParser()
    else:
        parser = LLMParser(
            api_key=llm.api_key, model="test-model", base_url=llm.url, backoff_base=0.0, use_cache=False
        )
    made = Identifier(settings, parser=parser)
    yield made
    made.close()


@pytest.mark.parametrize(("path", "expected"), UNSEEN, ids=[p for p, _ in UNSEEN])
def test_unseen_names_are_linked_right_or_failed_with_a_reason(identifier, path, expected):
    found = identifier.identify(path)
    if expected[0] is FAILED:
        assert found.match is None, f"linked to {found.match}"
        assert expected[1] in (found.reason or ""), found.reason
        return
    assert found.match is not None, (found.reason, found.notes, found.readings)
    match = found.match
    assert (match.media_type, match.tmdb_id, match.season, match.episodes) == expected


def test_an_id_in_the_path_needs_no_llm_request(tmp_path, servers):
    tmdb, llm = servers
    llm.reset()
    settings = load_settings(environ=base_env(tmp_path, TMDB_API_URL=tmdb.url), require_library=True)
    parser = LLMParser(api_key=llm.api_key, model="test-model", base_url=llm.url, use_cache=False)
    identifier = Identifier(settings, parser=parser)
    try:
        found = identifier.identify("TV/Breaking Bad {tmdbid=1396}/Season 5/Breaking.Bad.S05E14.mkv")
    finally:
        identifier.close()
    assert (found.match.tmdb_id, found.match.season, found.match.episodes) == (1396, 5, (14,))
    assert found.source == "path" and llm.chat_requests() == []


def test_identification_shows_both_readings_and_the_verdict(identifier):
    found = identifier.identify("Movies/Heat.1995.1080p.BluRay.x264.mkv")
    shown = found.to_dict()
    assert set(shown) >= {"parse", "match", "candidates", "readings", "verdict", "reason"}
    assert shown["readings"]["rules"]["title"] == "Heat"
    assert shown["verdict"]["source"] in ("llm", "guessit")
