"""Lead quality: target against non-target, BANT at each stage, the BANT consistency audit with
its offending leads, conversion by source and by owner."""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import ui
from analytics.export import to_csv_bytes, to_xlsx_bytes
from analytics.filters import Filters
from analytics.formatting import fmt_int, fmt_money, fmt_number, fmt_percent
from analytics.i18n import label, t
from analytics.metrics.quality import (
    BANT_BUCKETS,
    EXPORT_LIMIT,
    REACH_COLUMNS,
    AuditSummary,
    QualityBreakdowns,
    bant_audit_leads,
    bant_audit_leads_query,
    bant_audit_query,
    compare_segments,
)
from analytics.model import BANT_COLUMNS, STAGES
from ui.components import Tile
from ui.data import current_source
from ui.rates import (
    Panel,
    base_layout,
    dot_whisker,
    formatted_table,
    interval_text,
    is_missing,
    plot_text,
    separators,
    show_chart,
    verdict_text,
)

PAGE_SIZE = 20
#: colours of the BANT counts: cold blues, warm oranges, hot red; not recorded grey
BANT_COLORS = {
    0: "#c6dbef",
    1: "#6baed6",
    2: "#fdae6b",
    3: "#f16913",
    4: "#cb181d",
    None: "#d9d9d9",
}
SEGMENT_COLORS = {"target": "#2b6cb0", "non_target": "#e6862e", "unknown_size": "#a0a7b1"}


def bant_name(bant: int | None, lang: str) -> str:
    if bant is None:
        return t("quality.bant_none", lang)
    temperature = "cold" if bant <= 1 else "warm" if bant <= 3 else "hot"
    return t("quality.bant_n", lang, n=bant, temperature=label("temperature", temperature, lang))


# ---------------------------------------------------------------------------------------------
# Target against non-target


def segment_section(filters: Filters, parts: QualityBreakdowns, lang: str, currency: str) -> None:
    st.subheader(ui.tr("quality.segment_title"))
    st.caption(
        ui.tr(
            "quality.segment_caption",
            min=fmt_int(filters.icp_min, lang),
            max=fmt_int(filters.icp_max, lang),
        )
    )
    df = parts.segment
    if df.empty:
        ui.no_data()
        return
    cohort = filters.mode == "cohort"
    summary_sentence(df, lang)

    stages = STAGES[1:]
    # the CRM's stage names (typed text, escaped for plotly), read once, not per bar
    names = {s: plot_text(ui.stage_label(s)) for s in stages}
    traces: list[dict[str, Any]] = []
    for row in df.to_dict(orient="records"):
        seg = str(row["key"])
        values, plus, minus, hover = [], [], [], []
        for s in stages:
            col = REACH_COLUMNS[s]
            v, lo, hi = row[col], row[f"{col}_low"], row[f"{col}_high"]
            values.append(None if is_missing(v) else float(v))
            plus.append(0 if is_missing(hi) or is_missing(v) else float(hi) - float(v))
            minus.append(0 if is_missing(lo) or is_missing(v) else float(v) - float(lo))
            hover.append(
                f"<b>{html.escape(label('segment', seg, lang))}</b> · {names[s]}<br>"
                + ui.tr(
                    "quality.hover_reach",
                    value=fmt_percent(None if is_missing(v) else float(v), lang),
                    interval=interval_text(lo, hi, lambda x: fmt_percent(x, lang), lang),
                    count=fmt_int(row[_count_col(s)], lang),
                    leads=fmt_int(row["leads"], lang),
                )
            )
        traces.append(
            {
                "type": "bar",
                "x": [names[s] for s in stages],
                "y": values,
                "name": f"{label('segment', seg, lang)} ({fmt_int(row['leads'], lang)})",
                "marker": {"color": SEGMENT_COLORS.get(seg, "#888")},
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": plus,
                    "arrayminus": minus,
                    "visible": cohort,
                    "thickness": 1.5,
                    "width": 4,
                    "color": "#333",
                },
                "offsetgroup": seg,
                "hovertext": hover,
                "hoverinfo": "text",
            }
        )
        # the value above the whisker (a text trace aligned with its bar), not on top of it
        traces.append(
            {
                "type": "scatter",
                "x": [names[s] for s in stages],
                "y": [None if v is None else v + p for v, p in zip(values, plus, strict=True)],
                "mode": "text",
                "text": [fmt_percent(v, lang) for v in values],
                "textposition": "top center",
                "textfont": {"size": 12, "color": "#31333f"},
                "offsetgroup": seg,
                "showlegend": False,
                "hoverinfo": "skip",
                "cliponaxis": False,
            }
        )
    spec = base_layout(380)
    spec.update(
        barmode="group",
        scattermode="group",
        separators=separators(lang),
        yaxis={
            "title": {"text": ui.tr("quality.axis_reach")},
            "tickformat": ".0%",
            "rangemode": "tozero",
            "gridcolor": "#eceff3",
        },
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        plot_bgcolor="white",
    )
    show_chart(go.Figure({"data": traces, "layout": spec}))
    if not cohort:
        st.caption(":material/info: " + ui.tr("quality.activity_no_intervals"))

    table = breakdown_table(df, "segment", lang, currency)
    table_on_demand(
        ui.tr("quality.segment_table"),
        "segment",
        lambda: show_breakdown(table, df, lang, currency),
        table,
        "voronka-target-non-target",
    )
    ui.explain(
        [
            "segment",
            filters.mode,
            "overall_conversion",
            "win_rate",
            "confidence_interval",
            "vs_rest",
        ],
        [parts.query],
    )


