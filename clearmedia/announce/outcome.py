"""What the announcer is told about one file: plain values, no database object.

`Outcome.create(...)` takes the fields the pipeline recorded (episodes as a list or as the JSON
text the store keeps) and never raises for an odd value, so the hook that calls it cannot fail
a file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

#: The outcomes that are announced; PENDING (a retry) and IGNORED are not.
FINAL = ("COMPLETED", "FAILED", "CONFLICT")


def _episodes(value) -> tuple[int, ...]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return ()
    try:
        return tuple(int(n) for n in value or ())
    except (TypeError, ValueError):
        return ()


def episode_tag(season: int | None, episodes: tuple[int, ...]) -> str:
    """`S01E02`, `S01E01-E02` (two or more in one file: first and last); empty without numbers."""
    if season is None or not episodes:
        return ""
    first, last = min(episodes), max(episodes)
    return f"S{season:02d}E{first:02d}" + (f"-E{last:02d}" if last != first else "")


@dataclass(frozen=True)
class Outcome:
    """One file's final state, as `clearmedia list` shows it."""

    status: str
    file_id: int
    source: str
    target: str | None = None
    media_type: str | None = None
    title: str | None = None
    year: int | None = None
    season: int | None = None
    episodes: tuple[int, ...] = ()
    reason: str | None = None

    @classmethod
    def create(cls, *, status, file_id, source, episodes=(), **fields) -> Outcome:
        """An Outcome from recorded values (status may be an enum; episodes a list or JSON text)."""
        status = str(getattr(status, "value", status)).upper()
        return cls(
            status=status, file_id=int(file_id), source=str(source), episodes=_episodes(episodes), **fields
        )

    @property
    def event(self) -> str:
        """The NOTIFY_EVENTS name: completed, failed or conflict."""
        return self.status.lower()

    @property
    def work(self) -> str:
        """`Title (Year)` as in the library, else the source file's name."""
        if not self.title:
            return PurePosixPath(self.source).name
        return f"{self.title} ({self.year})" if self.year else self.title

    @property
    def label(self) -> str:
        """`Breaking Bad (2008) S05E14`, `The Matrix (1999)`."""
        tag = episode_tag(self.season, self.episodes) if self.media_type == "tv" else ""
        return f"{self.work} {tag}".strip()


def title_folder(target: str, media_type: str | None, season: int | None, library_root: str) -> str:
    """The title folder of a library file: its folder, or for an episode in a season folder
    (`Season 01`, `S1`, `Specials`) the folder above; never TARGET_DIR or above it."""
    root = PurePosixPath(library_root)
    folder = PurePosixPath(target).parent
    if media_type == "tv" and folder.parent != root and root in folder.parents:
        name = folder.name
        by_number = season is not None and re.search(rf"(?<!\d)0*{season}(?!\d)", name)
        if by_number or re.fullmatch(r"(?i)specials?", name):
            folder = folder.parent
    if folder == root or root not in folder.parents:
        return str(PurePosixPath(target).parent)
    return str(folder)
