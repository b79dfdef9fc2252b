"""Data access for pages.

The data comes from a :class:`~analytics.store.Source`: the database file, or (issue: ad-hoc
uploads) an in-memory database of this browser session. Results are cached per (source, the
source's signature, what was asked): the file's signature changes whenever any program writes it,
so every page shows new data at once, and a cache hit never opens the file. A cache miss opens a
short-lived read-only connection; if another program is writing, the page says so and retries.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import streamlit as st

from analytics import demo, engine, metrics, store
from analytics.filters import Filters
from analytics.metrics import quality
from analytics.metrics.options import data_span, filter_options

DEMO_LEADS = 30_000
ADHOC_KEY = "adhoc_source"  #: session-state key of this session's ad-hoc source, if any
_demo_lock = threading.Lock()
_sources: dict[str, store.Source] = {}

#: Everything a page may compute, by name (an allow-list: cache keys are names, not functions).
METRICS: dict[str, Callable[..., Any]] = {
    "summary": metrics.summary,
    "campaigns": metrics.campaigns,
    "weekly": metrics.weekly,
    "velocity": metrics.velocity,
    "campaign_comparison": metrics.campaign_comparison,
    "quality_breakdowns": quality.quality_breakdowns,
    "bant_audit": quality.bant_audit,
    "bant_audit_leads": quality.bant_audit_leads,
    "weekly_review": metrics.weekly_review,
    "journey_view": metrics.journey_view,
    "stopped_leads": metrics.stopped_leads,
}

#: Whole-database facts (no filters).
FACTS: dict[str, Callable[[duckdb.DuckDBPyConnection], Any]] = {
    "options": filter_options,
    "span": data_span,
    "settings": store.read_settings,
    "sales_cycle": metrics.sales_cycle_days,
}


@dataclass(frozen=True)
class DbRef:
    key: str
    signature: tuple[int, ...]
    label: str
    demo_leads: int  # 0 unless the data is Voronka's demo data
    adhoc: bool


def _stop_with(message: str) -> None:
    st.error(message)
    st.stop()


def _create_demo(path: Path) -> None:
    with _demo_lock:
        if not path.exists():
            demo.create_file(path, leads=DEMO_LEADS)


def _busy(exc: store.DatabaseBusy) -> None:
    """Another program is writing the file: say so, wait a moment, try again."""
    from ui.i18n import tr

    st.info(tr("app.busy", message=str(exc)), icon=":material/hourglass_top:")
    time.sleep(1.5)
    st.rerun()


def current_source() -> store.Source:
    """This session's ad-hoc source if it has one, else the database file."""
    adhoc = st.session_state.get(ADHOC_KEY)
    if adhoc is not None:
        _sources[adhoc.key] = adhoc
        return adhoc  # type: ignore[no-any-return]
    return configured_source()


def configured_source() -> store.Source:
    """The database of the configuration: the DuckDB file, or ClickHouse when
    ``VORONKA_ENGINE=clickhouse`` (issue 7). A bad engine or URL stops the page with the
    reason."""
    from ui.i18n import tr

    try:
        return _open_configured()
    except store.StoreError as exc:
        _stop_with(tr("app.db_error", message=str(exc)))
        raise  # unreachable: st.stop() raises


def _open_configured() -> store.Source:
    cfg = engine.config()
    if cfg.engine == "duckdb":
        source: store.Source = store.FileSource(cfg.url or None)
        _sources.setdefault(source.key, source)
        return _sources[source.key]
    key = f"clickhouse:{cfg.label}"
    if key not in _sources:
        _sources[key] = engine.open_source(cfg)
    return _sources[key]


def set_adhoc(source: store.MemorySource | None) -> None:
    """Start (or with None, end) this session's ad-hoc view; the previous one is closed and
    forgotten, so its in-memory database does not outlive it."""
    old = st.session_state.pop(ADHOC_KEY, None)
    if old is not None:
        _sources.pop(old.key, None)
        old.close()
    if source is not None:
        st.session_state[ADHOC_KEY] = source


