"""The one seam between the metrics' SQL (written once, in DuckDB's dialect) and ClickHouse.

Every metric builds DuckDB SQL with ``?`` placeholders (:mod:`analytics.sql`). For ClickHouse
:func:`to_clickhouse` parses it with sqlglot, rewrites what the transpiler does not carry over
with the same meaning, and binds every value as a ClickHouse server-side parameter
``{p0:Type}``: values are sent apart from the SQL text and parsed by the server as that type, so
nothing is formatted into the SQL. The per-dialect fragments are all in :data:`_REWRITES`:

- ``?``                                -> ``{pN:Type}`` (type from the Python value; None -> NULL)
- ``agg(x) FILTER (WHERE c)``          -> ``aggIfOrNull(x, c)`` (``countIf(c)`` for counts):
  ClickHouse's ``sum``/``avg`` of no rows is 0/nan, DuckDB's is NULL
- ``sum/avg/min/max(x)``               -> ``sumOrNull(x)`` ... (same reason)
- ``quantile_cont(x, q)``              -> ``quantileExactInclusiveOrNull(q)(x)`` (exact, linear
  interpolation: the same numbers as DuckDB and pandas)
- ``quantile_cont(x, [q1, q2])``       -> ``quantilesExactInclusive(q1, q2)(x)`` (one sort for
  several fractions), an array of NULLs when no value counts (ClickHouse gives NaNs and has no
  NULL array, so DuckDB's NULL list reads as NULL elements: index it, do not test IS NULL)
- ``epoch_us(t)``                      -> ``toUnixTimestamp64Micro(toDateTime64(t, 6))``
- ``date_trunc('week', t)``            -> ``toMonday(t)`` (ISO weeks, as DuckDB)
- ``unnest(generate_series(a, b, INTERVAL n DAY))`` -> ``arrayJoin(arrayMap(...range...))``
- ``CAST(x AS TIMESTAMP)``             -> ``DateTime64(6)`` (DuckDB timestamps are microseconds)
- ``WITH t(a, b) AS (VALUES ...)``     -> ``SELECT ... UNION ALL SELECT ...``
- ``current_schema()``                 -> ``currentDatabase()``

Translations are cached by (SQL text, parameter types): a metric's SQL text does not depend on
the values, so a page reuses a handful of translations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final

import sqlglot
from sqlglot import exp

from analytics.sql import _split_on_placeholders

#: Settings sent with every ClickHouse query so that it means what the DuckDB SQL means.
QUERY_SETTINGS: Final[dict[str, Any]] = {
    "join_use_nulls": 1,  # an unmatched LEFT JOIN row is NULL, not 0 / ''
    "session_timezone": "UTC",  # timestamps are naive UTC on both sides
    "cast_keep_nullable": 1,
    "allow_experimental_join_condition": 1,  # JOIN ... ON a = b AND c >= d
}


class TranslationError(Exception):
    """The SQL could not be carried over to ClickHouse (a bug in the seam, not user input)."""


def param_type(value: Any) -> str:
    """The ClickHouse type a Python value is bound as."""
    if isinstance(value, bool):
        return "Bool"
    if isinstance(value, int):
        return "Int64"
    if isinstance(value, float):
        return "Float64"
    if isinstance(value, Decimal):
        return "Decimal(38, 10)"
    if isinstance(value, dt.datetime):
        return "DateTime64(6)"
    if isinstance(value, dt.date):
        return "Date"
    if isinstance(value, str):
        return "String"
    raise TranslationError(f"cannot bind a {type(value).__name__} value to ClickHouse")


def param_text(value: Any) -> str:
    """A bound value as the text ClickHouse parses for its declared type (never part of SQL)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def to_clickhouse(text: str, params: Sequence[Any] = ()) -> tuple[str, dict[str, Any]]:
    """DuckDB SQL with ``?`` placeholders -> ClickHouse SQL with ``{pN:Type}`` and its values."""
    statements, bound = to_clickhouse_statements(text, params)
    if len(statements) != 1:
        raise TranslationError(f"expected one statement, got {len(statements)}")
    return statements[0], bound


def to_clickhouse_statements(
    text: str, params: Sequence[Any] = ()
) -> tuple[tuple[str, ...], dict[str, Any]]:
    """Like :func:`to_clickhouse`; an upsert becomes two statements (DELETE, then INSERT)."""
    values = list(params)
    kinds = tuple(None if v is None else param_type(v) for v in values)
    statements = _translate(text, kinds)
    bound = {f"p{i}": v for i, v in enumerate(values) if v is not None}
    return statements, bound


