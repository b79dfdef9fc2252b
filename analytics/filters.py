"""One ``Filters`` value for every metric, and the one place that turns it into SQL.

Campaign-level filters (period, campaign, channel, direction) apply to leads and to costs.
Lead-level filters (source, owner, region, industry, segment, temperature) apply to leads only;
with any of them set, spend cannot be attributed and cost metrics are switched off (PRODUCT.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Final

from analytics.model import (
    BANT_COLUMNS,
    DEFAULT_ICP_MAX,
    DEFAULT_ICP_MIN,
    DIRECTIONS,
    MODES,
    OUTBOUND_CHANNELS,
    SEGMENTS,
    TEMPERATURES,
    Mode,
)
from analytics.sql import Sql, in_list, join


class FilterError(ValueError):
    """A filter value that cannot be used, with what to do instead."""


#: Lead-level filter fields, in the order they are described to users.
LEAD_LEVEL_FIELDS: Final[tuple[str, ...]] = (
    "sources",
    "owners",
    "regions",
    "industries",
    "segments",
    "temperatures",
)


@dataclass(frozen=True)
class Filters:
    """What to look at. ``date_from``/``date_to`` are inclusive dates; None means unbounded."""

    date_from: date | None = None
    date_to: date | None = None
    mode: Mode = "cohort"
    campaigns: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    directions: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    temperatures: tuple[str, ...] = ()
    icp_min: int = DEFAULT_ICP_MIN
    icp_max: int = DEFAULT_ICP_MAX

    def __post_init__(self) -> None:
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if isinstance(value, datetime):
                object.__setattr__(self, name, value.date())
            elif value is not None and not isinstance(value, date):
                raise FilterError(f"{name} must be a date, got {value!r}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise FilterError(
                f"the period starts ({self.date_from}) after it ends ({self.date_to}); "
                "swap the dates"
            )
        if self.mode not in MODES:
            raise FilterError(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
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
        ):
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            # sorted + deduplicated so equal views have equal cache keys
            object.__setattr__(self, name, tuple(sorted({str(v) for v in value})))
        _check_domain("directions", self.directions, DIRECTIONS)
        _check_domain("segments", self.segments, SEGMENTS)
        _check_domain("temperatures", self.temperatures, TEMPERATURES)
        if not (0 <= self.icp_min <= self.icp_max):
            raise FilterError(
                f"the ICP range {self.icp_min}-{self.icp_max} is not valid; "
                "use 0 <= minimum <= maximum"
            )

    # -- derived views ------------------------------------------------------------------------

    @property
    def lead_level_filters(self) -> tuple[str, ...]:
        """Names of the lead-level filters that are set (they switch cost metrics off)."""
        return tuple(name for name in LEAD_LEVEL_FIELDS if getattr(self, name))

    @property
    def costs_defined(self) -> bool:
        return not self.lead_level_filters

    @property
    def bounded(self) -> bool:
        return self.date_from is not None and self.date_to is not None

    @property
    def days(self) -> int | None:
        if not self.bounded:
            return None
        assert self.date_from and self.date_to
        return (self.date_to - self.date_from).days + 1

    def with_period(self, date_from: date | None, date_to: date | None) -> Filters:
        return replace(self, date_from=date_from, date_to=date_to)

    def with_mode(self, mode: Mode) -> Filters:
        return replace(self, mode=mode)

    def previous(self) -> Filters | None:
        """The period of equal length just before this one (None if unbounded)."""
        if not self.bounded:
            return None
        assert self.date_from and self.date_to and self.days
        end = self.date_from - timedelta(days=1)
        return self.with_period(end - timedelta(days=self.days - 1), end)


def _check_domain(name: str, values: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    bad = [v for v in values if v not in allowed]
    if bad:
        raise FilterError(f"{name}: unknown value {bad[0]!r}; use one of {', '.join(allowed)}")


# --------------------------------------------------------------------------------------------
# SQL: the WHERE-builder shared by all metrics.


def period_bounds(f: Filters) -> tuple[datetime | None, datetime | None]:
    """Half-open timestamp bounds ``[start, end)`` of the inclusive date period."""
    start = datetime.combine(f.date_from, time.min) if f.date_from else None
    end = datetime.combine(f.date_to + timedelta(days=1), time.min) if f.date_to else None
    return start, end


def in_period(column: str, f: Filters) -> Sql:
    """``column`` (a TIMESTAMP) falls within the period; TRUE-equivalent if unbounded.

    An unbounded period still requires the timestamp to be set (activity mode counts dated
    events only).
    """
    start, end = period_bounds(f)
    parts: list[Sql] = []
    if start is not None:
        parts.append(Sql(f"{column} >= ?", (start,)))
    if end is not None:
        parts.append(Sql(f"{column} < ?", (end,)))
    if not parts:
        return Sql(f"{column} IS NOT NULL")
    return join(parts, " AND ")


def day_in_period(column: str, f: Filters) -> Sql:
    """``column`` (a DATE) falls within the inclusive period."""
    parts: list[Sql] = []
    if f.date_from is not None:
        parts.append(Sql(f"{column} >= ?", (f.date_from,)))
    if f.date_to is not None:
        parts.append(Sql(f"{column} <= ?", (f.date_to,)))
    return join(parts, " AND ") if parts else Sql("TRUE")


def bant_count_sql(alias: str = "l") -> str:
    """Confirmed BANT criteria, 0-4; unknown counts as not confirmed."""
    return "(" + " + ".join(f"coalesce({alias}.{c}, FALSE)::INTEGER" for c in BANT_COLUMNS) + ")"


def lead_direction_sql(alias: str = "l") -> Sql:
    """A lead's direction: its campaign's, else outbound for outbound channels, else inbound."""
    outbound = in_list(f"{alias}.channel", OUTBOUND_CHANNELS)
    return (
        f"coalesce((SELECT c.direction FROM campaigns c WHERE c.campaign_id = {alias}.campaign_id),"
        " CASE WHEN " + outbound + " THEN 'outbound' ELSE 'inbound' END)"
    )


def segment_sql(f: Filters, alias: str = "l") -> Sql:
    """``'target'``, ``'non_target'`` or ``'unknown_size'`` for a lead (ICP range from filters)."""
    return Sql(
        f"CASE WHEN {alias}.company_size IS NULL THEN 'unknown_size' "
        f"WHEN {alias}.company_size BETWEEN ? AND ? THEN 'target' ELSE 'non_target' END",
        (f.icp_min, f.icp_max),
    )


def temperature_sql(alias: str = "l") -> str:
    n = bant_count_sql(alias)
    return f"CASE WHEN {n} >= 4 THEN 'hot' WHEN {n} >= 2 THEN 'warm' ELSE 'cold' END"


def lead_conditions(f: Filters, alias: str = "l") -> list[Sql]:
    """Every filter that applies to a lead, except the period (whose column depends on mode)."""
    a = alias
    conds: list[Sql] = []
    if f.campaigns:
        conds.append(in_list(f"{a}.campaign_id", f.campaigns))
    if f.channels:
        conds.append(in_list(f"{a}.channel", f.channels))
    if f.directions:
        conds.append("(" + lead_direction_sql(a) + ") IN " + _placeholders(f.directions))
    if f.sources:
        conds.append(in_list(f"{a}.source", f.sources))
    if f.owners:
        conds.append(in_list(f"{a}.owner", f.owners))
    if f.regions:
        conds.append(in_list(f"{a}.region", f.regions))
    if f.industries:
        conds.append(in_list(f"{a}.industry", f.industries))
    if f.segments:
        conds.append("(" + segment_sql(f, a) + ") IN " + _placeholders(f.segments))
    if f.temperatures:
        conds.append(Sql(f"({temperature_sql(a)})") + " IN " + _placeholders(f.temperatures))
    return conds


def campaign_conditions(f: Filters, alias: str = "c") -> list[Sql]:
    """Filters that select campaigns (campaign, channel, direction) on the campaigns table."""
    conds: list[Sql] = []
    if f.campaigns:
        conds.append(in_list(f"{alias}.campaign_id", f.campaigns))
    if f.channels:
        conds.append(in_list(f"{alias}.channel", f.channels))
    if f.directions:
        conds.append(in_list(f"{alias}.direction", f.directions))
    return conds


def cost_conditions(f: Filters, alias: str = "cc") -> list[Sql]:
    """Rows of ``campaign_costs`` in the period whose campaign matches the campaign filters."""
    conds: list[Sql] = [day_in_period(f"{alias}.day", f)]
    if f.campaigns:
        conds.append(in_list(f"{alias}.campaign_id", f.campaigns))
    if f.channels or f.directions:
        sub = campaign_conditions(replace(f, campaigns=()), "c")
        conds.append(
            f"{alias}.campaign_id IN (SELECT c.campaign_id FROM campaigns c WHERE "
            + join(sub, " AND ")
            + ")"
        )
    return conds


def _placeholders(values: tuple[str, ...]) -> Sql:
    return Sql("(" + ", ".join("?" for _ in values) + ")", tuple(values))
