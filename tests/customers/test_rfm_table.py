"""``rfm_table`` (issue 12, R-01): one definition, every backend.

Each test runs once per input kind of the ``constructor`` fixture (records, pandas, polars,
pyarrow, DuckDB, Dask, PySpark) and states one rule: the window ``(as_of - window, as_of]``,
refunds in monetary but not in frequency, recency in whole days from the last purchase, and the
typed errors that name the column.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from frame_rows import rows
from servicekit.customers import CustomerRfm, rfm_table
from servicekit.errors import InvalidInputError, NaiveDatetimeError, ServiceKitError

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
D = timedelta(days=1)
H = timedelta(hours=1)


def tx(*rows_: tuple[str, datetime, float]) -> dict[str, list[Any]]:
    return {"customer_id": [r[0] for r in rows_], "ts": [r[1] for r in rows_],
            "amount": [r[2] for r in rows_]}


def row(customer: str, recency: int, frequency: int, monetary: float, *, first: datetime,
        last: datetime) -> dict[str, Any]:
    return {"customer_id": customer, "recency_days": recency, "frequency": frequency,
            "monetary": monetary, "first_purchase_at": first, "last_purchase_at": last}


def test_r01_recency_frequency_monetary_per_customer(constructor: Any) -> None:
    """R-01: frequency counts the purchases in the window, monetary sums the amounts (a refund
    included), recency is whole days from the last purchase (a refund is no purchase)."""
    data = tx(("a", AS_OF - 31 * D, 100.0), ("a", AS_OF - 11 * D - 12 * H, 50.0),
              ("a", AS_OF - 7 * D, -20.0),  # a refund: in monetary, not frequency or recency
              ("b", AS_OF - 184 * D, 30.0),
              ("c", AS_OF - 400 * D, 10.0))  # outside the 365 days
    result = rfm_table(constructor(data), as_of=AS_OF)
    assert rows(result) == [
        row("a", 11, 2, 130.0, first=AS_OF - 31 * D, last=AS_OF - 11 * D - 12 * H),
        row("b", 184, 1, 30.0, first=AS_OF - 184 * D, last=AS_OF - 184 * D),
    ]


def test_the_window_is_open_at_its_start_and_closed_at_as_of(constructor: Any) -> None:
    data = tx(("at-start", AS_OF - 365 * D, 1.0),  # out: the window is open at its start
              ("after-start", AS_OF - 365 * D + timedelta(seconds=1), 2.0),
              ("at-as-of", AS_OF, 3.0),  # in, 0 days ago
              ("future", AS_OF + timedelta(seconds=1), 4.0))  # after as_of: out
    result = rows(rfm_table(constructor(data), as_of=AS_OF))
    assert [(r["customer_id"], r["recency_days"]) for r in result] == [
        ("after-start", 364), ("at-as-of", 0)]
    everything = rows(rfm_table(constructor(data), as_of=AS_OF, window=None))
    assert [r["customer_id"] for r in everything] == ["after-start", "at-as-of", "at-start"]


def test_recency_rounds_down_to_whole_days(constructor: Any) -> None:
    data = tx(("a", AS_OF - 23 * H, 1.0), ("b", AS_OF - 25 * H, 1.0),
              ("c", AS_OF - 2 * D, 1.0))
    result = rows(rfm_table(constructor(data), as_of=AS_OF))
    assert [r["recency_days"] for r in result] == [0, 1, 2]


def test_a_customer_with_refunds_only_is_not_in_the_table(constructor: Any) -> None:
    """Nothing to score: no purchase in the window. A zero amount is a purchase."""
    data = tx(("refunds", AS_OF - D, -5.0), ("free", AS_OF - 2 * D, 0.0))
    result = rows(rfm_table(constructor(data), as_of=AS_OF))
    assert result == [row("free", 2, 1, 0.0, first=AS_OF - 2 * D, last=AS_OF - 2 * D)]


def test_as_of_in_any_zone_is_the_same_instant(constructor: Any) -> None:
    data = tx(("a", AS_OF - 36 * H, 10.0))
    shanghai = AS_OF.astimezone(ZoneInfo("Asia/Shanghai"))
    assert rows(rfm_table(constructor(data), as_of=shanghai)) == rows(
        rfm_table(constructor(data), as_of=AS_OF))


def test_other_column_names(constructor: Any) -> None:
    data = {"member": ["a", "a"], "paid_at": [AS_OF - D, AS_OF - 3 * D], "yuan": [5.0, 7.0]}
    result = rows(rfm_table(constructor(data), customer="member", at="paid_at", amount="yuan",
                            as_of=AS_OF))
    name = "customer_id" if constructor.backend == "records" else "member"  # CustomerRfm's
    assert result == [{name: "a", "recency_days": 1, "frequency": 2, "monetary": 12.0,
                       "first_purchase_at": AS_OF - 3 * D, "last_purchase_at": AS_OF - D}]


def test_a_lazy_frame_stays_lazy(constructor: Any) -> None:
    import narwhals as nw

    result = rfm_table(constructor(tx(("a", AS_OF - D, 1.0))), as_of=AS_OF)
    if constructor.backend == "records":
        assert result == [CustomerRfm(customer_id="a", recency_days=1, frequency=1,
                                      monetary=1.0, first_purchase_at=AS_OF - D,
                                      last_purchase_at=AS_OF - D)]
        return
    lazy = constructor.backend in ("duckdb", "dask", "pyspark")
    assert isinstance(nw.from_native(result), nw.LazyFrame) is lazy
    assert type(result).__module__.partition(".")[0] == type(
        constructor(tx(("a", AS_OF, 1.0)))).__module__.partition(".")[0]


# -- bad input: a typed error naming the column, never a value ----------------------------------


def refuse(constructor: Any, data: dict[str, list[Any]], error: type[ServiceKitError],
           match: str, **kw: Any) -> None:
    with pytest.raises(error, match=match) as caught:
        rfm_table(constructor(data), as_of=AS_OF, **kw)
    assert "secret" not in str(caught.value)


def test_a_missing_column_is_named(constructor: Any) -> None:
    data = {"customer_id": ["secret"], "ts": [AS_OF]}
    if constructor.backend == "records":
        refuse(constructor, data, InvalidInputError, "'amount'")
    else:
        refuse(constructor, data, InvalidInputError, "no column 'amount'")


def test_amounts_that_are_not_numbers_are_refused(constructor: Any) -> None:
    refuse(constructor, {"customer_id": ["a"], "ts": [AS_OF], "amount": ["secret"]},
           InvalidInputError, "'amount'")


def test_naive_timestamps_are_refused(constructor: Any) -> None:
    """A timestamp without a zone is a NaiveDatetimeError naming the column. Spark has no
    naive timestamps (its TimestampType is an instant, shown in the session's zone): there the
    same data arrives aware, and is accepted."""
    naive = {"customer_id": ["a"], "ts": [datetime(2026, 10, 1)], "amount": [1.0]}
    if constructor.backend in ("pandas", "dask", "pyspark"):
        import pandas as pd  # the fixture makes datetimes aware for these: build naive here

        frame = pd.DataFrame(naive)
        if constructor.backend == "pyspark":
            spark = constructor(tx(("x", AS_OF, 1.0))).sparkSession
            result = rows(rfm_table(spark.createDataFrame(frame), as_of=AS_OF))
            assert [r["recency_days"] for r in result] == [31]  # read in the session zone, UTC
            return
        import dask.dataframe as dd

        data: Any = frame if constructor.backend == "pandas" else dd.from_pandas(
            frame, npartitions=1)
    else:
        data = constructor(naive)
    with pytest.raises(NaiveDatetimeError, match="'ts'"):
        rfm_table(data, as_of=AS_OF)


def test_null_customer_ids_are_refused(constructor: Any) -> None:
    refuse(constructor, tx(("a", AS_OF, 1.0), (None, AS_OF, 2.0)),  # type: ignore[arg-type]
           InvalidInputError, "customer_id")


def test_no_transactions_is_refused(constructor: Any) -> None:
    if constructor.backend == "records":
        with pytest.raises(InvalidInputError, match="no transactions"):
            rfm_table([], as_of=AS_OF)
        return
    data = constructor(tx(("a", AS_OF, 1.0)))
    import narwhals as nw

    empty = nw.from_native(data).filter(nw.col("amount") > 1e9).to_native()
    with pytest.raises(InvalidInputError, match="no transactions"):
        rfm_table(empty, as_of=AS_OF)


def test_as_of_and_window_are_checked() -> None:
    data = [{"customer_id": "a", "ts": AS_OF, "amount": 1.0}]
    with pytest.raises(NaiveDatetimeError):
        rfm_table(data, as_of=datetime(2026, 11, 1))
    for window in (timedelta(0), -D, 365, "365d"):
        with pytest.raises(InvalidInputError, match="window"):
            rfm_table(data, as_of=AS_OF, window=window)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="data frame or an iterable"):
        rfm_table({"customer_id": ["a"]}, as_of=AS_OF)
    with pytest.raises(InvalidInputError, match="column name"):
        rfm_table(data, as_of=AS_OF, customer="")
