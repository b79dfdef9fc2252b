"""Metrics: pure functions ``metric(con, filters)`` over a DuckDB connection.

Each has a ``*_query(filters)`` twin that returns the SQL it runs (for "How is this computed?").
"""

from analytics.metrics.campaigns import (
    CAMPAIGN_COLUMNS,
    campaign_comparison,
    campaigns,
    campaigns_query,
)
from analytics.metrics.summary import CostNote, Summary, funnel, summary, summary_query
from analytics.metrics.velocity import sales_cycle_days, velocity, velocity_query
from analytics.metrics.weekly import WEEKLY_COUNTS, week_over_week, weekly, weekly_query

__all__ = [
    "CAMPAIGN_COLUMNS",
    "WEEKLY_COUNTS",
    "CostNote",
    "Summary",
    "campaign_comparison",
    "campaigns",
    "campaigns_query",
    "funnel",
    "sales_cycle_days",
    "summary",
    "summary_query",
    "velocity",
    "velocity_query",
    "week_over_week",
    "weekly",
    "weekly_query",
]
