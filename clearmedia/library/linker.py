"""Create one hard link, never overwriting, moving or deleting anything.

`create_hardlink(source, destination)` answers with a `LinkResult`:

- `LINK_SUCCESS`: the link exists now — created, or it already was the very same file
  (same device and inode; a rerun after a lost database).
- `LINK_FAILED_CONFLICT`: something else already has the destination name (a file, a folder,
  even a dangling symlink). It is left exactly as it was.
- `LINK_FAILED_CROSS_DEVICE`: source and destination are on different file systems (EXDEV).
- `LINK_FAILED_NO_SOURCE`: the source is gone, or is not a regular file (symlinks are not followed).
- `LINK_FAILED_UNKNOWN`: any other OS error; it is logged with its errno.

`can_hardlink(source_dir, target_dir)` really tries one link between the two folders for
`clearmedia check`; it cleans up after itself only through `tempfile`, which removes nothing
but the temporary file and folder it made.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from enum import Enum
from pathlib import Path

from loguru import logger

from clearmedia.files import same_file


class LinkResult(Enum):
    LINK_SUCCESS = "success"
    LINK_FAILED_CONFLICT = "conflict"
    LINK_FAILED_CROSS_DEVICE = "cross-device"
    LINK_FAILED_NO_SOURCE = "no-source"
    LINK_FAILED_UNKNOWN = "unknown"


LINK_SUCCESS = LinkResult.LINK_SUCCESS
LINK_FAILED_CONFLICT = LinkResult.LINK_FAILED_CONFLICT
LINK_FAILED_CROSS_DEVICE = LinkResult.LINK_FAILED_CROSS_DEVICE
LINK_FAILED_NO_SOURCE = LinkResult.LINK_FAILED_NO_SOURCE
LINK_FAILED_UNKNOWN = LinkResult.LINK_FAILED_UNKNOWN

#: The fix for EXDEV, in words a NAS owner can act on.
CROSS_DEVICE_REASON = (
    "SOURCE_DIR and TARGET_DIR are on different file systems, so hard links are impossible: "
    "put both folders in one mount/share (Docker: one bind mount such as /data holding "
    "/data/torrents and /data/media)"
)

_REASONS = {
    LINK_SUCCESS: "linked",
    LINK_FAILED_CONFLICT: "the library path already exists and is another file; it was left untouched",
    LINK_FAILED_CROSS_DEVICE: CROSS_DEVICE_REASON,
    LINK_FAILED_NO_SOURCE: "the source file is gone or is not a regular file",
    LINK_FAILED_UNKNOWN: "the hard link could not be created (see the log for the system error)",
}


def describe(result: LinkResult) -> str:
    """Given a result, return a short reason a person reads (for the `error` column)."""
    return _REASONS[result]


def _errno_name(error: OSError) -> str:
    code = error.errno
    return errno.errorcode.get(code, str(code)) if code is not None else "no errno"


def _lstat_or_none(path: Path) -> os.stat_result | None:
    """lstat, or None when nothing can be seen under that name (missing, or a parent is a file)."""
    try:
        return os.lstat(path)
    except OSError:
        return None


def create_hardlink(source_path: Path, destination_path: Path, make_folders: bool = True) -> LinkResult:
    """Given a source file and a free destination name, hard-link them; return what happened.

    With `make_folders=False` the destination's folder must exist already (the pipeline makes it
    itself, to remove what it made when the link fails): no second mkdir on the hot path.
    """
    source_path, destination_path = Path(source_path), Path(destination_path)
    try:
        source = os.lstat(source_path)
    except OSError:
        return LINK_FAILED_NO_SOURCE
    if not stat.S_ISREG(source.st_mode):
        return LINK_FAILED_NO_SOURCE

    existing = _lstat_or_none(destination_path)  # ENOTDIR etc.: mkdir/link below report it
    if existing is not None:
        return LINK_SUCCESS if same_file(existing, source) else LINK_FAILED_CONFLICT

    try:
        if make_folders:
            destination_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        logger.error(
            "cannot create folder {} for the link ({}: {})",
            destination_path.parent,
            _errno_name(error),
            error.strerror or error,
        )
        return LINK_FAILED_UNKNOWN

    try:
        os.link(source_path, destination_path, follow_symlinks=False)
    except OSError as error:
        if error.errno == errno.EXDEV:
            return LINK_FAILED_CROSS_DEVICE
        if error.errno == errno.EEXIST:
            # Another process made the name between our check and the link.
            existing = _lstat_or_none(destination_path)
            if existing is not None and same_file(existing, source):
                return LINK_SUCCESS
            return LINK_FAILED_CONFLICT
        if error.errno == errno.ENOENT and _lstat_or_none(source_path) is None:
            return LINK_FAILED_NO_SOURCE  # the source vanished meanwhile
        logger.error(
            "hard link {} -> {} failed ({}: {})",
            source_path,
            destination_path,
            _errno_name(error),
            error.strerror or error,
        )
        return LINK_FAILED_UNKNOWN
    return LINK_SUCCESS


def same_filesystem(a: Path, b: Path) -> bool:
    """Whether two existing folders are on one file system (same st_dev).

    Necessary but not sufficient: two bind mounts of one disk share st_dev and still refuse
    links between them (EXDEV). `can_hardlink` tries for real.
    """
    return os.stat(a).st_dev == os.stat(b).st_dev


def _check_reason(error: OSError, where: str) -> str:
    name = _errno_name(error)
    what = error.strerror or str(error)
    if error.errno == errno.EXDEV:
        return CROSS_DEVICE_REASON
    if error.errno in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS):
        return (
            f"the file system refused a hard link from SOURCE_DIR to TARGET_DIR ({name}: {what}): "
            "it may not support hard links (FAT/exFAT, some SMB/NFS mounts) or may forbid them "
            "for this user; use a file system such as ext4, btrfs, XFS or ZFS for both folders"
        )
    if error.errno in (errno.EACCES, errno.EROFS):
        return (
            f"cannot write in {where} ({name}: {what}): ClearMedia needs write access to TARGET_DIR, "
            "and hard links from SOURCE_DIR need files it may link (same owner or read-write access)"
        )
    return f"a test hard link from SOURCE_DIR to TARGET_DIR failed in {where} ({name}: {what})"


def can_hardlink(source_dir: Path, target_dir: Path) -> str | None:
    """Given SOURCE_DIR and TARGET_DIR, really link a temporary file from one into the other.

    Return None when it worked, else a reason naming the fix. Only the temporary file and the
    temporary folder made here are removed (by `tempfile`); nothing else is touched.
    """
    source_dir, target_dir = Path(source_dir), Path(target_dir)
    for name, folder in (("SOURCE_DIR", source_dir), ("TARGET_DIR", target_dir)):
        if not folder.is_dir():
            return f"{name} {folder} is not a folder"
    try:
        with tempfile.NamedTemporaryFile(dir=source_dir, prefix=".clearmedia-check-", suffix=".tmp") as probe:
            try:
                with tempfile.TemporaryDirectory(dir=target_dir, prefix=".clearmedia-check-") as scratch:
                    try:
                        os.link(probe.name, os.path.join(scratch, "link.tmp"), follow_symlinks=False)
                    except OSError as error:
                        return _check_reason(error, f"TARGET_DIR {target_dir}")
            except OSError as error:
                return _check_reason(error, f"TARGET_DIR {target_dir}")
    except OSError as error:
        return _check_reason(error, f"SOURCE_DIR {source_dir}")
    return None
