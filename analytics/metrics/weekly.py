"""ISO weeks (Monday start), always in activity mode: what happened in each week."""

from __future__ import annotations

from dataclasses import replace

import duckdb
import pandas as pd

from analytics.filters import Filters, cost_conditions, in_period, lead_conditions
from analytics.metrics._common import frame
from analytics.model import STAGE_TIMESTAMP
from analytics.sql import Query, Sql, join, where

WEEKLY_COUNTS: tuple[str, ...] = ("leads", "mql", "sql", "opportunity", "won")


def weekly_query(f: Filters) -> Query:
    f = replace(f, mode="activity")
    names = dict(zip(STAGE_TIMESTAMP, WEEKLY_COUNTS, strict=True))
    events = []
    for stage, ts in STAGE_TIMESTAMP.items():
        value = "l.deal_value" if stage == "won" else "NULL::DECIMAL(18,2)"
        events.append(
            f"SELECT date_trunc('week', l.{ts})::DATE AS week, '{names[stage]}' AS what, "
            f"{value} AS value FROM base l WHERE " + in_period(f"l.{ts}", f)
        )
    counts = ",\n         ".join(
        f"count(*) FILTER (WHERE what = '{n}') AS {n}" for n in WEEKLY_COUNTS
    )
    if f.costs_defined:
        spend = (
            "SELECT date_trunc('week', cc.day)::DATE AS week, sum(cc.spend) AS spend\n"
            "  FROM campaign_costs cc " + where(cost_conditions(f, "cc")) + " GROUP BY 1"
        )
    else:
        spend = Sql("SELECT NULL::DATE AS week, NULL::DECIMAL(38,2) AS spend WHERE FALSE")
    lo = (
        Sql("date_trunc('week', ?::DATE)::DATE", (f.date_from,))
        if f.date_from
        else Sql("least((SELECT min(week) FROM agg), (SELECT min(week) FROM sp))")
    )
    hi = (
        Sql("date_trunc('week', ?::DATE)::DATE", (f.date_to,))
        if f.date_to
        else Sql("greatest((SELECT max(week) FROM agg), (SELECT max(week) FROM sp))")
    )
    sql = (
        "WITH base AS (\n  SELECT l.* FROM leads l " + where(lead_conditions(f, "l")) + "\n),\n"
        "ev AS (\n  " + join(events, "\n  UNION ALL\n  ") + "\n),\n"
        "agg AS (\n  SELECT week,\n         " + counts + ",\n"
        "         sum(value) AS revenue\n  FROM ev GROUP BY week\n),\n"
        "sp AS (\n  " + spend + "\n),\n"
        "bounds AS (SELECT " + lo + " AS lo, " + hi + " AS hi),\n"
        "weeks AS (\n  SELECT unnest(generate_series(lo::TIMESTAMP, hi::TIMESTAMP, INTERVAL 7 DAY))"
        "::DATE AS week\n  FROM bounds WHERE lo IS NOT NULL\n)\n"
        "SELECT w.week, strftime(w.week, '%G-W%V') AS label,\n"
        + "".join(f"       coalesce(agg.{n}, 0) AS {n},\n" for n in WEEKLY_COUNTS)
        + "       coalesce(agg.revenue, 0)::DOUBLE AS revenue,\n"
        + (
            "       coalesce(sp.spend, 0)::DOUBLE AS spend,\n"
            if f.costs_defined
            else "       NULL::DOUBLE AS spend,\n"
        )
        + "       sp.spend::DOUBLE / nullif(agg.leads, 0) AS cost_per_lead\n"
        "FROM weeks w LEFT JOIN agg ON agg.week = w.week LEFT JOIN sp ON sp.week = w.week\n"
        "ORDER BY w.week"
    )
    return Query(sql, "weekly")


def weekly(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """One row per ISO week overlapping the period, weeks without events included as zeros.

    Always activity mode, whatever ``f.mode``: leads = created that week, mql/sql/opportunity/won
    = stage timestamp that week, revenue = deal values of leads won that week, spend = cost
    days that week; only days inside the period count (edge weeks may be partial).
    cost_per_lead = spend / leads (None if no leads or spend is not defined).
    """
    df = frame(con, weekly_query(f))
    df["week"] = pd.to_datetime(df["week"]).dt.date
    return df


def week_over_week(df: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Absolute and relative change of each column against the previous row (week)."""
    out = df.copy()
    for col in columns:
        prev = out[col].shift(1)
        out[f"{col}_change"] = out[col] - prev
        out[f"{col}_change_pct"] = [
            None if p is None or pd.isna(p) or p == 0 or pd.isna(c) else (c - p) / p
            for c, p in zip(out[col], prev, strict=True)
        ]
    return out
