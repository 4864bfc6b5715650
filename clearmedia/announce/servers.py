"""Tell Jellyfin, Emby and Plex which library folders changed, so they scan just those.

Each server gets one request per folder (paths translated by MEDIA_SERVER_PATH_MAP first).
Keys travel in headers only, never in a URL, so no error text or log line can carry them.
A `ServerError` says whether trying again later can help (`transient`): a server that is
down can; a rejected key or a folder no Plex library holds cannot.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import PurePosixPath

import backoff
import requests
from loguru import logger

from clearmedia.config import Settings
from clearmedia.http import without_credentials

#: (connect, read) seconds for one request; `unlink` uses SHORT_TIMEOUT.
TIMEOUT = (3.05, 10.0)
SHORT_TIMEOUT = (2.0, 3.0)
#: Tries for one folder before the batch is put back for later (the channel then waits longer).
TRIES = 3
#: Seconds the Plex section list is trusted when a folder matches none of its locations.
PLEX_SECTIONS_TTL = 300.0


class ServerError(Exception):
    """A media server request that failed; `transient` when trying again later may help."""

    def __init__(self, message: str, transient: bool = True):
        super().__init__(message)
        self.transient = transient


def map_path(path: str, path_map: Iterable[tuple[str, str]]) -> str:
    """`path` as the media server sees it: the first (longest) matching local prefix replaced."""
    for local, server in path_map:
        base = local.rstrip("/")
        if path == local or path.startswith(base + "/"):
            tail = path[len(base) :]
            if "\\" in server and "/" not in server:  # a Windows server, e.g. D:\Media
                tail = tail.replace("/", "\\")
            return (server.rstrip("/\\") + tail) or "/"
    return path


class MediaServer:
    """One configured server; subclasses say how to refresh a folder and how to check the key."""

    name = "server"
    key_setting = "KEY"

    def __init__(self, url: str, key: str, session: requests.Session | None = None):
        self._base = url.rstrip("/")  # may hold user:password@: only for requests
        self.url = without_credentials(self._base)  # what messages show
        self._key = key
        self._session = session or requests.Session()

    def __repr__(self) -> str:  # never the key
        return f"{type(self).__name__}({self.url})"

    def headers(self) -> dict[str, str]:
        raise NotImplementedError

    def request(self, method: str, path: str, timeout=TIMEOUT, **kwargs) -> requests.Response:
        """One request; raise ServerError (transient for network trouble, 5xx and 429)."""
        try:
            response = self._session.request(
                method, self._base + path, headers=self.headers(), timeout=timeout, **kwargs
            )
        except requests.Timeout:
            raise ServerError(f"{self.name} at {self.url} did not answer in time") from None
        except requests.RequestException as error:
            raise ServerError(
                f"{self.name} at {self.url} is not reachable ({type(error).__name__})"
            ) from None
        status = response.status_code
        if status in (401, 403):
            raise ServerError(f"{self.name} at {self.url} rejected {self.key_setting} (HTTP {status})", False)
        if status == 429 or status >= 500:
            raise ServerError(f"{self.name} at {self.url} answered HTTP {status}")
        if status >= 400:
            raise ServerError(f"{self.name} at {self.url} answered HTTP {status} to {path}", False)
        return response

    def refresh(self, folder: str, update: str = "Created", timeout=TIMEOUT) -> None:
        raise NotImplementedError

    def check(self) -> str:
        """Reach the server with the key; return what it said, or raise ServerError."""
        raise NotImplementedError


class Jellyfin(MediaServer):
    name, key_setting = "Jellyfin", "JELLYFIN_API_KEY"
    prefix = ""

    def headers(self) -> dict[str, str]:
        # Jellyfin 12 accepts only this form; the legacy X-Emby-Token is off by default there.
        return {"Authorization": f'MediaBrowser Token="{self._key}"', "Content-Type": "application/json"}

    def refresh(self, folder: str, update: str = "Created", timeout=TIMEOUT) -> None:
        body = {"Updates": [{"Path": folder, "UpdateType": update}]}
        self.request("POST", f"{self.prefix}/Library/Media/Updated", timeout=timeout, json=body)

    def check(self) -> str:
        info = self.request("GET", f"{self.prefix}/System/Info", timeout=SHORT_TIMEOUT)
        try:
            data = info.json()
        except ValueError:
            raise ServerError(f"{self.name} at {self.url} did not answer like {self.name}", False) from None
        return f"{data.get('ServerName') or self.name} {data.get('Version') or ''}".strip()


class Emby(Jellyfin):
    name, key_setting = "Emby", "EMBY_API_KEY"
    prefix = "/emby"

    def headers(self) -> dict[str, str]:
        return {"X-Emby-Token": self._key, "Content-Type": "application/json"}


def _longest(sections: list[tuple[str, str]], folder: str) -> str | None:
    for location, key in sections:  # longest first
        sep = "\\" if "\\" in location and "/" not in location else "/"  # a Windows server
        if folder == location or folder.startswith(location.rstrip(sep) + sep):
            return key
    return None


class Plex(MediaServer):
    name, key_setting = "Plex", "PLEX_TOKEN"

    def __init__(self, url: str, key: str, session: requests.Session | None = None):
        super().__init__(url, key, session)
        self._sections: list[tuple[str, str]] | None = None  # (location, key), longest first
        self._sections_at = 0.0

    def headers(self) -> dict[str, str]:
        return {"X-Plex-Token": self._key, "Accept": "application/json"}

    def sections(self, timeout=TIMEOUT) -> list[tuple[str, str]]:
        """(location path, section key) of every library folder, longest path first."""
        response = self.request("GET", "/library/sections", timeout=timeout)
        try:
            directories = response.json()["MediaContainer"].get("Directory") or []
            found = [
                (str(location["path"]).rstrip("/") or "/", str(section["key"]))
                for section in directories
                for location in section.get("Location") or []
            ]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ServerError(f"Plex at {self.url} did not answer with its library sections", False) from None
        return sorted(found, key=lambda pair: len(pair[0]), reverse=True)

    def section_for(self, folder: str, timeout=TIMEOUT) -> str | None:
        """The key of the section whose location is the longest prefix of `folder`.

        The list is asked once, and again only when no section matches and it is over
        PLEX_SECTIONS_TTL seconds old (a library added since)."""
        if self._sections is None:
            self._sections, self._sections_at = self.sections(timeout), time.monotonic()
        key = _longest(self._sections, folder)
        if key is None and time.monotonic() - self._sections_at > PLEX_SECTIONS_TTL:
            self._sections, self._sections_at = self.sections(timeout), time.monotonic()
            key = _longest(self._sections, folder)
        return key

    def refresh(self, folder: str, update: str = "Created", timeout=TIMEOUT) -> None:
        key = self.section_for(folder, timeout)
        if key is None:
            raise ServerError(
                f"no Plex library folder holds {folder}; add it to a Plex library, or set "
                "MEDIA_SERVER_PATH_MAP to the path Plex sees",
                transient=False,
            )
        self.request("GET", f"/library/sections/{key}/refresh", timeout=timeout, params={"path": folder})

    def check(self) -> str:
        count = len({key for _, key in self.sections(SHORT_TIMEOUT)})
        return f"{count} library section(s)"


def configured(settings: Settings) -> list[MediaServer]:
    """The servers whose URL and key are both set."""
    pairs = (
        (Jellyfin, settings.jellyfin_url, settings.jellyfin_api_key),
        (Emby, settings.emby_url, settings.emby_api_key),
        (Plex, settings.plex_url, settings.plex_token),
    )
    return [kind(url, key) for kind, url, key in pairs if url and key]


def missing_halves(settings: Settings) -> list[str]:
    """Settings problems: a server URL without its key or a key without its URL."""
    pairs = (
        ("JELLYFIN_URL", settings.jellyfin_url, "JELLYFIN_API_KEY", settings.jellyfin_api_key),
        ("EMBY_URL", settings.emby_url, "EMBY_API_KEY", settings.emby_api_key),
        ("PLEX_URL", settings.plex_url, "PLEX_TOKEN", settings.plex_token),
    )
    return [
        f"{url_name} is set but {key_name} is not" if url else f"{key_name} is set but {url_name} is not"
        for url_name, url, key_name, key in pairs
        if bool(url) != bool(key)
    ]


def refresh_folders(server: MediaServer, folders: list[str], tries: int = TRIES) -> list[str]:
    """Tell `server` about each folder (retrying with backoff); return the folders still untold.

    A transient failure stops the batch (the server is down: the rest would fail too) and leaves
    the folder and those after it for later; a permanent one drops that folder with a warning.
    """

    @backoff.on_exception(
        backoff.expo, ServerError, max_tries=tries, giveup=lambda e: not e.transient, logger=None
    )
    def tell(folder: str) -> None:
        server.refresh(folder)

    for index, folder in enumerate(folders):
        try:
            tell(folder)
            logger.debug("{}: refreshed {}", server.name, folder)
        except ServerError as error:
            if error.transient:
                logger.warning("{}; {} folder(s) will be sent again later", error, len(folders) - index)
                return folders[index:]
            logger.warning("{}: {} not refreshed: {}", server.name, folder, error)
    return []


def _existing(folder: str, root: str) -> str:
    """The nearest folder that still exists at or above `folder` (not above `root`)."""
    path = PurePosixPath(folder)
    while not os.path.isdir(path) and path != PurePosixPath(root) and path.parent != path:
        path = path.parent
    return str(path)


def tell_servers_deleted(settings: Settings, folders: Iterable[str]) -> list[str]:
    """Tell every configured server that these library folders (local paths) lost files.

    Synchronous with a short timeout and no retry, for `unlink`: Jellyfin and Emby get
    `UpdateType: Deleted`; Plex a refresh of the nearest folder still there. Return the
    problems (already logged, without keys); an empty list when all servers were told.
    """
    problems = []
    folders = list(dict.fromkeys(folders))
    for server in configured(settings):
        for folder in folders:
            local = _existing(folder, str(settings.target_dir)) if isinstance(server, Plex) else folder
            mapped = map_path(local, settings.media_server_path_map)
            try:
                server.refresh(mapped, update="Deleted", timeout=SHORT_TIMEOUT)
            except ServerError as error:
                problems.append(f"{server.name}: {error}")
                logger.warning("{}: could not report {} as deleted: {}", server.name, mapped, error)
                if error.transient:
                    break  # down: the other folders would only wait for the same timeout
    return problems
