"""A calendar as a value (issue 20): its JSON holds only what differs from the defaults, and
its consistency errors show a bounded number of dates."""

from __future__ import annotations

import json
from datetime import date

import pytest

from servicekit.calendar import BusinessCalendar
from servicekit.errors import CalendarError


def test_to_json_writes_only_what_is_not_a_default() -> None:
    cal = BusinessCalendar(tz="UTC", hours="09:00-18:00")
    assert json.loads(cal.to_json()) == {
        "tz": "UTC",
        "hours": dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "09:00-18:00"),
    }
    china = BusinessCalendar.china(extra_holidays=[date(2027, 10, 1)])
    assert json.loads(china.to_json()) == {
        "tz": "Asia/Shanghai",
        "hours": dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "09:00-18:00"),
        "holidays": ["2027-10-01"],
        "source": "china",
    }
    assert BusinessCalendar.from_json(china.to_json()) == china


def test_dates_both_holidays_and_workdays_are_shown_five_at_most() -> None:
    days = [date(2026, 3, d) for d in range(1, 8)]
    with pytest.raises(CalendarError) as info:
        BusinessCalendar(tz="UTC", hours="09:00-18:00", holidays=days, workdays=days)
    message = str(info.value)
    assert "listed both as holidays and as workdays: 2026-03-01, 2026-03-02, 2026-03-03, " \
        "2026-03-04, 2026-03-05 (" in message
    assert "2026-03-06" not in message


def test_the_json_schema_of_hours_takes_a_string_or_a_week() -> None:
    schema = BusinessCalendar.model_json_schema()
    hours = schema["properties"]["hours"]
    assert hours["anyOf"][0] == {
        "type": "string", "description": "hours Monday to Friday, e.g. '09:00-18:00', or "
        "'24x7' (every hour of every day)"
    }
    assert hours["anyOf"][1] == {"$ref": "#/$defs/WeeklyHours"}


def test_holidays_that_are_not_iterable_are_refused_by_type() -> None:
    with pytest.raises(CalendarError) as info:
        BusinessCalendar(tz="UTC", hours="09:00-18:00", holidays=5)  # type: ignore[arg-type]
    assert [p.msg for p in info.value.problems] == ["Input should be a valid tuple (got int)"]


def test_country_codes_include_the_aliases() -> None:
    """'UK' (an alias of GB) is a country code, read from the holidays package's registry."""
    from servicekit.calendar import _calendar

    _calendar._supported_countries.cache_clear()
    try:
        codes = _calendar._supported_countries()
    finally:
        _calendar._supported_countries.cache_clear()
    assert {"GB", "UK", "US", "USA", "CN"} <= codes


def test_any_failure_of_the_holidays_package_on_a_subdivision_is_a_calendar_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import holidays

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("internal")

    monkeypatch.setattr(holidays, "country_holidays", broken)
    with pytest.raises(CalendarError, match="subdivision not accepted for DE by the holidays"):
        BusinessCalendar.for_country("DE", subdiv="BY", tz="Europe/Berlin")
