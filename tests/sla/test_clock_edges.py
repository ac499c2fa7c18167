"""Clocks at their edges: a zero target, a clock that never ran, a target reached before a
pause, an escalation level at a warning's fraction, and instants before 1970.

All on an always-open UTC calendar, so the arithmetic is clock arithmetic.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import sla_events
from sla_events import T0, US, H, M, always_policy

from servicekit.events import (
    AgentReplied,
    CustomerReplied,
    Event,
    StageReached,
    StatusChanged,
    TicketCreated,
    TicketResolved,
)
from servicekit.sla import (
    Escalation,
    EscalationLevel,
    Metric,
    SlaPolicy,
    evaluate,
    evaluate_many,
)

ZERO = timedelta(0)


def policy(**more: Any) -> SlaPolicy:
    targets = {"first_response": {"P1": H}, "resolution": {"P1": 8 * H}}
    return always_policy("edges", **{"targets": targets, **more})


def ev(kind: type[Event], at: datetime, ticket: str = "T-1", **fields: Any) -> Event:
    return sla_events.ev(kind, at, ticket, **fields)


def created(at: datetime = T0, ticket: str = "T-1") -> Event:
    return ev(TicketCreated, at, ticket, priority="P1")


def test_a_zero_target_is_due_at_the_start_and_breached_a_microsecond_later() -> None:
    pol = policy(targets={"resolution": {"P1": ZERO}})
    at_start = evaluate(pol, [created()], T0)
    s = at_start["resolution"]
    assert (s.state, s.elapsed, s.remaining, s.due_at) == ("running", ZERO, ZERO, T0)
    assert s.warnings == (0.75, 0.9)  # every threshold of a zero target is zero
    assert at_start.next_check_at == T0 + US
    later = evaluate(pol, [created()], T0 + US)["resolution"]
    assert (later.state, later.breached_at, later.breached_cycles) == ("breached", T0 + US, 1)


def test_closed_cycles_of_a_zero_target_are_counted_and_breached() -> None:
    """next_response with a zero target: every cycle that took any time is breached."""
    pol = policy(targets={"next_response": {"P1": ZERO}})
    events = [created(), ev(AgentReplied, T0 + M), ev(CustomerReplied, T0 + 2 * M),
              ev(AgentReplied, T0 + 5 * M), ev(CustomerReplied, T0 + 6 * M),
              ev(AgentReplied, T0 + 6 * M)]  # answered at once: within a zero target
    s = evaluate(pol, events, T0 + H)["next_response"]
    assert (s.state, s.cycles, s.breached_cycles, s.elapsed) == ("met", 2, 1, ZERO)
    events.append(ev(CustomerReplied, T0 + 7 * M))
    s = evaluate(pol, events, T0 + H)["next_response"]
    assert (s.state, s.cycles, s.breached_cycles) == ("breached", 3, 2)


def _waiting() -> SlaPolicy:
    return policy(metrics=[Metric(name="waiting", start_on="StageReached:x",
                                  stop_on="TicketResolved", pausable=True, target=2 * H)])


def test_a_pausable_clock_started_while_paused_has_not_run() -> None:
    events = [created(), ev(StatusChanged, T0 + H, status="pending_customer"),
              ev(StageReached, T0 + 2 * H, stage="x")]
    report = evaluate(_waiting(), events, T0 + 3 * H)
    s = report["waiting"]
    assert (s.state, s.elapsed, s.started_at, s.due_at, s.stopped_at) == (
        "paused", ZERO, T0 + 2 * H, None, None)
    assert not s.running
    # resumed at 04:00 (T0 + 4 h): due 2 h later
    events.append(ev(StatusChanged, T0 + 4 * H, status="open"))
    s = evaluate(_waiting(), events, T0 + 5 * H)["waiting"]
    assert (s.state, s.elapsed, s.due_at) == ("running", H, T0 + 6 * H)


def test_a_clock_that_never_ran_does_not_hide_the_clocks_after_it() -> None:
    """In a batch, the clocks of this ticket after the one that never ran, and the next
    ticket's, keep their own times."""
    pol = _waiting()
    paused = [created(), ev(StatusChanged, T0 + H, status="pending_customer"),
              ev(StageReached, T0 + 2 * H, stage="x")]
    other = [created(T0, "T-2")]
    now = T0 + 3 * H
    batch = evaluate_many(pol, {"T-1": paused, "T-2": other}, now)
    assert batch["T-1"] == evaluate(pol, paused, now)
    assert batch["T-2"] == evaluate(pol, other, now)
    assert batch["T-2"]["resolution"].elapsed == 3 * H
    assert batch["T-1"]["resolution"].elapsed == H


