"""AppTest of the Customer journey: filters and page state from the URL, numbers equal to the
report and to the metric functions for the same filters, both languages, paging, masking."""

from __future__ import annotations

import json
from datetime import date

import pytest

from analytics import store
from analytics.filters import Filters
from analytics.metrics import journey_flows, journey_funnel, stopped_leads, time_to_convert
from analytics.report import build_report
from tests.conftest import APP_TODAY, app_test

PAGE = "pages/journey.py"
Q = {"period": "custom", "from": "2026-03-01", "to": "2026-06-30"}
F = Filters(date(2026, 3, 1), date(2026, 6, 30))

#: the page's tables and explanations are built only while their expander is open; the tests
#: open them all (test_collapsed_sections_are_not_built checks the closed state)
OPEN = ("t_funnel", "t_drop", "t_ttc", "x_funnel", "x_flows", "x_ttc", "x_stopped")


def page_test(**query):
    at = app_test(PAGE, **query)
    for key in OPEN:
        at.session_state[key] = True
    return at


def funnel_spec(at) -> dict:
    """The funnel chart's figure (the first Plotly chart) as JSON."""
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def test_funnels_equal_the_report(app_env):
    at = page_test(**Q)
    at.run()
    assert not at.exception
    assert at.title[0].value == "Customer journey"
    with store.reading(app_env) as con:
        report = build_report(con, F)
        jf = journey_funnel(con, F)
    table = at.dataframe[0].value.set_index("Step")
    all_leads = [r["count"] for r in report["funnel"]]
    stages = ["Leads", "MQL", "SQL", "Opportunities", "Clients"]
    assert [int(table.at[s, "All leads"]) for s in stages] == all_leads
    # campaign leads = the report's campaigns added up; awareness = the report's awareness
    camp = report["campaigns"]
    assert int(table.at["Leads", "Campaign leads"]) == sum(c["leads"] for c in camp)
    assert int(table.at["MQL", "Campaign leads"]) == sum(c["mql"] for c in camp)
    assert int(table.at["Clients", "Campaign leads"]) == sum(c["won"] for c in camp)
    assert int(table.at["Impressions", "Campaign leads"]) == report["awareness"]["impressions"]
    assert int(table.at["Clicks", "Campaign leads"]) == report["awareness"]["clicks"]
    assert table.at["Clicks", "Step conversion (campaign)"] == pytest.approx(
        report["awareness"]["ctr"]
    )
    assert [int(table.at[s, "Campaign leads"]) for s in stages] == [
        jf.value(s) for s in ("lead", "mql", "sql", "opportunity", "won")
    ]


def test_flows_and_drop_off_equal_the_metric_functions(app_env):
    at = page_test(**Q)
    at.run()
    with store.reading(app_env) as con:
        flows = journey_flows(con, F)
    assert any(f"The {flows.cohort:,} leads created in the period" in c.value for c in at.caption)
    sankey = json.loads(at.get("plotly_chart")[1].proto.spec)["data"][0]
    assert sankey["type"] == "sankey"
    assert sum(sankey["link"]["value"]) == flows.flows["leads"].sum()
    drop = at.dataframe[1].value
    assert drop["Reached"].tolist() == [
        flows.reached[s] for s in ("lead", "mql", "sql", "opportunity")
    ]
    assert (drop["Stopped"] + drop["Went on"]).tolist() == drop["Reached"].tolist()


def test_activity_mode_says_flows_stay_a_cohort(app_env):
    at = page_test(**Q, mode="activity")
    at.run()
    assert not at.exception
    assert any("also in activity mode" in c.value for c in at.caption)
    with store.reading(app_env) as con:
        report = build_report(con, F.with_mode("activity"))
    table = at.dataframe[0].value.set_index("Step")
    assert int(table.at["MQL", "All leads"]) == report["funnel"][1]["count"]


def test_time_to_convert_for_the_step_in_the_url(app_env):
    at = page_test(**Q, ttc="mql-sql")
    at.run()
    assert not at.exception
    assert at.segmented_control(key="w.jr_pair.en").value == "mql-sql"
    with store.reading(app_env) as con:
        ttc = time_to_convert(con, F)
    want = ttc[(ttc["from_stage"] == "mql") & (ttc["to_stage"] == "sql")]["leads"].tolist()
    bars = json.loads(at.get("plotly_chart")[3].proto.spec)["data"][0]
    assert bars["y"] == want
    assert bars["x"][0] == "under 1" and bars["x"][-1] == "180 or more"
    at.segmented_control(key="w.jr_pair.en").set_value("opportunity-won").run()
    assert at.query_params["ttc"] == "opportunity-won"
    at.segmented_control(key="w.jr_pair.en").set_value("lead-won").run()
    assert "ttc" not in at.query_params  # the default is left out of the link


def test_stopped_list_from_the_url_is_paged_and_masked(app_env):
    at = page_test(**Q, stop="mql", outcome="lost")
    at.run()
    assert not at.exception
    with store.reading(app_env) as con:
        first = stopped_leads(con, F, "mql", "lost", limit=25, offset=0)
        second = stopped_leads(con, F, "mql", "lost", limit=25, offset=25)
    assert first.total > 50  # enough for the paging below
    listed = at.dataframe[-1].value
    assert listed["Lead"].tolist() == first.rows["lead_id"].tolist()
    assert listed["E-mail"].str.contains(r"\*\*\*@").all()
    assert set(listed["Status"]) == {"Lost"}
    assert any(f"{first.total:,} leads stopped at MQL (lost)" in c.value for c in at.caption)
    at.number_input(key="jr_page").set_value(2).run()
    assert at.dataframe[-1].value["Lead"].tolist() == second.rows["lead_id"].tolist()
    # another step starts again on page 1
    at.selectbox(key="w.jr_stop.en").set_value("opportunity").run()
    assert at.number_input(key="jr_page").value == 1
    assert at.query_params["stop"] == "opportunity"


