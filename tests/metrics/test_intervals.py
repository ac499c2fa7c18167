"""The intervals of a share (issue 13, M-01 and M-02's CSAT and FCR), held to statsmodels.

Every method equals ``statsmodels.stats.proportion.proportion_confint`` (clipped to 0–1, as
servicekit clips) within 1e-9 on counts Hypothesis draws, n up to 10^6, at any confidence in
(0.5, 0.999); the scalar path (``proportion``) and the vectorised one a frame uses
(``intervals``) agree. Then the properties: an interval lies in [0, 1], contains the share
(Jeffreys excepted at k = 0 and k = n, as statsmodels leaves it), narrows as n grows at the
same share, and widens with the confidence.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from servicekit.errors import InvalidInputError
from servicekit.metrics import METHODS, csat, fcr, proportion
from servicekit.metrics._intervals import interval, intervals, z_value

#: servicekit's method names and statsmodels'
STATSMODELS = {"wilson": "wilson", "agresti-coull": "agresti_coull", "jeffreys": "jeffreys",
               "clopper-pearson": "beta", "wald": "normal"}
CLOSED = ["wilson", "agresti-coull", "wald"]
BETA = ["jeffreys", "clopper-pearson"]


@st.composite
def counts(draw: st.DrawFn, max_n: int = 10**6) -> tuple[int, int]:
    """``(k, n)``: n spread over the orders of magnitude up to ``max_n``, k anywhere in 0…n
    with the edges (0, 1, n − 1, n) drawn often."""
    digits = draw(st.integers(0, round(math.log10(max_n))))
    n = draw(st.integers(1, min(max_n, 10**digits)))
    k = draw(st.sampled_from([0, 1, n - 1, n]) | st.integers(0, n))
    return max(0, min(k, n)), n


confidences = st.floats(0.5, 0.999, exclude_min=True)


def statsmodels_interval(k: int, n: int, confidence: float, method: str) -> tuple[float, float]:
    low, high = proportion_confint(k, n, alpha=1 - confidence, method=STATSMODELS[method])
    return float(np.clip(low, 0, 1)), float(np.clip(high, 0, 1))


def test_methods_are_the_five_of_issue_13() -> None:
    assert METHODS == ("wilson", "agresti-coull", "jeffreys", "clopper-pearson", "wald")
    assert set(METHODS) == set(STATSMODELS)


@pytest.mark.parametrize("method", CLOSED)
@settings(max_examples=150, deadline=None)
@given(kn=counts(), confidence=confidences)
def test_closed_form_intervals_equal_statsmodels(method: str, kn: tuple[int, int],
                                                 confidence: float) -> None:
    """Wilson, Agresti–Coull and Wald: ``proportion_confint`` (wilson, agresti_coull,
    normal), clipped to [0, 1], within 1e-9."""
    k, n = kn
    r = proportion(k, n, method=method, confidence=confidence)
    low, high = statsmodels_interval(k, n, confidence, method)
    assert r.ci_low == pytest.approx(low, abs=1e-9)
    assert r.ci_high == pytest.approx(high, abs=1e-9)


@pytest.mark.parametrize("method", BETA)
@settings(max_examples=40, deadline=None)
@given(kn=counts(), confidence=confidences)
def test_beta_intervals_equal_statsmodels(method: str, kn: tuple[int, int],
                                          confidence: float) -> None:
    """Jeffreys and Clopper–Pearson (statsmodels' jeffreys and beta), from servicekit's own
    beta quantile, within 1e-9 of SciPy's through statsmodels."""
    k, n = kn
    r = proportion(k, n, method=method, confidence=confidence)
    low, high = statsmodels_interval(k, n, confidence, method)
    assert r.ci_low == pytest.approx(low, abs=1e-9)
    assert r.ci_high == pytest.approx(high, abs=1e-9)


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=10, deadline=None)
@given(many=st.lists(counts(), min_size=1, max_size=25), confidence=confidences)
def test_vectorised_intervals_equal_the_scalar_ones_and_statsmodels(
        method: str, many: list[tuple[int, int]], confidence: float) -> None:
    """The frame path solves a frame's groups together (``intervals`` over arrays): the same
    bounds as one ``interval`` per group, and as statsmodels' vectorised ``proportion_confint``."""
    k = np.array([c[0] for c in many])
    n = np.array([c[1] for c in many])
    z = z_value(confidence, "test")
    lows, highs = intervals(method, k, n, z, confidence)
    sm_low, sm_high = proportion_confint(k, n, alpha=1 - confidence,
                                         method=STATSMODELS[method])
    np.testing.assert_allclose(lows, np.clip(sm_low, 0, 1), rtol=0, atol=1e-9)
    np.testing.assert_allclose(highs, np.clip(sm_high, 0, 1), rtol=0, atol=1e-9)
    for i, (ki, ni) in enumerate(many):
        low, high = interval(method, ki, ni, z, confidence)
        assert low == pytest.approx(lows[i], abs=1e-12)
        assert high == pytest.approx(highs[i], abs=1e-12)


