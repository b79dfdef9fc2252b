"""Period presets, defined once: what "last week" means is the same on every page and in the CLI."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

PRESETS: Final[tuple[str, ...]] = (
    "last_week",
    "last_4_weeks",
    "this_quarter",
    "last_12_months",
    "all_time",
    "custom",
)
DEFAULT_PRESET: Final[str] = "last_4_weeks"


def week_start(day: date) -> date:
    """Monday of the ISO week holding ``day``."""
    return day - timedelta(days=day.weekday())


def preset_period(preset: str, today: date) -> tuple[date | None, date | None]:
    """The inclusive dates of a preset; ``(None, None)`` for all time.

    last_week: the last complete ISO week (Monday-Sunday) before the current one.
    last_4_weeks: the four complete ISO weeks before the current one.
    this_quarter: the first day of the current quarter to today.
    last_12_months: the 365 days ending today.
    """
    if preset == "last_week":
        end = week_start(today) - timedelta(days=1)
        return end - timedelta(days=6), end
    if preset == "last_4_weeks":
        end = week_start(today) - timedelta(days=1)
        return end - timedelta(days=27), end
    if preset == "this_quarter":
        first_month = 3 * ((today.month - 1) // 3) + 1
        return date(today.year, first_month, 1), today
    if preset == "last_12_months":
        return today - timedelta(days=364), today
    if preset == "all_time":
        return None, None
    raise ValueError(f"unknown period preset {preset!r}; use one of {', '.join(PRESETS[:-1])}")
