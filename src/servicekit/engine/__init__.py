"""The engine every case runs on: commands, events and replay for any process definition.

An aggregate (a :class:`~servicekit.tickets.Ticket`, a :class:`~servicekit.cases.Case`, a
complaint) is an immutable value whose state is a fold over its events. What differs between
aggregates is data, an :class:`AggregateKind`:

* its creation event (``TicketCreated``, ``CaseStarted``) and the state that event starts;
* its commands as data: a :class:`CommandSpec` per command that records an event of its own
  (``resolve`` records ``TicketResolved``, carrying ``resolution``); every other transition of
  the process is recorded as :class:`~servicekit.events.StatusChanged` naming it;
* per-event mutators (``TicketAssigned`` sets the assignee): a registry, not an if/elif chain;
* what a guard reads (the aggregate's facts) and the aggregate's own rules (an escalation only
  goes up), both used by live commands and by replay alike.

Everything else is shared: the order of checks of a command (actor and time, transition, roles,
the customer-acts-on-own-case rule, the command's own rule, the guard, the required fields),
how the events are built and applied (the same function for commands and replay, so the two
cannot drift apart), the status an event implies (declared on the event class), the companion
``StatusChanged`` that records a move the event itself does not imply, and the replay checks
(one stream, one creation, time order, unique event ids, every step a legal transition with
its guard).
"""

from servicekit.engine._aggregate import Aggregate
from servicekit.engine._rules import (
    Actor,
    AggregateKind,
    CommandSpec,
    authorise,
    check_actor,
    check_fields,
    check_optional_text,
    check_process,
    check_text,
    check_time,
    choose,
    json_payload,
    later,
    may_start,
    offered,
    refusal,
    starts,
    starts_process,
)
from servicekit.engine._run import apply, created_state, execute, fold

__all__ = [
    "Actor",
    "Aggregate",
    "AggregateKind",
    "CommandSpec",
    "apply",
    "authorise",
    "check_actor",
    "check_fields",
    "check_optional_text",
    "check_process",
    "check_text",
    "check_time",
    "choose",
    "created_state",
    "execute",
    "fold",
    "json_payload",
    "later",
    "may_start",
    "offered",
    "refusal",
    "starts",
    "starts_process",
]
