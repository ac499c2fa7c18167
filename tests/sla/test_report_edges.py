"""The report objects, exactly: ``explain()`` line by line, the reprs, ``running`` of a
breached clock, and the order of escalation steps over several metrics (S-11)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sla_events import T0, US, H, M, always_policy, ev

from servicekit.events import (
    AgentReplied,
    CustomerReplied,
    Event,
    StatusChanged,
    TicketCancelled,
    TicketCreated,
    TicketResolved,
)
from servicekit.rules import DecisionTable, Rule
from servicekit.sla import Escalation, EscalationLevel, SlaPolicy, evaluate


def policy(**more: Any) -> SlaPolicy:
    targets = {"first_response": {"P1": H}, "next_response": {"P1": H},
               "resolution": {"P1": 8 * H}}
    return always_policy("x", **{"targets": targets, "warn_at": (0.5,), **more})


def two_cycles() -> list[Event]:
    return [ev(TicketCreated, T0, priority="P1"), ev(AgentReplied, T0 + 10 * M),
            ev(CustomerReplied, T0 + 20 * M), ev(AgentReplied, T0 + 90 * M),
            ev(CustomerReplied, T0 + 100 * M)]


def test_explain_says_each_event_and_each_clock_exactly() -> None:
    """Worked by hand: first response answered after 10 min (met); next response 09:20 to
    10:30 (70 min of 60: breached) then 10:40 to now, 14:00 (3 h 20 min: breached), 2 of 2
    cycles; resolution 5 h of 8, past its 50 % warning, breached at 17:00:00.000001."""
    text = evaluate(policy(), two_cycles(), T0 + 5 * H).explain()
    assert text.splitlines() == [
        "SLA policy 'x', ticket 'T', at 2026-03-02T14:00:00+00:00",
        "events:",
        "  2026-03-02T09:00:00+00:00  TicketCreated",
        "  2026-03-02T09:00:00+00:00  first_response: started, target 1h",
        "  2026-03-02T09:00:00+00:00  resolution: started, target 8h",
        "  2026-03-02T09:10:00+00:00  AgentReplied:public",
        "  2026-03-02T09:10:00+00:00  first_response: stopped",
        "  2026-03-02T09:10:00+00:00  periodic_update: no target for this ticket, not tracked",
        "  2026-03-02T09:20:00+00:00  CustomerReplied",
        "  2026-03-02T09:20:00+00:00  next_response: started, target 1h",
        "  2026-03-02T10:30:00+00:00  AgentReplied:public",
        "  2026-03-02T10:30:00+00:00  next_response: cycle closed",
        "  2026-03-02T10:30:00+00:00  periodic_update: no target for this ticket, not tracked",
        "  2026-03-02T10:40:00+00:00  CustomerReplied",
        "  2026-03-02T10:40:00+00:00  next_response: started, target 1h",
        "clocks:",
        "  first_response: met; elapsed 10m of 1h on the UTC calendar; "
        "due 2026-03-02T10:00:00+00:00",
        "  resolution: running; elapsed 5h of 8h on the UTC calendar; "
        "due 2026-03-02T17:00:00+00:00; warnings [0.5]",
        "  next_response: breached; elapsed 3h20m of 1h on the UTC calendar; "
        "due 2026-03-02T11:40:00+00:00; breached 2026-03-02T11:40:00.000001+00:00; "
        "warnings [0.5]; 2 of 2 cycles breached",
        "next check: 2026-03-02T17:00:00.000001+00:00",
    ]


def test_explain_of_a_paused_clock_has_no_due_and_no_next_check() -> None:
    events = [ev(TicketCreated, T0, priority="P1"), ev(AgentReplied, T0 + 10 * M),
              ev(StatusChanged, T0 + H, status="pending_customer")]
    text = evaluate(policy(warn_at=()), events, T0 + 2 * H).explain()
    assert text.splitlines()[-2:] == [
        "  first_response: met; elapsed 10m of 1h on the UTC calendar; "
        "due 2026-03-02T10:00:00+00:00",
        "  resolution: paused; elapsed 1h of 8h on the UTC calendar",
    ]


def test_reprs_name_the_ticket_the_states_and_the_instants() -> None:
    report = evaluate(policy(), two_cycles(), T0 + 5 * H)
    assert repr(report) == (
        "SlaReport('T', {first_response: met, resolution: running, next_response: breached})")
    assert repr(report["resolution"]) == (
        "MetricStatus('resolution', state='running', target=8:00:00, elapsed=5:00:00, "
        "due_at=2026-03-02 17:00:00+00:00)")


def test_a_breached_clock_may_still_be_running_a_paused_one_not() -> None:
    report = evaluate(policy(), two_cycles(), T0 + 5 * H)
    assert (report["next_response"].state, report["next_response"].running) == (
        "breached", True)
    assert (report["first_response"].state, report["first_response"].running) == (
        "met", False)
    paused = [*two_cycles(), ev(StatusChanged, T0 + 2 * H, status="pending_customer")]
    s = evaluate(policy(), paused, T0 + 5 * H)["resolution"]
    assert (s.state, s.running, s.stopped_at, s.breached_at) == ("paused", False, None, None)


def _ladder() -> Escalation:
    return Escalation(levels=[EscalationLevel(level=1, at=0.5, notify="lead"),
                              EscalationLevel(level=2, at=0.75, notify="manager"),
                              EscalationLevel(level=3, at="breach", notify="director")])


def test_s11_steps_reached_are_ordered_by_level_then_instant() -> None:
    """First response (1 h, never answered) and resolution (8 h) from 09:00: first response
    reaches its levels at 09:30, 09:45 and 10:00:00.000001, resolution at 13:00 and 15:00."""
    pol = policy(escalation=_ladder())
    events = [ev(TicketCreated, T0, priority="P1")]
    esc = evaluate(pol, events, T0 + 6 * H + 30 * M).escalations()
    assert [(s.level, s.metric, s.at, s.notify, s.trigger) for s in esc.reached] == [
        (1, "first_response", T0 + 30 * M, "lead", 0.5),
        (1, "resolution", T0 + 4 * H, "lead", 0.5),
        (2, "first_response", T0 + 45 * M, "manager", 0.75),
        (2, "resolution", T0 + 6 * H, "manager", 0.75),
        (3, "first_response", T0 + H + US, "director", "breach"),
    ]
    # level 3 was reached by first response, and is still ahead for resolution: the next
    # step (issue 19: it used to be None once any metric reached a level)
    assert esc.next is not None
    assert (esc.next.level, esc.next.metric, esc.next.at) == (3, "resolution", T0 + 8 * H + US)


def test_s11_the_next_step_is_the_earliest_of_a_level_not_reached() -> None:
    """At 09:40 level 1 is reached (first response, 09:30); the next is the earliest step of
    another level: level 2 of first response at 09:45, not resolution's level 1 at 13:00 nor
    resolution's level 2 at 15:00."""
    pol = policy(escalation=_ladder())
    events = [ev(TicketCreated, T0, priority="P1")]
    esc = evaluate(pol, events, T0 + 40 * M).escalations()
    assert [(s.level, s.metric) for s in esc.reached] == [(1, "first_response")]
    assert esc.next is not None
    assert (esc.next.level, esc.next.metric, esc.next.at) == (2, "first_response", T0 + 45 * M)


