"""Choose the TMDB work a parsed name means: search with fallbacks, score, accept only when confident.

Searches run in TMDB_LANGUAGE, so a result's `title` is already the one library names use and
its `original_title` covers names written in the original language. A name in a third language
(romanized Japanese, an English name of a Chinese film searched in zh-CN) is checked against the
candidate's alternative titles and translations: one details request, which the tv episode check
and the title lookup reuse.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass, field

from loguru import logger

from clearmedia.identify.similarity import (  # noqa: F401  (re-exported)
    PART_OF_TITLE_SCORE,
    _country_tag,
    normalize_title,
    title_similarity,
    versioned_title_similarity,
)
from clearmedia.identify.types import Identification, Match, MediaType, ParsedName

ACCEPT = 0.75  # a candidate scoring at least this is confident
# ...and only when its title itself is this alike: no year or popularity makes "Spirited" (2001)
# "Spirited Away", "One Piece" (2022) "One Piece Film Red", or "Ne Zha" (2025) "Ne Zha 2".
MIN_TITLE_SCORE = 0.85
TITLE_WEIGHT, YEAR_WEIGHT, POPULARITY_WEIGHT = 0.62, 0.30, 0.08
OTHER_TYPE_PENALTY = 0.08  # found only as the other media type than the parser said
MOVIE_FOR_EPISODE_PENALTY = 0.40  # a name with episode numbers is not a movie
ALT_TITLE_CHECKS = 2  # candidates per search whose alternative titles may be fetched
AMBIGUITY_MARGIN = 0.02  # a rival fitting this close (popularity aside) makes the choice a guess
FIRST_FILM_YEAR = 1880


def year_score(wanted: int | None, found: int | None, media_type: str) -> float:
    """1 for the same year; a small penalty one year off; unknown is neutral-ish; far is 0."""
    if wanted is None or found is None:
        return 0.5
    distance = abs(wanted - found)
    if distance == 0:
        return 1.0
    if media_type == "tv" and wanted > found:
        return 0.25  # a later year in a tv name may be a season's: _check_season_years gives it full credit
    return {1: 0.75, 2: 0.15}.get(distance, 0.0)


def popularity_score(popularity: float | None) -> float:
    return min(1.0, math.log10(1.0 + max(0.0, popularity or 0.0)) / 3.0)


def _year_of(date: str | None) -> int | None:
    if date and re.match(r"\d{4}", date):
        return int(date[:4])
    return None


def _confident(cand: Candidate | None) -> bool:
    return cand is not None and cand.score >= ACCEPT and cand.title_score >= MIN_TITLE_SCORE


def _best(pool: dict) -> Candidate | None:
    """The highest-scoring confident candidate, else the highest-scoring one (or None)."""
    ranked = sorted(pool.values(), key=lambda c: c.score, reverse=True)
    return next((c for c in ranked if _confident(c)), ranked[0] if ranked else None)


def _rival(pool: dict, best: Candidate) -> Candidate | None:
    """Another work that fits the name as well as `best` (same title, nothing to tell them apart)."""
    for cand in sorted(pool.values(), key=lambda c: c.fit, reverse=True):
        if cand is best or cand.title_score < MIN_TITLE_SCORE:
            continue
        if cand.fit >= best.fit - AMBIGUITY_MARGIN and cand.score >= ACCEPT - POPULARITY_WEIGHT:
            return cand
    return None


def _shown(cand: Candidate) -> str:
    kind = "film" if cand.media_type == "movie" else "show"
    return f'the {kind} "{cand.title}" ({cand.year or "?"}, tmdb {cand.tmdb_id})'


def _has_episode_numbers(parsed: ParsedName) -> bool:
    return bool(parsed.season is not None or parsed.episodes or parsed.absolute_episode or parsed.air_date)


@dataclass
class Candidate:
    tmdb_id: int
    media_type: MediaType
    title: str  # in TMDB_LANGUAGE
    year: int | None
    popularity: float
    titles: list[str]  # every title it is known by, for comparison
    origin_country: tuple[str, ...] = ()  # TMDB's ISO 3166-1 codes (tv only), e.g. ("GB",)
    score: float = 0.0
    alt_checked: bool = False
    title_score: float = 0.0
    season_years: frozenset[int] | None = None  # tv: the years its seasons started (fetched lazily)
    fit: float = 0.0  # the score without popularity: what tells two works apart on the name's evidence

    def to_dict(self) -> dict:
        return {
            "tmdb_id": self.tmdb_id,
            "media_type": self.media_type,
            "title": self.title,
            "year": self.year,
            "score": round(self.score, 3),
        }


@dataclass
class _Query:
    media_type: MediaType
    title: str
    year: int | None  # what is sent to TMDB
    wanted_year: int | None  # what the score compares against
    other_type: bool = False
    wanted_title: str = ""  # what the score compares against when not `title` ("The Office UK")


@dataclass
class _Plan:
    queries: list[_Query] = field(default_factory=list)

    def add(self, query: _Query) -> None:
        key = (query.media_type, normalize_title(query.title), query.year)
        seen = {(q.media_type, normalize_title(q.title), q.year) for q in self.queries}
        if query.title.strip() and key not in seen:
            self.queries.append(query)


def _titles_and_year(parsed: ParsedName) -> tuple[list[str], int | None, list[str]]:
    """The titles to search, the year to trust, and year-including titles to try last."""
    titles = [t.strip() for t in parsed.titles() if t and t.strip()]
    year = parsed.year
    late: list[str] = []
    this_year = _dt.date.today().year
    if year is not None and not FIRST_FILM_YEAR <= year <= this_year + 2:
        # Not a year: part of the title ("1883", "Blade Runner 2049" read as title + year)
        titles = [f"{t} {year}" for t in titles] or [str(year)]
        year = None
    elif not titles and year is not None:
        titles, year = [str(year)], None  # "1917.1080p.mkv": the number is the title
    elif year is not None:
        for t in titles:
            late += [f"{t} {year}", f"{year} {t}"]  # "2001: A Space Odyssey" read as title + year
    return titles, year, late


class Matcher:
    """Finds the TMDB work for a `ParsedName` using a `TMDBClient`."""

    def __init__(self, client):
        self.client = client

    def plan(self, parsed: ParsedName) -> _Plan:
        """Searches in the order tried: year, year +-1, no year, titles with the year, titles without
        a country ending ("The Office UK": TMDB calls it "The Office"), the other media type.

        Without episode numbers the parser's media type is a guess, so the other type's
        exact-year search comes right after the first one.
        """
        titles, year, late = _titles_and_year(parsed)
        if parsed.air_date:
            year = None  # a daily show's year is the air date's, not the show's
        first: MediaType = parsed.media_type or "movie"
        if _has_episode_numbers(parsed):
            first = "tv"  # episode numbers outweigh a parser's "movie"
        other: MediaType = "movie" if first == "tv" else "tv"
        certain = _has_episode_numbers(parsed)
        plan = _Plan()

        def searches(media_type: MediaType, is_other: bool, years: list[int | None]) -> None:
            for search_year in years:
                for t in titles:
                    plan.add(_Query(media_type, t, search_year, year, is_other))

        if year is not None:
            searches(first, False, [year])
            if not certain:
                searches(other, True, [year])
            searches(first, False, [year - 1, year + 1, None])
        else:
            searches(first, False, [None])
        for t in late:
            plan.add(_Query(first, t, None, None))
        for t in titles:
            tagged = _country_tag(t)
            for search_year in ([year, None] if year is not None else [None]) if tagged else []:
                plan.add(_Query(first, tagged[0], search_year, year, wanted_title=t))
        searches(other, True, [year, year - 1, year + 1, None] if year is not None else [None])
        return plan

    def match(self, parsed: ParsedName) -> Identification:
        """Given a parse, return an Identification whose match is the confident best (or None and a reason)."""
        pool: dict[tuple[str, int], Candidate] = {}
        best: Candidate | None = None
        queries = self.plan(parsed).queries
        query = None
        for query in queries:
            results = self.client.search(query.media_type, query.title, year=query.year)
            found = [self._candidate(r, query.media_type) for r in results]
            for cand in found:
                cand = pool.setdefault((cand.media_type, cand.tmdb_id), cand)
                self._score(cand, parsed, query)
                self._check_season_years(cand, parsed, query)
            best = _best(pool)
            if not _confident(best):
                best = self._check_alternative_titles(pool, found, parsed, query) or best
            if _confident(best):
                break
        if _confident(best) and self._check_rivals(pool, best, parsed, query):
            best = _best(pool)
        ranked = sorted(pool.values(), key=lambda c: c.score, reverse=True)
        candidates = [c.to_dict() for c in ranked[:5]]
        if not _confident(best):
            shown = parsed.title or (parsed.alt_title or "")
            year = f" ({parsed.year})" if parsed.year else ""
            reason = f'no confident TMDB match for "{shown}"{year}'
            logger.info("{} after {} searches (best: {})", reason, len(queries), candidates[:1] or "none")
            return Identification(parse=parsed, match=None, candidates=candidates, reason=reason)
        rival = _rival(pool, best)
        if rival is not None:
            reason = (
                f'two TMDB works fit "{parsed.title}" equally: {_shown(best)} and {_shown(rival)}; '
                f"choose one with `clearmedia fix ID --tmdb {best.media_type}/{best.tmdb_id}` (or "
                f"{rival.media_type}/{rival.tmdb_id}; ID from `clearmedia list`)"
            )
            logger.info(reason)
            return Identification(parse=parsed, match=None, candidates=candidates, reason=reason)
        match = Match(
            tmdb_id=best.tmdb_id,
            media_type=best.media_type,
            title=best.title,  # searches run in TMDB_LANGUAGE: this is the localized title
            year=best.year,
            score=round(best.score, 3),
        )
        return Identification(parse=parsed, match=match, candidates=candidates)

    def match_id(self, parsed: ParsedName, tmdb_id: int) -> Identification:
        """The work with this TMDB id (a movie, or a show when the name has episode numbers)."""
        first: MediaType = "tv" if _has_episode_numbers(parsed) or parsed.media_type == "tv" else "movie"
        for media_type in (first, "movie" if first == "tv" else "tv"):
            details = self.client.details(media_type, tmdb_id)
            if not details or not isinstance(details, dict) or details.get("id") is None:
                continue
            cand = self._candidate(details, media_type)
            match = Match(
                tmdb_id=cand.tmdb_id, media_type=media_type, title=cand.title, year=cand.year, score=1.0
            )
            return Identification(parse=parsed, match=match, candidates=[cand.to_dict()])
        reason = f"TMDB has no movie or show with the id {tmdb_id} written in the path"
        return Identification(parse=parsed, match=None, reason=reason)

    def _check_season_years(self, cand: Candidate, parsed: ParsedName, query: _Query) -> None:
        """A show's year in a name may be a season's: look at the seasons' years before scoring it down."""
        wanted = query.wanted_year
        if (
            cand.media_type != "tv"
            or wanted is None
            or cand.year is None
            or wanted <= cand.year
            or cand.season_years is not None
            or cand.title_score < MIN_TITLE_SCORE
        ):
            return
        details = self.client.details("tv", cand.tmdb_id) or {}
        cand.season_years = frozenset(
            y for y in (_year_of(row.get("air_date")) for row in details.get("seasons") or []) if y
        )
        self._score(cand, parsed, query)

    # -- scoring ---------------------------------------------------------------------------
    @staticmethod
    def _candidate(result: dict, media_type: MediaType) -> Candidate:
        if media_type == "movie":
            title, original, date = (
                result.get("title"),
                result.get("original_title"),
                result.get("release_date"),
            )
        else:
            title, original, date = (
                result.get("name"),
                result.get("original_name"),
                result.get("first_air_date"),
            )
        return Candidate(
            tmdb_id=int(result["id"]),
            media_type=media_type,
            title=title or original or "",
            year=_year_of(date),
            popularity=float(result.get("popularity") or 0.0),
            titles=[t for t in dict.fromkeys((title, original)) if t],
            origin_country=tuple(result.get("origin_country") or ()),
        )

    @staticmethod
    def _score(cand: Candidate, parsed: ParsedName, query: _Query) -> None:
        wanted = [query.wanted_title or query.title, *parsed.titles()]
        title_score = max(
            versioned_title_similarity(w, t, cand.origin_country) for w in wanted for t in cand.titles
        )
        cand.title_score = max(cand.title_score, title_score)
        years = year_score(query.wanted_year, cand.year, cand.media_type)
        if cand.season_years and query.wanted_year in cand.season_years:
            years = 1.0  # "Sweet Home 2023 S02": the season's year
        fit = TITLE_WEIGHT * title_score + YEAR_WEIGHT * years
        if cand.media_type == "movie" and _has_episode_numbers(parsed):
            fit -= MOVIE_FOR_EPISODE_PENALTY
        elif query.other_type and parsed.media_type is not None:
            fit -= OTHER_TYPE_PENALTY
        cand.fit = max(cand.fit, fit)
        cand.score = max(cand.score, fit + POPULARITY_WEIGHT * popularity_score(cand.popularity))

    def _check_rivals(self, pool, best: Candidate, parsed: ParsedName, query: _Query | None) -> bool:
        """Before choosing `best`: TMDB found these other works for the name too, and their titles in
        TMDB_LANGUAGE say nothing (老男孩 is also "Oldboy"). Compare their other titles when,
        so known, they would fit as well as `best`: then the choice is a guess. True if any looked."""
        if query is None:
            return False
        unchecked = [
            c
            for c in pool.values()
            if c is not best
            and not c.alt_checked
            and c.title_score < MIN_TITLE_SCORE
            and _potential(c, parsed, query) >= best.fit - AMBIGUITY_MARGIN
        ]
        unchecked.sort(key=lambda c: c.popularity, reverse=True)
        for cand in unchecked[:ALT_TITLE_CHECKS]:
            self._compare_other_titles(cand, parsed, query)
        return bool(unchecked)

    def _compare_other_titles(self, cand: Candidate, parsed: ParsedName, query: _Query) -> None:
        cand.alt_checked = True
        details = self.client.details(cand.media_type, cand.tmdb_id) or {}
        cand.titles = list(dict.fromkeys(cand.titles + _other_titles(details)))
        cand.origin_country = cand.origin_country or tuple(details.get("origin_country") or ())
        self._score(cand, parsed, query)
        self._check_season_years(cand, parsed, query)

    def _check_alternative_titles(self, pool, found: list[Candidate], parsed: ParsedName, query: _Query):
        """TMDB found these for our title, yet none looks alike: compare their other names too.

        Only candidates whose year fits (or any, when the year is unknown), at most a few.
        """
        fitting = [
            pool[(c.media_type, c.tmdb_id)]
            for c in found
            if query.wanted_year is None
            or year_score(query.wanted_year, c.year, c.media_type) >= 0.75
            or (c.media_type == "tv" and c.year is not None and query.wanted_year > c.year)  # a season's year
        ]
        for cand in [c for c in fitting if not c.alt_checked][:ALT_TITLE_CHECKS]:
            self._compare_other_titles(cand, parsed, query)
        return _best(pool)


