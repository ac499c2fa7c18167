"""Aware datetime subclasses (pendulum, a host's own) give the results of plain datetimes.

The contract: every boundary that reads a datetime accepts an aware instance of any
``datetime`` subclass and answers exactly as for the equivalent stdlib datetime (same instant,
wall time and zone); what comes back is a plain ``datetime`` with a ``zoneinfo.ZoneInfo`` (or
``datetime.timezone``) zone, never a pendulum object. pendulum is the demanding case: its
``DateTime`` subtracts to an ``Interval`` (whose ``//`` rejects a timedelta), its ``Duration``
redefines ``seconds``/``microseconds``, its zones are ``Timezone`` (a ``ZoneInfo`` subclass) and
``FixedTimezone``, and ``pendulum.datetime`` sets ``fold=1`` by default.

Results are compared through ``repr``: that checks the type, the wall fields, ``fold`` and the
zone at once (two aware datetimes can be ``==`` with different zones). pandas is not a test
dependency: a ``Timestamp`` is only simulated here (the ``nanosecond`` attribute).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pendulum
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from servicekit.calendar import BusinessCalendar, require_aware
from servicekit.errors import CalendarError, InvalidInputError, NaiveDatetimeError
from servicekit.presets import handbook
from servicekit.rules import Condition, format_duration, format_hours
from servicekit.sla import evaluate, evaluate_many
from servicekit.tickets import Actor, Ticket

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NY = ZoneInfo("America/New_York")
ZONES = {"Asia/Shanghai": SH, "Europe/Berlin": BERLIN, "America/New_York": NY}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)


class MyDT(datetime):
    """A host's own subclass, with arithmetic of its own (as pendulum has)."""

    def __sub__(self, other: Any) -> Any:
        raise AssertionError("MyDT's arithmetic must not be used")

    __add__ = __radd__ = __rsub__ = __sub__


class NanoDT(datetime):
    """Stands in for a pandas Timestamp (not installed): a datetime with nanoseconds."""

    nanosecond = 0


def nano(value: datetime, ns: int) -> NanoDT:
    out = NanoDT(value.year, value.month, value.day, value.hour, value.minute, value.second,
                 value.microsecond, tzinfo=value.tzinfo, fold=value.fold)
    out.nanosecond = ns
    return out


def my(value: datetime) -> MyDT:
    return MyDT(value.year, value.month, value.day, value.hour, value.minute, value.second,
                value.microsecond, tzinfo=value.tzinfo, fold=value.fold)


def pend(value: datetime) -> pendulum.DateTime:
    """The pendulum DateTime of a stdlib datetime (pendulum's own zone objects)."""
    out = pendulum.instance(value)
    assert isinstance(out.tzinfo, (pendulum.Timezone, pendulum.FixedTimezone))
    assert datetime.__sub__(out, EPOCH) == value - EPOCH  # same instant, by the stdlib's rules
    return out


def same(actual: object, expected: object) -> None:
    """Identical results: plain types, same fields, fold and zone (checked through repr)."""
    assert repr(actual) == repr(expected)
    if isinstance(expected, datetime):
        assert type(actual) is datetime
        assert type(actual.tzinfo) in (ZoneInfo, timezone)


def cn(hours: str = "09:00-12:00,13:00-18:00") -> BusinessCalendar:
    return BusinessCalendar.china(hours=hours, beyond_coverage="statutory")


# -- require_aware: the normalisation at every boundary -----------------------------------------


