"""Validation of a parse answer (from the LLM or guessit) into a `ParsedName`.

Given the loose JSON an LLM returns — or the dict the rules parser builds — return a `ParsedName`
whose every field has the right type and a sane range; raise `AnswerError` with a short reason if
the answer cannot be used. Nothing outside this module trusts a parser's raw output.
"""

from __future__ import annotations

import datetime
import json
import re
import unicodedata
from typing import Any

from clearmedia.identify.types import ParsedName

MAX_TITLE_CHARS = 200
MAX_SEASON = 100
FIRST_SEASON_YEAR = 1930  # a season numbered by its year ("Season 2024" of a daily show)
MAX_KNOWN_TITLES = 6
KNOWN_TITLE_KEYS = ("title_zh", "title_en", "title_original")
MAX_EPISODE = 5000
MAX_EPISODES_PER_FILE = 50
FIRST_YEAR = 1870

TV_WORDS = {"tv", "series", "tv series", "tv show", "show", "episode", "tvshow", "anime", "miniseries"}
MOVIE_WORDS = {"movie", "film", "feature", "feature film", "motion picture"}

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_THINK = re.compile(r"<think(?:ing)?>.*?</think(?:ing)?>", re.DOTALL | re.IGNORECASE)


def last_year() -> int:
    """The latest plausible year: next year (announced releases) plus one."""
    return datetime.date.today().year + 2


class AnswerError(ValueError):
    """The answer cannot be used; the message says why in a few words."""


def extract_json(text: str | None) -> dict:
    """Given an LLM message, return its JSON object: bare, in a ``` fence, or after a <think> preamble."""
    if not text or not text.strip():
        raise AnswerError("empty answer")
    text = _THINK.sub("", text)
    if "</think>" in text:  # an opening tag the endpoint swallowed
        text = text.rsplit("</think>", 1)[1]
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    for candidate in candidates:
        candidate = candidate.strip()
        start, end = candidate.find("{"), candidate.rfind("}")
        if start < 0 or end <= start:
            continue
        try:
            data = json.loads(candidate[start : end + 1])
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    raise AnswerError("no JSON object in the answer")


def _integer(name: str, value: Any, low: int, high: int) -> int | None:
    if value is None or value == "" or (isinstance(value, str) and value.strip().lower() in ("null", "none")):
        return None
    if isinstance(value, bool):
        raise AnswerError(f"{name} is not a number")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        number = re.fullmatch(r"(?:s|e|ep|season|episode)?\s*[+]?(\d{1,6})(?:\.0+)?", text, re.IGNORECASE)
        if not number:
            raise AnswerError(f"{name} is not a number ({text[:20]!r})")
        value = int(number.group(1))
    if not isinstance(value, int):
        raise AnswerError(f"{name} is not a number")
    if not low <= value <= high:
        raise AnswerError(f"{name} {value} is out of range {low}..{high}")
    return value


def _text(name: str, value: Any, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "null", "none")):
        if required:
            raise AnswerError(f"{name} is missing")
        return None
    if not isinstance(value, str):
        if required:
            raise AnswerError(f"{name} is not text")
        return None
    if any(unicodedata.category(c) in ("Cc", "Cs", "Co") for c in value if c not in " \t"):
        raise AnswerError(f"{name} contains control characters")
    visible = "".join(c for c in value if unicodedata.category(c) != "Cf")  # zero-width marks
    text = unicodedata.normalize("NFC", " ".join(visible.split()))
    if len(text) > MAX_TITLE_CHARS:
        raise AnswerError(f"{name} is longer than {MAX_TITLE_CHARS} characters")
    if required and not any(c.isalnum() for c in text):
        raise AnswerError(f"{name} has no letters or digits")
    return text or None


def _season(value: Any) -> int | None:
    """A season number: 0 (specials) to MAX_SEASON, or a year for shows that number seasons by
    year. Anything between (season 500) is nonsense, not a season."""
    season = _integer("season", value, 0, last_year())
    if season is not None and MAX_SEASON < season < FIRST_SEASON_YEAR:
        raise AnswerError(f"season {season} is out of range 0..{MAX_SEASON} (or a year)")
    return season


