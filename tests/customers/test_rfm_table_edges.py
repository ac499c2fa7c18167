"""The edges of ``rfm_table`` (issue 12, R-01; survivors of the mutation run).

What the R-01 tests did not reach: a one-day window, recency exact to the microsecond far from
1970 and across leap years, a column kept in a zone with summer time, records in no particular
order, a refunds-only customer sorted before the others, and the records' error that names every
bad row (the first ten, then how many more).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frame_rows import rows
from servicekit.customers import rfm_table
from servicekit.errors import InvalidInputError, NaiveDatetimeError

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
D = timedelta(days=1)
H = timedelta(hours=1)
US = timedelta(microseconds=1)


def tx(*rows_: tuple[Any, Any, Any]) -> dict[str, list[Any]]:
    return {"customer_id": [r[0] for r in rows_], "ts": [r[1] for r in rows_],
            "amount": [r[2] for r in rows_]}


def as_records(columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(columns, values, strict=True))
            for values in zip(*columns.values(), strict=True)]


def test_r01_a_window_of_one_day() -> None:
    data = as_records(tx(("in", AS_OF - 23 * H, 1.0), ("out", AS_OF - 25 * H, 1.0)))
    assert [r.customer_id for r in rfm_table(data, as_of=AS_OF, window=D)] == ["in"]
    assert [r.customer_id for r in rfm_table(data, as_of=AS_OF, window=H)] == []


#: above 2**53 microseconds from 1970 (after June 2255), where a float no longer holds every
#: microsecond; its count is 3 modulo 4, halfway between two floats
FAR = datetime(2260, 1, 1, 0, 0, 0, 3, tzinfo=UTC)


def test_r01_recency_is_exact_to_the_microsecond_far_from_1970(constructor: Any) -> None:
    """Whole days, rounded down, in integers: a purchase one microsecond short of 5 days
    before ``as_of`` is 4 days ago, in 2260 as in 2026."""
    data = tx(("a", FAR - 5 * D + US, 1.0), ("b", FAR - 5 * D, 1.0), ("c", FAR, 1.0))
    got = [(r["customer_id"], r["recency_days"]) for r in rows(
        rfm_table(constructor(data), as_of=FAR))]
    assert got == [("a", 4), ("b", 5), ("c", 0)]


def test_r01_recency_counts_leap_days(constructor: Any) -> None:
    """2004 is a leap year (and 2000 was, by the 400-year rule): 1 March 2003 is 730 days
    before 28 February 2005 at noon, 28 February 2001 at noon 1,461 days, 28 February 2004 at
    noon 366 days."""
    data = tx(("a", datetime(2003, 3, 1, tzinfo=UTC), 1.0),
              ("b", datetime(2001, 2, 28, 12, tzinfo=UTC), 1.0),
              ("c", datetime(2004, 2, 28, 12, tzinfo=UTC), 1.0))
    got = [(r["customer_id"], r["recency_days"]) for r in rows(rfm_table(
        constructor(data), as_of=datetime(2005, 2, 28, 12, tzinfo=UTC), window=None))]
    assert got == [("a", 730), ("b", 1461), ("c", 366)]


def london(backend: str, instants: list[datetime]) -> Any:
    """Transactions whose timestamp column is kept in Europe/London (GMT in winter, BST in
    summer)."""
    columns = tx(*(("a", t, 1.0) for t in instants))
    if backend == "polars":
        import polars as pl

        return pl.DataFrame(columns).with_columns(
            pl.col("ts").dt.convert_time_zone("Europe/London"))
    import pandas as pd

    frame = pd.DataFrame(columns)
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True).dt.tz_convert("Europe/London")
    return frame


@pytest.mark.parametrize("backend", ["polars", "pandas"])
def test_r01_recency_is_from_the_instant_in_a_zone_with_summer_time(backend: str) -> None:
    """``as_of`` in January (London on GMT, offset 0), the last purchase in July (BST, one hour
    ahead): 180 days and 30 minutes are 180 days, the instants' difference, not the wall
    clocks'."""
    as_of = datetime(2026, 1, 15, tzinfo=UTC)
    last = as_of - 180 * D - timedelta(minutes=30)
    assert last.astimezone(ZoneInfo("Europe/London")).utcoffset() == H
    [got] = rows(rfm_table(london(backend, [last - 30 * D, last]), as_of=as_of))
    assert got["recency_days"] == 180
    assert got["last_purchase_at"] == last


