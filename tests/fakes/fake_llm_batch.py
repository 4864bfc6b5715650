"""How the fake LLM answers a request that names several files (FIDELITY.md: like a real model).

A batch request's user message carries `{folder: {key: file name}}` (clearmedia/identify/llm_batch.py).
Each item is answered as a one-file request for its path would be (`FakeLLM.answers`, callables,
imperfect mode), and the answer maps each key to its item. Real models also answer in another
order, leave an item out, repeat another file's answer, give a key twice; `BatchFlaws` scripts
that for paths containing given substrings:

    flaws = batch_flaws(llm)                 # attached to the FakeLLM, reset with a new one
    flaws.shuffle = True                     # items in another order
    flaws.missing.add("E05")                 # the item for ...E05... is left out
    flaws.repeat["E03"] = "E02"              # the item for ...E03... carries ...E02...'s answer
    flaws.twice["E07"] = "E08"               # key of ...E07... given twice, the second time with E08's answer
    flaws.malformed.add("E09")               # the item for ...E09... is prose, not an object
    flaws.unusable = 1                       # the next N batch answers are prose as a whole

`FakeLLM(imperfect=True)` adds, on a path's first batch: items in reversed order, some items
missing, some repeating their neighbour's answer (chosen by a hash of the path).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from clearmedia.identify.answer import AnswerError, extract_json
from tests.fakes.fake_llm import variant

_JSON = re.compile(r"\{.*\}", re.DOTALL)


@dataclass
class BatchFlaws:
    shuffle: bool = False
    missing: set[str] = field(default_factory=set)
    repeat: dict[str, str] = field(default_factory=dict)
    twice: dict[str, str] = field(default_factory=dict)
    malformed: set[str] = field(default_factory=set)
    unusable: int = 0
    batches_seen: set[str] = field(default_factory=set)  # paths already in a batch (imperfect mode)


def batch_flaws(fake) -> BatchFlaws:
    """The fake's batch flaws (made on first use)."""
    return fake.__dict__.setdefault("batch_flaws", BatchFlaws())


def batch_keys(user_message: str) -> dict[str, str] | None:
    """key -> relative path of a batch request's user message, or None for a one-file request."""
    match = _JSON.search(user_message or "")
    if not match:
        return None
    try:
        data = json.loads(match.group(0))
    except ValueError:
        return None
    if not isinstance(data, dict) or not data or not all(isinstance(v, dict) for v in data.values()):
        return None
    keys = {}
    for folder, files in data.items():
        for key, name in files.items():
            keys[key] = f"{folder}/{name}" if folder else name
    return keys


def batch_requests(fake) -> list[dict]:
    """The chat requests that named several files."""
    return [r for r in fake.chat_requests() if batch_keys(r["user"] or "") is not None]


def paths_of(request: dict) -> list[str]:
    """The paths one recorded chat request asked about (one for a one-file request)."""
    keys = batch_keys(request["user"] or "")
    return list(keys.values()) if keys is not None else [fake_path(request["user"] or "")]


def asked_paths(fake) -> list[str]:
    """Every path the fake was asked about, one entry per time asked (batches and single requests)."""
    return [path for request in fake.chat_requests() for path in paths_of(request)]


def fake_path(user_message: str) -> str:
    from tests.fakes.fake_llm import path_in_prompt

    return path_in_prompt(user_message)


def _item(fake, path: str, body: dict):
    """What the fake says about one path, as an answer item (a str when it is not an object)."""
    content = fake._content_for(
        "Identify this video file. Its path, as JSON:\n" + json.dumps({"path": path}, ensure_ascii=False),
        body,
    )
    try:
        return extract_json(content)
    except AnswerError:
        return content


def _matches(path: str, needles) -> str | None:
    return next((needle for needle in needles if needle in path), None)


def batch_content(fake, user_message: str, body: dict) -> str | None:
    """The answer to a batch request, or None when the message names one file."""
    keys = batch_keys(user_message)
    if keys is None:
        return None
    flaws = batch_flaws(fake)
    with fake._lock:
        if flaws.unusable > 0:
            flaws.unusable -= 1
            return "I found several video files. They look like episodes of a TV show."
        first_time = {path: path not in flaws.batches_seen for path in keys.values()}
        flaws.batches_seen.update(keys.values())
    items = {key: _item(fake, path, body) for key, path in keys.items()}
    answer: list[tuple[str, object]] = []
    order = list(keys)
    imperfect = getattr(fake, "imperfect", False)
    if flaws.shuffle or imperfect:
        order.reverse()
    for index, key in enumerate(order):
        path = keys[key]
        flawed = imperfect and first_time[path]
        if _matches(path, flaws.missing) or (flawed and variant(path, "batch-missing", 8) == 0):
            continue
        item = items[key]
        target = flaws.repeat.get(_matches(path, flaws.repeat) or "")
        if target is not None:
            item = next(items[k] for k, p in keys.items() if target in p)
        elif flawed and index > 0 and variant(path, "batch-repeat", 8) == 0:
            item = items[order[index - 1]]  # the neighbour's answer
        if _matches(path, flaws.malformed):
            item = "a video file"
        answer.append((key, item))
        twin = flaws.twice.get(_matches(path, flaws.twice) or "")
        if twin is not None:
            answer.append((key, next(items[k] for k, p in keys.items() if twin in p)))
    text = "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in answer) + "}"
    if imperfect and variant(keys[order[0]], "batch-style", 3) == 1:
        return f"```json\n{text}\n```"
    return text
