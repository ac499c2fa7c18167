"""The rules every aggregate shares: who may act (P-08), which transition fires, valid input.

:class:`CommandSpec` and :class:`AggregateKind` describe an aggregate as data;
:func:`authorise` and :func:`choose` are the one authorisation function and the one transition
chooser, used by live commands and by replay alike; the ``check_*`` helpers validate command
arguments with messages that name the argument and its type, never its value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

from pydantic import Field

from servicekit._instant import settle
from servicekit._model import NameSet, ValueModel
from servicekit._payload import freeze_json
from servicekit.calendar import require_aware
from servicekit.errors import InvalidInputError, PermissionDenied, Problem, TransitionRejected
from servicekit.events import CaseStarted, Event, StatusChanged
from servicekit.processes import ProcessDefinition, TransitionDef

__all__ = [
    "Actor",
    "AggregateKind",
    "CommandSpec",
    "authorise",
    "check_actor",
    "check_fields",
    "check_optional_text",
    "check_process",
    "check_text",
    "check_time",
    "choose",
    "json_payload",
    "later",
    "may_start",
    "offered",
    "refusal",
    "starts",
    "starts_process",
]

_CUSTOMER = frozenset({"customer"})
#: the problem type of a command's ``at`` earlier than the aggregate's last event
OUT_OF_ORDER = "out_of_order"


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
    #: a reason the creation event cannot start this process (``None``: it can); replay
    #: checks it on the first event
    start_check: Callable[[Any, ProcessDefinition], str | None] | None = None
    #: mutable values of the state (dicts) that a command copies before applying its events,
    #: so that mutators may update them in place (replay then builds each once per aggregate)
    owned: tuple[str, ...] = ()
    status_key: str = "status"
    since_key: str = "status_since"
    owner_key: str = "customer_id"
    by_event: dict[type[Event], CommandSpec] = field(init=False)
    #: the mutators as a plain dict (the replay loop's lookup)
    apply_table: dict[type[Event], Mutator] = field(init=False)
    #: what the replay loop reads of the kind, in one tuple
    replay_plan: tuple[Any, ...] = field(init=False)

    def __post_init__(self) -> None:
        problems = list(_spec_problems(self))
        if problems:
            raise TypeError(f"AggregateKind {self.name!r}: " + "; ".join(problems))
        object.__setattr__(self, "commands", MappingProxyType(dict(self.commands)))
        object.__setattr__(self, "mutators", MappingProxyType(dict(self.mutators)))
        object.__setattr__(self, "by_event", {s.event: s for s in self.commands.values()})
        object.__setattr__(self, "apply_table", dict(self.mutators))
        object.__setattr__(self, "replay_plan", (
            self.name, self.created, self.start_check, self.by_event, self.commands,
            self.apply_table, self.status_key, self.since_key))


_ENVELOPE = frozenset({"event_id", "stream_id", "at", "by", "fields", "type"})


def _spec_problems(kind: AggregateKind) -> Iterator[str]:
    """What would make live commands and replay disagree about a kind's commands."""
    events: set[type[Event]] = set()
    for key, spec in kind.commands.items():
        event = spec.event
        if key != spec.name:
            yield f"command {key!r} is registered under another name than its spec's"
        if event in events:
            yield f"two commands record {event.__name__}"
        events.add(event)
        if event is StatusChanged or event is kind.created:
            yield f"{spec.name}: {event.__name__} is not a command's own event"
        if type.__getattribute__(event, "implied_status") is not Event.implied_status:
            yield (f"{spec.name}: {event.__name__} must declare its status as the class "
                   "attribute 'implies' (replay reads it from the class)")
        fields = event.model_fields
        for name in spec.arguments:
            if name in _ENVELOPE or name not in fields:
                yield f"{spec.name}: argument {name!r} is not a field of {event.__name__}"
        for name, info in fields.items():
            if info.is_required() and name not in _ENVELOPE and name not in spec.arguments:
                yield f"{spec.name}: {event.__name__}.{name} is required but not an argument"


# -- the shared rules ------------------------------------------------------------------------


def _staff_roles(roles: frozenset[str], process: ProcessDefinition) -> frozenset[str]:
    """The roles other than customer that the process knows (all of them if the process
    declares none)."""
    staff = roles - _CUSTOMER
    return staff & process.roles if process.roles else staff


def _as_staff(t: TransitionDef, roles: frozenset[str], process: ProcessDefinition) -> bool:
    """Whether ``roles`` may fire ``t`` through a role other than customer (the customer role
    acts only on the actor's own cases)."""
    staff = _staff_roles(roles, process)
    return bool(staff) and (not t.roles or not t.roles.isdisjoint(staff))


def _role_ok(t: TransitionDef, roles: frozenset[str]) -> bool:
    return not t.roles or not t.roles.isdisjoint(roles)


def may_start(by: Actor, owner: str | None, process: ProcessDefinition) -> bool:
    """Anyone on the staff may start a case; a customer only for themself."""
    return starts(by.roles, by.id == owner, process)


def starts(roles: frozenset[str], own: bool, process: ProcessDefinition) -> bool:
    """:func:`may_start` by the roles and whether the actor is the case's customer (what an
    event records: replay checks it)."""
    return own or bool(_staff_roles(roles, process))


def starts_process(ev: CaseStarted, process: ProcessDefinition) -> str | None:
    """Why a ``CaseStarted`` cannot start ``process`` (another process's, or not in its initial
    state), or ``None``: the start check of every aggregate created by a ``CaseStarted``."""
    if ev.process != process.name:
        return "a case of another process"
    initial = process.table.initial
    if ev.state != initial:
        return f"the {process.name} process starts in {initial!r}"
    return None