def table_on_demand(
    title: str, key: str, show: Callable[[], None], table: pd.DataFrame, basename: str
) -> None:
    """A table behind a switch, its CSV and Excel downloads always there (built when pressed).

    A sortable, formatted table costs tens of milliseconds on every rerun of the page; the
    charts above it carry the same numbers, so it is drawn only for those who ask.
    """
    if st.toggle(title, key=f"ql_show_{key}"):
        show()
    ui.download_table(table, basename, f"dl_{key}")


def _count_col(stage: str) -> str:
    return "leads" if stage == "lead" else stage


def summary_sentence(df: pd.DataFrame, lang: str) -> None:
    c = compare_segments(df)
    params = {
        "target": fmt_percent(c.target_rate, lang),
        "non_target": fmt_percent(c.non_target_rate, lang),
        "n_target": fmt_int(c.target[1], lang),
        "n_non_target": fmt_int(c.non_target[1], lang),
        "ratio": "–"
        if c.ratio is None
        else t("quality.times", lang, n=fmt_number(c.ratio, lang, 1)),
    }
    key = {
        "higher": "quality.summary_higher",
        "lower": "quality.summary_lower",
        "no_difference": "quality.summary_same",
        "too_few": "quality.summary_few",
        "no_rest": "quality.summary_missing",
    }[c.verdict]
    if c.ratio is None and c.verdict in ("higher", "lower"):
        key = "quality.summary_significant"  # one group never converted: no ratio to give
    st.markdown(":material/insights: " + ui.tr(key, **params))


# ---------------------------------------------------------------------------------------------
# Tables of a breakdown (segment, source, owner)


def key_name(by: str, key: Any, lang: str) -> str:
    if is_missing(key):
        return ui.tr("quality.not_recorded")
    if by in ("segment", "source"):
        return label(by, str(key), lang)
    return str(key)


