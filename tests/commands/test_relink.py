"""`clearmedia relink`: after TMDB_LANGUAGE or NAMING changed, every link (and its subtitles) moves
to today's layout, leaving exactly one library; nothing that is not ClearMedia's is touched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import base_env, fingerprint, listed, make_video, run_cli

MOVIE = "Movies/The.Matrix.1999.1080p.BluRay.x264-AMIABLE/The.Matrix.1999.1080p.BluRay.x264-AMIABLE.mkv"
SUBTITLE = (
    "Movies/The.Matrix.1999.1080p.BluRay.x264-AMIABLE/The.Matrix.1999.1080p.BluRay.x264-AMIABLE.chs.srt"
)
EPISODE = "TV/Breaking.Bad.S05E14.Ozymandias.1080p.BluRay.x264-ROVERS.mkv"


@pytest.fixture
def library(tmp_path, tmdb):
    """A library linked in zh-CN (the default), with a movie, its subtitle and an episode."""
    env = base_env(tmp_path, TMDB_API_URL=tmdb.url)
    make_video(tmp_path / "downloads" / MOVIE)
    make_video(tmp_path / "downloads" / EPISODE)
    (tmp_path / "downloads" / SUBTITLE).write_text("1\n00:00:01,000 --> 00:00:02,000\nhi\n")
    result = run_cli("scan", env=env)
    assert result.returncode == 0, result.stderr
    assert files_below(tmp_path / "library") == {
        "Movies/黑客帝国 (1999) [tmdbid-603]/黑客帝国 (1999).mkv",
        "Movies/黑客帝国 (1999) [tmdbid-603]/黑客帝国 (1999).zh.srt",
        "TV Shows/绝命毒师 (2008) [tmdbid-1396]/Season 05/绝命毒师 S05E14.mkv",
    }
    return env


def files_below(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def folders_below(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_dir()}


def test_relink_after_changing_the_language_leaves_one_library(tmp_path, library, tmdb):
    env = dict(library, TMDB_LANGUAGE="en-US")
    sources = {p: fingerprint(tmp_path / "downloads" / p) for p in (MOVIE, SUBTITLE, EPISODE)}
    before = files_below(tmp_path / "library")

    scan = run_cli("scan", env=env)
    assert scan.returncode == 0
    assert "TMDB_LANGUAGE zh-CN -> en-US" in scan.stderr and "clearmedia relink" in scan.stderr
    check = run_cli("check", env=env)
    assert "existing links follow the old layout" in check.stdout and "relink" in check.stdout

    dry = run_cli("relink", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "would move:" in dry.stdout and "The Matrix (1999)" in dry.stdout
    assert files_below(tmp_path / "library") == before, "--dry-run moves nothing"

    result = run_cli("relink", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert files_below(tmp_path / "library") == {
        "Movies/The Matrix (1999) [tmdbid-603]/The Matrix (1999).mkv",
        "Movies/The Matrix (1999) [tmdbid-603]/The Matrix (1999).zh.srt",
        "TV Shows/Breaking Bad (2008) [tmdbid-1396]/Season 05/Breaking Bad S05E14.mkv",
    }
    assert folders_below(tmp_path / "library") == {
        "Movies",
        "Movies/The Matrix (1999) [tmdbid-603]",
        "TV Shows",
        "TV Shows/Breaking Bad (2008) [tmdbid-1396]",
        "TV Shows/Breaking Bad (2008) [tmdbid-1396]/Season 05",
    }, "the emptied Chinese folders are gone"
    movie = next(r for r in listed(env) if r["path"].endswith(".mkv") and "Matrix" in r["path"])
    assert movie["target"] == str(
        tmp_path / "library/Movies/The Matrix (1999) [tmdbid-603]/The Matrix (1999).mkv"
    )
    assert movie["subtitles"] == [
        str(tmp_path / "library/Movies/The Matrix (1999) [tmdbid-603]/The Matrix (1999).zh.srt")
    ]
    assert os.path.samefile(movie["target"], tmp_path / "downloads" / MOVIE)
    assert {p: fingerprint(tmp_path / "downloads" / p) for p in sources} == sources, "downloads untouched"

    again = run_cli("scan", env=env)
    assert "relink" not in again.stderr, "the warning is gone once every link follows the layout"
    assert run_cli("relink", env=env).returncode == 0


def test_relink_after_changing_naming(tmp_path, library):
    env = dict(library, NAMING="plex")
    result = run_cli("relink", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert files_below(tmp_path / "library") == {
        "Movies/黑客帝国 (1999) {tmdb-603}/黑客帝国 (1999).mkv",
        "Movies/黑客帝国 (1999) {tmdb-603}/黑客帝国 (1999).zh.srt",
        "TV Shows/绝命毒师 (2008) {tmdb-1396}/Season 05/绝命毒师 (2008) - s05e14.mkv",
    }
    assert "[tmdbid-" not in " ".join(folders_below(tmp_path / "library"))


def test_a_taken_new_name_is_a_conflict_and_both_files_stay(tmp_path, library):
    env = dict(library, TMDB_LANGUAGE="en-US")
    taken = tmp_path / "library/Movies/The Matrix (1999) [tmdbid-603]/The Matrix (1999).mkv"
    taken.parent.mkdir(parents=True)
    taken.write_bytes(b"the owner's own file")
    old = tmp_path / "library/Movies/黑客帝国 (1999) [tmdbid-603]/黑客帝国 (1999).mkv"

    result = run_cli("relink", env=env)
    assert result.returncode == 1
    assert "already exists" in result.stdout
    assert taken.read_bytes() == b"the owner's own file"
    assert os.path.samefile(old, tmp_path / "downloads" / MOVIE), "the old link is kept"
    assert (tmp_path / "library/TV Shows/Breaking Bad (2008) [tmdbid-1396]/Season 05").is_dir()


def test_a_link_replaced_by_another_file_is_left_alone(tmp_path, library):
    env = dict(library, TMDB_LANGUAGE="en-US")
    old = tmp_path / "library/Movies/黑客帝国 (1999) [tmdbid-603]/黑客帝国 (1999).mkv"
    old.unlink()
    old.write_bytes(b"replaced by the owner")

    result = run_cli("relink", env=env)
    assert result.returncode == 1
    assert "no longer a link of the same file" in result.stdout
    assert old.read_bytes() == b"replaced by the owner"
    assert not (tmp_path / "library/Movies/The Matrix (1999) [tmdbid-603]/The Matrix (1999).mkv").exists()


def test_relink_tells_jellyfin_the_old_folders_lost_files_and_the_new_ones_got_them(tmp_path, library):
    from tests.fakes.fake_media_servers import FakeJellyfin, NoticeReceiver

    root = tmp_path / "library"
    with FakeJellyfin() as jellyfin, NoticeReceiver() as receiver:
        env = dict(
            library,
            TMDB_LANGUAGE="en-US",
            JELLYFIN_URL=jellyfin.url,
            JELLYFIN_API_KEY=jellyfin.api_key,
            NOTIFY_URLS=receiver.apprise_url(),
        )
        assert run_cli("relink", "--dry-run", env=env).returncode == 0
        assert jellyfin.updates() == [], "a dry run tells nobody"

        result = run_cli("relink", env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        updates = jellyfin.updates()
        assert (str(root / "Movies/黑客帝国 (1999) [tmdbid-603]"), "Deleted") in updates
        assert (str(root / "TV Shows/绝命毒师 (2008) [tmdbid-1396]/Season 05"), "Deleted") in updates
        assert (str(root / "Movies/The Matrix (1999) [tmdbid-603]"), "Created") in updates
        assert (str(root / "TV Shows/Breaking Bad (2008) [tmdbid-1396]"), "Created") in updates
        assert len(updates) == 4
        assert receiver.notices() == [], "moving links is no news for the owner"


def test_relink_leaves_a_file_being_fixed_or_processed_alone(tmp_path, library):
    """A row claimed after relink read it (a `fix` or a worker on it): its link and row are theirs."""
    from clearmedia.commands.relink import _relink_all
    from clearmedia.config import load_settings
    from clearmedia.store import queue
    from clearmedia.store.db import open_database
    from clearmedia.store.models import MediaFile, Status

    settings = load_settings(environ=dict(library, TMDB_LANGUAGE="en-US"), require_library=True)
    open_database(settings.data_dir)
    rows = list(MediaFile.select().where(MediaFile.status == Status.COMPLETED).order_by(MediaFile.id))
    movie = next(row for row in rows if row.media_type == "movie")
    busy = queue.claim_file(movie.id)  # `fix` began on the movie after relink listed it

    problems = _relink_all(rows, settings, dry=False)

    assert len(problems) == 1 and f"#{movie.id}" in problems[0] and "relink again" in problems[0]
    assert MediaFile.get_by_id(movie.id).target == busy.target  # the row is still the fixer's
    assert files_below(tmp_path / "library") == {
        "Movies/黑客帝国 (1999) [tmdbid-603]/黑客帝国 (1999).mkv",
        "Movies/黑客帝国 (1999) [tmdbid-603]/黑客帝国 (1999).zh.srt",
        "TV Shows/Breaking Bad (2008) [tmdbid-1396]/Season 05/Breaking Bad S05E14.mkv",
    }


def test_subtitles_move_while_the_row_is_still_claimed(tmp_path, library, monkeypatch):
    """A `fix` or worker cannot take the row while its subtitle links are being moved."""
    import clearmedia.library.relink as moves
    from clearmedia.commands.relink import _relink_all
    from clearmedia.config import load_settings
    from clearmedia.store import queue
    from clearmedia.store.db import open_database
    from clearmedia.store.models import MediaFile, Status

    settings = load_settings(environ=dict(library, TMDB_LANGUAGE="en-US"), require_library=True)
    open_database(settings.data_dir)
    rows = list(MediaFile.select().where(MediaFile.status == Status.COMPLETED).order_by(MediaFile.id))
    movie = next(row for row in rows if row.media_type == "movie")
    seen = []
    real_move = moves.move_link

    def move_link(old, new, expected, source=None):
        if new.suffix == ".srt":
            seen.append(queue.claim_file(movie.id) is None)  # what a `fix` starting now would get
        return real_move(old, new, expected, source)

    monkeypatch.setattr(moves, "move_link", move_link)
    assert _relink_all(rows, settings, dry=False) == []
    assert seen == [True], "the subtitle moved while the row was claimed by relink"
    after = MediaFile.get_by_id(movie.id)
    assert after.status == Status.COMPLETED and after.claimed_by is None
    assert files_below(tmp_path / "library") >= {
        "Movies/The Matrix (1999) [tmdbid-603]/The Matrix (1999).zh.srt",
    }
