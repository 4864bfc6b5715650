"""The middle of a file's journey: `decide` what it becomes, `apply` that, and the one table from
exception to outcome.

`decide(file, settings, identifier) → Decision` has no side effect (a dry run is `decide` alone);
`apply(decision, settings) → Status` links, records and logs; `process(file, …)` is both, for a
worker, and never raises for one file's problem: `OUTCOMES` says what each exception does.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from loguru import logger

from clearmedia import announce
from clearmedia.config import Settings
from clearmedia.errors import (
    IdentifyError,
    LibraryDiskError,
    NamingError,
    Reason,
    ServiceWaitError,
    TransientError,
    disk_cause,
)
from clearmedia.files import shown
from clearmedia.identify.manual import manual_identification
from clearmedia.identify.types import Identification, Match
from clearmedia.library.categories import category_for
from clearmedia.library.linker import (
    CROSS_DEVICE_REASON,
    LINK_FAILED_CONFLICT,
    LINK_FAILED_CROSS_DEVICE,
    LINK_FAILED_NO_SOURCE,
    LINK_SUCCESS,
    create_hardlink,
    describe,
    same_filesystem,
)
from clearmedia.library.naming import library_path
from clearmedia.library.subtitles import find_subtitles, subtitle_targets
from clearmedia.store import queue
from clearmedia.store.models import MediaFile, Status

SOURCE_GONE = "the file is no longer in the download folder"


class Action(Enum):
    WAIT = "wait"  # PENDING again, no attempt spent (a service or a whole folder is unusable)
    RETRY = "retry"  # PENDING with a growing delay; FAILED after MAX_ATTEMPTS
    FAIL = "fail"  # FAILED with the reason


#: The one table from exception to outcome, first match wins. Anything else is a bug: RETRY,
#: logged with its traceback, so one file's bug never stops the others.
OUTCOMES: tuple[tuple[type[BaseException], Action], ...] = (
    (ServiceWaitError, Action.WAIT),
    (TransientError, Action.RETRY),
    (IdentifyError, Action.FAIL),
    (NamingError, Action.FAIL),
)


def outcome_of(error: BaseException) -> tuple[Action, Reason, str]:
    """Given an exception raised for one file, return (action, reason code, reason in words)."""
    for kind, action in OUTCOMES:
        if isinstance(error, kind):
            return action, error.reason, str(error)
    return Action.RETRY, Reason.INTERNAL, f"internal error: {type(error).__name__}: {error}"


@dataclass
class Decision:
    """What happens to one file: link to `target`, or end with `status` for `reason`."""

    file: MediaFile
    identification: Identification | None
    target: Path | None
    reason: str | None = None
    code: Reason | None = None
    status: Status = Status.COMPLETED  # the outcome when applied (FAILED when there is no target)

    def describe(self) -> str:
        """One line for a person: `would link: A -> B` / `would fail: A (reason)`."""
        if self.target is not None and self.status is Status.COMPLETED:
            return f"would link: {shown(self.file.path)} -> {shown(str(self.target))}"
        verb = {Status.PENDING: "would wait", Status.CONFLICT: "would conflict"}.get(
            self.status, "would fail"
        )
        return f"{verb}: {shown(self.file.path)} ({shown(self.reason)})"


def warn_if_cross_device(settings: Settings) -> None:
    """Warn (once, at start) for each source folder that cannot hard-link into TARGET_DIR."""
    for source in settings.source_dirs:
        try:
            same = same_filesystem(source, settings.target_dir)
        except OSError:
            continue
        if not same:
            logger.warning(
                "SOURCE_DIR {} and TARGET_DIR {} are on different file systems: hard links between them "
                "will fail, so such files are FAILED without asking TMDB or the LLM. Put both in one "
                "mount or share (Docker: one bind mount holding both, e.g. /data/torrents and /data/media).",
                source,
                settings.target_dir,
            )


def _source_unavailable(file: MediaFile, settings: Settings) -> str | None:
    """Why the file's whole download folder is unreachable (a disk or share unmounted), or None.

    An empty folder on another file system than the file is an empty mount point.
    """
    root = file.source_root
    if Path(root) not in settings.source_dirs:
        return None  # a folder no longer watched: nothing to wait for
    try:
        device = os.stat(root).st_dev
        with os.scandir(root) as entries:
            empty = next(entries, None) is None
    except OSError as error:
        return f"the download folder {root} is not available ({error.strerror or error}); waiting for it"
    if empty and device != file.device % (1 << 64):
        return f"the download folder {root} is empty (an unmounted disk or share?); waiting for it"
    return None


def _device_of_folder(path: Path) -> int | None:
    """st_dev of `path` or of its nearest existing parent (TARGET_DIR may not exist yet)."""
    for folder in (path, *path.parents):
        try:
            return os.stat(folder).st_dev
        except OSError:
            continue
    return None


def decide(file: MediaFile, settings: Settings, identifier) -> Decision:
    """Given a file, return what should become of it, changing nothing.

    The cheap checks come first: a file gone, or one that cannot be linked into TARGET_DIR
    (another file system), costs no LLM or TMDB request. Raise Transient/Identify/Naming errors.
    """
    source = Path(file.path)
    try:
        st = os.lstat(source)
    except OSError:
        st = None
    if st is None or not source.is_file():
        unavailable = _source_unavailable(file, settings)
        if unavailable:
            raise ServiceWaitError(unavailable, Reason.SOURCE_UNAVAILABLE)
        raise IdentifyError(SOURCE_GONE, Reason.SOURCE_GONE)
    target_device = _device_of_folder(Path(settings.target_dir))
    if target_device is not None and target_device != st.st_dev:
        return Decision(file, None, None, CROSS_DEVICE_REASON, Reason.CROSS_DEVICE, Status.FAILED)
    # an owner's `fix` choice (for the file or its folder) replaces identification
    identification = manual_identification(identifier, file) or identifier.identify(file.relative_path)
    if identification.match is None:
        reason = identification.reason or "no confident TMDB match"
        return Decision(file, identification, None, reason, Reason.NOT_IDENTIFIED, Status.FAILED)
    category = category_for(settings, identifier.client, identification.match)
    target = library_path(settings, identification.match, source.suffix, category)
    if os.path.lexists(target) and not _same_entry(target, st):
        reason = f"a different file already exists at {target}; nothing was touched"
        return Decision(file, identification, target, reason, Reason.CONFLICT, Status.CONFLICT)
    return Decision(file, identification, target)


def _same_entry(path: Path, st: os.stat_result) -> bool:
    try:
        other = os.lstat(path)
    except OSError:
        return False
    return (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino)


def decide_safely(file: MediaFile, settings: Settings, identifier) -> Decision:
    """`decide` for a dry run: an exception becomes the decision it would lead to (see OUTCOMES)."""
    try:
        return decide(file, settings, identifier)
    except Exception as error:
        action, code, reason = outcome_of(error)
        status = Status.FAILED if action is Action.FAIL else Status.PENDING
        return Decision(file, None, None, reason, code, status)


def match_fields(identification: Identification | None) -> dict:
    """The row's columns for what was identified (`parse`, and the match when there is one)."""
    if identification is None:
        return {}
    fields = {"parse": json.dumps(identification.parse.to_dict(), ensure_ascii=False)}
    match: Match | None = identification.match
    if match is not None:
        fields.update(
            match_source=identification.source or identification.parse.parser,
            media_type=match.media_type,
            tmdb_id=match.tmdb_id,
            title=match.title,
            year=match.year,
            season=match.season if match.media_type == "tv" else None,
            episodes=json.dumps(list(match.episodes)) if match.media_type == "tv" else None,
        )
    return fields


