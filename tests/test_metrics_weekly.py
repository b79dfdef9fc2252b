"""Weekly table (ISO weeks, activity) on the Q1 fixture. 2026-01-01 is a Thursday, so ISO week
2026-W01 runs Mon 2025-12-29 to Sun 2026-01-04 and Q1 touches weeks W01..W14."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analytics.filters import Filters
from analytics.metrics import week_over_week, weekly
from analytics.metrics.weekly import (
    REVIEW_METRICS,
    WEEKLY_COUNTS,
    WeekMove,
    biggest_move,
    channel_weeks,
    compare_weeks,
    move_sentence,
)
from tests.conftest import add_lead

Q1 = Filters(date(2026, 1, 1), date(2026, 3, 31))


def by_label(df: pd.DataFrame) -> dict[str, dict]:
    return {r["label"]: r for r in df.to_dict(orient="records")}


def test_every_week_present_with_zeros(q1):
    df = weekly(q1, Q1)
    assert list(df["label"]) == [f"2026-W{n:02d}" for n in range(1, 15)]
    assert df["week"].iloc[0] == date(2025, 12, 29)


def test_weekly_counts(q1):
    w = by_label(weekly(q1, Q1))
    # W01: outside_before's MQL (Jan 2) and SQL (Jan 3) fall in Q1; its creation does not
    assert (w["2026-W01"]["leads"], w["2026-W01"]["mql"], w["2026-W01"]["sql"]) == (0, 1, 1)
    # W02 (Jan 5-11): lead_only, mql_only, sql_lost created; MQL of mql_only (8th), sql_lost (11th)
    assert (w["2026-W02"]["leads"], w["2026-W02"]["mql"]) == (3, 2)
    assert w["2026-W02"]["spend"] == 600.0
    assert w["2026-W02"]["cost_per_lead"] == pytest.approx(200.0)
    assert w["2026-W03"]["sql"] == 1  # sql_lost, Jan 15
    assert w["2026-W05"]["leads"] == 1  # won_full, Sunday Feb 1
    assert (w["2026-W06"]["mql"], w["2026-W06"]["sql"]) == (1, 1)  # won_full Feb 3 / Feb 5
    assert (w["2026-W07"]["opportunity"], w["2026-W07"]["spend"]) == (1, 400.0)
    assert (w["2026-W07"]["leads"]) == 1  # organic_mql, Sunday Feb 15
    assert (w["2026-W08"]["won"], w["2026-W08"]["revenue"]) == (1, 5000.0)
    assert w["2026-W08"]["mql"] == 1  # organic_mql, Monday Feb 16
    assert w["2026-W09"]["leads"] == 1  # reversed, Sunday Mar 1
    assert (w["2026-W10"]["mql"], w["2026-W10"]["sql"], w["2026-W10"]["opportunity"]) == (1, 1, 1)
    assert w["2026-W11"]["leads"] == 1  # undated_sql
    assert (w["2026-W14"]["leads"], w["2026-W14"]["spend"]) == (1, 1000.0)
    # totals agree with the activity funnel
    df = weekly(q1, Q1)
    assert df[["leads", "mql", "sql", "opportunity", "won"]].sum().tolist() == [8, 6, 4, 2, 1]
    assert df["spend"].sum() == 2000.0


def test_a_week_whose_clients_have_no_deal_value_has_unknown_revenue(q1):
    """vera_won, won on Wed 2026-03-04 (W10) without a deal value: W10 has 1 client and unknown
    revenue (None, not 0). W08 keeps won_full's 5000; W09 has no client: revenue 0."""
    add_lead(q1, "vera_won", "2026-02-02 10:00:00", "won", "won", won_at="2026-03-04 10:00:00")
    w = by_label(weekly(q1, Q1))
    assert w["2026-W10"]["won"] == 1 and pd.isna(w["2026-W10"]["revenue"])
    assert (w["2026-W08"]["won"], w["2026-W08"]["revenue"]) == (1, 5000.0)
    assert (w["2026-W09"]["won"], w["2026-W09"]["revenue"]) == (0, 0.0)