@lru_cache(maxsize=512)
def _translate(text: str, kinds: tuple[str | None, ...]) -> tuple[str, ...]:
    named: list[str] = []
    n = 0
    for part in _split_on_placeholders(text):
        if part == "?":
            named.append(f" $p{n} ")
            n += 1
        else:
            named.append(part)
    if n != len(kinds):
        raise TranslationError(f"{n} placeholders but {len(kinds)} values")
    try:
        statements = sqlglot.parse("".join(named), read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise TranslationError(str(exc)) from exc
    out: list[str] = []
    for tree in statements:
        if tree is None:
            continue
        for statement in _split_upsert(tree):
            out.append(_rewrite_tree(statement, kinds).sql(dialect="clickhouse"))
    return tuple(out)


def _split_upsert(tree: exp.Expr) -> list[exp.Expr]:
    """``INSERT ... VALUES (one row) ON CONFLICT (k) DO UPDATE`` (settings, meta) ->
    ``DELETE FROM t WHERE k = <its value>`` then the plain INSERT: ClickHouse has no upsert.
    Each statement is atomic on its own; the pair is not (documented in docs/CLICKHOUSE.md)."""
    conflict = tree.args.get("conflict") if isinstance(tree, exp.Insert) else None
    if conflict is None:
        return [tree]
    schema, rows = tree.this, tree.expression
    if not isinstance(schema, exp.Schema) or not isinstance(rows, exp.Values):
        raise TranslationError("only INSERT (columns) VALUES (...) ON CONFLICT is supported")
    if len(rows.expressions) != 1:
        raise TranslationError("an upsert on ClickHouse takes one row at a time")
    names = [c.name for c in schema.expressions]
    row = rows.expressions[0].expressions
    keys = [
        k.this.name if isinstance(k, exp.Ordered) else k.name
        for k in conflict.args["conflict_keys"]
    ]
    condition = exp.and_(
        *(exp.EQ(this=exp.column(k), expression=row[names.index(k)].copy()) for k in keys)
    )
    delete = exp.Delete(this=schema.this.copy(), where=exp.Where(this=condition))
    insert = tree.copy()
    insert.set("conflict", None)
    return [delete, insert]


def _rewrite_tree(tree: exp.Expr, kinds: tuple[str | None, ...]) -> exp.Expr:
    """Apply the rewrites children first (a rewritten parent sees rewritten children)."""
    root = tree
    for node in reversed(list(tree.walk(bfs=False))):
        new = _rewrite(node, kinds)
        if new is not node:
            if node is root:
                root = new
            else:
                node.replace(new)
    return root


def _rewrite(node: exp.Expr, kinds: tuple[str | None, ...]) -> exp.Expr:
    for kind, fn in _REWRITES:
        if isinstance(node, kind):
            return fn(node, kinds)
    return node


# -- the fragments -------------------------------------------------------------------------------


def _placeholder(node: exp.Expr, kinds: tuple[str | None, ...]) -> exp.Expr:
    name = node.name
    if not name.startswith("p") or not name[1:].isdigit():
        raise TranslationError(f"unexpected placeholder {name!r}")
    kind = kinds[int(name[1:])]
    if kind is None:
        return exp.Null()
    return exp.Placeholder(this=name, kind=exp.DataType.build(kind, dialect="clickhouse"))


_OR_NULL: Final[dict[type[exp.Expr], str]] = {
    exp.Sum: "sum",
    exp.Avg: "avg",
    exp.Min: "min",
    exp.Max: "max",
}


def _quantile(node: exp.Expr) -> tuple[exp.Expr, exp.Expr]:
    """(value, fraction) of DuckDB's ``quantile_cont(value, fraction)``."""
    return node.this, node.expression


def _filtered(node: exp.Expr, _kinds: tuple[str | None, ...]) -> exp.Expr:
    agg = node.this
    cond = node.expression.this  # Filter(this=agg, expression=Where(this=cond))
    if isinstance(agg, exp.Count):
        return exp.Anonymous(this="countIf", expressions=[cond])
    if isinstance(agg, exp.PercentileCont):
        value, fraction = _quantile(agg)
        if isinstance(fraction, exp.Array):
            return _quantiles(value, fraction, cond)
        return _parametric("quantileExactInclusiveIfOrNull", [fraction], [_float(value), cond])
    for kind, name in _OR_NULL.items():
        if type(agg) is kind:
            return exp.Anonymous(this=f"{name}IfOrNull", expressions=[agg.this, cond])
    raise TranslationError(f"no ClickHouse form for {agg.sql('duckdb')} FILTER (...)")


def _aggregate(node: exp.Expr, _kinds: tuple[str | None, ...]) -> exp.Expr:
    if isinstance(node.parent, exp.Filter):
        return node  # handled with its filter
    if isinstance(node, exp.PercentileCont):
        value, fraction = _quantile(node)
        if isinstance(fraction, exp.Array):
            return _quantiles(value, fraction, None)
        return _parametric("quantileExactInclusiveOrNull", [fraction], [_float(value)])
    return exp.Anonymous(this=f"{_OR_NULL[type(node)]}OrNull", expressions=[node.this])


def _quantiles(value: exp.Expr, fractions: exp.Array, cond: exp.Expr | None) -> exp.Expr:
    """``quantile_cont(value, [q1, ...]) [FILTER (WHERE cond)]``: the quantiles in one pass;
    with no non-NULL value (DuckDB: a NULL list) an array of as many NULLs."""
    qs = fractions.expressions
    if not qs:
        raise TranslationError("quantile_cont with an empty list of fractions")
    args = [_float(value.copy())] + ([cond.copy()] if cond is not None else [])
    name = "quantilesExactInclusiveIf" if cond is not None else "quantilesExactInclusive"
    found = exp.DataType.build("Array(Nullable(Float64))", dialect="clickhouse")
    values = exp.Cast(this=_parametric(name, [q.copy() for q in qs], args), to=found)
    counted = (
        exp.Anonymous(this="countIf", expressions=[value.copy(), cond.copy()])
        if cond is not None
        else exp.Count(this=value.copy())
    )
    nulls = exp.Array(expressions=[exp.Null() for _ in qs])
    return exp.If(
        this=exp.EQ(this=counted, expression=exp.Literal.number(0)), true=nulls, false=values
    )


def _parametric(name: str, params: list[exp.Expr], args: list[exp.Expr]) -> exp.Expr:
    """``name(params)(args)``: sqlglot prints ParameterizedAgg's two lists the other way round."""
    return exp.ParameterizedAgg(this=name, expressions=params, params=args)


def _float(value: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this="toFloat64", expressions=[value])


def _anonymous(node: exp.Expr, _kinds: tuple[str | None, ...]) -> exp.Expr:
    name = node.name.lower()
    if name == "epoch_us":
        inner = exp.Anonymous(
            this="toDateTime64", expressions=[node.expressions[0], exp.Literal.number(6)]
        )
        return exp.Anonymous(this="toUnixTimestamp64Micro", expressions=[inner])
    if name == "current_schema":
        return exp.Anonymous(this="currentDatabase", expressions=[])
    return node


def _current_schema(_node: exp.Expr, _kinds: tuple[str | None, ...]) -> exp.Expr:
    return exp.Anonymous(this="currentDatabase", expressions=[])


def _date_trunc(node: exp.Expr, _kinds: tuple[str | None, ...]) -> exp.Expr:
    unit = node.args.get("unit")
    unit_name = (unit.name if unit is not None else "").lower()
    if unit_name == "week":
        return exp.Anonymous(this="toMonday", expressions=[node.this])
    return node


def _unnest(node: exp.Expr, _kinds: tuple[str | None, ...]) -> exp.Expr:
    series = node.this if isinstance(node, exp.Explode) else None
    if not isinstance(series, exp.GenerateSeries):
        return node
    start, end, step = series.args["start"], series.args["end"], series.args.get("step")
    days = _interval_days(step)
    template = sqlglot.parse_one(
        f"arrayJoin(arrayMap(i -> addDays(__a, i * {days}), range(toUInt64(assumeNotNull("
        f"intDiv(greatest(dateDiff('day', __a, __b), -1) + {days}, {days}))))))",
        read="clickhouse",
    )

    def fill(n: exp.Expr) -> exp.Expr:
        if isinstance(n, exp.Column) and n.name == "__a":
            return start.copy()
        if isinstance(n, exp.Column) and n.name == "__b":
            return end.copy()
        return n

    return template.transform(fill)


def _interval_days(step: exp.Expr | None) -> int:
    if not isinstance(step, exp.Interval):
        raise TranslationError("generate_series needs an INTERVAL n DAY step for ClickHouse")
    unit = step.text("unit").lower()
    amount = int(step.this.name)
    if unit in ("day", "days"):
        return amount
    if unit in ("week", "weeks"):
        return amount * 7
    raise TranslationError(f"generate_series step in {unit} is not supported for ClickHouse")


def _cast(node: exp.Expr, _kinds: tuple[str | None, ...]) -> exp.Expr:
    to = node.args.get("to")
    if isinstance(to, exp.DataType) and to.this in (
        exp.DataType.Type.TIMESTAMP,
        exp.DataType.Type.TIMESTAMPNTZ,
        exp.DataType.Type.DATETIME,
    ):
        node.set("to", exp.DataType.build("DateTime64(6)", dialect="clickhouse"))
    return node


def _cte_values(node: exp.Expr, _kinds: tuple[str | None, ...]) -> exp.Expr:
    """``t(a, b) AS (VALUES (1, 'x'), ...)`` -> ``t AS (SELECT 1 AS a, 'x' AS b UNION ALL ...)``."""
    body = node.this
    if isinstance(body, exp.Select) and isinstance(body.args.get("from_"), exp.From):
        body = body.args["from_"].this  # sqlglot reads the body as SELECT * FROM VALUES ...
    alias = node.args.get("alias")
    if not isinstance(body, exp.Values) or alias is None or not alias.columns:
        return node
    names = [c.name for c in alias.columns]
    selects: list[exp.Query] = []
    for row in body.expressions:
        cells = row.expressions if isinstance(row, exp.Tuple) else [row]
        selects.append(
            exp.select(*(exp.alias_(c.copy(), n) for c, n in zip(cells, names, strict=True)))
        )
    union: exp.Query = selects[0]
    for s in selects[1:]:
        union = exp.union(union, s, distinct=False)
    return exp.CTE(this=union, alias=exp.TableAlias(this=exp.to_identifier(alias.name)))


def _join(node: exp.Expr, _kinds: tuple[str | None, ...]) -> exp.Expr:
    """``JOIN t ON a >= b`` (no equality): ClickHouse needs an equality to find join keys, so
    an always-true one over the same two columns is added (``cityHash64(a) * 0 = ...``)."""
    on = node.args.get("on")
    comparisons = (exp.GTE, exp.GT, exp.LTE, exp.LT, exp.NEQ)
    if not isinstance(on, comparisons):
        return node
    left, right = on.this, on.expression
    if not (isinstance(left, exp.Column) and isinstance(right, exp.Column)):
        return node

    def zero(col: exp.Expr) -> exp.Expr:
        return exp.Mul(
            this=exp.Anonymous(this="cityHash64", expressions=[col.copy()]),
            expression=exp.Literal.number(0),
        )

    node.set("on", exp.and_(exp.EQ(this=zero(left), expression=zero(right)), on))
    return node


def _table_series(node: exp.Expr, _kinds: tuple[str | None, ...]) -> exp.Expr:
    """``FROM range(a, b) t(i)`` -> ``FROM (SELECT arrayJoin(range(a, b)) AS i) AS t``."""
    series = node.this
    alias = node.args.get("alias")
    if not isinstance(series, exp.GenerateSeries) or alias is None or len(alias.columns) != 1:
        return node
    start, end = series.args["start"], series.args["end"]
    if not series.args.get("is_end_exclusive"):
        end = exp.Add(this=end, expression=exp.Literal.number(1))
    values = exp.Anonymous(
        this="arrayJoin", expressions=[exp.Anonymous(this="range", expressions=[start, end])]
    )
    select = exp.select(exp.alias_(values, alias.columns[0].name))
    return exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(alias.name)))


