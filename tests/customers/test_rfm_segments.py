"""``rfm_segments`` and ``segment_summary`` (issue 12): segments checked in order, first match
wins, ``Others`` for the rest; the R ``rfm`` package's ten segments as the default; the summary
per segment. Once per backend of the ``constructor`` fixture."""

from __future__ import annotations

from typing import Any

import pytest
from test_rfm_scores import rfm_rows

from frame_rows import rows
from servicekit.customers import (
    OTHERS,
    R_RFM_SEGMENTS,
    Segment,
    rfm_scores,
    rfm_segments,
    segment_summary,
)
from servicekit.errors import InvalidInputError, ServiceKitError


def test_the_r_packages_segments_ship_in_its_order() -> None:
    assert [s.name for s in R_RFM_SEGMENTS] == [
        "Champions", "Potential Loyalist", "Loyal Customers", "Promising", "New Customers",
        "Can't Lose Them", "At Risk", "Need Attention", "About To Sleep", "Lost"]
    # rfm's R/rfm-segment.R example, its vectors as written there
    recency_lower = (5, 3, 2, 3, 4, 1, 1, 1, 2, 1)
    recency_upper = (5, 5, 4, 4, 5, 2, 2, 3, 3, 1)
    frequency_lower = (5, 3, 2, 1, 1, 3, 2, 3, 1, 1)
    frequency_upper = (5, 5, 4, 3, 3, 4, 5, 5, 3, 5)
    monetary_lower = (5, 2, 2, 3, 1, 4, 4, 3, 1, 1)
    monetary_upper = (5, 5, 4, 5, 5, 5, 5, 5, 4, 5)
    assert [(s.r, s.f, s.m) for s in R_RFM_SEGMENTS] == [
        ((rl, ru), (fl, fu), (ml, mu)) for rl, ru, fl, fu, ml, mu in zip(
            recency_lower, recency_upper, frequency_lower, frequency_upper, monetary_lower,
            monetary_upper, strict=True)]
    assert Segment(name="any").holds(1, 99, 50)  # the default ranges hold every score


def test_first_match_wins_and_the_rest_are_others(constructor: Any) -> None:
    """C-00/01 score 555, C-02/03 444, … C-08/09 111 (see test_rfm_scores)."""
    scored = rfm_scores(constructor(rfm_rows()), bins=5)
    boxes = [Segment(name="Top", r=(4, 5), f=(4, 5), m=(4, 5)),
             Segment(name="Also top", r=(5, 5)),  # never reached: Top took them first
             Segment(name="Bottom", r=(1, 1), f=(1, 1), m=(1, 1))]
    got = {r["customer_id"]: r["segment"] for r in rows(rfm_segments(scored, segments=boxes))}
    assert got == {"C-00": "Top", "C-01": "Top", "C-02": "Top", "C-03": "Top",
                   "C-04": OTHERS, "C-05": OTHERS, "C-06": OTHERS, "C-07": OTHERS,
                   "C-08": "Bottom", "C-09": "Bottom"}


def test_the_default_segments_are_the_r_packages(constructor: Any) -> None:
    scored = rfm_scores(constructor(rfm_rows()), bins=5)
    got = {r["customer_id"]: r["segment"] for r in rows(rfm_segments(scored))}
    # 555 Champions; 444 Potential Loyalist (r 3-5, f 3-5, m 2-5); 333 Potential Loyalist;
    # 222 Loyal Customers (r 2-4, f 2-4, m 2-4); 111 Lost (r 1)
    assert [got[f"C-0{i}"] for i in range(0, 10, 2)] == [
        "Champions", "Potential Loyalist", "Potential Loyalist", "Loyal Customers", "Lost"]


def test_segment_summary(constructor: Any) -> None:
    boxes = [Segment(name="Top", r=(4, 5), f=(4, 5), m=(4, 5))]
    segmented = rfm_segments(rfm_scores(constructor(rfm_rows()), bins=5), segments=boxes)
    summary = rows(segment_summary(segmented))
    assert [r.pop("share") for r in summary] == pytest.approx([0.6, 0.4])
    assert summary == [
        {"segment": "Others", "customers": 6, "orders": 6 + 5 + 4 + 3 + 2 + 1,
         "revenue": 400.0 + 300 + 100 + 50 + 10 + 10},
        {"segment": "Top", "customers": 4, "orders": 10 + 9 + 8 + 7,
         "revenue": 1000.0 + 1000 + 800 + 500},
    ]


def test_bad_segments_are_refused() -> None:
    for bad in ([], "Champions", [Segment(name="A"), Segment(name="A")],
                [Segment(name=OTHERS)]):
        with pytest.raises(InvalidInputError, match="segment"):
            rfm_segments([], segments=bad)  # type: ignore[arg-type]
    with pytest.raises(ServiceKitError):
        Segment(name="x", r=(4, 2))
    with pytest.raises(ServiceKitError):
        Segment(name="x", f=(0, 2))
    with pytest.raises(InvalidInputError, match="rfm_scores"):
        rfm_segments([{"customer_id": "a"}])
    segmented = rfm_segments(rfm_scores([dict(zip(rfm_rows(), v, strict=True))
                                         for v in zip(*rfm_rows().values(), strict=True)]))
    with pytest.raises(InvalidInputError, match="segmented customers"):
        segment_summary([*segmented, {"segment": "x"}])  # one row is not segmented
    with pytest.raises(InvalidInputError, match="segmented customers"):
        segment_summary([])
