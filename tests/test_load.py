"""The load test, short: a few real browser sessions use the app while a file is imported on the
Upload page and another by ``python -m analytics import`` into the same DuckDB file.

The long run (20 sessions, 3 minutes) is ``python -m bench.load``; docs/RELIABILITY-load.md
has its numbers. Here nothing is timed: the run must have no error and lose no row.
"""

from __future__ import annotations

import pytest

from bench.load import LoadConfig, run_load
from tests.browser import require_browser

pytestmark = pytest.mark.browser

UPLOAD_ROWS = 40  # leads in the file imported on the Upload page (ids LOADUP000000..)
CLI_ROWS = 300  # leads in the file the CLI imports (ids LOADCLI0-000000..)
DEMO_LEADS = 2000


def test_three_sessions_while_the_page_and_the_cli_import(tmp_path):
    require_browser()
    cfg = LoadConfig(
        sessions=3,
        seconds=25,
        leads=DEMO_LEADS,
        out=tmp_path / "load",
        upload_at=0.3,
        cli_at=(0.4,),
        upload_rows=UPLOAD_ROWS,
        cli_rows=CLI_ROWS,
        think=(0.5, 1.5),
        timeout=120,
        ramp=2,
    )
    r = run_load(cfg)

    assert r["errors"] == [], r["errors"]
    assert r["stalls"] == [], r["stalls"]  # every interaction became idle again
    # every session opened the app and then did more than that
    sessions = {i["session"] for i in r["interaction_log"]}
    assert sessions == {0, 1, 2}
    assert r["interactions"] > 3
    # both imports happened, during the run, and wrote exactly their rows
    by_via = {i["via"]: i for i in r["imports"]}
    assert set(by_via) == {"upload page", "cli"}
    assert by_via["upload page"]["inserted"] == UPLOAD_ROWS
    assert by_via["cli"]["inserted"] == CLI_ROWS
    assert by_via["cli"]["exit"] == 0
    assert r["rows"] == {
        "leads_before": DEMO_LEADS,
        "imported": UPLOAD_ROWS + CLI_ROWS,
        "leads_after": DEMO_LEADS + UPLOAD_ROWS + CLI_ROWS,
        "upload_rows_in_db": UPLOAD_ROWS,
        "cli_rows_in_db": CLI_ROWS,
    }
    assert (tmp_path / "load" / "load.json").exists()
    assert "| errors | **0** |" in (tmp_path / "load" / "load.md").read_text()
