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
from datetime import date, datetime, time, timedelta
from typing import Any

import duckdb
import pandas as pd

from analytics.filters import Filters
from analytics.metrics.review import COHORT_WEEKS, TREND_WEEKS  # the page's windows (constants)
from analytics.model import STAGE_TIMESTAMP, STAGES, VELOCITY_PAIRS, stages_from
from analytics.privacy import mask_email, mask_phone  # the lists' masking (not a metric)
from bench.common import (
    AUDIT_LEAD_FIELDS,
    BREAKDOWN_FIELDS,
    CAMPAIGN_FIELDS,
    CHANNEL_WEEK_FIELDS,
    COHORT_FIELDS,
    COMPARISON_BODY,
    COMPARISON_HEAD,
    FRAME_FIELDS,
    ROW_KEYS,
    STOPPED_FIELDS,
    TREND_FIELDS,
    Unsupported,
    plain,
    rows_of,
    supported_filters,
)
from bench.rates import add_cost_per_mql_interval, add_rate_columns, breakdown_rows, div

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
      SELECT week, {counts}, sum(value) AS revenue, count(value) AS valued
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
           CASE WHEN coalesce(c4, 0) > 0 AND valued = 0 THEN NULL
                ELSE coalesce(a.revenue, 0) END::DOUBLE AS revenue, s.spend::DOUBLE AS spend,
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


# --------------------------------------------------------------------------------------------
# Pages added after the Overview: Campaigns, Weekly review, Lead quality, Customer journey.

_OUTBOUND = "('purchased_list', 'cold_outreach')"  # PRODUCT.md: outbound lead channels


def _campaign_counts(f: Filters) -> tuple[str, list[Any]]:
    """Per campaign: leads, mql, sql, opportunity, won, revenue (NULL: clients without deal
    values), valued (won with a deal value), ch (a channel of its leads), by the mode."""
    if f.mode == "cohort":
        created, params = _in("created_at", f)
        sql = (
            "SELECT campaign_id, sum(n) AS leads, "
            + ", ".join(f"{_sum_reached(s)} AS {s}" for s in STAGES[1:])
            + ", sum(v) FILTER (WHERE stage = 'won') AS revenue, min(ch) AS ch FROM ("
            "SELECT campaign_id, stage, count(*) AS n, sum(deal_value) AS v, min(channel) AS ch "
            f"FROM leads WHERE campaign_id IS NOT NULL AND {created} GROUP BY ALL) GROUP BY 1"
        )
        return sql, params
    parts, params, conds = [], [], []
    for stage, ts in zip(STAGES, TS, strict=True):
        cond, p = _in(ts, f)
        parts.append(f"count(*) FILTER (WHERE {cond}) AS {'leads' if stage == 'lead' else stage}")
        params += p
        conds.append((cond, p))
    won, p_won = _in("won_at", f)
    parts.append(f"sum(deal_value) FILTER (WHERE {won}) AS revenue")
    params += p_won
    where = " OR ".join(f"({c})" for c, _ in conds)
    for _, p in conds:
        params += p
    sql = (
        f"SELECT campaign_id, {', '.join(parts)}, min(channel) AS ch FROM leads "
        f"WHERE campaign_id IS NOT NULL AND ({where}) GROUP BY 1"
    )
    return sql, params


