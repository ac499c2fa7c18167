"""Conversions at their edges (issue 20: the mutation run found them unpinned).

numpy arrays are range-checked in their own unit: a value is accepted exactly when numpy's own
conversion of it to microseconds lies in the supported range (instants: years 2 to 9998;
durations: 0 to ``MAX_DURATION_US``). Datetime subclasses and their zones become plain ones;
what cannot be read raises a typed error naming the argument.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from servicekit.calendar import (
    EPOCH_US_MAX,
    EPOCH_US_MIN,
    BusinessCalendar,
    _convert,
    require_aware,
)
from servicekit.calendar._convert import MAX_DURATION_US
from servicekit.errors import CalendarError, InvalidInputError, NaiveDatetimeError

SH = ZoneInfo("Asia/Shanghai")
ALWAYS = BusinessCalendar.always()


@pytest.fixture(autouse=True)
def _fresh_bounds_cache() -> Iterator[None]:
    """The bounds of each unit are cached; each test here computes its own."""
    _convert._raw_bounds.cache_clear()
    yield
    _convert._raw_bounds.cache_clear()


def _us_of(raw: int, dtype: str) -> int:
    """numpy's own conversion of one raw value to microseconds (the reference)."""
    target = dtype.split("[", maxsplit=1)[0] + "[us]"
    return int(np.array([raw], dtype=np.int64).view(dtype).astype(target).view(np.int64)[0])


def _first_and_last(dtype: str, lo_us: int, hi_us: int) -> tuple[int, int]:
    """The least and the greatest raw value whose microseconds lie in [lo_us, hi_us]."""
    step = _us_of(1, dtype) - _us_of(0, dtype)

    def inside(v: int) -> bool:
        return lo_us <= _us_of(v, dtype) <= hi_us

    first = lo_us // step
    while not inside(first):
        first += 1
    while inside(first - 1):
        first -= 1
    last = hi_us // step
    while not inside(last):
        last -= 1
    while inside(last + 1):
        last += 1
    return first, last


@pytest.mark.parametrize(
    "dtype",
    ["datetime64[Y]", "datetime64[M]", "datetime64[W]", "datetime64[D]", "datetime64[h]",
     "datetime64[m]", "datetime64[s]", "datetime64[ms]", "datetime64[us]", "datetime64[7D]",
     "datetime64[10Y]", "datetime64[5M]"],
)
def test_instant_arrays_are_accepted_exactly_within_the_supported_years(dtype: str) -> None:
    first, last = _first_and_last(dtype, EPOCH_US_MIN, EPOCH_US_MAX)

    def arr(raw: int) -> np.ndarray:
        return np.array([raw], dtype=np.int64).view(dtype)

    for raw in (first, last):
        assert ALWAYS.elapsed_many(arr(raw), arr(raw), unit="us").tolist() == [0]
    for raw in (first - 1, last + 1):
        with pytest.raises(CalendarError, match=r"^starts: instants outside the years 2 to 9998$"):
            ALWAYS.elapsed_many(arr(raw), arr(first))


def test_calendar_years_and_months_are_their_first_days() -> None:
    """A datetime64 year or month is its first day: 0003 and 0002-02 are the first after
    0002-01-02, 9998 and 9998-12 the last before 9998-12-30."""
    for ok, bad in (("0003", "0002"), ("0002-02", "0002-01"), ("9998", "9999"),
                    ("9998-12", "9999-01")):
        a = np.array([ok], dtype=f"datetime64[{'Y' if len(ok) == 4 else 'M'}]")
        assert ALWAYS.elapsed_many(a, a, unit="us").tolist() == [0]
        b = np.array([bad], dtype=a.dtype)
        with pytest.raises(CalendarError, match="outside the years 2 to 9998"):
            ALWAYS.elapsed_many(b, b)


