"""`status`, `list` and `retry`: look at the queue and put files back into it."""

from __future__ import annotations

import argparse

from clearmedia.commands.output import print_json, printable, table
from clearmedia.config import Settings
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
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=cmd_status)
    listing = commands.add_parser("list", parents=[common], help="one row per known file")
    listing.add_argument("--status", type=_status_value)
    listing.add_argument("--limit", type=positive)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_list)
    retry = commands.add_parser(
        "retry", parents=[common], help="put FAILED (or the named) files back to PENDING"
    )
    retry.add_argument("--status", type=_status_value, action="append")
    retry.add_argument("ids", nargs="*", type=positive, metavar="ID")
    retry.set_defaults(handler=cmd_retry)


def cmd_status(args, settings: Settings) -> int:
    from clearmedia.store import queue
    from clearmedia.store.models import Meta

    open_database(settings.data_dir)
    counts = queue.counts()
    last_scan = Meta.get_value("last_scan")
    if args.json:
        print_json({"counts": counts, "last_scan": last_scan})
        return 0
    rows = [[status, str(n)] for status, n in counts.items()]
    print(table(rows, ["STATUS", "FILES"]))
    print(f"last scan: {last_scan or 'never'}")
    due = queue.next_due_in()
    if counts[Status.PENDING]:
        when = "now" if not due else f"in {int(due)} s"
        print(f"files waiting: {counts[Status.PENDING]} (next due {when})")
    return 0


def cmd_list(args, settings: Settings) -> int:
    from clearmedia.store.models import MediaFile

    open_database(settings.data_dir)
    query = MediaFile.select().order_by(MediaFile.id)
    if args.status:
        query = query.where(MediaFile.status == args.status)
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


def cmd_retry(args, settings: Settings) -> int:
    from clearmedia.store import queue

    open_database(settings.data_dir)
    statuses = args.status or [Status.FAILED]
    changed = queue.retry(ids=args.ids, statuses=statuses)
    what = f"file(s) {', '.join(map(str, args.ids))}" if args.ids else "/".join(statuses) + " files"
    print(f"{changed} of the {what} set back to PENDING; they are processed by the next scan or by run")
    return 0
