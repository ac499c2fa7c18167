"""Example tests of ``Condition``: every operator, durations, datetimes, arithmetic, missing
fields and null, facts as mappings / pydantic models / dataclasses, type errors, parse errors
and explanations.

The expected values are written by hand from the contract (docs/rules.md, "What a condition
means"), not read back from the implementation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel

from servicekit.errors import NaiveDatetimeError, PolicyError, ServiceKitError
from servicekit.rules import MISSING, Condition, format_duration, parse_duration

SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
PHONE = "13800138000"  # a personal-looking value: must never appear in an error message
T0 = datetime(2026, 10, 8, 9, 0, tzinfo=UTC)


def ev(text: str, facts: Any) -> bool:
    return Condition.parse(text).evaluate(facts)


# -- comparison operators -----------------------------------------------------------------------

FACTS: dict[str, Any] = {
    "n": 5,
    "f": 2.5,
    "s": "P1",
    "b": True,
    "tags": ["vip", "billing"],
    "text": "refund for order 42",
    "customer": {"tier": "A", "address": {"city": "Shanghai"}},
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("n == 5", True),
        ("n == 5.0", True),
        ("n != 5", False),
        ("n != 4", True),
        ("n < 6", True),
        ("n < 5", False),
        ("n <= 5", True),
        ("n > 4.9", True),
        ("n > 5", False),
        ("n >= 5", True),
        ("f >= 2.5", True),
        ("f < 2", False),
        ("-1 < n", True),
        ("n > -3", True),
        ('s == "P1"', True),
        ("s == 'P1'", True),
        ('s != "P1"', False),
        ('s < "P2"', True),
        ('s >= "P10"', False),
        ("b == true", True),
        ("b != false", True),
        ("b", True),
        ("not b", False),
        ('customer.tier == "A"', True),
        ('customer.address.city == "Shanghai"', True),
        ('customer.address.city != "Beijing"', True),
        ("1 < 2", True),
        ('"a" == "a"', True),
        ("null == null", True),
    ],
)
def test_comparisons(text: str, expected: bool) -> None:
    assert ev(text, FACTS) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('s in ["P1", "P2"]', True),
        ('s in ["P3", "P4"]', False),
        ('s not in ["P3", "P4"]', True),
        ('s not in ["P1"]', False),
        ("n in [1, 5, 9]", True),
        ("n in [1.0, 5.0]", True),
        ("n not in [1, 2]", True),
        ("n in []", False),
        ("n not in []", True),
        ('"vip" in tags', True),
        ('"gold" in tags', False),
        ('"gold" not in tags', True),
        ('tags contains "billing"', True),
        ('tags contains "gold"', False),
        ('"refund" in text', True),
        ('"Refund" in text', False),
        ('text contains "order"', True),
        ('"refund" not in text', False),
        ('text startswith "refund"', True),
        ('text startswith "order"', False),
        ('text endswith "42"', True),
        ('text endswith "refund"', False),
        ('s startswith ""', True),
        ("n in [1, null, 5]", True),
    ],
)
def test_membership_and_string_operators(text: str, expected: bool) -> None:
    assert ev(text, FACTS) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('s == "P1" and n > 3', True),
        ('s == "P1" and n > 7', False),
        ('s == "P9" or n > 3', True),
        ('s == "P9" or n > 7', False),
        ('not s == "P9"', True),
        ('not (s == "P1" and n > 3)', False),
        ('s == "P9" or n > 3 and f < 1', False),  # and binds tighter than or
        ('(s == "P9" or n > 3) and f < 3', True),
        ('not s == "P9" and n == 5', True),  # not binds tighter than and
        ("not not b", True),
        ("exists(n) and exists(customer.tier) and not exists(customer.phone)", True),
    ],
)
def test_logic(text: str, expected: bool) -> None:
    assert ev(text, FACTS) is expected


def test_contract_example_from_the_issue() -> None:
    c = Condition.parse('priority in ["P1", "P2"] and customer.tier == "A" and age_hours >= 4')
    assert c.evaluate({"priority": "P2", "customer": {"tier": "A"}, "age_hours": 4})
    assert not c.evaluate({"priority": "P3", "customer": {"tier": "A"}, "age_hours": 4})
    assert not c.evaluate({"priority": "P1", "customer": {"tier": "B"}, "age_hours": 9})
    assert not c.evaluate({"priority": "P1", "customer": {"tier": "A"}, "age_hours": 3.99})
    data = Condition.model_validate(
        {
            "all": [
                {"field": "priority", "op": "in", "value": ["P1", "P2"]},
                {"field": "customer.tier", "op": "==", "value": "A"},
                {"field": "age_hours", "op": ">=", "value": 4},
            ]
        }
    )
    assert data == c
    assert Condition.parse(str(c)) == c
    assert str(c) == 'priority in ["P1", "P2"] and customer.tier == "A" and age_hours >= 4'


def test_comparisons_do_not_chain() -> None:
    with pytest.raises(PolicyError, match="chained"):
        Condition.parse("1 < x < 5")
    assert ev("1 < x and x < 5", {"x": 3})


def test_facts_can_be_any_mapping() -> None:
    facts: Mapping[str, Any] = MappingProxyType({"a": MappingProxyType({"b": 1})})
    assert ev("a.b == 1", facts)


# -- durations ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4h", timedelta(hours=4)),
        ("30m", timedelta(minutes=30)),
        ("2d", timedelta(days=2)),
        ("90s", timedelta(seconds=90)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("500ms", timedelta(milliseconds=500)),
        ("7us", timedelta(microseconds=7)),
        ("0s", timedelta(0)),
        ("1d2h3m4s5ms6us", timedelta(days=1, hours=2, minutes=3, seconds=4, microseconds=5006)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected
    assert parse_duration(format_duration(expected)) == expected


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        (timedelta(minutes=90), "1h30m"),
        (timedelta(hours=48), "2d"),
        (timedelta(seconds=3600), "1h"),
        (timedelta(milliseconds=1500), "1s500ms"),
        (timedelta(0), "0s"),
    ],
)
def test_format_duration_is_canonical(value: timedelta, canonical: str) -> None:
    assert format_duration(value) == canonical


@pytest.mark.parametrize("text", ["", "4", "h", "4 h", "4H", "--4h", "1.5h", "4hours", "4h-"])
def test_malformed_durations_raise(text: str) -> None:
    with pytest.raises(PolicyError, match="malformed duration"):
        parse_duration(text)


def test_negative_durations_have_a_canonical_text() -> None:
    """`-x` of a duration literal is a negative duration literal, and round-trips."""
    assert parse_duration("-4h") == -timedelta(hours=4)
    assert format_duration(-timedelta(hours=1, minutes=30)) == "-1h30m"
    c = Condition.parse("x > -1h")
    assert str(c) == "x > -1h"
    assert Condition.parse(str(c)) == c


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("waited > 4h", True),
        ("waited > 5h", False),
        ("waited >= 4h30m", True),
        ("waited == 270m", True),
        ("waited < 1d", True),
        ("waited != 4h30m", False),
        ('waited > "4h"', True),  # a string literal is read as duration text
        ('"5h" > waited', True),
        ("waited + 30m == 5h", True),
        ("waited - 30m == 4h", True),
        ("waited * 2 == 9h", True),
        ("2 * waited == 9h", True),
        ("waited / 2 == 2h15m", True),
        ("waited / 30m == 9", True),
        ("waited / 1h > 4", True),
        ("0s - waited < 0s", True),
    ],
)
def test_durations(text: str, expected: bool) -> None:
    assert ev(text, {"waited": timedelta(hours=4, minutes=30)}) is expected


def test_duration_literals_are_canonical_in_both_forms() -> None:
    text = Condition.parse("waited > 90m")
    data = Condition.model_validate({"field": "waited", "op": ">", "right": {"duration": "90m"}})
    from_td = Condition.model_validate(
        {"field": "waited", "op": ">", "right": {"duration": timedelta(minutes=90)}}
    )
    assert text == data == from_td
    assert str(text) == "waited > 1h30m"
    assert text.model_dump() == {"field": "waited", "op": ">", "right": {"duration": "1h30m"}}


def test_negative_duration_literal_evaluates() -> None:
    """BUG: unary minus on a duration literal parses but can never be evaluated.

    ``-1h`` parses to ``0 - 1h`` (number minus duration), which raises "cannot apply '-' to
    number and duration"; format_duration's own message even recommends writing ``0 - 4h``.
    A condition such as ``due - now > -1h`` ("at most an hour overdue") cannot be written.
    """
    assert ev("x > -1h", {"x": timedelta(0)}) is True
    assert ev("0 - 4h < x", {"x": timedelta(0)}) is True


# -- datetimes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("created < now", True),
        ("created == created", True),
        ('created == "2026-10-08T09:00:00+00:00"', True),
        ('created == "2026-10-08T17:00:00+08:00"', True),  # same instant, another offset
        ('created == "2026-10-08T09:00:00Z"', True),
        ('created > "2026-10-01T00:00:00+08:00"', True),
        ('"2026-10-09T00:00:00+00:00" > created', True),
        ('created >= "2026-10-08T09:00:00.000001+00:00"', False),
        ("now - created == 5h", True),
        ("now - created > 4h", True),
        ("created - now < 0s", True),
        ("created + 5h == now", True),
        ("5h + created == now", True),
        ("now - 5h == created", True),
        ('now - "2026-10-08T09:00:00+00:00" == 5h', True),
        ("(now - created) / 1h == 5", True),
        ("(now - created) * 2 > 9h", True),
    ],
)
def test_datetimes(text: str, expected: bool) -> None:
    facts = {"created": T0, "now": T0 + 5 * H}
    assert ev(text, facts) is expected


def test_aware_datetimes_in_different_zones_compare_as_instants() -> None:
    local = datetime(2026, 10, 8, 17, 0, tzinfo=SH)  # == T0
    facts = {"a": T0, "b": local, "c": datetime(2026, 10, 8, 10, 0, tzinfo=timezone(H))}
    assert ev("a == b", facts)
    assert ev("b - a == 0s", facts)
    assert ev("c == a", facts)
    assert not ev("c < a", facts)


def test_naive_datetime_in_facts_is_rejected() -> None:
    with pytest.raises(ServiceKitError) as info:
        ev('t > "2026-01-01T00:00:00+00:00"', {"t": datetime(2026, 2, 1)})
    assert isinstance(info.value, NaiveDatetimeError)
    assert "t" in str(info.value)


def test_naive_datetime_against_aware_fact_is_rejected() -> None:
    with pytest.raises(ServiceKitError):
        ev("a < b", {"a": T0, "b": datetime(2026, 10, 9)})
    with pytest.raises(ServiceKitError):
        ev("b - a > 1h", {"a": T0, "b": datetime(2026, 10, 9)})


@pytest.mark.parametrize(
    "literal", ['"2026-10-01T00:00:00"', '"2026-10-01"', '"2026-10-01 08:00"']
)
def test_naive_iso_literal_is_rejected(literal: str) -> None:
    with pytest.raises(ServiceKitError, match="time zone"):
        ev(f"t > {literal}", {"t": T0})


def test_non_iso_string_against_datetime_is_a_policy_error() -> None:
    with pytest.raises(PolicyError, match="not ISO-8601"):
        ev('t > "next tuesday"', {"t": T0})


# -- arithmetic ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a + b == 7", True),
        ("a - b == 3", True),
        ("b - a == -3", True),
        ("a * b == 10", True),
        ("a / b == 2.5", True),
        ("a + b * 2 == 9", True),
        ("(a + b) * 2 == 14", True),
        ("a - b - 1 == 2", True),  # left-associative
        ("a - (b - 1) == 4", True),
        ("-a == 0 - 5", True),
        ("-a + 10 == 5", True),
        ("a * -1 == -5", True),
        ("x / 4 == 0.625", True),
        ("1e3 == 1000", True),
    ],
)
def test_number_arithmetic(text: str, expected: bool) -> None:
    assert ev(text, {"a": 5, "b": 2, "x": 2.5}) is expected


@pytest.mark.parametrize(
    "text",
    [
        "a / 0 > 1",
        "a / 0.0 > 1",
        "a / z > 1",
        "d / 0 > 1h",
        "d / 0s > 1",
        "d / zd > 1",
    ],
)
def test_division_by_zero_is_a_policy_error(text: str) -> None:
    with pytest.raises(PolicyError, match="division by zero"):
        ev(text, {"a": 1, "z": 0, "d": H, "zd": timedelta(0)})


@pytest.mark.parametrize(
    ("text", "facts"),
    [
        ("t + t > t", {"t": T0}),  # datetime + datetime
        ("d * d > 1h", {"d": H}),  # duration * duration
        ("1 - d > 1h", {"d": H}),  # number - duration
        ("d + 1 > 1h", {"d": H}),  # duration + number
        ("t * 2 > t", {"t": T0}),
        ("t - 1 > t", {"t": T0}),
        ("n / d > 1", {"n": 1, "d": H}),  # number / duration
        ('s + "x" == "ax"', {"s": "a"}),  # no string concatenation
        ("b + 1 == 2", {"b": True}),  # booleans are not numbers
        ("n + 0s == 0s", {"n": 0}),  # a fact 0 is a number, only the literal 0 is also 0s
        ("n - d == 0s", {"n": 0, "d": H}),
    ],
)
def test_arithmetic_type_errors(text: str, facts: dict[str, Any]) -> None:
    with pytest.raises(PolicyError, match="cannot apply"):
        ev(text, facts)


def test_negating_a_duration_reads_the_literal_zero_as_a_duration() -> None:
    """``-d`` parses as ``0 - d``: the literal stands for 0s, whatever the other side's order."""
    assert ev("-d == 0s - 1h", {"d": H})
    assert ev("0 - d == -1h", {"d": H})
    assert ev("0 + d == 1h", {"d": H})