# --- apply -------------------------------------------------------------------------------------


def _library_cause(folder: Path) -> str | None:
    """After a link failed for no named reason: is the library full, read-only or unwritable?"""
    for probe in (folder, *folder.parents):
        try:
            vfs = os.statvfs(probe)
        except OSError:
            continue
        if vfs.f_flag & os.ST_RDONLY:
            return "library is read-only"
        if vfs.f_files and vfs.f_favail == 0:
            return "library disk full (no free inodes)"
        if vfs.f_bavail == 0:
            return "library disk full"
        if not os.access(probe, os.W_OK):
            return "library not writable (permission denied)"
        return None
    return None


def _make_folders(folder: Path) -> list[Path]:
    """Create `folder` and its missing parents; return those created (outermost first).

    Raise LibraryDiskError (after removing what was created) when the library cannot take them.
    """
    missing = []
    for parent in (folder, *folder.parents):
        if os.path.lexists(parent):
            break
        missing.append(parent)
    created: list[Path] = []
    for path in reversed(missing):
        try:
            os.mkdir(path)
        except FileExistsError:
            continue  # another worker made it meanwhile
        except OSError as error:
            _remove_folders(created)
            cause = disk_cause(error, "library")
            if cause is None:
                raise
            raise LibraryDiskError(f"{cause}: cannot create {path}") from None
        created.append(path)
    return created


def _remove_folders(created: list[Path]) -> None:
    """Remove folders made for a link that failed, innermost first, each only while empty."""
    for path in reversed(created):
        try:
            os.rmdir(path)
        except OSError:
            break  # not empty any more (another file arrived) or gone: leave it


