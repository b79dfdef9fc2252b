"""Weeks (ISO, Monday start, unless asked for Sunday weeks), always in activity mode: what
happened in each week, and what moved most from one week to the next."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import duckdb
import pandas as pd

from analytics.filters import Filters, cost_conditions, in_period, lead_conditions
from analytics.formatting import fmt_change_pct, fmt_int, fmt_percent, fmt_signed_int
from analytics.i18n import label, t
from analytics.metrics._common import frame
from analytics.model import STAGE_TIMESTAMP
from analytics.sql import Query, Sql, join, where
from analytics.weeks import (
    DEFAULT_WEEK_START,
    WeekStart,
    week_end,
    week_label_sql,
    week_trunc_sql,
)

WEEKLY_COUNTS: tuple[str, ...] = ("leads", "mql", "sql", "opportunity", "won")


def weekly_query(f: Filters, week_start: WeekStart = DEFAULT_WEEK_START) -> Query:
    f = replace(f, mode="activity")
    names = dict(zip(STAGE_TIMESTAMP, WEEKLY_COUNTS, strict=True))
    events = []
    for stage, ts in STAGE_TIMESTAMP.items():
        value = "l.deal_value" if stage == "won" else "NULL::DECIMAL(18,2)"
        events.append(
            f"SELECT {week_trunc_sql(f'l.{ts}', week_start)} AS week, '{names[stage]}' AS what, "
            f"{value} AS value FROM base l WHERE " + in_period(f"l.{ts}", f)
        )
    counts = ",\n         ".join(
        f"count(*) FILTER (WHERE what = '{n}') AS {n}" for n in WEEKLY_COUNTS
    )
    if f.costs_defined:
        spend = (
            f"SELECT {week_trunc_sql('cc.day', week_start)} AS week, sum(cc.spend) AS spend\n"
            "  FROM campaign_costs cc " + where(cost_conditions(f, "cc")) + " GROUP BY 1"
        )
    else:
        spend = Sql("SELECT NULL::DATE AS week, NULL::DECIMAL(38,2) AS spend WHERE FALSE")
    lo = (
        Sql(week_trunc_sql("?::DATE", week_start), (f.date_from,))
        if f.date_from
        else Sql("least((SELECT min(week) FROM agg), (SELECT min(week) FROM sp))")
    )
    hi = (
        Sql(week_trunc_sql("?::DATE", week_start), (f.date_to,))
        if f.date_to
        else Sql("greatest((SELECT max(week) FROM agg), (SELECT max(week) FROM sp))")
    )
    # a week without any cost row has unknown spend (None), not zero: see PRODUCT.md's cost rule
    spend_col = "sp.spend::DOUBLE" if f.costs_defined else "NULL::DOUBLE"
    sql = (
        "WITH base AS (\n  SELECT l.* FROM leads l " + where(lead_conditions(f, "l")) + "\n),\n"
        "ev AS (\n  " + join(events, "\n  UNION ALL\n  ") + "\n),\n"
        "agg AS (\n  SELECT week,\n         " + counts + ",\n"
        "         sum(value) AS revenue, count(value) AS valued\n  FROM ev GROUP BY week\n),\n"
        "sp AS (\n  " + spend + "\n),\n"
        "bounds AS (SELECT " + lo + " AS lo, " + hi + " AS hi),\n"
        "weeks AS (\n  SELECT unnest(generate_series(lo::TIMESTAMP, hi::TIMESTAMP, INTERVAL 7 DAY))"
        "::DATE AS week\n  FROM bounds WHERE lo IS NOT NULL\n)\n"
        f"SELECT w.week, {week_label_sql('w.week', week_start)} AS label,\n"
        + "".join(f"       coalesce(agg.{n}, 0) AS {n},\n" for n in WEEKLY_COUNTS)
        # clients none of whom has a deal value: revenue unknown (NULL); no clients: 0
        + "       (CASE WHEN coalesce(agg.won, 0) > 0 AND agg.valued = 0 THEN NULL\n"
        "             ELSE coalesce(agg.revenue, 0) END)::DOUBLE AS revenue,\n"
        f"       {spend_col} AS spend,\n"
        f"       {spend_col} / nullif(agg.leads, 0) AS cost_per_lead,\n"
        f"       {spend_col} / nullif(agg.won, 0) AS cost_per_client,\n"
        "       agg.sql / nullif(agg.mql, 0)::DOUBLE AS mql_to_sql\n"
        "FROM weeks w LEFT JOIN agg ON agg.week = w.week LEFT JOIN sp ON sp.week = w.week\n"
        "ORDER BY w.week"
    )
    return Query(sql, "weekly")


def weekly(
    con: duckdb.DuckDBPyConnection, f: Filters, week_start: WeekStart = DEFAULT_WEEK_START
) -> pd.DataFrame:
    """One row per week overlapping the period, weeks without events included as zeros.

    Weeks are ISO weeks (Monday to Sunday, label ``2026-W05``) unless ``week_start`` is
    "sunday" (Sunday to Saturday, labelled by the first day, ``2026-11-08``).
    Always activity mode, whatever ``f.mode``: leads = created that week, mql/sql/opportunity/won
    = stage timestamp that week, revenue = deal values of leads won that week, spend = cost
    days that week; only days inside the period count (edge weeks may be partial).
    spend is None for a week without any cost row (unknown, not zero) and with a lead-level
    filter; revenue is None for a week with clients none of whom has a deal value (0 without
    clients); cost_per_lead = spend / leads, cost_per_client = spend / won (None on a zero
    denominator or when spend is None), mql_to_sql = sql / mql of the week (activity counts).
    """
    df = frame(con, weekly_query(f, week_start))
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


# --------------------------------------------------------------------------------------------
# Week on week: the chosen week against the one before, by channel, and what moved most.

#: Counts the "what moved most" rule looks at, in funnel order (ties go to the earlier one).
MOVE_COUNTS: tuple[str, ...] = WEEKLY_COUNTS
#: A count is only a candidate when it reached this many in one of the two weeks.
MOVE_MIN_VOLUME = 10
#: Below this relative change (in absolute value) the week is called steady.
MOVE_STEADY = 0.05
#: The driving channel is "mostly" responsible from this share of the net change.
MOVE_MOSTLY = 0.5


def _weeks(f: Filters, week: date) -> tuple[Filters, Filters]:
    this = f.with_period(week, week_end(week))
    prev_start = week - timedelta(days=7)
    return this, f.with_period(prev_start, week_end(prev_start))


def channel_weeks_query(f: Filters, week: date) -> Query:
    this, prev = _weeks(f, week)
    cols: list[Sql] = []
    for stage, name in zip(STAGE_TIMESTAMP, WEEKLY_COUNTS, strict=True):
        ts = f"l.{STAGE_TIMESTAMP[stage]}"
        cols.append("count(*) FILTER (WHERE " + in_period(ts, this) + f") AS {name}_now")
        cols.append("count(*) FILTER (WHERE " + in_period(ts, prev) + f") AS {name}_prev")
    both = f.with_period(prev.date_from, this.date_to)
    any_event = join([in_period(f"l.{ts}", both) for ts in STAGE_TIMESTAMP.values()], " OR ")
    conds = [*lead_conditions(f, "l"), "(" + any_event + ")"]
    sql = (
        "SELECT l.channel, "
        + join(cols, ",\n       ")
        + "\nFROM leads l\n"
        + where(conds)
        + "\nGROUP BY l.channel\nORDER BY l.channel NULLS LAST"
    )
    return Query(sql, "channel_weeks")


def channel_weeks(con: duckdb.DuckDBPyConnection, f: Filters, week: date) -> pd.DataFrame:
    """Per lead channel, the activity counts of the week starting on ``week`` (``*_now``) and
    of the seven days before it (``*_prev``): leads created, and MQL/SQL/opportunity/won dated
    in each week. Filters other than the period apply; channels without events are left out,
    leads without a channel form one row with channel None. Summed over channels the counts
    equal :func:`weekly` for the same two weeks."""
    return frame(con, channel_weeks_query(f, week))


@dataclass(frozen=True)
class WeekMove:
    """What moved most from the previous week to this one (see :func:`biggest_move`).

    ``kind``: "move" (a count moved), "steady" (no candidate moved by 5% or more) or
    "too_few" (no count reached the minimum volume in either week).
    """

    kind: str
    metric: str | None = None
    now: int = 0
    previous: int = 0
    change_pct: float | None = None
    channel: str | None = None
    channel_change: int = 0
    share: float | None = None

    @property
    def change(self) -> int:
        return self.now - self.previous

    @property
    def mostly(self) -> bool:
        return self.share is not None and self.share >= MOVE_MOSTLY


def biggest_move(by_channel: pd.DataFrame) -> WeekMove:
    """The rule behind the Weekly review's one-sentence summary (docs: metrics.week_summary).

    1. Candidates are the weekly counts: new leads, MQL, SQL, opportunities, clients.
    2. A candidate needs a non-zero previous week and at least ``MOVE_MIN_VOLUME`` (10) in one
       of the two weeks; with none left the answer is "too_few".
    3. The move is the candidate with the largest relative change |now - prev| / prev (a tie
       goes to the earlier stage); below ``MOVE_STEADY`` (5%) the week is "steady".
    4. The driving channel is the one whose own change has the same sign as the total change
       and is the largest; ``share`` = its change / the total change (over 1 when other
       channels moved the other way). Channel None = leads without a channel.
    """
    totals = {
        n: (int(by_channel[f"{n}_now"].sum()), int(by_channel[f"{n}_prev"].sum()))
        for n in MOVE_COUNTS
    }
    best: tuple[float, str] | None = None
    for name in MOVE_COUNTS:
        now, prev = totals[name]
        if prev == 0 or max(now, prev) < MOVE_MIN_VOLUME:
            continue
        size = abs(now - prev) / prev
        if best is None or size > best[0]:
            best = (size, name)
    if best is None:
        return WeekMove("too_few")
    size, name = best
    now, prev = totals[name]
    if size < MOVE_STEADY:
        return WeekMove("steady", name, now, prev, (now - prev) / prev)
    total = now - prev
    sign = 1 if total > 0 else -1
    driver: tuple[int, str | None] | None = None
    for row in by_channel.to_dict(orient="records"):
        change = int(row[f"{name}_now"]) - int(row[f"{name}_prev"])
        channel = None if row["channel"] is None or pd.isna(row["channel"]) else str(row["channel"])
        if change * sign > 0 and (driver is None or change * sign > driver[0] * sign):
            driver = (change, channel)
    assert driver is not None  # the channel changes add up to the total, which is not zero
    return WeekMove(
        "move",
        name,
        now,
        prev,
        total / prev,
        driver[1],
        driver[0],
        driver[0] / total,
    )


#: What the Weekly review compares, in display order (columns of :func:`weekly`).
REVIEW_METRICS: tuple[str, ...] = (
    "leads",
    "mql",
    "sql",
    "opportunity",
    "won",
    "revenue",
    "spend",
    "cost_per_lead",
    "cost_per_client",
    "mql_to_sql",
)


def compare_weeks(df: pd.DataFrame, week: date) -> pd.DataFrame:
    """The week starting on ``week`` against the row before it, one row per review metric.

    Columns: metric, now, previous, change (now - previous; for MQL-to-SQL a difference of
    fractions, i.e. percentage points / 100) and change_pct ((now - previous) / previous,
    missing when the previous value is zero or either is undefined). ``df`` is :func:`weekly`
    over a period holding both weeks; a missing previous week leaves previous missing.
    Missing values are NaN in the frame.
    """
    rows = df.reset_index(drop=True)
    at = rows.index[rows["week"] == week]
    if len(at) == 0:
        raise ValueError(f"week {week} is not in the weekly table")
    i = int(at[0])
    out = []
    for metric in REVIEW_METRICS:
        now = _scalar(rows.at[i, metric])
        prev = _scalar(rows.at[i - 1, metric]) if i > 0 else None
        change = None if now is None or prev is None else now - prev
        pct = None if change is None or not prev else change / prev
        out.append(
            {"metric": metric, "now": now, "previous": prev, "change": change, "change_pct": pct}
        )
    return pd.DataFrame(out, columns=["metric", "now", "previous", "change", "change_pct"])


def _scalar(value: object) -> float | None:
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return None
    return float(value)  # type: ignore[arg-type]


def move_sentence(move: WeekMove, lang: str = "en", names: dict[str, str] | None = None) -> str:
    """The one-sentence summary of :func:`biggest_move` in ``lang``; ``names`` may rename the
    counts (the CRM's own stage names), channel codes are shown by their catalogue label."""
    if move.kind == "too_few":
        return t("weekly.move.too_few", lang, minimum=fmt_int(MOVE_MIN_VOLUME, lang))
    assert move.metric is not None
    metric = (names or {}).get(move.metric) or t(f"weekly.metric.{move.metric}", lang)
    params = {
        "metric": metric,
        "pct": fmt_change_pct(move.change_pct, lang),
        "previous": fmt_int(move.previous, lang),
        "now": fmt_int(move.now, lang),
    }
    if move.kind == "steady":
        threshold = fmt_percent(MOVE_STEADY, lang, 0)
        return t("weekly.move.steady", lang, threshold=threshold, **params)
    channel = (
        label("channel", move.channel, lang)
        if move.channel is not None
        else t("weekly.move.no_channel", lang)
    )
    key = "weekly.move.mostly" if move.mostly else "weekly.move.led"
    return t(
        key,
        lang,
        channel=channel,
        channel_change=fmt_signed_int(move.channel_change, lang),
        change=fmt_signed_int(move.change, lang),
        **params,
    )
