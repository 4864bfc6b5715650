"""The command line: argparse subcommands, and the one place errors become exit codes.

Exit status: 0 success, 1 a check/identification failed, 2 bad usage or invalid settings,
130/143 stopped by SIGINT/SIGTERM. Each command lives in `clearmedia.commands`; a module there
registers its subparser with a `handler` (and `needs_library` when it needs SOURCE_DIR,
TARGET_DIR and a TMDB credential).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from clearmedia import __version__
from clearmedia.commands import add, check, fix, identify, notify_test, relink, run, scan, state, unlink
from clearmedia.config import load_settings, settings_help
from clearmedia.envfile import SEARCH_PATH
from clearmedia.errors import ClearMediaError, ConfigError, StoppedError, UsageError

#: Command modules in the order `--help` lists them.
COMMAND_MODULES = (run, scan, state, identify, check, relink, notify_test, fix, unlink, add)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--env-file",
        type=Path,
        default=argparse.SUPPRESS,
        help=f"settings file (default: the first that exists of {', '.join(SEARCH_PATH)}); "
        "the environment wins over it",
    )
    parser = argparse.ArgumentParser(
        prog="clearmedia",
        description="Hard-link finished downloads into a Jellyfin/Plex/Emby library.",
        epilog=settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"clearmedia {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands, common)
    return parser


def _quiet_stdout() -> None:
    """The reader of our output went away (`| head`): send the rest nowhere, without a traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _run(args) -> int:
    settings = load_settings(
        getattr(args, "env_file", None), require_library=getattr(args, "needs_library", False)
    )
    from loguru import logger

    from clearmedia.runtime.log import setup_logging

    setup_logging(settings)
    if settings.category_file is not None:  # a malformed CATEGORY_FILE stops every command (exit 2)
        from clearmedia.library.categories import load as load_categories

        load_categories(settings.category_file)
    for warning in settings.env_warnings:
        logger.warning(warning)
    status = args.handler(args, settings)
    sys.stdout.flush()
    return status


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except BrokenPipeError:
        _quiet_stdout()
        return 0
    except (ConfigError, UsageError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except StoppedError as error:  # SIGINT 130, SIGTERM 143
        print(str(error), file=sys.stderr)
        return 128 + error.signum
    except ClearMediaError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
