"""What a complaint's history folds into (issue 11): the stages entered, the return visits a
later visit must leave alone, the counters a reached customer or a reopening resets, a remedy
the remedy table's default decided, and the facts a host's guard reads (M-05, P-04, K-06)."""

from __future__ import annotations

from datetime import datetime

from complaint_world import (
    AGENT,
    CUSTOMER,
    LEAD,
    SPECIALIST,
    T0,
    D,
    H,
    awaiting_feedback,
    closed,
    handling,
    received,
    refused,
)

from servicekit.complaints import Complaint, default_complaint_process
from servicekit.complaints._kind import entered_stages
from servicekit.errors import TransitionRejected
from servicekit.presets import handbook
from servicekit.processes import ProcessDefinition
from servicekit.rules import DecisionTable, Rule
from servicekit.sla import SlaPolicy


def test_stages_entered_are_the_first_entries_in_order() -> None:
    """Each stage once, at its first entry, in the order entered; a reopening re-enters
    ``handling`` without moving its first entry."""
    c = closed()
    again = c.reopen(reason="not fixed", at=T0 + 7 * H, by=CUSTOMER)
    again = again.feedback(satisfaction=0.9, at=T0 + 8 * H, by=AGENT)
    expected = {"received": T0, "acknowledged": T0 + H, "analysing": T0 + 2 * H,
                "solution_proposed": T0 + 3 * H, "handling": T0 + 4 * H,
                "awaiting_feedback": T0 + 5 * H, "closed": T0 + 6 * H}
    assert list(c.stages_entered.items()) == list(expected.items())
    assert dict(again.stages_entered) == expected  # nothing new: every stage entered before
    assert Complaint.replay(again.history).stages_entered == again.stages_entered


def test_the_stages_a_command_entered_first_are_its_own() -> None:
    c = handling()
    entered, fresh = entered_stages(c.history, since=2)  # from the analysis on
    assert list(entered) == ["received", "acknowledged", "analysing", "solution_proposed",
                             "handling"]
    assert fresh == {"analysing", "solution_proposed", "handling"}
    assert entered_stages(c.history)[1] == set()  # no command: nothing fresh
    assert entered_stages(c.history[:1], since=0) == ({"received": T0}, set())


def visits(c: Complaint) -> list[tuple[str, str, str, datetime | None]]:
    return [(v.kind, v.status, v.rule, v.due_at) for v in c.return_visits]


def test_a_follow_up_visit_leaves_the_scheduled_effectiveness_check_alone() -> None:
    """P-04: the satisfied result schedules the effectiveness check 30 days on; a visit
    nobody scheduled (a follow-up while awaiting feedback) is recorded beside it, and the
    check, when done, leaves the follow-up as it was."""
    c = awaiting_feedback()  # satisfied (0.9) at T0 + 5 h
    due = T0 + 5 * H + 30 * D
    assert visits(c) == [("effectiveness_check", "scheduled", "P-04", due)]
    c = c.record_return_visit(outcome="satisfied", at=T0 + 6 * H, by=AGENT)
    assert visits(c) == [("effectiveness_check", "scheduled", "P-04", due),
                         ("follow_up", "done", "", None)]
    c = c.close(at=T0 + 7 * H, by=SPECIALIST)
    c = c.record_return_visit(outcome="satisfied", at=due + H, by=AGENT)
    assert visits(c) == [("effectiveness_check", "done", "P-04", due),
                         ("follow_up", "done", "", None)]
    assert c.stage == "loop_closed"


def test_feedback_after_tries_to_reach_the_customer_completes_them_with_its_result() -> None:
    """The tries to reach the customer for their feedback end with the feedback: the visit
    is done with the result's outcome (M-05: satisfied at 0.8 or more)."""
    for satisfaction, outcome in ((0.9, "satisfied"), (0.5, "unsatisfied")):
        c = handling().record_return_visit(outcome="unreachable", at=T0 + 5 * H, by=AGENT)
        assert (c.unreachable_attempts, c.pending_visits[0].kind) == (1, "feedback")
        c = c.feedback(satisfaction=satisfaction, at=T0 + 6 * H, by=AGENT)
        (tries,) = [v for v in c.return_visits if v.kind == "feedback"]
        assert (tries.status, tries.outcome, tries.satisfaction) == ("done", outcome,
                                                                     satisfaction)
        assert (tries.attempts, tries.done_at) == (1, T0 + 6 * H)
        assert c.unreachable_attempts == 0


