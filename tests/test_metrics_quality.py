"""Lead quality on the Q1 fixture (see conftest.build_q1), worked out by hand.

Cohort Q1 = the 8 leads created in Q1: lead_only, mql_only, sql_lost, won_full, won_skipped_sql,
organic_mql, reversed, undated_sql (funnel 8, 7, 5, 3, 2).

Company size against the ICP 50-500 (both ends target):
  target:       mql_only (50, mql), sql_lost (500, sql), won_skipped_sql (200, won),
                undated_sql (300, sql)
  non_target:   lead_only (10, lead), won_full (501, won), reversed (49, opportunity)
  unknown_size: organic_mql (no size, mql)

BANT (recorded = at least one criterion set; count = confirmed ones):
  not recorded: lead_only, won_skipped_sql, undated_sql (and outside_before)
  1: organic_mql (budget)        2: mql_only (budget, need)
  3: reversed (budget, authority, need)        4: sql_lost, won_full
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analytics.filters import Filters
from analytics.metrics import summary
from analytics.metrics.quality import (
    BREAKDOWNS,
    bant_audit,
    bant_audit_leads,
    conversion_by,
    temperature_by_stage,
)
from tests.conftest import add_lead

Q1 = Filters(date(2026, 1, 1), date(2026, 3, 31))
COUNTS = ["leads", "mql", "sql", "opportunity", "won"]


def by_key(df):
    return {r["key"]: r for r in df.to_dict(orient="records")}


def counts(row):
    return tuple(int(row[c]) for c in COUNTS)


def test_target_against_non_target(q1):
    """target: leads 4; MQL 4; SQL sql_lost, won_skipped_sql (skipped SQL counts), undated_sql
    = 3; opportunity won_skipped_sql = 1; won 1 (revenue 3000).
    non_target: leads 3; MQL won_full, reversed = 2; SQL 2; opportunity 2; won won_full = 1
    (revenue 5000). unknown_size: organic_mql: 1, 1, 0, 0, 0."""
    df = conversion_by(q1, Q1, "segment")
    assert list(df["key"]) == ["target", "non_target", "unknown_size"]
    r = by_key(df)
    assert counts(r["target"]) == (4, 4, 3, 1, 1)
    assert counts(r["non_target"]) == (3, 2, 2, 2, 1)
    assert counts(r["unknown_size"]) == (1, 1, 0, 0, 0)
    assert r["target"]["revenue"] == 3000.0 and r["non_target"]["revenue"] == 5000.0
    assert r["target"]["mql_yield"] == pytest.approx(1.0)
    assert r["target"]["mql_to_sql"] == pytest.approx(0.75)
    assert r["target"]["win_rate"] == pytest.approx(0.25)
    assert r["non_target"]["win_rate"] == pytest.approx(1 / 3)
    assert pd.isna(r["unknown_size"]["mql_to_sql"]) is False  # 0 of 1 MQL is a rate: 0
    assert r["unknown_size"]["mql_to_sql"] == 0.0
    # 4 leads: far too few to judge
    assert set(df["win_rate_verdict"]) == {"too_few"}


def test_icp_range_comes_from_the_filters(q1):
    """ICP 10-100: target = lead_only (10), mql_only (50), reversed (49) = 3 leads;
    non_target = sql_lost (500), won_full (501), won_skipped_sql (200), undated_sql (300) = 4."""
    df = conversion_by(
        q1, Filters(date(2026, 1, 1), date(2026, 3, 31), icp_min=10, icp_max=100), "segment"
    )
    r = by_key(df)
    assert (r["target"]["leads"], r["non_target"]["leads"], r["unknown_size"]["leads"]) == (3, 4, 1)


def test_conversion_by_source_and_owner(q1):
    """source: lead_form = lead_only, mql_only, won_full, organic_mql -> 4, 3, 1, 1, 1;
    event = won_skipped_sql, reversed -> 2, 2, 2, 2, 1; callback = sql_lost -> 1, 1, 1, 0, 0;
    referral = undated_sql -> 1, 1, 1, 0, 0. Ordered by leads, then name.
    owner: Anna = lead_only, mql_only, sql_lost -> 3, 2, 1, 0, 0;
    Boris = won_full, won_skipped_sql, organic_mql -> 3, 3, 2, 2, 2 (revenue 8000);
    none = reversed, undated_sql -> 2, 2, 2, 1, 0 (last)."""
    src = conversion_by(q1, Q1, "source")
    assert list(src["key"]) == ["lead_form", "event", "callback", "referral"]
    r = by_key(src)
    assert counts(r["lead_form"]) == (4, 3, 1, 1, 1)
    assert counts(r["event"]) == (2, 2, 2, 2, 1)
    own = conversion_by(q1, Q1, "owner")
    assert own["key"].tolist()[:2] == ["Anna", "Boris"] and pd.isna(own["key"].iloc[2])
    assert counts(own.iloc[0]) == (3, 2, 1, 0, 0)
    assert counts(own.iloc[1]) == (3, 3, 2, 2, 2) and own.iloc[1]["revenue"] == 8000.0
    assert counts(own.iloc[2]) == (2, 2, 2, 1, 0)


def test_revenue_of_a_group_without_clients_is_zero_and_without_deal_values_unknown(q1):
    """Owner Anna in Q1 (lead_only, mql_only, sql_lost) has no client: revenue 0, a known
    zero. Vera's only lead is a client without a deal value: her revenue is unknown (None),
    not 0. Boris: won_full 5000 + won_skipped_sql 3000 = 8000."""
    add_lead(
        q1,
        "vera_won",
        "2026-02-02 10:00:00",
        "won",
        "won",
        owner="Vera",
        won_at="2026-02-20 10:00:00",
    )
    for mode in ("cohort", "activity"):
        r = by_key(conversion_by(q1, Q1.with_mode(mode), "owner"))
        assert r["Anna"]["won"] == 0 and r["Anna"]["revenue"] == 0.0
        assert r["Vera"]["won"] == 1 and pd.isna(r["Vera"]["revenue"])
    assert by_key(conversion_by(q1, Q1, "owner"))["Boris"]["revenue"] == 8000.0


@pytest.mark.parametrize("by", BREAKDOWNS)
@pytest.mark.parametrize("mode", ["cohort", "activity"])
def test_breakdowns_add_up_to_the_funnel(q1, by, mode):
    f = Q1.with_mode(mode)
    df = conversion_by(q1, f, by)
    s = summary(q1, f)
    assert [int(df[c].sum()) for c in COUNTS] == [s.count(st) for st in s.counts]


def test_breakdown_stats_only_in_cohort_mode(q1):
    df = conversion_by(q1, Q1.with_mode("activity"), "source")
    assert df["win_rate_low"].isna().all() and df["mql_yield_verdict"].isna().all()


def test_unknown_breakdown_is_refused(q1):
    with pytest.raises(ValueError, match="cannot break conversion down by 'email'"):
        conversion_by(q1, Q1, "email")


def test_bant_count_by_stage(q1):
    """lead (8): not recorded 3, 1 -> 1, 2 -> 1, 3 -> 1, 4 -> 2.
    mql (7, all but lead_only): not recorded 2, 1 -> 1, 2 -> 1, 3 -> 1, 4 -> 2.
    sql (5): not recorded 2 (won_skipped_sql, undated_sql), 3 -> reversed, 4 -> 2.
    opportunity (3): not recorded 1, 3 -> 1, 4 -> 1. won (2): not recorded 1, 4 -> 1.
    Nobody has 0 criteria recorded-but-unconfirmed: zero rows are still there."""
    df = temperature_by_stage(q1, Q1)
    got = {
        (r["stage"], None if pd.isna(r["bant_count"]) else int(r["bant_count"])): r["leads"]
        for r in df.to_dict(orient="records")
    }
    expected = {
        "lead": {None: 3, 0: 0, 1: 1, 2: 1, 3: 1, 4: 2},
        "mql": {None: 2, 0: 0, 1: 1, 2: 1, 3: 1, 4: 2},
        "sql": {None: 2, 0: 0, 1: 0, 2: 0, 3: 1, 4: 2},
        "opportunity": {None: 1, 0: 0, 1: 0, 2: 0, 3: 1, 4: 1},
        "won": {None: 1, 0: 0, 1: 0, 2: 0, 3: 0, 4: 1},
    }
    for stage, buckets in expected.items():
        for bant, n in buckets.items():
            assert got[(stage, bant)] == n, (stage, bant)
    sql_rows = df[df["stage"] == "sql"]
    assert sql_rows["share"].sum() == pytest.approx(1.0)
    assert sql_rows.loc[sql_rows["bant_count"] == 4, "share"].iloc[0] == pytest.approx(2 / 5)


def test_bant_count_by_stage_in_activity_mode(q1):
    """Activity Q1, MQL dates in Q1: mql_only (2), sql_lost (4), won_full (4), organic_mql (1),
    outside_before (not recorded), reversed (3) = 6; won_skipped_sql's MQL is in April."""
    df = temperature_by_stage(q1, Q1.with_mode("activity"))
    mql = {
        None if pd.isna(r["bant_count"]) else int(r["bant_count"]): r["leads"]
        for r in df[df["stage"] == "mql"].to_dict(orient="records")
    }
    assert mql == {0: 0, 1: 1, 2: 1, 3: 1, 4: 2, None: 1}


