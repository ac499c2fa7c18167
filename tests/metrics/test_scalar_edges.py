"""The edges of the scalar metric modules that the mutation run of issue 13 found untested: a
target that is not a number, an interval known on one side only, the ends of an NPS target's
range, p exactly at 1 − confidence, results a host builds from stored numbers, the shared scale
table, the "…" of a long error, every SERVQUAL and SLA problem at once, the Wilson ends on the
vectorised path, and the bootstrap's percentile level."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from servicekit.errors import InvalidInputError
from servicekit.metrics import (
    SCALES,
    Comparison,
    Mean,
    NpsResult,
    Proportion,
    compare,
    csat,
    normalise,
    nps,
    nps_result,
    servqual,
    sla_attainment,
    verdict,
)
from servicekit.metrics._intervals import CLOSED_FORM, interval, intervals, z_value
from servicekit.metrics._mean import mean_result
from servicekit.metrics._scales import read_scores

FIVE = {"tangibles": 4, "reliability": 3, "responsiveness": 4, "assurance": 5, "empathy": 4}


def bad(value: object) -> Any:
    """A value of the wrong type, passed on purpose."""
    return value


# -- verdict and meets (_results) ---------------------------------------------------------------


@pytest.mark.parametrize("target", [math.nan, True, "0.9", None])
def test_a_target_that_is_not_a_number_is_refused(target: object) -> None:
    """Every result's ``meets`` goes through ``verdict``: NaN, a boolean or a string is no
    target (NaN would never be met and never missed)."""
    with pytest.raises(InvalidInputError, match="the target must be a number"):
        verdict(0.91, 0.97, bad(target))
    with pytest.raises(InvalidInputError, match="the target must be a number"):
        mean_result([4.0, 5.0, 4.5], metric="touchpoint").meets(bad(target))


def test_an_interval_known_on_one_side_only_is_not_enough_data() -> None:
    """``None`` (not enough data) when either bound is missing, not only both: a host's stored
    result with only a lower bound cannot say the target is met."""
    assert verdict(0.95, None, 0.90) is None
    assert verdict(None, 0.85, 0.90) is None
    assert verdict(None, 0.95, 0.90, at_most=True) is None
    assert verdict(0.85, None, 0.90, at_most=True) is None
    one_sided = Mean(metric="touchpoint", value=4.8, n=30, ci_low=4.6)
    assert one_sided.meets(4.5) is None
    assert str(one_sided) == "TOUCHPOINT 4.8 (n = 30)"          # no half interval
    assert str(Mean(metric="touchpoint", value=4.8, n=30, ci_high=5.0)) == \
        "TOUCHPOINT 4.8 (n = 30)"


def test_a_shares_target_is_0_to_1_so_90_percent_is_refused() -> None:
    """docs/metrics.md: "A share's target is 0–1: meets(90) is refused, not silently never
    met"; the ends 0 and 1 are targets."""
    r = csat([5] * 380 + [2] * 20)
    for target in (90, 1.0001, -0.01):
        with pytest.raises(InvalidInputError, match="between 0 and 1"):
            r.meets(target)
    assert r.meets(0) is True
    assert r.meets(1) is False


def test_m03_an_nps_target_is_minus_100_to_100_both_ends_included() -> None:
    """M-03: the score is −100 … 100, so are its targets; −100 and 100 are targets."""
    r = nps([10] * 60 + [8] * 20 + [3] * 20)          # +40
    assert r.meets(-100) is True
    assert r.meets(100) is False
    assert r.meets(-100, at_most=True) is False
    for target in (-100.5, 100.5, 150):
        with pytest.raises(InvalidInputError, match="between -100 and 100"):
            r.meets(target)


def comparison(p_value: float, confidence: float, difference: float = 0.1) -> Comparison:
    return Comparison(metric="csat", a=0.8, b=0.8 - difference, difference=difference,
                      ci_low=difference - 0.05, ci_high=difference + 0.05, p_value=p_value,
                      confidence=confidence, test="pooled two-proportion z-test")


def test_a_comparison_cannot_be_changed_after_the_test() -> None:
    """A comparison is the verdict as computed: setting its p-value afterwards would make
    ``significant`` and the words say what the data did not."""
    c = comparison(0.3, 0.95)
    with pytest.raises(ValueError, match="frozen"):
        c.p_value = 0.001
    assert c.significant is False


