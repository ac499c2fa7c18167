"""Business calendars and exact, fast business-time arithmetic.

>>> from datetime import datetime, timedelta
>>> from zoneinfo import ZoneInfo
>>> cal = BusinessCalendar(tz="Asia/Shanghai", hours="09:00-12:00,13:00-18:00")
>>> t0 = datetime(2026, 3, 6, 17, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Friday
>>> cal.add(t0, timedelta(hours=2)).isoformat()
'2026-03-09T10:00:00+08:00'
"""

from servicekit.calendar._calendar import WEEKDAYS, BusinessCalendar, WeeklyHours
from servicekit.calendar._convert import require_aware
from servicekit.calendar._epoch import EPOCH_US_MAX, EPOCH_US_MIN, from_epoch_us, to_epoch_us
from servicekit.calendar._hours import MAX_HOURS_CHARS, MAX_INTERVALS_PER_DAY
from servicekit.calendar._timeline import MAX_INTERVALS, MAX_SPAN_YEARS, MAX_YEAR, MIN_YEAR

__all__ = [
    "EPOCH_US_MAX",
    "EPOCH_US_MIN",
    "MAX_HOURS_CHARS",
    "MAX_INTERVALS",
    "MAX_INTERVALS_PER_DAY",
    "MAX_SPAN_YEARS",
    "MAX_YEAR",
    "MIN_YEAR",
    "WEEKDAYS",
    "BusinessCalendar",
    "WeeklyHours",
    "from_epoch_us",
    "require_aware",
    "to_epoch_us",
]
