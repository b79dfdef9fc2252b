"""Per-campaign table on the Q1 fixture (see conftest.build_q1).

C1 in Q1 (cohort): spend 600 + 400 = 1000, impressions 15 000, clicks 300; leads lead_only,
  mql_only, sql_lost, won_full = 4; MQL 3, SQL 2, opportunity 1, won 1, revenue 5000.
C2 in Q1 (cohort): spend 1000 (2026-03-31), no impressions; leads won_skipped_sql, reversed = 2;
  MQL 2, SQL 2, opportunity 2, won 1, revenue 3000.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analytics.filters import Filters
from analytics.metrics import campaigns
from tests.conftest import add_campaign, add_cost

Q1 = Filters(date(2026, 1, 1), date(2026, 3, 31))


def rows(df):
    return {r["campaign_id"]: r for r in df.to_dict(orient="records")}


def test_cohort_campaign_rows(q1):
    r = rows(campaigns(q1, Q1))
    c1, c2 = r["C1"], r["C2"]
    assert (c1["name"], c1["channel"], c1["direction"]) == ("Search", "paid_search", "inbound")
    assert (c1["spend"], c1["impressions"], c1["clicks"]) == (1000.0, 15_000, 300)
    assert c1["ctr"] == pytest.approx(0.02)
    assert (c1["leads"], c1["mql"], c1["sql"], c1["opportunity"], c1["won"]) == (4, 3, 2, 1, 1)
    assert c1["revenue"] == 5000.0
    assert c1["cost_per_lead"] == pytest.approx(250.0)
    assert c1["cost_per_mql"] == pytest.approx(1000 / 3)
    assert c1["cost_per_sql"] == pytest.approx(500.0)
    assert c1["cost_per_client"] == pytest.approx(1000.0)
    assert c1["mql_yield"] == pytest.approx(0.75)
    assert c1["mql_to_sql"] == pytest.approx(2 / 3)
    assert c1["romi"] == pytest.approx(4.0)

    assert (c2["spend"], c2["impressions"], c2["clicks"]) == (1000.0, 0, 0)
    assert pd.isna(c2["ctr"])  # no impressions: no CTR
    assert (c2["leads"], c2["mql"], c2["sql"], c2["opportunity"], c2["won"]) == (2, 2, 2, 2, 1)
    assert c2["cost_per_lead"] == pytest.approx(500.0)
    assert c2["romi"] == pytest.approx(2.0)


def test_order_is_spend_then_leads(q1):
    assert list(campaigns(q1, Q1)["campaign_id"]) == ["C1", "C2"]


def test_activity_campaign_counts(q1):
    # C1 activity in Q1: created lead_only, mql_only, sql_lost, won_full (4); MQL dates:
    # mql_only, sql_lost, won_full, outside_before (4); SQL: sql_lost, won_full, outside_before
    # (3); opportunity: won_full (1); won: won_full (1)
    r = rows(campaigns(q1, Q1.with_mode("activity")))
    c1 = r["C1"]
    assert (c1["leads"], c1["mql"], c1["sql"], c1["opportunity"], c1["won"]) == (4, 4, 3, 1, 1)
    # C2: created won_skipped_sql, reversed (2); MQL: reversed (1); SQL: reversed (1);
    # opportunity: reversed (1); won: none inside Q1
    c2 = r["C2"]
    assert (c2["leads"], c2["mql"], c2["sql"], c2["opportunity"], c2["won"]) == (2, 1, 1, 1, 0)
    assert pd.isna(c2["cost_per_client"])
    assert c2["revenue"] == 0.0


def test_campaign_with_spend_and_no_leads_and_campaign_without_costs(q1):
    add_campaign(q1, "C3", "Silent banner", "social")
    add_cost(q1, "C3", "2026-02-01", 300, 1000, 5)
    add_campaign(q1, "REF", "Referral program", "referral")
    from tests.conftest import add_lead

    add_lead(q1, "ref1", "2026-02-02 10:00:00", campaign_id="REF", channel="referral")
    r = rows(campaigns(q1, Q1))
    assert r["C3"]["leads"] == 0 and r["C3"]["spend"] == 300.0
    assert pd.isna(r["C3"]["cost_per_lead"])  # no leads: no CPL
    # no cost row at all: spend unknown (not zero), so no cost per lead either
    assert pd.isna(r["REF"]["spend"]) and pd.isna(r["REF"]["cost_per_lead"])
    add_cost(q1, "REF", "2026-02-02", 0)  # a recorded zero: the programme is free
    r = rows(campaigns(q1, Q1))
    assert r["REF"]["spend"] == 0.0 and r["REF"]["cost_per_lead"] == 0.0


def test_lead_level_filter_drops_spend(q1):
    df = campaigns(q1, Filters(date(2026, 1, 1), date(2026, 3, 31), owners=("Anna",)))
    r = rows(df)
    assert list(r) == ["C1"]
    assert r["C1"]["leads"] == 3
    assert df["spend"].isna().all() and df["cost_per_lead"].isna().all()


def test_leads_of_unknown_campaign_still_listed(q1):
    from tests.conftest import add_lead

    add_lead(q1, "ghost", "2026-01-20 10:00:00", campaign_id="GHOST", channel="social")
    r = rows(campaigns(q1, Q1))
    assert r["GHOST"]["name"] == "GHOST" and r["GHOST"]["leads"] == 1


def test_no_campaigns_gives_empty_frame(empty_con):
    assert campaigns(empty_con, Q1).empty


# ---------------------------------------------------------------------------------------------
# Grouping by channel or direction (one query with an allow-listed GROUP BY key).


def _add_search_two(con):
    """C3 "Search 2" (paid_search, inbound): 500 spent on 2026-02-01 (5 000 impressions, 50
    clicks); one lead c3_mql created 2026-02-02 that reached MQL. GHOST: a campaign missing from
    the campaigns table with one cold-outreach lead, no costs."""
    from tests.conftest import add_lead

    add_campaign(con, "C3", "Search 2", "paid_search", "inbound")
    add_cost(con, "C3", "2026-02-01", 500, 5_000, 50)
    add_lead(con, "c3_mql", "2026-02-02 10:00:00", "mql", campaign_id="C3", channel="paid_search")
    add_lead(con, "ghost", "2026-02-03 10:00:00", campaign_id="GHOST", channel="cold_outreach")


def test_grouped_by_channel(q1):
    """paid_search = C1 + C3: spend 1000 + 500 = 1500, impressions 15 000 + 5 000 = 20 000,
    clicks 300 + 50 = 350 (CTR 0.0175); leads 4 + 1 = 5, MQL 3 + 1 = 4, SQL 2, opportunity 1,
    won 1, revenue 5000; CPL 300, cost per MQL 375, MQL yield 0.8, MQL-to-SQL 0.5,
    ROMI (5000 - 1500) / 1500 = 2.3333.
    events = C2 alone (see the module docstring). cold_outreach = GHOST, by its leads' channel."""
    _add_search_two(q1)
    df = campaigns(q1, Q1, by="channel")
    assert list(df.columns[:2]) == ["channel", "campaigns"]
    r = {row["channel"]: row for row in df.to_dict(orient="records")}
    assert set(r) == {"paid_search", "events", "cold_outreach"}
    ps = r["paid_search"]
    assert ps["campaigns"] == 2
    assert (ps["spend"], ps["impressions"], ps["clicks"]) == (1500.0, 20_000, 350)
    assert ps["ctr"] == pytest.approx(0.0175)
    assert (ps["leads"], ps["mql"], ps["sql"], ps["opportunity"], ps["won"]) == (5, 4, 2, 1, 1)
    assert ps["revenue"] == 5000.0
    assert ps["cost_per_lead"] == pytest.approx(300.0)
    assert ps["cost_per_mql"] == pytest.approx(375.0)
    assert ps["mql_yield"] == pytest.approx(0.8)
    assert ps["mql_to_sql"] == pytest.approx(0.5)
    assert ps["romi"] == pytest.approx(3500 / 1500)
    ev = r["events"]
    assert (ev["campaigns"], ev["spend"], ev["leads"], ev["won"]) == (1, 1000.0, 2, 1)
    # GHOST has no cost rows: the group's spend is unknown, not zero
    assert r["cold_outreach"]["leads"] == 1 and pd.isna(r["cold_outreach"]["spend"])
    # ordered by spend
    assert list(df["channel"]) == ["paid_search", "events", "cold_outreach"]


