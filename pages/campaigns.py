"""Campaigns: the marketer's comparison with honest uncertainty, grouped by campaign, channel or
direction; cost against quality; chosen campaigns' funnels side by side."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import ui
from analytics.filters import Filters
from analytics.formatting import currency_symbol, fmt_int, fmt_money, fmt_number, fmt_percent
from analytics.i18n import label, t
from analytics.metrics.campaigns import GROUPINGS, campaigns_query
from analytics.model import DIRECTIONS, STAGES
from analytics.stats import MIN_SAMPLE, VERDICTS
from ui import rates, url
from ui.charts import channel_color, stage_colors
from ui.rates import (
    Panel,
    base_layout,
    dot_whisker,
    formatted_table,
    interval_text,
    interval_texts,
    plot_text,
    separators,
    show_chart,
    verdict_text,
)

GROUPS = tuple(GROUPINGS)  # campaign, channel, direction
MAX_COMPARE = 5
#: The charts draw at most this many rows (the largest by RANKS); the table has every row.
TOP = 25
RANKS = ("spend", "leads", "mql")
MONEY = ("spend", "cost_per_lead", "cost_per_mql", "cost_per_client", "revenue")
COUNTS = {"lead": "leads", "mql": "mql", "sql": "sql", "opportunity": "opportunity", "won": "won"}


def seed_page_state() -> None:
    """Grouping and the campaigns picked for side by side live in the URL too."""
    o = ui.options()
    known = {c for c, _ in o.campaigns} | set(o.channels) | set(DIRECTIONS)
    url.seed_once(
        "_campaigns_seeded",
        [
            ("cmp_group", "group", False, lambda v: v if v in GROUPS else None, "campaign"),
            ("cmp_pick", "compare", True, lambda v: v if v in known else None, None),
            ("cmp_rank", "rank", False, lambda v: v if v in RANKS else None, "spend"),
        ],
    )


def group_selector(lang: str) -> str:
    bound = url.bind("cmp_group")
    keep = bound["on_change"]

    def changed() -> None:
        keep()
        st.session_state["cmp_pick"] = None  # another grouping: pick again from its rows

    bound["on_change"] = changed
    st.segmented_control(
        ui.tr("campaigns.group_by"),
        GROUPS,
        required=True,
        format_func=lambda g: t(f"campaigns.group.{g}", lang),
        **bound,
    )
    return str(st.session_state.get("cmp_group") or "campaign")


def row_labels(df: pd.DataFrame, group: str, lang: str) -> list[str]:
    """What to call each row: the campaign's name (made unique), a channel's or direction's
    name in the language; a missing key is "unknown". Column-wise: thousands of campaigns."""
    key = GROUPINGS[group]
    codes = df[key]
    missing = codes.isna()
    if group == "campaign":
        out = df["name"].astype(str)
    else:
        names = {c: label(group, str(c), lang) for c in codes[~missing].unique()}
        out = codes.map(names)
    out = out.where(~missing, ui.tr("campaigns.unknown"))
    twice = out.duplicated(keep=False)  # two campaigns with one name: add the id
    out = out.where(~twice, out + " (" + codes.astype(str) + ")")
    return list(out)


# ---------------------------------------------------------------------------------------------
# The table


def comparison_table(df: pd.DataFrame, names: list[str], group: str, lang: str, cur: str) -> None:
    """Every row of the grouping, sortable; built column by column (no per-row Python beyond a
    string format), and above STYLED_MAX_ROWS rows formatted by the browser."""
    sym = currency_symbol(cur)

    def c(key: str, money: bool = False) -> str:
        return ui.tr(f"campaigns.col.{key}") + (f", {sym}" if money else "")

    def money(v: Any) -> str:  # the currency is in the header; whole units from 100
        return fmt_number(v, lang, 0 if abs(v) >= 100 or v == 0 else 2)

    def pct(v: Any) -> str:
        return fmt_percent(v, lang)

    verdicts = {v: verdict_text(v, lang) for v in VERDICTS}

    def verdict_column(values: pd.Series) -> pd.Series:
        return values.map(verdicts).fillna("–")

    first = c(group)
    t = pd.DataFrame({first: names})
    if group == "campaign":
        channels = {v: label("channel", v, lang) for v in df["channel"].dropna().unique() if v}
        t[c("channel")] = df["channel"].map(channels).fillna("–")
    else:
        t[c("campaigns")] = df["campaigns"].astype("Int64")

    def col(name: str) -> pd.Series:
        return df[name]

    t[c("spend", True)] = col("spend")
    t[c("impressions")] = col("impressions")
    t[c("clicks")] = col("clicks")
    t[c("ctr")] = col("ctr")
    t[c("leads")] = col("leads")
    t[c("cost_per_lead", True)] = col("cost_per_lead")
    t[c("mql")] = col("mql")
    t[c("mql_yield")] = col("mql_yield")
    t[c("mql_yield_ci")] = interval_texts(
        df["mql_yield_low"], df["mql_yield_high"], "percent", lang
    )
    t[c("mql_yield_vs")] = verdict_column(df["mql_yield_verdict"])
    t[c("cost_per_mql", True)] = col("cost_per_mql")
    t[c("cost_per_mql_ci")] = interval_texts(
        df["cost_per_mql_low"], df["cost_per_mql_high"], "money", lang
    )
    t[c("sql")] = col("sql")
    t[c("mql_to_sql")] = col("mql_to_sql")
    t[c("mql_to_sql_ci")] = interval_texts(
        df["mql_to_sql_low"], df["mql_to_sql_high"], "percent", lang
    )
    t[c("mql_to_sql_vs")] = verdict_column(df["mql_to_sql_verdict"])
    t[c("won")] = col("won")
    t[c("cost_per_client", True)] = col("cost_per_client")
    t[c("revenue", True)] = col("revenue")
    t[c("romi")] = col("romi")

    if df["spend"].isna().all():  # a lead-level filter: the note says why there is no cost
        cost = ("spend", "impressions", "clicks", "ctr", "cost_per_lead", "cost_per_mql")
        cost += ("cost_per_mql_ci", "cost_per_client", "romi")
        t = t.drop(columns=[c(k, k in MONEY) for k in cost])

    ints = ("impressions", "clicks", "leads", "mql", "sql", "won", "campaigns")
    formats: dict[str, Any] = {c(k): (lambda v: fmt_int(v, lang)) for k in ints}
    # the same in the browser's number style, for a grouping of many rows
    large: dict[str, dict[str, Any]] = {c(k): {"format": "localized", "step": 1} for k in ints}
    for k in MONEY:
        formats[c(k, True)] = money
        large[c(k, True)] = {"format": "localized", "step": 1}
    for k in ("cost_per_lead", "cost_per_mql", "cost_per_client"):
        large[c(k, True)] = {"format": "localized", "step": 0.01}
    for k in ("mql_yield", "mql_to_sql"):
        formats[c(k)] = pct
        large[c(k)] = {"format": "percent", "step": 0.001}
    formats[c("ctr")] = lambda v: fmt_percent(v, lang, 2)
    large[c("ctr")] = {"format": "percent", "step": 0.0001}
    formats[c("romi")] = lambda v: fmt_percent(v, lang, 0)
    large[c("romi")] = {"format": "percent", "step": 0.01}
    formats = {k: v for k, v in formats.items() if k in t.columns}
    large = {k: v for k, v in large.items() if k in t.columns}
    helps = {
        c("mql_yield_ci"): ui.tr("metrics.confidence_interval.definition"),
        c("mql_to_sql_ci"): ui.tr("metrics.confidence_interval.definition"),
        c("mql_yield_vs"): ui.tr("metrics.vs_rest.definition"),
        c("mql_to_sql_vs"): ui.tr("metrics.vs_rest.definition"),
        c("cost_per_mql_ci"): ui.tr("metrics.cost_per_mql_interval.definition"),
    }
    height = 38 + 35 * min(len(t), 20) + 2  # up to 20 rows without an inner scroll bar
    formatted_table(
        t, formats, pinned=[first], help_texts=helps, height=height, large_formats=large
    )
    hint = "table_hint" if len(t) <= rates.STYLED_MAX_ROWS else "table_hint_many"
    st.caption(":material/swap_vert: " + ui.tr(f"campaigns.{hint}", rows=fmt_int(len(t), lang)))

    export = t.copy()
    with_cost = c("cost_per_mql", True) in t.columns
    for rate in ("mql_yield", "mql_to_sql", *(("cost_per_mql",) if with_cost else ())):
        export[c(rate) + " · " + ui.tr("campaigns.low")] = col(f"{rate}_low")
        export[c(rate) + " · " + ui.tr("campaigns.high")] = col(f"{rate}_high")
    for rate in ("mql_yield", "mql_to_sql"):
        export[c(rate) + " · p"] = col(f"{rate}_p")
    ui.download_table(export, f"voronka-campaigns-by-{group}", "dl_campaigns")


# ---------------------------------------------------------------------------------------------
# Charts


@dataclass(frozen=True)
class Pooled:
    """Sums over every row of a grouping that a chart could draw, drawn or not: the reference
    lines ("all campaigns") stay the same whichever rows the chart shows."""

    leads: float
    mql: float
    sql: float
    spend: float

    @classmethod
    def of(cls, df: pd.DataFrame) -> Pooled:
        return cls(
            leads=float(df["leads"].sum()),
            mql=float(df["mql"].sum()),
            sql=float(df["sql"].sum()),
            spend=float(df["spend"].sum()),  # missing spend counts as none (as the SQL does)
        )


def subset(df: pd.DataFrame, names: list[str], mask: pd.Series) -> tuple[pd.DataFrame, list[str]]:
    """The rows of ``df`` where ``mask`` holds, renumbered, with their names."""
    where = mask.to_numpy(dtype=bool)
    return df[where].reset_index(drop=True), [n for n, w in zip(names, where, strict=True) if w]


def rank_selector(costs: bool) -> str:
    """What "the largest" means for the charts: spend (without cost data: leads), leads or
    MQL. Kept in the URL (``rank``)."""
    options = RANKS if costs else RANKS[1:]
    bound = url.bind("cmp_rank")
    wanted = st.session_state.get("cmp_rank")
    if wanted not in options:  # spend under a lead-level filter: leads, the choice kept
        st.session_state[bound["key"]] = options[0]
    st.segmented_control(
        ui.tr("campaigns.rank_by", n=TOP),
        options,
        required=True,
        format_func=lambda r: ui.tr(f"campaigns.rank.{r}"),
        **bound,
    )
    chosen = st.session_state.get(bound["key"])
    return str(chosen if chosen in options else options[0])


def top_rows(
    df: pd.DataFrame, names: list[str], group: str, costs: bool, lang: str
) -> tuple[pd.DataFrame, list[str], str | None]:
    """The rows the charts draw: every row with leads, or above TOP of them the TOP largest by
    the chosen measure (ties in the table's order: spend, leads, key), with the caption that
    says so (None when nothing is left out)."""
    drawable = df["leads"] > 0
    count = int(drawable.sum())
    if count <= TOP:
        return df, names, None
    rank = rank_selector(costs)
    d, rows = subset(df, names, drawable)
    ranked = d[rank].fillna(float("-inf")).sort_values(ascending=False, kind="stable")
    chosen = pd.Series(False, index=d.index)
    chosen[ranked.index[:TOP]] = True
    top, top_names = subset(d, rows, chosen)
    caption = ui.tr(
        "campaigns.top_caption",
        shown=fmt_int(len(top), lang),
        total=fmt_int(len(df), lang),
        rows=ui.tr(f"campaigns.top_rows.{group}"),
        measure=ui.tr(f"campaigns.top_measure.{rank}"),
    )
    return top, top_names, caption


def uncertainty_chart(
    df: pd.DataFrame, names: list[str], filters: Filters, lang: str, cur: str, everything: Pooled
) -> None:
    """MQL yield and cost per MQL per row, each with its 95% interval, against all rows pooled
    (``everything``: the grouping's rows with leads, also those not drawn)."""
    d, rows = subset(df, names, df["leads"] > 0)
    if d.empty:
        st.info(ui.tr("campaigns.no_leads"), icon=":material/info:")
        return
    order = sorted(range(len(d)), key=lambda i: (-float(d["mql_yield"].iat[i]), rows[i]))
    d = d.iloc[order].reset_index(drop=True)
    rows = [rows[i] for i in order]
    sym = currency_symbol(cur)

    def pct(v: Any) -> str:
        return fmt_percent(v, lang)

    def money(v: Any) -> str:
        return fmt_money(v, cur, lang)

    total_leads, total_mql = everything.leads, everything.mql
    pooled = total_mql / total_leads if total_leads else None
    hover_yield = []
    for name, r in zip(rows, d.to_dict(orient="records"), strict=True):
        lines = [
            f"<b>{html.escape(name)}</b>",
            ui.tr(
                "campaigns.hover_yield",
                value=pct(r["mql_yield"]),
                interval=interval_text(r["mql_yield_low"], r["mql_yield_high"], pct, lang),
                mql=fmt_int(r["mql"], lang),
                leads=fmt_int(r["leads"], lang),
            ),
        ]
        if r["mql_yield_verdict"] is not None and not pd.isna(r["mql_yield_verdict"]):
            lines.append(
                verdict_text(r["mql_yield_verdict"], lang)
                + " · "
                + ui.tr("campaigns.hover_rest", rest=pct(r["mql_yield_rest"]))
            )
        hover_yield.append("<br>".join(lines))
    panels = [
        Panel(
            title=ui.tr("campaigns.chart_yield"),
            values=list(d["mql_yield"]),
            lows=list(d["mql_yield_low"]),
            highs=list(d["mql_yield_high"]),
            verdicts=list(d["mql_yield_verdict"]),
            hover=hover_yield,
            axis_title=ui.tr("campaigns.axis_yield"),
            reference=pooled,
            reference_text=ui.tr("campaigns.all_rows", value=pct(pooled)),
        )
    ]
    if filters.costs_defined:
        total_spend = everything.spend
        pooled_cost = total_spend / total_mql if total_mql else None
        hover_cost = []
        for name, r in zip(rows, d.to_dict(orient="records"), strict=True):
            hover_cost.append(
                f"<b>{html.escape(name)}</b><br>"
                + ui.tr(
                    "campaigns.hover_cost",
                    value=money(r["cost_per_mql"]),
                    interval=interval_text(
                        r["cost_per_mql_low"], r["cost_per_mql_high"], money, lang
                    ),
                    spend=money(r["spend"]),
                    mql=fmt_int(r["mql"], lang),
                )
            )
        panels.append(
            Panel(
                title=ui.tr("campaigns.chart_cost"),
                values=list(d["cost_per_mql"]),
                lows=list(d["cost_per_mql_low"]),
                highs=list(d["cost_per_mql_high"]),
                faint=[int(n) < MIN_SAMPLE for n in d["leads"]],
                hover=hover_cost,
                axis_title=ui.tr("campaigns.axis_cost", symbol=sym),
                tickformat=",.0f",
                reference=pooled_cost,
                reference_text=ui.tr(
                    "campaigns.all_rows", value=fmt_money(pooled_cost, cur, lang, compact=True)
                ),
            )
        )
    show_chart(dot_whisker(rows, panels, lang))
    if filters.mode != "cohort":
        st.caption(":material/info: " + ui.tr("campaigns.activity_no_intervals"))
    elif d["mql_yield_verdict"].eq("too_few").any():
        st.caption(":material/info: " + ui.tr("campaigns.too_few_note"))


def placeable(df: pd.DataFrame) -> pd.Series:
    """The rows the cost-against-quality chart can place: leads, MQL and a known spend."""
    return (df["leads"] > 0) & (df["mql"] > 0) & df["spend"].notna()


def scatter_chart(
    df: pd.DataFrame, names: list[str], group: str, lang: str, cur: str, everything: Pooled
) -> None:
    """Cost per lead against MQL-to-SQL, bubble area = spend, colour = channel; the dotted
    lines are every placeable row of the grouping together (``everything``)."""
    d, rows = subset(df, names, placeable(df))
    if d.empty:
        st.info(ui.tr("campaigns.no_scatter"), icon=":material/info:")
        return
    sym = currency_symbol(cur)
    max_spend = float(d["spend"].max()) or 1.0
    max_cpl = float(d["cost_per_lead"].max()) or 1.0
    traces: list[dict[str, Any]] = []
    if group == "direction":
        colour_keys = list(d["direction"].fillna(""))
    else:
        colour_keys = list(d["channel"].fillna(""))
    for colour_key in dict.fromkeys(colour_keys):
        idx = [i for i, k in enumerate(colour_keys) if k == colour_key]
        sub = d.iloc[idx]
        legend = (
            label(group if group == "direction" else "channel", colour_key, lang)
            if colour_key
            else ui.tr("campaigns.unknown")
        )
        hover = [
            f"<b>{html.escape(rows[i])}</b><br>"
            + ui.tr(
                "campaigns.hover_scatter",
                cpl=fmt_money(r["cost_per_lead"], cur, lang),
                rate=fmt_percent(r["mql_to_sql"], lang),
                sql=fmt_int(r["sql"], lang),
                mql=fmt_int(r["mql"], lang),
                spend=fmt_money(r["spend"], cur, lang),
            )
            for i, r in zip(idx, sub.to_dict(orient="records"), strict=True)
        ]
        traces.append(
            {
                "type": "scatter",
                "x": [float(v) for v in sub["cost_per_lead"]],
                "y": [float(v) for v in sub["mql_to_sql"]],
                "mode": "markers",
                "name": plot_text(legend),  # an unknown channel is shown as its code
                "marker": {
                    # a free campaign (spend 0) still gets a visible dot: plotly skips size 0
                    "size": [max(float(s), max_spend * 1e-4) for s in sub["spend"]],
                    "sizemode": "area",
                    "sizeref": 2.0 * max_spend / (46.0**2),
                    "sizemin": 5,
                    "color": "#4c78a8"
                    if group == "direction" and colour_key == "inbound"
                    else "#f58518"
                    if group == "direction"
                    else channel_color(colour_key),
                    "opacity": 0.8,
                    "line": {"width": 1, "color": "white"},
                },
                "hovertext": hover,
                "hoverinfo": "text",
            }
        )
    spec = base_layout(460)
    total_leads, total_mql = everything.leads, everything.mql
    if total_leads and total_mql:
        avg_cpl = everything.spend / total_leads
        avg_rate = everything.sql / total_mql
        max_cpl = max(max_cpl, avg_cpl)  # the line for all of them stays in view
        line = {"dash": "dot", "width": 1, "color": "#777"}
        spec["shapes"] = [
            {"type": "line", "xref": "x", "yref": "y domain", "x0": avg_cpl, "x1": avg_cpl}
            | {"y0": 0, "y1": 1, "line": line},
            {"type": "line", "xref": "x domain", "yref": "y", "y0": avg_rate, "y1": avg_rate}
            | {"x0": 0, "x1": 1, "line": line},
        ]
        spec["annotations"] = [
            {  # in the empty corner (expensive and poor), pointing the way
                "x": 1,
                "y": 0,
                "xref": "paper",
                "yref": "paper",
                "xanchor": "right",
                "yanchor": "bottom",
                "showarrow": False,
                "align": "right",
                "text": ui.tr("campaigns.scatter_corner"),
                "font": {"size": 12, "color": "#1a9850"},
            }
        ]
    spec.update(
        separators=separators(lang),
        xaxis={
            "title": {"text": ui.tr("campaigns.axis_cpl", symbol=sym)},
            # a little room left of 0 so a free campaign's bubble is not cut in half
            "range": [-0.04 * max_cpl, 1.06 * max_cpl],
            "tickformat": ",.0f",
            "gridcolor": "#eceff3",
        },
        yaxis={
            "title": {"text": ui.tr("campaigns.axis_mql_to_sql")},
            "tickformat": ".0%",
            "rangemode": "tozero",
            "gridcolor": "#eceff3",
        },
        legend={"orientation": "h", "yanchor": "top", "y": -0.16, "x": 0, "itemsizing": "constant"},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        plot_bgcolor="white",
    )
    show_chart(go.Figure({"data": traces, "layout": spec}))


def side_by_side(df: pd.DataFrame, names: list[str], group: str, lang: str) -> None:
    key = GROUPINGS[group]
    keys = list(df[key].dropna().astype(str))  # the table's order: the biggest spend first
    by_key = dict(zip(df[key].astype(str), names, strict=True))
    # None = never picked: show the three biggest by spend (the table's order) and keep them
    # out of the URL; a person's pick (even an empty one) is state and goes into the link
    current = st.session_state.get("cmp_pick")
    if current is None:
        shown = keys[:3]
    else:
        shown = [k for k in current if k in by_key][:MAX_COMPARE]
        st.session_state["cmp_pick"] = shown
    widget = url.widget_key("cmp_pick")
    st.session_state[widget] = shown

    def picked() -> None:
        st.session_state["cmp_pick"] = st.session_state[widget]

    st.multiselect(
        ui.tr("campaigns.compare_pick"),
        keys,
        format_func=lambda k: by_key.get(k, k),
        max_selections=MAX_COMPARE,
        placeholder=ui.tr("campaigns.compare_placeholder"),
        key=widget,
        on_change=picked,
    )
    chosen = shown
    if len(chosen) < 2:
        st.info(ui.tr("campaigns.compare_hint"), icon=":material/compare_arrows:")
        return
    rows = df.set_index(df[key].astype(str))
    n, gap = len(chosen), 0.02
    width = (1 - gap * (n - 1)) / n
    spec = base_layout(360)
    spec["margin"] = {"l": 10, "r": 10, "t": 60, "b": 10}
    spec["annotations"] = []
    traces: list[dict[str, Any]] = []
    stage_names = [ui.stage_label(s) for s in STAGES]
    for col, k in enumerate(chosen, start=1):
        suffix = "" if col == 1 else str(col)
        left = (col - 1) * (width + gap)
        spec[f"xaxis{suffix}"] = {"domain": [left, left + width], "visible": False}
        spec[f"yaxis{suffix}"] = {"anchor": f"x{suffix}"} | (
            {"matches": "y", "showticklabels": False} if col > 1 else {}
        )
        spec["annotations"].append(
            {
                "text": _wrap(by_key[k]),
                "x": left + width / 2,
                "y": 1.0,
                "xref": "paper",
                "yref": "paper",
                "xanchor": "center",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 13},
            }
        )
        r = rows.loc[k]
        counts = [int(r[COUNTS[s]]) for s in STAGES]
        leads = counts[0]
        text = [
            f"{fmt_int(n, lang)} · {fmt_percent(n / leads if leads else None, lang)}"
            for n in counts
        ]
        widest = max(max(counts), 1)
        traces.append(
            {
                "type": "funnel",
                "xaxis": f"x{suffix}",
                "yaxis": f"y{suffix}",
                "y": [plot_text(n) for n in stage_names],  # the CRM's names: typed text
                "x": counts,
                "text": text,
                "textinfo": "text",
                # a label fits inside a wide bar; beside a narrow one
                "textposition": ["inside" if c / widest >= 0.45 else "outside" for c in counts],
                "insidetextanchor": "middle",
                "textfont": {"size": 12},
                "constraintext": "none",
                "cliponaxis": False,
                "marker": {"color": stage_colors()},
                "connector": {"fillcolor": "#eef1f5", "line": {"width": 0}},
                "hovertext": [
                    f"<b>{html.escape(by_key[k])}</b><br>{html.escape(s)}: {t}"
                    for s, t in zip(stage_names, text, strict=True)
                ],
                "hoverinfo": "text",
                "showlegend": False,
            }
        )
    show_chart(go.Figure({"data": traces, "layout": spec}))
    st.caption(ui.tr("campaigns.compare_caption"))

    # the same numbers as a table, with step conversion
    table = pd.DataFrame({ui.tr("campaigns.col.stage"): stage_names})
    for k in chosen:
        r = rows.loc[k]
        counts = [int(r[COUNTS[s]]) for s in STAGES]
        table[by_key[k]] = [
            fmt_int(n, lang)
            + (
                ""
                if i == 0
                else " · " + fmt_percent(n / counts[i - 1] if counts[i - 1] else None, lang)
            )
            for i, n in enumerate(counts)
        ]
    st.dataframe(table, hide_index=True, placeholder="–", width="stretch")
    st.caption(ui.tr("campaigns.compare_table_caption"))


def _wrap(text: str, width: int = 26) -> str:
    """Break a long title onto two lines at a space (subplot titles have no wrapping)."""
    text = html.escape(text)
    if len(text) <= width:
        return text
    cut = text.rfind(" ", 0, width)
    if cut <= 0:
        return text[: width - 1] + "…"
    rest = text[cut + 1 :]
    return text[:cut] + "<br>" + (rest if len(rest) <= width else rest[: width - 1] + "…")


# ---------------------------------------------------------------------------------------------


def main() -> None:
    lang = ui.language()
    filters: Filters = ui.sidebar_filters()
    currency = str(ui.settings()["currency"])
    seed_page_state()

    st.title(ui.tr("campaigns.title"))
    ui.ignored_params_notice()
    ui.demo_banner()
    mode_name = label("mode", filters.mode, lang).lower()
    st.caption(ui.tr("campaigns.subtitle", period=ui.period_text(filters), mode=mode_name))

    group = group_selector(lang)
    df: pd.DataFrame = ui.compute("campaign_comparison", filters, by=group)
    query = campaigns_query(filters, group)
    if df.empty:
        if ui.span()[0] is None:  # nothing at all in the database
            ui.no_data()
        else:  # organic leads may well be there: say what is missing, not "no data"
            st.info(ui.tr("campaigns.empty"), icon=":material/campaign:")
        return
    names = row_labels(df, group, lang)
    if not filters.costs_defined:
        ui.cost_note(filters.lead_level_filters)
    if filters.mode != "cohort":
        st.caption(":material/info: " + ui.tr("campaigns.activity_no_intervals"))

    st.subheader(ui.tr("campaigns.table_title"))
    comparison_table(df, names, group, lang, currency)
    ui.explain(
        [
            "per_campaign",
            *(["campaign_groups"] if group != "campaign" else []),
            filters.mode,
            "spend",
            "ctr",
            "cost_per_lead",
            "mql_yield",
            "cost_per_mql",
            "mql_to_sql",
            "cost_per_client",
            "romi",
            "confidence_interval",
            "vs_rest",
            "cost_per_mql_interval",
        ],
        [query],
    )

    st.subheader(ui.tr("campaigns.uncertainty_title"))
    st.caption(ui.tr("campaigns.uncertainty_caption"))
    top, top_names, top_caption = top_rows(df, names, group, filters.costs_defined, lang)
    if top_caption:
        st.caption(":material/filter_list: " + top_caption)
    uncertainty_chart(top, top_names, filters, lang, currency, Pooled.of(df[df["leads"] > 0]))
    ui.explain(
        ["mql_yield", "cost_per_mql", "confidence_interval", "cost_per_mql_interval", "vs_rest"],
        [query],
    )

    st.subheader(ui.tr("campaigns.scatter_title"))
    if filters.costs_defined:
        st.caption(ui.tr("campaigns.scatter_caption"))
        if top_caption:
            st.caption(":material/filter_list: " + top_caption)
        scatter_chart(top, top_names, group, lang, currency, Pooled.of(df[placeable(df)]))
    else:
        ui.cost_note(filters.lead_level_filters)
    ui.explain(["cost_per_lead", "mql_to_sql", "spend"], [query])

    st.subheader(ui.tr("campaigns.compare_title"))
    side_by_side(df, names, group, lang)
    ui.explain([filters.mode, "reached", "step_conversion", "overall_conversion"], [query])


ui.require_shell()  # inside dashboard.py, also on a fresh server (ui/shell.py)
main()
