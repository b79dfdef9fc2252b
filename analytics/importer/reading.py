"""Reading a file into a staging table of text columns: detect the encoding and the delimiter,
transcode to UTF-8 in streaming chunks when needed, and let DuckDB read it.

Nothing here builds Python objects per row of a CSV: DuckDB reads the file. An .xlsx sheet is
read with python-calamine (Excel caps a sheet at about a million rows) into Arrow columns.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import duckdb

from analytics.i18n import t
from analytics.importer.errors import (
    BadEncoding,
    EmptyFile,
    FileTooLarge,
    HeaderOnly,
    ImportRejected,
    NotText,
    TooManyColumns,
    UnsureDelimiter,
)
from analytics.sql import quote_ident

DELIMITERS: Final[tuple[str, ...]] = (",", ";", "\t", "|")
DELIMITER_NAMES: Final[dict[str, str]] = {",": ",", ";": ";", "\t": "tab", "|": "|"}
ENCODINGS: Final[tuple[str, ...]] = ("utf-8", "utf-8-sig", "cp1251", "utf-16", "latin-1")
MAX_COLUMNS: Final[int] = 1000
MAX_XLSX_UNPACKED: Final[int] = 512 * 1024 * 1024  #: sheets of a workbook, unpacked
MIXED_SCAN_BYTES: Final[int] = 32 * 1024 * 1024  #: how far a cp1251 file is checked for UTF-8
MAX_LINE_BYTES: Final[int] = 8_000_000  #: a longer line is reported as a bad row
csv.field_size_limit(MAX_LINE_BYTES)  # the sample and header are parsed with the csv module
SAMPLE_BYTES: Final[int] = 256 * 1024
CHUNK: Final[int] = 4 * 1024 * 1024
ROW: Final[str] = "__row"  #: the staging column with the spreadsheet row number (header = 1)
RAW: Final[str] = "raw"  #: the staging table

Progress = Callable[[float, str], None]


@dataclass
class Detected:
    """What was found out about a file, shown to the user before anything else happens."""

    name: str
    format: str  # "csv" or "xlsx"
    encoding: str | None = None  # as read (utf-8, utf-8-sig, cp1251, utf-16...)
    delimiter: str | None = None
    delimiter_sure: bool = True
    headers: list[str] = field(default_factory=list)  # as the user sees them (deduplicated)
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (original, new name)
    rows: int = 0  # data rows read into the staging table
    ragged: list[tuple[int, int, str]] = field(default_factory=list)  # (row, fields, text)
    ragged_total: int = 0
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)  # every sheet of a workbook
    #: why a row in ``ragged`` could not be read: a message key (default "upload.bad.ragged")
    ragged_why: dict[int, str] = field(default_factory=dict)

    def delimiter_name(self) -> str:
        return DELIMITER_NAMES.get(self.delimiter or "", self.delimiter or "")


#: file signatures of binary formats: zip/xlsx, OLE2 (.xls), PDF, PNG, JPEG, GIF, gzip, bzip2,
#: xz, 7-Zip, RAR, zstd; an archive is refused, never unpacked (a tiny .gz can hold gigabytes)
BINARY_MAGIC: Final[tuple[bytes, ...]] = (
    b"PK\x03\x04",
    b"\xd0\xcf\x11\xe0",
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8",
    b"GIF8",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ\x00",
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"\x28\xb5\x2f\xfd",
)


def _looks_binary(sample: bytes) -> bool:
    if sample.startswith(BINARY_MAGIC):
        return True
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    head = sample[:4096]
    if b"\x00" in head:
        # UTF-16 without a BOM has a NUL in every other byte; anything else with NULs is binary
        odd = head[1::2].count(0) > len(head) // 4
        even = head[0::2].count(0) > len(head) // 4
        return not (odd or even)
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    return control > len(head) // 20


def detect_encoding(path: Path, lang: str = "en") -> str:
    """utf-8-sig / utf-16 by BOM; else UTF-8 if the whole file decodes; else cp1251 when the
    high bytes look Cyrillic; else refuse with advice. Reads the file in chunks."""
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    with path.open("rb") as fh:
        sample = fh.read(4096)
    if b"\x00" in sample:
        return "utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be"
    decoder = codecs.getincrementaldecoder("utf-8")()
    high = Counter[int]()
    done = 0  # bytes decoded before the chunk being read
    lines = 0  # line breaks before the chunk being read
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                if b"\x00" in chunk:  # a NUL byte is not text in any 8-bit encoding
                    line = lines + chunk.count(b"\n", 0, chunk.index(b"\x00")) + 1
                    raise NotText(t("upload.err.nul_byte", lang, line=line))
                lines += chunk.count(b"\n")
                decoder.decode(chunk)
                done += len(chunk)
        decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and done == path.stat().st_size:
            # valid UTF-8 up to a character cut in half by the end of the file
            raise BadEncoding(t("upload.err.truncated_text", lang)) from None
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    high.update(b for b in sample if b >= 0x80)
    total = sum(high.values())
    cyrillic = sum(n for b, n in high.items() if b >= 0xC0 or b in (0xA8, 0xB8))
    if total and cyrillic / total > 0.6:
        utf8_line = _utf8_cyrillic_line(path)
        if utf8_line is not None:
            # some lines are UTF-8 Cyrillic, others not: cp1251 would garble the UTF-8 ones
            raise BadEncoding(
                t("upload.err.mixed_encoding", lang, line=utf8_line, other=_bad_utf8_line(path))
            )
        return "cp1251"
    raise BadEncoding(t("upload.err.bad_encoding", lang))


#: two UTF-8 Cyrillic letters in a row (lead byte D0/D1, then a continuation byte); in cp1251
#: text that would be Р or С followed by Ё, ё or punctuation, twice over: next to never
_UTF8_CYRILLIC: Final[re.Pattern[bytes]] = re.compile(rb"(?:[\xd0\xd1][\x80-\xbf]){2}")


def _utf8_cyrillic_line(path: Path) -> int | None:
    """The first line (1-based) that is valid UTF-8 holding UTF-8 Cyrillic words, or None.
    Scans the first ``MIXED_SCAN_BYTES`` of the file (about 10 MB a second)."""
    lines = 0
    with path.open("rb") as fh:
        rest = b""
        while fh.tell() < MIXED_SCAN_BYTES and (chunk := fh.read(CHUNK)):
            data = rest + chunk
            cut = data.rfind(b"\n") + 1
            if cut == 0 and len(data) < 4 * CHUNK:
                rest = data
                continue
            block, rest = (data[:cut], data[cut:]) if cut else (data, b"")
            found = _first_utf8_line(block)
            if found is not None:
                return lines + found
            lines += block.count(b"\n")
        found = _first_utf8_line(rest)
        return None if found is None else lines + found


def _first_utf8_line(block: bytes) -> int | None:
    for match in _UTF8_CYRILLIC.finditer(block):
        start = block.rfind(b"\n", 0, match.start()) + 1
        end = block.find(b"\n", match.end())
        try:
            block[start : None if end < 0 else end].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return block.count(b"\n", 0, start) + 1
    return None


def _bad_utf8_line(path: Path) -> int:
    """The first line (1-based) of ``path`` that is not valid UTF-8."""
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 0


def _transcode(path: Path, encoding: str, out_dir: Path, lang: str) -> Path:
    """The file re-encoded as UTF-8 (no BOM), streamed in chunks."""
    if encoding == "utf-8":
        return path
    target = out_dir / (path.stem + ".utf8.csv")
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as dst:
            first = True
            while chunk := src.read(CHUNK):
                text = decoder.decode(chunk)
                if first:
                    text = text.lstrip("\ufeff")
                    first = False
                dst.write(text)
            dst.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as exc:
        raise BadEncoding(
            t("upload.err.decode_failed", lang, encoding=encoding, position=exc.start)
        ) from None
    return target


def _sample_text(path: Path, limit: int = SAMPLE_BYTES) -> str:
    """The first lines of a UTF-8 file with universal line ends (a CR-only file from an old
    Mac reads like any other; DuckDB reads such files as they are)."""
    with path.open("rb") as fh:
        data = fh.read(limit)
    text = data.decode("utf-8", errors="ignore").replace("\r\n", "\n").replace("\r", "\n")
    if len(data) == limit and "\n" in text:
        text = text[: text.rfind("\n")]  # whole lines only
    return text


def sniff_delimiter(text: str) -> tuple[str, bool]:
    """(delimiter, sure). Sure when exactly one candidate splits the sample's rows into the
    same number (> 1) of fields; otherwise the best guess, to be confirmed by the user."""
    scores: dict[str, tuple[bool, float, int]] = {}
    for delim in DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO(text), delimiter=delim))[:200]
        except csv.Error:
            continue
        rows = [r for r in rows if r]
        if not rows:
            continue
        widths = Counter(len(r) for r in rows)
        width, count = widths.most_common(1)[0]
        if width > 1:
            # the header splits like the rows, and (almost) every row splits the same way
            steady = len(rows[0]) == width and count / len(rows) >= 0.5
            scores[delim] = (steady, count / len(rows), width)
    if not scores:
        return ",", False
    best = max(scores, key=lambda d: scores[d])
    consistent = [d for d, score in scores.items() if score[0]]
    return best, consistent == [best]


def dedupe_headers(raw: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Empty headers become "column N"; repeats get " (2)", " (3)"; renames are returned."""
    out: list[str] = []
    renamed: list[tuple[str, str]] = []
    seen: set[str] = set()
    for i, name in enumerate(raw, start=1):
        base = name.strip().lstrip("\ufeff") or f"column {i}"
        new, n = base, 1
        while new.lower() in seen:
            n += 1
            new = f"{base} ({n})"
        seen.add(new.lower())
        if new != name:
            renamed.append((name, new))
        out.append(new)
    return out, renamed


