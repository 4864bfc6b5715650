"""The offline parser: guessit, after stripping release-site and fansub noise from the name.

Used when PARSER=guessit, or PARSER=auto without OPENAI_API_KEY. Given a path relative to its
source folder, `parse_name` returns the same `ParsedName` shape as the LLM parser.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import PurePosixPath

from guessit import guessit

from clearmedia.errors import IdentifyError
from clearmedia.identify.answer import (
    FIRST_YEAR,
    MAX_SEASON,
    MAX_TITLE_CHARS,
    AnswerError,
    coerce_answer,
    last_year,
)
from clearmedia.identify.title_numbers import mend_title_number
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
_FINAL = re.compile(
    r"(?<![^\W_])(?:the[\s._-]+)?final[\s._-]+season(?![^\W_])|最终季|最終季|完结篇|完結篇|ファイナルシーズン",
    re.I,
)
_ARC = re.compile(
    r"(?<=[a-z])-hen(?![^\W_])|(?<![^\W_])arc(?![^\W_])|[\u4e00-\u9fff]{2,}篇(?!\d)(?<!总集篇)(?<!總集篇)",
    re.I,
)
_SPECIAL = re.compile(r"(?<![^\W_])(?:SP|OVA|OAD|Specials?)[\s._-]?(\d{1,3})?(?![^\W_])|特别篇|特別篇", re.I)


def _is_grouping(folder: str) -> bool:
    return folder.strip().lower() in GROUPING_FOLDERS


# Fansub tags: subtitle language (GB is simplified Chinese, not Great Britain), container, codec,
# source, CRC, size, "new this season" banners. A bracket holding only these is not a title.
_TAG_WORD = (
    r"GB|BIG5|CHS|CHT|JPN?|SC|TC|ENG?|简|繁|简体|繁体|简繁|简日|繁日|中日|中文|简中|繁中|双语|雙語|内封|内嵌|內封|內嵌|外挂|字幕"
    r"|简体中文|繁體中文|简繁内封字幕|简日双语|繁日双语|中日双语|简繁日|MP4|MKV|AVI|AVC|HEVC|x26[45]|H\.?26[45]|AAC|FLAC"
    r"|OPUS|AC3|DTS|10-?bit|8-?bit|Hi10P?|Ma10p|Main10|WEB-?DL|WEB-?Rip|BD-?Rip|BD|DVD-?Rip|TV-?Rip|HDTV|Baha|CR|B-Global"
    r"|Bilibili|ABEMA|NF|AMZN|END|Fin|完|v\d|\d{3,4}[pPiI]|\d{3,4}[xX×]\d{3,4}|[0-9A-Fa-f]{8}|\d+(?:\.\d+)?\s?[MG]i?B"
    r"|Dual[ _-]?Audio|Multiple[ _-]?Subtitles?|Multi[ _-]?Subs?|ASS|SRT|PGS|招募翻译校对|招募翻译|招募|\d{4}年\d{1,2}月番"
    r"|\d{1,2}月新番|\d{4}年|新番|国漫|國漫|日剧|日劇|韩剧|韓劇|美剧|美劇|港剧|台剧|\d{2}年日剧|\d{2}年\d{1,2}月"
)
_TAG_ONLY = re.compile(rf"^(?:(?:{_TAG_WORD})(?:[\s_+&,./-]+|$))+$", re.IGNORECASE)
_FANSUB_WORD = re.compile(r"GB|BIG5|CHS|CHT|JP|[\u4e00-\u9fff]", re.IGNORECASE)
_NEW_SEASON_AD = re.compile(r"★?\s*\d{1,2}月新番\s*★?|★")
_LANG_TOKEN = re.compile(r"(?<![A-Za-z0-9])(?:GB|BIG5|CHS|CHT)(?![A-Za-z0-9])")
_CN_NUMERAL = "零〇一二两三四五六七八九十"
_CN_SEASON = re.compile(rf"第\s*([0-9]{{1,3}}|[{_CN_NUMERAL}]{{1,3}})\s*[季部]")
_CN_EPISODES = re.compile(r"第\s*(\d{1,4})\s*[-~～至到]\s*(\d{1,4})\s*[集话話]")  # 第01-02集: one file, two
_CN_EPISODE_COUNT = re.compile(r"(?<!第)(?<!第\s)(?<![\d全共])[全共]?\s*(?<!\d)\d{1,4}\s*[集话話]全?")
_CN_EPISODE = re.compile(
    rf"第\s*([0-9]{{1,4}}|[{_CN_NUMERAL}]{{1,4}})\s*[集话話回期]|(?<![全共\d])(?<![全共]\s)([0-9]{{1,4}})\s*[集话話]"
)
_BRACKET = re.compile(r"\[([^\[\]]*)\]")
# An anime's later season as fansubs write it: "第2期" (in a folder, or with an episode number
# beside it; alone in a file name, a variety show's 第N期 is an issue), "2nd Season", "Season 2 - 05" (guessit: seasons 2 to 5).
_CN_PERIOD = re.compile(rf"第\s*([0-9]{{1,2}}|[{_CN_NUMERAL}]{{1,3}})\s*期")
_EPISODE_BESIDE = re.compile(
    r"\[\s*\d{1,4}(?:v\d)?\s*\]|\s-\s\d{1,4}(?!\d)|(?<![A-Za-z])EP?\d{1,4}|第\s*\d{1,4}\s*[集话話]", re.I
)
_ORDINAL_SEASON = re.compile(
    r"(?<![^\W_])(?:(\d{1,2})(?:st|nd|rd|th)[\s._-]+Season|Season[\s._-]*(\d{1,2})(?=\s+-\s+\d))(?![^\W_])",
    re.I,
)


def _cn_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    from clearmedia.identify.verdict import _chinese_number  # one reader of Chinese numerals

    return _chinese_number(text)


def _fansub_tags(name: str, is_file: bool = True) -> str:
    """A fansub or Chinese-site name with its tags out and its 第N季/第N集 as S/E numbers.

    `【字幕组】【Title 第二季】【04】【1080P】【GB_MP4】` -> `[字幕组] [Title S02] [04]`: only the leading
    【…】 is a banner, the others are brackets like any; GB/BIG5 are subtitle languages, never
    a country.
    """
    first = _BANNER.match(name.strip())
    rest = name.strip()[first.end() :] if first else name
    rest = rest.replace("【", "[").replace("】", "]").replace("〖", "[").replace("〗", "]")
    rest = _BRACKET.sub(lambda m: " " if _is_fansub_tag(m.group(1).strip()) else m.group(0), rest)
    rest = _NEW_SEASON_AD.sub(" ", rest)
    rest = _ORDINAL_SEASON.sub(lambda m: f" S{int(m.group(1) or m.group(2)):02d} ", rest)
    if not is_file or _EPISODE_BESIDE.search(_CN_PERIOD.sub(" ", rest)):  # a folder's 第N期: a season
        rest = _CN_PERIOD.sub(lambda m: f" S{_cn_number(m.group(1)) or 0:02d} ", rest)
    rest = _CN_SEASON.sub(lambda m: _cn_season(m, rest, is_file), rest)
    if is_file:
        rest = _CN_EPISODES.sub(lambda m: f" E{int(m.group(1)):02d}-E{int(m.group(2)):02d} ", rest)
    else:  # a folder's "第1-30集" or "30集" tells what the pack holds, not which episode a file is
        rest = _CN_EPISODE_COUNT.sub(" ", _CN_EPISODES.sub(" ", rest))
    rest = _CN_EPISODE.sub(lambda m: f" E{_cn_number(m.group(1) or m.group(2)) or 0:02d} ", rest)
    if re.search(r"[\[\]]|[\u3040-\u30ff\u4e00-\u9fff]", rest):
        rest = _LANG_TOKEN.sub(" ", rest)
    rest = re.sub(r"\[\s*\]", " ", rest)
    # "[11]", "[07v2]": an episode number in anime style, which guessit reads after " - "
    rest = re.sub(r"\[\s*(\d{1,4})(?:v\d)?\s*\]", lambda m: _bracket_number(m.group(1)), rest)
    if first:  # the banner was the group: a bracket that follows it holds the title
        rest = re.sub(r"^\s*\[([^\[\]]*[^\W\d_][^\[\]]*)\]", r"\1 ", rest)
    return " ".join(rest.split())


def _cn_season(match: re.Match, name: str, is_file: bool) -> str:
    """第N季 is a season; 第N部 too in a folder or beside an episode number, but in a file
    name alone it is a part of a film's title ("封神第一部：朝歌风云")."""
    if (
        match.group(0).endswith("部")
        and is_file
        and not _EPISODE_BESIDE.search(name.replace(match.group(0), " "))
    ):
        return match.group(0)
    return f" S{_cn_number(match.group(1)) or 0:02d} "


