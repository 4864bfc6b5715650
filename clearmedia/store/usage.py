"""LLM usage totals (requests, prompt and completion tokens) kept in the Meta table.

Every answered chat request adds the `usage` the API reported, in one statement, so totals
survive restarts and add up across processes; `status --json` and `scan` show them.
"""

from __future__ import annotations

import contextlib

from loguru import logger

from clearmedia.store.models import Meta

#: Meta keys, and the names `status --json` prints them under.
KEYS = {
    "llm_requests": "requests",
    "llm_prompt_tokens": "prompt_tokens",
    "llm_completion_tokens": "completion_tokens",
}

_ADD_SQL = (
    "INSERT INTO meta (key, value) VALUES (?, ?), (?, ?), (?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + CAST(excluded.value AS INTEGER) AS TEXT)"
)


def _tokens(usage, name: str) -> int:
    value = usage.get(name) if isinstance(usage, dict) else getattr(usage, name, None)
    return value if isinstance(value, int) and value > 0 else 0


def record(usage) -> None:
    """Add one answered request and its `usage` (object or dict, None when the API sent none).

    Never raises: without an open database (a library user) or while it is locked, the request
    is simply not counted.
    """
    prompt, completion = _tokens(usage, "prompt_tokens"), _tokens(usage, "completion_tokens")
    params = ["llm_requests", "1", "llm_prompt_tokens", str(prompt), "llm_completion_tokens", str(completion)]
    try:
        Meta._meta.database.execute_sql(_ADD_SQL, params)
    except Exception as error:
        logger.debug("LLM usage not counted: {}", error)


def totals() -> dict[str, int]:
    """`{"requests", "prompt_tokens", "completion_tokens"}` since the database was made (0 when none)."""
    result = dict.fromkeys(KEYS.values(), 0)
    for row in Meta.select().where(Meta.key.in_(list(KEYS))):
        with contextlib.suppress(ValueError):
            result[KEYS[row.key]] = int(row.value)
    return result


def describe(counts: dict[str, int]) -> str:
    """`3 requests, 1,234 prompt + 456 completion tokens` for a summary line."""
    return (
        f"{counts['requests']} request{'s' if counts['requests'] != 1 else ''}, "
        f"{counts['prompt_tokens']:,} prompt + {counts['completion_tokens']:,} completion tokens"
    )