def test_datetime_minus_datetime_is_a_duration_not_a_number() -> None:
    facts = {"created": T0, "now": T0 + 5 * H}
    assert ev("now - created == 5h", facts)
    with pytest.raises(PolicyError, match="now - created"):
        ev("now - created > 4", facts)


@pytest.mark.parametrize(
    ("text", "facts"),
    [
        ("t - 999999d < t", {"t": T0}),  # before year 1
        ("t + 3000000d > t", {"t": T0}),  # beyond timedelta's range
        ("d + d > 1h", {"d": timedelta(days=999_999_999)}),
        ("d * 1e20 > 1h", {"d": timedelta(days=1)}),
        ("d * x > 1h", {"d": timedelta(days=1), "x": float("nan")}),
        ("a / 1 > 1", {"a": 10**400}),
    ],
)
def test_arithmetic_overflow_is_a_policy_error(text: str, facts: dict[str, Any]) -> None:
    """BUG: overflowing arithmetic lets OverflowError / ValueError escape from evaluate.

    E.g. ``Condition.parse("t - 999999d < t").evaluate({"t": datetime(2026, 10, 8, tzinfo=UTC)})``
    raises ``OverflowError: date value out of range``; ``d * x`` with a NaN number raises
    ``ValueError: cannot convert NaN to integer ratio``. Only PolicyError may escape.
    """
    with pytest.raises(PolicyError):
        ev(text, facts)


