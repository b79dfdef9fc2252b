"""ClickHouse as a Voronka engine: a connection that speaks the metrics' DuckDB SQL.

:class:`ClickHouseConnection` offers the part of a DuckDB connection the metrics use
(``execute(sql, params)`` -> ``df()`` / ``fetchone()`` / ``fetchall()`` / ``description``):
each statement goes through :func:`analytics.engine.dialect.to_clickhouse` (the one seam) and
runs on a backend, the embedded chdb (``chdb:///path/to/dir``) or a server through the official
``clickhouse-connect`` client (``clickhouse://user:password@host:8123/database``; ``https://``
URLs too). Both backends are imported only when used: DuckDB users need neither.

Results come back as Arrow and are turned into the pandas types DuckDB gives (counts int64,
money float64, timestamps naive datetime64[us]), so pages and tests see the same frames.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Final, Protocol
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analytics import store
from analytics.engine.dialect import QUERY_SETTINGS, param_text, to_clickhouse_statements


class ClickHouseError(store.StoreError):
    """A ClickHouse problem worded for the person who has to fix it."""


class Backend(Protocol):
    label: str

    def query_arrow(self, sql: str, params: dict[str, Any]) -> pa.Table: ...

    def command(self, sql: str, params: dict[str, Any]) -> None: ...

    def insert_arrow(self, table: str, data: pa.Table) -> None: ...

    def close(self) -> None: ...


# -- backends ------------------------------------------------------------------------------------


def _need(module: str, package: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ClickHouseError(
            f"The ClickHouse engine needs the {package} package: pip install {package}"
        ) from exc


_chdb_lock = threading.Lock()
_chdb_sessions: dict[str, Any] = {}


def _chdb_session(path: str) -> Any:
    """The process's chdb session. chdb runs one data directory per process: a second one is
    refused with the reason (use several databases in one directory instead)."""
    with _chdb_lock:
        session = _chdb_sessions.get(path)
        if session is None and _chdb_sessions:
            (other,) = _chdb_sessions
            raise ClickHouseError(
                f"The embedded ClickHouse (chdb) of this process already uses {other}; it runs "
                f"one data directory per process, so {path} cannot be opened beside it. Use "
                "one directory with several databases (chdb:///dir?database=name)."
            )
        if session is None:
            chdb_session = _need("chdb.session", "chdb")
            session = chdb_session.Session(path)
            for key, value in QUERY_SETTINGS.items():
                session.query(
                    f"SET {key} = {value!r}" if isinstance(value, str) else f"SET {key} = {value}"
                )
            session.current_database = None
            _chdb_sessions[path] = session
        return session


class ChdbBackend:
    """The embedded ClickHouse (chdb): ``path`` is a directory, or ``:memory:``."""

    def __init__(self, path: str = ":memory:", database: str = "default") -> None:
        self.path = path
        self.database = database
        self.label = f"chdb {path}" + ("" if database == "default" else f" ({database})")
        self._session = _chdb_session(path)
        if database != "default":
            self._run(f"CREATE DATABASE IF NOT EXISTS `{_plain(database)}`", "CSV", {}, "default")

    def _run(self, sql: str, fmt: str, params: dict[str, Any], database: str = "") -> Any:
        database = database or self.database
        with _chdb_lock:  # USE + query as one step: the session's database is shared state
            if self._session.current_database != database:
                self._session.query(f"USE `{_plain(database)}`")
                self._session.current_database = database
            text = {k: param_text(v) for k, v in params.items()}
            try:
                return self._session.query(sql, fmt, params=text)
            except RuntimeError as exc:
                raise ClickHouseError(f"ClickHouse (chdb) refused a query: {exc}") from exc

    def query_arrow(self, sql: str, params: dict[str, Any]) -> pa.Table:
        result = self._run(sql, "ArrowTable", params)
        return result if isinstance(result, pa.Table) else pa.table({})

    def command(self, sql: str, params: dict[str, Any]) -> None:
        self._run(sql, "CSV", params)

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        if data.num_rows == 0:
            return
        frame = zero_null_slots(data)  # noqa: F841 - read by chdb's Python() table function
        columns = ", ".join(f"`{c}`" for c in data.column_names)
        self._run(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM Python(frame)", "CSV", {})

    def close(self) -> None:
        return None  # the session lives for the process (one per path)


_INTS: Final[dict[int, pa.DataType]] = {
    8: pa.int8(),
    16: pa.int16(),
    32: pa.int32(),
    64: pa.int64(),
}


def zero_null_slots(data: pa.Table) -> pa.Table:
    """``data`` with the value under every NULL of a fixed-width column set to zero.

    Arrow leaves the bytes under a NULL undefined (DuckDB's export leaves whatever was in
    memory), and chdb's ``Python()`` reader range-checks a Date32 before it looks at the
    validity bitmap: a NULL ``end_date`` whose slot held -842994032 failed a copy at random.
    The validity bitmap is kept, so NULLs stay NULL.
    """
    columns = []
    for column in data.columns:
        kind = column.type
        fixed = (
            pa.types.is_temporal(kind) or pa.types.is_integer(kind) or pa.types.is_floating(kind)
        )
        if not fixed or kind.bit_width not in _INTS or column.null_count == 0:
            columns.append(column)
            continue
        values = column.combine_chunks()
        filled = pc.fill_null(values.view(_INTS[kind.bit_width]), 0)  # same bytes, read as ints
        valid = pc.is_valid(values)
        columns.append(
            pa.Array.from_buffers(
                kind, len(values), [valid.buffers()[1], filled.buffers()[1]], values.null_count
            )
        )
    return pa.table(columns, names=data.column_names)


class ServerBackend:
    """A ClickHouse server or cluster through ``clickhouse-connect`` (HTTP)."""

    def __init__(self, url: str) -> None:
        cc = _need("clickhouse_connect", "clickhouse-connect")
        parts = urlsplit(url)
        dsn = url
        if parts.scheme in ("clickhouse", "ch"):
            dsn = urlunsplit(("http", parts.netloc, parts.path, parts.query, ""))
        try:
            self._client = cc.get_client(
                dsn=dsn, settings=dict(QUERY_SETTINGS), autogenerate_session_id=False
            )
        except Exception as exc:  # the client raises its own hierarchy and OSError
            raise ClickHouseError(f"Cannot connect to ClickHouse at {redact(url)}: {exc}") from exc
        self.label = redact(url)
        self._lock = threading.Lock()

    def query_arrow(self, sql: str, params: dict[str, Any]) -> pa.Table:
        with self._lock:
            return self._client.query_arrow(sql, parameters=params)

    def command(self, sql: str, params: dict[str, Any]) -> None:
        with self._lock:
            self._client.command(sql, parameters=params)

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        with self._lock:
            self._client.insert_arrow(table, zero_null_slots(data))  # a server may check too

    def close(self) -> None:
        self._client.close()


def _plain(name: str) -> str:
    """A database name from a URL: letters, digits and underscores only (it is an identifier)."""
    if not name or not all(c.isalnum() or c == "_" for c in name):
        raise ClickHouseError(
            f"{name!r} is not a usable database name: use letters, digits and underscores."
        )
    return name


def redact(url: str) -> str:
    """The URL without its password (for labels and messages)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def backend_for(url: str) -> Backend:
    """``chdb:///dir`` or ``chdb://:memory:`` (embedded), else a server URL."""
    parts = urlsplit(url)
    if parts.scheme == "chdb":
        path = (parts.netloc + parts.path) or ":memory:"
        database = parse_qs(parts.query).get("database", ["default"])[0]
        return ChdbBackend(path, _plain(database))
    if parts.scheme in ("clickhouse", "ch", "http", "https", "clickhouses"):
        return ServerBackend(url)
    raise ClickHouseError(
        f"{url!r} is not a ClickHouse URL. Use chdb:///path/to/dir (embedded) or "
        "clickhouse://user:password@host:8123/database (a server)."
    )


