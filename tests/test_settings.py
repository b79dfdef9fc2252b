"""Checking and saving settings: one named rule per problem, messages in both languages, and all
or nothing on write."""

from __future__ import annotations

import pytest

from analytics import i18n, store
from analytics.settings import MAX_ICP, MAX_LABEL, clean_settings, save_settings


def test_valid_values_are_normalised():
    cleaned, problems = clean_settings(
        {
            "currency": " usd ",
            "language": "RU",
            "week_start": "Sunday",
            "icp_min": 10.0,
            "icp_max": "250",
            "stage_labels": {"sql": "  Первый   звонок ", "won": "", "mql": None},
        }
    )
    assert problems == []
    assert cleaned == {
        "currency": "USD",
        "language": "ru",
        "week_start": "sunday",
        "icp_min": 10,
        "icp_max": 250,
        "stage_labels": {"sql": "Первый звонок"},  # empty = the standard name
    }


def test_equal_icp_bounds_are_fine():
    cleaned, problems = clean_settings({"icp_min": 100, "icp_max": 100})
    assert problems == [] and (cleaned["icp_min"], cleaned["icp_max"]) == (100, 100)


@pytest.mark.parametrize(
    ("values", "setting", "message", "params"),
    [
        ({"colour": "red"}, "colour", "settings.errors.unknown", {"name": "colour"}),
        ({"currency": "GBP"}, "currency", "settings.errors.currency", {"value": "GBP"}),
        ({"language": "de"}, "language", "settings.errors.language", {"value": "de"}),
        ({"week_start": "friday"}, "week_start", "settings.errors.week_start", {"value": "friday"}),
        ({"icp_min": -1}, "icp_min", "settings.errors.icp_number", {"value": -1}),
        ({"icp_max": MAX_ICP + 1}, "icp_max", "settings.errors.icp_number", {"max": MAX_ICP}),
        ({"icp_min": 2.5}, "icp_min", "settings.errors.icp_number", {"value": 2.5}),
        ({"icp_min": True}, "icp_min", "settings.errors.icp_number", {"value": True}),
        (
            {"icp_min": 600, "icp_max": 500},
            "icp_min",
            "settings.errors.icp_order",
            {"min": 600, "max": 500},
        ),
        ({"stage_labels": ["Call"]}, "stage_labels", "settings.errors.labels_shape", {}),
        (
            {"stage_labels": {"demo": "Demo"}},
            "stage_labels",
            "settings.errors.label_stage",
            {"stage": "demo"},
        ),
        (
            {"stage_labels": {"sql": "Call\u0007"}},
            "stage_labels",
            "settings.errors.label_control",
            {"stage": "sql"},
        ),
        (
            {"stage_labels": {"sql": "x" * (MAX_LABEL + 1)}},
            "stage_labels",
            "settings.errors.label_long",
            {"stage": "sql", "length": MAX_LABEL + 1, "max": MAX_LABEL},
        ),
        (
            {"stage_labels": {"mql": "Call", "sql": "CALL"}},
            "stage_labels",
            "settings.errors.label_duplicate",
            {"name": "CALL", "stage": "sql", "other": "mql"},
        ),
    ],
    ids=[
        "unknown_setting",
        "currency",
        "language",
        "week_start",
        "icp_negative",
        "icp_too_big",
        "icp_fraction",
        "icp_bool",
        "icp_order",
        "labels_shape",
        "label_stage",
        "label_control",
        "label_long",
        "label_duplicate",
    ],
)
def test_each_rule_names_the_problem(values, setting, message, params):
    cleaned, problems = clean_settings(values)
    assert len(problems) == 1, problems
    problem = problems[0]
    assert (problem.setting, problem.message) == (setting, message)
    assert params.items() <= problem.params.items()
    assert setting not in cleaned  # an invalid value is never passed on to be stored
    for lang in i18n.LANGUAGES:  # the message exists and takes its parameters in both
        text = i18n.t(message, lang, **problem.params)
        assert "{" not in text and text


def test_one_bad_value_keeps_the_good_ones_apart():
    cleaned, problems = clean_settings({"currency": "EUR", "week_start": "friday"})
    assert cleaned == {"currency": "EUR"} and [p.setting for p in problems] == ["week_start"]


def test_a_newline_in_a_stage_name_is_collapsed_not_refused():
    # blanks (a line break typed or pasted) become single spaces; only other controls fail
    cleaned, problems = clean_settings({"stage_labels": {"won": "Closed\n deal"}})
    assert problems == [] and cleaned["stage_labels"] == {"won": "Closed deal"}


def test_save_is_all_or_nothing(empty_con):
    save_settings(empty_con, {"currency": "USD", "icp_min": 20})
    assert store.read_settings(empty_con)["currency"] == "USD"
    version = store.data_version(empty_con)
    with pytest.raises(KeyError):
        save_settings(empty_con, {"currency": "EUR", "not_a_setting": 1})
    after = store.read_settings(empty_con)
    assert after["currency"] == "USD" and after["icp_min"] == 20  # EUR was rolled back
    assert store.data_version(empty_con) == version
