"""Choosing the TMDB title: the hard cases, against the fake TMDB over real HTTP."""

from __future__ import annotations

import dataclasses

import pytest

from clearmedia.config import load_settings
from clearmedia.identify import Identifier
from clearmedia.identify.match import (
    MIN_TITLE_SCORE,
    normalize_title,
    title_similarity,
    versioned_title_similarity,
)
from clearmedia.identify.rules import RulesParser
from clearmedia.identify.types import ParsedName
from tests.fakes import tmdb_catalogue as cat
from tests.fakes.fake_tmdb import FakeTMDB
from tests.helpers import base_env


class StubParser:
    """Answers fixed parses, so these tests do not depend on the real parsers."""

    def __init__(self, parses: dict[str, ParsedName]):
        self.parses = parses

    def parse(self, relative_path: str) -> ParsedName:
        return self.parses[relative_path]


@pytest.fixture
def make_identifier(tmp_path, module_tmdb):
    made: list[Identifier] = []

    def make(parser=None, **overrides) -> Identifier:
        settings = load_settings(
            environ=base_env(tmp_path, TMDB_API_URL=module_tmdb.url, **overrides), require_library=True
        )
        identifier = Identifier(settings, parser=parser or StubParser({}))
        made.append(identifier)
        return identifier

    yield make
    for identifier in made:
        identifier.close()


def movie(title, year=None, alt=None):
    return ParsedName(title=title, alt_title=alt, year=year, media_type="movie")


DUNE_1984 = cat.find("movie", "Dune", 1984)
DUNE_2021 = cat.find("movie", "Dune", 2021)

HARD_CASES = [
    ("Dune by year 2021", movie("Dune", 2021), "movie", DUNE_2021.id),
    ("Dune by year 1984", movie("Dune", 1984), "movie", DUNE_1984.id),
    ("year off by one", movie("Dune", 2020), "movie", DUNE_2021.id),
    ("year off by one, other side", movie("Inception", 2011), "movie", 27205),
    ("Fargo the film", movie("Fargo", 1996), "movie", 275),
    ("Fargo the series by S01E01", ParsedName("Fargo", season=1, episodes=(1,)), "tv", 60622),
    (
        "Fargo the series even when called a movie",
        ParsedName("Fargo", media_type="movie", season=5, episodes=(4,)),
        "tv",
        60622,
    ),
    ("1917 read as a year", movie("", 1917), "movie", 530915),
    ("1917 as title", movie("1917", 2019), "movie", 530915),
    ("Blade Runner + 2049 read as year", movie("Blade Runner", 2049), "movie", 335984),
    ("Blade Runner 2049", movie("Blade Runner 2049", 2017), "movie", 335984),
    ("Blade Runner 1982", movie("Blade Runner", 1982), "movie", 78),
    ("2001 read as year", movie("A Space Odyssey", 2001), "movie", 62),
    ("2001: A Space Odyssey", movie("2001: A Space Odyssey", 1968), "movie", 62),
    (
        "1883 as year of a show",
        ParsedName("", year=1883, media_type="tv", season=1, episodes=(3,)),
        "tv",
        118357,
    ),
    ("Chinese only", movie("哪吒之魔童闹海", 2025), "movie", 980477),
    ("English only", movie("Ne Zha 2", 2025), "movie", 980477),
    ("Chinese and English", movie("热辣滚烫", 2024, alt="YOLO"), "movie", 1136867),
    ("English name of a Chinese film", movie("YOLO", 2024), "movie", 1136867),
    ("romanized Japanese", movie("Sen to Chihiro no Kamikakushi", 2001), "movie", 129),
    ("Se7en written Seven", movie("Seven", 1995), "movie", 807),
    ("accents and colon", movie("Leon The Professional", 1994), "movie", 101),
    ("It, the film", movie("It", 2017), "movie", 346364),
    ("Home Alone, not the sequel", movie("Home Alone", 1990), "movie", 771),
    ("The Thing 1982, not 2011", movie("The Thing", 1982), "movie", 1091),
    ("Chinese tv name", ParsedName("甄嬛传", media_type="tv", episodes=(45,)), "tv", 46393),
    ("The Office US", ParsedName("The Office US", media_type="tv", season=2, episodes=(1,)), "tv", 2316),
    ("The Bear, the series", ParsedName("The Bear", media_type="tv", season=3, episodes=(4,)), "tv", 136315),
]


