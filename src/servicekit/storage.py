"""Storage ports: the host owns storage; servicekit says what it needs from it.

This module gathers the storage API in one place:

* :class:`EventStore`, :class:`InMemoryEventStore`, :func:`check_append`,
  :func:`check_stream_id` (from :mod:`servicekit.eventstore`, the low module adapters import);
* :class:`Repository`, generic over the aggregate (from :mod:`servicekit.repository`);
* :class:`TicketRepository` and :class:`CaseRepository`, its instances for tickets and for
  cases of one process.

A real adapter, :class:`servicekit.adapters.sqlite.SqliteEventStore`, shows how to plug in a
database; the same contract test suite runs against both stores.
"""

from __future__ import annotations

from servicekit.cases import Case
from servicekit.events import Event
from servicekit.eventstore import EventStore, InMemoryEventStore, check_append, check_stream_id
from servicekit.processes import ProcessDefinition
from servicekit.repository import EventSourcedAggregate, Repository
from servicekit.tickets import Ticket

__all__ = [
    "CaseRepository",
    "EventSourcedAggregate",
    "EventStore",
    "InMemoryEventStore",
    "Repository",
    "TicketRepository",
    "check_append",
    "check_stream_id",
]


class TicketRepository(Repository[Ticket]):
    """Tickets in an event store: one stream per ticket (see :class:`Repository`).

    ``process`` is the host's ticket process, if it is not the handbook's.
    """

    noun = "ticket"

    def __init__(self, store: EventStore, *, process: ProcessDefinition | None = None) -> None:
        super().__init__(store, self._rebuild, aggregate_type=Ticket)
        self.process = process

    def _rebuild(self, events: tuple[Event, ...]) -> Ticket:
        return Ticket.replay(events, process=self.process)


class CaseRepository(Repository[Case]):
    """Cases of one process in an event store: one stream per case."""

    noun = "case"

    def __init__(self, store: EventStore, *, process: ProcessDefinition) -> None:
        super().__init__(store, self._rebuild, aggregate_type=Case)
        self.process = process

    def _rebuild(self, events: tuple[Event, ...]) -> Case:
        return Case.replay(events, process=self.process)
