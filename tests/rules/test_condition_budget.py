"""A policy document's condition budget, the data form's size bounds, collapsing, and sharing.

One document validates its conditions inside ``condition_budget``: at most
``MAX_POLICY_CONDITION_TEXT`` characters in all (each condition charged the longer of the text
given and the text it is written as), each distinct text parsed, compiled and written once.
"""

from __future__ import annotations

from typing import Any

import pytest

from servicekit.errors import PolicyError
from servicekit.rules import Condition
from servicekit.rules._condition import (
    _BUDGET,
    _MAX_DATA_VALUES,
    MAX_POLICY_CONDITION_TEXT,
    _check_size,
    condition_budget,
)
from servicekit.rules._text import MAX_DEPTH, MAX_LENGTH, MAX_NODES

TOO_LARGE = "longer than 200,000 characters in all"


def _literal_condition(letter: str, length: int) -> str:
    """``s == "xxx…"``, exactly ``length`` characters, written as given (three nodes)."""
    text = 's == "' + letter * (length - 7) + '"'
    assert len(text) == length
    return text


def _left() -> int:
    budget = _BUDGET.get()
    assert budget is not None
    return budget.left


# -- the budget -----------------------------------------------------------------------------


def test_a_document_may_hold_twice_the_length_limit_of_condition_text_and_no_more() -> None:
    assert MAX_POLICY_CONDITION_TEXT == 2 * MAX_LENGTH == 200_000
    with condition_budget():
        Condition.model_validate(_literal_condition("a", MAX_LENGTH))
        Condition.model_validate(_literal_condition("b", MAX_LENGTH))
        assert _left() == 0  # spent exactly: still accepted
        with pytest.raises(PolicyError, match=TOO_LARGE):
            Condition.model_validate("a")


@pytest.mark.parametrize(("text", "written"), [("a == 1", 6), ("a", 9), ("not a", 13)])
def test_a_condition_costs_the_longer_of_its_text_and_its_written_text(
    text: str, written: int
) -> None:
    """``a`` is written ``a == true``: it costs 9 characters, and a budget of 9 is enough."""
    assert len(str(Condition.parse(text))) == written
    with condition_budget(written):
        Condition.model_validate(text)
        assert _left() == 0
    with condition_budget(written - 1), pytest.raises(PolicyError, match=TOO_LARGE):
        Condition.model_validate(text)


def test_a_data_form_condition_costs_its_written_text() -> None:
    data = {"field": "a", "op": "==", "value": 1}  # written "a == 1"
    with condition_budget(6):
        Condition.model_validate(data)
        assert _left() == 0
    with condition_budget(5), pytest.raises(PolicyError, match=TOO_LARGE):
        Condition.model_validate(data)


def test_a_text_given_again_is_charged_once() -> None:
    with condition_budget(6):
        for _ in range(100):
            assert Condition.model_validate("a == 1").evaluate({"a": 1})
        assert _left() == 0


def test_a_nested_budget_is_the_outer_one() -> None:
    with condition_budget(6):
        with condition_budget(1_000):
            Condition.model_validate("a == 1")
        with pytest.raises(PolicyError, match=TOO_LARGE):
            Condition.model_validate("b == 1")
    assert _BUDGET.get() is None


def test_outside_a_budget_conditions_are_not_counted() -> None:
    assert _BUDGET.get() is None
    for letter in "abc":  # 300,000 characters: more than one document's budget
        Condition.model_validate(_literal_condition(letter, MAX_LENGTH))
    with condition_budget(10):
        assert _left() == 10


def test_a_text_refused_once_is_refused_again_without_being_parsed_or_charged_again() -> None:
    bad = "severity >= 5 or"
    with condition_budget(len(bad) + 5):
        for _ in range(3):
            with pytest.raises(PolicyError, match="unexpected end of text at position 16"):
                Condition.model_validate(bad)
        assert _left() == 5


def test_a_text_refused_once_written_out_is_refused_again_without_being_charged_again() -> None:
    """3,334 bare paths joined by ``or`` parse (6,667 nodes) but are written with 13,335 nodes
    (``a == true``): refused once validated, and that refusal is remembered."""
    bad = " or ".join(["a"] * 3334)
    with condition_budget(len(bad) + 5):
        for _ in range(2):
            with pytest.raises(PolicyError, match=f"more than {MAX_NODES} nodes"):
                Condition.model_validate(bad)
        assert _left() == 5


