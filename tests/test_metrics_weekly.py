"""Weekly table (ISO weeks, activity) on the Q1 fixture. 2026-01-01 is a Thursday, so ISO week
2026-W01 runs Mon 2025-12-29 to Sun 2026-01-04 and Q1 touches weeks W01..W14."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analytics.filters import Filters
from analytics.metrics import week_over_week, weekly
from tests.conftest import add_lead

Q1 = Filters(date(2026, 1, 1), date(2026, 3, 31))


def by_label(df: pd.DataFrame) -> dict[str, dict]:
    return {r["label"]: r for r in df.to_dict(orient="records")}


def test_every_week_present_with_zeros(q1):
    df = weekly(q1, Q1)
    assert list(df["label"]) == [f"2026-W{n:02d}" for n in range(1, 15)]
    assert df["week"].iloc[0] == date(2025, 12, 29)


def test_weekly_counts(q1):
    w = by_label(weekly(q1, Q1))
    # W01: outside_before's MQL (Jan 2) and SQL (Jan 3) fall in Q1; its creation does not
    assert (w["2026-W01"]["leads"], w["2026-W01"]["mql"], w["2026-W01"]["sql"]) == (0, 1, 1)
    # W02 (Jan 5-11): lead_only, mql_only, sql_lost created; MQL of mql_only (8th), sql_lost (11th)
    assert (w["2026-W02"]["leads"], w["2026-W02"]["mql"]) == (3, 2)
    assert w["2026-W02"]["spend"] == 600.0
    assert w["2026-W02"]["cost_per_lead"] == pytest.approx(200.0)
    assert w["2026-W03"]["sql"] == 1  # sql_lost, Jan 15
    assert w["2026-W05"]["leads"] == 1  # won_full, Sunday Feb 1
    assert (w["2026-W06"]["mql"], w["2026-W06"]["sql"]) == (1, 1)  # won_full Feb 3 / Feb 5
    assert (w["2026-W07"]["opportunity"], w["2026-W07"]["spend"]) == (1, 400.0)
    assert (w["2026-W07"]["leads"]) == 1  # organic_mql, Sunday Feb 15
    assert (w["2026-W08"]["won"], w["2026-W08"]["revenue"]) == (1, 5000.0)
    assert w["2026-W08"]["mql"] == 1  # organic_mql, Monday Feb 16
    assert w["2026-W09"]["leads"] == 1  # reversed, Sunday Mar 1
    assert (w["2026-W10"]["mql"], w["2026-W10"]["sql"], w["2026-W10"]["opportunity"]) == (1, 1, 1)
    assert w["2026-W11"]["leads"] == 1  # undated_sql
    assert (w["2026-W14"]["leads"], w["2026-W14"]["spend"]) == (1, 1000.0)
    # totals agree with the activity funnel
    df = weekly(q1, Q1)
    assert df[["leads", "mql", "sql", "opportunity", "won"]].sum().tolist() == [8, 6, 4, 2, 1]
    assert df["spend"].sum() == 2000.0


def test_weekly_ignores_cohort_mode(q1):
    assert weekly(q1, Q1).equals(weekly(q1, Q1.with_mode("activity")))


def test_iso_week_boundary_sunday_night_vs_monday_morning(empty_con):
    add_lead(empty_con, "sun", "2026-03-08 23:59:59")  # Sunday: week 10
    add_lead(empty_con, "mon", "2026-03-09 00:00:00")  # Monday: week 11
    w = by_label(weekly(empty_con, Filters(date(2026, 3, 2), date(2026, 3, 15))))
    assert (w["2026-W10"]["leads"], w["2026-W11"]["leads"]) == (1, 1)


def test_iso_year_differs_from_calendar_year(empty_con):
    add_lead(empty_con, "a", "2027-01-01 10:00:00")  # Friday: ISO week 2026-W53
    w = weekly(empty_con, Filters(date(2027, 1, 1), date(2027, 1, 1)))
    assert list(w["label"]) == ["2026-W53"]


def test_lead_level_filter_drops_weekly_spend(q1):
    df = weekly(q1, Filters(date(2026, 1, 1), date(2026, 3, 31), owners=("Anna",)))
    assert df["spend"].isna().all()
    assert df["leads"].sum() == 3


def test_unbounded_period_spans_the_data(q1):
    df = weekly(q1, Filters())
    assert df["label"].iloc[0] == "2026-W01"  # outside_before, 2025-12-31 (W01 of 2026)
    assert df["label"].iloc[-1] == "2026-W15"  # won_skipped_sql won on 2026-04-09


def test_empty_database(empty_con):
    assert weekly(empty_con, Filters()).empty
    assert len(weekly(empty_con, Q1)) == 14  # bounded period: the weeks, all zero


def test_week_over_week():
    df = pd.DataFrame({"leads": [10, 15, 0, 5]})
    out = week_over_week(df, ("leads",))
    assert out["leads_change"].tolist()[1:] == [5, -15, 5]
    assert out["leads_change_pct"].tolist()[1] == pytest.approx(0.5)
    assert out["leads_change_pct"].tolist()[2] == pytest.approx(-1.0)
    assert pd.isna(out["leads_change_pct"].tolist()[3])  # from zero: no relative change
