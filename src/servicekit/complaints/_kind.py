"""The complaint as data for the engine: its values, its commands, their rules and mutators.

Everything here reads only the state and the events (never the policy): the policy's numbers
are applied by the commands of :class:`~servicekit.complaints.Complaint` and recorded on the
events they write, so replay needs no policy and a history reads the same under a later one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Literal, NamedTuple

from servicekit._payload import frozen_dict
from servicekit.engine import AggregateKind, CommandSpec
from servicekit.events import (
    CaseStarted,
    ComplaintAcknowledged,
    ComplaintAnalysed,
    ComplaintClosed,
    ComplaintEscalated,
    ComplaintHandled,
    ComplaintLoopClosed,
    ComplaintReopened,
    ComplaintWithdrawn,
    Event,
    FeedbackRecorded,
    RemedyOwed,
    ReturnVisitRecorded,
    SolutionProposed,
    StatusChanged,
)
from servicekit.processes import ProcessDefinition

__all__ = ["COMPLAINT", "P03_FIELDS", "ComplaintRemedy", "ReturnVisit"]

#: What the receipt records under the creation event's fields (P-03: with the time and the
#: complainant, who are the event's ``at`` and ``customer_id``; K-04 channel, K-05 phase).
P03_FIELDS = ("channel", "content", "cause", "remedy_sought", "customer_tier", "phase")


class ReturnVisit(NamedTuple):
    """A return visit (回访), scheduled or done.

    ``kind``: ``"second_visit"`` (M-05, after an unsatisfied feedback), ``"effectiveness_check"``
    (P-04, after the close), ``"feedback"`` (tries to reach a customer for their first
    feedback) or ``"follow_up"`` (a visit nobody scheduled). ``status``: ``"scheduled"``,
    ``"done"`` or ``"cancelled"`` (the complaint was reopened). ``attempts`` counts the tries,
    unreachable ones included.
    """

    kind: str
    rule: str
    due_at: datetime | None
    status: Literal["scheduled", "done", "cancelled"]
    outcome: str | None = None
    satisfaction: float | None = None
    attempts: int = 0
    done_at: datetime | None = None


class ComplaintRemedy(NamedTuple):
    """A remedy the complaint gives (K-06): ``"proposed"`` in a solution, or ``"owed"`` for a
    missed public commitment, with the commitment's rule id (``rule``: S-01, S-02), its SLA
    clock (``metric``) and the remedy-table rule that owed it (``decided_by``)."""

    remedy: str
    source: Literal["proposed", "owed"]
    at: datetime
    rule: str = ""
    metric: str = ""
    decided_by: str = ""


# -- the complaint's own rules (live and in replay) ---------------------------------------------

def _escalation_goes_up(state: Mapping[str, Any], arguments: Mapping[str, Any]) -> str | None:
    level = state["escalation_level"]
    return (f"the complaint is already at escalation level {level}"
            if arguments["level"] <= level else None)


def _pending(state: Mapping[str, Any], kind: str) -> ReturnVisit | None:
    return next((v for v in state["return_visits"] if v.kind == kind and v.status == "scheduled"),
                None)


def _may_close(state: Mapping[str, Any], arguments: Mapping[str, Any]) -> str | None:
    """P-03 / M-05: no close without the customer's satisfaction, unless they could not be
    reached within the policy's attempts (recorded on the visits)."""
    if state["unreachable"]:
        return None
    if state["satisfied"] is None:
        return ("the customer has given no feedback yet (P-03: make sure the customer is "
                "satisfied); record it, or the return visits that could not reach them")
    if _pending(state, "second_visit") is not None:
        return "a second return visit is due (M-05: the satisfaction was below the threshold)"
    if not state["satisfied"]:
        return "the customer is not satisfied; reopen or escalate the complaint"
    return None


def _visit_fits(state: Mapping[str, Any], arguments: Mapping[str, Any]) -> str | None:
    if state["stage"] == "handling" and arguments["outcome"] != "unreachable":
        return ("a customer reached during handling gives feedback: record it with "
                "feedback(); a return visit here records a try that could not reach them")
    return None


# -- per-event mutators --------------------------------------------------------------------------

def _entered(state: dict[str, Any], ev: StatusChanged) -> None:
    state["stages_entered"].setdefault(ev.status, ev.at)


def _acknowledged(state: dict[str, Any], ev: ComplaintAcknowledged) -> None:
    state["stages_entered"].setdefault(ev.implies, ev.at)  # the stage it leads to
    state["acknowledged_at"] = ev.at


def _analysed(state: dict[str, Any], ev: ComplaintAnalysed) -> None:
    state["stages_entered"].setdefault(ev.implies, ev.at)  # the stage it leads to
    state["nature"] = ev.nature
    state["severity"] = ev.severity
    state["scope"] = ev.scope
    state["urgency"] = ev.urgency
    state["severity_band"] = ev.severity_band
    state["priority"] = ev.priority
    state["major"] = ev.major
    state["priority_rule"] = ev.priority_rule


