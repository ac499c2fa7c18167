"""The event store contract (issue 5, "Storage ports"), run against every backend.

Every test here takes the ``store`` fixture (``memory`` and ``sqlite``, see ``conftest.py``):
one suite, never a copy per backend. The contract:

* ``append(stream_id, events, 0)`` starts a stream and returns its new version; ``load`` gives
  back events equal to the originals, of every type in :mod:`servicekit.events`, with their
  aware datetimes (instant and offset) and their ``fields``;
* an ``expected_version`` that is stale or ahead raises ``ConcurrencyConflict`` (with
  ``expected`` and ``actual``) and writes nothing; an append is all or nothing; an empty append
  is a no-op returning the version; an unknown stream loads as ``()``; streams are independent;
* an event id is stored once: duplicates within an append or across streams are refused with
  ``InvalidInputError`` and nothing is written;
* bad arguments raise ``InvalidInputError`` (a ``ServiceKitError``) and change nothing;
* no error message repeats the stream id or the events' data.

Two Hypothesis properties close the file: any event survives the trip through the store, and
any sequence of appends (random batches, right or wrong expected versions, duplicate ids)
leaves each stream equal to the concatenation of the accepted batches (a model-based check).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicekit.adapters.sqlite import SqliteEventStore
from servicekit.errors import ConcurrencyConflict, InvalidInputError, ServiceKitError
from servicekit.events import (
    COMPLAINT_EVENT_TYPES,
    EVENT_TYPES,
    AgentReplied,
    CaseStarted,
    ComplaintAcknowledged,
    ComplaintAnalysed,
    ComplaintClosed,
    ComplaintEscalated,
    ComplaintHandled,
    ComplaintLoopClosed,
    ComplaintReopened,
    ComplaintWithdrawn,
    CustomerReplied,
    Event,
    FeedbackRecorded,
    PriorityChanged,
    RemedyOwed,
    ReturnVisitRecorded,
    SolutionProposed,
    StageReached,
    StatusChanged,
    TicketAssigned,
    TicketCancelled,
    TicketClosed,
    TicketCreated,
    TicketEscalated,
    TicketReopened,
    TicketResolved,
)
from servicekit.storage import EventStore, InMemoryEventStore

Store = InMemoryEventStore | SqliteEventStore  # the ``store`` fixture (conftest.py)
StoreFactory = Callable[[str], AbstractContextManager[Store]]  # the ``fresh_store`` fixture

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
S = timedelta(seconds=1)
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
KATHMANDU = timezone(timedelta(hours=5, minutes=45))
NEWFOUNDLAND = timezone(-timedelta(hours=3, minutes=30))

# Personal data, which no error message may repeat (stream ids are ticket ids: they may be).
STREAM = "T-cust-zhang-13800138000"
OTHER = "T-wang.fang@example.com"
PHONE = "13912345678"
NOTE = f"call me on {PHONE}"
PRIVATE = (STREAM, OTHER, PHONE, "13800138000", "wang.fang", "lead-chen-0802", "agent-li-0417")


def bad(value: object) -> Any:
    """A value of the wrong type, passed on purpose."""
    return value


def private_free(exc: BaseException, events: Sequence[Event] = ()) -> None:
    """The error's message repeats neither personal data nor any event's id."""
    message = str(exc)
    leaked = [s for s in (*PRIVATE, *(e.event_id for e in events)) if s in message]
    assert not leaked, f"{type(exc).__name__} message repeats {leaked}: {message!r}"


# -- events of every type ------------------------------------------------------------------------

Maker = Callable[[str, datetime, dict[str, Any]], Event]


def _created(ticket_id: str, at: datetime, fields: dict[str, Any]) -> Event:
    return TicketCreated(ticket_id=ticket_id, at=at, by="agent-li-0417", fields=fields,
                         priority="P2", customer_id="cust-zhang-13800138000", channel="phone",
                         category="billing", subject=NOTE, customer_tier="gold",
                         attributes={"product": "X-1", "amount": 12.5, "tags": ["vip", None],
                                     "nested": {"phone": PHONE, "ok": True}})


def _status(ticket_id: str, at: datetime, fields: dict[str, Any]) -> Event:
    return StatusChanged(ticket_id=ticket_id, at=at, by="agent-li-0417", fields=fields,
                         status="pending_customer", event="wait_on_customer")


def _agent(ticket_id: str, at: datetime, fields: dict[str, Any]) -> Event:
    return AgentReplied(ticket_id=ticket_id, at=at, by="agent-li-0417", fields=fields,
                        public=False)


def _customer(ticket_id: str, at: datetime, fields: dict[str, Any]) -> Event:
    return CustomerReplied(ticket_id=ticket_id, at=at, by="cust-zhang-13800138000",
                           fields=fields)


def _priority(ticket_id: str, at: datetime, fields: dict[str, Any]) -> Event:
    return PriorityChanged(ticket_id=ticket_id, at=at, by="lead-chen-0802", fields=fields,
                           priority="P1", reason=NOTE)


def _assigned(ticket_id: str, at: datetime, fields: dict[str, Any]) -> Event:
    return TicketAssigned(ticket_id=ticket_id, at=at, by="lead-chen-0802", fields=fields,
                          assignee="agent-li-0417")


def _escalated(ticket_id: str, at: datetime, fields: dict[str, Any]) -> Event:
    return TicketEscalated(ticket_id=ticket_id, at=at, by="lead-chen-0802", fields=fields,
                           level=2, reason=NOTE)


def _resolved(ticket_id: str, at: datetime, fields: dict[str, Any]) -> Event:
    return TicketResolved(ticket_id=ticket_id, at=at, by="agent-li-0417", fields=fields,
                          resolution="Refunded to card 6222 0000 1111 2222")


def _reopened(ticket_id: str, at: datetime, fields: dict[str, Any]) -> Event:
    return TicketReopened(ticket_id=ticket_id, at=at, by=None, fields=fields)


def _closed(ticket_id: str, at: datetime, fields: dict[str, Any]) -> Event:
    return TicketClosed(ticket_id=ticket_id, at=at, by="system", fields=fields)


def _cancelled(ticket_id: str, at: datetime, fields: dict[str, Any]) -> Event:
    return TicketCancelled(ticket_id=ticket_id, at=at, by="lead-chen-0802", fields=fields,
                           reason=None)


def _stage(ticket_id: str, at: datetime, fields: dict[str, Any]) -> Event:
    return StageReached(ticket_id=ticket_id, at=at, by="agent-li-0417", fields=fields,
                        stage="analysed")


def _case(ticket_id: str, at: datetime, fields: dict[str, Any]) -> Event:
    return CaseStarted(stream_id=ticket_id, at=at, by="agent-li-0417", fields=fields,
                       process="feedback_loop", state="recorded",
                       customer_id="cust-zhang-13800138000")


# the complaint's events (issue 11): a complaint's stream is a case's, with its own event types
# (their due instants are the event's own: the sample's instants reach the ends of the range)
SPECIALIST = "specialist-sun-0311"


def _c_acknowledged(stream: str, at: datetime, fields: dict[str, Any]) -> Event:
    return ComplaintAcknowledged(stream_id=stream, at=at, by="agent-li-0417",
                                 roles=frozenset({"agent"}), fields=fields)


def _c_analysed(stream: str, at: datetime, fields: dict[str, Any]) -> Event:
    return ComplaintAnalysed(stream_id=stream, at=at, by=SPECIALIST,
                             roles=frozenset({"specialist"}), fields=fields, nature=NOTE,
                             severity=5, scope="single_customer", urgency="high",
                             severity_band="severe", priority="P1", major=True,
                             priority_rule="K-02:high-impact-high-urgency")


def _c_proposed(stream: str, at: datetime, fields: dict[str, Any]) -> Event:
    return SolutionProposed(stream_id=stream, at=at, by=SPECIALIST, fields=fields,
                            remedies=("apology", "compensation"), summary=NOTE)


def _c_handled(stream: str, at: datetime, fields: dict[str, Any]) -> Event:
    return ComplaintHandled(stream_id=stream, at=at, by=SPECIALIST, fields=fields, actions=NOTE)


def _c_feedback(stream: str, at: datetime, fields: dict[str, Any]) -> Event:
    return FeedbackRecorded(stream_id=stream, at=at, by="agent-li-0417", fields=fields,
                            satisfaction=0.79, comment=NOTE, satisfied=False,
                            second_visit_due_at=at)


def _c_visited(stream: str, at: datetime, fields: dict[str, Any]) -> Event:
    return ReturnVisitRecorded(stream_id=stream, at=at, by="agent-li-0417", fields=fields,
                               visit="second_visit", outcome="unreachable", attempt=2,
                               next_due_at=at)


def _c_closed(stream: str, at: datetime, fields: dict[str, Any]) -> Event:
    return ComplaintClosed(stream_id=stream, at=at, by=SPECIALIST, fields=fields,
                           unreachable=True, effectiveness_check_due_at=at)


def _c_loop_closed(stream: str, at: datetime, fields: dict[str, Any]) -> Event:
    return ComplaintLoopClosed(stream_id=stream, at=at, by="system",
                               roles=frozenset({"system"}), fields=fields)


def _c_escalated(stream: str, at: datetime, fields: dict[str, Any]) -> Event:
    return ComplaintEscalated(stream_id=stream, at=at, by="system", fields=fields, level=2,
                              reason=NOTE)


def _c_reopened(stream: str, at: datetime, fields: dict[str, Any]) -> Event:
    return ComplaintReopened(stream_id=stream, at=at, by="cust-zhang-13800138000",
                             roles=frozenset({"customer"}), fields=fields, reason=None)


def _c_withdrawn(stream: str, at: datetime, fields: dict[str, Any]) -> Event:
    return ComplaintWithdrawn(stream_id=stream, at=at, by="lead-chen-0802", fields=fields,
                              reason=NOTE)


def _c_owed(stream: str, at: datetime, fields: dict[str, Any]) -> Event:
    return RemedyOwed(stream_id=stream, at=at, by="system", fields=fields,
                      metric="complaint_solution_proposed", rule="S-02",
                      remedies=("apology", "compensation"),
                      decided_by=("K-06:apology", "K-06:compensation"), breached_at=at)


COMPLAINT_MAKERS: tuple[Maker, ...] = (
    _c_acknowledged, _c_analysed, _c_proposed, _c_handled, _c_feedback, _c_visited, _c_closed,
    _c_loop_closed, _c_escalated, _c_reopened, _c_withdrawn, _c_owed)

MAKERS: tuple[Maker, ...] = (_created, _status, _agent, _customer, _priority, _assigned,
                             _escalated, _resolved, _reopened, _closed, _cancelled, _stage,
                             _case, *COMPLAINT_MAKERS)

# aware instants in several shapes: UTC, IANA zones (summer and winter), fixed offsets on either
# side of UTC with minutes, microseconds, and the ends of the datetime range
INSTANTS: tuple[datetime, ...] = (
    T0,
    datetime(2026, 3, 2, 17, 0, tzinfo=SHANGHAI),
    datetime(2026, 7, 1, 12, 30, tzinfo=NEW_YORK),
    datetime(2026, 1, 15, 8, 0, tzinfo=NEW_YORK),
    datetime(2026, 3, 2, 14, 45, 0, 123456, tzinfo=KATHMANDU),
    datetime(2026, 3, 2, 5, 30, 59, 999999, tzinfo=NEWFOUNDLAND),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
)


def sample(ticket_id: str = STREAM) -> list[Event]:
    """One event of each type, each at another instant, with nested ``fields``."""
    return [
        make(ticket_id, INSTANTS[i % len(INSTANTS)],
             {"note": NOTE, "n": i, "ratio": i / 7, "flags": [True, False, None],
              "deep": {"list": [1, "二", {"three": 3.0}]}, "中文": "工单"})
        for i, make in enumerate(MAKERS)
    ]


def simple(n: int, ticket_id: str = STREAM) -> list[Event]:
    """``n`` fresh events (new ids), a second apart."""
    return [AgentReplied(ticket_id=ticket_id, at=T0 + i * S, by="agent-li-0417",
                         fields={"note": NOTE}) for i in range(n)]


def same_events(loaded: Sequence[Event], original: Sequence[Event]) -> None:
    """Equal as values, of the same classes, with the same instants, offsets and fields."""
    assert len(loaded) == len(original)
    for got, want in zip(loaded, original, strict=True):
        assert type(got) is type(want)
        assert got == want
        assert got.event_id == want.event_id
        assert got.at.timestamp() == want.at.timestamp()
        assert got.at.utcoffset() == want.at.utcoffset()
        assert isinstance(got.fields, dict)
        assert got.fields == want.fields
        assert got.to_dict() == want.to_dict()


def test_the_sample_has_every_event_type() -> None:
    """Every built-in type, the complaint's included (issue 11), once."""
    assert sorted(type(e).__name__ for e in sample()) == sorted(
        EVENT_TYPES + COMPLAINT_EVENT_TYPES)


