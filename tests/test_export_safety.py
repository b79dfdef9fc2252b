"""Exported CSV and Excel files, opened again as a spreadsheet would: text that a spreadsheet
would run as a formula (= + - @, and the tab- and CR-prefixed variants) arrives as inert text
with a leading apostrophe; numbers stay numbers; other text is unchanged."""

from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd
import pytest

from analytics.export import to_csv_bytes, to_xlsx_bytes

#: (cell text, what the exported file must hold)
FORMULAS = [
    ('=HYPERLINK("http://evil.example","click")', '\'=HYPERLINK("http://evil.example","click")'),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
]
PLAIN = ["Acme", "<img src=x onerror=alert(1)>", "a=b", "1+1", ""]


def frame() -> pd.DataFrame:
    texts = [f for f, _ in FORMULAS] + PLAIN
    n = len(texts)
    return pd.DataFrame(
        {
            "Company": texts,
            "Owner": pd.Categorical(texts),  # a categorical column is text too
            "Leads": list(range(-5, -5 + n)),  # negative numbers are numbers, not formulas
            "Spend": [-1234.5 + i for i in range(n)],
            "=Header": ["x"] * n,  # a column name is a cell as well
        }
    )


def expected_text() -> list[str]:
    return [e for _, e in FORMULAS] + PLAIN


def test_csv_neutralises_formulas_and_keeps_numbers():
    data = to_csv_bytes(frame())
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    assert header == ["Company", "Owner", "Leads", "Spend", "'=Header"]
    assert [r[0] for r in body] == expected_text()
    assert [r[1] for r in body] == expected_text()
    n = len(body)
    assert [r[2] for r in body] == [str(v) for v in range(-5, -5 + n)]  # no apostrophe
    assert [float(r[3]) for r in body] == [-1234.5 + i for i in range(n)]


def test_excel_neutralises_formulas_and_keeps_numbers():
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(frame(), sheet="Leads")))
    sheet = book["Leads"]
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == ["Company", "Owner", "Leads", "Spend", "'=Header"]
    body = rows[1:]
    for col in (0, 1):
        cells = [r[col] for r in body]
        # stored as text (type "s"), never as a formula (type "f")
        assert {c.data_type for c in cells if c.value is not None} == {"s"}
        # openpyxl leaves a CR as Excel's escape _x000D_ (calamine and Excel read it as CR)
        assert [(c.value or "").replace("_x000D_", "\r") for c in cells] == expected_text()
    leads = [r[2] for r in body]
    assert {c.data_type for c in leads} == {"n"}
    assert [c.value for c in leads] == list(range(-5, -5 + len(body)))
    assert [r[3].value for r in body] == [-1234.5 + i for i in range(len(body))]


@pytest.mark.parametrize("text", [f for f, _ in FORMULAS])
def test_calamine_reads_back_the_same_inert_text(tmp_path, text):
    """Read back with a second reader (calamine, the importer's own): still text."""
    import python_calamine as pc

    path = tmp_path / "x.xlsx"
    path.write_bytes(to_xlsx_bytes(pd.DataFrame({"Name": [text]})))
    rows = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert rows == [["Name"], ["'" + text]]
