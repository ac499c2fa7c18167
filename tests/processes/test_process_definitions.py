"""Process definitions (P-01 … P-08): soundness checks, compilation, diagrams, and agreement
between the fast transition table and python-statemachine."""

from __future__ import annotations

import itertools
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from servicekit.errors import PolicyError, ServiceKitError
from servicekit.presets.processes import COMPLAINT_ROLES, ROLES, all_processes, complaint_process
from servicekit.processes import ProcessDefinition

CASES = str(Path(__file__).resolve().parents[1] / "cases")  # the sample processes
if CASES not in sys.path:
    sys.path.insert(0, CASES)
from sample_processes import satisfaction_loop_process  # noqa: E402

PRESETS = all_processes()
#: the roles each preset names (P-07): the ticket's, and the complaint specialist (投诉专员)
#: besides for complaints
PRESET_ROLES = {name: COMPLAINT_ROLES if name == "complaint" else ROLES for name in PRESETS}


def _doc(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "mini",
        "roles": ["agent"],
        "fields": ["note"],
        "states": [
            {"id": "start", "label": "Start", "label_zh": "开始", "initial": True},
            {"id": "middle", "label": "Middle", "label_zh": "中间"},
            {"id": "end", "label": "End", "label_zh": "结束", "final": True},
        ],
        "transitions": [
            {"event": "go", "sources": ["start"], "target": "middle", "roles": ["agent"]},
            {"event": "finish", "sources": ["middle"], "target": "end", "requires": ["note"]},
        ],
    }
    base.update(changes)
    return base


def test_a_sound_definition_loads_and_round_trips() -> None:
    d = ProcessDefinition.model_validate(_doc())
    assert ProcessDefinition.model_validate_json(d.model_dump_json()) == d
    assert d.initial.id == "start"
    assert d.table.next_state("start", "go") == "middle"
    assert d.table.next_state("start", "finish") is None


def test_every_soundness_problem_is_reported_at_once() -> None:
    doc = _doc(
        states=[
            {"id": "start", "label": "Start", "label_zh": "开始", "initial": True},
            {"id": "middle", "label": "Middle", "label_zh": "中间"},
            {"id": "end", "label": "End", "label_zh": "结束", "final": True},
            {"id": "orphan", "label": "Orphan", "label_zh": "孤立"},
        ],
        transitions=[
            {"event": "go", "sources": ["start"], "target": "middle", "roles": ["wizard"]},
            {"event": "finish", "sources": ["middle"], "target": "end", "requires": ["ghost"]},
            {"event": "again", "sources": ["end"], "target": "start"},
            {"event": "jump", "sources": ["start"], "target": "nowhere"},
        ],
    )
    with pytest.raises(PolicyError) as info:
        ProcessDefinition.model_validate(doc)
    message = str(info.value)
    # unknown names are placed, not repeated (issue 10, item 15)
    for expected in ("transitions[0].roles: 1 unknown role(s)",
                     "transitions[1].requires: requires unknown field(s), at position(s) 0",
                     "leaves final state", "transitions[3]: unknown state(s) at target"):
        assert expected in message
    for name in ("wizard", "ghost", "nowhere"):
        assert name not in message


def test_unreachable_and_dead_end_states_are_rejected() -> None:
    doc = _doc(states=[
        {"id": "start", "label": "Start", "label_zh": "开始", "initial": True},
        {"id": "middle", "label": "Middle", "label_zh": "中间"},
        {"id": "end", "label": "End", "label_zh": "结束", "final": True},
        {"id": "island", "label": "Island", "label_zh": "孤岛"},
        {"id": "trap", "label": "Trap", "label_zh": "陷阱"},
    ], transitions=[
        {"event": "go", "sources": ["start"], "target": "middle"},
        {"event": "finish", "sources": ["middle"], "target": "end"},
        {"event": "fall", "sources": ["middle"], "target": "trap"},
    ])
    with pytest.raises(PolicyError) as info:
        ProcessDefinition.model_validate(doc)
    assert "unreachable state(s): island" in str(info.value)
    assert "no way to a final state: trap" in str(info.value)


def test_a_state_named_like_an_event_is_rejected() -> None:
    """python-statemachine would silently lose the state; we refuse the definition."""
    doc = _doc(transitions=[
        {"event": "middle", "sources": ["start"], "target": "middle"},
        {"event": "finish", "sources": ["middle"], "target": "end"},
    ])
    with pytest.raises(PolicyError, match="both as a state and as an event: middle"):
        ProcessDefinition.model_validate(doc)


