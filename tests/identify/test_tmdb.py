"""TMDBClient against the fake TMDB over real HTTP: retries, rate limit, cache, secrets."""

from __future__ import annotations

import socket
import sqlite3
import time
from datetime import timedelta

import pytest

from clearmedia.config import load_settings
from clearmedia.errors import ServiceConfigError, TransientError
from clearmedia.identify import tmdb as tmdb_module
from clearmedia.identify.tmdb import AUTH_MESSAGE, CACHE_FILE, TMDBClient
from tests.fakes.fake_tmdb import API_KEY, READ_TOKEN, FakeTMDB
from tests.helpers import base_env, in_threads


@pytest.fixture
def fake():
    with FakeTMDB() as server:
        yield server


def make_settings(tmp_path, url, **overrides):
    return load_settings(environ=base_env(tmp_path, TMDB_API_URL=url, **overrides), require_library=True)


def make_client(tmp_path, fake, **overrides) -> TMDBClient:
    return TMDBClient(make_settings(tmp_path, fake.url, **overrides), retry_base=0.05, retry_cap=0.2)


def test_search_details_and_season_come_back_in_tmdb_language(tmp_path, fake):
    client = make_client(tmp_path, fake)
    results = client.search("movie", "Dune", year=2021)
    assert [(r["id"], r["title"]) for r in results] == [(438631, "沙丘")]
    assert client.details("tv", 1396)["name"] == "绝命毒师"
    assert [e["episode_number"] for e in client.season(1396, 1)["episodes"]] == list(range(1, 8))
    query = fake.requests[0].query
    assert query["language"] == "zh-CN" and query["year"] == "2021" and query["api_key"] == API_KEY
    client.close()


def test_unknown_ids_are_none(tmp_path, fake):
    client = make_client(tmp_path, fake)
    assert client.details("movie", 999999999) is None
    assert client.season(1396, 42) is None
    assert client.search("movie", "zzzz no such film") == []
    client.close()


def test_429_waits_as_long_as_retry_after_says(tmp_path, fake):
    client = make_client(tmp_path, fake)
    fake.fail_next(429, headers={"Retry-After": "1"})
    assert client.details("movie", 603)["title"] == "黑客帝国"
    first, second = fake.requests
    assert fake.statuses == [429, 200]
    assert 0.95 <= second.time - first.time < 3.0
    client.close()


def test_429_asking_for_a_long_wait_is_not_waited_for(tmp_path, fake):
    client = make_client(tmp_path, fake)
    fake.fail_next(429, headers={"Retry-After": "3600"})
    started = time.monotonic()
    with pytest.raises(TransientError, match=r"HTTP 429 \(Retry-After 3600 s\)"):
        client.search("movie", "Alien")
    assert time.monotonic() - started < 2 and fake.count() == 1
    client.close()


def test_500_then_success_is_retried(tmp_path, fake, log_lines):
    client = make_client(tmp_path, fake)
    fake.fail_next(500)
    assert client.search("tv", "Breaking Bad")[0]["id"] == 1396
    assert fake.statuses == [500, 200]
    assert any("HTTP 500" in line and "trying again" in line for line in log_lines)
    client.close()


def test_persistent_500_becomes_transient_error_without_secrets(tmp_path, fake, log_lines):
    client = make_client(tmp_path, fake)
    fake.fail_next(503, count=10)
    with pytest.raises(TransientError) as caught:
        client.search("movie", "Inception")
    assert str(caught.value) == f"TMDB answered HTTP 503 (gave up after {client.max_tries} tries)"
    assert fake.count("/search/movie") == client.max_tries
    assert API_KEY not in str(caught.value) and all(API_KEY not in line for line in log_lines)
    client.close()


def test_connection_refused_is_transient(tmp_path, log_lines):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = make_settings(tmp_path, f"http://127.0.0.1:{port}/3")
    client = TMDBClient(settings, retry_base=0.05, retry_cap=0.1)
    started = time.monotonic()
    with pytest.raises(TransientError) as caught:
        client.search("movie", "The Matrix", year=1999)
    assert time.monotonic() - started < 5
    assert "cannot connect to TMDB" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert API_KEY not in str(caught.value) and all(API_KEY not in line for line in log_lines)
    client.close()


def test_wrong_key_is_service_config_error_logged_once(tmp_path, fake, log_lines):
    tmdb_module.auth_error_logged.clear()
    client = make_client(tmp_path, fake, TMDB_API_KEY="wrong-key-SECRET")
    for title in ("Dune", "Inception", "Alien"):
        with pytest.raises(ServiceConfigError) as caught:
            client.search("movie", title)
        assert str(caught.value) == AUTH_MESSAGE
    with pytest.raises(ServiceConfigError):
        client.check()
    assert sum(AUTH_MESSAGE in line for line in log_lines) == 1
    assert all("wrong-key-SECRET" not in line for line in log_lines)
    assert fake.statuses == [401] * 4  # a 401 is not retried
    client.close()


