"""``assign_tiers`` (issue 12; R-02, R-03, R-07) and rule-engine conditions on frames: on every
backend the frame path decides exactly what ``TierLadder.classify`` and ``Condition.evaluate``
decide for one customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from frame_rows import rows
from servicekit.customers import CustomerScores, assign_tiers
from servicekit.customers._expressions import condition_expression
from servicekit.errors import InvalidInputError, PolicyError
from servicekit.presets import handbook
from servicekit.rules import Condition

LADDER = handbook.tier_ladder()
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
#: (recency, frequency, monetary, r, f, m): each side of each bound of the handbook ladder
CASES = [
    (10, 9, 50_000.01, 3, 5, 5), (10, 9, 50_000.0, 3, 5, 5), (400, 1, 60_000.0, 1, 1, 5),
    (1, 9, 10.0, 5, 5, 5), (1, 9, 10.0, 5, 5, 4), (180, 5, 5000.0, 1, 3, 4),
    (179, 5, 5000.0, 2, 3, 4), (200, 1, 10.0, 1, 1, 1), (30, 3, 999.99, 3, 2, 1),
    (29, 3, 999.99, 3, 2, 1), (30, 4, 999.99, 3, 2, 1), (30, 3, 1000.0, 3, 2, 2),
    (0, 1, 0.0, 5, 1, 1),
]


def scored_rows() -> dict[str, list[Any]]:
    ids = [f"C-{i:02d}" for i in range(len(CASES))]
    cols = list(zip(*CASES, strict=True))
    return {"customer_id": ids, "recency_days": list(cols[0]), "frequency": list(cols[1]),
            "monetary": list(cols[2]),
            "first_purchase_at": [AS_OF - timedelta(days=500)] * len(CASES),
            "last_purchase_at": [AS_OF - timedelta(days=r) for r in cols[0]],
            "r_score": list(cols[3]), "f_score": list(cols[4]), "m_score": list(cols[5]),
            "rfm_code": [f"{r}{f}{m}" for *_, r, f, m in CASES]}


def as_records(columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(columns, values, strict=True))
            for values in zip(*columns.values(), strict=True)]


def test_assign_tiers_decides_as_classify_does(constructor: Any) -> None:
    columns = scored_rows()
    data = constructor(columns)
    if constructor.backend == "records":
        data = [CustomerScores(**r) for r in data]
    got = {r["customer_id"]: (r["tier"], r["tier_rule"]) for r in rows(
        assign_tiers(data, ladder=LADDER))}
    expected = {}
    for r in as_records(columns):
        d = LADDER.classify(r)
        expected[r["customer_id"]] = (d.tier, d.rule)
    assert got == expected
    assert sorted({t for t, _ in got.values()}) == ["A", "B", "C", "D"]


CONDITIONS = [
    "x > 3", "x >= 3", "x < 3", "x <= 3", "x == 3", "x != 3", "x == null", "x != null",
    "s == \"ab\"", "s != \"ab\"", "s in [\"ab\", \"c\"]", "s not in [\"ab\"]",
    "s startswith \"a\"", "s endswith \"b\"", "s contains \"b\"", "not (x >= 2)",
    "x > 1 and s == \"c\"", "x > 4 or s == \"c\"", "exists(x)", "exists(nope)", "nope > 1",
    "nope != 1", "x + 1 > 3", "x * 2 == 6", "x - y > 0", "x / 2 <= 1", "x == y", "x != y",
    "x in [1, 3]", "x not in [1, 3]", "flag == true", "flag != true", "not flag == true",
]


@pytest.mark.parametrize("text", CONDITIONS)
def test_a_condition_means_on_a_frame_what_it_means_for_one_row(frame_constructor: Any,
                                                               text: str) -> None:
    columns: dict[str, list[Any]] = {
        "id": [1, 2, 3, 4, 5], "x": [1.0, 3.0, None, 5.0, 2.0], "y": [1.0, None, None, 2.0, 2.0],
        "s": ["ab", "c", None, "b", "ab"],
        # no null among the booleans: pandas and Dask would hold them as objects or text
        "flag": [True, False, True, True, False]}
    condition = Condition.parse(text)
    import narwhals as nw

    frame = nw.from_native(frame_constructor(columns))
    expr = condition_expression(condition, frame.collect_schema(), "test")
    out = frame.select(nw.col("id"), expr.alias("holds"))
    got = {r["id"]: r["holds"] for r in rows(out.to_native())}
    expected = {r["id"]: condition.evaluate(r) for r in as_records(columns)}
    assert got == expected


def test_conditions_a_frame_cannot_run_are_policy_errors() -> None:
    import narwhals as nw
    import polars as pl

    schema = nw.from_native(pl.DataFrame({"x": [1], "s": ["a"]})).collect_schema()
    for text, match in (("a.b > 1", "path"), ("x > 1h", "duration"), ("x == \"a\"", "compare"),
                        ("s > 1", "compare"), ("x + s > 1", "apply"),
                        ("x in [\"a\"]", "look for")):
        with pytest.raises(PolicyError, match=match):
            condition_expression(Condition.parse(text), schema, "test")


def test_assign_tiers_is_checked() -> None:
    with pytest.raises(InvalidInputError, match="ladder"):
        assign_tiers([], ladder="handbook")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="rfm_scores"):
        assign_tiers([{"customer_id": "a"}], ladder=LADDER)
