"""AppTest of the Campaigns page: filters and grouping from the URL, numbers equal to the report,
both languages, lead-level filters, activity mode, picking campaigns, empty views."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date

import pandas as pd
import pytest

from analytics import store
from analytics.filters import Filters
from analytics.i18n import label
from analytics.report import build_report
from tests.conftest import app_test

PAGE = "pages/campaigns.py"
SUMMER = {"period": "custom", "from": "2026-06-01", "to": "2026-08-31"}
SUMMER_FILTERS = Filters(date(2026, 6, 1), date(2026, 8, 31))


def report_for(path, f: Filters) -> dict:
    with store.reading(path) as con:
        return build_report(con, f)


def run(**query):
    at = app_test(PAGE, **query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def table(at):
    return at.dataframe[0].value


def figures(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


@pytest.mark.parametrize(("lang", "title"), [("en", "Campaigns"), ("ru", "Кампании")])
def test_renders_in_both_languages(app_env, lang, title):
    at = run(lang=lang, period="last_12_months")
    assert at.title[0].value == title
    assert len(at.get("plotly_chart")) == 3  # intervals, cost vs quality, side by side
    assert len(table(at)) == 20  # every demo campaign
    assert any("SELECT" in c.value for c in at.code)  # How is this computed?
    labels = [b.proto.label for b in at.get("download_button")]
    en, ru = ("Download CSV", "Download Excel"), ("Скачать CSV", "Скачать Excel")
    assert tuple(labels) == (en if lang == "en" else ru)


def test_table_numbers_equal_the_report(app_env):
    at = run(**SUMMER, channel=["paid_search", "social"])
    f = Filters(date(2026, 6, 1), date(2026, 8, 31), channels=("paid_search", "social"))
    expected = {r["name"]: r for r in report_for(app_env, f)["campaigns"]}
    got = table(at).set_index("Campaign")
    assert set(got.index) == set(expected)
    columns = {
        "Spend, ₽": "spend",
        "Impressions": "impressions",
        "Clicks": "clicks",
        "CTR": "ctr",
        "Leads": "leads",
        "CPL, ₽": "cost_per_lead",
        "MQL": "mql",
        "MQL yield": "mql_yield",
        "Cost per MQL, ₽": "cost_per_mql",
        "SQL": "sql",
        "MQL → SQL": "mql_to_sql",
        "Clients": "won",
        "Cost per client, ₽": "cost_per_client",
        "Revenue, ₽": "revenue",
        "ROMI": "romi",
    }
    for name, row in expected.items():
        for column, key in columns.items():
            value = got.loc[name, column]
            if row[key] is None:
                assert value is None or value != value, (name, column)  # None or NaN
            else:
                assert value == pytest.approx(row[key]), (name, column)


def test_grouped_by_channel_adds_up_the_report(app_env):
    at = run(**SUMMER, group="channel")
    expected: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    spend_known: dict[str, bool] = defaultdict(bool)
    for r in report_for(app_env, SUMMER_FILTERS)["campaigns"]:
        name = label("channel", r["channel"])
        for key in ("spend", "leads", "mql", "sql", "won", "revenue"):
            expected[name][key] += r[key] or 0
        spend_known[name] |= r["spend"] is not None
    got = table(at).set_index("Channel")
    assert set(got.index) == set(expected)
    for channel, sums in expected.items():
        if spend_known[channel]:  # a group's spend: the sum of what its campaigns recorded
            assert got.loc[channel, "Spend, ₽"] == pytest.approx(sums["spend"])
        else:  # no campaign of the group has a cost row: unknown, shown as "–"
            assert pd.isna(got.loc[channel, "Spend, ₽"])
        assert got.loc[channel, "Leads"] == sums["leads"]
        assert got.loc[channel, "MQL"] == sums["mql"]
        assert got.loc[channel, "Clients"] == sums["won"]
        assert got.loc[channel, "MQL yield"] == pytest.approx(sums["mql"] / sums["leads"])
    assert at.segmented_control(key="w.cmp_group.en").value == "channel"


def test_grouped_by_direction_in_russian(app_env):
    at = run(lang="ru", group="direction", period="last_12_months")
    got = table(at)
    assert list(got.columns[:2]) == ["Направление", "Кампаний"]
    names = {label("direction", d, "ru") for d in ("inbound", "outbound")}
    assert set(got["Направление"]) == names
    assert got["Кампаний"].sum() == 20  # every demo campaign is in one of the two rows


def test_intervals_and_verdicts_are_shown(app_env):
    at = run(period="last_12_months")
    t = table(at)
    # every campaign has a 95% interval of its MQL yield around the yield, as text
    for _, row in t.iterrows():
        text = row["MQL yield, 95%"]
        assert " – " in text and text.endswith("%"), text
    verdicts = set(t["MQL yield vs rest"])
    known = {"▲ Above the rest", "▼ Below the rest", "No clear difference", "Too few to judge"}
    assert verdicts <= known
    assert "▲ Above the rest" in verdicts and "▼ Below the rest" in verdicts
    # the interval chart: error bars around each point, a dashed line for all campaigns
    spec = figures(at)[0]
    assert any(tr.get("error_x") for tr in spec["data"])
    assert any("all campaigns" in a["text"] for a in spec["layout"]["annotations"])


def test_lead_level_filter_hides_costs_and_the_scatter(app_env):
    at = run(period="last_12_months", owner="Anna Smirnova")
    t = table(at)
    for column in ("Spend, ₽", "CPL, ₽", "Cost per MQL, ₽", "Cost per MQL, 95%", "ROMI"):
        assert column not in t.columns, column
    assert {"Leads", "MQL", "MQL yield", "MQL yield, 95%", "Revenue, ₽"} <= set(t.columns)
    assert any("cannot be split by owner" in c.value for c in at.caption)
    assert len(at.get("plotly_chart")) == 2  # no cost vs quality chart, no cost panel
    assert len(figures(at)[0]["layout"]["annotations"]) == 2  # one panel title + its line


def test_activity_mode_has_no_intervals_and_says_why(app_env):
    at = run(period="last_12_months", mode="activity")
    t = table(at)
    assert t["MQL yield, 95%"].eq("–").all() and t["MQL yield vs rest"].eq("–").all()
    assert any("need cohort mode" in c.value for c in at.caption)


def test_compare_picks_from_the_link(app_env):
    at = run(period="last_12_months", compare=["EXM", "POP"])
    assert at.multiselect(key="w.cmp_pick.en").value == ["EXM", "POP"]
    funnels = [tr for tr in figures(at)[-1]["data"] if tr["type"] == "funnel"]
    assert len(funnels) == 2
    assert at.query_params["compare"] == ["EXM", "POP"]


def test_compare_defaults_to_three_biggest_and_needs_two(app_env):
    at = run(period="last_12_months")
    picked = at.multiselect(key="w.cmp_pick.en").value
    f = Filters(date(2025, 11, 23), date(2026, 11, 22))  # last 12 months to APP_TODAY
    by_spend = [r["campaign_id"] for r in report_for(app_env, f)["campaigns"]]
    assert picked == by_spend[:3]
    assert "compare" not in at.query_params  # defaults are not written into the link
    at.multiselect(key="w.cmp_pick.en").set_value(picked[:1]).run()
    assert not at.exception
    assert any("at least two" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) == 2


def test_changing_the_grouping_lands_in_the_url_and_resets_the_picks(app_env):
    at = run(period="last_12_months", compare=["EXM", "POP"])
    at.segmented_control(key="w.cmp_group.en").set_value("channel").run()
    assert not at.exception
    assert at.query_params["group"] == "channel"
    assert "compare" not in at.query_params  # the defaults of the new grouping stay out
    t = table(at)
    assert list(t.columns[:2]) == ["Channel", "Campaigns"]
    channels = {label("channel", c): c for c in ("paid_search", "events", "social")}
    biggest = [channels.get(name, name) for name in t["Channel"][:3]]
    assert at.multiselect(key="w.cmp_pick.en").value == biggest


def test_unknown_link_values_are_ignored_with_a_notice(app_env):
    at = run(period="last_12_months", group="colour", compare=["NOPE", "EXM"])
    warning = at.warning[0].value
    assert "group=colour" in warning and "compare=NOPE" in warning
    assert at.segmented_control(key="w.cmp_group.en").value == "campaign"


def test_view_without_campaigns_is_a_plain_message(app_env):
    at = run(period="custom", **{"from": "2030-01-01", "to": "2030-01-31"})
    assert not at.dataframe
    assert any("No campaign has leads or spend" in i.value for i in at.info)


def test_organic_channel_only(app_env):
    # content & SEO leads have no campaign: nothing to compare, said plainly
    at = run(period="last_12_months", channel="content_seo")
    assert [i.value for i in at.info if "No campaign has leads or spend" in i.value]
    assert not [i.value for i in at.info if "No leads and no spend" in i.value]  # there are