def test_a_target_reached_before_a_pause_is_due_in_that_interval() -> None:
    """resolution (1 h) ran 09:00-11:00, waited 11:00-12:00, ran again from 12:00: due at
    10:00, breached at 10:00:00.000001, not in a later interval."""
    pol = policy(targets={"resolution": {"P1": H}},
                 escalation=Escalation(levels=[EscalationLevel(level=1, at=0.5, notify="a")]))
    events = [created(), ev(StatusChanged, T0 + 2 * H, status="pending_customer"),
              ev(StatusChanged, T0 + 3 * H, status="open")]
    report = evaluate(pol, events, T0 + 4 * H)
    s = report["resolution"]
    assert (s.state, s.elapsed, s.due_at, s.breached_at) == (
        "breached", 3 * H, T0 + H, T0 + H + US)
    assert [(x.level, x.at) for x in report.escalations().reached] == [(1, T0 + 30 * M)]


def test_a_level_at_a_warnings_fraction_of_a_stopped_clock_is_reached() -> None:
    """The 50 % warning of a stopped clock is not asked for (it changes nothing), but the
    level at 50 % is: resolved at 13:30, 4.5 h of 8, level 1 was reached at 13:00."""
    pol = policy(warn_at=(0.5,),
                 escalation=Escalation(levels=[EscalationLevel(level=1, at=0.5, notify="a",
                                                               metrics=("resolution",))]))
    events = [created(), ev(TicketResolved, T0 + 4 * H + 30 * M)]
    report = evaluate(pol, events, T0 + 6 * H)
    s = report["resolution"]
    assert (s.state, s.warnings) == ("met", (0.5,))
    assert [(x.level, x.metric, x.at) for x in report.escalations().reached] == [
        (1, "resolution", T0 + 4 * H)]


def test_instants_before_1970_are_instants() -> None:
    """BUG: the columns marked "no instant" with -1 and took every negative value for it, so
    a ticket of 1969 (epoch microseconds below zero) had no due, breach or stop instant and
    no next check. Business time is computed from year 2."""
    pol = policy()
    for t0 in (datetime(1969, 6, 1, 9, tzinfo=UTC), datetime(1969, 12, 31, 20, tzinfo=UTC),
               T0):
        events = [created(t0), ev(AgentReplied, t0 + 2 * H)]
        running = evaluate(pol, events, t0 + 3 * H)
        fr, res = running["first_response"], running["resolution"]
        assert (fr.state, fr.due_at, fr.breached_at, fr.stopped_at) == (
            "breached", t0 + H, t0 + H + US, t0 + 2 * H)
        assert (res.state, res.due_at, res.breached_at) == ("running", t0 + 8 * H, None)
        assert running.next_check_at == t0 + 6 * H  # the 75 % warning of resolution
        assert running.escalations().reached == ()
        columns = evaluate_many(pol, {"T-1": events}, t0 + 3 * H).columns()
        naive = t0.replace(tzinfo=None)
        assert columns["started_at"].tolist() == [naive, naive]
        assert columns["due_at"].tolist() == [naive + H, naive + 8 * H]
        assert columns["stopped_at"][0] == np.datetime64(naive + 2 * H, "us")
        assert np.isnat(columns["stopped_at"][1])
        assert columns["breached_at"][0] == np.datetime64(naive + H + US, "us")
        assert np.isnat(columns["breached_at"][1])


def test_a_clock_paused_exactly_at_its_target_was_due_at_the_pause() -> None:
    """resolution (1 h) ran 09:00-10:00 and waits from 10:00: due at 10:00 (the end of the
    interval it reached its target in), not unknown, not at the resume at 11:00."""
    pol = policy(targets={"resolution": {"P1": H}}, warn_at=(0.5,))
    events = [created(), ev(StatusChanged, T0 + H, status="pending_customer")]
    s = evaluate(pol, events, T0 + 90 * M)["resolution"]
    assert (s.state, s.elapsed, s.due_at, s.warnings) == ("paused", H, T0 + H, (0.5,))
    events.append(ev(StatusChanged, T0 + 2 * H, status="open"))
    report = evaluate(pol, events, T0 + 150 * M)
    s = report["resolution"]
    assert (s.state, s.due_at, s.breached_at) == ("breached", T0 + H, T0 + 2 * H + US)
