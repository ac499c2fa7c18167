"""Which clocks a complaint command may have missed (issue 11; S-01, S-02, K-02, K-06).

The complaint asks the SLA engine for the remedies owed (K-06) only when a command may have
missed a public commitment: for the clocks whose course its stages decide (started by the
complaint's start, never paused, stopped and cancelled by entering stages, a target of their
own), it first checks the business time itself; any other public commitment is left to the SLA
engine at every command. These tests pin which clocks take which path, and that each path owes
what the SLA engine says, on the variants of ``commitment_variants``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from commitment_variants import HB, S01, S02, VARIANTS, variant
from complaint_world import AGENT, LEAD, SPECIALIST, SYSTEM, T0, D, H, M, received

from servicekit.complaints import Complaint, RemedyOwed, default_complaint_process
from servicekit.complaints._commitments import commitments_of
from servicekit.presets import handbook
from servicekit.sla import Metric, SlaPolicy, evaluate

PROCESS = default_complaint_process()
POLICIES = {name: handbook.complaint_policy(variant(name)) for name in VARIANTS}


def _with(metric: str, **changes: object) -> SlaPolicy:
    """The handbook's SLA policy with one complaint clock changed."""
    fields = {f: getattr(HB, f) for f in SlaPolicy.model_fields}
    fields["metrics"] = tuple(
        Metric(**({f: getattr(m, f) for f in Metric.model_fields} | changes))
        if m.name == metric else m for m in HB.metrics)
    return SlaPolicy(**fields)


# -- which path each clock takes ---------------------------------------------------------------

PATHS = {
    # variant: (clocks checked by the complaint, clocks left to the SLA engine)
    "handbook": ((S01, S02), ()),
    "paused": ((S01,), (S02,)),  # a pausable clock
    "retargeted": ((), (S01, S02)),  # targets from the target table (one has none of its own)
    "restarted": ((S01,), (S02,)),  # started by another event too
    "escalation_stops": ((S02,), (S01,)),  # stopped by an event that is not a stage
    "private_clock": ((S01, S02), ()),  # a clock that is no public commitment: neither
}


@pytest.mark.parametrize("name", VARIANTS)
def test_the_clocks_the_stages_decide_are_checked_by_the_complaint(name: str) -> None:
    found = commitments_of(variant(name), PROCESS)
    fast, exact = PATHS[name]
    assert tuple(c.metric for c in found.fast) == fast
    assert found.exact == exact
    assert dict(found.rules) == {S01: "S-01", S02: "S-02"}  # the deadlines' rules, every path
    assert found.shortest == min((c.target for c in found.fast), default=None)
    assert found.finals == {"loop_closed", "withdrawn"}
    for c in found.fast:
        assert c.target == {S01: 4 * H, S02: D}[c.metric]
        assert c.stops == {S01: {"acknowledged"}, S02: {"solution_proposed"}}[c.metric]
        assert "withdrawn" in c.cancels


@pytest.mark.parametrize(("change", "fast", "exact"), [
    pytest.param({"start_on": ("CaseStarted",)}, (S01, S02), (), id="any-case-start"),
    pytest.param({"start_on": ("CaseStarted", "CaseStarted:complaint")}, (S01, S02), (),
                 id="both-case-starts"),
    pytest.param({"start_on": ("CaseStarted:complaint", "ComplaintHandled")}, (S01,), (S02,),
                 id="another-start"),
    pytest.param({"cancel_on": ("StatusChanged:withdrawn", "ComplaintEscalated")}, (S01,),
                 (S02,), id="cancelled-by-an-event"),
    pytest.param({"cancel_on": ("StatusChanged:withdrawn", "StatusChanged:nowhere")}, (S01,),
                 (S02,), id="cancelled-by-another-process-stage"),
    pytest.param({"target": None}, (S01,), (), id="no-target"),
])
def test_a_clock_the_stages_do_not_decide_is_left_to_the_sla_engine(
        change: dict[str, object], fast: tuple[str, ...], exact: tuple[str, ...]) -> None:
    found = commitments_of(_with(S02, **change), PROCESS)
    assert tuple(c.metric for c in found.fast) == fast
    assert found.exact == exact


def test_a_clock_without_a_target_is_no_commitment_and_hides_none_after_it() -> None:
    found = commitments_of(_with(S01, target=None), PROCESS)
    assert tuple(c.metric for c in found.fast) == (S02,)
    assert found.exact == ()
    assert found.shortest == D


def test_a_clock_no_public_commitment_and_one_started_by_tickets_are_no_commitments() -> None:
    found = commitments_of(variant("private_clock"), PROCESS)
    every = {c.metric for c in found.fast} | set(found.exact) | set(found.rules)
    assert every == {S01, S02}  # not complaint_closed_fast; not the tickets' clocks
    assert "business_response" in HB.public_commitments  # public, but started by tickets


# -- each path owes what the SLA engine says -----------------------------------------------------


def owed(c: Complaint) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(e.metric, e.rule, e.remedies) for e in c.history if isinstance(e, RemedyOwed)]


def sla_says(c: Complaint, sla: SlaPolicy) -> set[str]:
    report = evaluate(sla, c.history, c.updated_at)
    return {m for m in (S01, S02) if report[m].breached_cycles}


