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

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from math import isfinite
from typing import TYPE_CHECKING, Any, ClassVar, Self

from pydantic import Field

from servicekit._model import NameSet, ValueModel
from servicekit.calendar import require_aware
from servicekit.errors import InvalidInputError, PermissionDenied, TransitionRejected
from servicekit.events import Event, StatusChanged, time_ordered_id
from servicekit.processes import IDENTIFIER, ProcessDefinition, TransitionDef

if TYPE_CHECKING:
    from servicekit.sla import SlaPolicy, SlaReport

__all__ = [
    "Actor",
    "Aggregate",
    "AggregateKind",
    "CommandSpec",
    "authorise",
    "choose",
    "json_payload",
]

_CUSTOMER = frozenset({"customer"})


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


# -- commands as data -----------------------------------------------------------------------

Check = Callable[[Mapping[str, Any], Mapping[str, Any]], "str | None"]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A command that records an event of its own.

    ``arguments`` are the names the event carries as attributes (``resolution`` on
    ``TicketResolved``): they are not repeated in the event's ``fields``, and guards read them.
    ``check(state, arguments)`` is the command's own rule (an escalation only goes up): a
    reason to refuse, or None; it runs after the roles, live and in replay. The status the
    command implies is declared on its event class (``event.implies``, a class attribute:
    replay reads it from the class).
    """

    name: str
    event: type[Event]
    arguments: tuple[str, ...] = ()
    check: Check | None = None

    @property
    def implies(self) -> str | None:
        return self.event.implies


Mutator = Callable[[dict[str, Any], Any], None]
Facts = Callable[[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any], datetime],
                 dict[str, Any]]


@dataclass(frozen=True)
class AggregateKind:
    """What makes one aggregate different from another: data, not a copy of the engine.

    ``initial(created_event, process)`` returns the aggregate's own starting values (the
    engine adds the status, the instants, the version and the history); ``facts(state,
    fields, arguments, at)`` is what a guard reads; ``mutators`` update the aggregate's own
    values per event class.
    """

    name: str
    created: type[Event]
    initial: Callable[[Any, ProcessDefinition], dict[str, Any]]
    facts: Facts
    commands: Mapping[str, CommandSpec] = field(default_factory=dict)
    mutators: Mapping[type[Event], Mutator] = field(default_factory=dict)
    status_key: str = "status"
    since_key: str = "status_since"
    owner_key: str = "customer_id"
    by_event: dict[type[Event], CommandSpec] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_event", {s.event: s for s in self.commands.values()})

    def spec(self, command: str) -> CommandSpec | None:
        return self.commands.get(command)


# -- the shared rules ------------------------------------------------------------------------


def _staff_roles(by: Actor, process: ProcessDefinition) -> frozenset[str]:
    """The actor's roles other than customer that the process knows (all of them if the
    process declares none)."""
    roles = by.roles - _CUSTOMER
    return roles & process.roles if process.roles else roles


def _as_staff(t: TransitionDef, by: Actor, process: ProcessDefinition) -> bool:
    """Whether ``by`` may fire ``t`` through a role other than customer (the customer role
    acts only on the actor's own cases)."""
    staff = _staff_roles(by, process)
    return bool(staff) and (not t.roles or not t.roles.isdisjoint(staff))


def _role_ok(t: TransitionDef, by: Actor) -> bool:
    return not t.roles or not t.roles.isdisjoint(by.roles)


def may_start(by: Actor, owner: str | None, process: ProcessDefinition) -> bool:
    """Anyone on the staff may start a case; a customer only for themself."""
    return by.id == owner or bool(_staff_roles(by, process))


def authorise(command: str, status: str, candidates: Sequence[TransitionDef], by: Actor, *,
              owner: str | None, process: ProcessDefinition, what: str = "case"
              ) -> list[TransitionDef]:
    """The candidate transitions ``by`` may fire (P-08: authority is explicit).

    A transition is open to the roles it names; the customer role acts only on the actor's own
    cases. ``PermissionDenied`` if none is left.
    """
    permitted = [t for t in candidates if _role_ok(t, by)]
    if not permitted:
        roles = sorted(set().union(*(t.roles for t in candidates)))
        raise PermissionDenied(command, status, f"requires one of the roles {', '.join(roles)}")
    if by.id != owner and not any(_as_staff(t, by, process) for t in permitted):
        raise PermissionDenied(command, status, f"a customer acts only on their own {what}s")
    return permitted


def offered(candidates: Sequence[TransitionDef], by: Actor, owner: str | None,
            process: ProcessDefinition) -> bool:
    """Whether :func:`authorise` would let ``by`` fire one of ``candidates``."""
    permitted = [t for t in candidates if _role_ok(t, by)]
    return bool(permitted) and (by.id == owner or any(
        _as_staff(t, by, process) for t in permitted))


def choose(command: str, status: str, permitted: Sequence[TransitionDef],
           facts_of: Callable[[], Mapping[str, Any]]) -> TransitionDef:
    """The first permitted transition whose guard holds; ``TransitionRejected`` if none."""
    facts: Mapping[str, Any] | None = None
    for t in permitted:
        if t.guard is None:
            return t
        if facts is None:
            facts = facts_of()
        if t.guard.predicate(facts):
            return t
    guards = "; ".join(str(t.guard) for t in permitted if t.guard is not None)
    reason = f"the condition {guards!r} does not hold"
    if command == "reopen":
        reason = f"the reopen window has passed ({guards})"
    raise TransitionRejected(command, status, reason)


def json_payload(where: str, value: object, *, depth: int = 0) -> Any:
    """A deep copy of ``value`` if it is JSON data (str, int, finite float, bool, None, lists
    and string-keyed mappings); ``InvalidInputError`` naming ``where`` and the type otherwise.

    Copying keeps an aggregate's events from sharing the caller's mutable objects.
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if not isfinite(value):
            raise InvalidInputError(f"{where}: a JSON number is finite (got float)")
        return value
    if depth >= 64:
        raise InvalidInputError(f"{where}: nested more than 64 levels deep")
    if isinstance(value, Mapping):
        out = {}
        for i, (k, v) in enumerate(value.items()):
            if not isinstance(k, str):
                raise InvalidInputError(f"{where}: key {i} must be a string "
                                        f"(got {type(k).__name__})")
            out[k] = json_payload(f"{where}[{i}]", v, depth=depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [json_payload(f"{where}[{i}]", v, depth=depth + 1) for i, v in enumerate(value)]
    raise InvalidInputError(f"{where}: must be JSON data (got {type(value).__name__})")


def later(moment: datetime, span: timedelta) -> datetime:
    """``moment + span`` in elapsed time (across a DST change too), in ``moment``'s zone."""
    return (moment.astimezone(UTC) + span).astimezone(moment.tzinfo)


def check_actor(command: str, by: object) -> Actor:
    if not isinstance(by, Actor):
        raise InvalidInputError(f"{command}: by must be an Actor (got {type(by).__name__})")
    return by


def check_time(command: str, at: object, last: datetime | None, what: str = "case") -> datetime:
    moment = require_aware(at, f"{command}: at")
    if last is not None and moment < last:
        raise InvalidInputError(f"{command}: at is earlier than the {what}'s last event")
    return moment


def check_text(command: str, name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(
            f"{command}: {name} must be a non-empty string (got {type(value).__name__})"
        )
    return value


def check_optional_text(command: str, name: str, value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise InvalidInputError(
            f"{command}: {name} must be a string or None (got {type(value).__name__})"
        )


def check_process(command: str, process: object) -> ProcessDefinition | None:
    if process is not None and not isinstance(process, ProcessDefinition):
        raise InvalidInputError(
            f"{command}: process must be a ProcessDefinition (got {type(process).__name__})"
        )
    return process


def check_fields(command: str, fields: object, reserved: frozenset[str]) -> dict[str, Any]:
    """The host's extra fields: JSON data under string keys that do not shadow the aggregate's
    own values (guards read those under their names); copied."""
    if fields is None:
        return {}
    if not isinstance(fields, Mapping) or not all(isinstance(k, str) for k in fields):
        raise InvalidInputError(
            f"{command}: fields must be a mapping with string keys (got {type(fields).__name__})"
        )
    clash = sorted(k for k in fields if k in reserved)
    if clash:
        raise InvalidInputError(f"{command}: fields may not redefine {', '.join(clash)}")
    return json_payload(f"{command}: fields", fields)  # type: ignore[no-any-return]


# -- state from events (shared by commands and replay) ---------------------------------------


def created_state(kind: AggregateKind, ev: Event, process: ProcessDefinition) -> dict[str, Any]:
    state = kind.initial(ev, process)
    state[kind.status_key] = ev.implied_status or process.initial.id
    state[kind.since_key] = ev.at
    state["updated_at"] = ev.at
    state["version"] = 1
    state["history"] = (ev,)
    return state


def apply(kind: AggregateKind, state: dict[str, Any], ev: Event) -> None:
    """Apply one (already checked) event: the aggregate's mutator, then the status it implies,
    the instants and the version."""
    mutate = kind.mutators.get(type(ev))
    if mutate is not None:
        mutate(state, ev)
    new_status = ev.implied_status
    at = ev.at
    if new_status is not None and new_status != state[kind.status_key]:
        state[kind.status_key] = new_status
        state[kind.since_key] = at
    state["updated_at"] = at
    state["version"] += 1


def execute(kind: AggregateKind, current: Mapping[str, Any], process: ProcessDefinition,
            command: str, *, at: datetime, by: Actor, arguments: dict[str, Any],
            host: dict[str, Any], refuse: str | None = None,
            provided: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Check a command, then record it: the new state (with the new events in its history).

    ``arguments`` are the command's own values (the event's attributes), ``host`` the
    host's extra fields (checked already), ``refuse`` a reason the caller found to reject
    (checked after the roles), ``provided`` what the process's required fields are looked up
    in (default: the arguments and fields together).
    """
    status_key = kind.status_key
    status = current[status_key]
    check_actor(command, by)
    at = check_time(command, at, current["updated_at"], kind.name)
    table = process.table
    candidates = table.candidates(status, command)
    if not candidates:
        if not any(t.event == command for t in process.transitions):
            raise TransitionRejected(command, status,
                                     f"the {process.name} process has no {command!r} event")
        raise TransitionRejected(command, status, f"no {command!r} transition from {status!r}")
    permitted = authorise(command, status, candidates, by, owner=current[kind.owner_key],
                          process=process, what=kind.name)
    spec = kind.commands.get(command)
    if refuse is None and spec is not None and spec.check is not None:
        refuse = spec.check(current, arguments)
    if refuse is not None:
        raise TransitionRejected(command, status, refuse)
    transition = choose(command, status, permitted,
                        lambda: kind.facts(current, host, arguments, at))
    if transition.requires:
        look = provided if provided is not None else {**host, **arguments}
        missing = [f for f in transition.requires if look.get(f) in (None, "")]
        if missing:
            raise InvalidInputError(
                f"{command} in state {status!r}: requires {', '.join(missing)}"
            )
    stream = current["history"][0].stream_id
    target = transition.target or status
    common = {"event_id": time_ordered_id(at), "stream_id": stream, "at": at, "by": by.id,
              "fields": host}
    if spec is None:
        first: Event = StatusChanged.trusted(status=target, event=command, **common)
    else:
        first = spec.event.trusted(**arguments, **common)
    events = [first]
    implied = first.implied_status
    if (implied or status) != target:  # the event does not say where the case went
        events.append(StatusChanged.trusted(
            event_id=time_ordered_id(at), stream_id=stream, at=at, by=by.id, fields={},
            status=target, event=command))
    state = dict(current)
    for ev in events:
        apply(kind, state, ev)
    state["history"] = current["history"] + tuple(events)
    return state


# -- replay -----------------------------------------------------------------------------------


def _history_error(index: int, ev: object, reason: str) -> InvalidInputError:
    kind = type(ev).__name__
    return InvalidInputError(f"history[{index}] ({kind}): {reason}")


def fold(kind: AggregateKind, events: tuple[Event, ...],  # noqa: PLR0915 - the bulk path
         process: ProcessDefinition) -> dict[str, Any]:
    """Replay: check every event against the process and apply it."""
    what = kind.name
    created = kind.created
    if not events:
        raise InvalidInputError(f"history is empty; a {what} starts with {created.__name__}")
    first = events[0]
    if type(first) is not created:
        raise _history_error(0, first, f"a {what}'s history starts with {created.__name__}")
    state = created_state(kind, first, process)
    state["history"] = events
    stream = first.stream_id
    candidates = process.table.candidates
    by_event = kind.by_event
    commands = kind.commands
    mutators = kind.mutators
    status_key = kind.status_key
    since_key = kind.since_key
    last_at = first.at
    companion: tuple[str, str] | None = None  # (command, status) a StatusChanged must record
    previous: Event = first  # the event a companion StatusChanged belongs to
    seen = {first.event_id}
    for index in range(1, len(events)):
        ev = events[index]
        cls = type(ev)
        spec = by_event.get(cls)
        if spec is None and cls is not StatusChanged:
            if not isinstance(ev, Event) or cls is created:
                raise _history_error(index, ev, f"not an event a {what} records after its "
                                                "start")
            raise _history_error(index, ev, f"not an event a {what} records")
        if ev.stream_id != stream:
            raise _history_error(index, ev, f"belongs to another {what}")
        at = ev.at
        if at < last_at:
            raise _history_error(index, ev, "is earlier than the event before it")
        last_at = at
        event_id = ev.event_id
        if event_id in seen:
            raise _history_error(index, ev, "repeats an event id")
        seen.add(event_id)
        status = state[status_key]
        if companion is not None:
            if (spec is not None or ev.event != companion[0]  # type: ignore[attr-defined]
                    or ev.status != companion[1]  # type: ignore[attr-defined]
                    or at != previous.at or ev.by != previous.by):
                raise _history_error(index, ev, f"expected the StatusChanged of "
                                                f"{companion[0]} to {companion[1]!r}")
            companion = None
            new_status = ev.status  # type: ignore[attr-defined]
            if new_status != status:
                state[status_key] = new_status
                state[since_key] = at
            state["updated_at"] = at
            state["version"] += 1
            continue
        previous = ev
        # the common case inline: one unguarded move and no rule of the command's own
        if spec is not None:
            command = spec.name
            moves = candidates(status, command) if spec.check is None else ()
            new_status = spec.implies
        else:
            command = ev.event  # type: ignore[attr-defined]
            moves = (candidates(status, command)
                     if command is not None and command not in commands else ())
            new_status = ev.status  # type: ignore[attr-defined]
        if len(moves) == 1 and moves[0].guard is None:
            target = moves[0].target or status
        else:
            command, target = _replay_move(kind, events, index, state=state, spec=spec,
                                           candidates=candidates)
        # apply (inlined: the bulk path; the engine's apply() does the same)
        mutate = mutators.get(cls)
        if mutate is not None:
            mutate(state, ev)
        if new_status is not None and new_status != status:
            state[status_key] = new_status
            state[since_key] = at
        else:
            new_status = status
        state["updated_at"] = at
        state["version"] += 1
        if new_status != target:
            if spec is None:
                raise _history_error(index, ev, f"{command} leads to {target!r}")
            companion = (command, target)
    if companion is not None:
        raise _history_error(len(events), None, f"missing the StatusChanged of {companion[0]}")
    return state


def _replay_move(kind: AggregateKind, events: tuple[Event, ...], index: int, *,
                 state: Mapping[str, Any], spec: CommandSpec | None,
                 candidates: Callable[[str, str], tuple[TransitionDef, ...]]
                 ) -> tuple[str, str]:
    """The command an event records and the state the process says it leads to.

    Where several transitions could have fired (the live command chose by the actor's roles,
    which events do not keep), the one leading where the history says the case went is it.
    """
    ev = events[index]
    status = state[kind.status_key]
    if spec is None:
        if type(ev) is not StatusChanged:
            raise _history_error(index, ev, f"not an event a {kind.name} records")
        command = ev.event
        if command is None or command in kind.commands:
            raise _history_error(index, ev, "a status change without its transition")
        arguments: dict[str, Any] = {}
    else:
        command = spec.name
        arguments = {name: getattr(ev, name) for name in spec.arguments}
        if spec.check is not None:
            refused = spec.check(state, arguments)
            if refused is not None:
                raise _history_error(index, ev, refused)
    moves = candidates(status, command)
    if not moves:
        raise _history_error(index, ev, f"{command} is not allowed in state {status!r}")
    if len(moves) == 1 and moves[0].guard is None:
        move = moves[0]
    else:
        facts = kind.facts(state, ev.fields, arguments, ev.at)
        held = [t for t in moves if t.guard is None or t.guard.predicate(facts)]
        if not held:
            raise _history_error(index, ev, f"{command} in state {status!r}: no guard holds")
        move = held[0]
        if len(held) > 1:
            went = _recorded_target(events, index, command, status)
            move = next((t for t in held if (t.target or status) == went), move)
    return command, move.target or status


def _recorded_target(events: tuple[Event, ...], index: int, command: str, status: str) -> str:
    """Where the history says event ``index`` took the case."""
    ev = events[index]
    if type(ev) is StatusChanged:
        return ev.status
    nxt = events[index + 1] if index + 1 < len(events) else None
    if (type(nxt) is StatusChanged and nxt.event == command and nxt.at == ev.at
            and nxt.by == ev.by):
        return nxt.status
    return ev.implied_status or status


# -- the aggregate base ---------------------------------------------------------------------


class Aggregate(ValueModel):
    """Base of the event-sourced aggregates: a value built by the engine, never validated twice.

    Subclasses declare their fields and a ``kind`` (:class:`AggregateKind`); they get the
    process queries, timeouts, SLA reports and replay from here. ``stream_id``, ``version``
    and ``history`` are what a :class:`~servicekit.repository.Repository` needs.
    """

    kind: ClassVar[AggregateKind]
    _field_names: ClassVar[frozenset[str]] = frozenset()

    version: int = Field(description="the number of events in the history")
    history: tuple[Event, ...]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._field_names = frozenset(cls.model_fields)

    @classmethod
    def default_process(cls) -> ProcessDefinition:
        raise InvalidInputError(f"{cls.__name__} needs a process")

    # -- the fast path --------------------------------------------------------------------

    @classmethod
    def _build(cls, state: dict[str, Any], process: ProcessDefinition | None) -> Self:
        """An aggregate from checked state, without validating again."""
        obj = cls.__new__(cls)
        object.__setattr__(obj, "__dict__", state)
        object.__setattr__(obj, "__pydantic_fields_set__", set(cls._field_names))
        object.__setattr__(obj, "__pydantic_extra__", None)
        object.__setattr__(obj, "__pydantic_private__", {"_process": process})
        return obj

    @classmethod
    def _replay(cls, command: str, history: Iterable[Event],
                process: ProcessDefinition | None) -> Self:
        check_process(command, process)
        if type(history) is tuple:  # the common case (an aggregate's own history)
            events: tuple[Event, ...] = history
        elif isinstance(history, (str, bytes, Mapping)) or not isinstance(history, Iterable):
            raise InvalidInputError(
                f"{command}: history must be an iterable of events (got {type(history).__name__})"
            )
        else:
            events = tuple(history)
        return cls._build(fold(cls.kind, events, process or cls.default_process()), process)

    def _run(self, command: str, at: datetime, by: Actor, arguments: dict[str, Any],
             host: dict[str, Any], *, refuse: str | None = None,
             provided: Mapping[str, Any] | None = None) -> Self:
        private = self.__pydantic_private__
        own = private.get("_process") if private else None
        state = execute(self.kind, self.__dict__, self.process, command, at=at, by=by,
                        arguments=arguments, host=host, refuse=refuse, provided=provided)
        return self._build(state, own)

    # -- queries ----------------------------------------------------------------------------

    @property
    def stream_id(self) -> str:
        """The id of the aggregate's event stream."""
        return self.history[0].stream_id

    @property
    def process(self) -> ProcessDefinition:
        """The process definition this aggregate runs on."""
        private = self.__pydantic_private__
        process = private.get("_process") if private else None
        return process if process is not None else self.default_process()

    @property
    def _status(self) -> str:
        return self.__dict__[self.kind.status_key]  # type: ignore[no-any-return]

    @property
    def status_label(self) -> str:
        return self.process.state(self._status).label

    @property
    def status_label_zh(self) -> str:
        return self.process.state(self._status).label_zh

    @property
    def is_final(self) -> bool:
        return self.process.state(self._status).final

    @property
    def timeout_due_at(self) -> datetime | None:
        """When the current state's timeout event falls due (``None`` if it has none)."""
        timeout = self.process.state(self._status).timeout
        since = self.__dict__[self.kind.since_key]
        return None if timeout is None else later(since, timeout.after)

    def allowed_commands(self, actor: Actor | None = None) -> tuple[str, ...]:
        """The commands the process offers in the current state (to ``actor``'s roles).

        Guards are not evaluated: a listed command may still be rejected by its condition.
        """
        process = self.process
        table = process.table
        status = self._status
        owner = self.__dict__[self.kind.owner_key]
        return tuple(e for e in table.events_from(status)
                     if actor is None or offered(table.candidates(status, e), actor, owner,
                                                 process))

    def sla(self, policy: SlaPolicy, now: datetime) -> SlaReport:
        """The SLA report of this aggregate at ``now`` (:func:`servicekit.sla.evaluate`)."""
        from servicekit.sla import evaluate

        return evaluate(policy, self.history, now)

    def _due_timeout(self, now: datetime) -> tuple[str, datetime] | None:
        """The current state's timeout event and the instant to fire it at, if due."""
        now = check_time("apply_timeouts", now, None)
        due = self.timeout_due_at
        if due is None or due > now:
            return None
        timeout = self.process.state(self._status).timeout
        assert timeout is not None
        return timeout.event, max(due, self.__dict__["updated_at"])

    @staticmethod
    def check_event_name(command: str, event: object) -> str:
        if not isinstance(event, str) or not IDENTIFIER.match(event):
            raise InvalidInputError(
                f"{command}: event must be an event name: lower-case letters, digits and _ "
                f"(got {type(event).__name__})"
            )
        return event
