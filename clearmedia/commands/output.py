"""Output for people: aligned tables, one-line paths, JSON that survives any file name."""

from __future__ import annotations

import json
import sys

from wcwidth import wcswidth

from clearmedia.files import shown


def width(text: str) -> int:
    """Columns `text` takes on a terminal: Chinese and Japanese characters take two."""
    columns = wcswidth(text)
    return columns if columns >= 0 else len(text)  # a control character: count it as one


def pad(text: str, columns: int) -> str:
    """`text` with spaces after it up to `columns` display columns."""
    return text + " " * max(0, columns - width(text))


def table(rows: list[list[str]], headers: list[str]) -> str:
    """Aligned columns for people (by display width); the last column is never padded."""
    rows = [[str(c) for c in row] for row in rows]
    widths = [max(width(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = []
    for row in [headers, *rows]:
        cells = [pad(c, w) for c, w in zip(row[:-1], widths, strict=False)] + [row[-1]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def printable(text: str | None) -> str:
    """A path or reason on one line, whatever bytes its name holds ("-" for none)."""
    return "-" if text is None else shown(text)


def print_json(data) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2)
    sys.stdout.write(text.encode("utf-8", "backslashreplace").decode("utf-8") + "\n")
