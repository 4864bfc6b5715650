"""The command line: argparse subcommands, and the one place errors become exit codes.

Exit status: 0 success, 1 a check/identification failed, 2 bad usage or invalid settings.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path

from clearmedia import __version__
from clearmedia.config import Settings, load_settings
from clearmedia.errors import ClearMediaError, ConfigError, UsageError
from clearmedia.models import Status
from clearmedia.scan_rules import shown

#: Commands that need SOURCE_DIR, TARGET_DIR and a TMDB credential.
LIBRARY_COMMANDS = ("run", "scan", "identify", "check")


def _status_value(text: str) -> str:
    value = text.upper()
    if value not in Status.__members__:
        raise argparse.ArgumentTypeError(f"unknown status {text!r} (choose from {', '.join(Status)})")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1 (got {text!r})")
    return value


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--env-file",
        type=Path,
        default=argparse.SUPPRESS,
        help="settings file (default: ./.env when it exists); the environment wins over it",
    )
    parser = argparse.ArgumentParser(
        prog="clearmedia",
        description="Hard-link finished downloads into a Jellyfin/Plex/Emby library.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"clearmedia {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("run", parents=[common], help="the daemon: watch, rescan, link; stop with Ctrl-C")
    scan = commands.add_parser("scan", parents=[common], help="one pass over the download folders, then exit")
    scan.add_argument("--dry-run", action="store_true", help="decide and print, link nothing")
    status = commands.add_parser("status", parents=[common], help="counts per status and the last scan")
    status.add_argument("--json", action="store_true")
    listing = commands.add_parser("list", parents=[common], help="one row per known file")
    listing.add_argument("--status", type=_status_value)
    listing.add_argument("--limit", type=_positive)
    listing.add_argument("--json", action="store_true")
    retry = commands.add_parser(
        "retry", parents=[common], help="put FAILED (or the named) files back to PENDING"
    )
    retry.add_argument("--status", type=_status_value, action="append")
    retry.add_argument("ids", nargs="*", type=_positive, metavar="ID")
    identify = commands.add_parser("identify", parents=[common], help="show what a file would become")
    identify.add_argument("name", metavar="NAME_OR_PATH")
    identify.add_argument("--json", action="store_true")
    commands.add_parser("check", parents=[common], help="validate settings, TMDB, the LLM and hard links")
    commands.add_parser("health", parents=[common], help="ask the running daemon whether it is healthy")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(getattr(args, "env_file", None), require_library=args.command in LIBRARY_COMMANDS)


def _open(settings: Settings):
    from clearmedia.db import open_database

    return open_database(settings.data_dir)


def _table(rows: list[list[str]], headers: list[str]) -> str:
    """Aligned columns for people; the last column is never padded."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = []
    for row in [headers, *rows]:
        cells = [str(c).ljust(w) for c, w in zip(row[:-1], widths, strict=False)] + [str(row[-1])]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _printable(text: str | None) -> str:
    """A path or reason on one line, whatever bytes its name holds ("-" for none)."""
    return "-" if text is None else shown(text)


def _print_json(data) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2)
    sys.stdout.write(text.encode("utf-8", "backslashreplace").decode("utf-8") + "\n")


def cmd_status(args, settings: Settings) -> int:
    from clearmedia import queue
    from clearmedia.models import Meta

    _open(settings)
    counts = queue.counts()
    last_scan = Meta.get_value("last_scan")
    if args.json:
        _print_json({"counts": counts, "last_scan": last_scan})
        return 0
    rows = [[status, str(n)] for status, n in counts.items()]
    print(_table(rows, ["STATUS", "FILES"]))
    print(f"last scan: {last_scan or 'never'}")
    due = queue.next_due_in()
    if counts[Status.PENDING]:
        when = "now" if not due else f"in {int(due)} s"
        print(f"files waiting: {counts[Status.PENDING]} (next due {when})")
    return 0


def cmd_list(args, settings: Settings) -> int:
    from clearmedia.models import MediaFile

    _open(settings)
    query = MediaFile.select().order_by(MediaFile.id)
    if args.status:
        query = query.where(MediaFile.status == args.status)
    if args.limit:
        query = query.limit(args.limit)
    rows = [file.to_dict() for file in query]
    if args.json:
        _print_json(rows)
        return 0
    table = [
        [str(r["id"]), r["status"], _printable(r["path"]), _printable(r["target"]), _printable(r["error"])]
        for r in rows
    ]
    print(_table(table, ["ID", "STATUS", "SOURCE", "TARGET", "ERROR"]) if rows else "no files known yet")
    return 0


def cmd_retry(args, settings: Settings) -> int:
    from clearmedia import queue

    _open(settings)
    statuses = args.status or [Status.FAILED]
    changed = queue.retry(ids=args.ids, statuses=statuses)
    what = f"file(s) {', '.join(map(str, args.ids))}" if args.ids else "/".join(statuses) + " files"
    print(f"{changed} of the {what} set back to PENDING; they are processed by the next scan or by run")
    return 0


