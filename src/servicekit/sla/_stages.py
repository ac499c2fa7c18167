"""Stage clocks from a process's deadlines: one metric per state that has one (S-01 … S-07).

A process definition (:class:`servicekit.processes.ProcessDefinition`, or any object of the
same shape: :class:`StagedProcess`) says how long a case may take to reach a state, counted
from the start of the case. :func:`stage_metrics` turns each such deadline into a custom
:class:`~servicekit.sla.Metric` the SLA engine runs on the case's events. This module does not
import the processes (they sit beside the SLA engine, not below it): it reads the shape only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, NamedTuple, Protocol, TypeVar

from servicekit.errors import PolicyError
from servicekit.rules import format_hours
from servicekit.sla._policy import Metric

__all__ = ["StagedProcess", "StagedState", "StagedTransition", "stage_metrics"]

T = TypeVar("T")


class StagedState(Protocol):
    """What :func:`stage_metrics` reads of a state: its id, whether it is final, its deadline
    (time allowed to reach it from the start of the case) and the rule the deadline cites."""

    @property
    def id(self) -> str: ...

    @property
    def final(self) -> bool: ...

    @property
    def deadline(self) -> timedelta | None: ...

    @property
    def deadline_rule(self) -> str: ...


class StagedTransition(Protocol):
    """What :func:`stage_metrics` reads of a transition: where it leads from (None: nowhere
    else, an action)."""

    @property
    def sources(self) -> Sequence[str]: ...

    @property
    def target(self) -> str | None: ...


class StagedProcess(Protocol):
    """What :func:`stage_metrics` reads of a process: its name, its states and (if it has
    them) its transitions."""

    @property
    def name(self) -> str: ...

    @property
    def states(self) -> Sequence[StagedState]: ...


def stage_metrics(process: StagedProcess) -> tuple[Metric, ...]:
    """One SLA metric per state of ``process`` that has a deadline, in the order of the states.

    Each is named ``f"{process.name}_{state.id}"`` (the names of
    :meth:`ProcessDefinition.deadlines() <servicekit.processes.ProcessDefinition.deadlines>`),
    starts when a case of the process starts (``CaseStarted:<process>``), stops when the case
    enters the state (``StatusChanged:<state>``) and is cancelled when it enters a state from
    which the stage can no longer be reached: a repair routed to consultation, or diagnosed
    remotely, before a visit was arranged owes no visit. (Without ``transitions``, the process
    shape says only which states are final: the clock is cancelled on any other final state.)
    Deadlines count from the start of the case (S-07), so the clocks never pause; the target
    is the deadline, the same for every case (a policy's ``targets`` or ``target_table`` may
    still override it), and the description cites the deadline's rule.

    >>> from datetime import timedelta
    >>> from types import SimpleNamespace as S
    >>> repair = S(name="repair", states=[
    ...     S(id="reported", final=False, deadline=None, deadline_rule=""),
    ...     S(id="triaged", final=False, deadline=timedelta(minutes=5), deadline_rule="S-05"),
    ...     S(id="routed", final=True, deadline=None, deadline_rule=""),
    ...     S(id="completed", final=True, deadline=timedelta(hours=24), deadline_rule="S-07")])
    >>> for m in stage_metrics(repair):
    ...     print(m.name, m.start_on, m.stop_on, m.cancel_on, m.target)
    repair_triaged ('CaseStarted:repair',) ('StatusChanged:triaged',) ('StatusChanged:routed', 'StatusChanged:completed') 0:05:00
    repair_completed ('CaseStarted:repair',) ('StatusChanged:completed',) ('StatusChanged:routed',) 1 day, 0:00:00
    """  # noqa: E501 - a doctest's output line
    name, states, back = _read(process)
    ids = [s.id for s in states]
    finals = [s.id for s in states if s.final]
    out = []
    for state in states:
        deadline = state.deadline
        if deadline is None:
            continue
        if back is None:
            moot = [f for f in finals if f != state.id]
        else:
            can_reach = _reaching(state.id, back)
            moot = [i for i in ids if i not in can_reach]
        rule = state.deadline_rule
        cite = f"{rule}: " if rule else ""
        out.append(Metric(
            name=f"{name}_{state.id}",
            start_on=f"CaseStarted:{name}",
            stop_on=f"StatusChanged:{state.id}",
            cancel_on=tuple(f"StatusChanged:{m}" for m in moot),
            pausable=False,
            target=deadline,
            description=f"{cite}a {name} case reaches {state.id!r} within "
                        f"{format_hours(deadline)} of its start",
        ))
    return tuple(out)


class _State(NamedTuple):
    id: str
    final: bool
    deadline: timedelta | None
    deadline_rule: str


_SHAPE = ("expected a process definition (a name, states with id, final, deadline and "
          "deadline_rule, and optionally transitions with sources and target)")


def _read(process: object) -> tuple[str, tuple[_State, ...], dict[str, set[str]] | None]:
    """The shape of ``process``, each part read once (any iterables will do) and checked: its
    name, its states and, when it has transitions, from which states each state is entered
    (None: no transitions). A wrong shape is a :class:`PolicyError` naming the place."""
    name = getattr(process, "name", None)
    raw_states = getattr(process, "states", None)
    if not isinstance(name, str) or raw_states is None:
        raise PolicyError(f"process: {_SHAPE}, got {type(process).__name__}")
    states = _parts(raw_states, "process.states", _state)
    transitions = getattr(process, "transitions", None)
    if transitions is None:
        return name, states, None
    back: dict[str, set[str]] = {s.id: set() for s in states}
    for sources, target in _parts(transitions, "process.transitions", _move):
        if target is not None and target in back:
            back[target].update(sources)
    return name, states, back


def _parts(items: Any, place: str, read: Callable[[Any], T | None]) -> tuple[T, ...]:
    """Each of ``items`` read by ``read`` (None: not of the expected shape), once."""
    out: list[T] = []
    where, got = place, type(items).__name__
    try:
        for i, item in enumerate(items):
            where, got = f"{place}[{i}]", type(item).__name__
            part = read(item)
            if part is None:
                break
            out.append(part)
        else:
            return tuple(out)
    except (AttributeError, TypeError):
        pass  # raised below, outside the handler: nothing of the input on __context__
    raise PolicyError(f"{where}: {_SHAPE}, got {got}")


def _state(s: Any) -> _State | None:
    state = _State(s.id, s.final, s.deadline, s.deadline_rule)
    if isinstance(state.id, str) and isinstance(state.final, bool) and isinstance(
            state.deadline_rule, str) and (state.deadline is None
                                           or isinstance(state.deadline, timedelta)):
        return state
    return None


def _move(t: Any) -> tuple[tuple[str, ...], str | None] | None:
    sources, target = tuple(t.sources), t.target
    if all(isinstance(x, str) for x in sources) and (target is None or isinstance(target, str)):
        return sources, target
    return None


def _reaching(goal: str, back: dict[str, set[str]]) -> set[str]:
    """The states from which ``goal`` can be reached (``goal`` included)."""
    seen = {goal}
    todo = [goal]
    while todo:
        for source in back.get(todo.pop(), ()):
            if source not in seen:
                seen.add(source)
                todo.append(source)
    return seen
