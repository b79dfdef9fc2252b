"""Voronka's performance harness (issue 5): ``python -m bench``. See docs/PERFORMANCE.md.

common      sizes, Filters <-> JSON, normalised results and the same-numbers comparison
discover    which pages exist and what each computes (AppTest, ui.data wrapped from outside)
measure     replay a page's computations in a fresh process: cold, warm, held connection, limit
limits      the limit: minimal hand-written SQL per metric
naive       the naive alternative: the same metrics in pandas on DataFrames of every row
metric_table  every metric with a limit, on its own
browser     cold start to first render in chromium, the app's peak RSS
run         the orchestration, one process per measurement; report: markdown and the verdict
"""
