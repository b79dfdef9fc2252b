"""The page bundles are exactly their parts: the Weekly review and the journey view on Q1."""

from __future__ import annotations

from datetime import date

from analytics.filters import Filters
from analytics.metrics import (
    channel_weeks,
    cohorts,
    forecast,
    journey_flows,
    journey_funnel,
    journey_view,
    summary,
    time_to_convert,
    velocity,
    weekly,
    weekly_review,
)


def test_weekly_review_windows_and_parts(q1):
    """Week ISO 2026-W10 (Mon Mar 2). Trend and velocity: 12 weeks = Mon Dec 15 2025 (Mar 2
    minus 11 weeks) .. Sun Mar 8, activity. Cohorts: 26 weeks = Mon Sep 8 2025 .. Mar 8."""
    f = Filters(date(2020, 1, 1), date(2020, 1, 2), "cohort", channels=("paid_search", "events"))
    r = weekly_review(q1, f, week=date(2026, 3, 2), as_of=date(2026, 4, 15), cycle_days=17)
    assert (r.window.date_from, r.window.date_to, r.window.mode) == (
        date(2025, 12, 15),
        date(2026, 3, 8),
        "activity",
    )
    assert (r.cohort_window.date_from, r.cohort_window.date_to) == (
        date(2025, 9, 8),
        date(2026, 3, 8),
    )
    assert len(r.trend) == 12 and r.trend.equals(weekly(q1, r.window))
    assert r.channels.equals(channel_weeks(q1, r.window, date(2026, 3, 2)))
    assert len(r.cohorts) == 26
    assert r.cohorts.equals(cohorts(q1, r.cohort_window, as_of=date(2026, 4, 15), cycle_days=17))
    assert r.velocity.equals(velocity(q1, r.window))
    whole = forecast(q1, Filters(channels=("paid_search", "events")), as_of=date(2026, 4, 15))
    assert r.forecast.stages.equals(whole.stages)
    assert set(r.queries) == {"weekly", "channel_weeks", "cohorts", "velocity", "forecast"}


def test_journey_view_is_its_parts(q1):
    f = Filters(date(2026, 1, 1), date(2026, 3, 31), "activity")
    v = journey_view(q1, f)
    assert v.summary.counts == summary(q1, f).counts
    assert v.funnel.counts == journey_funnel(q1, f).counts
    assert v.flows.flows.equals(journey_flows(q1, f).flows)
    assert v.time_to_convert.equals(time_to_convert(q1, f))
    assert v.velocity.equals(velocity(q1, f))
