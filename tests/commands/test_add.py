"""`clearmedia add`: a download client's completion hook, with and without a running daemon."""

from __future__ import annotations

import time

import pytest

from tests.daemon_helpers import DaemonProcess, links_of
from tests.fakes.fake_llm import FakeLLM
from tests.helpers import base_env, listed_by_name, llm_env, make_video, run_cli, wait_for


@pytest.fixture
def env(tmp_path, tmdb):
    # files are fresh and the settle wait is an hour: only `add` can get them linked now
    return base_env(tmp_path, TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US", SETTLE_SECONDS="3600")


def test_add_without_a_daemon_links_a_fresh_file_before_it_exits(tmp_path, env):
    movie = make_video(tmp_path / "downloads" / "Inception.2010.1080p.mkv", age_s=0)
    assert run_cli("scan", env=env).returncode == 0
    assert listed_by_name(env) == {}, "scan waits for the settle time"
    result = run_cli("add", str(movie), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "linked:" in result.stdout
    assert links_of(movie, tmp_path / "library")[0].name == "Inception (2010).mkv"
    assert listed_by_name(env)[movie.name]["status"] == "COMPLETED"


def test_add_a_folder_records_every_video_below_it(tmp_path, env):
    pack = tmp_path / "downloads" / "Breaking.Bad.S01.1080p"
    episodes = [make_video(pack / f"Breaking.Bad.S01E0{n}.1080p.mkv", age_s=0) for n in (1, 2)]
    make_video(pack / "Sample" / "breaking.bad.sample.mkv", age_s=0)
    (pack / "Breaking.Bad.S01E03.1080p.mkv.part").write_bytes(b"x")  # still downloading
    result = run_cli("add", str(pack), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    for episode in episodes:
        assert links_of(episode, tmp_path / "library")
    found = listed_by_name(env)
    assert found["breaking.bad.sample.mkv"]["status"] == "IGNORED"
    assert sorted(found) == [
        "Breaking.Bad.S01E01.1080p.mkv",
        "Breaking.Bad.S01E02.1080p.mkv",
        "breaking.bad.sample.mkv",
    ]


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda root: make_video(root / "elsewhere" / "Inception.2010.mkv"), "outside SOURCE_DIR"),
        (lambda root: root / "downloads" / "Missing.2010.mkv", "does not exist"),
        (lambda root: _text(root / "downloads" / "Inception.2010.nfo"), "not a video"),
        (lambda root: _text(root / "downloads" / "Empty.Folder" / "readme.txt").parent, "holds no video"),
    ],
)
def test_bad_paths_exit_1_and_record_nothing(tmp_path, env, make, words):
    good = make_video(tmp_path / "downloads" / "Inception.2010.1080p.mkv", age_s=0)
    bad = make(tmp_path)
    result = run_cli("add", str(good), str(bad), env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert words in result.stderr and "nothing was recorded" in result.stderr
    assert listed_by_name(env) == {}
    assert not links_of(good, tmp_path / "library")


def _text(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("not a video")
    return path


@pytest.mark.slow
def test_add_with_a_running_daemon_is_linked_by_it_within_2_seconds(tmp_path, tmdb):
    env = base_env(
        tmp_path,
        TMDB_API_URL=tmdb.url,
        TMDB_LANGUAGE="en-US",
        SETTLE_SECONDS="3600",
        SCAN_INTERVAL="3600",
    )
    daemon = DaemonProcess(env, tmp_path / "daemon.log")
    try:
        daemon.wait_ready()
        delays = []
        for name in ("Inception.2010.1080p.mkv", "The.Matrix.1999.1080p.mkv"):
            movie = make_video(tmp_path / "downloads" / name, age_s=0)
            result = run_cli("add", str(movie), env=env)
            returned = time.monotonic()
            assert result.returncode == 0, result.stdout + result.stderr
            assert "running ClearMedia links them" in result.stdout
            wait_for(lambda m=movie: links_of(m, tmp_path / "library"), timeout=10, what="the link")
            delays.append(time.monotonic() - returned)
        assert max(delays) < 2.0, delays
    finally:
        assert daemon.stop() == 0
    # after the daemon stopped, `add` processes by itself again
    late = make_video(tmp_path / "downloads" / "Dune.2021.1080p.mkv", age_s=0)
    result = run_cli("add", str(late), env=env)
    assert result.returncode == 0 and "linked:" in result.stdout, result.stdout + result.stderr


def test_add_without_a_daemon_tells_jellyfin_and_the_owner_before_it_exits(tmp_path, env):
    from tests.fakes.fake_media_servers import FakeJellyfin, NoticeReceiver

    movie = make_video(tmp_path / "downloads" / "Inception.2010.1080p.mkv", age_s=0)
    with FakeJellyfin() as jellyfin, NoticeReceiver() as receiver:
        env = dict(
            env,
            JELLYFIN_URL=jellyfin.url,
            JELLYFIN_API_KEY=jellyfin.api_key,
            NOTIFY_URLS=receiver.apprise_url(),
            REFRESH_DELAY="600",  # gathered for longer than `add` runs: sent when it exits
            NOTIFY_BATCH_SECONDS="600",
        )
        result = run_cli("add", str(movie), env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        (link,) = links_of(movie, tmp_path / "library")
        assert jellyfin.updates() == [(str(link.parent), "Created")]
        (notice,) = receiver.notices()
        assert "Inception (2010)" in notice["message"]


def test_add_reads_a_season_pack_in_one_llm_request(tmp_path, env):
    pack = tmp_path / "downloads" / "Breaking.Bad.S01.1080p"
    episodes = [make_video(pack / f"Breaking.Bad.S01E0{n}.1080p.mkv", age_s=0) for n in range(1, 6)]
    with FakeLLM() as llm:
        env = dict(env, LLM_BATCH_SIZE="20", **llm_env(llm))
        result = run_cli("add", str(pack), env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert len(llm.chat_requests()) == 1, "five names, one batch request"
    for episode in episodes:
        assert links_of(episode, tmp_path / "library")