def test_reaching_the_customer_resets_the_tries() -> None:
    """M-05: a second visit that could not reach the customer counts a try; reaching them
    at the next resets the count."""
    c = awaiting_feedback(satisfaction=0.5)
    c = c.record_return_visit(outcome="unreachable", at=T0 + 6 * H, by=AGENT)
    assert (c.unreachable_attempts, c.unreachable) == (1, False)
    c = c.record_return_visit(outcome="satisfied", satisfaction=0.9, at=T0 + 7 * H, by=AGENT)
    assert (c.unreachable_attempts, c.unreachable, c.satisfied) == (0, False, True)


def test_a_reopening_forgets_how_the_complaint_was_closed() -> None:
    """A complaint closed because the customer could not be reached (3 tries), then
    reopened, is neither closed nor unreachable, with no tries counted."""
    c = awaiting_feedback(satisfaction=0.5)
    for i in range(3):
        c = c.record_return_visit(outcome="unreachable", at=T0 + (6 + i) * H, by=AGENT)
    c = c.close(at=T0 + 9 * H, by=SPECIALIST)
    assert (c.closed_unreachable, c.unreachable, c.unreachable_attempts) == (True, True, 3)
    c = c.reopen(reason="the customer called back", at=T0 + 10 * H, by=CUSTOMER)
    assert (c.closed_at, c.closed_unreachable, c.unreachable, c.unreachable_attempts,
            c.satisfied) == (None, False, False, 0, None)
    assert c.pending_visits == ()


def test_a_remedy_the_tables_default_decided_names_no_rule() -> None:
    """K-06 through a first-hit remedy table whose default decides: the remedy is owed, and
    decided by no rule of the table."""
    hb = handbook.sla_policy()
    table = DecisionTable(name="remedy", hit_policy="first", default={"remedy": "apology"},
                          rules=[Rule(id="K-06:vip", when='customer_tier == "A"',
                                      then={"remedy": "compensation"})])
    sla = SlaPolicy(**({f: getattr(hb, f) for f in SlaPolicy.model_fields}
                       | {"remedy_table": table}))
    c = received(policy=handbook.complaint_policy(sla)).acknowledge(at=T0 + 6 * H, by=AGENT)
    (owed,) = c.remedies_owed
    assert (owed.remedy, owed.rule, owed.decided_by) == ("apology", "S-01", "")
    vip = received(policy=handbook.complaint_policy(sla), customer_tier="A")
    (owed,) = vip.acknowledge(at=T0 + 6 * H, by=AGENT).remedies_owed
    assert (owed.remedy, owed.decided_by) == ("compensation", "K-06:vip")


def guarded(guard: str) -> ProcessDefinition:
    """The complaint preset whose ``close`` transitions carry ``guard``."""
    p = default_complaint_process()
    transitions = tuple(
        type(t)(**({k: getattr(t, k) for k in type(t).model_fields} | {"guard": guard}))
        if t.event == "close" else t for t in p.transitions)
    return ProcessDefinition(**{**{k: getattr(p, k) for k in ProcessDefinition.model_fields},
                                "name": "guarded_complaint", "transitions": transitions})


def test_a_hosts_guard_reads_its_fields_and_the_complaints_values() -> None:
    """A host's process may guard a command on its own fields (given at receipt) and on the
    complaint's values (the severity band, the escalation level …); a guard that fails
    refuses the command and changes nothing."""
    process = guarded('region == "north" and escalation_level == 0 and satisfied == true')

    def ready(region: str) -> Complaint:
        return awaiting_feedback(fields={"region": region}, process=process)

    assert ready("north").close(at=T0 + 6 * H, by=SPECIALIST).stage == "closed"
    refused(ready("south"), lambda c: c.close(at=T0 + 6 * H, by=SPECIALIST),
            TransitionRejected)
    escalated = ready("north").escalate(level=1, at=T0 + 6 * H, by=LEAD)
    refused(escalated, lambda c: c.close(at=T0 + 7 * H, by=SPECIALIST), TransitionRejected)
