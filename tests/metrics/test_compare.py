"""``compare(a, b)`` (issue 13): two periods of one metric, the difference, its interval, the
p-value and the verdict in words.

CSAT and FCR: the p-value is statsmodels' pooled ``proportions_ztest`` and the interval
``confint_proportions_2indep(method="newcomb")``, within 1e-9 on counts Hypothesis draws. NPS:
the difference with its own standard error √(se_a² + se_b²), computed here independently.
"""

from __future__ import annotations

import math
import warnings

import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from servicekit.errors import InvalidInputError
from servicekit.metrics import Comparison, compare, csat, fcr, nps, nps_result, proportion
from servicekit.metrics._mean import mean_result


@st.composite
def counts(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(st.integers(1, 10 ** draw(st.integers(0, 6))))
    k = draw(st.sampled_from([0, 1, n - 1, n]) | st.integers(0, n))
    return max(0, min(k, n)), n


@st.composite
def nps_counts(draw: st.DrawFn) -> tuple[int, int, int]:
    top = 10 ** draw(st.integers(0, 6))
    c = [draw(st.integers(0, top)) for _ in range(3)]
    if sum(c) == 0:
        c[1] = 1
    return c[0], c[1], c[2]


confidences = st.floats(0.5, 0.999, exclude_min=True)


def z_of(confidence: float) -> float:
    return float(scipy.stats.norm.ppf(1 - (1 - confidence) / 2))


@settings(max_examples=200)
@given(a=counts(), b=counts(), confidence=confidences)
def test_share_comparison_equals_statsmodels(a: tuple[int, int], b: tuple[int, int],
                                             confidence: float) -> None:
    """CSAT / FCR: the pooled z-test's p-value and Newcombe's hybrid score interval of
    p1 − p2, as statsmodels computes them, within 1e-9."""
    (k1, n1), (k2, n2) = a, b
    c = compare(proportion(k1, n1, metric="csat"), proportion(k2, n2, metric="csat"),
                confidence=confidence)
    assert c.difference == pytest.approx(k1 / n1 - k2 / n2, abs=1e-15)
    assert (c.a, c.b, c.metric, c.confidence) == (k1 / n1, k2 / n2, "csat", confidence)
    low, high = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff",
                                           alpha=1 - confidence)
    assert c.ci_low == pytest.approx(low, abs=1e-9)
    assert c.ci_high == pytest.approx(high, abs=1e-9)
    assert -1.0 <= c.ci_low <= c.difference <= c.ci_high <= 1.0
    pooled = (k1 + k2) / (n1 + n2)
    if 0 < pooled < 1:
        _, p_value = proportions_ztest([k1, k2], [n1, n2])
        assert c.p_value == pytest.approx(p_value, abs=1e-9)
    else:  # statsmodels gives NaN: every answer the same, no evidence of a difference
        assert c.p_value == 1.0
    assert c.significant is (c.p_value < 1 - confidence)


