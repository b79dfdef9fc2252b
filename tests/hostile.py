"""A corpus of bad and hostile import files, each built by a named function at test time.

Nothing big is committed: a builder writes its file into a folder (``tmp_path`` in the tests)
and returns the path. Each :class:`Case` says what must happen: a whole-file rejection (the
exception class and words of its message), a rejection naming rows and columns, or a correct
import (rows inserted and the exact values stored).

``python -m tests.hostile`` builds the biggest cases and prints the peak memory (RSS) of
``python -m analytics import`` on each, measured by the kernel for that process alone.
"""

from __future__ import annotations

import codecs
import gzip
import io
import os
import random
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from analytics.importer import Mapping
from analytics.importer.errors import (
    BadEncoding,
    EmptyFile,
    FileTooLarge,
    HeaderOnly,
    ImportRejected,
    MissingColumns,
    NotText,
    TooManyColumns,
)

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024

#: the mapping most cases use: a leads file with an id, a creation date and a company
LEADS = Mapping(
    kind="leads", columns={"lead_id": "id", "created_at": "created", "company": "company"}
)
HEADER = b"id,created,company\n"
GOOD = b"H1,2026-01-05,Acme\nH2,2026-01-06,Beta\n"

#: hostile texts: markup, script, a javascript: link in markdown, formulas, SQL
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"
MARKDOWN = "**bold** [link](javascript:alert(1))"
FORMULAS = (
    '=HYPERLINK("http://evil.example","x")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
)
SQL = ("'); DROP TABLE leads; --", "1 OR 1=1", 'x" ; DELETE FROM campaigns; --')


@dataclass(frozen=True)
class Case:
    """One bad file and what must happen to it.

    ``outcome``: "file" (a whole-file rejection: ``error`` and ``words``), "rows" (rejected
    with problems at ``problems`` = (row, column, words) and nothing written) or "imported"
    (``inserted`` new leads/campaigns/cost days; ``stored`` = rows expected by ``query``).
    """

    name: str
    build: Callable[[Path], Path]
    outcome: str
    mapping: Mapping = field(default_factory=lambda: Mapping.from_json(LEADS.to_json()))
    error: type[ImportRejected] | None = None
    words: str = ""
    problems: tuple[tuple[int, str, str], ...] = ()
    inserted: int = 0
    query: str = ""
    stored: tuple[tuple[object, ...], ...] = ()
    big: bool = False  # measured for memory by `python -m tests.hostile`
    tags: tuple[str, ...] = field(default_factory=tuple)

    def fresh_mapping(self) -> Mapping:
        return Mapping.from_json(self.mapping.to_json())

    def mapping_json(self, folder: Path) -> Path:
        path = folder / f"{self.name}.mapping.json"
        path.write_text(self.mapping.to_json(), encoding="utf-8")
        return path


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _csv(rows: list[list[str]], delimiter: str = ",") -> bytes:
    buf = io.StringIO()
    import csv

    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


# --------------------------------------------------------------------------------------------
# Builders: empty, truncated, binary


def empty(folder: Path) -> Path:
    return _write(folder, "empty.csv", b"")


def bom_only(folder: Path) -> Path:
    return _write(folder, "bom.csv", codecs.BOM_UTF8)


def blank_lines_only(folder: Path) -> Path:
    return _write(folder, "blank.csv", b"\r\n   \r\n\t\n\n")


def header_only(folder: Path) -> Path:
    return _write(folder, "header.csv", HEADER)


def header_only_bom_crlf(folder: Path) -> Path:
    return _write(folder, "header-bom.csv", codecs.BOM_UTF8 + b"id;created;company\r\n")


def binary_junk(folder: Path) -> Path:
    return _write(folder, "junk.csv", random.Random(6).randbytes(64 * 1024))


def nul_bytes_early(folder: Path) -> Path:
    return _write(folder, "nul-early.csv", HEADER + b"A\x00,2026-01-05,Ac\x00me\n" * 3)


