"""The benchmark harness: its three implementations give the same numbers, and it runs.

Timings are never asserted (a benchmark measures them); these tests check that the limit SQL and
the pandas version produce the page's numbers (worked out by hand on the Q1 fixture, compared
with the app's metrics on demo data), and that a small harness run (100k leads) completes
without errors: the CI smoke test.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date

import pytest

from analytics import demo, metrics, store
from analytics.filters import Filters
from analytics.weeks import week_of
from bench import limits, naive
from bench.common import differences, normalise, parse_size
from tests.conftest import IN_CI, ROOT, add_lead, build_q1
from ui.data import METRICS

Q1 = Filters(date(2026, 1, 1), date(2026, 3, 31))
FUNCTIONS = {
    "summary": metrics.summary,
    "campaigns": metrics.campaigns,
    "weekly": metrics.weekly,
    "velocity": metrics.velocity,
}
#: every metric a page asks for (ui.data.METRICS) has a limit and a pandas version
PAGE_METRICS = sorted(set(METRICS) - set(FUNCTIONS))


@pytest.fixture(scope="module")
def q1_con():
    """The Q1 fixture plus won_unvalued: a client of C2 created and won in May 2026 without a
    deal value (revenue unknown where it counts), outside Q1 so the by-hand Q1 numbers hold."""
    con = store.open_memory()
    build_q1(con)
    add_lead(
        con,
        "won_unvalued",
        "2026-05-04 10:00:00",
        "won",
        "won",
        campaign_id="C2",
        channel="events",
        mql_at="2026-05-05 10:00:00",
        won_at="2026-05-06 10:00:00",
    )
    yield con
    con.close()


@pytest.fixture(scope="module")
def demo_con():
    con = store.open_memory()
    demo.generate(con, leads=4000, seed=13, end=date(2026, 11, 22))
    yield con
    con.close()


def test_q1_cohort_summary_by_hand(q1_con):
    """Leads created in Q1 (see conftest.build_q1): lead_only, mql_only, sql_lost, won_full,
    won_skipped_sql, organic_mql, reversed, undated_sql = 8 (outside_before/after are not).
    Reached MQL: all but lead_only = 7. SQL: sql_lost, won_full, won_skipped_sql, reversed,
    undated_sql = 5. Opportunity: won_full, won_skipped_sql, reversed = 3. Won: 2.
    Revenue 5000 + 3000 = 8000. Spend in Q1: C1 600 + 400, C2 1000 = 2000 (the 999 on
    2025-12-31 and the 50 on 2026-04-01 are outside); impressions 15 000, clicks 300."""
    expected = {
        "n_lead": 8,
        "n_mql": 7,
        "n_sql": 5,
        "n_opportunity": 3,
        "n_won": 2,
        "revenue": 8000.0,
        "spend": 2000.0,
        "impressions": 15_000,
        "clicks": 300,
    }
    tables = naive.load(q1_con)
    for result in (limits.summary(q1_con, Q1), naive.summary(tables, Q1)):
        assert {k: result[k] for k in expected} == expected


def test_q1_cohort_campaigns_by_hand(q1_con):
    """C1 in Q1: leads lead_only, mql_only, sql_lost, won_full = 4; MQL 3; SQL 2
    (sql_lost, won_full); opportunity 1; won 1 (won_full, 5000); spend 1000, 15 000
    impressions, 300 clicks; CPL 1000 / 4 = 250; cost per client 1000.
    C2: won_skipped_sql, reversed = 2 leads, both reached opportunity; won 1 (3000);
    spend 1000 (2026-03-31, the last day, inside); ROMI (3000 - 1000) / 1000 = 2."""
    tables = naive.load(q1_con)
    for rows in (limits.campaigns(q1_con, Q1), naive.campaigns(tables, Q1)):
        by_id = {r["campaign_id"]: r for r in rows}
        c1, c2 = by_id["C1"], by_id["C2"]
        assert (c1["leads"], c1["mql"], c1["sql"], c1["opportunity"], c1["won"]) == (4, 3, 2, 1, 1)
        assert (c1["spend"], c1["impressions"], c1["clicks"]) == (1000.0, 15_000, 300)
        assert c1["cost_per_lead"] == 250.0 and c1["cost_per_client"] == 1000.0
        assert c1["revenue"] == 5000.0
        assert (c2["leads"], c2["sql"], c2["opportunity"], c2["won"]) == (2, 2, 2, 1)
        assert (c2["spend"], c2["revenue"], c2["romi"]) == (1000.0, 3000.0, 2.0)
        assert c2["ctr"] is None  # no impressions: no CTR, not 0


def test_q1_cohort_velocity_lead_to_mql_by_hand(q1_con):
    """lead->mql over the Q1 cohort: mql_only 2 d, sql_lost 1 d, won_full 2 d, won_skipped_sql
    2 d (23:59:59 to 23:59:59), organic_mql 1 d, reversed 2 d; undated_sql has no dates.
    n = 6, sorted 1,1,2,2,2,2: median 2, mean 10/6. mql->sql: reversed (SQL a day before MQL)
    is excluded and counted."""
    tables = naive.load(q1_con)
    for rows in (limits.velocity(q1_con, Q1), naive.velocity(tables, Q1)):
        pair = {(r["from_stage"], r["to_stage"]): r for r in rows}
        lm = pair[("lead", "mql")]
        assert lm["n"] == 6 and lm["median_days"] == 2.0
        assert lm["mean_days"] == pytest.approx(10 / 6)
        assert pair[("mql", "sql")]["excluded"] == 1


PERIODS = {
    "q1": (date(2026, 1, 1), date(2026, 3, 31)),
    "all_time": (None, None),
    "open_end": (date(2026, 2, 1), None),
    "last_90_days": (date(2026, 8, 25), date(2026, 11, 22)),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("mode", ["cohort", "activity"])
@pytest.mark.parametrize("period", sorted(PERIODS))
@pytest.mark.parametrize("data", ["q1", "demo"])
def test_page_limit_and_pandas_give_the_same_numbers(q1_con, demo_con, data, period, mode, name):
    con = q1_con if data == "q1" else demo_con
    f = Filters(*PERIODS[period], mode=mode)
    page = normalise(name, FUNCTIONS[name](con, f))
    assert differences(page, limits.LIMITS[name](con, f)) == []
    assert differences(page, naive.NAIVE[name](naive.load(con), f)) == []
    if data == "demo" and period != "q1":
        assert page  # demo data has something in these periods: the comparison is not empty


def page_options(name, f, con):
    """The options a page passes (ui.compute(..., **options)), each choice it offers."""
    if name == "campaign_comparison":
        return [{"by": by} for by in ("campaign", "channel", "direction")]
    if name == "weekly_review":
        # the week holding the period's end (open periods: a week in May 2026, with
        # won_unvalued in the Q1 fixture's trend), both week starts
        end = f.date_to or date(2026, 5, 31)
        cycle = metrics.sales_cycle_days(con)
        return [
            {"week": week_of(end, ws), "as_of": end, "cycle_days": cycle, "week_start": ws}
            for ws in ("monday", "sunday")
        ]
    if name == "bant_audit_leads":
        return [{}, {"limit": 2, "offset": 1, "show_contacts": True}]
    if name == "stopped_leads":
        return [
            {"stage": stage, "outcome": outcome, "limit": 5}
            for stage in ("lead", "mql", "sql", "opportunity")
            for outcome in (None, "lost", "open", "nurture")
        ]
    return [{}]


@pytest.mark.parametrize("name", PAGE_METRICS)
@pytest.mark.parametrize("mode", ["cohort", "activity"])
@pytest.mark.parametrize("period", sorted(PERIODS))
@pytest.mark.parametrize("data", ["q1", "demo"])
def test_page_metrics_limit_and_pandas_give_the_same_numbers(
    q1_con, demo_con, data, period, mode, name
):
    """Every metric of ui.data.METRICS that pages ask for, with each option the page offers:
    the limit and pandas give the page's numbers."""
    con = q1_con if data == "q1" else demo_con
    f = Filters(*PERIODS[period], mode=mode)
    tables = naive.load(con)
    for options in page_options(name, f, con):
        page = normalise(name, METRICS[name](con, f, **options))
        assert page is not None
        assert differences(page, limits.LIMITS[name](con, f, **options)) == [], options
        assert differences(page, naive.NAIVE[name](tables, f, **options)) == [], options