#: read_csv options that are constants of the code (the path, the columns and the delimiter
#: are bound as parameters)
_CSV_OPTIONS: Final[str] = (
    "quote = '\"', escape = '\"', header = true, auto_detect = false, nullstr = $nullstr, "
    "strict_mode = true, ignore_errors = true, store_rejects = true, "
    f"max_line_size = {MAX_LINE_BYTES}"
)


def read_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    name: str,
    encoding: str | None = None,
    delimiter: str | None = None,
    lang: str = "en",
    work_dir: Path | None = None,
    progress: Progress | None = None,
) -> Detected:
    """Read a CSV file into table ``raw`` (text columns + ``__row``) of ``con``."""
    size = path.stat().st_size
    if size == 0:
        raise EmptyFile(t("upload.err.empty_file", lang))
    with path.open("rb") as fh:
        sample = fh.read(8192)
    if not sample.strip(b" \t\r\n\xef\xbb\xbf"):
        raise EmptyFile(t("upload.err.empty_file", lang))
    if encoding is None:
        if _looks_binary(sample):
            raise NotText(t("upload.err.not_text", lang))
        encoding = detect_encoding(path, lang)
    else:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise BadEncoding(t("upload.err.unknown_encoding", lang, encoding=encoding)) from None
    if progress:
        progress(0.05, "decode")
    own_dir = work_dir is None
    tmp = Path(tempfile.mkdtemp(prefix="voronka-import-")) if work_dir is None else work_dir
    try:
        utf8 = _transcode(path, encoding, tmp, lang)
        text = _sample_text(utf8)
        if not text.strip():
            raise EmptyFile(t("upload.err.empty_file", lang))
        sure = True
        if delimiter is None:
            delimiter, sure = sniff_delimiter(text)
        elif delimiter not in DELIMITERS and len(delimiter) != 1:
            raise UnsureDelimiter(t("upload.err.bad_delimiter", lang, delimiter=delimiter))
        try:
            header_row = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
        except csv.Error as exc:
            raise ImportRejected(t("upload.err.unreadable", lang, message=str(exc))) from None
        if len(header_row) > MAX_COLUMNS:
            raise TooManyColumns(
                t("upload.err.too_many_columns", lang, count=len(header_row), limit=MAX_COLUMNS)
            )
        headers, renamed = dedupe_headers(header_row)
        detected = Detected(
            name=name,
            format="csv",
            encoding=encoding,
            delimiter=delimiter,
            delimiter_sure=sure,
            headers=headers,
            renamed=renamed,
        )
        if progress:
            progress(0.15, "read")
        _load_csv(con, utf8, detected, lang)
    finally:
        if own_dir:
            for f in tmp.iterdir():
                f.unlink()
            tmp.rmdir()
    if detected.rows == 0 and detected.ragged_total == 0:
        raise HeaderOnly(t("upload.err.header_only", lang, columns=len(detected.headers)))
    return detected


