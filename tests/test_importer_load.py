"""Loading: statuses to stage + status, duplicates, append and update, costs, campaigns,
aggregate funnel rows, a deals file joined onto loaded leads, one transaction."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from analytics import store
from analytics.filters import Filters
from analytics.importer import Mapping, Rejected, adhoc_source, import_file, open_file, plan, stage
from analytics.importer.errors import MissingColumns
from analytics.importer.fields import default_status, parse_status_target
from analytics.metrics import summary
from tests.conftest import add_lead, build_q1
from tests.test_importer_files import sha, write


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "q1.duckdb"
    con = store.open_database(path, create=True)
    build_q1(con)
    con.execute("CHECKPOINT")
    con.close()
    return path


def rows(db: Path, sql: str) -> list[tuple]:
    with store.reading(db) as con:
        return con.execute(sql).fetchall()


# ---------------------------------------------------------------------------------------------
# Statuses


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Contact us", ("lead", None)),
        ("MQL", ("mql", None)),
        ("Call", ("mql", None)),
        ("SQL", ("sql", None)),
        ("Negotiation", ("opportunity", None)),
        ("Closed deal", ("won", "won")),
        ("Contact in the future", (None, "nurture")),
        ("Lost", (None, "lost")),
        ("Первичный контакт", ("lead", None)),
        ("Переговоры", ("opportunity", None)),
        ("Принимают решение", ("opportunity", None)),
        ("Успешно реализовано", ("won", "won")),
        ("Закрыто и не реализовано", (None, "lost")),
        ("Сделка успешна", ("won", "won")),
        ("Сделка провалена", (None, "lost")),
        ("  closed_WON ", ("won", "won")),
        ("Something else", None),
    ],
)
def test_built_in_statuses(value, expected):
    assert default_status(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mql", ("mql", None)),
        ("sql/lost", ("sql", "lost")),
        ("lost", (None, "lost")),
        ("won", ("won", "won")),
        ("/nurture", (None, "nurture")),
    ],
)
def test_status_targets(text, expected):
    assert parse_status_target(text) == expected


def test_bad_status_target_names_the_choices():
    with pytest.raises(ValueError, match="stage/status"):
        parse_status_target("maybe")


def test_status_values_become_stage_and_status_and_timestamps_push_the_stage(tmp_path):
    """Row by row, by hand:
    S1 "Переговоры", no dates -> opportunity/open
    S2 "Lost" with an SQL date -> stage sql (the date implies it), status lost
    S3 "MQL" with a won date -> won/won (a stage is never behind its timestamps)
    S4 "Custom" mapped by the user to sql/nurture -> sql/nurture
    S5 "Contact in the future" -> lead/nurture
    S6 "Closed deal" -> won/won
    """
    text = (
        "id,created,state,sql date,won date\n"
        "S1,2026-01-05,Переговоры,,\n"
        "S2,2026-01-05,Lost,2026-01-09,\n"
        "S3,2026-01-05,MQL,,2026-02-01\n"
        "S4,2026-01-05,Custom,,\n"
        "S5,2026-01-05,Contact in the future,,\n"
        "S6,2026-01-05,Closed deal,,\n"
    )
    mapping = Mapping(
        kind="leads",
        columns={
            "lead_id": "id",
            "created_at": "created",
            "stage": "state",
            "sql_at": "sql date",
            "won_at": "won date",
        },
        status_map={"Custom": "sql/nurture"},
    )
    s = stage(open_file(write(tmp_path, "s.csv", text)), mapping)
    assert s.errors() == []
    assert s.con.execute("SELECT lead_id, stage, status FROM clean ORDER BY 1").fetchall() == [
        ("S1", "opportunity", "open"),
        ("S2", "sql", "lost"),
        ("S3", "won", "won"),
        ("S4", "sql", "nurture"),
        ("S5", "lead", "nurture"),
        ("S6", "won", "won"),
    ]


def test_an_unknown_status_is_an_error_naming_the_status_map(tmp_path):
    text = "id,created,state\nU1,2026-01-05,Think about it\nU2,2026-01-05,MQL\n"
    mapping = Mapping(
        kind="leads", columns={"lead_id": "id", "created_at": "created", "stage": "state"}
    )
    s = stage(open_file(write(tmp_path, "u.csv", text)), mapping)
    assert [(e.row, e.value) for e in s.errors()] == [(2, "Think about it")]
    assert "status map" in s.errors()[0].message
    assert [(v, n, target) for v, n, target in s.status_values] == [
        ("MQL", 1, ("mql", None)),
        ("Think about it", 1, None),
    ]


def test_set_gives_every_row_one_value(tmp_path):
    """A file that lists MQLs: --set stage=mql --set channel=events."""
    text = "id,created\nM1,2026-01-05\nM2,2026-01-06\n"
    mapping = Mapping(
        kind="leads",
        columns={"lead_id": "id", "created_at": "created"},
        fixed={"stage": "mql", "channel": "events"},
    )
    s = stage(open_file(write(tmp_path, "m.csv", text)), mapping)
    assert s.con.execute(
        "SELECT lead_id, stage, status, channel FROM clean ORDER BY __row"
    ).fetchall() == [
        ("M1", "mql", "open", "events"),
        ("M2", "mql", "open", "events"),
    ]


def test_close_date_is_the_won_date_of_won_leads_and_the_lost_date_of_lost_ones(tmp_path):
    text = (
        "id,created,stage,closed\n"
        "C1,2026-01-05,Won,2026-02-01\n"
        "C2,2026-01-05,Lost,2026-02-02\n"
        "C3,2026-01-05,Engaging,\n"
    )
    mapping = Mapping(
        kind="leads",
        columns={"lead_id": "id", "created_at": "created", "stage": "stage", "closed_at": "closed"},
    )
    s = stage(open_file(write(tmp_path, "c.csv", text)), mapping)
    assert s.con.execute(
        "SELECT lead_id, stage, status, won_at, lost_at FROM clean ORDER BY __row"
    ).fetchall() == [
        ("C1", "won", "won", datetime(2026, 2, 1), None),
        ("C2", "lead", "lost", None, datetime(2026, 2, 2)),
        ("C3", "mql", "open", None, None),
    ]


# ---------------------------------------------------------------------------------------------
# Duplicates


def test_duplicates_by_id_email_and_phone_in_the_file_and_in_the_database(db, tmp_path):
    """The database has lead "mql_only" and, added here, "known" with e-mail anna@x.ru and
    phone +7 (916) 123-45-67. The file, row by row (header = row 1):
    2 N1  new                                          -> insert
    3 mql_only  same id as the database                 -> duplicate (database, id)
    4 N2  e-mail " ANNA@X.RU " = anna@x.ru              -> duplicate (database, e-mail)
    5 N3  phone 8 916 123 45 67: last 10 digits match   -> duplicate (database, phone)
    6 N1  same id as row 2                              -> duplicate (file, id)
    7 N4  e-mail b@y.ru, new                            -> insert
    8 N5  e-mail B@Y.ru = row 7's                       -> duplicate (file, e-mail)
    Append: 2 inserted, 5 duplicates skipped (3 database + 2 file)."""
    with store.writing(db) as con:
        add_lead(con, "known", "2026-01-02 10:00:00", email="anna@x.ru", phone="+7 (916) 123-45-67")
    text = (
        "id,created,email,phone\n"
        "N1,2026-03-01,,\n"
        "mql_only,2026-03-01,,\n"
        "N2,2026-03-01, ANNA@X.RU ,\n"
        "N3,2026-03-01,,8 916 123 45 67\n"
        "N1,2026-03-02,,\n"
        "N4,2026-03-01,b@y.ru,\n"
        "N5,2026-03-01,B@Y.ru,\n"
    )
    path = write(tmp_path, "d.csv", text)
    mapping = Mapping(
        kind="leads",
        columns={"lead_id": "id", "created_at": "created", "email": "email", "phone": "phone"},
    )
    s = stage(open_file(path), mapping)
    with store.reading(db) as con:
        p = plan(con, s, "append")
    assert (p.insert, p.update, p.dup_db, p.dup_file) == (2, 0, 3, 2)
    assert p.sample[["row", "match_by", "existing_lead"]].fillna("-").values.tolist() == [
        [3, "id", "mql_only"],
        [4, "email", "known"],
        [5, "phone", "known"],
        [6, "in file: id", "-"],
        [8, "in file: email", "-"],
    ]
    summary = import_file(db, path, mapping)
    assert (summary.read, summary.inserted, summary.updated) == (7, 2, 0)
    assert (summary.duplicates, summary.skipped) == (5, 5)
    assert rows(db, "SELECT count(*) FROM leads") == [(13,)]  # 10 fixture + known + N1 + N4


def test_update_changes_only_mapped_fields_and_never_moves_a_stage_back(db, tmp_path):
    """mql_only (Anna, size 50, stage mql, created 2026-01-06 09:00) gets owner Vera and an
    SQL date; its size and creation stay. won_full (stage won) is sent as "Contact us": it
    stays won. An empty owner cell does not erase the stored owner."""
    text = (
        "id,created,owner,sql date,state\n"
        "mql_only,2026-01-06,Vera,2026-01-20,MQL\n"
        "won_full,2026-02-01,,,Contact us\n"
    )
    mapping = Mapping(
        kind="leads",
        columns={
            "lead_id": "id",
            "created_at": "created",
            "owner": "owner",
            "sql_at": "sql date",
            "stage": "state",
        },
    )
    summary = import_file(db, write(tmp_path, "u.csv", text), mapping, mode="update")
    assert (summary.inserted, summary.updated, summary.duplicates) == (0, 2, 2)
    got = rows(
        db,
        "SELECT lead_id, owner, company_size, stage, status, sql_at, deal_value FROM leads "
        "WHERE lead_id IN ('mql_only', 'won_full') ORDER BY 1",
    )
    assert got == [
        ("mql_only", "Vera", 50, "sql", "open", datetime(2026, 1, 20), None),
        ("won_full", "Boris", 501, "won", "won", datetime(2026, 2, 5), Decimal("5000.00")),
    ]
    # created_at is mapped: a date without time replaces 09:00 by midnight, as the file says
    assert rows(db, "SELECT created_at FROM leads WHERE lead_id = 'mql_only'") == [
        (datetime(2026, 1, 6),)
    ]


def test_a_deals_file_adds_won_dates_and_values_to_loaded_leads(db, tmp_path):
    """CRMs export leads and deals separately. The deals file has the lead id, the won date
    and the amount, no creation date: in update mode it makes mql_only and lead_only won and
    leaves their creation dates alone; X9 is not in the database and is skipped (not
    found). Without --mode update the file is refused: it cannot create leads."""
    text = (
        "mql_id,won_date,amount\n"
        'mql_only,2026-02-10 12:00:00,"1,500"\n'
        "lead_only,2026-03-01,700\n"
        "X9,2026-03-01,100\n"
    )
    path = write(tmp_path, "deals.csv", text)
    mapping = Mapping(
        kind="leads",
        columns={"lead_id": "mql_id", "won_at": "won_date", "deal_value": "amount"},
    )
    before = sha(db)
    with pytest.raises(MissingColumns, match="update"):
        import_file(db, path, mapping)
    assert sha(db) == before
    summary = import_file(db, path, mapping, mode="update")
    assert (summary.inserted, summary.updated, summary.not_found, summary.skipped) == (0, 2, 1, 1)
    got = rows(
        db,
        "SELECT lead_id, created_at, stage, status, won_at, deal_value FROM leads "
        "WHERE lead_id IN ('mql_only', 'lead_only', 'X9') ORDER BY 1",
    )
    assert got == [
        (
            "lead_only",
            datetime(2026, 1, 5, 9),
            "won",
            "won",
            datetime(2026, 3, 1),
            Decimal("700.00"),
        ),
        (
            "mql_only",
            datetime(2026, 1, 6, 9),
            "won",
            "won",
            datetime(2026, 2, 10, 12),
            Decimal("1500.00"),
        ),
    ]
    # Q1 cohort by hand: the fixture had 2 won (won_full, won_skipped_sql); now 4
    with store.reading(db) as con:
        s = summary_of(con)
    assert s.counts["won"] == 4


def summary_of(con):
    return summary(con, Filters(date(2026, 1, 1), date(2026, 3, 31)))


def test_a_failed_load_rolls_back_everything(db, tmp_path):
    """A database written by another tool may have rules the importer does not know: here
    leads has an extra NOT NULL column. In update mode the update of mql_only runs first and
    succeeds, then the insert of T1 is refused: the update is rolled back with it."""
    with store.writing(db) as con:
        con.execute("ALTER TABLE leads ADD COLUMN crm_ref VARCHAR DEFAULT 'x'")
        con.execute("ALTER TABLE leads ALTER COLUMN crm_ref SET NOT NULL")
        con.execute("ALTER TABLE leads ALTER COLUMN crm_ref DROP DEFAULT")
    text = "id,created,owner\nmql_only,2026-01-06,Vera\nT1,2026-01-05,Vera\n"
    mapping = Mapping(
        kind="leads", columns={"lead_id": "id", "created_at": "created", "owner": "owner"}
    )
    with pytest.raises(Rejected, match="refused"):
        import_file(db, write(tmp_path, "t.csv", text), mapping, mode="update")
    assert rows(db, "SELECT owner FROM leads WHERE lead_id = 'mql_only'") == [("Anna",)]
    assert rows(db, "SELECT count(*) FROM leads WHERE lead_id = 'T1'") == [(0,)]


# ---------------------------------------------------------------------------------------------
# Campaigns, costs, aggregate funnel rows


def test_campaigns_file(db, tmp_path):
    text = (
        "Campaign ID;Название;Канал;Направление;Начало;Окончание;Бюджет\n"
        "C3;Вебинар;lead_magnet;входящий;01.03.2026;31.03.2026;50 000\n"
        "C1;Search renamed;paid_search;inbound;;;\n"
    )
    mapping = Mapping.suggested(
        "campaigns",
        ["Campaign ID", "Название", "Канал", "Направление", "Начало", "Окончание", "Бюджет"],
    )
    assert mapping.columns == {
        "campaign_id": "Campaign ID",
        "name": "Название",
        "channel": "Канал",
        "direction": "Направление",
        "start_date": "Начало",
        "end_date": "Окончание",
        "budget": "Бюджет",
    }
    summary = import_file(db, write(tmp_path, "c.csv", text), mapping, mode="update")
    assert (summary.inserted, summary.updated) == (1, 1)
    assert rows(db, "SELECT * FROM campaigns ORDER BY campaign_id") == [
        ("C1", "Search renamed", "paid_search", "inbound", None, None, Decimal("5000.00")),
        ("C2", "Expo", "events", "outbound", None, None, Decimal("2000.00")),
        (
            "C3",
            "Вебинар",
            "lead_magnet",
            "inbound",
            date(2026, 3, 1),
            date(2026, 3, 31),
            Decimal("50000.00"),
        ),
    ]


def test_costs_per_day_are_summed_per_campaign_and_day_and_unknown_campaigns_created(db, tmp_path):
    """Two rows for C1 on 2026-03-02 (two ads) add up: 10.50 + 4.50 = 15.00 spend, 100 + 50
    impressions, 3 + 2 clicks. C1 on 2026-01-10 exists (600): append skips it. Y7 is new:
    a campaign Y7 is created (name = id)."""
    text = (
        "Campaign,Day,Cost,Impressions,Clicks\n"
        "C1,2026-03-02,10.50,100,3\n"
        "C1,2026-03-02,4.50,50,2\n"
        "C1,2026-01-10,1.00,1,1\n"
        "Y7,2026-03-02,$2,000.00,1000,20\n"
    )
    mapping = Mapping(
        kind="costs",
        columns={
            "campaign_id": "Campaign",
            "day": "Day",
            "spend": "Cost",
            "impressions": "Impressions",
            "clicks": "Clicks",
        },
    )
    path = write(tmp_path, "costs.csv", text.replace("$2,000.00", '"$2,000.00"'))
    summary = import_file(db, path, mapping)
    assert (summary.read, summary.inserted, summary.skipped, summary.merged) == (4, 2, 1, 1)
    assert summary.campaigns_created == 1
    assert rows(
        db, "SELECT * FROM campaign_costs WHERE day = DATE '2026-03-02' ORDER BY campaign_id"
    ) == [
        ("C1", date(2026, 3, 2), Decimal("15.00"), 150, 5),
        ("Y7", date(2026, 3, 2), Decimal("2000.00"), 1000, 20),
    ]
    assert rows(db, "SELECT campaign_id, name FROM campaigns WHERE campaign_id = 'Y7'") == [
        ("Y7", "Y7")
    ]
    assert rows(
        db, "SELECT spend FROM campaign_costs WHERE campaign_id = 'C1' AND day = DATE '2026-01-10'"
    ) == [(Decimal("600.00"),)]


def test_costs_per_period_are_spread_over_the_days_exactly(db, tmp_path):
    """100.00 over 2026-03-01..03 (3 days): cents 10000 shared as floor(10000*k/3) steps:
    3333, 3333, 3334 -> 33.33, 33.33, 33.34; 10 clicks: 3, 3, 4. Total stays 100.00 / 10."""
    text = "campaign,from,to,spend,clicks\nC9,2026-03-01,2026-03-03,100,10\n"
    mapping = Mapping(
        kind="costs",
        columns={
            "campaign_id": "campaign",
            "day": "from",
            "date_to": "to",
            "spend": "spend",
            "clicks": "clicks",
        },
    )
    import_file(db, write(tmp_path, "p.csv", text), mapping)
    assert rows(
        db, "SELECT day, spend, clicks FROM campaign_costs WHERE campaign_id = 'C9' ORDER BY day"
    ) == [
        (date(2026, 3, 1), Decimal("33.33"), 3),
        (date(2026, 3, 2), Decimal("33.33"), 3),
        (date(2026, 3, 3), Decimal("33.34"), 4),
    ]


FUNNEL = (
    "ad,campaign,Impressions,Clicks,Spent,Total_Conversion,Approved_Conversion\n"
    "1,916,7350,1,1.43,2,1\n"
    "2,916,17861,2,1.82,2,0\n"
    "3,936,693,0,0,1,0\n"
)


def test_aggregate_funnel_rows_become_campaigns_costs_and_leads(tmp_path):
    """Per campaign, by hand: 916 = 2 ads: impressions 25 211, clicks 3, spend 3.25, leads
    2+2 = 4 of which won 1+0 = 1; 936: 693, 0, 0.00, 1 lead, 0 won. One day set for the file.
    Overview numbers of the ad-hoc view: leads 5, won 1, spend 3.25, CPL 0.65, CAC 3.25."""
    mapping = Mapping(
        kind="funnel",
        columns={
            "campaign_id": "campaign",
            "spend": "Spent",
            "impressions": "Impressions",
            "clicks": "Clicks",
        },
        fixed={"day": "2026-03-02"},
        stages={"lead": "Total_Conversion", "won": "Approved_Conversion"},
    )
    upload = open_file(write(tmp_path, "fb.csv", FUNNEL))
    assert upload.numeric_columns() == [
        "ad",
        "campaign",
        "Impressions",
        "Clicks",
        "Spent",
        "Total_Conversion",
        "Approved_Conversion",
    ]
    source = adhoc_source(stage(upload, mapping), "fb.csv")
    with source.reading() as con:
        assert con.execute(
            "SELECT campaign_id, spend, impressions, clicks FROM campaign_costs ORDER BY 1"
        ).fetchall() == [("916", Decimal("3.25"), 25211, 3), ("936", Decimal("0.00"), 693, 0)]
        s = summary(con, Filters(date(2026, 3, 1), date(2026, 3, 31)))
    assert s.counts == {"lead": 5, "mql": 1, "sql": 1, "opportunity": 1, "won": 1}
    assert s.spend == 3.25
    assert s.cost_per_lead == pytest.approx(0.65)
    assert s.cost_per_client == pytest.approx(3.25)


def test_funnel_stage_counts_must_not_grow(tmp_path):
    text = "campaign,day,leads,won\nA,2026-03-01,2,3\n"
    mapping = Mapping(
        kind="funnel",
        columns={"campaign_id": "campaign", "day": "day"},
        stages={"lead": "leads", "won": "won"},
    )
    s = stage(open_file(write(tmp_path, "g.csv", text)), mapping)
    assert [(e.row, e.column, e.value) for e in s.errors()] == [(2, "won", "3")]


def test_adhoc_source_leaves_the_database_alone(db, tmp_path):
    before = sha(db)
    text = "id,created\nZ1,2026-01-05\n"
    mapping = Mapping(kind="leads", columns={"lead_id": "id", "created_at": "created"})
    s = stage(open_file(write(tmp_path, "z.csv", text)), mapping)
    source = adhoc_source(s, "z.csv")
    with source.reading() as con:
        assert con.execute("SELECT lead_id FROM leads").fetchall() == [("Z1",)]
    assert sha(db) == before


def test_dry_run_writes_nothing_and_says_what_would_happen(db, tmp_path):
    text = "id,created\nmql_only,2026-01-05\nW1,2026-01-05\n"
    path = write(tmp_path, "w.csv", text)
    before = sha(db)
    summary = import_file(
        db,
        path,
        Mapping(kind="leads", columns={"lead_id": "id", "created_at": "created"}),
        dry_run=True,
    )
    assert (summary.status, summary.inserted, summary.duplicates, summary.skipped) == (
        "dry_run",
        1,
        1,
        1,
    )
    assert sha(db) == before


def test_generated_ids_are_stable_so_a_second_import_is_all_duplicates(db, tmp_path):
    path = write(tmp_path, "noid.csv", "created,name\n2026-01-05,A\n2026-01-06,B\n")
    mapping = Mapping(kind="leads", columns={"created_at": "created", "company": "name"})
    first = import_file(db, path, mapping)
    second = import_file(db, path, mapping)
    assert (first.inserted, second.inserted, second.duplicates) == (2, 0, 2)


def test_dates_out_of_order_are_imported_not_rejected(tmp_path):
    """PRODUCT.md: a won date before the creation date is a data error that velocity excludes
    and counts; the row is still imported."""
    text = "id,created,won\nR1,2026-03-10,2026-03-01\n"
    mapping = Mapping(
        kind="leads", columns={"lead_id": "id", "created_at": "created", "won_at": "won"}
    )
    s = stage(open_file(write(tmp_path, "r.csv", text)), mapping)
    assert s.errors() == []
    assert s.con.execute("SELECT lead_id, stage, status FROM clean").fetchall() == [
        ("R1", "won", "won")
    ]
