"""A later season written as a Roman numeral on an anime's title ("Overlord II - 05"): TMDB lists one
show "Overlord" with seasons 1-4, so the numeral is the season, and only an episode TMDB lists links."""

from __future__ import annotations

import pytest

from clearmedia.config import load_settings
from clearmedia.errors import IdentifyError
from clearmedia.identify import Identifier
from clearmedia.identify.episodes import EpisodeResolver
from clearmedia.identify.numbered_season import season_reading, split_numeral
from clearmedia.identify.rules import RulesParser
from clearmedia.identify.types import ParsedName
from tests.fakes import tmdb_catalogue as cat
from tests.helpers import base_env

OVERLORD = cat.find("tv", "Overlord").id


@pytest.fixture
def make_identifier(tmp_path, module_tmdb):
    made: list[Identifier] = []

    def make(language: str = "en-US") -> Identifier:
        env = base_env(tmp_path, TMDB_API_URL=module_tmdb.url, TMDB_LANGUAGE=language)
        identifier = Identifier(load_settings(environ=env, require_library=True), parser=RulesParser())
        made.append(identifier)
        return identifier

    yield make
    for identifier in made:
        identifier.close()


@pytest.mark.parametrize(
    ("title", "split"),
    [
        ("Overlord II", ("Overlord", 2)),
        ("OVERLORD Ⅳ", ("OVERLORD", 4)),
        ("Mob Psycho 100 III", ("Mob Psycho 100", 3)),
        ("The Godfather Part II", None),  # a part, not a season
        ("Vol. III", None),
        ("V", None),  # the numeral is the whole title
        ("Overlord ii", None),  # lower case: words, not numerals
        ("Overlord", None),
        ("Overlord XIV", None),  # beyond X
        ("Mob Psycho 100 2", ("Mob Psycho 100", 2)),
        ("Zom 100", None),  # a number in the title
        ("Blade Runner 2049", None),
        ("Dune Part 2", None),
    ],
)
def test_a_trailing_numeral_is_split_off(title, split):
    assert split_numeral(title) == split


def test_only_an_unstated_season_with_an_episode_is_read_from_the_numeral():
    absolute = ParsedName("Overlord II", media_type="tv", absolute_episode=5)
    reading = season_reading(absolute, season_stated=False)
    assert (reading.title, reading.season, reading.episodes, reading.absolute_episode) == (
        "Overlord",
        2,
        (5,),
        None,
    )
    assert season_reading(absolute, season_stated=True) is None  # "Overlord.II.S01E05": S01 is written
    assert season_reading(ParsedName("Rocky II", year=1979, media_type="movie"), False) is None
    assert season_reading(ParsedName("Rocky II", year=1979), False) is None  # no episode number
    dated = ParsedName("Overlord II", media_type="tv", air_date="2018-01-09")
    assert season_reading(dated, False) is None


@pytest.mark.parametrize("language", ["en-US", "zh-CN"])
@pytest.mark.parametrize(
    ("path", "season", "episode"),
    [
        ("[DHR] Overlord II - 05 [1080p].mkv", 2, 5),
        ("[DHR] Overlord II - 05 [BIG5][1080p].mp4", 2, 5),
        ("[Sub] OVERLORD Ⅳ - 13 [1080p].mkv", 4, 13),
        ("Overlord III/[Sub] Overlord III - 01 [1080p].mkv", 3, 1),
    ],
)
def test_a_numeral_after_the_title_is_the_season_tmdb_lists(make_identifier, language, path, season, episode):
    found = make_identifier(language).identify(path)
    assert found.match is not None, found.reason
    assert (found.match.tmdb_id, found.match.season, found.match.episodes) == (OVERLORD, season, (episode,))
    assert any("season" in note for note in found.notes)


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("[DHR] Overlord V - 05 [1080p].mkv", "no season 5"),  # TMDB lists seasons 1-4
        ("[DHR] Overlord II - 15 [1080p].mkv", "13 episodes in season 2"),
        ("Overlord.II.S01E05.1080p.mkv", "no confident TMDB match"),  # the season written wins
    ],
)
def test_an_episode_tmdb_does_not_list_is_never_linked(make_identifier, path, reason):
    found = make_identifier().identify(path)
    assert found.match is None, found.match
    assert reason in found.reason


def test_a_films_numeral_stays_its_title(make_identifier):
    identifier = make_identifier()
    film = identifier.identify("The.Wandering.Earth.II.2023.1080p.BluRay.mkv").match
    assert (film.media_type, film.tmdb_id) == ("movie", cat.find("movie", "The Wandering Earth II").id)
    episode = identifier.identify("[Sub] The Wandering Earth II - 05 [1080p].mkv")
    assert episode.match is None  # no show of that name on TMDB: nothing is guessed


@pytest.mark.parametrize(
    ("path", "title", "season", "episode"),
    [
        ("[SubsPlease] Kaguya-sama wa Kokurasetai S3 - 04 (1080p).mkv", "Kaguya-sama: Love Is War", 3, 4),
        ("[Nekomoe kissaten] Kaguya-sama wa Kokurasetai 2nd Season - 07 [BDRip 1080p].mkv",
         "Kaguya-sama: Love Is War", 2, 7),
    ],
)  # fmt: skip
def test_a_season_written_after_the_title_still_links(make_identifier, path, title, season, episode):
    found = make_identifier().identify(path)
    assert found.match is not None, found.reason
    assert (found.match.tmdb_id, found.match.season, found.match.episodes) == (
        cat.find("tv", title).id,
        season,
        (episode,),
    )


