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

The state of a ticket is a function of its history alone: :meth:`Ticket.replay` rebuilds the
same value from the events, checking every step against the compiled transition table, and is
the bulk path (hundreds of thousands of events per second).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import AwareDatetime, Field, computed_field

from servicekit._model import NameSet, ValueModel
from servicekit.calendar import require_aware
from servicekit.errors import (
    InvalidInputError,
    PermissionDenied,
    ServiceKitError,
    TransitionRejected,
)
from servicekit.events import (
    AgentReplied,
    AnyEvent,
    CustomerReplied,
    Event,
    PriorityChanged,
    StatusChanged,
    TicketAssigned,
    TicketCancelled,
    TicketClosed,
    TicketCreated,
    TicketEscalated,
    TicketReopened,
    TicketResolved,
)
from servicekit.processes import IDENTIFIER, ProcessDefinition, TransitionDef

if TYPE_CHECKING:
    from servicekit.sla import SlaPolicy, SlaReport

__all__ = ["BUILT_IN_COMMANDS", "EVENT_COMMANDS", "Actor", "Ticket", "default_ticket_process"]


class Actor(ValueModel):
    """Who issues a command: an id (kept on the events, P-08) and the roles it acts in."""

    id: str = Field(min_length=1)
    roles: NameSet = Field(min_length=1)

    @classmethod
    def customer(cls, customer_id: str) -> Actor:
        return cls(id=customer_id, roles=frozenset({"customer"}))

    @classmethod
    def system(cls, actor_id: str = "system") -> Actor:
        """The host's automation (auto-close, timeouts)."""
        return cls(id=actor_id, roles=frozenset({"system"}))


_DEFAULT: list[ProcessDefinition] = []


def default_ticket_process() -> ProcessDefinition:
    """The handbook's ticket process, built once (definitions are immutable)."""
    if not _DEFAULT:
        from servicekit.presets.processes import ticket_process

        _DEFAULT.append(ticket_process())
    return _DEFAULT[0]


# The command each built-in event records, and the status it implies for the SLA engine
# (which reads statuses from events). A transition whose target differs from that status also
# records a StatusChanged naming the command (a "companion"), so the history always says where
# the ticket went.
EVENT_COMMANDS: dict[type[Event], str] = {
    TicketAssigned: "assign",
    AgentReplied: "reply",
    CustomerReplied: "customer_reply",
    PriorityChanged: "change_priority",
    TicketEscalated: "escalate",
    TicketResolved: "resolve",
    TicketReopened: "reopen",
    TicketClosed: "close",
    TicketCancelled: "cancel",
}
_IMPLIED: dict[type[Event], str] = {
    TicketResolved: "resolved",
    TicketReopened: "open",
    TicketClosed: "closed",
    TicketCancelled: "cancelled",
}
BUILT_IN_COMMANDS = frozenset(EVENT_COMMANDS.values())


