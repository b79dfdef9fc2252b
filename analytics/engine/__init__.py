"""Which engine holds the data: the DuckDB file (default) or ClickHouse (issue 7).

Chosen by configuration: ``VORONKA_ENGINE=duckdb|clickhouse`` and ``VORONKA_URL`` (for DuckDB
a file path, default ``$VORONKA_DB`` or data/voronka.duckdb; for ClickHouse ``chdb:///dir``
for the embedded engine or ``clickhouse://user:password@host:8123/database`` for a server), or
the CLI's ``--engine`` / ``--url``. The metrics do not know which engine they run on: they get a
connection from a :class:`~analytics.store.Source`, and on ClickHouse that connection translates
their SQL in :mod:`analytics.engine.dialect`, the one place where the dialects differ.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Final, Literal, cast

from analytics import store

ENV_ENGINE: Final[str] = "VORONKA_ENGINE"
ENV_URL: Final[str] = "VORONKA_URL"
ENGINES: Final[tuple[str, ...]] = ("duckdb", "clickhouse")

EngineName = Literal["duckdb", "clickhouse"]


class EngineConfigError(store.StoreError):
    """A bad engine name or URL, worded with what to write instead."""


@dataclass(frozen=True)
class EngineConfig:
    engine: EngineName
    url: str  #: a DuckDB file path, or a ClickHouse URL

    @property
    def label(self) -> str:
        """What to show as "database" (a server URL without its password)."""
        if self.engine == "clickhouse":
            from analytics.engine.clickhouse import redact

            return redact(self.url)
        return str(store.resolve_path(self.url or None))


def config(engine: str | None = None, url: str | None = None) -> EngineConfig:
    """The engine and URL: arguments first, then ``$VORONKA_ENGINE`` / ``$VORONKA_URL``."""
    name = (engine or os.environ.get(ENV_ENGINE, "") or "duckdb").strip().lower()
    if name not in ENGINES:
        raise EngineConfigError(
            f"Unknown engine {name!r}; set {ENV_ENGINE} (or --engine) to duckdb or clickhouse."
        )
    where = (url or os.environ.get(ENV_URL, "")).strip()
    if name == "clickhouse" and not where:
        raise EngineConfigError(
            f"The ClickHouse engine needs a URL: set {ENV_URL} (or --url) to chdb:///path/to/dir "
            "(embedded) or clickhouse://user:password@host:8123/database (a server)."
        )
    return EngineConfig(cast(EngineName, name), where)


def open_source(cfg: EngineConfig) -> Any:
    """A :class:`~analytics.store.Source` for the configuration (ClickHouse: schema checked)."""
    if cfg.engine == "duckdb":
        return store.FileSource(cfg.url or None)
    from analytics.engine.clickhouse import ClickHouseSource
    from analytics.engine.schema import check_schema

    source = ClickHouseSource(cfg.url)
    check_schema(source.connection, cfg.label)
    return source
