"""M-01 CSAT and M-02 FCR on one set of answers (issue 13), and ``meets(target)``.

Worked examples on every scale (the top-2 box of 5 and 7 points, 9–10 of 10, 80 and above on
0–100 and percentages, a yes on binary), ``satisfied=``, the mean on the original scale, the
missing answers; then properties: the share is the count over n, shuffling or adding missing
answers changes nothing else, and ``meets`` answers by the whole interval.
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from servicekit.errors import InvalidInputError
from servicekit.metrics import METHODS, SCALES, csat, fcr, proportion, scale_of, verdict


@pytest.mark.parametrize(("scores", "scale", "successes", "mean"), [
    ([5, 4, 3, 5, 1], 5, 3, 3.6),  # issue 13's example: 4–5 of 5
    ([5, 4, 3, 5, 1], "5-point", 3, 3.6),
    ([7, 6, 5, 4, 1, 7], 7, 3, 5.0),  # 6–7 of 7
    ([10, 9, 8, 1], 10, 2, 7.0),  # 9–10 of 10
    ([10, 9, 8, 0], "nps", 2, 6.75),  # 9–10 of 0–10
    ([80, 79.5, 100, 0], 100, 2, 64.875),  # 80 and above on 0–100
    ([95.5, 80, 60], "percent", 2, 78.5),
    ([1, 0, True, False, 1], "binary", 3, 0.6),  # a yes
    ([1, 0, 0, 0], 2, 1, 0.25),
])
def test_m01_csat_worked_examples(scores: list[float], scale: object, successes: int,
                                  mean: float) -> None:
    r = csat(scores, scale=scale)
    assert r.successes == successes
    assert r.n == len(scores)
    assert r.value == successes / len(scores)
    assert r.mean == pytest.approx(mean, abs=1e-12)
    assert r.missing == 0
    assert r.metric == "csat"
    assert r.scale == scale_of(scale).name


def test_m01_issue_example_in_full() -> None:
    r = csat([5, 4, 3, 5, 1], scale=5)
    assert (r.value, r.n, r.successes, r.missing, r.mean) == (0.6, 5, 3, 0, 3.6)
    assert (r.method, r.confidence, r.scale) == ("wilson", 0.95, "5-point")
    assert str(r) == "CSAT 60.0 % (n = 5, 95 % CI 23.1 % to 88.2 %, wilson)"


def test_m01_the_default_scale_is_five_points() -> None:
    assert csat([5, 4, 3, 5, 1]) == csat([5, 4, 3, 5, 1], scale=5)
    with pytest.raises(InvalidInputError):
        csat([7])


@pytest.mark.parametrize(("scores", "scale", "satisfied", "successes"), [
    ([5, 4, 3], 5, 5, 1),  # top box only
    ([5, 4, 3, 1], 5, 3, 3),  # top-3 box
    ([5, 4, 3, 1], 5, 1, 4),  # everyone
    ([10, 8, 7, 6], 10, 7, 3),
    ([90, 75, 70.5, 10], 100, 70.5, 3),  # M-05's threshold could be anything on 0–100
    ([0, 1, 1], "binary", 0, 3),
])
def test_m01_satisfied_sets_the_lowest_satisfied_score(scores: list[float], scale: object,
                                                       satisfied: float,
                                                       successes: int) -> None:
    r = csat(scores, scale=scale, satisfied=satisfied)
    assert r.successes == successes
    assert csat(scores, scale=scale, satisfied=None) == csat(scores, scale=scale)
    assert r.value == successes / len(scores)
    assert r.mean == pytest.approx(math.fsum(scores) / len(scores), abs=1e-12)


@pytest.mark.parametrize(("scale", "satisfied"), [(5, 0), (5, 6), (5, 4242), (10, 0),
                                                  ("nps", 11), (100, 100.5), ("binary", 2),
                                                  (5, True), (5, "4")])
def test_m01_satisfied_must_be_a_score_on_the_scale(scale: object, satisfied: object) -> None:
    with pytest.raises(InvalidInputError, match="satisfied must be a score on") as caught:
        csat([5, 4], scale=scale, satisfied=satisfied)  # type: ignore[arg-type]
    assert "4242" not in str(caught.value)


def test_m01_missing_answers_are_excluded_and_counted() -> None:
    """None and NaN are no answer: excluded from n, the share and the mean, counted."""
    r = csat([5, None, math.nan, 4, 1, float("nan")])
    assert (r.n, r.missing, r.successes) == (3, 3, 2)
    assert r.value == 2 / 3
    assert r.mean == pytest.approx(10 / 3, abs=1e-12)
    assert r.ci_low == proportion(2, 3).ci_low


def test_m01_no_answers_no_share_no_mean_no_interval() -> None:
    r = csat([None, math.nan])
    assert (r.n, r.missing, r.successes, r.value, r.mean, r.ci_low, r.ci_high) == (
        0, 2, 0, None, None, None, None)
    assert r.meets(0.9) is None
    assert str(r) == "CSAT n/a (n = 0, 95 % CI n/a to n/a, wilson)"
    assert csat([]).n == 0


def scores_and_scale() -> st.SearchStrategy[tuple[list[float], str]]:
    def on(name: str) -> st.SearchStrategy[tuple[list[float], str]]:
        scale = SCALES[name]
        one = (st.integers(int(scale.low), int(scale.high)).map(float) if scale.whole
               else st.floats(scale.low, scale.high))
        return st.tuples(st.lists(one, max_size=60), st.just(name))
    return st.sampled_from(sorted(SCALES)).flatmap(on)


@settings(max_examples=60)
@given(drawn=scores_and_scale(), method=st.sampled_from(["wilson", "agresti-coull", "wald"]))
def test_m01_csat_is_the_share_at_or_above_the_threshold_with_the_mean(
        drawn: tuple[list[float], str], method: str) -> None:
    """On any scale: successes are the scores ≥ the scale's threshold, the value is
    successes / n, the mean the mean of the scores as given, and the interval that of
    ``proportion(successes, n)``."""
    scores, name = drawn
    scale = SCALES[name]
    r = csat(scores, scale=name, method=method)
    happy = sum(1 for s in scores if s >= scale.satisfied)
    assert (r.successes, r.n, r.missing) == (happy, len(scores), 0)
    if scores:
        assert r.value == happy / len(scores)
        assert r.mean == pytest.approx(math.fsum(scores) / len(scores), rel=1e-12, abs=1e-12)
        assert scale.low <= r.mean <= scale.high
    else:
        assert r.value is None
        assert r.mean is None
    counted = proportion(happy, len(scores), method=method)
    assert (r.ci_low, r.ci_high) == (counted.ci_low, counted.ci_high)


@settings(max_examples=60)
@given(drawn=scores_and_scale(), seed=st.integers(0, 2**32))
def test_m01_shuffling_the_answers_changes_nothing(drawn: tuple[list[float], str],
                                                   seed: int) -> None:
    scores, name = drawn
    shuffled = list(scores)
    random.Random(seed).shuffle(shuffled)
    assert csat(shuffled, scale=name) == csat(scores, scale=name)


@settings(max_examples=60)
@given(drawn=scores_and_scale(), gaps=st.lists(st.tuples(st.integers(0, 60),
                                                         st.sampled_from([None, math.nan])),
                                               max_size=10))
def test_m01_missing_answers_change_only_the_missing_count(
        drawn: tuple[list[float], str], gaps: list[tuple[int, float | None]]) -> None:
    scores, name = drawn
    holed: list[float | None] = list(scores)
    for where, gap in gaps:
        holed.insert(where, gap)
    with_gaps = csat(holed, scale=name)
    assert with_gaps.missing == len(gaps)
    assert with_gaps.model_copy(update={"missing": 0}) == csat(scores, scale=name)


def test_m02_fcr_from_booleans() -> None:
    """M-02: problems solved in one contact / problems accepted; None is unknown."""
    f = fcr([True, True, False, None])
    assert (f.value, f.n, f.successes, f.missing) == (2 / 3, 3, 2, 1)
    assert f.metric == "fcr"
    assert (f.mean, f.scale) == (None, None)
    assert f.ci_low == proportion(2, 3).ci_low
    assert str(f).startswith("FCR 66.7 % (n = 3, 95 % CI ")


def test_m02_fcr_takes_0_and_1_and_any_iterable() -> None:
    assert fcr([1, 0, 1, 1]) == fcr([True, False, True, True])
    assert fcr(iter([True, False])) == fcr((True, False))
    assert fcr([]).value is None


@settings(max_examples=60)
@given(flags=st.lists(st.booleans() | st.none(), max_size=80),
       method=st.sampled_from(METHODS), seed=st.integers(0, 2**32))
def test_m02_fcr_is_the_share_of_trues_and_ignores_the_order(
        flags: list[bool | None], method: str, seed: int) -> None:
    f = fcr(flags, method=method, confidence=0.9)
    known = [x for x in flags if x is not None]
    assert f == proportion(sum(known), len(known), metric="fcr", missing=flags.count(None),
                           method=method, confidence=0.9)
    shuffled = list(flags)
    random.Random(seed).shuffle(shuffled)
    assert fcr(shuffled, method=method, confidence=0.9) == f


def test_m01_results_are_frozen() -> None:
    r = csat([5])
    with pytest.raises(ValidationError):
        r.value = 0.5  # type: ignore[misc]


# --- meets(target): the whole interval decides (M-01 ≥ 90 %, M-02 ≥ 85 %) ---------------

def test_m01_meets_examples() -> None:
    assert csat([5] * 380 + [2] * 20).meets(0.90) is True  # 95 % of 400: all above 90 %
    assert csat([5] * 80 + [2] * 20).meets(0.90) is False  # 80 % of 100: all below
    assert csat([5, 5, 4]).meets(0.90) is None  # 100 % of 3: not enough data
    assert fcr([True] * 90 + [False] * 10).meets(0.85) is None  # 90 % of 100 straddles 85 %
    assert fcr([True] * 900 + [False] * 100).meets(0.85) is True


def test_meets_at_most_mirrors_it() -> None:
    """A share that must stay low (M-11's negative-word rate ≤ 2 %)."""
    assert proportion(2, 1000).meets(0.02, at_most=True) is True
    assert proportion(100, 1000).meets(0.02, at_most=True) is False
    assert proportion(1, 10).meets(0.02, at_most=True) is None
    assert proportion(0, 0).meets(0.02, at_most=True) is None


@pytest.mark.parametrize(("low", "high", "target", "at_least", "at_most"), [
    (0.90, 0.95, 0.90, True, None),  # the bound on the target counts as met (≥)
    (0.85, 0.90, 0.90, None, True),  # ≤ target for at_most
    (0.85, 0.8999, 0.90, False, True),
    (0.9001, 0.95, 0.90, True, False),
    (0.85, 0.95, 0.90, None, None),
    (None, None, 0.90, None, None),
])
def test_verdict_on_the_interval(low: float | None, high: float | None, target: float,
                                 at_least: bool | None, at_most: bool | None) -> None:
    assert verdict(low, high, target) is at_least
    assert verdict(low, high, target, at_most=True) is at_most


@settings(max_examples=100)
@given(k=st.integers(0, 2000), extra=st.integers(0, 2000), target=st.floats(0, 1),
       method=st.sampled_from(["wilson", "agresti-coull", "wald"]))
def test_meets_is_met_missed_or_not_enough_data_by_the_interval(
        k: int, extra: int, target: float, method: str) -> None:
    p = proportion(k, k + extra, method=method)
    got, mirrored = p.meets(target), p.meets(target, at_most=True)
    if p.n == 0:
        assert got is None
        assert mirrored is None
        return
    assert p.ci_low is not None
    assert p.ci_high is not None
    assert got is (True if p.ci_low >= target else False if p.ci_high < target else None)
    assert mirrored is (True if p.ci_high <= target else False if p.ci_low > target
                        else None)
    # met one way means missed or undecided the other
    if got is True and p.ci_low > target:
        assert mirrored is False