def test_both_backends_are_event_stores(store: Store) -> None:
    assert isinstance(store, EventStore)


# -- append and load -----------------------------------------------------------------------------


def test_append_to_a_new_stream_returns_its_version_and_load_returns_the_events(
    store: Store,
) -> None:
    events = sample()
    assert store.append(STREAM, events, 0) == len(events) == 25
    loaded = store.load(STREAM)
    assert isinstance(loaded, tuple)
    same_events(loaded, events)
    assert store.load(STREAM) == loaded  # loading does not consume anything


def test_appends_continue_the_stream_in_order(store: Store) -> None:
    first, second, third = simple(2), simple(3), simple(1)
    assert store.append(STREAM, first, 0) == 2
    assert store.append(STREAM, tuple(second), 2) == 5
    assert store.append(STREAM, third, 5) == 6
    same_events(store.load(STREAM), [*first, *second, *third])


@pytest.mark.parametrize("at", INSTANTS, ids=lambda at: at.isoformat())
def test_aware_datetimes_come_back_with_their_instant_and_offset(store: Store,
                                                                 at: datetime) -> None:
    events = [make(STREAM, at, {"at_text": at.isoformat()}) for make in MAKERS]
    store.append(STREAM, events, 0)
    same_events(store.load(STREAM), events)


