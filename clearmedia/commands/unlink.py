"""`unlink ID ...`: take back the library links ClearMedia made for these files; they become IGNORED.

Only a link that is still the very same file (device and inode) is removed, then the folders it
leaves empty below TARGET_DIR. `retry ID` brings a file back.
"""

from __future__ import annotations

from pathlib import Path

from loguru import logger

from clearmedia.commands.output import printable
from clearmedia.commands.state import open_existing_database
from clearmedia.config import Settings
from clearmedia.errors import ConfigError, UsageError

UNLINKED = "unlinked by user"


def register(commands, common) -> None:
    from clearmedia.commands.state import positive

    unlink = commands.add_parser(
        "unlink",
        parents=[common],
        help="remove the library links made for these files (they become IGNORED until retry)",
    )
    unlink.add_argument("ids", nargs="+", type=positive, metavar="ID")
    unlink.set_defaults(handler=cmd_unlink)


def known_files(ids: list[int]) -> list:
    """The rows of `ids`, in order; UsageError naming the ids that do not exist (nothing changed)."""
    from clearmedia.store.models import MediaFile

    ids = list(dict.fromkeys(ids))
    rows = {f.id: f for f in MediaFile.select().where(MediaFile.id.in_(ids))}
    missing = [str(i) for i in ids if i not in rows]
    if missing:
        raise UsageError(f"no file with id {', '.join(missing)} (see `clearmedia list`); nothing was changed")
    return [rows[i] for i in ids]


def take_back(file, settings: Settings, removed: list[str], left: list[str]) -> None:
    """Remove the video's and its subtitles' links while they are the same files; prune folders.

    Fill `removed` and `left` (library paths) as it goes, so a caller still knows what was
    removed when a later step fails. Changes nothing in the database.
    """
    from clearmedia.library.unlinker import Removed, prune_empty, remove_link, remove_link_of

    links = [(s.target, lambda s=s: remove_link_of(s.target, s.path)) for s in file.subtitles if s.target]
    if file.target:
        links.insert(0, (file.target, lambda: remove_link(file.target, file.device, file.inode)))
    for target, remove in links:
        outcome = remove()
        if outcome is Removed.REMOVED:
            removed.append(target)
            prune_empty(Path(target).parent, settings.target_dir)
        elif outcome is Removed.NOT_OURS:
            left.append(target)


def record_unlinked(claimed, left: list[str]) -> None:
    """IGNORED, its subtitles' targets forgotten: one transaction, so all of it or none."""
    from clearmedia.store import queue
    from clearmedia.store.models import MediaFile, Status, Subtitle

    reason = UNLINKED if not left else f"{UNLINKED}; left {len(left)} link(s) that are other files now"
    with MediaFile._meta.database.atomic("IMMEDIATE"):
        Subtitle.update(target=None).where(Subtitle.video == claimed.id).execute()
        if not queue.finish(claimed, Status.IGNORED, error=reason, target=None):
            raise RuntimeError("the database row was changed by someone else meanwhile")


def announce_deleted(settings: Settings, paths: list[str]) -> None:
    """Tell the configured media servers that these library files are gone ("Deleted"), at once
    and without retries; a server never fails an unlink."""
    from clearmedia.announce import tell_servers_deleted

    if not paths:
        return
    try:
        tell_servers_deleted(settings, [str(Path(p).parent) for p in paths])
    except Exception as error:
        logger.warning("could not tell the media servers about removed links: {}", error)


def put_back(claimed, file) -> str | None:
    """Give the claim back with the row's old status, error and reason; None, or why not."""
    from clearmedia.store import queue
    from clearmedia.store.models import Status

    try:
        queue.finish(claimed, Status(file.status), error=file.error, reason=file.reason_code)
    except Exception as error:
        return str(error)
    return None


def unlink_one(file, settings: Settings) -> bool:
    """Unlink one known file (claimed here); print what happened; False when a link was left.

    On any failure the row gets its old state back (never left PROCESSING); unlink can run again.
    """
    from clearmedia.store import queue

    claimed = queue.claim_file(file.id)
    if claimed is None:
        print(f"#{file.id} is being processed right now; run unlink again in a moment")
        return False
    removed: list[str] = []
    left: list[str] = []
    try:
        take_back(claimed, settings, removed, left)
        record_unlinked(claimed, left)
    except BaseException as error:
        stuck = put_back(claimed, file)
        for path in removed:
            print(f"removed: {printable(path)}")
        if isinstance(error, Exception):
            announce_deleted(settings, removed)
        cause = getattr(error, "strerror", None) or str(error) or type(error).__name__
        print(f"#{file.id}: unlink stopped ({printable(str(cause))}); #{file.id} keeps its state")
        if stuck:
            print(
                f"#{file.id} could not be given back ({stuck}): it is PENDING again once ClearMedia restarts"
            )
        if not isinstance(error, Exception):
            raise
        print(f"run `clearmedia unlink {file.id}` again once that is fixed")
        return False
    announce_deleted(settings, removed)
    for path in removed:
        print(f"removed: {printable(path)}")
    for path in left:
        print(
            f"left: {printable(path)} (it is no longer a link of #{file.id}'s file; not ClearMedia's to remove)"
        )
    print(f"#{file.id} is IGNORED now (`clearmedia retry {file.id}` brings it back)")
    return not left


def cmd_unlink(args, settings: Settings) -> int:
    if settings.target_dir is None:
        raise ConfigError("TARGET_DIR is not set: unlink removes links below it only")
    open_existing_database(settings, args.ids)
    files = known_files(args.ids)
    results = [unlink_one(file, settings) for file in files]
    return 0 if all(results) else 1