def _known_titles(data: dict, written: tuple[str | None, ...]) -> tuple[str, ...]:
    """The work's titles the LLM knows: `title_zh`/`title_en`/`title_original`, or a `titles` list
    (or object) of them; each checked like a title, none repeating a written one."""
    raw = [data.get(key) for key in KNOWN_TITLE_KEYS]
    for key in ("titles", "known_titles"):
        extra = data.get(key)
        if isinstance(extra, dict):
            extra = list(extra.values())
        if isinstance(extra, list | tuple):
            raw += list(extra)
        elif extra is not None:
            raise AnswerError(f"{key} is not a list of titles")
    if len(raw) > len(KNOWN_TITLE_KEYS) + MAX_KNOWN_TITLES:
        raise AnswerError(f"more than {MAX_KNOWN_TITLES} known titles")
    seen = {t.casefold() for t in written if t}
    titles: list[str] = []
    for value in raw:
        text = (
            _text("known title", value, required=False) if isinstance(value, str) or value is None else None
        )
        if text and any(c.isalnum() for c in text) and text.casefold() not in seen:
            seen.add(text.casefold())
            titles.append(text)
    return tuple(titles[:MAX_KNOWN_TITLES])


def _media_type(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise AnswerError("type is not text")
    word = " ".join(value.strip().lower().replace("_", " ").replace("-", " ").split())
    if word in ("", "null", "none", "unknown"):
        return None
    if word in TV_WORDS:
        return "tv"
    if word in MOVIE_WORDS:
        return "movie"
    raise AnswerError(f"type {value[:20]!r} is neither movie nor tv")


def _episodes(value: Any) -> tuple[int, ...]:
    if value is None or value == "":
        return ()
    span = isinstance(value, str) and re.fullmatch(r"\s*[a-z]*\s*(\d+)\s*-\s*[a-z]*\s*(\d+)\s*", value, re.I)
    if span:  # "1-2", "E01-E02"
        first, last = int(span.group(1)), int(span.group(2))
        value = list(range(first, last + 1)) if 0 <= last - first < MAX_EPISODES_PER_FILE else [first]
    items = value if isinstance(value, list | tuple) else [value]
    if len(items) > MAX_EPISODES_PER_FILE:
        raise AnswerError(f"more than {MAX_EPISODES_PER_FILE} episodes in one file")
    numbers = [_integer("episode", item, 0, MAX_EPISODE) for item in items]
    return tuple(sorted({n for n in numbers if n is not None}))


def _air_date(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise AnswerError("air_date is not text")
    try:
        day = datetime.date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise AnswerError(f"air_date {value[:20]!r} is not a date (YYYY-MM-DD)") from None
    if not FIRST_YEAR <= day.year <= last_year():
        raise AnswerError(f"air_date {day.isoformat()} is out of range")
    return day.isoformat()


def coerce_answer(data: Any, parser: str) -> ParsedName:
    """Given a parse answer dict (LLM JSON shape), return a validated `ParsedName`; raise `AnswerError`.

    Shape: title, alt_title, title_zh/title_en/title_original (or a `titles` list), year, type
    (movie|tv), season, episodes (list), absolute_episode, air_date. Loose forms are accepted: numbers as strings, one episode instead of a list,
    "TV Series"/"series"/"show" for tv, "film" for movie.
    """
    if not isinstance(data, dict):
        raise AnswerError("the answer is not a JSON object")
    title = _text("title", data.get("title"), required=True)
    alt_title = _text("alt_title", data.get("alt_title", data.get("original_title")), required=False)
    if alt_title and (not any(c.isalnum() for c in alt_title) or alt_title.casefold() == title.casefold()):
        alt_title = None
    year = _integer("year", data.get("year"), FIRST_YEAR, last_year())
    media_type = _media_type(data.get("type", data.get("media_type")))
    season = _season(data.get("season"))
    episodes = _episodes(
        data.get("episodes") if data.get("episodes") not in (None, []) else data.get("episode")
    )
    absolute = _integer("absolute_episode", data.get("absolute_episode"), 0, MAX_EPISODE)
    air_date = _air_date(data.get("air_date"))
    if media_type is None and (season is not None or episodes or absolute is not None or air_date):
        media_type = "tv"
    if media_type == "movie" and (season is not None or episodes or absolute is not None):
        raise AnswerError("a movie with season or episode numbers")
    return ParsedName(
        title=title,
        alt_title=alt_title,
        known_titles=_known_titles(data, (title, alt_title)),
        year=year,
        media_type=media_type,
        season=season,
        episodes=episodes,
        absolute_episode=absolute,
        air_date=air_date,
        parser=parser,
    )
