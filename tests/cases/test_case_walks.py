"""Walks through the six handbook processes on the generic :class:`~servicekit.cases.Case`.

For each preset process (ticket P-01, consultation P-02, complaint P-03, feedback loop P-04,
dispute P-05, repair P-06) a walk goes from the initial state to every final state it can
reach, by the roles each transition names and with the fields each transition requires. Where
a process loops (the complaint's reopening, the consultation's follow-up) the walks go round
the loop once and more than once. The complaint process as it was before issue 11
(:func:`sample_processes.satisfaction_loop_process`: required P-03 records, a satisfaction
guard, a rework loop) is walked too, round its rework loop once and twice.

After every step: the state, the version (one event per transition), ``state_since`` (moved
only when the state changed), the history (grown by one ``StatusChanged`` naming the
transition, by whom and with its fields: P-08 traceability), ``Case.fields`` (the start's data
updated by every transition's), ``Case.replay(history) == case`` and the same after a trip of
every event through JSON (what a store does). At the end: every prefix of the history replays
to the case as it was then, and a final case takes no further command.

Two tests check the walks themselves, so they cannot silently thin out: together they reach
every final state of every preset, and they fire every (state, event) pair the presets declare
(but the ticket's ``reopen``, whose guard reads a ``resolved_at`` that only the ``Ticket``
aggregate keeps; ``test_case_commands.py`` covers guards), and so does the sample process.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sample_processes import satisfaction_loop_process

from servicekit.cases import Actor, Case
from servicekit.errors import ServiceKitError, TransitionRejected
from servicekit.events import CaseStarted, Event, StatusChanged
from servicekit.presets.processes import (
    all_processes,
    complaint_process,
    consultation_process,
    dispute_process,
    feedback_loop_process,
    repair_process,
    ticket_process,
)
from servicekit.processes import ProcessDefinition

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI)  # a Monday
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)

CUSTOMER_ID = "cust-zhang-13800138000"
AGENT = Actor(id="agent-li-0417", roles=frozenset({"agent"}))
LEAD = Actor(id="lead-chen-0802", roles=frozenset({"lead"}))
MANAGER = Actor(id="manager-zhou-1209", roles=frozenset({"manager"}))
SPECIALIST = Actor(id="specialist-wang-0311", roles=frozenset({"specialist"}))
CUSTOMER = Actor.customer(CUSTOMER_ID)
SYSTEM = Actor.system()


@dataclass(frozen=True)
class Step:
    event: str
    by: Actor
    to: str
    fields: dict[str, Any] | None = None
    after: timedelta = 10 * M


@dataclass(frozen=True)
class Walk:
    process: ProcessDefinition
    steps: tuple[Step, ...]
    start_fields: dict[str, Any] | None = None

    @property
    def final(self) -> str:
        return self.steps[-1].to


def s(event: str, by: Actor, to: str, after: timedelta = 10 * M, **fields: Any) -> Step:
    return Step(event, by, to, fields or None, after)


# -- the walks -----------------------------------------------------------------------------------

RECEIVED = {"complaint_time": "2026-10-12T08:40:00+08:00", "complainant": CUSTOMER_ID,
            "content": "charged twice, call 13800138000", "cause": "billing error"}
ANALYSED = {"nature": "billing", "severity": 4, "scope": "one order"}


def _satisfaction_loop(reworks: int) -> Walk:
    """P-03 as it was before issue 11: receive → analyse → handle → feedback; ``reworks`` times
    the customer is not satisfied (back to analysed), then satisfied (closed)."""
    steps = [s("receive", AGENT, "received", **RECEIVED),
             s("analyse", LEAD, "analysed", H, **ANALYSED)]
    for round_ in range(reworks):
        steps += [s("handle", AGENT, "handled", 2 * H, remedy_plan=f"apology, plan {round_}"),
                  s("give_feedback", AGENT, "feedback_given", H, result="refund issued",
                    improvement="double-charge check"),
                  s("rework", MANAGER, "analysed", D, customer_satisfied=False)]
    steps += [s("handle", AGENT, "handled", 2 * H, remedy_plan="compensation 50 CNY"),
              s("give_feedback", LEAD, "feedback_given", H, result="refund and voucher",
                improvement="billing audit"),
              s("close", AGENT, "closed", D, customer_satisfied=True)]
    return Walk(satisfaction_loop_process(), tuple(steps))


COMPLAINT_START = {"channel": "phone", "content": "charged twice, call 13800138000",
                   "cause": "billing error", "remedy_sought": "refund"}

#: received → … → handling, one step per stage (the issue's contract: acknowledge, analyse,
#: propose a solution, handle)
TO_HANDLING = (
    s("acknowledge", AGENT, "acknowledged", H),
    s("analyse", SPECIALIST, "analysing", H, nature="billing", severity=4,
      scope="single_customer", urgency="high"),
    s("propose_solution", SPECIALIST, "solution_proposed", 2 * H,
      remedies=["apology", "compensation"], summary="refund the second charge"),
    s("handle", SPECIALIST, "handling", 3 * H, actions="refunded, voucher sent"),
)


def _open_actions(stage: str) -> tuple[Step, ...]:
    """What keeps an open complaint's stage: a lead escalates (S-11), the system records a
    remedy owed for a missed commitment (K-06)."""
    return (s("escalate", LEAD, stage, level=1, reason="customer asked for a manager"),
            s("owe_remedy", SYSTEM, stage, M, rule="S-01", remedy="apology"))


def _complaint_every_action() -> Walk:
    """P-03 / P-04 with every action on every open stage: escalated and owed a remedy in each,
    analysed and handled twice, a return visit that could not reach the customer while
    handling, a satisfied feedback, the effectiveness check done, the loop closed."""
    ack, analyse, propose, handle = TO_HANDLING
    steps = (
        *_open_actions("received"), ack,
        *_open_actions("acknowledged"), analyse,
        s("analyse", LEAD, "analysing", H, severity=5, urgency="medium"),
        *_open_actions("analysing"), propose,
        *_open_actions("solution_proposed"), handle,
        s("handle", MANAGER, "handling", H, actions="apology call"),
        s("record_return_visit", AGENT, "handling", H, outcome="unreachable"),
        *_open_actions("handling"),
        s("feedback", AGENT, "awaiting_feedback", D, satisfaction=0.9),
        s("record_return_visit", SPECIALIST, "awaiting_feedback", H, outcome="satisfied"),
        *_open_actions("awaiting_feedback"),
        s("close", SPECIALIST, "closed", H),
        *_open_actions("closed"),
        s("record_return_visit", AGENT, "closed", 30 * D, outcome="satisfied",
          satisfaction=1.0),
        s("close_loop", SYSTEM, "loop_closed", M),
    )
    return Walk(complaint_process(), steps, start_fields=COMPLAINT_START)


def _complaint_reopened(times: int) -> Walk:
    """An unsatisfied customer reopens ``times`` times (after the feedback, then after the
    close), back to handling; the complaint is closed from handling the last time, and the
    system closes the loop."""
    steps = list(TO_HANDLING)
    for round_ in range(times):
        steps.append(s("feedback", AGENT, "awaiting_feedback", D, satisfaction=0.5))
        if round_ % 2:
            steps += [s("close", LEAD, "closed", H),
                      s("reopen", CUSTOMER, "handling", D, reason="still charged twice")]
        else:
            steps.append(s("reopen", CUSTOMER, "handling", H, reason="not refunded"))
        steps.append(s("handle", SPECIALIST, "handling", H, actions=f"round {round_ + 2}"))
    steps += [s("close", SPECIALIST, "closed", H, satisfaction=0.9),
              s("close_loop", SYSTEM, "loop_closed", 30 * D)]
    return Walk(complaint_process(), tuple(steps), start_fields=COMPLAINT_START)


def _complaint_withdrawn(stage: str, by: Actor) -> Walk:
    """The complainant (or a lead) withdraws the complaint in ``stage``, before its close."""
    path = (*TO_HANDLING, s("feedback", AGENT, "awaiting_feedback", D, satisfaction=0.7))
    stages = ["received", *(st.to for st in path)]
    steps = (*path[:stages.index(stage)],
             s("withdraw", by, "withdrawn", H, reason="settled with the shop"))
    return Walk(complaint_process(), steps, start_fields=COMPLAINT_START)


def _consultation(follow_ups: int) -> Walk:
    """P-02 受理—解答—反馈, with ``follow_ups`` rounds of the complex-issue loop."""
    steps = [s("answer", AGENT, "answered", answer="restart the router")]
    for round_ in range(follow_ups):
        steps += [s("follow_up", AGENT, "following_up", H, complex=True),
                  s("answer", LEAD, "answered", H, answer=f"firmware step {round_}")]
    steps.append(s("record", AGENT, "recorded", complex=False) if follow_ups
                 else s("record", AGENT, "recorded"))
    return Walk(consultation_process(), tuple(steps),
                start_fields={"question": "no internet since 8am", "channel": "phone"})


PENDING_ROUND = (
    # open → pending_customer: a reply, a reassignment, priority and escalation keep it there
    s("wait_on_customer", AGENT, "pending_customer"),
    s("reply", AGENT, "pending_customer"),
    s("assign", LEAD, "pending_customer", assignee="agent-wu"),
    s("change_priority", LEAD, "pending_customer"),
    s("escalate", MANAGER, "pending_customer"),
    s("customer_reply", CUSTOMER, "open", H),
    # open → pending_third_party, the same again
    s("wait_on_third_party", AGENT, "pending_third_party"),
    s("reply", AGENT, "pending_third_party"),
    s("assign", MANAGER, "pending_third_party"),  # the assignee recorded earlier counts
    s("change_priority", MANAGER, "pending_third_party"),
    s("escalate", LEAD, "pending_third_party"),
    s("customer_reply", CUSTOMER, "open", H),
    # and back by resume
    s("wait_on_customer", AGENT, "pending_customer"),
    s("resume", AGENT, "open"),
    s("wait_on_third_party", LEAD, "pending_third_party"),
    s("resume", MANAGER, "open"),
)

WALKS: dict[str, Walk] = {
    # P-01, the ticket lifecycle run as a case
    "P-01-ticket-closed-everything": Walk(ticket_process(), (
        s("customer_reply", CUSTOMER, "new"),
        s("change_priority", LEAD, "new", reason="VIP"),
        s("escalate", LEAD, "new"),
        s("reply", AGENT, "open"),
        s("assign", LEAD, "open", assignee=AGENT.id),
        s("customer_reply", CUSTOMER, "open"),
        s("reply", AGENT, "open"),
        s("change_priority", MANAGER, "open"),
        s("escalate", MANAGER, "open"),
        *PENDING_ROUND,
        s("resolve", AGENT, "resolved", 2 * H, resolution="refunded"),
        s("close", AGENT, "closed", D),
    )),
    "P-01-ticket-resolved-while-pending-closed-by-system": Walk(ticket_process(), (
        s("assign", LEAD, "open", assignee=AGENT.id),
        s("wait_on_customer", AGENT, "pending_customer"),
        s("resolve", AGENT, "resolved", D, resolution="customer fixed it"),
        s("close", SYSTEM, "closed", 7 * D),
    )),
    "P-01-ticket-resolved-while-waiting-on-a-third-party": Walk(ticket_process(), (
        s("reply", AGENT, "open"),
        s("wait_on_third_party", AGENT, "pending_third_party"),
        s("resolve", LEAD, "resolved", D, resolution="courier delivered"),
        s("close", MANAGER, "closed", H),
    )),
    "P-01-ticket-cancelled-new": Walk(ticket_process(), (
        s("cancel", LEAD, "cancelled", reason="duplicate of T-7"),
    )),
    "P-01-ticket-cancelled-open": Walk(ticket_process(), (
        s("assign", LEAD, "open", assignee=AGENT.id),
        s("cancel", MANAGER, "cancelled", reason="customer withdrew"),
    )),
    "P-01-ticket-cancelled-pending-customer": Walk(ticket_process(), (
        s("reply", AGENT, "open"),
        s("wait_on_customer", AGENT, "pending_customer"),
        s("cancel", LEAD, "cancelled", 3 * D, reason="no answer"),
    )),
    "P-01-ticket-cancelled-pending-third-party": Walk(ticket_process(), (
        s("reply", AGENT, "open"),
        s("wait_on_third_party", AGENT, "pending_third_party"),
        s("cancel", LEAD, "cancelled", reason="supplier gone"),
    )),
    # P-02
    "P-02-consultation-answered-once": _consultation(0),
    "P-02-consultation-one-follow-up": _consultation(1),
    "P-02-consultation-three-follow-ups": _consultation(3),
    # P-03 (issue 11): the loop closed, reopened once and three times, withdrawn in every
    # stage before the close
    "P-03-complaint-every-action": _complaint_every_action(),
    "P-03-complaint-reopened-once": _complaint_reopened(1),
    "P-03-complaint-reopened-three-times": _complaint_reopened(3),
    **{f"P-03-complaint-withdrawn-{stage}": _complaint_withdrawn(stage, by) for stage, by in (
        ("received", CUSTOMER), ("acknowledged", LEAD), ("analysing", CUSTOMER),
        ("solution_proposed", MANAGER), ("handling", CUSTOMER),
        ("awaiting_feedback", CUSTOMER))},
    # P-03 before issue 11 (the sample process)
    "P-03-satisfaction-loop-satisfied-first-time": _satisfaction_loop(0),
    "P-03-satisfaction-loop-one-rework": _satisfaction_loop(1),
    "P-03-satisfaction-loop-two-reworks": _satisfaction_loop(2),
    # P-04: assess requires category and priority (which Ticket.fire forbade)
    "P-04-feedback-loop": Walk(feedback_loop_process(), (
        s("assess", AGENT, "assessed", category="complaint", priority="P2", severity=5),
        s("dispatch", LEAD, "dispatched", owner="billing team"),
        s("communicate", AGENT, "communicated", H, reply="we refunded you, thank you"),
        s("improve", MANAGER, "improved", 3 * D, improvement="invoice double-check"),
        s("close_loop", LEAD, "loop_closed", 30 * D, fix_verified=True),
    ), start_fields={"description": "billed twice", "request": "refund"}),
    # P-05
    "P-05-dispute": Walk(dispute_process(), (
        s("investigate", LEAD, "investigating"),
        s("mediate", MANAGER, "mediating", D, findings="payment captured twice"),
        s("issue_result", LEAD, "result_issued", D, result="refund the second charge"),
        s("notify_customer", AGENT, "customer_notified", H),
    )),
    # P-06: the product-fault branch, with and without a visit, and the undefined branch
    "P-06-repair-remote": Walk(repair_process(), (
        s("triage", AGENT, "triaged", 4 * M),
        s("confirm", AGENT, "confirmed", symptom="no power", environment="kitchen, 220 V"),
        s("diagnose", AGENT, "diagnosed", H, diagnosis="blown fuse"),
        s("repair", AGENT, "repaired", H, parts=["fuse 5A"]),
        s("return_visit", AGENT, "completed", D, satisfaction=5),
    )),
    "P-06-repair-with-visit": Walk(repair_process(), (
        s("triage", AGENT, "triaged", 2 * M),
        s("confirm", LEAD, "confirmed", symptom="leaks", environment="basement"),
        s("arrange_visit", LEAD, "visit_arranged", H, visit={"date": "2026-10-13", "slot": 2}),
        s("diagnose", AGENT, "diagnosed", D, diagnosis="worn seal"),
        s("repair", AGENT, "repaired", H, parts=[{"part": "seal", "qty": 2}]),
        s("return_visit", MANAGER, "completed", D),
    )),
    "P-06-repair-not-a-product-fault": Walk(repair_process(), (
        s("triage", AGENT, "triaged", 3 * M),
        s("not_a_product_fault", AGENT, "routed_to_consultation", M, note="user error"),
    )),
}

#: (process, state, event) pairs no walk fires, and why
UNWALKED = {("ticket", "resolved", "reopen")}  # its guard reads resolved_at, a Ticket value
#: the processes walked: the presets and the sample
WALKED: dict[str, ProcessDefinition] = {**all_processes(),
                                        "satisfaction_loop": satisfaction_loop_process()}


# -- the checks ----------------------------------------------------------------------------------


def through_json(history: tuple[Event, ...]) -> list[Event]:
    return [Event.from_dict(json.loads(json.dumps(e.to_dict()))) for e in history]


def consistent(c: Case, p: ProcessDefinition) -> None:
    assert c.version == len(c.history)
    assert c.state == c.status
    assert c.state in {st.id for st in p.states}
    assert c.updated_at == c.history[-1].at
    assert {e.stream_id for e in c.history} == {c.case_id}
    assert all(e.by is not None for e in c.history)  # P-08: every action leaves a trace
    assert Case.replay(c.history, process=p) == c
    assert Case.replay(list(c.history), process=p) == c
    assert Case.replay(through_json(c.history), process=p) == c


def started(walk: Walk, case_id: str) -> Case:
    p = walk.process
    c = Case.start(process=p, case_id=case_id, customer_id=CUSTOMER_ID, at=T0, by=AGENT,
                   fields=walk.start_fields)
    assert (c.case_id, c.process_name, c.customer_id) == (case_id, p.name, CUSTOMER_ID)
    assert (c.state, c.version) == (p.initial.id, 1)
    assert c.started_at == c.state_since == c.updated_at == T0
    assert c.fields == (walk.start_fields or {})
    first = c.history[0]
    assert isinstance(first, CaseStarted)
    assert (first.process, first.state, first.customer_id, first.by) == (
        p.name, p.initial.id, CUSTOMER_ID, AGENT.id)
    assert not c.is_final
    assert c.ended_at is None
    consistent(c, p)
    return c


def take(c: Case, p: ProcessDefinition, step: Step, at: datetime,
         expected_fields: dict[str, Any]) -> Case:
    assert step.event in c.allowed_commands(step.by)
    assert step.event in c.allowed_commands()
    before_history = c.history
    after = c.fire(step.event, at=at, by=step.by, fields=step.fields)
    where = f"{step.event} from {c.state!r}"
    assert after.state == step.to, where
    assert after.version == c.version + 1, where
    assert after.history[: len(before_history)] == before_history
    assert len(after.history) == len(before_history) + 1
    assert c.history is before_history  # the old value is untouched
    moved = after.history[-1]
    assert isinstance(moved, StatusChanged)
    assert (moved.status, moved.event, moved.by, moved.at, moved.stream_id) == (
        step.to, step.event, step.by.id, at, c.case_id)
    assert moved.fields == (step.fields or {})
    ident = uuid.UUID(moved.event_id)
    assert ident.version == 7
    assert ident.int >> 80 == int(at.timestamp() * 1000)  # the id's time part is the event's
    assert after.updated_at == at
    if step.to != c.state:
        assert after.state_since == at
    else:
        assert after.state_since == c.state_since
    assert after.fields == expected_fields
    consistent(after, p)
    return after


@pytest.mark.parametrize("name", sorted(WALKS))
def test_walk(name: str) -> None:
    """P-01 … P-06: a walk to a final state, checked after every step (see module docs)."""
    walk = WALKS[name]
    p = walk.process
    c = started(walk, f"{p.name}-{name}")
    cases = [c]
    fields = dict(walk.start_fields or {})
    at = T0
    for step in walk.steps:
        assert not c.is_final
        assert c.ended_at is None
        at += step.after
        fields.update(step.fields or {})
        c = take(c, p, step, at, fields)
        cases.append(c)
    assert c.is_final
    assert p.state(c.state).final
    assert c.ended_at == c.state_since == at
    assert c.status_label == p.state(c.state).label
    assert c.status_label_zh == p.state(c.state).label_zh
    assert c.version == len(walk.steps) + 1
    # every prefix of the history is the case as it was then
    for k, then in enumerate(cases, start=1):
        assert Case.replay(c.history[:k], process=p) == then
    # a final case takes nothing more
    assert c.allowed_commands() == ()
    for actor in (AGENT, LEAD, MANAGER, CUSTOMER, SYSTEM):
        assert c.allowed_commands(actor) == ()
    for event in sorted({t.event for t in p.transitions}):
        with pytest.raises(TransitionRejected) as info:
            c.fire(event, at=at + D, by=MANAGER, fields={"remedy_plan": "x"})
        assert info.value.state == c.state
        assert CUSTOMER_ID not in str(info.value)


def test_the_walks_reach_every_final_state_of_every_preset() -> None:
    """Every final state of every handbook process (repair has two: completed and
    routed_to_consultation, P-06; ticket two: closed and cancelled; complaint two: loop_closed
    and withdrawn), and the sample's."""
    presets = all_processes()
    assert set(presets) == {"ticket", "complaint", "consultation", "repair", "dispute",
                            "feedback_loop"}
    finals = {(p.name, st.id) for p in WALKED.values() for st in p.states if st.final}
    reached = {(w.process.name, w.final) for w in WALKS.values()}
    assert reached == finals
    assert {("repair", "routed_to_consultation"), ("complaint", "withdrawn"),
            ("complaint", "loop_closed"), ("satisfaction_loop", "closed")} <= reached
    for walk in WALKS.values():
        assert walk.process == WALKED[walk.process.name]


