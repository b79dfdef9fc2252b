"""How long leads take between stages, in fractional days."""

from __future__ import annotations

from typing import Final

import duckdb
import pandas as pd

from analytics.filters import Filters, in_period, lead_conditions
from analytics.metrics._common import frame
from analytics.model import STAGE_TIMESTAMP, VELOCITY_PAIRS
from analytics.sql import Query, Sql, join, where


def pairs_sql(f: Filters) -> Sql:
    """The CTE ``pairs`` (ord, from_stage, to_stage, days): one row per lead of the population and
    velocity pair with both timestamps. Velocity and the time-to-convert distributions both read
    it, so they always count the same leads.

    One scan of the leads per pair, each with the whole population's conditions, as the limit in
    bench/limits.py does: a CTE of the population shared by the pairs is materialised by DuckDB
    (a copy of the five timestamps of every lead in it) and was no faster."""
    conds = lead_conditions(f, "l")
    if f.mode == "cohort":
        conds = [*conds, in_period("l.created_at", f)]
    pairs = []
    for order, (a, b) in enumerate(VELOCITY_PAIRS):
        ta, tb = STAGE_TIMESTAMP[a], STAGE_TIMESTAMP[b]
        cond: list[Sql] = [Sql(f"l.{ta} IS NOT NULL"), Sql(f"l.{tb} IS NOT NULL"), *conds]
        if f.mode == "activity":
            cond.append(in_period(f"l.{tb}", f))
        pairs.append(
            f"SELECT {order} AS ord, '{a}' AS from_stage, '{b}' AS to_stage, "
            f"(epoch_us(l.{tb}) - epoch_us(l.{ta})) / 86400000000.0 AS days "
            "FROM leads l " + where(cond)
        )
    return "pairs AS (\n  " + join(pairs, "\n  UNION ALL\n  ") + "\n)"


#: The quantiles velocity reports, computed together (one sort per pair, not three).
QUANTILES: Final[tuple[tuple[str, float], ...]] = (
    ("median_days", 0.5),
    ("p75_days", 0.75),
    ("p90_days", 0.9),
)


def velocity_query(f: Filters) -> Query:
    values = ", ".join(f"({i}, '{a}', '{b}')" for i, (a, b) in enumerate(VELOCITY_PAIRS))
    fractions = ", ".join(str(q) for _, q in QUANTILES)
    picks = ", ".join(f"s.q[{i}] AS {name}" for i, (name, _) in enumerate(QUANTILES, start=1))
    sql = (
        "WITH " + pairs_sql(f) + ",\n"
        "stats AS (\n"
        "  SELECT ord,\n"
        "         count(*) FILTER (WHERE days >= 0) AS n,\n"
        f"         quantile_cont(days, [{fractions}]) FILTER (WHERE days >= 0) AS q,\n"
        "         avg(days) FILTER (WHERE days >= 0) AS mean_days,\n"
        "         count(*) FILTER (WHERE days < 0) AS excluded\n"
        "  FROM pairs GROUP BY ord\n)\n"
        f"SELECT p.from_stage, p.to_stage, coalesce(s.n, 0) AS n, {picks},\n"
        "       s.mean_days, coalesce(s.excluded, 0) AS excluded\n"
        f"FROM (VALUES {values}) p(ord, from_stage, to_stage)\n"
        "LEFT JOIN stats s ON s.ord = p.ord ORDER BY p.ord"
    )
    return Query(sql, "velocity")


def velocity(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Days from stage A to stage B per pair (lead->mql ... opportunity->won, lead->won).

    Population: cohort = leads created in the period; activity = leads whose B-timestamp falls
    in the period. Only leads with both timestamps count. n, median, p75, p90 (exact,
    linear interpolation) and mean over pairs with B >= A; ``excluded`` counts pairs with
    B < A (data errors, shown as warnings).
    """
    return frame(con, velocity_query(f))


def sales_cycle_query(quantile: str = "p75_days") -> Query:
    """One quantile of the lead->won pair of :func:`velocity` over all the data (cohort, no
    period, no filter: leads with both dates, B >= A), without computing the whole table."""
    fractions = dict(QUANTILES)
    if quantile not in fractions:
        raise ValueError(f"quantile must be one of {', '.join(fractions)}, not {quantile!r}")
    ta, tb = STAGE_TIMESTAMP["lead"], STAGE_TIMESTAMP["won"]
    sql = (
        f"SELECT quantile_cont(days, {fractions[quantile]}) AS cycle_days\n"
        f"FROM (SELECT (epoch_us(l.{tb}) - epoch_us(l.{ta})) / 86400000000.0 AS days\n"
        f"      FROM leads l WHERE l.{ta} IS NOT NULL AND l.{tb} IS NOT NULL)\n"
        "WHERE days >= 0"
    )
    return Query(Sql(sql), "sales_cycle")


def sales_cycle_days(con: duckdb.DuckDBPyConnection, quantile: str = "p75_days") -> float | None:
    """The typical lead->client time over all the data (75th percentile of the sales cycle):
    velocity's lead->won ``quantile`` for all time (one query, not the whole velocity table).

    A cohort younger than this has not had the time most deals need: its later stages will grow.
    None when there are no wins with both dates.
    """
    row = sales_cycle_query(quantile).run(con).fetchone()
    if row is None or row[0] is None or pd.isna(row[0]):
        return None
    return float(row[0])