def test_weekly_ignores_cohort_mode(q1):
    assert weekly(q1, Q1).equals(weekly(q1, Q1.with_mode("activity")))


def test_iso_week_boundary_sunday_night_vs_monday_morning(empty_con):
    add_lead(empty_con, "sun", "2026-03-08 23:59:59")  # Sunday: week 10
    add_lead(empty_con, "mon", "2026-03-09 00:00:00")  # Monday: week 11
    w = by_label(weekly(empty_con, Filters(date(2026, 3, 2), date(2026, 3, 15))))
    assert (w["2026-W10"]["leads"], w["2026-W11"]["leads"]) == (1, 1)


def test_iso_year_differs_from_calendar_year(empty_con):
    add_lead(empty_con, "a", "2027-01-01 10:00:00")  # Friday: ISO week 2026-W53
    w = weekly(empty_con, Filters(date(2027, 1, 1), date(2027, 1, 1)))
    assert list(w["label"]) == ["2026-W53"]


def test_lead_level_filter_drops_weekly_spend(q1):
    df = weekly(q1, Filters(date(2026, 1, 1), date(2026, 3, 31), owners=("Anna",)))
    assert df["spend"].isna().all()
    assert df["leads"].sum() == 3


def test_unbounded_period_spans_the_data(q1):
    df = weekly(q1, Filters())
    assert df["label"].iloc[0] == "2026-W01"  # outside_before, 2025-12-31 (W01 of 2026)
    assert df["label"].iloc[-1] == "2026-W15"  # won_skipped_sql won on 2026-04-09


def test_empty_database(empty_con):
    assert weekly(empty_con, Filters()).empty
    assert len(weekly(empty_con, Q1)) == 14  # bounded period: the weeks, all zero


def test_week_over_week():
    df = pd.DataFrame({"leads": [10, 15, 0, 5]})
    out = week_over_week(df, ("leads",))
    assert out["leads_change"].tolist()[1:] == [5, -15, 5]
    assert out["leads_change_pct"].tolist()[1] == pytest.approx(0.5)
    assert out["leads_change_pct"].tolist()[2] == pytest.approx(-1.0)
    assert pd.isna(out["leads_change_pct"].tolist()[3])  # from zero: no relative change


# --------------------------------------------------------------------------------------------
# Sunday weeks, the derived columns, week-on-week comparison and the "what moved most" rule.


def test_sunday_weeks(q1):
    """Sunday weeks of Q1: 2026-01-01 (Thu) lies in the week of Sun 2025-12-28 and 2026-03-31
    (Tue) in the week of Sun 2026-03-29: 14 weeks labelled by their first day. Events move with
    their weekday: sql_lost's MQL on Sun Jan 11 opens a new Sunday week (in ISO it closed W02);
    won_full, created Sun Feb 1, shares the week with its MQL (Feb 3) and SQL (Feb 5)."""
    df = weekly(q1, Q1, "sunday")
    assert df["label"].iloc[0] == "2025-12-28" and df["label"].iloc[-1] == "2026-03-29"
    assert len(df) == 14
    w = by_label(df)
    row = w["2025-12-28"]  # outside_before's MQL (Fri Jan 2) and SQL (Sat Jan 3)
    assert (row["leads"], row["mql"], row["sql"]) == (0, 1, 1)
    row = w["2026-01-04"]  # lead_only (Mon), mql_only (Tue, MQL Thu), sql_lost (Sat Jan 10)
    assert (row["leads"], row["mql"], row["sql"], row["spend"]) == (3, 1, 0, 600.0)
    assert row["cost_per_lead"] == pytest.approx(200.0)
    assert (w["2026-01-11"]["mql"], w["2026-01-11"]["sql"]) == (1, 1)  # sql_lost Jan 11 / 15
    row = w["2026-02-01"]
    assert (row["leads"], row["mql"], row["sql"], row["opportunity"]) == (1, 1, 1, 0)
    row = w["2026-02-15"]  # organic_mql (Sun 15, MQL Mon 16); won_full won Fri Feb 20
    assert (row["leads"], row["mql"], row["won"], row["revenue"]) == (1, 1, 1, 5000.0)
    assert w["2026-03-29"]["spend"] == 1000.0  # C2's Tuesday Mar 31
    # the same events in other weeks: the totals do not change
    assert df[["leads", "mql", "sql", "opportunity", "won"]].sum().tolist() == [8, 6, 4, 2, 1]


