"""Facts about files that several stages share, kept in the lowest module so none reaches back.

The video extensions (the scanner records them, subtitles look for their videos), aria2's control
file suffix, whether a path still is a known file, and how a path is shown in a line for people.
"""

from __future__ import annotations

import os

#: Every extension ClearMedia treats as a video (lower case, without the dot).
VIDEO_EXTENSIONS = frozenset(
    [
        "mkv",
        "mp4",
        "avi",
        "m2ts",
        "mts",
        "ts",
        "mov",
        "wmv",
        "webm",
        "flv",
        "rmvb",
        "rm",
        "iso",
        "m4v",
        "mpg",
        "mpeg",
        "vob",
        "3gp",
        "divx",
        "ogm",
        "ogv",
        "asf",
        "f4v",
        "m2v",
    ]
)
VIDEO_EXTENSIONS_BYTES = frozenset(ext.encode() for ext in VIDEO_EXTENSIONS)
#: aria2's control file beside a download in progress (`NAME.aria2` while NAME is incomplete).
ARIA2_SUFFIX = ".aria2"


def same_file(a: os.stat_result, b: os.stat_result) -> bool:
    """Are two stat results the same file (device and inode)?"""
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def is_file_at(path: bytes | str, device: int, inode: int) -> bool:
    """Is `path` (still) the file (device, inode)? Symlinks are not followed."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return st.st_dev == device and st.st_ino == inode


def shown(path: bytes | str | None) -> str:
    """A path (or reason) as one line of text: bad UTF-8 as `\\xNN`, control characters escaped."""
    if path is None:
        return "-"
    text = path.decode("utf-8", "backslashreplace") if isinstance(path, bytes) else path
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if not text.isprintable():
        text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
    return text
