"""Shared fixtures: in-memory databases built from small, named leads."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analytics import store  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# an unexpected error in a page raises (and fails the test) instead of the plain message users
# see (ui.unexpected); tests/test_faults.py checks the message with this unset
os.environ.setdefault("VORONKA_DEBUG", "1")

LEAD_COLUMNS = store.REQUIRED_COLUMNS["leads"]  # every column, in the schema's order


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def add_campaign(
    con: duckdb.DuckDBPyConnection,
    campaign_id: str,
    name: str,
    channel: str,
    direction: str = "inbound",
    budget: float | None = None,
) -> None:
    con.execute(
        "INSERT INTO campaigns (campaign_id, name, channel, direction, budget) VALUES (?,?,?,?,?)",
        [campaign_id, name, channel, direction, budget],
    )


def add_cost(
    con: duckdb.DuckDBPyConnection,
    campaign_id: str,
    day: str,
    spend: float,
    impressions: int = 0,
    clicks: int = 0,
) -> None:
    con.execute(
        "INSERT INTO campaign_costs VALUES (?, ?, ?, ?, ?)",
        [campaign_id, date.fromisoformat(day), spend, impressions, clicks],
    )


def add_lead(
    con: duckdb.DuckDBPyConnection,
    lead_id: str,
    created: str,
    stage: str = "lead",
    status: str = "open",
    **fields: Any,
) -> None:
    row: dict[str, Any] = {
        "lead_id": lead_id,
        "created_at": ts(created),
        "stage": stage,
        "status": status,
    }
    for key, value in fields.items():
        if key not in LEAD_COLUMNS:
            raise KeyError(key)
        row[key] = ts(value) if key.endswith("_at") and isinstance(value, str) else value
    cols = list(row)
    con.execute(
        f"INSERT INTO leads ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
        list(row.values()),
    )


#: The engines the metric suite runs on (issue 7: the same numbers on ClickHouse).
ENGINES = ("duckdb", "clickhouse")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every metric test (tests/test_metrics_*.py) that uses ``q1`` or ``empty_con`` runs once
    per engine: DuckDB, and ClickHouse in-process through chdb."""
    uses_db = {"q1", "empty_con"} & set(metafunc.fixturenames)
    if uses_db and Path(str(metafunc.definition.fspath)).name.startswith("test_metrics_"):
        metafunc.parametrize("engine", ENGINES, indirect=True)


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "duckdb"))


def require_chdb() -> None:
    """Skip without chdb (with the reason), except in CI (CI=true), where it is a failure."""
    try:
        import chdb  # noqa: F401
    except ImportError:
        if IN_CI:
            pytest.fail("chdb is not installed; CI runs the metric suite on ClickHouse too")
        pytest.skip("chdb is not installed (pip install chdb) - ClickHouse parity not checked")


def clickhouse_con() -> Any:
    """A fresh, empty Voronka database on the in-process ClickHouse (chdb)."""
    require_chdb()
    from analytics.engine.clickhouse import memory_source
    from analytics.engine.schema import create_schema

    source = memory_source()
    create_schema(source.connection)
    return source.connection


def _engine_con(engine: str) -> Any:
    return clickhouse_con() if engine == "clickhouse" else store.open_memory()


@pytest.fixture
def empty_con(engine: str) -> Iterator[Any]:
    con = _engine_con(engine)
    yield con
    con.close()