def _proposed(state: dict[str, Any], ev: SolutionProposed) -> None:
    state["stages_entered"].setdefault(ev.implies, ev.at)  # the stage it leads to
    state["solution_summary"] = ev.summary
    if state["solution_proposed_at"] is None:
        state["solution_proposed_at"] = ev.at
    state["remedies"] += tuple(ComplaintRemedy(r, "proposed", ev.at) for r in ev.remedies)


def _handled(state: dict[str, Any], ev: ComplaintHandled) -> None:
    state["stages_entered"].setdefault(ev.implies, ev.at)  # the stage it leads to
    state["actions"] += (ev.actions,)


def _fed_back(state: dict[str, Any], ev: FeedbackRecorded) -> None:
    state["stages_entered"].setdefault(ev.implies, ev.at)  # the stage it leads to
    state["feedback_at"] = ev.at
    state["satisfaction"] = ev.satisfaction
    state["satisfied"] = ev.satisfied
    state["unreachable"] = False
    state["unreachable_attempts"] = 0
    visits = tuple(v._replace(status="done", done_at=ev.at, outcome="satisfied"
                              if ev.satisfied else "unsatisfied", satisfaction=ev.satisfaction)
                   if v.kind == "feedback" and v.status == "scheduled" else v
                   for v in state["return_visits"])
    if not ev.satisfied:
        visits += (ReturnVisit("second_visit", "M-05", ev.second_visit_due_at, "scheduled"),)
    if ev.effectiveness_check_due_at is not None:
        visits += (_effectiveness_check(ev.effectiveness_check_due_at),)
    state["return_visits"] = visits


def _effectiveness_check(due: datetime) -> ReturnVisit:
    return ReturnVisit("effectiveness_check", "P-04", due, "scheduled")


def _visited(state: dict[str, Any], ev: ReturnVisitRecorded) -> None:
    visits = state["return_visits"]
    kind = ev.visit
    index = -1
    for i, v in enumerate(visits):
        if v.kind == kind and v.status == "scheduled":
            index = i
            break
    reached = ev.outcome != "unreachable"
    old = visits[index] if index >= 0 else ReturnVisit(kind, "", None, "scheduled")
    if reached or ev.exhausted or kind == "follow_up":  # a follow-up is one visit
        visit = ReturnVisit(kind, old.rule, old.due_at, "done", ev.outcome,
                            ev.satisfaction if reached else old.satisfaction, ev.attempt, ev.at)
    else:
        visit = ReturnVisit(kind, old.rule, ev.next_due_at or old.due_at, "scheduled",
                            ev.outcome, old.satisfaction, ev.attempt)
    visits = ((*visits[:index], visit, *visits[index + 1:]) if index >= 0
              else (*visits, visit))
    if ev.effectiveness_check_due_at is not None:
        visits += (_effectiveness_check(ev.effectiveness_check_due_at),)
    state["return_visits"] = visits
    if kind == "follow_up" and not reached:
        return  # a follow-up nobody scheduled counts no tries
    if reached:
        state["unreachable"] = False
        state["unreachable_attempts"] = 0
        if ev.satisfaction is not None:
            state["satisfaction"] = ev.satisfaction
        state["satisfied"] = ev.satisfied
    else:
        state["unreachable_attempts"] = ev.attempt
        state["unreachable"] = ev.exhausted


def _closed(state: dict[str, Any], ev: ComplaintClosed) -> None:
    state["stages_entered"].setdefault(ev.implies, ev.at)  # the stage it leads to
    state["closed_at"] = ev.at
    state["closed_unreachable"] = ev.unreachable
    if ev.effectiveness_check_due_at is not None:
        state["return_visits"] += (_effectiveness_check(ev.effectiveness_check_due_at),)


def _loop_closed(state: dict[str, Any], ev: ComplaintLoopClosed) -> None:
    state["stages_entered"].setdefault(ev.implies, ev.at)  # the stage it leads to


def _escalated(state: dict[str, Any], ev: ComplaintEscalated) -> None:
    state["escalation_level"] = ev.level


def _reopened(state: dict[str, Any], ev: ComplaintReopened) -> None:
    state["stages_entered"].setdefault(ev.implies, ev.at)  # the stage it leads to
    state["reopens"] += 1
    state["closed_at"] = None
    state["closed_unreachable"] = False
    state["satisfied"] = None
    state["unreachable"] = False
    state["unreachable_attempts"] = 0
    state["return_visits"] = tuple(v._replace(status="cancelled") if v.status == "scheduled"
                                   else v for v in state["return_visits"])


def _withdrawn(state: dict[str, Any], ev: ComplaintWithdrawn) -> None:
    state["stages_entered"].setdefault(ev.implies, ev.at)  # the stage it leads to
    state["withdrawn_reason"] = ev.reason


