"""``python -m analytics import``: arguments, JSON summary, exit codes, nothing written on
rejection."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from analytics import store
from analytics.cli import main
from analytics.importer import Mapping
from tests.test_importer_files import sha, write

RU = (
    "ID;Дата создания;Этап сделки;Бюджет;Ответственный;Телефон\n"
    "101;05.03.2026 10:00;Успешно реализовано;1 234,50;Анна;8 916 123-45-67\n"
    "102;06.03.2026;Переговоры;;Борис;+7 (916) 765 43 21\n"
    "103;13.03.2026;Закрыто и не реализовано;0;Анна;+7 916 123 45 67\n"
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "empty.duckdb"
    assert main(["init", "--db", str(path)]) == 0
    return path


def run(capsys, *argv: str) -> tuple[int, dict | str, str]:
    code = main(["import", *argv])
    out, err = capsys.readouterr()
    try:
        return code, json.loads(out), err
    except json.JSONDecodeError:
        return code, out, err


def test_russian_crm_export_in_cp1251(db, tmp_path, capsys):
    """Three deals; 103's phone has the same last 10 digits as 101's (9161234567): a
    duplicate inside the file, skipped. 101 is won (1234.50), 102 an opportunity."""
    path = write(tmp_path, "amo.csv", RU, "cp1251")
    code, out, _ = run(
        capsys,
        "--db",
        str(db),
        "--kind",
        "leads",
        str(path),
        "--map",
        "ID=lead_id",
        "--map",
        "Дата создания=created_at",
        "--map",
        "Этап сделки=stage",
        "--map",
        "Бюджет=deal_value",
        "--map",
        "Ответственный=owner",
        "--map",
        "Телефон=phone",
        "--format",
        "json",
    )
    assert code == 0
    assert {k: out[k] for k in ("read", "inserted", "updated", "skipped", "duplicates")} == {
        "read": 3,
        "inserted": 2,
        "updated": 0,
        "skipped": 1,
        "duplicates": 1,
    }
    assert (out["rejected"], out["errors"], out["status"]) == (0, [], "imported")
    with store.reading(db) as con:
        got = con.execute(
            "SELECT lead_id, created_at, stage, status, deal_value FROM leads ORDER BY 1"
        ).fetchall()
    assert got == [
        ("101", datetime(2026, 3, 5, 10), "won", "won", Decimal("1234.50")),
        ("102", datetime(2026, 3, 6), "opportunity", "open", None),
    ]


def test_rejected_file_exits_1_with_errors_and_writes_nothing(db, tmp_path, capsys):
    path = write(tmp_path, "bad.csv", "id,created\nA,2026-01-05\nB,someday\n")
    before = sha(db)
    code, out, err = run(
        capsys,
        "--db",
        str(db),
        str(path),
        "--map",
        "id=lead_id",
        "--map",
        "created=created_at",
        "--format",
        "json",
    )
    assert code == 1
    assert (out["status"], out["read"], out["inserted"], out["rejected"]) == ("rejected", 2, 0, 1)
    assert out["errors"] == [
        {
            "row": 3,
            "column": "created",
            "value": "someday",
            "message": out["errors"][0]["message"],
        }
    ]
    assert "YYYY-MM-DD" in out["errors"][0]["message"]
    assert "nothing was written" in err
    assert sha(db) == before


def test_skip_invalid(db, tmp_path, capsys):
    path = write(tmp_path, "bad.csv", "id,created\nA,2026-01-05\nB,someday\n")
    code, out, _ = run(
        capsys,
        "--db",
        str(db),
        str(path),
        "--map",
        "id=lead_id",
        "--map",
        "created=created_at",
        "--skip-invalid",
        "--format",
        "json",
    )
    assert code == 0
    assert (out["inserted"], out["skipped"], out["rejected"]) == (1, 1, 1)


def test_ambiguous_dates_need_date_format(db, tmp_path, capsys):
    path = write(tmp_path, "us.csv", "id,created\nA,03/04/2026\n")
    args = ["--db", str(db), str(path), "--map", "id=lead_id", "--map", "created=created_at"]
    code, _, err = run(capsys, *args)
    assert code == 1 and "--date-format" in err
    code, out, _ = run(capsys, *args, "--date-format", "MM/DD/YYYY", "--format", "json")
    assert code == 0 and out["inserted"] == 1
    with store.reading(db) as con:
        assert con.execute("SELECT created_at FROM leads").fetchall() == [(datetime(2026, 3, 4),)]


def test_set_and_status_map_and_update(db, tmp_path, capsys):
    path = write(tmp_path, "mql.csv", "id,created,crm\nA,2026-01-05,Hot\nB,2026-01-06,\n")
    base = ["--db", str(db), str(path), "--map", "id=lead_id", "--map", "created=created_at"]
    assert run(capsys, *base, "--set", "stage=mql", "--set", "channel=events")[0] == 0
    with store.reading(db) as con:
        assert con.execute("SELECT lead_id, stage, channel FROM leads ORDER BY 1").fetchall() == [
            ("A", "mql", "events"),
            ("B", "mql", "events"),
        ]
    code, out, _ = run(
        capsys,
        *base,
        "--map",
        "crm=stage",
        "--status-map",
        "Hot=sql",
        "--mode",
        "update",
        "--format",
        "json",
    )
    assert code == 0 and (out["inserted"], out["updated"]) == (0, 2)
    with store.reading(db) as con:
        assert con.execute("SELECT lead_id, stage, channel FROM leads ORDER BY 1").fetchall() == [
            ("A", "sql", "events"),  # Hot -> sql; channel not mapped: kept
            ("B", "mql", "events"),  # empty status: stage kept
        ]


def test_mapping_file_is_the_pages_format(db, tmp_path, capsys):
    mapping = Mapping(
        kind="leads",
        columns={"lead_id": "ID", "created_at": "Дата создания", "stage": "Этап сделки"},
        status_map={"Переговоры": "sql"},
    )
    mfile = tmp_path / "amo.json"
    mfile.write_text(mapping.to_json(), encoding="utf-8")
    path = write(tmp_path, "amo.csv", RU, "cp1251")
    code, out, _ = run(
        capsys, "--db", str(db), str(path), "--mapping", str(mfile), "--format", "json"
    )
    assert code == 0 and out["inserted"] == 3  # no phone mapped: no duplicate
    assert out["mapping"]["status_map"] == {"Переговоры": "sql"}
    with store.reading(db) as con:
        assert con.execute("SELECT stage FROM leads WHERE lead_id = '102'").fetchone() == ("sql",)


def test_dry_run_counts_and_writes_nothing(db, tmp_path, capsys):
    path = write(tmp_path, "amo.csv", RU, "cp1251")
    before = sha(db)
    code, out, _ = run(capsys, "--db", str(db), str(path), "--dry-run", "--format", "json")
    assert code == 0
    assert (out["status"], out["inserted"], out["duplicates"]) == ("dry_run", 2, 1)
    assert sha(db) == before


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--map", "no equals sign"], "--map"),
        (["--map", "ID=nonsense"], "not a field"),
        (["--status-map", "Hot=boiling"], "not a stage or status"),
        (["--date-format", "YY/DD"], "date format"),
        (["--kind", "people"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(db, tmp_path, capsys, args, words):
    path = write(tmp_path, "a.csv", "ID,created\nA,2026-01-05\n")
    code, _, err = run(capsys, "--db", str(db), str(path), *args)
    assert code == 2
    assert words in err and len(err.strip().splitlines()) == 1


def test_missing_file_and_missing_database(tmp_path, capsys):
    code, _, err = run(capsys, "--db", str(tmp_path / "no.duckdb"), str(tmp_path / "x.csv"))
    assert code == 2 and "does not exist" in err
    path = write(tmp_path, "a.csv", "id,created\nA,2026-01-05\n")
    code, _, err = run(capsys, "--db", str(tmp_path / "no.duckdb"), str(path))
    assert code == 2 and "init" in err


def test_empty_file_json_names_the_reason(db, tmp_path, capsys):
    path = write(tmp_path, "e.csv", "")
    code, out, _ = run(capsys, "--db", str(db), str(path), "--format", "json")
    assert code == 1
    assert (out["status"], out["reason"]) == ("rejected", "empty_file")


def test_table_output(db, tmp_path, capsys):
    path = write(tmp_path, "bad.csv", "id,created\nA,2026-01-05\nB,someday\n")
    code, out, _ = run(
        capsys, "--db", str(db), str(path), "--map", "id=lead_id", "--map", "created=created_at"
    )
    assert code == 1
    assert out.splitlines()[0].startswith("rejected: read 2, inserted 0")
    assert "row 3, created: 'someday'" in out


def test_saved_mappings_round_trip_and_the_v2_fixture_has_one(tmp_path):
    import shutil

    from analytics.importer.saved import delete_saved, load_saved, save_mapping, saved_names
    from tests.conftest import ROOT

    path = tmp_path / "v2.duckdb"
    shutil.copy(ROOT / "tests" / "fixtures" / "voronka-v2.duckdb", path)
    with store.reading(path) as con:
        assert saved_names(con) == [("amoCRM deals", "leads")]
        saved = load_saved(con, "amoCRM deals")
    assert saved is not None and saved.status_map == {"Переговоры": "sql"}
    assert saved.date_format == "DD.MM.YYYY"
    costs = Mapping(kind="costs", columns={"campaign_id": "Campaign", "day": "Day"})
    with store.writing(path) as con:
        assert save_mapping(con, "  Facebook   costs ", costs) == "Facebook costs"
        save_mapping(con, "amoCRM deals", costs)  # replaces
        assert saved_names(con) == [("amoCRM deals", "costs"), ("Facebook costs", "costs")]
        delete_saved(con, "Facebook costs")
        assert load_saved(con, "amoCRM deals").to_dict() == costs.to_dict()
        assert load_saved(con, "Facebook costs") is None


def test_a_v1_database_gets_the_mappings_table_when_written(tmp_path):
    import shutil

    from analytics.importer.saved import saved_names
    from tests.conftest import ROOT

    path = tmp_path / "v1.duckdb"
    shutil.copy(ROOT / "tests" / "fixtures" / "voronka-v1.duckdb", path)
    with store.reading(path) as con:
        assert saved_names(con) == []  # no table yet: reading does not migrate
    with store.writing(path) as con:
        assert store.schema_version(con) == 2 and saved_names(con) == []


def test_funnel_rows_from_the_cli(db, tmp_path, capsys):
    """Three ads of two campaigns, one day for the whole file. By hand: 916 spent
    1.43 + 1.82 = 3.25 and brought 2 + 2 = 4 people, 1 of them bought; 936 spent 0 and
    brought 1. Leads written: 5; campaigns created: 2; ad rows added together: 1."""
    data = (
        "ad,campaign,Impressions,Clicks,Spent,Total_Conversion,Approved_Conversion\n"
        "1,916,7350,1,1.43,2,1\n2,916,17861,2,1.82,2,0\n3,936,693,0,0,1,0\n"
    )
    path = write(tmp_path, "fb.csv", data)
    code, out, _ = run(
        capsys,
        "--db",
        str(db),
        "--kind",
        "funnel",
        str(path),
        "--map",
        "campaign=campaign_id",
        "--map",
        "Spent=spend",
        "--map",
        "Impressions=impressions",
        "--map",
        "Clicks=clicks",
        "--stage",
        "lead=Total_Conversion",
        "--stage",
        "won=Approved_Conversion",
        "--set",
        "day=2026-03-02",
        "--format",
        "json",
    )
    assert code == 0
    assert (out["read"], out["inserted"], out["campaigns_created"], out["merged"]) == (3, 5, 2, 1)
    with store.reading(db) as con:
        assert con.execute(
            "SELECT campaign_id, spend FROM campaign_costs ORDER BY 1"
        ).fetchall() == [("916", Decimal("3.25")), ("936", Decimal("0.00"))]
        assert con.execute(
            "SELECT stage, count(*) FROM leads GROUP BY 1 ORDER BY 1"
        ).fetchall() == [
            ("lead", 4),
            ("won", 1),
        ]


def test_without_a_mapping_the_header_suggests_the_columns(db, tmp_path, capsys):
    """No --map and no --mapping: the columns are suggested from the header (ID -> lead_id,
    Дата создания -> created_at, Этап сделки -> stage, ...), the user is told which on stderr,
    and the same three deals as above are imported (103 a duplicate of 101 by phone)."""
    path = write(tmp_path, "amo.csv", RU, "cp1251")
    code, out, err = run(capsys, "--db", str(db), "--kind", "leads", str(path), "--format", "json")
    assert code == 0, err
    assert "using columns suggested from the header" in err
    assert "ID=lead_id" in err and "Дата создания=created_at" in err
    assert out["mapping"]["columns"]["stage"] == "Этап сделки"
    assert (out["read"], out["inserted"], out["duplicates"]) == (3, 2, 1)
    with store.reading(db) as con:
        assert con.execute("SELECT lead_id FROM leads ORDER BY 1").fetchall() == [
            ("101",),
            ("102",),
        ]
