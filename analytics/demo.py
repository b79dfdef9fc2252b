"""Seeded, deterministic demo data that tells a believable B2B story.

Same ``seed``, ``leads`` and ``end`` give the same database. Generation is vectorised (numpy) and
streams leads to DuckDB in time-ordered chunks, so 10M leads fit in bounded memory; text columns
(companies, e-mails, phones) are built inside DuckDB from numbers.

The story: paid search and social bring the volume; pop-ups are cheap and poor; trade shows are
expensive, few and excellent; referrals cost nothing and win most; purchased lists are cheap and
mostly junk. Target companies (50-500 employees) convert better at every step. Owners differ.
Recent leads are still in progress (open), older ones ended won, lost (with reasons) or in nurture.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from analytics import store
from analytics.model import OUTBOUND_CHANNELS

DEFAULT_LEADS = 30_000
DEFAULT_SEED = 42
DAYS = 365
CHUNK = 500_000
US_PER_DAY = 86_400_000_000


@dataclass(frozen=True)
class ChannelProfile:
    p_mql: float  # lead -> mql
    p_sql: float  # mql -> sql
    p_opp: float  # sql -> opportunity
    p_won: float  # opportunity -> won
    cpl: float  # spend per lead (RUB)
    ctr: float  # clicks / impressions
    cvr: float  # leads / clicks
    deal: float  # deal value multiplier
    speed: float  # delay multiplier (<1 = faster)
    sources: tuple[tuple[str, float], ...]


PROFILES: dict[str, ChannelProfile] = {
    "paid_search": ChannelProfile(
        0.42,
        0.38,
        0.55,
        0.33,
        2200,
        0.045,
        0.060,
        1.0,
        1.0,
        (("lead_form", 0.7), ("callback", 0.2), ("chatbot", 0.1)),
    ),
    "social": ChannelProfile(
        0.30,
        0.30,
        0.50,
        0.28,
        1400,
        0.011,
        0.035,
        0.8,
        1.1,
        (("lead_form", 0.6), ("quiz", 0.25), ("lead_magnet", 0.15)),
    ),
    "lead_magnet": ChannelProfile(
        0.48,
        0.28,
        0.50,
        0.30,
        1100,
        0.018,
        0.140,
        0.9,
        1.2,
        (("lead_magnet", 0.85), ("lead_form", 0.15)),
    ),
    "popup": ChannelProfile(0.14, 0.18, 0.45, 0.25, 260, 0.025, 0.030, 0.7, 1.3, (("popup", 1.0),)),
    "newsletter": ChannelProfile(
        0.35, 0.30, 0.50, 0.30, 350, 0.030, 0.200, 0.9, 1.1, (("newsletter", 1.0),)
    ),
    "quiz": ChannelProfile(0.36, 0.30, 0.50, 0.28, 800, 0.020, 0.110, 0.8, 1.0, (("quiz", 1.0),)),
    "chatbot": ChannelProfile(
        0.40, 0.35, 0.52, 0.30, 600, 0.050, 0.080, 1.0, 0.9, (("chatbot", 0.8), ("callback", 0.2))
    ),
    "events": ChannelProfile(
        0.62, 0.58, 0.62, 0.42, 9500, 0.300, 0.250, 1.6, 0.8, (("event", 1.0),)
    ),
    "referral": ChannelProfile(0.66, 0.60, 0.66, 0.50, 0, 0.0, 0.0, 1.3, 0.8, (("referral", 1.0),)),
    "purchased_list": ChannelProfile(
        0.07, 0.25, 0.40, 0.22, 320, 0.080, 0.500, 0.8, 1.3, (("list", 1.0),)
    ),
    "cold_outreach": ChannelProfile(
        0.20,
        0.45,
        0.50,
        0.30,
        1700,
        0.040,
        0.600,
        1.1,
        1.1,
        (("cold_email", 0.6), ("cold_call", 0.4)),
    ),
    "content_seo": ChannelProfile(
        0.38,
        0.35,
        0.52,
        0.32,
        0,
        0.0,
        0.0,
        1.0,
        1.0,
        (("lead_form", 0.6), ("lead_magnet", 0.25), ("chatbot", 0.15)),
    ),
    "callback": ChannelProfile(0.50, 0.40, 0.55, 0.35, 0, 0.0, 0.0, 1.0, 0.8, (("callback", 1.0),)),
}


@dataclass(frozen=True)
class CampaignTemplate:
    key: str
    name: str
    channel: str
    share: float  # share of all leads
    start: float  # window start as a fraction of the year (0 = a year ago)
    end: float  # window end (1 = today)
    event_days: int = 0  # > 0: an event of that many days at ``start``, then follow-up


TEMPLATES: tuple[CampaignTemplate, ...] = (
    CampaignTemplate("YDB", "Yandex Direct · Brand search", "paid_search", 0.090, 0.0, 1.0),
    CampaignTemplate("YDC", "Yandex Direct · CRM analytics", "paid_search", 0.085, 0.0, 1.0),
    CampaignTemplate("GAS", "Google Ads · Sales dashboard", "paid_search", 0.065, 0.08, 0.75),
    CampaignTemplate("VKL", "VK Ads · Lookalike audiences", "social", 0.055, 0.0, 0.5),
    CampaignTemplate("TGS", "Telegram Ads · Sales leaders", "social", 0.050, 0.45, 1.0),
    CampaignTemplate("LIH", "LinkedIn · Heads of sales", "social", 0.035, 0.2, 0.66),
    CampaignTemplate("EBK", "E-book · B2B funnel playbook", "lead_magnet", 0.045, 0.0, 0.42),
    CampaignTemplate(
        "WEB", "Webinar · Pipeline reviews that work", "lead_magnet", 0.025, 0.55, 0.66
    ),
    CampaignTemplate("TRL", "Free trial · 14 days", "lead_magnet", 0.050, 0.0, 1.0),
    CampaignTemplate("POP", "Exit-intent pop-up", "popup", 0.100, 0.0, 1.0),
    CampaignTemplate("BPU", "Blog pop-up · Checklist", "popup", 0.050, 0.35, 1.0),
    CampaignTemplate("NWS", "Newsletter sign-up", "newsletter", 0.050, 0.0, 1.0),
    CampaignTemplate("QIZ", "Quiz · Which funnel metrics matter", "quiz", 0.040, 0.3, 0.85),
    CampaignTemplate("BOT", "Pricing page chatbot", "chatbot", 0.030, 0.1, 1.0),
    CampaignTemplate("EXM", "Trade show · CRM Expo Moscow", "events", 0.014, 0.2, 0.24, 3),
    CampaignTemplate(
        "EXS", "Trade show · Retail Tech St Petersburg", "events", 0.011, 0.72, 0.76, 2
    ),
    CampaignTemplate("REF", "Partner referral program", "referral", 0.025, 0.0, 1.0),
    CampaignTemplate("LST", "Purchased list · IT directors", "purchased_list", 0.040, 0.25, 0.42),
    CampaignTemplate("CEM", "Cold email · Manufacturing", "cold_outreach", 0.022, 0.33, 0.75),
    CampaignTemplate("CCL", "Cold calls · Logistics", "cold_outreach", 0.018, 0.6, 1.0),
)

#: Leads with no campaign: organic channels and their share of all leads.
ORGANIC: tuple[tuple[str, float], ...] = (("content_seo", 0.075), ("callback", 0.025))

OWNERS: tuple[tuple[str, float], ...] = (
    ("Anna Smirnova", 1.20),
    ("Dmitry Volkov", 1.10),
    ("Elena Kuznetsova", 1.05),
    ("Sergey Popov", 1.00),
    ("Olga Sokolova", 0.95),
    ("Ivan Lebedev", 0.90),
    ("Maria Kozlova", 0.85),
    ("Pavel Novikov", 0.75),
)
REGIONS: tuple[str, ...] = (
    "Moscow",
    "Saint Petersburg",
    "Novosibirsk",
    "Yekaterinburg",
    "Kazan",
    "Nizhny Novgorod",
    "Krasnodar",
    "Samara",
)
REGION_WEIGHTS = (0.38, 0.17, 0.08, 0.09, 0.08, 0.07, 0.07, 0.06)
INDUSTRIES: tuple[str, ...] = (
    "IT",
    "Manufacturing",
    "Retail",
    "Finance",
    "Logistics",
    "Healthcare",
    "Education",
    "Construction",
)
INDUSTRY_WEIGHTS = (0.22, 0.18, 0.15, 0.11, 0.12, 0.08, 0.07, 0.07)
LOST_REASONS: dict[str, tuple[tuple[str, float], ...]] = {
    "lead": (("No response", 0.45), ("Not a fit", 0.30), ("Duplicate", 0.10), ("Spam", 0.15)),
    "mql": (
        ("No budget", 0.35),
        ("Not a decision maker", 0.25),
        ("Bad timing", 0.25),
        ("Chose a competitor", 0.15),
    ),
    "sql": (
        ("Price", 0.35),
        ("Chose a competitor", 0.35),
        ("No budget", 0.2),
        ("Project cancelled", 0.1),
    ),
    "opportunity": (("Price", 0.4), ("Chose a competitor", 0.4), ("Project cancelled", 0.2)),
}
COMPANY_PREFIXES: tuple[str, ...] = (
    "Alfa",
    "Vektor",
    "Nord",
    "Sigma",
    "Orion",
    "Zenit",
    "Atlas",
    "Volga",
    "Ural",
    "Baikal",
    "Polyus",
    "Kvant",
    "Delta",
    "Neva",
    "Sever",
    "Tayga",
    "Rubin",
    "Granit",
    "Kometa",
    "Start",
)
COMPANY_ROOTS: tuple[str, ...] = (
    "Soft",
    "Trade",
    "Logistic",
    "Stroy",
    "Med",
    "Agro",
    "Prom",
    "Tech",
    "Systems",
    "Group",
    "Retail",
    "Invest",
    "Energo",
    "Service",
    "Lab",
)
FIRST_NAMES: tuple[str, ...] = (
    "alexey",
    "anna",
    "boris",
    "daria",
    "egor",
    "irina",
    "kirill",
    "ksenia",
    "maxim",
    "natalia",
    "oleg",
    "polina",
    "roman",
    "svetlana",
    "timur",
    "yulia",
    "artem",
    "vera",
    "gleb",
    "lidia",
)
LAST_NAMES: tuple[str, ...] = (
    "ivanov",
    "petrova",
    "sidorov",
    "orlova",
    "morozov",
    "pavlova",
    "fedorov",
    "belova",
    "titov",
    "zaitseva",
    "gusev",
    "karpova",
    "makarov",
    "nikitina",
    "zakharov",
    "soloveva",
)

MONTH_FACTOR = (0.70, 0.95, 1.10, 1.05, 0.90, 0.90, 0.80, 0.80, 1.10, 1.20, 1.15, 0.95)
WEEKDAY_FACTOR = (1.05, 1.10, 1.10, 1.05, 0.90, 0.35, 0.30)
#: median days and log-spread of each step's delay: lead->mql, mql->sql, sql->opp, opp->won
DELAYS = ((2.0, 1.0), (6.0, 0.8), (8.0, 0.7), (21.0, 0.6))


@dataclass(frozen=True)
class DemoResult:
    leads: int
    campaigns: int
    cost_rows: int
    start: date
    end: date


def generate(
    con: duckdb.DuckDBPyConnection,
    *,
    leads: int = DEFAULT_LEADS,
    seed: int = DEFAULT_SEED,
    end: date | None = None,
    progress: Callable[[int, int], None] | None = None,
    commit_chunks: bool = False,
) -> DemoResult:
    """Fill an empty Voronka database with demo data.

    One transaction by default. ``commit_chunks`` commits after every chunk of leads instead:
    a transaction holding millions of new rows keeps them in memory until it commits (about
    260 bytes a lead: 3 GB at 10M leads), so :func:`create_file`, which builds a temporary file
    it throws away on failure, uses it to keep memory bounded.
    """
    if leads < 1:
        raise ValueError("the number of leads must be at least 1")
    end = end or date.today()
    start = end - timedelta(days=DAYS - 1)
    rng = np.random.default_rng(seed)
    existing = con.execute("SELECT (SELECT count(*) FROM leads) + (SELECT count(*) FROM campaigns)")
    if (existing.fetchone() or (0,))[0]:
        raise ValueError("the database already holds data; demo data goes into an empty one")

    camps = _campaigns(rng, leads, start)
    con.execute("BEGIN TRANSACTION")
    try:
        _insert_campaigns(con, camps)
        n = _insert_leads(con, rng, camps, leads, start, end, progress, commit_chunks)
        cost_rows = _insert_costs(con, rng, camps, start, end)
        _insert_budgets(con, camps, rng)
        store.set_meta(con, "demo", "true")
        store.set_meta(con, "demo_seed", str(seed))
        store.set_meta(con, "demo_end", end.isoformat())
        store.set_meta(con, "demo_leads", str(n))
        store.bump_data_version(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    n_campaigns = int(camps["is_campaign"].sum())
    return DemoResult(n, n_campaigns, cost_rows, start, end)


def create_file(
    path: Path,
    *,
    leads: int = DEFAULT_LEADS,
    seed: int = DEFAULT_SEED,
    end: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DemoResult:
    """Write a demo database to ``path``: built in a temporary file beside it, then moved into
    place in one step, so nobody ever sees half a database and an existing file is replaced
    only when the new one is complete."""
    tmp = path.with_name(path.name + ".creating")
    for leftover in (tmp, Path(str(tmp) + ".wal")):
        leftover.unlink(missing_ok=True)
    con = store.open_database(tmp, create=True)
    try:
        result = generate(
            con, leads=leads, seed=seed, end=end, progress=progress, commit_chunks=True
        )
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    Path(str(path) + ".wal").unlink(missing_ok=True)
    os.replace(tmp, path)
    return result


# --------------------------------------------------------------------------------------------
# Campaigns (one row per campaign, plus the organic pseudo-sources at the end)


def _campaigns(rng: np.random.Generator, leads: int, start: date) -> pd.DataFrame:
    waves = max(1, round(leads / DEFAULT_LEADS))
    rows: list[dict[str, Any]] = []
    for wave in range(waves):
        for t in TEMPLATES:
            shift = 0.0 if wave == 0 else float(rng.uniform(-0.25, 0.25))
            a = min(max(t.start + shift, 0.0), 0.97)
            b = min(max(t.end + shift, a + 0.02), 1.0)
            if t.event_days:
                b = a + (t.event_days + 10) / DAYS
            first = start + timedelta(days=int(a * (DAYS - 1)))
            last = start + timedelta(days=min(int(b * (DAYS - 1)), DAYS - 1))
            suffix = "" if wave == 0 else f" · wave {wave + 1}"
            rows.append(
                {
                    "campaign_id": f"{t.key}{wave + 1:04d}" if waves > 1 else t.key,
                    "name": t.name + suffix,
                    "channel": t.channel,
                    "direction": "outbound"
                    if t.channel in OUTBOUND_CHANNELS or t.channel == "events"
                    else "inbound",
                    "start_date": first,
                    "end_date": last,
                    "share": t.share / waves,
                    "event_days": t.event_days,
                    "is_campaign": True,
                }
            )
    for channel, share in ORGANIC:
        rows.append(
            {
                "campaign_id": None,
                "name": channel,
                "channel": channel,
                "direction": "inbound",
                "start_date": start,
                "end_date": start + timedelta(days=DAYS - 1),
                "share": share,
                "event_days": 0,
                "is_campaign": False,
            }
        )
    df = pd.DataFrame(rows)
    df["share"] = df["share"] / df["share"].sum()
    return df


def _day_base(start: date) -> np.ndarray:
    """The weight of each day of the demo year before campaign shapes: season, weekday, growth."""
    days = pd.date_range(start, periods=DAYS, freq="D")
    w = np.array([MONTH_FACTOR[d.month - 1] * WEEKDAY_FACTOR[d.weekday()] for d in days])
    w *= 0.85 + 0.3 * (np.arange(DAYS) / DAYS)  # growth
    return w


def _day_weights(camp: Any, start: date, base: np.ndarray | None = None) -> np.ndarray:
    """A campaign's share of its leads on each day from its start to its end date (sums to 1).

    ``base`` is :func:`_day_base` (pass it when calling for many campaigns: a slice of it is
    all a campaign needs, which keeps thousands of campaigns at 10M leads cheap).
    """
    if base is None:
        base = _day_base(start)
    first = (camp["start_date"] - start).days
    last = (camp["end_date"] - start).days
    w = base[first : last + 1].copy()
    if camp["event_days"]:
        k = int(camp["event_days"])
        w[:k] = 12.0  # the show itself (weekends included)
        w[k:] = np.linspace(1.5, 0.2, len(w) - k)  # badge scans entered afterwards
    return w / w.sum()


def _insert_campaigns(con: duckdb.DuckDBPyConnection, camps: pd.DataFrame) -> None:
    real = camps[camps["is_campaign"]][
        ["campaign_id", "name", "channel", "direction", "start_date", "end_date"]
    ]
    con.register("demo_campaigns", real)
    try:
        con.execute(
            "INSERT INTO campaigns (campaign_id, name, channel, direction, start_date, end_date) "
            "SELECT campaign_id, name, channel, direction, start_date::DATE, end_date::DATE "
            "FROM demo_campaigns"
        )
    finally:
        con.unregister("demo_campaigns")


# --------------------------------------------------------------------------------------------
# Leads


def _insert_leads(
    con: duckdb.DuckDBPyConnection,
    rng: np.random.Generator,
    camps: pd.DataFrame,
    n: int,
    start: date,
    end: date,
    progress: Callable[[int, int], None] | None,
    commit_chunks: bool = False,
) -> int:
    counts = rng.multinomial(n, camps["share"].to_numpy())
    # created_at: per campaign, days drawn from its day weights (one concatenated CDF)
    cdfs, offsets, lengths = [], [], []
    pos = 0
    day_base = _day_base(start)
    for i, camp in enumerate(camps[["start_date", "end_date", "event_days"]].to_dict("records")):
        w = _day_weights(camp, start, day_base)
        cdfs.append(np.cumsum(w) + i)
        offsets.append(pos)
        lengths.append(len(w))
        pos += len(w)
    cdf = np.concatenate(cdfs)
    src = np.repeat(np.arange(len(camps)), counts)
    u = rng.random(len(src))
    idx = np.searchsorted(cdf, src + u, side="right")
    idx = np.minimum(idx, np.asarray(offsets)[src] + np.asarray(lengths)[src] - 1)
    first_day = (
        pd.to_datetime(camps["start_date"]).to_numpy().astype("datetime64[D]")
        - np.datetime64(start, "D")
    ).astype(int)
    day = first_day[src] + (idx - np.asarray(offsets)[src])
    hour = np.clip(rng.normal(13.0, 3.2, len(src)), 0, 23.99)
    created_us = (
        day.astype(np.int64) * US_PER_DAY
        + (hour * 3_600_000_000).astype(np.int64)
        + rng.integers(0, 3_600_000_000, len(src)) % 1_000_000 * 1000
    )
    created_us -= created_us % 1_000_000  # whole seconds, as CRMs export them
    order = np.argsort(created_us, kind="stable")
    src, created_us = src[order], created_us[order]
    del u, idx, day, hour, order

    n_companies = max(50, n // 3)
    company_size = np.round(np.exp(rng.normal(np.log(120), 1.35, n_companies))).astype(np.int64)
    company_size = np.clip(company_size, 2, 100_000)
    company_region = rng.choice(len(REGIONS), n_companies, p=_norm(REGION_WEIGHTS))
    company_industry = rng.choice(len(INDUSTRIES), n_companies, p=_norm(INDUSTRY_WEIGHTS))

    now_us = (np.datetime64(end, "D") - np.datetime64(start, "D")).astype(int) + 1
    now_us = int(now_us) * US_PER_DAY  # end of the last day
    base = datetime.combine(start, time.min)
    sql = _LEAD_INSERT_SQL
    params = [list(COMPANY_PREFIXES), list(COMPANY_ROOTS), list(FIRST_NAMES), list(LAST_NAMES)]
    done = 0

    def insert(table: pa.Table) -> None:
        con.register("demo_chunk", table)
        try:
            con.execute(sql, params)
        finally:
            con.unregister("demo_chunk")
        if commit_chunks:
            con.execute("COMMIT")
            con.execute("BEGIN TRANSACTION")

    # DuckDB inserts chunk k on a worker thread (it releases the GIL) while numpy builds chunk
    # k+1 here; one insert at a time, in order, and the random stream stays on this thread, so
    # the data is the same as a sequential run
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: Future[None] | None = None
        for lo in range(0, len(src), CHUNK):
            hi = min(lo + CHUNK, len(src))
            chunk = _lead_chunk(
                rng,
                camps,
                src[lo:hi],
                created_us[lo:hi],
                lo,
                n_companies,
                company_size,
                company_region,
                company_industry,
                now_us,
            )
            chunk["created_at"] = pd.Timestamp(base) + pd.to_timedelta(
                chunk.pop("created_us"), "us"
            )
            for col in ("mql", "sql", "opportunity", "won", "lost"):
                us = chunk.pop(f"{col}_us")
                chunk[f"{col}_at"] = pd.Series(
                    pd.Timestamp(base) + pd.to_timedelta(us, "us"), index=chunk.index
                ).where(us >= 0)
            # Arrow, not pandas: DuckDB scans dictionary columns much faster than categoricals
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            del chunk
            if pending is not None:
                pending.result()
                if progress:
                    progress(done, len(src))
            pending = pool.submit(insert, table)
            done = hi
        if pending is not None:
            pending.result()
            if progress:
                progress(done, len(src))
    return done


_LEAD_INSERT_SQL = """
INSERT INTO leads
SELECT 'L' || lpad(CAST(n AS VARCHAR), 8, '0') AS lead_id,
       created_at::TIMESTAMP,
       campaign_id, channel, source,
       list_extract($1::VARCHAR[], (company % 20) + 1) || ' ' ||
           list_extract($2::VARCHAR[], (company // 20 % 15) + 1) ||
           CASE WHEN company >= 300 THEN ' ' || (company // 300 + 1)::VARCHAR ELSE '' END
           AS company,
       company_size, industry, region,
       list_extract($3::VARCHAR[], (person * 7 % 20) + 1) || '.' ||
           list_extract($4::VARCHAR[], (person * 13 % 16) + 1) || (person % 997)::VARCHAR ||
           '@' || lower(list_extract($1::VARCHAR[], (company % 20) + 1)) ||
           lower(list_extract($2::VARCHAR[], (company // 20 % 15) + 1)) ||
           CASE WHEN company >= 300 THEN (company // 300 + 1)::VARCHAR ELSE '' END ||
           '.example' AS email,
       CASE WHEN person % 5 = 0 THEN '8 (9' ELSE '+7 (9' END ||
           substr(lpad(CAST(person * 2654435761 % 1000000000 AS VARCHAR), 9, '0'), 1, 2) || ') ' ||
           substr(lpad(CAST(person * 2654435761 % 1000000000 AS VARCHAR), 9, '0'), 3, 3) || '-' ||
           substr(lpad(CAST(person * 2654435761 % 1000000000 AS VARCHAR), 9, '0'), 6, 2) || '-' ||
           substr(lpad(CAST(person * 2654435761 % 1000000000 AS VARCHAR), 9, '0'), 8, 2)
           AS phone,
       owner,
       bant_budget, bant_authority, bant_need, bant_timing, score,
       stage, status,
       mql_at::TIMESTAMP, sql_at::TIMESTAMP, opportunity_at::TIMESTAMP, won_at::TIMESTAMP,
       lost_at::TIMESTAMP, lost_reason, deal_value::DECIMAL(18, 2)
FROM demo_chunk
"""


def _norm(w: tuple[float, ...] | list[float]) -> np.ndarray:
    a = np.asarray(w, dtype=float)
    return a / a.sum()


def _cat(codes: np.ndarray, categories: list[str] | tuple[str, ...]) -> pd.Categorical[str]:
    return pd.Categorical.from_codes(codes, categories=pd.Index(list(categories)))


def _lead_chunk(
    rng: np.random.Generator,
    camps: pd.DataFrame,
    src: np.ndarray,
    created_us: np.ndarray,
    first_n: int,
    n_companies: int,
    company_size_all: np.ndarray,
    company_region: np.ndarray,
    company_industry: np.ndarray,
    now_us: int,
) -> pd.DataFrame:
    m = len(src)
    channels = camps["channel"].to_numpy()
    channel_names = sorted(set(channels))
    # people: ~1% are repeat submissions by an earlier person (duplicates for the importer);
    # a person always works for the same company, so repeats share e-mail and phone
    person = first_n + np.arange(m) + 1
    repeat = rng.random(m) < 0.01
    person = np.where(repeat & (person > 10), rng.integers(1, np.maximum(person, 2)), person)
    company = (person * 2_654_435_761) % n_companies
    prof = [PROFILES[c] for c in channels]
    p = {
        k: np.array([getattr(pr, k) for pr in prof])[src]
        for k in ("p_mql", "p_sql", "p_opp", "p_won", "deal", "speed")
    }

    size = company_size_all[company].astype(float)
    unknown_size = rng.random(m) < 0.05
    target = (size >= 50) & (size <= 500)
    quality = np.where(target, 1.35, 0.65)
    quality = np.where(unknown_size, 0.9, quality)
    owner = rng.choice(len(OWNERS), m)
    skill = np.array([w for _, w in OWNERS])[owner]

    # progression with delays; a step that would happen after "now" has not happened yet
    probs = [
        np.clip(p["p_mql"] * np.sqrt(quality), 0, 0.95),
        np.clip(p["p_sql"] * quality, 0, 0.95),
        np.clip(p["p_opp"] * np.sqrt(quality) * skill, 0, 0.95),
        np.clip(p["p_won"] * quality * skill, 0, 0.95),
    ]
    t = created_us.copy()
    stage = np.zeros(m, dtype=np.int8)
    alive = np.ones(m, dtype=bool)
    stamps = []
    for k, (median, spread) in enumerate(DELAYS):
        advance = alive & (rng.random(m) < probs[k])
        delay = np.exp(np.log(median) + spread * rng.standard_normal(m)) * p["speed"]
        t = t + (delay * US_PER_DAY).astype(np.int64) // 1_000_000 * 1_000_000
        happened = advance & (t <= now_us)
        stamps.append(np.where(happened, t, -1))
        stage = np.where(happened, k + 1, stage)
        alive = happened
    mql_us, sql_us, opp_us, won_us = stamps
    last_us = np.max(np.stack([created_us, *stamps]), axis=0)

    # how leads that stopped end: lost, nurture, or still open if too recent
    not_won = stage < 4
    roll = rng.random(m)
    lost_share = np.array([0.62, 0.55, 0.50, 0.55])[np.minimum(stage, 3)]
    nurture_share = np.array([0.14, 0.16, 0.06, 0.04])[np.minimum(stage, 3)]
    lost_days = np.exp(np.log(18) + 0.7 * rng.standard_normal(m))
    lost_us = last_us + (lost_days * US_PER_DAY).astype(np.int64) // 1_000_000 * 1_000_000
    settled = lost_us <= now_us
    is_lost = not_won & settled & (roll < lost_share)
    is_nurture = not_won & settled & ~is_lost & (roll < lost_share + nurture_share)
    status = np.where(stage == 4, 1, np.where(is_lost, 2, np.where(is_nurture, 3, 0)))
    lost_us = np.where(is_lost, lost_us, -1)
    reason = np.full(m, -1)
    reasons: list[str] = []
    for s_i, s_name in enumerate(("lead", "mql", "sql", "opportunity")):
        options = LOST_REASONS[s_name]
        sel = is_lost & (stage == s_i)
        if sel.any():
            picks = rng.choice(len(options), int(sel.sum()), p=_norm([w for _, w in options]))
            names = [name for name, _ in options]
            codes = []
            for name in names:
                if name not in reasons:
                    reasons.append(name)
                codes.append(reasons.index(name))
            reason[sel] = np.asarray(codes)[picks]

    # status-only CRM rows: a stage without its timestamps; and wins that skipped SQL's date
    undated = (stage >= 1) & (rng.random(m) < 0.010)
    for arr in (mql_us, sql_us, opp_us):
        arr[undated] = -1
    skipped = (stage == 4) & (rng.random(m) < 0.03)
    sql_us[skipped] = -1

    # BANT consistent with the stage, a few inconsistent for the audit, some not recorded
    want = np.array([0, 2, 4, 4, 4])[stage] + np.where(
        stage == 0, rng.random(m) < 0.3, np.where(stage == 1, rng.random(m) < 0.5, 0)
    ).astype(int)
    odd = rng.random(m) < 0.03
    want = np.where(odd & (stage >= 2), rng.integers(2, 4, m), want)
    want = np.where(odd & (stage == 1), 1, want)
    ranks = np.argsort(np.argsort(rng.random((m, 4)), axis=1), axis=1)
    flags = ranks < want[:, None]
    unknown_bant = rng.random(m) < 0.08
    score = np.clip(flags.sum(axis=1) * 20 + rng.integers(0, 21, m), 0, 100).astype(float)
    score[unknown_bant] = np.nan

    # deal values (RUB) for won leads: bigger companies and events buy more
    deal = np.exp(np.log(160_000) + 0.55 * rng.standard_normal(m)) * p["deal"]
    deal *= np.clip(np.where(unknown_size, 120, size) / 120, 0.3, 20) ** 0.25
    deal = np.where(stage == 4, np.round(deal, -3), np.nan)

    # the lead's source, drawn from its channel's mix: one uniform per lead, handed out campaign
    # by campaign in lead order (the stream ``rng.choice(..., p=...)`` per campaign would use),
    # but looked up per channel, so thousands of campaigns cost no more than a few
    source_names = sorted({s for pr in PROFILES.values() for s, _ in pr.sources})
    by_campaign = np.argsort(src, kind="stable")
    u = np.empty(m)
    u[by_campaign] = rng.random(m)
    channel_of = np.asarray([channel_names.index(c) for c in channels])[src]
    source_code = np.zeros(m, dtype=np.int64)
    for k, channel in enumerate(channel_names):
        sel = channel_of == k
        if not sel.any():
            continue
        mix = PROFILES[channel].sources
        cdf = np.cumsum(_norm([w for _, w in mix]))
        cdf /= cdf[-1]
        mix_codes = np.asarray([source_names.index(s) for s, _ in mix])
        source_code[sel] = mix_codes[np.searchsorted(cdf, u[sel], side="right")]

    campaign_ids = camps["campaign_id"].to_numpy()
    real = pd.notna(campaign_ids)
    id_names = [str(c) for c in campaign_ids[real]]
    id_code = np.full(len(campaign_ids), -1)
    id_code[real] = np.arange(real.sum())

    def bant(i: int) -> pd.Series:
        return pd.Series(flags[:, i], dtype="boolean").mask(unknown_bant)

    return pd.DataFrame(
        {
            "n": first_n + np.arange(m) + 1,
            "created_us": created_us,
            "campaign_id": _cat(id_code[src], id_names),
            "channel": _cat(channel_of, channel_names),
            "source": _cat(source_code, source_names),
            "company": company,
            "company_size": pd.Series(size.astype(np.int64), dtype="Int64").mask(unknown_size),
            "industry": _cat(company_industry[company], INDUSTRIES),
            "region": _cat(company_region[company], REGIONS),
            "person": person,
            "owner": _cat(owner, [o for o, _ in OWNERS]),
            "bant_budget": bant(0),
            "bant_authority": bant(1),
            "bant_need": bant(2),
            "bant_timing": bant(3),
            "score": score,
            "stage": _cat(stage, ["lead", "mql", "sql", "opportunity", "won"]),
            "status": _cat(status, ["open", "won", "lost", "nurture"]),
            "mql_us": mql_us,
            "sql_us": sql_us,
            "opportunity_us": opp_us,
            "won_us": won_us,
            "lost_us": lost_us,
            "lost_reason": _cat(reason, reasons or ["No response"]),
            "deal_value": deal,
        }
    )


# --------------------------------------------------------------------------------------------
# Costs: daily spend, impressions and clicks that follow each campaign's leads


def _insert_costs(
    con: duckdb.DuckDBPyConnection,
    rng: np.random.Generator,
    camps: pd.DataFrame,
    start: date,
    end: date,
) -> int:
    real = camps[camps["is_campaign"]].reset_index(drop=True)
    base = _day_base(start)
    # one row per (paying campaign, day of its window), campaign by campaign, days in order
    idx: list[np.ndarray] = []
    offsets: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    for i, camp in enumerate(
        real[["channel", "start_date", "end_date", "event_days"]].to_dict("records")
    ):
        if PROFILES[str(camp["channel"])].cpl == 0:
            continue  # referral programmes have no ad account
        w = _day_weights(camp, start, base)
        first = (camp["start_date"] - start).days
        idx.append(np.full(len(w), i))
        offsets.append(np.arange(first, first + len(w)))
        weights.append(w)
    if not idx:
        return 0
    camp_i, offset, w = np.concatenate(idx), np.concatenate(offsets), np.concatenate(weights)
    prof = [PROFILES[str(c)] for c in real["channel"]]
    cpl, ctr, cvr = (
        np.array([getattr(pr, k) for pr in prof])[camp_i] for k in ("cpl", "ctr", "cvr")
    )
    event = (real["event_days"].to_numpy() > 0)[camp_i]
    # leads per campaign and day, looked up by the key campaign * DAYS + day (grid keys ascend)
    ids = real["campaign_id"].to_numpy()
    con.register("demo_ids", pd.DataFrame({"campaign_id": ids, "i": np.arange(len(ids))}))
    try:
        daily = con.execute(
            "SELECT d.i * ? + date_diff('day', ?::DATE, l.created_at::DATE) AS key, count(*) AS n "
            "FROM leads l JOIN demo_ids d USING (campaign_id) GROUP BY ALL",
            [DAYS, start],
        ).fetchnumpy()
    finally:
        con.unregister("demo_ids")
    key = camp_i * DAYS + offset
    n = np.zeros(len(key))
    pos = np.searchsorted(key, daily["key"])
    pos = np.minimum(pos, len(key) - 1)
    hit = key[pos] == daily["key"]
    n[pos[hit]] = daily["n"][hit]
    starts = np.flatnonzero(np.r_[True, camp_i[1:] != camp_i[:-1]])
    total = np.repeat(np.add.reduceat(n, starts), np.diff(np.r_[starts, len(n)]))
    expected = w * total
    noise = np.exp(0.18 * rng.standard_normal(len(key)))
    leads_like = 0.6 * n + 0.4 * expected
    base_spend = cpl * leads_like * noise
    first_day = np.zeros(len(key), dtype=bool)
    first_day[starts] = True
    first_event_day = event & first_day
    # trade shows: the booth fee on the first day, less spend on the follow-up days
    spend = np.where(first_event_day, base_spend + cpl * total * 0.5, base_spend)
    spend = np.where(event & ~first_event_day, spend * 0.3, spend)
    clicks = np.round(leads_like / cvr * np.exp(0.12 * rng.standard_normal(len(key))))
    impressions = np.round(clicks / ctr * np.exp(0.15 * rng.standard_normal(len(key))))
    costs = pd.DataFrame(
        {
            "campaign_id": ids[camp_i],
            "day": np.datetime64(start, "D") + offset,
            "spend": np.round(spend, 2),
            "impressions": impressions.astype(np.int64),
            "clicks": clicks.astype(np.int64),
        }
    )
    con.register("demo_costs", costs)
    try:
        con.execute(
            "INSERT INTO campaign_costs SELECT campaign_id, day::DATE, "
            "spend::DECIMAL(18, 2), impressions, clicks FROM demo_costs ORDER BY day"
        )
    finally:
        con.unregister("demo_costs")
    return len(costs)


def _insert_budgets(
    con: duckdb.DuckDBPyConnection, camps: pd.DataFrame, rng: np.random.Generator
) -> None:
    """Planned budget = actual spend over the whole window, rounded up, with some headroom."""
    spent = con.execute(
        "SELECT campaign_id, sum(spend)::DOUBLE FROM campaign_costs GROUP BY 1 ORDER BY 1"
    ).fetchall()
    if not spent:
        return
    budgets = pd.DataFrame(
        {
            "campaign_id": [c for c, _ in spent],
            "budget": [
                math.ceil(s * float(rng.uniform(1.0, 1.25)) / 10_000) * 10_000 for _, s in spent
            ],
        }
    )
    con.register("demo_budgets", budgets)
    try:
        con.execute(
            "UPDATE campaigns SET budget = b.budget::DECIMAL(18, 2) FROM demo_budgets b "
            "WHERE campaigns.campaign_id = b.campaign_id"
        )
    finally:
        con.unregister("demo_budgets")
