"""M-03 NPS (issue 13): % promoters (9–10) − % detractors (0–6) on 0–10, with its margin.

The margin of error is MeasuringU's Wald half-width z·√((p_P + p_D − (p_P − p_D)²)/n)·100 and
the adjusted-Wald interval adds 3 to n and ¾ to promoters and to detractors; both are
computed here independently (SciPy's normal quantile, the formulas written out) and compared.
Properties: the score lies in −100 … 100 and so does every interval; shuffling the answers
changes nothing; the bootstrap is reproducible with its seed and moves with another seed.
"""

from __future__ import annotations

import math
import random

import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from servicekit.errors import InvalidInputError
from servicekit.metrics import NPS_METHODS, NpsResult, nps, nps_result


def z_of(confidence: float) -> float:
    return float(scipy.stats.norm.ppf(1 - (1 - confidence) / 2))


def wald_margin(promoters: int, detractors: int, n: int, confidence: float) -> float:
    """MeasuringU: the variance of a +1 / 0 / −1 answer is p_P + p_D − (p_P − p_D)²."""
    p_p, p_d = promoters / n, detractors / n
    return z_of(confidence) * math.sqrt((p_p + p_d - (p_p - p_d) ** 2) / n) * 100


def adjusted_wald(promoters: int, detractors: int, n: int,
                  confidence: float) -> tuple[float, float]:
    """MeasuringU's adjusted Wald: n + 3, promoters + ¾, detractors + ¾, then Wald around
    the adjusted score; clipped to −100 … 100."""
    n_adj = n + 3
    p_p = (promoters + 0.75) / n_adj
    p_d = (detractors + 0.75) / n_adj
    score = p_p - p_d
    half = z_of(confidence) * math.sqrt((p_p + p_d - score**2) / n_adj)
    return max(-100.0, (score - half) * 100), min(100.0, (score + half) * 100)


def test_m03_issue_example() -> None:
    """``nps([10, 9, 8, 7, 6, 0])``: two of each, a score of 0 ± 65.33 at 95 %."""
    r = nps([10, 9, 8, 7, 6, 0])
    assert (r.value, r.promoters, r.passives, r.detractors, r.n, r.missing) == (
        0.0, 2, 2, 2, 6, 0)
    assert r.margin_of_error == pytest.approx(wald_margin(2, 2, 6, 0.95), abs=1e-12)
    assert r.margin_of_error == pytest.approx(1.959963984540054 * math.sqrt(4 / 6 / 6) * 100,
                                              abs=1e-12)
    assert round(r.margin_of_error, 2) == 65.33
    assert (r.ci_low, r.ci_high) == (-r.margin_of_error, r.margin_of_error)
    assert (r.method, r.confidence, r.metric) == ("wald", 0.95, "nps")
    assert str(r) == "NPS +0.0 (n = 6, 95 % CI -65.3 to +65.3, wald)"


def test_m03_a_second_worked_example() -> None:
    """Five promoters, two passives, one detractor of eight: 62.5 − 12.5 = 50; the variance is
    0.625 + 0.125 − 0.25 = 0.5, so the margin is z·√(0.5/8)·100 = 25·z."""
    r = nps([10, 10, 9, 9, 9, 8, 7, 6])
    assert (r.promoters, r.passives, r.detractors) == (5, 2, 1)
    assert r.value == 50.0
    assert r.margin_of_error == pytest.approx(25 * z_of(0.95), abs=1e-12)


@pytest.mark.parametrize(("score", "kind"), [(0, "detractors"), (1, "detractors"),
                                             (5, "detractors"), (6, "detractors"),
                                             (7, "passives"), (8, "passives"),
                                             (9, "promoters"), (10, "promoters")])
def test_m03_promoters_are_9_10_passives_7_8_detractors_0_6(score: int, kind: str) -> None:
    r = nps([score])
    assert getattr(r, kind) == 1
    assert r.promoters + r.passives + r.detractors == 1
    assert r.value == {"promoters": 100.0, "passives": 0.0, "detractors": -100.0}[kind]


