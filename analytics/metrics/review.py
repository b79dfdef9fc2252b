"""The Weekly review in one call: every number of the page for one week, on one connection.

A page that opens a short-lived connection per metric pays for it on every filter change; the
review runs its queries (each one of the documented metrics) together and is cached as one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

import duckdb
import pandas as pd

from analytics.filters import Filters
from analytics.metrics.cohorts import cohorts, cohorts_query
from analytics.metrics.forecast import Forecast, forecast
from analytics.metrics.velocity import velocity, velocity_query
from analytics.metrics.weekly import channel_weeks, channel_weeks_query, weekly, weekly_query
from analytics.sql import Query
from analytics.weeks import DEFAULT_WEEK_START, WeekStart, week_end

TREND_WEEKS: Final[int] = 12  #: weeks on the trend charts and behind velocity, the chosen one last
COHORT_WEEKS: Final[int] = 26  #: creation weeks on the cohort heat map (metrics.cohort_heatmap)


@dataclass(frozen=True)
class WeeklyReview:
    """Everything the Weekly review shows for the week starting on ``week``.

    ``trend``: :func:`~analytics.metrics.weekly.weekly` over the ``TREND_WEEKS`` weeks ending
    with the chosen one (``window``, activity). ``channels``: the chosen week and the one before
    by channel. ``cohorts``: the ``COHORT_WEEKS`` creation weeks ending with the chosen one.
    ``velocity``: activity velocity over ``window``. ``forecast``: the open leads on ``as_of``
    (every filter but the period applies).
    """

    week: date
    window: Filters
    cohort_window: Filters
    trend: pd.DataFrame
    channels: pd.DataFrame
    cohorts: pd.DataFrame
    velocity: pd.DataFrame
    forecast: Forecast
    queries: dict[str, Query]


def weekly_review(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    *,
    week: date,
    as_of: date,
    cycle_days: float | None,
    week_start: WeekStart = DEFAULT_WEEK_START,
) -> WeeklyReview:
    """The Weekly review of the week starting on ``week`` (see :class:`WeeklyReview`).

    ``f``'s period and mode are replaced: weekly numbers and velocity count activity in the
    trend window, cohorts count the leads created in the cohort window, and the forecast looks
    at what is open on ``as_of``.
    """
    window = f.with_period(week - timedelta(days=7 * (TREND_WEEKS - 1)), week_end(week)).with_mode(
        "activity"
    )
    cohort_window = f.with_period(
        week - timedelta(days=7 * (COHORT_WEEKS - 1)), week_end(week)
    ).with_mode("cohort")
    fc = forecast(con, f.with_period(None, None), as_of=as_of)
    return WeeklyReview(
        week=week,
        window=window,
        cohort_window=cohort_window,
        trend=weekly(con, window, week_start),
        channels=channel_weeks(con, window, week),
        cohorts=cohorts(
            con, cohort_window, as_of=as_of, cycle_days=cycle_days, week_start=week_start
        ),
        velocity=velocity(con, window),
        forecast=fc,
        queries={
            "weekly": weekly_query(window, week_start),
            "channel_weeks": channel_weeks_query(window, week),
            "cohorts": cohorts_query(cohort_window, week_start),
            "velocity": velocity_query(window),
            "forecast": fc.query,
        },
    )
