"""The fake TMDB's catalogue: the truth tests read (ids, titles by language, seasons, air dates).

Shaped like TMDB API v3. Ids are mostly TMDB's real ones; counts and dates are close enough.
Titles: `en` (en-US), `zh` (zh-CN), `original`; `alt` are alternative titles (searchable,
returned by `append_to_response=alternative_titles`, never shown as a result's title).
A show's `country` is TMDB's origin_country: both versions of "The Office" are named just "The Office".
The works the unseen and probe names need are in tests/fixtures/{unseen,probe}-catalogue.json, loaded
below.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Movie:
    id: int
    en: str
    zh: str
    original: str
    original_language: str
    release_date: str  # "" when TMDB has no date
    popularity: float
    alt: tuple[str, ...] = ()
    overview: str = ""
    genres: tuple[int, ...] = (18,)  # TMDB genre ids (18 Drama, 16 Animation, 99 Documentary …)
    countries: tuple[str, ...] = ()  # production_countries; () means the usual one for original_language
    #: names a model knows the work by that TMDB does not list (the fake LLM's memory only)
    aka: tuple[str, ...] = ()

    media_type = "movie"

    @property
    def production_countries(self) -> list[str]:
        return list(self.countries) or [_LANGUAGE_COUNTRY.get(self.original_language, "US")]


@dataclass(frozen=True)
class Season:
    season_number: int
    episode_count: int
    air_date: str
    #: "weekly" (one a week from air_date) or "daily" (Monday to Thursday from air_date)
    cadence: str = "weekly"
    names: dict[int, str] = field(default_factory=dict)
    #: episode number -> air date, where it is not the cadence's (specials air when they air)
    dates: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Show:
    id: int
    en: str
    zh: str
    original: str
    original_language: str
    first_air_date: str
    popularity: float
    seasons: tuple[Season, ...]
    alt: tuple[str, ...] = ()
    overview: str = ""
    country: str = ""  # ISO 3166-1; "" means the usual one for original_language (en: US)
    genres: tuple[int, ...] = (18,)  # TMDB genre ids (16 Animation, 99 Documentary, 10764 Reality …)
    aka: tuple[str, ...] = ()  # names only a model knows (see Movie.aka)

    media_type = "tv"

    @property
    def origin_country(self) -> list[str]:
        return [self.country or _LANGUAGE_COUNTRY.get(self.original_language, "US")]

    def season(self, number: int) -> Season | None:
        return next((s for s in self.seasons if s.season_number == number), None)


_LANGUAGE_COUNTRY = {"en": "US", "ja": "JP", "ko": "KR", "zh": "CN"}


def episode_dates(season: Season) -> list[str]:
    """Air date of each episode of `season`, episode 1 first."""
    start = _dt.date.fromisoformat(season.air_date)
    dates: list[_dt.date] = []
    day = start
    while len(dates) < season.episode_count:
        if season.cadence == "daily":
            if day.weekday() < 4:  # Monday..Thursday
                dates.append(day)
            day += _dt.timedelta(days=1)
        else:
            dates.append(day)
            day += _dt.timedelta(days=7)
    return [season.dates.get(n, d.isoformat()) for n, d in enumerate(dates, start=1)]


def _run_from(first: int, count: int, date: str) -> dict[int, str]:
    """Air dates of `count` weekly episodes from episode `first`: a later part of a split season."""
    start = _dt.date.fromisoformat(date)
    return {first + i: (start + _dt.timedelta(days=7 * i)).isoformat() for i in range(count)}


def _weekly(*counts_and_dates: tuple[int, int, str]) -> tuple[Season, ...]:
    return tuple(Season(n, count, date) for n, count, date in counts_and_dates)


MOVIES: tuple[Movie, ...] = (
    Movie(603, "The Matrix", "黑客帝国", "The Matrix", "en", "1999-03-30", 85.2),
    Movie(14543, "The Matrix Revisited", "黑客帝国幕后花絮", "The Matrix Revisited", "en", "2001-11-19", 3.1),
    Movie(841, "Dune", "沙丘", "Dune", "en", "1984-12-14", 31.5),
    Movie(438631, "Dune", "沙丘", "Dune", "en", "2021-09-15", 152.4, alt=("Dune: Part One",)),
    Movie(693134, "Dune: Part Two", "沙丘2", "Dune: Part Two", "en", "2024-02-27", 210.7),
    Movie(1170608, "Dune: Part Three", "沙丘3", "Dune: Part Three", "en", "", 12.0),
    Movie(743601, "Dune Drifter", "沙丘漂流者", "Dune Drifter", "en", "2020-10-06", 2.2),
    Movie(
        129,
        "Spirited Away",
        "千与千寻",
        "千と千尋の神隠し",
        "ja",
        "2001-07-20",
        95.0,
        alt=("Sen to Chihiro no Kamikakushi", "Sen and Chihiro's Spiriting Away", "千與千尋"),
    ),
    Movie(1006462, "Spirited", "圣诞精灵", "Spirited", "en", "2022-11-11", 18.0),
    Movie(530915, "1917", "1917", "1917", "en", "2019-12-25", 60.1),
    Movie(335984, "Blade Runner 2049", "银翼杀手2049", "Blade Runner 2049", "en", "2017-10-04", 70.3),
    Movie(78, "Blade Runner", "银翼杀手", "Blade Runner", "en", "1982-06-25", 55.0),
    Movie(
        475946,
        "Blade Runner Black Out 2022",
        "银翼杀手：2022大断电",
        "Blade Runner Black Out 2022",
        "en",
        "2017-09-26",
        6.0,
    ),
    Movie(62, "2001: A Space Odyssey", "2001太空漫游", "2001: A Space Odyssey", "en", "1968-04-02", 48.0),
    Movie(807, "Se7en", "七宗罪", "Se7en", "en", "1995-09-22", 66.0, alt=("Seven",)),
    Movie(27205, "Inception", "盗梦空间", "Inception", "en", "2010-07-15", 99.0),
    Movie(346364, "It", "小丑回魂", "It", "en", "2017-09-06", 80.0),
    Movie(270303, "It Follows", "它在身后", "It Follows", "en", "2015-02-04", 25.0),
    Movie(771, "Home Alone", "小鬼当家", "Home Alone", "en", "1990-11-16", 70.0),
    Movie(
        772,
        "Home Alone 2: Lost in New York",
        "小鬼当家2：迷失纽约",
        "Home Alone 2: Lost in New York",
        "en",
        "1992-11-19",
        45.0,
    ),
    Movie(
        980477,
        "Ne Zha 2",
        "哪吒之魔童闹海",
        "哪吒之魔童闹海",
        "zh",
        "2025-01-29",
        120.0,
        alt=("Ne Zha 2: The Demon Child Conquers the Sea",),
    ),
    Movie(615453, "Ne Zha", "哪吒之魔童降世", "哪吒之魔童降世", "zh", "2019-07-26", 30.0),
    Movie(1136867, "YOLO", "热辣滚烫", "热辣滚烫", "zh", "2024-02-10", 22.0),
    Movie(275, "Fargo", "冰血暴", "Fargo", "en", "1996-03-08", 40.0),
    Movie(1091, "The Thing", "怪形", "The Thing", "en", "1982-06-25", 50.0),
    Movie(60935, "The Thing", "怪形前传", "The Thing", "en", "2011-10-12", 30.0),
    Movie(348, "Alien", "异形", "Alien", "en", "1979-05-25", 65.0),
    Movie(
        120,
        "The Lord of the Rings: The Fellowship of the Ring",
        "指环王1：护戒使者",
        "The Lord of the Rings: The Fellowship of the Ring",
        "en",
        "2001-12-18",
        110.0,
    ),
    Movie(
        101,
        "Léon: The Professional",
        "这个杀手不太冷",
        "Léon",
        "fr",
        "1994-09-14",
        58.0,
        alt=("Leon", "The Professional"),
    ),
    Movie(361743, "Top Gun: Maverick", "壮志凌云：独行侠", "Top Gun: Maverick", "en", "2022-05-24", 90.0),
    Movie(
        194,
        "Amélie",
        "天使爱美丽",
        "Le Fabuleux Destin d'Amélie Poulain",
        "fr",
        "2001-04-25",
        40.0,
        alt=("Amelie",),
    ),
    Movie(949, "Heat", "盗火线", "Heat", "en", "1995-12-15", 45.0),
    Movie(10972, "The Bear", "熊的故事", "L'Ours", "fr", "1988-10-19", 9.0),
    Movie(900667, "One Piece Film Red", "航海王：红发歌姬", "ONE PIECE FILM RED", "ja", "2022-08-06", 40.0),
    # Added for the wrong-match hunt: sequels, common words, punctuation, look-alike titles.
    Movie(535167, "The Wandering Earth", "流浪地球", "流浪地球", "zh", "2019-02-05", 45.0),
    Movie(842675, "The Wandering Earth II", "流浪地球2", "流浪地球2", "zh", "2023-01-22", 60.0),
    Movie(14160, "Up", "飞屋环游记", "Up", "en", "2009-05-28", 90.0),
    Movie(22947, "Up in the Air", "在云端", "Up in the Air", "en", "2009-09-05", 20.0),
    Movie(152601, "Her", "她", "Her", "en", "2013-12-18", 45.0),
    Movie(587807, "Tom & Jerry", "猫和老鼠", "Tom & Jerry", "en", "2021-02-11", 50.0),
    Movie(161, "Ocean's Eleven", "十一罗汉", "Ocean's Eleven", "en", "2001-12-07", 60.0),
    Movie(299, "Ocean's Eleven", "十一罗汉", "Ocean's 11", "en", "1960-08-10", 12.0),
    Movie(163, "Ocean's Twelve", "十二罗汉", "Ocean's Twelve", "en", "2004-12-09", 40.0),
    Movie(557, "Spider-Man", "蜘蛛侠", "Spider-Man", "en", "2002-05-01", 80.0),
    Movie(
        634649,
        "Spider-Man: No Way Home",
        "蜘蛛侠：英雄无归",
        "Spider-Man: No Way Home",
        "en",
        "2021-12-15",
        150.0,
    ),
    Movie(24, "Kill Bill: Vol. 1", "杀死比尔", "Kill Bill: Vol. 1", "en", "2003-10-10", 60.0),
    Movie(393, "Kill Bill: Vol. 2", "杀死比尔2", "Kill Bill: Vol. 2", "en", "2004-04-16", 50.0),
    # Invented: a film and a series with the very same title and year.
    Movie(990001, "Harbor Lights", "港湾灯火", "Harbor Lights", "en", "2020-03-06", 15.0),
    # For the unseen-names corpus: Korean films (no English title in a zh-CN answer), editions.
    Movie(496243, "Parasite", "寄生虫", "기생충", "ko", "2019-05-30", 80.0),
    Movie(705996, "Decision to Leave", "分手的决心", "헤어질 결심", "ko", "2022-06-29", 20.0),
    Movie(19995, "Avatar", "阿凡达", "Avatar", "en", "2009-12-15", 150.0),
    Movie(38757, "Tangled", "魔发奇缘", "Tangled", "en", "2010-11-24", 70.0),
    Movie(
        372058, "Your Name.", "你的名字。", "君の名は。", "ja", "2016-08-26", 60.0, alt=("Kimi no Na wa.",)
    ),
)

_ONE_PIECE_COUNTS = (61, 16, 14, 39, 13, 52, 33, 35, 73, 45, 26, 14, 101, 58, 62, 49, 118, 33, 98, 15, 200)
_COLBERT_STARTS = (
    (1, 130, "2015-09-08"),
    (2, 140, "2016-09-06"),
    (3, 140, "2017-09-05"),
    (4, 140, "2018-09-04"),
    (5, 140, "2019-09-03"),
    (6, 120, "2020-09-08"),
    (7, 120, "2021-09-07"),
    (8, 100, "2022-09-06"),
    (9, 80, "2023-10-02"),
    (10, 120, "2024-09-03"),
)

SHOWS: tuple[Show, ...] = (
    Show(
        1396,
        "Breaking Bad",
        "绝命毒师",
        "Breaking Bad",
        "en",
        "2008-01-20",
        250.0,
        (
            Season(0, 12, "2009-02-17"),
            Season(1, 7, "2008-01-20", names={1: "Pilot"}),
            Season(2, 13, "2009-03-08"),
            Season(3, 13, "2010-03-21"),
            Season(4, 13, "2011-07-17"),
            Season(5, 16, "2012-07-15", names={14: "Ozymandias"}),
        ),
    ),
    Show(
        100088,
        "The Last of Us",
        "最后生还者",
        "The Last of Us",
        "en",
        "2023-01-15",
        300.0,
        (
            Season(1, 9, "2023-01-15", names={3: "Long, Long Time"}),
            Season(2, 7, "2025-04-13"),
        ),
    ),
    Show(
        2316,
        "The Office",
        "办公室",
        "The Office",
        "en",
        "2005-03-24",
        180.0,
        _weekly(
            (0, 30, "2005-03-24"),
            (1, 6, "2005-03-24"),
            (2, 22, "2005-09-20"),
            (3, 23, "2006-09-21"),
            (4, 14, "2007-09-27"),
            (5, 26, "2008-09-25"),
            (6, 26, "2009-09-17"),
            (7, 24, "2010-09-23"),
            (8, 24, "2011-09-22"),
            (9, 23, "2012-09-20"),
        ),
        alt=("The Office (US)", "The Office US"),
        country="US",
    ),
    Show(
        2996,
        "The Office",
        "办公室",
        "The Office",
        "en",
        "2001-07-09",
        25.0,
        _weekly((1, 6, "2001-07-09"), (2, 6, "2002-09-30")),
        alt=("The Office (UK)", "The Office UK"),
        country="GB",
    ),
    # Two versions named alike, with no country in any of their titles: only origin_country tells.
    Show(
        34307,
        "Shameless",
        "无耻之徒",
        "Shameless",
        "en",
        "2011-01-09",
        150.0,
        _weekly((1, 12, "2011-01-09"), (2, 12, "2012-01-08"), (3, 12, "2013-01-13")),
        country="US",
    ),
    Show(
        1906,
        "Shameless",
        "无耻之徒",
        "Shameless",
        "en",
        "2004-01-13",
        30.0,
        _weekly((1, 7, "2004-01-13"), (2, 10, "2005-01-04"), (3, 10, "2006-01-03")),
        country="GB",
    ),
    Show(
        136315,
        "The Bear",
        "熊家餐馆",
        "The Bear",
        "en",
        "2022-06-23",
        120.0,
        _weekly((1, 8, "2022-06-23"), (2, 10, "2023-06-22"), (3, 10, "2024-06-26")),
    ),
    Show(118357, "1883", "1883", "1883", "en", "2021-12-19", 60.0, _weekly((1, 10, "2021-12-19"))),
    Show(
        46393,
        "Empresses in the Palace",
        "甄嬛传",
        "后宫·甄嬛传",
        "zh",
        "2011-11-17",
        40.0,
        _weekly((1, 76, "2011-11-17")),
        alt=("The Legend of Zhen Huan", "後宮甄嬛傳"),
    ),
    Show(
        203737,
        "[Oshi no Ko]",
        "我推的孩子",
        "【推しの子】",
        "ja",
        "2023-04-12",
        90.0,
        _weekly((1, 11, "2023-04-12"), (2, 13, "2024-07-03")),
        alt=("Oshi no Ko", "My Star"),
    ),
    Show(
        209867,
        "Frieren: Beyond Journey's End",
        "葬送的芙莉莲",
        "葬送のフリーレン",
        "ja",
        "2023-09-29",
        110.0,
        _weekly((1, 28, "2023-09-29")),
        alt=("Sousou no Frieren", "Frieren"),
    ),
    Show(
        37854,
        "One Piece",
        "航海王",
        "ワンピース",
        "ja",
        "1999-10-20",
        200.0,
        (Season(0, 40, "2000-01-01"),)
        + tuple(Season(i + 1, n, f"{1999 + i}-10-20") for i, n in enumerate(_ONE_PIECE_COUNTS)),
        alt=("海贼王", "One Piece"),
    ),
    Show(
        63770,
        "The Late Show with Stephen Colbert",
        "扣扣熊晚间秀",
        "The Late Show with Stephen Colbert",
        "en",
        "2015-09-08",
        45.0,
        (Season(0, 5, "2016-02-01"),)
        + tuple(Season(n, count, start, cadence="daily") for n, count, start in _COLBERT_STARTS),
    ),
    Show(
        119100,
        "Bocchi the Rock!",
        "孤独摇滚！",
        "ぼっち・ざ・ろっく！",
        "ja",
        "2022-10-09",
        50.0,
        _weekly((1, 12, "2022-10-09")),
    ),
    Show(
        63247,
        "Westworld",
        "西部世界",
        "Westworld",
        "en",
        "2016-10-02",
        80.0,
        _weekly((1, 10, "2016-10-02"), (2, 10, "2018-04-22"), (3, 8, "2020-03-15"), (4, 8, "2022-06-26")),
    ),
    Show(
        62560,
        "Mr. Robot",
        "黑客军团",
        "Mr. Robot",
        "en",
        "2015-06-24",
        70.0,
        _weekly((1, 10, "2015-06-24"), (2, 12, "2016-07-13"), (3, 10, "2017-10-11"), (4, 13, "2019-10-06")),
    ),
    Show(
        76479,
        "The Boys",
        "黑袍纠察队",
        "The Boys",
        "en",
        "2019-07-25",
        260.0,
        _weekly((1, 8, "2019-07-25"), (2, 8, "2020-09-04"), (3, 8, "2022-06-03"), (4, 8, "2024-06-13")),
    ),
    Show(
        136283, "The Glory", "黑暗荣耀", "더 글로리", "ko", "2022-12-30", 70.0, _weekly((1, 16, "2022-12-30"))
    ),
    Show(
        60622,
        "Fargo",
        "冰血暴",
        "Fargo",
        "en",
        "2014-04-15",
        75.0,
        _weekly(
            (1, 10, "2014-04-15"),
            (2, 10, "2015-10-12"),
            (3, 10, "2017-04-19"),
            (4, 11, "2020-09-27"),
            (5, 10, "2023-11-21"),
        ),
    ),
    Show(19614, "It", "小丑回魂", "It", "en", "1990-11-18", 20.0, _weekly((1, 2, "1990-11-18"))),
    Show(
        57243,
        "Doctor Who",
        "神秘博士",
        "Doctor Who",
        "en",
        "2005-03-26",
        100.0,
        (Season(0, 3, "2005-12-25", names={1: "The Christmas Invasion", 2: "The Runaway Bride"}),)
        + _weekly(*((n, 13 if n != 10 else 12, f"{2004 + n}-04-01") for n in range(1, 14))),
    ),
    Show(
        1434,
        "Breaking Point",
        "临界点",
        "Breaking Point",
        "en",
        "2009-05-05",
        1.5,
        _weekly((1, 6, "2009-05-05")),
    ),
    Show(
        250001,
        "The Last of the Summer",
        "夏日终章",
        "The Last of the Summer",
        "en",
        "2020-06-01",
        0.8,
        _weekly((1, 8, "2020-06-01")),
    ),
    Show(157744, "1923", "1923", "1923", "en", "2022-12-18", 50.0, _weekly((1, 8, "2022-12-18"))),
    # Invented: the series twin of the film "Harbor Lights" (2020).
    Show(
        990002,
        "Harbor Lights",
        "港湾灯火",
        "Harbor Lights",
        "en",
        "2020-09-14",
        8.0,
        _weekly((1, 6, "2020-09-14")),
    ),
    # For the unseen-names corpus: Korean dramas, anime by arc and final season, a daily show.
    Show(
        96648,
        "Sweet Home",
        "甜蜜家园",
        "스위트홈",
        "ko",
        "2020-12-18",
        40.0,
        _weekly((1, 10, "2020-12-18"), (2, 8, "2023-12-01"), (3, 8, "2024-07-19")),
    ),
    Show(
        213026,
        "Moving",
        "异能",
        "무빙",
        "ko",
        "2023-08-09",
        35.0,
        _weekly((1, 20, "2023-08-09")),
    ),
    Show(
        85937,
        "Demon Slayer: Kimetsu no Yaiba",
        "鬼灭之刃",
        "鬼滅の刃",
        "ja",
        "2019-04-06",
        120.0,
        _weekly((1, 26, "2019-04-06"), (2, 18, "2021-10-10"), (3, 11, "2023-04-09"), (4, 8, "2024-05-12")),
        alt=("Kimetsu no Yaiba",),
    ),
    Show(
        1429,
        "Attack on Titan",
        "进击的巨人",
        "進撃の巨人",
        "ja",
        "2013-04-07",
        150.0,
        (Season(0, 8, "2013-07-07", names={1: "Ilse's Notebook"}),)
        + _weekly((1, 25, "2013-04-07"), (2, 12, "2017-04-01"))
        # split seasons: TMDB lists each as one season, its parts months apart (Part 2 of season 3
        # from 2019-04-29; the Final Season's Part 2 from 2022-01-10, then two specials in 2023)
        + (
            Season(3, 22, "2018-07-23", dates=_run_from(13, 10, "2019-04-29")),
            Season(
                4,
                30,
                "2020-12-07",
                dates={**_run_from(17, 12, "2022-01-10"), 29: "2023-03-04", 30: "2023-11-05"},
            ),
        ),
        alt=("Shingeki no Kyojin",),
    ),
    Show(
        61818,
        "Late Night with Seth Meyers",
        "塞斯·梅耶斯深夜秀",
        "Late Night with Seth Meyers",
        "en",
        "2014-02-24",
        20.0,
        tuple(Season(n, 150, f"{2013 + n}-01-06", cadence="daily") for n in range(2, 12))
        + (Season(1, 100, "2014-02-24", cadence="daily"),),
    ),
)


def _load(path: Path) -> tuple[tuple[Movie, ...], tuple[Show, ...]]:
    """The works of a catalogue file in tests/fixtures (the unseen or probe names' truth)."""
    data = json.loads(path.read_text(encoding="utf-8"))

    def season(row: list) -> Season:
        number, count, date, *more = row
        cadence = more[0] if more else "weekly"
        names = {int(k): v for k, v in (more[1] if len(more) > 1 else {}).items()}
        dates = {int(k): v for k, v in (more[2] if len(more) > 2 else {}).items()}
        return Season(number, count, date, cadence, names, dates)

    def common(row: dict) -> dict:
        lists = {key: tuple(row[key]) for key in ("alt", "aka", "countries") if key in row}
        keep = {k: v for k, v in row.items() if k not in (*lists, "genres", "seasons")}
        return {**keep, **lists, "genres": tuple(row.get("genres", (18,)))}

    movies = tuple(Movie(**common(row)) for row in data["movies"])
    shows = tuple(
        Show(**common(row), seasons=tuple(season(s) for s in row["seasons"])) for row in data["shows"]
    )
    return movies, shows


UNSEEN_CATALOGUE = Path(__file__).resolve().parent.parent / "fixtures" / "unseen-catalogue.json"
PROBE_CATALOGUE = UNSEEN_CATALOGUE.with_name("probe-catalogue.json")
for _file in (UNSEEN_CATALOGUE, PROBE_CATALOGUE):
    _movies, _shows = _load(_file)
    MOVIES += _movies
    SHOWS += _shows
for _pool in (MOVIES, SHOWS):  # one entry per id, or the fake would answer two works for one
    _ids = [e.id for e in _pool]
    assert len(_ids) == len(set(_ids)), sorted({i for i in _ids if _ids.count(i) > 1})


def by_id(media_type: str, tmdb_id: int) -> Movie | Show | None:
    """The catalogue entry of that type and id, or None."""
    pool = MOVIES if media_type == "movie" else SHOWS
    return next((e for e in pool if e.id == tmdb_id), None)


def find(media_type: str, en_title: str, year: int | None = None) -> Movie | Show:
    """The entry with this English title (and year): for tests to read the truth by name."""
    pool = MOVIES if media_type == "movie" else SHOWS
    for entry in pool:
        date = entry.release_date if media_type == "movie" else entry.first_air_date
        if entry.en == en_title and (year is None or date[:4] == str(year)):
            return entry
    raise KeyError(f"{media_type} {en_title!r} ({year}) is not in the fake catalogue")
