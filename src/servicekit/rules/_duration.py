"""``Duration``: the field type of every duration in a policy (targets, deadlines, timeouts)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

from servicekit.rules._values import format_duration, parse_duration

__all__ = ["Duration", "not_negative", "read_duration"]


def read_duration(value: object) -> object:
    """Text such as ``"4h"`` as a ``timedelta``; anything else (a ``timedelta``, ISO 8601 text
    for pydantic, a wrong type for the caller to reject) unchanged."""
    if isinstance(value, str) and not value.startswith(("P", "-P")):
        # not stripped: "4h\n" is refused, as every identifier with a trailing newline is
        # (issue 10, item 14); surrounding spaces are still read
        return parse_duration(value.strip(" \t"))
    return value


Duration = Annotated[
    timedelta,
    BeforeValidator(read_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""A duration: a ``timedelta``, or text such as ``"4h"``, ``"30m"``, ``"1h30m"`` (or ISO 8601)."""


def not_negative(value: timedelta, what: str) -> timedelta:
    """``value`` if it is zero or more; a ``ValueError`` naming ``what`` otherwise (for
    validators of targets, deadlines and timeouts)."""
    if value < timedelta(0):
        raise ValueError(f"{what} is a non-negative duration")
    return value