class Ticket(ValueModel):
    """A customer-service ticket (P-01: classified, assigned, recorded, tracked).

    Build one with :meth:`open` (or :meth:`replay`); change it only through its commands.
    """

    error_class: ClassVar[type[ServiceKitError]] = InvalidInputError

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
    version: int = Field(description="the number of events in the history")
    history: tuple[AnyEvent, ...]

    # -- derived ------------------------------------------------------------------------------

    @computed_field  # type: ignore[prop-decorator]
    @property
    def first_contact_resolution(self) -> bool | None:
        """M-02 FCR: resolved with exactly one public agent reply and never reopened.

        ``None`` until the ticket is first resolved (a ticket cancelled unresolved stays
        ``None``: it was not solved at all). Like Zendesk's "one-touch" tickets: a resolution
        without any public reply is not first-contact resolution.
        """
        return _fcr(self.replies_at_first_resolution, self.reopens)

    @property
    def process(self) -> ProcessDefinition:
        """The process definition this ticket runs on."""
        private = self.__pydantic_private__
        process = private.get("_process") if private else None
        return process if process is not None else default_ticket_process()

    @property
    def status_label(self) -> str:
        return self.process.state(self.status).label

    @property
    def status_label_zh(self) -> str:
        return self.process.state(self.status).label_zh

    @property
    def is_final(self) -> bool:
        return self.process.state(self.status).final

    @property
    def timeout_due_at(self) -> datetime | None:
        """When the current state's timeout event falls due (``None`` if it has none)."""
        timeout = self.process.state(self.status).timeout
        return None if timeout is None else _later(self.status_since, timeout.after)

    @property
    def auto_close_due_at(self) -> datetime | None:
        """When the ticket closes automatically (the resolved state's timeout, default 7 days
        after resolution, the same 7 days as the preset's reopen window, set separately);
        ``None`` if nothing is due."""
        timeout = self.process.state(self.status).timeout
        return self.timeout_due_at if timeout is not None and timeout.event == "close" else None

    def allowed_commands(self, actor: Actor | None = None) -> tuple[str, ...]:
        """The commands the process offers in the current state (to ``actor``'s roles).

        Guards are not evaluated: a listed command may still be rejected by its condition.
        """
        process = self.process
        table = process.table

        def offered(event: str) -> bool:
            if actor is None:
                return True
            permitted = [t for t in table.candidates(self.status, event) if _role_ok(t, actor)]
            return bool(permitted) and (actor.id == self.customer_id or any(
                _as_staff(t, actor, process) for t in permitted))

        return tuple(e for e in table.events_from(self.status) if offered(e))

    def sla(self, policy: SlaPolicy, now: datetime) -> SlaReport:
        """The SLA report of this ticket at ``now`` (:func:`servicekit.sla.evaluate`)."""
        from servicekit.sla import evaluate

        return evaluate(policy, self.history, now)

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
        if process is not None and not isinstance(process, ProcessDefinition):
            raise InvalidInputError(
                f"open: process must be a ProcessDefinition (got {type(process).__name__})"
            )
        _optional_text("open", "customer_tier", customer_tier)
        if attributes is not None and not isinstance(attributes, Mapping):
            raise InvalidInputError(
                f"open: attributes must be a mapping (got {type(attributes).__name__})"
            )
        _check_actor("open", by)
        _check_time("open", at, None)
        for name, value in (("ticket_id", ticket_id), ("customer_id", customer_id),
                            ("channel", channel), ("category", category),
                            ("priority", priority), ("subject", subject)):
            _text("open", name, value)
        definition = process or default_ticket_process()
        if by.id != customer_id and not _staff_roles(by, definition):
            raise PermissionDenied("open", "(none)", "a customer opens tickets only for themself")
        event = TicketCreated(
            ticket_id=ticket_id, at=at, by=by.id, priority=priority, customer_id=customer_id,
            channel=channel, category=category, subject=subject, customer_tier=customer_tier,
            attributes=dict(attributes or {}),
        )
        state = _created(event, definition)
        return _build(state, process)

    @classmethod
    def replay(cls, history: Iterable[Event], *,
               process: ProcessDefinition | None = None) -> Ticket:
        """Rebuild a ticket from its events, checking each against the process.

        Raises :class:`~servicekit.errors.InvalidInputError` naming the first event that the
        process could not have produced (the wrong ticket, out of order, a transition the
        state does not allow, a missing status record).
        """
        if process is not None and not isinstance(process, ProcessDefinition):
            raise InvalidInputError(
                f"replay: process must be a ProcessDefinition (got {type(process).__name__})"
            )
        if isinstance(history, (str, bytes, Mapping)) or not isinstance(history, Iterable):
            raise InvalidInputError(
                f"replay: history must be an iterable of events (got {type(history).__name__})"
            )
        events = history if isinstance(history, tuple) else tuple(history)
        return _build(_fold(events, process or default_ticket_process()), process)

    # -- commands -----------------------------------------------------------------------------

    def assign(self, to: str, *, at: datetime, by: Actor) -> Ticket:
        """Assign to an agent (P-01). Leads (or higher) assign."""
        _text("assign", "to", to)
        return self._run("assign", at, by, {"assignee": to},
                         lambda **kw: TicketAssigned(assignee=to, **kw))

    def reply(self, *, at: datetime, by: Actor, public: bool = True,
              fields: Mapping[str, Any] | None = None) -> Ticket:
        """An agent's reply (``public=False``: an internal note). Stops first response."""
        if not isinstance(public, bool):
            raise InvalidInputError(f"reply: public must be a bool (got {type(public).__name__})")
        return self._run("reply", at, by, _fields("reply", fields),
                         lambda **kw: AgentReplied(public=public, **kw))

    def customer_reply(self, *, at: datetime, by: Actor | None = None,
                       fields: Mapping[str, Any] | None = None) -> Ticket:
        """The customer wrote back; on a pending ticket this reopens it to open.

        ``by`` defaults to the ticket's customer.
        """
        actor = by if by is not None else Actor.customer(self.customer_id)
        return self._run("customer_reply", at, actor,
                         _fields("customer_reply", fields),
                         CustomerReplied)

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
        _text("change_priority", "priority", priority)
        _optional_text("change_priority", "reason", reason)
        same = "the ticket already has that priority" if priority == self.priority else None
        fields = {"priority": priority, "reason": reason}
        return self._run("change_priority", at, by, fields,
                         lambda **kw: PriorityChanged(priority=priority, reason=reason, **kw),
                         refuse=same)

    def escalate(self, *, level: int, at: datetime, by: Actor,
                 reason: str | None = None) -> Ticket:
        """Escalate to ``level`` (higher than the current one; S-11). Lead (or higher) only."""
        if isinstance(level, bool) or not isinstance(level, int) or level < 1:
            raise InvalidInputError(
                f"escalate: level must be an int of at least 1 (got {type(level).__name__})"
            )
        _optional_text("escalate", "reason", reason)
        lower = (f"the ticket is already at escalation level {self.escalation_level}"
                 if level <= self.escalation_level else None)
        return self._run("escalate", at, by, {"level": level, "reason": reason},
                         lambda **kw: TicketEscalated(level=level, reason=reason, **kw),
                         refuse=lower)

    def resolve(self, *, at: datetime, by: Actor, resolution: str,
                fields: Mapping[str, Any] | None = None) -> Ticket:
        _text("resolve", "resolution", resolution)
        data = {**_fields("resolve", fields), "resolution": resolution}
        return self._run("resolve", at, by, data,
                         lambda **kw: TicketResolved(resolution=resolution, **kw))

    def reopen(self, *, at: datetime, by: Actor | None = None,
               fields: Mapping[str, Any] | None = None) -> Ticket:
        """Reopen a resolved ticket, only within the reopen window (default 7 days).

        Staff or the ticket's own customer (the default ``by``).
        """
        actor = by if by is not None else Actor.customer(self.customer_id)
        return self._run("reopen", at, actor, _fields("reopen", fields),
                         TicketReopened)

    def close(self, *, at: datetime, by: Actor,
              fields: Mapping[str, Any] | None = None) -> Ticket:
        return self._run("close", at, by, _fields("close", fields), TicketClosed)

    def cancel(self, *, at: datetime, by: Actor, reason: str) -> Ticket:
        """Withdraw the ticket (duplicate, spam, raised in error). Lead (or higher) only."""
        _text("cancel", "reason", reason)
        return self._run("cancel", at, by, {"reason": reason},
                         lambda **kw: TicketCancelled(reason=reason, **kw))

    def fire(self, event: str, *, at: datetime, by: Actor,
             fields: Mapping[str, Any] | None = None) -> Ticket:
        """Fire any transition of the process by its event name.

        For the host's own transitions (``request_approval``, ``approve`` …) and the
        built-in status moves; recorded as :class:`~servicekit.events.StatusChanged` naming
        the event. Built-in commands with their own event (``reply``, ``resolve`` …) must be
        called by their method, which takes their arguments.
        """
        if not isinstance(event, str) or not IDENTIFIER.match(event):
            raise InvalidInputError(
                f"fire: event must be an event name: lower-case letters, digits and _ "
                f"(got {type(event).__name__})"
            )
        if event in BUILT_IN_COMMANDS:
            raise InvalidInputError(f"fire: {event} has its own method; call ticket.{event}()")
        status = self.status
        return self._run(
            event, at, by, _fields(event, fields),
            lambda target, **kw: StatusChanged(status=target or status, event=event, **kw),
            pass_target=True,
        )

    def apply_timeouts(self, now: datetime) -> Ticket:
        """Fire the current state's timeout event if it is due at ``now`` (by the system actor,
        at the due instant). Returns the ticket unchanged when nothing is due."""
        _check_time("apply_timeouts", now, None)
        due = self.timeout_due_at
        if due is None or due > now:
            return self
        timeout = self.process.state(self.status).timeout
        assert timeout is not None
        system = Actor.system()
        at = max(due, self.updated_at)
        if timeout.event == "close":
            return self.close(at=at, by=system)
        if timeout.event in BUILT_IN_COMMANDS:
            raise InvalidInputError(
                f"apply_timeouts: {timeout.event} takes arguments; fire it from the host"
            )
        return self.fire(timeout.event, at=at, by=system)

    # -- the command pipeline -----------------------------------------------------------------

    def _run(self, command: str, at: datetime, by: Actor, fields: dict[str, Any],
             make: Callable[..., Event], *, pass_target: bool = False,
             refuse: str | None = None) -> Ticket:
        """Check, then record: actor and time, the transition, the roles, the guard, the
        required fields; ``refuse`` is the command's own reason to reject (checked after
        the roles)."""
        status = self.status
        _check_actor(command, by)
        _check_time(command, at, self.updated_at)
        process = self.process
        candidates = process.table.candidates(status, command)
        if not candidates:
            if not any(t.event == command for t in process.transitions):
                raise TransitionRejected(command, status,
                                         f"the {process.name} process has no {command!r} event")
            raise TransitionRejected(command, status, f"no {command!r} transition from {status!r}")
        permitted = [t for t in candidates if _role_ok(t, by)]
        if not permitted:
            roles = sorted(set().union(*(t.roles for t in candidates)))
            raise PermissionDenied(command, status,
                                   f"requires one of the roles {', '.join(roles)}")
        if by.id != self.customer_id and not any(_as_staff(t, by, process) for t in permitted):
            raise PermissionDenied(command, status, "a customer acts only on their own tickets")
        if refuse is not None:
            raise TransitionRejected(command, status, refuse)
        own = _EVENT_FIELDS.get(command)
        if own:
            arguments = {k: v for k, v in fields.items() if k in own}
            host = {k: v for k, v in fields.items() if k not in own}
        else:  # most commands carry no arguments of their own
            arguments, host = {}, fields
        transition = _choose(command, status, permitted,
                             lambda: _guard_facts(self.__dict__, host, arguments, at))
        missing = [f for f in transition.requires if fields.get(f) in (None, "")]
        if missing:
            raise InvalidInputError(
                f"{command} in state {status!r}: requires {', '.join(missing)}"
            )
        common = {"ticket_id": self.ticket_id, "at": at, "by": by.id, "fields": host}
        try:
            first = make(transition.target, **common) if pass_target else make(**common)
        except InvalidInputError as exc:
            raise InvalidInputError(f"{command}: {exc}", problems=exc.problems) from None
        events: list[Event] = [first]
        target = transition.target or status
        implied = _IMPLIED.get(type(first), status) if not pass_target else target
        if implied != target:
            events.append(StatusChanged(ticket_id=self.ticket_id, at=at, by=by.id,
                                        status=target, event=command))
        state = dict(self.__dict__)
        history = self.history + tuple(events)
        for ev in events:
            _apply(state, ev)
        state["history"] = history
        return _build(state, self.__pydantic_private__.get("_process")
                      if self.__pydantic_private__ else None)



