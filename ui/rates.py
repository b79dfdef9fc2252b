"""Rates with their uncertainty on screen: verdict labels, interval text, dot-and-whisker charts,
and tables shown with Babel-formatted numbers that still sort by the numbers.

Used by the Campaigns and Lead quality pages; computes nothing (the numbers come from analytics).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics.formatting import fmt_number
from analytics.i18n import t
from analytics.stats import VERDICTS
from ui.charts import layout, plot_text

VERDICT_COLORS: dict[str, str] = {
    "higher": "#1a9850",
    "lower": "#d73027",
    "no_difference": "#4c78a8",
    "too_few": "#b0b4bb",
    "no_rest": "#b0b4bb",
}
NO_VERDICT = "none"  # activity mode: a point without a verdict
Formatter = Callable[[Any], str]
#: Up to this many rows a table is drawn with Babel-formatted cells (pandas Styler, about 35 µs
#: a cell); beyond it the numbers are formatted by the browser (column formats): a Styler of
#: 6 600 rows takes seconds on every rerun.
STYLED_MAX_ROWS = 100


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def verdict_text(verdict: Any, lang: str) -> str:
    """ "▲ above the rest" etc.; "–" without a verdict (activity mode)."""
    if is_missing(verdict):
        return "–"
    return t(f"rates.verdict.{verdict}", lang)


def interval_text(low: Any, high: Any, fmt: Formatter, lang: str) -> str:
    """ "31.2% – 35.8%", "≥ 310" (no upper end) or "–" (no interval)."""
    if is_missing(low):
        return "–"
    if is_missing(high):
        return t("rates.at_least", lang, value=fmt(low))
    return f"{fmt(low)} – {fmt(high)}"


@functools.cache
def _symbols(lang: str) -> tuple[str, str]:
    """The language's group and decimal symbols, as Babel writes them ("1,234.5", "1 234,5")."""
    sample = fmt_number(1234.5, lang, 1)
    return sample[1], sample[-2]


def _floats(values: Sequence[Any]) -> np.ndarray:
    """A column as floats, missing values (None, NA, NaN) as NaN."""
    return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )


def number_texts(values: Sequence[Any], lang: str, digits: int | Sequence[int]) -> list[str]:
    """Numbers as the page's language writes them (Babel's symbols, the same text as
    :func:`analytics.formatting.fmt_number`) for a whole column at once: a Python format per
    value instead of a Babel call (about 0.5 against 30 µs). ``digits``: one for all or one per
    value. Missing values are "–"."""
    group, decimal = _symbols(lang)
    table = str.maketrans({",": group, ".": decimal})
    x = _floats(values)
    each = np.full(len(x), digits) if isinstance(digits, int) else np.asarray(digits)
    return [
        "–" if v != v else f"{v:,.{d}f}".translate(table)
        for v, d in zip(x.tolist(), each.tolist(), strict=True)
    ]


def money_digits(values: Sequence[Any]) -> list[int]:
    """Whole units from 100 (and for 0), cents below: the tables' money style."""
    x = np.abs(_floats(values))
    return list(np.where((x >= 100) | (x == 0) | np.isnan(x), 0, 2).tolist())


def interval_texts(lows: Sequence[Any], highs: Sequence[Any], kind: str, lang: str) -> list[str]:
    """:func:`interval_text` for whole columns: ``kind`` "percent" (fractions, one decimal) or
    "money" (whole units from 100)."""
    low, high = _floats(lows), _floats(highs)
    if kind == "percent":
        lo = [s + "%" for s in number_texts(low * 100, lang, 1)]
        hi = [s + "%" for s in number_texts(high * 100, lang, 1)]
    else:
        lo = number_texts(low, lang, money_digits(low))
        hi = number_texts(high, lang, money_digits(high))
    at_least = t("rates.at_least", lang, value="{}")
    out = np.where(
        np.isnan(high),
        [at_least.format(s) for s in lo],
        [f"{a} – {b}" for a, b in zip(lo, hi, strict=True)],
    )
    return list(np.where(np.isnan(low), "–", out).tolist())


