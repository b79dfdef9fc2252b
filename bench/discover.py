"""What each page computes: run every page of the navigation through AppTest and record it.

``python -m bench.discover --db PATH --out plan.json`` (the harness runs it in its own process).

Nothing is added to pages/ or ui/: this module wraps, from outside and only in its own process,

- ``st.navigation``: the pages the app registers (so new pages are picked up as they land);
- ``ui.data._cached``: every metric or whole-database fact a page asks for, with its Filters;
- ``analytics.store.reading``: every short-lived connection the app opens, with the SQL run on
  it, so work done outside ``ui.data._cached`` is replayed too, and queries per figure are
  counted (more than one query for one figure is the N+1 pattern).

Each page is run once per period variant (the last 90 days; all time) in a fresh session, with
Streamlit's data cache cleared first so everything it needs really runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import BENCH_TODAY, LAST_DAYS, ROOT, VARIANTS, filters_to_json, value_to_json

_calls: list[dict[str, Any]] = []  # distinct (name, filters) asked for during one page run
_blocks: list[dict[str, Any]] = []  # connections opened during one page run, with their SQL
_stack: list[str] = []  # what is running: "call:<index>" or a wrapped helper's name
_pages: list[Any] = []


def variant_query(variant: str) -> dict[str, Any]:
    """The URL query of a period variant (what a user's link would carry)."""
    if variant == "all_time":
        return {"period": "all_time"}
    if variant == "last_90_days":
        start = BENCH_TODAY - timedelta(days=LAST_DAYS - 1)
        return {"period": "custom", "from": start.isoformat(), "to": BENCH_TODAY.isoformat()}
    raise ValueError(f"unknown variant {variant!r}")


class LoggingConnection:
    """A DuckDB connection that records the SQL run on it (everything else passes through)."""

    def __init__(self, con: Any, log: list[Any]) -> None:
        self._con = con
        self._log = log

    def execute(self, sql: str, parameters: Any = None, *args: Any, **kwargs: Any) -> Any:
        self._log.append([sql, value_to_json(list(parameters or []))])
        if parameters is None:
            return self._con.execute(sql, *args, **kwargs)
        return self._con.execute(sql, parameters, *args, **kwargs)

    def sql(self, query: str, *args: Any, **kwargs: Any) -> Any:
        self._log.append([query, value_to_json(list(kwargs.get("params") or []))])
        return self._con.sql(query, *args, **kwargs)

    def cursor(self) -> LoggingConnection:
        return LoggingConnection(self._con.cursor(), self._log)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def _instrument() -> None:
    import streamlit
    from streamlit.runtime.pages_manager import PagesManager

    import ui.data
    from analytics import store

    # AppTest + a pages/ folder: behave as the real server does (see tests/conftest.py)
    original_init = PagesManager.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init  # type: ignore[method-assign]

    original_navigation = streamlit.navigation

    def navigation(pages: Any, *args: Any, **kwargs: Any) -> Any:
        entries = (
            [p for group in pages.values() for p in group] if isinstance(pages, dict) else pages
        )
        _pages[:] = list(entries)
        return original_navigation(pages, *args, **kwargs)

    streamlit.navigation = navigation  # type: ignore[assignment]

    original_cached = ui.data._cached

    def cached(name: str, key: str, signature: Any, filters: Any, params: Any = ()) -> Any:
        entry = {
            "name": name,
            "kind": "fact" if filters is None else "metric",
            "filters": None if filters is None else filters_to_json(filters),
            # metric parameters (grouping, list page...): part of what the page computes
            "params": [[k, value_to_json(v)] for k, v in params],
        }
        if entry not in [{k: c[k] for k in entry} for c in _calls]:
            _calls.append({**entry, "queries": 0})
        index = [{k: c[k] for k in entry} for c in _calls].index(entry)
        _stack.append(f"call:{index}")
        try:
            return original_cached(name, key, signature, filters, params)
        finally:
            _stack.pop()

    ui.data._cached = cached  # type: ignore[assignment]

    original_meta = ui.data._meta

    def meta(*args: Any, **kwargs: Any) -> Any:
        _stack.append("meta")
        try:
            return original_meta(*args, **kwargs)
        finally:
            _stack.pop()

    ui.data._meta = meta  # type: ignore[assignment]

    original_reading = store.reading

    @contextmanager
    def reading(*args: Any, **kwargs: Any) -> Any:
        owner = _stack[-1] if _stack else "page"
        block: dict[str, Any] = {"owner": owner, "sql": []}
        _blocks.append(block)
        with original_reading(*args, **kwargs) as con:
            yield LoggingConnection(con, block["sql"])

    store.reading = reading


def _page_info(page: Any) -> dict[str, Any]:
    path = page._page
    rel = str(Path(path).resolve().relative_to(ROOT)) if isinstance(path, Path) else None
    return {
        "title": page.title,
        "path": rel,
        "url_path": page._url_path,
        "default": bool(page._default),
    }


def _run_page(rel_path: str | None, variant: str) -> dict[str, Any]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    _calls.clear()
    _blocks.clear()
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
    for key, value in variant_query(variant).items():
        at.query_params[key] = value
    if rel_path:
        at.switch_page(rel_path)
    start = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - start
    exceptions = [e.value for e in at.exception] if at.exception else []
    # the same run again, every computation now a cache hit: what the script itself costs
    # (building figures, tables, downloads)
    start = time.perf_counter()
    at.run()
    rerun = time.perf_counter() - start
    calls = [dict(c) for c in _calls]
    other = []
    for block in _blocks:
        owner = block["owner"]
        if owner.startswith("call:"):
            calls[int(owner.split(":")[1])]["queries"] += len(block["sql"])
        else:
            other.append(block)
    return {
        "variant": variant,
        "query": variant_query(variant),
        "apptest_s": round(elapsed, 3),
        "rerun_cached_s": round(rerun, 3),
        "exceptions": exceptions,
        "calls": calls,
        "other": other,
        "elements": {
            "metrics": len(at.metric),
            "charts": len(at.get("plotly_chart")),
            "tables": len(at.dataframe),
        },
    }


def discover(db: Path) -> dict[str, Any]:
    os.environ["VORONKA_DB"] = str(db)
    os.environ["VORONKA_TODAY"] = BENCH_TODAY.isoformat()
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    _instrument()
    from streamlit.testing.v1 import AppTest

    first = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
    first.run()
    pages = [_page_info(p) for p in _pages if not p.is_external]
    if not pages:
        raise RuntimeError("dashboard.py registered no pages with st.navigation")
    out = []
    for info in pages:
        variants = {}
        for variant in VARIANTS:
            try:
                variants[variant] = _run_page(None if info["default"] else info["path"], variant)
            except Exception:
                variants[variant] = {"variant": variant, "error": traceback.format_exc()}
        out.append({**info, "variants": variants})
    return {"db": str(db), "today": BENCH_TODAY.isoformat(), "pages": out}


def main(argv: list[str] | None = None) -> int:
    from bench.common import write_json

    parser = argparse.ArgumentParser(prog="python -m bench.discover")
    parser.add_argument("--db", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    write_json(args.out, discover(args.db))
    return 0


if __name__ == "__main__":
    sys.exit(main())
