"""The customer journey: from awareness to sale, where leads go, how long they take, and who
stopped where."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Final

import duckdb
import pandas as pd

from analytics.filters import Filters, cost_conditions, in_period, lead_conditions
from analytics.metrics._common import frame, number, ratio
from analytics.metrics.breakdown import reached_counts
from analytics.metrics.summary import Summary, summary
from analytics.metrics.velocity import pairs_sql, velocity
from analytics.model import STAGE_TIMESTAMP, STAGES, STATUSES, VELOCITY_PAIRS, Stage
from analytics.privacy import mask_email, mask_phone
from analytics.sql import Query, Sql, join, where

# --------------------------------------------------------------------------------------------
# The funnel from awareness to sale, for campaign-attributed leads.

#: The journey's steps: two awareness steps from campaign costs, then the lead stages.
JOURNEY_STEPS: Final[tuple[str, ...]] = ("impressions", "clicks", *STAGES)


@dataclass(frozen=True)
class JourneyFunnel:
    """impressions -> clicks -> leads -> MQL -> SQL -> opportunity -> won (see
    :func:`journey_funnel`). ``impressions``/``clicks`` are None with a lead-level filter."""

    filters: Filters
    impressions: int | None
    clicks: int | None
    counts: dict[Stage, int]
    query: Query

    def value(self, step: str) -> int | None:
        if step == "impressions":
            return self.impressions
        if step == "clicks":
            return self.clicks
        return self.counts[step]  # type: ignore[index]

    def step_conversion(self, step: str) -> float | None:
        """This step / the step before (clicks / impressions is the CTR)."""
        i = JOURNEY_STEPS.index(step)
        if i == 0:
            return None
        return ratio(self.value(step), self.value(JOURNEY_STEPS[i - 1]))

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "step": list(JOURNEY_STEPS),
                "count": [self.value(s) for s in JOURNEY_STEPS],
                "step_conversion": [self.step_conversion(s) for s in JOURNEY_STEPS],
            }
        )


def journey_funnel_query(f: Filters) -> Query:
    conds = [Sql("l.campaign_id IS NOT NULL"), *lead_conditions(f, "l")]
    cols: list[Sql] = []
    if f.mode == "cohort":
        # by stage first, then "reached S" over those few rows (PERFORMANCE.md, proposal 1)
        conds.append(in_period("l.created_at", f))
        by_stage = "SELECT l.stage, count(*) AS n FROM leads l " + where(conds) + " GROUP BY ALL"
        names = {s: f"n_{s}" for s in STAGES}
        leads = "SELECT " + join(reached_counts("s", names), ", ") + "\nFROM (" + by_stage + ") s"
    else:
        cols += [
            "count(*) FILTER (WHERE " + in_period(f"l.{STAGE_TIMESTAMP[s]}", f) + f") AS n_{s}"
            for s in STAGES
        ]
        if f.date_from or f.date_to:
            any_in = join([in_period(f"l.{STAGE_TIMESTAMP[s]}", f) for s in STAGES], " OR ")
            conds.append("(" + any_in + ")")
        leads = "SELECT " + join(cols, ", ") + "\nFROM leads l\n" + where(conds)
    if f.costs_defined:
        costs = (
            "SELECT sum(cc.impressions) AS impressions, sum(cc.clicks) AS clicks, "
            "count(*) AS cost_rows\n"
            "FROM campaign_costs cc\n" + where(cost_conditions(f, "cc"))
        )
    else:
        costs = Sql(
            "SELECT NULL AS impressions, NULL AS clicks, 0 AS cost_rows  -- lead-level filter set"
        )
    sql = "WITH l AS (\n" + leads + "\n), k AS (\n" + costs + "\n)\nSELECT * FROM l, k"
    return Query(sql, "journey_funnel")


def journey_funnel(con: duckdb.DuckDBPyConnection, f: Filters) -> JourneyFunnel:
    """The journey from awareness to sale for campaign-attributed leads (with a campaign_id).

    impressions, clicks: sums of ``campaign_costs`` days in the period for the campaigns that
    match the filters (None with a lead-level filter: they belong to campaigns; None when no
    cost row matches: unknown, not zero). Lead stages:
    campaign-attributed leads counted by the view's mode, as the plain funnel counts all leads
    (cohort: created in the period and reached S; activity: S dated in the period).
    """
    query = journey_funnel_query(f)
    cur = query.run(con)
    names = [d[0] for d in cur.description]
    row = dict(zip(names, cur.fetchone() or (), strict=True))
    # no cost row in the view: impressions and clicks are unknown, not zero (as in summary)
    costs = f.costs_defined and bool(row["cost_rows"])
    return JourneyFunnel(
        filters=f,
        impressions=int(number(row["impressions"])) if costs else None,
        clicks=int(number(row["clicks"])) if costs else None,
        counts={s: int(row[f"n_{s}"] or 0) for s in STAGES},
        query=query,
    )


# --------------------------------------------------------------------------------------------
# Where the leads of a cohort went: on to the next stage, lost (with reason), nurture, open.

#: Outcomes of a stage for a lead that reached it.
OUTCOMES: Final[tuple[str, ...]] = ("next", "lost", "nurture", "open")
#: Lost reasons beyond the most frequent few are shown together as "other reasons".
TOP_REASONS: Final[int] = 8


@dataclass(frozen=True)
class Flows:
    """Where a cohort's leads went (see :func:`journey_flows`).

    ``flows``: from_stage, outcome ("next", "lost", "nurture", "open"), reason (lost only:
    the reason text, None otherwise), reason_group ("reason", "other" for the less frequent
    reasons together, "none" for lost without a reason; None for other outcomes) and leads.
    For every stage S before won, reached[S] = the sum of its flows; reached["won"] have
    nowhere further to go.
    """

    filters: Filters
    reached: dict[Stage, int]
    flows: pd.DataFrame
    query: Query

    @property
    def cohort(self) -> int:
        return self.reached["lead"]


def _stage_ord(alias: str = "l") -> str:
    # stage codes are constants of the code, not user input
    whens = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(STAGES))
    return f"CASE {alias}.stage {whens} END"


def journey_flows_query(f: Filters) -> Query:
    conds = [*lead_conditions(f, "l"), in_period("l.created_at", f)]
    sql = (
        "SELECT " + _stage_ord("l") + " AS ord, l.status,\n"
        "       CASE WHEN l.status = 'lost' THEN l.lost_reason END AS reason,\n"
        "       count(*) AS leads\n"
        "FROM leads l\n" + where(conds) + "\nGROUP BY ALL ORDER BY ALL"
    )
    return Query(sql, "journey_flows")


def journey_flows(
    con: duckdb.DuckDBPyConnection, f: Filters, top_reasons: int = TOP_REASONS
) -> Flows:
    """Where the leads created in the period went, always as a cohort (whatever ``f.mode``):
    a flow needs a fixed group of leads to start from.

    For each stage S a lead reached (stage S or later): "next" = it reached the next stage
    (skipped stages count as passed); otherwise it stopped at S, its current stage, and the
    status says how: "lost" (split by lost reason: the ``top_reasons`` most frequent in the
    cohort by name, the rest together, and "no reason given"), "nurture" or "open". So
    reached(S) = next + lost + nurture + open, and reached(S + 1) = next(S).
    """
    query = journey_flows_query(f)
    groups = query.run(con).df()
    counts: dict[tuple[int, str, str | None], int] = {}
    for r in groups.to_dict(orient="records"):
        reason = None if r["reason"] is None or pd.isna(r["reason"]) else str(r["reason"])
        counts[(int(r["ord"]), str(r["status"]), reason)] = int(r["leads"])
    lost_by_reason: dict[str, int] = {}
    for (_, status, reason), n in counts.items():
        if status == "lost" and reason is not None:
            lost_by_reason[reason] = lost_by_reason.get(reason, 0) + n
    ranked = sorted(lost_by_reason, key=lambda r: (-lost_by_reason[r], r))
    top = set(ranked[:top_reasons])

    reached_counts = {
        s: sum(n for (o, _, _), n in counts.items() if o >= i) for i, s in enumerate(STAGES)
    }
    rows: list[dict[str, object]] = []
    for i, stage in enumerate(STAGES[:-1]):
        here = {k: n for k, n in counts.items() if k[0] == i}
        rows.append(_flow(stage, "next", None, None, reached_counts[STAGES[i + 1]]))
        lost: dict[tuple[str | None, str], int] = {}
        for (_, status, reason), n in here.items():
            if status != "lost":
                continue
            if reason is None:
                key: tuple[str | None, str] = (None, "none")
            elif reason in top:
                key = (reason, "reason")
            else:
                key = (None, "other")
            lost[key] = lost.get(key, 0) + n
        order = {r: j for j, r in enumerate(ranked)}
        group_rank = {"reason": 0, "other": 1, "none": 2}
        for (reason, group), n in sorted(
            lost.items(), key=lambda kv: (group_rank[kv[0][1]], order.get(kv[0][0] or "", 0))
        ):
            rows.append(_flow(stage, "lost", reason, group, n))
        for status in ("nurture", "open"):
            n = sum(v for (_, st, _), v in here.items() if st == status)
            rows.append(_flow(stage, status, None, None, n))
    flows = pd.DataFrame(rows, columns=["from_stage", "outcome", "reason", "reason_group", "leads"])
    flows = flows[flows["leads"] > 0].reset_index(drop=True)
    flows.attrs["sql"] = query.rendered()
    return Flows(filters=f, reached=reached_counts, flows=flows, query=query)


def _flow(
    stage: str, outcome: str, reason: str | None, group: str | None, leads: int
) -> dict[str, object]:
    return {
        "from_stage": stage,
        "outcome": outcome,
        "reason": reason,
        "reason_group": group,
        "leads": leads,
    }


def drop_off(flows: Flows) -> pd.DataFrame:
    """Per step S -> next stage: reached (S), went_on (reached the next stage), stopped
    (= reached - went_on), of which lost, nurture, open; drop_rate = stopped / reached (None
    when no lead reached S) and went_on_rate = went_on / reached (the step conversion)."""
    rows = []
    f = flows.flows
    for stage, nxt in pairwise(STAGES):
        here = f[f["from_stage"] == stage]
        by = {o: int(here.loc[here["outcome"] == o, "leads"].sum()) for o in OUTCOMES}
        reached_s = flows.reached[stage]
        stopped = reached_s - by["next"]
        rows.append(
            {
                "stage": stage,
                "next_stage": nxt,
                "reached": reached_s,
                "went_on": by["next"],
                "stopped": stopped,
                "lost": by["lost"],
                "nurture": by["nurture"],
                "open": by["open"],
                "drop_rate": ratio(stopped, reached_s),
                "went_on_rate": ratio(by["next"], reached_s),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# How long conversions take: histogram buckets of the velocity pairs.

#: Buckets of days, [lower, upper); the last one is open-ended.
DAY_BUCKETS: Final[tuple[tuple[int, int | None], ...]] = (
    (0, 1),
    (1, 3),
    (3, 7),
    (7, 14),
    (14, 30),
    (30, 60),
    (60, 90),
    (90, 180),
    (180, None),
)


def time_to_convert_query(f: Filters) -> Query:
    case = " ".join(
        f"WHEN days < {hi} THEN {i}" for i, (_, hi) in enumerate(DAY_BUCKETS) if hi is not None
    )
    last = len(DAY_BUCKETS) - 1
    pairs = ", ".join(f"({i}, '{a}', '{b}')" for i, (a, b) in enumerate(VELOCITY_PAIRS))
    buckets = ", ".join(
        f"({i}, {lo}, {'NULL' if hi is None else hi})" for i, (lo, hi) in enumerate(DAY_BUCKETS)
    )
    sql = (
        "WITH " + pairs_sql(f) + ",\n"
        f"h AS (\n  SELECT ord, CASE {case} ELSE {last} END AS bucket, count(*) AS leads\n"
        "  FROM pairs WHERE days >= 0 GROUP BY ALL\n)\n"
        "SELECT p.from_stage, p.to_stage, b.bucket, b.lo_days, b.hi_days,\n"
        "       coalesce(h.leads, 0) AS leads\n"
        f"FROM (VALUES {pairs}) p(ord, from_stage, to_stage)\n"
        f"CROSS JOIN (VALUES {buckets}) b(bucket, lo_days, hi_days)\n"
        "LEFT JOIN h ON h.ord = p.ord AND h.bucket = b.bucket\n"
        "ORDER BY p.ord, b.bucket"
    )
    return Query(sql, "time_to_convert")


def time_to_convert(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Histogram of days per velocity pair (lead->MQL ... opportunity->won, lead->won), counted
    in SQL: one row per pair and bucket of :data:`DAY_BUCKETS` ([lo_days, hi_days), the last
    open-ended; empty buckets included). The population is exactly the velocity one (cohort:
    leads created in the period; activity: leads that reached B in the period; both dates set;
    B dated before A left out), so a pair's leads add up to velocity's n."""
    return frame(con, time_to_convert_query(f))