@pytest.mark.parametrize(
    ("parsed", "media_type", "tmdb_id"), [c[1:] for c in HARD_CASES], ids=[c[0] for c in HARD_CASES]
)
def test_hard_cases(make_identifier, parsed, media_type, tmdb_id):
    found = make_identifier().identify_parsed(parsed)
    assert found.match is not None, found.reason
    assert (found.match.media_type, found.match.tmdb_id) == (media_type, tmdb_id)
    entry = cat.by_id(media_type, tmdb_id)
    # TMDB_LANGUAGE=zh-CN by default; a Chinese original's zh-CN title is its original title
    assert found.match.title == (entry.original if entry.original_language == "zh" else entry.zh)
    date = entry.release_date if media_type == "movie" else entry.first_air_date
    assert found.match.year == int(date[:4])


def test_usual_case_costs_one_search(make_identifier, module_tmdb):
    module_tmdb.reset()
    found = make_identifier().identify_parsed(movie("The Matrix", 1999))
    assert found.match.tmdb_id == 603 and found.match.title == "黑客帝国"
    assert module_tmdb.count() == 1


def test_titles_in_another_tmdb_language(make_identifier):
    identifier = make_identifier(TMDB_LANGUAGE="en-US")
    spirited = identifier.identify_parsed(movie("千与千寻", 2001))
    assert (spirited.match.tmdb_id, spirited.match.title) == (129, "Spirited Away")
    show = identifier.identify_parsed(ParsedName("甄嬛传", media_type="tv", season=1, episodes=(2,)))
    assert (show.match.tmdb_id, show.match.title) == (46393, "Empresses in the Palace")


def test_no_confident_match_says_why(make_identifier):
    found = make_identifier().identify_parsed(movie("Totally Unknown Film", 2011))
    assert found.match is None
    assert found.reason == 'no confident TMDB match for "Totally Unknown Film" (2011)'


def test_far_year_is_not_accepted(make_identifier):
    found = make_identifier().identify_parsed(movie("The Matrix", 1975))
    assert found.match is None
    assert found.candidates and found.candidates[0]["tmdb_id"] == 603  # seen, but not trusted


def test_missing_release_date_gives_no_year(make_identifier):
    found = make_identifier().identify_parsed(movie("Dune Part Three"))
    assert (found.match.tmdb_id, found.match.year) == (1170608, None)


def test_identify_uses_the_parser_and_lists_candidates(make_identifier):
    path = "Movies/Dune.1984.REMASTERED.1080p.BluRay.x264-SPOOKS/Dune.1984.REMASTERED.1080p.BluRay.x264-SPOOKS.mkv"
    identifier = make_identifier(StubParser({path: movie("Dune", 1984)}))
    found = identifier.identify(path)
    assert found.match.tmdb_id == DUNE_1984.id and found.match.score >= 0.75
    assert found.parse.title == "Dune"
    first = found.candidates[0]
    assert set(first) == {"tmdb_id", "media_type", "title", "year", "score"}
    assert first["tmdb_id"] == DUNE_1984.id
    assert found.match.to_dict()["episodes"] == []


