"""A real browser opens the app on a demo database and finds the KPI tiles and the funnel."""

from __future__ import annotations

import pytest

from tests.browser import browser_page, require_browser, running_app, screenshot, wait_until_idle
from tests.conftest import APP_TODAY

pytestmark = pytest.mark.browser


def test_overview_in_a_real_browser(demo_db):
    require_browser()
    env = {"VORONKA_DB": str(demo_db), "VORONKA_TODAY": APP_TODAY}
    with running_app(env) as url, browser_page() as page:
        page.goto(url + "/?period=last_12_months")
        wait_until_idle(page)
        page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=30_000)
        tiles = page.locator('[data-testid="stMetric"]')
        assert tiles.count() == 10
        # the fixture's 3 000 demo leads span exactly the 365 days ending on APP_TODAY
        assert page.locator('[data-testid="stMetricValue"]').first.inner_text() == "3,000"
        assert page.locator('[data-testid="stException"]').count() == 0
        screenshot(page, "overview-en")

        # a widget change reruns the whole app (shell + page) and lands in the URL
        page.get_by_text("Activity", exact=True).click()
        page.wait_for_url("**mode=activity**", timeout=30_000)
        wait_until_idle(page)
        page.get_by_text("Русский", exact=True).wait_for(timeout=30_000)  # the shell still renders

        page.get_by_text("Русский", exact=True).click()
        page.wait_for_url("**lang=ru**", timeout=30_000)
        page.get_by_role("heading", name="Обзор").wait_for(timeout=30_000)
        wait_until_idle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert not page.js_errors
        screenshot(page, "overview-ru")