def test_every_page_metric_has_a_limit():
    assert set(METRICS) <= set(limits.LIMITS) and set(METRICS) <= set(naive.NAIVE)


def test_q1_campaign_comparison_by_hand(q1_con):
    """Q1 cohort by campaign: C1 has 4 leads and 3 MQL (MQL yield 3/4), C2 2 leads and 2 MQL;
    4 and 2 leads are fewer than 30: too few to judge. Wilson 95% interval of 3 of 4 with
    z = 1.959964, z^2 = 3.841459: k = z^2 / 4 = 0.960365, centre = (0.75 + k / 2) / (1 + k) =
    1.230182 / 1.960365 = 0.627527, half = z / (1 + k) * sqrt(0.75 * 0.25 / 4 + z^2 / 64) =
    0.999795 * sqrt(0.046875 + 0.060023) = 0.999795 * 0.326953 = 0.326886: [0.300641,
    0.954413]. The rest of C1 is C2: 2 of 2. Cost per MQL of C1: spend 1000 / 4 leads = CPL
    250; interval [250 / 0.954413, 250 / 0.300641] = [261.94, 831.56].
    By direction: C1 inbound, C2 outbound (the campaigns table), one campaign each."""
    for impl in (limits.campaign_comparison, naive.campaign_comparison):
        args = (q1_con, Q1) if impl is limits.campaign_comparison else (naive.load(q1_con), Q1)
        rows = {r["campaign_id"]: r for r in impl(*args)}
        c1 = rows["C1"]
        assert (c1["name"], c1["channel"], c1["direction"]) == ("Search", "paid_search", "inbound")
        assert c1["mql_yield"] == 0.75 and c1["mql_yield_verdict"] == "too_few"
        assert c1["mql_yield_low"] == pytest.approx(0.300641, abs=2e-6)
        assert c1["mql_yield_high"] == pytest.approx(0.954413, abs=2e-6)
        assert c1["mql_yield_rest"] == 1.0 and c1["mql_yield_p"] is None
        assert c1["cost_per_mql_low"] == pytest.approx(261.94, abs=0.01)
        assert c1["cost_per_mql_high"] == pytest.approx(831.56, abs=0.01)
        by_dir = {r["direction"]: r for r in impl(*args, by="direction")}
        assert by_dir["inbound"]["campaigns"] == 1 and by_dir["inbound"]["leads"] == 4
        assert by_dir["outbound"]["leads"] == 2 and by_dir["outbound"]["won"] == 1