@pytest.mark.parametrize("fold", [0, 1])
def test_an_ambiguous_local_time_keeps_its_instant_and_offset(store: Store, fold: int) -> None:
    """01:30 happens twice in New York on 2025-11-02; ``fold`` says which. (Python never calls
    such a datetime equal to one in another zone, PEP 495, so only instants are compared.)"""
    at = datetime(2025, 11, 2, 1, 30, fold=fold, tzinfo=NEW_YORK)
    event = _customer(STREAM, at, {})
    store.append(STREAM, [event], 0)
    (loaded,) = store.load(STREAM)
    assert loaded.event_id == event.event_id
    assert loaded.at.timestamp() == at.timestamp()
    assert loaded.at.utcoffset() == at.utcoffset()


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=5, minutes=30, seconds=17))),
        datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(seconds=1, microseconds=5))),
        datetime(1900, 1, 1, 12, 0, tzinfo=SHANGHAI),  # local mean time, UTC+08:05:43
    ],
    ids=["seconds-offset", "microseconds-offset", "shanghai-1900-lmt"],
)
def test_an_offset_with_seconds_keeps_its_instant(store: Store, at: datetime) -> None:
    """Offsets need not be whole minutes (``timezone`` allows seconds and microseconds; IANA
    zones have them before standard time). The instant must not move by the remainder."""
    event = _customer(STREAM, at, {})
    store.append(STREAM, [event], 0)
    (loaded,) = store.load(STREAM)
    assert loaded.at.timestamp() == at.timestamp()
    assert loaded == event


