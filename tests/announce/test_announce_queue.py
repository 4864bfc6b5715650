"""The announce queue in-process: batching per folder, one notice per batch, never blocking."""

from __future__ import annotations

import time

from clearmedia import announce
from clearmedia.announce import announcer as announcer_module
from clearmedia.announce.announcer import Announcer
from clearmedia.announce.outcome import Outcome
from clearmedia.config import load_settings
from tests.fakes.fake_media_servers import FakeJellyfin, FakePlex, HangingServer, NoticeReceiver, refused_url
from tests.helpers import base_env, wait_for


def settings_for(tmp_path, **values):
    env = base_env(tmp_path, REFRESH_DELAY="0.3", NOTIFY_BATCH_SECONDS="0.3", TMDB_LANGUAGE="en-US", **values)
    return load_settings(None, require_library=False, environ=env)


def episode(library, n: int) -> Outcome:
    show = library / "TV Shows" / "Show (2020) [tmdbid-5]"
    return Outcome.create(
        status="COMPLETED", file_id=n, source=f"/d/Show.S01E{n:02d}.mkv", media_type="tv", title="Show",
        year=2020, season=1, episodes=[n], target=str(show / "Season 01" / f"Show S01E{n:02d}.mkv"),
    )  # fmt: skip


def test_a_season_pack_is_one_refresh_per_server_and_one_notice(tmp_path):
    library = tmp_path / "library"
    with (
        FakeJellyfin() as jellyfin,
        FakePlex({"2": ["/media/TV Shows"]}) as plex,
        NoticeReceiver() as receiver,
    ):
        settings = settings_for(
            tmp_path,
            JELLYFIN_URL=jellyfin.url, JELLYFIN_API_KEY=jellyfin.api_key, PLEX_URL=plex.url, PLEX_TOKEN=plex.token,
            MEDIA_SERVER_PATH_MAP=f"{library}=/media", NOTIFY_URLS=receiver.apprise_url(),
        )  # fmt: skip
        announcer = Announcer.from_settings(settings).start()
        try:
            for n in range(1, 25):
                announcer.publish(episode(library, n))
            wait_for(jellyfin.updates, what="the Jellyfin refresh")
            wait_for(plex.refreshes, what="the Plex refresh")
            wait_for(receiver.notices, what="the notice")
        finally:
            announcer.stop(2)  # sends whatever else was waiting: nothing more may arrive
        assert jellyfin.updates() == [("/media/TV Shows/Show (2020) [tmdbid-5]", "Created")]
        assert plex.refreshes() == [("2", "/media/TV Shows/Show (2020) [tmdbid-5]")]
        (notice,) = receiver.notices()
        assert notice["title"] == "ClearMedia: 24 linked"
        assert "Show (2020) S01E01-E24" in notice["message"]


def test_notify_events_choose_what_is_announced(tmp_path):
    with NoticeReceiver() as receiver:
        settings = settings_for(tmp_path, NOTIFY_URLS=receiver.apprise_url(), NOTIFY_EVENTS="failed")
        announcer = Announcer.from_settings(settings).start()
        announcer.publish(episode(tmp_path, 1))
        announcer.publish(Outcome.create(status="FAILED", file_id=4, source="/d/x.mkv", reason="why"))
        announcer.stop(2)
        (notice,) = receiver.notices()
        assert notice["title"] == "ClearMedia: 1 failed" and "[4] x.mkv: why" in notice["message"]


def test_nothing_configured_means_no_announcer_and_file_finished_does_nothing(tmp_path):
    settings = settings_for(tmp_path)
    assert Announcer.from_settings(settings) is None
    announcer = announce.start(settings)
    assert announcer is None
    announce.file_finished(announcer, status="COMPLETED", file_id=1, source="/d/a.mkv")  # no error
    announce.stop(announcer)
    with announce.running(settings) as announcer:
        assert announcer is None


def test_dead_destinations_never_block_publishing_and_stop_is_bounded(tmp_path):
    with HangingServer() as hanging:
        settings = settings_for(
            tmp_path,
            JELLYFIN_URL=hanging.url, JELLYFIN_API_KEY="k-SECRET", EMBY_URL=refused_url(), EMBY_API_KEY="e-SECRET",
            PLEX_URL=hanging.url, PLEX_TOKEN="p-SECRET", NOTIFY_URLS=hanging.url.replace("http", "json"),
        )  # fmt: skip
        announcer = Announcer.from_settings(settings).start()
        started = time.monotonic()
        for n in range(2000):
            announcer.publish(episode(tmp_path / "library", n))
        assert time.monotonic() - started < 0.5, "publishing must never wait for a destination"
        wait_for(lambda: hanging.hits >= 2, what="the hanging server to be asked")
        started = time.monotonic()
        assert announcer.stop(1.0) is False
        assert time.monotonic() - started < 2.0


def test_a_full_queue_drops_with_a_warning(tmp_path, monkeypatch, log_lines):
    monkeypatch.setattr(announcer_module, "QUEUE_LIMIT", 3)
    with NoticeReceiver() as receiver:
        announcer = Announcer.from_settings(settings_for(tmp_path, NOTIFY_URLS=receiver.apprise_url()))
        for n in range(5):  # not started: nothing drains the queue
            announcer.publish(episode(tmp_path, n))
    assert any("announce queue full: 1 outcome(s) not announced" in line for line in log_lines)


def test_a_server_that_was_down_is_told_later(tmp_path, monkeypatch):
    monkeypatch.setattr(announcer_module, "RETRY_BASE", 0.3)
    with FakeJellyfin() as jellyfin:
        jellyfin.fail_next(*[503] * 3)  # the whole first batch (3 tries) fails
        settings = settings_for(tmp_path, JELLYFIN_URL=jellyfin.url, JELLYFIN_API_KEY=jellyfin.api_key)
        announcer = Announcer.from_settings(settings).start()
        try:
            announcer.publish(episode(tmp_path / "library", 1))
            wait_for(jellyfin.updates, timeout=15, what="the refresh after the outage")
        finally:
            announcer.stop(1)
        assert len(jellyfin.requests("/Library/Media/Updated")) == 4
        assert jellyfin.updates() == [(str(tmp_path / "library/TV Shows/Show (2020) [tmdbid-5]"), "Created")]
