"""The window of built years stays within its limits whatever was computed before (issue 20):
at most MAX_SPAN_YEARS consecutive local years and MAX_INTERVALS intervals, holding the years
of the last computation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from servicekit.calendar import MAX_INTERVALS, MAX_SPAN_YEARS, BusinessCalendar


def _window(cal: BusinessCalendar) -> tuple[int, int, int]:
    state = cal._timeline._state
    assert state is not None
    return state.first_year, state.last_year, state.count


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1900, 2200), min_size=1, max_size=6))
def test_the_window_never_passes_its_limits(years: list[int]) -> None:
    cal = BusinessCalendar(tz="UTC", hours="09:00-18:00")
    for year in years:
        t = datetime(year, 6, 1, tzinfo=UTC)
        assert cal.elapsed(t, t + timedelta(days=7)) == timedelta(hours=45)
        first, last, count = _window(cal)
        assert first <= year <= last
        assert last - first + 1 <= MAX_SPAN_YEARS
        assert count <= MAX_INTERVALS


def test_a_window_grows_to_exactly_the_span_limit_and_no_further() -> None:
    cal = BusinessCalendar(tz="UTC", hours="09:00-18:00")
    t = datetime(2000, 6, 1, tzinfo=UTC)
    cal.elapsed(t, t + timedelta(days=1))
    t = datetime(2000 + MAX_SPAN_YEARS - 1, 6, 1, tzinfo=UTC)
    cal.elapsed(t, t + timedelta(days=1))
    assert _window(cal)[:2] == (2000, 2000 + MAX_SPAN_YEARS - 1)  # grown: 100 years
    t = datetime(1950, 6, 1, tzinfo=UTC)
    cal.elapsed(t, t + timedelta(days=1))
    assert _window(cal)[:2] == (1950, 1950)  # would pass the limit: a fresh window