def _is_fansub_tag(text: str) -> bool:
    """Only tags, and some of them a fansub's (a subtitle language, a season banner): quality
    brackets alone stay, guessit reads them well."""
    return bool(_TAG_ONLY.match(text)) and bool(_FANSUB_WORD.search(text))


def _bracket_number(number: str) -> str:
    if len(number) == 4 and number[:2] in ("19", "20"):
        return f" ({number}) "  # a year
    return f" - {number} "


def clean_component(name: str, is_file: bool = True) -> tuple[str, bool]:
    """Strip site banners and tags from one path component; also say whether it had a group tag."""
    name = _fansub_tags(name, is_file)
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
    for key in ("part", "volume") if guess.get("type") != "episode" else ():  # an episode's part is its own
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


def _cleaned(relative_path: str) -> tuple[str, bool]:
    """The path's last (at most three) components without noise, and whether the file had a group tag."""
    parts = [
        p for p in PurePosixPath(relative_path.replace("\\", "/")).parts if p not in ("", ".", "..", "/")
    ]
    while len(parts) > 1 and _is_grouping(parts[0]):
        parts.pop(0)
    parts = parts[-3:]  # a show folder, a season folder, the file: deeper folders are grouping
    cleaned_parts = [clean_component(p, i == len(parts) - 1) for i, p in enumerate(parts)]
    cleaned = "/".join(c for c, _ in cleaned_parts if c)
    if not cleaned:
        raise IdentifyError("could not read a title from this name")
    return cleaned, cleaned_parts[-1][1]


