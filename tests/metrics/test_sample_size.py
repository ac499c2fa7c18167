"""How many answers a margin of error needs (issue 13; M-12's survey of at least 500).

``sample_size`` is statsmodels' ``samplesize_confint_proportion`` rounded up; both sizes are
the smallest n whose Wald margin is within the target (checked at n and n − 1); the default
shares are the worst case.
"""

from __future__ import annotations

import math

import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import samplesize_confint_proportion

from servicekit.errors import InvalidInputError
from servicekit.metrics import nps_result, nps_sample_size, sample_size

confidences = st.floats(0.5, 0.999, exclude_min=True)
shares = st.floats(0.0, 1.0, exclude_min=True, exclude_max=True)
margins = st.floats(0.002, 1.0)


def z_of(confidence: float) -> float:
    return float(scipy.stats.norm.ppf(1 - (1 - confidence) / 2))


def test_docstring_examples() -> None:
    assert sample_size(0.05) == 385
    assert sample_size(0.03, proportion=0.9) == 385
    assert nps_sample_size(10) == 385
    assert nps_sample_size(5, promoters=0.6, detractors=0.1) == 692


def test_m12_500_answers_give_a_worst_case_margin_under_4_4_percent() -> None:
    assert sample_size(0.044) <= 500 < sample_size(0.043)


@settings(max_examples=200)
@given(margin=margins, p=shares, confidence=confidences)
def test_sample_size_is_statsmodels_rounded_up(margin: float, p: float,
                                               confidence: float) -> None:
    expected = samplesize_confint_proportion(p, margin, alpha=1 - confidence)
    assert sample_size(margin, proportion=p, confidence=confidence) == max(
        1, math.ceil(expected))


@settings(max_examples=200)
@given(margin=margins, p=shares, confidence=confidences)
def test_sample_size_is_the_smallest_n_within_the_margin(margin: float, p: float,
                                                         confidence: float) -> None:
    n = sample_size(margin, proportion=p, confidence=confidence)
    z = z_of(confidence)
    assert z * math.sqrt(p * (1 - p) / n) <= margin * (1 + 1e-9)
    if n > 1:
        assert z * math.sqrt(p * (1 - p) / (n - 1)) > margin * (1 - 1e-9)


@settings(max_examples=200)
@given(n=st.integers(1, 10**6), p=shares, confidence=confidences)
def test_the_margin_of_n_answers_needs_n_answers(n: int, p: float, confidence: float) -> None:
    """The round trip: the margin n answers give asks for n answers, not n + 1 from the
    rounding of z²·p(1 − p)/e² (which is n exactly, in exact arithmetic)."""
    margin = z_of(confidence) * math.sqrt(p * (1 - p) / n)
    if 1e-6 <= margin <= 1:  # a smaller margin overflows: see the report
        assert sample_size(margin, proportion=p, confidence=confidence) == n
    nps_margin = z_of(confidence) * math.sqrt(1 / n) * 100
    if nps_margin <= 200:
        assert nps_sample_size(nps_margin, confidence=confidence) == n


@settings(max_examples=100)
@given(margin=margins, p=shares, confidence=confidences)
def test_half_is_the_worst_case_share(margin: float, p: float, confidence: float) -> None:
    assert sample_size(margin, proportion=p, confidence=confidence) <= sample_size(
        margin, confidence=confidence)
    assert sample_size(margin, confidence=confidence) == sample_size(
        margin, proportion=0.5, confidence=confidence)


@pytest.mark.parametrize("p", [0, 1, 0.0, 1.0])
def test_a_certain_share_needs_one_answer(p: float) -> None:
    assert sample_size(0.05, proportion=p) == 1


def test_a_higher_confidence_or_a_smaller_margin_needs_more() -> None:
    assert sample_size(0.05, confidence=0.99) > sample_size(0.05) > sample_size(
        0.05, confidence=0.9)
    assert sample_size(0.01) > sample_size(0.02) > sample_size(0.05)
    assert sample_size(0.01) == math.ceil(0.25 * (z_of(0.95) / 0.01) ** 2)


