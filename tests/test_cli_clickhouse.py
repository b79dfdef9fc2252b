"""Moving up to ClickHouse from the command line (issue 7): init, copy, report, refusals.

Real subprocesses on the embedded ClickHouse (``chdb:///dir``), as a user runs them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from analytics import store
from tests.conftest import IN_CI, ROOT, build_q1, require_chdb


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("VORONKA_")}
    return subprocess.run(
        [sys.executable, "-m", "analytics", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={**environ, **env},
    )


@pytest.fixture(scope="module")
def moved(tmp_path_factory):
    """The Q1 fixture as a DuckDB file, and the same copied into an embedded ClickHouse."""
    require_chdb()
    root = tmp_path_factory.mktemp("ch")
    db = root / "q1.duckdb"
    con = store.open_database(db, create=True)
    build_q1(con)
    con.close()
    url = f"chdb://{root / 'clickhouse'}"
    out = cli("init", "--engine", "clickhouse", "--url", url)
    assert out.returncode == 0, out.stderr
    assert "Voronka schema created" in out.stdout
    out = cli("copy", "--db", str(db), "--to", url)
    assert out.returncode == 0, out.stderr
    # Q1 fixture: 2 campaigns, 5 cost days, 10 leads
    assert "campaigns 2, campaign_costs 5, leads 10" in out.stdout
    return db, url


def test_report_on_clickhouse_is_the_report_on_duckdb(moved):
    db, url = moved
    period = ("--from", "2026-01-01", "--to", "2026-03-31", "--format", "json")
    duck = cli("report", "--db", str(db), *period)
    ch = cli("report", "--engine", "clickhouse", "--url", url, *period)
    assert duck.returncode == 0 and ch.returncode == 0, duck.stderr + ch.stderr
    a, b = json.loads(duck.stdout), json.loads(ch.stdout)
    assert a["funnel"] == b["funnel"]
    assert a["costs"] == b["costs"] and a["awareness"] == b["awareness"]
    assert a["campaigns"] == b["campaigns"] and a["weekly"] == b["weekly"]
    for x, y in zip(a["velocity"], b["velocity"], strict=True):
        assert x.keys() == y.keys()
        for key in x:
            if isinstance(x[key], float):
                assert y[key] == pytest.approx(x[key], rel=1e-9)
            else:
                assert y[key] == x[key]
    # by hand (tests/test_metrics_summary.py): 8 leads in the Q1 cohort, 2 won, spend 2000
    assert [f["count"] for f in b["funnel"]][:1] == [8]


def test_report_by_environment(moved):
    _, url = moved
    out = cli(
        "report", "--from", "2026-01-01", "--to", "2026-03-31", "--format", "json",
        VORONKA_ENGINE="clickhouse", VORONKA_URL=url,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["funnel"][0]["count"] == 8


def test_a_second_copy_is_refused(moved):
    db, url = moved
    out = cli("copy", "--db", str(db), "--to", url)
    assert out.returncode == 2
    assert "already has data" in out.stderr and "count it twice" in out.stderr
    assert "Traceback" not in out.stderr


def test_imports_into_clickhouse_are_refused_with_the_way_round(moved, tmp_path):
    _, url = moved
    csv = tmp_path / "leads.csv"
    csv.write_text("lead_id,created_at\nx,2026-01-01\n", encoding="utf-8")
    out = cli("import", str(csv), VORONKA_ENGINE="clickhouse", VORONKA_URL=url)
    assert out.returncode == 2
    assert "not supported into ClickHouse" in out.stderr and "copy --db" in out.stderr


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("report", "--engine", "clickhouse"), {}, "needs a URL"),
        (("report",), {"VORONKA_ENGINE": "oracle"}, "Unknown engine 'oracle'"),
        (("report", "--engine", "clickhouse", "--url", "mysql://x"), {}, "not a ClickHouse URL"),
    ],
)
def test_bad_engine_settings_are_one_clear_line(args, env, message):
    out = cli(*args, **env)
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr


def test_an_empty_clickhouse_database_is_named_with_what_to_do(tmp_path):
    require_chdb()
    out = cli("report", "--engine", "clickhouse", "--url", f"chdb://{tmp_path / 'empty'}")
    assert out.returncode == 2
    assert "does not have the Voronka schema" in out.stderr and "init --engine" in out.stderr


def test_an_unreachable_server_is_named_without_its_password():
    if not IN_CI:  # in requirements.txt: in CI a missing client is a failure
        pytest.importorskip("clickhouse_connect", reason="clickhouse-connect is not installed")
    from analytics.engine.clickhouse import ClickHouseError, backend_for

    with pytest.raises(ClickHouseError) as info:
        backend_for("clickhouse://voronka:s3cret@127.0.0.1:1/funnel")
    assert "Cannot connect to ClickHouse at clickhouse://voronka:***@127.0.0.1:1/funnel" in str(
        info.value
    )
    assert "s3cret" not in str(info.value)


def test_a_second_chdb_directory_in_one_process_is_refused_with_the_reason(tmp_path):
    require_chdb()
    code = (
        "from analytics.engine.clickhouse import ClickHouseError, backend_for\n"
        f"backend_for('chdb://{tmp_path / 'a'}?database=one')\n"
        f"backend_for('chdb://{tmp_path / 'a'}?database=two')  # same directory: fine\n"
        "try:\n"
        f"    backend_for('chdb://{tmp_path / 'b'}')\n"
        "except ClickHouseError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "one data directory per process" in out.stdout and str(tmp_path / "a") in out.stdout
