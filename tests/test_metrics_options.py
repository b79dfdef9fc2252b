"""The filters' choices (analytics.metrics.options.filter_options) on a small hand-made set, on
both engines (conftest parametrises test_metrics_* over DuckDB and ClickHouse)."""

from __future__ import annotations

from analytics.metrics.options import filter_options
from tests.conftest import add_campaign, add_lead


def test_choices_from_campaigns_and_leads(empty_con):
    """Campaigns: C1 "zeta" and C2 "Alpha" from the table, C9 only on a lead (named by its id);
    sorted by name ignoring case: Alpha, C9, zeta. Channels: the campaigns' (webinar, Events)
    and the leads' (email, webinar), case-insensitively sorted, once each. NULLs are no choice:
    the lead without owner or region adds none; one industry recorded."""
    add_campaign(empty_con, "C1", "zeta", "webinar")
    add_campaign(empty_con, "C2", "Alpha", "Events")
    add_lead(
        empty_con,
        "a",
        "2026-01-05 10:00:00",
        campaign_id="C1",
        channel="webinar",
        source="form",
        owner="boris",
        region="North",
    )
    add_lead(
        empty_con,
        "b",
        "2026-01-06 10:00:00",
        campaign_id="C9",
        channel="email",
        source="Call",
        owner="Anna",
        industry="Retail",
    )
    add_lead(empty_con, "c", "2026-01-07 10:00:00", channel="email", source="form")
    o = filter_options(empty_con)
    assert o.campaigns == (("C2", "Alpha"), ("C9", "C9"), ("C1", "zeta"))
    assert o.channels == ("email", "Events", "webinar")
    assert o.sources == ("Call", "form")
    assert o.owners == ("Anna", "boris")
    assert o.regions == ("North",)
    assert o.industries == ("Retail",)


def test_an_empty_database_has_no_choices(empty_con):
    o = filter_options(empty_con)
    assert (o.campaigns, o.channels, o.sources, o.owners, o.regions, o.industries) == (
        (),
        (),
        (),
        (),
        (),
        (),
    )
