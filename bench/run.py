"""The harness: for each size, a demo database, then every measurement, each in its own process.

See ``python -m bench --help`` and docs/PERFORMANCE.md. Measurements run one after another
(never two at once, so they do not compete for the 2 cores); the machine's load average is
recorded before and after each size, because other work on the machine makes timings noisy.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import (
    BENCH_SEED,
    BENCH_TODAY,
    LAST_DAYS,
    ROOT,
    VARIANTS,
    WORK,
    load,
    median,
    size_label,
    write_json,
)


@dataclass(frozen=True)
class Options:
    sizes: tuple[int, ...]
    runs: int = 5
    warmup: int = 1
    cold_runs: int = 3
    pandas_max: int = 1_000_000
    browser: str = "all"  # all | first | none
    import_rows: int = 1_000_000
    fresh: bool = False
    work: Path = WORK
    log: Any = None

    def say(self, text: str) -> None:
        stamp = datetime.now().strftime("%H:%M:%S")
        print(f"[{stamp}] {text}", file=self.log or sys.stderr, flush=True)


@dataclass
class Child:
    returncode: int
    wall_s: float
    rss_mb: float
    cpu_s: float  # user + system CPU time: less sensitive than wall time to a busy machine
    stdout: str
    stderr: str

    def last_error(self) -> str:
        lines = [ln for ln in (self.stderr or self.stdout).strip().splitlines() if ln.strip()]
        return lines[-1][:500] if lines else f"exit status {self.returncode}"


def run_child(cmd: list[str], env: dict[str, str] | None = None, timeout: float = 3600) -> Child:
    """Run a command; its wall time and peak RSS (from the kernel's rusage of the child)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=out, stderr=err
        )
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        cpu = usage.ru_utime + usage.ru_stime
        return Child(proc.returncode, wall, usage.ru_maxrss / 1024, cpu, out.read(), err.read())


PY = [sys.executable]


# --------------------------------------------------------------------------------------------
# Databases


def demo_db(n: int, opts: Options) -> tuple[Path, dict[str, Any]]:
    """The demo database of ``n`` leads (reused when it exists with the same parameters)."""
    path = opts.work / f"demo-{size_label(n)}.duckdb"
    if path.exists() and not opts.fresh and _demo_matches(path, n):
        return path, {"reused": True}
    opts.say(f"generating {size_label(n)} demo leads -> {path}")
    child = run_child(
        [
            *PY,
            "-m",
            "analytics",
            "demo",
            "--db",
            str(path),
            "--leads",
            str(n),
            "--seed",
            str(BENCH_SEED),
            "--end",
            BENCH_TODAY.isoformat(),
            "--force",
        ]
    )
    if child.returncode != 0:
        raise RuntimeError(f"demo generation failed: {child.last_error()}")
    info = {"reused": False, "wall_s": child.wall_s, "cpu_s": child.cpu_s, "rss_mb": child.rss_mb}
    info["file_mb"] = path.stat().st_size / 1e6
    opts.say(f"  {child.wall_s:.1f} s ({child.cpu_s:.1f} s CPU), peak RSS {child.rss_mb:.0f} MB")
    return path, info


def _demo_matches(path: Path, n: int) -> bool:
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return False
    try:
        meta = dict(con.execute("SELECT key, value FROM voronka_meta").fetchall())
    except duckdb.Error:
        return False
    finally:
        con.close()
    return (
        meta.get("demo_leads") == str(n)
        and meta.get("demo_seed") == str(BENCH_SEED)
        and meta.get("demo_end") == BENCH_TODAY.isoformat()
    )


# --------------------------------------------------------------------------------------------
# One size