def test_the_reported_example_adds_business_time_to_a_pendulum_datetime() -> None:
    cal = cn()
    start = pendulum.datetime(2026, 9, 30, 16, 30, tz="Asia/Shanghai")
    # 16:30-18:00 on Wednesday, National Day 10-01 … 10-07, then 2.5 h on Thursday 10-08
    expected = datetime(2026, 10, 8, 11, 30, tzinfo=SH)
    same(cal.add(start, 4 * H), expected)
    same(cal.add(start, 4 * H), cal.add(datetime(2026, 9, 30, 16, 30, tzinfo=SH), 4 * H))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (pendulum.datetime(2026, 9, 30, 16, 30, tz="Asia/Shanghai"),
         datetime(2026, 9, 30, 16, 30, tzinfo=SH)),
        # pendulum.datetime sets fold=1 even where no hour repeats: the plain form has fold=0
        (pendulum.datetime(2026, 1, 1, tz="UTC"), datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))),
        # the repeated hour when Berlin's clocks go back: both readings keep their instant
        (pendulum.datetime(2026, 10, 25, 2, 30, tz="Europe/Berlin"),
         datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN)),
        (pendulum.datetime(2026, 10, 25, 2, 30, tz="Europe/Berlin", fold=0),
         datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN)),
        # pendulum moves a skipped wall time forward itself (02:30 -> 03:30)
        (pendulum.datetime(2026, 3, 29, 2, 30, tz="Europe/Berlin"),
         datetime(2026, 3, 29, 3, 30, tzinfo=BERLIN)),
        # an offset without a zone: pendulum's FixedTimezone becomes datetime.timezone
        (pendulum.parse("2026-09-30T16:30:00.000123+08:00"),
         datetime.fromisoformat("2026-09-30T16:30:00.000123+08:00")),
        (pendulum.parse("2026-03-08T01:59:59-05:00"),
         datetime(2026, 3, 8, 1, 59, 59, tzinfo=timezone(-5 * H))),
        # pendulum reads "Z" as its Timezone("UTC"): a zone, so ZoneInfo("UTC")
        (pendulum.parse("2026-03-08T06:00:00Z"),
         datetime(2026, 3, 8, 6, tzinfo=ZoneInfo("UTC"))),
        # fold=1 by default: the second 01:30 in New York (EST), 14:30 in Shanghai
        (pendulum.datetime(2026, 11, 1, 1, 30, tz="America/New_York").in_tz("Asia/Shanghai"),
         datetime(2026, 11, 1, 14, 30, tzinfo=SH)),
        (my(datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NY)),
         datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NY)),
        (my(datetime(2026, 3, 8, 9, 0, tzinfo=timezone(-5 * H))),
         datetime(2026, 3, 8, 9, 0, tzinfo=timezone(-5 * H))),
        (nano(datetime(2026, 3, 8, 9, 0, 0, 7, tzinfo=NY), 0),
         datetime(2026, 3, 8, 9, 0, 0, 7, tzinfo=NY)),
    ],
    ids=repr,
)
def test_require_aware_returns_the_equivalent_plain_datetime(
    value: datetime, expected: datetime
) -> None:
    out = require_aware(value, "at")
    same(out, expected)
    assert out - EPOCH == datetime.__sub__(value, EPOCH)  # the same instant


def test_require_aware_returns_a_plain_datetime_itself() -> None:
    for value in (datetime(2026, 3, 8, 9, tzinfo=NY), datetime(2026, 3, 8, 9, tzinfo=UTC)):
        assert require_aware(value, "at") is value


def test_a_gap_wall_time_of_a_subclass_keeps_its_fold_like_the_stdlib() -> None:
    """02:30 does not exist in Berlin on 2026-03-29; fold chooses the offset, as in the stdlib."""
    for fold in (0, 1):
        plain = datetime(2026, 3, 29, 2, 30, fold=fold, tzinfo=BERLIN)
        same(require_aware(my(plain), "at"), plain)


def test_a_subclass_whose_fields_disagree_with_its_instant_keeps_the_instant() -> None:
    class Shifted(datetime):
        @property
        def hour(self) -> int:
            return 0

    minus5 = timezone(-5 * H)
    value = Shifted(2026, 3, 8, 9, 0, tzinfo=minus5)
    out = require_aware(value, "at")
    same(out, datetime(2026, 3, 8, 9, 0, tzinfo=minus5))
    assert out - EPOCH == datetime.__sub__(value, EPOCH)


def test_naive_and_non_datetime_values_are_refused_as_before() -> None:
    with pytest.raises(NaiveDatetimeError, match="at: naive datetime"):
        require_aware(pendulum.naive(2026, 3, 8, 9), "at")
    with pytest.raises(NaiveDatetimeError, match="at: naive datetime"):
        require_aware(MyDT(2026, 3, 8, 9), "at")
    with pytest.raises(InvalidInputError, match="expected a timezone-aware datetime, got Date"):
        require_aware(pendulum.date(2026, 3, 8), "at")
    with pytest.raises(InvalidInputError, match="got Duration"):
        require_aware(pendulum.duration(hours=1), "at")


