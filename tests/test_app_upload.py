"""AppTest of the Upload page: a file through detection, mapping, status map, check, duplicates
and import (the Overview then counts the new leads); bad files; dates to choose; ad hoc."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analytics import store
from analytics.importer.saved import saved_names
from tests.conftest import app_test
from tests.test_importer_files import sha

RU = (
    "ID;Дата создания;Этап сделки;Бюджет;Ответственный;Телефон\n"
    "U101;05.03.2026 10:00;Успешно реализовано;1 234,50;Анна;8 916 000-45-67\n"
    "U102;06.03.2026;Переговоры;;Борис;+7 (916) 765 43 21\n"
    "U103;13.03.2026;Закрыто и не реализовано;0;Анна;+7 916 000 45 67\n"
).encode("cp1251")


@pytest.fixture
def db(demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the 3 000-lead demo database (imports must not touch the shared one)."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, path)
    monkeypatch.setenv("VORONKA_DB", str(path))
    monkeypatch.setenv("VORONKA_TODAY", "2026-11-22")
    return path


def upload(at, name: str, data: bytes):
    at.file_uploader[0].set_value((name, data, "text/csv")).run()
    assert not at.exception, at.exception
    return at


def selectbox(at, label: str):
    found = [s for s in at.selectbox if s.label == label]
    assert found, [s.label for s in at.selectbox]
    return found[0]


def button(at, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, [b.label for b in at.button]
    return found[0]


def leads_in(path: Path) -> int:
    with store.reading(path) as con:
        return int(con.execute("SELECT count(*) FROM leads").fetchone()[0])


def test_russian_crm_file_through_mapping_check_and_import(db):
    at = app_test("pages/upload.py")
    at.run()
    assert not at.exception
    assert at.title[0].value == "Upload a file"
    assert any("200 MB" in c.value for c in at.caption)
    upload(at, "amo.csv", RU)
    assert any("encoding cp1251 · delimiter **;**" in c.value for c in at.caption)
    # suggested from the Russian headers, shown for confirmation
    assert selectbox(at, "Lead id").value == "ID"
    assert selectbox(at, "Created *").value == "Дата создания"
    assert selectbox(at, "Status / stage").value == "Этап сделки"
    assert selectbox(at, "Deal value").value == "Бюджет"
    # the built-in meanings of the amoCRM statuses, editable
    assert selectbox(at, "Успешно реализовано (1)").value == "won"
    assert selectbox(at, "Закрыто и не реализовано (1)").value == "lost"
    assert selectbox(at, "Переговоры (1)").value == "opportunity"
    assert any("Дата создания: read as DD.MM.YYYY" in c.value for c in at.caption)
    assert at.success[0].value == "No problems: every row can be written."
    # U103's phone ends like U101's (9160004567): one duplicate inside the file
    assert any("inside the file: 1 · new: 2" in c.value for c in at.caption)
    before = leads_in(db)
    button(at, "Import into the database").click().run()
    assert not at.exception
    assert any("inserted 2, updated 0, skipped 1 (duplicates 1" in m.value for m in at.success)
    assert leads_in(db) == before + 2
    # every page shows the new data at once: the Overview counts them
    at.switch_page("pages/overview.py")
    at.query_params["period"] = "all_time"
    at.run()
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Leads"] == f"{before + 2:,}"


def test_changing_a_status_meaning_checks_again(db):
    """Переговоры is an opportunity by default; the analyst says it is SQL in this CRM. The
    preview shows what will be written: U101 won, U102 now sql, U103 lost at stage lead."""
    at = app_test("pages/upload.py")
    at.run()
    upload(at, "amo.csv", RU)
    selectbox(at, "Переговоры (1)").set_value("sql").run()
    assert not at.exception
    preview = next(d.value for d in at.dataframe if "Status / stage" in d.value.columns)
    assert preview["Status / stage"].tolist() == ["won", "sql", "lead"]
    assert preview["Outcome (open, won, lost, nurture)"].tolist() == ["won", "open", "lost"]
    assert preview["Phone"].tolist()[0] == "8 *** *** 45 67"  # masked on screen


def test_unknown_status_is_asked_for(db):
    data = b"id,created,state\nA1,2026-03-01,Thinking\nA2,2026-03-02,MQL\n"
    at = app_test("pages/upload.py")
    at.run()
    upload(at, "s.csv", data)
    selectbox(at, "Lead id").set_value("id").run()
    selectbox(at, "Created *").set_value("created").run()
    selectbox(at, "Status / stage").set_value("state").run()
    assert any("Status values without a meaning yet: 1." in w.value for w in at.warning)
    assert button(at, "Import into the database").disabled
    selectbox(at, "Thinking (1)").set_value("mql").run()
    assert not at.exception
    assert at.success[0].value == "No problems: every row can be written."
    assert not button(at, "Import into the database").disabled


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("empty.csv", b"", "The file is empty"),
        ("photo.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "it looks like a binary file"),
        ("header.csv", b"id,created\n", "no data rows"),
    ],
)
def test_unreadable_files_get_a_message_not_a_traceback(db, name, data, words):
    before = sha(db)
    at = app_test("pages/upload.py")
    at.run()
    upload(at, name, data)
    assert words in at.error[0].value
    assert not at.button or not any(b.label == "Import into the database" for b in at.button)
    assert sha(db) == before


def test_problems_are_listed_and_invalid_rows_can_be_skipped(db):
    data = b"id,created\nB1,2026-03-01\nB2,tomorrow\nB3,2026-03-03\n"
    at = app_test("pages/upload.py")
    at.run()
    upload(at, "b.csv", data)
    selectbox(at, "Lead id").set_value("id").run()
    selectbox(at, "Created *").set_value("created").run()
    assert "Problems: 1, in rows: 1." in at.error[0].value
    problems = next(d.value for d in at.dataframe if "Problem and fix" in d.value.columns)
    assert problems[["Row", "Column", "Value"]].values.tolist() == [[3, "created", "tomorrow"]]
    assert button(at, "Import into the database").disabled
    at.checkbox(key="up.skip_invalid").check().run()
    assert not button(at, "Import into the database").disabled
    before = leads_in(db)
    button(at, "Import into the database").click().run()
    done = [m.value for m in at.success if "inserted" in m.value]
    assert "inserted 2" in done[0] and "rows with problems 1" in done[0]
    assert leads_in(db) == before + 2


def test_ambiguous_dates_must_be_chosen_before_import(db):
    data = b"id,created\nC1,03/04/2026\nC2,05/06/2026\n"
    at = app_test("pages/upload.py")
    at.run()
    upload(at, "c.csv", data)
    selectbox(at, "Lead id").set_value("id").run()
    selectbox(at, "Created *").set_value("created").run()
    assert any("Choose the date format of created" in w.value for w in at.warning)
    assert button(at, "Import into the database").disabled
    dates = next(r for r in at.radio if "every day is 12 or less" in r.label)
    dates.set_value("DD/MM/YYYY").run()
    assert not at.exception
    assert not button(at, "Import into the database").disabled
    button(at, "Import into the database").click().run()
    with store.reading(db) as con:
        got = con.execute(
            "SELECT lead_id, created_at::DATE FROM leads WHERE lead_id LIKE 'C_' ORDER BY 1"
        ).fetchall()
    assert [str(d) for _, d in got] == ["2026-04-03", "2026-06-05"]


def test_ad_hoc_view_shows_the_file_alone_and_leaves_the_database(db):
    before = sha(db)
    at = app_test("pages/upload.py")
    at.run()
    upload(at, "deals_[q1]*.csv", RU)
    button(at, "View ad hoc").click().run()
    assert not at.exception
    # now on the Overview, over the file alone: 2 leads (the duplicate skipped), all time
    banner = at.info[0].value
    assert "deals\\_\\[q1\\]\\*\\.csv" in banner  # the file name is escaped markdown
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Leads"] == "2" and tiles["Clients"] == "1"
    assert sha(db) == before
    button(at, "Back to the database").click().run()
    assert not at.info or "Ad-hoc" not in at.info[0].value
    at.switch_page("pages/overview.py").run()  # AppTest keeps its own page; a browser stays
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Leads"] == "3,000"


def test_funnel_rows_ad_hoc(db):
    data = (
        b"ad,campaign,Impressions,Clicks,Spent,Total_Conversion,Approved_Conversion\n"
        b"1,916,7350,1,1.43,2,1\n2,916,17861,2,1.82,2,0\n3,936,693,0,0,1,0\n"
    )
    at = app_test("pages/upload.py")
    at.run()
    at.radio(key="up.kind").set_value("funnel").run()
    upload(at, "fb.csv", data)
    assert selectbox(at, "Lead").value == "Total_Conversion"  # suggested from the names
    assert selectbox(at, "Won (client)").value == "Approved_Conversion"
    selectbox(at, "Compare by *").set_value("campaign").run()
    selectbox(at, "Day *").set_value("\x00fixed").run()
    box = next(t for t in at.text_input if t.label.startswith("Day"))
    box.set_value("2026-03-02").run()
    assert not at.exception
    button(at, "View ad hoc").click().run()
    tiles = {m.label: m.value for m in at.metric}
    # by hand: 5 people, 1 won; spend 1.43 + 1.82 + 0 = 3.25
    assert tiles["Leads"] == "5" and tiles["Clients"] == "1"
    assert tiles["Spend, ₽"] == "3.25"


def test_save_a_mapping_by_name(db):
    at = app_test("pages/upload.py")
    at.run()
    upload(at, "amo.csv", RU)
    at.text_input(key="up.save_name").set_value("amoCRM сделки").run()
    button(at, "Save mapping").click().run()
    assert not at.exception
    with store.reading(db) as con:
        assert saved_names(con) == [("amoCRM сделки", "leads")]
    assert "Saved the mapping as amoCRM сделки." in [s.value for s in at.success]
    at.run()  # the next run offers it
    assert "amoCRM сделки" in selectbox(at, "Start from").options


def test_russian_page(db):
    at = app_test("pages/upload.py", lang="ru")
    at.run()
    assert not at.exception
    assert at.title[0].value == "Загрузка файла"
    upload(at, "amo.csv", RU)
    assert any("кодировка cp1251" in c.value for c in at.caption)
    assert at.success[0].value == "Ошибок нет: все строки можно записать."


def test_text_from_the_file_is_escaped_in_labels_and_messages(db):
    """Widget labels and messages are markdown: a status value or header from the file must
    show as text, never as a link or formatting."""
    data = b"id,created,Stage [x](http://evil.example)\nE1,2026-03-01,**Hot**\n"
    at = app_test("pages/upload.py")
    at.run()
    upload(at, "e.csv", data)
    selectbox(at, "Lead id").set_value("id").run()
    selectbox(at, "Created *").set_value("created").run()
    selectbox(at, "Status / stage").set_value("Stage [x](http://evil.example)").run()
    assert not at.exception
    assert "\\*\\*Hot\\*\\* (1)" in [s.label for s in at.selectbox]
    help_text = next(c.value for c in at.caption if "becomes a funnel stage" in c.value)
    assert "Stage \\[x\\]\\(http\\://evil\\.example\\)" in help_text


def test_values_read_as_empty_are_editable(db):
    """ "open" in a close-date column is a problem until the analyst lists it as empty."""
    data = b"id,created,closed\nD1,2026-03-01,open\nD2,2026-03-02,2026-03-09\n"
    at = app_test("pages/upload.py")
    at.run()
    upload(at, "d.csv", data)
    selectbox(at, "Lead id").set_value("id").run()
    selectbox(at, "Created *").set_value("created").run()
    selectbox(at, "Close date (won or lost)").set_value("closed").run()
    assert "Problems: 1, in rows: 1." in at.error[0].value
    box = next(t for t in at.text_input if t.label == "Values read as empty")
    box.set_value(box.value + ", open").run()
    assert not at.exception
    assert at.success[0].value == "No problems: every row can be written."


def test_a_workbook_with_two_sheets_reads_the_chosen_one(db, tmp_path):
    import xlsxwriter

    path = tmp_path / "book.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    first = wb.add_worksheet("Notes")
    first.write_row(0, 0, ["note"])
    first.write_row(1, 0, ["exported by the CRM"])
    deals = wb.add_worksheet("Deals")
    deals.write_row(0, 0, ["ID", "Created Date", "Stage"])
    deals.write_row(1, 0, ["X1", "2026-03-01", "Closed Won"])
    deals.write_row(2, 0, ["X2", "2026-03-02", "Negotiation"])
    wb.close()
    at = app_test("pages/upload.py")
    at.run()
    at.file_uploader[0].set_value(("book.xlsx", path.read_bytes(), "application/vnd.ms-excel"))
    at.run()
    assert any("1 rows and 1 columns from sheet Notes" in c.value for c in at.caption)
    selectbox(at, "Sheet").set_value("Deals").run()
    assert not at.exception
    assert any("2 rows and 3 columns from sheet Deals" in c.value for c in at.caption)
    assert selectbox(at, "Status / stage").value == "Stage"


def test_funnel_rows_say_how_many_leads_they_make(db):
    data = (
        b"ad,campaign,Impressions,Clicks,Spent,Total_Conversion,Approved_Conversion\n"
        b"1,916,7350,1,1.43,2,1\n2,916,17861,2,1.82,2,0\n3,936,693,0,0,1,0\n"
    )
    at = app_test("pages/upload.py")
    at.run()
    at.radio(key="up.kind").set_value("funnel").run()
    upload(at, "fb.csv", data)
    selectbox(at, "Compare by *").set_value("campaign").run()
    selectbox(at, "Day *").set_value("\x00fixed").run()
    next(t for t in at.text_input if t.label.startswith("Day")).set_value("2026-03-02").run()
    # by hand: 2 + 2 + 1 = 5 people, none in the database yet
    assert any("inside the file: 0 · new: 5" in c.value for c in at.caption)
