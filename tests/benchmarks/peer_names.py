"""Score name parsers on the peers' names (tests/fixtures/peer-names.jsonl, a copy of the shared corpus).

A reading is right when its title (or second title) matches one of the acceptable titles loosely
(case, width, punctuation) and every number the peer expects (year, season, episode) is the one
read. A default `season: 1` expectation is met by a reading with no season (the peer's convention).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "peer-names.jsonl"


def load(path: Path = CORPUS) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def loose(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", str(text or "")).casefold()
    return re.sub(r"[\W_]+", "", text)


def _episodes(value) -> list:
    if value is None:
        return []
    return sorted(value) if isinstance(value, list | tuple) else [value]


def is_right(case: dict, reading: dict | None) -> bool:
    """Given a peer case and a reading {titles, year, season, episode}, whether they agree."""
    if reading is None:
        return False
    wanted = {loose(t) for t in case["titles"] if loose(t)}
    if wanted and not wanted & {loose(t) for t in reading.get("titles") or [] if t}:
        return False
    if case.get("year") is not None and reading.get("year") != case["year"]:
        return False
    season = reading.get("season")
    default_one = case.get("season") == 1 and season is None
    if case.get("season") is not None and season != case["season"] and not default_one:
        return False
    expected = [float(e) for e in _episodes(case.get("episode"))]
    return not expected or expected == [float(e) for e in _episodes(reading.get("episode"))]


def guessit_reading(name: str) -> dict | None:
    from guessit import guessit

    try:
        guess = guessit(name)
    except Exception:
        return None
    titles = []
    for key in ("title", "alternative_title"):
        value = guess.get(key)
        titles += value if isinstance(value, list) else [value]
    season = guess.get("season")
    return {
        "titles": [str(t) for t in titles if t],
        "year": guess.get("year"),
        "season": season[0] if isinstance(season, list) else season,
        "episode": guess.get("episode")
        if guess.get("episode") is not None
        else guess.get("absolute_episode"),
    }


def rules_reading(name: str) -> dict | None:
    """ClearMedia offline: the rule parser's reading through the verdict (titles undecorated). A
    country our reading folds into the title ("The Office US", to match that version on TMDB) is
    also offered without it, as the peers spell the title without it."""
    from clearmedia.identify.rules import parse_name
    from clearmedia.identify.similarity import _country_tag
    from clearmedia.identify.verdict import reconcile

    try:
        parsed = reconcile(name, parse_name(name), None).parsed
    except Exception:
        return None
    episodes = list(parsed.episodes) or ([parsed.absolute_episode] if parsed.absolute_episode else [])
    titles = parsed.titles()
    titles += [tagged[0] for tagged in map(_country_tag, titles) if tagged]
    return {
        "titles": titles,
        "year": parsed.year,
        "season": parsed.season,
        "episode": episodes[0] if len(episodes) == 1 else (episodes or None),
    }


def score(reader: Callable[[str], dict | None], cases: list[dict] | None = None) -> Counter:
    """Right readings per source."""
    right: Counter = Counter()
    for case in cases if cases is not None else load():
        if is_right(case, reader(case["name"])):
            right[case["source"]] += 1
    return right


def misses(reader: Callable[[str], dict | None], source: str | None = None) -> list[tuple[dict, dict | None]]:
    return [
        (case, reading)
        for case in load()
        if source is None or case["source"] == source
        for reading in [reader(case["name"])]
        if not is_right(case, reading)
    ]
