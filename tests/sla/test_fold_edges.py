"""The fold at its edges: a priority change that gives a clock its first target, the reply
clocks of a finished and a reopened ticket, a reopen into a pause status, targets chosen by
a ticket's attributes or a case's fields, and targets too long for a float's precision."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sla_events import T0, US, H, M, always_policy, ev

from servicekit.calendar import BusinessCalendar
from servicekit.events import (
    AgentReplied,
    CaseStarted,
    CustomerReplied,
    Event,
    PriorityChanged,
    StatusChanged,
    TicketCreated,
    TicketReopened,
    TicketResolved,
)
from servicekit.rules import DecisionTable, Rule
from servicekit.sla import Metric, SlaPolicy, evaluate


def policy(**more: Any) -> SlaPolicy:
    targets = {"first_response": {"P1": H}, "next_response": {"P1": H},
               "periodic_update": {"P1": 2 * H}, "resolution": {"P1": 8 * H}}
    return always_policy("x", **{"targets": targets, "warn_at": (), **more})


def _upgrade_table() -> DecisionTable:
    return DecisionTable(name="t", rules=[Rule(id="p1", when="priority == 'P1'", then={
        "periodic_update": "1h", "next_response": "0s", "first_response": "0s"})])


def test_a_priority_change_gives_an_untracked_clock_its_target_from_its_start() -> None:
    """P3 has no periodic update or next response target (the table gives them to P1 only),
    so neither is tracked; the upgrade at 09:30 gives them one, counted from their real
    starts: periodic update from the reply at 09:10 (1 h: breached 10:10:00.000001), next
    response from the customer's reply at 09:20 (0 s: breached 09:20:00.000001). First
    response stopped at 09:10 without a target, and keeps none: not tracked."""
    pol = policy(targets={"resolution": {"P1": 8 * H}}, target_table=_upgrade_table())
    events = [ev(TicketCreated, T0, priority="P3"), ev(AgentReplied, T0 + 10 * M),
              ev(CustomerReplied, T0 + 20 * M), ev(PriorityChanged, T0 + 30 * M, priority="P1")]
    report = evaluate(pol, events, T0 + 2 * H)
    assert sorted(report) == ["next_response", "periodic_update", "resolution"]
    pu, nr = report["periodic_update"], report["next_response"]
    assert (pu.state, pu.target, pu.elapsed, pu.breached_at) == (
        "breached", H, 110 * M, T0 + 70 * M + US)
    assert (nr.state, nr.target, nr.elapsed, nr.breached_at) == (
        "breached", timedelta(0), 100 * M, T0 + 20 * M + US)
    assert report["resolution"].elapsed == 2 * H
    lines = report.explain().splitlines()
    assert lines[2:13] == [
        "  2026-03-02T09:00:00+00:00  TicketCreated",
        "  2026-03-02T09:00:00+00:00  first_response: started, no target yet",
        "  2026-03-02T09:00:00+00:00  resolution: started, no target yet",
        "  2026-03-02T09:10:00+00:00  AgentReplied:public",
        "  2026-03-02T09:10:00+00:00  first_response: stopped",
        "  2026-03-02T09:10:00+00:00  periodic_update: started, no target yet",
        "  2026-03-02T09:20:00+00:00  CustomerReplied",
        "  2026-03-02T09:20:00+00:00  next_response: started, no target yet",
        "  2026-03-02T09:30:00+00:00  PriorityChanged",
        "  2026-03-02T09:30:00+00:00  resolution: re-targeted to 8h from its start",
        "  2026-03-02T09:30:00+00:00  periodic_update: re-targeted to 1h from its start",
    ]


def test_explain_says_which_clocks_have_no_target_and_which_are_kept_for_one() -> None:
    """P3 has no targets: metrics with per-priority targets are kept (a change may give them
    one), others are not tracked. A priority change that gives none a target changes
    nothing."""
    pol = policy(targets={"resolution": {"P1": 8 * H}},
                 metrics=[Metric(name="m", start_on="AgentReplied", stop_on="TicketResolved")])
    events = [ev(TicketCreated, T0, priority="P3"), ev(AgentReplied, T0 + 10 * M),
              ev(PriorityChanged, T0 + 20 * M, priority="P2")]
    report = evaluate(pol, events, T0 + H)
    assert len(report) == 0
    assert report.explain().splitlines()[2:] == [
        "  2026-03-02T09:00:00+00:00  TicketCreated",
        "  2026-03-02T09:00:00+00:00  first_response: no target for this ticket, not tracked",
        "  2026-03-02T09:00:00+00:00  resolution: started, no target yet",
        "  2026-03-02T09:10:00+00:00  AgentReplied:public",
        "  2026-03-02T09:10:00+00:00  periodic_update: no target for this ticket, not tracked",
        "  2026-03-02T09:10:00+00:00  m: no target for this ticket, not tracked",
        "  2026-03-02T09:20:00+00:00  PriorityChanged",
        "clocks:",
    ]


def test_reply_clocks_end_with_the_ticket_and_come_back_with_a_reopen() -> None:
    """After the resolution at 10:00, neither an agent's update nor a customer's reply opens
    a cycle; after the reopen at 11:00 both do again."""
    events = [ev(TicketCreated, T0, priority="P1"), ev(AgentReplied, T0 + 10 * M),
              ev(TicketResolved, T0 + H), ev(AgentReplied, T0 + 70 * M),
              ev(CustomerReplied, T0 + 80 * M)]
    report = evaluate(policy(), events, T0 + 100 * M)
    assert "next_response" not in report
    pu = report["periodic_update"]
    assert (pu.state, pu.cycles, pu.stopped_at) == ("cancelled", 1, T0 + H)
    events += [ev(TicketReopened, T0 + 2 * H), ev(CustomerReplied, T0 + 130 * M),
               ev(AgentReplied, T0 + 140 * M), ev(CustomerReplied, T0 + 150 * M)]
    report = evaluate(policy(), events, T0 + 3 * H)
    nr, pu = report["next_response"], report["periodic_update"]
    assert (nr.state, nr.cycles, nr.started_at, nr.elapsed) == (
        "running", 2, T0 + 150 * M, 30 * M)
    # the cycle cancelled at the resolution is not counted: 11:00-11:20, then from 11:20
    assert (pu.state, pu.cycles, pu.started_at, pu.elapsed) == (
        "running", 2, T0 + 140 * M, 40 * M)


def test_periodic_update_after_a_reopen_does_not_pause() -> None:
    events = [ev(TicketCreated, T0, priority="P1"), ev(AgentReplied, T0 + 10 * M),
              ev(TicketResolved, T0 + H), ev(TicketReopened, T0 + 2 * H),
              ev(StatusChanged, T0 + 150 * M, status="pending_customer")]
    report = evaluate(policy(), events, T0 + 3 * H)
    pu = report["periodic_update"]
    assert (pu.state, pu.started_at, pu.elapsed) == ("running", T0 + 2 * H, H)
    assert report["resolution"].state == "paused"


def test_a_reopen_into_a_pause_status_does_not_resume_resolution() -> None:
    """With ``resolved`` and ``open`` both pause statuses, the reopen leaves the ticket
    paused: resolution stays at the 1 h it had at its resolution."""
    pol = policy(pause_statuses={"resolved", "open"})
    events = [ev(TicketCreated, T0, priority="P1"), ev(TicketResolved, T0 + H),
              ev(TicketReopened, T0 + 2 * H)]
    s = evaluate(pol, events, T0 + 3 * H)["resolution"]
    assert (s.state, s.elapsed, s.running) == ("paused", H, False)
    events.append(ev(StatusChanged, T0 + 4 * H, status="in_progress"))
    s = evaluate(pol, events, T0 + 5 * H)["resolution"]
    assert (s.state, s.elapsed, s.running) == ("running", 2 * H, True)


def test_a_target_table_reading_attributes_chooses_per_ticket_on_one_policy() -> None:
    """Two tickets alike in priority, channel, category and tier, one a VIP by attribute:
    the memo of targets (keyed by those four) must not give the second the first's."""
    pol = policy(target_table=DecisionTable(name="vip", rules=[
        Rule(id="vip", when="vip == true", then={"resolution": "1h"})]))
    plain = evaluate(pol, [ev(TicketCreated, T0, "A", priority="P1", attributes={"vip": False})],
                     T0 + M)
    vip = evaluate(pol, [ev(TicketCreated, T0, "B", priority="P1", attributes={"vip": True})],
                   T0 + M)
    again = evaluate(pol, [ev(TicketCreated, T0, "C", priority="P1", attributes={"vip": False})],
                     T0 + M)
    assert (plain["resolution"].target, vip["resolution"].target,
            again["resolution"].target) == (8 * H, H, 8 * H)


