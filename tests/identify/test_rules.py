"""The offline guessit parser on real-world names: scene, Chinese release sites, fansubs, season packs."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest

from clearmedia.errors import IdentifyError
from clearmedia.identify.rules import RulesParser, parse_name
from tests.helpers import FIXTURES

# A copy of the team's shared examples/downloads-sample.jsonl, so a clean checkout has it.
SAMPLE = FIXTURES / "downloads-sample.jsonl"

# The name says the title in another language or spelling than TMDB's English title (the sample's
# truth); the parser must return what is written, and TMDB matching finds the rest.
WRITTEN_TITLE = {
    "Movies/Sen.to.Chihiro.no.Kamikakushi.2001.1080p.BluRay.x265.10bit.FLAC-Kira.mkv": "Sen to Chihiro no Kamikakushi",
    "Movies/Seven.1995.REMASTERED.1080p.BluRay.x264.DTS-HD.MA.5.1-SWTYBLZ.mkv": "Seven",
    "TV/后宫·甄嬛传/甄嬛传.EP45.1080p.mp4": "甄嬛传",
    # The country stays: "The Office UK" is another show (TMDB's alternative titles tell them apart).
    "TV/The.Office.US.S02E01.The.Dundies.720p.WEB-DL.DD5.1.H.264-CtrlHD.mkv": "The Office US",
}
# Names that carry no season: the season in the sample comes from TMDB.
NO_SEASON_IN_NAME = {"TV/后宫·甄嬛传/甄嬛传.EP45.1080p.mp4"}


def normalized(title: str | None) -> str:
    text = unicodedata.normalize("NFKD", title or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def samples() -> list[dict]:
    rows = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row for row in rows if row["kind"] in ("movie", "episode")]


@pytest.mark.parametrize("sample", samples(), ids=lambda s: s["path"][-60:])
def test_every_sample_video_is_read_as_the_truth_says(sample):
    parsed = parse_name(sample["path"])

    wanted = normalized(WRITTEN_TITLE.get(sample["path"], sample["title"]))
    assert wanted in [normalized(t) for t in parsed.titles()]
    assert parsed.media_type == sample["media_type"]
    assert parsed.parser == "guessit"
    if sample["kind"] == "movie":
        assert parsed.year == sample["year"]
        assert (parsed.season, parsed.episodes, parsed.absolute_episode) == (None, (), None)
    elif "absolute_episode" in sample:
        assert (parsed.season, parsed.episodes) == (None, ())
        assert parsed.absolute_episode == sample["absolute_episode"]
    elif "air_date" in sample:
        assert (parsed.air_date, parsed.season, parsed.episodes) == (sample["air_date"], None, ())
    else:
        season = None if sample["path"] in NO_SEASON_IN_NAME else sample["season"]
        assert (parsed.season, parsed.episodes) == (season, tuple(sample["episodes"]))
    if sample["kind"] == "episode":
        assert parsed.year is None  # no show year in these names (a date is not a year)


def test_the_sample_is_there_to_test():
    assert len(samples()) >= 25


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # Chinese release sites and banners
        ("[电影天堂www.dytt89.com]流浪地球2.2023.HD.1080p.国语中字.mp4", ("流浪地球2", None, 2023, "movie")),
        (
            "【高清影视之家发布 www.BBQDDQ.com】流浪地球2.2023.HD.1080p.国语中字.mp4",
            ("流浪地球2", None, 2023, "movie"),
        ),
        ("Downloads/[www.btbtt.com]Oppenheimer.2023.1080p.mkv", ("Oppenheimer", None, 2023, "movie")),
        ("热辣滚烫.YOLO.2024.2160p.WEB-DL.H265.AAC-HHWEB.mp4", ("热辣滚烫", "YOLO", 2024, "movie")),
        (
            "[4K蓝光]哪吒之魔童闹海.Ne.Zha.2.2025.2160p.WEB-DL.mkv",
            ("哪吒之魔童闹海", "Ne Zha 2", 2025, "movie"),
        ),
        # numbers as titles
        ("1917.2019.1080p.BluRay.x264.mkv", ("1917", None, 2019, "movie")),
        (
            "Movies/Blade.Runner.2049.2017.1080p.BluRay.DD5.1.x264-DON.mkv",
            ("Blade Runner 2049", None, 2017, "movie"),
        ),
        ("2001.A.Space.Odyssey.1968.1080p.BluRay.mkv", ("2001 A Space Odyssey", None, 1968, "movie")),
        ("TV/1883.S01E03.1080p.AMZN.WEB-DL.mkv", ("1883", None, None, "tv")),
        # grouping folders are never titles
        ("incoming/Heat (1995)/Heat (1995).mkv", ("Heat", None, 1995, "movie")),
        # a site glued to the title without brackets; quality words are not a second title
        ("阳光电影www.ygdy8.com.流浪地球2.2023.HD1080P.国语中字.mkv", ("流浪地球2", None, 2023, "movie")),
        ("[www.domp4.cc]流浪地球2.2023.HD1080p.国语中字.mp4", ("流浪地球2", None, 2023, "movie")),
        # a bare number is the title, not a year with no title
        ("1917.1080p.BluRay.x264.mkv", ("1917", None, None, "movie")),
        ("1923.S01E03.1080p.WEB-DL.mkv", ("1923", None, None, "tv")),
        # what guessit takes out of a title but TMDB keeps in it
        ("Spider-Man.2002.1080p.BluRay.x264.mkv", ("Spider-Man", None, 2002, "movie")),
        ("Ant-Man.and.the.Wasp.2018.1080p.mkv", ("Ant-Man and the Wasp", None, 2018, "movie")),
        ("aaf-inception.2010.1080p.mkv", ("inception", None, 2010, "movie")),  # a scene group
        (
            "Movies/Inception.2010.1080p.BluRay.x264-SPARKS/sparks-inception-1080p.mkv",
            ("Inception", None, 2010, "movie"),
        ),
        ("Dune.Part.Two.2024.1080p.WEB-DL.mkv", ("Dune Part Two", None, 2024, "movie")),
        ("Kill.Bill.Vol.2.2004.1080p.BluRay.mkv", ("Kill Bill Vol 2", None, 2004, "movie")),
        ("The.Office.UK.S01E02.720p.mkv", ("The Office UK", None, None, "tv")),
    ],
)
def test_titles_and_years(path, expected):
    parsed = parse_name(path)
    assert (parsed.title, parsed.alt_title, parsed.year, parsed.media_type) == expected


@pytest.mark.parametrize(
    ("path", "title", "season", "episodes"),
    [
        ("TV/The.Bear.S03.1080p.HULU.WEB-DL.DDP5.1.H.264-NTb/04 - Violet.mkv", "The Bear", 3, (4,)),
        ("Show.S02.1080p.WEB-DL/E05.mkv", "Show", 2, (5,)),
        ("TV/Show.S02.1080p/04.Violet.mkv", "Show", 2, (4,)),
        ("TV/繁花.S01.2160p/第05集.mp4", "繁花", 1, (5,)),
        ("Show Name/Season 2/E07.mkv", "Show Name", 2, (7,)),
        ("TV/后宫·甄嬛传/甄嬛传.EP45.1080p.mp4", "甄嬛传", None, (45,)),
        ("Show.S01E01E02.720p.HDTV.mkv", "Show", 1, (1, 2)),
        ("Show.S01E01-E02.720p.HDTV.mkv", "Show", 1, (1, 2)),
        ("Show.S01E01-E03.720p.HDTV.mkv", "Show", 1, (1, 2, 3)),
        ("Show.1x02.720p.HDTV.mkv", "Show", 1, (2,)),
        ("Doctor.Who.S00E150.720p.mkv", "Doctor Who", 0, (150,)),
    ],
)
def test_seasons_and_episodes_from_the_file_or_its_folder(path, title, season, episodes):
    parsed = parse_name(path)
    assert (parsed.title, parsed.media_type, parsed.season, parsed.episodes) == (
        title,
        "tv",
        season,
        episodes,
    )
    assert parsed.absolute_episode is None


@pytest.mark.parametrize(
    ("path", "title", "alt_title", "absolute"),
    [
        ("Anime/[SubsPlease] Oshi no Ko - 15 (1080p) [0C8E2F41].mkv", "Oshi no Ko", None, 15),
        (
            "[桜都字幕组] 孤独摇滚 ／ Bocchi the Rock! [03][1080p][简体内嵌].mp4",
            "孤独摇滚",
            "Bocchi the Rock!",
            3,
        ),
        ("[VCB-Studio] Bocchi the Rock! [08][Ma10p_1080p][x265_flac].mkv", "Bocchi the Rock!", None, 8),
        ("[Nekomoe kissaten][Frieren][01][1080p][JPSC].mp4", "Frieren", None, 1),
        ("Anime/One Piece - 1087 [1080p].mkv", "One Piece", None, 1087),
    ],
)
def test_anime_uses_absolute_numbers(path, title, alt_title, absolute):
    parsed = parse_name(path)
    assert (parsed.title, parsed.alt_title, parsed.media_type) == (title, alt_title, "tv")
    assert (parsed.season, parsed.episodes, parsed.absolute_episode) == (None, (), absolute)


def test_daily_shows_use_the_air_date():
    parsed = parse_name("TV/The.Late.Show.with.Stephen.Colbert.2023.10.03.720p.WEB.h264-EDITH.mkv")
    assert (parsed.title, parsed.media_type, parsed.air_date) == (
        "The Late Show with Stephen Colbert",
        "tv",
        "2023-10-03",
    )
    assert parsed.year is None


def test_a_show_year_in_the_name_is_kept():
    parsed = parse_name("TV/Doctor.Who.2005.S10E12.720p.HDTV.x264-MTB.mkv")
    assert (parsed.title, parsed.year, parsed.season, parsed.episodes) == ("Doctor Who", 2005, 10, (12,))


@pytest.mark.parametrize(
    "path",
    [
        "Movies/1080p.mkv",
        "TV/[www.dytt89.com].mp4",
        "Downloads/Movies/1080p.x264.mkv",
        "Downloads/Movies/E05.mkv",
        "Anime/[SubsPlease] - 05 (1080p).mkv",
        "【高清影视之家发布 www.BBQDDQ.com】.mkv",
    ],
)
def test_no_title_is_an_identify_error(path):
    with pytest.raises(IdentifyError, match="^could not read a title from this name$"):
        parse_name(path)


def test_a_name_with_hidden_marks_is_cleaned_and_controls_never_pass():
    assert parse_name("Movies/The\u200b.Matrix.1999.mkv").title == "The Matrix"
    with pytest.raises(IdentifyError):
        parse_name("Movies/\x1b[31m.mkv")


def test_the_rules_parser_needs_nothing_remote():
    parser = RulesParser()
    parser.check()
    assert parser.parse("Inception.2010.1080p.BluRay.x264-[YTS.AM].mp4").title == "Inception"


def test_an_impossible_year_is_dropped_not_fatal():
    parsed = parse_name("Zzyzx.Qwerty.Nonexistent.Film.2034.mkv")
    assert (parsed.title, parsed.year) == ("Zzyzx Qwerty Nonexistent Film", None)