def test_s11_a_cancelled_clock_escalates_nothing() -> None:
    """Cancelled at 09:40 after its 50 % (09:30): a cancelled ticket calls nobody."""
    pol = policy(escalation=_ladder(), targets={"first_response": {"P1": H}})
    events = [ev(TicketCreated, T0, priority="P1"), ev(TicketCancelled, T0 + 40 * M)]
    report = evaluate(pol, events, T0 + 2 * H)
    assert report["first_response"].state == "cancelled"
    assert report.escalations().reached == ()
    assert report.escalations().next is None


# -- values: frozen, compared with their own kind only -------------------------------------------


def test_escalations_and_remedies_are_frozen_values() -> None:
    pol = policy(escalation=_ladder(), public_commitments={"resolution"},
                 remedy_table=_remedy_table())
    report = evaluate(pol, [ev(TicketCreated, T0, priority="P1")], T0 + 10 * H)
    esc = report.escalations()
    (remedy,) = report.remedies()
    for value, field in ((esc, "next"), (esc.reached[0], "level"), (remedy, "metric")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, field, None)


def test_reports_and_remedies_are_unequal_to_other_kinds() -> None:
    pol = policy(public_commitments={"resolution"}, remedy_table=_remedy_table())
    report = evaluate(pol, [ev(TicketCreated, T0, priority="P1")], T0 + 10 * H)
    (remedy,) = report.remedies()
    for other in (5, "x", None, dict(report)):
        assert (report == other) is False
        assert (report != other) is True
        assert (remedy == other) is False
        assert (remedy != other) is True


