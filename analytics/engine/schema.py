"""The Voronka schema on ClickHouse, and the bulk copy from a Voronka DuckDB file.

Tables are MergeTree, ordered for the funnel queries: every metric filters leads by a period of
``created_at`` (cohort) or of a stage date (activity) and groups by campaign, channel or week, so
``leads`` is partitioned by month and ordered by ``(created_at, lead_id)``; costs by
``(campaign_id, day)``. ClickHouse does not enforce primary keys or the DuckDB CHECK rules: data
comes in through :func:`copy_from_duckdb` from a file whose schema enforced them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pyarrow as pa

from analytics import store
from analytics.engine.clickhouse import ClickHouseConnection, ClickHouseError
from analytics.model import STAGES

_TS: Final[str] = "Nullable(DateTime64(6))"

#: table -> (columns DDL, engine clause). Column names and order are those of the DuckDB schema.
TABLES: Final[dict[str, tuple[str, str]]] = {
    "campaigns": (
        "campaign_id String, name String, channel Nullable(String), "
        "direction Nullable(String), start_date Nullable(Date), end_date Nullable(Date), "
        "budget Nullable(Decimal(18, 2))",
        "MergeTree ORDER BY campaign_id",
    ),
    "campaign_costs": (
        "campaign_id String, day Date, spend Decimal(18, 2) DEFAULT 0, "
        "impressions Int64 DEFAULT 0, clicks Int64 DEFAULT 0",
        "MergeTree ORDER BY (campaign_id, day)",
    ),
    "leads": (
        "lead_id String, created_at DateTime64(6), campaign_id Nullable(String), "
        "channel Nullable(String), source Nullable(String), company Nullable(String), "
        "company_size Nullable(Int32), industry Nullable(String), region Nullable(String), "
        "email Nullable(String), phone Nullable(String), owner Nullable(String), "
        "bant_budget Nullable(Bool), bant_authority Nullable(Bool), bant_need Nullable(Bool), "
        "bant_timing Nullable(Bool), score Nullable(Float64), "
        f"stage LowCardinality(String), status LowCardinality(String), mql_at {_TS}, "
        f"sql_at {_TS}, opportunity_at {_TS}, won_at {_TS}, lost_at {_TS}, "
        "lost_reason Nullable(String), deal_value Nullable(Decimal(18, 2)), "
        f"CONSTRAINT stage_known CHECK stage IN ({', '.join(repr(s) for s in STAGES)}), "
        "CONSTRAINT status_known CHECK status IN ('open', 'won', 'lost', 'nurture')",
        "MergeTree PARTITION BY toYYYYMM(created_at) ORDER BY (created_at, lead_id)",
    ),
    "settings": ("key String, value String", "MergeTree ORDER BY key"),
    "voronka_meta": ("key String, value String", "MergeTree ORDER BY key"),
    "import_mappings": (
        "name String, kind String, mapping String, saved_at DateTime64(6) DEFAULT now64(6)",
        "MergeTree ORDER BY name",
    ),
    "schema_version": (
        "version Int32, applied_at DateTime64(6) DEFAULT now64(6)",
        "MergeTree ORDER BY version",
    ),
}

#: The tables copied from a DuckDB file, in order.
COPIED: Final[tuple[str, ...]] = (
    "campaigns",
    "campaign_costs",
    "leads",
    "settings",
    "voronka_meta",
    "import_mappings",
)


def create_schema(con: ClickHouseConnection) -> None:
    """Create the Voronka tables (idempotent) and record the schema version."""
    for table, (columns, engine) in TABLES.items():
        con.backend.command(f"CREATE TABLE IF NOT EXISTS {table} ({columns}) ENGINE = {engine}", {})
    row = con.execute("SELECT count(*) FROM schema_version").fetchone()
    if not row or not row[0]:
        con.backend.command(
            f"INSERT INTO schema_version (version) VALUES ({store.SCHEMA_VERSION})", {}
        )


def table_rows(con: ClickHouseConnection, table: str) -> int:
    if table not in TABLES:
        raise ValueError(f"unknown table {table}")
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


@dataclass(frozen=True)
class CopyResult:
    rows: dict[str, int]
    seconds: float


BATCH_ROWS: Final[int] = 500_000


def copy_from_duckdb(db: Path, con: ClickHouseConnection) -> CopyResult:
    """Copy every Voronka table of the DuckDB file ``db`` into ClickHouse (schema created).

    Refuses a ClickHouse database that already holds leads or campaigns (a second copy would
    double every count); copy into an empty database, or drop it first.
    """
    create_schema(con)
    busy = [t for t in ("leads", "campaigns", "campaign_costs") if table_rows(con, t)]
    if busy:
        raise ClickHouseError(
            f"The ClickHouse database already has data in {', '.join(busy)}; copying again would "
            "count it twice. Copy into an empty database (or drop its tables first)."
        )
    start = time.perf_counter()
    rows: dict[str, int] = {}
    with store.reading(db) as src:
        for table in COPIED:
            columns = ", ".join(_columns(table))
            reader = src.sql(f"SELECT {columns} FROM {table}").to_arrow_reader(BATCH_ROWS)
            n = 0
            for batch in reader:
                data = pa.Table.from_batches([batch])
                con.backend.insert_arrow(table, data)
                n += data.num_rows
            rows[table] = n
    return CopyResult(rows, time.perf_counter() - start)


def _columns(table: str) -> tuple[str, ...]:
    if table in store.REQUIRED_COLUMNS:
        return store.REQUIRED_COLUMNS[table]
    return {
        "settings": ("key", "value"),
        "voronka_meta": ("key", "value"),
        "import_mappings": ("name", "kind", "mapping", "saved_at"),
    }[table]


def check_schema(con: ClickHouseConnection, label: str = "") -> None:
    """Raise a clear error unless the PRODUCT.md tables and columns are all there."""
    rows = con.execute(
        "SELECT table, name FROM system.columns WHERE database = currentDatabase()"
    ).fetchall()
    problems = store.schema_problems(rows)
    if problems:
        raise store.NotAVoronkaDatabase(
            f"{label or 'The ClickHouse database'} does not have the Voronka schema "
            f"({'; '.join(problems)}). Create it with `python -m analytics init --engine "
            "clickhouse --url URL`, or copy a DuckDB file into it with `python -m analytics "
            "copy --db PATH --to URL`."
        )