def test_s01_owed_then_s02_late_owes_s02_too() -> None:
    """S-01 then S-02: a commitment already owed does not hide the next one."""
    c = received().acknowledge(at=T0 + 6 * H, by=AGENT)  # S-01: 4 business hours
    assert [m for m, _, _ in owed(c)] == [S01]
    c = c.analyse(nature="billing", severity=3, scope="group", urgency="medium",
                  at=T0 + 6 * H, by=SPECIALIST)
    c = c.propose_solution(remedies=["apology"], summary="refund", at=T0 + 4 * D,
                           by=SPECIALIST)  # S-02: 24 business hours; 32 by Friday
    assert [(m, r) for m, r, _ in owed(c)] == [(S01, "S-01"), (S02, "S-02")]


def test_a_clock_running_on_time_does_not_hide_a_shorter_one_past_its_deadline() -> None:
    """With S-01 given 30 business hours (longer than S-02's 24), a command on the fourth
    working day finds S-01 still on time and S-02 late: S-02 is owed."""
    policy = handbook.complaint_policy(_with(S01, target=timedelta(hours=30)))
    c = received(policy=policy).escalate(level=1, at=T0 + 3 * D + 2 * H, by=LEAD)  # 26 h
    assert c.stage == "received"
    assert [(m, r) for m, r, _ in owed(c)] == [(S02, "S-02")]
    assert sla_says(c, policy.sla) == {S02}


@pytest.mark.parametrize("name", VARIANTS)
def test_a_late_acknowledgement_owes_s01_on_either_path(name: str) -> None:
    policy = POLICIES[name]
    c = received(policy=policy).acknowledge(at=T0 + 6 * H, by=AGENT)
    assert [(m, r) for m, r, _ in owed(c)] == [(S01, "S-01")]
    assert sla_says(c, policy.sla) == {S01}


def test_a_table_target_by_priority_owes_s02_early() -> None:
    """K-02 priority P1 gives S-02 two hours in the ``retargeted`` table: a solution three
    hours after the receipt is late there, on time in the handbook's."""
    def life(policy: object) -> Complaint:
        c = received(policy=policy).acknowledge(at=T0 + H, by=AGENT)
        c = c.analyse(nature="billing", severity=6, scope="widespread", urgency="high",
                      at=T0 + 90 * M, by=SPECIALIST)
        return c.propose_solution(remedies=["apology"], summary="refund", at=T0 + 3 * H,
                                  by=SPECIALIST)

    late, on_time = life(POLICIES["retargeted"]), life(POLICIES["handbook"])
    assert late.priority in ("P1", "P2")
    assert on_time.priority == late.priority
    assert [m for m, _, _ in owed(late)] == [S02]
    assert sla_says(late, POLICIES["retargeted"].sla) == {S02}
    assert owed(on_time) == []


def test_a_paused_clock_owes_nothing_for_the_time_it_was_paused() -> None:
    """S-02 paused while analysing (``paused``): a long analysis is not late there."""
    def life(policy: object) -> Complaint:
        c = received(policy=policy).acknowledge(at=T0 + H, by=AGENT)
        c = c.analyse(nature="billing", severity=3, scope="group", urgency="medium",
                      at=T0 + 2 * H, by=SPECIALIST)
        return c.propose_solution(remedies=["apology"], summary="refund", at=T0 + 4 * D,
                                  by=SPECIALIST)

    assert owed(life(POLICIES["paused"])) == []
    assert [m for m, _, _ in owed(life(POLICIES["handbook"]))] == [S02]


def test_an_escalation_that_stops_s01_owes_nothing_for_a_late_acknowledgement() -> None:
    def life(policy: object) -> Complaint:
        c = received(policy=policy).escalate(level=1, at=T0 + H, by=LEAD)
        return c.acknowledge(at=T0 + 6 * H, by=AGENT)

    assert owed(life(POLICIES["escalation_stops"])) == []
    assert [m for m, _, _ in owed(life(POLICIES["handbook"]))] == [S01]


def test_the_sweep_owes_on_the_sla_engine_path_too() -> None:
    policy = POLICIES["retargeted"]
    c = received(policy=policy)
    assert c.apply_timeouts(T0 + 3 * H) is c
    late = c.apply_timeouts(T0 + 6 * H)
    (e,) = late.history[len(c.history):]
    assert isinstance(e, RemedyOwed)
    assert (e.metric, e.rule, e.by) == (S01, "S-01", SYSTEM.id)
    assert e.breached_at == evaluate(policy.sla, c.history, T0 + 6 * H)[S01].breached_at


def test_a_clock_that_is_no_public_commitment_is_never_owed() -> None:
    policy = POLICIES["private_clock"]
    c = received(policy=policy).apply_timeouts(T0 + 3 * H)
    assert evaluate(policy.sla, c.history, T0 + 3 * H)["complaint_closed_fast"].state == (
        "breached")
    assert owed(c) == []


def test_a_final_stage_owes_nothing_more() -> None:
    """A withdrawn complaint owes nothing for a clock that ran out after its last command."""
    c = received().withdraw(reason="solved elsewhere", at=T0 + H, by=LEAD)
    assert c.apply_timeouts(T0 + 3 * D) is c
