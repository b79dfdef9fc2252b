"""Cohorts by creation week on the Q1 fixture (conftest.build_q1), worked out by hand.

Leads created in Q1 by ISO week, with the stage each reached:
  W02 (Jan 5-11): lead_only (lead), mql_only (mql), sql_lost (sql)
  W05 (Jan 26 - Feb 1): won_full (won, Sunday Feb 1)
  W07 (Feb 9-15): organic_mql (mql, Sunday Feb 15)
  W09 (Feb 23 - Mar 1): reversed (opportunity, Sunday Mar 1)
  W11 (Mar 9-15): undated_sql (sql, no dates: reached MQL by skipping it)
  W14 (Mar 30 - Apr 5): won_skipped_sql (won, skipped SQL; created Mar 31 23:59:59)
outside_before (Dec 31, in W01) is created before the period: W01 is empty.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analytics.filters import Filters
from analytics.metrics import summary
from analytics.metrics.cohorts import cohorts

Q1 = Filters(date(2026, 1, 1), date(2026, 3, 31))


def by_label(df: pd.DataFrame) -> dict[str, dict]:
    return {r["label"]: r for r in df.to_dict(orient="records")}


def test_cohort_counts_and_shares(q1):
    df = cohorts(q1, Q1, as_of=date(2026, 4, 15), cycle_days=17)
    assert df["label"].tolist() == [f"2026-W{n:02d}" for n in range(1, 15)]
    c = by_label(df)
    w02 = c["2026-W02"]
    assert [w02[k] for k in ("leads", "mql", "sql", "opportunity", "won")] == [3, 2, 1, 0, 0]
    assert (w02["share_mql"], w02["share_sql"]) == (pytest.approx(2 / 3), pytest.approx(1 / 3))
    assert (w02["share_opportunity"], w02["share_won"]) == (0.0, 0.0)
    # skipped stages count as passed: every stage of won_skipped_sql, MQL of undated_sql
    assert [c["2026-W14"][f"share_{s}"] for s in ("mql", "sql", "opportunity", "won")] == [1] * 4
    assert (c["2026-W11"]["share_mql"], c["2026-W11"]["share_sql"]) == (1.0, 1.0)
    assert c["2026-W11"]["share_opportunity"] == 0.0
    assert [c["2026-W09"][k] for k in ("mql", "sql", "opportunity", "won")] == [1, 1, 1, 0]
    # weeks without leads: size 0, no share (not 0%)
    assert c["2026-W01"]["leads"] == 0 and pd.isna(c["2026-W01"]["share_mql"])
    # the cohorts add up to the cohort funnel of the whole period
    s = summary(q1, Q1)
    assert df[["leads", "mql", "sql", "opportunity", "won"]].sum().tolist() == [
        s.count(st) for st in ("lead", "mql", "sql", "opportunity", "won")
    ]


def test_age_and_maturity(q1):
    """as_of Wed 2026-04-15, typical cycle 17 days. Age = days from the week's Sunday:
    W14 ends Apr 5 -> 10 days (too young); W13 ends Mar 29 -> 17 (exactly the cycle: mature);
    W11 ends Mar 15 -> 31."""
    c = by_label(cohorts(q1, Q1, as_of=date(2026, 4, 15), cycle_days=17))
    assert (c["2026-W14"]["age_days"], c["2026-W14"]["mature"]) == (10, False)
    assert (c["2026-W13"]["age_days"], c["2026-W13"]["mature"]) == (17, True)
    assert (c["2026-W11"]["age_days"], c["2026-W11"]["mature"]) == (31, True)
    assert c["2026-W01"]["age_days"] == 101  # Jan 4 -> Apr 15


def test_a_week_that_has_not_ended_is_zero_days_old(q1):
    # as_of Wed Apr 1 lies inside W14 (Mar 30 - Apr 5): its newest leads may be created today
    c = by_label(cohorts(q1, Q1, as_of=date(2026, 4, 1), cycle_days=0.5))
    assert (c["2026-W14"]["age_days"], c["2026-W14"]["mature"]) == (0, False)
    assert (c["2026-W13"]["age_days"], c["2026-W13"]["mature"]) == (3, True)


def test_unknown_cycle_calls_nothing_mature(q1):
    df = cohorts(q1, Q1, as_of=date(2027, 1, 1), cycle_days=None)
    assert not df["mature"].any()
    assert df.attrs["cycle_days"] is None


def test_cohorts_ignore_the_mode(q1):
    a = cohorts(q1, Q1, as_of=date(2026, 4, 15), cycle_days=17)
    b = cohorts(q1, Q1.with_mode("activity"), as_of=date(2026, 4, 15), cycle_days=17)
    assert a.equals(b)


def test_sunday_week_cohorts(q1):
    """Sunday weeks: won_full (Sun Feb 1) and organic_mql (Sun Feb 15) open their weeks;
    sql_lost (Sat Jan 10) stays with lead_only and mql_only in the week of Sun Jan 4."""
    c = by_label(cohorts(q1, Q1, as_of=date(2026, 4, 15), cycle_days=17, week_start="sunday"))
    assert (c["2026-01-04"]["leads"], c["2026-01-04"]["sql"]) == (3, 1)
    assert (c["2026-02-01"]["leads"], c["2026-02-01"]["won"]) == (1, 1)
    assert (c["2026-02-15"]["leads"], c["2026-02-15"]["mql"]) == (1, 1)
    assert c["2026-01-25"]["leads"] == 0  # ISO W05 held won_full; its Sunday week does not


def test_filters_apply(q1):
    boris = Filters(date(2026, 1, 1), date(2026, 3, 31), owners=("Boris",))
    c = by_label(cohorts(q1, boris, as_of=date(2026, 4, 15), cycle_days=17))
    # Boris: won_full (W05), won_skipped_sql (W14), organic_mql (W07)
    assert [c[w]["leads"] for w in ("2026-W02", "2026-W05", "2026-W07", "2026-W14")] == [0, 1, 1, 1]


def test_empty(empty_con):
    assert cohorts(empty_con, Filters(), as_of=date(2026, 1, 1), cycle_days=None).empty
    df = cohorts(empty_con, Q1, as_of=date(2026, 4, 15), cycle_days=17)
    assert len(df) == 14 and df["leads"].sum() == 0 and df["share_won"].isna().all()
