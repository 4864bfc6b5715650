"""Titles without decoration: edition, cut and packaging words are not part of a work's title.

`Blade Runner The Final Cut`, `Avatar IMAX`, `Alien Director's Cut`, `哪吒 加长版`, `剧场版 鬼灭之刃`
are searched on TMDB as `Blade Runner`, `Avatar`, `Alien`, `哪吒`, `鬼灭之刃`. Whatever reader wrote
the title (the rule parser or the LLM), the same words go.
"""

from __future__ import annotations

import re

_SEP = r"[\s._\-·:：,，]*"
# English edition and release words, as whole words ("Cut" alone stays: "Final Cut" films exist).
_LATIN = [
    r"(?:the\s+)?(?:extended|theatrical|ultimate|special|collector'?s|anniversary|definitive|deluxe|limited"
    r"|unrated|uncut|uncensored|final|director'?s|directors|remastered|restored|imax|criterion|original)"
    r"(?:\s+(?:edition|cut|version|collection))+",
    r"(?:the\s+)?(?:director'?s|directors|final)\s+cut",
    r"(?:\d+(?:th)?\s+)?anniversary(?:\s+edition)?",
    r"imax(?:\s+enhanced)?",
    r"remaster(?:ed)?",
    r"extended",
    r"unrated",
    r"uncut",
    r"uncensored",
    r"theatrical",
    r"open\s+matte",
    r"(?:the\s+)?complete\s+(?:series|collection|seasons?|edition|box\s*set)",
    r"box\s*set",
    r"(?:complete\s+)?batch",
]
_LATIN_RE = re.compile(r"(?<![^\W_])(?:" + "|".join(_LATIN) + r")(?![^\W_])", re.IGNORECASE)
# Chinese edition and packaging words: no spaces between words, so matched as they stand.
_CJK_WORDS = (
    "加长版", "加長版", "导演剪辑版", "導演剪輯版", "导演剪切版", "导演版", "導演版", "未删减版", "未刪減版",
    "完整版", "重制版", "重製版", "修复版", "修復版", "4K修复版", "特别版", "特別版", "珍藏版", "收藏版",
    "纪念版", "紀念版", "IMAX版", "剧场公映版", "院线版", "院線版", "合集", "全集", "全季", "系列合集",
    "剧场版", "劇場版",
)  # fmt: skip
_CJK_RE = re.compile("|".join(sorted(map(re.escape, _CJK_WORDS), key=len, reverse=True)), re.IGNORECASE)
# 剧场版/劇場版 ("the theatrical film of …") prefixes the series' title; it is not the film's title.
_CJK_PREFIX = re.compile(r"^\s*(?:剧场版|劇場版|电影版|電影版|映画|劇場版アニメ)" + _SEP)
_TRIM = " \t._-·:：,，/|"


def strip_decoration(title: str) -> str:
    """Given a title, return it without edition/cut/packaging words; unchanged if nothing would remain."""
    if not title:
        return title
    text = _CJK_PREFIX.sub("", title)
    text = _CJK_RE.sub(" ", text)
    text = _LATIN_RE.sub(" ", text)
    text = " ".join(text.split()).strip(_TRIM)
    # a dangling "-" or "：" left where the decoration stood
    text = re.sub(r"\s*[-:：]\s*$", "", text).strip(_TRIM)
    if not any(c.isalnum() for c in text):
        return title
    return text


def is_decorated(title: str) -> bool:
    return strip_decoration(title) != (title or "").strip()


def plain_titles(titles: list[str]) -> list[str]:
    """The titles undecorated first, then (to search again before giving up) as written; no repeats."""
    plain = [strip_decoration(t) for t in titles if t]
    return list(dict.fromkeys([*plain, *(t for t in titles if t)]))