def _potential(cand: Candidate, parsed: ParsedName, query: _Query) -> float:
    """The fit `cand` would have if one of its other titles were the name's."""
    wanted = query.wanted_year
    season_year = cand.media_type == "tv" and wanted and cand.year and wanted > cand.year
    fit = TITLE_WEIGHT + YEAR_WEIGHT * (
        1.0 if season_year else year_score(wanted, cand.year, cand.media_type)
    )
    if cand.media_type == "movie" and _has_episode_numbers(parsed):
        fit -= MOVIE_FOR_EPISODE_PENALTY
    elif parsed.media_type is not None and cand.media_type != parsed.media_type:
        fit -= OTHER_TYPE_PENALTY
    return fit


def _other_titles(details: dict) -> list[str]:
    """Alternative titles and translated titles from a details answer (append_to_response)."""
    titles: list[str] = []
    alt = details.get("alternative_titles") or {}
    for row in alt.get("titles") or alt.get("results") or []:
        titles.append(row.get("title") or "")
    for row in (details.get("translations") or {}).get("translations") or []:
        data = row.get("data") or {}
        titles.append(data.get("title") or data.get("name") or "")
    for key in ("title", "name", "original_title", "original_name"):
        titles.append(details.get(key) or "")
    return [t for t in titles if t]
