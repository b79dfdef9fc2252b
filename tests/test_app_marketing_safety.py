"""Names from the data and from the settings are text, never markup: in tables (as typed) and in
charts (escaped: plotly would render <b>, <a href> and the like in labels and legends)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from analytics import demo, store
from tests.conftest import APP_TODAY, app_test

CAMPAIGN = '<b>Bold</b> <a href="javascript:alert(1)">x</a>'
OWNER = "<script>alert(2)</script> Smirnova"
STAGE = "<i>Call</i>"


@pytest.fixture
def hostile_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "hostile.duckdb"
    demo.create_file(path, leads=400, seed=5, end=date.fromisoformat(APP_TODAY))
    with store.writing(path) as con:
        con.execute("UPDATE campaigns SET name = ? WHERE campaign_id = 'YDB'", [CAMPAIGN])
        con.execute("UPDATE leads SET owner = ? WHERE owner = 'Anna Smirnova'", [OWNER])
        store.write_setting(con, "stage_labels", {"sql": STAGE})
    monkeypatch.setenv("VORONKA_DB", str(path))
    monkeypatch.setenv("VORONKA_TODAY", APP_TODAY)
    return path


def strings(value) -> list[str]:
    """Every string in a decoded figure (plotly's JSON writes < > & as \\u escapes, so the
    raw text must be compared after decoding)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def charts(at) -> list[str]:
    return [s for c in at.get("plotly_chart") for s in strings(json.loads(c.proto.spec))]


def assert_inert(texts: list[str]) -> None:
    assert texts, "no chart text to check"
    for raw in ("<a ", "<script", "<i>", "<b>Bold"):
        offending = [t for t in texts if raw in t]
        assert not offending, (raw, offending[:2])


def test_campaign_and_stage_names_are_inert_in_charts(hostile_db):
    at = app_test("pages/campaigns.py", period="last_12_months", compare=["YDB", "EXM"])
    at.run()
    assert not at.exception
    assert CAMPAIGN in set(at.dataframe[0].value["Campaign"])  # the table shows it as typed
    texts = charts(at)
    assert_inert(texts)
    escaped = '&lt;b&gt;Bold&lt;/b&gt; &lt;a href="javascript:alert(1)"&gt;x&lt;/a&gt;'
    assert escaped in texts  # a row of the interval chart, shown by plotly as the characters
    assert "&lt;i&gt;Call&lt;/i&gt;" in texts  # the funnels' stage names


def test_owner_and_stage_names_are_inert_on_lead_quality(hostile_db):
    at = app_test("pages/quality.py", period="last_12_months")
    at.run()
    assert not at.exception
    texts = charts(at)
    assert_inert(texts)
    assert "&lt;script&gt;alert(2)&lt;/script&gt; Smirnova" in texts  # an owner row
    assert "&lt;i&gt;Call&lt;/i&gt;" in texts  # a stage on the bars


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ("pages/campaigns.py", "no leads and no costs yet"),
        ("pages/quality.py", "no leads and no costs yet"),
    ],
)
def test_empty_database_gives_a_plain_message(tmp_path, monkeypatch, page, message):
    path = tmp_path / "empty.duckdb"
    store.open_database(path, create=True).close()
    monkeypatch.setenv("VORONKA_DB", str(path))
    at = app_test(page)
    at.run()
    assert not at.exception
    assert [i.value for i in at.info if message in i.value] != []
    assert not at.get("plotly_chart") and not at.metric
    assert len([i for i in at.info if "no leads" in i.value.lower()]) <= 1  # said once


def test_settings_on_an_empty_database_save_and_read_back(tmp_path, monkeypatch):
    path = tmp_path / "empty.duckdb"
    store.open_database(path, create=True).close()
    monkeypatch.setenv("VORONKA_DB", str(path))
    at = app_test("pages/settings.py")
    at.run()
    assert not at.exception
    [currency] = [s for s in at.selectbox if s.label == "Currency"]
    currency.set_value("KZT")
    [save] = [b for b in at.button if b.label == "Save settings"]
    save.click().run()
    assert not at.exception
    with store.reading(path) as con:
        assert store.read_settings(con)["currency"] == "KZT"