def test_grouped_by_direction(q1):
    """inbound = C1 + C3 (as paid_search above); outbound = C2 (events, outbound) + GHOST (no
    campaign row: its leads' channel cold_outreach is outbound): spend 1000, leads 2 + 1 = 3,
    MQL 2, SQL 2, won 1."""
    _add_search_two(q1)
    df = campaigns(q1, Q1, by="direction")
    r = {row["direction"]: row for row in df.to_dict(orient="records")}
    assert set(r) == {"inbound", "outbound"}
    assert (r["inbound"]["campaigns"], r["inbound"]["spend"], r["inbound"]["leads"]) == (
        2,
        1500.0,
        5,
    )
    out = r["outbound"]
    assert (out["campaigns"], out["spend"], out["leads"], out["mql"], out["sql"], out["won"]) == (
        2,
        1000.0,
        3,
        2,
        2,
        1,
    )


def test_groups_add_up_to_the_campaign_rows(q1):
    _add_search_two(q1)
    per_campaign = campaigns(q1, Q1)
    for by in ("channel", "direction"):
        grouped = campaigns(q1, Q1, by=by)
        for col in ("spend", "impressions", "clicks", "leads", "mql", "sql", "won", "revenue"):
            assert grouped[col].sum() == per_campaign[col].sum(), (by, col)


