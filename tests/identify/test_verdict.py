"""Two readers, one verdict: what the name says wins over the LLM; titles without decoration;
ids in paths; the offline parser's floor on the peers' names."""

from __future__ import annotations

from collections import Counter

import pytest

from clearmedia.identify.path_ids import tmdb_id_in_path, without_ids
from clearmedia.identify.rules import parse_name
from clearmedia.identify.titles import strip_decoration
from clearmedia.identify.types import ParsedName
from clearmedia.identify.verdict import reconcile, written_numbers
from tests.benchmarks import peer_names


def tv(title, **fields) -> ParsedName:
    return ParsedName(title=title, media_type="tv", **fields)


def test_numbers_written_in_the_name_win_over_the_llm():
    name = "TV/Breaking.Bad.S05E14.Ozymandias.1080p.mkv"
    verdict = reconcile(name, parse_name(name), tv("Breaking Bad", season=5, episodes=(41,), parser="llm"))
    assert (verdict.parsed.season, verdict.parsed.episodes) == (5, (14,))
    assert verdict.source == "llm" and verdict.notes


def test_llm_s01_for_an_absolute_number_keeps_the_absolute_number():
    name = "Anime/[SubsPlease] Oshi no Ko - 15 (1080p) [0C8E2F41].mkv"
    verdict = reconcile(name, parse_name(name), tv("Oshi no Ko", season=1, episodes=(15,), parser="llm"))
    assert verdict.parsed.absolute_episode == 15 and verdict.parsed.season is None


def test_a_year_the_llm_left_out_or_shifted_is_the_name_s():
    name = "Movies/Heat.1995.1080p.BluRay.mkv"
    for llm_year in (None, 1996):
        llm = ParsedName("Heat", year=llm_year, media_type="movie", parser="llm")
        assert reconcile(name, parse_name(name), llm).parsed.year == 1995


def test_numbers_the_name_does_not_carry_are_dropped():
    name = "Some Show/Menu.mkv"  # an extra the LLM calls episode 7 of its show, from memory
    llm = tv("Some Show", season=1, episodes=(7,), year=2020, parser="llm")
    parsed = reconcile(name, None, llm).parsed
    assert (parsed.episodes, parsed.year) == ((), None)


def test_a_title_the_name_does_not_carry_is_another_name_s_reading():
    """A batch answer given to its neighbour ("The Daily Show" for a Shogun file) is not used."""
    name = "TV/Shogun.2024.S01E01-E02.1080p.DSNP.WEB-DL.DDP5.1.H.264-NTb.mkv"
    neighbour = tv("The Daily Show", air_date="2024-11-05", known_titles=("每日秀",), parser="llm")
    verdict = reconcile(name, parse_name(name), neighbour)
    assert verdict.parsed.titles()[0] == "Shogun" and verdict.source == "guessit"
    assert (verdict.parsed.season, verdict.parsed.episodes) == (1, (1, 2))
    assert any("not in the name" in note for note in verdict.notes)
    alone = reconcile("Movies/Menu.mkv", None, tv("Some Show", season=1, episodes=(7,), parser="llm"))
    assert alone.parsed is None and "not in the name" in alone.reason
    # a title spelled otherwise (accents, a mended word) is still this name's
    mended = reconcile(name, parse_name(name), tv("Shōgun", season=1, episodes=(1, 2), parser="llm"))
    assert mended.source == "llm"


def test_a_disagreement_nothing_settles_is_failed_naming_both():
    name = "Show.S02E03.and.S04E05.mkv"
    rules = tv("Show", season=2, episodes=(3,))
    llm = tv("Show", season=4, episodes=(5,), parser="llm")
    verdict = reconcile(name, rules, llm)
    assert verdict.parsed is None
    assert "S02E03" in verdict.reason and "S04E05" in verdict.reason


def test_the_llm_gives_the_titles_and_the_rules_titles_follow():
    name = "热辣滚烫.YOLO.2024.2160p.WEB-DL.mp4"
    llm = ParsedName("YOLO Extended Edition", year=2024, media_type="movie", parser="llm")
    parsed = reconcile(name, parse_name(name), llm).parsed
    assert parsed.titles()[0] == "YOLO" and "热辣滚烫" in parsed.titles()


