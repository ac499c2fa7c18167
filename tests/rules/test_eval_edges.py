"""Edges of the evaluator (docs/rules.md, "What a condition means"): types that the fast paths
hand to the generic comparison, lists with nulls, offsets that are None, duration subclasses,
models that are also mappings, and explanations of values that are not literals."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta, tzinfo

import pytest

from servicekit.errors import NaiveDatetimeError, PolicyError
from servicekit.rules import Condition


class _NoOffset(tzinfo):
    """A time zone that knows no offset: a datetime in it is naive (``utcoffset()`` is None)."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str:
        return "none"


class _Hours(timedelta):
    """A timedelta subclass, as pendulum's ``Duration`` is."""


@pytest.mark.parametrize(
    ("text", "where"),
    [('t > "2026-01-01T00:00:00+00:00"', "t"), ("t - 1h > u", "t - 1h"), ("t == u", "t")],
)
def test_a_datetime_whose_zone_gives_no_offset_is_naive(text: str, where: str) -> None:
    facts = {"t": datetime(2026, 1, 2, tzinfo=_NoOffset()),
             "u": datetime(2026, 1, 1, tzinfo=UTC)}
    with pytest.raises(NaiveDatetimeError, match=rf"^{where}: naive datetime in the facts"):
        Condition.parse(text).evaluate(facts)


def test_a_timedelta_subclass_compares_and_computes_as_a_duration() -> None:
    facts = {"d": _Hours(hours=5), "e": _Hours(hours=1)}
    assert Condition.parse("d > 4h").evaluate(facts)
    assert not Condition.parse("d < 4h").evaluate(facts)
    assert Condition.parse("d - e == 4h").evaluate(facts)
    assert Condition.parse("d / e == 5").evaluate(facts)
    assert Condition.parse('d == "5h"').evaluate(facts)
    assert Condition.parse("d == 5h").explain(facts) == "d == 5h: d = 5h -> true"


@pytest.mark.parametrize(
    ("text", "facts", "expected"),
    [
        ("a startswith b", {"a": "abc", "b": "ab"}, True),
        ("a startswith b", {"a": "abc", "b": "bc"}, False),
        ("a endswith b", {"a": "abc", "b": "bc"}, True),
        ('"abc" startswith b', {"b": "ab"}, True),
    ],
)
def test_startswith_and_endswith_between_two_strings_not_a_field_and_a_literal(
    text: str, facts: dict[str, str], expected: bool
) -> None:
    assert Condition.parse(text).evaluate(facts) is expected


@pytest.mark.parametrize(
    ("text", "facts", "message"),
    [
        ('n startswith "1"', {"n": 12}, "n: 'startswith' takes strings, got number and string"),
        ("a endswith b", {"a": "abc", "b": 1},
         "a: 'endswith' takes strings, got string and number"),
        ("x in 5", {"x": 3}, "x: 'in' needs a list or a string, got number"),
        ("x not in 5", {"x": 3}, "x: 'not in' needs a list or a string, got number"),
        ("x contains 5", {"x": 3}, "x: 'contains' needs a list or a string, got number"),
        ("x startswith 5", {"x": "5"}, "x: 'startswith' takes strings, got string and number"),
        ("x endswith 1.5", {"x": 2.5}, "x: 'endswith' takes strings, got number and number"),
        ('x in ["a", "b"]', {"x": 1}, "x: cannot look for a number among string values using 'in'"),
        ('x not in ["a"]', {"x": True},
         "x: cannot look for a boolean among string values using 'not in'"),
        ("x in [null, 1]", {"x": "a"},
         "x: cannot look for a string among number values using 'in'"),
    ],
)
def test_operators_refuse_the_wrong_types_naming_them(
    text: str, facts: dict[str, object], message: str
) -> None:
    with pytest.raises(PolicyError, match=f"^{message}$"):
        Condition.parse(text).evaluate(facts)


