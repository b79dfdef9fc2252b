"""Every metric that has a limit, on its own: the app's function against the minimal SQL.

``python -m bench.metric_table --db PATH --out r.json``. Pages use only some metrics (and
pages still being written will use the others); this measures each metric of ``ui.data``'s
registry for which :mod:`bench.limits` has a query, in both modes and both periods, on one held
connection (the query alone, no connection cost), with the same-numbers check.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import time
import traceback
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import (
    BENCH_TODAY,
    LAST_DAYS,
    ROOT,
    differences,
    median,
    normalise,
    write_json,
)

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


#: Metrics that are a whole page's figures in one call: the page table measures them, each
#: with its limit, for both periods (here they would double a 10M run's time).
PAGE_LEVEL = frozenset(
    {
        "campaign_comparison",
        "weekly_review",
        "quality_breakdowns",
        "bant_audit",
        "bant_audit_leads",
        "journey_view",
        "stopped_leads",
    }
)


def _time(fn: Any, runs: int, warmup: int) -> float | None:
    times = []
    for i in range(warmup + runs):
        start = time.perf_counter()
        fn()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return median(times)


def _needs_options(fn: Any) -> bool:
    """Whether the metric has required arguments beyond (con, filters)."""
    params = list(inspect.signature(fn).parameters.values())[2:]
    return any(p.default is inspect.Parameter.empty for p in params)


def measure(db: Path, runs: int, warmup: int) -> dict[str, Any]:
    import ui.data
    from analytics import store
    from analytics.filters import Filters
    from bench.limits import LIMITS

    periods = {
        "last_90_days": (BENCH_TODAY - timedelta(days=LAST_DAYS - 1), BENCH_TODAY),
        "all_time": (None, None),
    }
    rows = []
    with store.reading(db) as con:
        for name, fn in ui.data.METRICS.items():
            limit = LIMITS.get(name)
            if _needs_options(fn) or name in PAGE_LEVEL:
                continue  # measured on their pages (the page table: its limit and ratio)
            for variant, (lo, hi) in periods.items():
                for mode in ("cohort", "activity"):
                    f = Filters(lo, hi, mode=mode)
                    row: dict[str, Any] = {"metric": name, "variant": variant, "mode": mode}
                    row["metric_s"] = _time(lambda fn=fn, f=f: fn(con, f), runs, warmup)
                    if limit is not None:
                        row["limit_s"] = _time(lambda f=f, limit=limit: limit(con, f), runs, warmup)
                        diffs = differences(normalise(name, fn(con, f)), limit(con, f))
                        row["same_numbers"] = True if not diffs else diffs[:5]
                    rows.append(row)
        for name, fact in ui.data.FACTS.items():
            limit = LIMITS.get(name)
            if limit is None:
                continue
            diffs = differences(normalise(name, fact(con)), limit(con))
            rows.append(
                {
                    "metric": f"{name} (fact)",
                    "variant": "all_time",
                    "mode": "-",
                    "metric_s": _time(lambda fact=fact: fact(con), runs, warmup),
                    "limit_s": _time(lambda limit=limit: limit(con), runs, warmup),
                    "same_numbers": True if not diffs else diffs[:5],
                }
            )
    return {"rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.metric_table")
    parser.add_argument("--db", required=True, type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    try:
        result = measure(args.db, args.runs, args.warmup)
    except Exception:  # reported in the results, the harness goes on
        write_json(args.out, {"error": traceback.format_exc()})
        return 1
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
