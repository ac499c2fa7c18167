"""A case of any process: the generic aggregate that runs every :class:`ProcessDefinition`.

The handbooks describe six flows (ticket P-01, consultation P-02, complaint P-03, feedback loop
P-04, dispute P-05, repair P-06); :class:`Case` runs any of them, and any process a host
defines, on the shared engine (:mod:`servicekit.engine`): the same checks (roles, the
customer-acts-on-own-case rule, guards, required fields), the same events and the same replay.

A case starts with :class:`~servicekit.events.CaseStarted` in the process's initial state and
records every transition it fires as :class:`~servicekit.events.StatusChanged` naming the
transition, with the data the command carried in the event's ``fields``. ``Case.fields`` is
the case's current data: the start's fields updated by every transition's. Guards read it
(``customer_satisfied == true``), and so does the check of a transition's required fields.

>>> from datetime import datetime, timedelta
>>> from zoneinfo import ZoneInfo
>>> from servicekit.cases import Actor, Case
>>> from servicekit.presets.processes import feedback_loop_process
>>> t0 = datetime(2026, 10, 12, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
>>> agent = Actor(id="agent-1", roles={"agent"})
>>> c = Case.start(process=feedback_loop_process(), case_id="F-1", customer_id="C-9",
...                at=t0, by=agent, fields={"channel": "phone"})
>>> c = c.fire("assess", at=t0 + timedelta(hours=1), by=agent,
...            fields={"category": "complaint", "priority": "P2"})
>>> c.state, c.version, c.fields["priority"]
('assessed', 2, 'P2')
>>> Case.replay(c.history, process=feedback_loop_process()) == c
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar

from pydantic import AwareDatetime, Field, JsonValue

from servicekit.engine import (
    Actor,
    Aggregate,
    AggregateKind,
    check_actor,
    check_fields,
    check_text,
    check_time,
    created_state,
    may_start,
    starts_process,
)
from servicekit.errors import InvalidInputError, PermissionDenied
from servicekit.events import CaseStarted, Event, StatusChanged, time_ordered_id
from servicekit.processes import ProcessDefinition

__all__ = ["CASE", "Actor", "Case"]


def _initial(ev: CaseStarted, process: ProcessDefinition) -> dict[str, Any]:
    return {
        "case_id": ev.stream_id,
        "process_name": ev.process,
        "customer_id": ev.customer_id,
        "started_at": ev.at,
        "fields": dict(ev.fields),
    }


def _moved(state: dict[str, Any], ev: StatusChanged) -> None:
    if ev.fields:  # in place: the engine copies "fields" (owned) before a command applies
        state["fields"].update(ev.fields)


def _guard_facts(state: Mapping[str, Any], host: Mapping[str, Any],
                 arguments: Mapping[str, Any], at: datetime) -> dict[str, Any]:
    """What a guard reads: the case's data updated by the command's, then the case's own
    values (which data cannot shadow) and ``at``."""
    # the case's own values come last, so data (even a forged stored event's) never shadows them
    facts = {**state["fields"], **host, **state}
    del facts["history"], facts["fields"]
    facts["status"] = state["state"]
    facts["at"] = at
    return facts


#: The case as data for the engine: every transition is recorded as a StatusChanged.
CASE = AggregateKind(
    name="case",
    created=CaseStarted,
    initial=_initial,
    facts=_guard_facts,
    mutators={StatusChanged: _moved},
    start_check=starts_process,
    owned=("fields",),
    status_key="state",
    since_key="state_since",
)


class Case(Aggregate):
    """A running case of a process (any :class:`~servicekit.processes.ProcessDefinition`).

    Build one with :meth:`start` (or :meth:`replay`); change it with :meth:`fire`.
    """

    kind: ClassVar[AggregateKind] = CASE
    _derived: ClassVar[frozenset[str]] = frozenset({"status", "ended_at"})
    _json_derived: ClassVar[tuple[str, ...]] = ("status", "ended_at")

    case_id: str
    process_name: str = Field(description="the name of the process definition it runs")
    customer_id: str | None = None
    state: str = Field(description="the current state of the process")
    state_since: AwareDatetime = Field(description="when the case entered its state")
    started_at: AwareDatetime
    updated_at: AwareDatetime = Field(description="instant of the last event")
    fields: dict[str, JsonValue] = Field(
        default_factory=dict, description="the case's current data (the start's, updated by "
                                          "every transition's fields)")

    @property
    def status(self) -> str:
        """The current state (the name tickets use)."""
        return self.state

    @property
    def ended_at(self) -> datetime | None:
        """When the case reached a final state (``None`` while it runs)."""
        return self.state_since if self.is_final else None

    @classmethod
    def start(cls, *, process: ProcessDefinition, case_id: str, at: datetime, by: Actor,
              customer_id: str | None = None,
              fields: Mapping[str, Any] | None = None) -> Case:
        """Start a case in the process's initial state (event ``CaseStarted``).

        Staff start cases; a customer only their own (``customer_id`` is theirs).
        """
        if not isinstance(process, ProcessDefinition):
            raise InvalidInputError(
                f"start: process must be a ProcessDefinition (got {type(process).__name__})"
            )
        check_text("start", "case_id", case_id)
        if customer_id is not None:
            check_text("start", "customer_id", customer_id)
        check_actor("start", by)
        at = check_time("start", at, None)
        data = check_fields("start", fields, cls._reserved)
        if not may_start(by, customer_id, process):
            raise PermissionDenied("start", "(none)", "a customer starts cases only for themself")
        event = CaseStarted(event_id=time_ordered_id(at), stream_id=case_id, at=at, by=by.id,
                            roles=by.roles, fields=data, process=process.name,
                            state=process.initial.id, customer_id=customer_id)
        return cls._build(created_state(CASE, event, process), process)

    @classmethod
    def replay(cls, history: Iterable[Event], *, process: ProcessDefinition) -> Case:
        """Rebuild a case from its events, checking each against ``process``.

        Raises :class:`~servicekit.errors.InvalidInputError` naming the first event the process
        could not have produced (another case, out of order, a transition the state does not
        allow, a case of another process).
        """
        if not isinstance(process, ProcessDefinition):
            raise InvalidInputError(
                f"replay: process must be a ProcessDefinition (got {type(process).__name__})"
            )
        return cls._replay("replay", history, process)

    def _provided(self, data: Mapping[str, Any]) -> Mapping[str, Any]:
        """A transition's required fields are looked up in the case's data updated by the
        command's, so a field recorded earlier need not be repeated."""
        return {**self.fields, **data}
