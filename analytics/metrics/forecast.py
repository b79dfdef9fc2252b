"""The pipeline forecast: how many of today's open leads will become clients, and for how much.

PRODUCT.md: for open leads at stage S, P(won | reached S) from leads that reached S and closed
(won or lost) in the last 12 months; expected wins = sum of open(S) * P(S); expected revenue =
expected wins * the average won deal value over the same window; shown with its sample sizes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final

import duckdb
import pandas as pd

from analytics.filters import Filters, lead_conditions
from analytics.metrics._common import ratio
from analytics.model import STAGES, Stage
from analytics.sql import Query, Sql, and_all

#: Stages an open lead can be at (a won lead is closed).
OPEN_STAGES: Final[tuple[Stage, ...]] = STAGES[:-1]
#: The look-back window: the 365 days ending on the forecast day (as the "last 12 months").
WINDOW_DAYS: Final[int] = 365
#: Below this many closed leads a probability is shown as "too few to judge" (as campaigns).
MIN_SAMPLE: Final[int] = 30


@dataclass(frozen=True)
class Forecast:
    """Expected clients and revenue from the open leads of a view (see :func:`forecast`).

    ``stages``: one row per open stage (lead, mql, sql, opportunity): stage, open_leads,
    closed (sample size: leads that reached the stage and closed in the window), won (of
    those), p_won = won / closed (None when closed is 0), expected_wins = open_leads * p_won
    (None without a probability), few (closed < MIN_SAMPLE).
    """

    as_of: date
    window_from: date
    stages: pd.DataFrame
    expected_wins: float
    uncovered_open: int  #: open leads at stages with no closed history (not in expected_wins)
    deals: int  #: won leads with a deal value in the window
    average_deal: float | None
    expected_revenue: float | None
    undated_closed: int  #: closed leads without a close date (cannot be placed in the window)
    query: Query

    @property
    def open_leads(self) -> int:
        return int(self.stages["open_leads"].sum())


def _window(as_of: date) -> tuple[datetime, datetime]:
    start = as_of - timedelta(days=WINDOW_DAYS - 1)
    return datetime.combine(start, time.min), datetime.combine(as_of + timedelta(days=1), time.min)


def _stage_ord(alias: str = "l") -> str:
    # stage codes are constants of the code, not user input
    whens = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(STAGES))
    return f"CASE {alias}.stage {whens} END"


def forecast_query(f: Filters, as_of: date) -> Query:
    start, end = _window(as_of)
    closed_in_window = Sql(
        "((l.status = 'won' AND l.won_at >= ? AND l.won_at < ?)"
        " OR (l.status = 'lost' AND l.lost_at >= ? AND l.lost_at < ?))",
        (start, end, start, end),
    )
    stages = ", ".join(f"({i}, '{s}')" for i, s in enumerate(OPEN_STAGES))
    won_in_window = "status = 'won' AND closed_in_window"
    # the leads grouped first (a few dozen rows: stage x status x flags), then every figure
    # summed over those rows: one pass over the leads (PERFORMANCE.md, proposal 1)
    sql = (
        "WITH g AS (\n"
        "  SELECT "
        + _stage_ord("l")
        + " AS ord, l.status,\n         "
        + Sql("l.created_at < ?", (end,))
        + " AS created_by_end,\n         "
        + closed_in_window
        + " AS closed_in_window,\n"
        "         (l.status = 'won' AND l.won_at IS NULL)"
        " OR (l.status = 'lost' AND l.lost_at IS NULL) AS closed_undated,\n"
        "         count(*) AS n, count(l.deal_value) AS valued, sum(l.deal_value) AS value_sum\n"
        "  FROM leads l WHERE " + and_all(lead_conditions(f, "l")) + "\n  GROUP BY ALL\n),\n"
        f"st(ord, stage) AS (VALUES {stages})\n"
        "SELECT st.stage,\n"
        "       coalesce(sum(g.n) FILTER (WHERE g.status = 'open' AND g.ord = st.ord"
        " AND g.created_by_end), 0)::BIGINT AS open_leads,\n"
        "       coalesce(sum(g.n) FILTER (WHERE g.closed_in_window), 0)::BIGINT AS closed,\n"
        "       coalesce(sum(g.n) FILTER (WHERE g.closed_in_window AND g.status = 'won'), 0)"
        "::BIGINT AS won,\n"
        f"       (SELECT coalesce(sum(valued) FILTER (WHERE {won_in_window}), 0)::BIGINT"
        " FROM g) AS deals,\n"
        f"       (SELECT sum(value_sum) FILTER (WHERE {won_in_window})::DOUBLE"
        f" / sum(valued) FILTER (WHERE {won_in_window}) FROM g) AS average_deal,\n"
        "       (SELECT coalesce(sum(n) FILTER (WHERE closed_undated), 0)::BIGINT FROM g)"
        " AS undated_closed\n"
        "FROM st LEFT JOIN g ON g.ord >= st.ord\n"
        "GROUP BY st.ord, st.stage ORDER BY st.ord"
    )
    return Query(sql, "forecast")


def forecast(con: duckdb.DuckDBPyConnection, f: Filters, *, as_of: date) -> Forecast:
    """Expected clients and revenue from the leads open on ``as_of``.

    Population: leads matching every filter except the period (the pipeline is what is open
    now, whenever it was created). Open = status "open" (nurture is not counted), created by
    ``as_of``, at its current stage S. P(S) = won / closed over leads that reached S (stage S or
    later) and closed in the 365 days ending on ``as_of`` (won: won date, lost: lost date in
    the window); closed leads without that date are left out and counted (``undated_closed``).
    expected wins = sum over S of open(S) * P(S), leaving out stages without any closed lead
    (``uncovered_open``); expected revenue = expected wins * average deal value of the leads
    won in the window (None without a won deal).
    """
    query = forecast_query(f, as_of)
    df = query.run(con).df()
    first = df.iloc[0] if len(df) else None
    deals = int(first["deals"]) if first is not None else 0
    average = (
        None if first is None or pd.isna(first["average_deal"]) else float(first["average_deal"])
    )
    undated = int(first["undated_closed"]) if first is not None else 0
    rows = []
    for r in df.to_dict(orient="records"):
        p = ratio(int(r["won"]), int(r["closed"]))
        rows.append(
            {
                "stage": r["stage"],
                "open_leads": int(r["open_leads"]),
                "closed": int(r["closed"]),
                "won": int(r["won"]),
                "p_won": p,
                "expected_wins": None if p is None else int(r["open_leads"]) * p,
                "few": int(r["closed"]) < MIN_SAMPLE,
            }
        )
    stages = pd.DataFrame(
        rows, columns=["stage", "open_leads", "closed", "won", "p_won", "expected_wins", "few"]
    )
    stages.attrs["sql"] = query.rendered()
    expected = float(sum(r["expected_wins"] for r in rows if r["expected_wins"] is not None))
    uncovered = sum(r["open_leads"] for r in rows if r["p_won"] is None)
    start, _ = _window(as_of)
    return Forecast(
        as_of=as_of,
        window_from=start.date(),
        stages=stages,
        expected_wins=expected,
        uncovered_open=uncovered,
        deals=deals,
        average_deal=average,
        expected_revenue=None if average is None else expected * average,
        undated_closed=undated,
        query=query,
    )
