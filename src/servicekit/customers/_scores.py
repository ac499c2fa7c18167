"""RFM scores (issue 12): ``r_score``, ``f_score``, ``m_score`` from 1 to ``bins`` (higher is
better) and the code ``"545"``, by cut points found from the customers' values
(:mod:`servicekit.customers._thresholds` says exactly how) or given.

The cut points need the values of every customer, and only those: each dimension's distinct
values and how many customers have each are counted on the frame's engine and brought back
(a handful of rows for recency and frequency; for monetary, one per distinct amount). The
scores are then plain comparisons, computed on the engine; a lazy frame stays lazy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from pydantic import Field

from servicekit._frames import as_frame, records_of
from servicekit.customers._rfm_table import CustomerRfm
from servicekit.customers._thresholds import (
    DIMENSIONS,
    RfmThresholds,
    cuts_from_counts,
    fixed_cuts,
)
from servicekit.errors import InvalidInputError

__all__ = ["CustomerScores", "rfm_scores", "rfm_thresholds", "scored_records"]

_METHODS = ("quantile", "r-rfm")


class CustomerScores(CustomerRfm):
    """A customer's RFM row with its scores (what :func:`rfm_scores` returns per record)."""

    r_score: int = Field(ge=1)
    f_score: int = Field(ge=1)
    m_score: int = Field(ge=1)
    rfm_code: str


def scored_records(data: Any, command: str) -> list[CustomerScores]:
    """The records of ``data``, each a scored customer (from :func:`rfm_scores`), checked."""
    rows = records_of(data, command)
    for i, r in enumerate(rows):
        if not isinstance(r, CustomerScores):
            raise InvalidInputError(f"{command}: row {i} is not a scored customer "
                                    f"(got {type(r).__name__}; score it with rfm_scores)")
    return rows  # type: ignore[return-value]


def _check_bins(bins: object) -> int:
    if isinstance(bins, bool) or not isinstance(bins, int) or not 2 <= bins <= 99:
        raise InvalidInputError(f"rfm_scores: bins must be an integer from 2 to 99 "
                                f"(got {type(bins).__name__})")
    return bins


def _check_method(method: object) -> Literal["quantile", "r-rfm"]:
    if method not in _METHODS:
        raise InvalidInputError(f"rfm_scores: method must be one of {', '.join(_METHODS)}")
    return method  # type: ignore[return-value]


def rfm_thresholds(rfm: Any, *, bins: int = 5, method: str = "quantile") -> RfmThresholds:
    """The cut points :func:`rfm_scores` uses on ``rfm`` (an RFM table of any backend, or
    records), per dimension, with the method and the number of scores."""
    size, how = _check_bins(bins), _check_method(method)
    frame = as_frame(rfm, "rfm_thresholds")
    counts = (_frame_counts(frame) if frame is not None
              else _record_counts(records_of(rfm, "rfm_thresholds")))
    return RfmThresholds(method=how, bins=size, **{
        d: cuts_from_counts(*counts[d], size, how) for d in DIMENSIONS})


def rfm_scores(rfm: Any, *, bins: int | None = None, method: str = "quantile",
               thresholds: Mapping[str, object] | RfmThresholds | None = None) -> Any:
    """Score an RFM table (see the module): adds ``r_score``, ``f_score``, ``m_score`` and
    ``rfm_code``. ``bins`` defaults to 5; ``thresholds`` (fixed cut points per dimension, or
    an :class:`RfmThresholds` from :func:`rfm_thresholds`) replaces the method. A frame comes
    back as a frame of its kind (lazy stays lazy); records as :class:`CustomerScores`."""
    if thresholds is not None:
        if isinstance(thresholds, RfmThresholds):
            if bins is not None and bins != thresholds.bins:
                raise InvalidInputError(f"rfm_scores: the thresholds make {thresholds.bins} "
                                        f"scores, not bins={bins}")
            found = thresholds
        else:
            size, cuts = fixed_cuts(thresholds, bins)
            found = RfmThresholds(method="fixed", bins=size, **cuts)
    else:
        found = rfm_thresholds(rfm, bins=5 if bins is None else bins, method=method)
    frame = as_frame(rfm, "rfm_scores")
    if frame is None:
        return [_score_record(r, found) for r in _records(records_of(rfm, "rfm_scores"))]
    return _score_frame(frame, found)


