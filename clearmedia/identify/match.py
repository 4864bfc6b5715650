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
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from loguru import logger

from clearmedia.identify.types import Identification, Match, MediaType, ParsedName

ACCEPT = 0.75  # a candidate scoring at least this is confident
# ...and only when its title itself is this alike: no year or popularity makes "Spirited" (2001)
# "Spirited Away", "One Piece" (2022) "One Piece Film Red", or "Ne Zha" (2025) "Ne Zha 2".
MIN_TITLE_SCORE = 0.85
PART_OF_TITLE_SCORE = 0.8  # at most this alike when one title's words are a few of the other's
TITLE_WEIGHT, YEAR_WEIGHT, POPULARITY_WEIGHT = 0.62, 0.30, 0.08
OTHER_TYPE_PENALTY = 0.08  # found only as the other media type than the parser said
MOVIE_FOR_EPISODE_PENALTY = 0.40  # a name with episode numbers is not a movie
ALT_TITLE_CHECKS = 2  # candidates per search whose alternative titles may be fetched
FIRST_FILM_YEAR = 1880

_ROMAN = {
    "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8", "ix": "9", "x": "10",
    "xi": "11", "xii": "12", "xiii": "13", "xiv": "14", "xv": "15", "xvi": "16", "xvii": "17",
    "xviii": "18", "xix": "19", "xx": "20",
}  # fmt: skip
_ARTICLES = ("the", "a", "an")
_NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
}  # fmt: skip  ("Dune: Part Two" is "Dune Part 2", "Ocean's Eleven" is "Ocean's 11")
_ALIASES = {"volume": "vol", "pt": "part"}
# A country word ending a title names a version of a show: "The Office (UK)" is not "The Office US".
_COUNTRY_TAGS = {"us": "us", "usa": "us", "uk": "uk", "gb": "uk", "au": "au", "nz": "nz", "ca": "ca"}
# TMDB names both versions just "The Office" and tells them apart by origin_country (ISO 3166-1).
_TAG_COUNTRY = {"us": "US", "uk": "GB", "au": "AU", "nz": "NZ", "ca": "CA"}


def _fold_latin(text: str) -> str:
    """Strip accents from Latin letters only (decomposing kana would break them)."""
    out = []
    for char in text:
        if ord(char) < 0x250:
            char = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        out.append(char)
    return "".join(out)


def normalize_title(text: str) -> str:
    """Given a title, return a comparable form: case, width, accents, punctuation, `&`, articles, numerals."""
    text = _fold_latin(unicodedata.normalize("NFKC", text or "")).lower()
    text = text.replace("&", " and ").replace("'", "")
    words = re.sub(r"[\W_]+", " ", text).split()
    words = [_ROMAN.get(w) or _NUMBER_WORDS.get(w) or _ALIASES.get(w, w) for w in words]
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    return " ".join(words)


def title_similarity(a: str, b: str) -> float:
    """0..1: how alike two titles are once normalized; titles with different numbers are kept apart."""
    na, nb = normalize_title(a), normalize_title(b)
    if not na or not nb:
        return 0.0
    if na == nb:
        return 1.0
    ca, cb = na.replace(" ", ""), nb.replace(" ", "")
    if ca == cb:
        return 0.98
    score = SequenceMatcher(None, ca, cb).ratio()
    if sorted(na.split()) == sorted(nb.split()):
        score = max(score, 0.97)
    if set(re.findall(r"\d+", na)) != set(re.findall(r"\d+", nb)):
        score *= 0.7  # "Toy Story" is not "Toy Story 2", "Blade Runner" is not "Blade Runner 2049"
    words_a, words_b = set(na.split()), set(nb.split())
    if words_a < words_b or words_b < words_a:
        score = min(score, PART_OF_TITLE_SCORE)  # "Follows" is not "It Follows", nor "Dune" "Dune Drifter"
    tag_a, tag_b = _COUNTRY_TAGS.get(na.split()[-1]), _COUNTRY_TAGS.get(nb.split()[-1])
    if tag_a and tag_b and tag_a != tag_b:
        score *= 0.7  # "The Office UK" is not "The Office US"
    return score


