"""The ticket repository (issue 5, "Storage ports"): tickets in an event store, one stream per
ticket, the ticket's version being the stream's version. Every test runs on both backends.

``add`` stores a new ticket (``ConcurrencyConflict`` if the id is taken) and ``get`` rebuilds an
equal one; ``save(ticket, expected_version)`` appends only the events after the version the
ticket was loaded at (``ConcurrencyConflict`` if the stream moved on); ``update`` loads, changes
and saves, retrying on a conflict when asked, and saves nothing when the command is rejected.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from servicekit.adapters.sqlite import SqliteEventStore
from servicekit.errors import (
    ConcurrencyConflict,
    InvalidInputError,
    NotFoundError,
    PermissionDenied,
    ServiceKitError,
    TransitionRejected,
)
from servicekit.events import Event
from servicekit.storage import EventStore, InMemoryEventStore, TicketRepository
from servicekit.tickets import Actor, Ticket

Store = InMemoryEventStore | SqliteEventStore  # the ``store`` fixture (conftest.py)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
M = timedelta(minutes=1)
H = timedelta(hours=1)

TICKET_ID = "T-cust-zhang-13800138000"
CUSTOMER_ID = "cust-zhang-13800138000"
SUBJECT = "Charged twice, call me on 13912345678"
AGENT = Actor(id="agent-li-0417", roles=frozenset({"agent"}))
LEAD = Actor(id="lead-chen-0802", roles=frozenset({"lead"}))
CUSTOMER = Actor.customer(CUSTOMER_ID)
PRIVATE = (TICKET_ID, CUSTOMER_ID, "13912345678", "13800138000", AGENT.id, LEAD.id)


def bad(value: object) -> Any:
    """A value of the wrong type, passed on purpose."""
    return value


def private_free(exc: BaseException) -> None:
    message = str(exc)
    assert not [s for s in PRIVATE if s in message], message


class Recording:
    """An event store that records the calls it passes on (any class with ``append`` and
    ``load`` is an event store)."""

    def __init__(self, inner: EventStore) -> None:
        self.inner = inner
        self.appends: list[tuple[str, tuple[Event, ...], int]] = []

    def append(self, stream_id: str, events: Sequence[Event], expected_version: int) -> int:
        self.appends.append((stream_id, tuple(events), expected_version))
        return self.inner.append(stream_id, events, expected_version)

    def load(self, stream_id: str) -> tuple[Event, ...]:
        return self.inner.load(stream_id)


# -- tickets -------------------------------------------------------------------------------------


def opened(ticket_id: str = TICKET_ID) -> Ticket:
    return Ticket.open(ticket_id=ticket_id, customer_id=CUSTOMER_ID, channel="email",
                       category="billing", priority="P3", subject=SUBJECT, at=T0, by=AGENT,
                       customer_tier="gold", attributes={"order": "A-17", "amount": 99.5})


def later(t: Ticket, minutes: int = 1) -> datetime:
    return t.updated_at + minutes * M


def assigned() -> Ticket:
    return opened().assign(to=AGENT.id, at=T0 + 5 * M, by=LEAD)


def waiting() -> Ticket:
    t = assigned().reply(at=T0 + 20 * M, by=AGENT, fields={"template": "ask-order"})
    return t.wait_on_customer(at=T0 + 21 * M, by=AGENT)


def escalated() -> Ticket:
    t = waiting().customer_reply(at=T0 + H, fields={"text": SUBJECT})
    t = t.change_priority("P1", at=T0 + H + M, by=LEAD, reason="VIP")
    return t.escalate(level=2, at=T0 + H + 2 * M, by=LEAD, reason="angry")


def closed() -> Ticket:
    t = escalated().reply(at=T0 + 2 * H, by=AGENT, public=False)
    t = t.reply(at=T0 + 2 * H + M, by=AGENT)
    t = t.resolve(at=T0 + 3 * H, by=AGENT, resolution="Refunded")
    return t.close(at=T0 + 4 * H, by=AGENT)


def cancelled() -> Ticket:
    return assigned().cancel(at=T0 + H, by=LEAD, reason="duplicate")


STAGES: dict[str, Callable[[], Ticket]] = {
    "opened": opened, "assigned": assigned, "waiting": waiting, "escalated": escalated,
    "closed": closed, "cancelled": cancelled,
}


def test_the_stages_are_what_their_names_say() -> None:
    statuses = {name: make().status for name, make in STAGES.items()}
    assert statuses == {"opened": "new", "assigned": "open", "waiting": "pending_customer",
                        "escalated": "open", "closed": "closed", "cancelled": "cancelled"}


def test_the_repository_needs_an_event_store() -> None:
    with pytest.raises(InvalidInputError):
        TicketRepository(bad(object()))
    with pytest.raises(InvalidInputError):
        TicketRepository(bad({"append": None, "load": None}))


# -- add and get ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES.values(), ids=STAGES.keys())
def test_get_returns_a_ticket_equal_to_the_one_added(store: Store,
                                                     stage: Callable[[], Ticket]) -> None:
    repo = TicketRepository(store)
    ticket = stage()
    assert repo.add(ticket) is ticket
    got = repo.get(TICKET_ID)
    assert got == ticket
    assert (got.version, got.status, got.history) == (ticket.version, ticket.status,
                                                      ticket.history)
    assert store.load(TICKET_ID) == ticket.history
    assert Ticket.replay(store.load(TICKET_ID)) == ticket


def test_tickets_live_in_their_own_streams(store: Store) -> None:
    repo = TicketRepository(store)
    first, second = closed(), opened("T-2")
    repo.add(first)
    repo.add(second)
    assert (repo.get(TICKET_ID), repo.get("T-2")) == (first, second)
    assert store.load("T-2") == second.history


def test_adding_an_existing_id_conflicts_and_writes_nothing(store: Store) -> None:
    repo = TicketRepository(store)
    first = repo.add(assigned())
    again = opened().reply(at=T0 + M, by=AGENT)
    with pytest.raises(ConcurrencyConflict) as info:
        repo.add(again)
    assert (info.value.expected, info.value.actual) == (0, 3)
    private_free(info.value)
    assert repo.get(TICKET_ID) == first
    assert store.load(TICKET_ID) == first.history


def test_adding_the_same_ticket_twice_conflicts(store: Store) -> None:
    repo = TicketRepository(store)
    ticket = waiting()
    repo.add(ticket)
    with pytest.raises(ConcurrencyConflict):
        repo.add(ticket)
    assert repo.get(TICKET_ID) == ticket


def test_get_of_an_unknown_id_is_not_found_without_the_id_in_the_message(store: Store) -> None:
    repo = TicketRepository(store)
    repo.add(opened("T-other"))
    with pytest.raises(NotFoundError) as info:
        repo.get(TICKET_ID)
    assert isinstance(info.value, LookupError)
    assert isinstance(info.value, ServiceKitError)
    private_free(info.value)


@pytest.mark.parametrize("ticket_id", [None, 7, "", b"T-1"], ids=["None", "int", "empty", "bytes"])
def test_get_with_a_bad_id_is_invalid_input(store: Store, ticket_id: object) -> None:
    with pytest.raises(InvalidInputError):
        TicketRepository(store).get(bad(ticket_id))


def test_add_refuses_what_is_not_a_ticket(store: Store) -> None:
    repo = TicketRepository(store)
    with pytest.raises(InvalidInputError):
        repo.add(bad(opened().history))
    assert store.load(TICKET_ID) == ()


# -- save ----------------------------------------------------------------------------------------


def test_save_appends_only_the_new_events(store: Store) -> None:
    recording = Recording(store)
    repo = TicketRepository(recording)
    repo.add(assigned())
    loaded = repo.get(TICKET_ID)
    changed = loaded.reply(at=later(loaded), by=AGENT).wait_on_customer(at=later(loaded, 2),
                                                                       by=AGENT)
    assert changed.version == loaded.version + 2
    assert repo.save(changed, loaded.version) is changed
    assert recording.appends[-1] == (TICKET_ID, changed.history[3:], 3)
    assert store.load(TICKET_ID) == changed.history
    assert repo.get(TICKET_ID) == changed
    # a later save starts where that one ended
    again = repo.get(TICKET_ID)
    resumed = again.customer_reply(at=later(again))
    repo.save(resumed, again.version)
    assert recording.appends[-1] == (TICKET_ID, resumed.history[5:], 5)
    assert repo.get(TICKET_ID) == resumed
    assert len(recording.appends) == 3


def test_saving_a_ticket_without_new_events_writes_nothing(store: Store) -> None:
    recording = Recording(store)
    repo = TicketRepository(recording)
    repo.add(waiting())
    loaded = repo.get(TICKET_ID)
    assert repo.save(loaded, loaded.version) is loaded
    assert len(recording.appends) == 1  # only the add
    assert repo.get(TICKET_ID) == loaded


def test_a_stale_save_conflicts_and_writes_nothing(store: Store) -> None:
    repo = TicketRepository(store)
    repo.add(assigned())
    mine, theirs = repo.get(TICKET_ID), repo.get(TICKET_ID)
    their_change = theirs.reply(at=later(theirs), by=LEAD, public=False)
    repo.save(their_change, theirs.version)
    my_change = mine.wait_on_customer(at=later(mine, 2), by=AGENT)
    with pytest.raises(ConcurrencyConflict) as info:
        repo.save(my_change, mine.version)
    assert (info.value.expected, info.value.actual) == (3, 4)
    assert info.value.stream_id == TICKET_ID
    private_free(info.value)
    assert repo.get(TICKET_ID) == their_change
    stored_ids = {e.event_id for e in store.load(TICKET_ID)}
    assert stored_ids.isdisjoint(e.event_id for e in my_change.history[3:])


@pytest.mark.parametrize("expected", [0, -1, 6, True, 2.0, "3", None],
                         ids=["zero", "negative", "beyond", "bool", "float", "str", "None"])
def test_save_with_a_bad_expected_version_is_invalid_input(store: Store,
                                                           expected: object) -> None:
    repo = TicketRepository(store)
    repo.add(assigned())
    loaded = repo.get(TICKET_ID)
    changed = loaded.reply(at=later(loaded), by=AGENT).wait_on_customer(at=later(loaded),
                                                                       by=AGENT)
    assert changed.version == 5
    with pytest.raises(InvalidInputError):
        repo.save(changed, bad(expected))
    assert repo.get(TICKET_ID) == loaded


def test_save_refuses_what_is_not_a_ticket(store: Store) -> None:
    repo = TicketRepository(store)
    first = repo.add(assigned())
    with pytest.raises(InvalidInputError):
        repo.save(bad(waiting().history), 3)
    assert repo.get(TICKET_ID) == first


# -- update --------------------------------------------------------------------------------------


def test_update_loads_changes_and_saves(store: Store) -> None:
    repo = TicketRepository(store)
    repo.add(assigned())
    saved = repo.update(TICKET_ID, lambda t: t.reply(at=later(t), by=AGENT))
    assert saved.version == 4
    assert repo.get(TICKET_ID) == saved


def _interfering(repo: TicketRepository, times: int) -> tuple[Callable[[Ticket], Ticket],
                                                               list[int]]:
    """A change that, the first ``times`` times it runs, lets another writer save first (a
    private note by the lead), then returns its own change (an agent reply) computed from the
    ticket it was given."""
    seen: list[int] = []

    def change(t: Ticket) -> Ticket:
        seen.append(t.version)
        if len(seen) <= times:
            other = repo.get(t.ticket_id)
            repo.save(other.reply(at=later(other), by=LEAD, public=False), other.version)
        return t.reply(at=later(t, 2), by=AGENT)

    return change, seen


def test_update_retries_on_a_conflict(store: Store) -> None:
    repo = TicketRepository(store)
    repo.add(assigned())
    change, seen = _interfering(repo, times=1)
    saved = repo.update(TICKET_ID, change, retries=1)
    assert seen == [3, 4]  # the second attempt started from the other writer's version
    assert saved.version == 5
    assert repo.get(TICKET_ID) == saved
    notes = [e for e in saved.history if e.by == LEAD.id and type(e).__name__ == "AgentReplied"]
    assert len(notes) == 1  # the other writer's note is kept, once
    assert saved.history[-1].by == AGENT.id


def test_update_without_retries_raises_the_conflict(store: Store) -> None:
    repo = TicketRepository(store)
    repo.add(assigned())
    change, seen = _interfering(repo, times=1)
    with pytest.raises(ConcurrencyConflict) as info:
        repo.update(TICKET_ID, change)
    assert (info.value.expected, info.value.actual) == (3, 4)
    assert seen == [3]
    assert repo.get(TICKET_ID).version == 4  # only the other writer's note


def test_update_gives_up_after_its_retries(store: Store) -> None:
    repo = TicketRepository(store)
    repo.add(assigned())
    change, seen = _interfering(repo, times=10)
    with pytest.raises(ConcurrencyConflict) as info:
        repo.update(TICKET_ID, change, retries=2)
    assert seen == [3, 4, 5]  # one try and two retries
    assert (info.value.expected, info.value.actual) == (5, 6)
    assert repo.get(TICKET_ID).version == 6  # the three notes of the other writer, nothing else


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda t: t.resume(at=later(t), by=AGENT), TransitionRejected),  # not pending
        (lambda t: t.reopen(at=later(t), by=AGENT), TransitionRejected),  # not resolved
        (lambda t: t.escalate(level=1, at=later(t), by=AGENT), PermissionDenied),  # not a lead
        (lambda t: t.reply(at=later(t), by=AGENT).resume(at=later(t), by=AGENT),
         TransitionRejected),  # the second command of two is rejected
    ],
    ids=["resume-open", "reopen-open", "escalate-agent", "reply-then-resume"],
)
def test_a_rejected_command_inside_update_saves_nothing(
    store: Store, change: Callable[[Ticket], Ticket], error: type[ServiceKitError]
) -> None:
    recording = Recording(store)
    repo = TicketRepository(recording)
    before = repo.add(assigned())
    with pytest.raises(error):
        repo.update(TICKET_ID, change, retries=3)
    assert len(recording.appends) == 1  # only the add
    assert repo.get(TICKET_ID) == before


def test_update_of_an_unknown_ticket_is_not_found(store: Store) -> None:
    calls: list[Ticket] = []

    def change(t: Ticket) -> Ticket:
        calls.append(t)
        return t

    with pytest.raises(NotFoundError):
        TicketRepository(store).update(TICKET_ID, change, retries=2)
    assert calls == []
    assert store.load(TICKET_ID) == ()