def breakdown_table(df: pd.DataFrame, by: str, lang: str, currency: str) -> pd.DataFrame:
    def c(name: str) -> str:
        return ui.tr(f"quality.col.{name}")

    pct = lambda v: fmt_percent(v, lang)  # noqa: E731
    out = pd.DataFrame({c(by): [key_name(by, k, lang) for k in df["key"]]})
    for col in ("leads", "mql", "sql", "opportunity", "won"):
        out[c(col)] = df[col].astype("Int64")
    out[c("revenue")] = df["revenue"]
    for rate in ("mql_yield", "mql_to_sql", "win_rate"):
        out[c(rate)] = df[rate]
        out[c(f"{rate}_ci")] = [
            interval_text(lo, hi, pct, lang)
            for lo, hi in zip(df[f"{rate}_low"], df[f"{rate}_high"], strict=True)
        ]
        out[c(f"{rate}_vs")] = [verdict_text(v, lang) for v in df[f"{rate}_verdict"]]
    return out


def show_breakdown(table: pd.DataFrame, df: pd.DataFrame, lang: str, currency: str) -> None:
    def c(name: str) -> str:
        return ui.tr(f"quality.col.{name}")

    formats: dict[str, Callable[[Any], str]] = {
        c(col): (lambda v: fmt_int(v, lang))
        for col in ("leads", "mql", "sql", "opportunity", "won")
    }
    formats[c("revenue")] = lambda v: fmt_money(v, currency, lang, compact=True)
    for rate in ("mql_yield", "mql_to_sql", "win_rate"):
        formats[c(rate)] = lambda v: fmt_percent(v, lang)
    helps = {
        c(f"{rate}_vs"): ui.tr("metrics.vs_rest.definition")
        for rate in ("mql_yield", "mql_to_sql", "win_rate")
    }
    formatted_table(table, formats, pinned=[table.columns[0]], help_texts=helps)


def breakdown_section(
    filters: Filters,
    parts: QualityBreakdowns,
    by: str,
    rates: tuple[str, str],
    lang: str,
    currency: str,
) -> None:
    st.subheader(ui.tr(f"quality.{by}_title"))
    st.caption(ui.tr(f"quality.{by}_caption"))
    df: pd.DataFrame = getattr(parts, by)
    if df.empty:
        ui.no_data()
        return
    names = [key_name(by, k, lang) for k in df["key"]]
    order = sorted(range(len(df)), key=lambda i: -int(df.iloc[i]["leads"]))
    d = df.iloc[order].reset_index(drop=True)
    rows = [names[i] for i in order]
    counts = {
        "mql_yield": ("mql", "leads"),
        "mql_to_sql": ("sql", "mql"),
        "win_rate": ("won", "leads"),
    }
    panels = []
    for rate in rates:
        num, den = counts[rate]
        total_x, total_n = int(d[num].sum()), int(d[den].sum())
        pooled = total_x / total_n if total_n else None
        hover = [
            f"<b>{html.escape(name)}</b><br>"
            + ui.tr(
                "quality.hover_rate",
                value=fmt_percent(None if is_missing(r[rate]) else float(r[rate]), lang),
                interval=interval_text(
                    r[f"{rate}_low"], r[f"{rate}_high"], lambda x: fmt_percent(x, lang), lang
                ),
                x=fmt_int(r[num], lang),
                n=fmt_int(r[den], lang),
            )
            + (
                ""
                if is_missing(r[f"{rate}_verdict"])
                else "<br>" + verdict_text(r[f"{rate}_verdict"], lang)
            )
            for name, r in zip(rows, d.to_dict(orient="records"), strict=True)
        ]
        panels.append(
            Panel(
                title=ui.tr(f"quality.col.{rate}"),
                values=list(d[rate]),
                lows=list(d[f"{rate}_low"]),
                highs=list(d[f"{rate}_high"]),
                verdicts=list(d[f"{rate}_verdict"]),
                hover=hover,
                axis_title=ui.tr(f"quality.axis.{rate}"),
                reference=pooled,
                reference_text=ui.tr("quality.all_rows", value=fmt_percent(pooled, lang)),
            )
        )
    show_chart(dot_whisker(rows, panels, lang))
    if filters.mode != "cohort":
        st.caption(":material/info: " + ui.tr("quality.activity_no_intervals"))
    table = breakdown_table(df, by, lang, currency)
    table_on_demand(
        ui.tr(f"quality.{by}_table"),
        by,
        lambda: show_breakdown(table, df, lang, currency),
        table,
        f"voronka-conversion-by-{by}",
    )
    ui.explain([filters.mode, *rates, "confidence_interval", "vs_rest"], [parts.query])


