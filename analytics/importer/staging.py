"""Staging: a file read into its own in-memory DuckDB, mapped, parsed and checked in SQL.

:func:`open_file` reads a CSV or .xlsx file into table ``raw`` (text columns and ``__row``, the
row as a spreadsheet numbers it); :func:`stage` turns it, for a :class:`Mapping`, into typed
target columns (``typed``), the problems (``errors``: row, column, value, message) and the rows to
write (``clean``). Nothing here touches the target database.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any, Final

import duckdb
import pandas as pd

from analytics import store
from analytics.i18n import t
from analytics.importer.errors import (
    AmbiguousDates,
    BadMapping,
    BadValue,
    MissingColumns,
)
from analytics.importer.fields import (
    FIELDS,
    STATUS_WORDS,
    Field,
    Kind,
    StatusTarget,
    default_status,
    norm_header,
    parse_status_target,
)
from analytics.importer.mapping import Mapping
from analytics.importer.reading import RAW, ROW, Detected, Progress, read_file
from analytics.importer.values import (
    MAX_YEAR,
    MIN_YEAR,
    bool_expr,
    decimal_comma_expr,
    direction_expr,
    empty_or_text,
    empty_params,
    guess_date_format,
    number_clean_expr,
    number_expr,
    timestamp_expr,
    whole_expr,
    year_ok_expr,
)
from analytics.model import STAGES
from analytics.sql import quote_ident

MAX_STATUS_VALUES: Final[int] = 500
MAX_TEXT: Final[int] = 32_767  #: characters in a text value (Excel's own limit for a cell)
STAGING_MEMORY: Final[str] = "1GB"  #: DuckDB memory limit of a file's staging database
MAX_FUNNEL_LEADS: Final[int] = 2_000_000  #: people an aggregate funnel file may stand for
LEAD_COLUMNS: Final[tuple[str, ...]] = store.REQUIRED_COLUMNS["leads"]
ERRORS_SHOWN: Final[int] = 20
ERRORS_DOWNLOAD: Final[int] = 100_000
_STAGE_LIST: Final[str] = "[" + ", ".join(f"'{s}'" for s in STAGES) + "]"
_TIMESTAMP_RANK: Final[tuple[tuple[str, int], ...]] = (
    ("won_at", 5),
    ("opportunity_at", 4),
    ("sql_at", 3),
    ("mql_at", 2),
)


def _noop(fraction: float, step: str) -> None:
    return None


class _rel:
    """A query's whole answer as a DataFrame or Arrow table, through a fresh cursor (DuckDB
    2.0 refuses ``con.sql`` while an ``execute`` result on the connection is unfinished)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, query: str) -> None:
        self.con, self.query = con, query

    def df(self) -> pd.DataFrame:
        cur = self.con.cursor()
        try:
            return cur.sql(self.query).df()
        finally:
            cur.close()

    def to_arrow_table(self) -> Any:
        cur = self.con.cursor()
        try:
            return cur.sql(self.query).to_arrow_table()
        finally:
            cur.close()


# --------------------------------------------------------------------------------------------
# Reading


@dataclass
class Upload:
    """A file read into a private in-memory database (table ``raw``: text columns + ``__row``)."""

    con: duckdb.DuckDBPyConnection
    detected: Detected
    digest: str  # short content hash: ids generated for rows without one are stable
    spill: Path | None = None  # the staging database's temporary folder

    def close(self) -> None:
        self.con.close()
        if self.spill is not None:
            shutil.rmtree(self.spill, ignore_errors=True)

    def sample(self, n: int = 5) -> pd.DataFrame:
        cols = ", ".join(quote_ident(h) for h in self.detected.headers)
        return _rel(self.con, f"SELECT {cols} FROM {RAW} ORDER BY {ROW} LIMIT {int(n)}").df()

    def distinct_values(self, source: str, limit: int = MAX_STATUS_VALUES) -> list[tuple[str, int]]:
        """(value, rows) of a column, most frequent first; empty values left out."""
        col = quote_ident(source)
        rows = self.con.execute(
            f"SELECT trim({col}) AS v, count(*) AS n FROM {RAW} WHERE trim({col}) <> '' "
            f"GROUP BY v ORDER BY n DESC, v LIMIT ?",
            [limit + 1],
        ).fetchall()
        return [(str(v), int(n)) for v, n in rows]

    def numeric_columns(self) -> list[str]:
        """Columns whose every non-empty value reads as a number (candidates for funnel stages)."""
        heads = self.detected.headers
        if not heads:
            return []
        checks = ", ".join(
            f"count(*) FILTER (WHERE trim({quote_ident(h)}) <> '' AND "
            f"{number_expr(quote_ident(h), False)} IS NULL) = 0 AND "
            f"count(*) FILTER (WHERE trim({quote_ident(h)}) <> '') > 0"
            for h in heads
        )
        row = self.con.execute(f"SELECT {checks} FROM {RAW}").fetchone()
        assert row is not None
        return [h for h, ok in zip(heads, row, strict=True) if ok]