def campaign_comparison(
    con: duckdb.DuckDBPyConnection, f: Filters, by: str = "campaign"
) -> list[dict[str, Any]]:
    """One query: per campaign counts and costs, grouped by campaign, channel or direction;
    the intervals and tests on the few rows it returns (bench.rates)."""
    supported_filters(f)
    counts, params = _campaign_counts(f)
    days, p_days = _day_in("day", f)
    if by == "campaign":
        key = "j.campaign_id"
        head = (
            "j.campaign_id AS key, any_value(coalesce(c.name, j.campaign_id)) AS name, "
            "any_value(c.channel) AS channel, any_value(c.direction) AS direction"
        )
    elif by == "channel":
        key = "coalesce(c.channel, j.ch)"
        head = f"{key} AS key, count(*) AS campaigns"
    elif by == "direction":
        key = (
            f"coalesce(c.direction, CASE WHEN j.ch IN {_OUTBOUND} THEN 'outbound' "
            "ELSE 'inbound' END)"
        )
        head = f"{key} AS key, count(*) AS campaigns"
    else:
        raise Unsupported(f"grouping {by!r}")
    sql = f"""
    WITH j AS (
      SELECT campaign_id, l.ch, k.spend, k.impressions, k.clicks,
             coalesce(l.leads, 0) AS leads, coalesce(l.mql, 0) AS mql, coalesce(l.sql, 0) AS sql,
             coalesce(l.opportunity, 0) AS opportunity, coalesce(l.won, 0) AS won,
             CASE WHEN coalesce(l.won, 0) = 0 THEN 0 ELSE l.revenue END AS revenue
      FROM ({counts}) l
      FULL JOIN (SELECT campaign_id, sum(spend) AS spend, sum(impressions) AS impressions,
                        sum(clicks) AS clicks FROM campaign_costs WHERE {days}
                 GROUP BY 1) k USING (campaign_id)
    )
    SELECT {head}, sum(spend)::DOUBLE AS spend, sum(impressions)::BIGINT AS impressions,
           sum(clicks)::BIGINT AS clicks, sum(leads)::BIGINT AS leads, sum(mql)::BIGINT AS mql,
           sum(sql)::BIGINT AS sql, sum(opportunity)::BIGINT AS opportunity,
           sum(won)::BIGINT AS won, sum(revenue)::DOUBLE AS revenue
    FROM j LEFT JOIN campaigns c USING (campaign_id) GROUP BY {key}"""
    cur = con.execute(sql, params + p_days)
    names = [d[0] for d in cur.description]
    key_name = {"campaign": "campaign_id", "channel": "channel", "direction": "direction"}[by]
    rows = []
    for values in cur.fetchall():
        r = {("" if n == "key" else n): plain(v) for n, v in zip(names, values, strict=True)}
        r[key_name] = r.pop("")
        spend = r["spend"]
        r["ctr"] = div(r["clicks"], r["impressions"])
        for col, n in (("lead", "leads"), ("mql", "mql"), ("sql", "sql"), ("client", "won")):
            r[f"cost_per_{col}"] = div(spend, r[n])
        r["mql_yield"] = div(r["mql"], r["leads"])
        r["mql_to_sql"] = div(r["sql"], r["mql"])
        known = spend is not None and r["revenue"] is not None
        r["romi"] = div(r["revenue"] - spend, spend) if known else None
        rows.append(r)
    cohort = f.mode == "cohort"
    add_rate_columns(rows, "mql_yield", "mql", "leads", cohort)
    add_rate_columns(rows, "mql_to_sql", "sql", "mql", cohort)
    add_cost_per_mql_interval(rows, cohort)
    head_cols = COMPARISON_HEAD[key_name]
    return sorted(
        ({c: r[c] for c in (*head_cols, *COMPARISON_BODY)} for r in rows),
        key=lambda r: str(r[key_name]),
    )


def _week_sql(expr: str, week_start: str) -> str:
    """The first day of the week holding ``expr``: a Monday (ISO) or a Sunday."""
    if week_start == "monday":
        return f"({expr})::DATE - (isodow({expr}) - 1)::INTEGER"
    return f"({expr})::DATE - dayofweek({expr})::INTEGER"


def _week_label(expr: str, week_start: str) -> str:
    if week_start == "monday":
        return f"printf('%d-W%02d', isoyear({expr}), weekofyear({expr}))"
    return f"strftime({expr}, '%Y-%m-%d')"


