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
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Final, Literal

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
    if trials < 0 or successes < 0 or successes > trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes} of {trials}")
    if trials == 0:
        return None
    n = float(trials)
    p = successes / n
    k = z * z / n
    centre = (p + k / 2) / (1 + k)
    half = z / (1 + k) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


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
    for x, n in ((x1, n1), (x2, n2)):
        if n < 0 or x < 0 or x > n:
            raise ValueError(f"need 0 <= successes <= trials, got {x} of {n}")
    if n1 == 0 or n2 == 0:
        return None
    r1, r2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return ZTest(r1, r2, 0.0, 1.0)
    z = (r1 - r2) / se
    p_value = math.erfc(abs(z) / math.sqrt(2))  # = 2 (1 - Phi(|z|))
    return ZTest(r1, r2, z, p_value)


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
    rest_x, rest_n = total_successes - successes, total_trials - trials
    if rest_n < 0 or rest_x < 0:
        raise ValueError("the totals must include the group")
    rest_rate = rest_x / rest_n if rest_n else None
    if rest_n == 0:
        return Comparison("no_rest", None, None)
    if trials < min_sample or rest_n < min_sample:
        return Comparison("too_few", rest_rate, None)
    test = two_proportion_z_test(successes, trials, rest_x, rest_n)
    assert test is not None  # both sides have trials here
    if test.p_value < alpha:
        return Comparison("higher" if test.z > 0 else "lower", rest_rate, test.p_value)
    return Comparison("no_difference", rest_rate, test.p_value)


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
    if spend < 0:
        raise ValueError(f"spend cannot be negative, got {spend}")
    interval = wilson_interval(successes, trials, z)
    if interval is None:
        return None
    if spend == 0:
        return 0.0, 0.0  # free leads: every MQL costs nothing, whatever the yield
    p_low, p_high = interval
    cost_per_trial = spend / trials
    return cost_per_trial / p_high, None if p_low == 0 else cost_per_trial / p_low