def test_the_walks_fire_every_transition_of_every_preset() -> None:
    declared = {(p.name, source, t.event) for p in WALKED.values()
                for t in p.transitions for source in t.sources}
    fired = set()
    for walk in WALKS.values():
        state = walk.process.initial.id
        for step in walk.steps:
            fired.add((walk.process.name, state, step.event))
            state = step.to
    assert fired <= declared
    assert declared - fired == UNWALKED


def test_every_walk_step_carries_the_fields_the_process_requires() -> None:
    """P-03 / P-04: the walks pass each transition's required fields (at that step or
    before), so the walks exercise the requirement and do not dodge it."""
    checked = 0
    for walk in WALKS.values():
        state = walk.process.initial.id
        known = dict(walk.start_fields or {})
        for step in walk.steps:
            (t,) = walk.process.table.candidates(state, step.event)
            known.update(step.fields or {})
            assert all(known.get(f) not in (None, "") for f in t.requires)
            checked += len(t.requires)
            state = step.to
    assert checked > 30


def test_the_feedback_loops_assess_takes_category_and_priority() -> None:
    """P-04 (K-01 category, K-02 priority): the issue that motivated Case: Ticket.fire forbade
    these names; a case records them on the event and in its data."""
    walk = WALKS["P-04-feedback-loop"]
    p = walk.process
    c = started(walk, "F-1")
    (assess,) = p.table.candidates("recorded", "assess")
    assert set(assess.requires) == {"category", "priority"}
    done = c.fire("assess", at=T0 + H, by=AGENT, fields={"category": "praise", "priority": "P4"})
    assert (done.state, done.fields["category"], done.fields["priority"]) == (
        "assessed", "praise", "P4")
    assert done.history[-1].fields == {"category": "praise", "priority": "P4"}
    with pytest.raises(ServiceKitError):
        c.fire("assess", at=T0 + H, by=AGENT, fields={"category": "praise"})
