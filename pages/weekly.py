"""Weekly review: the sales director's Monday page.

The chosen week (by default the last complete one) against the week before, what moved most
and through which channel, the last 12 weeks, cohorts by creation week, velocity and the
pipeline forecast. Weekly numbers are activity counts whatever the sidebar's counting mode.
"""

from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import ui
from analytics.filters import Filters
from analytics.formatting import (
    currency_symbol,
    fmt_change_pct,
    fmt_change_pp,
    fmt_date,
    fmt_date_range,
    fmt_day_month,
    fmt_int,
    fmt_money,
    fmt_number,
    fmt_percent,
    fmt_signed_int,
)
from analytics.metrics import Forecast, WeeklyReview, biggest_move, compare_weeks, move_sentence
from analytics.metrics.cohorts import COHORT_STAGES
from analytics.metrics.review import COHORT_WEEKS, TREND_WEEKS
from analytics.metrics.weekly import REVIEW_METRICS
from analytics.model import VELOCITY_PAIRS
from analytics.weeks import (
    WeekStart,
    last_complete_week,
    parse_week,
    week_end,
    week_label,
    weeks_between,
)
from ui import url
from ui.charts import STAGE_COLORS, layout, plain
from ui.components import Tile, md_escape
from ui.filters import today

WEEK_KEY = "wk_week"  #: canonical state: the chosen week's label; URL parameter "week"
#: tables and explanations are built only while their expander is open (a faster rerun)

#: how each review metric is shown: format kind, delta colour (costs are better when lower)
KINDS = {
    "leads": ("int", "normal"),
    "mql": ("int", "normal"),
    "sql": ("int", "normal"),
    "opportunity": ("int", "normal"),
    "won": ("int", "normal"),
    "revenue": ("money", "normal"),
    "spend": ("money", "off"),
    "cost_per_lead": ("money", "inverse"),
    "cost_per_client": ("money", "inverse"),
    "mql_to_sql": ("rate", "normal"),
}


#: the review metrics named after a stage: the CRM's own stage names replace them
RENAMED = ("mql", "sql", "opportunity", "won")


def week_start_setting() -> WeekStart:
    """The week_start setting; anything but "sunday" means ISO weeks."""
    value = str(ui.settings().get("week_start") or "monday").strip().lower()
    return "sunday" if value == "sunday" else "monday"


def metric_names() -> dict[str, str]:
    """Names of the review metrics: the CRM's own stage names where the settings give them."""
    custom = ui.settings().get("stage_labels") or {}
    return {
        m: str(custom[m]) if m in RENAMED and custom.get(m) else ui.tr(f"weekly.metric.{m}")
        for m in REVIEW_METRICS
    }


def tile_names(names: dict[str, str]) -> dict[str, str]:
    """Short names for the narrow tiles; the CRM's own stage names win where set."""
    custom = ui.settings().get("stage_labels") or {}
    return {
        m: names[m] if m in RENAMED and custom.get(m) else ui.tr(f"weekly.tile.{m}")
        for m in REVIEW_METRICS
    }


def pick_week(week_start: WeekStart, lang: str) -> date:
    """The week selector (newest first), seeded from the URL; returns the week's first day."""
    first, last = ui.span()
    default = last_complete_week(today(), last, week_start)
    starts = weeks_between(first or default, max(default, first or default), week_start)
    starts = [w for w in starts if w <= default] or [default]
    labels = [week_label(w, week_start) for w in reversed(starts)]
    by_label = dict(zip(labels, reversed(starts), strict=True))

    def parse(text: str) -> str | None:
        start = parse_week(text, week_start)
        name = week_label(start, week_start) if start else None
        return name if name in by_label else None

    url.seed_once("_week_seeded", [(WEEK_KEY, "week", False, parse, labels[0])])
    url.register(WEEK_KEY, "week", labels[0])  # the default moves with the data and the day
    current = parse(str(st.session_state.get(WEEK_KEY) or ""))
    st.session_state[WEEK_KEY] = current or labels[0]

    def shown(name: str) -> str:
        start = by_label[name]
        days = fmt_date_range(start, week_end(start), lang)
        return f"{name} · {days}" if week_start == "monday" else days

    st.selectbox(
        ui.tr("weekly.week"),
        labels,
        format_func=shown,
        help=ui.tr("weekly.week_help"),
        **url.bind(WEEK_KEY),
    )
    return by_label[st.session_state[WEEK_KEY]]


