"""Identification: read a messy relative path (rules and LLM), reconcile the readings, match on TMDB."""

from __future__ import annotations

import dataclasses
import threading
import unicodedata

from loguru import logger

from clearmedia.errors import IdentifyError
from clearmedia.identify.episodes import EpisodeResolver
from clearmedia.identify.match import Matcher
from clearmedia.identify.match import _other_titles as other_titles
from clearmedia.identify.numbered_season import season_reading
from clearmedia.identify.path_ids import tmdb_id_in_path, without_ids
from clearmedia.identify.rules import RulesParser
from clearmedia.identify.similarity import normalize_title
from clearmedia.identify.tmdb import TMDBClient
from clearmedia.identify.types import Identification, Match, ParsedName
from clearmedia.identify.verdict import reconcile

__all__ = ["Identification", "Identifier", "Match", "ParsedName", "readable_name"]


def readable_name(relative_path: str) -> str:
    """The path as text a parser can read: bytes that are not UTF-8 become U+FFFD, and control
    characters (a newline in a file name) become spaces. File names are data, never trusted."""
    text = relative_path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)


class Identifier:
    """read (rules + LLM) -> verdict -> TMDB match -> season/episode check, one relative path at a
    time. Thread-safe.

    `parser` (anything with `.parse(relative_path) -> ParsedName`) defaults to
    `clearmedia.identify.parser.make_parser(settings)`, built on first use. The rule parser always
    reads the name too; when `parser` is another reader (the LLM), the verdict reconciles the two.
    """

    def __init__(self, settings, parser=None, client: TMDBClient | None = None):
        self.settings = settings
        self._parser = parser
        self._parser_lock = threading.Lock()
        self.rules = RulesParser()
        self.client = client or TMDBClient(settings)
        self.matcher = Matcher(self.client)
        self.episodes = EpisodeResolver(self.client)

    @property
    def parser(self):
        if self._parser is None:
            with self._parser_lock:  # two workers must not build two parsers (two circuit breakers)
                if self._parser is None:
                    from clearmedia.identify.parser import make_parser  # lazy: written by another module

                    self._parser = make_parser(self.settings)
        return self._parser

    def _second_reader(self):
        """The LLM (or any other configured reader), or None when the rules are the only reader."""
        parser = self.parser
        if isinstance(parser, RulesParser) or getattr(parser, "name", None) == "guessit":
            return None
        return parser

    def read(self, name: str) -> tuple[ParsedName | None, ParsedName | None, str | None]:
        """Both readings of a readable name: (rules, llm, why the rules could not read it).

        The LLM's TransientError / ServiceConfigError propagate (try later); an unusable LLM answer
        leaves the rules' reading alone.
        """
        rules = llm = None
        why = None
        try:
            rules = self.rules.parse(name)
        except IdentifyError as error:
            why = str(error)
        reader = self._second_reader()
        if reader is not None:
            try:
                llm = reader.parse(name)
            except IdentifyError as error:
                if rules is None:
                    raise
                logger.info("LLM reading unusable ({}); the rules' reading decides", error)
        return rules, llm, why

    def identify(self, relative_path: str) -> Identification:
        """Given a path relative to SOURCE_DIR, return what it is.

        Raises TransientError / ServiceConfigError (try later) and IdentifyError (nothing readable).
        `.match` is None with a `.reason` when the readings disagree or TMDB has nothing confident.
        """
        name = readable_name(relative_path)
        tmdb_id = tmdb_id_in_path(name)
        if tmdb_id is not None:
            return self.identify_by_id(name, tmdb_id)
        rules, llm, why = self.read(name)
        return self.identify_readings(name, rules, llm, why)

    def identify_readings(
        self, name: str, rules: ParsedName | None, llm: ParsedName | None, why: str | None = None
    ) -> Identification:
        """Reconcile two readings of `name` (either may be None) and match the verdict."""
        verdict = reconcile(name, rules, llm)
        readings = {"rules": rules, "llm": llm}
        if verdict.parsed is None:
            if rules is None and llm is None:
                raise IdentifyError(why or verdict.reason or "could not read this name")
            shown = rules or llm
            logger.info("{}: {}", name, verdict.reason)
            return Identification(shown, None, reason=verdict.reason, readings=readings, notes=verdict.notes)
        # a season the name states, or the LLM's other than 1 (its season 1 may be a default)
        stated = (rules is not None and rules.season is not None) or verdict.parsed.season not in (None, 1)
        found = self.identify_parsed(verdict.parsed, season_stated=stated)
        found.source, found.readings = verdict.source, readings
        found.notes = [*verdict.notes, *found.notes]
        return found

    def identify_by_id(self, name: str, tmdb_id: int) -> Identification:
        """An id in the path picks the work: no LLM request; the rules read the episode numbers."""
        try:
            rules = self.rules.parse(without_ids(name))
        except IdentifyError:
            rules = ParsedName(title=str(tmdb_id))
        rules = dataclasses.replace(rules, tmdb_id=tmdb_id)
        found = self.matcher.match_id(rules, tmdb_id)
        found.source, found.readings = "path", {"rules": rules, "llm": None}
        found.notes = [f"TMDB id {tmdb_id} written in the path"]
        return self._place_episode(found, self._numbered_by_id(rules, found))

    def _numbered_by_id(self, rules: ParsedName, found: Identification) -> ParsedName:
        """With an id in the path, "Overlord II - 05" is still season 2 of the show the id names,
        unless TMDB knows that show by the title as written."""
        retry = season_reading(rules, rules.season is not None)
        if retry is None or found.match is None or found.match.media_type != "tv":
            return rules
        details = self.client.details("tv", found.match.tmdb_id) or {}
        written = normalize_title(rules.title)
        if any(normalize_title(t) == written for t in [found.match.title, *other_titles(details)]):
            return rules
        found.notes.append(f'"{rules.title}" read as "{retry.title}" season {retry.season}')
        return retry

    def identify_parsed(self, parsed: ParsedName, season_stated: bool | None = None) -> Identification:
        """Match an existing parse on TMDB (and place a tv episode in its season).

        Nothing confident for "Overlord II - 05" (no season stated; `season_stated` defaults to
        whether the parse has one): "Overlord" season 2, if TMDB lists that episode.
        """
        found = self.matcher.match(parsed)
        stated = parsed.season is not None if season_stated is None else season_stated
        unmatched = found.match is None and (found.reason or "").startswith("no confident")  # not a tie
        retry = season_reading(parsed, stated) if unmatched else None
        again = self.matcher.match(retry) if retry is not None else None
        if again is None or again.match is None:
            return self._place_episode(found, parsed)
        again.notes = [f'"{parsed.title}" read as "{retry.title}" season {retry.season}']
        return self._place_episode(again, retry)

    def _place_episode(self, found: Identification, parsed: ParsedName) -> Identification:
        match = found.match
        if match is None or match.media_type != "tv":
            return found
        try:
            season, episodes = self.episodes.resolve(match.tmdb_id, parsed)
        except IdentifyError as error:
            found.match, found.reason = None, str(error)
            logger.info(found.reason)
            return found
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
