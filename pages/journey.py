"""Customer journey: from awareness to sale, where leads go, how long they take, who stopped.

The funnels follow the sidebar's counting mode (as the Overview); the flows, the drop-off and the
list of leads that stopped always follow the cohort of the period (a flow needs a fixed group
of leads); time to convert counts the leads Velocity counts.
"""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import ui
from analytics import metrics
from analytics.filters import Filters
from analytics.formatting import fmt_int, fmt_number, fmt_percent
from analytics.i18n import label
from analytics.metrics import Flows, JourneyFunnel, JourneyView, StoppedPage, Summary, drop_off
from analytics.metrics.journey import EXPORT_LIMIT, JOURNEY_STEPS, STOPPED_COLUMNS
from analytics.model import STAGES, VELOCITY_PAIRS
from ui import url
from ui.charts import STAGE_COLORS, layout, plain
from ui.components import download_deferred, md_escape
from ui.data import current_source

PAGE_SIZE = 25
#: tables and explanations are built only while their expander is open (a faster rerun)
STOP_STAGES = STAGES[:-1]  #: a lead can stop at any stage but the last
OUTCOME_CHOICES = ("all", "lost", "nurture", "open")
PAIR_CODES = tuple(f"{a}-{b}" for a, b in VELOCITY_PAIRS)  #: "lead-won" is the sales cycle
AWARENESS_COLORS = {"impressions": "#c6dbef", "clicks": "#a6bddb"}
NODE_COLORS = {"lost": "#e45756", "nurture": "#eeca3b", "open": "#9a9a9a"}
OUTCOME_COLORS = {
    "lost": "rgba(228, 87, 86, 0.45)",
    "nurture": "rgba(238, 202, 59, 0.55)",
    "open": "rgba(150, 150, 150, 0.40)",
}


def step_name(step: str) -> str:
    return (
        ui.tr(f"journey.step.{step}") if step in ("impressions", "clicks") else ui.stage_label(step)
    )


def seed_state() -> None:
    url.seed_once(
        "_journey_seeded",
        [
            ("jr_stop", "stop", False, lambda v: v if v in STOP_STAGES else None, "sql"),
            ("jr_outcome", "outcome", False, lambda v: v if v in OUTCOME_CHOICES else None, "all"),
            ("jr_pair", "ttc", False, lambda v: v if v in PAIR_CODES else None, "lead-won"),
        ],
    )


# -- the funnels --------------------------------------------------------------------------------


