"""AppTest of the Overview page: filters from the URL, numbers equal to the report, languages,
bad links, empty results."""

from __future__ import annotations

from datetime import date

import pytest

from analytics import store
from analytics.filters import Filters
from analytics.formatting import fmt_int, fmt_money, fmt_percent
from analytics.report import build_report
from tests.conftest import app_test


def tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def report_for(path, f: Filters) -> dict:
    with store.reading(path) as con:
        return build_report(con, f)


def test_default_view_renders_tiles_and_funnel(app_env):
    at = app_test()
    at.run()
    assert not at.exception
    assert len(at.metric) == 10
    assert at.get("plotly_chart"), "the funnel chart is drawn"
    # last 4 weeks before the week of 2026-11-22 = 2026-10-19..2026-11-15
    assert "Oct 19, 2026 – Nov 15, 2026" in at.caption[0].value


def test_numbers_equal_the_report_for_the_same_filters(app_env):
    at = app_test(
        period="custom",
        **{"from": "2026-06-01", "to": "2026-08-31"},
        mode="activity",
        channel=["paid_search", "social"],
    )
    at.run()
    assert not at.exception
    r = report_for(
        app_env,
        Filters(
            date(2026, 6, 1), date(2026, 8, 31), mode="activity", channels=("paid_search", "social")
        ),
    )
    t = tiles(at)
    funnel = {row["stage"]: row["count"] for row in r["funnel"]}
    assert t["Leads"] == fmt_int(funnel["lead"])
    assert t["MQL"] == fmt_int(funnel["mql"])
    assert t["SQL"] == fmt_int(funnel["sql"])
    assert t["Clients"] == fmt_int(funnel["won"])
    assert t["MQL → SQL"] == fmt_percent(r["mql_to_sql"])
    assert t["Spend, ₽"] == fmt_money(r["costs"]["spend"], "RUB", compact=True, symbol=False)
    assert t["CPL, ₽"] == fmt_money(r["costs"]["cost_per_lead"], "RUB", compact=True, symbol=False)
    assert t["CAC, ₽"] == fmt_money(
        r["costs"]["cost_per_client"], "RUB", compact=True, symbol=False
    )
    assert t["Revenue, ₽"] == fmt_money(r["costs"]["revenue"], "RUB", compact=True, symbol=False)
    # the funnel table holds the exact counts
    table = at.dataframe[0].value
    assert table["Count"].tolist() == [
        funnel[s] for s in ("lead", "mql", "sql", "opportunity", "won")
    ]


def test_russian_interface_and_number_format(app_env):
    at = app_test(lang="ru", period="all_time")
    at.run()
    assert not at.exception
    assert at.title[0].value == "Обзор"
    assert "Лиды" in tiles(at)
    assert tiles(at)["Лиды"] == fmt_int(3000, "ru") == "3\xa0000"


def test_lead_level_filter_hides_costs_with_reason(app_env):
    at = app_test(owner="Anna Smirnova")
    at.run()
    assert not at.exception
    t = tiles(at)
    assert t["Spend, ₽"] == "–" and t["CPL, ₽"] == "–" and t["CAC, ₽"] == "–"
    assert any("cannot be split by owner" in c.value for c in at.caption)


def test_invalid_link_values_are_ignored_with_a_notice(app_env):
    at = app_test(
        campaign=["NOPE", "YDB"], mode="sideways", period="next_decade", **{"from": "2026-02-30"}
    )
    at.run()
    assert not at.exception
    warning = at.warning[0].value
    for bad in ("campaign=NOPE", "mode=sideways", "period=next\\_decade", "from=2026\\-02\\-30"):
        assert bad in warning
    assert at.multiselect(key="w.flt_campaigns.en").value == ["YDB"]
    assert at.segmented_control(key="w.flt_mode.en").value == "cohort"


def test_filter_matching_nothing_shows_a_plain_message(app_env):
    at = app_test(period="custom", **{"from": "2030-01-01", "to": "2030-01-31"})
    at.run()
    assert not at.exception
    assert not at.metric
    assert "No leads and no spend match this view" in at.info[-1].value


