"""The text form's limits at their edges (docs/rules.md, "Safety and limits"), the parser's
messages, and how arithmetic is written out.

The limits hold both for the text given and for the text the condition is written as
(``str(condition)``); each refusal is a ``PolicyError`` naming the limit, never the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from servicekit.errors import PolicyError
from servicekit.rules import Condition
from servicekit.rules._text import MAX_DEPTH, MAX_LENGTH, MAX_NODES, parse_condition

DEEPER = f"^condition nested deeper than {MAX_DEPTH} levels$"


def _refused(text: str, message: str, **limits: int) -> None:
    with pytest.raises(PolicyError, match=message):
        Condition.parse(text, **limits)


# -- length ---------------------------------------------------------------------------------


def test_the_default_length_limit_is_100_000_characters() -> None:
    assert MAX_LENGTH == 100_000
    at_limit = 's == "' + "a" * (MAX_LENGTH - 7) + '"'
    assert len(at_limit) == MAX_LENGTH
    assert Condition.parse(at_limit).evaluate({"s": "a" * (MAX_LENGTH - 7)})
    _refused(at_limit + " ", r"^condition text longer than 100000 characters$")


def test_the_length_limit_holds_for_the_text_given_even_when_it_is_written_shorter() -> None:
    text = "a   ==   1"  # written "a == 1"
    assert str(Condition.parse(text, max_length=10)) == "a == 1"
    _refused(text, r"^condition text longer than 9 characters$", max_length=9)


def test_the_length_limit_holds_for_the_text_written_even_when_it_is_given_shorter() -> None:
    assert str(Condition.parse("a", max_length=9)) == "a == true"
    _refused("a", r"^condition text longer than 8 characters$", max_length=8)


# -- nodes ----------------------------------------------------------------------------------


def test_the_default_node_limit_is_10_000_nodes() -> None:
    """``x in [1, …]``: the path, the operator, the list and each item are nodes."""
    assert MAX_NODES == 10_000
    items = ", ".join(["1"] * (MAX_NODES - 3))
    assert Condition.parse(f"x in [{items}]").evaluate({"x": 1})
    _refused(f"x in [{items}, 1]", r"^condition has more than 10000 nodes$")


@pytest.mark.parametrize(("text", "nodes"), [("a == 1", 3), ("not a == -1", 5), ("a + 1h > b", 5)])
def test_a_text_with_exactly_the_node_limit_parses(text: str, nodes: int) -> None:
    Condition.parse(text, max_nodes=nodes)
    _refused(text, rf"^condition has more than {nodes - 1} nodes$", max_nodes=nodes - 1)


def test_the_node_limit_holds_for_the_text_written() -> None:
    """3,334 bare paths joined by ``or``: 6,667 nodes as given, 13,335 written (``a == true``)."""
    text = " or ".join(["a"] * 3334)
    parse_condition(text, canonical=False)  # the text given is within the limits
    _refused(text, r"^condition has more than 10000 nodes$")


# -- depth ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "deepest"),
    [
        (lambda k: "(" * k + "x" + ")" * k, 255),
        (lambda k: "a == " + "(" * k + "1" + ")" * k, 254),
        (lambda k: "a in [" + "(" * k + "1" + ")" * k + "]", 253),
        (lambda k: "not " + "(" * k + "x" + ")" * k, 254),
        (lambda k: "a == -" + "(" * k + "1" + ")" * k, 253),
    ],
    ids=["top", "right-operand", "list-item", "not", "negation"],
)
def test_parentheses_nest_the_parser_at_most_four_times_the_depth_limit(
    written: Callable[[int], str], deepest: int
) -> None:
    """Parentheses add no node and no level to the tree, but each is a level of the parser's
    recursion, which is bounded at 4 x the depth limit (256 levels, counting the top)."""
    assert Condition.parse(written(deepest)) == Condition.parse(written(0))
    _refused(written(deepest + 1), DEEPER)


@pytest.mark.parametrize(
    "tail", ["x == -1", "x == [1]", "x == [1.5, [], 's']"],
)
def test_a_condition_at_the_depth_limit_as_written_parses(tail: str) -> None:
    """62 ``not`` and a comparison are 64 levels; a sign or a list item is one more level of
    the written text, which the limit allows (the tree's 64 levels plus its leaves)."""
    c = Condition.parse("not " * 62 + tail)
    assert Condition.parse(str(c)) == c


@pytest.mark.parametrize("text", ["not " * 62 + "x == [[1]]", "not " * 62 + "x == [-1]",
                                  "not " * 63 + "x == 1", "not " * 64 + "x"])
def test_one_level_more_is_refused(text: str) -> None:
    _refused(text, DEEPER)


# -- the parser's messages ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a == )", "unexpected ')' at position 5"),
        ("a == and", "unexpected 'and' at position 5"),
        ("a == 1 b", "unexpected a name at position 7"),
        ("a == 1 'b'", "unexpected a string at position 7"),
        ("(a == 1", "expected ')' at position 7, found end of text"),
        ("(a == 1 ]", "expected ')' at position 8, found ']'"),
        ("exists(a", "expected ')' at position 8, found end of text"),
        ("exists a", "expected '(' at position 7, found a name"),
        ("x in [1 ) 2]", "expected ',' or ']' at position 8"),
        ("x in [1 ( 2]", "expected ',' or ']' at position 8"),
        ("x in [1 '2']", "expected ',' or ']' at position 8"),
        ("x == 1e999", "number out of range at position 5"),
        ("x == " + "1" * 5_000, "number too long at position 5"),
    ],
)
def test_the_parser_names_the_position_and_the_kind_of_what_it_found(
    text: str, message: str
) -> None:
    _refused(text, f"^{re.escape(message)}$")


