"""The ticket: an immutable, event-sourced aggregate run by a process definition.

A :class:`Ticket` is a value. Each command (``assign``, ``reply``, ``resolve`` …) checks the
actor's roles and the process's transitions, then returns a *new* ticket whose ``history`` has
the new events (from :mod:`servicekit.events`) appended and whose ``version`` grew by their
number. A rejected command raises :class:`~servicekit.errors.TransitionRejected` or
:class:`~servicekit.errors.PermissionDenied` and the original ticket is untouched.

The lifecycle is data: by default the handbook's ticket process
(:func:`servicekit.presets.processes.ticket_process`, P-01), which a host may replace with its own
:class:`~servicekit.processes.ProcessDefinition` (an "awaiting approval" state, a longer reopen
window, other roles) without code. Commands the library does not know by name are fired with
:meth:`Ticket.fire`.

The machinery (the command pipeline, authorisation, guards, replay) is the shared engine of
:mod:`servicekit.engine`; this module holds what is the ticket's own: its values (assignee,
priority, escalation level, reply counters, FCR), its commands as data (``TICKET``) and their
rules. :meth:`Ticket.replay` rebuilds the same value from the events and is the bulk path
(hundreds of thousands of events per second).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar

from pydantic import AwareDatetime, Field, computed_field

from servicekit._payload import freeze_json
from servicekit.engine import (
    Actor,
    Aggregate,
    AggregateKind,
    CommandSpec,
    check_actor,
    check_optional_text,
    check_process,
    check_text,
    check_time,
    created_state,
    may_start,
)
from servicekit.errors import InvalidInputError, PermissionDenied
from servicekit.events import (
    AgentReplied,
    CustomerReplied,
    Event,
    PriorityChanged,
    TicketAssigned,
    TicketCancelled,
    TicketClosed,
    TicketCreated,
    TicketEscalated,
    TicketReopened,
    TicketResolved,
    time_ordered_id,
)
from servicekit.metrics import first_contact_resolution
from servicekit.processes import ProcessDefinition

__all__ = [
    "BUILT_IN_COMMANDS",
    "EVENT_COMMANDS",
    "TICKET",
    "Actor",
    "Ticket",
    "default_ticket_process",
]

_DEFAULT: list[ProcessDefinition] = []


def default_ticket_process() -> ProcessDefinition:
    """The handbook's ticket process, built once (definitions are immutable)."""
    if not _DEFAULT:
        from servicekit.presets.processes import ticket_process

        _DEFAULT.append(ticket_process())
    return _DEFAULT[0]


# -- the ticket's own rules (live and in replay) -----------------------------------------------

def _escalation_goes_up(state: Mapping[str, Any], arguments: Mapping[str, Any]) -> str | None:
    level = state["escalation_level"]
    return (f"the ticket is already at escalation level {level}"
            if arguments["level"] <= level else None)


def _priority_changes(state: Mapping[str, Any], arguments: Mapping[str, Any]) -> str | None:
    return ("the ticket already has that priority"
            if arguments["priority"] == state["priority"] else None)


# -- per-event mutators -------------------------------------------------------------------------

def _replied(state: dict[str, Any], ev: AgentReplied) -> None:
    if ev.public:
        state["public_replies"] += 1


def _assigned(state: dict[str, Any], ev: TicketAssigned) -> None:
    state["assignee"] = ev.assignee


def _reprioritised(state: dict[str, Any], ev: PriorityChanged) -> None:
    state["priority"] = ev.priority


def _escalated(state: dict[str, Any], ev: TicketEscalated) -> None:
    state["escalation_level"] = ev.level


def _resolved(state: dict[str, Any], ev: TicketResolved) -> None:
    state["resolved_at"] = ev.at
    if state["replies_at_first_resolution"] is None:
        state["replies_at_first_resolution"] = state["public_replies"]


