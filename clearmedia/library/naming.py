"""Library paths: presets and templates, safe names, and proof that a path stays in TARGET_DIR.

Templates are Python `str.format` text relative to TARGET_DIR, `/` between folders. Fields:

- `{title}` TMDB's title (already made safe: it can never add a folder level), `{year}`,
  `{tmdb_id}`, and `{ext}` (lowercase, with its dot: `.mkv`);
- episodes only: `{season}`, `{episode}` (the first episode of the file) and `{episode_last}`
  (its last one; equal to `{episode}` for a single episode).

Format specs work as usual (`{season:02}`); no attribute/index access, no `!r` conversions.

Rules applied while rendering:

- **Several episodes in one file.** Unless the template uses `{episode_last}` itself, each
  `{episode…}` field is followed by `-`, the letters written just before it, and the last
  episode in the same format: `S{season:02}E{episode:02}` gives `S01E01-E02`, Plex's
  `s{season:02}e{episode:02}` gives `s01e02-e03`. Three or more: first and last (`S01E01-E03`).
- **No year** (TMDB has no date): `({year})` / `[{year}]` and the spaces before them are left out;
  a bare `{year}` is dropped with the separators (` -._`) around it, and a folder that was only
  `{year}` disappears. No `()` leftovers.
- **`{ext}`** is appended when the template does not end with it.

Every component is then sanitized (`sanitize_component`): `: ` becomes ` - `
(`2001: A Space Odyssey` → `2001 - A Space Odyssey`) and a colon between two non-spaces becomes
`-` (`Re:Zero` → `Re-Zero`), a colon ending the text goes; `/ \\ * ? " < > |` and control
characters are removed (tabs and newlines become spaces); runs of spaces collapse;
leading/trailing dots and spaces go (no hidden folders, nothing NTFS/SMB refuses); Windows
device names get a trailing `_`; at most 255 bytes of UTF-8 per component. The title is cut
to 180 bytes and a video's file stem to 215 bytes, so a folder keeps its `[tmdbid-…]` and a
subtitle name (`stem.zh-TW.forced.2.srt`) still fits.
A component that ends up empty is a `NamingError` (a title is required: never `Unknown`).
Finally the path is resolved (existing folders through `realpath`) and must lie inside
TARGET_DIR, else `NamingError`. `validate_template(text, kind)` checks a template up front.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from clearmedia.errors import NamingError
from clearmedia.template import MAX_COMPONENT_BYTES, Token, validate_template  # noqa: F401 (re-exported)
from clearmedia.template import Field as _Field
from clearmedia.template import join as _join
from clearmedia.template import tokens as _tokens

if TYPE_CHECKING:
    from clearmedia.config import Settings
    from clearmedia.identify.types import Match

#: The title field's limit, so a folder's tmdb id and a file's SxxEyy always fit.
MAX_TITLE_BYTES = 180
#: A video's file stem limit: room is left for subtitle suffixes such as `.zh-TW.forced.12.sup`.
MAX_VIDEO_STEM_BYTES = 215


@dataclass(frozen=True)
class Preset:
    movie: str
    episode: str


PRESETS: dict[str, Preset] = {
    "jellyfin": Preset(
        movie="Movies/{title} ({year}) [tmdbid-{tmdb_id}]/{title} ({year}){ext}",
        episode="TV Shows/{title} ({year}) [tmdbid-{tmdb_id}]/Season {season:02}/{title} S{season:02}E{episode:02}{ext}",
    ),
    "plex": Preset(
        movie="Movies/{title} ({year}) {{tmdb-{tmdb_id}}}/{title} ({year}){ext}",
        episode=(
            "TV Shows/{title} ({year}) {{tmdb-{tmdb_id}}}/Season {season:02}/"
            "{title} ({year}) - s{season:02}e{episode:02}{ext}"
        ),
    ),
    "emby": Preset(
        movie="Movies/{title} ({year}) [tmdbid={tmdb_id}]/{title} ({year}){ext}",
        episode="TV Shows/{title} ({year}) [tmdbid={tmdb_id}]/Season {season:02}/{title} S{season:02}E{episode:02}{ext}",
    ),
}

_FORBIDDEN = set('/\\*?"<>|')
_RESERVED = re.compile(r"(?i)^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$")
_YEAR_SEPARATORS = " -._"
_EXT = re.compile(r"^\.[a-z0-9]{1,10}$")


# ---------------------------------------------------------------------------- sanitizing


def clean_text(text: str) -> str:
    """Given any text, return it without characters a path or an SMB share refuses.

    Colons become dashes, the other forbidden characters and control characters go, whitespace
    runs collapse to one space. Leading/trailing dots and spaces are not touched here.
    """
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"\s*:+\s*$", "", text)  # a colon that ends the text adds nothing
    text = re.sub(r":(?=\s)", " -", text)  # "2001: A" -> "2001 - A"
    text = re.sub(r"\s*:\s*", lambda m: " - " if m.group(0)[0].isspace() else "-", text)
    kept = []
    for char in text:
        if char in _FORBIDDEN:
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp"):
            if char.isspace() or category != "Cc":
                kept.append(" ")
            continue
        if category == "Cs":  # lone surrogates cannot be written as UTF-8
            continue
        kept.append(char)
    return re.sub(r"\s+", " ", "".join(kept))


def truncate_utf8(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` UTF-8 bytes, on a character boundary."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore")


#: Dots, spaces and invisible format characters before the first visible character: a name that
#: starts with "." (even behind a zero-width space) is hidden by media servers and file managers.
_LEADING_HIDDEN = re.compile(r"^[\s.\u200b-\u200f\u2060\ufeff\u00ad]+")


def sanitize_component(name: str, suffix: str = "", limit: int = MAX_COMPONENT_BYTES) -> str:
    """Given one path component (and a suffix to keep whole, e.g. `.mkv`), return a safe name.

    The name part is cleaned, stripped of leading/trailing dots and spaces and cut so that
    name + suffix fit in `limit` bytes. Raise `NamingError` when nothing usable is left.
    """
    suffix = clean_text(suffix).replace(" ", "")
    stem = _LEADING_HIDDEN.sub("", clean_text(name)).strip(" .")  # servers hide names starting with "."
    stem = truncate_utf8(stem, limit - len(suffix.encode("utf-8"))).rstrip(" .")
    if not stem:
        shown = name if len(name) < 80 else name[:77] + "..."
        raise NamingError(f"no usable name is left of {shown!r} once unsafe characters are removed")
    if _RESERVED.match(stem + suffix):
        stem = truncate_utf8(stem, limit - len(suffix.encode("utf-8")) - 1) + "_"
    return stem + suffix


# ---------------------------------------------------------------------------- templates


def _drop_year(tokens: list[Token]) -> list[Token]:
    """Leave out `({year})`, `[{year}]` (with the spaces before them) and bare `{year}` fields."""
    out: list[Token] = []
    pending: tuple[str, bool] | None = None  # (closing bracket to drop, drop leading spaces)
    for index, token in enumerate(tokens):
        if isinstance(token, _Field) and token.name == "year":
            following = tokens[index + 1] if index + 1 < len(tokens) else ""
            before = out.pop() if out and isinstance(out[-1], str) else ""
            close = {"(": ")", "[": "]"}.get(before[-1:], "")
            if not (close and isinstance(following, str) and following.startswith(close)):
                close = ""
            before = before[: len(before) - len(close)].rstrip(_YEAR_SEPARATORS)
            if before:
                out.append(before)
            opens_component = not out or (isinstance(out[-1], str) and out[-1].endswith("/"))
            pending = (close, opens_component)
            continue
        if pending is not None and isinstance(token, str):
            close, opens_component = pending
            token = token[len(close) :]
            if opens_component:  # `{year}/…` or `{year} - …`: no empty folder, no leading dash
                token = token.lstrip(_YEAR_SEPARATORS)
                token = token[1:] if token.startswith("/") else token
        pending = None
        if token:
            out.append(token)
    return out


def _episode_range(tokens: list[Token]) -> list[Token]:
    """After each `{episode}`, add `-<letters before it>{episode_last}` in the same format."""
    out: list[Token] = []
    for index, token in enumerate(tokens):
        out.append(token)
        if isinstance(token, _Field) and token.name == "episode":
            before = tokens[index - 1] if index > 0 and isinstance(tokens[index - 1], str) else ""
            letters = re.search(r"[A-Za-z]*$", before).group(0)
            out.append("-" + letters)
            out.append(_Field("episode_last", token.spec))
    return out


def _prepare(template: str, match: Match) -> list[Token]:
    tokens = _tokens(template)
    if match.year is None:
        tokens = _drop_year(tokens)
    episodes = set(match.episodes)
    uses_last = any(isinstance(t, _Field) and t.name == "episode_last" for t in tokens)
    if match.media_type == "tv" and len(episodes) > 1 and not uses_last:
        tokens = _episode_range(tokens)
    if not (tokens and isinstance(tokens[-1], _Field) and tokens[-1].name == "ext"):
        tokens.append(_Field("ext"))
    return tokens


def template_for(settings: Settings, media_type: str) -> str:
    """The template in force: MOVIE_TEMPLATE/EPISODE_TEMPLATE, else the NAMING preset's."""
    preset = PRESETS[settings.naming]
    if media_type == "movie":
        return settings.movie_template or preset.movie
    return settings.episode_template or preset.episode


