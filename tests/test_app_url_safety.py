"""Hostile links on every page: injection attempts, unknown ids and malformed dates in the query
string are ignored with a notice that shows them as plain text; the valid values of the same
link still apply; nothing reaches SQL (the values are checked against the allowed lists first)."""

from __future__ import annotations

import pytest

from tests.conftest import app_test
from ui.components import md_escape

FILTER_PAGES = (
    "pages/overview.py",
    "pages/weekly.py",
    "pages/campaigns.py",
    "pages/quality.py",
    "pages/journey.py",
)
HOSTILE = {
    "campaign": ["' OR 1=1 --", "YDB", "<img src=x onerror=alert(1)>"],
    "owner": ["<script>alert(1)</script>", "Anna Smirnova"],
    "region": "**bold** [link](javascript:alert(1))",
    "channel": "../../etc/passwd",
    "segment": "target'); DROP TABLE leads; --",
    "from": "2026-13-45",
    "to": "9999-99-99",
    "mode": "cohort' --",
}
#: what the notice must list, as typed in the link (cut at 40 characters)
IGNORED = [
    "campaign=' OR 1=1 --",
    "campaign=<img src=x onerror=alert(1)>",
    "owner=<script>alert(1)</script>",
    "region=**bold** [link](javascript:alert(1",
    "channel=../../etc/passwd",
    "segment=target'); DROP TABLE leads; --",
    "from=2026-13-45",
    "to=9999-99-99",
    "mode=cohort' --",
]


@pytest.mark.parametrize("page", FILTER_PAGES, ids=lambda p: p.split("/")[-1][:-3])
def test_hostile_link_values_are_ignored_with_a_notice(app_env, page):
    at = app_test(page, **HOSTILE)
    at.run()
    assert not at.exception
    notices = [w.value for w in at.warning if "ignored" in w.value.lower()]
    assert len(notices) == 1, [w.value for w in at.warning]
    for item in IGNORED:
        # escaped for markdown, so it shows as the characters typed (no link, no bold)
        assert md_escape(item) in notices[0], item
    # the valid values of the same link apply
    assert at.multiselect(key="w.flt_campaigns.en").value == ["YDB"]
    assert at.multiselect(key="w.flt_owners.en").value == ["Anna Smirnova"]
    assert at.multiselect(key="w.flt_regions.en").value == []
    assert at.session_state["flt_mode"] == "cohort"
    assert at.session_state["flt_from"] is None and at.session_state["flt_to"] is None
    # the link written back holds only what was accepted
    assert at.query_params["campaign"] == ["YDB"] or at.query_params["campaign"] == "YDB"
    assert "region" not in at.query_params and "from" not in at.query_params


@pytest.mark.parametrize("page", ["pages/upload.py", "pages/settings.py"])
def test_pages_without_filters_take_a_hostile_link_calmly(app_env, page):
    at = app_test(page, **HOSTILE)
    at.run()
    assert not at.exception
    shown = [m.value for m in at.markdown] + [w.value for w in at.warning]
    assert not [s for s in shown if "<script>" in s or "<img" in s or "](javascript" in s]
