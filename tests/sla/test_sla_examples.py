"""Worked examples of the SLA engine, each computed by hand in its comments.

The handbook preset (``handbook.sla_policy()``) is checked against the rules catalog, section 3
(S-01 … S-09): the business calendar is China's statutory calendar with the hours
09:00-12:00 and 13:00-18:00 (8 business hours a day) in Asia/Shanghai; the per-channel first
response (S-08) and the minute-level stage limit (S-05 triage, a stage clock of repair cases)
run in calendar time in the same zone. Stage clocks run on the cases of the preset processes
(more in test_case_clocks.py).

2026 dates used below (chinesecalendar): 2026-03-02 is a Monday; Qingming is 04-04 … 04-06
(Sat-Mon); Dragon Boat 06-19 … 06-21 (Fri-Sun); National Day 10-01 … 10-07 (Thu-Wed) with the
make-up working Saturday 10-10. The US DST changes of 2026 are on Sundays 03-08 (02:00 EST ->
03:00 EDT) and 11-01 (02:00 EDT -> 01:00 EST).

The other examples use small policies on an always-open UTC calendar, so that the arithmetic is
plain clock arithmetic and the semantics (pauses, reopen, re-targeting, cycles, …) stand out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from servicekit.calendar import BusinessCalendar
from servicekit.errors import (
    CalendarCoverageError,
    InvalidInputError,
    NaiveDatetimeError,
    PolicyError,
    ServiceKitError,
)
from servicekit.events import (
    AgentReplied,
    CaseStarted,
    CustomerReplied,
    Event,
    PriorityChanged,
    StageReached,
    StatusChanged,
    TicketCancelled,
    TicketClosed,
    TicketCreated,
    TicketReopened,
    TicketResolved,
)
from servicekit.policy import Policy
from servicekit.presets import handbook
from servicekit.sla import (
    Escalation,
    EscalationLevel,
    Metric,
    MetricStatus,
    SlaPolicy,
    SlaReport,
    evaluate,
    evaluate_many,
)

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
US = timedelta(microseconds=1)
S = timedelta(seconds=1)
M = timedelta(minutes=1)
H = timedelta(hours=1)
PHONE = "13800138000"  # personal data that must never be echoed in an error message

_ids = count()


def sh(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, *,
       micro: int = 0, year: int = 2026) -> datetime:
    """An instant in Asia/Shanghai."""
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=SH)


def utc(day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    """An instant in March 2026, UTC (2026-03-02 is a Monday)."""
    return datetime(2026, 3, day, hour, minute, second, micro, tzinfo=UTC)


def _common(at: datetime, ticket: str) -> dict[str, Any]:
    return {"event_id": f"ev-{next(_ids)}", "ticket_id": ticket, "at": at}


def created(at: datetime, priority: str = "P3", *, channel: str | None = None,
            category: str | None = None, tier: str | None = None,
            ticket: str = "T-1") -> TicketCreated:
    return TicketCreated(**_common(at, ticket), priority=priority, channel=channel,
                         category=category, customer_tier=tier)


def agent(at: datetime, *, public: bool = True, ticket: str = "T-1") -> AgentReplied:
    return AgentReplied(**_common(at, ticket), public=public)


def customer(at: datetime, ticket: str = "T-1") -> CustomerReplied:
    return CustomerReplied(**_common(at, ticket))


def status(at: datetime, value: str, ticket: str = "T-1") -> StatusChanged:
    return StatusChanged(**_common(at, ticket), status=value)


def stage(at: datetime, name: str, ticket: str = "T-1") -> StageReached:
    return StageReached(**_common(at, ticket), stage=name)


def priority(at: datetime, value: str, ticket: str = "T-1") -> PriorityChanged:
    return PriorityChanged(**_common(at, ticket), priority=value)


def resolved(at: datetime, ticket: str = "T-1") -> TicketResolved:
    return TicketResolved(**_common(at, ticket))


def reopened(at: datetime, ticket: str = "T-1") -> TicketReopened:
    return TicketReopened(**_common(at, ticket))


def cancelled(at: datetime, ticket: str = "T-1") -> TicketCancelled:
    return TicketCancelled(**_common(at, ticket))


def closed(at: datetime, ticket: str = "T-1") -> TicketClosed:
    return TicketClosed(**_common(at, ticket))


def case_started(at: datetime, process: str, state: str, case: str = "R-1") -> CaseStarted:
    """A case of a preset process starts in its initial state."""
    return CaseStarted(**_common(at, case), by="agent-1", process=process, state=state)


def moved(at: datetime, value: str, case: str = "R-1") -> StatusChanged:
    """A process transition into ``value``, as a case records it."""
    return StatusChanged(**_common(at, case), status=value, event=f"to_{value}")


@pytest.fixture(scope="module")
def hb() -> SlaPolicy:
    return handbook.sla_policy()


ALWAYS = BusinessCalendar.always()


def simple(**overrides: Any) -> SlaPolicy:
    """An always-open UTC policy: P1/P2 targets for the four built-in clocks."""
    fields: dict[str, Any] = {
        "name": "simple",
        "calendar": ALWAYS,
        "targets": {
            "first_response": {"P1": H, "P2": 4 * H},
            "next_response": {"P1": H, "P2": H},
            "periodic_update": {"P1": 2 * H, "P2": 2 * H},
            "resolution": {"P1": 8 * H, "P2": 24 * H},
        },
    }
    fields.update(overrides)
    return SlaPolicy(**fields)


def states(report: SlaReport) -> dict[str, str]:
    return {metric: s.state for metric, s in report.items()}


# == the handbook: S-01 … S-09 ====================================================================


def test_s01_complaint_first_response_4_business_hours_across_national_day(
    hb: SlaPolicy,
) -> None:
    # Wed 09-30 16:30-18:00 = 1.5 h; 10-01 … 10-07 closed; Thu 10-08 09:00-11:30 = 2.5 h:
    # 4 business hours are reached at 2026-10-08 11:30.
    events = [created(sh(9, 30, 16, 30), "P3", channel="email", category="complaint")]
    on_holiday = evaluate(hb, events, sh(10, 5, 12))["business_response"]
    assert on_holiday.state == "running"
    assert on_holiday.elapsed == timedelta(hours=1, minutes=30)
    assert on_holiday.due_at == sh(10, 8, 11, 30)

    at_due = evaluate(hb, events, sh(10, 8, 11, 30))
    s = at_due["business_response"]
    assert (s.state, s.elapsed, s.remaining) == ("running", 4 * H, timedelta(0))
    assert s.target == 4 * H
    assert s.due_at == sh(10, 8, 11, 30)
    assert s.breached_at is None
    assert s.warnings == (0.75, 0.9)
    # the breach is the next change: 1 µs of open time after the due instant
    assert at_due.next_check_at == sh(10, 8, 11, 30, 0, micro=1)

    after = evaluate(hb, events, sh(10, 8, 11, 30, 0, micro=1))["business_response"]
    assert after.state == "breached"
    assert after.breached_at == sh(10, 8, 11, 30, 0, micro=1)
    assert after.remaining == -US


def test_s01_complaint_answered_in_time_is_met(hb: SlaPolicy) -> None:
    # a public reply on 10-08 at 10:00: 1.5 h + 1 h = 2.5 business hours
    events = [created(sh(9, 30, 16, 30), "P3", channel="email", category="complaint"),
              agent(sh(10, 8, 10))]
    report = evaluate(hb, events, sh(10, 9, 12))
    s = report["business_response"]
    assert (s.state, s.elapsed, s.stopped_at) == ("met", timedelta(hours=2, minutes=30),
                                                  sh(10, 8, 10))
    assert s.due_at == sh(10, 8, 11, 30)  # when it would have been due
    # the email first response (S-08: 4 h in calendar time) was due on 09-30 at 20:30
    fr = report["first_response"]
    assert fr.state == "breached"
    assert fr.due_at == sh(9, 30, 20, 30)
    assert fr.breached_at == sh(9, 30, 20, 30, 0, micro=1)
    assert fr.elapsed == timedelta(days=7, hours=17, minutes=30)


def test_s02_preliminary_solution_24_business_hours_due_on_a_make_up_saturday(
    hb: SlaPolicy,
) -> None:
    # 09-30: 1.5 h; Thu 10-08: 8 h (9.5); Fri 10-09: 8 h (17.5); Sat 10-10 is a make-up working
    # day: 09:00-12:00 (20.5) and 13:00-16:30 (24): due 2026-10-10 16:30.
    events = [created(sh(9, 30, 16, 30), "P3", channel="email", category="complaint")]
    s = evaluate(hb, events, sh(10, 10, 16, 30))["preliminary_solution"]
    assert (s.state, s.elapsed, s.target) == ("running", 24 * H, 24 * H)
    assert s.due_at == sh(10, 10, 16, 30)
    late = evaluate(hb, events, sh(10, 10, 16, 30, 0, micro=1))["preliminary_solution"]
    assert late.state == "breached"
    assert late.breached_at == sh(10, 10, 16, 30, 0, micro=1)
    # a solution proposed at 16:00 that Saturday: 23.5 h, met
    done = evaluate(hb, [*events, stage(sh(10, 10, 16), "solution_proposed")], sh(10, 12))
    assert done["preliminary_solution"].state == "met"
    assert done["preliminary_solution"].elapsed == timedelta(hours=23, minutes=30)
    # a resolution counts as a preliminary solution too (the preset's stop_on)
    fixed = evaluate(hb, [*events, resolved(sh(10, 9, 9))], sh(10, 12))
    assert fixed["preliminary_solution"].state == "met"
    assert fixed["preliminary_solution"].elapsed == timedelta(hours=9, minutes=30)


def test_s03_consultation_response_24_business_hours_across_dragon_boat_and_a_weekend(
    hb: SlaPolicy,
) -> None:
    # Thu 06-18 17:00-18:00 = 1 h; Fri 06-19 … Sun 06-21 closed; Mon 06-22 8 h (9); Tue 06-23
    # 8 h (17); Wed 06-24 09:00-12:00 (20) and 13:00-17:00 (24): due 2026-06-24 17:00.
    events = [created(sh(6, 18, 17), "P4", channel="web", category="consultation")]
    report = evaluate(hb, events, sh(6, 21, 12))
    s = report["business_response"]
    assert (s.state, s.elapsed, s.target) == ("running", H, 24 * H)
    assert s.due_at == sh(6, 24, 17)
    assert "preliminary_solution" not in report  # S-02 is for complaints only
    assert "resolution" not in report  # P4 is not a major problem (S-04)


def test_s04_major_problems_resolved_within_48_business_hours(hb: SlaPolicy) -> None:
    # P1 created Mon 03-02 09:00: 48 h are six 8-hour days, Mon … Fri and Mon 03-09: the clock
    # runs out at 18:00 that Monday (the end of an open interval, not 09:00 on Tuesday).
    for prio in ("P1", "P2"):
        events = [created(sh(3, 2, 9), prio, channel="phone", category="complaint")]
        s = evaluate(hb, events, sh(3, 4, 10))["resolution"]
        assert (s.state, s.target) == ("running", 48 * H)
        assert s.elapsed == 17 * H  # Mon 8 h, Tue 8 h, Wed 09:00-10:00
        assert s.due_at == sh(3, 9, 18)
        late = evaluate(hb, events, sh(3, 10, 9, 0, 0, micro=1))["resolution"]
        assert late.state == "breached"
        assert late.breached_at == sh(3, 10, 9, 0, 0, micro=1)  # 1 µs into the next opening
    # P3 and P4 are not major: no resolution clock at all
    for prio in ("P3", "P4"):
        events = [created(sh(3, 2, 9), prio, channel="phone", category="complaint")]
        assert "resolution" not in evaluate(hb, events, sh(3, 4, 10))


def test_s05_repair_triage_within_5_minutes_in_calendar_time(hb: SlaPolicy) -> None:
    # a repair case started on Saturday 03-07 at 10:00, when the business calendar is closed:
    # triage runs in calendar time, due 10:05.
    events = [case_started(sh(3, 7, 10), "repair", "reported")]
    s = evaluate(hb, events, sh(3, 7, 10, 3))["repair_triaged"]
    assert (s.state, s.elapsed, s.target) == ("running", 3 * M, 5 * M)
    assert s.due_at == sh(3, 7, 10, 5)
    met = evaluate(hb, [*events, moved(sh(3, 7, 10, 4, 59), "triaged")], sh(3, 8))
    assert met["repair_triaged"].state == "met"
    late = evaluate(hb, [*events, moved(sh(3, 7, 10, 5, 1), "triaged")], sh(3, 8))
    assert late["repair_triaged"].state == "breached"
    assert late["repair_triaged"].breached_at == sh(3, 7, 10, 5, 0, micro=1)
    # a stage clock is a case's: a repair *ticket* has none
    ticket = evaluate(hb, [created(sh(3, 7, 10), "P3", channel="phone", category="repair")],
                      sh(3, 7, 10, 3))
    assert not any(m.startswith("repair_") for m in ticket)


def test_s06_repair_visit_arranged_within_48_business_hours(hb: SlaPolicy) -> None:
    # started Saturday 03-07 10:00 (closed): the business clock starts Monday 03-09 09:00;
    # 48 h = Mon … Fri (40 h) and Mon 03-16 (48 h), due 2026-03-16 18:00.
    events = [case_started(sh(3, 7, 10), "repair", "reported"),
              moved(sh(3, 7, 10, 4), "triaged"), moved(sh(3, 9, 10), "confirmed")]
    s = evaluate(hb, events, sh(3, 8, 23))["repair_visit_arranged"]
    assert (s.state, s.elapsed, s.target) == ("running", timedelta(0), 48 * H)
    assert s.due_at == sh(3, 16, 18)
    done = evaluate(hb, [*events, moved(sh(3, 11, 15), "visit_arranged")], sh(3, 20))
    # Mon 8 h, Tue 8 h, Wed 09:00-12:00 and 13:00-15:00 (5 h): 21 h
    visit = done["repair_visit_arranged"]
    assert (visit.state, visit.elapsed, visit.stopped_at) == ("met", 21 * H, sh(3, 11, 15))


def test_s07_repair_completed_within_24_business_hours_from_the_start(hb: SlaPolicy) -> None:
    # S-07 limits count from the start of the case (each from creation, not per stage).
    # Started Mon 03-02 11:00 (business hours); completion with the return visit within 24 h:
    # Mon 6 h, Tue 8 h (14), Wed 8 h (22), Thu 09:00-11:00: due 03-05 11:00.
    start = case_started(sh(3, 2, 11), "repair", "reported")
    report = evaluate(hb, [start], sh(3, 2, 11))
    s = report["repair_completed"]
    assert (s.state, s.target, s.due_at) == ("running", 24 * H, sh(3, 5, 11))
    events = [
        start,
        moved(sh(3, 2, 11, 3), "triaged"),           # 3 min: S-05 met
        moved(sh(3, 2, 11, 30), "confirmed"),
        moved(sh(3, 2, 14), "diagnosed"),
        moved(sh(3, 3, 9), "repaired"),
    ]
    later = evaluate(hb, events, sh(3, 3, 9))
    assert later["repair_triaged"].state == "met"
    assert later["repair_triaged"].elapsed == 3 * M
    # the visit was never arranged (diagnosed straight after confirmation): from 'diagnosed'
    # no visit can be arranged any more, so the stage is moot and its clock cancelled there
    visit = later["repair_visit_arranged"]
    assert (visit.state, visit.stopped_at) == ("cancelled", sh(3, 2, 14))
    assert later["repair_completed"].state == "running"
    assert later["repair_completed"].elapsed == 6 * H
    on_time = evaluate(hb, [*events, moved(sh(3, 5, 10, 59), "completed")], sh(3, 6))
    s = on_time["repair_completed"]
    assert (s.state, s.elapsed) == ("met", timedelta(hours=23, minutes=59))
    # a cancelled stage stays cancelled: completion neither breaches nor restarts it
    assert on_time["repair_visit_arranged"].state == "cancelled"
    assert on_time["repair_visit_arranged"].stopped_at == sh(3, 2, 14)
    late = evaluate(hb, [*events, moved(sh(3, 5, 11, 30), "completed")], sh(3, 6))
    s = late["repair_completed"]
    assert (s.state, s.elapsed) == ("breached", timedelta(hours=24, minutes=30))
    assert s.breached_at == sh(3, 5, 11, 0, 0, micro=1)


@pytest.mark.parametrize(
    ("channel", "target"),
    [("phone", 60 * S), ("chat", 30 * S), ("email", 4 * H), ("social_media", 2 * H),
     ("web", 2 * H), (None, 2 * H)],  # no S-08 channel: the S-10 2 h default
)
def test_s08_first_response_by_channel_in_calendar_time(
    hb: SlaPolicy, channel: str | None, target: timedelta
) -> None:
    # created on a Saturday night, when the business calendar is closed: calendar time runs
    t0 = sh(3, 7, 23, 59, 50)
    events = [created(t0, "P3", channel=channel)]
    s = evaluate(hb, events, t0)["first_response"]
    assert (s.state, s.target, s.elapsed) == ("running", target, timedelta(0))
    assert s.due_at == t0 + target
    late = evaluate(hb, events, t0 + target + US)["first_response"]
    assert late.state == "breached"
    assert late.breached_at == t0 + target + US
    met = evaluate(hb, [*events, agent(t0 + target)], t0 + 10 * H)["first_response"]
    assert (met.state, met.elapsed, met.stopped_at) == ("met", target, t0 + target)


def test_s09_fault_response_2h_and_resolution_24h(hb: SlaPolicy) -> None:
    # fault, created Mon 03-02 11:00. Response 2 h: 11:00-12:00, 13:00-14:00: due 14:00.
    # Resolution 24 h (S-09 overrides S-04's 48 h even for P1): due Thu 03-05 11:00.
    for prio in ("P1", "P3"):
        events = [created(sh(3, 2, 11), prio, channel="phone", category="fault")]
        report = evaluate(hb, events, sh(3, 2, 12, 30))
        br = report["business_response"]
        assert (br.state, br.target, br.elapsed) == ("running", 2 * H, H)
        assert br.due_at == sh(3, 2, 14)
        res = report["resolution"]
        assert (res.target, res.due_at) == (24 * H, sh(3, 5, 11))


def test_handbook_crossing_a_weekend_and_qingming(hb: SlaPolicy) -> None:
    # complaint created Fri 04-03 15:00: Fri 15:00-18:00 = 3 h; Sat, Sun, Mon 04-06 (Qingming)
    # closed; Tue 04-07 09:00-10:00: S-01's 4 h are due 2026-04-07 10:00.
    events = [created(sh(4, 3, 15), "P3", channel="email", category="complaint")]
    report = evaluate(hb, events, sh(4, 6, 12))
    s = report["business_response"]
    assert (s.state, s.elapsed) == ("running", 3 * H)
    assert s.warnings == (0.75,)  # 3 h of 4 h
    assert s.due_at == sh(4, 7, 10)
    # 90 % (3 h 36 min) is reached on Tuesday at 09:36: the next change
    assert report.next_check_at == sh(4, 7, 9, 36)


def test_handbook_lunch_break_is_not_counted(hb: SlaPolicy) -> None:
    # complaint at 11:30 Monday, answered 13:30: 30 min before lunch and 30 min after
    events = [created(sh(3, 2, 11, 30), "P3", channel="email", category="complaint"),
              agent(sh(3, 2, 13, 30))]
    s = evaluate(hb, events, sh(3, 2, 15))["business_response"]
    assert (s.state, s.elapsed) == ("met", H)
    # the calendar-time first response counts the lunch break
    assert evaluate(hb, events, sh(3, 2, 15))["first_response"].elapsed == 2 * H


def test_handbook_resolved_without_a_reply_cancels_first_response(hb: SlaPolicy) -> None:
    events = [created(sh(3, 2, 9), "P2", channel="email", category="complaint"),
              resolved(sh(3, 2, 10))]
    report = evaluate(hb, events, sh(3, 2, 11))
    assert report["first_response"].state == "cancelled"
    assert report["first_response"].stopped_at == sh(3, 2, 10)
    assert report["preliminary_solution"].state == "met"  # a resolution is a solution
    assert report["resolution"].state == "met"
    assert report["resolution"].elapsed == H


@pytest.mark.parametrize("finish", [resolved, closed])
def test_handbook_response_clocks_end_with_the_ticket(hb: SlaPolicy, finish: Any) -> None:
    """BUG (preset): the S-01 ``business_response`` clock only stops on a public reply and is
    only cancelled by a cancellation, so on a complaint resolved (or closed) without a public
    reply it keeps running, breaches days later and owes the customer K-06 remedies for a
    ticket solved in an hour. (On close, ``preliminary_solution`` runs on too: it stops on a
    resolution only.) The built-in ``first_response`` is cancelled in the same situation.

    P3 complaint Mon 03-02 09:00, resolved or closed 10:00, seen a week later: expected no
    clock still counting and no remedy; actual ``business_response`` breached (41 h) and an
    apology owed (plus a service improvement on close: two breaches).
    """
    events = [created(sh(3, 2, 9), "P3", channel="email", category="complaint"),
              finish(sh(3, 2, 10))]
    report = evaluate(hb, events, sh(3, 9, 10))
    assert report["first_response"].state == "cancelled"
    for metric in ("business_response", "preliminary_solution"):
        s = report[metric]
        assert s.state in ("met", "cancelled"), (metric, s.state, s.elapsed)
        assert s.elapsed == H, metric
    assert report.remedies() == []


def test_handbook_remedies_for_a_breached_public_commitment_k06(hb: SlaPolicy) -> None:
    # P3 complaint Mon 09:00, answered 14:30: 3 h + 1.5 h = 4.5 business hours > 4 h (S-01).
    events = [created(sh(3, 2, 9), "P3", channel="email", category="complaint", tier="B"),
              agent(sh(3, 2, 14, 30)), stage(sh(3, 3, 10), "solution_proposed")]
    report = evaluate(hb, events, sh(3, 3, 12))
    assert report["business_response"].state == "breached"
    assert report["business_response"].breached_cycles == 1
    assert report["preliminary_solution"].state == "met"
    remedies = report.remedies()
    assert [r.metric for r in remedies] == ["business_response"]
    assert [dict(x) for x in remedies[0].remedies] == [
        {"remedy": "apology", "notify_customer": True}]
    assert remedies[0].decision.rule_ids == ("K-06:apology",)

    # nothing breached: nothing owed
    on_time = [created(sh(3, 2, 9), "P3", channel="email", category="complaint"),
               agent(sh(3, 2, 10))]
    assert evaluate(hb, on_time, sh(3, 2, 12)).remedies() == []


def test_handbook_remedies_compensation_and_improvement_k06(hb: SlaPolicy) -> None:
    # A-tier customer, no reply, no solution. By Thu 03-05 10:00 both public commitments are
    # breached: S-01 (4 h, due Mon 14:00) and S-02 (24 h, due Wed 18:00). Two breaches owe an
    # apology, compensation (tier A) and a service improvement (repeat_breaches >= 2), each.
    events = [created(sh(3, 2, 9), "P3", channel="email", category="complaint", tier="A")]
    report = evaluate(hb, events, sh(3, 5, 10))
    assert report["business_response"].breached_at == sh(3, 2, 14, 0, 0, micro=1)
    assert report["preliminary_solution"].due_at == sh(3, 4, 18)
    assert report["preliminary_solution"].breached_at == sh(3, 5, 9, 0, 0, micro=1)
    remedies = report.remedies()
    assert [r.metric for r in remedies] == ["business_response", "preliminary_solution"]
    for r in remedies:
        assert [x["remedy"] for x in r.remedies] == [
            "apology", "compensation", "service_improvement"]
        assert all(x["notify_customer"] for x in r.remedies)
    # first_response (calendar time) is breached too, but it is not a public commitment
    assert report["first_response"].state == "breached"


def test_handbook_escalation_s11(hb: SlaPolicy) -> None:
    # complaint by email Mon 09:00, no reply. Level 1 (agent) at 75 %, level 2 (cs manager) at
    # the breach:
    #   first_response, 4 h in calendar time: 12:00 and 13:00:00.000001;
    #   business_response, 4 business hours (due 14:00): 3 h at 12:00, 14:00:00.000001;
    #   preliminary_solution, 24 business hours (due Wed 18:00): 18 h at Wed 03-04 11:00,
    #     breach at Thu 03-05 09:00:00.000001.
    events = [created(sh(3, 2, 9), "P3", channel="email", category="complaint")]
    early = evaluate(hb, events, sh(3, 2, 11))
    esc = early.escalations()
    assert esc.reached == ()
    assert esc.next is not None
    assert (esc.next.level, esc.next.notify, esc.next.at, esc.next.trigger) == (
        1, "agent", sh(3, 2, 12), 0.75)
    assert esc.next.metric in ("first_response", "business_response")
    esc = evaluate(hb, events, sh(3, 2, 13, 30)).escalations()
    assert [(s.level, s.notify, s.metric, s.at) for s in esc.reached] == [
        (1, "agent", "first_response", sh(3, 2, 12)),
        (1, "agent", "business_response", sh(3, 2, 12)),
        (2, "cs_manager", "first_response", sh(3, 2, 13, 0, 0, micro=1)),
    ]
    # every level has been reached by some metric, but business response's breach is still
    # ahead (issue 19: next used to skip the levels another metric had reached)
    assert esc.next is not None
    assert (esc.next.level, esc.next.metric, esc.next.at) == (
        2, "business_response", sh(3, 2, 14, 0, 0, micro=1))
    # projected from the 11:00 report to Thursday: every clock reached both levels
    esc = early.escalations(sh(3, 5, 9, 0, 0, micro=1))
    assert [(s.level, s.metric, s.at) for s in esc.reached] == [
        (1, "first_response", sh(3, 2, 12)),
        (1, "business_response", sh(3, 2, 12)),
        (1, "preliminary_solution", sh(3, 4, 11)),
        (2, "first_response", sh(3, 2, 13, 0, 0, micro=1)),
        (2, "business_response", sh(3, 2, 14, 0, 0, micro=1)),
        (2, "preliminary_solution", sh(3, 5, 9, 0, 0, micro=1)),
    ]


# == semantics on small policies ==================================================================


def test_contract_example_policy() -> None:
    cal = BusinessCalendar.china(hours="09:00-12:00,13:00-18:00")
    policy = SlaPolicy(
        name="standard", calendar=cal,
        targets={"first_response": {"P1": timedelta(hours=1), "P2": timedelta(hours=4)},
                 "resolution": {"P1": timedelta(hours=8), "P2": timedelta(hours=24)},
                 "preliminary_solution": {"P1": timedelta(hours=4)}},
        pause_statuses={"pending_customer", "pending_third_party"}, warn_at=(0.75, 0.9),
        metrics=[Metric(name="preliminary_solution", start_on="TicketCreated",
                        stop_on="StageReached:solution_proposed", pausable=False)])
    # P1 Monday 10:00; waiting on the customer 11:00-14:00 (business 11-12 and 13-14 = 2 h)
    events = [created(sh(3, 2, 10), "P1"), agent(sh(3, 2, 10, 30)),
              status(sh(3, 2, 11), "pending_customer"), status(sh(3, 2, 14), "open")]
    report = evaluate(policy, events, sh(3, 2, 16))
    assert isinstance(report, SlaReport)
    assert states(report) == {"first_response": "met", "resolution": "running",
                              "preliminary_solution": "breached"}
    # resolution: 10-11 (1 h) + 14-16 (2 h) = 3 h; 5 h left: 16-18 (2 h), Tue 09-12 (3 h)
    assert report["resolution"].elapsed == 3 * H
    assert report["resolution"].due_at == sh(3, 3, 12)
    # the preliminary solution does not pause: 10-12, 13-16 = 5 h > 4 h
    prelim = report["preliminary_solution"]
    assert (prelim.elapsed, prelim.breached_at) == (5 * H, sh(3, 2, 15, 0, 0, micro=1))
    assert isinstance(prelim, MetricStatus)


def test_running_clock_at_due_is_running_and_breached_one_microsecond_later() -> None:
    policy = simple()
    events = [created(utc(2, 9), "P1")]
    due = utc(2, 17)
    at_due = evaluate(policy, events, due)["resolution"]
    assert (at_due.state, at_due.due_at, at_due.remaining) == ("running", due, timedelta(0))
    after = evaluate(policy, events, due + US)["resolution"]
    assert (after.state, after.breached_at, after.remaining) == ("breached", due + US, -US)
    assert after.due_at == due


def test_dst_spring_forward_on_an_always_open_new_york_calendar() -> None:
    # Sat 03-07 12:00 EST + 24 real hours = Sun 03-08 13:00 EDT (the clock skipped an hour)
    policy = simple(calendar=BusinessCalendar.always(tz="America/New_York"))
    events = [created(datetime(2026, 3, 7, 12, tzinfo=NY), "P2")]
    s = evaluate(policy, events, datetime(2026, 3, 8, 12, 30, tzinfo=NY))["resolution"]
    assert s.elapsed == timedelta(hours=23, minutes=30)
    assert s.due_at == datetime(2026, 3, 8, 13, tzinfo=NY)
    assert s.due_at.utcoffset() == timedelta(hours=-4)


def test_dst_changes_on_a_new_york_business_calendar() -> None:
    # open only on Sundays 00:00-06:00 local. On 03-08 that span is 5 real hours (02:00-03:00
    # does not exist); on 11-01 it is 7 (01:00-02:00 happens twice).
    cal = BusinessCalendar(tz="America/New_York", hours={"sun": "00:00-06:00"})
    five = simple(calendar=cal, targets={"resolution": {"P1": 5 * H, "P2": 6 * H}})
    start = datetime(2026, 3, 8, 0, 0, tzinfo=NY)
    report = evaluate(five, [created(start, "P1")], start)
    assert report["resolution"].due_at == datetime(2026, 3, 8, 6, 0, tzinfo=NY)
    report = evaluate(five, [created(start, "P2")], start)
    # 5 h that Sunday, the sixth on the next one: 2026-03-15 01:00 EDT
    assert report["resolution"].due_at == datetime(2026, 3, 15, 1, 0, tzinfo=NY)
    seven = simple(calendar=cal, targets={"resolution": {"P1": 7 * H}})
    fall = datetime(2026, 11, 1, 0, 0, tzinfo=NY)
    s = evaluate(seven, [created(fall, "P1")], datetime(2026, 11, 1, 12, tzinfo=NY))["resolution"]
    assert (s.state, s.elapsed) == ("running", 7 * H)
    assert s.due_at == datetime(2026, 11, 1, 6, 0, tzinfo=NY)


def test_reopen_resumes_resolution_with_its_elapsed_time() -> None:
    # P2 (24 h): Mon 09:00 -> resolved 19:00 (10 h); reopened Tue 09:00 (the 14 h in between do
    # not count); at Tue 12:00: 13 h, due Tue 09:00 + 14 h = 23:00.
    policy = simple()
    events = [created(utc(2, 9), "P2"), agent(utc(2, 9, 30)), resolved(utc(2, 19))]
    done = evaluate(policy, events, utc(3, 8))["resolution"]
    assert (done.state, done.elapsed, done.stopped_at) == ("met", 10 * H, utc(2, 19))
    report = evaluate(policy, [*events, reopened(utc(3, 9))], utc(3, 12))
    s = report["resolution"]
    assert (s.state, s.elapsed, s.stopped_at) == ("running", 13 * H, None)
    assert s.due_at == utc(3, 23)
    assert s.started_at == utc(2, 9)
    # resolved again Tue 13:00: 14 h in all
    again = evaluate(policy, [*events, reopened(utc(3, 9)), resolved(utc(3, 13))], utc(4))
    assert (again["resolution"].state, again["resolution"].elapsed) == ("met", 14 * H)


def test_priority_upgrade_after_a_breach_is_retroactive() -> None:
    # P2 created 09:00 (resolution 24 h, first response 4 h); first reply at 11:00 (2 h: met);
    # at 19:00 (10 h) the ticket becomes P1 (8 h): breached since 17:00:00.000001.
    policy = simple()
    events = [created(utc(2, 9), "P2"), agent(utc(2, 11))]
    before = evaluate(policy, [*events, priority(utc(2, 19), "P1")], utc(2, 18, 59))
    assert before["resolution"].state == "running"
    assert before["resolution"].target == 24 * H
    report = evaluate(policy, [*events, priority(utc(2, 19), "P1")], utc(2, 19))
    s = report["resolution"]
    assert (s.state, s.target, s.elapsed) == ("breached", 8 * H, 10 * H)
    assert s.due_at == utc(2, 17)
    assert s.breached_at == utc(2, 17, 0, 0, 1)
    # a stopped clock keeps its target: the first response was met under P2's 4 h
    fr = report["first_response"]
    assert (fr.state, fr.target, fr.elapsed) == ("met", 4 * H, 2 * H)


def test_priority_downgrade_re_targets_a_running_clock_too() -> None:
    policy = simple()
    events = [created(utc(2, 9), "P1"), priority(utc(2, 19), "P2")]
    s = evaluate(policy, events, utc(2, 20))["resolution"]
    assert (s.state, s.target, s.due_at, s.breached_at) == ("running", 24 * H, utc(3, 9), None)


def test_priority_upgrade_starts_a_clock_the_old_priority_had_no_target_for() -> None:
    """BUG: a P3 ticket (no resolution target) upgraded to P1 (8 h) gets no resolution clock.

    After the upgrade the ticket has a resolution target, so resolution must not be absent
    ("a metric with no target for the ticket is absent"); re-targeting is retroactive "from
    the clock's start", here the creation: 10 h elapsed > 8 h, breached at 17:00:00.000001.
    With the handbook this means a P3 complaint escalated to P1 never gets S-04's 48 h.
    """
    policy = simple(targets={"resolution": {"P1": 8 * H}})
    events = [created(utc(2, 9), "P3"), priority(utc(2, 10), "P1")]
    report = evaluate(policy, events, utc(2, 19))
    assert "resolution" in report, "resolution is absent after the upgrade to P1"
    s = report["resolution"]
    assert (s.state, s.target, s.elapsed) == ("breached", 8 * H, 10 * H)
    assert s.breached_at == utc(2, 17, 0, 0, 1)


def test_pausing_stops_pausable_clocks_only() -> None:
    # resolution (pausable) waits on the customer 11:00-15:00; first_response does not pause
    policy = simple()
    events = [created(utc(2, 9), "P2"), status(utc(2, 11), "pending_customer"),
              status(utc(2, 15), "open")]
    paused = evaluate(policy, events, utc(2, 14))
    s = paused["resolution"]
    assert (s.state, s.elapsed, s.due_at, s.stopped_at) == ("paused", 2 * H, None, None)
    assert paused["first_response"].state == "breached"  # 5 h > 4 h, pauses do not apply
    # back at 15:00: 2 h + 2 h by 17:00, due 15:00 + 22 h
    s = evaluate(policy, events, utc(2, 17))["resolution"]
    assert (s.state, s.elapsed, s.due_at) == ("running", 4 * H, utc(3, 13))
    # moving between pause statuses keeps the clock paused
    both = [*events[:2], status(utc(2, 12), "pending_third_party"), status(utc(2, 15), "open")]
    assert evaluate(policy, both, utc(2, 17))["resolution"].elapsed == 4 * H


def test_paused_clock_has_no_next_check() -> None:
    policy = simple(targets={"resolution": {"P2": 24 * H}})
    events = [created(utc(2, 9), "P2"), status(utc(2, 10), "pending_customer")]
    report = evaluate(policy, events, utc(2, 12))
    assert report["resolution"].state == "paused"
    assert report.next_check_at is None


def test_breached_clock_paused_is_not_running() -> None:
    """BUG: ``MetricStatus.running`` ("whether the clock is counting now") is True for a
    breached clock that is paused (waiting on the customer)."""
    policy = simple(targets={"resolution": {"P1": 8 * H}})
    events = [created(utc(2, 9), "P1"), status(utc(2, 19), "pending_customer")]
    s = evaluate(policy, events, utc(2, 20))["resolution"]
    assert (s.state, s.elapsed) == ("breached", 10 * H)
    still = evaluate(policy, events, utc(2, 23))["resolution"]
    assert still.elapsed == s.elapsed  # indeed not counting
    assert s.running is False


def test_running_property_of_running_and_stopped_clocks() -> None:
    policy = simple(targets={"resolution": {"P1": 8 * H}})
    events = [created(utc(2, 9), "P1")]
    assert evaluate(policy, events, utc(2, 10))["resolution"].running
    assert evaluate(policy, events, utc(2, 18))["resolution"].running  # breached, counting
    stopped = evaluate(policy, [*events, resolved(utc(2, 18))], utc(2, 19))["resolution"]
    assert stopped.state == "breached"
    assert not stopped.running


def test_cancel_cancels_every_clock() -> None:
    policy = simple(
        targets={**simple().targets, "prelim": {"P2": 4 * H}},
        metrics=[Metric(name="prelim", start_on="TicketCreated",
                        stop_on="StageReached:solution_proposed")],
    )
    events = [created(utc(2, 9), "P2"), cancelled(utc(2, 10))]
    report = evaluate(policy, events, utc(3, 9))
    assert states(report) == {"first_response": "cancelled", "resolution": "cancelled",
                              "prelim": "cancelled"}
    for s in report.values():
        assert (s.elapsed, s.stopped_at) == (H, utc(2, 10))
    assert report.next_check_at is None
    assert report.remedies() == []


def test_resolve_or_close_without_a_public_reply_cancels_first_response() -> None:
    policy = simple()
    for finish in (resolved, closed):
        events = [created(utc(2, 9), "P2"), agent(utc(2, 9, 30), public=False),
                  finish(utc(2, 10))]
        report = evaluate(policy, events, utc(2, 11))
        assert report["first_response"].state == "cancelled"
        assert report["resolution"].state == "met"
        assert report["resolution"].elapsed == H


def test_first_response_stops_on_a_public_reply_only() -> None:
    policy = simple()
    events = [created(utc(2, 9), "P2"), agent(utc(2, 9, 30), public=False)]
    assert evaluate(policy, events, utc(2, 10))["first_response"].state == "running"
    events.append(agent(utc(2, 10, 15)))
    s = evaluate(policy, events, utc(2, 11))["first_response"]
    assert (s.state, s.elapsed) == ("met", timedelta(hours=1, minutes=15))


def test_next_response_cycles_and_breached_cycles() -> None:
    # next_response: 1 h. Replies: agent 09:30; customer 10:00 (cycle 1) -> agent 10:30 (met);
    # customer 11:00 (cycle 2) -> agent 13:00 (2 h: breached); customer 14:00 (cycle 3).
    policy = simple()
    events = [
        created(utc(2, 9), "P2"),
        customer(utc(2, 9, 10)),  # before any agent reply: no cycle
        agent(utc(2, 9, 30)),
        customer(utc(2, 10)), agent(utc(2, 10, 30)),
        customer(utc(2, 11)), customer(utc(2, 11, 30)),  # a second message: same cycle
        agent(utc(2, 12), public=False),  # private notes do not answer the customer
        agent(utc(2, 13)),
        customer(utc(2, 14)), customer(utc(2, 14, 10)),
    ]
    first = evaluate(policy, events, utc(2, 10, 45))["next_response"]
    assert (first.state, first.elapsed, first.cycles, first.breached_cycles) == (
        "met", 30 * M, 1, 0)
    second = evaluate(policy, events, utc(2, 13))["next_response"]
    assert (second.state, second.elapsed, second.cycles, second.breached_cycles) == (
        "breached", 2 * H, 2, 1)
    assert second.started_at == utc(2, 11)
    assert second.breached_at == utc(2, 12, 0, 0, 1)
    report = evaluate(policy, events, utc(2, 14, 30))
    third = report["next_response"]
    assert (third.state, third.elapsed, third.cycles, third.breached_cycles) == (
        "running", 30 * M, 3, 1)
    assert third.due_at == utc(2, 15)
    assert report.next_check_at is not None
    late = evaluate(policy, events, utc(2, 15, 0, 0, 1))["next_response"]
    assert (late.state, late.cycles, late.breached_cycles) == ("breached", 3, 2)


def test_next_response_absent_until_a_cycle_opens() -> None:
    policy = simple()
    events = [created(utc(2, 9), "P2"), customer(utc(2, 9, 10))]
    assert "next_response" not in evaluate(policy, events, utc(2, 10))


def test_periodic_update_gaps_between_public_agent_updates() -> None:
    # periodic_update: 2 h. Public updates 09:30, 11:00 (gap 1.5 h: met); at 13:30 the running
    # gap is 2.5 h (breached at 13:00:00.000001); resolution at 14:00 cancels the open gap.
    policy = simple()
    events = [created(utc(2, 9), "P2"), agent(utc(2, 9, 30)), agent(utc(2, 11)),
              agent(utc(2, 12), public=False)]
    assert "periodic_update" not in evaluate(policy, events, utc(2, 9, 15))
    s = evaluate(policy, events, utc(2, 13, 30))["periodic_update"]
    assert (s.state, s.elapsed, s.started_at, s.cycles, s.breached_cycles) == (
        "breached", timedelta(hours=2, minutes=30), utc(2, 11), 2, 1)
    assert s.breached_at == utc(2, 13, 0, 0, 1)
    done = evaluate(policy, [*events, resolved(utc(2, 14))], utc(2, 15))["periodic_update"]
    assert done.state == "cancelled"
    assert done.stopped_at == utc(2, 14)


def test_warnings_and_next_check_at() -> None:
    # resolution 8 h from 09:00: 75 % at 15:00, 90 % at 16:12, breach at 17:00:00.000001
    policy = simple(targets={"resolution": {"P1": 8 * H}})
    events = [created(utc(2, 9), "P1")]
    r = evaluate(policy, events, utc(2, 14, 59, 59, 999_999))
    assert (r["resolution"].warnings, r.next_check_at) == ((), utc(2, 15))
    r = evaluate(policy, events, utc(2, 15))
    assert (r["resolution"].warnings, r.next_check_at) == ((0.75,), utc(2, 16, 12))
    r = evaluate(policy, events, utc(2, 16, 12))
    assert (r["resolution"].warnings, r.next_check_at) == ((0.75, 0.9), utc(2, 17, 0, 0, 1))
    r = evaluate(policy, events, utc(2, 17, 0, 0, 1))
    assert r["resolution"].state == "breached"
    assert r.next_check_at is None  # nothing further can change
    # custom thresholds; none at all
    r = evaluate(simple(targets={"resolution": {"P1": 8 * H}}, warn_at=(0.5,)), events,
                 utc(2, 13))
    assert (r["resolution"].warnings, r.next_check_at) == ((0.5,), utc(2, 17, 0, 0, 1))
    r = evaluate(simple(targets={"resolution": {"P1": 8 * H}}, warn_at=()), events, utc(2, 10))
    assert (r["resolution"].warnings, r.next_check_at) == ((), utc(2, 17, 0, 0, 1))


def test_next_check_at_is_none_when_every_clock_is_stopped() -> None:
    policy = simple()
    events = [created(utc(2, 9), "P2"), agent(utc(2, 10)), resolved(utc(2, 11))]
    report = evaluate(policy, events, utc(2, 12))
    assert states(report) == {"first_response": "met", "resolution": "met",
                              "periodic_update": "cancelled"}
    assert report.next_check_at is None


def _ladder(*scoped: str) -> Escalation:
    levels = [EscalationLevel(level=1, at=0.5, notify="agent"),
              EscalationLevel(level=2, at="breach", notify="cs_manager")]
    if scoped:
        levels.append(EscalationLevel(level=3, at="breach", notify="director",
                                      metrics=scoped))
    return Escalation(levels=levels)


def test_escalations_reached_levels_and_next() -> None:
    # resolution 8 h from 00:00: level 1 at 04:00, level 2 at 08:00:00.000001. The first
    # response (1 h) was answered at 00:20, before its 50 % (00:30): no level for it.
    policy = simple(targets={"first_response": {"P1": H}, "resolution": {"P1": 8 * H}},
                    escalation=_ladder())
    events = [created(utc(2, 0), "P1"), agent(utc(2, 0, 20))]
    r = evaluate(policy, events, utc(2, 3))
    esc = r.escalations()
    assert esc.reached == ()
    assert esc.next is not None
    assert (esc.next.level, esc.next.notify, esc.next.metric, esc.next.at, esc.next.trigger) == (
        1, "agent", "resolution", utc(2, 4), 0.5)
    r = evaluate(policy, events, utc(2, 5))
    esc = r.escalations()
    assert [(s.level, s.metric, s.at) for s in esc.reached] == [(1, "resolution", utc(2, 4))]
    assert esc.next is not None
    assert (esc.next.level, esc.next.at, esc.next.trigger) == (2, utc(2, 8, 0, 0, 1), "breach")
    # asked about a later instant, a running clock's levels are projected
    later = r.escalations(utc(2, 9))
    assert [(s.level, s.notify) for s in later.reached] == [(1, "agent"), (2, "cs_manager")]
    assert later.next is None
    assert later == evaluate(policy, events, utc(2, 9)).escalations()


def test_escalations_with_a_level_scoped_to_one_metric() -> None:
    """BUG (working tree): with a level scoped to some metrics, ``escalations()`` raises
    ``ValueError: zip() argument 2 is longer than argument 1`` for every metric out of its
    scope (the padded instants no longer match the filtered levels)."""
    policy = simple(targets={"first_response": {"P1": H}, "resolution": {"P1": 8 * H}},
                    escalation=_ladder("resolution"))
    events = [created(utc(2, 0), "P1")]
    esc = evaluate(policy, events, utc(2, 9)).escalations()
    assert [(s.level, s.metric, s.at) for s in esc.reached] == [
        (1, "first_response", utc(2, 0, 30)),
        (1, "resolution", utc(2, 4)),
        (2, "first_response", utc(2, 1, 0, 0, 1)),
        (2, "resolution", utc(2, 8, 0, 0, 1)),
        (3, "resolution", utc(2, 8, 0, 0, 1)),
    ]


def test_escalations_of_a_clock_stopped_while_paused_are_only_those_it_reached() -> None:
    """BUG: a clock stopped while paused reports escalation levels it never reached.

    resolution (8 h) runs 09:00-10:00, waits on the customer from 10:00 and is resolved at
    19:00 with 1 h elapsed: ``met``, far from 50 % (4 h) or the breach. ``escalations()`` still
    lists level 1 at 13:00 and level 2 (the breach!) at 17:00:00.000001: the levels are
    projected from the start of the last counting interval as if the clock had kept running
    through the pause, and the check "not after the stop" lets them through.
    """
    policy = simple(targets={"resolution": {"P1": 8 * H}}, escalation=_ladder())
    events = [created(utc(2, 9), "P1"), status(utc(2, 10), "pending_customer"),
              resolved(utc(2, 19))]
    report = evaluate(policy, events, utc(2, 20))
    s = report["resolution"]
    assert (s.state, s.elapsed) == ("met", H)
    assert report.escalations().reached == ()


def test_explain_mentions_events_and_clocks() -> None:
    policy = simple()
    events = [created(utc(2, 9), "P2"), agent(utc(2, 10)),
              status(utc(2, 11), "pending_customer"), status(utc(2, 12), "open")]
    text = evaluate(policy, events, utc(2, 13)).explain()
    assert "'simple'" in text
    assert "'T-1'" in text
    for needle in ("TicketCreated", "AgentReplied:public", "StatusChanged:pending_customer",
                   "first_response: started", "first_response: stopped", "resolution: started",
                   "paused", "resumed", "clocks:", "first_response: met",
                   "resolution: running", "next check:"):
        assert needle in text, needle
    lines = text.splitlines()
    # events in time order, before the clocks
    assert lines.index("events:") < lines.index("clocks:")
    assert next(line for line in lines if "TicketCreated" in line).strip().startswith(
        "2026-03-02T09:00:00+00:00")
    assert "elapsed 3h of 24h" in text


def test_duplicate_event_ids_count_once() -> None:
    policy = simple()
    c = created(utc(2, 9), "P2")
    customer_reply = customer(utc(2, 10, 30))
    events = [c, agent(utc(2, 10)), customer_reply, agent(utc(2, 11)), customer(utc(2, 12))]
    once = evaluate(policy, events, utc(2, 12, 30))
    twice = evaluate(policy, [*events, customer_reply, c, customer_reply.model_copy()],
                     utc(2, 12, 30))
    assert twice == once
    assert twice["next_response"].cycles == 2
    assert twice.explain() == once.explain()


def test_a_duplicate_after_now_does_not_hide_its_copy_before_now() -> None:
    """BUG: events after ``now`` are ignored, yet such an event still claims its id.

    The same reply id arrives twice, once corrected to a later time (after ``now``). The copy
    at 10:00 is the only one known at ``now`` = 11:00, so the first response was met; but when
    the later copy comes first in the input, the 10:00 copy is dropped as a duplicate and the
    clock is "running" (then breached). The answer at 11:00 depends on an event after 11:00
    (look-ahead) and on the input order.
    """
    policy = simple()
    c = created(utc(2, 9), "P2")
    reply = agent(utc(2, 10))
    corrected = reply.model_copy(update={"at": utc(3, 9)})
    known = evaluate(policy, [c, reply], utc(2, 11))
    assert known["first_response"].state == "met"
    assert evaluate(policy, [c, reply, corrected], utc(2, 11)) == known
    assert evaluate(policy, [c, corrected, reply], utc(2, 11)) == known


def test_out_of_order_events_are_ordered_by_time_stably() -> None:
    policy = simple()
    events = [created(utc(2, 9), "P2"), agent(utc(2, 9, 30)), customer(utc(2, 10)),
              agent(utc(2, 10, 30)), status(utc(2, 11), "pending_customer"),
              status(utc(2, 12), "open"), resolved(utc(2, 13))]
    in_order = evaluate(policy, events, utc(2, 14))
    assert evaluate(policy, list(reversed(events)), utc(2, 14)) == in_order
    assert evaluate(policy, events[3:] + events[:3], utc(2, 14)) == in_order
    # equal instants keep their input order: a reply and a resolution at the same instant
    same = utc(2, 10)
    base = [created(utc(2, 9), "P2")]
    reply_first = evaluate(policy, [*base, agent(same), resolved(same)], utc(2, 11))
    resolve_first = evaluate(policy, [*base, resolved(same), agent(same)], utc(2, 11))
    assert reply_first["first_response"].state == "met"
    assert resolve_first["first_response"].state == "cancelled"


def test_events_after_now_are_ignored() -> None:
    policy = simple()
    events = [created(utc(2, 9), "P2"), agent(utc(2, 12)), resolved(utc(2, 13))]
    report = evaluate(policy, events, utc(2, 11))
    assert states(report) == {"first_response": "running", "resolution": "running"}
    assert report["first_response"].elapsed == 2 * H
    assert report == evaluate(policy, events[:1], utc(2, 11))
    # an event exactly at now is included
    assert evaluate(policy, events, utc(2, 12))["first_response"].state == "met"
    # nothing known yet: an empty report
    early = evaluate(policy, events, utc(2, 8))
    assert len(early) == 0
    assert early.next_check_at is None


def test_a_custom_metric_starts_stops_and_cancels_on_its_selectors() -> None:
    metrics = [
        Metric(name="preliminary_solution", start_on="TicketCreated",
               stop_on="StageReached:solution_proposed", pausable=False),
        Metric(name="fix", start_on="StageReached:triaged",
               stop_on=("StageReached:fixed", "TicketResolved"),
               cancel_on=("TicketCancelled", "StageReached:abandoned")),
    ]
    policy = simple(targets={"preliminary_solution": {"P2": 2 * H}, "fix": {"P2": 3 * H}},
                    metrics=metrics)
    events = [created(utc(2, 9), "P2"), status(utc(2, 9, 30), "pending_customer"),
              stage(utc(2, 10), "triaged"), status(utc(2, 10, 30), "open"),
              stage(utc(2, 11, 30), "solution_proposed")]
    report = evaluate(policy, events, utc(2, 12))
    # not pausable: 09:00-11:30
    prelim = report["preliminary_solution"]
    assert (prelim.state, prelim.elapsed) == ("breached", timedelta(hours=2, minutes=30))
    # started while paused (10:00), counting from 10:30: 1.5 h by 12:00
    fix = report["fix"]
    assert (fix.state, fix.elapsed, fix.started_at) == (
        "running", timedelta(hours=1, minutes=30), utc(2, 10))
    assert fix.due_at == utc(2, 13, 30)
    assert set(report) == {"preliminary_solution", "fix"}  # built-ins have no targets here
    stopped = evaluate(policy, [*events, stage(utc(2, 13), "fixed")], utc(2, 14))["fix"]
    assert (stopped.state, stopped.elapsed) == ("met", timedelta(hours=2, minutes=30))
    gone = evaluate(policy, [*events, stage(utc(2, 13), "abandoned")], utc(2, 14))["fix"]
    assert (gone.state, gone.stopped_at) == ("cancelled", utc(2, 13))
    # a second "triaged" does not restart it
    again = evaluate(policy, [*events, stage(utc(2, 13), "fixed"), stage(utc(2, 14), "triaged")],
                     utc(2, 15))["fix"]
    assert (again.state, again.started_at) == ("met", utc(2, 10))


def test_a_metric_without_a_target_for_the_ticket_is_absent() -> None:
    policy = simple(targets={"first_response": {"P1": H}, "resolution": {"P1": 8 * H}})
    report = evaluate(policy, [created(utc(2, 9), "P2")], utc(2, 10))
    assert dict(report) == {}
    assert "resolution" not in report
    with pytest.raises(KeyError):
        report["resolution"]
    report = evaluate(policy, [created(utc(2, 9), "P1")], utc(2, 10))
    assert set(report) == {"first_response", "resolution"}
    assert len(report) == 2


def test_report_is_a_read_only_mapping() -> None:
    report = evaluate(simple(), [created(utc(2, 9), "P1")], utc(2, 10))
    assert report.ticket_id == "T-1"
    assert report.now == utc(2, 10)
    with pytest.raises(TypeError):
        report["resolution"] = report["resolution"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        report["resolution"].state = "met"  # type: ignore[misc]


def test_evaluate_many_equals_evaluate_ticket_by_ticket() -> None:
    policy = simple()
    by_ticket: dict[str, list[Event]] = {
        "A": [created(utc(2, 9), "P1", ticket="A"), agent(utc(2, 9, 30), ticket="A")],
        "B": [created(utc(2, 9), "P2", ticket="B"), status(utc(2, 10), "pending_customer",
                                                           ticket="B")],
        "C": [created(utc(2, 11), "P2", ticket="C"), cancelled(utc(2, 12), ticket="C")],
    }
    many = evaluate_many(policy, by_ticket, utc(2, 13))
    assert list(many) == ["A", "B", "C"]
    for ticket, events in by_ticket.items():
        assert many[ticket] == evaluate(policy, events, utc(2, 13))
        assert many[ticket].ticket_id == ticket


def test_evaluate_many_of_a_ticket_with_nothing_known_yet() -> None:
    """BUG (working tree): ``SlaReport.__eq__`` now compares ticket ids, and a ticket whose
    events are all after ``now`` (or that has none) gets its id from the mapping key in
    ``evaluate_many`` but ``""`` from ``evaluate``: the batch no longer equals the one-by-one
    evaluation ("batch[ticket_id] == evaluate(policy, events_by_ticket[ticket_id], now)")."""
    policy = simple()
    later: list[Event] = [created(utc(3, 9), "P1", ticket="LATER")]
    by_ticket: dict[str, list[Event]] = {"EMPTY": [], "LATER": later}
    many = evaluate_many(policy, by_ticket, utc(2, 13))
    assert many["EMPTY"] == evaluate(policy, [], utc(2, 13))
    assert many["LATER"] == evaluate(policy, later, utc(2, 13))


# == invalid inputs ===============================================================================


def test_naive_now_is_rejected() -> None:
    policy = simple()
    with pytest.raises(NaiveDatetimeError) as info:
        evaluate(policy, [created(utc(2, 9), "P1")], datetime(2026, 3, 2, 10))
    assert isinstance(info.value, ServiceKitError)
    with pytest.raises(NaiveDatetimeError):
        evaluate_many(policy, {"T-1": []}, datetime(2026, 3, 2, 10))
    with pytest.raises(InvalidInputError, match="now"):
        evaluate(policy, [], "2026-03-02T10:00:00+00:00")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "item",
    [PHONE, {"type": "TicketCreated", "ticket_id": PHONE}, 13800138000, None,
     created(utc(2, 9)).to_dict()],
)
def test_non_event_items_are_rejected_without_echoing_them(item: object) -> None:
    with pytest.raises(InvalidInputError) as info:
        evaluate(simple(), [created(utc(2, 9), "P1"), item], utc(2, 10))  # type: ignore[list-item]
    message = str(info.value)
    assert "events[1]" in message
    assert PHONE not in message
    with pytest.raises(InvalidInputError):
        evaluate_many(simple(), {"T-1": [item]}, utc(2, 10))  # type: ignore[list-item]


def test_a_policy_that_is_not_a_policy_is_rejected() -> None:
    with pytest.raises(InvalidInputError, match="SlaPolicy"):
        evaluate({"name": PHONE}, [], utc(2, 10))  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="SlaPolicy"):
        evaluate_many(None, {}, utc(2, 10))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"targets": {"resolutoin": {"P1": "4h"}}}, "unknown metric"),
        ({"targets": {"resolution": {"P1": "-4h"}}}, "non-negative"),
        ({"targets": {"resolution": {"P1": timedelta(hours=-1)}}}, "non-negative"),
        ({"targets": {"resolution": {"P1": PHONE}}}, "duration"),
        ({"warn_at": (0.9, 0.75)}, "warn_at"),
        ({"warn_at": (0.75, 0.75)}, "warn_at"),
        ({"warn_at": (0.5, 1.0)}, "warn_at"),
        ({"warn_at": (0.0,)}, "warn_at"),
        ({"metric_calendars": {"nonesuch": ALWAYS}}, "unknown metric"),
        ({"public_commitments": {"resolution"}}, "remedy_table"),
        ({"escalation": {"levels": [{"level": 1, "at": 0.5, "notify": "agent",
                                     "metrics": ["nonesuch"]}]}}, "unknown metric"),
        ({"escalation": {"levels": [{"level": 2, "at": 0.5, "notify": "a"},
                                    {"level": 1, "at": "breach", "notify": "b"}]}}, "increasing"),
        ({"escalation": {"levels": [{"level": 1, "at": 1.5, "notify": "a"}]}}, "fraction"),
        ({"name": ""}, "name"),
        ({"calendar": {"tz": PHONE, "hours": "09:00-18:00"}}, "calendar"),
        ({"metrics": [{"name": "x", "start_on": "TicketCreated", "stop_on": "TicketResolved"},
                      {"name": "x", "start_on": "TicketCreated",
                       "stop_on": "TicketClosed"}]}, "share a name"),
    ],
)
def test_bad_policy_fields_raise_policy_errors_without_echoing_values(
    fields: dict[str, Any], where: str
) -> None:
    base: dict[str, Any] = {"name": "p", "calendar": ALWAYS}
    with pytest.raises(PolicyError) as info:
        SlaPolicy(**{**base, **fields})
    message = str(info.value)
    assert where in message
    assert PHONE not in message
    assert isinstance(info.value, ServiceKitError)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"start_on": f"TicketCreatd{PHONE}"}, "unknown event type"),
        ({"start_on": f"TicketCreated:{PHONE}"}, "takes no qualifier"),
        ({"stop_on": f"AgentReplied:{PHONE}"}, ":public or :private"),
        ({"cancel_on": ("TicketCancelled", f"Nope:{PHONE}")}, "unknown event type"),
        ({"name": "first_response"}, "built-in"),
        ({"name": f"{PHONE} x"}, "identifier"),
    ],
)
def test_bad_metric_selectors_raise_policy_errors_without_echoing_them(
    fields: dict[str, Any], where: str
) -> None:
    base: dict[str, Any] = {"name": "m", "start_on": "TicketCreated", "stop_on": "TicketResolved"}
    with pytest.raises(PolicyError) as info:
        Metric(**{**base, **fields})
    assert where in str(info.value)
    assert PHONE not in str(info.value)


def test_policies_are_immutable() -> None:
    policy = simple()
    with pytest.raises(PolicyError, match="immutable") as info:
        policy.name = PHONE  # type: ignore[misc]
    assert PHONE not in str(info.value)


# == serialisation ================================================================================


def test_sla_policy_json_round_trip_with_text_durations() -> None:
    policy = SlaPolicy(
        name="standard",
        calendar=BusinessCalendar.china(hours="09:00-12:00,13:00-18:00"),
        metric_calendars={"first_response": BusinessCalendar.always(tz="Asia/Shanghai")},
        targets={"first_response": {"P1": "1h", "P2": "4h"},
                 "resolution": {"P1": "8h", "P2": "1h30m"},
                 "preliminary_solution": {"P1": "PT4H"}},
        warn_at=(0.5, 0.75),
        metrics=[Metric(name="preliminary_solution", start_on="TicketCreated",
                        stop_on="StageReached:solution_proposed", pausable=False)],
        escalation=_ladder(),
    )
    assert policy.targets["resolution"] == {"P1": 8 * H, "P2": timedelta(hours=1, minutes=30)}
    assert policy.targets["preliminary_solution"] == {"P1": 4 * H}
    data = json.loads(policy.model_dump_json())
    assert data["targets"]["resolution"]["P1"] == "8h"
    again = SlaPolicy.model_validate_json(policy.model_dump_json())
    assert again == policy
    assert SlaPolicy.model_validate(data) == policy
    events = [created(sh(3, 2, 10), "P1"), agent(sh(3, 2, 10, 30))]
    assert evaluate(again, events, sh(3, 2, 15)) == evaluate(policy, events, sh(3, 2, 15))


def test_sla_policy_inside_a_policy_document() -> None:
    sla = simple(targets={"resolution": {"P1": "8h"}}, escalation=_ladder())
    doc = Policy(version="2026.1", sla={"simple": sla})
    for text, load in ((doc.to_json(), Policy.from_json), (doc.to_yaml(), Policy.from_yaml)):
        back = load(text)
        assert back == doc
        assert back.sla["simple"] == sla
    toml = """