def test_bant_audit_cohort(q1):
    """MQL rule (MQL or later, recorded, fewer than 2): checked mql_only, sql_lost, won_full,
    organic_mql, reversed = 5; offending organic_mql = 1; not recorded won_skipped_sql,
    undated_sql = 2. SQL rule (SQL or later, fewer than 4): checked sql_lost, won_full,
    reversed = 3; offending reversed (3) = 1; not recorded 2. Distinct offenders: 2."""
    a = bant_audit(q1, Q1)
    assert (a.mql_checked, a.mql_offending, a.mql_unrecorded) == (5, 1, 2)
    assert (a.sql_checked, a.sql_offending, a.sql_unrecorded) == (3, 1, 2)
    assert a.offending == 2
    # the audit agrees with the BANT-by-stage table: MQL rows 0-1, SQL rows 0-3
    t = temperature_by_stage(q1, Q1)
    at = t[t["bant_count"].notna()]
    assert at[(at["stage"] == "mql") & (at["bant_count"] < 2)]["leads"].sum() == a.mql_offending
    assert at[(at["stage"] == "sql") & (at["bant_count"] < 4)]["leads"].sum() == a.sql_offending


def test_bant_audit_activity(q1):
    """MQL dated in Q1 with BANT recorded: mql_only, sql_lost, won_full, organic_mql, reversed
    = 5, offending organic_mql; outside_before (MQL 2026-01-02, no BANT) not recorded.
    SQL dated in Q1: sql_lost, won_full, reversed recorded (reversed offends); outside_before
    not recorded."""
    a = bant_audit(q1, Q1.with_mode("activity"))
    assert (a.mql_checked, a.mql_offending, a.mql_unrecorded) == (5, 1, 1)
    assert (a.sql_checked, a.sql_offending, a.sql_unrecorded) == (3, 1, 1)
    assert a.offending == 2