# -- formatting ---------------------------------------------------------------------------------


def fmt_value(metric: str, value: float | None, lang: str, currency: str) -> str:
    if value is not None and pd.isna(value):
        value = None  # undefined (a zero denominator, or spend with a lead-level filter)
    kind = KINDS[metric][0]
    if kind == "int":
        return fmt_int(value, lang)
    if kind == "rate":
        return fmt_percent(value, lang)
    return fmt_money(value, currency, lang, compact=True, symbol=False)


def fmt_change(metric: str, row: dict, lang: str) -> str | None:
    """The absolute change: "+12", "-1.2K", "+3.0 pp", "0"; None without one."""
    change = row["change"]
    if change is None or pd.isna(change):
        return None
    kind = KINDS[metric][0]
    if kind == "rate":
        return fmt_change_pp(change, lang)
    if round(change, 2) == 0:
        return "0"
    if kind == "int":
        return fmt_signed_int(change, lang)
    sign = "+" if change > 0 else "-"
    return sign + fmt_money(abs(change), "", lang, compact=True, symbol=False)


def fmt_pct(row: dict, lang: str) -> str | None:
    pct = row["change_pct"]
    return None if pct is None or pd.isna(pct) else fmt_change_pct(pct, lang)


def fmt_delta(metric: str, row: dict, lang: str) -> str | None:
    """What a tile shows as its change. Counts: "+12 (+8.3%)" (or "+12" from zero). Money and
    MQL -> SQL: the relative change (points for the rate), which is what reads at a glance in a
    narrow tile; their absolute change is in the tile's help and in the table below."""
    change, pct = fmt_change(metric, row, lang), fmt_pct(row, lang)
    if change is None or change == "0":
        return change
    kind = KINDS[metric][0]
    if kind == "int":
        return f"{change} ({pct})" if pct else change
    if kind == "rate":
        return change
    return pct or change


# -- sections -----------------------------------------------------------------------------------


def review_tiles(cmp: pd.DataFrame, names: dict[str, str], lang: str, currency: str) -> None:
    symbol = currency_symbol(currency)
    short = tile_names(names)
    tiles = []
    for row in cmp.to_dict(orient="records"):
        metric = row["metric"]
        kind, color = KINDS[metric]
        title = md_escape(short[metric]) + (f", {symbol}" if kind == "money" else "")
        # each review metric has its definition under its own name in the metric catalogue
        definition = ui.tr(f"metrics.{metric}.definition")
        help_text = f"**{ui.tr(f'metrics.{metric}.title')}.** {definition}"
        help_text += "\n\n" + ui.tr(
            "weekly.tile_help",
            previous=fmt_value(metric, row["previous"], lang, currency),
            change=fmt_change(metric, row, lang) or "–",
            pct=fmt_pct(row, lang) or "–",
        )
        tiles.append(
            Tile(
                title,
                fmt_value(metric, row["now"], lang, currency),
                fmt_delta(metric, row, lang),
                color,
                help_text,
            )
        )
    ui.kpi_row(tiles, per_row=5)


def comparison_table(
    cmp: pd.DataFrame, names: dict[str, str], week: date, lang: str, currency: str
) -> None:
    col = {k: ui.tr(f"weekly.col_{k}") for k in ("metric", "now", "previous", "change", "pct")}
    frame = pd.DataFrame(
        {
            col["metric"]: [names[m] for m in cmp["metric"]],
            col["now"]: cmp["now"],
            col["previous"]: cmp["previous"],
            col["change"]: cmp["change"],
            col["pct"]: cmp["change_pct"],
        }
    )
    ui.table_section(
        ui.tr("weekly.table_title"),
        frame,
        f"voronka-week-{week.isoformat()}",
        key="t_week",
        download_key="dl_week",
        column_config={
            col["now"]: st.column_config.NumberColumn(format="localized"),
            col["previous"]: st.column_config.NumberColumn(format="localized"),
            col["change"]: st.column_config.NumberColumn(format="localized"),
            col["pct"]: st.column_config.NumberColumn(format="percent"),
        },
        caption=ui.tr("weekly.table_units", currency=currency_symbol(currency)),
    )