@pytest.mark.parametrize(
    ("text", "facts", "expected"),
    [
        ("x in [null, 1]", {"x": 1}, True),
        ("x in [null, 1]", {"x": 2}, False),
        ("x not in [null, 1]", {"x": 2}, True),
        ('x in ["a", "b"]', {}, False),
        ('x not in ["a", "b"]', {}, False),  # missing: false, whatever the operator
        ('x in ["a", "b"]', {"x": None}, False),
        ('x in ["a", "b"]', {"x": "b"}, True),
        ('x not in ["a", "b"]', {"x": "c"}, True),
    ],
)
def test_membership_answers_exactly_true_or_false(
    text: str, facts: dict[str, object], expected: bool
) -> None:
    assert Condition.parse(text).evaluate(facts) is expected


@dataclasses.dataclass(frozen=True)
class _Record(Mapping[str, object]):
    """A dataclass that is also a mapping: only its declared fields are facts."""

    tier: str

    def __getitem__(self, key: str) -> object:
        return {"tier": self.tier, "secret": "s3cret"}[key]

    def __iter__(self) -> Iterator[str]:
        return iter(("tier", "secret"))

    def __len__(self) -> int:
        return 2


def test_a_model_that_is_also_a_mapping_shows_only_its_declared_fields() -> None:
    record = _Record(tier="A")
    assert record["secret"] == "s3cret"
    assert Condition.parse('c.tier == "A"').evaluate({"c": record})
    assert not Condition.parse("exists(c.secret)").evaluate({"c": record})
    assert not Condition.parse('c.secret == "s3cret"').evaluate({"c": record})
    assert not Condition.parse("exists(secret)").evaluate(record)


@pytest.mark.parametrize("facts", [{"a": None}, {"a": {"b": None}}, {}, {"a": {}}])
def test_a_path_through_a_null_or_a_missing_value_is_missing(facts: dict[str, object]) -> None:
    assert not Condition.parse("exists(a.b.c.d)").evaluate(facts)
    assert Condition.parse("not exists(a.b.c)").evaluate(facts)
    assert Condition.parse("a.b.c != 1").evaluate(facts) is False


@pytest.mark.parametrize(
    ("value", "shown"),
    [({"a": 1}, "<dict>"), ({1, 2}, "<set>"), (object(), "<object>")],
)
def test_an_explanation_names_the_type_of_a_value_it_cannot_write(
    value: object, shown: str
) -> None:
    text = Condition.parse("x != null").explain({"x": value})
    assert text == f"x != null: x = {shown} -> true"


class _OwnArithmetic(timedelta):
    """A timedelta subclass with arithmetic of its own (as pendulum's ``Duration`` has: its
    ``/`` and ``//`` differ from the stdlib's): the rules use the stdlib's."""

    def __truediv__(self, other: object) -> float:  # type: ignore[override]
        raise TypeError("not the stdlib's division")

    def __sub__(self, other: object) -> timedelta:  # type: ignore[override]
        return timedelta(0)


def test_a_timedelta_subclass_is_read_as_the_equal_plain_timedelta() -> None:
    facts = {"d": _OwnArithmetic(hours=5), "e": _OwnArithmetic(hours=1)}
    assert Condition.parse("d / e == 5").evaluate(facts)
    assert Condition.parse("d - e == 4h").evaluate(facts)
    assert Condition.parse("d / 2 == 2h30m").evaluate(facts)


class _Moment(datetime):
    """A datetime subclass, as pendulum's ``DateTime`` and pandas' ``Timestamp`` are."""


@pytest.mark.parametrize("zone", [None, _NoOffset()], ids=["no-zone", "zone-without-offset"])
def test_a_naive_datetime_of_a_subclass_is_refused(zone: tzinfo | None) -> None:
    facts = {"t": _Moment(2026, 1, 2, tzinfo=zone)}
    with pytest.raises(NaiveDatetimeError, match=r"^t: naive datetime in the facts"):
        Condition.parse('t > "2026-01-01T00:00:00+00:00"').evaluate(facts)


def test_an_aware_datetime_of_a_subclass_is_read_as_the_equal_plain_datetime() -> None:
    moment = _Moment(2026, 1, 2, 9, 30, tzinfo=UTC)
    facts = {"t": moment, "u": datetime(2026, 1, 2, 8, 0, tzinfo=UTC)}
    assert Condition.parse("t - u == 1h30m").evaluate(facts)
    assert Condition.parse('t == "2026-01-02T17:30:00+08:00"').evaluate(facts)
    assert Condition.parse("t > u + 1h").evaluate(facts)
