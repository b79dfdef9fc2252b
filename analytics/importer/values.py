"""Reading values in SQL: dates in several layouts, numbers with decimal commas, spaces and
currency signs, yes/no in two languages. Each reader is a SQL expression over a text column,
so a million values are read by DuckDB, not by Python.

Expressions take ``x``, trusted SQL for the text (a quoted column or ``?``); they give NULL for a
value they cannot read, and the pipeline reports a non-empty value that became NULL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import duckdb

#: Date layouts a user can name (the CLI's --date-format), with their strptime patterns.
#: A time of day may follow any of them.
DATE_FORMATS: Final[dict[str, tuple[str, ...]]] = {
    "YYYY-MM-DD": (),  # DuckDB's own cast: ISO dates and timestamps, 'T' or space, fractions
    "DD.MM.YYYY": ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y"),
    "DD/MM/YYYY": ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y"),
    "MM/DD/YYYY": (
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
        "%m/%d/%Y %I:%M:%S %p",
        "%m/%d/%Y %I:%M %p",
        "%m/%d/%Y",
    ),
    "DD-MM-YYYY": ("%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d-%m-%Y"),
    "YYYY/MM/DD": ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d"),
}
#: Pairs that read the same text differently when every day is 12 or less.
AMBIGUOUS_PAIRS: Final[tuple[tuple[str, str], ...]] = (("DD/MM/YYYY", "MM/DD/YYYY"),)
MIN_YEAR: Final[int] = 1990
MAX_YEAR: Final[int] = 2100


def normalise_date_format(text: str) -> str:
    """``dd.mm.yyyy`` -> ``DD.MM.YYYY``; raises ValueError naming the accepted layouts."""
    key = text.strip().upper().replace("ГГГГ", "YYYY").replace("ДД", "DD").replace("ММ", "MM")
    if key in DATE_FORMATS:
        return key
    raise ValueError(
        f"{text!r} is not a date format Voronka knows; use one of {', '.join(DATE_FORMATS)}"
    )


#: The date part alone of each layout (to guess a column's layout from its distinct dates).
DATE_ONLY: Final[dict[str, str]] = {
    "YYYY-MM-DD": "%Y-%m-%d",
    "DD.MM.YYYY": "%d.%m.%Y",
    "DD/MM/YYYY": "%d/%m/%Y",
    "MM/DD/YYYY": "%m/%d/%Y",
    "DD-MM-YYYY": "%d-%m-%Y",
    "YYYY/MM/DD": "%Y/%m/%d",
}


def timestamp_expr(x: str, fmt: str) -> str:
    """``x`` (text) as TIMESTAMP in layout ``fmt``, NULL when it does not fit. The year is
    checked separately (:func:`year_ok_expr`): a two-digit year read as year 26 is an error."""
    patterns = DATE_FORMATS[fmt]
    if not patterns:
        return f"try_cast({x} AS TIMESTAMP)"
    listed = ", ".join("'" + p + "'" for p in patterns)
    return f"try_strptime({x}, [{listed}])"


def year_ok_expr(ts: str) -> str:
    return f"(year({ts}) BETWEEN {MIN_YEAR} AND {MAX_YEAR})"


@dataclass(frozen=True)
class DateGuess:
    format: str | None  # None when nothing fits
    ambiguous: tuple[str, ...] = ()  # two layouts that both read every value
    values: int = 0  # non-empty values looked at


_DATE_TOKEN = "^([0-9]{1,4}[./-][0-9]{1,2}[./-][0-9]{1,4})"


def guess_date_format(con: duckdb.DuckDBPyConnection, table: str, column_sql: str) -> DateGuess:
    """The layout that reads every non-empty value of a column.

    Looks at the distinct date parts (a few thousand even in a million rows), each weighted by
    its rows. When DD/MM and MM/DD both read everything (every day is 12 or less) the answer
    is ambiguous: the user is asked, never guessed for.
    """
    fits = ", ".join(
        "coalesce(sum(n) FILTER (WHERE " + year_ok_expr("try_strptime(tok, '" + p + "')") + "), 0)"
        for p in DATE_ONLY.values()
    )
    iso_full = f"coalesce(sum(n) FILTER (WHERE {year_ok_expr('try_cast(v AS TIMESTAMP)')}), 0)"
    row = con.execute(
        f"""WITH t AS (
              SELECT regexp_extract({column_sql}, '{_DATE_TOKEN}', 1) AS tok, count(*) AS n,
                     any_value({column_sql}) AS v
              FROM {table} WHERE {column_sql} IS NOT NULL GROUP BY tok)
            SELECT coalesce(sum(n), 0), {fits}, {iso_full} FROM t"""
    ).fetchone()
    assert row is not None
    total, *counts, _iso = (int(v) for v in row)
    if total == 0:
        return DateGuess(None, (), 0)
    by_format = dict(zip(DATE_ONLY, counts, strict=True))
    full = [f for f, n in by_format.items() if n == total]
    for a, b in AMBIGUOUS_PAIRS:
        if a in full and b in full:
            return DateGuess(None, (a, b), total)
    if full:
        return DateGuess(full[0], (), total)
    best = max(by_format, key=lambda f: by_format[f])
    return DateGuess(best if by_format[best] else None, (), total)


_SPACES = "[\\s\u00a0\u202f\u2009\u2007'']"
_CURRENCY = "(руб\\.?|р\\.|rub|usd|eur|kzt|uah|pln|[₽$€£¥₸₴])"


def number_clean_expr(x: str) -> str:
    """Spaces (incl. thin and non-breaking), apostrophes and currency signs removed."""
    return (
        f"regexp_replace(regexp_replace(lower({x}), '{_CURRENCY}', '', 'g'), '{_SPACES}', '', 'g')"
    )


def decimal_comma_expr(clean: str) -> str:
    """True for a value that shows a decimal comma (``1234,5``, ``0,75``, ``1.234,50``)."""
    return (
        f"regexp_matches({clean}, '^-?[0-9.]*[0-9],[0-9]{{1,2}}$|^-?[0-9]+,[0-9]{{4,}}$"
        f"|^-?[0-9]{{1,3}}(\\.[0-9]{{3}})+,[0-9]+$|^-?0,[0-9]+$')"
    )


def number_expr(x: str, decimal_comma: bool) -> str:
    """``x`` as DOUBLE: ``1 234,50 ₽`` (decimal comma) or ``$1,234.50`` (decimal point)."""
    clean = number_clean_expr(x)
    if decimal_comma:
        text = f"replace(replace({clean}, '.', ''), ',', '.')"
    else:
        text = f"replace({clean}, ',', '')"
    # NaN and infinity read as DOUBLE but are not amounts: NULL, reported as "not a number"
    return f"(CASE WHEN isfinite(try_cast({text} AS DOUBLE)) THEN try_cast({text} AS DOUBLE) END)"


def whole_expr(number: str) -> str:
    """A number that is whole, as BIGINT; NULL otherwise (2.5 employees is an error)."""
    return f"(CASE WHEN {number} = floor({number}) THEN try_cast({number} AS BIGINT) END)"


TRUE_WORDS: Final[tuple[str, ...]] = (
    "yes", "y", "true", "1", "да", "д", "истина", "+", "x", "✓", "✔", "confirmed", "подтверждено",
)  # fmt: skip
FALSE_WORDS: Final[tuple[str, ...]] = (
    "no", "n", "false", "0", "нет", "н", "ложь", "not confirmed", "не подтверждено",
)  # fmt: skip


def bool_expr(x: str) -> str:
    def listed(words: tuple[str, ...]) -> str:
        return ", ".join("'" + w.replace("'", "''") + "'" for w in words)

    return (
        f"(CASE WHEN lower({x}) IN ({listed(TRUE_WORDS)}) THEN TRUE "
        f"WHEN lower({x}) IN ({listed(FALSE_WORDS)}) THEN FALSE END)"
    )


DIRECTION_WORDS: Final[dict[str, str]] = {
    "inbound": "inbound",
    "in": "inbound",
    "входящий": "inbound",
    "входящая": "inbound",
    "входящие": "inbound",
    "outbound": "outbound",
    "out": "outbound",
    "исходящий": "outbound",
    "исходящая": "outbound",
    "исходящие": "outbound",
}


def direction_expr(x: str) -> str:
    cases = " ".join(f"WHEN '{word}' THEN '{code}'" for word, code in DIRECTION_WORDS.items())
    return f"(CASE lower({x}) {cases} END)"


def norm_expr(x: str) -> str:
    """The SQL twin of :func:`analytics.importer.fields.norm_header`."""
    return f"trim(regexp_replace(replace(lower({x}), 'ё', 'е'), '[\\s_\\-:./()]+', ' ', 'g'))"


def empty_or_text(x: str, longest: int) -> str:
    """``x`` trimmed, or NULL for the values the mapping reads as empty.

    Those values are the bound parameter ``$nulls`` (see :func:`empty_params`); text longer
    than every one of them (``longest``, a number from :func:`empty_params`) is not
    lower-cased at all, which keeps a million cells fast."""
    n = int(longest)
    return (
        f"(CASE WHEN {x} IS NULL THEN NULL "
        f"WHEN length({x}) > {n} AND length(trim({x})) > {n} THEN trim({x}) "
        f"WHEN list_contains($nulls, lower(trim({x}))) THEN NULL ELSE trim({x}) END)"
    )


def empty_params(null_values: list[str]) -> tuple[dict[str, object], int]:
    """(the ``$nulls`` parameter, the length of the longest of them)."""
    values = sorted({v.strip().lower() for v in null_values} | {""})
    return {"nulls": values}, max(len(v) for v in values)
