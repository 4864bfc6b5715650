"""How each setting's text becomes a value: one parser per kind (`(NAME, context) -> value`).

Every parser raises `ConfigError` with one line naming the setting, what was given and what is
allowed. `config.DECLARED` pairs each setting with its parser.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from clearmedia.errors import ConfigError
from clearmedia.template import validate_template

DEFAULT_TMDB_API_URL = "https://api.themoviedb.org/3"
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")
NOTIFY_EVENT_NAMES = ("completed", "failed", "conflict")


@dataclass
class _Context:
    """What a parser may look at: every raw string, and where relative paths start."""

    raw: dict[str, str]
    require_library: bool
    base_dir: Path
    source: str  # "settings file: …" or "no settings file found …", for "is required" messages


def _show(value: str) -> str:
    return '"' + value.replace('"', '\\"') + '"'


# ---------------------------------------------------------------------------- value parsers
# Each is `(NAME, context) -> value` and raises ConfigError naming NAME.


def _text(name: str, ctx: _Context) -> str | None:
    return ctx.raw.get(name) or None


def _key(name: str, ctx: _Context) -> str | None:
    """A key or token; the untouched placeholder of .env.example (`your-…`) is no key."""
    value = _text(name, ctx)
    if value and value.lower().startswith("your-"):
        raise ConfigError(
            f"{name} is still the example value from .env.example ({_show(value)}): put your own "
            "key there, or leave it empty"
        )
    return value


def _whole(low: int, high: int | None = None) -> Callable[[str, _Context], int]:
    def parse(name: str, ctx: _Context) -> int:
        value = ctx.raw[name]
        allowed = f"a whole number of at least {low}" + (f" and at most {high}" if high else "")
        try:
            number = int(value)
        except ValueError:
            raise ConfigError(f"{name} must be {allowed} (got {_show(value)})") from None
        if number < low or (high is not None and number > high):
            raise ConfigError(f"{name} must be {allowed} (got {_show(value)})")
        return number

    return parse


def _number(low: float) -> Callable[[str, _Context], float]:
    def parse(name: str, ctx: _Context) -> float:
        value = ctx.raw[name]
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not number >= low or number == float("inf"):
            raise ConfigError(f"{name} must be a number of at least {low:g} (got {_show(value)})")
        return number

    return parse


def _choice(allowed: tuple[str, ...], upper: bool = False) -> Callable[[str, _Context], str]:
    def parse(name: str, ctx: _Context) -> str:
        value = ctx.raw[name].upper() if upper else ctx.raw[name].lower()
        if value not in allowed:
            raise ConfigError(f"{name} must be one of {', '.join(allowed)} (got {_show(ctx.raw[name])})")
        return value

    return parse


def _boolean(name: str, ctx: _Context) -> bool:
    value = ctx.raw[name].lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ConfigError(f"{name} must be true or false (got {_show(ctx.raw[name])})")


def _url(name: str, ctx: _Context) -> str | None:
    value = ctx.raw.get(name)
    if not value:
        return None
    if not value.startswith(("http://", "https://")) or len(value) < 10:
        raise ConfigError(f"{name} must be an http:// or https:// address (got {_show(value)})")
    return value.rstrip("/")


def _tmdb_url(name: str, ctx: _Context) -> str:
    return _url(name, ctx) or DEFAULT_TMDB_API_URL


def _folder(name: str, value: str, must_exist: bool = True) -> Path:
    """The folder as an absolute real path. Commands that do not use it (`status`, `list`,
    `retry`) pass `must_exist=False`, so they work while a download disk is unmounted."""
    path = Path(os.path.abspath(os.path.expanduser(value)))
    if not must_exist and not path.is_dir():
        return path
    if not path.exists():
        raise ConfigError(f"{name} folder does not exist: {value} (create it or fix the setting)")
    if not path.is_dir():
        raise ConfigError(f"{name} must be a folder, but {value} is not a folder")
    return Path(os.path.realpath(path))


def _required(name: str, ctx: _Context, what: str) -> None:
    raise ConfigError(f"{name} is required: {what} ({ctx.source})")


def _sources(name: str, ctx: _Context) -> tuple[Path, ...]:
    if not ctx.raw.get(name):
        if ctx.require_library:
            _required(name, ctx, "set it to your download folder(s), several separated by ':'")
        return ()
    parts = [p.strip() for p in ctx.raw[name].split(":") if p.strip()]
    return tuple(dict.fromkeys(_folder(name, p, ctx.require_library) for p in parts))


def _target(name: str, ctx: _Context) -> Path | None:
    if not ctx.raw.get(name):
        if ctx.require_library:
            _required(name, ctx, "set it to your library folder")
        return None
    return _folder(name, ctx.raw[name], ctx.require_library)


def _data_dir(name: str, ctx: _Context) -> Path:
    value = os.path.expanduser(ctx.raw.get(name) or "./data")
    path = Path(os.path.abspath(os.path.join(ctx.base_dir, value)))
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{name} must be a folder, but {ctx.raw.get(name)} is not a folder")
    return path


def _language(name: str, ctx: _Context) -> str:
    value = ctx.raw[name]
    if not value or len(value) > 12 or not all(c.isalnum() or c == "-" for c in value):
        raise ConfigError(f"{name} must be a language code like zh-CN or en-US (got {_show(value)})")
    return value


def _model(name: str, ctx: _Context) -> str:
    if not ctx.raw.get(name):
        raise ConfigError(f'{name} must name a model (got "")')
    return ctx.raw[name]


def _template(name: str, ctx: _Context) -> str | None:
    value = ctx.raw.get(name)
    if not value:
        return None
    problem = validate_template(value, kind="movie" if name == "MOVIE_TEMPLATE" else "episode")
    if problem:
        raise ConfigError(f"{name} is not a usable template: {problem} (got {_show(value)})")
    return value


def _host(name: str, ctx: _Context) -> str:
    return ctx.raw.get(name) or "127.0.0.1"


def _path_map(name: str, ctx: _Context) -> tuple[tuple[str, str], ...]:
    value = ctx.raw.get(name)
    if not value:
        return ()
    pairs = []
    for part in (p.strip() for p in value.split(",")):
        local, sep, server = part.partition("=")
        if not part or not sep or not local.strip().startswith("/") or not server.strip():
            raise ConfigError(
                f"{name} must be local=server pairs separated by commas, "
                f"e.g. /data/media=/media (got {_show(value)})"
            )
        local, server = local.strip().rstrip("/") or "/", server.strip().rstrip("/\\") or "/"
        pairs.append((local, server))
        real = os.path.realpath(local)  # TARGET_DIR is kept as its real path: match that form too
        if real != local:
            pairs.append((real, server))
    return tuple(sorted(dict.fromkeys(pairs), key=lambda pair: len(pair[0]), reverse=True))


def _url_list(name: str, ctx: _Context) -> tuple[str, ...]:
    return tuple(u for u in re.split(r"[\s,]+", ctx.raw.get(name) or "") if u)


def _events(name: str, ctx: _Context) -> tuple[str, ...]:
    value = ctx.raw.get(name, "")
    events = tuple(dict.fromkeys(e.strip().lower() for e in value.split(",") if e.strip()))
    if any(e not in NOTIFY_EVENT_NAMES for e in events):
        raise ConfigError(f"{name} must list some of {', '.join(NOTIFY_EVENT_NAMES)} (got {_show(value)})")
    return events


def _file(name: str, ctx: _Context) -> Path | None:
    value = ctx.raw.get(name)
    if not value:
        return None
    path = Path(os.path.abspath(os.path.expanduser(value)))
    if not path.is_file():
        raise ConfigError(f"{name} {value} does not exist or is not a file")
    return path
