"""Differential test: servicekit's business time against ``businesstimedelta`` (with pytz).

businesstimedelta walks the calendar period by period, a completely different algorithm from
servicekit's cumulative-open-time binary search, so agreement on thousands of random cases is
strong evidence both are right where businesstimedelta is known to be correct. Its domain is
restricted here, for these reasons (read from its source, businesstimedelta 1.0.1):

* Whole seconds only: ``Rule.difference`` rebuilds its result from ``days`` and ``seconds``
  (``BusinessTimeDelta(self, hours=result.days * 24, seconds=result.seconds)``), dropping
  microseconds.
* One ``WorkDayRule`` (Monday-Friday) and a ``LunchTimeRule`` strictly inside the working day:
  ``Rules.next`` shortens an open period only by time off that *ends* before the period ends
  (``if end < min_end: min_end = start``), so a break straddling closing time would be counted.
* Holidays are whole local days, and the list must hold a holiday within five years after every
  instant reached: ``HolidayRule.next_holiday`` gives up after ``max_days`` (five years) and
  returns ``None``, on which ``next`` crashes. A sentinel holiday after the test range fixes
  that without changing any answer.
* No make-up working days (调休): businesstimedelta cannot open a weekend day.
* Zones and hours where ``pytz.localize`` (``is_dst=False``) is exact for every rule boundary:
  Asia/Shanghai has no DST; in New York 09:00-18:00 is far from the 02:00 changes, which fall on
  Sundays, and a holiday's end (``start + timedelta(days=1)``, fixed-offset arithmetic that is an
  hour off on a DST day) is outside working hours.

Within that domain the two libraries agree exactly, also at interval ends (a duration that runs
out at 18:00 gives 18:00 in both) and at holiday edges, which the grid-aligned cases hit.
"""

from __future__ import annotations

import random
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import businesstimedelta as btd
import holidays as holidays_pkg
import pytest
import pytz
from chinese_calendar import constants as china_constants
from hypothesis import given, settings
from hypothesis import strategies as st

from servicekit.calendar import BusinessCalendar

DAY = 86_400
SENTINEL = date(2029, 1, 3)  # a Wednesday holiday, after every instant these tests reach
RANGE_LO = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp())
RANGE_HI = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())


class SortedHolidayRule(btd.HolidayRule):  # type: ignore[misc]
    """``HolidayRule`` whose ``next_holiday`` bisects a sorted list instead of testing each day.

    Same answers as the original loop (the first holiday at or after ``date``, or at or before
    it when ``reverse``, within ``max_days``; else ``None``); only faster on sparse lists.
    """

    def __init__(self, days: Iterable[date], tz: pytz.BaseTzInfo) -> None:
        self.sorted_days = sorted(set(days))
        super().__init__(set(self.sorted_days), tz=tz)

    def next_holiday(
        self, date: date, reverse: bool = False, max_days: int = 365 * 5
    ) -> date | None:
        days = self.sorted_days
        if reverse:
            i = bisect_right(days, date) - 1
            found = days[i] if i >= 0 else None
        else:
            i = bisect_left(days, date)
            found = days[i] if i < len(days) else None
        if found is None or abs((found - date).days) > max_days:
            return None
        return found


@dataclass(frozen=True)
class Pair:
    """The same calendar in both libraries."""

    name: str
    cal: BusinessCalendar
    rules: btd.Rules


def _pair(
    name: str, tz: str, *, lunch: bool, closed: Iterable[date], opens: time = time(9)
) -> Pair:
    zone = pytz.timezone(tz)
    days = sorted({*closed, SENTINEL})
    rules = [
        btd.WorkDayRule(start_time=opens, end_time=time(18), working_days=[0, 1, 2, 3, 4], tz=zone)
    ]
    hours = f"{opens:%H:%M}-18:00"
    if lunch:
        rules.append(
            btd.LunchTimeRule(
                start_time=time(12), end_time=time(13), working_days=[0, 1, 2, 3, 4], tz=zone
            )
        )
        hours = f"{opens:%H:%M}-12:00,13:00-18:00"
    rules.append(SortedHolidayRule(days, tz=zone))
    cal = BusinessCalendar(tz=tz, hours=hours, holidays=days)
    return Pair(name, cal, btd.Rules(rules))


CHINA_HOLIDAYS = [d for d in china_constants.holidays if d.year in (2025, 2026)]
US_HOLIDAYS = list(holidays_pkg.country_holidays("US", years=[2025, 2026]))

SHANGHAI_LUNCH = _pair("shanghai-lunch", "Asia/Shanghai", lunch=True, closed=CHINA_HOLIDAYS)
SHANGHAI_PLAIN = _pair("shanghai-plain", "Asia/Shanghai", lunch=False, closed=())
NEW_YORK = _pair("new-york", "America/New_York", lunch=False, closed=US_HOLIDAYS)
PAIRS = [SHANGHAI_LUNCH, SHANGHAI_PLAIN, NEW_YORK]


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def check_elapsed(pair: Pair, a: int, b: int) -> None:
    start, end = _utc(a), _utc(b)
    expected = pair.rules.difference(start, end).timedelta
    assert pair.cal.elapsed(start, end) == expected
    assert pair.cal.elapsed(end, start) == -expected


