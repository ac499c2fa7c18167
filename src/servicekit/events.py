"""The open event vocabulary: what happened to a case (a ticket, a complaint, any process), when.

Events are frozen pydantic models with an ``event_id`` (a fresh UUID unless the host gives
one), the ``stream_id`` of the aggregate they belong to (``ticket_id`` is accepted on input and
readable, so histories stored before the rename still load) and ``at``, a timezone-aware
instant. The aggregates emit them; hosts can also build them from their own data (an export of a
help desk, a message stream) and hand them to the SLA engine.

The vocabulary is open: every subclass of :class:`Event` registers itself under its ``type``
(the ``type`` field's literal, or the class name), so a host's own event round-trips through
``Event.from_dict(ev.to_dict())`` without editing a list. The status an event implies is
declared on its class (``implies``) or, for events that carry it, read from the event
(:attr:`Event.implied_status`): the SLA engine and the aggregates read it from there.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from copy import deepcopy
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import count
from os import urandom
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Self
from uuid import uuid4
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    AliasChoices,
    AwareDatetime,
    BeforeValidator,
    Field,
    JsonValue,
    SerializeAsAny,
    SerializerFunctionWrapHandler,
    ValidationError,
    WrapSerializer,
)
from pydantic_core import PydanticUndefined

from servicekit._instant import ZONE_KEY, settle, zone_key
from servicekit._model import NameSet, ValueModel, describe_validation_error
from servicekit._payload import FrozenDict, frozen_valid
from servicekit.errors import InvalidInputError, Problem, ServiceKitError

__all__ = [
    "COMPLAINT_EVENT_TYPES",
    "EVENT_TYPES",
    "AgentReplied",
    "AnyEvent",
    "CaseStarted",
    "ComplaintAcknowledged",
    "ComplaintAnalysed",
    "ComplaintClosed",
    "ComplaintEscalated",
    "ComplaintHandled",
    "ComplaintLoopClosed",
    "ComplaintReopened",
    "ComplaintWithdrawn",
    "CustomerReplied",
    "Event",
    "FeedbackRecorded",
    "PriorityChanged",
    "RemedyOwed",
    "ReturnVisitRecorded",
    "SolutionProposed",
    "StageReached",
    "StatusChanged",
    "TicketAssigned",
    "TicketCancelled",
    "TicketClosed",
    "TicketCreated",
    "TicketEscalated",
    "TicketReopened",
    "TicketResolved",
    "event_class",
    "event_types",
    "time_ordered_id",
]


def _new_id() -> str:
    return str(uuid4())


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


class _Ids:
    """The random part of :func:`time_ordered_id`: 42 random bits drawn once per process and a
    32-bit counter from a random start (RFC 9562's UUIDv7 with a dedicated counter). Drawn
    again in a forked child, so parent and child never share a sequence."""

    __slots__ = ("count", "high", "low")

    def __init__(self) -> None:
        self.reseed()

    def reseed(self) -> None:
        node = int.from_bytes(urandom(6)) & ((1 << 42) - 1)
        self.high = node >> 30  # 12 bits: rand_a
        self.low = (0x8000 | ((node >> 16) & 0x3FFF), (node & 0xFFFF) << 32)  # variant 10
        self.count = count(int.from_bytes(urandom(4)))


_IDS = _Ids()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_IDS.reseed)


def time_ordered_id(at: datetime) -> str:
    """A UUID version 7 whose time part is ``at`` (to the millisecond).

    Ids made by the aggregates sort by the instant of their event and cost half a ``uuid4``
    (no UUID object, no system call per id). ``at`` is the event's own instant, so no clock
    is read; the rest is random per process plus a counter, so ids never repeat.
    """
    ms = (at - _EPOCH) // _MS
    if not 0 <= ms < 1 << 48:  # before 1970 or after 10889: the time part cannot hold it
        return _new_id()
    ids = _IDS
    variant, node = ids.low
    return "%08x-%04x-7%03x-%04x-%012x" % (  # noqa: UP031 - the fastest formatting here
        ms >> 16, ms & 0xFFFF, ids.high, variant, node | (next(ids.count) & 0xFFFFFFFF))


_MINUTE = timedelta(minutes=1)


_SUFFIXED = re.compile(r"(.{1,64})\[([^\]]{1,128})\]\Z", re.DOTALL)


def _instant_json(value: datetime, handler: SerializerFunctionWrapHandler) -> Any:
    """JSON keeps the offset to the minute and, for an instant in an IANA zone, the zone's key
    after it (RFC 9557: ``2026-11-01T01:30:00-05:00[America/New_York]``), so the instant reads
    back equal, in its zone, in a repeated DST hour too. An offset with seconds (local mean
    time before 1901, for instance) is written in UTC instead."""
    offset = value.utcoffset()
    if offset is not None and offset % _MINUTE:
        return handler(value.astimezone(UTC))
    key = zone_key(value)
    text = handler(value)
    return f"{text}[{key}]" if key is not None and isinstance(text, str) else text


def _read_suffixed(value: Any) -> Any:
    """Read the RFC 9557 form :func:`_instant_json` writes: the instant (its offset decides),
    presented in the named zone. Other input goes to pydantic's datetime parsing."""
    if not isinstance(value, str) or not value.endswith("]"):
        return value
    found = _SUFFIXED.match(value)
    if found is None:
        raise ValueError("an instant with a zone is written 'ISO-8601 offset[Zone/Key]'")
    text, key = found.groups()
    if not ZONE_KEY.match(key):
        raise ValueError("the zone in brackets is not an IANA time-zone key")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("the instant before the zone is not ISO 8601") from None
    if moment.tzinfo is None:
        raise ValueError("the instant before the zone has no offset")
    try:
        zone = ZoneInfo(key)
    except (KeyError, ValueError, OSError):
        raise ValueError("the zone in brackets is not a known time zone") from None
    return moment.astimezone(zone)


def _plain(value: datetime) -> datetime:
    """A pendulum ``DateTime`` (any aware subclass) becomes the equal plain ``datetime``, so
    events compare, serialise and feed the SLA engine the same whatever the host used; a wall
    time its zone skips, or a fold its offset contradicts, is spelled as the zone spells the
    instant (:func:`~servicekit._instant.settle`)."""
    if type(value) is not datetime:
        from servicekit.calendar import require_aware  # only for subclasses: events stay light

        value = require_aware(value, "at")
    return settle(value)


Instant = Annotated[AwareDatetime, BeforeValidator(_read_suffixed), AfterValidator(_plain),
                    WrapSerializer(_instant_json, when_used="json")]

#: JSON data an event carries: checked (64-bit integers, finite numbers, at most 64 levels)
#: and read-only (:class:`~servicekit._payload.FrozenDict`), so a recorded event cannot be
#: changed through it and every store gives it back equal
Payload = Annotated[dict[str, JsonValue], AfterValidator(frozen_valid)]

_ROLE_SETS: dict[frozenset[str], frozenset[str]] = {}


def _interned(roles: frozenset[str] | None) -> frozenset[str] | None:
    """One object per role set: events read from a store share it with live ones, so replay
    tells consecutive actors apart by identity and hashes each set once (bounded)."""
    if roles is None:
        return None
    found = _ROLE_SETS.get(roles)
    if found is None:
        if len(_ROLE_SETS) >= 1024:
            _ROLE_SETS.clear()
        found = _ROLE_SETS[roles] = roles
    return found


_REGISTRY: dict[str, type[Event]] = {}
_IMMUTABLE = (str, int, float, bool, type(None), tuple, frozenset, datetime, timedelta)


class Event(ValueModel):
    """Common fields of every event.

    Subclass it for a host's own events; give the subclass a ``type: Literal["Name"] = "Name"``
    field (or none: the class name is its type) and, if the event moves the aggregate to a
    status, ``implies = "status"``.
    """

    error_class: ClassVar[type[ServiceKitError]] = InvalidInputError
    #: the status this kind of event puts the aggregate in (None: it does not move it)
    implies: ClassVar[str | None] = None
    #: the event's attributes that change the facts SLA targets and remedies are chosen by
    #: (a ``PriorityChanged`` sets ``priority``): the SLA engine copies them into its facts
    #: and re-targets the running clocks
    sets_facts: ClassVar[tuple[str, ...]] = ()
    #: the name the class is registered under (``to_dict``'s ``type``)
    event_type: ClassVar[str] = "Event"
    #: the field values a trusted construction starts from, in field order
    _template: ClassVar[dict[str, Any]] = {}
    #: fields whose default is built per event (a fresh dict), outside the template
    _factories: ClassVar[tuple[tuple[str, Any], ...]] = ()
    _field_names: ClassVar[frozenset[str]] = frozenset()

    event_id: str = Field(default_factory=_new_id, min_length=1)
    stream_id: str = Field(
        min_length=1, validation_alias=AliasChoices("stream_id", "ticket_id"),
        description="the aggregate the event belongs to (a ticket id, a case id)",
    )
    at: Instant
    by: str | None = Field(default=None, description="id of the actor who did it (P-08)")
    roles: Annotated[NameSet | None, AfterValidator(_interned)] = Field(
        default=None, description="the roles the actor acted in (P-08: replay checks them)")
    fields: Payload = Field(
        default_factory=FrozenDict,
        description="extra data the command carried (JSON values, so any store keeps them; "
                    "read-only)",
    )

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.__pydantic_generic_metadata__["origin"] is not None:
            return  # Box[int] of a generic Box: the generic class is the registered one
        declared = cls.model_fields.get("type")
        name = declared.default if declared is not None else cls.__name__
        if not isinstance(name, str) or not name:
            raise TypeError(f"{cls.__qualname__}: an event's type is a non-empty string")
        known = _REGISTRY.get(name)
        if known is not None and (known.__module__, known.__qualname__) != (
                cls.__module__, cls.__qualname__):
            # a second class under one name (a subclass inheriting its parent's type, too)
            # would make from_dict build the wrong one
            where = ("is built in" if known.__module__ == __name__
                     else f"is registered already by {known.__module__}.{known.__qualname__}")
            raise TypeError(f"{cls.__qualname__}: the event type {name!r} {where}; give the "
                            "class a type: Literal[...] field of its own")
        cls.event_type = name
        template: dict[str, Any] = {}
        factories: list[tuple[str, Any]] = []
        for field, info in cls.model_fields.items():
            default = info.default
            if info.default_factory is not None:
                factories.append((field, info.default_factory))
                template[field] = None
            elif default is PydanticUndefined or isinstance(default, _IMMUTABLE):
                template[field] = None if default is PydanticUndefined else default
            else:  # a mutable default is copied per event, as validation does
                factories.append((field, partial(deepcopy, default)))
                template[field] = None
        cls._template = template
        cls._factories = tuple(factories)
        cls._field_names = frozenset(template)
        _REGISTRY[name] = cls

    @classmethod
    def _raise(cls, exc: ValidationError) -> ServiceKitError:
        """As every value model's (which already writes an unknown key as ``(unknown field)``),
        and a key inside ``fields`` or ``attributes`` reads ``*`` even when it looks like an
        identifier (a payload's keys are free text a caller chose: they may be personal data)."""
        problems = []
        for problem in describe_validation_error(exc):
            loc = list(problem.loc)
            if len(loc) > 1 and loc[0] in ("fields", "attributes"):
                loc[1:] = ["*" if isinstance(part, str) else part for part in loc[1:]]
            problems.append(Problem(tuple(loc), problem.type, problem.msg))
        return cls._error_of(problems)

    @property
    def ticket_id(self) -> str:
        """The stream id under its former name (events of tickets were keyed by ticket)."""
        return self.stream_id

    @property
    def implied_status(self) -> str | None:
        """The status this event puts its aggregate in, or None if it does not move it."""
        return self.implies

    @property
    def selector(self) -> str:
        """The name metrics match on: the type, qualified where the event has a qualifier."""
        return self.event_type

    @classmethod
    def _trusted(cls, **values: Any) -> Self:
        """Build an event from values an aggregate has already checked, without validating
        them again (the engine's command path; every name given must be a field). Fields not
        given take their defaults."""
        data = dict(cls._template)
        for field, factory in cls._factories:
            if field not in values:
                data[field] = factory()
        data.update(values)
        event = cls.__new__(cls)
        object.__setattr__(event, "__dict__", data)
        object.__setattr__(event, "__pydantic_fields_set__", set(cls._field_names))
        object.__setattr__(event, "__pydantic_extra__", None)
        object.__setattr__(event, "__pydantic_private__", None)
        return event

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with ``update`` applied, validated as a new event is (pydantic's own copy
        skips validation: a payload would stay mutable and unchecked, roles a plain set);
        ``ticket_id`` in ``update`` is read as ``stream_id``. Without ``update``, the event
        itself: it is immutable."""
        if not update:
            return self
        data = dict(self.__dict__)
        for key, value in update.items():
            data["stream_id" if key == "ticket_id" else key] = value
        return self.model_validate(data)

    def to_dict(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data.setdefault("type", self.event_type)
        return data

    @staticmethod
    def from_dict(data: Any) -> Event:
        """Build the right event class from its ``type`` (e.g. from ``to_dict`` output).

        ``ticket_id`` is read as ``stream_id``. The message of a failure names the location
        and type of what is wrong, never the values (nor an unknown type's name).
        """
        if not isinstance(data, Mapping):
            raise InvalidInputError(
                f"invalid event: expected a mapping (got {type(data).__name__})"
            )
        kind = data.get("type")
        cls = _REGISTRY.get(kind) if isinstance(kind, str) else None
        if cls is None:
            raise InvalidInputError("invalid event: type: not a registered event type "
                                    f"(got {type(kind).__name__})")
        if "type" not in cls.model_fields:
            data = {k: v for k, v in data.items() if k != "type"}
        return cls.model_validate(data)


def event_class(name: str) -> type[Event]:
    """The event class registered under ``name``; ``InvalidInputError`` if there is none."""
    found = _REGISTRY.get(name) if isinstance(name, str) else None
    if found is None:
        raise InvalidInputError("not a registered event type")
    return found


def event_types() -> tuple[str, ...]:
    """The names of every registered event type (built-in and the host's), sorted."""
    return tuple(sorted(_REGISTRY))


class TicketCreated(Event):
    """A ticket was opened: the facts SLA targets are chosen by."""

    implies = "new"

    type: Literal["TicketCreated"] = "TicketCreated"
    priority: str = Field(min_length=1)
    customer_id: str | None = None
    channel: str | None = None
    category: str | None = None
    subject: str | None = None
    customer_tier: str | None = None
    attributes: Payload = Field(default_factory=FrozenDict)


class CaseStarted(Event):
    """A case of a process was started (any :class:`~servicekit.processes.ProcessDefinition`):
    ``process`` names the definition, ``state`` is its initial state, ``fields`` the case's
    first data. Metrics select it as ``CaseStarted`` or ``CaseStarted:<process>``."""

    type: Literal["CaseStarted"] = "CaseStarted"
    process: str = Field(min_length=1)
    state: str = Field(min_length=1)
    customer_id: str | None = None

    @property
    def implied_status(self) -> str | None:
        return self.state

    @property
    def selector(self) -> str:
        return f"CaseStarted:{self.process}"


class StatusChanged(Event):
    """The status became ``status``; ``event`` names the process transition that moved it."""

    type: Literal["StatusChanged"] = "StatusChanged"
    status: str = Field(min_length=1)
    event: str | None = None

    @property
    def implied_status(self) -> str | None:
        return self.status

    @property
    def selector(self) -> str:
        return f"StatusChanged:{self.status}"


class AgentReplied(Event):
    type: Literal["AgentReplied"] = "AgentReplied"
    public: bool = True

    @property
    def selector(self) -> str:
        return "AgentReplied:public" if self.public else "AgentReplied:private"


class CustomerReplied(Event):
    type: Literal["CustomerReplied"] = "CustomerReplied"


class PriorityChanged(Event):
    sets_facts: ClassVar[tuple[str, ...]] = ("priority",)

    type: Literal["PriorityChanged"] = "PriorityChanged"
    priority: str = Field(min_length=1)
    reason: str | None = None


class TicketAssigned(Event):
    type: Literal["TicketAssigned"] = "TicketAssigned"
    assignee: str = Field(min_length=1)


class TicketEscalated(Event):
    """The ticket was escalated to ``level`` (1 = first level of the chain, S-11)."""

    type: Literal["TicketEscalated"] = "TicketEscalated"
    level: int = Field(ge=1)
    reason: str | None = None


class TicketResolved(Event):
    implies = "resolved"

    type: Literal["TicketResolved"] = "TicketResolved"
    resolution: str | None = None


class TicketReopened(Event):
    implies = "open"

    type: Literal["TicketReopened"] = "TicketReopened"


class TicketClosed(Event):
    implies = "closed"

    type: Literal["TicketClosed"] = "TicketClosed"


class TicketCancelled(Event):
    implies = "cancelled"

    type: Literal["TicketCancelled"] = "TicketCancelled"
    reason: str | None = None


class StageReached(Event):
    """A process stage was reached (``StageReached:<stage>`` for metrics)."""

    type: Literal["StageReached"] = "StageReached"
    stage: str = Field(min_length=1)

    @property
    def selector(self) -> str:
        return f"StageReached:{self.stage}"


def _any_event(value: Any) -> Any:
    return Event.from_dict(value) if isinstance(value, Mapping) else value


#: Any registered event, as a pydantic field type: a mapping is read by its ``type`` through
#: the registry (``Event.from_dict``), and the event is written out with its own fields.
AnyEvent = Annotated[SerializeAsAny[Event], BeforeValidator(_any_event)]

#: The built-in event types of tickets and cases, in the order they are defined here (the
#: complaint's are :data:`COMPLAINT_EVENT_TYPES`; a host's own types are in
#: :func:`event_types`).
EVENT_TYPES: tuple[str, ...] = tuple(_REGISTRY)

# The complaint's events are part of the vocabulary: registered whenever events are, so a
# stored complaint history loads without importing servicekit.complaints. They subclass
# Event, so their module imports this one: whichever of the two is imported first, the
# other completes it, and the names below are read from it when first asked for.
if TYPE_CHECKING:
    from servicekit._complaint_events import (
        COMPLAINT_EVENT_TYPES,
        ComplaintAcknowledged,
        ComplaintAnalysed,
        ComplaintClosed,
        ComplaintEscalated,
        ComplaintHandled,
        ComplaintLoopClosed,
        ComplaintReopened,
        ComplaintWithdrawn,
        FeedbackRecorded,
        RemedyOwed,
        ReturnVisitRecorded,
        SolutionProposed,
    )

from servicekit import _complaint_events  # noqa: E402

#: the names this module lends from the complaint's (its ``__all__``: a test keeps them equal)
_COMPLAINT_NAMES = frozenset({
    "COMPLAINT_EVENT_TYPES", "ComplaintAcknowledged", "ComplaintAnalysed", "ComplaintClosed",
    "ComplaintEscalated", "ComplaintHandled", "ComplaintLoopClosed", "ComplaintReopened",
    "ComplaintWithdrawn", "FeedbackRecorded", "RemedyOwed", "ReturnVisitRecorded",
    "SolutionProposed"})


def __getattr__(name: str) -> Any:
    if name in _COMPLAINT_NAMES:
        return getattr(_complaint_events, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
