"""What the harness's parts share: paths, sizes, Filters <-> JSON, result normalisation, timing.

Every implementation of a metric (the page's own function, the hand-written limit SQL, the pandas
version) is reduced by :func:`normalise` to plain rows of numbers, so "the same numbers" is one
comparison (:func:`same_numbers`) whichever produced them.
"""

from __future__ import annotations

import json
import math
import os
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from analytics.filters import Filters
from analytics.metrics.journey import STOPPED_COLUMNS
from analytics.metrics.quality import AUDIT_LEAD_COLUMNS
from analytics.model import STAGES

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"  #: generated databases and scratch files (not committed)
RESULTS = ROOT / "bench" / "results"  #: the latest results, JSON and markdown (committed)
DOC = ROOT / "docs" / "PERFORMANCE.md"

#: The day the demo data ends and "today" for period presets: fixed, so runs are comparable.
BENCH_TODAY = date(2026, 11, 22)
BENCH_SEED = 42
LAST_DAYS = 90  #: variant (a): the last 90 days ending today

VARIANTS: dict[str, str] = {
    "last_90_days": "the last 90 days",
    "all_time": "all time",
}


class Unsupported(Exception):
    """This implementation does not cover these filters (the table shows "-", with the reason)."""


# --------------------------------------------------------------------------------------------
# Sizes


def parse_size(text: str) -> int:
    """``100k`` -> 100 000, ``1m`` -> 1 000 000, ``2500`` -> 2 500."""
    t = text.strip().lower().replace("_", "")
    mult = 1
    if t.endswith("k"):
        mult, t = 1_000, t[:-1]
    elif t.endswith("m"):
        mult, t = 1_000_000, t[:-1]
    try:
        value = float(t) * mult
    except ValueError:
        raise ValueError(f"{text!r} is not a size; use e.g. 100k, 1m, 10m or 2500") from None
    if value < 1 or value != int(value):
        raise ValueError(f"{text!r} is not a whole number of leads of at least 1")
    return int(value)


def size_label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


# --------------------------------------------------------------------------------------------
# Filters <-> JSON (the plan travels between processes)


def filters_to_json(f: Filters) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in asdict(f).items():
        out[k] = v.isoformat() if isinstance(v, date) else list(v) if isinstance(v, tuple) else v
    return out


def filters_from_json(d: dict[str, Any]) -> Filters:
    kwargs: dict[str, Any] = {}
    names = {f.name for f in fields(Filters)}
    for k, v in d.items():
        if k not in names:
            continue
        if k in ("date_from", "date_to"):
            kwargs[k] = date.fromisoformat(v) if v else None
        elif isinstance(v, list):
            kwargs[k] = tuple(v)
        else:
            kwargs[k] = v
    return Filters(**kwargs)


def value_to_json(v: Any) -> Any:
    """A bound SQL parameter as JSON, with its type kept (dates and timestamps differ)."""
    if isinstance(v, datetime):
        return {"datetime": v.isoformat()}
    if isinstance(v, date):
        return {"date": v.isoformat()}
    if isinstance(v, Decimal):
        return {"decimal": str(v)}
    if isinstance(v, (list, tuple)):
        return [value_to_json(x) for x in v]
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return {"repr": repr(v)}


def value_from_json(v: Any) -> Any:
    if isinstance(v, dict):
        if "datetime" in v:
            return datetime.fromisoformat(v["datetime"])
        if "date" in v:
            return date.fromisoformat(v["date"])
        if "decimal" in v:
            return Decimal(v["decimal"])
        raise ValueError(f"cannot replay a parameter of type {v.get('repr', v)}")
    if isinstance(v, list):
        return [value_from_json(x) for x in v]
    return v


def supported_filters(f: Filters) -> None:
    """The limit and pandas versions cover the period and the mode; anything else is "-"."""
    extra = [
        name
        for name in (
            "campaigns",
            "channels",
            "directions",
            "sources",
            "owners",
            "regions",
            "industries",
            "segments",
            "temperatures",
        )
        if getattr(f, name)
    ]
    if extra:
        raise Unsupported(f"filters {', '.join(extra)} are not covered")


# --------------------------------------------------------------------------------------------
# Normalised results: {"rows": [dict, ...]} with plain Python numbers, comparable across
# implementations. Columns are those every implementation produces for that metric.