def refusal(candidates: Sequence[TransitionDef], roles: frozenset[str], own: bool,
            process: ProcessDefinition, what: str) -> tuple[list[TransitionDef], str | None]:
    """The candidates ``roles`` allow, and why an actor with them may fire none (or None);
    ``own``: the actor is the case's customer. Live commands and replay both ask this."""
    permitted = [t for t in candidates if _role_ok(t, roles)]
    if not permitted:
        names = sorted(set().union(*(t.roles for t in candidates)))
        return permitted, f"requires one of the roles {', '.join(names)}"
    if not own and not any(_as_staff(t, roles, process) for t in permitted):
        return permitted, f"a customer acts only on their own {what}s"
    return permitted, None


def authorise(command: str, status: str, candidates: Sequence[TransitionDef], by: Actor, *,
              owner: str | None, process: ProcessDefinition, what: str = "case"
              ) -> list[TransitionDef]:
    """The candidate transitions ``by`` may fire (P-08: authority is explicit).

    A transition is open to the roles it names; the customer role acts only on the actor's own
    cases. ``PermissionDenied`` if none is left.
    """
    permitted, refused = refusal(candidates, by.roles, by.id == owner, process, what)
    if refused is not None:
        raise PermissionDenied(command, status, refused)
    return permitted


def offered(candidates: Sequence[TransitionDef], by: Actor, owner: str | None,
            process: ProcessDefinition) -> bool:
    """Whether :func:`authorise` would let ``by`` fire one of ``candidates``."""
    return refusal(candidates, by.roles, by.id == owner, process, "case")[1] is None


def choose(command: str, status: str, permitted: Sequence[TransitionDef],
           facts_of: Callable[[], Mapping[str, Any]], *,
           went: Callable[[], str] | None = None) -> TransitionDef:
    """The transition that fires: the first permitted one whose guard holds.

    ``went`` (where a history says the aggregate went) picks, among several whose guards
    hold, the one leading there; replay no longer needs it, since events record the roles
    the live command chose by. ``TransitionRejected`` if no guard holds.
    """
    facts: Mapping[str, Any] | None = None
    held: list[TransitionDef] = []
    for t in permitted:
        if t.guard is not None:
            if facts is None:
                facts = facts_of()
            if not t.guard.predicate(facts):
                continue
        if went is None:
            return t
        held.append(t)
    if held:
        if len(held) > 1:
            assert went is not None  # held collects past the first only when replaying
            target = went()
            return next((t for t in held if (t.target or status) == target), held[0])
        return held[0]
    guards = "; ".join(str(t.guard) for t in permitted if t.guard is not None)
    reason = f"the condition {guards!r} does not hold"
    if command == "reopen":
        reason = f"the reopen window has passed ({guards})"
    raise TransitionRejected(command, status, reason)


def json_payload(where: str, value: object, *, loc: tuple[str | int, ...] = ()) -> Any:
    """A read-only deep copy of ``value`` if it is JSON data (str, 64-bit int, finite float,
    bool, None, lists and string-keyed mappings); ``InvalidInputError`` naming ``where``, the
    position under ``fields`` and the type otherwise (a key is named by its index: keys may be
    personal data). See :mod:`servicekit._payload`.

    Copying keeps an aggregate's events from sharing the caller's mutable objects; freezing
    keeps anyone from changing a recorded event through them.
    """
    return freeze_json(where, value, loc=("fields", *loc))


def later(moment: datetime, span: timedelta) -> datetime:
    """``moment + span`` in elapsed time (across a DST change too), in ``moment``'s zone;
    ``InvalidInputError`` if that falls outside the years a ``datetime`` holds (a timeout of
    centuries after an instant near year 9999)."""
    try:
        return (moment.astimezone(UTC) + span).astimezone(moment.tzinfo)
    except OverflowError:
        pass
    raise InvalidInputError("the instant a timeout falls due is outside the years 1 to 9999")


def check_actor(command: str, by: object) -> Actor:
    if not isinstance(by, Actor):
        raise InvalidInputError(f"{command}: by must be an Actor (got {type(by).__name__})")
    return by


#: the instant :func:`check_time` settled last, and what it settled to: an aggregate that
#: checks ``at`` before its command (to date what the command records) hands the settled
#: instant on, and the engine, checking it again, finds it here (one tuple, replaced whole:
#: safe across threads)
_LAST_SETTLED: tuple[object, datetime] = (None, datetime.min.replace(tzinfo=UTC))


def check_time(command: str, at: object, last: datetime | None, what: str = "case") -> datetime:
    global _LAST_SETTLED  # noqa: PLW0603 - a one-entry cache (see above)
    settled = _LAST_SETTLED
    if at is settled[1] or at is settled[0]:
        moment: datetime | None = settled[1]
    else:
        aware = require_aware(at, f"{command}: at")
        try:
            moment = settle(aware)
        except ValueError:
            moment = None
        if moment is None:  # raised outside the handler: nothing on __context__
            raise InvalidInputError(f"{command}: at is outside the years 1 to 9999 in UTC")
        _LAST_SETTLED = (at, moment)
    assert moment is not None
    if last is not None and moment < last:
        message = f"{command}: at is earlier than the {what}'s last event"
        # typed by its problem: a repository's retry tells it from other bad input
        raise InvalidInputError(message, problems=[Problem((), OUT_OF_ORDER, message)])
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
    return json_payload(command, fields)  # type: ignore[no-any-return]
