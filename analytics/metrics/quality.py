"""Lead quality: conversion by segment (target / non-target), source and owner; the BANT count
of the leads at each stage; the BANT consistency audit and its offending leads.

BANT is *recorded* for a lead when at least one of its four criteria is set (true or false);
bant_count = confirmed criteria, an unknown one counting as not confirmed (PRODUCT.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import duckdb
import pandas as pd

from analytics.filters import Filters, bant_count_sql, in_period, lead_conditions, segment_sql
from analytics.metrics._common import frame, reached
from analytics.metrics.breakdown import add_rate_stats, stage_counts_sql
from analytics.model import BANT_COLUMNS, SEGMENTS, STAGES, Stage
from analytics.privacy import mask_email, mask_phone
from analytics.sql import Query, Sql, join, where
from analytics.stats import ALPHA, MIN_SAMPLE, two_proportion_z_test

#: What conversion can be broken down by: the key's SQL. An allow-list: never user text.
BREAKDOWNS: Final[tuple[str, ...]] = ("segment", "source", "owner", "channel", "region", "industry")
#: The rates of a breakdown: (rate column, successes, trials). mql_yield, reach_sql,
#: reach_opportunity and win_rate are the overall conversions lead -> MQL, SQL, opportunity,
#: client; mql_to_sql is the step MQL -> SQL.
BREAKDOWN_RATES: Final[tuple[tuple[str, str, str], ...]] = (
    ("mql_yield", "mql", "leads"),
    ("mql_to_sql", "sql", "mql"),
    ("win_rate", "won", "leads"),
    ("reach_sql", "sql", "leads"),
    ("reach_opportunity", "opportunity", "leads"),
)
#: The overall conversion column of each stage after "lead" in a breakdown.
REACH_COLUMNS: Final[dict[Stage, str]] = {
    "mql": "mql_yield",
    "sql": "reach_sql",
    "opportunity": "reach_opportunity",
    "won": "win_rate",
}
#: The audit's rules: a lead at this stage or later needs at least this many BANT criteria.
AUDIT_RULES: Final[dict[Stage, int]] = {"mql": 2, "sql": 4}
#: The BANT-count groups of :func:`temperature_by_stage`: 0-4 confirmed, None = not recorded.
BANT_BUCKETS: Final[tuple[int | None, ...]] = (0, 1, 2, 3, 4, None)
#: At most this many offending leads go into one download.
EXPORT_LIMIT: Final[int] = 10_000


def recorded_sql(alias: str = "l") -> str:
    """At least one BANT criterion is set (true or false) for the lead."""
    return "(" + " OR ".join(f"{alias}.{c} IS NOT NULL" for c in BANT_COLUMNS) + ")"


def _breakdown_key(f: Filters, by: str) -> Sql:
    if by == "segment":
        return segment_sql(f, "l")
    if by in ("source", "owner", "channel", "region", "industry"):
        return Sql(f"l.{by}")
    raise ValueError(f"cannot break conversion down by {by!r}; use one of {', '.join(BREAKDOWNS)}")


#: The rates of a breakdown row, from its counts (a zero denominator gives NULL).
_RATES_SQL = (
    # no clients: revenue 0; clients none of whom has a deal value: unknown (NULL)
    "leads, mql, sql, opportunity, won,\n"
    "       (CASE WHEN won = 0 THEN 0 ELSE revenue END)::DOUBLE AS revenue,\n"
    "       mql / nullif(leads, 0)::DOUBLE AS mql_yield,\n"
    "       sql / nullif(mql, 0)::DOUBLE AS mql_to_sql,\n"
    "       won / nullif(leads, 0)::DOUBLE AS win_rate,\n"
    "       sql / nullif(leads, 0)::DOUBLE AS reach_sql,\n"
    "       opportunity / nullif(leads, 0)::DOUBLE AS reach_opportunity"
)


def conversion_by_query(f: Filters, by: str) -> Query:
    counts = stage_counts_sql(f, keys={"key": _breakdown_key(f, by)})
    sql = (
        "WITH g AS (\n  " + counts + "\n)\n"
        "SELECT key, " + _RATES_SQL + "\nFROM g\nORDER BY leads DESC, key NULLS LAST"
    )
    return Query(sql, f"conversion by {by}")


def _finish_breakdown(df: pd.DataFrame, by: str, f: Filters) -> pd.DataFrame:
    """Rows in their order (segments as target, non-target, unknown; others by leads), with
    the intervals and tests of :data:`BREAKDOWN_RATES`."""
    sql = df.attrs.get("sql", "")
    if by == "segment":
        order = {s: i for i, s in enumerate(SEGMENTS)}
        df = df.sort_values("key", key=lambda k: k.map(order)).reset_index(drop=True)
    for rate, successes, trials in BREAKDOWN_RATES:
        df = add_rate_stats(df, rate, successes, trials, enabled=f.mode == "cohort")
    df.attrs["sql"] = sql
    return df


def conversion_by(con: duckdb.DuckDBPyConnection, f: Filters, by: str) -> pd.DataFrame:
    """Funnel counts and rates per value of ``by`` (segment, source, owner, ...), one query.

    Counts follow the view's mode exactly as the funnel does (cohort: leads created in the
    period that reached each stage; activity: stage dates in the period), so the rows add up to
    the funnel of the same view. ``key`` is None for leads without a value (shown as "not
    recorded"); for ``segment`` the rows come in the order target, non_target, unknown_size
    (company size unknown is its own group, never counted as non-target).
    Rates: mql_yield = mql / leads, mql_to_sql = sql / mql, win_rate = won / leads, reach_sql =
    sql / leads, reach_opportunity = opportunity / leads, each with a 95% Wilson interval and
    the z-test against the other rows pooled (cohort mode only; see
    :func:`analytics.metrics.campaigns.campaign_comparison`).
    """
    return _finish_breakdown(frame(con, conversion_by_query(f, by)), by, f)


@dataclass(frozen=True)
class SegmentComparison:
    """Target against non-target leads on one rate (successes / trials of each group)."""

    target: tuple[int, int]
    non_target: tuple[int, int]
    target_rate: float | None
    non_target_rate: float | None
    ratio: float | None  #: target rate / non-target rate (None if either is missing or 0)
    verdict: str  #: higher / lower / no_difference (target vs non-target), too_few, no_rest
    p_value: float | None


def compare_segments(
    df: pd.DataFrame, successes: str = "won", trials: str = "leads"
) -> SegmentComparison:
    """Target against non-target (a pooled two-proportion z-test at 5%) on the rows of
    :func:`conversion_by` ``by="segment"``; leads of unknown size take no part. "too_few" when
    either group has fewer than 30 trials; "no_rest" when a group is missing altogether."""
    rows = {r["key"]: r for r in df.to_dict(orient="records")}

    def counts(key: str) -> tuple[int, int]:
        r = rows.get(key)
        return (int(r[successes]), int(r[trials])) if r else (0, 0)

    (tx, tn), (nx, nn) = counts("target"), counts("non_target")
    t_rate = tx / tn if tn else None
    n_rate = nx / nn if nn else None
    ratio = t_rate / n_rate if t_rate is not None and n_rate else None
    if not tn or not nn:
        return SegmentComparison((tx, tn), (nx, nn), t_rate, n_rate, ratio, "no_rest", None)
    if tn < MIN_SAMPLE or nn < MIN_SAMPLE:
        return SegmentComparison((tx, tn), (nx, nn), t_rate, n_rate, ratio, "too_few", None)
    test = two_proportion_z_test(tx, tn, nx, nn)
    assert test is not None
    verdict = "no_difference"
    if test.p_value < ALPHA:
        verdict = "higher" if test.z > 0 else "lower"
    return SegmentComparison((tx, tn), (nx, nn), t_rate, n_rate, ratio, verdict, test.p_value)


def temperature_by_stage_query(f: Filters) -> Query:
    bucket = f"CASE WHEN {recorded_sql()} THEN {bant_count_sql('l')} END"
    return Query(
        "SELECT * FROM (\n  "
        + stage_counts_sql(f, keys={"bant_count": bucket})
        + "\n)\nORDER BY bant_count",
        "BANT count by stage",
    )


def temperature_by_stage(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """How many leads counted at each stage have 0, 1, 2, 3 or 4 BANT criteria confirmed.

    Long format, every stage with every group of :data:`BANT_BUCKETS` (zero-filled): stage,
    bant_count (0-4, or None when no criterion is recorded), leads, share (of the stage's
    total). A stage's rows add up to the funnel count of that stage in the view's mode
    (cohort: reached the stage; activity: stage date in the period). Temperature: 0-1 cold,
    2-3 warm, 4 hot; leads without any BANT record count as cold in the temperature filter
    (unknown = not confirmed), here they are shown apart.
    """
    return _bant_long(frame(con, temperature_by_stage_query(f)))


def _bant_long(wide: pd.DataFrame) -> pd.DataFrame:
    """bant_count, leads, mql, ... (one row per BANT count) -> stage, bant_count, leads, share."""
    rows = []
    for stage in STAGES:
        column = "leads" if stage == "lead" else stage
        counts = {
            None if pd.isna(b) else int(b): int(n)
            for b, n in zip(wide["bant_count"], wide[column], strict=True)
        }
        total = sum(counts.values())
        for bant in BANT_BUCKETS:
            count = counts.get(bant, 0)
            rows.append(
                {
                    "stage": stage,
                    "bant_count": bant,
                    "leads": count,
                    "share": count / total if total else None,
                }
            )
    out = pd.DataFrame(rows, columns=["stage", "bant_count", "leads", "share"])
    out["bant_count"] = out["bant_count"].astype("Int64")
    out["share"] = out["share"].astype("Float64")
    out.attrs["sql"] = wide.attrs.get("sql", "")
    return out


#: The breakdowns fetched together by :func:`quality_breakdowns`, with the grouping id DuckDB
#: gives each set's rows (a bit per key of ``segment, source, owner, bant_count``, 1 = not in
#: the set).
QUALITY_SETS: Final[dict[str, int]] = {"segment": 7, "source": 11, "owner": 13, "bant_count": 14}


@dataclass(frozen=True)
class QualityBreakdowns:
    """Conversion by segment, source and owner, and the BANT count by stage, of one view."""

    segment: pd.DataFrame
    source: pd.DataFrame
    owner: pd.DataFrame
    bant: pd.DataFrame
    query: Query


def quality_breakdowns_query(f: Filters) -> Query:
    keys: dict[str, Sql | str] = {
        "segment": segment_sql(f, "l"),
        "source": "l.source",
        "owner": "l.owner",
        "bant_count": f"CASE WHEN {recorded_sql()} THEN {bant_count_sql('l')} END",
    }
    # the sets are formed over the leads aggregated by all four keys (and stage): a few
    # thousand rows, not every lead of the view hashed once per set
    counts = stage_counts_sql(
        f,
        keys,
        head=["grouping(segment, source, owner, bant_count) AS grouping_id"],
        group_by="GROUPING SETS ((segment), (source), (owner), (bant_count))",
    )
    sql = (
        "WITH g AS (\n  " + counts + "\n)\n"
        "SELECT grouping_id, segment, source, owner, bant_count, " + _RATES_SQL + "\nFROM g\n"
        "ORDER BY grouping_id, leads DESC, segment, source, owner, bant_count NULLS LAST"
    )
    return Query(sql, "lead quality breakdowns")


def quality_breakdowns(con: duckdb.DuckDBPyConnection, f: Filters) -> QualityBreakdowns:
    """:func:`conversion_by` for segment, source and owner and :func:`temperature_by_stage`, in
    one query (one scan of the leads, GROUPING SETS): the same definitions and the same
    numbers, for a page that shows them all."""
    query = quality_breakdowns_query(f)
    df = frame(con, query)
    parts: dict[str, pd.DataFrame] = {}
    for name, gid in QUALITY_SETS.items():
        part = df[df["grouping_id"] == gid].reset_index(drop=True)
        part = part.drop(columns=[k for k in QUALITY_SETS if k != name] + ["grouping_id"])
        part.attrs["sql"] = df.attrs.get("sql", "")
        parts[name] = part.rename(columns={name: "key"})
    counts = ["leads", "mql", "sql", "opportunity", "won"]
    bant = parts["bant_count"].rename(columns={"key": "bant_count"})[["bant_count", *counts]]
    bant.attrs["sql"] = df.attrs.get("sql", "")
    return QualityBreakdowns(
        segment=_finish_breakdown(parts["segment"], "segment", f),
        source=_finish_breakdown(parts["source"], "source", f),
        owner=_finish_breakdown(parts["owner"], "owner", f),
        bant=_bant_long(bant),
        query=query,
    )


# ------------------------------------------------------------------------------------------
# The BANT consistency audit.


def _rule_sql(f: Filters, stage: Stage) -> Sql:
    """The lead is counted at ``stage`` in this view: reached it (cohort, the creation date
    being in the period is part of the population) or its stage date is in the period."""
    if f.mode == "cohort":
        return reached(stage)
    return in_period(f"l.{stage}_at", f)


def _audit_base(f: Filters) -> tuple[list[Sql], Sql, Sql]:
    """(population conditions, breaks the MQL rule, breaks the SQL rule)."""
    conds = list(lead_conditions(f, "l"))
    if f.mode == "cohort":
        conds.append(in_period("l.created_at", f))
    n = bant_count_sql("l")
    recorded = recorded_sql("l")
    breaks = {
        stage: "(" + _rule_sql(f, stage) + f" AND {recorded} AND {n} < {need})"
        for stage, need in AUDIT_RULES.items()
    }
    return conds, breaks["mql"], breaks["sql"]


@dataclass(frozen=True)
class AuditSummary:
    """Counts of the BANT consistency audit of one view.

    mql_checked: leads counted at MQL (or later) with BANT recorded; mql_offending: of those, with
    fewer than 2 criteria confirmed; mql_unrecorded: leads counted at MQL with no BANT record (not
    checked). The same for SQL with 4 criteria. offending: distinct leads breaking either rule.
    """

    mql_checked: int
    mql_offending: int
    mql_unrecorded: int
    sql_checked: int
    sql_offending: int
    sql_unrecorded: int
    offending: int
    query: Query


def bant_audit_query(f: Filters) -> Query:
    conds, breaks_mql, breaks_sql = _audit_base(f)
    recorded = recorded_sql("l")
    cols: list[Sql] = []
    rules: tuple[tuple[Stage, Sql], ...] = (("mql", breaks_mql), ("sql", breaks_sql))
    for stage, breaks in rules:
        at = _rule_sql(f, stage)
        cols += [
            "count(*) FILTER (WHERE " + at + f" AND {recorded}) AS {stage}_checked",
            "count(*) FILTER (WHERE " + breaks + f") AS {stage}_offending",
            "count(*) FILTER (WHERE " + at + f" AND NOT {recorded}) AS {stage}_unrecorded",
        ]
    cols.append("count(*) FILTER (WHERE " + breaks_mql + " OR " + breaks_sql + ") AS offending")
    sql = "SELECT " + join(cols, ",\n       ") + "\nFROM leads l\n" + where(conds)
    return Query(sql, "BANT audit")


def bant_audit(con: duckdb.DuckDBPyConnection, f: Filters) -> AuditSummary:
    """The BANT consistency audit (PRODUCT.md "Qualification"): leads at MQL or later with fewer
    than 2 BANT criteria confirmed, at SQL or later with fewer than 4, where BANT is recorded.

    "At MQL or later" follows the view's mode: cohort = leads created in the period that reached
    the stage; activity = leads whose stage date is in the period. All other filters apply.
    """
    query = bant_audit_query(f)
    cur = query.run(con)
    names = [d[0] for d in cur.description]
    row = dict(zip(names, cur.fetchone() or (), strict=True))
    return AuditSummary(**{k: int(row[k] or 0) for k in names}, query=query)


#: Columns of :func:`bant_audit_leads`, in order.
AUDIT_LEAD_COLUMNS: Final[tuple[str, ...]] = (
    "lead_id",
    "created_at",
    "company",
    "email",
    "phone",
    "owner",
    "source",
    "campaign_id",
    "stage",
    "status",
    *BANT_COLUMNS,
    "bant_count",
    "rule",
)


def bant_audit_leads_query(f: Filters, limit: int, offset: int = 0) -> Query:
    if limit < 0 or offset < 0:
        raise ValueError("limit and offset must not be negative")
    conds, breaks_mql, breaks_sql = _audit_base(f)
    sql = (
        "SELECT l.lead_id, l.created_at, l.company, l.email, l.phone, l.owner, l.source,\n"
        "       l.campaign_id, l.stage, l.status, "
        + ", ".join(f"l.{c}" for c in BANT_COLUMNS)
        + f",\n       {bant_count_sql('l')} AS bant_count,\n"
        "       CASE WHEN " + breaks_sql + " THEN 'sql' ELSE 'mql' END AS rule\n"
        "FROM leads l\n"
        + where([*conds, "(" + breaks_mql + " OR " + breaks_sql + ")"])
        + Sql("\nORDER BY l.created_at DESC, l.lead_id\nLIMIT ? OFFSET ?", (limit, offset))
    )
    return Query(sql, "BANT audit: leads")


def bant_audit_leads(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    limit: int = 50,
    offset: int = 0,
    show_contacts: bool = False,
) -> pd.DataFrame:
    """The leads breaking the BANT audit, newest first, ``limit`` rows from ``offset`` (a page).

    E-mails and phones come masked (:mod:`analytics.privacy`) unless ``show_contacts``: the list
    is for finding the cards in the CRM by ``lead_id``, not for contacting people. ``rule`` =
    "sql" when the lead breaks the SQL rule (at SQL or later with fewer than 4 criteria), else
    "mql".
    """
    df = frame(con, bant_audit_leads_query(f, limit, offset))
    sql = df.attrs.get("sql", "")
    if not show_contacts:
        df["email"] = pd.array([mask_email(v) for v in df["email"].tolist()], dtype="string")
        df["phone"] = pd.array([mask_phone(v) for v in df["phone"].tolist()], dtype="string")
    df.attrs["sql"] = sql
    return df