def test_q1_weekly_review_by_hand(q1_con):
    """The review of ISO week 2026-W19 (Mon May 4): won_unvalued was created, reached MQL and
    was won that week without a deal value: leads 1, MQL 1, won 1, revenue unknown (None, not
    0); no cost row in May: spend unknown. The week before (W18) had nothing. Its cohort (the
    leads created in W19) is 1 lead that reached every stage: shares 1.0; as of Sun May 10 it
    is 0 days old. Forecast as of 2026-05-10: closed in the 365 days before are sql_lost (lost
    Jan 20), won_full (Feb 20), won_skipped_sql (Apr 9) and won_unvalued (May 6): P(won |
    reached lead) = 3 / 4; average deal (5000 + 3000) / 2 = 4000 over 2 valued deals."""
    week, as_of = date(2026, 5, 4), date(2026, 5, 10)
    for impl, src in ((limits.weekly_review, q1_con), (naive.weekly_review, naive.load(q1_con))):
        r = impl(src, Q1, week=week, as_of=as_of, cycle_days=19.0)
        w = {row["week"]: row for row in r["trend"]}
        this, before = w["2026-05-04"], w["2026-04-27"]
        assert (this["label"], this["leads"], this["mql"], this["won"]) == ("2026-W19", 1, 1, 1)
        assert this["revenue"] is None and this["spend"] is None
        assert (before["leads"], before["won"], before["revenue"]) == (0, 0, 0.0)
        (cohort,) = [c for c in r["cohorts"] if c["week"] == "2026-05-04"]
        assert (cohort["leads"], cohort["share_won"], cohort["age_days"]) == (1, 1.0, 0)
        assert cohort["mature"] is False
        fc = r["forecast"]
        lead = fc["stages"][0]
        assert (lead["stage"], lead["closed"], lead["won"]) == ("lead", 4, 3)
        assert (fc["deals"], fc["average_deal"]) == (2, 4000.0)


def test_q1_bant_audit_by_hand(q1_con):
    """Q1 cohort, BANT recorded: mql_only (2 of 4), sql_lost (4), won_full (4), organic_mql
    (1: budget only), reversed (3). At MQL or later with BANT: all five checked; organic_mql
    has fewer than 2: 1 offending. At SQL or later with BANT: sql_lost, won_full, reversed = 3
    checked; reversed has fewer than 4: 1 offending. Not recorded at MQL and at SQL:
    won_skipped_sql, undated_sql = 2. Distinct offenders 2, listed newest first: reversed
    (Mar 1, under the SQL rule), organic_mql (Feb 15, MQL rule)."""
    assert limits.bant_audit(q1_con, Q1) == {
        "mql_checked": 5,
        "mql_offending": 1,
        "mql_unrecorded": 2,
        "sql_checked": 3,
        "sql_offending": 1,
        "sql_unrecorded": 2,
        "offending": 2,
    }
    rows = limits.bant_audit_leads(q1_con, Q1)
    assert [(r["lead_id"], r["bant_count"], r["rule"]) for r in rows] == [
        ("reversed", 3, "sql"),
        ("organic_mql", 1, "mql"),
    ]


