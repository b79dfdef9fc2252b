"""Load: many browser sessions use the app at once while files are imported (issue 6, "Load").

    python -m bench.load --sessions 20 --seconds 180 --out DIR

What it does, bounded in time and on loopback only:

1. a demo database (``python -m analytics demo``) in a temp dir, and two CSV files of new leads
   with known, unique ids (one for the Upload page, one for the CLI);
2. its own ``streamlit run dashboard.py`` on a free 127.0.0.1 port (``VORONKA_DB``,
   ``VORONKA_TODAY`` as the benchmarks use);
3. one Debian chromium, one Playwright context (a separate Streamlit session) per simulated user.
   Each user, until the time is up, waits a think time and then does one random interaction:
   switch page in the sidebar, change the period, switch the counting mode, pick a campaign
   (or reset the filters), or open a link with random filters in the URL (a new session);
4. midway, user 0 imports a file through the Upload page (upload, auto-mapped, "Import into the
   database"), and ``python -m analytics import`` subprocesses write the same DuckDB file at the
   times given by ``--cli-at``.

Every interaction is timed from the action to the page being idle again: the page's script run
state (``data-test-script-state`` of ``stApp``, watched in the page by a MutationObserver with
``Date.now()`` stamps) went to ``running`` and then back to ``notRunning``. A run that ended
on the "data is being updated, retrying" notice is not idle yet: the timer runs on through the
retry (such notices are counted, they are not errors).

Errors (the result must have none): an ``stException`` element, a JS ``pageerror``, the text
"Traceback" on a page, a ``Traceback`` in the server log, an interaction that did not become
idle within ``--timeout``, a failed import, and row counts after the run other than the count
before plus the imported rows.

Writes ``load.json`` and ``load.md`` to ``--out``. Exit status 0 when there was no error.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.appserver import free_port, start_app, stop
from bench.common import BENCH_TODAY, ROOT

CHROMIUM = os.environ.get("VORONKA_CHROMIUM", "/usr/bin/chromium")
#: pages a user clicks between (the sidebar's link titles in English)
NAV_PAGES = ("Overview", "Weekly review", "Campaigns", "Lead quality", "Customer journey")
#: the same pages by URL path, for links opened directly
URL_PAGES = ("", "weekly", "campaigns", "quality", "journey")
PERIOD_LABELS = {
    "last_week": "Last week",
    "last_4_weeks": "Last 4 weeks",
    "this_quarter": "This quarter",
    "last_12_months": "Last 12 months",
    "all_time": "All time",
}
MODE_LABELS = {"cohort": "Cohort", "activity": "Activity"}
CAMPAIGNS = ("YDB", "YDC", "GAS", "VKL", "TGS")  #: demo campaign ids used in links and files
#: interaction -> weight
ACTIONS = {"nav": 4, "period": 2, "mode": 1, "campaign": 2, "link": 1}


def _busy_prefixes() -> list[str]:
    """The start of the "data is being updated, retrying" notice in each language."""
    out = []
    for lang in ("en", "ru"):
        path = ROOT / "analytics" / "locales" / lang / "app.toml"
        text = tomllib.loads(path.read_text(encoding="utf-8"))["busy"]
        out.append(text.split("{")[0].split("…")[0].strip())
    return out


#: Installed in every page before its scripts: records script-run-state changes with
#: Date.now() stamps, and counts exceptions and "busy" notices as they are added.
OBSERVER_JS = """
(() => {
  const vk = {states: [], exceptions: [], busy: []};
  window.__vk = vk;
  const BUSY = %BUSY%;
  const seen = new WeakSet();
  const STATE = 'data-test-script-state';
  const look = (n, now) => {
    if (n.nodeType !== 1) return;
    const app = n.matches('[data-testid="stApp"]') ? n : n.querySelector('[data-testid="stApp"]');
    if (app) vk.states.push([app.getAttribute(STATE), now]);
    const ex = n.matches('[data-testid="stException"]') ? [n]
      : n.querySelectorAll('[data-testid="stException"]');
    for (const e of ex) if (!seen.has(e)) { seen.add(e); vk.exceptions.push(
      [now, (e.innerText || e.textContent || '').slice(0, 800)]); }
    const alerts = n.matches('[data-testid="stAlert"]') ? [n]
      : n.querySelectorAll('[data-testid="stAlert"]');
    for (const a of alerts) {
      if (!seen.has(a) && BUSY.some(b => (a.textContent || '').includes(b))) {
        seen.add(a); vk.busy.push(now);
      }
    }
  };
  // Several changes can arrive in one batch (a quick run: running and notRunning together);
  // the value after a change is the old value of the next change of the same element, and
  // the current value after the last one.
  const mo = new MutationObserver(records => {
    const now = Date.now();
    const attrs = records.filter(r => r.type === 'attributes');
    attrs.forEach((r, i) => {
      const next = attrs.slice(i + 1).find(q => q.target === r.target);
      vk.states.push([next ? next.oldValue : r.target.getAttribute(STATE), now]);
    });
    for (const r of records) if (r.type === 'childList') for (const n of r.addedNodes) look(n, now);
  });
  mo.observe(document, {subtree: true, childList: true, attributes: true,
                        attributeOldValue: true, attributeFilter: [STATE]});
})();
"""

#: The first moment after t0 at which a run that started after t0 had finished, or null.
DONE_JS = """
t0 => {
  const s = (window.__vk || {states: []}).states;
  let started = false;
  for (const [state, t] of s) {
    if (t < t0) continue;
    if (state === 'running') started = true;
    else if (started && state === 'notRunning') return t;
  }
  return null;
}
"""
#: Exceptions the page showed since the last look (kept in the page, so nothing is missed).
NEW_EXCEPTIONS_JS = """
() => {
  const v = window.__vk;
  if (!v) return [];
  const out = v.exceptions.slice(v.reported || 0);
  v.reported = v.exceptions.length;
  return out;
}
"""
#: How long to wait for the observer to see an action's run before looking at the page itself.
UNSEEN_MS = 15_000
#: Whether the page is idle now: not running, and not showing the busy notice.
STATE_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const busy = %BUSY%;
  const alerts = [...document.querySelectorAll('[data-testid="stAlert"]')];
  return {
    state: app ? app.getAttribute('data-test-script-state') : null,
    busy: alerts.some(a => busy.some(b => (a.textContent || '').includes(b))),
    exceptions: document.querySelectorAll('[data-testid="stException"]').length,
    traceback: (document.body ? document.body.innerText : '').includes('Traceback'),
  };
}
"""


