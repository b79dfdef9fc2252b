"""The seam (analytics.engine.dialect): DuckDB SQL carried over to ClickHouse with the same
meaning, values bound as server-side parameters. Expected numbers are worked out by hand and
checked on both engines (ClickHouse in-process through chdb)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from analytics.engine.dialect import TranslationError, to_clickhouse, to_clickhouse_statements
from tests.conftest import add_lead, clickhouse_con


@pytest.fixture(params=["duckdb", "clickhouse"])
def con(request: pytest.FixtureRequest):
    if request.param == "duckdb":
        from analytics import store

        c = store.open_memory()
        yield c
        c.close()
    else:
        yield clickhouse_con()


def rows(con, sql, params=()):
    return [tuple(r) for r in con.execute(sql, list(params)).fetchall()]


def test_values_become_typed_parameters_never_sql_text():
    hostile = "x'); DROP TABLE leads; --{p0:String}"
    sql, bound = to_clickhouse(
        "SELECT count(*) FROM leads WHERE owner = ? AND created_at >= ? AND score > ?",
        [hostile, date(2026, 1, 1), 0.5],
    )
    assert "DROP" not in sql and "x'" not in sql
    assert "{p0: String}" in sql and "{p1: DATE}" in sql and "{p2: Float64}" in sql
    assert bound == {"p0": hostile, "p1": date(2026, 1, 1), "p2": 0.5}


def test_a_question_mark_inside_a_string_is_not_a_placeholder():
    sql, bound = to_clickhouse("SELECT 'why?' AS q, ? AS v", [1])
    assert "'why?'" in sql and bound == {"p0": 1}


def test_hostile_text_is_stored_and_matched_as_text(con):
    hostile = "x'); DROP TABLE leads; --{p0:String}"
    add_lead(con, "a", "2026-01-05 10:00:00", owner=hostile)
    assert rows(con, "SELECT lead_id FROM leads WHERE owner = ?", [hostile]) == [("a",)]
    assert rows(con, "SELECT count(*) FROM leads") == [(1,)]


def test_none_is_null(con):
    assert rows(con, "SELECT ? IS NULL AS n", [None]) == [(True,)]


def test_exact_quantiles_with_linear_interpolation(con):
    # days 1, 2, 3, 4, 10: median 3; p75 at position 3 -> 4; p90 at position 3.6 -> 4 + 0.6*6
    for i, days in enumerate((1, 2, 3, 4, 10)):
        add_lead(
            con, f"l{i}", "2026-01-01 00:00:00", "mql", mql_at=f"2026-01-{1 + days:02d} 00:00:00"
        )
    (row,) = rows(
        con,
        "SELECT quantile_cont(d, 0.5), quantile_cont(d, 0.75), "
        "quantile_cont(d, 0.9) FILTER (WHERE d >= 0), avg(d) FROM ("
        "SELECT (epoch_us(mql_at) - epoch_us(created_at)) / 86400000000.0 AS d FROM leads)",
    )
    assert row[0] == 3.0 and row[1] == 4.0
    assert row[2] == pytest.approx(7.6, abs=1e-12)
    assert row[3] == pytest.approx(4.0, abs=1e-12)


def test_several_quantiles_in_one_aggregate(con):
    """quantile_cont(d, [list]): days 1, 2, 3, 4, 10 and one reversed (-2) left out by the
    filter: median 3, p75 4, p90 7.6 as above; a group whose only value is filtered out (and
    a whole query over no rows) reads NULL at every index."""
    for i, days in enumerate((1, 2, 3, 4, 10)):
        add_lead(
            con, f"l{i}", "2026-01-01 00:00:00", "mql", mql_at=f"2026-01-{1 + days:02d} 00:00:00"
        )
    add_lead(con, "rev", "2026-01-05 00:00:00", "mql", "nurture", mql_at="2026-01-03 00:00:00")
    got = rows(
        con,
        "SELECT status, q[1], q[2], q[3] FROM ("
        "SELECT status, quantile_cont(d, [0.5, 0.75, 0.9]) FILTER (WHERE d >= 0) AS q FROM ("
        "SELECT status, (epoch_us(mql_at) - epoch_us(created_at)) / 86400000000.0 AS d "
        "FROM leads) GROUP BY status) ORDER BY status",
    )
    assert got[0] == ("nurture", None, None, None)
    assert got[1][:3] == ("open", 3.0, 4.0)
    assert got[1][3] == pytest.approx(7.6, abs=1e-12)
    (empty,) = rows(
        con, "SELECT q[1], q[2] FROM (SELECT quantile_cont(score, [0.5, 0.9]) AS q FROM leads)"
    )
    assert empty == (None, None)


def test_aggregates_of_no_rows_are_null_but_counts_are_zero(con):
    (row,) = rows(
        con,
        "SELECT count(*), count(*) FILTER (WHERE stage = 'won'), sum(deal_value), "
        "sum(deal_value) FILTER (WHERE stage = 'won'), avg(score), quantile_cont(score, 0.5) "
        "FROM leads",
    )
    assert row == (0, 0, None, None, None, None)


def test_week_series_and_iso_weeks(con):
    sql = (
        "WITH b AS (SELECT date_trunc('week', ?::DATE)::DATE AS lo, "
        "date_trunc('week', ?::DATE)::DATE AS hi), "
        "w AS (SELECT unnest(generate_series(lo::TIMESTAMP, hi::TIMESTAMP, INTERVAL 7 DAY))::DATE "
        "AS week FROM b WHERE lo IS NOT NULL) "
        "SELECT week, strftime(week, '%G-W%V') FROM w ORDER BY week"
    )
    # 2026-01-01 is a Thursday of ISO week 2026-W01, which starts on Monday 2025-12-29
    got = rows(con, sql, [date(2026, 1, 1), date(2026, 1, 14)])
    assert got == [
        (date(2025, 12, 29), "2026-W01"),
        (date(2026, 1, 5), "2026-W02"),
        (date(2026, 1, 12), "2026-W03"),
    ]
    assert rows(con, sql, [date(2026, 1, 14), date(2026, 1, 1)]) == []


def test_inequality_join_keeps_unmatched_rows(con):
    sql = (
        "WITH st(ord, stage) AS (VALUES (0, 'lead'), (1, 'mql'), (4, 'won')), "
        "b AS (SELECT 1 AS ord UNION ALL SELECT 2) "
        "SELECT st.stage, count(b.ord) FROM st LEFT JOIN b ON b.ord >= st.ord "
        "GROUP BY st.ord, st.stage ORDER BY st.ord"
    )
    assert rows(con, sql) == [("lead", 2), ("mql", 2), ("won", 0)]


def test_timestamps_keep_microseconds(con):
    add_lead(con, "a", "2026-01-05 10:00:00.123456")
    assert rows(con, "SELECT created_at FROM leads") == [(datetime(2026, 1, 5, 10, 0, 0, 123456),)]
    assert rows(
        con,
        "SELECT count(*) FROM leads WHERE created_at < ?",
        [datetime(2026, 1, 5, 10, 0, 0, 123457)],
    ) == [(1,)]


def test_upsert_is_delete_then_insert():
    statements, bound = to_clickhouse_statements(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        ["currency", '"EUR"'],
    )
    assert len(statements) == 2
    assert statements[0].startswith("DELETE FROM settings WHERE key = {p0: String}")
    assert statements[1].startswith("INSERT INTO settings") and "CONFLICT" not in statements[1]
    assert bound == {"p0": "currency", "p1": '"EUR"'}


def test_what_the_seam_cannot_carry_is_an_error_not_a_guess():
    with pytest.raises(TranslationError, match="generate_series"):
        to_clickhouse(
            "SELECT unnest(generate_series(?::TIMESTAMP, ?::TIMESTAMP, INTERVAL 1 MONTH))",
            [date(2026, 1, 1), date(2026, 3, 1)],
        )
    with pytest.raises(TranslationError, match="cannot bind"):
        to_clickhouse("SELECT ?", [object()])
    with pytest.raises(TranslationError):
        to_clickhouse("SELECT ? + ?", [1])


def _with_junk_under_null(kind, values: list[int], junk_at: int, width: int):
    """An Arrow array whose NULL at ``junk_at`` hides ``values[junk_at]`` (as DuckDB's may)."""
    import numpy as np
    import pyarrow as pa

    data = np.array(values, dtype=f"int{width}")
    validity = pa.array([i != junk_at for i in range(len(values))]).buffers()[1]
    return pa.Array.from_buffers(kind, len(values), [validity, pa.py_buffer(data.tobytes())], 1)


def test_null_slots_are_zeroed_and_stay_null():
    import pyarrow as pa

    from analytics.engine.clickhouse import zero_null_slots

    days = _with_junk_under_null(pa.date32(), [19000, -842994032, 19001], 1, 32)
    stamps = _with_junk_under_null(pa.timestamp("us"), [5, 7_000_000_000_000_000_000, 6], 1, 64)
    names = pa.array(["a", None, "c"])
    clean = zero_null_slots(pa.table({"d": days, "t": stamps, "n": names}).slice(0, 3))
    assert clean.column("d").to_pylist() == [date(2022, 1, 8), None, date(2022, 1, 9)]
    assert clean.column("t").to_pylist()[1] is None
    underneath = memoryview(clean.column("d").combine_chunks().buffers()[1]).cast("i")
    assert list(underneath[:3]) == [19000, 0, 19001]
    assert clean.column("n").to_pylist() == ["a", None, "c"]


def test_a_null_date_with_junk_underneath_copies_into_clickhouse():
    # The CI failure of stop 9: a NULL campaigns.end_date whose Arrow slot held -842994032 made
    # chdb refuse the whole copy ("out of allowed Date32 range").
    import pyarrow as pa

    con = clickhouse_con()
    ids = pa.array(["c1", "c2"])
    ends = _with_junk_under_null(pa.date32(), [-842994032, 20000], 0, 32)
    con.backend.insert_arrow(
        "campaigns",
        pa.table({"campaign_id": ids, "name": ids, "channel": ["other"] * 2, "end_date": ends}),
    )
    got = rows(con, "SELECT campaign_id, end_date FROM campaigns ORDER BY campaign_id")
    assert got == [("c1", None), ("c2", date(2024, 10, 4))]
