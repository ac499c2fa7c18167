"""``stage_metrics`` over small process shapes: which states make a stage moot when the
process has transitions (loops, actions, transitions into states it does not list), and the
shapes it refuses (S-07: stage deadlines count from the start of the case)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace as S

import pytest

from servicekit.errors import PolicyError
from servicekit.sla import stage_metrics

H = timedelta(hours=1)


def state(id: str, deadline: timedelta | None = None, *, final: bool = False,
          rule: str = "") -> S:
    return S(id=id, final=final, deadline=deadline, deadline_rule=rule)


def move(target: str | None, *sources: str) -> S:
    return S(sources=list(sources), target=target)


def test_s07_a_stage_is_moot_in_every_state_it_cannot_be_reached_from() -> None:
    """new -> triage -> (fix <-> wait) -> done, triage -> dropped; an action (no target) and
    a transition into a state the process does not list change nothing. ``fix`` can be
    reached from new, triage, fix and wait (a loop): moot in done and dropped only."""
    process = S(name="svc", states=[
        state("new"), state("triage", 5 * timedelta(minutes=1), rule="S-05"), state("fix", 2 * H),
        state("wait"), state("done", 24 * H, final=True, rule="S-07"),
        state("dropped", final=True)],
        transitions=[move("triage", "new"), move("fix", "triage"), move("wait", "fix"),
                     move("fix", "wait"), move("done", "fix"), move("dropped", "triage"),
                     move(None, "fix"), move("elsewhere", "done")])
    metrics = {m.name: m for m in stage_metrics(process)}
    assert list(metrics) == ["svc_triage", "svc_fix", "svc_done"]
    assert metrics["svc_triage"].cancel_on == tuple(
        f"StatusChanged:{s}" for s in ("fix", "wait", "done", "dropped"))
    assert metrics["svc_fix"].cancel_on == ("StatusChanged:done", "StatusChanged:dropped")
    assert metrics["svc_done"].cancel_on == ("StatusChanged:dropped",)
    assert metrics["svc_triage"].description == (
        "S-05: a svc case reaches 'triage' within 5m of its start")
    assert metrics["svc_fix"].description == "a svc case reaches 'fix' within 2h of its start"
    assert all(m.start_on == ("CaseStarted:svc",) and not m.pausable for m in metrics.values())


def test_without_transitions_a_stage_is_moot_in_the_other_final_states() -> None:
    process = S(name="p", states=[state("a"), state("b", H, final=True),
                                  state("c", 2 * H, final=True), state("d", final=True)])
    metrics = stage_metrics(process)
    assert [(m.name, m.cancel_on) for m in metrics] == [
        ("p_b", ("StatusChanged:c", "StatusChanged:d")),
        ("p_c", ("StatusChanged:b", "StatusChanged:d")),
    ]


def test_a_process_without_deadlines_has_no_stage_metrics() -> None:
    assert stage_metrics(S(name="p", states=[state("a"), state("b", final=True)])) == ()
    assert stage_metrics(S(name="p", states=[])) == ()


@pytest.mark.parametrize(("process", "where"), [
    (S(name="p", states=[state("a")], transitions=[move(5, "a")]),  # type: ignore[arg-type]
     "process.transitions[0]"),
    (S(name="p", states=[state("a")], transitions=[move("a", "a"), S(sources=["a"])]),
     "process.transitions[1]"),
    (S(name="p", states=[state("a"), S(id="b", final=True, deadline=H, deadline_rule=5)]),
     "process.states[1]"),
    (S(name="p", states=[state("a"), S(id="b", final=1, deadline=H, deadline_rule="")]),
     "process.states[1]"),
    (S(name="p", states=None), "process"),
    (S(states=[]), "process"),
])
def test_misshapen_processes_are_policy_errors_naming_the_place(process: S, where: str) -> None:
    with pytest.raises(PolicyError) as info:
        stage_metrics(process)
    assert str(info.value).startswith(f"{where}: expected a process definition")
