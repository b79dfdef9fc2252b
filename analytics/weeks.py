"""Weeks: where a week starts, what it is called, which one is "last week".

The metric contract counts in ISO weeks (Monday to Sunday, labelled ``2026-W05``); the setting
``week_start`` may switch the Weekly review to Sunday weeks (Sunday to Saturday), which have no
ISO number and are labelled by their first day (``2026-11-08``). The CLI report stays ISO.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Final, Literal

WeekStart = Literal["monday", "sunday"]
WEEK_STARTS: Final[tuple[WeekStart, ...]] = ("monday", "sunday")
DEFAULT_WEEK_START: Final[WeekStart] = "monday"

_ISO_LABEL = re.compile(r"^(\d{4})-W(\d{2})$")


def check_week_start(week_start: str) -> WeekStart:
    """``week_start`` itself if it is known, else a ValueError that lists the choices."""
    if week_start == "monday":
        return "monday"
    if week_start == "sunday":
        return "sunday"
    raise ValueError(f"week_start must be one of {', '.join(WEEK_STARTS)}, got {week_start!r}")


def week_of(day: date, week_start: WeekStart = DEFAULT_WEEK_START) -> date:
    """The first day of the week holding ``day`` (a Monday or a Sunday)."""
    check_week_start(week_start)
    shift = day.weekday() if week_start == "monday" else (day.weekday() + 1) % 7
    return day - timedelta(days=shift)


def week_end(start: date) -> date:
    """The last day of the week that begins on ``start``."""
    return start + timedelta(days=6)


def week_label(start: date, week_start: WeekStart = DEFAULT_WEEK_START) -> str:
    """``2026-W05`` for a Monday week (ISO year and number), ``2026-11-08`` for a Sunday week."""
    if check_week_start(week_start) == "monday":
        year, number, _ = start.isocalendar()
        return f"{year}-W{number:02d}"
    return start.isoformat()


def parse_week(text: str, week_start: WeekStart = DEFAULT_WEEK_START) -> date | None:
    """The first day of the week named by ``text`` (``2026-W05`` or any day in the week).

    Either form is accepted whatever ``week_start`` is, so a link made with the other setting
    still opens the week that holds the day it names. None if ``text`` names no week.
    """
    text = text.strip()
    match = _ISO_LABEL.match(text)
    try:
        if match:
            day = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        else:
            day = date.fromisoformat(text)
    except ValueError:
        return None
    return week_of(day, week_start)


def last_complete_week(
    today: date, last_data_day: date | None = None, week_start: WeekStart = DEFAULT_WEEK_START
) -> date:
    """The first day of the latest week that has ended before today and is covered by the data.

    With data up to ``last_data_day`` (inclusive), a week still counts as complete when it ends
    on that day; a week the data stops in the middle of does not. Without a data bound it is
    simply the week before the current one.
    """
    reference = today
    if last_data_day is not None and last_data_day + timedelta(days=1) < reference:
        reference = last_data_day + timedelta(days=1)
    return week_of(reference, week_start) - timedelta(days=7)


def weeks_between(
    first: date, last: date, week_start: WeekStart = DEFAULT_WEEK_START
) -> list[date]:
    """First days of every week from the one holding ``first`` to the one holding ``last``."""
    start, stop = week_of(first, week_start), week_of(last, week_start)
    out = []
    while start <= stop:
        out.append(start)
        start += timedelta(days=7)
    return out


def week_trunc_sql(expr: str, week_start: WeekStart = DEFAULT_WEEK_START) -> str:
    """SQL for the first day (a DATE) of the week holding ``expr`` (trusted SQL, a DATE or
    TIMESTAMP). DuckDB's ``date_trunc('week', ...)`` is ISO (Monday); a Sunday week is the ISO
    week of the next day, moved back one day."""
    if check_week_start(week_start) == "monday":
        return f"date_trunc('week', {expr})::DATE"
    return f"(date_trunc('week', ({expr}) + INTERVAL 1 DAY)::DATE - INTERVAL 1 DAY)::DATE"


def week_label_sql(expr: str, week_start: WeekStart = DEFAULT_WEEK_START) -> str:
    """SQL for :func:`week_label` of a week's first day ``expr`` (a DATE)."""
    if check_week_start(week_start) == "monday":
        return f"strftime({expr}, '%G-W%V')"
    return f"strftime({expr}, '%Y-%m-%d')"
