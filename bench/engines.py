"""DuckDB against the embedded ClickHouse (chdb) on the same demo data (issue 7).

    python -m bench.engines --db bench/work/demo_10m.duckdb --ch bench/work/ch_10m --out DIR

Copies the DuckDB file into ClickHouse (``copy_from_duckdb``; skipped when ``--ch`` already
holds the data), then times every page metric of ``ui.data`` that takes only filters, on one
held connection per engine (the query alone), for the last 90 days and all time in both modes,
and checks that both engines give the same numbers. Writes ``engines.json`` and ``engines.md``
to ``--out``. Timings are medians of ``--runs`` warm runs; the machine's load average is
recorded before and after, since other programs share the CPUs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import BENCH_TODAY, LAST_DAYS, ROOT, differences, median, normalise, write_json

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _time(fn: Any, runs: int, warmup: int) -> float | None:
    times = []
    for i in range(warmup + runs):
        start = time.perf_counter()
        fn()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return median(times)


def measure(db: Path, ch_dir: Path, runs: int, warmup: int) -> dict[str, Any]:
    import ui.data
    from analytics import store
    from analytics.engine.clickhouse import ClickHouseSource
    from analytics.engine.schema import copy_from_duckdb, create_schema, table_rows
    from analytics.filters import Filters
    from bench.metric_table import _needs_options

    load_before = os.getloadavg()
    source = ClickHouseSource(f"chdb://{ch_dir}")
    ch = source.connection
    copy_seconds = None
    create_schema(ch)
    if table_rows(ch, "leads") == 0:
        copy_seconds = copy_from_duckdb(db, ch).seconds
    periods = {
        "last_90_days": (BENCH_TODAY - timedelta(days=LAST_DAYS - 1), BENCH_TODAY),
        "all_time": (None, None),
    }
    rows = []
    with store.reading(db) as duck:
        leads = int(duck.execute("SELECT count(*) FROM leads").fetchone()[0])  # type: ignore[index]
        for name, fn in ui.data.METRICS.items():
            if _needs_options(fn):
                continue
            for variant, (lo, hi) in periods.items():
                for mode in ("cohort", "activity"):
                    f = Filters(lo, hi, mode=mode)
                    row: dict[str, Any] = {"metric": name, "variant": variant, "mode": mode}
                    row["duckdb_s"] = _time(lambda fn=fn, f=f: fn(duck, f), runs, warmup)
                    row["chdb_s"] = _time(lambda fn=fn, f=f: fn(ch, f), runs, warmup)
                    diffs = differences(normalise(name, fn(duck, f)), normalise(name, fn(ch, f)))
                    row["same_numbers"] = True if not diffs else [str(d) for d in diffs[:5]]
                    rows.append(row)
                    print(row, flush=True)
    return {
        "leads": leads,
        "copy_seconds": copy_seconds,
        "runs": runs,
        "warmup": warmup,
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "cpus": os.cpu_count(),
        "rows": rows,
    }


def render(result: dict[str, Any]) -> str:
    def s(v: float | None) -> str:
        return "-" if v is None else f"{v:.3f}"

    lines = [
        f"Leads: {result['leads']:,}; copy DuckDB -> chdb: "
        f"{s(result['copy_seconds'])} s; warm runs: median of {result['runs']}; "
        f"load average before {result['load_before'][0]:.1f}, after "
        f"{result['load_after'][0]:.1f} on {result['cpus']} CPUs.",
        "",
        "| metric | period | mode | DuckDB s | chdb s | chdb / DuckDB | same numbers |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    for r in result["rows"]:
        ratio = f"{r['chdb_s'] / r['duckdb_s']:.1f}x" if r["duckdb_s"] and r["chdb_s"] else "-"
        same = "yes" if r["same_numbers"] is True else "NO"
        lines.append(
            f"| {r['metric']} | {r['variant']} | {r['mode']} | {s(r['duckdb_s'])} | "
            f"{s(r['chdb_s'])} | {ratio} | {same} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.engines", description=__doc__)
    p.add_argument("--db", type=Path, required=True, help="a Voronka DuckDB file (demo data)")
    p.add_argument("--ch", type=Path, required=True, help="directory of the embedded ClickHouse")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = p.parse_args(argv)
    result = measure(args.db, args.ch, args.runs, args.warmup)
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(args.out / "engines.json", result)
    (args.out / "engines.md").write_text(render(result), encoding="utf-8")
    print(render(result))
    return 0 if all(r["same_numbers"] is True for r in result["rows"]) else 1


if __name__ == "__main__":
    sys.exit(main())