def test_m03_all_promoters_or_all_detractors_are_the_ends_with_no_margin() -> None:
    top, bottom = nps([10, 9] * 10), nps([0, 6] * 10)
    assert (top.value, top.margin_of_error, top.ci_low, top.ci_high) == (100.0, 0.0, 100.0,
                                                                          100.0)
    assert (bottom.value, bottom.margin_of_error, bottom.ci_low, bottom.ci_high) == (
        -100.0, 0.0, -100.0, -100.0)


def test_m03_missing_answers_are_excluded_and_counted() -> None:
    r = nps([10, None, 0, math.nan, 8])
    assert (r.n, r.missing, r.promoters, r.passives, r.detractors) == (3, 2, 1, 1, 1)
    assert r.value == 0.0


def test_m03_no_answers_no_score() -> None:
    for method in NPS_METHODS:
        r = nps([None], method=method)
        assert (r.value, r.n, r.missing, r.margin_of_error, r.ci_low, r.ci_high) == (
            None, 0, 1, None, None, None)
        assert r.meets(30) is None
        assert str(r) == f"NPS n/a (n = 0, 95 % CI n/a to n/a, {method})"


def test_m03_methods_are_wald_adjusted_wald_and_bootstrap() -> None:
    assert NPS_METHODS == ("wald", "adjusted-wald", "bootstrap")
    assert nps([10, 0]).method == "wald"


@pytest.mark.parametrize("method", ["wilson", "Wald", "adjusted_wald", "percentile", None, ""])
def test_m03_unknown_methods_are_refused(method: object) -> None:
    with pytest.raises(InvalidInputError, match="unknown method"):
        nps([10], method=method)  # type: ignore[arg-type]


@pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.1, 95, True, "0.95", None, math.nan])
def test_m03_confidence_outside_0_1_is_refused(confidence: object) -> None:
    with pytest.raises(InvalidInputError, match="confidence"):
        nps([10], confidence=confidence)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="confidence"):
        nps_result(1, 0, 0, confidence=confidence)  # type: ignore[arg-type]


@pytest.mark.parametrize("resamples", [0, 99, -1, True, 1000.0, "1000", None])
def test_m03_bootstrap_resamples_must_be_a_whole_number_of_at_least_100(
        resamples: object) -> None:
    with pytest.raises(InvalidInputError, match="resamples"):
        nps([10, 0], method="bootstrap", resamples=resamples)  # type: ignore[arg-type]


def test_m03_scores_off_the_0_10_scale_are_refused_by_position() -> None:
    with pytest.raises(InvalidInputError) as caught:
        nps([10, 11, -1, 7.5, "secret", True, 4242, None, 0])
    assert [p.loc for p in caught.value.problems] == [(1,), (2,), (3,), (4,), (5,), (6,)]
    assert "4242" not in str(caught.value)
    assert "secret" not in str(caught.value)
    assert "7.5" not in str(caught.value)


answers = st.lists(st.integers(0, 10), min_size=1, max_size=120)
confidences = st.floats(0.5, 0.999, exclude_min=True)


@st.composite
def counts(draw: st.DrawFn) -> tuple[int, int, int]:
    """(promoters, passives, detractors), n ≥ 1, from a handful to a million answers."""
    top = 10 ** draw(st.integers(0, 6))
    promoters, passives, detractors = (draw(st.integers(0, top)) for _ in range(3))
    if promoters + passives + detractors == 0:
        promoters = 1
    return promoters, passives, detractors


