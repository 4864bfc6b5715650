"""The health endpoint (`GET /health` on HEALTH_HOST:HEALTH_PORT) and `clearmedia health`, its client.

The server is a stdlib `ThreadingHTTPServer` in a daemon thread. It answers from a snapshot the
daemon provides (`state()`), plus the queue counts read on the request's own thread (peewee keeps
one SQLite connection per thread; it is closed after each request). No setting is ever echoed,
so no secret can leak through it.
"""

from __future__ import annotations

import errno
import json
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from loguru import logger

from clearmedia import __version__
from clearmedia.config import Settings
from clearmedia.errors import ConfigError
from clearmedia.store import queue

QUERY_TIMEOUT = 5.0

#: What the daemon reports: {"watcher": "inotify"|"poll"|"stopped", "problems": [str], "last_scan": str|None}
StateProvider = Callable[[], dict]


def report(state: dict, started: float, now: float | None = None) -> tuple[int, dict]:
    """Given the daemon's state snapshot, return (HTTP status, JSON body) for `/health`."""
    now = time.time() if now is None else now
    problems = list(state.get("problems") or [])
    try:
        counts = queue.counts()
    except Exception as error:  # the database is part of being healthy
        counts = None
        problems.append(f"database: {type(error).__name__}")
    starting = bool(state.get("starting"))
    body = {
        "status": "starting" if starting else "degraded" if problems else "ok",
        "version": __version__,
        "uptime_s": round(now - started, 1),
        "counts": counts,
        "last_scan": state.get("last_scan"),
        "watcher": state.get("watcher", "stopped"),
    }
    for key in ("workers", "pid"):
        if key in state:
            body[key] = state[key]
    if problems:
        body["problems"] = problems
    return (503 if problems or starting else 200), body


class _Handler(BaseHTTPRequestHandler):
    server_version = "ClearMedia"
    sys_version = ""
    disable_nagle_algorithm = True  # headers and body are two writes: do not hold the body back 40 ms
    state: StateProvider
    started: float

    def _answer(self, code: int, body: dict, head_only: bool = False) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not head_only:
            self.wfile.write(data)

    def _route(self, head_only: bool) -> None:
        path = self.path.split("?", 1)[0]
        if path != "/health":
            self._answer(404, {"error": "not found", "try": "/health"}, head_only)
            return
        try:
            try:
                state = self.state()
            except Exception as error:  # never leave a monitoring probe without an answer
                logger.exception("health: the daemon state is unavailable")
                state = {"watcher": "stopped", "problems": [f"internal error: {type(error).__name__}"]}
            code, body = report(state, self.started)
        finally:
            from clearmedia.store.db import database

            if database.obj is not None:
                database.close()  # this request's thread-local connection
        self._answer(code, body, head_only)

    def do_GET(self) -> None:
        self._route(head_only=False)

    def do_HEAD(self) -> None:
        self._route(head_only=True)

    def log_message(self, format: str, *args) -> None:
        logger.debug("health: {} {}", self.address_string(), format % args)


class _ServerV6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class HealthServer:
    """`/health` in a daemon thread; `start()` raises ConfigError naming HEALTH_PORT if it is taken."""

    def __init__(self, settings: Settings, state: StateProvider) -> None:
        self.host = settings.health_host
        self.port = settings.health_port
        self._state = state
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        return self.port != 0

    def start(self, started: float | None = None) -> None:
        if not self.enabled:
            logger.info("health endpoint off (HEALTH_PORT=0)")
            return
        handler = type(
            "Handler", (_Handler,), {"state": staticmethod(self._state), "started": started or time.time()}
        )
        try:
            server_class = _ServerV6 if ":" in self.host else ThreadingHTTPServer
            server = server_class((self.host.strip("[]"), self.port), handler)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise ConfigError(
                    f"HEALTH_PORT {self.port} is already in use on {self.host} (is ClearMedia already "
                    "running?): stop that program, choose another HEALTH_PORT, or set HEALTH_PORT=0 to "
                    "turn the health endpoint off"
                ) from None
            if error.errno == errno.EACCES:
                raise ConfigError(
                    f"HEALTH_PORT {self.port} needs privileges on {self.host}: choose a port above 1023"
                ) from None
            raise ConfigError(
                f"HEALTH_HOST {self.host} / HEALTH_PORT {self.port}: cannot listen there ({error.strerror or error})"
            ) from None
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.5}, name="health", daemon=True
        )
        self._thread.start()
        logger.info("health endpoint on http://{}:{}/health", _url_host(self.host), self.port)

    @property
    def alive(self) -> bool:
        return not self.enabled or (self._thread is not None and self._thread.is_alive())

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def _url_host(host: str) -> str:
    """The address a client on this machine uses to reach a server bound to `host`."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    if ":" in host and not host.startswith("["):
        return f"[{host}]"
    return host


def query(settings: Settings) -> int:
    """`clearmedia health`: ask the running daemon; print its answer; 0 when healthy, else 1."""
    if settings.health_port == 0:
        print("the health endpoint is turned off (HEALTH_PORT=0); set HEALTH_PORT to use `clearmedia health`")
        return 1
    where = f"{_url_host(settings.health_host)}:{settings.health_port}"
    url = f"http://{where}/health"
    try:
        with urllib.request.urlopen(url, timeout=QUERY_TIMEOUT) as answer:
            code, text = answer.status, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        code, text = error.code, error.read().decode("utf-8", "replace")
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, ConnectionRefusedError) or getattr(reason, "errno", None) == errno.ECONNREFUSED:
            print(f"ClearMedia is not running (nothing answers on {where})")
        elif isinstance(reason, TimeoutError):
            print(f"ClearMedia does not answer on {where} (no reply within {QUERY_TIMEOUT:g} s)")
        else:
            print(f"cannot reach ClearMedia on {where}: {reason}")
        return 1
    except TimeoutError:
        print(f"ClearMedia does not answer on {where} (no reply within {QUERY_TIMEOUT:g} s)")
        return 1
    except OSError as error:
        print(f"cannot reach ClearMedia on {where}: {error}")
        return 1
    try:
        body = json.loads(text)
    except ValueError:
        print(f"unexpected answer from {url} (HTTP {code}): {text[:200]}")
        return 1
    sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
    healthy = code == 200 and isinstance(body, dict) and body.get("status") == "ok"
    if not healthy:
        problems = "; ".join(body.get("problems", [])) if isinstance(body, dict) else ""
        print(f"ClearMedia is not healthy (HTTP {code}){': ' + problems if problems else ''}")
    return 0 if healthy else 1