@dataclass
class LoadConfig:
    sessions: int = 20
    seconds: float = 180.0
    leads: int = 30_000
    out: Path = ROOT / "bench" / "work" / "load"
    upload_at: float | None = 0.4  #: fraction of the run; None: no import through the page
    cli_at: tuple[float, ...] = (0.5,)  #: fractions of the run at which the CLI imports
    hold_at: float | None = None  #: fraction of the run at which another program locks the file
    hold_seconds: float = 20.0  #: for how long it keeps the file (read-write, no write intent)
    upload_rows: int = 200
    cli_rows: int = 5_000
    think: tuple[float, float] = (1.0, 3.0)  #: seconds between a user's interactions
    timeout: float = 90.0  #: seconds an interaction may take to become idle
    seed: int = 42
    ramp: float = 30.0  #: seconds over which the users arrive
    screenshots: bool = True


@dataclass
class Interaction:
    session: int
    action: str
    page: str
    started: float  #: seconds since the start of the run
    seconds: float | None  #: to idle; None if it never became idle
    busy_notices: int = 0
    error: str | None = None


@dataclass
class RunState:
    cfg: LoadConfig
    url: str
    t_start: float
    deadline: float
    interactions: list[Interaction] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    stalls: list[dict[str, Any]] = field(default_factory=list)
    folder_nav: list[dict[str, Any]] = field(default_factory=list)
    unobserved: list[dict[str, Any]] = field(default_factory=list)
    js_errors: list[dict[str, Any]] = field(default_factory=list)
    console_errors: list[dict[str, Any]] = field(default_factory=list)
    imports: list[dict[str, Any]] = field(default_factory=list)

    @property
    def t_start_wall(self) -> float:
        return time.time() - (time.monotonic() - self.t_start)

    def now(self) -> float:
        return time.monotonic() - self.t_start

    def stall(self, session: int, detail: str) -> None:
        """An interaction that did not become idle in time (the app or the load generator was
        too slow): reported apart from the app's errors, and a failure of the run too."""
        self.stalls.append(
            {"session": session, "at_s": round(self.now(), 2), "detail": detail[:600]}
        )

    def error(self, session: int, kind: str, detail: str) -> None:
        self.errors.append(
            {
                "session": session,
                "at_s": round(self.now(), 2),
                "kind": kind,
                "detail": detail[:1000],
            }
        )


# --------------------------------------------------------------------------------------------
# Files and processes


def write_leads_csv(path: Path, rows: int, prefix: str, seed: int) -> None:
    """``rows`` new leads with ids ``<prefix>000000``... (none of them in the demo data), in the
    app's own column names, so both the page and the CLI map them without help."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            [
                *("lead_id", "created_at", "stage", "channel", "source", "campaign_id"),
                *("owner", "deal_value"),
            ]
        )
        for i in range(rows):
            stage = rng.choice(("lead", "mql", "sql", "opportunity", "won"))
            day = BENCH_TODAY.replace(day=1 + rng.randrange(BENCH_TODAY.day - 1))
            w.writerow(
                [
                    f"{prefix}{i:06d}",
                    day.isoformat(),
                    stage,
                    "paid_search",
                    "lead_form",
                    rng.choice(CAMPAIGNS),
                    "Load Tester",
                    "1000" if stage == "won" else "",
                ]
            )


def count_leads(db: Path, prefix: str = "") -> int:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            "SELECT count(*) FROM leads WHERE lead_id LIKE ?", [prefix + "%"]
        ).fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def _children(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc)."""
    parents: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += parents.get(p, [])
    return out


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def _cpu_seconds(pid: int) -> float:
    try:
        parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


