"""The edges of RFM segments (issue 12; survivors of the mutation run): the default ranges at
both ends of the scale, a segment read back from data, frames without the columns segments
need, and the summary's order when two segments are the same size."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from frame_rows import rows
from servicekit.customers import R_RFM_SEGMENTS, Segment, SegmentedCustomer, segment_summary
from servicekit.customers import rfm_segments as segments_of
from servicekit.errors import InvalidInputError


def test_a_segments_default_ranges_hold_the_whole_scale() -> None:
    """A range left out holds every score a scoring can give, 1 to 99 (bins <= 99)."""
    any_ = Segment(name="any")
    for scores in ((1, 1, 1), (99, 99, 99), (1, 99, 1), (99, 1, 99)):
        assert any_.holds(*scores)
    assert not Segment(name="top r", r=(5, 5)).holds(4, 1, 1)


def test_segments_read_back_from_data_are_the_same_segments() -> None:
    """Segments kept as data (JSON, a config) come back as they were written, validated."""
    for s in (*R_RFM_SEGMENTS, Segment(name="any")):
        assert Segment.model_validate_json(s.model_dump_json()) == s
        assert Segment.model_validate(s.model_dump()) == s
    with pytest.raises(InvalidInputError):
        Segment.model_validate({"name": "x", "r": [3, 2]})


def test_a_frame_without_scores_is_refused() -> None:
    import polars as pl

    scored = pl.DataFrame({"customer_id": ["a"], "r_score": [5], "f_score": [5], "m_score": [5]})
    assert segments_of(scored)["segment"].to_list() == ["Champions"]
    for missing in ("r_score", "f_score", "m_score"):
        with pytest.raises(InvalidInputError, match=f"no column '{missing}'"):
            segments_of(scored.drop(missing))


def test_a_summary_needs_the_segment_column() -> None:
    import polars as pl

    with pytest.raises(InvalidInputError, match="no column 'segment'"):
        segment_summary(pl.DataFrame({"customer_id": ["a"], "frequency": [1],
                                      "monetary": [1.0]}))


SIZES = {"segment": ["Lost", "At Risk", "Lost", "Champions", "At Risk", "Zeta"],
         "frequency": [1, 2, 3, 4, 5, 6], "monetary": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}
BY_SIZE = ["At Risk", "Lost", "Champions", "Zeta"]  # largest first; the same size: A to Z


def test_segments_of_the_same_size_are_listed_by_name(frame_constructor: Any) -> None:
    import narwhals as nw

    summary = segment_summary(frame_constructor(SIZES))
    frame = nw.from_native(summary)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    assert frame["segment"].to_list() == BY_SIZE
    assert frame["customers"].to_list() == [2, 2, 1, 1]
    assert rows(summary)[0] == {"segment": "At Risk", "customers": 2, "orders": 7,
                                "revenue": 7.0, "share": pytest.approx(2 / 6)}


def test_records_of_the_same_size_are_listed_by_name() -> None:
    at = datetime(2026, 11, 1, tzinfo=UTC)
    customers = [SegmentedCustomer(customer_id=i, recency_days=1, frequency=f, monetary=m,
                                   first_purchase_at=at, last_purchase_at=at, r_score=1,
                                   f_score=1, m_score=1, rfm_code="111", segment=name)
                 for i, (name, f, m) in enumerate(zip(*SIZES.values(), strict=True))]
    summary = segment_summary(customers)
    assert [(s.segment, s.customers) for s in summary] == list(zip(BY_SIZE, [2, 2, 1, 1],
                                                                   strict=True))
