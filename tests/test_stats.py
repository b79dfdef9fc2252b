"""Wilson intervals, z-tests and the cost-per-MQL interval against values worked out by hand and
against a published table.

Published values: Newcombe R.G. (1998), "Two-sided confidence intervals for the single
proportion: comparison of seven methods", Statistics in Medicine 17, 857-872, Table II, method 3
(the Wilson score interval without continuity correction), to 4 decimals:
    81/263 -> 0.2553 to 0.3662      15/148 -> 0.0624 to 0.1605
     0/20  -> 0.0000 to 0.1611       1/29  -> 0.0061 to 0.1718
"""

from __future__ import annotations

import math

import pytest

from analytics.stats import (
    MIN_SAMPLE,
    Z95,
    compare_columns,
    compare_to_rest,
    cost_columns,
    cost_interval,
    two_proportion_z_test,
    wilson_columns,
    wilson_interval,
)


def test_z95_is_the_975th_normal_percentile():
    # every table of the standard normal: Phi(1.96) = 0.9750
    assert abs(Z95 - 1.959964) < 1e-6


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
    ids=["81_of_263", "15_of_148", "0_of_20", "1_of_29"],
)
def test_wilson_matches_newcombe_table(successes, trials, low, high):
    got_low, got_high = wilson_interval(successes, trials)
    assert (round(got_low, 4), round(got_high, 4)) == (low, high)


def test_wilson_by_hand_4_of_10():
    """p = 0.4, z^2 = 3.8414588, k = z^2/n = 0.38414588
    centre = (0.4 + 0.19207294) / 1.38414588 = 0.4277533
    half = 1.959964 / 1.38414588 * sqrt(0.4*0.6/10 + 3.8414588/400)
         = 1.4160097 * sqrt(0.024 + 0.00960365) = 1.4160097 * 0.1833130 = 0.2595727
    -> 0.1681806 to 0.6873260"""
    low, high = wilson_interval(4, 10)
    assert low == pytest.approx(0.1681806, abs=1e-6)
    assert high == pytest.approx(0.6873260, abs=1e-6)


def test_wilson_edges():
    # all successes: the upper end is exactly 1; by symmetry the lower end is 1 - (0 of n upper)
    low, high = wilson_interval(5, 5)
    assert high == 1.0
    zero_low, zero_high = wilson_interval(0, 5)
    assert zero_low == 0.0 and low == pytest.approx(1 - zero_high)
    # 0 of 5: k = 3.841459/5 = 0.7682918; upper = k / (1 + k) = 0.4344825
    assert zero_high == pytest.approx(0.4344825, abs=1e-6)
    assert wilson_interval(0, 0) is None  # no trials: no rate, no interval


@pytest.mark.parametrize(("x", "n"), [(-1, 5), (6, 5), (0, -1)])
def test_wilson_refuses_impossible_counts(x, n):
    with pytest.raises(ValueError, match="successes <= trials"):
        wilson_interval(x, n)


def test_z_test_by_hand():
    """45/100 against 30/100: pooled = 75/200 = 0.375;
    se = sqrt(0.375 * 0.625 * (1/100 + 1/100)) = sqrt(0.0046875) = 0.0684653;
    z = 0.15 / 0.0684653 = 2.1908902; p = 2 * (1 - Phi(2.1909)) = 2 * 0.0142299 = 0.0284597
    (normal table: Phi(2.19) = 0.98574, so p is about 0.0285)."""
    test = two_proportion_z_test(45, 100, 30, 100)
    assert test.rate1 == 0.45 and test.rate2 == 0.30
    assert test.z == pytest.approx(2.1908902, abs=1e-6)
    assert test.p_value == pytest.approx(0.0284597, abs=1e-6)
    reverse = two_proportion_z_test(30, 100, 45, 100)
    assert reverse.z == pytest.approx(-test.z) and reverse.p_value == pytest.approx(test.p_value)


def test_z_test_unequal_groups_by_hand():
    """12/40 against 30/200: pooled = 42/240 = 0.175;
    se = sqrt(0.175 * 0.825 * (1/40 + 1/200)) = sqrt(0.144375 * 0.03) = sqrt(0.00433125)
       = 0.0658122; z = (0.30 - 0.15) / 0.0658122 = 2.279212;
    p = 2 * (1 - Phi(2.279212)) = 0.02265 (normal table: Phi(2.28) = 0.98870 -> p about 0.0226)."""
    test = two_proportion_z_test(12, 40, 30, 200)
    assert test.z == pytest.approx(2.279212, abs=1e-5)
    assert test.p_value == pytest.approx(0.02265, abs=1e-4)


def test_z_test_degenerate_cases():
    assert two_proportion_z_test(0, 0, 3, 10) is None
    same = two_proportion_z_test(0, 50, 0, 70)  # nobody converted anywhere: nothing to test
    assert (same.z, same.p_value) == (0.0, 1.0)
    everybody = two_proportion_z_test(40, 40, 60, 60)
    assert (everybody.z, everybody.p_value) == (0.0, 1.0)


