"""RFM segments (issue 12): named boxes of scores, checked in order, first match wins.

A :class:`Segment` names inclusive score ranges for recency, frequency and monetary; a
customer belongs to the first segment of the list whose three ranges hold their scores, and
to ``"Others"`` when none does (the R ``rfm`` package's ``rfm_segment``). The package's ten
segments for five scores ship as :data:`R_RFM_SEGMENTS`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from pydantic import Field, model_validator

from servicekit._frames import as_frame, records_of
from servicekit._model import ValueModel
from servicekit.customers._scores import CustomerScores, scored_records
from servicekit.errors import InvalidInputError

__all__ = [
    "OTHERS",
    "R_RFM_SEGMENTS",
    "Segment",
    "SegmentSummary",
    "SegmentedCustomer",
    "rfm_segments",
    "segment_summary",
]

OTHERS = "Others"
Range = tuple[int, int]


class Segment(ValueModel):
    """A named box of scores: ``r``, ``f`` and ``m`` are inclusive ``(low, high)`` ranges."""

    name: str = Field(min_length=1)
    r: Range = (1, 99)
    f: Range = (1, 99)
    m: Range = (1, 99)
    description: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> Segment:
        for low, high in (self.r, self.f, self.m):
            if not 1 <= low <= high:
                raise ValueError("a score range is (low, high) with 1 <= low <= high")
        return self

    def holds(self, r: int, f: int, m: int) -> bool:
        return (self.r[0] <= r <= self.r[1] and self.f[0] <= f <= self.f[1]
                and self.m[0] <= m <= self.m[1])


def _r_segments() -> tuple[Segment, ...]:
    names = ("Champions", "Potential Loyalist", "Loyal Customers", "Promising",
             "New Customers", "Can't Lose Them", "At Risk", "Need Attention",
             "About To Sleep", "Lost")
    r = ((5, 5), (3, 5), (2, 4), (3, 4), (4, 5), (1, 2), (1, 2), (1, 3), (2, 3), (1, 1))
    f = ((5, 5), (3, 5), (2, 4), (1, 3), (1, 3), (3, 4), (2, 5), (3, 5), (1, 3), (1, 5))
    m = ((5, 5), (2, 5), (2, 4), (3, 5), (1, 5), (4, 5), (4, 5), (3, 5), (1, 4), (1, 5))
    return tuple(Segment(name=n, r=a, f=b, m=c) for n, a, b, c in zip(names, r, f, m,
                                                                      strict=True))


#: the R ``rfm`` package's segments for five scores (its ``rfm_segment`` example), in order
R_RFM_SEGMENTS = _r_segments()


class SegmentedCustomer(CustomerScores):
    """A scored customer with the segment they fall in."""

    segment: str


class SegmentSummary(ValueModel):
    """One segment's line of :func:`segment_summary`."""

    segment: str
    customers: int
    orders: int
    revenue: float
    share: float = Field(description="the segment's share of the customers, 0-1")


def _check_segments(segments: object) -> tuple[Segment, ...]:
    if isinstance(segments, (str, bytes)) or not isinstance(segments, Sequence) or not all(
            isinstance(s, Segment) for s in segments) or not segments:
        raise InvalidInputError("rfm_segments: segments must be a non-empty list of Segment")
    names = Counter(s.name for s in segments)
    twice = sorted(n for n, c in names.items() if c > 1 or n == OTHERS)
    if twice:
        raise InvalidInputError(f"rfm_segments: segment names must be unique and not "
                                f"{OTHERS!r} ({len(twice)} are not)")
    return tuple(segments)


def rfm_segments(scored: Any, *, segments: Sequence[Segment] = R_RFM_SEGMENTS) -> Any:
    """Add ``segment``: the first of ``segments`` whose ranges hold the customer's scores, or
    ``"Others"``. ``scored`` is :func:`rfm_scores`'s result (a frame of any backend, or its
    records)."""
    boxes = _check_segments(segments)
    frame = as_frame(scored, "rfm_segments")
    if frame is None:
        out = []
        for r in scored_records(scored, "rfm_segments"):
            name = next((s.name for s in boxes if s.holds(r.r_score, r.f_score, r.m_score)),
                        OTHERS)
            out.append(SegmentedCustomer(**r.model_dump(include=set(CustomerScores.model_fields)),
                                         segment=name))
        return out
    import narwhals as nw

    schema = frame.collect_schema()
    missing = [c for c in ("r_score", "f_score", "m_score") if c not in schema]
    if missing:
        raise InvalidInputError(f"rfm_segments: no column {missing[0]!r} (score the table "
                                "with rfm_scores first)")
    expr: Any = nw.lit(OTHERS, dtype=nw.String)
    for s in reversed(boxes):
        inside = ((nw.col("r_score") >= s.r[0]) & (nw.col("r_score") <= s.r[1])
                  & (nw.col("f_score") >= s.f[0]) & (nw.col("f_score") <= s.f[1])
                  & (nw.col("m_score") >= s.m[0]) & (nw.col("m_score") <= s.m[1]))
        expr = nw.when(inside).then(nw.lit(s.name, dtype=nw.String)).otherwise(expr)
    return frame.with_columns(expr.alias("segment")).to_native()


def segment_summary(segmented: Any) -> Any:
    """Per segment: ``customers``, ``orders`` (their purchases), ``revenue`` (their monetary
    value) and ``share`` (of the customers), largest segment first (ties by name). A frame
    gives a frame of its kind; records give :class:`SegmentSummary` lines."""
    frame = as_frame(segmented, "segment_summary")
    if frame is None:
        given = records_of(segmented, "segment_summary")
        rows = [r for r in given if isinstance(r, SegmentedCustomer)]
        if not rows or len(rows) != len(given):
            raise InvalidInputError("segment_summary: expected segmented customers "
                                    "(from rfm_segments)")
        total = len(rows)
        lines: dict[str, list[float]] = {}
        for r in rows:
            line = lines.setdefault(r.segment, [0, 0, 0.0])
            line[0] += 1
            line[1] += r.frequency
            line[2] += r.monetary
        return sorted((SegmentSummary(segment=k, customers=int(v[0]), orders=int(v[1]),
                                      revenue=float(v[2]), share=v[0] / total)
                       for k, v in lines.items()), key=lambda s: (-s.customers, s.segment))
    import narwhals as nw

    if "segment" not in frame.collect_schema():
        raise InvalidInputError("segment_summary: no column 'segment' (from rfm_segments)")
    summary = frame.group_by("segment").agg(
        nw.len().alias("customers"), nw.col("frequency").sum().alias("orders"),
        nw.col("monetary").sum().alias("revenue"))
    if isinstance(summary, nw.LazyFrame):
        summary = summary.collect()  # one row per segment
    summary = summary.with_columns(nw.col("customers").cast(nw.Int64),
                                   nw.col("orders").cast(nw.Int64),
                                   nw.col("revenue").cast(nw.Float64))
    total = int(summary["customers"].sum())
    summary = summary.with_columns((nw.col("customers") / total).cast(nw.Float64).alias("share"))
    return summary.sort(["customers", "segment"], descending=[True, False]).to_native()
