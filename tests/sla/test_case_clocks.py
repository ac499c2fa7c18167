"""SLA clocks on the cases of any process: stage clocks from process deadlines (S-01 … S-07),
the entering-a-state selector, ``Metric.target``, a host's own events as selectors, flat remedy
facts, and ``evaluate_many`` against ``evaluate`` on random case histories.

Case histories are built by hand, as a :class:`~servicekit.cases.Case` records them: a
``CaseStarted`` in the process's initial state, then a ``StatusChanged`` per transition (its
``status`` the target, ``event`` the transition; an action that keeps the state records the
current state again). Expected instants are computed in the comments: the handbook calendar is
China's, 09:00-12:00 and 13:00-18:00 in Asia/Shanghai (2026-10-01 … 10-07 National Day, Saturday
10-10 a make-up working day; 2026-03-02 is a Monday); the small policies run on an always-open
UTC calendar, so their arithmetic is plain clock arithmetic.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicekit.calendar import BusinessCalendar
from servicekit.errors import PolicyError
from servicekit.events import (
    AgentReplied,
    CaseStarted,
    Event,
    PriorityChanged,
    StatusChanged,
    TicketCreated,
    TicketReopened,
    TicketResolved,
    event_class,
)
from servicekit.presets import handbook
from servicekit.presets.processes import all_processes
from servicekit.processes import ProcessDefinition
from servicekit.rules import DecisionTable, Rule
from servicekit.sla import (
    Escalation,
    EscalationLevel,
    Metric,
    SlaPolicy,
    SlaReport,
    evaluate,
    evaluate_many,
    stage_metrics,
)

SH = ZoneInfo("Asia/Shanghai")
US = timedelta(microseconds=1)
M = timedelta(minutes=1)
H = timedelta(hours=1)
ALWAYS = BusinessCalendar.always()

_ids = count()


def sh(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, *,
       micro: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, micro, tzinfo=SH)


def utc(day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An instant in March 2026, UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def started(at: datetime, process: str, state: str, case: str = "F-1",
            **fields: Any) -> CaseStarted:
    return CaseStarted(event_id=f"e{next(_ids)}", stream_id=case, at=at, by="a",
                       process=process, state=state, fields=fields)


def moved(at: datetime, status: str, event: str, case: str = "F-1") -> StatusChanged:
    return StatusChanged(event_id=f"e{next(_ids)}", stream_id=case, at=at, status=status,
                         event=event)


def ticket(at: datetime, priority: str = "P2", case: str = "T-1", **kw: Any) -> TicketCreated:
    return TicketCreated(event_id=f"e{next(_ids)}", stream_id=case, at=at, priority=priority,
                         **kw)


@pytest.fixture(scope="module")
def hb() -> SlaPolicy:
    return handbook.sla_policy()


# == stage clocks on the handbook preset ==========================================================


def test_s01_complaint_acknowledged_within_4_business_hours_met(hb: SlaPolicy) -> None:
    """S-01: a complaint received on the eve of National Day (Wed 09-30 16:30) has 4 business
    hours to be acknowledged: 1.5 h on the 30th, 2.5 h on Thu 10-08: due 10-08 11:30.
    Acknowledged 10-08 10:00: 2.5 business hours, met."""
    events = [started(sh(9, 30, 16, 30), "complaint", "received")]
    s = evaluate(hb, events, sh(10, 5, 12))["complaint_acknowledged"]
    assert (s.state, s.elapsed, s.target) == ("running", timedelta(hours=1, minutes=30), 4 * H)
    assert s.due_at == sh(10, 8, 11, 30)
    events.append(moved(sh(10, 8, 10), "acknowledged", "acknowledge"))
    report = evaluate(hb, events, sh(10, 9, 12))
    s = report["complaint_acknowledged"]
    assert (s.state, s.elapsed, s.stopped_at) == ("met", timedelta(hours=2, minutes=30),
                                                  sh(10, 8, 10))
    assert s.started_at == sh(9, 30, 16, 30)
    assert report.ticket_id == "F-1"  # the case's stream


def test_s01_complaint_acknowledged_late_is_breached(hb: SlaPolicy) -> None:
    """S-01: acknowledged Thu 10-08 12:00: 1.5 h + 3 h = 4.5 business hours, breached 1 µs
    after the due instant 10-08 11:30."""
    events = [started(sh(9, 30, 16, 30), "complaint", "received"),
              moved(sh(10, 8, 12), "acknowledged", "acknowledge")]
    s = evaluate(hb, events, sh(10, 9, 12))["complaint_acknowledged"]
    assert (s.state, s.elapsed) == ("breached", timedelta(hours=4, minutes=30))
    assert s.breached_at == sh(10, 8, 11, 30, 0, micro=1)
    assert s.breached_cycles == 1


def test_s02_complaint_solution_proposed_within_24_business_hours_due_on_a_make_up_saturday(
    hb: SlaPolicy,
) -> None:
    """S-02: the preliminary solution within 24 business hours of the receipt (09-30 16:30):
    1.5 h, Thu 8 h, Fri 8 h, and the make-up working Saturday 10-10 09:00-12:00, 13:00-16:30:
    due 10-10 16:30."""
    events = [started(sh(9, 30, 16, 30), "complaint", "received"),
              moved(sh(10, 8, 10), "acknowledged", "acknowledge"),
              moved(sh(10, 9, 9), "analysing", "analyse")]
    at_due = evaluate(hb, events, sh(10, 10, 16, 30))["complaint_solution_proposed"]
    assert (at_due.state, at_due.elapsed, at_due.due_at) == ("running", 24 * H, sh(10, 10, 16, 30))
    late = evaluate(hb, events, sh(10, 10, 16, 30, micro=1))["complaint_solution_proposed"]
    assert (late.state, late.breached_at) == ("breached", sh(10, 10, 16, 30, micro=1))
    done = evaluate(hb, [*events, moved(sh(10, 10, 16), "solution_proposed",
                                        "propose_solution")], sh(10, 12))
    assert done["complaint_solution_proposed"].state == "met"
    assert done["complaint_solution_proposed"].elapsed == timedelta(hours=23, minutes=30)


def test_s03_consultation_answered_starts_with_the_case_not_the_answer(hb: SlaPolicy) -> None:
    """S-03: the consultation clock runs from the start of the case (its initial state is
    ``accepted``), 24 business hours; a follow-up loop back to ``answered`` changes nothing."""
    events = [started(sh(3, 2, 9), "consultation", "accepted", case="Q-1"),
              moved(sh(3, 3, 11), "answered", "answer", case="Q-1"),
              moved(sh(3, 3, 12), "following_up", "follow_up", case="Q-1"),
              moved(sh(3, 9, 10), "answered", "answer", case="Q-1")]
    s = evaluate(hb, events, sh(3, 10))["consultation_answered"]
    # Mon 8 h + Tue 09:00-11:00 = 10 h: met when first answered
    assert (s.state, s.elapsed, s.stopped_at, s.target) == ("met", 10 * H, sh(3, 3, 11), 24 * H)


def test_s05_s06_s07_repair_routed_to_consultation_cancels_the_later_stages(
    hb: SlaPolicy,
) -> None:
    """S-05 triage is met; a repair that turns out not to be a product fault enters the final
    state ``routed_to_consultation``: the visit (S-06) and completion (S-07) clocks are
    cancelled there, never breached, and owe nothing."""
    events = [started(sh(3, 2, 9), "repair", "reported", case="R-1"),
              moved(sh(3, 2, 9, 4), "triaged", "triage", case="R-1"),
              moved(sh(3, 2, 9, 30), "routed_to_consultation", "not_a_product_fault",
                    case="R-1")]
    report = evaluate(hb, events, sh(3, 20))
    assert report["repair_triaged"].state == "met"
    assert report["repair_triaged"].elapsed == 4 * M
    for metric in ("repair_visit_arranged", "repair_completed"):
        s = report[metric]
        assert (s.state, s.stopped_at, s.elapsed) == ("cancelled", sh(3, 2, 9, 30), 30 * M)
        assert s.breached_cycles == 0
    assert report.next_check_at is None
    assert report.remedies() == []
    # and without the routing, by 03-20 both are long breached
    running = evaluate(hb, events[:2], sh(3, 20))
    assert running["repair_visit_arranged"].state == "breached"
    assert running["repair_completed"].state == "breached"


def test_case_clocks_are_not_ticket_clocks(hb: SlaPolicy) -> None:
    """A ``CaseStarted`` starts no ticket clock (first response, resolution, the ticket
    metrics), only the metrics that select it; a ticket starts no stage clock."""
    case = evaluate(hb, [started(sh(3, 2, 9), "complaint", "received", priority="P1")],
                    sh(3, 2, 10))
    assert set(case) == {"complaint_acknowledged", "complaint_solution_proposed"}
    tick = evaluate(hb, [ticket(sh(3, 2, 9), "P1", channel="email", category="complaint")],
                    sh(3, 2, 10))
    assert set(tick) == {"first_response", "resolution", "business_response",
                         "preliminary_solution"}


def test_the_handbook_takes_every_stage_clock_from_the_process_presets(hb: SlaPolicy) -> None:
    """S-01 … S-07: each deadline of a preset process is a handbook metric of the same name,
    with the deadline as its target, its rule cited, and calendar time below an hour."""
    deadlines = {name: d for p in all_processes().values() for name, d in p.deadlines().items()}
    assert {"complaint_acknowledged", "complaint_solution_proposed", "consultation_answered",
            "repair_triaged", "repair_visit_arranged", "repair_completed"} <= set(deadlines)
    metrics = {m.name: m for m in hb.metrics}
    for name, (target, rule) in deadlines.items():
        m = metrics[name]
        assert m.target == target, name
        assert m.description.startswith(f"{rule}: "), name
        expected = "calendar" if target < H else "business"
        got = "calendar" if hb.calendar_for(name) is not hb.calendar else "business"
        assert got == expected, name
    assert hb.calendar_for("repair_triaged").hours_on(sh(3, 7).date()) == "00:00-24:00"
    # no parallel list of stage names: every custom metric is a ticket metric or a stage clock
    assert set(metrics) == {"business_response", "preliminary_solution", *deadlines}


# == stage_metrics ================================================================================


@pytest.mark.parametrize("name", sorted(all_processes()))
def test_stage_metrics_of_every_preset_process(name: str) -> None:
    """One metric per state with a deadline, as ``ProcessDefinition.deadlines()`` names them:
    from the start of the case to entering the state, cancelled by entering a state from which
    it can no longer be reached (checked here by walking the transitions forward), never
    paused, the deadline as target and its rule (S-01 … S-07) cited."""
    process = all_processes()[name]
    metrics = stage_metrics(process)
    assert [m.name for m in metrics] == list(process.deadlines())

    def reaches(start: str, goal: str) -> bool:
        seen, todo = {start}, [start]
        while todo:
            here = todo.pop()
            if here == goal:
                return True
            for t in process.transitions:
                if here in t.sources and t.target is not None and t.target not in seen:
                    seen.add(t.target)
                    todo.append(t.target)
        return False

    for metric, state in zip(metrics, [s for s in process.states if s.deadline], strict=True):
        assert metric.name == f"{name}_{state.id}"
        assert metric.start_on == (f"CaseStarted:{name}",)
        assert metric.stop_on == (f"StatusChanged:{state.id}",)
        moot = tuple(f"StatusChanged:{s.id}" for s in process.states
                     if not reaches(s.id, state.id))
        assert metric.cancel_on == moot
        # every other final state makes the stage moot
        assert {f"StatusChanged:{s.id}" for s in process.states
                if s.final and s.id != state.id} <= set(metric.cancel_on)
        assert metric.pausable is False
        assert metric.target == state.deadline
        assert state.deadline_rule
        assert state.deadline_rule in metric.description
    # usable as they are: a policy of them validates and serialises
    policy = SlaPolicy(name=name, calendar=ALWAYS, metrics=metrics)
    assert SlaPolicy.model_validate_json(policy.model_dump_json()) == policy


def test_stage_metrics_reads_the_shape_only() -> None:
    """Any object with a name and states (id, final, deadline, deadline_rule) will do; a
    state without a rule gets no citation."""

    class State:
        def __init__(self, id: str, final: bool = False,
                     deadline: timedelta | None = None, deadline_rule: str = "") -> None:
            self.id, self.final, self.deadline, self.deadline_rule = (
                id, final, deadline, deadline_rule)

    class Flow:
        name = "intake"
        states = (State("new"), State("seen", deadline=2 * H), State("done", final=True))

    (metric,) = stage_metrics(Flow())
    assert (metric.name, metric.target, metric.cancel_on) == ("intake_seen", 2 * H,
                                                              ("StatusChanged:done",))
    assert metric.description == "a intake case reaches 'seen' within 2h of its start"
    with pytest.raises(PolicyError, match="process definition"):
        stage_metrics("complaint")  # type: ignore[arg-type]


# == StatusChanged:<state> is entering the state ==================================================


def _policy(*metrics: Metric, **kw: Any) -> SlaPolicy:
    return SlaPolicy(name="p", calendar=ALWAYS, metrics=metrics, **kw)


def test_a_ticket_resolved_enters_resolved() -> None:
    """``StatusChanged:resolved`` is stopped by a ``TicketResolved`` (it moves the status into
    ``resolved``), and started again by nothing but entering it."""
    policy = _policy(Metric(name="to_resolved", start_on="TicketCreated",
                            stop_on="StatusChanged:resolved", target=4 * H))
    events: list[Event] = [ticket(utc(2, 9)), TicketResolved(stream_id="T-1", at=utc(2, 11))]
    s = evaluate(policy, events, utc(2, 12))["to_resolved"]
    assert (s.state, s.elapsed, s.stopped_at) == ("met", 2 * H, utc(2, 11))


def test_a_status_change_to_the_same_status_enters_nothing() -> None:
    """A ``StatusChanged`` whose status is already the status does not match
    ``StatusChanged:<status>`` (a reminder that keeps a ticket pending moves nothing), but it
    is still a ``StatusChanged`` for the bare selector."""
    policy = _policy(
        Metric(name="reopen_wait", start_on="AgentReplied:public", stop_on="StatusChanged:open",
               pausable=False, target=2 * H),
        Metric(name="any_change", start_on="AgentReplied:public", stop_on="StatusChanged",
               pausable=False, target=2 * H),
    )
    events: list[Event] = [
        ticket(utc(2, 9)),
        StatusChanged(stream_id="T-1", at=utc(2, 9, 10), status="open"),
        AgentReplied(stream_id="T-1", at=utc(2, 9, 20)),
        StatusChanged(stream_id="T-1", at=utc(2, 9, 30), status="open"),  # already open
    ]
    report = evaluate(policy, events, utc(2, 10))
    assert (report["reopen_wait"].state, report["reopen_wait"].elapsed) == ("running", 40 * M)
    assert (report["any_change"].state, report["any_change"].stopped_at) == ("met",
                                                                            utc(2, 9, 30))
    events += [StatusChanged(stream_id="T-1", at=utc(2, 10, 10), status="pending_customer"),
               TicketReopened(stream_id="T-1", at=utc(2, 10, 20))]  # enters "open" again
    s = evaluate(policy, events, utc(2, 11))["reopen_wait"]
    assert (s.state, s.elapsed, s.stopped_at) == ("met", H, utc(2, 10, 20))


def test_a_case_started_enters_its_initial_state() -> None:
    """``CaseStarted`` moves the status into the process's initial state: it matches
    ``StatusChanged:<initial>``, and the status it sets counts for pauses."""
    policy = _policy(
        Metric(name="intake", start_on="StatusChanged:submitted",
               stop_on="StatusChanged:received", pausable=False, target=H),
        Metric(name="on_hold", start_on="CaseStarted", stop_on="StatusChanged:closed",
               target=8 * H),  # pausable: paused while the case waits in "submitted"
        pause_statuses={"submitted"},
    )
    events = [started(utc(2, 9), "complaint", "submitted"),
              moved(utc(2, 9, 45), "received", "receive")]
    report = evaluate(policy, events, utc(2, 12))
    assert (report["intake"].state, report["intake"].elapsed) == ("met", 45 * M)
    hold = report["on_hold"]
    assert (hold.state, hold.elapsed, hold.started_at) == ("running",
                                                           timedelta(hours=2, minutes=15),
                                                           utc(2, 9))


def test_a_case_gets_no_ticket_clocks_even_with_their_targets() -> None:
    """A case's ``priority`` field picks per-priority targets for the metrics that select it,
    but ``first_response`` and ``resolution`` are ticket clocks: a case has none."""
    policy = _policy(
        Metric(name="stage", start_on="CaseStarted:complaint", stop_on="StatusChanged:received"),
        targets={"first_response": {"P1": H}, "resolution": {"P1": 8 * H},
                 "stage": {"P1": 2 * H}},
    )
    report = evaluate(policy, [started(utc(2, 9), "complaint", "submitted", priority="P1")],
                      utc(2, 10))
    assert set(report) == {"stage"}
    assert report["stage"].target == 2 * H
    # a priority change on the case re-targets it from its start, as on a ticket
    upgraded = [started(utc(2, 9), "complaint", "submitted", priority="P2"),
                PriorityChanged(stream_id="F-1", at=utc(2, 9, 30), priority="P1")]
    s = evaluate(policy, upgraded, utc(2, 10))["stage"]
    assert (s.target, s.due_at) == (2 * H, utc(2, 11))
    # another process's case does not start it
    other = evaluate(policy, [started(utc(2, 9), "repair", "reported", priority="P1")],
                     utc(2, 10))
    assert set(other) == set()


# == Metric.target ================================================================================


def test_metric_target_is_overridden_by_priority_targets_then_by_the_target_table() -> None:
    """The metric's own target for every case; per-priority ``targets`` override it; the
    ``target_table`` overrides both."""
    table = DecisionTable(name="t", hit_policy="collect", rules=[
        Rule(id="chat", when='channel == "chat"', then={"m": "30m"})])
    policy = _policy(Metric(name="m", start_on="TicketCreated", stop_on="TicketResolved",
                            target="4h"),
                     targets={"m": {"P1": H}}, target_table=table)
    cases = [("P2", "email", 4 * H), ("P1", "email", H), ("P1", "chat", 30 * M),
             ("P2", "chat", 30 * M)]
    for prio, channel, target in cases:
        facts = {"priority": prio, "channel": channel, "category": None, "customer_tier": None}
        assert policy.select(facts)["m"] == target, (prio, channel)
        report = evaluate(policy, [ticket(utc(2, 9), prio, channel=channel)], utc(2, 10))
        assert report["m"].target == target, (prio, channel)
    # with no override, the metric's target is all there is
    bare = _policy(Metric(name="m", start_on="TicketCreated", stop_on="TicketResolved",
                          target=timedelta(minutes=5)))
    assert bare.select({"priority": "P4"}) == {"m": timedelta(minutes=5)}
    assert bare.metrics[0].model_dump(mode="json")["target"] == "5m"
    with pytest.raises(PolicyError, match="non-negative"):
        Metric(name="m", start_on="TicketCreated", stop_on="TicketResolved", target="-1h")


# == a host's own events ==========================================================================


class SlaVisitBooked(Event):
    """A host's own event: registered by subclassing, selectable by its type."""

    type: Literal["SlaVisitBooked"] = "SlaVisitBooked"
    slot: str