# -- missing fields and null --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "x == 1",
        "x != 1",
        "x < 1",
        "x >= 1",
        'x == "a"',
        'x != "a"',
        "x == true",
        "x",
        "x == null",
        "x != null",
        "x in [1, 2]",
        "x not in [1, 2]",
        '"a" in x',
        'x contains "a"',
        'x startswith "a"',
        'x endswith "a"',
        "x + 1 > 0",
        "x + 1 != 0",
        "x - 1h < 0s",
        "a.x == 1",
        "a.b.c != 1",
        "n.m == 1",  # n is a number: the path cannot go inside it
        "nul.m == null",  # through null: missing
        "x == y",
    ],
)
def test_any_comparison_on_a_missing_field_is_false(text: str) -> None:
    facts = {"a": {"b": {}}, "n": 3, "nul": None}
    c = Condition.parse(text)
    assert c.evaluate(facts) is False
    assert Condition.model_validate({"not": c.model_dump()}).evaluate(facts) is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("exists(x)", True),
        ("exists(n)", True),  # present null
        ("exists(n.m)", False),
        ("exists(a.b)", True),
        ("exists(a.c)", False),
        ("exists(zz)", False),
        ("not exists(zz)", True),
        ("exists(x.y)", False),
    ],
)
def test_exists_tests_presence(text: str, expected: bool) -> None:
    assert ev(text, {"x": 0, "n": None, "a": {"b": False}}) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("n == null", True),
        ("n != null", False),
        ("x == null", False),
        ("x != null", True),
        ("null == n", True),
        ("n == 1", False),
        ("n != 1", True),
        ('n != "a"', True),
        ("n < 1", False),
        ("n >= 1", False),
        ("n in [1, 2]", False),
        ("n not in [1, 2]", False),
        ("n in [null]", False),
        ('n startswith "a"', False),
        ("n + 1 == 1", False),
        ("n + 1 != 1", False),
        ("x + n != 1", False),
    ],
)
def test_null_semantics(text: str, expected: bool) -> None:
    """``x == null`` is true only for a present null; every other comparison with null is
    false (except ``!=`` against a present non-null value)."""
    assert ev(text, {"n": None, "x": 1}) is expected


