"""One worked example per rule id of the complaint capability (issue 11), named after it.

S-01 (acknowledged within 4 business hours), S-02 (a preliminary solution within 24 business
hours), M-05 (a second return visit below 80 %), K-01 (feedback routed to the complaint
process), K-02 (the priority table), K-03 (severity bands, automatic escalation), K-04
(channels), K-06 (the remedies), P-03 (the receipt's required record), P-04 (the effectiveness
check closes the loop) and P-08 (who, when and why on every event). K-05 (the service phase:
pre-sale, in-sale, after-sale) is not part of the complaint yet: a host records it in
``fields`` (tested under K-04), nothing applies it, so it has no example here.

Every instant is in Shanghai on the handbook's China calendar: 09:00-12:00 and 13:00-18:00 on
working days; in 2026 National Day is 1-7 October, Sunday 20 September and Saturday 10 October
are make-up working days. The expected instants are worked out by hand in the comments, so a
wrong calendar or clock fails here, not only disagrees with itself.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from complaint_world import (
    AGENT,
    CAUSE,
    CONTENT,
    CUSTOMER,
    CUSTOMER_ID,
    LEAD,
    SPECIALIST,
    SYSTEM,
    US,
    H,
    M,
    acknowledged,
    analysed,
    bad,
    closed,
    handling,
    private_free,
    received,
    refused,
    sh,
)

from servicekit.complaint_policy import K04_CHANNELS
from servicekit.complaints import (
    Complaint,
    ComplaintEscalated,
    ComplaintLoopClosed,
    ComplaintRemedy,
    FeedbackRecorded,
    RemedyOwed,
    ReturnVisit,
    ReturnVisitRecorded,
    default_complaint_policy,
    default_complaint_process,
)
from servicekit.errors import InvalidInputError, NaiveDatetimeError, TransitionRejected
from servicekit.events import CaseStarted, ComplaintAnalysed, StatusChanged
from servicekit.presets import handbook
from servicekit.sla import evaluate

HB = handbook.sla_policy()


def owed_events(c: Complaint) -> list[RemedyOwed]:
    return [e for e in c.history if isinstance(e, RemedyOwed)]


def through_analysis(c: Complaint, at: object, severity: int = 3, scope: str = "group",
                     urgency: str = "medium") -> Complaint:
    return c.analyse(nature="billing", severity=severity, scope=scope, urgency=urgency,
                     at=at, by=SPECIALIST)  # type: ignore[arg-type]


# -- S-01: the first response within 4 business hours -------------------------------------------


def test_s01_acknowledged_within_4_business_hours_is_met() -> None:
    """S-01: received Monday 12 October 10:30; the 4 business hours are 10:30-12:00 (1.5 h)
    and 13:00-15:30 (2.5 h): due 15:30. Acknowledged at 15:30 exactly: met, nothing owed."""
    c = received(at=sh(10, 12, 10, 30))
    s = evaluate(HB, c.history, sh(10, 12, 10, 30))["complaint_acknowledged"]
    assert (s.state, s.target, s.due_at) == ("running", 4 * H, sh(10, 12, 15, 30))
    c = c.acknowledge(at=sh(10, 12, 15, 30), by=AGENT)
    assert c.stage == "acknowledged"
    assert c.acknowledged_at == sh(10, 12, 15, 30)
    assert c.owed_metrics == ()
    assert c.remedies_owed == ()
    assert not owed_events(c)
    s = c.clocks(sh(10, 20))["complaint_acknowledged"]
    assert (s.state, s.elapsed) == ("met", 4 * H)


def test_s01_acknowledged_one_microsecond_late_is_breached_and_owes_an_apology() -> None:
    """S-01: the same complaint acknowledged at 15:30 and 1 µs: breached at 15:30 + 1 µs,
    and the system records the remedy owed (K-06: an apology for any missed commitment)."""
    c = received(at=sh(10, 12, 10, 30)).acknowledge(at=sh(10, 12, 15, 30) + US, by=AGENT)
    (owed,) = owed_events(c)
    assert c.history[-1] is owed  # right after the late acknowledgement
    assert (owed.metric, owed.rule, owed.remedies, owed.decided_by) == (
        "complaint_acknowledged", "S-01", ("apology",), ("K-06:apology",))
    assert owed.breached_at == sh(10, 12, 15, 30) + US
    assert (owed.by, owed.roles, owed.at) == ("system", frozenset({"system"}),
                                              sh(10, 12, 15, 30) + US)
    assert c.owed_metrics == ("complaint_acknowledged",)
    assert c.remedies_owed == (ComplaintRemedy("apology", "owed", owed.at, "S-01",
                                               "complaint_acknowledged", "K-06:apology"),)
    assert c.clocks(c.updated_at)["complaint_acknowledged"].state == "breached"


def test_s01_across_national_day_is_due_on_8_october() -> None:
    """S-01 across the holiday: received Wednesday 30 September 16:30. 16:30-18:00 is 1.5 h;
    1-7 October are holidays; Thursday 8 October 09:00-11:30 gives the other 2.5 h: due
    8 October 11:30. Acknowledged at 11:00 (3.5 h): met; at 12:00 (4.5 h): breached at 11:30."""
    c = received(at=sh(9, 30, 16, 30))
    assert c.clocks(c.received_at)["complaint_acknowledged"].due_at == sh(10, 8, 11, 30)
    on_time = c.acknowledge(at=sh(10, 8, 11), by=AGENT)
    assert on_time.owed_metrics == ()
    assert on_time.clocks(on_time.updated_at)["complaint_acknowledged"].elapsed == 3.5 * H
    late = c.acknowledge(at=sh(10, 8, 12), by=AGENT)
    (owed,) = owed_events(late)
    assert (owed.rule, owed.breached_at, owed.at, owed.remedies) == (
        "S-01", sh(10, 8, 11, 30) + US, sh(10, 8, 12), ("apology",))
    assert late.clocks(late.updated_at)["complaint_acknowledged"].elapsed == 4.5 * H


def test_s01_counts_the_make_up_sunday_of_20_september() -> None:
    """S-01 over a make-up working day: received Friday 18 September 17:00 (1 h that day);
    Saturday 19 is off, but Sunday 20 September is a working day: 09:00-12:00 gives the other
    3 h, due Sunday 12:00. The clock stands still over lunch, so the breach is at 13:00 + 1 µs;
    an acknowledgement on Monday morning is late."""
    c = received(at=sh(9, 18, 17))
    assert c.clocks(c.received_at)["complaint_acknowledged"].due_at == sh(9, 20, 12)
    assert c.acknowledge(at=sh(9, 20, 11), by=AGENT).owed_metrics == ()
    assert c.acknowledge(at=sh(9, 20, 12, 59), by=AGENT).owed_metrics == ()  # lunch: 4 h
    late = c.acknowledge(at=sh(9, 21, 9), by=AGENT)
    (owed,) = owed_events(late)
    assert (owed.rule, owed.breached_at) == ("S-01", sh(9, 20, 13) + US)


def test_s01_a_clock_that_runs_out_without_a_command_is_owed_at_its_breach() -> None:
    """S-01 with no command: ``apply_timeouts`` records the remedy owed by the system at the
    breach (8 October 11:30 + 1 µs), not at the check. Before the breach nothing is owed."""
    c = received(at=sh(9, 30, 16, 30))
    assert c.apply_timeouts(sh(10, 8, 11, 30)) is c  # due, not yet past due
    late = c.apply_timeouts(sh(10, 8, 14))
    (owed,) = owed_events(late)
    assert (owed.metric, owed.at, owed.breached_at, owed.by) == (
        "complaint_acknowledged", sh(10, 8, 11, 30) + US, sh(10, 8, 11, 30) + US, "system")
    assert late.stage == "received"
    assert late.apply_timeouts(sh(10, 8, 15)) is late  # owed once
    # and the acknowledgement that comes later owes nothing more for S-01
    assert late.acknowledge(at=sh(10, 8, 15), by=AGENT).owed_metrics == (
        "complaint_acknowledged",)


def test_s01_s02_a_late_check_owes_what_a_timely_one_would_have() -> None:
    """S-01 and S-02 run out unanswered: received 30 September 16:30, S-01 breached
    8 October 11:30 + 1 µs, S-02 10 October 16:30 + 1 µs. Whether the host's scheduler looks
    once, on 12 October, or also in between, the same remedies are owed, each decided at its
    own breach (K-06): the first breach an apology, the second (a repeated breach) an apology
    and a service improvement."""
    c = received(at=sh(9, 30, 16, 30))
    once = c.apply_timeouts(sh(10, 12, 9))
    twice = c.apply_timeouts(sh(10, 8, 12)).apply_timeouts(sh(10, 12, 9))
    for later in (once, twice):
        first, second = owed_events(later)
        assert (first.rule, first.at, first.remedies, first.decided_by) == (
            "S-01", sh(10, 8, 11, 30) + US, ("apology",), ("K-06:apology",))
        assert (second.rule, second.at, second.remedies, second.decided_by) == (
            "S-02", sh(10, 10, 16, 30) + US, ("apology", "service_improvement"),
            ("K-06:apology", "K-06:service-improvement"))
    assert [(r.remedy, r.rule, r.at) for r in once.remedies_owed] == [
        (r.remedy, r.rule, r.at) for r in twice.remedies_owed]


# -- S-02: the preliminary solution within 24 business hours ------------------------------------


def test_s02_preliminary_solution_across_national_day_is_due_on_the_make_up_saturday() -> None:
    """S-02: received 30 September 16:30. 24 business hours: 1.5 h on the 30th; 1-7 October
    off; Thursday 8 and Friday 9 October, 8 h each (17.5 h); Saturday 10 October is a make-up
    working day: 09:00-12:00 (20.5 h) and 13:00-16:30 (24 h): due 10 October 16:30. A proposal
    at 16:30 that Saturday is met."""
    c = received(at=sh(9, 30, 16, 30)).acknowledge(at=sh(9, 30, 17), by=AGENT)
    assert c.clocks(c.updated_at)["complaint_solution_proposed"].due_at == sh(10, 10, 16, 30)
    c = through_analysis(c, sh(10, 8, 10))
    c = c.propose_solution(remedies=["apology"], summary="refund", at=sh(10, 10, 16, 30),
                           by=SPECIALIST)
    assert c.stage == "solution_proposed"
    assert c.solution_proposed_at == sh(10, 10, 16, 30)
    assert c.owed_metrics == ()
    s = c.clocks(c.updated_at)["complaint_solution_proposed"]
    assert (s.state, s.elapsed) == ("met", 24 * H)


def test_s02_late_for_a_major_complaint_owes_an_apology_and_compensation() -> None:
    """S-02 late: the same complaint, analysed on 8 October as severe and urgent (P1, major:
    K-02), gets its preliminary solution on Monday 12 October 10:00, past 10 October 16:30.
    The SLA policy's remedy table (K-06) owes an apology and, for a major problem,
    compensation; the rule ids that decided are recorded."""
    c = received(at=sh(9, 30, 16, 30)).acknowledge(at=sh(9, 30, 17), by=AGENT)
    c = through_analysis(c, sh(10, 8, 10), severity=5, scope="single_customer", urgency="high")
    assert (c.priority, c.major) == ("P1", True)
    c = c.propose_solution(remedies=["apology", "compensation"], summary="refund and voucher",
                           at=sh(10, 12, 10), by=SPECIALIST)
    (owed,) = owed_events(c)
    assert (owed.metric, owed.rule, owed.remedies, owed.decided_by) == (
        "complaint_solution_proposed", "S-02", ("apology", "compensation"),
        ("K-06:apology", "K-06:compensation"))
    assert (owed.breached_at, owed.at) == (sh(10, 10, 16, 30) + US, sh(10, 12, 10))
    assert [(r.remedy, r.rule, r.decided_by) for r in c.remedies_owed] == [
        ("apology", "S-02", "K-06:apology"), ("compensation", "S-02", "K-06:compensation")]
    # the proposed remedies are kept apart from the owed ones
    assert [(r.remedy, r.source) for r in c.remedies if r.source == "proposed"] == [
        ("apology", "proposed"), ("compensation", "proposed")]
    # what the complaint recorded is what the SLA engine says the missed commitment owes
    (remedy,) = c.clocks(c.updated_at).remedies()
    assert remedy.metric == "complaint_solution_proposed"
    assert tuple(r["remedy"] for r in remedy.remedies) == owed.remedies
    assert remedy.decision.rule_ids == owed.decided_by


def test_s02_late_for_an_a_tier_customer_owes_compensation_whatever_the_priority() -> None:
    """S-02 late for an A-tier customer (R-07): compensation even for a P4 complaint (minor,
    single customer, low urgency); for a B-tier one, only the apology."""
    for tier, remedies in (("A", ("apology", "compensation")), ("B", ("apology",))):
        c = received(at=sh(10, 12), customer_tier=tier).acknowledge(at=sh(10, 12, 10),
                                                                     by=AGENT)
        c = through_analysis(c, sh(10, 12, 11), severity=1, scope="single_customer",
                             urgency="low")
        assert c.priority == "P4"
        # due Thursday 15 October 09:00 + 0: Mon, Tue, Wed are 8 h each, so 24 h run out at
        # Wednesday 14 October 18:00 (the end of an open interval)
        assert c.clocks(c.updated_at)["complaint_solution_proposed"].due_at == sh(10, 14, 18)
        c = c.propose_solution(remedies=["apology"], summary="sorry", at=sh(10, 15, 9, 1),
                               by=SPECIALIST)
        (owed,) = owed_events(c)
        assert owed.remedies == remedies, tier
        assert owed.breached_at == sh(10, 15, 9) + US  # the first business instant after


def test_s01_and_s02_both_missed_the_repeated_breach_owes_a_service_improvement() -> None:
    """S-01 and S-02 both missed (K-06: a repeated breach, ``repeat_breaches >= 2``, owes a
    service improvement): received Monday 12 October 09:00, acknowledged the next morning
    (S-01 due Monday 14:00: 09:00-12:00 and 13:00-14:00) and the solution proposed on Thursday
    10:00 (S-02 due Wednesday 18:00, 8 h on each of three days, so breached at the next
    business instant, Thursday 09:00 + 1 µs). The first breach owes an apology; the second,
    an apology and an improvement."""
    c = received(at=sh(10, 12)).acknowledge(at=sh(10, 13, 9), by=AGENT)
    c = through_analysis(c, sh(10, 13, 10))
    c = c.propose_solution(remedies=["apology"], summary="sorry", at=sh(10, 15, 10),
                           by=SPECIALIST)
    first, second = owed_events(c)
    assert (first.rule, first.breached_at, first.remedies) == (
        "S-01", sh(10, 12, 14) + US, ("apology",))
    assert (second.rule, second.breached_at, second.remedies, second.decided_by) == (
        "S-02", sh(10, 15, 9) + US, ("apology", "service_improvement"),
        ("K-06:apology", "K-06:service-improvement"))
    assert c.owed_metrics == ("complaint_acknowledged", "complaint_solution_proposed")


# -- M-05: a second return visit below 80 % ------------------------------------------------------


def test_m05_satisfaction_below_80_percent_schedules_a_second_visit_on_the_calendar() -> None:
    """M-05: feedback of 0.79 on Wednesday 30 September 16:30 schedules a second return visit
    due 24 business hours later on the China calendar, the same sum as S-02's across the
    holiday: 10 October 16:30 (the make-up Saturday). The complaint cannot close while the
    visit is due; the visit finding the customer satisfied lets it close."""
    c = received(at=sh(9, 29)).acknowledge(at=sh(9, 29, 10), by=AGENT)
    c = through_analysis(c, sh(9, 29, 11))
    c = c.propose_solution(remedies=["apology"], summary="refund", at=sh(9, 29, 14),
                           by=SPECIALIST)
    c = c.handle(actions="refunded", at=sh(9, 30, 10), by=SPECIALIST)
    c = c.feedback(satisfaction=0.79, comment="slow", at=sh(9, 30, 16, 30), by=AGENT)
    fed = c.history[-1]
    assert isinstance(fed, FeedbackRecorded)
    assert (fed.satisfaction, fed.satisfied, fed.second_visit_due_at) == (
        0.79, False, sh(10, 10, 16, 30))
    assert (c.stage, c.satisfaction, c.satisfied) == ("awaiting_feedback", 0.79, False)
    assert c.return_visits == (
        ReturnVisit("second_visit", "M-05", sh(10, 10, 16, 30), "scheduled"),)
    assert c.pending_visits == c.return_visits
    error = refused(c, lambda c: c.close(at=sh(10, 8), by=SPECIALIST), TransitionRejected)
    assert "M-05" in str(error)
    c = c.record_return_visit(outcome="satisfied", satisfaction=0.85, at=sh(10, 9, 10),
                              by=AGENT)
    assert c.return_visits[0] == ReturnVisit("second_visit", "M-05", sh(10, 10, 16, 30), "done",
                                             "satisfied", 0.85, 1, sh(10, 9, 10))
    assert (c.satisfied, c.satisfaction) == (True, 0.85)
    # the satisfied result schedules the effectiveness check (P-04), nothing else is due
    assert [v.kind for v in c.pending_visits] == ["effectiveness_check"]
    c = c.close(at=sh(10, 9, 11), by=SPECIALIST)
    assert c.stage == "closed"


def test_m05_satisfaction_of_exactly_80_percent_is_satisfied() -> None:
    """M-05: 0.8 is not below the threshold: satisfied, no visit, the complaint may close."""
    c = handling().feedback(satisfaction=0.8, at=handling().updated_at + H, by=AGENT)
    assert c.satisfied is True
    assert [v.kind for v in c.return_visits] == ["effectiveness_check"]  # P-04, no M-05
    assert c.close(at=c.updated_at + M, by=SPECIALIST).stage == "closed"
    assert default_complaint_policy().second_visit_below == 0.8


def test_m05_an_unsatisfied_second_visit_keeps_the_complaint_open() -> None:
    """M-05: a second visit that finds the customer unsatisfied (0.5) does not allow the
    close; the complaint goes back to handling by a reopen."""
    c = handling()
    c = c.feedback(satisfaction=0.6, at=c.updated_at + H, by=AGENT)
    c = c.record_return_visit(outcome="unsatisfied", satisfaction=0.5, at=c.updated_at + H,
                              by=AGENT)
    assert (c.satisfied, c.satisfaction, c.pending_visits) == (False, 0.5, ())
    refused(c, lambda c: c.close(at=c.updated_at + H, by=SPECIALIST), TransitionRejected)
    assert c.reopen(at=c.updated_at + H).stage == "handling"


# -- K-01: feedback routing ----------------------------------------------------------------------


def test_k01_a_complaint_is_routed_to_the_complaint_process() -> None:
    """K-01: the feedback routing table sends the category ``complaint`` (投诉) to the process
    ``complaint``, with progress updates (P-04); that is the process a Complaint runs on, the
    one in the handbook's policy document."""
    decision = handbook.feedback_routing_table().decide({"category": "complaint"})
    assert decision.rule_id == "K-01:complaint"
    assert decision.value["process"] == "complaint"
    assert decision.value["progress_updates"] is True
    routed = handbook.policy().processes[decision.value["process"]]
    assert routed == default_complaint_process()
    c = received()
    assert c.process.name == decision.value["process"]
    start = c.history[0]
    assert isinstance(start, CaseStarted)
    assert start.process == "complaint"
    # a grievance (抱怨) goes to the feedback loop, not here
    assert handbook.feedback_routing_table().decide(
        {"category": "grievance"}).value["process"] == "feedback_loop"


