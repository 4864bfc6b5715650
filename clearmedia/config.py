"""Settings: one frozen object built from environment > env file > defaults, validated up front.

Every problem raises `ConfigError` with one line that names the setting, what was given and
what is allowed; `cli` turns it into exit status 2.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from clearmedia.errors import ConfigError

DEFAULT_TMDB_API_URL = "https://api.themoviedb.org/3"
PARSERS = ("auto", "llm", "guessit")
NAMINGS = ("jellyfin", "plex", "emby")
LOG_FORMATS = ("auto", "text", "json", "journal")
LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL")
WATCH_MODES = ("inotify", "poll")
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")

#: Every setting of the contract with its default (None: no default).
DEFAULTS: dict[str, str | None] = {
    "SOURCE_DIR": None,
    "TARGET_DIR": None,
    "DATA_DIR": "./data",
    "TMDB_API_KEY": None,
    "TMDB_READ_TOKEN": None,
    "TMDB_API_URL": DEFAULT_TMDB_API_URL,
    "TMDB_LANGUAGE": "zh-CN",
    "TMDB_RATE_LIMIT": "40",
    "OPENAI_API_KEY": None,
    "OPENAI_BASE_URL": None,
    "LLM_MODEL": "gpt-4o-mini",
    "PARSER": "auto",
    "WORKERS": "4",
    "SCAN_INTERVAL": "300",
    "WATCH_MODE": "inotify",
    "SETTLE_SECONDS": "60",
    "MIN_FILE_SIZE_MB": "10",
    "MAX_ATTEMPTS": "5",
    "RETRY_DELAY": "30",
    "NAMING": "jellyfin",
    "MOVIE_TEMPLATE": None,
    "EPISODE_TEMPLATE": None,
    "DRY_RUN": "false",
    "LOG_LEVEL": "INFO",
    "LOG_FORMAT": "auto",
    "HEALTH_HOST": "127.0.0.1",
    "HEALTH_PORT": "8089",
    "LLM_BATCH_SIZE": "20",
    "JELLYFIN_URL": None,
    "JELLYFIN_API_KEY": None,
    "EMBY_URL": None,
    "EMBY_API_KEY": None,
    "PLEX_URL": None,
    "PLEX_TOKEN": None,
    "MEDIA_SERVER_PATH_MAP": None,
    "REFRESH_DELAY": "10",
    "NOTIFY_URLS": None,
    "NOTIFY_EVENTS": "completed,failed,conflict",
    "NOTIFY_BATCH_SECONDS": "60",
    "CATEGORY_FILE": None,
}

SECRET_SETTINGS = (
    "TMDB_API_KEY",
    "TMDB_READ_TOKEN",
    "OPENAI_API_KEY",
    "JELLYFIN_API_KEY",
    "EMBY_API_KEY",
    "PLEX_TOKEN",
    "NOTIFY_URLS",
)
NOTIFY_EVENT_NAMES = ("completed", "failed", "conflict")


@dataclass(frozen=True)
class Settings:
    """Validated settings. Secrets are left out of `repr` so they never reach a log line."""

    source_dirs: tuple[Path, ...]
    target_dir: Path | None
    data_dir: Path
    tmdb_api_key: str | None = field(repr=False)
    tmdb_read_token: str | None = field(repr=False)
    tmdb_api_url: str
    tmdb_language: str
    tmdb_rate_limit: int
    openai_api_key: str | None = field(repr=False)
    openai_base_url: str | None
    llm_model: str
    parser: str
    workers: int
    scan_interval: int
    watch_mode: str
    settle_seconds: float
    min_file_size_mb: float
    max_attempts: int
    retry_delay: int
    naming: str
    movie_template: str | None
    episode_template: str | None
    dry_run: bool
    log_level: str
    log_format: str
    health_host: str
    health_port: int
    llm_batch_size: int = 20
    jellyfin_url: str | None = None
    jellyfin_api_key: str | None = field(default=None, repr=False)
    emby_url: str | None = None
    emby_api_key: str | None = field(default=None, repr=False)
    plex_url: str | None = None
    plex_token: str | None = field(default=None, repr=False)
    #: (local prefix, server prefix) pairs, longest local prefix first
    media_server_path_map: tuple[tuple[str, str], ...] = ()
    refresh_delay: float = 10.0
    #: Apprise URLs (they can hold tokens: never logged)
    notify_urls: tuple[str, ...] = field(default=(), repr=False)
    notify_events: tuple[str, ...] = NOTIFY_EVENT_NAMES
    notify_batch_seconds: float = 60.0
    category_file: Path | None = None

    @property
    def effective_parser(self) -> str:
        """`llm` or `guessit`: what PARSER=auto means for these settings."""
        if self.parser == "auto":
            return "llm" if self.openai_api_key else "guessit"
        return self.parser

    @property
    def db_path(self) -> Path:
        return self.data_dir / "clearmedia.db"

    @property
    def min_file_size_bytes(self) -> int:
        return int(self.min_file_size_mb * 1024 * 1024)

    def secrets(self) -> list[str]:
        """The secret values in use, for scrubbing them out of any text shown to people."""
        values = [
            self.tmdb_api_key,
            self.tmdb_read_token,
            self.openai_api_key,
            self.jellyfin_api_key,
            self.emby_api_key,
            self.plex_token,
            *self.notify_urls,
        ]
        return [v for v in values if v]


def read_raw(env_file: Path | None, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Merge defaults < env file < environment into plain strings.

    `env_file=None` means `./.env` if it exists; an explicitly named file must exist.
    """
    environ = os.environ if environ is None else environ
    file_values: dict[str, str | None] = {}
    if env_file is None:
        if Path(".env").is_file():
            file_values = dotenv_values(".env")
    else:
        if not Path(env_file).is_file():
            raise ConfigError(f"--env-file {env_file} does not exist or is not a file")
        file_values = dotenv_values(env_file)
    raw: dict[str, str] = {}
    for name, default in DEFAULTS.items():
        for source in (environ, file_values):
            value = source.get(name)
            if value is not None:
                raw[name] = value.strip()
                break
        else:
            if default is not None:
                raw[name] = default
    return raw