def test_rerun_with_new_identifier_is_served_from_cache(tmp_path, make_identifier, module_tmdb):
    parses = [
        movie("Dune", 2021),
        movie("Sen to Chihiro no Kamikakushi", 2001),
        ParsedName("Breaking Bad", media_type="tv", season=5, episodes=(14,)),
        ParsedName("The Late Show with Stephen Colbert", media_type="tv", air_date="2023-10-03"),
    ]
    module_tmdb.reset()
    first = [make_identifier().identify_parsed(p).match for p in parses]
    assert module_tmdb.count() > 0
    module_tmdb.reset()
    again = [make_identifier().identify_parsed(p).match for p in parses]
    assert again == first
    assert module_tmdb.count() == 0


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Ｔｈｅ　Ｍａｔｒｉｘ", "The Matrix"),
        ("Fast & Furious", "Fast and Furious"),
        ("The Office", "Office"),
        ("Rocky II", "Rocky 2"),
        ("Léon: The Professional", "Leon The Professional"),
        ("2001: A Space Odyssey", "2001 A Space Odyssey"),
        ("Spider-Man", "Spider Man"),
    ],
)
def test_normalized_titles_are_equal(a, b):
    assert normalize_title(a) == normalize_title(b)


def test_numbers_keep_sequels_apart():
    assert title_similarity("Toy Story", "Toy Story 2") < 0.75
    assert title_similarity("Blade Runner", "Blade Runner 2049") < 0.75
    assert title_similarity("Spiderman", "Spider-Man") > 0.95
    assert normalize_title("ぼっち・ざ・ろっく！") == "ぼっち ざ ろっく"  # kana keep their marks


# -- wrong matches a NAS owner would hit: real names through the guessit parser -----------------

# (download name, (media_type, tmdb_id) expected, or None when no link is the right answer)
REAL_NAMES = [
    ("[电影天堂www.dytt89.com]流浪地球2.2023.HD.1080p.国语中字.mp4", ("movie", 842675)),
    ("阳光电影www.ygdy8.com.流浪地球2.2023.HD1080P.国语中字.mkv", ("movie", 842675)),
    ("【高清影视之家发布 www.BBQDDQ.com】流浪地球.2019.1080p.mp4", ("movie", 535167)),
    ("流浪地球.2023.1080p.mp4", None),  # the first film's name with the sequel's year: ask a person
    ("Dune.Part.Two.2024.1080p.WEB-DL.DDP5.1.Atmos.H.264-FLUX.mkv", ("movie", 693134)),
    ("Dune.Part.Two.1080p.WEB-DL.mkv", ("movie", 693134)),  # no year: still not the first film
    ("Movies/Dune Part Two (2024) [1080p]/Dune Part Two (2024) [1080p].mkv", ("movie", 693134)),
    ("Kill.Bill.Vol.2.2004.1080p.BluRay.x264.mkv", ("movie", 393)),
    ("Kill.Bill.Vol.1.2003.1080p.BluRay.x264.mkv", ("movie", 24)),
    ("Ne.Zha.2.2025.2160p.WEB-DL.mkv", ("movie", 980477)),
    ("Ne.Zha.2019.1080p.WEB-DL.mkv", ("movie", 615453)),
    ("Ne.Zha.2025.1080p.WEB-DL.mkv", None),  # the sequel has a "2": the first title must not take it
    ("Spider-Man.2002.1080p.BluRay.x264.mkv", ("movie", 557)),
    ("Spider-Man.No.Way.Home.2021.1080p.WEB-DL.mkv", ("movie", 634649)),
    ("Up.2009.1080p.BluRay.x264.mkv", ("movie", 14160)),
    ("Up.in.the.Air.2009.1080p.BluRay.x264.mkv", ("movie", 22947)),
    ("Her.2013.1080p.BluRay.x264.mkv", ("movie", 152601)),
    ("Tom & Jerry (2021) 1080p.mkv", ("movie", 587807)),
    ("Tom.and.Jerry.2021.1080p.WEB-DL.mkv", ("movie", 587807)),
    ("Ocean's Eleven (2001) 1080p.mkv", ("movie", 161)),
    ("Ocean's 11 (1960) 1080p.mkv", ("movie", 299)),
    ("1917.1080p.BluRay.x264.mkv", ("movie", 530915)),
    ("1923.S01E03.1080p.WEB-DL.mkv", ("tv", 157744)),
    ("Harbor.Lights.2020.1080p.WEB-DL.mkv", ("movie", 990001)),
    ("Harbor.Lights.2020.S01E02.1080p.WEB-DL.mkv", ("tv", 990002)),
    # A short or partial title never takes a longer one by substring, however popular or well dated.
    ("Spirited.2001.1080p.mkv", None),
    ("One.Piece.2022.1080p.mkv", None),
    ("Breaking.S01E03.1080p.WEB-DL.mkv", None),
    ("Follows.2015.1080p.mkv", None),  # not "It Follows"
    ("Doctor.Who.Christmas.Special.2023.mkv", None),  # not the show itself, and not a movie
    ("Some.Unknown.Show.S01E03.1080p.WEB-DL.mkv", None),
]


