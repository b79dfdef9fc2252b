"""Period presets, formatting, safe exports."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest

from analytics.export import neutralise, to_csv_bytes
from analytics.formatting import (
    fmt_change_pct,
    fmt_change_pp,
    fmt_int,
    fmt_money,
    fmt_percent,
)
from analytics.periods import preset_period


@pytest.mark.parametrize(
    ("preset", "today", "expected"),
    [
        # Sunday 2026-11-22: the current ISO week is Nov 16-22, so last week is Nov 9-15
        ("last_week", date(2026, 11, 22), (date(2026, 11, 9), date(2026, 11, 15))),
        # Monday: the week that just ended
        ("last_week", date(2026, 11, 23), (date(2026, 11, 16), date(2026, 11, 22))),
        ("last_4_weeks", date(2026, 11, 22), (date(2026, 10, 19), date(2026, 11, 15))),
        ("this_quarter", date(2026, 11, 22), (date(2026, 10, 1), date(2026, 11, 22))),
        ("this_quarter", date(2026, 1, 1), (date(2026, 1, 1), date(2026, 1, 1))),
        ("last_12_months", date(2026, 11, 22), (date(2025, 11, 23), date(2026, 11, 22))),
        ("all_time", date(2026, 11, 22), (None, None)),
    ],
)
def test_presets(preset, today, expected):
    assert preset_period(preset, today) == expected


def test_unknown_preset():
    with pytest.raises(ValueError, match="unknown period preset"):
        preset_period("fortnight", date(2026, 1, 1))


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [(1234567, "en", "1,234,567"), (1234567, "ru", "1\xa0234\xa0567"), (None, "en", "–")],
)
def test_int(value, lang, expected):
    assert fmt_int(value, lang) == expected


def test_percent_and_changes():
    assert fmt_percent(0.02) == "2.0%"
    assert fmt_percent(0.02, "ru") == "2,0\xa0%" or fmt_percent(0.02, "ru") == "2,0%"
    assert fmt_percent(None) == "–"
    assert fmt_change_pct(-0.18) == "-18.0%"  # ASCII minus: Streamlit picks the arrow from it
    assert fmt_change_pct(0.05) == "+5.0%"
    assert fmt_change_pp(0.335 - 0.305) == "+3.0\xa0pp"
    assert fmt_change_pp(-0.026, "ru") == "-2,6\xa0п. п."


@pytest.mark.parametrize(
    ("value", "currency", "lang", "compact", "expected"),
    [
        (1000, "RUB", "en", False, "₽1,000"),
        (1234.5, "USD", "en", False, "$1,234"),
        (12.5, "EUR", "en", False, "€12.50"),
        (1000, "RUB", "ru", False, "1\xa0000\xa0₽"),
        (1_700_000, "RUB", "en", True, "₽1.7M"),
        (371_800, "RUB", "en", True, "₽372K"),
        (969.89, "RUB", "en", True, "₽970"),
        (20_900_000, "RUB", "ru", True, "20,9\xa0млн\xa0₽"),
        (1000, "PLN", "en", False, "zł\xa01,000"),
        (None, "RUB", "en", False, "–"),
    ],
)
def test_money(value, currency, lang, compact, expected):
    assert fmt_money(value, currency, lang, compact=compact) == expected


def test_money_without_symbol():
    assert fmt_money(40_300, "RUB", "ru", compact=True, symbol=False) == "40,3\xa0тыс."


@pytest.mark.parametrize("cell", ["=1+1", "+7 916", "-2", "@SUM(A1)", "\tx", "\r=1"])
def test_formula_cells_are_neutralised(cell):
    assert neutralise(cell) == "'" + cell


def test_csv_export_opens_with_neutralised_cells_and_numbers_intact():
    df = pd.DataFrame(
        {"name": ['=HYPERLINK("http://x")', "ok"], "spend": [-5.0, 10.0], "=evil": [1, 2]}
    )
    raw = to_csv_bytes(df)
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM for Excel
    back = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
    assert back["name"].tolist() == ['\'=HYPERLINK("http://x")', "ok"]
    assert back["spend"].tolist() == [-5.0, 10.0]  # numbers are numbers, not text
    assert list(back.columns)[2] == "'=evil"


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("anna.belova3@zenit.example", "a***@zenit.example"),
        ("x@y.ru", "x***@y.ru"),
        ("no-at-sign", "***"),
        ("", ""),
        (None, None),
    ],
)
def test_mask_email(email, masked):
    from analytics.privacy import mask_email

    assert mask_email(email) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+7 (916) 123-45-67", "+7 *** *** 45 67"),
        ("8 916 123-45-67", "8 *** *** 45 67"),
        ("123", "***"),
        (None, None),
    ],
)
def test_mask_phone(phone, masked):
    from analytics.privacy import mask_phone

    assert mask_phone(phone) == masked


def test_excel_export_keeps_formula_text_as_text(tmp_path):
    import openpyxl

    from analytics.export import to_xlsx_bytes

    df = pd.DataFrame({"name": ["=1+1", "@cmd", "ok"], "spend": [-5.0, 2.5, 0.0]})
    path = tmp_path / "t.xlsx"
    path.write_bytes(to_xlsx_bytes(df))
    ws = openpyxl.load_workbook(path).active
    cells = [[c.value for c in row] for row in ws.iter_rows()]
    assert cells[0] == ["name", "spend"]
    assert [r[0] for r in cells[1:]] == ["'=1+1", "'@cmd", "ok"]
    assert all(ws.cell(row=r, column=1).data_type == "s" for r in (2, 3, 4))  # text, no formula
    assert [r[1] for r in cells[1:]] == [-5.0, 2.5, 0.0]


def test_compact_money_without_symbol_drops_decimals_of_whole_values():
    from analytics.formatting import fmt_money

    assert fmt_money(0, "RUB", compact=True, symbol=False) == "0"  # a week without revenue
    assert fmt_money(50, "RUB", compact=True, symbol=False) == "50"
    assert fmt_money(13.68, "RUB", compact=True, symbol=False) == "13.68"
    assert fmt_money(0, "RUB", symbol=False) == "0.00"  # not compact: as before


def test_date_range_day_month_and_signed_int():
    from datetime import date

    from analytics.formatting import fmt_date_range, fmt_day_month, fmt_signed_int

    assert fmt_date_range(date(2026, 11, 9), date(2026, 11, 15)) == "Nov 9\u2009–\u200915, 2026"
    assert fmt_date_range(date(2026, 11, 9), date(2026, 11, 15), "ru") == "9—15 нояб. 2026\u202fг."
    assert fmt_date_range(date(2026, 12, 28), date(2027, 1, 3)).startswith("Dec 28, 2026")
    assert fmt_date_range(None, date(2026, 1, 1)) == "–"
    assert (fmt_day_month(date(2026, 11, 9)), fmt_day_month(date(2026, 11, 9), "ru")) == (
        "Nov 9",
        "9 нояб.",
    )
    assert (fmt_signed_int(6), fmt_signed_int(-1234, "ru"), fmt_signed_int(0)) == (
        "+6",
        "-1\xa0234",
        "0",
    )
