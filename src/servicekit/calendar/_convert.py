"""Checking and converting instants and durations (scalars and numpy arrays)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from servicekit.calendar._timeline import EPOCH, MAX_YEAR, MIN_YEAR, ONE_US, to_us
from servicekit.errors import CalendarError, InvalidInputError, NaiveDatetimeError

I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]

_NAT = np.iinfo(np.int64).min
_LO_US = to_us(datetime(MIN_YEAR, 1, 2, tzinfo=EPOCH.tzinfo))
_HI_US = to_us(datetime(MAX_YEAR, 12, 30, tzinfo=EPOCH.tzinfo))


def require_aware(value: object, name: str) -> datetime:
    """Return ``value`` if it is a timezone-aware datetime; raise a clear error otherwise."""
    if not isinstance(value, datetime):
        raise InvalidInputError(
            f"{name}: expected a timezone-aware datetime, got {type(value).__name__}"
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(
            f"{name}: naive datetime (no time zone); servicekit needs aware datetimes, e.g. "
            "datetime(2026, 10, 8, 9, 0, tzinfo=ZoneInfo('Asia/Shanghai'))"
        )
    return value


def instant_us(value: object, name: str) -> int:
    us = to_us(require_aware(value, name))
    if not _LO_US <= us <= _HI_US:
        raise CalendarError(f"{name}: instant outside the years {MIN_YEAR} to {MAX_YEAR}")
    return us


def duration_us(value: object, name: str) -> int:
    if not isinstance(value, timedelta):
        raise InvalidInputError(
            f"{name}: expected a datetime.timedelta, got {type(value).__name__}"
        )
    if value < timedelta(0):
        raise InvalidInputError(
            f"{name}: a negative duration cannot be added; add() finds the earliest instant "
            "at or after start"
        )
    return value // ONE_US


def local_date(value: date | datetime, zone: Any, name: str) -> date:
    if isinstance(value, datetime):
        return require_aware(value, name).astimezone(zone).date()
    if isinstance(value, date):
        return value
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
