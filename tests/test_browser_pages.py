"""A real browser walks every page listed in the sidebar navigation, in English and in Russian.

Pages are discovered from the navigation links, so a page anyone adds to dashboard.py is walked
too. Each page must finish its run, draw every chart, show no exception and raise no JavaScript
error; a screenshot per page and language lands in artifacts/screens/.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

import pytest

from tests.browser import browser_page, require_browser, running_app, screenshot, wait_until_idle
from tests.conftest import APP_TODAY

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app(demo_db):
    require_browser()
    env = {"VORONKA_DB": str(demo_db), "VORONKA_TODAY": APP_TODAY}
    with running_app(env) as url:
        yield url


def nav_pages(page, base: str) -> list[tuple[str, str]]:
    """(url path, label) of every page in the sidebar navigation, in order."""
    page.goto(base + "/")
    finished(page)
    links = page.locator('[data-testid="stSidebarNavLink"]')
    links.first.wait_for(timeout=30_000)
    out = []
    for i in range(links.count()):
        link = links.nth(i)
        path = urlsplit(link.get_attribute("href") or "/").path or "/"
        out.append((path, link.inner_text().splitlines()[-1].strip()))
    return out


def finished(page) -> None:
    """The page has its title, the run is over and every chart has drawn itself."""
    page.locator("h1").first.wait_for(timeout=60_000)
    wait_until_idle(page)
    charts = page.locator('[data-testid="stPlotlyChart"]')
    for i in range(charts.count()):
        charts.nth(i).locator(".main-svg").first.wait_for(timeout=30_000)


def slug(path: str) -> str:
    return path.strip("/").replace("/", "-") or "home"


def test_every_page_in_both_languages(app):
    with browser_page() as page:
        pages = nav_pages(page, app)
        paths = [p for p, _ in pages]
        # our own pages must be among them (others' pages come and go with their branches)
        assert {"/", "/weekly", "/journey"} <= set(paths), pages
        # file names instead of titles would mean dashboard.py (the shell) did not run
        assert "dashboard" not in [name for _, name in pages], pages
        seen = []
        for lang in ("en", "ru"):
            for path, _ in pages:
                page.goto(f"{app}{path}?lang={lang}&period=last_12_months")
                finished(page)
                where = f"{path} ({lang})"
                assert page.locator('[data-testid="stException"]').count() == 0, where
                assert not page.js_errors, (where, page.js_errors)
                assert page.locator("h1").count() >= 1, where
                seen.append(screenshot(page, f"page-{slug(path)}-{lang}"))
        assert len(seen) == 2 * len(pages)
        # the navigation is translated as well
        page.goto(f"{app}/?lang=ru")
        wait_until_idle(page)
        page.get_by_text("Итоги недели", exact=True).wait_for(timeout=30_000)
        page.get_by_text("Путь клиента", exact=True).wait_for(timeout=30_000)


def test_weekly_review_week_choice_lands_in_the_link(app):
    with browser_page() as page:
        page.goto(app + "/weekly")
        finished(page)
        week = page.locator('[data-testid="stSelectbox"]').first
        assert week.locator("input").input_value().startswith("2026-W46")
        week.click()
        page.get_by_role("option").filter(has_text="2026-W44").click()
        page.wait_for_url("**week=2026-W44**", timeout=30_000)
        finished(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert len(page.locator('[data-testid="stMetric"]').all()) == 13
        # a table is built when its expander opens (a quick rerun from the cache)
        assert page.locator('[data-testid="stDataFrame"]').count() == 1  # the forecast
        page.get_by_text("Velocity: table", exact=True).click()
        page.locator('[data-testid="stDataFrame"]').nth(1).wait_for(timeout=30_000)
        page.get_by_text("How is this computed?", exact=True).first.click()
        page.locator('[data-testid="stCode"]').first.wait_for(timeout=30_000)
        assert "SELECT" in page.locator('[data-testid="stCode"]').first.inner_text()
        assert page.locator('[data-testid="stException"]').count() == 0
        assert not page.js_errors


def test_the_stopped_leads_download_holds_the_whole_list_masked(app):
    with browser_page() as page:
        page.goto(app + "/journey?period=last_12_months&stop=opportunity&outcome=lost")
        finished(page)
        caption = page.get_by_text("leads stopped at Opportunity (lost)").inner_text()
        total = int(caption.split(" leads")[0].replace(",", ""))
        csv_button = page.get_by_role("button", name="Download CSV").last  # the list's own
        csv_button.wait_for(state="visible", timeout=30_000)
        with page.expect_download(timeout=30_000) as info:
            csv_button.click()
        text = open(info.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) == total > 25  # every lead, not the page on screen
        assert {r["Status"] for r in rows} == {"Lost"}
        assert all("***@" in r["E-mail"] for r in rows if r["E-mail"])
        assert not page.js_errors


def test_a_deep_link_on_a_fresh_server_goes_through_the_shell(demo_db):
    """Streamlit's old pages-directory mode would run pages/weekly.py alone for the very first
    request of a fresh server: no sections, no language switch, no link sync (see ui/shell.py)."""
    require_browser()
    env = {"VORONKA_DB": str(demo_db), "VORONKA_TODAY": APP_TODAY}
    with running_app(env) as url, browser_page() as page:
        page.goto(url + "/weekly?lang=ru&channel=social")
        finished(page)
        page.get_by_role("heading", name="Итоги недели").wait_for(timeout=30_000)
        page.get_by_text("Продажи", exact=True).wait_for(timeout=30_000)  # a nav section
        page.get_by_text("English", exact=True).wait_for(timeout=30_000)  # the language switch
        names = page.locator('[data-testid="stSidebarNavLink"]').all_inner_texts()
        assert not any("dashboard" in n.splitlines()[-1] for n in names), names
        assert "channel=social" in page.url
        assert page.locator('[data-testid="stException"]').count() == 0


def test_sessions_arriving_together_on_a_fresh_server_all_get_the_shell(demo_db):
    """Several first requests at once: each session began in the pages-directory mode before
    any run could switch it off; each must still end up inside dashboard.py (found by the load
    test: the later sessions kept a navigation of file names and no sign-in check)."""
    require_browser()
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    env = {"VORONKA_DB": str(demo_db), "VORONKA_TODAY": APP_TODAY}
    paths = ["/weekly", "/campaigns", "/journey", "/quality"]
    with running_app(env) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tabs = [browser.new_context(viewport={"width": 1280, "height": 800}).new_page()]
            tabs += [browser.new_context().new_page() for _ in paths[1:]]
            for tab, path in zip(tabs, paths, strict=True):
                tab.goto(url + path, wait_until="commit")  # all four first requests together
            for tab, path in zip(tabs, paths, strict=True):
                finished(tab)
                tab.get_by_text("Marketing", exact=True).wait_for(timeout=60_000)  # a section
                tab.get_by_text("Русский", exact=True).wait_for(timeout=30_000)  # language switch
                names = tab.locator('[data-testid="stSidebarNavLink"]').all_inner_texts()
                labels = [n.splitlines()[-1].strip() for n in names]
                assert "Weekly review" in labels and "dashboard" not in labels, (path, labels)
                assert tab.locator('[data-testid="stException"]').count() == 0
        finally:
            browser.close()
