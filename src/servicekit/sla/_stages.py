"""Stage clocks from a process's deadlines: one metric per state that has one (S-01 … S-07).

A process definition (:class:`servicekit.processes.ProcessDefinition`, or any object of the
same shape: :class:`StagedProcess`) says how long a case may take to reach a state, counted
from the start of the case. :func:`stage_metrics` turns each such deadline into a custom
:class:`~servicekit.sla.Metric` the SLA engine runs on the case's events. This module does not
import the processes (they sit beside the SLA engine, not below it): it reads the shape only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

from servicekit.errors import PolicyError
from servicekit.rules import format_hours
from servicekit.sla._policy import Metric

__all__ = ["StagedProcess", "StagedState", "StagedTransition", "stage_metrics"]


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
    name = getattr(process, "name", None)
    states = getattr(process, "states", None)
    if not isinstance(name, str) or states is None:
        raise PolicyError(
            f"process: expected a process definition (name and states), got "
            f"{type(process).__name__}"
        )
    finals = [s.id for s in states if s.final]
    ids = [s.id for s in states]
    transitions = getattr(process, "transitions", None)
    back: dict[str, set[str]] | None = None
    if transitions is not None:
        back = {i: set() for i in ids}
        for t in transitions:
            if t.target is not None and t.target in back:
                back[t.target].update(t.sources)
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
