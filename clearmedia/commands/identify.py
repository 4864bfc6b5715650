"""`identify`: show what a name or file would become, writing nothing."""

from __future__ import annotations

import os
from pathlib import Path

from clearmedia.commands.output import print_json, printable, table
from clearmedia.config import Settings
from clearmedia.errors import ClearMediaError
from clearmedia.store.db import open_database


def register(commands, common) -> None:
    identify = commands.add_parser("identify", parents=[common], help="show what a file would become")
    identify.add_argument("name", metavar="NAME_OR_PATH")
    identify.add_argument("--json", action="store_true")
    identify.set_defaults(handler=cmd_identify, needs_library=True)


def _identify_relative(settings: Settings, name: str) -> str:
    """A path below a source folder becomes relative to it; anything else is taken as a name."""
    path = Path(os.path.abspath(name))
    if path.exists():
        for source in settings.source_dirs:
            real = Path(os.path.realpath(path))
            if real.is_relative_to(source):
                return str(real.relative_to(source))
        return path.name
    return name


def ignored_reason(relative: str) -> str | None:
    """Why a scan would pass this path over (sample, extra, extras folder), as the scanner decides."""
    from clearmedia.discover.rules import folder_reason, name_reason, video_stem

    *folders, name = (os.fsencode(part) for part in Path(relative).parts)
    for folder in folders:
        if reason := folder_reason(folder):
            return reason
    stem = video_stem(name.lower())
    return name_reason(stem) if stem is not None else None


def _described(parse) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in parse.to_dict().items() if v not in (None, [], ()))


def cmd_identify(args, settings: Settings) -> int:
    from clearmedia.identify import Identifier
    from clearmedia.library.categories import category_for
    from clearmedia.library.naming import library_path

    open_database(settings.data_dir)
    relative = _identify_relative(settings, args.name)
    ignored = ignored_reason(relative)
    if ignored:  # no TMDB or LLM request for a file a scan would never link
        reason = f"not linked: a scan marks it IGNORED ({ignored})"
        if args.json:
            print_json({"parse": {}, "match": None, "candidates": [], "target": None, "reason": reason})
        else:
            print(f"name:       {printable(relative)}\ntarget:     none: {reason}")
        return 1
    identifier = Identifier(settings)
    try:
        result = identifier.identify(relative)
        category = category_for(settings, identifier.client, result.match)  # CATEGORY_FILE's folder
    finally:
        identifier.close()
    target = None
    reason = result.reason
    if result.match is not None:
        try:
            target = str(library_path(settings, result.match, Path(relative).suffix or ".mkv", category))
        except ClearMediaError as error:
            reason = str(error)
    match = result.match
    if args.json:
        print_json({**result.to_dict(), "target": target, "reason": reason})
    else:
        parse = result.parse
        print(f"name:       {printable(relative)}")
        for reader, reading in result.readings.items():
            print(f"{reader + ' read:':<12}{_described(reading) if reading else 'nothing'}")
        print(
            f"verdict:    {_described(parse)}" + (f" (titles from {result.source})" if result.source else "")
        )
        for note in result.notes:
            print(f"            {note}")
        if result.candidates:
            print("candidates:")
            rows = [
                [
                    f"{c.get('score', 0):.2f}",
                    c.get("media_type", ""),
                    str(c.get("tmdb_id", "")),
                    f"{c.get('title')} ({c.get('year') or '?'})",
                ]
                for c in result.candidates
            ]
            print("  " + table(rows, ["SCORE", "TYPE", "TMDB", "TITLE"]).replace("\n", "\n  "))
        if match is not None:
            print(
                f"match:      {match.title} ({match.year or '?'}) tmdb {match.media_type}/{match.tmdb_id}, score {match.score:.2f}"
            )
        print(f"target:     {printable(target) if target else 'none: ' + str(reason)}")
    return 0 if target else 1