def _trend(con: duckdb.DuckDBPyConnection, f: Filters, week_start: str = "monday") -> pd.DataFrame:
    """The weekly table (activity, whatever the mode): per stage timestamp one scan of that
    column, the weeks of the period filled in; revenue unknown (NULL) for a week with clients
    none of whom has a deal value; spend unknown for a week without any cost row."""
    events, params = [], []
    for k, ts in enumerate(TS):
        cond, p = _in(ts, f)
        value = "deal_value" if k == len(TS) - 1 else "NULL"
        events.append(
            f"SELECT {_week_sql(ts, week_start)} AS week, {k} AS k, {value} AS value "
            f"FROM leads WHERE {cond}"
        )
        params += p
    days, p_days = _day_in("day", f)
    counts = ", ".join(f"count(*) FILTER (WHERE k = {i}) AS c{i}" for i in range(len(TS)))
    lo = "?::DATE" if f.date_from else "least((SELECT min(week) FROM a), (SELECT min(week) FROM s))"
    hi = (
        "?::DATE" if f.date_to else "greatest((SELECT max(week) FROM a), (SELECT max(week) FROM s))"
    )
    p_bounds = [_first_day(d, week_start) for d in (f.date_from, f.date_to) if d]
    sql = f"""
    WITH a AS (
      SELECT week, {counts}, sum(value) AS revenue, count(value) AS valued
      FROM ({" UNION ALL ".join(events)}) GROUP BY week
    ), s AS (
      SELECT {_week_sql("day", week_start)} AS week, sum(spend) AS spend
      FROM campaign_costs WHERE {days} GROUP BY 1
    ), w AS (
      SELECT unnest(generate_series(lo::TIMESTAMP, hi::TIMESTAMP, INTERVAL 7 DAY))::DATE AS week
      FROM (SELECT {lo} AS lo, {hi} AS hi) WHERE lo IS NOT NULL
    )
    SELECT w.week, {_week_label("w.week", week_start)} AS label,
           coalesce(c0, 0) AS leads, coalesce(c1, 0) AS mql, coalesce(c2, 0) AS sql,
           coalesce(c3, 0) AS opportunity, coalesce(c4, 0) AS won,
           CASE WHEN coalesce(c4, 0) > 0 AND valued = 0 THEN NULL
                ELSE coalesce(a.revenue, 0) END::DOUBLE AS revenue,
           s.spend::DOUBLE AS spend,
           s.spend::DOUBLE / nullif(c0, 0) AS cost_per_lead,
           s.spend::DOUBLE / nullif(c4, 0) AS cost_per_client,
           c2 / nullif(c1, 0)::DOUBLE AS mql_to_sql
    FROM w LEFT JOIN a USING (week) LEFT JOIN s USING (week)"""
    return con.execute(sql, params + p_days + p_bounds).df()


def _channel_weeks(con: duckdb.DuckDBPyConnection, week: date) -> list[dict[str, Any]]:
    now = Filters(week, week + timedelta(days=6))
    prev = Filters(week - timedelta(days=7), week - timedelta(days=1))
    both = Filters(week - timedelta(days=7), week + timedelta(days=6))
    cols, params = [], []
    for stage, ts in zip(STAGES, TS, strict=True):
        name = "leads" if stage == "lead" else stage
        for tag, period in (("now", now), ("prev", prev)):
            cond, p = _in(ts, period)
            cols.append(f"count(*) FILTER (WHERE {cond}) AS {name}_{tag}")
            params += p
    any_in = []
    for ts in TS:
        cond, p = _in(ts, both)
        any_in.append(f"({cond})")
        params += p
    sql = f"SELECT channel, {', '.join(cols)} FROM leads WHERE {' OR '.join(any_in)} GROUP BY 1"
    df = con.execute(sql, params).df()
    return rows_of(df, CHANNEL_WEEK_FIELDS, ("channel",))


def _cohorts(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    as_of: date,
    cycle_days: float | None,
    week_start: str,
) -> list[dict[str, Any]]:
    """Per creation week: counts grouped by (week, stage) first, "reached" summed after."""
    created, params = _in("created_at", f)
    assert f.date_from and f.date_to  # the review's cohort window is bounded
    reached = ", ".join(f"{_sum_reached(s)} AS {s}" for s in STAGES[1:])
    shares = ", ".join(f"c.{s} / nullif(c.leads, 0)::DOUBLE AS share_{s}" for s in STAGES[1:])
    sql = f"""
    WITH agg AS (
      SELECT week, sum(n) AS leads, {reached} FROM (
        SELECT {_week_sql("created_at", week_start)} AS week, stage, count(*) AS n
        FROM leads WHERE {created} GROUP BY ALL) GROUP BY week
    ), w AS (
      SELECT unnest(generate_series(?::TIMESTAMP, ?::TIMESTAMP, INTERVAL 7 DAY))::DATE AS week
    ), c AS (
      SELECT w.week, coalesce(leads, 0) AS leads,
             {", ".join(f"coalesce({s}, 0) AS {s}" for s in STAGES[1:])}
      FROM w LEFT JOIN agg USING (week)
    )
    SELECT c.*, {_week_label("c.week", week_start)} AS label, {shares},
           date_diff('day', least(c.week + 6, ?::DATE), ?::DATE) AS age_days
    FROM c"""
    lo = _first_day(f.date_from, week_start)
    hi = _first_day(f.date_to, week_start)
    df = con.execute(sql, [*params, lo, hi, as_of, as_of]).df()
    df["mature"] = [cycle_days is not None and a >= cycle_days for a in df["age_days"]]
    return rows_of(df, COHORT_FIELDS, ("week",))


