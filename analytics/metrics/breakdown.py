"""Funnel counts per group (campaign, source, owner, segment...) in one GROUP BY, and the
uncertainty of the rates between them.

:func:`stage_counts_sql` is the one definition of "count per stage, per group" in both modes; the
campaign comparison and the lead-quality breakdowns are built on it, so a group's counts always
agree with the funnel of the same view. :func:`add_rate_stats` adds 95% Wilson intervals and the
test against the other groups pooled (:mod:`analytics.stats`) to such a table.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analytics.filters import Filters, in_period, lead_conditions
from analytics.metrics._common import reached
from analytics.model import STAGE_TIMESTAMP, Stage
from analytics.sql import Sql, join, where
from analytics.stats import compare_to_rest, cost_interval, wilson_interval

#: Output column of each stage's count.
COUNT_COLUMNS: dict[Stage, str] = {
    "lead": "leads",
    "mql": "mql",
    "sql": "sql",
    "opportunity": "opportunity",
    "won": "won",
}


def stage_counts_sql(
    f: Filters,
    keys: Sequence[Sql | str],
    conds: Sequence[Sql | str] = (),
    extra: Sequence[Sql | str] = (),
    group_by: str | None = None,
) -> Sql:
    """``SELECT <keys>, leads, mql, sql, opportunity, won, revenue[, extra] FROM leads l ...``
    grouped by the keys (trusted SQL with aliases, e.g. ``"l.source AS key"``), or by
    ``group_by`` (trusted SQL, e.g. ``GROUPING SETS ((a), (b))`` over the keys' aliases).

    Cohort: leads created in the period; count(S) = those that reached S (skipped stages count
    as passed), revenue = deal values of the won ones. Activity: count(S) = leads whose S date is
    in the period, revenue = deal values won in the period; a lead is looked at when any of its
    dates is in the period. Every other filter of ``f`` applies, plus ``conds``.
    """
    where_parts: list[Sql] = [*lead_conditions(f, "l")]
    where_parts += [Sql(c) if isinstance(c, str) else c for c in conds]
    cols: list[Sql | str] = list(keys)
    if f.mode == "cohort":
        where_parts.append(in_period("l.created_at", f))
        cols.append("count(*) AS leads")
        for stage in ("mql", "sql", "opportunity", "won"):
            cols.append("count(*) FILTER (WHERE " + reached(stage) + f") AS {stage}")
        cols.append("sum(l.deal_value) FILTER (WHERE l.stage = 'won') AS revenue")
    else:
        for stage, ts in STAGE_TIMESTAMP.items():
            cols.append(
                "count(*) FILTER (WHERE " + in_period(f"l.{ts}", f) + f") AS {COUNT_COLUMNS[stage]}"
            )
        cols.append("sum(l.deal_value) FILTER (WHERE " + in_period("l.won_at", f) + ") AS revenue")
        if f.date_from or f.date_to:
            any_in = join([in_period(f"l.{ts}", f) for ts in STAGE_TIMESTAMP.values()], " OR ")
            where_parts.append("(" + any_in + ")")
    cols += list(extra)
    return (
        "SELECT "
        + join(cols, ", ")
        + "\n  FROM leads l\n  "
        + where(where_parts)
        + (f"\n  GROUP BY {group_by}" if group_by else "\n  GROUP BY ALL" if keys else "")
    )


def add_rate_stats(
    df: pd.DataFrame, rate: str, successes: str, trials: str, enabled: bool = True
) -> pd.DataFrame:
    """Add ``<rate>_low``/``_high`` (95% Wilson), ``<rate>_rest`` (the other rows pooled),
    ``<rate>_verdict`` (higher / lower / no_difference / too_few / no_rest) and ``<rate>_p``.

    ``successes``/``trials`` name the count columns; the rest of a row is the sum over the other
    rows of the table. ``enabled=False`` (activity mode, where a stage count is not a subset of
    the previous one) fills the columns with None: no interval is honest there.
    """
    out = df.copy()
    lows: list[float | None] = []
    highs: list[float | None] = []
    rests: list[float | None] = []
    verdicts: list[str | None] = []
    pvalues: list[float | None] = []
    total_x = int(df[successes].sum()) if enabled and len(df) else 0
    total_n = int(df[trials].sum()) if enabled and len(df) else 0
    for x, n in zip(df[successes], df[trials], strict=True):
        interval = wilson_interval(int(x), int(n)) if enabled else None
        lows.append(interval[0] if interval else None)
        highs.append(interval[1] if interval else None)
        if enabled:
            comparison = compare_to_rest(int(x), int(n), total_x, total_n)
            rests.append(comparison.rest_rate)
            verdicts.append(comparison.verdict)
            pvalues.append(comparison.p_value)
        else:
            rests.append(None)
            verdicts.append(None)
            pvalues.append(None)
    out[f"{rate}_low"] = pd.array(lows, dtype="Float64")
    out[f"{rate}_high"] = pd.array(highs, dtype="Float64")
    out[f"{rate}_rest"] = pd.array(rests, dtype="Float64")
    out[f"{rate}_verdict"] = pd.array(verdicts, dtype="string")
    out[f"{rate}_p"] = pd.array(pvalues, dtype="Float64")
    return out


def add_cost_interval(
    df: pd.DataFrame, cost: str, spend: str, trials: str, successes: str, enabled: bool = True
) -> pd.DataFrame:
    """Add ``<cost>_low``/``<cost>_high``: the 95% interval of spend / successes (see
    :func:`analytics.stats.cost_interval`); None without spend, without trials, or when disabled;
    ``<cost>_high`` is None when the interval has no upper end (no successes)."""
    out = df.copy()
    lows: list[float | None] = []
    highs: list[float | None] = []
    for s, n, x in zip(df[spend], df[trials], df[successes], strict=True):
        interval = None
        if enabled and s is not None and not pd.isna(s):
            interval = cost_interval(float(s), int(n), int(x))
        lows.append(interval[0] if interval else None)
        highs.append(interval[1] if interval else None)
    out[f"{cost}_low"] = pd.array(lows, dtype="Float64")
    out[f"{cost}_high"] = pd.array(highs, dtype="Float64")
    return out