def test_cost_per_client_and_mql_to_sql_per_week(q1):
    w = by_label(weekly(q1, Q1))
    # W08 (Feb 16-22): won_full won, but no cost row that week -> spend unknown, and so is CAC
    assert pd.isna(w["2026-W08"]["spend"]) and pd.isna(w["2026-W08"]["cost_per_client"])
    assert pd.isna(w["2026-W08"]["cost_per_lead"])  # no new leads that week
    # W14: spend 1000, one lead, no client -> CPL 1000, CAC undefined
    assert w["2026-W14"]["cost_per_lead"] == pytest.approx(1000.0)
    assert pd.isna(w["2026-W14"]["cost_per_client"])
    # W11 (Mar 9-15): undated_sql created, no cost row -> spend unknown, so CPL too (not 0)
    assert pd.isna(w["2026-W11"]["spend"]) and pd.isna(w["2026-W11"]["cost_per_lead"])
    # MQL -> SQL of the week: W01 1/1, W02 0/2, W03 1/0 undefined
    assert w["2026-W01"]["mql_to_sql"] == pytest.approx(1.0)
    assert w["2026-W02"]["mql_to_sql"] == 0.0
    assert pd.isna(w["2026-W03"]["mql_to_sql"])


def test_lead_level_filter_drops_weekly_costs(q1):
    df = weekly(q1, Filters(date(2026, 1, 1), date(2026, 3, 31), owners=("Boris",)))
    assert df["cost_per_lead"].isna().all() and df["cost_per_client"].isna().all()
    assert df["won"].sum() == 1  # won_full (Boris) won on Feb 20; won_skipped_sql after Q1


def test_compare_weeks(q1):
    """W02 against W01 (see test_weekly_counts): leads 3 vs 0, MQL 2 vs 1, SQL 0 vs 1, spend
    600 vs unknown (W01 has no cost row), CPL 200 vs undefined, MQL->SQL 0 vs 1."""
    c = compare_weeks(weekly(q1, Q1), date(2026, 1, 5)).set_index("metric")
    assert list(c.index) == list(REVIEW_METRICS)
    assert (c.at["leads", "now"], c.at["leads", "previous"], c.at["leads", "change"]) == (3, 0, 3)
    assert pd.isna(c.at["leads", "change_pct"])  # from zero: no relative change
    assert (c.at["mql", "change"], c.at["mql", "change_pct"]) == (1, pytest.approx(1.0))
    assert (c.at["sql", "change"], c.at["sql", "change_pct"]) == (-1, pytest.approx(-1.0))
    assert c.at["spend", "now"] == 600.0
    assert pd.isna(c.at["spend", "previous"]) and pd.isna(c.at["spend", "change"])
    assert c.at["cost_per_lead", "now"] == pytest.approx(200.0)
    assert pd.isna(c.at["cost_per_lead", "previous"]) and pd.isna(c.at["cost_per_lead", "change"])
    assert c.at["mql_to_sql", "change"] == pytest.approx(-1.0)  # 0% - 100% = -100 pp
    assert (c.at["revenue", "change"], pd.isna(c.at["revenue", "change_pct"])) == (0, True)


def test_compare_first_week_has_no_previous_and_unknown_week_fails(q1):
    c = compare_weeks(weekly(q1, Q1), date(2025, 12, 29)).set_index("metric")
    assert c["previous"].isna().all()
    with pytest.raises(ValueError, match="not in the weekly table"):
        compare_weeks(weekly(q1, Q1), date(2030, 1, 7))


