"""The SQLite database: one file in DATA_DIR, WAL, a busy timeout, one connection per thread.

The schema version lives in `PRAGMA user_version`; `open_database` migrates an older database
step by step instead of losing it, and refuses one made by a newer ClearMedia.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from peewee import DatabaseProxy, SqliteDatabase

from clearmedia.errors import ConfigError

#: Every model binds to this proxy; `open_database` points it at the real file.
database = DatabaseProxy()

PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "normal",
    "foreign_keys": 1,
    "busy_timeout": 30_000,
}


def open_database(data_dir: Path) -> SqliteDatabase:
    """Given DATA_DIR, create it if missing, open DATA_DIR/clearmedia.db and migrate it."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"DATA_DIR {data_dir} cannot be created: {error.strerror}") from None
    db = SqliteDatabase(str(data_dir / "clearmedia.db"), pragmas=PRAGMAS, timeout=30)
    database.initialize(db)
    try:
        db.connect(reuse_if_open=True)
    except Exception as error:
        raise ConfigError(f"DATA_DIR {data_dir}: cannot open the database ({error})") from None
    migrate(db)
    return db


def schema_version(db: SqliteDatabase) -> int:
    return db.execute_sql("PRAGMA user_version").fetchone()[0]


def migrate(db: SqliteDatabase) -> None:
    """Bring the schema to `LATEST`, in one transaction that other processes wait for."""
    from clearmedia.store import models

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
