"""Logging setup: one loguru sink in text, json or journal form, with secrets scrubbed from every line.

Every format goes through `_Sink`, which replaces each secret with `***` in the finished line
(message, bound extras and traceback alike), so no format can leak a key. Tracebacks are printed
with `diagnose=False` (no variable values, which could hold keys) and `backtrace=False`.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from collections.abc import Iterable
from typing import TextIO

from loguru import logger

from clearmedia.http import secret_variants

#: syslog priorities for journald's `<N>` line prefix (SyslogLevelPrefix=yes is systemd's default).
JOURNAL_PRIORITY = {"TRACE": 7, "DEBUG": 7, "INFO": 6, "SUCCESS": 6, "WARNING": 4, "ERROR": 3, "CRITICAL": 2}
FORMATS = ("auto", "text", "json", "journal")
#: Bound extras shown in text and journal lines; json shows every extra.
SHOWN_EXTRAS = ("file_id", "path")
TEXT_FORMAT = "{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <8} | {message}"
COLOR_FORMAT = (
    "<green>{time:YYYY-MM-DD HH:mm:ss.SSS}</green> | <level>{level: <8}</level> | <level>{message}</level>"
)


def _extras(record) -> str:
    """` file_id=… path=…` for the bound extras, leaving out a path the message already shows."""
    extra = record["extra"]
    return "".join(
        f" {name}={{extra[{name}]}}"
        for name in SHOWN_EXTRAS
        if name in extra and not (name == "path" and str(extra[name]) in record["message"])
    )


def _safe(text: str) -> str:
    """Undecodable file names (surrogate escapes) become `\\udcff` instead of a write error."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def journal_on(stream: TextIO) -> bool:
    """True when `stream` is connected to the journal: systemd sets JOURNAL_STREAM to its `dev:inode`.

    Comparing with the stream itself (as sd_journal_stream_fd(3) advises) keeps a child process
    that merely inherited the variable, with its output sent elsewhere, from writing `<N>` prefixes.
    """
    value = os.environ.get("JOURNAL_STREAM", "")
    try:
        device, inode = (int(part) for part in value.split(":"))
        st = os.fstat(stream.fileno())
    except (ValueError, OSError, AttributeError):
        return False
    return (st.st_dev, st.st_ino) == (device, inode)


def resolve_format(fmt: str, stream: TextIO) -> str:
    """Given LOG_FORMAT, return the concrete form: `text`, `color`, `json` or `journal`."""
    if fmt != "auto":
        return fmt
    if journal_on(stream):
        return "journal"
    isatty = getattr(stream, "isatty", None)
    return "color" if isatty is not None and isatty() else "text"


class _Sink:
    """Writes finished lines to `stream` after scrubbing; json and journal shape the line here."""

    def __init__(self, stream: TextIO, form: str, secrets: Iterable[str]):
        self.stream = stream
        self.form = form
        # Longest first, so a secret containing another is replaced whole; URL-quoted forms too.
        self.secrets = secret_variants(secrets)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def __call__(self, message) -> None:
        record = message.record
        if self.form == "json":
            line = self._json(record)
        elif self.form == "journal":
            # Every line of the record (a traceback included) carries the priority, so journald
            # never files traceback lines as separate entries at the default priority.
            prefix = f"<{JOURNAL_PRIORITY.get(record['level'].name, 6)}>"
            lines = str(message).rstrip("\n").split("\n")
            line = "".join(f"{prefix}{part}\n" for part in lines)
        else:
            line = str(message)
        self.stream.write(_safe(self.scrub(line)))
        self.stream.flush()

    def _json(self, record) -> str:
        entry = {
            name: value if isinstance(value, int | float | bool) or value is None else str(value)
            for name, value in record["extra"].items()
        }
        entry.update(
            time=record["time"].isoformat(timespec="milliseconds"),
            level=record["level"].name,
            message=record["message"],
        )
        if record["exception"] is not None:
            kind, value, tb = record["exception"]
            entry["exception"] = "".join(traceback.format_exception(kind, value, tb)).rstrip("\n")
        return json.dumps(entry, ensure_ascii=False, default=str) + "\n"


class _ToLoguru(logging.Handler):
    """Sends warnings of libraries that use `logging` (urllib3, watchdog …) through the scrubbing sink."""

    def emit(self, record: logging.LogRecord) -> None:
        level = record.levelname if record.levelname in JOURNAL_PRIORITY else record.levelno
        logger.opt(exception=record.exc_info).log(level, "{}: {}", record.name, record.getMessage())


def _pick(given: str | None, from_settings: str | None, env_name: str, allowed, default: str) -> str:
    for value in (given, from_settings, os.environ.get(env_name)):
        if value and value.strip().lower() in allowed:
            return value.strip().lower()
    return default


def setup_logging(
    settings=None,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
    level: str | None = None,
    fmt: str | None = None,
) -> str:
    """Replace loguru's handlers with one sink on `stream` (stderr); return the form used.

    Level and format come from the arguments, else `settings`, else LOG_LEVEL/LOG_FORMAT in the
    environment (so logging works before settings load), else INFO/auto. Secrets are those of
    `settings.secrets()` plus `secrets`.
    """
    stream = sys.stderr if stream is None else stream
    levels = [name.lower() for name in JOURNAL_PRIORITY]
    level = _pick(level, getattr(settings, "log_level", None), "LOG_LEVEL", levels, "info").upper()
    form = resolve_format(
        _pick(fmt, getattr(settings, "log_format", None), "LOG_FORMAT", FORMATS, "auto"), stream
    )
    all_secrets = [*(settings.secrets() if settings is not None else ()), *secrets]

    def shape(record) -> str:
        if form == "json":
            return ""  # _Sink builds the whole line from the record
        base = {"color": COLOR_FORMAT, "journal": "{message}"}.get(form, TEXT_FORMAT)
        return base + _extras(record) + "\n{exception}"

    logger.remove()
    logger.add(
        _Sink(stream, form, all_secrets),
        level=level,
        format=shape,
        colorize=form == "color",
        backtrace=False,
        diagnose=False,
    )
    root = logging.getLogger()
    if not any(isinstance(handler, _ToLoguru) for handler in root.handlers):
        root.addHandler(_ToLoguru(logging.WARNING))
    return form