def file_digest(path: Path) -> str:
    h = hashlib.sha1(usedforsecurity=False)
    with path.open("rb") as fh:
        while chunk := fh.read(4 * 1024 * 1024):
            h.update(chunk)
    return h.hexdigest()[:10]


def open_file(
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    lang: str = "en",
    progress: Progress | None = None,
) -> Upload:
    """Read ``path`` (CSV or .xlsx) into a fresh in-memory database. Raises ImportRejected."""
    spill = Path(tempfile.mkdtemp(prefix="voronka-staging-"))
    # bounded memory: the staging database spills to a temporary folder beyond the limit
    con = duckdb.connect(
        ":memory:",
        config={"memory_limit": STAGING_MEMORY, "temp_directory": str(spill)},
    )
    try:
        detected = read_file(
            con,
            path,
            name=name,
            encoding=encoding,
            delimiter=delimiter,
            sheet=sheet,
            lang=lang,
            progress=progress,
        )
        digest = file_digest(Path(path))
        if detected.sheet is not None and detected.sheets[:1] != [detected.sheet]:
            # another sheet of the workbook is another table (its own ids and mapping)
            digest = hashlib.sha1(
                f"{digest}:{detected.sheet}".encode(), usedforsecurity=False
            ).hexdigest()[:10]
        return Upload(con, detected, digest, spill)
    except BaseException:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
        raise


# --------------------------------------------------------------------------------------------
# Mapping, parsing, validation


@dataclass
class Staged:
    """A file mapped and checked: table ``typed`` (every row), ``errors``, ``clean`` (rows
    that will be written), and what was decided on the way (shown to the user)."""

    upload: Upload
    mapping: Mapping
    date_formats: dict[str, str] = field(default_factory=dict)  # source -> layout used
    ambiguous: dict[str, tuple[str, ...]] = field(default_factory=dict)  # source -> choices
    decimal_comma: dict[str, bool] = field(default_factory=dict)
    status_values: list[tuple[str, int, StatusTarget | None]] = field(default_factory=list)
    rows: int = 0
    error_count: int = 0
    invalid_rows: int = 0
    merged_rows: int = 0  # cost rows of one campaign and day added together
    skip_invalid: bool = False
    updates_only: bool = False  # no creation date mapped: rows can only update known leads

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        return self.upload.con

    @property
    def kind(self) -> Kind:
        return self.mapping.kind

    def errors(self, limit: int = ERRORS_SHOWN) -> list[BadValue]:
        rows = self.con.execute(
            'SELECT "row", "column", "value", message FROM errors ORDER BY "row", "column" LIMIT ?',
            [limit],
        ).fetchall()
        return [
            BadValue(int(r), str(c), None if v is None else str(v), str(m)) for r, c, v, m in rows
        ]

    def errors_frame(self, limit: int = ERRORS_DOWNLOAD) -> pd.DataFrame:
        return _rel(
            self.con,
            f'SELECT "row", "column", "value", message FROM errors ORDER BY "row", "column" '
            f"LIMIT {int(limit)}",
        ).df()

    def preview(self, n: int = 10) -> pd.DataFrame:
        return _rel(
            self.con, f"SELECT * EXCLUDE ({ROW}) FROM clean ORDER BY {ROW} LIMIT {int(n)}"
        ).df()

    def clean_rows(self) -> int:
        row = self.con.execute("SELECT count(*) FROM clean").fetchone()
        return int(row[0]) if row else 0