@pytest.mark.parametrize(("k1", "n1", "k2", "n2"), [(0, 10, 0, 30), (10, 10, 30, 30)])
def test_identical_answers_everywhere_are_no_difference(k1: int, n1: int, k2: int,
                                                        n2: int) -> None:
    """All satisfied (or none) in both periods: the pooled variance is 0 and statsmodels'
    p-value is NaN; servicekit says p = 1, not significant."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, p_value = proportions_ztest([k1, k2], [n1, n2])
    assert math.isnan(p_value)
    c = compare(proportion(k1, n1), proportion(k2, n2))
    assert (c.difference, c.p_value, c.significant) == (0.0, 1.0, False)
    assert "no significant difference" in str(c)


@settings(max_examples=100)
@given(a=counts(), b=counts(), confidence=confidences)
def test_swapping_the_periods_mirrors_the_comparison(a: tuple[int, int], b: tuple[int, int],
                                                     confidence: float) -> None:
    one = compare(proportion(*a), proportion(*b), confidence=confidence)
    other = compare(proportion(*b), proportion(*a), confidence=confidence)
    assert other.difference == -one.difference
    assert other.p_value == pytest.approx(one.p_value, abs=1e-15)
    assert other.ci_low == pytest.approx(-one.ci_high, abs=1e-12)
    assert other.ci_high == pytest.approx(-one.ci_low, abs=1e-12)


@settings(max_examples=200)
@given(a=nps_counts(), b=nps_counts(), confidence=confidences)
def test_nps_comparison_is_the_difference_with_its_own_standard_error(
        a: tuple[int, int, int], b: tuple[int, int, int], confidence: float) -> None:
    """se = √(se_a² + se_b²), each se_x = √((p_P + p_D − (p_P − p_D)²)/n)·100; p two-sided
    normal; the interval d ± z·se, clipped to −200 … 200."""
    ra, rb = nps_result(*a), nps_result(*b)
    c = compare(ra, rb, confidence=confidence)

    def score_and_se(x: tuple[int, int, int]) -> tuple[float, float]:
        n = sum(x)
        p_p, p_d = x[0] / n, x[2] / n
        return (p_p - p_d) * 100, math.sqrt((p_p + p_d - (p_p - p_d) ** 2) / n) * 100

    (sa, ea), (sb, eb) = score_and_se(a), score_and_se(b)
    d = sa - sb
    se = math.sqrt(ea**2 + eb**2)
    assert (c.metric, c.confidence) == ("nps", confidence)
    assert c.a == pytest.approx(sa, abs=1e-9)
    assert c.b == pytest.approx(sb, abs=1e-9)
    assert c.difference == pytest.approx(d, abs=1e-9)
    assert c.ci_low == pytest.approx(max(-200.0, d - z_of(confidence) * se), abs=1e-9)
    assert c.ci_high == pytest.approx(min(200.0, d + z_of(confidence) * se), abs=1e-9)
    if se > 0:
        assert c.p_value == pytest.approx(2 * scipy.stats.norm.sf(abs(d) / se), abs=1e-9)
    else:  # both all promoters or all detractors: no spread
        assert c.p_value == (1.0 if d == 0 else 0.0)
    assert c.significant is (c.p_value < 1 - confidence)


def test_the_docstring_example_and_its_words() -> None:
    c = compare(csat([5] * 90 + [1] * 10), csat([5] * 70 + [1] * 30))
    assert isinstance(c, Comparison)
    assert round(c.difference, 2) == 0.2
    assert c.significant is True
    _, p_value = proportions_ztest([90, 70], [100, 100])
    assert c.p_value == pytest.approx(p_value, abs=1e-12)
    assert str(c).startswith("CSAT: the first is significantly higher than the second at the "
                             "5 % level: 90.0 % vs 70.0 %, difference +20.0 pp (95 % CI ")
    assert str(c).endswith(f"p = {c.p_value:.3g}")


def test_the_words_say_lower_and_no_difference() -> None:
    lower = compare(fcr([True] * 70 + [False] * 30), fcr([True] * 90 + [False] * 10))
    assert lower.significant is True
    assert "FCR: the first is significantly lower than the second at the 5 % level" in str(
        lower)
    assert "difference -20.0 pp" in str(lower)
    same = compare(fcr([True] * 80 + [False] * 20), fcr([True] * 78 + [False] * 22))
    assert same.significant is False
    assert str(same).startswith("FCR: no significant difference at the 5 % level: 80.0 % vs "
                                "78.0 %")


def test_the_words_for_nps_are_in_points() -> None:
    higher = compare(nps([10] * 60 + [0] * 40), nps([10] * 30 + [0] * 70))
    assert higher.significant is True
    assert str(higher).startswith("NPS: the first is significantly higher than the second at "
                                  "the 5 % level: +20.0 vs -40.0, difference +60.0 points")
    same = compare(nps([10, 9, 0]), nps([10, 0, 0]))
    assert "NPS: no significant difference" in str(same)


def test_the_level_in_words_follows_the_confidence() -> None:
    a, b = proportion(62, 100), proportion(50, 100)
    at_90 = compare(a, b, confidence=0.90)
    at_95 = compare(a, b, confidence=0.95)
    assert at_90.p_value == at_95.p_value
    assert 0.05 < at_90.p_value < 0.10
    assert at_90.significant is True
    assert at_95.significant is False
    assert "at the 10 % level" in str(at_90)
    assert "(90 % CI" in str(at_90)
    assert "no significant difference at the 5 % level" in str(at_95)


def test_different_metrics_are_not_compared() -> None:
    with pytest.raises(InvalidInputError, match="different metrics"):
        compare(csat([5, 4]), fcr([True, False]))


@pytest.mark.parametrize(("a", "b"), [
    (nps([10, 0]), csat([5, 1])),
    (csat([5, 1]), nps([10, 0])),
    (fcr([True]), nps([10])),
    (0.9, 0.8),
    (csat([5]), None),
    (mean_result([1.0, 2.0], metric="afrt"), mean_result([1.0, 3.0], metric="afrt")),
])
def test_nps_is_not_compared_with_a_share_nor_anything_else(a: object, b: object) -> None:
    with pytest.raises(InvalidInputError, match="expected two Proportion or two NpsResult"):
        compare(a, b)  # type: ignore[arg-type]


@pytest.mark.parametrize(("a", "b"), [
    (csat([None]), csat([5])), (csat([5]), csat([])),
    (fcr([]), fcr([])),
    (nps([]), nps([10])), (nps([10]), nps([None])),
])
def test_a_result_without_answers_is_not_compared(a: object, b: object) -> None:
    with pytest.raises(InvalidInputError, match="without answers"):
        compare(a, b)  # type: ignore[arg-type]


@pytest.mark.parametrize("confidence", [0, 1, 1.2, -0.5, True, "0.95", None, math.nan])
def test_confidence_outside_0_1_is_refused(confidence: object) -> None:
    with pytest.raises(InvalidInputError, match="confidence"):
        compare(csat([5]), csat([4]), confidence=confidence)  # type: ignore[arg-type]
