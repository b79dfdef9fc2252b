"""Per-campaign comparison: that campaign's spend in the period over that campaign's leads."""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics.filters import Filters, cost_conditions
from analytics.metrics._common import frame
from analytics.metrics.breakdown import add_cost_interval, add_rate_stats, stage_counts_sql
from analytics.model import OUTBOUND_CHANNELS
from analytics.sql import Query, Sql, in_list, where

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


#: How the comparison can be grouped: the output column of the group. An allow-list: the GROUP BY
#: expression (:func:`_group_key`) never comes from user text.
GROUPINGS: dict[str, str] = {
    "campaign": "campaign_id",
    "channel": "channel",
    "direction": "direction",
}


def _group_key(by: str) -> Sql:
    """The key of a group over ``j`` (one row per campaign, with the channel of its leads) and
    ``c`` (the campaigns table): the campaign's channel or direction, falling back for a campaign
    missing from the campaigns table to its leads' channel (and that channel's direction)."""
    if by == "campaign":
        return Sql("j.campaign_id")
    if by == "channel":
        return Sql("coalesce(c.channel, j.lead_channel)")
    if by == "direction":
        outbound = in_list("j.lead_channel", OUTBOUND_CHANNELS)
        return (
            "coalesce(c.direction, CASE WHEN " + outbound + " THEN 'outbound' ELSE 'inbound' END)"
        )
    raise ValueError(f"cannot group campaigns by {by!r}; use one of {', '.join(GROUPINGS)}")


def _lead_counts(f: Filters) -> Sql:
    return stage_counts_sql(
        f,
        keys={"campaign_id": "l.campaign_id"},
        conds=["l.campaign_id IS NOT NULL"],
        extra={"lead_channel": ("any_value", "l.channel")},
    )


def campaigns_query(f: Filters, by: str = "campaign") -> Query:
    """The comparison table's SQL: one row per campaign, or per channel / direction of the
    campaigns (``by``, one of :data:`GROUPINGS`), in one query."""
    key = _group_key(by)
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
    if by == "campaign":
        group_cols = (
            "any_value(coalesce(c.name, j.campaign_id)) AS name, any_value(c.channel) AS channel,"
            " any_value(c.direction) AS direction"
        )
        labels = "g.key AS campaign_id, g.name, g.channel, g.direction,\n"
    else:
        group_cols = "count(*) AS campaigns"
        labels = f"g.key AS {GROUPINGS[by]}, g.campaigns,\n"
    sql = (
        "WITH k AS (\n  " + costs + "\n), l AS (\n  " + _lead_counts(f) + "\n), j AS (\n"
        "  SELECT coalesce(k.campaign_id, l.campaign_id) AS campaign_id, l.lead_channel,\n"
        # no cost row for a campaign: its spend is unknown (NULL), not zero
        + "         k.spend, k.impressions, k.clicks,\n"
        + "         coalesce(l.leads, 0) AS leads, coalesce(l.mql, 0) AS mql,\n"
        "         coalesce(l.sql, 0) AS sql, coalesce(l.opportunity, 0) AS opportunity,\n"
        "         coalesce(l.won, 0) AS won,\n"
        # clients without any deal value: revenue unknown; no clients: revenue 0
        "         CASE WHEN coalesce(l.won, 0) = 0 THEN 0 ELSE l.revenue END AS revenue\n"
        "  FROM k FULL OUTER JOIN l ON k.campaign_id = l.campaign_id\n"
        "), g AS (\n  SELECT " + key + " AS key, " + group_cols + ",\n"
        "         sum(j.spend) AS spend, sum(j.impressions) AS impressions,\n"
        "         sum(j.clicks) AS clicks, sum(j.leads) AS leads, sum(j.mql) AS mql,\n"
        "         sum(j.sql) AS sql, sum(j.opportunity) AS opportunity, sum(j.won) AS won,\n"
        "         sum(j.revenue) AS revenue\n"
        "  FROM j LEFT JOIN campaigns c ON c.campaign_id = j.campaign_id\n"
        "  GROUP BY ALL\n"
        ")\n"
        "SELECT "
        + labels
        + "       g.spend::DOUBLE AS spend, g.impressions::BIGINT AS impressions,\n"
        "       g.clicks::BIGINT AS clicks,\n"
        "       g.clicks / nullif(g.impressions, 0)::DOUBLE AS ctr,\n"
        "       g.leads::BIGINT AS leads, g.mql::BIGINT AS mql, g.sql::BIGINT AS sql,\n"
        "       g.opportunity::BIGINT AS opportunity, g.won::BIGINT AS won,\n"
        "       g.revenue::DOUBLE AS revenue,\n"
        "       g.spend::DOUBLE / nullif(g.leads, 0) AS cost_per_lead,\n"
        "       g.spend::DOUBLE / nullif(g.mql, 0) AS cost_per_mql,\n"
        "       g.spend::DOUBLE / nullif(g.sql, 0) AS cost_per_sql,\n"
        "       g.spend::DOUBLE / nullif(g.won, 0) AS cost_per_client,\n"
        "       g.mql / nullif(g.leads, 0)::DOUBLE AS mql_yield,\n"
        "       g.sql / nullif(g.mql, 0)::DOUBLE AS mql_to_sql,\n"
        "       (g.revenue - g.spend)::DOUBLE / nullif(g.spend, 0) AS romi\n"
        "FROM g\n"
        "ORDER BY g.spend DESC NULLS LAST, g.leads DESC, g.key"
    )
    return Query(sql, "campaigns")


