"""`status`, `list` and `retry`: look at the queue and put files back into it.

They never create a database: without one at DATA_DIR they say so, naming the path, so a
command run with the wrong settings (another folder, no env file) cannot pass for "nothing yet".
"""

from __future__ import annotations

import argparse
import sys

from clearmedia.commands.output import print_json, printable, table
from clearmedia.config import Settings
from clearmedia.envfile import describe_source
from clearmedia.errors import UsageError
from clearmedia.store.db import open_database
from clearmedia.store.models import Status


def _status_value(text: str) -> str:
    value = text.upper()
    if value not in Status.__members__:
        raise argparse.ArgumentTypeError(f"unknown status {text!r} (choose from {', '.join(Status)})")
    return value


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1 (got {text!r})")
    return value


def register(commands, common) -> None:
    status = commands.add_parser("status", parents=[common], help="counts per status and the last scan")
    status.add_argument("--json", action="store_true", help="print JSON (counts, last_scan, llm usage)")
    status.set_defaults(handler=cmd_status)
    listing = commands.add_parser("list", parents=[common], help="one row per known file")
    listing.add_argument("--status", type=_status_value, help="only files in this state, e.g. FAILED")
    listing.add_argument(
        "--match-source", choices=("llm", "guessit", "path", "manual"), help="how the work was chosen"
    )
    listing.add_argument("--limit", type=positive, help="at most this many rows")
    listing.add_argument("--json", action="store_true", help="print one JSON array, one object per file")
    listing.set_defaults(handler=cmd_list)
    retry = commands.add_parser(
        "retry", parents=[common], help="put FAILED (or the named) files back to PENDING"
    )
    retry.add_argument(
        "--status",
        type=_status_value,
        action="append",
        help="retry every file in this state (default FAILED)",
    )
    retry.add_argument("ids", nargs="*", type=positive, metavar="ID", help="ids from `clearmedia list`")
    retry.set_defaults(handler=cmd_retry)


def no_database(settings: Settings) -> str | None:
    """The sentence to print when DATA_DIR holds no database yet, else None."""
    if settings.db_path.is_file():
        return None
    return (
        f"no database at {settings.db_path} yet: nothing was scanned with these settings "
        f"({describe_source(settings.env_file, {})}; DATA_DIR sets the folder)"
    )


def open_existing_database(settings: Settings, ids) -> None:
    """Open the database for commands that name files by id; with none, no id can exist (exit 2),
    and no empty database is left behind."""
    missing = no_database(settings)
    if missing:
        raise UsageError(f"{missing}; so there is no file with id {', '.join(map(str, ids))}")
    open_database(settings.data_dir)


def cmd_status(args, settings: Settings) -> int:
    from clearmedia.store import queue, usage
    from clearmedia.store.models import Meta

    missing = no_database(settings)
    if missing:
        counts, last_scan = {status.value: 0 for status in Status}, None
    else:
        open_database(settings.data_dir)
        counts, last_scan = queue.counts(), Meta.get_value("last_scan")
    llm = dict.fromkeys(usage.KEYS.values(), 0) if missing else usage.totals()
    if args.json:
        if missing:
            print(missing, file=sys.stderr)
        print_json({"counts": counts, "last_scan": last_scan, "llm": llm})
        return 0
    print(missing or f"{describe_source(settings.env_file, {})}\ndatabase: {settings.db_path}")
    print(table([[status, str(n)] for status, n in counts.items()], ["STATUS", "FILES"]))
    print(f"last scan: {last_scan or 'never'}")
    if llm["requests"]:
        print(f"LLM usage: {usage.describe(llm)}")
    if not missing and counts[Status.PENDING]:
        due = queue.next_due_in()
        when = "now" if not due else f"in {int(due)} s"
        print(f"files waiting: {counts[Status.PENDING]} (next due {when})")
    return 0


def cmd_list(args, settings: Settings) -> int:
    from clearmedia.store.models import MediaFile

    missing = no_database(settings)
    if missing:
        print(missing, file=sys.stderr if args.json else sys.stdout)
        if args.json:
            print_json([])
        return 0
    open_database(settings.data_dir)
    query = MediaFile.select().order_by(MediaFile.id)
    if args.status:
        query = query.where(MediaFile.status == args.status)
    if args.match_source:
        query = query.where(MediaFile.match_source == args.match_source)
    if args.limit:
        query = query.limit(args.limit)
    rows = [file.to_dict() for file in query]
    if args.json:
        print_json(rows)
        return 0
    cells = [
        [str(r["id"]), r["status"], printable(r["path"]), printable(r["target"]), printable(r["error"])]
        for r in rows
    ]
    print(table(cells, ["ID", "STATUS", "SOURCE", "TARGET", "ERROR"]) if rows else "no files known yet")
    return 0


def _unknown_ids(ids: list[int]) -> list[int]:
    from clearmedia.store.models import MediaFile

    known = {row.id for row in MediaFile.select(MediaFile.id).where(MediaFile.id.in_(ids))}
    return [i for i in ids if i not in known]


def cmd_retry(args, settings: Settings) -> int:
    from clearmedia.store import queue

    missing = no_database(settings)
    if missing:
        print(missing)
        if args.ids:
            print(f"error: no file with id {', '.join(map(str, args.ids))}", file=sys.stderr)
            return 1
        return 0
    open_database(settings.data_dir)
    unknown = _unknown_ids(args.ids) if args.ids else []
    known = [i for i in args.ids if i not in unknown]
    if args.ids and known:
        changed = queue.retry(ids=known)
        named = f"file(s) {', '.join(map(str, known))}"
        if changed < len(known):  # a file being processed is left alone
            named = f"{changed} of {named} ({len(known) - changed} being processed right now, left alone)"
        print(f"{named} set back to PENDING; the next scan or the running daemon processes them")
    elif not args.ids:
        statuses = args.status or [Status.FAILED]
        changed = queue.retry(statuses=statuses)
        print(
            f"{changed} {'/'.join(statuses)} file(s) set back to PENDING; "
            "they are processed by the next scan or by run"
        )
    if unknown:
        print(
            f"error: no file with id {', '.join(map(str, unknown))} (see clearmedia list)",
            file=sys.stderr,
        )
        return 1
    return 0