def test_channel_weeks(q1):
    """ISO W02 (Jan 5-11) against W01 (Dec 29 - Jan 4), paid search only: now 3 leads
    (lead_only, mql_only, sql_lost) and 2 MQL (Jan 8, Jan 11); before: outside_before created
    Dec 31, MQL Jan 2, SQL Jan 3. No other channel has an event in those two weeks."""
    df = channel_weeks(q1, Filters(), date(2026, 1, 5))
    assert df.to_dict(orient="records") == [
        {
            "channel": "paid_search",
            "leads_now": 3,
            "leads_prev": 1,
            "mql_now": 2,
            "mql_prev": 1,
            "sql_now": 0,
            "sql_prev": 1,
            "opportunity_now": 0,
            "opportunity_prev": 0,
            "won_now": 0,
            "won_prev": 0,
        }
    ]
    # summed over channels it is the weekly table of the same two weeks
    both = weekly(q1, Filters(date(2025, 12, 29), date(2026, 1, 11))).set_index("label")
    for n in WEEKLY_COUNTS:
        assert df[f"{n}_now"].sum() == both.at["2026-W02", n]
        assert df[f"{n}_prev"].sum() == both.at["2026-W01", n]
    assert biggest_move(df).kind == "too_few"  # nothing reached 10


def moves(**channels: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """A channel_weeks frame by hand: channel -> {count: (now, prev)}; missing counts are 0."""
    rows = []
    for channel, counts in channels.items():
        row: dict = {"channel": None if channel == "none" else channel}
        for n in WEEKLY_COUNTS:
            now, prev = counts.get(n, (0, 0))
            row[f"{n}_now"], row[f"{n}_prev"] = now, prev
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("name", "frame", "expected"),
    [
        (
            # leads 11 vs 15 = -26.7%; paid search -6 (share -6 / -4 = 1.5), social +2
            "mostly_one_channel",
            moves(paid_search={"leads": (4, 10)}, social={"leads": (7, 5)}),
            ("move", "leads", 11, 15, -4 / 15, "paid_search", -6, 1.5),
        ),
        (
            # MQL 55 vs 30 = +83%; +10, +8, +7: the largest is 10 / 25 = 40%, not "mostly"
            "spread_over_channels",
            moves(
                events={"mql": (20, 10), "leads": (100, 100)},
                popup={"mql": (18, 10), "leads": (100, 100)},
                quiz={"mql": (17, 10), "leads": (100, 100)},
            ),
            ("move", "mql", 55, 30, 25 / 30, "events", 10, 0.4),
        ),
        (
            # leads +100% and MQL +100%: a tie goes to the earlier stage
            "tie_goes_to_earlier_stage",
            moves(social={"leads": (20, 10), "mql": (20, 10)}),
            ("move", "leads", 20, 10, 1.0, "social", 10, 1.0),
        ),
        (
            # SQL 50 vs 0 has no relative change; clients 9 vs 1 is below the volume floor
            "zero_previous_and_small_counts_skipped",
            moves(referral={"leads": (11, 10), "sql": (50, 0), "won": (9, 1)}),
            ("move", "leads", 11, 10, 0.1, "referral", 1, 1.0),
        ),
        (
            # leads without a channel drive the move
            "no_channel",
            moves(none={"leads": (30, 10)}, social={"leads": (10, 10)}),
            ("move", "leads", 40, 20, 1.0, None, 20, 1.0),
        ),
        (
            # equal channel changes: the first channel in the frame's (alphabetical) order
            "channel_tie",
            moves(events={"leads": (15, 10)}, social={"leads": (15, 10)}),
            ("move", "leads", 30, 20, 0.5, "events", 5, 0.5),
        ),
        (
            # 102 vs 100 = +2%: below 5%, a steady week
            "steady",
            moves(social={"leads": (102, 100)}),
            ("steady", "leads", 102, 100, 0.02, None, 0, None),
        ),
        ("too_few", moves(social={"leads": (9, 8), "won": (1, 0)}), ("too_few",) + (None,) * 7),
        ("empty_week", moves(), ("too_few",) + (None,) * 7),
    ],
)
def test_biggest_move(name, frame, expected):
    if frame.empty:
        frame = pd.DataFrame(
            columns=["channel", *(f"{n}_{w}" for n in WEEKLY_COUNTS for w in ("now", "prev"))]
        )
    m = biggest_move(frame)
    kind, metric, now, prev, pct, channel, channel_change, share = expected
    assert m.kind == kind, name
    if kind == "too_few":
        return
    assert (m.metric, m.now, m.previous, m.channel, m.channel_change) == (
        metric,
        now,
        prev,
        channel,
        channel_change,
    )
    assert m.change_pct == pytest.approx(pct)
    assert m.share == (None if share is None else pytest.approx(share))


