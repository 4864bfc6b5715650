"""Fake Jellyfin, Emby and Plex servers, a json:// notice receiver and a server that never answers.

They are as strict as the real ones where a client can go wrong:
- Jellyfin: `Authorization: MediaBrowser Token="…"` only (the legacy `X-Emby-Token` is off, as
  from Jellyfin 12), 401 on a wrong key, 415 without `Content-Type: application/json`, 400 on a
  body without `Updates[].Path`; 204 on success.
- Emby: `/emby/...` paths, `X-Emby-Token` (or `api_key`), 401 otherwise.
- Plex: `X-Plex-Token`, 401 otherwise; XML unless `Accept: application/json`; section keys are
  strings; a refresh of an unknown section is 404.

    with FakeJellyfin() as jellyfin:
        env["JELLYFIN_URL"], env["JELLYFIN_API_KEY"] = jellyfin.url, jellyfin.api_key
        ...
        assert jellyfin.updates() == [("/media/Movies/…", "Created")]
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import namedtuple
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import quoteattr

from tests.fakes.local_server import LocalServer, send_json

#: One request a fake received: arrival (monotonic), method, path, first value of each query
#: parameter, headers (a plain dict), body text.
Received = namedtuple("Received", "time method path query headers body")


class RecordingServer(LocalServer):
    """A LocalServer that records every request and hands it to `answer(request) -> (status, body)`."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.accepted: list[Received] = []  # those answered 2xx
        self._lock = threading.Lock()
        self._failures: list[int] = []

    def fail_next(self, *statuses: int) -> None:
        """Answer the next requests with these HTTP statuses (e.g. 503 while restarting)."""
        with self._lock:
            self._failures.extend(statuses)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, request: Received) -> tuple[int, object]:
        raise NotImplementedError

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                request = Received(
                    time.monotonic(), self.command, parts.path, query, dict(self.headers), body
                )
                with fake._lock:
                    fake.received.append(request)
                    failure = fake._failures.pop(0) if fake._failures else None
                status, payload = (failure, None) if failure else fake.answer(request)
                if 200 <= status < 300:
                    with fake._lock:
                        fake.accepted.append(request)
                if isinstance(payload, str):  # XML
                    data = payload.encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "text/xml;charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                elif payload is None:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    send_json(self, status, payload)

            do_GET = do_POST = _any

            def log_message(self, *args):
                pass

        return Handler

    def requests(self, path_part: str = "") -> list[Received]:
        with self._lock:
            return [r for r in self.received if path_part in r.path]


class FakeJellyfin(RecordingServer):
    """Jellyfin 10.10/12: `POST /Library/Media/Updated`, `GET /System/Info`."""

    api_key = "jellyfin-key-SECRET-0123"
    prefix = ""
    name = "Jellyfin"

    def authorized(self, request: Received) -> bool:
        header = request.headers.get("Authorization", "")
        match = re.search(r'(?i)^MediaBrowser\b.*\bToken="([^"]*)"', header)
        return bool(match) and match.group(1) == self.api_key

    def answer(self, request: Received) -> tuple[int, object]:
        path = request.path
        if not path.startswith(self.prefix + "/"):
            return 404, None
        path = path[len(self.prefix) :]
        if path == "/System/Info/Public":
            return 200, {"ServerName": f"fake {self.name}", "Version": "10.11.0"}
        if not self.authorized(request):
            return 401, None
        if path == "/System/Info" and request.method == "GET":
            return 200, {"ServerName": f"fake {self.name}", "Version": "10.11.0", "Id": "abc"}
        if path == "/Library/Media/Updated" and request.method == "POST":
            if not request.headers.get("Content-Type", "").startswith("application/json"):
                return 415, None
            try:
                updates = json.loads(request.body)["Updates"]
                assert all(isinstance(u["Path"], str) and u["UpdateType"] for u in updates)
            except (ValueError, KeyError, TypeError, AssertionError):
                return 400, {"error": "bad body"}
            return 204, None
        return 404, None

    def updates(self) -> list[tuple[str, str]]:
        """(Path, UpdateType) of every accepted update, in arrival order."""
        found = []
        for request in list(self.accepted):
            if request.path.endswith("/Library/Media/Updated"):
                found += [(u["Path"], u["UpdateType"]) for u in json.loads(request.body)["Updates"]]
        return found


