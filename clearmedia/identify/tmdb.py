"""TMDB API v3 client: one cached HTTP session, strict rate limit, retries, secrets kept out of sight.

Layers, outermost first, for one `get()`:
1. an in-process memo (thread-safe, single-flight), so twelve files of one season pack asking
   for the same show at once cost one lookup;
2. requests-cache (SQLite in DATA_DIR) so a restart does not ask TMDB again: searches for a
   day, details and seasons for a week; `api_key` and `Authorization` are not part of the keys
   and are redacted from what is stored;
3. backoff retries on 5xx/429/connection errors/timeouts (a 429's `Retry-After` is honoured);
4. a sliding-window limiter inside the transport adapter, so only requests that really go to
   the network count against TMDB_RATE_LIMIT.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import backoff
import requests
import requests_cache
from loguru import logger
from ratelimit import RateLimitException, sleep_and_retry
from requests.adapters import HTTPAdapter

from clearmedia import http
from clearmedia.errors import ServiceConfigError, TransientError

CACHE_FILE = "http_cache.sqlite"
SEARCH_TTL = timedelta(days=1)
DETAILS_TTL = timedelta(days=7)
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
AUTH_MESSAGE = "TMDB rejected the API key (HTTP 401): check TMDB_API_KEY / TMDB_READ_TOKEN"
AUTH_PARAMS = ["api_key", "Authorization"]

#: Set once this process has logged a rejected key: the message is for people, once is enough.
auth_error_logged = threading.Event()


class SlidingWindowLimiter:
    """At most `calls` requests in any `period` seconds, across threads.

    A slot is held from the moment a request is sent until its answer arrives, and only then
    starts its one-second life: the next request over the limit is sent a full period after an
    earlier one has *finished*, so even the server's view of arrival times never exceeds the
    limit (ratelimit's fixed window can let 2x through at a window edge).
    """

    def __init__(self, calls: int, period: float = 1.0):
        self.calls = calls
        self.period = period
        self._lock = threading.Lock()
        self._finished: deque[float] = deque()  # end times of recent requests
        self._in_flight = 0

    def _try_acquire(self) -> None:
        with self._lock:
            now = time.monotonic()
            while self._finished and self._finished[0] <= now - self.period:
                self._finished.popleft()
            if len(self._finished) + self._in_flight < self.calls:
                self._in_flight += 1
                return
            # every slot in flight: look again soon
            wait = self._finished[0] + self.period - now if self._finished else 0.02
        raise RateLimitException("TMDB rate limit reached", max(wait, 0.001))

    acquire = sleep_and_retry(_try_acquire)

    def release(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._finished.append(time.monotonic())


class RateLimitedAdapter(HTTPAdapter):
    """Transport adapter that takes a limiter slot for each request that goes to the network.

    requests-cache answers hits without reaching the adapter, so hits are never counted.
    """

    def __init__(self, limiter: SlidingWindowLimiter, counter: Callable[[], None], **kwargs):
        self.limiter = limiter
        self.counter = counter
        super().__init__(**kwargs)

    def send(self, request, *args, **kwargs):
        self.limiter.acquire()
        try:
            self.counter()
            return super().send(request, *args, **kwargs)
        finally:
            self.limiter.release()


class _RetryableStatus(requests.HTTPError):
    """HTTP 429 or 5xx: worth another try."""


def _retry_after(exc: BaseException) -> float | None:
    """Seconds a 429 answer asks us to wait, or None (absent, unparsable, or another error)."""
    response = getattr(exc, "response", None)
    if response is None or response.status_code != 429:
        return None
    return http.retry_after(response.headers)


def _retry_waits(base: float, cap: float):
    """backoff wait generator: a 429's Retry-After when it gives one, else expo with full jitter."""
    attempt = 0
    exc = yield  # primed by backoff with None
    while True:
        retry_after = _retry_after(exc)
        wait = retry_after if retry_after is not None else backoff.full_jitter(min(cap, base * 2**attempt))
        attempt += 1
        exc = yield wait


def _describe(exc: BaseException, host: str) -> str:
    """A plain reason for a failed request, with no URL (URLs carry the api_key)."""
    response = getattr(exc, "response", None)
    if response is not None:
        reason = f"TMDB answered HTTP {response.status_code}"
        retry_after = _retry_after(exc)
        return reason + (f" (Retry-After {retry_after:.0f} s)" if retry_after is not None else "")
    if isinstance(exc, requests.Timeout):
        return f"TMDB at {host} did not answer in time"
    if isinstance(exc, requests.ConnectionError):
        return f"cannot connect to TMDB at {host}"
    return f"TMDB request failed ({type(exc).__name__})"


class _Memo:
    """A small thread-safe LRU with a time to live, computing each missing key once (single flight)."""

    def __init__(self, size: int = 4096, ttl: float = 3600.0):
        self.size = size
        self.ttl = ttl
        self._data: OrderedDict[Any, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Any, threading.Lock] = {}

    def _lookup(self, key):
        entry = self._data.get(key)
        if entry is not None and time.monotonic() - entry[0] < self.ttl:
            self._data.move_to_end(key)
            return True, entry[1]
        return False, None

    def get(self, key, compute: Callable[[], Any]):
        with self._lock:
            found, value = self._lookup(key)
            if found:
                return value
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                found, value = self._lookup(key)
                if found:
                    return value
            try:
                value = compute()
                with self._lock:
                    self._data[key] = (time.monotonic(), value)
                    self._data.move_to_end(key)
                    while len(self._data) > self.size:
                        self._data.popitem(last=False)
                return value
            finally:
                with self._lock:
                    self._key_locks.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


class TMDBClient:
    """TMDB API v3 for ClearMedia. Thread-safe; one per process is plenty.

    `get()` returns the decoded JSON, or None for 404. It raises `ServiceConfigError` when TMDB
    rejects the credentials, `TransientError` when TMDB cannot be reached or keeps failing.
    """

    def __init__(
        self,
        settings,
        *,
        max_tries: int = 4,
        retry_base: float = 0.5,
        retry_cap: float = 8.0,
        max_retry_after: float = 30.0,
    ):
        self.base_url = settings.tmdb_api_url.rstrip("/")
        self.language = settings.tmdb_language
        self.host = re.sub(r"^https?://", "", self.base_url).split("/")[0]
        self._api_key = settings.tmdb_api_key
        self._token = settings.tmdb_read_token
        self._secrets = [s for s in (self._api_key, self._token) if s]
        self.max_retry_after = max_retry_after
        self.max_tries = max_tries
        self.network_requests = 0  # requests that went to the network (for benchmarks)
        self._count_lock = threading.Lock()
        self.limiter = SlidingWindowLimiter(settings.tmdb_rate_limit)
        self._memo = _Memo()

        # Their debug lines carry full URLs (with api_key); keep them quiet whatever the root level.
        for name in ("urllib3", "requests_cache"):
            logging.getLogger(name).setLevel(logging.WARNING)

        settings.data_dir.mkdir(parents=True, exist_ok=True)
        search_pattern = re.compile(re.escape(self.host) + r"(/[^?]*)?/search/")
        self.session = requests_cache.CachedSession(
            cache_name=str(settings.data_dir / CACHE_FILE),
            backend="sqlite",
            wal=True,
            busy_timeout=30000,
            expire_after=DETAILS_TTL,
            urls_expire_after={search_pattern: SEARCH_TTL},
            allowable_codes=(200, 404),
            ignored_parameters=AUTH_PARAMS,
            match_headers=False,
            stale_if_error=True,
        )
        adapter = RateLimitedAdapter(self.limiter, self._count, pool_connections=4, pool_maxsize=16)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/json", "User-Agent": "ClearMedia"})
        if self._token:
            self.session.headers["Authorization"] = f"Bearer {self._token}"

        self._fetch_with_retries = backoff.on_exception(
            _retry_waits,
            (requests.HTTPError, requests.ConnectionError, requests.Timeout),
            max_tries=max_tries,
            jitter=None,  # applied inside _retry_waits, never to a Retry-After
            giveup=self._giveup,
            on_backoff=self._log_backoff,
            on_giveup=self._note_tries,
            logger=None,  # its lines quote the request URL, api_key included; _log_backoff says it safely
            base=retry_base,
            cap=retry_cap,
        )(self._fetch_once)

    # -- plumbing --------------------------------------------------------------------------
    def _count(self) -> None:
        with self._count_lock:
            self.network_requests += 1

    def _giveup(self, exc: BaseException) -> bool:
        """Retry 429/5xx, connection errors and timeouts; give up on anything else (no response: retry)."""
        response = getattr(exc, "response", None)
        if response is None:
            return not isinstance(exc, (requests.ConnectionError, requests.Timeout))
        if response.status_code == 429:
            retry_after = _retry_after(exc)
            return retry_after is not None and retry_after > self.max_retry_after
        return response.status_code < 500

    def _log_backoff(self, details: dict) -> None:
        logger.warning(
            "{}; trying again in {:.1f} s (attempt {} of {})",
            _describe(details["exception"], self.host),
            details["wait"],
            details["tries"] + 1,
            self.max_tries,
        )

    @staticmethod
    def _note_tries(details: dict) -> None:
        details["exception"].clearmedia_tries = details["tries"]

    def _params(self, params: dict) -> dict:
        clean = {k: v for k, v in params.items() if v is not None and v != ""}
        if self._api_key and not self._token:
            clean["api_key"] = self._api_key
        return clean

    def _fetch_once(self, path: str, params: dict, fresh: bool) -> requests.Response:
        response = self.session.get(
            self.base_url + path,
            params=self._params(params),
            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            force_refresh=fresh,
        )
        if response.status_code == 429 or response.status_code >= 500:
            raise _RetryableStatus(f"HTTP {response.status_code}", response=response)
        return response

    def _request(self, path: str, params: dict, fresh: bool = False) -> dict | None:
        try:
            response = self._fetch_with_retries(path, params, fresh)
        except (requests.RequestException, OSError) as exc:
            tries = getattr(exc, "clearmedia_tries", 1)
            reason = _describe(exc, self.host) + (f" (gave up after {tries} tries)" if tries > 1 else "")
            raise TransientError(http.scrub(reason, self._secrets)) from None
        status = response.status_code
        if status == 401:
            if not auth_error_logged.is_set():
                auth_error_logged.set()
                logger.error(AUTH_MESSAGE)
            raise ServiceConfigError(AUTH_MESSAGE)
        if status == 404:
            return None
        if status >= 400:
            raise TransientError(f"TMDB answered HTTP {status} for {path}")
        try:
            return response.json()
        except ValueError:
            raise TransientError(f"TMDB answered {path} with something that is not JSON") from None

    # -- API -------------------------------------------------------------------------------
    def get(self, path: str, **params) -> dict | None:
        """GET `path` (e.g. "/movie/603") with query `params`; None when TMDB has no such thing."""
        key = (path, tuple(sorted((k, str(v)) for k, v in params.items() if v is not None)))
        return self._memo.get(key, lambda: self._request(path, params))

    def search(
        self, media_type: str, query: str, year: int | None = None, language: str | None = None
    ) -> list[dict]:
        """First page of /search/{movie|tv} results (TMDB ranks them); [] when nothing matches."""
        year_param = "year"  # on /search/tv: the first air year or any episode's (a season's year)
        params = {"query": query, "language": language or self.language, "page": 1, year_param: year}
        data = self.get(f"/search/{media_type}", **params)
        return list((data or {}).get("results") or [])

    def details(self, media_type: str, tmdb_id: int) -> dict | None:
        """/movie/{id} or /tv/{id} in TMDB_LANGUAGE with its alternative titles and translations.

        Always the same request, so the title check, the localized title and (for tv) the
        season list all share one answer.
        """
        return self.get(
            f"/{media_type}/{int(tmdb_id)}",
            language=self.language,
            append_to_response="alternative_titles,translations",
        )

    def tv(self, tmdb_id: int) -> dict | None:
        """The show with its `seasons` list (season_number, episode_count, air_date)."""
        return self.details("tv", tmdb_id)

    def season(self, tmdb_id: int, season_number: int) -> dict | None:
        """/tv/{id}/season/{n} with its `episodes` (episode_number, air_date, name)."""
        return self.get(f"/tv/{int(tmdb_id)}/season/{int(season_number)}", language=self.language)

    def check(self) -> None:
        """Reach TMDB now (no cache); raise ServiceConfigError for a bad key, TransientError otherwise."""
        if self._request("/configuration", {}, fresh=True) is None:
            raise TransientError(f"TMDB at {self.host} has no /configuration: check TMDB_API_URL")

    def close(self) -> None:
        self.session.close()
        self._memo.clear()
