"""Checking and converting instants and durations (scalars and numpy arrays)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from servicekit.calendar._timeline import EPOCH, MAX_YEAR, MIN_YEAR, ONE_US, to_us
from servicekit.errors import CalendarError, InvalidInputError, NaiveDatetimeError

I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]

_NAT = np.iinfo(np.int64).min
_LO_US = to_us(datetime(MIN_YEAR, 1, 2, tzinfo=EPOCH.tzinfo))
_HI_US = to_us(datetime(MAX_YEAR, 12, 30, tzinfo=EPOCH.tzinfo))


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
    return (EPOCH + since).astimezone(zone)


def _plain_zone(tz: tzinfo) -> tzinfo:
    cls = type(tz)
    if cls is ZoneInfo or cls is timezone:
        return tz
    if isinstance(tz, ZoneInfo):  # pendulum 3's Timezone
        if tz.key is None:
            return tz
        try:
            return ZoneInfo(tz.key)
        except (ZoneInfoNotFoundError, ValueError):
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
    if isinstance(value, datetime):
        return require_aware(value, name).astimezone(zone).date()
    if isinstance(value, date):
        return plain_date(value)
    raise InvalidInputError(
        f"{name}: expected a date or an aware datetime, got {type(value).__name__}"
    )


def _from_numpy(arr: npt.NDArray[Any], kind: str, name: str) -> tuple[I64, Bool]:
    expected = "datetime64" if kind == "M" else "timedelta64"
    if arr.dtype.kind != kind:
        raise InvalidInputError(f"{name}: expected a numpy {expected} array, got dtype {arr.dtype}")
    unit, count = np.datetime_data(arr.dtype)
    if unit == "generic":
        raise InvalidInputError(f"{name}: {expected} array without a unit")
    raw = arr.view(np.int64)
    nat = raw == _NAT
    target = np.dtype(f"{expected}[us]")
    if count != 1 or unit in ("ns", "ps", "fs", "as"):
        # finer than a microsecond: allowed only when nothing below the microsecond is set
        back = arr.astype(target).astype(arr.dtype)
        if np.any((back.view(np.int64) != raw) & ~nat):
            raise InvalidInputError(
                f"{name}: values below the microsecond are not supported; "
                f"round first, e.g. values.astype('{expected}[us]')"
            )
    us: I64 = arr.astype(target).view(np.int64)
    return us, nat


def instants_array(values: object, name: str) -> tuple[I64, Bool]:
    """UTC microseconds and a NaT mask from a datetime64 array or a sequence of aware datetimes."""
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "O":
            values = list(values.ravel())
        else:
            us, nat = _from_numpy(values.ravel(), "M", name)
            valid = us[~nat]
            if valid.size and (valid.min() < _LO_US or valid.max() > _HI_US):
                raise CalendarError(f"{name}: instants outside the years {MIN_YEAR} to {MAX_YEAR}")
            return us, nat
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
            (duration_us(v, f"{name}[{i}]") for i, v in enumerate(seq)),
            dtype=np.int64,
            count=len(seq),
        )
        nat = np.zeros(us.shape, dtype=bool)
    else:
        raise InvalidInputError(
            f"{name}: expected a numpy timedelta64 array or a sequence of timedeltas, "
            f"got {type(values).__name__}"
        )
    if np.any((us < 0) & ~nat):
        raise InvalidInputError(f"{name}: negative durations cannot be added")
    return us, nat