@pytest.mark.parametrize(
    "dtype",
    ["timedelta64[W]", "timedelta64[D]", "timedelta64[h]", "timedelta64[s]", "timedelta64[us]",
     "timedelta64[Y]", "timedelta64[M]"],
)
def test_duration_arrays_are_accepted_exactly_up_to_the_supported_range(dtype: str) -> None:
    _, last = _first_and_last(dtype, 0, MAX_DURATION_US)
    start = np.array([EPOCH_US_MIN], dtype=np.int64).view("datetime64[us]")

    def add(raw: int) -> str:
        try:
            ALWAYS.add_many(start, np.array([raw], dtype=np.int64).view(dtype))
        except CalendarError as exc:
            return str(exc)
        return ""

    beyond = "durations: more business time than the years 2 to 9998 hold"
    assert add(last + 1) == beyond
    assert add(last) != beyond  # refused later, by the 100-year limit of one computation
    assert add(0) == ""
    with pytest.raises(InvalidInputError, match=r"^durations: negative durations"):
        ALWAYS.add_many(start, np.array([-1], dtype=np.int64).view(dtype))


def test_the_whole_supported_range_bounds_every_add() -> None:
    """MAX_DURATION_US is the span of the supported instants; more is refused at once on every
    path, and exactly that much gets the limit of one computation instead."""
    assert MAX_DURATION_US == EPOCH_US_MAX - EPOCH_US_MIN
    start = datetime(2, 1, 2, tzinfo=UTC)
    beyond = "more business time than the years 2 to 9998 hold"
    with pytest.raises(CalendarError, match=rf"^amounts: {beyond}$"):
        ALWAYS.add_many_us([EPOCH_US_MIN], [MAX_DURATION_US + 1])
    with pytest.raises(CalendarError, match=rf"^durations\[0\]: {beyond}$"):
        ALWAYS.add_many([start], [timedelta(microseconds=MAX_DURATION_US + 1)])
    with pytest.raises(CalendarError, match=r"^amounts: more business time than 100 local years"):
        ALWAYS.add_many_us([EPOCH_US_MIN], [MAX_DURATION_US])
    with pytest.raises(CalendarError, match=r"^durations: more business time than 100 local"):
        ALWAYS.add_many([start], [timedelta(microseconds=MAX_DURATION_US)])


def test_duration_sequences_are_sequences_of_timedeltas() -> None:
    t = [datetime(2026, 3, 2, tzinfo=UTC)]
    for bad in ("1h", b"1h", 5, None):
        with pytest.raises(InvalidInputError, match=r"^durations: expected a numpy timedelta64 "
                                                    r"array or a sequence of timedeltas, got "):
            ALWAYS.add_many(t, bad)
    with pytest.raises(InvalidInputError, match=r"^durations\[0\]: expected a datetime.timedelta"):
        ALWAYS.add_many(t, ["1h"])


def test_below_the_microsecond_only_fine_units_can_hold_anything() -> None:
    t = np.array(["2026-03-02T10:00"], dtype="datetime64[ns]")
    assert ALWAYS.elapsed_many(t, t + np.timedelta64(1000, "ns"), unit="us").tolist() == [1]
    with pytest.raises(InvalidInputError, match="below the microsecond"):
        ALWAYS.elapsed_many(t, t + np.timedelta64(1, "ns"))
    coarse = np.array(["2026-03-02"], dtype="datetime64[3D]")
    assert ALWAYS.elapsed_many(coarse, coarse + 1, unit="us").tolist() == [3 * 86_400 * 10**6]


# -- datetime subclasses and their zones -------------------------------------------------------


class Stamp(datetime):
    """A host's datetime subclass."""


