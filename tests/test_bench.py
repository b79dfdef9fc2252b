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
from bench import limits, naive
from bench.common import differences, normalise, parse_size
from tests.conftest import IN_CI, ROOT, build_q1

Q1 = Filters(date(2026, 1, 1), date(2026, 3, 31))
FUNCTIONS = {
    "summary": metrics.summary,
    "campaigns": metrics.campaigns,
    "weekly": metrics.weekly,
    "velocity": metrics.velocity,
}


@pytest.fixture(scope="module")
def q1_con():
    con = store.open_memory()
    build_q1(con)
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