# --------------------------------------------------------------------------------------------
# Who stopped where: a paged list of leads, contacts masked.

STOPPED_COLUMNS: Final[tuple[str, ...]] = (
    "lead_id",
    "created_at",
    "reached_at",
    "company",
    "channel",
    "campaign",
    "owner",
    "status",
    "lost_reason",
    "lost_at",
    "email",
    "phone",
)
#: At most this many leads go into one download of the list.
EXPORT_LIMIT: Final[int] = 10_000


@dataclass(frozen=True)
class StoppedPage:
    """One page of :func:`stopped_leads`: ``total`` leads match, ``rows`` holds at most
    ``limit`` of them from ``offset`` on."""

    stage: Stage
    outcome: str | None
    total: int
    offset: int
    limit: int
    rows: pd.DataFrame
    query: Query


def stopped_leads_query(
    f: Filters, stage: Stage, outcome: str | None, limit: int, offset: int
) -> Query:
    if stage not in STAGES[:-1]:
        raise ValueError(f"leads can stop at {', '.join(STAGES[:-1])}, not {stage!r}")
    if outcome is not None and outcome not in STATUSES[:1] + STATUSES[2:]:
        raise ValueError(f"outcome must be open, lost or nurture, not {outcome!r}")
    if limit < 1 or offset < 0:
        raise ValueError("limit must be at least 1 and offset at least 0")
    conds = [
        *lead_conditions(f, "l"),
        in_period("l.created_at", f),
        Sql("l.stage = ?", (stage,)),
        Sql("l.status = ?", (outcome,)) if outcome else Sql("l.status <> 'won'"),
    ]
    ts = STAGE_TIMESTAMP[stage]
    # The count reads only the filter columns; the page is a top-N over the leads, and only its
    # rows get their campaign's name (joining every matching lead first cost 2-20x more).
    # lead_id is unique: the order, and so every page, is the same from run to run.
    sql = (
        "SELECT t.total, p.*\n"
        "FROM (SELECT count(*) AS total FROM leads l " + where(conds) + ") t\n"
        "LEFT JOIN (\n"
        "  SELECT s.lead_id, s.created_at, s.reached_at, s.company, s.channel,\n"
        "         coalesce(c.name, s.campaign_id) AS campaign, s.owner, s.status,\n"
        "         s.lost_reason, s.lost_at, s.email, s.phone\n"
        "  FROM (\n"
        f"    SELECT l.lead_id, l.created_at, l.{ts} AS reached_at, l.company, l.channel,\n"
        "           l.campaign_id, l.owner, l.status, l.lost_reason, l.lost_at, l.email, l.phone\n"
        "    FROM leads l " + where(conds) + "\n"
        "    ORDER BY l.created_at DESC, l.lead_id\n"
        + Sql("    LIMIT ? OFFSET ?\n", (limit, offset))
        + "  ) s LEFT JOIN campaigns c ON c.campaign_id = s.campaign_id\n"
        ") p ON TRUE\n"
        "ORDER BY p.created_at DESC, p.lead_id"
    )
    return Query(sql, "stopped_leads")


