"""Mappings saved by name in the database (table ``import_mappings``, schema version 2).

The stored text is the mapping's JSON: the same file the CLI takes with ``--mapping``.
"""

from __future__ import annotations

import duckdb

from analytics import store
from analytics.importer.mapping import Mapping

MAX_NAME = 80


def saved_names(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(name, kind) of every saved mapping, by name; none in a database without the table."""
    if not store._has_table(con, "import_mappings"):
        return []
    rows = con.execute("SELECT name, kind FROM import_mappings ORDER BY lower(name)").fetchall()
    return [(str(n), str(k)) for n, k in rows]


def load_saved(con: duckdb.DuckDBPyConnection, name: str) -> Mapping | None:
    if not store._has_table(con, "import_mappings"):
        return None
    row = con.execute("SELECT mapping FROM import_mappings WHERE name = ?", [name]).fetchone()
    return None if row is None else Mapping.from_json(str(row[0]))


def save_mapping(con: duckdb.DuckDBPyConnection, name: str, mapping: Mapping) -> str:
    """Save (or replace) ``mapping`` under ``name`` (trimmed, at most 80 characters)."""
    clean = " ".join(name.split())[:MAX_NAME]
    if not clean:
        raise ValueError("a saved mapping needs a name")
    con.execute(
        "INSERT INTO import_mappings (name, kind, mapping) VALUES (?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, mapping = excluded.mapping, "
        "saved_at = CAST(now() AS TIMESTAMP)",
        [clean, mapping.kind, mapping.to_json()],
    )
    return clean


def delete_saved(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute("DELETE FROM import_mappings WHERE name = ?", [name])
