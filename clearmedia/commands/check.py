"""`check`: validate settings, reach TMDB and the LLM, test hard links."""

from __future__ import annotations

import argparse

from clearmedia.config import Settings, settings_help
from clearmedia.envfile import describe_source
from clearmedia.errors import ClearMediaError
from clearmedia.http import without_credentials
from clearmedia.store.db import open_database


def register(commands, common) -> None:
    check = commands.add_parser(
        "check",
        parents=[common],
        help="validate settings, TMDB, the LLM and hard links",
        epilog=settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.set_defaults(handler=cmd_check, needs_library=True)


def cmd_check(args, settings: Settings) -> int:
    from clearmedia.identify import Identifier
    from clearmedia.identify.parser import make_parser
    from clearmedia.library.layout import layout_warning
    from clearmedia.library.linker import can_hardlink

    open_database(settings.data_dir)
    ok = True
    print(f"      {describe_source(settings.env_file, {})}")

    def report(good: bool, text: str) -> None:
        nonlocal ok
        ok = ok and good
        print(f"{'ok  ' if good else 'FAIL'}  {text}")

    report(
        True,
        f"settings are valid ({len(settings.source_dirs)} source folder(s), parser {settings.effective_parser})",
    )
    identifier = Identifier(settings)
    try:
        identifier.check()
        report(True, f"TMDB answers at {without_credentials(settings.tmdb_api_url)} and accepts the key")
    except ClearMediaError as error:
        report(False, f"TMDB: {error}")
    finally:
        identifier.close()
    if settings.effective_parser == "llm":
        try:
            make_parser(settings).check()
            report(True, f"the LLM endpoint answers for model {settings.llm_model}")
        except ClearMediaError as error:
            report(False, f"LLM: {error}")
    else:
        why = "OPENAI_API_KEY is empty" if settings.parser == "auto" else "PARSER=guessit"
        report(True, f"LLM not used ({why}): names are read offline by the rule parser")
    for source in settings.source_dirs:
        problem = can_hardlink(source, settings.target_dir)
        report(
            problem is None,
            f"hard links from {source} to {settings.target_dir}" + (f": {problem}" if problem else " work"),
        )
    warning = layout_warning(settings, remember=False)
    if warning:
        print(f"warn  {warning}")
    from clearmedia.announce.checks import check as check_announce

    for good, text in check_announce(settings):  # media servers and NOTIFY_URLS
        report(good, text)
    return 0 if ok else 1
