"""Every page on ClickHouse (issue 7): VORONKA_ENGINE=clickhouse with the demo data copied into
an embedded ClickHouse shows the same tiles and tables as the DuckDB file it came from, and the
Settings page says which engine and database are in use."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.conftest import APP_TODAY, app_test, require_chdb
from tests.test_engine_parity import same

PAGES = (
    "pages/overview.py",
    "pages/campaigns.py",
    "pages/weekly.py",
    "pages/journey.py",
    "pages/quality.py",
    "pages/settings.py",
)
QUERY = {"period": "custom", "from": "2026-05-01", "to": "2026-10-31"}


@pytest.fixture(scope="module")
def clickhouse_url(demo_db: Path) -> str:
    require_chdb()
    from analytics.engine.clickhouse import ClickHouseSource
    from analytics.engine.schema import copy_from_duckdb

    # one chdb data directory per process (the tests' in-memory one), a database of its own
    url = f"chdb://:memory:?database=app_{uuid.uuid4().hex[:8]}"
    copy_from_duckdb(demo_db, ClickHouseSource(url).connection)
    return url


def shown(page: str) -> dict[str, object]:
    at = app_test(page, **QUERY)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return {
        "metrics": [(m.label, m.value) for m in at.metric],
        "tables": [d.value for d in at.dataframe],
        "captions": [c.value for c in at.caption],
        "errors": [e.value for e in at.error],
    }


@pytest.mark.parametrize("page", PAGES)
def test_page_shows_the_same_on_clickhouse(
    page: str, demo_db: Path, clickhouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VORONKA_TODAY", APP_TODAY)
    monkeypatch.setenv("VORONKA_DB", str(demo_db))
    monkeypatch.delenv("VORONKA_ENGINE", raising=False)
    duck = shown(page)
    monkeypatch.setenv("VORONKA_ENGINE", "clickhouse")
    monkeypatch.setenv("VORONKA_URL", clickhouse_url)
    ch = shown(page)
    assert not ch["errors"], ch["errors"]
    assert ch["metrics"] == duck["metrics"]
    same(duck["tables"], ch["tables"], page)  # exact, rates to 1e-9
    if page == "pages/settings.py":
        assert any("ClickHouse" in str(c) for c in ch["captions"])
        assert any("DuckDB" in str(c) for c in duck["captions"])
    else:
        assert ch["captions"] == duck["captions"]
        assert ch["metrics"] or ch["tables"], "the page showed numbers"


def test_settings_page_names_the_clickhouse_database(
    demo_db: Path, clickhouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VORONKA_TODAY", APP_TODAY)
    monkeypatch.setenv("VORONKA_ENGINE", "clickhouse")
    monkeypatch.setenv("VORONKA_URL", clickhouse_url)
    at = app_test("pages/settings.py")
    at.run()
    assert not at.exception
    assert "Engine: **ClickHouse**. Database:" in [c.value for c in at.caption]
    database = clickhouse_url.split("database=")[1]
    assert any(database in c.value for c in at.code)


def test_a_bad_engine_url_is_a_plain_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VORONKA_ENGINE", "clickhouse")
    monkeypatch.setenv("VORONKA_URL", "mysql://nowhere")
    at = app_test()
    at.run()
    assert not at.exception
    assert any("not a ClickHouse URL" in e.value for e in at.error)


def test_settings_are_saved_in_clickhouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Saving on the Settings page writes to ClickHouse (DELETE + INSERT per setting), and
    every page picks the new value up (the cache key follows ClickHouse's parts)."""
    require_chdb()
    from analytics import demo, store
    from analytics.engine.clickhouse import ClickHouseSource
    from analytics.engine.schema import copy_from_duckdb

    db = tmp_path / "small.duckdb"
    demo.create_file(db, leads=300, seed=3)
    url = f"chdb://:memory:?database=settings_{uuid.uuid4().hex[:8]}"
    source = ClickHouseSource(url)
    copy_from_duckdb(db, source.connection)
    monkeypatch.setenv("VORONKA_TODAY", APP_TODAY)
    monkeypatch.setenv("VORONKA_ENGINE", "clickhouse")
    monkeypatch.setenv("VORONKA_URL", url)
    at = app_test("pages/settings.py")
    at.run()
    [currency] = [w for w in at.selectbox if w.label == "Currency"]
    currency.set_value("USD")
    [button] = [b for b in at.button if b.label == "Save settings"]
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert store.read_settings(source.connection)["currency"] == "USD"
    rows = source.connection.execute("SELECT count(*) FROM settings WHERE key = 'currency'")
    assert rows.fetchone() == (1,)  # replaced, not added
    overview = app_test("pages/overview.py")
    overview.run()
    assert any("$" in m.label for m in overview.metric)
