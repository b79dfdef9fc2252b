"""The uncertainty columns of a comparison table, written again for the limit and pandas versions.

Independent of :mod:`analytics.stats` on purpose (the harness checks the app against these), from
the definitions in docs/METRICS.md: "95% interval" (Wilson score), "Against the rest" (pooled
two-proportion z-test, two-sided, 5%; fewer than 30 on either side = too few to judge) and
"95% interval of cost per MQL" (CPL over the Wilson bounds of the MQL yield). It works on the
small table of counts a query returned, never on lead rows.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

Z = NormalDist().inv_cdf(0.975)
MIN_N = 30
ALPHA = 0.05


def div(a: Any, b: Any) -> float | None:
    """a / b; None for a missing value or a zero denominator."""
    if a is None or b is None or b == 0:
        return None
    return float(a) / float(b)


def wilson(x: int, n: int) -> tuple[float | None, float | None]:
    if n == 0:
        return None, None
    p, z2 = x / n, Z * Z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    low = 0.0 if x == 0 else max(0.0, centre - half)
    high = 1.0 if x == n else min(1.0, centre + half)
    return low, high


def against_rest(x: int, n: int, total_x: int, total_n: int) -> tuple[float | None, str, Any]:
    """(rate of the rest, verdict, p-value) of x/n against (total - this)."""
    rx, rn = total_x - x, total_n - n
    if rn == 0:
        return None, "no_rest", None
    rest = rx / rn
    if n < MIN_N or rn < MIN_N:
        return rest, "too_few", None
    pooled = (x + rx) / (n + rn)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / rn))
    if se == 0:
        return rest, "no_difference", 1.0
    z = (x / n - rest) / se
    p = 2 * (1 - NormalDist().cdf(abs(z)))
    if p < ALPHA:
        return rest, "higher" if z > 0 else "lower", p
    return rest, "no_difference", p


def add_rate_columns(
    rows: list[dict[str, Any]], rate: str, x_col: str, n_col: str, enabled: bool
) -> None:
    """``<rate>_low/_high/_rest/_verdict/_p`` on each row (None everywhere when not enabled)."""
    tx = sum(int(r[x_col]) for r in rows)
    tn = sum(int(r[n_col]) for r in rows)
    for r in rows:
        x, n = int(r[x_col]), int(r[n_col])
        if not enabled:
            r.update({f"{rate}_{k}": None for k in ("low", "high", "rest", "verdict", "p")})
            continue
        r[f"{rate}_low"], r[f"{rate}_high"] = wilson(x, n)
        r[f"{rate}_rest"], r[f"{rate}_verdict"], r[f"{rate}_p"] = against_rest(x, n, tx, tn)


def add_cost_per_mql_interval(rows: list[dict[str, Any]], enabled: bool) -> None:
    for r in rows:
        low = high = None
        spend, n, x = r["spend"], int(r["leads"]), int(r["mql"])
        if enabled and spend is not None and n > 0:
            if spend == 0:
                low, high = 0.0, 0.0
            else:
                p_low, p_high = wilson(x, n)
                cpl = spend / n
                low = cpl / p_high if p_high else None
                high = None if not p_low else cpl / p_low
        r["cost_per_mql_low"], r["cost_per_mql_high"] = low, high


BREAKDOWN_RATES = (
    ("mql_yield", "mql", "leads"),
    ("mql_to_sql", "sql", "mql"),
    ("win_rate", "won", "leads"),
    ("reach_sql", "sql", "leads"),
    ("reach_opportunity", "opportunity", "leads"),
)


def breakdown_rows(groups: list[dict[str, Any]], cohort: bool) -> list[dict[str, Any]]:
    """Rows of a conversion breakdown from per-group counts (key, leads ... won, revenue,
    valued = clients with a deal value): revenue 0 without clients and unknown (None) when no
    client has a deal value; the five rates with their intervals and tests (cohort only)."""
    rows = []
    for g in groups:
        row: dict[str, Any] = {
            k: int(g[k] or 0) for k in ("leads", "mql", "sql", "opportunity", "won")
        }
        row["key"] = g["key"]
        unknown = row["won"] > 0 and not g["valued"]
        row["revenue"] = None if unknown else float(g["revenue"] or 0)
        for rate, x, n in BREAKDOWN_RATES:
            row[rate] = div(row[x], row[n])
        rows.append(row)
    for rate, x, n in BREAKDOWN_RATES:
        add_rate_columns(rows, rate, x, n, cohort)
    return rows
