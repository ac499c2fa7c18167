"""Edges of ``BusinessCalendar`` that the mutation run (issue 20) found unpinned.

Each test names the behaviour it pins: the end of the chinesecalendar data, provisional spans
given in either order, calendars that open only on make-up working days, NaT elements of a
batch, the argument types the constructor refuses, and the zone-name bounds checked before the
file system is asked.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from servicekit.calendar import BusinessCalendar, _calendar
from servicekit.errors import CalendarCoverageError, CalendarError, Problem

SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)


def sh(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SH)


@pytest.fixture
def fresh_china_data() -> Iterator[None]:
    """chinesecalendar's data read afresh in the test (it is cached once per process)."""
    _calendar._china_data.cache_clear()
    yield
    _calendar._china_data.cache_clear()


# -- the years chinesecalendar covers -----------------------------------------------------------


@pytest.mark.usefixtures("fresh_china_data")
def test_china_coverage_ends_with_the_last_year_of_the_data() -> None:
    """China holidays / make-up days: the covered years are exactly those chinesecalendar has.

    chinesecalendar 1.x holds 2004 to 2026; the year after its last one is not covered, so a
    computation there raises rather than guessing a schedule.
    """
    from chinese_calendar import constants

    first = min(d.year for d in constants.holidays)
    last = max(d.year for d in constants.holidays)
    cal = BusinessCalendar.china()
    assert cal.covers(date(first, 1, 1))
    assert cal.covers(date(last, 12, 31))
    assert not cal.covers(date(first - 1, 12, 31))
    assert not cal.covers(date(last + 1, 1, 1))
    with pytest.raises(CalendarCoverageError) as info:
        cal.is_open(datetime(last + 1, 6, 1, 10, tzinfo=SH))
    assert info.value.year == last + 1


def test_provisional_spans_are_read_in_either_order() -> None:
    """A span that begins before the China data (2003) is provisional whichever end comes first."""
    cal = BusinessCalendar.china(beyond_coverage="statutory")
    assert cal.provisional(sh(2003, 6, 1), sh(2026, 1, 5))
    assert cal.provisional(sh(2026, 1, 5), sh(2003, 6, 1))
    assert not cal.provisional(sh(2026, 1, 5), sh(2004, 6, 1))


# -- calendars that open only on make-up working days -------------------------------------------


def test_china_make_up_days_of_a_later_year_are_found() -> None:
    """China adjusted working days (调休) open a calendar without weekly hours: from the last
    evening of 2020, one business hour ends on Sunday 2021-02-07, 2021's first make-up day."""
    cal = BusinessCalendar.china(hours="", workday_hours="09:00-18:00")
    assert cal.add(sh(2020, 12, 31, 12), H) == sh(2021, 2, 7, 10)
    assert cal.next_open(sh(2020, 12, 31, 12)) == sh(2021, 2, 7, 9)


def test_china_make_up_days_only_end_with_the_last_one_in_the_data() -> None:
    """Past the last make-up day chinesecalendar lists (Saturday 2026-10-10), a calendar that
    opens only on make-up days never opens again: the next year is not looked up."""
    cal = BusinessCalendar.china(hours="", workday_hours="09:00-18:00")
    assert cal.add(sh(2026, 10, 10, 17), H) == sh(2026, 10, 10, 18)
    with pytest.raises(CalendarError, match="never opens again") as info:
        cal.add(sh(2026, 10, 10, 17), 2 * H)
    assert not isinstance(info.value, CalendarCoverageError)


def test_host_make_up_days_only_end_with_the_last_one_given() -> None:
    """A host's make-up day in the last supported year (9998) is the last open time: past it,
    the calendar never opens again (year 9999 is never reached)."""
    cal = BusinessCalendar(
        tz="UTC", hours={}, workdays=[date(9998, 6, 1)], workday_hours="09:00-10:00"
    )
    start = datetime(9998, 5, 1, tzinfo=UTC)
    assert cal.add(start, H) == datetime(9998, 6, 1, 10, tzinfo=UTC)
    with pytest.raises(CalendarError, match="never opens again"):
        cal.add(datetime(9998, 6, 2, tzinfo=UTC), H)
    with pytest.raises(CalendarError, match="never opens again"):
        cal.next_open(datetime(9998, 6, 1, 10, tzinfo=UTC))


def test_a_calendar_that_never_opens_says_so() -> None:
    """No weekly hours and no make-up days: no open time is ever found, at once."""
    cal = BusinessCalendar(tz="UTC", hours="")
    t = datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert cal.elapsed(t, t + timedelta(days=3650)) == timedelta(0)
    assert not cal.is_open(t)
    with pytest.raises(CalendarError, match="never opens again"):
        cal.add(t, H)
    with pytest.raises(CalendarError, match="never opens again"):
        cal.next_open(t)
    assert cal.add(t, timedelta(0)) == t