# -- facts: pydantic models and dataclasses ------------------------------------------------------


class Address(BaseModel):
    city: str


class Customer(BaseModel):
    tier: str
    phone: str | None = None
    address: Address | None = None
    _secret: str = "s3cret"

    @property
    def is_vip(self) -> bool:
        return True

    def greet(self) -> str:
        return "hello"


class Ticket(BaseModel):
    priority: str
    age: timedelta
    created: datetime
    customer: Customer
    tags: list[str] = []


def ticket() -> Ticket:
    return Ticket(
        priority="P1",
        age=5 * H,
        created=T0,
        customer=Customer(tier="A", phone=PHONE, address=Address(city="Shanghai")),
        tags=["vip"],
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('priority == "P1"', True),
        ("age > 4h", True),
        ('created < "2026-10-09T00:00:00+00:00"', True),
        ('customer.tier == "A"', True),
        ('customer.address.city == "Shanghai"', True),
        ('tags contains "vip"', True),
        ("exists(customer.phone)", True),
        # declared fields only: properties, methods, private attributes, pydantic internals
        ("exists(customer.is_vip)", False),
        ("customer.is_vip", False),
        ("exists(customer.greet)", False),
        ("exists(customer._secret)", False),
        ("exists(model_fields)", False),
        ("exists(model_config)", False),
        ("exists(model_dump)", False),
        ("exists(customer.model_fields_set)", False),
        ("exists(customer.address.model_config)", False),
    ],
)
def test_pydantic_model_facts(text: str, expected: bool) -> None:
    assert ev(text, ticket()) is expected


