"""A real browser walks every page of a database whose every free-text field is hostile: markup
with an onerror handler, a script element, markdown with a javascript: link. No dialog may open,
no such element may reach the DOM, and the text shows as the characters typed. A formula in
the data arrives neutralised in the CSV and Excel files the browser downloads."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from analytics import demo, store
from tests.browser import browser_page, require_browser, running_app
from tests.conftest import APP_TODAY
from tests.hostile import IMG, MARKDOWN, SCRIPT
from tests.test_browser_pages import finished, nav_pages

pytestmark = pytest.mark.browser

FORMULA = '=HYPERLINK("http://evil.example","<img src=x onerror=alert(1)>")'
PAYLOADS = (IMG, SCRIPT, MARKDOWN, FORMULA)
LEAD_TEXT = ("company", "source", "owner", "region", "industry", "lost_reason", "email")


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory: pytest.TempPathFactory):
    require_browser()
    path: Path = tmp_path_factory.mktemp("hostile") / "hostile.duckdb"
    demo.create_file(path, leads=400, seed=11, end=date.fromisoformat(APP_TODAY))
    payloads = "[" + ", ".join("?" for _ in PAYLOADS) + "]"
    with store.writing(path) as con:
        # every text field of every row: the payloads in turn
        sets = ", ".join(f"{c} = p.v" for c in LEAD_TEXT)
        con.execute(
            f"UPDATE leads SET {sets} FROM (SELECT lead_id, ({payloads})"
            f"[1 + (row_number() OVER (ORDER BY lead_id)) % 4] AS v FROM leads) p "
            f"WHERE leads.lead_id = p.lead_id",
            list(PAYLOADS),
        )
        con.execute(
            f"UPDATE campaigns SET name = p.v || ' #' || p.n FROM (SELECT campaign_id, "
            f"({payloads})[1 + (row_number() OVER (ORDER BY campaign_id)) % 4] AS v, "
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


def test_downloads_from_the_browser_neutralise_formulas(hostile_app):
    import openpyxl

    with browser_page(width=1400, height=1000) as page:
        page.goto(f"{hostile_app}/journey?period=last_12_months")
        finished(page)
        files = {}
        for label in ("Download CSV", "Download Excel"):
            button = page.get_by_role("button", name=label).last  # the stopped-leads list
            button.wait_for(state="visible", timeout=30_000)
            with page.expect_download(timeout=30_000) as info:
                button.click()
            files[label] = Path(info.value.path()).read_bytes()
    rows = list(csv.DictReader(io.StringIO(files["Download CSV"].decode("utf-8-sig"))))
    companies = [r["Company"] for r in rows]
    assert "'" + FORMULA in companies and FORMULA not in companies
    assert IMG in companies and SCRIPT in companies  # other text exactly as stored
    book = openpyxl.load_workbook(io.BytesIO(files["Download Excel"]))
    cells = [c for row in book.active.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert "'" + FORMULA in {c.value for c in cells}