def measure_size(n: int, opts: Options, want_import: bool) -> dict[str, Any]:
    label = size_label(n)
    out: dict[str, Any] = {"leads": n, "label": label, "load_before": load()}
    db, out["generate"] = demo_db(n, opts)
    scratch = opts.work / f"run-{label}"
    scratch.mkdir(parents=True, exist_ok=True)

    opts.say(f"{label}: discovering pages (AppTest)")
    plan_path = scratch / "plan.json"
    child = run_child([*PY, "-m", "bench.discover", "--db", str(db), "--out", str(plan_path)])
    if child.returncode != 0:
        raise RuntimeError(f"page discovery failed: {child.last_error()}")
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    out["plan"] = plan

    out["pages"] = []
    for i, page in enumerate(plan["pages"]):
        page_out: dict[str, Any] = {"title": page["title"], "path": page["path"], "variants": {}}
        for variant, entry in page["variants"].items():
            if "error" in entry:
                page_out["variants"][variant] = {"error": entry["error"]}
                continue
            opts.say(f"{label}: {page['title']} / {VARIANTS[variant]}")
            page_out["variants"][variant] = _measure_variant(db, plan_path, i, variant, opts)
        out["pages"].append(page_out)

    opts.say(f"{label}: every metric against its limit")
    out["metric_table"] = _json_child(
        ["--db", str(db), "--runs", str(min(opts.runs, 3)), "--warmup", str(opts.warmup)],
        scratch / "metrics.json",
        module="bench.metric_table",
    )

    if n <= opts.pandas_max:
        opts.say(f"{label}: pandas (naive) on a DataFrame of every lead")
        out["naive"] = _json_child(
            [
                "naive",
                "--db",
                str(db),
                "--plan",
                str(plan_path),
                "--runs",
                str(min(opts.runs, 3)),
            ],
            scratch / "naive.json",
        )
    else:
        out["naive"] = {
            "skipped": f"{label} leads is above --pandas-max {size_label(opts.pandas_max)}: "
            "loading every lead into pandas would take several GB (about 6 GB at 10M)"
        }

    opts.say(f"{label}: CLI report --format json")
    out["cli"] = measure_cli(db, opts)
    if want_import:
        opts.say(f"{label}: import of a {size_label(min(n, opts.import_rows))}-row leads CSV")
        out["import"] = measure_import(db, min(n, opts.import_rows), opts)
    if opts.browser != "none":
        out["browser"] = measure_browser(db, plan, opts, label)
    out["load_after"] = load()
    return out


def _json_child(args: list[str], path: Path, module: str = "bench.measure") -> dict[str, Any]:
    child = run_child([*PY, "-m", module, *args, "--out", str(path)])
    if path.exists():
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        data["process_rss_mb"] = child.rss_mb
        return data
    return {"error": child.last_error()}


def _measure_variant(
    db: Path, plan_path: Path, page: int, variant: str, opts: Options
) -> dict[str, Any]:
    common = ["page", "--db", str(db), "--plan", str(plan_path), "--page", str(page)]
    common += ["--variant", variant]
    path = plan_path.parent / f"page{page}-{variant}-0.json"
    args = [*common, "--runs", str(opts.runs), "--warmup", str(opts.warmup)]
    result = _json_child(args, path)
    if "error" in result:
        return result
    colds = [sum(j["cold_s"] for j in result["jobs"] if j["kind"] == "metric")]
    firsts = [sum(j["cold_s"] for j in result["jobs"])]
    for k in range(1, opts.cold_runs):
        extra = _json_child(
            [*common, "--runs", "1", "--warmup", "0"],
            plan_path.parent / f"page{page}-{variant}-{k}.json",
        )
        if "jobs" in extra:
            colds.append(sum(j["cold_s"] for j in extra["jobs"] if j["kind"] == "metric"))
            firsts.append(sum(j["cold_s"] for j in extra["jobs"]))
    result["cold_metrics_s"] = median(colds)
    result["cold_all_s"] = median(firsts)
    result["cold_samples"] = len(colds)
    return result


# --------------------------------------------------------------------------------------------
# CLI report, import, browser


def measure_cli(db: Path, opts: Options) -> dict[str, Any]:
    out: dict[str, Any] = {}
    start = BENCH_TODAY - timedelta(days=LAST_DAYS - 1)
    args = {
        "last_90_days": ["--from", start.isoformat(), "--to", BENCH_TODAY.isoformat()],
        "all_time": [],
    }
    for variant, extra in args.items():
        cmd = [*PY, "-m", "analytics", "report", "--db", str(db), "--format", "json", *extra]
        walls, cpus, rss, error = [], [], 0.0, None
        for i in range(opts.warmup + opts.runs):
            child = run_child(cmd)
            if child.returncode != 0:
                error = child.last_error()
                break
            if i == 0:
                json.loads(child.stdout)  # the report must be valid JSON
            if i >= opts.warmup:
                walls.append(child.wall_s)
                cpus.append(child.cpu_s)
            rss = max(rss, child.rss_mb)
        out[variant] = {
            "wall_s": median(walls),
            "cpu_s": median(cpus),
            "rss_mb": rss,
            "error": error,
        }
    # the Python start-up part of that (imports), for scale
    child = run_child([*PY, "-c", "import analytics.cli, analytics.report"])
    out["python_imports_s"] = child.wall_s
    out["command"] = "python -m analytics report --db DB --format json [--from --to]"
    return out