def test_pydantic_model_inside_a_mapping_and_mapping_inside_a_model() -> None:
    class Envelope(BaseModel):
        meta: dict[str, Any]

    assert ev('t.customer.tier == "A"', {"t": ticket()})
    assert ev('meta.source == "web"', Envelope(meta={"source": "web"}))


@dataclasses.dataclass
class Order:
    amount: float
    currency: str
    owner: Customer | None = None
    _internal: int = 7
    RATE: ClassVar[float] = 7.2

    @property
    def doubled(self) -> float:
        return self.amount * 2

    def total(self) -> float:
        return self.amount


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("amount > 100", True),
        ('currency == "CNY"', True),
        ('owner.tier == "A"', True),
        ("_internal == 7", True),  # a declared field, even with a leading underscore
        ("exists(RATE)", False),  # class variable, not a field
        ("exists(doubled)", False),  # property
        ("doubled > 0", False),
        ("exists(total)", False),  # method
    ],
)
def test_dataclass_facts(text: str, expected: bool) -> None:
    order = Order(amount=128.0, currency="CNY", owner=Customer(tier="A"))
    assert ev(text, order) is expected


def test_plain_objects_and_classes_expose_nothing() -> None:
    class Plain:
        a = 1

        def __init__(self) -> None:
            self.b = 2

    assert not ev("exists(a)", Plain())
    assert not ev("exists(b)", Plain())
    assert not ev("exists(amount)", Order)  # the dataclass itself, not an instance
    assert not ev("exists(a)", 42)
    assert not ev("exists(a)", "text")


def test_evaluation_never_touches_attributes_of_unknown_objects() -> None:
    touched: list[str] = []

    class Spy:
        def __getattr__(self, name: str) -> Any:
            touched.append(name)
            raise AttributeError(name)

        def __getitem__(self, name: str) -> Any:
            touched.append(name)
            raise KeyError(name)

    facts = {"x": Spy()}
    assert not ev("exists(x.secret)", facts)
    assert not ev("x.secret == 1", facts)
    assert not ev("x.a.b != 1", facts)
    assert Condition.parse("x.secret == 1").explain(facts).endswith("-> false")
    assert touched == []


@pytest.mark.parametrize(
    "text",
    [
        "__class__ == 1",
        "a.__class__ == 1",
        "a.__dict__.x == 1",
        "exists(__builtins__)",
        "exists(a.__globals__)",
        'a.__class__.__name__ == "dict"',
        "__import__ == 1",
    ],
)
def test_dunder_path_segments_are_rejected(text: str) -> None:
    with pytest.raises(PolicyError, match="__"):
        Condition.parse(text)