# fields a built-in event carries as its own attributes (not repeated in ``fields``)
_EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "assign": ("assignee",),
    "change_priority": ("priority", "reason"),
    "escalate": ("level", "reason"),
    "resolve": ("resolution",),
    "cancel": ("reason",),
}


_CUSTOMER = frozenset({"customer"})


def _fcr(replies_at_first_resolution: int | None, reopens: int) -> bool | None:
    """M-02: resolved with exactly one public agent reply and never reopened."""
    if replies_at_first_resolution is None:
        return None
    return replies_at_first_resolution == 1 and reopens == 0


def _guard_facts(state: Mapping[str, Any], host: Mapping[str, Any],
                 arguments: Mapping[str, Any], at: datetime) -> dict[str, Any]:
    """What a guard reads, live and in replay alike: the host's fields, then the ticket's own
    values (which host fields cannot shadow), the command's arguments (the new priority, the
    resolution …) and ``at``."""
    facts = dict(host)
    facts.update((k, v) for k, v in state.items() if k != "history")
    facts["first_contact_resolution"] = _fcr(state["replies_at_first_resolution"],
                                             state["reopens"])
    facts.update(arguments)
    facts["at"] = at
    return facts


def _staff_roles(by: Actor, process: ProcessDefinition) -> frozenset[str]:
    """The actor's roles other than customer that the process knows (all of them if the
    process declares none)."""
    roles = by.roles - _CUSTOMER
    return roles & process.roles if process.roles else roles


