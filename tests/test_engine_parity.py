"""The same numbers on ClickHouse as on DuckDB, on the demo data (issue 7).

The hand-computed metric suite (tests/test_metrics_*.py) already runs on both engines through
the ``engine`` parameter of conftest's fixtures. This file adds the demo data: a 3 000-lead
demo database (conftest's ``demo_db``) is copied into the in-process ClickHouse (chdb) with
``copy_from_duckdb``, and every metric a page or the report shows is computed on both and
compared: integers, strings, dates and money exactly, rates and quantiles to 1e-9.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analytics import metrics, store
from analytics.filters import Filters
from analytics.metrics import quality
from analytics.metrics.options import data_span, filter_options
from analytics.report import build_report
from tests.conftest import APP_TODAY, clickhouse_con

TODAY = date.fromisoformat(APP_TODAY)
TOL = 1e-9


@pytest.fixture(scope="module")
def engines(demo_db: Path) -> Iterator[tuple[Any, Any]]:
    """(DuckDB connection, ClickHouse connection) holding the same demo data."""
    from analytics.engine.schema import copy_from_duckdb

    ch = clickhouse_con()
    result = copy_from_duckdb(demo_db, ch)
    assert result.rows["leads"] == 3000
    with store.reading(demo_db) as duck:
        yield duck, ch
    store.release(demo_db)


def same(a: Any, b: Any, where: str = "result") -> None:
    """Assert a (DuckDB) and b (ClickHouse) are the same answer."""
    if isinstance(a, pd.DataFrame):
        assert isinstance(b, pd.DataFrame), where
        assert list(a.columns) == list(b.columns), where
        assert len(a) == len(b), f"{where}: {len(a)} rows vs {len(b)}"
        for col in a.columns:
            for i, (x, y) in enumerate(zip(a[col].tolist(), b[col].tolist(), strict=True)):
                same(x, y, f"{where}[{i}].{col}")
        return
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        for field in dataclasses.fields(a):
            if field.name in ("query", "queries", "filters"):
                continue
            same(getattr(a, field.name), getattr(b, field.name), f"{where}.{field.name}")
        return
    if isinstance(a, dict):
        assert set(a) == set(b), where
        for key in a:
            same(a[key], b[key], f"{where}[{key!r}]")
        return
    if isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{i}]")
        return
    if _missing(a) or _missing(b):
        assert _missing(a) and _missing(b), f"{where}: {a!r} vs {b!r}"
        return
    if isinstance(a, (float, np.floating)) and not float(a).is_integer():
        assert float(b) == pytest.approx(float(a), rel=TOL, abs=TOL), where
        return
    if isinstance(a, (int, float, np.integer, np.floating)) and not isinstance(a, bool):
        assert float(a) == float(b), f"{where}: {a!r} vs {b!r}"  # counts and money: exact
        return
    assert a == b, f"{where}: {a!r} vs {b!r}"


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


PERIOD = dict(date_from=date(2026, 5, 1), date_to=date(2026, 10, 31))
VIEWS = {
    "all_time": Filters(),
    "cohort": Filters(**PERIOD),
    "activity": Filters(**PERIOD, mode="activity"),
    "paid_search": Filters(**PERIOD, channels=("paid_search", "events")),
    "outbound": Filters(**PERIOD, mode="activity", directions=("outbound",)),
    "target_hot": Filters(**PERIOD, segments=("target",), temperatures=("hot", "warm")),
}

METRICS: dict[str, Callable[[Any, Filters], Any]] = {
    "summary": metrics.summary,
    "funnel": metrics.funnel,
    "campaigns": metrics.campaigns,
    "campaigns_by_channel": lambda con, f: metrics.campaigns(con, f, by="channel"),
    "campaign_comparison": metrics.campaign_comparison,
    "weekly": metrics.weekly,
    "weekly_sunday": lambda con, f: metrics.weekly(con, f, week_start="sunday"),
    "velocity": metrics.velocity,
    "cohorts": lambda con, f: metrics.cohorts(con, f, as_of=TODAY, cycle_days=30.0),
    "forecast": lambda con, f: metrics.forecast(con, f, as_of=TODAY),
    "quality_breakdowns": quality.quality_breakdowns,
    "bant_audit": quality.bant_audit,
    "bant_audit_leads": quality.bant_audit_leads,
    "journey_view": metrics.journey_view,
    "stopped_leads": lambda con, f: metrics.stopped_leads(con, f, "mql"),
    "weekly_review": lambda con, f: metrics.weekly_review(
        con, f, week=date(2026, 11, 9), as_of=TODAY, cycle_days=30.0
    ),
    "report": build_report,
}


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("name", list(METRICS))
def test_metric_is_the_same_on_clickhouse(engines: tuple[Any, Any], name: str, view: str) -> None:
    duck, ch = engines
    f = VIEWS[view]
    expected = METRICS[name](duck, f)
    got = METRICS[name](ch, f)
    same(expected, got, f"{name}/{view}")


def test_whole_database_facts_are_the_same(engines: tuple[Any, Any]) -> None:
    duck, ch = engines
    same(filter_options(duck), filter_options(ch), "options")
    same(data_span(duck), data_span(ch), "span")
    same(store.read_settings(duck), store.read_settings(ch), "settings")
    same(metrics.sales_cycle_days(duck), metrics.sales_cycle_days(ch), "sales_cycle")


def test_the_demo_data_is_not_trivial(engines: tuple[Any, Any]) -> None:
    """The comparison means something: the view has leads at every stage, spend and wins."""
    duck, _ = engines
    s = metrics.summary(duck, VIEWS["cohort"])
    assert s.counts["won"] > 10 and s.spend and s.revenue
    v = metrics.velocity(duck, VIEWS["cohort"])
    assert (v["n"] > 5).all()


def test_the_comparison_notices_a_difference() -> None:
    a = pd.DataFrame({"n": [3, 4], "rate": [0.25, 1 / 3], "spend": [10.5, None]})
    same(a, a.copy())
    for column, value in (("n", 5), ("rate", 1 / 3 + 1e-6), ("spend", 10.51)):
        b = a.copy()
        b.loc[0, column] = value
        with pytest.raises(AssertionError):
            same(a, b)
    with pytest.raises(AssertionError):
        same({"x": None}, {"x": 0})