def test_an_unknown_stream_loads_as_empty(store: Store) -> None:
    assert store.load("T-never-written") == ()
    store.append(STREAM, simple(1), 0)
    assert store.load("T-never-written") == ()
    assert store.load(STREAM.upper()) == ()  # ids are case-sensitive


def test_streams_are_independent(store: Store) -> None:
    a1, b1, a2, b2 = simple(2, STREAM), simple(1, OTHER), simple(3, STREAM), simple(2, OTHER)
    assert store.append(STREAM, a1, 0) == 2
    assert store.append(OTHER, b1, 0) == 1  # a new stream, whatever the other's version
    assert store.append(STREAM, a2, 2) == 5
    with pytest.raises(ConcurrencyConflict) as info:
        store.append(OTHER, b2, 2)  # the other stream's version does not count here
    assert (info.value.expected, info.value.actual) == (2, 1)
    assert store.append(OTHER, b2, 1) == 3
    same_events(store.load(STREAM), [*a1, *a2])
    same_events(store.load(OTHER), [*b1, *b2])


# -- empty appends -------------------------------------------------------------------------------


@pytest.mark.parametrize("empty", [[], ()], ids=["list", "tuple"])
def test_an_empty_append_is_a_no_op_returning_the_version(store: Store,
                                                          empty: Sequence[Event]) -> None:
    assert store.append(OTHER, empty, 0) == 0
    assert store.load(OTHER) == ()
    events = simple(2)
    store.append(STREAM, events, 0)
    assert store.append(STREAM, empty, 2) == 2
    same_events(store.load(STREAM), events)
    assert store.append(STREAM, simple(1), 2) == 3  # the version did not move