version = "1"
[sla.standard]
name = "standard"
calendar = { tz = "UTC", hours = "09:00-17:00" }
targets = { resolution = { P1 = "4h" } }
warn_at = [0.5]
"""
    loaded = Policy.from_toml(toml).sla["standard"]
    assert loaded.targets == {"resolution": {"P1": 4 * H}}
    report = evaluate(loaded, [created(utc(2, 9), "P1")], utc(2, 11))
    assert (report["resolution"].warnings, report["resolution"].due_at) == ((0.5,), utc(2, 13))


def test_invalid_sla_inside_a_policy_document_names_the_place() -> None:
    text = json.dumps({"version": "1", "sla": {"s": {
        "name": "s", "calendar": {"tz": "UTC", "hours": "09:00-17:00"},
        "targets": {"resolution": {"P1": PHONE}}, "warn_at": [0.9, 0.1]}}})
    with pytest.raises(PolicyError) as info:
        Policy.from_json(text)
    assert len(info.value.problems) == 2
    assert "sla.s.targets" in str(info.value)
    assert "sla.s.warn_at" in str(info.value)
    assert PHONE not in str(info.value)


def test_handbook_policy_round_trip_evaluates_the_same(hb: SlaPolicy) -> None:
    doc = handbook.policy()
    back = Policy.from_json(doc.to_json())
    assert back == doc
    events = [created(sh(9, 30, 16, 30), "P2", channel="email", category="complaint"),
              agent(sh(10, 8, 10)), customer(sh(10, 8, 11))]
    now = sh(10, 9, 12)
    assert evaluate(back.sla["handbook"], events, now) == evaluate(hb, events, now)


def _iso(values: Iterable[datetime]) -> list[str]:
    return [v.isoformat() for v in values]


def test_statuses_report_instants_in_the_calendar_zone(hb: SlaPolicy) -> None:
    events = [created(datetime(2026, 3, 2, 1, tzinfo=UTC), "P3", channel="email",
                      category="complaint")]
    s = evaluate(hb, events, datetime(2026, 3, 2, 2, tzinfo=UTC))["business_response"]
    assert s.started_at is not None
    assert s.due_at is not None
    assert _iso([s.started_at, s.due_at]) == ["2026-03-02T09:00:00+08:00",
                                              "2026-03-02T14:00:00+08:00"]
    assert s.due_at.date() == date(2026, 3, 2)


def test_handbook_in_late_december_answers_provisionally_s04() -> None:
    """S-04 across the end of the announced schedule: a P1 complaint on 2026-12-28 has its 48 h
    resolution due in 2027, a year chinesecalendar does not cover yet. The handbook preset
    answers with the statutory fallback and flags the report as provisional, instead of
    failing (a nightly job over all open tickets must not stop in late December)."""
    shanghai = ZoneInfo("Asia/Shanghai")
    policy = handbook.sla_policy()
    opened = datetime(2026, 12, 28, 10, 0, tzinfo=shanghai)
    events = [TicketCreated(ticket_id="X", at=opened, priority="P1", category="complaint",
                            channel="email")]
    report = evaluate(policy, events, opened + timedelta(hours=1))
    assert report["resolution"].due_at is not None
    assert report["resolution"].due_at.year == 2027
    assert report.provisional is True
    covered = evaluate(policy, [e.model_copy(update={"at": datetime(2026, 10, 8, 10, 0,
                                                                     tzinfo=shanghai)})
                                for e in events],
                       datetime(2026, 10, 8, 11, 0, tzinfo=shanghai))
    assert covered.provisional is False
    strict = policy.model_copy(update={"calendar": BusinessCalendar.china(
        hours="09:00-12:00,13:00-18:00")})
    with pytest.raises(CalendarCoverageError):
        evaluate(strict, events, opened + timedelta(hours=1))
