"""Honest uncertainty for rates: 95% Wilson score intervals and two-proportion z-tests.

Everything here works on counts (successes out of trials) that DuckDB has already aggregated;
nothing reads leads. Undefined cases (no trials, nothing to compare with) give None, never 0.

- :func:`wilson_interval`: the score interval of Wilson (1927), the interval recommended for a
  binomial proportion by Newcombe (1998) and by Brown, Cai & DasGupta (2001); unlike the textbook
  "p ± 1.96·SE" it stays inside [0, 1] and does not collapse to a point at 0 or n successes.
- :func:`two_proportion_z_test`: the pooled two-proportion z-test (two-sided).
- :func:`compare_to_rest`: one group's rate against all the other groups pooled, with the
  "too few to judge" rule: fewer than :data:`MIN_SAMPLE` trials on either side gives no verdict.
- :func:`cost_interval`: the 95% interval of a cost per success (e.g. cost per MQL), derived from
  the Wilson interval of the success rate (see its docstring for the derivation).

Each has a column form (:func:`wilson_columns`, :func:`z_test_columns`, :func:`compare_columns`,
:func:`cost_columns`) that does the same arithmetic on whole numpy columns, for tables of
thousands of campaigns; the one-value functions call them, so there is one formula of each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

#: Two-sided 95%: the 97.5th percentile of the standard normal distribution (1.959964...).
Z95: Final[float] = NormalDist().inv_cdf(0.975)
#: Below this many trials (the rate's denominator) a rate is "too few to judge".
MIN_SAMPLE: Final[int] = 30
#: Significance level of the two-sided tests.
ALPHA: Final[float] = 0.05

Verdict = Literal["higher", "lower", "no_difference", "too_few", "no_rest"]
#: Verdicts in display order.
VERDICTS: Final[tuple[Verdict, ...]] = ("higher", "lower", "no_difference", "too_few", "no_rest")


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval for ``successes`` out of ``trials``; None when ``trials`` is 0.

    With p = successes / trials and k = z^2 / trials:
        centre = (p + k / 2) / (1 + k)
        half   = z / (1 + k) * sqrt(p (1 - p) / trials + z^2 / (4 trials^2))
        interval = [centre - half, centre + half], clipped to [0, 1] against rounding.
    """
    low, high = wilson_columns(np.array([successes]), np.array([trials]), z)
    if trials == 0:
        return None
    return float(low[0]), float(high[0])


Floats = npt.NDArray[np.float64]


def _counts(x: npt.ArrayLike, n: npt.ArrayLike) -> tuple[npt.NDArray[np.int64], Floats]:
    xs, ns = np.asarray(x, dtype=np.int64), np.asarray(n, dtype=np.int64)
    bad = (ns < 0) | (xs < 0) | (xs > ns)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"need 0 <= successes <= trials, got {xs[i]} of {ns[i]}")
    return xs, ns.astype(np.float64)


def wilson_columns(
    successes: npt.ArrayLike, trials: npt.ArrayLike, z: float = Z95
) -> tuple[Floats, Floats]:
    """:func:`wilson_interval` of each pair: (lows, highs), NaN where there are no trials."""
    x, n = _counts(successes, trials)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        k = z * z / n
        centre = (p + k / 2) / (1 + k)
        half = z / (1 + k) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        low = np.where(x == 0, 0.0, np.maximum(0.0, centre - half))
        high = np.where(x == n, 1.0, np.minimum(1.0, centre + half))
    none = n == 0
    return np.where(none, np.nan, low), np.where(none, np.nan, high)


@dataclass(frozen=True)
class ZTest:
    """A two-sided pooled two-proportion z-test of rate1 = x1/n1 against rate2 = x2/n2."""

    rate1: float
    rate2: float
    z: float  #: (rate1 - rate2) / standard error; positive when rate1 is higher
    p_value: float  #: two-sided


def two_proportion_z_test(x1: int, n1: int, x2: int, n2: int) -> ZTest | None:
    """Pooled two-proportion z-test; None when either group has no trials.

    pooled = (x1 + x2) / (n1 + n2); se = sqrt(pooled (1 - pooled) (1/n1 + 1/n2));
    z = (x1/n1 - x2/n2) / se; p = 2 (1 - Phi(|z|)). When everybody or nobody succeeded in both
    groups (pooled 0 or 1) the rates are equal and there is nothing to test: z = 0, p = 1.
    """
    z, p_value = z_test_columns(np.array([x1]), np.array([n1]), np.array([x2]), np.array([n2]))
    if n1 == 0 or n2 == 0:
        return None
    return ZTest(x1 / n1, x2 / n2, float(z[0]), float(p_value[0]))