def test_russian(app_env):
    at = page_test(**Q, lang="ru")
    at.run()
    assert not at.exception
    assert at.title[0].value == "Путь клиента"
    assert "Все лиды" in at.dataframe[0].value.columns
    assert at.dataframe[-1].value.columns.tolist()[:3] == ["Лид", "Создан", "Дошёл до этапа"]


def test_lead_level_filter_hides_awareness_with_reason(app_env):
    at = page_test(**Q, owner="Anna Smirnova")
    at.run()
    assert not at.exception
    table = at.dataframe[0].value.set_index("Step")
    assert table["Campaign leads"].isna()[["Impressions", "Clicks"]].all()
    assert any("cannot be split by owner" in c.value for c in at.caption)
    names = funnel_spec(at)["data"][0]["y"]
    assert "Impressions" not in names and names[0] == "Leads"


def test_bad_page_state_in_the_link_is_ignored_with_a_notice(app_env):
    at = page_test(stop="won", outcome="maybe", ttc="sideways")
    at.run()
    assert not at.exception
    warning = at.warning[0].value
    for bad in ("stop=won", "outcome=maybe", "ttc=sideways"):
        assert bad in warning
    assert at.selectbox(key="w.jr_stop.en").value == "sql"


def test_period_without_leads_shows_a_plain_message(app_env):
    at = page_test(period="custom", **{"from": "2030-01-01", "to": "2030-01-31"})
    at.run()
    assert not at.exception
    assert "No leads and no spend match this view" in at.info[-1].value


def test_a_step_nobody_stopped_at(tmp_path, monkeypatch):
    from tests.conftest import add_lead

    path = tmp_path / "tiny.duckdb"
    with store.writing(path, create=True) as con:
        add_lead(
            con,
            "a",
            "2026-11-02 10:00:00",
            "won",
            "won",
            mql_at="2026-11-03 10:00:00",
            sql_at="2026-11-04 10:00:00",
            opportunity_at="2026-11-05 10:00:00",
            won_at="2026-11-06 10:00:00",
            deal_value=100,
        )
    monkeypatch.setenv("VORONKA_DB", str(path))
    monkeypatch.setenv("VORONKA_TODAY", APP_TODAY)
    at = page_test(period="last_4_weeks")
    at.run()
    assert not at.exception
    assert any("No lead of this period stopped at SQL" in i.value for i in at.info)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_section_explains_itself(app_env, lang):
    at = page_test(**Q, lang=lang)
    at.run()
    assert len(at.get("plotly_chart")) == 4  # funnels, flows, drop-off, time to convert
    assert sum("SELECT" in c.value for c in at.code) >= 4
    assert len(at.get("download_button")) == 8  # three tables and the list, CSV and Excel


def test_data_text_is_shown_as_text(tmp_path, monkeypatch):
    """A lost reason and a CRM stage name holding markup reach Plotly with the tags escaped
    and markdown with its specials escaped: shown as text, never as a link."""
    from analytics import demo
    from ui.components import md_escape

    path = tmp_path / "markup.duckdb"
    demo.create_file(path, leads=400, seed=11, end=date.fromisoformat(APP_TODAY))
    evil = "<a href='https://evil.example'>Call</a> [x](https://evil.example)"
    with store.writing(path) as con:
        store.write_setting(con, "stage_labels", {"sql": evil})
        con.execute("UPDATE leads SET lost_reason = '<b>Price</b>' WHERE status = 'lost'")
    monkeypatch.setenv("VORONKA_DB", str(path))
    monkeypatch.setenv("VORONKA_TODAY", APP_TODAY)
    at = page_test(period="last_12_months", stop="sql")
    at.run()
    assert not at.exception
    sankey = json.loads(at.get("plotly_chart")[1].proto.spec)["data"][0]
    labels = " ".join(sankey["node"]["label"])
    assert "&lt;b&gt;Price&lt;/b&gt;" in labels and "<b>" not in labels
    assert "&lt;a href='https://evil.example'&gt;" in labels and "<a " not in labels
    assert any(md_escape(evil) in c.value for c in at.caption)  # "... stopped at <stage>"


def test_switching_language_keeps_the_page_state(app_env):
    at = page_test(**Q, stop="opportunity", outcome="nurture", ttc="sql-opportunity")
    at.run()
    at.segmented_control(key="w.lang").set_value("ru").run()
    assert not at.exception
    assert at.selectbox(key="w.jr_stop.ru").value == "opportunity"
    assert at.segmented_control(key="w.jr_outcome.ru").value == "nurture"
    assert at.segmented_control(key="w.jr_pair.ru").value == "sql-opportunity"
    assert at.query_params["stop"] == "opportunity" and at.query_params["lang"] == "ru"


def test_collapsed_sections_are_not_built(app_env):
    at = app_test(PAGE, **Q)
    at.run()
    assert not at.exception
    assert len(at.dataframe) == 1  # the list of leads; the tables wait for their expanders
    assert not at.code and len(at.get("download_button")) == 2
    at.session_state["x_flows"] = True
    at.run()
    assert len(at.code) == 1 and "FROM leads l" in at.code[0].value