def funnel_chart(jf: JourneyFunnel, now: Summary, lang: str) -> None:
    """Campaign leads from impressions to clients beside all leads from "lead" on; log scale."""
    steps = [s for s in JOURNEY_STEPS if jf.value(s) is not None]
    names = [plain(step_name(s)) for s in steps]
    attributed = [jf.value(s) for s in steps]
    texts = []
    for s, v in zip(steps, attributed, strict=True):
        conv = jf.step_conversion(s)
        texts.append(
            f"<b>{fmt_int(v, lang)}</b>"
            + ("" if conv is None else "  ·  " + fmt_percent(conv, lang, 2 if s == "clicks" else 1))
        )
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=names,
            x=[max(v or 0, 0.9) for v in attributed],  # a zero has no place on a log axis
            orientation="h",
            name=ui.tr("journey.series_attributed"),
            marker={"color": [AWARENESS_COLORS.get(s) or STAGE_COLORS[s] for s in steps]},
            text=texts,
            textposition="outside",
            textfont={"size": 12},
            constraintext="none",
            cliponaxis=False,
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    all_names = [plain(ui.stage_label(s)) for s in STAGES]
    all_texts = []
    for s in STAGES:
        conv = now.step_conversion(s)
        all_texts.append(
            fmt_int(now.count(s), lang)
            + ("" if conv is None else "  ·  " + fmt_percent(conv, lang))
        )
    fig.add_trace(
        go.Bar(
            y=all_names,
            x=[max(now.count(s), 0.9) for s in STAGES],
            orientation="h",
            name=ui.tr("journey.series_all"),
            marker={"color": "rgba(0,0,0,0)", "line": {"color": "#6b6b6b", "width": 1.5}},
            text=all_texts,
            textposition="outside",
            textfont={"size": 11, "color": "#6b6b6b"},
            constraintext="none",
            cliponaxis=False,
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    layout(fig, 460).update_layout(
        barmode="group",
        bargap=0.22,
        bargroupgap=0.05,
        yaxis={
            "autorange": "reversed",
            "tickfont": {"size": 13},
            "categoryorder": "array",
            "categoryarray": names,
        },
        xaxis={
            "type": "log",
            "dtick": 1,
            "title": {"text": ui.tr("journey.axis_log")},
            "showgrid": True,
        },
        legend={"orientation": "h", "y": -0.2, "x": 0},
        margin={"l": 10, "r": 150, "t": 10, "b": 10},
        separators=", " if lang == "ru" else ".,",
    )
    st.plotly_chart(fig, width="stretch", config={"displayModeBar": False})


def funnel_table(jf: JourneyFunnel, now: Summary) -> None:
    col = {
        k: ui.tr(f"journey.col_{k}") for k in ("step", "attributed", "att_conv", "all", "all_conv")
    }
    frame = pd.DataFrame(
        {
            col["step"]: [step_name(s) for s in JOURNEY_STEPS],
            col["attributed"]: [jf.value(s) for s in JOURNEY_STEPS],
            col["att_conv"]: [jf.step_conversion(s) for s in JOURNEY_STEPS],
            col["all"]: [None, None, *(now.count(s) for s in STAGES)],
            col["all_conv"]: [None, None, *(now.step_conversion(s) for s in STAGES)],
        }
    )
    ui.table_section(
        ui.tr("journey.funnel_table"),
        frame,
        "voronka-journey-funnel",
        key="t_funnel",
        download_key="dl_journey_funnel",
        column_config={
            col["att_conv"]: st.column_config.NumberColumn(format="percent"),
            col["all_conv"]: st.column_config.NumberColumn(format="percent"),
            col["attributed"]: st.column_config.NumberColumn(format="localized"),
            col["all"]: st.column_config.NumberColumn(format="localized"),
        },
    )


# -- where leads go -----------------------------------------------------------------------------


def outcome_name(outcome: str, reason: str | None, group: str | None) -> str:
    if outcome == "lost":
        if group == "other":
            return ui.tr("journey.lost_other")
        if group == "none":
            return ui.tr("journey.lost_none")
        return ui.tr("journey.lost_reason", reason=plain(str(reason)))
    return ui.tr(f"journey.outcome.{outcome}")


def sankey(flows: Flows, lang: str) -> None:
    df = flows.flows
    nodes: list[str] = []
    colors: list[str] = []
    index: dict[tuple[str, str | None], int] = {}

    def node(key: tuple[str, str | None], name: str, color: str) -> int:
        if key not in index:
            index[key] = len(nodes)
            nodes.append(name)
            colors.append(color)
        return index[key]

    stage_name = {s: plain(ui.stage_label(s)) for s in STAGES}  # once: it reads the settings
    for s in STAGES:
        node(
            ("stage", s),
            f"{stage_name[s]} · {fmt_int(flows.reached[s], lang)}",
            STAGE_COLORS[s],
        )
    records = [
        {
            **r,
            "reason": r["reason"] if pd.notna(r["reason"]) else None,
            "reason_group": r["reason_group"] if pd.notna(r["reason_group"]) else None,
        }
        for r in df.to_dict(orient="records")
    ]
    totals: dict[tuple[str, str | None], int] = {}
    for r in records:
        if r["outcome"] != "next":
            key = (f"{r['outcome']}:{r['reason_group']}", r["reason"])
            totals[key] = totals.get(key, 0) + int(r["leads"])
    sources, targets, values, link_colors, hovers = [], [], [], [], []
    for r in records:
        i = STAGES.index(r["from_stage"])
        src = index[("stage", r["from_stage"])]
        reason, group = r["reason"], r["reason_group"]
        if r["outcome"] == "next":
            dst = index[("stage", STAGES[i + 1])]
            link_color = "rgba(107, 174, 214, 0.35)"
        else:
            key = (f"{r['outcome']}:{group}", reason)
            name = f"{outcome_name(r['outcome'], reason, group)} · {fmt_int(totals[key], lang)}"
            dst = node(key, name, NODE_COLORS[r["outcome"]])
            link_color = OUTCOME_COLORS[r["outcome"]]
        sources.append(src)
        targets.append(dst)
        values.append(int(r["leads"]))
        link_colors.append(link_color)
        share = fmt_percent(r["leads"] / flows.reached[r["from_stage"]], lang)
        hovers.append(
            ui.tr(
                "journey.flow_hover",
                stage=stage_name[r["from_stage"]],
                leads=fmt_int(r["leads"], lang),
                share=share,
            )
        )
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={
                "label": nodes,
                "color": colors,
                "pad": 14,
                "thickness": 16,
                "line": {"width": 0},
                "hovertemplate": "%{label}<extra></extra>",
            },
            link={
                "source": sources,
                "target": targets,
                "value": values,
                "color": link_colors,
                "customdata": hovers,
                "hovertemplate": "%{customdata}<extra></extra>",
            },
            textfont={"size": 12, "color": "#31333f", "shadow": "none"},
        )
    )
    layout(fig, 560).update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 10})
    st.plotly_chart(fig, width="stretch", config={"displayModeBar": False})