# -- K-02: the priority table ---------------------------------------------------------------------


@pytest.mark.parametrize("cell", [
    # impact high (severe, 5-6) x urgency high
    (5, "single_customer", "high", "P1", True, "K-02:high-impact-high-urgency"),
    # impact high (widespread) x urgency medium
    (1, "widespread", "medium", "P2", True, "K-02:high-impact-medium-urgency"),
    # impact medium (a group) x urgency high
    (2, "group", "high", "P2", True, "K-02:medium-impact-high-urgency"),
    # impact high x urgency low
    (6, "group", "low", "P3", False, "K-02:high-impact-low-urgency"),
    # impact medium (3-4) x urgency medium
    (3, "single_customer", "medium", "P3", False, "K-02:medium-impact-medium-urgency"),
    # impact low x urgency high
    (2, "single_customer", "high", "P3", False, "K-02:low-impact-high-urgency"),
    # impact medium x urgency low, and impact low x low: the table's default
    (4, "group", "low", "P4", False, None),
    (1, "single_customer", "low", "P4", False, None),
])
def test_k02_priority_from_the_impact_urgency_matrix(
        cell: tuple[int, str, str, str, bool, str | None]) -> None:
    """K-02: the priority of the analysis comes from the handbook's table (impact from the
    K-03 severity and the scope, by the urgency), with the id of the rule that decided.
    A cell is (severity, scope, urgency) -> (priority, major, rule)."""
    severity, scope, urgency, priority, major, rule = cell
    c = analysed(severity=severity, scope=scope, urgency=urgency)
    assert (c.priority, c.major, c.priority_rule) == (priority, major, rule)
    (ev,) = [e for e in c.history if isinstance(e, ComplaintAnalysed)]
    assert (ev.severity, ev.scope, ev.urgency, ev.priority, ev.major, ev.priority_rule) == (
        severity, scope, urgency, priority, major, rule)


