"""Weeks: Monday (ISO) and Sunday starts, labels, links, "last complete week".

Calendar facts used below (checked on a calendar): 2026-11-22 is a Sunday, 2026-11-09 a Monday
(ISO week 46: 2026 began on a Thursday, so W01 runs Mon 2025-12-29 .. Sun 2026-01-04, and
2026-11-09 is 315 days = 45 weeks after 2025-12-29). 2027-01-01 is a Friday in ISO week 2026-W53.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from analytics.weeks import (
    check_week_start,
    last_complete_week,
    parse_week,
    week_end,
    week_label,
    week_of,
    week_trunc_sql,
    weeks_between,
)

D = date.fromisoformat


@pytest.mark.parametrize(
    ("day", "week_start", "expected"),
    [
        ("2026-11-22", "monday", "2026-11-16"),  # Sunday closes the ISO week begun on Monday
        ("2026-11-16", "monday", "2026-11-16"),
        ("2026-11-22", "sunday", "2026-11-22"),  # Sunday opens a Sunday week
        ("2026-11-21", "sunday", "2026-11-15"),  # Saturday closes it
        ("2027-01-01", "monday", "2026-12-28"),
        ("2027-01-01", "sunday", "2026-12-27"),
    ],
)
def test_week_of(day, week_start, expected):
    assert week_of(D(day), week_start) == D(expected)


def test_week_end_and_labels():
    assert week_end(D("2026-11-09")) == D("2026-11-15")
    assert week_label(D("2026-11-09")) == "2026-W46"
    assert week_label(D("2026-12-28")) == "2026-W53"  # ISO year, not calendar year
    assert week_label(D("2025-12-29")) == "2026-W01"
    assert week_label(D("2026-11-08"), "sunday") == "2026-11-08"


@pytest.mark.parametrize(
    ("text", "week_start", "expected"),
    [
        ("2026-W46", "monday", "2026-11-09"),
        ("2026-W46", "sunday", "2026-11-08"),  # the Sunday week holding that Monday
        ("2026-11-12", "monday", "2026-11-09"),  # any day names its week
        ("2026-11-12", "sunday", "2026-11-08"),
        (" 2026-W01 ", "monday", "2025-12-29"),
        ("2026-W60", "monday", None),
        ("2026-02-30", "monday", None),
        ("last week", "monday", None),
        ("", "monday", None),
    ],
)
def test_parse_week(text, week_start, expected):
    assert parse_week(text, week_start) == (D(expected) if expected else None)


@pytest.mark.parametrize(
    ("today", "last_data_day", "week_start", "expected"),
    [
        ("2026-11-22", None, "monday", "2026-11-09"),  # W46; W47 (16-22) has not ended
        ("2026-11-23", None, "monday", "2026-11-16"),  # Monday: W47 is complete now
        ("2026-11-22", None, "sunday", "2026-11-15"),  # Sun 15 .. Sat 21
        ("2026-11-22", "2026-11-22", "monday", "2026-11-09"),
        ("2026-11-22", "2026-11-18", "monday", "2026-11-09"),  # data stop mid-W47
        ("2026-11-22", "2026-11-15", "monday", "2026-11-09"),  # data end on W46's Sunday
        ("2026-11-22", "2026-11-14", "monday", "2026-11-02"),  # W46 lacks its Sunday
        ("2026-11-22", "2026-11-14", "sunday", "2026-11-08"),  # Sun 8 .. Sat 14 is whole
        ("2026-11-22", "2027-03-01", "monday", "2026-11-09"),  # data beyond today: today rules
    ],
)
def test_last_complete_week(today, last_data_day, week_start, expected):
    last = D(last_data_day) if last_data_day else None
    assert last_complete_week(D(today), last, week_start) == D(expected)


def test_weeks_between():
    assert weeks_between(D("2026-11-04"), D("2026-11-16")) == [
        D("2026-11-02"),
        D("2026-11-09"),
        D("2026-11-16"),
    ]
    assert weeks_between(D("2026-11-08"), D("2026-11-08"), "sunday") == [D("2026-11-08")]


def test_unknown_week_start_is_refused():
    with pytest.raises(ValueError, match="monday, sunday"):
        check_week_start("friday")
    with pytest.raises(ValueError):
        week_trunc_sql("x", "friday")  # type: ignore[arg-type]


@pytest.mark.parametrize("week_start", ["monday", "sunday"])
def test_sql_week_start_agrees_with_python_for_every_day_and_time(empty_con, week_start):
    """Three weeks of timestamps at 00:00:00 and 23:59:59: SQL and Python put each in the same
    week."""
    moments = []
    for i in range(21):
        day = D("2026-02-23") + timedelta(days=i)
        moments += [
            datetime.combine(day, datetime.min.time()),
            datetime(*day.timetuple()[:3], 23, 59, 59),
        ]
    for moment in moments:
        row = empty_con.execute(
            f"SELECT {week_trunc_sql('?::TIMESTAMP', week_start)}", [moment]
        ).fetchone()
        assert row[0] == week_of(moment.date(), week_start), moment
