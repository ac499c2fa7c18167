"""The edges of rule-engine conditions on frames (issue 12; survivors of the mutation run).

A tier ladder runs on a frame with the meaning it has for one customer
(:meth:`Condition.evaluate`). The conditions here are the ones the ladder tests did not
reach: arithmetic with a missing column or a null literal, a null literal on both sides or
under an ordering, text tests whose answers tell ``contains``, ``startswith`` and ``endswith``
apart (and a ``.`` that is a character, not a pattern); and the conditions a frame refuses
before anything runs. All conditions run in one ``select`` per backend.
"""

from __future__ import annotations

from typing import Any

import pytest

from frame_rows import rows
from servicekit.customers._expressions import condition_expression
from servicekit.errors import PolicyError
from servicekit.rules import Condition

COLUMNS: dict[str, list[Any]] = {
    "id": [1, 2, 3, 4, 5, 6],
    "x": [1.0, 3.0, None, 5.0, 2.0, 0.5],
    "s": ["abc", "bca", None, "cab", "a.c", "b"],
}

CONDITIONS = [
    "x + null > 1", "null + 1 > 0", "x * null == null", "nope + 1 > 3", "x + nope < 3",
    "x > null", "null < 1", "null <= x", "null == null", "null != null",
    's contains "b"', 's startswith "b"', 's endswith "b"', 's contains "c"',
    's startswith "c"', 's endswith "a"', 's contains "."', 's startswith "a."',
    'not (s contains "a")',
]


def records() -> list[dict[str, Any]]:
    return [dict(zip(COLUMNS, values, strict=True)) for values in zip(*COLUMNS.values(),
                                                                        strict=True)]


def test_conditions_mean_on_a_frame_what_they_mean_for_one_row(frame_constructor: Any) -> None:
    import narwhals as nw

    frame = nw.from_native(frame_constructor(COLUMNS))
    schema = frame.collect_schema()
    parsed = [Condition.parse(text) for text in CONDITIONS]
    out = frame.select(nw.col("id"), *(condition_expression(c, schema, "test").alias(f"c{i}")
                                       for i, c in enumerate(parsed)))
    got = {r["id"]: [r[f"c{i}"] for i in range(len(parsed))] for r in rows(out.to_native())}
    expected = {r["id"]: [c.evaluate(r) for c in parsed] for r in records()}
    assert {i: dict(zip(CONDITIONS, v, strict=True)) for i, v in got.items()} == {
        i: dict(zip(CONDITIONS, v, strict=True)) for i, v in expected.items()}


def test_the_text_tests_answer_differently_here() -> None:
    """The data above can tell the three text tests, and a literal dot, apart."""
    answers = {text: [Condition.parse(text).evaluate(r) for r in records()]
               for text in ('s contains "b"', 's startswith "b"', 's endswith "b"',
                            's contains "."')}
    assert len({tuple(v) for v in answers.values()}) == len(answers)
    assert answers['s contains "."'] == [False, False, False, False, True, False]


@pytest.mark.parametrize(("text", "match"), [
    ('s in "abc"', "needs a list literal"),  # the engine reads it as a substring test
    ("x in s", "needs a list literal"),
    ('x startswith "a"', "takes a text column and a text literal"),
    ("s contains s", "takes a text column and a text literal"),
    ("x endswith s", "takes a text column and a text literal"),
])
def test_conditions_a_frame_cannot_run_are_refused_before_running(text: str,
                                                                  match: str) -> None:
    import narwhals as nw
    import polars as pl

    schema = nw.from_native(pl.DataFrame(COLUMNS)).collect_schema()
    with pytest.raises(PolicyError, match=f"tier A: .*{match}"):
        condition_expression(Condition.parse(text), schema, "tier A")
