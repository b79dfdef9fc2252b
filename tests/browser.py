"""Real-browser helpers: start the app as a user would, drive Debian's chromium with Playwright.

Browser tests skip with a reason where chromium or Playwright is missing, except in CI
(``CI=true``), where a missing dependency is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bench.appserver import free_port, start_app, stop
from tests.conftest import IN_CI, ROOT

CHROMIUM = os.environ.get("VORONKA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = ROOT / "artifacts" / "screens"


def require_browser() -> None:
    """Skip (on a user's machine) or fail (in CI) when the browser stack is missing."""
    problems = []
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        problems.append(f"chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("playwright is not installed (pip install -r requirements-dev.txt)")
    if problems:
        if IN_CI:
            pytest.fail("browser tests need: " + "; ".join(problems))
        pytest.skip("browser tests need: " + "; ".join(problems))


@contextmanager
def running_app(env: dict[str, str]) -> Iterator[str]:
    """``streamlit run dashboard.py`` on a free loopback port; yields the base URL."""
    port = free_port()
    proc = start_app(port, env, ROOT / "artifacts" / f"streamlit-{port}.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


@contextmanager
def browser_page(width: int = 1280, height: int = 800) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.js_errors = errors  # type: ignore[attr-defined]
            yield page
        finally:
            browser.close()


def wait_until_idle(page: Any, timeout: float = 60_000) -> None:
    """Wait for the app to finish its rerun (the status widget disappears)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=timeout)
    # the status widget is not shown during a session's first run: the run state is the signal
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout
    )
    page.wait_for_timeout(200)


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