#: DuckDB's reasons for rejecting a line, as message keys (others: "upload.bad.ragged")
_REJECT_WHY: Final[dict[str, str]] = {
    "UNQUOTED VALUE": "upload.bad.unclosed_quote",
    "LINE SIZE OVER MAXIMUM": "upload.bad.line_too_long",
    "INVALID ENCODING": "upload.bad.invalid_text",
}


def _load_csv(con: duckdb.DuckDBPyConnection, utf8: Path, detected: Detected, lang: str) -> None:
    names = detected.headers
    select = ", ".join(quote_ident(n) for n in names)
    try:
        con.execute(
            f"CREATE OR REPLACE TABLE {RAW}_read AS SELECT {select} "
            f"FROM read_csv($path, columns = $columns, delim = $delim, {_CSV_OPTIONS})",
            {
                "path": str(utf8),
                "columns": dict.fromkeys(names, "VARCHAR"),
                "delim": detected.delimiter or ",",
                # never matches: an empty cell stays '' (told apart from a missing field)
                "nullstr": "\x01\x02voronka-no-null\x02\x01",
            },
        )
    except duckdb.Error as exc:
        raise ImportRejected(
            t("upload.err.unreadable", lang, message=str(exc).splitlines()[0])
        ) from None
    rejects = con.execute(
        "SELECT line, error_type, left(csv_line, 10000) FROM reject_errors "
        "WHERE scan_id = (SELECT max(scan_id) FROM reject_scans) ORDER BY line"
    ).fetchall()
    # Rows DuckDB could not split into exactly the header's fields are reported with their
    # field count; the row numbers of the others skip over them (header = row 1).
    bad_lines = sorted({int(line) for line, _, _ in rejects})
    detected.ragged_total = len(bad_lines)
    seen: set[int] = set()
    for line, kind, text in rejects:
        if int(line) in seen or len(detected.ragged) >= 1000:
            continue
        seen.add(int(line))
        try:
            fields = len(next(csv.reader([text or ""], delimiter=detected.delimiter or ","), []))
        except csv.Error:
            fields = 0
        detected.ragged.append((int(line), fields, (text or "")[:200]))
        if kind in _REJECT_WHY:
            detected.ragged_why[int(line)] = _REJECT_WHY[kind]
    if bad_lines:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _bad_lines AS SELECT DISTINCT line FROM reject_errors "
            "WHERE scan_id = (SELECT max(scan_id) FROM reject_scans)"
        )
        con.execute(
            f"CREATE OR REPLACE TABLE {RAW} AS "
            f"WITH good AS (SELECT n.line, row_number() OVER (ORDER BY n.line) AS k "
            f"  FROM range(2, (SELECT count(*) FROM {RAW}_read) + {len(bad_lines)} + 2) n(line) "
            f"  ANTI JOIN _bad_lines b USING (line)), "
            f"r AS (SELECT *, row_number() OVER (ORDER BY rowid) AS k FROM {RAW}_read) "
            f"SELECT good.line AS {ROW}, r.* EXCLUDE (k) FROM r JOIN good USING (k) "
            f"ORDER BY {ROW}"
        )
    else:
        con.execute(
            f"CREATE OR REPLACE TABLE {RAW} AS SELECT rowid + 2 AS {ROW}, * FROM {RAW}_read "
            f"ORDER BY rowid"
        )
    con.execute(f"DROP TABLE {RAW}_read")
    row = con.execute(f"SELECT count(*) FROM {RAW}").fetchone()
    detected.rows = int(row[0]) if row else 0


