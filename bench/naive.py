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
from datetime import datetime, time, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from analytics.filters import Filters
from analytics.model import STAGE_TIMESTAMP, STAGES, VELOCITY_PAIRS, stages_from
from bench.common import CAMPAIGN_FIELDS, FRAME_FIELDS, ROW_KEYS, plain, rows_of, supported_filters


@dataclass(frozen=True)
class Tables:
    leads: pd.DataFrame
    costs: pd.DataFrame


def load(con: duckdb.DuckDBPyConnection) -> Tables:
    """Every lead and cost row as DataFrames (the analyst's ``SELECT *``)."""
    return Tables(
        leads=con.execute("SELECT * FROM leads").df(),
        costs=con.execute("SELECT * FROM campaign_costs").df(),
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
    leads = t.leads[t.leads["campaign_id"].notna()]
    names = {s: ("leads" if s == "lead" else s) for s in STAGES}
    if f.mode == "cohort":
        pop = leads[_in(leads["created_at"], f)]
        flags = pd.DataFrame({names[s]: _reached(pop, s) for s in STAGES})
        flags["revenue"] = pop["deal_value"].where(pop["stage"] == "won", 0.0)
        flags["valued"] = (pop["stage"] == "won") & pop["deal_value"].notna()
        flags["campaign_id"] = pop["campaign_id"]
    else:
        flags = pd.DataFrame({names[s]: _in(leads[STAGE_TIMESTAMP[s]], f) for s in STAGES})
        flags["revenue"] = leads["deal_value"].where(_in(leads["won_at"], f), 0.0)
        flags["valued"] = _in(leads["won_at"], f) & leads["deal_value"].notna()
        flags["campaign_id"] = leads["campaign_id"]
        flags = flags[flags[list(names.values())].any(axis=1)]
    counts = flags.groupby("campaign_id").sum()
    counts["revenue"] = counts["revenue"].astype(float)
    k = _costs_in(t, f).groupby("campaign_id")[["spend", "impressions", "clicks"]].sum()
    df = k.join(counts, how="outer").reset_index()
    count_cols = [*names.values(), "revenue", "valued"]
    df[count_cols] = df[count_cols].fillna(0)  # costs stay missing: no cost row = unknown
    # clients without any deal value: unknown revenue
    df["revenue"] = df["revenue"].where((df["won"] == 0) | (df["valued"] > 0))
    df["spend"] = df["spend"].astype(float)
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
    return rows_of(df, CAMPAIGN_FIELDS, ROW_KEYS["campaigns"])


def _week(s: pd.Series) -> pd.Series:
    day = s.dt.normalize()
    return day - pd.to_timedelta(day.dt.day_of_week, unit="D")


def weekly(t: Tables, f: Filters) -> list[dict[str, Any]]:
    supported_filters(f)
    leads = t.leads
    per_week = {}
    for stage, name in zip(STAGES, ("leads", "mql", "sql", "opportunity", "won"), strict=True):
        ts = leads[STAGE_TIMESTAMP[stage]]
        per_week[name] = _week(ts[_in(ts, f)]).value_counts()
    won = _in(leads["won_at"], f)
    per_week["revenue"] = (
        leads.loc[won, "deal_value"].groupby(_week(leads.loc[won, "won_at"])).sum()
    )
    k = _costs_in(t, f)
    spend = k["spend"].groupby(_week(k["day"])).sum()
    counts = pd.DataFrame(per_week)
    known = counts.index.union(spend.index)
    lo = _week(pd.Series([pd.Timestamp(f.date_from)])).iloc[0] if f.date_from else known.min()
    hi = _week(pd.Series([pd.Timestamp(f.date_to)])).iloc[0] if f.date_to else known.max()
    if pd.isna(lo):
        return []
    weeks = pd.date_range(lo, hi, freq="7D")
    df = counts.reindex(weeks).fillna(0)
    df["spend"] = spend.reindex(weeks)
    df["cost_per_lead"] = _div(df["spend"], df["leads"])
    df = df.rename_axis("week").reset_index()
    return rows_of(df, FRAME_FIELDS["weekly"], ROW_KEYS["weekly"])


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


#: metric name -> its pandas version (takes the loaded :class:`Tables`).
NAIVE: dict[str, Callable[..., Any]] = {
    "summary": summary,
    "campaigns": campaigns,
    "weekly": weekly,
    "velocity": velocity,
    "sales_cycle": sales_cycle,
}