SUMMARY_FIELDS = ("revenue", "spend", "impressions", "clicks")
CAMPAIGN_FIELDS = (
    "campaign_id",
    "spend",
    "impressions",
    "clicks",
    "ctr",
    "leads",
    "mql",
    "sql",
    "opportunity",
    "won",
    "revenue",
    "cost_per_lead",
    "cost_per_mql",
    "cost_per_sql",
    "cost_per_client",
    "mql_yield",
    "mql_to_sql",
    "romi",
)
WEEKLY_FIELDS = (
    "week",
    "leads",
    "mql",
    "sql",
    "opportunity",
    "won",
    "revenue",
    "spend",
    "cost_per_lead",
)
VELOCITY_FIELDS = (
    "from_stage",
    "to_stage",
    "n",
    "median_days",
    "p75_days",
    "p90_days",
    "mean_days",
    "excluded",
)
FRAME_FIELDS: dict[str, tuple[str, ...]] = {
    "campaigns": CAMPAIGN_FIELDS,
    "weekly": WEEKLY_FIELDS,
    "velocity": VELOCITY_FIELDS,
}
ROW_KEYS: dict[str, tuple[str, ...]] = {
    "campaigns": ("campaign_id",),
    "weekly": ("week",),
    "velocity": ("from_stage", "to_stage"),
}


RATE_STATS = ("low", "high", "rest", "verdict", "p")
COMPARISON_BODY = (
    *CAMPAIGN_FIELDS[1:],
    *(f"{rate}_{k}" for rate in ("mql_yield", "mql_to_sql") for k in RATE_STATS),
    "cost_per_mql_low",
    "cost_per_mql_high",
)
#: campaign_comparison's leading columns, by its grouping (the first one is the row's key)
COMPARISON_HEAD: dict[str, tuple[str, ...]] = {
    "campaign_id": ("campaign_id", "name", "channel", "direction"),
    "channel": ("channel", "campaigns"),
    "direction": ("direction", "campaigns"),
}
TREND_FIELDS = (*WEEKLY_FIELDS, "label", "cost_per_client", "mql_to_sql")
CHANNEL_WEEK_FIELDS = (
    "channel",
    *(f"{n}_{w}" for n in ("leads", "mql", "sql", "opportunity", "won") for w in ("now", "prev")),
)
COHORT_FIELDS = (
    "week",
    "label",
    "leads",
    *STAGES[1:],
    *(f"share_{s}" for s in STAGES[1:]),
    "age_days",
    "mature",
)
FORECAST_STAGE_FIELDS = ("stage", "open_leads", "closed", "won", "p_won", "expected_wins", "few")
FORECAST_FIELDS = (
    "window_from",
    "expected_wins",
    "uncovered_open",
    "deals",
    "average_deal",
    "expected_revenue",
    "undated_closed",
)
BREAKDOWN_RATES = ("mql_yield", "mql_to_sql", "win_rate", "reach_sql", "reach_opportunity")
BREAKDOWN_FIELDS = (
    "key",
    "leads",
    "mql",
    "sql",
    "opportunity",
    "won",
    "revenue",
    *BREAKDOWN_RATES,
    *(f"{rate}_{k}" for rate in BREAKDOWN_RATES for k in RATE_STATS),
)
BANT_FIELDS = ("stage", "bant_count", "leads", "share")
AUDIT_FIELDS = (
    "mql_checked",
    "mql_offending",
    "mql_unrecorded",
    "sql_checked",
    "sql_offending",
    "sql_unrecorded",
    "offending",
)
#: the lists' columns are the app's own (what is compared is the rows, not the column names)
AUDIT_LEAD_FIELDS = AUDIT_LEAD_COLUMNS
STOPPED_FIELDS = STOPPED_COLUMNS
FLOW_FIELDS = ("from_stage", "outcome", "reason", "reason_group", "leads")
TIME_TO_CONVERT_FIELDS = ("from_stage", "to_stage", "bucket", "lo_days", "hi_days", "leads")
#: columns that are moments (compared to the second, not by their date)
MOMENT_FIELDS = ("created_at", "reached_at", "lost_at")


def plain(v: Any) -> Any:
    """NaN/NA/None -> None; numpy and Decimal -> float/int; dates -> ISO text."""
    if v is None:
        return None
    if isinstance(v, (str, bool)):
        return v
    if isinstance(v, (datetime, pd.Timestamp)):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, float) and math.isinf(v):
        return None
    return v


def moment(v: Any) -> Any:
    """A timestamp as ISO text to the second (None for a missing one)."""
    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return pd.Timestamp(v).isoformat(timespec="seconds")


