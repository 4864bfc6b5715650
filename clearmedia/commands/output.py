"""Output for people: aligned tables, one-line paths, JSON that survives any file name."""

from __future__ import annotations

import json
import sys

from clearmedia.discover.rules import shown


def table(rows: list[list[str]], headers: list[str]) -> str:
    """Aligned columns for people; the last column is never padded."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = []
    for row in [headers, *rows]:
        cells = [str(c).ljust(w) for c, w in zip(row[:-1], widths, strict=False)] + [str(row[-1])]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def printable(text: str | None) -> str:
    """A path or reason on one line, whatever bytes its name holds ("-" for none)."""
    return "-" if text is None else shown(text)


def print_json(data) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2)
    sys.stdout.write(text.encode("utf-8", "backslashreplace").decode("utf-8") + "\n")
