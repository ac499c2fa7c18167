"""Instants as integers: microseconds since the Unix epoch (1970-01-01T00:00Z, UTC).

This is the unit of the vectorised engine. A host (or the SLA engine) that already holds its
instants as integers uses :meth:`BusinessCalendar.elapsed_many_us
<servicekit.calendar.BusinessCalendar.elapsed_many_us>` and :meth:`~servicekit.calendar.
BusinessCalendar.add_many_us` directly, without building a datetime per value; the helpers here
convert single instants to and from that unit.

>>> from datetime import datetime
>>> from zoneinfo import ZoneInfo
>>> us = to_epoch_us(datetime(2026, 10, 8, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
>>> us
1791421200000000
>>> from_epoch_us(us, ZoneInfo("Asia/Shanghai")).isoformat()
'2026-10-08T09:00:00+08:00'
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

import numpy as np
import numpy.typing as npt

from servicekit.calendar._convert import _HI_US, _LO_US, MAX_DURATION_US, instant_us
from servicekit.calendar._timeline import EPOCH, MAX_YEAR, MIN_YEAR, Timeline
from servicekit.errors import CalendarError, InvalidInputError

__all__ = ["EPOCH_US_MAX", "EPOCH_US_MIN", "from_epoch_us", "to_epoch_us"]

I64 = npt.NDArray[np.int64]

#: The first instant business time is computed for (early in year 2), in epoch microseconds.
EPOCH_US_MIN: int = _LO_US
#: The last instant business time is computed for (late in year 9998), in epoch microseconds.
EPOCH_US_MAX: int = _HI_US


def to_epoch_us(value: datetime, name: str = "value") -> int:
    """Microseconds since 1970-01-01T00:00Z of an aware datetime, exactly.

    Raises :class:`~servicekit.errors.NaiveDatetimeError` for a naive datetime,
    :class:`~servicekit.errors.InvalidInputError` for anything that is not a datetime, and
    :class:`~servicekit.errors.CalendarError` for an instant outside the years 2 to 9998
    (:data:`EPOCH_US_MIN` to :data:`EPOCH_US_MAX`). ``name`` is the argument's name in the
    error messages (they never repeat the value).
    """
    return instant_us(value, name)


def from_epoch_us(us: int, zone: tzinfo = UTC) -> datetime:
    """The aware datetime ``us`` microseconds after 1970-01-01T00:00Z, in ``zone`` (default UTC).

    ``us`` is an integer (a Python ``int`` or a numpy integer) and ``zone`` a ``tzinfo``;
    :class:`~servicekit.errors.InvalidInputError` otherwise, and
    :class:`~servicekit.errors.CalendarError` beyond what a ``datetime`` holds (years 1 to
    9999, in ``zone`` as well as in UTC). ``from_epoch_us(to_epoch_us(t), t.tzinfo) == t`` for
    every aware ``t``.
    """
    if type(us) is not int:
        if isinstance(us, bool) or not isinstance(us, int | np.integer):
            raise InvalidInputError(
                f"us: expected an integer number of microseconds, got {type(us).__name__}"
            )
        us = int(us)
    if not isinstance(zone, tzinfo):
        raise InvalidInputError(f"zone: expected a tzinfo, got {type(zone).__name__}")
    try:
        return (EPOCH + timedelta(microseconds=us)).astimezone(zone)
    except OverflowError:
        raise CalendarError("us: instant outside the years a datetime holds (1 to 9999)") from None
    except (ValueError, TypeError):  # a host's tzinfo that gives no valid offset
        raise InvalidInputError("zone: the tzinfo gave no valid UTC offset") from None


def _integers(values: object, name: str) -> I64:
    """``values`` as an int64 array: an integer numpy array, or a sequence of ints."""
    if isinstance(values, np.ndarray):
        arr = values
    else:
        try:
            arr = np.asarray(values)
        except (ValueError, TypeError, OverflowError):  # ragged or otherwise not an array
            raise InvalidInputError(
                f"{name}: expected an integer array of microseconds, got {type(values).__name__}"
            ) from None
    if arr.dtype == np.int64:  # native int64 only ('>i8' differs and is converted below)
        return arr
    if arr.size == 0:
        return np.zeros(arr.shape, dtype=np.int64)
    if arr.dtype.kind == "u" and int(arr.max()) > np.iinfo(np.int64).max:
        raise CalendarError(f"{name}: values beyond int64")
    if arr.dtype.kind not in "iu":
        raise InvalidInputError(
            f"{name}: expected an integer array of microseconds, got dtype {arr.dtype}"
        )
    return arr.astype(np.int64)


def _span(lo: int, hi: int, name: str) -> tuple[int, int]:
    if lo < _LO_US or hi > _HI_US:
        raise CalendarError(f"{name}: instants outside the years {MIN_YEAR} to {MAX_YEAR}")
    return lo, hi


def _same_shape(a: I64, b: I64, names: str) -> None:
    if a.shape != b.shape:
        raise CalendarError(f"{names} differ in shape ({a.shape} and {b.shape})")


def elapsed_many_us(timeline: Timeline, starts: object, ends: object) -> I64:
    """:meth:`BusinessCalendar.elapsed_many_us` (documented there)."""
    a = _integers(starts, "starts")
    b = _integers(ends, "ends")
    _same_shape(a, b, "starts and ends")
    if a.size == 0:
        return np.zeros(a.shape, dtype=np.int64)
    a_lo, a_hi, b_lo, b_hi = int(a.min()), int(a.max()), int(b.min()), int(b.max())
    _span(a_lo, a_hi, "starts")
    _span(b_lo, b_hi, "ends")
    return timeline.elapsed_many_us(a, b, (min(a_lo, b_lo), max(a_hi, b_hi)))


def add_many_us(timeline: Timeline, starts: object, amounts: object) -> I64:
    """:meth:`BusinessCalendar.add_many_us` (documented there)."""
    s = _integers(starts, "starts")
    d = _integers(amounts, "amounts")
    _same_shape(s, d, "starts and amounts")
    if s.size == 0:
        return np.zeros(s.shape, dtype=np.int64)
    span = _span(int(s.min()), int(s.max()), "starts")
    if int(d.min()) < 0:
        raise InvalidInputError("amounts: negative amounts cannot be added")
    if int(d.max()) > MAX_DURATION_US:
        raise CalendarError(
            f"amounts: more business time than the years {MIN_YEAR} to {MAX_YEAR} hold"
        )
    return timeline.add_many_us(s, d, span, "amounts")
