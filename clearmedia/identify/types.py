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

    def titles(self) -> list[str]:
        """Each distinct title the parser gave, the written one first."""
        return list(dict.fromkeys(t for t in (self.title, self.alt_title) if t))

    def to_dict(self) -> dict:
        data = asdict(self)
        data["episodes"] = list(self.episodes)
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
