"""A later season written as a numeral after an anime's title: `[DHR] Overlord II - 05`, `… 100 II - 03`.

TMDB lists "Overlord" as one show with seasons 1-4, so "Overlord II" finds nothing confident. Only
then, and only for a name with an episode number and no season of its own, is the title searched
again without the numeral and the numeral read as the season. The episode must still be one TMDB
lists in that season (the EpisodeResolver checks), so "Overlord V - 05" or "Overlord II - 15" FAIL.
Films whose numeral is their title ("Rocky II", "The Godfather Part II") carry no episode number
and are never read this way; a show whose TMDB title ends in the numeral is found as written first.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata

from clearmedia.identify.types import ParsedName

_NUMERALS = {"II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}
# "Overlord II", "OVERLORD Ⅳ" (NFKC makes Ⅳ "IV"); upper case only: "Xi" or "Vi" are words.
_TRAILING = re.compile(r"^(?P<base>.+?)[\s._-]+(?P<numeral>[IVX]{1,4}|[2-9])$")  # "Mob Psycho 100 2" too
# "Part II", "Vol. III", "Chapter IV": a part of a work, not a season.
_NOT_SEASON = re.compile(r"(?i)(?:^|[\s._-])(?:part|pt|vol|volume|chapter|episode|ep|act|book)[.\s]*$")


def split_numeral(title: str | None) -> tuple[str, int] | None:
    """("Overlord", 2) for "Overlord II" or "Overlord 2"; None when the title does not end in a
    numeral II-X (or a digit 2-9) after some words, or the numeral numbers a part, a volume or a chapter."""
    text = unicodedata.normalize("NFKC", title or "").strip()
    found = _TRAILING.match(text)
    if found is None or not (found.group("numeral") in _NUMERALS or found.group("numeral").isdigit()):
        return None
    base = found.group("base").strip(" ._-:：")
    if not any(c.isalpha() for c in base) or _NOT_SEASON.search(base):
        return None
    numeral = found.group("numeral")
    return base, int(numeral) if numeral.isdigit() else _NUMERALS[numeral]


def season_reading(parsed: ParsedName, season_stated: bool) -> ParsedName | None:
    """The parse with the title's numeral read as the season, or None when that reading does not
    apply: a film, a season or air date the name states, no episode number, no numeral."""
    if season_stated or parsed.air_date or parsed.media_type == "movie" or parsed.season == 0:
        return None
    episodes = parsed.episodes or ((parsed.absolute_episode,) if parsed.absolute_episode else ())
    split = split_numeral(parsed.title)
    if not episodes or split is None:
        return None
    base, season = split

    def stripped(title: str | None) -> str | None:
        other = split_numeral(title)
        return other[0] if other and other[1] == season else title

    return dataclasses.replace(
        parsed,
        title=base,
        alt_title=stripped(parsed.alt_title),
        known_titles=tuple(t for t in map(stripped, parsed.known_titles) if t),
        other_titles=tuple(t for t in map(stripped, parsed.other_titles) if t),
        media_type="tv",
        season=season,
        episodes=tuple(episodes),
        absolute_episode=None,
        season_hint=None,
    )