def _as_staff(t: TransitionDef, by: Actor, process: ProcessDefinition) -> bool:
    """Whether ``by`` may fire ``t`` through a role other than customer (the customer role
    acts only on the actor's own tickets)."""
    staff = _staff_roles(by, process)
    return bool(staff) and (not t.roles or not t.roles.isdisjoint(staff))

# names the host's extra fields may not take: guards read the ticket's own values under them
_RESERVED = frozenset(Ticket.model_fields) | {"at", "first_contact_resolution"}


def _role_ok(t: TransitionDef, by: Actor) -> bool:
    return not t.roles or not t.roles.isdisjoint(by.roles)


def _choose(command: str, status: str, permitted: Sequence[TransitionDef],
            facts_of: Callable[[], Mapping[str, Any]]) -> TransitionDef:
    facts: Mapping[str, Any] | None = None
    for t in permitted:
        if t.guard is None:
            return t
        if facts is None:
            facts = facts_of()
        if t.guard.evaluate(facts):
            return t
    guards = "; ".join(str(t.guard) for t in permitted if t.guard is not None)
    reason = f"the condition {guards!r} does not hold"
    if command == "reopen":
        reason = f"the reopen window has passed ({guards})"
    raise TransitionRejected(command, status, reason)


def _later(moment: datetime, span: timedelta) -> datetime:
    """``moment + span`` in elapsed time (across a DST change too), in ``moment``'s zone."""
    return (moment.astimezone(UTC) + span).astimezone(moment.tzinfo)


