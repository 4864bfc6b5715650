"""Season and episode numbers checked against the fake TMDB's season lists."""

from __future__ import annotations

import pytest

from clearmedia.config import load_settings
from clearmedia.identify import Identifier
from clearmedia.identify.episodes import map_absolute
from clearmedia.identify.types import ParsedName
from tests.fakes import tmdb_catalogue as cat
from tests.fakes.fake_tmdb import FakeTMDB
from tests.helpers import base_env, in_threads


def tv(title, **fields) -> ParsedName:
    return ParsedName(title=title, media_type="tv", **fields)


@pytest.fixture
def fake():
    with FakeTMDB() as server:
        yield server


@pytest.fixture
def identifier(tmp_path, fake):
    settings = load_settings(environ=base_env(tmp_path, TMDB_API_URL=fake.url), require_library=True)
    made = Identifier(settings, parser=object())
    yield made
    made.close()


def placed(identifier, parsed) -> tuple[int, int, tuple[int, ...]]:
    found = identifier.identify_parsed(parsed)
    assert found.match is not None, found.reason
    return found.match.tmdb_id, found.match.season, found.match.episodes


def counts_of(show: cat.Show) -> dict[int, int]:
    return {s.season_number: s.episode_count for s in show.seasons}


def test_map_absolute_uses_season_counts_and_skips_specials():
    one_piece = counts_of(cat.find("tv", "One Piece"))
    assert map_absolute(1087, one_piece) == (21, 132)
    assert map_absolute(1, one_piece) == (1, 1)
    assert map_absolute(61, one_piece) == (1, 61)
    assert map_absolute(62, one_piece) == (2, 1)
    oshi = counts_of(cat.find("tv", "[Oshi no Ko]"))
    assert map_absolute(15, oshi) == (2, 4)
    assert map_absolute(30, oshi) == (2, 19)  # past TMDB's list (the resolver then FAILS it)
    assert map_absolute(3, {}) == (1, 3)


def failed(identifier, parsed) -> str:
    found = identifier.identify_parsed(parsed)
    assert found.match is None, found.match
    return found.reason


def test_only_episodes_tmdb_lists_are_linked(identifier):
    assert placed(identifier, tv("Breaking Bad", season=5, episodes=(14,))) == (1396, 5, (14,))
    # TMDB lists 16 episodes in season 5, the name says 20: FAILED with the reason, never linked
    assert "16 episodes in season 5" in failed(identifier, tv("Breaking Bad", season=5, episodes=(20,)))
    # a season TMDB does not list at all
    assert "no season 3" in failed(identifier, tv("The Last of Us", season=3, episodes=(1,)))
    # an absolute number past every episode TMDB lists
    assert "is not one of them" in failed(identifier, tv("Oshi no Ko", absolute_episode=30))


def test_s01_beyond_season_one_is_an_absolute_number(identifier):
    """An LLM's (or a release's) S01E15 for a show whose season 1 has 11 episodes: S02E04."""
    assert placed(identifier, tv("Oshi no Ko", season=1, episodes=(15,))) == (203737, 2, (4,))


def test_arc_or_final_season_is_not_season_one(identifier):
    final = tv("Attack on Titan", episodes=(5,), season_hint="final")
    assert placed(identifier, final) == (1429, 4, (5,))
    arc = tv("Demon Slayer: Kimetsu no Yaiba", episodes=(3,), season_hint="arc")
    assert "arc" in failed(identifier, arc)


def test_specials_by_their_tmdb_title(identifier):
    special = tv(
        "Doctor Who", season_hint="special", episode_title="Christmas Special The Christmas Invasion"
    )
    assert placed(identifier, special) == (57243, 0, (1,))
    unknown = tv("Doctor Who", season_hint="special", episode_title="Christmas Special A Made Up Story")
    assert "no special" in failed(identifier, unknown)


def test_multi_episode_file_keeps_its_list(identifier):
    assert placed(identifier, tv("The Office US", season=2, episodes=(1, 2))) == (2316, 2, (1, 2))
    assert placed(identifier, tv("The Office US", season=2, episodes=(1, 2, 3))) == (2316, 2, (1, 2, 3))


def test_specials_are_season_zero(identifier):
    assert placed(identifier, tv("Breaking Bad", season=0, episodes=(3,))) == (1396, 0, (3,))