def _field_label(mapping: Mapping, name: str, lang: str) -> str:
    if name in mapping.columns:
        return mapping.columns[name]
    return t("upload.set_label", lang, field=name)


def _status_table(staged: Staged, source: str | None, constant: str | None, lang: str) -> None:
    """Table ``_status_map(value, stage, status)`` for the values of the stage column."""
    con, user = staged.con, staged.mapping.status_map
    user_norm = {norm_header(k): v for k, v in user.items()}
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _status_map (value VARCHAR, stage VARCHAR, status VARCHAR)"
    )
    values: list[tuple[str, int]]
    if constant is not None:
        values = [(constant.strip(), staged.rows)]
    elif source is not None:
        values = staged.upload.distinct_values(source)
        nulls = {v.strip().lower() for v in staged.mapping.null_values}
        values = [(v, n) for v, n in values if v.lower() not in nulls]
        if len(values) > MAX_STATUS_VALUES:
            raise BadMapping(
                t("upload.err.too_many_statuses", lang, column=source, limit=MAX_STATUS_VALUES)
            )
    else:
        return
    out: list[tuple[str, int, StatusTarget | None]] = []
    for value, n in values:
        spec = user.get(value) or user_norm.get(norm_header(value))
        target: StatusTarget | None
        if spec is not None:
            target = parse_status_target(spec)
        else:
            target = default_status(value)
            if target is None and constant is not None:
                try:
                    target = parse_status_target(value)
                except ValueError:
                    target = None
        out.append((value, n, target))
        if target is not None:
            con.execute("INSERT INTO _status_map VALUES (?, ?, ?)", [value, *target])
    staged.status_values = out


def _parse(
    staged: Staged, f: Field, src: str, label: str, lang: str
) -> tuple[str, list[tuple[str, str]]]:
    """(SQL of the parsed value, [(condition, message)] that make a value an error)."""
    con = staged.con
    m = staged.mapping
    checks: list[tuple[str, str]] = []
    bad = f"{src} IS NOT NULL AND ({{parsed}}) IS NULL"
    if f.type == "text":
        if f.name == "direction":
            parsed = direction_expr(src)
            checks.append((bad, t("upload.bad.direction", lang)))
            return parsed, checks
        checks.append(
            (f"length({src}) > {MAX_TEXT}", t("upload.bad.too_long", lang, limit=MAX_TEXT))
        )
        return src, checks
    if f.type in ("timestamp", "date"):
        source = m.columns.get(f.name)
        fmt = (m.date_formats.get(source or "") or m.date_format) if source else m.date_format
        if fmt is None and source is not None:
            guess = guess_date_format(con, "src", src)
            if guess.ambiguous:
                staged.ambiguous[source] = guess.ambiguous
                fmt = guess.ambiguous[0]
            else:
                fmt = guess.format or "YYYY-MM-DD"
        fmt = fmt or "YYYY-MM-DD"
        if source is not None:
            staged.date_formats[source] = fmt
        parsed = timestamp_expr(src, fmt)
        if f.type == "date":
            parsed = f"CAST({parsed} AS DATE)"
        checks.append(
            (f"{src} IS NOT NULL AND ({{parsed}}) IS NULL", t("upload.bad.date", lang, format=fmt))
        )
        # year 1 or 9999 reads as a date but is a placeholder or a typo, not a lead's date
        checks.append(
            (
                f"NOT {year_ok_expr('({parsed})')}",
                t("upload.bad.year", lang, low=MIN_YEAR, high=MAX_YEAR),
            )
        )
        return parsed, checks
    if f.type in ("money", "number", "int"):
        source = m.columns.get(f.name)
        comma = False
        if source is not None:
            row = con.execute(
                f"SELECT bool_or({decimal_comma_expr(number_clean_expr(src))}) FROM src"
            ).fetchone()
            comma = bool(row and row[0])
            staged.decimal_comma[source] = comma
        number = number_expr(src, comma)
        if f.type == "int":
            parsed = whole_expr(number)
            # a whole number beyond BIGINT (2^63) is "too large" below, not "not whole"
            checks.append(
                (
                    f"{bad} AND NOT coalesce(abs({number}) >= 9e18, FALSE)",
                    t("upload.bad.whole", lang),
                )
            )
        else:
            parsed = number
            checks.append((bad, t("upload.bad.number", lang)))
        if f.name in ("deal_value", "budget", "spend", "impressions", "clicks", "company_size"):
            checks.append((f"({parsed}) < 0", t("upload.bad.negative", lang)))
        # DECIMAL(18, 2) and INTEGER columns: say so rather than let the database refuse
        limit = 2_147_483_647 if f.name == "company_size" else 1e16
        # as DOUBLE: abs() of the smallest BIGINT (-2^63) would overflow
        checks.append(
            (
                f"abs(coalesce(CAST({{parsed}} AS DOUBLE), {number})) >= {limit}",
                t("upload.bad.too_large", lang),
            )
        )
        return parsed, checks
    if f.type == "bool":
        checks.append((bad, t("upload.bad.bool", lang)))
        return bool_expr(src), checks
    if f.type == "status":
        cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in STATUS_WORDS.items() if "'" not in k)
        parsed = f"(CASE lower({src}) {cases} END)"
        checks.append((bad, t("upload.bad.status", lang)))
        return parsed, checks
    raise AssertionError(f.type)  # stage is handled by the caller


