"""The grammar of MOVIE_TEMPLATE / EPISODE_TEMPLATE: fields, tokens and `validate_template`.

It sits beside `config` (it needs nothing but the standard library), so settings are checked up
front without importing a later stage; `library.naming` renders templates with the same tokens.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

MAX_COMPONENT_BYTES = 255

FIELDS = ("title", "year", "tmdb_id", "season", "episode", "episode_last", "ext")
EPISODE_FIELDS = ("season", "episode", "episode_last")
SAMPLE = {
    "title": "Title",
    "year": 2000,
    "tmdb_id": 12345,
    "season": 1,
    "episode": 2,
    "episode_last": 3,
    "ext": ".mkv",
}
# [[fill]align][sign][z][#][0][width][grouping][.precision][type]
_SPEC = re.compile(
    r"(?:.?[<>=^])?[+\- ]?z?#?0?(?P<width>\d*)[,_]?(?:\.(?P<precision>\d+))?[bcdeEfFgGnosxX%]?", re.S
)


@dataclass(frozen=True)
class Field:
    name: str
    spec: str = ""
    conversion: str | None = None

    def text(self) -> str:
        return (
            "{"
            + self.name
            + (f"!{self.conversion}" if self.conversion else "")
            + (f":{self.spec}" if self.spec else "")
            + "}"
        )


Token = str | Field


def tokens(template: str) -> list[Token]:
    """Split a template into literal strings and fields; raise ValueError on unbalanced braces."""
    found: list[Token] = []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        if literal:
            found.append(literal)
        if name is not None:
            found.append(Field(name, spec or "", conversion))
    return found


def join(parts: list[Token]) -> str:
    """The template text of `parts` again (literal braces doubled)."""
    return "".join(
        t.text() if isinstance(t, Field) else t.replace("{", "{{").replace("}", "}}") for t in parts
    )


def _spec_problem(field: Field) -> str | None:
    if "{" in field.spec or "}" in field.spec:
        return f"nested fields inside a format spec ({field.text()}) are not supported"
    match = _SPEC.fullmatch(field.spec)
    if match is None:
        return f"bad format spec in {field.text()}"
    for number in (match.group("width"), match.group("precision")):
        if number and int(number) > MAX_COMPONENT_BYTES:
            return f"the width in {field.text()} is larger than {MAX_COMPONENT_BYTES}"
    try:
        format(SAMPLE[field.name], field.spec)
    except (ValueError, TypeError) as error:
        return f"bad format spec in {field.text()} ({error})"
    return None


def _field_problem(field: Field, kind: str | None) -> str | None:
    if field.name not in FIELDS:
        allowed = ", ".join("{" + f + "}" for f in FIELDS)
        return f"unknown field {{{field.name}}} (allowed: {allowed})"
    if field.conversion:
        return f"conversions such as !{field.conversion} are not supported ({field.text()})"
    problem = _spec_problem(field)
    if problem:
        return problem
    if kind == "movie" and field.name in EPISODE_FIELDS:
        return f"{{{field.name}}} is only for episodes (EPISODE_TEMPLATE), not for movies"
    return None


def validate_template(text: str, kind: str | None = None) -> str | None:
    """Given a MOVIE_TEMPLATE / EPISODE_TEMPLATE, return the problem in one sentence, or None.

    `kind` ("movie" or "episode") adds the checks that depend on what the template is for.
    """
    if not text or not text.strip():
        return "the template is empty"
    if len(text) > 1000:
        return "the template is longer than 1000 characters"
    try:
        parts = tokens(text)
    except ValueError as error:
        return f"its braces do not match ({error}); write {{{{ and }}}} for literal braces"
    fields = [t for t in parts if isinstance(t, Field)]
    names = {f.name for f in fields}
    for field in fields:
        problem = _field_problem(field, kind)
        if problem:
            return problem
    if not names & {"title", "tmdb_id"}:
        return "it needs {title} or {tmdb_id}, or every file would get the same name"
    if kind == "episode" and not names & {"episode", "episode_last"}:
        return "it needs {episode}, or every episode of a season would get the same name"
    if "ext" in names and not (isinstance(parts[-1], Field) and parts[-1].name == "ext"):
        return "{ext} must come last (it is the file's extension; it is added when left out)"
    literal = "".join(t for t in parts if isinstance(t, str))
    if "\\" in literal:
        return "use / between folders, not \\"
    if text.startswith("/") or re.match(r"^[A-Za-z]:", text):
        return "it must be relative to TARGET_DIR (no leading / or drive letter)"
    rendered = join(parts).format(**SAMPLE)
    for part in rendered.split("/"):
        if part.strip() in (".", ".."):
            return "'.' and '..' are not allowed as folder names"
        if not part.strip():
            return "it has an empty folder name (// or a trailing /)"
    return None
