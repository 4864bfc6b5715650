"""`clearmedia scan`, `run` and `check` end to end with fake Jellyfin, Emby, Plex and a json://
notice receiver on 127.0.0.1: what the servers and the owner are told, and that dead ones cost
the files nothing."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.daemon_helpers import DaemonProcess, rows
from tests.fakes.fake_media_servers import (
    FakeEmby,
    FakeJellyfin,
    FakePlex,
    HangingServer,
    NoticeReceiver,
    refused_url,
)
from tests.helpers import base_env, listed_by_name, make_video, run_cli, wait_for

MOVIE = "The.Matrix.1999.1080p.BluRay.x264-AMIABLE.mkv"
EPISODES = [
    "Breaking.Bad.S05.1080p.BluRay.x264-ROVERS/Breaking.Bad.S05E01E02.1080p.BluRay.x264-ROVERS.mkv",
    "Breaking.Bad.S05.1080p.BluRay.x264-ROVERS/Breaking.Bad.S05E03.1080p.BluRay.x264-ROVERS.mkv",
    "Breaking.Bad.S05E14.Ozymandias.1080p.BluRay.x264-ROVERS.mkv",
]
UNKNOWN = "Zqxv.Wobblefrump.2011.1080p.WEB-DL.mkv"
SECRETS = ("jellyfin-key-SECRET", "emby-key-SECRET", "plex-token-SECRET", "notice-SECRET")


@pytest.fixture
def servers():
    with (
        FakeJellyfin() as jellyfin,
        FakeEmby() as emby,
        FakePlex({"1": ["/data/media/Movies"], "2": ["/data/media/TV Shows"]}) as plex,
        NoticeReceiver() as receiver,
    ):
        yield jellyfin, emby, plex, receiver


def server_env(servers, library: Path) -> dict[str, str]:
    jellyfin, emby, plex, receiver = servers
    return dict(
        JELLYFIN_URL=jellyfin.url, JELLYFIN_API_KEY=jellyfin.api_key,
        EMBY_URL=emby.url, EMBY_API_KEY=emby.api_key,
        PLEX_URL=plex.url, PLEX_TOKEN=plex.token,
        NOTIFY_URLS=receiver.apprise_url("hook?token=notice-SECRET"),
        MEDIA_SERVER_PATH_MAP=f"{library}=/data/media",
    )  # fmt: skip


def dead_env() -> tuple[dict[str, str], HangingServer]:
    hanging = HangingServer().start()
    return dict(
        JELLYFIN_URL=hanging.url, JELLYFIN_API_KEY="jellyfin-key-SECRET",
        EMBY_URL=refused_url(), EMBY_API_KEY="emby-key-SECRET",
        PLEX_URL=hanging.url, PLEX_TOKEN="plex-token-SECRET",
        NOTIFY_URLS=f"json://127.0.0.1:{hanging.port}/hook?token=notice-SECRET "
        + refused_url().replace("http", "json") + "/x?token=notice-SECRET",
    ), hanging  # fmt: skip


def make_downloads(downloads: Path, names) -> None:
    for name in names:
        make_video(downloads / name)


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"{secret} leaked"


def test_scan_refreshes_each_touched_title_folder_once_per_server_and_sends_one_notice(
    tmp_path, tmdb, servers
):
    jellyfin, emby, plex, receiver = servers
    env = base_env(tmp_path, TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US")
    env.update(server_env(servers, tmp_path / "library"))  # REFRESH_DELAY and NOTIFY_BATCH_SECONDS: defaults
    make_downloads(tmp_path / "downloads", [MOVIE, *EPISODES, UNKNOWN])
    started = time.monotonic()
    result = run_cli("scan", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 20, "scan must not wait REFRESH_DELAY or NOTIFY_BATCH_SECONDS"
    found = listed_by_name(env, tmp_path)
    movie_id, show_id = found[MOVIE]["tmdb_id"], found[Path(EPISODES[2]).name]["tmdb_id"]
    movie_dir = f"/data/media/Movies/The Matrix (1999) [tmdbid-{movie_id}]"
    show_dir = f"/data/media/TV Shows/Breaking Bad (2008) [tmdbid-{show_id}]"
    for server in (jellyfin, emby):
        assert sorted(server.updates()) == [(movie_dir, "Created"), (show_dir, "Created")], server.name
    assert sorted(plex.refreshes()) == [("1", movie_dir), ("2", show_dir)]
    assert [r.headers["Authorization"] for r in jellyfin.accepted] == [
        f'MediaBrowser Token="{jellyfin.api_key}"'
    ] * 2
    (notice,) = receiver.notices()
    assert notice["title"] == "ClearMedia: 4 linked, 1 failed"
    assert "• The Matrix (1999)" in notice["message"]
    assert "• Breaking Bad (2008) S05E01-E03, S05E14" in notice["message"]
    assert f"• [{found[UNKNOWN]['id']}] {UNKNOWN}: " in notice["message"]
    assert receiver.requests()[0].path == "/hook"
    assert_no_secret(result.stdout, result.stderr, json.dumps(notice))


def timed_scan(tmp_path: Path, tmdb, extra: dict[str, str]) -> tuple[float, object, dict]:
    tmp_path.mkdir()
    env = base_env(tmp_path, TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US", **extra)
    make_downloads(
        tmp_path / "downloads", [f"Movie.Number.{n}.2001.mkv" for n in range(6)] + [MOVIE, *EPISODES]
    )
    started = time.monotonic()
    result = run_cli("scan", env=env, cwd=tmp_path)
    return time.monotonic() - started, result, env


@pytest.mark.slow
def test_scan_with_every_server_and_notifier_down_links_at_the_same_speed(tmp_path, tmdb):
    baseline, result, _ = timed_scan(tmp_path / "base", tmdb, {})
    assert result.returncode == 0, result.stderr
    values, hanging = dead_env()
    try:
        elapsed, result, env = timed_scan(tmp_path / "dead", tmdb, values)
    finally:
        hanging.stop()
    assert result.returncode == 0, result.stderr
    statuses = [row["status"] for row in listed_by_name(env, tmp_path / "dead").values()]
    assert statuses.count("COMPLETED") == 4, statuses
    print(f"scan: {baseline:.2f} s without servers, {elapsed:.2f} s with every one dead")
    assert elapsed < baseline + 5 + 2, f"{elapsed:.1f} s with dead servers vs {baseline:.1f} s without"
    assert "did not answer" in result.stderr or "not reachable" in result.stderr
    assert_no_secret(result.stdout, result.stderr)


@pytest.mark.slow
def test_the_daemon_refreshes_touched_folders_and_notifies_in_batches(tmp_path, tmdb, servers):
    jellyfin, emby, plex, receiver = servers
    env = base_env(
        tmp_path, TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="zh-CN", SCAN_INTERVAL="3600", SETTLE_SECONDS="0.3",
        REFRESH_DELAY="2", NOTIFY_BATCH_SECONDS="2.5", LOG_LEVEL="DEBUG",
    )  # fmt: skip
    env.update(server_env(servers, tmp_path / "library"))
    daemon = DaemonProcess(env, tmp_path / "daemon.log")
    try:
        daemon.wait_ready()
        make_downloads(tmp_path / "downloads", EPISODES)
        wait_for(
            lambda: len(jellyfin.updates()) >= 1 and receiver.notices(), timeout=20, what="refresh and notice"
        )
        wait_for(lambda: emby.updates() and plex.refreshes(), timeout=10, what="Emby and Plex")
        (update,) = jellyfin.updates()
        assert update[0].startswith("/data/media/TV Shows/") and update[0].endswith("]"), update
        assert update[1] == "Created"
        (notice,) = receiver.notices()
        assert notice["title"] == "ClearMedia：已入库 3 个"
        make_downloads(tmp_path / "downloads", [MOVIE])  # a later batch: its own refresh and notice
        wait_for(lambda: len(receiver.notices()) == 2, timeout=20, what="the second notice")
        assert len(jellyfin.updates()) == 2 and "/Movies/" in jellyfin.updates()[1][0]
    finally:
        assert daemon.stop() == 0
    assert len(jellyfin.updates()) == len(emby.updates()) == len(plex.refreshes()) == 2
    assert_no_secret(daemon.log(), *(json.dumps(n) for n in receiver.notices()))


def time_to_link(tmp_path: Path, tmdb, extra: dict[str, str]) -> tuple[float, str]:
    tmp_path.mkdir()
    env = base_env(tmp_path, TMDB_API_URL=tmdb.url, TMDB_LANGUAGE="en-US", SCAN_INTERVAL="3600",
                   SETTLE_SECONDS="0.3", REFRESH_DELAY="0", NOTIFY_BATCH_SECONDS="0", **extra)  # fmt: skip
    daemon = DaemonProcess(env, tmp_path / "daemon.log")
    try:
        daemon.wait_ready()
        started = time.monotonic()
        make_downloads(tmp_path / "downloads", [f"Movie.Number.{n}.2001.mkv" for n in range(8)] + [MOVIE])
        wait_for(
            lambda: (
                [status for status, _ in rows(tmp_path / "data")].count("FAILED")
                + [status for status, _ in rows(tmp_path / "data")].count("COMPLETED")
                == 9
            ),
            timeout=30,
            what="every file to reach its final state",
        )
        elapsed = time.monotonic() - started
        stop_started = time.monotonic()
    finally:
        assert daemon.stop() == 0
    assert time.monotonic() - stop_started < 3 + 10, "stopping waits at most 3 s for the announcer"
    return elapsed, daemon.log()


@pytest.mark.slow
def test_the_daemon_links_at_the_same_speed_with_every_server_and_notifier_down(tmp_path, tmdb):
    baseline, _ = time_to_link(tmp_path / "base", tmdb, {})
    values, hanging = dead_env()
    try:
        elapsed, log = time_to_link(tmp_path / "dead", tmdb, values)
    finally:
        hanging.stop()
    print(f"daemon: 9 files in {baseline:.2f} s without servers, {elapsed:.2f} s with every one dead")
    assert elapsed < baseline + 3, f"{elapsed:.1f} s with dead servers vs {baseline:.1f} s without"
    assert hanging.hits >= 1, "the hanging server was never asked"
    assert_no_secret(log)


def test_check_reports_servers_and_notifiers_and_fails_on_a_rejected_key(tmp_path, tmdb, servers):
    env = base_env(tmp_path, TMDB_API_URL=tmdb.url)
    env.update(server_env(servers, tmp_path / "library"))
    good = run_cli("check", env=env, cwd=tmp_path)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Jellyfin at" in good.stdout and "accepts JELLYFIN_API_KEY" in good.stdout
    assert "notifier 1 (json://) in NOTIFY_URLS: Apprise reads it" in good.stdout
    env.update(
        EMBY_API_KEY="emby-key-SECRET-wrong", NOTIFY_URLS="json://127.0.0.1:9/x notaservice://notice-SECRET"
    )
    bad = run_cli("check", env=env, cwd=tmp_path)
    assert bad.returncode == 1
    assert "FAIL  Emby at" in bad.stdout and "rejected EMBY_API_KEY (HTTP 401)" in bad.stdout
    assert "FAIL  notifier 2 (notaservice://)" in bad.stdout
    assert_no_secret(good.stdout, good.stderr, bad.stdout, bad.stderr)


def test_notify_test_sends_a_test_notice(tmp_path, servers):
    receiver = servers[3]
    env = base_env(tmp_path, NOTIFY_URLS=f"{receiver.apprise_url()} {refused_url().replace('http', 'json')}")
    result = run_cli("notify-test", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "ok    notifier 1 (json://): test notice sent" in result.stdout
    assert "FAIL  notifier 2 (json://): the test notice could not be sent" in result.stdout
    assert "测试通知" in receiver.notices()[0]["message"]  # TMDB_LANGUAGE defaults to zh-CN


def test_notify_test_names_each_notifier_by_its_place_in_notify_urls(tmp_path, servers):
    env = base_env(tmp_path, NOTIFY_URLS=f"{servers[3].apprise_url()} notaservice://x")
    result = run_cli("notify-test", env=env, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert "notifier 2 (notaservice://)" in output
    assert "notifier 1 (notaservice://)" not in output, "the log and the summary number it alike"


def test_a_password_in_a_server_address_is_never_shown(tmp_path, servers):
    """`http://user:password@host` works for requests, but check prints and logs the host only."""
    jellyfin = servers[0]
    down = refused_url().replace("http://", "http://admin:hunter2-SECRET@")
    env = base_env(tmp_path, JELLYFIN_URL=down, JELLYFIN_API_KEY=jellyfin.api_key, LOG_LEVEL="DEBUG")
    result = run_cli("check", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert f"Jellyfin at {down.replace('admin:hunter2-SECRET@', '')}" in result.stdout
    assert "hunter2-SECRET" not in result.stdout + result.stderr
