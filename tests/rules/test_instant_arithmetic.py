"""Datetime arithmetic in conditions is elapsed time between instants, not wall-clock time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from servicekit.rules import Condition

NY = ZoneInfo("America/New_York")


def test_a_difference_across_fall_back_counts_the_extra_hour() -> None:
    """Python's wall-clock subtraction says 7 days; 7 days and 1 hour really passed."""
    resolved = datetime(2026, 10, 28, 12, 0, tzinfo=NY)
    later = datetime(2026, 11, 4, 12, 0, tzinfo=NY)
    assert later - resolved == timedelta(days=7)  # what plain Python does
    window = Condition("at - resolved_at <= 7d")
    assert not window.evaluate({"at": later, "resolved_at": resolved})
    assert window.evaluate({"at": later - timedelta(hours=1), "resolved_at": resolved})


def test_adding_a_duration_across_spring_forward_keeps_the_zone() -> None:
    start = datetime(2026, 3, 7, 12, 0, tzinfo=NY)
    due = Condition("start + 1d == due")
    assert due.evaluate({"start": start, "due": datetime(2026, 3, 8, 13, 0, tzinfo=NY)})


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1),
                    timezones=st.just(NY)),
       st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)))
def test_results_do_not_depend_on_the_zone_the_instants_are_written_in(
    start: datetime, span: timedelta
) -> None:
    end = (start.astimezone(UTC) + span).astimezone(NY)
    c = Condition("b - a == span")
    assert c.evaluate({"a": start, "b": end, "span": span})
    assert c.evaluate({"a": start.astimezone(UTC), "b": end, "span": span})
