"""The processor when the download folder changes under a file waiting in the queue: a disk that is
unmounted for a while, a folder renamed while its file waits. Real files, links, SQLite, fake TMDB."""

from __future__ import annotations

import json
import os
from pathlib import Path

from clearmedia.config import load_settings
from clearmedia.discover.scanner import Scanner
from clearmedia.identify import Identifier
from clearmedia.runtime.workers import process_due
from tests.helpers import base_env, fingerprint, make_video, run_cli

MOVIE = "Inception.2010.1080p.BluRay.x264-[YTS.AM].mp4"


def list_json(env) -> dict[str, dict]:
    result = run_cli("list", "--json", env=env)  # works while SOURCE_DIR is unmounted
    assert result.returncode == 0, result.stderr
    return {os.path.basename(row["path"]): row for row in json.loads(result.stdout)}


def record_pending(env: dict[str, str]):
    """The file is found (PENDING) but not processed yet: the state of a backlog in the daemon."""
    settings = load_settings(None, require_library=True, environ=env)
    Scanner(settings).scan_all()
    return settings


def test_a_pending_file_on_an_unmounted_disk_waits_and_is_linked_when_the_disk_is_back(tmp_path, db, tmdb):
    disk = tmp_path / "usb"
    source = make_video(disk / "downloads" / MOVIE)
    env = base_env(
        tmp_path,
        SOURCE_DIR=str(disk / "downloads"),
        TMDB_API_URL=tmdb.url,
        TMDB_LANGUAGE="en-US",
        RETRY_DELAY="0",
    )
    settings = record_pending(env)
    before = fingerprint(source)

    disk.rename(tmp_path / "usb-away")  # the USB disk (or NFS share) holding SOURCE_DIR is gone
    identifier = Identifier(settings)
    try:
        process_due(settings, identifier)
    finally:
        identifier.close()
    row = list_json(env)[MOVIE]
    assert row["status"] == "PENDING", row
    assert row["attempts"] == 0 and "downloads" in row["error"]

    (tmp_path / "usb-away").rename(disk)  # mounted again
    result = run_cli("scan", env=env)
    assert result.returncode == 0, result.stderr
    row = list_json(env)[MOVIE]
    assert row["status"] == "COMPLETED", row
    assert os.stat(row["target"]).st_ino == os.stat(source).st_ino
    assert fingerprint(source) == before


def test_a_file_renamed_while_it_waits_is_linked_once_its_new_name_is_found(tmp_path, db, tmdb):
    downloads = tmp_path / "downloads"
    make_video(downloads / "Inception.2010" / MOVIE)
    env = base_env(tmp_path, TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US")
    settings = record_pending(env)

    (downloads / "Inception.2010").rename(downloads / "Inception (2010)")  # tidied up by the user
    identifier = Identifier(settings)
    try:
        process_due(settings, identifier)  # a worker takes it before the rename is seen
    finally:
        identifier.close()

    result = run_cli("scan", env=env)  # the next rescan (or the watcher) finds the new name
    assert result.returncode == 0, result.stderr
    row = list_json(env)[MOVIE]
    assert row["path"] == str(downloads / "Inception (2010)" / MOVIE)
    assert row["status"] == "COMPLETED", row
    assert Path(row["target"]).name == "Inception (2010).mp4"
    assert os.stat(row["target"]).st_ino == os.stat(row["path"]).st_ino


def test_each_library_folder_is_made_with_one_mkdir_and_nothing_asks_again(tmp_path, db, tmdb, monkeypatch):
    """The hot path: the folders for a link (and its subtitle) cost one mkdir each, no more."""
    source = make_video(tmp_path / "downloads" / "Inception.2010" / MOVIE)
    (source.parent / (source.stem + ".chs.srt")).write_text("1\n00:00:01,000 --> 00:00:02,000\nhi\n")
    env = base_env(tmp_path, TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US")
    settings = record_pending(env)
    library = str(tmp_path / "library")
    made: list[str] = []
    real_mkdir = os.mkdir

    def mkdir(path, *args, **kwargs):
        if str(path).startswith(library):
            made.append(str(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    identifier = Identifier(settings)
    try:
        process_due(settings, identifier)
    finally:
        identifier.close()
    folder = Path(library) / "Movies" / "Inception (2010) [tmdbid-27205]"
    assert made == [str(folder.parent), str(folder)]
    assert sorted(p.name for p in folder.iterdir()) == ["Inception (2010).mp4", "Inception (2010).zh.srt"]