def test_a_refused_data_form_condition_is_not_remembered_as_a_text() -> None:
    too_deep: dict[str, Any] = {"exists": "a"}
    for _ in range(MAX_DEPTH):
        too_deep = {"not": too_deep}
    with condition_budget():
        with pytest.raises(PolicyError, match=f"nested deeper than {MAX_DEPTH} levels"):
            Condition.model_validate(too_deep)
        with pytest.raises(PolicyError, match="unexpected end of text at position 0"):
            Condition.model_validate("")


# -- sharing: one text, compiled and written once -------------------------------------------


def test_a_condition_compiles_once() -> None:
    c = Condition.parse("a == 1 and b > 2")
    assert c.predicate is c.predicate
    d = Condition.model_validate({"field": "a", "op": "==", "value": 1})
    assert d.predicate is d.predicate


def test_the_same_text_in_one_document_is_compiled_and_written_once() -> None:
    with condition_budget():
        first = Condition.model_validate("a == 1 and b > 2")
        again = Condition.model_validate("a == 1 and b > 2")
    assert first.root is again.root
    assert again.predicate is first.predicate
    assert str(again) is str(first)
    assert str(first) == "a == 1 and b > 2"
    assert first.evaluate({"a": 1, "b": 3})
    assert not again.evaluate({"a": 1, "b": 2})


def test_outside_a_document_the_same_text_is_compiled_for_each_condition() -> None:
    first = Condition.model_validate("a == 1")
    again = Condition.model_validate("a == 1")
    assert first == again
    assert first.predicate is not again.predicate


# -- the data form's size, bounded before it is validated -----------------------------------


def test_the_data_form_may_have_four_values_a_node() -> None:
    assert _MAX_DATA_VALUES == 4 * MAX_NODES
    _check_size([0] * (_MAX_DATA_VALUES - 1))  # the list and its items: exactly the bound
    with pytest.raises(ValueError, match=f"^condition has more than {MAX_NODES} nodes$"):
        _check_size([0] * _MAX_DATA_VALUES)
    with pytest.raises(ValueError, match=f"more than {MAX_NODES} nodes"):
        _check_size({"a": [0] * (_MAX_DATA_VALUES // 2), "b": [0] * (_MAX_DATA_VALUES // 2)})


def _nested(levels: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(levels - 1):
        value = [value]
    return value


def test_the_data_form_may_nest_three_levels_a_condition_level() -> None:
    _check_size(_nested(3 * MAX_DEPTH))
    _check_size({"any": [0, _nested(3 * MAX_DEPTH - 2)]})  # the dict, the list, then these
    for deep in (_nested(3 * MAX_DEPTH + 1), {"any": [_nested(3 * MAX_DEPTH - 1), 0]}):
        with pytest.raises(ValueError, match=f"^condition nested deeper than {MAX_DEPTH} levels$"):
            _check_size(deep)


def test_a_data_form_nested_far_too_deeply_is_refused_before_it_is_validated() -> None:
    deep: dict[str, Any] = {"exists": "a"}
    for _ in range(20_000):
        deep = {"not": deep}
    with pytest.raises(PolicyError, match=f"nested deeper than {MAX_DEPTH} levels"):
        Condition.model_validate(deep)


# -- collapsing all / any of one condition --------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ({"all": [{"any": [{"exists": "a"}]}, {"exists": "b"}]}, "exists(a) and exists(b)"),
        ({"any": [{"exists": "a"}, {"all": [{"exists": "b"}]}]}, "exists(a) or exists(b)"),
        ({"not": {"all": [{"exists": "a"}]}}, "not exists(a)"),
        ({"all": [{"any": [{"exists": "a"}, {"exists": "b"}]}, {"exists": "c"}]},
         "(exists(a) or exists(b)) and exists(c)"),
    ],
)
def test_all_or_any_of_one_condition_inside_another_is_that_condition(
    data: dict[str, Any], text: str
) -> None:
    c = Condition.model_validate(data)
    assert str(c) == text
    assert c == Condition.parse(text)
    assert c.model_dump() == Condition.parse(text).model_dump()


def test_a_condition_given_a_condition_is_that_condition() -> None:
    c = Condition.parse("a == 1 or b == 2")
    copy = Condition(c)
    assert copy == c
    assert copy.root is c.root
    assert copy.evaluate({"b": 2})


def test_a_condition_is_never_equal_to_its_text() -> None:
    c = Condition.parse("a == 1")
    assert (c == "a == 1") is False
    assert c != "a == 1"
    assert (c == c.root) is False
