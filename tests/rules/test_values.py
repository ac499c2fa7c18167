"""Values of the condition language: durations for people, type families in messages, and the
checks on literals and JSON outputs (what every format writes and reads back equal)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from servicekit.errors import PolicyError
from servicekit.rules import Condition, DecisionTable, Rule, format_hours
from servicekit.rules._values import (
    MAX_INT_DIGITS,
    MAX_VALUE_DEPTH,
    check_int,
    check_json,
    check_literal,
    check_text,
    is_number,
    plain_timedelta,
    type_name,
)


class _Delta(timedelta):
    """A timedelta subclass, as pendulum's ``Duration`` is."""


def _nested(levels: int, inner: Any = 1) -> Any:
    value = inner
    for _ in range(levels):
        value = [value]
    return value


def test_plain_timedelta_keeps_a_plain_one_and_converts_a_subclass() -> None:
    plain = timedelta(hours=1, microseconds=7)
    assert plain_timedelta(plain) is plain
    converted = plain_timedelta(_Delta(hours=-1, microseconds=7))
    assert type(converted) is timedelta
    assert converted == timedelta(hours=-1, microseconds=7)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(hours=26, minutes=30), "26h30m"),
        (timedelta(days=2), "48h"),
        (timedelta(hours=1), "1h"),
        (timedelta(hours=2), "2h"),
        (timedelta(hours=5), "5h"),
        (timedelta(minutes=3), "3m"),
        (timedelta(microseconds=1), "1us"),
        (timedelta(0), "0s"),
        (timedelta(microseconds=-1), "-1us"),
        (timedelta(minutes=-90), "-1h30m"),
        (timedelta(hours=-3), "-3h"),
        (_Delta(hours=25), "25h"),
    ],
)
def test_format_hours_writes_hours_not_days(value: timedelta, text: str) -> None:
    assert format_hours(value) == text


@pytest.mark.parametrize(
    ("value", "family"),
    [
        (True, "boolean"), (False, "boolean"), (1, "number"), (1.5, "number"),
        ("1", "string"), (datetime(2026, 1, 1, tzinfo=UTC), "datetime"),
        (timedelta(hours=1), "duration"), ([1], "list"), ((1,), "list"), ({1}, "list"),
        (frozenset(), "list"), (None, "null"), ({"a": 1}, "dict"), (object(), "object"),
    ],
)
def test_type_name_is_the_family_messages_use(value: object, family: str) -> None:
    assert type_name(value) == family


@pytest.mark.parametrize(
    ("text", "facts", "message"),
    [
        ("x == true", {"x": 1}, "x: cannot compare number with boolean using '=='"),
        ("x == 1", {"x": True}, "x: cannot compare boolean with number using '=='"),
        ('x < "a"', {"x": [1]}, "x: cannot compare list with string using '<'"),
        ("x == y", {"x": 1, "y": {"a": 1}}, "x: cannot compare number with dict using '=='"),
    ],
)
def test_messages_name_the_families_never_the_values(
    text: str, facts: dict[str, object], message: str
) -> None:
    with pytest.raises(PolicyError, match=f"^{message}$"):
        Condition.parse(text).evaluate(facts)


@pytest.mark.parametrize(
    ("value", "number"), [(1, True), (-2.5, True), (0, True), (True, False), (False, False),
                          ("1", False), (None, False)],
)
def test_booleans_are_not_numbers(value: object, number: bool) -> None:
    assert is_number(value) is number


def test_integers_have_at_most_4300_digits() -> None:
    assert MAX_INT_DIGITS == 4_300
    largest = 10**MAX_INT_DIGITS - 1  # 4,300 nines
    assert check_int(largest) == largest
    assert check_int(-largest) == -largest
    for too_long in (10**MAX_INT_DIGITS, -(10**MAX_INT_DIGITS)):
        with pytest.raises(ValueError, match=r"^integers have at most 4300 digits$"):
            check_int(too_long)
    assert Condition.model_validate({"field": "x", "op": "==", "value": largest}).evaluate(
        {"x": largest})
    with pytest.raises(PolicyError, match="integers have at most 4300 digits"):
        Condition.model_validate({"field": "x", "op": "==", "value": largest + 1})


@pytest.mark.parametrize("text", ["a\ud800", "\udfff", "é\ud83d"])
def test_text_with_a_lone_surrogate_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"^text must be valid Unicode \(it has a lone surrog"):
        check_text(text)
    with pytest.raises(PolicyError, match="lone surrogate"):
        Rule(id="r", when="x", then={"note": text})


@pytest.mark.parametrize("text", ["", "ascii", "é", "投诉 \U0001f600"])
def test_valid_text_is_kept(text: str) -> None:
    assert check_text(text) is text


def test_list_literals_nest_at_most_64_levels() -> None:
    assert MAX_VALUE_DEPTH == 64
    assert check_literal(_nested(MAX_VALUE_DEPTH)) == _tuples(MAX_VALUE_DEPTH)
    assert check_literal(_nested(MAX_VALUE_DEPTH - 1, [])) == _tuples(MAX_VALUE_DEPTH - 1, ())
    with pytest.raises(ValueError, match=r"^list literals nest at most 64 levels$"):
        check_literal(_nested(MAX_VALUE_DEPTH + 1))
    with pytest.raises(ValueError, match=r"^list literals nest at most 64 levels$"):
        check_literal([0, _nested(MAX_VALUE_DEPTH)])


def _tuples(levels: int, inner: Any = 1) -> Any:
    value: Any = inner
    for _ in range(levels):
        value = (value,)
    return value


def test_json_values_nest_at_most_64_levels_in_lists_and_objects() -> None:
    assert check_json(_nested(MAX_VALUE_DEPTH)) == _nested(MAX_VALUE_DEPTH)
    deep_object: Any = 1
    for _ in range(MAX_VALUE_DEPTH):
        deep_object = {"k": deep_object}
    assert check_json(deep_object) == deep_object
    for too_deep in (_nested(MAX_VALUE_DEPTH + 1), {"k": deep_object},
                     [{"k": _nested(MAX_VALUE_DEPTH - 1)}], _nested(MAX_VALUE_DEPTH, {})):
        with pytest.raises(ValueError, match=r"^JSON values nest at most 64 levels$"):
            check_json(too_deep)
    assert check_json(_nested(MAX_VALUE_DEPTH - 1, {})) == _nested(MAX_VALUE_DEPTH - 1, {})


class _Float(float):
    pass


def test_json_numbers_are_finite_plain_floats() -> None:
    value = check_json(_Float(2.5))
    assert value == 2.5
    assert type(value) is float
    assert check_json([0.1, -0.0]) == [0.1, -0.0]
    for bad in (math.inf, -math.inf, math.nan):
        with pytest.raises(ValueError, match=r"^numbers must be finite \(NaN and infinit"):
            check_json({"a": [bad]})


@pytest.mark.parametrize(("key", "family"), [(1, "number"), (None, "null"), ((1,), "list")])
def test_the_keys_of_a_json_object_are_strings(key: object, family: str) -> None:
    with pytest.raises(ValueError, match=f"^the keys of a JSON object are strings, got {family}$"):
        check_json({"ok": {key: 1}})


def test_a_table_default_that_is_not_json_is_refused() -> None:
    with pytest.raises(PolicyError, match="outputs must be JSON values: numbers must be finite"):
        DecisionTable(name="t", rules=[], default={"limit": math.inf})
