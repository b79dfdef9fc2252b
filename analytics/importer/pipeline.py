"""The import pipeline: read -> map -> parse -> validate -> duplicates -> load.

Everything runs in SQL. A file is read into a private in-memory DuckDB (:class:`Upload`); the
mapping turns its text columns into typed target columns and a table of problems
(:class:`Staged`); duplicates are classified against the target database (:func:`plan`); the
load is one transaction (:func:`load`). Until :func:`load` commits, the target is not written.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
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
    ImportRejected,
    MissingColumns,
)
from analytics.importer.fields import (
    FIELDS,
    STATUS_WORDS,
    Field,
    Kind,
    Mode,
    StatusTarget,
    default_status,
    norm_header,
    parse_status_target,
)
from analytics.importer.mapping import Mapping
from analytics.importer.reading import RAW, ROW, Detected, Progress, read_file
from analytics.importer.values import (
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
        return Upload(con, detected, file_digest(Path(path)), spill)
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
        bad_date = (
            f"{src} IS NOT NULL AND (({{parsed}}) IS NULL OR NOT {year_ok_expr('({parsed})')})"
        )
        checks.append((bad_date, t("upload.bad.date", lang, format=fmt)))
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
            checks.append((bad, t("upload.bad.whole", lang)))
        else:
            parsed = number
            checks.append((bad, t("upload.bad.number", lang)))
        if f.name in ("deal_value", "budget", "spend", "impressions", "clicks", "company_size"):
            checks.append((f"({parsed}) < 0", t("upload.bad.negative", lang)))
        # DECIMAL(18, 2) and INTEGER columns: say so rather than let the database refuse
        limit = 2_147_483_647 if f.name == "company_size" else 1e16
        checks.append((f"abs({parsed}) >= {limit}", t("upload.bad.too_large", lang)))
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
                    "upload.bad.ragged",
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


# --------------------------------------------------------------------------------------------
# Duplicates and loading


@dataclass
class Summary:
    """What an import did (or would do). The CLI prints it as JSON."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    skipped: int = 0
    duplicates: int = 0
    rejected: int = 0  # rows with at least one problem
    errors: list[BadValue] = field(default_factory=list)
    status: str = "imported"  # imported | rejected | dry_run
    duplicates_in_file: int = 0
    duplicates_in_database: int = 0
    campaigns_created: int = 0
    merged: int = 0
    error_count: int = 0
    not_found: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "skipped": self.skipped,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "errors": [e.as_dict() for e in self.errors],
            "status": self.status,
            "error_count": self.error_count,
            "duplicates_in_file": self.duplicates_in_file,
            "duplicates_in_database": self.duplicates_in_database,
            "campaigns_created": self.campaigns_created,
            "merged": self.merged,
            "not_found": self.not_found,
        }


@dataclass
class Plan:
    """What loading would do, by action; ``sample`` shows some duplicates with their match."""

    insert: int = 0
    update: int = 0
    dup_file: int = 0
    dup_db: int = 0
    not_found: int = 0  # update-only files: rows whose lead is not in the database
    campaigns_created: int = 0
    sample: pd.DataFrame = field(default_factory=pd.DataFrame)


def _digits(x: str) -> str:
    return f"regexp_replace(coalesce({x}, ''), '[^0-9]', '', 'g')"


def _lead_keys(alias: str) -> str:
    d = _digits(f"{alias}.phone")
    return (
        f"nullif(lower(trim({alias}.email)), '') AS ek, "
        f"CASE WHEN length({d}) >= 5 THEN right({d}, 10) END AS pk"
    )


def _classify_staged(con: duckdb.DuckDBPyConnection, staged: Staged, mode: Mode, lang: str) -> None:
    if staged.updates_only:
        if mode != "update":
            raise MissingColumns(t("upload.err.updates_only", lang))
        _classify(con, staged.kind, mode)
        con.execute("UPDATE _plan SET action = 'not_found' WHERE action = 'insert'")
    else:
        _classify(con, staged.kind, mode)


