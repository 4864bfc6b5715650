"""Settings: every setting declared once (`DECLARED`: name, default, parser/validation, help), read
from environment > env file > defaults into one frozen `Settings`.

Every problem raises `ConfigError` with one line that names the setting, what was given and
what is allowed; `cli` turns it into exit status 2. `DEFAULTS`, the parsing, `clearmedia --help`
and the tests of `.env.example` and the READMEs all come from `DECLARED`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from clearmedia import envfile
from clearmedia.config_values import (
    DEFAULT_TMDB_API_URL,
    NOTIFY_EVENT_NAMES,
    _boolean,
    _choice,
    _Context,
    _data_dir,
    _events,
    _file,
    _host,
    _key,
    _language,
    _model,
    _number,
    _path_map,
    _sources,
    _target,
    _template,
    _tmdb_url,
    _url,
    _url_list,
    _whole,
)
from clearmedia.errors import ConfigError

PARSERS = ("auto", "llm", "guessit")
NAMINGS = ("jellyfin", "plex", "emby")
LOG_FORMATS = ("auto", "text", "json", "journal")
LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL")
WATCH_MODES = ("inotify", "poll")
#: The settings that decide where a link goes: `relink` moves links when one of them changed.
LAYOUT_SETTINGS = ("NAMING", "MOVIE_TEMPLATE", "EPISODE_TEMPLATE", "TMDB_LANGUAGE", "CATEGORY_FILE")


# ---------------------------------------------------------------------------- the declaration


@dataclass(frozen=True)
class Setting:
    """One setting: its name, default (None: none), parser (type and validation) and help."""

    name: str
    default: str | None
    parse: Callable[[str, _Context], Any]
    help: str
    #: what the README's default column shows when there is no default value
    shown: str = "—"
    secret: bool = False

    @property
    def attr(self) -> str:
        """The `Settings` field this setting fills."""
        return "source_dirs" if self.name == "SOURCE_DIR" else self.name.lower()

    @property
    def shown_default(self) -> str:
        return f"`{self.default}`" if self.default is not None else self.shown


S = Setting
DECLARED: tuple[Setting, ...] = (
    S("SOURCE_DIR", None, _sources, "download folder(s) to watch; several separated by `:`", "required"),
    S("TARGET_DIR", None, _target, "library root; links are created below it, never elsewhere", "required"),
    S("DATA_DIR", "./data", _data_dir, "SQLite database and HTTP cache (relative: to the env file's folder)"),
    S("TMDB_API_KEY", None, _key, "TMDB v3 API key (`api_key` query parameter)", secret=True),
    S("TMDB_READ_TOKEN", None, _key, "TMDB v4 read access token; one of the two is required", secret=True),
    S("TMDB_API_URL", DEFAULT_TMDB_API_URL, _tmdb_url, "TMDB base URL, for mirrors and proxies"),
    S("TMDB_LANGUAGE", "zh-CN", _language, "language of the titles used in library names"),
    S("TMDB_RATE_LIMIT", "40", _whole(1, 1000), "at most this many TMDB requests per second"),
    S("OPENAI_API_KEY", None, _key, "key for the OpenAI-compatible LLM endpoint", secret=True),
    S("OPENAI_BASE_URL", None, _url, "any OpenAI-compatible endpoint", "OpenAI's"),
    S("LLM_MODEL", "gpt-4o-mini", _model, "model name sent to that endpoint"),
    S("PARSER", "auto", _choice(PARSERS), "llm, guessit (offline) or auto (llm when OPENAI_API_KEY is set)"),
    S("WORKERS", "4", _whole(1, 64), "worker threads"),
    S("SCAN_INTERVAL", "300", _whole(1), "seconds between full rescans in `run`"),
    S("WATCH_MODE", "inotify", _choice(WATCH_MODES), "inotify, or poll for NFS/SMB and Docker Desktop"),
    S("SETTLE_SECONDS", "60", _number(0), "a file is settled when unchanged for this long"),
    S("MIN_FILE_SIZE_MB", "10", _number(0), "smaller video files are ignored"),
    S("MAX_ATTEMPTS", "5", _whole(1, 100), "transient failures retried before FAILED"),
    S("RETRY_DELAY", "30", _whole(0, 3600), "seconds before a requeued file is tried again (doubling)"),
    S("NAMING", "jellyfin", _choice(NAMINGS), "jellyfin, plex or emby layout preset"),
    S("MOVIE_TEMPLATE", None, _template, "custom movie layout, relative to TARGET_DIR", "from NAMING"),
    S("EPISODE_TEMPLATE", None, _template, "custom episode layout, relative to TARGET_DIR", "from NAMING"),
    S("DRY_RUN", "false", _boolean, "decide and log every link, create none"),
    S("LOG_LEVEL", "INFO", _choice(LOG_LEVELS, upper=True), "TRACE … CRITICAL"),
    S("LOG_FORMAT", "auto", _choice(LOG_FORMATS), "text, json, journal or auto"),
    S("HEALTH_HOST", "127.0.0.1", _host, "address of the health endpoint"),
    S("HEALTH_PORT", "8089", _whole(0, 65535), "port of the health endpoint; 0 turns it off"),
    S("LLM_BATCH_SIZE", "20", _whole(1, 100), "at most this many file names in one LLM request"),
    S("JELLYFIN_URL", None, _url, "refresh this Jellyfin server's library after linking"),
    S("JELLYFIN_API_KEY", None, _key, "Jellyfin API key", secret=True),
    S("EMBY_URL", None, _url, "refresh this Emby server's library after linking"),
    S("EMBY_API_KEY", None, _key, "Emby API key", secret=True),
    S("PLEX_URL", None, _url, "refresh this Plex server's library after linking"),
    S("PLEX_TOKEN", None, _key, "Plex token", secret=True),
    S("MEDIA_SERVER_PATH_MAP", None, _path_map, "local=server[,…]: paths as the media server sees them"),
    S("REFRESH_DELAY", "10", _number(0), "seconds links are gathered before the servers are told"),
    S("NOTIFY_URLS", None, _url_list, "Apprise URLs for notices, separated by spaces or commas", secret=True),
    S("NOTIFY_EVENTS", ",".join(NOTIFY_EVENT_NAMES), _events, "which outcomes are announced"),
    S("NOTIFY_BATCH_SECONDS", "60", _number(0), "outcomes are gathered this long into one message"),
    S("CATEGORY_FILE", None, _file, "a MoviePilot-style category.yaml: adds a category folder"),
)
del S

#: Every setting of the contract with its default (None: no default).
DEFAULTS: dict[str, str | None] = {s.name: s.default for s in DECLARED}
SECRET_SETTINGS = tuple(s.name for s in DECLARED if s.secret)


def settings_help() -> str:
    """The settings as `clearmedia --help` lists them: name, default, meaning."""
    width = max(len(s.name) for s in DECLARED)
    lines = ["settings (environment > env file > default):"]
    for s in DECLARED:
        default = s.default if s.default is not None else s.shown.replace("—", "-")
        lines.append(f"  {s.name.ljust(width)}  [{default}]  {s.help.replace('`', '')}")
    return "\n".join(lines)


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
    #: the env file that was read (None: none was found or given)
    env_file: Path | None = None
    #: one line per key of the env file that is no setting (logged by `cli`)
    env_warnings: tuple[str, ...] = field(default=(), compare=False)

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
            *(urlsplit(u).password for u in self.service_urls()),  # http://user:secret@host
        ]
        return [v for v in values if v]

    def service_urls(self) -> list[str]:
        """Every service address set (each may carry `user:password@`)."""
        urls = (self.tmdb_api_url, self.openai_base_url, self.jellyfin_url, self.emby_url, self.plex_url)
        return [u for u in urls if u]

    def layout(self) -> dict[str, str]:
        """The settings that decide library paths, as strings (stored with the links made)."""
        values = {
            "NAMING": self.naming,
            "MOVIE_TEMPLATE": self.movie_template or "",
            "EPISODE_TEMPLATE": self.episode_template or "",
            "TMDB_LANGUAGE": self.tmdb_language,
            "CATEGORY_FILE": str(self.category_file or ""),
        }
        return {name: values[name] for name in LAYOUT_SETTINGS}


def read_raw(
    env_file: Path | None, environ: Mapping[str, str] | None = None
) -> tuple[dict[str, str], Path | None, list[str]]:
    """Merge defaults < env file < environment into plain strings.

    Return (raw values, the env file read or None, warnings about unknown keys). `env_file=None`
    means the first file of `envfile.SEARCH_PATH` that exists; a named file must exist.
    """
    environ = os.environ if environ is None else environ
    path = envfile.find_env_file(env_file, environ)
    file_values = envfile.read_env_file(path)
    warnings = envfile.unknown_keys(file_values, DEFAULTS, path) if path else []
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
    return raw, path, warnings


def _cross_checks(values: dict[str, Any], ctx: _Context) -> None:
    """The checks that look at more than one setting."""
    target = values["target_dir"]
    for source in values["source_dirs"]:
        if target is not None and (target == source or source.is_relative_to(target)):
            raise ConfigError(
                f"SOURCE_DIR {source} must not be TARGET_DIR or inside it (got TARGET_DIR {target})"
            )
    if not ctx.require_library:
        return
    if not (values["tmdb_api_key"] or values["tmdb_read_token"]):
        raise ConfigError(
            "TMDB_API_KEY or TMDB_READ_TOKEN is required: create a free key at "
            f"https://www.themoviedb.org/settings/api ({ctx.source})"
        )
    if values["parser"] == "llm" and not values["openai_api_key"]:
        raise ConfigError("PARSER=llm needs OPENAI_API_KEY (or set PARSER=guessit to work offline)")


def build_settings(
    raw: dict[str, str],
    *,
    require_library: bool,
    env_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    warnings: list[str] | tuple[str, ...] = (),
) -> Settings:
    """Validate `raw` strings into `Settings`; raise `ConfigError` on the first problem.

    With `require_library`, SOURCE_DIR, TARGET_DIR and a TMDB credential must be present
    (the commands `run`, `scan`, `identify`, `check`); otherwise only their form is checked.
    A relative DATA_DIR is taken relative to the env file's folder (else the working folder).
    """
    environ = os.environ if environ is None else environ
    ctx = _Context(
        raw=raw,
        require_library=require_library,
        base_dir=env_file.parent if env_file else Path.cwd(),
        source=envfile.describe_source(env_file, environ),
    )
    values: dict[str, Any] = {}
    for setting in DECLARED:
        values[setting.attr] = setting.parse(setting.name, ctx)
    _cross_checks(values, ctx)
    return Settings(**values, env_file=env_file, env_warnings=tuple(warnings))


def load_settings(
    env_file: Path | None = None,
    *,
    require_library: bool,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Given an optional env file, return validated `Settings`; raise `ConfigError` if any is bad."""
    raw, path, warnings = read_raw(env_file, environ)
    return build_settings(
        raw, require_library=require_library, env_file=path, environ=environ, warnings=warnings
    )
