"""A fake OpenAI-compatible Chat Completions endpoint on 127.0.0.1, for tests.

    with FakeLLM() as llm:
        env["OPENAI_BASE_URL"] = llm.url          # http://127.0.0.1:PORT/v1
        env["OPENAI_API_KEY"] = llm.api_key       # test-openai-key-SECRET
        llm.answers["Oshi.no.Ko"] = '{"title": "Oshi no Ko", "type": "tv"}'
        ...
        assert len(llm.chat_requests()) == 1

By default every chat request is answered with the parse of the relative path found in the prompt,
computed by `clearmedia.identify.rules` (guessit) and returned as JSON in the LLM answer shape, so a
whole daemon can run against it without scripting each file.

`answers` maps a substring of the user message (e.g. a relative path) to what to answer:
- a str: the message content, as is (malformed answers included);
- a dict: sent as its JSON text;
- a list: one item per request, in order (the last item repeats);
- a callable `(relative_path, body) -> str | dict`.
The first key found in the user message wins.

Faults: `fail_next(status, count, headers, body)` (status 0 closes the connection without an answer),
`delay` seconds before each answer, `reject_response_format` (HTTP 400 when the request has
`response_format`, like endpoints that do not support it). Every request needs
`Authorization: Bearer test-openai-key-SECRET`, else 401.

`FakeLLM(imperfect=True)` answers unscripted names like a real, imperfect model (FIDELITY.md), each
behaviour for some names, chosen by a hash of the path (so a run is repeatable): optional fields
left out, a year off by one, edition words kept in the title, the Latin title of a CJK release,
`S01E15` for an absolute number, an extra answered as episode 1, the work's other titles (the
model's memory: `tests.fakes.tmdb_catalogue`) left out or only the English/romaji one, code fences,
`<think>` blocks,
numbers as strings, prose before the JSON on the first try, HTTP 429 (with `Retry-After: 0`) and
500 (without) on a path's first request.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.local_server import LocalServer, send_json

API_KEY = "test-openai-key-SECRET"
MODELS = ("gpt-4o-mini", "test-model")

Answer = str | dict | list | Callable[[str, dict], "str | dict"]


def parse_answer_for(relative_path: str) -> dict:
    """The LLM-shaped JSON answer for a path, read by guessit (our rules parser)."""
    from clearmedia.errors import IdentifyError
    from clearmedia.identify.rules import parse_name

    try:
        parsed = parse_name(relative_path)
    except IdentifyError:
        return {"title": None, "type": None}
    return {
        "title": parsed.title,
        "alt_title": parsed.alt_title,
        "year": parsed.year,
        "type": parsed.media_type,
        "season": parsed.season,
        "episodes": list(parsed.episodes),
        "absolute_episode": parsed.absolute_episode,
        "air_date": parsed.air_date,
        **known_titles(parsed.titles(), parsed.year),
    }


def known_entry(titles: list[str], year: int | None):
    """The catalogue work a model would take these titles for: one whose title is one of them
    (the one of that year, when several), the most popular of equals; None when it knows none."""
    from tests.fakes import tmdb_catalogue
    from tests.fakes.fake_tmdb import normalize

    wanted = {normalize(t) for t in titles if t}
    hits = [
        e
        for e in (*tmdb_catalogue.MOVIES, *tmdb_catalogue.SHOWS)
        if wanted & {normalize(t) for t in (e.en, e.zh, e.original, *e.alt, *e.aka) if t}
    ]
    dated = [
        e
        for e in hits
        if year and getattr(e, "release_date", getattr(e, "first_air_date", ""))[:4] == str(year)
    ]
    hits = dated or hits
    return max(hits, key=lambda e: e.popularity) if hits else None


def known_titles(titles: list[str], year: int | None) -> dict:
    """The `title_zh`/`title_en`/`title_original` a model knows for a work (nulls when none)."""
    entry = known_entry(titles, year)
    if entry is None:
        return {"title_zh": None, "title_en": None, "title_original": None}
    return {"title_zh": entry.zh or None, "title_en": entry.en or None, "title_original": entry.original}


_EDITION = re.compile(
    r"(?<![^\W_])(Extended(?:[ ._-]Edition)?|Director'?s[ ._-]Cut|Final[ ._-]Cut|IMAX|Remastered|Unrated)(?![^\W_])",
    re.IGNORECASE,
)
_EXTRA = re.compile(
    r"(?<![^\W_])(?:menu\d*|nc(?:op|ed)\d*|pv\d*|cm\d*|preview|tokuten|bonus)(?![^\W_])", re.I
)


def variant(relative_path: str, salt: str, choices: int) -> int:
    """A stable pseudo-random choice in range(choices) for a path: the same name, the same flaw."""
    digest = hashlib.sha256(f"{salt}:{relative_path}".encode("utf-8", "surrogatepass")).hexdigest()
    return int(digest, 16) % choices


def imperfect_answer(relative_path: str) -> dict:
    """What a real, imperfect model says about a path: the rules' reading, with a model's flaws."""
    answer = parse_answer_for(relative_path)
    if not answer.get("title"):
        return answer
    titles = [t for t in (answer["title"], answer.get("alt_title")) if t]
    latin = [t for t in titles if t.isascii()]
    if len(titles) == 2 and latin:  # the English (or romaji) title of a Chinese release
        answer["title"] = latin[0]
        answer["alt_title"] = (
            None if variant(relative_path, "alt", 2) else next(t for t in titles if t != latin[0])
        )
    _forget_titles(relative_path, answer)
    filename = relative_path.rsplit("/", 1)[-1]
    edition = _EDITION.search(filename)
    if edition:  # "Blade Runner The Final Cut", "Avatar IMAX"
        answer["title"] = f"{answer['title']} {re.sub(r'[._-]', ' ', edition.group(1))}"
    if answer.get("year"):
        flaw = variant(relative_path, "year", 3)
        answer["year"] = None if flaw == 0 else answer["year"] + 1 if flaw == 1 else answer["year"]
    if answer.get("absolute_episode") and answer.get("season") is None:  # "S01E15" for "- 15"
        answer.update(season=1, episodes=[answer["absolute_episode"]], absolute_episode=None)
    if _EXTRA.search(filename.rsplit(".", 1)[0]):  # a BD menu, an opening, a PV: "episode 1"
        answer.update(type="tv", season=1, episodes=[1])
    for key in ("alt_title", "absolute_episode", "air_date"):
        if answer.get(key) is None and variant(relative_path, key, 2):
            answer.pop(key, None)  # optional fields left out rather than null
    return answer


def _forget_titles(relative_path: str, answer: dict) -> None:
    """A model's memory of titles: for some names none (the keys left out), for some only the
    English one (or the romaji one of an anime), for the rest all it knows."""
    flaw = variant(relative_path, "known", 4)
    if flaw == 0:
        for key in ("title_zh", "title_en", "title_original"):
            answer.pop(key, None)
    elif flaw == 1:
        entry = known_entry([answer["title"]], answer.get("year"))
        known = (*getattr(entry, "alt", ()), *getattr(entry, "aka", ()))
        romaji = [t for t in known if t.isascii() and t != entry.en]
        english = romaji[0] if romaji and entry.original_language == "ja" else answer.get("title_en")
        answer.update(title_zh=None, title_original=None, title_en=english)


def imperfect_content(relative_path: str, answer: dict) -> str:
    """The answer's JSON as a model may wrap it: bare, fenced, after <think>, numbers as strings."""
    style = variant(relative_path, "style", 4)
    if style == 3:
        answer = {k: str(v) if isinstance(v, int) else v for k, v in answer.items()}
    text = json.dumps(answer, ensure_ascii=False)
    if style == 1:
        return f"Here is the JSON:\n```json\n{text}\n```"
    if style == 2:
        return f"<think>The name has a title and a year.</think>\n{text}"
    return text


