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
