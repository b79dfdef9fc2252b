"""The CLI as a user runs it: real subprocesses, the JSON contract, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from analytics import store
from tests.conftest import ROOT, build_q1


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "analytics", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def q1_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "q1.duckdb"
    con = store.open_database(path, create=True)
    build_q1(con)
    con.close()
    return path


def test_report_json_contract(q1_file):
    out = cli(
        "report",
        "--db",
        str(q1_file),
        "--from",
        "2026-01-01",
        "--to",
        "2026-03-31",
        "--format",
        "json",
    )
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert set(r) >= {
        "period",
        "mode",
        "funnel",
        "awareness",
        "costs",
        "mql_to_sql",
        "campaigns",
        "weekly",
        "velocity",
    }
    assert r["period"] == {"from": "2026-01-01", "to": "2026-03-31"} and r["mode"] == "cohort"
    assert [f["stage"] for f in r["funnel"]] == ["lead", "mql", "sql", "opportunity", "won"]
    assert [f["count"] for f in r["funnel"]] == [8, 7, 5, 3, 2]
    assert r["funnel"][0]["step_conversion"] is None and r["funnel"][0]["overall_conversion"] == 1
    assert r["awareness"] == {"impressions": 15000, "clicks": 300, "ctr": 0.02}
    c = r["costs"]
    assert (c["spend"], c["cost_per_lead"], c["cost_per_sql"], c["cost_per_client"]) == (
        2000.0,
        250.0,
        400.0,
        1000.0,
    )
    assert (c["revenue"], c["romi"], c["note"]) == (8000.0, 3.0, None)
    assert r["mql_to_sql"] == pytest.approx(5 / 7)
    c1 = next(x for x in r["campaigns"] if x["campaign_id"] == "C1")
    assert {
        k: c1[k]
        for k in (
            "name",
            "channel",
            "spend",
            "impressions",
            "clicks",
            "leads",
            "mql",
            "sql",
            "won",
            "revenue",
        )
    } == {
        "name": "Search",
        "channel": "paid_search",
        "spend": 1000.0,
        "impressions": 15000,
        "clicks": 300,
        "leads": 4,
        "mql": 3,
        "sql": 2,
        "won": 1,
        "revenue": 5000.0,
    }
    for key in ("cost_per_lead", "cost_per_mql", "cost_per_client", "mql_to_sql"):
        assert key in c1
    assert r["weekly"][0] == {
        "week": "2026-W01",
        "leads": 0,
        "mql": 1,
        "sql": 1,
        "opportunity": 0,
        "won": 0,
        "revenue": 0.0,
        "spend": None,  # no cost row that week: unknown, not zero
        "cost_per_lead": None,
    }
    assert len(r["weekly"]) == 14
    assert r["velocity"][1] == {
        "from": "mql",
        "to": "sql",
        "n": 2,
        "median_days": 3.0,
        "p75_days": 3.5,
        "p90_days": pytest.approx(3.8),
        "mean_days": 3.0,
        "excluded": 1,
    }


def test_report_without_dates_covers_all_data(q1_file):
    r = json.loads(cli("report", "--db", str(q1_file), "--format", "json").stdout)
    # first event: outside_before created 2025-12-31 (and C1's cost that day);
    # last: won_skipped_sql won on 2026-04-09
    assert r["period"] == {"from": "2025-12-31", "to": "2026-04-09"}
    assert r["funnel"][0]["count"] == 10


def test_lead_level_filter_note_in_json(q1_file):
    r = json.loads(
        cli("report", "--db", str(q1_file), "--owner", "Anna", "--format", "json").stdout
    )
    assert r["costs"]["spend"] is None and r["awareness"]["impressions"] is None
    assert "cannot be split by owner" in r["costs"]["note"]


def test_table_format(q1_file):
    out = cli(
        "report",
        "--db",
        str(q1_file),
        "--from",
        "2026-01-01",
        "--to",
        "2026-03-31",
        "--mode",
        "activity",
    )
    assert out.returncode == 0
    assert "activity mode" in out.stdout and "Search" in out.stdout and "mql → sql" in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "--db", "{missing}"], "does not exist"),
        (["report", "--db", "{q1}", "--campaign", "NOPE"], "unknown campaign 'NOPE'"),
        (["report", "--db", "{q1}", "--channel", "tv"], "unknown channel 'tv'"),
        (
            ["report", "--db", "{q1}", "--from", "2026-03-01", "--to", "2026-01-01"],
            "swap the dates",
        ),
        (["report", "--db", "{q1}", "--from", "01.03.2026"], "use YYYY-MM-DD"),
        (["report", "--db", "{q1}", "--mode", "weekly"], "invalid choice"),
        (["report", "--db", "{text}"], "not a"),
        (["demo", "--db", "{q1}"], "already exists; add --force"),
        (["demo", "--db", "{missing}", "--leads", "0"], "must be at least 1"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_give_one_line_and_nonzero_exit(q1_file, tmp_path, args, message):
    text = tmp_path / "text.duckdb"
    text.write_text("not a database")
    subs = {
        "{missing}": str(tmp_path / "missing.duckdb"),
        "{q1}": str(q1_file),
        "{text}": str(text),
    }
    out = cli(*[subs.get(a, a) for a in args])
    assert out.returncode != 0
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "missing.duckdb").exists()


def test_demo_init_and_docs_commands(tmp_path):
    path = tmp_path / "d.duckdb"
    out = cli("demo", "--db", str(path), "--leads", "500", "--seed", "5", "--end", "2026-06-30")
    assert out.returncode == 0, out.stderr
    assert "500 demo leads" in out.stdout
    assert cli("demo", "--db", str(path), "--leads", "300", "--force").returncode == 0
    con = store.open_database(path, read_only=True)
    assert con.execute("SELECT count(*) FROM leads").fetchone()[0] == 300
    con.close()
    empty = tmp_path / "e.duckdb"
    assert "created, empty" in cli("init", "--db", str(empty)).stdout
    assert cli("docs", "--check").returncode == 0


def test_report_on_a_database_written_by_another_tool(tmp_path):
    """Plain PRODUCT.md tables created with SQL by someone else: no Voronka bookkeeping."""
    import duckdb

    path = tmp_path / "foreign.duckdb"
    con = duckdb.connect(str(path))
    con.execute(store.MIGRATIONS[1].split("CREATE TABLE IF NOT EXISTS settings")[0])
    con.execute(
        "INSERT INTO leads (lead_id, created_at, stage, status, mql_at) VALUES "
        "('a', TIMESTAMP '2026-02-01 10:00', 'mql', 'open', TIMESTAMP '2026-02-02 10:00'),"
        "('b', TIMESTAMP '2026-02-03 10:00', 'lead', 'lost', NULL)"
    )
    con.close()
    before = path.read_bytes()
    out = cli("report", "--db", str(path), "--format", "json")
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert [f["count"] for f in r["funnel"]][:2] == [2, 1]
    # that tool wrote no cost rows: spend is unknown, not zero, and the report says why
    assert r["costs"]["spend"] is None and r["costs"]["cost_per_lead"] is None
    assert "No cost data" in r["costs"]["note"]
    assert path.read_bytes() == before  # a report never writes


def test_report_runs_while_another_reader_holds_the_file(q1_file):
    """The app reads with short read-only connections; a report (read-only too) runs beside one."""
    with store.reading(q1_file) as app_con:
        out = cli("report", "--db", str(q1_file), "--format", "json")
        assert out.returncode == 0, out.stderr
        assert app_con.execute("SELECT count(*) FROM leads").fetchone()[0] == 10


def test_analytics_never_imports_streamlit():
    code = (
        "import pkgutil, importlib, sys, analytics\n"
        "for m in pkgutil.walk_packages(analytics.__path__, 'analytics.'):\n"
        "    if m.name != 'analytics.__main__':\n"
        "        importlib.import_module(m.name)\n"
        "print('streamlit' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
