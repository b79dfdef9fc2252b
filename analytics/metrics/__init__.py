"""Metrics: pure functions ``metric(con, filters)`` over a DuckDB connection.

Each has a ``*_query(filters)`` twin that returns the SQL it runs (for "How is this computed?").
"""

from analytics.metrics.campaigns import (
    CAMPAIGN_COLUMNS,
    campaign_comparison,
    campaigns,
    campaigns_query,
)
from analytics.metrics.cohorts import cohorts, cohorts_query
from analytics.metrics.forecast import Forecast, forecast, forecast_query
from analytics.metrics.journey import (
    Flows,
    JourneyFunnel,
    JourneyView,
    StoppedPage,
    drop_off,
    journey_flows,
    journey_flows_query,
    journey_funnel,
    journey_funnel_query,
    journey_view,
    stopped_leads,
    stopped_leads_query,
    time_to_convert,
    time_to_convert_query,
)
from analytics.metrics.review import WeeklyReview, weekly_review
from analytics.metrics.summary import CostNote, Summary, funnel, summary, summary_query
from analytics.metrics.velocity import sales_cycle_days, velocity, velocity_query
from analytics.metrics.weekly import (
    WEEKLY_COUNTS,
    WeekMove,
    biggest_move,
    channel_weeks,
    channel_weeks_query,
    compare_weeks,
    move_sentence,
    week_over_week,
    weekly,
    weekly_query,
)

__all__ = [
    "CAMPAIGN_COLUMNS",
    "WEEKLY_COUNTS",
    "CostNote",
    "Flows",
    "Forecast",
    "JourneyFunnel",
    "JourneyView",
    "StoppedPage",
    "Summary",
    "WeekMove",
    "WeeklyReview",
    "biggest_move",
    "campaign_comparison",
    "campaigns",
    "campaigns_query",
    "channel_weeks",
    "channel_weeks_query",
    "cohorts",
    "cohorts_query",
    "compare_weeks",
    "drop_off",
    "forecast",
    "forecast_query",
    "funnel",
    "journey_flows",
    "journey_flows_query",
    "journey_funnel",
    "journey_funnel_query",
    "journey_view",
    "move_sentence",
    "sales_cycle_days",
    "stopped_leads",
    "stopped_leads_query",
    "summary",
    "summary_query",
    "time_to_convert",
    "time_to_convert_query",
    "velocity",
    "velocity_query",
    "week_over_week",
    "weekly",
    "weekly_query",
    "weekly_review",
]
