"""Helpers shared by the metric modules: safe division and running a query into a small frame."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd

from analytics.model import Stage, stages_from
from analytics.sql import Query, Sql, in_list


def ratio(
    numerator: float | int | Decimal | None, denominator: float | int | Decimal | None
) -> float | None:
    """numerator / denominator, or None when the denominator is zero or missing (shown as "-")."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return float(numerator) / float(denominator)


def number(value: Any) -> float:
    """A SQL sum as a float (NULL sum = 0)."""
    return 0.0 if value is None else float(value)


def reached(stage: Stage, alias: str = "l") -> Sql:
    """The lead has reached ``stage``: its stage is ``stage`` or later (skipped stages count)."""
    return in_list(f"{alias}.stage", stages_from(stage))


def frame(con: duckdb.DuckDBPyConnection, query: Query) -> pd.DataFrame:
    df = query.run(con).df()
    df.attrs["sql"] = query.rendered()
    return df
