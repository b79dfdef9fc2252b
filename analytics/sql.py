"""SQL composition: fragments carry their bound parameters, identifiers go through one quoter.

Nothing here formats a value into SQL text. Values travel as ``?`` parameters in the order the
fragments are joined; identifiers (which cannot be parameters) go through :func:`quote_ident`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb


@dataclass(frozen=True)
class Sql:
    """A piece of SQL text with the values of its ``?`` placeholders, in order."""

    text: str
    params: tuple[Any, ...] = field(default=())

    def __post_init__(self) -> None:
        placeholders = _count_placeholders(self.text)
        if placeholders != len(self.params):
            raise ValueError(
                f"SQL fragment has {placeholders} placeholders but {len(self.params)} values"
            )

    def __add__(self, other: Sql | str) -> Sql:
        if isinstance(other, str):
            other = Sql(other)
        return Sql(self.text + other.text, self.params + other.params)

    def __radd__(self, other: str) -> Sql:
        return Sql(other) + self

    def rendered(self) -> str:
        """The SQL with parameters shown inline, for people to read (never to execute)."""
        out: list[str] = []
        values = iter(self.params)
        for part in _split_on_placeholders(self.text):
            if part == "?":
                out.append(_literal_for_display(next(values)))
            else:
                out.append(part)
        return "".join(out)


def join(parts: Iterable[Sql | str], sep: str) -> Sql:
    items = [Sql(p) if isinstance(p, str) else p for p in parts]
    return Sql(sep.join(p.text for p in items), tuple(v for p in items for v in p.params))


def where(conditions: Sequence[Sql]) -> Sql:
    """``WHERE a AND b`` or nothing."""
    if not conditions:
        return Sql("")
    return "WHERE " + join(conditions, " AND ")


def and_all(conditions: Sequence[Sql]) -> Sql:
    """``(a AND b)`` or ``TRUE``."""
    if not conditions:
        return Sql("TRUE")
    return "(" + join(conditions, " AND ") + ")"


def in_list(expr: str, values: Sequence[Any]) -> Sql:
    """``expr IN (?, ?, ...)`` with the values bound. ``expr`` must be trusted SQL."""
    if not values:
        return Sql("FALSE")
    return Sql(f"{expr} IN ({', '.join('?' for _ in values)})", tuple(values))


_IDENT_OK = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB (double quotes, inner quotes doubled)."""
    if "\x00" in name:
        raise ValueError("identifier contains a NUL character")
    return '"' + name.replace('"', '""') + '"'


def is_plain_ident(name: str) -> bool:
    return bool(_IDENT_OK.match(name))


@dataclass(frozen=True)
class Query:
    """A complete query ready to run, kept with its result so the UI can show how it was made."""

    sql: Sql
    title: str = ""

    def run(self, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
        return con.execute(self.sql.text, list(self.sql.params))

    def rendered(self) -> str:
        return self.sql.rendered()


def _split_on_placeholders(text: str) -> list[str]:
    """Split SQL text on ``?`` outside string literals, quoted identifiers and comments."""
    parts: list[str] = []
    buf: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in ("'", '"'):
            j = i + 1
            while j < n:
                if text[j] == ch:
                    if j + 1 < n and text[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            buf.append(text[i : j + 1])
            i = j + 1
            continue
        if ch == "-" and text.startswith("--", i):
            j = text.find("\n", i)
            j = n if j == -1 else j
            buf.append(text[i:j])
            i = j
            continue
        if ch == "?":
            parts.append("".join(buf))
            parts.append("?")
            buf = []
            i += 1
            continue
        buf.append(ch)
        i += 1
    parts.append("".join(buf))
    return parts


def _count_placeholders(text: str) -> int:
    return sum(1 for p in _split_on_placeholders(text) if p == "?")


def _literal_for_display(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value).replace("'", "''")
    kind = type(value).__name__
    if kind == "date":
        return f"DATE '{text}'"
    if kind == "datetime":
        return f"TIMESTAMP '{text}'"
    return f"'{text}'"