def _titles(guess, cleaned: str) -> tuple[str, str | None]:
    """(title, second title) from guessit's reading; raise IdentifyError when there is no title."""
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
    return title, alternative


def _numbers(guess, cleaned: str, filename: str) -> dict:
    """year, type, season, episodes, absolute_episode and air_date as guessit read them, mended."""
    episode = guess.get("episode")
    episodes = episode if isinstance(episode, list) else ([episode] if episode is not None else [])
    season = guess.get("season")
    if isinstance(season, list):
        season = season[0]
    if (
        isinstance(season, int)
        and season > MAX_SEASON
        and not re.search(rf"(?i)s{season}|{season}x\d|{season}[\s._-]*e\d", cleaned)
    ):
        season = None  # "Toradora! (2008) - 01": the year, not a season
    if season is not None and not episodes:
        number = _LEADING_NUMBER.match(PurePosixPath(filename).stem)
        if number:
            episodes = [int(number.group(1))]
    year = guess.get("year")
    if not isinstance(year, int) or not FIRST_YEAR <= year <= last_year():
        year = None  # "Film.2031" is a title word or a typo, not a reason to give up
    date = guess.get("date")
    air_date = date.isoformat() if date is not None and hasattr(date, "isoformat") else None
    if air_date and episodes:
        air_date = None  # "Show.E07.191228": the episode number says which; the date only when alone
    numbers = {
        "year": year,
        "type": "tv" if guess.get("type") == "episode" or air_date else "movie",
        "season": season,
        "episodes": episodes,
        "absolute_episode": _single(guess.get("absolute_episode")),
        "air_date": air_date,
    }
    if season is not None and len(episodes) == 1 and _run_together(filename, season, episodes[0]):
        numbers["absolute_episode"] = int(f"{season}{episodes[0]:02d}")  # "One.Piece.1071": S10E71 or 1071
    return numbers