# -- NaT elements of a batch ---------------------------------------------------------------------


def test_nat_elements_of_add_many_take_no_part() -> None:
    """A NaT start or duration gives NaT and never makes the batch raise, even on a calendar
    where adding any time at all would."""
    closed = BusinessCalendar(tz="UTC", hours="")
    t = np.datetime64("2026-03-02T10:00", "us")
    nat = np.datetime64("NaT", "us")
    zero = np.timedelta64(0, "us")
    out = closed.add_many(np.array([t, nat]), np.array([zero, zero]))
    assert out[0] == t
    assert np.isnat(out[1])
    out = closed.add_many(np.array([t, t]), np.array([zero, np.timedelta64("NaT", "us")]))
    assert out[0] == t
    assert np.isnat(out[1])
    # the one valid element may come last
    open_desk = BusinessCalendar(tz="UTC", hours="09:00-18:00")
    out = open_desk.add_many(np.array([nat, t]), np.array([zero, np.timedelta64(1, "h")]))
    assert np.isnat(out[0])
    assert out[1] == np.datetime64("2026-03-02T11:00", "us")


def test_elapsed_many_in_seconds_keeps_nat_positions() -> None:
    cal = BusinessCalendar(tz="UTC", hours="09:00-18:00")
    t = np.datetime64("2026-03-02T10:00", "us")
    nat = np.datetime64("NaT", "us")
    out = cal.elapsed_many(np.array([nat, t]), np.array([t, t + np.timedelta64(2, "h")]))
    assert np.isnan(out[0])
    assert out[1] == 7200.0
    assert np.isnan(cal.elapsed_many(np.array([nat, nat]), np.array([t, nat]))).all()


# -- what the constructor refuses ----------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [{"country": "CN"}, {"subdiv": "BJ"}])
def test_country_and_subdiv_need_source_country(kwargs: dict[str, str]) -> None:
    with pytest.raises(CalendarError, match="apply only to source 'country'"):
        BusinessCalendar(tz="UTC", hours="09:00-18:00", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["2026-10-01", b"2026-10-01"])
def test_a_date_string_is_not_a_list_of_holidays(text: str | bytes) -> None:
    """A string is refused as a whole (one problem naming its type), not read as characters."""
    with pytest.raises(CalendarError) as info:
        BusinessCalendar(tz="UTC", hours="09:00-18:00", holidays=text)  # type: ignore[arg-type]
    name = type(text).__name__
    assert info.value.problems == (
        Problem(loc=("holidays",), type="tuple_type",
                msg=f"Input should be a valid tuple (got {name})"),
    )


def test_holidays_may_be_any_iterable_of_dates() -> None:
    days = (date(2026, 3, d) for d in (3, 2))
    cal = BusinessCalendar(tz="UTC", hours="09:00-18:00", holidays=days)
    assert cal.holidays == (date(2026, 3, 2), date(2026, 3, 3))


def test_the_country_list_fallback_gives_the_same_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the holidays package's registry, the codes come from list_supported_countries."""
    fast = _calendar._supported_countries()
    monkeypatch.setitem(sys.modules, "holidays.registry", None)  # the import raises ImportError
    _calendar._supported_countries.cache_clear()
    try:
        slow = _calendar._supported_countries()
    finally:
        _calendar._supported_countries.cache_clear()
    assert slow == fast
    assert {"CN", "US", "USA", "UK"} <= slow


def test_long_zone_names_are_refused_before_the_file_system_is_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Up to 64 characters of the right shape reach ZoneInfo; 65, or a wrong shape, never do."""
    asked: list[str] = []

    def zone_info(name: str) -> ZoneInfo:
        asked.append(name)
        raise ValueError("not found")

    monkeypatch.setattr(_calendar, "ZoneInfo", zone_info)
    longest = "A" * 32 + "/" + "B" * 31
    assert len(longest) == _calendar.MAX_ZONE_NAME == 64
    for name in (longest, longest + "B", "../etc", "a" * 65):
        with pytest.raises(CalendarError, match="unknown time zone"):
            BusinessCalendar(tz=name, hours="09:00-18:00")
    assert asked == [longest]


def test_open_time_in_seconds_is_one_correctly_rounded_division() -> None:
    """One computation spans at most MAX_SPAN_YEARS years, so its open time stays below 2**53
    microseconds and ``elapsed_many`` divides in float64 exactly as ``total_seconds`` does."""
    from servicekit.calendar import MAX_SPAN_YEARS

    assert (MAX_SPAN_YEARS + 1) * 366 * 86_400 * 10**6 < 2**53
    cal = BusinessCalendar.always()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = datetime(2125, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    seconds = cal.elapsed_many([start], [end])
    assert seconds.tolist() == [cal.elapsed(start, end).total_seconds()]