def test_the_default_is_wilson_at_95_percent() -> None:
    """M-01's worked example: 3 satisfied of 5; Wilson 95 % as statsmodels computes it."""
    r = csat([5, 4, 3, 5, 1], scale=5)
    assert (r.method, r.confidence) == ("wilson", 0.95)
    low, high = proportion_confint(3, 5, alpha=0.05, method="wilson")
    assert r.ci_low == pytest.approx(low, abs=1e-12)
    assert r.ci_high == pytest.approx(high, abs=1e-12)
    assert (round(r.ci_low, 4), round(r.ci_high, 4)) == (0.2307, 0.8824)
    assert fcr([True, True, True, False, False]).ci_low == r.ci_low


@pytest.mark.parametrize("method", METHODS)
def test_every_method_is_offered_by_csat_and_fcr(method: str) -> None:
    r = csat([5, 4, 3, 5, 1], method=method, confidence=0.9)
    f = fcr([True, True, True, False, False], method=method, confidence=0.9)
    low, high = statsmodels_interval(3, 5, 0.9, method)
    for result in (r, f):
        assert result.method == method
        assert result.confidence == 0.9
        assert result.ci_low == pytest.approx(low, abs=1e-9)
        assert result.ci_high == pytest.approx(high, abs=1e-9)


@pytest.mark.parametrize("confidence", [0.5, 0.8, 0.9, 0.95, 0.99, 0.999])
def test_z_value_is_the_two_sided_normal_critical_value(confidence: float) -> None:
    assert z_value(confidence, "test") == pytest.approx(
        scipy.stats.norm.ppf(1 - (1 - confidence) / 2), abs=1e-12)


def test_clopper_pearson_is_exact_at_the_edges() -> None:
    """0 at k = 0 and 1 at k = n, as statsmodels' beta interval."""
    assert proportion(0, 20, method="clopper-pearson").ci_low == 0.0
    assert proportion(20, 20, method="clopper-pearson").ci_high == 1.0
    # the one-sided bound at the edge is (α/2)^(1/n): 0.025^(1/20)
    assert proportion(20, 20, method="clopper-pearson").ci_low == pytest.approx(
        0.025 ** (1 / 20), abs=1e-12)


def test_jeffreys_is_left_as_statsmodels_computes_it_at_the_edges() -> None:
    """No special case at k = 0 or k = n: the lower bound at k = 0 is the beta quantile, above
    0, so this one interval does not contain the share 0."""
    r = proportion(0, 20, method="jeffreys")
    assert r.ci_low == pytest.approx(scipy.stats.beta.ppf(0.025, 0.5, 20.5), abs=1e-12)
    assert r.ci_low > 0.0
    s = proportion(20, 20, method="jeffreys")
    assert s.ci_high == pytest.approx(scipy.stats.beta.ppf(0.975, 20.5, 0.5), abs=1e-12)
    assert s.ci_high < 1.0


def test_wald_is_clipped_to_0_1() -> None:
    """Wald's p ± z·√(p(1 − p)/n) leaves [0, 1] near the edges; servicekit clips it."""
    r = proportion(1, 10, method="wald")
    assert 0.1 - 1.959963984540054 * math.sqrt(0.09 / 10) < 0
    assert r.ci_low == 0.0
    assert proportion(0, 10, method="wald").ci_high == 0.0  # the degenerate Wald interval


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=40, deadline=None)
@given(kn=counts(max_n=10**5), confidence=confidences)
def test_intervals_lie_in_0_1_and_contain_the_share(method: str, kn: tuple[int, int],
                                                    confidence: float) -> None:
    k, n = kn
    r = proportion(k, n, method=method, confidence=confidence)
    assert r.value == k / n
    assert r.ci_low is not None
    assert r.ci_high is not None
    assert 0.0 <= r.ci_low <= r.ci_high <= 1.0
    if method == "jeffreys" and k in (0, n):
        return  # see test_jeffreys_is_left_as_statsmodels_computes_it_at_the_edges
    assert r.ci_low <= r.value + 1e-12
    assert r.value - 1e-12 <= r.ci_high


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=40, deadline=None)
@given(kn=counts(max_n=10**4), confidence=confidences)
def test_intervals_narrow_as_n_grows_at_the_same_share(method: str, kn: tuple[int, int],
                                                       confidence: float) -> None:
    """(k, n) → (4k, 4n): the same share, four times the answers, a narrower interval (never
    wider; strictly narrower unless the share is 0 or 1 with Wald's empty interval, or both
    Wald intervals are clipped to the whole of [0, 1])."""
    k, n = kn
    small = proportion(k, n, method=method, confidence=confidence)
    large = proportion(4 * k, 4 * n, method=method, confidence=confidence)
    assert small.ci_low is not None
    assert small.ci_high is not None
    assert large.ci_low is not None
    assert large.ci_high is not None
    wide = small.ci_high - small.ci_low
    narrow = large.ci_high - large.ci_low
    assert narrow <= wide + 1e-12
    if method != "wald" or (0 < k < n and wide < 1):
        assert narrow < wide


