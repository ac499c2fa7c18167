"""What the engine accepts as a history, at the edges: copies that are equal but not the same
object, copies pydantic cannot write, a bad event in the middle of a history, a second
creation far from the first or exactly at now, and instants at the first microsecond the
calendar computes (``EPOCH_US_MIN``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from servicekit.calendar import EPOCH_US_MIN, BusinessCalendar
from servicekit.errors import CalendarError, InvalidInputError
from servicekit.events import AgentReplied, Event, StageReached, TicketCreated
from servicekit.sla import SlaPolicy, evaluate, evaluate_many

H = timedelta(hours=1)
M = timedelta(minutes=1)
US = timedelta(microseconds=1)
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
FIRST = datetime(1970, 1, 1, tzinfo=UTC) + EPOCH_US_MIN * US  # the first instant computed


def policy() -> SlaPolicy:
    return SlaPolicy(name="h", calendar=BusinessCalendar.always(),
                     targets={"first_response": {"P1": H}, "resolution": {"P1": 8 * H}})


def created(at: datetime = T0, eid: str = "c") -> TicketCreated:
    return TicketCreated(event_id=eid, stream_id="T-1", at=at, priority="P1")


def reply(at: datetime, eid: str, public: bool = True) -> AgentReplied:
    return AgentReplied(event_id=eid, stream_id="T-1", at=at, public=public)


def refused(events: list[Any], now: datetime = T0 + 2 * H) -> str:
    with pytest.raises(InvalidInputError) as info:
        evaluate(policy(), events, now)
    return str(info.value)


def test_equal_copies_that_are_other_objects_count_once() -> None:
    """``model_copy`` of a frozen event is the event itself; a copy rebuilt from its fields
    (as a host reading its store twice gets) is another object, equal, and counts once."""
    first = reply(T0 + M, "r")
    again = AgentReplied.model_validate(first.model_dump())
    assert again is not first
    assert again == first
    one = evaluate(policy(), [created(), first], T0 + H)
    assert evaluate(policy(), [created(), first, again], T0 + H) == one
    creation = TicketCreated.model_validate(created().model_dump())
    assert evaluate(policy(), [created(), again, creation, first], T0 + H) == one


def test_equal_copies_pydantic_cannot_write_are_two_events() -> None:
    """Copies built without validation holding a value pydantic cannot write compare equal,
    but whether they are one event cannot be told: refused, naming both positions."""
    odd = object()

    def stage() -> StageReached:
        return StageReached.model_construct(event_id="s", stream_id="T-1", at=T0 + H,
                                            stage="x", fields={"x": odd})

    one, two = stage(), stage()
    assert one == two
    message = refused([created(), one, two])
    assert message.startswith("events[2]: has the event id of events[1] but is a different event")


def test_a_bad_event_in_the_middle_is_named_by_its_own_position() -> None:
    """Not the last event's position: the first bad one's, and its own type."""
    ok = [reply(T0 + M, "r"), reply(T0 + 90 * M, "z")]
    assert refused([created(), "not an event", *ok]).startswith(
        "events[1]: expected a servicekit event, got str")
    foreign = AgentReplied(event_id="f", stream_id="T-2", at=T0 + H)
    assert refused([created(), foreign, *ok]).startswith(
        "events[1]: belongs to another stream than events[0]")
    impostor = reply(T0 + H, "r", public=False)
    assert refused([created(), ok[0], impostor, ok[1]]).startswith(
        "events[2]: has the event id of events[1] but is a different event")


def test_a_second_creation_is_named_wherever_it_is_and_at_now_too() -> None:
    events: list[Event] = [created(), reply(T0 + H, "a"), reply(T0 + H, "b", public=False),
                           created(T0 + 2 * H, "again")]
    assert refused(events, T0 + 2 * H).startswith(
        "events[3]: a second creation event (events[0] started this history)")
    with pytest.raises(InvalidInputError, match=r"entry 1: events\[3\]: a second creation"):
        evaluate_many(policy(), {"T-0": [], "T-1": events}, T0 + 2 * H)


def test_a_creation_a_microsecond_after_now_is_not_known_even_in_year_9000() -> None:
    """In year 9000 epoch microseconds need more than a float's 53 bits; the creation one
    microsecond after now is still after now, and the second creation is the third event."""
    now = datetime(9000, 1, 1, tzinfo=UTC)
    events = [created(now - H), created(now + US, "later"), created(now, "again")]
    assert refused(events, now).startswith(
        "events[2]: a second creation event (events[0] started this history)")


def test_the_first_instant_computed_is_accepted_and_the_one_before_is_named() -> None:
    """``FIRST`` (year 2, as the zone-less calendar computes it) is accepted, in any order;
    a microsecond before it is a ``CalendarError`` naming that event, not the first one."""
    events = [reply(FIRST + US, "r"), created(FIRST)]  # out of order: sorted by instant
    report = evaluate(policy(), events, FIRST + H)
    assert (report["first_response"].state, report["first_response"].elapsed) == ("met", US)
    with pytest.raises(CalendarError) as info:
        evaluate(policy(), [created(FIRST), reply(FIRST - US, "r")], FIRST + H)
    assert str(info.value).startswith("events[1].at: instant before the years 2 to 9998")


def test_a_first_item_whose_stream_cannot_be_read_is_named() -> None:
    """The stream of a history is its first event's: an object whose ``stream_id`` raises is
    refused as events[0], with a typed error."""

    class Odd:
        @property
        def stream_id(self) -> str:
            raise TypeError("no stream")

    message = refused([Odd()])
    assert message.startswith("events[0]")
