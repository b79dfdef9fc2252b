"""Chart styling shared by every page: one colour per stage and per channel, readable fonts."""

from __future__ import annotations

import html
from collections.abc import Sequence

import plotly.graph_objects as go

from analytics.model import CHANNELS, STAGES

STAGE_COLORS: dict[str, str] = {
    "lead": "#9ecae1",
    "mql": "#6baed6",
    "sql": "#3182bd",
    "opportunity": "#08519c",
    "won": "#2ca25f",
}
_PALETTE = (
    "#4c78a8",
    "#f58518",
    "#e45756",
    "#72b7b2",
    "#54a24b",
    "#eeca3b",
    "#b279a2",
    "#ff9da6",
    "#9d755d",
    "#bab0ac",
    "#1b9e77",
    "#d95f02",
    "#7570b3",
)
CHANNEL_COLORS: dict[str, str] = dict(zip(CHANNELS, _PALETTE, strict=True))


def plot_text(text: str) -> str:
    """Text from data or settings, made inert for plotly (which renders ``<b>``, ``<a href>``
    and friends in labels, legends and titles); plotly shows the entities as the characters."""
    return html.escape(str(text), quote=False)


def channel_color(channel: str) -> str:
    return CHANNEL_COLORS.get(channel, "#888888")


def stage_colors(stages: Sequence[str] = STAGES) -> list[str]:
    return [STAGE_COLORS.get(s, "#888888") for s in stages]


def layout(fig: go.Figure, height: int = 380) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        font={"size": 13},
        hoverlabel={"font_size": 13},
        separators=None,
    )
    return fig


def plain(text: str) -> str:
    """Text from data or settings (a lost reason, the CRM's stage names) for a Plotly label or
    title: Plotly reads a few HTML tags (links among them), so tags are shown as text."""
    return html.escape(text, quote=False)