def path_in_prompt(user_message: str) -> str:
    """The relative path inside a user message: the `path` of its JSON object, else the whole text."""
    match = re.search(r"\{.*\}", user_message, re.DOTALL)
    if match:
        try:
            data = json.loads(match.group(0))
        except ValueError:
            data = None
        if isinstance(data, dict):
            for key in ("path", "relative_path", "file", "name"):
                if isinstance(data.get(key), str):
                    return data[key]
    return user_message.strip()


class FakeLLM(LocalServer):
    """The fake endpoint; a context manager that serves in a background thread."""

    thread_name = "fake-llm"

    def __init__(self, api_key: str = API_KEY, imperfect: bool = False) -> None:
        self.api_key = api_key
        self.imperfect = imperfect
        self._asked: set[str] = set()  # paths asked before (imperfect mode: first-try flaws)
        self.answers: dict[str, Answer] = {}
        self.delay: float = 0.0
        self.reject_response_format = False
        self._lock = threading.Lock()
        self._requests: list[dict] = []
        self._faults: list[tuple[int, dict, Any]] = []
        self._stopping = threading.Event()

    # --- lifecycle -------------------------------------------------------------------------
    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return type("Handler", (_Handler,), {"fake": self})

    def stop(self) -> None:
        self._stopping.set()
        super().stop()

    @property
    def url(self) -> str:
        """Base URL for OPENAI_BASE_URL."""
        return f"http://127.0.0.1:{self.port}/v1"

    # --- scripting -------------------------------------------------------------------------
    def fail_next(self, status: int, count: int = 1, headers: dict | None = None, body: Any = None) -> None:
        """Answer the next `count` requests with HTTP `status` (0: drop the connection)."""
        with self._lock:
            self._faults.extend([(status, dict(headers or {}), body)] * count)

    def reset(self) -> None:
        """Forget received requests, scripted answers, faults, delay and flags."""
        with self._lock:
            self._requests.clear()
            self._faults.clear()
            self._asked.clear()
            self.answers.clear()
            self.delay = 0.0
            self.reject_response_format = False

    @property
    def requests(self) -> list[dict]:
        """Every request received, oldest first: dicts with time, method, path, body, user (a copy)."""
        with self._lock:
            return list(self._requests)

    def chat_requests(self) -> list[dict]:
        return [r for r in self.requests if r["path"].endswith("/chat/completions")]

    def sent_paths(self) -> list[str]:
        """The relative path each chat request asked about."""
        return [path_in_prompt(r["user"] or "") for r in self.chat_requests()]

    # --- answering (called by the handler) ---------------------------------------------------
    def _record(self, entry: dict) -> tuple[int, dict, Any] | None:
        with self._lock:
            self._requests.append(entry)
            if self._faults:
                return self._faults.pop(0)
        return self._imperfect_fault(entry)

    def _imperfect_fault(self, entry: dict) -> tuple[int, dict, Any] | None:
        """Imperfect mode: a path's first chat request may get HTTP 429 or 500."""
        if not self.imperfect or not entry["path"].endswith("/chat/completions") or not entry["user"]:
            return None
        path = path_in_prompt(entry["user"])
        with self._lock:
            if (path, "http") in self._asked:
                return None
            self._asked.add((path, "http"))
        flaw = variant(path, "http", 8)
        if flaw == 0:
            return 429, {"Retry-After": "0"}, None
        if flaw == 1:
            return 500, {}, None
        return None

    def _content_for(self, user_message: str, body: dict) -> str:
        relative_path = path_in_prompt(user_message)
        with self._lock:
            scripted = None
            for key, answer in self.answers.items():
                if key in user_message:
                    scripted = answer
                    if isinstance(answer, list):
                        scripted = answer.pop(0) if len(answer) > 1 else (answer[0] if answer else None)
                    break
        if scripted is None and self.imperfect:
            with self._lock:
                first = relative_path not in self._asked
                self._asked.add(relative_path)
            if first and variant(relative_path, "prose", 6) == 0:
                return "This looks like a video file. I think it is a film, but I am not sure which one."
            return imperfect_content(relative_path, imperfect_answer(relative_path))
        if scripted is None:
            scripted = parse_answer_for(relative_path)
        if callable(scripted):
            scripted = scripted(relative_path, body)
        return scripted if isinstance(scripted, str) else json.dumps(scripted, ensure_ascii=False)

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)


