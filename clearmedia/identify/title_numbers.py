"""A number that is part of an anime's title: `[Sub] Mob Psycho 100 II - 03`, `Mob Psycho 100 - 07`.

guessit reads the title's "100" as a second episode ([100, 3]) or as S01 with "00 II" as the episode's
title. In the fansub form "Title NUM [NUMERAL] - EP", the number before " - EP" belongs to the
title when guessit made it an episode too; the numeral after it is then read as a season by
numbered_season (only where TMDB lists that season and episode).
"""

from __future__ import annotations

import re

_LEADING_TAGS = re.compile(r"^(?:\s*[\[【(][^\]】)]*[\]】)])+\s*")
_FANSUB_FORM = re.compile(
    r"^(?P<title>.*?[^\W\d_].*?\s(?P<number>\d{1,4})(?:\s(?P<numeral>[IVX]{1,4}))?)"
    r"\s-\s(?P<episode>\d{1,4})(?:v\d)?(?=$|[\s\[(.])"
)
_SEASON_WRITTEN = re.compile(r"(?i)(?<![^\W_])s\d|season|第")


def mend_title_number(guess, filename: str) -> None:
    """Put a title's number back into guessit's title (in place) when guessit took it for an episode."""
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    form = _FANSUB_FORM.match(_LEADING_TAGS.sub("", stem))
    title = guess.get("title")
    if form is None or not isinstance(title, str):
        return
    episode = guess.get("episode")
    episodes = episode if isinstance(episode, list) else [episode]
    number, wanted = int(form.group("number")), int(form.group("episode"))
    leftover = str(guess.get("episode_title") or "")
    took_number = number in episodes or (leftover and form.group("title").endswith(leftover))
    if wanted not in episodes or not took_number or form.group("number") in title.split():
        return
    if not form.group("title").lower().startswith(title.lower()):
        return
    guess["title"], guess["episode"] = form.group("title").strip(), wanted
    guess.pop("episode_title", None)
    if not _SEASON_WRITTEN.search(form.group("title")):
        guess.pop("season", None)  # "Psycho 1|00": guessit's season 1 came from the title's number
