"""Which env file is read, and what in it is no setting.

Without `--env-file`, the first that exists of `./.env`, `~/.config/clearmedia/clearmedia.env`
and `/etc/clearmedia/clearmedia.env` is read, so every command finds the same settings (and the
same database) from any folder. A key that is no setting but close to one (`SOURCE_DRI`) is a
typo: `config` refuses it, naming both. Other unknown keys are only warned about.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from dotenv import dotenv_values

from clearmedia.errors import ConfigError

#: Searched in this order when no --env-file is given ("~" is the user's home).
SEARCH_PATH = ("./.env", "~/.config/clearmedia/clearmedia.env", "/etc/clearmedia/clearmedia.env")

#: Keys other programs read from the same file (docker compose, proxies): never warned about.
OTHER_KEYS = frozenset(
    {"PUID", "PGID", "UMASK", "TZ", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY"}
    | {"COMPOSE_PROJECT_NAME", "COMPOSE_FILE", "COMPOSE_PROFILES"}
)


def _home(environ: Mapping[str, str]) -> str:
    return environ.get("HOME") or os.path.expanduser("~")


def search_path(environ: Mapping[str, str]) -> list[Path]:
    """The files looked for, as absolute paths."""
    home = _home(environ)
    return [Path(os.path.abspath(p.replace("~", home, 1) if p.startswith("~") else p)) for p in SEARCH_PATH]


def _unreadable(path: Path) -> ConfigError:
    return ConfigError(
        f"the settings file {path} cannot be read by this user (permission denied): run the "
        "command as the service's user (sudo -u clearmedia clearmedia …) or let this user read it"
    )


def _is_file(path: Path) -> bool:
    """Whether `path` is a file; a file this user may not even look at is a ConfigError, not a crash."""
    try:
        return path.is_file()
    except PermissionError:
        raise _unreadable(path) from None


def find_env_file(explicit: Path | None, environ: Mapping[str, str]) -> Path | None:
    """The env file to read: `explicit` (which must exist), else the first of the search path."""
    if explicit is not None:
        path = Path(os.path.abspath(os.path.expanduser(str(explicit))))
        if not _is_file(path):
            raise ConfigError(f"--env-file {explicit} does not exist or is not a file")
        return path
    return next((p for p in search_path(environ) if _is_file(p)), None)


def read_env_file(path: Path | None) -> dict[str, str | None]:
    if path is None:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            return dotenv_values(stream=handle)
    except PermissionError:
        raise _unreadable(path) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"the settings file {path} cannot be read ({error})") from None


def describe_source(path: Path | None, environ: Mapping[str, str]) -> str:
    """Where settings came from, for messages: the file, or where none was found."""
    if path is not None:
        return f"settings file: {path}"
    looked = ", ".join(str(p) for p in search_path(environ))
    return f"no settings file found (looked for {looked}; name one with --env-file)"


def unknown_keys(keys: Iterable[str], settings: Iterable[str], path: Path) -> list[str]:
    """Warnings for keys that are no setting; raise ConfigError for a key close to a setting."""
    names = list(settings)
    warnings = []
    for key in keys:
        if key in names or key in OTHER_KEYS:
            continue
        close = difflib.get_close_matches(key.upper(), names, n=1, cutoff=0.8)
        if close:
            raise ConfigError(f"{key} in {path} is not a setting; did you mean {close[0]}?")
        warnings.append(f"{key} in {path} is not a ClearMedia setting; it is ignored")
    return warnings