def _error_body(status: int, message: str, kind: str, param: str | None = None) -> dict:
    return {"error": {"message": message, "type": kind, "param": param, "code": str(status)}}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeLLM
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: do not hold the body back 40 ms

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, payload: Any, headers: dict | None = None) -> None:
        send_json(self, status, payload, headers)

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        user = None
        if isinstance(body, dict):
            users = [m.get("content") for m in body.get("messages") or [] if m.get("role") == "user"]
            user = users[-1] if users and isinstance(users[-1], str) else None
        fake = self.fake
        fault = fake._record(
            {"time": time.time(), "method": method, "path": self.path, "body": body, "user": user}
        )
        fake._sleep(fake.delay)
        if fault is not None:
            status, headers, fault_body = fault
            if status == 0:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if fault_body is None:
                fault_body = _error_body(status, f"injected failure {status}", "server_error")
            elif isinstance(fault_body, str):
                fault_body = fault_body.encode()
            self._send(status, fault_body, headers)
            return
        if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
            self._send(401, _error_body(401, "Incorrect API key provided.", "invalid_request_error"))
            return
        path = self.path.split("?")[0].rstrip("/")
        if method == "GET" and path == "/v1/models":
            self._send(
                200,
                {
                    "object": "list",
                    "data": [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in MODELS],
                },
            )
        elif method == "POST" and path == "/v1/chat/completions":
            self._chat(body, user)
        else:
            self._send(404, _error_body(404, f"no route {method} {path}", "invalid_request_error"))

    def _chat(self, body: Any, user: str | None) -> None:
        fake = self.fake
        if not isinstance(body, dict) or not body.get("model") or not isinstance(body.get("messages"), list):
            self._send(400, _error_body(400, "model and messages are required", "invalid_request_error"))
            return
        if fake.reject_response_format and "response_format" in body:
            self._send(
                400,
                _error_body(
                    400,
                    "response_format is not supported by this model",
                    "invalid_request_error",
                    "response_format",
                ),
            )
            return
        from tests.fakes.fake_llm_batch import batch_content  # several files in one request

        content = batch_content(fake, user or "", body) or fake._content_for(user or "", body)
        prompt_tokens = sum(len(str(m.get("content", ""))) // 4 + 1 for m in body["messages"])
        completion_tokens = len(content) // 4 + 1
        self._send(
            200,
            {
                "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "refusal": None},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
                "system_fingerprint": "fp_fake",
            },
        )

    def do_POST(self) -> None:
        self._handle("POST")

    def do_GET(self) -> None:
        self._handle("GET")