def stage(
    upload: Upload,
    mapping: Mapping,
    *,
    lang: str = "en",
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> Staged:
    """Map, parse and check every row in SQL. Raises MissingColumns / BadMapping for a mapping
    that cannot work; value problems are collected in table ``errors``."""
    progress = progress or _noop
    mapping.check()
    headers = set(upload.detected.headers)
    missing_sources = sorted({c for c in mapping.columns.values() if c not in headers})
    if missing_sources:
        raise MissingColumns(
            t("upload.err.missing_sources", lang, columns=", ".join(missing_sources))
        )
    kind = mapping.kind
    fields = FIELDS[kind]
    provided = mapping.provided()
    required = [f.name for f in fields if f.required and f.name not in provided]
    # a file of updates (a deals file: id, won date, amount) needs no creation date; rows
    # it does not match are not inserted then, and an append without one is refused
    without_created = kind == "leads" and required == ["created_at"] and "lead_id" in provided
    if without_created:
        required = []
    if kind in ("costs", "funnel") and "day" not in provided:
        required.append("day")
    if required:
        names = ", ".join(f"{t(f'upload.field.{n}', lang)} ({n})" for n in required)
        raise MissingColumns(t("upload.err.missing_fields", lang, fields=names))
    if kind == "funnel" and not mapping.stages:
        raise BadMapping(t("upload.err.no_stages", lang))
    bad_stage_cols = sorted({c for c in mapping.stages.values() if c not in headers})
    if bad_stage_cols:
        raise MissingColumns(
            t("upload.err.missing_sources", lang, columns=", ".join(bad_stage_cols))
        )
    staged = Staged(upload, mapping, rows=upload.detected.rows, skip_invalid=skip_invalid)
    staged.updates_only = without_created
    con = upload.con
    progress(0.3, "parse")

    # fixed values ("--set field=value") live in a one-row table read like a column
    set_fields = [f for f in fields if f.name in mapping.fixed and f.name not in mapping.columns]
    if set_fields:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _set ("
            + ", ".join(f"{quote_ident(f.name)} VARCHAR" for f in set_fields)
            + ")"
        )
        con.execute(
            f"INSERT INTO _set VALUES ({', '.join('?' for _ in set_fields)})",
            [mapping.fixed[f.name] for f in set_fields],
        )
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE _set (__none INTEGER)")
        con.execute("INSERT INTO _set VALUES (NULL)")

    # 1. the texts of every mapped field, trimmed and with "empty" values as NULL (one pass)
    null_params, longest = empty_params(mapping.null_values)
    texts: list[str] = [ROW]
    for f in fields:
        if f.name in mapping.columns:
            source = quote_ident(mapping.columns[f.name])
            texts.append(f"{empty_or_text(source, longest)} AS {quote_ident('s_' + f.name)}")
        elif f.name in mapping.fixed:
            fixed = f"_set.{quote_ident(f.name)}"
            texts.append(f"{empty_or_text(fixed, longest)} AS {quote_ident('s_' + f.name)}")
    for stage_name, source in mapping.stages.items():
        count = empty_or_text(quote_ident(source), longest)
        texts.append(f"{count} AS {quote_ident('n_' + stage_name + '_src')}")
    con.execute(
        f"CREATE OR REPLACE TABLE src AS SELECT {', '.join(texts)} FROM {RAW}, _set",
        null_params,
    )

    # 2. typed values, parsed from those texts; 3. problems, read off the two side by side
    selects: list[str] = ["src.*"]
    joins = ""
    checks: list[tuple[str, str, str, str]] = []  # (condition, column label, raw value, message)
    for f in fields:
        if f.name not in provided:
            continue
        label = _field_label(mapping, f.name, lang)
        src = f"src.{quote_ident('s_' + f.name)}"
        if f.type == "stage":
            _status_table(
                staged,
                mapping.columns.get("stage"),
                mapping.fixed.get("stage") if "stage" not in mapping.columns else None,
                lang,
            )
            joins = f" LEFT JOIN _status_map sm ON sm.value = {src}"
            selects.append(
                'sm.stage AS "stage", sm.status AS "__map_status", '
                'sm.value IS NOT NULL AS "__stage_known"'
            )
            checks.append(
                (
                    '"s_stage" IS NOT NULL AND NOT "__stage_known"',
                    label,
                    '"s_stage"',
                    t("upload.bad.stage", lang),
                )
            )
            continue
        parsed, field_checks = _parse(staged, f, src, label, lang)
        selects.append(f"{parsed} AS {quote_ident(f.name)}")
        own = quote_ident("s_" + f.name)
        for cond_template, message in field_checks:
            cond = cond_template.replace("{parsed}", quote_ident(f.name)).replace(src, own)
            checks.append((cond, label, own, message))
        if f.required:
            checks.append(
                (
                    f"{own} IS NULL",
                    label,
                    "NULL",
                    t("upload.bad.required", lang, field=t(f"upload.field.{f.name}", lang)),
                )
            )
    for stage_name, source in mapping.stages.items():
        src = f"src.{quote_ident('n_' + stage_name + '_src')}"
        comma_row = con.execute(
            f"SELECT bool_or({decimal_comma_expr(number_clean_expr(src))}) FROM src"
        ).fetchone()
        parsed = whole_expr(number_expr(src, bool(comma_row and comma_row[0])))
        selects.append(f"{parsed} AS {quote_ident('n_' + stage_name + '_val')}")
        selects.append(f"coalesce({parsed}, 0) AS {quote_ident('n_' + stage_name)}")
        own_src = quote_ident("n_" + stage_name + "_src")
        own_val = quote_ident("n_" + stage_name + "_val")
        checks.append(
            (
                f"({own_src} IS NOT NULL AND {own_val} IS NULL) OR {own_val} < 0",
                source,
                own_src,
                t("upload.bad.count", lang),
            )
        )

    con.execute(f"CREATE OR REPLACE TABLE typed AS SELECT {', '.join(selects)} FROM src{joins}")
    con.execute("DROP TABLE src")
    con.execute(
        'CREATE OR REPLACE TABLE errors ("row" BIGINT, "column" VARCHAR, "value" VARCHAR, '
        "message VARCHAR)"
    )
    for cond, label, raw, message in checks:
        con.execute(
            f"INSERT INTO errors SELECT {ROW}, ?, CAST({raw} AS VARCHAR), ? "
            f"FROM typed WHERE {cond}",
            [label, message],
        )
    if kind == "funnel":
        first = next(s for s in STAGES if s in mapping.stages)
        row = con.execute(f"SELECT coalesce(sum(n_{first}), 0) FROM typed").fetchone()
        people = int(row[0]) if row else 0
        if people > MAX_FUNNEL_LEADS:
            raise BadMapping(
                t(
                    "upload.err.too_many_people",
                    lang,
                    column=mapping.stages[first],
                    count=people,
                    limit=MAX_FUNNEL_LEADS,
                )
            )
    _cross_checks(staged, lang)
    for line, fields_n, text in upload.detected.ragged:
        con.execute(
            "INSERT INTO errors VALUES (?, ?, ?, ?)",
            [
                line,
                "—",
                text,
                t(
                    upload.detected.ragged_why.get(line, "upload.bad.ragged"),
                    lang,
                    fields=fields_n,
                    expected=len(upload.detected.headers),
                ),
            ],
        )
    progress(0.55, "validate")
    row = con.execute('SELECT count(*), count(DISTINCT "row") FROM errors').fetchone()
    assert row is not None
    staged.error_count = int(row[0]) + max(
        0, upload.detected.ragged_total - len(upload.detected.ragged)
    )
    staged.invalid_rows = int(row[1]) + max(
        0, upload.detected.ragged_total - len(upload.detected.ragged)
    )
    _build_clean(staged)
    return staged


def _cross_checks(staged: Staged, lang: str) -> None:
    """Checks across fields of one row: end before start, stage counts that grow."""
    con, m = staged.con, staged.mapping
    provided = m.provided()
    if m.kind == "campaigns" and {"start_date", "end_date"} <= provided:
        label = _field_label(m, "end_date", lang)
        con.execute(
            f"INSERT INTO errors SELECT {ROW}, ?, CAST(end_date AS VARCHAR), ? FROM typed "
            "WHERE end_date < start_date",
            [label, t("upload.bad.end_before_start", lang)],
        )
    if m.kind == "costs" and {"day", "date_to"} <= provided:
        label = _field_label(m, "date_to", lang)
        con.execute(
            f"INSERT INTO errors SELECT {ROW}, ?, CAST(date_to AS VARCHAR), ? FROM typed "
            "WHERE date_to < day",
            [label, t("upload.bad.end_before_start", lang)],
        )
    if m.kind == "funnel":
        ordered = [s for s in STAGES if s in m.stages]
        for earlier, later in pairwise(ordered):
            con.execute(
                f"INSERT INTO errors SELECT {ROW}, ?, CAST(n_{later} AS VARCHAR), ? FROM typed "
                f"WHERE n_{later} > n_{earlier}",
                [
                    m.stages[later],
                    t(
                        "upload.bad.stage_grows",
                        lang,
                        column=m.stages[later],
                        earlier=m.stages[earlier],
                    ),
                ],
            )


def _build_clean(staged: Staged) -> None:
    """Table ``clean``: the rows to write, with the columns of the target table."""
    con, m = staged.con, staged.mapping
    provided = m.provided()
    valid = f'{ROW} NOT IN (SELECT "row" FROM errors)'
    if m.kind == "leads":
        ts_rank = " ".join(
            f"WHEN {col} IS NOT NULL THEN {rank}"
            for col, rank in _TIMESTAMP_RANK
            if col in provided
        )
        ts_rank_sql = f"(CASE {ts_rank} ELSE 1 END)" if ts_rank else "1"
        has_stage = "stage" in provided
        status_in_parts = []
        if "status" in provided:
            status_in_parts.append("status")
        if has_stage:
            status_in_parts.append("__map_status")
        status_in = (
            f"coalesce({', '.join(status_in_parts)})" if status_in_parts else "NULL::VARCHAR"
        )
        map_rank = f"coalesce(list_position({_STAGE_LIST}, stage), 1)" if has_stage else "1"
        lost = "WHEN lost_at IS NOT NULL THEN 'lost' " if "lost_at" in provided else ""
        digest = staged.upload.digest
        cols = []
        for name in LEAD_COLUMNS:
            if name in ("stage", "status"):
                continue
            own = quote_ident(name) if name in provided else "NULL"
            if name == "lead_id" and "lead_id" not in provided:
                cols.append(f"'{digest}-' || {ROW} AS lead_id")
            elif name in ("won_at", "lost_at") and "closed_at" in provided:
                # a "close date" is the won date of a won lead and the lost date of a lost one
                status = "won" if name == "won_at" else "lost"
                cols.append(
                    f"coalesce({own}, CASE WHEN __status = '{status}' THEN closed_at END) AS {name}"
                )
            else:
                cols.append(f"{own} AS {quote_ident(name)}")
        con.execute(
            f"""CREATE OR REPLACE TABLE clean AS
            WITH r AS (
              SELECT *, greatest({map_rank}, {ts_rank_sql},
                                 CASE WHEN {status_in} = 'won' THEN 5 ELSE 1 END) AS __rank,
                     {status_in} AS __status_in
              FROM typed WHERE {valid}),
            s AS (
              SELECT *, CASE WHEN __rank = 5 THEN 'won'
                             WHEN __status_in IS NOT NULL AND __status_in <> 'won' THEN __status_in
                             {lost}ELSE 'open' END AS __status
              FROM r)
            SELECT {ROW}, {", ".join(cols)},
                   {_STAGE_LIST}[__rank] AS stage, __status AS status, __status_in
            FROM s"""
        )
    elif m.kind == "campaigns":
        cols = []
        for f in FIELDS["campaigns"]:
            if f.name == "name":
                cols.append(
                    "coalesce(name, campaign_id) AS name"
                    if "name" in provided
                    else "campaign_id AS name"
                )
            elif f.name in provided:
                cols.append(quote_ident(f.name))
            else:
                cols.append(f"NULL AS {quote_ident(f.name)}")
        con.execute(
            f"CREATE OR REPLACE TABLE clean AS SELECT {ROW}, {', '.join(cols)} FROM typed "
            f"WHERE {valid}"
        )
    else:  # costs, funnel: one row per campaign and day
        measure = [c for c in ("spend", "impressions", "clicks") if c in provided]
        if m.kind == "costs" and "date_to" in provided:
            # a period row is spread evenly over its days; whole cents and whole clicks are
            # shared out so the days add up exactly to the row
            parts = []
            for c in ("spend", "impressions", "clicks"):
                if c not in measure:
                    continue
                scale = "100" if c == "spend" else "1"
                total = f"round({c} * {scale})"
                share = f"(floor({total} * (i + 1) / n) - floor({total} * i / n)) / {scale}"
                parts.append(f"{share} AS {c}")
            con.execute(
                f"""CREATE OR REPLACE TABLE _days AS
                WITH p AS (SELECT *, coalesce(date_to, day) AS last_day,
                                  datediff('day', day, coalesce(date_to, day)) + 1 AS n
                           FROM typed WHERE {valid})
                SELECT {ROW}, campaign_id, CAST(day + CAST(i AS INTEGER) AS DATE) AS day
                       {"".join(", " + p for p in parts)}
                FROM p, range(0, n) r(i)"""
            )
            source = "_days"
        else:
            source = f"(SELECT * FROM typed WHERE {valid})"
        sums = ", ".join(
            f"{'sum' if c in measure else 'any_value'}({c if c in measure else '0'}) AS {c}"
            for c in ("spend", "impressions", "clicks")
        )
        extra = ""
        if m.kind == "funnel":
            extra = "".join(
                f", CAST(sum(n_{s}) AS BIGINT) AS n_{s}" for s in STAGES if s in m.stages
            )
        con.execute(
            f"CREATE OR REPLACE TABLE clean AS SELECT min({ROW}) AS {ROW}, campaign_id, day, "
            f"{sums}{extra}, count(*) AS __rows FROM {source} GROUP BY campaign_id, day "
            f"ORDER BY {ROW}"
        )
        row = con.execute("SELECT coalesce(sum(__rows - 1), 0) FROM clean").fetchone()
        staged.merged_rows = int(row[0]) if row else 0


def require_unambiguous(staged: Staged, lang: str) -> None:
    """The CLI's rule: a date column that reads two ways needs --date-format."""
    if staged.ambiguous:
        source, choices = next(iter(staged.ambiguous.items()))
        raise AmbiguousDates(
            t("upload.err.ambiguous_dates", lang, column=source, choices=" / ".join(choices))
        )