def test_biggest_move_from_the_database(empty_con):
    """The "mostly" case built from leads: ISO W10 (Mar 2-8) 10 paid search + 5 social leads,
    W11 (Mar 9-15) 4 paid search + 7 social. New leads 15 -> 11 = -26.7%, paid search -6."""
    for i in range(10):
        add_lead(empty_con, f"p{i}", f"2026-03-0{2 + i % 7} 10:00:00", channel="paid_search")
    for i in range(5):
        add_lead(empty_con, f"s{i}", f"2026-03-0{3 + i} 10:00:00", channel="social")
    for i in range(4):
        add_lead(empty_con, f"q{i}", f"2026-03-{9 + i:02d} 10:00:00", channel="paid_search")
    for i in range(7):
        add_lead(empty_con, f"t{i}", f"2026-03-{9 + i:02d} 12:00:00", channel="social")
    m = biggest_move(channel_weeks(empty_con, Filters(), date(2026, 3, 9)))
    assert (m.kind, m.metric, m.previous, m.now, m.channel, m.channel_change) == (
        "move",
        "leads",
        15,
        11,
        "paid_search",
        -6,
    )
    assert move_sentence(m) == ("New leads -26.7% week on week (15 → 11), mostly Paid search (-6).")
    assert move_sentence(m, "ru") == (
        "Новые лиды: -26,7% к прошлой неделе (15 → 11), "
        "в основном за счёт канала «Контекстная реклама» (-6)."
    )
    # a channel filter narrows the base: social alone went 5 -> 7
    only_social = channel_weeks(empty_con, Filters(channels=("social",)), date(2026, 3, 9))
    assert only_social["channel"].tolist() == ["social"]
    assert (only_social.at[0, "leads_prev"], only_social.at[0, "leads_now"]) == (5, 7)


def test_move_sentences():
    led = WeekMove("move", "mql", 55, 30, 25 / 30, "events", 10, 0.4)
    assert move_sentence(led) == (
        "MQL +83.3% week on week (30 → 55); the largest part came from Trade shows & events "
        "(+10 of +25)."
    )
    steady = WeekMove("steady", "leads", 102, 100, 0.02)
    assert move_sentence(steady) == (
        "A steady week: no count moved by 5% or more (the largest move: New leads +2.0%, "
        "100 → 102)."
    )
    assert move_sentence(WeekMove("too_few"), "ru").startswith("Слишком мало событий")
    assert "10" in move_sentence(WeekMove("too_few"))
    # the CRM's own stage name and leads without a channel
    own = WeekMove("move", "sql", 12, 24, -0.5, None, -12, 1.0)
    assert move_sentence(own, "en", {"sql": "Call"}) == (
        "Call -50.0% week on week (24 → 12), mostly leads without a channel (-12)."
    )


def test_the_documented_rule_names_the_constants_the_code_uses():
    from analytics.i18n import t
    from analytics.metrics.weekly import MOVE_MIN_VOLUME, MOVE_MOSTLY, MOVE_STEADY

    doc = t("metrics.week_summary.definition")
    assert (MOVE_MIN_VOLUME, MOVE_STEADY, MOVE_MOSTLY) == (10, 0.05, 0.5)
    assert "at least 10" in doc and "under 5%" in doc and "at least half" in doc
