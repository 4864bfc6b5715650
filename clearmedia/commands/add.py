"""`add PATH ...`: for download clients' "run on completion" hooks.

Records the files (or every video below the folders) as finished now, without the settle wait,
and gets them processed at once: by the `clearmedia run` on the same DATA_DIR (woken through
DATA_DIR, see `clearmedia.runtime.wakeup`), or by `add` itself when no daemon runs.
"""

from __future__ import annotations

import dataclasses
import operator
import os
from concurrent.futures import ThreadPoolExecutor
from functools import reduce

from clearmedia.commands.output import printable
from clearmedia.config import Settings
from clearmedia.discover.rules import skipped_folder, video_stem
from clearmedia.store.db import open_database


def register(commands, common) -> None:
    add = commands.add_parser(
        "add",
        parents=[common],
        help="a finished download (file or folder): record it now and link it at once",
    )
    add.add_argument("paths", nargs="+", metavar="PATH")
    add.set_defaults(handler=cmd_add, needs_library=True)


def _root_for(path: str, settings: Settings) -> str | None:
    """The innermost SOURCE_DIR folder holding `path` (or being it), else None."""
    best = None
    for root in (os.path.abspath(r) for r in settings.source_dirs):
        if (path == root or path.startswith(root.rstrip(os.sep) + os.sep)) and (
            best is None or len(root) > len(best)
        ):
            best = root
    return best


def _has_video(folder: str) -> bool:
    for _current, folders, files in os.walk(folder):
        folders[:] = [f for f in folders if not skipped_folder(os.fsencode(f))]
        if any(video_stem(os.fsencode(name).lower()) and not name.startswith(".") for name in files):
            return True
    return False


def problem_with(path: str, settings: Settings) -> str | None:
    """Why `path` cannot be added (outside SOURCE_DIR, missing, no video), or None."""
    if _root_for(path, settings) is None:
        folders = ":".join(str(s) for s in settings.source_dirs)
        return f"{printable(path)} is outside SOURCE_DIR ({printable(folders)}); nothing there is linked"
    if os.path.isdir(path):
        return None if _has_video(path) else f"{printable(path)} holds no video file"
    if not os.path.lexists(path):
        return f"{printable(path)} does not exist"
    if not os.path.isfile(path) or not video_stem(os.fsencode(os.path.basename(path)).lower()):
        return f"{printable(path)} is not a video file"
    return None


def _rows_below(paths: list[str]) -> list:
    """The recorded rows of these files and of the videos below these folders."""
    from peewee import fn

    from clearmedia.store.models import MediaFile

    wanted = []
    for path in paths:  # the file itself, or anything below the folder (paths are stored as bytes)
        below = os.fsencode(path.rstrip(os.sep) + os.sep)
        wanted.append((MediaFile.path == path) | (fn.substr(MediaFile.path, 1, len(below)) == below))
    return list(MediaFile.select().where(reduce(operator.or_, wanted)).order_by(MediaFile.id))


def record(paths: list[str], settings: Settings) -> list:
    """Record `paths` as settled now; make their PENDING rows due now; return the PENDING rows."""
    from clearmedia.discover.scanner import Scanner
    from clearmedia.store.models import MediaFile, Status

    scanner = Scanner(dataclasses.replace(settings, settle_seconds=0))
    for path in paths:
        scanner.consider(path)
    rows = _rows_below(paths)
    waiting = [r for r in rows if r.status == Status.PENDING]
    if waiting:
        MediaFile.update(next_attempt_at=0).where(
            MediaFile.id.in_([r.id for r in waiting]) & (MediaFile.status == Status.PENDING)
        ).execute()
    for row in rows:
        if row.status != Status.PENDING:
            detail = f": {printable(row.error)}" if row.error else ""
            print(f"known: #{row.id} {row.status} {printable(row.path)}{detail}")
    return waiting


def process_here(rows: list, settings: Settings) -> None:
    """No daemon runs: claim and process the added files in this process, reading their names
    LLM_BATCH_SIZE at a time (one LLM request), and announce what happened."""
    from clearmedia import announce, pipeline
    from clearmedia.identify import Identifier
    from clearmedia.runtime.readahead import batch_size, read_names
    from clearmedia.runtime.workers import close_db
    from clearmedia.store import queue

    identifier = Identifier(settings)

    def one(row, announcer):
        try:
            claimed = queue.claim_file(row.id)
            if claimed is None:
                return row, None  # taken by another process meanwhile
            return claimed, pipeline.process(claimed, settings, identifier, announcer)
        finally:
            close_db()

    size, outcomes = batch_size(settings), []
    try:
        with (
            announce.running(settings) as announcer,
            ThreadPoolExecutor(max_workers=max(1, settings.workers), thread_name_prefix="worker") as pool,
        ):
            for start in range(0, len(rows), size):
                batch = rows[start : start + size]
                read_names(settings, identifier, batch)
                outcomes += pool.map(lambda row: one(row, announcer), batch)
    finally:
        identifier.close()
    _print_outcomes(outcomes)


def _print_outcomes(outcomes: list) -> None:
    from clearmedia.store.models import Status

    for file, status in outcomes:
        if status == Status.COMPLETED:
            print(f"linked: #{file.id} {printable(file.target)}")
        elif status is None:
            print(f"#{file.id} is being processed by another ClearMedia")
        else:
            print(f"{status.lower()}: #{file.id} {printable(file.path)}: {printable(file.error)}")


def cmd_add(args, settings: Settings) -> int:
    import sys

    from clearmedia.runtime import wakeup

    paths = [os.path.abspath(p) for p in args.paths]
    problems = [p for p in (problem_with(path, settings) for path in paths) if p]
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        print("nothing was recorded", file=sys.stderr)
        return 1
    open_database(settings.data_dir)
    waiting = record(paths, settings)
    print(f"recorded: {len(waiting)} file(s) to link")
    if not waiting:
        return 0
    if wakeup.daemon_running(settings.data_dir):
        wakeup.wake(settings.data_dir)
        print("the running ClearMedia links them now (see `clearmedia list`)")
        return 0
    if settings.dry_run:
        print("DRY_RUN: nothing is linked; the files stay PENDING")
        return 0
    process_here(waiting, settings)
    return 0
