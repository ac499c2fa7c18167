"""Satisfaction scales (M-16) and the checking of scores given on them (issue 13).

``normalise`` maps every scale to 0–1; scores are checked all at once, every bad position is
reported by its index and what is wrong, never by its value; missing answers (``None``, NaN)
are excluded and counted.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicekit.errors import InvalidInputError, ServiceKitError
from servicekit.metrics import SCALES, Scale, csat, fcr, normalise, nps, scale_of
from servicekit.metrics._scales import read_flags, read_scores

#: (name, low, high, whole numbers, lowest satisfied score) as M-01 and M-16 define them
EXPECTED_SCALES = [
    ("binary", 0, 1, True, 1),
    ("5-point", 1, 5, True, 4),
    ("7-point", 1, 7, True, 6),
    ("10-point", 1, 10, True, 9),
    ("nps", 0, 10, True, 9),
    ("100-point", 0, 100, False, 80),
    ("percent", 0, 100, False, 80),
]


def valid_score(scale: Scale) -> st.SearchStrategy[float]:
    """Any score the scale accepts (whole numbers on the point scales)."""
    if scale.whole:
        return st.integers(int(scale.low), int(scale.high)).map(float)
    return st.floats(scale.low, scale.high)


@pytest.mark.parametrize(("name", "low", "high", "whole", "satisfied"), EXPECTED_SCALES)
def test_m16_scales_range_and_m01_satisfied_threshold(name: str, low: float, high: float,
                                                      whole: bool, satisfied: float) -> None:
    """M-16's scales (binary, %, 5-, 10-, 100-point, plus 7-point and NPS's 0–10) with M-01's
    top-2 box (4–5 of 5, 6–7 of 7, 9–10 of 10), 80 and above on 0–100, a yes on binary."""
    scale = SCALES[name]
    assert (scale.low, scale.high, scale.whole, scale.satisfied) == (low, high, whole,
                                                                      satisfied)
    assert scale_of(name) is scale


def test_m16_no_other_scales() -> None:
    assert sorted(SCALES) == sorted(name for name, *_ in EXPECTED_SCALES)


@pytest.mark.parametrize(("spec", "name"), [(2, "binary"), (5, "5-point"), (7, "7-point"),
                                            (10, "10-point"), (11, "nps"), (100, "100-point")])
def test_m16_scale_of_numbers_name_the_point_scales(spec: int, name: str) -> None:
    assert scale_of(spec) is SCALES[name]


def test_m16_scale_of_returns_a_scale_given_as_is() -> None:
    custom = Scale(name="4-point", low=1, high=4, satisfied=3)
    assert scale_of(custom) is custom
    assert csat([4, 3, 2, 1], scale=custom).value == 0.5


@pytest.mark.parametrize("spec", [3, 0, -5, 1000, True, False, None, "5", "likert", 5.5])
def test_m16_unknown_scales_are_refused(spec: object) -> None:
    with pytest.raises(InvalidInputError, match="unknown scale"):
        scale_of(spec)
    with pytest.raises(InvalidInputError, match="unknown scale"):
        csat([1], scale=spec)
    with pytest.raises(InvalidInputError, match="unknown scale"):
        normalise(1, spec)


@pytest.mark.parametrize(("score", "scale", "expected"), [
    (4, 5, 0.75), (1, 5, 0.0), (5, 5, 1.0), (3, 5, 0.5),
    (7, "nps", 0.7), (0, "nps", 0.0), (10, "nps", 1.0),
    (80, "percent", 0.8), (12.5, "percent", 0.125),
    (80, 100, 0.8), (0, "100-point", 0.0), (100, 100, 1.0),
    (4, 7, 0.5), (1, 7, 0.0), (7, "7-point", 1.0),
    (1, 10, 0.0), (10, 10, 1.0), (4, "10-point", 1 / 3),
    (0, "binary", 0.0), (1, 2, 1.0), (True, "binary", 1.0), (False, "binary", 0.0),
])
def test_m16_normalise_worked_examples_on_every_scale(score: float, scale: object,
                                                      expected: float) -> None:
    """M-16: ``(score - low) / (high - low)``, so the lowest score is 0 and the highest 1."""
    assert normalise(score, scale) == pytest.approx(expected, abs=1e-15)


@given(data=st.data(), name=st.sampled_from(sorted(SCALES)))
def test_m16_normalise_is_the_affine_map_onto_0_1(data: st.DataObject, name: str) -> None:
    """Any valid score lands in [0, 1], by the affine map computed here exactly (fractions),
    and a higher score never normalises lower."""
    scale = SCALES[name]
    a = data.draw(valid_score(scale))
    b = data.draw(valid_score(scale))
    value = normalise(a, name)
    exact = (Fraction(a) - Fraction(scale.low)) / (Fraction(scale.high) - Fraction(scale.low))
    assert 0.0 <= value <= 1.0
    assert value == pytest.approx(float(exact), abs=1e-15)
    if a <= b:
        assert value <= normalise(b, name)


@pytest.mark.parametrize(("score", "scale", "what"), [
    (4242, 5, "outside"), (0, 5, "outside"), (6, 5, "outside"), (-1, "nps", "outside"),
    (11, "nps", "outside"), (100.5, "percent", "outside"), (math.inf, 100, "outside"),
    (8, 7, "outside"), (2, "binary", "outside"), (11, 10, "outside"), (0, 10, "outside"),
    (3.25, 5, "whole numbers"), (7.5, "nps", "whole numbers"), (0.5, "binary", "whole numbers"),
    ("secret", 5, "expected a number"), (True, 5, "expected a number"),
    (False, "nps", "expected a number"), (True, "percent", "expected a number"),
    (None, 5, "expected a number"), ([4], 5, "expected a number"),
])
def test_m16_normalise_refuses_bad_scores_without_the_value(score: object, scale: object,
                                                            what: str) -> None:
    with pytest.raises(InvalidInputError, match=what) as caught:
        normalise(score, scale)  # type: ignore[arg-type]
    assert isinstance(caught.value, ServiceKitError)
    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    for shown in ("4242", "secret", "3.25", "7.5", "100.5"):
        assert shown not in message


BAD_SCORES = [
    ("csat", 5, [5, 4242, 4, 3.5, "secret", True, None, 0], [1, 3, 4, 5, 7]),
    ("nps", "nps", [10, 4242, 3.5, "secret", False, math.nan, -1, 0], [1, 2, 3, 4, 6]),
    ("csat", 100, [99.5, 4242, "secret", True, 100, None, -0.5], [1, 2, 3, 6]),
    ("csat", "binary", [True, 0, 4242, "secret", 0.5, 1, None], [2, 3, 4]),
]


@pytest.mark.parametrize(("command", "scale", "bad", "positions"), BAD_SCORES)
def test_bad_scores_are_all_reported_by_position_never_by_value(
        command: str, scale: object, bad: list[object], positions: list[int]) -> None:
    """Every bad position at once, each as ``problems[i].loc == (index,)``; the value (4242,
    "secret", 3.5) is never in the message, only the index and what is wrong."""
    def run() -> object:
        return nps(bad) if command == "nps" else csat(bad, scale=scale)

    with pytest.raises(InvalidInputError) as caught:
        run()
    error = caught.value
    assert isinstance(error, ServiceKitError)
    assert [p.loc for p in error.problems] == [(i,) for i in positions]
    assert {p.type for p in error.problems} == {"invalid_score"}
    message = str(error)
    assert message.startswith(f"{command}: {len(positions)} invalid scores")
    for shown in ("4242", "secret", "3.5", "99.5", "0.5"):
        assert shown not in message
    for i in positions:
        assert f"[{i}]" in message


def test_bad_score_messages_say_what_is_wrong() -> None:
    with pytest.raises(InvalidInputError) as caught:
        csat([4242, 2.5, "secret", True])
    messages = [p.msg for p in caught.value.problems]
    assert messages == ["outside the 5-point scale 1–5",
                        "the 5-point scale 1–5 takes whole numbers",
                        "expected a number (got str)", "expected a number (got bool)"]


def test_more_than_five_bad_scores_are_all_in_problems_and_the_message_is_short() -> None:
    bad = [4242] * 8
    with pytest.raises(InvalidInputError) as caught:
        csat(bad)
    assert [p.loc for p in caught.value.problems] == [(i,) for i in range(8)]
    message = str(caught.value)
    assert "8 invalid scores" in message
    assert "[4]" in message
    assert "[5]" not in message
    assert message.endswith("; …")


@pytest.mark.parametrize("data", [5, 4.5, None, True, "54321", b"54", object()])
def test_non_iterables_and_strings_are_refused(data: object) -> None:
    """A string is not a list of scores (its characters are not scores) and neither is a
    number; the message names the type."""
    for command in (csat, nps, fcr):
        with pytest.raises(InvalidInputError, match="expected an iterable") as caught:
            command(data)  # type: ignore[arg-type]
        assert type(data).__name__ in str(caught.value)
        assert "54321" not in str(caught.value)


def test_missing_scores_are_excluded_and_counted() -> None:
    read = read_scores([5, None, math.nan, 4, float("nan"), None], SCALES["5-point"], "csat")
    assert read.values == (5.0, 4.0)
    assert read.missing == 4


def test_any_iterable_of_scores_is_read() -> None:
    """Tuples, generators and ranges, not only lists; numbers of any real type."""
    expected = read_scores([1, 2, 3], SCALES["5-point"], "csat")
    for data in ((1, 2, 3), (v for v in (1, 2, 3)), range(1, 4), [1.0, Fraction(2), 3]):
        assert read_scores(data, SCALES["5-point"], "csat") == expected


@given(scores=st.lists(st.integers(1, 5) | st.none() | st.just(math.nan), max_size=50))
def test_reading_keeps_the_present_scores_in_order_and_counts_the_rest(
        scores: list[int | float | None]) -> None:
    read = read_scores(scores, SCALES["5-point"], "csat")
    present = [float(v) for v in scores if v is not None and not math.isnan(v)]
    assert list(read.values) == present
    assert read.missing == len(scores) - len(present)


@pytest.mark.parametrize(("flags", "expected"), [
    ([True, False, True, None], (2, 3, 1)),
    ([1, 0, 1.0, 0.0], (2, 4, 0)),
    ([], (0, 0, 0)),
    ([None, math.nan], (0, 0, 2)),
])
def test_m02_flags_are_booleans_or_0_1_and_none_is_missing(
        flags: list[object], expected: tuple[int, int, int]) -> None:
    assert read_flags(flags, "fcr") == expected


def test_m02_bad_flags_are_all_reported_by_position_never_by_value() -> None:
    with pytest.raises(InvalidInputError) as caught:
        read_flags([True, 4242, "secret", 0.5, False, "yes", 2], "fcr")
    error = caught.value
    assert [p.loc for p in error.problems] == [(1,), (2,), (3,), (5,), (6,)]
    assert {p.type for p in error.problems} == {"invalid_flag"}
    assert "5 invalid answers" in str(error)
    for shown in ("4242", "secret", "0.5", "yes"):
        assert shown not in str(error)