# -- K-03: severity bands and the automatic escalation -------------------------------------------


@pytest.mark.parametrize(("severity", "band"), [
    (1, "minor"), (2, "minor"), (3, "medium"), (4, "medium"), (5, "severe"), (6, "severe")])
def test_k03_severity_bands(severity: int, band: str) -> None:
    """K-03: minor 1-2, medium 3-4, severe 5-6; only a severe complaint escalates, by the
    system, to level 2 (the CS manager, S-11), with the reason recorded."""
    c = analysed(severity=severity)
    assert c.severity_band == band
    escalations = [e for e in c.history if isinstance(e, ComplaintEscalated)]
    if band != "severe":
        assert (escalations, c.escalation_level) == ([], 0)
        return
    (ev,) = escalations
    assert c.history[-1] is ev  # right after the analysis, at its instant
    assert (ev.level, ev.by, ev.roles, ev.at) == (2, "system", frozenset({"system"}),
                                                  c.history[-2].at)
    assert ev.reason is not None
    assert "K-03" in ev.reason
    assert "severe" in ev.reason
    assert c.escalation_level == 2


def test_k03_a_complaint_already_escalated_higher_is_not_escalated_again() -> None:
    """K-03: a lead escalated the complaint to level 3 before the analysis; a severe analysis
    leaves it there (an escalation only goes up)."""
    c = acknowledged().escalate(level=3, at=acknowledged().updated_at + M, by=LEAD,
                                reason="the customer called the CEO")
    c = through_analysis(c, c.updated_at + H, severity=6)
    assert c.escalation_level == 3
    assert sum(isinstance(e, ComplaintEscalated) for e in c.history) == 1