def _first_day(day: date, week_start: str) -> date:
    shift = day.weekday() if week_start == "monday" else (day.weekday() + 1) % 7
    return day - timedelta(days=shift)


FORECAST_YEAR_DAYS = 365  # PRODUCT.md: closed "in the last 12 months", the days ending on as_of
FORECAST_MIN = 30  # fewer closed leads than this: "too few to judge"


def _forecast(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, Any]:
    """One scan grouped by (stage, status); the pipeline per open stage summed from it."""
    start = datetime.combine(as_of - timedelta(days=FORECAST_YEAR_DAYS - 1), time.min)
    end = datetime.combine(as_of + timedelta(days=1), time.min)
    closed = (
        "((status = 'won' AND won_at >= $1 AND won_at < $2) "
        "OR (status = 'lost' AND lost_at >= $1 AND lost_at < $2))"
    )
    rows = con.execute(
        f"""
        SELECT stage, count(*) FILTER (WHERE status = 'open' AND created_at < $2) AS open_n,
               count(*) FILTER (WHERE {closed}) AS closed_n,
               count(*) FILTER (WHERE {closed} AND status = 'won') AS won_n,
               count(deal_value) FILTER (WHERE {closed} AND status = 'won') AS deals,
               sum(deal_value) FILTER (WHERE {closed} AND status = 'won') AS deal_sum,
               count(*) FILTER (WHERE (status = 'won' AND won_at IS NULL)
                                   OR (status = 'lost' AND lost_at IS NULL)) AS undated
        FROM leads GROUP BY stage""",
        [start, end],
    ).fetchall()
    by_stage = {r[0]: r[1:] for r in rows}

    def total(i: int, stages: tuple[str, ...] = STAGES) -> int:
        return sum(int(by_stage[s][i] or 0) for s in stages if s in by_stage)

    deals = total(3)
    deal_sum = sum(float(by_stage[s][4]) for s in by_stage if by_stage[s][4] is not None)
    average = deal_sum / deals if deals else None
    out_rows, expected, uncovered = [], 0.0, 0
    for stage in STAGES[:-1]:
        later = stages_from(stage)  # type: ignore[arg-type]
        open_n = int(by_stage[stage][0]) if stage in by_stage else 0
        closed_n, won_n = total(1, later), total(2, later)
        p = div(won_n, closed_n)
        exp = None if p is None else open_n * p
        expected += exp or 0.0
        uncovered += open_n if p is None else 0
        out_rows.append(
            {
                "stage": stage,
                "open_leads": open_n,
                "closed": closed_n,
                "won": won_n,
                "p_won": p,
                "expected_wins": exp,
                "few": closed_n < FORECAST_MIN,
            }
        )
    return {
        "window_from": start.date().isoformat(),
        "expected_wins": expected,
        "uncovered_open": uncovered,
        "deals": deals,
        "average_deal": average,
        "expected_revenue": None if average is None else expected * average,
        "undated_closed": total(5),
        "stages": out_rows,
    }