@st.fragment
def trend_chart(
    trend: pd.DataFrame, week: date, names: dict[str, str], lang: str, currency: str
) -> None:
    """One metric over the last weeks, picked with a switch; the chosen week is the dark bar.

    A fragment: switching the metric redraws this chart only, not the page.
    """
    short = tile_names(names)
    labels = {m: md_escape(short[m]) for m in REVIEW_METRICS}  # bound now: formatted later
    metric = st.segmented_control(
        ui.tr("weekly.trend_metric"),
        REVIEW_METRICS,
        format_func=labels.get,
        default="leads",
        required=True,
        key="wk_trend",
        label_visibility="collapsed",
    )
    metric = metric or "leads"
    kind = KINDS[metric][0]
    values = [None if pd.isna(v) else float(v) for v in trend[metric]]
    shown = [None if v is None else (v * 100 if kind == "rate" else v) for v in values]
    spans = [fmt_date_range(w, week_end(w), lang) for w in trend["week"]]
    text = [fmt_value(metric, v, lang, currency) for v in values]
    base = {
        "leads": STAGE_COLORS["lead"],
        "mql": STAGE_COLORS["mql"],
        "sql": STAGE_COLORS["sql"],
        "opportunity": STAGE_COLORS["opportunity"],
        "won": STAGE_COLORS["won"],
    }.get(metric, "#7f7f7f")
    unit = currency_symbol(currency) if kind == "money" else ("%" if kind == "rate" else "")
    title = plain(f"{names[metric]}, {unit}" if unit else names[metric])
    fig = go.Figure(
        data=[
            {
                "type": "bar",
                "x": [fmt_day_month(w, lang) for w in trend["week"]],
                "y": shown,
                "text": text,
                "textposition": "outside",
                "textfont": {"size": 12},
                "cliponaxis": False,
                "marker": {
                    "color": base,
                    "opacity": [1.0 if w == week else 0.45 for w in trend["week"]],
                },
                "customdata": spans,
                "hovertemplate": "%{customdata}: %{text}<extra></extra>",
            }
        ],
        layout={
            "yaxis": {
                "title": {"text": title},
                "rangemode": "tozero",
                "separatethousands": True,
            },
            "xaxis": {"type": "category", "title": {"text": ui.tr("weekly.trend_axis")}},
            "bargap": 0.3,
        },
    )
    layout(fig, 320).update_layout(
        margin={"l": 10, "r": 10, "t": 24, "b": 10}, separators=separators(lang)
    )
    st.plotly_chart(fig, width="stretch", config={"displayModeBar": False})


def separators(lang: str) -> str:
    """Plotly's decimal and thousands separators for the language (axis ticks, hover)."""
    return ", " if lang == "ru" else ".,"


