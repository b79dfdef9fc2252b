"""Overview: KPI tiles against the previous period of equal length, and the funnel."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import ui
from analytics.filters import Filters
from analytics.formatting import (
    currency_symbol,
    fmt_change_pct,
    fmt_change_pp,
    fmt_int,
    fmt_money,
    fmt_percent,
)
from analytics.i18n import label
from analytics.metrics import Summary
from analytics.model import STAGES
from ui.charts import layout, plot_text, stage_colors
from ui.components import Tile
from ui.filters import today

#: (tile, how to read it from a Summary, format, delta colour (costs are better when lower),
#:  whether it still grows while a cohort matures)
TILES = (
    ("leads", lambda s: s.count("lead"), "int", "normal", False),
    ("mql", lambda s: s.count("mql"), "int", "normal", False),
    ("sql", lambda s: s.count("sql"), "int", "normal", True),
    ("won", lambda s: s.count("won"), "int", "normal", True),
    ("mql_to_sql", lambda s: s.mql_to_sql, "percent", "normal", True),
    ("revenue", lambda s: s.revenue, "money", "normal", True),
    ("spend", lambda s: s.spend, "money", "off", False),
    ("cost_per_lead", lambda s: s.cost_per_lead, "money", "inverse", False),
    ("cost_per_client", lambda s: s.cost_per_client, "money", "inverse", True),
    ("romi", lambda s: s.romi, "percent0", "normal", True),
)


def maturing_age(filters: Filters) -> tuple[int, float] | None:
    """(age in days of the newest leads, typical cycle) if a cohort view is still maturing."""
    cycle = ui.sales_cycle()
    if filters.mode != "cohort" or filters.date_to is None or cycle is None:
        return None
    age = (today() - filters.date_to).days
    return (max(age, 0), cycle) if age < cycle else None


def tiles(now: Summary, prev: Summary | None, lang: str, currency: str, young: bool) -> None:
    formats = {
        "int": lambda v: fmt_int(v, lang),
        "percent": lambda v: fmt_percent(v, lang),
        "percent0": lambda v: fmt_percent(v, lang, 0),
        "money": lambda v: fmt_money(v, currency, lang, compact=True, symbol=False),
    }
    symbol = currency_symbol(currency)
    out = []
    for key, read, kind, color, matures in TILES:
        cur, old = read(now), read(prev) if prev is not None else None
        delta = None
        if cur is not None and old is not None and kind.startswith("percent"):
            delta = fmt_change_pp(cur - old, lang)  # a rate changes by points, not percent
        elif cur is not None and old:
            delta = fmt_change_pct((cur - old) / old, lang)
        definition = f"**{ui.tr(f'metrics.{key}.title')}.** {ui.tr(f'metrics.{key}.definition')}"
        if young and matures and delta is not None:
            color = "off"
            definition += "\n\n" + ui.tr("overview.maturing_help")
        title = ui.tr(f"overview.tiles.{key}") + (f", {symbol}" if kind == "money" else "")
        out.append(Tile(title, formats[kind](cur), delta, color, definition))
    ui.kpi_row(out, per_row=5)


def funnel_chart(now: Summary, lang: str) -> None:
    texts = []
    for s in STAGES:
        params = {
            "count": fmt_int(now.count(s), lang),
            "overall": fmt_percent(now.overall_conversion(s), lang),
            "step": fmt_percent(now.step_conversion(s), lang),
        }
        texts.append(
            ui.tr("overview.funnel_text" if s == "lead" else "overview.funnel_text_step", **params)
        )
    fig = go.Figure(
        go.Funnel(
            y=[plot_text(ui.stage_label(s)) for s in STAGES],
            x=[now.count(s) for s in STAGES],
            text=texts,
            textinfo="text",
            textposition="outside",
            textfont={"size": 14, "color": "#31333f"},
            marker={"color": stage_colors()},
            connector={"fillcolor": "#eef1f5", "line": {"width": 0}},
            hoverinfo="skip",
            cliponaxis=False,
        )
    )
    layout(fig, 340).update_layout(
        margin={"l": 10, "r": 330, "t": 10, "b": 10}, yaxis={"tickfont": {"size": 14}}
    )
    st.plotly_chart(fig, width="stretch", config={"displayModeBar": False})


def funnel_table(now: Summary, prev: Summary | None, lang: str) -> None:
    col = {k: ui.tr(f"overview.col_{k}") for k in ("stage", "count", "step", "overall", "previous")}
    frame = pd.DataFrame(
        {
            col["stage"]: [ui.stage_label(s) for s in STAGES],
            col["count"]: [now.count(s) for s in STAGES],
            col["step"]: [now.step_conversion(s) for s in STAGES],
            col["overall"]: [now.overall_conversion(s) for s in STAGES],
        }
    )
    if prev is not None:
        frame[col["previous"]] = [prev.count(s) for s in STAGES]
    with st.expander(ui.tr("overview.funnel_table"), icon=":material/table:"):
        st.dataframe(
            frame,
            hide_index=True,
            placeholder="–",
            width="stretch",
            column_config={
                col["step"]: st.column_config.NumberColumn(format="percent"),
                col["overall"]: st.column_config.NumberColumn(format="percent"),
            },
        )
        ui.download_table(frame, "voronka-funnel", "dl_funnel")


def main() -> None:
    lang = ui.language()
    filters: Filters = ui.sidebar_filters()
    currency = str(ui.settings()["currency"])
    mode_name = label("mode", filters.mode, lang).lower()

    st.title(ui.tr("overview.title"))
    ui.ignored_params_notice()
    ui.demo_banner()

    now: Summary = ui.compute("summary", filters)
    prev_filters = filters.previous()
    prev: Summary | None = ui.compute("summary", prev_filters) if prev_filters else None
    if prev_filters:
        st.caption(
            ui.tr(
                "overview.subtitle",
                period=ui.period_text(filters),
                mode=mode_name,
                previous=ui.period_text(prev_filters),
            )
        )
    else:
        st.caption(
            ui.tr("overview.subtitle_nocompare", period=ui.period_text(filters), mode=mode_name)
        )

    if not any(now.counts.values()) and not now.spend:
        ui.no_data()
        return

    young = maturing_age(filters)
    tiles(now, prev, lang, currency, young is not None and prev is not None)
    if now.cost_note:
        ui.cost_note(now.cost_note.filters, now.cost_note.reason)
    if young is not None:
        age, cycle = young
        st.caption(
            ":material/hourglass_top: "
            + ui.tr("notes.cohort_young", age=age, cycle=fmt_int(cycle, lang))
        )
    else:
        note = "notes.cohort_maturing" if filters.mode == "cohort" else "notes.activity_explained"
        st.caption(":material/info: " + ui.tr(note))

    st.subheader(ui.tr("overview.funnel_title", mode=mode_name))
    funnel_chart(now, lang)
    for s in STAGES:
        if now.undated[s]:
            count, stage = fmt_int(now.undated[s], lang), ui.stage_label(s, one=True)
            st.caption(":material/warning: " + ui.tr("notes.undated", count=count, stage=stage))
    funnel_table(now, prev, lang)
    ui.explain(
        [
            filters.mode,
            "reached",
            "leads",
            "step_conversion",
            "overall_conversion",
            "mql_to_sql",
            "spend",
            "cost_per_lead",
            "cost_per_client",
            "revenue",
            "romi",
            "previous_period",
            "period",
        ],
        [now.query],
    )


ui.require_shell()  # inside dashboard.py, also on a fresh server (ui/shell.py)
main()
