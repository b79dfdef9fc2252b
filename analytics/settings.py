"""Checking and saving the settings a person edits (the Settings page).

Validation is a list of small named rules; each problem names the setting and a message key of
the catalogue (``settings.errors.<rule>``) with its parameters, so the page says what is wrong in
the reader's language and what to do instead. Nothing is written unless every value is valid,
and then all of them are written in one transaction.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import duckdb

from analytics.formatting import CURRENCIES
from analytics.i18n import LANGUAGES
from analytics.model import STAGES
from analytics.store import SETTING_KEYS, write_setting

WEEK_STARTS: Final[tuple[str, ...]] = ("monday", "sunday")
#: Longest stage name accepted (it has to fit on chart axes).
MAX_LABEL: Final[int] = 40
#: Largest company size accepted as an ICP bound.
MAX_ICP: Final[int] = 10_000_000


@dataclass(frozen=True)
class Problem:
    """One invalid value: the setting, the catalogue key of the message and its parameters."""

    setting: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def clean_settings(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """The values to store (normalised) and the problems; store only when there are none.

    Rules: currency one of :data:`~analytics.formatting.CURRENCIES`; language one of the
    interface languages; week start monday or sunday; ICP bounds whole numbers with
    0 <= minimum <= maximum <= :data:`MAX_ICP`; stage labels trimmed, empty = the standard name,
    at most :data:`MAX_LABEL` characters, no control characters, no two stages with one name.
    Unknown keys are refused.
    """
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    for key in values:
        if key not in SETTING_KEYS:
            problems.append(Problem(key, "settings.errors.unknown", {"name": key}))

    if "currency" in values:
        currency = str(values["currency"] or "").strip().upper()
        if currency in CURRENCIES:
            out["currency"] = currency
        else:
            problems.append(
                Problem(
                    "currency",
                    "settings.errors.currency",
                    {"value": currency, "allowed": ", ".join(CURRENCIES)},
                )
            )
    if "language" in values:
        language = str(values["language"] or "").strip().lower()
        if language in LANGUAGES:
            out["language"] = language
        else:
            problems.append(
                Problem(
                    "language",
                    "settings.errors.language",
                    {"value": language, "allowed": ", ".join(LANGUAGES)},
                )
            )
    if "week_start" in values:
        week_start = str(values["week_start"] or "").strip().lower()
        if week_start in WEEK_STARTS:
            out["week_start"] = week_start
        else:
            problems.append(
                Problem("week_start", "settings.errors.week_start", {"value": week_start})
            )

    if "show_contacts" in values:
        show = values["show_contacts"]
        if isinstance(show, bool):
            out["show_contacts"] = show
        else:
            problems.append(Problem("show_contacts", "settings.errors.yes_no", {"value": show}))

    bounds: dict[str, int] = {}
    for key in ("icp_min", "icp_max"):
        if key not in values:
            continue
        number = _whole(values[key])
        if number is None or not 0 <= number <= MAX_ICP:
            problems.append(
                Problem(key, "settings.errors.icp_number", {"value": values[key], "max": MAX_ICP})
            )
        else:
            bounds[key] = number
    if len(bounds) == 2 and bounds["icp_min"] > bounds["icp_max"]:
        problems.append(
            Problem(
                "icp_min",
                "settings.errors.icp_order",
                {"min": bounds["icp_min"], "max": bounds["icp_max"]},
            )
        )
    else:
        out.update(bounds)

    if "stage_labels" in values:
        labels, label_problems = _clean_labels(values["stage_labels"])
        problems += label_problems
        if not label_problems:
            out["stage_labels"] = labels
    return out, problems


def _clean_labels(raw: Any) -> tuple[dict[str, str], list[Problem]]:
    if not isinstance(raw, Mapping):
        return {}, [Problem("stage_labels", "settings.errors.labels_shape")]
    labels: dict[str, str] = {}
    problems: list[Problem] = []
    for stage, text in raw.items():
        if stage not in STAGES:
            problems.append(
                Problem("stage_labels", "settings.errors.label_stage", {"stage": stage})
            )
            continue
        name = " ".join(str(text or "").split())  # trimmed, inner runs of blanks made one space
        if not name:
            continue  # empty: the standard name
        if any(unicodedata.category(ch).startswith("C") for ch in name):
            problems.append(
                Problem("stage_labels", "settings.errors.label_control", {"stage": stage})
            )
        elif len(name) > MAX_LABEL:
            problems.append(
                Problem(
                    "stage_labels",
                    "settings.errors.label_long",
                    {"stage": stage, "length": len(name), "max": MAX_LABEL},
                )
            )
        else:
            labels[stage] = name
    seen: dict[str, str] = {}
    for stage in STAGES:
        given = labels.get(stage)
        if given is None:
            continue
        other = seen.get(given.casefold())
        if other is not None:
            problems.append(
                Problem(
                    "stage_labels",
                    "settings.errors.label_duplicate",
                    {"name": given, "stage": stage, "other": other},
                )
            )
        seen[given.casefold()] = stage
    return labels, problems


def save_settings(con: duckdb.DuckDBPyConnection, values: Mapping[str, Any]) -> None:
    """Write already-cleaned ``values`` in one transaction (all or nothing)."""
    con.execute("BEGIN TRANSACTION")
    try:
        for key, value in values.items():
            write_setting(con, key, value)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