def cohort_heatmap(cohorts: pd.DataFrame, lang: str) -> None:
    """Rows = creation weeks (newest on top), columns = stages; colour compares cohorts within
    a column (the share of the column's best cohort), text = the share itself."""
    df = cohorts.iloc[::-1].reset_index(drop=True)
    stages = list(COHORT_STAGES)
    y = [
        ui.tr(
            "weekly.cohort_row",
            week=fmt_day_month(w, lang),
            leads=fmt_int(n, lang),
        )
        for w, n in zip(df["week"], df["leads"], strict=True)
    ]
    stage_name = {s: plain(ui.stage_label(s)) for s in stages}  # once: it reads the settings
    x = [stage_name[s] for s in stages]
    bests = {s: cohorts[f"share_{s}"].max() for s in stages}  # colour: share of the best
    # one trace, two colour ranges: mature cohorts on 0..1 (blue), young ones on 2..3 (grey)
    z, text, hover = [], [], []
    for r in df.to_dict(orient="records"):
        row_z, row_t, row_h = [], [], []
        span = fmt_date_range(r["week"], week_end(r["week"]), lang)
        leads, age = fmt_int(r["leads"], lang), fmt_int(r["age_days"], lang)
        offset = 0 if r["mature"] else 2
        for s in stages:
            share = r[f"share_{s}"]
            best = bests[s]
            rel = None if pd.isna(share) or not best or pd.isna(best) else share / best
            row_z.append(None if rel is None else offset + rel)
            row_t.append("" if pd.isna(share) else fmt_percent(share, lang, 0))
            row_h.append(
                ui.tr(
                    "weekly.cohort_hover",
                    week=span,
                    stage=stage_name[s],
                    count=fmt_int(r[s], lang),
                    leads=leads,
                    share=fmt_percent(None if pd.isna(share) else share, lang),
                    age=age,
                )
            )
        z.append(row_z)
        text.append(row_t)
        hover.append(row_h)
    heat = {
        "type": "heatmap",
        "x": x,
        "y": y,
        "z": z,
        "text": text,
        "texttemplate": "%{text}",
        "textfont": {"size": 12},
        "hovertext": hover,
        "hoverinfo": "text",
        "zmin": 0,
        "zmax": 3,
        "colorscale": [[0, "#eef4fa"], [1 / 3, "#2b6cb0"], [2 / 3, "#f6f6f6"], [1, "#c4c4c4"]],
        "showscale": False,
        "xgap": 2,
        "ygap": 2,
    }
    fig = go.Figure(
        data=[heat],
        layout={
            "xaxis": {"side": "top", "tickfont": {"size": 13}},
            "yaxis": {"autorange": "reversed", "tickfont": {"size": 11}, "type": "category"},
        },
    )
    layout(fig, 90 + 21 * len(df)).update_layout(margin={"l": 10, "r": 10, "t": 40, "b": 10})
    st.plotly_chart(fig, width="stretch", config={"displayModeBar": False})


def cohort_table(cohorts: pd.DataFrame, week_start: WeekStart, lang: str) -> None:
    col = {
        k: ui.tr(f"weekly.cohort_col_{k}") for k in ("week", "first_day", "leads", "age", "mature")
    }
    frame = pd.DataFrame(
        {
            col["week"]: cohorts["label"],
            col["first_day"]: cohorts["week"],
            col["leads"]: cohorts["leads"],
            **{ui.stage_label(s): cohorts[f"share_{s}"] for s in COHORT_STAGES},
            col["age"]: cohorts["age_days"],
            col["mature"]: cohorts["mature"],
        }
    ).iloc[::-1]
    ui.table_section(
        ui.tr("weekly.cohort_table"),
        frame,
        "voronka-cohorts",
        key="t_cohorts",
        download_key="dl_cohorts",
        column_config={
            ui.stage_label(s): st.column_config.NumberColumn(format="percent")
            for s in COHORT_STAGES
        },
    )


