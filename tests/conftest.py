import pytest
from loguru import logger

from tests.fakes.fake_tmdb import FakeTMDB
from tests.helpers import base_env


@pytest.fixture
def env(tmp_path):
    """Environment variables for a fresh library under tmp_path (see tests.helpers.base_env)."""
    return base_env(tmp_path)


@pytest.fixture
def db(tmp_path):
    """A real SQLite database in a temporary DATA_DIR."""
    from clearmedia.store.db import open_database

    database = open_database(tmp_path / "data")
    yield database
    database.close()


@pytest.fixture
def log_lines():
    """Every loguru line logged during the test, as "LEVEL message" strings."""
    lines: list[str] = []
    sink = logger.add(lambda message: lines.append(str(message)), level="TRACE", format="{level} {message}")
    yield lines
    logger.remove(sink)


@pytest.fixture
def tmdb():
    """A fake TMDB on 127.0.0.1 (tests/fakes/fake_tmdb.py), as unkind as the real one."""
    with FakeTMDB() as server:
        yield server
