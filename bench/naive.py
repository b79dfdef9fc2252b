"""The naive alternative: the same metrics in plain pandas, on DataFrames of the whole tables.

What an analyst would write: load ``leads`` (and the small ``campaigns`` / ``campaign_costs``)
into pandas once, then filter with boolean masks and group. :func:`load` is timed separately
(it is what makes this approach heavy: every lead row crosses into Python); each metric function
then works on the loaded :class:`Tables`. Results are in the normalised form of
:func:`bench.common.normalise`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import duckdb
import numpy as np
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
from bench.rates import add_cost_per_mql_interval, add_rate_columns, breakdown_rows


@dataclass(frozen=True)
class Tables:
    leads: pd.DataFrame
    costs: pd.DataFrame
    campaigns: pd.DataFrame


def load(con: duckdb.DuckDBPyConnection) -> Tables:
    """Every lead, cost and campaign row as DataFrames (the analyst's ``SELECT *``)."""
    return Tables(
        leads=con.execute("SELECT * FROM leads").df(),
        costs=con.execute("SELECT * FROM campaign_costs").df(),
        campaigns=con.execute("SELECT * FROM campaigns").df(),
    )


def _bounds(f: Filters) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    lo = pd.Timestamp(datetime.combine(f.date_from, time.min)) if f.date_from else None
    hi = (
        pd.Timestamp(datetime.combine(f.date_to + timedelta(days=1), time.min))
        if f.date_to
        else None
    )
    return lo, hi


def _in(s: pd.Series, f: Filters) -> pd.Series:
    lo, hi = _bounds(f)
    mask = s.notna()
    if lo is not None:
        mask &= s >= lo
    if hi is not None:
        mask &= s < hi
    return mask


def _costs_in(t: Tables, f: Filters) -> pd.DataFrame:
    k = t.costs
    mask = pd.Series(True, index=k.index)
    if f.date_from:
        mask &= k["day"] >= pd.Timestamp(f.date_from)
    if f.date_to:
        mask &= k["day"] <= pd.Timestamp(f.date_to)
    return k[mask]


def _reached(df: pd.DataFrame, stage: str) -> pd.Series:
    return df["stage"].isin(stages_from(stage))  # type: ignore[arg-type]


def summary(t: Tables, f: Filters) -> dict[str, Any]:
    supported_filters(f)
    leads = t.leads
    out: dict[str, Any] = {}
    if f.mode == "cohort":
        pop = leads[_in(leads["created_at"], f)]
        for s in STAGES:
            out[f"n_{s}"] = int(_reached(pop, s).sum())
            out[f"undated_{s}"] = 0
        values = pop.loc[pop["stage"] == "won", "deal_value"]
    else:
        created = _in(leads["created_at"], f)
        for s in STAGES:
            out[f"n_{s}"] = int(_in(leads[STAGE_TIMESTAMP[s]], f).sum())
            undated = created & _reached(leads, s) & leads[STAGE_TIMESTAMP[s]].isna()
            out[f"undated_{s}"] = 0 if s == "lead" else int(undated.sum())
        values = leads.loc[_in(leads["won_at"], f), "deal_value"]
    k = _costs_in(t, f)
    # unknown is not zero: clients without deal values, or no cost row at all
    unknown_revenue = out["n_won"] > 0 and values.notna().sum() == 0
    out["revenue"] = None if unknown_revenue else float(values.sum())
    out["spend"] = None if k.empty else float(k["spend"].sum())
    out["impressions"] = None if k.empty else int(k["impressions"].sum())
    out["clicks"] = None if k.empty else int(k["clicks"].sum())
    return out


def _div(a: pd.Series, b: pd.Series) -> pd.Series:
    b = b.astype(float)
    return a.astype(float) / b.where(b != 0)


def campaigns(t: Tables, f: Filters) -> list[dict[str, Any]]:
    supported_filters(f)
    return rows_of(_campaign_frame(t, f), CAMPAIGN_FIELDS, ROW_KEYS["campaigns"])


def _campaign_frame(t: Tables, f: Filters) -> pd.DataFrame:
    """Per campaign: costs, counts by the mode, revenue (unknown: clients without any deal
    value), ``ch`` = a channel of its leads; rates not yet."""
    leads = t.leads[t.leads["campaign_id"].notna()]
    names = {s: ("leads" if s == "lead" else s) for s in STAGES}
    if f.mode == "cohort":
        pop = leads[_in(leads["created_at"], f)]
        flags = pd.DataFrame({names[s]: _reached(pop, s) for s in STAGES})
        flags["revenue"] = pop["deal_value"].where(pop["stage"] == "won", 0.0)
        flags["valued"] = (pop["stage"] == "won") & pop["deal_value"].notna()
        flags["campaign_id"] = pop["campaign_id"]
        channel = pop["channel"]
    else:
        flags = pd.DataFrame({names[s]: _in(leads[STAGE_TIMESTAMP[s]], f) for s in STAGES})
        flags["revenue"] = leads["deal_value"].where(_in(leads["won_at"], f), 0.0)
        flags["valued"] = _in(leads["won_at"], f) & leads["deal_value"].notna()
        flags["campaign_id"] = leads["campaign_id"]
        channel = leads["channel"]
        flags = flags[flags[list(names.values())].any(axis=1)]
        channel = channel[flags.index]
    counts = flags.groupby("campaign_id").sum()
    counts["revenue"] = counts["revenue"].astype(float)
    counts["ch"] = channel.groupby(flags["campaign_id"]).min()
    k = _costs_in(t, f).groupby("campaign_id")[["spend", "impressions", "clicks"]].sum()
    df = k.join(counts, how="outer").reset_index()
    count_cols = [*names.values(), "revenue", "valued"]
    df[count_cols] = df[count_cols].fillna(0)  # costs stay missing: no cost row = unknown
    # clients without any deal value: unknown revenue
    df["revenue"] = df["revenue"].where((df["won"] == 0) | (df["valued"] > 0))
    df["spend"] = df["spend"].astype(float)
    return _rates(df)


def _rates(df: pd.DataFrame) -> pd.DataFrame:
    df["ctr"] = _div(df["clicks"], df["impressions"])
    for col, stage in (
        ("cost_per_lead", "leads"),
        ("cost_per_mql", "mql"),
        ("cost_per_sql", "sql"),
        ("cost_per_client", "won"),
    ):
        df[col] = _div(df["spend"], df[stage])
    df["mql_yield"] = _div(df["mql"], df["leads"])
    df["mql_to_sql"] = _div(df["sql"], df["mql"])
    df["romi"] = _div(df["revenue"] - df["spend"], df["spend"])
    return df


def campaign_comparison(t: Tables, f: Filters, by: str = "campaign") -> list[dict[str, Any]]:
    """Per campaign (pandas), grouped by campaign, channel or direction, with the intervals."""
    supported_filters(f)
    df = _campaign_frame(t, f)
    camp = t.campaigns.set_index("campaign_id")
    df["name"] = df["campaign_id"].map(camp["name"]).fillna(df["campaign_id"])
    df["channel"] = df["campaign_id"].map(camp["channel"])
    df["direction"] = df["campaign_id"].map(camp["direction"])
    sums = ["spend", "impressions", "clicks", "leads", "mql", "sql", "opportunity", "won"]
    if by == "campaign":
        key = "campaign_id"
        g = df
    else:
        if by == "channel":
            df["g"] = df["channel"].fillna(df["ch"])
        elif by == "direction":
            outbound = df["ch"].isin(["purchased_list", "cold_outreach"])
            df["g"] = df["direction"].fillna(outbound.map({True: "outbound", False: "inbound"}))
        else:
            raise Unsupported(f"grouping {by!r}")
        key = by
        grouped = df.groupby("g", dropna=False)
        g = grouped[sums].sum(min_count=1)
        g[sums[3:]] = g[sums[3:]].fillna(0)
        g["revenue"] = grouped["revenue"].sum(min_count=1)
        g["campaigns"] = grouped.size()
        g = _rates(g.rename_axis(key).reset_index())
    rows = [{c: plain(v) for c, v in r.items()} for r in g.to_dict(orient="records")]
    cohort = f.mode == "cohort"
    add_rate_columns(rows, "mql_yield", "mql", "leads", cohort)
    add_rate_columns(rows, "mql_to_sql", "sql", "mql", cohort)
    add_cost_per_mql_interval(rows, cohort)
    head = COMPARISON_HEAD[key]
    return sorted(
        ({c: r[c] for c in (*head, *COMPARISON_BODY)} for r in rows), key=lambda r: str(r[key])
    )


def _week(s: pd.Series, week_start: str = "monday") -> pd.Series:
    day = s.dt.normalize()
    shift = day.dt.day_of_week if week_start == "monday" else (day.dt.day_of_week + 1) % 7
    return day - pd.to_timedelta(shift, unit="D")


def _trend_frame(t: Tables, f: Filters, week_start: str = "monday") -> pd.DataFrame:
    leads = t.leads
    per_week = {}
    for stage, name in zip(STAGES, ("leads", "mql", "sql", "opportunity", "won"), strict=True):
        ts = leads[STAGE_TIMESTAMP[stage]]
        per_week[name] = _week(ts[_in(ts, f)], week_start).value_counts()
    won = _in(leads["won_at"], f)
    won_weeks = _week(leads.loc[won, "won_at"], week_start)
    per_week["revenue"] = leads.loc[won, "deal_value"].groupby(won_weeks).sum()
    per_week["valued"] = leads.loc[won, "deal_value"].notna().groupby(won_weeks).sum()
    k = _costs_in(t, f)
    spend = k["spend"].groupby(_week(k["day"], week_start)).sum()
    counts = pd.DataFrame(per_week)
    known = counts.index.union(spend.index)
    bounds = [
        _week(pd.Series([pd.Timestamp(d)]), week_start).iloc[0] if d else None
        for d in (f.date_from, f.date_to)
    ]
    lo = bounds[0] if bounds[0] is not None else known.min()
    hi = bounds[1] if bounds[1] is not None else known.max()
    if pd.isna(lo):
        return pd.DataFrame(columns=list(TREND_FIELDS))
    weeks = pd.date_range(lo, hi, freq="7D")
    df = counts.reindex(weeks).fillna(0)
    # clients none of whom has a deal value: revenue unknown
    df["revenue"] = df["revenue"].astype(float).where((df["won"] == 0) | (df["valued"] > 0))
    df["spend"] = spend.reindex(weeks).astype(float)
    df["cost_per_lead"] = _div(df["spend"], df["leads"])
    df["cost_per_client"] = _div(df["spend"], df["won"])
    df["mql_to_sql"] = _div(df["sql"], df["mql"])
    df = df.rename_axis("week").reset_index()
    if week_start == "monday":
        iso = df["week"].dt.isocalendar()
        df["label"] = [f"{y}-W{w:02d}" for y, w in zip(iso["year"], iso["week"], strict=True)]
    else:
        df["label"] = df["week"].dt.strftime("%Y-%m-%d")
    return df


def weekly(t: Tables, f: Filters) -> list[dict[str, Any]]:
    supported_filters(f)
    return rows_of(_trend_frame(t, f), FRAME_FIELDS["weekly"], ROW_KEYS["weekly"])


def _channel_weeks(t: Tables, week: date) -> list[dict[str, Any]]:
    leads = t.leads
    now = Filters(week, week + timedelta(days=6))
    prev = Filters(week - timedelta(days=7), week - timedelta(days=1))
    cols = {}
    for stage, name in zip(STAGES, ("leads", "mql", "sql", "opportunity", "won"), strict=True):
        ts = leads[STAGE_TIMESTAMP[stage]]
        cols[f"{name}_now"] = _in(ts, now)
        cols[f"{name}_prev"] = _in(ts, prev)
    flags = pd.DataFrame(cols)
    flags = flags[flags.any(axis=1)]
    df = flags.groupby(leads.loc[flags.index, "channel"], dropna=False).sum()
    return rows_of(df.reset_index(names="channel"), CHANNEL_WEEK_FIELDS, ("channel",))


def _cohorts(
    t: Tables, f: Filters, as_of: date, cycle_days: float | None, week_start: str
) -> list[dict[str, Any]]:
    leads = t.leads
    pop = leads[_in(leads["created_at"], f)]
    weeks = _week(pop["created_at"], week_start)
    data = {"leads": weeks.value_counts()}
    for s in STAGES[1:]:
        data[s] = weeks[_reached(pop, s)].value_counts()
    assert f.date_from and f.date_to
    lo, hi = (
        _week(pd.Series([pd.Timestamp(d)]), week_start).iloc[0] for d in (f.date_from, f.date_to)
    )
    all_weeks = pd.date_range(lo, hi, freq="7D")
    df = pd.DataFrame(data).reindex(all_weeks).fillna(0).astype(int)
    for s in STAGES[1:]:
        df[f"share_{s}"] = _div(df[s], df["leads"])
    df = df.rename_axis("week").reset_index()
    if week_start == "monday":
        iso = df["week"].dt.isocalendar()
        df["label"] = [f"{y}-W{w:02d}" for y, w in zip(iso["year"], iso["week"], strict=True)]
    else:
        df["label"] = df["week"].dt.strftime("%Y-%m-%d")
    last = (df["week"] + pd.Timedelta(days=6)).clip(upper=pd.Timestamp(as_of))
    df["age_days"] = (pd.Timestamp(as_of) - last).dt.days
    df["mature"] = [cycle_days is not None and a >= cycle_days for a in df["age_days"]]
    return rows_of(df, COHORT_FIELDS, ("week",))


def _forecast(t: Tables, as_of: date) -> dict[str, Any]:
    leads = t.leads
    start = pd.Timestamp(as_of - timedelta(days=364))
    end = pd.Timestamp(as_of + timedelta(days=1))
    won = leads["status"] == "won"
    lost = leads["status"] == "lost"
    closed = (won & (leads["won_at"] >= start) & (leads["won_at"] < end)) | (
        lost & (leads["lost_at"] >= start) & (leads["lost_at"] < end)
    )
    won_closed = leads.loc[closed & won, "deal_value"]
    deals = int(won_closed.notna().sum())
    average = float(won_closed.mean()) if deals else None
    rows, expected, uncovered = [], 0.0, 0
    for stage in STAGES[:-1]:
        open_n = int(
            (
                (leads["status"] == "open")
                & (leads["stage"] == stage)
                & (leads["created_at"] < end)
            ).sum()
        )
        reached = _reached(leads, stage)
        closed_n = int((closed & reached).sum())
        won_n = int((closed & reached & won).sum())
        p = won_n / closed_n if closed_n else None
        exp = None if p is None else open_n * p
        expected += exp or 0.0
        uncovered += open_n if p is None else 0
        rows.append(
            {
                "stage": stage,
                "open_leads": open_n,
                "closed": closed_n,
                "won": won_n,
                "p_won": p,
                "expected_wins": exp,
                "few": closed_n < 30,
            }
        )
    undated = int(((won & leads["won_at"].isna()) | (lost & leads["lost_at"].isna())).sum())
    return {
        "window_from": start.date().isoformat(),
        "expected_wins": expected,
        "uncovered_open": uncovered,
        "deals": deals,
        "average_deal": average,
        "expected_revenue": None if average is None else expected * average,
        "undated_closed": undated,
        "stages": rows,
    }


def weekly_review(
    t: Tables,
    f: Filters,
    *,
    week: date,
    as_of: date,
    cycle_days: float | None,
    week_start: str = "monday",
) -> dict[str, Any]:
    """The Weekly review's figures in pandas: trend, channels, cohorts, velocity, forecast."""
    supported_filters(f)
    end = week + timedelta(days=6)
    window = Filters(week - timedelta(days=7 * (TREND_WEEKS - 1)), end, mode="activity")
    cohort_window = Filters(week - timedelta(days=7 * (COHORT_WEEKS - 1)), end)
    return {
        "trend": rows_of(_trend_frame(t, window, week_start), TREND_FIELDS, ("week",)),
        "channels": _channel_weeks(t, week),
        "cohorts": _cohorts(t, cohort_window, as_of, cycle_days, week_start),
        "velocity": velocity(t, window),
        "forecast": _forecast(t, as_of),
    }


def velocity(t: Tables, f: Filters) -> list[dict[str, Any]]:
    supported_filters(f)
    leads = t.leads
    if f.mode == "cohort":
        leads = leads[_in(leads["created_at"], f)]
    rows = []
    for a, b in VELOCITY_PAIRS:
        ta, tb = leads[STAGE_TIMESTAMP[a]], leads[STAGE_TIMESTAMP[b]]
        both = ta.notna() & tb.notna()
        if f.mode == "activity":
            both &= _in(tb, f)
        days = (tb[both] - ta[both]) / pd.Timedelta(days=1)
        ok = days[days >= 0]
        rows.append(
            {
                "from_stage": a,
                "to_stage": b,
                "n": len(ok),
                "median_days": plain(ok.quantile(0.5)) if len(ok) else None,
                "p75_days": plain(ok.quantile(0.75)) if len(ok) else None,
                "p90_days": plain(ok.quantile(0.9)) if len(ok) else None,
                "mean_days": plain(ok.mean()) if len(ok) else None,
                "excluded": int((days < 0).sum()),
            }
        )
    return sorted(rows, key=lambda r: (r["from_stage"], r["to_stage"]))


def sales_cycle(t: Tables, f: Filters | None = None) -> float | None:
    leads = t.leads
    days = (leads["won_at"] - leads["created_at"]).dropna() / pd.Timedelta(days=1)
    days = days[days >= 0]
    return plain(np.quantile(days, 0.75)) if len(days) else None


_BANT = ("bant_budget", "bant_authority", "bant_need", "bant_timing")
_COUNTS = ("leads", "mql", "sql", "opportunity", "won")


def _bant(leads: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(confirmed criteria 0-4, BANT recorded) per lead."""
    confirmed = sum(leads[c].fillna(False).astype(bool).astype(int) for c in _BANT)
    recorded = leads[list(_BANT)].notna().any(axis=1)
    return confirmed, recorded  # type: ignore[return-value]


def _stage_flags(leads: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """Per lead of the view: counted at each stage (by the mode), won deal value, valued."""
    if f.mode == "cohort":
        pop = leads[_in(leads["created_at"], f)]
        flags = pd.DataFrame({n: _reached(pop, s) for n, s in zip(_COUNTS, STAGES, strict=True)})
        won = pop["stage"] == "won"
    else:
        flags = pd.DataFrame(
            {n: _in(leads[STAGE_TIMESTAMP[s]], f) for n, s in zip(_COUNTS, STAGES, strict=True)}
        )
        won = _in(leads["won_at"], f)
        flags = flags[flags.any(axis=1)]
        pop = leads.loc[flags.index]
        won = won[flags.index]
    flags["revenue"] = pop["deal_value"].where(won, 0.0).astype(float)
    flags["valued"] = won & pop["deal_value"].notna()
    return flags


def quality_breakdowns(t: Tables, f: Filters) -> dict[str, Any]:
    supported_filters(f)
    flags = _stage_flags(t.leads, f)
    leads = t.leads.loc[flags.index]
    size = leads["company_size"]
    segment = pd.Series(
        np.where(
            size.isna(),
            "unknown_size",
            np.where(
                ((size >= f.icp_min) & (size <= f.icp_max)).fillna(False), "target", "non_target"
            ),
        ),
        index=leads.index,
    )
    cohort = f.mode == "cohort"
    out: dict[str, Any] = {}
    for name, key in (("segment", segment), ("source", leads["source"]), ("owner", leads["owner"])):
        g = flags.groupby(key, dropna=False).sum()
        groups = [
            {**{k: plain(v) for k, v in r.items()}, "key": plain(k)}
            for k, r in zip(g.index, g.to_dict(orient="records"), strict=True)
        ]
        rows = breakdown_rows(groups, cohort)
        out[name] = sorted(
            ({c: r[c] for c in BREAKDOWN_FIELDS} for r in rows), key=lambda r: str(r["key"])
        )
    confirmed, recorded = _bant(leads)
    b = confirmed.where(recorded)
    bant = []
    for col, stage in zip(_COUNTS, STAGES, strict=True):
        at = b[flags[col]]
        total = len(at)
        for k in (0, 1, 2, 3, 4, None):
            n = int(at.isna().sum()) if k is None else int((at == k).sum())
            bant.append(
                {"stage": stage, "bant_count": k, "leads": n, "share": n / total if total else None}
            )
    out["bant"] = sorted(bant, key=lambda r: (r["stage"], str(r["bant_count"])))
    return out


def _audit_frame(t: Tables, f: Filters) -> pd.DataFrame:
    """The view's leads with: at_mql, at_sql (counted there by the mode), n, recorded."""
    leads = t.leads
    if f.mode == "cohort":
        leads = leads[_in(leads["created_at"], f)]
        at_mql, at_sql = _reached(leads, "mql"), _reached(leads, "sql")
    else:
        at_mql, at_sql = _in(leads["mql_at"], f), _in(leads["sql_at"], f)
    confirmed, recorded = _bant(leads)
    return leads.assign(
        at_mql=at_mql,
        at_sql=at_sql,
        n=confirmed,
        recorded=recorded,
        breaks_mql=at_mql & recorded & (confirmed < 2),
        breaks_sql=at_sql & recorded & (confirmed < 4),
    )


def bant_audit(t: Tables, f: Filters) -> dict[str, int]:
    supported_filters(f)
    a = _audit_frame(t, f)
    out = {}
    for s in ("mql", "sql"):
        out[f"{s}_checked"] = int((a[f"at_{s}"] & a["recorded"]).sum())
        out[f"{s}_offending"] = int(a[f"breaks_{s}"].sum())
        out[f"{s}_unrecorded"] = int((a[f"at_{s}"] & ~a["recorded"]).sum())
    out["offending"] = int((a["breaks_mql"] | a["breaks_sql"]).sum())
    return out


def _masked(rows: list[dict[str, Any]], show: bool) -> list[dict[str, Any]]:
    if not show:
        for r in rows:
            r["email"], r["phone"] = mask_email(r["email"]), mask_phone(r["phone"])
    return rows


def bant_audit_leads(
    t: Tables, f: Filters, limit: int = 50, offset: int = 0, show_contacts: bool = False
) -> list[dict[str, Any]]:
    supported_filters(f)
    a = _audit_frame(t, f)
    a = a[a["breaks_mql"] | a["breaks_sql"]]
    a = a.sort_values(["created_at", "lead_id"], ascending=[False, True])
    page = a.iloc[offset : offset + limit].assign(
        bant_count=lambda d: d["n"], rule=lambda d: np.where(d["breaks_sql"], "sql", "mql")
    )
    return _masked(rows_of(page, AUDIT_LEAD_FIELDS, ()), show_contacts)


def stopped_leads(
    t: Tables,
    f: Filters,
    stage: str,
    outcome: str | None = None,
    limit: int = 25,
    offset: int = 0,
    show_contacts: bool = False,
) -> dict[str, Any]:
    supported_filters(f)
    leads = t.leads
    mask = _in(leads["created_at"], f) & (leads["stage"] == stage)
    mask &= (leads["status"] == outcome) if outcome else (leads["status"] != "won")
    hit = leads[mask].sort_values(["created_at", "lead_id"], ascending=[False, True])
    page = hit.iloc[offset : offset + limit]
    names = t.campaigns.set_index("campaign_id")["name"]
    page = page.assign(
        reached_at=page[STAGE_TIMESTAMP[stage]],  # type: ignore[index]
        campaign=page["campaign_id"].map(names).fillna(page["campaign_id"]),
    )
    return {
        "total": int(mask.sum()),
        "rows": _masked(rows_of(page, STOPPED_FIELDS, ()), show_contacts),
    }


def journey_view(t: Tables, f: Filters) -> dict[str, Any]:
    supported_filters(f)
    leads = t.leads
    attributed = leads[leads["campaign_id"].notna()]
    funnel: dict[str, Any] = {}
    for s in STAGES:
        if f.mode == "cohort":
            pop = attributed[_in(attributed["created_at"], f)]
            funnel[f"n_{s}"] = int(_reached(pop, s).sum())
        else:
            funnel[f"n_{s}"] = int(_in(attributed[STAGE_TIMESTAMP[s]], f).sum())
    k = _costs_in(t, f)
    funnel["impressions"] = None if k.empty else int(k["impressions"].sum())
    funnel["clicks"] = None if k.empty else int(k["clicks"].sum())

    cohort = leads[_in(leads["created_at"], f)]
    order = {s: i for i, s in enumerate(STAGES)}
    ords = cohort["stage"].map(order)
    reached = {s: int((ords >= i).sum()) for i, s in enumerate(STAGES)}
    lost = cohort["status"] == "lost"
    by_reason = cohort.loc[lost, "lost_reason"].value_counts()
    ranked = sorted(by_reason.index, key=lambda r: (-by_reason[r], r))
    top = set(ranked[:8])
    tally: dict[tuple[Any, ...], int] = {}
    for i, s in enumerate(STAGES[:-1]):
        tally[(s, "next", None, None)] = reached[STAGES[i + 1]]
        here = cohort[cohort["stage"] == s]
        for status in ("nurture", "open"):
            tally[(s, status, None, None)] = int((here["status"] == status).sum())
        reasons = here.loc[here["status"] == "lost", "lost_reason"]
        for reason, n in reasons.value_counts(dropna=False).items():
            if pd.isna(reason):
                key: tuple[Any, ...] = (s, "lost", None, "none")
            elif reason in top:
                key = (s, "lost", reason, "reason")
            else:
                key = (s, "lost", None, "other")
            tally[key] = tally.get(key, 0) + int(n)
    flow_rows = [
        {"from_stage": k[0], "outcome": k[1], "reason": k[2], "reason_group": k[3], "leads": n}
        for k, n in tally.items()
        if n > 0
    ]
    keys = ("from_stage", "outcome", "reason_group", "reason")

    ttc = []
    pop = leads[_in(leads["created_at"], f)] if f.mode == "cohort" else leads
    edges = [0, 1, 3, 7, 14, 30, 60, 90, 180]
    for a, b in VELOCITY_PAIRS:
        ta, tb = pop[STAGE_TIMESTAMP[a]], pop[STAGE_TIMESTAMP[b]]
        both = ta.notna() & tb.notna()
        if f.mode == "activity":
            both &= _in(tb, f)
        days = (tb[both] - ta[both]) / pd.Timedelta(days=1)
        days = days[days >= 0]
        bucket = np.searchsorted(np.array(edges[1:], dtype=float), days.to_numpy(), side="right")
        counts = np.bincount(bucket, minlength=len(edges))
        for i, lo in enumerate(edges):
            hi = edges[i + 1] if i + 1 < len(edges) else None
            ttc.append(
                {
                    "from_stage": a,
                    "to_stage": b,
                    "bucket": i,
                    "lo_days": lo,
                    "hi_days": hi,
                    "leads": int(counts[i]),
                }
            )
    return {
        "summary": summary(t, f),
        "funnel": funnel,
        "flows": {
            "reached": reached,
            "rows": sorted(flow_rows, key=lambda r: tuple(str(r[k]) for k in keys)),
        },
        "time_to_convert": sorted(
            ttc, key=lambda r: (r["from_stage"], r["to_stage"], str(r["bucket"]))
        ),
        "velocity": velocity(t, f),
    }


#: metric name -> its pandas version (takes the loaded :class:`Tables`).
NAIVE: dict[str, Callable[..., Any]] = {
    "summary": summary,
    "campaigns": campaigns,
    "weekly": weekly,
    "velocity": velocity,
    "sales_cycle": sales_cycle,
    "campaign_comparison": campaign_comparison,
    "weekly_review": weekly_review,
    "quality_breakdowns": quality_breakdowns,
    "bant_audit": bant_audit,
    "bant_audit_leads": bant_audit_leads,
    "stopped_leads": stopped_leads,
    "journey_view": journey_view,
}