class Sampler:
    """Every ``interval`` s: the RSS of the server's process tree and of the browser's, and the
    load average."""

    def __init__(self, server_pid: int, browser_pid: int | None, interval: float = 1.0):
        self.server_pid = server_pid
        self.browser_pid = browser_pid
        self.interval = interval
        self.server_rss_peak_kb = 0
        self.browser_rss_peak_kb = 0
        self.load_peak = 0.0
        self.samples: list[tuple[float, int, int, float]] = []

    async def run(self, t_start: float) -> None:
        while True:
            server = sum(_status_kb(p, "VmRSS") for p in _children(self.server_pid))
            browser = (
                sum(_status_kb(p, "VmRSS") for p in _children(self.browser_pid))
                if self.browser_pid
                else 0
            )
            load1 = os.getloadavg()[0]
            self.server_rss_peak_kb = max(self.server_rss_peak_kb, server)
            self.browser_rss_peak_kb = max(self.browser_rss_peak_kb, browser)
            self.load_peak = max(self.load_peak, load1)
            self.samples.append((round(time.monotonic() - t_start, 1), server, browser, load1))
            await asyncio.sleep(self.interval)


def start_server(db: Path, port: int, log: Path, runlog: Path) -> subprocess.Popen[bytes]:
    """The app on ``port``, through :mod:`bench.load_server` (script run times to ``runlog``)."""
    env = {
        "VORONKA_DB": str(db),
        "VORONKA_TODAY": BENCH_TODAY.isoformat(),
        "VORONKA_LOAD_RUNLOG": str(runlog),
    }
    return start_app(port, env, log, runner="bench.load_server")


# --------------------------------------------------------------------------------------------
# One user