# ---------------------------------------------------------------------------------------------
# BANT at each stage


def temperature_section(filters: Filters, parts: QualityBreakdowns, lang: str) -> None:
    st.subheader(ui.tr("quality.temperature_title"))
    st.caption(ui.tr("quality.temperature_caption"))
    df = parts.bant
    if int(df["leads"].sum()) == 0:
        ui.no_data()
        return
    stage_names = {s: ui.stage_label(s) for s in STAGES}
    plot_names = {s: plot_text(n) for s, n in stage_names.items()}
    traces: list[dict[str, Any]] = []
    for bant in BANT_BUCKETS:
        sub = df[df["bant_count"].isna()] if bant is None else df[df["bant_count"] == bant]
        by_stage = {r["stage"]: r for r in sub.to_dict(orient="records")}
        shares = [by_stage[s]["share"] for s in STAGES]
        counts = [int(by_stage[s]["leads"]) for s in STAGES]
        name = bant_name(bant, lang)
        traces.append(
            {
                "type": "bar",
                "y": [plot_names[s] for s in STAGES],
                "x": [0 if is_missing(v) else float(v) for v in shares],
                "orientation": "h",
                "name": name,
                "marker": {"color": BANT_COLORS[bant], "line": {"width": 0}},
                "text": [
                    fmt_percent(v, lang, 0) if not is_missing(v) and float(v) >= 0.06 else ""
                    for v in shares
                ],
                "textposition": "inside",
                "insidetextanchor": "middle",
                "textfont": {
                    "size": 12,
                    "color": "#1f2430" if bant in (0, 2, None) else "white",
                },
                "hovertext": [
                    f"<b>{html.escape(stage_names[s])}</b> · {html.escape(name)}<br>"
                    + ui.tr(
                        "quality.hover_bant",
                        count=fmt_int(n, lang),
                        share=fmt_percent(None if is_missing(v) else float(v), lang),
                    )
                    for s, n, v in zip(STAGES, counts, shares, strict=True)
                ],
                "hoverinfo": "text",
            }
        )
    spec = base_layout(320)
    spec.update(
        barmode="stack",
        separators=separators(lang),
        xaxis={
            "title": {"text": ui.tr("quality.axis_share")},
            "tickformat": ".0%",
            "range": [0, 1],
        },
        yaxis={"autorange": "reversed", "automargin": True},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "traceorder": "normal"},
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        plot_bgcolor="white",
    )
    show_chart(go.Figure({"data": traces, "layout": spec}))
    table = df.copy()
    table = pd.DataFrame(
        {
            ui.tr("quality.col.stage"): [stage_names[s] for s in table["stage"]],
            ui.tr("quality.col.bant"): [
                bant_name(None if is_missing(b) else int(b), lang) for b in table["bant_count"]
            ],
            ui.tr("quality.col.leads"): table["leads"],
            ui.tr("quality.col.share"): table["share"],
        }
    )
    formats = {
        ui.tr("quality.col.leads"): lambda v: fmt_int(v, lang),
        ui.tr("quality.col.share"): lambda v: fmt_percent(v, lang),
    }
    table_on_demand(
        ui.tr("quality.temperature_table"),
        "bant",
        lambda: formatted_table(table, formats),
        table,
        "voronka-bant-by-stage",
    )
    ui.explain(["bant_count", filters.mode, "reached"], [parts.query])


# ---------------------------------------------------------------------------------------------
# The audit


