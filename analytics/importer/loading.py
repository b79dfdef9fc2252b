"""Loading: staged rows classified against the target database (duplicates by id, e-mail and
phone) and written in ONE transaction; the ad-hoc view loads them into a fresh in-memory database.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from analytics import store
from analytics.i18n import t
from analytics.importer.errors import (
    BadValue,
    ImportRejected,
    MissingColumns,
)
from analytics.importer.fields import (
    FIELDS,
    Kind,
    Mode,
)
from analytics.importer.reading import ROW, Progress
from analytics.importer.staging import (
    _STAGE_LIST,
    _TIMESTAMP_RANK,
    ERRORS_SHOWN,
    LEAD_COLUMNS,
    Staged,
    _noop,
    _rel,
)
from analytics.model import STAGES
from analytics.sql import quote_ident

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
            with suppress(duckdb.Error):  # after an IO error the transaction is already gone
                con.execute("ROLLBACK")
            summary.status = "rejected"
            raise Rejected(summary, _load_failed(exc, lang)) from None
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


def _load_failed(exc: duckdb.Error, lang: str) -> str:
    """Why the database refused the rows, in plain words for a full disk or a read-only file."""
    problem = store.write_problem(exc, "")
    if isinstance(problem, store.DiskFull):
        return t("upload.err.disk_full", lang)
    if isinstance(problem, store.DatabaseReadOnly):
        return t("upload.err.read_only", lang)
    return t("upload.err.load_failed", lang, message=str(exc).splitlines()[0])


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


# --------------------------------------------------------------------------------------------
# Ad-hoc view: the file alone in an in-memory database


def adhoc_source(staged: Staged, label: str) -> store.MemorySource:
    """An in-memory database holding only this file (its duplicates inside it skipped)."""
    source = store.MemorySource(label=label)
    with source.writing() as con:
        load(con, staged, "append")
    return source