@pytest.mark.parametrize(
    "data",
    [
        {"field": "__class__", "op": "==", "value": 1},
        {"field": "a.__dict__", "op": "==", "value": 1},
        {"exists": "__globals__"},
        {"left": {"field": "a.__init__"}, "op": "==", "value": 1},
        {"field": "a", "op": "==", "right": {"field": "b.__class__"}},
        {"field": "a..b", "op": "==", "value": 1},
        {"field": "", "op": "==", "value": 1},
        {"field": "a.in", "op": "==", "value": 1},  # keyword segment
        {"field": "1a", "op": "==", "value": 1},
        {"field": "a b", "op": "==", "value": 1},
        {"field": "a[0]", "op": "==", "value": 1},
    ],
)
def test_invalid_paths_in_the_data_form_are_rejected(data: dict[str, Any]) -> None:
    with pytest.raises(PolicyError, match="path"):
        Condition.model_validate(data)


@pytest.mark.parametrize(
    "text",
    [
        '__import__("os").system("true") == 0',
        'eval("1") == 1',
        "exec == 1 and x.y(1)",
        "open('f') == 1",
        "lambda: 1",
        "a if b else c",
        "a[0] == 1",
        "a.b() == 1",
        "x := 1",
        "a == 1; import os",
        "`a`",
        "a ** 2 == 4",
        "a % 2 == 0",
        "a // 2 == 0",
        "a & b",
        "a | b",
        "a is b",
        "{1: 2} == a",
    ],
)
def test_python_syntax_is_not_a_condition(text: str) -> None:
    with pytest.raises(PolicyError):
        Condition.parse(text)


# -- incompatible types -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "facts", "path"),
    [
        ("customer.phone > 5", {"customer": {"phone": PHONE}}, "customer.phone"),
        ("customer.phone == 5", {"customer": {"phone": PHONE}}, "customer.phone"),
        ("customer.phone != 13800138000", {"customer": {"phone": PHONE}}, "customer.phone"),
        ("customer.phone == true", {"customer": {"phone": PHONE}}, "customer.phone"),
        ("customer.phone", {"customer": {"phone": PHONE}}, "customer.phone"),
        ("phone in [1, 2]", {"phone": PHONE}, "phone"),
        ("phone in 5", {"phone": PHONE}, "phone"),
        ("phone contains 1", {"phone": PHONE}, "phone"),
        ("phone startswith 138", {"phone": PHONE}, "phone"),
        ('phone endswith "000" and phone < 5', {"phone": PHONE}, "phone"),
        ("phone * 2 > 1", {"phone": PHONE}, "phone"),
        ("phone - 1h > 1h", {"phone": PHONE}, "phone"),
        ("phone > 1h", {"phone": PHONE}, "phone"),
        ("t > phone", {"t": T0, "phone": PHONE}, "t"),
        ("d > phone", {"d": H, "phone": PHONE}, "d"),
        ("phone == tags", {"phone": PHONE, "tags": ["x"]}, "phone"),
        ('phone_list contains "x"', {"phone_list": [int(PHONE)]}, "phone_list"),
        ("flag < true", {"flag": False}, "flag"),
        ("tags < [1]", {"tags": [int(PHONE)]}, "tags"),
        ("n == 1", {"n": True}, "n"),
        ("when == 1", {"when": T0.date()}, "when"),
    ],
)
def test_incompatible_types_name_the_path_never_the_value(
    text: str, facts: dict[str, Any], path: str
) -> None:
    c = Condition.parse(text)
    with pytest.raises(PolicyError) as info:
        c.evaluate(facts)
    message = str(info.value)
    assert path in message
    assert PHONE not in message
    assert all(PHONE not in p for p in info.value.problems)
    with pytest.raises(PolicyError) as again:  # explain raises the same error
        c.explain(facts)
    assert PHONE not in str(again.value)


@pytest.mark.parametrize(
    ("text", "facts"),
    [
        ("5 < phone", {"phone": PHONE}),
        ("1h < phone", {"phone": PHONE}),
        ('"13" in phone', {"phone": int(PHONE)}),
    ],
)
def test_type_error_names_the_path_when_it_is_on_the_right(
    text: str, facts: dict[str, Any]
) -> None:
    """BUG: the message names the left operand even when it is a literal.

    ``Condition.parse("5 < phone").evaluate({"phone": "13800138000"})`` raises
    ``PolicyError("5: cannot compare number with string using '<'")``: it names the literal
    ``5``, not the path ``phone`` whose value has the wrong type.
    """
    with pytest.raises(PolicyError) as info:
        ev(text, facts)
    assert "phone" in str(info.value)
    assert PHONE not in str(info.value)


