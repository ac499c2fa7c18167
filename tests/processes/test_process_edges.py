"""Edges of process definitions (P-01 … P-08): the smallest sound process, names refused by
shape or by python-statemachine, the compiled table's fast-path entries, and guards on a
freshly compiled python-statemachine class (issue 20: tests that would notice)."""

from __future__ import annotations

from typing import Any

import pytest

from servicekit.errors import PolicyError
from servicekit.processes import ProcessDefinition, StateDef, Timeout, TransitionDef


def _state(state_id: str, **kw: Any) -> dict[str, Any]:
    return {"id": state_id, "label": state_id.title(), "label_zh": "状态", **kw}


def _problems(doc: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(PolicyError) as info:
        ProcessDefinition.model_validate(doc)
    return [(p.loc, p.type) for p in info.value.problems]


# -- the smallest process, and the length limits -------------------------------------------------


def test_the_smallest_sound_process_has_a_one_letter_name_two_states_and_one_transition() -> None:
    d = ProcessDefinition.model_validate({
        "name": "x",
        "states": [{"id": "a", "label": "A", "label_zh": "始", "initial": True},
                   {"id": "b", "label": "B", "label_zh": "终", "final": True}],
        "transitions": [{"event": "go", "sources": ["a"], "target": "b"}],
    })
    assert (d.name, d.initial.id, d.state("b").label, d.state("b").label_zh) == (
        "x", "a", "B", "终")
    assert d.table.next_state("a", "go") == "b"


def test_a_one_state_process_is_refused_because_its_transition_leaves_the_final_state() -> None:
    """One state must be both initial and final, so any transition leaves a final state: the
    problem reported is that one, at the transition (not a length limit on ``states``)."""
    doc = {"name": "solo", "states": [_state("only", initial=True, final=True)],
           "transitions": [{"event": "poke", "sources": ["only"], "target": "only"}]}
    assert _problems(doc) == [(("transitions", 0, "sources"), "leaves_final_state")]


@pytest.mark.parametrize("empty", ["name", "states", "transitions"])
def test_a_process_needs_a_name_a_state_and_a_transition(empty: str) -> None:
    doc: dict[str, Any] = {
        "name": "mini",
        "states": [_state("a", initial=True), _state("b", final=True)],
        "transitions": [{"event": "go", "sources": ["a"], "target": "b"}],
    }
    doc[empty] = "" if empty == "name" else []
    assert [loc for loc, _ in _problems(doc)] == [(empty,)]


@pytest.mark.parametrize("label", ["label", "label_zh"])
def test_a_state_label_is_at_least_one_character(label: str) -> None:
    assert StateDef.model_validate({**_state("a"), label: "办"}).model_dump()[label] == "办"
    with pytest.raises(PolicyError) as info:
        StateDef.model_validate({**_state("a"), label: ""})
    assert [p.loc for p in info.value.problems] == [(label,)]


# -- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["Open", "1st", "_x", "in-progress", "a b", "x\n", ""])
@pytest.mark.parametrize("model", ["state", "transition", "timeout"])
def test_ids_and_event_names_are_lower_case_identifiers(model: str, bad: str) -> None:
    build: dict[str, Any] = {
        "state": lambda: StateDef(id=bad, label="L", label_zh="状"),
        "transition": lambda: TransitionDef(event=bad, sources=("a",), target="b"),
        "timeout": lambda: Timeout(after="1h", event=bad),  # type: ignore[arg-type]
    }
    with pytest.raises(PolicyError) as info:
        build[model]()
    assert [p.loc for p in info.value.problems] == [("event",) if model != "state" else ("id",)]
    assert "lower-case letters, digits and _" in str(info.value)


@pytest.mark.parametrize("name", ["done_state_x", "done_invoke_x"])
def test_scxml_event_prefixes_are_refused_for_states_and_events(name: str) -> None:
    """python-statemachine reads ``done_state_x`` as the SCXML event ``done.state.x``: a state
    or an event of such a name is refused at its position, though neither is a reserved name."""
    doc = {
        "name": "mini",
        "states": [_state("a", initial=True), _state(name), _state("b", final=True)],
        "transitions": [{"event": "go", "sources": ["a"], "target": name},
                        {"event": name, "sources": [name], "target": "b"}],
    }
    problems = _problems(doc)
    assert (("states", 1, "id"), "reserved_name") in problems
    assert (("transitions", 1, "event"), "reserved_name") in problems


def test_an_unknown_state_is_refused_without_repeating_its_id() -> None:
    d = ProcessDefinition.model_validate({
        "name": "mini",
        "states": [_state("a", initial=True), _state("b", final=True)],
        "transitions": [{"event": "go", "sources": ["a"], "target": "b"}],
    })
    with pytest.raises(PolicyError) as info:
        d.state("ghost_13800138000")
    assert str(info.value) == "process 'mini' has no such state"


# -- the compiled table --------------------------------------------------------------------------


def _table_doc() -> dict[str, Any]:
    """Every shape a (state, event) key can have: one move without a guard, one with a guard,
    one guarded action, two moves without guards, two with guards."""
    return {
        "name": "shapes",
        "roles": ["agent", "lead"],
        "states": [_state("a", initial=True), _state("b"), _state("c"),
                   _state("z", final=True)],
        "transitions": [
            {"event": "plain", "sources": ["a"], "target": "b"},
            {"event": "checked", "sources": ["a"], "target": "c", "guard": "ok == true"},
            {"event": "note", "sources": ["a"], "guard": "ok == true"},
            {"event": "route", "sources": ["a"], "target": "b", "roles": ["lead"]},
            {"event": "route", "sources": ["a"], "target": "c", "roles": ["agent"]},
            {"event": "pick", "sources": ["b"], "target": "c", "guard": "ok == true",
             "roles": ["lead"]},
            {"event": "pick", "sources": ["b"], "target": "z", "guard": "ok == true",
             "roles": ["agent"]},
            {"event": "finish", "sources": ["b", "c"], "target": "z"},
        ],
    }


def test_the_fast_path_entries_are_exactly_the_keys_with_one_move() -> None:
    """``single`` holds the keys with one move and no guard, ``guarded`` those with one move
    and a guard; keys with several moves are in neither (the chooser decides those by the
    actor's roles), and an action leads back to its own state."""
    table = ProcessDefinition.model_validate(_table_doc()).table
    assert table.single == {("a", "plain"): "b", ("b", "finish"): "z", ("c", "finish"): "z"}
    assert {key: target for key, (_, target) in table.guarded.items()} == {
        ("a", "checked"): "c", ("a", "note"): "a"}
    predicate = table.guarded["a", "note"][0]
    assert (predicate({"ok": True}), predicate({"ok": False})) == (True, False)
    assert [t.target for t in table.candidates("a", "route")] == ["b", "c"]
    assert table.events_from("a") == ("checked", "note", "plain", "route")


def test_the_first_transition_whose_guard_holds_is_chosen() -> None:
    table = ProcessDefinition.model_validate(_table_doc()).table
    assert table.next_state("a", "note", {"ok": True}) == "a"  # an action stays
    assert table.next_state("a", "note", {"ok": False}) is None
    assert table.next_state("a", "checked") is None  # no facts: the fact is missing, false
    first = table.first("b", "pick", {"ok": True})
    assert first is not None
    assert (first.target, first.roles) == ("c", frozenset({"lead"}))
    assert table.first("a", "missing") is None


# -- python-statemachine --------------------------------------------------------------------------


def test_a_freshly_compiled_machine_checks_guards_and_fires_unguarded_moves_without_facts() -> None:
    """The machine class of a new definition (not a cached preset's) carries each guard as a
    condition on its transition, and none on the others."""
    machine_class = ProcessDefinition.model_validate(_table_doc()).machine_class()
    for facts, expected in (({"ok": True}, "c"), ({"ok": False}, "a"), (None, "a")):
        machine = machine_class()
        machine.send("checked", facts=facts)
        assert machine.current_state_value == expected, facts
    machine = machine_class()
    machine.send("plain")
    assert machine.current_state_value == "b"
    machine.send("pick", facts={"ok": True})  # both guards hold: the first listed fires
    assert machine.current_state_value == "c"



def test_a_copy_with_other_transitions_compiles_its_own_table_and_machine() -> None:
    """pydantic's ``model_copy`` copies the private attributes: a copy with other transitions
    kept the original's compiled table (and machine class), so it fired the original's moves."""
    original = ProcessDefinition.model_validate(_table_doc())
    machine_class = original.machine_class()
    extra = TransitionDef(event="skip", sources=("a",), target="z")
    copy = original.model_copy(update={"transitions": (*original.transitions, extra)})
    assert copy.table is not original.table
    assert copy.table.next_state("a", "skip") == "z"
    assert original.table.next_state("a", "skip") is None
    assert copy.table.single[("a", "skip")] == "z"
    copied_machine = copy.machine_class()
    assert copied_machine is not machine_class
    machine = copied_machine()
    machine.send("skip")
    assert machine.current_state_value == "z"
    assert original.machine_class() is machine_class  # the original keeps its own
    same = original.model_copy()
    assert same == original
    assert same.table.single == original.table.single
