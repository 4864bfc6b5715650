"""Move one library link to a new path without ever losing or overwriting anything.

The new link is made first (from the old link, the very same inode); the old name is removed
only when it is still a hard link of the same file, and then (with `unlinker.prune_empty`) the
folders left empty below TARGET_DIR (never TARGET_DIR itself). A name already taken by something else is a conflict: both
are left as they are.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from clearmedia.library.linker import LINK_FAILED_CONFLICT, LINK_SUCCESS, create_hardlink, describe

MOVED = "moved"
CONFLICT = "conflict"
NOT_SAME_FILE = "not-same-file"
FAILED = "failed"


@dataclass(frozen=True)
class Move:
    """What happened to one link: `status` is MOVED, CONFLICT, NOT_SAME_FILE or FAILED."""

    status: str
    reason: str = ""


def identity(path: Path | str) -> tuple[int, int] | None:
    """(device, inode) of a regular file at `path` (not following a symlink), or None."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not os.path.isfile(path) or os.path.islink(path):
        return None
    return (st.st_dev % (1 << 64), st.st_ino)


def move_link(old: Path, new: Path, expected: tuple[int, int] | None, source: Path | None = None) -> Move:
    """Move the link `old` to `new`; `expected` is the file's (device, inode) when known.

    When `old` is gone, `new` is linked from `source` (if that is still the same file).
    """
    old_id = identity(old)
    if old_id is not None and expected is not None and old_id != expected:
        return Move(NOT_SAME_FILE, f"{old} is no longer a link of the same file; it was left as it is")
    origin = old
    if old_id is None:
        if os.path.lexists(old):
            return Move(NOT_SAME_FILE, f"{old} is not a file ClearMedia linked; it was left as it is")
        if source is None or identity(source) is None or (expected and identity(source) != expected):
            return Move(FAILED, f"{old} is gone and the download is no longer there to link again")
        origin = source
    result = create_hardlink(origin, new)
    if result is LINK_FAILED_CONFLICT:
        return Move(CONFLICT, f"a different file already exists at {new}; {old} was kept")
    if result is not LINK_SUCCESS:
        return Move(FAILED, f"{describe(result)} ({new})")
    if old_id is not None and identity(old) == old_id and identity(new) == old_id:
        os.unlink(old)
    return Move(MOVED)


def subtitle_path(old_video: Path, old_subtitle: Path, new_video: Path) -> Path:
    """Where a subtitle linked beside `old_video` goes beside `new_video` (its tags kept)."""
    old_stem = old_video.name[: -len(old_video.suffix)] if old_video.suffix else old_video.name
    tail = old_subtitle.name[len(old_stem) :] if old_subtitle.name.startswith(old_stem) else old_subtitle.name
    new_stem = new_video.name[: -len(new_video.suffix)] if new_video.suffix else new_video.name
    return new_video.parent / (new_stem + tail)