def importer_available() -> tuple[bool, str]:
    child = run_child([*PY, "-m", "analytics", "import", "--help"])
    if child.returncode != 0:
        return False, "`python -m analytics import` does not exist yet: " + child.last_error()
    return True, child.stdout


def measure_import(db: Path, rows: int, opts: Options) -> dict[str, Any]:
    ok, text = importer_available()
    if not ok:
        return {"skipped": text}
    import duckdb

    scratch = opts.work / "import"
    scratch.mkdir(parents=True, exist_ok=True)
    csv = scratch / f"leads-{size_label(rows)}.csv"
    target = scratch / "target.duckdb"
    for f in (target, Path(str(target) + ".wal")):
        f.unlink(missing_ok=True)
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute(
            f"COPY (SELECT * FROM leads ORDER BY created_at, lead_id LIMIT {int(rows)}) "
            f"TO '{csv}' (HEADER, DELIMITER ',')"
        )
    finally:
        con.close()
    # the target: an empty Voronka database with the campaigns the leads refer to
    init = run_child([*PY, "-m", "analytics", "init", "--db", str(target)])
    if init.returncode != 0:
        return {"error": "init failed: " + init.last_error()}
    con = duckdb.connect(str(target))
    try:
        con.execute(f"ATTACH '{db}' AS src (READ_ONLY)")
        con.execute("INSERT INTO campaigns SELECT * FROM src.campaigns")
        con.execute("DETACH src")
    finally:
        con.close()
    cmd = [*PY, "-m", "analytics", "import", "--db", str(target), "--kind", "leads", str(csv)]
    child = run_child(cmd)
    result: dict[str, Any] = {
        "rows": rows,
        "csv_mb": csv.stat().st_size / 1e6,
        "command": shlex.join(["python", *cmd[1:]]).replace(str(ROOT) + "/", ""),
        "wall_s": child.wall_s,
        "cpu_s": child.cpu_s,
        "rss_mb": child.rss_mb,
        "returncode": child.returncode,
    }
    if child.returncode != 0:
        result["error"] = child.last_error()
    else:
        con = duckdb.connect(str(target), read_only=True)
        try:
            row = con.execute("SELECT count(*) FROM leads").fetchone()
            result["imported"] = row[0] if row else 0
        finally:
            con.close()
        result["summary"] = child.stdout.strip()[-1000:]
    return result


def measure_browser(db: Path, plan: dict[str, Any], opts: Options, tag: str) -> dict[str, Any]:
    from bench import browser

    why = browser.missing()
    if why:
        return {"skipped": why}
    pages = []
    for p in plan["pages"]:
        info = {k: p[k] for k in ("title", "path", "url_path", "default")}
        info["charts"] = {
            v: e.get("elements", {}).get("charts", 0) for v, e in p["variants"].items()
        }
        info["first_variant_only"] = opts.runs == 1 and opts.cold_runs == 1  # --quick
        pages.append(info)
    if opts.browser == "first":
        pages = pages[:1]
    opts.say(f"browser: cold start of {len(pages)} page(s)")
    return {"pages": browser.measure_pages(db, pages, tag, work=opts.work)}


# --------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    import duckdb
    import pandas
    import streamlit

    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) // 1024 // 1024} GB"
    except OSError:
        pass
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "pandas": pandas.__version__,
        "streamlit": streamlit.__version__,
    }


def run(opts: Options, checkpoint: Path | None = None) -> dict[str, Any]:
    """Every size in turn; with ``checkpoint``, the results so far are written there after
    each size (a long run stopped at 10M keeps its 100k and 1M numbers)."""
    opts.work.mkdir(parents=True, exist_ok=True)
    started = datetime.now()
    results: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "options": {
            "sizes": [size_label(n) for n in opts.sizes],
            "runs": opts.runs,
            "warmup": opts.warmup,
            "cold_runs": opts.cold_runs,
            "pandas_max": size_label(opts.pandas_max),
            "browser": opts.browser,
            "today": BENCH_TODAY.isoformat(),
            "seed": BENCH_SEED,
        },
        "sizes": [],
    }
    import_at = next((n for n in opts.sizes if n >= opts.import_rows), max(opts.sizes))
    for n in opts.sizes:
        results["sizes"].append(measure_size(n, opts, want_import=n == import_at))
        if checkpoint is not None and n != opts.sizes[-1]:
            write_json(checkpoint, {**results, "partial": True})
    results["finished"] = datetime.now().isoformat(timespec="seconds")
    results["duration_s"] = (datetime.now() - started).total_seconds()
    return results


def save(results: dict[str, Any], out_dir: Path) -> None:
    write_json(out_dir / "results.json", results)