def test_unknown_grouping_is_refused():
    from analytics.metrics.campaigns import campaigns_query

    with pytest.raises(ValueError, match="cannot group campaigns by 'name; DROP TABLE leads'"):
        campaigns_query(Q1, by="name; DROP TABLE leads")


# ---------------------------------------------------------------------------------------------
# The comparison: intervals, tests against the rest, "too few to judge".


def test_small_campaigns_are_too_few_to_judge_but_have_intervals(q1):
    """C1: MQL yield 3/4. Wilson by hand: p = 0.75, k = 3.8414588/4 = 0.9603647;
    centre = (0.75 + 0.4801824) / 1.9603647 = 0.6275280;
    half = 1.959964 / 1.9603647 * sqrt(0.1875/4 + 3.8414588/64) = 0.9997956 * sqrt(0.1068978)
         = 0.9997956 * 0.3269523 = 0.3268855  ->  0.300642 to 0.954414.
    4 leads < 30: too few to judge."""
    from analytics.metrics import campaign_comparison

    df = campaign_comparison(q1, Q1)
    c1 = df.set_index("campaign_id").loc["C1"]
    assert c1["mql_yield_low"] == pytest.approx(0.300642, abs=1e-5)
    assert c1["mql_yield_high"] == pytest.approx(0.954414, abs=1e-5)
    assert c1["mql_yield_verdict"] == "too_few" and pd.isna(c1["mql_yield_p"])
    # the rest of C1 is C2 pooled: 2 MQL of 2 leads
    assert c1["mql_yield_rest"] == pytest.approx(1.0)
    assert set(df["mql_to_sql_verdict"]) == {"too_few"}


def _ab_fixture(con):
    """A: 100 leads created in January, 45 MQL, 4500 spent; B: 100 leads, 30 MQL, 3000 spent;
    C: 10 leads, 3 MQL, nothing spent. Nobody reached SQL."""
    for cid, leads, mql, spend in (("A", 100, 45, 4500), ("B", 100, 30, 3000), ("C", 10, 3, 0)):
        add_campaign(con, cid, f"Campaign {cid}", "social")
        add_cost(con, cid, "2026-01-15", spend)  # C: a recorded zero, not a missing row
        con.execute(
            "INSERT INTO leads (lead_id, created_at, campaign_id, channel, stage, status) "
            "SELECT ? || i, TIMESTAMP '2026-01-10 10:00:00', ?, 'social', "
            "CASE WHEN i < ? THEN 'mql' ELSE 'lead' END, 'open' FROM range(?) t(i)",
            [cid, cid, mql, leads],
        )


