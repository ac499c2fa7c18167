"""Escalation ladders (S-11) and warning thresholds at their edges.

A level's ``at`` is a fraction of the target from 0 to 1 inclusive, or ``"breach"``; its
``level`` a number from 1, its ``notify`` a role (not empty); a ladder has at least one level.
A threshold is ``target * fraction`` in microseconds, rounded half to even as ``timedelta``
rounds, and is reached when ``elapsed`` gets to it (``elapsed >= threshold``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicekit.calendar import BusinessCalendar
from servicekit.errors import PolicyError
from servicekit.events import AgentReplied, StatusChanged, TicketCreated
from servicekit.sla import Escalation, EscalationLevel, SlaPolicy, evaluate
from servicekit.sla._batch import _ratio_threshold

H = timedelta(hours=1)
US = timedelta(microseconds=1)
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def policy(*levels: EscalationLevel, **more: Any) -> SlaPolicy:
    fields: dict[str, Any] = {
        "name": "ladder", "calendar": BusinessCalendar.always(),
        "targets": {"first_response": {"P1": H}, "resolution": {"P1": 8 * H}},
        "escalation": Escalation(levels=levels) if levels else None,
    }
    fields.update(more)
    return SlaPolicy(**fields)


def created(at: datetime = T0) -> TicketCreated:
    return TicketCreated(event_id="c", stream_id="T-1", at=at, priority="P1")


# -- the fields of a level and a ladder ----------------------------------------------------------


@pytest.mark.parametrize("at", [0, 0.0, 1, 1.0, 0.5, "breach"])
def test_s11_a_level_at_0_or_1_inclusive_or_at_the_breach_is_accepted(at: object) -> None:
    level = EscalationLevel(level=1, at=at, notify="agent")  # type: ignore[arg-type]
    assert level.at == at


@pytest.mark.parametrize("at", [-0.0001, 1.0001, -1, 2, 1.5])
def test_s11_a_level_at_outside_0_to_1_is_a_policy_error(at: float) -> None:
    with pytest.raises(PolicyError, match="fraction of the target"):
        EscalationLevel(level=1, at=at, notify="agent")


@pytest.mark.parametrize("at", [True, False, "0.5", "Breach", "", "1"])
def test_s11_a_level_at_that_is_a_bool_or_other_text_is_a_policy_error(at: object) -> None:
    with pytest.raises(PolicyError, match="a number from 0 to 1 or 'breach'"):
        EscalationLevel(level=1, at=at, notify="agent")  # type: ignore[arg-type]


def test_s11_levels_count_from_1_and_notify_someone() -> None:
    assert EscalationLevel(level=1, at=0.5, notify="a").level == 1
    assert EscalationLevel(level=1, at=0.5, notify="a").notify == "a"  # one letter is a role
    with pytest.raises(PolicyError, match="level"):
        EscalationLevel(level=0, at=0.5, notify="agent")
    with pytest.raises(PolicyError, match="notify"):
        EscalationLevel(level=1, at=0.5, notify="")


def test_s11_a_ladder_has_at_least_one_level_in_increasing_order() -> None:
    one = Escalation(levels=[EscalationLevel(level=3, at="breach", notify="director")])
    assert [lv.level for lv in one.levels] == [3]
    gaps = Escalation(levels=[EscalationLevel(level=1, at=0.5, notify="a"),
                              EscalationLevel(level=4, at=0.9, notify="b")])
    assert [lv.level for lv in gaps.levels] == [1, 4]
    with pytest.raises(PolicyError, match="levels"):
        Escalation(levels=[])
    with pytest.raises(PolicyError, match="increasing order, each once"):
        Escalation(levels=[EscalationLevel(level=1, at=0.5, notify="a"),
                           EscalationLevel(level=1, at=0.9, notify="b")])


# -- when levels are reached ---------------------------------------------------------------------


def test_s11_a_level_at_0_is_reached_when_the_clock_starts() -> None:
    pol = policy(EscalationLevel(level=1, at=0, notify="agent", metrics=("resolution",)))
    report = evaluate(pol, [created()], T0)
    esc = report.escalations()
    assert [(s.level, s.metric, s.at, s.trigger) for s in esc.reached] == [
        (1, "resolution", T0, 0)]
    assert esc.next is None


def test_s11_a_level_at_1_is_reached_at_the_due_instant_not_the_breach() -> None:
    pol = policy(EscalationLevel(level=1, at=1, notify="lead", metrics=("resolution",)),
                 EscalationLevel(level=2, at="breach", notify="manager",
                                 metrics=("resolution",)))
    due = T0 + 8 * H
    before = evaluate(pol, [created()], due - US).escalations()
    assert before.reached == ()
    assert before.next is not None
    assert (before.next.level, before.next.at) == (1, due)
    at_due = evaluate(pol, [created()], due)
    assert at_due["resolution"].state == "running"  # at its target: still within it
    esc = at_due.escalations()
    assert [(s.level, s.at) for s in esc.reached] == [(1, due)]
    assert esc.next is not None
    assert (esc.next.level, esc.next.at, esc.next.notify) == (2, due + US, "manager")
    after = evaluate(pol, [created()], due + US).escalations()
    assert [(s.level, s.at) for s in after.reached] == [(1, due), (2, due + US)]
    assert after.next is None


def test_s11_a_projected_level_is_reached_at_its_instant_exactly() -> None:
    """``escalations(now)`` for a later ``now``: a level whose instant is ``now`` is reached;
    one microsecond before, it is the next."""
    pol = policy(EscalationLevel(level=1, at=0.5, notify="agent", metrics=("resolution",)))
    report = evaluate(pol, [created()], T0 + H)
    half = T0 + 4 * H
    esc = report.escalations(half)
    assert [(s.level, s.at) for s in esc.reached] == [(1, half)]
    assert esc.next is None
    esc = report.escalations(half - US)
    assert esc.reached == ()
    assert esc.next is not None
    assert (esc.next.level, esc.next.at) == (1, half)


def test_s11_a_paused_clock_reaches_no_further_level_but_keeps_those_reached() -> None:
    """Paused at 5 h of 8: level 1 (50 %) was reached at 13:00; level 2 (75 %) is not, and is
    not due while the clock waits, however late one asks."""
    pol = policy(EscalationLevel(level=1, at=0.5, notify="a", metrics=("resolution",)),
                 EscalationLevel(level=2, at=0.75, notify="b", metrics=("resolution",)))
    events = [created(), AgentReplied(event_id="r", stream_id="T-1", at=T0 + H),
              StatusChanged(event_id="p", stream_id="T-1", at=T0 + 5 * H,
                            status="pending_customer")]
    report = evaluate(pol, events, T0 + 6 * H)
    assert report["resolution"].state == "paused"
    for asked in (None, T0 + 100 * H):
        esc = report.escalations(asked)
        assert [(s.level, s.at) for s in esc.reached] == [(1, T0 + 4 * H)]
        assert esc.next is None


def test_s11_the_next_level_is_the_earliest_step_ahead_of_any_metric() -> None:
    """Level 1 reached on first response (50 % of 1 h at 09:30); ahead are first response's
    breach (level 2, 10:00:00.000001) and resolution's level 1 (50 % of 8 h, 13:00): the next
    is the earlier, first response's breach (issue 19)."""
    pol = policy(EscalationLevel(level=1, at=0.5, notify="a"),
                 EscalationLevel(level=2, at="breach", notify="b"))
    esc = evaluate(pol, [created()], T0 + 45 * timedelta(minutes=1)).escalations()
    assert [(s.level, s.metric) for s in esc.reached] == [(1, "first_response")]
    assert esc.next is not None
    assert (esc.next.level, esc.next.metric, esc.next.at) == (
        2, "first_response", T0 + H + US)


