"""What the filters can choose from, and the span of dates the data covers."""

from __future__ import annotations

from collections.abc import Sequence
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


#: Every choice column of the leads in one scan (one list of distinct values each, NULLs left
#: out below); a UNION of one SELECT DISTINCT per column read the leads six times (2.5x slower).
_LEAD_OPTIONS_SQL = """
SELECT list(DISTINCT campaign_id), list(DISTINCT channel), list(DISTINCT source),
       list(DISTINCT owner), list(DISTINCT region), list(DISTINCT industry)
FROM leads
"""
_CAMPAIGNS_SQL = "SELECT campaign_id, name, channel FROM campaigns"


def filter_options(con: duckdb.DuckDBPyConnection) -> FilterOptions:
    """Distinct values for every choice filter (campaigns with their names), sorted.

    Campaigns: those of the campaigns table by name, and ids the leads use that it lacks (named
    by their id). Channels: of the campaigns and of the leads."""
    row = con.execute(_LEAD_OPTIONS_SQL).fetchone()
    lead_ids, channels, sources, owners, regions, industries = row or (None,) * 6
    names: dict[str, str] = {}
    campaign_channels: list[object] = []
    for campaign_id, name, channel in con.execute(_CAMPAIGNS_SQL).fetchall():
        names[str(campaign_id)] = str(name)
        campaign_channels.append(channel)
    for campaign_id in lead_ids or ():
        if campaign_id is not None:
            names.setdefault(str(campaign_id), str(campaign_id))
    campaigns = tuple(sorted(names.items(), key=lambda kv: (kv[1].lower(), kv[0])))

    def distinct(*lists: Sequence[object] | None) -> tuple[str, ...]:
        values = {str(v) for values in lists for v in values or () if v is not None}
        return tuple(sorted(values, key=str.lower))

    return FilterOptions(
        campaigns=campaigns,
        channels=distinct(campaign_channels, channels),
        sources=distinct(sources),
        owners=distinct(owners),
        regions=distinct(regions),
        industries=distinct(industries),
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