def test_a_target_table_reading_case_fields_chooses_per_case_on_one_policy() -> None:
    """Cases have no priority, channel, category or tier: each case's fields choose."""
    pol = SlaPolicy(name="cases", calendar=BusinessCalendar.always(),
                    metrics=[Metric(name="handled", start_on="CaseStarted:complaint",
                                    stop_on="StatusChanged:handled", target=24 * H)],
                    target_table=DecisionTable(name="severe", rules=[
                        Rule(id="s", when="severity >= 4", then={"handled": "4h"})]))

    def case(stream: str, severity: int) -> list[Event]:
        return [ev(CaseStarted, T0, stream, process="complaint", state="submitted",
                   fields={"severity": severity})]

    targets = [evaluate(pol, case(f"F-{i}", sev), T0 + M)["handled"].target
               for i, sev in enumerate((1, 5, 2, 4))]
    assert targets == [24 * H, 4 * H, 24 * H, 4 * H]


LONG = 149_931_631_292_205 * US  # about 1735 days: target * 0.9 needs more than a float's 53 bits
THRESHOLD = 134_938_468_162_985 * US  # exactly, rounded half to even as timedelta rounds


def test_thresholds_of_long_targets_are_exact_to_the_microsecond() -> None:
    assert LONG * 0.9 == THRESHOLD
    for pol, facts in (
        (policy(targets={"resolution": {"P1": LONG}}, warn_at=(0.9,)), {}),
        (policy(targets={"resolution": {"P1": H}}, warn_at=(0.9,),
                target_table=DecisionTable(name="t", rules=[
                    Rule(id="x", when="x == 1", then={"resolution": f"{LONG // US}us"})])),
         {"x": 1}),
    ):
        events = [ev(TicketCreated, T0, priority="P1", attributes=facts)]
        before = evaluate(pol, events, T0 + THRESHOLD - US)
        assert (before["resolution"].target, before["resolution"].warnings) == (LONG, ())
        assert before.next_check_at == T0 + THRESHOLD
        assert evaluate(pol, events, T0 + THRESHOLD)["resolution"].warnings == (0.9,)


