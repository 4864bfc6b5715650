import pytest

from clearmedia.config import load_settings
from tests.helpers import base_env


@pytest.fixture
def scan_env(tmp_path, db):
    """(settings factory, downloads folder) for a library under tmp_path; the database is open."""

    def make(**overrides):
        return load_settings(None, require_library=True, environ=base_env(tmp_path, **overrides))

    return make, tmp_path / "downloads"