def test_significant_is_p_strictly_below_1_minus_confidence() -> None:
    """docs/metrics.md: "significant is p < 1 − confidence"; p equal to it is not (1 − 0.75 and
    1 − 0.5 are exact in binary)."""
    assert comparison(0.25, 0.75).significant is False
    assert comparison(0.5, 0.5).significant is False
    assert comparison(0.2499, 0.75).significant is True
    assert str(comparison(0.25, 0.75)).startswith(
        "CSAT: no significant difference at the 25 % level: ")


def test_a_stored_result_without_answers_is_not_compared_whatever_its_value() -> None:
    """A dashboard that stores 0 rather than null for a period without answers: n = 0 is no
    data whatever the value says, for either side and either kind of result."""
    empty_nps = NpsResult(value=0.0, n=0, promoters=0, passives=0, detractors=0,
                          method="wald")
    empty_csat = Proportion(metric="csat", value=0.0, n=0, successes=0, method="wilson")
    pairs = [(empty_nps, nps([10, 9, 3])), (nps([10, 9, 3]), empty_nps),
             (empty_nps, empty_nps), (empty_csat, csat([5, 4])), (csat([5, 4]), empty_csat)]
    for a, b in pairs:
        with pytest.raises(InvalidInputError, match="without answers"):
            compare(a, b)


def test_a_result_rebuilt_from_its_stored_numbers_is_the_same_result() -> None:
    """A host that stores a result's numbers and builds the model again (to score it later)
    gets the same result: nothing missing and a 95 % level unless it says otherwise."""
    for r in (csat([5, 4, 3, 5, 1], scale=5), nps([10, 9, 8, 7, 6, 0]),
              mean_result([4.0, 5.0, 4.5], metric="touchpoint")):
        stored = r.model_dump(exclude={"missing", "confidence"})
        assert type(r).model_validate(stored) == r
    built = Proportion(value=0.6, n=5, successes=3, ci_low=0.231, ci_high=0.882,
                       method="wilson")
    assert (built.missing, built.confidence) == (0, 0.95)
    assert str(built) == "PROPORTION 60.0 % (n = 5, 95 % CI 23.1 % to 88.2 %, wilson)"
    assert isinstance(nps([10]), NpsResult)


# -- _mean --------------------------------------------------------------------------------------


def test_m04_a_mean_of_checked_values_has_none_missing_unless_told() -> None:
    """M-04: ``mean_result`` takes values already checked; nothing is missing unless the
    caller counted some."""
    assert mean_result([4.0, 5.0], metric="touchpoint").missing == 0
    assert mean_result([4.0], metric="touchpoint").missing == 0
    assert mean_result([], metric="touchpoint").missing == 0
    assert mean_result([4.0, 5.0], metric="touchpoint", missing=3).missing == 3


# -- _scales (M-16) -----------------------------------------------------------------------------


def test_m16_the_scale_table_cannot_be_changed_by_a_caller() -> None:
    """SCALES is shared by every metric in the process: a caller that could set a scale's low
    or its satisfied score would change every later CSAT."""
    five = SCALES["5-point"]
    with pytest.raises(ValueError, match="frozen"):
        five.satisfied = 3
    assert csat([3, 4, 5, 5]).successes == 3


def test_m16_checked_scores_cannot_be_changed_after_the_check() -> None:
    read = read_scores([5, None, 4], SCALES["5-point"], "csat")
    with pytest.raises(ValueError, match="frozen"):
        read.values = (9.0,)
    assert (read.values, read.missing) == ((5.0, 4.0), 1)


def test_m16_normalising_nan_is_refused_not_nan() -> None:
    """M-16: ``normalise`` maps a score; NaN is no score (a missing answer is for the metrics
    to count), so it is refused, as any float type's NaN."""
    for value in (math.nan, np.float32("nan"), np.float64("nan")):
        with pytest.raises(InvalidInputError, match=r"normalise: expected a number \(got NaN\)"):
            normalise(value, 5)


