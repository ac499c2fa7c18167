"""More engine edges (issue 20): an interval that falls into a skipped hour among others of
its day, and windows grown backwards from a year with several intervals, or with none."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from servicekit.calendar import WEEKDAYS, BusinessCalendar

NY = ZoneInfo("America/New_York")
SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
DAY = timedelta(days=1)


def ny(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=NY)


def sh(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SH)


def test_an_interval_in_the_skipped_hour_leaves_the_rest_of_its_day() -> None:
    """New York skips 02:00-03:00 on Sunday 2026-03-08: 02:15-02:45 never happens, 04:00-05:00
    does."""
    cal = BusinessCalendar(
        tz="America/New_York", hours={"sun": "01:00-01:30,02:15-02:45,04:00-05:00"}
    )
    assert cal.open_intervals(ny(3, 8, 0), ny(3, 8, 12)) == [
        (ny(3, 8, 1), ny(3, 8, 1, 30)),
        (ny(3, 8, 4), ny(3, 8, 5)),
    ]
    assert cal.elapsed(ny(3, 8, 0), ny(3, 8, 12)) == timedelta(minutes=90)
    assert cal.elapsed(ny(3, 1, 0), ny(3, 1, 12)) == 2 * H  # an ordinary Sunday


def test_a_window_grown_backwards_keeps_the_later_intervals() -> None:
    """Open all week but for two holidays; 2026 (two intervals) is built first, 2025 after."""
    cal = BusinessCalendar(tz="Asia/Shanghai", hours=dict.fromkeys(WEEKDAYS, "00:00-24:00"),
                           holidays=[date(2025, 12, 30), date(2026, 6, 15)])
    assert cal.elapsed(sh(2026, 6, 1), sh(2026, 6, 2)) == DAY
    assert cal.elapsed(sh(2025, 12, 31, 12), sh(2026, 12, 31)) == DAY / 2 + 364 * DAY - DAY
    assert cal.open_intervals(sh(2025, 12, 31, 12), sh(2026, 7, 1)) == [
        (sh(2025, 12, 31, 12), sh(2026, 6, 15)),
        (sh(2026, 6, 16), sh(2026, 7, 1)),
    ]
    assert cal.add(sh(2025, 12, 31, 12), 200 * DAY) == sh(2026, 7, 20, 12)


def test_a_window_without_open_time_grows_backwards() -> None:
    """Open only on a make-up day in 2025: 2026 (no open time) is built first."""
    cal = BusinessCalendar(tz="Asia/Shanghai", hours={}, workdays=[date(2025, 6, 1)],
                           workday_hours="09:00-18:00")
    assert cal.elapsed(sh(2026, 3, 2), sh(2026, 3, 9)) == timedelta(0)
    assert cal.elapsed(sh(2025, 5, 1), sh(2026, 3, 9)) == 9 * H
    assert cal.open_intervals(sh(2025, 5, 1), sh(2026, 3, 9)) == [
        (sh(2025, 6, 1, 9), sh(2025, 6, 1, 18))
    ]