def _classify(con: duckdb.DuckDBPyConnection, kind: Kind, mode: Mode) -> None:
    """TEMP table ``_plan(__row, action, target, match_by)`` for the registered ``incoming``."""
    if kind in ("leads", "funnel"):
        # first rows per key are found with hash aggregates (cheaper than windows over a
        # million rows); e-mail and phone are compared only when the file has any
        has = con.execute("SELECT count(email) > 0, count(phone) > 0 FROM incoming").fetchone() or (
            False,
            False,
        )
        keys = {"e": ("ek", bool(has[0])), "p": ("pk", bool(has[1]))}
        # the keys are computed once each (a CTE used five times would be computed five times)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _inc AS "
            f"SELECT i.{ROW}, i.lead_id, {_lead_keys('i')} FROM incoming i"
        )
        if has[0] or has[1]:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _exk AS SELECT l.lead_id, {_lead_keys('l')} "
                f"FROM leads l WHERE l.email IS NOT NULL OR l.phone IS NOT NULL"
            )
        ctes = [
            f"first_id AS (SELECT lead_id, min({ROW}) AS r FROM inc GROUP BY lead_id)",
            "ex_id AS (SELECT lead_id FROM leads)",
        ]
        joins = [
            "LEFT JOIN first_id fi ON fi.lead_id = inc.lead_id",
            "LEFT JOIN ex_id ON ex_id.lead_id = inc.lead_id",
        ]
        matches = ["ex_id.lead_id"]
        names = ["'id'"]
        dups = [f"inc.{ROW} > fi.r"]
        for tag, (key, present) in keys.items():
            if not present:
                continue
            ctes.append(
                f"first_{tag} AS (SELECT {key}, min({ROW}) AS r FROM inc "
                f"WHERE {key} IS NOT NULL GROUP BY {key})"
            )
            ctes.append(
                f"ex_{tag} AS (SELECT {key}, min(lead_id) AS lead_id FROM _exk "
                f"WHERE {key} IS NOT NULL GROUP BY {key})"
            )
            joins.append(f"LEFT JOIN first_{tag} f{tag} ON f{tag}.{key} = inc.{key}")
            joins.append(f"LEFT JOIN ex_{tag} ON ex_{tag}.{key} = inc.{key}")
            matches.append(f"ex_{tag}.lead_id")
            names.append("'email'" if tag == "e" else "'phone'")
            dups.append(f"coalesce(inc.{ROW} > f{tag}.r, FALSE)")
        match_by = " ".join(
            f"WHEN {m} IS NOT NULL THEN {n}" for m, n in zip(matches, names, strict=True)
        )
        dup_by = " ".join(f"WHEN {d} THEN {n}" for d, n in zip(dups, names, strict=True))
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _plan AS
            WITH inc AS (SELECT * FROM _inc), {", ".join(ctes)},
            m AS (
              SELECT inc.{ROW}, coalesce({", ".join(matches)}) AS target,
                     CASE {match_by} END AS match_by,
                     CASE {dup_by} END AS dup_by
              FROM inc {" ".join(joins)}),
            first_t AS (SELECT target, min({ROW}) AS r FROM m
                        WHERE target IS NOT NULL AND dup_by IS NULL GROUP BY target)
            SELECT m.{ROW}, m.target,
                   CASE WHEN dup_by IS NOT NULL THEN 'in file: ' || dup_by
                        ELSE match_by END AS match_by,
                   CASE WHEN dup_by IS NOT NULL THEN 'dup_file'
                        WHEN m.target IS NULL THEN 'insert'
                        WHEN ? = 'update' AND m.{ROW} = ft.r THEN 'update'
                        WHEN ? = 'update' THEN 'dup_file'
                        ELSE 'dup_db' END AS action
            FROM m LEFT JOIN first_t ft ON ft.target = m.target""",
            [mode, mode],
        )
    if kind == "campaigns":
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _plan AS
            SELECT i.{ROW}, c.campaign_id AS target,
                   CASE WHEN c.campaign_id IS NOT NULL THEN 'id' END AS match_by,
                   CASE WHEN i.{ROW} > min(i.{ROW}) OVER (PARTITION BY i.campaign_id)
                          THEN 'dup_file'
                        WHEN c.campaign_id IS NULL THEN 'insert'
                        WHEN ? = 'update' THEN 'update' ELSE 'dup_db' END AS action
            FROM incoming i LEFT JOIN campaigns c USING (campaign_id)""",
            [mode],
        )
    if kind in ("costs", "funnel"):
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _plan_costs AS
            SELECT i.{ROW}, i.campaign_id, i.day,
                   CASE WHEN c.campaign_id IS NULL THEN 'insert'
                                 WHEN ? = 'update' THEN 'update' ELSE 'dup_db' END AS action
            FROM incoming_costs i LEFT JOIN campaign_costs c USING (campaign_id, day)""",
            [mode],
        )
        if kind == "costs":
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _plan AS SELECT *, NULL AS target, "
                "'campaign + day' AS match_by FROM _plan_costs"
            )


def _funnel_leads(staged: Staged) -> str:
    """SQL (over ``clean`` of a funnel file) making one lead per counted person: of a row with
    100 leads and 7 won, 7 are won and 93 stay leads; ids are campaign-day-number."""
    ordered = [s for s in STAGES if s in staged.mapping.stages]
    first = ordered[0]
    # a stage between two counted ones counts as passed by those who reached the later one
    rank_cases = " ".join(
        f"WHEN i <= n_{s} THEN {STAGES.index(s) + 1}" for s in reversed(ordered[1:])
    )
    rank = (
        f"(CASE {rank_cases} ELSE {STAGES.index(first) + 1} END)"
        if rank_cases
        else str(STAGES.index(first) + 1)
    )
    given = {
        "lead_id": "campaign_id || '-' || strftime(coalesce(day, DATE '1970-01-01'), '%Y%m%d') "
        "|| '-' || i",
        "created_at": "CAST(day AS TIMESTAMP)",
        "campaign_id": "campaign_id",
        "stage": f"{_STAGE_LIST}[{rank}]",
        "status": f"CASE WHEN {rank} = 5 THEN 'won' ELSE 'open' END",
    }
    cols = ", ".join(f"{given.get(c, 'NULL')} AS {quote_ident(c)}" for c in LEAD_COLUMNS)
    return f"""SELECT {ROW} * 1000000 + i AS {ROW}, {cols}, NULL::VARCHAR AS __status_in
        FROM clean, range(1, n_{first} + 1) r(i)"""


def _incoming(staged: Staged) -> dict[str, Any]:
    """Arrow tables to register in the target connection."""
    con, kind = staged.con, staged.kind
    out: dict[str, Any] = {}
    if kind in ("leads", "campaigns"):
        out["incoming"] = _rel(con, "SELECT * FROM clean").to_arrow_table()
    elif kind == "costs":
        out["incoming"] = _rel(con, "SELECT * FROM clean").to_arrow_table()
        out["incoming_costs"] = out["incoming"]
    else:
        out["incoming_costs"] = _rel(con, "SELECT * FROM clean").to_arrow_table()
        out["incoming"] = _rel(con, _funnel_leads(staged)).to_arrow_table()
    return out


def _register(con: duckdb.DuckDBPyConnection, tables: dict[str, Any]) -> None:
    con.complete()  # DuckDB 2.0: no unfinished execute() result may be pending
    for name, table in tables.items():
        con.register(name, table)


def _unregister(con: duckdb.DuckDBPyConnection, tables: dict[str, Any]) -> None:
    con.complete()
    for name in tables:
        con.unregister(name)


def plan(con: duckdb.DuckDBPyConnection, staged: Staged, mode: Mode, lang: str = "en") -> Plan:
    """Classify every clean row against the database behind ``con`` (read-only is enough)."""
    tables = _incoming(staged)
    _register(con, tables)
    try:
        _classify_staged(con, staged, mode, lang)
        counts = dict(con.execute("SELECT action, count(*) FROM _plan GROUP BY action").fetchall())
        result = Plan(
            insert=int(counts.get("insert", 0)),
            update=int(counts.get("update", 0)),
            dup_file=int(counts.get("dup_file", 0)),
            dup_db=int(counts.get("dup_db", 0)),
            not_found=int(counts.get("not_found", 0)),
        )
        if staged.kind in ("costs", "funnel"):
            row = con.execute(
                "SELECT count(DISTINCT campaign_id) FROM incoming_costs "
                "WHERE campaign_id NOT IN (SELECT campaign_id FROM campaigns)"
            ).fetchone()
            result.campaigns_created = int(row[0]) if row else 0
        if staged.kind == "leads":
            result.sample = con.execute(
                f"""SELECT p.{ROW} AS "row", i.lead_id, p.match_by, p.target AS existing_lead,
                           p.action, i.email, i.phone
                    FROM _plan p JOIN incoming i USING ({ROW})
                    WHERE p.action <> 'insert' ORDER BY p.{ROW} LIMIT 50"""
            ).df()
        return result
    finally:
        _unregister(con, tables)


def _lead_columns() -> list[str]:
    return list(LEAD_COLUMNS)


def _load_leads(con: duckdb.DuckDBPyConnection, provided: set[str]) -> tuple[int, int]:
    cols = _lead_columns()
    row = con.execute("SELECT count(*) FROM _plan WHERE action = 'insert'").fetchone()
    inserted = int(row[0]) if row else 0
    row = con.execute("SELECT count(*) FROM _plan WHERE action = 'update'").fetchone()
    updated = int(row[0]) if row else 0
    if updated:
        _update_leads(con, provided, cols)
    quoted = ", ".join(quote_ident(c) for c in cols)
    con.execute(
        f"INSERT INTO leads ({quoted}) SELECT {', '.join('i.' + quote_ident(c) for c in cols)} "
        f"FROM incoming i JOIN _plan p USING ({ROW}) WHERE p.action = 'insert'"
    )
    return inserted, updated


def _update_leads(con: duckdb.DuckDBPyConnection, provided: set[str], cols: list[str]) -> None:
    # only the fields the mapping fills change; an empty cell does not erase a stored value
    sets = []
    for c in cols:
        if c in ("lead_id", "stage", "status") or c not in provided:
            continue
        sets.append(f"{quote_ident(c)} = coalesce(u.{quote_ident(c)}, leads.{quote_ident(c)})")
    ts_cases = " ".join(
        f"WHEN coalesce(u.{c}, leads.{c}) IS NOT NULL THEN {rank}" for c, rank in _TIMESTAMP_RANK
    )
    new_rank = (
        f"greatest(list_position({_STAGE_LIST}, leads.stage), "
        f"list_position({_STAGE_LIST}, u.stage), CASE {ts_cases} ELSE 1 END)"
    )
    lost = "WHEN u.lost_at IS NOT NULL THEN 'lost' " if "lost_at" in provided else ""
    sets.append(f"stage = {_STAGE_LIST}[{new_rank}]")
    sets.append(
        f"status = CASE WHEN {new_rank} = 5 THEN 'won' "
        f"WHEN u.__status_in IS NOT NULL AND u.__status_in <> 'won' THEN u.__status_in "
        f"{lost}ELSE leads.status END"
    )
    con.execute(
        f"UPDATE leads SET {', '.join(sets)} FROM "
        f"(SELECT i.*, p.target FROM incoming i JOIN _plan p USING ({ROW}) "
        f"WHERE p.action = 'update') u WHERE leads.lead_id = u.target"
    )


def _load_campaigns(con: duckdb.DuckDBPyConnection, provided: set[str]) -> tuple[int, int]:
    cols = [f.name for f in FIELDS["campaigns"]]
    quoted = ", ".join(quote_ident(c) for c in cols)
    con.execute(
        f"INSERT INTO campaigns ({quoted}) SELECT {', '.join('i.' + quote_ident(c) for c in cols)} "
        f"FROM incoming i JOIN _plan p USING ({ROW}) WHERE p.action = 'insert'"
    )
    sets = [
        f"{quote_ident(c)} = coalesce(u.{quote_ident(c)}, campaigns.{quote_ident(c)})"
        for c in cols
        if c != "campaign_id" and c in provided
    ]
    if sets:
        con.execute(
            f"UPDATE campaigns SET {', '.join(sets)} FROM (SELECT i.* FROM incoming i "
            f"JOIN _plan p USING ({ROW}) WHERE p.action = 'update') u "
            f"WHERE campaigns.campaign_id = u.campaign_id"
        )
    counts = dict(con.execute("SELECT action, count(*) FROM _plan GROUP BY action").fetchall())
    return int(counts.get("insert", 0)), int(counts.get("update", 0)) if sets else 0


def _load_costs(con: duckdb.DuckDBPyConnection, provided: set[str]) -> tuple[int, int, int]:
    row = con.execute(
        "SELECT count(DISTINCT campaign_id) FROM incoming_costs "
        "WHERE campaign_id NOT IN (SELECT campaign_id FROM campaigns)"
    ).fetchone()
    created = int(row[0]) if row else 0
    con.execute(
        "INSERT INTO campaigns (campaign_id, name) SELECT DISTINCT campaign_id, campaign_id "
        "FROM incoming_costs WHERE campaign_id NOT IN (SELECT campaign_id FROM campaigns)"
    )
    con.execute(
        "INSERT INTO campaign_costs (campaign_id, day, spend, impressions, clicks) "
        "SELECT i.campaign_id, i.day, coalesce(i.spend, 0), coalesce(i.impressions, 0), "
        "coalesce(i.clicks, 0) FROM incoming_costs i JOIN _plan_costs p USING (campaign_id, day) "
        "WHERE p.action = 'insert'"
    )
    measures = [c for c in ("spend", "impressions", "clicks") if c in provided]
    if measures:
        sets = ", ".join(f"{c} = coalesce(u.{c}, campaign_costs.{c})" for c in measures)
        con.execute(
            f"UPDATE campaign_costs SET {sets} FROM (SELECT i.* FROM incoming_costs i "
            f"JOIN _plan_costs p USING (campaign_id, day) WHERE p.action = 'update') u "
            f"WHERE campaign_costs.campaign_id = u.campaign_id AND campaign_costs.day = u.day"
        )
    counts = dict(
        con.execute("SELECT action, count(*) FROM _plan_costs GROUP BY action").fetchall()
    )
    return int(counts.get("insert", 0)), int(counts.get("update", 0)) if measures else 0, created


def load(
    con: duckdb.DuckDBPyConnection,
    staged: Staged,
    mode: Mode,
    *,
    lang: str = "en",
    progress: Progress | None = None,
) -> Summary:
    """Write the clean rows in ONE transaction (duplicates classified inside it).

    Raises ImportRejected (and writes nothing) when the file has invalid rows and
    ``staged.skip_invalid`` is false, or when the database refuses the rows.
    """
    progress = progress or _noop
    summary = summarise(staged)
    if staged.invalid_rows and not staged.skip_invalid:
        summary.status = "rejected"
        raise Rejected(summary, t("upload.err.invalid_rows", lang, rows=staged.invalid_rows))
    tables = _incoming(staged)
    provided = staged.mapping.provided()
    if "closed_at" in provided:
        provided = provided | {"won_at", "lost_at"}
    if staged.kind == "funnel":
        provided = provided | {"stage"}
    _register(con, tables)
    progress(0.7, "load")
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            _classify_staged(con, staged, mode, lang)
            if staged.kind == "leads":
                inserted, updated = _load_leads(con, provided)
            elif staged.kind == "campaigns":
                inserted, updated = _load_campaigns(con, provided)
            elif staged.kind == "costs":
                inserted, updated, summary.campaigns_created = _load_costs(con, provided)
            else:
                _, _, summary.campaigns_created = _load_costs(con, provided)
                inserted, updated = _load_leads(con, {"campaign_id", "created_at"})
            counts = dict(
                con.execute("SELECT action, count(*) FROM _plan GROUP BY action").fetchall()
            )
            if _has_table(con, "voronka_meta"):
                store.bump_data_version(con)
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            summary.status = "rejected"
            raise Rejected(
                summary, t("upload.err.load_failed", lang, message=str(exc).splitlines()[0])
            ) from None
    finally:
        _unregister(con, tables)
    progress(1.0, "done")
    summary.inserted, summary.updated = inserted, updated
    summary.duplicates_in_file = int(counts.get("dup_file", 0))
    summary.duplicates_in_database = int(counts.get("dup_db", 0)) + updated
    summary.duplicates = summary.duplicates_in_file + summary.duplicates_in_database
    summary.not_found = int(counts.get("not_found", 0))
    total = sum(int(v) for v in counts.values())
    summary.skipped = summary.rejected + (total - inserted - updated)
    if staged.kind == "funnel":
        summary.skipped = summary.rejected
    return summary


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchone()
    return bool(row and row[0])


class Rejected(ImportRejected):
    """The file (or its load) was refused; ``summary`` says what was found."""

    code = "invalid_rows"

    def __init__(self, summary: Summary, message: str) -> None:
        super().__init__(message)
        self.summary = summary


def summarise(staged: Staged) -> Summary:
    return Summary(
        read=staged.rows + staged.upload.detected.ragged_total,
        rejected=staged.invalid_rows,
        errors=staged.errors(ERRORS_SHOWN),
        error_count=staged.error_count,
        merged=staged.merged_rows,
    )


def require_unambiguous(staged: Staged, lang: str) -> None:
    """The CLI's rule: a date column that reads two ways needs --date-format."""
    if staged.ambiguous:
        source, choices = next(iter(staged.ambiguous.items()))
        raise AmbiguousDates(
            t("upload.err.ambiguous_dates", lang, column=source, choices=" / ".join(choices))
        )


