"""The command line: argparse subcommands, and the one place errors become exit codes.

Exit status: 0 success, 1 a check/identification failed, 2 bad usage or invalid settings,
130/143 stopped by SIGINT/SIGTERM. Each command lives in `clearmedia.commands`; a module there
registers its subparser with a `handler` (and `needs_library` when it needs SOURCE_DIR,
TARGET_DIR and a TMDB credential).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from clearmedia import __version__
from clearmedia.commands import check, identify, run, scan, state
from clearmedia.config import load_settings
from clearmedia.errors import ClearMediaError, ConfigError, UsageError

#: Command modules in the order `--help` lists them.
COMMAND_MODULES = (run, scan, state, identify, check)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--env-file",
        type=Path,
        default=argparse.SUPPRESS,
        help="settings file (default: ./.env when it exists); the environment wins over it",
    )
    parser = argparse.ArgumentParser(
        prog="clearmedia",
        description="Hard-link finished downloads into a Jellyfin/Plex/Emby library.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"clearmedia {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(
            getattr(args, "env_file", None), require_library=getattr(args, "needs_library", False)
        )
        from clearmedia.runtime.log import setup_logging

        setup_logging(settings)
        return args.handler(args, settings)
    except (ConfigError, UsageError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ClearMediaError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
