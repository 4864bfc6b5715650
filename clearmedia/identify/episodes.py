"""Season and episode numbers of a tv file, checked against TMDB's season list.

An episode is linked only where TMDB's season lists it: what the name says (S01E02, a season folder
+ E05) is checked against the season's episode count; absolute numbers (`Show - 63`, or `S01E15`
of a show whose season 1 has 11) are mapped through the seasons; daily shows are found by air
date, specials by their TMDB title or air date; a season the name does not give is not assumed to be 1 when
it names an arc. Anything TMDB does not list is an IdentifyError with the reason.
Show and season answers come from the client's in-process memo, so the files of one season
pack share one show request and one season request.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt

from clearmedia.errors import IdentifyError
from clearmedia.identify.similarity import normalize_title
from clearmedia.identify.types import ParsedName

MAX_SEASONS_FOR_DATE = 4  # season lists fetched at most to find an air date
PART_GAP_DAYS = 45  # a split season's parts air months apart; a holiday break is a week or three


def _season_counts(show: dict) -> dict[int, int]:
    counts: dict[int, int] = {}
    for row in show.get("seasons") or []:
        number = row.get("season_number")
        if isinstance(number, int):
            counts[number] = int(row.get("episode_count") or 0)
    return counts


def _runs(rows: list) -> list[list[int]]:
    """A season's episode numbers in runs that aired without a break of PART_GAP_DAYS (its parts)."""
    dated = sorted(
        (r["episode_number"], str(r.get("air_date") or ""))
        for r in rows
        if isinstance(r.get("episode_number"), int)
    )
    runs: list[list[int]] = []
    last = None
    for number, date in dated:
        try:
            day = _dt.date.fromisoformat(date[:10])
        except ValueError:
            day = None  # not aired yet: it continues the run before it
        if not runs or (day and last and (day - last).days > PART_GAP_DAYS):
            runs.append([])
        runs[-1].append(number)
        last = day or last
    return runs


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


def _verified(name: str, counts: dict[int, int], season: int, episodes) -> tuple[int, tuple[int, ...]]:
    """(season, episodes) when TMDB lists them all; `S01E15` of a show whose season 1 has 11 is an
    absolute number (mapped through the seasons); anything else unlisted raises IdentifyError."""
    episodes = tuple(episodes)
    count = counts.get(season)
    if (
        count is not None
        and episodes
        and max(episodes) <= count
        and min(episodes) >= (0 if season == 0 else 1)
    ):
        return season, episodes
    regular = [n for n in counts if n > 0]
    if season == 1 and count and len(regular) > 1 and min(episodes) > count:
        return _absolute(name, counts, episodes)
    if count is None:
        listed = ", ".join(str(n) for n in sorted(counts)) or "none"
        raise IdentifyError(f'TMDB lists no season {season} of "{name}" (seasons: {listed})')
    shown = "".join(f"E{e:02d}" for e in episodes)
    raise IdentifyError(
        f'TMDB lists {count} episodes in season {season} of "{name}": S{season:02d}{shown} is not one'
    )


def _absolute(name: str, counts: dict[int, int], numbers) -> tuple[int, tuple[int, ...]]:
    """Absolute episode numbers mapped through TMDB's seasons, all in one season that lists them."""
    if not any(n > 0 for n in counts):
        raise IdentifyError(f'TMDB lists no seasons of "{name}" to place episode {numbers[0]} in')
    mapped = [map_absolute(n, counts) for n in numbers]
    season = mapped[0][0]
    if any(s != season for s, _ in mapped) or any(e > counts.get(season, 0) for _, e in mapped):
        total = sum(c for n, c in counts.items() if n > 0)
        raise IdentifyError(
            f'TMDB lists {total} episodes of "{name}" in all; episode {max(numbers)} is not one of them'
        )
    return season, tuple(e for _, e in mapped)