def _add_double_offender(con):
    """sql_one_bant: created 2026-03-05, at SQL with only "need" confirmed (1 of 4): it breaks
    both rules and is listed once, under the SQL rule."""
    add_lead(
        con,
        "sql_one_bant",
        "2026-03-05 08:00:00",
        "sql",
        campaign_id="C2",
        channel="events",
        company='=HYPERLINK("http://x")',
        email="Vera.Petrova@Example.com",
        phone="+7 (916) 123-45-67",
        bant_budget=False,
        bant_authority=False,
        bant_need=True,
        bant_timing=False,
    )


def test_offending_leads_listed_once_newest_first_masked(q1):
    _add_double_offender(q1)
    a = bant_audit(q1, Q1)
    assert (a.mql_offending, a.sql_offending, a.offending) == (2, 2, 3)
    df = bant_audit_leads(q1, Q1, limit=50)
    assert list(df["lead_id"]) == ["sql_one_bant", "reversed", "organic_mql"]
    assert list(df["rule"]) == ["sql", "sql", "mql"]
    assert list(df["bant_count"]) == [1, 3, 1]
    first = df.iloc[0]
    assert first["email"] == "V***@Example.com"
    assert first["phone"] == "+7 *** *** 45 67"
    assert "Vera" not in df.to_csv() and "123-45" not in df.to_csv()


