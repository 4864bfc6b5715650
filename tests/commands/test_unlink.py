"""`clearmedia unlink`: the real CLI removes only links that are still the same files."""

from __future__ import annotations

import pytest

from tests.helpers import base_env, fingerprint, listed_by_name, make_video, run_cli

MOVIE = "Movies/Inception (2010) [tmdbid-27205]"


@pytest.fixture
def env(tmp_path, tmdb):
    return base_env(tmp_path, TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US")


def linked_movie(tmp_path, env):
    downloads = tmp_path / "downloads" / "Inception.2010.1080p"
    source = make_video(downloads / "Inception.2010.1080p.mkv")
    subtitle = downloads / "Inception.2010.1080p.chs.srt"
    subtitle.write_text("1\n00:00:01,000 --> 00:00:02,000\n你好\n", encoding="utf-8")
    assert run_cli("scan", env=env).returncode == 0
    row = listed_by_name(env)[source.name]
    assert row["status"] == "COMPLETED" and len(row["subtitles"]) == 1
    return source, subtitle, row


def test_unlink_removes_video_and_subtitle_links_and_empty_folders_and_retry_brings_it_back(tmp_path, env):
    library = tmp_path / "library"
    source, subtitle, row = linked_movie(tmp_path, env)
    before = fingerprint(source), fingerprint(subtitle)
    other = make_video(library / "Movies" / "Heat (1995)" / "Heat (1995).mkv", size_mb=1)

    result = run_cli("unlink", str(row["id"]), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (library / MOVIE).exists(), "the folder left empty is removed"
    assert other.exists() and (library / "Movies").is_dir(), "a folder that holds something stays"
    assert (fingerprint(source), fingerprint(subtitle)) == before
    assert source.stat().st_nlink == 1 and subtitle.stat().st_nlink == 1
    after = listed_by_name(env)[source.name]
    assert (after["status"], after["error"], after["target"], after["subtitles"]) == (
        "IGNORED",
        "unlinked by user",
        None,
        [],
    )
    assert run_cli("scan", env=env).returncode == 0
    assert listed_by_name(env)[source.name]["status"] == "IGNORED", "a rescan leaves it unlinked"
    assert not (library / MOVIE).exists()

    assert run_cli("retry", str(row["id"]), env=env).returncode == 0
    assert run_cli("scan", env=env).returncode == 0
    again = listed_by_name(env)[source.name]
    assert again["status"] == "COMPLETED" and again["target"] == row["target"]
    assert len(again["subtitles"]) == 1


def test_unlink_never_removes_target_dir_itself(tmp_path, env):
    library = tmp_path / "library"
    _, _, row = linked_movie(tmp_path, env)
    assert run_cli("unlink", str(row["id"]), env=env).returncode == 0
    assert library.is_dir() and list(library.iterdir()) == []


def test_a_link_replaced_by_another_file_is_left_and_exit_is_1(tmp_path, env):
    library = tmp_path / "library"
    source, _, row = linked_movie(tmp_path, env)
    video = library / MOVIE / "Inception (2010).mkv"
    video.unlink()
    video.write_bytes(b"the owner's own copy")
    result = run_cli("unlink", str(row["id"]), env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert video.read_bytes() == b"the owner's own copy"
    assert "left:" in result.stdout
    assert not (library / MOVIE / "Inception (2010).zh.srt").exists(), "the subtitle link still was ours"
    assert listed_by_name(env)[source.name]["status"] == "IGNORED"


def test_unknown_ids_exit_2_and_change_nothing(tmp_path, env):
    library = tmp_path / "library"
    source, _, row = linked_movie(tmp_path, env)
    result = run_cli("unlink", str(row["id"]), "4242", env=env)
    assert result.returncode == 2
    assert "no file with id 4242" in result.stderr
    assert (library / MOVIE / "Inception (2010).mkv").stat().st_ino == source.stat().st_ino
    assert listed_by_name(env)[source.name] == row


def test_a_file_never_linked_just_becomes_ignored(tmp_path, env):
    make_video(tmp_path / "downloads" / "Completely.Unknown.Thing.2019.mkv")
    assert run_cli("scan", env=env).returncode == 0
    row = listed_by_name(env)["Completely.Unknown.Thing.2019.mkv"]
    assert row["status"] == "FAILED"
    result = run_cli("unlink", str(row["id"]), env=env)
    assert result.returncode == 0, result.stderr
    assert listed_by_name(env)["Completely.Unknown.Thing.2019.mkv"]["status"] == "IGNORED"


def test_jellyfin_is_told_the_folder_lost_its_files(tmp_path, env):
    from tests.fakes.fake_media_servers import FakeJellyfin

    source, _, row = linked_movie(tmp_path, env)
    with FakeJellyfin() as jellyfin:
        env = dict(env, JELLYFIN_URL=jellyfin.url, JELLYFIN_API_KEY=jellyfin.api_key)
        result = run_cli("unlink", str(row["id"]), env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert (str(tmp_path / "library" / MOVIE), "Deleted") in jellyfin.updates()


@pytest.mark.parametrize("command", [["unlink", "1"], ["fix", "1", "--tmdb", "movie/27205"], ["relink"]])
def test_commands_naming_files_create_no_database_where_there_is_none(tmp_path, env, command):
    result = run_cli(*command, env=env)
    db_path = tmp_path / "data" / "clearmedia.db"
    assert f"no database at {db_path}" in result.stdout + result.stderr
    assert result.returncode == (0 if command == ["relink"] else 2)
    assert not db_path.exists()


def test_a_database_error_leaves_the_row_as_it_was_and_unlink_again_finishes(tmp_path, env):
    import sqlite3

    source, _, row = linked_movie(tmp_path, env)
    database = sqlite3.connect(tmp_path / "data" / "clearmedia.db")
    database.execute(
        "CREATE TRIGGER refuse_ignored BEFORE UPDATE OF status ON media_file WHEN NEW.status = 'IGNORED' "
        "BEGIN SELECT RAISE(ABORT, 'database is refusing writes'); END"
    )
    database.commit()

    result = run_cli("unlink", str(row["id"]), env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "database is refusing writes" in result.stdout
    assert "Traceback" not in result.stderr
    after = listed_by_name(env)[source.name]
    assert {k: after[k] for k in ("status", "error", "target", "subtitles")} == {
        k: row[k] for k in ("status", "error", "target", "subtitles")
    }, "the row keeps its old status, not PROCESSING (and not PENDING after a restart)"

    database.execute("DROP TRIGGER refuse_ignored")
    database.commit()
    database.close()
    again = run_cli("unlink", str(row["id"]), env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert listed_by_name(env)[source.name]["status"] == "IGNORED"
    assert not (tmp_path / "library" / MOVIE).exists()
