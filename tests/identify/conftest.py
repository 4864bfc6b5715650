"""Fixtures the identify tests share."""

from __future__ import annotations

import pytest

from tests.fakes.fake_tmdb import FakeTMDB


@pytest.fixture(scope="module")
def module_tmdb():
    """One fake TMDB for a whole test module (identification only reads from it)."""
    with FakeTMDB() as server:
        yield server