def weekly_review(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    *,
    week: date,
    as_of: date,
    cycle_days: float | None,
    week_start: str = "monday",
) -> dict[str, Any]:
    """The Weekly review's five figures, one query each: the 12-week trend, the chosen week and
    the one before by channel, the 26 creation-week cohorts, velocity over the trend window and
    the pipeline forecast on ``as_of``."""
    supported_filters(f)
    end = week + timedelta(days=6)
    window = Filters(week - timedelta(days=7 * (TREND_WEEKS - 1)), end, mode="activity")
    cohort_window = Filters(week - timedelta(days=7 * (COHORT_WEEKS - 1)), end)
    return {
        "trend": rows_of(_trend(con, window, week_start), TREND_FIELDS, ("week",)),
        "channels": _channel_weeks(con, week),
        "cohorts": _cohorts(con, cohort_window, as_of, cycle_days, week_start),
        "velocity": velocity(con, window),
        "forecast": _forecast(con, as_of),
    }


def _segment(f: Filters) -> tuple[str, list[Any]]:
    return (
        "CASE WHEN company_size IS NULL THEN 'unknown_size' WHEN company_size >= ? AND "
        "company_size <= ? THEN 'target' ELSE 'non_target' END",
        [f.icp_min, f.icp_max],
    )


_BANT = ("bant_budget", "bant_authority", "bant_need", "bant_timing")
_RECORDED = "(" + " OR ".join(f"{c} IS NOT NULL" for c in _BANT) + ")"
_CONFIRMED = "(" + " + ".join(f"CASE WHEN {c} THEN 1 ELSE 0 END" for c in _BANT) + ")"


def quality_breakdowns(con: duckdb.DuckDBPyConnection, f: Filters) -> dict[str, Any]:
    """One scan of the leads grouped by (segment, source, owner, BANT count, stage) (cohort) or
    with the five dated counts (activity); the four tables are grouping sets over that small
    result; rates and tests on the rows returned."""
    supported_filters(f)
    segment, params = _segment(f)
    keys = f"{segment} AS segment, source, owner, CASE WHEN {_RECORDED} THEN {_CONFIRMED} END AS b"
    if f.mode == "cohort":
        created, p = _in("created_at", f)
        params += p
        inner = (
            f"SELECT {keys}, stage, count(*) AS n, sum(deal_value) AS v, "
            f"count(deal_value) AS nv FROM leads WHERE {created} GROUP BY ALL"
        )
        sums = ["sum(n) AS leads"] + [f"{_sum_reached(s)} AS {s}" for s in STAGES[1:]]
        sums += [
            "sum(v) FILTER (WHERE stage = 'won') AS revenue",
            "coalesce(sum(nv) FILTER (WHERE stage = 'won'), 0) AS valued",
        ]
    else:
        parts, conds = [], []
        for i, ts in enumerate(TS):
            cond, p = _in(ts, f)
            parts.append(f"count(*) FILTER (WHERE {cond}) AS c{i}")
            params += p
            conds.append((cond, p))
        won, p_won = _in("won_at", f)
        parts += [
            f"sum(deal_value) FILTER (WHERE {won}) AS v",
            f"count(deal_value) FILTER (WHERE {won}) AS nv",
        ]
        params += p_won + p_won
        for _, p in conds:
            params += p
        inner = (
            f"SELECT {keys}, {', '.join(parts)} FROM leads "
            f"WHERE {' OR '.join(f'({c})' for c, _ in conds)} GROUP BY ALL"
        )
        sums = [f"sum(c{i}) AS {n}" for i, n in enumerate(_COUNT_NAMES)]
        sums += ["sum(v) AS revenue", "sum(nv) AS valued"]
    sql = (
        "SELECT grouping(segment, source, owner, b) AS gid, segment, source, owner, b, "
        f"{', '.join(sums)} FROM ({inner}) "
        "GROUP BY GROUPING SETS ((segment), (source), (owner), (b))"
    )
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    sets: dict[int, list[dict[str, Any]]] = {7: [], 11: [], 13: [], 14: []}
    for values in cur.fetchall():
        r = {n: plain(v) for n, v in zip(names, values, strict=True)}
        sets[int(r["gid"])].append(r)
    out: dict[str, Any] = {}
    cohort = f.mode == "cohort"
    for name, gid in (("segment", 7), ("source", 11), ("owner", 13)):
        rows = breakdown_rows([{**r, "key": r[name]} for r in sets[gid]], cohort)
        out[name] = sorted(
            ({c: r[c] for c in BREAKDOWN_FIELDS} for r in rows), key=lambda r: str(r["key"])
        )
    counts = {(None if r["b"] is None else int(r["b"])): r for r in sets[14]}
    bant = []
    for stage, col in zip(STAGES, _COUNT_NAMES, strict=True):
        stage_total = sum(int(r[col] or 0) for r in counts.values())
        for b in (0, 1, 2, 3, 4, None):
            n = int(counts[b][col] or 0) if b in counts else 0
            bant.append({"stage": stage, "bant_count": b, "leads": n, "share": div(n, stage_total)})
    out["bant"] = sorted(bant, key=lambda r: (r["stage"], str(r["bant_count"])))
    return out


