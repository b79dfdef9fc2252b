"""The report: every headline metric of one view as a plain, stable JSON-ready dict."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from analytics import metrics
from analytics.filters import Filters
from analytics.formatting import fmt_int, fmt_money, fmt_number, fmt_percent
from analytics.i18n import label, t
from analytics.metrics.options import data_span, filter_options
from analytics.model import STAGES


class ReportError(ValueError):
    """A report argument that cannot be used (unknown campaign, ...)."""


def resolve_period(con: duckdb.DuckDBPyConnection, f: Filters) -> Filters:
    """Fill an open end of the period with the first/last day of the data."""
    if f.bounded:
        return f
    first, last = data_span(con)
    date_from = f.date_from or first
    date_to = f.date_to or last
    if date_from and date_to and date_from > date_to:
        # e.g. --from after the last data day: an empty but valid period
        date_to = date_from
    return replace(f, date_from=date_from, date_to=date_to)


def validate_choices(con: duckdb.DuckDBPyConnection, f: Filters) -> None:
    """Refuse campaign or channel values the database has never heard of."""
    options = filter_options(con)
    known = {
        "campaign": {c for c, _ in options.campaigns},
        "channel": set(options.channels),
        "source": set(options.sources),
        "owner": set(options.owners),
        "region": set(options.regions),
        "industry": set(options.industries),
    }
    given = {
        "campaign": f.campaigns,
        "channel": f.channels,
        "source": f.sources,
        "owner": f.owners,
        "region": f.regions,
        "industry": f.industries,
    }
    for kind, values in given.items():
        for value in values:
            if value not in known[kind]:
                choices = sorted(known[kind])
                hint = ", ".join(choices[:12]) + (" ..." if len(choices) > 12 else "")
                raise ReportError(f"unknown {kind} {value!r}; the database has: {hint or 'none'}")


def _value(v: Any) -> Any:
    """NaN/NA -> None; numpy scalars -> Python numbers."""
    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and math.isinf(v):
        return None
    return v


def _records(df: pd.DataFrame, columns: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {out: _value(row[src]) for out, src in columns.items()}
        for row in df.to_dict(orient="records")
    ]


def build_report(con: duckdb.DuckDBPyConnection, f: Filters) -> dict[str, Any]:
    """The report dict of ``python -m analytics report --format json`` (a stable contract)."""
    s = metrics.summary(con, f)
    camp = metrics.campaigns(con, f)
    week = metrics.weekly(con, f)
    vel = metrics.velocity(con, f)
    note = None
    if s.cost_note and s.cost_note.reason == "no_costs":
        note = t("notes.no_cost_data", "en")
    elif s.cost_note:
        names = ", ".join(t(f"labels.filter.{n}").lower() for n in s.cost_note.filters)
        note = t("notes.cost_hidden", "en", filters=names)
    return {
        "period": {
            "from": f.date_from.isoformat() if f.date_from else None,
            "to": f.date_to.isoformat() if f.date_to else None,
        },
        "mode": f.mode,
        "funnel": [
            {
                "stage": stage,
                "count": s.count(stage),
                "step_conversion": s.step_conversion(stage),
                "overall_conversion": s.overall_conversion(stage),
                "undated": s.undated[stage],
            }
            for stage in STAGES
        ],
        "awareness": {"impressions": s.impressions, "clicks": s.clicks, "ctr": s.ctr},
        "costs": {
            "spend": s.spend,
            "cost_per_lead": s.cost_per_lead,
            "cost_per_mql": s.cost_per_mql,
            "cost_per_sql": s.cost_per_sql,
            "cost_per_client": s.cost_per_client,
            "revenue": s.revenue,
            "romi": s.romi,
            "note": note,
        },
        "mql_to_sql": s.mql_to_sql,
        "campaigns": _records(
            camp,
            {
                "campaign_id": "campaign_id",
                "name": "name",
                "channel": "channel",
                "direction": "direction",
                "spend": "spend",
                "impressions": "impressions",
                "clicks": "clicks",
                "ctr": "ctr",
                "leads": "leads",
                "mql": "mql",
                "sql": "sql",
                "opportunity": "opportunity",
                "won": "won",
                "revenue": "revenue",
                "cost_per_lead": "cost_per_lead",
                "cost_per_mql": "cost_per_mql",
                "cost_per_sql": "cost_per_sql",
                "cost_per_client": "cost_per_client",
                "mql_yield": "mql_yield",
                "mql_to_sql": "mql_to_sql",
                "romi": "romi",
            },
        ),
        "weekly": _records(
            week,
            {
                "week": "label",
                "leads": "leads",
                "mql": "mql",
                "sql": "sql",
                "opportunity": "opportunity",
                "won": "won",
                "revenue": "revenue",
                "spend": "spend",
                "cost_per_lead": "cost_per_lead",
            },
        ),
        "velocity": _records(
            vel,
            {
                "from": "from_stage",
                "to": "to_stage",
                "n": "n",
                "median_days": "median_days",
                "p75_days": "p75_days",
                "p90_days": "p90_days",
                "mean_days": "mean_days",
                "excluded": "excluded",
            },
        ),
    }


def report_table(report: dict[str, Any], currency: str = "RUB") -> str:
    """The report as plain-text tables for a terminal."""
    lines: list[str] = []
    p = report["period"]
    lines.append(f"Period {p['from'] or '…'} – {p['to'] or '…'}, {report['mode']} mode")
    lines.append("")
    lines.append(f"{'Stage':<16}{'Count':>10}{'Step':>10}{'Overall':>10}")
    for row in report["funnel"]:
        lines.append(
            f"{label('stage', row['stage']):<16}{fmt_int(row['count']):>10}"
            f"{fmt_percent(row['step_conversion']):>10}{fmt_percent(row['overall_conversion']):>10}"
        )
    c, a = report["costs"], report["awareness"]
    lines.append("")
    lines.append(
        f"MQL-to-SQL {fmt_percent(report['mql_to_sql'])}   "
        f"impressions {fmt_int(a['impressions'])}   clicks {fmt_int(a['clicks'])}   "
        f"CTR {fmt_percent(a['ctr'], digits=2)}"
    )
    lines.append(
        f"spend {fmt_money(c['spend'], currency)}   CPL {fmt_money(c['cost_per_lead'], currency)}"
        f"   per MQL {fmt_money(c['cost_per_mql'], currency)}"
        f"   per client {fmt_money(c['cost_per_client'], currency)}"
    )
    lines.append(f"revenue {fmt_money(c['revenue'], currency)}   ROMI {fmt_percent(c['romi'])}")
    if c["note"]:
        lines.append(f"note: {c['note']}")
    if report["campaigns"]:
        lines.append("")
        lines.append(
            f"{'Campaign':<40}{'Spend':>14}{'Leads':>8}{'MQL':>7}{'SQL':>7}{'Won':>6}"
            f"{'CPL':>12}{'per client':>14}"
        )
        for r in report["campaigns"]:
            lines.append(
                f"{str(r['name'])[:39]:<40}{fmt_money(r['spend'], currency):>14}"
                f"{fmt_int(r['leads']):>8}{fmt_int(r['mql']):>7}{fmt_int(r['sql']):>7}"
                f"{fmt_int(r['won']):>6}{fmt_money(r['cost_per_lead'], currency):>12}"
                f"{fmt_money(r['cost_per_client'], currency):>14}"
            )
    lines.append("")
    lines.append(
        f"{'Velocity (days)':<22}{'n':>7}{'median':>9}{'p75':>9}{'p90':>9}{'mean':>9}"
        f"{'excluded':>10}"
    )
    for v in report["velocity"]:
        name = f"{v['from']} → {v['to']}"
        lines.append(
            f"{name:<22}{fmt_int(v['n']):>7}{fmt_number(v['median_days']):>9}"
            f"{fmt_number(v['p75_days']):>9}{fmt_number(v['p90_days']):>9}"
            f"{fmt_number(v['mean_days']):>9}{fmt_int(v['excluded']):>10}"
        )
    return "\n".join(lines)


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ReportError(f"{text!r} is not a date; use YYYY-MM-DD, e.g. 2026-01-31") from exc