def test_a_large_integer_is_read_exactly() -> None:
    big = 10**400  # larger than any float
    c = Condition.parse(f"x == {big}")
    assert c.evaluate({"x": big})
    assert not c.evaluate({"x": big + 1})
    assert str(c) == f"x == {big}"


# -- writing arithmetic out -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("a - b - c > 1", "a - b - c > 1"),
        ("(a - b) - c > 1", "a - b - c > 1"),
        ("a - (b - c) > 1", "a - (b - c) > 1"),
        ("(a * b) + c > 1", "a * b + c > 1"),
        ("a * b / c > 1", "a * b / c > 1"),
        ("a / (b * c) > 1", "a / (b * c) > 1"),
        ("(a + b) * c > 1", "(a + b) * c > 1"),
        ("a * (b + c) > 1", "a * (b + c) > 1"),
    ],
)
def test_arithmetic_is_written_with_the_parentheses_it_needs_and_no_more(
    text: str, written: str
) -> None:
    c = Condition.parse(text)
    assert str(c) == written
    assert Condition.parse(written) == c


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x in [1 == 1]", "expected ',' or ']' at position 8"),
        ("x in [1 and 2]", "expected ',' or ']' at position 8"),
        ("a + 1", "expected a condition at position 2, found a value"),
        ("a == 1 and b * 2", "expected a condition at position 13, found a value"),
        ("not 1h", "expected a condition at position 4, found a value"),
    ],
)
def test_a_list_holds_values_and_a_condition_is_not_a_value(text: str, message: str) -> None:
    _refused(text, f"^{re.escape(message)}$")


def _not_62(value: object) -> dict[str, object]:
    data: dict[str, object] = {"field": "x", "op": "==", "value": value}
    for _ in range(62):
        data = {"not": data}
    return data


def test_a_data_form_condition_is_held_to_the_depth_of_its_written_text() -> None:
    """62 ``not`` and ``x == [1]`` are the 64 levels of the tree and one written level more, as
    the text form allows; ``x == [[1]]`` is written one level deeper than that, refused in both
    forms (by the parser for the text, by the written text's depth for the data)."""
    c = Condition.model_validate(_not_62([1]))
    assert Condition.parse(str(c)) == c
    for value in ([[1]], [-1]):
        with pytest.raises(PolicyError, match=f"nested deeper than {MAX_DEPTH} levels"):
            Condition.model_validate(_not_62(value))
