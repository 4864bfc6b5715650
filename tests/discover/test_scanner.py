"""The scanner on real files in temporary folders, with a real SQLite database: what is
recorded, what is skipped or ignored and why (which file is which: test_scanner_identity.py)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

import pytest

from clearmedia.config import load_settings
from clearmedia.discover.scanner import Scanner
from clearmedia.store.models import MediaFile, Meta, Status, Subtitle
from tests.helpers import MB, base_env, fingerprint, make_video
from tests.helpers import recorded_names as names
from tests.helpers import recorded_rows as rows


def test_records_settled_videos_as_pending_and_nothing_else(scan_env):
    make, dl = scan_env
    videos = [
        make_video(
            dl / "The.Matrix.1999.1080p.BluRay.x264-AMIABLE" / "The.Matrix.1999.1080p.BluRay.x264-AMIABLE.mkv"
        ),
        make_video(dl / "Dune.2021.2160p.WEB.mp4"),
        make_video(dl / "Show.S01" / "Show.S01E01.m2ts"),
        make_video(dl / "old.RMVB"),
    ]
    others = [
        make_video(dl / "The.Matrix.1999.1080p.BluRay.x264-AMIABLE" / "movie.nfo", size_mb=0.01),
        make_video(dl / "poster.jpg", size_mb=0.5),
        make_video(dl / "Dune.2021.2160p.WEB.chs.srt", size_mb=0.1),
        make_video(dl / "Show.S01" / "Subs" / "Show.S01E01.ass", size_mb=0.1),
    ]
    before = {path: fingerprint(path) for path in videos + others}

    report = Scanner(make()).scan_all()

    found = rows()
    assert set(found) == {str(path) for path in videos}
    assert (
        report.new == 4
        and report.seen == 4
        and sorted(report.new_ids) == sorted(r.id for r in found.values())
    )
    for path in videos:
        row, st = found[str(path)], os.stat(path)
        assert row.status == Status.PENDING and row.error is None
        assert (row.device, row.inode, row.size, row.mtime) == (st.st_dev, st.st_ino, st.st_size, st.st_mtime)
        assert row.source_root == str(dl) and row.attempts == 0
    assert Subtitle.select().count() == 0
    assert {path: fingerprint(path) for path in videos + others} == before


def test_rescan_with_nothing_new_changes_nothing(scan_env):
    make, dl = scan_env
    for n in range(5):
        make_video(dl / f"Show.S01E0{n}.mkv")
    scanner = Scanner(make())
    first = scanner.scan_all()
    stamps = {row.id: row.updated_at for row in MediaFile.select()}

    again = scanner.scan_all()

    assert first.new == 5
    assert (again.new, again.known, again.moved, again.new_ids) == (0, 5, 0, [])
    assert {row.id: row.updated_at for row in MediaFile.select()} == stamps


@pytest.mark.parametrize(
    "name, sibling",
    [
        ("Movie.2020.mkv.!qB", None),
        ("Movie.2020.mkv.part", None),
        ("Ne.Zha.2.2025.2160p.WEB-DL.mp4.crdownload", None),
        ("Movie.2020.mkv.tmp", None),
        ("Movie.2020.mkv", "Movie.2020.mkv.aria2"),
    ],
)
def test_incomplete_downloads_get_no_row(scan_env, name, sibling):
    make, dl = scan_env
    make_video(dl / "incoming" / name)
    if sibling:
        make_video(dl / "incoming" / sibling, size_mb=0.001)
    scanner = Scanner(make())

    report = scanner.scan_all()

    assert rows() == {} and report.incomplete == 1 and report.new == 0
    # Once the download is complete (renamed, or its .aria2 control file removed), it is found.
    if sibling:
        os.remove(dl / "incoming" / sibling)
    else:
        os.rename(dl / "incoming" / name, dl / "incoming" / "Movie.2020.mkv")
    assert scanner.scan_all().new == 1
    assert names() == {"Movie.2020.mkv"}


def test_unsettled_file_waits_until_it_is_old_enough(scan_env):
    make, dl = scan_env
    make_video(dl / "Settled.2020.mkv", age_s=120)
    fresh = make_video(dl / "Fresh.2020.mkv", age_s=5)
    scanner = Scanner(make(SETTLE_SECONDS="60"))

    report = scanner.scan_all()

    assert names() == {"Settled.2020.mkv"}
    assert report.unsettled == 1
    past = time.time() - 61
    os.utime(fresh, (past, past))
    assert scanner.scan_all().new == 1
    assert names() == {"Settled.2020.mkv", "Fresh.2020.mkv"}


@pytest.mark.parametrize(
    "folder", [".hidden", "@eaDir", "#recycle", "@Recycle", ".Trash-1000", "sub/@eaDir/Movie.mkv"]
)
def test_hidden_and_nas_system_folders_are_skipped(scan_env, folder):
    make, dl = scan_env
    make_video(dl / folder / "Blade.Runner.2049.2017.1080p.mkv")
    make_video(dl / "Visible.2020.mkv")

    Scanner(make()).scan_all()

    assert names() == {"Visible.2020.mkv"}


def test_target_and_data_inside_a_source_folder_are_not_walked(tmp_path, scan_env):
    _, dl = scan_env
    library, data = dl / "library", dl / "data"
    make_video(library / "Movies" / "Heat (1995)" / "Heat (1995).mkv")
    make_video(data / "Stray.2020.mkv")
    make_video(dl / "Heat.1995.1080p.mkv")
    from clearmedia.store.db import open_database

    open_database(data)
    settings = load_settings(
        None, require_library=True, environ=base_env(tmp_path, TARGET_DIR=str(library), DATA_DIR=str(data))
    )

    Scanner(settings).scan_all()

    assert names() == {"Heat.1995.1080p.mkv"}


def test_symlinks_are_never_followed(tmp_path, scan_env):
    make, dl = scan_env
    outside = tmp_path / "elsewhere"
    target_file = make_video(outside / "Linked.File.2020.mkv")
    make_video(outside / "folder" / "Linked.Folder.2020.mkv")
    dl.mkdir(exist_ok=True)
    os.symlink(target_file, dl / "Link.To.File.mkv")
    os.symlink(outside / "folder", dl / "LinkToFolder")
    os.symlink(outside / "missing.mkv", dl / "Dangling.mkv")
    make_video(dl / "Real.2020.mkv")

    Scanner(make()).scan_all()

    assert names() == {"Real.2020.mkv"}


@pytest.mark.parametrize(
    "relative, reason",
    [
        ("Movies/The.Matrix.1999/Sample/the.matrix.1999.1080p-sample.mkv", "sample"),
        ("TV/Doctor.Who.2005.S10E12.720p.HDTV.x264-MTB-Sample.mkv", "sample file"),
        ("Movies/Heat (1995)/Heat (1995)-featurette.mkv", "featurette"),
        ("Movies/Heat (1995)/Samples/heat.mkv", 'sample file (in the "Samples" folder)'),
        ("Movies/Heat (1995)/Extras/Making of.mkv", 'extra (in the "Extras" folder)'),
        ("Movies/Heat (1995)/Featurettes/Cast.mkv", "Featurettes"),
        ("Movies/Heat (1995)/Trailers/Teaser.mkv", "Trailers"),
        ("Movies/Heat (1995)/Behind The Scenes/Shooting.mkv", "Behind The Scenes"),
        ("Movies/Heat (1995)/Deleted Scenes/Bank.mkv", "Deleted Scenes"),
        ("Movies/Heat (1995)/Interviews/Mann.mkv", "Interviews"),
        ("Movies/Heat.1995.Trailer.1080p.mkv", "trailer"),
        ("Anime/[Group] Show - NCOP1 [1080p].mkv", "NCOP/NCED"),
        ("Anime/[Group] Show - NCED [1080p].mkv", "NCOP/NCED"),
        ("Movies/Heat (1995)/Heat (1995)-behindthescenes.mkv", "extra"),
    ],
)
def test_samples_and_extras_are_ignored_with_a_reason(scan_env, relative, reason):
    make, dl = scan_env
    make_video(dl / relative, size_mb=50)

    report = Scanner(make()).scan_all()

    (row,) = rows().values()
    assert row.status == Status.IGNORED and reason in row.error
    assert report.ignored == 1 and report.new == 0 and report.new_ids == []


@pytest.mark.parametrize(
    "relative",
    [
        "TV/Trailer.Park.Boys.S01E01.720p.mkv",
        "Movies/Dance.Francaise.2019.mkv",
        "Movies/Samples.Of.Life.2018.mkv",
    ],
)
def test_titles_that_merely_contain_the_words_are_not_ignored(scan_env, relative):
    make, dl = scan_env
    make_video(dl / relative)

    Scanner(make()).scan_all()

    assert [row.status for row in rows().values()] == [Status.PENDING]


def test_too_small_is_ignored_and_exactly_the_minimum_is_not(scan_env):
    make, dl = scan_env
    make_video(dl / "Fargo.S05E04.1080p.WEB.h264-ETHEL.mkv", size_mb=3.2)
    make_video(dl / "Empty.S01E01.mkv", size_mb=0)
    make_video(dl / "Exactly.Ten.mkv", size_mb=10)

    Scanner(make()).scan_all()

    found = {os.path.basename(path): row for path, row in rows().items()}
    assert found["Fargo.S05E04.1080p.WEB.h264-ETHEL.mkv"].status == Status.IGNORED
    assert (
        found["Fargo.S05E04.1080p.WEB.h264-ETHEL.mkv"].error
        == "too small: 3.2 MB is under MIN_FILE_SIZE_MB=10"
    )
    assert found["Empty.S01E01.mkv"].error == "too small: 0.0 MB is under MIN_FILE_SIZE_MB=10"
    assert found["Exactly.Ten.mkv"].status == Status.PENDING and found["Exactly.Ten.mkv"].size == 10 * MB


def test_hostile_names_do_not_crash_the_scan_and_survive_byte_for_byte(scan_env):
    make, dl = scan_env
    dl_bytes = os.fsencode(dl)
    folder = dl_bytes + b"/\xe7\x94\xb5\xe5\xbd\xb1 bad\xff\xfe folder"
    os.makedirs(folder)
    paths = [
        folder + b"/Movie.\xc3\x28.2020.mkv",  # invalid UTF-8
        dl_bytes + b"/New\nLine.2020.mkv",
        dl_bytes + b"/" + b"A" * 251 + b".mkv",  # a 255-byte name
        dl_bytes + b'/Colon: Star* What? "Quoted" <less> more> pipe|.mkv',
        dl_bytes + b"/" + b"/".join([b"D" * 200] * 3) + b"/deep.mkv",  # a path of over 600 bytes
        "/".join([str(dl), "中文", "流浪地球2.2023.2160p.mkv"]).encode(),
    ]
    for path in paths:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.truncate(20 * MB)
        os.utime(path, (time.time() - 3600,) * 2)
    before = [os.stat(path) for path in paths]

    report = Scanner(make()).scan_all()

    assert report.new == len(paths) and report.errors == 0
    stored = {os.fsencode(row.path) for row in MediaFile.select()}
    assert stored == set(paths)
    assert all(os.path.exists(row.path) for row in MediaFile.select())
    assert [os.stat(path) for path in paths] == before


def test_several_source_folders_each_are_their_files_source_root(tmp_path, db):
    movies, tv = tmp_path / "movies", tmp_path / "tv"
    nested = movies / "anime"
    make_video(movies / "Heat.1995.mkv")
    make_video(tv / "Show.S01E01.mkv")
    make_video(nested / "Show - 01.mkv")
    settings = load_settings(
        None, require_library=True, environ=base_env(tmp_path, SOURCE_DIR=f"{movies}:{tv}:{nested}")
    )

    report = Scanner(settings).scan_all()

    roots = {os.path.basename(path): row.source_root for path, row in rows().items()}
    assert roots == {"Heat.1995.mkv": str(movies), "Show.S01E01.mkv": str(tv), "Show - 01.mkv": str(nested)}
    assert report.new == 3


def test_last_scan_is_written_in_utc(scan_env):
    make, dl = scan_env
    assert Meta.get_value("last_scan") is None
    before = datetime.now(UTC).replace(microsecond=0)

    Scanner(make()).scan_all()

    written = datetime.fromisoformat(Meta.get_value("last_scan"))
    assert written.utcoffset().total_seconds() == 0
    assert before <= written <= datetime.now(UTC)
