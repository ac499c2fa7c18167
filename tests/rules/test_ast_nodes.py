"""The syntax tree's nodes (the data form): frozen values, the ``not`` alias, path messages."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from servicekit.errors import PolicyError
from servicekit.rules import Condition
from servicekit.rules._ast import (
    All,
    AnyOf,
    Arith,
    Compare,
    Dur,
    Exists,
    Lit,
    Not,
    Ref,
    check_path,
)


@pytest.mark.parametrize(
    ("path", "number"),
    [("1a", 1), ("a.1b", 2), ("a.b.in", 3), ("a.b.c.__x", 4), ("a..b", 2)],
)
def test_an_invalid_path_names_the_position_of_its_bad_segment(path: str, number: int) -> None:
    """Segments are counted from 1, and the message names the position, not the text."""
    with pytest.raises(ValueError, match=rf"^invalid path: segment {number} is not a name "):
        check_path(path)
    with pytest.raises(PolicyError, match=rf"segment {number} is not a name"):
        Condition.model_validate({"exists": path})


def test_a_path_that_is_not_text_names_its_type() -> None:
    with pytest.raises(ValueError, match=r"got int$"):
        check_path(5)


@pytest.mark.parametrize(
    ("node", "attribute", "value"),
    [
        (Ref(field="a"), "field", "b"),
        (Lit(value=1), "value", 2),
        (Dur(duration="4h"), "duration", "5h"),
        (Exists(exists="a"), "exists", "b"),
        (Compare(left=Ref(field="a"), op="==", right=Lit(value=1)), "op", "!="),
        (Arith(arith="+", args=(Ref(field="a"), Lit(value=1))), "arith", "-"),
        (All(all=(Exists(exists="a"), Exists(exists="b"))), "all", ()),
        (AnyOf(any=(Exists(exists="a"), Exists(exists="b"))), "any", ()),
        (Not(**{"not": Exists(exists="a")}), "not_", Exists(exists="b")),
    ],
)
def test_nodes_are_frozen_and_hashable(node: object, attribute: str, value: object) -> None:
    """A tree is shared (memoised per policy document, compiled once): it must not change."""
    before = hash(node)
    with pytest.raises(ValidationError, match="frozen"):
        setattr(node, attribute, value)
    assert hash(node) == before
    assert {node, node} == {node}


def test_not_is_built_by_its_alias_and_by_its_field_name() -> None:
    """``not`` is a keyword in Python: the field is ``not_``, and both names build it."""
    inner = Exists(exists="a")
    by_name = Not(not_=inner)
    assert by_name == Not(**{"not": inner})
    assert by_name.not_ is inner
    assert by_name.model_dump() == {"not": {"exists": "a"}}
    assert Not.model_validate({"not_": {"exists": "a"}}) == by_name
