"""Tables, the status values, and the schema migrations."""

from __future__ import annotations

import json
import os
import time
from enum import StrEnum

from peewee import (
    SQL,
    AutoField,
    BigIntegerField,
    BlobField,
    CharField,
    Check,
    DatabaseProxy,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    SqliteDatabase,
    TextField,
)

#: Every model binds to this proxy; `store.db.open_database` points it at the real file.
database = DatabaseProxy()

#: Bump when the tables change, and add the step to MIGRATIONS.
SCHEMA_VERSION = 5


class Status(StrEnum):
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CONFLICT = "CONFLICT"
    IGNORED = "IGNORED"


STATUS_CHECK = "status IN ({})".format(", ".join(f"'{s}'" for s in Status))


class PathField(BlobField):
    """A file system path stored as its raw bytes, so names that are not UTF-8 survive."""

    def db_value(self, value):
        if value is None:
            return None
        return os.fsencode(value)

    def python_value(self, value):
        if value is None:
            return None
        return os.fsdecode(bytes(value))


class BaseModel(Model):
    class Meta:
        database = database


class MediaFile(BaseModel):
    """One video file, known by (device, inode)."""

    id = AutoField()
    device = BigIntegerField()
    inode = BigIntegerField()
    path = PathField()
    source_root = PathField()
    size = BigIntegerField()
    mtime = FloatField()
    status = CharField(default=Status.PENDING, constraints=[Check(STATUS_CHECK)])
    error = TextField(null=True)
    #: why the file is in its status, as a `clearmedia.errors.Reason` code (the words are in `error`)
    reason_code = CharField(null=True)
    attempts = IntegerField(default=0)
    next_attempt_at = FloatField(default=0)
    claimed_by = CharField(null=True)
    claimed_at = FloatField(null=True)
    parse = TextField(null=True)
    media_type = CharField(null=True)
    tmdb_id = IntegerField(null=True)
    title = TextField(null=True)
    year = IntegerField(null=True)
    season = IntegerField(null=True)
    episodes = TextField(null=True)
    target = PathField(null=True)
    #: how the work was chosen: "llm", "guessit", "path" (a TMDB id in the path) or "manual" (`fix`)
    match_source = CharField(null=True)
    created_at = FloatField(default=time.time)
    updated_at = FloatField(default=time.time)

    class Meta:
        table_name = "media_file"
        indexes = (
            (("device", "inode"), True),
            (("status", "next_attempt_at"), False),
        )

    @property
    def relative_path(self) -> str:
        """The path below its source folder: what the parsers read (a season pack's folder too)."""
        return os.path.relpath(self.path, self.source_root)

    def episode_list(self) -> list[int]:
        return json.loads(self.episodes) if self.episodes else []

    def to_dict(self) -> dict:
        """The row as `list --json` prints it (see the contract)."""
        return {
            "id": self.id,
            "status": self.status,
            "path": self.path,
            "target": self.target,
            "error": self.error,
            "media_type": self.media_type,
            "tmdb_id": self.tmdb_id,
            "title": self.title,
            "year": self.year,
            "season": self.season,
            "episodes": self.episode_list(),
            "attempts": self.attempts,
            "match_source": self.match_source,
            "subtitles": [s.target for s in self.subtitles if s.target],
        }


class Subtitle(BaseModel):
    """A sidecar subtitle remembered for its video; linked beside the video's library file."""

    id = AutoField()
    path = PathField(unique=True)
    video = ForeignKeyField(MediaFile, backref="subtitles", null=True, on_delete="SET NULL")
    target = PathField(null=True)

    class Meta:
        table_name = "subtitle"


class Meta(BaseModel):
    """Small facts about the whole database, e.g. the time of the last scan."""

    key = CharField(primary_key=True)
    value = TextField()

    class Meta:
        table_name = "meta"

    @classmethod
    def get_value(cls, key: str) -> str | None:
        row = cls.get_or_none(cls.key == key)
        return row.value if row else None

    @classmethod
    def set_value(cls, key: str, value: str) -> None:
        cls.insert(key=key, value=value).on_conflict_replace().execute()


class LLMCache(BaseModel):
    """LLM answers keyed by (model, prompt version, relative path): nothing is asked twice."""

    key = CharField(primary_key=True)
    model = TextField()
    prompt_version = IntegerField()
    relative_path = PathField()
    answer = TextField()
    created_at = FloatField(default=time.time)

    class Meta:
        table_name = "llm_cache"


class ManualMatch(BaseModel):
    """The work an owner chose with `fix`: for one file (`file`) or a whole source folder (`folder`).

    Kept across rescans, `retry` and restarts; the pipeline uses it instead of identifying.
    """

    id = AutoField()
    file = ForeignKeyField(MediaFile, null=True, unique=True, on_delete="CASCADE")
    folder = PathField(null=True, unique=True)
    media_type = CharField()
    tmdb_id = IntegerField()
    season = IntegerField(null=True)
    episodes = TextField(null=True)
    created_at = FloatField(default=time.time)

    class Meta:
        table_name = "manual_match"


ALL_MODELS = [MediaFile, Subtitle, Meta, LLMCache, ManualMatch]


def _add_llm_cache(db: SqliteDatabase) -> None:
    db.create_tables([LLMCache])


def _add_match_source(db: SqliteDatabase) -> None:
    db.execute_sql("ALTER TABLE media_file ADD COLUMN match_source VARCHAR(255)")


def _add_manual_match(db: SqliteDatabase) -> None:
    db.create_tables([ManualMatch])


def _add_reason_code(db: SqliteDatabase) -> None:
    """Schema 4: the reason as a code; rows found gone before it get theirs from the old words."""
    db.execute_sql("ALTER TABLE media_file ADD COLUMN reason_code VARCHAR(255)")
    db.execute_sql(
        "UPDATE media_file SET reason_code = 'source_gone' WHERE status = 'FAILED' AND error IN "
        "('the file is no longer in the download folder', 'the source file is gone or is not a regular file')"
    )


#: step number -> function that turns schema step-1 into schema step.
MIGRATIONS = {2: _add_llm_cache, 3: _add_match_source, 4: _add_reason_code, 5: _add_manual_match}

__all__ = ["SQL", "ALL_MODELS", "MediaFile", "Subtitle", "Meta", "LLMCache", "ManualMatch", "Status"]
