"""Where the RFM scores change (issue 12): the cut points of each dimension.

A dimension's scores are decided by its **cut points** ``c_1 <= … <= c_(bins-1)``: a value
``x`` passes ``#{i : c_i <= x}`` of them. Frequency and monetary score ``1 + passed``;
recency, where fewer days is better, scores ``bins - passed``. A value equal to a cut point is
past it (the R ``rfm`` package's rule). Cut points may repeat: a repeated one skips a score.

Three ways to get them, all from the customers' values (never the transactions):

* ``"quantile"`` (servicekit's): over the distinct values ``v_1 < … < v_k`` with ``n_j``
  customers below ``v_j``, cut ``i`` is the first distinct value with at least ``i / bins`` of
  the customers below it, moved up just past the previous cut, or down just enough to leave a
  distinct value for each later one. So equal values share a score, scores rise with the
  value, and with at least ``bins`` distinct values every score from 1 to ``bins`` has
  customers. With fewer (``k < bins``), the distinct values spread over the scale: ``v_j``
  passes ``round((j - 1) (bins - 1) / (k - 1))`` cuts (the lowest 0, the highest all); a
  single value passes none (the cut points are that value plus one, as R's are).
* ``"r-rfm"``: the R package's ``bins()``: R's default (type 7) quantiles at ``i / bins``,
  plus one, computed as R computes them, so the scores are the package's. Ties can make two
  cut points equal (an empty score) and the top score unreachable, as in R.
* fixed cut points given by the caller, as R's ``recency_bins = c(115, 181, 297, 482)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
from pydantic import Field

from servicekit._model import ValueModel
from servicekit.errors import InvalidInputError

__all__ = ["DIMENSIONS", "RfmThresholds", "cuts_from_counts", "fixed_cuts"]

#: the RFM table's value columns, in the order of the code ("545": recency, frequency, money)
DIMENSIONS = ("recency_days", "frequency", "monetary")
Method = Literal["quantile", "r-rfm", "fixed"]


class RfmThresholds(ValueModel):
    """The cut points used for each dimension, and how they were found (see the module)."""

    method: Method
    bins: int = Field(ge=2, le=99, description="scores run from 1 to bins")
    recency_days: tuple[float, ...]
    frequency: tuple[float, ...]
    monetary: tuple[float, ...]

    def cuts(self, dimension: str) -> tuple[float, ...]:
        if dimension not in DIMENSIONS:
            raise InvalidInputError(f"thresholds: no dimension {dimension!r}")
        return tuple(getattr(self, dimension))


def cuts_from_counts(values: Sequence[float], counts: Sequence[int], bins: int,
                     method: Method) -> tuple[float, ...]:
    """The cut points of one dimension from its distinct values (ascending) and how many
    customers have each (arrays of any length: the work is numpy's, not a Python loop)."""
    v = np.asarray(values, dtype=np.float64)
    ends = np.cumsum(np.asarray(counts, dtype=np.int64))  # customers up to each value
    if method == "r-rfm":
        return _r_bins(v, ends, bins)
    return _quantile_cuts(v, ends, bins)


def _quantile_cuts(values: Any, ends: Any, bins: int) -> tuple[float, ...]:
    k = len(values)
    if k == 1:  # nothing to tell apart: every customer passes no cut (as in R)
        return (float(values[0]) + 1,) * (bins - 1)
    if k < bins:  # spread the distinct values over the scale
        passed = [math.floor((j * (bins - 1)) / (k - 1) + 0.5) for j in range(k)]
        return tuple(float(values[next(j for j in range(k) if passed[j] >= i)])
                     for i in range(1, bins))
    total = int(ends[-1])
    starts = np.concatenate(([0], ends[:-1])) * bins  # customers below each value, x bins
    cuts: list[int] = []
    for i in range(1, bins):
        first = int(np.searchsorted(starts, i * total, side="left"))  # first with >= i/bins
        chosen = max(first, (cuts[-1] + 1) if cuts else 1)
        cuts.append(min(chosen, k - (bins - i)))
    return tuple(float(values[j]) for j in cuts)


def _order_statistic(values: Any, ends: Any, index: int) -> float:
    """The ``index``-th (1-based) smallest customer value."""
    return float(values[int(np.searchsorted(ends, index, side="left"))])


def _r_bins(values: Any, ends: Any, bins: int) -> tuple[float, ...]:
    """R's ``quantile(x, probs = seq(0, 1, length.out = bins + 1))`` without its ends, plus one
    (``rfm:::bins``), computed in R's order of operations."""
    n = int(ends[-1])
    by = 1 / bins  # seq(0, 1, length.out = bins + 1): from + (0:bins) * by
    out = []
    for i in range(1, bins):
        index = 1 + max(n - 1, 0) * (i * by)
        lo, hi = math.floor(index), math.ceil(index)
        low = _order_statistic(values, ends, lo)
        q = low
        high = _order_statistic(values, ends, hi)
        if index > lo and high != low:
            h = index - lo
            q = (1 - h) * low + h * high
        out.append(q + 1)
    return tuple(out)


def fixed_cuts(given: Mapping[str, object], bins: int | None) -> tuple[int, dict[str, tuple[
        float, ...]]]:
    """The caller's cut points, checked: every dimension, non-decreasing finite numbers, the
    same number of them for each (``bins - 1``)."""
    if not isinstance(given, Mapping):
        raise InvalidInputError("rfm_scores: thresholds must map each of recency_days, "
                                f"frequency, monetary to cut points (got {type(given).__name__})")
    missing = [d for d in DIMENSIONS if d not in given]
    extra = sorted(str(k) for k in given if k not in DIMENSIONS)
    if missing or extra:
        raise InvalidInputError("rfm_scores: thresholds" + (
            f" lack {', '.join(missing)}" if missing else "") + (
            f" name unknown dimensions {', '.join(map(repr, extra))}" if extra else ""))
    out: dict[str, tuple[float, ...]] = {}
    for d in DIMENSIONS:
        cuts = given[d]
        if isinstance(cuts, (str, bytes)) or not isinstance(cuts, Sequence) or not all(
                isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c)
                for c in cuts):
            raise InvalidInputError(f"rfm_scores: thresholds[{d!r}] must be a list of finite "
                                    "numbers")
        if list(cuts) != sorted(cuts):
            raise InvalidInputError(f"rfm_scores: thresholds[{d!r}] must not decrease")
        out[d] = tuple(float(c) for c in cuts)
    sizes = {len(v) for v in out.values()}
    if len(sizes) != 1 or 0 in sizes:
        raise InvalidInputError("rfm_scores: thresholds need the same number of cut points "
                                "(at least one) for every dimension")
    found = sizes.pop() + 1
    if bins is not None and bins != found:
        raise InvalidInputError(f"rfm_scores: {found - 1} cut points make {found} scores, "
                                f"not bins={bins}")
    return found, out
