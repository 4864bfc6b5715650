"""`relink`: after NAMING, a template, TMDB_LANGUAGE or CATEGORY_FILE changed, move every link
ClearMedia made (and its subtitles) to the path today's settings give.

The title is TMDB's in today's TMDB_LANGUAGE (one details request per work, by its stored
tmdb_id); the year, season and episodes are the row's. Exit 0 when every link follows today's
settings, 1 when some could not be moved (a conflict, or a link that is no longer the same file).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from loguru import logger

from clearmedia.commands.output import printable
from clearmedia.commands.state import no_database
from clearmedia.config import Settings
from clearmedia.errors import ClearMediaError
from clearmedia.store.db import open_database


def register(commands, common) -> None:
    relink = commands.add_parser(
        "relink",
        parents=[common],
        help="move existing links to the layout today's settings give (after NAMING, "
        "a template, TMDB_LANGUAGE or CATEGORY_FILE changed)",
    )
    relink.add_argument("--dry-run", action="store_true", help="print what would move, move nothing")
    relink.set_defaults(handler=cmd_relink, needs_library=True)


def new_target(row, settings: Settings, client) -> Path:
    """The library path today's settings give the row's work (title re-read in TMDB_LANGUAGE)."""
    from clearmedia.identify.types import Match
    from clearmedia.library.categories import category_for
    from clearmedia.library.naming import library_path

    details = client.details(row.media_type, row.tmdb_id)
    if details is None:
        raise ClearMediaError(f"TMDB no longer knows {row.media_type}/{row.tmdb_id}")
    key = "title" if row.media_type == "movie" else "name"
    title = details.get(key) or details.get(f"original_{key}") or row.title
    episodes = tuple(json.loads(row.episodes)) if row.episodes else ()
    match = Match(row.tmdb_id, row.media_type, title, row.year, 1.0, row.season, episodes)
    category = category_for(settings, client, match)
    return library_path(settings, match, Path(row.path).suffix, category)


def _move_subtitles(row, old: Path, new: Path, dry: bool) -> list[str]:
    """Move the row's subtitle links beside the new video; return the problems."""
    from clearmedia.library.relink import MOVED, identity, move_link, subtitle_path
    from clearmedia.store.models import Subtitle

    problems = []
    for sub in Subtitle.select().where((Subtitle.video == row.id) & Subtitle.target.is_null(False)):
        target = subtitle_path(old, Path(sub.target), new)
        if Path(sub.target) == target:
            continue
        if dry:
            print(f"would move: {printable(sub.target)} -> {printable(str(target))}")
            continue
        moved = move_link(Path(sub.target), target, identity(sub.path), Path(sub.path))
        if moved.status == MOVED:
            Subtitle.update(target=str(target)).where(Subtitle.id == sub.id).execute()
        else:
            problems.append(moved.reason)
    return problems


def relink_row(row, settings: Settings, client, dry: bool, done: list | None = None) -> str | None:
    """Move one video link and its subtitles; return the problem, or None when it follows today.

    A moved link is added to `done` as (old path, its `announce.Outcome`) for the media servers.
    """
    from clearmedia.library.relink import FAILED, MOVED, Move, move_link
    from clearmedia.library.unlinker import prune_empty
    from clearmedia.store import queue
    from clearmedia.store.models import Status

    old = Path(row.target)
    new = new_target(row, settings, client)
    if new == old:
        return None
    if dry:
        if os.path.lexists(new):
            return f"{new} exists already: {printable(row.path)} could not move there"
        print(f"would move: {printable(str(old))} -> {printable(str(new))}")
        _move_subtitles(row, old, new, dry=True)
        return None
    claimed = queue.claim_file(row.id, as_read=row)  # no worker or `fix` moves it meanwhile
    if claimed is None:
        return f"#{row.id} {printable(row.path)} is being processed or fixed right now: run relink again in a moment"
    moved, problems = Move(FAILED, "interrupted"), []
    try:  # the subtitles move under the row's claim too
        moved = move_link(old, new, (row.device % (1 << 64), row.inode), Path(row.path))
        if moved.status == MOVED:
            problems = _move_subtitles(row, old, new, dry=False)
    finally:
        queue.finish(claimed, Status.COMPLETED, **({"target": str(new)} if moved.status == MOVED else {}))
    if moved.status != MOVED:
        return moved.reason
    if done is not None:
        done.append((str(old), _outcome(row, new)))
    prune_empty(old.parent, settings.target_dir)
    logger.info("relinked {} -> {}", old, new)
    print(f"moved: {printable(str(old))} -> {printable(str(new))}")
    return "; ".join(problems) or None


def _outcome(row, new: Path):
    """What the media servers are told about a moved link: its new title folder."""
    from clearmedia.announce import Outcome

    return Outcome.create(
        status="COMPLETED",
        file_id=row.id,
        source=row.path,
        target=str(new),
        media_type=row.media_type,
        title=row.title,
        year=row.year,
        season=row.season,
        episodes=row.episodes,
    )


def _relink_all(rows: list, settings: Settings, dry: bool) -> list[str]:
    """Move every row's links (and tell the media servers); return the problems."""
    from clearmedia import announce
    from clearmedia.identify.tmdb import TMDBClient

    client = TMDBClient(settings)
    problems: list[str] = []
    moved: list = []
    try:
        with contextlib.nullcontext() if dry else announce.running(settings) as announcer:
            for row in rows:
                try:
                    problem = relink_row(row, settings, client, dry, moved)
                except ClearMediaError as error:
                    problem = f"{printable(row.path)}: {error}"
                if problem:
                    problems.append(problem)
                    print(f"not moved: {printable(problem)}")
            announce.links_moved(announcer, settings, moved)
    finally:
        client.close()
    return problems


def cmd_relink(args, settings: Settings) -> int:
    from clearmedia.library.layout import remember_layout
    from clearmedia.store.models import MediaFile, Status

    dry = args.dry_run or settings.dry_run
    missing = no_database(settings)
    if missing:
        print(f"{missing}: there are no links to move")
        return 0
    open_database(settings.data_dir)
    rows = list(
        MediaFile.select()
        .where(
            (MediaFile.status == Status.COMPLETED)
            & MediaFile.target.is_null(False)
            & MediaFile.tmdb_id.is_null(False)
        )
        .order_by(MediaFile.id)
    )
    problems = _relink_all(rows, settings, dry)
    if not problems and not dry:
        remember_layout(settings)
    verb = "would follow" if dry else "follow"
    print(f"relink: {len(rows) - len(problems)} of {len(rows)} linked files {verb} today's layout")
    return 1 if problems else 0