def test_m16_an_error_lists_five_problems_then_says_there_are_more() -> None:
    """Every problem is in ``problems``; the message shows the first five and "; …" only when
    there are more than five."""
    for count in (5, 6, 7):
        with pytest.raises(InvalidInputError) as caught:
            csat([9] * count)
        text = str(caught.value)
        assert text.startswith(f"csat: {count} invalid scores: [0]: outside the 5-point scale")
        assert text.count("outside") == 5
        assert text.endswith("; …") is (count > 5)
        assert len(caught.value.problems) == count


# -- _kpis: every problem at once ---------------------------------------------------------------


def test_m10_weights_that_are_not_a_mapping_are_refused_as_an_input_problem() -> None:
    """Weights given as anything but a mapping are one more problem in the error, not a crash
    on the way to it."""
    for weights in ([0.2] * 5, "0.2", 0.2):
        with pytest.raises(InvalidInputError) as caught:
            servqual(FIVE, bad(weights))
        assert [(p.loc, p.type) for p in caught.value.problems] == [
            (("weights",), "invalid_mapping")]
    with pytest.raises(InvalidInputError) as caught:
        servqual(bad([4] * 5), bad("0.2"))
    assert [(p.loc, p.type) for p in caught.value.problems] == [
        (("dimensions",), "invalid_mapping"), (("weights",), "invalid_mapping")]


def test_m10_a_missing_dimension_does_not_hide_the_next_ones() -> None:
    dims = {"reliability": 3, "responsiveness": bad("4"), "assurance": 5}
    with pytest.raises(InvalidInputError) as caught:
        servqual(dims)
    assert [(p.loc, p.type) for p in caught.value.problems] == [
        (("dimensions", "tangibles"), "missing"),
        (("dimensions", "responsiveness"), "invalid_number"),
        (("dimensions", "empathy"), "missing")]


def test_sla_attainment_a_bad_metric_name_does_not_hide_the_rest_of_its_report() -> None:
    s = SimpleNamespace
    report = {bad(5): s(state="met"), "first_response": s(state="late"),
              bad(6): s(state="met")}
    with pytest.raises(InvalidInputError) as caught:
        sla_attainment([report])
    assert [(p.loc, p.type) for p in caught.value.problems] == [
        ((0, 0), "invalid_metric"), ((0, 1), "invalid_status"), ((0, 2), "invalid_metric")]


# -- _intervals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", CLOSED_FORM)
@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95, 0.99])
def test_the_vectorised_bounds_at_none_and_all_are_the_scalar_ones_exactly(
        method: str, confidence: float) -> None:
    """A frame's groups are solved together; at 0 of n and n of n the bounds are exactly the
    scalar ones (Wilson's exactly 0 and 1, as statsmodels has them), not 1e-17 off, so a
    group of all satisfied answers gets the same verdict on either path."""
    z = z_value(confidence, "test")
    n = np.arange(1, 301)
    for k in (np.zeros_like(n), n):
        lows, highs = intervals(method, k, n, z, confidence)
        scalar = [interval(method, int(ki), int(ni), z, confidence) for ki, ni in zip(k, n,
                                                                                      strict=True)]
        assert lows.tolist() == [low for low, _ in scalar]
        assert highs.tolist() == [high for _, high in scalar]
    assert set(intervals(method, np.zeros_like(n), n, z, confidence)[0].tolist()) == {0.0}
    assert set(intervals(method, n, n, z, confidence)[1].tolist()) == {1.0}


# -- _nps ---------------------------------------------------------------------------------------


def test_m03_the_bootstrap_interval_holds_the_central_confidence_of_the_redraws() -> None:
    """The percentile interval cuts (1 − confidence)/2 off each tail of the redraws: on 10,000
    answers the redraws are close to normal, so its width is Wald's 2·z·se to about 2 %
    (a 95 % interval cut at 1.67 % and 98.3 % would be 9 % wider)."""
    for confidence in (0.8, 0.95):
        wald = nps_result(4_000, 3_000, 3_000, confidence=confidence)
        assert wald.margin_of_error is not None
        for seed in (0, 1):
            boot = nps_result(4_000, 3_000, 3_000, method="bootstrap", confidence=confidence,
                              seed=seed)
            assert boot.ci_low is not None
            assert boot.ci_high is not None
            width = boot.ci_high - boot.ci_low
            assert width == pytest.approx(2 * wald.margin_of_error, rel=0.035)
