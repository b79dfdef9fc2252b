"""Results -> markdown tables, the verdict against the issue's targets, and the list of errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.common import VARIANTS

START = "<!-- bench:results:start -->"
END = "<!-- bench:results:end -->"

#: (what, target at 1M, target at 10M) from issue 5
TARGETS = {
    "compute": (0.150, 0.600),
    "cold_start": (2.0, 4.0),
    "ratio": (1.5, 1.5),
    "rss": (400.0, 1024.0),
    "import": (10.0, None),
    "cli": (1.0, 3.0),
}


def ms(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x * 1000:,.0f}" if x >= 0.01 else f"{x * 1000:.1f}"


def sec(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def ratio(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def mb(x: float | None) -> str:
    return "–" if x is None else f"{x:,.0f}"


# --------------------------------------------------------------------------------------------
# Derived numbers


def variant_numbers(v: dict[str, Any], naive_rows: list[dict] | None) -> dict[str, Any]:
    """Totals of one page variant: compute on a filter change (metrics), first view (all)."""
    jobs = v.get("jobs", [])
    metrics = [j for j in jobs if j["kind"] == "metric"]
    out: dict[str, Any] = {
        "figures": len(metrics),
        "queries": sum(j["queries"] for j in metrics),
        "app": sum(j["app_s"] for j in metrics),
        "held": sum(j["held_s"] for j in metrics),
        "first_view": sum(j["app_s"] for j in jobs),
        "cold": v.get("cold_metrics_s"),
        "cold_all": v.get("cold_all_s"),
        "rss": v.get("rss_peak_mb"),
        "connection": v.get("connection_s"),
        "raw_connect": v.get("raw_connect_s"),
    }
    with_limit = [j for j in metrics if j["limit_s"] is not None]
    out["limit"] = sum(j["limit_s"] for j in with_limit) if with_limit else None
    out["limit_partial"] = len(with_limit) < len(metrics)
    out["no_limit"] = sorted({j["name"] for j in metrics if j["limit_s"] is None})
    page_part = sum(j["app_s"] for j in with_limit)
    out["ratio"] = page_part / out["limit"] if out["limit"] else None
    held_part = sum(j["held_s"] for j in with_limit)
    out["ratio_held"] = held_part / out["limit"] if out["limit"] else None
    out["mismatch"] = [
        f"{j['label']}: {j['same_numbers']}" for j in jobs if isinstance(j["same_numbers"], list)
    ]
    out["naive"] = None
    if naive_rows is not None:
        labels = {j["label"] for j in metrics}
        rows = [r for r in naive_rows if r["label"] in labels]
        if rows and all(r["naive_s"] is not None for r in rows):
            out["naive"] = sum(r["naive_s"] for r in rows)
        out["mismatch"] += [
            f"pandas {r['label']}: {r['same_numbers']}"
            for r in naive_rows
            if isinstance(r["same_numbers"], list)
        ]
    out["pandas_ratio"] = out["naive"] / out["app"] if out["naive"] and out["app"] else None
    top = max(jobs, key=lambda j: j["app_s"], default=None)
    out["top"] = top
    return out


def errors(results: dict[str, Any]) -> list[str]:
    """Everything that went wrong (not timings): the harness exits non-zero if any."""
    out = []
    for size in results["sizes"]:
        label = size["label"]
        for page in size.get("pages", []):
            for variant, v in page["variants"].items():
                where = f"{label} {page['title']} ({variant})"
                if "error" in v:
                    out.append(f"{where}: {v['error'].strip().splitlines()[-1]}")
                    continue
                entry = size["plan"]["pages"][size["pages"].index(page)]["variants"][variant]
                for e in entry.get("exceptions", []):
                    out.append(f"{where}: the page raised {e[:200]}")
                naive = _naive_rows(size, page, variant)
                for m in variant_numbers(v, naive)["mismatch"]:
                    out.append(f"{where}: numbers differ: {m}")
        table = size.get("metric_table", {})
        if "error" in table:
            out.append(f"{label} metric table: {table['error'].strip().splitlines()[-1]}")
        for row in table.get("rows", []):
            if row.get("same_numbers") not in (None, True):
                out.append(
                    f"{label} {row['metric']} ({row['variant']}, {row['mode']}): numbers differ: "
                    f"{row['same_numbers']}"
                )
        naive = size.get("naive", {})
        if "error" in naive:
            out.append(f"{label} pandas: {naive['error'].strip().splitlines()[-1]}")
        for variant, c in size.get("cli", {}).items():
            if isinstance(c, dict) and c.get("error"):
                out.append(f"{label} CLI report ({variant}): {c['error']}")
        imp = size.get("import")
        if imp and "skipped" not in imp and imp.get("error"):
            out.append(f"{label} import: {imp['error']}")
        for b in size.get("browser", {}).get("pages", []):
            if b.get("error"):
                out.append(f"{label} browser {b['title']}: {b['error']}")
            for variant in VARIANTS:
                if (b.get(variant) or {}).get("error"):
                    out.append(f"{label} browser {b['title']} ({variant}): {b[variant]['error']}")
    return out


def _naive_rows(size: dict[str, Any], page: dict[str, Any], variant: str) -> list[dict] | None:
    naive = size.get("naive", {})
    if "pages" not in naive:
        return None
    i = size["pages"].index(page)
    return naive["pages"].get(f"{i}:{variant}")


# --------------------------------------------------------------------------------------------
# Markdown


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    o = results["options"]
    partial = (
        f" **Partial: the run stopped after {results['sizes'][-1]['label']}.**"
        if results.get("partial") and results["sizes"]
        else ""
    )
    lines = [
        f"Run {results['started']} ({results.get('duration_s', 0) / 60:.1f} min) on "
        f"{m['cores']} cores ({m['cpu']}), {m['memory']}; Python {m['python']}, "
        f"duckdb {m['duckdb']}, pandas {m['pandas']}, streamlit {m['streamlit']}. "
        f"Median of {o['runs']} warm runs after {o['warmup']} warm-up; cold = median of "
        f"{o['cold_runs']} fresh processes. Demo data: seed {o['seed']}, ending {o['today']}."
        + partial,
        "",
        "Machine load (1/5/15-min averages) before -> after each size: "
        + "; ".join(
            f"{s['label']}: {'/'.join(map(str, s['load_before']))} -> "
            f"{'/'.join(map(str, s.get('load_after', [])))}"
            for s in results["sizes"]
        )
        + ". A load near or above the core count means other work shared the CPU and the "
        "times are inflated.",
        "",
    ]
    lines += targets_table(results)
    for size in results["sizes"]:
        lines += size_section(size)
    errs = errors(results)
    lines += ["", "### Errors", ""]
    lines += (
        [f"- {e}" for e in errs]
        if errs
        else [
            "None: every page ran, and every number the limit and pandas produced was the page's."
        ]
    )
    return "\n".join(lines) + "\n"


def _worst(size: dict[str, Any], key: str) -> tuple[float | None, str]:
    best: tuple[float | None, str] = (None, "")
    for page in size.get("pages", []):
        for variant, v in page["variants"].items():
            if "jobs" not in v:
                continue
            value = variant_numbers(v, _naive_rows(size, page, variant))[key]
            if value is not None and (best[0] is None or value > best[0]):
                best = (value, f"{page['title']}, {VARIANTS[variant]}")
    return best


def targets_table(results: dict[str, Any]) -> list[str]:
    sizes = results["sizes"]
    head = (
        "| what (worst page) | "
        + " | ".join(s["label"] for s in sizes)
        + " | target 1M | target 10M |"
    )
    lines = ["### Against the targets", "", head, "|---" * (len(sizes) + 3) + "|"]

    def row(what: str, cells: list[str], target: tuple[Any, Any], fmt: Any) -> None:
        t1 = "–" if target[0] is None else fmt(target[0])
        t10 = "–" if target[1] is None else fmt(target[1])
        lines.append(f"| {what} | " + " | ".join(cells) + f" | {t1} | {t10} |")

    def cell(value: float | None, where: str, fmt: Any) -> str:
        return "–" if value is None else f"{fmt(value)} ({where})" if where else fmt(value)

    row(
        "page compute, warm, filter change (ms)",
        [cell(*_worst(s, "app"), ms) for s in sizes],
        TARGETS["compute"],
        ms,
    )
    row(
        "same, with a held connection (ms)",
        [cell(*_worst(s, "held"), ms) for s in sizes],
        TARGETS["compute"],
        ms,
    )
    row(
        "page / limit",
        [cell(*_worst(s, "ratio"), ratio) for s in sizes],
        TARGETS["ratio"],
        ratio,
    )
    cold = []
    rss = []
    for s in sizes:
        b = s.get("browser", {})
        pages = [p for p in b.get("pages", []) if p.get("cold_start_s") is not None]
        if pages:
            worst = max(pages, key=lambda p: p["cold_start_s"])
            cold.append(cell(worst["cold_start_s"], worst["title"], sec))
            top = max(pages, key=lambda p: p.get("server_peak_rss_mb") or 0)
            rss.append(cell(top.get("server_peak_rss_mb"), top["title"], mb))
        else:
            cold.append(b.get("skipped", "–")[:40] if b else "not run")
            rss.append("–")
    row("cold start to first render in a browser (s)", cold, TARGETS["cold_start"], sec)
    row("peak RSS of the app serving a page (MB)", rss, TARGETS["rss"], mb)
    imp = []
    for s in sizes:
        i = s.get("import")
        if not i:
            imp.append("")
        elif "skipped" in i:
            imp.append("skipped: no importer yet")
        elif i.get("error"):
            imp.append("error")
        else:
            imp.append(f"{sec(i['wall_s'])} ({i['rows']:,} rows, {mb(i['rss_mb'])} MB)")
    row("import of a leads CSV (s)", imp, TARGETS["import"], sec)
    for variant in VARIANTS:
        row(
            f"CLI `report --format json`, {VARIANTS[variant]} (s)",
            [sec(s.get("cli", {}).get(variant, {}).get("wall_s")) for s in sizes],
            TARGETS["cli"],
            sec,
        )
    gen = []
    for s in sizes:
        g = s.get("generate", {})
        gen.append(
            "reused"
            if g.get("reused")
            else f"{sec(g.get('wall_s'))} s ({sec(g.get('cpu_s'))} s CPU), {mb(g.get('rss_mb'))} MB"
        )
    lines.append("| demo generation (time, peak RSS) | " + " | ".join(gen) + " | – | < 120 s |")
    return [*lines, ""]


def size_section(size: dict[str, Any]) -> list[str]:
    label = size["label"]
    lines = [
        f"### {label} leads",
        "",
        "| page | period | figures | queries | cold, fresh process (ms) | warm (ms) | "
        "warm, held connection (ms) | limit (ms) | page / limit | pandas (ms) | pandas / page | "
        "first view incl. facts (ms) | script, all cached (ms) | peak RSS (MB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    dominates = []
    connection = None
    for i, page in enumerate(size.get("pages", [])):
        for variant, v in page["variants"].items():
            if "jobs" not in v:
                lines.append(f"| {page['title']} | {VARIANTS[variant]} | error |" + " |" * 11)
                continue
            script = size["plan"]["pages"][i]["variants"][variant].get("rerun_cached_s")
            d = variant_numbers(v, _naive_rows(size, page, variant))
            connection = d["connection"]
            star = "*" if d["limit_partial"] else ""
            lines.append(
                f"| {page['title']} | {VARIANTS[variant]} | {d['figures']} | {d['queries']} | "
                f"{ms(d['cold'])} | {ms(d['app'])} | {ms(d['held'])} | {ms(d['limit'])}{star} | "
                f"{ratio(d['ratio'])}{star} | {ms(d['naive'])} | {ratio(d['pandas_ratio'])} | "
                f"{ms(d['first_view'])} | {ms(script)} | {mb(d['rss'])} |"
            )
            top = d["top"]
            if top is not None and d["first_view"]:
                n_jobs = len(v["jobs"])
                conn_share = min(1.0, n_jobs * (d["connection"] or 0) / d["first_view"])
                dominates.append(
                    f"- {page['title']}, {VARIANTS[variant]}: `{top['label']}` "
                    f"{ms(top['app_s'])} ms of {ms(d['first_view'])} ms "
                    f"(held connection {ms(top['held_s'])} ms); {n_jobs} connections opened "
                    f"≈ {conn_share:.0%} of the first view"
                    + (
                        f"; no limit query yet for {', '.join(d['no_limit'])}"
                        if d["no_limit"]
                        else ""
                    )
                )
    lines.append("")
    if connection is not None:
        raw = None
        for page in size.get("pages", []):
            for v in page["variants"].values():
                raw = v.get("raw_connect_s", raw)
        lines.append(
            f"A short-lived read-only connection (`store.reading`: connect + schema check + "
            f"close) costs {ms(connection)} ms here; a bare `duckdb.connect(read_only=True)` + "
            f"close {ms(raw)} ms. The app pays it on every cache miss."
        )
        lines.append("")
    naive = size.get("naive", {})
    if "skipped" in naive:
        lines.append(f"pandas: skipped, {naive['skipped']}.")
    elif "load_s" in naive:
        lines.append(
            f"pandas: loading every lead into a DataFrame took {sec(naive['load_s'])} s and "
            f"{mb(naive['load_rss_mb'])} MB (not included in the pandas column, which is the "
            "computation on the loaded frame)."
        )
    lines.append("")
    if dominates:
        lines += ["What dominates each page (the slowest computation, warm, app model):", ""]
        lines += dominates
        lines.append("")
    table = size.get("metric_table", {}).get("rows", [])
    if table:
        lines += [
            "Every metric with a limit, on its own (one held connection: the query alone):",
            "",
            "| metric | period | mode | app's function (ms) | limit (ms) | function / limit |",
            "|---|---|---|---|---|---|",
        ]
        for row in table:
            limit_s = row.get("limit_s")
            r = row["metric_s"] / limit_s if limit_s else None
            lines.append(
                f"| {row['metric']} | {VARIANTS.get(row['variant'], row['variant'])} | "
                f"{row['mode']} | {ms(row['metric_s'])} | {ms(limit_s)} | {ratio(r)} |"
            )
        lines.append("")
    browser = size.get("browser", {})
    if browser.get("pages"):
        lines += [
            "Browser (fresh server per page; cold start = server spawn to the page rendered; "
            "render = the page opened to its charts drawn, with when the frontend had loaded "
            "and when the script run had finished):",
            "",
            "| page | server start (s) | cold start to first render (s) | "
            + " | ".join(f"render, {VARIANTS[v]} (s)" for v in VARIANTS)
            + " | app peak RSS (MB) |",
            "|---|---|---|" + "---|" * len(VARIANTS) + "---|",
        ]
        for b in browser["pages"]:

            def render(v: str, b: dict[str, Any] = b) -> str:
                r = b.get(v) or {}
                if "run_done_s" not in r:
                    return sec(r.get("render_s"))
                return (
                    f"{sec(r.get('render_s'))} (frontend {sec(r.get('app_shell_s'))}, "
                    f"run done {sec(r.get('run_done_s'))})"
                )

            lines.append(
                f"| {b['title']} | {sec(b.get('server_start_s'))} | {sec(b.get('cold_start_s'))} | "
                + " | ".join(render(v) for v in VARIANTS)
                + f" | {mb(b.get('server_peak_rss_mb'))} |"
            )
        lines.append("")
    elif browser.get("skipped"):
        lines += [f"Browser: skipped, {browser['skipped']}.", ""]
    cli = size.get("cli", {})
    if cli:
        lines.append(
            "CLI report: "
            + "; ".join(
                f"{VARIANTS[v]} {sec(cli[v]['wall_s'])} s ({sec(cli[v].get('cpu_s'))} s CPU, "
                f"{mb(cli[v]['rss_mb'])} MB)"
                for v in VARIANTS
                if v in cli
            )
            + f"; of which Python imports {sec(cli.get('python_imports_s'))} s."
        )
        lines.append("")
    imp = size.get("import")
    if imp:
        if "skipped" in imp:
            lines.append(f"Import: skipped: {imp['skipped']}")
        elif imp.get("error"):
            lines.append(f"Import: `{imp['command']}` failed: {imp['error']}")
        else:
            lines.append(
                f"Import: `{imp['command']}`: {imp['rows']:,} rows ({mb(imp['csv_mb'])} MB CSV) "
                f"in {sec(imp['wall_s'])} s ({sec(imp.get('cpu_s'))} s CPU), "
                f"peak RSS {mb(imp['rss_mb'])} MB, "
                f"{imp.get('imported', 0):,} leads in the database afterwards."
            )
        lines.append("")
    return lines


def update_doc(doc: Path, results_md: str) -> None:
    """Replace the generated part of docs/PERFORMANCE.md (between the markers) with the results."""
    text = doc.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise ValueError(f"{doc} lacks the markers {START} / {END}")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(head + START + "\n" + results_md + END + tail, encoding="utf-8")