@pytest.mark.parametrize(("name", "expected"), REAL_NAMES, ids=[n for n, _ in REAL_NAMES])
def test_real_names_through_guessit(make_identifier, name, expected):
    from clearmedia.identify.rules import RulesParser

    found = make_identifier(RulesParser()).identify(name)
    if expected is None:
        assert found.match is None, f"linked to {found.match}"
        assert found.reason and "no confident TMDB match" in found.reason
    else:
        assert found.match is not None, found.reason
        assert (found.match.media_type, found.match.tmdb_id) == expected


def test_a_title_is_not_a_part_of_another():
    from clearmedia.identify.match import MIN_TITLE_SCORE

    for short, long in [("Follows", "It Follows"), ("Spirited", "Spirited Away"), ("Dune", "Dune Drifter")]:
        assert title_similarity(short, long) < MIN_TITLE_SCORE
        assert title_similarity(long, short) < MIN_TITLE_SCORE


def test_country_keeps_versions_of_a_show_apart():
    assert title_similarity("The Office UK", "The Office US") < 0.75
    assert title_similarity("The Office UK", "The Office (UK)") == 1.0
    assert title_similarity("Kill Bill Volume 2", "Kill Bill: Vol. 2") == 1.0
    assert title_similarity("Dune Part Two", "Dune: Part 2") == 1.0
    assert title_similarity("Ocean's Eleven", "Ocean's 11") == 1.0
    assert title_similarity("Ocean's Eleven", "Ocean's Twelve") < 0.75


# -- a country naming a version of a show ---------------------------------------------------------
# TMDB names the UK and the US show just "The Office" (or "Shameless") and tells them apart by
# origin_country. Real TMDB may find nothing for "The Office UK": the second fake never matches a
# search on alternative titles, so only the country-less search and origin_country can find the show.

OFFICE_UK, OFFICE_US = cat.by_id("tv", 2996), cat.by_id("tv", 2316)
SHAMELESS_US, SHAMELESS_UK = cat.find("tv", "Shameless", 2011), cat.find("tv", "Shameless", 2004)

# (download name, the show expected, or the reason it is not linked)
COUNTRY_NAMES = [
    ("The.Office.UK.S01E02.720p.BluRay.x264.mkv", OFFICE_UK),
    ("The.Office.US.S02E01.The.Dundies.720p.WEB-DL.mkv", OFFICE_US),
    ("Shameless.US.S01E01.720p.WEB-DL.mkv", SHAMELESS_US),
    ("Shameless.UK.S01E01.720p.HDTV.x264.mkv", SHAMELESS_UK),
    ("Shameless.US.2011.S02E03.720p.WEB-DL.mkv", SHAMELESS_US),
    # no country: two shows fit equally; no guess (the popular one) but FAILED naming both
    ("The.Office.S01E01.720p.WEB-DL.mkv", 'two TMDB works fit "The Office" equally'),
    # Breaking Bad exists only as a US show, Shameless only in the US and the UK: never link another
    ("Breaking.Bad.UK.S01E01.720p.mkv", 'no confident TMDB match for "Breaking Bad UK"'),
    ("Shameless.AU.S01E01.720p.mkv", 'no confident TMDB match for "Shameless AU"'),
]


@pytest.fixture(scope="module")
def strict_fake():
    with FakeTMDB(search_alt_titles=False) as server:
        yield server


def _identifier_for(server, data_dir) -> Identifier:
    settings = load_settings(environ=base_env(data_dir, TMDB_API_URL=server.url), require_library=True)
    return Identifier(settings, parser=RulesParser())