def test_q1_stopped_leads_and_journey_by_hand(q1_con):
    """Stopped at SQL in the Q1 cohort: sql_lost (lost) and undated_sql (open) = 2, newest
    first. The journey of 2026-08-25..2026-11-22: no cost row, so impressions and clicks are
    unknown (None), not 0."""
    page = limits.stopped_leads(q1_con, Q1, "sql")
    assert page["total"] == 2
    assert [r["lead_id"] for r in page["rows"]] == ["undated_sql", "sql_lost"]
    late = Filters(date(2026, 8, 25), date(2026, 11, 22))
    funnel = limits.journey_view(q1_con, late)["funnel"]
    assert funnel["impressions"] is None and funnel["clicks"] is None


def test_options_limit_on_demo_data(demo_con):
    from analytics.metrics.options import filter_options

    assert (
        differences(normalise("options", filter_options(demo_con)), limits.options(demo_con)) == []
    )


def test_sales_cycle_three_ways(demo_con):
    expected = metrics.sales_cycle_days(demo_con)
    assert expected is not None
    assert limits.sales_cycle(demo_con) == pytest.approx(expected)
    assert naive.sales_cycle(naive.load(demo_con)) == pytest.approx(expected)


def test_options_limit_by_hand(q1_con):
    """Q1 fixture: campaigns C1 "Search" and C2 "Expo" (sorted by name: Expo first); channels
    of campaigns and leads: paid_search, events, content_seo, referral; sources lead_form,
    callback, event, referral; owners Anna and Boris; no region or industry recorded."""
    from analytics.metrics.options import filter_options

    expected = {
        "campaigns": [["C2", "Expo"], ["C1", "Search"]],
        "channels": ["content_seo", "events", "paid_search", "referral"],
        "sources": ["callback", "event", "lead_form", "referral"],
        "owners": ["Anna", "Boris"],
        "regions": [],
        "industries": [],
    }
    assert limits.options(q1_con) == expected
    assert normalise("options", filter_options(q1_con)) == expected


def test_a_different_number_is_reported(q1_con):
    page = normalise("summary", metrics.summary(q1_con, Q1))
    other = dict(page, n_sql=page["n_sql"] + 1)
    assert differences(page, other) == ["n_sql: 5 vs 6"]


@pytest.mark.parametrize(
    "text, expected", [("100k", 100_000), ("1m", 1_000_000), ("10M", 10_000_000), ("2500", 2500)]
)
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["lots", "0", "1.5k5", "-1m"])
def test_parse_size_refuses(text):
    with pytest.raises(ValueError, match=r"size|whole number"):
        parse_size(text)


def test_smoke_100k(tmp_path):
    """The harness end to end at 100k leads: every page of the navigation found and measured,
    the numbers equal, the CLI timed, the browser cold start measured (required in CI). It
    fails on errors only, never on timings."""
    from bench import browser

    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "bench", "--sizes", "100k", "--quick", "--no-doc"]
    cmd += ["--browser", "first", "--work", str(tmp_path / "work"), "--out", str(out)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    (size,) = results["sizes"]
    assert size["leads"] == 100_000 and not size["generate"]["reused"]

    registered = re.findall(r'st\.Page\(\s*"([^"]+)"', (ROOT / "dashboard.py").read_text())
    assert sorted(p["path"] for p in size["pages"]) == sorted(registered)
    for page in size["pages"]:
        for variant in ("last_90_days", "all_time"):
            jobs = page["variants"][variant]["jobs"]
            assert jobs, f"{page['title']} computed nothing"
    overview = next(p for p in size["pages"] if p["path"] == "pages/overview.py")
    summary = [j for j in overview["variants"]["all_time"]["jobs"] if j["name"] == "summary"]
    assert summary[0]["same_numbers"] is True and summary[0]["queries"] == 1
    assert "pages" in size["naive"]
    assert size["cli"]["all_time"]["error"] is None
    if browser.missing() is None or IN_CI:  # in CI the browser part must run, never skip
        assert "pages" in size["browser"], size["browser"].get("skipped")
        (first,) = size["browser"]["pages"]
        assert first["cold_start_s"] > 0 and not first.get("error")
    assert (out / "results.md").read_text(encoding="utf-8").count("### 100k leads") == 1
