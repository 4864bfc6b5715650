"""`clearmedia fix`: the real CLI, real files and hard links, the fake TMDB.

A wrong match is forced to the right work, the old link goes (only while it is still the same
file), the choice survives rescans, `retry` and new processes, and a fixed season pack takes
files that arrive later.
"""

from __future__ import annotations

import json

import pytest

from tests.helpers import FIXTURES, base_env, fingerprint, listed_by_name, make_video, run_cli


@pytest.fixture
def env(tmp_path, tmdb):
    return base_env(tmp_path, TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US")


def scan(env) -> None:
    result = run_cli("scan", env=env)
    assert result.returncode == 0, result.stderr


DUNE_2021 = "Movies/Dune (2021) [tmdbid-438631]/Dune (2021).mkv"
DUNE_1984 = "Movies/Dune (1984) [tmdbid-841]/Dune (1984).mkv"


def test_fix_moves_a_movie_to_the_chosen_work_and_the_choice_survives_rescans_and_retry(tmp_path, env):
    library = tmp_path / "library"
    source = make_video(tmp_path / "downloads" / "Dune.2021.1080p.WEB-DL.mkv")
    before = fingerprint(source)
    scan(env)
    row = listed_by_name(env)[source.name]
    assert row["target"] == str(library / DUNE_2021) and row["match_source"] == "guessit"

    result = run_cli("fix", str(row["id"]), "--tmdb", "movie/841", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "linked:" in result.stdout
    assert (library / DUNE_1984).stat().st_ino == source.stat().st_ino
    assert not (library / DUNE_2021).exists()
    assert not (library / DUNE_2021).parent.exists(), "the old, now empty folder is removed"
    assert (library / "Movies").is_dir() and library.is_dir()
    row = listed_by_name(env)[source.name]
    assert (row["status"], row["tmdb_id"], row["year"], row["match_source"]) == (
        "COMPLETED",
        841,
        1984,
        "manual",
    )
    listed = run_cli("list", "--match-source", "manual", "--json", env=env)
    assert [r["id"] for r in json.loads(listed.stdout)] == [row["id"]]

    for command in (["scan"], ["retry", str(row["id"])], ["scan"]):  # each a new process: a restart
        result = run_cli(*command, env=env)
        assert result.returncode == 0, result.stderr
    row = listed_by_name(env)[source.name]
    assert (row["status"], row["tmdb_id"], row["match_source"]) == ("COMPLETED", 841, "manual")
    assert not (library / DUNE_2021).exists()
    assert fingerprint(source) == before, "the download itself is never touched"


def test_fix_a_single_episode_with_season_and_episode(tmp_path, env):
    source = make_video(tmp_path / "downloads" / "bb-special-cut.mkv")
    scan(env)
    row = listed_by_name(env)[source.name]
    result = run_cli("fix", str(row["id"]), "--tmdb", "tv/1396", "--season", "2", "--episode", "3", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    target = tmp_path / "library/TV Shows/Breaking Bad (2008) [tmdbid-1396]/Season 02/Breaking Bad S02E03.mkv"
    assert target.stat().st_ino == source.stat().st_ino
    row = listed_by_name(env)[source.name]
    assert (row["season"], row["episodes"], row["match_source"]) == (2, [3], "manual")


def test_a_fixed_season_pack_stays_fixed_and_takes_later_files(tmp_path, env):
    pack = tmp_path / "downloads" / "[Group] Heisenberg Chronicles S01 [1080p]"
    for number in (1, 2, 3):
        make_video(pack / f"[Group] Heisenberg Chronicles - S01E0{number} [1080p].mkv")
    make_video(pack / "Sample" / "sample.mkv")
    scan(env)
    found = listed_by_name(env)
    first = found["[Group] Heisenberg Chronicles - S01E01 [1080p].mkv"]
    assert first["status"] == "FAILED"  # TMDB knows no such title

    result = run_cli("fix", str(first["id"]), "--tmdb", "tv/1396", "--folder", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    show = tmp_path / "library/TV Shows/Breaking Bad (2008) [tmdbid-1396]/Season 01"
    assert sorted(p.name for p in show.iterdir()) == [f"Breaking Bad S01E0{n}.mkv" for n in (1, 2, 3)]
    assert listed_by_name(env)["sample.mkv"]["status"] == "IGNORED", "samples in the pack stay ignored"

    make_video(pack / "[Group] Heisenberg Chronicles - S01E04 [1080p].mkv")  # arrives later
    scan(env)
    assert (show / "Breaking Bad S01E04.mkv").exists()
    ids = [
        str(r["id"])
        for name, r in listed_by_name(env).items()
        if name.endswith(".mkv") and "sample" not in name
    ]
    assert run_cli("retry", *ids, env=env).returncode == 0
    scan(env)
    for name, row in listed_by_name(env).items():
        if name != "sample.mkv":
            assert (row["status"], row["tmdb_id"], row["match_source"]) == ("COMPLETED", 1396, "manual"), name
    assert sorted(p.name for p in show.iterdir()) == [f"Breaking Bad S01E0{n}.mkv" for n in (1, 2, 3, 4)]


def test_fix_into_an_occupied_path_is_a_conflict_and_keeps_the_old_link(tmp_path, env):
    library = tmp_path / "library"
    source = make_video(tmp_path / "downloads" / "Dune.2021.1080p.mkv")
    scan(env)
    row = listed_by_name(env)[source.name]
    occupant = make_video(library / DUNE_1984, size_mb=1)
    result = run_cli("fix", str(row["id"]), "--tmdb", "movie/841", env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "conflict" in result.stdout and "old link" in result.stdout
    assert (library / DUNE_2021).stat().st_ino == source.stat().st_ino
    assert occupant.stat().st_size == 1024 * 1024 and occupant.stat().st_ino != source.stat().st_ino
    assert listed_by_name(env)[source.name]["status"] == "CONFLICT"


def test_an_old_link_that_is_another_file_now_is_left_alone(tmp_path, env):
    library = tmp_path / "library"
    source = make_video(tmp_path / "downloads" / "Dune.2021.1080p.mkv")
    scan(env)
    row = listed_by_name(env)[source.name]
    (library / DUNE_2021).unlink()
    (library / DUNE_2021).write_bytes(b"the owner's own file")
    result = run_cli("fix", str(row["id"]), "--tmdb", "movie/841", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (library / DUNE_2021).read_bytes() == b"the owner's own file"
    assert "left:" in result.stdout
    assert (library / DUNE_1984).stat().st_ino == source.stat().st_ino


@pytest.mark.parametrize(
    "arguments, words",
    [
        (["999", "--tmdb", "movie/841"], "no file with id 999"),
        (["{id}", "--tmdb", "movie/99999999"], "TMDB has no movie/99999999"),
        (["{id}", "--tmdb", "tv/1396", "--folder", "--season", "1"], "for a single file"),
        (["{id}", "--tmdb", "movie/841", "--season", "1"], "for tv works"),
        (["{id}", "--tmdb", "tv/1396", "--season", "9", "--episode", "1"], "no season 9"),
        (["{id}", "--tmdb", "film:12"], "movie/N or tv/N"),
    ],
)
def test_bad_usage_exits_2_and_changes_nothing(tmp_path, env, arguments, words):
    library = tmp_path / "library"
    make_video(tmp_path / "downloads" / "Dune.2021.1080p.mkv")
    scan(env)
    row = listed_by_name(env)["Dune.2021.1080p.mkv"]
    result = run_cli("fix", *[a.format(id=row["id"]) for a in arguments], env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert words in result.stderr
    assert "Traceback" not in result.stderr
    assert listed_by_name(env)["Dune.2021.1080p.mkv"] == row
    assert sorted(str(p.relative_to(library)) for p in library.rglob("*.mkv")) == [DUNE_2021]


def test_folder_fix_of_a_file_directly_in_the_download_folder_is_refused(tmp_path, env):
    make_video(tmp_path / "downloads" / "Dune.2021.1080p.mkv")
    scan(env)
    row = listed_by_name(env)["Dune.2021.1080p.mkv"]
    result = run_cli("fix", str(row["id"]), "--tmdb", "movie/841", "--folder", env=env)
    assert result.returncode == 2
    assert "not in a folder of its own" in result.stderr


def test_an_older_database_gains_the_manual_match_table_and_folder_choices_cover_later_files(tmp_path):
    import sqlite3

    from clearmedia.store import overrides
    from clearmedia.store.db import open_database
    from clearmedia.store.models import MediaFile

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    schema_v1 = FIXTURES / "schema_v1.sql"
    with sqlite3.connect(data_dir / "clearmedia.db") as old:
        old.executescript(schema_v1.read_text())
    old.close()
    db = open_database(data_dir)
    try:
        assert "manual_match" in db.get_tables()
        common = dict(device=1, source_root="/dl", size=1, mtime=1.0)
        inside = MediaFile.create(inode=10, path="/dl/Pack S01/Sub/E01.mkv", **common)
        beside = MediaFile.create(inode=11, path="/dl/Pack S01 Extra/E01.mkv", **common)
        loose = MediaFile.create(inode=12, path="/dl/E01.mkv", **common)
        overrides.remember_folder("/dl/Pack S01", overrides.Choice("tv", 1396))
        assert overrides.lookup(inside) == overrides.Choice("tv", 1396)
        assert overrides.lookup(beside) is None and overrides.lookup(loose) is None
        overrides.remember_file(inside.id, overrides.Choice("tv", 1399, 2, (3,)))
        assert overrides.lookup(inside) == overrides.Choice("tv", 1399, 2, (3,))
        overrides.remember_folder("/dl/Pack S01", overrides.Choice("movie", 603))  # replaced, not added
        assert (
            overrides.lookup(MediaFile.create(inode=13, path="/dl/Pack S01/E02.mkv", **common)).tmdb_id == 603
        )
    finally:
        db.close()


@pytest.mark.slow
def test_a_fixed_season_pack_stays_fixed_through_a_daemon_restart_and_its_rescan(tmp_path, tmdb):
    from tests.daemon_helpers import DaemonProcess, wait_for

    env = base_env(tmp_path, TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US", SCAN_INTERVAL="3600")
    pack = tmp_path / "downloads" / "Heisenberg.Chronicles.S01.1080p"
    for number in (1, 2):
        make_video(pack / f"Heisenberg.Chronicles.S01E0{number}.1080p.mkv")
    scan(env)
    first = listed_by_name(env)["Heisenberg.Chronicles.S01E01.1080p.mkv"]
    assert run_cli("fix", str(first["id"]), "--tmdb", "tv/1396", "--folder", env=env).returncode == 0
    ids = [str(r["id"]) for r in listed_by_name(env).values()]
    assert run_cli("retry", *ids, env=env).returncode == 0  # due again: the daemon decides anew
    make_video(pack / "Heisenberg.Chronicles.S01E03.1080p.mkv")  # found by the daemon's first rescan
    daemon = DaemonProcess(env, tmp_path / "daemon.log")
    try:
        daemon.wait_ready()

        def all_fixed():
            found = listed_by_name(env)
            return len(found) == 3 and all(
                (r["status"], r["tmdb_id"], r["match_source"]) == ("COMPLETED", 1396, "manual")
                for r in found.values()
            )

        wait_for(all_fixed, timeout=20, what="the pack linked again as the fixed show")
    finally:
        assert daemon.stop() == 0
    season = tmp_path / "library/TV Shows/Breaking Bad (2008) [tmdbid-1396]/Season 01"
    assert sorted(p.name for p in season.iterdir()) == [f"Breaking Bad S01E0{n}.mkv" for n in (1, 2, 3)]