def test_reports_at_other_instants_differ_even_when_every_clock_is_the_same() -> None:
    """Resolved at 10:00: at 11:00 and at 12:00 every clock is the same, the reports are not
    (a report is of its instant)."""
    events = [ev(TicketCreated, T0, priority="P1"), ev(AgentReplied, T0 + 10 * M),
              ev(TicketResolved, T0 + H)]
    pol = policy(targets={"first_response": {"P1": H}, "resolution": {"P1": 8 * H}})
    one, two = evaluate(pol, events, T0 + 2 * H), evaluate(pol, events, T0 + 3 * H)
    assert dict(one) == dict(two)
    assert (one.next_check_at, two.next_check_at) == (None, None)
    assert one != two
    assert one == evaluate(pol, events, T0 + 2 * H)


# -- escalations over ladders of every shape (S-11) ----------------------------------------------


def test_s11_a_level_at_the_breach_after_three_fractions_is_not_reached_early() -> None:
    """Levels at 25 %, 50 %, 75 % and the breach of resolution (8 h), at 13:48 (4 h 48 m,
    60 %): two levels reached, the 75 % next, the breach after it."""
    pol = policy(warn_at=(0.5,), targets={"resolution": {"P1": 8 * H}},
                 escalation=Escalation(levels=[
                     EscalationLevel(level=1, at=0.25, notify="a"),
                     EscalationLevel(level=2, at=0.5, notify="b"),
                     EscalationLevel(level=3, at=0.75, notify="c"),
                     EscalationLevel(level=4, at="breach", notify="d")]))
    events = [ev(TicketCreated, T0, priority="P1")]
    esc = evaluate(pol, events, T0 + 288 * M).escalations()
    assert [(s.level, s.at) for s in esc.reached] == [(1, T0 + 2 * H), (2, T0 + 4 * H)]
    assert esc.next is not None
    assert (esc.next.level, esc.next.at) == (3, T0 + 6 * H)
    later = evaluate(pol, events, T0 + 7 * H).escalations()
    assert [s.level for s in later.reached] == [1, 2, 3]
    assert later.next is not None
    assert (later.next.level, later.next.at) == (4, T0 + 8 * H + US)


def test_s11_a_level_out_of_a_metrics_scope_does_not_hide_the_levels_after_it() -> None:
    pol = policy(targets={"first_response": {"P1": H}, "resolution": {"P1": 8 * H}},
                 escalation=Escalation(levels=[
                     EscalationLevel(level=1, at=0.5, notify="a", metrics=("resolution",)),
                     EscalationLevel(level=2, at=0.5, notify="b")]))
    esc = evaluate(pol, [ev(TicketCreated, T0, priority="P1")], T0 + 45 * M).escalations()
    assert [(s.level, s.metric, s.at) for s in esc.reached] == [
        (2, "first_response", T0 + 30 * M)]