# --------------------------------------------------------------------------------------------
# Ad-hoc view: the file alone in an in-memory database


def adhoc_source(staged: Staged, label: str) -> store.MemorySource:
    """An in-memory database holding only this file (its duplicates inside it skipped)."""
    source = store.MemorySource(label=label)
    with source.writing() as con:
        load(con, staged, "append")
    return source


# --------------------------------------------------------------------------------------------
# The whole pipeline (the CLI)


def import_file(
    db: str | os.PathLike[str] | None,
    path: str | os.PathLike[str],
    mapping: Mapping,
    *,
    mode: Mode = "append",
    skip_invalid: bool = False,
    dry_run: bool = False,
    lang: str = "en",
    require_confirmed: bool = True,
    progress: Callable[[float, str], None] | None = None,
) -> Summary:
    """Read, check and (unless ``dry_run``) load ``path`` into the database ``db``.

    With ``require_confirmed`` an unsure delimiter or an ambiguous date column is refused
    (the CLI asks for --delimiter / --date-format). Raises ImportRejected with nothing written.
    """
    from analytics.importer.reading import require_sure_delimiter

    db_path = store.resolve_path(db)
    if not db_path.exists():
        raise store.DatabaseMissing(
            f"{db_path} does not exist. Create it with `python -m analytics init --db {db_path}`."
        )
    upload = open_file(
        path,
        encoding=mapping.encoding,
        delimiter=mapping.delimiter,
        lang=lang,
        progress=progress,
    )
    try:
        if require_confirmed and mapping.delimiter is None:
            require_sure_delimiter(upload.detected, lang)
        staged = stage(upload, mapping, lang=lang, skip_invalid=skip_invalid, progress=progress)
        if require_confirmed:
            require_unambiguous(staged, lang)
        if dry_run:
            summary = summarise(staged)
            with store.reading(db_path) as con:
                p = plan(con, staged, mode, lang)
            summary.status = "dry_run"
            summary.inserted, summary.updated = p.insert, p.update
            summary.duplicates_in_file, summary.duplicates_in_database = (
                p.dup_file,
                p.dup_db + p.update,
            )
            summary.duplicates = p.dup_file + p.dup_db + p.update
            summary.skipped = summary.rejected + p.dup_file + p.dup_db + p.not_found
            summary.not_found = p.not_found
            summary.campaigns_created = p.campaigns_created
            if staged.invalid_rows and not skip_invalid:
                summary.status = "rejected"
                raise Rejected(
                    summary, t("upload.err.invalid_rows", lang, rows=staged.invalid_rows)
                )
            return summary
        if staged.invalid_rows and not skip_invalid:
            summary = summarise(staged)
            summary.status = "rejected"
            raise Rejected(summary, t("upload.err.invalid_rows", lang, rows=staged.invalid_rows))
        with store.writing(db_path) as con:
            return load(con, staged, mode, lang=lang, progress=progress)
    finally:
        upload.close()
