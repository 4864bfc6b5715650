"""Choose the name parser the settings ask for: the LLM, or guessit offline."""

from __future__ import annotations

from typing import Protocol

from clearmedia.identify.types import ParsedName


class Parser(Protocol):
    """Reads a relative path into a `ParsedName`.

    `parse` raises `TransientError` (try later), `ServiceConfigError` (credentials rejected) or
    `IdentifyError` (this name cannot be read). `check` raises the first two when the parser
    cannot work at all (for `clearmedia check`). `close` releases connections at shutdown.
    """

    name: str

    def parse(self, relative_path: str) -> ParsedName: ...

    def check(self) -> None: ...

    def close(self) -> None: ...


def make_parser(settings) -> Parser:
    """Given settings, return the parser `settings.effective_parser` names.

    The LLM parser caches answers in DATA_DIR's database, which `LLMParser.from_settings` opens
    (`open_database` is idempotent). An `LLMParser` built by hand caches only in a database
    opened before, and works uncached without one.
    """
    if settings.effective_parser == "llm":
        from clearmedia.identify.llm import LLMParser

        return LLMParser.from_settings(settings)
    from clearmedia.identify.rules import RulesParser

    return RulesParser()
