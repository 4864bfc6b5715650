"""How alike two titles are: case, width, accents, punctuation, articles, numerals and country
versions ("The Office UK" is TMDB's "The Office" from GB) taken into account."""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

PART_OF_TITLE_SCORE = 0.8  # at most this alike when one title's words are a few of the other's

_ROMAN = {
    "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8", "ix": "9", "x": "10",
    "xi": "11", "xii": "12", "xiii": "13", "xiv": "14", "xv": "15", "xvi": "16", "xvii": "17",
    "xviii": "18", "xix": "19", "xx": "20",
}  # fmt: skip
_ARTICLES = ("the", "a", "an")
_NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
}  # fmt: skip  ("Dune: Part Two" is "Dune Part 2", "Ocean's Eleven" is "Ocean's 11")
_ALIASES = {"volume": "vol", "pt": "part"}
# A country word ending a title names a version of a show: "The Office (UK)" is not "The Office US".
_COUNTRY_TAGS = {"us": "us", "usa": "us", "uk": "uk", "gb": "uk", "au": "au", "nz": "nz", "ca": "ca"}
# TMDB names both versions just "The Office" and tells them apart by origin_country (ISO 3166-1).
_TAG_COUNTRY = {"us": "US", "uk": "GB", "au": "AU", "nz": "NZ", "ca": "CA"}


def _fold_latin(text: str) -> str:
    """Strip accents from Latin letters only (decomposing kana would break them)."""
    out = []
    for char in text:
        if ord(char) < 0x250:
            char = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        out.append(char)
    return "".join(out)


def normalize_title(text: str) -> str:
    """Given a title, return a comparable form: case, width, accents, punctuation, `&`, articles, numerals."""
    text = _fold_latin(unicodedata.normalize("NFKC", text or "")).lower()
    text = text.replace("&", " and ").replace("'", "")
    words = re.sub(r"[\W_]+", " ", text).split()
    words = [_ROMAN.get(w) or _NUMBER_WORDS.get(w) or _ALIASES.get(w, w) for w in words]
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    return " ".join(words)


def title_similarity(a: str, b: str) -> float:
    """0..1: how alike two titles are once normalized; titles with different numbers are kept apart."""
    na, nb = normalize_title(a), normalize_title(b)
    if not na or not nb:
        return 0.0
    if na == nb:
        return 1.0
    ca, cb = na.replace(" ", ""), nb.replace(" ", "")
    if ca == cb:
        return 0.98
    score = SequenceMatcher(None, ca, cb).ratio()
    if sorted(na.split()) == sorted(nb.split()):
        score = max(score, 0.97)
    if set(re.findall(r"\d+", na)) != set(re.findall(r"\d+", nb)):
        score *= 0.7  # "Toy Story" is not "Toy Story 2", "Blade Runner" is not "Blade Runner 2049"
    words_a, words_b = set(na.split()), set(nb.split())
    if words_a < words_b or words_b < words_a:
        score = min(score, PART_OF_TITLE_SCORE)  # "Follows" is not "It Follows", nor "Dune" "Dune Drifter"
    tag_a, tag_b = _COUNTRY_TAGS.get(na.split()[-1]), _COUNTRY_TAGS.get(nb.split()[-1])
    if tag_a and tag_b and tag_a != tag_b:
        score *= 0.7  # "The Office UK" is not "The Office US"
    return score


def _country_tag(title: str) -> tuple[str, str] | None:
    """("The Office", "uk") for "The Office UK"; None without a trailing country word (or only one)."""
    words = normalize_title(title).split()
    tag = _COUNTRY_TAGS.get(words[-1]) if len(words) > 1 else None
    if tag is None:
        return None
    text = unicodedata.normalize("NFKC", title).strip()
    base = re.sub(rf"[\W_]*\b{re.escape(words[-1])}\W*$", "", text, flags=re.IGNORECASE).strip()
    if base == text:  # spelled in a way the pattern misses: the normalized words will do
        base = " ".join(words[:-1])
    return base, tag


def versioned_title_similarity(wanted: str, found: str, origin_country: tuple[str, ...] = ()) -> float:
    """`title_similarity`, with a country ending `wanted` checked against TMDB's origin_country.

    "The Office UK" is the show TMDB calls "The Office" when it comes from GB; a "The Office" from
    elsewhere (or from nowhere known) stays below MIN_TITLE_SCORE: never the US show for a UK name.
    """
    score = title_similarity(wanted, found)
    tagged = _country_tag(wanted)
    if tagged is None or _country_tag(found) is not None:
        return score  # no country asked, or both name one: title_similarity keeps them apart
    base, tag = tagged
    if _TAG_COUNTRY[tag] in origin_country:
        return max(score, title_similarity(base, found))
    return min(score, PART_OF_TITLE_SCORE)