class User:
    def __init__(self, run: RunState, index: int, context: Any, page: Any) -> None:
        self.run = run
        self.index = index
        self.context = context
        self.page = page
        self.rng = random.Random(run.cfg.seed * 1000 + index)
        self.busy_js = json.dumps(_busy_prefixes())
        page.on("pageerror", self._pageerror)
        page.on("console", self._console)

    def _pageerror(self, exc: Any) -> None:
        self.run.js_errors.append(
            {"session": self.index, "at_s": round(self.run.now(), 2), "error": str(exc)[:1000]}
        )

    def _console(self, msg: Any) -> None:
        if msg.type == "error":
            self.run.console_errors.append(
                {
                    "session": self.index,
                    "at_s": round(self.run.now(), 2),
                    "text": msg.text[:500],
                    "url": (msg.location or {}).get("url", "")[:300],
                }
            )

    # -- where the user is

    async def idle_now(self) -> bool:
        """The page is not running, shows no busy notice and has its title drawn."""
        now = await self.page.evaluate(STATE_JS.replace("%BUSY%", self.busy_js))
        drawn = await self.page.locator("h1").count() > 0
        return now["state"] == "notRunning" and not now["busy"] and drawn

    def query(self) -> dict[str, list[str]]:
        return urllib.parse.parse_qs(urllib.parse.urlsplit(self.page.url).query)

    def page_name(self) -> str:
        path = urllib.parse.urlsplit(self.page.url).path.strip("/")
        return path or "overview"

    # -- timing

    async def timed(self, action: str, do: Any) -> None:
        """Run ``do()`` (a coroutine function) and wait until the page is idle again."""
        page = self.page
        started = self.run.now()
        t0 = time.time() * 1000
        deadline = time.monotonic() + self.run.cfg.timeout
        busy = 0
        where = self.page_name()
        try:
            await do()
            t_wait = t0
            while True:
                left = (deadline - time.monotonic()) * 1000
                if left <= 0:
                    raise TimeoutError(f"not idle within {self.run.cfg.timeout} s")
                try:  # the run this action started, seen finishing by the page's observer
                    handle = await page.wait_for_function(
                        DONE_JS, arg=t_wait, timeout=min(left, UNSEEN_MS), polling=50
                    )
                except Exception:
                    if left <= UNSEEN_MS or not await self.idle_now():
                        raise
                    # nothing seen for UNSEEN_MS, yet the page is idle and drawn: the run was
                    # not observed (too quick, or batched away); counted apart, no time
                    self.run.unobserved.append(
                        {"session": self.index, "action": action, "at_s": round(started, 2)}
                    )
                    return
                end = float(await handle.json_value())
                now = await page.evaluate(STATE_JS.replace("%BUSY%", self.busy_js))
                if now["busy"] or now["state"] != "notRunning":
                    # the run ended on "data is being updated, retrying" (or another began):
                    # the retry is part of this interaction; wait for the next finished run
                    busy += int(now["busy"])
                    t_wait = end
                    await asyncio.sleep(0.05)
                    continue
                seconds = (end - t0) / 1000
                break
        except Exception as exc:  # a Playwright timeout: the page did not become idle in time
            name = "not idle" if "Timeout" in type(exc).__name__ else type(exc).__name__
            try:  # the page's last run states, relative to the action, for the report
                states = await page.evaluate("(window.__vk || {states: []}).states.slice(-6)")
                seen = [(state, round((t - t0) / 1000, 2)) for state, t in states]
            except Exception:
                seen = []
            self.run.stall(
                self.index,
                f"{action} on {where} -> {page.url}: {name}: {str(exc)[:200]}; "
                f"last run states (s after the action): {seen}",
            )
            self.run.interactions.append(
                Interaction(self.index, action, where, round(started, 2), None, busy, name)
            )
            await self.shot(f"stall-{self.index}-{len(self.run.stalls)}")
            await self.check(f"{action} on {where}")
            return
        where = self.page_name()  # where it led
        if action in ("open", "link", "reload") and await self.folder_nav():
            self.run.folder_nav.append(
                {"session": self.index, "at_s": round(self.run.now(), 2), "url": page.url}
            )
        self.run.interactions.append(
            Interaction(self.index, action, where, round(started, 2), round(seconds, 3), busy)
        )
        await self.check(f"{action} on {where}")

    async def check(self, what: str) -> None:
        """Errors on the page now (exceptions are also counted as they appear, in the page)."""
        try:
            now = await self.page.evaluate(STATE_JS.replace("%BUSY%", self.busy_js))
        except Exception as exc:
            self.run.error(self.index, "check failed", f"{what}: {exc}")
            return
        try:
            new = await self.page.evaluate(NEW_EXCEPTIONS_JS)
        except Exception as exc:
            self.run.error(self.index, "check failed", f"{what}: {exc}")
            return
        for _, text in new:
            self.run.error(self.index, "stException", f"{what}: {text}")
        if new:
            await self.shot(f"exception-{self.index}-{len(self.run.errors)}")
        if now["traceback"] and not new:
            self.run.error(self.index, "Traceback text", what)
            await self.shot(f"traceback-{self.index}-{len(self.run.errors)}")

    async def shot(self, name: str) -> None:
        if not self.run.cfg.screenshots:
            return
        try:
            path = self.run.cfg.out / "screens" / f"{name}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            await self.page.screenshot(path=str(path))
        except Exception:  # a screenshot is a courtesy; the error itself is already recorded
            pass

    # -- interactions

    async def open_link(self) -> None:
        """A link with random filters in the URL (a new Streamlit session)."""
        params: dict[str, Any] = {"period": self.rng.choice(list(PERIOD_LABELS))}
        if self.rng.random() < 0.3:
            params["mode"] = "activity"
        if self.rng.random() < 0.4:
            params["campaign"] = self.rng.sample(CAMPAIGNS, self.rng.randint(1, 2))
        path = self.rng.choice(URL_PAGES)
        url = f"{self.run.url}/{path}?{urllib.parse.urlencode(params, doseq=True)}"
        await self.timed("link", lambda: self.page.goto(url, timeout=self.run.cfg.timeout * 1000))

    async def folder_nav(self) -> bool:
        """Whether the sidebar lists the files of pages/ ("dashboard", "overview"...) instead of
        the app's navigation: Streamlit's multipage v1 mode, in which a fresh server runs its
        first sessions until some run reaches ``st.navigation`` (see docs/RELIABILITY-load.md)."""
        texts = await self.page.locator('[data-testid="stSidebarNavLink"]').all_inner_texts()
        return any(t.strip().splitlines()[-1].strip() == "dashboard" for t in texts if t.strip())

    async def go(self, title: str, action: str = "nav") -> None:
        """Switch to page ``title`` with its sidebar link (or, when the sidebar shows the wrong
        navigation, by opening the page's address, as a user would by reloading)."""
        if await self.folder_nav():
            paths = dict(zip((*NAV_PAGES, "Upload"), (*URL_PAGES, "upload"), strict=True))
            path = paths[title]
            url = f"{self.run.url}/{path}"
            await self.timed(
                "reload", lambda: self.page.goto(url, timeout=self.run.cfg.timeout * 1000)
            )
            return
        link = (
            self.page.locator('[data-testid="stSidebarNavLink"]')
            .filter(has=self.page.get_by_text(title, exact=True))
            .first
        )
        await self.timed(action, lambda: link.click(timeout=self.run.cfg.timeout * 1000))

    async def nav(self) -> None:
        current = self.page_name()
        titles = [
            t for t, p in zip(NAV_PAGES, URL_PAGES, strict=True) if (p or "overview") != current
        ]
        await self.go(self.rng.choice(titles))

    async def period(self) -> bool:
        box = self.page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
            has_text="Period"
        )
        if not await box.count():
            return False  # the Weekly review picks its own weeks
        current = (self.query().get("period") or ["last_4_weeks"])[0]
        label = PERIOD_LABELS[self.rng.choice([p for p in PERIOD_LABELS if p != current])]

        async def do() -> None:
            await box.first.click(timeout=self.run.cfg.timeout * 1000)
            await self.page.get_by_role("option", name=label, exact=True).click(
                timeout=self.run.cfg.timeout * 1000
            )

        await self.timed("period", do)
        return True

    async def mode(self) -> bool:
        control = self.page.locator('[data-testid="stSidebar"]').get_by_text("Activity", exact=True)
        if not await control.count():
            return False
        current = (self.query().get("mode") or ["cohort"])[0]
        other = MODE_LABELS["cohort" if current == "activity" else "activity"]
        button = self.page.locator('[data-testid="stSidebar"]').get_by_text(other, exact=True)
        await self.timed("mode", lambda: button.first.click(timeout=self.run.cfg.timeout * 1000))
        return True

    async def campaign(self) -> bool:
        picked = self.query().get("campaign") or []
        if len(picked) >= 2:
            reset = self.page.get_by_role("button", name="Reset filters")
            if not await reset.count():
                return False
            await self.timed(
                "reset", lambda: reset.first.click(timeout=self.run.cfg.timeout * 1000)
            )
            return True
        box = self.page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
            has_text="Campaign"
        )
        if not await box.count():
            return False

        async def do() -> None:
            await box.first.locator("input").click(timeout=self.run.cfg.timeout * 1000)
            # a campaign, not the list's "Select all" entry (a click there may change nothing)
            options = self.page.get_by_role("option").filter(has_not_text="Select all")
            await options.first.wait_for(timeout=self.run.cfg.timeout * 1000)
            n = await options.count()
            await options.nth(self.rng.randrange(n)).click(timeout=self.run.cfg.timeout * 1000)

        await self.timed("campaign", do)
        # close the list (it stays open after a pick) without touching a widget
        await self.page.keyboard.press("Tab")
        return True

    async def step(self) -> None:
        kinds, weights = zip(*ACTIONS.items(), strict=True)
        kind = self.rng.choices(kinds, weights)[0]
        if kind == "nav":
            await self.nav()
        elif kind == "link":
            await self.open_link()
        elif kind == "period":
            if not await self.period():
                await self.nav()
        elif kind == "mode":
            if not await self.mode():
                await self.nav()
        elif kind == "campaign" and not await self.campaign():
            await self.nav()

    async def upload_import(self, csv_path: Path, rows: int) -> None:
        """Upload a file on the Upload page, let it be auto-mapped, import it."""
        page = self.page
        t = time.monotonic()
        record: dict[str, Any] = {"via": "upload page", "session": self.index, "rows": rows}
        record["at_s"] = round(self.run.now(), 2)
        timeout = self.run.cfg.timeout * 1000
        try:
            await self.go("Upload")
            uploader = page.locator('[data-testid="stFileUploader"] input[type=file]')
            await self.timed(
                "upload file", lambda: uploader.set_input_files(str(csv_path), timeout=timeout)
            )
            await page.get_by_role("heading", name="4. View or import").wait_for(timeout=timeout)
            button = page.get_by_role("button", name="Import into the database")
            await self.timed("import", lambda: button.click(timeout=self.run.cfg.timeout * 1000))
            done = page.get_by_text(re.compile(r"inserted [\d,]+"))
            await done.first.wait_for(timeout=timeout)
            text = await done.first.inner_text()
            m = re.search(r"inserted ([\d,]+)", text)
            record["inserted"] = int(m.group(1).replace(",", "")) if m else None
            record["message"] = text[:300]
            record["ok"] = record["inserted"] == rows
            if not record["ok"]:
                self.run.error(self.index, "import", f"upload page: {text[:300]}")
        except Exception as exc:
            record["ok"] = False
            record["error"] = f"{type(exc).__name__}: {exc}"[:500]
            self.run.error(self.index, "import", f"upload page: {record['error']}")
            await self.shot(f"upload-failed-{self.index}")
        record["seconds"] = round(time.monotonic() - t, 2)
        self.run.imports.append(record)

    async def live(self, upload: tuple[Path, int, float] | None) -> None:
        cfg = self.run.cfg
        await asyncio.sleep(self.index * cfg.ramp / max(cfg.sessions, 1))
        path = self.rng.choice(URL_PAGES)
        await self.timed(
            "open", lambda: self.page.goto(f"{self.run.url}/{path}", timeout=cfg.timeout * 1000)
        )
        while time.monotonic() < self.run.deadline:
            if upload is not None and self.run.now() >= upload[2]:
                await self.upload_import(upload[0], upload[1])
                upload = None
                continue
            await asyncio.sleep(self.rng.uniform(*cfg.think))
            if time.monotonic() >= self.run.deadline:
                break
            await self.step()
        if upload is not None:  # the run was too short to reach it: do it now
            await self.upload_import(upload[0], upload[1])