def test_r01_first_and_last_purchase_in_records_of_any_order() -> None:
    data = as_records(tx(("a", AS_OF - 10 * D, 1.0), ("a", AS_OF - 30 * D, 1.0),
                         ("a", AS_OF - 20 * D, 1.0), ("a", AS_OF - 5 * D, -1.0)))
    [r] = rfm_table(data, as_of=AS_OF)
    assert (r.first_purchase_at, r.last_purchase_at, r.recency_days) == (
        AS_OF - 30 * D, AS_OF - 10 * D, 10)


@given(days=st.lists(st.integers(0, 800), min_size=1, max_size=12), seed=st.integers(0, 99))
def test_r01_the_order_of_the_records_changes_nothing(days: list[int], seed: int) -> None:
    """Records in any order make the same table: the first purchase is the earliest, the last
    the latest, whichever comes first in the list."""
    def at(d: int) -> datetime:
        return AS_OF - d * D - (d % 24) * H

    data = as_records(tx(*((f"c{d % 3}", at(d), float(d % 5 - 1)) for d in days)))
    shuffled = data[:]
    random.Random(seed).shuffle(shuffled)
    expected = rfm_table(data, as_of=AS_OF, window=None)
    assert rfm_table(shuffled, as_of=AS_OF, window=None) == expected
    for r in expected:
        mine = [at(d) for d in days if f"c{d % 3}" == r.customer_id and d % 5 >= 1]
        assert (r.first_purchase_at, r.last_purchase_at) == (min(mine), max(mine))


def test_r01_a_refunds_only_customer_leaves_the_others_in_the_table() -> None:
    data = as_records(tx(("a-refunds", AS_OF - D, -5.0), ("b", AS_OF - 2 * D, 3.0),
                         ("c", AS_OF - 3 * D, 4.0)))
    assert [r.customer_id for r in rfm_table(data, as_of=AS_OF)] == ["b", "c"]


# -- the records' error: every bad row, by number, never its value ---------------------------------


def test_every_bad_record_is_named_at_once() -> None:
    data = [{"customer_id": None, "ts": AS_OF, "amount": 1.0},
            {"customer_id": "a", "ts": AS_OF, "amount": "secret"},
            {"customer_id": "a", "ts": datetime(2026, 10, 1), "amount": 1.0},
            {"customer_id": "a", "ts": "secret", "amount": 1.0},
            {"customer_id": True, "ts": AS_OF, "amount": 1.0},
            {"customer_id": 1.5, "ts": AS_OF, "amount": 1.0},
            {"customer_id": "fine", "ts": AS_OF, "amount": 1.0}]
    with pytest.raises(InvalidInputError) as caught:
        rfm_table(data, as_of=AS_OF)
    message = str(caught.value)
    assert not isinstance(caught.value, NaiveDatetimeError)  # not only naive timestamps
    assert [f"row {i}:" in message for i in range(7)] == [True] * 6 + [False]
    assert "'customer_id' must be a string or an integer id (got bool)" in message
    assert "'ts' is a naive datetime" in message
    assert "'ts' must be a timezone-aware datetime (got str)" in message
    assert "secret" not in message


@pytest.mark.parametrize(("bad", "more"), [(10, ""), (11, "; and 1 more"),
                                           (1000, "; and 990 more")])
def test_the_error_names_ten_bad_records_and_counts_the_rest(bad: int, more: str) -> None:
    data = [{"customer_id": "a", "ts": AS_OF, "amount": "x"}] * bad
    with pytest.raises(InvalidInputError) as caught:
        rfm_table([*data, {"customer_id": "a", "ts": AS_OF, "amount": 1.0}], as_of=AS_OF)
    message = str(caught.value)
    assert [f"row {i}:" in message for i in range(11)] == [True] * 10 + [False]
    assert message.endswith("(got str)" + more)
