"""Bad and odd files, built here byte by byte, each with its exact outcome.

A rejected file leaves the database file byte-for-byte unchanged (checked by hash).
"""

from __future__ import annotations

import codecs
import hashlib
from datetime import datetime
from pathlib import Path

import pytest

from analytics import store
from analytics.importer import Mapping, Rejected, import_file, open_file, stage
from analytics.importer.errors import (
    AmbiguousDates,
    BadEncoding,
    EmptyFile,
    HeaderOnly,
    ImportRejected,
    MissingColumns,
    NotText,
    UnsureDelimiter,
)
from tests.conftest import build_q1

LEADS = Mapping(kind="leads", columns={"lead_id": "id", "created_at": "created"})


def write(tmp_path: Path, name: str, data: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database file holding the Q1 fixture (10 leads, 2 campaigns), closed."""
    path = tmp_path / "q1.duckdb"
    con = store.open_database(path, create=True)
    build_q1(con)
    con.execute("CHECKPOINT")
    con.close()
    return path


def leads(db: Path, where: str = "TRUE") -> list[tuple]:
    with store.reading(db) as con:
        return con.execute(
            f"SELECT lead_id, created_at, stage, status FROM leads WHERE {where} ORDER BY lead_id"
        ).fetchall()


def staged(path: Path, mapping: Mapping = LEADS, **kw):
    upload = open_file(path)
    return upload, stage(upload, mapping, **kw)


# ---------------------------------------------------------------------------------------------
# Encodings and delimiters


def test_utf8_with_bom_has_a_clean_first_header(tmp_path):
    path = write(tmp_path, "bom.csv", "\ufeffid,created\nA,2026-01-05\n")
    upload, s = staged(path)
    assert upload.detected.encoding == "utf-8-sig"
    assert upload.detected.headers == ["id", "created"]  # no BOM glued to "id"
    assert s.preview()["created_at"].tolist() == [datetime(2026, 1, 5)]


def test_cp1251_semicolons_decimal_commas_and_dotted_dates(tmp_path):
    """The Russian CRM export of the issue. By hand: 1 234,50 -> 1234.5 (space = thousands,
    comma = decimals); 05.03.2026 14:30 -> 2026-03-05 14:30 (day first)."""
    text = (
        "ID;Дата создания;Бюджет;Ответственный\n"
        "7;05.03.2026 14:30;1 234,50;Анна Смирнова\n"
        "8;13.03.2026;0,5;Борис\n"
    )
    path = write(tmp_path, "amo.csv", text, "cp1251")
    upload = open_file(path)
    assert (upload.detected.encoding, upload.detected.delimiter) == ("cp1251", ";")
    assert upload.detected.delimiter_sure
    s = stage(upload, Mapping.suggested("leads", upload.detected.headers))
    assert s.mapping.columns == {
        "lead_id": "ID",
        "created_at": "Дата создания",
        "owner": "Ответственный",
        "deal_value": "Бюджет",
    }
    assert s.date_formats == {"Дата создания": "DD.MM.YYYY"}
    assert s.decimal_comma == {"Бюджет": True}
    df = s.preview()
    assert df["created_at"].tolist() == [datetime(2026, 3, 5, 14, 30), datetime(2026, 3, 13)]
    assert df["deal_value"].tolist() == [1234.5, 0.5]
    assert df["owner"].tolist() == ["Анна Смирнова", "Борис"]


def test_utf16_tab_separated_as_excel_saves_unicode_text(tmp_path):
    text = "id\tcreated\tcompany\r\nA\t2026-01-05\tООО «Ромашка»\r\n"
    path = write(tmp_path, "unicode.txt", codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    upload, s = staged(path, Mapping(kind="leads", columns={**LEADS.columns, "company": "company"}))
    assert (upload.detected.encoding, upload.detected.delimiter) == ("utf-16", "\t")
    assert s.preview()["company"].tolist() == ["ООО «Ромашка»"]


@pytest.mark.parametrize(("delim", "name"), [(",", ","), (";", ";"), ("\t", "tab"), ("|", "|")])
def test_every_delimiter_is_detected(tmp_path, delim, name):
    path = write(tmp_path, "d.csv", f"id{delim}created{delim}x\nA{delim}2026-01-05{delim}1\n")
    upload = open_file(path)
    assert upload.detected.delimiter_name() == name and upload.detected.delimiter_sure


def test_a_one_column_file_has_an_unsure_delimiter_and_the_cli_refuses_it(tmp_path, db):
    path = write(tmp_path, "one.csv", "created\n2026-01-05\n")
    assert not open_file(path).detected.delimiter_sure
    before = sha(db)
    with pytest.raises(UnsureDelimiter):
        import_file(db, path, Mapping(kind="leads", columns={"created_at": "created"}))
    assert sha(db) == before
    # named explicitly it is fine: the id is generated from the file's content and row
    summary = import_file(
        db, path, Mapping(kind="leads", columns={"created_at": "created"}, delimiter=",")
    )
    assert summary.inserted == 1


def test_unknown_bytes_are_refused_with_advice(tmp_path, db):
    # 0x98 is unassigned in cp1251 and invalid UTF-8; mostly Latin high bytes: not Cyrillic
    path = write(tmp_path, "latin.csv", b"id,created,name\nA,2026-01-05,Andr\xe9 \x98\x80\x81\n")
    before = sha(db)
    with pytest.raises(BadEncoding, match="--encoding"):
        import_file(db, path, LEADS)
    assert sha(db) == before
    # with the encoding named it reads
    upload = open_file(path, encoding="latin-1")
    assert upload.detected.rows == 1


# ---------------------------------------------------------------------------------------------
# Rejected files: exact reason, database byte-for-byte unchanged


@pytest.mark.parametrize(
    ("name", "data", "error", "words"),
    [
        ("empty.csv", b"", EmptyFile, "empty"),
        ("blank.csv", b"\xef\xbb\xbf\r\n  \r\n", EmptyFile, "empty"),
        ("header.csv", b"id,created\r\n", HeaderOnly, "2 columns"),
        (
            "photo.csv",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
            NotText,
            "binary",
        ),
        ("old.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), NotText, ".xls"),
        ("zip.csv", b"PK\x03\x04" + bytes(100), NotText, "Excel workbook"),
    ],
    ids=["empty", "blank", "header_only", "png_renamed_csv", "xls_renamed_csv", "zip_renamed_csv"],
)
def test_unreadable_files_are_rejected_and_change_nothing(tmp_path, db, name, data, error, words):
    path = write(tmp_path, name, data)
    before = sha(db)
    with pytest.raises(error) as info:
        import_file(db, path, LEADS)
    assert words in info.value.message
    assert sha(db) == before


def test_invalid_values_reject_the_whole_file_with_row_column_value(tmp_path, db):
    """Row numbers as a spreadsheet shows them: the header is row 1."""
    text = "id,created,amount\nN1,2026-01-05,100\nN2,yesterday,5\nN3,2026-01-07,lots\n"
    path = write(tmp_path, "bad.csv", text)
    mapping = Mapping(kind="leads", columns={**LEADS.columns, "deal_value": "amount"})
    before = sha(db)
    with pytest.raises(Rejected) as info:
        import_file(db, path, mapping)
    summary = info.value.summary
    assert (summary.read, summary.rejected, summary.inserted, summary.status) == (
        3,
        2,
        0,
        "rejected",
    )
    assert [(e.row, e.column, e.value) for e in summary.errors] == [
        (3, "created", "yesterday"),
        (4, "amount", "lots"),
    ]
    assert "YYYY-MM-DD" in summary.errors[0].message
    assert sha(db) == before


def test_skip_invalid_writes_the_good_rows_and_reports_the_rest(tmp_path, db):
    text = "id,created\nN1,2026-01-05\nN2,yesterday\nN3,2026-01-07\n"
    path = write(tmp_path, "bad.csv", text)
    summary = import_file(db, path, LEADS, skip_invalid=True)
    assert (summary.read, summary.inserted, summary.skipped, summary.rejected) == (3, 2, 1, 1)
    assert [e.row for e in summary.errors] == [3]
    assert [r[0] for r in leads(db, "lead_id LIKE 'N%'")] == ["N1", "N3"]


def test_ragged_rows_are_reported_with_their_row_not_dropped(tmp_path, db):
    """Row 3 has one field too few, row 5 one too many; rows 2 and 4 are fine. The rows after
    a ragged one keep their own row numbers (4, not 3)."""
    text = "id,created,owner\nR1,2026-01-05,Anna\nR2,2026-01-06\nR3,2026-01-07,Boris\nR4,x,y,z\n"
    path = write(tmp_path, "ragged.csv", text)
    upload = open_file(path)
    assert upload.detected.ragged_total == 2
    assert [(r, n) for r, n, _ in upload.detected.ragged] == [(3, 2), (5, 4)]
    before = sha(db)
    with pytest.raises(Rejected) as info:
        import_file(db, path, LEADS)
    errors = info.value.summary.errors
    assert [(e.row, e.value) for e in errors] == [(3, "R2,2026-01-06"), (5, "R4,x,y,z")]
    assert "2 fields, the header has 3" in errors[0].message
    assert sha(db) == before
    s = stage(open_file(path), Mapping(kind="leads", columns={**LEADS.columns, "owner": "owner"}))
    assert s.con.execute("SELECT __row, lead_id, owner FROM clean ORDER BY __row").fetchall() == [
        (2, "R1", "Anna"),
        (4, "R3", "Boris"),
    ]


def test_quoted_fields_keep_their_newlines_and_delimiters(tmp_path):
    text = 'id,created,company\nQ1,2026-01-05,"Line one\nline two, with a comma"\nQ2,2026-01-06,B\n'
    path = write(tmp_path, "quoted.csv", text)
    _, s = staged(path, Mapping(kind="leads", columns={**LEADS.columns, "company": "company"}))
    assert s.con.execute("SELECT __row, company FROM clean ORDER BY __row").fetchall() == [
        (2, "Line one\nline two, with a comma"),
        (3, "B"),
    ]


def test_duplicate_headers_are_renamed_and_both_usable(tmp_path):
    text = "id,created,Phone,Phone,\nD1,2026-01-05,111,+7 916 123-45-67,x\n"
    path = write(tmp_path, "dups.csv", text)
    upload = open_file(path)
    assert upload.detected.headers == ["id", "created", "Phone", "Phone (2)", "column 5"]
    assert upload.detected.renamed == [("Phone", "Phone (2)"), ("", "column 5")]
    s = stage(upload, Mapping(kind="leads", columns={**LEADS.columns, "phone": "Phone (2)"}))
    assert s.preview()["phone"].tolist() == ["+7 916 123-45-67"]


def test_formula_cells_are_kept_as_text_and_never_run(tmp_path):
    """A CSV cell "=HYPERLINK(...)" is text: stored as it is (exports neutralise it); in a
    number column it is not a number."""
    text = 'id,created,company,amount\nF1,2026-01-05,"=HYPERLINK(""http://x"")",=1+2\n'
    path = write(tmp_path, "formula.csv", text)
    mapping = Mapping(
        kind="leads", columns={**LEADS.columns, "company": "company", "deal_value": "amount"}
    )
    _, s = staged(path, mapping)
    assert [(e.column, e.value) for e in s.errors()] == [("amount", "=1+2")]
    _, s = staged(path, Mapping(kind="leads", columns={**LEADS.columns, "company": "company"}))
    assert s.preview()["company"].tolist() == ['=HYPERLINK("http://x")']


def test_113_mostly_empty_columns(tmp_path):
    """An amoCRM-style export: 113 columns, most empty; the mapping finds the few that matter."""
    headers = ["ID", "Дата создания", "Этап сделки"] + [f"Поле {i}" for i in range(110)]
    rows = [
        ["1", "01.02.2026", "Успешно реализовано"] + [""] * 110,
        ["2", "02.02.2026", "Первичный контакт"] + [""] * 109 + ["x"],
    ]
    text = "\n".join(";".join(r) for r in [headers, *rows]) + "\n"
    path = write(tmp_path, "wide.csv", text)
    upload = open_file(path)
    assert len(upload.detected.headers) == 113 and upload.detected.rows == 2
    s = stage(upload, Mapping.suggested("leads", upload.detected.headers))
    assert s.mapping.columns == {
        "lead_id": "ID",
        "created_at": "Дата создания",
        "stage": "Этап сделки",
    }
    assert s.con.execute("SELECT lead_id, stage, status FROM clean ORDER BY __row").fetchall() == [
        ("1", "won", "won"),
        ("2", "lead", "open"),
    ]


# ---------------------------------------------------------------------------------------------
# Dates


def test_ambiguous_dates_are_asked_not_guessed(tmp_path, db):
    """03/04/2026 and 05/06/2026: every day and month is 12 or less, so either layout reads
    every value. Nothing is imported until the format is named."""
    text = "id,created\nA1,03/04/2026\nA2,05/06/2026\n"
    path = write(tmp_path, "amb.csv", text)
    _, s = staged(path)
    assert s.ambiguous == {"created": ("DD/MM/YYYY", "MM/DD/YYYY")}
    before = sha(db)
    with pytest.raises(AmbiguousDates, match="--date-format"):
        import_file(db, path, LEADS)
    assert sha(db) == before
    us = Mapping(kind="leads", columns=LEADS.columns, date_format="MM/DD/YYYY")
    import_file(db, path, us)
    assert [r[1] for r in leads(db, "lead_id LIKE 'A%'")] == [
        datetime(2026, 3, 4),
        datetime(2026, 5, 6),
    ]


def test_a_day_above_12_settles_the_layout(tmp_path):
    text = "id,created\nA1,03/04/2026\nA2,25/06/2026 09:15\n"
    _, s = staged(write(tmp_path, "eu.csv", text))
    assert s.ambiguous == {} and s.date_formats == {"created": "DD/MM/YYYY"}
    assert s.preview()["created_at"].tolist() == [
        datetime(2026, 4, 3),
        datetime(2026, 6, 25, 9, 15),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-05", datetime(2026, 1, 5)),
        ("2026-01-05 10:20:30", datetime(2026, 1, 5, 10, 20, 30)),
        ("2026-01-05T10:20:30", datetime(2026, 1, 5, 10, 20, 30)),
        ("5.1.2026", datetime(2026, 1, 5)),
        ("05.01.2026 10:20", datetime(2026, 1, 5, 10, 20)),
    ],
)
def test_date_layouts(tmp_path, value, expected):
    _, s = staged(write(tmp_path, "d.csv", f"id,created\nX,{value}\n"))
    assert s.preview()["created_at"].tolist() == [expected]


def test_two_digit_years_are_errors_not_year_26(tmp_path):
    _, s = staged(write(tmp_path, "y.csv", "id,created\nX,05.01.26\n"))
    assert [(e.row, e.value) for e in s.errors()] == [(2, "05.01.26")]


def test_placeholder_text_in_date_columns_is_empty_per_the_mapping(tmp_path):
    """ "не закрыта" is read as empty by default; "open" is not, until the mapping says so."""
    text = (
        "id,created,closed,status\n"
        "P1,2026-01-05,не закрыта,Переговоры\n"
        "P2,2026-01-05,open,Переговоры\n"
    )
    path = write(tmp_path, "p.csv", text)
    mapping = Mapping(
        kind="leads", columns={**LEADS.columns, "closed_at": "closed", "stage": "status"}
    )
    _, s = staged(path, mapping)
    assert [(e.row, e.value) for e in s.errors()] == [(3, "open")]
    mapping.null_values = [*mapping.null_values, "open"]
    _, s = staged(path, mapping)
    assert s.errors() == [] and s.clean_rows() == 2


# ---------------------------------------------------------------------------------------------
# Numbers and booleans


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1 234,50 ₽", "0,5"], [1234.5, 0.5]),
        (["1\u00a0234,50", "2\u202f000"], [1234.5, 2000.0]),
        (["$1,234.50", "$0.99"], [1234.5, 0.99]),
        (["1.234.567,8", "12"], [1234567.8, 12.0]),
        (["1,234", "5,000"], [1234.0, 5000.0]),  # no decimal evidence: commas group thousands
        (["€ 99", "100 руб."], [99.0, 100.0]),
    ],
)
def test_money(tmp_path, values, expected):
    text = "id;created;amount\n" + "".join(f"M{i};2026-01-05;{v}\n" for i, v in enumerate(values))
    mapping = Mapping(kind="leads", columns={**LEADS.columns, "deal_value": "amount"})
    _, s = staged(write(tmp_path, "m.csv", text), mapping)
    assert s.errors() == []
    assert s.preview()["deal_value"].tolist() == expected


def test_booleans_in_both_languages_and_bad_ones(tmp_path):
    values = ["yes", "Да", "1", "true", "no", "нет", "0", "FALSE", "", "maybe"]
    text = "id,created,budget\n" + "".join(f"B{i},2026-01-05,{v}\n" for i, v in enumerate(values))
    mapping = Mapping(kind="leads", columns={**LEADS.columns, "bant_budget": "budget"})
    _, s = staged(write(tmp_path, "b.csv", text), mapping)
    assert [(e.row, e.value) for e in s.errors()] == [(11, "maybe")]
    got = s.con.execute("SELECT bant_budget FROM typed ORDER BY __row").fetchall()
    assert [r[0] for r in got] == [True] * 4 + [False] * 4 + [None, None]


def test_negative_money_and_fractional_sizes_are_errors(tmp_path):
    text = "id,created,amount,size\nN1,2026-01-05,-5,10\nN2,2026-01-05,5,2.5\n"
    mapping = Mapping(
        kind="leads",
        columns={**LEADS.columns, "deal_value": "amount", "company_size": "size"},
    )
    _, s = staged(write(tmp_path, "n.csv", text), mapping)
    assert [(e.row, e.column, e.value) for e in s.errors()] == [
        (2, "amount", "-5"),
        (3, "size", "2.5"),
    ]


# ---------------------------------------------------------------------------------------------
# Mapping problems


def test_a_required_field_without_a_column_is_named(tmp_path):
    path = write(tmp_path, "x.csv", "id,when\nA,2026-01-05\n")
    with pytest.raises(MissingColumns, match=r"Created \(created_at\)"):
        staged(path, Mapping(kind="leads", columns={"owner": "id"}))


def test_a_mapping_naming_a_missing_column_is_refused(tmp_path):
    path = write(tmp_path, "x.csv", "id,created\nA,2026-01-05\n")
    with pytest.raises(MissingColumns, match="Created Date"):
        staged(path, Mapping(kind="leads", columns={"created_at": "Created Date"}))


def test_rejections_are_import_rejected():
    for error in (EmptyFile, HeaderOnly, NotText, BadEncoding, UnsureDelimiter, AmbiguousDates):
        assert issubclass(error, ImportRejected)


def test_xlsx_values_dates_and_formulas(tmp_path):
    """An .xlsx with a real date cell, a number cell and a formula: the formula's value is
    read (never the formula), the date as a timestamp."""
    import xlsxwriter

    path = tmp_path / "book.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Deals")
    date_fmt = wb.add_format({"num_format": "dd.mm.yyyy"})
    ws.write_row(0, 0, ["ID", "Created Date", "Amount", "Stage"])
    ws.write(1, 0, "X1")
    ws.write_datetime(1, 1, datetime(2026, 2, 3, 9, 30), date_fmt)
    ws.write_number(1, 2, 1500.25)
    ws.write(1, 3, "Closed Won")
    ws.write(2, 0, "X2")
    ws.write_datetime(2, 1, datetime(2026, 2, 4), date_fmt)
    ws.write_formula(2, 2, "=C2*2", None, 3000.5)
    ws.write(2, 3, "Negotiation")
    wb.close()
    upload = open_file(path)
    assert (upload.detected.format, upload.detected.sheet, upload.detected.rows) == (
        "xlsx",
        "Deals",
        2,
    )
    s = stage(upload, Mapping.suggested("leads", upload.detected.headers))
    assert s.mapping.columns == {
        "lead_id": "ID",
        "created_at": "Created Date",
        "stage": "Stage",
        "deal_value": "Amount",
    }
    df = s.preview()
    assert df["created_at"].tolist() == [datetime(2026, 2, 3, 9, 30), datetime(2026, 2, 4)]
    assert df["deal_value"].tolist() == [1500.25, 3000.5]
    assert df["stage"].tolist() == ["won", "opportunity"]
