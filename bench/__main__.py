"""``python -m bench``: the performance harness (issue 5). See docs/PERFORMANCE.md.

    python -m bench                                  # 100k, 1M and 10M leads; updates the doc
    python -m bench --sizes 100k --quick --out DIR   # the CI smoke test's version

Exit status 0 when everything ran and every number matched; 1 when a page failed, a number
differed between the page, the limit and pandas, or a measurement broke (never for a timing).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.common import DOC, RESULTS, WORK, parse_size, size_label


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Voronka's performance harness: demo databases of each size, then per page "
        "the compute time (cold and warm, 90 days and all time), the limit (minimal SQL) and "
        "the naive pandas version with their ratios, peak memory, the CLI report, a 1M-row "
        "import and the cold start in a real browser.",
    )
    p.add_argument("--sizes", default="100k,1m,10m", help="lead counts (default 100k,1m,10m)")
    p.add_argument("--runs", type=int, default=5, help="warm runs per measurement (median; 5)")
    p.add_argument("--warmup", type=int, default=1, help="warm-up runs before them (1)")
    p.add_argument("--cold-runs", type=int, default=3, help="fresh processes for cold (3)")
    p.add_argument(
        "--pandas-max",
        default="1m",
        help="largest size for the pandas version (1m; at 10M it needs about 6 GB)",
    )
    p.add_argument(
        "--browser",
        choices=("all", "first", "none"),
        default="all",
        help="browser cold start for every page, the first page only, or none",
    )
    p.add_argument("--import-rows", default="1m", help="rows of the import CSV (1m)")
    p.add_argument("--fresh", action="store_true", help="regenerate the demo databases")
    p.add_argument("--quick", action="store_true", help="1 run, no warm-up, 1 cold process")
    p.add_argument("--work", type=Path, default=WORK, help="where databases go (bench/work)")
    p.add_argument("--out", type=Path, default=RESULTS, help="results directory (bench/results)")
    p.add_argument(
        "--no-doc", action="store_true", help="do not update docs/PERFORMANCE.md with the results"
    )
    p.add_argument(
        "--render-only",
        action="store_true",
        help="measure nothing: rewrite results.md (and the doc) from the last results.json",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    from bench.run import Options, run, save

    args = build_parser().parse_args(argv)
    if args.render_only:
        import json

        source = args.out / "results.json"
        if not source.exists():
            print(f"error: {source} does not exist; run the harness first", file=sys.stderr)
            return 2
        results = json.loads(source.read_text(encoding="utf-8"))
        return _publish(results, args)
    try:
        sizes = tuple(parse_size(s) for s in args.sizes.split(",") if s.strip())
        pandas_max = parse_size(args.pandas_max)
        import_rows = parse_size(args.import_rows)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not sizes:
        print("error: --sizes is empty", file=sys.stderr)
        return 2
    opts = Options(
        sizes=sizes,
        runs=1 if args.quick else max(1, args.runs),
        warmup=0 if args.quick else max(0, args.warmup),
        cold_runs=1 if args.quick else max(1, args.cold_runs),
        pandas_max=pandas_max,
        browser=args.browser,
        import_rows=import_rows,
        fresh=args.fresh,
        work=args.work,
    )
    opts.say(f"sizes {', '.join(size_label(n) for n in sizes)}; results in {args.out}")
    results = run(opts, checkpoint=args.out / "results.json")
    save(results, args.out)
    return _publish(results, args)


def _publish(results: dict, args: argparse.Namespace) -> int:
    from bench import report

    text = report.markdown(results)
    (args.out / "results.md").write_text(text, encoding="utf-8")
    if not args.no_doc:
        report.update_doc(DOC, text)
    print(text)
    errs = report.errors(results)
    if errs:
        print(f"{len(errs)} error(s); see above", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
