"""Per-campaign comparison: that campaign's spend in the period over that campaign's leads."""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics.filters import Filters, cost_conditions, in_period, lead_conditions
from analytics.metrics._common import frame, reached
from analytics.model import STAGE_TIMESTAMP
from analytics.sql import Query, Sql, join, where

CAMPAIGN_COLUMNS: tuple[str, ...] = (
    "campaign_id",
    "name",
    "channel",
    "direction",
    "spend",
    "impressions",
    "clicks",
    "ctr",
    "leads",
    "mql",
    "sql",
    "opportunity",
    "won",
    "revenue",
    "cost_per_lead",
    "cost_per_mql",
    "cost_per_sql",
    "cost_per_client",
    "mql_yield",
    "mql_to_sql",
    "romi",
)


def _lead_counts(f: Filters) -> Sql:
    conds = [Sql("l.campaign_id IS NOT NULL"), *lead_conditions(f, "l")]
    if f.mode == "cohort":
        conds.append(in_period("l.created_at", f))
        cols = [Sql("count(*) AS leads")]
        cols += ["count(*) FILTER (WHERE " + reached(s) + f") AS {s}" for s in ("mql", "sql")]
        cols += ["count(*) FILTER (WHERE " + reached("opportunity") + ") AS opportunity"]
        cols += [Sql("count(*) FILTER (WHERE l.stage = 'won') AS won")]
        cols += [Sql("sum(l.deal_value) FILTER (WHERE l.stage = 'won') AS revenue")]
    else:
        names = {
            "lead": "leads",
            "mql": "mql",
            "sql": "sql",
            "opportunity": "opportunity",
            "won": "won",
        }
        cols = [
            "count(*) FILTER (WHERE " + in_period(f"l.{ts}", f) + f") AS {names[s]}"
            for s, ts in STAGE_TIMESTAMP.items()
        ]
        cols.append("sum(l.deal_value) FILTER (WHERE " + in_period("l.won_at", f) + ") AS revenue")
        if f.date_from or f.date_to:
            conds.append(
                "("
                + join([in_period(f"l.{ts}", f) for ts in STAGE_TIMESTAMP.values()], " OR ")
                + ")"
            )
    return (
        "SELECT l.campaign_id, "
        + join(cols, ", ")
        + "\n  FROM leads l\n  "
        + where(conds)
        + "\n  GROUP BY l.campaign_id"
    )


def campaigns_query(f: Filters) -> Query:
    if f.costs_defined:
        costs = (
            "SELECT cc.campaign_id, sum(cc.spend) AS spend, sum(cc.impressions) AS impressions, "
            "sum(cc.clicks) AS clicks\n  FROM campaign_costs cc\n  "
            + where(cost_conditions(f, "cc"))
            + "\n  GROUP BY cc.campaign_id"
        )
    else:
        costs = Sql(
            "SELECT NULL::VARCHAR AS campaign_id, NULL::DECIMAL(38,2) AS spend, "
            "NULL::HUGEINT AS impressions, NULL::HUGEINT AS clicks WHERE FALSE"
            "  -- lead-level filter set: spend cannot be attributed"
        )
    sql = (
        "WITH k AS (\n  " + costs + "\n), l AS (\n  " + _lead_counts(f) + "\n), j AS (\n"
        "  SELECT coalesce(k.campaign_id, l.campaign_id) AS campaign_id,\n"
        + (
            "         coalesce(k.spend, 0) AS spend, coalesce(k.impressions, 0) AS impressions,\n"
            "         coalesce(k.clicks, 0) AS clicks,\n"
            if f.costs_defined
            else "         k.spend, k.impressions, k.clicks,\n"
        )
        + "         coalesce(l.leads, 0) AS leads, coalesce(l.mql, 0) AS mql,\n"
        "         coalesce(l.sql, 0) AS sql, coalesce(l.opportunity, 0) AS opportunity,\n"
        "         coalesce(l.won, 0) AS won, coalesce(l.revenue, 0) AS revenue\n"
        "  FROM k FULL OUTER JOIN l ON k.campaign_id = l.campaign_id\n"
        ")\n"
        "SELECT j.campaign_id, coalesce(c.name, j.campaign_id) AS name, c.channel, c.direction,\n"
        "       j.spend::DOUBLE AS spend, j.impressions::BIGINT AS impressions,\n"
        "       j.clicks::BIGINT AS clicks,\n"
        "       j.clicks / nullif(j.impressions, 0)::DOUBLE AS ctr,\n"
        "       j.leads, j.mql, j.sql, j.opportunity, j.won, j.revenue::DOUBLE AS revenue,\n"
        "       j.spend::DOUBLE / nullif(j.leads, 0) AS cost_per_lead,\n"
        "       j.spend::DOUBLE / nullif(j.mql, 0) AS cost_per_mql,\n"
        "       j.spend::DOUBLE / nullif(j.sql, 0) AS cost_per_sql,\n"
        "       j.spend::DOUBLE / nullif(j.won, 0) AS cost_per_client,\n"
        "       j.mql / nullif(j.leads, 0)::DOUBLE AS mql_yield,\n"
        "       j.sql / nullif(j.mql, 0)::DOUBLE AS mql_to_sql,\n"
        "       (j.revenue - j.spend)::DOUBLE / nullif(j.spend, 0) AS romi\n"
        "FROM j LEFT JOIN campaigns c ON c.campaign_id = j.campaign_id\n"
        "ORDER BY j.spend DESC NULLS LAST, j.leads DESC, j.campaign_id"
    )
    return Query(sql, "campaigns")


def campaigns(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """One row per campaign with spend or leads in the view.

    Spend, impressions and clicks: that campaign's ``campaign_costs`` days in the period.
    Counts: that campaign's leads, by the view's mode (cohort: created in the period and
    reached the stage; activity: stage timestamp in the period). Rates are None where the
    denominator is zero. With a lead-level filter, spend and every cost column are None.
    """
    return frame(con, campaigns_query(f))
