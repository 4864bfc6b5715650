"""Category folders from a MoviePilot-style `category.yaml` (CATEGORY_FILE).

The file has two top-level maps, `movie:` and `tv:`, each an ordered map of category name (the
folder name) to conditions `{field: "v1,v2"}`. A field is a TMDB details field: `genre_ids`,
`original_language`, `origin_country`, `production_countries`, `release_year` (a year or a
range `2000-2009`) or any other top-level field of TMDB's /movie/{id} or /tv/{id} answer.
All fields of a category must match, any listed value of a field; a value may be an int
(`genre_ids: 16`), a comma string (`'16,10751'`) or a list. A category without conditions
(`外语电影:` with nothing after it) matches everything. The first category that matches wins;
a work no category matches keeps the plain layout.

Read with `yaml.safe_load` only. A malformed file raises `ConfigError` naming CATEGORY_FILE and
the line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from clearmedia.errors import ConfigError, ServiceWaitError

MEDIA_TYPES = ("movie", "tv")
_RANGE = re.compile(r"^\s*(\d{4})\s*-\s*(\d{4})\s*$")


@dataclass(frozen=True)
class Category:
    name: str
    #: field -> accepted values (lower-case text); empty: the category matches everything
    conditions: tuple[tuple[str, frozenset[str]], ...]


@dataclass(frozen=True)
class Categories:
    movie: tuple[Category, ...] = ()
    tv: tuple[Category, ...] = ()

    def category_for(self, media_type: str, details: dict) -> str | None:
        """Given TMDB details of a work, the first category whose conditions all match, or None."""
        for category in self.movie if media_type == "movie" else self.tv:
            if all(_matches(field, wanted, details) for field, wanted in category.conditions):
                return category.name
        return None


# ---------------------------------------------------------------------------- matching


def _year(details: dict) -> int | None:
    date = details.get("release_date") or details.get("first_air_date") or ""
    return int(date[:4]) if re.match(r"\d{4}", date) else None


def _values(field: str, details: dict) -> set[str]:
    """The work's values of `field`, as lower-case text (lists of codes and ids included)."""
    if field == "genre_ids":
        ids = details.get("genre_ids")
        if ids is None:  # details answers list `genres: [{id, name}]`, search results `genre_ids`
            ids = [g.get("id") for g in details.get("genres") or [] if isinstance(g, dict)]
        return {str(i).lower() for i in ids if i is not None}
    value = details.get(field)
    items = value if isinstance(value, list) else [value]
    found = set()
    for item in items:
        if isinstance(item, dict):  # production_countries: [{iso_3166_1, name}], spoken_languages …
            item = item.get("iso_3166_1") or item.get("iso_639_1") or item.get("id")
        if item is not None and item != "":
            found.add(str(item).strip().lower())
    return found


def _matches(field: str, wanted: frozenset[str], details: dict) -> bool:
    if field == "release_year":
        year = _year(details)
        if year is None:
            return False
        for value in wanted:
            span = _RANGE.match(value)
            low, high = (int(span[1]), int(span[2])) if span else (int(value), int(value))
            if low <= year <= high:
                return True
        return False
    return bool(_values(field, details) & wanted)


# ---------------------------------------------------------------------------- reading


def _fail(path: Path, line: int | None, problem: str) -> ConfigError:
    where = f", line {line}" if line else ""
    return ConfigError(f"CATEGORY_FILE {path}{where}: {problem}")


def _scalar_values(path: Path, node, field: str, category: str) -> frozenset[str]:
    import yaml

    line = node.start_mark.line + 1
    if isinstance(node, yaml.SequenceNode):
        items = node.value
    elif isinstance(node, yaml.ScalarNode):
        items = [node]
    else:
        raise _fail(path, line, f'the value of "{field}" in "{category}" must be text like \'16,99\'')
    values: set[str] = set()
    for item in items:
        if not isinstance(item, yaml.ScalarNode):
            raise _fail(path, line, f'the value of "{field}" in "{category}" must be text like \'16,99\'')
        values |= {v.strip().lower() for v in str(item.value).split(",") if v.strip()}
    if not values:
        raise _fail(path, line, f'"{field}" in "{category}" lists no value (leave the field out instead)')
    if field == "release_year":
        for value in values:
            if not (value.isdigit() and len(value) == 4) and not _RANGE.match(value):
                raise _fail(
                    path, line, f'release_year must be a year or a range like 2000-2009 (got "{value}")'
                )
    return frozenset(values)