# --------------------------------------------------------------------------------------------
# Excel


def _cell_text(value: object) -> str:
    """A calamine cell as the text an analyst would see (dates as ISO, whole floats as ints)."""
    import datetime as dt

    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def _check_unpacked_size(path: Path, lang: str) -> None:
    """Refuse a workbook whose sheets unpack to more than ``MAX_XLSX_UNPACKED`` (a zip bomb, or
    a sheet too big to hold in memory: a CSV is read streaming instead). The sizes come from the
    zip's directory: nothing is unpacked to learn them."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            unpacked = sum(
                i.file_size
                for i in z.infolist()
                if i.filename.startswith("xl/worksheets/") or i.filename == "xl/sharedStrings.xml"
            )
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise NotText(t("upload.err.bad_xlsx", lang, message=str(exc)[:200])) from None
    if unpacked > MAX_XLSX_UNPACKED:
        raise FileTooLarge(
            t(
                "upload.err.xlsx_too_large",
                lang,
                size=unpacked // (1024 * 1024),
                limit=MAX_XLSX_UNPACKED // (1024 * 1024),
            )
        )


def read_xlsx(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    name: str,
    sheet: str | None = None,
    lang: str = "en",
    progress: Progress | None = None,
) -> Detected:
    """Read the first (or the named) sheet of an .xlsx workbook into table ``raw``."""
    import pyarrow as pa
    import python_calamine as pc

    if path.stat().st_size == 0:
        raise EmptyFile(t("upload.err.empty_file", lang))
    _check_unpacked_size(path, lang)
    try:
        book = pc.CalamineWorkbook.from_path(str(path))
        sheet_obj = book.get_sheet_by_name(sheet) if sheet else book.get_sheet_by_index(0)
    except (pc.CalamineError, pc.ZipError, pc.XmlError, pc.WorksheetNotFound, OSError) as exc:
        raise NotText(t("upload.err.bad_xlsx", lang, message=str(exc)[:200])) from None
    except pc.PasswordError:
        raise NotText(t("upload.err.xlsx_password", lang)) from None
    if progress:
        progress(0.1, "read")
    rows = iter(sheet_obj.iter_rows())
    header = next(rows, None)
    if header is None or not any(_cell_text(v).strip() for v in header):
        raise EmptyFile(t("upload.err.empty_file", lang))
    if len(header) > MAX_COLUMNS:
        raise TooManyColumns(
            t("upload.err.too_many_columns", lang, count=len(header), limit=MAX_COLUMNS)
        )
    headers, renamed = dedupe_headers([_cell_text(v) for v in header])
    width = len(headers)
    columns: list[list[str]] = [[] for _ in range(width)]
    count = 0
    for values in rows:
        if not any(v not in ("", None) for v in values):
            count += 1
            for col in columns:
                col.append("")
            continue
        count += 1
        for i in range(width):
            columns[i].append(_cell_text(values[i]) if i < len(values) else "")
    arrow = pa.table(
        {ROW: pa.array(range(2, count + 2), pa.int64())}
        | {h: pa.array(c, pa.string()) for h, c in zip(headers, columns, strict=True)}
    )
    con.register("_xlsx_arrow", arrow)
    try:
        # trailing blank rows (formatted but empty) are not data
        con.execute(
            f"CREATE OR REPLACE TABLE {RAW} AS SELECT * FROM _xlsx_arrow WHERE {ROW} <= "
            f"(SELECT coalesce(max({ROW}), 0) FROM _xlsx_arrow WHERE "
            + (" OR ".join(f"{quote_ident(h)} <> ''" for h in headers) if headers else "FALSE")
            + ")"
        )
    finally:
        con.unregister("_xlsx_arrow")
    n = con.execute(f"SELECT count(*) FROM {RAW}").fetchone()
    detected = Detected(
        name=name,
        format="xlsx",
        headers=headers,
        renamed=renamed,
        rows=int(n[0]) if n else 0,
        sheet=sheet_obj.name,
        sheets=[str(name) for name in book.sheet_names],
    )
    if detected.rows == 0:
        raise HeaderOnly(t("upload.err.header_only", lang, columns=width))
    return detected


def is_xlsx(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


def read_file(
    con: duckdb.DuckDBPyConnection,
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    lang: str = "en",
    progress: Progress | None = None,
) -> Detected:
    """Read a CSV or .xlsx file (told apart by content, not by its name) into ``raw``."""
    p = Path(path)
    label = name or p.name
    if p.suffix.lower() in (".xlsx", ".xlsm") or is_xlsx(p):
        if not is_xlsx(p):
            raise NotText(t("upload.err.not_xlsx", lang))
        return read_xlsx(con, p, name=label, sheet=sheet, lang=lang, progress=progress)
    with p.open("rb") as fh:
        magic = fh.read(8)
    if p.suffix.lower() == ".xls" or magic == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise NotText(t("upload.err.old_xls", lang))  # an OLE2 (pre-2007) workbook
    return read_csv(
        con,
        p,
        name=label,
        encoding=encoding,
        delimiter=delimiter,
        lang=lang,
        progress=progress,
    )


def require_sure_delimiter(detected: Detected, lang: str) -> None:
    if not detected.delimiter_sure:
        raise UnsureDelimiter(
            t("upload.err.unsure_delimiter", lang, delimiter=detected.delimiter_name())
        )