def drop_off_chart(d: pd.DataFrame, lang: str) -> None:
    names = [
        plain(f"{ui.stage_label(a, one=True)} → {ui.stage_label(b, one=True)}")
        for a, b in zip(d["stage"], d["next_stage"], strict=True)
    ]
    fig = go.Figure()
    parts = [
        ("went_on", "#6baed6"),
        ("lost", "#e45756"),
        ("nurture", "#eeca3b"),
        ("open", "#bab0ac"),
    ]
    for column, color in parts:
        shares = [None if not r else v / r for v, r in zip(d[column], d["reached"], strict=True)]
        fig.add_trace(
            go.Bar(
                y=names,
                x=shares,
                orientation="h",
                name=ui.tr(f"journey.part.{column}"),
                marker={"color": color},
                text=[fmt_percent(v, lang, 0) if v and v >= 0.04 else "" for v in shares],
                textposition="inside",
                insidetextanchor="middle",
                textfont={"size": 12},
                customdata=[fmt_int(v, lang) for v in d[column]],
                hovertemplate="%{y}: %{customdata} (%{text})<extra>"
                + ui.tr(f"journey.part.{column}")
                + "</extra>",
            )
        )
    layout(fig, 300).update_layout(
        barmode="stack",
        yaxis={"autorange": "reversed", "tickfont": {"size": 13}},
        xaxis={
            "tickformat": ".0%",
            "range": [0, 1],
            "title": {"text": ui.tr("journey.axis_share")},
        },
        legend={"orientation": "h", "y": -0.35, "x": 0, "traceorder": "normal"},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
    )
    st.plotly_chart(fig, width="stretch", config={"displayModeBar": False})


def drop_off_table(d: pd.DataFrame) -> None:
    col = {
        k: ui.tr(f"journey.dcol_{k}")
        for k in ("step", "reached", "went_on", "stopped", "lost", "nurture", "open", "rate")
    }
    frame = pd.DataFrame(
        {
            col["step"]: [
                f"{ui.stage_label(a, one=True)} → {ui.stage_label(b, one=True)}"
                for a, b in zip(d["stage"], d["next_stage"], strict=True)
            ],
            col["reached"]: d["reached"],
            col["went_on"]: d["went_on"],
            col["stopped"]: d["stopped"],
            col["lost"]: d["lost"],
            col["nurture"]: d["nurture"],
            col["open"]: d["open"],
            col["rate"]: d["drop_rate"],
        }
    )
    ui.table_section(
        ui.tr("journey.drop_table"),
        frame,
        "voronka-drop-off",
        key="t_drop",
        download_key="dl_drop_off",
        column_config={col["rate"]: st.column_config.NumberColumn(format="percent")},
    )


# -- time to convert -----------------------------------------------------------------------------


def bucket_name(lo: int, hi: int | None, lang: str) -> str:
    if hi is None:
        return ui.tr("journey.bucket_open", lo=fmt_int(lo, lang))
    if lo == 0:
        return ui.tr("journey.bucket_first", hi=fmt_int(hi, lang))
    return f"{fmt_int(lo, lang)}–{fmt_int(hi, lang)}"