_COUNT_NAMES = ("leads", "mql", "sql", "opportunity", "won")


def _audit_parts(f: Filters) -> tuple[str, list[Any], dict[str, tuple[str, list[Any]]]]:
    """(population condition, its parameters, per rule stage: "counted at the stage")."""
    at: dict[str, tuple[str, list[Any]]] = {}
    if f.mode == "cohort":
        pop, params = _in("created_at", f)
        for stage in AUDIT_NEED:
            at[stage] = (_reached(stage), [])
    else:
        pop, params = "TRUE", []
        for stage in AUDIT_NEED:
            at[stage] = _in(STAGE_TIMESTAMP[stage], f)  # type: ignore[index]
    return pop, params, at


AUDIT_NEED = {"mql": 2, "sql": 4}  # PRODUCT.md: at MQL or later >= 2 criteria, at SQL 4


def bant_audit(con: duckdb.DuckDBPyConnection, f: Filters) -> dict[str, int]:
    supported_filters(f)
    pop, params, at = _audit_parts(f)
    cols, p_cols = [], []
    breaks = {}
    for stage, need in AUDIT_NEED.items():
        cond, p = at[stage]
        breaks[stage] = (f"({cond} AND {_RECORDED} AND {_CONFIRMED} < {need})", p)
        cols += [
            f"count(*) FILTER (WHERE {cond} AND {_RECORDED}) AS {stage}_checked",
            f"count(*) FILTER (WHERE {breaks[stage][0]}) AS {stage}_offending",
            f"count(*) FILTER (WHERE {cond} AND NOT {_RECORDED}) AS {stage}_unrecorded",
        ]
        p_cols += p + p + p
    cols.append(f"count(*) FILTER (WHERE {breaks['mql'][0]} OR {breaks['sql'][0]}) AS offending")
    p_cols += breaks["mql"][1] + breaks["sql"][1]
    cur = con.execute(f"SELECT {', '.join(cols)} FROM leads WHERE {pop}", p_cols + params)
    names = [d[0] for d in cur.description]
    row = cur.fetchone() or ()
    return {n: int(v or 0) for n, v in zip(names, row, strict=True)}


def bant_audit_leads(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    limit: int = 50,
    offset: int = 0,
    show_contacts: bool = False,
) -> list[dict[str, Any]]:
    """The offending leads, newest first, one page (a top-N query)."""
    supported_filters(f)
    pop, params, at = _audit_parts(f)
    (mql, p_mql), (sql_, p_sql) = at["mql"], at["sql"]
    breaks_mql = f"({mql} AND {_RECORDED} AND {_CONFIRMED} < 2)"
    breaks_sql = f"({sql_} AND {_RECORDED} AND {_CONFIRMED} < 4)"
    df = con.execute(
        f"""
        SELECT lead_id, created_at, company, email, phone, owner, source, campaign_id, stage,
               status, {", ".join(_BANT)}, {_CONFIRMED} AS bant_count,
               CASE WHEN {breaks_sql} THEN 'sql' ELSE 'mql' END AS rule
        FROM leads WHERE {pop} AND ({breaks_mql} OR {breaks_sql})
        ORDER BY created_at DESC, lead_id LIMIT ? OFFSET ?""",
        [*p_sql, *params, *p_mql, *p_sql, limit, offset],
    ).df()
    return _contacts(rows_of(df, AUDIT_LEAD_FIELDS, ()), show_contacts)


def _contacts(rows: list[dict[str, Any]], show: bool) -> list[dict[str, Any]]:
    if not show:
        for r in rows:
            r["email"], r["phone"] = mask_email(r["email"]), mask_phone(r["phone"])
    return rows


