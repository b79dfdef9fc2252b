"""The store: where the database lives, its schema, migrations, settings and connections.

Connection model (DuckDB 2.0, see STACK-NOTES): one database connection per process and file,
shared by every thread; each query or rerun takes its own ``cursor()`` so two Streamlit sessions
never use one connection at once.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import duckdb

from analytics.model import DEFAULT_ICP_MAX, DEFAULT_ICP_MIN, STAGES

PROJECT_ROOT: Final[Path] = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH: Final[Path] = PROJECT_ROOT / "data" / "voronka.duckdb"
ENV_DB: Final[str] = "VORONKA_DB"

#: The schema version this code writes. A file with a higher version is refused, not touched.
SCHEMA_VERSION: Final[int] = 1

REQUIRED_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "campaigns": (
        "campaign_id",
        "name",
        "channel",
        "direction",
        "start_date",
        "end_date",
        "budget",
    ),
    "campaign_costs": ("campaign_id", "day", "spend", "impressions", "clicks"),
    "leads": (
        "lead_id",
        "created_at",
        "campaign_id",
        "channel",
        "source",
        "company",
        "company_size",
        "industry",
        "region",
        "email",
        "phone",
        "owner",
        "bant_budget",
        "bant_authority",
        "bant_need",
        "bant_timing",
        "score",
        "stage",
        "status",
        "mql_at",
        "sql_at",
        "opportunity_at",
        "won_at",
        "lost_at",
        "lost_reason",
        "deal_value",
    ),
}


class StoreError(Exception):
    """A problem with the database file, worded for the person who has to fix it."""


class DatabaseMissing(StoreError):
    pass


class NotAVoronkaDatabase(StoreError):
    pass


class NewerSchema(StoreError):
    pass


class DatabaseBusy(StoreError):
    pass


def _stage_in(stages: tuple[str, ...]) -> str:
    # Constants from the code, not user input: safe to write as literals.
    return "(" + ", ".join(f"'{s}'" for s in stages) + ")"


_SCHEMA_V1: Final[str] = f"""
CREATE TABLE IF NOT EXISTS campaigns (
    campaign_id VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    channel     VARCHAR,
    direction   VARCHAR CHECK (direction IN ('inbound', 'outbound')),
    start_date  DATE,
    end_date    DATE,
    budget      DECIMAL(18, 2) CHECK (budget >= 0),
    CHECK (start_date IS NULL OR end_date IS NULL OR end_date >= start_date)
);

CREATE TABLE IF NOT EXISTS campaign_costs (
    campaign_id VARCHAR NOT NULL,
    day         DATE NOT NULL,
    spend       DECIMAL(18, 2) NOT NULL DEFAULT 0 CHECK (spend >= 0),
    impressions BIGINT NOT NULL DEFAULT 0 CHECK (impressions >= 0),
    clicks      BIGINT NOT NULL DEFAULT 0 CHECK (clicks >= 0),
    PRIMARY KEY (campaign_id, day)
);

CREATE TABLE IF NOT EXISTS leads (
    lead_id        VARCHAR PRIMARY KEY,
    created_at     TIMESTAMP NOT NULL,
    campaign_id    VARCHAR,
    channel        VARCHAR,
    source         VARCHAR,
    company        VARCHAR,
    company_size   INTEGER CHECK (company_size >= 0),
    industry       VARCHAR,
    region         VARCHAR,
    email          VARCHAR,
    phone          VARCHAR,
    owner          VARCHAR,
    bant_budget    BOOLEAN,
    bant_authority BOOLEAN,
    bant_need      BOOLEAN,
    bant_timing    BOOLEAN,
    score          DOUBLE,
    stage          VARCHAR NOT NULL CHECK (stage IN {_stage_in(STAGES)}),
    status         VARCHAR NOT NULL CHECK (status IN ('open', 'won', 'lost', 'nurture')),
    mql_at         TIMESTAMP,
    sql_at         TIMESTAMP,
    opportunity_at TIMESTAMP,
    won_at         TIMESTAMP,
    lost_at        TIMESTAMP,
    lost_reason    VARCHAR,
    deal_value     DECIMAL(18, 2) CHECK (deal_value >= 0),
    -- a timestamp that is set implies the stage is at least that far
    CHECK (mql_at IS NULL OR stage IN {_stage_in(STAGES[1:])}),
    CHECK (sql_at IS NULL OR stage IN {_stage_in(STAGES[2:])}),
    CHECK (opportunity_at IS NULL OR stage IN {_stage_in(STAGES[3:])}),
    CHECK (won_at IS NULL OR stage = 'won'),
    -- status "won" and stage "won" go together
    CHECK ((status = 'won') = (stage = 'won'))
);

