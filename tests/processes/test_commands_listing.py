"""``process.commands``: a process's commands, read from its transitions (issue 19, "Commands").

``ProcessDefinition.commands`` is a read-only mapping (``ProcessCommands``) from each command
name, in the order the transitions first name it, to a ``CommandInfo``: the roles allowed to
give it (P-07 / P-08; empty: any role), the fields it requires (P-03, P-04), the states it may
be given in and those it leads to, whether it is an action that keeps the state, whether a
guard decides it, and its transitions. Both are JSON-ready through ``to_dict()``.

Every preset (``servicekit.presets.processes`` and the handbook policy's processes) and random
sound definitions (hypothesis) are checked against the transitions themselves.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from servicekit.errors import InvalidInputError, ServiceKitError
from servicekit.presets import handbook
from servicekit.presets.processes import all_processes, ticket_process
from servicekit.processes import CommandInfo, ProcessCommands, ProcessDefinition

PRESETS = all_processes()
HANDBOOK = dict(handbook.policy().processes)


def expected(process: ProcessDefinition) -> dict[str, dict[str, Any]]:
    """What the commands must say, computed from the transitions in the plainest way."""
    order = [s.id for s in process.states]
    out: dict[str, dict[str, Any]] = {}
    for t in process.transitions:
        entry = out.setdefault(t.event, {"transitions": [], "roles": set(), "any": False,
                                         "requires": [], "from": set(), "to": set(),
                                         "action": False, "guarded": False})
        entry["transitions"].append(t)
        entry["roles"] |= t.roles
        entry["any"] |= not t.roles
        entry["requires"] += [f for f in t.requires if f not in entry["requires"]]
        entry["from"] |= set(t.sources)
        if t.target is None:
            entry["action"] = True
        else:
            entry["to"].add(t.target)
        entry["guarded"] |= t.guard is not None
    return {name: {
        "name": name,
        "roles": frozenset() if e["any"] else frozenset(e["roles"]),
        "requires": tuple(e["requires"]),
        "from_states": tuple(s for s in order if s in e["from"]),
        "to_states": tuple(s for s in order if s in e["to"]),
        "action": e["action"],
        "guarded": e["guarded"],
        "transitions": tuple(e["transitions"]),
    } for name, e in out.items()}


def agrees(process: ProcessDefinition) -> None:
    commands = process.commands
    assert isinstance(commands, ProcessCommands)
    want = expected(process)
    assert list(commands) == list(want)  # the order the transitions first name them
    assert len(commands) == len(want)
    for name in want:
        info = commands[name]
        assert isinstance(info, CommandInfo)
        got = {key: getattr(info, key) for key in want[name]}
        assert got == want[name], name
        assert name in commands
    # the fast path agrees: a command is offered in exactly the states it lists
    for state in process.states:
        here = {n for n, i in commands.items() if state.id in i.from_states}
        assert here == set(process.table.events_from(state.id))
    # JSON-ready, and read back as the same values
    data = commands.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert list(data) == list(commands)
    again = TypeAdapter(dict[str, CommandInfo]).validate_python(data)
    assert again == dict(commands)
    assert all(CommandInfo.model_validate(d) == commands[n] for n, d in data.items())
    assert process.commands is commands  # computed once per definition


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_process_lists_its_transitions_commands(name: str) -> None:
    agrees(PRESETS[name])


@pytest.mark.parametrize("name", sorted(HANDBOOK))
def test_every_handbook_policy_process_lists_its_transitions_commands(name: str) -> None:
    agrees(HANDBOOK[name])


def test_the_ticket_process_commands_p01() -> None:
    """P-01 / P-08: an assignment is the lead's or the manager's and names the assignee; a
    resolution records what was done; anyone may reopen, inside the window."""
    commands = ticket_process().commands
    assign = commands["assign"]
    assert assign.roles == {"lead", "manager"}
    assert assign.requires == ("assignee",)
    assert assign.from_states == ("new", "open", "pending_customer", "pending_third_party")
    assert assign.to_states == ("open",)
    assert assign.action  # from a pending state it keeps the state
    assert len(assign.transitions) == 2
    resolve = commands["resolve"]
    assert (resolve.requires, resolve.to_states, resolve.action) == (
        ("resolution",), ("resolved",), False)
    reopen = commands["reopen"]
    assert reopen.guarded
    assert reopen.requires == ()
    assert "customer" in reopen.roles
    assert "bogus" not in commands
    with pytest.raises(KeyError):
        commands["bogus"]
    assert commands.get("bogus") is None


def test_the_json_form_of_a_command() -> None:
    data = ticket_process().commands["resolve"].to_dict()
    assert data["name"] == "resolve"
    assert data["roles"] == ["agent", "lead", "manager"]  # sorted, as every name set
    assert data["requires"] == ["resolution"]
    assert data["from_states"] == ["open", "pending_customer", "pending_third_party"]
    assert data["to_states"] == ["resolved"]
    assert (data["action"], data["guarded"]) == (False, False)
    assert data["transitions"] == [t.model_dump(mode="json")
                                   for t in ticket_process().transitions if t.event == "resolve"]
    schema = CommandInfo.model_json_schema()
    assert set(schema["required"]) >= {"name", "roles", "requires", "from_states", "to_states"}
    assert ProcessCommands.json_schema()["additionalProperties"]["$ref"].endswith("CommandInfo")


def test_a_process_without_roles_gives_every_command_to_any_role() -> None:
    p = ProcessDefinition.model_validate({
        "name": "mini",
        "states": [{"id": "a", "label": "A", "label_zh": "甲", "initial": True},
                   {"id": "b", "label": "B", "label_zh": "乙", "final": True}],
        "transitions": [{"event": "go", "sources": ["a"], "target": "b"},
                        {"event": "note", "sources": ["a"]}],
    })
    assert list(p.commands) == ["go", "note"]
    assert p.commands["go"].roles == frozenset()
    assert p.commands["note"].action
    assert p.commands["note"].to_states == ()


def test_a_command_open_to_any_role_in_one_state_is_open_to_any_role() -> None:
    """Empty roles mean any role (as on a transition): one open transition opens the command."""
    p = ProcessDefinition.model_validate({
        "name": "mixed", "roles": ["lead"],
        "states": [{"id": "a", "label": "A", "label_zh": "甲", "initial": True},
                   {"id": "b", "label": "B", "label_zh": "乙"},
                   {"id": "c", "label": "C", "label_zh": "丙", "final": True}],
        "transitions": [{"event": "go", "sources": ["a"], "target": "b", "roles": ["lead"]},
                        {"event": "go", "sources": ["b"], "target": "c"}],
    })
    assert p.commands["go"].roles == frozenset()
    assert p.commands["go"].to_states == ("b", "c")


def test_the_listing_is_read_only() -> None:
    commands = ticket_process().commands
    info = commands["resolve"]
    with pytest.raises(ServiceKitError):
        info.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        commands["x"] = info  # type: ignore[index]
    with pytest.raises((TypeError, AttributeError)):
        del commands["resolve"]  # type: ignore[attr-defined]
    data = commands.to_dict()
    data["resolve"]["roles"].append("intruder")
    data.clear()
    assert commands["resolve"].roles == {"agent", "lead", "manager"}
    assert commands.to_dict()["resolve"]["roles"] == ["agent", "lead", "manager"]


def test_a_copy_of_the_definition_lists_its_own_commands() -> None:
    original = ticket_process()
    before = original.commands
    kept = tuple(t for t in original.transitions if t.event != "escalate")
    copy = original.model_copy(update={"transitions": kept})
    assert "escalate" not in copy.commands
    assert "escalate" in original.commands
    assert original.commands is before


def test_equal_listings_compare_equal() -> None:
    assert ticket_process().commands == ticket_process().commands
    assert ticket_process().commands != PRESETS["repair"].commands
    assert "resolve" in repr(ticket_process().commands)


def test_a_command_info_is_validated() -> None:
    with pytest.raises(InvalidInputError):
        CommandInfo.model_validate({"name": "x"})


# -- random sound definitions -----------------------------------------------------------------

ROLES = ("agent", "lead", "system")
FIELDS = ("f_a", "f_b", "f_c")
EVENTS = ("go", "hop", "note", "wait", "finish")


@st.composite
def processes(draw: st.DrawFn) -> ProcessDefinition:
    """A sound definition: a chain st0 → … → done (so every state is reached and can finish),
    plus random moves and actions between the non-final states, reusing event names across
    transitions with their own roles, required fields and guards."""
    n = draw(st.integers(1, 5))
    chain = [f"st{i}" for i in range(n)]
    states = [{"id": s, "label": s, "label_zh": s, "initial": i == 0}
              for i, s in enumerate(chain)]
    states.append({"id": "done", "label": "Done", "label_zh": "完", "final": True})
    targets = [*chain, "done"]
    declared = draw(st.booleans())

    def transition(sources: list[str], target: str | None) -> dict[str, Any]:
        t: dict[str, Any] = {"event": draw(st.sampled_from(EVENTS)), "sources": sources,
                             "target": target,
                             "requires": draw(st.lists(st.sampled_from(FIELDS), unique=True,
                                                       max_size=2))}
        if declared:
            t["roles"] = draw(st.lists(st.sampled_from(ROLES), unique=True, max_size=2))
        if draw(st.integers(0, 4)) == 0:
            t["guard"] = "flag == true"
        return t

    transitions = [transition([a], b) for a, b in itertools.pairwise(targets)]
    for _ in range(draw(st.integers(0, 6))):
        sources = draw(st.lists(st.sampled_from(chain), unique=True, min_size=1, max_size=3))
        target = draw(st.one_of(st.none(), st.sampled_from(targets)))
        transitions.append(transition(sources, target))
    transitions = draw(st.permutations(transitions))
    doc: dict[str, Any] = {"name": "random", "states": states, "transitions": transitions,
                           "fields": list(FIELDS)}
    if declared:
        doc["roles"] = list(ROLES)
    return ProcessDefinition.model_validate(doc)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(processes())
def test_commands_agree_with_the_transitions_of_any_sound_process(
        process: ProcessDefinition) -> None:
    agrees(process)
