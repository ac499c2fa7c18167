"""The public integer path: ``elapsed_many_us`` / ``add_many_us`` on epoch microseconds, and
``to_epoch_us`` / ``from_epoch_us``: agreement with the datetime paths, shapes, units, range
checks and errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from servicekit.calendar import (
    EPOCH_US_MAX,
    EPOCH_US_MIN,
    BusinessCalendar,
    from_epoch_us,
    to_epoch_us,
)
from servicekit.errors import CalendarError, InvalidInputError, NaiveDatetimeError

SH = ZoneInfo("Asia/Shanghai")
CAL = BusinessCalendar.china(hours="09:00-12:00,13:00-18:00")
NY = BusinessCalendar(tz="America/New_York", hours={"mon": "09:00-17:00", "sun": "01:00-04:00"})
US = timedelta(microseconds=1)
T0 = to_epoch_us(datetime(2025, 1, 2, tzinfo=UTC))
SPAN = to_epoch_us(datetime(2026, 12, 1, tzinfo=UTC)) - T0


def _random(seed: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    starts = T0 + rng.integers(0, SPAN, n)
    ends = starts + rng.integers(-5 * 86_400 * 10**6, 20 * 86_400 * 10**6, n)
    amounts = rng.choice([0, 1, 10**6, 3_600 * 10**6, 8 * 3_600 * 10**6 + 1], n) + (
        rng.integers(0, 40 * 3_600 * 10**6, n) * rng.integers(0, 2, n))
    return starts, ends, amounts


@pytest.mark.parametrize("cal", [CAL, NY], ids=["china", "new_york"])
def test_integer_paths_agree_with_the_datetime_and_scalar_paths(cal: BusinessCalendar) -> None:
    """On random instants (2025-2026, both DST changes in New York, Chinese holidays and
    make-up days), the integer methods give exactly what the datetime methods and the scalar
    ``elapsed`` / ``add`` give, microsecond for microsecond."""
    starts, ends, amounts = _random(20261001, 400)
    elapsed = cal.elapsed_many_us(starts, ends)
    assert elapsed.dtype == np.int64
    as_dt64 = starts.view("datetime64[us]"), ends.view("datetime64[us]")
    assert np.array_equal(elapsed, cal.elapsed_many(*as_dt64, unit="us"))
    added = cal.add_many_us(starts, amounts)
    assert added.dtype == np.int64
    expected = cal.add_many(starts.view("datetime64[us]"), amounts.view("timedelta64[us]"))
    assert np.array_equal(added, expected.view(np.int64))
    for i in range(0, 400, 7):  # the scalar path, through the public conversions
        a, b = from_epoch_us(int(starts[i]), cal.zone), from_epoch_us(int(ends[i]), cal.zone)
        assert cal.elapsed(a, b) == US * int(elapsed[i])
        u = cal.add(a, US * int(amounts[i]))
        assert to_epoch_us(u) == added[i]


def test_sequences_of_ints_and_other_integer_dtypes_are_accepted() -> None:
    starts, ends, amounts = _random(7, 20)
    want = CAL.elapsed_many_us(starts, ends)
    assert np.array_equal(CAL.elapsed_many_us(starts.tolist(), ends.tolist()), want)
    assert np.array_equal(CAL.elapsed_many_us(starts.astype(np.uint64), ends), want)
    assert np.array_equal(CAL.add_many_us(list(starts), amounts.astype(np.int32) // 1000 * 0),
                          starts)  # adding zero keeps the starts
    # any shape, kept
    grid = CAL.elapsed_many_us(starts.reshape(4, 5), ends.reshape(4, 5))
    assert grid.shape == (4, 5)
    assert np.array_equal(grid.ravel(), want)
    assert CAL.elapsed_many_us([], []).shape == (0,)
    assert CAL.add_many_us(np.zeros(0, dtype=np.int64), []).shape == (0,)


def test_errors_name_the_argument_never_the_value() -> None:
    ok = np.array([T0], dtype=np.int64)
    with pytest.raises(CalendarError, match="shape"):
        CAL.elapsed_many_us(ok, np.array([T0, T0]))
    with pytest.raises(CalendarError, match="shape"):
        CAL.add_many_us(ok, np.array([1, 2]))
    with pytest.raises(InvalidInputError, match="starts: expected an integer array"):
        CAL.elapsed_many_us(ok.astype(float), ok)
    with pytest.raises(InvalidInputError, match="ends: expected an integer array"):
        CAL.elapsed_many_us(ok, ok.view("datetime64[us]"))
    with pytest.raises(InvalidInputError, match="amounts: negative"):
        CAL.add_many_us(ok, np.array([-1]))
    with pytest.raises(CalendarError, match="amounts: more business time"):
        CAL.add_many_us(ok, np.array([EPOCH_US_MAX - EPOCH_US_MIN + 1]))
    for bad in (EPOCH_US_MIN - 1, EPOCH_US_MAX + 1, np.iinfo(np.int64).max):
        with pytest.raises(CalendarError, match="outside the years 2 to 9998") as info:
            CAL.elapsed_many_us(ok, np.array([bad]))
        assert str(bad) not in str(info.value)
        with pytest.raises(CalendarError, match="starts: instants outside"):
            CAL.add_many_us(np.array([bad]), np.array([0]))
    # the ends of the range themselves are fine (a fresh calendar each: one year built)
    for edge in (EPOCH_US_MIN, EPOCH_US_MAX):
        at = np.array([edge])
        assert BusinessCalendar.always().elapsed_many_us(at, at).tolist() == [0]


def test_to_and_from_epoch_us() -> None:
    t = datetime(2026, 10, 8, 9, 0, 0, 1, tzinfo=SH)
    us = to_epoch_us(t)
    assert us == (t - datetime(1970, 1, 1, tzinfo=UTC)) // US
    assert from_epoch_us(us, SH) == t
    assert from_epoch_us(us, SH).tzinfo is SH
    assert from_epoch_us(us) == t
    assert from_epoch_us(us).tzinfo is UTC
    assert from_epoch_us(np.int64(us), timezone(timedelta(hours=-3))) == t
    assert to_epoch_us(from_epoch_us(EPOCH_US_MIN)) == EPOCH_US_MIN
    with pytest.raises(NaiveDatetimeError, match="start"):
        to_epoch_us(datetime(2026, 1, 1), "start")
    with pytest.raises(InvalidInputError, match="value"):
        to_epoch_us("2026-01-01T00:00:00+00:00")  # type: ignore[arg-type]
    with pytest.raises(CalendarError, match="outside"):
        to_epoch_us(datetime(9999, 12, 31, tzinfo=UTC))
    with pytest.raises(InvalidInputError, match="integer"):
        from_epoch_us(1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="integer"):
        from_epoch_us(True)
    with pytest.raises(CalendarError, match="1 to 9999"):
        from_epoch_us(2**62)
