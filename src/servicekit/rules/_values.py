"""Values of the condition language: durations, the missing marker, type families."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Final

from servicekit.errors import PolicyError


class _Missing:
    """The value of a path that is not present in the facts."""

    __slots__ = ()
    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<missing>"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()

_UNITS: Final = {"d": 86_400_000_000, "h": 3_600_000_000, "m": 60_000_000, "s": 1_000_000,
                 "ms": 1_000, "us": 1}
_UNIT_ORDER: Final = ("d", "h", "m", "s", "ms", "us")
DURATION_RE: Final = re.compile(r"([0-9]+)(ms|us|d|h|m|s)")
DURATION_FULL: Final = re.compile(r"^(?:[0-9]+(?:ms|us|d|h|m|s))+\Z")


def parse_duration(text: str) -> timedelta:
    """``"4h"``, ``"30m"``, ``"2d"``, ``"1h30m"``, ``"500ms"``, ``"-1h"`` → timedelta."""
    sign = 1
    if text.startswith("-"):
        sign, text = -1, text[1:]
    if not DURATION_FULL.match(text):
        raise PolicyError(
            "malformed duration; expected e.g. 4h, 30m, 2d, 1h30m, 90s, 500ms"
        )
    us = sum(int(n) * _UNITS[u] for n, u in DURATION_RE.findall(text))
    try:
        return timedelta(microseconds=sign * us)
    except OverflowError:
        raise PolicyError("duration out of range (at most 999999999 days)") from None


_ONE_US: Final = timedelta(microseconds=1)


def plain_timedelta(value: timedelta) -> timedelta:
    """The plain ``timedelta`` equal to one of any subclass (pendulum ``Duration``/``Interval``).

    Read with the stdlib's own division: pendulum's ``seconds``/``microseconds`` and ``//``
    differ from ``timedelta``'s.
    """
    if type(value) is timedelta:
        return value
    return timedelta(microseconds=timedelta.__floordiv__(value, _ONE_US))


def format_duration(value: timedelta) -> str:
    """The canonical text of a duration (``parse_duration(format_duration(d)) == d``)."""
    value = plain_timedelta(value)
    us = value // _ONE_US
    if us < 0:
        return "-" + format_duration(-value)
    if us == 0:
        return "0s"
    parts = []
    for unit in _UNIT_ORDER:
        n, us = divmod(us, _UNITS[unit])
        if n:
            parts.append(f"{n}{unit}")
    return "".join(parts)


def format_hours(value: timedelta) -> str:
    """A duration for people, in hours rather than days (24 business hours are not a day).

    ``format_hours(timedelta(hours=26, minutes=30)) == "26h30m"``; under an hour it is
    :func:`format_duration`'s text (``"3m"``, ``"60s"``).
    """
    value = plain_timedelta(value)
    sign = "-" if value < timedelta(0) else ""
    hours, rest = divmod(abs(value), timedelta(hours=1))
    text = (f"{hours}h" if hours else "") + (format_duration(rest) if rest else "")
    return sign + (text or "0s")


def type_name(value: object) -> str:
    """The family name used in messages (never the value itself)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, timedelta):
        return "duration"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "list"
    if value is None:
        return "null"
    return type(value).__name__


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_literal(value: object) -> object:
    """Validate a literal of the data form (JSON scalars and lists of them)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("numbers must be finite")
        return value
    if isinstance(value, (list, tuple)):
        return tuple(check_literal(v) for v in value)
    raise ValueError(
        f"literals are strings, numbers, booleans, null or lists of them; got {type_name(value)}"
    )
