"""The app's cold start to first render in a real browser, and the app's peak memory.

For each page: a fresh ``streamlit run dashboard.py`` (so every cache is empty), Debian's
chromium through Playwright (launched before the server, so its own start is not counted), and
the clock from spawning the server to the page being rendered: the page finished its run (the
shell's language switch, drawn after the page, is on screen), every Plotly chart has drawn its
SVG, and no exception is shown. Then the other period variant is opened in a new session of the
same server (a filter change on a warm server: cold data cache, warm process). The server's
peak RSS (VmHWM) is read from /proc after both.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from bench.appserver import free_port, start_app, stop
from bench.common import BENCH_TODAY, VARIANTS, WORK

CHROMIUM = os.environ.get("VORONKA_CHROMIUM", "/usr/bin/chromium")


def chromium_args() -> list[str]:
    from tests.browser import CHROMIUM_ARGS  # one list of launch flags for tests and bench

    return list(CHROMIUM_ARGS)


def missing() -> str | None:
    """Why the browser measurement cannot run here, or None."""
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        return f"chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -r requirements-dev.txt)"
    return None


def _peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _wait_rendered(
    page: Any, timeout_ms: float, charts: int, marks: dict[str, float]
) -> str | None:
    """Wait until the run finished and the page's ``charts`` Plotly charts (as many as AppTest
    saw) have drawn their SVG; the error text if the page failed. (Streamlit loads Plotly
    lazily: until then a chart is a grey placeholder without its test id, so counting matters.)
    """
    t0 = time.perf_counter()
    page.locator('[data-testid="stApp"]').wait_for(timeout=timeout_ms)
    marks["app_shell_s"] = time.perf_counter() - t0  # the frontend is loaded
    failed = page.locator('[data-testid="stException"]')
    done = page.get_by_text("Русский", exact=True).or_(failed)
    done.first.wait_for(timeout=timeout_ms)
    marks["run_done_s"] = time.perf_counter() - t0  # the script run has reached its end
    if not failed.count():
        page.wait_for_function(
            "n => document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .main-svg')"
            ".length >= n",
            arg=charts,
            timeout=timeout_ms,
        )
    errors = page.locator('[data-testid="stException"]')
    return errors.first.inner_text()[:500] if errors.count() else None


def _query(variant: str) -> str:
    from urllib.parse import urlencode

    from bench.discover import variant_query

    return urlencode(variant_query(variant))


def measure_pages(
    db: Path,
    pages: list[dict[str, Any]],
    tag: str = "",
    timeout_s: float = 120,
    work: Path = WORK,
) -> list[dict]:
    """Cold start per page; a screenshot of each render goes to ``work``/screens."""
    from playwright.sync_api import sync_playwright

    env = {
        **os.environ,
        "VORONKA_DB": str(db),
        "VORONKA_TODAY": BENCH_TODAY.isoformat(),
    }
    results = []
    work.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=chromium_args())
        try:
            for info in pages:
                results.append(_one_page(browser, env, info, tag, timeout_s, work))
        finally:
            browser.close()
    return results


def _one_page(
    browser: Any,
    env: dict[str, str],
    info: dict[str, Any],
    tag: str,
    timeout_s: float,
    work: Path,
) -> dict:
    port = free_port()
    base = f"http://127.0.0.1:{port}/" + ("" if info["default"] else info["url_path"])
    variants = list(VARIANTS)[: 1 if info.get("first_variant_only") else None]
    out: dict[str, Any] = {"title": info["title"], "path": info["path"]}
    start = time.perf_counter()
    proc = None
    try:
        proc = start_app(port, env, work / f"streamlit-{port}.log", timeout=timeout_s)
        out["server_start_s"] = time.perf_counter() - start
        for i, variant in enumerate(variants):
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            try:
                page = context.new_page()
                charts = int(info.get("charts", {}).get(variant, 0))
                marks: dict[str, float] = {}
                t = time.perf_counter()
                page.goto(f"{base}?{_query(variant)}", timeout=timeout_s * 1000)
                marks["loaded_s"] = time.perf_counter() - t  # the HTML page's load event
                error = _wait_rendered(page, timeout_s * 1000, charts, marks)
                rendered = time.perf_counter()
                marks = {
                    k: v + marks["loaded_s"] if k != "loaded_s" else v for k, v in marks.items()
                }
                out[variant] = {"render_s": rendered - t, "error": error, **marks}
                if i == 0:
                    out["cold_start_s"] = rendered - start
                    out["cold_variant"] = variant
                shot = work / "screens" / f"{tag}-{info['url_path'] or 'home'}-{variant}.png"
                shot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shot))
                out[variant]["screenshot"] = str(shot)
            finally:
                context.close()
        out["server_peak_rss_mb"] = _peak_rss_mb(proc.pid)
    except Exception as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"[:500]
    finally:
        if proc is not None:
            stop(proc)
    return out