class FakeEmby(FakeJellyfin):
    """Emby: the same endpoints below `/emby`, key in `X-Emby-Token` (or `api_key`)."""

    api_key = "emby-key-SECRET-4567"
    prefix = "/emby"
    name = "Emby"

    def authorized(self, request: Received) -> bool:
        return self.api_key in (request.headers.get("X-Emby-Token"), request.query.get("api_key"))


class FakePlex(RecordingServer):
    """Plex Media Server: `/library/sections` and `/library/sections/{key}/refresh?path=`."""

    token = "plex-token-SECRET-89ab"

    def __init__(self, sections: dict[str, list[str]] | None = None) -> None:
        super().__init__()
        #: section key (a string, as Plex has it) -> its library folders
        self.sections = sections or {"1": ["/data/media/Movies"], "2": ["/data/media/TV Shows"]}

    def authorized(self, request: Received) -> bool:
        return self.token in (request.headers.get("X-Plex-Token"), request.query.get("X-Plex-Token"))

    def _sections_body(self, as_json: bool):
        if as_json:
            return {
                "MediaContainer": {
                    "size": len(self.sections),
                    "Directory": [
                        {
                            "key": key,
                            "type": "movie" if "Movie" in paths[0] else "show",
                            "title": paths[0].rsplit("/", 1)[-1],
                            "Location": [{"id": n, "path": path} for n, path in enumerate(paths)],
                        }
                        for key, paths in self.sections.items()
                    ],
                }
            }
        directories = "".join(
            f"<Directory key={quoteattr(key)}>"
            + "".join(f"<Location id={quoteattr(str(n))} path={quoteattr(p)}/>" for n, p in enumerate(paths))
            + "</Directory>"
            for key, paths in self.sections.items()
        )
        return f'<?xml version="1.0" encoding="UTF-8"?><MediaContainer size="{len(self.sections)}">{directories}</MediaContainer>'

    def answer(self, request: Received) -> tuple[int, object]:
        if not self.authorized(request):
            return (
                401,
                "<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>",
            )
        if request.path == "/library/sections":
            return 200, self._sections_body("application/json" in request.headers.get("Accept", ""))
        match = re.fullmatch(r"/library/sections/([^/]+)/refresh", request.path)
        if match:
            return (200, None) if match.group(1) in self.sections else (404, None)
        return 404, None

    def refreshes(self) -> list[tuple[str, str]]:
        """(section key, path) of every accepted refresh."""
        return [
            (r.path.split("/")[3], r.query.get("path", ""))
            for r in list(self.accepted)
            if r.path.endswith("/refresh")
        ]


class NoticeReceiver(RecordingServer):
    """Receives Apprise's json:// posts: `{"version", "title", "message", "type"}`."""

    def answer(self, request: Received) -> tuple[int, object]:
        return 200, {"ok": True}

    def apprise_url(self, path: str = "notify") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def notices(self) -> list[dict]:
        return [json.loads(r.body) for r in self.requests() if r.method == "POST"]


class HangingServer(LocalServer):
    """Accepts connections and reads the request, then never answers (until stopped)."""

    def __init__(self) -> None:
        self._release = threading.Event()
        self.hits = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                fake.hits += 1
                fake._release.wait(120)

            do_GET = do_POST = _any

            def log_message(self, *args):
                pass

        return Handler

    def stop(self) -> None:
        self._release.set()
        super().stop()


def refused_url() -> str:
    """An http:// address on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
