"""`scan`: one pass over the download folders, then exit."""

from __future__ import annotations

from collections import Counter

from clearmedia.commands.output import printable
from clearmedia.config import Settings
from clearmedia.store.db import open_database
from clearmedia.store.models import Status


def register(commands, common) -> None:
    scan = commands.add_parser("scan", parents=[common], help="one pass over the download folders, then exit")
    scan.add_argument("--dry-run", action="store_true", help="decide and print, link nothing")
    scan.set_defaults(handler=cmd_scan, needs_library=True)


def _print_scan_summary(report, outcomes, dry_decisions) -> None:
    print(
        f"scan: {report.seen} video files seen, {report.new} new, {report.ignored} ignored, "
        f"{report.moved} moved, {report.unsettled} still settling, {report.incomplete} incomplete"
    )
    if dry_decisions is not None:
        for decision in dry_decisions:
            where = decision.target if decision.target else f"not linked: {decision.reason}"
            print(f"would link: {printable(decision.file.path)} -> {printable(str(where))}")
        print(f"dry run: {len(dry_decisions)} files decided, nothing linked, no state changed")
        return
    tally = Counter(status.value for _, status in outcomes)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(tally.items())) or "nothing was due"
    print(f"processed: {summary}")
    for file, status in outcomes:
        if status == Status.COMPLETED:
            print(f"linked: {printable(file.target)}")
        elif status in (Status.FAILED, Status.CONFLICT):
            print(f"{status.lower()}: {printable(file.path)}: {printable(file.error)}")


def cmd_scan(args, settings: Settings) -> int:
    from clearmedia import pipeline
    from clearmedia.discover.scanner import Scanner
    from clearmedia.identify import Identifier
    from clearmedia.store import queue
    from clearmedia.store.models import MediaFile

    dry = args.dry_run or settings.dry_run
    open_database(settings.data_dir)
    pipeline.warn_if_cross_device(settings)
    queue.reclaim_dead()
    report = Scanner(settings).scan_all()
    identifier = Identifier(settings)
    try:
        if dry:
            due = MediaFile.select().where(MediaFile.status == Status.PENDING).order_by(MediaFile.id)
            decisions = [pipeline.dry_run(file, settings, identifier) for file in due]
            _print_scan_summary(report, [], decisions)
        else:
            _print_scan_summary(report, pipeline.process_due(settings, identifier), None)
    finally:
        identifier.close()
    return 0