def test_k03_severity_outside_the_scale_is_refused() -> None:
    """K-03: the scale is 1-6 (the policy's bands); 0, 7, a bool and a float are refused."""
    c = acknowledged()
    for severity in (0, 7, True, 5.0):
        refused(c, lambda c, s=severity: through_analysis(c, c.updated_at + H, bad(s)),
                InvalidInputError)


# -- K-04: channels, K-05: the service phase -------------------------------------------------------


@pytest.mark.parametrize("channel", K04_CHANNELS)
def test_k04_every_handbook_channel_is_accepted_and_recorded(channel: str) -> None:
    """K-04: phone (and its IVR), online chat, e-mail, SMS, social media, web form, app,
    mini-program, service outlet, suggestion box, third-party review sites: recorded on the
    receipt and kept by replay."""
    c = received(channel=channel)
    assert c.channel == channel
    start = c.history[0]
    assert isinstance(start, CaseStarted)
    assert start.fields["channel"] == channel
    assert Complaint.replay(c.history).channel == channel


def test_k04_a_channel_outside_the_policy_is_refused_unless_the_policy_lists_none() -> None:
    """K-04: the policy's channels are the handbook's list; a channel outside it is refused
    by name (never repeated); a policy with no list (``channels=()``) accepts any text."""
    assert default_complaint_policy().channels == K04_CHANNELS
    for channel in ("carrier pigeon 13912345678", "", "  ", None, 7):
        with pytest.raises(InvalidInputError, match="channel") as caught:
            received(channel=bad(channel))
        private_free(caught.value)
        assert "13912345678" not in str(caught.value)
    anything = handbook.complaint_policy().model_copy(update={"channels": ()})
    for channel in ("意见箱", "carrier pigeon", "WeChat official account"):
        assert received(channel=channel, policy=anything).channel == channel
    with pytest.raises(InvalidInputError, match="channel"):
        received(channel="  ", policy=anything)