@settings(max_examples=100)
@given(scores=answers, confidence=confidences)
def test_m03_the_score_is_promoters_minus_detractors_with_the_wald_margin(
        scores: list[int], confidence: float) -> None:
    r = nps(scores, confidence=confidence)
    n = len(scores)
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    assert (r.promoters, r.passives, r.detractors, r.n) == (
        promoters, n - promoters - detractors, detractors, n)
    assert r.value == pytest.approx((promoters - detractors) / n * 100, abs=1e-9)
    assert -100.0 <= r.value <= 100.0
    assert r.margin_of_error == pytest.approx(wald_margin(promoters, detractors, n, confidence),
                                              abs=1e-9)
    assert r.ci_low == pytest.approx(max(-100.0, r.value - r.margin_of_error), abs=1e-9)
    assert r.ci_high == pytest.approx(min(100.0, r.value + r.margin_of_error), abs=1e-9)


@settings(max_examples=150)
@given(c=counts(), confidence=confidences, method=st.sampled_from(NPS_METHODS))
def test_m03_every_interval_lies_in_minus_100_100(c: tuple[int, int, int], confidence: float,
                                                  method: str) -> None:
    r = nps_result(*c, method=method, confidence=confidence, resamples=200)
    assert r.value is not None
    assert r.ci_low is not None
    assert r.ci_high is not None
    assert -100.0 <= r.value <= 100.0
    assert -100.0 <= r.ci_low <= r.ci_high <= 100.0
    assert r.margin_of_error is not None
    assert r.margin_of_error == pytest.approx(wald_margin(c[0], c[2], sum(c), confidence),
                                              abs=1e-9)


@settings(max_examples=150)
@given(c=counts(), confidence=confidences)
def test_m03_adjusted_wald_is_measuringus(c: tuple[int, int, int], confidence: float) -> None:
    """The interval follows MeasuringU's adjustment; the score and the margin stay Wald's."""
    promoters, _, detractors = c
    n = sum(c)
    r = nps_result(*c, method="adjusted-wald", confidence=confidence)
    low, high = adjusted_wald(promoters, detractors, n, confidence)
    assert r.ci_low == pytest.approx(low, abs=1e-9)
    assert r.ci_high == pytest.approx(high, abs=1e-9)
    assert r.value == pytest.approx((promoters - detractors) / n * 100, abs=1e-9)
    assert r.margin_of_error == pytest.approx(wald_margin(promoters, detractors, n, confidence),
                                              abs=1e-9)


def test_m03_adjusted_wald_pulls_a_tiny_sample_towards_0() -> None:
    """One promoter: Wald says 100 ± 0, the adjusted Wald interval says −48.5 … 98.5 (n + 3 =
    4, 1.75 promoters, 0.75 detractors): it does not even contain the raw score, which is the
    point of the adjustment at n = 1."""
    wald = nps([10])
    adjusted = nps([10], method="adjusted-wald")
    assert (wald.ci_low, wald.ci_high) == (100.0, 100.0)
    assert adjusted.ci_low == pytest.approx(adjusted_wald(1, 0, 1, 0.95)[0], abs=1e-12)
    assert adjusted.ci_high == pytest.approx(adjusted_wald(1, 0, 1, 0.95)[1], abs=1e-12)
    assert (round(adjusted.ci_low, 1), round(adjusted.ci_high, 1)) == (-48.5, 98.5)
    assert adjusted.value == 100.0


def test_m03_adjusted_wald_is_clipped_to_100() -> None:
    r = nps([10] * 5, method="adjusted-wald")
    promoters = 5.75 / 8
    detractors = 0.75 / 8
    unclipped = (promoters - detractors) + z_of(0.95) * math.sqrt(
        (promoters + detractors - (promoters - detractors) ** 2) / 8)
    assert unclipped > 1
    assert r.ci_high == 100.0


@settings(max_examples=60)
@given(c=counts(), confidence=st.floats(0.8, 0.999))
def test_m03_wald_and_bootstrap_intervals_contain_the_score(c: tuple[int, int, int],
                                                            confidence: float) -> None:
    for method in ("wald", "bootstrap"):
        r = nps_result(*c, method=method, confidence=confidence, resamples=1000)
        assert r.value is not None
        assert r.ci_low is not None
        assert r.ci_high is not None
        assert r.ci_low - 1e-9 <= r.value <= r.ci_high + 1e-9


