"""``report.escalations().next`` is the earliest escalation step still ahead, whichever metric
reaches it (S-11; issue 19).

It used to skip every upcoming step whose level number some other metric had reached, so once
any clock reached the top of the ladder (a phone ticket's one-minute first response, within
minutes) ``next`` was ``None`` for the rest of the ticket's life, although other clocks'
levels were still ahead. Ties (two steps at one instant) go to the lowest level.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from test_sla_properties import SETTINGS, History, histories, shift

from servicekit.calendar import BusinessCalendar
from servicekit.events import TicketCreated
from servicekit.presets.handbook import policy as handbook_document
from servicekit.sla import Escalation, EscalationLevel, SlaPolicy, evaluate

SH = ZoneInfo("Asia/Shanghai")
US = timedelta(microseconds=1)


def test_s11_next_is_ahead_for_another_metric_after_one_reached_the_top_level() -> None:
    """The issue's case: the handbook policy, a phone complaint opened on the eve of National
    Day, five minutes old. First response (60 s, calendar time) has reached both levels;
    business response (S-01, 4 business hours) reaches level 1 (75 %: 3 h) on 8 October at
    10:30, after the holiday: that is the next step."""
    sla = handbook_document().sla["handbook"]
    t0 = datetime(2026, 9, 30, 16, 30, tzinfo=SH)
    created = TicketCreated(event_id="c", ticket_id="T-1", at=t0, priority="P3",
                            channel="phone", category="complaint")
    report = evaluate(sla, [created], t0 + timedelta(minutes=5))
    esc = report.escalations()
    assert [(s.level, s.metric) for s in esc.reached] == [
        (1, "first_response"), (2, "first_response")]
    assert esc.next is not None
    assert (esc.next.level, esc.next.notify, esc.next.metric, esc.next.at, esc.next.trigger) == (
        1, "agent", "business_response", datetime(2026, 10, 8, 10, 30, tzinfo=SH), 0.75)
    # and after it, business response's breach (4 h: 8 October 11:30 and a microsecond)
    later = report.escalations(datetime(2026, 10, 8, 10, 30, tzinfo=SH))
    assert later.next is not None
    assert (later.next.level, later.next.metric, later.next.at) == (
        2, "business_response", datetime(2026, 10, 8, 11, 30, tzinfo=SH) + US)


def test_s11_steps_due_at_one_instant_go_to_the_lowest_level() -> None:
    """Two metrics with one target, started together: level 1 of each at 50 %, level 2 at the
    breach. Level 1 is due for both at once: ``next`` is level 1 (of either metric)."""
    h = timedelta(hours=1)
    pol = SlaPolicy(
        name="ties", calendar=BusinessCalendar.always(),
        targets={"first_response": {"P1": 2 * h}, "resolution": {"P1": 2 * h}},
        escalation=Escalation(levels=[EscalationLevel(level=1, at=0.5, notify="a"),
                                      EscalationLevel(level=2, at="breach", notify="b")]))
    t0 = datetime(2026, 3, 2, 9, tzinfo=SH)
    report = evaluate(pol, [TicketCreated(event_id="c", stream_id="T", at=t0, priority="P1")],
                      t0)
    esc = report.escalations()
    assert esc.next is not None
    assert (esc.next.level, esc.next.at) == (1, t0 + h)
    # half-way: level 1 reached on both; the next is level 2 at the breach
    esc = report.escalations(t0 + h)
    assert [s.level for s in esc.reached] == [1, 1]
    assert esc.next is not None
    assert (esc.next.level, esc.next.at) == (2, t0 + 2 * h + US)


@SETTINGS
@given(histories())
def test_s11_next_is_the_earliest_step_still_ahead(h: History) -> None:
    """Over random histories: nothing is reached between ``now`` and ``next.at``; at
    ``next.at`` the step is reached (with any other step due then, none of a lower level);
    without a ``next``, no step is ever reached later, however late one asks."""
    report = evaluate(h.policy, h.events, h.now)
    esc = report.escalations()
    reached = set(esc.reached)
    if esc.next is None:
        far = report.escalations(shift(h.now, timedelta(days=3650 * 3)))
        assert set(far.reached) == reached
        return
    step = esc.next
    assert step.at > h.now
    assert step not in reached
    just_before = report.escalations(shift(step.at, -US))
    assert set(just_before.reached) == reached
    at_it = report.escalations(step.at)
    new = set(at_it.reached) - reached
    assert step in new
    assert all(s.at == step.at and s.level >= step.level for s in new)