def nul_byte_late(folder: Path) -> Path:
    """Clean text for 300 lines (past every sample), then one NUL in line 302."""
    rows = b"".join(b"L%d,2026-01-05,Acme\n" % i for i in range(300))
    return _write(folder, "nul-late.csv", HEADER + rows + b"Z,2026-01-06,Ac\x00me\n")


def png_named_csv(folder: Path) -> Path:
    return _write(folder, "photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))


def old_xls(folder: Path) -> Path:
    return _write(folder, "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))


def gzip_bomb(folder: Path) -> Path:
    """100 MB of zeros gzipped to about 100 KB, named as if DuckDB should unpack it."""
    with gzip.open(folder / "leads.csv.gz", "wb", compresslevel=1) as fh:
        block = bytes(MB)
        for _ in range(100):
            fh.write(block)
    return folder / "leads.csv.gz"


def xlsx_zip_of_junk(folder: Path) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", random.Random(7).randbytes(2000))
        z.writestr("junk.bin", random.Random(8).randbytes(2000))
    return _write(folder, "report.xlsx", buf.getvalue())


def xlsx_zip_bomb(folder: Path) -> Path:
    """A workbook of about 1 MB whose sheet unpacks to 599 MB of identical rows."""
    row = b'<row><c t="inlineStr"><is><t>boom</t></is></c></row>'
    block = row * (MB // len(row))
    path = folder / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(b"<worksheet><sheetData>")
            for _ in range(600):
                fh.write(block)
            fh.write(b"</sheetData></worksheet>")
    return path


def _real_xlsx(path: Path, rows: list[list[object]]) -> Path:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False})
    ws = wb.add_worksheet("Leads")
    for r, row in enumerate(rows):
        ws.write_row(r, 0, row)
    wb.close()
    return path


def xlsx_truncated(folder: Path) -> Path:
    path = _real_xlsx(
        folder / "whole.xlsx", [["id", "created", "company"], ["A", "2026-01-05", "X"]]
    )
    data = path.read_bytes()
    path.unlink()
    return _write(folder, "cut.xlsx", data[: len(data) // 2])


def csv_named_xlsx(folder: Path) -> Path:
    return _write(folder, "leads.xlsx", HEADER + GOOD)


def csv_10000_columns(folder: Path) -> Path:
    header = ",".join(f"c{i}" for i in range(10_000)).encode()
    row = ",".join(str(i) for i in range(10_000)).encode()
    return _write(folder, "wide.csv", header + b"\n" + row + b"\n")


def xlsx_10000_columns(folder: Path) -> Path:
    return _real_xlsx(folder / "wide.xlsx", [[f"c{i}" for i in range(10_000)], list(range(10_000))])


def all_blank_header(folder: Path) -> Path:
    return _write(folder, "blank-header.csv", b",,\nA,2026-01-05,Acme\n")


# Encodings


def invalid_utf8(folder: Path) -> Path:
    """Latin-1 bytes and stray continuation bytes: neither UTF-8 nor Cyrillic."""
    return _write(folder, "latin.csv", HEADER + b"A,2026-01-05,Andr\xe9 \x98\x80\x81\n")


def truncated_utf8(folder: Path) -> Path:
    body = "A,2026-01-05,Привет\n".encode() * 20 + "B,2026-01-06,Пр".encode()
    return _write(folder, "cut-utf8.csv", HEADER + body[:-1])


def mixed_utf8_cp1251(folder: Path) -> Path:
    utf8 = "A{0},2026-01-05,Ромашка и партнёры\n"
    cp = "B{0},2026-01-06,Ромашка и партнёры\n"
    body = b"".join(utf8.format(i).encode() for i in range(20))
    body += b"".join(cp.format(i).encode("cp1251") for i in range(20))
    return _write(folder, "mixed.csv", HEADER + body)


def bom_then_cp1251(folder: Path) -> Path:
    return _write(
        folder,
        "bom-cp1251.csv",
        codecs.BOM_UTF8 + HEADER + "A,2026-01-05,Ромашка\n".encode("cp1251"),
    )


def utf16_lone_surrogate(folder: Path) -> Path:
    text = "id,created,company\nA,2026-01-05,X\n".encode("utf-16-le")
    return _write(
        folder, "u16.csv", codecs.BOM_UTF16_LE + text + b"\x00\xd8" + "Y\n".encode("utf-16-le")
    )


# Rows that cannot be split


def truncated_mid_row(folder: Path) -> Path:
    return _write(folder, "cut.csv", HEADER + GOOD + b"H3,2026-01")


def unclosed_quote(folder: Path) -> Path:
    return _write(folder, "quote.csv", HEADER + b'H1,2026-01-05,"Acme\nH2,2026-01-06,Beta\n')


def line_of_10mb(folder: Path) -> Path:
    with (folder / "long-line.csv").open("wb") as fh:
        fh.write(HEADER + b"H1,2026-01-05,Acme\nH2,2026-01-06,")
        for _ in range(10):
            fh.write(b"x" * MB)
        fh.write(b"\nH3,2026-01-07,Gamma\n")
    return folder / "long-line.csv"


def huge_quoted_field(folder: Path) -> Path:
    """A zip-bomb-like single field: 30 MB between two quotes, newlines and commas inside."""
    with (folder / "huge-field.csv").open("wb") as fh:
        fh.write(HEADER + b'H1,2026-01-05,"')
        chunk = b"ab,cd\n" * (MB // 6)
        for _ in range(30):
            fh.write(chunk)
        fh.write(b'"\nH2,2026-01-06,Beta\n')
    return folder / "huge-field.csv"


def field_of_5mb(folder: Path) -> Path:
    return _write(folder, "long-field.csv", HEADER + b"H1,2026-01-05," + b"y" * (5 * MB) + b"\n")


def ragged_100k_rows(folder: Path) -> Path:
    with (folder / "ragged.csv").open("wb") as fh:
        fh.write(HEADER)
        for i in range(100_000):
            fh.write(b"R%d,2026-01-05,Acme,extra\n" % i)
    return folder / "ragged.csv"


# Values


def negative_spend(folder: Path) -> Path:
    return _write(
        folder,
        "costs.csv",
        b"campaign,day,spend\nC1,2026-05-01,100\nC1,2026-05-02,-250.50\nC2,2026-05-01,-0.01\n",
    )


COSTS = Mapping(kind="costs", columns={"campaign_id": "campaign", "day": "day", "spend": "spend"})


def negative_deal_value(folder: Path) -> Path:
    return _write(folder, "deals.csv", b"id,created,deal\nH1,2026-01-05,-5000\nH2,2026-01-06,10\n")


DEALS = Mapping(
    kind="leads", columns={"lead_id": "id", "created_at": "created", "deal_value": "deal"}
)
SIZES = Mapping(
    kind="leads",
    columns={
        "lead_id": "id",
        "created_at": "created",
        "company_size": "size",
        "deal_value": "deal",
    },
)


def dates_year_0001_and_9999(folder: Path) -> Path:
    return _write(
        folder,
        "years.csv",
        HEADER + b"H1,0001-01-01,A\nH2,9999-12-31 23:59:59,B\nH3,0000-00-00,C\nH4,2026-01-05,D\n",
    )


def costs_day_9999(folder: Path) -> Path:
    return _write(folder, "costs-9999.csv", b"campaign,day,spend\nC1,9999-12-31,1\n")


def integers_2_pow_63(folder: Path) -> Path:
    return _write(
        folder,
        "big.csv",
        b"id,created,size,deal\n"
        b"H1,2026-01-05,9223372036854775808,9223372036854775808\n"
        b"H2,2026-01-05,-9223372036854775808,10\n"
        b"H3,2026-01-05,9223372036854775807,10\n"
        b"H4,2026-01-05,120,18446744073709551616\n",
    )


def nan_inf_strings(folder: Path) -> Path:
    return _write(
        folder,
        "nan.csv",
        b"id,created,deal\nH1,2026-01-05,inf\nH2,2026-01-05,-Infinity\n"
        b"H3,2026-01-05,1e400\nH4,2026-01-05,NaN\nH5,2026-01-05,12.5\n",
    )


def impressions_infinity(folder: Path) -> Path:
    return _write(
        folder, "imp.csv", b"campaign,day,impressions\nC1,2026-05-01,Infinity\nC1,2026-05-02,5\n"
    )


IMPRESSIONS = Mapping(
    kind="costs", columns={"campaign_id": "campaign", "day": "day", "impressions": "impressions"}
)


def terminal_escapes(folder: Path) -> Path:
    """A bad date carrying ANSI escape codes, among 60 good rows (so the file is text)."""
    rows = b"".join(b"E%d,2026-01-05,Acme\n" % i for i in range(60))
    return _write(folder, "ansi.csv", HEADER + rows + b"E99,\x1b[2J\x1b[31mRED,Acme\n")


# Correct imports of hostile text


def formula_cells(folder: Path) -> Path:
    rows = [["id", "created", "company"]]
    rows += [[f"F{i}", "2026-01-05", v] for i, v in enumerate(FORMULAS)]
    return _write(folder, "formulas.csv", _csv(rows))


#: every free-text lead field, mapped from a column of the same name
TEXT_FIELDS = ("company", "source", "industry", "region", "email", "owner", "lost_reason")
TEXTS = Mapping(
    kind="leads",
    columns={"lead_id": "id", "created_at": "created", **{f: f for f in TEXT_FIELDS}},
)


def html_in_every_text_field(folder: Path) -> Path:
    rows = [["id", "created", *TEXT_FIELDS]]
    for i, text in enumerate((IMG, SCRIPT, MARKDOWN)):
        rows.append([f"X{i}", "2026-01-05", *[text] * len(TEXT_FIELDS)])
    return _write(folder, "html.csv", _csv(rows))


SQL_HEADERS = Mapping(
    kind="leads",
    delimiter=",",  # ';' splits the header as consistently: the user confirms ','
    columns={
        "lead_id": 'id"; DROP TABLE leads; --',
        "created_at": "created'); DELETE FROM leads; --",
        "company": SQL[0],
    },
)


def sql_in_headers_and_values(folder: Path) -> Path:
    rows = [list(SQL_HEADERS.columns.values())]
    rows += [[v, "2026-01-05", v] for v in SQL]
    return _write(folder, "sql.csv", _csv(rows))


def sql_campaign_ids_in_costs(folder: Path) -> Path:
    rows = [["campaign", "day", "spend"]] + [[v, "2026-05-01", "10"] for v in SQL]
    return _write(folder, "sql-costs.csv", _csv(rows))


def duplicate_ids_conflicting(folder: Path) -> Path:
    """D1 twice with different values (the first wins); lead_only is in the database."""
    return _write(
        folder,
        "dups.csv",
        HEADER + b"D1,2026-01-05,First\nD1,2026-02-07,Second\nlead_only,2026-03-01,Changed\n",
    )


def duplicate_headers(folder: Path) -> Path:
    return _write(folder, "dup-head.csv", b"id,created,company,company\nH1,2026-01-05,One,Two\n")


def cr_only_line_ends(folder: Path) -> Path:
    return _write(folder, "mac.csv", HEADER.replace(b"\n", b"\r") + GOOD.replace(b"\n", b"\r"))


def blank_lines_between(folder: Path) -> Path:
    return _write(folder, "gaps.csv", HEADER + b"H1,2026-01-05,Acme\n\n\n\nH2,2026-01-06,Beta\n")


def unicode_tricks(folder: Path) -> Path:
    """Right-to-left override, zero-width joiner, emoji and a BOM inside a value."""
    names = ("\u202egnp.exe", "a\u200db", "🚀 Рост", "x\ufeffy")
    rows = [["id", "created", "company"]] + [
        [f"U{i}", "2026-01-05", n] for i, n in enumerate(names)
    ]
    return _write(folder, "unicode.csv", _csv(rows))


def xlsx_hostile_text(folder: Path) -> Path:
    rows: list[list[object]] = [["id", "created", "company"]]
    rows += [[f"F{i}", "2026-01-05", v] for i, v in enumerate((*FORMULAS[:4], IMG, SQL[0]))]
    return _real_xlsx(folder / "hostile.xlsx", rows)


def _leads_query(prefix: str) -> str:
    return f"SELECT lead_id, company FROM leads WHERE lead_id LIKE '{prefix}%' ORDER BY lead_id"


CASES: tuple[Case, ...] = (
    # whole-file rejections
    Case("empty", empty, "file", error=EmptyFile, words="empty"),
    Case("bom_only", bom_only, "file", error=EmptyFile, words="empty"),
    Case("blank_lines_only", blank_lines_only, "file", error=EmptyFile, words="empty"),
    Case("header_only", header_only, "file", error=HeaderOnly, words="no data rows"),
    Case("header_only_bom_crlf", header_only_bom_crlf, "file", error=HeaderOnly, words="3 columns"),
    Case("binary_junk", binary_junk, "file", error=NotText, words="binary"),
    Case("nul_bytes_early", nul_bytes_early, "file", error=NotText, words="binary"),
    Case("nul_byte_late", nul_byte_late, "file", error=NotText, words="Line 302"),
    Case("png_named_csv", png_named_csv, "file", error=NotText, words="binary"),
    Case("old_xls", old_xls, "file", error=NotText, words="save it as .xlsx"),
    Case("gzip_bomb", gzip_bomb, "file", error=NotText, words="archive", big=True),
    Case("xlsx_zip_of_junk", xlsx_zip_of_junk, "file", error=NotText, words="Excel workbook"),
    Case(
        "xlsx_zip_bomb",
        xlsx_zip_bomb,
        "file",
        error=FileTooLarge,
        words="unpack to 599 MB, more than 512 MB can be read",
        big=True,
    ),
    Case("xlsx_truncated", xlsx_truncated, "file", error=NotText, words="Excel workbook"),
    Case("csv_named_xlsx", csv_named_xlsx, "file", error=NotText, words="is not one"),
    Case(
        "csv_10000_columns",
        csv_10000_columns,
        "file",
        error=TooManyColumns,
        words="10000 columns; at most 1000",
        big=True,
    ),
    Case(
        "xlsx_10000_columns",
        xlsx_10000_columns,
        "file",
        error=TooManyColumns,
        words="10000 columns; at most 1000",
        big=True,
    ),
    Case(
        "all_blank_header",
        all_blank_header,
        "file",
        error=MissingColumns,
        words="Check the header",
    ),
    Case("invalid_utf8", invalid_utf8, "file", error=BadEncoding, words="--encoding"),
    Case("truncated_utf8", truncated_utf8, "file", error=BadEncoding, words="cut short"),
    Case(
        "mixed_utf8_cp1251",
        mixed_utf8_cp1251,
        "file",
        error=BadEncoding,
        words="line 2 is UTF-8, line 22 is not",
    ),
    Case("bom_then_cp1251", bom_then_cp1251, "file", error=BadEncoding, words="utf-8-sig"),
    Case("utf16_lone_surrogate", utf16_lone_surrogate, "file", error=BadEncoding, words="utf-16"),
    # rejected with row, column and what to do; nothing written
    Case(
        "truncated_mid_row",
        truncated_mid_row,
        "rows",
        problems=((4, "—", "2 fields, the header has 3"),),
    ),
    Case("unclosed_quote", unclosed_quote, "rows", problems=((2, "—", "never closed"),)),
    Case("line_of_10mb", line_of_10mb, "rows", problems=((3, "—", "longer than 8 MB"),), big=True),
    Case(
        "huge_quoted_field",
        huge_quoted_field,
        "rows",
        mapping=Mapping(kind="leads", columns=dict(LEADS.columns), delimiter=","),
        problems=((2, "—", "longer than 8 MB"),),
        big=True,
    ),
    Case(
        "field_of_5mb",
        field_of_5mb,
        "rows",
        problems=((2, "company", "longer than 32767 characters"),),
        big=True,
    ),
    Case(
        "ragged_100k_rows",
        ragged_100k_rows,
        "rows",
        mapping=Mapping(kind="leads", columns=dict(LEADS.columns), delimiter=","),
        problems=((2, "—", "4 fields, the header has 3"), (3, "—", "4 fields, the header has 3")),
        big=True,
    ),
    Case(
        "negative_spend",
        negative_spend,
        "rows",
        mapping=COSTS,
        problems=((3, "spend", "must not be negative"), (4, "spend", "must not be negative")),
    ),
    Case(
        "negative_deal_value",
        negative_deal_value,
        "rows",
        mapping=DEALS,
        problems=((2, "deal", "must not be negative"),),
    ),
    Case(
        "dates_year_0001_and_9999",
        dates_year_0001_and_9999,
        "rows",
        problems=(
            (2, "created", "year is outside 1990–2100"),
            (3, "created", "year is outside 1990–2100"),
            (4, "created", "not a date in YYYY-MM-DD"),
        ),
    ),
    Case(
        "costs_day_9999",
        costs_day_9999,
        "rows",
        mapping=COSTS,
        problems=((2, "day", "year is outside 1990–2100"),),
    ),
    Case(
        "integers_2_pow_63",
        integers_2_pow_63,
        "rows",
        mapping=SIZES,
        problems=(
            (2, "deal", "too large"),
            (2, "size", "too large"),
            (3, "size", "must not be negative"),
            (3, "size", "too large"),
            (4, "size", "too large"),
            (5, "deal", "too large"),
        ),
    ),
    Case(
        "nan_inf_strings",
        nan_inf_strings,
        "rows",
        mapping=DEALS,
        problems=(
            (2, "deal", "not a number"),
            (3, "deal", "not a number"),
            (4, "deal", "not a number"),
        ),
    ),
    Case(
        "impressions_infinity",
        impressions_infinity,
        "rows",
        mapping=IMPRESSIONS,
        problems=((2, "impressions", "not a whole number"),),
    ),
    Case(
        "terminal_escapes",
        terminal_escapes,
        "rows",
        problems=((62, "created", "not a date"),),
    ),
    # correct imports: hostile text stored exactly as typed, nothing else touched
    Case(
        "formula_cells",
        formula_cells,
        "imported",
        inserted=len(FORMULAS),
        query=_leads_query("F"),
        stored=tuple((f"F{i}", v) for i, v in enumerate(FORMULAS)),  # tab, CR kept
    ),
    Case(
        "html_in_every_text_field",
        html_in_every_text_field,
        "imported",
        mapping=TEXTS,
        inserted=3,
        query="SELECT lead_id, " + ", ".join(TEXT_FIELDS) + " FROM leads "
        "WHERE lead_id LIKE 'X%' ORDER BY lead_id",
        stored=tuple(
            (f"X{i}", *[t] * len(TEXT_FIELDS)) for i, t in enumerate((IMG, SCRIPT, MARKDOWN))
        ),
    ),
    Case(
        "sql_in_headers_and_values",
        sql_in_headers_and_values,
        "imported",
        mapping=SQL_HEADERS,
        inserted=3,
        query="SELECT lead_id, company FROM leads WHERE company = lead_id ORDER BY lead_id",
        stored=tuple(sorted((v, v) for v in SQL)),
    ),
    Case(
        "sql_campaign_ids_in_costs",
        sql_campaign_ids_in_costs,
        "imported",
        mapping=COSTS,
        inserted=3,
        query="SELECT campaign_id, name, spend FROM campaigns JOIN campaign_costs "
        "USING (campaign_id) WHERE day = '2026-05-01' ORDER BY campaign_id",
        stored=tuple(sorted((v, v, 10) for v in SQL)),
    ),
    Case(
        "duplicate_ids_conflicting",
        duplicate_ids_conflicting,
        "imported",
        inserted=1,
        query="SELECT lead_id, company FROM leads WHERE lead_id IN ('D1', 'lead_only') "
        "ORDER BY lead_id",
        stored=(("D1", "First"), ("lead_only", None)),
    ),
    Case(
        "duplicate_headers",
        duplicate_headers,
        "imported",
        mapping=Mapping(
            kind="leads",
            columns={"lead_id": "id", "created_at": "created", "company": "company (2)"},
        ),
        inserted=1,
        query=_leads_query("H"),
        stored=(("H1", "Two"),),
    ),
    Case(
        "cr_only_line_ends",
        cr_only_line_ends,
        "imported",
        inserted=2,
        query=_leads_query("H"),
        stored=(("H1", "Acme"), ("H2", "Beta")),
    ),
    Case(
        "blank_lines_between",
        blank_lines_between,
        "imported",
        inserted=2,
        query=_leads_query("H"),
        stored=(("H1", "Acme"), ("H2", "Beta")),
    ),
    Case(
        "unicode_tricks",
        unicode_tricks,
        "imported",
        inserted=4,
        query=_leads_query("U"),
        stored=(("U0", "\u202egnp.exe"), ("U1", "a\u200db"), ("U2", "🚀 Рост"), ("U3", "x\ufeffy")),
    ),
    Case(
        "xlsx_hostile_text",
        xlsx_hostile_text,
        "imported",
        inserted=6,
        query=_leads_query("F"),
        stored=tuple((f"F{i}", v) for i, v in enumerate((*FORMULAS[:4], IMG, SQL[0]))),
    ),
    Case(
        "nan_reads_as_empty",
        lambda folder: _write(folder, "nan-empty.csv", b"id,created,deal\nN1,2026-01-05,NaN\n"),
        "imported",
        mapping=DEALS,
        inserted=1,
        query="SELECT lead_id, deal_value FROM leads WHERE lead_id = 'N1'",
        stored=(("N1", None),),
    ),
)


def by_name(name: str) -> Case:
    return next(c for c in CASES if c.name == name)


# --------------------------------------------------------------------------------------------
# Peak memory of the CLI


def cli_command(case: Case, path: Path, db: Path, mapping: Path) -> list[str]:
    return [
        sys.executable, "-m", "analytics", "import", str(path), "--db", str(db),
        "--mapping", str(mapping), "--format", "json",
    ]  # fmt: skip


#: Runs ``python -m analytics ARGS`` and, at exit, writes the process's own peak RSS (VmHWM, the
#: kernel's high-water mark of this process's memory since its exec) to the file in argv[1].
_MEASURED = """
import atexit, runpy, sys
out = sys.argv.pop(1)
def peak():
    with open('/proc/self/status') as fh:
        kb = next(line.split()[1] for line in fh if line.startswith('VmHWM:'))
    with open(out, 'w') as fh:
        fh.write(kb)
atexit.register(peak)
sys.argv[0] = 'analytics'
runpy.run_module('analytics', run_name='__main__', alter_sys=True)
"""


def run_cli(cmd: list[str], timeout: float = 300) -> tuple[int, str, str, int]:
    """(exit code, stdout, stderr, peak RSS in MB) of one CLI run. The peak is the CLI process's
    own (VmHWM after its exec). Not ``wait4``'s ru_maxrss: Linux carries the parent's memory at
    fork into the child's figure, so a large test runner (chdb loaded in it) would inflate it."""
    import signal

    assert cmd[1:3] == ["-m", "analytics"], cmd
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryFile() as out, \
            tempfile.TemporaryFile() as err:  # fmt: skip
        hwm = Path(tmp) / "vmhwm"
        measured = [cmd[0], "-c", _MEASURED, str(hwm), *cmd[3:]]
        proc = subprocess.Popen(measured, cwd=ROOT, stdout=out, stderr=err)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            raise TimeoutError(" ".join(cmd)) from None
        out.seek(0)
        err.seek(0)
        if not hwm.exists():  # killed before its exit handlers: no figure, and no pass
            raise RuntimeError(f"the CLI did not report its peak memory: {' '.join(cmd)}")
        peak_kb = int(hwm.read_text())
        return proc.returncode, out.read().decode(), err.read().decode(), peak_kb // 1024


def main() -> None:
    from analytics import store

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = folder / "db.duckdb"
        with store.writing(db, create=True):
            pass
        print(f"{'case':<22} {'file MB':>8} {'exit':>5} {'peak RSS MB':>12}")
        for case in CASES:
            if not case.big:
                continue
            path = case.build(folder)
            code, _, _, rss = run_cli(cli_command(case, path, db, case.mapping_json(folder)))
            print(f"{case.name:<22} {path.stat().st_size / MB:>8.1f} {code:>5} {rss:>12}")
            path.unlink()


if __name__ == "__main__":
    main()