class Fixed(tzinfo):
    """A host's own tzinfo: UTC+8, no DST."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return timedelta(hours=8)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return "UTC+8"


class NoOffset(tzinfo):
    def utcoffset(self, dt: datetime | None) -> None:
        return None


@pytest.mark.parametrize("zone", [SH, timezone(timedelta(hours=8)), Fixed()],
                         ids=["zoneinfo", "timezone", "own tzinfo"])
def test_a_subclass_becomes_a_plain_datetime_in_the_same_zone(zone: tzinfo) -> None:
    t = Stamp(2026, 3, 2, 10, 30, 5, 7, tzinfo=zone)
    plain = require_aware(t, "t")
    assert type(plain) is datetime
    assert plain.tzinfo is zone
    assert plain == t
    assert plain.replace(tzinfo=None) == datetime(2026, 3, 2, 10, 30, 5, 7)


def test_a_zone_read_from_a_file_without_a_key_is_kept() -> None:
    class Named(ZoneInfo):
        pass

    import importlib.resources

    with importlib.resources.files("tzdata.zoneinfo").joinpath("Asia/Shanghai").open("rb") as f:
        zone = Named.from_file(f)
    assert zone.key is None
    plain = require_aware(Stamp(2026, 3, 2, 10, tzinfo=zone), "t")
    assert plain.tzinfo is zone
    assert plain == datetime(2026, 3, 2, 10, tzinfo=SH)


def test_pendulum_values_become_plain_ones() -> None:
    import pendulum  # a test dependency: a missing one is a defect, not a skip
    t = pendulum.datetime(2026, 3, 2, 10, tz="Asia/Shanghai")
    plain = require_aware(t, "t")
    assert type(plain) is datetime
    assert type(plain.tzinfo) is ZoneInfo
    assert plain == datetime(2026, 3, 2, 10, tzinfo=SH)
    fixed = pendulum.datetime(2026, 3, 2, 10, tz=pendulum.FixedTimezone(8 * 3600))
    plain = require_aware(fixed, "t")
    assert plain.tzinfo == timezone(timedelta(hours=8))
    assert type(plain.tzinfo) is timezone


def test_naive_subclasses_are_refused() -> None:
    for t in (Stamp(2026, 3, 2, 10), Stamp(2026, 3, 2, 10, tzinfo=NoOffset())):
        with pytest.raises(NaiveDatetimeError, match=r"^start: naive datetime"):
            ALWAYS.elapsed(t, datetime(2026, 3, 3, tzinfo=UTC))  # type: ignore[arg-type]


def test_values_below_the_microsecond_are_refused() -> None:
    class Nano(datetime):  # as a pandas Timestamp reports its nanoseconds
        nanosecond = 5

    with pytest.raises(InvalidInputError, match=r"^t: values below the microsecond"):
        ALWAYS.is_open(Nano(2026, 3, 2, 10, tzinfo=UTC))


class Shifted(datetime):
    """A subclass whose fields say another time than its instant (it keeps the instant)."""

    @property
    def hour(self) -> int:
        return (datetime.hour.__get__(self) + 1) % 24  # type: ignore[attr-defined, no-any-return]


def test_a_subclass_whose_fields_disagree_keeps_its_instant() -> None:
    t = Shifted(2026, 3, 2, 10, tzinfo=SH)
    plain = require_aware(t, "t")
    assert type(plain) is datetime
    assert plain == datetime(2026, 3, 2, 10, tzinfo=SH)
    late = Shifted(9999, 12, 31, 22, tzinfo=timezone(timedelta(hours=-5)))  # 10000-01-01 UTC
    with pytest.raises(InvalidInputError, match=r"^t: instant outside the years a datetime holds"):
        require_aware(late, "t")


def test_date_subclasses_become_plain_dates() -> None:
    class Day(date):
        pass

    cal = BusinessCalendar(tz="UTC", hours="09:00-18:00", holidays=[Day(2026, 3, 2)])
    assert [type(d) for d in cal.holidays] == [date]
    assert cal.hours_on(Day(2026, 3, 2)) == ""
    assert cal.hours_on(Day(2026, 3, 3)) == "09:00-18:00"
    assert cal.covers(Day(2026, 3, 3))


def test_plain_timedelta_keeps_plain_ones_and_reads_subclasses_exactly() -> None:
    from servicekit.calendar._convert import plain_timedelta

    d = timedelta(hours=1, microseconds=3)
    assert plain_timedelta(d) is d

    class Span(timedelta):
        pass

    plain = plain_timedelta(Span(hours=1, microseconds=3))
    assert type(plain) is timedelta
    assert plain == d
