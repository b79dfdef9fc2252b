"""Funnel, awareness and costs (analytics.metrics.summary) on the Q1 fixture of conftest.py.

Cohort Q1 population (created 2026-01-01..2026-03-31): lead_only, mql_only, sql_lost, won_full,
won_skipped_sql, organic_mql, reversed, undated_sql = 8 leads.
  reached MQL: all but lead_only = 7; SQL: sql_lost, won_full, won_skipped_sql, reversed,
  undated_sql = 5; opportunity: won_full, won_skipped_sql, reversed = 3; won: 2.
Activity Q1: MQL dates in Q1: mql_only, sql_lost, won_full, organic_mql, outside_before,
  reversed = 6; SQL dates: sql_lost, won_full, outside_before, reversed = 4; opportunity dates:
  won_full, reversed = 2; won dates: won_full = 1.
Spend in Q1: C1 600 + 400, C2 1000 = 2000; impressions 15 000, clicks 300.
"""

from __future__ import annotations

from datetime import date

import pytest

from analytics.filters import Filters
from analytics.metrics import summary
from tests.conftest import add_campaign, add_cost, add_lead

Q1 = Filters(date(2026, 1, 1), date(2026, 3, 31))
Q1_ACTIVITY = Q1.with_mode("activity")


def test_cohort_counts_skipped_stage_as_passed(q1):
    s = summary(q1, Q1)
    # won_skipped_sql has no SQL date but counts at SQL; undated_sql counts at MQL and SQL
    assert s.counts == {"lead": 8, "mql": 7, "sql": 5, "opportunity": 3, "won": 2}
    assert s.undated == {"lead": 0, "mql": 0, "sql": 0, "opportunity": 0, "won": 0}


def test_cohort_conversions(q1):
    s = summary(q1, Q1)
    assert s.step_conversion("lead") is None
    assert s.step_conversion("mql") == pytest.approx(7 / 8)
    assert s.step_conversion("sql") == pytest.approx(5 / 7)
    assert s.step_conversion("opportunity") == pytest.approx(3 / 5)
    assert s.step_conversion("won") == pytest.approx(2 / 3)
    assert s.overall_conversion("lead") == 1.0
    assert s.overall_conversion("won") == pytest.approx(2 / 8)
    assert s.mql_to_sql == pytest.approx(5 / 7)


def test_activity_counts_by_stage_date_and_reports_undated(q1):
    s = summary(q1, Q1_ACTIVITY)
    assert s.counts == {"lead": 8, "mql": 6, "sql": 4, "opportunity": 2, "won": 1}
    # created in Q1, reached the stage, no date: undated_sql at MQL; won_skipped_sql and
    # undated_sql at SQL
    assert s.undated == {"lead": 0, "mql": 1, "sql": 2, "opportunity": 0, "won": 0}
    assert s.step_conversion("mql") == pytest.approx(6 / 8)
    assert s.mql_to_sql == pytest.approx(4 / 6)


def test_revenue_cohort_vs_activity(q1):
    assert summary(q1, Q1).revenue == 8000.0  # both won leads of the cohort
    assert summary(q1, Q1_ACTIVITY).revenue == 5000.0  # only won_full was won inside Q1


def test_awareness_and_costs(q1):
    s = summary(q1, Q1)
    assert (s.impressions, s.clicks, s.spend) == (15_000, 300, 2000.0)
    assert s.ctr == pytest.approx(0.02)
    assert s.cost_per_lead == pytest.approx(250.0)
    assert s.cost_per_mql == pytest.approx(2000 / 7)
    assert s.cost_per_sql == pytest.approx(400.0)
    assert s.cost_per_client == pytest.approx(1000.0)
    assert s.romi == pytest.approx(3.0)  # (8000 - 2000) / 2000
    assert s.cost_note is None


def test_period_boundaries_are_inclusive(q1):
    # the last second of 2026-03-31 is in; 2026-04-01 00:00 is out; costs on 03-31 are in
    s = summary(q1, Filters(date(2026, 3, 31), date(2026, 3, 31)))
    assert s.counts["lead"] == 1
    assert s.spend == 1000.0
    s = summary(q1, Filters(date(2026, 4, 1), date(2026, 4, 1)))
    assert s.counts["lead"] == 1  # outside_after
    assert s.spend == 50.0
    s = summary(q1, Filters(date(2025, 12, 31), date(2025, 12, 31)))
    assert (s.counts["lead"], s.spend) == (1, 999.0)