def velocity_chart(vel: pd.DataFrame, lang: str) -> None:
    names = [
        plain(f"{ui.stage_label(a, one=True)} → {ui.stage_label(b, one=True)}")
        for a, b in VELOCITY_PAIRS
    ]
    names[-1] = ui.tr("weekly.sales_cycle")
    fig = go.Figure()
    shades = {"median_days": "#08519c", "p75_days": "#4292c6", "p90_days": "#9ecae1"}
    for column, color in shades.items():
        values = [None if pd.isna(v) else float(v) for v in vel[column]]
        fig.add_trace(
            go.Bar(
                y=names,
                x=values,
                orientation="h",
                name=ui.tr(f"weekly.vel_{column}"),
                marker={"color": color},
                text=[fmt_number(v, lang) if v is not None else "" for v in values],
                textposition="outside",
                textfont={"size": 12},
                constraintext="none",
                cliponaxis=False,
                hovertemplate="%{y}: %{text} " + ui.tr("weekly.days_unit") + "<extra></extra>",
            )
        )
    layout(fig, 400).update_layout(
        barmode="group",
        bargap=0.25,
        yaxis={"autorange": "reversed", "tickfont": {"size": 13}},
        xaxis={"title": {"text": ui.tr("weekly.days_axis")}, "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.22, "x": 0},
        margin={"l": 10, "r": 40, "t": 10, "b": 10},
    )
    st.plotly_chart(fig, width="stretch", config={"displayModeBar": False})


def velocity_table(vel: pd.DataFrame) -> None:
    col = {
        k: ui.tr(f"weekly.vcol_{k}")
        for k in ("step", "n", "median", "p75", "p90", "mean", "excluded")
    }
    steps = [
        f"{ui.stage_label(a, one=True)} → {ui.stage_label(b, one=True)}" for a, b in VELOCITY_PAIRS
    ]
    frame = pd.DataFrame(
        {
            col["step"]: steps,
            col["n"]: vel["n"],
            col["median"]: vel["median_days"],
            col["p75"]: vel["p75_days"],
            col["p90"]: vel["p90_days"],
            col["mean"]: vel["mean_days"],
            col["excluded"]: vel["excluded"],
        }
    )
    fmt = st.column_config.NumberColumn(format="%.1f")
    ui.table_section(
        ui.tr("weekly.velocity_table"),
        frame,
        "voronka-velocity",
        key="t_velocity",
        download_key="dl_velocity",
        column_config={col[k]: fmt for k in ("median", "p75", "p90", "mean")},
    )


def forecast_section(fc: Forecast, lang: str, currency: str) -> None:
    symbol = currency_symbol(currency)
    closed_total = int(fc.stages["closed"].iloc[0]) if len(fc.stages) else 0
    tiles = [
        Tile(
            ui.tr("weekly.fc_open"),
            fmt_int(fc.open_leads, lang),
            help=ui.tr("weekly.fc_open_help"),
        ),
        Tile(
            ui.tr("weekly.fc_wins"),
            fmt_int(fc.expected_wins, lang),
            help=ui.tr("weekly.fc_wins_help", closed=fmt_int(closed_total, lang)),
        ),
        Tile(
            ui.tr("weekly.fc_revenue") + f", {symbol}",
            fmt_money(fc.expected_revenue, currency, lang, compact=True, symbol=False),
            help=ui.tr(
                "weekly.fc_revenue_help",
                deals=fmt_int(fc.deals, lang),
                average=fmt_money(fc.average_deal, currency, lang),
            ),
        ),
    ]
    ui.kpi_row(tiles, per_row=3)
    col = {
        k: ui.tr(f"weekly.fcol_{k}")
        for k in ("stage", "open", "closed", "won", "p", "expected", "note")
    }
    frame = pd.DataFrame(
        {
            col["stage"]: [ui.stage_label(s) for s in fc.stages["stage"]],
            col["open"]: fc.stages["open_leads"],
            col["closed"]: fc.stages["closed"],
            col["won"]: fc.stages["won"],
            col["p"]: fc.stages["p_won"],
            col["expected"]: fc.stages["expected_wins"],
        }
    )
    notes = [
        ui.tr("weekly.fc_none") if c == 0 else (ui.tr("weekly.fc_few") if few else "")
        for c, few in zip(fc.stages["closed"], fc.stages["few"], strict=True)
    ]
    if any(notes):
        frame[col["note"]] = notes
    st.dataframe(
        frame,
        hide_index=True,
        placeholder="–",
        width="stretch",
        column_config={
            col["open"]: st.column_config.NumberColumn(format="localized"),
            col["closed"]: st.column_config.NumberColumn(format="localized"),
            col["won"]: st.column_config.NumberColumn(format="localized"),
            col["p"]: st.column_config.NumberColumn(format="percent"),
            col["expected"]: st.column_config.NumberColumn(format="%.1f"),
        },
    )
    ui.download_table(frame, "voronka-forecast", "dl_forecast")
    notes = [
        ui.tr(
            "weekly.fc_window",
            start=fmt_date(fc.window_from, lang),
            end=fmt_date(fc.as_of, lang),
            deals=fmt_int(fc.deals, lang),
            average=fmt_money(fc.average_deal, currency, lang),
        )
    ]
    if fc.uncovered_open:
        notes.append(ui.tr("weekly.fc_uncovered", count=fmt_int(fc.uncovered_open, lang)))
    if fc.undated_closed:
        notes.append(ui.tr("weekly.fc_undated", count=fmt_int(fc.undated_closed, lang)))
    st.caption(":material/info: " + " ".join(notes))


# -- the page -----------------------------------------------------------------------------------


def main() -> None:
    lang = ui.language()
    week_start = week_start_setting()
    filters: Filters = ui.sidebar_filters(period_note=ui.tr("weekly.sidebar_note"))
    currency = str(ui.settings()["currency"])
    names = metric_names()

    st.title(ui.tr("weekly.title"))
    week = pick_week(week_start, lang)
    ui.ignored_params_notice()
    ui.demo_banner()

    _, last = ui.span()
    as_of = min(today(), last) if last else today()
    cycle = ui.sales_cycle()
    review: WeeklyReview = ui.compute(
        "weekly_review", filters, week=week, as_of=as_of, cycle_days=cycle, week_start=week_start
    )
    trend = review.trend
    previous = week - timedelta(days=7)
    st.caption(
        ui.tr(
            "weekly.subtitle",
            week=fmt_date_range(week, week_end(week), lang),
            previous=fmt_date_range(previous, week_end(previous), lang),
        )
    )
    counts = ["leads", "mql", "sql", "opportunity", "won"]
    if not trend[counts].to_numpy().any() and not trend["spend"].fillna(0).any():
        ui.no_data()
        return

    # -- the week against the one before
    cmp = compare_weeks(trend, week)
    move = biggest_move(review.channels)
    icon = ":material/trending_flat:"
    if move.kind == "move":
        icon = ":material/trending_up:" if move.change > 0 else ":material/trending_down:"
    st.info(md_escape(move_sentence(move, lang, names)), icon=icon)
    review_tiles(cmp, names, lang, currency)
    st.caption(":material/info: " + ui.tr("weekly.activity_note"))
    if not filters.costs_defined:
        ui.cost_note(filters.lead_level_filters)
    comparison_table(cmp, names, week, lang, currency)
    ui.explain(
        ["week_review", "week_summary", "week_start", "cost_per_lead", "cost_per_client"],
        [review.queries["weekly"], review.queries["channel_weeks"]],
        key="x_week",
    )

    # -- the last 12 weeks
    st.subheader(ui.tr("weekly.trend_title", weeks=TREND_WEEKS))
    st.caption(ui.tr("weekly.trend_caption"))
    trend_chart(trend, week, names, lang, currency)

    # -- cohorts
    st.subheader(ui.tr("weekly.cohort_title", weeks=COHORT_WEEKS))
    cohorts = review.cohorts
    young = int((~cohorts["mature"]).sum())
    if cycle is None:
        st.caption(":material/info: " + ui.tr("weekly.cohort_no_cycle"))
    else:
        st.caption(
            ":material/hourglass_top: "
            + ui.tr(
                "weekly.cohort_caption",
                cycle=fmt_int(cycle, lang),
                young=fmt_int(young, lang),
                as_of=fmt_date(as_of, lang),
            )
        )
    cohort_heatmap(cohorts, lang)
    cohort_table(cohorts, week_start, lang)
    ui.explain(
        ["cohort_heatmap", "cohort_maturity", "reached"],
        [review.queries["cohorts"]],
        key="x_cohorts",
    )

    # -- velocity
    st.subheader(ui.tr("weekly.velocity_title"))
    vel = review.velocity
    window = review.window
    st.caption(
        ui.tr(
            "weekly.velocity_caption",
            period=fmt_date_range(window.date_from, window.date_to, lang),
        )
    )
    if int(vel["n"].sum()) == 0:
        st.info(ui.tr("weekly.velocity_empty"), icon=":material/speed:")
    else:
        velocity_chart(vel, lang)
    excluded = int(vel["excluded"].sum())
    if excluded:
        st.caption(
            ":material/warning: " + ui.tr("notes.excluded_pairs", count=fmt_int(excluded, lang))
        )
    velocity_table(vel)
    ui.explain(["velocity", "activity"], [review.queries["velocity"]], key="x_velocity")

    # -- forecast
    st.subheader(ui.tr("weekly.forecast_title"))
    fc: Forecast = review.forecast
    st.caption(ui.tr("weekly.forecast_caption", as_of=fmt_date(as_of, lang)))
    forecast_section(fc, lang, currency)
    ui.explain(["forecast"], [fc.query], key="x_forecast")


ui.require_shell()  # inside dashboard.py, also on a fresh server (ui/shell.py)
main()
