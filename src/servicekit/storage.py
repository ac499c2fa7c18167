"""Storage ports: the host owns storage; servicekit says what it needs from it.

* :class:`EventStore` is a ``typing.Protocol``: ``append(stream_id, events, expected_version)``
  appends only if the stream is still at ``expected_version`` (optimistic concurrency; otherwise
  :class:`~servicekit.errors.ConcurrencyConflict` and nothing is written) and ``load(stream_id)``
  returns the events in order. Any class with these methods is an event store; no base class.
* :class:`InMemoryEventStore` implements it for tests and demos (thread-safe).
* :class:`TicketRepository` keeps tickets in an event store: one stream per ticket, the
  ticket's version is the stream's version.

A real adapter, :class:`servicekit.adapters.sqlite.SqliteEventStore`, shows how to plug in a
database; the same contract test suite runs against both.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from servicekit.errors import ConcurrencyConflict, InvalidInputError, NotFoundError
from servicekit.events import Event
from servicekit.processes import ProcessDefinition
from servicekit.tickets import Ticket

__all__ = [
    "EventStore",
    "InMemoryEventStore",
    "TicketRepository",
    "check_append",
    "check_stream_id",
]


@runtime_checkable
class EventStore(Protocol):
    """An append-only store of event streams with expected-version appends."""

    def append(self, stream_id: str, events: Sequence[Event], expected_version: int) -> int:
        """Append ``events`` if the stream has exactly ``expected_version`` events (0: a new
        stream); return the new version. Raise ``ConcurrencyConflict`` otherwise, writing
        nothing. All the events are written, or none."""
        ...

    def load(self, stream_id: str) -> tuple[Event, ...]:
        """The stream's events in order (empty for an unknown stream)."""
        ...


def check_stream_id(stream_id: object) -> str:
    """Validate a stream id (for adapters): a non-empty string."""
    if not isinstance(stream_id, str) or not stream_id:
        raise InvalidInputError(
            f"stream_id must be a non-empty string (got {type(stream_id).__name__})"
        )
    return stream_id


def check_append(stream_id: object, events: object, expected_version: object) -> list[Event]:
    """Validate ``append``'s arguments (for adapters): a typed error before any write."""
    check_stream_id(stream_id)
    if isinstance(expected_version, bool) or not isinstance(expected_version, int) or (
        expected_version < 0
    ):
        raise InvalidInputError(
            f"expected_version must be an int >= 0 (got {type(expected_version).__name__})"
        )
    if isinstance(events, (str, bytes)) or not isinstance(events, Sequence):
        raise InvalidInputError(f"events must be a sequence (got {type(events).__name__})")
    checked = list(events)
    for i, ev in enumerate(checked):
        if not isinstance(ev, Event):
            raise InvalidInputError(f"events[{i}] must be an Event (got {type(ev).__name__})")
    return checked


class InMemoryEventStore:
    """An :class:`EventStore` in a dict, guarded by a lock (safe across threads)."""

    def __init__(self) -> None:
        self._streams: dict[str, list[Event]] = {}
        self._ids: set[str] = set()
        self._lock = threading.Lock()

    def append(self, stream_id: str, events: Sequence[Event], expected_version: int) -> int:
        checked = check_append(stream_id, events, expected_version)
        with self._lock:
            stream = self._streams.get(stream_id, [])
            if len(stream) != expected_version:
                raise ConcurrencyConflict(stream_id, expected=expected_version,
                                          actual=len(stream))
            ids = [ev.event_id for ev in checked]
            if len(set(ids)) != len(ids) or not self._ids.isdisjoint(ids):
                raise InvalidInputError("an event id is already stored")
            if checked:
                self._streams[stream_id] = [*stream, *checked]
                self._ids.update(ids)
            return expected_version + len(checked)

    def load(self, stream_id: str) -> tuple[Event, ...]:
        check_stream_id(stream_id)
        with self._lock:
            return tuple(self._streams.get(stream_id, ()))

    def stream_ids(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._streams)


class TicketRepository:
    """Tickets in an event store: ``add`` a new one, ``get`` it back, ``save`` its new events.

    ``save(ticket, expected_version)`` appends the events the ticket has beyond
    ``expected_version`` (the version it was loaded at). ``update(ticket_id, change)`` does
    load, change and save in one call; with ``retries`` it reloads and re-applies the change
    when another writer got there first.
    """

    def __init__(self, store: EventStore, *, process: ProcessDefinition | None = None) -> None:
        if not isinstance(store, EventStore):
            raise InvalidInputError(
                f"store must have append() and load() (got {type(store).__name__})"
            )
        self.store = store
        self.process = process

    def add(self, ticket: Ticket) -> Ticket:
        """Store a new ticket; ``ConcurrencyConflict`` if its id is taken."""
        _check_ticket(ticket)
        self.store.append(ticket.ticket_id, ticket.history, 0)
        return ticket

    def get(self, ticket_id: str) -> Ticket:
        """The ticket rebuilt from its stream; ``NotFoundError`` if there is none."""
        if not isinstance(ticket_id, str) or not ticket_id:
            raise InvalidInputError(
                f"ticket_id must be a non-empty string (got {type(ticket_id).__name__})"
            )
        events = self.store.load(ticket_id)
        if not events:
            raise NotFoundError("no ticket with that id")
        return Ticket.replay(events, process=self.process)

    def save(self, ticket: Ticket, expected_version: int) -> Ticket:
        """Append the ticket's events after ``expected_version`` (the version it was loaded
        at); ``ConcurrencyConflict`` if the stream moved on meanwhile."""
        _check_ticket(ticket)
        if isinstance(expected_version, bool) or not isinstance(expected_version, int) or not (
            0 < expected_version <= ticket.version
        ):
            raise InvalidInputError("expected_version must be an int between 1 and the "
                                    "ticket's version")
        new = ticket.history[expected_version:]
        if new:
            self.store.append(ticket.ticket_id, new, expected_version)
        return ticket

    def update(self, ticket_id: str, change: Callable[[Ticket], Ticket], *,
               retries: int = 0) -> Ticket:
        """Load, ``change`` and save; on a conflict reload and retry up to ``retries`` times,
        then raise the last ``ConcurrencyConflict``. Errors from ``change`` (a rejected
        command) propagate and nothing is saved."""
        attempt = 0
        while True:
            current = self.get(ticket_id)
            changed = change(current)
            try:
                return self.save(changed, current.version)
            except ConcurrencyConflict:
                if attempt >= retries:
                    raise
                attempt += 1


def _check_ticket(ticket: object) -> None:
    if not isinstance(ticket, Ticket):
        raise InvalidInputError(f"expected a Ticket (got {type(ticket).__name__})")