def test_reply_clocks_never_pause() -> None:
    """Waiting on the customer from 09:30 pauses resolution, not the periodic update (from
    the reply at 09:10) nor the next response (from the customer's reply at 09:20)."""
    events = [ev(TicketCreated, T0, priority="P1"), ev(AgentReplied, T0 + 10 * M),
              ev(CustomerReplied, T0 + 20 * M),
              ev(StatusChanged, T0 + 30 * M, status="pending_customer")]
    report = evaluate(policy(), events, T0 + H)
    assert {m: (s.state, s.elapsed) for m, s in report.items()} == {
        "first_response": ("met", 10 * M),
        "resolution": ("paused", 30 * M),
        "periodic_update": ("running", 50 * M),
        "next_response": ("running", 40 * M),
    }


def test_explain_of_a_zero_target_and_of_a_custom_clock_kept_for_a_target() -> None:
    """A zero target is a target (``0s``); a custom metric with per-priority targets but none
    for this priority is kept (a change may give it one)."""
    pol = policy(targets={"resolution": {"P1": timedelta(0)}, "m": {"P1": H}},
                 metrics=[Metric(name="m", start_on="AgentReplied", stop_on="TicketResolved")])
    events = [ev(TicketCreated, T0, priority="P1")]
    assert "  2026-03-02T09:00:00+00:00  resolution: started, target 0s" in (
        evaluate(pol, events, T0 + H).explain().splitlines())
    events = [ev(TicketCreated, T0, priority="P2"), ev(AgentReplied, T0 + 10 * M)]
    assert "  2026-03-02T09:10:00+00:00  m: started, no target yet" in (
        evaluate(pol, events, T0 + H).explain().splitlines())
