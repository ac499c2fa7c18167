"""Example tests of ``BusinessCalendar``: hand-computed answers for the cases the contract names.

Every datetime here is built from a wall-clock reading in a named zone, and every comparison of
instants is made in UTC (``datetime`` arithmetic between two datetimes of one ``ZoneInfo`` is
wall-clock arithmetic, which is wrong across a DST change).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from servicekit.calendar import BusinessCalendar
from servicekit.errors import (
    CalendarCoverageError,
    CalendarError,
    InvalidInputError,
    NaiveDatetimeError,
    ServiceKitError,
)

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
SCL = ZoneInfo("America/Santiago")
LHI = ZoneInfo("Australia/Lord_Howe")
H = timedelta(hours=1)
US = timedelta(microseconds=1)
LUNCH = "09:00-12:00,13:00-18:00"
PERSONAL = "张三 13800138000 zhang.san@example.com"


def sh(  # noqa: PLR0917 - mirrors datetime()
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=SH)


def utc(t: datetime) -> datetime:
    return t.astimezone(UTC)


def same_instant(a: datetime, b: datetime) -> bool:
    return utc(a) == utc(b)


def np_us(t: datetime) -> np.datetime64:
    return np.datetime64(utc(t).replace(tzinfo=None), "us")


@pytest.fixture
def lunch_cal() -> BusinessCalendar:
    return BusinessCalendar(tz="Asia/Shanghai", hours=LUNCH)


@pytest.fixture(scope="module")
def china() -> BusinessCalendar:
    return BusinessCalendar.china(hours="09:00-18:00")


@pytest.fixture(scope="module")
def china_lunch() -> BusinessCalendar:
    return BusinessCalendar.china(hours=LUNCH)


# -- weekly hours, lunch break, weekends --------------------------------------------------------


def test_lunch_break_is_not_counted(lunch_cal: BusinessCalendar) -> None:
    # Monday 2026-03-02
    assert lunch_cal.elapsed(sh(2026, 3, 2, 11), sh(2026, 3, 2, 14)) == 2 * H
    assert lunch_cal.elapsed(sh(2026, 3, 2, 12, 15), sh(2026, 3, 2, 12, 45)) == timedelta(0)
    assert lunch_cal.elapsed(sh(2026, 3, 2, 0), sh(2026, 3, 3, 0)) == 8 * H
    assert lunch_cal.add(sh(2026, 3, 2, 11), 2 * H) == sh(2026, 3, 2, 14)
    # starting inside the break counts from 13:00
    assert lunch_cal.add(sh(2026, 3, 2, 12, 30), H) == sh(2026, 3, 2, 14)
    # running out exactly at the start of the break returns 12:00, not 13:00
    assert lunch_cal.add(sh(2026, 3, 2, 11), H) == sh(2026, 3, 2, 12)
    assert not lunch_cal.is_open(sh(2026, 3, 2, 12, 30))
    assert lunch_cal.next_open(sh(2026, 3, 2, 12, 30)) == sh(2026, 3, 2, 13)


def test_friday_evening_add_lands_on_monday(lunch_cal: BusinessCalendar) -> None:
    friday = sh(2026, 3, 6, 17)
    result = lunch_cal.add(friday, 2 * H)
    assert result == sh(2026, 3, 9, 10)
    assert result.isoformat() == "2026-03-09T10:00:00+08:00"
    # from after closing on Friday the whole weekend is skipped
    assert lunch_cal.add(sh(2026, 3, 6, 20), 30 * timedelta(minutes=1)) == sh(2026, 3, 9, 9, 30)
    assert lunch_cal.elapsed(sh(2026, 3, 6, 17), sh(2026, 3, 9, 10)) == 2 * H


def test_add_running_out_at_an_interval_end_returns_that_end(lunch_cal: BusinessCalendar) -> None:
    result = lunch_cal.add(sh(2026, 3, 2, 17), H)
    assert result == sh(2026, 3, 2, 18)  # 18:00, not 09:00 the next day
    assert not lunch_cal.is_open(result)
    # a whole day's worth from the opening ends at the closing of the same day
    assert lunch_cal.add(sh(2026, 3, 2, 9), 8 * H) == sh(2026, 3, 2, 18)
    # Friday's last hour ends on Friday, not on Monday morning
    assert lunch_cal.add(sh(2026, 3, 6, 17), H) == sh(2026, 3, 6, 18)


@pytest.mark.parametrize(
    "start",
    [
        datetime(2026, 3, 7, 11, tzinfo=SH),  # Saturday
        datetime(2026, 3, 2, 12, 30, tzinfo=SH),  # lunch
        datetime(2026, 3, 2, 23, 59, 59, 999_999, tzinfo=SH),  # night
        datetime(2026, 3, 2, 10, 0, 0, 1, tzinfo=SH),  # open
        datetime(2026, 3, 2, 18, tzinfo=SH),  # the instant of closing
    ],
)
def test_adding_zero_returns_start_even_when_closed(
    lunch_cal: BusinessCalendar, start: datetime
) -> None:
    assert lunch_cal.add(start, timedelta(0)) == start
    # given in another zone, the answer is the same instant, expressed in the calendar's zone
    result = lunch_cal.add(start.astimezone(NY), timedelta(0))
    assert same_instant(result, start)
    assert result.tzinfo == SH


def test_next_open(lunch_cal: BusinessCalendar) -> None:
    open_t = sh(2026, 3, 2, 10, 11, 12, 13)
    assert lunch_cal.next_open(open_t) == open_t
    assert lunch_cal.next_open(sh(2026, 3, 2, 9)) == sh(2026, 3, 2, 9)
    assert lunch_cal.next_open(sh(2026, 3, 2, 7)) == sh(2026, 3, 2, 9)
    assert lunch_cal.next_open(sh(2026, 3, 2, 12)) == sh(2026, 3, 2, 13)
    assert lunch_cal.next_open(sh(2026, 3, 2, 18)) == sh(2026, 3, 3, 9)
    assert lunch_cal.next_open(sh(2026, 3, 6, 18)) == sh(2026, 3, 9, 9)
    assert lunch_cal.next_open(sh(2026, 3, 7, 12)) == sh(2026, 3, 9, 9)
    result = lunch_cal.next_open(datetime(2026, 3, 7, 12, tzinfo=UTC))
    assert result.tzinfo == SH
    assert result == sh(2026, 3, 9, 9)


def test_is_open_is_half_open_at_the_boundaries(lunch_cal: BusinessCalendar) -> None:
    assert not lunch_cal.is_open(sh(2026, 3, 2, 8, 59, 59, 999_999))
    assert lunch_cal.is_open(sh(2026, 3, 2, 9))
    assert lunch_cal.is_open(sh(2026, 3, 2, 11, 59, 59, 999_999))
    assert not lunch_cal.is_open(sh(2026, 3, 2, 12))
    assert not lunch_cal.is_open(sh(2026, 3, 2, 12, 59, 59, 999_999))
    assert lunch_cal.is_open(sh(2026, 3, 2, 13))
    assert lunch_cal.is_open(sh(2026, 3, 2, 17, 59, 59, 999_999))
    assert not lunch_cal.is_open(sh(2026, 3, 2, 18))
    assert not lunch_cal.is_open(sh(2026, 3, 7, 10))  # Saturday
    # the last microsecond before closing is worth exactly one microsecond
    assert lunch_cal.elapsed(sh(2026, 3, 2, 17, 59, 59, 999_999), sh(2026, 3, 2, 18)) == US


def test_elapsed_is_negative_when_end_precedes_start(lunch_cal: BusinessCalendar) -> None:
    assert lunch_cal.elapsed(sh(2026, 3, 2, 14), sh(2026, 3, 2, 11)) == -2 * H
    assert lunch_cal.elapsed(sh(2026, 3, 2, 14), sh(2026, 3, 2, 14)) == timedelta(0)


def test_results_keep_microseconds_and_use_the_calendar_zone(lunch_cal: BusinessCalendar) -> None:
    start = datetime(2026, 3, 2, 1, 2, 3, 456_789, tzinfo=UTC)  # 09:02:03.456789 in Shanghai
    result = lunch_cal.add(start, timedelta(microseconds=1))
    assert result == sh(2026, 3, 2, 9, 2, 3, 456_790)
    assert result.tzinfo == SH
    assert lunch_cal.elapsed(start, sh(2026, 3, 2, 9, 2, 4)) == timedelta(microseconds=543_211)


def test_weekly_hours_per_weekday_dict() -> None:
    cal = BusinessCalendar(
        tz="Asia/Shanghai",
        hours={"mon": "09:00-18:00", "sat": "10:00-12:00", "sun": ""},
    )
    assert cal.is_open(sh(2026, 3, 7, 11))  # Saturday
    assert not cal.is_open(sh(2026, 3, 8, 11))  # Sunday
    assert not cal.is_open(sh(2026, 3, 3, 11))  # Tuesday: not listed, closed
    assert cal.elapsed(sh(2026, 3, 2, 0), sh(2026, 3, 9, 0)) == 11 * H


def test_host_holidays_and_make_up_workdays() -> None:
    cal = BusinessCalendar(
        tz="Asia/Shanghai",
        hours=LUNCH,
        holidays=[date(2026, 10, 1)],
        workdays=[date(2026, 10, 10)],
    )
    assert not cal.is_open(sh(2026, 10, 1, 10))  # Thursday, holiday
    assert cal.is_open(sh(2026, 10, 2, 10))  # Friday
    assert cal.is_open(sh(2026, 10, 10, 10))  # Saturday, make-up day with weekday hours
    assert not cal.is_open(sh(2026, 10, 10, 12, 30))  # ... including the lunch break
    assert cal.elapsed(sh(2026, 10, 10, 0), sh(2026, 10, 11, 0)) == 8 * H
    assert cal.hours_on(date(2026, 10, 10)) == LUNCH
    assert cal.hours_on(date(2026, 10, 1)) == ""


# -- mainland China ---------------------------------------------------------------------------


def test_china_2026_spring_festival(china: BusinessCalendar) -> None:
    assert china.is_open(sh(2026, 2, 14, 10))  # Saturday, make-up working day
    assert china.is_open(sh(2026, 2, 28, 10))  # Saturday, make-up working day
    for day in range(16, 24):  # Monday 16th to Monday 23rd
        assert not china.is_open(sh(2026, 2, day, 10)), day
    assert china.is_open(sh(2026, 2, 24, 10))
    assert china.elapsed(sh(2026, 2, 14, 0), sh(2026, 2, 24, 0)) == 9 * H


def test_china_2026_national_day(china: BusinessCalendar) -> None:
    for day in range(1, 8):
        assert not china.is_open(sh(2026, 10, day, 10)), day
    assert china.is_open(sh(2026, 9, 20, 10))  # Sunday, make-up working day
    assert china.is_open(sh(2026, 10, 10, 10))  # Saturday, make-up working day
    assert not china.is_open(sh(2026, 10, 11, 10))  # an ordinary Sunday
    assert china.next_open(sh(2026, 9, 30, 18)) == sh(2026, 10, 8, 9)
    assert china.covers(date(2026, 10, 1))
    assert not china.provisional(sh(2026, 1, 1), sh(2026, 12, 31, 23))


def test_s02_preliminary_solution_deadline_across_national_day(
    china_lunch: BusinessCalendar,
) -> None:
    """S-02: complaint preliminary solution within 24 business hours, across National Day 2026.

    Received Wednesday 2026-09-30 15:00: 3 h that day, nothing from 1 to 7 October, 8 h on
    Thursday the 8th and Friday the 9th, and the remaining 5 h on Saturday the 10th, a make-up
    working day (09:00-12:00 and 13:00-15:00).
    """
    received = sh(2026, 9, 30, 15)
    deadline = china_lunch.add(received, timedelta(hours=24))
    assert deadline == sh(2026, 10, 10, 15)
    assert china_lunch.elapsed(received, deadline) == timedelta(hours=24)
    assert china_lunch.elapsed(received, sh(2026, 10, 8, 9)) == 3 * H


def test_s01_first_response_deadline_across_national_day(china_lunch: BusinessCalendar) -> None:
    """S-01: complaint first response within 4 business hours, received the day before the break."""
    assert china_lunch.add(sh(2026, 9, 30, 16), timedelta(hours=4)) == sh(2026, 10, 8, 11)


def test_china_raises_for_an_uncovered_year_by_default(china: BusinessCalendar) -> None:
    assert not china.covers(date(2027, 3, 1))
    with pytest.raises(CalendarCoverageError, match="2027") as info:
        china.is_open(sh(2027, 3, 1, 10))
    assert info.value.year == 2027
    assert isinstance(info.value, CalendarError)
    assert "extra_holidays" in str(info.value)
    assert "beyond_coverage" in str(info.value)
    with pytest.raises(CalendarCoverageError):
        china.elapsed(sh(2026, 12, 30, 10), sh(2027, 1, 5, 10))
    with pytest.raises(CalendarCoverageError):
        china.add(sh(2026, 12, 31, 17), timedelta(hours=2))
    with pytest.raises(CalendarCoverageError):
        china.add_many([sh(2026, 12, 31, 17)], [timedelta(hours=2)])


def test_china_extra_holidays_naming_a_year_cover_it() -> None:
    cal = BusinessCalendar.china(
        hours="09:00-18:00",
        extra_holidays=[date(2027, 1, 1)],
        extra_workdays=[date(2027, 1, 9)],
    )
    assert cal.covers(date(2027, 6, 1))
    assert not cal.provisional(sh(2026, 12, 1), sh(2027, 12, 31))
    assert not cal.is_open(sh(2027, 1, 1, 10))  # announced holiday (Friday)
    assert cal.is_open(sh(2027, 1, 9, 10))  # announced make-up Saturday
    assert cal.add(sh(2026, 12, 31, 17), 2 * H) == sh(2027, 1, 4, 10)
    # the host's lists are that year's whole schedule: no rule-based holidays are added
    assert cal.is_open(sh(2027, 10, 1, 10))


def test_china_beyond_coverage_statutory_is_provisional() -> None:
    cal = BusinessCalendar.china(hours="09:00-18:00", beyond_coverage="statutory")
    assert cal.covers(date(2026, 12, 31))
    assert not cal.covers(date(2027, 1, 1))
    assert not cal.covers(sh(2027, 6, 1, 12))
    assert cal.provisional(sh(2026, 12, 30), sh(2027, 1, 5))
    assert cal.provisional(sh(2027, 1, 5), sh(2026, 12, 30))
    assert not cal.provisional(sh(2026, 1, 5), sh(2026, 12, 30))
    assert not cal.is_open(sh(2027, 1, 1, 10))  # statutory New Year's Day (Friday)
    assert not cal.is_open(sh(2027, 10, 1, 10))  # statutory National Day (Friday)
    assert cal.add(sh(2026, 12, 31, 17), 2 * H) == sh(2027, 1, 4, 10)


def test_china_add_within_coverage_does_not_reach_past_it() -> None:
    """The answer lies in 2026, so computing it must not need (and fail on) 2027's schedule.

    Regression (fixed in 3d736bc): a fresh calendar raised CalendarCoverageError(year=2027).
    ``Timeline.state_for_target`` extended by ``ceil(missing / open time of the last built
    year)`` years at once; from a start in 2020 (249 working days) the 1494 working days plus
    3 h up to 2026-12-31 12:00 gave a step of 7 years, to 2027, although 2026 holds the target.
    """
    start, target = sh(2020, 1, 1), sh(2026, 12, 31, 12)
    duration = BusinessCalendar.china(hours="09:00-18:00").elapsed(start, target)
    fresh = BusinessCalendar.china(hours="09:00-18:00")
    assert fresh.add(start, duration) == target
    again = BusinessCalendar.china(hours="09:00-18:00")
    assert again.add_many([start], [duration])[0] == np_us(target)


def test_a_failed_computation_changes_nothing() -> None:
    cal = BusinessCalendar.china(hours=LUNCH)
    twin = BusinessCalendar.from_json(cal.to_json())
    before = cal.elapsed(sh(2026, 9, 1), sh(2026, 10, 31))
    for _ in range(2):  # the second attempt fails the same way
        with pytest.raises(CalendarCoverageError):
            cal.add(sh(2026, 12, 31, 17), timedelta(hours=100))
        with pytest.raises(CalendarCoverageError):
            cal.elapsed(sh(2026, 1, 1), sh(2027, 1, 2))
    with pytest.raises(NaiveDatetimeError):
        cal.add(datetime(2026, 10, 8, 9), H)
    assert cal == twin
    assert hash(cal) == hash(twin)
    assert cal.to_json() == twin.to_json()
    assert cal.elapsed(sh(2026, 9, 1), sh(2026, 10, 31)) == before
    assert cal.add(sh(2026, 9, 30, 15), timedelta(hours=24)) == sh(2026, 10, 10, 15)
    assert cal.is_open(sh(2026, 12, 31, 17))
    assert cal.elapsed(sh(2026, 12, 31, 17), sh(2026, 12, 31, 23)) == H


# -- other countries ----------------------------------------------------------------------------


def test_for_country_us_new_york() -> None:
    cal = BusinessCalendar.for_country(
        "US", subdiv="NY", hours="09:00-17:00", tz="America/New_York"
    )
    assert not cal.is_open(datetime(2025, 7, 4, 12, tzinfo=NY))  # Friday, Independence Day
    assert not cal.is_open(datetime(2026, 7, 3, 12, tzinfo=NY))  # observed (the 4th is Saturday)
    assert cal.is_open(datetime(2025, 7, 7, 12, tzinfo=NY))
    assert not cal.is_open(datetime(2025, 2, 12, 12, tzinfo=NY))  # Lincoln's Birthday (NY)
    federal = BusinessCalendar.for_country("US", hours="09:00-17:00", tz="America/New_York")
    assert federal.is_open(datetime(2025, 2, 12, 12, tzinfo=NY))
    assert cal.add(datetime(2025, 7, 3, 16, tzinfo=NY), 2 * H) == datetime(
        2025, 7, 7, 10, tzinfo=NY
    )
    assert cal.covers(date(2040, 1, 1))


def test_for_country_extra_workdays_override_the_package() -> None:
    cal = BusinessCalendar.for_country(
        "US", hours="09:00-17:00", tz="America/New_York", extra_workdays=[date(2025, 7, 4)]
    )
    assert cal.is_open(datetime(2025, 7, 4, 12, tzinfo=NY))


# -- daylight saving time ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "length"),
    [
        ("America/New_York", date(2026, 3, 8), timedelta(hours=23)),
        ("America/New_York", date(2026, 11, 1), timedelta(hours=25)),
        ("Europe/London", date(2026, 3, 29), timedelta(hours=23)),
        ("Europe/London", date(2026, 10, 25), timedelta(hours=25)),
        ("Australia/Lord_Howe", date(2026, 10, 4), timedelta(hours=23, minutes=30)),
        ("Australia/Lord_Howe", date(2026, 4, 5), timedelta(hours=24, minutes=30)),
        ("America/Santiago", date(2026, 9, 6), timedelta(hours=23)),
        ("America/Santiago", date(2026, 4, 4), timedelta(hours=25)),
    ],
)
def test_always_open_day_holds_its_real_length_across_dst(
    tz: str, day: date, length: timedelta
) -> None:
    zone = ZoneInfo(tz)
    cal = BusinessCalendar.always(tz=tz)
    midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
    nxt = day + timedelta(days=1)
    next_midnight = datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone)
    assert cal.elapsed(midnight, next_midnight) == length
    assert cal.add(midnight, length) == next_midnight
    assert cal.is_open(midnight)


def test_new_york_always_open_dst_days() -> None:
    cal = BusinessCalendar.always(tz="America/New_York")
    spring = cal.elapsed(datetime(2026, 3, 8, tzinfo=NY), datetime(2026, 3, 9, tzinfo=NY))
    autumn = cal.elapsed(datetime(2026, 11, 1, tzinfo=NY), datetime(2026, 11, 2, tzinfo=NY))
    assert spring == timedelta(hours=23)
    assert autumn == timedelta(hours=25)
    # 01:30 happens twice on 2026-11-01; the second reading is an hour after the first
    first = datetime(2026, 11, 1, 1, 30, tzinfo=NY)
    second = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NY)
    assert cal.elapsed(first, second) == H
    assert cal.add(first, H).fold == 1


def test_nine_to_five_around_dst() -> None:
    cal = BusinessCalendar(tz="America/New_York", hours="09:00-17:00")
    # spring forward on Sunday 2026-03-08
    result = cal.add(datetime(2026, 3, 6, 16, tzinfo=NY), 2 * H)
    assert result == datetime(2026, 3, 9, 10, tzinfo=NY)
    assert result.utcoffset() == timedelta(hours=-4)
    assert utc(result) == datetime(2026, 3, 9, 14, tzinfo=UTC)
    assert cal.elapsed(datetime(2026, 3, 6, 9, tzinfo=NY), datetime(2026, 3, 9, 17, tzinfo=NY)) == (
        16 * H
    )
    # fall back on Sunday 2026-11-01
    result = cal.add(datetime(2026, 10, 30, 16, tzinfo=NY), 2 * H)
    assert result == datetime(2026, 11, 2, 10, tzinfo=NY)
    assert result.utcoffset() == timedelta(hours=-5)
    # a working day is eight hours of wall clock on either side of the change
    for day in (datetime(2026, 3, 9, tzinfo=NY), datetime(2026, 11, 2, tzinfo=NY)):
        assert cal.elapsed(day, day.replace(hour=23)) == 8 * H


def test_sunday_nine_to_five_on_dst_sundays() -> None:
    cal = BusinessCalendar(tz="America/New_York", hours={"sun": "09:00-17:00"})
    for day in (8, 15):
        start = datetime(2026, 3, day, tzinfo=NY)
        assert cal.elapsed(start, start.replace(hour=23)) == 8 * H
    start = datetime(2026, 11, 1, tzinfo=NY)
    assert cal.elapsed(start, start.replace(hour=23)) == 8 * H


def test_interval_starting_in_a_spring_forward_gap_opens_at_the_jump() -> None:
    """An opening time the clock skips opens at the jump (documented in ``wall_to_utc_us``).

    02:30 does not exist in New York on 2026-03-08 (02:00 EST jumps to 03:00 EDT), so
    "02:30-05:00" opens at 03:00 EDT (07:00Z) and holds 2 h. Regression (fixed in 3d736bc):
    servicekit opened at 01:30:00.000001 EST (06:30:00.000001Z) and held 2:29:59.999999, because
    ``wall_to_utc_us`` bisected with ``zone.utcoffset(<UTC datetime>)``, which reads the UTC
    wall time as local time.
    """
    cal = BusinessCalendar(tz="America/New_York", hours={"sun": "02:30-05:00"})
    day_start, day_end = datetime(2026, 3, 8, tzinfo=NY), datetime(2026, 3, 8, 12, tzinfo=NY)
    assert not cal.is_open(datetime(2026, 3, 8, 1, 45, tzinfo=NY))
    assert utc(cal.next_open(day_start)) == datetime(2026, 3, 8, 7, tzinfo=UTC)
    assert cal.elapsed(day_start, day_end) == 2 * H


def test_lord_howe_half_hour_gap_opening() -> None:
    """Lord Howe skips 02:00-02:30 on 2026-10-04; "02:10-03:00" opens at the jump (02:30 LHDT)
    and holds 30 min. Regression (same cause): servicekit opened at 02:40 and held 20 min."""
    cal = BusinessCalendar(tz="Australia/Lord_Howe", hours={"sun": "02:10-03:00"})
    start = datetime(2026, 10, 4, tzinfo=LHI)
    assert cal.elapsed(start, start.replace(hour=6)) == timedelta(minutes=30)
    assert cal.next_open(start) == datetime(2026, 10, 4, 2, 30, tzinfo=LHI)


def test_santiago_day_whose_midnight_is_skipped_holds_23_hours() -> None:
    """In Santiago 2026-09-06 starts at 01:00 (midnight is skipped), so a Sunday open
    00:00-24:00 holds 23 h and Saturday stays closed. Regression (same cause): servicekit opened
    the Sunday at Saturday 23:00:00.000001 and counted 23:59:59.999999."""
    cal = BusinessCalendar(tz="America/Santiago", hours={"sun": "00:00-24:00"})
    saturday_noon = datetime(2026, 9, 5, 12, tzinfo=SCL)
    monday_noon = datetime(2026, 9, 7, 12, tzinfo=SCL)
    assert not cal.is_open(datetime(2026, 9, 5, 23, 30, tzinfo=SCL))
    assert cal.elapsed(saturday_noon, monday_noon) == timedelta(hours=23)
    assert utc(cal.next_open(saturday_noon)) == datetime(2026, 9, 6, 4, tzinfo=UTC)


def test_always_open_calendar_counts_real_time_across_a_skipped_midnight() -> None:
    """A 24x7 calendar in Santiago counts real time across the skipped midnight of 2026-09-06.

    Regression (same cause): it counted 47:59:59.999999 from Saturday 12:00 to Monday 12:00,
    which is 47 h of real time. Saturday, whose offset is the same at both midnights, took the
    fast path and ended correctly at the jump (04:00Z); Sunday's start was mis-placed an hour
    earlier, so the two overlapped and the hour was counted twice.
    """
    cal = BusinessCalendar.always(tz="America/Santiago")
    a = datetime(2026, 9, 5, 12, tzinfo=SCL)
    b = datetime(2026, 9, 7, 12, tzinfo=SCL)
    assert utc(b) - utc(a) == timedelta(hours=47)
    assert cal.elapsed(a, b) == timedelta(hours=47)
    assert cal.add(a, timedelta(hours=47)) == b


def test_elapsed_never_exceeds_wall_time_across_a_skipped_midnight() -> None:
    """Saturday 22:00-23:30 and Sunday 00:00-02:00 in Santiago around 2026-09-06: 2:30 of open
    time within 3 h of real time. Regression (same cause, visible without knowing the semantics
    of skipped times): the mis-placed Sunday opening overlapped Saturday's interval and the
    overlap was counted twice, 3:29:59.999999 in 3 h."""
    cal = BusinessCalendar(
        tz="America/Santiago", hours={"sat": "22:00-23:30", "sun": "00:00-02:00"}
    )
    a = datetime(2026, 9, 5, 22, tzinfo=SCL)
    b = datetime(2026, 9, 6, 2, tzinfo=SCL)
    assert utc(b) - utc(a) == 3 * H
    assert cal.elapsed(a, b) <= utc(b) - utc(a)
    assert cal.elapsed(a, b) == timedelta(hours=2, minutes=30)


# -- year boundaries and cache history --------------------------------------------------------


def test_is_open_at_new_year_after_computing_in_the_old_year() -> None:
    """An always-open calendar that has answered a question about 2026 is open at 2027-01-01T00:00Z.

    Regression (fixed in 3d736bc): it said closed, and ``next_open`` there raised IndexError.
    ``Timeline.state_for`` extends the built range only when ``t > state.hi``; ``t == state.hi``
    (local midnight of the next year) was treated as built, but the intervals starting at that
    instant were not.
    """
    cal = BusinessCalendar.always(tz="UTC")
    new_year = datetime(2027, 1, 1, tzinfo=UTC)
    assert cal.is_open(datetime(2026, 6, 1, tzinfo=UTC))
    assert cal.is_open(new_year)
    assert cal.next_open(new_year) == new_year


def test_next_open_at_new_year_after_computing_in_the_old_year() -> None:
    """Open 00:00-06:00 daily; after a 2026 question, ``next_open`` at 2027-01-01 00:00 (open) is
    that instant. Regression (same cause): it returned 2027-01-02 00:00."""
    cal = BusinessCalendar(
        tz="Asia/Shanghai",
        hours=dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "00:00-06:00"),
    )
    assert cal.elapsed(sh(2026, 6, 1), sh(2026, 6, 2)) == 6 * H
    new_year = sh(2027, 1, 1)
    assert cal.is_open(new_year)
    assert cal.next_open(new_year) == new_year


def test_next_close_is_the_end_of_a_run_that_crosses_new_year() -> None:
    """Open Wednesday-Thursday 22:00-24:00 and Thursday-Friday 00:00-06:00: local new year
    (Thursday 2026-12-31 to Friday) must not look like a closing, just as an ordinary midnight
    does not."""
    cal = BusinessCalendar(
        tz="UTC",
        hours={"wed": "22:00-24:00", "thu": "00:00-06:00,22:00-24:00", "fri": "00:00-06:00"},
    )
    assert cal.next_close(datetime(2026, 6, 3, 23, tzinfo=UTC)) == datetime(
        2026, 6, 4, 6, tzinfo=UTC
    )
    assert cal.next_close(datetime(2026, 12, 31, 23, tzinfo=UTC)) == datetime(
        2027, 1, 1, 6, tzinfo=UTC
    )


# -- intervals ending at 24:00 ----------------------------------------------------------------


def test_intervals_ending_at_midnight_join_the_next_day() -> None:
    cal = BusinessCalendar(tz="Asia/Shanghai", hours={"fri": "18:00-24:00", "sat": "00:00-06:00"})
    assert cal.hours_on(date(2026, 3, 6)) == "18:00-24:00"
    assert cal.elapsed(sh(2026, 3, 6, 20), sh(2026, 3, 7, 2)) == 6 * H
    assert cal.add(sh(2026, 3, 6, 23), 2 * H) == sh(2026, 3, 7, 1)
    assert cal.add(sh(2026, 3, 6, 22), 2 * H) == sh(2026, 3, 7, 0)
    assert cal.is_open(sh(2026, 3, 7, 0))
    assert cal.is_open(sh(2026, 3, 6, 23, 59, 59, 999_999))
    assert cal.next_close(sh(2026, 3, 6, 20)) == sh(2026, 3, 7, 6)
    assert cal.open_intervals(sh(2026, 3, 6), sh(2026, 3, 8)) == [
        (sh(2026, 3, 6, 18), sh(2026, 3, 7, 6))
    ]


def test_sunday_until_midnight_wraps_into_monday() -> None:
    cal = BusinessCalendar(tz="UTC", hours={"sun": "22:00-24:00:00", "mon": "00:00-02:00"})
    sunday = datetime(2026, 3, 8, 23, tzinfo=UTC)
    assert cal.add(sunday, 2 * H) == datetime(2026, 3, 9, 1, tzinfo=UTC)
    assert cal.elapsed(datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC)) == (
        4 * H
    )


def test_whole_day_intervals() -> None:
    cal = BusinessCalendar(tz="UTC", hours="00:00-24:00")
    monday = datetime(2026, 3, 2, tzinfo=UTC)
    assert cal.elapsed(monday, monday + timedelta(days=7)) == timedelta(days=5)
    assert cal.add(monday, timedelta(days=5)) == datetime(2026, 3, 7, tzinfo=UTC)
    assert BusinessCalendar.always().elapsed(monday, monday + timedelta(days=7)) == timedelta(
        days=7
    )


def test_never_open_again_is_an_error() -> None:
    cal = BusinessCalendar(
        tz="UTC", hours={}, workdays=[date(2026, 3, 7)], workday_hours="09:00-10:00"
    )
    assert cal.add(datetime(2026, 3, 1, tzinfo=UTC), H) == datetime(2026, 3, 7, 10, tzinfo=UTC)
    with pytest.raises(CalendarError, match="never opens again"):
        cal.add(datetime(2026, 3, 1, tzinfo=UTC), 2 * H)
    with pytest.raises(CalendarError, match="never opens again"):
        cal.next_open(datetime(2026, 3, 8, tzinfo=UTC))


# -- validation errors --------------------------------------------------------------------------

_CAL = BusinessCalendar(tz="Asia/Shanghai", hours=LUNCH)
_UNTYPED: Any = _CAL  # for calls with deliberately wrong argument types
_T = datetime(2026, 3, 2, 10, tzinfo=SH)
_NAIVE = datetime(2026, 3, 2, 10)


def _make(**kwargs: Any) -> Callable[[], object]:
    def build() -> object:
        base: dict[str, Any] = {"tz": "Asia/Shanghai", "hours": LUNCH}
        base.update(kwargs)
        return BusinessCalendar(**base)

    return build


CONSTRUCTION_ERRORS: list[tuple[str, Callable[[], object], str]] = [
    ("malformed hours", _make(hours="9-18"), "malformed"),
    ("malformed separator", _make(hours="09:00-12:00;13:00-18:00"), "malformed"),
    ("time out of range", _make(hours="09:00-25:00"), "out of range"),
    ("minutes out of range", _make(hours="09:00-18:60"), "out of range"),
    ("past 24:00", _make(hours="09:00-24:00:01"), "out of range"),
    ("starts at 24:00", _make(hours="24:00-24:00"), "24:00"),
    ("empty interval", _make(hours="09:00-09:00"), "empty"),
    ("overlap", _make(hours="09:00-12:00,11:00-13:00"), "overlap"),
    ("overlap in a day", _make(hours={"tue": "09:00-18:00,17:00-19:00"}), "overlap"),
    ("crosses midnight", _make(hours="22:00-06:00"), "midnight"),
    ("unknown weekday key", _make(hours={"monday": "09:00-18:00"}), "weekday"),
    ("hours not a string", _make(hours={"mon": 9}), "hour string"),
    ("hours wrong type", _make(hours=9), "hours"),
    ("unknown tz", _make(tz="Mars/Olympus_Mons"), "time zone"),
    ("tz not a string", _make(tz=ZoneInfo("UTC")), "tz"),
    (
        "holiday is a workday",
        _make(holidays=[date(2026, 10, 1)], workdays=[date(2026, 10, 1)]),
        "both as holidays and as workdays",
    ),
    (
        "workdays without hours",
        _make(hours={"sat": "09:00-12:00"}, workdays=[date(2026, 3, 2)]),
        "workday_hours",
    ),
    ("bad workday_hours", _make(workday_hours="9"), "malformed"),
    ("holiday not a date", _make(holidays=["next friday"]), "holidays[0]"),
    ("unknown country", lambda: BusinessCalendar.for_country("XX", tz="UTC"), "country"),
    (
        "unknown subdivision",
        lambda: BusinessCalendar.for_country("US", subdiv="ZZ", tz="UTC"),
        "subdivision",
    ),
    (
        "bad beyond_coverage",
        lambda: BusinessCalendar.china(beyond_coverage="guess"),  # type: ignore[arg-type]
        "beyond_coverage",
    ),
    (
        "china holiday is a workday",
        lambda: BusinessCalendar.china(
            extra_holidays=[date(2027, 1, 1)], extra_workdays=[date(2027, 1, 1)]
        ),
        "both as holidays and as workdays",
    ),
    ("bad json", lambda: BusinessCalendar.from_json("{not json"), "JSON"),
    (
        "json unknown field",
        # an unknown key is not repeated (keys may be personal data; issue 10, item 15)
        lambda: BusinessCalendar.from_json('{"tz": "UTC", "hours": {}, "colour": "red"}'),
        "(unknown field)",
    ),
    (
        "json unknown tz",
        lambda: BusinessCalendar.model_validate_json(
            '{"tz": "Nowhere/Town", "hours": {"mon": "09:00-18:00"}}'
        ),
        "time zone",
    ),
]


@pytest.mark.parametrize(
    ("make", "fragment"),
    [pytest.param(make, fragment, id=name) for name, make, fragment in CONSTRUCTION_ERRORS],
)
def test_construction_errors_are_calendar_errors(make: Callable[[], object], fragment: str) -> None:
    with pytest.raises(CalendarError) as info:
        make()
    err = info.value
    assert isinstance(err, ServiceKitError)
    assert isinstance(err, ValueError)
    assert fragment.lower() in str(err).lower()
    assert err.problems
    assert all(isinstance(p, str) and p for p in err.problems)


def test_every_problem_is_reported() -> None:
    with pytest.raises(CalendarError) as info:
        BusinessCalendar(tz="Nowhere/Town", hours={"mon": "9-18", "tue": "x"})
    assert len(info.value.problems) >= 2
    text = str(info.value)
    assert "tz" in text
    assert "hours" in text


NAIVE_CALLS: list[tuple[str, Callable[[], object], str]] = [
    ("is_open", lambda: _CAL.is_open(_NAIVE), "t"),
    ("next_open", lambda: _CAL.next_open(_NAIVE), "t"),
    ("next_close", lambda: _CAL.next_close(_NAIVE), "t"),
    ("elapsed start", lambda: _CAL.elapsed(_NAIVE, _T), "start"),
    ("elapsed end", lambda: _CAL.elapsed(_T, _NAIVE), "end"),
    ("add", lambda: _CAL.add(_NAIVE, H), "start"),
    ("open_intervals", lambda: _CAL.open_intervals(_T, _NAIVE), "end"),
    ("covers", lambda: _CAL.covers(_NAIVE), "day"),
    ("provisional", lambda: _CAL.provisional(_NAIVE, _T), "start"),
    ("elapsed_many starts", lambda: _CAL.elapsed_many([_T, _NAIVE], [_T, _T]), "starts[1]"),
    ("elapsed_many ends", lambda: _CAL.elapsed_many([_T], [_NAIVE]), "ends[0]"),
    ("add_many", lambda: _CAL.add_many([_NAIVE], [H]), "starts[0]"),
]


@pytest.mark.parametrize(
    ("call", "name"), [pytest.param(call, name, id=i) for i, call, name in NAIVE_CALLS]
)
def test_naive_datetimes_are_rejected(call: Callable[[], object], name: str) -> None:
    with pytest.raises(NaiveDatetimeError) as info:
        call()
    assert isinstance(info.value, ServiceKitError)
    assert isinstance(info.value, InvalidInputError)
    assert isinstance(info.value, TypeError)
    message = str(info.value)
    assert message.startswith(f"{name}:")
    assert "naive" in message
    assert "tzinfo" in message  # shows how to fix it


BAD_TYPE_CALLS: list[tuple[str, Callable[[], object], str]] = [
    ("is_open str", lambda: _UNTYPED.is_open("2026-03-02T10:00:00+08:00"), "str"),
    ("is_open date", lambda: _UNTYPED.is_open(date(2026, 3, 2)), "date"),
    ("is_open timestamp", lambda: _UNTYPED.is_open(1_772_416_800), "int"),
    ("next_open none", lambda: _UNTYPED.next_open(None), "NoneType"),
    ("elapsed str", lambda: _UNTYPED.elapsed(_T, "tomorrow"), "str"),
    ("add int duration", lambda: _UNTYPED.add(_T, 3600), "int"),
    ("add str duration", lambda: _UNTYPED.add(_T, "1h"), "str"),
    ("add float duration", lambda: _UNTYPED.add(_T, 1.5), "float"),
    ("add negative", lambda: _UNTYPED.add(_T, -H), "negative"),
    ("add_many negative", lambda: _CAL.add_many([_T], [-US]), "negative"),
    ("elapsed_many str", lambda: _CAL.elapsed_many("2026-03-02", "2026-03-03"), "str"),
    ("hours_on datetime", lambda: _CAL.hours_on(_T), "datetime"),
    ("covers str", lambda: _UNTYPED.covers("2026-03-02"), "str"),
]


@pytest.mark.parametrize(
    ("call", "fragment"), [pytest.param(call, frag, id=i) for i, call, frag in BAD_TYPE_CALLS]
)
def test_wrong_argument_types_and_values(call: Callable[[], object], fragment: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        call()
    assert isinstance(info.value, ServiceKitError)
    assert fragment in str(info.value)


PERSONAL_CALLS: list[tuple[str, Callable[[], object]]] = [
    ("tz", _make(tz=PERSONAL)),
    ("holidays", _make(holidays=[PERSONAL])),
    ("workdays", _make(workdays=[PERSONAL])),
    ("holidays not a list", _make(holidays=PERSONAL)),
    ("country", lambda: BusinessCalendar.for_country(PERSONAL, tz="UTC")),
    ("subdivision", lambda: BusinessCalendar.for_country("US", subdiv=PERSONAL, tz="UTC")),
    ("beyond_coverage", lambda: BusinessCalendar.china(beyond_coverage=PERSONAL)),  # type: ignore[arg-type]
    ("json tz", lambda: BusinessCalendar.from_json(json.dumps({"tz": PERSONAL, "hours": {}}))),
    ("json document", lambda: BusinessCalendar.from_json(PERSONAL)),
    ("is_open", lambda: _UNTYPED.is_open(PERSONAL)),
    ("elapsed", lambda: _UNTYPED.elapsed(_T, PERSONAL)),
    ("add duration", lambda: _UNTYPED.add(_T, PERSONAL)),
    ("elapsed_many", lambda: _CAL.elapsed_many([PERSONAL], [_T])),
    ("add_many", lambda: _CAL.add_many([_T], [PERSONAL])),
    ("covers", lambda: _UNTYPED.covers(PERSONAL)),
]


@pytest.mark.parametrize("call", [pytest.param(c, id=i) for i, c in PERSONAL_CALLS])
def test_error_messages_do_not_repeat_personal_data(call: Callable[[], object]) -> None:
    with pytest.raises(ServiceKitError) as info:
        call()
    err = info.value
    for text in (str(err), repr(err), *err.problems):
        assert PERSONAL not in text
        assert "13800138000" not in text
        assert "张三" not in text


# -- value semantics: JSON, equality, hashing, immutability -----------------------------------


def _calendars() -> list[BusinessCalendar]:
    return [
        BusinessCalendar(tz="Asia/Shanghai", hours=LUNCH),
        BusinessCalendar(
            tz="Asia/Shanghai",
            hours={"mon": "09:00-18:00", "sat": "10:00-12:00:30", "sun": "22:00-24:00"},
            holidays=[date(2026, 10, 1), date(2026, 1, 1)],
            workdays=[date(2026, 10, 10)],
            workday_hours="10:00-16:00",
        ),
        BusinessCalendar.always(),
        BusinessCalendar.always(tz="America/Santiago"),
        BusinessCalendar.china(hours=LUNCH),
        BusinessCalendar.china(extra_holidays=[date(2027, 1, 1)], beyond_coverage="statutory"),
        BusinessCalendar.for_country("US", subdiv="NY", tz="America/New_York"),
    ]


@pytest.mark.parametrize("cal", _calendars(), ids=lambda c: c.to_json()[:40])
def test_json_round_trip(cal: BusinessCalendar) -> None:
    text = cal.to_json()
    json.loads(text)  # valid JSON
    back = BusinessCalendar.from_json(text)
    assert back == cal
    assert hash(back) == hash(cal)
    assert back.to_json() == text
    assert BusinessCalendar.from_json(text.encode()) == cal
    dumped = cal.model_dump_json()
    assert BusinessCalendar.model_validate_json(dumped) == cal
    # the twin computes the same answers
    t0, t1 = datetime(2026, 9, 28, 10, tzinfo=UTC), datetime(2026, 10, 12, 3, tzinfo=UTC)
    assert back.elapsed(t0, t1) == cal.elapsed(t0, t1)
    assert back.add(t0, 7 * H) == cal.add(t0, 7 * H)


def test_equal_and_hash_after_computing() -> None:
    a = BusinessCalendar.china(hours=LUNCH)
    b = BusinessCalendar.china(hours=LUNCH)
    a.add(sh(2026, 9, 30, 15), timedelta(hours=24))
    a.elapsed_many([sh(2024, 1, 1)], [sh(2026, 1, 1)])
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    assert a.to_json() == b.to_json()
    c = BusinessCalendar.from_json(a.to_json())
    assert c == a
    assert hash(c) == hash(a)


def test_equality_is_by_value() -> None:
    as_text = BusinessCalendar(tz="Asia/Shanghai", hours="9:00-12:00, 13:00-18:00")
    as_dict = BusinessCalendar(
        tz="Asia/Shanghai", hours=dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), LUNCH)
    )
    assert as_text == as_dict
    assert hash(as_text) == hash(as_dict)
    assert as_text.hours.mon == LUNCH  # canonical form
    one = BusinessCalendar(tz="UTC", hours=LUNCH, holidays=[date(2026, 1, 2), date(2026, 1, 1)])
    two = BusinessCalendar(
        tz="UTC", hours=LUNCH, holidays=(date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 1))
    )
    assert one == two
    assert hash(one) == hash(two)
    assert one.holidays == (date(2026, 1, 1), date(2026, 1, 2))
    assert one != BusinessCalendar(tz="UTC", hours=LUNCH)
    assert one != BusinessCalendar(tz="Asia/Shanghai", hours=LUNCH, holidays=one.holidays)
    assert BusinessCalendar.always() != BusinessCalendar.always(tz="Asia/Shanghai")
    assert one != "not a calendar"


def test_calendars_are_immutable() -> None:
    cal = BusinessCalendar(tz="Asia/Shanghai", hours=LUNCH)
    before = cal.to_json()
    with pytest.raises(CalendarError, match="immutable"):
        cal.tz = "UTC"  # type: ignore[misc]
    with pytest.raises(CalendarError, match="immutable"):
        cal.hours.sat = "09:00-18:00"  # type: ignore[misc]
    assert isinstance(cal.holidays, tuple)
    assert cal.to_json() == before
    assert cal.is_open(sh(2026, 3, 2, 10))


@pytest.mark.parametrize(
    "hours",
    ["张三 13800138000", "09:00-12:00,张三-13800138000", {"张三": "09:00-10:00"},
     {"mon": "13800138000"}],
)
def test_hour_errors_name_positions_not_the_text(hours: Any) -> None:
    """Whatever was passed as hours (even personal data by mistake) is not echoed back."""
    with pytest.raises(CalendarError) as info:
        BusinessCalendar(tz="UTC", hours=hours)
    message = str(info.value)
    assert "13800138000" not in message
    assert "张三" not in message
    assert "hours" in message


def test_assigning_to_a_calendar_raises_a_servicekit_error() -> None:
    cal = BusinessCalendar.always(tz="UTC")
    with pytest.raises(CalendarError, match="immutable") as info:
        cal.tz = "Asia/Shanghai"  # type: ignore[misc]
    assert "Asia/Shanghai" not in str(info.value)
    assert cal == BusinessCalendar.always(tz="UTC")