def test_an_empty_append_at_a_wrong_version_is_still_a_conflict(store: Store) -> None:
    store.append(STREAM, simple(2), 0)
    for wrong in (0, 1, 3):
        with pytest.raises(ConcurrencyConflict) as info:
            store.append(STREAM, [], wrong)
        assert (info.value.expected, info.value.actual) == (wrong, 2)
    assert len(store.load(STREAM)) == 2


# -- optimistic concurrency ----------------------------------------------------------------------


@pytest.mark.parametrize("expected", [0, 1, 2, 4, 5, 1000], ids=lambda v: f"expected={v}")
def test_a_stale_or_ahead_version_conflicts_and_writes_nothing(store: Store,
                                                               expected: int) -> None:
    stored = simple(3)
    store.append(STREAM, stored, 0)
    refused = simple(2)
    with pytest.raises(ConcurrencyConflict) as info:
        store.append(STREAM, refused, expected)
    conflict = info.value
    assert isinstance(conflict, ServiceKitError)
    assert (conflict.expected, conflict.actual, conflict.stream_id) == (expected, 3, STREAM)
    private_free(conflict, refused)
    same_events(store.load(STREAM), stored)
    # nothing of the refused append was kept: not even its event ids
    assert store.append(STREAM, refused, 3) == 5


def test_a_version_on_an_unknown_stream_conflicts_and_creates_nothing(store: Store) -> None:
    with pytest.raises(ConcurrencyConflict) as info:
        store.append(STREAM, simple(1), 1)
    assert (info.value.expected, info.value.actual) == (1, 0)
    assert store.load(STREAM) == ()


def test_the_second_writer_at_the_same_version_conflicts(store: Store) -> None:
    store.append(STREAM, simple(1), 0)
    mine, theirs = simple(2), simple(1)
    assert store.append(STREAM, theirs, 1) == 2
    with pytest.raises(ConcurrencyConflict) as info:
        store.append(STREAM, mine, 1)
    assert (info.value.expected, info.value.actual) == (1, 2)
    assert store.load(STREAM)[1:] == tuple(theirs)


# -- event ids are unique ------------------------------------------------------------------------


def test_duplicate_ids_within_one_append_are_refused(store: Store) -> None:
    first, second = simple(2)
    twin = second.model_copy(update={"at": second.at + S})  # same id, other data
    batch = [first, second, twin]
    with pytest.raises(InvalidInputError) as info:
        store.append(STREAM, batch, 0)
    private_free(info.value, batch)
    assert store.load(STREAM) == ()
    assert store.append(STREAM, [first, second], 0) == 2  # their ids were not kept


def test_an_id_already_in_another_stream_is_refused_and_nothing_is_written(store: Store) -> None:
    stored = simple(2, STREAM)
    store.append(STREAM, stored, 0)
    other_old = simple(1, OTHER)
    store.append(OTHER, other_old, 0)
    fresh = simple(2, OTHER)
    # the clash comes last, after events that are fine: all or nothing
    batch = [*fresh, stored[1].model_copy(update={"ticket_id": OTHER})]
    with pytest.raises(InvalidInputError) as info:
        store.append(OTHER, batch, 1)
    private_free(info.value, batch)
    same_events(store.load(OTHER), other_old)
    same_events(store.load(STREAM), stored)
    assert store.append(OTHER, fresh, 1) == 3  # the fine ones can still be stored


