"""The customer journey on the Q1 fixture (conftest.build_q1), worked out by hand.

The Q1 cohort (created 2026-01-01 .. 2026-03-31), stage and status:
  lead_only lead/open, mql_only mql/open, organic_mql mql/nurture, sql_lost sql/lost (Price),
  undated_sql sql/open, reversed opportunity/open, won_full won, won_skipped_sql won.
Reached: lead 8, MQL 7 (all but lead_only), SQL 5, opportunity 3, won 2.
Campaign-attributed (campaign_id set): all but organic_mql and undated_sql.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analytics.filters import Filters
from analytics.metrics import campaigns, summary, velocity
from analytics.metrics.journey import (
    DAY_BUCKETS,
    EXPORT_LIMIT,
    JOURNEY_STEPS,
    drop_off,
    journey_flows,
    journey_funnel,
    stopped_leads,
    time_to_convert,
)
from tests.conftest import add_campaign, add_lead

Q1 = Filters(date(2026, 1, 1), date(2026, 3, 31))


# -- the funnel from awareness to sale ---------------------------------------------------------


def test_journey_funnel_cohort(q1):
    """Attributed Q1 cohort: lead_only, mql_only, sql_lost, won_full (C1), won_skipped_sql,
    reversed (C2) = 6 leads; MQL 5 (not lead_only); SQL 4 (sql_lost, won_full, won_skipped_sql
    by skipping, reversed); opportunity 3; won 2. Costs in Q1: 15 000 impressions, 300 clicks."""
    jf = journey_funnel(q1, Q1)
    assert [jf.value(s) for s in JOURNEY_STEPS] == [15_000, 300, 6, 5, 4, 3, 2]
    t = jf.table().set_index("step")
    assert pd.isna(t.at["impressions", "step_conversion"])
    assert t.at["clicks", "step_conversion"] == pytest.approx(0.02)  # the CTR
    assert t.at["lead", "step_conversion"] == pytest.approx(6 / 300)
    assert t.at["mql", "step_conversion"] == pytest.approx(5 / 6)
    assert t.at["won", "step_conversion"] == pytest.approx(2 / 3)


def test_journey_funnel_activity(q1):
    """Attributed, dated in Q1: created 6 (as above); MQL mql_only, sql_lost, won_full,
    outside_before, reversed = 5; SQL sql_lost, won_full, outside_before, reversed = 4;
    opportunity won_full, reversed = 2; won won_full = 1."""
    jf = journey_funnel(q1, Q1.with_mode("activity"))
    assert [jf.value(s) for s in JOURNEY_STEPS] == [15_000, 300, 6, 5, 4, 2, 1]


@pytest.mark.parametrize("mode", ["cohort", "activity"])
def test_journey_funnel_is_the_sum_of_the_campaigns(q1, mode):
    f = Q1.with_mode(mode)
    jf = journey_funnel(q1, f)
    camp = campaigns(q1, f)
    for stage, column in [("lead", "leads"), ("mql", "mql"), ("sql", "sql"), ("won", "won")]:
        assert jf.value(stage) == camp[column].sum(), stage
    assert jf.impressions == camp["impressions"].sum() and jf.clicks == camp["clicks"].sum()


def test_lead_level_filter_hides_awareness(q1):
    jf = journey_funnel(q1, Filters(date(2026, 1, 1), date(2026, 3, 31), owners=("Anna",)))
    assert jf.impressions is None and jf.clicks is None
    assert jf.value("lead") == 3  # Anna's three, all attributed to C1
    assert jf.step_conversion("clicks") is None and jf.step_conversion("lead") is None


@pytest.mark.parametrize("mode", ["cohort", "activity"])
def test_no_cost_row_means_unknown_awareness(q1, mode):
    """2026-01-01 .. 2026-01-09 has no cost row (the first Q1 cost day is 2026-01-10):
    impressions and clicks are unknown (None), not 0, as spend is in the summary. The leads
    still count: created lead_only (Jan 5) and mql_only (Jan 6), both C1; cohort MQL 1
    (mql_only), SQL 0; activity MQL dated mql_only (Jan 8) and outside_before (Jan 2) = 2, SQL
    outside_before (Jan 3) = 1."""
    jf = journey_funnel(q1, Filters(date(2026, 1, 1), date(2026, 1, 9), mode=mode))
    assert jf.impressions is None and jf.clicks is None
    expected = (2, 1, 0) if mode == "cohort" else (2, 2, 1)
    assert (jf.value("lead"), jf.value("mql"), jf.value("sql")) == expected
    assert jf.step_conversion("clicks") is None and jf.step_conversion("lead") is None


# -- where the leads went ----------------------------------------------------------------------


def flows_of(fl) -> list[tuple]:
    return [
        (r["from_stage"], r["outcome"], r["reason"] if pd.notna(r["reason"]) else None, r["leads"])
        for r in fl.flows.to_dict(orient="records")
    ]


def test_flows(q1):
    fl = journey_flows(q1, Q1)
    assert fl.reached == {"lead": 8, "mql": 7, "sql": 5, "opportunity": 3, "won": 2}
    assert flows_of(fl) == [
        ("lead", "next", None, 7),
        ("lead", "open", None, 1),  # lead_only
        ("mql", "next", None, 5),
        ("mql", "nurture", None, 1),  # organic_mql
        ("mql", "open", None, 1),  # mql_only
        ("sql", "next", None, 3),
        ("sql", "lost", "Price", 1),  # sql_lost
        ("sql", "open", None, 1),  # undated_sql
        ("opportunity", "next", None, 2),
        ("opportunity", "open", None, 1),  # reversed
    ]


def test_flows_sum_to_the_cohort(q1):
    fl = journey_flows(q1, Q1)
    sums = fl.flows.groupby("from_stage")["leads"].sum().to_dict()
    for stage in ("lead", "mql", "sql", "opportunity"):
        assert sums[stage] == fl.reached[stage]
    assert fl.cohort == summary(q1, Q1).count("lead") == 8


def test_flows_are_a_cohort_whatever_the_mode(q1):
    assert journey_flows(q1, Q1.with_mode("activity")).flows.equals(journey_flows(q1, Q1).flows)


def test_lost_reasons_top_other_and_none(empty_con):
    """Seven leads lost at lead: Price x3, Spam x2, Late x1, no reason x1; with the top 2
    reasons named: Price 3, Spam 2, other reasons 1 (Late), no reason 1. Reasons come before
    'other' and 'none', most frequent first."""
    for i, reason in enumerate(["Price"] * 3 + ["Spam"] * 2 + ["Late", None]):
        add_lead(empty_con, f"x{i}", "2026-01-05 10:00:00", "lead", "lost", lost_reason=reason)
    fl = journey_flows(empty_con, Q1, top_reasons=2)
    rows = fl.flows[fl.flows["outcome"] == "lost"]
    assert rows["reason_group"].tolist() == ["reason", "reason", "other", "none"]
    assert rows["reason"].tolist()[:2] == ["Price", "Spam"]
    assert rows["leads"].tolist() == [3, 2, 1, 1]
    assert fl.reached["lead"] == 7 == fl.flows["leads"].sum()


def test_drop_off(q1):
    d = drop_off(journey_flows(q1, Q1)).set_index("stage")
    assert d["next_stage"].tolist() == ["mql", "sql", "opportunity", "won"]
    assert d.loc["lead", ["reached", "went_on", "stopped", "lost", "nurture", "open"]].tolist() == [
        8,
        7,
        1,
        0,
        0,
        1,
    ]
    assert d.loc["mql", ["reached", "went_on", "stopped", "nurture", "open"]].tolist() == [
        7,
        5,
        2,
        1,
        1,
    ]
    assert d.loc["sql", ["stopped", "lost", "open"]].tolist() == [2, 1, 1]
    assert d.at["lead", "drop_rate"] == pytest.approx(1 / 8)
    assert d.at["mql", "drop_rate"] == pytest.approx(2 / 7)
    assert d.at["sql", "drop_rate"] == pytest.approx(0.4)
    assert d.at["opportunity", "went_on_rate"] == pytest.approx(2 / 3)


def test_drop_off_of_an_empty_cohort_has_no_rates(empty_con):
    d = drop_off(journey_flows(empty_con, Q1))
    assert d["reached"].tolist() == [0, 0, 0, 0] and d["drop_rate"].isna().all()


# -- time to convert ---------------------------------------------------------------------------


def test_time_to_convert_buckets(q1):
    """Q1 cohort days per pair (see test_metrics_velocity): lead->MQL 2,1,2,2,1,2 (all in
    [1, 3)); MQL->SQL 4, 2 (reversed's -1 left out); SQL->opp 5, 2; opp->won 10, 5;
    lead->won 19, 9."""
    df = time_to_convert(q1, Q1)
    assert len(df) == 5 * len(DAY_BUCKETS)
    got = {
        (r["from_stage"], r["to_stage"], r["lo_days"]): r["leads"]
        for r in df.to_dict(orient="records")
        if r["leads"]
    }
    assert got == {
        ("lead", "mql", 1): 6,
        ("mql", "sql", 1): 1,
        ("mql", "sql", 3): 1,
        ("sql", "opportunity", 1): 1,
        ("sql", "opportunity", 3): 1,
        ("opportunity", "won", 3): 1,
        ("opportunity", "won", 7): 1,
        ("lead", "won", 7): 1,
        ("lead", "won", 14): 1,
    }


@pytest.mark.parametrize("mode", ["cohort", "activity"])
def test_time_to_convert_adds_up_to_velocity_n(q1, mode):
    f = Q1.with_mode(mode)
    sums = time_to_convert(q1, f).groupby(["from_stage", "to_stage"], sort=False)["leads"].sum()
    assert sums.tolist() == velocity(q1, f)["n"].tolist()


def test_bucket_edges(empty_con):
    """A bucket holds [lower, upper): 0.999 days -> [0, 1); exactly 1 -> [1, 3); 180 -> 180+."""
    for name, mql_at in [
        ("a", "2026-05-01 23:58:33"),  # 0.999 days after 2026-05-01 00:00:00 (86 313 s)
        ("b", "2026-05-02 00:00:00"),
        ("c", "2026-10-28 00:00:00"),  # 180 days
    ]:
        add_lead(empty_con, name, "2026-05-01 00:00:00", "mql", mql_at=mql_at)
    df = time_to_convert(empty_con, Filters(date(2026, 5, 1), date(2026, 5, 1)))
    lm = df[(df["from_stage"] == "lead") & (df["to_stage"] == "mql")]
    assert dict(zip(lm["lo_days"], lm["leads"], strict=True)) == {
        0: 1,
        1: 1,
        3: 0,
        7: 0,
        14: 0,
        30: 0,
        60: 0,
        90: 0,
        180: 1,
    }
    assert pd.isna(lm["hi_days"].iloc[-1])


# -- who stopped where ---------------------------------------------------------------------------


def test_stopped_at_sql(q1):
    page = stopped_leads(q1, Q1, "sql")
    assert page.total == 2
    assert page.rows["lead_id"].tolist() == ["undated_sql", "sql_lost"]  # newest first
    lost = page.rows.iloc[1]
    assert (lost["status"], lost["lost_reason"], lost["campaign"]) == ("lost", "Price", "Search")
    assert lost["reached_at"] == pd.Timestamp("2026-01-15")
    assert pd.isna(page.rows.iloc[0]["reached_at"])  # a status-only CRM row
    assert stopped_leads(q1, Q1, "sql", "lost").rows["lead_id"].tolist() == ["sql_lost"]
    assert stopped_leads(q1, Q1, "mql", "nurture").rows["lead_id"].tolist() == ["organic_mql"]
    assert stopped_leads(q1, Q1, "opportunity").rows["lead_id"].tolist() == ["reversed"]


def test_stopped_counts_match_the_drop_off(q1):
    d = drop_off(journey_flows(q1, Q1)).set_index("stage")
    for stage in ("lead", "mql", "sql", "opportunity"):
        assert stopped_leads(q1, Q1, stage).total == d.at[stage, "stopped"]


def test_paging(q1):
    p = stopped_leads(q1, Q1, "sql", limit=1, offset=1)
    assert (p.total, p.rows["lead_id"].tolist()) == (2, ["sql_lost"])
    beyond = stopped_leads(q1, Q1, "sql", limit=25, offset=50)
    assert (beyond.total, len(beyond.rows)) == (2, 0)
    assert EXPORT_LIMIT == 10_000


def _stopped_set(con) -> None:
    """Seven leads stopped at MQL in February, four of them created at the same moment (ties
    are ordered by lead_id); "t_won" and "t_sql" went further (they did not stop at MQL) and
    "t_march" was created after the period."""
    add_campaign(con, "C9", "Webinar", "webinar")
    same = "2026-02-10 09:00:00"
    add_lead(con, "t_d", same, "mql", "open", channel="webinar", campaign_id="C9")
    add_lead(con, "t_b", same, "mql", "lost", channel="webinar", campaign_id="C9")
    add_lead(con, "t_c", same, "mql", "nurture", channel="email")
    add_lead(con, "t_a", same, "mql", "open", channel="email", campaign_id="C404")
    add_lead(con, "t_new", "2026-02-20 12:00:00", "mql", "open", channel="webinar")
    add_lead(con, "t_old", "2026-02-01 08:00:00", "mql", "lost", channel="email")
    add_lead(con, "t_mid", "2026-02-15 00:00:00", "mql", "open", channel="webinar")
    add_lead(con, "t_won", "2026-02-11 00:00:00", "won", "won", channel="webinar")
    add_lead(con, "t_sql", "2026-02-12 00:00:00", "sql", "open", channel="webinar")
    add_lead(con, "t_march", "2026-03-05 00:00:00", "mql", "open", channel="webinar")


def test_stopped_pages_follow_one_order_ties_by_lead_id(empty_con):
    """Newest first, ties by lead_id: t_new, t_mid, then the four of 02-10 as t_a, t_b, t_c,
    t_d, then t_old. Pages of 3: [t_new, t_mid, t_a], [t_b, t_c, t_d], [t_old]."""
    _stopped_set(empty_con)
    feb = Filters(date(2026, 2, 1), date(2026, 2, 28))
    pages = [stopped_leads(empty_con, feb, "mql", limit=3, offset=o) for o in (0, 3, 6)]
    assert [p.total for p in pages] == [7, 7, 7]
    assert [p.rows["lead_id"].tolist() for p in pages] == [
        ["t_new", "t_mid", "t_a"],
        ["t_b", "t_c", "t_d"],
        ["t_old"],
    ]
    second = pages[1].rows.set_index("lead_id")
    # the campaign's name only for the rows of the page; an unknown id stays as it is
    assert second.at["t_b", "campaign"] == "Webinar"
    assert pd.isna(second.at["t_c", "campaign"])
    assert pages[0].rows.set_index("lead_id").at["t_a", "campaign"] == "C404"
    assert stopped_leads(empty_con, feb, "mql", limit=3, offset=3).rows.equals(pages[1].rows)


def test_stopped_count_and_page_with_a_filter(empty_con):
    """Channel webinar, February, stopped at MQL: t_new, t_mid, t_b, t_d (t_won won, t_sql at
    SQL, t_march out of the period) = 4; page 2 of 2 rows: t_b, t_d. Lost only: t_b."""
    _stopped_set(empty_con)
    web = Filters(date(2026, 2, 1), date(2026, 2, 28), channels=("webinar",))
    page = stopped_leads(empty_con, web, "mql", limit=2, offset=2)
    assert (page.total, page.rows["lead_id"].tolist()) == (4, ["t_b", "t_d"])
    lost = stopped_leads(empty_con, web, "mql", "lost")
    assert (lost.total, lost.rows["lead_id"].tolist()) == (1, ["t_b"])


def test_contacts_are_masked(empty_con):
    add_lead(
        empty_con,
        "x",
        "2026-02-02 10:00:00",
        "lead",
        "lost",
        email="anna.belova3@zenit.example",
        phone="+7 (916) 123-45-67",
        company="=HYPERLINK(1)",
    )
    row = stopped_leads(empty_con, Q1, "lead").rows.iloc[0]
    assert (row["email"], row["phone"]) == ("a***@zenit.example", "+7 *** *** 45 67")
    assert row["company"] == "=HYPERLINK(1)"  # kept as text; exports neutralise it


@pytest.mark.parametrize(
    ("stage", "outcome", "limit", "offset", "message"),
    [
        ("won", None, 25, 0, "not 'won'"),
        ("sql", "won", 25, 0, "outcome"),
        ("sql", None, 0, 0, "limit"),
        ("sql", None, 5, -1, "offset"),
    ],
)
def test_bad_arguments(q1, stage, outcome, limit, offset, message):
    with pytest.raises(ValueError, match=message):
        stopped_leads(q1, Q1, stage, outcome, limit, offset)