HOLD_SCRIPT = """
import sys, time, duckdb
deadline = time.monotonic() + 120
while True:
    try:
        con = duckdb.connect(sys.argv[1])
        break
    except duckdb.IOException:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.05)
print(time.time(), flush=True)
time.sleep(float(sys.argv[2]))
con.close()
print(time.time(), flush=True)
"""


async def hold_lock(run: RunState, db: Path, at: float, seconds: float) -> None:
    """Another program (a plain DuckDB client, without Voronka's write-intent marker) opens the
    file read-write and keeps it for ``seconds``: readers cannot open it meanwhile, and the
    page must say "data is being updated, retrying" and recover by itself."""
    await asyncio.sleep(max(0.0, at - run.now()))
    record: dict[str, Any] = {"via": "lock holder", "rows": 0, "at_s": round(run.now(), 2)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        HOLD_SCRIPT,
        str(db),
        str(seconds),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    stamps = [float(x) for x in out.decode().split()]
    record["exit"] = proc.returncode
    record["ok"] = proc.returncode == 0 and len(stamps) == 2
    record["inserted"] = 0
    record["seconds"] = round(stamps[1] - stamps[0], 2) if len(stamps) == 2 else None
    record["waited_for_lock_s"] = (
        round(stamps[0] - (run.t_start_wall + record["at_s"]), 2) if stamps else None
    )
    if not record["ok"]:
        run.error(-1, "lock holder", err.decode(errors="replace")[-500:])
    run.imports.append(record)


async def cli_import(run: RunState, db: Path, csv_path: Path, rows: int, at: float) -> None:
    await asyncio.sleep(max(0.0, at - run.now()))
    record: dict[str, Any] = {"via": "cli", "rows": rows, "at_s": round(run.now(), 2)}
    t = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "analytics",
        "import",
        "--db",
        str(db),
        str(csv_path),
        "--format",
        "json",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    record["seconds"] = round(time.monotonic() - t, 2)
    record["exit"] = proc.returncode
    try:
        summary = json.loads(out.decode())
        record["inserted"] = summary.get("inserted")
    except ValueError:
        record["inserted"] = None
    record["stderr"] = err.decode(errors="replace")[-500:]
    record["ok"] = proc.returncode == 0 and record["inserted"] == rows
    if not record["ok"]:
        run.error(-1, "import", f"cli exit {proc.returncode}: {record['stderr']}")
    run.imports.append(record)


# --------------------------------------------------------------------------------------------
# The run


def _browser_pid(browser: Any) -> int | None:
    """The chromium process Playwright launched (the newest chromium child of this process)."""
    me = os.getpid()
    found = []
    for pid in _children(me):
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
        except OSError:
            continue
        if "chrom" in exe and pid != me:
            found.append(pid)
    return min(found) if found else None


async def _drive(cfg: LoadConfig, url: str, db: Path, files: dict[str, Path], server: Any) -> dict:
    from playwright.async_api import async_playwright

    from tests.browser import CHROMIUM_ARGS

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            users = []
            for i in range(cfg.sessions):
                context = await browser.new_context(viewport={"width": 1280, "height": 800})
                await context.add_init_script(
                    OBSERVER_JS.replace("%BUSY%", json.dumps(_busy_prefixes()))
                )
                page = await context.new_page()
                users.append((i, context, page))
            t_start = time.monotonic()
            run = RunState(cfg, url, t_start, t_start + cfg.seconds)
            sampler = Sampler(server.pid, _browser_pid(browser))
            sampling = asyncio.create_task(sampler.run(t_start))
            cpu0 = sum(_cpu_seconds(p) for p in _children(server.pid))
            bpid = sampler.browser_pid
            bcpu0 = sum(_cpu_seconds(p) for p in _children(bpid)) if bpid else 0.0
            tasks = []
            for i, context, page in users:
                user = User(run, i, context, page)
                upload = None
                if i == 0 and cfg.upload_at is not None:
                    upload = (files["upload"], cfg.upload_rows, cfg.upload_at * cfg.seconds)
                tasks.append(asyncio.create_task(user.live(upload)))
            for k, at in enumerate(cfg.cli_at):
                tasks.append(
                    asyncio.create_task(
                        cli_import(run, db, files[f"cli{k}"], cfg.cli_rows, at * cfg.seconds)
                    )
                )
            if cfg.hold_at is not None:
                tasks.append(
                    asyncio.create_task(
                        hold_lock(run, db, cfg.hold_at * cfg.seconds, cfg.hold_seconds)
                    )
                )
            await asyncio.gather(*tasks)
            wall = run.now()
            cpu = sum(_cpu_seconds(p) for p in _children(server.pid)) - cpu0
            bcpu = sum(_cpu_seconds(p) for p in _children(bpid)) - bcpu0 if bpid else None
            sampling.cancel()
            server_hwm_kb = sum(_status_kb(p, "VmHWM") for p in _children(server.pid))
        finally:
            await browser.close()
    return {
        "run": run,
        "wall_s": wall,
        "server_cpu_s": cpu,
        "browser_cpu_s": bcpu,
        "sampler": sampler,
        "server_hwm_kb": server_hwm_kb,
    }


def _pct(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    if len(xs) == 1:
        return xs[0]
    return statistics.quantiles(xs, n=100, method="inclusive")[int(q) - 1]


def run_load(cfg: LoadConfig) -> dict[str, Any]:
    """The whole load run; returns the results (also written to ``cfg.out``)."""
    cfg.out.mkdir(parents=True, exist_ok=True)
    load_before = list(os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="voronka-load-") as tmp_name:
        tmp = Path(tmp_name)
        db = tmp / "load.duckdb"
        subprocess.run(
            [
                *(sys.executable, "-m", "analytics", "demo", "--db", str(db)),
                *("--leads", str(cfg.leads), "--end", BENCH_TODAY.isoformat()),
                *("--seed", str(cfg.seed)),
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        files = {"upload": tmp / "upload-leads.csv"}
        write_leads_csv(files["upload"], cfg.upload_rows, "LOADUP", cfg.seed)
        for k in range(len(cfg.cli_at)):
            files[f"cli{k}"] = tmp / f"cli-leads-{k}.csv"
            write_leads_csv(files[f"cli{k}"], cfg.cli_rows, f"LOADCLI{k}-", cfg.seed + k + 1)
        leads_before = count_leads(db)
        port = free_port()
        log = cfg.out / "streamlit.log"
        runlog = cfg.out / "server-runs.jsonl"
        runlog.unlink(missing_ok=True)
        server = start_server(db, port, log, runlog)
        try:
            driven = asyncio.run(_drive(cfg, f"http://127.0.0.1:{port}", db, files, server))
        finally:
            stop(server)
        load_after = list(os.getloadavg())
        run: RunState = driven["run"]
        log_text = log.read_text(encoding="utf-8", errors="replace")
        for m in re.finditer(r"Traceback \(most recent call last\)", log_text):
            run.error(-1, "server traceback", log_text[m.start() : m.start() + 1500])
        imported = sum(int(r.get("inserted") or 0) for r in run.imports if r.get("ok"))
        leads_after = count_leads(db)
        rows = {
            "leads_before": leads_before,
            "imported": imported,
            "leads_after": leads_after,
            "upload_rows_in_db": count_leads(db, "LOADUP"),
            "cli_rows_in_db": count_leads(db, "LOADCLI"),
        }
        if leads_after != leads_before + imported:
            run.error(-1, "row count", json.dumps(rows))
    for e in run.js_errors:
        run.error(e["session"], "pageerror", e["error"])
    sampler: Sampler = driven["sampler"]
    runlog = cfg.out / "server-runs.jsonl"
    lines = runlog.read_text().splitlines() if runlog.exists() else []
    server_runs = sorted(json.loads(line)["seconds"] for line in lines if line.strip())
    done = [i for i in run.interactions if i.seconds is not None]
    times = sorted(i.seconds for i in done if i.seconds is not None)
    by_action: dict[str, dict[str, Any]] = {}
    for action in sorted({i.action for i in done}):
        xs = sorted(i.seconds for i in done if i.action == action and i.seconds is not None)
        by_action[action] = {
            "n": len(xs),
            "p50_s": _pct(xs, 50),
            "p95_s": _pct(xs, 95),
            "max_s": xs[-1],
        }
    results: dict[str, Any] = {
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(cfg).items()},
        "machine": {
            "cpus": os.cpu_count(),
            "load_before": load_before,
            "load_after": load_after,
            "load1_peak_during": round(sampler.load_peak, 2),
        },
        "wall_s": round(driven["wall_s"], 1),
        "interactions": len(run.interactions),
        "interactions_idle": len(done),
        "interactions_per_s": round(len(run.interactions) / driven["wall_s"], 2),
        "rerun_p50_s": _pct(times, 50),
        "rerun_p95_s": _pct(times, 95),
        "rerun_max_s": times[-1] if times else None,
        "by_action": by_action,
        "busy_notices": sum(i.busy_notices for i in run.interactions),
        "interactions_with_busy_notice": sum(1 for i in run.interactions if i.busy_notices),
        "server_script_runs": len(server_runs),
        "server_run_p50_s": _pct(server_runs, 50),
        "server_run_p95_s": _pct(server_runs, 95),
        "server_run_max_s": server_runs[-1] if server_runs else None,
        "errors": run.errors,
        "error_count": len(run.errors),
        "stalls": run.stalls,
        "stall_count": len(run.stalls),
        "unobserved": run.unobserved,
        "folder_nav": run.folder_nav,
        "folder_nav_count": len(run.folder_nav),
        "console_errors": run.console_errors[:50],
        "console_error_count": len(run.console_errors),
        "imports": run.imports,
        "rows": rows,
        "server_peak_rss_mb": round(driven["server_hwm_kb"] / 1024, 1),
        "server_sampled_peak_rss_mb": round(sampler.server_rss_peak_kb / 1024, 1),
        "browser_sampled_peak_rss_mb": round(sampler.browser_rss_peak_kb / 1024, 1),
        "server_cpu_s": round(driven["server_cpu_s"], 1),
        "browser_cpu_s": None
        if driven["browser_cpu_s"] is None
        else round(driven["browser_cpu_s"], 1),
        "samples": sampler.samples,
        "interaction_log": [asdict(i) for i in run.interactions],
    }
    (cfg.out / "load.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (cfg.out / "load.md").write_text(markdown(results))
    return results


def _s(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f} s"


def markdown(r: dict[str, Any]) -> str:
    c, m = r["config"], r["machine"]
    imports = "; ".join(
        f"another program held the file read-write for {i['seconds']} s (asked at {i['at_s']} s, "
        f"got it {i['waited_for_lock_s']} s later)"
        if i["via"] == "lock holder"
        else f"{i['via']} at {i['at_s']} s: {i.get('inserted')} of {i['rows']} rows in "
        f"{i['seconds']} s ({'ok' if i.get('ok') else 'FAILED'})"
        for i in r["imports"]
    )
    lines = [
        f"# Load: {c['sessions']} browser sessions for {c['seconds']:.0f} s",
        "",
        "| | |",
        "|---|---|",
        f"| errors | **{r['error_count']}** |",
        f"| interactions not idle within {c['timeout']:.0f} s | **{r['stall_count']}** |",
        "| interactions idle with their run not seen by the page's observer (no time) "
        f"| {len(r.get('unobserved', []))} |",
        f"| interactions (became idle) | {r['interactions']} ({r['interactions_idle']}) |",
        f"| interactions per second | {r['interactions_per_s']} |",
        f"| rerun time p50 / p95 / max | {_s(r['rerun_p50_s'])} / {_s(r['rerun_p95_s'])} / "
        f"{_s(r['rerun_max_s'])} |",
        f"| script run on the server p50 / p95 / max ({r['server_script_runs']} runs) | "
        f"{_s(r['server_run_p50_s'])} / {_s(r['server_run_p95_s'])} / "
        f"{_s(r['server_run_max_s'])} |",
        f"| 'data is being updated, retrying' notices | {r['busy_notices']} (in "
        f"{r['interactions_with_busy_notice']} interactions) |",
        f"| server peak RSS (VmHWM) | {r['server_peak_rss_mb']} MB |",
        f"| browser peak RSS (sampled, all {c['sessions']} sessions) | "
        f"{r['browser_sampled_peak_rss_mb']} MB |",
        f"| CPU time: server / browser | {r['server_cpu_s']} s / {r['browser_cpu_s']} s in "
        f"{r['wall_s']} s |",
        f"| imports | {imports} |",
        f"| leads before / imported / after | {r['rows']['leads_before']} / "
        f"{r['rows']['imported']} / {r['rows']['leads_after']} |",
        f"| load average before / peak 1-min during / after | "
        f"{' '.join(f'{x:.2f}' for x in m['load_before'])} / {m['load1_peak_during']} / "
        f"{' '.join(f'{x:.2f}' for x in m['load_after'])} ({m['cpus']} CPUs) |",
        f"| page loads showing the pages/ folder as navigation (a bug, see below) | "
        f"{r['folder_nav_count']} |",
        f"| browser console errors (not counted as errors) | {r['console_error_count']} |",
        "",
        "| interaction | n | p50 | p95 | max |",
        "|---|---:|---:|---:|---:|",
    ]
    for action, a in r["by_action"].items():
        lines.append(
            f"| {action} | {a['n']} | {_s(a['p50_s'])} | {_s(a['p95_s'])} | {_s(a['max_s'])} |"
        )
    if r["errors"]:
        lines += ["", "## Errors", ""]
        lines += [
            f"- session {e['session']} at {e['at_s']} s, {e['kind']}: {e['detail'][:300]}"
            for e in r["errors"][:50]
        ]
    if r["stalls"]:
        lines += ["", "## Not idle in time", ""]
        lines += [
            f"- session {e['session']} at {e['at_s']} s: {e['detail']}" for e in r["stalls"][:50]
        ]
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    p.add_argument("--sessions", type=int, default=20, help="browser sessions (20)")
    p.add_argument("--seconds", type=float, default=180, help="length of the run (180)")
    p.add_argument("--leads", type=int, default=30_000, help="demo leads (30 000)")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "work" / "load")
    p.add_argument(
        "--upload-at",
        type=float,
        default=0.4,
        help="import on the Upload page at this fraction of the run (0.4); negative: none",
    )
    p.add_argument(
        "--cli-at",
        default="0.5",
        help="CLI imports at these fractions of the run (0.5; comma-separated; empty: none)",
    )
    p.add_argument(
        "--hold-at",
        type=float,
        default=-1,
        help="another program locks the file read-write at this fraction of the run "
        "(default: never)",
    )
    p.add_argument("--hold-seconds", type=float, default=20, help="for how long (20)")
    p.add_argument("--upload-rows", type=int, default=200)
    p.add_argument("--cli-rows", type=int, default=5_000)
    p.add_argument("--think", default="1,3", help="think time between interactions, s (1,3)")
    p.add_argument("--timeout", type=float, default=90, help="max seconds to idle (90)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument(
        "--ramp", type=float, default=30, help="seconds over which the users arrive (30)"
    )
    return p


def main(argv: list[str] | None = None) -> int:
    a = build_parser().parse_args(argv)
    lo, hi = (float(x) for x in a.think.split(","))
    cfg = LoadConfig(
        sessions=a.sessions,
        seconds=a.seconds,
        leads=a.leads,
        out=a.out,
        upload_at=a.upload_at if a.upload_at >= 0 else None,
        cli_at=tuple(float(x) for x in a.cli_at.split(",") if x.strip()),
        hold_at=a.hold_at if a.hold_at >= 0 else None,
        hold_seconds=a.hold_seconds,
        upload_rows=a.upload_rows,
        cli_rows=a.cli_rows,
        think=(lo, hi),
        timeout=a.timeout,
        seed=a.seed,
        ramp=a.ramp,
    )
    results = run_load(cfg)
    print(markdown(results))
    print(f"written: {cfg.out / 'load.json'}, {cfg.out / 'load.md'}")
    return 0 if results["error_count"] == 0 and results["stall_count"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
