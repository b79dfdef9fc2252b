"""Cohorts by creation week: how far the leads of each week got, and whether it is too early
to judge."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd

from analytics.filters import Filters, in_period, lead_conditions
from analytics.metrics._common import frame
from analytics.metrics.breakdown import reached_counts
from analytics.model import STAGES
from analytics.sql import Query, Sql, join, where
from analytics.weeks import DEFAULT_WEEK_START, WeekStart, week_label_sql, week_trunc_sql

#: The stages a cohort's share is shown for (every lead has reached "lead").
COHORT_STAGES = STAGES[1:]


def cohorts_query(f: Filters, week_start: WeekStart = DEFAULT_WEEK_START) -> Query:
    conds = [*lead_conditions(f, "l"), in_period("l.created_at", f)]
    lo = (
        Sql(week_trunc_sql("?::DATE", week_start), (f.date_from,))
        if f.date_from
        else Sql("(SELECT min(week) FROM agg)")
    )
    hi = (
        Sql(week_trunc_sql("?::DATE", week_start), (f.date_to,))
        if f.date_to
        else Sql("(SELECT max(week) FROM agg)")
    )
    shares = "".join(
        f",\n       c.{s} / nullif(c.leads, 0)::DOUBLE AS share_{s}" for s in COHORT_STAGES
    )
    sql = (
        # grouped by (week, stage) first: "reached S" is summed over those rows (reached_counts)
        "WITH agg AS (\n  SELECT s.week, " + join(reached_counts("s"), ", ") + "\n  FROM (\n"
        f"    SELECT {week_trunc_sql('l.created_at', week_start)} AS week, l.stage AS stage, "
        "count(*) AS n\n    FROM leads l "
        + where(conds)
        + "\n    GROUP BY ALL\n  ) s\n  GROUP BY s.week\n),\n"
        "bounds AS (SELECT " + lo + " AS lo, " + hi + " AS hi),\n"
        "weeks AS (\n  SELECT unnest(generate_series(lo::TIMESTAMP, hi::TIMESTAMP, INTERVAL 7 DAY))"
        "::DATE AS week\n  FROM bounds WHERE lo IS NOT NULL\n),\n"
        "c AS (\n  SELECT w.week, coalesce(agg.leads, 0) AS leads"
        + "".join(f", coalesce(agg.{s}, 0) AS {s}" for s in COHORT_STAGES)
        + "\n  FROM weeks w LEFT JOIN agg ON agg.week = w.week\n)\n"
        f"SELECT c.week, {week_label_sql('c.week', week_start)} AS label, c.leads"
        + "".join(f", c.{s}" for s in COHORT_STAGES)
        + shares
        + "\nFROM c ORDER BY c.week"
    )
    return Query(sql, "cohorts")


def cohorts(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    *,
    as_of: date,
    cycle_days: float | None,
    week_start: WeekStart = DEFAULT_WEEK_START,
) -> pd.DataFrame:
    """One row per creation week of the period (weeks without leads included, shares None).

    A cohort = the leads created in that week (and in the period) that match the filters,
    whatever ``f.mode`` is. ``leads`` = its size; ``mql`` ... ``won`` = how many of them have
    reached the stage by now (skipped stages count as passed); ``share_<stage>`` = that count /
    leads. ``age_days`` = whole days from the week's last day (or ``as_of``, if the week has
    not ended) to ``as_of``: the age of the cohort's youngest possible lead. ``mature`` = the
    cohort is at least ``cycle_days`` old (the typical lead-to-client time); younger cohorts
    are still converting and are too young to judge. Without a known cycle (no clients with
    dates) no cohort is called mature.
    """
    df = frame(con, cohorts_query(f, week_start))
    df["week"] = pd.to_datetime(df["week"]).dt.date
    ages = [(as_of - min(w + timedelta(days=6), as_of)).days for w in df["week"]]
    df["age_days"] = pd.Series(ages, index=df.index, dtype="int64")
    df["mature"] = [cycle_days is not None and age >= cycle_days for age in ages]
    df.attrs["cycle_days"] = cycle_days
    df.attrs["as_of"] = as_of
    return df
