"""One claimed file from PROCESSING to its final state: identify → library path → link → record.

`process_file` never raises for one file's problem: transient ones (network, HTTP 5xx/429,
timeouts) requeue the file with a growing delay, a rejected API key keeps it waiting without
spending an attempt, and everything else ends the file with a reason a person understands.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from loguru import logger

from clearmedia.config import Settings
from clearmedia.errors import IdentifyError, NamingError, ServiceWaitError, TransientError
from clearmedia.identify.types import Identification, Match
from clearmedia.library.linker import (
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
from clearmedia.store.models import MediaFile, Status, Subtitle


def warn_if_cross_device(settings: Settings) -> None:
    """Warn (once, at start) for each source folder that cannot hard-link into TARGET_DIR.

    Not fatal: `run` and `scan` still start, and each file that would cross fails with the fix.
    """
    for source in settings.source_dirs:
        try:
            same = same_filesystem(source, settings.target_dir)
        except OSError:
            continue
        if not same:
            logger.warning(
                "SOURCE_DIR {} and TARGET_DIR {} are on different file systems: hard links between them "
                "will fail. Put both in one mount or share (Docker: one bind mount holding both, "
                "e.g. /data/torrents and /data/media).",
                source,
                settings.target_dir,
            )


@dataclass
class Decision:
    """What would happen to one file: the identification and the library path (if any)."""

    file: MediaFile
    identification: Identification | None
    target: Path | None
    reason: str | None


#: The reason of a file found gone; the scanner puts such a file back to PENDING when it finds it renamed.
SOURCE_GONE = "the file is no longer in the download folder"


def _source_unavailable(file: MediaFile, settings: Settings) -> str | None:
    """Why the file's whole download folder is unreachable (a USB disk or NFS share unmounted), or None.

    Then the file is not gone: it waits (no attempt spent) instead of ending FAILED.
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


def decide(file: MediaFile, settings: Settings, identifier) -> Decision:
    """Identify `file` and render its library path; raise Transient/Identify/Naming errors."""
    source = Path(file.path)
    if not source.is_file():
        unavailable = _source_unavailable(file, settings)
        if unavailable:
            raise ServiceWaitError(unavailable)
        raise IdentifyError(SOURCE_GONE)
    identification = identifier.identify(file.relative_path)
    if identification.match is None:
        return Decision(file, identification, None, identification.reason or "no confident TMDB match")
    target = library_path(settings, identification.match, source.suffix)
    return Decision(file, identification, target, None)


def _match_fields(identification: Identification | None) -> dict:
    if identification is None:
        return {}
    fields = {"parse": json.dumps(identification.parse.to_dict(), ensure_ascii=False)}
    match: Match | None = identification.match
    if match is not None:
        fields.update(
            match_source=getattr(identification, "source", None) or identification.parse.parser,
            media_type=match.media_type,
            tmdb_id=match.tmdb_id,
            title=match.title,
            year=match.year,
            season=match.season if match.media_type == "tv" else None,
            episodes=json.dumps(list(match.episodes)) if match.media_type == "tv" else None,
        )
    return fields


def link_subtitles(file: MediaFile, target: Path) -> list[Path]:
    """Link the video's sidecar subtitles beside its library file; remember them; return targets."""
    source = Path(file.path)
    linked: list[Path] = []
    for sub_source, sub_target in subtitle_targets(target, source, find_subtitles(source)):
        result = create_hardlink(sub_source, sub_target)
        if result is not LINK_SUCCESS:
            logger.warning("subtitle {} not linked: {}", sub_source, result.name)
            continue
        linked.append(sub_target)
        Subtitle.insert(path=str(sub_source), video=file.id, target=str(sub_target)).on_conflict(
            conflict_target=[Subtitle.path],
            update={Subtitle.video: file.id, Subtitle.target: str(sub_target)},
        ).execute()
    return linked


