"""The layout settings links were made with, kept in the Meta table, and the warning when they changed.

NAMING, the templates, TMDB_LANGUAGE and CATEGORY_FILE decide where a link goes. They are
remembered while the library holds no link yet (so: the layout links are made with), and again by
`relink` once every link follows today's settings. A change in between only affects new links;
`run`, `scan` and `check` then say so and name `relink`.
"""

from __future__ import annotations

import json

from clearmedia.config import Settings
from clearmedia.store.models import MediaFile, Meta, Status

META_KEY = "layout"


def stored_layout() -> dict[str, str] | None:
    value = Meta.get_value(META_KEY)
    try:
        return json.loads(value) if value else None
    except ValueError:
        return None


def remember_layout(settings: Settings) -> None:
    Meta.set_value(META_KEY, json.dumps(settings.layout(), ensure_ascii=False, sort_keys=True))


def has_links() -> bool:
    return (
        MediaFile.select()
        .where((MediaFile.status == Status.COMPLETED) & MediaFile.target.is_null(False))
        .exists()
    )


def changed_settings(settings: Settings, *, remember: bool = True) -> dict[str, tuple[str, str]]:
    """{setting: (old, new)} for each layout setting that differs from the links' layout.

    With `remember`, the layout in force is stored when nothing is stored yet or no link exists
    (a database from before this check, or an empty library).
    """
    stored = stored_layout()
    current = settings.layout()
    if stored is None or not has_links():
        if remember and stored != current:
            remember_layout(settings)
        return {}
    return {
        name: (stored.get(name, ""), value)
        for name, value in current.items()
        if stored.get(name, "") != value
    }


def describe_change(changed: dict[str, tuple[str, str]]) -> str:
    """One sentence for people: what changed, and that `relink` moves the existing links."""
    parts = ", ".join(
        f"{name} {old or '(unset)'} -> {new or '(unset)'}" for name, (old, new) in changed.items()
    )
    return (
        f"the library layout changed since links were made ({parts}): existing links follow the "
        "old layout and only new links use the new one; `clearmedia relink` moves the existing "
        "links (try `clearmedia relink --dry-run` first)"
    )


def layout_warning(settings: Settings, *, remember: bool = True) -> str | None:
    """The warning to show at the start of `run`, `scan` and `check`, or None."""
    changed = changed_settings(settings, remember=remember)
    return describe_change(changed) if changed else None


def warn_if_layout_changed(settings: Settings, *, remember: bool = True) -> None:
    """Log the layout warning (for `run` and `scan`), if the layout changed."""
    from loguru import logger

    warning = layout_warning(settings, remember=remember)
    if warning:
        logger.warning(warning)
