"""The pipeline forecast on a tiny named fixture, worked out by hand.

Forecast day: 2026-06-30. Window: the 365 days ending on it, 2025-07-01 00:00 up to (not
including) 2026-07-01 00:00.

Closed in the window (stage reached, closing date):
  w1     won   2026-03-01, deal 1 000          l_lead1  lost at lead  2026-02-01
  w2     won   2026-05-01, deal 3 000 (events) l_lead2  lost at lead  2026-04-01
                                               l_mql    lost at MQL   2026-04-10
                                               l_sql    lost at SQL   2026-05-10
                                               l_opp    lost at opp.  2026-06-30 23:00 (last day)
Outside it: w_old (won 2025-06-30 23:59, deal 100 000), l_late (lost 2026-07-01 00:00);
without a closing date: w_undated (won), l_undated (lost) -> undated_closed = 2.
Open on the day: 3 at lead, 2 at MQL, 1 at SQL, 2 at opportunity (one from events);
not counted: n_mql (nurture), o_late (open, created 2026-07-05).

P(won | reached S) = won / closed among the seven closed in the window that reached S:
  lead: all 7, won 2 -> 2/7        mql: w1 w2 l_mql l_sql l_opp -> 2/5
  sql: w1 w2 l_sql l_opp -> 2/4    opportunity: w1 w2 l_opp -> 2/3
Expected wins = 3*2/7 + 2*2/5 + 1*2/4 + 2*2/3 = (180 + 168 + 105 + 280) / 210 = 733/210.
Average won deal in the window = (1 000 + 3 000) / 2 = 2 000 (w_old's 100 000 is outside).
Expected revenue = 733/210 * 2 000.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analytics.filters import Filters
from analytics.metrics.forecast import MIN_SAMPLE, forecast
from tests.conftest import add_lead

AS_OF = date(2026, 6, 30)


@pytest.fixture
def pipeline(empty_con):
    con = empty_con
    c = "2025-06-01 10:00:00"  # creation of the closed leads
    ps = {"channel": "paid_search"}
    add_lead(con, "w1", c, "won", "won", won_at="2026-03-01 10:00:00", deal_value=1000, **ps)
    add_lead(
        con, "w2", c, "won", "won", won_at="2026-05-01 10:00:00", deal_value=3000, channel="events"
    )
    add_lead(con, "l_lead1", c, "lead", "lost", lost_at="2026-02-01 10:00:00", **ps)
    add_lead(con, "l_lead2", c, "lead", "lost", lost_at="2026-04-01 10:00:00", **ps)
    add_lead(con, "l_mql", c, "mql", "lost", lost_at="2026-04-10 10:00:00", **ps)
    add_lead(con, "l_sql", c, "sql", "lost", lost_at="2026-05-10 10:00:00", **ps)
    add_lead(con, "l_opp", c, "opportunity", "lost", lost_at="2026-06-30 23:00:00", **ps)
    add_lead(con, "w_old", c, "won", "won", won_at="2025-06-30 23:59:00", deal_value=100_000, **ps)
    add_lead(con, "l_late", c, "sql", "lost", lost_at="2026-07-01 00:00:00", **ps)
    add_lead(con, "w_undated", c, "won", "won", deal_value=50_000, **ps)
    add_lead(con, "l_undated", c, "mql", "lost", **ps)
    o = "2026-06-01 10:00:00"
    for i in range(3):
        add_lead(con, f"o_lead{i}", o, "lead", "open", **ps)
    for i in range(2):
        add_lead(con, f"o_mql{i}", o, "mql", "open", **ps)
    add_lead(con, "o_sql", o, "sql", "open", **ps)
    add_lead(con, "o_opp1", o, "opportunity", "open", **ps)
    add_lead(con, "o_opp2", o, "opportunity", "open", channel="events")
    add_lead(con, "n_mql", o, "mql", "nurture", **ps)
    add_lead(con, "o_late", "2026-07-05 10:00:00", "lead", "open", **ps)
    return con


def test_probabilities_and_sample_sizes(pipeline):
    fc = forecast(pipeline, Filters(), as_of=AS_OF)
    rows = {r["stage"]: r for r in fc.stages.to_dict(orient="records")}
    assert list(rows) == ["lead", "mql", "sql", "opportunity"]
    assert [rows[s]["open_leads"] for s in rows] == [3, 2, 1, 2]
    assert [rows[s]["closed"] for s in rows] == [7, 5, 4, 3]
    assert [rows[s]["won"] for s in rows] == [2, 2, 2, 2]
    assert rows["lead"]["p_won"] == pytest.approx(2 / 7)
    assert rows["mql"]["p_won"] == pytest.approx(2 / 5)
    assert rows["sql"]["p_won"] == pytest.approx(0.5)
    assert rows["opportunity"]["p_won"] == pytest.approx(2 / 3)
    assert rows["opportunity"]["expected_wins"] == pytest.approx(4 / 3)
    assert all(rows[s]["few"] for s in rows)  # every sample is under MIN_SAMPLE
    assert MIN_SAMPLE == 30


def test_expected_wins_and_revenue(pipeline):
    fc = forecast(pipeline, Filters(), as_of=AS_OF)
    assert fc.open_leads == 8
    assert fc.expected_wins == pytest.approx(733 / 210)
    assert (fc.deals, fc.average_deal) == (2, pytest.approx(2000.0))
    assert fc.expected_revenue == pytest.approx(733 / 210 * 2000)
    assert fc.undated_closed == 2
    assert fc.uncovered_open == 0
    assert fc.window_from == date(2025, 7, 1)


def test_the_period_does_not_matter_other_filters_do(pipeline):
    a = forecast(pipeline, Filters(), as_of=AS_OF)
    b = forecast(pipeline, Filters(date(2020, 1, 1), date(2020, 1, 31), "activity"), as_of=AS_OF)
    assert a.stages.equals(b.stages) and a.expected_wins == b.expected_wins
    # events only: w2 is its one closed lead (won) -> P = 1 at every stage; o_opp2 is open
    ev = forecast(pipeline, Filters(channels=("events",)), as_of=AS_OF)
    assert ev.stages["closed"].tolist() == [1, 1, 1, 1]
    assert ev.stages["open_leads"].tolist() == [0, 0, 0, 1]
    assert ev.expected_wins == pytest.approx(1.0)
    assert ev.expected_revenue == pytest.approx(3000.0)


def test_window_moves_with_the_day(pipeline):
    """A year later (2027-06-30) the window is 2026-07-01 .. 2027-06-30: its only closed lead is
    l_late (lost at SQL at 2026-07-01 00:00, the window's first moment). P = 0/1 at lead, MQL
    and SQL; no lead that reached opportunity closed, so the 2 open opportunities are uncovered;
    no won deal, so no revenue."""
    fc = forecast(pipeline, Filters(), as_of=date(2027, 6, 30))
    assert fc.stages["closed"].tolist() == [1, 1, 1, 0]
    assert fc.stages["p_won"].tolist()[:3] == [0.0, 0.0, 0.0]
    assert pd.isna(fc.stages["p_won"].iloc[3]) and pd.isna(fc.stages["expected_wins"].iloc[3])
    assert fc.stages["open_leads"].tolist() == [4, 2, 1, 2]  # o_late is created by then
    assert (fc.expected_wins, fc.uncovered_open) == (0.0, 2)
    assert fc.expected_revenue is None and fc.deals == 0


def test_empty_database(empty_con):
    fc = forecast(empty_con, Filters(), as_of=AS_OF)
    assert fc.open_leads == 0 and fc.expected_wins == 0.0 and fc.expected_revenue is None
    assert fc.stages["stage"].tolist() == ["lead", "mql", "sql", "opportunity"]


def test_the_documented_definition_names_the_constants_the_code_uses():
    from analytics.i18n import t
    from analytics.metrics.forecast import WINDOW_DAYS

    doc = t("metrics.forecast.definition")
    assert WINDOW_DAYS == 365 and "365 days" in doc and "under 30" in doc


def test_a_client_without_deal_value_counts_as_a_win_but_not_in_the_average(empty_con):
    """Two clients won in the window, 1,250.50 and one without a value; one lost at SQL; one
    open SQL lead. P(won | reached SQL) = 2/3 -> 0.6667 expected wins; the average deal is over
    the one valued deal (1,250.50, not 625.25), deals = 1; revenue = 2/3 * 1,250.50."""
    c = "2026-01-10 09:00:00"
    add_lead(empty_con, "a", c, "won", "won", won_at="2026-03-01 10:00:00", deal_value=1250.50)
    add_lead(empty_con, "b", c, "won", "won", won_at="2026-04-01 10:00:00")
    add_lead(empty_con, "c", c, "sql", "lost", lost_at="2026-04-02 10:00:00")
    add_lead(empty_con, "d", "2026-06-01 10:00:00", "sql", "open")
    fc = forecast(empty_con, Filters(), as_of=AS_OF)
    assert fc.stages["closed"].tolist() == [3, 3, 3, 2]
    assert fc.stages["won"].tolist() == [2, 2, 2, 2]
    assert fc.stages["open_leads"].tolist() == [0, 0, 1, 0]
    assert fc.expected_wins == pytest.approx(2 / 3)
    assert (fc.deals, fc.average_deal) == (1, pytest.approx(1250.50))
    assert fc.expected_revenue == pytest.approx(2 / 3 * 1250.50)