def _link(file: MediaFile, decision: Decision, settings: Settings) -> Status:
    fields = _match_fields(decision.identification)
    target = decision.target
    result = create_hardlink(Path(file.path), target)
    if result is LINK_SUCCESS:
        subtitles = link_subtitles(file, target)
        queue.finish(file, Status.COMPLETED, target=str(target), **fields)
        logger.info(
            "COMPLETED {} -> {}{}",
            file.path,
            target,
            f" (+{len(subtitles)} subtitles)" if subtitles else "",
        )
        return Status.COMPLETED
    if result is LINK_FAILED_CONFLICT:
        reason = f"a different file already exists at {target}; nothing was touched"
        queue.finish(file, Status.CONFLICT, error=reason, **fields)
        logger.warning("CONFLICT {}: {}", file.path, reason)
        return Status.CONFLICT
    if result in (LINK_FAILED_CROSS_DEVICE, LINK_FAILED_NO_SOURCE):
        reason = describe(result)
        queue.finish(file, Status.FAILED, error=reason, **fields)
        logger.error("FAILED {}: {}", file.path, reason)
        return Status.FAILED
    raise TransientError(f"{describe(result)}: {target}")


def process_file(file: MediaFile, settings: Settings, identifier) -> Status:
    """Take one CLAIMED file to its final state (or back to PENDING); return the new status."""
    with logger.contextualize(file_id=file.id, path=file.path):
        logger.info("PROCESSING {}", file.path)
        try:
            decision = decide(file, settings, identifier)
            if decision.target is None:
                queue.finish(
                    file, Status.FAILED, error=decision.reason, **_match_fields(decision.identification)
                )
                logger.warning("FAILED {}: {}", file.path, decision.reason)
                return Status.FAILED
            return _link(file, decision, settings)
        except ServiceWaitError as error:
            status = queue.requeue(
                file,
                str(error),
                max_attempts=settings.max_attempts,
                base_delay=settings.retry_delay,
                spend_attempt=False,
            )
            logger.debug("PENDING {}: waiting for the service: {}", file.path, error)
            return status
        except TransientError as error:
            status = queue.requeue(
                file, str(error), max_attempts=settings.max_attempts, base_delay=settings.retry_delay
            )
            logger.warning("{} {}: {} (attempt {})", status, file.path, error, file.attempts)
            return status
        except (IdentifyError, NamingError) as error:
            queue.finish(file, Status.FAILED, error=str(error))
            logger.warning("FAILED {}: {}", file.path, error)
            return Status.FAILED
        except Exception as error:  # one file's bug must never stop the others
            logger.exception("unexpected error while processing {}", file.path)
            status = queue.requeue(
                file,
                f"internal error: {type(error).__name__}: {error}",
                max_attempts=settings.max_attempts,
                base_delay=settings.retry_delay,
            )
            return status


def dry_run(file: MediaFile, settings: Settings, identifier) -> Decision:
    """Decide what would happen to `file` without linking or changing any state."""
    with logger.contextualize(file_id=file.id, path=file.path):
        try:
            decision = decide(file, settings, identifier)
        except (TransientError, IdentifyError, NamingError) as error:
            decision = Decision(file, None, None, str(error))
        if decision.target is None:
            logger.info("DRY RUN {}: would fail: {}", file.path, decision.reason)
        elif os.path.lexists(decision.target):
            decision.reason = f"{decision.target} exists already"
            logger.info("DRY RUN {}: would link to {} (exists already)", file.path, decision.target)
        else:
            logger.info("DRY RUN {}: would link to {}", file.path, decision.target)
        return decision


def process_due(settings: Settings, identifier, claimer: str | None = None) -> list[tuple[MediaFile, Status]]:
    """Claim and process every due PENDING file with WORKERS threads; return (file, outcome) pairs.

    Used by `clearmedia scan`; the daemon keeps its own long-lived worker pool.
    """
    from concurrent.futures import ThreadPoolExecutor

    claimer = claimer or queue.claimer_id()
    outcomes: list[tuple[MediaFile, Status]] = []

    seen: set[int] = set()

    def work() -> None:
        while (file := queue.claim(claimer)) is not None:
            if file.id in seen:  # requeued with no delay: try it in the next pass, not now
                queue.release(file)
                return
            seen.add(file.id)
            outcomes.append((file, process_file(file, settings, identifier)))

    with ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="worker") as pool:
        for future in [pool.submit(work) for _ in range(settings.workers)]:
            future.result()
    return outcomes
