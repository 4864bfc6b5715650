"""What the scanner records, skips or ignores, decided from names alone.

Names are bytes (file names need not be UTF-8) and compared in lower case.
"""

from __future__ import annotations

import os
import re

from clearmedia import files
from clearmedia.files import shown

__all__ = ["shown", "VIDEO_EXTENSIONS", "ARIA2_SUFFIX", "folder_reason", "name_reason", "video_stem"]

#: The video extensions as bytes (one list, in `clearmedia.files`, shared with library/subtitles).
VIDEO_EXTENSIONS = files.VIDEO_EXTENSIONS_BYTES
#: Names of files still being written by qBittorrent, Transmission/wget, Chrome, and others.
INCOMPLETE_SUFFIXES = (b".!qb", b".part", b".crdownload", b".tmp")
ARIA2_SUFFIX = os.fsencode(files.ARIA2_SUFFIX)
#: NAS housekeeping folders (compared in lower case); hidden folders (`.Trash-1000` …) are skipped too.
SYSTEM_FOLDERS = frozenset(
    name.lower()
    for name in (
        b"@eaDir",
        b"#recycle",
        b"@Recycle",
        b"#snapshot",
        b"@Recently-Snapshot",
        b"lost+found",
        b"$RECYCLE.BIN",
        b"System Volume Information",
    )
)
#: Folders of extras (name lower-cased, without spaces, dots, dashes or underscores) -> kind.
EXTRAS_FOLDERS = {
    b"sample": "sample",
    b"samples": "sample",
    b"extra": "extra",
    b"extras": "extra",
    b"featurette": "extra",
    b"featurettes": "extra",
    b"trailer": "extra",
    b"trailers": "extra",
    b"behindthescenes": "extra",
    b"deletedscenes": "extra",
    b"interview": "extra",
    b"interviews": "extra",
    # Japanese BD/anime extras: menus, creditless openings/endings, promos, commercials, bonuses
    b"menu": "extra",
    b"menus": "extra",
    b"nc": "extra",
    b"ncop": "extra",
    b"nced": "extra",
    b"ncopned": "extra",
    b"pv": "extra",
    b"pvs": "extra",
    b"cm": "extra",
    b"cms": "extra",
    b"preview": "extra",
    b"previews": "extra",
    b"tokuten": "extra",
    b"bonus": "extra",
    "特典".encode(): "extra",
    "映像特典".encode(): "extra",
}
_SEP = rb"(?:^|[\W_])"
_END = rb"(?=[\W_]|$)"
#: One cheap search that every file name passes through; only a hit runs the rules below.
_MAYBE_EXTRA = re.compile(
    rb"sample|trailer|featurette|nc|creditless|menu|pv|cm|preview|tokuten|bonus|"
    + "特典".encode()
    + rb"|-(?:behindthescenes|deleted|interview|extra)$"
)
#: An episode marker: "Show.S01E03.Bonus.Round" is an episode, not a bonus (words like CM, PV, Bonus).
_EPISODE_MARK = re.compile(rb"(?:^|[\W_])s\d{1,2}e\d{1,3}|(?:^|[\W_])\d{1,2}x\d{2}(?:[\W_]|$)")
#: (pattern on the lower-case file name without extension, reason shown to people)
NAME_RULES = (
    (re.compile(_SEP + rb"sample" + _END), "sample file"),
    (re.compile(_SEP + rb"trailers?\d*" + _END + rb"(?![\W_]*park)"), "trailer"),
    (re.compile(_SEP + rb"featurettes?" + _END), "featurette"),
    (
        re.compile(_SEP + rb"(?:nc[\W_]?(?:op|ed)|creditless[\W_]?(?:op|ed|opening|ending))\d*" + _END),
        "creditless opening/ending (NCOP/NCED)",
    ),
    # bracketed or ending the name ("[Menu01]", "Show - PV2"): "Bonus.Family.2020" is a film
    (re.compile(_SEP + rb"menu[\W_]?\d*(?:[\])]|[\W_]*$)"), "BD menu"),
    (
        re.compile(_SEP + rb"(?:pv|cm|preview|tokuten|bonus)[\W_]?\d*(?:[\])]|[\W_]*$)"),
        "extra (PV, CM, preview, bonus)",
    ),
    (re.compile("特典".encode()), "extra (特典)"),
    # Plex's names for extras beside a movie (`Heat (1995)-featurette.mkv` is caught above).
    (re.compile(rb"-(?:behindthescenes|deleted|interview|extra)$"), "extra (Plex-style suffix)"),
)
_NOT_WORD = re.compile(rb"[\W_]+")


def folder_reason(name: bytes) -> str | None:
    """Given a folder name, the reason every video below it is IGNORED (extras folders), else None."""
    kind = EXTRAS_FOLDERS.get(_NOT_WORD.sub(b"", name.lower())) or EXTRAS_FOLDERS.get(name.strip().lower())
    if kind is None:
        return None
    if kind == "sample":
        return f'sample file (in the "{shown(name)}" folder)'
    return f'extra (in the "{shown(name)}" folder)'


def name_reason(stem_lower: bytes) -> str | None:
    """Given a lower-case file name without extension, why it is IGNORED (sample, trailer …), else None."""
    if _MAYBE_EXTRA.search(stem_lower):
        for pattern, reason in NAME_RULES:
            if pattern.search(stem_lower):
                if reason.startswith(("BD menu", "extra (PV")) and _EPISODE_MARK.search(stem_lower):
                    continue  # "Show.S01E03.Bonus.Round": an episode whose title has the word
                return reason
    return None


def video_stem(name_lower: bytes) -> bytes | None:
    """The name without its extension when the extension is a video's, else None."""
    stem, dot, ext = name_lower.rpartition(b".")
    return stem if dot and ext in VIDEO_EXTENSIONS else None


def is_incomplete_name(name_lower: bytes) -> bool:
    """A video still being downloaded under a temporary name (`Movie.mkv.part` …)?"""
    for suffix in INCOMPLETE_SUFFIXES:
        if name_lower.endswith(suffix):
            return video_stem(name_lower[: -len(suffix)]) is not None
    return False


def skipped_folder(name: bytes) -> bool:
    return name[:1] == b"." or name.lower() in SYSTEM_FOLDERS
