"""Extras are IGNORED by name (BD menus, NCOP/NCED, PV, CM, previews, tokuten, bonus) and no library
name starts with a dot (media servers hide such names)."""

from __future__ import annotations

import pytest

from clearmedia.discover.rules import folder_reason, name_reason
from clearmedia.identify.types import Match
from clearmedia.library.naming import render_relative, sanitize_component


@pytest.mark.parametrize(
    "stem",
    [
        "[VCB-Studio] Bocchi the Rock! [Menu01][Ma10p_1080p]",
        "[VCB-Studio] Bocchi the Rock! [Menu][Ma10p_1080p]",
        "[Group] Show - NCOP1 [1080p]",
        "[Group] Show [NCED][1080p]",
        "[Group] Show - PV2",
        "[Group] Show [CM01][1080p]",
        "[Group] Show - Preview 03",
        "[Sub] Show [Tokuten][1080p]",
        "[Sub] Show [Bonus]",
        "[Sub] 孤独摇滚 特典映像 01",
    ],
)
def test_extras_are_ignored_with_a_reason(stem):
    assert name_reason(stem.lower().encode()) is not None


@pytest.mark.parametrize(
    "stem",
    [
        "Show.S01E03.Bonus.Round.1080p",
        "Bonus.Family.2020.1080p",
        "The.PV.Story.2020",
        "[Group] CMB Show - 01",
    ],
)
def test_titles_with_those_words_are_not_extras(stem):
    assert name_reason(stem.lower().encode()) is None


@pytest.mark.parametrize(
    "folder", [b"Menu", b"Menus", b"NCOP", b"PV", b"CM", b"Tokuten", b"Bonus", "特典".encode()]
)
def test_extras_folders(folder):
    assert folder_reason(folder) is not None


@pytest.mark.parametrize(
    "title", [".hack//Sign", "...And Justice for All", "\u200b.hack", "\u3000.hack", " . .Title"]
)
def test_no_library_name_starts_with_a_dot(title):
    assert not sanitize_component(title).startswith(".")
    for media_type, season, episodes in (("movie", None, ()), ("tv", 1, (1,))):
        match = Match(1, media_type, title, 2002, 1.0, season, episodes)
        template = "{title} ({year})/{title} ({year}){ext}"
        if media_type == "tv":
            template = "{title}/Season {season:02d}/{title} S{season:02d}E{episode:02d}{ext}"
        for component in render_relative(template, match, ".mkv"):
            assert not component.lstrip("\u200b\u3000 ").startswith("."), component