@pytest.mark.parametrize(
    ("name", "filters", "counts", "spend"),
    [
        (
            "channel",
            Filters(date(2026, 1, 1), date(2026, 3, 31), channels=("paid_search",)),
            {"lead": 4, "mql": 3, "sql": 2, "opportunity": 1, "won": 1},
            1000.0,
        ),
        (
            "campaign",
            Filters(date(2026, 1, 1), date(2026, 3, 31), campaigns=("C2",)),
            {"lead": 2, "mql": 2, "sql": 2, "opportunity": 2, "won": 1},
            1000.0,
        ),
        (
            "outbound",
            Filters(date(2026, 1, 1), date(2026, 3, 31), directions=("outbound",)),
            {"lead": 2, "mql": 2, "sql": 2, "opportunity": 2, "won": 1},
            1000.0,
        ),
        # inbound: C1's four leads plus the two organic ones (no campaign = inbound here)
        (
            "inbound",
            Filters(date(2026, 1, 1), date(2026, 3, 31), directions=("inbound",)),
            {"lead": 6, "mql": 5, "sql": 3, "opportunity": 1, "won": 1},
            1000.0,
        ),
    ],
)
def test_campaign_level_filters_keep_costs(q1, name, filters, counts, spend):
    s = summary(q1, filters)
    assert s.counts == counts, name
    assert s.spend == spend, name


@pytest.mark.parametrize(
    ("name", "filters", "leads", "switched_off_by"),
    [
        ("owner", Filters(date(2026, 1, 1), date(2026, 3, 31), owners=("Anna",)), 3, ("owners",)),
        # company_size 50, 500, 200, 300 are within 50-500 (both ends included)
        (
            "target",
            Filters(date(2026, 1, 1), date(2026, 3, 31), segments=("target",)),
            4,
            ("segments",),
        ),
        (
            "non_target",
            Filters(date(2026, 1, 1), date(2026, 3, 31), segments=("non_target",)),
            3,
            ("segments",),
        ),
        (
            "unknown_size",
            Filters(date(2026, 1, 1), date(2026, 3, 31), segments=("unknown_size",)),
            1,
            ("segments",),
        ),
        # hot = all four BANT flags: sql_lost and won_full
        (
            "hot",
            Filters(date(2026, 1, 1), date(2026, 3, 31), temperatures=("hot",)),
            2,
            ("temperatures",),
        ),
        # warm = 2-3 flags: mql_only (2), reversed (3)
        (
            "warm",
            Filters(date(2026, 1, 1), date(2026, 3, 31), temperatures=("warm",)),
            2,
            ("temperatures",),
        ),
        (
            "source+owner",
            Filters(date(2026, 1, 1), date(2026, 3, 31), owners=("Anna",), sources=("lead_form",)),
            2,
            ("sources", "owners"),
        ),
    ],
)
def test_lead_level_filters_switch_costs_off(q1, name, filters, leads, switched_off_by):
    s = summary(q1, filters)
    assert s.counts["lead"] == leads, name
    assert s.spend is None and s.impressions is None and s.clicks is None
    assert s.cost_per_lead is None and s.cost_per_client is None and s.romi is None
    assert s.cost_note is not None and s.cost_note.filters == switched_off_by


def test_empty_database_has_no_values_not_zeros(empty_con):
    s = summary(empty_con, Q1)
    assert s.counts == {"lead": 0, "mql": 0, "sql": 0, "opportunity": 0, "won": 0}
    assert s.step_conversion("mql") is None
    assert s.overall_conversion("won") is None
    assert s.mql_to_sql is None
    assert s.ctr is None
    # no cost row at all: spend is unknown (a sum over nothing), not zero
    assert s.spend is None and s.cost_note is not None and s.cost_note.reason == "no_costs"
    assert s.cost_per_lead is None and s.cost_per_client is None and s.romi is None
    assert s.revenue == 0.0  # no clients: revenue really is zero


