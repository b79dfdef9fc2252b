"""Velocity: days between stages, exact quantiles (linear interpolation), reversed pairs excluded.

Q1 cohort (see conftest.build_q1), days per pair:
  lead->mql: mql_only 2, sql_lost 1, won_full 2, won_skipped_sql 2, organic_mql 1, reversed 2
  mql->sql: sql_lost 4, won_full 2; reversed -1 (excluded)
  sql->opportunity: won_full 5, reversed 2
  opportunity->won: won_full 10, won_skipped_sql 5
  lead->won: won_full 19, won_skipped_sql 9
Linear interpolation: q at position p*(n-1) of the sorted values.
"""

from __future__ import annotations

from datetime import date

import pytest

from analytics.filters import Filters
from analytics.metrics import velocity
from tests.conftest import add_lead

Q1 = Filters(date(2026, 1, 1), date(2026, 3, 31))


def pairs(df):
    return {(r["from_stage"], r["to_stage"]): r for r in df.to_dict(orient="records")}


def test_pairs_in_order(q1):
    df = velocity(q1, Q1)
    assert list(zip(df["from_stage"], df["to_stage"], strict=True)) == [
        ("lead", "mql"),
        ("mql", "sql"),
        ("sql", "opportunity"),
        ("opportunity", "won"),
        ("lead", "won"),
    ]


def test_cohort_velocity(q1):
    p = pairs(velocity(q1, Q1))
    lm = p[("lead", "mql")]  # [1, 1, 2, 2, 2, 2]
    assert (lm["n"], lm["excluded"]) == (6, 0)
    assert lm["median_days"] == pytest.approx(2.0)
    assert lm["mean_days"] == pytest.approx(10 / 6)
    ms = p[("mql", "sql")]  # [2, 4], reversed excluded
    assert (ms["n"], ms["excluded"]) == (2, 1)
    assert ms["median_days"] == pytest.approx(3.0)
    assert ms["p75_days"] == pytest.approx(3.5)  # 2 + 0.75 * 2
    assert ms["p90_days"] == pytest.approx(3.8)  # 2 + 0.9 * 2
    so = p[("sql", "opportunity")]  # [2, 5]
    assert (so["n"], so["median_days"], so["p75_days"]) == (
        2,
        pytest.approx(3.5),
        pytest.approx(4.25),
    )
    ow = p[("opportunity", "won")]  # [5, 10]
    assert (ow["median_days"], ow["p90_days"]) == (pytest.approx(7.5), pytest.approx(9.5))
    lw = p[("lead", "won")]  # [9, 19]: the sales cycle
    assert (lw["n"], lw["median_days"], lw["p75_days"], lw["mean_days"]) == (
        2,
        pytest.approx(14.0),
        pytest.approx(16.5),
        pytest.approx(14.0),
    )


def test_activity_velocity_uses_leads_that_reached_b_in_period(q1):
    p = pairs(velocity(q1, Q1.with_mode("activity")))
    # SQL dated in Q1 with an MQL date: sql_lost 4, won_full 2, outside_before 1; reversed -1
    ms = p[("mql", "sql")]
    assert (ms["n"], ms["excluded"]) == (3, 1)
    assert ms["median_days"] == pytest.approx(2.0)
    assert ms["p75_days"] == pytest.approx(3.0)  # position 1.5: 2 + 0.5 * (4 - 2)
    assert ms["p90_days"] == pytest.approx(3.6)  # position 1.8: 2 + 0.8 * 2
    assert ms["mean_days"] == pytest.approx(7 / 3)
    # won inside Q1: only won_full
    assert p[("lead", "won")]["n"] == 1


def test_fractional_days(empty_con):
    add_lead(empty_con, "a", "2026-05-01 00:00:00", "mql", mql_at="2026-05-01 12:00:00")
    add_lead(empty_con, "b", "2026-05-01 00:00:00", "mql", mql_at="2026-05-02 06:00:00")
    p = pairs(velocity(empty_con, Filters(date(2026, 5, 1), date(2026, 5, 31))))
    assert p[("lead", "mql")]["median_days"] == pytest.approx((0.5 + 1.25) / 2)


def test_textbook_quantiles(empty_con):
    # days 1, 2, 3, 4, 10: median 3; p75 at position 3 = 4; p90 at 3.6 = 4 + 0.6 * 6 = 7.6
    for i, d in enumerate((1, 2, 3, 4, 10)):
        add_lead(
            empty_con, f"l{i}", "2026-05-01 00:00:00", "mql", mql_at=f"2026-05-{1 + d:02d} 00:00:00"
        )
    lm = pairs(velocity(empty_con, Filters(date(2026, 5, 1), date(2026, 5, 1))))[("lead", "mql")]
    assert (lm["n"], lm["median_days"], lm["p75_days"], lm["p90_days"], lm["mean_days"]) == (
        5,
        pytest.approx(3.0),
        pytest.approx(4.0),
        pytest.approx(7.6),
        pytest.approx(4.0),
    )


def test_empty(empty_con):
    df = velocity(empty_con, Q1)
    assert df["n"].tolist() == [0, 0, 0, 0, 0]
    assert df["median_days"].isna().all()


def test_sales_cycle_is_p75_of_lead_to_won(q1):
    from analytics.metrics import sales_cycle_days

    # all time: won_full 19 days, won_skipped_sql 9 days -> p75 = 9 + 0.75 * 10
    assert sales_cycle_days(q1) == pytest.approx(16.5)
    # the same pair's other quantiles: median 9 + 0.5 * 10, p90 9 + 0.9 * 10
    assert sales_cycle_days(q1, "median_days") == pytest.approx(14.0)
    assert sales_cycle_days(q1, "p90_days") == pytest.approx(18.0)
    with pytest.raises(ValueError, match="p75_days"):
        sales_cycle_days(q1, "p99_days")


def test_no_sales_cycle_without_wins(empty_con):
    from analytics.metrics import sales_cycle_days

    assert sales_cycle_days(empty_con) is None
