"""What the filters can choose from, and the span of dates the data covers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb


@dataclass(frozen=True)
class FilterOptions:
    campaigns: tuple[tuple[str, str], ...]  # (campaign_id, name)
    channels: tuple[str, ...]
    sources: tuple[str, ...]
    owners: tuple[str, ...]
    regions: tuple[str, ...]
    industries: tuple[str, ...]


_OPTIONS_SQL = """
SELECT 'campaign' AS kind, campaign_id AS value, name AS label FROM campaigns
UNION SELECT 'campaign', campaign_id, campaign_id FROM leads
    WHERE campaign_id IS NOT NULL AND campaign_id NOT IN (SELECT campaign_id FROM campaigns)
UNION SELECT 'channel', channel, NULL FROM campaigns WHERE channel IS NOT NULL
UNION SELECT 'channel', channel, NULL FROM leads WHERE channel IS NOT NULL
UNION SELECT 'source', source, NULL FROM leads WHERE source IS NOT NULL
UNION SELECT 'owner', owner, NULL FROM leads WHERE owner IS NOT NULL
UNION SELECT 'region', region, NULL FROM leads WHERE region IS NOT NULL
UNION SELECT 'industry', industry, NULL FROM leads WHERE industry IS NOT NULL
"""


def filter_options(con: duckdb.DuckDBPyConnection) -> FilterOptions:
    """Distinct values for every choice filter (campaigns with their names), sorted."""
    rows = con.execute(_OPTIONS_SQL).fetchall()
    by_kind: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for kind, value, label in rows:
        by_kind.setdefault(kind, set()).add(str(value))
        if kind == "campaign":
            names[str(value)] = str(label)
    campaigns = tuple(sorted(names.items(), key=lambda kv: (kv[1].lower(), kv[0])))

    def sorted_kind(kind: str) -> tuple[str, ...]:
        return tuple(sorted(by_kind.get(kind, set()), key=str.lower))

    return FilterOptions(
        campaigns=campaigns,
        channels=sorted_kind("channel"),
        sources=sorted_kind("source"),
        owners=sorted_kind("owner"),
        regions=sorted_kind("region"),
        industries=sorted_kind("industry"),
    )


def data_span(con: duckdb.DuckDBPyConnection) -> tuple[date | None, date | None]:
    """First and last day with any lead event or cost row (None, None for an empty database)."""
    row = con.execute(
        """
        SELECT least(
                 (SELECT min(created_at)::DATE FROM leads),
                 (SELECT min(day) FROM campaign_costs)),
               greatest(
                 (SELECT max(greatest(created_at, mql_at, sql_at, opportunity_at, won_at))::DATE
                  FROM leads),
                 (SELECT max(day) FROM campaign_costs))
        """
    ).fetchone()
    if row is None:
        return None, None
    return _as_date(row[0]), _as_date(row[1])


def _as_date(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