def _show(value: str) -> str:
    return '"' + value.replace('"', '\\"') + '"'


def _whole(name: str, raw: dict[str, str], low: int, high: int | None = None) -> int:
    value = raw[name]
    allowed = f"a whole number of at least {low}" + (f" and at most {high}" if high else "")
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be {allowed} (got {_show(value)})") from None
    if number < low or (high is not None and number > high):
        raise ConfigError(f"{name} must be {allowed} (got {_show(value)})")
    return number


def _number(name: str, raw: dict[str, str], low: float) -> float:
    value = raw[name]
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not number >= low or number == float("inf"):
        raise ConfigError(f"{name} must be a number of at least {low:g} (got {_show(value)})")
    return number


def _choice(name: str, raw: dict[str, str], allowed: tuple[str, ...], upper=False) -> str:
    value = raw[name].upper() if upper else raw[name].lower()
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)} (got {_show(raw[name])})")
    return value


def _boolean(name: str, raw: dict[str, str]) -> bool:
    value = raw[name].lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ConfigError(f"{name} must be true or false (got {_show(raw[name])})")


def _url(name: str, raw: dict[str, str]) -> str | None:
    value = raw.get(name)
    if not value:
        return None
    if not value.startswith(("http://", "https://")) or len(value) < 10:
        raise ConfigError(f"{name} must be an http:// or https:// address (got {_show(value)})")
    return value.rstrip("/")


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


def _template(name: str, raw: dict[str, str]) -> str | None:
    value = raw.get(name)
    if not value:
        return None
    # Imported late: naming imports config for Settings.
    from clearmedia.library.naming import validate_template

    problem = validate_template(value, kind="movie" if name == "MOVIE_TEMPLATE" else "episode")
    if problem:
        raise ConfigError(f"{name} is not a usable template: {problem} (got {_show(value)})")
    return value


def _path_map(raw: dict[str, str]) -> tuple[tuple[str, str], ...]:
    value = raw.get("MEDIA_SERVER_PATH_MAP")
    if not value:
        return ()
    pairs = []
    for part in (p.strip() for p in value.split(",")):
        local, sep, server = part.partition("=")
        if not part or not sep or not local.strip().startswith("/") or not server.strip():
            raise ConfigError(
                "MEDIA_SERVER_PATH_MAP must be local=server pairs separated by commas, "
                f"e.g. /data/media=/media (got {_show(value)})"
            )
        pairs.append((local.strip().rstrip("/") or "/", server.strip().rstrip("/") or "/"))
    return tuple(sorted(pairs, key=lambda pair: len(pair[0]), reverse=True))


def _events(raw: dict[str, str]) -> tuple[str, ...]:
    value = raw.get("NOTIFY_EVENTS", "")
    events = tuple(dict.fromkeys(e.strip().lower() for e in value.split(",") if e.strip()))
    unknown = [e for e in events if e not in NOTIFY_EVENT_NAMES]
    if unknown:
        raise ConfigError(
            f"NOTIFY_EVENTS must list some of {', '.join(NOTIFY_EVENT_NAMES)} (got {_show(value)})"
        )
    return events


def _category_file(raw: dict[str, str]) -> Path | None:
    value = raw.get("CATEGORY_FILE")
    if not value:
        return None
    path = Path(os.path.abspath(os.path.expanduser(value)))
    if not path.is_file():
        raise ConfigError(f"CATEGORY_FILE {value} does not exist or is not a file")
    return path