class SlaHostNote(Event):
    """A host base class (its class name is its type) ..."""


class SlaUrgentNote(SlaHostNote):
    """... and a grandchild of ``Event``, with a qualified selector and a status it implies."""

    implies = "urgent"
    level: str = "high"

    @property
    def selector(self) -> str:
        return f"SlaUrgentNote:{self.level}"


def test_a_hosts_registered_event_classes_are_selectors() -> None:
    assert event_class("SlaVisitBooked") is SlaVisitBooked
    policy = _policy(
        Metric(name="booking", start_on="TicketCreated", stop_on="SlaVisitBooked", target=H),
        Metric(name="urgent", start_on="SlaUrgentNote:high", stop_on="TicketResolved",
               target=H),
        Metric(name="to_urgent", start_on="TicketCreated", stop_on="StatusChanged:urgent",
               target=H),
    )
    events: list[Event] = [
        ticket(utc(2, 9)),
        SlaVisitBooked(stream_id="T-1", at=utc(2, 9, 20), slot="am"),
        SlaUrgentNote(stream_id="T-1", at=utc(2, 9, 30)),
    ]
    report = evaluate(policy, events, utc(2, 10))
    assert (report["booking"].state, report["booking"].elapsed) == ("met", 20 * M)
    assert (report["urgent"].state, report["urgent"].started_at) == ("running", utc(2, 9, 30))
    # the grandchild declares the status it implies: entering "urgent" stops this one
    assert (report["to_urgent"].state, report["to_urgent"].elapsed) == ("met", 30 * M)
    many = evaluate_many(policy, {"T-1": events}, utc(2, 10))
    assert many["T-1"] == report