def test_offending_leads_are_paged(q1):
    _add_double_offender(q1)
    pages = [list(bant_audit_leads(q1, Q1, limit=1, offset=i)["lead_id"]) for i in range(4)]
    assert pages == [["sql_one_bant"], ["reversed"], ["organic_mql"], []]
    with pytest.raises(ValueError):
        bant_audit_leads(q1, Q1, limit=-1)


def test_audit_respects_lead_filters(q1):
    a = bant_audit(q1, Filters(date(2026, 1, 1), date(2026, 3, 31), owners=("Boris",)))
    # Boris: won_full (4), won_skipped_sql (not recorded), organic_mql (1, offends)
    assert (a.mql_checked, a.mql_offending, a.offending) == (2, 1, 1)


def test_empty_database_quality(empty_con):
    assert conversion_by(empty_con, Q1, "segment").empty
    t = temperature_by_stage(empty_con, Q1)
    assert (t["leads"] == 0).all() and t["share"].isna().all()
    a = bant_audit(empty_con, Q1)
    assert a.offending == 0 and a.mql_checked == 0
    assert bant_audit_leads(empty_con, Q1).empty


def _segment_frame(target, non_target):
    """A conversion_by(..., "segment") frame with only the columns compare_segments reads."""
    rows = [("target", *target), ("non_target", *non_target), ("unknown_size", 5, 100)]
    return pd.DataFrame(rows, columns=["key", "won", "leads"])


def test_target_against_non_target_by_hand():
    """45 of 100 target leads won against 30 of 100 non-target: the z-test of test_stats
    (z = 2.1909, p = 0.0285): higher; ratio 0.45 / 0.30 = 1.5. Unknown size takes no part."""
    from analytics.metrics.quality import compare_segments

    c = compare_segments(_segment_frame((45, 100), (30, 100)))
    assert c.verdict == "higher" and c.ratio == pytest.approx(1.5)
    assert (c.target_rate, c.non_target_rate) == (0.45, 0.30)
    assert c.p_value == pytest.approx(0.0284597, abs=1e-6)
    lower = compare_segments(_segment_frame((30, 100), (45, 100)))
    assert lower.verdict == "lower"
    # 35/100 against 40/100: p = 0.465 -> no clear difference
    assert compare_segments(_segment_frame((35, 100), (40, 100))).verdict == "no_difference"


def test_target_against_non_target_edges(q1):
    from analytics.metrics.quality import compare_segments

    few = compare_segments(_segment_frame((10, 29), (3, 100)))
    assert few.verdict == "too_few" and few.p_value is None
    # Q1: target 1 of 4 won, non-target 1 of 3: too few, ratio 0.25 / (1/3) = 0.75
    q = compare_segments(conversion_by(q1, Q1, "segment"))
    assert q.verdict == "too_few" and q.ratio == pytest.approx(0.75)
    no_target = pd.DataFrame([("non_target", 3, 40)], columns=["key", "won", "leads"])
    alone = compare_segments(no_target)
    assert alone.verdict == "no_rest" and alone.target_rate is None and alone.ratio is None
    # non-target never won: no ratio (division by zero), but a test can still be made:
    # pooled 12/200 = 0.06, se = sqrt(0.06 * 0.94 * 0.02) = 0.033586, z = 0.12 / 0.033586
    # = 3.573, p = 0.00035 -> higher
    zero = compare_segments(_segment_frame((12, 100), (0, 100)))
    assert zero.ratio is None and zero.verdict == "higher"


def test_reach_rates_by_hand(q1):
    """target: SQL 3 of 4 leads = 0.75, opportunity 1 of 4 = 0.25 (see the first test)."""
    r = by_key(conversion_by(q1, Q1, "segment"))
    assert r["target"]["reach_sql"] == pytest.approx(0.75)
    assert r["target"]["reach_opportunity"] == pytest.approx(0.25)
    assert r["non_target"]["reach_opportunity"] == pytest.approx(2 / 3)


