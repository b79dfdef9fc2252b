"""Domain constants: stages, statuses, channels, temperatures.

Stage order lives here and nowhere else; labels are data (settings and the message catalogue).
"""

from __future__ import annotations

from typing import Final, Literal

Stage = Literal["lead", "mql", "sql", "opportunity", "won"]
Status = Literal["open", "won", "lost", "nurture"]
Mode = Literal["cohort", "activity"]
Temperature = Literal["cold", "warm", "hot"]
Segment = Literal["target", "non_target", "unknown_size"]

#: The funnel, in order. ``stage`` of a lead is the furthest of these it reached.
STAGES: Final[tuple[Stage, ...]] = ("lead", "mql", "sql", "opportunity", "won")
STATUSES: Final[tuple[Status, ...]] = ("open", "won", "lost", "nurture")
MODES: Final[tuple[Mode, ...]] = ("cohort", "activity")
TEMPERATURES: Final[tuple[Temperature, ...]] = ("cold", "warm", "hot")
SEGMENTS: Final[tuple[Segment, ...]] = ("target", "non_target", "unknown_size")
DIRECTIONS: Final[tuple[str, ...]] = ("inbound", "outbound")

#: The column holding the moment a lead entered each stage ("lead" = creation).
STAGE_TIMESTAMP: Final[dict[Stage, str]] = {
    "lead": "created_at",
    "mql": "mql_at",
    "sql": "sql_at",
    "opportunity": "opportunity_at",
    "won": "won_at",
}

#: Velocity pairs of PRODUCT.md, in display order; the last one is the sales cycle.
VELOCITY_PAIRS: Final[tuple[tuple[Stage, Stage], ...]] = (
    ("lead", "mql"),
    ("mql", "sql"),
    ("sql", "opportunity"),
    ("opportunity", "won"),
    ("lead", "won"),
)

BANT_COLUMNS: Final[tuple[str, ...]] = ("bant_budget", "bant_authority", "bant_need", "bant_timing")

#: Channels known to the product (codes). Data may hold others; they are shown as they are.
CHANNELS: Final[tuple[str, ...]] = (
    "paid_search",
    "social",
    "content_seo",
    "lead_magnet",
    "popup",
    "newsletter",
    "quiz",
    "chatbot",
    "callback",
    "events",
    "referral",
    "purchased_list",
    "cold_outreach",
)

#: A lead without a campaign takes its direction from its channel: these are outbound,
#: everything else (organic search, referrals, direct calls...) is inbound.
OUTBOUND_CHANNELS: Final[tuple[str, ...]] = ("purchased_list", "cold_outreach")

DEFAULT_ICP_MIN: Final[int] = 50
DEFAULT_ICP_MAX: Final[int] = 500


def stages_from(stage: Stage) -> tuple[Stage, ...]:
    """The stages a lead at ``stage`` or later can have: reaching S means stage >= S."""
    return STAGES[STAGES.index(stage) :]


def previous_stage(stage: Stage) -> Stage | None:
    i = STAGES.index(stage)
    return STAGES[i - 1] if i > 0 else None


def temperature_of(bant_count: int) -> Temperature:
    """cold = 0-1 confirmed BANT criteria, warm = 2-3, hot = 4 (PRODUCT.md)."""
    if bant_count >= 4:
        return "hot"
    if bant_count >= 2:
        return "warm"
    return "cold"
