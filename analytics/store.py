"""The store: where the database lives, its schema, migrations, settings and connections.

Connection model (DuckDB 2.0, see STACK-NOTES and docs/RELIABILITY.md): a connection is held only
while it is used (:func:`reading`, :func:`writing`), so the app, the CLI and other programs can
take turns on one file; busy files are retried for a bounded time, then reported clearly.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

import duckdb

from analytics.model import DEFAULT_ICP_MAX, DEFAULT_ICP_MIN, STAGES

PROJECT_ROOT: Final[Path] = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH: Final[Path] = PROJECT_ROOT / "data" / "voronka.duckdb"
ENV_DB: Final[str] = "VORONKA_DB"

#: The schema version this code writes. A file with a higher version is refused, not touched.
SCHEMA_VERSION: Final[int] = 2

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


class DatabaseReadOnly(StoreError):
    """The file (or its folder, or the mount) cannot be written; reading still works."""


class DiskFull(StoreError):
    """No room to write: the disk is full or the file reached a size limit."""


_READ_ONLY_SIGNS = ("Permission denied", "Operation not permitted", "Read-only file system")
_FULL_SIGNS = ("No space left on device", "File too large", "Disk quota exceeded")


def write_problem(exc: BaseException, path: Path | str) -> StoreError | None:
    """The plain-words error for a failed write (full disk, read-only file), or None.

    DuckDB reports these as IO errors with the operating system's text; nothing was committed
    (a failed transaction is rolled back, and an interrupted one is undone on the next open).
    """
    text = str(exc)
    if any(sign in text for sign in _FULL_SIGNS):
        return DiskFull(
            f"There is no room to write {path}: the disk is full (or the file reached its size "
            "limit). Nothing was changed. Free some space, then try again."
        )
    if any(sign in text for sign in _READ_ONLY_SIGNS):
        return DatabaseReadOnly(
            f"{path} cannot be written (a read-only file, folder or disk). Nothing was changed; "
            "reading it still works. Make it writable, or copy it somewhere writable and point "
            "Voronka there (--db or VORONKA_DB)."
        )
    return None


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

#: Version 2: import mappings saved by name (the Upload page and `import --mapping`).
_SCHEMA_V2: Final[str] = """
CREATE TABLE IF NOT EXISTS import_mappings (
    name     VARCHAR PRIMARY KEY,
    kind     VARCHAR NOT NULL,
    mapping  VARCHAR NOT NULL,
    saved_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
"""

#: version -> DDL that brings a database from version-1 to version. Append, never edit.
MIGRATIONS: Final[dict[int, str]] = {1: _SCHEMA_V1, 2: _SCHEMA_V2}


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
    SettingSpec(
        "week_start",
        "monday",
        "First day of the week on the Weekly review: monday (ISO weeks, labelled 2026-W05) or "
        "sunday (weeks labelled by their first day). The CLI report always uses ISO weeks.",
    ),
    SettingSpec(
        "show_contacts",
        False,
        "Show e-mails and phones unmasked in lead lists (the deployer can lock this off).",
    ),
    SettingSpec(
        "upload_limit_mb",
        200,
        "Largest file the Upload page accepts, in MB (the server's maxUploadSize caps it).",
    ),
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


def schema_problems(columns: Iterable[tuple[Any, Any]]) -> list[str]:
    """What the (table, column) pairs of a database lack of :data:`REQUIRED_COLUMNS`, worded
    for people ("table leads is missing", "leads lacks stage, status"); empty when complete."""
    present: dict[str, set[str]] = {}
    for table, column in columns:
        present.setdefault(str(table), set()).add(str(column))
    problems = []
    for table, required in REQUIRED_COLUMNS.items():
        if table not in present:
            problems.append(f"table {table} is missing")
            continue
        missing = [c for c in required if c not in present[table]]
        if missing:
            problems.append(f"{table} lacks {', '.join(missing)}")
    return problems


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
    problems = schema_problems(rows)
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
            raise NotAVoronkaDatabase(
                f"{path} is not a DuckDB database file (it was not changed). Check the path; "
                "a Voronka database is created with `python -m analytics init` or `demo`."
            ) from exc
        problem = write_problem(exc, path)
        if problem is not None:
            raise problem from exc
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
    signature = file_signature(p)
    con = _connect_file(p, read_only)
    try:
        if read_only:
            if _schema_checked.get(str(p.resolve())) != signature:
                check_schema(con, p)
                _schema_checked[str(p.resolve())] = signature
        else:
            if schema_version(con) is None and _has_table(con, "leads"):
                check_schema(con, p)  # written by another tool: adopt it only if it fits
            migrate(con)
            check_schema(con, p)
    except BaseException:
        con.close()
        raise
    return con


#: file -> the signature at which its schema was last found good (checked once per version)
_schema_checked: dict[str, tuple[int, ...]] = {}


def open_memory() -> duckdb.DuckDBPyConnection:
    """A fresh in-memory database with the schema (tests, ad-hoc views)."""
    con = duckdb.connect(":memory:")
    migrate(con)
    return con


# --------------------------------------------------------------------------------------------
# Connections: held only while in use, and briefly after.
#
# DuckDB allows one read-write process per file, or many read-only ones, and refuses a second
# configuration for the same file inside one process. So:
# - reads take a cursor of a pooled read-only connection, kept for POOL_IDLE_SECONDS after its
#   last use (at most POOL_MAX_AGE_SECONDS), so a user's next filter change finds it warm;
# - writes close that connection and open a read-write one for the duration of the block;
# - inside a process a reader-writer lock keeps the two apart;
# - across processes a writer first leaves a write-intent marker beside the file
#   (``<file>.write-intent``, its PID): readers then release the file and wait for the write
#   instead of starving the writer; a busy file is retried with backoff for a bounded time and
#   then reported with the process that holds it.

DEFAULT_READ_TIMEOUT: Final[float] = 10.0
DEFAULT_WRITE_TIMEOUT: Final[float] = 30.0


def _timeout(given: float | None, env: str, default: float) -> float:
    """Seconds to wait for the file: the argument, else ``$env`` (VORONKA_READ_TIMEOUT,
    VORONKA_WRITE_TIMEOUT), else the default."""
    if given is not None:
        return given
    try:
        return float(os.environ.get(env, "") or default)
    except ValueError:
        return default


POOL_IDLE_SECONDS = 2.0
POOL_MAX_AGE_SECONDS = 30.0
INTENT_STALE_SECONDS = 600.0


class _ReadWriteLock:
    """Many readers or one writer; a waiting writer blocks new readers (no writer starvation)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    def acquire_read(self, timeout: float) -> bool:
        with self._cond:
            free = self._cond.wait_for(
                lambda: not self._writer and not self._writers_waiting, timeout
            )
            if free:
                self._readers += 1
            return free

    def release_read(self) -> None:
        with self._cond:
            self._readers -= 1
            self._cond.notify_all()

    def acquire_write(self, timeout: float) -> bool:
        with self._cond:
            self._writers_waiting += 1
            try:
                ok = self._cond.wait_for(lambda: not self._writer and self._readers == 0, timeout)
                if ok:
                    self._writer = True
                return ok
            finally:
                self._writers_waiting -= 1

    def release_write(self) -> None:
        with self._cond:
            self._writer = False
            self._cond.notify_all()


_locks_guard = threading.Lock()
_locks: dict[str, _ReadWriteLock] = {}


def _lock_for(path: Path) -> _ReadWriteLock:
    key = str(path.resolve())
    with _locks_guard:
        return _locks.setdefault(key, _ReadWriteLock())


def _open_with_retry(
    path: Path, *, read_only: bool, create: bool, timeout: float
) -> duckdb.DuckDBPyConnection:
    """Open, retrying while another process holds the file (backoff 50 ms doubling to 1 s)."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        if read_only:
            _wait_for_foreign_writer(path, deadline)
        try:
            return open_database(path, read_only=read_only, create=create)
        except DatabaseBusy:
            if time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


# -- write intent: a writer in another process asks readers to let go -------------------------


def _intent_path(path: Path) -> Path:
    return path.with_name(path.name + ".write-intent")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def foreign_write_intent(path: Path) -> int | None:
    """The PID of another live process waiting to write ``path``, if any (stale markers of
    dead processes, or older than INTENT_STALE_SECONDS, are ignored)."""
    marker = _intent_path(path)
    try:
        text = marker.read_text(encoding="utf-8")
        age = time.time() - marker.stat().st_mtime
    except (FileNotFoundError, OSError):
        return None
    try:
        pid = int(json.loads(text)["pid"])
    except (ValueError, KeyError, TypeError):
        return None
    if pid == os.getpid() or age > INTENT_STALE_SECONDS or not _pid_alive(pid):
        return None
    return pid


def _wait_for_foreign_writer(path: Path, deadline: float) -> None:
    while (pid := foreign_write_intent(path)) is not None:
        if time.monotonic() > deadline:
            raise DatabaseBusy(
                f"{path} is being updated by another program (PID {pid}); try again shortly."
            )
        time.sleep(0.05)


@contextmanager
def _write_intent(path: Path) -> Iterator[None]:
    marker = _intent_path(path)
    mine = False
    try:
        marker.write_text(json.dumps({"pid": os.getpid(), "since": time.time()}), "utf-8")
        mine = True
    except OSError:
        pass  # a read-only directory: no marker, the plain retry still works
    try:
        yield
    finally:
        if mine:
            with suppress(OSError):
                if json.loads(marker.read_text("utf-8")).get("pid") == os.getpid():
                    marker.unlink()


# -- the read pool --------------------------------------------------------------------------


@dataclass
class _Pooled:
    con: duckdb.DuckDBPyConnection
    opened: float
    last_used: float
    users: int = 0


_pool_lock = threading.Lock()
_pool: dict[str, _Pooled] = {}
_closer: threading.Thread | None = None


def _usable(entry: _Pooled, path: Path, now: float) -> bool:
    return now - entry.opened < POOL_MAX_AGE_SECONDS and foreign_write_intent(path) is None


def _checkout(path: Path, timeout: float) -> duckdb.DuckDBPyConnection:
    key = str(path.resolve())
    with _pool_lock:
        entry = _pool.get(key)
        if entry is not None and _usable(entry, path, time.monotonic()):
            entry.users += 1
            return entry.con.cursor()
        if entry is not None and entry.users == 0:
            _pool.pop(key).con.close()
    con = _open_with_retry(path, read_only=True, create=False, timeout=timeout)
    now = time.monotonic()
    with _pool_lock:
        entry = _pool.get(key)
        if entry is None:
            entry = _Pooled(con, now, now)
            _pool[key] = entry
            _start_closer()
        else:  # another thread opened one meanwhile: same database instance, use theirs
            con.close()
        entry.users += 1
        return entry.con.cursor()


def _checkin(path: Path) -> None:
    with _pool_lock:
        entry = _pool.get(str(path.resolve()))
        if entry is not None:
            entry.users -= 1
            entry.last_used = time.monotonic()


def _close_idle(force_path: Path | None = None) -> None:
    """Close pooled connections nobody uses that are idle, too old, wanted by a writer (or, with
    ``force_path``, that file's connection whatever its age)."""
    now = time.monotonic()
    with _pool_lock:
        for key, entry in list(_pool.items()):
            if entry.users:
                continue
            path = Path(key)
            if (
                (force_path is not None and key == str(force_path.resolve()))
                or now - entry.last_used > POOL_IDLE_SECONDS
                or now - entry.opened > POOL_MAX_AGE_SECONDS
                or foreign_write_intent(path) is not None
            ):
                _pool.pop(key).con.close()


def _closer_loop() -> None:
    while True:
        time.sleep(0.2)
        try:
            _close_idle()
        except Exception:
            continue


def _start_closer() -> None:
    global _closer
    if _closer is None or not _closer.is_alive():
        _closer = threading.Thread(target=_closer_loop, name="voronka-pool-closer", daemon=True)
        _closer.start()


def _close_all() -> None:
    """Close every pooled connection (at exit: a connection alive at interpreter shutdown makes
    DuckDB's bindings report leaks, and keeps the file locked a moment longer)."""
    with _pool_lock:
        for key in list(_pool):
            with suppress(duckdb.Error):
                _pool.pop(key).con.close()


atexit.register(_close_all)


def release(path: str | os.PathLike[str] | None = None) -> None:
    """Close the pooled connection to ``path`` now if nobody is using it (tests, shutdown)."""
    _close_idle(force_path=resolve_path(path))


@contextmanager
def reading(
    path: str | os.PathLike[str] | None = None, *, timeout: float | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection (a cursor of the pooled one) for the duration of the block."""
    timeout = _timeout(timeout, "VORONKA_READ_TIMEOUT", DEFAULT_READ_TIMEOUT)
    p = resolve_path(path)
    lock = _lock_for(p)
    if not lock.acquire_read(timeout):
        raise DatabaseBusy(f"{p} is being written by this program; try again in a moment.")
    try:
        cur = _checkout(p, timeout)
        try:
            yield cur
        finally:
            cur.close()
            _checkin(p)
    finally:
        lock.release_read()


@contextmanager
def writing(
    path: str | os.PathLike[str] | None = None,
    *,
    create: bool = False,
    timeout: float | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection (schema migrated) for the duration of the block."""
    timeout = _timeout(timeout, "VORONKA_WRITE_TIMEOUT", DEFAULT_WRITE_TIMEOUT)
    p = resolve_path(path)
    lock = _lock_for(p) if p.exists() or create else None
    if lock is not None and not lock.acquire_write(timeout):
        raise DatabaseBusy(f"{p} is being read by this program; try again in a moment.")
    try:
        release(p)  # this process's read connection goes first (no reader is using it now)
        with _write_intent(p):  # other processes' readers let go and wait until we are done
            con = _open_with_retry(p, read_only=False, create=create, timeout=timeout)
            try:
                yield con
            except duckdb.Error as exc:
                problem = write_problem(exc, p)
                if problem is not None:
                    raise problem from exc
                raise
            finally:
                con.close()
    finally:
        if lock is not None:
            lock.release_write()


def file_signature(path: str | os.PathLike[str] | None = None) -> tuple[int, ...]:
    """Changes whenever the file (or its write-ahead log) is written, by any program.

    Cheap (two ``stat`` calls): the app uses it as the data part of every cache key.
    """
    p = resolve_path(path)
    out: list[int] = []
    for f in (p, Path(str(p) + ".wal")):
        try:
            st = f.stat()
            out += [st.st_mtime_ns, st.st_size]
        except FileNotFoundError:
            out += [0, 0]
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Sources: where a view's data comes from (the database file, or an in-memory database holding
# an uploaded file for an ad-hoc view). Metrics take a connection; sources hand them out.


class Source(Protocol):
    key: str  #: stable identity, part of cache keys
    label: str  #: what to call it on screen

    def reading(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]: ...

    def writing(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]: ...

    def signature(self) -> tuple[int, ...]: ...


class FileSource:
    """The DuckDB file: short-lived connections, signature from the file's stat."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = resolve_path(path)
        self.key = f"file:{self.path.resolve() if self.path.exists() else self.path}"
        self.label = self.path.name

    def reading(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        return reading(self.path)

    def writing(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        return writing(self.path)

    def signature(self) -> tuple[int, ...]:
        return file_signature(self.path)


class MemorySource:
    """An in-memory database (one browser session's ad-hoc upload, tests): a cursor per use."""

    def __init__(self, con: duckdb.DuckDBPyConnection | None = None, label: str = "memory"):
        self._con = con if con is not None else open_memory()
        self._version = 0
        self._lock = threading.Lock()
        self.key = f"memory:{uuid.uuid4().hex}"
        self.label = label

    @contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    @contextmanager
    def writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:
            cur = self._con.cursor()
            try:
                yield cur
            finally:
                cur.close()
                self._version += 1

    def signature(self) -> tuple[int, ...]:
        return (self._version,)

    def close(self) -> None:
        self._con.close()
