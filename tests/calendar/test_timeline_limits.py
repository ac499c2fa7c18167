"""The limits of one computation at their exact values (issue 20)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from servicekit.calendar import MAX_SPAN_YEARS, WEEKDAYS, BusinessCalendar, to_epoch_us
from servicekit.errors import CalendarError

SH = ZoneInfo("Asia/Shanghai")
US = timedelta(microseconds=1)


def utc(year: int, month: int = 1, day: int = 1, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def test_an_always_open_add_may_take_exactly_100_years_of_wall_time() -> None:
    start = utc(2026)
    hundred = utc(2026 + MAX_SPAN_YEARS) - start
    assert BusinessCalendar.always().add(start, hundred) == utc(2126)
    with pytest.raises(CalendarError, match=r"^duration: more business time than 100 local "
                                            r"years from the start hold"):
        BusinessCalendar.always().add(start, hundred + US)


def test_an_add_past_max_intervals_is_refused_while_walking() -> None:
    """48 intervals a day: the years an add needs hold more than MAX_INTERVALS intervals."""
    slots = ",".join(
        f"{h:02d}:{m + 5:02d}-{h:02d}:{m + 15:02d}" for h in range(24) for m in (0, 30)
    )
    cal = BusinessCalendar(tz="UTC", hours=dict.fromkeys(WEEKDAYS, slots))
    with pytest.raises(CalendarError, match=r"^duration: the local years the computation needs "
                                            r"hold more than 200,000 open intervals"):
        cal.add(utc(2026), timedelta(days=12 * 365) / 3)  # 8 h a day: 12 years
    assert cal.add(utc(2026), timedelta(hours=8)) == utc(2026, 1, 1, 23) + timedelta(minutes=45)


def test_an_empty_span_needs_no_year() -> None:
    china = BusinessCalendar.china()
    t = datetime(2027, 6, 1, tzinfo=SH)  # 2027 is not in the China data
    assert china.open_intervals(t, t) == []


def test_next_open_at_the_last_open_microsecond_of_the_china_data() -> None:
    cal = BusinessCalendar.china(hours="00:00-24:00")
    last = datetime(2027, 1, 1, tzinfo=SH) - US  # Thursday 2026-12-31, a working day
    assert cal.next_open(last) == last
    assert cal.is_open(last)


def test_a_batch_element_beyond_the_reach_of_the_first_start_is_answered_alone() -> None:
    starts = [utc(2026, 3, 2, 10), utc(2120, 6, 1)]
    amounts = [timedelta(hours=1), utc(2130, 6, 1) - utc(2120, 6, 1)]
    cal = BusinessCalendar.always()
    got = cal.add_many_us([to_epoch_us(t) for t in starts], [d // US for d in amounts])
    assert got.tolist() == [to_epoch_us(utc(2026, 3, 2, 11)), to_epoch_us(utc(2130, 6, 1))]
    assert MAX_SPAN_YEARS < 2130 - 2026
