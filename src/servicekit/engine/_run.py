"""Commands and replay: the state of an aggregate as a fold over its events.

:func:`execute` checks a command and records its events; :func:`fold` replays a history,
checking every step. Both apply events with the same rules (:func:`apply`; the fold inlines
it), so live commands and replay cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from servicekit._payload import FrozenDict, frozen_dict
from servicekit.engine._rules import (
    Actor,
    AggregateKind,
    CommandSpec,
    authorise,
    check_actor,
    check_time,
    choose,
    refusal,
    starts,
)
from servicekit.errors import InvalidInputError, TransitionRejected, UnknownCommand
from servicekit.events import Event, StatusChanged, time_ordered_id
from servicekit.processes import ProcessDefinition, TransitionDef, TransitionTable

__all__ = ["apply", "created_state", "execute", "fold"]

_NO_FIELDS = FrozenDict()
_dict_new = dict.__new__
_dict_update = dict.update


def created_state(kind: AggregateKind, ev: Event, process: ProcessDefinition) -> dict[str, Any]:
    state = kind.initial(ev, process)
    state[kind.status_key] = process.table.initial  # the creation event's own claim is checked
    state[kind.since_key] = ev.at
    state["updated_at"] = ev.at
    state["version"] = 1
    state["history"] = (ev,)
    for key in kind.owned:
        state[key] = frozen_dict(state[key])
    return state


def apply(kind: AggregateKind, state: dict[str, Any], ev: Event) -> None:
    """Apply one (already checked) event: the aggregate's mutator, then the status it implies,
    the instants and the version."""
    mutate = kind.apply_table.get(type(ev))
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
            host: dict[str, Any],
            provided: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Check a command, then record it: the new state (with the new events in its history).

    ``arguments`` are the command's own values (the event's attributes), ``host`` the
    host's extra fields (checked already), ``provided`` what the process's required fields
    are looked up in (default: the arguments and fields together).
    """
    status_key = kind.status_key
    status = current[status_key]
    check_actor(command, by)
    at = check_time(command, at, current["updated_at"], kind.name)
    table = process.table
    candidates = table.candidates(status, command)
    if not candidates:
        known = process.commands
        if command not in known:
            raise UnknownCommand(command, status, process=process.name, commands=known)
        raise TransitionRejected(command, status, f"no {command!r} transition from {status!r}")
    permitted = authorise(command, status, candidates, by, owner=current[kind.owner_key],
                          process=process, what=kind.name)
    spec = kind.commands.get(command)
    if spec is not None and spec.check is not None:
        refused = spec.check(current, arguments)
        if refused is not None:
            raise TransitionRejected(command, status, refused)
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
    # no data: the shared read-only empty mapping (a plain {} would let a recorded event be
    # changed through its fields)
    common = {"event_id": time_ordered_id(at), "stream_id": stream, "at": at, "by": by.id,
              "roles": by.roles, "fields": host or _NO_FIELDS}
    if spec is None:
        first: Event = StatusChanged._trusted(status=target, event=command, **common)
    else:
        first = spec.event._trusted(**arguments, **common)
    events = [first]
    implied = first.implied_status
    if (implied or status) != target:  # the event does not say where the case went
        events.append(StatusChanged._trusted(
            event_id=time_ordered_id(at), stream_id=stream, at=at, by=by.id, roles=by.roles,
            fields=_NO_FIELDS, status=target, event=command))
    state = dict(current)
    for key in kind.owned:  # the previous value keeps its own copy
        state[key] = dict(state[key])
    for ev in events:
        apply(kind, state, ev)
    for key in kind.owned:  # read-only again, as every value of an aggregate
        state[key] = frozen_dict(state[key])
    state["history"] = current["history"] + tuple(events)
    return state


# -- replay -----------------------------------------------------------------------------------


def _history_error(index: int, ev: object, reason: str) -> InvalidInputError:
    kind = type(ev).__name__
    return InvalidInputError(f"history[{index}] ({kind}): {reason}")


