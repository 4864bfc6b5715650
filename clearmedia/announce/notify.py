"""Notices through Apprise: a batch of outcomes becomes one message, in Chinese or English.

Apprise speaks WeCom bots, Bark, ServerChan, PushPlus, Telegram, ntfy, Gotify, json:// and the
rest; this module only writes the words. Apprise URLs hold tokens, so no URL is ever logged:
a notifier is named by its position in NOTIFY_URLS and its scheme (`notifier 2 (tgram://)`),
Apprise's own logger is silenced, and secrets are scrubbed from the message text as well.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence

import backoff
from loguru import logger

from clearmedia.announce.outcome import Outcome, episode_tag

#: Lines listed per section; the rest are counted ("… and 12 more").
MAX_LINES = 40
TRIES = 3

TEXT = {
    "en": {
        "title": "ClearMedia: {parts}",
        "completed": "{n} linked",
        "failed": "{n} failed",
        "conflict": "{n} conflict(s)",
        "head_completed": "Linked ({n}):",
        "head_failed": "Failed ({n}):",
        "head_conflict": "Conflicts ({n}):",
        "more": "… and {n} more",
        "hint": "Details: clearmedia list --status FAILED (or CONFLICT); try again: clearmedia retry ID",
        "test": "ClearMedia test notice: this notifier works.",
    },
    "zh": {
        "title": "ClearMedia：{parts}",
        "completed": "已入库 {n} 个",
        "failed": "失败 {n} 个",
        "conflict": "冲突 {n} 个",
        "head_completed": "已入库（{n}）：",
        "head_failed": "失败（{n}）：",
        "head_conflict": "冲突（{n}）：",
        "more": "……另有 {n} 个",
        "hint": "详情：clearmedia list --status FAILED（或 CONFLICT）；重试：clearmedia retry 编号",
        "test": "ClearMedia 测试通知：此通知渠道可用。",
    },
}


def language_of(tmdb_language: str) -> str:
    """`zh` for TMDB_LANGUAGE zh-*, else `en`."""
    return "zh" if tmdb_language.lower().startswith("zh") else "en"


def quiet_apprise() -> None:
    """Apprise logs URLs and responses that may hold tokens: keep its logger out of ours."""
    apprise_log = logging.getLogger("apprise")
    apprise_log.propagate = False
    if not any(isinstance(h, logging.NullHandler) for h in apprise_log.handlers):
        apprise_log.addHandler(logging.NullHandler())  # else logging's last resort prints it


def scheme_of(url: str) -> str:
    """`tgram://` for a URL (never more of it); `?://` when it has no readable scheme."""
    match = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]{0,19})://", url)
    return f"{match.group(1).lower()}://" if match else "?://"


def describe(index: int, url: str) -> str:
    """How a notifier is named in logs and output: `notifier 2 (tgram://)`."""
    return f"notifier {index + 1} ({scheme_of(url)})"


def load(url: str):
    """An Apprise object for one URL, or None when Apprise cannot read it."""
    import apprise

    quiet_apprise()
    target = apprise.Apprise()
    return target if target.add(url) else None


def _works(outcomes: list[Outcome]) -> list[str]:
    """Library names; episodes of one season are joined (`Show (2008) S01E01-E24`)."""
    lines: dict[tuple, list[Outcome]] = {}
    for outcome in outcomes:
        key = (
            (outcome.work, outcome.season)
            if outcome.media_type == "tv" and outcome.episodes
            else (outcome.label,)
        )
        lines.setdefault(key, []).append(outcome)
    shown = []
    for key, group in lines.items():
        if len(key) == 1:
            shown.append(key[0])
            continue
        numbers = sorted({n for o in group for n in o.episodes})
        shown.append(f"{key[0]} {_runs(key[1], numbers)}")
    return shown


def _runs(season: int | None, numbers: list[int]) -> str:
    """`S01E01-E03, S01E05` for episodes 1, 2, 3 and 5."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(episode_tag(season, (run[0], run[-1])) for run in runs)


def _problem(outcome: Outcome) -> str:
    name = outcome.source.rsplit("/", 1)[-1]
    return f"[{outcome.file_id}] {name}: {outcome.reason or outcome.status}"


def compose(outcomes: Sequence[Outcome], language: str, secrets: Iterable[str] = ()) -> tuple[str, str, str]:
    """(title, body, apprise notify type) of one message for a batch of outcomes."""
    words = TEXT[language]
    groups = {
        event: [o for o in outcomes if o.event == event] for event in ("completed", "failed", "conflict")
    }
    parts, body = [], []
    for event, group in groups.items():
        if not group:
            continue
        parts.append(words[event].format(n=len(group)))
        lines = _works(group) if event == "completed" else [_problem(o) for o in group]
        body.append(words[f"head_{event}"].format(n=len(group)))
        body.extend(f"• {line}" for line in lines[:MAX_LINES])
        if len(lines) > MAX_LINES:
            body.append(words["more"].format(n=len(lines) - MAX_LINES))
    problems = groups["failed"] or groups["conflict"]
    if problems:
        body.append(words["hint"])
    separator = "，" if language == "zh" else ", "
    title = words["title"].format(parts=separator.join(parts))
    text = "\n".join(body)
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        title, text = title.replace(secret, "***"), text.replace(secret, "***")
    kind = "failure" if groups["failed"] and not groups["completed"] else "warning" if problems else "success"
    return title, text, kind


class Notifier:
    """Sends one message to every NOTIFY_URLS entry Apprise can read (each on its own, so a
    retry never repeats a message to a notifier that already got it)."""

    def __init__(self, urls: Sequence[str], language: str, secrets: Iterable[str] = (), start: int = 0):
        """`start`: the index of `urls[0]` in NOTIFY_URLS, so names match `check`'s."""
        self.language = language
        self.secrets = tuple(secrets)
        self.targets = []
        for index, url in enumerate(urls, start):
            target = load(url)
            if target is None:
                logger.warning(
                    "{} in NOTIFY_URLS cannot be read by Apprise; it is skipped", describe(index, url)
                )
            else:
                self.targets.append((describe(index, url), target))

    def send_text(self, title: str, body: str, kind: str = "info", tries: int = TRIES) -> list[str]:
        """Send to every notifier (retrying with backoff); return the names of those that failed."""
        failed = []
        for name, target in self.targets:

            @backoff.on_predicate(backoff.expo, lambda ok: not ok, max_tries=tries, logger=None)
            def send(target=target, name=name) -> bool:
                try:
                    return bool(target.notify(body=body, title=title, notify_type=kind, body_format="text"))
                except Exception as error:  # a plugin bug must not end the announcer
                    logger.debug("{}: {}", name, type(error).__name__)
                    return False

            if not send():
                failed.append(name)
        return failed

    def send(self, outcomes: Sequence[Outcome], tries: int = TRIES) -> list[str]:
        """One message for the batch; failures are logged (without URLs) and the notice dropped."""
        if not outcomes or not self.targets:
            return []
        title, body, kind = compose(outcomes, self.language, self.secrets)
        failed = self.send_text(title, body, kind, tries)
        for name in failed:
            logger.warning(
                "{}: the notice about {} file(s) could not be sent; it is dropped", name, len(outcomes)
            )
        return failed

    def test(self) -> list[str]:
        """Send a test notice; return the names of the notifiers that failed."""
        words = TEXT[self.language]
        return self.send_text("ClearMedia", words["test"], "info", tries=1)