def normalize_ext(ext: str) -> str:
    """`.MKV` or `mkv` → `.mkv`; raise `NamingError` for anything that is not a plain extension."""
    value = (ext or "").strip().lower()
    if value and not value.startswith("."):
        value = "." + value
    if not _EXT.match(value):
        raise NamingError(f"unusable file extension {ext!r}")
    return value


def render_relative(template: str, match: Match, ext: str) -> list[str]:
    """Given a template and a match, return the sanitized components of the path below TARGET_DIR."""
    ext = normalize_ext(ext)
    title = truncate_utf8(clean_text(match.title or "").strip(" ."), MAX_TITLE_BYTES).rstrip(" .")
    if not title:
        raise NamingError(f"TMDB gave no usable title for tmdb id {match.tmdb_id}")
    values: dict[str, object] = {"title": title, "year": match.year, "tmdb_id": match.tmdb_id, "ext": ext}
    if match.media_type == "tv":
        if match.season is None or not match.episodes:
            raise NamingError("an episode needs a season and at least one episode number")
        values.update(season=match.season, episode=min(match.episodes), episode_last=max(match.episodes))
    tokens = _prepare(template, match)
    try:
        rendered = _join(tokens).format(**values)
    except (KeyError, ValueError, TypeError, IndexError, AttributeError) as error:
        raise NamingError(f"the naming template cannot be rendered for this file ({error!r})") from None
    if rendered.startswith("/"):
        raise NamingError("the naming template renders an absolute path")
    parts = rendered.split("/")
    *folders, filename = parts
    if not filename.endswith(ext):
        raise NamingError("the naming template does not end with the file extension")
    components = []
    for folder in folders:
        if folder.strip() in ("", ".", ".."):
            raise NamingError(f"the naming template renders an unusable folder name {folder!r}")
        components.append(sanitize_component(folder))
    stem = filename[: -len(ext)]
    components.append(sanitize_component(stem, ext, limit=MAX_VIDEO_STEM_BYTES + len(ext)))
    return components