def fold(kind: AggregateKind, events: tuple[Event, ...],  # noqa: PLR0915 - the bulk path
         process: ProcessDefinition) -> dict[str, Any]:
    """Replay: check every event against the process and apply it.

    The loop inlines :func:`apply` (the bulk path): the status, the version and the last
    instant live in locals and are written to the state where a guard reads it and at the end.
    """
    what, created, start_check, by_event, commands, mutators, status_key, since_key = (
        kind.replay_plan)
    if not events:
        raise InvalidInputError(f"history is empty; a {what} starts with {created.__name__}")
    first = events[0]
    if type(first) is not created:
        raise _history_error(0, first, f"a {what}'s history starts with {created.__name__}")
    if start_check is not None:
        refused = start_check(first, process)
        if refused is not None:
            raise _history_error(0, first, refused)
    table = process.table
    last_at = first.at
    state = kind.initial(first, process)  # created_state(), inlined, in the same key order
    status = state[status_key] = table.initial
    state[since_key] = state["updated_at"] = last_at
    state["version"] = 1
    state["history"] = events
    stream = first.stream_id
    owner = state[kind.owner_key]
    # who may fire what, by (roles, whether the actor is the customer), then (status,
    # command): the events record the roles (P-08), so replay refuses what the live command
    # would have. The creation's own verdict is kept under the key ("", "").
    verdicts = _VERDICTS.get((table, what)) or _verdicts(table, what)
    by = first.by
    last_roles: object = first.roles if by is not None else None
    last_own = by == owner
    moves = verdicts.get((last_roles, last_own))  # type: ignore[arg-type]
    if moves is None:
        moves = _actor_verdicts(verdicts, last_roles, last_own)  # type: ignore[arg-type]
    started = moves.get(("", ""))
    if started is None:
        started = moves["", ""] = (_start_verdict(what, process, last_roles,  # type: ignore[arg-type]
                                                  last_own), None)
    if type(started[0]) is str:
        raise _history_error(0, first, started[0])
    single = table.single
    guarded = table.guarded
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
        event_id = ev.event_id
        if event_id in seen:
            raise _history_error(index, ev, "repeats an event id")
        seen.add(event_id)
        if companion is not None:
            if (spec is not None or ev.event != companion[0]  # type: ignore[attr-defined]
                    or ev.status != companion[1]  # type: ignore[attr-defined]
                    or at != previous.at or ev.by != previous.by
                    or (ev.roles is not previous.roles and ev.roles != previous.roles)):
                raise _history_error(index, ev, f"expected the StatusChanged of "
                                                f"{companion[0]} to {companion[1]!r}")
            companion = None
            mutate = mutators.get(cls)
            if mutate is not None:
                mutate(state, ev)
            new_status = ev.status  # type: ignore[attr-defined]
            if new_status != status:
                status = state[status_key] = new_status
                state[since_key] = at
            last_at = at
            continue
        previous = ev
        command = spec.name if spec is not None else ev.event  # type: ignore[attr-defined]
        # one lookup: whether the recorded roles may fire the command here (P-08), and the
        # state it leads to when one unguarded move is all there is (the common case)
        by = ev.by
        roles = ev.roles if by is not None else None
        own = by == owner
        if roles is not last_roles or own is not last_own:
            moves = verdicts.get((roles, own))
            if moves is None:
                moves = _actor_verdicts(verdicts, roles, own)
            last_roles, last_own = roles, own
        entry = moves.get((status, command))
        if entry is None:
            entry = moves[status, command] = (
                _verdict(kind, process, status, command, roles=roles, own=own),
                single.get((status, command)))
        verdict, one_move = entry
        if type(verdict) is str:
            raise _history_error(index, ev, verdict)
        if spec is not None:
            target = one_move
            new_status = spec.event.implies
            check = spec.check
            if check is not None and target is not None:
                # the command's own rule, on the state as it stood (P-08: replay refuses
                # what the live command would have)
                state["version"] = index
                state["updated_at"] = last_at
                # the event's own values hold the command's arguments (and its envelope,
                # which no check reads): no mapping built per event
                refused = check(state, ev.__dict__)
                if refused is not None:
                    raise _history_error(index, ev, refused)
        else:
            target = one_move if command is not None and command not in commands else None
            new_status = ev.status  # type: ignore[attr-defined]
        if target is None:  # a guard, several moves, the command's own rule, or an error
            state["version"] = index
            state["updated_at"] = last_at
            one = guarded.get((status, command)) if spec is None else None
            if one is not None and one[0](kind.facts(state, ev.fields, {}, at)):
                target = one[1]  # a single guarded move whose guard holds (the common case)
            else:
                command, target = _replay_move(kind, process, events, index, state=state,
                                               spec=spec, permitted=verdict)  # type: ignore[arg-type]
        mutate = mutators.get(cls)
        if mutate is not None:
            mutate(state, ev)
        if new_status is not None and new_status != status:
            status = state[status_key] = new_status
            state[since_key] = at
        last_at = at
        if status != target:
            if spec is None:
                raise _history_error(index, ev, f"{command} leads to {target!r}")
            companion = (command, target)
    if companion is not None:
        raise _history_error(len(events), None, f"missing the StatusChanged of {companion[0]}")
    state["version"] = len(events)
    state["updated_at"] = last_at
    for key in kind.owned:  # frozen_dict(), inlined: once per replay
        frozen = _dict_new(FrozenDict)
        _dict_update(frozen, state[key])
        state[key] = frozen
    return state


