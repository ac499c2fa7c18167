"""The complaint's commands at their edges (issue 11): bad input, roles, stages, replay,
policy and storage.

* Every bad input is a typed ``ServiceKitError`` (the class is checked exactly), repeats no
  personal data and changes nothing: the complaint keeps its values and its very history
  (one table, :data:`REFUSALS`).
* The unreachable path (3 tries, then a close recorded as such), reopening (scheduled visits
  cancelled), replay after a JSON round trip of every event, and replay refusing histories no
  command could have written (P-08).
* A host process that lacks a transition the complaint fires itself is a ``PolicyError``;
  ``ComplaintPolicy`` reports every problem at once; the policy document carries the
  complaint policy (``complaints``) through JSON and its JSON Schema.
* A complaint is stored and reloaded through the generic repository, in memory and in SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from complaint_world import (
    AGENT,
    CUSTOMER,
    CUSTOMER_ID,
    LEAD,
    MANAGER,
    OTHER_CUSTOMER,
    SPECIALIST,
    SYSTEM,
    T0,
    US,
    D,
    H,
    M,
    acknowledged,
    analysed,
    awaiting_feedback,
    bad,
    closed,
    handling,
    private_free,
    proposed,
    received,
    refused,
    sh,
)

from servicekit.adapters.sqlite import SqliteEventStore
from servicekit.complaints import (
    COMPLAINT_EVENT_TYPES,
    Complaint,
    ComplaintAcknowledged,
    ComplaintClosed,
    ComplaintEscalated,
    ComplaintLoopClosed,
    ComplaintPolicy,
    RemedyOwed,
    ReturnVisitRecorded,
    SeverityBand,
    default_complaint_process,
)
from servicekit.errors import (
    ConcurrencyConflict,
    InvalidInputError,
    NaiveDatetimeError,
    PermissionDenied,
    PolicyError,
    ServiceKitError,
    TransitionRejected,
)
from servicekit.events import CaseStarted, Event, StatusChanged, time_ordered_id
from servicekit.policy import Policy
from servicekit.presets import handbook
from servicekit.processes import ProcessDefinition
from servicekit.repository import Repository
from servicekit.rules import DecisionTable, Rule
from servicekit.storage import InMemoryEventStore
from servicekit.tickets import Ticket

NAIVE = T0.replace(tzinfo=None)


def unsatisfied() -> Complaint:
    """Feedback of 0.6: a second visit (M-05) is due."""
    return awaiting_feedback(satisfaction=0.6)


def loop_closed() -> Complaint:
    c = closed()
    return c.record_return_visit(outcome="satisfied", at=c.updated_at + 30 * D, by=AGENT)


def withdrawn() -> Complaint:
    c = analysed()
    return c.withdraw(reason="solved elsewhere", at=c.updated_at + H)


def next_(c: Complaint) -> Any:
    return c.updated_at + M


def earlier(c: Complaint) -> Any:
    return c.updated_at - US


# Each command where it is allowed, with the instant and the actor as arguments: the table
# below swaps in a bad instant, a bad actor or a bad argument.
Command = Callable[[Complaint], object]


def ack(at: Callable[[Complaint], Any] = next_, by: Any = AGENT) -> Command:
    return lambda c: c.acknowledge(at=at(c), by=by)


def analyse(at: Callable[[Complaint], Any] = next_, by: Any = SPECIALIST,
            **kw: Any) -> Command:
    arguments = {"nature": "billing", "severity": 3, "scope": "group", "urgency": "medium",
                 **kw}
    return lambda c: c.analyse(at=at(c), by=by, **arguments)


def propose(at: Callable[[Complaint], Any] = next_, by: Any = SPECIALIST,
            **kw: Any) -> Command:
    arguments = {"remedies": ["apology"], "summary": "refund", **kw}
    return lambda c: c.propose_solution(at=at(c), by=by, **arguments)


def handle(at: Callable[[Complaint], Any] = next_, by: Any = SPECIALIST,
           actions: Any = "refunded") -> Command:
    return lambda c: c.handle(actions=actions, at=at(c), by=by)


def feedback(at: Callable[[Complaint], Any] = next_, by: Any = AGENT,
             satisfaction: Any = 0.9, **kw: Any) -> Command:
    return lambda c: c.feedback(satisfaction=satisfaction, at=at(c), by=by, **kw)


def visit(at: Callable[[Complaint], Any] = next_, by: Any = AGENT, outcome: Any = "satisfied",
          **kw: Any) -> Command:
    return lambda c: c.record_return_visit(outcome=outcome, at=at(c), by=by, **kw)


def close(at: Callable[[Complaint], Any] = next_, by: Any = SPECIALIST) -> Command:
    return lambda c: c.close(at=at(c), by=by)


def escalate(at: Callable[[Complaint], Any] = next_, by: Any = LEAD, level: Any = 1,
             **kw: Any) -> Command:
    return lambda c: c.escalate(level=level, at=at(c), by=by, **kw)


def reopen(at: Callable[[Complaint], Any] = next_, by: Any = None, **kw: Any) -> Command:
    return lambda c: c.reopen(at=at(c), by=by, **kw)


def withdraw(at: Callable[[Complaint], Any] = next_, by: Any = None,
             reason: Any = "no longer needed") -> Command:
    return lambda c: c.withdraw(reason=reason, at=at(c), by=by)


#: (stage builder, command) pairs that are accepted as they stand
ALLOWED: list[tuple[Callable[[], Complaint], Callable[..., Command]]] = [
    (received, ack), (acknowledged, analyse), (analysed, propose), (proposed, handle),
    (handling, feedback), (unsatisfied, visit), (awaiting_feedback, close),
    (received, escalate), (awaiting_feedback, reopen), (received, withdraw),
]


def test_each_command_of_the_table_is_accepted_as_it_stands() -> None:
    """The base of :data:`REFUSALS`: each command, unchanged, is accepted where it is tried
    (so each refusal below is the bad part's)."""
    for stage, command in ALLOWED:
        after = command()(stage())
        assert isinstance(after, Complaint)


def bad_times() -> list[Any]:
    out = []
    for stage, command in ALLOWED:
        name = command.__name__
        out += [
            pytest.param(stage, command(at=lambda c: NAIVE), NaiveDatetimeError,
                         id=f"{name}-naive"),
            pytest.param(stage, command(at=earlier), InvalidInputError,
                         id=f"{name}-before-the-last-event"),
            pytest.param(stage, command(at=lambda c: c.updated_at.isoformat()),
                         InvalidInputError, id=f"{name}-text-instant"),
            pytest.param(stage, command(by="agent"), InvalidInputError, id=f"{name}-by-text"),
        ]
    return out


REFUSALS = [
    *bad_times(),
    # wrong types and values
    pytest.param(acknowledged, analyse(nature=""), InvalidInputError, id="nature-empty"),
    pytest.param(acknowledged, analyse(nature=7), InvalidInputError, id="nature-int"),
    *(pytest.param(acknowledged, analyse(severity=s), InvalidInputError, id=f"severity-{s!r}")
      for s in (0, 7, -1, True, False, 5.0, "5", None)),
    pytest.param(acknowledged, analyse(scope="galaxy"), InvalidInputError, id="scope-unknown"),
    pytest.param(acknowledged, analyse(scope=None), InvalidInputError, id="scope-none"),
    pytest.param(acknowledged, analyse(urgency="urgent"), InvalidInputError,
                 id="urgency-unknown"),
    pytest.param(acknowledged, analyse(urgency=""), InvalidInputError, id="urgency-empty"),
    pytest.param(analysed, propose(summary=""), InvalidInputError, id="summary-empty"),
    pytest.param(analysed, propose(remedies=["refund"]), InvalidInputError,
                 id="remedy-unknown"),
    pytest.param(analysed, propose(remedies=[]), InvalidInputError, id="remedies-empty"),
    pytest.param(analysed, propose(remedies="apology"), InvalidInputError, id="remedies-text"),
    pytest.param(proposed, handle(actions=""), InvalidInputError, id="actions-empty"),
    pytest.param(proposed, handle(actions=None), InvalidInputError, id="actions-none"),
    *(pytest.param(handling, feedback(satisfaction=s), InvalidInputError,
                   id=f"satisfaction-{s!r}")
      for s in (-0.01, 1.01, float("nan"), float("inf"), True, False, "0.9", None, 90)),
    pytest.param(handling, feedback(comment=3), InvalidInputError, id="comment-int"),
    *(pytest.param(unsatisfied, visit(outcome=o), InvalidInputError, id=f"outcome-{o!r}")
      for o in ("maybe", "Satisfied", None, 1)),
    *(pytest.param(unsatisfied, visit(outcome=o, satisfaction=s), InvalidInputError,
                   id=f"outcome-{o}-contradicts-{s}")
      for o, s in (("satisfied", 0.79), ("unsatisfied", 0.8), ("unsatisfied", 1.0),
                   ("unreachable", 0.5), ("unreachable", 0.0))),
    *(pytest.param(unsatisfied, visit(satisfaction=s), InvalidInputError,
                   id=f"visit-satisfaction-{s!r}")
      for s in (1.5, float("nan"), True, "high")),
    *(pytest.param(received, escalate(level=v), InvalidInputError, id=f"level-{v!r}")
      for v in (0, -1, True, 2.0, "3", None)),
    pytest.param(received, escalate(reason=5), InvalidInputError, id="escalate-reason-int"),
    pytest.param(awaiting_feedback, reopen(reason=5), InvalidInputError,
                 id="reopen-reason-int"),
    pytest.param(received, withdraw(reason=""), InvalidInputError, id="withdraw-reason-empty"),
    pytest.param(received, withdraw(reason=None), InvalidInputError, id="withdraw-reason-none"),
    # roles (P-08): who may do what
    pytest.param(acknowledged, analyse(by=AGENT), PermissionDenied, id="agent-analyses"),
    pytest.param(analysed, propose(by=AGENT), PermissionDenied, id="agent-proposes"),
    pytest.param(proposed, handle(by=AGENT), PermissionDenied, id="agent-handles"),
    pytest.param(awaiting_feedback, close(by=AGENT), PermissionDenied, id="agent-closes"),
    pytest.param(received, ack(by=CUSTOMER), PermissionDenied, id="customer-acknowledges"),
    pytest.param(received, ack(by=SYSTEM), PermissionDenied, id="system-acknowledges"),
    pytest.param(acknowledged, analyse(by=CUSTOMER), PermissionDenied, id="customer-analyses"),
    pytest.param(handling, feedback(by=CUSTOMER), PermissionDenied, id="customer-feeds-back"),
    pytest.param(awaiting_feedback, close(by=CUSTOMER), PermissionDenied,
                 id="customer-closes"),
    pytest.param(received, escalate(by=CUSTOMER), PermissionDenied, id="customer-escalates"),
    pytest.param(received, escalate(by=AGENT), PermissionDenied, id="agent-escalates"),
    pytest.param(received, escalate(by=SPECIALIST), PermissionDenied,
                 id="specialist-escalates"),
    pytest.param(awaiting_feedback, reopen(by=OTHER_CUSTOMER), PermissionDenied,
                 id="another-customer-reopens"),
    pytest.param(received, withdraw(by=OTHER_CUSTOMER), PermissionDenied,
                 id="another-customer-withdraws"),
    pytest.param(received, withdraw(by=AGENT), PermissionDenied, id="agent-withdraws"),
    pytest.param(received, withdraw(by=SYSTEM), PermissionDenied, id="system-withdraws"),
    # stages: what the process does not allow where the complaint is
    pytest.param(acknowledged, ack(), TransitionRejected, id="acknowledge-twice"),
    pytest.param(received, analyse(), TransitionRejected, id="analyse-unacknowledged"),
    pytest.param(received, propose(), TransitionRejected, id="propose-unanalysed"),
    pytest.param(acknowledged, handle(), TransitionRejected, id="handle-without-solution"),
    pytest.param(proposed, feedback(), TransitionRejected, id="feedback-before-handling"),
    pytest.param(awaiting_feedback, feedback(), TransitionRejected, id="feedback-twice"),
    pytest.param(received, close(), TransitionRejected, id="close-received"),
    pytest.param(handling, close(), TransitionRejected, id="close-without-feedback"),
    pytest.param(unsatisfied, close(), TransitionRejected, id="close-second-visit-due"),
    pytest.param(handling, visit(outcome="satisfied"), TransitionRejected,
                 id="reached-during-handling-is-feedback"),
    pytest.param(handling, reopen(), TransitionRejected, id="reopen-handling"),
    pytest.param(closed, withdraw(), TransitionRejected, id="withdraw-closed"),
    pytest.param(received, visit(outcome="unreachable"), TransitionRejected,
                 id="visit-received"),
    *(pytest.param(final, command(), TransitionRejected, id=f"{final.__name__}-{name}")
      for final in (loop_closed, withdrawn)
      for name, command in (("ack", ack), ("visit", visit), ("close", close),
                            ("escalate", escalate), ("reopen", reopen),
                            ("withdraw", withdraw))),
]


@pytest.mark.parametrize(("stage", "command", "error"), REFUSALS)
def test_a_refused_command_is_a_typed_error_and_changes_nothing(
        stage: Callable[[], Complaint], command: Command, error: type[ServiceKitError]) -> None:
    refused(stage(), command, error)


@pytest.mark.parametrize(("change", "error"), [
    ({"remedy_sought": 3}, InvalidInputError), ({"customer_tier": ["A"]}, InvalidInputError),
    ({"phase": "during"}, InvalidInputError), ({"fields": {"stage": "closed"}}, InvalidInputError),
    ({"fields": {"cause": "x"}}, InvalidInputError), ({"fields": {"n": float("nan")}},
                                                     InvalidInputError),
    ({"fields": {1: "13912345678"}}, InvalidInputError), ({"fields": [("a", 1)]},
                                                          InvalidInputError),
    ({"policy": "handbook"}, InvalidInputError), ({"process": "complaint"}, InvalidInputError),
    ({"by": "agent-li-0417"}, InvalidInputError), ({"by": OTHER_CUSTOMER}, PermissionDenied),
    ({"at": NAIVE}, NaiveDatetimeError),
], ids=lambda v: "-".join(map(str, v)) if isinstance(v, dict) else v.__name__)
def test_receive_refuses_bad_arguments(change: dict[str, Any],
                                       error: type[ServiceKitError]) -> None:
    """The receipt's other arguments: the remedy sought and the tier are text, the phase one
    of the policy's (K-05), the host's fields JSON under string keys that shadow none of the
    complaint's values, the policy and process of their types; naming types, never values."""
    with pytest.raises(ServiceKitError) as caught:
        received(**change)
    assert type(caught.value) is error
    private_free(caught.value)


def test_an_escalation_only_goes_up() -> None:
    """S-11: to a higher level only (the rule of the command, checked live and in replay)."""
    c = received().escalate(level=2, at=T0 + M, by=LEAD, reason="VIP")
    for level in (1, 2):
        error = refused(c, escalate(level=level), TransitionRejected)
        assert "escalation level 2" in str(error)
    c = c.escalate(level=3, at=T0 + 2 * M, by=MANAGER)
    assert c.escalation_level == 3
    assert c.history[-1].by == MANAGER.id


def test_who_may_act_on_their_own_complaint() -> None:
    """A customer reopens and withdraws their own complaint (the default actor); a lead may
    withdraw one that is no complaint; a customer files one only for themself."""
    c = awaiting_feedback().reopen(at=T0 + 6 * H, reason="still charged")
    assert (c.stage, c.history[-1].by) == ("handling", CUSTOMER_ID)
    w = received().withdraw(reason="sorted", at=T0 + H)
    assert (w.stage, w.history[-1].by, w.is_final) == ("withdrawn", CUSTOMER_ID, True)
    w = received().withdraw(reason="spam", at=T0 + H, by=LEAD)
    assert w.history[-1].by == LEAD.id
    own = received(by=CUSTOMER)
    assert own.history[0].by == CUSTOMER_ID
    with pytest.raises(PermissionDenied) as caught:
        received(by=OTHER_CUSTOMER)
    private_free(caught.value)
    for actor in (SPECIALIST, LEAD, MANAGER):
        assert received(by=actor).history[0].by == actor.id


def test_apply_timeouts_refuses_a_naive_instant_and_ignores_the_past() -> None:
    c = received()
    with pytest.raises(NaiveDatetimeError):
        c.apply_timeouts(NAIVE)
    assert c.apply_timeouts(T0 - D) is c
    assert c.apply_timeouts(T0 + H) is c  # nothing is due an hour in


# -- the unreachable path and reopening -----------------------------------------------------------


def test_an_unreachable_customer_is_tried_three_times_then_the_close_records_it() -> None:
    """Three tries during handling (each due 24 business hours after the one before), then
    the complaint may close without feedback, the close saying the customer was unreachable.
    Two tries are not enough."""
    c = handling()  # handled Monday 12 October 13:00
    c = c.record_return_visit(outcome="unreachable", at=sh(10, 12, 14), by=AGENT)
    (tries,) = c.pending_visits
    # 14:00-18:00 (4 h), Tuesday and Wednesday (16 h), Thursday 09:00-12:00 and 13:00-14:00
    assert (tries.kind, tries.attempts, tries.due_at) == ("feedback", 1, sh(10, 15, 14))
    c = c.record_return_visit(outcome="unreachable", at=sh(10, 15, 14), by=SPECIALIST)
    assert (c.unreachable, c.unreachable_attempts) == (False, 2)
    refused(c, close(), TransitionRejected)
    c = c.record_return_visit(outcome="unreachable", at=sh(10, 16, 14), by=AGENT)
    assert (c.unreachable, c.unreachable_attempts, c.pending_visits) == (True, 3, ())
    last = c.history[-1]
    assert isinstance(last, ReturnVisitRecorded)
    assert (last.visit, last.attempt, last.exhausted, last.next_due_at) == (
        "feedback", 3, True, None)
    c = c.close(at=sh(10, 16, 15), by=SPECIALIST)
    assert (c.stage, c.closed_unreachable) == ("closed", True)
    closing = c.history[-1]
    assert isinstance(closing, ComplaintClosed)
    assert closing.unreachable
    assert Complaint.replay(c.history) == c


def test_feedback_after_failed_tries_starts_the_count_again() -> None:
    c = handling()
    for i in range(2):
        c = c.record_return_visit(outcome="unreachable", at=c.updated_at + H, by=AGENT)
        assert c.unreachable_attempts == i + 1
    c = c.feedback(satisfaction=0.5, at=c.updated_at + H, by=AGENT)
    assert (c.unreachable, c.unreachable_attempts) == (False, 0)
    assert c.return_visits[0].status == "done"  # the tries' visit is done by the feedback
    assert [v.kind for v in c.pending_visits] == ["second_visit"]


def test_a_second_visit_that_cannot_reach_the_customer_three_times_allows_the_close() -> None:
    c = unsatisfied()
    for i in range(3):
        c = c.record_return_visit(outcome="unreachable", at=c.updated_at + D, by=AGENT)
        assert c.unreachable is (i == 2)
    assert c.pending_visits == ()
    c = c.close(at=c.updated_at + H, by=SPECIALIST)
    assert c.closed_unreachable is True


@pytest.mark.parametrize("stage", [unsatisfied, awaiting_feedback, handling])
def test_withdrawing_cancels_the_scheduled_visits(stage: Callable[[], Complaint]) -> None:
    """Nobody visits a withdrawn complaint: the second visit (M-05), the effectiveness check
    (P-04) or the next try to reach the customer that was due is cancelled, so no visit is
    pending in the final stage."""
    c = stage()
    if not c.pending_visits:  # handling: a failed try schedules the next
        c = c.record_return_visit(outcome="unreachable", at=c.updated_at + H, by=AGENT)
    scheduled = len(c.pending_visits)
    assert scheduled
    c = c.withdraw(reason="solved elsewhere", at=c.updated_at + H)
    assert (c.stage, c.is_final, c.pending_visits) == ("withdrawn", True, ())
    assert sum(v.status == "cancelled" for v in c.return_visits) == scheduled
    assert Complaint.replay(c.history) == c


@pytest.mark.parametrize("stage", [unsatisfied, closed])
def test_reopen_cancels_the_scheduled_visits(stage: Callable[[], Complaint]) -> None:
    """Back to handling: the second visit (M-05) or the effectiveness check (P-04) that was
    due is cancelled, and the customer's satisfaction is asked again."""
    c = stage()
    assert c.pending_visits
    scheduled = len(c.pending_visits)
    c = c.reopen(at=c.updated_at + H, reason="charged again")
    assert (c.stage, c.pending_visits, c.satisfied, c.reopens) == ("handling", (), None, 1)
    assert sum(v.status == "cancelled" for v in c.return_visits) == scheduled
    refused(c, close(), TransitionRejected)  # no feedback since the reopen
    c = c.handle(actions="refunded again", at=c.updated_at + H, by=SPECIALIST)
    c = c.feedback(satisfaction=0.9, at=c.updated_at + H, by=AGENT)
    assert [v.kind for v in c.pending_visits] == ["effectiveness_check"]
    assert c.close(at=c.updated_at + H, by=SPECIALIST).stage == "closed"


# -- replay ---------------------------------------------------------------------------------------


def rich() -> list[Complaint]:
    """Complaints whose histories hold every complaint event type between them."""
    late = received(at=sh(10, 12)).acknowledge(at=sh(10, 13), by=AGENT)  # S-01 missed
    late = late.analyse(nature="billing", severity=6, scope="widespread", urgency="high",
                        at=sh(10, 13, 10), by=SPECIALIST)  # severe: escalated by the system
    late = late.propose_solution(remedies=["apology", "compensation"], summary="refund",
                                 at=sh(10, 13, 11), by=SPECIALIST)
    late = late.handle(actions="refunded", at=sh(10, 13, 12), by=SPECIALIST)
    late = late.feedback(satisfaction=0.5, comment="slow", at=sh(10, 13, 14), by=AGENT)
    late = late.record_return_visit(outcome="unsatisfied", satisfaction=0.6,
                                    at=sh(10, 14), by=AGENT)
    late = late.reopen(at=sh(10, 14, 10), by=CUSTOMER, reason="still charged")
    late = late.handle(actions="refunded again", at=sh(10, 14, 11), by=LEAD)
    late = late.feedback(satisfaction=0.95, at=sh(10, 14, 12), by=AGENT)
    late = late.close(at=sh(10, 14, 13), by=SPECIALIST)
    late = late.record_return_visit(outcome="satisfied", at=sh(11, 20), by=AGENT)
    return [late, withdrawn()]


def test_every_complaint_event_type_survives_json_and_replay() -> None:
    """P-08: the history is the record. Every event written to JSON and read back is equal
    (``Event.from_dict(e.to_dict())``), and the complaint replayed from the read events equals
    the live one; together the histories hold every type of ``COMPLAINT_EVENT_TYPES``."""
    seen = set()
    for c in rich():
        text = json.dumps([e.to_dict() for e in c.history])
        stored = [Event.from_dict(d) for d in json.loads(text)]
        assert stored == list(c.history)
        assert [type(e) for e in stored] == [type(e) for e in c.history]
        assert Complaint.replay(stored) == c
        assert Complaint.replay(iter(stored)) == c
        seen |= {e.event_type for e in c.history}
    assert set(COMPLAINT_EVENT_TYPES) <= seen


def test_replay_keeps_every_value_the_commands_gave() -> None:
    late, _ = rich()
    again = Complaint.replay(late.history)
    assert again == late
    assert again.__dict__ == late.__dict__
    assert (again.stage, again.escalation_level, again.owed_metrics, again.return_visits,
            again.remedies) == (late.stage, 2, ("complaint_acknowledged",), late.return_visits,
                                late.remedies)


def forged(c: Complaint, cls: type[Event], *, by: str, roles: set[str], stream: str = "CP-1",
           at: Any = None, **kw: Any) -> tuple[Event, ...]:
    when = at or c.updated_at + H
    ev = cls(event_id=time_ordered_id(when), stream_id=stream, at=when, by=by,
             roles=frozenset(roles), **kw)
    return (*c.history, ev)


def repeated(history: tuple[Event, ...]) -> tuple[Event, ...]:
    return (*history, history[-1])


FORGERIES = [
    pytest.param(lambda: forged(handling(), ComplaintClosed, by=SPECIALIST.id,
                                roles={"specialist"}), "feedback", id="close-without-feedback"),
    pytest.param(lambda: forged(unsatisfied(), ComplaintClosed, by=SPECIALIST.id,
                                roles={"specialist"}), "M-05", id="close-second-visit-due"),
    pytest.param(lambda: forged(received(at=sh(10, 12)), RemedyOwed, by=AGENT.id,
                                roles={"agent"}, at=sh(10, 13), metric="complaint_acknowledged",
                                rule="S-01", remedies=("apology",), breached_at=sh(10, 12, 14)),
                 "system", id="owe-remedy-by-an-agent"),
    pytest.param(lambda: forged(received(at=sh(10, 12)).apply_timeouts(sh(10, 13)), RemedyOwed,
                                by="system", roles={"system"}, at=sh(10, 13),
                                metric="complaint_acknowledged", rule="S-01",
                                remedies=("apology",), breached_at=sh(10, 12, 14) + US),
                 "owed already", id="remedy-owed-twice"),
    pytest.param(lambda: forged(received(), ComplaintAcknowledged, by=AGENT.id,
                                roles={"agent"}, stream="CP-2"), "another", id="another-stream"),
    pytest.param(lambda: forged(received(), ComplaintAcknowledged, by=CUSTOMER_ID,
                                roles={"customer"}), "not permitted", id="customer-acknowledges"),
    pytest.param(lambda: forged(received(), ComplaintAcknowledged, by=AGENT.id,
                                roles={"agent"}, at=T0 - M), "earlier", id="out-of-order"),
    pytest.param(lambda: forged(received().escalate(level=2, at=T0 + M, by=LEAD),
                                ComplaintEscalated, by=LEAD.id, roles={"lead"}, level=1),
                 "level 2", id="escalation-down"),
    pytest.param(lambda: forged(withdrawn(), RemedyOwed, by="system", roles={"system"},
                                metric="complaint_acknowledged", breached_at=T0),
                 "withdrawn", id="remedy-owed-after-the-end"),
    pytest.param(lambda: forged(proposed(), ComplaintLoopClosed, by="system",
                                roles={"system"}), "history[4] (ComplaintLoopClosed)",
                 id="loop-closed-unclosed"),
    pytest.param(lambda: forged(closed(), ComplaintLoopClosed, by="system", roles={"system"}),
                 "effectiveness check", id="loop-closed-before-its-check"),
    pytest.param(lambda: forged(closed().record_return_visit(
        outcome="unsatisfied", at=T0 + 30 * D, by=AGENT), ComplaintLoopClosed, by="system",
        roles={"system"}), "effectiveness check", id="loop-closed-after-an-unsatisfied-check"),
    pytest.param(lambda: repeated(handling().history), "repeats", id="repeated-event"),
    pytest.param(lambda: (Ticket.open(ticket_id="CP-1", customer_id=CUSTOMER_ID,
                                      channel="phone", category="complaint", priority="P3",
                                      subject="x", at=T0, by=AGENT).history[0],),
                 "CaseStarted", id="a-ticket"),
    pytest.param(lambda: (CaseStarted(event_id=time_ordered_id(T0), stream_id="CP-1", at=T0,
                                      by=AGENT.id, roles=AGENT.roles, process="ticket",
                                      state="new", customer_id=CUSTOMER_ID),),
                 "another process", id="a-case-of-another-process"),
    pytest.param(lambda: (), "empty", id="empty"),
    pytest.param(lambda: (StatusChanged(event_id=time_ordered_id(T0), stream_id="CP-1", at=T0,
                                        by=AGENT.id, roles=AGENT.roles, status="closed",
                                        event="close"),), "CaseStarted", id="no-start"),
    pytest.param(lambda: (*handling().history, StatusChanged(
        event_id=time_ordered_id(T0 + D), stream_id="CP-1", at=T0 + D, by=SPECIALIST.id,
        roles=SPECIALIST.roles, status="closed", event="close")), "",
        id="close-as-a-status-change"),
]


@pytest.mark.parametrize(("history", "says"), FORGERIES)
def test_replay_refuses_a_history_no_command_could_have_written(
        history: Callable[[], tuple[Event, ...]], says: str) -> None:
    """P-08: replay checks every event against the process and the complaint's own rules,
    and names the first one that could not have been written (by its index and type)."""
    events = history()
    with pytest.raises(InvalidInputError) as caught:
        Complaint.replay(events)
    assert says in str(caught.value)
    private_free(caught.value)


def test_replay_refuses_what_is_not_a_history() -> None:
    for history in ("CP-1", b"x", {"a": 1}, 3, None):
        with pytest.raises(InvalidInputError, match="history"):
            Complaint.replay(bad(history))
    with pytest.raises(InvalidInputError, match="policy"):
        Complaint.replay(received().history, policy=bad({"second_visit_below": 0.9}))
    with pytest.raises(InvalidInputError, match="process"):
        Complaint.replay(received().history, process=bad("complaint"))


# -- the process a complaint runs on -----------------------------------------------------------


def host_process(drop: str = "", **moves: str) -> ProcessDefinition:
    """The complaint preset under another name, with the transitions of ``drop`` renamed
    (``host_<name>``: the complaint no longer finds them) and those named in ``moves`` sent
    to another state."""
    p = default_complaint_process()
    transitions = tuple(
        t.model_copy(update={"event": f"host_{t.event}"}) if t.event == drop
        else t.model_copy(update={"target": moves[t.event]}) if t.event in moves else t
        for t in p.transitions)
    return ProcessDefinition(**{**{k: getattr(p, k) for k in ProcessDefinition.model_fields},
                                "name": "host_complaint", "transitions": transitions})


@pytest.mark.parametrize("missing", ["owe_remedy", "escalate", "close_loop"])
def test_a_process_without_a_transition_the_complaint_fires_itself_is_a_policy_error(
        missing: str) -> None:
    """The complaint fires ``owe_remedy`` (K-06), ``escalate`` (K-03) and ``close_loop``
    (P-04) itself: a host process without one cannot run complaints, said at receipt and at
    replay, naming the transition."""
    process = host_process(drop=missing)
    with pytest.raises(PolicyError, match=missing):
        received(process=process)
    history = received(process=host_process()).history
    with pytest.raises(PolicyError, match=missing):
        Complaint.replay(history, process=process)


def test_a_process_sending_a_command_elsewhere_than_its_event_says_is_a_policy_error() -> None:
    process = host_process(handle="awaiting_feedback")
    with pytest.raises(PolicyError, match="handling"):
        received(process=process)


def test_a_host_process_of_the_same_shape_runs_complaints() -> None:
    process = host_process()
    c = received(process=process)
    assert c.process is process
    c = c.acknowledge(at=T0 + H, by=AGENT)
    assert c.history[0].process == "host_complaint"  # type: ignore[attr-defined]
    assert Complaint.replay(c.history, process=process) == c
    with pytest.raises(InvalidInputError):  # not a complaint of the preset's process
        Complaint.replay(c.history)


# -- the complaint policy ------------------------------------------------------------------------


def test_complaint_policy_reports_every_problem_at_once() -> None:
    """A policy with non-contiguous bands, two bands of one name, an unknown escalating band,
    a priority table without a default, of the collect kind and with an output naming no
    priority, and no remedies to offer: one ``PolicyError`` naming each problem."""
    table = DecisionTable(name="p", hit_policy="collect",
                          rules=[Rule(id="r1", when="severity >= 5", then={"level": "high"})])
    with pytest.raises(PolicyError) as caught:
        ComplaintPolicy(sla=handbook.sla_policy(), priority_table=table,
                        severity_bands=[SeverityBand(name="minor", low=1, high=2),
                                        SeverityBand(name="minor", low=4, high=6)],
                        escalate_band="critical", remedies=())
    message = str(caught.value)
    for problem in ("severity_bands[1] does not follow", "share a name",
                    "escalate_band is not one of", "needs a default", "collect",
                    "priority_table.rules[0].then: names no priority", "remedies"):
        assert problem in message, problem


@pytest.mark.parametrize("change", [
    {"second_visit_below": 0}, {"second_visit_below": 1.5}, {"unreachable_attempts": 0},
    {"escalate_to": 0}, {"effectiveness_check_after": "-1d"},
    {"second_visit_within": timedelta(hours=-1)}, {"severity_bands": []},
    {"severity_bands": [{"name": "all", "low": 6, "high": 1}]}, {"name": ""},
])
def test_complaint_policy_refuses_bad_numbers(change: dict[str, Any]) -> None:
    base = handbook.complaint_policy()
    data = {**{k: getattr(base, k) for k in ComplaintPolicy.model_fields}, **change}
    with pytest.raises(PolicyError):
        ComplaintPolicy(**data)


def test_the_policy_document_carries_the_complaint_policy_through_json() -> None:
    """Every threshold is policy in a ``Policy`` document: the handbook's document has a
    ``complaints`` section (the handbook's complaint policy, on the document's own SLA
    policy); JSON and back gives an equal document, and the JSON Schema has
    ``ComplaintPolicy``."""
    doc = handbook.policy()
    assert doc.complaints["handbook"] == handbook.complaint_policy()
    assert doc.complaints["handbook"].sla == doc.sla["handbook"]
    again = Policy.from_json(doc.to_json())
    assert again == doc
    assert again.complaints == doc.complaints
    schema = Policy.json_schema()
    assert "ComplaintPolicy" in schema["$defs"]
    assert "complaints" in schema["properties"]
    fields = schema["$defs"]["ComplaintPolicy"]["properties"]
    assert {"severity_bands", "escalate_band", "escalate_to", "priority_table",
            "second_visit_below", "second_visit_within", "unreachable_attempts",
            "effectiveness_check_after", "remedies"} <= set(fields)


def test_a_complaint_runs_by_the_thresholds_of_a_loaded_policy() -> None:
    """The numbers come from the document: a host raises the M-05 threshold to 0.9, allows
    2 unreachable tries and checks the effect after 7 days, in JSON; a complaint run by the
    loaded policy follows them."""
    data = json.loads(handbook.policy().to_json())
    section = data["complaints"]["handbook"]
    section.update(second_visit_below=0.9, unreachable_attempts=2,
                   effectiveness_check_after="7d")
    policy = Policy.from_json(json.dumps(data)).complaints["handbook"]
    assert (policy.second_visit_below, policy.unreachable_attempts,
            policy.effectiveness_check_after) == (0.9, 2, timedelta(days=7))
    c = handling(policy=policy)
    assert c.policy is policy
    low = c.feedback(satisfaction=0.85, at=c.updated_at + H, by=AGENT)
    assert [v.kind for v in low.pending_visits] == ["second_visit"]
    tried = c
    for _ in range(2):
        tried = tried.record_return_visit(outcome="unreachable", at=tried.updated_at + H,
                                          by=AGENT)
    assert tried.unreachable
    good = c.feedback(satisfaction=0.95, at=c.updated_at + H, by=AGENT)
    assert good.pending_visits[0].due_at == good.updated_at + timedelta(days=7)
    again = Complaint.replay(good.history, policy=policy)
    assert again == good
    assert again.policy is policy


# -- storage ---------------------------------------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite"])
def repository(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    store: Any = (InMemoryEventStore() if request.param == "memory"
                  else SqliteEventStore(tmp_path / "complaints.sqlite3"))
    yield Repository(store, Complaint.replay, aggregate_type=Complaint)
    if isinstance(store, SqliteEventStore):
        store.close()


def test_a_complaint_is_stored_and_reloaded(repository: Repository[Complaint]) -> None:
    """One stream per complaint, its version the stream's: ``add`` stores the receipt,
    ``save`` appends what the commands added, ``get`` rebuilds an equal complaint with every
    value and event (remedies owed, the automatic escalation, the loop closed)."""
    late, _ = rich()
    c = Complaint.replay(late.history[:1])
    repository.add(c)
    assert repository.get("CP-1") == c
    loaded = repository.get("CP-1")
    assert loaded.version == 1
    repository.save(late, expected_version=1)
    again = repository.get("CP-1")
    assert again == late
    assert again.history == late.history
    assert (again.stage, again.owed_metrics, again.escalation_level) == (
        "loop_closed", ("complaint_acknowledged",), 2)
    with pytest.raises(ConcurrencyConflict):
        repository.save(late, expected_version=1)  # the stream has moved on


def test_a_repository_update_runs_a_command_and_saves_only_what_it_added(
        repository: Repository[Complaint]) -> None:
    repository.add(received())
    updated = repository.update("CP-1", lambda c: c.acknowledge(at=T0 + H, by=AGENT))
    assert updated.stage == "acknowledged"
    assert repository.get("CP-1") == updated
    with pytest.raises(PermissionDenied):
        repository.update("CP-1", lambda c: c.analyse(nature="x", severity=3, scope="group",
                                                      urgency="low", at=T0 + 2 * H,
                                                      by=AGENT))
    assert repository.get("CP-1") == updated  # nothing saved


@pytest.mark.parametrize("given", [0, 1, 0.0, 1.0, 0.5])
def test_the_ends_of_the_satisfaction_scale_are_accepted_as_int_or_float(given: Any) -> None:
    """M-05 / M-16: satisfaction is a number from 0 to 1 inclusive; an int end of the scale is
    a number too, and is kept as a float."""
    c = feedback(satisfaction=given)(handling())
    assert c.satisfaction == float(given)
    assert type(c.satisfaction) is float
    assert c.satisfied is (given >= 0.8)
    if not c.satisfied:
        v = visit(outcome="unsatisfied" if given < 0.8 else "satisfied",
                  satisfaction=given)(c)
        assert v.satisfaction == float(given)
        assert type(v.satisfaction) is float
