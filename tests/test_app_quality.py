"""AppTest of the Lead quality page: both languages, filters from the URL, numbers that agree
with the report's funnel, the BANT audit with its paged and masked list, empty views."""

from __future__ import annotations

from datetime import date

import pytest

from analytics import store
from analytics.filters import Filters
from analytics.i18n import label
from analytics.metrics.quality import bant_audit_leads
from analytics.report import build_report
from tests.conftest import app_test

PAGE = "pages/quality.py"
SUMMER = {"period": "custom", "from": "2026-06-01", "to": "2026-08-31"}
SUMMER_FILTERS = Filters(date(2026, 6, 1), date(2026, 8, 31))


def run(tables: bool = True, **query):
    """Run the page; ``tables``: switch on the tables that are drawn on demand."""
    at = app_test(PAGE, **query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if tables:
        for key in ("segment", "bant", "source", "owner"):
            at.toggle(key=f"ql_show_{key}").set_value(True)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def frame_with(at, column: str):
    """The page's table whose first column is ``column``."""
    for df in at.dataframe:
        value = df.value
        if value.columns[0] == column:
            return value
    raise AssertionError(f"no table starting with a {column!r} column")


def tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize(("lang", "title"), [("en", "Lead quality"), ("ru", "Качество лидов")])
def test_renders_in_both_languages(app_env, lang, title):
    at = run(lang=lang, period="last_12_months")
    assert at.title[0].value == title
    # target vs non-target, BANT by stage, by source, by owner
    assert len(at.get("plotly_chart")) == 4
    assert len(at.metric) == 4  # the audit's tiles
    assert len(at.code) >= 5  # "How is this computed?" shows the SQL of every section


@pytest.mark.parametrize("mode", ["cohort", "activity"])
def test_segment_table_adds_up_to_the_report_funnel(app_env, mode):
    at = run(**SUMMER, mode=mode)
    with store.reading(app_env) as con:
        report = build_report(con, SUMMER_FILTERS.with_mode(mode))
    funnel = {row["stage"]: row["count"] for row in report["funnel"]}
    t = frame_with(at, "Group")
    assert set(t["Group"]) <= {
        label("segment", s) for s in ("target", "non_target", "unknown_size")
    }
    for column, stage in (
        ("Leads", "lead"),
        ("MQL", "mql"),
        ("SQL", "sql"),
        ("Opportunities", "opportunity"),
        ("Clients", "won"),
    ):
        assert t[column].sum() == funnel[stage], column
    # the same for sources and owners
    for key in ("Source", "Owner"):
        assert frame_with(at, key)["Leads"].sum() == funnel["lead"], key
        assert frame_with(at, key)["Clients"].sum() == funnel["won"], key


def test_bant_by_stage_adds_up_and_matches_the_audit(app_env):
    at = run(period="last_12_months")
    with store.reading(app_env) as con:
        report = build_report(con, Filters(date(2025, 11, 23), date(2026, 11, 22)))
    funnel = {row["stage"]: row["count"] for row in report["funnel"]}
    t = frame_with(at, "Stage")
    by_stage = t.groupby("Stage")["Leads"].sum()
    assert by_stage["MQL"] == funnel["mql"] and by_stage["Clients"] == funnel["won"]
    # the audit's first tile = MQL-stage leads with 0 or 1 criteria confirmed
    mql = t[t["Stage"] == "MQL"].set_index("BANT")["Leads"]
    cold = mql["0 of 4 · Cold (RQL)"] + mql["1 of 4 · Cold (RQL)"]
    assert tiles(at)["MQL+ with < 2 criteria"] == f"{cold:,}"
    sql = t[t["Stage"] == "SQL"].set_index("BANT")["Leads"]
    below_four = sum(
        sql[f"{n} of 4 · {temp}"]
        for n, temp in ((0, "Cold (RQL)"), (1, "Cold (RQL)"), (2, "Warm (MQL)"), (3, "Warm (MQL)"))
    )
    assert tiles(at)["SQL+ with < 4 criteria"] == f"{below_four:,}"


def test_audit_list_is_paged_and_masked(app_env):
    at = run(period="last_12_months")
    total = int(tiles(at)["Leads to fix"].replace(",", ""))
    assert total > 20, "the demo data has enough offending leads for two pages"
    first = frame_with(at, "Lead ID")
    assert len(first) == 20
    assert any(f"Leads 1–20 of {total:,}" in c.value for c in at.caption)
    assert first["E-mail"].str.contains(r"^.\*\*\*@", regex=True).all()
    assert first["Phone"].str.contains(r"\*\*\* \*\*\*").all()
    # the second page is the next 20 leads, newest first
    at.number_input(key=next(k for k in _keys(at) if k.startswith("w.ql_page"))).set_value(2).run()
    assert not at.exception
    second = frame_with(at, "Lead ID")
    with store.reading(app_env) as con:
        f = Filters(date(2025, 11, 23), date(2026, 11, 22))
        expected = bant_audit_leads(con, f, limit=20, offset=20)
    assert list(second["Lead ID"]) == list(expected["lead_id"])
    assert set(second["Lead ID"]).isdisjoint(first["Lead ID"])
    assert set(second["Breaks"]) <= {"MQL needs 2", "SQL needs 4"}
    labels = [b.proto.label for b in at.get("download_button")]
    assert f"All {total:,} as CSV" in labels and f"All {total:,} as Excel" in labels


def _keys(at) -> list[str]:
    return [w.key for w in at.number_input]


def test_summary_sentence_compares_target_and_non_target(app_env):
    at = run(period="last_12_months")
    text = " ".join(m.value for m in at.markdown)
    assert "Target leads become clients" in text and "significant at 95%" in text


def test_segment_filter_leaves_nothing_to_compare(app_env):
    at = run(period="last_12_months", segment="target")
    assert list(frame_with(at, "Group")["Group"]) == ["Target (ICP)"]
    assert any("Only one of target and non-target" in m.value for m in at.markdown)


def test_activity_mode_has_no_intervals(app_env):
    at = run(period="last_12_months", mode="activity")
    t = frame_with(at, "Source")
    assert t["MQL yield, 95%"].eq("–").all() and t["Lead → client vs rest"].eq("–").all()
    assert any("need cohort mode" in c.value for c in at.caption)


def test_russian_labels_in_tables(app_env):
    at = run(lang="ru", period="last_12_months")
    t = frame_with(at, "Источник")
    assert label("source", "lead_form", "ru") in set(t["Источник"])
    assert "Нарушает" in frame_with(at, "ID лида").columns


def test_tables_are_drawn_on_demand_and_always_downloadable(app_env):
    at = run(tables=False, period="last_12_months")
    assert [df.value.columns[0] for df in at.dataframe] == ["Lead ID"]  # only the audit list
    labels = [b.proto.label for b in at.get("download_button")]
    # segment, BANT, audit page, source, owner tables: CSV + Excel each; plus all offenders
    assert labels.count("Download CSV") == 5 and labels.count("Download Excel") == 5
    at.toggle(key="ql_show_source").set_value(True).run()
    assert not at.exception
    assert "Source" in [df.value.columns[0] for df in at.dataframe]


def test_empty_view_is_a_plain_message(app_env):
    at = run(tables=False, period="custom", **{"from": "2030-01-01", "to": "2030-01-31"})
    said = [i.value for i in at.info if "No leads and no spend match this view" in i.value]
    assert len(said) == 1  # once, not per section
    assert not at.get("plotly_chart") and not at.metric
