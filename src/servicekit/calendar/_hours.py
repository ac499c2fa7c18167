"""Parsing of opening-hour strings such as ``"09:00-12:00,13:00-18:00"``.

An hour string is a comma-separated list of half-open intervals ``HH:MM[:SS]-HH:MM[:SS]`` of
local wall-clock time within one day. ``24:00`` may end an interval. A shift that crosses
midnight is written as two intervals on two days. The empty string (or ``"closed"``) means
closed all day. An hour string holds at most :data:`MAX_INTERVALS_PER_DAY` intervals (as
written) and :data:`MAX_HOURS_CHARS` characters, which bounds what one year of a calendar holds.
"""

from __future__ import annotations

import re
from functools import lru_cache

from servicekit.errors import CalendarError

US_PER_SECOND = 1_000_000
US_PER_DAY = 86_400 * US_PER_SECOND
#: The most open intervals one day's hours may hold (a split shift has two or three). It bounds
#: a year of a calendar at 366 * 48 = 17,568 intervals, so that any year fits the timeline.
MAX_INTERVALS_PER_DAY = 48
#: The longest hour string accepted: 48 intervals written ``HH:MM:SS-HH:MM:SS`` with a comma and
#: a space between take 910 characters. Longer texts are refused before parsing (and before the
#: parse cache could keep them).
MAX_HOURS_CHARS = 1000

Intervals = tuple[tuple[int, int], ...]
"""Intervals of one day as (start, end) microseconds after local midnight, sorted, disjoint."""

_TIME = re.compile(r"^([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?\Z")


def _parse_time(text: str, *, prefix: str) -> int:
    m = _TIME.match(text)
    if m is None:
        raise CalendarError(
            f"{prefix}malformed time; expected HH:MM or HH:MM:SS (24-hour clock)"
        )
    hh, mm, ss = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if mm > 59 or ss > 59 or hh > 24 or (hh == 24 and (mm or ss)):
        raise CalendarError(f"{prefix}time out of range (00:00 to 24:00)")
    return (hh * 3600 + mm * 60 + ss) * US_PER_SECOND


def parse_hours(text: str, *, where: str = "") -> Intervals:
    """Parse an hour string into sorted, disjoint intervals; adjacent intervals are merged.

    Raises :class:`CalendarError` for malformed, empty, inverted or overlapping intervals, for
    more than :data:`MAX_INTERVALS_PER_DAY` intervals and for a text longer than
    :data:`MAX_HOURS_CHARS` characters (checked before anything is parsed or cached).
    """
    if not isinstance(text, str):
        raise CalendarError(
            f"{where or 'hours'}: expected a string like '09:00-18:00', got {type(text).__name__}"
        )
    if len(text) > MAX_HOURS_CHARS:
        raise CalendarError(
            f"{where or 'hours'}: longer than {MAX_HOURS_CHARS} characters"
        )
    return _parse_hours(text, where)


@lru_cache(maxsize=1024)
def _parse_hours(text: str, where: str) -> Intervals:
    stripped = text.strip()
    prefix = f"{where}: " if where else ""
    if stripped in ("", "closed"):
        return ()
    out: list[tuple[int, int]] = []
    pieces_of_text = stripped.split(",")
    if len(pieces_of_text) > MAX_INTERVALS_PER_DAY:
        # checked before the parsing: merged intervals are never more than the written ones
        raise CalendarError(
            f"{prefix}{len(pieces_of_text)} intervals; a day holds at most "
            f"{MAX_INTERVALS_PER_DAY}"
        )
    for number, raw in enumerate(pieces_of_text, start=1):
        at = f"{prefix}interval {number}: "  # positions, never the text (it could be anything)
        pieces = raw.strip().split("-")
        if len(pieces) != 2:
            raise CalendarError(
                f"{at}malformed; expected HH:MM-HH:MM, intervals separated by commas"
            )
        start = _parse_time(pieces[0].strip(), prefix=at)
        end = _parse_time(pieces[1].strip(), prefix=at)
        if start == US_PER_DAY:
            raise CalendarError(f"{at}starts at 24:00; only an end may be 24:00")
        if end < start:
            raise CalendarError(
                f"{at}ends before it starts; write a shift that crosses midnight as two "
                "intervals, e.g. '22:00-24:00' on one day and '00:00-06:00' on the next"
            )
        if end == start:
            raise CalendarError(f"{at}empty (starts where it ends)")
        out.append((start, end))
    out.sort()
    merged: list[tuple[int, int]] = [out[0]]
    for start, end in out[1:]:
        prev_start, prev_end = merged[-1]
        if start < prev_end:
            raise CalendarError(
                f"{prefix}intervals {format_interval(prev_start, prev_end)} and "
                f"{format_interval(start, end)} overlap"
            )
        if start == prev_end:
            merged[-1] = (prev_start, end)
        else:
            merged.append((start, end))
    return tuple(merged)


def _format_time(us: int) -> str:
    seconds = us // US_PER_SECOND
    hh, rem = divmod(seconds, 3600)
    mm, ss = divmod(rem, 60)
    return f"{hh:02d}:{mm:02d}" + (f":{ss:02d}" if ss else "")


def format_interval(start: int, end: int) -> str:
    return f"{_format_time(start)}-{_format_time(end)}"


def format_hours(intervals: Intervals) -> str:
    """The canonical text of parsed intervals (``parse_hours(format_hours(x)) == x``)."""
    return ",".join(format_interval(s, e) for s, e in intervals)
