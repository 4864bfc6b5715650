"""Rules the probe names (tests/fixtures/probe-names.jsonl) showed wrong: a later season written
the anime way ("第2期", "2nd Season", "Season 2 - 05") and a year-like number that is part of a
title ("Blade Runner 2049" without its release year)."""

from __future__ import annotations

import pytest

from clearmedia.identify.rules import parse_name


@pytest.mark.parametrize(
    ("path", "title", "season", "episodes"),
    [
        ("[桜都字幕组] 咒术回战 第2期 [05][1080P][简繁内封].mkv", "咒术回战", 2, (5,)),
        ("[喵萌奶茶屋] 某动画 第二期 - 07 [1080p][简日双语].mp4", "某动画", 2, (7,)),
        ("[Sub] Some Show 第3期 第05话 [1080p].mkv", "Some Show", 3, (5,)),
        ("[Nekomoe kissaten] Kaguya-sama wa Kokurasetai 2nd Season - 07 [BDRip 1080p].mkv",
         "Kaguya-sama wa Kokurasetai", 2, (7,)),
        ("[LoliHouse] Kusuriya no Hitorigoto 3rd Season - 05 [WebRip 1080p].mkv",
         "Kusuriya no Hitorigoto", 3, (5,)),
        ("[LoliHouse] 药屋少女的呢喃 第2期 Kusuriya no Hitorigoto [01-24][WebRip 1080p]/"
         "[LoliHouse] Kusuriya no Hitorigoto - 05 [WebRip 1080p].mkv", "药屋少女的呢喃", 2, (5,)),
        ("[Lilith-Raws] SPY×FAMILY Season 2 - 05 [Baha][WEB-DL][1080p][AVC AAC].mp4", "SPY×FAMILY", 2, (5,)),
    ],
)  # fmt: skip
def test_a_later_season_written_the_anime_way_is_that_season(path, title, season, episodes):
    parsed = parse_name(path)
    assert (parsed.title, parsed.season, parsed.episodes) == (title, season, episodes)
    assert parsed.absolute_episode is None


def test_a_variety_shows_issue_is_still_its_episode():
    """第N期 alone is an issue (an episode) of a variety show, not a season."""
    parsed = parse_name("向往的生活 第八季 第5期.mp4")
    assert (parsed.season, parsed.episodes) == (8, (5,))


@pytest.mark.parametrize(
    ("path", "title", "year"),
    [
        ("Movies/Blade.Runner.2049.1080p.WEB-DL.DD5.1.H264-FGT.mkv", "Blade Runner 2049", None),
        ("Movies/Blade.Runner.2049.2017.1080p.BluRay.x264-SPARKS.mkv", "Blade Runner 2049", 2017),
    ],
)
def test_a_year_to_come_in_a_title_is_part_of_the_title(path, title, year):
    parsed = parse_name(path)
    assert (parsed.title, parsed.year, parsed.media_type, parsed.season, parsed.episodes) == (
        title,
        year,
        "movie",
        None,
        (),
    )


@pytest.mark.parametrize(
    ("path", "title", "season", "episodes"),
    [
        ("【高清影视之家发布 www.HDBTHD.com】封神第一部：朝歌风云[国语音轨+简繁英字幕].Creation.of.the.Gods.I"
         ".Kingdom.of.Storms.2023.2160p.WEB-DL.H265.DDP5.1-OurTV.mkv", "封神第一部：朝歌风云", None, ()),
        ("某剧 第二部 第05集.mp4", "某剧", 2, (5,)),
        ("某剧 第二部/05.mp4", "某剧", 2, (5,)),
    ],
)  # fmt: skip
def test_a_part_in_a_films_title_is_no_season(path, title, season, episodes):
    """第N部 beside an episode number (or in a folder) is a season; alone, a part of the title."""
    parsed = parse_name(path)
    assert (parsed.title, parsed.season, parsed.episodes) == (title, season, episodes)