def test_s11_a_clock_paused_exactly_at_a_level_has_reached_it() -> None:
    """Paused at 13:00, 4 h of 8: the 50 % level is reached (at its instant), not the 75 %."""
    pol = policy(warn_at=(), targets={"resolution": {"P1": 8 * H}}, escalation=_ladder())
    events = [ev(TicketCreated, T0, priority="P1"),
              ev(StatusChanged, T0 + 4 * H, status="pending_customer")]
    esc = evaluate(pol, events, T0 + 6 * H).escalations()
    assert [(s.level, s.at) for s in esc.reached] == [(1, T0 + 4 * H)]
    assert esc.next is None


def test_s11_levels_need_not_rise_with_their_fractions() -> None:
    """Level 1 at the breach, level 2 at 50 %: a clock paused or stopped at 60 % reached
    level 2 only."""
    pol = policy(warn_at=(), targets={"resolution": {"P1": 10 * H}},
                 escalation=Escalation(levels=[
                     EscalationLevel(level=1, at="breach", notify="a"),
                     EscalationLevel(level=2, at=0.5, notify="b")]))
    for stop in (ev(StatusChanged, T0 + 6 * H, status="pending_customer"),
                 ev(TicketResolved, T0 + 6 * H)):
        events = [ev(TicketCreated, T0, priority="P1"), stop]
        esc = evaluate(pol, events, T0 + 7 * H).escalations()
        assert [(s.level, s.at) for s in esc.reached] == [(2, T0 + 5 * H)], stop
        assert esc.next is None


def test_s11_levels_of_long_targets_are_exact_to_the_microsecond() -> None:
    """A 90 % level of a 149,931,631,292,205 µs target is reached at 134,938,468,162,985 µs
    (the product needs more than a float's 53 bits)."""
    long, threshold = 149_931_631_292_205 * US, 134_938_468_162_985 * US
    pol = policy(warn_at=(), targets={"resolution": {"P1": long}},
                 escalation=Escalation(levels=[EscalationLevel(level=1, at=0.9, notify="a")]))
    events = [ev(TicketCreated, T0, priority="P1")]
    before = evaluate(pol, events, T0 + threshold - US).escalations()
    assert before.reached == ()
    assert before.next is not None
    assert before.next.at == T0 + threshold
    reached = evaluate(pol, events, T0 + threshold).escalations().reached
    assert [(s.level, s.at) for s in reached] == [(1, T0 + threshold)]


# -- remedies (K-06) -----------------------------------------------------------------------------


def _remedy_table(**when: str) -> DecisionTable:
    return DecisionTable(name="remedy", rules=[
        Rule(id="K-06", when=when.get("when", "commitment_missed"),
             then={"remedy": "apology"})])


def test_k06_each_breached_public_commitment_is_owed_its_remedy() -> None:
    """first_response (met) comes before resolution (breached) by name: only resolution is
    owed; a table that decides nothing owes an empty remedy, still listed."""
    pol = policy(public_commitments={"first_response", "resolution"},
                 remedy_table=_remedy_table())
    events = [ev(TicketCreated, T0, priority="P1"), ev(AgentReplied, T0 + 10 * M)]
    (owed,) = evaluate(pol, events, T0 + 9 * H).remedies()
    assert (owed.metric, [dict(r) for r in owed.remedies]) == ("resolution",
                                                               [{"remedy": "apology"}])
    quiet = policy(public_commitments={"resolution"},
                   remedy_table=_remedy_table(when="repeat_breaches > 5"))
    (nothing,) = evaluate(quiet, events, T0 + 9 * H).remedies()
    assert (nothing.metric, nothing.remedies, nothing.decision.value) == ("resolution", (), None)