def separators(lang: str) -> str:
    """Plotly's decimal and thousands separators for the language (ru: 1 234,5)."""
    return ", " if lang == "ru" else ".,"


@dataclass
class Panel:
    """One column of a dot-and-whisker chart: a value per row with its 95% interval."""

    title: str
    values: Sequence[Any]
    lows: Sequence[Any]
    highs: Sequence[Any]
    hover: Sequence[str]
    axis_title: str
    tickformat: str = ".0%"
    reference: float | None = None  #: a vertical dashed line (the pooled value of all rows)
    reference_text: str = ""
    verdicts: Sequence[Any] = field(default_factory=list)
    #: without verdicts: points in this colour, except rows flagged in ``faint`` (too few)
    color: str = "#4c5b70"
    faint: Sequence[bool] = field(default_factory=list)


def base_layout(height: int) -> dict[str, Any]:
    """The shared chart look (:func:`ui.charts.layout`) as a plain layout dict.

    Figures here are built as one dict and validated once: plotly's incremental ``update_*`` /
    ``add_*`` calls cost about four times as much, which a page with several charts feels.
    """
    return {**copy.deepcopy(_BASE_LAYOUT), "height": height}


_BASE_LAYOUT: dict[str, Any] = {
    k: v for k, v in layout(go.Figure()).to_plotly_json()["layout"].items() if k != "template"
}


def dot_whisker(rows: Sequence[str], panels: Sequence[Panel], lang: str) -> go.Figure:
    """Rows top to bottom in the given order; one panel per measure, sharing the row axis.

    Points are coloured by their verdict against the rest (legend once); a missing upper end
    (no successes: cost unbounded) draws no point, as the value itself is undefined.
    """
    rows = [plot_text(r) for r in rows]  # campaign, source and owner names are data
    n = len(panels)
    gap = 0.06 if n > 1 else 0.0
    width = (1 - gap * (n - 1)) / n
    height = max(280, 30 * len(rows) + 190)
    spec = base_layout(height)
    spec.update(
        separators=separators(lang),
        margin={"l": 10, "r": 20, "t": 60, "b": 70},
        # below the axis titles, in pixels from the bottom whatever the chart's height
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "x": 0},
        plot_bgcolor="white",
        showlegend=True,
    )
    data: list[dict[str, Any]] = []
    shapes: list[dict[str, Any]] = []
    titles: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    shown: set[str] = set()
    colors = {**VERDICT_COLORS}
    for col, panel in enumerate(panels, start=1):
        suffix = "" if col == 1 else str(col)
        xref, yref = f"x{suffix}", f"y{suffix}"
        left = (col - 1) * (width + gap)
        spec[f"xaxis{suffix}"] = {
            "domain": [left, left + width],
            "anchor": yref,
            "title": {"text": panel.axis_title},
            "tickformat": panel.tickformat,
            "rangemode": "tozero",
            "gridcolor": "#eceff3",
        }
        spec[f"yaxis{suffix}"] = {
            "anchor": xref,
            "categoryorder": "array",
            "categoryarray": list(rows)[::-1],
            "automargin": True,
            "tickfont": {"size": 12},
            **({"matches": "y", "showticklabels": False} if col > 1 else {}),
        }
        titles.append(
            {
                "text": panel.title,
                "x": left + width / 2,
                "y": 1.0,
                "xref": "paper",
                "yref": "paper",
                "xanchor": "center",
                "yanchor": "bottom",
                "yshift": 22,
                "showarrow": False,
                "font": {"size": 14},
            }
        )
        if panel.verdicts:
            verdicts = list(panel.verdicts)
        else:  # a measure without a test: one neutral colour, too-few rows faint
            faint = list(panel.faint) or [False] * len(rows)
            verdicts = ["too_few" if f else NO_VERDICT for f in faint]
        colors[NO_VERDICT] = panel.color
        for verdict in (*VERDICTS, NO_VERDICT):
            idx = [
                i
                for i, v in enumerate(verdicts)
                if (NO_VERDICT if is_missing(v) else v) == verdict
                and not is_missing(panel.values[i])
            ]
            if not idx:
                continue
            x = [float(panel.values[i]) for i in idx]
            lo = [None if is_missing(panel.lows[i]) else float(panel.lows[i]) for i in idx]
            hi = [None if is_missing(panel.highs[i]) else float(panel.highs[i]) for i in idx]
            name = t(f"rates.verdict.{verdict}", lang) if verdict != NO_VERDICT else ""
            color = colors.get(verdict, panel.color)
            data.append(
                {
                    "type": "scatter",
                    "xaxis": xref,
                    "yaxis": yref,
                    "x": x,
                    "y": [rows[i] for i in idx],
                    "mode": "markers",
                    "marker": {"size": 10, "color": color, "line": {"width": 1, "color": "white"}},
                    "error_x": {
                        "type": "data",
                        "symmetric": False,
                        "array": [
                            0 if h is None else max(h - v, 0) for v, h in zip(x, hi, strict=True)
                        ],
                        "arrayminus": [
                            0 if low is None else max(v - low, 0)
                            for v, low in zip(x, lo, strict=True)
                        ],
                        "thickness": 2,
                        "width": 4,
                        "color": color,
                    },
                    "hovertext": [panel.hover[i] for i in idx],
                    "hoverinfo": "text",
                    "name": name,
                    "legendgroup": verdict,
                    "legendrank": (*VERDICTS, NO_VERDICT).index(verdict) + 1,
                    "showlegend": bool(name) and verdict not in shown,
                }
            )
            if name:
                shown.add(verdict)
        if panel.reference is not None:
            shapes.append(
                {
                    "type": "line",
                    "xref": xref,
                    "yref": f"{yref} domain",
                    "x0": panel.reference,
                    "x1": panel.reference,
                    "y0": 0,
                    "y1": 1,
                    "line": {"dash": "dash", "width": 1, "color": "#555"},
                }
            )
            notes.append(
                {
                    "x": panel.reference,
                    "y": 1.0,
                    "xref": xref,
                    "yref": "paper",
                    "text": panel.reference_text,
                    "showarrow": False,
                    "yanchor": "bottom",
                    "font": {"size": 11, "color": "#555"},
                    "bgcolor": "rgba(255,255,255,0.8)",
                }
            )
    spec["shapes"] = shapes
    spec["annotations"] = titles + notes  # the panel titles first
    return go.Figure({"data": data, "layout": spec})


