"""The complaint as data for the engine: its values, its commands, their rules and mutators.

Everything here reads only the state and the events (never the policy): the policy's numbers
are applied by the commands of :class:`~servicekit.complaints.Complaint` and recorded on the
events they write, so replay needs no policy and a history reads the same under a later one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Any, Literal, NamedTuple

from servicekit._payload import frozen_dict
from servicekit.engine import AggregateKind, CommandSpec, starts_process
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
)
from servicekit.processes import ProcessDefinition

__all__ = ["COMPLAINT", "P03_FIELDS", "ComplaintRemedy", "ReturnVisit", "entered_stages"]

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
    for v in state["return_visits"]:
        if v[0] == kind and v[3] == "scheduled":  # kind, status
            return v  # type: ignore[no-any-return]
    return None


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


def _owed_once(state: Mapping[str, Any], arguments: Mapping[str, Any]) -> str | None:
    """K-06: a missed commitment owes its remedies once (replay refuses a second time)."""
    if arguments["metric"] in state["owed_metrics"]:
        return f"the remedies of {arguments['metric']} are owed already"
    return None


def _loop_closes(state: Mapping[str, Any], arguments: Mapping[str, Any]) -> str | None:
    """P-04: the loop closes once the latest effectiveness check found the fix worked, or
    could not reach the customer within the policy's attempts (replay refuses a loop closed
    before its check)."""
    checks = [v for v in state["return_visits"] if v.kind == "effectiveness_check"]
    if not checks or checks[-1].status != "done" or checks[-1].outcome == "unsatisfied":
        return ("the effectiveness check has not found the fix worked, nor given up on "
                "reaching the customer (P-04)")
    return None


def _visit_fits(state: Mapping[str, Any], arguments: Mapping[str, Any]) -> str | None:
    if state["stage"] == "handling" and arguments["outcome"] != "unreachable":
        return ("a customer reached during handling gives feedback: record it with "
                "feedback(); a return visit here records a try that could not reach them")
    return None


# -- per-event mutators --------------------------------------------------------------------------

def entered_stages(history: tuple[Any, ...], since: int | None = None
                   ) -> tuple[dict[str, datetime], set[str]]:
    """When the complaint first entered each stage, read from its history (in the order it
    entered them), and the stages first entered by the events from position ``since`` on
    (a command's own). Kept out of the complaint's values: only the commitment checks and
    :attr:`~servicekit.complaints.Complaint.stages_entered` ask, and rarely."""
    first = history[0]
    entered: dict[str, datetime] = {first.state: first.at}
    fresh: set[str] = set()
    for index in range(1, len(history)):
        ev = history[index]
        stage = ev.implied_status
        if stage is not None and stage not in entered:
            entered[stage] = ev.at
            if since is not None and index >= since:
                fresh.add(stage)
    return entered, fresh


def _acknowledged(state: dict[str, Any], ev: ComplaintAcknowledged) -> None:
    state["acknowledged_at"] = ev.at


def _analysed(state: dict[str, Any], ev: ComplaintAnalysed) -> None:
    state["nature"] = ev.nature
    state["severity"] = ev.severity
    state["scope"] = ev.scope
    state["urgency"] = ev.urgency
    state["severity_band"] = ev.severity_band
    state["priority"] = ev.priority
    state["major"] = ev.major
    state["priority_rule"] = ev.priority_rule


def _proposed(state: dict[str, Any], ev: SolutionProposed) -> None:
    state["solution_summary"] = ev.summary
    if state["solution_proposed_at"] is None:
        state["solution_proposed_at"] = ev.at
    at = ev.at
    state["remedies"] += tuple([ComplaintRemedy(r, "proposed", at) for r in ev.remedies])


def _handled(state: dict[str, Any], ev: ComplaintHandled) -> None:
    state["actions"] += (ev.actions,)


#: a ReturnVisit from its eight values, without the Python-level constructor (replay's path)
_visit = partial(tuple.__new__, ReturnVisit)
# positions in a ReturnVisit
_KIND, _RULE, _DUE, _STATUS, _OUTCOME, _SATISFACTION, _ATTEMPTS = range(7)


def _cancelled(visits: tuple[ReturnVisit, ...]) -> tuple[ReturnVisit, ...]:
    """The visits, those still scheduled cancelled (the complaint was reopened or withdrawn)."""
    for v in visits:
        if v[_STATUS] == "scheduled":
            break
    else:
        return visits
    return tuple([_visit((*v[:_STATUS], "cancelled", *v[_OUTCOME:]))
                  if v[_STATUS] == "scheduled" else v for v in visits])


def _scheduled(visits: tuple[ReturnVisit, ...], kind: str) -> int:
    """The position of the scheduled visit of ``kind`` (the latest), or -1."""
    for i in range(len(visits) - 1, -1, -1):
        v = visits[i]
        if v[_STATUS] == "scheduled" and v[_KIND] == kind:
            return i
    return -1


def _fed_back(state: dict[str, Any], ev: FeedbackRecorded) -> None:
    at = ev.at
    state["feedback_at"] = at
    satisfaction = state["satisfaction"] = ev.satisfaction
    satisfied = state["satisfied"] = ev.satisfied
    state["unreachable"] = False
    state["unreachable_attempts"] = 0
    visits = state["return_visits"]
    index = _scheduled(visits, "feedback") if visits else -1
    if index >= 0:  # the tries to reach the customer for this feedback are over
        v = visits[index]
        done = _visit((v[_KIND], v[_RULE], v[_DUE], "done",
                       "satisfied" if satisfied else "unsatisfied", satisfaction,
                       v[_ATTEMPTS], at))
        visits = (*visits[:index], done, *visits[index + 1:])
    if not satisfied:
        visits += (_visit(("second_visit", "M-05", ev.second_visit_due_at, "scheduled", None,
                           None, 0, None)),)
    if ev.effectiveness_check_due_at is not None:
        visits += (_effectiveness_check(ev.effectiveness_check_due_at),)
    state["return_visits"] = visits


def _effectiveness_check(due: datetime) -> ReturnVisit:
    return _visit(("effectiveness_check", "P-04", due, "scheduled", None, None, 0, None))


def _visited(state: dict[str, Any], ev: ReturnVisitRecorded) -> None:
    visits = state["return_visits"]
    kind = ev.visit
    index = _scheduled(visits, kind)
    outcome = ev.outcome
    reached = outcome != "unreachable"
    if index >= 0:
        old = visits[index]
        rule, due, satisfaction = old[_RULE], old[_DUE], old[_SATISFACTION]
    else:
        rule, due, satisfaction = "", None, None
    if reached:
        satisfaction = ev.satisfaction
    if reached or ev.exhausted or kind == "follow_up":  # a follow-up is one visit
        visit = _visit((kind, rule, due, "done", outcome, satisfaction, ev.attempt, ev.at))
    else:
        visit = _visit((kind, rule, ev.next_due_at or due, "scheduled", outcome, satisfaction,
                        ev.attempt, None))
    visits = ((*visits[:index], visit, *visits[index + 1:]) if index >= 0
              else (*visits, visit))
    if ev.effectiveness_check_due_at is not None:
        visits += (_effectiveness_check(ev.effectiveness_check_due_at),)
    state["return_visits"] = visits
    if reached:
        state["unreachable"] = False
        state["unreachable_attempts"] = 0
        if ev.satisfaction is not None:
            state["satisfaction"] = ev.satisfaction
        state["satisfied"] = ev.satisfied
    elif kind != "follow_up":  # a follow-up nobody scheduled counts no tries
        state["unreachable_attempts"] = ev.attempt
        state["unreachable"] = ev.exhausted


def _closed(state: dict[str, Any], ev: ComplaintClosed) -> None:
    state["closed_at"] = ev.at
    state["closed_unreachable"] = ev.unreachable
    if ev.effectiveness_check_due_at is not None:
        state["return_visits"] += (_effectiveness_check(ev.effectiveness_check_due_at),)


def _escalated(state: dict[str, Any], ev: ComplaintEscalated) -> None:
    state["escalation_level"] = ev.level


def _reopened(state: dict[str, Any], ev: ComplaintReopened) -> None:
    state["reopens"] += 1
    state["closed_at"] = None
    state["closed_unreachable"] = False
    state["satisfied"] = None
    state["unreachable"] = False
    state["unreachable_attempts"] = 0
    state["return_visits"] = _cancelled(state["return_visits"])


def _withdrawn(state: dict[str, Any], ev: ComplaintWithdrawn) -> None:
    state["withdrawn_reason"] = ev.reason
    # nobody visits a withdrawn complaint: what was scheduled is cancelled, as at a reopen
    state["return_visits"] = _cancelled(state["return_visits"])


def _owed(state: dict[str, Any], ev: RemedyOwed) -> None:
    state["owed_metrics"] += (ev.metric,)
    at, rule, metric, rules = ev.at, ev.rule, ev.metric, ev.decided_by
    state["remedies"] += tuple([
        ComplaintRemedy(r, "owed", at, rule, metric, rules[i] if i < len(rules) else "")
        for i, r in enumerate(ev.remedies)])


#: a complaint's values before anything happened to it (copied, then the receipt's set)
_BLANK: dict[str, Any] = {
    "complaint_id": "", "customer_id": "", "channel": "", "content": "", "cause": "",
    "remedy_sought": None, "customer_tier": None, "phase": None, "fields": None,
    "received_at": None,
    "acknowledged_at": None, "solution_proposed_at": None, "feedback_at": None,
    "closed_at": None, "closed_unreachable": False,
    "nature": None, "severity": None, "scope": None, "urgency": None, "severity_band": None,
    "priority": None, "major": None, "priority_rule": None, "escalation_level": 0,
    "solution_summary": None, "actions": (),
    "satisfaction": None, "satisfied": None, "unreachable": False, "unreachable_attempts": 0,
    "return_visits": (), "remedies": (), "owed_metrics": (), "reopens": 0,
    "withdrawn_reason": None,
}
_P03 = frozenset(P03_FIELDS)
_NO_FIELDS = frozen_dict({})


def _initial(ev: CaseStarted, process: ProcessDefinition) -> dict[str, Any]:
    data = ev.fields
    state = _BLANK.copy()
    state["complaint_id"] = ev.stream_id
    state["customer_id"] = ev.customer_id or ""
    state["received_at"] = ev.at
    for key in _P03.intersection(data):
        state[key] = data[key]
    extra = {k: v for k, v in data.items() if k not in _P03} if len(data) > len(
        _P03.intersection(data)) else None
    state["fields"] = frozen_dict(extra) if extra else _NO_FIELDS  # the host's own data
    return state


_HIDDEN = ("history", "fields", "return_visits", "remedies")


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
    CommandSpec("close_loop", ComplaintLoopClosed, (), _loop_closes),
    CommandSpec("escalate", ComplaintEscalated, ("level", "reason"), _escalation_goes_up),
    CommandSpec("reopen", ComplaintReopened, ("reason",)),
    CommandSpec("withdraw", ComplaintWithdrawn, ("reason",)),
    CommandSpec("owe_remedy", RemedyOwed,
                ("metric", "rule", "remedies", "decided_by", "breached_at"), _owed_once),
)

_MUTATORS: dict[type[Event], Callable[[dict[str, Any], Any], None]] = {
    ComplaintAcknowledged: _acknowledged,
    ComplaintAnalysed: _analysed,
    SolutionProposed: _proposed,
    ComplaintHandled: _handled,
    FeedbackRecorded: _fed_back,
    ReturnVisitRecorded: _visited,
    ComplaintClosed: _closed,
    ComplaintEscalated: _escalated,
    ComplaintReopened: _reopened,
    ComplaintWithdrawn: _withdrawn,
    RemedyOwed: _owed,
}

#: The complaint as data for the engine.
COMPLAINT = AggregateKind(
    name="complaint",
    created=CaseStarted,
    initial=_initial,
    facts=_guard_facts,
    commands={s.name: s for s in _SPECS},
    mutators=_MUTATORS,
    start_check=starts_process,
    # nothing owned: the host's fields are read-only from the start
    status_key="stage",
    since_key="stage_since",
)