def _reopened(state: dict[str, Any], ev: TicketReopened) -> None:
    state["resolved_at"] = None
    state["reopens"] += 1


def _ended(state: dict[str, Any], ev: Event) -> None:
    state["ended_at"] = ev.at


def _initial(ev: TicketCreated, process: ProcessDefinition) -> dict[str, Any]:
    return {
        "ticket_id": ev.stream_id,
        "customer_id": ev.customer_id or "",
        "channel": ev.channel or "",
        "category": ev.category or "",
        "priority": ev.priority,
        "subject": ev.subject or "",
        "assignee": None,
        "escalation_level": 0,
        "opened_at": ev.at,
        "resolved_at": None,
        "ended_at": None,
        "public_replies": 0,
        "replies_at_first_resolution": None,
        "reopens": 0,
    }


def _guard_facts(state: Mapping[str, Any], host: Mapping[str, Any],
                 arguments: Mapping[str, Any], at: datetime) -> dict[str, Any]:
    """What a guard reads, live and in replay alike: the host's fields, then the ticket's own
    values (which host fields cannot shadow), the command's arguments (the new priority, the
    resolution …) and ``at``."""
    # the ticket's own names are reserved in host fields, so the merge cannot shadow them
    facts = {**host, **state}
    del facts["history"]
    facts["first_contact_resolution"] = first_contact_resolution(
        state["replies_at_first_resolution"], state["reopens"])
    facts.update(arguments)
    facts["at"] = at
    return facts


_SPECS = (
    CommandSpec("assign", TicketAssigned, ("assignee",)),
    CommandSpec("reply", AgentReplied, ("public",)),
    CommandSpec("customer_reply", CustomerReplied),
    CommandSpec("change_priority", PriorityChanged, ("priority", "reason"), _priority_changes),
    CommandSpec("escalate", TicketEscalated, ("level", "reason"), _escalation_goes_up),
    CommandSpec("resolve", TicketResolved, ("resolution",)),
    CommandSpec("reopen", TicketReopened),
    CommandSpec("close", TicketClosed),
    CommandSpec("cancel", TicketCancelled, ("reason",)),
)

#: The ticket as data for the engine: its creation event, commands, mutators and guard facts.
TICKET = AggregateKind(
    name="ticket",
    created=TicketCreated,
    initial=_initial,
    facts=_guard_facts,
    commands={s.name: s for s in _SPECS},
    mutators={
        AgentReplied: _replied,
        TicketAssigned: _assigned,
        PriorityChanged: _reprioritised,
        TicketEscalated: _escalated,
        TicketResolved: _resolved,
        TicketReopened: _reopened,
        TicketClosed: _ended,
        TicketCancelled: _ended,
    },
)

#: The command each built-in event records (its implied status is ``event_class.implies``).
EVENT_COMMANDS: dict[type[Event], str] = {s.event: s.name for s in _SPECS}
BUILT_IN_COMMANDS = frozenset(EVENT_COMMANDS.values())