def check_add(pair: Pair, s: int, d: int) -> None:
    start, duration = _utc(s), timedelta(seconds=d)
    expected = start + btd.BusinessTimeDelta(pair.rules, timedelta=duration)
    assert pair.cal.add(start, duration).astimezone(UTC) == expected.astimezone(UTC)


def _instant(rng: random.Random) -> int:
    t = rng.randint(RANGE_LO, RANGE_HI)
    if rng.random() < 0.4:  # on a half-hour grid: opening, lunch, closing and midnight
        t -= t % 1800
    return t


def _span(rng: random.Random) -> int:
    kind = rng.random()
    if kind < 0.1:
        return 0
    if kind < 0.5:
        span = rng.randint(0, DAY)
    elif kind < 0.85:
        span = rng.randint(0, 7 * DAY)
    else:
        span = rng.randint(0, 60 * DAY)
    if rng.random() < 0.3:
        span -= span % 1800
    return span


def _business_duration(rng: random.Random) -> int:
    kind = rng.random()
    if kind < 0.3:
        return rng.randint(1, 9 * 3600)
    if kind < 0.6:
        return 3600 * rng.randint(1, 60)  # whole hours: runs out at interval ends
    if kind < 0.7:
        return 1800 * rng.randint(1, 40)
    return rng.randint(1, 200 * 3600)


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.name)
def test_random_pairs_agree_with_businesstimedelta(pair: Pair) -> None:
    rng = random.Random(f"servicekit-differential-{pair.name}")
    for _ in range(2000):
        a = _instant(rng)
        check_elapsed(pair, a, a + _span(rng))
        check_add(pair, _instant(rng), _business_duration(rng))


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.name)
@pytest.mark.parametrize(
    ("start", "hours"),
    [
        (datetime(2026, 3, 2, 9, tzinfo=UTC), 1),  # runs out at closing in Shanghai / New York
        (datetime(2026, 3, 2, 17, tzinfo=UTC), 1),
        (datetime(2026, 3, 6, 9, tzinfo=UTC), 72),
        (datetime(2026, 3, 7, 12, tzinfo=UTC), 5),  # a weekend
        (datetime(2026, 10, 2, 3, tzinfo=UTC), 24),  # National Day
        (datetime(2025, 12, 31, 10, tzinfo=UTC), 10),  # New Year
        (datetime(2026, 2, 13, 16, tzinfo=UTC), 30),  # Spring Festival
        (datetime(2025, 7, 3, 21, tzinfo=UTC), 9),  # Independence Day
        (datetime(2026, 3, 6, 22, tzinfo=UTC), 9),  # New York's DST weekend
        (datetime(2026, 10, 30, 22, tzinfo=UTC), 9),
    ],
)
def test_edge_cases_agree_with_businesstimedelta(pair: Pair, start: datetime, hours: int) -> None:
    s = int(start.timestamp())
    for t in (s, s - s % 3600, s - s % DAY):
        check_add(pair, t, hours * 3600)
        check_elapsed(pair, t, t + hours * 3600)
        check_elapsed(pair, t, t + 3 * DAY)


def test_the_s02_example_agrees_with_businesstimedelta() -> None:
    """S-02 (24 business hours) on a lunch-break calendar without make-up days, both libraries."""
    shanghai = pytz.timezone("Asia/Shanghai")
    received = shanghai.localize(datetime(2026, 9, 30, 15))
    deadline = SHANGHAI_LUNCH.cal.add(received, timedelta(hours=24))
    other = received + btd.BusinessTimeDelta(SHANGHAI_LUNCH.rules, hours=24)
    assert deadline == other
    # without the make-up Saturday (10 October) the deadline moves to Monday the 12th
    assert deadline.isoformat() == "2026-10-12T15:00:00+08:00"


@settings(max_examples=100, deadline=None)
@given(
    pair=st.sampled_from(PAIRS),
    a=st.integers(RANGE_LO, RANGE_HI),
    span=st.integers(0, 60 * DAY) | st.integers(0, DAY),
    grid=st.sampled_from((1, 1, 60, 1800, 3600)),
    d=st.integers(1, 200 * 3600) | st.integers(1, 60).map(lambda h: 3600 * h),
)
def test_hypothesis_cases_agree_with_businesstimedelta(
    pair: Pair, a: int, span: int, grid: int, d: int
) -> None:
    a -= a % grid
    check_elapsed(pair, a, a + span - span % grid)
    check_add(pair, a, d)


def test_sorted_holiday_rule_matches_the_original() -> None:
    """The faster HolidayRule gives the original's answers (so the oracle is unchanged)."""
    zone = pytz.timezone("Asia/Shanghai")
    days = [*CHINA_HOLIDAYS, SENTINEL]
    fast, slow = SortedHolidayRule(days, tz=zone), btd.HolidayRule(set(days), tz=zone)
    rng = random.Random(7)
    for _ in range(200):
        t = _utc(rng.randint(RANGE_LO, RANGE_HI))
        assert fast.next(t) == slow.next(t)
        assert fast.previous(t) == slow.previous(t)
    assert fast.next_holiday(date(2024, 1, 1), max_days=10) is None
    assert slow.next_holiday(date(2024, 1, 1), max_days=10) is None
