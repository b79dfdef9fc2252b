"""The sidebar filters, the same on every page, kept across pages and in the URL."""

from __future__ import annotations

import os
from datetime import date
from typing import Any

import streamlit as st

from analytics.filters import Filters
from analytics.formatting import fmt_date
from analytics.i18n import label, t
from analytics.model import DIRECTIONS, MODES, SEGMENTS, TEMPERATURES
from analytics.periods import DEFAULT_PRESET, PRESETS, preset_period
from ui import url
from ui.data import options, settings
from ui.i18n import language, tr

ENV_TODAY = "VORONKA_TODAY"

# state key -> URL name; the order is the order of the URL
_CHOICES = (
    ("flt_campaigns", "campaign"),
    ("flt_channels", "channel"),
    ("flt_directions", "direction"),
    ("flt_sources", "source"),
    ("flt_owners", "owner"),
    ("flt_regions", "region"),
    ("flt_industries", "industry"),
    ("flt_segments", "segment"),
    ("flt_temperatures", "temperature"),
)
DEFAULTS: dict[str, Any] = {"flt_period": DEFAULT_PRESET, "flt_mode": "cohort"}


def today() -> date:
    """Today, or ``$VORONKA_TODAY`` (an ISO date) to pin presets for demos and tests."""
    pinned = os.environ.get(ENV_TODAY, "").strip()
    if pinned:
        try:
            return date.fromisoformat(pinned)
        except ValueError:
            pass
    return date.today()


def _parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _one_of(allowed: tuple[str, ...] | list[str]) -> Any:
    allowed_set = set(allowed)
    return lambda text: text if text in allowed_set else None


def _allowed_values() -> dict[str, tuple[str, ...]]:
    o = options()
    return {
        "flt_campaigns": tuple(c for c, _ in o.campaigns),
        "flt_channels": o.channels,
        "flt_directions": DIRECTIONS,
        "flt_sources": o.sources,
        "flt_owners": o.owners,
        "flt_regions": o.regions,
        "flt_industries": o.industries,
        "flt_segments": SEGMENTS,
        "flt_temperatures": TEMPERATURES,
    }


def _seed(allowed: dict[str, tuple[str, ...]]) -> None:
    specs = [
        ("flt_period", "period", False, _one_of(PRESETS), DEFAULT_PRESET),
        ("flt_from", "from", False, _parse_date, None),
        ("flt_to", "to", False, _parse_date, None),
        ("flt_mode", "mode", False, _one_of(MODES), "cohort"),
    ]
    specs += [(key, param, True, _one_of(allowed[key]), []) for key, param in _CHOICES]
    url.seed_once("_filters_seeded", specs)
    # a link with dates but no preset means custom dates
    if st.session_state.get("flt_from") and "period" not in st.query_params:
        st.session_state["flt_period"] = "custom"


def _reset() -> None:
    for key, _ in _CHOICES:
        st.session_state[key] = []
    st.session_state["flt_period"] = DEFAULT_PRESET
    st.session_state["flt_mode"] = "cohort"
    st.session_state["flt_from"] = None
    st.session_state["flt_to"] = None


def _period_dates() -> tuple[date | None, date | None]:
    preset = st.session_state.get("flt_period", DEFAULT_PRESET)
    if preset != "custom":
        return preset_period(preset, today())
    start, end = st.session_state.get("flt_from"), st.session_state.get("flt_to")
    if start and end and start > end:
        start, end = end, start
    return start, end


def _custom_dates() -> None:
    first, last = _period_dates()
    if first is None or last is None:
        first, last = preset_period(DEFAULT_PRESET, today())
    st.session_state["flt_dates"] = (first, last)
    picked = st.sidebar.date_input(
        tr("filters.dates"),
        format="YYYY-MM-DD",
        help=tr("filters.custom_hint"),
        **url.bind("flt_dates"),
    )
    if isinstance(picked, (tuple, list)) and len(picked) == 2:  # while picking it has one
        st.session_state["flt_from"], st.session_state["flt_to"] = picked[0], picked[1]


#: label kind of each lead-level choice filter (owners, regions... are shown as they are)
_KINDS = {
    "flt_directions": "direction",
    "flt_sources": "source",
    "flt_segments": "segment",
    "flt_temperatures": "temperature",
    "flt_channels": "channel",
}


def sidebar_filters(*, period_note: str | None = None) -> Filters:
    """Render the filters in the sidebar and return the view they describe.

    ``period_note``: for a page that picks its own dates and counting (the Weekly review), the
    period and mode widgets are replaced by this note; their state is kept for other pages.
    """
    lang = language()
    allowed = _allowed_values()
    _seed(allowed)
    names = dict(options().campaigns)
    sb = st.sidebar
    sb.header(tr("filters.header"))
    if period_note is not None:
        sb.caption(period_note)
    else:
        sb.selectbox(
            tr("filters.period"),
            PRESETS,
            format_func=lambda p: t(f"presets.{p}", lang),
            **url.bind("flt_period"),
        )
        if st.session_state["flt_period"] == "custom":
            _custom_dates()
        else:  # dates belong to "custom" only; a preset carries its own
            st.session_state["flt_from"] = st.session_state["flt_to"] = None
        sb.segmented_control(
            tr("filters.mode"),
            MODES,
            required=True,
            format_func=lambda m: label("mode", m, lang),
            help=tr("filters.mode_help"),
            **url.bind("flt_mode"),
        )

    def choice(key: str, title: str, where: Any = sb) -> None:
        values = allowed[key]
        st.session_state[key] = [v for v in st.session_state.get(key, []) if v in values]
        kind = _KINDS.get(key)
        if key == "flt_campaigns":
            fmt: Any = lambda c: names.get(c, c)  # noqa: E731
        elif kind:
            fmt = lambda v: label(kind, v, lang)  # noqa: E731
        else:
            fmt = str
        where.multiselect(
            title, values, format_func=fmt, placeholder=tr("filters.all"), **url.bind(key)
        )

    choice("flt_campaigns", tr("filters.campaigns"))
    choice("flt_channels", tr("filters.channels"))
    more = sb.expander(
        tr("filters.more"), expanded=any(st.session_state.get(k) for k, _ in _CHOICES[2:])
    )
    for key, _ in _CHOICES[2:]:
        choice(key, label("filter", key.removeprefix("flt_"), lang), more)
    sb.button(tr("filters.reset"), on_click=_reset, type="tertiary")
    return current_filters()


def current_filters() -> Filters:
    s = settings()
    start, end = _period_dates()
    return Filters(
        date_from=start,
        date_to=end,
        mode=st.session_state.get("flt_mode") or "cohort",
        icp_min=int(s["icp_min"]),
        icp_max=int(s["icp_max"]),
        **{key.removeprefix("flt_"): tuple(st.session_state.get(key, [])) for key, _ in _CHOICES},
    )


def period_text(f: Filters) -> str:
    lang = language()
    if not f.bounded:
        return tr("presets.all_time")
    return f"{fmt_date(f.date_from, lang)} – {fmt_date(f.date_to, lang)}"
