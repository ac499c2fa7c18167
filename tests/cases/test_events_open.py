"""The open event vocabulary: host events register themselves; ids are time-ordered UUIDv7.

A host's own :class:`~servicekit.events.Event` subclass, with a ``type`` literal or without
(then its class name is its type), is registered when the class is defined: it round-trips
through ``Event.from_dict(ev.to_dict())`` and JSON, and :func:`event_types` lists it. A built-in
type name cannot be taken over. ``ticket_id`` (the stream's name before the rename) is accepted
on input, readable, and moves the stream in ``model_copy``. ``Event.from_dict`` refuses what it
cannot read without echoing the input (P-08's trace must not leak personal data into logs).
Every built-in event declares the status it implies; :func:`time_ordered_id` makes UUIDs of
version 7 whose order is the order of their instants.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import Field

from servicekit.errors import InvalidInputError
from servicekit.events import (
    EVENT_TYPES,
    AgentReplied,
    CaseStarted,
    CustomerReplied,
    Event,
    PriorityChanged,
    StageReached,
    StatusChanged,
    TicketAssigned,
    TicketCancelled,
    TicketClosed,
    TicketCreated,
    TicketEscalated,
    TicketReopened,
    TicketResolved,
    event_class,
    event_types,
    time_ordered_id,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BEIJING = timezone(timedelta(hours=8))
PHONE = "13800138000"
MS = timedelta(milliseconds=1)


# -- a host's own events (defined here, so registered when this module is imported) -------------


class CallbackScheduled(Event):
    """A host event with a ``type`` literal (its registered name differs from the class's)."""

    type: Literal["host.CallbackScheduled"] = "host.CallbackScheduled"
    slot: datetime
    attempts: int = 1
    note: str | None = None


class SurveySent(Event):
    """A host event without a ``type`` field: registered under its class name; it moves the
    case to ``surveyed``."""

    implies = "surveyed"

    channel: str
    questions: list[str] = Field(default_factory=list)


class CaseReassigned(StatusChanged):
    """A host event extending a built-in one under a type of its own."""

    type: Literal["CaseReassigned"] = "CaseReassigned"  # type: ignore[assignment]
    assignee: str


def callback() -> CallbackScheduled:
    return CallbackScheduled(stream_id="C-1", at=T0, by="agent-1", slot=T0 + timedelta(days=1),
                             note=f"call {PHONE}", fields={"channel": "phone"})


def survey() -> SurveySent:
    return SurveySent(stream_id="C-1", at=T0.astimezone(BEIJING), channel="sms",
                      questions=["How did we do?"])


def reassigned() -> CaseReassigned:
    return CaseReassigned(stream_id="C-1", at=T0, status="open", event="reassign",
                          assignee="agent-2")


HOST_EVENTS = {"literal-type": callback, "class-name": survey, "built-in-base": reassigned}


@pytest.mark.parametrize("make", HOST_EVENTS.values(), ids=HOST_EVENTS.keys())
def test_a_host_event_round_trips_through_from_dict_and_json(make: Any) -> None:
    ev = make()
    data = ev.to_dict()
    assert data["type"] == type(ev).event_type
    back = Event.from_dict(data)
    assert type(back) is type(ev)
    assert back == ev
    assert Event.from_dict(json.loads(json.dumps(data))) == ev
    assert event_class(type(ev).event_type) is type(ev)


def test_host_events_are_registered_under_their_type() -> None:
    assert (CallbackScheduled.event_type, SurveySent.event_type, CaseReassigned.event_type) == (
        "host.CallbackScheduled", "SurveySent", "CaseReassigned")
    types = event_types()
    assert {"host.CallbackScheduled", "SurveySent", "CaseReassigned"} <= set(types)
    assert "CallbackScheduled" not in types  # a literal type replaces the class name
    assert set(EVENT_TYPES) <= set(types)
    assert list(types) == sorted(types)
    assert survey().to_dict()["type"] == "SurveySent"
    assert "type" not in SurveySent.model_fields


def test_a_host_event_declares_the_status_it_implies() -> None:
    assert survey().implied_status == "surveyed"
    assert callback().implied_status is None
    assert reassigned().implied_status == "open"  # a StatusChanged: its status
    assert reassigned().selector == "StatusChanged:open"


def test_a_host_event_in_a_history_survives_a_trip_through_json() -> None:
    events = [callback(), survey(), reassigned()]
    text = json.dumps([e.to_dict() for e in events])
    assert [Event.from_dict(d) for d in json.loads(text)] == events


@pytest.mark.parametrize("name", EVENT_TYPES)
def test_a_host_event_cannot_take_a_built_in_type_name(name: str) -> None:
    with pytest.raises(TypeError, match="is built in"):
        type(name, (Event,), {"__module__": __name__, "__annotations__": {}})
    with pytest.raises(TypeError, match="is built in"):
        class Impostor(Event):
            type: Literal[name] = name  # type: ignore[valid-type]
    assert event_class(name).__module__ == "servicekit.events"
    assert event_class(name).event_type == name


def test_subclassing_a_built_in_event_without_a_type_of_its_own_is_refused() -> None:
    with pytest.raises(TypeError, match="is built in"):
        class MyResolved(TicketResolved):
            pass
    assert event_class("TicketResolved") is TicketResolved


def test_an_event_type_is_a_non_empty_string() -> None:
    with pytest.raises(TypeError, match="non-empty string"):
        class Nameless(Event):
            type: Literal[""] = ""
    assert "" not in event_types()


# -- ticket_id, the stream's former name -----------------------------------------------------------


def test_ticket_id_is_accepted_on_input_and_readable() -> None:
    ev = StatusChanged(ticket_id="T-1", at=T0, status="open")
    assert ev.stream_id == ev.ticket_id == "T-1"
    data = {"type": "AgentReplied", "ticket_id": "T-2", "at": T0.isoformat()}
    stored = Event.from_dict(data)
    assert isinstance(stored, AgentReplied)
    assert stored.stream_id == stored.ticket_id == "T-2"
    assert "ticket_id" not in stored.to_dict()
    assert stored.to_dict()["stream_id"] == "T-2"
    host = CallbackScheduled(ticket_id="T-3", at=T0, slot=T0)
    assert host.stream_id == "T-3"


def test_model_copy_with_ticket_id_moves_the_stream() -> None:
    ev = callback()
    moved = ev.model_copy(update={"ticket_id": "C-2"})
    assert (moved.stream_id, moved.ticket_id) == ("C-2", "C-2")
    assert "ticket_id" not in moved.__dict__
    assert moved.model_copy(update={"stream_id": "C-3"}).ticket_id == "C-3"
    assert (ev.stream_id, moved.event_id, moved.note) == ("C-1", ev.event_id, ev.note)
    assert Event.from_dict(moved.to_dict()) == moved


# -- from_dict refuses without echoing -------------------------------------------------------------


def _quiet(exc: BaseException, *secrets: str) -> None:
    for text in (str(exc), repr(exc)):
        assert not [s for s in secrets if s in text], text


@pytest.mark.parametrize(
    "data",
    [
        {"type": f"Phone{PHONE}", "stream_id": PHONE, "at": T0.isoformat()},
        {"type": "ticketcreated", "stream_id": "T-1"},
        {"type": 13800138000},
        {"type": None, "note": PHONE},
        {"stream_id": PHONE},
        {},
    ],
    ids=["unknown-type", "wrong-case", "int-type", "null-type", "no-type", "empty"],
)
def test_from_dict_of_an_unknown_type_is_invalid_input_without_echoing_it(data: Any) -> None:
    with pytest.raises(InvalidInputError) as info:
        Event.from_dict(data)
    assert "not a registered event type" in str(info.value)
    _quiet(info.value, PHONE, "Phone", "ticketcreated")


@pytest.mark.parametrize("data", [[("type", "StatusChanged")], f"StatusChanged {PHONE}",
                                  b"{}", None, 13800138000, ("StatusChanged",)],
                         ids=["pairs", "str", "bytes", "None", "int", "tuple"])
def test_from_dict_of_what_is_not_a_mapping_is_invalid_input(data: Any) -> None:
    with pytest.raises(InvalidInputError) as info:
        Event.from_dict(data)
    assert "expected a mapping" in str(info.value)
    _quiet(info.value, PHONE, "StatusChanged")


@pytest.mark.parametrize(
    "data",
    [
        {"type": "StatusChanged", "stream_id": f"C-{PHONE}", "at": f"call {PHONE}",
         "status": "open"},
        {"type": "StatusChanged", "stream_id": f"C-{PHONE}", "at": T0.isoformat(),
         "status": 13800138000},
        {"type": "StatusChanged", "stream_id": "C-1", "at": T0.isoformat(), "status": "open",
         "fields": {"note": {PHONE}}},
        {"type": "StatusChanged", "stream_id": "C-1", "at": T0.isoformat(), "status": "open",
         "fields": {f"phone {PHONE}": {1, 2}}},
        {"type": "host.CallbackScheduled", "stream_id": "C-1", "at": T0.isoformat(),
         "slot": f"call {PHONE}"},
        {"type": "StatusChanged", "stream_id": "C-1", "at": "2026-03-02T09:00:00",
         "status": "open", "by": PHONE},
    ],
    ids=["bad-at", "int-status", "non-json-field-value", "personal-field-key", "host-slot",
         "naive-at"],
)
def test_from_dict_of_bad_values_does_not_echo_them(data: Any) -> None:
    """The message names the location and type, never the values (nor the keys of the
    host's data, which can be personal too)."""
    with pytest.raises(InvalidInputError) as info:
        Event.from_dict(data)
    _quiet(info.value, PHONE)


# -- implied status --------------------------------------------------------------------------------


def _built_in(cls: type[Event]) -> Event:
    extra: dict[str, Any] = {
        TicketCreated: {"priority": "P3"}, PriorityChanged: {"priority": "P1"},
        TicketAssigned: {"assignee": "agent-1"}, TicketEscalated: {"level": 1},
        StageReached: {"stage": "answered"},
        CaseStarted: {"process": "complaint", "state": "submitted"},
        StatusChanged: {"status": "pending_customer", "event": "wait_on_customer"},
    }.get(cls, {})
    return cls(stream_id="T-1", at=T0, **extra)


IMPLIED: dict[type[Event], str | None] = {
    TicketCreated: "new", TicketResolved: "resolved", TicketReopened: "open",
    TicketClosed: "closed", TicketCancelled: "cancelled", StatusChanged: "pending_customer",
    CaseStarted: "submitted", AgentReplied: None, CustomerReplied: None, PriorityChanged: None,
    TicketAssigned: None, TicketEscalated: None, StageReached: None,
}


def test_every_built_in_event_is_listed() -> None:
    assert {cls.event_type for cls in IMPLIED} == set(EVENT_TYPES)


@pytest.mark.parametrize("cls", list(IMPLIED), ids=[c.__name__ for c in IMPLIED])
def test_the_status_each_built_in_event_implies(cls: type[Event]) -> None:
    ev = _built_in(cls)
    assert ev.implied_status == IMPLIED[cls]
    assert Event.from_dict(ev.to_dict()).implied_status == IMPLIED[cls]
    if cls not in (StatusChanged, CaseStarted):
        assert cls.implies == IMPLIED[cls]  # declared on the class: replay reads it there


def test_status_changed_and_case_started_imply_what_they_carry() -> None:
    assert StatusChanged(stream_id="T-1", at=T0, status="closed").implied_status == "closed"
    started = CaseStarted(stream_id="C-1", at=T0, process="repair", state="reported")
    assert (started.implied_status, started.selector) == ("reported", "CaseStarted:repair")


# -- time-ordered ids ------------------------------------------------------------------------------


def _ms(at: datetime) -> int:
    return (at - datetime(1970, 1, 1, tzinfo=UTC)) // MS


@pytest.mark.parametrize("at", [T0, T0.astimezone(BEIJING), datetime(1970, 1, 1, tzinfo=UTC),
                                datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)],
                         ids=["utc", "beijing", "epoch", "year-9999"])