def test_list_fact_equals_list_literal() -> None:
    """BUG: a list in the facts never equals a list literal.

    List literals are stored as tuples, and ``[1, 2] == (1, 2)`` is False in Python, so
    ``Condition.parse("x == [1, 2]").evaluate({"x": [1, 2]})`` is False (expected True) and
    ``x != [1, 2]`` is True; membership of a list in a list of lists fails the same way. The
    contract lists "lists" among the families that compare.
    """
    assert ev("x == [1, 2]", {"x": (1, 2)})  # a tuple fact works
    assert ev("x == [1, 2]", {"x": [1, 2]})
    assert not ev("x != [1, 2]", {"x": [1, 2]})
    assert ev("x in [[1, 2], [3]]", {"x": [1, 2]})
    assert ev("xs contains [3]", {"xs": [[1, 2], [3]]})


def test_list_equality_by_content() -> None:
    assert ev('x == ["a", "b"]', {"x": ("a", "b")})
    assert not ev('x == ["b", "a"]', {"x": ("a", "b")})
    assert ev("x == []", {"x": ()})


# -- parse errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("severity >= 5 or", 16),
        ("", 0),
        ("x >", 3),
        ("x > 3 )", 6),
        ("x $ 3", 2),
        ("a == 1 b == 2", 7),
        ('a == "unterminated', 5),
        ("a == 1 and (b == 2", 18),
        ("exists(1)", 7),
        ("a in [1, b]", 5),
        ("a == 1 and 3", 11),
        ("(a == 1) + 2 > 1", 3),
        ('a == "\\q"', 5),
        ("1 < x < 5", 6),
        ("x in [1, 2", 10),
        ("x == ,", 5),
    ],
)
def test_parse_errors_carry_the_position(text: str, position: int) -> None:
    with pytest.raises(PolicyError) as info:
        Condition.parse(text)
    assert f"position {position}" in str(info.value)


def test_parse_error_does_not_repeat_string_literals() -> None:
    with pytest.raises(PolicyError) as info:
        Condition.parse(f'phone == "{PHONE}" "{PHONE}"')
    assert PHONE not in str(info.value)
    assert "position" in str(info.value)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"op": "=="},
        {"field": "x", "op": "=~", "value": 1},
        {"field": "x", "op": "==", "value": {"a": 1}},
        {"field": "x", "op": "==", "value": float("inf")},
        {"field": "x", "op": "==", "value": float("nan")},
        {"field": "x", "left": {"field": "y"}, "op": "==", "value": 1},
        {"field": "x", "op": "==", "value": 1, "right": {"value": 2}},
        {"all": []},
        {"any": []},
        {"all": "x == 1"},
        {"not": None},
        {"exists": 5},
        {"field": "x", "op": ">", "right": {"duration": "4 hours"}},
        {"field": "x", "op": ">", "right": {"duration": 4}},
        {"left": {"arith": "%", "args": [{"value": 1}, {"value": 2}]}, "op": "==", "value": 1},
        {"left": {"arith": "+", "args": [{"value": 1}]}, "op": "==", "value": 1},
        {"left": {"bogus": 1}, "op": "==", "value": 1},
        {"field": "x", "op": "==", "value": 1, "extra": True},
        5,
        None,
        [],
        ["x == 1"],
    ],
)
def test_invalid_data_form_raises_policy_error(data: Any) -> None:
    with pytest.raises(PolicyError) as info:
        Condition.model_validate(data)
    assert info.value.problems


def test_data_form_reports_every_problem_with_its_location() -> None:
    with pytest.raises(PolicyError) as info:
        Condition.model_validate(
            {
                "all": [
                    {"field": "a.__x", "op": "==", "value": 1},
                    {"field": "b", "op": "~", "value": 1},
                    {"field": "c", "op": ">", "right": {"duration": "soon"}},
                ]
            }
        )
    problems = info.value.problems
    assert len(problems) == 3
    assert [p.split(":")[0] for p in problems] == ["all[0].left.field", "all[1].op",
                                                   "all[2].right.duration"]


def test_text_is_accepted_by_model_validate() -> None:
    assert Condition.model_validate("x > 1") == Condition.parse("x > 1")
    with pytest.raises(PolicyError, match="position 3"):
        Condition.model_validate("x >")
    with pytest.raises(PolicyError):
        Condition.parse(5)  # type: ignore[arg-type]


def test_limits_are_configurable() -> None:
    with pytest.raises(PolicyError, match="longer than 3"):
        Condition.parse("a == 1", max_length=3)
    with pytest.raises(PolicyError, match="deeper than 2"):
        Condition.parse("not not a", max_depth=2)
    with pytest.raises(PolicyError, match="more than 3 nodes"):
        Condition.parse("a and b and c", max_nodes=3)
    assert Condition.parse("a == 1", max_length=6).evaluate({"a": 1})