def rows_of(df: pd.DataFrame, columns: tuple[str, ...], keys: tuple[str, ...]) -> list[dict]:
    """Plain rows of ``columns``, sorted by ``keys`` (no keys: in the frame's order)."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"result lacks columns {missing}")
    rows = [
        {c: moment(r[c]) if c in MOMENT_FIELDS else plain(r[c]) for c in columns}
        for r in df.to_dict(orient="records")
    ]
    return sorted(rows, key=lambda r: tuple(str(r[k]) for k in keys))


def _summary(result: Any) -> dict[str, Any]:
    out = {f"n_{s}": int(result.counts[s]) for s in STAGES}
    out.update({f"undated_{s}": int(result.undated[s]) for s in STAGES})
    out.update({k: plain(getattr(result, k)) for k in SUMMARY_FIELDS})
    return out


def _weekly_review(r: Any) -> dict[str, Any]:
    fc = r.forecast
    forecast = {k: plain(getattr(fc, k)) for k in FORECAST_FIELDS}
    forecast["stages"] = rows_of(fc.stages, FORECAST_STAGE_FIELDS, ())
    return {
        "trend": rows_of(r.trend, TREND_FIELDS, ("week",)),
        "channels": rows_of(r.channels, CHANNEL_WEEK_FIELDS, ("channel",)),
        "cohorts": rows_of(r.cohorts, COHORT_FIELDS, ("week",)),
        "velocity": rows_of(r.velocity, VELOCITY_FIELDS, ROW_KEYS["velocity"]),
        "forecast": forecast,
    }


def _quality(r: Any) -> dict[str, Any]:
    out = {k: rows_of(getattr(r, k), BREAKDOWN_FIELDS, ("key",)) for k in BREAKDOWN_KINDS}
    out["bant"] = rows_of(r.bant, BANT_FIELDS, ("stage", "bant_count"))
    return out


BREAKDOWN_KINDS = ("segment", "source", "owner")


def _journey(r: Any) -> dict[str, Any]:
    fn = r.funnel
    funnel = {"impressions": plain(fn.impressions), "clicks": plain(fn.clicks)}
    funnel.update({f"n_{s}": int(fn.counts[s]) for s in STAGES})
    return {
        "summary": _summary(r.summary),
        "funnel": funnel,
        "flows": {
            "reached": {s: int(r.flows.reached[s]) for s in STAGES},
            "rows": rows_of(
                r.flows.flows, FLOW_FIELDS, ("from_stage", "outcome", "reason_group", "reason")
            ),
        },
        "time_to_convert": rows_of(
            r.time_to_convert, TIME_TO_CONVERT_FIELDS, ("from_stage", "to_stage", "bucket")
        ),
        "velocity": rows_of(r.velocity, VELOCITY_FIELDS, ROW_KEYS["velocity"]),
    }


def normalise(name: str, result: Any) -> Any:
    """The page's result of metric ``name`` in the comparable form (None if not comparable)."""
    if name == "summary":
        return _summary(result)
    if name == "campaign_comparison":
        head = COMPARISON_HEAD[str(result.columns[0])]
        return rows_of(result, (*head, *COMPARISON_BODY), head[:1])
    if name == "weekly_review":
        return _weekly_review(result)
    if name == "quality_breakdowns":
        return _quality(result)
    if name == "bant_audit":
        return {k: int(getattr(result, k)) for k in AUDIT_FIELDS}
    if name == "bant_audit_leads":
        return rows_of(result, AUDIT_LEAD_FIELDS, ())
    if name == "stopped_leads":
        return {
            "total": int(result.total),
            "rows": rows_of(result.rows, STOPPED_FIELDS, ()),
        }
    if name == "journey_view":
        return _journey(result)
    if name in FRAME_FIELDS:
        return rows_of(result, FRAME_FIELDS[name], ROW_KEYS[name])
    if name == "sales_cycle":
        return plain(result)
    if name == "options":
        return {
            k: [list(v) if isinstance(v, tuple) else v for v in getattr(result, k)]
            for k in ("campaigns", "channels", "sources", "owners", "regions", "industries")
        }
    return None


def _close(a: Any, b: Any, rel: float, abs_: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=abs_)
    return bool(a == b)


def differences(a: Any, b: Any, rel: float = 1e-9, abs_: float = 1e-6, path: str = "") -> list:
    """Where two normalised results differ (empty list: the same numbers)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}{k}: only in one result")
            else:
                out += differences(a[k], b[k], rel, abs_, f"{path}{k}.")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}rows: {len(a)} vs {len(b)}"]
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += differences(x, y, rel, abs_, f"{path}[{i}].")
        return out
    return [] if _close(a, b, rel, abs_) else [f"{path.rstrip('.')}: {a!r} vs {b!r}"]


# --------------------------------------------------------------------------------------------
# Measuring


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load() -> list[float]:
    """The machine's 1, 5 and 15-minute load averages (other work running beside the bench)."""
    return [round(x, 2) for x in os.getloadavg()]


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """``with stopwatch() as elapsed: ...; elapsed()`` -> seconds."""
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


def median(xs: list[float]) -> float | None:
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, path)
