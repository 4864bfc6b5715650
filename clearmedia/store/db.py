"""The SQLite database: one file in DATA_DIR, WAL, a busy timeout, one connection per thread.

The schema version lives in `PRAGMA user_version`; `open_database` migrates an older database
step by step instead of losing it, and refuses one made by a newer ClearMedia.

The one piece of process-wide state: peewee binds every model to `database` (a proxy) when the
model class is made, so the open file is shared by the whole process. Only `open_database`
points it at a file, under a lock, and opening the same DATA_DIR again reuses the open database:
every entry point (each command, the daemon, a parser built from settings) calls it before use
and none can swap the file under another thread.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from peewee import SqliteDatabase

from clearmedia.errors import ConfigError, DataDirError, disk_cause
from clearmedia.store import models
from clearmedia.store.models import database

__all__ = ["database", "open_database", "schema_version", "migrate", "data_dir_error"]

#: Held while `database` is pointed at a file (see the module docstring).
_open_lock = threading.Lock()

PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "normal",
    "foreign_keys": 1,
    "busy_timeout": 30_000,
}


#: SQLite's words for a DATA_DIR that cannot take a write -> the cause a person reads.
_SQLITE_CAUSES = (
    ("disk is full", "disk full"),
    ("readonly database", "read-only"),
    ("disk i/o error", "disk I/O error (full or failing disk?)"),
    ("unable to open", "the database file cannot be opened"),
)


def data_dir_cause(error: BaseException) -> str | None:
    """Given an exception from the database, why DATA_DIR cannot be written ("disk full"), or
    None when it is not about the disk (a bug, a lock held too long)."""
    if isinstance(error, OSError):
        return disk_cause(error, "disk") if error.errno is not None else None
    text = str(error).lower()
    for words, cause in _SQLITE_CAUSES:
        if words in text:
            return cause
    return None


def data_dir_problem(folder: Path) -> str | None:
    """Can DATA_DIR take writes now? A cheap look (statvfs, access) for the daemon's health:
    a sentence naming DATA_DIR and the cause, or None when it looks writable."""
    try:
        vfs = os.statvfs(folder)
    except OSError as error:
        return f"DATA_DIR {folder} cannot be read: {error.strerror or error}"
    if vfs.f_flag & os.ST_RDONLY:
        cause = "read-only"
    elif vfs.f_bavail == 0 or (vfs.f_files and vfs.f_favail == 0):
        cause = "disk full"
    elif not os.access(folder, os.W_OK):
        cause = "not writable (permission denied)"
    else:
        return None
    return f"DATA_DIR {folder} cannot be written: {cause}; files wait until it can"


def data_dir() -> Path | None:
    """The folder of the open database (DATA_DIR), for messages."""
    return Path(database.obj.database).parent if database.obj is not None else None


def data_dir_error(data_dir: Path, error: BaseException) -> DataDirError | None:
    """A `DataDirError` naming DATA_DIR and the cause, or None when `error` is something else."""
    cause = data_dir_cause(error)
    if cause is None:
        return None
    return DataDirError(
        f"DATA_DIR {data_dir} cannot be written: {cause}; ClearMedia needs it for its database"
    )


def open_database(data_dir: Path) -> SqliteDatabase:
    """Given DATA_DIR, create it if missing, open DATA_DIR/clearmedia.db and migrate it; return it.

    Safe from any thread and idempotent: when this file is open already, the open database is
    returned as it is. Raise DataDirError when DATA_DIR cannot be written (full, read-only),
    ConfigError otherwise (the database open before, if any, stays open).
    """
    data_dir = Path(data_dir)
    path = str(data_dir / "clearmedia.db")
    with _open_lock:
        current = database.obj
        if current is not None and current.database == path:
            return current
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise data_dir_error(data_dir, error) or ConfigError(
                f"DATA_DIR {data_dir} cannot be created: {error.strerror}"
            ) from None
        db = SqliteDatabase(path, pragmas=PRAGMAS, timeout=30)
        database.initialize(db)  # the models migrate through the proxy
        try:
            db.connect()
            migrate(db)
        except Exception as error:
            db.close()
            database.initialize(current)  # a database that cannot be used is never left in place
            if isinstance(error, ConfigError):
                raise
            raise data_dir_error(data_dir, error) or ConfigError(
                f"DATA_DIR {data_dir}: cannot open the database ({error})"
            ) from None
        return db


def schema_version(db: SqliteDatabase) -> int:
    return db.execute_sql("PRAGMA user_version").fetchone()[0]


def migrate(db: SqliteDatabase) -> None:
    """Bring the schema to `LATEST`, in one transaction that other processes wait for."""
    with db.atomic("IMMEDIATE"):
        version = schema_version(db)
        if version > models.SCHEMA_VERSION:
            raise ConfigError(
                f"DATA_DIR {db.database}: the database was made by a newer ClearMedia "
                f"(schema {version}, this one knows {models.SCHEMA_VERSION}); upgrade ClearMedia"
            )
        if version == 0 and not db.get_tables():
            db.create_tables(models.ALL_MODELS)
        else:
            steps: dict[int, Callable[[SqliteDatabase], None]] = models.MIGRATIONS
            for step in range(max(version, 1), models.SCHEMA_VERSION):
                steps[step + 1](db)
        db.execute_sql(f"PRAGMA user_version = {models.SCHEMA_VERSION}")
