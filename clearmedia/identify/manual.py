"""The work an owner forced with `fix`: no search, TMDB's details and (for tv) episode placement.

A single file may carry its season and episodes; the files of a fixed folder take theirs from
their own names (the rule parser's reading), placed through TMDB's seasons like any other file.
"""

from __future__ import annotations

import dataclasses
import re

from clearmedia.errors import IdentifyError
from clearmedia.identify.types import Identification, Match, ParsedName

MANUAL = "manual"


def work_details(client, media_type: str, tmdb_id: int) -> dict | None:
    """TMDB's details of the work (None when TMDB does not know it)."""
    return client.details(media_type, tmdb_id)


def _title_and_year(details: dict, media_type: str) -> tuple[str, int | None]:
    if media_type == "movie":
        title = details.get("title") or details.get("original_title") or ""
        date = details.get("release_date") or ""
    else:
        title = details.get("name") or details.get("original_name") or ""
        date = details.get("first_air_date") or ""
    return title, int(date[:4]) if re.match(r"\d{4}", date) else None


def _reading(relative_path: str, title: str) -> ParsedName:
    """The rule parser's reading of the name (its numbers), or a bare one when it reads nothing."""
    from clearmedia.identify import readable_name
    from clearmedia.identify.rules import parse_name

    try:
        return dataclasses.replace(parse_name(readable_name(relative_path)), parser=MANUAL)
    except IdentifyError:
        return ParsedName(title=title, parser=MANUAL)


def identify_manual(
    identifier,
    relative_path: str,
    media_type: str,
    tmdb_id: int,
    season: int | None = None,
    episodes: tuple[int, ...] = (),
) -> Identification:
    """Given a file and the work chosen for it, return its Identification (source "manual").

    Raise IdentifyError when TMDB does not know the work or a tv file has no episode number;
    TransientError / ServiceConfigError when TMDB cannot be asked now.
    """
    details = work_details(identifier.client, media_type, tmdb_id)
    if details is None:
        raise IdentifyError(f"TMDB has no {media_type}/{tmdb_id} (fix chose it)")
    title, year = _title_and_year(details, media_type)
    parsed = _reading(relative_path, title)
    match = Match(tmdb_id=tmdb_id, media_type=media_type, title=title, year=year, score=1.0)
    if media_type == "tv":
        if episodes and season is not None:  # the owner's numbers, as given (fix checked the season)
            found_season, found = season, tuple(episodes)
        else:
            if episodes:  # episodes without a season: placed through TMDB's seasons
                parsed = ParsedName(title=title, media_type="tv", episodes=tuple(episodes), parser=MANUAL)
            elif season is not None:
                parsed = dataclasses.replace(parsed, season=season)
            found_season, found = identifier.episodes.resolve(tmdb_id, parsed)
        if not found:
            raise IdentifyError(
                f'"{title}" is a TV show, but the name has no episode number: '
                f"fix it with --season S --episode E"
            )
        match = dataclasses.replace(match, season=found_season, episodes=tuple(found))
    identification = Identification(parse=parsed, match=match)
    identification.source = MANUAL  # a field of Identification in newer versions; set either way
    return identification


def manual_identification(identifier, file) -> Identification | None:
    """The Identification of a stored `fix` choice for `file` (a MediaFile), or None when the
    owner made none for it or its folder."""
    from clearmedia.store.overrides import lookup

    choice = lookup(file)
    if choice is None:
        return None
    return identify_manual(
        identifier, file.relative_path, choice.media_type, choice.tmdb_id, choice.season, choice.episodes
    )
