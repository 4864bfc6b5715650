"""CATEGORY_FILE: MoviePilot's category.yaml read with PyYAML; category folders in library paths.

Unit tests of the rules, then the real CLI: `scan` with the shipped example file puts a work of
every default MoviePilot category in its folder, and a malformed file exits 2 naming the line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clearmedia.errors import ConfigError
from clearmedia.library.categories import parse
from tests.fakes.fake_tmdb import FakeTMDB
from tests.fakes.tmdb_catalogue import Movie, Season, Show
from tests.helpers import REPO, base_env, make_video, run_cli

EXAMPLE = REPO / "category.example.yaml"


def example():
    return parse(EXAMPLE.read_text(encoding="utf-8"), EXAMPLE)


def movie(genres=(18,), language="en", countries=("US",), date="2010-01-01") -> dict:
    """TMDB /movie/{id} details: genres as objects, production_countries as objects."""
    return {
        "genres": [{"id": g, "name": str(g)} for g in genres],
        "original_language": language,
        "production_countries": [{"iso_3166_1": c, "name": c} for c in countries],
        "release_date": date,
    }


def tv(genres=(18,), language="en", countries=("US",), date="2010-01-01") -> dict:
    return {
        "genres": [{"id": g, "name": str(g)} for g in genres],
        "original_language": language,
        "origin_country": list(countries),
        "first_air_date": date,
    }


@pytest.mark.parametrize(
    "details, expected",
    [
        (movie(genres=(16, 10751)), "动画电影"),
        (movie(genres=(16,), language="zh", countries=("CN",)), "动画电影"),  # first match wins
        (movie(language="zh", countries=("CN",)), "华语电影"),
        (movie(language="cn", countries=("HK",)), "华语电影"),
        (movie(language="ko", countries=("KR",)), "外语电影"),
        (movie(), "外语电影"),
    ],
)
def test_default_movie_categories(details, expected):
    assert example().category_for("movie", details) == expected


@pytest.mark.parametrize(
    "details, expected",
    [
        (tv(genres=(16,), language="zh", countries=("CN",)), "国漫"),
        (tv(genres=(16, 10759), language="ja", countries=("JP",)), "日番"),
        (tv(genres=(16,), countries=("US",)), "欧美剧"),  # animation from neither CN nor JP: by country
        (tv(genres=(99,), countries=("GB",)), "纪录片"),
        (tv(genres=(10762,), countries=("GB",)), "儿童"),
        (tv(genres=(10764,), language="zh", countries=("CN",)), "综艺"),
        (tv(genres=(10767,)), "综艺"),
        (tv(language="zh", countries=("TW",)), "国产剧"),
        (tv(countries=("GB",)), "欧美剧"),
        (tv(language="ko", countries=("KR",)), "日韩剧"),
        (tv(language="pt", countries=("BR",)), "未分类"),
    ],
)
def test_default_tv_categories(details, expected):
    assert example().category_for("tv", details) == expected


def test_values_may_be_ints_lists_or_comma_text_and_ranges_count_years():
    text = """
movie:
  Old Cartoons:
    genre_ids: 16
    release_year: 1930-1969
  Nineties:
    release_year: '1990-1999,2005'
  French:
    production_countries: [FR, BE]
    original_language: fr