def _select(node: exp.Expr, _kinds: tuple[str | None, ...]) -> exp.Expr:
    """``SELECT t.x`` is named ``x`` in DuckDB but ``t.x`` in ClickHouse: say ``AS x``."""
    for i, item in enumerate(node.expressions):
        if isinstance(item, exp.Column) and item.table and not isinstance(item.this, exp.Star):
            node.expressions[i] = exp.alias_(item, item.name)
    return node


_REWRITES: Final[
    tuple[tuple[type[exp.Expr], Callable[[Any, tuple[str | None, ...]], exp.Expr]], ...]
] = (
    (exp.Placeholder, _placeholder),
    (exp.Filter, _filtered),
    (exp.PercentileCont, _aggregate),
    (exp.Sum, _aggregate),
    (exp.Avg, _aggregate),
    (exp.Min, _aggregate),
    (exp.Max, _aggregate),
    (exp.CurrentSchema, _current_schema),
    (exp.Anonymous, _anonymous),
    (exp.DateTrunc, _date_trunc),
    (exp.TimestampTrunc, _date_trunc),
    (exp.Explode, _unnest),
    (exp.Cast, _cast),
    (exp.CTE, _cte_values),
    (exp.Join, _join),
    (exp.Table, _table_series),
    (exp.Select, _select),
)
