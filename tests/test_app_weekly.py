"""AppTest of the Weekly review: the week from the URL, numbers equal to the report and to the
metric functions for the same filters, both languages, Sunday weeks, bad links, empty results.

The demo fixture ends on APP_TODAY = Sunday 2026-11-22, so the last complete week is ISO
2026-W46 (Mon 2026-11-09 .. Sun 2026-11-15) and the week before it 2026-11-02 .. 2026-11-08.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from analytics import store
from analytics.filters import Filters
from analytics.formatting import (
    fmt_change_pct,
    fmt_change_pp,
    fmt_int,
    fmt_money,
    fmt_percent,
    fmt_signed_int,
)
from analytics.metrics import (
    biggest_move,
    channel_weeks,
    cohorts,
    forecast,
    move_sentence,
    sales_cycle_days,
    weekly,
)
from analytics.report import build_report
from tests.conftest import APP_TODAY, app_test

PAGE = "pages/weekly.py"
W46 = (date(2026, 11, 9), date(2026, 11, 15))
W45 = (date(2026, 11, 2), date(2026, 11, 8))

#: the page's tables and explanations are built only while their expander is open; the tests
#: open them all (test_collapsed_sections_are_not_built checks the closed state)
OPEN = ("t_week", "t_cohorts", "t_velocity", "x_week", "x_cohorts", "x_velocity", "x_forecast")


def page_test(**query):
    at = app_test(PAGE, **query)
    for key in OPEN:
        at.session_state[key] = True
    return at


def tiles(at) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.proto.delta) for m in at.metric}


def report_week(path, start: date, end: date, **filters) -> dict:
    """The report's weekly row for one ISO week (the CLI's own numbers)."""
    with store.reading(path) as con:
        rows = build_report(con, Filters(start, end, **filters))["weekly"]
    assert len(rows) == 1
    return rows[0]


def test_default_is_the_last_complete_week_and_equals_the_report(app_env):
    at = page_test()
    at.run()
    assert not at.exception
    assert at.title[0].value == "Weekly review"
    assert at.selectbox(key="w.wk_week.en").value == "2026-W46"
    now, before = report_week(app_env, *W46), report_week(app_env, *W45)
    assert now["week"] == "2026-W46"
    t = tiles(at)
    for label, key in [
        ("Leads", "leads"),
        ("MQL", "mql"),
        ("SQL", "sql"),
        ("Opps", "opportunity"),
        ("Clients", "won"),
    ]:
        value, delta = t[label]
        assert value == fmt_int(now[key]), label
        change = now[key] - before[key]
        if change == 0:
            assert delta == "0"
        elif before[key]:
            assert delta == f"{fmt_signed_int(change)} ({fmt_change_pct(change / before[key])})"
        else:
            assert delta == fmt_signed_int(change)
    assert t["Revenue, ₽"][0] == fmt_money(now["revenue"], "RUB", compact=True, symbol=False)
    assert t["Spend, ₽"][0] == fmt_money(now["spend"], "RUB", compact=True, symbol=False)
    assert t["CPL, ₽"][0] == fmt_money(now["cost_per_lead"], "RUB", compact=True, symbol=False)
    assert t["Spend, ₽"][1] == fmt_change_pct((now["spend"] - before["spend"]) / before["spend"])
    # CAC and MQL -> SQL of a week: spend / clients and SQL / MQL of that week's activity
    cac = now["spend"] / now["won"]
    assert t["CAC, ₽"][0] == fmt_money(cac, "RUB", compact=True, symbol=False)
    rate_now, rate_before = now["sql"] / now["mql"], before["sql"] / before["mql"]
    assert t["MQL → SQL"] == (fmt_percent(rate_now), fmt_change_pp(rate_now - rate_before))


def test_the_week_on_week_table_holds_absolute_and_relative_changes(app_env):
    at = page_test()
    at.run()
    table = at.dataframe[0].value.set_index("Metric")
    now, before = report_week(app_env, *W46), report_week(app_env, *W45)
    assert table.at["New leads", "This week"] == now["leads"]
    assert table.at["New leads", "Week before"] == before["leads"]
    assert table.at["New leads", "Change"] == now["leads"] - before["leads"]
    assert table.at["Revenue", "Change, %"] == pytest.approx(
        (now["revenue"] - before["revenue"]) / before["revenue"]
    )


def test_the_summary_sentence_follows_the_rule(app_env):
    at = page_test(channel=["paid_search", "social", "popup"])
    at.run()
    assert not at.exception
    f = Filters(channels=("paid_search", "social", "popup"))
    with store.reading(app_env) as con:
        move = biggest_move(channel_weeks(con, f, W46[0]))
    sentence = at.info[-1].value.replace("\\", "")  # the page escapes markdown
    assert sentence == move_sentence(move, "en")


def test_another_week_from_the_url_in_russian_with_filters(app_env):
    at = page_test(lang="ru", week="2026-W40", channel="paid_search")
    at.run()
    assert not at.exception
    assert at.title[0].value == "Итоги недели"
    assert at.selectbox(key="w.wk_week.ru").value == "2026-W40"
    now = report_week(app_env, date(2026, 9, 28), date(2026, 10, 4), channels=("paid_search",))
    t = tiles(at)
    assert t["Лиды"][0] == fmt_int(now["leads"], "ru")
    assert t["Клиенты"][0] == fmt_int(now["won"], "ru")
    assert t["Выручка, ₽"][0] == fmt_money(now["revenue"], "RUB", "ru", compact=True, symbol=False)
    assert "28 сент." in at.caption[0].value  # the week in words, in Russian


def test_a_day_in_the_url_opens_its_week(app_env):
    at = page_test(week="2026-10-01")  # a Thursday of ISO week 40
    at.run()
    assert at.selectbox(key="w.wk_week.en").value == "2026-W40"
    assert not at.warning


@pytest.mark.parametrize("bad", ["2027-W05", "1999-W01", "next", "2026-W60"])
def test_a_week_the_data_cannot_show_is_ignored_with_a_notice(app_env, bad):
    at = page_test(week=bad)
    at.run()
    assert not at.exception
    assert at.selectbox(key="w.wk_week.en").value == "2026-W46"
    assert "week=" in at.warning[0].value


def test_choosing_a_week_writes_it_to_the_url(app_env):
    at = page_test()
    at.run()
    at.selectbox(key="w.wk_week.en").set_value("2026-W44").run()
    assert not at.exception
    assert at.query_params["week"] == "2026-W44"
    now = report_week(app_env, date(2026, 10, 26), date(2026, 11, 1))
    assert tiles(at)["Leads"][0] == fmt_int(now["leads"])


def test_the_sidebar_has_no_period_here_and_keeps_it_for_other_pages(app_env):
    at = page_test(period="last_12_months", mode="activity")
    at.run()
    assert not at.exception
    keys = {w.key for w in at.selectbox} | {w.key for w in at.segmented_control}
    assert "w.flt_period.en" not in keys and "w.flt_mode.en" not in keys
    assert any("picks whole weeks" in c.value for c in at.sidebar.caption)
    # the period and mode stay in the link for the other pages
    assert at.query_params["period"] == "last_12_months"
    assert at.query_params["mode"] == "activity"
    at.switch_page("pages/overview.py").run()
    assert at.selectbox(key="w.flt_period.en").value == "last_12_months"


def test_lead_level_filter_hides_costs_with_reason(app_env):
    at = page_test(owner="Anna Smirnova")
    at.run()
    assert not at.exception
    t = tiles(at)
    assert t["Spend, ₽"][0] == t["CPL, ₽"][0] == t["CAC, ₽"][0] == "–"
    assert any("cannot be split by owner" in c.value for c in at.caption)


def test_cohorts_and_forecast_equal_the_metric_functions(app_env):
    at = page_test()
    at.run()
    with store.reading(app_env) as con:
        cycle = sales_cycle_days(con)
        c = cohorts(
            con,
            Filters(date(2026, 5, 18), W46[1]),  # 26 weeks: Nov 9 - 25 * 7 days = May 18
            as_of=date.fromisoformat(APP_TODAY),
            cycle_days=cycle,
        )
        fc = forecast(con, Filters(), as_of=date.fromisoformat(APP_TODAY))
    table = at.dataframe[1].value
    assert len(table) == 26
    assert table["Week"].tolist() == c["label"].tolist()[::-1]
    assert table["Leads"].tolist() == c["leads"].tolist()[::-1]
    assert table["Old enough to judge"].tolist() == c["mature"].tolist()[::-1]
    assert any(f"{fmt_int(int((~c['mature']).sum()))} of them" in x.value for x in at.caption)
    t = tiles(at)
    assert t["Open leads"][0] == fmt_int(fc.open_leads)
    assert t["Expected clients"][0] == fmt_int(fc.expected_wins)
    assert t["Expected revenue, ₽"][0] == fmt_money(
        fc.expected_revenue, "RUB", compact=True, symbol=False
    )
    forecast_table = at.dataframe[3].value
    assert forecast_table["Closed in 365 days (n)"].tolist() == fc.stages["closed"].tolist()


def test_velocity_is_the_activity_of_the_twelve_weeks(app_env):
    from analytics.metrics import velocity

    at = page_test()
    at.run()
    with store.reading(app_env) as con:
        vel = velocity(con, Filters(date(2026, 8, 24), W46[1], mode="activity"))
    table = at.dataframe[2].value
    assert table["Leads (n)"].tolist() == vel["n"].tolist()


def test_sunday_weeks_from_the_settings(tmp_path, monkeypatch):
    """week_start = sunday: APP_TODAY (Sun Nov 22) opens a new week, so the last complete one
    is Sun 2026-11-15 .. Sat 2026-11-21, labelled by its first day."""
    from analytics import demo

    path = tmp_path / "sunday.duckdb"
    demo.create_file(path, leads=600, seed=3, end=date.fromisoformat(APP_TODAY))
    with store.writing(path) as con:
        store.write_setting(con, "week_start", "sunday")
    monkeypatch.setenv("VORONKA_DB", str(path))
    monkeypatch.setenv("VORONKA_TODAY", APP_TODAY)
    at = page_test()
    at.run()
    assert not at.exception
    assert at.selectbox(key="w.wk_week.en").value == "2026-11-15"
    with store.reading(path) as con:
        w = weekly(con, Filters(date(2026, 11, 15), date(2026, 11, 21)), "sunday")
    assert w["label"].tolist() == ["2026-11-15"]
    assert tiles(at)["Leads"][0] == fmt_int(int(w["leads"].iloc[0]))
    assert tiles(at)["MQL"][0] == fmt_int(int(w["mql"].iloc[0]))


def test_filter_matching_nothing_shows_a_plain_message(app_env):
    # the expo campaign is an events campaign: no social lead and no social spend belong to it
    at = page_test(campaign="EXM", channel="social")
    at.run()
    assert not at.exception
    assert not at.metric
    assert "No leads and no spend match this view" in at.info[-1].value


def test_data_that_ended_long_ago_opens_on_its_last_complete_week(tmp_path, monkeypatch):
    """Data up to Sunday 2026-03-01 read on 2026-11-22: the last week the data covers to its
    end is ISO 2026-W09 (Feb 23 - Mar 1), not the empty week before today."""
    from analytics import demo

    path = tmp_path / "old.duckdb"
    demo.create_file(path, leads=600, seed=5, end=date(2026, 3, 1))
    monkeypatch.setenv("VORONKA_DB", str(path))
    monkeypatch.setenv("VORONKA_TODAY", APP_TODAY)
    at = page_test()
    at.run()
    assert not at.exception
    assert at.selectbox(key="w.wk_week.en").value == "2026-W09"
    now = report_week(path, date(2026, 2, 23), date(2026, 3, 1))
    assert tiles(at)["Leads"][0] == fmt_int(now["leads"])
    assert now["leads"] > 0


def test_empty_database(tmp_path, monkeypatch):
    path = tmp_path / "empty.duckdb"
    store.open_database(path, create=True).close()
    monkeypatch.setenv("VORONKA_DB", str(path))
    monkeypatch.setenv("VORONKA_TODAY", APP_TODAY)
    at = page_test()
    at.run()
    assert not at.exception
    assert not at.metric
    assert any("no leads and no costs yet" in i.value for i in at.info)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_section_explains_itself(app_env, lang):
    at = page_test(lang=lang)
    at.run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 3  # trends, cohorts, velocity
    assert sum("SELECT" in c.value for c in at.code) >= 5
    assert len(at.get("download_button")) == 8  # four tables, CSV and Excel each


def test_crm_stage_names_are_shown_as_text(tmp_path, monkeypatch):
    from analytics import demo
    from ui.components import md_escape

    path = tmp_path / "names.duckdb"
    demo.create_file(path, leads=400, seed=11, end=date.fromisoformat(APP_TODAY))
    evil = "[Call](https://evil.example) <b>x</b>"
    with store.writing(path) as con:
        store.write_setting(con, "stage_labels", {"sql": evil})
    monkeypatch.setenv("VORONKA_DB", str(path))
    monkeypatch.setenv("VORONKA_TODAY", APP_TODAY)
    at = page_test()
    at.session_state["wk_trend"] = "sql"  # the trend chart of the renamed stage
    at.run()
    assert not at.exception
    assert md_escape(evil) in [m.label for m in at.metric]
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert (
        spec["layout"]["yaxis"]["title"]["text"]
        == "[Call](https://evil.example) &lt;b&gt;x&lt;/b&gt;"
    )


def test_switching_language_keeps_the_week_and_filters(app_env):
    at = page_test(week="2026-W40", channel="social")
    at.run()
    leads = tiles(at)["Leads"][0]
    at.segmented_control(key="w.lang").set_value("ru").run()
    assert not at.exception
    assert at.selectbox(key="w.wk_week.ru").value == "2026-W40"
    assert at.multiselect(key="w.flt_channels.ru").value == ["social"]
    assert tiles(at)["Лиды"][0].replace("\xa0", ",") == leads
    assert at.query_params["week"] == "2026-W40" and at.query_params["lang"] == "ru"


def test_collapsed_sections_are_not_built(app_env):
    at = app_test(PAGE)
    at.run()
    assert not at.exception
    assert len(at.dataframe) == 1  # the forecast; the three tables wait for their expanders
    assert not at.code and len(at.get("download_button")) == 2
    at.session_state["t_cohorts"] = True
    at.run()
    assert len(at.dataframe) == 2 and len(at.get("download_button")) == 4


def test_the_trend_chart_shows_the_chosen_metric_over_twelve_weeks(app_env):
    at = page_test()
    at.run()
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    with store.reading(app_env) as con:
        trend = weekly(con, Filters(date(2026, 8, 24), W46[1]))  # 12 weeks: Nov 9 - 11 weeks
    bars = spec["data"][0]
    assert len(bars["x"]) == 12 and bars["x"][-1] == "Nov 9"
    assert bars["text"] == [fmt_int(v) for v in trend["leads"]]
    assert bars["marker"]["opacity"][-1] == 1.0 and bars["marker"]["opacity"][0] < 1.0
    at.segmented_control(key="wk_trend").set_value("cost_per_client").run()
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["data"][0]["text"][-1] == fmt_money(
        trend["cost_per_client"].iloc[-1], "RUB", compact=True, symbol=False
    )
    assert spec["layout"]["yaxis"]["title"]["text"] == "Cost per client, ₽"


def test_the_heat_map_greys_out_young_cohorts(app_env):
    """Mature cohorts are coloured on 0..1 (share of the column's best cohort), young ones on
    2..3 (grey): the rows of the heat map (newest on top) follow the maturity flag."""
    import base64

    import numpy as np

    at = page_test()
    at.run()
    heat = json.loads(at.get("plotly_chart")[1].proto.spec)["data"][0]
    assert heat["type"] == "heatmap"
    z = heat["z"]
    if isinstance(z, dict):  # Plotly writes numeric arrays as base64
        shape = tuple(int(n) for n in z["shape"].split(","))
        z = np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"]).reshape(shape)
    z = np.asarray(z, dtype=float)
    mature = at.dataframe[1].value["Old enough to judge"].tolist()  # newest first as well
    assert len(mature) == len(z) == 26
    for row, old_enough in zip(z, mature, strict=True):
        cells = row[~np.isnan(row)]
        assert (cells <= 1).all() if old_enough else (cells >= 2).all(), (row, old_enough)
    assert not mature[0] and mature[-1]  # the newest week is young, the oldest mature