def _optional_text(command: str, name: str, value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise InvalidInputError(
            f"{command}: {name} must be a string or None (got {type(value).__name__})"
        )


def _fields(command: str, fields: object) -> dict[str, Any]:
    """The host's extra fields: a mapping with string keys that do not shadow the ticket's own
    values (guards read those under their names)."""
    if fields is None:
        return {}
    if not isinstance(fields, Mapping) or not all(isinstance(k, str) for k in fields):
        raise InvalidInputError(
            f"{command}: fields must be a mapping with string keys (got {type(fields).__name__})"
        )
    reserved = sorted(k for k in fields if k in _RESERVED)
    if reserved:
        raise InvalidInputError(f"{command}: fields may not redefine {', '.join(reserved)}")
    return dict(fields)


def _text(command: str, name: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(
            f"{command}: {name} must be a non-empty string (got {type(value).__name__})"
        )


def _check_actor(command: str, by: object) -> None:
    if not isinstance(by, Actor):
        raise InvalidInputError(f"{command}: by must be an Actor (got {type(by).__name__})")


def _check_time(command: str, at: object, last: datetime | None) -> None:
    moment = require_aware(at, f"{command}: at")
    if last is not None and moment < last:
        raise InvalidInputError(f"{command}: at is earlier than the ticket's last event")


# -- state from events (shared by the commands and replay) ------------------------------------

def _created(ev: TicketCreated, process: ProcessDefinition) -> dict[str, Any]:
    return {
        "ticket_id": ev.ticket_id,
        "customer_id": ev.customer_id or "",
        "channel": ev.channel or "",
        "category": ev.category or "",
        "priority": ev.priority,
        "subject": ev.subject or "",
        "status": process.initial.id,
        "assignee": None,
        "escalation_level": 0,
        "opened_at": ev.at,
        "updated_at": ev.at,
        "status_since": ev.at,
        "resolved_at": None,
        "ended_at": None,
        "public_replies": 0,
        "replies_at_first_resolution": None,
        "reopens": 0,
        "version": 1,
        "history": (ev,),
    }


def _apply(state: dict[str, Any], ev: Event) -> None:
    """Apply one (already checked) event to a ticket's fields."""
    kind = type(ev)
    at = ev.at
    status = state["status"]
    new_status = _IMPLIED.get(kind, status)
    if kind is StatusChanged:
        new_status = ev.status  # type: ignore[attr-defined]
    elif kind is AgentReplied:
        if ev.public:  # type: ignore[attr-defined]
            state["public_replies"] += 1
    elif kind is TicketAssigned:
        state["assignee"] = ev.assignee  # type: ignore[attr-defined]
    elif kind is PriorityChanged:
        state["priority"] = ev.priority  # type: ignore[attr-defined]
    elif kind is TicketEscalated:
        state["escalation_level"] = ev.level  # type: ignore[attr-defined]
    elif kind is TicketResolved:
        state["resolved_at"] = at
        if state["replies_at_first_resolution"] is None:
            state["replies_at_first_resolution"] = state["public_replies"]
    elif kind is TicketReopened:
        state["resolved_at"] = None
        state["reopens"] += 1
    elif kind is TicketClosed or kind is TicketCancelled:
        state["ended_at"] = at
    if new_status != status:
        state["status"] = new_status
        state["status_since"] = at
    state["updated_at"] = at
    state["version"] += 1


_FIELDS_SET = frozenset(Ticket.model_fields)


def _build(state: dict[str, Any], process: ProcessDefinition | None) -> Ticket:
    """A Ticket from checked state, without validating again (the fast path)."""
    ticket = Ticket.__new__(Ticket)
    object.__setattr__(ticket, "__dict__", state)
    object.__setattr__(ticket, "__pydantic_fields_set__", set(_FIELDS_SET))
    object.__setattr__(ticket, "__pydantic_extra__", None)
    object.__setattr__(ticket, "__pydantic_private__", {"_process": process})
    return ticket


def _history_error(index: int, ev: object, reason: str) -> InvalidInputError:
    kind = type(ev).__name__
    return InvalidInputError(f"history[{index}] ({kind}): {reason}")


def _fold(events: tuple[Event, ...], process: ProcessDefinition) -> dict[str, Any]:
    """Replay: check every event against the transition table and apply it."""
    if not events:
        raise InvalidInputError("history is empty; a ticket starts with TicketCreated")
    first = events[0]
    if type(first) is not TicketCreated:
        raise _history_error(0, first, "a ticket's history starts with TicketCreated")
    state = _created(first, process)
    state["history"] = events
    ticket_id = first.ticket_id
    candidates = process.table.candidates
    last_at = first.at
    companion: tuple[str, str] | None = None  # (command, status) a StatusChanged must record
    previous: Event = first  # the event a companion StatusChanged belongs to
    seen = {first.event_id}
    for index in range(1, len(events)):
        ev = events[index]
        kind = type(ev)
        if not isinstance(ev, Event) or kind is TicketCreated:
            raise _history_error(index, ev, "not an event a ticket records after its creation")
        if ev.ticket_id != ticket_id:
            raise _history_error(index, ev, "belongs to another ticket")
        if ev.at < last_at:
            raise _history_error(index, ev, "is earlier than the event before it")
        last_at = ev.at
        if ev.event_id in seen:
            raise _history_error(index, ev, "repeats an event id")
        seen.add(ev.event_id)
        if companion is not None:
            if (kind is not StatusChanged or ev.event != companion[0]  # type: ignore[attr-defined]
                    or ev.status != companion[1]  # type: ignore[attr-defined]
                    or ev.at != previous.at or ev.by != previous.by):
                raise _history_error(index, ev, f"expected the StatusChanged of "
                                                f"{companion[0]} to {companion[1]!r}")
            companion = None
            _apply(state, ev)
            continue
        previous = ev
        if kind is TicketEscalated and ev.level <= state["escalation_level"]:  # type: ignore[attr-defined]
            raise _history_error(index, ev, "an escalation must raise the level")
        if kind is PriorityChanged and ev.priority == state["priority"]:  # type: ignore[attr-defined]
            raise _history_error(index, ev, "a priority change must change the priority")
        command, target = _replay_move(events, index, state, candidates)
        _apply(state, ev)
        if state["status"] != target:
            if kind is StatusChanged:
                raise _history_error(index, ev, f"{command} leads to {target!r}")
            companion = (command, target)
    if companion is not None:
        raise _history_error(len(events), None, f"missing the StatusChanged of {companion[0]}")
    return state


def _replay_move(events: tuple[Event, ...], index: int, state: Mapping[str, Any],
                 candidates: Callable[[str, str], tuple[TransitionDef, ...]]) -> tuple[str, str]:
    """The command an event records and the state the process says it leads to.

    Where several transitions could have fired (the live command chose by the actor's roles,
    which events do not keep), the one leading where the history says the ticket went is it.
    """
    ev = events[index]
    status = state["status"]
    kind = type(ev)
    if kind is StatusChanged:
        command = ev.event  # type: ignore[attr-defined]
        if command is None or command in BUILT_IN_COMMANDS:
            raise _history_error(index, ev, "a status change without its transition")
    else:
        found = EVENT_COMMANDS.get(kind)
        if found is None:
            raise _history_error(index, ev, "not an event a ticket records")
        command = found
    moves = candidates(status, command)
    if not moves:
        raise _history_error(index, ev, f"{command} is not allowed in state {status!r}")
    if len(moves) == 1 and moves[0].guard is None:
        move = moves[0]
    else:
        arguments = {name: getattr(ev, name) for name in _EVENT_FIELDS.get(command, ())}
        facts = _guard_facts(state, ev.fields, arguments, ev.at)
        held = [t for t in moves if t.guard is None or t.guard.evaluate(facts)]
        if not held:
            raise _history_error(index, ev, f"{command} in state {status!r}: no guard holds")
        move = held[0]
        if len(held) > 1:
            went = _recorded_target(events, index, command, status)
            move = next((t for t in held if (t.target or status) == went), move)
    return command, move.target or status


def _recorded_target(events: tuple[Event, ...], index: int, command: str, status: str) -> str:
    """Where the history says event ``index`` took the ticket."""
    ev = events[index]
    if type(ev) is StatusChanged:
        return ev.status
    nxt = events[index + 1] if index + 1 < len(events) else None
    if (type(nxt) is StatusChanged and nxt.event == command and nxt.at == ev.at
            and nxt.by == ev.by):
        return nxt.status
    return _IMPLIED.get(type(ev), status)


