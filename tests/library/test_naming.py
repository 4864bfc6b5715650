"""clearmedia.library.naming: presets, templates, sanitizing, and confinement to TARGET_DIR."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clearmedia.config import load_settings
from clearmedia.errors import ConfigError, NamingError
from clearmedia.identify.types import Match
from clearmedia.library.naming import library_path, sanitize_component, validate_template
from tests.helpers import base_env


def settings_for(tmp_path: Path, **overrides: str):
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    return load_settings(env_file, require_library=True, environ=base_env(tmp_path, **overrides))


def movie(title="Blade Runner 2049", year=2017, tmdb_id=335984):
    return Match(tmdb_id=tmdb_id, media_type="movie", title=title, year=year, score=1.0)


def episode(title="Breaking Bad", year=2008, tmdb_id=1396, season=1, episodes=(1,)):
    return Match(
        tmdb_id=tmdb_id, media_type="tv", title=title, year=year, score=1.0, season=season, episodes=episodes
    )


def rel(settings, match, ext=".mkv") -> str:
    path = library_path(settings, match, ext)
    assert path.is_absolute()
    return str(path.relative_to(settings.target_dir))


def assert_inside(settings, path: Path) -> None:
    root = os.path.realpath(settings.target_dir)
    assert os.path.commonpath([root, os.path.realpath(path)]) == root
    assert os.path.realpath(path) != root


# ---------------------------------------------------------------- presets

PRESET_CASES = {
    "jellyfin": [
        (movie(), "Movies/Blade Runner 2049 (2017) [tmdbid-335984]/Blade Runner 2049 (2017).mkv"),
        (episode(), "TV Shows/Breaking Bad (2008) [tmdbid-1396]/Season 01/Breaking Bad S01E01.mkv"),
        (
            episode(episodes=(1, 2)),
            "TV Shows/Breaking Bad (2008) [tmdbid-1396]/Season 01/Breaking Bad S01E01-E02.mkv",
        ),
        (
            episode(episodes=(3, 1, 2)),
            "TV Shows/Breaking Bad (2008) [tmdbid-1396]/Season 01/Breaking Bad S01E01-E03.mkv",
        ),
        (
            episode(season=0, episodes=(5,)),
            "TV Shows/Breaking Bad (2008) [tmdbid-1396]/Season 00/Breaking Bad S00E05.mkv",
        ),
        (
            episode(season=12, episodes=(105,)),
            "TV Shows/Breaking Bad (2008) [tmdbid-1396]/Season 12/Breaking Bad S12E105.mkv",
        ),
        (movie(year=None), "Movies/Blade Runner 2049 [tmdbid-335984]/Blade Runner 2049.mkv"),
        (episode(year=None), "TV Shows/Breaking Bad [tmdbid-1396]/Season 01/Breaking Bad S01E01.mkv"),
    ],
    "plex": [
        (movie(), "Movies/Blade Runner 2049 (2017) {tmdb-335984}/Blade Runner 2049 (2017).mkv"),
        (episode(), "TV Shows/Breaking Bad (2008) {tmdb-1396}/Season 01/Breaking Bad (2008) - s01e01.mkv"),
        (
            episode(episodes=(2, 3)),
            "TV Shows/Breaking Bad (2008) {tmdb-1396}/Season 01/Breaking Bad (2008) - s01e02-e03.mkv",
        ),
        (
            episode(episodes=(1, 2, 3, 4)),
            "TV Shows/Breaking Bad (2008) {tmdb-1396}/Season 01/Breaking Bad (2008) - s01e01-e04.mkv",
        ),
        (
            episode(season=0),
            "TV Shows/Breaking Bad (2008) {tmdb-1396}/Season 00/Breaking Bad (2008) - s00e01.mkv",
        ),
        (movie(year=None), "Movies/Blade Runner 2049 {tmdb-335984}/Blade Runner 2049.mkv"),
        (episode(year=None), "TV Shows/Breaking Bad {tmdb-1396}/Season 01/Breaking Bad - s01e01.mkv"),
    ],
    "emby": [
        (movie(), "Movies/Blade Runner 2049 (2017) [tmdbid=335984]/Blade Runner 2049 (2017).mkv"),
        (episode(), "TV Shows/Breaking Bad (2008) [tmdbid=1396]/Season 01/Breaking Bad S01E01.mkv"),
        (
            episode(episodes=(1, 2)),
            "TV Shows/Breaking Bad (2008) [tmdbid=1396]/Season 01/Breaking Bad S01E01-E02.mkv",
        ),
        (
            episode(episodes=(1, 2, 3)),
            "TV Shows/Breaking Bad (2008) [tmdbid=1396]/Season 01/Breaking Bad S01E01-E03.mkv",
        ),
        (episode(season=0), "TV Shows/Breaking Bad (2008) [tmdbid=1396]/Season 00/Breaking Bad S00E01.mkv"),
        (movie(year=None), "Movies/Blade Runner 2049 [tmdbid=335984]/Blade Runner 2049.mkv"),
    ],
}


@pytest.mark.parametrize(
    ("naming", "match", "expected"),
    [(naming, match, expected) for naming, cases in PRESET_CASES.items() for match, expected in cases],
)
def test_presets(tmp_path, naming, match, expected):
    settings = settings_for(tmp_path, NAMING=naming)
    assert rel(settings, match) == expected


def test_jellyfin_is_the_default_and_the_path_is_absolute_under_target(tmp_path):
    settings = settings_for(tmp_path)
    path = library_path(settings, movie(), ".mkv")
    assert path.parent.parent.parent == settings.target_dir
    assert rel(settings, movie()).startswith("Movies/")


def test_extension_is_lowercased_and_checked(tmp_path):
    settings = settings_for(tmp_path)
    assert library_path(settings, movie(), ".MKV").name == "Blade Runner 2049 (2017).mkv"
    assert library_path(settings, movie(), "mp4").suffix == ".mp4"
    for bad in ("", ".", "./x", ".mk/v", ".a b", "../mkv"):
        with pytest.raises(NamingError):
            library_path(settings, movie(), bad)


def test_chinese_titles_are_kept(tmp_path):
    settings = settings_for(tmp_path)
    assert (
        rel(settings, episode(title="绝命毒师"))
        == "TV Shows/绝命毒师 (2008) [tmdbid-1396]/Season 01/绝命毒师 S01E01.mkv"
    )
    assert rel(settings, movie(title="星球大战：新希望", year=1977, tmdb_id=11)) == (
        "Movies/星球大战：新希望 (1977) [tmdbid-11]/星球大战：新希望 (1977).mkv"
    )


# ---------------------------------------------------------------- custom templates


def test_custom_templates_override_the_preset(tmp_path):
    settings = settings_for(
        tmp_path,
        NAMING="plex",
        MOVIE_TEMPLATE="Films/{title} [{year}]/{title}.{tmdb_id}{ext}",
        EPISODE_TEMPLATE="Series/{title}/S{season}/{title} {season}x{episode:02}",
    )
    assert rel(settings, movie()) == "Films/Blade Runner 2049 [2017]/Blade Runner 2049.335984.mkv"
    assert rel(settings, episode(season=2, episodes=(5,))) == "Series/Breaking Bad/S2/Breaking Bad 2x05.mkv"
    assert (
        rel(settings, episode(season=2, episodes=(5, 6)))
        == "Series/Breaking Bad/S2/Breaking Bad 2x05-x06.mkv"
    )
    assert rel(settings, movie(year=None)) == "Films/Blade Runner 2049/Blade Runner 2049.335984.mkv"


def test_template_with_episode_last_controls_the_range_itself(tmp_path):
    settings = settings_for(tmp_path, EPISODE_TEMPLATE="{title}/{title} E{episode:03}~{episode_last:03}{ext}")
    assert rel(settings, episode(episodes=(7, 8, 9))) == "Breaking Bad/Breaking Bad E007~009.mkv"
    assert rel(settings, episode(episodes=(7,))) == "Breaking Bad/Breaking Bad E007~007.mkv"


def test_year_only_folder_disappears_without_a_year(tmp_path):
    settings = settings_for(tmp_path, MOVIE_TEMPLATE="{year}/{title} - {year}")
    assert rel(settings, movie()) == "2017/Blade Runner 2049 - 2017.mkv"
    assert rel(settings, movie(year=None)) == "Blade Runner 2049.mkv"


@pytest.mark.parametrize(
    ("template", "kind", "words"),
    [
        ("", None, "empty"),
        ("{nonsense}/{title}", None, "unknown field {nonsense}"),
        ("{title.__class__.__init__}", None, "unknown field"),
        ("{title[0]}", None, "unknown field"),
        ("{title!r}", None, "conversion"),
        ("{title:d}", None, "bad format spec"),
        ("{season:q}", "episode", "bad format spec"),
        ("{title:>100000000}", None, "width"),
        ("{title:{year}}", None, "nested"),
        ("{title", None, "braces"),
        ("{title}}", None, "braces"),
        ("/srv/{title}", None, "relative"),
        ("C:/{title}", None, "relative"),
        ("../{title}", None, "'..'"),
        ("Movies/../../{title}", None, "'..'"),
        ("./{title}", None, "'.'"),
        ("Movies//{title}", None, "empty folder"),
        ("Movies\\{title}", None, "use /"),
        ("{title}{ext}/more", None, "{ext} must come last"),
        ("Movies/{year}", None, "{title}"),
        ("{title} S{season:02}", "movie", "only for episodes"),
        ("{title} S{season:02}", "episode", "{episode}"),
    ],
)
def test_validate_template_problems(template, kind, words):
    problem = validate_template(template, kind=kind)
    assert problem is not None and words in problem, problem


@pytest.mark.parametrize(
    "template",
    [
        "{title} ({year})/{title}{ext}",
        "{title}",
        "Movies/{title} ({year}) {{tmdb-{tmdb_id}}}/{title} ({year}){ext}",
        "TV/{title}/Season {season:02}/{title} S{season:02}E{episode:02}",
        "{tmdb_id:>08}/{title:.40}",
    ],
)
def test_validate_template_accepts_good_templates(template):
    assert validate_template(template) is None


def test_bad_template_in_settings_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="EPISODE_TEMPLATE.*{episode}"):
        settings_for(tmp_path, EPISODE_TEMPLATE="{title}/Season {season}/{title}")
    with pytest.raises(ConfigError, match="MOVIE_TEMPLATE.*'\\.\\.'"):
        settings_for(tmp_path, MOVIE_TEMPLATE="../{title}")


# ---------------------------------------------------------------- characters


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("2001: A Space Odyssey", "2001 - A Space Odyssey"),
        ("Mission: Impossible - Fallout", "Mission - Impossible - Fallout"),
        ("Re:Zero", "Re-Zero"),
        ("Ending colon:", "Ending colon"),
        ('What? "Why" <Not> a|b*c', "What Why Not abc"),
        ("Face/Off", "FaceOff"),
        ("AC\\DC", "ACDC"),
        ("Tab\there\nnewline\r\nend", "Tab here newline end"),
        ("Bell\x07 and \x00null\x1f\x7f", "Bell and null"),
        ("Many     spaces", "Many spaces"),
        ("Trailing dots...", "Trailing dots"),
        ("Trailing space   ", "Trailing space"),
        ("...And Justice for All", "And Justice for All"),
        ("CON", "CON_"),
        ("Amélie", "Amélie"),
        ("Ame\u0301lie", "Amélie"),  # NFD → NFC
    ],
)
def test_sanitize_component(title, expected):
    assert sanitize_component(title) == expected


@pytest.mark.parametrize("title", ["", "   ", "...", "..", ".", "/", "?*:", "\x00\x01", "/.."])
def test_sanitize_component_refuses_nothing_left(title):
    with pytest.raises(NamingError):
        sanitize_component(title)


def test_titles_are_sanitized_in_every_component(tmp_path):
    settings = settings_for(tmp_path)
    path = rel(settings, movie(title='2001: A "Space" Odyssey?  ', year=1968, tmdb_id=62))
    assert path == "Movies/2001 - A Space Odyssey (1968) [tmdbid-62]/2001 - A Space Odyssey (1968).mkv"
    assert rel(settings, movie(title="Amélie.", year=None)) == "Movies/Amélie [tmdbid-335984]/Amélie.mkv"


@pytest.mark.parametrize("title", ["A" * 300, "长" * 300, "é" * 300, "🎬" * 300])
def test_long_titles_fit_in_255_bytes_per_component(tmp_path, title):
    settings = settings_for(tmp_path)
    for match in (movie(title=title), episode(title=title, episodes=(1, 2))):
        path = library_path(settings, match, ".mkv")
        parts = path.relative_to(settings.target_dir).parts
        assert all(len(p.encode("utf-8")) <= 255 for p in parts), [len(p.encode()) for p in parts]
        assert parts[1].endswith(f"[tmdbid-{match.tmdb_id}]")
        assert path.suffix == ".mkv"
        if match.media_type == "tv":
            assert path.stem.endswith("S01E01-E02")
        # the file can really be created, the name leaves room for subtitle tags
        path.parent.mkdir(parents=True, exist_ok=True)
        path.with_name(path.stem + ".zh-TW.forced.12.sup").write_bytes(b"")
        path.write_bytes(b"")


# ---------------------------------------------------------------- hostile text stays inside TARGET_DIR

HOSTILE = [
    "../../etc",
    "/etc/passwd",
    "..",
    ".",
    "...",
    "....",
    "../..",
    "..\\..\\x",
    "~/x",
    "$HOME",
    "/",
    "a/../../b",
]


@pytest.mark.parametrize("title", HOSTILE)
@pytest.mark.parametrize("naming", ["jellyfin", "plex", "emby"])
def test_hostile_titles_end_inside_target_or_raise(tmp_path, title, naming):
    settings = settings_for(tmp_path, NAMING=naming)
    for match in (movie(title=title), movie(title=title, year=None), episode(title=title)):
        try:
            path = library_path(settings, match, ".mkv")
        except NamingError:
            continue
        assert_inside(settings, path)
        assert ".." not in path.relative_to(settings.target_dir).parts


@pytest.mark.parametrize("title", ["../../x", "/etc/passwd", "..", "x/../../../y"])
def test_bare_title_template_cannot_escape(tmp_path, title):
    settings = settings_for(tmp_path, MOVIE_TEMPLATE="{title}", EPISODE_TEMPLATE="{title}/{title} {episode}")
    for match in (movie(title=title), episode(title=title)):
        try:
            path = library_path(settings, match, ".mkv")
        except NamingError:
            continue
        assert_inside(settings, path)
        assert len(path.relative_to(settings.target_dir).parts) == (1 if match.media_type == "movie" else 2)


def test_title_of_only_dots_is_a_naming_error(tmp_path):
    settings = settings_for(tmp_path)
    with pytest.raises(NamingError, match="title"):
        library_path(settings, movie(title="...."), ".mkv")
    with pytest.raises(NamingError):
        library_path(settings, movie(title=""), ".mkv")


def test_symlinked_folder_leading_out_of_target_is_refused(tmp_path):
    settings = settings_for(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (settings.target_dir / "Movies").symlink_to(outside)
    with pytest.raises(NamingError, match="would leave TARGET_DIR"):
        library_path(settings, movie(), ".mkv")
    assert list(outside.iterdir()) == []


def test_symlinked_folder_inside_target_is_fine(tmp_path):
    settings = settings_for(tmp_path)
    (settings.target_dir / "store").mkdir()
    (settings.target_dir / "Movies").symlink_to(settings.target_dir / "store")
    path = library_path(settings, movie(), ".mkv")
    assert_inside(settings, path)


def test_dangling_symlink_at_the_file_name_is_not_a_naming_error(tmp_path):
    """The link is made *at* the name; a symlink there is the linker's CONFLICT, not ours."""
    settings = settings_for(tmp_path)
    path = library_path(settings, movie(), ".mkv")
    path.parent.mkdir(parents=True)
    path.symlink_to("/etc/passwd")
    assert library_path(settings, movie(), ".mkv") == path


def test_episode_without_season_or_episode_is_a_naming_error(tmp_path):
    settings = settings_for(tmp_path)
    with pytest.raises(NamingError):
        library_path(settings, episode(season=None), ".mkv")
    with pytest.raises(NamingError):
        library_path(settings, episode(episodes=()), ".mkv")