def campaigns(con: duckdb.DuckDBPyConnection, f: Filters, by: str = "campaign") -> pd.DataFrame:
    """One row per campaign with spend or leads in the view.

    Spend, impressions and clicks: that campaign's ``campaign_costs`` days in the period; None
    when it has no cost row there (unknown, not zero). Revenue: None when it has clients but none
    with a deal value.
    Counts: that campaign's leads, by the view's mode (cohort: created in the period and
    reached the stage; activity: stage timestamp in the period). Rates are None where the
    denominator is zero. With a lead-level filter, spend and every cost column are None.

    ``by="channel"`` or ``"direction"``: one row per channel / direction of the campaigns (a
    campaign missing from the campaigns table: its leads' channel), the first columns being the
    group and ``campaigns`` (how many campaigns it holds); sums and rates as above.
    """
    return frame(con, campaigns_query(f, by))


#: The rates of the comparison that carry a 95% interval and a test against the rest:
#: (rate column, successes column, trials column).
COMPARED_RATES: tuple[tuple[str, str, str], ...] = (
    ("mql_yield", "mql", "leads"),
    ("mql_to_sql", "sql", "mql"),
)


def campaign_comparison(
    con: duckdb.DuckDBPyConnection, f: Filters, by: str = "campaign"
) -> pd.DataFrame:
    """The table of :func:`campaigns` (grouped ``by`` campaign, channel or direction) with the
    uncertainty of its rates, in one query.

    For MQL yield (mql / leads) and MQL-to-SQL (sql / mql): ``<rate>_low``/``_high`` = 95% Wilson
    interval; ``<rate>_rest`` = the rate of all the other rows pooled; ``<rate>_verdict`` = the
    two-sided pooled z-test of the row against that rest at 5% (higher / lower / no_difference),
    or too_few when either side has fewer than 30 in the denominator, or no_rest; ``<rate>_p``.
    ``cost_per_mql_low``/``_high``: 95% interval of spend / MQL (see
    :func:`analytics.stats.cost_interval`). Cohort mode only: in activity mode a stage's count is
    not a subset of the previous stage's (an MQL dated in the period may come from a lead created
    before it), so those columns are None.
    """
    df = frame(con, campaigns_query(f, by))
    sql = df.attrs.get("sql", "")
    cohort = f.mode == "cohort"
    for rate, successes, trials in COMPARED_RATES:
        df = add_rate_stats(df, rate, successes, trials, enabled=cohort)
    df = add_cost_interval(df, "cost_per_mql", "spend", "leads", "mql", enabled=cohort)
    df.attrs["sql"] = sql
    return df
