"""Source trees → found files, without a database: the hot loop of every rescan.

`walk` lists folders with `os.scandir` and hands each regular, visible, complete video file to
`found(path, stem, stat, source_root, extra)`. A file whose directory entry (`d_ino`) and path
match the `known` index (`{device: {inode: path}}`) is only counted, without even a `stat`, so an
unchanged tree costs about what `find` costs. Paths are bytes; symlinks are never followed.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from loguru import logger

from clearmedia.discover.rules import (
    ARIA2_SUFFIX,
    VIDEO_EXTENSIONS,
    folder_reason,
    is_incomplete_name,
    shown,
    skipped_folder,
)

#: found(path, lower-case stem, lstat result, source_root, extras reason or None)
Found = Callable[[bytes, bytes, os.stat_result, bytes, "str | None"], object]


def subfolder(entry: os.DirEntry, extra: str | None, excluded: set[tuple[int, int]]):
    """The stack item for a folder worth walking into, or None (system, hidden or excluded)."""
    name = entry.name
    if skipped_folder(name):
        logger.debug("skipping folder {}", shown(entry.path))
        return None
    st = entry.stat(follow_symlinks=False)
    if (st.st_dev, st.st_ino) in excluded:
        logger.debug("skipping folder {} (TARGET_DIR, DATA_DIR or another source folder)", shown(entry.path))
        return None
    return entry.path, st.st_dev, extra or folder_reason(name)


def _video(
    entry: os.DirEntry, entries: list, siblings: set | None, report
) -> tuple[bytes | None, set | None]:
    """The lower-case stem of a complete, visible video entry (else None), and the aria2 siblings."""
    name = entry.name
    stem, dot, ext = name.lower().rpartition(b".")
    if not dot or ext not in VIDEO_EXTENSIONS:
        if is_incomplete_name(name.lower()):
            report.incomplete += 1
        return None, siblings
    if name[:1] == b".":
        return None, siblings  # hidden: AppleDouble `._x.mkv`, sync tools' temporaries
    if siblings is None:
        siblings = {e.name for e in entries if e.name.endswith(ARIA2_SUFFIX)}
    if siblings and name + ARIA2_SUFFIX in siblings:
        report.seen += 1
        report.incomplete += 1
        return None, siblings
    return stem, siblings


def walk(
    start: bytes,
    device: int,
    source_root: bytes,
    extra: str | None,
    *,
    known,
    excluded: set[tuple[int, int]],
    report,
    found: Found,
    stop=None,
) -> None:
    """Walk the folder `start` (on `device`) below `source_root`; hand every candidate to `found`.

    `report` counts seen, known (the fast path), incomplete and unreadable entries. `stop` (an
    Event) ends the walk early, between two folders.
    """
    stack = [(start, device, extra)]
    while stack and not (stop is not None and stop.is_set()):
        folder, device, extra = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as error:
            report.errors += 1
            logger.warning("cannot read folder {}: {}", shown(folder), error.strerror or error)
            continue
        sub = known.get(device)
        siblings = None
        fast = 0
        for entry in entries:
            if sub is not None and sub.get(entry.inode()) == entry.path:
                fast += 1  # a rescan's fast path: recorded at this very path (no stat)
                continue
            try:
                if entry.is_file(follow_symlinks=False):
                    stem, siblings = _video(entry, entries, siblings, report)
                    if stem is not None:
                        found(entry.path, stem, entry.stat(follow_symlinks=False), source_root, extra)
                elif entry.is_dir(follow_symlinks=False):
                    child = subfolder(entry, extra, excluded)
                    if child is not None:
                        stack.append(child)
            except FileNotFoundError:
                continue  # gone while we looked
            except OSError as error:
                report.errors += 1
                logger.warning("cannot read {}: {}", shown(entry.path), error.strerror or error)
        report.seen += fast
        report.known += fast