def _specials_and_anime(answer: dict, hint: str | None, filename: str, grouped: bool) -> None:
    """An OVA/SP numbered in the name is season 0; an anime's "- 15" counts across seasons."""
    if hint == "special":
        answer["type"] = "tv"  # an OVA, OAD, SP or Special is an episode of a show, found in season 0
        number = _SPECIAL.search(filename)
        if answer["season"] is None and not answer["air_date"] and number and number.group(1):
            answer.update(season=0, episodes=[int(number.group(1))])
    anime = grouped or _ANIME_NUMBER.search(filename)
    episodes = answer["episodes"]
    if answer["season"] is None and len(episodes) == 1 and answer["absolute_episode"] is None and anime:
        answer["absolute_episode"], answer["episodes"] = episodes[0], []


def parse_name(relative_path: str) -> ParsedName:
    """Given a path relative to its source folder, return what guessit reads; raise `IdentifyError`."""
    cleaned, grouped = _cleaned(relative_path)
    guess = guessit(cleaned)
    filename = cleaned.rsplit("/", 1)[-1]
    _year_to_come(guess, filename)
    mend_title_number(guess, filename)
    title, alternative = _titles(guess, cleaned)
    answer = {"title": title, "alt_title": alternative, **_numbers(guess, cleaned, filename)}
    hint = _season_hint(cleaned)
    _specials_and_anime(answer, hint, filename, grouped)
    try:
        parsed = coerce_answer(answer, parser="guessit")
    except AnswerError as error:
        raise IdentifyError(f"could not read this name: {error}") from None
    episode_title = guess.get("episode_title")
    if hint == "special":
        episode_title = PurePosixPath(filename).stem  # a special is found by the TMDB title it carries
    part = _single(guess.get("part"))  # "Season 3 Part 2 - 05"
    part = part if isinstance(part, int) and part > 1 and (parsed.season or hint == "final") else None
    return dataclasses.replace(
        parsed, season_hint=hint, episode_title=str(episode_title) if episode_title else None, part=part
    )


def _run_together(filename: str, season: int, episode: int) -> bool:
    """Was S{season}E{episode} read from one bare number ("Show.106", "One.Piece.1071") with no
    season marker anywhere? Then the number may as well count episodes from the show's start."""
    number = f"{season}{episode:02d}"
    if len(number) < 3 or re.search(rf"(?i)s0*{season}\b|s0*{season}e|{season}x\d|season|第", filename):
        return False
    return re.search(rf"(?<![\w]){number}(?![\w])", filename.replace(".", " ").replace("_", " ")) is not None


def _year_to_come(guess, filename: str) -> None:
    """ "Blade.Runner.2049.1080p": guessit reads S20E49 from a year that has not come, which is a
    title word (a year to come is no release year, and no season marker says S20E49)."""
    season, episode = guess.get("season"), guess.get("episode")
    if not isinstance(season, int) or not isinstance(episode, int) or not guess.get("title"):
        return
    number = f"{season}{episode:02d}"
    if len(number) == 4 and last_year() < int(number) < 2100 and _run_together(filename, season, episode):
        guess["title"] = f"{guess['title']} {number}"
        for key in ("season", "episode"):
            del guess[key]
        guess["type"] = "movie"


def _single(value):
    """One number, or None for a list (guessit's `313-314`: a range we do not place)."""
    if isinstance(value, list):
        return value[0] if len(value) == 1 else None
    return value


def _season_hint(cleaned: str) -> str | None:
    """ "final" (The Final Season), "arc" (an arc's name), "special" (SP, OVA, Special) or None."""
    if _FINAL.search(cleaned):
        return "final"
    if _SPECIAL.search(cleaned.rsplit("/", 1)[-1]):
        return "special"
    if _ARC.search(cleaned):
        return "arc"
    return None


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