@settings(max_examples=60)
@given(scores=answers, method=st.sampled_from(NPS_METHODS), seed=st.integers(0, 2**32))
def test_m03_shuffling_the_answers_changes_nothing(scores: list[int], method: str,
                                                   seed: int) -> None:
    shuffled = list(scores)
    random.Random(seed).shuffle(shuffled)
    assert nps(shuffled, method=method, resamples=200) == nps(scores, method=method,
                                                              resamples=200)


@settings(max_examples=60)
@given(scores=answers, method=st.sampled_from(NPS_METHODS))
def test_m03_scores_and_their_counts_give_the_same_result(scores: list[int],
                                                          method: str) -> None:
    r = nps(scores, method=method, resamples=300, seed=7)
    assert nps_result(r.promoters, r.passives, r.detractors, method=method, resamples=300,
                      seed=7) == r


@settings(max_examples=40)
@given(c=counts(), seed=st.integers(0, 2**32), confidence=confidences)
def test_m03_the_bootstrap_is_reproducible_with_its_seed(c: tuple[int, int, int], seed: int,
                                                          confidence: float) -> None:
    first = nps_result(*c, method="bootstrap", seed=seed, confidence=confidence,
                       resamples=500)
    again = nps_result(*c, method="bootstrap", seed=seed, confidence=confidence,
                       resamples=500)
    assert first == again


def test_m03_another_seed_moves_the_bootstrap_interval() -> None:
    """On 100,000 answers the resampled scores are almost continuous: five seeds, five
    different intervals, each within a tenth of a point of Wald's."""
    runs = [nps_result(40_000, 30_000, 30_000, method="bootstrap", seed=s) for s in range(5)]
    assert len({(r.ci_low, r.ci_high) for r in runs}) == 5
    wald = nps_result(40_000, 30_000, 30_000)
    assert wald.ci_low is not None
    assert wald.ci_high is not None
    for r in runs:
        assert r.ci_low == pytest.approx(wald.ci_low, abs=0.1)
        assert r.ci_high == pytest.approx(wald.ci_high, abs=0.1)
        assert (r.value, r.margin_of_error) == (wald.value, wald.margin_of_error)
    assert nps_result(400, 300, 300, method="bootstrap", seed=0) != nps_result(
        400, 300, 300, method="bootstrap", seed=1)


def test_m03_bootstrap_default_is_seeded() -> None:
    scores = [10, 9, 8, 7, 6, 0, 3, 10, 9, 2] * 5
    assert nps(scores, method="bootstrap") == nps(scores, method="bootstrap", seed=0)


def test_m03_a_higher_confidence_widens_the_margin() -> None:
    scores = [10, 9, 8, 7, 6, 0, 3, 10, 9, 2] * 5
    m90 = nps(scores, confidence=0.90).margin_of_error
    m99 = nps(scores, confidence=0.99).margin_of_error
    assert m90 is not None
    assert m99 is not None
    assert m99 / m90 == pytest.approx(z_of(0.99) / z_of(0.90), rel=1e-12)


def test_m03_meets_by_the_interval() -> None:
    assert nps([10] * 70 + [8] * 20 + [0] * 10).meets(30) is True  # 60 ± 9.8
    assert nps([10] * 10 + [8] * 20 + [0] * 70).meets(0) is False
    assert nps([10, 9, 0]).meets(0) is None
    assert nps([0] * 90 + [10] * 10).meets(-50, at_most=True) is True
    assert nps([10] * 10).meets(50, at_most=True) is False
    r = nps([10] * 70 + [8] * 20 + [0] * 10)
    assert isinstance(r, NpsResult)
    assert r.ci_low is not None
    assert r.ci_low > 30
