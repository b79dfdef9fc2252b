"""Data access for pages: one read-only connection per process, a cursor per query, results cached
per (database, data version, filters). A write through Voronka bumps the data version, so every page
sees new data at once; other writers are picked up within the cache's time-to-live."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import streamlit as st

from analytics import demo, metrics, store
from analytics.filters import Filters
from analytics.metrics.options import data_span, filter_options

DEMO_LEADS = 30_000
_demo_lock = threading.Lock()

#: Everything a page may compute, by name (an allow-list: cache keys are names, not functions).
METRICS: dict[str, Callable[..., Any]] = {
    "summary": metrics.summary,
    "campaigns": metrics.campaigns,
    "weekly": metrics.weekly,
    "velocity": metrics.velocity,
}


@dataclass(frozen=True)
class DbRef:
    path: str
    version: int
    demo_leads: int  # 0 unless the database holds Voronka's demo data


def _stop_with(message: str) -> None:
    st.error(message)
    st.stop()


def _create_demo(path: Path) -> None:
    """Build the demo database in a temporary file and move it into place when complete."""
    with _demo_lock:
        if path.exists():
            return
        tmp = path.with_name(path.name + ".creating")
        for leftover in (tmp, Path(str(tmp) + ".wal")):
            leftover.unlink(missing_ok=True)
        con = store.open_database(tmp, create=True)
        try:
            demo.generate(con, leads=DEMO_LEADS)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, path)


@st.cache_resource(show_spinner=False)
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    """The app only reads: a read-only connection lets the CLI report (and other app
    processes) read the same file at the same time."""
    return store.shared_connection(path, read_only=True)


def _demo_leads(cur: duckdb.DuckDBPyConnection) -> int:
    """How many demo leads the database holds (0 if it is not Voronka's demo data)."""
    if not store.is_demo(cur):
        return 0
    meta = store.get_meta(cur, "demo_leads")
    if meta:
        return int(meta)
    row = cur.execute("SELECT count(*) FROM leads").fetchone()  # files from before the meta
    return int(row[0]) if row else 0


def database() -> DbRef:
    """The database in use, created with demo data on the very first start.

    Stops the page with a plain message when the file is missing or cannot be opened.
    """
    from ui.i18n import tr

    path = store.resolve_path()
    if not path.exists():
        if store.is_default_path(path):
            with st.spinner(tr("app.creating_demo", leads=f"{DEMO_LEADS:,}".replace(",", " "))):
                _create_demo(path)
        else:
            _stop_with(tr("app.db_missing", path=str(path)))
    try:
        con = _connection(str(path))
        cur = con.cursor()
        try:
            version = store.data_version(cur)
            demo_leads = _demo_leads(cur)
        finally:
            cur.close()
    except store.StoreError as exc:
        _stop_with(tr("app.db_error", message=str(exc)))
        raise  # unreachable: st.stop() raises
    return DbRef(str(path), version, demo_leads)


@st.cache_data(ttl=600, max_entries=1000, show_spinner=False)
def _cached(name: str, path: str, version: int, filters: Filters | None) -> Any:
    cur = _connection(path).cursor()
    try:
        if name == "options":
            return filter_options(cur)
        if name == "span":
            return data_span(cur)
        if name == "settings":
            return store.read_settings(cur)
        if name == "sales_cycle":
            return metrics.sales_cycle_days(cur)
        return METRICS[name](cur, filters)
    finally:
        cur.close()


def compute(name: str, filters: Filters) -> Any:
    """Run metric ``name`` (see :data:`METRICS`) for ``filters``, cached."""
    db = database()
    return _cached(name, db.path, db.version, filters)


def options() -> Any:
    db = database()
    return _cached("options", db.path, db.version, None)


def span() -> tuple[date | None, date | None]:
    db = database()
    result: tuple[date | None, date | None] = _cached("span", db.path, db.version, None)
    return result


def settings() -> dict[str, Any]:
    db = database()
    result: dict[str, Any] = _cached("settings", db.path, db.version, None)
    return result


def sales_cycle() -> float | None:
    """The typical lead-to-client time in days (75th percentile over all data), cached."""
    db = database()
    result: float | None = _cached("sales_cycle", db.path, db.version, None)
    return result


def settings_or_none() -> dict[str, Any] | None:
    """Settings if the database opens, else None (used before any page has rendered)."""
    path = store.resolve_path()
    if not path.exists():
        return None
    try:
        con = _connection(str(path))
        cur = con.cursor()
        try:
            version = store.data_version(cur)
        finally:
            cur.close()
    except store.StoreError:
        return None
    result: dict[str, Any] = _cached("settings", str(path), version, None)
    return result
