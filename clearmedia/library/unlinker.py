"""Take back a link ClearMedia made — only while it is still the very same file — and the folders
it leaves empty below TARGET_DIR (never TARGET_DIR itself, never a folder that holds anything)."""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path

from loguru import logger


class Removed(Enum):
    REMOVED = "removed"
    ABSENT = "absent"  # nothing there any more: nothing to do
    NOT_OURS = "not ours"  # something else has that name now: left alone


def remove_link(link: str | Path, device: int, inode: int) -> Removed:
    """Remove `link` if it is a regular file with this (device, inode); say what happened."""
    try:
        st = os.lstat(link)
    except FileNotFoundError:
        return Removed.ABSENT
    if (st.st_dev % (1 << 64), st.st_ino % (1 << 64)) != (device % (1 << 64), inode % (1 << 64)):
        return Removed.NOT_OURS
    os.unlink(link)
    logger.info("removed link {}", link)
    return Removed.REMOVED


def remove_link_of(link: str | Path, source: str | Path) -> Removed:
    """Remove `link` if it is still a hard link of `source` (a subtitle: its inode is not stored)."""
    try:
        st = os.stat(source)
    except OSError:
        return Removed.ABSENT if not os.path.lexists(link) else Removed.NOT_OURS
    return remove_link(link, st.st_dev, st.st_ino)


def prune_empty(folder: str | Path, target_dir: Path | None) -> None:
    """Remove `folder` and its parents while they are empty, stopping below TARGET_DIR."""
    if target_dir is None:
        return
    root = os.path.realpath(target_dir)
    current = os.path.realpath(folder)
    while current != root and current.startswith(root + os.sep):
        try:
            os.rmdir(current)  # refuses a folder that holds anything
        except OSError:
            return
        logger.info("removed empty folder {}", current)
        current = os.path.dirname(current)