@pytest.mark.parametrize("mode", ["cohort", "activity"])
@pytest.mark.parametrize(
    "filters",
    [Q1, Filters(date(2026, 1, 1), date(2026, 3, 31), owners=("Boris",), sources=("event",))],
    ids=["all", "lead_filters"],
)
def test_one_query_breakdowns_equal_the_single_ones(q1, mode, filters):
    """The page fetches segment, source, owner and BANT-by-stage in one GROUPING SETS query;
    each part must be exactly what its own function gives (hand-checked above)."""
    from analytics.metrics.quality import quality_breakdowns

    f = filters.with_mode(mode)
    b = quality_breakdowns(q1, f)
    for by in ("segment", "source", "owner"):
        pd.testing.assert_frame_equal(
            getattr(b, by), conversion_by(q1, f, by), check_dtype=False, obj=by
        )
    pd.testing.assert_frame_equal(b.bant, temperature_by_stage(q1, f), check_dtype=False)
    assert "GROUPING SETS" in b.query.rendered()


def test_one_query_breakdowns_on_the_q1_numbers(q1):
    from analytics.metrics.quality import quality_breakdowns

    b = quality_breakdowns(q1, Q1)
    assert counts(by_key(b.segment)["target"]) == (4, 4, 3, 1, 1)  # as worked out above
    assert list(b.source["key"]) == ["lead_form", "event", "callback", "referral"]
    sql_rows = b.bant[b.bant["stage"] == "sql"]
    assert sql_rows.loc[sql_rows["bant_count"] == 4, "leads"].iloc[0] == 2


def test_one_query_breakdowns_on_an_empty_database(empty_con):
    from analytics.metrics.quality import quality_breakdowns

    b = quality_breakdowns(empty_con, Q1)
    assert b.segment.empty and b.source.empty and b.owner.empty
    assert (b.bant["leads"] == 0).all()


def test_one_query_breakdowns_with_null_keys_and_a_client_without_deal_value(q1):
    """The sets are formed over the leads grouped by (segment, source, owner, BANT count[,
    stage]) first. Two clients of Vera, created in Q1, with no source, no company size and no
    BANT: vera_blank has no deal value, vera_valued 1000.
    Cohort: owner Vera 2, 2, 2, 2, 2 (revenue 1000: the unknown value is left out, as in the
    funnel); source None (a real missing value, not a set's rollup) = the same two leads;
    unknown_size = organic_mql (1, 1, 0, 0, 0) + both = 3, 3, 2, 2, 2, revenue 1000; BANT not
    recorded: at "lead" 3 + 2 = 5, at "won" won_skipped_sql + both = 3. Every set adds up to
    the funnel: 10 leads, 4 clients.
    Activity: Vera's leads are created and won in Q1 with no other dates: 2, 0, 0, 0, 2,
    revenue 1000."""
    from analytics.metrics.quality import quality_breakdowns

    for lead_id, created, won, value in (
        ("vera_blank", "2026-02-02 10:00:00", "2026-02-20 10:00:00", None),
        ("vera_valued", "2026-02-03 10:00:00", "2026-02-21 10:00:00", 1000),
    ):
        add_lead(q1, lead_id, created, "won", "won", owner="Vera", won_at=won, deal_value=value)
    b = quality_breakdowns(q1, Q1)
    owner = by_key(b.owner)
    assert counts(owner["Vera"]) == (2, 2, 2, 2, 2) and owner["Vera"]["revenue"] == 1000.0
    blank = b.source[b.source["key"].isna()]
    assert len(blank) == 1 and counts(blank.iloc[0]) == (2, 2, 2, 2, 2)
    assert blank.iloc[0]["revenue"] == 1000.0
    assert list(b.source["key"].dropna()) == ["lead_form", "event", "callback", "referral"]
    unknown = by_key(b.segment)["unknown_size"]
    assert counts(unknown) == (3, 3, 2, 2, 2) and unknown["revenue"] == 1000.0
    bant = {
        (r["stage"], None if pd.isna(r["bant_count"]) else int(r["bant_count"])): r["leads"]
        for r in b.bant.to_dict(orient="records")
    }
    assert bant[("lead", None)] == 5 and bant[("won", None)] == 3
    for part in (b.segment, b.source, b.owner):
        assert int(part["leads"].sum()) == 10 and int(part["won"].sum()) == 4
    act = by_key(quality_breakdowns(q1, Q1.with_mode("activity")).owner)
    assert counts(act["Vera"]) == (2, 0, 0, 0, 2) and act["Vera"]["revenue"] == 1000.0
