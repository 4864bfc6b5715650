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
    """Every word of the query starts a word of the title; CJK queries match as substrings."""
    q, t = normalize(query), normalize(title)
    if not q:
        return False
    if any(ord(c) > 0x2E7F for c in q):  # CJK and kana: no spaces between words
        return q.replace(" ", "") in t.replace(" ", "")
    words = t.split()
    return all(any(w.startswith(qw) for w in words) for qw in q.split())


def _localized(entry: Movie | Show, language: str | None) -> str:
    """The title TMDB shows in `language`: its translation there, else the ORIGINAL title (never a
    third language: a Korean film searched in zh-CN without a Chinese title shows the Korean one)."""
    lang = (language or "en-US").lower()
    if lang.startswith(entry.original_language):
        return entry.original
    if lang.startswith("zh"):
        return entry.zh or entry.original
    if lang.startswith("en"):
        return entry.en or entry.original
    return entry.original


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


_GENRE_NAMES = {
    16: "Animation",
    18: "Drama",
    99: "Documentary",
    10762: "Kids",
    10764: "Reality",
    10767: "Talk",
}


def _genres(ids) -> list[dict]:
    """Details list genres as objects; search results as `genre_ids`."""
    return [{"id": i, "name": _GENRE_NAMES.get(i, str(i))} for i in ids]


def _movie_json(m: Movie, language: str | None, full: bool = False) -> dict:
    data = {
        "adult": False,
        "backdrop_path": f"/backdrop{m.id}.jpg",
        "genre_ids": list(m.genres),
        "id": m.id,
        "original_language": m.original_language,
        "original_title": m.original,
        "overview": m.overview or f"Overview of {_localized(m, language)}.",
        "popularity": m.popularity,
        "poster_path": f"/poster{m.id}.jpg",
        "release_date": m.release_date,
        "title": _localized(m, language),
        "video": False,
        "vote_average": 7.5,
        "vote_count": 1000,
    }
    if full:
        data.pop("genre_ids")
        data.update(
            genres=_genres(m.genres),
            production_countries=[{"iso_3166_1": c, "name": c} for c in m.production_countries],
            origin_country=m.production_countries,
            runtime=120,
            status="Released",
            imdb_id=f"tt{m.id:07d}",
        )
    return data


def _tv_json(s: Show, language: str | None, full: bool = False) -> dict:
    data = {
        "adult": False,
        "backdrop_path": f"/backdrop{s.id}.jpg",
        "genre_ids": list(s.genres),
        "id": s.id,
        "origin_country": s.origin_country,
        "original_language": s.original_language,
        "original_name": s.original,
        "overview": s.overview or f"Overview of {_localized(s, language)}.",
        "popularity": s.popularity,
        "poster_path": f"/poster{s.id}.jpg",
        "first_air_date": s.first_air_date,
        "name": _localized(s, language),
        "vote_average": 8.0,
        "vote_count": 1000,
    }
    if full:
        data.pop("genre_ids")
        regular = [x for x in s.seasons if x.season_number > 0]
        data.update(
            genres=_genres(s.genres),
            production_countries=[{"iso_3166_1": c, "name": c} for c in s.origin_country],
            number_of_seasons=len(regular),
            number_of_episodes=sum(x.episode_count for x in regular),
            status="Returning Series",
            seasons=[
                {
                    "air_date": x.air_date,
                    "episode_count": x.episode_count,
                    "id": s.id * 100 + x.season_number,
                    "name": "Specials" if x.season_number == 0 else f"Season {x.season_number}",
                    "overview": "",
                    "poster_path": None,
                    "season_number": x.season_number,
                }
                for x in s.seasons
            ],
        )
    return data


def _translations(entry: Movie | Show) -> dict:
    """As TMDB lists them: the original language's entry has an EMPTY title (the original title is
    the title), several Chinese entries share a language, and any of them may be empty."""
    key = "title" if isinstance(entry, Movie) else "name"
    original = entry.original_language

    def own(lang: str, title: str) -> str:
        return "" if lang == original else title

    rows = [
        ("US", "en", "English", own("en", entry.en)),
        ("CN", "zh", "Mandarin", own("zh", entry.zh)),
        ("TW", "zh", "Mandarin", ""),
        ("HK", "zh", "Cantonese", ""),
    ]
    if original not in ("en", "zh"):
        rows.append((_LANGUAGE_REGION.get(original, "XX"), original, original, ""))
    return {
        "translations": [
            {
                "iso_3166_1": c,
                "iso_639_1": lang,
                "name": n,
                "english_name": n,
                "data": {key: t, "overview": ""},
            }
            for c, lang, n, t in rows
        ]
    }


_LANGUAGE_REGION = {"ja": "JP", "ko": "KR", "fr": "FR"}


def _alternative_titles(entry: Movie | Show) -> dict:
    rows = [{"iso_3166_1": "US", "title": t, "type": ""} for t in entry.alt]
    if entry.original_language == "zh" and entry.zh and entry.zh != entry.original:
        rows.append({"iso_3166_1": "CN", "title": entry.zh, "type": "short"})  # "甄嬛传" of "后宫·甄嬛传"
    return {"titles": rows} if isinstance(entry, Movie) else {"results": rows}


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
            return 200, {
                "images": {
                    "base_url": "http://image.tmdb.org/t/p/",
                    "secure_base_url": "https://image.tmdb.org/t/p/",
                },
                "change_keys": ["title", "name", "overview"],
            }
        if path == "/search/movie":
            year = q.get("primary_release_year") or q.get("year")
            return 200, self._search(
                self.movies, q, year, lambda m: _movie_json(m, lang), self.search_alt_titles
            )
        if path == "/search/tv":
            # TMDB: `first_air_date_year` is the first air date's year; `year` also any season's year
            first_only = q.get("first_air_date_year")
            return 200, self._search(
                self.shows,
                q,
                first_only or q.get("year"),
                lambda s: _tv_json(s, lang),
                self.search_alt_titles,
                any_season_year=not first_only,
            )
        m = re.fullmatch(r"/(movie|tv)/(\d+)", path)
        if m:
            entry = self._by_id(m[1], int(m[2]))
            if entry is None:
                return 404, NOT_FOUND
            data = (
                _movie_json(entry, lang, full=True) if m[1] == "movie" else _tv_json(entry, lang, full=True)
            )
            extras = {x.strip() for x in q.get("append_to_response", "").split(",")}
            if "translations" in extras:
                data["translations"] = _translations(entry)
            if "alternative_titles" in extras:
                data["alternative_titles"] = _alternative_titles(entry)
            return 200, data
        m = re.fullmatch(r"/tv/(\d+)/season/(\d+)", path)
        if m:
            show = self._by_id("tv", int(m[1]))
            season = show.season(int(m[2])) if show else None
            if season is None:
                return 404, NOT_FOUND
            dates = catalogue.episode_dates(season)
            return 200, {
                "_id": f"season{show.id}-{season.season_number}",
                "id": show.id * 100 + season.season_number,
                "air_date": season.air_date,
                "name": "Specials" if season.season_number == 0 else f"Season {season.season_number}",
                "season_number": season.season_number,
                "episodes": [
                    {
                        "id": show.id * 10000 + season.season_number * 1000 + n,
                        "air_date": dates[n - 1],
                        "episode_number": n,
                        "season_number": season.season_number,
                        "name": season.names.get(n, f"Episode {n}"),
                        "overview": "",
                        "runtime": 45,
                        "show_id": show.id,
                    }
                    for n in range(1, season.episode_count + 1)
                ],
            }
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
