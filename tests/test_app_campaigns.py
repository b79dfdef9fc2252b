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


# ---------------------------------------------------------------------------------------------
# Many campaigns: the charts draw the 25 largest, the table and the download keep every row.
#
# The "many" fixture: 28 campaigns K01..K28 named "Camp 01".."Camp 28" (odd: paid search, even:
# social), all in June 2026. Campaign i spent 100 * i (K28 the most), has 29 - i leads (K01 the
# most: 28 leads, K28 one), and 28 - i of them became MQL, except K02 and K03 with none (K28,
# one lead, has none either). So, worked out by hand:
#   the 25 with the most spend: K04..K28 (K01-K03 spent least)
#   the 25 with the most leads: K01..K25 (K26-K28 have 3, 2 and 1)
#   the 25 with the most MQL:   all but K02, K03 and K28 (no MQL; the other 25 have 27..1)
#   the scatter (spend, MQL and leads needed) of the top by spend: K04..K27 (K28 has no MQL)

MANY = {"period": "custom", "from": "2026-06-01", "to": "2026-06-30"}


def camp(i: int) -> str:
    return f"Camp {i:02d}"


@pytest.fixture
def many_db(tmp_path, monkeypatch):
    from tests.conftest import APP_TODAY, add_campaign, add_cost, add_lead

    path = tmp_path / "many.duckdb"
    con = store.open_database(path, create=True)
    for i in range(1, 29):
        cid = f"K{i:02d}"
        channel = "paid_search" if i % 2 else "social"
        add_campaign(con, cid, camp(i), channel)
        add_cost(con, cid, "2026-06-15", 100.0 * i)
        mql = 0 if i in (2, 3) else 28 - i
        for n in range(29 - i):
            extra = {"mql_at": "2026-06-12 10:00:00"} if n < mql else {}
            add_lead(
                con,
                f"{cid}-{n}",
                "2026-06-10 10:00:00",
                "mql" if n < mql else "lead",
                campaign_id=cid,
                channel=channel,
                owner="Anna",
                **extra,
            )
    con.close()
    monkeypatch.setenv("VORONKA_DB", str(path))
    monkeypatch.setenv("VORONKA_TODAY", APP_TODAY)
    return path


def interval_rows(at) -> set[str]:
    """The rows of the interval chart (every trace of both panels)."""
    return {y for tr in figures(at)[0]["data"] for y in tr["y"]}


def scatter_rows(at) -> list[str]:
    names = [
        h.split("</b>")[0].removeprefix("<b>")
        for tr in figures(at)[1]["data"]
        for h in tr["hovertext"]
    ]
    return sorted(names)


def top_captions(at) -> list[str]:
    return [
        c.value.removeprefix(":material/filter_list: ")
        for c in at.caption
        if "the table above has all" in c.value
    ]


def test_many_campaigns_chart_the_25_with_the_most_spend(many_db):
    at = run(**MANY)
    assert len(table(at)) == 28  # the table has every campaign
    assert interval_rows(at) == {camp(i) for i in range(4, 29)}
    assert scatter_rows(at) == [camp(i) for i in range(4, 28)]
    caption = "Showing the 25 campaigns with the most spend of 28; the table above has all."
    assert top_captions(at) == [caption, caption]  # above each of the two charts
    assert at.segmented_control(key="w.cmp_rank.en").options == ["spend", "leads", "MQL"]
    assert "rank" not in at.query_params  # the default stays out of the link


def test_many_campaigns_ranked_by_leads_and_by_mql(many_db):
    at = run(**MANY, rank="leads")
    assert interval_rows(at) == {camp(i) for i in range(1, 26)}
    assert top_captions(at)[0] == (
        "Showing the 25 campaigns with the most leads of 28; the table above has all."
    )
    at.segmented_control(key="w.cmp_rank.en").set_value("mql").run()
    assert not at.exception
    assert interval_rows(at) == {camp(i) for i in range(1, 28)} - {camp(2), camp(3)}
    assert at.query_params["rank"] == "mql"
    assert len(table(at)) == 28


def test_many_campaigns_without_costs_rank_by_leads_in_russian(many_db):
    at = run(**MANY, owner="Anna", lang="ru")  # a lead-level filter: no spend to rank by
    control = at.segmented_control(key="w.cmp_rank.ru")
    assert control.options == ["лидов", "MQL"] and control.value == "leads"
    assert interval_rows(at) == {camp(i) for i in range(1, 26)}
    assert [c.value for c in at.caption if "в таблице выше" in c.value] == [
        ":material/filter_list: Кампаний на графиках: 25 из 28, с наибольшим числом лидов; "
        "в таблице выше — все."
    ]


def test_many_campaigns_table_and_download_keep_every_row(many_db, monkeypatch):
    import ui.components
    from ui import rates

    made = {}
    original = ui.components.download_deferred

    def record(make, basename, key):
        made[key] = make
        original(make, basename, key)

    monkeypatch.setattr(ui.components, "download_deferred", record)
    monkeypatch.setattr(rates, "STYLED_MAX_ROWS", 10)  # 28 rows: the browser formats them
    at = run(**MANY)
    t = table(at).set_index("Campaign")
    assert len(t) == 28
    assert t.loc[camp(5), "Spend, ₽"] == 500 and t.loc[camp(5), "Leads"] == 24
    assert t.loc[camp(5), "MQL yield"] == pytest.approx(23 / 24)
    assert t.loc[camp(2), "MQL yield, 95%"].startswith("0.0% – ")  # Wilson: 0 of 27
    assert any("All 28 rows" in c.value for c in at.caption)
    assert interval_rows(at) == {camp(i) for i in range(4, 29)}
    frame = made["dl_campaigns"]()
    assert len(frame) == 28 and set(frame["Campaign"]) == {camp(i) for i in range(1, 29)}
    assert frame.set_index("Campaign").loc[camp(1), "Spend, ₽"] == 100


def test_few_rows_draw_every_row_without_a_caption(many_db):
    at = run(**MANY, group="channel")  # two channels
    assert not top_captions(at)
    assert not [s for s in at.segmented_control if s.key == "w.cmp_rank.en"]
    labels = {label("channel", c) for c in ("paid_search", "social")}
    assert interval_rows(at) == labels


def test_demo_campaigns_are_all_drawn(app_env):
    at = run(period="last_12_months")  # 20 campaigns: fewer than 25
    assert len(interval_rows(at)) == 20 and not top_captions(at)


def test_interval_texts_for_a_column():
    from ui.rates import interval_texts

    lows, highs = [0.312, 0.05, None], [0.358, None, None]
    assert interval_texts(lows, highs, "percent", "en") == [
        "31.2% – 35.8%",
        "≥ 5.0% (no upper end)",
        "–",
    ]
    assert interval_texts(lows, highs, "percent", "ru")[0] == "31,2% – 35,8%"
    # money: whole units from 100, cents below; ru groups with a no-break space
    assert interval_texts([12.5, 1234.4], [99.994, 56789.6], "money", "ru") == [
        "12,50 – 99,99",
        "1\xa0234 – 56\xa0790",
    ]
