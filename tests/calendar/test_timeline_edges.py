"""Edges of the business-time engine (issue 20: the mutation run found them unpinned).

``open_intervals`` that start or end inside an open interval, ``next_close`` across the end of
the built years and at its 400-day horizon, and computations at the edges of the supported
years (2 and 9998).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from servicekit.calendar import (
    EPOCH_US_MAX,
    EPOCH_US_MIN,
    MAX_INTERVALS,
    MAX_SPAN_YEARS,
    MAX_YEAR,
    MIN_YEAR,
    WEEKDAYS,
    BusinessCalendar,
    from_epoch_us,
    to_epoch_us,
)
from servicekit.errors import CalendarCoverageError, CalendarError

SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
DAY = timedelta(days=1)
US = timedelta(microseconds=1)
ALL_WEEK = dict.fromkeys(WEEKDAYS, "00:00-24:00")


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


# -- open_intervals ----------------------------------------------------------------------------


@pytest.fixture
def desk() -> BusinessCalendar:
    return BusinessCalendar(tz="Asia/Shanghai", hours="09:00-12:00,13:00-18:00")


def test_open_intervals_starting_inside_an_open_interval(desk: BusinessCalendar) -> None:
    # Monday 2026-03-02 10:00 to Tuesday 10:30: the first interval is clipped at its start
    assert desk.open_intervals(sh(2026, 3, 2, 10), sh(2026, 3, 3, 10, 30)) == [
        (sh(2026, 3, 2, 10), sh(2026, 3, 2, 12)),
        (sh(2026, 3, 2, 13), sh(2026, 3, 2, 18)),
        (sh(2026, 3, 3, 9), sh(2026, 3, 3, 10, 30)),
    ]
    # both ends inside one interval
    assert desk.open_intervals(sh(2026, 3, 2, 14), sh(2026, 3, 2, 15)) == [
        (sh(2026, 3, 2, 14), sh(2026, 3, 2, 15))
    ]


def test_open_intervals_leave_out_what_only_touches_the_span(desk: BusinessCalendar) -> None:
    """Half-open intervals: one that ends at the span's start or starts at its end is not in it."""
    assert desk.open_intervals(sh(2026, 3, 2, 12), sh(2026, 3, 2, 13)) == []
    assert desk.open_intervals(sh(2026, 3, 2, 18), sh(2026, 3, 3, 9)) == []
    assert desk.open_intervals(sh(2026, 3, 2, 12), sh(2026, 3, 2, 13, 30)) == [
        (sh(2026, 3, 2, 13), sh(2026, 3, 2, 13, 30))
    ]


def test_open_intervals_of_an_empty_or_inverted_span(desk: BusinessCalendar) -> None:
    t = sh(2026, 3, 2, 10)
    assert desk.open_intervals(t, t) == []
    assert desk.open_intervals(t, t - H) == []


def test_open_intervals_from_before_the_first_interval_of_the_year(desk: BusinessCalendar) -> None:
    # Friday 2027-01-01 00:00 is before the first interval built for 2027
    fresh = BusinessCalendar(tz="Asia/Shanghai", hours="09:00-12:00,13:00-18:00")
    assert fresh.open_intervals(sh(2027, 1, 1), sh(2027, 1, 1, 12)) == [
        (sh(2027, 1, 1, 9), sh(2027, 1, 1, 12))
    ]


# -- next_close --------------------------------------------------------------------------------


def test_next_close_across_the_end_of_the_built_years() -> None:
    """Open all week; the interval that holds the instant runs past the end of its year."""
    cal = BusinessCalendar(tz="UTC", hours=ALL_WEEK, holidays=[date(2027, 1, 2)])
    assert cal.next_close(utc(2026, 12, 31, 10)) == utc(2027, 1, 2)
    closed_new_year = BusinessCalendar(
        tz="UTC", hours=ALL_WEEK, holidays=[date(2027, 1, 1), date(2028, 1, 1)]
    )
    assert closed_new_year.next_close(utc(2026, 12, 31, 10)) == utc(2027, 1, 1)
    # from a closed instant: the end of the next interval, a year later
    assert closed_new_year.next_close(utc(2027, 1, 1, 10)) == utc(2028, 1, 1)