def _print_scan_summary(report, outcomes, dry_decisions) -> None:
    print(
        f"scan: {report.seen} video files seen, {report.new} new, {report.ignored} ignored, "
        f"{report.moved} moved, {report.unsettled} still settling, {report.incomplete} incomplete"
    )
    if dry_decisions is not None:
        for decision in dry_decisions:
            where = decision.target if decision.target else f"not linked: {decision.reason}"
            print(f"would link: {_printable(decision.file.path)} -> {_printable(str(where))}")
        print(f"dry run: {len(dry_decisions)} files decided, nothing linked, no state changed")
        return
    tally = Counter(status.value for _, status in outcomes)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(tally.items())) or "nothing was due"
    print(f"processed: {summary}")
    for file, status in outcomes:
        if status == Status.COMPLETED:
            print(f"linked: {_printable(file.target)}")
        elif status in (Status.FAILED, Status.CONFLICT):
            print(f"{status.lower()}: {_printable(file.path)}: {_printable(file.error)}")


def cmd_scan(args, settings: Settings) -> int:
    from clearmedia import processor, queue
    from clearmedia.identify import Identifier
    from clearmedia.models import MediaFile
    from clearmedia.scanner import Scanner

    dry = args.dry_run or settings.dry_run
    _open(settings)
    processor.warn_if_cross_device(settings)
    queue.reclaim_dead()
    report = Scanner(settings).scan_all()
    identifier = Identifier(settings)
    try:
        if dry:
            due = MediaFile.select().where(MediaFile.status == Status.PENDING).order_by(MediaFile.id)
            decisions = [processor.dry_run(file, settings, identifier) for file in due]
            _print_scan_summary(report, [], decisions)
        else:
            _print_scan_summary(report, processor.process_due(settings, identifier), None)
    finally:
        identifier.close()
    return 0


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


def cmd_identify(args, settings: Settings) -> int:
    from clearmedia.identify import Identifier
    from clearmedia.naming import library_path

    _open(settings)
    relative = _identify_relative(settings, args.name)
    identifier = Identifier(settings)
    try:
        result = identifier.identify(relative)
    finally:
        identifier.close()
    target = None
    reason = result.reason
    if result.match is not None:
        try:
            target = str(library_path(settings, result.match, Path(relative).suffix or ".mkv"))
        except ClearMediaError as error:
            reason = str(error)
    match = result.match
    if args.json:
        _print_json(
            {
                "parse": result.parse.to_dict(),
                "match": None if match is None else match.to_dict(),
                "candidates": result.candidates,
                "target": target,
                "reason": reason,
            }
        )
    else:
        parse = result.parse
        print(f"name:       {_printable(relative)}")
        print(
            "parsed:     "
            + ", ".join(f"{k}={v!r}" for k, v in parse.to_dict().items() if v not in (None, [], ()))
        )
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
            print("  " + _table(rows, ["SCORE", "TYPE", "TMDB", "TITLE"]).replace("\n", "\n  "))
        if match is not None:
            print(
                f"match:      {match.title} ({match.year or '?'}) tmdb {match.media_type}/{match.tmdb_id}, score {match.score:.2f}"
            )
        print(f"target:     {_printable(target) if target else 'none: ' + str(reason)}")
    return 0 if target else 1


def cmd_check(args, settings: Settings) -> int:
    from clearmedia.identify import Identifier
    from clearmedia.identify.parser import make_parser
    from clearmedia.linker import can_hardlink

    _open(settings)
    ok = True

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
        report(True, f"TMDB answers at {settings.tmdb_api_url} and accepts the key")
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
        report(True, "LLM not used: PARSER=guessit reads names offline")
    for source in settings.source_dirs:
        problem = can_hardlink(source, settings.target_dir)
        report(
            problem is None,
            f"hard links from {source} to {settings.target_dir}" + (f": {problem}" if problem else " work"),
        )
    return 0 if ok else 1


def cmd_run(args, settings: Settings) -> int:
    from clearmedia import daemon

    _open(settings)
    return daemon.run(settings)


def cmd_health(args, settings: Settings) -> int:
    from clearmedia import health

    return health.query(settings)


COMMANDS = {
    "run": cmd_run,
    "scan": cmd_scan,
    "status": cmd_status,
    "list": cmd_list,
    "retry": cmd_retry,
    "identify": cmd_identify,
    "check": cmd_check,
    "health": cmd_health,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = _settings(args)
        from clearmedia.log import setup_logging

        setup_logging(settings)
        return COMMANDS[args.command](args, settings)
    except (ConfigError, UsageError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ClearMediaError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