def test_compare_to_rest_verdicts():
    # the group 45/100 and the others 30/100 pooled: totals 75/200 -> the test above, p = 0.028
    higher = compare_to_rest(45, 100, 75, 200)
    assert higher.verdict == "higher" and higher.rest_rate == pytest.approx(0.30)
    assert higher.p_value == pytest.approx(0.0284597, abs=1e-6)
    lower = compare_to_rest(30, 100, 75, 200)
    assert lower.verdict == "lower"
    # 35/100 against 40/100: pooled 0.375, z = -0.05/0.0684653 = -0.7303; p = 0.4652 > 0.05
    same = compare_to_rest(35, 100, 75, 200)
    assert same.verdict == "no_difference"
    assert same.p_value == pytest.approx(0.46521, abs=1e-4)


def test_too_few_to_judge_below_30_on_either_side():
    assert MIN_SAMPLE == 30
    # 29 trials: too few, whatever the rate (29/29 against 0/1000 would otherwise be "higher")
    assert compare_to_rest(29, 29, 29, 1029).verdict == "too_few"
    # exactly 30 is enough: 30/30 against 0/1000 is clearly higher
    assert compare_to_rest(30, 30, 30, 1030).verdict == "higher"
    # the rest pooled has 20 trials only
    few_rest = compare_to_rest(10, 100, 15, 120)
    assert few_rest.verdict == "too_few" and few_rest.rest_rate == pytest.approx(5 / 20)
    assert few_rest.p_value is None


def test_no_rest_to_compare_with():
    alone = compare_to_rest(10, 100, 10, 100)
    assert alone.verdict == "no_rest" and alone.rest_rate is None


def test_cost_interval_by_hand():
    """1000 spent on 10 leads, 4 of them MQL: cost per MQL = 250.
    Wilson for 4/10 (above): 0.1681806 to 0.6873260; cost per lead = 100;
    cost per MQL interval = 100 / 0.6873260 to 100 / 0.1681806 = 145.491 to 594.599."""
    low, high = cost_interval(1000, 10, 4)
    assert low == pytest.approx(145.491, abs=2e-3)
    assert high == pytest.approx(594.599, abs=2e-3)
    assert low < 1000 / 4 < high  # the point estimate lies inside


def test_cost_interval_edges():
    # no MQL: cost per MQL is undefined and the interval has no upper end.
    # 0 of 20: p_high = 0.1611 (Newcombe) -> lower end 50 / 0.16113 = 310.3
    low, high = cost_interval(1000, 20, 0)
    assert high is None and low == pytest.approx(50 / 0.1611265, abs=1e-2)
    assert cost_interval(1000, 0, 0) is None  # no leads: no rate
    assert cost_interval(0, 25, 5) == (0.0, 0.0)  # free leads cost nothing per MQL
    with pytest.raises(ValueError):
        cost_interval(-1, 10, 1)


def test_interval_shrinks_with_more_data():
    small = wilson_interval(4, 10)
    big = wilson_interval(400, 1000)
    assert (big[1] - big[0]) < (small[1] - small[0]) / 5
    assert math.isclose(sum(big) / 2, 0.4, abs_tol=0.001)


def test_column_forms_give_each_row_what_the_one_value_functions_give():
    # Every (successes, trials) with trials <= 40 in one table, against totals that make some
    # rows "too few", some tested, and the last row the whole rest: the columns must give each
    # row exactly the answer it gets alone (no mixing of rows, the same None cases).
    pairs = [(x, n) for n in range(0, 41) for x in range(0, n + 1)]
    xs = [x for x, _ in pairs] + [500]
    ns = [n for _, n in pairs] + [2000]
    tx, tn = sum(xs), sum(ns)
    spend = [float(13 * i % 7) * 100.0 for i in range(len(xs))]  # zeros among them
    lows, highs = wilson_columns(xs, ns)
    verdicts, rests, pvalues = compare_columns(xs, ns, tx, tn)
    cost_lows, cost_highs = cost_columns(spend, ns, xs)

    def none(v: float) -> float | None:
        return None if math.isnan(v) else float(v)

    for i, (x, n) in enumerate(zip(xs, ns, strict=True)):
        interval = wilson_interval(x, n)
        assert (none(lows[i]), none(highs[i])) == (interval or (None, None))
        alone = compare_to_rest(x, n, tx, tn)
        assert (verdicts[i], none(rests[i]), none(pvalues[i])) == (
            alone.verdict,
            alone.rest_rate,
            alone.p_value,
        )
        cost = cost_interval(spend[i], n, x)
        assert (none(cost_lows[i]), none(cost_highs[i])) == (cost or (None, None))
    assert set(verdicts) == {"too_few", "higher", "lower", "no_difference"}


def test_column_forms_refuse_impossible_counts():
    with pytest.raises(ValueError, match="5 of 3"):
        wilson_columns([1, 5], [2, 3])
    with pytest.raises(ValueError, match="include the group"):
        compare_columns([1, 2], [2, 3], 1, 4)  # the second row has more MQL than the total
