"""The scanner tells files apart by (device, inode): renames, hard links, reused inodes, a
folder moved in whole, a device number that changed; a file is never recorded twice."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from clearmedia.discover.scanner import Scanner
from clearmedia.store.models import MediaFile, Status, Subtitle
from tests.helpers import MB, make_video
from tests.helpers import recorded_names as names
from tests.helpers import recorded_rows as rows


def test_rename_inside_the_source_updates_the_path_and_is_not_reprocessed(scan_env):
    make, dl = scan_env
    old = make_video(dl / "incoming" / "Heat.1995.1080p.mkv")
    scanner = Scanner(make())
    scanner.scan_all()
    (row,) = rows().values()
    MediaFile.update(status=Status.COMPLETED, target="/library/Heat (1995).mkv").execute()
    new = dl / "done" / "Heat (1995)" / "Heat.1995.1080p.mkv"
    new.parent.mkdir(parents=True)
    os.rename(old, new)

    report = scanner.scan_all()

    (moved,) = rows().values()
    assert report.moved == 1 and report.new == 0
    assert (moved.id, moved.path, moved.status, moved.target) == (
        row.id,
        str(new),
        Status.COMPLETED,
        "/library/Heat (1995).mkv",
    )


def test_another_hard_link_of_a_known_file_gets_no_row(scan_env):
    make, dl = scan_env
    original = make_video(dl / "movies" / "Heat.1995.1080p.mkv")
    scanner = Scanner(make())
    scanner.scan_all()
    (dl / "seeding").mkdir()
    os.link(original, dl / "seeding" / "Heat.1995.1080p.mkv")

    report = scanner.scan_all()

    assert list(rows()) == [str(original)]
    assert report.new == 0 and report.moved == 0 and report.known == 2


def test_hard_links_found_in_one_scan_give_one_row(scan_env):
    make, dl = scan_env
    original = make_video(dl / "a" / "Heat.1995.1080p.mkv")
    (dl / "b").mkdir()
    os.link(original, dl / "b" / "Heat.1995.1080p.mkv")

    report = Scanner(make()).scan_all()

    assert len(rows()) == 1 and report.new == 1


@pytest.mark.parametrize("old_path_state", ["gone", "another file"])
def test_inode_reused_by_a_different_file_counts_as_new(tmp_path, scan_env, old_path_state):
    make, dl = scan_env
    current = make_video(dl / "New.Show.S01E01.mkv", size_mb=30)
    scanner = Scanner(make())
    scanner.scan_all()
    (row,) = rows().values()
    Subtitle.create(path=str(dl / "old.srt"), video=row.id, target="/library/old.zh.srt")
    # The state after the recorded file was deleted and its inode handed to a new file:
    # the row still names the old path, size and results.
    old_path = dl / "Old.Movie.2001.mkv"
    if old_path_state == "another file":
        make_video(old_path, size_mb=11)
    MediaFile.update(
        path=str(old_path),
        size=123,
        status=Status.FAILED,
        attempts=5,
        error="gave up",
        title="Old Movie",
        tmdb_id=42,
        target="/library/Old Movie.mkv",
        next_attempt_at=time.time() + 999,
    ).execute()

    report = scanner.scan_all()

    reset = MediaFile.get_by_id(row.id)
    assert row.id in report.new_ids and report.moved == 0
    assert report.new == (2 if old_path_state == "another file" else 1)
    assert (reset.path, reset.size, reset.mtime) == (str(current), 30 * MB, os.stat(current).st_mtime)
    assert (reset.status, reset.attempts, reset.error) == (Status.PENDING, 0, None)
    assert (reset.title, reset.tmdb_id, reset.target, reset.next_attempt_at) == (None, None, None, 0)
    assert Subtitle.select().count() == 0
    if old_path_state == "another file":
        assert str(old_path) in rows()  # the file now at the old path is a file of its own


def test_consider_a_single_file(tmp_path, scan_env):
    make, dl = scan_env
    scanner = Scanner(make(SETTLE_SECONDS="60"))
    video = make_video(dl / "Heat.1995.1080p.mkv")
    sample = make_video(dl / "Heat.1995.1080p-sample.mkv")
    fresh = make_video(dl / "Fresh.2020.mkv", age_s=1)
    partial = make_video(dl / "Partial.2020.mkv.part")
    nfo = make_video(dl / "Heat.1995.nfo", size_mb=0.01)
    outside = make_video(tmp_path / "elsewhere" / "Other.2020.mkv")
    in_nas_folder = make_video(dl / "@eaDir" / "Thumb.mkv")
    os.symlink(video, dl / "Link.mkv")
    os.symlink(tmp_path / "elsewhere", dl / "linked")

    assert scanner.consider(video) == "new"
    assert scanner.last_report.new_ids == [rows()[str(video)].id]
    assert scanner.consider(video) == "known"
    assert scanner.consider(sample) == "ignored"
    assert scanner.consider(fresh) == "unsettled"
    assert scanner.consider(partial) == "incomplete"
    for path in (
        nfo,
        outside,
        in_nas_folder,
        dl / "Link.mkv",
        dl / "linked" / "Other.2020.mkv",
        dl / "gone.mkv",
    ):
        assert scanner.consider(path) == "skipped", path
    renamed = dl / "Heat (1995).mkv"
    os.rename(video, renamed)
    assert scanner.consider(str(renamed)) == "moved"
    assert rows()[str(renamed)].status == Status.PENDING
    assert names() == {"Heat (1995).mkv", "Heat.1995.1080p-sample.mkv"}


def test_consider_a_folder_moved_in_whole(tmp_path, scan_env):
    make, dl = scan_env
    scanner = Scanner(make())
    staging = tmp_path / "staging" / "The.Matrix.1999.1080p"
    make_video(staging / "The.Matrix.1999.1080p.mkv")
    make_video(staging / "Sample" / "matrix-sample.mkv")
    make_video(staging / "matrix.nfo", size_mb=0.01)
    dl.mkdir(exist_ok=True)
    os.rename(staging.parent, dl / "incoming")

    assert scanner.consider(dl / "incoming") == "folder"

    found = {os.path.relpath(path, dl): row.status for path, row in rows().items()}
    assert found == {
        "incoming/The.Matrix.1999.1080p/The.Matrix.1999.1080p.mkv": Status.PENDING,
        "incoming/The.Matrix.1999.1080p/Sample/matrix-sample.mkv": Status.IGNORED,
    }
    assert scanner.last_report.new == 1 and scanner.last_report.ignored == 1
    # A folder inside an extras folder keeps the reason; the library folder is never walked.
    make_video(dl / "Heat (1995)" / "Extras" / "Cast" / "Interview.mkv")
    assert scanner.consider(dl / "Heat (1995)" / "Extras" / "Cast") == "folder"
    assert "Extras" in rows()[str(dl / "Heat (1995)" / "Extras" / "Cast" / "Interview.mkv")].error
    assert scanner.consider(Path(tmp_path / "library")) == "skipped"


def test_a_new_device_number_for_the_same_files_is_not_a_new_file(scan_env):
    """NFS, SMB, mergerfs and btrfs may number their device differently after a remount."""
    make, dl = scan_env
    for n in range(3):
        make_video(dl / f"Show.S01E0{n}.mkv")
    scanner = Scanner(make())
    scanner.scan_all()
    ids = {row.path: row.id for row in MediaFile.select()}
    real_device = os.stat(dl).st_dev
    MediaFile.update(device=real_device + 1000).execute()  # as recorded before the remount

    report = scanner.scan_all()

    assert (report.new, report.known) == (0, 3)
    assert {row.path: (row.id, row.device) for row in MediaFile.select()} == {
        path: (file_id, real_device) for path, file_id in ids.items()
    }