@pytest.mark.parametrize("phase", ["pre_sale", "in_sale", "after_sale", None])
def test_k05_the_service_phase_is_recorded(phase: str | None) -> None:
    """K-05: pre-sale, in-sale, after-sale (or none given), recorded on the receipt beside
    the host's own fields and kept by replay; another phase is refused."""
    c = received(phase=phase, fields={"order": "A-17"})
    assert c.phase == phase
    start = c.history[0]
    assert isinstance(start, CaseStarted)
    assert start.fields.get("phase") == phase
    assert c.fields == {"order": "A-17"}
    assert Complaint.replay(c.history) == c
    for other in ("after sale", "", 3):
        with pytest.raises(InvalidInputError, match="phase"):
            received(phase=bad(other))


# -- K-06: remedies -------------------------------------------------------------------------------


def test_k06_proposed_remedies_come_from_the_remedy_table() -> None:
    """K-06: the remedies a solution may offer are the names the SLA policy's remedy table
    can owe (apology, compensation, service improvement); a repeated name is kept once."""
    offered = default_complaint_policy().offered_remedies
    table = handbook.remedy_table()
    assert offered == tuple(r.then["remedy"] for r in table.rules) == (
        "apology", "compensation", "service_improvement")
    c = analysed().propose_solution(
        remedies=["service_improvement", "apology", "apology"], summary="fix the billing job",
        at=analysed().updated_at + H, by=SPECIALIST)
    assert [(r.remedy, r.source) for r in c.remedies] == [
        ("service_improvement", "proposed"), ("apology", "proposed")]
    assert c.history[-1].remedies == ("service_improvement", "apology")  # type: ignore[attr-defined]