def link(decision: Decision) -> Status:
    """Hard-link the file to its target; return COMPLETED or CONFLICT, or raise for a retry.

    Folders made for a link that then fails are removed again.
    """
    source, target = Path(decision.file.path), decision.target
    created = _make_folders(target.parent)
    result = create_hardlink(source, target, make_folders=False)  # made just above
    if result is LINK_SUCCESS:
        return Status.COMPLETED
    _remove_folders(created)
    if result is LINK_FAILED_CONFLICT:
        decision.reason = f"a different file already exists at {target}; nothing was touched"
        decision.code = Reason.CONFLICT
        return Status.CONFLICT
    if result is LINK_FAILED_CROSS_DEVICE:
        decision.reason, decision.code = describe(result), Reason.CROSS_DEVICE
        return Status.FAILED
    if result is LINK_FAILED_NO_SOURCE:
        decision.reason, decision.code = SOURCE_GONE, Reason.SOURCE_GONE
        return Status.FAILED
    cause = _library_cause(target.parent)
    if cause is not None:
        raise LibraryDiskError(f"{cause}: cannot link {target}")
    raise TransientError(f"{describe(result)}: {target}", Reason.LINK_FAILED)


def link_subtitles(file: MediaFile, target: Path) -> list[Path]:
    """Link the video's sidecar subtitles beside its library file; remember them; return targets."""
    source = Path(file.path)
    linked: list[Path] = []
    for sub_source, sub_target in subtitle_targets(target, source, find_subtitles(source)):
        result = create_hardlink(sub_source, sub_target, make_folders=False)  # the video's folder
        if result is not LINK_SUCCESS:
            logger.warning("subtitle {} not linked: {}", sub_source, describe(result))
            continue
        linked.append(sub_target)
        queue.remember_subtitle(file.id, str(sub_source), str(sub_target))
    return linked


def apply(decision: Decision, settings: Settings) -> Status:
    """Carry out a decision for a CLAIMED file: link (and subtitles), record, log; return the status.

    Raises what `link` raises (LibraryDiskError, TransientError) for `process` to requeue.
    """
    file, fields = decision.file, match_fields(decision.identification)
    status = decision.status
    if status is Status.COMPLETED:
        status = link(decision)
    if status is Status.COMPLETED:
        subtitles = link_subtitles(file, decision.target)
        queue.finish(file, Status.COMPLETED, target=str(decision.target), **fields)
        extra = f" (+{len(subtitles)} subtitles)" if subtitles else ""
        logger.info("COMPLETED {} -> {}{}", file.path, decision.target, extra)
        return status
    queue.finish(file, status, error=decision.reason, reason=decision.code, **fields)
    logger.warning("{} {}: {}", status, file.path, decision.reason)
    return status


def settle_error(file: MediaFile, error: BaseException, settings: Settings) -> Status:
    """Record what `error` means for a CLAIMED file (see OUTCOMES); return its new status."""
    action, code, reason = outcome_of(error)
    if action is Action.FAIL:
        queue.finish(file, Status.FAILED, error=reason, reason=code)
        logger.warning("FAILED {}: {}", file.path, reason)
        return Status.FAILED
    if code is Reason.INTERNAL:
        logger.opt(exception=error).error("unexpected error while processing {}", file.path)
    status = queue.requeue(
        file,
        reason,
        max_attempts=settings.max_attempts,
        base_delay=settings.retry_delay,
        spend_attempt=action is Action.RETRY,
        code=code,
    )
    if action is Action.WAIT:
        logger.debug("PENDING {}: waiting: {}", file.path, reason)
    elif status is Status.FAILED:
        logger.warning("FAILED {}: {}", file.path, file.error)
    else:  # a retry is no news for a person, unless they can do something about it
        level = "WARNING" if code is Reason.LIBRARY_DISK else "DEBUG"
        logger.log(level, "PENDING {}: {} (attempt {}, tried again later)", file.path, reason, file.attempts)
    return status


def process(file: MediaFile, settings: Settings, identifier, announcer=None) -> Status:
    """Take one CLAIMED file to its final state (or back to PENDING); return the new status.

    The outcome goes to `announcer` (`announce.running`/`start`; None: not announced). A
    database error while recording is the only thing that escapes (the worker pool gives the
    file back when the database can be written again).
    """
    with logger.contextualize(file_id=file.id, path=file.path):
        logger.debug("processing {}", file.path)
        try:
            status = apply(decide(file, settings, identifier), settings)
        except Exception as error:
            if _is_database_error(error):
                raise
            status = settle_error(file, error, settings)
        _announce(announcer, file, status)
        return status


def _announce(announcer, file: MediaFile, status: Status) -> None:
    """Hand a recorded outcome to announce/ (media servers, notices); it never raises or waits."""
    announce.file_finished(
        announcer,
        status=status,
        file_id=file.id,
        source=file.path,
        target=file.target,
        media_type=file.media_type,
        title=file.title,
        year=file.year,
        season=file.season,
        episodes=file.episodes,
        reason=file.error,
    )


def _is_database_error(error: BaseException) -> bool:
    from peewee import DatabaseError

    return isinstance(error, DatabaseError)
