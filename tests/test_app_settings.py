"""AppTest of the Settings page: a round trip through the database that every page picks up at
once, validation with clear messages, and a database file the app cannot write."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from analytics import demo, store
from tests.conftest import APP_TODAY, app_test, read_only_file

PAGE = "pages/settings.py"


@pytest.fixture
def settings_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small demo database of its own (these tests write to it)."""
    path = tmp_path / "settings.duckdb"
    demo.create_file(path, leads=300, seed=3, end=date.fromisoformat(APP_TODAY))
    monkeypatch.setenv("VORONKA_DB", str(path))
    monkeypatch.setenv("VORONKA_TODAY", APP_TODAY)
    return path


def run(**query):
    at = app_test(PAGE, **query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def widget(items, label: str):
    found = [w for w in items if w.label == label]
    assert found, f"no widget labelled {label!r}: {[w.label for w in items]}"
    return found[0]


def save(at):
    widget(at.button, "Save settings").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_shows_the_database_file_in_use(settings_db):
    at = run()
    assert at.title[0].value == "Settings"
    assert str(settings_db.resolve()) in [c.value for c in at.code]
    assert any("demo database (300 generated leads)" in c.value for c in at.caption)
    # the stored defaults are shown
    assert widget(at.selectbox, "Currency").value == "RUB"
    assert widget(at.number_input, "Smallest target company, employees").value == 50
    assert widget(at.number_input, "Largest target company, employees").value == 500


def test_round_trip_and_every_page_picks_it_up(settings_db):
    before = store.file_signature(settings_db)
    at = run()
    widget(at.selectbox, "Currency").set_value("USD")
    widget(at.selectbox, "Week starts on").set_value("sunday")
    widget(at.number_input, "Smallest target company, employees").set_value(20)
    widget(at.number_input, "Largest target company, employees").set_value(200)
    widget(at.text_input, "SQL").set_value("  Звонок ")
    widget(at.text_input, "Clients").set_value("Закрытая сделка")
    save(at)

    with store.reading(settings_db) as con:
        saved = store.read_settings(con)
    assert saved["currency"] == "USD" and saved["week_start"] == "sunday"
    assert (saved["icp_min"], saved["icp_max"]) == (20, 200)
    assert saved["stage_labels"] == {"sql": "Звонок", "won": "Закрытая сделка"}  # trimmed
    assert saved["language"] == "en"  # untouched
    assert store.file_signature(settings_db) != before  # what every cache key includes
    assert "Saved: currency, week start, smallest target size" in at.success[0].value
    # the form shows the stored values again
    assert widget(at.selectbox, "Currency").value == "USD"

    # the same session, another page: the new currency and the CRM's stage names at once
    at.switch_page("pages/overview.py").run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert "Spend, $" in labels and "Spend, ₽" not in labels
    assert at.dataframe[0].value["Stage"].tolist()[2] == "Звонок"
    # and the ICP range: target = 20-200 employees on the Lead quality page
    at.switch_page("pages/quality.py").run()
    assert not at.exception
    assert any("company size 20–200 employees" in c.value for c in at.caption)


def test_new_default_language_applies_at_once(settings_db):
    at = run()
    widget(at.selectbox, "Default language").set_value("ru")
    save(at)
    assert at.title[0].value == "Настройки"
    assert "Сохранено: язык" in at.success[0].value
    with store.reading(settings_db) as con:
        assert store.read_settings(con)["language"] == "ru"
    # a new visitor without ?lang= opens in Russian
    fresh = run()
    assert fresh.title[0].value == "Настройки"


def test_invalid_values_are_explained_and_nothing_is_written(settings_db):
    before = store.file_signature(settings_db)
    at = run()
    widget(at.number_input, "Smallest target company, employees").set_value(600)
    widget(at.text_input, "SQL").set_value("Call")
    widget(at.text_input, "Clients").set_value("call")
    widget(at.selectbox, "Currency").set_value("EUR")
    save(at)
    error = at.error[0].value
    assert "Nothing was saved" in error
    assert "The smallest target size (600) is larger than the largest (500): swap them." in error
    assert 'Client and SQL would both be called "call"' in error
    assert store.file_signature(settings_db) == before
    with store.reading(settings_db) as con:
        assert store.read_settings(con)["currency"] == "RUB"  # not even the valid part


def test_saving_unchanged_settings_says_so(settings_db):
    at = run()
    save(at)
    assert any("Nothing to save" in i.value for i in at.info)


@pytest.fixture
def unwritable(settings_db: Path) -> Iterator[Path]:
    with read_only_file(settings_db) as path:
        yield path


def test_a_database_the_app_cannot_write_gives_a_clear_message(unwritable):
    at = run()
    assert widget(at.selectbox, "Currency").value == "RUB"  # reading still works
    widget(at.selectbox, "Currency").set_value("USD")
    save(at)
    error = at.error[0].value
    assert "Nothing was saved: Voronka cannot write to the database file" in error
    assert "writable" in error
    with store.reading(unwritable) as con:
        assert store.read_settings(con)["currency"] == "RUB"


def test_settings_page_in_russian(settings_db):
    at = run(lang="ru")
    assert at.title[0].value == "Настройки"
    assert widget(at.selectbox, "Валюта").value == "RUB"
    assert widget(at.selectbox, "Неделя начинается с").value == "monday"