def test_an_id_already_in_the_same_stream_is_refused(store: Store) -> None:
    stored = simple(2)
    store.append(STREAM, stored, 0)
    with pytest.raises(InvalidInputError):
        store.append(STREAM, [stored[0]], 2)
    same_events(store.load(STREAM), stored)
    assert store.append(STREAM, simple(1), 2) == 3


def test_an_id_refused_in_a_new_stream_does_not_create_it(store: Store) -> None:
    stored = simple(1)
    store.append(STREAM, stored, 0)
    with pytest.raises(InvalidInputError):
        store.append(OTHER, [*simple(1, OTHER), stored[0]], 0)
    assert store.load(OTHER) == ()


# -- bad arguments -------------------------------------------------------------------------------

_EVENT = AgentReplied(ticket_id=STREAM, at=T0, by="agent-li-0417", fields={"note": NOTE})

BAD_APPENDS: dict[str, tuple[object, object, object]] = {
    "stream id int": (123, [_EVENT], 2),
    "stream id None": (None, [_EVENT], 2),
    "stream id bytes": (STREAM.encode(), [_EVENT], 2),
    "stream id list": ([STREAM], [_EVENT], 2),
    "stream id empty": ("", [_EVENT], 0),
    "version negative": (STREAM, [_EVENT], -1),
    "version True": (STREAM, [_EVENT], True),
    "version False": (OTHER, [_EVENT], False),
    "version float": (STREAM, [_EVENT], 2.0),
    "version str": (STREAM, [_EVENT], "2"),
    "version None": (STREAM, [_EVENT], None),
    "events str": (STREAM, NOTE, 2),
    "events empty str": (STREAM, "", 2),
    "events bytes": (STREAM, NOTE.encode(), 2),
    "events one event": (STREAM, _EVENT, 2),
    "events None": (STREAM, None, 2),
    "events generator": (STREAM, (e for e in [_EVENT]), 2),
    "events set": (STREAM, {NOTE}, 2),
    "events dict": (STREAM, {"a": _EVENT}, 2),
    "item dict": (STREAM, [_EVENT, _EVENT.to_dict()], 2),
    "item str": (STREAM, [_EVENT, NOTE], 2),
    "item None": (STREAM, [None, _EVENT], 2),
    "item event class": (STREAM, [AgentReplied], 2),
}


@pytest.mark.parametrize("args", BAD_APPENDS.values(), ids=BAD_APPENDS.keys())
def test_bad_arguments_raise_invalid_input_and_change_nothing(
    store: Store, args: tuple[object, object, object]
) -> None:
    stored = simple(2)
    store.append(STREAM, stored, 0)
    stream_id, events, expected = args
    with pytest.raises(InvalidInputError) as info:
        store.append(bad(stream_id), bad(events), bad(expected))
    assert isinstance(info.value, ServiceKitError)
    private_free(info.value, [_EVENT, *stored])
    same_events(store.load(STREAM), stored)
    assert store.load(OTHER) == ()
    # the valid event in the refused call was not stored: it can be appended now
    assert store.append(STREAM, [_EVENT.model_copy(update={"at": T0 + 5 * S})], 2) == 3


@pytest.mark.parametrize("stream_id", [123, None, b"T-1", "", ["T-1"]],
                         ids=["int", "None", "bytes", "empty", "list"])
def test_load_with_a_bad_stream_id_raises_invalid_input(store: Store, stream_id: object) -> None:
    store.append(STREAM, simple(1), 0)
    with pytest.raises(InvalidInputError):
        store.load(bad(stream_id))
    assert len(store.load(STREAM)) == 1


@pytest.mark.parametrize("where", ["stream id", "event"])
def test_text_the_store_cannot_encode_is_stored_or_refused_as_invalid_input(
    store: Store, where: str
) -> None:
    """A lone surrogate is a legal ``str`` but not encodable as UTF-8. A store may keep it or
    refuse it, but as a ``ServiceKitError`` that writes nothing, not a raw codec error."""
    lone = "T-\ud800"
    stream_id = lone if where == "stream id" else STREAM
    event = _EVENT.model_copy(update={"by": lone if where == "event" else "agent-li-0417"})
    try:
        version = store.append(stream_id, [event], 0)
    except InvalidInputError:
        assert store.load(STREAM) == ()
    else:
        assert version == 1
        assert store.load(stream_id) == (event,)