#: per (recorded roles, whether the actor is the customer): per (status, command), who may
#: fire it (the permitted transitions, or why not) and the one unguarded move, if that is all
Verdicts = dict[tuple[frozenset[str] | None, bool],
                dict[tuple[str, str], tuple[list[TransitionDef] | str, str | None]]]
#: the verdicts of every (transition table, aggregate kind) replayed lately: a definition's
#: authorisations are the same for every history, so replays share them (bounded: a host
#: building definitions on the fly does not grow it without end)
_VERDICTS: dict[tuple[TransitionTable, str], Verdicts] = {}
_MAX_TABLES = 64
_MAX_ACTORS = 256  # distinct role sets per table (a role set's verdicts are few: its moves)


def _verdicts(table: TransitionTable, what: str) -> Verdicts:
    found = _VERDICTS.get((table, what))
    if found is None:
        if len(_VERDICTS) >= _MAX_TABLES:
            _VERDICTS.clear()
        found = _VERDICTS[table, what] = {}
    return found


def _actor_verdicts(verdicts: Verdicts, roles: frozenset[str] | None, own: bool
                    ) -> dict[tuple[str, str], tuple[list[TransitionDef] | str, str | None]]:
    if len(verdicts) >= _MAX_ACTORS:
        verdicts.clear()
    found = verdicts[roles, own] = {}
    return found


def _start_verdict(what: str, process: ProcessDefinition, roles: frozenset[str] | None,
                   own: bool) -> list[TransitionDef] | str:
    """Whether an actor with ``roles`` could have started the aggregate (P-08)."""
    if not roles:
        return _UNRECORDED
    if not starts(roles, own, process):
        return f"not permitted: only staff or the customer start a {what}"
    return []


_UNRECORDED = "the actor or the roles it acted in are not recorded (P-08: authority is explicit)"


def _verdict(kind: AggregateKind, process: ProcessDefinition, status: str,
             command: str | None, *, roles: frozenset[str] | None, own: bool
             ) -> list[TransitionDef] | str:
    """The transitions an actor with ``roles`` may fire (the live command's authorisation),
    or why not (``roles`` None: the event records no actor or roles). No candidate at all is
    left to the move's own error."""
    moves = process.table.candidates(status, command) if command is not None else ()
    if not moves:
        return []
    if not roles:
        return _UNRECORDED
    permitted, refused = refusal(moves, roles, own, process, kind.name)
    return permitted if refused is None else f"{command} not permitted: {refused}"


def _replay_move(kind: AggregateKind, process: ProcessDefinition, events: tuple[Event, ...],
                 index: int, *,
                 state: Mapping[str, Any], spec: CommandSpec | None,
                 permitted: list[TransitionDef]) -> tuple[str, str]:
    """The command an event records and the state the process says it leads to: the
    transition the live command would have chosen (the first of those the recorded roles
    permit whose guard holds); the caller checks the history went there."""
    ev = events[index]
    status = state[kind.status_key]
    if spec is None:
        assert type(ev) is StatusChanged  # fold refused every other event without a spec
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
    moves = permitted
    if not moves:
        if not any(t.event == command for t in process.transitions):
            # the name is the stored event's own text: not repeated (it may be anything)
            raise _history_error(index, ev, "records an event the process does not have")
        raise _history_error(index, ev, f"{command} is not allowed in state {status!r}")
    try:
        move = choose(command, status, moves,
                      lambda: kind.facts(state, ev.fields, arguments, ev.at))
    except TransitionRejected:
        move = None
    if move is None:  # raised outside the handler: nothing left on __context__
        raise _history_error(index, ev, f"{command} in state {status!r}: no guard holds")
    return command, move.target or status