def show_chart(fig: go.Figure) -> None:
    st.plotly_chart(fig, width="stretch", config={"displayModeBar": False})


def formatted_table(
    df: pd.DataFrame,
    formats: dict[str, Formatter],
    pinned: Sequence[str] = (),
    help_texts: dict[str, str] | None = None,
    height: int | str = "auto",
    large_formats: dict[str, dict[str, Any]] | None = None,
) -> None:
    """A sortable table: numbers stay numbers (sorting is numeric) but are shown through the
    ``formats`` (Babel, the page's language and currency); missing values show as "–".

    Above :data:`STYLED_MAX_ROWS` rows, and with ``large_formats`` (column -> keyword arguments
    of ``st.column_config.NumberColumn``, e.g. ``{"format": "percent", "step": 0.001}``), the
    numbers are formatted by the browser instead (its locale): the whole table still sorts and
    scrolls, and the rerun does not format every cell in Python.
    """
    large = large_formats is not None and len(df) > STYLED_MAX_ROWS
    config: dict[str, Any] = {}
    for col in df.columns:
        kwargs: dict[str, Any] = {}
        if col in pinned:
            kwargs["pinned"] = True
        if help_texts and col in help_texts:
            kwargs["help"] = help_texts[col]
        if large and large_formats and col in large_formats:
            config[col] = st.column_config.NumberColumn(**kwargs, **large_formats[col])
        elif kwargs:
            config[col] = st.column_config.Column(**kwargs)
    if large:
        data: Any = df
    else:

        def safe(fmt: Formatter) -> Formatter:
            return lambda v: "–" if is_missing(v) else fmt(v)

        data = df.style.format({col: safe(fmt) for col, fmt in formats.items()}, na_rep="–")
    st.dataframe(
        data,
        hide_index=True,
        placeholder="–",
        width="stretch",
        column_config=config,
        height=height,
    )
