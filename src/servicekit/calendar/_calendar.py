"""``BusinessCalendar``: when a service desk is open, and business-time arithmetic on it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from pydantic import GetJsonSchemaHandler, PrivateAttr, field_validator, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from servicekit._model import ValueModel
from servicekit.calendar._convert import (
    duration_us,
    durations_array,
    instant_us,
    instants_array,
    local_date,
    plain_date,
)
from servicekit.calendar._epoch import add_many_us as _add_many_us
from servicekit.calendar._epoch import elapsed_many_us as _elapsed_many_us
from servicekit.calendar._hours import Intervals, format_hours, parse_hours
from servicekit.calendar._timeline import Timeline, from_us
from servicekit.errors import CalendarCoverageError, CalendarError, ServiceKitError

__all__ = ["WEEKDAYS", "BusinessCalendar", "WeeklyHours"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS = "00:00-24:00"


class WeeklyHours(ValueModel):
    """Opening hours per weekday, as canonical hour strings (``""`` means closed)."""

    error_class: ClassVar[type[ServiceKitError]] = CalendarError

    mon: str = ""
    tue: str = ""
    wed: str = ""
    thu: str = ""
    fri: str = ""
    sat: str = ""
    sun: str = ""

    @field_validator("*", mode="before")
    @classmethod
    def _canonical(cls, value: object) -> str:
        if not isinstance(value, str):
            raise ValueError(
                f"expected an hour string like '09:00-18:00', got {type(value).__name__}"
            )
        return format_hours(parse_hours(value))

    def intervals(self) -> tuple[Intervals, ...]:
        """Parsed intervals, Monday first."""
        return tuple(parse_hours(getattr(self, day)) for day in WEEKDAYS)


@lru_cache(maxsize=1)
def _china_data() -> tuple[range, dict[int, frozenset[date]], dict[int, frozenset[date]]]:
    """chinesecalendar's statutory holidays and make-up working days, indexed by year."""
    from chinese_calendar import constants

    hol: dict[int, set[date]] = {}
    work: dict[int, set[date]] = {}
    for d in constants.holidays:
        hol.setdefault(d.year, set()).add(d)
    for d in constants.workdays:
        work.setdefault(d.year, set()).add(d)
    years = range(min(hol), max(hol) + 1)
    return (
        years,
        {y: frozenset(v) for y, v in hol.items()},
        {y: frozenset(v) for y, v in work.items()},
    )


def _by_year(days: Iterable[date]) -> dict[int, frozenset[date]]:
    out: dict[int, set[date]] = {}
    for d in days:
        out.setdefault(d.year, set()).add(d)
    return {y: frozenset(v) for y, v in out.items()}


class _HoursSchema:
    """JSON Schema of ``hours``: one string for Monday to Friday, or a string per weekday."""

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "anyOf": [
                {"type": "string", "description": "hours Monday to Friday, e.g. "
                 "'09:00-18:00', or '24x7' (every hour of every day)"},
                handler(core_schema),
            ]
        }


