"""A real browser walks every page of a database whose every free-text field is hostile: markup
with an onerror handler, a script element, markdown with a javascript: link. No dialog may open,
no such element may reach the DOM, and the text shows as the characters typed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from analytics import demo, store
from tests.browser import browser_page, require_browser, running_app
from tests.conftest import APP_TODAY
from tests.hostile import IMG, MARKDOWN, SCRIPT
from tests.test_browser_pages import finished, nav_pages

pytestmark = pytest.mark.browser

PAYLOADS = (IMG, SCRIPT, MARKDOWN)
LEAD_TEXT = ("company", "source", "owner", "region", "industry", "lost_reason", "email")


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory: pytest.TempPathFactory):
    require_browser()
    path: Path = tmp_path_factory.mktemp("hostile") / "hostile.duckdb"
    demo.create_file(path, leads=400, seed=11, end=date.fromisoformat(APP_TODAY))
    payloads = "[" + ", ".join("?" for _ in PAYLOADS) + "]"
    with store.writing(path) as con:
        # every text field of every row: the three payloads in turn
        sets = ", ".join(f"{c} = p.v" for c in LEAD_TEXT)
        con.execute(
            f"UPDATE leads SET {sets} FROM (SELECT lead_id, ({payloads})"
            f"[1 + (row_number() OVER (ORDER BY lead_id)) % 3] AS v FROM leads) p "
            f"WHERE leads.lead_id = p.lead_id",
            list(PAYLOADS),
        )
        con.execute(
            f"UPDATE campaigns SET name = p.v || ' #' || p.n FROM (SELECT campaign_id, "
            f"({payloads})[1 + (row_number() OVER (ORDER BY campaign_id)) % 3] AS v, "
            f"row_number() OVER (ORDER BY campaign_id) AS n FROM campaigns) p "
            f"WHERE campaigns.campaign_id = p.campaign_id",
            list(PAYLOADS),
        )
        con.execute("CHECKPOINT")
    env = {"VORONKA_DB": str(path), "VORONKA_TODAY": APP_TODAY}
    with running_app(env) as url:
        yield url


def injected(page) -> dict[str, int]:
    """Elements the payloads would have created had they been read as markup."""
    return {
        "img[src=x]": page.locator("img[src='x']").count(),
        "script alert": page.locator("script", has_text="alert(1)").count(),
        "javascript: link": page.locator("a[href^='javascript']").count(),
        "<strong>bold": page.locator("strong", has_text="bold").count(),
    }


def test_hostile_text_is_text_on_every_page(hostile_app):
    with browser_page(width=1400, height=1000) as page:
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        pages = nav_pages(page, hostile_app)
        assert {"/", "/campaigns", "/quality", "/journey"} <= {p for p, _ in pages}, pages
        seen: dict[str, set[str]] = {}
        for path, _ in pages:
            page.goto(f"{hostile_app}{path}?period=last_12_months")
            finished(page)
            where = path
            assert page.locator('[data-testid="stException"]').count() == 0, where
            # open the sidebar's "more filters" so owner/region/industry lists are drawn too
            page.wait_for_timeout(300)
            assert injected(page) == dict.fromkeys(injected(page), 0), where
            assert dialogs == [], (where, dialogs)
            assert not page.js_errors, (where, page.js_errors)
            text = page.evaluate("document.body.innerText") + "\n".join(
                page.locator("svg text").all_text_contents()
            )
            seen[path] = {p for p in PAYLOADS if p in text}
        # the payloads are shown as the characters typed: chart labels on the marketer's pages
        for path in ("/campaigns", "/quality"):
            assert seen[path], (path, seen)
        assert set().union(*seen.values()) >= {IMG, SCRIPT}, seen
        page.wait_for_timeout(500)  # a late onerror would fire by now
        assert dialogs == []
