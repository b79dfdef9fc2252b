"""Real browser: the marketer's pages as people open them (a shared link as the first request of
a fresh server, in Russian), a grouping change, moving between pages with the filters kept, and
a settings change that the next page shows at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.browser import browser_page, require_browser, running_app, screenshot, wait_until_idle
from tests.conftest import APP_TODAY

pytestmark = pytest.mark.browser


def settled(page, charts: int = 0) -> None:
    """The rerun is over (no placeholders left) and ``charts`` charts are drawn."""
    wait_until_idle(page)
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=stSkeleton]').length == 0",
        timeout=90_000,
    )
    if charts:
        page.wait_for_function(
            "n => [...document.querySelectorAll('[data-testid=stPlotlyChart]')]"
            ".filter(c => c.querySelector('.main-svg')).length >= n",
            arg=charts,
            timeout=90_000,
        )


def no_errors(page) -> None:
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()
    assert not page.js_errors


def test_shared_link_to_campaigns_on_a_fresh_server_in_russian(demo_db):
    require_browser()
    env = {"VORONKA_DB": str(demo_db), "VORONKA_TODAY": APP_TODAY}
    with running_app(env) as url, browser_page() as page:
        # the very first request of the server is a deep link: it must run inside the shell
        page.goto(url + "/campaigns?lang=ru&period=last_12_months&group=channel")
        page.get_by_role("heading", name="Кампании").wait_for(timeout=90_000)
        settled(page, charts=3)
        no_errors(page)
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("English", exact=True).wait_for(timeout=90_000)  # the shell's switch
        nav = page.locator('[data-testid="stSidebarNavLink"]')
        titles = [text.split("\n")[-1] for text in nav.all_inner_texts()]  # after the icon
        expected = ["Обзор", "Кампании", "Качество лидов", "Настройки"]  # in this order
        assert [t for t in titles if t in expected] == expected
        assert not {"overview", "campaigns", "quality", "settings"} & set(titles)  # not file names
        assert page.locator('[data-testid="stDataFrame"]').count() >= 1
        screenshot(page, "campaigns-ru")

        # the table's CSV is built when the button is pressed, and it is the table
        with page.expect_download(timeout=90_000) as download:
            page.get_by_role("button", name="Скачать CSV").first.click()
        assert download.value.suggested_filename == "voronka-campaigns-by-channel.csv"
        text = Path(download.value.path()).read_text(encoding="utf-8-sig")
        header, first = text.splitlines()[:2]
        assert header.startswith('Канал,Кампаний,"Расходы, ₽",Показы,Клики,CTR,Лиды')
        assert first.startswith("Контекстная реклама,3,")  # the biggest spender first

        # another grouping: a click lands in the URL and redraws the page
        page.get_by_text("Направлению", exact=True).click()
        page.wait_for_url("**group=direction**", timeout=90_000)
        settled(page, charts=3)
        no_errors(page)

        # to Lead quality: the filters and the language come along
        nav.filter(has_text="Качество лидов").click()
        page.get_by_role("heading", name="Качество лидов").wait_for(timeout=90_000)
        # the run ends by writing the view back into the URL
        page.wait_for_url("**/quality?*period=last_12_months*", timeout=90_000)
        settled(page, charts=4)
        no_errors(page)
        assert "lang=ru" in page.url
        assert page.locator('[data-testid="stMetric"]').count() == 4
        screenshot(page, "quality-ru")


def test_settings_change_shows_on_the_next_page(demo_db, tmp_path: Path):
    require_browser()
    db = tmp_path / "settings.duckdb"
    shutil.copy(demo_db, db)
    env = {"VORONKA_DB": str(db), "VORONKA_TODAY": APP_TODAY}
    with running_app(env) as url, browser_page() as page:
        page.goto(url + "/settings")
        page.get_by_role("heading", name="Settings").wait_for(timeout=90_000)
        settled(page)
        assert page.get_by_text(str(db.resolve()), exact=True).count() == 1
        screenshot(page, "settings-en")

        page.locator('[data-testid="stSelectbox"]').filter(has_text="Currency").click()
        page.get_by_role("option").filter(has_text="USD").click()
        page.get_by_label("SQL", exact=True).fill("Call")
        page.get_by_role("button", name="Save settings").click()
        page.get_by_text("Saved: currency, stage names.", exact=False).wait_for(timeout=90_000)
        settled(page)
        no_errors(page)

        page.locator('[data-testid="stSidebarNavLink"]').filter(has_text="Overview").click()
        page.get_by_role("heading", name="Overview").wait_for(timeout=90_000)
        settled(page, charts=1)
        no_errors(page)
        labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
        assert any("Spend, $" in text for text in labels), labels
        funnel = page.locator('[data-testid="stPlotlyChart"]').first.inner_text()
        assert "Call" in funnel
