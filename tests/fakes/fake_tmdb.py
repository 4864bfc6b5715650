"""A fake TMDB API v3 on 127.0.0.1 for tests: real HTTP, a realistic catalogue, fault injection.

    with FakeTMDB() as tmdb:
        env["TMDB_API_URL"] = tmdb.url          # http://127.0.0.1:PORT/3
        ...
        assert tmdb.count("/search/") == 1

Accepts `api_key=test-tmdb-key-SECRET` or `Authorization: Bearer test-tmdb-token-SECRET`;
anything else gets TMDB's 401 body. The data is in `tests.fakes.tmdb_catalogue`.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections import namedtuple
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.fakes import tmdb_answers as answers
from tests.fakes import tmdb_catalogue as catalogue
from tests.fakes.local_server import LocalServer, send_json
from tests.fakes.tmdb_catalogue import Movie, Show

API_KEY = "test-tmdb-key-SECRET"
READ_TOKEN = "test-tmdb-token-SECRET"
PAGE_SIZE = 20

#: One request the fake received: monotonic arrival time, path (without /3), first value of each query param.
Request = namedtuple("Request", "time path query")

INVALID_KEY = {
    "status_code": 7,
    "status_message": "Invalid API key: You must be granted a valid key.",
    "success": False,
}
NOT_FOUND = {
    "status_code": 34,
    "status_message": "The resource you requested could not be found.",
    "success": False,
}
STATUS_BODIES = {
    401: INVALID_KEY,
    404: NOT_FOUND,
    429: {
        "status_code": 25,
        "status_message": "Your request count (41) is over the allowed limit of (40).",
        "success": False,
    },
    500: {
        "status_code": 11,
        "status_message": "Internal error: Something went wrong, contact TMDb.",
        "success": False,
    },
    503: {
        "status_code": 9,
        "status_message": "Service offline: This service is temporarily offline, try again later.",
        "success": False,
    },
}


def normalize(text: str) -> str:
    """Lowercase, width/accents folded, punctuation to spaces (roughly what TMDB's search does)."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower().replace("&", " and ")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def title_matches(query: str, title: str) -> bool:
    """Every word of the query starts a word of the title; CJK queries match as substrings.
    Like TMDB's search, "Greys Anatomy" finds "Grey's Anatomy" (apostrophes dropped, not spaced)."""
    if _APOSTROPHES.search(title) and _words_match(_APOSTROPHES.sub("", query), _APOSTROPHES.sub("", title)):
        return True
    return _words_match(query, title)


_APOSTROPHES = re.compile("['‘’`]")


def _words_match(query: str, title: str) -> bool:
    q, t = normalize(query), normalize(title)
    if not q:
        return False
    if any(ord(c) > 0x2E7F for c in q):  # CJK and kana: no spaces between words
        return q.replace(" ", "") in t.replace(" ", "")
    words = t.split()
    return all(any(w.startswith(qw) for w in words) for qw in q.split())


def _all_titles(entry: Movie | Show, alt: bool = True) -> list[str]:
    return [entry.en, entry.zh, entry.original, *(entry.alt if alt else ())]


def _years(entry: Movie | Show, any_season: bool) -> set[str]:
    years = {_date(entry)[:4]}
    if any_season and isinstance(entry, Show):
        for season in entry.seasons:
            years |= {d[:4] for d in catalogue.episode_dates(season)}
    return years


def _date(entry: Movie | Show) -> str:
    return entry.release_date if isinstance(entry, Movie) else entry.first_air_date


class FakeTMDB(LocalServer):
    """A threaded fake TMDB server; use as a context manager (or call start()/stop())."""

    thread_name = "fake-tmdb"

    def __init__(self, delay: float = 0.0, movies=None, shows=None, search_alt_titles: bool = True):
        self.delay = delay  # seconds added to every answer
        # False: /search matches only the title and original title, as real TMDB may do for
        # "The Office UK" (details still list the alternative titles)
        self.search_alt_titles = search_alt_titles
        self.movies = tuple(catalogue.MOVIES if movies is None else movies)
        self.shows = tuple(catalogue.SHOWS if shows is None else shows)
        self.requests: list[Request] = []
        self.statuses: list[int] = []  # statuses answered, in the order they were sent
        self._lock = threading.Lock()
        self._failures: list[tuple[int, dict, str | None]] = []

    # -- life cycle ------------------------------------------------------------------------
    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # headers and body are two writes

            def do_GET(self):
                fake._handle(self)

            def log_message(self, *args):  # keep test output quiet
                pass

        return Handler

    @property
    def url(self) -> str:
        """Base URL for TMDB_API_URL."""
        return f"http://127.0.0.1:{self.port}/3"

    # -- test controls ---------------------------------------------------------------------
    def reset(self) -> None:
        """Forget received requests and pending failures."""
        with self._lock:
            self.requests.clear()
            self.statuses.clear()
            self._failures.clear()

    def fail_next(
        self, status: int, count: int = 1, headers: dict | None = None, path: str | None = None
    ) -> None:
        """Answer the next `count` requests (whose path contains `path`, if given) with `status`."""
        with self._lock:
            self._failures.extend([(status, dict(headers or {}), path)] * count)

    def count(self, path_part: str = "") -> int:
        """How many requests were received whose path contains `path_part` (e.g. "/search/")."""
        with self._lock:
            return sum(1 for r in self.requests if path_part in r.path)

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]

    # -- request handling ------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        path = parts.path[2:] if parts.path.startswith("/3/") else parts.path
        with self._lock:
            self.requests.append(Request(time.monotonic(), path, query))
            failure = None
            for i, (_status, _headers, only) in enumerate(self._failures):
                if only is None or only in path:
                    failure = self._failures.pop(i)
                    break
        if self.delay:
            time.sleep(self.delay)
        if failure:
            status, headers, _ = failure
            return self._send(handler, status, STATUS_BODIES.get(status, {"success": False}), headers)
        auth = handler.headers.get("Authorization", "")
        if query.get("api_key") != API_KEY and auth != f"Bearer {READ_TOKEN}":
            return self._send(handler, 401, INVALID_KEY)
        try:
            status, body = self._route(path, query)
        except Exception as exc:  # a bug in the fake must be visible, not a hang
            status, body = 500, {"success": False, "status_message": f"fake error: {exc!r}"}
        self._send(handler, status, body)

    def _send(self, handler, status: int, body: dict, headers: dict | None = None) -> None:
        with self._lock:
            self.statuses.append(status)
        send_json(handler, status, body, headers)

    def _route(self, path: str, q: dict) -> tuple[int, dict]:
        lang = q.get("language")
        if path == "/configuration":
            return 200, answers.CONFIGURATION
        if path == "/search/movie":
            year = q.get("primary_release_year") or q.get("year")
            return 200, self._search(
                self.movies, q, year, lambda m: answers.movie_json(m, lang), self.search_alt_titles
            )
        if path == "/search/tv":
            # TMDB: `first_air_date_year` is the first air date's year; `year` also any season's year
            first_only = q.get("first_air_date_year")
            return 200, self._search(
                self.shows,
                q,
                first_only or q.get("year"),
                lambda s: answers.tv_json(s, lang),
                self.search_alt_titles,
                any_season_year=not first_only,
            )
        m = re.fullmatch(r"/(movie|tv)/(\d+)", path)
        if m:
            entry = self._by_id(m[1], int(m[2]))
            if entry is None:
                return 404, NOT_FOUND
            return 200, answers.details_json(entry, lang, q.get("append_to_response", ""))
        m = re.fullmatch(r"/tv/(\d+)/season/(\d+)", path)
        if m:
            show = self._by_id("tv", int(m[1]))
            season = show.season(int(m[2])) if show else None
            if season is None:
                return 404, NOT_FOUND
            return 200, answers.season_json(show, season)
        return 404, NOT_FOUND

    def _by_id(self, media_type: str, tmdb_id: int):
        pool = self.movies if media_type == "movie" else self.shows
        return next((e for e in pool if e.id == tmdb_id), None)

    @staticmethod
    def _search(pool, q: dict, year: str | None, render, alt: bool = True, any_season_year=False) -> dict:
        query = q.get("query", "")
        if not query.strip():
            return {"page": 1, "results": [], "total_pages": 0, "total_results": 0}
        hits = [e for e in pool if any(title_matches(query, t) for t in _all_titles(e, alt))]
        if year:
            hits = [e for e in hits if str(year) in _years(e, any_season_year)]
        # TMDB ranks an exact title first, then by popularity
        exact = normalize(query)
        hits.sort(key=lambda e: (exact not in {normalize(t) for t in _all_titles(e, alt)}, -e.popularity))
        page = max(1, int(q.get("page") or 1))
        chunk = hits[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return {
            "page": page,
            "results": [render(e) for e in chunk],
            "total_pages": (len(hits) + PAGE_SIZE - 1) // PAGE_SIZE,
            "total_results": len(hits),
        }