class Ticket(Aggregate):
    """A customer-service ticket (P-01: classified, assigned, recorded, tracked).

    Build one with :meth:`open` (or :meth:`replay`); change it only through its commands.
    """

    kind: ClassVar[AggregateKind] = TICKET
    _derived: ClassVar[frozenset[str]] = frozenset({"first_contact_resolution"})

    ticket_id: str
    customer_id: str
    channel: str
    category: str
    priority: str
    subject: str
    status: str = Field(description="the process state, e.g. open, pending_customer")
    assignee: str | None = None
    escalation_level: int = 0
    opened_at: AwareDatetime
    updated_at: AwareDatetime = Field(description="instant of the last event")
    status_since: AwareDatetime = Field(description="when the ticket entered its status")
    resolved_at: AwareDatetime | None = Field(
        default=None, description="the last resolution, cleared by a reopen"
    )
    ended_at: AwareDatetime | None = Field(default=None, description="closed or cancelled at")
    public_replies: int = Field(default=0, description="public agent replies so far")
    replies_at_first_resolution: int | None = Field(
        default=None, description="public agent replies when the ticket was first resolved"
    )
    reopens: int = 0

    @classmethod
    def default_process(cls) -> ProcessDefinition:
        return default_ticket_process()

    # -- derived ------------------------------------------------------------------------------

    @computed_field  # type: ignore[prop-decorator]
    @property
    def first_contact_resolution(self) -> bool | None:
        """M-02 FCR: resolved with exactly one public agent reply and never reopened.

        ``None`` until the ticket is first resolved (a ticket cancelled unresolved stays
        ``None``: it was not solved at all). Unlike Zendesk's "one-touch" tickets, a resolution
        without any public reply is not first-contact resolution. The rule is
        :func:`servicekit.metrics.first_contact_resolution`; the other vendors' definitions are
        :func:`servicekit.metrics.fcr_from_tickets`'s.
        """
        return first_contact_resolution(self.replies_at_first_resolution, self.reopens)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def auto_close_due_at(self) -> datetime | None:
        """When the ticket closes automatically (the resolved state's timeout, default 7 days
        after resolution, the same 7 days as the preset's reopen window, set separately);
        ``None`` if nothing is due."""
        timeout = self.process.state(self.status).timeout
        return self.timeout_due_at if timeout is not None and timeout.event == "close" else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def timeout_due_at(self) -> datetime | None:
        """When the current state's timeout event falls due (``None`` if it has none)."""
        return super().timeout_due_at

    @computed_field  # type: ignore[prop-decorator]
    @property
    def customer_tier(self) -> str | None:
        """The customer's tier when the ticket was opened (R-07; the ``TicketCreated``'s, which
        SLA targets and remedies are chosen by), or ``None``."""
        tier: str | None = getattr(self.history[0], "customer_tier", None)
        return tier

    # -- creation -----------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        ticket_id: str,
        customer_id: str,
        channel: str,
        category: str,
        priority: str,
        subject: str,
        at: datetime,
        by: Actor,
        customer_tier: str | None = None,
        attributes: Mapping[str, Any] | None = None,
        process: ProcessDefinition | None = None,
    ) -> Ticket:
        """Open a ticket in the process's initial state (event ``TicketCreated``).

        Anyone may open a ticket; a customer only for themself.
        """
        check_process("open", process)
        check_optional_text("open", "customer_tier", customer_tier)
        if attributes is not None and not isinstance(attributes, Mapping):
            raise InvalidInputError(
                f"open: attributes must be a mapping (got {type(attributes).__name__})"
            )
        data = freeze_json("open", attributes or {}, loc=("attributes",))
        check_actor("open", by)
        at = check_time("open", at, None)
        for name, value in (("ticket_id", ticket_id), ("customer_id", customer_id),
                            ("channel", channel), ("category", category),
                            ("priority", priority), ("subject", subject)):
            check_text("open", name, value)
        definition = process or default_ticket_process()
        if not may_start(by, customer_id, definition):
            raise PermissionDenied("open", "(none)", "a customer opens tickets only for themself")
        event = TicketCreated(
            event_id=time_ordered_id(at), stream_id=ticket_id, at=at, by=by.id, roles=by.roles,
            priority=priority, customer_id=customer_id, channel=channel, category=category,
            subject=subject, customer_tier=customer_tier,
            attributes=data,
        )
        return cls._build(created_state(TICKET, event, definition), process)

    @classmethod
    def replay(cls, history: Iterable[Event], *,
               process: ProcessDefinition | None = None) -> Ticket:
        """Rebuild a ticket from its events, checking each against the process.

        Raises :class:`~servicekit.errors.InvalidInputError` naming the first event that the
        process could not have produced (the wrong ticket, out of order, a transition the
        state does not allow, a missing status record).
        """
        return cls._replay("replay", history, process)

    # -- commands -----------------------------------------------------------------------------

    def assign(self, to: str, *, at: datetime, by: Actor) -> Ticket:
        """Assign to an agent (P-01). Leads (or higher) assign."""
        check_text("assign", "to", to)
        return self._run("assign", at, by, {"assignee": to}, {})

    def reply(self, *, at: datetime, by: Actor, public: bool = True,
              fields: Mapping[str, Any] | None = None) -> Ticket:
        """An agent's reply (``public=False``: an internal note). Stops first response."""
        if not isinstance(public, bool):
            raise InvalidInputError(f"reply: public must be a bool (got {type(public).__name__})")
        return self._run("reply", at, by, {"public": public}, self._fields("reply", fields))

    def customer_reply(self, *, at: datetime, by: Actor | None = None,
                       fields: Mapping[str, Any] | None = None) -> Ticket:
        """The customer wrote back; on a pending ticket this reopens it to open.

        ``by`` defaults to the ticket's customer.
        """
        actor = by if by is not None else Actor.customer(self.customer_id)
        return self._run("customer_reply", at, actor, {}, self._fields("customer_reply", fields))

    def wait_on_customer(self, *, at: datetime, by: Actor,
                         fields: Mapping[str, Any] | None = None) -> Ticket:
        """Pending the customer: pausable SLA clocks (resolution) stop counting."""
        return self.fire("wait_on_customer", at=at, by=by, fields=fields)

    def wait_on_third_party(self, *, at: datetime, by: Actor,
                            fields: Mapping[str, Any] | None = None) -> Ticket:
        return self.fire("wait_on_third_party", at=at, by=by, fields=fields)

    def resume(self, *, at: datetime, by: Actor,
               fields: Mapping[str, Any] | None = None) -> Ticket:
        return self.fire("resume", at=at, by=by, fields=fields)

    def change_priority(self, priority: str, *, at: datetime, by: Actor,
                        reason: str | None = None) -> Ticket:
        """Lead (or higher) only. SLA targets follow the new priority (retroactively)."""
        check_text("change_priority", "priority", priority)
        check_optional_text("change_priority", "reason", reason)
        return self._run("change_priority", at, by, {"priority": priority, "reason": reason}, {})

    def escalate(self, *, level: int, at: datetime, by: Actor,
                 reason: str | None = None) -> Ticket:
        """Escalate to ``level`` (higher than the current one; S-11). Lead (or higher) only."""
        if isinstance(level, bool) or not isinstance(level, int) or level < 1:
            raise InvalidInputError(
                f"escalate: level must be an int of at least 1 (got {type(level).__name__})"
            )
        check_optional_text("escalate", "reason", reason)
        return self._run("escalate", at, by, {"level": level, "reason": reason}, {})

    def resolve(self, *, at: datetime, by: Actor, resolution: str,
                fields: Mapping[str, Any] | None = None) -> Ticket:
        check_text("resolve", "resolution", resolution)
        return self._run("resolve", at, by, {"resolution": resolution},
                         self._fields("resolve", fields))

    def reopen(self, *, at: datetime, by: Actor | None = None,
               fields: Mapping[str, Any] | None = None) -> Ticket:
        """Reopen a resolved ticket, only within the reopen window (default 7 days).

        Staff or the ticket's own customer (the default ``by``).
        """
        actor = by if by is not None else Actor.customer(self.customer_id)
        return self._run("reopen", at, actor, {}, self._fields("reopen", fields))

    def close(self, *, at: datetime, by: Actor,
              fields: Mapping[str, Any] | None = None) -> Ticket:
        return self._run("close", at, by, {}, self._fields("close", fields))

    def cancel(self, *, at: datetime, by: Actor, reason: str) -> Ticket:
        """Withdraw the ticket (duplicate, spam, raised in error). Lead (or higher) only."""
        check_text("cancel", "reason", reason)
        return self._run("cancel", at, by, {"reason": reason}, {})