def _either(name: str, counts: dict[int, int], season: int, episode: int, absolute: int) -> tuple:
    """`One.Piece.1071` is S10E71 or the 1071st episode: whichever TMDB lists; both is a guess."""
    found, errors = [], []
    for attempt in (
        lambda: _verified(name, counts, season, (episode,)),
        lambda: _absolute(name, counts, (absolute,)),
    ):
        try:
            found.append(attempt())
        except IdentifyError as error:
            errors.append(error)
    if len(found) == 2 and found[0] != found[1]:
        (s1, e1), (s2, e2) = found
        raise IdentifyError(
            f'"{absolute}" in the name is S{s1:02d}E{e1[0]:02d} of "{name}" or, counted from the start, '
            f"S{s2:02d}E{e2[0]:02d}; TMDB lists both: add the season to the name (S{s2:02d}E{e2[0]:02d})"
        )
    if found:
        return found[0]
    raise errors[0]


class EpisodeResolver:
    """Turns a tv `ParsedName` into (season, episodes) of one TMDB show, every episode one TMDB lists."""

    def __init__(self, client):
        self.client = client

    def resolve(self, tmdb_id: int, parsed: ParsedName) -> tuple[int, tuple[int, ...]]:
        """Given a show id and a parse, return (season, episodes); raise IdentifyError (with the
        reason) when TMDB does not list the episode the name means."""
        show = self.client.tv(tmdb_id) or {}
        counts = _season_counts(show)
        name = show.get("name") or str(tmdb_id)
        if parsed.air_date:
            found = self._by_air_date(tmdb_id, show, parsed.air_date, parsed.season_hint == "special")
            if found:
                return found
            raise IdentifyError(f'TMDB lists no episode of "{name}" that aired on {parsed.air_date}')
        if parsed.season_hint == "special" or parsed.season == 0:
            return self._special(tmdb_id, name, counts, parsed)
        if parsed.part:
            return self._in_part(tmdb_id, name, counts, parsed)
        if parsed.season is not None and len(parsed.episodes) == 1 and parsed.absolute_episode:
            return _either(name, counts, parsed.season, parsed.episodes[0], parsed.absolute_episode)
        if parsed.season is not None:
            if parsed.episodes:
                return _verified(name, counts, parsed.season, parsed.episodes)
            if parsed.absolute_episode:
                episode = self._within_season(parsed.season, parsed.absolute_episode, counts)
                return _verified(name, counts, parsed.season, (episode,))
            return parsed.season, ()
        if parsed.absolute_episode and parsed.season_hint in ("final", "arc"):
            # "Show - Arc-hen - 03": counted within the arc or final season, not from the show's start
            parsed = dataclasses.replace(parsed, episodes=(parsed.absolute_episode,), absolute_episode=None)
        if parsed.absolute_episode:
            return _absolute(name, counts, (parsed.absolute_episode,))
        if parsed.episodes:
            return self._unseasoned(name, counts, parsed)
        return 1, ()

    @staticmethod
    def _unseasoned(name: str, counts: dict[int, int], parsed: ParsedName) -> tuple[int, tuple[int, ...]]:
        """Episode numbers without a season: season 1 only when nothing says otherwise."""
        regular = sorted(n for n in counts if n > 0)
        if parsed.season_hint == "final" and regular:
            last = regular[-1]
            episodes = tuple(EpisodeResolver._within_season(last, e, counts) for e in parsed.episodes)
            return _verified(name, counts, last, episodes)
        if parsed.season_hint == "arc" and len(regular) > 1:
            raise IdentifyError(
                f'the name names an arc of "{name}" but no season, and TMDB lists {len(regular)} seasons: '
                "add the season to the name (S03E05)"
            )
        if len(regular) > 1 and counts.get(1) and max(parsed.episodes) > counts[1]:
            return _absolute(name, counts, parsed.episodes)  # "Show - 15", beyond season 1
        return _verified(name, counts, 1, parsed.episodes)

    def _special(self, tmdb_id: int, name: str, counts, parsed: ParsedName) -> tuple[int, tuple[int, ...]]:
        """A special: the episode TMDB lists in season 0, by its title (or by the number the name gives)."""
        if 0 not in counts:
            raise IdentifyError(f'TMDB lists no specials (season 0) for "{name}"')
        wanted = normalize_title(parsed.episode_title or "")
        if wanted:
            for row in (self.client.season(tmdb_id, 0) or {}).get("episodes") or []:
                title = normalize_title(str(row.get("name") or ""))
                if len(title) >= 4 and title in wanted and isinstance(row.get("episode_number"), int):
                    return 0, (row["episode_number"],)
        if parsed.season == 0 and parsed.episodes:
            return _verified(name, counts, 0, parsed.episodes)
        raise IdentifyError(f'no special of "{name}" on TMDB has the title or air date written in the name')

    def _in_part(self, tmdb_id: int, name: str, counts, parsed: ParsedName) -> tuple[int, tuple[int, ...]]:
        """`Season 3 Part 2 - 05`: TMDB lists one season, a release numbers within its part (S03E17)
        or within the season (S03E05 aired in part 1, so `Part 2 - 17`); the parts are the runs of
        episodes TMDB's air dates show. Both readings possible, or no parts to see: IdentifyError."""
        regular = sorted(n for n in counts if n > 0)
        season = parsed.season if parsed.season is not None else (regular[-1] if regular else 1)
        numbers = parsed.episodes or ((parsed.absolute_episode,) if parsed.absolute_episode else ())
        if not numbers or season not in counts:
            return _verified(name, counts, season, numbers) if numbers else (season, ())
        runs = _runs((self.client.season(tmdb_id, season) or {}).get("episodes") or [])
        part = parsed.part or 1
        if len(runs) < part:
            raise IdentifyError(
                f'the name says part {part} of season {season} of "{name}", but TMDB\'s season {season} '
                f"aired in {len(runs)} run(s): write the episode as TMDB numbers it in the season (S{season:02d}E..)"
            )
        run = runs[part - 1]
        readings = {
            tuple(run[n - 1] if 0 < n <= len(run) else 0 for n in numbers),  # counted from the part's start
            tuple(n if n in run else 0 for n in numbers),  # counted from the season's start
        }
        readings = {r for r in readings if all(r)}
        if len(readings) != 1:
            shown = " or ".join(f"S{season:02d}E{r[0]:02d}" for r in sorted(readings)) or "none"
            raise IdentifyError(
                f'episode {numbers[0]} of part {part} of season {season} of "{name}" is {shown} on TMDB '
                f"(part {part} lists {len(run)}): write the episode as TMDB numbers it (S{season:02d}E..)"
            )
        return _verified(name, counts, season, readings.pop())

    @staticmethod
    def _within_season(season: int, number: int, counts: dict[int, int]) -> int:
        """`Season 2/Show - 15`: 15 counted from the show's start when season 2 has fewer episodes."""
        count = counts.get(season, 0)
        before = sum(c for n, c in counts.items() if 0 < n < season)
        if count and number > count and before < number <= before + count:
            return number - before
        return number

    def _by_air_date(
        self, tmdb_id: int, show: dict, air_date: str, special: bool = False
    ) -> tuple[int, tuple[int, ...]] | None:
        """Find the episode that aired on `air_date`: in the seasons that started nearest that year
        (at most MAX_SEASONS_FOR_DATE of them), then among the specials (season 0) — first, when
        the name calls itself a special."""
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
        ranked = [number for *_, number in sorted(seasons)]
        order = [n for n in ranked if n != 0][:MAX_SEASONS_FOR_DATE]
        if 0 in ranked:
            order = [0, *order] if special else [*order, 0]
        for number in order:
            season = self.client.season(tmdb_id, number) or {}
            hits = [
                e["episode_number"] for e in season.get("episodes") or [] if e.get("air_date") == air_date
            ]
            if hits:
                return number, (hits[0],)
        return None