class BusinessCalendar(ValueModel):
    """When a service desk is open: weekly hours in a time zone, holidays and make-up workdays.

    A calendar is an immutable, hashable value that serialises to JSON. Its arithmetic
    (:meth:`elapsed`, :meth:`add` and their vectorised forms) is exact to the microsecond and
    costs the same for a two-year span as for a two-day one.

    Precedence on a given date: the host's ``holidays`` / ``workdays`` lists, then the holiday
    source (chinesecalendar for :meth:`china`, the ``holidays`` package for
    :meth:`for_country`), then the weekly ``hours``. Make-up working days open with
    ``workday_hours`` (by default Monday's hours).
    """

    error_class: ClassVar[type[ServiceKitError]] = CalendarError

    tz: str
    hours: Annotated[WeeklyHours, _HoursSchema]
    holidays: tuple[date, ...] = ()
    workdays: tuple[date, ...] = ()
    workday_hours: str | None = None
    source: Literal["custom", "china", "country"] = "custom"
    country: str | None = None
    subdiv: str | None = None
    beyond_coverage: Literal["raise", "statutory"] = "raise"

    _timeline: Timeline = PrivateAttr()
    _weekly: tuple[Intervals, ...] = PrivateAttr()
    _workday_intervals: Intervals = PrivateAttr()
    _host_holidays: dict[int, frozenset[date]] = PrivateAttr()
    _host_workdays: dict[int, frozenset[date]] = PrivateAttr()

    def __init__(
        self,
        *,
        tz: str,
        hours: str | Mapping[str, str] | WeeklyHours,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        workday_hours: str | None = None,
        source: Literal["custom", "china", "country"] = "custom",
        country: str | None = None,
        subdiv: str | None = None,
        beyond_coverage: Literal["raise", "statutory"] = "raise",
    ) -> None:
        super().__init__(
            tz=tz,
            hours=hours,
            holidays=_as_tuple(holidays),
            workdays=_as_tuple(workdays),
            workday_hours=workday_hours,
            source=source,
            country=country,
            subdiv=subdiv,
            beyond_coverage=beyond_coverage,
        )

    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    # -- validation -------------------------------------------------------------------------

    @field_validator("tz")
    @classmethod
    def _check_tz(cls, value: str) -> str:
        problem = _zone_or_problem(value)
        if isinstance(problem, str):
            raise ValueError(problem)
        return value

    @field_validator("hours", mode="before")
    @classmethod
    def _expand_hours(cls, value: object) -> object:
        if isinstance(value, str):
            if value.strip().lower() in ("24x7", "24/7"):  # open every hour of every day
                return dict.fromkeys(WEEKDAYS, ALWAYS)
            parse_hours(value)  # one error for the string, not one per weekday
            return dict.fromkeys(WEEKDAYS[:5], value)
        if isinstance(value, Mapping):
            unknown = [k for k in value if k not in WEEKDAYS]
            if unknown:
                raise ValueError(
                    f"{len(unknown)} unknown weekday key(s); the keys are "
                    f"{', '.join(WEEKDAYS)}"
                )
        return value

    @field_validator("holidays", "workdays")
    @classmethod
    def _sorted_dates(cls, value: tuple[date, ...]) -> tuple[date, ...]:
        return tuple(sorted({plain_date(d) for d in value}))  # pendulum Dates become dates

    @field_validator("workday_hours")
    @classmethod
    def _canonical_workday_hours(cls, value: str | None) -> str | None:
        return None if value is None else format_hours(parse_hours(value))

    @model_validator(mode="after")
    def _check_consistency(self) -> BusinessCalendar:
        problems: list[str] = []
        both = sorted(set(self.holidays) & set(self.workdays))
        if both:
            shown = ", ".join(d.isoformat() for d in both[:5])
            problems.append(f"dates listed both as holidays and as workdays: {shown}")
        if self.workdays and not _workday_intervals(self.hours, self.workday_hours):
            problems.append(
                "workdays are given but there are no weekday hours to open them with; "
                "set workday_hours"
            )
        if self.source == "country":
            if not self.country:
                problems.append("source 'country' needs a country code")
            else:
                problems.extend(_check_country(self.country, self.subdiv))
        elif self.country is not None or self.subdiv is not None:
            problems.append("country and subdiv apply only to source 'country'")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def model_post_init(self, context: Any, /) -> None:
        self._weekly = self.hours.intervals()
        self._workday_intervals = _workday_intervals(self.hours, self.workday_hours)
        self._host_holidays = _by_year(self.holidays)
        self._host_workdays = _by_year(self.workdays)
        self._timeline = Timeline(ZoneInfo(self.tz), self._plan, self._may_open_after)

    # -- constructors -----------------------------------------------------------------------

    @classmethod
    def always(cls, tz: str = "UTC") -> BusinessCalendar:
        """Open 24 hours a day, 7 days a week (calendar time)."""
        return cls(tz=tz, hours=dict.fromkeys(WEEKDAYS, ALWAYS))

    @classmethod
    def named(cls, name: str) -> BusinessCalendar:
        """A built-in calendar by its text form: ``"24x7"`` (:meth:`always`, UTC) or
        ``"china"`` (:meth:`china`). A policy document may name these without defining them;
        an SLA policy's ``calendar`` may be given as one of these names."""
        if name == "24x7":
            return cls.always()
        if name == "china":
            return cls.china()
        raise CalendarError("a calendar named by text is '24x7' or 'china' (a policy "
                            "document's own calendars are named in its SLA policies)")

    @classmethod
    def china(
        cls,
        hours: str | Mapping[str, str] = "09:00-18:00",
        tz: str = "Asia/Shanghai",
        *,
        extra_holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
        workday_hours: str | None = None,
        beyond_coverage: Literal["raise", "statutory"] = "raise",
    ) -> BusinessCalendar:
        """Mainland China's working calendar: statutory holidays and make-up working days (调休).

        The schedule comes from chinesecalendar for every year it covers. A year it does not
        cover raises :class:`~servicekit.errors.CalendarCoverageError` when a computation reaches
        it, unless the host announces that year through ``extra_holidays`` / ``extra_workdays``
        (any date in a year makes the host's lists that year's whole schedule), or
        ``beyond_coverage="statutory"`` asks for the ``holidays`` package's rule-based
        statutory dates (no make-up days); such dates are provisional (see :meth:`covers`).
        """
        return cls(
            tz=tz,
            hours=hours,
            holidays=extra_holidays,
            workdays=extra_workdays,
            workday_hours=workday_hours,
            source="china",
            beyond_coverage=beyond_coverage,
        )

    @classmethod
    def for_country(
        cls,
        country: str,
        *,
        subdiv: str | None = None,
        hours: str | Mapping[str, str] = "09:00-17:00",
        tz: str,
        extra_holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
        workday_hours: str | None = None,
    ) -> BusinessCalendar:
        """Public holidays of a country (and subdivision) from the ``holidays`` package."""
        return cls(
            tz=tz,
            hours=hours,
            holidays=extra_holidays,
            workdays=extra_workdays,
            workday_hours=workday_hours,
            source="country",
            country=country,
            subdiv=subdiv,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> BusinessCalendar:
        """Load a calendar from the JSON that :meth:`to_json` writes."""
        return cls.model_validate_json(text)

    def to_json(self) -> str:
        return self.model_dump_json(exclude_defaults=True)

    # -- the schedule -----------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return self._timeline.zone

    def _host_announced(self, year: int) -> bool:
        return year in self._host_holidays or year in self._host_workdays

    def covers(self, day: date | datetime) -> bool:
        """Whether the calendar's holiday data for ``day`` is authoritative.

        Always true for custom and country calendars. For :meth:`china`, true in the years
        chinesecalendar covers and the years the host announced; false elsewhere, where results
        either raise (``beyond_coverage="raise"``) or are provisional (``"statutory"``).
        """
        return self._covers_year(local_date(day, self.zone, "day").year)

    def _covers_year(self, year: int) -> bool:
        if self.source != "china":
            return True
        years, _, _ = _china_data()
        return year in years or self._host_announced(year)

    def provisional(self, start: datetime, end: datetime) -> bool:
        """Whether any local date from ``start`` to ``end`` is not :meth:`covered <covers>`."""
        a = local_date(start, self.zone, "start").year
        b = local_date(end, self.zone, "end").year
        return not all(self._covers_year(y) for y in range(min(a, b), max(a, b) + 1))

    def _year_sets(self, year: int) -> tuple[frozenset[date], frozenset[date]]:
        """The closed dates and the make-up working dates of a local year."""
        host_hol = self._host_holidays.get(year, frozenset())
        host_work = self._host_workdays.get(year, frozenset())
        if self.source == "custom":
            return host_hol, host_work
        if self.source == "country":
            import holidays as holidays_pkg

            assert self.country is not None
            src = holidays_pkg.country_holidays(self.country, subdiv=self.subdiv, years=year)
            return frozenset(src.keys()) - host_work | host_hol, host_work
        years, china_hol, china_work = _china_data()
        if year in years:
            hol = china_hol.get(year, frozenset())
            work = china_work.get(year, frozenset())
            return (hol - host_work) | host_hol, (work - host_hol) | host_work
        if self._host_announced(year):
            return host_hol, host_work
        if self.beyond_coverage == "statutory":
            import holidays as holidays_pkg

            src = holidays_pkg.country_holidays("CN", years=year)
            return frozenset(src.keys()) - host_work | host_hol, host_work
        raise CalendarCoverageError(
            f"China's holiday schedule for {year} is not in chinesecalendar (it covers "
            f"{years.start} to {years.stop - 1}); pass the announced dates with "
            "BusinessCalendar.china(extra_holidays=..., extra_workdays=...), or "
            "beyond_coverage='statutory' for provisional results",
            year=year,
        )

    def _day_intervals(self, day: date, hol: frozenset[date], work: frozenset[date]) -> Intervals:
        if day in hol:
            return ()
        if day in work:
            return self._workday_intervals
        return self._weekly[day.weekday()]

    def _plan(self, year: int) -> list[tuple[date, Intervals]]:
        hol, work = self._year_sets(year)
        # the private attributes read once: each read goes through pydantic's __getattr__
        weekly, workday = self._weekly, self._workday_intervals
        first = date(year, 1, 1).toordinal()
        last = date(year, 12, 31).toordinal()
        out: list[tuple[date, Intervals]] = []
        for ordinal in range(first, last + 1):
            day = date.fromordinal(ordinal)
            # as _day_intervals: holidays first, then make-up working days, then the week
            if day in hol:
                continue
            intervals = workday if day in work else weekly[(ordinal - 1) % 7]
            if intervals:
                out.append((day, intervals))
        return out

    def _may_open_after(self, year: int) -> bool:
        if any(self._weekly):
            return True
        if not self._workday_intervals:
            return False
        later = [y for y in self._host_workdays if y > year]
        if self.source == "china":
            _, _, china_work = _china_data()
            later += [y for y in china_work if y > year]
        return bool(later)

    def hours_on(self, day: date) -> str:
        """The opening hours that apply on a local date, as an hour string (``""``: closed)."""
        if not isinstance(day, date) or isinstance(day, datetime):
            raise CalendarError(f"day: expected a date, got {type(day).__name__}")
        day = plain_date(day)
        hol, work = self._year_sets(day.year)
        return format_hours(self._day_intervals(day, hol, work))

    # -- scalar business time ---------------------------------------------------------------

    def is_open(self, t: datetime) -> bool:
        """Whether the desk is open at instant ``t`` (intervals are half-open: [start, end))."""
        return self._timeline.is_open_us(instant_us(t, "t"))

    def next_open(self, t: datetime) -> datetime:
        """The first open instant at or after ``t`` (``t`` itself when open)."""
        return from_us(self._timeline.next_open_us(instant_us(t, "t")), self.zone)

    def next_close(self, t: datetime) -> datetime:
        """The end of the open interval containing ``t``, or else of the next one."""
        return from_us(self._timeline.next_close_us(instant_us(t, "t")), self.zone)

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Open time between two instants; negative when ``end`` is before ``start``.

        :class:`~servicekit.errors.CalendarError` when the two lie more than
        :data:`~servicekit.calendar.MAX_SPAN_YEARS` local years apart (or their years hold
        more than :data:`~servicekit.calendar.MAX_INTERVALS` open intervals).
        """
        us = self._timeline.elapsed_us(instant_us(start, "start"), instant_us(end, "end"))
        return timedelta(microseconds=us)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant ``u >= start`` with ``elapsed(start, u) == duration``.

        Adding zero returns ``start`` (as an instant in the calendar's zone), open or not.
        A positive duration that runs out exactly at the end of an open interval returns that
        end (18:00), not the next opening (09:00 the next day).

        :class:`~servicekit.errors.CalendarError` when the result would lie more than
        :data:`~servicekit.calendar.MAX_SPAN_YEARS` local years after ``start`` or after year
        9998; a duration longer than the wall time to that limit is refused before any year
        is built.
        """
        us = self._timeline.add_us(instant_us(start, "start"), duration_us(duration, "duration"))
        return from_us(us, self.zone)

    def open_intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The open intervals between two instants, clipped to them, in the calendar's zone."""
        pairs = self._timeline.intervals_us(instant_us(start, "start"), instant_us(end, "end"))
        zone = self.zone
        return [(from_us(s, zone), from_us(e, zone)) for s, e in pairs]

    # -- vectorised business time -----------------------------------------------------------

    def elapsed_many(
        self, starts: object, ends: object, *, unit: Literal["s", "us"] = "s"
    ) -> npt.NDArray[Any]:
        """Vectorised :meth:`elapsed`: open time between ``starts[i]`` and ``ends[i]``.

        ``starts`` and ``ends`` are numpy ``datetime64`` arrays read as UTC (any unit), or
        sequences of aware datetimes, of the same length. Returns float64 seconds (``unit="s"``,
        NaN where either side is NaT) or exact int64 microseconds (``unit="us"``, no NaT).
        The seconds are the correctly rounded value of the exact microseconds, so they equal
        ``elapsed(...).total_seconds()``.
        """
        a, a_nat = instants_array(starts, "starts")
        b, b_nat = instants_array(ends, "ends")
        if a.shape != b.shape:
            raise CalendarError(
                f"starts and ends differ in length ({a.shape[0]} and {b.shape[0]})"
            )
        nat = a_nat | b_nat
        if unit not in ("s", "us"):
            raise CalendarError("unit: expected 's' or 'us'")
        if unit == "us" and nat.any():
            raise CalendarError("starts/ends contain NaT, which unit='us' cannot represent")
        if nat.any():
            if nat.all():
                return np.full(a.shape, np.nan)
            fill = a[~nat][0]
            a = np.where(nat, fill, a)
            b = np.where(nat, fill, b)
        us = self._timeline.elapsed_many_us(a, b)
        if unit == "us":
            return us
        # One correctly rounded division: open time is below 2**53 µs (285 years), since one
        # computation spans at most MAX_SPAN_YEARS (100) years.
        seconds: npt.NDArray[np.float64] = us / 1_000_000
        seconds[nat] = np.nan
        return seconds

    def add_many(self, starts: object, durations: object) -> npt.NDArray[np.datetime64]:
        """Vectorised :meth:`add`; returns a ``datetime64[us]`` array of UTC instants.

        ``durations`` is a numpy ``timedelta64`` array or a sequence of timedeltas; NaT in
        either input gives NaT in the result.
        """
        s, s_nat = instants_array(starts, "starts")
        d, d_nat = durations_array(durations, "durations")
        if s.shape != d.shape:
            raise CalendarError(
                f"starts and durations differ in length ({s.shape[0]} and {d.shape[0]})"
            )
        nat = s_nat | d_nat
        if nat.all():
            return np.full(s.shape, np.datetime64("NaT"), dtype="datetime64[us]")
        if nat.any():
            fill = s[~nat][0]
            s = np.where(nat, fill, s)
            d = np.where(nat, 0, d)
        out = self._timeline.add_many_us(s, d).view("datetime64[us]").copy()
        out[nat] = np.datetime64("NaT")
        return out

    # -- vectorised business time on integers -------------------------------------------------

    def elapsed_many_us(self, starts: object, ends: object) -> npt.NDArray[np.int64]:
        """Vectorised :meth:`elapsed` on integers: open time between ``starts[i]`` and ``ends[i]``.

        Instants are int64 microseconds since 1970-01-01T00:00Z (UTC), as numpy integer arrays
        (or sequences of ints) of the same shape; :func:`~servicekit.calendar.to_epoch_us`
        converts a datetime. Returns an int64 array of that shape: exact microseconds of open
        time, negative where ``ends[i] < starts[i]``. Nothing is converted to datetimes, so this
        is the fastest path for hosts that keep instants as integers (``elapsed_many(...,
        unit="us")`` gives the same numbers from datetimes).

        Raises :class:`~servicekit.errors.InvalidInputError` for arrays that are not integers,
        and :class:`~servicekit.errors.CalendarError` for arrays of different shapes, for
        instants outside the years 2 to 9998 (:data:`~servicekit.calendar.EPOCH_US_MIN` to
        :data:`~servicekit.calendar.EPOCH_US_MAX`), for a pair more than
        :data:`~servicekit.calendar.MAX_SPAN_YEARS` local years apart, and where the
        calendar's holiday data does not reach (``CalendarCoverageError``): each pair raises
        or is answered as :meth:`elapsed` would.
        """
        return _elapsed_many_us(self._timeline, starts, ends)

    def add_many_us(self, starts: object, amounts: object) -> npt.NDArray[np.int64]:
        """Vectorised :meth:`add` on integers: the earliest ``u[i] >= starts[i]`` with
        ``elapsed(starts[i], u[i]) == amounts[i]``.

        ``starts`` are int64 microseconds since 1970-01-01T00:00Z (UTC) and ``amounts`` int64
        microseconds of business time, as numpy integer arrays (or sequences of ints) of the
        same shape. Returns an int64 array of instants in microseconds since the epoch (UTC), of
        that shape; an amount of zero returns its start, open or not, and an amount that runs
        out at the end of an open interval returns that end, as :meth:`add` does.

        Raises :class:`~servicekit.errors.InvalidInputError` for arrays that are not integers
        or for a negative amount, and :class:`~servicekit.errors.CalendarError` for arrays of
        different shapes, for starts outside the years 2 to 9998, for results beyond them (or
        more business time than they hold), for results more than
        :data:`~servicekit.calendar.MAX_SPAN_YEARS` local years after their start, for a
        calendar that never opens again, and where the holiday data does not reach
        (``CalendarCoverageError``): each element raises or is answered as :meth:`add` would.
        """
        return _add_many_us(self._timeline, starts, amounts)


def _as_tuple(days: Iterable[date]) -> tuple[date, ...] | Any:
    if isinstance(days, (str, bytes)):
        return days  # let validation report the wrong type
    try:
        return tuple(days)
    except TypeError:
        return days


def _workday_intervals(hours: WeeklyHours, workday_hours: str | None) -> Intervals:
    """Hours of a make-up working day: ``workday_hours``, else Monday's (or the first weekday's)."""
    if workday_hours is not None:
        return parse_hours(workday_hours)
    return next((iv for iv in hours.intervals()[:5] if iv), ())


def _check_country(country: str, subdiv: str | None) -> list[str]:
    """Problems with a country code and subdivision, from the holidays package's own lists.

    The code is looked up in ``holidays.list_supported_countries()`` (ISO 3166 alpha-2 and
    alpha-3 codes), never as an attribute of the module: ``"country_holidays"`` or
    ``"HolidayBase"`` are not countries.
    """
    import holidays as holidays_pkg

    if country not in _supported_countries():
        return ["unknown country code; expected an ISO 3166 code the holidays package knows"]
    try:
        holidays_pkg.country_holidays(country, subdiv=subdiv, years=2000)
    except NotImplementedError:
        return [f"unknown subdivision for {country}; expected one of the holidays package's codes"]
    except Exception:  # any other failure of the package on a subdivision it was given
        return [f"subdivision not accepted for {country} by the holidays package"]
    return []


@lru_cache(maxsize=1)
def _supported_countries() -> frozenset[str]:
    """The codes of ``holidays.list_supported_countries()``, aliases included.

    Read from the package's registry when it has one (the same codes, without importing every
    country's module: a fraction of a millisecond instead of about 0.2 s).
    """
    import holidays as holidays_pkg

    try:
        from holidays.registry import EntityLoader

        return frozenset(EntityLoader.get_country_codes(include_aliases=True))
    except (ImportError, AttributeError, TypeError):
        return frozenset(holidays_pkg.list_supported_countries(include_aliases=True))


#: The shape of an IANA zone name: up to four ``/``-separated parts of letters, digits, ``_``,
#: ``+`` and ``-``, 64 characters in all (the longest name in tzdata, ``America/Argentina/
#: ComodRivadavia``, has 32). Anything else (``""``, ``"../etc"``, a NUL byte, a path) is refused
#: before the file system is asked.
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-]{1,32}(?:/[A-Za-z0-9_+\-]{1,32}){0,3}")
MAX_ZONE_NAME = 64


def _zone_or_problem(name: str) -> ZoneInfo | str:
    """The ``ZoneInfo`` of an IANA zone name, or the problem (never repeating the name).

    ``name`` is a str: pydantic has checked the field's type before this runs.
    """
    if len(name) > MAX_ZONE_NAME or _ZONE_NAME.fullmatch(name) is None:
        return _UNKNOWN_ZONE
    try:
        return ZoneInfo(name)
    except Exception:  # not found, a directory, a name too long, not a TZif file: all unknown
        return _UNKNOWN_ZONE


_UNKNOWN_ZONE = "unknown time zone; expected an IANA name such as 'Asia/Shanghai' or 'UTC'"
