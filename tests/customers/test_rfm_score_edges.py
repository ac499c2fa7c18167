"""The edges of ``rfm_scores`` and its cut points (issue 12, R-01; survivors of the mutation run).

What the scoring tests did not reach: the ends of ``bins`` (2 and 99) and its default (5), the
code's separator from the tenth score on, fixed cut points of one or 98 values, a table whose
customers all share one value, few distinct values spread over the scale, a heavy tie at the
top, R's quantiles of one customer and of tied values, and the checks of a frame's columns.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frame_rows import rows
from servicekit.customers import rfm_scores, rfm_thresholds
from servicekit.customers._thresholds import cuts_from_counts
from servicekit.errors import InvalidInputError

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


def table(recency: list[int], frequency: list[int] | None = None,
          monetary: list[float] | None = None) -> dict[str, list[Any]]:
    """An RFM table of ``len(recency)`` customers (frequency and monetary default to
    recency-like ladders)."""
    n = len(recency)
    return {"customer_id": [f"C-{i:03d}" for i in range(n)], "recency_days": recency,
            "frequency": frequency if frequency is not None else [i + 1 for i in range(n)],
            "monetary": monetary if monetary is not None else [10.0 * (i + 1) for i in range(n)],
            "first_purchase_at": [AS_OF - timedelta(days=900)] * n,
            "last_purchase_at": [AS_OF - timedelta(days=r) for r in recency]}


def records(columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(columns, values, strict=True))
            for values in zip(*columns.values(), strict=True)]


def score(value: float, cuts: tuple[float, ...]) -> int:
    return 1 + sum(c <= value for c in cuts)


LADDER = table(list(range(10)))  # ten distinct values in every dimension


# -- bins: from 2 to 99, 5 by default -------------------------------------------------------------


def test_two_scores_are_the_fewest_and_five_the_default() -> None:
    two = rfm_scores(records(LADDER), bins=2)
    assert {(r.r_score, r.f_score, r.m_score) for r in two} == {(2, 1, 1), (1, 2, 2)}
    assert rfm_thresholds(records(LADDER), bins=2).bins == 2
    default = rfm_scores(records(LADDER))
    assert {r.f_score for r in default} == {1, 2, 3, 4, 5}  # ten values, five scores
    assert rfm_thresholds(records(LADDER)) == rfm_thresholds(records(LADDER), bins=5)


def test_ninety_nine_scores_are_the_most() -> None:
    data = table(list(range(99)))
    scored = rfm_scores(records(data), bins=99)
    assert sorted(r.f_score for r in scored) == list(range(1, 100))
    top = next(r for r in scored if r.recency_days == 0)
    assert (top.r_score, top.f_score, top.m_score, top.rfm_code) == (99, 1, 1, "99-1-1")


def test_bad_arguments_are_named_before_the_data_is_read() -> None:
    """An argument out of range is refused as such, even where the data would fail too (here
    an empty table): the caller learns what to change first."""
    for bins in (1, 100):
        with pytest.raises(InvalidInputError, match="bins must be an integer from 2 to 99"):
            rfm_thresholds([], bins=bins)
    with pytest.raises(InvalidInputError, match="method must be one of"):
        rfm_thresholds([], method="jenks")
    # "fixed" cut points come through thresholds=, never as a method to compute them by
    with pytest.raises(InvalidInputError, match="method must be one of"):
        rfm_scores(records(LADDER), method="fixed")


# -- the code: digits up to nine scores, joined by "-" from ten on --------------------------------


@pytest.mark.parametrize("bins", [9, 10])
def test_the_code_joins_scores_with_a_dash_from_ten_scores_on(constructor: Any,
                                                              bins: int) -> None:
    cuts = {d: list(range(1, bins)) for d in ("recency_days", "frequency", "monetary")}
    scored = rows(rfm_scores(constructor(LADDER), thresholds=cuts))
    join = "" if bins <= 9 else "-"
    assert [r["rfm_code"] for r in scored] == [
        join.join(map(str, (r["r_score"], r["f_score"], r["m_score"]))) for r in scored]
    assert max(r["f_score"] for r in scored) == bins
    assert max(r["r_score"] for r in scored) == bins


# -- fixed cut points ------------------------------------------------------------------------------


def test_one_fixed_cut_point_per_dimension_makes_two_scores() -> None:
    cuts = {"recency_days": [5], "frequency": [5], "monetary": [50]}
    scored = {r.customer_id: (r.r_score, r.f_score, r.m_score)
              for r in rfm_scores(records(LADDER), thresholds=cuts)}
    assert scored["C-000"] == (2, 1, 1)  # 0 days, 1 order, 10
    assert scored["C-005"] == (1, 2, 2)  # 5 days, 6 orders, 60: past every cut
    assert scored["C-004"] == (2, 2, 2)  # 4 days, 5 orders (at the cut), 50 (at the cut)


def test_fixed_cut_points_make_up_to_ninety_nine_scores() -> None:
    many = {d: list(range(1, 99)) for d in ("recency_days", "frequency", "monetary")}
    t = rfm_scores(records(LADDER), thresholds=many)
    assert max(r.r_score for r in t) == 99  # recency 0 passes none of the 98 cuts
    too_many = {d: list(range(1, 100)) for d in ("recency_days", "frequency", "monetary")}
    with pytest.raises(InvalidInputError, match="bins"):
        rfm_scores(records(LADDER), thresholds=too_many)  # 100 scores


def test_bins_and_the_thresholds_must_agree() -> None:
    cuts = {"recency_days": [2, 4, 6, 8], "frequency": [2, 4, 6, 8], "monetary": [20, 40, 60, 80]}
    assert rows(rfm_scores(records(LADDER), bins=5, thresholds=cuts)) == rows(
        rfm_scores(records(LADDER), thresholds=cuts))
    with pytest.raises(InvalidInputError, match="4 cut points make 5 scores, not bins=3"):
        rfm_scores(records(LADDER), bins=3, thresholds=cuts)
    used = rfm_thresholds(records(LADDER), bins=5)
    assert rows(rfm_scores(records(LADDER), bins=5, thresholds=used)) == rows(
        rfm_scores(records(LADDER), bins=5))
    with pytest.raises(InvalidInputError, match="make 5 scores, not bins=4"):
        rfm_scores(records(LADDER), bins=4, thresholds=used)


def test_thresholds_that_are_not_a_mapping_are_refused() -> None:
    for bad in ([115, 181, 297, 482], "recency_days", 5):
        with pytest.raises(InvalidInputError, match="thresholds must map each of"):
            rfm_scores(records(LADDER), thresholds=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="no dimension 'segment'"):
        rfm_thresholds(records(LADDER)).cuts("segment")


# -- the quantile method at its edges --------------------------------------------------------------


def test_one_value_passes_no_cut_whose_points_are_that_value_plus_one() -> None:
    """Every customer bought three times: nothing to tell apart, so everyone scores 1 in
    frequency (``bins`` in recency), and the cut points are the value plus one, as R's are;
    used on another table they put 4 orders past every cut."""
    same = table([7] * 6, frequency=[3] * 6, monetary=[25.0] * 6)
    t = rfm_thresholds(records(same), bins=5)
    assert (t.recency_days, t.frequency, t.monetary) == ((8.0,) * 4, (4.0,) * 4, (26.0,) * 4)
    assert {(r.r_score, r.f_score, r.m_score) for r in rfm_scores(records(same))} == {(5, 1, 1)}
    other = table([8, 7], frequency=[4, 3], monetary=[26.0, 25.0])
    assert [(r.r_score, r.f_score, r.m_score) for r in rfm_scores(records(other), thresholds=t)
            ] == [(1, 5, 5), (5, 1, 1)]


@given(values=st.lists(st.integers(-1000, 1000), min_size=2, max_size=8, unique=True),
       counts=st.lists(st.integers(1, 50), min_size=8, max_size=8), bins=st.integers(3, 9))
def test_fewer_distinct_values_than_scores_spread_over_the_scale(
        values: list[int], counts: list[int], bins: int) -> None:
    """k < bins distinct values: the j-th (from 0) scores 1 + round(j (bins - 1) / (k - 1)),
    halves rounded up, whatever the number of customers holding each."""
    k = len(values)
    if k >= bins:
        return
    distinct = sorted(float(v) for v in values)
    cuts = cuts_from_counts(distinct, counts[:k], bins, "quantile")
    got = [score(v, cuts) for v in distinct]
    # round half up, in integers: floor((2 j (bins - 1) + (k - 1)) / (2 (k - 1)))
    assert got == [1 + (2 * j * (bins - 1) + (k - 1)) // (2 * (k - 1)) for j in range(k)]


def test_three_values_over_five_scores_are_one_three_five() -> None:
    cuts = cuts_from_counts([1.0, 2.0, 3.0], [5, 1, 5], 5, "quantile")
    assert [score(v, cuts) for v in (1.0, 2.0, 3.0)] == [1, 3, 5]


counts_lists = st.lists(st.integers(1, 5000), min_size=2, max_size=30)


@given(counts=counts_lists, bins=st.integers(2, 9))
def test_every_score_is_reached_however_the_customers_pile_up(counts: list[int],
                                                              bins: int) -> None:
    """At least ``bins`` distinct values, however many customers share each (a heavy tie at
    the top is where pandas' qcut(duplicates="drop") loses the top score): every score from 1
    to ``bins`` has a value, and scores rise with the value."""
    if len(counts) < bins:
        return
    distinct = [float(v) for v in range(len(counts))]
    cuts = cuts_from_counts(distinct, counts, bins, "quantile")
    got = [score(v, cuts) for v in distinct]
    assert got == sorted(got)
    assert set(got) == set(range(1, bins + 1))


def test_a_heavy_tie_at_the_top_leaves_a_value_for_each_score() -> None:
    cuts = cuts_from_counts([1.0, 2.0, 3.0, 4.0, 5.0], [1, 1, 1, 1, 100], 5, "quantile")
    assert [score(v, cuts) for v in (1.0, 2.0, 3.0, 4.0, 5.0)] == [1, 2, 3, 4, 5]


# -- r-rfm: R's quantiles --------------------------------------------------------------------------


def test_r_rfm_of_one_customer_is_its_value_plus_one() -> None:
    """R: quantile(x, probs) of a single value is that value at every probability."""
    one = table([12], frequency=[2], monetary=[99.5])
    t = rfm_thresholds(records(one), bins=5, method="r-rfm")
    assert (t.recency_days, t.frequency, t.monetary) == ((13.0,) * 4, (3.0,) * 4, (100.5,) * 4)
    [r] = rfm_scores(records(one), method="r-rfm")
    assert (r.r_score, r.f_score, r.m_score) == (5, 1, 1)


def test_r_rfm_keeps_tied_order_statistics_exactly() -> None:
    """R's type-7 quantile interpolates only between different order statistics: four
    customers at 123.45 give cut points of exactly 124.45, not an interpolation that rounds to
    124.44999999999999 (which would move a customer at 124.45 down a score)."""
    tied = table([1, 2, 3, 4], monetary=[123.45] * 4)
    t = rfm_thresholds(records(tied), bins=5, method="r-rfm")
    assert t.monetary == (124.45,) * 4
    at_cut = table([1], monetary=[124.45])
    [r] = rfm_scores(records(at_cut), thresholds=t)
    assert r.m_score == 5


# -- a frame's columns -----------------------------------------------------------------------------


def test_a_frame_without_the_rfm_columns_is_refused() -> None:
    import polars as pl

    frame = pl.DataFrame(LADDER)
    with pytest.raises(InvalidInputError, match="no column 'monetary'"):
        rfm_scores(frame.drop("monetary"))
    with pytest.raises(InvalidInputError, match="no column 'frequency'"):
        rfm_scores(frame.drop("frequency"), thresholds=rfm_thresholds(frame))
    text = frame.with_columns(pl.col("monetary").cast(pl.String))
    with pytest.raises(InvalidInputError, match="'monetary' must be numeric") as caught:
        rfm_scores(text)
    assert "10.0" not in str(caught.value)  # the type, never a value


def test_a_frame_with_no_customers_or_null_values_is_refused() -> None:
    import polars as pl

    frame = pl.DataFrame(LADDER)
    with pytest.raises(InvalidInputError, match="no customers"):
        rfm_scores(frame.clear())
    holes = frame.with_columns(pl.when(pl.col("frequency") == 3).then(None)
                               .otherwise(pl.col("monetary")).alias("monetary"))
    with pytest.raises(InvalidInputError, match="'monetary' has null or NaN values"):
        rfm_scores(holes)
    nan = frame.with_columns(pl.col("monetary") * float("nan"))
    with pytest.raises(InvalidInputError, match="'monetary' has null or NaN values"):
        rfm_thresholds(nan)


def test_a_record_that_is_not_an_rfm_row_is_named_by_its_position() -> None:
    good = records(LADDER)
    for bad in (42, {"customer_id": "x", "recency_days": 1}):
        with pytest.raises(InvalidInputError, match="row 2 is not an RFM row"):
            rfm_scores([*good[:2], bad, *good[2:]])
