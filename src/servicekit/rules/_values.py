"""Values of the condition language: durations, the missing marker, type families."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
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
        pass
    raise PolicyError("duration out of range (at most 999999999 days)")


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


#: The most digits an integer may have (Python's own limit on converting text to int): a
#: larger integer could be loaded from one format and not written to another.
MAX_INT_DIGITS: Final = 4_300
_INT_BOUND: Final = 10**MAX_INT_DIGITS
#: How deeply a JSON value (a rule's outputs, a table's default) and a list literal may nest.
MAX_VALUE_DEPTH: Final = 64
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def check_int(value: int) -> int:
    """``value`` if it has at most :data:`MAX_INT_DIGITS` digits (a ``ValueError`` if not)."""
    if not -_INT_BOUND < value < _INT_BOUND:
        raise ValueError(f"integers have at most {MAX_INT_DIGITS} digits")
    return value


def check_text(value: str) -> str:
    """``value`` if it is valid Unicode text: no lone surrogate, which no JSON, TOML or YAML
    encoder writes (a ``ValueError`` if it has one)."""
    if not value.isascii() and _SURROGATE.search(value) is not None:
        raise ValueError("text must be valid Unicode (it has a lone surrogate)")
    return value


def check_literal(value: object, depth: int = 0) -> object:
    """Validate a literal of the data form (JSON scalars and lists of them)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return check_text(value)
    if isinstance(value, int):
        return check_int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("numbers must be finite")
        return value
    if isinstance(value, (list, tuple)):
        if depth >= MAX_VALUE_DEPTH:
            raise ValueError(f"list literals nest at most {MAX_VALUE_DEPTH} levels")
        return tuple(check_literal(v, depth + 1) for v in value)
    raise ValueError(
        f"literals are strings, numbers, booleans, null or lists of them; got {type_name(value)}"
    )


def check_json(value: object, depth: int = 0) -> object:
    """A plain copy of a JSON value, checked: what every format writes and reads back equal.

    Strings (valid Unicode), integers of at most :data:`MAX_INT_DIGITS` digits, finite floats,
    booleans, ``None``, lists (tuples become lists) and mappings with string keys, nested at
    most :data:`MAX_VALUE_DEPTH` levels. Anything else is a ``ValueError`` naming its type
    (never the value).
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return check_text(str(value))
    if isinstance(value, int):
        return check_int(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("numbers must be finite (NaN and infinities are not JSON)")
        return float(value)
    if isinstance(value, (Mapping, list, tuple)) and depth >= MAX_VALUE_DEPTH:
        raise ValueError(f"JSON values nest at most {MAX_VALUE_DEPTH} levels")
    if isinstance(value, Mapping):
        out: dict[str, object] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"the keys of a JSON object are strings, got {type_name(key)}")
            out[check_text(str(key))] = check_json(item, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [check_json(item, depth + 1) for item in value]
    raise ValueError(
        "JSON values are strings, numbers, booleans, null, lists and objects; got "
        f"{type_name(value)}"
    )
