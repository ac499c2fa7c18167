"""The base of the event-sourced aggregates (``Ticket``, ``Case``, and the flows to come)."""

from __future__ import annotations

import typing
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self

from pydantic import Field, PlainSerializer, SerializationInfo, model_validator

from servicekit._model import ValueModel
from servicekit.engine._rules import (
    Actor,
    AggregateKind,
    check_fields,
    check_process,
    check_time,
    later,
    offered,
)
from servicekit.engine._run import execute, fold
from servicekit.errors import InvalidInputError
from servicekit.events import AnyEvent, Event
from servicekit.processes import IDENTIFIER, ProcessDefinition
from servicekit.rules._json import document, json_ready, obj, schema_of

if TYPE_CHECKING:
    from servicekit.sla import SlaPolicy, SlaReport

__all__ = ["Aggregate"]

_set = object.__setattr__


def _event_out(event: Event, info: SerializationInfo) -> Any:
    """An event of a history as the event itself writes it (its own fields, its ``type``), so
    a dumped aggregate loads back with the same events."""
    data = event.model_dump(mode=info.mode)
    data.setdefault("type", event.event_type)
    return data


#: an event of an aggregate's history: read by its ``type`` (a mapping through the registry),
#: written with its own fields and type
HistoryEvent = Annotated[AnyEvent, PlainSerializer(_event_out)]

#: the derived values every aggregate's JSON form carries beside its own (properties)
_BASE_DERIVED = ("timeout_due_at", "is_final", "status_label", "status_label_zh")
#: (name, type, description) of each value of a class's JSON form, found once per class
_JSON_FORMS: dict[type, tuple[tuple[str, Any, str | None], ...]] = {}


