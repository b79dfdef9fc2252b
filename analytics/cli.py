"""``python -m analytics``: build a demo database, initialise one, print a report, write the docs.

Every failure a user can cause ends in one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import NoReturn

from analytics import engine, store
from analytics.engine.clickhouse import ClickHouseError
from analytics.filters import FilterError, Filters
from analytics.importer.fields import KINDS
from analytics.importer.fields import MODES as IMPORT_MODES
from analytics.importer.mapping import Mapping
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
    _engine_args(p)

    p = sub.add_parser("copy", help="copy a Voronka DuckDB file into ClickHouse (moving up)")
    p.add_argument("--db", help=db_help)
    p.add_argument("--to", required=True, metavar="URL", help="chdb:///dir or clickhouse://...")

    p = sub.add_parser("report", help="print the funnel, costs, campaigns, weeks and velocity")
    p.add_argument("--db", help=db_help)
    _engine_args(p)
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

    p = sub.add_parser(
        "import",
        help="import a CSV or Excel file of leads, campaigns, costs or aggregate funnel rows",
        description="Read, check and load a CSV or .xlsx file. Nothing is written unless the "
        "whole file is valid (or --skip-invalid). Exit status: 0 done, 1 file rejected "
        "(nothing written), 2 bad arguments.",
    )
    p.add_argument("file", help="the CSV or .xlsx file")
    p.add_argument("--db", help=db_help)
    p.add_argument("--kind", choices=KINDS, help="what one row is (default: leads)")
    p.add_argument("--mapping", metavar="FILE.json", help="a saved mapping (the page's format)")
    p.add_argument("--map", action="append", default=[], metavar='"Source column=field"')
    p.add_argument("--set", action="append", default=[], metavar="field=value")
    p.add_argument(
        "--status-map", action="append", default=[], metavar='"CRM value=stage[/status]"'
    )
    p.add_argument(
        "--stage", action="append", default=[], metavar='"stage=Count column"',
        help="funnel files: which count column is which stage (repeat, e.g. lead=Leads)",
    )  # fmt: skip
    p.add_argument("--date-format", metavar="DD.MM.YYYY", help="layout of every date column")
    p.add_argument("--encoding", metavar="NAME", help="e.g. cp1251 (default: detected)")
    p.add_argument("--delimiter", metavar="C", help="; , | or tab (default: detected)")
    p.add_argument("--mode", choices=IMPORT_MODES, default="append", help="update: upsert by id")
    p.add_argument(
        "--skip-invalid", action="store_true", help="write the valid rows, report the rest"
    )
    p.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
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


def _engine_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--engine",
        choices=engine.ENGINES,
        help=f"duckdb or clickhouse (default: ${engine.ENV_ENGINE} or duckdb)",
    )
    p.add_argument(
        "--url",
        help="ClickHouse: chdb:///dir or clickhouse://user:password@host:8123/db "
        f"(default: ${engine.ENV_URL})",
    )


def _engine_config(args: argparse.Namespace) -> engine.EngineConfig:
    """--engine/--url, else the environment; --db names the DuckDB file."""
    if args.db and args.engine != "clickhouse":
        return engine.config("duckdb", args.db)
    return engine.config(args.engine, args.url)


def cmd_init(args: argparse.Namespace) -> int:
    cfg = _engine_config(args)
    if cfg.engine == "clickhouse":
        from analytics.engine.clickhouse import ClickHouseSource
        from analytics.engine.schema import create_schema

        source = ClickHouseSource(cfg.url)
        create_schema(source.connection)
        source.close()
        print(f"{cfg.label}: Voronka schema created (ClickHouse)")
        return 0
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
    source = engine.open_source(_engine_config(args))
    with source.reading() as con:
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


def cmd_copy(args: argparse.Namespace) -> int:
    from analytics.engine.clickhouse import ClickHouseSource
    from analytics.engine.schema import copy_from_duckdb

    path = store.resolve_path(args.db)
    if not path.exists():
        raise CliError(f"{path} does not exist; name the Voronka DuckDB file with --db PATH")
    target = engine.config("clickhouse", args.to)
    source = ClickHouseSource(target.url)
    try:
        result = copy_from_duckdb(path, source.connection)
    finally:
        source.close()
    counts = ", ".join(f"{table} {n:,}" for table, n in result.rows.items())
    print(f"{path} -> {target.label}: {counts} rows in {result.seconds:.1f} s")
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


def _pairs(items: list[str], flag: str, last: bool) -> list[tuple[str, str]]:
    out = []
    for item in items:
        left, eq, right = item.rpartition("=") if last else item.partition("=")
        if not eq or not left.strip() or not right.strip():
            raise CliError(f'{flag} {item!r}: write it as {flag} "left=right"')
        out.append((left.strip(), right.strip()))
    return out


def _import_mapping(args: argparse.Namespace) -> Mapping:
    if args.mapping:
        try:
            with open(args.mapping, encoding="utf-8") as fh:
                mapping = Mapping.from_json(fh.read())
        except OSError as exc:
            raise CliError(f"cannot read the mapping {args.mapping}: {exc.strerror}") from None
    else:
        mapping = Mapping(kind=args.kind or "leads")
    if args.kind:
        mapping.kind = args.kind
    for source, name in _pairs(args.map, "--map", last=True):
        mapping.columns[name] = source
    for name, value in _pairs(args.set, "--set", last=False):
        mapping.fixed[name] = value
    for value, target in _pairs(args.status_map, "--status-map", last=True):
        mapping.status_map[value] = target
    for stage, source in _pairs(args.stage, "--stage", last=False):
        mapping.stages[stage] = source
    for key in ("date_format", "encoding", "delimiter"):
        if getattr(args, key):
            setattr(mapping, key, getattr(args, key))
    return mapping.check()


def cmd_import(args: argparse.Namespace) -> int:
    from analytics.importer import ImportRejected, MappingError, Rejected, import_file
    from analytics.importer.loading import Summary

    if not args.db and engine.config().engine == "clickhouse":
        raise CliError(
            "imports are not supported into ClickHouse (it has no all-or-nothing transactions "
            "for a rejected file): import into a Voronka DuckDB file with --db PATH, then copy "
            "it with `python -m analytics copy --db PATH --to URL`"
        )
    path = store.resolve_path(args.db)
    try:
        mapping = _import_mapping(args)
        if not os.path.exists(args.file):
            raise CliError(f"{args.file} does not exist")
        summary = import_file(
            path,
            args.file,
            mapping,
            mode=args.mode,
            skip_invalid=args.skip_invalid,
            dry_run=args.dry_run,
            suggested=_print_suggested,
        )
        code = 0
    except MappingError as exc:
        raise CliError(str(exc)) from None
    except Rejected as exc:
        summary, code = exc.summary, 1
        print(f"rejected: {exc.message}", file=sys.stderr)
    except ImportRejected as exc:
        summary, code = Summary(status="rejected"), 1
        summary.errors = []
        print(f"rejected: {exc.message}", file=sys.stderr)
        if args.format == "json":
            print(json.dumps({**summary.as_dict(), "reason": exc.code, "message": exc.message},
                             ensure_ascii=False))  # fmt: skip
        return code
    out = summary.as_dict()
    out["mapping"] = mapping.to_dict()
    if args.format == "json":
        print(json.dumps(out, ensure_ascii=False, default=str))
    else:
        print(_import_table(out))
    return code


def _print_suggested(mapping: Mapping) -> None:
    """Nothing mapped: the columns suggested from the header are used, and the user is told."""
    print(
        "no --map or --mapping: using columns suggested from the header: "
        + ", ".join(f"{src}={name}" for name, src in mapping.columns.items()),
        file=sys.stderr,
    )


def _import_table(out: dict[str, object]) -> str:
    lines = [
        f"{out['status']}: read {out['read']}, inserted {out['inserted']}, updated "
        f"{out['updated']}, skipped {out['skipped']}, duplicates {out['duplicates']}, "
        f"rows with problems {out['rejected']}"
    ]
    errors = out["errors"]
    assert isinstance(errors, list)
    for e in errors:
        lines.append(f"  row {e['row']}, {e['column']}: {e['value']!r}: {e['message']}")
    more = int(str(out["error_count"])) - len(errors)
    if more > 0:
        lines.append(f"  ... and {more} more problems (see --format json after fixing these)")
    return "\n".join(lines)


COMMANDS = {
    "demo": cmd_demo,
    "init": cmd_init,
    "copy": cmd_copy,
    "report": cmd_report,
    "docs": cmd_docs,
    "import": cmd_import,
}


def main(argv: Sequence[str] | None = None) -> int:
    from analytics.report import ReportError

    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except (
        CliError,
        store.StoreError,
        ClickHouseError,
        FilterError,
        ReportError,
        ValueError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
