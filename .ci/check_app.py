"""CI: the app started by the README's first command shows the Overview on demo data.

Usage: python3 .ci/check_app.py http://127.0.0.1:PORT. Opens the app in Debian's chromium as a new
user would (no query string), waits for the rerun to finish, and fails unless the page shows
the demo banner, the ten KPI tiles and the funnel chart, with no error or traceback on it.
Saves artifacts/ci-overview.png.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def main(url: str) -> int:
    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.goto(url, timeout=120_000)
        page.wait_for_selector('[data-testid="stMetric"]', timeout=180_000)
        page.wait_for_selector(".main-svg", timeout=60_000)
        page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60_000)
        Path("artifacts").mkdir(exist_ok=True)
        page.screenshot(path="artifacts/ci-overview.png", full_page=True)
        text = page.inner_text("body")
        tiles = page.locator('[data-testid="stMetric"]').count()
        errors = page.locator('[data-testid="stException"]').count()
        browser.close()
    problems = []
    if "demo data" not in text:
        problems.append("no demo banner")
    if tiles < 10:
        problems.append(f"{tiles} KPI tiles, expected 10")
    if errors or "Traceback" in text:
        problems.append("an error on the page")
    if problems:
        print("CI: the Overview is wrong: " + "; ".join(problems) + "\n" + text[:2000])
        return 1
    print(f"CI: the Overview shows demo data, {tiles} tiles ({time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