class Aggregate(ValueModel):
    """Base of the event-sourced aggregates: a value built by the engine, never validated twice.

    Subclasses declare their fields and a ``kind`` (:class:`AggregateKind`); they get the
    process queries, timeouts, SLA reports and replay from here. ``stream_id``, ``version``
    and ``history`` are what a :class:`~servicekit.repository.Repository` needs.
    """

    kind: ClassVar[AggregateKind]
    _field_names: ClassVar[frozenset[str]] = frozenset()
    _fields_set: ClassVar[set[str]] = set()

    version: int = Field(description="the number of events in the history")
    history: tuple[HistoryEvent, ...]

    @model_validator(mode="before")
    @classmethod
    def _derived_values_are_not_input(cls, data: Any) -> Any:
        """A dump carries the derived values (the computed fields: a ticket's
        ``first_contact_resolution``, ``timeout_due_at`` …) beside the fields; loading it
        ignores them, since the aggregate computes them from its state again."""
        computed = cls.model_computed_fields
        if isinstance(data, Mapping) and any(key in computed for key in data):
            return {k: v for k, v in data.items() if k not in computed}
        return data

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._field_names = frozenset(cls.model_fields)
        cls._fields_set = set(cls._field_names)
        cls._reserved = cls._field_names | {"at"} | cls._derived

    #: names a guard reads beyond the fields (reserved in the host's fields too)
    _derived: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def default_process(cls) -> ProcessDefinition:
        raise InvalidInputError(f"{cls.__name__} needs a process")

    # -- the fast path --------------------------------------------------------------------

    @classmethod
    def _build(cls, state: dict[str, Any], process: ProcessDefinition | None) -> Self:
        """An aggregate from checked state, without validating again."""
        obj = cls.__new__(cls)
        _set(obj, "__dict__", state)
        # one set per class: pydantic copies it before changing it (model_copy), and nothing
        # else writes it
        _set(obj, "__pydantic_fields_set__", cls._fields_set)
        _set(obj, "__pydantic_extra__", None)
        _set(obj, "__pydantic_private__", {"_process": process})
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
             host: dict[str, Any], *,
             provided: Mapping[str, Any] | None = None) -> Self:
        private = self.__pydantic_private__
        own = private.get("_process") if private else None
        state = execute(self.kind, self.__dict__, self.process, command, at=at, by=by,
                        arguments=arguments, host=host, provided=provided)
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

    # -- the JSON form ------------------------------------------------------------------------

    #: the class's own derived values (properties) in its JSON form, beside its computed fields
    _json_derived: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def _json_form(cls) -> tuple[tuple[str, Any, str | None], ...]:
        """(name, type, description) of each value :meth:`to_dict` writes: the fields but the
        history, the computed fields, the class's derived values, then every aggregate's."""
        found = _JSON_FORMS.get(cls)
        if found is not None:
            return found
        out: dict[str, tuple[str, Any, str | None]] = {}
        for name, info in cls.model_fields.items():
            if name != "history":
                out[name] = (name, info.annotation, info.description)
        for name, computed in cls.model_computed_fields.items():
            out[name] = (name, computed.return_type, None)
        for name in (*cls._json_derived, *_BASE_DERIVED):
            if name not in out:
                prop = getattr(cls, name)
                out[name] = (name, typing.get_type_hints(prop.fget)["return"], None)
        _JSON_FORMS[cls] = found = tuple(out.values())
        return found

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the aggregate: its fields (but the history, which its events'
        own :meth:`~servicekit.events.Event.to_dict` give), its computed fields and derived
        values (``timeout_due_at``, ``is_final``, ``status_label``, ``status_label_zh``, and
        the class's own). Only JSON data: instants as ISO 8601 text with their offset,
        durations as seconds, named tuples as objects; see :meth:`json_schema`."""
        return {name: json_ready(getattr(self, name), name) for name, _, _ in self._json_form()}

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) of :meth:`to_dict`."""
        properties: dict[str, dict[str, Any]] = {}
        for name, annotation, description in cls._json_form():
            schema = schema_of(annotation)
            properties[name] = schema if description is None else {
                **schema, "description": description}
        summary = (cls.__doc__ or cls.__name__).strip().split("\n", 1)[0]
        return document(obj(properties, title=cls.__name__, description=summary))

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

    # -- commands every aggregate has ---------------------------------------------------------

    #: names the host's fields may not take (guards read the aggregate's own values under them)
    _reserved: ClassVar[frozenset[str]] = frozenset()

    def _fields(self, command: str, fields: object) -> dict[str, Any]:
        return check_fields(command, fields, self._reserved)

    def _provided(self, data: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """Where a transition's required fields are looked up (None: the command's own)."""
        return None

    def fire(self, event: str, *, at: datetime, by: Actor,
             fields: Mapping[str, Any] | None = None) -> Self:
        """Fire any transition of the process by its event name, with the data it carries.

        Recorded as :class:`~servicekit.events.StatusChanged` naming the event. Commands that
        record an event of their own (a ticket's ``reply``, ``resolve`` …) are called by their
        method, which takes their arguments.
        """
        if not isinstance(event, str) or not IDENTIFIER.match(event):
            raise InvalidInputError(
                f"fire: event must be an event name: lower-case letters, digits and _ "
                f"(got {type(event).__name__})"
            )
        if event in self.kind.commands:
            raise InvalidInputError(
                f"fire: {event} has its own method; call {self.kind.name}.{event}()"
            )
        data = self._fields(event, fields)
        return self._run(event, at, by, {}, data, provided=self._provided(data))

    def apply_timeouts(self, now: datetime) -> Self:
        """Fire the current state's timeout event if it is due at ``now`` (by the system actor,
        at the due instant). Returns the aggregate unchanged when nothing is due."""
        now = check_time("apply_timeouts", now, None)
        due = self.timeout_due_at
        if due is None or due > now:
            return self
        timeout = self.process.state(self._status).timeout
        assert timeout is not None
        event = timeout.event
        at = max(due, self.__dict__["updated_at"])
        spec = self.kind.commands.get(event)
        if spec is None:
            return self.fire(event, at=at, by=Actor.system())
        if spec.arguments:
            raise InvalidInputError(
                f"apply_timeouts: {event} takes arguments; fire it from the host"
            )
        return self._run(event, at, Actor.system(), {}, {})