@pytest.mark.parametrize(
    ("path", "season", "episode"),
    [
        ("[Erai-raws] Attack on Titan Season 3 Part 2 - 05 [1080p].mkv", 3, 17),  # within the part
        ("[Erai-raws] Attack on Titan Season 3 Part 2 - 17 [1080p].mkv", 3, 17),  # within the season
        ("[Erai-raws] Shingeki no Kyojin - The Final Season Part 2 - 05 [1080p].mkv", 4, 21),
        ("[Erai-raws] Shingeki no Kyojin - The Final Season - 05 [1080p].mkv", 4, 5),  # no part: as before
    ],
)
def test_a_later_part_of_a_split_season_counts_from_where_tmdb_shows_it_aired(
    make_identifier, path, season, episode
):
    found = make_identifier().identify(path)
    assert found.match is not None, found.reason
    assert (found.match.tmdb_id, found.match.season, found.match.episodes) == (
        cat.find("tv", "Attack on Titan").id,
        season,
        (episode,),
    )


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("[Erai-raws] Attack on Titan Season 3 Part 2 - 11 [1080p].mkv", "part 2 lists 10"),
        ("[Erai-raws] Attack on Titan Season 3 Part 3 - 02 [1080p].mkv", "aired in 2 run(s)"),
        ("[Erai-raws] Attack on Titan Season 2 Part 2 - 05 [1080p].mkv", "aired in 1 run(s)"),
        ("[Erai-raws] Attack on Titan Season 3 Part 2 - 40 [1080p].mkv", "is none on TMDB"),
        ("[Erai-raws] Attack on Titan Season 9 Part 2 - 05 [1080p].mkv", "no season 9"),
    ],
)
def test_a_part_tmdb_cannot_place_for_certain_is_never_linked(make_identifier, path, reason):
    found = make_identifier().identify(path)
    assert found.match is None, found.match
    assert reason in found.reason


class _SplitSeason:
    """A show whose one season aired 3 episodes, then (months later) 10 more."""

    def tv(self, tmdb_id):
        return {"name": "Split", "seasons": [{"season_number": 1, "episode_count": 13}]}

    def season(self, tmdb_id, number):
        dates = {1: "2020-01-06", 2: "2020-01-13", 3: "2020-01-20"}
        dates |= {n: f"2020-06-{n:02d}" for n in range(4, 14)}  # a break of four months
        return {"episodes": [{"episode_number": n, "air_date": d} for n, d in dates.items()]}


def test_a_part_number_that_fits_both_ways_is_no_guess():
    """Part 2 (episodes 4-13) - 05: the 5th of the part (S01E08) or the season's 5th (S01E05)."""
    resolver = EpisodeResolver(_SplitSeason())
    with pytest.raises(IdentifyError, match="S01E05 or S01E08"):
        resolver.resolve(1, ParsedName("Split", media_type="tv", season=1, episodes=(5,), part=2))
    assert resolver.resolve(1, ParsedName("Split", media_type="tv", season=1, episodes=(2,), part=2)) == (
        1,
        (5,),
    )


@pytest.mark.parametrize("language", ["en-US", "zh-CN"])
@pytest.mark.parametrize(
    ("path", "season", "episode"),
    [
        ("[Sub] Mob Psycho 100 II - 03 [1080p].mkv", 2, 3),
        ("Mob Psycho 100 II - 03.mkv", 2, 3),
        ("[Sub] Mob Psycho 100 III - 12 [1080p].mkv", 3, 12),
        ("[Sub] Mob Psycho 100 2 - 03 [1080p].mkv", 2, 3),
        ("[Sub] Mob Psycho 100 - 07 [1080p].mkv", 1, 7),
        ("[HorribleSubs] Mob Psycho 100 S2 - 07 [1080p].mkv", 2, 7),
    ],
)
def test_a_number_in_the_title_stays_in_the_title(make_identifier, language, path, season, episode):
    found = make_identifier(language).identify(path)
    assert found.match is not None, found.reason
    assert (found.match.tmdb_id, found.match.season, found.match.episodes) == (
        cat.find("tv", "Mob Psycho 100").id,
        season,
        (episode,),
    )


def test_a_season_tmdb_does_not_list_after_a_title_number_is_never_linked(make_identifier):
    found = make_identifier().identify("[Sub] Mob Psycho 100 IV - 03 [1080p].mkv")
    assert found.match is None, found.match
    assert "no season 4" in found.reason


@pytest.mark.parametrize(
    "path",
    [
        "Overlord [tmdbid-64196]/[DHR] Overlord II - 05 [1080p].mkv",
        "Overlord [tmdbid-64196]/Season 2/[DHR] Overlord II - 05 [1080p].mkv",
        "[DHR] Overlord II [tmdbid-64196] - 05 [1080p].mkv",
    ],
)
@pytest.mark.parametrize("language", ["en-US", "zh-CN"])
def test_an_id_in_the_path_picks_the_show_and_the_numeral_still_its_season(make_identifier, language, path):
    match = make_identifier(language).identify(path).match
    assert (match.tmdb_id, match.season, match.episodes) == (OVERLORD, 2, (5,))