def _resolve(path: str) -> str:
    """realpath of the deepest existing folder above `path`, with the rest appended as written."""
    head, rest = path, []
    while not os.path.lexists(head):
        head, tail = os.path.split(head)
        rest.append(tail)
        if not tail:
            break
    return os.path.join(os.path.realpath(head), *reversed(rest))


def confine(target_dir: Path, components: list[str]) -> Path:
    """Join `components` under `target_dir` and prove the result lies inside it (symlinks too).

    The last component itself is not followed: a link is made *at* that name, never through it.
    """
    root = os.path.realpath(target_dir)
    candidate = os.path.normpath(os.path.join(root, *components))
    parent = _resolve(os.path.dirname(candidate))
    resolved = os.path.join(parent, os.path.basename(candidate))
    if os.path.commonpath([root, resolved]) != root or os.path.normpath(resolved) == root:
        raise NamingError("the library path would leave TARGET_DIR")
    if any(part in (".", "..", "") for part in components) or any("/" in part for part in components):
        raise NamingError("the library path would leave TARGET_DIR")
    return Path(target_dir, *components)


def library_path(settings: Settings, match: Match, ext: str, category: str | None = None) -> Path:
    """Given settings, a TMDB match and the video's extension, return its absolute library path.

    A `category` (CATEGORY_FILE) becomes a folder after the template's first folder
    (`Movies/华语电影/…`), or the first folder when the template has only one.
    Raise `NamingError` when no safe name can be built or the path would leave TARGET_DIR.
    """
    if settings.target_dir is None:
        raise NamingError("TARGET_DIR is not set")
    template = template_for(settings, match.media_type)
    components = render_relative(template, match, ext)
    if category:
        components.insert(1 if len(components) > 2 else 0, sanitize_component(category))
    return confine(settings.target_dir, components)
