"""Checking and converting instants and durations (scalars and numpy arrays)."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone, tzinfo
from fractions import Fraction
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from servicekit.calendar._timeline import EPOCH, MAX_YEAR, MIN_YEAR, ONE_US, to_us
from servicekit.errors import CalendarError, InvalidInputError, NaiveDatetimeError

I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]

_NAT = np.iinfo(np.int64).min
_LO_US = to_us(datetime(MIN_YEAR, 1, 2, tzinfo=EPOCH.tzinfo))
_HI_US = to_us(datetime(MAX_YEAR, 12, 30, tzinfo=EPOCH.tzinfo))
#: The most business time an ``add`` could ever find: the whole supported range.
MAX_DURATION_US = _HI_US - _LO_US


_ZERO = timedelta(0)


def require_aware(value: object, name: str) -> datetime:
    """Return ``value`` as a plain timezone-aware ``datetime``; raise a clear error otherwise.

    A plain ``datetime`` comes back as it is. An aware instance of a subclass (pendulum
    ``DateTime``, pandas ``Timestamp``, a host's own) comes back as the equivalent plain
    ``datetime``: see :func:`plain_datetime`.
    """
    if type(value) is datetime:  # the common case first: no extra work for plain datetimes
        if value.tzinfo is None or value.utcoffset() is None:
            raise _naive(name)
        return value
    if not isinstance(value, datetime):
        raise InvalidInputError(
            f"{name}: expected a timezone-aware datetime, got {type(value).__name__}"
        )
    return plain_datetime(value, name)


def _naive(name: str) -> NaiveDatetimeError:
    return NaiveDatetimeError(
        f"{name}: naive datetime (no time zone); servicekit needs aware datetimes, e.g. "
        "datetime(2026, 10, 8, 9, 0, tzinfo=ZoneInfo('Asia/Shanghai'))"
    )


def plain_datetime(value: datetime, name: str) -> datetime:
    """The plain ``datetime`` equal to an aware ``datetime`` (of any subclass).

    Same instant, same wall time and the equivalent zone: a ``ZoneInfo`` subclass (pendulum's
    ``Timezone``) becomes the ``ZoneInfo`` of its key, pendulum's ``FixedTimezone`` a
    ``datetime.timezone``; other ``tzinfo`` objects are kept. ``fold`` is 1 only where it
    matters (the second reading of a repeated wall time), as ``astimezone`` gives it. The
    instant is read with the stdlib's own subtraction, so a subclass's arithmetic (pendulum's
    ``-`` returns an ``Interval``) never takes part. Values below the microsecond (a pandas
    ``Timestamp``'s nanoseconds) raise, as they do in numpy arrays.
    """
    if value.tzinfo is None or datetime.utcoffset(value) is None:
        raise _naive(name)
    if getattr(value, "nanosecond", 0):
        raise InvalidInputError(
            f"{name}: values below the microsecond are not supported; round first, "
            "e.g. value.floor('us') for a pandas Timestamp"
        )
    since = datetime.__sub__(value, EPOCH)  # the stdlib's instant arithmetic, a plain timedelta
    zone = _plain_zone(value.tzinfo)
    wall = (value.year, value.month, value.day, value.hour, value.minute, value.second,
            value.microsecond)
    for fold in (0, 1):
        out = datetime(*wall, tzinfo=zone, fold=fold)
        if out - EPOCH == since:
            return out
    # the wall time and the zone do not give the instant (a subclass that reports its fields
    # otherwise, or a zone whose plain form differs): keep the instant
    try:
        return (EPOCH + since).astimezone(zone)
    except OverflowError:  # the instant, or its wall time in the zone, beyond years 1 to 9999
        raise InvalidInputError(
            f"{name}: instant outside the years a datetime holds (1 to 9999)"
        ) from None


def _plain_zone(tz: tzinfo) -> tzinfo:
    cls = type(tz)
    if cls is ZoneInfo or cls is timezone:
        return tz
    if isinstance(tz, ZoneInfo):  # pendulum 3's Timezone
        if tz.key is None:
            return tz
        try:
            return ZoneInfo(tz.key)
        except Exception:  # a key that names no zone file (not found, a directory, too long)
            return tz
    # pendulum's FixedTimezone (looked up only if pendulum is loaded: never imported here)
    fixed = getattr(sys.modules.get("pendulum.tz.timezone"), "FixedTimezone", None)
    if isinstance(fixed, type) and isinstance(tz, fixed):
        offset = tz.utcoffset(None)
        if offset is not None:
            return timezone(offset)
    return tz


def plain_timedelta(value: timedelta) -> timedelta:
    """The plain ``timedelta`` equal to one of any subclass (pendulum ``Duration``/``Interval``).

    Read with the stdlib's own division: pendulum's ``seconds``/``microseconds`` and ``//``
    differ from ``timedelta``'s.
    """
    if type(value) is timedelta:
        return value
    return timedelta(microseconds=timedelta.__floordiv__(value, ONE_US))


def instant_us(value: object, name: str) -> int:
    us = to_us(require_aware(value, name))
    if not _LO_US <= us <= _HI_US:
        raise CalendarError(f"{name}: instant outside the years {MIN_YEAR} to {MAX_YEAR}")
    return us


def duration_us(value: object, name: str) -> int:
    if type(value) is not timedelta:
        if not isinstance(value, timedelta):
            raise InvalidInputError(
                f"{name}: expected a datetime.timedelta, got {type(value).__name__}"
            )
        value = plain_timedelta(value)
    if value < _ZERO:
        raise InvalidInputError(
            f"{name}: a negative duration cannot be added; add() finds the earliest instant "
            "at or after start"
        )
    return value // ONE_US


def plain_date(value: date) -> date:
    """The plain ``date`` equal to one of any subclass (pendulum ``Date``); not a datetime."""
    if type(value) is date:
        return value
    return date(value.year, value.month, value.day)


def local_date(value: date | datetime, zone: Any, name: str) -> date:
    """The local date of an instant (in the supported years, as every instant argument), or a
    date as it is."""
    if isinstance(value, datetime):
        instant_us(value, name)  # years 2 to 9998: the local date then exists in every zone
        return require_aware(value, name).astimezone(zone).date()
    if isinstance(value, date):
        return plain_date(value)
    raise InvalidInputError(
        f"{name}: expected a date or an aware datetime, got {type(value).__name__}"
    )


#: Microseconds in one step of each linear numpy unit (as a Fraction below the microsecond).
#: A ``timedelta64`` month or year is numpy's average one (30.436875 and 365.2425 days); a
#: ``datetime64`` month or year is a calendar one (see :func:`_raw_bounds`).
_UNIT_US: dict[str, Fraction] = {
    "Y": Fraction(31_556_952_000_000),
    "M": Fraction(2_629_746_000_000),
    "W": Fraction(7 * 86_400_000_000),
    "D": Fraction(86_400_000_000),
    "h": Fraction(3_600_000_000),
    "m": Fraction(60_000_000),
    "s": Fraction(1_000_000),
    "ms": Fraction(1_000),
    "us": Fraction(1),
    "ns": Fraction(1, 10**3),
    "ps": Fraction(1, 10**6),
    "fs": Fraction(1, 10**9),
    "as": Fraction(1, 10**12),
}


@lru_cache(maxsize=64)
def _raw_bounds(kind: str, unit: str, count: int) -> tuple[int, int]:
    """The least and the greatest raw int64 value of a numpy unit that stays in range.

    For ``datetime64`` (``kind == "M"``) the range is :data:`_LO_US` to :data:`_HI_US`; for
    ``timedelta64`` (``"m"``) it is 0 to :data:`MAX_DURATION_US`. Values inside these bounds
    convert to microseconds without overflowing int64 (numpy's own conversion wraps around
    silently), and their instants and durations lie in the range. Exact integer arithmetic.
    """
    if kind == "M" and unit in ("Y", "M"):
        # calendar years / months since 1970, each value the first day of its year / month:
        # 0003-01 and 0002-02 are the first after 0002-01-02, 9998-01 and 9998-12 the last
        # before 9998-12-30
        if unit == "Y":
            lo, hi = MIN_YEAR + 1 - 1970, MAX_YEAR - 1970
        else:
            lo, hi = (MIN_YEAR - 1970) * 12 + 1, (MAX_YEAR - 1970) * 12 + 11
        return -(-lo // count), hi // count
    step = _UNIT_US[unit] * count
    lo_us, hi_us = (_LO_US, _HI_US) if kind == "M" else (0, MAX_DURATION_US)
    return math.ceil(lo_us / step), math.floor(hi_us / step)


def _from_numpy(arr: npt.NDArray[Any], kind: str, name: str) -> tuple[I64, Bool]:
    """Microseconds and a NaT mask, range-checked in the array's own unit before converting."""
    expected = "datetime64" if kind == "M" else "timedelta64"
    if arr.dtype.kind != kind:
        raise InvalidInputError(f"{name}: expected a numpy {expected} array, got dtype {arr.dtype}")
    unit, count = np.datetime_data(arr.dtype)
    if unit == "generic":
        raise InvalidInputError(f"{name}: {expected} array without a unit")
    if not arr.dtype.isnative:  # a view of big-endian bytes as native int64 would be garbage
        arr = arr.astype(arr.dtype.newbyteorder("="))
    raw = arr.view(np.int64)
    nat = raw == _NAT
    has_nat = bool(nat.any())
    valid = raw[~nat] if has_nat else raw
    if valid.size:
        lo, hi = _raw_bounds(kind, unit, count)
        least, greatest = int(valid.min()), int(valid.max())
        if kind == "m" and least < 0:
            raise InvalidInputError(f"{name}: negative durations cannot be added")
        if least < lo or greatest > hi:
            raise CalendarError(_out_of_range(kind, name))
    target = np.dtype(f"{expected}[us]")
    if unit in ("ns", "ps", "fs", "as"):
        # finer than a microsecond: allowed only when nothing below the microsecond is set (a
        # multiple of a coarser unit, '[7D]', is whole microseconds)
        back = arr.astype(target).astype(arr.dtype)
        if np.any((back.view(np.int64) != raw) & ~nat):
            raise InvalidInputError(
                f"{name}: values below the microsecond are not supported; "
                f"round first, e.g. values.astype('{expected}[us]')"
            )
    us: I64 = arr.astype(target).view(np.int64)
    return us, nat


def _out_of_range(kind: str, name: str) -> str:
    if kind == "M":
        return f"{name}: instants outside the years {MIN_YEAR} to {MAX_YEAR}"
    return f"{name}: more business time than the years {MIN_YEAR} to {MAX_YEAR} hold"


def instants_array(values: object, name: str) -> tuple[I64, Bool]:
    """UTC microseconds and a NaT mask from a datetime64 array or a sequence of aware datetimes."""
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "O":
            values = list(values.ravel())
        else:
            return _from_numpy(values.ravel(), "M", name)
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise InvalidInputError(
            f"{name}: expected a numpy datetime64 array or a sequence of aware datetimes, "
            f"got {type(values).__name__}"
        )
    out = np.fromiter(
        (instant_us(v, f"{name}[{i}]") for i, v in enumerate(values)),
        dtype=np.int64,
        count=len(values),
    )
    return out, np.zeros(out.shape, dtype=bool)


def durations_array(values: object, name: str) -> tuple[I64, Bool]:
    """Microseconds and a NaT mask from a timedelta64 array or a sequence of timedeltas."""
    if isinstance(values, np.ndarray) and values.dtype.kind != "O":
        us, nat = _from_numpy(values.ravel(), "m", name)
    elif isinstance(values, (np.ndarray, Sequence)) and not isinstance(values, (str, bytes)):
        seq = list(values.ravel()) if isinstance(values, np.ndarray) else values
        us = np.fromiter(
            (_bounded_duration_us(v, f"{name}[{i}]") for i, v in enumerate(seq)),
            dtype=np.int64,
            count=len(seq),
        )
        return us, np.zeros(us.shape, dtype=bool)
    else:
        raise InvalidInputError(
            f"{name}: expected a numpy timedelta64 array or a sequence of timedeltas, "
            f"got {type(values).__name__}"
        )
    return us, nat


def _bounded_duration_us(value: object, name: str) -> int:
    us = duration_us(value, name)
    if us > MAX_DURATION_US:  # before np.fromiter, which would overflow past int64
        raise CalendarError(_out_of_range("m", name))
    return us
