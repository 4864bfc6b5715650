"""Two readers, one verdict: reconcile the rule parser's reading of a name with the LLM's.

What the name literally says wins: numbers written in it (SxxEyy, 第N集/第N季, `[07]`, `- 15`, an
air date, a year) are read by the rule parser, and an LLM answer that contradicts them is
corrected. A number the LLM gives that is not written in the name at all is dropped (a model fills
in from memory; the name is the evidence). The LLM contributes the titles (all of them) and the
kind of work. When both readers took numbers from the name and they differ, nothing settles it:
the verdict names both readings and the file is FAILED.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from clearmedia.identify.similarity import normalize_title, title_similarity
from clearmedia.identify.titles import plain_titles, strip_decoration
from clearmedia.identify.types import ParsedName

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


SAME_TITLE = 0.85  # an LLM title this alike the rules' one is the same title, spelled otherwise


def _chinese_number(text: str) -> int | None:
    """十二 -> 12, 二十 -> 20, 二十三 -> 23, 三 -> 3; None if not a simple Chinese numeral."""
    if not text or any(c not in _CN_DIGITS and c != "十" for c in text):
        return None
    if "十" not in text:
        return int("".join(str(_CN_DIGITS[c]) for c in text)) if len(text) <= 3 else None
    tens, _, ones = text.partition("十")
    return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)


def written_numbers(name: str) -> set[int]:
    """Every number written in a name: digit runs (and their pieces: `S02E03` has 2 and 3) and
    Chinese numerals (`第二季`)."""
    numbers = {int(run) for run in re.findall(r"\d+", name)}
    for run in re.findall(r"[零〇一二两三四五六七八九十]+", name):
        value = _chinese_number(run)
        if value is not None:
            numbers.add(value)
    return numbers


@dataclass
class Verdict:
    """The reading to match (None when the readers disagree past settling), whose titles it uses,
    and what was corrected, in words."""

    parsed: ParsedName | None
    source: str | None
    notes: list[str] = field(default_factory=list)
    reason: str | None = None


def _numbers(parsed: ParsedName) -> tuple:
    return (parsed.season, tuple(parsed.episodes), parsed.absolute_episode, parsed.air_date)


def _has_numbers(parsed: ParsedName) -> bool:
    return any(x not in (None, ()) for x in _numbers(parsed))


def describe(parsed: ParsedName) -> str:
    """`"Show" S02E03` / `"Film" (1999)` / `"Show" episode 15` / `"Show" 2024-03-12`: a reading, briefly."""
    text = f'"{parsed.title}"'
    if parsed.air_date:
        return f"{text} {parsed.air_date}"
    if parsed.season is not None and parsed.episodes:
        return text + f" S{parsed.season:02d}" + "".join(f"E{e:02d}" for e in parsed.episodes)
    if parsed.absolute_episode is not None or parsed.episodes:
        number = parsed.absolute_episode if parsed.absolute_episode is not None else parsed.episodes[0]
        return f"{text} episode {number}"
    if parsed.season is not None:
        return f"{text} season {parsed.season}"
    return text + (f" ({parsed.year})" if parsed.year else "")


def _written_only(llm: ParsedName, written: set[int], notes: list[str]) -> ParsedName:
    """The LLM's reading without the numbers the name does not carry."""
    changes: dict = {}
    if llm.year is not None and llm.year not in written:
        changes["year"] = None
        notes.append(f"the LLM's year {llm.year} is not in the name: dropped")
    if llm.episodes and not set(llm.episodes) <= written:
        changes.update(episodes=(), season=None)
        notes.append(f"the LLM's episode {list(llm.episodes)} is not in the name: dropped")
    elif llm.season not in (None, 0, 1) and llm.season not in written and not llm.episodes:
        changes["season"] = None
    if llm.absolute_episode is not None and llm.absolute_episode not in written:
        changes["absolute_episode"] = None
        notes.append(f"the LLM's absolute episode {llm.absolute_episode} is not in the name: dropped")
    if llm.air_date and not {int(p) for p in llm.air_date.split("-")} <= written:
        changes["air_date"] = None
        notes.append(f"the LLM's air date {llm.air_date} is not in the name: dropped")
    return dataclasses.replace(llm, **changes) if changes else llm


def title_written(title: str, name: str) -> bool:
    """Is `title` written in `name` (each of its words, case, width, accents and separators aside)?
    A title the name does not carry belongs to another name (a batch answer given to its
    neighbour) or to the model's memory, never to the evidence."""
    words = normalize_title(title).split()
    compact = normalize_title(name).replace(" ", "")
    return bool(words) and all(word in compact for word in words)


def _about_this_name(name: str, rules: ParsedName | None, llm: ParsedName, notes: list[str]) -> bool:
    """Is the LLM's reading about this name: one of its written titles in the name, or alike the
    rules' title (a spelling the model mended)?"""
    written = [strip_decoration(t) for t in (llm.title, llm.alt_title) if t]  # "YOLO Extended Edition"
    if any(title_written(t, name) for t in written):
        return True
    ours = rules.titles() if rules is not None else []
    if any(title_similarity(a, b) >= SAME_TITLE for a in written for b in ours):
        return True
    notes.append(f'the LLM\'s title "{llm.title}" is not in the name: its reading is not used')
    return False


