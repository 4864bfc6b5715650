"""announce/servers.py against fake Jellyfin, Emby and Plex servers on 127.0.0.1."""

from __future__ import annotations

import time

import pytest
import requests

from clearmedia.announce.checks import check
from clearmedia.announce.outcome import Outcome, title_folder
from clearmedia.announce.servers import (
    Emby,
    Jellyfin,
    Plex,
    ServerError,
    _longest,
    map_path,
    refresh_folders,
    tell_servers_deleted,
)
from clearmedia.config import load_settings
from tests.fakes.fake_media_servers import FakeEmby, FakeJellyfin, FakePlex, HangingServer, refused_url
from tests.helpers import base_env

PATH_MAP = (("/srv/library/TV Shows", "/tv"), ("/srv/library", "/data/media"))


def test_paths_are_mapped_by_the_longest_local_prefix_on_whole_folder_names():
    assert map_path("/srv/library/Movies/A (1999)", PATH_MAP) == "/data/media/Movies/A (1999)"
    assert map_path("/srv/library/TV Shows/B (2008)", PATH_MAP) == "/tv/B (2008)"
    assert map_path("/srv/library", PATH_MAP) == "/data/media"
    assert map_path("/srv/library2/Movies", PATH_MAP) == "/srv/library2/Movies"  # not a prefix folder
    assert map_path("/x/y", (("/", "/host"),)) == "/host/x/y"


def test_the_title_folder_is_the_movie_folder_or_the_show_folder_above_its_season():
    root = "/lib"
    movie = "/lib/Movies/The Matrix (1999) [tmdbid-603]/The Matrix (1999).mkv"
    assert title_folder(movie, "movie", None, root) == "/lib/Movies/The Matrix (1999) [tmdbid-603]"
    episode = "/lib/TV Shows/Breaking Bad (2008) [tmdbid-1396]/Season 05/Breaking Bad S05E14.mkv"
    assert title_folder(episode, "tv", 5, root) == "/lib/TV Shows/Breaking Bad (2008) [tmdbid-1396]"
    special = "/lib/TV Shows/Show (2020)/Season 00/Show S00E01.mkv"
    assert title_folder(special, "tv", 0, root) == "/lib/TV Shows/Show (2020)"
    flat = "/lib/Show (2020)/Show S01E01.mkv"  # a template without season folders
    assert title_folder(flat, "tv", 1, root) == "/lib/Show (2020)"
    assert title_folder("/lib/Season 1/x.mkv", "tv", 1, root) == "/lib/Season 1"  # never TARGET_DIR


def test_outcome_labels_use_library_names_and_accept_json_episodes():
    outcome = Outcome.create(
        status="COMPLETED", file_id=3, source="/d/x.mkv", media_type="tv", title="Breaking Bad",
        year=2008, season=5, episodes="[1, 2]",
    )  # fmt: skip
    assert outcome.label == "Breaking Bad (2008) S05E01-E02"
    assert Outcome.create(status="FAILED", file_id=4, source="/d/Some.File.mkv").label == "Some.File.mkv"


def test_jellyfin_gets_the_modern_authorization_header_and_a_json_body():
    with FakeJellyfin() as fake:
        Jellyfin(fake.url, fake.api_key).refresh("/data/media/Movies/A (1999)")
        (request,) = fake.requests("/Library/Media/Updated")
        assert request.method == "POST"
        assert request.headers["Authorization"] == f'MediaBrowser Token="{fake.api_key}"'
        assert "X-Emby-Token" not in request.headers and fake.api_key not in request.path
        assert fake.updates() == [("/data/media/Movies/A (1999)", "Created")]


def test_the_fake_jellyfin_is_as_strict_as_the_real_one():
    with FakeJellyfin() as fake:
        url = fake.url + "/Library/Media/Updated"
        body = '{"Updates": [{"Path": "/a", "UpdateType": "Created"}]}'
        modern = {"Authorization": f'MediaBrowser Token="{fake.api_key}"'}
        assert requests.post(url, data=body, headers=modern, timeout=5).status_code == 415
        legacy = {"X-Emby-Token": fake.api_key, "Content-Type": "application/json"}
        assert requests.post(url, data=body, headers=legacy, timeout=5).status_code == 401
        assert requests.post(url, data=body, headers={**modern, "Content-Type": "application/json"}).ok


def test_a_rejected_key_is_permanent_and_never_quoted():
    with FakeJellyfin() as fake:
        with pytest.raises(ServerError) as caught:
            Jellyfin(fake.url, "wrong-key-SECRET").refresh("/x")
        assert not caught.value.transient
        assert "JELLYFIN_API_KEY" in str(caught.value) and "SECRET" not in str(caught.value)


def test_emby_uses_its_emby_prefix_and_x_emby_token():
    with FakeEmby() as fake:
        Emby(fake.url, fake.api_key).refresh("/media/Show (2020)", update="Deleted")
        (request,) = fake.requests("/Library/Media/Updated")
        assert request.path == "/emby/Library/Media/Updated"
        assert request.headers["X-Emby-Token"] == fake.api_key
        assert fake.updates() == [("/media/Show (2020)", "Deleted")]


