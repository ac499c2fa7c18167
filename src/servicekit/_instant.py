"""One spelling per instant (issue 10, item 8).

A ``datetime`` in a ``ZoneInfo`` zone can name a wall time the zone skips (02:30 on the night
clocks spring forward) or carry a ``fold`` that does not match its offset. Such a value and
the instant it means compare unequal once one of them went through a store. :func:`settle`
gives the zone's own spelling of the instant (through UTC), so what an aggregate records and
what a store gives back are the same value. A zone a store cannot name (a ``dateutil`` or
``pytz`` zone, a ``ZoneInfo`` read from a file) is replaced by the instant's fixed offset:
the instant and its wall time are kept, and both survive any store.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timezone
from zoneinfo import ZoneInfo

__all__ = ["ZONE_KEY", "settle", "zone_key"]

#: an IANA key as a store writes it (RFC 9557's bracketed suffix)
ZONE_KEY = re.compile(r"[A-Za-z0-9_+\-]{1,32}(?:/[A-Za-z0-9_+\-]{1,32}){0,3}\Z")


def zone_key(value: datetime) -> str | None:
    """The IANA key of an instant's zone, if it is a ``ZoneInfo`` with a key a store can
    write."""
    tz = value.tzinfo
    key = getattr(tz, "key", None) if isinstance(tz, ZoneInfo) else None
    return key if isinstance(key, str) and ZONE_KEY.match(key) else None


def settle(value: datetime) -> datetime:
    """``value`` as its zone spells the instant; in a zone a store cannot name, at its fixed
    offset. ``ValueError`` if the instant is outside the years a ``datetime`` holds in UTC
    (9999-12-31 23:00 in New York, 0001-01-01 01:00 in Tokyo): no store could keep it."""
    tz = value.tzinfo
    try:
        in_utc = value.astimezone(UTC)
    except OverflowError:
        in_utc = None
    if in_utc is None:
        raise ValueError("the instant is outside the years 1 to 9999 in UTC")
    if type(tz) is timezone or tz is UTC:
        return value
    if zone_key(value) is not None:
        assert isinstance(tz, ZoneInfo)
        return in_utc.astimezone(tz)
    offset = value.utcoffset()
    assert offset is not None  # aware: checked before
    return value.replace(tzinfo=timezone(offset), fold=0)
