"""Small HTTP facts both remote services (TMDB, the LLM) share: Retry-After and secret scrubbing."""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Iterable, Mapping
from urllib.parse import quote, urlsplit, urlunsplit

_API_KEY_PARAM = re.compile(r"(api_key=)[^&\s'\"]+")


def retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds a server asked us to wait (`retry-after-ms`, `Retry-After` as seconds or an HTTP
    date), never negative; None when it did not say or said something unreadable."""
    if not headers:
        return None
    try:
        millis = headers.get("retry-after-ms")
        if millis:
            return max(0.0, float(millis) / 1000)
        value = (headers.get("retry-after") or headers.get("Retry-After") or "").strip()
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - (time.time() if now is None else now))
    except (TypeError, ValueError, OverflowError):
        return None


def secret_variants(secrets: Iterable[str | None]) -> list[str]:
    """Every form a secret may appear in (as is, URL-quoted), longest first."""
    found = {variant for s in secrets if s for variant in (s, quote(s, safe=""))}
    return sorted(found, key=len, reverse=True)


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """Given any text, return it with every secret (and any `api_key=` value) replaced by `***`."""
    for secret in secret_variants(secrets):
        text = text.replace(secret, "***")
    return _API_KEY_PARAM.sub(r"\1***", text)


def without_credentials(url: str) -> str:
    """The URL as it may be shown to people: any `user:password@` part left out."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