def build_settings(raw: dict[str, str], *, require_library: bool) -> Settings:
    """Validate `raw` strings into `Settings`; raise `ConfigError` on the first problem.

    With `require_library`, SOURCE_DIR, TARGET_DIR and a TMDB credential must be present
    (the commands `run`, `scan`, `identify`, `check`); otherwise only their form is checked.
    """
    sources: tuple[Path, ...] = ()
    if raw.get("SOURCE_DIR"):
        parts = [p for p in raw["SOURCE_DIR"].split(":") if p.strip()]
        sources = tuple(dict.fromkeys(_folder("SOURCE_DIR", p.strip(), require_library) for p in parts))
    elif require_library:
        raise ConfigError(
            "SOURCE_DIR is required: set it to your download folder(s), several separated by ':'"
        )
    target = _folder("TARGET_DIR", raw["TARGET_DIR"], require_library) if raw.get("TARGET_DIR") else None
    if target is None and require_library:
        raise ConfigError("TARGET_DIR is required: set it to your library folder")
    for source in sources:
        if target is not None and (target == source or source.is_relative_to(target)):
            raise ConfigError(
                f"SOURCE_DIR {source} must not be TARGET_DIR or inside it (got TARGET_DIR {target})"
            )
    if require_library and not (raw.get("TMDB_API_KEY") or raw.get("TMDB_READ_TOKEN")):
        raise ConfigError(
            "TMDB_API_KEY or TMDB_READ_TOKEN is required: create a free key at "
            "https://www.themoviedb.org/settings/api"
        )
    data_dir = Path(os.path.abspath(os.path.expanduser(raw["DATA_DIR"] or "./data")))
    if data_dir.exists() and not data_dir.is_dir():
        raise ConfigError(f"DATA_DIR must be a folder, but {raw['DATA_DIR']} is not a folder")
    api_url = _url("TMDB_API_URL", raw) or DEFAULT_TMDB_API_URL
    language = raw["TMDB_LANGUAGE"]
    if not language or len(language) > 12 or not all(c.isalnum() or c == "-" for c in language):
        raise ConfigError(
            f"TMDB_LANGUAGE must be a language code like zh-CN or en-US (got {_show(language)})"
        )
    if not raw.get("LLM_MODEL"):
        raise ConfigError('LLM_MODEL must name a model (got "")')
    parser = _choice("PARSER", raw, PARSERS)
    if parser == "llm" and not raw.get("OPENAI_API_KEY") and require_library:
        raise ConfigError("PARSER=llm needs OPENAI_API_KEY (or set PARSER=guessit to work offline)")
    return Settings(
        source_dirs=sources,
        target_dir=target,
        data_dir=data_dir,
        tmdb_api_key=raw.get("TMDB_API_KEY") or None,
        tmdb_read_token=raw.get("TMDB_READ_TOKEN") or None,
        tmdb_api_url=api_url,
        tmdb_language=language,
        tmdb_rate_limit=_whole("TMDB_RATE_LIMIT", raw, 1, 1000),
        openai_api_key=raw.get("OPENAI_API_KEY") or None,
        openai_base_url=_url("OPENAI_BASE_URL", raw),
        llm_model=raw["LLM_MODEL"],
        parser=parser,
        workers=_whole("WORKERS", raw, 1, 64),
        scan_interval=_whole("SCAN_INTERVAL", raw, 1),
        watch_mode=_choice("WATCH_MODE", raw, WATCH_MODES),
        settle_seconds=_number("SETTLE_SECONDS", raw, 0),
        min_file_size_mb=_number("MIN_FILE_SIZE_MB", raw, 0),
        max_attempts=_whole("MAX_ATTEMPTS", raw, 1, 100),
        retry_delay=_whole("RETRY_DELAY", raw, 0, 3600),
        naming=_choice("NAMING", raw, NAMINGS),
        movie_template=_template("MOVIE_TEMPLATE", raw),
        episode_template=_template("EPISODE_TEMPLATE", raw),
        dry_run=_boolean("DRY_RUN", raw),
        log_level=_choice("LOG_LEVEL", raw, LOG_LEVELS, upper=True),
        log_format=_choice("LOG_FORMAT", raw, LOG_FORMATS),
        health_host=raw["HEALTH_HOST"] or "127.0.0.1",
        health_port=_whole("HEALTH_PORT", raw, 0, 65535),
        llm_batch_size=_whole("LLM_BATCH_SIZE", raw, 1, 100),
        jellyfin_url=_url("JELLYFIN_URL", raw),
        jellyfin_api_key=raw.get("JELLYFIN_API_KEY") or None,
        emby_url=_url("EMBY_URL", raw),
        emby_api_key=raw.get("EMBY_API_KEY") or None,
        plex_url=_url("PLEX_URL", raw),
        plex_token=raw.get("PLEX_TOKEN") or None,
        media_server_path_map=_path_map(raw),
        refresh_delay=_number("REFRESH_DELAY", raw, 0),
        notify_urls=tuple(u for u in re.split(r"[\s,]+", raw.get("NOTIFY_URLS") or "") if u),
        notify_events=_events(raw),
        notify_batch_seconds=_number("NOTIFY_BATCH_SECONDS", raw, 0),
        category_file=_category_file(raw),
    )


def load_settings(
    env_file: Path | None = None,
    *,
    require_library: bool,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Given an optional env file, return validated `Settings`; raise `ConfigError` if any is bad."""
    return build_settings(read_raw(env_file, environ), require_library=require_library)