def _owed(state: dict[str, Any], ev: RemedyOwed) -> None:
    state["owed_metrics"] += (ev.metric,)
    state["remedies"] += tuple(
        ComplaintRemedy(r, "owed", ev.at, ev.rule, ev.metric,
                        ev.decided_by[i] if i < len(ev.decided_by) else "")
        for i, r in enumerate(ev.remedies))


def _initial(ev: CaseStarted, process: ProcessDefinition) -> dict[str, Any]:
    data = ev.fields
    return {
        "complaint_id": ev.stream_id,
        "customer_id": ev.customer_id or "",
        "channel": data.get("channel", ""),
        "content": data.get("content", ""),
        "cause": data.get("cause", ""),
        "remedy_sought": data.get("remedy_sought"),
        "customer_tier": data.get("customer_tier"),
        "phase": data.get("phase"),
        "fields": frozen_dict({k: v for k, v in data.items() if k not in P03_FIELDS}),
        "received_at": ev.at,
        "stages_entered": {ev.state: ev.at},
        "acknowledged_at": None,
        "solution_proposed_at": None,
        "feedback_at": None,
        "closed_at": None,
        "closed_unreachable": False,
        "nature": None,
        "severity": None,
        "scope": None,
        "urgency": None,
        "severity_band": None,
        "priority": None,
        "major": None,
        "priority_rule": None,
        "escalation_level": 0,
        "solution_summary": None,
        "actions": (),
        "satisfaction": None,
        "satisfied": None,
        "unreachable": False,
        "unreachable_attempts": 0,
        "return_visits": (),
        "remedies": (),
        "owed_metrics": (),
        "reopens": 0,
        "withdrawn_reason": None,
    }


def _starts(ev: CaseStarted, process: ProcessDefinition) -> str | None:
    if ev.process != process.name:
        return "a case of another process"
    if ev.state != process.table.initial:
        return f"the {process.name} process starts in {process.table.initial!r}"
    return None


_HIDDEN = ("history", "fields", "stages_entered", "return_visits", "remedies")


def _guard_facts(state: Mapping[str, Any], host: Mapping[str, Any],
                 arguments: Mapping[str, Any], at: datetime) -> dict[str, Any]:
    """What a guard reads: the host's fields, the complaint's own values (which fields cannot
    shadow), the command's arguments (a visit's ``outcome`` and ``exhausted``) and ``at``."""
    facts = {**state["fields"], **host, **state}
    for key in _HIDDEN:
        del facts[key]
    facts.update(arguments)
    facts["at"] = at
    return facts


_SPECS = (
    CommandSpec("acknowledge", ComplaintAcknowledged),
    CommandSpec("analyse", ComplaintAnalysed,
                ("nature", "severity", "scope", "urgency", "severity_band", "priority", "major",
                 "priority_rule")),
    CommandSpec("propose_solution", SolutionProposed, ("remedies", "summary")),
    CommandSpec("handle", ComplaintHandled, ("actions",)),
    CommandSpec("feedback", FeedbackRecorded,
                ("satisfaction", "comment", "satisfied", "second_visit_due_at",
                 "effectiveness_check_due_at")),
    CommandSpec("record_return_visit", ReturnVisitRecorded,
                ("visit", "outcome", "satisfaction", "satisfied", "attempt", "exhausted",
                 "next_due_at", "effectiveness_check_due_at"), _visit_fits),
    CommandSpec("close", ComplaintClosed, ("unreachable", "effectiveness_check_due_at"),
                _may_close),
    CommandSpec("close_loop", ComplaintLoopClosed),
    CommandSpec("escalate", ComplaintEscalated, ("level", "reason"), _escalation_goes_up),
    CommandSpec("reopen", ComplaintReopened, ("reason",)),
    CommandSpec("withdraw", ComplaintWithdrawn, ("reason",)),
    CommandSpec("owe_remedy", RemedyOwed,
                ("metric", "rule", "remedies", "decided_by", "breached_at")),
)

_MUTATORS: dict[type[Event], Callable[[dict[str, Any], Any], None]] = {
    StatusChanged: _entered,
    ComplaintAcknowledged: _acknowledged,
    ComplaintAnalysed: _analysed,
    SolutionProposed: _proposed,
    ComplaintHandled: _handled,
    FeedbackRecorded: _fed_back,
    ReturnVisitRecorded: _visited,
    ComplaintClosed: _closed,
    ComplaintLoopClosed: _loop_closed,
    ComplaintEscalated: _escalated,
    ComplaintReopened: _reopened,
    ComplaintWithdrawn: _withdrawn,
    RemedyOwed: _owed,
}

#: The complaint as data for the engine. The mutator of an event whose class declares the
#: stage it leads to (``implies``) records the stage as entered (the first time is kept).
COMPLAINT = AggregateKind(
    name="complaint",
    created=CaseStarted,
    initial=_initial,
    facts=_guard_facts,
    commands={s.name: s for s in _SPECS},
    mutators=_MUTATORS,
    start_check=_starts,
    owned=("stages_entered",),  # the host's fields are read-only from the start
    status_key="stage",
    since_key="stage_since",
)