# -- the connection ------------------------------------------------------------------------------

_ROW_STATEMENTS: Final[tuple[str, ...]] = ("SELECT", "WITH", "(", "SHOW", "DESCRIBE", "EXPLAIN")
_NO_TRANSACTIONS: Final[frozenset[str]] = frozenset(
    {"BEGIN", "BEGIN TRANSACTION", "COMMIT", "ROLLBACK", "CHECKPOINT"}
)


class ClickHouseConnection:
    """The DuckDB-connection surface the metrics use, on ClickHouse."""

    engine: Final[str] = "clickhouse"

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> ClickHouseResult:
        if sql.strip().rstrip(";").upper() in _NO_TRANSACTIONS:
            # ClickHouse has no multi-statement transactions: each statement is atomic on its
            # own. Writes that need all-or-nothing (imports) are refused on ClickHouse.
            return ClickHouseResult(None)
        statements, bound = to_clickhouse_statements(sql, list(params or ()))
        result: pa.Table | None = None
        for statement in statements:
            if statement.lstrip().upper().startswith(_ROW_STATEMENTS):
                used = {k: v for k, v in bound.items() if "{" + k + ":" in statement}
                result = self.backend.query_arrow(statement, used)
            else:
                used = {k: v for k, v in bound.items() if "{" + k + ":" in statement}
                self.backend.command(statement, used)
        return ClickHouseResult(result)

    def cursor(self) -> ClickHouseConnection:
        return self

    def close(self) -> None:
        return None  # the backend outlives a cursor; ClickHouseSource.close() ends it


