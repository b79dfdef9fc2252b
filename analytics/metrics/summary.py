"""The headline numbers of a view: the funnel, awareness, costs and revenue, in one query."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from analytics.filters import Filters, cost_conditions, in_period, lead_conditions
from analytics.metrics._common import number, ratio, reached
from analytics.metrics.breakdown import reached_counts
from analytics.model import STAGE_TIMESTAMP, STAGES, Stage, previous_stage
from analytics.sql import Query, Sql, join, where


@dataclass(frozen=True)
class CostNote:
    """Why cost metrics are not shown.

    ``lead_level``: the lead-level filters in ``filters`` are set, and spend belongs to
    campaigns. ``no_costs``: no ``campaign_costs`` row matches the view, so spend is unknown
    (not zero: a sum over nothing is no value).
    """

    filters: tuple[str, ...]
    reason: str = "lead_level"


@dataclass(frozen=True)
class Summary:
    """Funnel counts, awareness, spend and revenue for one ``Filters`` value.

    Cohort mode: the population is the leads created in the period that match the filters;
    count(S) = those whose ``stage`` is S or later (a skipped stage counts as passed).
    Activity mode: count(S) = leads matching the filters whose S-timestamp (``created_at`` for
    "lead") falls in the period; ``undated[S]`` = leads created in the period that reached S
    but have no S-timestamp (not counted). Spend, impressions and clicks are sums over
    ``campaign_costs`` days in the period for matching campaigns; they are None when a
    lead-level filter is set (``cost_note`` says which).
    """

    filters: Filters
    counts: dict[Stage, int]
    undated: dict[Stage, int]
    revenue: float | None
    spend: float | None
    impressions: int | None
    clicks: int | None
    cost_note: CostNote | None
    query: Query

    # -- conversion ------------------------------------------------------------------------
    def count(self, stage: Stage) -> int:
        return self.counts[stage]

    def step_conversion(self, stage: Stage) -> float | None:
        """count(stage) / count(previous stage); None for "lead" or a zero denominator."""
        prev = previous_stage(stage)
        return None if prev is None else ratio(self.counts[stage], self.counts[prev])

    def overall_conversion(self, stage: Stage) -> float | None:
        """count(stage) / count(lead)."""
        return ratio(self.counts[stage], self.counts["lead"])

    @property
    def mql_to_sql(self) -> float | None:
        return ratio(self.counts["sql"], self.counts["mql"])

    @property
    def ctr(self) -> float | None:
        return ratio(self.clicks, self.impressions)

    # -- cost ------------------------------------------------------------------------------
    def cost_per(self, stage: Stage) -> float | None:
        """spend / count(stage) (blended: organic leads count too)."""
        return ratio(self.spend, self.counts[stage])

    @property
    def cost_per_lead(self) -> float | None:
        return self.cost_per("lead")

    @property
    def cost_per_mql(self) -> float | None:
        return self.cost_per("mql")

    @property
    def cost_per_sql(self) -> float | None:
        return self.cost_per("sql")

    @property
    def cost_per_client(self) -> float | None:
        return self.cost_per("won")

    @property
    def romi(self) -> float | None:
        """(revenue - spend) / spend."""
        if self.spend is None or self.revenue is None:
            return None
        return ratio(self.revenue - self.spend, self.spend)

    def funnel_table(self) -> pd.DataFrame:
        """stage, count, step_conversion, overall_conversion, undated: one row per stage."""
        return pd.DataFrame(
            {
                "stage": list(STAGES),
                "count": [self.counts[s] for s in STAGES],
                "step_conversion": [self.step_conversion(s) for s in STAGES],
                "overall_conversion": [self.overall_conversion(s) for s in STAGES],
                "undated": [self.undated[s] for s in STAGES],
            }
        )


def summary_query(f: Filters) -> Query:
    lead_where = lead_conditions(f, "l")
    cols: list[Sql] = []
    source = Sql("leads l")
    if f.mode == "cohort":
        # grouped by stage first: "reached S" is then summed over five rows (reached_counts)
        by_stage = (
            "SELECT l.stage AS stage, count(*) AS n, sum(l.deal_value) AS v, "
            "count(l.deal_value) AS nv\n  FROM leads l\n  "
            + where([*lead_where, in_period("l.created_at", f)])
            + "\n  GROUP BY l.stage"
        )
        source = "(\n  " + by_stage + "\n) s"
        lead_where = []
        cols += reached_counts("s", {s: f"n_{s}" for s in STAGES})
        for stage in STAGES:
            cols.append(Sql(f"0 AS undated_{stage}"))
        cols.append(Sql("sum(s.v) FILTER (WHERE s.stage = 'won') AS revenue"))
        cols.append(Sql("coalesce(sum(s.nv) FILTER (WHERE s.stage = 'won'), 0) AS valued_won"))
    else:
        created = in_period("l.created_at", f)
        for stage in STAGES:
            cols.append(
                "count(*) FILTER (WHERE "
                + in_period(f"l.{STAGE_TIMESTAMP[stage]}", f)
                + f") AS n_{stage}"
            )
        cols.append(Sql("0 AS undated_lead"))
        for stage in STAGES[1:]:
            cols.append(
                "count(*) FILTER (WHERE "
                + created
                + " AND "
                + reached(stage)
                + f" AND l.{STAGE_TIMESTAMP[stage]} IS NULL) AS undated_{stage}"
            )
        won_in_period = in_period("l.won_at", f)
        cols.append("sum(l.deal_value) FILTER (WHERE " + won_in_period + ") AS revenue")
        cols.append(
            "count(*) FILTER (WHERE " + won_in_period + " AND l.deal_value IS NOT NULL) "
            "AS valued_won"
        )
        if f.date_from or f.date_to:
            any_in_period = join([in_period(f"l.{STAGE_TIMESTAMP[s]}", f) for s in STAGES], " OR ")
            lead_where = [*lead_where, "(" + any_in_period + ")"]
    leads_part = (
        "SELECT " + join(cols, ",\n       ") + "\nFROM " + source + "\n" + where(lead_where)
    )
    if f.costs_defined:
        costs_part = (
            "SELECT sum(cc.spend) AS spend, sum(cc.impressions) AS impressions, "
            "sum(cc.clicks) AS clicks, count(*) AS cost_rows\nFROM campaign_costs cc\n"
            + where(cost_conditions(f, "cc"))
        )
    else:
        costs_part = Sql(
            "SELECT NULL AS spend, NULL AS impressions, NULL AS clicks, 0 AS cost_rows"
            "  -- lead-level filter set"
        )
    sql = "WITH l AS (\n" + leads_part + "\n), k AS (\n" + costs_part + "\n)\nSELECT * FROM l, k"
    return Query(sql, "summary")


def summary(con: duckdb.DuckDBPyConnection, f: Filters) -> Summary:
    """Funnel counts, awareness, spend and revenue (see :class:`Summary`).

    Spend, impressions and clicks are None when a lead-level filter is set or when no cost row
    matches the view. Revenue is None when there are clients but none has a deal value (unknown,
    not zero); with no clients it is 0.
    """
    query = summary_query(f)
    cur = query.run(con)
    names = [d[0] for d in cur.description]
    row = dict(zip(names, cur.fetchone() or (), strict=True))
    counts: dict[Stage, int] = {s: int(row[f"n_{s}"] or 0) for s in STAGES}
    note: CostNote | None = None
    if not f.costs_defined:
        note = CostNote(f.lead_level_filters)
    elif not row["cost_rows"]:
        note = CostNote((), "no_costs")
    unknown_revenue = counts["won"] > 0 and not row["valued_won"]
    return Summary(
        filters=f,
        counts=counts,
        undated={s: int(row[f"undated_{s}"] or 0) for s in STAGES},
        revenue=None if unknown_revenue else number(row["revenue"]),
        spend=None if note else number(row["spend"]),
        impressions=None if note else int(row["impressions"] or 0),
        clicks=None if note else int(row["clicks"] or 0),
        cost_note=note,
        query=query,
    )


def funnel(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """The funnel table of :func:`summary`: count, step and overall conversion per stage."""
    return summary(con, f).funnel_table()