def test_k06_an_unknown_remedy_is_refused_by_its_place_not_its_value() -> None:
    """K-06: a remedy the table does not name (``refund 13912345678``) is refused; the message
    names its place (``remedies[1]``) and the policy's remedies, never the value."""
    c = analysed()
    at = c.updated_at + H
    error = refused(c, lambda c: c.propose_solution(
        remedies=["apology", "refund 13912345678"], summary="x", at=at, by=SPECIALIST),
        InvalidInputError)
    assert "remedies[1]" in str(error)
    assert "K-06" in str(error)
    for remedies in ([], "apology", [None], ("apology", 3)):
        refused(c, lambda c, r=remedies: c.propose_solution(remedies=bad(r), summary="x",
                                                            at=at, by=SPECIALIST),
                InvalidInputError)


# -- P-03: the receipt's record ------------------------------------------------------------------


@pytest.mark.parametrize("field", ["complaint_id", "customer_id", "content", "cause"])
@pytest.mark.parametrize("value", ["", "   ", None, {"phone": "13912345678"}])
def test_p03_the_required_record_is_refused_when_empty(field: str, value: object) -> None:
    """P-03: the complainant, the content and the cause (and the id) are required text: an
    empty or blank one, or one that is not text, is an ``InvalidInputError`` naming the field
    and the type, never a value (here the other fields carry a phone number)."""
    arguments: dict[str, object] = {"complaint_id": "CP-1", "customer_id": CUSTOMER_ID,
                                    "channel": "phone", "content": CONTENT, "cause": CAUSE}
    arguments[field] = value
    with pytest.raises(InvalidInputError) as caught:
        Complaint.receive(at=sh(10, 12), by=AGENT, **arguments)  # type: ignore[arg-type]
    assert field in str(caught.value)
    assert type(value).__name__ in str(caught.value)
    private_free(caught.value)


def test_p03_the_complaint_time_is_required_and_aware() -> None:
    """P-03: the complaint time is the receipt's ``at``: a naive datetime or none is refused."""
    for at, error in ((sh(10, 12).replace(tzinfo=None), NaiveDatetimeError),
                      (None, InvalidInputError), ("2026-10-12T09:00+08:00", InvalidInputError)):
        with pytest.raises(error) as caught:
            received(at=bad(at))
        assert "at" in str(caught.value)
        private_free(caught.value)