def test_filter_matching_nothing(q1):
    s = summary(q1, Filters(date(2026, 1, 1), date(2026, 3, 31), channels=("no_such",)))
    assert s.counts["lead"] == 0 and s.spend is None and s.cost_per_lead is None


def test_product_example_conversion_2_of_100(empty_con):
    """PRODUCT.md: 2 buyers of 100 visitors = 2%."""
    for i in range(100):
        stage, status = ("won", "won") if i < 2 else ("lead", "open")
        add_lead(empty_con, f"v{i}", "2026-05-05 10:00:00", stage, status)
    s = summary(empty_con, Filters(date(2026, 5, 1), date(2026, 5, 31)))
    assert s.overall_conversion("won") == pytest.approx(0.02)


def test_product_example_cost_per_client(empty_con):
    """PRODUCT.md: 10 000 spent, 10 clients -> 1 000 per client."""
    add_campaign(empty_con, "K", "Campaign", "paid_search")
    add_cost(empty_con, "K", "2026-05-10", 10_000)
    for i in range(10):
        add_lead(
            empty_con,
            f"c{i}",
            "2026-05-05 10:00:00",
            "won",
            "won",
            campaign_id="K",
            won_at="2026-05-20 10:00:00",
            deal_value=100,
        )
    s = summary(empty_con, Filters(date(2026, 5, 1), date(2026, 5, 31)))
    assert s.cost_per_client == pytest.approx(1000.0)


def test_unbounded_period_counts_everything(q1):
    s = summary(q1, Filters())
    assert s.counts["lead"] == 10
    assert s.spend == 2000.0 + 999.0 + 50.0


def test_funnel_table_shape(q1):
    table = summary(q1, Q1).funnel_table()
    assert list(table["stage"]) == ["lead", "mql", "sql", "opportunity", "won"]
    assert list(table["count"]) == [8, 7, 5, 3, 2]
    assert table["step_conversion"].iloc[0] is None or table["step_conversion"].isna().iloc[0]


def test_query_is_parametrised_and_shows_values(q1):
    f = Filters(date(2026, 1, 1), date(2026, 3, 31), owners=("O'Brien",))
    s = summary(q1, f)
    assert "O'Brien" not in s.query.sql.text  # bound, not formatted
    assert "'O''Brien'" in s.query.rendered()  # shown to people with quotes escaped
    assert s.counts["lead"] == 0


def test_zero_spend_rows_are_zero_not_unknown(empty_con):
    """A campaign whose cost rows say 0 has spent nothing: CPL 0, not "-"."""
    add_campaign(empty_con, "F", "Free webinar", "lead_magnet")
    add_cost(empty_con, "F", "2026-05-10", 0, 100, 10)
    add_lead(empty_con, "f1", "2026-05-11 10:00:00", campaign_id="F", channel="lead_magnet")
    s = summary(empty_con, Filters(date(2026, 5, 1), date(2026, 5, 31)))
    assert (s.spend, s.cost_per_lead, s.cost_note) == (0.0, 0.0, None)


def test_clients_without_deal_values_have_unknown_revenue(empty_con):
    """Won leads but no deal value recorded (an ads export): revenue and ROMI are unknown."""
    add_campaign(empty_con, "K", "Campaign", "social")
    add_cost(empty_con, "K", "2026-05-10", 500)
    add_lead(
        empty_con,
        "w1",
        "2026-05-11 10:00:00",
        "won",
        "won",
        campaign_id="K",
        won_at="2026-05-20 10:00:00",
    )
    s = summary(empty_con, Filters(date(2026, 5, 1), date(2026, 5, 31)))
    assert s.revenue is None and s.romi is None
    assert s.cost_per_client == 500.0
    # one valued client is enough to know the revenue (the other counts as 0)
    add_lead(
        empty_con,
        "w2",
        "2026-05-12 10:00:00",
        "won",
        "won",
        campaign_id="K",
        won_at="2026-05-21 10:00:00",
        deal_value=2000,
    )
    s = summary(empty_con, Filters(date(2026, 5, 1), date(2026, 5, 31)))
    assert s.revenue == 2000.0 and s.romi == pytest.approx(3.0)
