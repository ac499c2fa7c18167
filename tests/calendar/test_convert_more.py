"""More conversion edges (issue 20): plain datetimes whose zone gives no offset, plain zones
kept as they are, big-endian arrays, unsigned integers at the int64 limit."""

from __future__ import annotations

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from servicekit.calendar import BusinessCalendar, require_aware
from servicekit.errors import CalendarError, NaiveDatetimeError

ALWAYS = BusinessCalendar.always()


class NoOffset(tzinfo):
    def utcoffset(self, dt: datetime | None) -> None:
        return None


class Stamp(datetime):
    pass


def test_a_plain_datetime_whose_zone_gives_no_offset_is_naive() -> None:
    t = datetime(2026, 3, 2, 10, tzinfo=NoOffset())
    with pytest.raises(NaiveDatetimeError, match=r"^t: naive datetime"):
        require_aware(t, "t")
    with pytest.raises(NaiveDatetimeError, match=r"^t: naive datetime"):
        ALWAYS.is_open(t)


def test_a_plain_zoneinfo_is_kept_as_it_is() -> None:
    """Even one made with ZoneInfo.no_cache: it is not swapped for the cached one of its key."""
    zone = ZoneInfo.no_cache("Asia/Shanghai")
    assert zone is not ZoneInfo("Asia/Shanghai")
    plain = require_aware(Stamp(2026, 3, 2, 10, tzinfo=zone), "t")
    assert type(plain) is datetime
    assert plain.tzinfo is zone


def test_big_endian_arrays_are_read_by_value() -> None:
    native = np.array(["2026-03-02T10:00", "2026-03-03T12:30"], dtype="datetime64[us]")
    big = native.astype(">M8[us]")
    assert not big.dtype.isnative
    cal = BusinessCalendar(tz="UTC", hours="09:00-18:00")
    assert cal.elapsed_many(big, big[::-1], unit="us").tolist() == cal.elapsed_many(
        native, native[::-1], unit="us").tolist()
    durations = np.array([3600, 60], dtype=">m8[s]")
    assert cal.add_many(big, durations).tolist() == cal.add_many(
        native, durations.astype("m8[s]")).tolist()
    assert cal.add_many(big, durations)[0] == np.datetime64("2026-03-02T11:00", "us")


def test_unsigned_instants_up_to_the_int64_limit_are_range_checked_as_instants() -> None:
    at_limit = np.array([2**63 - 1], dtype=np.uint64)
    with pytest.raises(CalendarError, match=r"^starts: instants outside the years 2 to 9998$"):
        ALWAYS.elapsed_many_us(at_limit, [0])
    with pytest.raises(CalendarError, match=r"^starts: values beyond int64$"):
        ALWAYS.elapsed_many_us(at_limit + np.uint64(1), [0])
    assert ALWAYS.elapsed_many_us(np.array([0], dtype=np.uint64), [3600 * 10**6]).tolist() == [
        3600 * 10**6
    ]


def test_big_endian_arrays_are_range_checked_by_value() -> None:
    """Read as native bytes, 4 us after the epoch would be 2**58 us (year 11105), and an
    instant in year 9999 could look like one in range: the check reads the values."""
    near_epoch = np.array([4], dtype=">i8").view(">M8[us]")
    assert ALWAYS.elapsed_many(near_epoch, near_epoch, unit="us").tolist() == [0]
    late = np.array(["9999-06-01"], dtype=">M8[us]")
    with pytest.raises(CalendarError, match=r"^starts: instants outside the years 2 to 9998$"):
        ALWAYS.elapsed_many(late, late)