def test_a_time_ordered_id_is_a_uuid_version_7_holding_its_instant(at: datetime) -> None:
    ident = time_ordered_id(at)
    u = uuid.UUID(ident)
    assert u.version == 7
    assert u.variant == uuid.RFC_4122
    assert str(u) == ident
    assert u.int >> 80 == _ms(at)


def test_an_instant_before_1970_gets_a_random_uuid() -> None:
    u = uuid.UUID(time_ordered_id(datetime(1969, 12, 31, 23, 59, tzinfo=UTC)))
    assert u.version == 4


instants = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(3000, 1, 1),
                        timezones=st.sampled_from([UTC, BEIJING]))


@settings(max_examples=100, deadline=None, database=None)
@given(st.lists(instants, min_size=2, max_size=20))
def test_ids_sort_by_their_instant_across_milliseconds(ats: list[datetime]) -> None:
    ids = [time_ordered_id(at) for at in ats]
    for a, ia in zip(ats, ids, strict=True):
        for b, ib in zip(ats, ids, strict=True):
            if _ms(a) < _ms(b):
                assert ia < ib, (a, b)


def test_ids_of_consecutive_milliseconds_sort() -> None:
    ats = [T0 + k * MS for k in range(2000)]
    ids = [time_ordered_id(at) for at in reversed(ats)]
    assert sorted(ids) == list(reversed(ids))


def test_a_hundred_thousand_ids_for_one_instant_are_distinct() -> None:
    ids = {time_ordered_id(T0) for _ in range(100_000)}
    assert len(ids) == 100_000
    assert {uuid.UUID(i).int >> 80 for i in list(ids)[:1000]} == {_ms(T0)}


@pytest.mark.parametrize("first", ["servicekit._complaint_events", "servicekit.events",
                                   "servicekit.complaints", "servicekit.storage"])
def test_the_complaint_events_load_whichever_module_is_imported_first(first: str) -> None:
    """The complaint's events subclass Event and are registered by servicekit.events: either
    module may be imported first (a tool that imports every module in turn found the order
    that failed, issue 11), and servicekit.events lends exactly their public names."""
    import subprocess
    import sys

    probe = (f"import {first}\n"
             "import servicekit.events as E, servicekit._complaint_events as C\n"
             "assert E._COMPLAINT_NAMES == set(C.__all__)\n"
             "assert all(getattr(E, n) is getattr(C, n) for n in C.__all__)\n"
             "assert set(C.COMPLAINT_EVENT_TYPES) <= set(E.event_types())\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