def test_widget_changes_are_written_to_the_url(app_env):
    at = app_test()
    at.run()
    at.multiselect(key="w.flt_channels.en").set_value(["events"]).run()
    at.segmented_control(key="w.flt_mode.en").set_value("activity").run()
    assert at.query_params["channel"] == "events"
    assert at.query_params["mode"] == "activity"
    assert "period" not in at.query_params  # the default preset is left out


def test_empty_database(tmp_path, monkeypatch):
    path = tmp_path / "empty.duckdb"
    store.open_database(path, create=True).close()
    monkeypatch.setenv("VORONKA_DB", str(path))
    at = app_test()
    at.run()
    assert not at.exception
    assert any("no leads and no costs yet" in i.value for i in at.info)


def test_missing_database_file_is_explained(tmp_path, monkeypatch):
    monkeypatch.setenv("VORONKA_DB", str(tmp_path / "nowhere.duckdb"))
    at = app_test()
    at.run()
    assert not at.exception
    assert "does not exist" in at.error[0].value
    assert not (tmp_path / "nowhere.duckdb").exists()


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_how_is_this_computed_shows_definitions_and_sql(app_env, lang):
    at = app_test(lang=lang)
    at.run()
    assert any("SELECT" in c.value for c in at.code)


def test_switching_language_keeps_every_filter(app_env):
    at = app_test(period="last_12_months", channel=["social"], mode="activity")
    at.run()
    before = tiles(at)["Leads"]
    at.segmented_control(key="w.lang").set_value("ru").run()
    assert not at.exception
    assert at.selectbox(key="w.flt_period.ru").value == "last_12_months"
    assert at.selectbox(key="w.flt_period.ru").index == 3  # shown as "Последние 12 месяцев"
    assert at.multiselect(key="w.flt_channels.ru").value == ["social"]
    assert at.segmented_control(key="w.flt_mode.ru").value == "activity"
    assert tiles(at)["Лиды"].replace("\xa0", ",") == before
    assert at.query_params["lang"] == "ru"


def test_young_cohort_greys_out_maturing_deltas(app_env):
    # last 4 weeks ends 7 days before APP_TODAY: far younger than the demo's sales cycle
    at = app_test()
    at.run()
    assert any("Still maturing" in c.value for c in at.caption)
    colors = {m.label: m.proto.color for m in at.metric}
    leads_color, clients_color = colors["Leads"], colors["Clients"]
    assert clients_color != leads_color  # "off" (grey) against "normal"


def test_mature_cohort_has_no_maturing_note(app_env):
    at = app_test(period="custom", **{"from": "2026-01-01", "to": "2026-03-31"})
    at.run()
    assert not any("Still maturing" in c.value for c in at.caption)


def test_crm_stage_names_from_settings(tmp_path, monkeypatch):
    from analytics import demo

    path = tmp_path / "labels.duckdb"
    demo.create_file(path, leads=300, seed=2, end=date(2026, 11, 22))
    with store.writing(path) as con:
        store.write_setting(con, "stage_labels", {"sql": "Звонок", "won": "Закрытая сделка"})
    monkeypatch.setenv("VORONKA_DB", str(path))
    at = app_test(period="all_time")
    at.run()
    assert not at.exception
    stages = at.dataframe[0].value["Stage"].tolist()
    assert stages == ["Leads", "MQL", "Звонок", "Opportunities", "Закрытая сделка"]


def test_stage_names_from_settings_are_inert_in_the_chart(tmp_path, monkeypatch):
    """Plotly renders <b>, <a href> in labels: names from settings must reach it escaped."""
    import json

    from analytics import demo

    path = tmp_path / "hostile.duckdb"
    demo.create_file(path, leads=200, seed=4, end=date(2026, 11, 22))
    hostile = '<a href="http://evil.example">Call</a><img src=x onerror=alert(1)>'
    with store.writing(path) as con:
        store.write_setting(con, "stage_labels", {"sql": hostile})
    monkeypatch.setenv("VORONKA_DB", str(path))
    at = app_test(period="all_time")
    at.run()
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    labels = spec["data"][0]["y"]
    assert labels[2] == (
        '&lt;a href="http://evil.example"&gt;Call&lt;/a&gt;&lt;img src=x onerror=alert(1)&gt;'
    )
    assert "<a" not in json.dumps(labels)