def _demo_leads(cur: duckdb.DuckDBPyConnection) -> int:
    """How many demo leads the database holds (0 if it is not Voronka's demo data)."""
    if not store.is_demo(cur):
        return 0
    meta = store.get_meta(cur, "demo_leads")
    if meta:
        return int(meta)
    row = cur.execute("SELECT count(*) FROM leads").fetchone()  # files from before the meta
    return int(row[0]) if row else 0


@st.cache_data(ttl=3600, max_entries=64, show_spinner=False)
def _meta(key: str, signature: tuple[int, ...]) -> int:
    source = _sources[key]
    if isinstance(source, store.FileSource):
        with store.reading(source.path) as con:
            version = store.schema_version(con)
        if version is not None and version < store.SCHEMA_VERSION:
            with store.writing(source.path):
                pass  # opening read-write migrates the schema
    with source.reading() as con:
        return _demo_leads(con)


def database() -> DbRef:
    """The data in use; the file is created with demo data on the very first start.

    Stops the page with a plain message when the file is missing or cannot be opened.
    """
    from ui.i18n import tr

    source = current_source()
    if isinstance(source, store.FileSource):
        path = source.path
        if not path.exists():
            if store.is_default_path(path):
                leads = f"{DEMO_LEADS:,}".replace(",", " ")
                with st.spinner(tr("app.creating_demo", leads=leads)):
                    _create_demo(path)
            else:
                _stop_with(tr("app.db_missing", path=str(path)))
    signature = source.signature()
    try:
        demo_leads = _meta(source.key, signature)
    except store.DatabaseBusy as exc:
        _busy(exc)
        raise
    except store.StoreError as exc:
        _stop_with(tr("app.db_error", message=str(exc)))
        raise  # unreachable: st.stop() raises
    return DbRef(
        source.key,
        signature,
        source.label,
        demo_leads,
        isinstance(source, store.MemorySource),
    )


@st.cache_data(ttl=3600, max_entries=2000, show_spinner=False)
def _cached(
    name: str,
    key: str,
    signature: tuple[int, ...],
    filters: Filters | None,
    params: tuple[tuple[str, Any], ...] = (),
) -> Any:
    with _sources[key].reading() as con:
        if filters is None:
            return FACTS[name](con)
        return METRICS[name](con, filters, **dict(params))


def _run(name: str, filters: Filters | None, params: tuple[tuple[str, Any], ...] = ()) -> Any:
    db = database()
    try:
        return _cached(name, db.key, db.signature, filters, params)
    except store.DatabaseBusy as exc:
        _busy(exc)
        raise
    except store.StoreError as exc:  # e.g. the file was replaced by something else meanwhile
        from ui.i18n import tr

        _stop_with(tr("app.db_error", message=str(exc)))
        raise


def compute(name: str, filters: Filters, **params: Any) -> Any:
    """Run metric ``name`` (see :data:`METRICS`) for ``filters``, cached.

    ``params``: further keyword arguments of the metric (a grouping, a page of a list); they
    must be hashable and are part of the cache key.
    """
    return _run(name, filters, tuple(sorted(params.items())))


def options() -> Any:
    return _run("options", None)


def span() -> tuple[date | None, date | None]:
    result: tuple[date | None, date | None] = _run("span", None)
    return result


def settings() -> dict[str, Any]:
    result: dict[str, Any] = _run("settings", None)
    return result


def sales_cycle() -> float | None:
    """The typical lead-to-client time in days (75th percentile over all data), cached."""
    result: float | None = _run("sales_cycle", None)
    return result


def settings_or_none() -> dict[str, Any] | None:
    """Settings if the data opens, else None (used before any page has rendered)."""
    try:  # not current_source(): its error message needs the language, read from here
        source = st.session_state.get(ADHOC_KEY) or _open_configured()
    except store.StoreError:
        return None
    if isinstance(source, store.FileSource) and not source.path.exists():
        return None
    try:
        result: dict[str, Any] = _cached("settings", source.key, source.signature(), None)
    except store.StoreError:
        return None
    return result