def test_anime_absolute_numbers(identifier):
    assert placed(identifier, tv("Oshi no Ko", absolute_episode=15)) == (203737, 2, (4,))
    assert placed(identifier, tv("One Piece", absolute_episode=1087)) == (37854, 21, (132,))
    assert placed(identifier, tv("Frieren", absolute_episode=28)) == (209867, 1, (28,))
    # "Show - 15" read as a plain episode with no season: beyond season 1, so absolute
    assert placed(identifier, tv("Oshi no Ko", episodes=(15,))) == (203737, 2, (4,))


def test_season_folder_with_absolute_number_inside(identifier):
    # Season 2/[Group] Oshi no Ko - 15.mkv: season 2 has 13 episodes, 15 counts from the start
    assert placed(identifier, tv("Oshi no Ko", season=2, absolute_episode=15)) == (203737, 2, (4,))
    assert placed(identifier, tv("Oshi no Ko", season=2, absolute_episode=3)) == (203737, 2, (3,))


def test_no_season_means_season_one(identifier):
    assert placed(identifier, tv("甄嬛传", episodes=(45,))) == (46393, 1, (45,))


def test_tv_without_any_episode_number_is_not_placed(identifier):
    found = identifier.identify_parsed(tv("Breaking Bad"))
    assert found.match is None
    assert found.reason == '"绝命毒师" is a TV show on TMDB, but the name has no episode number'


def test_daily_show_by_air_date(identifier, fake):
    parsed = tv("The Late Show with Stephen Colbert", year=2023, air_date="2023-10-03")
    assert placed(identifier, parsed) == (63770, 9, (2,))
    assert fake.count("/season/") == 1  # the season that started that year is looked at first
    # early 2023 belongs to the season that started in 2022
    season_8 = cat.find("tv", "The Late Show with Stephen Colbert").season(8)
    episode = cat.episode_dates(season_8).index("2023-02-15") + 1
    assert placed(identifier, tv("The Late Show with Stephen Colbert", air_date="2023-02-15")) == (
        63770,
        8,
        (episode,),
    )


def test_daily_show_with_unknown_date_fails_clearly(identifier):
    # a Saturday: no episode
    assert "aired on 2023-10-07" in failed(
        identifier, tv("The Late Show with Stephen Colbert", air_date="2023-10-07")
    )


def test_season_pack_costs_one_show_and_at_most_one_season_request(identifier, fake):
    """12 files of one season pack, identified by 8 threads at once."""
    pack = [tv("Breaking Bad", season=3, episodes=(n,)) for n in range(1, 13)]
    results: dict[int, tuple] = {}

    def work(parsed):
        results[parsed.episodes[0]] = placed(identifier, parsed)

    in_threads(work, pack)
    assert results == {n: (1396, 3, (n,)) for n in range(1, 13)}
    paths = fake.paths()
    assert paths.count("/tv/1396") == 1
    assert sum("/season/" in p for p in paths) <= 1
    assert sum(p.startswith("/search/") for p in paths) == 1


def test_a_special_is_found_by_its_air_date(identifier, fake):
    """Season 0 is looked at too, however many seasons started nearer that year; first when the
    name calls itself a special (a regular episode may air the same day)."""
    special = tv("The Daily Show", air_date="2024-11-05", season_hint="special")
    assert placed(identifier, special) == (2224, 0, (3,))
    assert [p for p in fake.paths() if "/season/" in p] == ["/tv/2224/season/0"]
    assert placed(identifier, tv("The Daily Show", air_date="2024-11-05")) == (2224, 0, (3,))
    assert placed(identifier, tv("The Daily Show", air_date="2020-11-03")) == (2224, 0, (2,))
    regular = cat.episode_dates(cat.by_id("tv", 2224).season(29)).index("2024-03-12") + 1
    assert placed(identifier, tv("The Daily Show", air_date="2024-03-12")) == (2224, 29, (regular,))


def test_a_bare_number_is_the_season_and_episode_or_the_running_count_whichever_tmdb_lists(identifier):
    """`One.Piece.1071` (S10E71 or the 1071st episode) and `Show.106` (S01E06 or the 106th)."""
    one_piece = tv("One Piece", season=10, episodes=(71,), absolute_episode=1071)
    assert placed(identifier, one_piece) == (
        37854,
        21,
        (116,),  # map_absolute(1071) through the fake season counts
    )
    assert placed(identifier, tv("Breaking Bad", season=1, episodes=(6,), absolute_episode=106)) == (
        1396,
        1,
        (6,),
    )
    both = tv("One Piece", season=1, episodes=(5,), absolute_episode=105)  # S01E05 and the 105th: a guess
    assert "TMDB lists both" in failed(identifier, both)
