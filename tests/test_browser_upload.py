"""A real browser uploads a Russian CRM export, imports it and sees the Overview change; then
views another file ad hoc and goes back to the database."""

from __future__ import annotations

import shutil

import pytest

from tests.browser import browser_page, require_browser, running_app, screenshot, wait_until_idle
from tests.conftest import APP_TODAY
from tests.test_app_upload import RU

pytestmark = pytest.mark.browser


def leads_tile(page) -> str:
    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=30_000)
    return page.locator('[data-testid="stMetricValue"]').first.inner_text()


def test_upload_import_and_ad_hoc_in_a_real_browser(demo_db, tmp_path):
    require_browser()
    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, db)
    csv = tmp_path / "amo_export.csv"
    csv.write_bytes(RU)
    env = {"VORONKA_DB": str(db), "VORONKA_TODAY": APP_TODAY}
    with running_app(env) as url, browser_page() as page:
        # a deep link is the first visit of this fresh server: it still runs inside the shell
        page.goto(url + "/upload")
        page.get_by_role("heading", name="Upload a file").wait_for(timeout=30_000)
        page.get_by_text("Русский", exact=True).wait_for(timeout=30_000)
        assert page.get_by_role("link", name="Overview").count() == 1

        page.goto(url + "/?period=all_time")
        page.get_by_role("heading", name="Overview").wait_for(timeout=30_000)
        wait_until_idle(page)
        assert leads_tile(page) == "3,000"

        page.get_by_role("link", name="Upload").click()
        page.get_by_role("heading", name="Upload a file").wait_for(timeout=30_000)
        page.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(str(csv))
        page.get_by_role("heading", name="4. View or import").wait_for(timeout=30_000)
        wait_until_idle(page)
        assert page.get_by_text("encoding cp1251").count() == 1
        screenshot(page, "upload-en")
        page.get_by_role("button", name="Import into the database").click()
        page.get_by_text("inserted 2, updated 0, skipped 1").wait_for(timeout=30_000)
        wait_until_idle(page)
        screenshot(page, "upload-imported-en")

        page.get_by_role("link", name="Overview").click()
        page.get_by_role("heading", name="Overview").wait_for(timeout=30_000)
        page.locator('[data-testid="stMetricValue"]').get_by_text("3,002", exact=True).wait_for(
            timeout=30_000
        )
        assert leads_tile(page) == "3,002"

        # the same file ad hoc: the dashboards over it alone, then back
        page.get_by_role("link", name="Upload").click()
        page.get_by_role("heading", name="Upload a file").wait_for(timeout=30_000)
        page.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(str(csv))
        page.get_by_role("heading", name="4. View or import").wait_for(timeout=30_000)
        wait_until_idle(page)
        page.get_by_role("button", name="View ad hoc").click()
        page.get_by_text("Ad-hoc view of").wait_for(timeout=30_000)
        page.get_by_role("heading", name="Overview").wait_for(timeout=30_000)
        wait_until_idle(page)
        assert leads_tile(page) == "2"
        page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for(timeout=30_000)
        screenshot(page, "adhoc-overview-en")
        page.get_by_role("button", name="Back to the database").click()
        page.locator('[data-testid="stMetricValue"]').get_by_text("3,002", exact=True).wait_for(
            timeout=30_000
        )
        assert page.get_by_text("Ad-hoc view of").count() == 0

        page.get_by_text("Русский", exact=True).click()
        page.wait_for_url("**lang=ru**", timeout=30_000)
        page.get_by_role("link", name="Загрузка").click()
        page.get_by_role("heading", name="Загрузка файла").wait_for(timeout=30_000)
        page.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(str(csv))
        page.get_by_role("heading", name="4. Просмотр или импорт").wait_for(timeout=30_000)
        wait_until_idle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert not page.js_errors
        screenshot(page, "upload-ru")
