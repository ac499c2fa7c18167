"""Edges of the integer path (issue 20): what ``from_epoch_us`` and the ``*_many_us`` methods
accept and refuse, with the argument named in each message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from servicekit.calendar import EPOCH_US_MAX, EPOCH_US_MIN, BusinessCalendar, from_epoch_us
from servicekit.errors import CalendarError, InvalidInputError

CAL = BusinessCalendar(tz="Asia/Shanghai", hours="09:00-18:00")
T = 1_772_413_200_000_000  # Monday 2026-03-02 09:00 in Shanghai
H = 3_600_000_000


class Broken(tzinfo):
    """A host's tzinfo that gives no valid offset."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return timedelta(days=2)


def test_from_epoch_us_reads_integers_of_any_kind() -> None:
    want = datetime(2026, 3, 2, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    for us in (T, np.int64(T), np.uint64(T)):
        got = from_epoch_us(us, ZoneInfo("Asia/Shanghai"))  # type: ignore[arg-type]
        assert got == want
        assert type(got) is datetime
    assert from_epoch_us(0) == datetime(1970, 1, 1, tzinfo=UTC)
    assert from_epoch_us(-1) == datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)


def test_from_epoch_us_refuses_what_is_not_a_zone() -> None:
    with pytest.raises(InvalidInputError, match=r"^zone: expected a tzinfo, got str$"):
        from_epoch_us(T, "Asia/Shanghai")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match=r"^zone: the tzinfo gave no valid UTC offset$"):
        from_epoch_us(T, Broken())
    with pytest.raises(InvalidInputError, match=r"^us: expected an integer number of "
                                                r"microseconds, got float64$"):
        from_epoch_us(np.float64(T))  # type: ignore[arg-type]


def test_integer_arrays_are_read_exactly_or_refused() -> None:
    want = CAL.elapsed_many_us([T], [T + H]).tolist()
    assert want == [H]
    assert CAL.elapsed_many_us(np.array([T], dtype=np.uint64), [T + H]).tolist() == want
    assert CAL.elapsed_many_us(np.array([T], dtype=">i8"), [T + H]).tolist() == want
    with pytest.raises(CalendarError, match=r"^starts: values beyond int64$"):
        CAL.elapsed_many_us(np.array([2**63], dtype=np.uint64), [T])
    with pytest.raises(InvalidInputError, match=r"^ends: expected an integer array of "
                                                r"microseconds, got list$"):
        CAL.elapsed_many_us([T, T], [T, [T]])
    with pytest.raises(InvalidInputError, match=r"^amounts: expected an integer array of "
                                                r"microseconds, got dtype float64$"):
        CAL.add_many_us([T], [1.0])
    # empty arrays of any dtype are empty answers
    assert CAL.elapsed_many_us(np.zeros((0, 2)), np.zeros((0, 2))).shape == (0, 2)
    assert CAL.add_many_us(np.zeros(0, dtype=np.int32), np.zeros(0)).dtype == np.int64


def test_integer_paths_check_each_side_of_the_range() -> None:
    for bad in ([EPOCH_US_MIN - 1, T], [T, EPOCH_US_MAX + 1]):
        with pytest.raises(CalendarError, match=r"^ends: instants outside the years 2 to 9998$"):
            CAL.elapsed_many_us([T, T], bad)
        with pytest.raises(CalendarError, match=r"^starts: instants outside the years 2 to 9998$"):
            CAL.add_many_us(bad, [0, 0])
    with pytest.raises(CalendarError, match=r"^starts and ends differ in shape \(\(1,\) and "
                                            r"\(2,\)\)$"):
        CAL.elapsed_many_us([T], [T, T])


def test_integer_elapsed_spans_both_arrays() -> None:
    """Starts in one year and ends in another, on a fresh calendar: both years are built."""
    starts = [T - 365 * 24 * H, T]  # 2025 and 2026
    ends = [T, T - 365 * 24 * H]
    fresh = BusinessCalendar(tz="Asia/Shanghai", hours="09:00-18:00")
    got = fresh.elapsed_many_us(starts, ends)
    one_year = CAL.elapsed_many_us([starts[0]], [ends[0]])[0]
    assert got.tolist() == [one_year, -one_year]
    assert one_year == 260 * 9 * H  # Sunday 2025-03-02 09:00 to 52 weeks and a day later