def audit_section(filters: Filters, lang: str) -> None:
    st.subheader(ui.tr("quality.audit_title"))
    st.caption(ui.tr("quality.audit_caption"))
    audit: AuditSummary = ui.compute("bant_audit", filters)
    share = lambda x, n: fmt_percent(x / n if n else None, lang)  # noqa: E731
    ui.kpi_row(
        [
            Tile(
                ui.tr("quality.tile_mql"),
                fmt_int(audit.mql_offending, lang),
                help=ui.tr(
                    "quality.tile_of",
                    checked=fmt_int(audit.mql_checked, lang),
                    share=share(audit.mql_offending, audit.mql_checked),
                ),
            ),
            Tile(
                ui.tr("quality.tile_sql"),
                fmt_int(audit.sql_offending, lang),
                help=ui.tr(
                    "quality.tile_of",
                    checked=fmt_int(audit.sql_checked, lang),
                    share=share(audit.sql_offending, audit.sql_checked),
                ),
            ),
            Tile(ui.tr("quality.tile_offending"), fmt_int(audit.offending, lang)),
            Tile(
                ui.tr("quality.tile_unrecorded"),
                fmt_int(audit.mql_unrecorded, lang),
                help=ui.tr("quality.tile_unrecorded_help"),
            ),
        ],
        per_row=4,
    )
    st.caption(
        ui.tr(
            "quality.audit_shares",
            mql=share(audit.mql_offending, audit.mql_checked),
            mql_checked=fmt_int(audit.mql_checked, lang),
            sql=share(audit.sql_offending, audit.sql_checked),
            sql_checked=fmt_int(audit.sql_checked, lang),
        )
    )
    if audit.offending == 0:
        st.success(ui.tr("quality.audit_clean"), icon=":material/check_circle:")
        ui.explain(["bant_audit", "bant_count"], [bant_audit_query(filters)])
        return

    pages = max(1, math.ceil(audit.offending / PAGE_SIZE))
    current = min(max(int(st.session_state.get("ql_page", 1) or 1), 1), pages)
    st.session_state["ql_page"] = current
    left, right = st.columns([1, 3])
    key = f"w.ql_page.{pages}"  # a new page count (other filters) gets a fresh widget
    st.session_state[key] = current

    def changed() -> None:
        st.session_state["ql_page"] = st.session_state[key]

    left.number_input(
        ui.tr("quality.page", pages=fmt_int(pages, lang)),
        min_value=1,
        max_value=pages,
        step=1,
        key=key,
        on_change=changed,
    )
    first = (current - 1) * PAGE_SIZE
    leads: pd.DataFrame = ui.compute(
        "bant_audit_leads", filters, limit=PAGE_SIZE, offset=first, show_contacts=ui.show_contacts()
    )
    right.caption(
        ui.tr(
            "quality.page_caption",
            first=fmt_int(first + 1, lang),
            last=fmt_int(first + len(leads), lang),
            total=fmt_int(audit.offending, lang),
        )
    )
    campaign_names = dict(ui.options().campaigns)
    stage_names = {s: ui.stage_label(s, one=True) for s in STAGES}
    table = audit_table(leads, lang, campaign_names, stage_names)
    st.dataframe(
        table,
        hide_index=True,
        placeholder="–",
        width="stretch",
        height=38 + 35 * max(len(table), 1) + 2,  # the whole page, no inner scroll bar
        column_config={
            ui.tr("quality.col.created"): st.column_config.DatetimeColumn(
                format="YYYY-MM-DD HH:mm"
            ),
            **{
                ui.tr(f"quality.col.{c}"): st.column_config.CheckboxColumn(width="small")
                for c in BANT_COLUMNS
            },
        },
    )
    ui.download_table(table, f"voronka-bant-audit-page-{current}", "dl_audit_page")
    export_all(filters, audit.offending, lang, campaign_names, stage_names)
    ui.explain(
        ["bant_audit", "bant_count", filters.mode],
        [bant_audit_query(filters), bant_audit_leads_query(filters, PAGE_SIZE, first)],
    )


