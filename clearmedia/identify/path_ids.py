"""A TMDB id written in a folder or file name decides the work: `[tmdbid-603]`, `{tmdbid=603}`,
`tmdbid=603`, `tmdb-603` (Jellyfin's, Plex's and other tools' spellings)."""

from __future__ import annotations

import re

MAX_TMDB_ID = 99_999_999
_ID = re.compile(r"(?<![^\W_])tmdb(?:id)?\s*[-=:_]\s*(\d{1,9})(?!\d)", re.IGNORECASE)


def tmdb_id_in_path(relative_path: str) -> int | None:
    """Given a relative path, return the TMDB id written in it (the deepest one), or None."""
    found = None
    for match in _ID.finditer(relative_path or ""):
        number = int(match.group(1))
        if 0 < number <= MAX_TMDB_ID:
            found = number
    return found


def without_ids(relative_path: str) -> str:
    """The path with its id tags removed (a parser should not read `603` as a number of the work)."""
    text = re.sub(r"[\[{(]\s*tmdb(?:id)?\s*[-=:_]\s*\d{1,9}\s*[\]})]", " ", relative_path, flags=re.I)
    return _ID.sub(" ", text)
