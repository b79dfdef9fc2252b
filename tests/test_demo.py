"""The demo generator: deterministic, consistent with the schema, and telling the intended story."""

from __future__ import annotations

from datetime import date

import pytest

from analytics import demo, store

END = date(2026, 11, 22)


@pytest.fixture(scope="module")
def demo_con():
    con = store.open_memory()
    demo.generate(con, leads=20_000, seed=3, end=END)
    yield con
    con.close()


def checksum(con) -> tuple:
    return (
        con.execute(
            "SELECT count(*), sum(hash(lead_id, created_at, stage, status, mql_at, won_at, "
            "deal_value, email, phone, owner)) FROM leads"
        ).fetchone()
        + con.execute(
            "SELECT count(*), sum(hash(campaign_id, day, spend, clicks)) FROM campaign_costs"
        ).fetchone()
    )


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = store.open_memory(), store.open_memory(), store.open_memory()
    demo.generate(a, leads=2000, seed=11, end=END)
    demo.generate(b, leads=2000, seed=11, end=END)
    demo.generate(c, leads=2000, seed=12, end=END)
    assert checksum(a) == checksum(b)
    assert checksum(a) != checksum(c)


def test_shape(demo_con):
    n, first, last = demo_con.execute(
        "SELECT count(*), min(created_at)::DATE, max(created_at)::DATE FROM leads"
    ).fetchone()
    assert n == 20_000
    assert first >= date(2025, 11, 23) and last <= END
    campaigns = demo_con.execute(
        "SELECT count(*), count(DISTINCT channel) FROM campaigns"
    ).fetchone()
    assert 15 <= campaigns[0] <= 25 and campaigns[1] >= 10
    directions = {
        r[0] for r in demo_con.execute("SELECT DISTINCT direction FROM campaigns").fetchall()
    }
    assert directions == {"inbound", "outbound"}
    assert store.is_demo(demo_con)


def test_timestamps_in_order(demo_con):
    bad = demo_con.execute(
        "SELECT count(*) FROM leads WHERE mql_at < created_at OR sql_at < mql_at "
        "OR opportunity_at < sql_at OR won_at < opportunity_at OR won_at < created_at "
        "OR lost_at < created_at OR created_at > ?",
        [END.isoformat() + " 23:59:59"],
    ).fetchone()[0]
    assert bad == 0


def rate(con, where: str, of: str = "stage = 'won'") -> float:
    return con.execute(f"SELECT avg(({of})::INTEGER) FROM leads WHERE {where}").fetchone()[0]


def test_the_story(demo_con):
    # referrals win most, pop-ups and purchased lists least
    assert rate(demo_con, "channel = 'referral'") > 3 * rate(demo_con, "channel = 'paid_search'")
    assert rate(demo_con, "channel = 'popup'") < rate(demo_con, "channel = 'paid_search'")
    mql = "stage IN ('mql', 'sql', 'opportunity', 'won')"
    assert rate(demo_con, "channel = 'purchased_list'", mql) < 0.12
    # trade shows: expensive leads, high MQL-to-SQL
    per_lead = (
        "SELECT c.channel, sum(k.spend) / (SELECT count(*) FROM leads l "
        "WHERE l.channel = c.channel) FROM campaign_costs k JOIN campaigns c USING (campaign_id) "
        "GROUP BY 1"
    )
    cpl = dict(demo_con.execute(per_lead).fetchall())
    assert cpl["events"] > 3 * cpl["paid_search"] > 3 * cpl["popup"]
    assert "referral" not in cpl  # referrals have no ad spend
    sql = "stage IN ('sql', 'opportunity', 'won')"
    events_m2s = rate(demo_con, f"channel = 'events' AND {mql}", sql)
    popup_m2s = rate(demo_con, f"channel = 'popup' AND {mql}", sql)
    assert events_m2s > 2 * popup_m2s
    # target companies convert better
    target = "company_size BETWEEN 50 AND 500"
    assert rate(demo_con, target) > 1.5 * rate(demo_con, f"NOT ({target})")


COUNTS = {
    "organic": "campaign_id IS NULL",
    "undated": "stage <> 'lead' AND mql_at IS NULL",
    "won_no_sql": "stage = 'won' AND sql_at IS NULL",
    "nurture": "status = 'nurture'",
    "lost_no_reason": "status = 'lost' AND lost_reason IS NULL",
    "bant_unknown": "bant_budget IS NULL",
    "audit": "stage IN ('sql', 'opportunity', 'won') AND bant_budget IS NOT NULL AND "
    "(bant_budget::INT + bant_authority::INT + bant_need::INT + bant_timing::INT) < 4",
}


def test_realistic_imperfections(demo_con):
    counts = {
        name: demo_con.execute(f"SELECT count(*) FROM leads WHERE {cond}").fetchone()[0]
        for name, cond in COUNTS.items()
    }
    n = 20_000
    assert 0.05 * n < counts["organic"] < 0.15 * n
    assert 0 < counts["undated"] < 0.02 * n
    assert counts["won_no_sql"] > 0
    assert counts["nurture"] > 0.03 * n
    assert counts["lost_no_reason"] == 0
    assert 0.05 * n < counts["bant_unknown"] < 0.12 * n
    assert 0 < counts["audit"] < 0.05 * n
    deals = demo_con.execute(
        "SELECT count(*) FILTER (WHERE deal_value IS NULL), count(*) FROM leads WHERE stage='won'"
    ).fetchone()
    assert deals[0] == 0 and deals[1] > 0
    dup_emails = demo_con.execute(
        "SELECT count(*) - count(DISTINCT lower(email)) FROM leads"
    ).fetchone()[0]
    assert dup_emails > 0  # repeat submissions for the importer's duplicate check


def test_refuses_a_database_with_data(demo_con):
    with pytest.raises(ValueError, match="already holds data"):
        demo.generate(demo_con, leads=10)


def test_scales_campaigns_with_leads():
    con = store.open_memory()
    demo.generate(con, leads=90_000, seed=1, end=END)
    assert con.execute("SELECT count(*) FROM campaigns").fetchone()[0] == 60


def test_file_built_chunk_by_chunk_equals_one_transaction(tmp_path, monkeypatch):
    """create_file commits after every chunk (bounded memory at 10M leads); the data must be
    exactly what one transaction in memory gives. 2 500 leads in chunks of 1 000 = 3 commits."""
    monkeypatch.setattr(demo, "CHUNK", 1000)
    path = tmp_path / "chunks.duckdb"
    demo.create_file(path, leads=2500, seed=5, end=END)
    mem = store.open_memory()
    demo.generate(mem, leads=2500, seed=5, end=END)
    with store.reading(path) as con:
        assert checksum(con) == checksum(mem)
        assert con.execute("SELECT count(DISTINCT lead_id) FROM leads").fetchone()[0] == 2500


def test_sources_follow_each_channel_mix(demo_con):
    """Sources are drawn per channel from PROFILES: a channel only has the sources of its mix."""
    got = demo_con.execute("SELECT channel, list(DISTINCT source) FROM leads GROUP BY 1").fetchall()
    for channel, sources in got:
        assert set(sources) <= {s for s, _ in demo.PROFILES[channel].sources}, channel
    popup = demo_con.execute("SELECT DISTINCT source FROM leads WHERE channel = 'popup'").fetchall()
    assert popup == [("popup",)]
