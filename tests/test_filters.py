from __future__ import annotations

from datetime import date, datetime

import pytest

from analytics.filters import FilterError, Filters, cost_conditions, in_period, lead_conditions


def test_period_must_be_in_order():
    with pytest.raises(FilterError, match="swap the dates"):
        Filters(date(2026, 3, 1), date(2026, 2, 1))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "weekly"}, "mode must be one of cohort, activity"),
        ({"segments": ("big",)}, "segments: unknown value 'big'"),
        ({"temperatures": ("lukewarm",)}, "temperatures: unknown value"),
        ({"directions": ("sideways",)}, "directions: unknown value"),
        ({"icp_min": 600, "icp_max": 500}, "ICP range 600-500 is not valid"),
        ({"date_from": "2026-01-01"}, "date_from must be a date"),
    ],
)
def test_invalid_filters_say_what_to_do(kwargs, message):
    with pytest.raises(FilterError, match=message):
        Filters(**kwargs)


def test_values_are_sorted_and_deduplicated_for_stable_cache_keys():
    assert Filters(owners=("b", "a", "b")) == Filters(owners=("a", "b"))
    assert Filters(owners="solo").owners == ("solo",)
    assert Filters(date_from=datetime(2026, 1, 1, 15, 0)).date_from == date(2026, 1, 1)


def test_previous_period_of_equal_length():
    f = Filters(date(2026, 3, 1), date(2026, 3, 31))
    assert f.days == 31
    prev = f.previous()
    assert (prev.date_from, prev.date_to) == (date(2026, 1, 29), date(2026, 2, 28))
    assert Filters().previous() is None


def test_lead_level_filters_are_named():
    f = Filters(owners=("a",), temperatures=("hot",), channels=("x",))
    assert f.lead_level_filters == ("owners", "temperatures")
    assert not f.costs_defined
    assert Filters(campaigns=("a",), directions=("inbound",)).costs_defined


def test_in_period_is_half_open_on_timestamps():
    frag = in_period("l.created_at", Filters(date(2026, 1, 1), date(2026, 1, 31)))
    assert frag.text == "l.created_at >= ? AND l.created_at < ?"
    assert frag.params == (datetime(2026, 1, 1), datetime(2026, 2, 1))
    assert in_period("l.mql_at", Filters()).text == "l.mql_at IS NOT NULL"


def test_every_user_value_is_a_parameter():
    hostile = "x') OR 1=1 --"
    f = Filters(
        campaigns=(hostile,),
        channels=(hostile,),
        sources=(hostile,),
        owners=(hostile,),
        regions=(hostile,),
        industries=(hostile,),
        directions=("inbound",),
        segments=("target",),
        temperatures=("hot",),
    )
    for frag in [*lead_conditions(f), *cost_conditions(f)]:
        assert hostile not in frag.text
    params = [p for frag in lead_conditions(f) for p in frag.params]
    assert params.count(hostile) == 6