@settings(max_examples=40, deadline=None)
@given(kn=counts(max_n=10**4), method=st.sampled_from(METHODS),
       levels=st.lists(confidences, min_size=2, max_size=2, unique=True).map(sorted))
def test_a_higher_confidence_gives_a_wider_interval_around_the_lower_ones(
        kn: tuple[int, int], method: str, levels: list[float]) -> None:
    """The 99 % interval contains the 90 % one (nested intervals, every method)."""
    k, n = kn
    lower = proportion(k, n, method=method, confidence=levels[0])
    higher = proportion(k, n, method=method, confidence=levels[1])
    assert lower.ci_low is not None
    assert lower.ci_high is not None
    assert higher.ci_low is not None
    assert higher.ci_high is not None
    assert higher.ci_low <= lower.ci_low + 1e-12
    assert lower.ci_high <= higher.ci_high + 1e-12


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=30, deadline=None)
@given(kn=counts(max_n=10**4), confidence=confidences)
def test_failures_mirror_successes(method: str, kn: tuple[int, int], confidence: float) -> None:
    """Every method is symmetric: the interval of n − k successes is 1 minus that of k."""
    k, n = kn
    r = proportion(k, n, method=method, confidence=confidence)
    m = proportion(n - k, n, method=method, confidence=confidence)
    assert r.ci_low is not None
    assert r.ci_high is not None
    assert m.ci_low is not None
    assert m.ci_high is not None
    assert m.ci_low == pytest.approx(1 - r.ci_high, abs=1e-9)
    assert m.ci_high == pytest.approx(1 - r.ci_low, abs=1e-9)


@pytest.mark.parametrize("method", METHODS)
def test_no_answers_no_interval(method: str) -> None:
    r = proportion(0, 0, method=method)
    assert (r.value, r.ci_low, r.ci_high, r.n) == (None, None, None, 0)
    assert csat([None, math.nan], method=method).ci_low is None


@pytest.mark.parametrize("method", ["exact", "Wilson", "agresti_coull", "beta", "normal", "",
                                    None, 1])
def test_unknown_methods_are_refused(method: object) -> None:
    """statsmodels' own names are not servicekit's (agresti-coull, clopper-pearson, wald)."""
    for call in (lambda: csat([5], method=method), lambda: fcr([True], method=method),
                 lambda: proportion(1, 1, method=method)):
        with pytest.raises(InvalidInputError, match="unknown method"):
            call()


@pytest.mark.parametrize("confidence", [0, 1, 0.0, 1.0, -0.5, 1.5, 95, True, False, "0.95",
                                        None, math.nan, math.inf])
def test_confidence_outside_0_1_is_refused(confidence: object) -> None:
    for call in (lambda: csat([5], confidence=confidence),
                 lambda: fcr([True], confidence=confidence),
                 lambda: proportion(1, 1, confidence=confidence)):
        with pytest.raises(InvalidInputError, match="confidence must be a number between 0"):
            call()


@pytest.mark.parametrize(("successes", "n", "missing"), [
    (-1, 5, 0), (1, -5, 0), (1, 5, -1), (True, 5, 0), (1, True, 0), (1.0, 5, 0), (1, 5.0, 0),
    ("1", 5, 0), (1, 5, None),
])
def test_proportion_counts_must_be_whole_numbers_at_least_0(successes: object, n: object,
                                                            missing: object) -> None:
    with pytest.raises(InvalidInputError, match="must be a whole number"):
        proportion(successes, n, missing=missing)  # type: ignore[arg-type]


def test_successes_cannot_exceed_n() -> None:
    with pytest.raises(InvalidInputError, match="cannot exceed n"):
        proportion(6, 5)
