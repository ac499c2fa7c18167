"""The hour-string parser at its boundaries (issue 20: the mutation run found them unpinned).

``HH:MM[:SS]-HH:MM[:SS]`` intervals, comma-separated, half-open, within one day; ``24:00`` may
only end an interval; adjacent intervals merge, overlapping ones are refused; at most
:data:`MAX_INTERVALS_PER_DAY` intervals and :data:`MAX_HOURS_CHARS` characters. Every error
names the interval by its position, never by its text.

The parser caches its results; the fixture below empties the cache so that each test parses
its strings itself.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicekit.calendar import MAX_HOURS_CHARS, MAX_INTERVALS_PER_DAY, BusinessCalendar, _hours
from servicekit.calendar._hours import US_PER_DAY, format_hours, parse_hours
from servicekit.errors import CalendarError

S = 1_000_000  # microseconds per second
M = 60 * S
HOUR = 3600 * S


@pytest.fixture(autouse=True)
def _fresh_parse_cache() -> Iterator[None]:
    _hours._parse_hours.cache_clear()
    yield
    _hours._parse_hours.cache_clear()


def test_units() -> None:
    assert US_PER_DAY == 86_400_000_000
    assert parse_hours("00:00-24:00") == ((0, US_PER_DAY),)


# -- times -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00-18:00", ((9 * HOUR, 18 * HOUR),)),
        ("9:05-9:59", ((9 * HOUR + 5 * M, 9 * HOUR + 59 * M),)),
        ("09:30:15-10:00", ((9 * HOUR + 30 * M + 15 * S, 10 * HOUR),)),
        ("00:00:01-23:59:59", ((S, 23 * HOUR + 59 * M + 59 * S),)),
        ("08:00 - 24:00", ((8 * HOUR, US_PER_DAY),)),
        ("22:00-24:00:00", ((22 * HOUR, US_PER_DAY),)),
    ],
)
def test_times_are_read_exactly(text: str, expected: tuple[tuple[int, int], ...]) -> None:
    assert parse_hours(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "09:00:60-10:00",  # seconds out of range
        "09:00-10:00:60",
        "09:60-10:00",  # minutes out of range
        "09:00-10:99",
        "25:00-26:00",  # hours out of range
        "09:00-25:00",
        "09:00-24:01",  # 24:00 is the only time in hour 24
        "09:00-24:00:01",
    ],
)
def test_times_out_of_range_are_refused(text: str) -> None:
    with pytest.raises(CalendarError, match=r"^interval 1: time out of range \(00:00 to 24:00\)$"):
        parse_hours(text)


@pytest.mark.parametrize("text", ["9-10", "09:0-10:00", "09:00-10:00:0", "09h00-10h00", "a-b",
                                  "09:00:00:00-10:00", "-", "09:00-"])
def test_malformed_times_are_refused(text: str) -> None:
    with pytest.raises(CalendarError, match=r"^interval 1: malformed time; expected HH:MM"):
        parse_hours(text)


def test_24_00_only_ends_an_interval() -> None:
    with pytest.raises(CalendarError, match=r"^interval 1: starts at 24:00; only an end"):
        parse_hours("24:00-24:00")
    with pytest.raises(CalendarError, match=r"^interval 2: starts at 24:00"):
        parse_hours("09:00-10:00,24:00-23:00")


# -- intervals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["09:00", "09:00-10:00-11:00", "09:00 18:00", "09:00--10:00"])
def test_an_interval_has_exactly_one_dash(text: str) -> None:
    with pytest.raises(CalendarError, match=r"^interval 1: malformed; expected HH:MM-HH:MM"):
        parse_hours(text)


def test_errors_name_the_interval_by_position() -> None:
    with pytest.raises(CalendarError, match=r"^interval 3: malformed; "):
        parse_hours("09:00-10:00,11:00-12:00,13:00")
    with pytest.raises(CalendarError, match=r"^tue: interval 2: time out of range"):
        parse_hours("09:00-10:00,11:00-12:60", where="tue")
    overlap = r"^tue: intervals 09:00-12:00 and 11:00-13:00 overlap$"
    with pytest.raises(CalendarError, match=overlap):
        parse_hours("09:00-12:00,11:00-13:00", where="tue")


def test_inverted_and_empty_intervals_are_refused() -> None:
    with pytest.raises(CalendarError, match=r"^interval 1: ends before it starts; write a shift"):
        parse_hours("10:00-09:59")
    with pytest.raises(CalendarError, match=r"^interval 2: empty \(starts where it ends\)$"):
        parse_hours("08:00-09:00,09:00-09:00")


@pytest.mark.parametrize("text", ["", "   ", "closed", " closed "])
def test_closed_all_day(text: str) -> None:
    assert parse_hours(text) == ()
    assert format_hours(parse_hours(text)) == ""


def test_adjacent_intervals_merge() -> None:
    """The documented merge: ``09:00-12:00,12:00-18:00`` is one interval."""
    assert parse_hours("09:00-12:00,12:00-18:00") == ((9 * HOUR, 18 * HOUR),)
    assert parse_hours("12:00-18:00,09:00-12:00") == ((9 * HOUR, 18 * HOUR),)
    assert parse_hours("09:00-10:00,10:00-11:00,11:00-12:00,13:00-14:00") == (
        (9 * HOUR, 12 * HOUR),
        (13 * HOUR, 14 * HOUR),
    )
    cal = BusinessCalendar(tz="UTC", hours="09:00-12:00,12:00-18:00")
    assert cal.hours.mon == "09:00-18:00"


def test_intervals_are_sorted() -> None:
    assert parse_hours("15:00-16:00,09:00-10:00,12:00-13:00") == (
        (9 * HOUR, 10 * HOUR),
        (12 * HOUR, 13 * HOUR),
        (15 * HOUR, 16 * HOUR),
    )


@pytest.mark.parametrize(
    ("text", "first", "second"),
    [
        ("09:00-10:00,11:00-12:00,11:30-13:00", "11:00-12:00", "11:30-13:00"),  # the last of three
        ("11:30-13:00,09:00-10:00,11:00-12:00", "11:00-12:00", "11:30-13:00"),
        ("09:00-12:00,10:00-11:00", "09:00-12:00", "10:00-11:00"),  # one inside another
        ("09:00-12:00,12:00-13:00,12:59:59-14:00", "09:00-13:00", "12:59:59-14:00"),
    ],
)
def test_overlapping_intervals_are_refused(text: str, first: str, second: str) -> None:
    with pytest.raises(CalendarError, match=rf"^intervals {first} and {second} overlap$"):
        parse_hours(text)


# -- limits and types --------------------------------------------------------------------------


def _slots(n: int) -> str:
    """``n`` disjoint ten-minute intervals, one every half hour from midnight."""
    out = []
    for i in range(n):
        h, m = divmod(30 * i, 60)
        out.append(f"{h:02d}:{m:02d}-{h:02d}:{m + 10:02d}")
    return ",".join(out)


def test_a_day_holds_at_most_48_intervals() -> None:
    assert MAX_INTERVALS_PER_DAY == 48
    assert len(parse_hours(_slots(48))) == 48
    with pytest.raises(CalendarError, match=r"^49 intervals; a day holds at most 48$"):
        parse_hours(_slots(48) + ",23:59-24:00")
    with pytest.raises(CalendarError, match=r"^mon: 49 intervals"):
        parse_hours(",".join(["09:00-10:00"] * 49), where="mon")


def test_an_hour_string_holds_at_most_1000_characters() -> None:
    assert MAX_HOURS_CHARS == 1000
    padded = "09:00-18:00".ljust(MAX_HOURS_CHARS)
    assert parse_hours(padded) == ((9 * HOUR, 18 * HOUR),)
    with pytest.raises(CalendarError, match=r"^hours: longer than 1000 characters$"):
        parse_hours(padded + " ")
    with pytest.raises(CalendarError, match=r"^sat: longer than 1000 characters$"):
        parse_hours(padded + " ", where="sat")


@pytest.mark.parametrize("value", [None, 9, b"09:00-18:00", ["09:00-18:00"]])
def test_hours_that_are_not_strings_are_refused(value: object) -> None:
    name = type(value).__name__
    with pytest.raises(CalendarError, match=rf"^hours: expected a string like '09:00-18:00', "
                                            rf"got {name}$"):
        parse_hours(value)  # type: ignore[arg-type]
    with pytest.raises(CalendarError, match=rf"^fri: expected a string .* got {name}$"):
        parse_hours(value, where="fri")  # type: ignore[arg-type]


# -- the canonical text ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("9:00-12:00, 13:00-18:00", "09:00-12:00,13:00-18:00"),
        ("09:00:30-10:00:00", "09:00:30-10:00"),
        ("00:00:01-23:59:59", "00:00:01-23:59:59"),
        ("13:00-24:00,00:00-01:00", "00:00-01:00,13:00-24:00"),
        ("closed", ""),
    ],
)
def test_format_hours_writes_the_canonical_text(text: str, canonical: str) -> None:
    assert format_hours(parse_hours(text)) == canonical


_SECOND_OF_DAY = st.integers(0, 86_400)


@given(st.lists(st.tuples(_SECOND_OF_DAY, _SECOND_OF_DAY), max_size=6))
def test_format_and_parse_are_inverse(pairs: list[tuple[int, int]]) -> None:
    """Any sorted, disjoint, non-adjacent intervals of whole seconds survive a round trip."""
    points = sorted({p for pair in pairs for p in pair})
    intervals = tuple((points[i] * S, points[i + 1] * S) for i in range(0, len(points) - 1, 3))
    assert parse_hours(format_hours(intervals)) == intervals
