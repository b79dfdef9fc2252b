"""Replay what a page computes, in a fresh process, and time it every way the issue asks.

``python -m bench.measure page --db PATH --plan plan.json --page I --variant V --out r.json``
  the page's computations (from the discovered plan), in this order:
  1. cold: once, in this fresh process, as the app does it (a short-lived connection per cache
     miss: ``store.reading`` around each call);
  2. warm, app model: the same again after a warm-up, median of ``--runs``;
  3. warm, held connection: the same on one connection kept open (what a connection cache
     would give);
  4. the limit (:mod:`bench.limits`) on the held connection, and whether its numbers are the
     page's;
  5. connection open + close alone; peak RSS of the process.

``python -m bench.measure naive --db PATH --plan plan.json --out r.json``
  loads the leads into pandas once (timed, with the memory it takes), then runs every page's
  metrics in pandas (:mod:`bench.naive`) and checks the numbers against the page's.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import (
    ROOT,
    Unsupported,
    differences,
    filters_from_json,
    median,
    normalise,
    peak_rss_mb,
    value_from_json,
    write_json,
)

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


class Job:
    """One thing a page computes: a metric or fact by name, or raw SQL run outside ui.data."""

    def __init__(self, spec: dict[str, Any], kind: str) -> None:
        import ui.data

        self.kind = kind  # "metric" | "fact" | "meta" | "other"
        self.spec = spec
        self.name: str = spec.get("name") or spec.get("owner", "other")
        self.filters = filters_from_json(spec["filters"]) if spec.get("filters") else None
        self.params = {k: value_from_json(v) for k, v in spec.get("params", [])}
        self.fn: Callable[..., Any] | None = None
        if kind == "metric":
            self.fn = ui.data.METRICS[self.name]
        elif kind == "fact":
            self.fn = ui.data.FACTS[self.name]

    @property
    def label(self) -> str:
        if self.filters is None:
            return self.name
        f = self.filters
        period = f"{f.date_from or '…'}..{f.date_to or '…'}"
        return f"{self.name}({period}, {f.mode})"

    def run(self, con: Any) -> Any:
        if self.fn is not None:
            if self.kind == "metric":
                return self.fn(con, self.filters, **self.params)
            return self.fn(con)
        out = None
        for sql, params in self.spec["sql"]:
            out = con.execute(sql, value_from_json(params)).fetchall()
        return out


def jobs_of(entry: dict[str, Any]) -> list[Job]:
    jobs = [Job(c, c["kind"]) for c in entry.get("calls", [])]
    jobs += [Job(b, "meta" if b["owner"] == "meta" else "other") for b in entry.get("other", [])]
    return jobs


def _app_model(db: Path, jobs: list[Job]) -> list[float]:
    """Each job on its own short-lived read-only connection, as the app does on a cache miss."""
    from analytics import store

    times = []
    for job in jobs:
        start = time.perf_counter()
        with store.reading(db) as con:
            job.run(con)
        times.append(time.perf_counter() - start)
    return times


def _held(con: Any, jobs: list[Job]) -> list[float]:
    times = []
    for job in jobs:
        start = time.perf_counter()
        job.run(con)
        times.append(time.perf_counter() - start)
    return times


def _medians(runs: list[list[float]]) -> list[float]:
    return [median([r[i] for r in runs]) or 0.0 for i in range(len(runs[0]))] if runs else []


def measure_page(db: Path, entry: dict[str, Any], runs: int, warmup: int) -> dict[str, Any]:
    from analytics import store
    from bench.limits import LIMITS

    t0 = time.perf_counter()
    jobs = jobs_of(entry)
    import_s = time.perf_counter() - t0
    rss_base = peak_rss_mb()

    cold = _app_model(db, jobs)
    for _ in range(warmup):
        _app_model(db, jobs)
    app = _medians([_app_model(db, jobs) for _ in range(runs)])

    import duckdb

    opens, raw = [], []
    for _ in range(max(runs, 3)):
        start = time.perf_counter()
        with store.reading(db):
            pass
        opens.append(time.perf_counter() - start)
        start = time.perf_counter()
        duckdb.connect(str(db), read_only=True).close()
        raw.append(time.perf_counter() - start)

    limit: list[float | None] = []
    same: list[Any] = []
    with store.reading(db) as con:
        for _ in range(warmup):
            _held(con, jobs)
        held = _medians([_held(con, jobs) for _ in range(runs)])
        for job in jobs:
            fn = LIMITS.get(job.name) if job.kind in ("metric", "fact") else None
            if fn is None:
                limit.append(None)
                same.append(None if job.kind != "metric" else "no limit query yet")
                continue
            try:
                page_result = normalise(job.name, job.run(con))
                result = fn(con, job.filters, **job.params)
                diffs = differences(page_result, result)
                times = []
                for i in range(warmup + runs):
                    start = time.perf_counter()
                    fn(con, job.filters, **job.params)
                    if i >= warmup:
                        times.append(time.perf_counter() - start)
                limit.append(median(times))
                same.append(True if not diffs else diffs[:5])
            except Unsupported as exc:
                limit.append(None)
                same.append(f"limit not applicable: {exc}")

    out_jobs = []
    for i, job in enumerate(jobs):
        out_jobs.append(
            {
                "label": job.label,
                "name": job.name,
                "kind": job.kind,
                "queries": job.spec.get("queries", len(job.spec.get("sql", []))),
                "cold_s": cold[i],
                "app_s": app[i],
                "held_s": held[i],
                "limit_s": limit[i],
                "same_numbers": same[i],
            }
        )
    return {
        "import_s": import_s,
        "connection_s": median(opens),
        "raw_connect_s": median(raw),
        "rss_base_mb": rss_base,
        "rss_peak_mb": peak_rss_mb(),
        "jobs": out_jobs,
    }


def measure_naive(db: Path, plan: dict[str, Any], runs: int) -> dict[str, Any]:
    from analytics import store
    from bench import naive

    rss_before = peak_rss_mb()
    with store.reading(db) as con:
        start = time.perf_counter()
        tables = naive.load(con)
        load_s = time.perf_counter() - start
        rss_loaded = peak_rss_mb()
        out: dict[str, Any] = {"load_s": load_s, "load_rss_mb": rss_loaded - rss_before}
        results = {}
        for i, page in enumerate(plan["pages"]):
            for variant, entry in page["variants"].items():
                rows = []
                for job in jobs_of(entry):
                    fn = naive.NAIVE.get(job.name) if job.kind in ("metric", "fact") else None
                    if fn is None:
                        rows.append({"label": job.label, "naive_s": None, "same_numbers": None})
                        continue
                    try:
                        result = fn(tables, job.filters, **job.params)
                        diffs = differences(normalise(job.name, job.run(con)), result)
                        times = []
                        for _ in range(runs):
                            start = time.perf_counter()
                            fn(tables, job.filters, **job.params)
                            times.append(time.perf_counter() - start)
                        rows.append(
                            {
                                "label": job.label,
                                "naive_s": median(times),
                                "same_numbers": True if not diffs else diffs[:5],
                            }
                        )
                    except Unsupported as exc:
                        rows.append(
                            {"label": job.label, "naive_s": None, "same_numbers": f"n/a: {exc}"}
                        )
                results[f"{i}:{variant}"] = rows
        out["pages"] = results
    out["rss_peak_mb"] = peak_rss_mb()
    return out


def main(argv: list[str] | None = None) -> int:
    import json

    parser = argparse.ArgumentParser(prog="python -m bench.measure")
    parser.add_argument("what", choices=("page", "naive"))
    parser.add_argument("--db", required=True, type=Path)
    parser.add_argument("--plan", required=True, type=Path)
    parser.add_argument("--page", type=int, default=0)
    parser.add_argument("--variant", default="all_time")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    plan = json.loads(args.plan.read_text(encoding="utf-8"))
    try:
        if args.what == "page":
            entry = plan["pages"][args.page]["variants"][args.variant]
            result = measure_page(args.db, entry, args.runs, args.warmup)
        else:
            result = measure_naive(args.db, plan, args.runs)
    except Exception:
        result = {"error": traceback.format_exc()}
        write_json(args.out, result)
        return 1
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