@pytest.mark.parametrize(
    ("selector", "problem"),
    [("SlaNotRegistered", "unknown event type"),
     ("SlaVisitBooked:am", "takes no qualifier"),
     ("TicketCreated:x", "takes no qualifier")],
)
def test_unregistered_or_unqualified_selectors_are_rejected(selector: str, problem: str) -> None:
    with pytest.raises(PolicyError, match=problem):
        Metric(name="m", start_on=selector, stop_on="TicketResolved")


def test_case_started_selectors_take_the_process_as_qualifier() -> None:
    m = Metric(name="m", start_on="CaseStarted:repair", stop_on="StatusChanged:triaged")
    assert m.start_on == ("CaseStarted:repair",)


# == remedies read the flat facts =================================================================


def test_remedies_read_the_flat_facts_of_tickets_and_cases() -> None:
    """K-06: the remedy table reads the facts the target table reads (``customer_tier``,
    ``category``, attributes; a case's fields and ``process``), plus ``commitment_missed``,
    ``metric`` and ``repeat_breaches``; no nested ``customer.tier``."""
    remedy = DecisionTable(name="remedy", hit_policy="collect", rules=[
        Rule(id="K-06:apology", when="commitment_missed", then={"remedy": "apology"}),
        Rule(id="K-06:tier", when='customer_tier == "A" and category == "complaint" '
                                  'and product == "X-1" and metric == "answer"',
             then={"remedy": "compensation"}),
        Rule(id="K-06:case", when='process == "complaint" and severity >= 5',
             then={"remedy": "call_back"}),
    ])
    policy = _policy(
        Metric(name="answer", start_on=("TicketCreated", "CaseStarted"),
               stop_on=("AgentReplied:public", "StatusChanged:received"), target=H),
        public_commitments={"answer"}, remedy_table=remedy,
    )
    late_ticket = [ticket(utc(2, 9), customer_tier="A", category="complaint",
                          attributes={"product": "X-1"})]
    (owed,) = evaluate(policy, late_ticket, utc(2, 11)).remedies()
    assert [r["remedy"] for r in owed.remedies] == ["apology", "compensation"]
    late_case = [started(utc(2, 9), "complaint", "submitted", severity=5)]
    (owed,) = evaluate(policy, late_case, utc(2, 11)).remedies()
    assert [r["remedy"] for r in owed.remedies] == ["apology", "call_back"]
    assert owed.decision.rule_ids == ("K-06:apology", "K-06:case")


