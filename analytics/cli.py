"""``python -m analytics``: build a demo database, initialise one, print a report, write the docs.

Every failure a user can cause ends in one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import NoReturn

from analytics import store
from analytics.filters import FilterError, Filters
from analytics.model import DIRECTIONS, MODES, SEGMENTS, TEMPERATURES


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CliError(f"{message} (see: python -m analytics {self.prog.split()[-1]} --help)")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; use YYYY-MM-DD, e.g. 2026-01-31"
        ) from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m analytics", description="Voronka: B2B lead-funnel analytics.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    db_help = f"database file (default: ${store.ENV_DB} or data/voronka.duckdb)"

    p = sub.add_parser("demo", help="create a database filled with seeded demo data")
    p.add_argument("--db", help=db_help)
    p.add_argument("--leads", type=_positive, default=30_000, help="number of leads (30 000)")
    p.add_argument("--seed", type=int, default=42, help="random seed (42)")
    p.add_argument("--end", type=_date, help="last day of the demo year (default: today)")
    p.add_argument("--force", action="store_true", help="replace an existing file")

    p = sub.add_parser("init", help="create an empty database with the Voronka schema")
    p.add_argument("--db", help=db_help)

    p = sub.add_parser("report", help="print the funnel, costs, campaigns, weeks and velocity")
    p.add_argument("--db", help=db_help)
    p.add_argument("--from", dest="date_from", type=_date, help="first day (YYYY-MM-DD)")
    p.add_argument("--to", dest="date_to", type=_date, help="last day, included (YYYY-MM-DD)")
    p.add_argument("--mode", choices=MODES, default="cohort")
    p.add_argument("--campaign", action="append", default=[], metavar="ID")
    p.add_argument("--channel", action="append", default=[], metavar="NAME")
    p.add_argument("--direction", action="append", default=[], choices=DIRECTIONS)
    p.add_argument("--source", action="append", default=[], metavar="NAME")
    p.add_argument("--owner", action="append", default=[], metavar="NAME")
    p.add_argument("--region", action="append", default=[], metavar="NAME")
    p.add_argument("--industry", action="append", default=[], metavar="NAME")
    p.add_argument("--segment", action="append", default=[], choices=SEGMENTS)
    p.add_argument("--temperature", action="append", default=[], choices=TEMPERATURES)
    p.add_argument("--format", choices=("json", "table"), default="table")

    p = sub.add_parser("docs", help="regenerate docs/METRICS.md from the metric definitions")
    p.add_argument("--check", action="store_true", help="only check that it is up to date")
    return parser


def cmd_demo(args: argparse.Namespace) -> int:
    from analytics import demo

    path = store.resolve_path(args.db)
    if path.exists() and not args.force:
        raise CliError(f"{path} already exists; add --force to replace it with demo data")
    result = demo.create_file(path, leads=args.leads, seed=args.seed, end=args.end)
    print(
        f"{path}: {result.leads:,} demo leads, {result.campaigns} campaigns, "
        f"{result.cost_rows:,} cost days, {result.start} to {result.end}"
    )
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    path = store.resolve_path(args.db)
    existed = path.exists()
    with store.writing(path, create=True):
        pass
    print(f"{path}: {'schema is up to date' if existed else 'created, empty'}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from analytics.report import build_report, report_table, resolve_period, validate_choices

    filters = Filters(
        date_from=args.date_from,
        date_to=args.date_to,
        mode=args.mode,
        campaigns=tuple(args.campaign),
        channels=tuple(args.channel),
        directions=tuple(args.direction),
        sources=tuple(args.source),
        owners=tuple(args.owner),
        regions=tuple(args.region),
        industries=tuple(args.industry),
        segments=tuple(args.segment),
        temperatures=tuple(args.temperature),
    )
    with store.reading(args.db) as con:
        settings = store.read_settings(con)
        filters = replace(
            filters, icp_min=int(settings["icp_min"]), icp_max=int(settings["icp_max"])
        )
        validate_choices(con, filters)
        filters = resolve_period(con, filters)
        report = build_report(con, filters)
    if args.format == "json":
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        print(report_table(report, str(settings["currency"])))
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from analytics.docs import METRICS_DOC, metrics_markdown, write_metrics_doc

    if args.check:
        current = METRICS_DOC.read_text(encoding="utf-8") if METRICS_DOC.exists() else ""
        if current != metrics_markdown():
            raise CliError(f"{METRICS_DOC} is out of date; run: python -m analytics docs")
        print(f"{METRICS_DOC} is up to date")
        return 0
    print(f"wrote {write_metrics_doc()}")
    return 0


COMMANDS = {"demo": cmd_demo, "init": cmd_init, "report": cmd_report, "docs": cmd_docs}


def main(argv: Sequence[str] | None = None) -> int:
    from analytics.report import ReportError

    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except (CliError, store.StoreError, FilterError, ReportError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