def test_nanoseconds_are_refused_as_in_numpy_arrays() -> None:
    with pytest.raises(InvalidInputError, match="below the microsecond"):
        require_aware(nano(datetime(2026, 3, 8, 9, tzinfo=NY), 500), "at")
    with pytest.raises(InvalidInputError, match="below the microsecond"):
        cn().add(nano(datetime(2026, 3, 9, 9, tzinfo=SH), 1), H)


def test_importing_servicekit_does_not_import_pendulum() -> None:
    code = (
        "import sys, servicekit, servicekit.calendar, servicekit.rules, servicekit.sla, "
        "servicekit.tickets, servicekit.events\n"
        "print('pendulum' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- the calendar's scalar API -------------------------------------------------------------------

# instants around DST changes, holidays, lunch breaks and midnights, in several zones
INSTANTS = [
    datetime(2026, 9, 30, 16, 30, tzinfo=SH),
    datetime(2026, 10, 9, 11, 59, 59, 999_999, tzinfo=SH),
    datetime(2026, 2, 13, 17, 0, tzinfo=SH),
    datetime(2026, 3, 29, 1, 59, 59, tzinfo=BERLIN),
    datetime(2026, 3, 29, 3, 0, tzinfo=BERLIN),
    datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN),
    datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN),
    datetime(2026, 3, 8, 1, 30, tzinfo=NY),
    datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NY),
    datetime(2026, 12, 31, 23, 0, tzinfo=NY),
    datetime(2026, 7, 1, 9, 0, tzinfo=timezone(timedelta(hours=5, minutes=45))),
]
FORMS: dict[str, Callable[[datetime], datetime]] = {"pendulum": pend, "MyDT": my}
CALENDARS: dict[str, Callable[[], BusinessCalendar]] = {
    "china": cn,
    "berlin-nights": lambda: BusinessCalendar.for_country(
        "DE", subdiv="BE", tz="Europe/Berlin",
        hours=dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sun"), "00:30-03:30,08:00-18:00"),
    ),
    "new-york": lambda: BusinessCalendar(tz="America/New_York",
                                         hours={"mon": "09:00-17:00", "sat": "00:00-24:00",
                                                "sun": "01:00-03:00"}),
}


@cache
def calendar(name: str) -> BusinessCalendar:
    return CALENDARS[name]()


def _results(cal: BusinessCalendar, a: datetime, b: datetime, d: timedelta) -> list[object]:
    return [
        cal.add(a, d),
        cal.add(a, timedelta(0)),
        cal.elapsed(a, b),
        cal.elapsed(b, a),
        cal.is_open(a),
        cal.next_open(a),
        cal.next_close(a),
        cal.open_intervals(a, b),
        cal.covers(a),
        cal.provisional(a, b),
    ]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("cal_name", CALENDARS)
@pytest.mark.parametrize("start", INSTANTS, ids=lambda t: t.isoformat())
def test_every_scalar_operation_gives_the_plain_result(
    form: str, cal_name: str, start: datetime
) -> None:
    cal = calendar(cal_name)
    end = (start.astimezone(UTC) + 3 * D + 7 * M).astimezone(start.tzinfo)
    expected = _results(cal, start, end, 5 * H)
    convert = FORMS[form]
    actual = _results(cal, convert(start), convert(end), 5 * H)
    for a, e in zip(actual, expected, strict=True):
        same(a, e)


def test_pendulum_durations_are_read_as_the_timedelta_they_equal() -> None:
    cal = cn()
    start = datetime(2026, 3, 6, 17, 0, tzinfo=SH)
    p_start = pend(start)
    for duration in (pendulum.duration(hours=4), pendulum.duration(days=2, minutes=1),
                     pendulum.duration(hours=3, microseconds=1), pendulum.duration(weeks=1),
                     pendulum.duration(hours=-1, minutes=90),
                     p_start.add(hours=26) - p_start):  # an Interval
        plain = timedelta(microseconds=timedelta.__floordiv__(duration, US))
        same(cal.add(start, duration), cal.add(start, plain))
        same(cal.add(p_start, duration), cal.add(start, plain))
    with pytest.raises(InvalidInputError, match="negative duration"):
        cal.add(p_start, pendulum.duration(minutes=-30))
    with pytest.raises(InvalidInputError, match="negative duration"):
        cal.add(p_start, p_start - p_start.add(minutes=1))


