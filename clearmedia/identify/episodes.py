"""Season and episode numbers of a tv file, checked against TMDB's season list.

What the name says explicitly (S01E02, 1x02, a season folder + E05) is never contradicted: TMDB
may lag behind a show that is airing. TMDB is used to turn what the name does not say into
numbers: anime absolute numbers, daily shows' air dates, a missing season.
Show and season answers come from the client's in-process memo, so the files of one season
pack share one show request and one season request.
"""

from __future__ import annotations

from loguru import logger

from clearmedia.errors import IdentifyError
from clearmedia.identify.types import ParsedName

MAX_SEASONS_FOR_DATE = 4  # season lists fetched at most to find an air date


def _season_counts(show: dict) -> dict[int, int]:
    counts: dict[int, int] = {}
    for row in show.get("seasons") or []:
        number = row.get("season_number")
        if isinstance(number, int):
            counts[number] = int(row.get("episode_count") or 0)
    return counts


def map_absolute(absolute: int, counts: dict[int, int]) -> tuple[int, int]:
    """Given an absolute episode number and episodes per season, return (season, episode).

    Specials (season 0) are skipped. Past the last listed episode, the last season continues
    (TMDB lags behind airing shows). Without any season list: season 1.
    """
    regular = sorted(n for n in counts if n > 0)
    before = 0
    for number in regular:
        if absolute <= before + counts[number]:
            return number, absolute - before
        before += counts[number]
    if not regular:
        return 1, absolute
    last = regular[-1]
    return last, absolute - (before - counts[last])


class EpisodeResolver:
    """Turns a tv `ParsedName` into (season, episodes) for one TMDB show."""

    def __init__(self, client):
        self.client = client

    def resolve(self, tmdb_id: int, parsed: ParsedName) -> tuple[int, tuple[int, ...]]:
        """Given a show id and a parse, return (season, episodes); raise IdentifyError if unplaceable."""
        show = self.client.tv(tmdb_id) or {}
        counts = _season_counts(show)
        name = show.get("name") or str(tmdb_id)
        if parsed.air_date:
            found = self._by_air_date(tmdb_id, show, parsed.air_date)
            if found:
                return found
            if parsed.season is not None and parsed.episodes:
                return parsed.season, tuple(parsed.episodes)
            raise IdentifyError(f'TMDB lists no episode of "{name}" that aired on {parsed.air_date}')
        if parsed.season is not None:
            if parsed.episodes:
                self._note_unlisted(name, counts, parsed.season, parsed.episodes)
                return parsed.season, tuple(parsed.episodes)
            if parsed.absolute_episode:
                return parsed.season, (self._within_season(parsed.season, parsed.absolute_episode, counts),)
            return parsed.season, ()
        if parsed.absolute_episode:
            season, episode = map_absolute(parsed.absolute_episode, counts)
            return season, (episode,)
        if parsed.episodes:
            first_count = counts.get(1, 0)
            regular = [n for n in counts if n > 0]
            if len(regular) > 1 and first_count and max(parsed.episodes) > first_count:
                # "Show - 15" with no season, beyond season 1: an absolute number
                mapped = [map_absolute(e, counts) for e in parsed.episodes]
                season = mapped[0][0]
                return season, tuple(e for s, e in mapped if s == season)
            return 1, tuple(parsed.episodes)
        return 1, ()

    @staticmethod
    def _within_season(season: int, number: int, counts: dict[int, int]) -> int:
        """`Season 2/Show - 15`: 15 counted from the show's start when season 2 has fewer episodes."""
        count = counts.get(season, 0)
        before = sum(c for n, c in counts.items() if 0 < n < season)
        if count and number > count and before < number <= before + count:
            return number - before
        return number

    @staticmethod
    def _note_unlisted(name: str, counts: dict[int, int], season: int, episodes) -> None:
        count = counts.get(season)
        if count is not None and max(episodes) > count:
            logger.info(
                'TMDB lists {} episodes in season {} of "{}"; keeping E{:02d} from the name (TMDB may lag)',
                count,
                season,
                name,
                max(episodes),
            )

    def _by_air_date(self, tmdb_id: int, show: dict, air_date: str) -> tuple[int, tuple[int, ...]] | None:
        """Find the episode that aired on `air_date`, looking first at the season that started that year."""
        year = int(air_date[:4]) if air_date[:4].isdigit() else None
        seasons = []
        for row in show.get("seasons") or []:
            start = row.get("air_date") or ""
            number = row.get("season_number")
            if not isinstance(number, int) or (start and start > air_date):
                continue
            start_year = int(start[:4]) if start[:4].isdigit() else None
            if year is None or start_year is None:
                rank = 3
            elif start_year == year:
                rank = 0
            elif start_year == year - 1:
                rank = 1
            else:
                rank = 2
            seasons.append((rank, number == 0, -(start_year or 0), number))
        for *_, number in sorted(seasons)[:MAX_SEASONS_FOR_DATE]:
            season = self.client.season(tmdb_id, number) or {}
            hits = [
                e["episode_number"] for e in season.get("episodes") or [] if e.get("air_date") == air_date
            ]
            if hits:
                return number, (hits[0],)
        return None