def build_q1(con: duckdb.DuckDBPyConnection) -> None:
    """The Q1-2026 fixture. Expected numbers in the tests are worked out from this by hand.

    Campaigns: C1 "Search" (paid_search, inbound), C2 "Expo" (events, outbound).
    Costs: C1 2025-12-31 999 (outside), 2026-01-10 600 (10 000 imp, 200 clicks),
           2026-02-10 400 (5 000 imp, 100 clicks); C2 2026-03-31 1000 (last day, inside),
           2026-04-01 50 (outside).
    """
    add_campaign(con, "C1", "Search", "paid_search", "inbound", 5000)
    add_campaign(con, "C2", "Expo", "events", "outbound", 2000)
    add_cost(con, "C1", "2025-12-31", 999, 1, 1)
    add_cost(con, "C1", "2026-01-10", 600, 10_000, 200)
    add_cost(con, "C1", "2026-02-10", 400, 5_000, 100)
    add_cost(con, "C2", "2026-03-31", 1000, 0, 0)
    add_cost(con, "C2", "2026-04-01", 50, 0, 0)
    yes = {"bant_budget": True, "bant_authority": True, "bant_need": True, "bant_timing": True}
    # 1 lead_only
    add_lead(
        con,
        "lead_only",
        "2026-01-05 09:00:00",
        campaign_id="C1",
        channel="paid_search",
        owner="Anna",
        company_size=10,
        source="lead_form",
    )
    # 2 mql_only: 2 days to MQL
    add_lead(
        con,
        "mql_only",
        "2026-01-06 09:00:00",
        "mql",
        campaign_id="C1",
        channel="paid_search",
        mql_at="2026-01-08 09:00:00",
        owner="Anna",
        company_size=50,
        bant_budget=True,
        bant_need=True,
        source="lead_form",
    )
    # 3 sql_lost: 1 day to MQL, 4 days to SQL, then lost
    add_lead(
        con,
        "sql_lost",
        "2026-01-10 00:00:00",
        "sql",
        "lost",
        campaign_id="C1",
        channel="paid_search",
        mql_at="2026-01-11 00:00:00",
        sql_at="2026-01-15 00:00:00",
        lost_at="2026-01-20 00:00:00",
        lost_reason="Price",
        owner="Anna",
        company_size=500,
        source="callback",
        **yes,
    )
    # 4 won_full: 2, 2, 5, 10 days; 19 days lead->won; deal 5000
    add_lead(
        con,
        "won_full",
        "2026-02-01 00:00:00",
        "won",
        "won",
        campaign_id="C1",
        channel="paid_search",
        mql_at="2026-02-03 00:00:00",
        sql_at="2026-02-05 00:00:00",
        opportunity_at="2026-02-10 00:00:00",
        won_at="2026-02-20 00:00:00",
        deal_value=5000,
        owner="Boris",
        company_size=501,
        source="lead_form",
        **yes,
    )
    # 5 won_skipped_sql: created on the last second of Q1; no SQL date; won after Q1; deal 3000
    add_lead(
        con,
        "won_skipped_sql",
        "2026-03-31 23:59:59",
        "won",
        "won",
        campaign_id="C2",
        channel="events",
        mql_at="2026-04-02 23:59:59",
        opportunity_at="2026-04-04 23:59:59",
        won_at="2026-04-09 23:59:59",
        deal_value=3000,
        owner="Boris",
        company_size=200,
        source="event",
    )
    # 6 organic_mql: no campaign; 1 day to MQL; nurture
    add_lead(
        con,
        "organic_mql",
        "2026-02-15 12:00:00",
        "mql",
        "nurture",
        channel="content_seo",
        mql_at="2026-02-16 12:00:00",
        owner="Boris",
        bant_budget=True,
        source="lead_form",
    )
    # 7 outside_before: created before Q1, MQL and SQL inside Q1 (2 days, 1 day)
    add_lead(
        con,
        "outside_before",
        "2025-12-31 00:00:00",
        "sql",
        campaign_id="C1",
        channel="paid_search",
        mql_at="2026-01-02 00:00:00",
        sql_at="2026-01-03 00:00:00",
    )
    # 8 outside_after: created the day after Q1
    add_lead(con, "outside_after", "2026-04-01 00:00:00", campaign_id="C1", channel="paid_search")
    # 9 reversed: SQL dated a day before MQL (a data error); opportunity open
    add_lead(
        con,
        "reversed",
        "2026-03-01 00:00:00",
        "opportunity",
        campaign_id="C2",
        channel="events",
        mql_at="2026-03-03 00:00:00",
        sql_at="2026-03-02 00:00:00",
        opportunity_at="2026-03-04 00:00:00",
        company_size=49,
        bant_budget=True,
        bant_authority=True,
        bant_need=True,
        source="event",
    )
    # 10 undated_sql: status-only CRM row: SQL without any stage dates; organic referral
    add_lead(
        con,
        "undated_sql",
        "2026-03-10 10:00:00",
        "sql",
        channel="referral",
        company_size=300,
        source="referral",
    )


@pytest.fixture
def q1(engine: str) -> Iterator[Any]:
    con = _engine_con(engine)
    build_q1(con)
    yield con
    con.close()


# ---------------------------------------------------------------------------------------------
# App fixtures: a small demo database file and AppTest runs against it.

APP_TODAY = "2026-11-22"  # a Sunday: "last week" = 2026-11-09..2026-11-15


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from analytics import demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    con = store.open_database(path, create=True)
    demo.generate(con, leads=3000, seed=7, end=date.fromisoformat(APP_TODAY))
    con.execute("CHECKPOINT")
    con.close()
    return path


@pytest.fixture
def app_env(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VORONKA_DB", str(demo_db))
    monkeypatch.setenv("VORONKA_TODAY", APP_TODAY)
    return demo_db


@pytest.fixture(autouse=True)
def _apptest_uses_navigation(monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest resets ``PagesManager.uses_pages_directory`` before every run, and because a
    ``pages/`` folder exists the rerun would then execute the page file alone (the pre-
    ``st.navigation`` behaviour), skipping dashboard.py. The real server sets the flag once and
    ``st.navigation`` turns it off for good; this makes AppTest behave the same way."""
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


def app_test(page: str | None = None, **query: Any) -> Any:
    """An AppTest of the dashboard with query parameters set (not yet run)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    if page:
        at.switch_page(page)
    return at


@contextmanager
def read_only_file(path: Path) -> Iterator[Path]:
    """``path`` made unwritable for this process: mode 0444, and immutable when running as root
    (root ignores file permissions). Fails in CI, skips elsewhere, if that is impossible here."""
    os.chmod(path, 0o444)
    immutable = False
    if os.geteuid() == 0:
        immutable = subprocess.run(["chattr", "+i", str(path)], check=False).returncode == 0
    try:
        try:
            with open(path, "r+b"):
                writable = True
        except OSError:
            writable = False
        if writable:
            message = "cannot make a file read-only here (root without chattr)"
            if IN_CI:
                pytest.fail(message)
            pytest.skip(message)
        yield path
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=False)
        os.chmod(path, 0o644)
