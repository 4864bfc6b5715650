"""Identification: parse a messy relative path (LLM or guessit), then match it on TMDB."""

from __future__ import annotations

import dataclasses
import unicodedata

from loguru import logger

from clearmedia.identify.episodes import EpisodeResolver
from clearmedia.identify.match import Matcher
from clearmedia.identify.tmdb import TMDBClient
from clearmedia.identify.types import Identification, Match, ParsedName

__all__ = ["Identification", "Identifier", "Match", "ParsedName", "readable_name"]


def readable_name(relative_path: str) -> str:
    """The path as text a parser can read: bytes that are not UTF-8 become U+FFFD, and control
    characters (a newline in a file name) become spaces. File names are data, never trusted."""
    text = relative_path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)


class Identifier:
    """parse -> TMDB match -> season/episode check, for one relative path at a time. Thread-safe.

    `parser` (anything with `.parse(relative_path) -> ParsedName`) defaults to
    `clearmedia.identify.parser.make_parser(settings)`, built on first use.
    """

    def __init__(self, settings, parser=None, client: TMDBClient | None = None):
        self.settings = settings
        self._parser = parser
        self.client = client or TMDBClient(settings)
        self.matcher = Matcher(self.client)
        self.episodes = EpisodeResolver(self.client)

    @property
    def parser(self):
        if self._parser is None:
            from clearmedia.identify.parser import make_parser  # lazy: written by another module

            self._parser = make_parser(self.settings)
        return self._parser

    def identify(self, relative_path: str) -> Identification:
        """Given a path relative to SOURCE_DIR, return what it is.

        Raises TransientError / ServiceConfigError (try later) and IdentifyError (never).
        `.match` is None with a `.reason` when TMDB has nothing confident.
        """
        return self.identify_parsed(self.parser.parse(readable_name(relative_path)))

    def identify_parsed(self, parsed: ParsedName) -> Identification:
        """Match an existing parse on TMDB (and place a tv episode in its season)."""
        found = self.matcher.match(parsed)
        match = found.match
        if match is None or match.media_type != "tv":
            return found
        season, episodes = self.episodes.resolve(match.tmdb_id, parsed)
        if not episodes:
            found.match = None
            found.reason = f'"{match.title}" is a TV show on TMDB, but the name has no episode number'
            logger.info(found.reason)
            return found
        found.match = dataclasses.replace(match, season=season, episodes=episodes)
        return found

    def check(self) -> None:
        """Reach TMDB with the configured key: raise ServiceConfigError or TransientError if not."""
        self.client.check()

    def close(self) -> None:
        closer = getattr(self._parser, "close", None)
        if callable(closer):
            closer()
        self.client.close()
