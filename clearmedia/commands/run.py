"""`run` (the daemon) and `health` (ask it whether it is healthy)."""

from __future__ import annotations

from clearmedia.config import Settings
from clearmedia.library.layout import warn_if_layout_changed
from clearmedia.store.db import open_database


def register(commands, common) -> None:
    run = commands.add_parser(
        "run", parents=[common], help="the daemon: watch, rescan, link; stop with Ctrl-C"
    )
    run.set_defaults(handler=cmd_run, needs_library=True)
    health = commands.add_parser(
        "health", parents=[common], help="ask the running daemon whether it is healthy"
    )
    health.set_defaults(handler=cmd_health)


def cmd_run(args, settings: Settings) -> int:
    from clearmedia.runtime import daemon

    open_database(settings.data_dir)
    warn_if_layout_changed(settings, remember=not settings.dry_run)
    return daemon.run(settings)


def cmd_health(args, settings: Settings) -> int:
    from clearmedia.runtime import health

    return health.query(settings)
