"""Nothing changes for users: `report --format json` on a fixed database gives exactly the numbers
it gave before the semantic layer (issue 13) was built.

The database is a 2 500-lead demo (seed 11, ending 2026-11-22) frozen as Parquet in
tests/fixtures/golden/, so that later changes to the demo generator do not move it. The expected
reports in tests/fixtures/golden/reports.json were written by the code before the refactor
(``python -m tests.test_golden_report --write``, run once on that code); keys may be added
later, so the comparison checks that every expected key is there with the same value.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from analytics import cli, store
from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "fixtures" / "golden"
EXPECTED = GOLDEN / "reports.json"

#: name -> the report's arguments: both modes, a period, a campaign, a channel, a direction and
#: lead-level filters (which hide costs).
CASES: dict[str, list[str]] = {
    "all_time_cohort": [],
    "all_time_activity": ["--mode", "activity"],
    "summer_cohort_campaign": ["--from", "2026-06-01", "--to", "2026-08-31", "--campaign", "WEB"],
    "summer_activity_channel": [
        "--from", "2026-06-01", "--to", "2026-08-31", "--mode", "activity",
        "--channel", "paid_search",
    ],
    "year_cohort_owner": ["--from", "2026-01-01", "--to", "2026-11-22", "--owner", "Anna Smirnova"],
    "year_activity_segment_temperature": [
        "--from", "2026-01-01", "--to", "2026-11-22", "--mode", "activity",
        "--segment", "target", "--temperature", "warm",
    ],
    "quarter_cohort_outbound": [
        "--from", "2026-07-01", "--to", "2026-09-30", "--direction", "outbound",
    ],
    "two_campaigns_source_activity": [
        "--from", "2026-03-01", "--to", "2026-10-31", "--mode", "activity",
        "--campaign", "YDB", "--campaign", "LIH", "--source", "lead_form",
    ],
}  # fmt: skip


def golden_database(path: Path) -> Path:
    con = store.open_database(path, create=True)
    try:
        for table in ("campaigns", "campaign_costs", "leads"):
            con.execute(
                f"INSERT INTO {table} SELECT * FROM read_parquet(?)",  # table: a constant
                [str(GOLDEN / f"{table}.parquet")],
            )
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path


def run_report(db: Path, args: list[str], capsys: Any) -> dict[str, Any]:
    code = cli.main(["report", "--db", str(db), "--format", "json", *args])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def contains(actual: Any, expected: Any, where: str = "") -> list[str]:
    """Differences where ``expected`` is not found in ``actual`` (added keys are allowed)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        problems = []
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{where}.{key}: missing")
            else:
                problems += contains(actual[key], value, f"{where}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: expected {len(expected)} items, got {actual!r:.200}"]
        return [
            p
            for i, (a, e) in enumerate(zip(actual, expected, strict=True))
            for p in contains(a, e, f"{where}[{i}]")
        ]
    return (
        []
        if actual == expected and type(actual) is type(expected)
        else [f"{where}: expected {expected!r}, got {actual!r}"]
    )


@pytest.fixture(scope="module")
def golden_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return golden_database(tmp_path_factory.mktemp("golden") / "golden.duckdb")


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_report_is_exactly_as_before(name: str, golden_db: Path, capsys: Any) -> None:
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))[name]
    problems = contains(run_report(golden_db, CASES[name], capsys), expected, name)
    assert not problems, "\n".join(problems[:20])


def test_the_fixture_covers_what_the_issue_asks() -> None:
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    assert set(expected) == set(CASES)
    modes = {r["mode"] for r in expected.values()}
    assert modes == {"cohort", "activity"}
    # a lead-level filter hides costs, a campaign-level one keeps them
    assert expected["year_cohort_owner"]["costs"]["spend"] is None
    assert expected["summer_cohort_campaign"]["costs"]["spend"] > 0
    assert all(r["funnel"][0]["count"] > 0 for r in expected.values())


if __name__ == "__main__" and "--write" in sys.argv:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        db = golden_database(Path(tmp) / "golden.duckdb")
        import contextlib
        import io

        reports = {}
        for case, arguments in CASES.items():
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer):
                assert cli.main(["report", "--db", str(db), "--format", "json", *arguments]) == 0
            reports[case] = json.loads(buffer.getvalue())
    EXPECTED.write_text(json.dumps(reports, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {EXPECTED}")