def test_read_token_is_sent_as_bearer_and_no_api_key(tmp_path, fake):
    client = make_client(tmp_path, fake, TMDB_API_KEY="", TMDB_READ_TOKEN=READ_TOKEN)
    assert client.search("movie", "Inception")[0]["id"] == 27205
    assert "api_key" not in fake.requests[0].query
    client.close()


def test_check_reaches_tmdb_every_time(tmp_path, fake):
    client = make_client(tmp_path, fake)
    client.check()
    client.check()
    assert fake.count("/configuration") == 2
    client.close()


def test_rate_limit_holds_in_every_one_second_window_with_8_threads(tmp_path, fake):
    limit = 5
    client = make_client(tmp_path, fake, TMDB_RATE_LIMIT=str(limit))
    titles = [f"Film number {i}" for i in range(30)]
    in_threads(lambda title: client.search("movie", title), titles)
    times = sorted(r.time for r in fake.requests)
    assert len(times) == 30
    busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert busiest <= limit
    # the limit is a ceiling, not a crawl: 30 requests at 5/s take about 5-6 s
    assert times[-1] - times[0] < 9
    # cache hits do not count: asking again is immediate and reaches nobody
    started = time.monotonic()
    again = TMDBClient(make_settings(tmp_path, fake.url, TMDB_RATE_LIMIT="1"))
    for title in titles:
        again.search("movie", title)
    assert time.monotonic() - started < 1.0 and len(fake.requests) == 30
    client.close()
    again.close()


def test_rerun_is_served_from_the_http_cache(tmp_path, fake):
    first = make_client(tmp_path, fake)
    first.search("tv", "Breaking Bad")
    first.details("tv", 1396)
    first.season(1396, 5)
    first.details("movie", 999999999)  # a 404 is cached too
    first.close()
    seen = len(fake.requests)
    assert seen == 4
    second = make_client(tmp_path, fake)
    assert second.search("tv", "Breaking Bad")[0]["name"] == "绝命毒师"
    assert second.season(1396, 5)["episodes"][13]["name"] == "Ozymandias"
    assert second.details("movie", 999999999) is None
    second.details("tv", 1396)
    assert len(fake.requests) == seen and second.network_requests == 0
    second.close()


def test_cache_lifetimes_a_day_for_searches_a_week_for_details(tmp_path, fake):
    client = make_client(tmp_path, fake)
    client.search("movie", "Alien")
    client.details("movie", 348)
    lifetimes = {}
    for response in client.session.cache.responses.values():
        kind = "search" if "/search/" in response.url else "details"
        lifetimes[kind] = response.expires - response.created_at
    assert abs(lifetimes["search"] - timedelta(days=1)) < timedelta(minutes=1)
    assert abs(lifetimes["details"] - timedelta(days=7)) < timedelta(minutes=1)
    client.close()


def test_api_key_is_not_in_the_cache_file(tmp_path, fake):
    client = make_client(tmp_path, fake)
    client.search("movie", "Heat", year=1995)
    client.details("movie", 949)
    client.close()
    token_client = make_client(tmp_path, fake, TMDB_API_KEY="", TMDB_READ_TOKEN=READ_TOKEN)
    token_client.search("movie", "Alien")
    token_client.close()
    path = tmp_path / "data" / CACHE_FILE
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        keys = [row[0] for row in db.execute("SELECT key FROM responses")]
    assert len(keys) == 3
    everything = b"".join(p.read_bytes() for p in path.parent.glob(CACHE_FILE + "*"))
    assert API_KEY.encode() not in everything and READ_TOKEN.encode() not in everything
    assert b"SECRET" not in everything


def test_cache_and_memo_under_8_threads(tmp_path, fake):
    """requests-cache's SQLite backend shared by 8 threads: no errors, right answers, one request each."""
    client = make_client(tmp_path, fake)
    show_ids = [1396, 100088, 2316, 136315, 118357, 46393, 203737, 209867]
    results: dict[tuple[int, int], int] = {}

    def work(n: int) -> None:
        for round_ in range(3):
            for show in show_ids:
                results[(show, n)] = client.details("tv", show)["id"]
                client.season(show, 1)
                client.search("tv", f"query {round_} {n}")

    in_threads(work, range(8))
    assert all(results[(show, n)] == show for show in show_ids for n in range(8))
    # each distinct URL reached the fake exactly once (single flight, then memo/cache)
    paths = [(r.path, tuple(sorted((k, v) for k, v in r.query.items()))) for r in fake.requests]
    assert len(paths) == len(set(paths)) == 8 + 8 + 3 * 8
    client.close()
    fresh = make_client(tmp_path, fake)
    assert fresh.details("tv", 46393)["name"] == "后宫·甄嬛传" and fresh.network_requests == 0
    fresh.close()