@pytest.mark.parametrize(
    "text",
    [
        "x > " + "9" * 5000,  # longer than Python's int-to-str limit
        "x > 1" + "0" * 4400 + ".5",
        "x > 99999999999999d",  # beyond timedelta's range
        "x > 9999999999999999999999h",
    ],
)
def test_huge_literals_raise_policy_error(text: str) -> None:
    """BUG: huge number / duration literals let ValueError / OverflowError escape the parser.

    ``Condition.parse("x > " + "9" * 5000)`` raises ``ValueError: Exceeds the limit (4300
    digits) for integer string conversion``; ``Condition.parse("x > 99999999999999d")`` raises
    ``OverflowError: Python int too large to convert to C int``. Only PolicyError may escape.
    """
    with pytest.raises(PolicyError):
        Condition.parse(text)


def test_huge_duration_in_the_data_form_raises_policy_error() -> None:
    """BUG: ``{"duration": "99999999999999d"}`` raises OverflowError, not PolicyError."""
    with pytest.raises(PolicyError):
        Condition.model_validate(
            {"field": "x", "op": ">", "right": {"duration": "99999999999999d"}}
        )


# -- explanations -------------------------------------------------------------------------------


def test_explain_shows_actual_values() -> None:
    c = Condition.parse('priority in ["P1", "P2"] and customer.tier == "A" and age_hours >= 4')
    text = c.explain({"priority": "P1", "customer": {"tier": "B"}, "age_hours": 5})
    assert text.splitlines() == [
        "all of:",
        '  priority in ["P1", "P2"]: priority = "P1" -> true',
        '  customer.tier == "A": customer.tier = "B" -> false',
        "-> false",
    ]


def test_explain_shows_durations_datetimes_missing_null_and_both_sides() -> None:
    c = Condition.parse(
        "now - created > 4h and due - now < 0s and a < b and exists(q) or z == null or m > 1"
    )
    facts = {
        "now": T0 + 5 * H,
        "created": T0,
        "due": T0 + 4 * H,
        "a": 1.5,
        "b": 2,
        "z": None,
    }
    text = c.explain(facts)
    assert "now - created = 5h -> true" in text
    assert "due - now = -1h -> true" in text
    assert "a = 1.5, b = 2 -> true" in text
    assert "exists(q) -> false" in text
    assert "z == null: z = null -> true" in text
    assert "m > 1" not in text  # short-circuited after the true branch
    assert text.splitlines()[-1] == "-> true"
    assert c.evaluate(facts) is True


def test_explain_shows_datetimes_and_missing_values() -> None:
    c = Condition.parse('created >= "2026-10-01T00:00:00+08:00" and customer.tier == "A"')
    text = c.explain({"created": T0})
    assert "created = 2026-10-08T09:00:00+00:00 -> true" in text
    assert "customer.tier = missing -> false" in text


def test_explain_of_not_and_any_short_circuits_like_evaluate() -> None:
    c = Condition.parse("not (a == 1 or b == 2)")
    text = c.explain({"a": 1, "b": 2})
    assert text.splitlines() == [
        "not:",
        "  any of:",
        "    a == 1: a = 1 -> true",
        "  -> true",
        "-> false",
    ]


def test_repr_and_str() -> None:
    c = Condition.parse("a>1 and(b<2 or not c)")
    assert str(c) == "a > 1 and (b < 2 or not c == true)"
    assert repr(c) == "Condition('a > 1 and (b < 2 or not c == true)')"


def test_single_quoted_strings_and_escapes() -> None:
    c = Condition.parse("""s == 'it\\'s "quoted"' and t == "tab\\tnew\\nline\\u00e9" """)
    assert c.evaluate({"s": 'it\'s "quoted"', "t": "tab\tnew\nline\u00e9"})
    assert Condition.parse(str(c)) == c


def test_conditions_are_frozen_and_hashable() -> None:
    c = Condition.parse("a == 1")
    assert hash(c) == hash(Condition.model_validate({"field": "a", "op": "==", "value": 1}))
    assert {c, Condition.parse("a==1")} == {c}
    with pytest.raises((TypeError, ValueError)):
        c.root = Condition.parse("b == 1").root  # type: ignore[misc]


def test_missing_marker_is_falsy_and_unique() -> None:
    assert not MISSING
    assert repr(MISSING) == "<missing>"
    assert type(MISSING)() is MISSING
