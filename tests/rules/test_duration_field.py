"""``Duration``, the field type of every duration in a policy, and ``not_negative``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import TypeAdapter, ValidationError

from servicekit.rules import Duration, not_negative, read_duration

DURATION: TypeAdapter[timedelta] = TypeAdapter(Duration)


@pytest.mark.parametrize(
    ("given", "value", "written"),
    [
        ("4h", timedelta(hours=4), '"4h"'),
        (" 1h30m\t", timedelta(hours=1, minutes=30), '"1h30m"'),
        ("PT4H", timedelta(hours=4), '"4h"'),  # ISO 8601, read by pydantic
        ("-PT1H", timedelta(hours=-1), '"-1h"'),
        ("-1h", timedelta(hours=-1), '"-1h"'),
        (timedelta(days=2), timedelta(days=2), '"2d"'),
    ],
)
def test_a_duration_field_reads_text_and_writes_canonical_text(
    given: object, value: timedelta, written: str
) -> None:
    assert DURATION.validate_python(given) == value
    assert DURATION.dump_json(value).decode() == written
    assert DURATION.dump_python(value) == value


def test_a_duration_with_a_trailing_newline_is_refused() -> None:
    with pytest.raises(ValidationError, match="malformed duration"):
        DURATION.validate_python("4h\n")
    assert read_duration(5) == 5  # a wrong type is left for pydantic to reject


@pytest.mark.parametrize("value", [timedelta(0), timedelta(microseconds=1), timedelta(days=9)])
def test_not_negative_keeps_zero_and_more(value: timedelta) -> None:
    assert not_negative(value, "a target") is value


@pytest.mark.parametrize("value", [timedelta(microseconds=-1), timedelta(hours=-4)])
def test_not_negative_refuses_less_than_zero_naming_what(value: timedelta) -> None:
    with pytest.raises(ValueError, match=r"^a target is a non-negative duration$"):
        not_negative(value, "a target")
