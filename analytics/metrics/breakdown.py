"""Funnel counts per group (campaign, source, owner, segment...) in one GROUP BY, and the
uncertainty of the rates between them.

:func:`stage_counts_sql` is the one definition of "count per stage, per group" in both modes; the
campaign comparison and the lead-quality breakdowns are built on it, so a group's counts always
agree with the funnel of the same view. :func:`add_rate_stats` adds 95% Wilson intervals and the
test against the other groups pooled (:mod:`analytics.stats`) to such a table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analytics.filters import Filters, in_period, lead_conditions
from analytics.metrics._common import reached
from analytics.model import STAGE_TIMESTAMP, STAGES, Stage
from analytics.sql import Sql, join, where
from analytics.stats import compare_columns, cost_columns, wilson_columns

#: Output column of each stage's count.
COUNT_COLUMNS: dict[Stage, str] = {
    "lead": "leads",
    "mql": "mql",
    "sql": "sql",
    "opportunity": "opportunity",
    "won": "won",
}


#: Aggregates an ``extra`` column of :func:`stage_counts_sql` may use, with how the values of
#: its per-stage rows combine into the group's (an allow-list: never user text).
COMBINE: dict[str, str] = {
    "any_value": "any_value",
    "min": "min",
    "max": "max",
    "sum": "sum",
    "count": "sum",
}


def reached_counts(alias: str, names: Mapping[Stage, str] = COUNT_COLUMNS) -> list[Sql]:
    """Cohort counts over rows already grouped by stage (columns ``stage`` and ``n``, the leads
    at that stage, of the relation ``alias``): count(S) = the sum of ``n`` over S and the stages
    after it (a skipped stage counts as passed), named by ``names``; 0 when there is none.

    Grouping the leads by their (five-valued) stage first and testing "reached S" on those few
    rows costs one hash aggregation of the leads instead of a ``stage IN (...)`` test per stage
    and lead (docs/PERFORMANCE.md, proposal 1).
    """
    n = f"{alias}.n"
    cols = [Sql(f"coalesce(sum({n}), 0)::BIGINT AS {names['lead']}")]
    for stage in STAGES[1:]:
        cols.append(
            f"coalesce(sum({n}) FILTER (WHERE "
            + reached(stage, alias)
            + f"), 0)::BIGINT AS {names[stage]}"
        )
    return cols


def stage_counts_sql(
    f: Filters,
    keys: Mapping[str, Sql | str],
    conds: Sequence[Sql | str] = (),
    extra: Mapping[str, tuple[str, str]] | None = None,
    head: Sequence[str] = (),
    group_by: str | None = None,
) -> Sql:
    """``SELECT <keys>[, head], leads, mql, sql, opportunity, won, revenue[, extra] FROM ...``,
    one row per group.

    ``keys`` maps each output column to its SQL over the lead ``l`` (trusted, e.g.
    ``{"key": "l.source"}``); ``extra`` maps further columns to (aggregate, lead expression),
    the aggregate one of :data:`COMBINE` (e.g. ``{"lead_channel": ("any_value", "l.channel")}``);
    ``head`` adds trusted columns over the key columns (e.g. ``grouping(a, b) AS gid``);
    ``group_by`` replaces ``GROUP BY ALL`` over the keys (trusted SQL over their names, e.g.
    ``GROUPING SETS ((a), (b))``).

    Cohort: leads created in the period; count(S) = those that reached S (skipped stages count
    as passed), revenue = deal values of the won ones. Activity: count(S) = leads whose S date is
    in the period, revenue = deal values won in the period; a lead is looked at when any of its
    dates is in the period. Every other filter of ``f`` applies, plus ``conds``.

    The leads are aggregated once by the keys (and, in a cohort, by stage: see
    :func:`reached_counts`), and the groups, or grouping sets, are formed over that small
    result: grouping sets straight over the leads make DuckDB materialise every lead of the view
    and hash it once per set.
    """
    where_parts: list[Sql] = [*lead_conditions(f, "l")]
    where_parts += [Sql(c) if isinstance(c, str) else c for c in conds]
    extra = extra or {}
    for name, (agg, _expr) in extra.items():
        if agg not in COMBINE:
            raise ValueError(f"extra column {name!r}: use one of {', '.join(COMBINE)}, not {agg!r}")
    inner: list[Sql | str] = [
        (Sql(expr) if isinstance(expr, str) else expr) + f" AS {name}"
        for name, expr in keys.items()
    ]
    outer: list[Sql | str] = [f"s.{name} AS {name}" for name in keys]
    outer += list(head)
    if f.mode == "cohort":
        where_parts.append(in_period("l.created_at", f))
        inner += ["l.stage AS stage", "count(*) AS n", "sum(l.deal_value) AS v"]
        outer += reached_counts("s")
        outer.append("sum(s.v) FILTER (WHERE s.stage = 'won') AS revenue")
    else:
        for stage, ts in STAGE_TIMESTAMP.items():
            inner.append("count(*) FILTER (WHERE " + in_period(f"l.{ts}", f) + f") AS n_{stage}")
            outer.append(f"coalesce(sum(s.n_{stage}), 0)::BIGINT AS {COUNT_COLUMNS[stage]}")
        inner.append("sum(l.deal_value) FILTER (WHERE " + in_period("l.won_at", f) + ") AS v")
        outer.append("sum(s.v) AS revenue")
        if f.date_from or f.date_to:
            any_in = join([in_period(f"l.{ts}", f) for ts in STAGE_TIMESTAMP.values()], " OR ")
            where_parts.append("(" + any_in + ")")
    for i, (name, (agg, expr)) in enumerate(extra.items()):
        inner.append(f"{agg}({expr}) AS x{i}")
        outer.append(f"{COMBINE[agg]}(s.x{i}) AS {name}")
    grouped = f.mode == "cohort" or keys
    return (
        "SELECT "
        + join(outer, ", ")
        + "\n  FROM (\n    SELECT "
        + join(inner, ", ")
        + "\n    FROM leads l\n    "
        + where(where_parts)
        + ("\n    GROUP BY ALL" if grouped else "")
        + "\n  ) s"
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
    rows = len(df)
    verdicts: list[str | None]
    if enabled and rows:
        x = df[successes].to_numpy(dtype=np.int64)
        n = df[trials].to_numpy(dtype=np.int64)
        low, high = wilson_columns(x, n)
        found, rest, p_value = compare_columns(x, n, int(x.sum()), int(n.sum()))
        verdicts = list(found)
    else:
        low = high = rest = p_value = np.full(rows, np.nan)
        verdicts = [None] * rows
    out[f"{rate}_low"] = pd.array(low, dtype="Float64")
    out[f"{rate}_high"] = pd.array(high, dtype="Float64")
    out[f"{rate}_rest"] = pd.array(rest, dtype="Float64")
    out[f"{rate}_verdict"] = pd.array(verdicts, dtype="string")
    out[f"{rate}_p"] = pd.array(p_value, dtype="Float64")
    return out


def add_cost_interval(
    df: pd.DataFrame, cost: str, spend: str, trials: str, successes: str, enabled: bool = True
) -> pd.DataFrame:
    """Add ``<cost>_low``/``<cost>_high``: the 95% interval of spend / successes (see
    :func:`analytics.stats.cost_interval`); None without spend, without trials, or when disabled;
    ``<cost>_high`` is None when the interval has no upper end (no successes)."""
    out = df.copy()
    rows = len(df)
    low = high = np.full(rows, np.nan)
    if enabled and rows:
        money = pd.to_numeric(df[spend], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        low, high = cost_columns(
            money, df[trials].to_numpy(np.int64), df[successes].to_numpy(np.int64)
        )
    out[f"{cost}_low"] = pd.array(low, dtype="Float64")
    out[f"{cost}_high"] = pd.array(high, dtype="Float64")
    return out
