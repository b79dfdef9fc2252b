"""The limit: minimal hand-written DuckDB SQL, one query per figure, producing the page's numbers.

Written without the app's query builders, for the filters the harness uses (a period and the
mode), so "page / limit" says what the app's general machinery costs over the least work DuckDB
must do. Each function returns the normalised form of :func:`bench.common.normalise`; a test
and every harness run check the numbers are the same as the page's.

A metric a page asks for that has no entry in :data:`LIMITS` is reported as "no limit yet":
add one here (and to :mod:`bench.naive`) when a new metric lands.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

import duckdb

from analytics.filters import Filters
from analytics.model import STAGE_TIMESTAMP, STAGES, VELOCITY_PAIRS, stages_from
from bench.common import (
    CAMPAIGN_FIELDS,
    FRAME_FIELDS,
    ROW_KEYS,
    plain,
    rows_of,
    supported_filters,
)

TS = [STAGE_TIMESTAMP[s] for s in STAGES]  # created_at, mql_at, sql_at, opportunity_at, won_at


def _bounds(f: Filters) -> tuple[datetime | None, datetime | None]:
    lo = datetime.combine(f.date_from, time.min) if f.date_from else None
    hi = datetime.combine(f.date_to + timedelta(days=1), time.min) if f.date_to else None
    return lo, hi


def _in(col: str, f: Filters) -> tuple[str, list[Any]]:
    """``col`` in the period (timestamp column); unbounded: the timestamp is set."""
    lo, hi = _bounds(f)
    parts, params = [], []
    if lo is not None:
        parts.append(f"{col} >= ?")
        params.append(lo)
    if hi is not None:
        parts.append(f"{col} < ?")
        params.append(hi)
    return (" AND ".join(parts) or f"{col} IS NOT NULL"), params


def _day_in(col: str, f: Filters) -> tuple[str, list[Any]]:
    parts, params = [], []
    if f.date_from:
        parts.append(f"{col} >= ?")
        params.append(f.date_from)
    if f.date_to:
        parts.append(f"{col} <= ?")
        params.append(f.date_to)
    return (" AND ".join(parts) or "TRUE"), params


def _reached(stage: str) -> str:
    return "stage IN (" + ", ".join(f"'{s}'" for s in stages_from(stage)) + ")"  # type: ignore[arg-type]


def _sum_reached(stage: str, col: str = "n") -> str:
    return f"sum({col}) FILTER (WHERE {_reached(stage)})"


def summary(con: duckdb.DuckDBPyConnection, f: Filters) -> dict[str, Any]:
    """Grouped by stage first, then "reached S" = the sum over stages S and later.

    Testing ``stage IN (...)`` once per stage and row (``count(*) FILTER``) is the costly part
    of a funnel over millions of leads; grouping by the (five-valued) stage tests it once.
    """
    supported_filters(f)
    params: list[Any] = []
    if f.mode == "cohort":
        where, params = _in("created_at", f)
        inner = (
            "SELECT stage, count(*) AS n, sum(deal_value) AS v, count(deal_value) AS nv "
            f"FROM leads WHERE {where} GROUP BY stage"
        )
        cols = ["sum(n)"] + [_sum_reached(s) for s in STAGES[1:]]
        cols += ["0"] * len(STAGES)
        cols.append("sum(v) FILTER (WHERE stage = 'won')")
        cols.append("coalesce(sum(nv) FILTER (WHERE stage = 'won'), 0)")
    else:
        parts, where_any = [], []
        for i, ts in enumerate(TS):
            cond, p = _in(ts, f)
            parts.append(f"count(*) FILTER (WHERE {cond}) AS c{i}")
            params += p
            where_any.append((cond, p))
        created, p_created = _in("created_at", f)
        for i, ts in enumerate(TS):
            parts.append(f"count(*) FILTER (WHERE {created} AND {ts} IS NULL) AS u{i}")
            params += p_created
        won, p_won = _in("won_at", f)
        parts.append(f"sum(deal_value) FILTER (WHERE {won}) AS v")
        parts.append(f"count(deal_value) FILTER (WHERE {won}) AS nv")
        params += p_won + p_won
        where = " OR ".join(f"({c})" for c, _ in where_any)
        for _, p in where_any:
            params += p
        inner = f"SELECT stage, {', '.join(parts)} FROM leads WHERE {where} GROUP BY stage"
        cols = [f"sum(c{i})" for i in range(len(TS))] + ["0"]
        cols += [_sum_reached(s, f"u{i + 1}") for i, s in enumerate(STAGES[1:])]
        cols.append("sum(v)")
        cols.append("coalesce(sum(nv), 0)")
    days, p_days = _day_in("day", f)
    sql = (
        f"SELECT * FROM (SELECT {', '.join(cols)} FROM ({inner})), "
        "(SELECT sum(spend), sum(impressions), sum(clicks), count(*) FROM campaign_costs "
        f"WHERE {days})"
    )
    row = con.execute(sql, params + p_days).fetchone() or ()
    names = [f"n_{s}" for s in STAGES] + [f"undated_{s}" for s in STAGES]
    names += ["revenue", "valued_won", "spend", "impressions", "clicks", "cost_rows"]
    out = {k: plain(v) for k, v in zip(names, row, strict=True)}
    for k in names[: 2 * len(STAGES)]:
        out[k] = int(out[k] or 0)
    # unknown is not zero: clients without deal values, or no cost row at all
    valued_won = out.pop("valued_won")
    unknown_revenue = out["n_won"] > 0 and not valued_won
    out["revenue"] = None if unknown_revenue else (out["revenue"] or 0.0)
    no_costs = not out.pop("cost_rows")
    out["spend"] = None if no_costs else (out["spend"] or 0.0)
    out["impressions"] = None if no_costs else int(out["impressions"] or 0)
    out["clicks"] = None if no_costs else int(out["clicks"] or 0)
    return out


def campaigns(con: duckdb.DuckDBPyConnection, f: Filters) -> list[dict[str, Any]]:
    supported_filters(f)
    if f.mode == "cohort":
        # grouped by (campaign, stage) first; "reached S" summed over the small result
        created, params = _in("created_at", f)
        counts = ", ".join(
            ["sum(n) AS leads"]
            + [f"{_sum_reached(s)} AS {s}" for s in STAGES[1:]]
            + ["sum(v) FILTER (WHERE stage = 'won') AS revenue"]
        )
        source = (
            "(SELECT campaign_id, stage, count(*) AS n, sum(deal_value) AS v FROM leads "
            f"WHERE campaign_id IS NOT NULL AND {created} GROUP BY ALL)"
        )
        where = "TRUE"
    else:
        parts, params, conds = [], [], []
        for stage, ts in zip(STAGES, TS, strict=True):
            cond, p = _in(ts, f)
            parts.append(
                f"count(*) FILTER (WHERE {cond}) AS {'leads' if stage == 'lead' else stage}"
            )
            params += p
            conds.append((cond, p))
        won, p_won = _in("won_at", f)
        parts.append(f"sum(deal_value) FILTER (WHERE {won}) AS revenue")
        params += p_won
        counts = ", ".join(parts)
        where = " OR ".join(f"({c})" for c, _ in conds)
        for _, p in conds:
            params += p
        source = "leads"
    days, p_days = _day_in("day", f)
    sql = f"""
    SELECT campaign_id, spend, impressions, clicks,
           clicks / nullif(impressions, 0) AS ctr,
           leads, mql, sql, opportunity, won, revenue,
           spend / nullif(leads, 0) AS cost_per_lead, spend / nullif(mql, 0) AS cost_per_mql,
           spend / nullif(sql, 0) AS cost_per_sql, spend / nullif(won, 0) AS cost_per_client,
           mql / nullif(leads, 0) AS mql_yield, sql / nullif(mql, 0) AS mql_to_sql,
           (revenue - spend) / nullif(spend, 0) AS romi
    FROM (
      SELECT campaign_id, k.spend::DOUBLE AS spend,
             k.impressions, k.clicks,
             coalesce(l.leads, 0) AS leads, coalesce(l.mql, 0) AS mql, coalesce(l.sql, 0) AS sql,
             coalesce(l.opportunity, 0) AS opportunity, coalesce(l.won, 0) AS won,
             (CASE WHEN coalesce(l.won, 0) = 0 THEN 0 ELSE l.revenue END)::DOUBLE AS revenue
      FROM (SELECT campaign_id, {counts} FROM {source}
            WHERE campaign_id IS NOT NULL AND ({where}) GROUP BY campaign_id) l
      FULL JOIN (SELECT campaign_id, sum(spend) AS spend, sum(impressions) AS impressions,
                        sum(clicks) AS clicks
                 FROM campaign_costs WHERE {days} GROUP BY campaign_id) k USING (campaign_id)
    )"""
    df = con.execute(sql, params + p_days).df()
    return rows_of(df, CAMPAIGN_FIELDS, ROW_KEYS["campaigns"])


def weekly(con: duckdb.DuckDBPyConnection, f: Filters) -> list[dict[str, Any]]:
    """Per stage timestamp, one scan of just that column (and deal_value for wins)."""
    supported_filters(f)
    events, params = [], []
    for k, ts in enumerate(TS):
        cond, p = _in(ts, f)
        value = "deal_value" if k == len(TS) - 1 else "NULL"
        events.append(
            f"SELECT date_trunc('week', {ts})::DATE AS week, {k} AS k, {value} AS value "
            f"FROM leads WHERE {cond}"
        )
        params += p
    days, p_days = _day_in("day", f)
    counts = ", ".join(f"count(*) FILTER (WHERE k = {i}) AS c{i}" for i in range(len(TS)))
    given = "date_trunc('week', ?::DATE)::DATE"
    lo = given if f.date_from else "least((SELECT min(week) FROM a), (SELECT min(week) FROM s))"
    hi = given if f.date_to else "greatest((SELECT max(week) FROM a), (SELECT max(week) FROM s))"
    p_bounds = [d for d in (f.date_from, f.date_to) if d]
    sql = f"""
    WITH a AS (
      SELECT week, {counts}, sum(value) AS revenue
      FROM ({" UNION ALL ".join(events)}) GROUP BY week
    ), s AS (
      SELECT date_trunc('week', day)::DATE AS week, sum(spend) AS spend
      FROM campaign_costs WHERE {days} GROUP BY 1
    ), w AS (
      SELECT unnest(generate_series(lo::TIMESTAMP, hi::TIMESTAMP, INTERVAL 7 DAY))::DATE AS week
      FROM (SELECT {lo} AS lo, {hi} AS hi) WHERE lo IS NOT NULL
    )
    SELECT w.week, coalesce(c0, 0) AS leads, coalesce(c1, 0) AS mql, coalesce(c2, 0) AS sql,
           coalesce(c3, 0) AS opportunity, coalesce(c4, 0) AS won,
           coalesce(a.revenue, 0)::DOUBLE AS revenue, s.spend::DOUBLE AS spend,
           s.spend::DOUBLE / nullif(c0, 0) AS cost_per_lead
    FROM w LEFT JOIN a USING (week) LEFT JOIN s USING (week)"""
    df = con.execute(sql, params + p_days + p_bounds).df()
    return rows_of(df, FRAME_FIELDS["weekly"], ROW_KEYS["weekly"])


def velocity(con: duckdb.DuckDBPyConnection, f: Filters) -> list[dict[str, Any]]:
    """Per pair, one scan of just its two timestamps (and created_at for the cohort)."""
    supported_filters(f)
    parts, params = [], []
    for k, (a, b) in enumerate(VELOCITY_PAIRS):
        ta, tb = STAGE_TIMESTAMP[a], STAGE_TIMESTAMP[b]
        cond, p = _in("created_at" if f.mode == "cohort" else tb, f)
        parts.append(
            f"SELECT {k} AS k, (epoch_us({tb}) - epoch_us({ta})) / 86400000000.0 AS d "
            f"FROM leads WHERE {ta} IS NOT NULL AND {tb} IS NOT NULL AND {cond}"
        )
        params += p
    sql = f"""
    SELECT k, count(*) FILTER (WHERE d >= 0) AS n,
           quantile_cont(d, [0.5, 0.75, 0.9]) FILTER (WHERE d >= 0) AS q,
           avg(d) FILTER (WHERE d >= 0) AS mean_days, count(*) FILTER (WHERE d < 0) AS excluded
    FROM ({" UNION ALL ".join(parts)}) GROUP BY k"""
    got = {int(r[0]): r[1:] for r in con.execute(sql, params).fetchall()}
    rows = []
    for k, (a, b) in enumerate(VELOCITY_PAIRS):
        n, q, mean, excluded = got.get(k, (0, None, None, 0))
        q = q or [None, None, None]
        rows.append(
            {
                "from_stage": a,
                "to_stage": b,
                "n": int(n),
                "median_days": plain(q[0]),
                "p75_days": plain(q[1]),
                "p90_days": plain(q[2]),
                "mean_days": plain(mean),
                "excluded": int(excluded),
            }
        )
    return sorted(rows, key=lambda r: (r["from_stage"], r["to_stage"]))


def sales_cycle(con: duckdb.DuckDBPyConnection, f: Filters | None = None) -> float | None:
    row = con.execute(
        "SELECT quantile_cont(d, 0.75) FROM (SELECT (epoch_us(won_at) - epoch_us(created_at)) "
        "/ 86400000000.0 AS d FROM leads WHERE won_at IS NOT NULL) WHERE d >= 0"
    ).fetchone()
    return None if row is None else plain(row[0])


def options(con: duckdb.DuckDBPyConnection, f: Filters | None = None) -> dict[str, Any]:
    """The filter choices in one scan of leads (the app's query scans it once per column)."""
    row = con.execute(
        """
        SELECT (SELECT list(DISTINCT {'id': campaign_id, 'name': name}) FROM campaigns),
               list(DISTINCT campaign_id), list(DISTINCT channel), list(DISTINCT source),
               list(DISTINCT owner), list(DISTINCT region), list(DISTINCT industry),
               (SELECT list(DISTINCT channel) FROM campaigns)
        FROM leads
        """
    ).fetchone()
    assert row is not None
    named, lead_ids, channels, sources, owners, regions, industries, camp_channels = row
    names = {c["id"]: c["name"] for c in named or []}
    for cid in lead_ids or []:
        if cid is not None:
            names.setdefault(cid, cid)

    def srt(values: Any) -> list[str]:
        return sorted({str(v) for v in values or [] if v is not None}, key=str.lower)

    return {
        "campaigns": [
            list(kv) for kv in sorted(names.items(), key=lambda kv: (kv[1].lower(), kv[0]))
        ],
        "channels": srt((channels or []) + (camp_channels or [])),
        "sources": srt(sources),
        "owners": srt(owners),
        "regions": srt(regions),
        "industries": srt(industries),
    }


#: metric name (as in ``ui.data.METRICS`` / ``FACTS``) -> its limit.
LIMITS: dict[str, Callable[..., Any]] = {
    "summary": summary,
    "campaigns": campaigns,
    "weekly": weekly,
    "velocity": velocity,
    "sales_cycle": sales_cycle,
    "options": options,
}