# -- counting the values ---------------------------------------------------------------------


def _check_frame(frame: Any) -> None:
    schema = frame.collect_schema()
    problems = [f"no column {d!r}" for d in DIMENSIONS if d not in schema]
    problems += [f"column {d!r} must be numeric (got {schema[d]})" for d in DIMENSIONS
                 if d in schema and not schema[d].is_numeric()]
    if problems:
        raise InvalidInputError("rfm_scores: " + "; ".join(problems)
                                + " (an RFM table from rfm_table has them)")


def _frame_counts(frame: Any) -> dict[str, tuple[Any, Any]]:
    """Each dimension's distinct values and their counts, in one query (a lazy frame's plan
    runs once, not once per dimension)."""
    import narwhals as nw

    _check_frame(frame)
    counted = nw.concat([
        frame.group_by(d).agg(nw.len().alias("__n")).select(
            nw.lit(i, dtype=nw.Int64).alias("__dimension"),
            nw.col(d).cast(nw.Float64).alias("__value"), nw.col("__n").cast(nw.Int64))
        for i, d in enumerate(DIMENSIONS)])
    if isinstance(counted, nw.LazyFrame):
        counted = counted.collect()
    dims = counted["__dimension"].to_numpy()
    values = counted["__value"].to_numpy().astype(np.float64, copy=False)
    ns = counted["__n"].to_numpy()
    out = {}
    for i, d in enumerate(DIMENSIONS):
        mask = dims == i
        v, n = values[mask], ns[mask]
        if not len(v):
            raise InvalidInputError("rfm_scores: the RFM table has no customers")
        if np.isnan(v).any():  # a null or NaN value (nulls come back as NaN here)
            raise InvalidInputError(f"rfm_scores: column {d!r} has null or NaN values")
        order = np.argsort(v, kind="stable")
        out[d] = (v[order], n[order])
    return out


def _records(records: list[object]) -> list[CustomerRfm]:
    out = []
    for i, r in enumerate(records):
        if isinstance(r, CustomerRfm):
            out.append(r)
            continue
        try:
            out.append(CustomerRfm.model_validate(r if isinstance(r, Mapping) else vars(r)))
        except (InvalidInputError, TypeError) as exc:
            raise InvalidInputError(f"rfm_scores: row {i} is not an RFM row "
                                    f"(got {type(r).__name__})") from exc
    if not out:
        raise InvalidInputError("rfm_scores: the RFM table has no customers")
    return out


def _record_counts(records: list[object]) -> dict[str, tuple[Any, Any]]:
    rows = _records(records)
    out = {}
    for d in DIMENSIONS:
        counted = Counter(float(getattr(r, d)) for r in rows)
        values = sorted(counted)
        out[d] = (values, [counted[v] for v in values])
    return out


# -- scoring -----------------------------------------------------------------------------------


def _code(scores: tuple[int, int, int], bins: int) -> str:
    return ("" if bins <= 9 else "-").join(map(str, scores))


def _score_record(r: CustomerRfm, t: RfmThresholds) -> CustomerScores:
    passed = [sum(c <= getattr(r, d) for c in t.cuts(d)) for d in DIMENSIONS]
    scores = (t.bins - passed[0], 1 + passed[1], 1 + passed[2])
    return CustomerScores(**r.model_dump(include=set(CustomerRfm.model_fields)),
                          r_score=scores[0], f_score=scores[1],
                          m_score=scores[2], rfm_code=_code(scores, t.bins))


def _score_frame(frame: Any, t: RfmThresholds) -> Any:
    import narwhals as nw

    _check_frame(frame)

    def passed(d: str) -> Any:
        total = nw.lit(0, dtype=nw.Int64)
        for c in t.cuts(d):
            total = total + (nw.col(d) >= c).cast(nw.Int64)
        return total

    r = (nw.lit(t.bins, dtype=nw.Int64) - passed("recency_days")).alias("r_score")
    f = (1 + passed("frequency")).cast(nw.Int64).alias("f_score")
    m = (1 + passed("monetary")).cast(nw.Int64).alias("m_score")
    scored = frame.with_columns(r, f, m)
    code = nw.concat_str([nw.col(c).cast(nw.String) for c in ("r_score", "f_score", "m_score")],
                         separator="" if t.bins <= 9 else "-").alias("rfm_code")
    return scored.with_columns(code).to_native()