# -- warning thresholds: target * fraction, rounded half to even ---------------------------------


@settings(max_examples=300, deadline=None, database=None)
@given(st.integers(0, 10 ** 15), st.floats(0.0, 1.0, exclude_min=False))
def test_a_threshold_is_target_times_fraction_as_timedelta_rounds(target: int,
                                                                 fraction: float) -> None:
    """The engine's integer threshold agrees with ``timedelta * float`` (round half to even)."""
    expected = timedelta(microseconds=target) * fraction // US
    assert _ratio_threshold(target, fraction.as_integer_ratio()) == expected


@pytest.mark.parametrize(("target_us", "fraction", "threshold_us"), [
    (3, 0.5, 2),    # 1.5 -> 2 (half to even, up)
    (5, 0.5, 2),    # 2.5 -> 2 (half to even, down)
    (7, 0.5, 4),    # 3.5 -> 4
    (3, 0.75, 2),   # 2.25 -> 2
    (7, 0.75, 5),   # 5.25 -> 5
    (5, 0.75, 4),   # 3.75 -> 4
    (4, 0.75, 3),   # exact
])
def test_warnings_cross_at_the_rounded_threshold(target_us: int, fraction: float,
                                                 threshold_us: int) -> None:
    """A warning is crossed once ``elapsed`` reaches the rounded threshold, and
    ``next_check_at`` is that instant while it is ahead."""
    pol = policy(targets={"resolution": {"P1": target_us * US}}, warn_at=(fraction,))
    threshold = T0 + threshold_us * US
    before = evaluate(pol, [created()], threshold - US)
    assert before["resolution"].warnings == ()
    assert before.next_check_at == threshold
    at = evaluate(pol, [created()], threshold)
    assert at["resolution"].warnings == (fraction,)
    assert at.next_check_at == T0 + (target_us + 1) * US  # then the breach


def test_s11_level_thresholds_round_like_warnings() -> None:
    """A level at 0.5 of a 5 µs target is reached at 2 µs (2.5 rounds to even)."""
    pol = policy(EscalationLevel(level=1, at=0.5, notify="a", metrics=("resolution",)),
                 targets={"resolution": {"P1": 5 * US}})
    esc = evaluate(pol, [created()], T0 + 2 * US).escalations()
    assert [(s.level, s.at) for s in esc.reached] == [(1, T0 + 2 * US)]
    esc = evaluate(pol, [created()], T0 + US).escalations()
    assert esc.reached == ()
    assert esc.next is not None
    assert esc.next.at == T0 + 2 * US