def stopped_leads(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    stage: str,
    outcome: str | None = None,
    limit: int = 25,
    offset: int = 0,
    show_contacts: bool = False,
) -> dict[str, Any]:
    """The total (a count) and one page (a top-N query) of the cohort's leads stopped at
    ``stage``: current stage ``stage``, not won (or with status ``outcome``)."""
    supported_filters(f)
    created, params = _in("created_at", f)
    status = "status = ?" if outcome else "status <> 'won'"
    p_status = [outcome] if outcome else []
    where = f"{created} AND stage = ? AND {status}"
    p_where = [*params, stage, *p_status]
    total = con.execute(f"SELECT count(*) FROM leads WHERE {where}", p_where).fetchone()
    ts = STAGE_TIMESTAMP[stage]  # type: ignore[index]
    df = con.execute(
        f"""
        SELECT l.lead_id, l.created_at, l.{ts} AS reached_at, l.company, l.channel,
               coalesce(c.name, l.campaign_id) AS campaign, l.owner, l.status, l.lost_reason,
               l.lost_at, l.email, l.phone
        FROM (SELECT * FROM leads WHERE {where} ORDER BY created_at DESC, lead_id
              LIMIT ? OFFSET ?) l
        LEFT JOIN campaigns c ON c.campaign_id = l.campaign_id
        ORDER BY l.created_at DESC, l.lead_id""",
        [*p_where, limit, offset],
    ).df()
    rows = _contacts(rows_of(df, STOPPED_FIELDS, ()), show_contacts)
    return {"total": int(total[0]) if total else 0, "rows": rows}


def _journey_funnel(con: duckdb.DuckDBPyConnection, f: Filters) -> dict[str, Any]:
    """Campaign-attributed leads by the mode (grouped by stage first in a cohort) and the
    awareness sums, in one query; no cost row: impressions and clicks unknown."""
    if f.mode == "cohort":
        created, params = _in("created_at", f)
        cols = ["sum(n)"] + [_sum_reached(s) for s in STAGES[1:]]
        src = (
            "(SELECT stage, count(*) AS n FROM leads "
            f"WHERE campaign_id IS NOT NULL AND {created} GROUP BY stage)"
        )
    else:
        cols, params, conds = [], [], []
        for ts in TS:
            cond, p = _in(ts, f)
            cols.append(f"count(*) FILTER (WHERE {cond})")
            params += p
            conds.append((cond, p))
        for _, p in conds:
            params += p
        src = (
            "(SELECT * FROM leads WHERE campaign_id IS NOT NULL AND ("
            + " OR ".join(f"({c})" for c, _ in conds)
            + "))"
        )
    days, p_days = _day_in("day", f)
    row = con.execute(
        f"SELECT * FROM (SELECT {', '.join(cols)} FROM {src}), "
        f"(SELECT sum(impressions), sum(clicks), count(*) FROM campaign_costs WHERE {days})",
        params + p_days,
    ).fetchone()
    assert row is not None
    out: dict[str, Any] = {f"n_{s}": int(row[i] or 0) for i, s in enumerate(STAGES)}
    none = not row[-1]
    out["impressions"] = None if none else int(row[-3] or 0)
    out["clicks"] = None if none else int(row[-2] or 0)
    return out


FLOW_TOP_REASONS = 8  # the most frequent lost reasons by name, the rest together