def test_p03_the_receipt_records_time_complainant_content_cause_and_remedy_sought() -> None:
    """P-03 (and ISO 10002's remedy sought): all of it on the receipt, kept by replay."""
    c = received(at=sh(10, 12, 10), remedy_sought="refund the second charge")
    start = c.history[0]
    assert isinstance(start, CaseStarted)
    assert (start.at, start.customer_id, start.fields["content"], start.fields["cause"],
            start.fields["remedy_sought"]) == (sh(10, 12, 10), CUSTOMER_ID, CONTENT, CAUSE,
                                               "refund the second charge")
    assert (c.received_at, c.customer_id, c.content, c.cause, c.remedy_sought) == (
        sh(10, 12, 10), CUSTOMER_ID, CONTENT, CAUSE, "refund the second charge")
    assert Complaint.replay(c.history) == c


# -- P-04: the effectiveness check closes the loop ----------------------------------------------


def test_p04_the_satisfied_result_schedules_the_effectiveness_check_30_days_later() -> None:
    """P-04: the customer said they were satisfied on Wednesday 30 September 16:00, and the
    complaint closed at 17:00; the check falls due 30 elapsed days after the satisfied result,
    Friday 30 October 16:00, whatever the holidays in between (the close schedules no
    second one)."""
    c = received(at=sh(9, 29)).acknowledge(at=sh(9, 29, 10), by=AGENT)
    c = through_analysis(c, sh(9, 29, 11))
    c = c.propose_solution(remedies=["apology"], summary="refund", at=sh(9, 29, 14),
                           by=SPECIALIST)
    c = c.handle(actions="refunded", at=sh(9, 30, 10), by=SPECIALIST)
    c = c.feedback(satisfaction=0.95, at=sh(9, 30, 16), by=AGENT)
    assert c.history[-1].effectiveness_check_due_at == sh(10, 30, 16)  # type: ignore[attr-defined]
    c = c.close(at=sh(9, 30, 17), by=SPECIALIST)
    assert (c.stage, c.closed_at, c.is_final) == ("closed", sh(9, 30, 17), False)
    assert c.pending_visits == (
        ReturnVisit("effectiveness_check", "P-04", sh(10, 30, 16), "scheduled"),)


def test_p04_a_close_without_a_satisfied_result_schedules_the_check_itself() -> None:
    """P-04: a customer who could not be reached for feedback (3 tries during handling) has
    no satisfied result: the close records that and schedules the check 30 days after it."""
    c = handling()  # handled Monday 12 October 13:00
    for hour in (14, 15, 16):
        c = c.record_return_visit(outcome="unreachable", at=sh(10, 12, hour), by=AGENT)
    assert (c.unreachable, c.unreachable_attempts) == (True, 3)
    c = c.close(at=sh(10, 12, 17), by=SPECIALIST)
    assert (c.stage, c.closed_unreachable) == ("closed", True)
    assert c.history[-1].unreachable is True  # type: ignore[attr-defined]
    assert c.pending_visits == (
        ReturnVisit("effectiveness_check", "P-04", sh(11, 11, 17), "scheduled"),)


def test_p04_a_satisfied_effectiveness_check_closes_the_loop() -> None:
    """P-04: the check finds the fix worked: the loop is closed (final), by the system right
    after the visit; nothing is pending, and the complaint takes no more commands."""
    c = closed()
    c = c.record_return_visit(outcome="satisfied", satisfaction=0.9, at=c.updated_at + 30 * 24 * H,
                              by=AGENT)
    visit, loop = c.history[-2:]
    assert isinstance(visit, ReturnVisitRecorded)
    assert visit.visit == "effectiveness_check"
    assert isinstance(loop, ComplaintLoopClosed)
    assert (loop.by, loop.roles, loop.at) == ("system", frozenset({"system"}), visit.at)
    assert (c.stage, c.is_final, c.pending_visits) == ("loop_closed", True, ())
    assert c.ended_at == loop.at
    assert c.return_visits[-1][:5] == ("effectiveness_check", "P-04", c.return_visits[-1].due_at,
                                       "done", "satisfied")
    refused(c, lambda c: c.reopen(at=c.updated_at + H), TransitionRejected)