def time_to_convert_section(view: JourneyView, lang: str) -> None:
    filters = view.summary.filters
    ttc, vel = view.time_to_convert, view.velocity
    pair_names = {
        code: f"{ui.stage_label(a, one=True)} → {ui.stage_label(b, one=True)}"
        for code, (a, b) in zip(PAIR_CODES, VELOCITY_PAIRS, strict=True)
    }
    pair_names["lead-won"] = ui.tr("journey.sales_cycle")
    st.segmented_control(
        ui.tr("journey.pair"),
        PAIR_CODES,
        format_func=lambda c: md_escape(pair_names[c]),
        required=True,
        **url.bind("jr_pair"),
    )
    code = st.session_state.get("jr_pair") or "lead-won"
    a, b = code.split("-")
    rows = ttc[(ttc["from_stage"] == a) & (ttc["to_stage"] == b)]
    v = vel[(vel["from_stage"] == a) & (vel["to_stage"] == b)].iloc[0]
    n = int(v["n"])
    if n == 0:
        st.info(ui.tr("journey.ttc_empty"), icon=":material/timer_off:")
    else:
        names = [
            bucket_name(lo, None if pd.isna(hi) else int(hi), lang)
            for lo, hi in zip(rows["lo_days"], rows["hi_days"], strict=True)
        ]
        counts = [int(c) for c in rows["leads"]]
        fig = go.Figure(
            go.Bar(
                x=names,
                y=counts,
                marker={"color": STAGE_COLORS[b]},
                text=[fmt_int(c, lang) if c else "" for c in counts],
                textposition="outside",
                textfont={"size": 12},
                cliponaxis=False,
                customdata=[fmt_percent(c / n, lang) for c in counts],
                hovertemplate="%{x}: %{text} (%{customdata})<extra></extra>",
            )
        )
        layout(fig, 320).update_layout(
            xaxis={"title": {"text": ui.tr("journey.axis_days")}, "type": "category"},
            yaxis={"title": {"text": ui.tr("journey.axis_leads")}, "rangemode": "tozero"},
            margin={"l": 10, "r": 10, "t": 20, "b": 10},
            separators=", " if lang == "ru" else ".,",
        )
        st.plotly_chart(fig, width="stretch", config={"displayModeBar": False})
        st.caption(
            ui.tr(
                "journey.ttc_caption",
                n=fmt_int(n, lang),
                median=fmt_number(v["median_days"], lang),
                p75=fmt_number(v["p75_days"], lang),
                p90=fmt_number(v["p90_days"], lang),
            )
        )
    if int(v["excluded"]):
        st.caption(
            ":material/warning: "
            + ui.tr("notes.excluded_pairs", count=fmt_int(int(v["excluded"]), lang))
        )
    col = {k: ui.tr(f"journey.tcol_{k}") for k in ("step", "bucket", "leads")}
    frame = pd.DataFrame(
        {
            col["step"]: [
                pair_names[f"{x}-{y}"]
                for x, y in zip(ttc["from_stage"], ttc["to_stage"], strict=True)
            ],
            col["bucket"]: [
                bucket_name(lo, None if pd.isna(hi) else int(hi), lang)
                for lo, hi in zip(ttc["lo_days"], ttc["hi_days"], strict=True)
            ],
            col["leads"]: ttc["leads"],
        }
    )
    ui.table_section(
        ui.tr("journey.ttc_table"), frame, "voronka-time-to-convert", "t_ttc", "dl_ttc"
    )
    ui.explain(
        ["time_to_convert", "velocity", filters.mode],
        [metrics.time_to_convert_query(filters)],
        key="x_ttc",
    )


# -- who stopped where -----------------------------------------------------------------------------


def stopped_frame(page: StoppedPage, lang: str, names: dict[str, str]) -> pd.DataFrame:
    """The list with the page's column ``names`` and statuses and channels in words (contacts
    already masked). No Streamlit call: the full download builds it outside the run."""
    out = page.rows.copy()
    out["status"] = [label("status", s, lang) for s in out["status"]]
    out["channel"] = [
        label("channel", c, lang) if isinstance(c, str) else None for c in out["channel"]
    ]
    return out.rename(columns=names)


def stopped_names() -> dict[str, str]:
    return {c: ui.tr(f"journey.scol.{c}") for c in STOPPED_COLUMNS}