def test_next_close_looks_400_days_ahead() -> None:
    """A desk that stays open raises; one that closes 400 days after the instant still closes."""
    new_year = utc(2027, 1, 1)
    cal = BusinessCalendar(tz="UTC", hours=ALL_WEEK, holidays=[new_year.date()])
    start = new_year - 400 * DAY
    assert cal.next_close(start) == new_year
    fresh = BusinessCalendar(tz="UTC", hours=ALL_WEEK, holidays=[new_year.date()])
    with pytest.raises(CalendarError, match="does not close within 400 days"):
        fresh.next_close(start - timedelta(microseconds=1))
    with pytest.raises(CalendarError, match="does not close within 400 days"):
        BusinessCalendar.always().next_close(utc(2026, 3, 2))


# -- the supported years: 2 to 9998 -------------------------------------------------------------


def test_the_first_supported_instant_is_early_in_year_2() -> None:
    assert (MIN_YEAR, MAX_YEAR) == (2, 9998)
    first = from_epoch_us(EPOCH_US_MIN)
    assert first == datetime(2, 1, 2, tzinfo=UTC)
    cal = BusinessCalendar.always()
    assert cal.elapsed(first, first + DAY) == DAY
    assert cal.add(first, DAY) == first + DAY
    assert cal.next_open(first) == first
    with pytest.raises(CalendarError, match="outside the years 2 to 9998"):
        cal.is_open(first - timedelta(microseconds=1))
    # west of UTC the first instant is still in local year 2 (1 January)
    ny = BusinessCalendar(tz="America/New_York", hours=ALL_WEEK)
    assert ny.elapsed(first, first + DAY) == DAY
    assert ny.open_intervals(first, first + H) == [(first, first + H)]


def test_the_last_supported_instant_is_late_in_year_9998() -> None:
    last = from_epoch_us(EPOCH_US_MAX)
    assert last == datetime(9998, 12, 30, tzinfo=UTC)
    assert to_epoch_us(last) == EPOCH_US_MAX
    cal = BusinessCalendar.always()
    assert cal.elapsed(last - DAY, last) == DAY
    assert cal.add(last - DAY, DAY) == last
    with pytest.raises(CalendarError, match="outside the years 2 to 9998"):
        cal.is_open(last + timedelta(microseconds=1))


def test_business_time_is_not_computed_past_year_9998() -> None:
    """An add whose answer lies in year 9999 raises rather than building that year."""
    desk = BusinessCalendar(tz="UTC", hours="09:00-18:00")
    # Tuesday 9998-12-29 17:00: 1 h that day, 9 h on each of the 30th and 31st, then year 9999
    start = utc(9998, 12, 29, 17)
    assert desk.add(start, 19 * H) == utc(9998, 12, 31, 18)
    with pytest.raises(CalendarError, match="computed for years 2 to 9998; a computation "
                                            "reached year 9999"):
        desk.add(start, 19 * H + timedelta(microseconds=1))
    with pytest.raises(CalendarError, match="before the end of year 9998"):
        desk.add(start, 3 * DAY)


# -- windows grown forwards and backwards --------------------------------------------------------


def test_an_interval_across_new_year_is_one_when_the_window_grows_either_way() -> None:
    """Open all week: the year built first is joined to the one prepended and the one appended
    without a seam at local midnight, on the scalar and on the vectorised path."""
    cal = BusinessCalendar(tz="Asia/Shanghai", hours=ALL_WEEK,
                           holidays=[date(2025, 12, 30), date(2027, 1, 2)])
    assert cal.elapsed(sh(2026, 6, 1), sh(2026, 6, 2)) == DAY  # builds 2026 only
    # prepended 2025: one interval from the end of the holiday on
    assert cal.open_intervals(sh(2025, 12, 31, 12), sh(2026, 1, 1, 12)) == [
        (sh(2025, 12, 31, 12), sh(2026, 1, 1, 12))
    ]
    assert cal.next_close(sh(2025, 12, 31, 12)) == sh(2027, 1, 2)
    assert cal.elapsed(sh(2025, 12, 30), sh(2026, 1, 2)) == 2 * DAY
    assert cal.add(sh(2025, 12, 29, 12), DAY) == sh(2025, 12, 31, 12)
    # appended 2027: one interval up to the holiday
    assert cal.open_intervals(sh(2026, 12, 31, 12), sh(2027, 1, 3, 1)) == [
        (sh(2026, 12, 31, 12), sh(2027, 1, 2)),
        (sh(2027, 1, 3), sh(2027, 1, 3, 1)),
    ]
    assert cal.elapsed(sh(2025, 12, 31), sh(2027, 1, 3)) == 367 * DAY
    # from inside the holiday: runs out at the start of the next one
    assert cal.add(sh(2025, 12, 30, 12), 367 * DAY) == sh(2027, 1, 2)
    starts = np.array([to_epoch_us(sh(2025, 12, 29, 12)), to_epoch_us(sh(2026, 12, 31))])
    ends = np.array([to_epoch_us(sh(2026, 1, 1, 1)), to_epoch_us(sh(2027, 1, 5))])
    assert cal.elapsed_many_us(starts, ends).tolist() == [
        (DAY + 13 * H) // US, (4 * DAY) // US
    ]