# -- properties ----------------------------------------------------------------------------------

# fixed offsets, and IANA zones whose repeated DST hour must round-trip too (issue 10, item 8)
OFFSETS = st.sampled_from([UTC, KATHMANDU, NEWFOUNDLAND, timezone(timedelta(hours=14)),
                           timezone(-timedelta(hours=12)), timezone(timedelta(hours=8)),
                           ZoneInfo("America/New_York"), ZoneInfo("Europe/London"),
                           ZoneInfo("Australia/Lord_Howe")])
INSTANT = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1),
                       timezones=OFFSETS)
JSON: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63 - 1), max_value=2**63 - 1)
    | st.text(max_size=10)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=8,
)
FIELDS = st.dictionaries(st.text(max_size=8), JSON, max_size=4)


def test_any_event_comes_back_equal(store: Store) -> None:
    """Random events of every type, instants on fixed offsets (whole minutes) and JSON fields."""
    streams = iter(range(1_000_000))

    @settings(max_examples=60, deadline=None, database=None)
    @given(batch=st.lists(st.tuples(st.sampled_from(MAKERS), INSTANT, FIELDS),
                          min_size=1, max_size=4))
    def round_trip(batch: list[tuple[Maker, datetime, dict[str, Any]]]) -> None:
        stream_id = f"T-{next(streams)}"
        events = [make(stream_id, at, fields) for make, at, fields in batch]
        assert store.append(stream_id, events, 0) == len(events)
        same_events(store.load(stream_id), events)

    round_trip()


# an operation: (stream, kind, batch size, version offset); offset 0 is the right version
OPERATION = st.tuples(
    st.sampled_from(["T-a", "T-b", "T-c"]),
    st.sampled_from(["append", "append", "append", "duplicate"]),
    st.integers(min_value=0, max_value=4),
    st.one_of(st.just(0), st.just(0), st.integers(min_value=-3, max_value=3)),
)


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_any_sequence_of_appends_keeps_exactly_the_accepted_batches(
    fresh_store: StoreFactory, backend: str
) -> None:
    """Model-based: the model is a dict of lists; an append is accepted exactly when its
    expected version is the stream's length and it brings no stored id, and then extends the
    stream by its batch. After every operation each stream equals the model."""

    @settings(max_examples=100 if backend == "memory" else 30, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(operations=st.lists(OPERATION, max_size=20),
           makers=st.lists(st.sampled_from(MAKERS), min_size=80, max_size=80))
    def run(operations: list[tuple[str, str, int, int]], makers: list[Maker]) -> None:
        model: dict[str, list[Event]] = {"T-a": [], "T-b": [], "T-c": []}
        counter = iter(range(1_000_000))

        def fresh(stream_id: str, n: int) -> list[Event]:
            out: list[Event] = []
            for _ in range(n):
                i = next(counter)
                event = makers[i % len(makers)](stream_id, T0 + i * S, {"i": i})
                out.append(event.model_copy(update={"event_id": f"ev-{i}"}))
            return out

        with fresh_store(backend) as store:
            for stream_id, kind, size, offset in operations:
                stream = model[stream_id]
                expected = max(0, len(stream) + offset)
                batch = fresh(stream_id, size)
                stored = [e for s in model.values() for e in s]
                if kind == "duplicate" and stored:
                    batch.append(stored[(size * 7 + offset) % len(stored)])
                duplicate = len(batch) > size  # carries an id already stored
                if expected != len(stream) and duplicate:  # either refusal will do
                    with pytest.raises((ConcurrencyConflict, InvalidInputError)):
                        store.append(stream_id, batch, expected)
                elif expected != len(stream):
                    with pytest.raises(ConcurrencyConflict) as info:
                        store.append(stream_id, batch, expected)
                    assert (info.value.expected, info.value.actual) == (expected, len(stream))
                elif duplicate:
                    with pytest.raises(InvalidInputError):
                        store.append(stream_id, batch, expected)
                else:
                    assert store.append(stream_id, batch, expected) == len(stream) + size
                    stream.extend(batch)
                for name, events in model.items():
                    assert store.load(name) == tuple(events)

    run()