def _category(path: Path, key_node, value_node) -> Category:
    import yaml

    name = str(key_node.value).strip()
    line = key_node.start_mark.line + 1
    if not name or name in (".", "..") or "/" in name or "\\" in name:
        raise _fail(path, line, f'"{name}" cannot be a folder name')
    if isinstance(value_node, yaml.ScalarNode) and value_node.tag.endswith(":null"):
        return Category(name, ())
    if not isinstance(value_node, yaml.MappingNode):
        raise _fail(
            path, line, f"category \"{name}\" must hold conditions such as genre_ids: '16' (or nothing)"
        )
    conditions = []
    for field_node, values_node in value_node.value:
        field = str(field_node.value).strip()
        if not isinstance(field_node, yaml.ScalarNode) or not field:
            raise _fail(path, field_node.start_mark.line + 1, f'a condition of "{name}" has no field name')
        conditions.append((field, _scalar_values(path, values_node, field, name)))
    return Category(name, tuple(conditions))


def parse(text: str, path: Path) -> Categories:
    """Given the text of a category file (and its path for messages), return its categories."""
    import yaml

    try:
        yaml.safe_load(text)  # the one reader of values; the node tree below only adds line numbers
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise _fail(path, mark.line + 1 if mark else None, f"not valid YAML ({problem})") from None
    if root is None:
        return Categories()
    if not isinstance(root, yaml.MappingNode):
        raise _fail(path, root.start_mark.line + 1, "it must be a map with movie: and tv: sections")
    found: dict[str, tuple[Category, ...]] = {}
    for key_node, value_node in root.value:
        key = str(key_node.value).strip()
        if key not in MEDIA_TYPES:
            continue  # other tools' sections (nas-tools' anime:) are left alone
        if isinstance(value_node, yaml.ScalarNode) and value_node.tag.endswith(":null"):
            found[key] = ()
            continue
        if not isinstance(value_node, yaml.MappingNode):
            raise _fail(path, key_node.start_mark.line + 1, f"{key}: must be a map of category names")
        found[key] = tuple(_category(path, k, v) for k, v in value_node.value)
    if not found:
        raise _fail(path, None, "it has neither a movie: nor a tv: section")
    return Categories(movie=found.get("movie", ()), tv=found.get("tv", ()))


def load(path: Path) -> Categories:
    """Read CATEGORY_FILE (again only when it changed); raise ConfigError when it is malformed."""
    try:
        st = os.stat(path)
    except OSError as error:
        raise _fail(path, None, f"cannot be read ({error.strerror or error})") from None
    return _read(str(path), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=4)
def _read(path: str, mtime_ns: int, size: int) -> Categories:
    """The file parsed as it was at (mtime, size): a pure function of the file's version, so the
    memo is safe from any thread, and a changed file is simply another key."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise _fail(path, None, f"cannot be read ({getattr(error, 'strerror', None) or error})") from None
    return parse(text, path)


def category_for(settings, client, match) -> str | None:
    """The category folder of a TMDB match under CATEGORY_FILE, or None (no file, or no category fits).

    `client` is the TMDB client: its details answer is the one the matcher already fetched.
    A file that turned malformed while running makes files wait (ServiceWaitError) until it is fixed.
    """
    if settings.category_file is None or match is None:
        return None
    try:
        categories = load(settings.category_file)
    except ConfigError as error:
        raise ServiceWaitError(str(error)) from None
    if not (categories.movie if match.media_type == "movie" else categories.tv):
        return None
    details = client.details(match.media_type, match.tmdb_id) or {}
    return categories.category_for(match.media_type, details)