def test_adding_from_before_the_first_interval_of_a_window() -> None:
    """From local new year, before the first open interval built: the interval's own start."""
    def build() -> BusinessCalendar:
        return BusinessCalendar(tz="Asia/Shanghai", hours="09:00-18:00")

    # Friday 2027-01-01 00:00, nothing built yet
    assert build().add(sh(2027, 1, 1), US) == sh(2027, 1, 1, 9) + US
    out = build().add_many_us([to_epoch_us(sh(2027, 1, 1))], [1])
    assert out.tolist() == [to_epoch_us(sh(2027, 1, 1, 9)) + 1]
    assert build().elapsed(sh(2027, 1, 1), sh(2027, 1, 1, 9) + US) == US
    got = build().elapsed_many_us([to_epoch_us(sh(2027, 1, 1))], [to_epoch_us(sh(2027, 1, 1, 10))])
    assert got.tolist() == [H // US]


def test_open_intervals_up_to_the_end_of_the_built_years() -> None:
    cal = BusinessCalendar(tz="Asia/Shanghai", hours="09:00-18:00")
    # Thursday 2026-12-31: the last interval of 2026 is the last one built
    assert cal.open_intervals(sh(2026, 12, 31, 10), sh(2026, 12, 31, 23)) == [
        (sh(2026, 12, 31, 10), sh(2026, 12, 31, 18))
    ]


def test_china_add_to_the_last_open_instant_of_the_data() -> None:
    """An add that runs out exactly at the last open instant of 2026 needs no 2027 schedule."""
    cal = BusinessCalendar.china(hours="09:00-18:00")
    assert cal.add(sh(2026, 12, 31, 9), 9 * H) == sh(2026, 12, 31, 18)
    fresh = BusinessCalendar.china(hours="09:00-18:00")
    out = fresh.add_many_us([to_epoch_us(sh(2026, 12, 31, 9))], [(9 * H) // US])
    assert out.tolist() == [to_epoch_us(sh(2026, 12, 31, 18))]
    with pytest.raises(CalendarCoverageError):
        cal.add(sh(2026, 12, 31, 9), 9 * H + US)


# -- the span limit -----------------------------------------------------------------------------


def test_an_add_may_use_exactly_100_local_years() -> None:
    """From local new year 2026, the open time of 2026 to 2125 can be added, and no more."""
    start = utc(2026, 1, 1)
    end = utc(2126, 1, 1)
    held = BusinessCalendar(tz="UTC", hours="09:00-18:00").elapsed(start, end - US)
    cal = BusinessCalendar(tz="UTC", hours="09:00-18:00")
    last = cal.add(start, held)
    assert last.year == 2125
    assert cal.elapsed(last, end - US) == timedelta(0)
    fresh = BusinessCalendar(tz="UTC", hours="09:00-18:00")
    with pytest.raises(CalendarError, match=f"duration: the computation needs more than "
                                            f"{MAX_SPAN_YEARS} consecutive local years"):
        fresh.add(start, held + US)


def test_an_add_after_a_long_window_is_answered_in_a_window_of_its_own() -> None:
    """A window built from 1990 cannot grow to the 2100s: the add starts a fresh one at 2026."""
    start = utc(2026, 1, 5, 9)
    amount = 70 * 365 * 9 * H // 7 * 5  # about 70 years of a 45-hour week
    expected = BusinessCalendar(tz="UTC", hours="09:00-18:00").add(start, amount)
    assert expected.year >= 1990 + MAX_SPAN_YEARS  # past the reach of a window from 1990
    cal = BusinessCalendar(tz="UTC", hours="09:00-18:00")
    assert cal.elapsed(utc(1990, 1, 1), start) > timedelta(0)  # builds 1990 to 2026
    assert cal.add(start, amount) == expected
    assert cal.elapsed(start, expected) == amount
    got = cal.add_many_us([to_epoch_us(start)], [amount // US])
    assert got.tolist() == [to_epoch_us(expected)]


# -- the interval limit ---------------------------------------------------------------------------


def _busy(extra: int) -> BusinessCalendar:
    """Open 48 ten-minute intervals every day from 2026 to 2037 but for 216 holidays, and
    32 + ``extra`` intervals on one make-up day: 200,000 + ``extra`` intervals in those years."""
    slots = [f"{h:02d}:{m + 5:02d}-{h:02d}:{m + 15:02d}" for h in range(24) for m in (0, 30)]
    first_holiday = date(2037, 5, 1)
    return BusinessCalendar(
        tz="UTC",
        hours=dict.fromkeys(WEEKDAYS, ",".join(slots)),
        holidays=[first_holiday + timedelta(days=i) for i in range(216)],
        workdays=[date(2026, 3, 2)],
        workday_hours=",".join(slots[: 32 + extra]),
    )


def test_a_computation_may_use_exactly_max_intervals() -> None:
    days = (date(2038, 1, 1) - date(2026, 1, 1)).days - 216
    assert 48 * (days - 1) + 32 == MAX_INTERVALS == 200_000
    start, end = utc(2026, 1, 1), utc(2037, 12, 31)
    assert _busy(0).elapsed(start, end) == (days - 2) * 8 * H + 32 * 10 * timedelta(minutes=1)
    with pytest.raises(CalendarError, match="start and end: the local years the computation "
                                            "needs hold more than 200,000 open intervals"):
        _busy(1).elapsed(start, end)


# -- the end of the built years ------------------------------------------------------------------


def test_the_last_microsecond_of_the_china_data_needs_no_later_year() -> None:
    """China holidays: answers up to local new year 2027 need only 2026, on a fresh calendar as
    on one that computed something before (was: CalendarCoverageError(2027) when fresh)."""
    last = sh(2027, 1, 1) - US
    used = BusinessCalendar.china()
    assert used.is_open(sh(2026, 6, 1, 10))
    for cal in (BusinessCalendar.china(), used):
        assert not cal.is_open(last)
    for cal in (BusinessCalendar.china(), used):
        assert cal.elapsed(sh(2026, 12, 31, 10), sh(2027, 1, 1)) == 8 * H
    for cal in (BusinessCalendar.china(), used):
        assert cal.open_intervals(sh(2026, 12, 31), sh(2027, 1, 1)) == [
            (sh(2026, 12, 31, 9), sh(2026, 12, 31, 18))
        ]
    fresh = BusinessCalendar.china()
    got = fresh.elapsed_many_us([to_epoch_us(sh(2026, 12, 31, 10))], [to_epoch_us(sh(2027, 1, 1))])
    assert got.tolist() == [8 * H // US]
    # an instant in 2027 still needs 2027
    with pytest.raises(CalendarCoverageError):
        BusinessCalendar.china().is_open(sh(2027, 1, 1))
    with pytest.raises(CalendarCoverageError):
        used.elapsed(sh(2026, 12, 31, 10), sh(2027, 1, 1) + US)


def test_a_batch_whose_years_do_not_fit_one_window_is_answered_per_start_year() -> None:
    """One start in 2026 and one in 2090 with 40 years of business time: the batch cannot be
    computed in one window of 100 years, each element is answered as its scalar call."""
    starts = [utc(2026, 3, 2, 10), utc(2090, 3, 1, 10)]
    amounts = [2 * H, timedelta(days=40 * 365) * 9 // 24 * 5 // 7]
    want = [BusinessCalendar(tz="UTC", hours="09:00-18:00").add(t, d)
            for t, d in zip(starts, amounts, strict=True)]
    assert want[1].year > 2026 + MAX_SPAN_YEARS - 1
    cal = BusinessCalendar(tz="UTC", hours="09:00-18:00")
    got = cal.add_many_us([to_epoch_us(t) for t in starts], [d // US for d in amounts])
    assert got.tolist() == [to_epoch_us(t) for t in want]