def _flows(con: duckdb.DuckDBPyConnection, f: Filters) -> dict[str, Any]:
    """Always the cohort: one query grouped by (stage, status, reason of the lost)."""
    created, params = _in("created_at", f)
    groups = con.execute(
        "SELECT stage, status, CASE WHEN status = 'lost' THEN lost_reason END, count(*) "
        f"FROM leads WHERE {created} GROUP BY ALL",
        params,
    ).fetchall()
    order = {s: i for i, s in enumerate(STAGES)}
    reasons: dict[str, int] = {}
    for _, status, reason, n in groups:
        if status == "lost" and reason is not None:
            reasons[reason] = reasons.get(reason, 0) + n
    top = set(sorted(reasons, key=lambda r: (-reasons[r], r))[:FLOW_TOP_REASONS])
    reached = {s: sum(n for st, _, _, n in groups if order[st] >= i) for i, s in enumerate(STAGES)}
    tally: dict[tuple[str, str, str | None, str | None], int] = {}
    for i, stage in enumerate(STAGES[:-1]):
        tally[(stage, "next", None, None)] = reached[STAGES[i + 1]]
    for st, status, reason, n in groups:
        if st == "won":
            continue
        if status == "lost":
            group = "none" if reason is None else "reason" if reason in top else "other"
            key = (st, "lost", reason if group == "reason" else None, group)
        elif status in ("nurture", "open"):
            key = (st, status, None, None)
        else:
            continue  # a won status below the won stage: it stopped nowhere
        tally[key] = tally.get(key, 0) + n
    rows = [
        {"from_stage": k[0], "outcome": k[1], "reason": k[2], "reason_group": k[3], "leads": n}
        for k, n in tally.items()
        if n > 0
    ]
    keys = ("from_stage", "outcome", "reason_group", "reason")
    return {"reached": reached, "rows": sorted(rows, key=lambda r: tuple(str(r[k]) for k in keys))}


#: Time to convert's buckets of days, [lo, hi); the last open-ended (docs: time_to_convert).
DAY_EDGES = (0, 1, 3, 7, 14, 30, 60, 90, 180)


def _time_to_convert(con: duckdb.DuckDBPyConnection, f: Filters) -> list[dict[str, Any]]:
    parts, params = [], []
    for k, (a, b) in enumerate(VELOCITY_PAIRS):
        ta, tb = STAGE_TIMESTAMP[a], STAGE_TIMESTAMP[b]
        cond, p = _in("created_at" if f.mode == "cohort" else tb, f)
        parts.append(
            f"SELECT {k} AS k, (epoch_us({tb}) - epoch_us({ta})) / 86400000000.0 AS d "
            f"FROM leads WHERE {ta} IS NOT NULL AND {tb} IS NOT NULL AND {cond}"
        )
        params += p
    case = " ".join(f"WHEN d < {hi} THEN {i}" for i, hi in enumerate(DAY_EDGES[1:]))
    got = {
        (int(k), int(b)): int(n)
        for k, b, n in con.execute(
            f"SELECT k, CASE {case} ELSE {len(DAY_EDGES) - 1} END AS b, count(*) "
            "FROM (" + " UNION ALL ".join(parts) + ") WHERE d >= 0 GROUP BY ALL",
            params,
        ).fetchall()
    }
    rows = []
    for k, (a, b) in enumerate(VELOCITY_PAIRS):
        for i, lo in enumerate(DAY_EDGES):
            hi = DAY_EDGES[i + 1] if i + 1 < len(DAY_EDGES) else None
            rows.append(
                {
                    "from_stage": a,
                    "to_stage": b,
                    "bucket": i,
                    "lo_days": lo,
                    "hi_days": hi,
                    "leads": got.get((k, i), 0),
                }
            )
    return sorted(rows, key=lambda r: (r["from_stage"], r["to_stage"], str(r["bucket"])))


def journey_view(con: duckdb.DuckDBPyConnection, f: Filters) -> dict[str, Any]:
    """The Customer journey's figures: the funnel (the Overview's limit), the journey from
    awareness, the flows, time to convert and velocity, one query each."""
    supported_filters(f)
    return {
        "summary": summary(con, f),
        "funnel": _journey_funnel(con, f),
        "flows": _flows(con, f),
        "time_to_convert": _time_to_convert(con, f),
        "velocity": velocity(con, f),
    }


#: metric name (as in ``ui.data.METRICS`` / ``FACTS``) -> its limit (same keyword options).
LIMITS: dict[str, Callable[..., Any]] = {
    "summary": summary,
    "campaigns": campaigns,
    "weekly": weekly,
    "velocity": velocity,
    "sales_cycle": sales_cycle,
    "options": options,
    "campaign_comparison": campaign_comparison,
    "weekly_review": weekly_review,
    "quality_breakdowns": quality_breakdowns,
    "bant_audit": bant_audit,
    "bant_audit_leads": bant_audit_leads,
    "stopped_leads": stopped_leads,
    "journey_view": journey_view,
}