def stopped_leads(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    stage: Stage,
    outcome: str | None = None,
    limit: int = 25,
    offset: int = 0,
    show_contacts: bool = False,
) -> StoppedPage:
    """Leads of the cohort (created in the period, matching the filters, whatever ``f.mode``)
    that stopped at ``stage``: their current stage is ``stage`` and they are not won, i.e.
    lost there, in nurture or still open there; ``outcome`` keeps one of those statuses.
    Newest first; ``limit`` rows from ``offset`` with the ``total`` count. E-mails and phones
    are masked unless ``show_contacts``. ``reached_at`` is the lead's date for ``stage`` (None
    when the CRM gave none).
    """
    query = stopped_leads_query(f, stage, outcome, limit, offset)
    df = query.run(con).df()
    total = int(df["total"].iloc[0]) if len(df) else 0
    rows = df[df["lead_id"].notna()].drop(columns=["total"]).reset_index(drop=True)
    if show_contacts:
        rows["email"], rows["phone"] = _texts(rows["email"]), _texts(rows["phone"])
    else:
        rows["email"] = [mask_email(v) for v in _texts(rows["email"])]
        rows["phone"] = [mask_phone(v) for v in _texts(rows["phone"])]
    rows = rows[list(STOPPED_COLUMNS)]
    rows.attrs["sql"] = query.rendered()
    return StoppedPage(stage, outcome, total, offset, limit, rows, query)


def _texts(values: pd.Series) -> list[str | None]:
    return [None if v is None or pd.isna(v) else str(v) for v in values]


# --------------------------------------------------------------------------------------------
# The page's numbers in one call (one connection, one cache entry per view).


@dataclass(frozen=True)
class JourneyView:
    """Everything the Customer journey shows for one view, except the list of leads (which
    has its own page state): the plain funnel (:func:`~analytics.metrics.summary.summary`),
    the journey funnel, the flows, time to convert and velocity, each as its function returns
    it for ``f``."""

    summary: Summary
    funnel: JourneyFunnel
    flows: Flows
    time_to_convert: pd.DataFrame
    velocity: pd.DataFrame


def journey_view(con: duckdb.DuckDBPyConnection, f: Filters) -> JourneyView:
    """:class:`JourneyView` of ``f``."""
    return JourneyView(
        summary=summary(con, f),
        funnel=journey_funnel(con, f),
        flows=journey_flows(con, f),
        time_to_convert=time_to_convert(con, f),
        velocity=velocity(con, f),
    )