# == evaluate_many agrees with evaluate on case histories =========================================

PROCESSES: dict[str, ProcessDefinition] = all_processes()
EXAMPLES = int(os.environ.get("SLA_EXAMPLES", "60"))


def _case_policy() -> SlaPolicy:
    """Every preset's stage clocks on China's calendar, plus a pausable case metric with
    per-priority targets, warnings and an escalation ladder."""
    metrics = [m for p in PROCESSES.values() for m in stage_metrics(p)]
    metrics.append(Metric(name="to_final", start_on="CaseStarted",
                          stop_on=tuple(f"StatusChanged:{s.id}" for p in PROCESSES.values()
                                        for s in p.states if s.final)))
    return SlaPolicy(
        name="cases", calendar=BusinessCalendar.china(hours="09:00-12:00,13:00-18:00"),
        metrics=metrics, targets={"to_final": {"P1": 8 * H, "P2": 40 * H}},
        pause_statuses={"following_up", "mediating", "pending_customer"},
        warn_at=(0.5, 0.9),
        escalation=Escalation(levels=[EscalationLevel(level=1, at=0.5, notify="lead"),
                                      EscalationLevel(level=2, at="breach", notify="manager")]),
    )


POLICIES = {"handbook": handbook.sla_policy(), "cases": _case_policy()}