class ClickHouseResult:
    """A fetched result with DuckDB's result methods."""

    def __init__(self, table: pa.Table | None) -> None:
        self._table = table if table is not None else pa.table({})
        self._rows: list[tuple[Any, ...]] | None = None
        self._next = 0
        self.description = [
            (name, None, None, None, None, None, None) for name in self._table.column_names
        ]

    def df(self) -> pd.DataFrame:
        return to_frame(self._table)

    def _all(self) -> list[tuple[Any, ...]]:
        if self._rows is None:
            cols = [_python_values(self._table.column(i)) for i in range(self._table.num_columns)]
            self._rows = list(zip(*cols, strict=True)) if cols else []
        return self._rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows = self._all()[self._next :]
        self._next = len(self._all())
        return rows

    def fetchone(self) -> tuple[Any, ...] | None:
        rows = self._all()
        if self._next >= len(rows):
            return None
        self._next += 1
        return rows[self._next - 1]


def _python_values(column: pa.ChunkedArray) -> list[Any]:
    if pa.types.is_timestamp(column.type) and column.type.tz is not None:
        column = column.cast(pa.timestamp(column.type.unit))
    return column.to_pylist()


def to_frame(table: pa.Table) -> pd.DataFrame:
    """Arrow -> pandas with the dtypes DuckDB's ``df()`` gives for the same SQL types."""
    out: dict[str, Any] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        kind = column.type
        has_nulls = column.null_count > 0
        if pa.types.is_timestamp(kind):
            plain = column.cast(pa.timestamp("us"))
            out[name] = pd.Series(plain.to_pandas(), dtype="datetime64[us]")
        elif pa.types.is_date(kind):
            out[name] = pd.Series(
                column.cast(pa.timestamp("us")).to_pandas(), dtype="datetime64[us]"
            )
        elif pa.types.is_decimal(kind):
            out[name] = pd.Series(column.cast(pa.float64()).to_pandas(), dtype="float64")
        elif pa.types.is_integer(kind):
            if has_nulls:
                out[name] = pd.array(column.to_pylist(), dtype="Int64")
            else:
                out[name] = pd.Series(column.cast(pa.int64()).to_pandas(), dtype="int64")
        elif pa.types.is_boolean(kind) and has_nulls:
            out[name] = pd.array(column.to_pylist(), dtype="boolean")
        elif pa.types.is_null(kind):
            out[name] = pd.Series([None] * len(column), dtype="object")
        else:
            out[name] = column.to_pandas()
    frame = pd.DataFrame(out, columns=table.column_names)
    frame.index = pd.RangeIndex(len(frame))
    return frame


# -- the source ----------------------------------------------------------------------------------


class ClickHouseSource:
    """A ClickHouse database as a :class:`analytics.store.Source`."""

    def __init__(self, url: str, backend: Backend | None = None) -> None:
        self.url = url
        self._backend = backend if backend is not None else backend_for(url)
        self.key = f"clickhouse:{redact(url)}"
        self.label = self._backend.label
        self._con = ClickHouseConnection(self._backend)

    @property
    def connection(self) -> ClickHouseConnection:
        return self._con

    def reading(self) -> AbstractContextManager[Any]:
        return self._use()

    def writing(self) -> AbstractContextManager[Any]:
        return self._use()

    @contextmanager
    def _use(self) -> Iterator[ClickHouseConnection]:
        yield self._con

    def signature(self) -> tuple[int, ...]:
        """Changes when any table of the database changes (rows or parts)."""
        row = self._con.execute(
            "SELECT count(*), coalesce(sum(rows), 0), "
            "coalesce(max(toUnixTimestamp(modification_time)), 0) "
            "FROM system.parts WHERE database = currentDatabase() AND active"
        ).fetchone()
        return tuple(int(v) for v in row) if row else (0,)

    def close(self) -> None:
        self._backend.close()


def memory_source() -> ClickHouseSource:
    """A fresh, empty ClickHouse database in the process's in-memory chdb (tests)."""
    return ClickHouseSource(f"chdb://:memory:?database=voronka_{uuid.uuid4().hex[:12]}")
