"""``rfm_scores`` and ``rfm_thresholds`` (issue 12, R-01): the cut points and the scores.

The cut-point rules are properties over any values (Hypothesis, on the pure function); the
scores are checked once per backend of the ``constructor`` fixture on one RFM table, and the
R ``rfm`` package's method against the package's own test of ``bins()`` (mtcars' mpg).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frame_rows import rows
from servicekit.customers import RfmThresholds, rfm_scores, rfm_thresholds
from servicekit.customers._thresholds import cuts_from_counts
from servicekit.errors import InvalidInputError

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
MTCARS_MPG = [21, 21, 22.8, 21.4, 18.7, 18.1, 14.3, 24.4, 22.8, 19.2, 17.8, 16.4, 17.3, 15.2,
              10.4, 10.4, 14.7, 32.4, 30.4, 33.9, 21.5, 15.5, 15.2, 13.3, 19.2, 27.3, 26, 30.4,
              15.8, 19.7, 15, 21.4]


def counts(values: list[float]) -> tuple[list[float], list[int]]:
    c = Counter(values)
    distinct = sorted(c)
    return distinct, [c[v] for v in distinct]


def score(value: float, cuts: tuple[float, ...]) -> int:
    return 1 + sum(c <= value for c in cuts)


def test_r_rfm_bins_are_the_r_packages_on_its_own_test() -> None:
    """rfm's tests/testthat/test-utils.R: bins(mtcars, mpg, 5) == c(16.20, 18.92, 22.00, 25.08)
    (R's type-7 quantiles at 0.2 … 0.8, plus one)."""
    cuts = cuts_from_counts(*counts(MTCARS_MPG), 5, "r-rfm")
    assert cuts == pytest.approx((16.20, 18.92, 22.00, 25.08), abs=1e-12)


values_lists = st.lists(st.integers(0, 40).map(float) | st.floats(-1e6, 1e6, width=32),
                        min_size=1, max_size=200)


@given(values=values_lists, bins=st.integers(2, 9))
def test_quantile_scores_share_ties_rise_with_the_value_and_reach_every_score(
        values: list[float], bins: int) -> None:
    """The quantile method's promises: equal values get equal scores (cut points are values),
    scores never fall as the value rises, and with at least ``bins`` distinct values every
    score from 1 to ``bins`` has customers."""
    cuts = cuts_from_counts(*counts(values), bins, "quantile")
    assert len(cuts) == bins - 1
    assert list(cuts) == sorted(cuts)
    scores = {v: score(v, cuts) for v in values}
    ordered = [scores[v] for v in sorted(scores)]
    assert ordered == sorted(ordered)
    assert all(1 <= s <= bins for s in ordered)
    if len(scores) >= bins:
        assert set(ordered) == set(range(1, bins + 1))
    elif len(scores) > 1:  # fewer distinct values: spread from the lowest to the highest score
        assert (ordered[0], ordered[-1]) == (1, bins)


@given(values=values_lists, bins=st.integers(2, 9))
def test_quantile_bins_hold_about_their_share_when_nothing_ties(values: list[float],
                                                                bins: int) -> None:
    """Distinct values: cut i is the first value with at least i/bins of the customers below
    it, so score s holds the customers whose rank is in [(s-1) n/bins, s n/bins), rounded up."""
    distinct = sorted(set(values))
    if len(distinct) < bins:
        return
    cuts = cuts_from_counts(distinct, [1] * len(distinct), bins, "quantile")
    n = len(distinct)
    for rank, v in enumerate(distinct):
        expected = 1 + sum(rank * bins >= i * n for i in range(1, bins))
        assert score(v, cuts) == expected


# -- on every backend ------------------------------------------------------------------------------


def rfm_rows() -> dict[str, list[Any]]:
    """Ten customers: recency 0 … 90 days, frequency 1 … 10, monetary 10 … 1,000 (ties)."""
    ids = [f"C-{i:02d}" for i in range(10)]
    return {"customer_id": ids, "recency_days": [i * 10 for i in range(10)],
            "frequency": [10 - i for i in range(10)],
            "monetary": [1000.0, 1000.0, 800.0, 500.0, 400.0, 300.0, 100.0, 50.0, 10.0, 10.0],
            "first_purchase_at": [AS_OF - timedelta(days=300)] * 10,
            "last_purchase_at": [AS_OF - timedelta(days=i * 10) for i in range(10)]}


def test_scores_agree_on_every_backend(constructor: Any) -> None:
    scored = rows(rfm_scores(constructor(rfm_rows()), bins=5))
    got = [(r["customer_id"], r["r_score"], r["f_score"], r["m_score"], r["rfm_code"])
           for r in scored]
    assert got == [
        ("C-00", 5, 5, 5, "555"), ("C-01", 5, 5, 5, "555"), ("C-02", 4, 4, 4, "444"),
        ("C-03", 4, 4, 4, "444"), ("C-04", 3, 3, 3, "333"), ("C-05", 3, 3, 3, "333"),
        ("C-06", 2, 2, 2, "222"), ("C-07", 2, 2, 2, "222"), ("C-08", 1, 1, 1, "111"),
        ("C-09", 1, 1, 1, "111")]


def test_thresholds_are_the_ones_used(constructor: Any) -> None:
    data = constructor(rfm_rows())
    used = rfm_thresholds(data, bins=5)
    assert used == RfmThresholds(method="quantile", bins=5,
                                 recency_days=(20.0, 40.0, 60.0, 80.0),
                                 frequency=(3.0, 5.0, 7.0, 9.0),
                                 monetary=(50.0, 300.0, 500.0, 1000.0))
    again = rows(rfm_scores(constructor(rfm_rows()), thresholds=used))
    assert again == rows(rfm_scores(constructor(rfm_rows()), bins=5))


def test_fixed_thresholds_follow_r_a_value_at_a_cut_is_past_it(constructor: Any) -> None:
    """R's custom bins: ``recency_bins = c(115, 181, 297, 482)`` and so on; a value equal to a
    cut point scores in the upper bin (F, M) or the lower (R)."""
    cuts = {"recency_days": [30, 60], "frequency": [5, 8], "monetary": [300, 1000]}
    scored = rows(rfm_scores(constructor(rfm_rows()), thresholds=cuts))
    got = {r["customer_id"]: (r["r_score"], r["f_score"], r["m_score"]) for r in scored}
    assert got["C-00"] == (3, 3, 3)  # 0 days, 10 orders, 1,000 (at the cut: past it)
    assert got["C-03"] == (2, 2, 2)  # 30 days (at the cut), 7 orders, 500
    assert got["C-06"] == (1, 1, 1)  # 60 days, 4 orders, 100
    assert got["C-05"] == (2, 2, 2)  # 50 days, 5 orders (at the cut), 300 (at the cut)


def test_r_rfm_method_on_every_backend(constructor: Any) -> None:
    scored = rows(rfm_scores(constructor(rfm_rows()), bins=5, method="r-rfm"))
    t = rfm_thresholds(constructor(rfm_rows()), bins=5, method="r-rfm")
    assert t.frequency == pytest.approx((3.8, 5.6, 7.4, 9.2))  # quantile(1:10, .2 …) + 1
    for r in scored:
        assert r["f_score"] == score(r["frequency"], t.frequency)
        assert r["r_score"] == 6 - score(r["recency_days"], t.recency_days)
        assert r["rfm_code"] == f"{r['r_score']}{r['f_score']}{r['m_score']}"


def test_bad_arguments_are_refused() -> None:
    data = [dict(zip(rfm_rows(), v, strict=True))
                      for v in zip(*rfm_rows().values(), strict=True)]
    for bins in (1, 100, 5.0, True, "5"):
        with pytest.raises(InvalidInputError, match="bins"):
            rfm_scores(data, bins=bins)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="method"):
        rfm_scores(data, method="jenks")
    for bad in ({"recency_days": [1]}, {"recency_days": [2, 1], "frequency": [1, 2],
                                        "monetary": [1, 2]},
                {"recency_days": [1], "frequency": [1, 2], "monetary": [1]},
                {"recency_days": ["a"], "frequency": [1], "monetary": [1]}):
        with pytest.raises(InvalidInputError, match="thresholds"):
            rfm_scores(data, thresholds=bad)
    with pytest.raises(InvalidInputError, match="no customers"):
        rfm_scores([])
