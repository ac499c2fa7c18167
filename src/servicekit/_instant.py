"""One spelling per instant (issue 10, item 8).

A ``datetime`` in a ``ZoneInfo`` zone can name a wall time the zone skips (02:30 on the night
clocks spring forward) or carry a ``fold`` that does not match its offset. Such a value and
the instant it means compare unequal once one of them went through a store. :func:`settle`
gives the zone's own spelling of the instant (through UTC), so what an aggregate records and
what a store gives back are the same value.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

__all__ = ["settle"]


def settle(value: datetime) -> datetime:
    """``value`` as its zone spells the instant (unchanged outside ``ZoneInfo`` zones, and at
    the very ends of the years a ``datetime`` holds, where UTC cannot spell it)."""
    tz = value.tzinfo
    if not isinstance(tz, ZoneInfo):
        return value
    try:
        return value.astimezone(UTC).astimezone(tz)
    except OverflowError:
        return value
