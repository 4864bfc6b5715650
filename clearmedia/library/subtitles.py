"""Subtitles that belong to a video, and the library names they follow it under.

Found (`find_subtitles`), never through a symlink:

- sidecars beside the video whose name is the video's stem, a dot, anything:
  `Movie.srt`, `Movie.chs.srt`, `Movie.zh-CN.forced.ass` for `Movie.mkv`. When several videos
  share a prefix (`Movie.mkv`, `Movie.Part2.mkv`) a subtitle goes to the longest matching stem;
- in a `Subs/` (`Sub/`, `Subtitles/`, any case) folder beside the video: `Subs/<video stem>/*`
  (RARBG series), files named like sidecars, and — when the folder holds only one video —
  every subtitle directly in `Subs/` (`Subs/21_Chinese.srt`).

Named (`subtitle_targets`): `{video target stem}[.{lang}][.forced|.sdh][.{n}]{ext}` beside the
video target. The language comes from the part of the name after the video stem, or the whole
name for files in `Subs/`, normalised to a tag Jellyfin and Plex both read: simplified Chinese
(`简`, `chs`, `sc`, `zh-CN`, `zh-Hans`, `GB`, `chi`, `Chinese`) → `zh`; traditional (`繁`, `cht`,
`tc`, `zh-TW`, `zh-HK`, `zh-Hant`, `BIG5`, `Chinese (Traditional)`) → `zh-TW`; other names and
ISO 639-2 codes → their 2-letter code (`eng` → `en`, `jpn` → `ja`, `fre` → `fr` …); `pt-BR`
style tags keep their region; bilingual tags (`chs&eng`, `简英`) take the first language;
untagged → no tag. `cc`/`hi`/`sdh` → `.sdh`; `forced` → `.forced`. Names that would collide
are numbered `.2`, `.3` … in path order (stable across reruns); an `.idx`/`.sub` pair keeps
one base name.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from clearmedia.files import VIDEO_EXTENSIONS
from clearmedia.library.naming import sanitize_component

SUBTITLE_EXTS = (".srt", ".ass", ".ssa", ".sub", ".idx", ".vtt", ".sup")
SUBS_FOLDERS = ("subs", "subtitles", "sub")
#: Used only to tell how many videos share a folder and which stem a sidecar belongs to.
VIDEO_EXTS = frozenset(f".{ext}" for ext in VIDEO_EXTENSIONS)  # one list, in clearmedia.files

_ZH_TW = "zh-TW"
_LANGUAGES: dict[str, str] = {}
for _code, _names in {
    "zh": "zh chi zho chs sc gb chn chinese zh-cn zh-hans zh-sg zhs zh_cn cmn mandarin hans simplified",
    _ZH_TW: "cht tc big5 zh-tw zh-hk zh-hant zh-mo zht zh_tw hant traditional",
    "en": "en eng english",
    "ja": "ja jpn jap jp japanese",
    "ko": "ko kor kr korean",
    "fr": "fr fre fra french vf vff",
    "de": "de ger deu german",
    "es": "es spa esp spanish castellano",
    "it": "it ita italian",
    "pt": "pt por portuguese",
    "pt-BR": "pt-br ptbr brazilian",
    "ru": "ru rus russian",
    "ar": "ar ara arabic",
    "nl": "nl dut nld dutch",
    "sv": "sv swe swedish",
    "da": "da dan danish",
    "no": "no nor nob nb norwegian",
    "fi": "fi fin finnish",
    "pl": "pl pol polish",
    "cs": "cs cze ces czech",
    "hu": "hu hun hungarian",
    "el": "el gre ell greek",
    "tr": "tr tur turkish",
    "he": "he heb hebrew",
    "th": "th tha thai",
    "vi": "vi vie vietnamese",
    "id": "id ind indonesian",
    "ms": "ms may msa malay",
    "hi": "hin hindi",  # a bare `hi` means hearing impaired
    "ro": "ro rum ron romanian",
    "uk": "uk ukr ukrainian",
    "bg": "bg bul bulgarian",
    "hr": "hr hrv croatian",
    "sr": "sr srp serbian",
    "sk": "sk slo slk slovak",
    "sl": "sl slv slovenian",
    "et": "et est estonian",
    "lv": "lv lav latvian",
    "lt": "lt lit lithuanian",
    "fa": "fa per fas persian farsi",
    "is": "is ice isl icelandic",
    "ca": "ca cat catalan",
    "ta": "ta tam tamil",
    "te": "te tel telugu",
    "yue": "yue cantonese",
}.items():
    for _name in _names.split():
        _LANGUAGES[_name] = _code
_TWO_LETTER = {code for code in _LANGUAGES.values() if len(code) == 2}
_TRADITIONAL_HINTS = {"traditional", "hant", "tw", "hk", "big5", "cht", "tc"}
_FLAGS = {"forced": "forced", "foreign": "forced", "sdh": "sdh", "cc": "sdh", "hi": "sdh"}
# Chinese descriptions: the first of these characters decides.
_CJK_SCRIPT = {"简": "zh", "簡": "zh", "繁": _ZH_TW, "正": _ZH_TW}
_CJK_LANGUAGE = {"中": "zh", "汉": "zh", "漢": "zh", "国": "zh", "國": "zh", "华": "zh", "英": "en",
                 "日": "ja", "韩": "ko", "韓": "ko", "粤": "yue", "粵": "yue"}  # fmt: skip
_SPLIT = re.compile(r"[.\s_&+,;\[\]()（）【】]+")


def _is_file(entry: os.DirEntry) -> bool:
    try:
        return entry.is_file(follow_symlinks=False)
    except OSError:
        return False


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _entries(folder: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as scan:
            return list(scan)
    except OSError:
        return []


def _ext(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def _is_sample(name: str) -> bool:
    return re.search(r"(?i)(^|[^a-z])sample([^a-z]|$)", name) is not None


def find_subtitles(video: Path) -> list[Path]:
    """Given a video file, return the subtitle files that belong to it, sorted, without duplicates."""
    video = Path(video)
    folder, stem = video.parent, video.stem
    entries = _entries(folder)
    video_stems = [os.path.splitext(e.name)[0] for e in entries if _ext(e.name) in VIDEO_EXTS and _is_file(e)]
    alone = len([s for s in video_stems if not _is_sample(s)]) <= 1

    def mine(name: str) -> bool:
        """A sidecar name belongs to this video and not to a video with a longer matching stem."""
        if not name.startswith(stem + "."):
            return False
        return not any(len(o) > len(stem) and name.startswith(o + ".") for o in video_stems)

    found: set[Path] = set()
    for entry in entries:
        if _ext(entry.name) in SUBTITLE_EXTS and _is_file(entry) and mine(entry.name):
            found.add(folder / entry.name)
    for subs in entries:
        if subs.name.lower() not in SUBS_FOLDERS or not _is_dir(subs):
            continue
        inside = _entries(folder / subs.name)
        for entry in inside:
            if _ext(entry.name) in SUBTITLE_EXTS and _is_file(entry) and (alone or mine(entry.name)):
                found.add(folder / subs.name / entry.name)
            elif entry.name == stem and _is_dir(entry):
                for sub in _entries(folder / subs.name / entry.name):
                    if _ext(sub.name) in SUBTITLE_EXTS and _is_file(sub):
                        found.add(folder / subs.name / entry.name / sub.name)
    return sorted(found)


def _language(token: str) -> str | None:
    lowered = token.lower()
    if lowered in _LANGUAGES:
        return _LANGUAGES[lowered]
    region = re.fullmatch(r"([a-z]{2})[-_]([a-z]{2})", lowered)
    if region and region.group(1) in _TWO_LETTER:
        return f"{region.group(1)}-{region.group(2).upper()}"
    for char in token:  # 简体中文, 繁體, 中英双语, 日文 …
        if char in _CJK_SCRIPT:
            return _CJK_SCRIPT[char]
    for char in token:
        if char in _CJK_LANGUAGE:
            return _CJK_LANGUAGE[char]
    return None


def parse_tags(text: str, from_end: bool = False) -> tuple[str | None, str | None]:
    """Given the descriptive part of a subtitle name (`chs`, `zh-CN.forced`, `21_Chinese`),
    return (language tag or None, `forced`/`sdh` or None).

    The first language named wins (`chs&eng` → zh); with `from_end` the last one does, for a
    whole file name whose language sits at its end (`Some.Movie.2019.eng`, `It.Follows.fr`).
    """
    tokens = [t for t in _SPLIT.split(text) if t]
    words = [w for t in tokens for w in ([t] if _language(t) or t.lower() in _FLAGS else t.split("-")) if w]
    language = flag = None
    for word in reversed(words) if from_end else words:
        lowered = word.lower()
        if flag is None and lowered in _FLAGS:
            flag = _FLAGS[lowered]
        elif language is None:
            language = _language(word)
    if language == "zh" and any(w.lower() in _TRADITIONAL_HINTS or "繁" in w for w in words):
        language = _ZH_TW
    return language, flag


def _description(subtitle: Path, video_source: Path) -> tuple[str, bool]:
    """The part of a subtitle's name that describes it, and whether it is the whole name:
    what follows the video stem (`chs` of `Movie.chs.srt`), else its own stem (`21_Chinese`)."""
    base = subtitle.stem
    stem = video_source.stem
    if base.startswith(stem + "."):
        return base[len(stem) + 1 :], False
    if base == stem:
        return "", False
    return base, True


def subtitle_targets(
    video_target: Path, video_source: Path, subtitles: list[Path]
) -> list[tuple[Path, Path]]:
    """Given a video's library path, its source path and its subtitles, return
    (subtitle source, library destination) pairs, every destination distinct, beside the video."""
    video_target, video_source = Path(video_target), Path(video_source)
    folder = video_target.parent
    # An .idx and its .sub are one subtitle: they share a base name.
    groups: dict[tuple[Path, str], list[Path]] = {}
    for subtitle in sorted(set(map(Path, subtitles)), key=str):
        ext = subtitle.suffix.lower()
        key = (subtitle.parent, subtitle.stem) if ext in (".idx", ".sub") else (subtitle, "")
        groups.setdefault(key, []).append(subtitle)
    taken: set[str] = {video_target.name.casefold()}
    pairs: list[tuple[Path, Path]] = []
    for members in groups.values():
        exts = [m.suffix.lower() for m in members]
        if len(set(exts)) != len(exts):  # two files in one group with one ext: keep them apart
            for member in members:
                pairs.extend(_allocate(folder, video_target, video_source, [member], taken))
            continue
        pairs.extend(_allocate(folder, video_target, video_source, members, taken))
    return pairs


def _allocate(
    folder: Path, video_target: Path, video_source: Path, members: list[Path], taken: set[str]
) -> list[tuple[Path, Path]]:
    description, whole_name = _description(members[0], video_source)
    language, flag = parse_tags(description, from_end=whole_name)
    tags = "".join(f".{t}" for t in (language, flag) if t)
    number = 1
    while True:
        suffixes = [f"{tags}{'' if number == 1 else f'.{number}'}{m.suffix.lower()}" for m in members]
        names = [sanitize_component(video_target.stem, suffix) for suffix in suffixes]
        if not any(n.casefold() in taken for n in names):
            break
        number += 1
    taken.update(n.casefold() for n in names)
    pairs = []
    for member, name in zip(members, names, strict=True):
        destination = folder / name
        if destination.parent != folder:  # cannot happen: the name was sanitized
            raise ValueError(f"subtitle name {name!r} leaves the video's folder")
        pairs.append((member, destination))
    return pairs
