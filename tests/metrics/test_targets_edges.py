"""The edges of targets and the scorecard (issue 13): exact interval ends, numbers that are not
finite or off a share's range, duplicate targets in a plain list, wrong argument types. Each was
a bug the targets suite's review found; the tests keep them fixed."""

from __future__ import annotations

import math

import pytest

from servicekit.errors import InvalidInputError, PolicyError, ServiceKitError
from servicekit.metrics import Target, Targets, proportion, scorecard


def test_wilson_bounds_are_exact_at_zero_and_all_successes() -> None:
    """statsmodels 0.15 gives (0.0, …) for 0 of 10 and (…, 1.0) for 13 of 13."""
    assert proportion(0, 10).ci_low == 0.0          # 2.7755575615628914e-17
    assert proportion(13, 13).ci_high == 1.0        # 0.9999999999999999


def test_a_share_of_none_or_all_is_never_missed_on_the_right_side() -> None:
    """0 negative words in 10 messages against ≤ 0 %, 13 satisfied of 13 against ≥ 100 %:
    the interval reaches the bound, so not enough data, never missed."""
    zero = scorecard({"neg": proportion(0, 10)}, [Target(metric="neg", at_most=0.0)])
    full = scorecard({"csat": proportion(13, 13)}, [Target(metric="csat", at_least=1.0)])
    assert zero.rows[0].status == "not enough data"   # "missed"
    assert full.rows[0].status == "not enough data"   # "missed"


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_non_finite_plain_number_is_no_data_or_refused(value: float) -> None:
    try:
        card = scorecard({"n": value}, [Target(metric="n", at_least=500, unit="count")])
    except InvalidInputError:
        return
    assert card.rows[0].status == "no data"           # "missed" for NaN, "met" for inf


@pytest.mark.parametrize("bound", [math.nan, math.inf])
def test_a_non_finite_bound_is_refused(bound: float) -> None:
    with pytest.raises(PolicyError):
        Target(metric="afrt", at_most=bound, unit="seconds")


def test_a_plain_list_refuses_two_targets_for_one_metric_as_targets_does() -> None:
    twice = [Target(metric="n", at_least=500, unit="count"),
             Target(metric="n", at_least=600, unit="count")]
    with pytest.raises(PolicyError):
        Targets(name="x", targets=tuple(twice))
    with pytest.raises(ServiceKitError):
        scorecard({"n": 550}, twice)                   # two rows: met and missed


def test_a_plain_number_off_a_shares_range_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        scorecard({"csat": 85}, [Target(metric="csat", at_least=0.90)])   # "met", "8500.0 %"


@pytest.mark.parametrize("args", [({"csat": 0.95}, None), ({"csat": 0.95}, 42),
                                  (None, [Target(metric="csat", at_least=0.9)]),
                                  ("csat", [Target(metric="csat", at_least=0.9)])])
def test_wrong_argument_types_raise_servicekit_errors(args: tuple[object, object]) -> None:
    with pytest.raises(InvalidInputError):
        scorecard(*args)  # type: ignore[arg-type]