CREATE TABLE IF NOT EXISTS settings (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS voronka_meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
"""

#: version -> DDL that brings a database from version-1 to version. Append, never edit.
MIGRATIONS: Final[dict[int, str]] = {1: _SCHEMA_V1}


# --------------------------------------------------------------------------------------------
# Settings: every setting has a name, a default and a line of help (tested against the docs).


@dataclass(frozen=True)
class SettingSpec:
    key: str
    default: Any
    help: str


SETTINGS: Final[tuple[SettingSpec, ...]] = (
    SettingSpec("currency", "RUB", "ISO code of the currency spend and deal values are in."),
    SettingSpec("icp_min", DEFAULT_ICP_MIN, "Smallest company size (employees) that is target."),
    SettingSpec("icp_max", DEFAULT_ICP_MAX, "Largest company size (employees) that is target."),
    SettingSpec("language", "en", "Interface language: en or ru."),
    SettingSpec("stage_labels", {}, 'Your CRM\'s names for the stages, e.g. {"sql": "Call"}.'),
    SettingSpec("week_start", "monday", "First day of the week on weekly charts."),
)
SETTING_KEYS: Final[frozenset[str]] = frozenset(s.key for s in SETTINGS)


def default_settings() -> dict[str, Any]:
    return {s.key: s.default for s in SETTINGS}


def read_settings(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """All settings, defaults filled in. A database without a settings table gives the defaults."""
    values = default_settings()
    if not _has_table(con, "settings"):
        return values
    for key, raw in con.execute("SELECT key, value FROM settings").fetchall():
        if key in SETTING_KEYS:
            try:
                values[key] = json.loads(raw)
            except json.JSONDecodeError:
                continue  # a hand-edited bad value falls back to the default
    return values


def write_setting(con: duckdb.DuckDBPyConnection, key: str, value: Any) -> None:
    if key not in SETTING_KEYS:
        raise KeyError(f"unknown setting {key!r}; known: {', '.join(sorted(SETTING_KEYS))}")
    con.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, json.dumps(value, ensure_ascii=False)],
    )
    bump_data_version(con)


# --------------------------------------------------------------------------------------------
# Meta: data version (cache key for the app) and the demo flag.


def get_meta(con: duckdb.DuckDBPyConnection, key: str, default: str | None = None) -> str | None:
    if not _has_table(con, "voronka_meta"):
        return default
    row = con.execute("SELECT value FROM voronka_meta WHERE key = ?", [key]).fetchone()
    return default if row is None else str(row[0])


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute(
        "INSERT INTO voronka_meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A counter bumped by every write through Voronka; part of every cache key."""
    return int(get_meta(con, "data_version", "0") or 0)


def bump_data_version(con: duckdb.DuckDBPyConnection) -> None:
    set_meta(con, "data_version", str(data_version(con) + 1))


def is_demo(con: duckdb.DuckDBPyConnection) -> bool:
    return get_meta(con, "demo", "false") == "true"


# --------------------------------------------------------------------------------------------
# Opening, creating, migrating.


def resolve_path(path: str | os.PathLike[str] | None = None) -> Path:
    """``path`` if given, else ``$VORONKA_DB``, else ``data/voronka.duckdb``."""
    if path is not None and str(path) != "":
        return Path(path).expanduser()
    env = os.environ.get(ENV_DB, "").strip()
    return Path(env).expanduser() if env else DEFAULT_DB_PATH


def is_default_path(path: Path) -> bool:
    return path.resolve() == DEFAULT_DB_PATH.resolve()


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_name = ? AND table_schema = current_schema()",
        [name],
    ).fetchone()
    return bool(row and row[0])


def schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The version recorded in the file; None if it has no ``schema_version`` table."""
    if not _has_table(con, "schema_version"):
        return None
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    return None if row is None or row[0] is None else int(row[0])


def check_schema(con: duckdb.DuckDBPyConnection, path: Path | str = "") -> None:
    """Raise a clear error unless the PRODUCT.md tables and columns are all there."""
    version = schema_version(con)
    if version is not None and version > SCHEMA_VERSION:
        raise NewerSchema(
            f"{path or 'The database'} has schema version {version}, newer than this Voronka "
            f"understands ({SCHEMA_VERSION}). Upgrade Voronka; the file was not changed."
        )
    rows = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema()"
    ).fetchall()
    present: dict[str, set[str]] = {}
    for table, column in rows:
        present.setdefault(str(table), set()).add(str(column))
    problems = []
    for table, columns in REQUIRED_COLUMNS.items():
        if table not in present:
            problems.append(f"table {table} is missing")
            continue
        missing = [c for c in columns if c not in present[table]]
        if missing:
            problems.append(f"{table} lacks {', '.join(missing)}")
    if problems:
        raise NotAVoronkaDatabase(
            f"{path or 'The database'} does not have the Voronka schema ({'; '.join(problems)}). "
            "Create one with `python -m analytics init --db PATH` or `python -m analytics demo`."
        )


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Bring the schema up to :data:`SCHEMA_VERSION` in one transaction; return the version."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        "version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    current = schema_version(con) or 0
    if current > SCHEMA_VERSION:
        check_schema(con)  # raises NewerSchema
    if current == SCHEMA_VERSION:
        return current
    con.execute("BEGIN TRANSACTION")
    try:
        for version in range(current + 1, SCHEMA_VERSION + 1):
            con.execute(MIGRATIONS[version])
            con.execute("INSERT INTO schema_version (version) VALUES (?)", [version])
        con.execute("COMMIT")
    except duckdb.Error:
        con.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION


def _connect_file(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise DatabaseBusy(
                f"{path} is in use by another program ({_lock_holder(text)}). "
                "Close it or wait for it to finish, then try again."
            ) from exc
        if "not a valid DuckDB database file" in text or "Not a DuckDB" in text:
            raise NotAVoronkaDatabase(f"{path} is not a DuckDB database file.") from exc
        raise StoreError(f"Cannot open {path}: {text}") from exc
    except duckdb.Error as exc:
        raise StoreError(f"Cannot open {path}: {exc}") from exc


def _lock_holder(text: str) -> str:
    """'python3.11 (PID 10987)' out of DuckDB's lock message, or 'another process'."""
    match = re.search(r"Conflicting lock is held in (.+?) \(PID (\d+)\)", text)
    if not match:
        return "another process"
    return f"{Path(match.group(1)).name}, PID {match.group(2)}"


def open_database(
    path: str | os.PathLike[str] | None = None,
    *,
    read_only: bool = False,
    create: bool = False,
) -> duckdb.DuckDBPyConnection:
    """Open the database file, migrating it if writable.

    ``read_only`` opens without changing anything (a report on a file written by another tool).
    ``create`` allows a missing file to be created empty with the schema.
    """
    p = resolve_path(path)
    if not p.exists():
        if not create:
            raise DatabaseMissing(
                f"{p} does not exist. Create it with `python -m analytics demo --db {p}` "
                f"(demo data) or `python -m analytics init --db {p}` (empty)."
            )
        p.parent.mkdir(parents=True, exist_ok=True)
    con = _connect_file(p, read_only)
    try:
        if read_only:
            check_schema(con, p)
        else:
            if schema_version(con) is None and _has_table(con, "leads"):
                check_schema(con, p)  # written by another tool: adopt it only if it fits
            migrate(con)
            check_schema(con, p)
    except BaseException:
        con.close()
        raise
    return con


def open_memory() -> duckdb.DuckDBPyConnection:
    """A fresh in-memory database with the schema (tests, ad-hoc views)."""
    con = duckdb.connect(":memory:")
    migrate(con)
    return con


# --------------------------------------------------------------------------------------------
# One connection per process and file, a cursor per use.

_shared_lock = threading.Lock()
_shared: dict[tuple[str, bool], duckdb.DuckDBPyConnection] = {}


def shared_connection(
    path: str | os.PathLike[str] | None = None, *, read_only: bool = False, create: bool = False
) -> duckdb.DuckDBPyConnection:
    """The process-wide connection to ``path``; take ``.cursor()`` from it for each use."""
    p = resolve_path(path).resolve() if resolve_path(path).exists() else resolve_path(path)
    key = (str(p), read_only)
    with _shared_lock:
        con = _shared.get(key)
        if con is None:
            con = open_database(p, read_only=read_only, create=create)
            _shared[key] = con
        return con


def close_shared(path: str | os.PathLike[str] | None = None) -> None:
    """Close the shared connection(s) to ``path`` (all files if None)."""
    with _shared_lock:
        for key in list(_shared):
            if path is None or key[0] == str(resolve_path(path).resolve()):
                _shared.pop(key).close()


@contextmanager
def cursor(path: str | os.PathLike[str] | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    cur = shared_connection(path).cursor()
    try:
        yield cur
    finally:
        cur.close()
