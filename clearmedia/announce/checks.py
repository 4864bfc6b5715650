"""What `clearmedia check` says about the media servers and the notifiers (never a key or URL token)."""

from __future__ import annotations

from clearmedia.announce.notify import Notifier, describe, language_of, load
from clearmedia.announce.servers import ServerError, configured, missing_halves
from clearmedia.config import Settings


def check(settings: Settings) -> list[tuple[bool, str]]:
    """(good, text) for each configured server (reachable, key accepted) and NOTIFY_URLS entry
    (readable by Apprise); nothing when none is configured."""
    lines = [(False, problem) for problem in missing_halves(settings)]
    for server in configured(settings):
        try:
            said = server.check()
            lines.append(
                (True, f"{server.name} at {server.url} answers and accepts {server.key_setting} ({said})")
            )
        except ServerError as error:
            lines.append((False, str(error)))
    for index, url in enumerate(settings.notify_urls):
        name = describe(index, url)
        if load(url) is None:
            lines.append(
                (False, f"{name} in NOTIFY_URLS: Apprise cannot read it (see the Apprise wiki for its form)")
            )
        else:
            lines.append((True, f"{name} in NOTIFY_URLS: Apprise reads it"))
    return lines


def send_test(settings: Settings) -> list[tuple[bool, str]]:
    """Send a test notice to each NOTIFY_URLS entry; (good, text) per entry."""
    lines = []
    for index, url in enumerate(settings.notify_urls):
        name = describe(index, url)
        notifier = Notifier([url], language_of(settings.tmdb_language), settings.secrets(), index)
        if not notifier.targets:
            lines.append((False, f"{name}: Apprise cannot read it"))
        elif notifier.test():
            lines.append((False, f"{name}: the test notice could not be sent"))
        else:
            lines.append((True, f"{name}: test notice sent"))
    return lines
