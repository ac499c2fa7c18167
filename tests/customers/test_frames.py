"""What the customer functions take (issue 12): frames, records, and what is neither.

``epoch_us`` is the one piece of arithmetic the frame path writes by hand (narwhals has no
portable epoch, see its docstring): it is held to Python's own datetime arithmetic on every
instant from year 1 to 9999, and on every backend on a fixed set of instants.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicekit._frames import as_frame, epoch_us
from servicekit.customers import rfm_table
from servicekit.errors import InvalidInputError, NaiveDatetimeError

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE = [{"customer_id": "a", "ts": datetime(2026, 10, 1, tzinfo=UTC), "amount": 1.0}]


def python_epoch_us(instant: datetime) -> int:
    return (instant - EPOCH) // timedelta(microseconds=1)


def epoch_of(native: Any) -> list[int]:
    import narwhals as nw

    frame = nw.from_native(native)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    out = frame.select(epoch_us(nw.col("t")).alias("us"))
    return [int(v) for v in out["us"].to_list()]


@given(st.lists(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31),
                             timezones=st.just(UTC)), min_size=1, max_size=20))
def test_epoch_us_is_pythons_arithmetic_from_year_1_to_9999(instants: list[datetime]) -> None:
    import polars as pl

    frame = pl.DataFrame({"t": instants}, schema={"t": pl.Datetime("us", "UTC")})
    assert epoch_of(frame) == [python_epoch_us(i) for i in instants]


#: century years (leap and not), both sides of 1970, every field non-zero
INSTANTS = [datetime(1970, 1, 1, tzinfo=UTC),
            datetime(2026, 11, 1, 23, 59, 59, 999_999, tzinfo=UTC),
            datetime(2000, 2, 29, 12, 34, 56, 789_012, tzinfo=UTC),
            datetime(2100, 3, 1, 1, 2, 3, 4, tzinfo=UTC),
            datetime(2400, 12, 31, 7, 8, 9, 10, tzinfo=UTC),
            datetime(1900, 3, 1, 13, 14, 15, tzinfo=UTC),
            datetime(1600, 1, 1, 23, 59, 59, tzinfo=UTC)]


def test_epoch_us_agrees_on_every_backend(frame_constructor: Any) -> None:
    """Spark is left pre-1970 instants with whole seconds: it reads a negative epoch with a
    fraction one second off (a known Spark conversion quirk, outside servicekit)."""
    assert epoch_of(frame_constructor({"t": INSTANTS})) == [python_epoch_us(i)
                                                            for i in INSTANTS]


class Ledger:
    """An iterable of records that is neither a builtin nor a frame (a host's own class)."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(ONE)


class Opaque:
    """Neither iterable nor a frame."""


def test_a_hosts_own_iterable_is_records() -> None:
    [customer] = rfm_table(Ledger(), as_of=AS_OF)
    assert (customer.customer_id, customer.frequency, customer.recency_days) == ("a", 1, 31)


def test_what_is_neither_a_frame_nor_records_is_refused() -> None:
    import polars as pl

    for data in (42, object(), Opaque(), None, "customer_id", b"", {"customer_id": ["a"]}):
        with pytest.raises(InvalidInputError, match="expected a data frame or an iterable"):
            rfm_table(data, as_of=AS_OF)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="got a series"):
        rfm_table(pl.Series("amount", [1.0]), as_of=AS_OF)  # type: ignore[arg-type]


def test_without_the_frames_extra_records_still_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import narwhals`` failing (the extra not installed) leaves the records path whole and
    says which extra a frame needs."""
    monkeypatch.setitem(sys.modules, "narwhals", None)  # makes `import narwhals` raise
    assert as_frame(Ledger(), "rfm_table") is None
    with pytest.raises(InvalidInputError, match=r"servicekit\[frames\]"):
        as_frame(Opaque(), "rfm_table")


def test_records_never_import_a_frame_library() -> None:
    """The service path (a few records) stays light: no narwhals, no polars."""
    code = ("import sys; from datetime import datetime, UTC; "
            "from servicekit.customers import rfm_table, rfm_scores; "
            "rfm_scores(rfm_table([{'customer_id': 'a', 'ts': datetime(2026, 1, 1, tzinfo=UTC),"
            " 'amount': 1.0}], as_of=datetime(2026, 2, 1, tzinfo=UTC)), bins=2); "
            "print(sorted(m for m in ('narwhals', 'polars', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_one_naive_column_is_a_naive_datetime_error_and_more_problems_are_not() -> None:
    import polars as pl

    naive = pl.DataFrame({"customer_id": ["a"], "ts": [datetime(2026, 10, 1)],
                          "amount": [1.0]})
    with pytest.raises(NaiveDatetimeError, match="'ts'"):
        rfm_table(naive, as_of=AS_OF)
    both = naive.with_columns(pl.lit("secret").alias("amount"))
    with pytest.raises(InvalidInputError, match=r"'amount'.*'ts'") as info:
        rfm_table(both, as_of=AS_OF)
    assert not isinstance(info.value, NaiveDatetimeError)
    assert "secret" not in str(info.value)
    text = pl.DataFrame({"customer_id": ["a"], "ts": [datetime(2026, 10, 1, tzinfo=UTC)],
                         "amount": ["secret"]})
    with pytest.raises(InvalidInputError, match="'amount' must be numeric") as info:
        rfm_table(text, as_of=AS_OF)
    assert not isinstance(info.value, NaiveDatetimeError)
