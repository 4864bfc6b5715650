"""The index of known files a pass consults: `{device: {inode: path}}`, loaded in one query for
a full scan, or looked up a path at a time for the watcher's few paths."""

from __future__ import annotations

import os

_INT64 = 1 << 63


def to_db(number: int) -> int:
    """Device and inode numbers are unsigned 64-bit; SQLite INTEGER is signed: wrap the top half."""
    return number - (1 << 64) if number >= _INT64 else number


def from_db(number: int) -> int:
    return number + (1 << 64) if number < 0 else number


class QueryIndex:
    """The known index for a few paths (watcher events): one small query per lookup.

    Duck-types the `{device: {inode: path}}` dict that a full scan loads in one go.
    """

    def __init__(self, db):
        self.db = db
        self.subs: dict[int, _QuerySub] = {}

    def get(self, device: int) -> _QuerySub:
        return self.setdefault(device, None)

    def setdefault(self, device: int, _default=None) -> _QuerySub:
        sub = self.subs.get(device)
        if sub is None:
            sub = self.subs[device] = _QuerySub(self.db, device)
        return sub


class _QuerySub:
    def __init__(self, db, device: int):
        self.db, self.device, self.cache = db, device, {}

    def get(self, inode: int) -> bytes | None:
        if inode not in self.cache:
            row = self.db.execute_sql(
                "SELECT path FROM media_file WHERE device = ? AND inode = ?",
                (to_db(self.device), to_db(inode)),
            ).fetchone()
            self.cache[inode] = bytes(row[0]) if row else None
        return self.cache[inode]

    def __setitem__(self, inode: int, path: bytes) -> None:
        self.cache[inode] = path


def load_index(db) -> dict[int, dict[int, bytes]]:
    """Every known file as `{device: {inode: path}}`, read with one query as plain tuples."""
    index: dict[int, dict[int, bytes]] = {}
    cursor = db.execute_sql("SELECT device, inode, path FROM media_file ORDER BY device")
    sub: dict[int, bytes] = {}
    current = None
    for device, inode, path in cursor:
        if device != current:
            current = device
            sub = index.setdefault(from_db(device), {})
        sub[from_db(inode)] = path if type(path) is bytes else os.fsencode(path)
    return index
