"""`fix ID --tmdb movie/N|tv/N [--season S] [--episode E] [--folder]`: force the work of a file.

The choice is stored (per file; with `--folder` also for the file's download folder, so videos
that arrive there later follow it) and used instead of identification from then on. The file is
linked again at once by the usual rules (CONFLICT included); its old link, and its subtitles'
old links, go only when the new link exists and the old one is still the very same file.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from clearmedia.commands.output import printable
from clearmedia.commands.state import open_existing_database
from clearmedia.commands.unlink import announce_deleted, known_files
from clearmedia.config import Settings
from clearmedia.errors import ClearMediaError, TransientError, UsageError

_TMDB = re.compile(r"^(movie|tv)[/:](\d{1,9})$")


def _tmdb_value(text: str) -> tuple[str, int]:
    match = _TMDB.match(text.strip().lower())
    if not match:
        raise argparse.ArgumentTypeError(f"write the work as movie/N or tv/N, e.g. movie/603 (got {text!r})")
    return match[1], int(match[2])


def _number(text: str) -> int:
    if not text.isdigit() or int(text) > 9999:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 (got {text!r})")
    return int(text)


def register(commands, common) -> None:
    from clearmedia.commands.state import positive

    fix = commands.add_parser(
        "fix",
        parents=[common],
        help="force the TMDB work of a file (or of its whole folder) and link it again",
    )
    fix.add_argument("id", type=positive, metavar="ID")
    fix.add_argument("--tmdb", type=_tmdb_value, required=True, metavar="movie/N|tv/N")
    fix.add_argument("--season", type=_number, help="season of this one file (tv)")
    fix.add_argument("--episode", type=_number, action="append", help="episode of this one file (tv)")
    fix.add_argument(
        "--folder", action="store_true", help="every video of the file's download folder (a season pack)"
    )
    fix.set_defaults(handler=cmd_fix, needs_library=True)


def _check_usage(args) -> None:
    media_type, _ = args.tmdb
    numbers = args.season is not None or args.episode
    if args.folder and numbers:
        raise UsageError(
            "--season/--episode are for a single file; with --folder each video's episode comes from its name"
        )
    if media_type == "movie" and numbers:
        raise UsageError("--season/--episode are for tv works (tv/N), not movies")


def _check_work(identifier, args) -> str:
    """TMDB's title of the chosen work; UsageError when TMDB does not know it (or its season)."""
    from clearmedia.identify.manual import work_details

    media_type, tmdb_id = args.tmdb
    details = work_details(identifier.client, media_type, tmdb_id)
    if details is None:
        raise UsageError(
            f"TMDB has no {media_type}/{tmdb_id}: check the id on themoviedb.org; nothing was changed"
        )
    title = details.get("title") or details.get("name") or details.get("original_title") or str(tmdb_id)
    if args.season is not None and identifier.client.season(tmdb_id, args.season) is None:
        raise UsageError(f'TMDB lists no season {args.season} of "{title}"; nothing was changed')
    return title


def _folder_files(file) -> tuple[str, list]:
    """The download folder of `file` and its known videos (IGNORED samples and extras left out)."""
    from clearmedia.store.models import MediaFile, Status

    folder = os.path.dirname(os.path.normpath(file.path))
    if os.path.normpath(folder) == os.path.normpath(file.source_root):
        raise UsageError(
            f"#{file.id} lies directly in the download folder {printable(folder)}, not in a folder of its own: "
            "fix it without --folder"
        )
    rows = MediaFile.select().where(MediaFile.source_root == file.source_root).order_by(MediaFile.id)
    inside = [r for r in rows if r.path.startswith(folder + os.sep)]
    return folder, [r for r in inside if r.id == file.id or r.status != Status.IGNORED]


def relink(file, settings: Settings, identifier, announcer=None) -> str:
    """Process one file again under its stored choice; take back its old links; return the status."""
    from clearmedia import pipeline
    from clearmedia.library.unlinker import Removed, prune_empty, remove_link, remove_link_of
    from clearmedia.store import queue
    from clearmedia.store.models import MediaFile, Status

    old_target = file.target
    old_subtitles = [(s.target, s.path) for s in file.subtitles if s.target]
    claimed = queue.claim_file(file.id)
    if claimed is None:
        print(f"busy: #{file.id} is being processed right now; run fix again in a moment")
        return Status.PROCESSING
    status = pipeline.process(claimed, settings, identifier, announcer)
    after = MediaFile.get_by_id(file.id)
    if status != Status.COMPLETED:
        kept = f"; the old link {printable(old_target)} was kept" if old_target else ""
        print(f"{status.lower()}: #{file.id} {printable(file.path)}: {printable(after.error)}{kept}")
        return status
    removed = []
    new_subtitles = {s.target for s in after.subtitles}
    old = [(old_target, lambda: remove_link(old_target, file.device, file.inode))] if old_target else []
    old += [(t, lambda t=t, s=s: remove_link_of(t, s)) for t, s in old_subtitles if t not in new_subtitles]
    for target, remove in old:
        if target == after.target:
            continue
        outcome = remove()
        if outcome is Removed.REMOVED:
            removed.append(target)
            prune_empty(Path(target).parent, settings.target_dir)
        elif outcome is Removed.NOT_OURS:
            print(f"left: {printable(target)} (no longer a link of #{file.id}'s file)")
    announce_deleted(settings, removed)
    print(f"linked: #{file.id} -> {printable(after.target)}")
    return status


def cmd_fix(args, settings: Settings) -> int:
    from clearmedia import announce
    from clearmedia.identify import Identifier
    from clearmedia.store import overrides
    from clearmedia.store.models import Status

    _check_usage(args)
    open_existing_database(settings, [args.id])
    file = known_files([args.id])[0]
    media_type, tmdb_id = args.tmdb
    identifier = Identifier(settings)
    try:
        title = _check_work(identifier, args)
        if args.folder:
            folder, files = _folder_files(file)
            overrides.remember_folder(folder, overrides.Choice(media_type, tmdb_id))
            for each in files:
                overrides.remember_file(each.id, overrides.Choice(media_type, tmdb_id))
            print(
                f'{len(files)} video(s) of {printable(folder)} are "{title}" ({media_type}/{tmdb_id}) from now on'
            )
        else:
            episodes = tuple(args.episode or ())
            overrides.remember_file(file.id, overrides.Choice(media_type, tmdb_id, args.season, episodes))
            files = [file]
            print(f'#{file.id} is "{title}" ({media_type}/{tmdb_id}) from now on')
        with announce.running(settings) as announcer:  # servers and notices hear of the new links
            results = [relink(each, settings, identifier, announcer) for each in files]
    except TransientError as error:
        raise ClearMediaError(f"{error}; fix needs TMDB to check the id: try again") from None
    finally:
        identifier.close()
    return 0 if all(status == Status.COMPLETED for status in results) else 1
