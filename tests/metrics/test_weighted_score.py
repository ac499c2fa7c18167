"""M-09's weighted composite score and M-08's normalisation by the sum of weights (issue 13).

The handbook's example (weights 0.2 / 0.3 / 0.2 / 0.2 / 0.1 on 8 / 7 / 8 / 7 / 9) gives exactly
7.6; the handbook's text says 7.9, which the arithmetic does not give. Weights that do not add
up to 1 are refused unless ``normalise=True`` divides by their sum (M-08's
Σ(score·weight)/Σweight); the sums are held to exact fractions.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicekit.errors import InvalidInputError, ServiceKitError
from servicekit.metrics import weighted_score

HANDBOOK = {"response": (0.2, 8), "quality": (0.3, 7), "cost": (0.2, 8),
            "innovation": (0.2, 7), "satisfaction": (0.1, 9)}


def test_m09_handbook_example_is_exactly_7_6() -> None:
    """H3 §3.1.2: 0.2·8 + 0.3·7 + 0.2·8 + 0.2·7 + 0.1·9 = 1.6 + 2.1 + 1.6 + 1.4 + 0.9 = 7.6
    (the handbook's text says 7.9)."""
    result = weighted_score(HANDBOOK)
    assert result == 7.6
    assert result != 7.9
    # in binary floating point the same sum is not 7.6, hence the decimal arithmetic
    assert sum(w * s for w, s in HANDBOOK.values()) != 7.6


def test_m09_the_order_of_the_items_does_not_matter() -> None:
    assert weighted_score(dict(reversed(list(HANDBOOK.items())))) == 7.6


def test_m08_normalise_divides_by_the_sum_of_the_weights() -> None:
    """M-08: Σ(score × weight) / Σ weight; H3's "/ number of reviews" is the same only when the
    weights average 1."""
    reviews = {"a": (2, 5), "b": (1, 3), "c": (1, 4)}
    assert weighted_score(reviews, normalise=True) == 4.25  # (10 + 3 + 4) / 4
    assert weighted_score(reviews, normalise=True) != (10 + 3 + 4) / 3
    assert weighted_score({k: (w * 10, s) for k, (w, s) in HANDBOOK.items()},
                          normalise=True) == 7.6
    assert weighted_score(HANDBOOK, normalise=True) == 7.6


@pytest.mark.parametrize("items", [
    {"a": (0.5, 8), "b": (0.6, 4242)},
    {"a": (0.5, 8), "b": (0.4, 7)},
    {"a": (2, 5)},
    {"a": (0.1, 5), "b": (0.2, 5), "c": (0.3, 5), "d": (0.3, 5)},
])
def test_m09_weights_must_add_up_to_1(items: dict[str, tuple[float, float]]) -> None:
    with pytest.raises(InvalidInputError, match="must add up to 1") as caught:
        weighted_score(items)
    assert "4242" not in str(caught.value)
    assert weighted_score(items, normalise=True) == pytest.approx(
        float(sum(Fraction(str(w)) * Fraction(str(s)) for w, s in items.values())
              / sum(Fraction(str(w)) for w, _ in items.values())), rel=1e-15)


def test_m09_the_numbers_are_taken_as_written() -> None:
    """0.7·3 + 0.3·3 is 2.9999999999999996 in binary floats; as written it is 3."""
    assert 0.7 * 3 + 0.3 * 3 != 3
    assert weighted_score({"a": (0.7, 3), "b": (0.3, 3)}) == 3.0


@st.composite
def items_adding_to_1(draw: st.DrawFn) -> dict[str, tuple[float, float]]:
    """Weights in hundredths that add up to exactly 1, scores with up to two decimals."""
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=0, max_size=6)))
    bounds = [0, *cuts, 100]
    weights = [(b - a) / 100 for a, b in itertools.pairwise(bounds)]
    scores = draw(st.lists(st.integers(-1000, 1000).map(lambda v: v / 100),
                           min_size=len(weights), max_size=len(weights)))
    return {f"item{i}": (w, s) for i, (w, s) in enumerate(zip(weights, scores, strict=True))}


def exact(items: dict[str, tuple[float, float]]) -> Fraction:
    return sum((Fraction(str(w)) * Fraction(str(s)) for w, s in items.values()), Fraction(0))


@settings(max_examples=100)
@given(items=items_adding_to_1())
def test_m09_the_score_is_the_exact_weighted_sum_of_the_numbers_as_written(
        items: dict[str, tuple[float, float]]) -> None:
    result = weighted_score(items)
    assert result == float(exact(items))
    assert weighted_score(items, normalise=True) == result
    present = [s for w, s in items.values() if w > 0]
    assert min(present) <= result <= max(present)


@settings(max_examples=100)
@given(items=items_adding_to_1(), factor=st.integers(2, 1000))
def test_m08_normalised_scores_do_not_depend_on_the_weights_scale(
        items: dict[str, tuple[float, float]], factor: int) -> None:
    scaled = {k: (w * factor, s) for k, (w, s) in items.items()}
    assert weighted_score(scaled, normalise=True) == pytest.approx(weighted_score(items),
                                                                   rel=1e-12, abs=1e-12)


def test_m08_equal_weights_normalised_are_the_mean() -> None:
    assert weighted_score({"a": (1, 4), "b": (1, 5), "c": (1, 9)}, normalise=True) == 6.0


@pytest.mark.parametrize("items", [{}, [("a", (1, 5))], None, "a", 5])
def test_m09_expects_a_non_empty_mapping(items: object) -> None:
    with pytest.raises(InvalidInputError, match="non-empty mapping"):
        weighted_score(items)  # type: ignore[arg-type]


def test_m09_every_bad_item_is_reported_by_name_never_by_value() -> None:
    with pytest.raises(InvalidInputError) as caught:
        weighted_score({"ok": (0.5, 8), "text": ("secret", 8), "inf": (0.1, math.inf),
                        "nan": (math.nan, 1), "flag": (0.2, True), "neg": (-4242, 3),
                        "single": 4242, "triple": (0.1, 2, 3), "list": [0.5, 1]})
    error = caught.value
    assert isinstance(error, ServiceKitError)
    assert [(p.loc, p.type) for p in error.problems] == [
        (("text",), "invalid_number"), (("inf",), "invalid_number"),
        (("nan",), "invalid_number"), (("flag",), "invalid_number"),
        (("neg",), "negative_weight"), (("single",), "invalid_pair"),
        (("triple",), "invalid_pair"), (("list",), "invalid_pair")]
    message = str(error)
    for shown in ("4242", "secret", "inf)", "nan)", "True"):
        assert shown not in message


def test_m09_weights_adding_up_to_0_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="add up to 0"):
        weighted_score({"a": (0, 5), "b": (0.0, 7)}, normalise=True)
    with pytest.raises(InvalidInputError, match="add up to 0"):
        weighted_score({"a": (0, 5)})


def test_m09_zero_weights_count_for_nothing() -> None:
    assert weighted_score({"a": (1, 5), "b": (0, 4242)}) == 5.0