def _country_tag(title: str) -> tuple[str, str] | None:
    """("The Office", "uk") for "The Office UK"; None without a trailing country word (or only one)."""
    words = normalize_title(title).split()
    tag = _COUNTRY_TAGS.get(words[-1]) if len(words) > 1 else None
    if tag is None:
        return None
    text = unicodedata.normalize("NFKC", title).strip()
    base = re.sub(rf"[\W_]*\b{re.escape(words[-1])}\W*$", "", text, flags=re.IGNORECASE).strip()
    if base == text:  # spelled in a way the pattern misses: the normalized words will do
        base = " ".join(words[:-1])
    return base, tag


def versioned_title_similarity(wanted: str, found: str, origin_country: tuple[str, ...] = ()) -> float:
    """`title_similarity`, with a country ending `wanted` checked against TMDB's origin_country.

    "The Office UK" is the show TMDB calls "The Office" when it comes from GB; a "The Office" from
    elsewhere (or from nowhere known) stays below MIN_TITLE_SCORE: never the US show for a UK name.
    """
    score = title_similarity(wanted, found)
    tagged = _country_tag(wanted)
    if tagged is None or _country_tag(found) is not None:
        return score  # no country asked, or both name one: title_similarity keeps them apart
    base, tag = tagged
    if _TAG_COUNTRY[tag] in origin_country:
        return max(score, title_similarity(base, found))
    return min(score, PART_OF_TITLE_SCORE)


def year_score(wanted: int | None, found: int | None, media_type: str) -> float:
    """1 for the same year; a small penalty one year off; unknown is neutral-ish; far is 0."""
    if wanted is None or found is None:
        return 0.5
    distance = abs(wanted - found)
    if distance == 0:
        return 1.0
    if media_type == "tv" and wanted > found:
        return 0.5  # a later year in a tv name is often the season's year
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
        for query in queries:
            results = self.client.search(query.media_type, query.title, year=query.year)
            found = [self._candidate(r, query.media_type) for r in results]
            for cand in found:
                cand = pool.setdefault((cand.media_type, cand.tmdb_id), cand)
                self._score(cand, parsed, query)
            best = _best(pool)
            if not _confident(best):
                best = self._check_alternative_titles(pool, found, parsed, query) or best
            if _confident(best):
                break
        ranked = sorted(pool.values(), key=lambda c: c.score, reverse=True)
        candidates = [c.to_dict() for c in ranked[:5]]
        if not _confident(best):
            shown = parsed.title or (parsed.alt_title or "")
            year = f" ({parsed.year})" if parsed.year else ""
            reason = f'no confident TMDB match for "{shown}"{year}'
            logger.info("{} after {} searches (best: {})", reason, len(queries), candidates[:1] or "none")
            return Identification(parse=parsed, match=None, candidates=candidates, reason=reason)
        match = Match(
            tmdb_id=best.tmdb_id,
            media_type=best.media_type,
            title=best.title,  # searches run in TMDB_LANGUAGE: this is the localized title
            year=best.year,
            score=round(best.score, 3),
        )
        return Identification(parse=parsed, match=match, candidates=candidates)

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
        score = (
            TITLE_WEIGHT * title_score
            + YEAR_WEIGHT * year_score(query.wanted_year, cand.year, cand.media_type)
            + POPULARITY_WEIGHT * popularity_score(cand.popularity)
        )
        if cand.media_type == "movie" and _has_episode_numbers(parsed):
            score -= MOVIE_FOR_EPISODE_PENALTY
        elif query.other_type and parsed.media_type is not None:
            score -= OTHER_TYPE_PENALTY
        cand.score = max(cand.score, score)

    def _check_alternative_titles(self, pool, found: list[Candidate], parsed: ParsedName, query: _Query):
        """TMDB found these for our title, yet none looks alike: compare their other names too.

        Only candidates whose year fits (or any, when the year is unknown), at most a few.
        """
        fitting = [
            pool[(c.media_type, c.tmdb_id)]
            for c in found
            if year_score(query.wanted_year, c.year, c.media_type) >= 0.75 or query.wanted_year is None
        ]
        fitting = [c for c in fitting if not c.alt_checked][:ALT_TITLE_CHECKS]
        for cand in fitting:
            cand.alt_checked = True
            details = self.client.details(cand.media_type, cand.tmdb_id) or {}
            cand.titles = list(dict.fromkeys(cand.titles + _other_titles(details)))
            cand.origin_country = cand.origin_country or tuple(details.get("origin_country") or ())
            self._score(cand, parsed, query)
        return _best(pool)


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