def stopped_section(filters: Filters, lang: str) -> StoppedPage:
    """The list of leads that stopped at the chosen step, a page at a time; returns the page."""
    # display names computed now: a widget may format its options outside this run
    stage_names = {s: ui.stage_label(s) for s in STOP_STAGES}
    outcome_names = {o: ui.tr(f"journey.outcome_choice.{o}") for o in OUTCOME_CHOICES}
    left, middle, right = st.columns([2, 3, 1.2])
    left.selectbox(
        ui.tr("journey.stop_stage"), STOP_STAGES, format_func=stage_names.get, **url.bind("jr_stop")
    )
    middle.segmented_control(
        ui.tr("journey.stop_outcome"),
        OUTCOME_CHOICES,
        format_func=outcome_names.get,
        required=True,
        **url.bind("jr_outcome"),
    )
    stage = st.session_state.get("jr_stop") or "sql"
    choice = st.session_state.get("jr_outcome") or "all"
    outcome = None if choice == "all" else choice
    view = (filters, stage, outcome)
    if st.session_state.get("jr_view") != view:  # a new list starts on its first page
        st.session_state["jr_view"] = view
        st.session_state["jr_page"] = 1
    number = max(1, int(st.session_state.get("jr_page") or 1))
    show = ui.show_contacts()  # masked unless the settings ask and the deployer allows

    def fetch(number: int) -> StoppedPage:
        offset = (number - 1) * PAGE_SIZE
        return ui.compute(  # type: ignore[no-any-return]
            "stopped_leads",
            filters,
            stage=stage,
            outcome=outcome,
            limit=PAGE_SIZE,
            offset=offset,
            show_contacts=show,
        )

    page = fetch(number)
    total = page.total
    pages = max(1, -(-total // PAGE_SIZE))
    if number > pages:  # the list got shorter (new data): show its last page
        number = pages
        page = fetch(number)
    st.session_state["jr_page"] = number
    right.number_input(
        ui.tr("journey.page", pages=fmt_int(pages, lang)),
        min_value=1,
        max_value=pages,
        step=1,
        key="jr_page",
    )
    what = ui.tr(f"journey.outcome_choice.{choice}").lower()
    if total == 0:
        st.info(
            ui.tr(
                "journey.stopped_none", stage=md_escape(ui.stage_label(stage, one=True)), what=what
            ),
            icon=":material/person_off:",
        )
        return page
    start = page.offset + 1
    st.caption(
        ui.tr(
            "journey.stopped_caption",
            total=fmt_int(total, lang),
            stage=md_escape(ui.stage_label(stage, one=True)),
            what=what,
            first=fmt_int(start, lang),
            last=fmt_int(page.offset + len(page.rows), lang),
        )
    )
    names = stopped_names()
    when = st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")
    st.dataframe(
        stopped_frame(page, lang, names),
        hide_index=True,
        placeholder="–",
        width="stretch",
        column_config={names[c]: when for c in ("created_at", "reached_at", "lost_at")},
    )
    source = current_source()

    def export() -> pd.DataFrame:
        with source.reading() as con:
            full = metrics.stopped_leads(
                con, filters, stage, outcome, limit=EXPORT_LIMIT, offset=0, show_contacts=show
            )
        return stopped_frame(full, lang, names)

    download_deferred(export, f"voronka-stopped-at-{stage}", "dl_stopped")
    if total > EXPORT_LIMIT:
        st.caption(
            ui.tr(
                "journey.export_capped",
                limit=fmt_int(EXPORT_LIMIT, lang),
                total=fmt_int(total, lang),
            )
        )
    return page


# -- the page ------------------------------------------------------------------------------------


def main() -> None:
    lang = ui.language()
    filters: Filters = ui.sidebar_filters()
    seed_state()
    mode_name = label("mode", filters.mode, lang).lower()

    st.title(ui.tr("journey.title"))
    ui.ignored_params_notice()
    ui.demo_banner()
    st.caption(ui.tr("journey.subtitle", period=ui.period_text(filters), mode=mode_name))

    view: JourneyView = ui.compute("journey_view", filters)
    now, jf = view.summary, view.funnel
    if not any(now.counts.values()) and not now.spend:
        ui.no_data()
        return

    st.subheader(ui.tr("journey.funnel_title", mode=mode_name))
    st.caption(ui.tr("journey.funnel_caption"))
    funnel_chart(jf, now, lang)
    if not filters.costs_defined:
        ui.cost_note(filters.lead_level_filters)
    funnel_table(jf, now)
    ui.explain(
        ["journey_funnel", filters.mode, "reached", "ctr", "step_conversion"],
        [jf.query, now.query],
        key="x_funnel",
    )

    flows = view.flows
    st.subheader(ui.tr("journey.flows_title"))
    cohort_note = ui.tr("journey.flows_caption", leads=fmt_int(flows.cohort, lang))
    if filters.mode == "activity":
        cohort_note += " " + ui.tr("journey.flows_activity")
    st.caption(cohort_note)
    if flows.cohort == 0:
        st.info(ui.tr("journey.flows_empty"), icon=":material/account_tree:")
    else:
        sankey(flows, lang)
        st.subheader(ui.tr("journey.drop_title"))
        d = drop_off(flows)
        drop_off_chart(d, lang)
        drop_off_table(d)
    ui.explain(["flows", "drop_off", "reached"], [flows.query], key="x_flows")

    st.subheader(ui.tr("journey.ttc_title"))
    time_to_convert_section(view, lang)

    st.subheader(ui.tr("journey.stopped_title"))
    st.caption(ui.tr("journey.stopped_intro"))
    page = stopped_section(filters, lang)
    ui.explain(["stopped_leads"], [page.query], key="x_stopped")


ui.require_shell()  # inside dashboard.py, also on a fresh server (ui/shell.py)
main()
