"""The edges of the beta quantile behind the Jeffreys and Clopper–Pearson intervals (issue 13):
exact binomial tails at small whole shapes, rare events whose bounds are far below 1e-9, an
upper bound a few float steps below 1, the arcsine law. ``test_beta.py`` holds the quantile to
SciPy within 1e-9; these inputs need more than that to tell a right answer from a wrong one
(survivors of the mutation run: a Stirling coefficient, the bracket's ends)."""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from servicekit.metrics import proportion
from servicekit.metrics._beta import beta_cdf, beta_ppf
from servicekit.metrics._intervals import intervals, z_value


def _binomial_tail(x: float, k: int, n: int) -> float:
    """P(Binomial(n, x) ≥ k), exactly for the float x, rounded once."""
    q = Fraction(x)
    return float(sum(math.comb(n, i) * q**i * (1 - q) ** (n - i) for i in range(k, n + 1)))


@pytest.mark.parametrize("n", [19, 24, 31])
@pytest.mark.parametrize("confidence", [0.9, 0.99])
def test_m01_clopper_pearson_bounds_are_exact_binomial_tails(n: int, confidence: float) -> None:
    """Clopper–Pearson is defined by the binomial: at the lower bound P(X ≥ k) = α/2, at the
    upper P(X ≤ k) = α/2. Held exactly (1e-12 of α/2), not to 1e-9: at k and n − k near 10
    log B(a, b) comes from the Stirling series, whose x⁻⁷ term moves the bounds by 1e-10."""
    tail = (1 - confidence) / 2
    for k in range(9, n - 8):
        r = proportion(k, n, method="clopper-pearson", confidence=confidence)
        assert r.ci_low is not None
        assert r.ci_high is not None
        assert _binomial_tail(r.ci_low, k, n) == pytest.approx(tail, rel=1e-12, abs=0)
        assert 1 - _binomial_tail(r.ci_high, k + 1, n) == pytest.approx(tail, rel=1e-12, abs=0)


def test_m02_a_rare_event_has_a_lower_bound_exact_to_its_own_size() -> None:
    """The Jeffreys lower bound of 0, 1 or 2 successes is tiny (3.8e-9 for 0 of 52 at
    99.9 %), so the 1e-9 the bounds are held to elsewhere says little about it: it is held
    relatively here, to 1e-12.
    A quantile iteration that lands on the root must stop there, not bisect away from it.
    (The bounds of every group of a frame are solved together, as here.)"""
    n = np.repeat(np.arange(1, 61), 3)
    k = np.minimum(np.tile([0, 1, 2], 60), n)
    for confidence in (0.9, 0.99, 0.999):
        low, _ = intervals("jeffreys", k, n, z_value(confidence, "test"), confidence)
        expected = [proportion_confint(int(s), int(t), alpha=1 - confidence,
                                       method="jeffreys")[0] for s, t in zip(k, n, strict=True)]
        np.testing.assert_allclose(low, expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize(("n", "confidence"), [(80_000_000, 0.9501), (90_000_000, 0.9501),
                                               (60_000_000, 0.9978), (90_000_000, 0.9978)])
def test_m02_jeffreys_has_no_special_case_when_every_answer_is_a_success(
        n: int, confidence: float) -> None:
    """k = n: Jeffreys' upper bound is the Beta(n + ½, ½) quantile, below 1 (statsmodels'
    too; only Clopper–Pearson is 1 there). At these n it is 1 − 5e-12 … 1 − 1e-14, some
    hundred float steps below 1, and what it says is its distance from 1: that is held to
    1 %. A Newton step rounding onto the bracket's end 1.0 is not the answer."""
    r = proportion(n, n, method="jeffreys", confidence=confidence)
    _, high = proportion_confint(n, n, alpha=1 - confidence, method="jeffreys")
    assert r.ci_high is not None
    assert r.ci_high < 1.0
    assert 1 - r.ci_high == pytest.approx(1 - high, rel=0.01, abs=0)


def test_the_arcsine_law() -> None:
    """Beta(½, ½) is the arcsine distribution: its quantile is sin²(πp/2), to a few float
    steps (its density is steep at both ends, where a bracket that stops short shows)."""
    p = np.linspace(0.001, 0.999, 999)
    np.testing.assert_allclose(beta_ppf(p, 0.5, 0.5), np.sin(np.pi * p / 2) ** 2, rtol=0,
                               atol=1e-14)


def test_the_median_of_a_symmetric_beta_is_one_half() -> None:
    """Beta(a, a) is symmetric about ½: the mean, where the iteration starts, is the median,
    so the answer is ½ exactly where the distribution there is ½ exactly (a = 1, 2)."""
    assert beta_ppf(0.5, 1.0, 1.0) == 0.5
    assert beta_ppf(0.5, 2.0, 2.0) == 0.5
    np.testing.assert_allclose(beta_ppf(0.5, [0.5, 10.5, 1000.5], [0.5, 10.5, 1000.5]), 0.5,
                               rtol=0, atol=1e-14)


def test_outside_0_1_the_distribution_is_0_or_1_without_a_warning() -> None:
    """Below 0 it is 0, from 1 on it is 1, and nothing there is computed on the way: no
    logarithm of a negative number, no floating-point warning for the caller."""
    x = np.array([-1.0, 0.0, 1.0, 1.5, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(beta_cdf(x, 2.0, 3.0), [0.0, 0.0, 1.0, 1.0, 1.0])