def _explained(rules: ParsedName, llm: ParsedName) -> bool:
    """Does the LLM's numbering say the same as the rules' (in other words)?"""
    if _numbers(rules) == _numbers(llm) or not _has_numbers(llm):
        return True
    rule_eps = set(rules.episodes) | (
        {rules.absolute_episode} if rules.absolute_episode is not None else set()
    )
    if rules.air_date and rules.air_date == llm.air_date:
        return True
    if set(llm.episodes) and set(llm.episodes) == rule_eps:
        return rules.season is None or llm.season in (None, rules.season)  # "S01E15" for "- 15"
    return llm.absolute_episode is not None and llm.absolute_episode in rule_eps


def _numbers_from(rules: ParsedName, llm: ParsedName, notes: list[str]) -> dict:
    """The numbers to use when both readers answered: the rules', completed by the LLM's season."""
    numbers = {
        "season": rules.season,
        "episodes": rules.episodes,
        "absolute_episode": rules.absolute_episode,
        "air_date": rules.air_date,
    }
    if not _has_numbers(rules):
        return {**numbers, **dict(zip(numbers, _numbers(llm), strict=True))}
    same_episodes = set(llm.episodes) == set(
        rules.episodes or ((rules.absolute_episode,) if rules.absolute_episode else ())
    )
    if rules.season is None and llm.season is not None and same_episodes and not rules.air_date:
        default_one = llm.season == 1 and (rules.absolute_episode is not None or rules.season_hint)
        if not default_one:  # an arc or a later season the LLM knows; a bare "S01" it defaulted to is not
            numbers.update(season=llm.season, episodes=llm.episodes or rules.episodes, absolute_episode=None)
            notes.append(f"season {llm.season} from the LLM (the name gives none)")
    if _numbers(llm) != tuple(numbers.values()) and _has_numbers(llm):
        notes.append(f"numbers from the name kept over the LLM's ({describe(llm)})")
    return numbers


def reconcile(name: str, rules: ParsedName | None, llm: ParsedName | None) -> Verdict:
    """Given a name and what each reader read (None: not asked or unreadable), return the verdict."""
    notes: list[str] = []
    if rules is None and llm is None:
        return Verdict(None, None, reason="neither the rules nor the LLM could read a title from this name")
    if llm is None:
        return Verdict(_undecorated(rules, ()), "guessit", notes)
    if not _about_this_name(name, rules, llm, notes):
        if rules is None:
            return Verdict(None, None, notes, reason=notes[-1] + ", and the rules read no title")
        return Verdict(_undecorated(rules, ()), "guessit", notes)
    written = written_numbers(name)
    llm = _written_only(llm, written, notes)
    if rules is None:
        return Verdict(_undecorated(llm, ()), "llm", notes)
    if _has_numbers(llm) and _has_numbers(rules) and not _explained(rules, llm):
        llm_written = set(llm.episodes) <= written and (llm.season is None or llm.season in written)
        if llm_written and rules.season is not None and llm.season is not None:
            reason = (
                f"the name reads as {describe(rules)} to the rules but as {describe(llm)} to the LLM; "
                "nothing in the name settles which"
            )
            return Verdict(None, None, notes, reason=reason)
    numbers = _numbers_from(rules, llm, notes)
    media_type = llm.media_type or rules.media_type
    if any(v not in (None, ()) for v in numbers.values()):
        media_type = "tv"
    elif rules.media_type == "movie" and llm.media_type == "tv":
        media_type = "tv"  # meaning is the LLM's; with no episode number the match says so
    year = rules.year if rules.year is not None else llm.year
    if llm.year is not None and rules.year is not None and llm.year != rules.year:
        notes.append(f"year {rules.year} from the name kept over the LLM's {llm.year}")
    merged = dataclasses.replace(
        llm,
        year=year,
        media_type=media_type,
        season_hint=rules.season_hint or llm.season_hint,
        part=rules.part,
        episode_title=llm.episode_title or rules.episode_title,
        **numbers,
    )
    return Verdict(_undecorated(merged, rules.titles()), "llm", notes)


def _undecorated(parsed: ParsedName, more: tuple | list) -> ParsedName:
    """The reading with its titles undecorated: those written in the name (the other reader's after
    them) first, the titles the LLM knows from memory last."""
    written = [parsed.title, parsed.alt_title, *parsed.other_titles]
    titles = plain_titles([t for t in (*written, *more, *parsed.known_titles) if t])
    title, *rest = titles
    alt = rest[0] if rest else None
    return dataclasses.replace(
        parsed, title=title, alt_title=alt, known_titles=(), other_titles=tuple(rest[1:])
    )
