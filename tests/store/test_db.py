"""The database file: creation, WAL, schema version, migrations, constraints."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from peewee import IntegrityError

from clearmedia.config import load_settings
from clearmedia.errors import ConfigError
from clearmedia.identify.llm import LLMParser
from clearmedia.store import models
from clearmedia.store.db import database, open_database, schema_version
from clearmedia.store.models import LLMCache, MediaFile, Status
from tests.fakes.fake_llm import FakeLLM
from tests.helpers import FIXTURES, base_env, in_threads, llm_env


@pytest.fixture
def opened():
    """Open databases, closed after the test."""
    databases = []

    def open_(data_dir: Path):
        databases.append(open_database(data_dir))
        return databases[-1]

    yield open_
    for each in databases:
        each.close()


def test_fresh_database_is_wal_at_the_current_schema_in_a_created_data_dir(tmp_path, opened):
    data_dir = tmp_path / "not" / "yet" / "there"

    db = opened(data_dir)

    assert (data_dir / "clearmedia.db").is_file()
    assert schema_version(db) == models.SCHEMA_VERSION
    with closing(sqlite3.connect(data_dir / "clearmedia.db")) as other:
        assert other.execute("PRAGMA user_version").fetchone()[0] == models.SCHEMA_VERSION
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert set(db.get_tables()) >= {"media_file", "subtitle", "meta", "llm_cache"}


def test_reopening_keeps_the_rows(tmp_path, opened):
    opened(tmp_path / "data")
    MediaFile.create(device=1, inode=2, path="/dl/a.mkv", source_root="/dl", size=1, mtime=1.0)

    opened(tmp_path / "data")

    assert [row.path for row in MediaFile.select()] == ["/dl/a.mkv"]


def test_a_first_version_database_is_migrated_and_keeps_its_rows(tmp_path, opened):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with sqlite3.connect(data_dir / "clearmedia.db") as old:
        old.executescript((FIXTURES / "schema_v1.sql").read_text())
        assert old.execute("PRAGMA user_version").fetchone()[0] == 1
    old.close()

    db = opened(data_dir)

    assert schema_version(db) == models.SCHEMA_VERSION
    row = MediaFile.get_by_id(1)
    assert (row.path, row.source_root, row.status, row.target) == (
        "/dl/Movie.mkv",
        "/dl",
        Status.COMPLETED,
        "/lib/Movie.mkv",
    )
    assert (row.title, row.year, row.media_type, row.tmdb_id) == ("Movie", 2020, "movie", 42)
    assert "llm_cache" in db.get_tables()
    LLMCache.create(key="k", model="m", prompt_version=1, relative_path="Movie.mkv", answer="{}")
    assert LLMCache.get_by_id("k").answer == "{}"


def test_a_database_from_a_newer_clearmedia_is_refused(tmp_path, opened):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with sqlite3.connect(data_dir / "clearmedia.db") as newer:
        newer.execute("CREATE TABLE media_file (id INTEGER PRIMARY KEY)")
        newer.execute("PRAGMA user_version = 99")
    newer.close()

    with pytest.raises(ConfigError, match="newer ClearMedia"):
        opened(data_dir)

    with closing(sqlite3.connect(data_dir / "clearmedia.db")) as again:  # left as it was
        assert again.execute("PRAGMA user_version").fetchone()[0] == 99


def test_a_data_dir_that_cannot_be_created_is_a_config_error(tmp_path):
    (tmp_path / "file").write_text("in the way")

    with pytest.raises(ConfigError, match="DATA_DIR"):
        open_database(tmp_path / "file" / "data")


def test_the_status_check_rejects_an_unknown_status(tmp_path, opened):
    opened(tmp_path / "data")
    fields = dict(device=1, inode=1, path="/dl/a.mkv", source_root="/dl", size=1, mtime=1.0)

    with pytest.raises(IntegrityError):
        MediaFile.create(status="DONE", **fields)

    MediaFile.create(status=Status.IGNORED, **fields)
    assert MediaFile.select().count() == 1


def test_one_file_is_one_row_per_device_and_inode(tmp_path, opened):
    opened(tmp_path / "data")
    MediaFile.create(device=1, inode=7, path="/dl/a.mkv", source_root="/dl", size=1, mtime=1.0)

    with pytest.raises(IntegrityError):
        MediaFile.create(device=1, inode=7, path="/dl/b.mkv", source_root="/dl", size=1, mtime=1.0)

    MediaFile.create(device=2, inode=7, path="/dl/b.mkv", source_root="/dl", size=1, mtime=1.0)


def test_paths_that_are_not_utf8_survive_byte_for_byte(tmp_path, opened):
    opened(tmp_path / "data")
    raw = b"/dl/\xe7\x94\xb5\xe5\xbd\xb1/bad\xff\xfe\nname.mkv"

    MediaFile.create(device=1, inode=1, path=os.fsdecode(raw), source_root="/dl", size=1, mtime=1.0)

    assert os.fsencode(MediaFile.get().path) == raw
    with closing(sqlite3.connect(tmp_path / "data" / "clearmedia.db")) as raw_db:
        assert raw_db.execute("SELECT path FROM media_file").fetchone()[0] == raw


def test_opening_from_many_threads_at_once_gives_one_database(tmp_path, opened):
    """Workers, the watcher and a parser may all ask for DATA_DIR's database: one is opened."""
    found = []
    in_threads(lambda _: found.append(open_database(tmp_path / "data")), range(32))
    opened(tmp_path / "data")

    assert len({id(db) for db in found}) == 1 and database.obj is found[0]
    assert schema_version(found[0]) == models.SCHEMA_VERSION


def test_a_database_that_cannot_be_opened_leaves_the_open_one_in_place(tmp_path, opened):

    good = opened(tmp_path / "good")
    MediaFile.create(device=1, inode=2, path="/dl/a.mkv", source_root="/dl", size=1, mtime=1.0)
    newer = tmp_path / "newer"
    newer.mkdir()
    with closing(sqlite3.connect(newer / "clearmedia.db")) as other:
        other.execute("PRAGMA user_version = 99")

    with pytest.raises(ConfigError, match="newer ClearMedia"):
        open_database(newer)

    assert database.obj is good and [row.path for row in MediaFile.select()] == ["/dl/a.mkv"]
    with pytest.raises(ConfigError, match="newer ClearMedia"):
        open_database(newer)  # and it is refused again, not taken as open


def test_an_llm_parser_built_from_settings_caches_in_data_dir_without_anyone_opening_it(tmp_path):
    """The answer cache never depends on another part having opened the database first."""

    database.initialize(None)  # as in a fresh process
    with FakeLLM() as llm:
        environ = base_env(tmp_path, **llm_env(llm))
        settings = load_settings(None, require_library=True, environ=environ)
        parser = LLMParser.from_settings(settings)
        try:
            parser.parse("Heat.1995.1080p.mkv")
            parser.parse("Heat.1995.1080p.mkv")
        finally:
            parser.close()
        assert len(llm.chat_requests()) == 1, "the second reading comes from the cache"
    assert LLMCache.select().count() == 1
    assert database.obj.database == str(tmp_path / "data" / "clearmedia.db")
    database.close()
