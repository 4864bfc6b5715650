"""The works an owner forced with `fix`: stored per file, and per source folder for season packs.

A file's own choice wins over its folder's; a folder's choice also covers videos that arrive in
it later. Choices survive rescans, `retry` and restarts (they live in the `manual_match` table).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass

from clearmedia.store.models import ManualMatch, MediaFile


@dataclass(frozen=True)
class Choice:
    """What the owner chose: a TMDB work, and for a single episode file its season/episodes."""

    media_type: str
    tmdb_id: int
    season: int | None = None
    episodes: tuple[int, ...] = ()


def _choice(row: ManualMatch) -> Choice:
    episodes = tuple(json.loads(row.episodes)) if row.episodes else ()
    return Choice(row.media_type, row.tmdb_id, row.season, episodes)


def remember_file(file_id: int, choice: Choice) -> None:
    """Store (or replace) the choice for one file."""
    ManualMatch.insert(
        file=file_id,
        media_type=choice.media_type,
        tmdb_id=choice.tmdb_id,
        season=choice.season,
        episodes=json.dumps(list(choice.episodes)) if choice.episodes else None,
        created_at=time.time(),
    ).on_conflict(
        conflict_target=[ManualMatch.file],
        preserve=[ManualMatch.media_type, ManualMatch.tmdb_id, ManualMatch.season, ManualMatch.episodes],
    ).execute()


def remember_folder(folder: str, choice: Choice) -> None:
    """Store (or replace) the choice for every video below `folder`, now and later."""
    ManualMatch.insert(
        folder=folder,
        media_type=choice.media_type,
        tmdb_id=choice.tmdb_id,
        season=None,
        episodes=None,
        created_at=time.time(),
    ).on_conflict(
        conflict_target=[ManualMatch.folder],
        preserve=[ManualMatch.media_type, ManualMatch.tmdb_id, ManualMatch.season, ManualMatch.episodes],
    ).execute()


def _folders_above(file: MediaFile) -> list[str]:
    """The folders holding `file`, innermost first, up to (not including) its source folder."""
    root = os.path.normpath(file.source_root)
    folders = []
    folder = os.path.dirname(os.path.normpath(file.path))
    while folder.startswith(root + os.sep) and folder != root:
        folders.append(folder)
        folder = os.path.dirname(folder)
    return folders


def lookup(file: MediaFile) -> Choice | None:
    """The owner's choice for `file`: its own, else its innermost fixed folder's, else None."""
    row = ManualMatch.get_or_none(ManualMatch.file == file.id)
    if row is not None:
        return _choice(row)
    folders = _folders_above(file)
    if not folders:
        return None
    rows = {r.folder: r for r in ManualMatch.select().where(ManualMatch.folder.in_(folders))}
    for folder in folders:
        if folder in rows:
            return _choice(rows[folder])
    return None