@settings(max_examples=200)
@given(margin=st.floats(0.2, 200.0), confidence=confidences)
def test_nps_worst_case_is_half_promoters_half_detractors(margin: float,
                                                          confidence: float) -> None:
    """The variance p_P + p_D − (p_P − p_D)² is at most 1, at p_P = p_D = ½: n = ⌈(z·100/e)²⌉
    answers for a margin of e points."""
    n = nps_sample_size(margin, confidence=confidence)
    assert n == nps_sample_size(margin, promoters=0.5, detractors=0.5, confidence=confidence)
    expected = (z_of(confidence) * 100 / margin) ** 2
    assert n == max(1, math.ceil(expected - 1e-9 * expected))


@settings(max_examples=200)
@given(margin=st.floats(0.2, 200.0), confidence=confidences, p_p=shares, p_d=shares)
def test_nps_sample_size_is_the_smallest_n_within_the_wald_margin(
        margin: float, confidence: float, p_p: float, p_d: float) -> None:
    if p_p + p_d > 1:
        p_p, p_d = p_p / 2, p_d / 2
    n = nps_sample_size(margin, promoters=p_p, detractors=p_d, confidence=confidence)
    assert n <= nps_sample_size(margin, confidence=confidence)
    variance = p_p + p_d - (p_p - p_d) ** 2
    z = z_of(confidence)
    assert z * math.sqrt(variance / n) * 100 <= margin * (1 + 1e-9)
    if n > 1:
        assert z * math.sqrt(variance / (n - 1)) * 100 > margin * (1 - 1e-9)


def test_nps_sample_size_gives_the_margin_nps_reports() -> None:
    """Half promoters, a quarter each passives and detractors, margin 10 points: 265 answers
    (variance 0.6875); 268 such answers (134 / 67 / 67) have a Wald margin under 10."""
    n = nps_sample_size(10, promoters=0.5, detractors=0.25)
    assert n == math.ceil(0.6875 * (z_of(0.95) * 10) ** 2)
    assert n == 265
    r = nps_result(134, 67, 67)
    assert r.margin_of_error is not None
    assert r.margin_of_error < 10


@pytest.mark.parametrize("margin", [0, 0.0, -0.05, 1.5, True, "0.05", None, math.nan,
                                    math.inf])
def test_bad_margins_are_refused(margin: object) -> None:
    with pytest.raises(InvalidInputError, match=r"margin must be a number in \(0, 1\]"):
        sample_size(margin)  # type: ignore[arg-type]


@pytest.mark.parametrize("margin", [0, -1, 200.5, True, "5", None, math.nan, math.inf])
def test_bad_nps_margins_are_refused(margin: object) -> None:
    with pytest.raises(InvalidInputError, match=r"margin must be a number in \(0, 200\]"):
        nps_sample_size(margin)  # type: ignore[arg-type]


@pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.1, 95, True, "0.95", None, math.nan])
def test_bad_confidence_is_refused(confidence: object) -> None:
    with pytest.raises(InvalidInputError, match="confidence"):
        sample_size(0.05, confidence=confidence)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="confidence"):
        nps_sample_size(5, confidence=confidence)  # type: ignore[arg-type]


@pytest.mark.parametrize("share", [-0.1, 1.1, True, "0.5", None, math.nan])
def test_bad_shares_are_refused(share: object) -> None:
    with pytest.raises(InvalidInputError, match="proportion must be a share"):
        sample_size(0.05, proportion=share)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="promoters must be a share"):
        nps_sample_size(5, promoters=share)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="detractors must be a share"):
        nps_sample_size(5, detractors=share)  # type: ignore[arg-type]


def test_promoters_and_detractors_cannot_exceed_everyone() -> None:
    with pytest.raises(InvalidInputError, match="add up to more than 1"):
        nps_sample_size(5, promoters=0.7, detractors=0.4)
