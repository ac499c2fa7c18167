"""Means with Student's t interval (M-04 touchpoint scores, M-06 AFRT; issue 13).

Student's t quantile comes from servicekit's own beta quantile: it equals
``scipy.stats.t.ppf`` within 1e-8 at the quantiles an interval uses (confidence 0.5 … 0.999)
for up to 10^5 degrees of freedom, and the closed forms at 1 and 2; ``mean_result`` equals
statsmodels' ``DescrStatsW(...).tconfint_mean()``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.weightstats import DescrStatsW

from servicekit.errors import InvalidInputError
from servicekit.metrics._mean import mean_result, t_quantile
from servicekit.metrics._results import Mean

confidences = st.floats(0.5, 0.999, exclude_min=True)


@settings(max_examples=150, deadline=None)
@given(confidence=confidences, lower=st.booleans(),
       df=st.integers(1, 100_000) | st.floats(0.5, 200.0))
def test_t_quantile_equals_scipy(confidence: float, lower: bool, df: float) -> None:
    """The two-sided quantiles of every confidence level, both tails, within 1e-8."""
    p = 1 - (1 - confidence) / 2
    if lower:
        p = 1 - p
    assert t_quantile(p, df) == pytest.approx(float(scipy.stats.t.ppf(p, df)), abs=1e-8)


@pytest.mark.parametrize("p", [0.75, 0.8, 0.9, 0.95, 0.975, 0.99, 0.995, 0.9995])
def test_t_quantile_closed_forms_at_1_and_2_degrees_of_freedom(p: float) -> None:
    """ν = 1 is Cauchy's tan(π(p − ½)); ν = 2 is (2p − 1)/√(2p(1 − p))."""
    assert t_quantile(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=1e-10)
    assert t_quantile(p, 2) == pytest.approx((2 * p - 1) / math.sqrt(2 * p * (1 - p)),
                                             rel=1e-10)


@settings(max_examples=30, deadline=None)
@given(p=st.floats(0.5, 0.9995, exclude_min=True), df=st.integers(1, 1000))
def test_t_quantile_is_odd_about_the_median(p: float, df: int) -> None:
    assert t_quantile(1 - p, df) == pytest.approx(-t_quantile(p, df), abs=1e-9)
    assert t_quantile(p, df) > 0


def test_t_quantile_median_is_0_and_large_df_is_normal() -> None:
    assert t_quantile(0.5, 7) == 0.0
    assert t_quantile(0.975, 100_000) == pytest.approx(scipy.stats.norm.ppf(0.975), abs=1e-4)
    assert t_quantile(0.975, 10) > t_quantile(0.975, 100) > t_quantile(0.975, 100_000)


values_lists = st.lists(st.floats(-1e4, 1e4), min_size=2, max_size=200)


@settings(max_examples=100, deadline=None)
@given(values=values_lists, confidence=confidences)
def test_mean_result_equals_statsmodels_tconfint_mean(values: list[float],
                                                      confidence: float) -> None:
    m = mean_result(values, metric="touchpoint", confidence=confidence)
    stats = DescrStatsW(np.array(values))
    low, high = stats.tconfint_mean(alpha=1 - confidence)
    scale = max(1.0, *(abs(v) for v in values))
    assert m.n == len(values)
    assert m.value == pytest.approx(float(np.mean(values)), abs=1e-12 * scale)
    assert m.std == pytest.approx(float(np.std(values, ddof=1)), abs=1e-9 * scale)
    assert m.ci_low == pytest.approx(low, abs=1e-9 * scale)
    assert m.ci_high == pytest.approx(high, abs=1e-9 * scale)
    assert m.ci_low is not None
    assert m.ci_high is not None
    assert m.value is not None
    assert m.ci_low <= m.value <= m.ci_high
    assert (m.method, m.metric, m.confidence) == ("t", "touchpoint", confidence)


def test_m04_touchpoint_mean_example() -> None:
    """M-04: the mean of 5-point scores per touchpoint, target ≥ 4.5."""
    scores = [5.0, 4.0, 5.0, 5.0, 4.0, 5.0, 5.0, 4.0]
    m = mean_result(scores, metric="touchpoint")
    assert m.value == 4.625
    low, high = DescrStatsW(np.array(scores)).tconfint_mean()
    assert (m.ci_low, m.ci_high) == (pytest.approx(low, abs=1e-12),
                                     pytest.approx(high, abs=1e-12))
    assert m.meets(4.5) is None  # 4.625 of 8 answers straddles the target
    assert mean_result([5.0, 4.9] * 200, metric="touchpoint").meets(4.5) is True
    assert mean_result([4.0, 4.1] * 200, metric="touchpoint").meets(4.5) is False


def test_m06_afrt_at_most_two_hours() -> None:
    """M-06: the mean first response time, ≤ 2 h (7200 s)."""
    fast = mean_result([3600.0, 3000.0, 4000.0] * 20, metric="afrt", unit="seconds")
    assert fast.meets(7200, at_most=True) is True
    slow = mean_result([9000.0, 8000.0, 10_000.0] * 20, metric="afrt", unit="seconds")
    assert slow.meets(7200, at_most=True) is False
    assert mean_result([100.0, 10_000.0], metric="afrt").meets(7200, at_most=True) is None
    assert str(fast).startswith("AFRT 3533 seconds (n = 60, 95 % CI ")


def test_no_value_no_mean_one_value_no_interval() -> None:
    empty = mean_result([], metric="afrt", missing=3, unit="seconds")
    assert (empty.value, empty.n, empty.missing, empty.std, empty.ci_low) == (None, 0, 3, None,
                                                                               None)
    assert empty.meets(7200, at_most=True) is None
    assert str(empty) == "AFRT n/a (n = 0)"
    one = mean_result([42.0], metric="afrt")
    assert (one.value, one.n, one.std, one.ci_low, one.ci_high) == (42.0, 1, None, None, None)
    assert one.meets(10) is None
    assert str(one) == "AFRT 42 (n = 1)"


def test_equal_values_have_an_empty_interval() -> None:
    m = mean_result([3.0] * 10, metric="touchpoint")
    assert (m.value, m.std, m.ci_low, m.ci_high) == (3.0, 0.0, 3.0, 3.0)


def test_a_mean_is_a_frozen_result() -> None:
    m = mean_result([1.0, 2.0], metric="afrt")
    assert isinstance(m, Mean)
    with pytest.raises(ValueError, match="frozen"):
        m.value = 3.0  # type: ignore[misc]


@pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.1, 95, True, "0.95", None, math.nan])
def test_bad_confidence_is_refused(confidence: object) -> None:
    with pytest.raises(InvalidInputError, match="confidence"):
        mean_result([1.0, 2.0], metric="afrt", confidence=confidence)  # type: ignore[arg-type]