def test_one_initial_and_a_final_state_are_required() -> None:
    doc = _doc(states=[
        {"id": "start", "label": "Start", "label_zh": "开始"},
        {"id": "middle", "label": "Middle", "label_zh": "中间"},
        {"id": "end", "label": "End", "label_zh": "结束"},
    ])
    with pytest.raises(PolicyError) as info:
        ProcessDefinition.model_validate(doc)
    assert "exactly one initial state" in str(info.value)
    assert "at least one final state" in str(info.value)
    assert isinstance(info.value, ServiceKitError)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_are_sound_labelled_and_cite_roles(name: str) -> None:
    d = PRESETS[name]
    assert all(s.label and s.label_zh for s in d.states)
    assert d.roles == PRESET_ROLES[name]
    assert all(t.roles <= d.roles for t in d.transitions)
    assert ProcessDefinition.model_validate_json(d.model_dump_json()) == d


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_mermaid_diagram_shows_every_state(name: str) -> None:
    d = PRESETS[name]
    diagram = d.to_mermaid()
    assert diagram.startswith("stateDiagram-v2")
    for s in d.states:
        assert f'state "{s.label}" as {s.id}' in diagram
    assert d.machine_class() is d.machine_class()  # compiled once


#: Facts that make each preset guard true and false (and leave its facts out). The ticket's
#: reopen guard is a datetime expression: exactly at the 7-day boundary, a microsecond after it,
#: long after, at the resolution itself, and across a change of time zone.
_RESOLVED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_SHANGHAI = timezone(timedelta(hours=8))
GUARD_FACTS: dict[str, list[dict[str, Any]]] = {
    "customer_satisfied == true": [
        {"customer_satisfied": True}, {"customer_satisfied": False}, {},
    ],
    "customer_satisfied == false": [
        {"customer_satisfied": True}, {"customer_satisfied": False}, {},
    ],
    "complex == true": [{"complex": True}, {"complex": False}, {}],
    "at - resolved_at <= 7d": [
        {"resolved_at": _RESOLVED, "at": _RESOLVED},
        {"resolved_at": _RESOLVED, "at": _RESOLVED + timedelta(days=7)},
        {"resolved_at": _RESOLVED,
         "at": (_RESOLVED + timedelta(days=6, hours=23)).astimezone(_SHANGHAI)},
        {"resolved_at": _RESOLVED, "at": _RESOLVED + timedelta(days=7, microseconds=1)},
        {"resolved_at": _RESOLVED, "at": _RESOLVED + timedelta(days=30)},
        {"at": _RESOLVED},
    ],
}


def _guards(d: ProcessDefinition) -> list[str]:
    return sorted({str(t.guard) for t in d.transitions if t.guard is not None})


def _fact_sets(d: ProcessDefinition) -> list[dict[str, Any]]:
    """Facts that make every guard of a preset both true and false: the product of each
    guard's own fact sets (:data:`GUARD_FACTS`), merged."""
    missing = [g for g in _guards(d) if g not in GUARD_FACTS]
    assert not missing, f"add fact sets for the guards {missing} to GUARD_FACTS"
    per_guard = [GUARD_FACTS[g] for g in _guards(d)]
    return [{k: v for facts in combination for k, v in facts.items()}
            for combination in itertools.product(*per_guard)]


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_the_fact_sets_make_every_guard_true_and_false(name: str) -> None:
    d = PRESETS[name]
    sets = _fact_sets(d)
    for t in d.transitions:
        if t.guard is not None:
            outcomes = {t.guard.evaluate(facts) for facts in sets}
            assert outcomes == {True, False}, (t.event, str(t.guard))


class _Fired:
    """A python-statemachine listener recording every transition that ran, targetless
    transitions (actions that stay in the state) included."""

    def __init__(self) -> None:
        self.transitions: list[tuple[str, str | None]] = []

    def after_transition(self, event: Any, source: Any, target: Any) -> None:
        self.transitions.append((str(event), None if target is None else str(target.id)))