def audit_table(
    leads: pd.DataFrame, lang: str, campaigns: dict[str, str], stages: dict[str, str]
) -> pd.DataFrame:
    """The offending leads with the page's column names (contacts are masked by analytics)."""

    def c(name: str) -> str:
        return t(f"quality.col.{name}", lang)

    out = pd.DataFrame(
        {
            c("lead_id"): leads["lead_id"],
            c("created"): leads["created_at"],
            c("company"): leads["company"],
            c("email"): leads["email"],
            c("phone"): leads["phone"],
            c("owner"): leads["owner"],
            c("source"): [
                label("source", v, lang) if not is_missing(v) else "–" for v in leads["source"]
            ],
            c("campaign"): [
                campaigns.get(str(v), str(v)) if not is_missing(v) else "–"
                for v in leads["campaign_id"]
            ],
            c("stage"): [stages.get(str(v), str(v)) for v in leads["stage"]],
            c("status"): [label("status", str(v), lang) for v in leads["status"]],
        }
    )
    for col in BANT_COLUMNS:
        out[c(col)] = leads[col].astype("boolean")
    out[c("bant")] = leads["bant_count"].astype("Int64")
    out[c("rule")] = [t(f"quality.rule.{r}", lang) for r in leads["rule"]]
    return out


def export_all(
    filters: Filters,
    total: int,
    lang: str,
    campaigns: dict[str, str],
    stages: dict[str, str],
) -> None:
    """Every offending lead (up to EXPORT_LIMIT), built only when the button is pressed."""
    source = current_source()
    show = ui.show_contacts()

    def frame() -> pd.DataFrame:
        with source.reading() as con:
            leads = bant_audit_leads(con, filters, limit=EXPORT_LIMIT, offset=0, show_contacts=show)
        return audit_table(leads, lang, campaigns, stages)

    n = min(total, EXPORT_LIMIT)
    cols = st.columns([2, 2, 3])
    cols[0].download_button(
        ui.tr("quality.export_csv", n=fmt_int(n, lang)),
        lambda: to_csv_bytes(frame()),
        file_name="voronka-bant-audit.csv",
        mime="text/csv",
        key="dl_audit_all_csv",
        icon=":material/download:",
        type="tertiary",
    )
    cols[1].download_button(
        ui.tr("quality.export_xlsx", n=fmt_int(n, lang)),
        lambda: to_xlsx_bytes(frame()),
        file_name="voronka-bant-audit.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="dl_audit_all_xlsx",
        icon=":material/table_view:",
        type="tertiary",
    )
    if total > EXPORT_LIMIT:
        st.caption(ui.tr("quality.export_capped", limit=fmt_int(EXPORT_LIMIT, lang)))


# ---------------------------------------------------------------------------------------------


def main() -> None:
    lang = ui.language()
    filters: Filters = ui.sidebar_filters()
    currency = str(ui.settings()["currency"])

    st.title(ui.tr("quality.title"))
    ui.ignored_params_notice()
    ui.demo_banner()
    mode_name = label("mode", filters.mode, lang).lower()
    st.caption(ui.tr("quality.subtitle", period=ui.period_text(filters), mode=mode_name))

    # segment, source, owner and BANT by stage come from one query (one scan of the leads)
    parts: QualityBreakdowns = ui.compute("quality_breakdowns", filters)
    if parts.segment.empty:  # no lead in this view: one plain message, not one per section
        ui.no_data()
        return
    segment_section(filters, parts, lang, currency)
    temperature_section(filters, parts, lang)
    audit_section(filters, lang)
    breakdown_section(filters, parts, "source", ("mql_yield", "win_rate"), lang, currency)
    breakdown_section(filters, parts, "owner", ("mql_to_sql", "win_rate"), lang, currency)


ui.require_shell()  # inside dashboard.py, also on a fresh server (ui/shell.py)
main()