def z_test_columns(
    x1: npt.ArrayLike, n1: npt.ArrayLike, x2: npt.ArrayLike, n2: npt.ArrayLike
) -> tuple[Floats, Floats]:
    """:func:`two_proportion_z_test` of each row: (z, two-sided p), NaN where a side has no
    trials; z = 0 and p = 1 where the pooled rate is 0 or 1."""
    a, na = _counts(x1, n1)
    b, nb = _counts(x2, n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (a + b) / (na + nb)
        se = np.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
        z = np.where(se == 0, 0.0, (a / na - b / nb) / se)
    p_value = np.array([1.0 if v == 0 else math.erfc(abs(v) / math.sqrt(2)) for v in z.tolist()])
    none = (na == 0) | (nb == 0)
    return np.where(none, np.nan, z), np.where(none, np.nan, p_value)


@dataclass(frozen=True)
class Comparison:
    """A group's rate against all the other groups pooled."""

    verdict: Verdict
    rest_rate: float | None  #: the pooled rate of the others (None without others)
    p_value: float | None  #: None when no test was made (too few, no others)


def compare_to_rest(
    successes: int,
    trials: int,
    total_successes: int,
    total_trials: int,
    min_sample: int = MIN_SAMPLE,
    alpha: float = ALPHA,
) -> Comparison:
    """Test ``successes/trials`` against the rest: (total - this) pooled.

    Verdicts: "no_rest" when the others have no trials at all; "too_few" when this group or the
    rest has fewer than ``min_sample`` trials (a rate on so few says little, and the normal
    approximation of the test is poor); otherwise "higher" / "lower" when the two-sided p-value is
    below ``alpha``, else "no_difference".
    """
    verdicts, rests, pvalues = compare_columns(
        np.array([successes]), np.array([trials]), total_successes, total_trials, min_sample, alpha
    )
    rest = None if np.isnan(rests[0]) else float(rests[0])
    p_value = None if np.isnan(pvalues[0]) else float(pvalues[0])
    return Comparison(verdicts[0], rest, p_value)


def compare_columns(
    successes: npt.ArrayLike,
    trials: npt.ArrayLike,
    total_successes: int,
    total_trials: int,
    min_sample: int = MIN_SAMPLE,
    alpha: float = ALPHA,
) -> tuple[list[Verdict], Floats, Floats]:
    """:func:`compare_to_rest` of each row against the totals: (verdicts, rest rates, p-values),
    NaN where :func:`compare_to_rest` gives None."""
    x, n = _counts(successes, trials)
    rest_x, rest_n = total_successes - x, total_trials - n
    if (rest_n < 0).any() or (rest_x < 0).any():
        raise ValueError("the totals must include the group")
    with np.errstate(divide="ignore", invalid="ignore"):
        rest_rate = np.where(rest_n == 0, np.nan, rest_x / rest_n)
    z, p_value = z_test_columns(x, n.astype(np.int64), rest_x, rest_n.astype(np.int64))
    too_few = (n < min_sample) | (rest_n < min_sample)
    verdict = np.where(p_value < alpha, np.where(z > 0, "higher", "lower"), "no_difference")
    verdict = np.where(too_few, "too_few", verdict)
    verdict = np.where(rest_n == 0, "no_rest", verdict)
    tested = ~too_few & (rest_n != 0)
    verdicts: list[Verdict] = verdict.tolist()
    return verdicts, rest_rate, np.where(tested, p_value, np.nan)


def cost_interval(
    spend: float, trials: int, successes: int, z: float = Z95
) -> tuple[float, float | None] | None:
    """95% interval of the cost per success, e.g. cost per MQL = spend / MQL.

    Derivation: take the spend and the number of leads as given (the campaign bought ``trials``
    leads for ``spend``) and the MQL count as binomial over those leads with rate p. The cost per
    MQL the campaign delivers is then g(p) = spend / (trials * p), the cost per lead over the MQL
    yield. g is decreasing in p, so the Wilson interval [p_low, p_high] of the yield maps to the
    interval [g(p_high), g(p_low)] with the same 95% coverage. With no successes p_low = 0 and the
    interval has no upper end (None): the data cannot rule out any cost, however high.
    Returns None when there are no trials (no rate, no cost per success).
    """
    low, high = cost_columns(np.array([spend]), np.array([trials]), np.array([successes]), z)
    if np.isnan(low[0]):
        return None
    return float(low[0]), None if np.isnan(high[0]) else float(high[0])


def cost_columns(
    spend: npt.ArrayLike, trials: npt.ArrayLike, successes: npt.ArrayLike, z: float = Z95
) -> tuple[Floats, Floats]:
    """:func:`cost_interval` of each row: (lows, highs), NaN where it gives None (no trials, or
    no upper end). A NaN spend (unknown) gives NaN too."""
    money = np.asarray(spend, dtype=np.float64)
    if (money < 0).any():
        raise ValueError(f"spend cannot be negative, got {money[money < 0][0]}")
    p_low, p_high = wilson_columns(successes, trials, z)
    n = np.asarray(trials, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_trial = money / n
        low = np.where(money == 0, 0.0, per_trial / p_high)
        high = np.where(money == 0, 0.0, np.where(p_low == 0, np.nan, per_trial / p_low))
    none = np.isnan(p_low) | np.isnan(money)
    return np.where(none, np.nan, low), np.where(none, np.nan, high)