tv:
"""
    categories = parse(text, Path("/x/category.yaml"))
    assert categories.category_for("movie", movie(genres=(16,), date="1950-02-01")) == "Old Cartoons"
    assert categories.category_for("movie", movie(genres=(16,), date="1990-02-01")) == "Nineties"
    assert categories.category_for("movie", movie(date="2005-07-01")) == "Nineties"
    assert categories.category_for("movie", movie(date="")) is None  # no date: no year matches
    # all fields must match: French language, but produced in the US
    assert categories.category_for("movie", movie(language="fr", countries=("US",))) is None
    assert categories.category_for("movie", movie(language="fr", countries=("BE",))) == "French"
    assert categories.category_for("tv", tv()) is None  # an empty tv section: the plain layout
    # search-result style answers carry genre_ids instead of genres
    assert (
        categories.category_for("movie", {"genre_ids": [16], "release_date": "1960-01-01"}) == "Old Cartoons"
    )


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("movie:\n  华语电影:\n    original_language: 'zh\n", None, "not valid YAML"),
        ("movie:\n  A:\n    genre_ids: '16'\n  B: [1, 2]\n", 4, "must hold conditions"),
        ("movie:\n  A:\n    release_year: 'nineties'\n", 3, "release_year"),
        ("movie:\n  A:\n    genre_ids: {a: 1}\n", 3, "genre_ids"),
        ("- movie\n- tv\n", 1, "movie: and tv:"),
        ("music:\n  A:\n", None, "neither a movie: nor a tv:"),
        ("movie:\n  A/B:\n", 2, "folder name"),
    ],
)
def test_malformed_files_name_the_file_and_the_line(text, line, words):
    path = Path("/config/category.yaml")
    with pytest.raises(ConfigError) as caught:
        parse(text, path)
    message = str(caught.value)
    assert message.startswith("CATEGORY_FILE /config/category.yaml")
    assert words in message
    if line is not None:
        assert f"line {line}:" in message


def test_a_yaml_syntax_error_names_its_line():
    with pytest.raises(ConfigError, match=r"line 4: not valid YAML"):
        parse("movie:\n  A:\n    genre_ids: [16\n  B:\n", Path("c.yaml"))


# --- the real CLI ------------------------------------------------------------------------------


def _weekly(count=10, date="2020-01-06"):
    return (Season(1, count, date),)


MOVIES = (
    Movie(91001, "Clay Robots", "泥巴机器人", "Clay Robots", "en", "2015-05-01", 10.0, genres=(16,)),
    Movie(91002, "Mountain River", "山河故人", "山河故人", "zh", "2018-03-01", 10.0),
    Movie(91003, "Quiet Harbor", "静港", "Quiet Harbor", "en", "2012-04-01", 10.0),
)
SHOWS = (
    Show(92001, "Jade Dragon Tales", "玉龙传", "玉龙传", "zh", "2020-01-06", 9.0, _weekly(), genres=(16,)),
    Show(92002, "Sky Blade", "天空之刃", "空の刃", "ja", "2020-01-06", 9.0, _weekly(), genres=(16,)),
    Show(
        92003,
        "Deep Oceans",
        "深海",
        "Deep Oceans",
        "en",
        "2020-01-06",
        9.0,
        _weekly(),
        country="GB",
        genres=(99,),
    ),
    Show(92004, "Puppet Town", "木偶镇", "Puppet Town", "en", "2020-01-06", 9.0, _weekly(), genres=(10762,)),
    Show(92005, "Singing Stars", "歌星", "歌星", "zh", "2020-01-06", 9.0, _weekly(), genres=(10764,)),
    Show(92006, "Late Talk", "深夜谈", "Late Talk", "en", "2020-01-06", 9.0, _weekly(), genres=(10767,)),
    Show(92007, "Palace Winds", "宫廷风云", "宫廷风云", "zh", "2020-01-06", 9.0, _weekly()),
    Show(
        92008, "Harbor Police", "港口警察", "Harbor Police", "en", "2020-01-06", 9.0, _weekly(), country="GB"
    ),
    Show(92009, "Seoul Nights", "首尔之夜", "서울의 밤", "ko", "2020-01-06", 9.0, _weekly()),
    Show(92010, "Rio Streets", "里约街头", "Ruas do Rio", "pt", "2020-01-06", 9.0, _weekly(), country="BR"),
)
#: file name -> the category folder MoviePilot's default file gives it
EXPECTED = {
    "Clay.Robots.2015.1080p.mkv": "Movies/动画电影",
    "Mountain.River.2018.1080p.mkv": "Movies/华语电影",
    "Quiet.Harbor.2012.1080p.mkv": "Movies/外语电影",
    "Jade.Dragon.Tales.S01E01.1080p.mkv": "TV Shows/国漫",
    "Sky.Blade.S01E01.1080p.mkv": "TV Shows/日番",
    "Deep.Oceans.S01E01.1080p.mkv": "TV Shows/纪录片",
    "Puppet.Town.S01E01.1080p.mkv": "TV Shows/儿童",
    "Singing.Stars.S01E01.1080p.mkv": "TV Shows/综艺",
    "Late.Talk.S01E01.1080p.mkv": "TV Shows/综艺",
    "Palace.Winds.S01E01.1080p.mkv": "TV Shows/国产剧",
    "Harbor.Police.S01E01.1080p.mkv": "TV Shows/欧美剧",
    "Seoul.Nights.S01E01.1080p.mkv": "TV Shows/日韩剧",
    "Rio.Streets.S01E01.1080p.mkv": "TV Shows/未分类",
}


def test_scan_files_every_default_moviepilot_category_into_its_folder(tmp_path):
    with FakeTMDB(movies=MOVIES, shows=SHOWS) as tmdb:
        env = base_env(tmp_path, TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US", CATEGORY_FILE=str(EXAMPLE))
        for name in EXPECTED:
            make_video(tmp_path / "downloads" / name)
        result = run_cli("scan", env=env)
        assert result.returncode == 0, result.stderr
        listed = json.loads(run_cli("list", "--json", env=env).stdout)
    library = tmp_path / "library"
    by_name = {Path(row["path"]).name: row for row in listed}
    for name, folder in EXPECTED.items():
        row = by_name[name]
        assert row["status"] == "COMPLETED", (name, row["error"])
        relative = Path(row["target"]).relative_to(library)
        assert (
            str(relative.parent.parent if row["media_type"] == "movie" else relative.parents[2]) == folder
        ), (
            name,
            relative,
        )
    assert (
        library / "Movies" / "华语电影" / "Mountain River (2018) [tmdbid-91002]" / "Mountain River (2018).mkv"
    ).exists()
    assert (
        library
        / "TV Shows"
        / "日番"
        / "Sky Blade (2020) [tmdbid-92002]"
        / "Season 01"
        / "Sky Blade S01E01.mkv"
    ).exists()


def test_without_a_matching_category_the_plain_layout_is_kept(tmp_path):
    categories = tmp_path / "category.yaml"
    categories.write_text("movie:\n  动画电影:\n    genre_ids: '16'\n", encoding="utf-8")
    with FakeTMDB(movies=MOVIES, shows=SHOWS) as tmdb:
        env = base_env(tmp_path, TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US", CATEGORY_FILE=str(categories))
        make_video(tmp_path / "downloads" / "Quiet.Harbor.2012.1080p.mkv")
        make_video(tmp_path / "downloads" / "Clay.Robots.2015.1080p.mkv")
        assert run_cli("scan", env=env).returncode == 0
    library = tmp_path / "library"
    assert (library / "Movies" / "Quiet Harbor (2012) [tmdbid-91003]" / "Quiet Harbor (2012).mkv").exists()
    assert (
        library / "Movies" / "动画电影" / "Clay Robots (2015) [tmdbid-91001]" / "Clay Robots (2015).mkv"
    ).exists()


@pytest.mark.parametrize("command", ["status", "scan", "list"])
def test_a_malformed_category_file_exits_2_naming_it_and_the_line(tmp_path, command):
    categories = tmp_path / "category.yaml"
    categories.write_text(
        "movie:\n  华语电影:\n    original_language: 'zh,cn\n  外语电影:\n", encoding="utf-8"
    )
    make_video(tmp_path / "downloads" / "Quiet.Harbor.2012.1080p.mkv")
    env = base_env(tmp_path, CATEGORY_FILE=str(categories))
    result = run_cli(command, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"CATEGORY_FILE {categories}, line" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list((tmp_path / "library").rglob("*"))


def test_identify_shows_the_category_folder_in_its_target(tmp_path):
    with FakeTMDB(movies=MOVIES, shows=SHOWS) as tmdb:
        env = base_env(tmp_path, TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US", CATEGORY_FILE=str(EXAMPLE))
        result = run_cli("identify", "Sky.Blade.S01E02.1080p.mkv", "--json", env=env)
    assert result.returncode == 0, result.stderr
    target = json.loads(result.stdout)["target"]
    assert target == str(
        tmp_path / "library/TV Shows/日番/Sky Blade (2020) [tmdbid-92002]/Season 01/Sky Blade S01E02.mkv"
    )
