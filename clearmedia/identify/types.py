"""What identification produces: a parse of the name, and the TMDB match chosen for it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

MediaType = Literal["movie", "tv"]


@dataclass(frozen=True)
class ParsedName:
    """What a parser (LLM or guessit) read from a relative path. Nothing here is trusted yet."""

    title: str
    alt_title: str | None = None
    year: int | None = None
    media_type: MediaType | None = None
    season: int | None = None
    episodes: tuple[int, ...] = ()
    absolute_episode: int | None = None
    air_date: str | None = None  # ISO date, for daily shows
    parser: str = "guessit"
    #: the work's titles the LLM knows (Chinese, English, original), searched after those written
    known_titles: tuple[str, ...] = ()
    #: more titles to try, after the others (the other reader's, or undecorated forms)
    other_titles: tuple[str, ...] = ()
    #: "final" (a "Final Season" with no number) or "arc" (an arc name): the season is not 1 by default
    season_hint: str | None = None
    #: "Season 3 Part 2 - 05": the later part of a split season, whose episodes may count from its start
    part: int | None = None
    episode_title: str | None = None  # as written in the name (specials are found by it)
    tmdb_id: int | None = None  # an id written in the path ("[tmdbid-603]")

    def titles(self) -> list[str]:
        """Each distinct title the parser gave, the written one first."""
        every = (self.title, self.alt_title, *self.known_titles, *self.other_titles)
        return list(dict.fromkeys(t for t in every if t))

    def to_dict(self) -> dict:
        data = asdict(self)
        data["episodes"] = list(self.episodes)
        data["known_titles"] = list(self.known_titles)
        data["other_titles"] = list(self.other_titles)
        return data


@dataclass(frozen=True)
class Match:
    """The TMDB work chosen for a file, with season/episodes checked against TMDB for tv."""

    tmdb_id: int
    media_type: MediaType
    title: str  # in TMDB_LANGUAGE: this is what library names use
    year: int | None
    score: float
    season: int | None = None
    episodes: tuple[int, ...] = ()

    def to_dict(self) -> dict:
        data = asdict(self)
        data["episodes"] = list(self.episodes)
        return data


@dataclass
class Identification:
    """The whole answer for one file: the parse, the candidates considered, the choice (or None)."""

    parse: ParsedName
    match: Match | None
    candidates: list[dict] = field(default_factory=list)
    reason: str | None = None  # why there is no match, in words a person understands
    #: "path" (an id in the path decided), else the reader whose titles were used: "llm" or "guessit"
    source: str | None = None
    #: what each reader said (None: not asked, or could not read the name)
    readings: dict[str, ParsedName | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # how the verdict reconciled the readings

    def to_dict(self) -> dict:
        """The `identify --json` shape: parse, match, candidates, readings, verdict, reason."""
        return {
            "parse": self.parse.to_dict(),
            "match": None if self.match is None else self.match.to_dict(),
            "candidates": self.candidates,
            "readings": {k: None if v is None else v.to_dict() for k, v in self.readings.items()},
            "verdict": {"source": self.source, "notes": list(self.notes)},
            "reason": self.reason,
        }