def test_p04_an_unreachable_customer_after_3_attempts_closes_the_loop_too() -> None:
    """P-04: three checks that cannot reach the customer (the policy's attempts) close the
    loop as well; the first two leave the check scheduled, due again 24 business hours on."""
    c = closed()  # satisfied Monday 12 October 14:00: the check is due 11 November 14:00
    assert c.pending_visits[0].due_at == sh(11, 11, 14)
    c = c.record_return_visit(outcome="unreachable", at=sh(11, 11, 15), by=AGENT)
    # the next try: Wednesday 15:00-18:00 (3 h), Thursday (8 h), Friday (8 h), Monday
    # 09:00-12:00 (3 h) and 13:00-15:00 (2 h): Monday 16 November 15:00
    (check,) = c.pending_visits
    assert (check.attempts, check.outcome, check.due_at) == (1, "unreachable", sh(11, 16, 15))
    c = c.record_return_visit(outcome="unreachable", at=sh(11, 16, 15), by=AGENT)
    assert c.stage == "closed"
    assert c.pending_visits[0].attempts == 2
    c = c.record_return_visit(outcome="unreachable", at=sh(11, 19, 15), by=AGENT)
    assert isinstance(c.history[-1], ComplaintLoopClosed)
    last = c.history[-2]
    assert isinstance(last, ReturnVisitRecorded)
    assert (last.attempt, last.exhausted, last.next_due_at) == (3, True, None)
    assert (c.stage, c.pending_visits) == ("loop_closed", ())


def test_p04_an_unsatisfied_effectiveness_check_leaves_the_complaint_closed() -> None:
    c = closed()
    c = c.record_return_visit(outcome="unsatisfied", at=c.updated_at + 30 * 24 * H, by=AGENT)
    assert (c.stage, c.pending_visits, c.satisfied) == ("closed", (), False)
    assert c.reopen(at=c.updated_at + H, by=CUSTOMER).stage == "handling"


# -- P-08: who, when and why -----------------------------------------------------------------------


def test_p08_every_event_records_who_when_and_why() -> None:
    """P-08: a whole life, with a late preliminary solution, a severe analysis, a reopen, a
    second visit and the effectiveness check: every event records the actor (``by``), the
    roles they acted in and the instant; escalations, reopens and withdrawals their reason;
    the system's own events (the automatic escalation, the remedy owed, the loop closed) the
    system actor and a reason or the rule."""
    c = received(at=sh(10, 12)).acknowledge(at=sh(10, 12, 10), by=AGENT)
    c = through_analysis(c, sh(10, 12, 11), severity=5, scope="single_customer",
                         urgency="high")
    c = c.propose_solution(remedies=["apology", "compensation"], summary="refund",
                           at=sh(10, 15, 10), by=SPECIALIST)  # S-02 due Wed 14 Oct 18:00
    c = c.handle(actions="refunded", at=sh(10, 15, 11), by=SPECIALIST)
    c = c.feedback(satisfaction=0.7, at=sh(10, 15, 12), by=AGENT)
    c = c.reopen(at=sh(10, 15, 14), by=CUSTOMER, reason="still charged")
    c = c.handle(actions="refunded again", at=sh(10, 16, 10), by=LEAD)
    c = c.feedback(satisfaction=0.9, at=sh(10, 16, 11), by=AGENT)
    c = c.close(at=sh(10, 16, 12), by=SPECIALIST)
    c = c.record_return_visit(outcome="satisfied", at=sh(11, 16, 12), by=AGENT)
    assert c.stage == "loop_closed"
    people = {AGENT.id: AGENT.roles, SPECIALIST.id: SPECIALIST.roles, LEAD.id: LEAD.roles,
              CUSTOMER_ID: CUSTOMER.roles, "system": SYSTEM.roles}
    assert [(type(e).__name__, e.by) for e in c.history] == [
        ("CaseStarted", AGENT.id), ("ComplaintAcknowledged", AGENT.id),
        ("ComplaintAnalysed", SPECIALIST.id), ("ComplaintEscalated", "system"),
        ("SolutionProposed", SPECIALIST.id), ("RemedyOwed", "system"),
        ("ComplaintHandled", SPECIALIST.id), ("FeedbackRecorded", AGENT.id),
        ("ComplaintReopened", CUSTOMER_ID), ("ComplaintHandled", LEAD.id),
        ("FeedbackRecorded", AGENT.id), ("ComplaintClosed", SPECIALIST.id),
        ("ReturnVisitRecorded", AGENT.id), ("ComplaintLoopClosed", "system")]
    previous = None
    for e in c.history:
        assert e.by is not None
        assert e.roles == people[e.by], type(e).__name__
        assert e.at.utcoffset() == timedelta(hours=8)
        assert previous is None or e.at >= previous
        assert e.stream_id == "CP-1"
        previous = e.at
    why = {type(e).__name__: e for e in c.history}
    assert why["ComplaintReopened"].reason == "still charged"  # type: ignore[attr-defined]
    assert "K-03" in why["ComplaintEscalated"].reason  # type: ignore[attr-defined]
    assert why["RemedyOwed"].rule == "S-02"  # type: ignore[attr-defined]
    assert not [e for e in c.history if isinstance(e, StatusChanged)]  # each event says it
    w = handling().withdraw(reason="solved elsewhere", at=handling().updated_at + H)
    assert (w.history[-1].by, w.history[-1].reason, w.withdrawn_reason) == (  # type: ignore[attr-defined]
        CUSTOMER_ID, "solved elsewhere", "solved elsewhere")
    assert Complaint.replay(c.history) == c