def test_chinese_numerals_are_written_numbers():
    assert {2, 11} <= written_numbers("欢迎来到实力至上主义的教室 第二季 第十一集")


@pytest.mark.parametrize(
    ("title", "plain"),
    [
        ("Blade Runner The Final Cut", "Blade Runner"),
        ("Avatar IMAX", "Avatar"),
        ("Alien Director's Cut", "Alien"),
        ("The Lord of the Rings Extended Edition", "The Lord of the Rings"),
        ("Seven Remastered", "Seven"),
        ("Violet Evergarden Complete Batch", "Violet Evergarden"),
        ("哪吒之魔童闹海 加长版", "哪吒之魔童闹海"),
        ("剧场版 鬼灭之刃 无限列车篇", "鬼灭之刃 无限列车篇"),
        ("葬送的芙莉莲合集", "葬送的芙莉莲"),
        ("Final Cut", "Final Cut"),  # nothing would remain: a title, not decoration
        ("Extended", "Extended"),
    ],
)
def test_titles_without_decoration(title, plain):
    assert strip_decoration(title) == plain


@pytest.mark.parametrize(
    ("path", "tmdb_id"),
    [
        ("Movies/The Matrix (1999) [tmdbid-603]/The Matrix.mkv", 603),
        ("Movies/The Matrix (1999) {tmdbid=603}/movie.mkv", 603),
        ("Movies/tmdbid=603/movie.mkv", 603),
        ("Movies/Matrix tmdb-603.mkv", 603),
        ("Movies/The.Matrix.1999.1080p.mkv", None),
        ("Movies/tmdbfan-603.mkv", None),
    ],
)
def test_ids_in_paths(path, tmdb_id):
    assert tmdb_id_in_path(path) == tmdb_id
    assert "603" not in without_ids(path) or tmdb_id is None


@pytest.mark.parametrize(
    "name",
    [
        "【爪爪字幕组】★7月新番[即使如此依旧步步进逼/Soredemo Ayumu wa Yosetekuru][09][1080p][HEVC][GB][MP4][招募翻译校对]",
        "[梦蓝字幕组]New Doraemon 哆啦A梦新番[747][2023.02.25][AVC][1080P][GB_JP][MP4]",
        "【极影字幕社】★4月新番 天国大魔境 Tengoku Daimakyou 第05话 GB 720P MP4",
    ],
)
def test_gb_in_a_fansub_name_is_a_subtitle_language_not_a_country(name):
    parsed = parse_name(name)
    assert not any(t.endswith((" UK", " GB")) for t in parsed.titles()), parsed
    assert parsed.episodes or parsed.absolute_episode


def test_fansub_season_and_episode_in_chinese():
    parsed = parse_name(
        "[云歌字幕组][7月新番][欢迎来到实力至上主义的教室 第二季][01][X264 10bit][1080p][简体中文].mp4"
    )
    assert (parsed.title, parsed.season, parsed.episodes or (parsed.absolute_episode,)) == (
        "欢迎来到实力至上主义的教室",
        2,
        (1,),
    )


def test_season_hints():
    assert (
        parse_name("[Erai-raws] Shingeki no Kyojin - The Final Season - 05 [1080p].mkv").season_hint
        == "final"
    )
    assert parse_name("[Sub] Kimetsu no Yaiba - Katanakaji no Sato-hen - 03 [1080p].mkv").season_hint == "arc"
    assert parse_name("Doctor.Who.2005.Christmas.Special.The.Christmas.Invasion.mkv").season_hint == "special"


@pytest.mark.slow
def test_offline_parser_is_at_least_as_good_as_guessit_on_every_peer_source():
    cases = peer_names.load()
    ours, theirs = (
        peer_names.score(peer_names.rules_reading, cases),
        peer_names.score(peer_names.guessit_reading, cases),
    )
    behind = {s: (ours[s], theirs[s]) for s in Counter(c["source"] for c in cases) if ours[s] < theirs[s]}
    assert not behind, behind