def test_the_listener_tells_a_targetless_transition_from_no_transition() -> None:
    """python-statemachine ignores an event without a transition, and a targetless transition
    leaves the state as it is: only the listener tells the two apart."""
    machine_class = PRESETS["ticket"].machine_class()
    for event, fired in (("change_priority", [("change_priority", None)]), ("resolve", [])):
        listener = _Fired()
        machine = machine_class(start_value="new", listeners=[listener])
        machine.send(event, facts={})
        assert machine.current_state_value == "new"
        assert listener.transitions == fired


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_transition_table_agrees_with_python_statemachine(name: str) -> None:
    """The fast path and python-statemachine agree, for every state, every event and every guard
    outcome, on whether a transition fires (a targetless one included) and where it leads."""
    d = PRESETS[name]
    machine_class = d.machine_class()
    events = sorted({t.event for t in d.transitions})
    outcomes: set[tuple[bool, bool]] = set()  # (fired, targetless)
    for state in d.states:
        for event in events:
            for facts in _fact_sets(d):
                found = d.table.first(state.id, event, facts)
                expected = d.table.next_state(state.id, event, facts)
                listener = _Fired()
                machine = machine_class(start_value=state.id, listeners=[listener])
                machine.send(event, facts=facts)
                where = (state.id, event, facts)
                assert bool(listener.transitions) == (expected is not None), where
                assert machine.current_state_value == (expected or state.id), where
                if found is not None:
                    assert listener.transitions == [(event, found.target)], where
                outcomes.add((found is not None, found is not None and found.target is None))
    assert (False, False) in outcomes
    assert (True, False) in outcomes
    if any(t.target is None for t in d.transitions):
        assert (True, True) in outcomes


def test_the_ticket_reopen_guard_agrees_on_both_sides_of_the_window() -> None:
    """P-01 / the contract: reopen only within 7 days of the resolution, exactly 7 days
    included, on the table and on python-statemachine alike."""
    d = PRESETS["ticket"]
    machine_class = d.machine_class()
    for after, expected in ((timedelta(days=7), "open"),
                            (timedelta(days=7, microseconds=1), None)):
        facts = {"resolved_at": _RESOLVED, "at": _RESOLVED + after}
        assert d.table.next_state("resolved", "reopen", facts) == expected
        machine = machine_class(start_value="resolved")
        machine.send("reopen", facts=facts)
        assert machine.current_state_value == (expected or "resolved")


def test_complaint_receive_requires_the_p03_fields() -> None:
    """P-03: a complaint is received with its time, complainant, content and cause. The
    redrawn process starts in ``received``: the receipt is the case's start (its time and
    complainant are CaseStarted's ``at`` and ``customer_id``), recording the fields the process
    declares; no transition leads back into it. (``Complaint.receive`` refuses empty ones:
    tests/complaints.) The pre-issue-11 process, the sample, required them on ``receive``."""
    p = complaint_process()
    assert p.initial.id == "received"
    assert {"content", "cause", "channel", "remedy_sought"} <= p.fields
    assert all(t.target != "received" for t in p.transitions)
    receive = satisfaction_loop_process().table.candidates("submitted", "receive")[0]
    assert receive.requires == ("complaint_time", "complainant", "content", "cause")


def test_stage_deadlines_cite_their_rules() -> None:
    deadlines = {k: v for p in PRESETS.values() for k, v in p.deadlines().items()}
    assert deadlines["complaint_acknowledged"] == (timedelta(hours=4), "S-01")
    assert deadlines["complaint_solution_proposed"] == (timedelta(hours=24), "S-02")
    assert deadlines["consultation_answered"] == (timedelta(hours=24), "S-03")
    assert deadlines["repair_triaged"] == (timedelta(minutes=5), "S-05")
    assert deadlines["repair_visit_arranged"] == (timedelta(hours=48), "S-06")


def test_guards_are_rule_engine_conditions() -> None:
    """Two guarded transitions of one event pair (the sample's close and rework), and the
    consultation's follow-up (P-02: complex issues only)."""
    table = satisfaction_loop_process().table
    assert table.next_state("feedback_given", "close", {"customer_satisfied": True}) == "closed"
    assert table.next_state("feedback_given", "close", {"customer_satisfied": False}) is None
    assert table.next_state("feedback_given", "rework",
                            {"customer_satisfied": False}) == "analysed"
    assert table.next_state("feedback_given", "close", {}) is None  # missing fact: false
    consultation = PRESETS["consultation"].table
    assert consultation.next_state("answered", "follow_up", {"complex": True}) == "following_up"
    assert consultation.next_state("answered", "follow_up", {"complex": False}) is None
    assert consultation.next_state("answered", "follow_up", {}) is None


def test_the_docs_show_every_preset_diagram_as_rendered_today() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "processes.md").read_text("utf-8")
    for d in PRESETS.values():
        assert d.to_mermaid().rstrip() in page, d.name
    # the complaint's flow is shown without its actions too
    assert PRESETS["complaint"].to_mermaid(actions=False).rstrip() in page
