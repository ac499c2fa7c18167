"""Process definitions: the handbooks' workflows as data, compiled to python-statemachine.

A :class:`ProcessDefinition` lists states (with English and Chinese labels, initial and final
flags, and optional stage deadlines that become SLA metrics, P-07 / S-12), and transitions
(event, sources, target, a rule-engine guard, the roles allowed to fire it, the fields it
requires, P-03). A definition is validated as a whole: every problem is reported at once
(unreachable states, states with no way to a final state, transitions out of a final state,
unknown states, roles or fields, names that collide), so an unsound process never runs.

Definitions compile two ways from the same data:

* :meth:`ProcessDefinition.machine_class`: a python-statemachine class (cached per
  definition), which gives the library its validation, callbacks and Mermaid diagrams
  (:meth:`ProcessDefinition.to_mermaid`);
* :meth:`ProcessDefinition.table`: a plain transition table for the fast paths (command
  validation and bulk replay). A test proves the two agree on every state, event and guard.

:attr:`ProcessDefinition.commands` lists the process's commands (a :class:`ProcessCommands`
of :class:`CommandInfo`), each with the roles allowed to give it and the fields it requires,
read from the transitions; a host builds its menus, forms and API documentation from it.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any, ClassVar, Self, cast

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    TypeAdapter,
    field_validator,
    model_validator,
)

from servicekit._model import NameSet, ValueModel, problems_error
from servicekit.errors import PolicyError, Problem, ServiceKitError
from servicekit.rules import Condition, Duration, not_negative

__all__ = [
    "IDENTIFIER",
    "RESERVED_NAMES",
    "CommandInfo",
    "ProcessCommands",
    "ProcessDefinition",
    "StateDef",
    "Timeout",
    "TransitionDef",
    "TransitionTable",
]

#: What state ids and event names look like.
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*\Z")


#: Names a state or an event may not have: python-statemachine (3.2) makes every state and
#: event an attribute of the machine class it compiles, so these would replace its own
#: attributes and methods (``send``, ``model``, ``current_state``…: AttributeError, TypeError or
#: a wrong current state), its generic callbacks, or be SCXML error events that a failing guard
#: fires. Read from its ``StateMachine``, metaclass and instances; a test keeps this in step.
RESERVED_NAMES = frozenset({
    # attributes and methods of StateMachine classes and instances
    "activate_initial_state", "active_listeners", "add_listener", "allow_event_without_transition",
    "allowed_events", "atomic_configuration_update", "bind_events_to", "cancel_event",
    "catch_errors_as_events", "configuration", "configuration_values", "current_state",
    "current_state_value", "enable_self_transition_entries", "enabled_events", "events",
    "final_states", "history_values", "id", "initial_state", "is_terminated", "model", "name",
    "prepare", "raise_", "send", "start_configuration_values", "start_value", "state_field",
    "states", "states_map",
    # read by the metaclass from the class body
    "add_event", "add_from_attributes", "add_inherited", "add_state", "listeners",
    "listeners_inherit", "validate_disconnected_states", "validate_final_reachability",
    "validate_trap_states",
    # callbacks found by name on every machine
    "after_transition", "before_transition", "on_enter_state", "on_exit_state",
    "on_invoke_state", "on_transition", "prepare_event",
    # SCXML error events (an event ``error`` matches ``error.execution``, sent when a guard
    # raises: the transition would fire instead of the error being reported)
    "error", "error_communication", "error_execution", "error_platform",
})
#: Prefixes python-statemachine reads as SCXML events (``done_state_x`` is ``done.state.x``).
RESERVED_PREFIXES = ("done_invoke_", "done_state_")
#: Prefixes of the callbacks python-statemachine looks up by name for each event / state.
_EVENT_CALLBACKS = ("before_", "on_", "after_")
_STATE_CALLBACKS = ("on_enter_", "on_exit_", "on_invoke_")


def _identifier(value: str) -> str:
    if not IDENTIFIER.match(value):
        raise ValueError("an id is lower-case letters, digits and _, starting with a letter")
    return value


class Timeout(ValueModel):
    """After ``after`` in a state, ``event`` is due (fired by the ``system`` role).

    The library runs no timers: a host reads the due instant (``Ticket.timeout_due_at``) and
    calls back then; ``Ticket.apply_timeouts(now)`` fires what is due.
    """

    error_class: ClassVar[type[ServiceKitError]] = PolicyError

    after: Duration
    event: str

    @field_validator("event")
    @classmethod
    def _event(cls, value: str) -> str:
        return _identifier(value)

    @field_validator("after")
    @classmethod
    def _after(cls, value: timedelta) -> timedelta:
        return not_negative(value, "a timeout")


class StateDef(ValueModel):
    """One state of a process, with a stage deadline if the handbook gives one."""

    error_class: ClassVar[type[ServiceKitError]] = PolicyError

    id: str
    label: str = Field(min_length=1, description="English label")
    label_zh: str = Field(min_length=1, description="Chinese label")
    initial: bool = False
    final: bool = False
    deadline: Duration | None = Field(
        default=None, description="time allowed to reach this state from the process start"
    )
    deadline_rule: str = Field(default="", description="the rules-catalog id of the deadline")
    timeout: Timeout | None = Field(
        default=None, description="an event that falls due after some time in this state"
    )

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _identifier(value)

    @field_validator("deadline")
    @classmethod
    def _deadline(cls, value: timedelta | None) -> timedelta | None:
        return None if value is None else not_negative(value, "a deadline")


class TransitionDef(ValueModel):
    """A transition: ``event`` moves the process from any of ``sources`` to ``target``.

    Without a ``target`` the transition is an *action*: allowed only in ``sources`` and only to
    ``roles``, it leaves the state as it is (python-statemachine's targetless transition).
    """

    error_class: ClassVar[type[ServiceKitError]] = PolicyError

    event: str
    sources: tuple[str, ...] = Field(min_length=1)
    target: str | None = Field(
        default=None,
        description="the state it leads to; omitted, the state does not change (an action such "
                    "as change_priority that is allowed only in some states, by some roles)",
    )
    guard: Condition | None = None
    roles: NameSet = Field(default=frozenset(),
                           description="roles allowed to fire it (empty: any role)")
    requires: tuple[str, ...] = Field(default=(), description="fields the command must carry")
    description: str = ""

    @field_validator("event")
    @classmethod
    def _event(cls, value: str) -> str:
        return _identifier(value)


class TransitionTable:
    """``(state, event) -> candidate transitions``, compiled once per definition."""

    __slots__ = ("_moves", "guarded", "initial", "single")

    def __init__(self, transitions: tuple[TransitionDef, ...], initial: str = "") -> None:
        moves: dict[tuple[str, str], list[TransitionDef]] = {}
        for t in transitions:
            for source in t.sources:
                moves.setdefault((source, t.event), []).append(t)
        self._moves = {k: tuple(v) for k, v in moves.items()}
        #: the initial state's id
        self.initial = initial
        #: ``(state, event) -> the state it leads to`` where exactly one transition, without a
        #: guard, can fire (the bulk path of replay: one lookup decides the step)
        self.single: dict[tuple[str, str], str] = {
            key: found[0].target or key[0]
            for key, found in self._moves.items()
            if len(found) == 1 and found[0].guard is None
        }
        #: ``(state, event) -> (the guard's predicate, the state it leads to)`` where exactly
        #: one transition, with a guard, can fire
        self.guarded: dict[tuple[str, str], tuple[Any, str]] = {
            key: (found[0].guard.predicate, found[0].target or key[0])
            for key, found in self._moves.items()
            if len(found) == 1 and found[0].guard is not None
        }

    def candidates(self, state: str, event: str) -> tuple[TransitionDef, ...]:
        return self._moves.get((state, event), ())

    def next_state(self, state: str, event: str, facts: Any = None) -> str | None:
        """The state the first transition whose guard holds leads to, or None if none does.

        An action (a transition without a target) leads back to ``state``.
        """
        found = self.first(state, event, facts)
        if found is None:
            return None
        return found.target or state

    def first(self, state: str, event: str, facts: Any = None) -> TransitionDef | None:
        """The first transition for ``event`` from ``state`` whose guard holds, or None."""
        for t in self._moves.get((state, event), ()):
            if t.guard is None or t.guard.evaluate(facts if facts is not None else {}):
                return t
        return None

    def events_from(self, state: str) -> tuple[str, ...]:
        return tuple(sorted({e for s, e in self._moves if s == state}))


class CommandInfo(ValueModel):
    """One command of a process, as its transitions define it (:attr:`ProcessDefinition.commands`).

    A command is an event name; several transitions may carry it (from different states, with
    their own roles, required fields and guards), and this is what they say together:

    * ``roles``: the roles allowed to give it in at least one state; empty when some transition
      of it names no roles, which means *any role* (as on a :class:`TransitionDef`; the
      customer role still acts only on the customer's own case);
    * ``requires``: the fields it requires in at least one state, in the order the transitions
      first name them (``transitions`` says which state requires which);
    * ``from_states``: the states it may be given in; ``to_states`` the states it may lead to
      (both in the definition's state order); ``action``: some transition of it keeps the
      state (it has no target); ``guarded``: a condition decides at least one of them;
    * ``transitions``: its transitions, in the definition's order.

    Whether a command is allowed *now*, to *this* actor, is the aggregate's
    ``allowed_commands(actor)``; the command methods of an aggregate (a ticket's ``resolve``)
    may take arguments of their own besides the fields listed here. ``to_dict()`` is the
    JSON form (name sets sorted); :meth:`model_json_schema` its JSON Schema.
    """

    name: str
    roles: NameSet = Field(description="roles allowed to give it somewhere (empty: any role)")
    requires: tuple[str, ...] = Field(description="fields it requires in at least one state")
    from_states: tuple[str, ...] = Field(description="the states it may be given in")
    to_states: tuple[str, ...] = Field(description="the states it may lead to")
    action: bool = Field(description="some transition of it keeps the state")
    guarded: bool = Field(description="a condition decides at least one of its transitions")
    transitions: tuple[TransitionDef, ...] = Field(min_length=1)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: plain dicts, lists, strings and booleans (a new copy each call)."""
        return self.model_dump(mode="json")


_COMMANDS_ADAPTER: TypeAdapter[dict[str, CommandInfo]] = TypeAdapter(dict[str, CommandInfo])


class ProcessCommands(Mapping[str, CommandInfo]):
    """A process's commands: a read-only mapping from each name, in the order the transitions
    first name it, to its :class:`CommandInfo`. ``"x" in commands`` asks whether the process
    has the command at all; ``to_dict()`` is the JSON form (``{name: info.to_dict()}``)."""

    __slots__ = ("_by_name",)

    def __init__(self, commands: Mapping[str, CommandInfo]) -> None:
        self._by_name: dict[str, CommandInfo] = dict(commands)

    def __getitem__(self, name: str) -> CommandInfo:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ProcessCommands):
            return list(self._by_name.items()) == list(other._by_name.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ProcessCommands({', '.join(self._by_name)})"

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """``{name: CommandInfo.to_dict()}``, in the listing's order (a new copy each call)."""
        return {name: info.to_dict() for name, info in self._by_name.items()}

    @staticmethod
    def json_schema() -> dict[str, Any]:
        """The JSON Schema of :meth:`to_dict`'s output."""
        return _COMMANDS_ADAPTER.json_schema()


def _commands(d: ProcessDefinition) -> ProcessCommands:
    """The commands of a definition, from its transitions."""
    grouped: dict[str, list[TransitionDef]] = {}
    for t in d.transitions:
        grouped.setdefault(t.event, []).append(t)
    order = [s.id for s in d.states]
    out: dict[str, CommandInfo] = {}
    for name, moves in grouped.items():
        requires: list[str] = []
        for t in moves:
            requires += [f for f in t.requires if f not in requires]
        sources = {s for t in moves for s in t.sources}
        targets = {t.target for t in moves if t.target is not None}
        roles: frozenset[str] = (frozenset() if any(not t.roles for t in moves)
                                 else frozenset().union(*(t.roles for t in moves)))
        out[name] = CommandInfo(
            name=name, roles=roles, requires=tuple(requires),
            from_states=tuple(s for s in order if s in sources),
            to_states=tuple(s for s in order if s in targets),
            action=any(t.target is None for t in moves),
            guarded=any(t.guard is not None for t in moves),
            transitions=tuple(moves))
    return ProcessCommands(out)


class ProcessDefinition(ValueModel):
    """A workflow as data (P-01 … P-08): states, transitions, roles and required fields."""

    error_class: ClassVar[type[ServiceKitError]] = PolicyError

    name: str = Field(min_length=1)
    description: str = ""
    states: tuple[StateDef, ...] = Field(min_length=1)
    transitions: tuple[TransitionDef, ...] = Field(min_length=1)
    roles: NameSet = Field(default=frozenset(), description="the roles that exist")
    fields: NameSet = Field(default=frozenset(), description="fields commands may carry")

    _table: TransitionTable = PrivateAttr()
    _machine: type[Any] | None = PrivateAttr(default=None)
    _commands: ProcessCommands | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _sound(
        cls, data: Any, handler: ModelWrapValidatorHandler[ProcessDefinition]
    ) -> ProcessDefinition:
        definition = handler(data)
        problems = _soundness(definition)
        if problems:  # each its own problem, with its location and type
            raise problems_error(cls.__name__, problems, data)
        return definition

    def model_post_init(self, context: Any, /) -> None:
        initial = next((s.id for s in self.states if s.initial), "")
        self._table = TransitionTable(self.transitions, initial)
        self._commands = None  # listed on first use (a copy lists its own)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """As pydantic's (``update`` is not validated), with a table and a machine class of its
        own: a copy that shared the original's would fire the original's transitions, and
        replay, which keeps its verdicts per table, would judge the copy's roles by the
        original's."""
        copy = super().model_copy(update=update, deep=deep)
        copy.model_post_init(None)
        copy.__pydantic_private__["_machine"] = None  # type: ignore[index]
        return copy

    # -- queries ----------------------------------------------------------------------------

    @property
    def initial(self) -> StateDef:
        return next(s for s in self.states if s.initial)

    def state(self, state_id: str) -> StateDef:
        for s in self.states:
            if s.id == state_id:
                return s
        # the id is not repeated: it may come from a stored event (issue 10, item 15)
        raise PolicyError(f"process {self.name!r} has no such state")

    @property
    def table(self) -> TransitionTable:
        """The compiled transition table (the fast path)."""
        return self.__pydantic_private__["_table"]  # type: ignore[index,no-any-return]

    @property
    def commands(self) -> ProcessCommands:
        """The process's commands with the roles allowed to give them and the fields they
        require (a :class:`ProcessCommands` of :class:`CommandInfo`, built once)."""
        private = self.__pydantic_private__
        assert private is not None
        found: ProcessCommands | None = private["_commands"]
        if found is None:
            found = private["_commands"] = _commands(self)
        return found

    def deadlines(self) -> dict[str, tuple[timedelta, str]]:
        """Stage deadlines as SLA metrics: ``{"<process>_<state>": (target, rule id)}``."""
        return {f"{self.name}_{s.id}": (s.deadline, s.deadline_rule)
                for s in self.states if s.deadline is not None}

    # -- python-statemachine ----------------------------------------------------------------

    def machine_class(self) -> type[Any]:
        """The python-statemachine class of this definition (built once, then cached)."""
        private = self.__pydantic_private__
        assert private is not None
        if private["_machine"] is None:
            private["_machine"] = _machine_class(self)
        return private["_machine"]  # type: ignore[no-any-return]

    def to_mermaid(self, *, actions: bool = True) -> str:
        """A Mermaid state diagram of the process, rendered by python-statemachine.

        ``actions=False`` leaves out the transitions that keep the state (``escalate``,
        ``change_priority`` …), which loop on many states and crowd the picture of the flow.
        """
        from statemachine.contrib.diagram import formatter

        machine = (self.machine_class() if actions
                   else _machine_class(self, [t for t in self.transitions
                                              if t.target is not None]))
        return str(formatter.render(machine, "mermaid"))


def _soundness(d: ProcessDefinition) -> list[Problem]:
    """Every problem of a definition, not only the first, each with its location and type."""
    problems: list[Problem] = []
    ids = [s.id for s in d.states]
    known = set(ids)
    for i, state_id in enumerate(ids):
        if state_id in ids[:i]:
            problems.append(Problem(("states", i, "id"), "duplicate_state",
                                    "two states share an id"))
    initial = [s.id for s in d.states if s.initial]
    if len(initial) != 1:
        problems.append(Problem(("states",), "initial_state_count",
                                f"a process has exactly one initial state (found {len(initial)})"))
    finals = {s.id for s in d.states if s.final}
    if not finals:
        problems.append(Problem(("states",), "no_final_state",
                                "a process needs at least one final state"))
    events = {t.event for t in d.transitions}
    clash = sorted(events & known)
    if clash:
        problems.append(Problem((), "name_clash",
                                f"names used both as a state and as an event: {', '.join(clash)}"))
    for i, t in enumerate(d.transitions):
        where = ("transitions", i)
        # Unknown names are placed, not repeated: they are input that failed to match, and may
        # be anything (issue 10, item 15).
        unknown = [f"sources[{j}]" for j, s in enumerate(t.sources) if s not in known]
        if t.target is not None and t.target not in known:
            unknown.append("target")
        if unknown:
            problems.append(Problem(where, "unknown_state",
                                    f"unknown state(s) at {', '.join(unknown)}"))
        out_of_final = [s for s in t.sources if s in finals]
        if out_of_final:
            problems.append(Problem((*where, "sources"), "leaves_final_state",
                                    f"leaves final state(s) {', '.join(out_of_final)}"))
        if d.roles and not t.roles <= d.roles:
            problems.append(Problem((*where, "roles"), "unknown_role",
                                    f"{len(t.roles - d.roles)} unknown role(s), not among the "
                                    "process's roles"))
        if not d.roles and t.roles:
            problems.append(Problem((*where, "roles"), "roles_undeclared",
                                    "names roles but the process declares none"))
        missing = [str(j) for j, f in enumerate(t.requires) if f not in d.fields]
        if missing:
            problems.append(Problem((*where, "requires"), "unknown_field",
                                    f"requires unknown field(s), at position(s) "
                                    f"{', '.join(missing)}"))
    problems += _timeout_problems(d)
    problems += _reserved_problems(d)
    if problems or len(initial) != 1:
        return problems
    edges: dict[str, set[str]] = {s: set() for s in known}
    back: dict[str, set[str]] = {s: set() for s in known}
    for t in d.transitions:
        if t.target is None:
            continue
        for s in t.sources:
            edges[s].add(t.target)
            back[t.target].add(s)
    reached = _walk(initial[0], edges)
    unreachable = sorted(known - reached)
    if unreachable:
        problems.append(Problem(("states",), "unreachable_state",
                                f"unreachable state(s): {', '.join(unreachable)}"))
    can_finish: set[str] = set()
    for f in finals:
        can_finish |= _walk(f, back)
    stuck = sorted(reached - can_finish)
    if stuck:
        problems.append(Problem(("states",), "no_way_to_final",
                                f"state(s) with no way to a final state: {', '.join(stuck)}"))
    return problems


def _reserved_problems(d: ProcessDefinition) -> list[Problem]:
    """Names python-statemachine would take for its own (issue 10, item 13), by position.

    An event is also refused a name python-statemachine looks up as a callback of another
    event or of a state (``on_close`` beside ``close``, ``on_enter_open`` beside ``open``):
    events are callable, so the callback would fire the event. (A state of such a name is
    not called, and stays allowed: ``on_hold`` beside ``hold``.)
    """
    callbacks = {f"{prefix}{t.event}" for t in d.transitions for prefix in _EVENT_CALLBACKS}
    callbacks |= {f"{prefix}{s.id}" for s in d.states for prefix in _STATE_CALLBACKS}
    reserved = ("a name python-statemachine reserves (an attribute or method of its machines, "
                "a callback it looks up, or an SCXML event); choose another")
    problems: list[Problem] = []
    for i, state in enumerate(d.states):
        if state.id in RESERVED_NAMES or state.id.startswith(RESERVED_PREFIXES):
            problems.append(Problem(("states", i, "id"), "reserved_name", reserved))
    for i, t in enumerate(d.transitions):
        if t.event in RESERVED_NAMES or t.event.startswith(RESERVED_PREFIXES):
            problems.append(Problem(("transitions", i, "event"), "reserved_name", reserved))
        elif t.event in callbacks:
            problems.append(Problem(
                ("transitions", i, "event"), "reserved_name",
                "the name python-statemachine looks up for a callback of another event or of a "
                "state (before_/on_/after_<event>, on_enter_/on_exit_/on_invoke_<state>), "
                "which would fire this event; choose another"))
    return problems


def _timeout_problems(d: ProcessDefinition) -> list[Problem]:
    """A timeout names a transition of its state that the system role may fire."""
    problems = []
    for i, state in enumerate(d.states):
        timeout = state.timeout
        if timeout is None:
            continue
        where = ("states", i, "timeout", "event")
        moves = [t for t in d.transitions if t.event == timeout.event and state.id in t.sources]
        if not moves:
            problems.append(Problem(where, "bad_timeout",
                                    f"timeout event {timeout.event!r} is not a transition from "
                                    f"{state.id}"))
        elif d.roles and not any(not t.roles or "system" in t.roles for t in moves):
            problems.append(Problem(where, "bad_timeout",
                                    f"timeout event {timeout.event!r} may not be fired by the "
                                    f"system role, which fires timeouts"))
        elif all(t.requires for t in moves):
            problems.append(Problem(where, "bad_timeout",
                                    f"timeout event {timeout.event!r} requires fields, which a "
                                    f"timeout (fired without data) never carries"))
    return problems


def _walk(start: str, edges: Mapping[str, set[str]]) -> set[str]:
    seen = {start}
    todo = deque([start])
    while todo:
        for nxt in edges[todo.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _machine_class(d: ProcessDefinition,
                   transitions: list[TransitionDef] | None = None) -> type[Any]:
    """Compile a definition (with only ``transitions``, if given) to a python-statemachine
    class."""
    from statemachine.io import create_machine_class_from_definition

    states: dict[str, dict[str, Any]] = {
        s.id: {"name": s.label, "initial": s.initial, "final": s.final, "on": {}}
        for s in d.states
    }
    for t in d.transitions if transitions is None else transitions:
        for source in t.sources:
            move: dict[str, Any] = {"target": t.target}
            if t.guard is not None:
                move["cond"] = _guard(t.guard)
            states[source]["on"].setdefault(t.event, []).append(move)
    for spec in states.values():
        if not spec["on"]:
            del spec["on"]
    class_name = "".join(part.capitalize() for part in d.name.split("_")) + "Process"
    machine: type[Any] = create_machine_class_from_definition(class_name, states=cast(Any, states))
    return machine


def _guard(condition: Condition) -> Any:
    def cond(*args: Any, facts: Any = None, **kwargs: Any) -> bool:
        return condition.evaluate(facts if facts is not None else {})

    return cond