def test_pendulum_dates_are_plain_dates_in_a_calendar() -> None:
    plain = BusinessCalendar(tz="Europe/Berlin", hours="09:00-17:00",
                             holidays=[date(2026, 12, 24)], workdays=[date(2026, 12, 27)])
    cal = BusinessCalendar(tz="Europe/Berlin", hours="09:00-17:00",
                           holidays=[pendulum.date(2026, 12, 24)],
                           workdays=[pendulum.date(2026, 12, 27)])
    assert cal == plain
    assert cal.to_json() == plain.to_json()
    assert [type(d) for d in cal.holidays + cal.workdays] == [date, date]
    for day in (pendulum.date(2026, 12, 24), pendulum.date(2026, 12, 27)):
        assert cal.hours_on(day) == plain.hours_on(date(day.year, day.month, day.day))
    assert cal.covers(pendulum.date(2026, 12, 24))


# -- vectorised ----------------------------------------------------------------------------------


@pytest.mark.parametrize("cal_name", CALENDARS)
def test_the_vectorised_functions_take_sequences_of_pendulum_datetimes(cal_name: str) -> None:
    cal = calendar(cal_name)
    starts = INSTANTS
    ends = [(t.astimezone(UTC) + k * 7 * H).astimezone(NY) for k, t in enumerate(starts)]
    durations = [k * 37 * M + k * US for k in range(len(starts))]
    want_elapsed = cal.elapsed_many(starts, ends, unit="us")
    want_seconds = cal.elapsed_many(starts, ends)
    want_added = cal.add_many(starts, durations)
    p_starts, p_ends = [pend(t) for t in starts], [pend(t) for t in ends]
    p_durations = [pendulum.duration(microseconds=d // US) for d in durations]
    for s, e in ((p_starts, p_ends), (tuple(p_starts), tuple(p_ends)),
                 (np.array(p_starts, dtype=object), np.array(p_ends, dtype=object)),
                 ([my(t) for t in starts], [my(t) for t in ends])):
        np.testing.assert_array_equal(cal.elapsed_many(s, e, unit="us"), want_elapsed)
        np.testing.assert_array_equal(cal.elapsed_many(s, e), want_seconds)
        np.testing.assert_array_equal(cal.add_many(s, durations), want_added)
        np.testing.assert_array_equal(cal.add_many(s, p_durations), want_added)
    # the scalar path agrees (add_many answers in UTC)
    for t, d, u in zip(p_starts, p_durations, want_added, strict=True):
        assert cal.add(t, d) == u.item().replace(tzinfo=UTC)


def test_a_vectorised_error_names_the_item() -> None:
    cal = cn()
    starts = [pend(INSTANTS[0]), pendulum.naive(2026, 3, 8, 9)]
    with pytest.raises(NaiveDatetimeError, match=r"starts\[1\]: naive datetime"):
        cal.add_many(starts, [H, H])
    with pytest.raises(CalendarError, match="differ in length"):
        cal.elapsed_many([pend(INSTANTS[0])], [])


# -- properties: pendulum against zoneinfo on random instants across DST changes ------------------

LO = datetime(1985, 1, 1, tzinfo=UTC)  # Shanghai kept DST in 1986-1991
HI = datetime(2035, 1, 1, tzinfo=UTC)


@cache
def _transitions() -> tuple[datetime, ...]:
    """Days (as UTC instants a little before the change) on which a zone's offset changes."""
    out = []
    for zone in ZONES.values():
        t = LO
        offset = t.astimezone(zone).utcoffset()
        while t < HI:
            nxt = t + D
            off = nxt.astimezone(zone).utcoffset()
            if off != offset:
                out.append(t)
                offset = off
            t = nxt
    return tuple(out)


instants = st.one_of(
    st.integers((LO - EPOCH) // US, (HI - EPOCH) // US).map(lambda us: EPOCH + us * US),
    st.builds(lambda day, us: day + us * US,
              st.integers(0, 10**9).map(lambda i: _transitions()[i % len(_transitions())]),
              st.integers(0, 2 * D // US)),
)
input_zones = st.sampled_from([*ZONES.values(), UTC, timezone(timedelta(hours=-3, minutes=-30))])
PROPERTY_CALENDARS: dict[str, Callable[[], BusinessCalendar]] = {
    # China's calendar outside chinesecalendar's years falls back to the statutory holidays
    "china": cn,
    # open through Berlin's and New York's DST hours (02:00-03:00 local)
    "berlin": lambda: BusinessCalendar(tz="Europe/Berlin", hours="00:30-02:45,08:00-18:00"),
    "new-york": lambda: BusinessCalendar(
        tz="America/New_York",
        hours={"mon": "01:15-03:30,09:00-17:00", "sat": "00:00-24:00", "sun": "01:00-02:30"},
    ),
    "shanghai-nights": lambda: BusinessCalendar(tz="Asia/Shanghai", hours="01:00-03:00"),
}


@cache
def property_calendar(name: str) -> BusinessCalendar:
    return PROPERTY_CALENDARS[name]()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cal_name=st.sampled_from(list(PROPERTY_CALENDARS)),
    start=instants,
    span=st.integers(0, 20 * D // US).map(lambda us: us * US),
    zone=input_zones,
)
@example(cal_name="berlin", start=datetime(2026, 10, 25, 0, 30, tzinfo=UTC), span=H, zone=BERLIN)
@example(cal_name="berlin", start=datetime(2026, 3, 29, 0, 59, tzinfo=UTC), span=H, zone=BERLIN)
@example(cal_name="berlin", start=datetime(2026, 10, 25, 1, 30, tzinfo=UTC), span=H, zone=BERLIN)
@example(cal_name="new-york", start=datetime(2026, 11, 1, 5, 30, tzinfo=UTC), span=H, zone=NY)
@example(cal_name="new-york", start=datetime(2026, 11, 1, 6, 30, tzinfo=UTC), span=H, zone=NY)
@example(cal_name="shanghai-nights", start=datetime(1988, 4, 9, 17, 30, tzinfo=UTC), span=H,
         zone=SH)
def test_pendulum_and_zoneinfo_inputs_give_identical_results(
    cal_name: str, start: datetime, span: timedelta, zone: Any
) -> None:
    cal = property_calendar(cal_name)
    a = start.astimezone(zone)
    b = (start + span).astimezone(zone)
    p_a, p_b = pend(a), pend(b)
    # pendulum reads datetime.UTC as its Timezone("UTC"), whose plain form is ZoneInfo("UTC")
    same(require_aware(p_a, "a"), a.replace(tzinfo=ZoneInfo("UTC")) if zone is UTC else a)
    try:
        expected = _results(cal, a, b, span)
    except CalendarError as exc:  # e.g. beyond the years covered: the same error for both
        with pytest.raises(type(exc), match=re.escape(str(exc))):
            _results(cal, p_a, p_b, span)
        return
    for actual, want in zip(_results(cal, p_a, p_b, span), expected, strict=True):
        same(actual, want)
    # pendulum's own constructor, with the zone's name and an explicit fold
    if isinstance(zone, ZoneInfo):
        q = pendulum.datetime(a.year, a.month, a.day, a.hour, a.minute, a.second,
                              a.microsecond, tz=zone.key, fold=a.fold)
        same(require_aware(q, "q"), a)
        same(cal.add(q, span), expected[0])


# -- rules ---------------------------------------------------------------------------------------

RULES = [
    "at - resolved_at <= 7d",
    "at - resolved_at < 7d",
    "at - resolved_at == 7d1h",
    "(at - resolved_at) / 1h == 169",
    "(at - resolved_at) / 2 > 3d",
    "at - resolved_at - 1h >= 7d",
    "at + 1h > resolved_at + 7d1h",
    "resolved_at + window >= at",
    "window / 1h == 168",
    "window - 1h == 6d23h",
    "at > resolved_at",
    "resolved_at - at == 0 - 7d1h",
    'resolved_at == "2026-10-28T12:00:00-04:00"',
    'at >= "2026-11-04T17:00:00Z"',
]


def _facts(convert: Callable[[datetime], datetime], window: timedelta) -> dict[str, Any]:
    # a week and an hour across New York's fall back (Python's wall-clock `-` says 7 days)
    return {"at": convert(datetime(2026, 11, 4, 12, 0, tzinfo=NY)),
            "resolved_at": convert(datetime(2026, 10, 28, 12, 0, tzinfo=NY)),
            "window": window}


@pytest.mark.parametrize("text", RULES)
def test_rule_conditions_on_pendulum_facts_give_the_plain_answers(text: str) -> None:
    condition = Condition(text)
    plain = _facts(lambda t: t, 7 * D)
    want = condition.evaluate(plain)
    explanation = condition.explain(plain)
    for facts in (_facts(pend, 7 * D), _facts(pend, pendulum.duration(weeks=1)),
                  _facts(my, 7 * D)):
        assert condition.evaluate(facts) is want
        assert condition.explain(facts) == explanation
    # the same instant written in another zone: the same answer (the explanation shows the zone)
    elsewhere = {**plain, "at": pend(plain["at"]).in_tz("Asia/Shanghai")}
    assert condition.evaluate(elsewhere) is want


def test_the_rule_answers_are_the_expected_ones() -> None:
    facts = _facts(pend, pendulum.duration(weeks=1))
    assert not Condition("at - resolved_at <= 7d").evaluate(facts)
    assert Condition("at - resolved_at == 7d1h").evaluate(facts)
    assert Condition("(at - resolved_at) / 1h == 169").evaluate(facts)
    assert Condition("window / 1h == 168").evaluate(facts)


def test_format_duration_reads_pendulum_durations_as_timedeltas() -> None:
    for duration in (pendulum.duration(hours=4), pendulum.duration(hours=-1, minutes=30),
                     pendulum.duration(days=-2, seconds=1, microseconds=7),
                     pendulum.duration(weeks=1, hours=26, minutes=30)):
        plain = timedelta(microseconds=timedelta.__floordiv__(duration, US))
        assert format_duration(duration) == format_duration(plain)
        assert format_hours(duration) == format_hours(plain)
    assert format_duration(pendulum.duration(hours=-1, minutes=30)) == "-30m"


# -- tickets and SLA -----------------------------------------------------------------------------

AGENT = Actor(id="agent-li-0417", roles=frozenset({"agent"}))
LEAD = Actor(id="lead-chen-0802", roles=frozenset({"lead"}))
# Friday before Berlin's clocks go forward (2026-03-29), reopened across the change
T0 = datetime(2026, 3, 27, 9, 0, tzinfo=BERLIN)


def _life(convert: Callable[[datetime], datetime]) -> Ticket:
    def at(delta: timedelta) -> datetime:
        return convert((T0.astimezone(UTC) + delta).astimezone(BERLIN))

    return (Ticket.open(ticket_id="T-1", customer_id="cust-1", channel="email",
                        category="billing", priority="P3", subject="Charged twice",
                        at=at(timedelta(0)), by=AGENT)
            .assign(to=AGENT.id, at=at(M), by=LEAD)
            .reply(at=at(2 * M), by=AGENT)
            .wait_on_customer(at=at(3 * M), by=AGENT)
            .customer_reply(at=at(H))
            .change_priority("P2", at=at(H), by=LEAD, reason="angry")
            .escalate(level=1, at=at(2 * H), by=LEAD)
            .resolve(at=at(3 * H), by=AGENT, resolution="done")
            .reopen(at=at(2 * D))
            .resolve(at=at(3 * D), by=AGENT, resolution="done again")
            .close(at=at(4 * D), by=AGENT))


def _instants(ticket: Ticket) -> list[tuple[str, str]]:
    return [(type(ev).__name__, repr(ev.at)) for ev in ticket.history]


@pytest.mark.parametrize("form", FORMS)
def test_a_ticket_driven_with_pendulum_instants_is_the_plain_ticket(form: str) -> None:
    plain = _life(lambda t: t)
    ticket = _life(FORMS[form])
    assert Ticket.replay(ticket.history) == ticket
    assert _instants(ticket) == _instants(plain)
    for ev in ticket.history:
        assert type(ev.at) is datetime
        assert type(ev.at.tzinfo) is ZoneInfo
    for name in ("status", "opened_at", "updated_at", "resolved_at", "ended_at"):
        same(getattr(ticket, name), getattr(plain, name))


@pytest.mark.parametrize("form", FORMS)
def test_a_ticket_refuses_an_earlier_pendulum_instant(form: str) -> None:
    ticket = Ticket.open(ticket_id="T-1", customer_id="cust-1", channel="email",
                         category="billing", priority="P3", subject="Charged twice",
                         at=FORMS[form](T0), by=AGENT)
    with pytest.raises(InvalidInputError, match="earlier than"):
        ticket.reply(at=FORMS[form](T0 - US), by=AGENT)
    with pytest.raises(NaiveDatetimeError):
        ticket.reply(at=pendulum.naive(2026, 3, 28), by=AGENT)


def _sla_history() -> Ticket:
    def sh(month: int, day: int, hour: int, minute: int) -> datetime:
        return datetime(2026, month, day, hour, minute, tzinfo=SH)

    return (Ticket.open(ticket_id="C-7", customer_id="cust-1", channel="email",
                        category="complaint", priority="P3", subject="Late delivery",
                        at=sh(9, 30, 16, 30), by=AGENT)
            .reply(at=sh(10, 9, 11, 15), by=AGENT))


@pytest.mark.parametrize(
    "now",
    [datetime(2026, 9, 30, 17, 0, tzinfo=SH), datetime(2026, 10, 8, 10, 0, tzinfo=SH),
     datetime(2026, 10, 9, 12, 0, tzinfo=SH), datetime(2026, 10, 12, 10, 0, tzinfo=SH),
     datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NY)],
    ids=lambda t: t.isoformat(),
)
@pytest.mark.parametrize("form", FORMS)
def test_sla_evaluate_at_a_pendulum_now_gives_the_plain_report(form: str, now: datetime) -> None:
    policy = handbook.sla_policy()
    events = _sla_history().history
    want = evaluate(policy, events, now)
    p_now = FORMS[form](now)
    got = evaluate(policy, events, p_now)
    assert got == want
    same(got.now, want.now)
    same(got.next_check_at, want.next_check_at)
    assert {k: repr(v) for k, v in got.items()} == {k: repr(v) for k, v in want.items()}
    assert got.explain() == want.explain()
    assert got.escalations(p_now) == want.escalations(now)
    assert repr(got.remedies()) == repr(want.remedies())
    batch, plain_batch = (evaluate_many(policy, {"C-7": events}, t) for t in (p_now, now))
    assert batch["C-7"] == plain_batch["C-7"]


def test_sla_evaluate_on_events_with_pendulum_instants_gives_the_plain_report() -> None:
    policy = handbook.sla_policy()
    events = _sla_history().history
    p_events = [type(ev).model_validate({**dict(ev), "at": pend(ev.at)}) for ev in events]
    now = datetime(2026, 10, 12, 10, 0, tzinfo=SH)
    assert evaluate(policy, p_events, now) == evaluate(policy, events, now)


@pytest.mark.parametrize("form", FORMS)
def test_timeouts_fall_due_at_a_pendulum_now_as_at_the_plain_one(form: str) -> None:
    resolved = (Ticket.open(ticket_id="T-1", customer_id="cust-1", channel="email",
                            category="billing", priority="P3", subject="Charged twice",
                            at=T0, by=AGENT)
                .reply(at=T0 + M, by=AGENT)
                .resolve(at=T0 + H, by=AGENT, resolution="done"))
    assert resolved.timeout_due_at is not None
    for now in (resolved.timeout_due_at - US, resolved.timeout_due_at, T0 + 30 * D):
        want, got = resolved.apply_timeouts(now), resolved.apply_timeouts(FORMS[form](now))
        assert got.status == want.status
        assert _instants(got) == _instants(want)
    assert resolved.apply_timeouts(T0 + 30 * D).status != resolved.status