@st.composite
def case_history(draw: st.DrawFn, case: str) -> tuple[list[Event], datetime]:
    """A random walk through a preset process: a ``CaseStarted``, then transitions (or an
    action that keeps the state), priority changes, at random gaps; ``now`` anywhere."""
    name = draw(st.sampled_from(sorted(PROCESSES)))
    process = PROCESSES[name]
    at = draw(st.datetimes(min_value=datetime(2025, 1, 2), max_value=datetime(2026, 6, 30),
                           timezones=st.just(UTC)))
    fields = {"priority": draw(st.sampled_from(["P1", "P2", "P3"]))}
    state = process.initial.id
    events: list[Event] = [CaseStarted(event_id=f"{case}-0", stream_id=case, at=at, by="a",
                                       process=name, state=state, fields=fields)]
    for i in range(draw(st.integers(0, 10))):
        at += draw(st.one_of(st.just(timedelta(0)),
                             st.integers(1, 600).map(lambda m: timedelta(minutes=m)),
                             st.integers(1, 72).map(lambda h: timedelta(hours=h))))
        common = {"event_id": f"{case}-{i + 1}", "stream_id": case, "at": at}
        options = [t for t in process.transitions if state in t.sources]
        kind = draw(st.sampled_from(["move", "move", "move", "stay", "priority"]))
        if kind == "priority":
            events.append(PriorityChanged(**common, priority=draw(st.sampled_from(["P1", "P2"]))))
        elif kind == "stay" or not options:
            events.append(StatusChanged(**common, status=state, event="note"))
        else:
            move = draw(st.sampled_from(options))
            state = move.target or state
            events.append(StatusChanged(**common, status=state, event=move.event))
    first, last = events[0].at, events[-1].at
    now = draw(st.one_of(st.sampled_from([e.at for e in events]),
                         st.integers(0, 10 * 86_400).map(lambda s: last + timedelta(seconds=s)),
                         st.integers(0, 3 * 86_400).map(lambda s: first + timedelta(seconds=s))))
    return events, now


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(POLICIES)), st.lists(st.integers(0, 9), min_size=1, max_size=5,
                                                   unique=True), st.data())
def test_evaluate_many_equals_evaluate_on_case_histories(
    key: str, ids: list[int], data: st.DataObject
) -> None:
    """S-01 … S-07 on many cases at once: the batch equals the one-case path, case by case
    (reports, explanations, escalations), whatever the process and the walk."""
    policy = POLICIES[key]
    by_case: dict[str, list[Event]] = {}
    nows = []
    for i in ids:
        events, now = data.draw(case_history(f"C-{i}"))
        by_case[f"C-{i}"] = events
        nows.append(now)
    now = max(nows)
    many = evaluate_many(policy, by_case, now)
    assert list(many) == list(by_case)
    for case, events in by_case.items():
        one = evaluate(policy, events, now)
        got = many[case]
        assert isinstance(got, SlaReport)
        assert got == one, case
        assert got.ticket_id == one.ticket_id == case
        assert got.explain() == one.explain()
        assert got.escalations() == one.escalations()
        for status in one.values():
            assert status.elapsed >= timedelta(0)
            if status.state != "cancelled":  # a cancelled clock is cancelled, however late
                assert (status.elapsed > status.target) is (status.state == "breached"), status