def test_plex_finds_the_section_once_by_the_longest_location_and_refreshes_that_path():
    sections = {"1": ["/data/media"], "7": ["/data/media/TV Shows"], "3": ["/data/media/Movies"]}
    with FakePlex(sections) as fake:
        plex = Plex(fake.url, fake.token)
        plex.refresh("/data/media/TV Shows/Show (2020) [tmdbid-1]")
        plex.refresh("/data/media/Movies/Film (2001) [tmdbid-2]")
        plex.refresh("/data/media/Other/Thing")
        assert fake.refreshes() == [
            ("7", "/data/media/TV Shows/Show (2020) [tmdbid-1]"),
            ("3", "/data/media/Movies/Film (2001) [tmdbid-2]"),
            ("1", "/data/media/Other/Thing"),
        ]
        assert len(fake.requests("/library/sections")) - len(fake.refreshes()) == 1, "sections asked once"
        first = fake.requests("/library/sections")[0]
        assert first.headers["Accept"] == "application/json" and first.headers["X-Plex-Token"] == fake.token
        with pytest.raises(ServerError, match="MEDIA_SERVER_PATH_MAP"):
            plex.refresh("/elsewhere/Film")


def test_a_server_that_is_down_keeps_the_folders_for_later_and_logs_no_key(log_lines):
    server = Jellyfin(refused_url(), "down-key-SECRET")
    kept = refresh_folders(server, ["/a", "/b"], tries=2)
    assert kept == ["/a", "/b"]
    assert any("not reachable" in line and "2 folder(s)" in line for line in log_lines)
    assert not any("SECRET" in line for line in log_lines)


def test_a_server_that_answers_503_then_recovers_is_retried_with_backoff():
    with FakeJellyfin() as fake:
        fake.fail_next(503)
        assert refresh_folders(Jellyfin(fake.url, fake.api_key), ["/a"], tries=3) == []
        assert fake.updates() == [("/a", "Created")]
        assert len(fake.requests("/Library/Media/Updated")) == 2


def _settings(tmp_path, **values):
    return load_settings(None, require_library=False, environ=base_env(tmp_path, **values))


def test_unlink_tells_every_server_deleted_at_once(tmp_path):
    library = tmp_path / "library"
    (library / "Movies").mkdir(parents=True)
    gone = library / "Movies" / "Film (2001) [tmdbid-2]"
    with FakeJellyfin() as jellyfin, FakeEmby() as emby, FakePlex({"3": ["/data/media/Movies"]}) as plex:
        settings = _settings(
            tmp_path,
            JELLYFIN_URL=jellyfin.url, JELLYFIN_API_KEY=jellyfin.api_key,
            EMBY_URL=emby.url, EMBY_API_KEY=emby.api_key,
            PLEX_URL=plex.url, PLEX_TOKEN=plex.token,
            MEDIA_SERVER_PATH_MAP=f"{library}=/data/media",
        )  # fmt: skip
        assert tell_servers_deleted(settings, [str(gone)]) == []
        assert jellyfin.updates() == [("/data/media/Movies/Film (2001) [tmdbid-2]", "Deleted")]
        assert emby.updates() == [("/data/media/Movies/Film (2001) [tmdbid-2]", "Deleted")]
        assert plex.refreshes() == [("3", "/data/media/Movies")]  # the nearest folder still there


def test_unlink_does_not_hang_on_a_dead_server(tmp_path):
    with HangingServer() as hanging:
        settings = _settings(
            tmp_path,
            JELLYFIN_URL=hanging.url,
            JELLYFIN_API_KEY="k-SECRET",
            EMBY_URL=refused_url(),
            EMBY_API_KEY="e",
        )
        started = time.monotonic()
        problems = tell_servers_deleted(settings, [f"/lib/{n}" for n in range(5)])
        assert time.monotonic() - started < 6
        assert len(problems) == 2 and not any("SECRET" in p for p in problems)


def test_check_reports_each_server_and_notifier_without_secrets(tmp_path):
    with FakeJellyfin() as jellyfin, FakePlex() as plex:
        settings = _settings(
            tmp_path,
            JELLYFIN_URL=jellyfin.url, JELLYFIN_API_KEY=jellyfin.api_key,
            PLEX_URL=plex.url, PLEX_TOKEN="wrong-plex-SECRET",
            EMBY_URL=refused_url(), EMBY_API_KEY="emby-SECRET",
            NOTIFY_URLS="json://127.0.0.1:9/x?token=tok-SECRET notaservice://tok-SECRET",
        )  # fmt: skip
        lines = check(settings)
    text = "\n".join(f"{good} {line}" for good, line in lines)
    assert "SECRET" not in text and jellyfin.api_key not in text
    assert tuple(good for good, line in lines if "Jellyfin" in line or "notifier 1" in line) == (True, True)
    assert [line for good, line in lines if not good] == [
        f"Emby at {settings.emby_url} is not reachable (ConnectionError)",
        f"Plex at {settings.plex_url} rejected PLEX_TOKEN (HTTP 401)",
        "notifier 2 (notaservice://) in NOTIFY_URLS: Apprise cannot read it (see the Apprise wiki for its form)",
    ]


def test_a_windows_server_gets_its_own_separators_and_plex_finds_its_section():
    mapped = map_path("/srv/library/Movies/A (1999)", [("/srv/library", "D:\\Media")])
    assert mapped == "D:\\Media\\Movies\\A (1999)"
    assert _longest([("D:\\Media\\Movies", "1"), ("D:\\Media", "2")], mapped) == "1"


def test_a_path_map_written_through_a_symlink_matches_the_real_target_dir(tmp_path):
    real = tmp_path / "real-library"
    real.mkdir()
    (tmp_path / "library").symlink_to(real)
    settings = load_settings(
        environ={"MEDIA_SERVER_PATH_MAP": f"{tmp_path / 'library'}=/media"}, require_library=False
    )
    assert (
        map_path(str(real / "Movies" / "A (1999)"), settings.media_server_path_map)
        == "/media/Movies/A (1999)"
    )