def test_verdicts_against_the_rest_by_hand(empty_con):
    """A (45/100) against B + C pooled (33/110 = 0.3): pooled = 78/210 = 0.3714286;
    se = sqrt(0.3714286 * 0.6285714 * (1/100 + 1/110)) = sqrt(0.2334694 * 0.0190909)
       = sqrt(0.0044572) = 0.0667618; z = (0.45 - 0.30) / 0.0667618 = 2.2468; p = 0.0247 -> higher.
    B (30/100) against A + C (48/110 = 0.4363636): same se; z = -0.1363636 / 0.0667618 = -2.0425;
    p = 0.0411 -> lower. C: 10 leads -> too few.
    MQL-to-SQL: nobody reached SQL anywhere: A (45 MQL) vs rest (33 MQL) both >= 30, pooled 0:
    no difference; C (3 MQL) too few; B (30 MQL) vs A + C (48): no difference."""
    from analytics.metrics import campaign_comparison

    _ab_fixture(empty_con)
    df = campaign_comparison(empty_con, Filters(date(2026, 1, 1), date(2026, 1, 31)))
    r = df.set_index("campaign_id")
    assert r.loc["A", "mql_yield_verdict"] == "higher"
    assert r.loc["A", "mql_yield_rest"] == pytest.approx(0.3)
    assert r.loc["A", "mql_yield_p"] == pytest.approx(0.0247, abs=1e-3)
    assert r.loc["B", "mql_yield_verdict"] == "lower"
    assert r.loc["B", "mql_yield_p"] == pytest.approx(0.0411, abs=1e-3)
    assert r.loc["C", "mql_yield_verdict"] == "too_few"
    assert list(r["mql_to_sql_verdict"]) == ["no_difference", "no_difference", "too_few"]


def test_cost_per_mql_interval_by_hand(empty_con):
    """A: 4500 / 45 MQL = 100 per MQL; cost per lead 45. Wilson for 45/100: p = 0.45,
    k = 0.038414588; centre = (0.45 + 0.0192073) / 1.0384146 = 0.4518502;
    half = 1.959964 / 1.0384146 * sqrt(0.002475 + 0.0000960365) = 1.8874578 * 0.0507054
         = 0.0957043 -> 0.3561459 to 0.5475545.
    Cost per MQL: 45 / 0.5475545 = 82.184 to 45 / 0.3561459 = 126.353.
    C spent nothing: 0 to 0."""
    from analytics.metrics import campaign_comparison

    _ab_fixture(empty_con)
    r = campaign_comparison(empty_con, Filters(date(2026, 1, 1), date(2026, 1, 31)))
    r = r.set_index("campaign_id")
    assert r.loc["A", "cost_per_mql"] == pytest.approx(100.0)
    assert r.loc["A", "cost_per_mql_low"] == pytest.approx(82.184, abs=2e-3)
    assert r.loc["A", "cost_per_mql_high"] == pytest.approx(126.353, abs=2e-3)
    assert (r.loc["C", "cost_per_mql_low"], r.loc["C", "cost_per_mql_high"]) == (0.0, 0.0)


def test_comparison_stats_only_in_cohort_mode(q1):
    from analytics.metrics import campaign_comparison

    df = campaign_comparison(q1, Q1.with_mode("activity"))
    for col in ("mql_yield_low", "mql_yield_verdict", "mql_to_sql_high", "cost_per_mql_low"):
        assert df[col].isna().all(), col
    # the counts are the plain activity counts
    assert df.set_index("campaign_id").loc["C1", "mql"] == 4


def test_comparison_without_spend_has_no_cost_interval(q1):
    from analytics.metrics import campaign_comparison

    df = campaign_comparison(q1, Filters(date(2026, 1, 1), date(2026, 3, 31), owners=("Anna",)))
    assert df["cost_per_mql_low"].isna().all() and df["cost_per_mql_high"].isna().all()
    assert df["mql_yield_low"].notna().all()  # rates still have their intervals


def test_comparison_keeps_the_campaign_columns(q1):
    from analytics.metrics import CAMPAIGN_COLUMNS, campaign_comparison

    df = campaign_comparison(q1, Q1)
    assert list(df.columns[: len(CAMPAIGN_COLUMNS)]) == list(CAMPAIGN_COLUMNS)
    plain = campaigns(q1, Q1)
    pd.testing.assert_frame_equal(df[list(CAMPAIGN_COLUMNS)], plain, check_like=False)
