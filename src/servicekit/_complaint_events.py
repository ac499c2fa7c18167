"""The events of a complaint (P-03, P-04, K-02 … K-06, M-05): what happened, who did it, why.

A complaint starts with :class:`~servicekit.events.CaseStarted` (``process="complaint"``), so
the SLA engine runs its stage clocks (S-01, S-02) from the start; every command records one
of these events. Most of them lead to one stage, which the class declares (``implies``:
an acknowledgement to ``acknowledged``), so the complaint records no companion
:class:`~servicekit.events.StatusChanged` for the move (a process that runs complaints must
send each command to its stage: checked when a complaint starts). Each event records the decisions
the policy
made at the time (the priority and the rule that gave it, whether a satisfaction met the M-05
threshold, when the next visit is due), so a history reads the same under a later policy
and replay needs no policy at all (P-08: every record kept).

These classes are registered with the event vocabulary when :mod:`servicekit.events` is
imported (a stored complaint history loads without importing :mod:`servicekit.complaints`);
import them from either module.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from servicekit.events import Event, Instant

__all__ = [
    "COMPLAINT_EVENT_TYPES",
    "ComplaintAcknowledged",
    "ComplaintAnalysed",
    "ComplaintClosed",
    "ComplaintEscalated",
    "ComplaintHandled",
    "ComplaintLoopClosed",
    "ComplaintReopened",
    "ComplaintWithdrawn",
    "FeedbackRecorded",
    "RemedyOwed",
    "ReturnVisitRecorded",
    "SolutionProposed",
]

Outcome = Literal["satisfied", "unsatisfied", "unreachable"]
VisitKind = Literal["feedback", "second_visit", "effectiveness_check", "follow_up"]


class ComplaintAcknowledged(Event):
    """The complainant got a first response (S-01: within 4 h of receipt)."""

    implies = "acknowledged"

    type: Literal["ComplaintAcknowledged"] = "ComplaintAcknowledged"


class ComplaintAnalysed(Event):
    """The complaint was assessed (P-03 分析; K-02, K-03): its nature, severity on the K-03
    scale, scope and urgency, and what the policy made of them: the severity band, the
    priority and whether it is a major problem, with the id of the K-02 rule that decided.

    The SLA engine reads the assessment as facts (``sets_facts``): a remedy owed later
    (K-06: compensation for a major problem) and any target chosen by priority see it.
    """

    implies = "analysing"
    sets_facts: ClassVar[tuple[str, ...]] = (
        "nature", "severity", "scope", "urgency", "severity_band", "priority", "major")

    type: Literal["ComplaintAnalysed"] = "ComplaintAnalysed"
    nature: str = Field(min_length=1)
    severity: int
    scope: str = Field(min_length=1)
    urgency: str = Field(min_length=1)
    severity_band: str = Field(min_length=1)
    priority: str = Field(min_length=1)
    major: bool = False
    priority_rule: str | None = Field(
        default=None, description="the id of the K-02 rule that gave the priority "
                                  "(None: the table's default)")


class SolutionProposed(Event):
    """A preliminary solution was proposed (S-02: within 24 h of receipt), with the K-06
    remedies it offers."""

    implies = "solution_proposed"

    type: Literal["SolutionProposed"] = "SolutionProposed"
    remedies: tuple[str, ...] = Field(min_length=1)
    summary: str = Field(min_length=1)


class ComplaintHandled(Event):
    """Actions were taken to carry out the solution (P-03 處理)."""

    implies = "handling"

    type: Literal["ComplaintHandled"] = "ComplaintHandled"
    actions: str = Field(min_length=1)


class FeedbackRecorded(Event):
    """The complainant was told the result and gave their satisfaction (P-03 反饋), on 0-1.

    ``satisfied`` is the policy's verdict (M-05: at least the second-visit threshold); when
    it is false, ``second_visit_due_at`` is when the second return visit falls due; when it is
    true, ``effectiveness_check_due_at`` is when the effectiveness check falls due (P-04).
    """

    implies = "awaiting_feedback"

    type: Literal["FeedbackRecorded"] = "FeedbackRecorded"
    satisfaction: float = Field(ge=0, le=1)
    comment: str | None = None
    satisfied: bool
    second_visit_due_at: Instant | None = None
    effectiveness_check_due_at: Instant | None = None


class ReturnVisitRecorded(Event):
    """A return visit (回访) was made: the scheduled one (a second visit, M-05; the
    effectiveness check, P-04) or, with none scheduled, an attempt to reach the customer.

    ``attempt`` counts the visit's tries (unreachable ones included); ``exhausted`` says the
    customer could not be reached within the policy's number of attempts, which allows a close
    without feedback; ``next_due_at`` is when the next try falls due, if one is owed;
    ``effectiveness_check_due_at`` is when the effectiveness check (P-04) falls due, scheduled
    by a visit that found the customer satisfied.
    """

    type: Literal["ReturnVisitRecorded"] = "ReturnVisitRecorded"
    visit: VisitKind
    outcome: Outcome
    satisfaction: float | None = Field(default=None, ge=0, le=1)
    satisfied: bool | None = None
    attempt: int = Field(ge=1)
    exhausted: bool = False
    next_due_at: Instant | None = None
    effectiveness_check_due_at: Instant | None = None


class ComplaintClosed(Event):
    """The complaint was closed (结案): with the customer satisfied, or ``unreachable`` after
    the policy's number of return-visit attempts. A close without a satisfied result (which
    schedules it) schedules the effectiveness check (P-04) at ``effectiveness_check_due_at``."""

    implies = "closed"

    type: Literal["ComplaintClosed"] = "ComplaintClosed"
    unreachable: bool = False
    effectiveness_check_due_at: Instant | None = None


class ComplaintLoopClosed(Event):
    """The effectiveness check found the fix worked, or could not reach the customer within
    the policy's attempts (P-04: close the loop and track): the complaint is done. Recorded by
    the system actor after the check."""

    implies = "loop_closed"

    type: Literal["ComplaintLoopClosed"] = "ComplaintLoopClosed"


class ComplaintEscalated(Event):
    """The complaint was escalated to ``level`` (S-11), by a lead or automatically (a severe
    complaint, K-03: the system actor)."""

    type: Literal["ComplaintEscalated"] = "ComplaintEscalated"
    level: int = Field(ge=1)
    reason: str | None = None


class ComplaintReopened(Event):
    """The complaint went back to handling (the customer is not satisfied after all)."""

    implies = "handling"

    type: Literal["ComplaintReopened"] = "ComplaintReopened"
    reason: str | None = None


class ComplaintWithdrawn(Event):
    """The complainant withdrew the complaint, or a lead found it is none."""

    implies = "withdrawn"

    type: Literal["ComplaintWithdrawn"] = "ComplaintWithdrawn"
    reason: str = Field(min_length=1)


class RemedyOwed(Event):
    """A public commitment was missed (K-06): the SLA clock ``metric`` breached at
    ``breached_at``, so the customer is owed ``remedies``. ``rule`` is the catalog id of the
    missed commitment (S-01, S-02); ``decided_by`` the remedy table's rules, one per remedy.
    Recorded by the system actor."""

    type: Literal["RemedyOwed"] = "RemedyOwed"
    metric: str = Field(min_length=1)
    rule: str = ""
    remedies: tuple[str, ...] = ()
    decided_by: tuple[str, ...] = ()
    breached_at: Instant


#: The complaint's own event types, in the order they are defined here.
COMPLAINT_EVENT_TYPES: tuple[str, ...] = tuple(
    cls.event_type for cls in (
        ComplaintAcknowledged, ComplaintAnalysed, SolutionProposed, ComplaintHandled,
        FeedbackRecorded, ReturnVisitRecorded, ComplaintClosed, ComplaintLoopClosed,
        ComplaintEscalated,
        ComplaintReopened, ComplaintWithdrawn, RemedyOwed))
