"""The offline parser: guessit, after stripping release-site and fansub noise from the name.

Used when PARSER=guessit, or PARSER=auto without OPENAI_API_KEY. Given a path relative to its
source folder, `parse_name` returns the same `ParsedName` shape as the LLM parser.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from guessit import guessit

from clearmedia.errors import IdentifyError
from clearmedia.identify.answer import FIRST_YEAR, MAX_TITLE_CHARS, AnswerError, coerce_answer, last_year
from clearmedia.identify.types import ParsedName

#: Top-level folders people use to sort downloads; never a title.
GROUPING_FOLDERS = {
    "movies", "movie", "films", "film", "tv", "tv shows", "tvshows", "shows", "series", "anime",
    "downloads", "download", "incoming", "complete", "completed", "done", "finished", "torrents",
    "media", "video", "videos", "电影", "電影", "电视剧", "電視劇", "剧集", "動漫", "动漫", "番剧",
    "动画", "纪录片", "下载", "qbittorrent", "transmission", "aria2",
}  # fmt: skip

_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
# 【…】 and 〖…〗 are release-site or group banners in practice, wherever they stand.
_BANNER = re.compile(r"[【〖][^】〗]*[】〗]")
# [...] holding a web address or a known noise word: site tags and quality ads, not the title.
_SITE_WORDS = r"www\.|\.(?:com|net|org|cc|tv|me|xyz|top|la|vip|cn|info|io)\b|电影天堂|高清|蓝光|藍光|发布|發布|影视|影視|下载|下載|首发|首發"
_SITE_TAG = re.compile(r"\[[^\]\[]*(?:" + _SITE_WORDS + r")[^\]\[]*\]", re.IGNORECASE)
# A site name glued before the title without brackets: "阳光电影www.ygdy8.com.Title.2023.mkv".
_SITE_PREFIX = re.compile(
    r"^[^\s/]{0,20}?www\.[\w-]+\.(?:com|net|org|cc|tv|me|xyz|top|la|vip|cn|info|io)[\s._-]+", re.I
)
# What guessit leaves as an "alternative title" of a Chinese release: quality and subtitle words.
_NOISE_ALT = re.compile(
    r"^(?:[\s._-]|HD|BD|\d{3,4}[pPiI]|[国國粤粵英中日韩韓]语|[国國粤粵]英|双语|雙語|中[英日]?字|[中简繁]?[中英日]?双字|字幕|无水印|無水印)+$"
)
# A part or volume as written ("Part.Two", "Vol.2"), kept in the title: TMDB's title has it.
_PART = re.compile(r"\b(Part|Pt|Vol(?:ume)?)[\s._-]*(\d{1,2}|[IVX]{1,4}|One|Two|Three|Four|Five|Six)\b", re.I)
_QUALITY_AD = re.compile(r"^\s*\[(?:4K|8K|2160p|1080p|720p|HDR|BD|BluRay)[^\]\[]{0,8}\]\s*", re.IGNORECASE)
# A leading [Group] tag (fansub and release groups put it first).
_LEADING_TAG = re.compile(r"^\s*\[([^\]\[]{1,60})\]\s*")
# Anime numbering: "Title - 15" or "Title [15]" with no season marker.
_ANIME_NUMBER = re.compile(r"(?:\s-\s|\[)\d{1,4}(?:v\d)?(?:\]|\s|\(|$)")
# A season pack's file named only by its number: "04 - Violet.mkv", "E05.mkv", "第05集.mp4".
_LEADING_NUMBER = re.compile(r"^(?:E|EP|第)?\s*(\d{1,4})(?:集|话|話)?(?:[\s._-]|$)", re.IGNORECASE)
_SEPARATORS = "／/｜|-–—:：·・ "


def _is_grouping(folder: str) -> bool:
    return folder.strip().lower() in GROUPING_FOLDERS


def clean_component(name: str) -> tuple[str, bool]:
    """Strip site banners and tags from one path component; also say whether it had a group tag."""
    name = _BANNER.sub(" ", name)
    name = _SITE_TAG.sub(" ", name)
    name = _SITE_PREFIX.sub("", name)
    while _QUALITY_AD.match(name):
        name = _QUALITY_AD.sub("", name, count=1)
    grouped = False
    tag = _LEADING_TAG.match(name)
    if tag and not re.fullmatch(r"\d{1,4}", tag.group(1)):
        grouped = True
        name = name[tag.end() :]
        # "[Group][Title][01]": the title sits in the next bracket; unwrap it.
        following = _LEADING_TAG.match(name)
        if (
            following
            and re.search(r"[^\W\d_]{2}", following.group(1))
            and not re.search(r"\d{3,4}p|x26[45]|hevc|avc", following.group(1), re.IGNORECASE)
        ):
            name = following.group(1) + " " + name[following.end() :]
    return " ".join(name.split()), grouped


def _split_titles(title: str, alternative: str | None, cleaned: str) -> tuple[str, str | None]:
    """Order the two titles as written (CJK first in "热辣滚烫.YOLO"), trimming separators."""
    title = title.strip(_SEPARATORS)
    alternative = alternative.strip(_SEPARATORS) if alternative else None
    if not alternative:
        # "孤独摇滚 ／ Bocchi the Rock!" read as one title by some guessit versions.
        parts = [p.strip() for p in re.split(r"\s*[／|｜]\s*", title) if p.strip()]
        if len(parts) == 2:
            return parts[0], parts[1]
        return title, None
    spaced = re.sub(r"[._]", " ", cleaned)
    first_alt, first_title = spaced.find(alternative), spaced.find(title)
    if 0 <= first_alt < first_title:
        return alternative, title
    return title, alternative


def _restore_title(title: str, guess, cleaned: str) -> str:
    """Put back what guessit takes out of a title but TMDB keeps in it.

    "Spider-Man.2002" (guessit: group "Spider", title "Man"); "Dune.Part.Two" and "Kill.Bill.Vol.2"
    (a part/volume: the sequel, never the first film); "The.Office.UK" (a country: another show).
    """
    group = guess.get("release_group")
    # Only a capitalised word, as written: "aaf-inception" and "SPARKS-Title" are scene groups.
    if (
        isinstance(group, str)
        and re.fullmatch(r"[A-Z][a-z]+", group)
        and re.search(rf"(?:^|/){re.escape(group)}-{re.escape(title.split()[0])}\b", cleaned)
    ):
        title = f"{group}-{title}"
    for key in ("part", "volume"):
        if isinstance(guess.get(key), int) and not re.search(r"\b(?:part|vol)", title, re.IGNORECASE):
            written = _PART.search(cleaned.rsplit("/", 1)[-1]) or _PART.search(cleaned)
            title = (
                f"{title} {written.group(1)} {written.group(2)}" if written else f"{title} Part {guess[key]}"
            )
    country = guess.get("country")
    code = getattr(country, "alpha2", None)
    if code and guess.get("type") == "episode":
        code = "UK" if code == "GB" else code
        if not title.upper().endswith(" " + code):
            title = f"{title} {code}"
    return title


def parse_name(relative_path: str) -> ParsedName:
    """Given a path relative to its source folder, return what guessit reads; raise `IdentifyError`."""
    parts = [
        p for p in PurePosixPath(relative_path.replace("\\", "/")).parts if p not in ("", ".", "..", "/")
    ]
    while len(parts) > 1 and _is_grouping(parts[0]):
        parts.pop(0)
    parts = parts[-3:]  # a show folder, a season folder, the file: deeper folders are grouping
    cleaned_parts = [clean_component(p) for p in parts]
    cleaned = "/".join(c for c, _ in cleaned_parts if c)
    if not cleaned:
        raise IdentifyError("could not read a title from this name")
    grouped = cleaned_parts[-1][1]
    guess = guessit(cleaned)
    title = guess.get("title")
    if isinstance(title, list):
        title = title[0]
    year = guess.get("year")
    if not title and isinstance(year, int) and not guess.get("title"):
        title, guess["year"] = str(year), None  # "1917.1080p.mkv", "1923.S01E03.mkv": the number is the title
    if not title or _is_grouping(str(title)):
        raise IdentifyError("could not read a title from this name")
    title = _restore_title(str(title), guess, cleaned)
    alternative = guess.get("alternative_title")
    if isinstance(alternative, list):
        alternative = alternative[0]
    title, alternative = _split_titles(str(title), alternative and str(alternative), cleaned)
    if alternative and (len(alternative) > MAX_TITLE_CHARS or _NOISE_ALT.match(alternative)):
        alternative = None  # release noise guessit could not place, not a second title

    episode = guess.get("episode")
    episodes = episode if isinstance(episode, list) else ([episode] if episode is not None else [])
    season = guess.get("season")
    if isinstance(season, list):
        season = season[0]
    filename = cleaned.rsplit("/", 1)[-1]
    if season is not None and not episodes:
        number = _LEADING_NUMBER.match(PurePosixPath(filename).stem)
        if number:
            episodes = [int(number.group(1))]
    year = guess.get("year")
    if not isinstance(year, int) or not FIRST_YEAR <= year <= last_year():
        year = None  # "Film.2031" is a title word or a typo, not a reason to give up
    date = guess.get("date")
    answer: dict = {
        "title": title,
        "alt_title": alternative,
        "year": year,
        "type": "tv" if guess.get("type") == "episode" else "movie",
        "season": season,
        "episodes": episodes,
        "absolute_episode": guess.get("absolute_episode"),
        "air_date": date.isoformat() if date is not None and hasattr(date, "isoformat") else None,
    }
    if answer["air_date"]:
        answer["type"] = "tv"
    # Anime releases ("[Group] Title - 15") count episodes across seasons.
    anime = grouped or _ANIME_NUMBER.search(filename)
    if season is None and len(episodes) == 1 and answer["absolute_episode"] is None and anime:
        answer["absolute_episode"], answer["episodes"] = episodes[0], []
    try:
        return coerce_answer(answer, parser="guessit")
    except AnswerError as error:
        raise IdentifyError(f"could not read this name: {error}") from None


class RulesParser:
    """`Parser` backed by guessit: offline, no state."""

    name = "guessit"

    def parse(self, relative_path: str) -> ParsedName:
        return parse_name(relative_path)

    def check(self) -> None:
        """Nothing remote to reach; prove guessit itself works."""
        parse_name("Check.2020.1080p.mkv")

    def close(self) -> None:
        pass