@pytest.fixture(params=["alt titles searched", "alt titles not searched"])
def country_identifier(request, tmp_path, module_tmdb, strict_fake):
    server = module_tmdb if request.param == "alt titles searched" else strict_fake
    identifier = _identifier_for(server, tmp_path)
    yield identifier
    identifier.close()


@pytest.mark.parametrize(("name", "expected"), COUNTRY_NAMES, ids=[n for n, _ in COUNTRY_NAMES])
def test_country_in_a_name_picks_that_version_of_the_show(country_identifier, name, expected):
    found = country_identifier.identify(name)
    if isinstance(expected, str):
        assert found.match is None, f"linked to {found.match}"
        assert found.reason.startswith(expected), found.reason
    else:
        assert found.match is not None, found.reason
        assert (found.match.media_type, found.match.tmdb_id) == ("tv", expected.id)
        assert (found.match.title, found.match.year) == (expected.zh, int(expected.first_air_date[:4]))


def test_strict_fake_finds_nothing_for_a_country_suffixed_name(tmp_path, strict_fake):
    """The premise of the cases above: without alternative titles the suffixed search is empty."""
    identifier = _identifier_for(strict_fake, tmp_path)
    try:
        assert identifier.client.search("tv", "The Office UK") == []
        assert identifier.client.search("tv", "Shameless US") == []
        found = {r["id"]: r["origin_country"] for r in identifier.client.search("tv", "The Office")}
        assert found == {OFFICE_US.id: ["US"], OFFICE_UK.id: ["GB"]}
    finally:
        identifier.close()


def test_country_against_tmdb_origin_country():
    assert versioned_title_similarity("The Office UK", "The Office", ("GB",)) == 1.0
    assert versioned_title_similarity("The Office GB", "The Office", ("GB",)) == 1.0
    assert versioned_title_similarity("The Office UK", "The Office", ("US",)) < MIN_TITLE_SCORE
    assert versioned_title_similarity("The Office UK", "The Office", ()) < MIN_TITLE_SCORE  # unknown
    assert versioned_title_similarity("The Office UK", "The Office (US)", ("US",)) < MIN_TITLE_SCORE
    assert versioned_title_similarity("The Office", "The Office", ("US",)) == 1.0
    assert versioned_title_similarity("The Last of Us", "The Last of Us", ("US",)) == 1.0


def test_two_equal_works_name_the_fix_command_for_each(module_tmdb, tmp_path):
    found = _identifier_for(module_tmdb, tmp_path).identify("The.Office.S01E01.720p.WEB-DL.mkv")
    assert found.match is None
    assert "`clearmedia fix ID --tmdb tv/" in found.reason and "(or tv/" in found.reason


def test_titles_the_llm_knows_find_a_work_tmdb_lists_under_none_of_the_written_ones(make_identifier):
    """A romaji title TMDB does not list: the LLM's Chinese or original title finds the show."""
    written = ParsedName(title="Boku no Kokoro no Yabai Yatsu", media_type="tv", absolute_episode=14)
    identifier = make_identifier(TMDB_LANGUAGE="zh-CN")
    assert identifier.identify_parsed(written).match is None
    known = dataclasses.replace(written, known_titles=("我心里危险的东西", "僕の心のヤバイやつ"))
    match = identifier.identify_parsed(known).match
    assert (match.tmdb_id, match.season, match.episodes) == (196944, 2, (2,))


def test_a_work_found_under_another_language_s_title_is_a_rival(make_identifier):
    """Oldboy (2003) is "老男孩"/"올드보이" in a zh-CN answer; the 2013 remake is "Oldboy": no year, no choice."""
    found = make_identifier(TMDB_LANGUAGE="zh-CN").identify_parsed(movie("Oldboy"))
    assert found.match is None and "two TMDB works" in found.reason
    assert {c["tmdb_id"] for c in found.candidates} >= {670, 87516}
    chosen = make_identifier(TMDB_LANGUAGE="zh-CN").identify_parsed(movie("Oldboy", 2003)).match
    assert chosen.tmdb_id == 670
