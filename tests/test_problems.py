"""Structured problems: ``ServiceKitError.problems`` holds ``Problem(loc, type, msg)`` records
that are also the strings they always were."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicekit.errors import (
    ConcurrencyConflict,
    InvalidInputError,
    PolicyError,
    Problem,
    ServiceKitError,
    TransitionRejected,
)
from servicekit.policy import Policy
from servicekit.processes import ProcessDefinition
from servicekit.rules import DecisionTable, Rule

PHONE = "13800138000"

ID_MSG = "an id is lower-case letters, digits and _, starting with a letter"


def render(loc: tuple[str | int, ...]) -> str:
    """The location as the messages have always written it: ``states[0].id``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + part
    return out


def state(state_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": state_id, "label": state_id.title(), "label_zh": "状态", **extra}


def process(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": "mini",
        "roles": ["agent", "system"],
        "fields": ["note"],
        "states": [state("start", initial=True), state("middle"), state("end", final=True)],
        "transitions": [
            {"event": "go", "sources": ["start"], "target": "middle"},
            {"event": "finish", "sources": ["middle"], "target": "end"},
        ],
    }
    doc.update(changes)
    return doc


def problems_of(fn: Any, *args: Any) -> tuple[Problem, ...]:
    with pytest.raises(ServiceKitError) as info:
        fn(*args)
    problems = info.value.problems
    assert all(type(p) is Problem for p in problems), problems
    return problems


# -- the record --------------------------------------------------------------------------------


def test_a_problem_is_its_text_and_carries_its_parts() -> None:
    p = Problem(("states", 0, "id"), "value_error", f"{ID_MSG} (got str)")
    assert p == f"states[0].id: {ID_MSG} (got str)"
    assert str(p) == f"states[0].id: {ID_MSG} (got str)"
    assert isinstance(p, str)
    assert (p.loc, p.type, p.msg) == (("states", 0, "id"), "value_error", f"{ID_MSG} (got str)")
    assert "lower-case" in p
    assert p.startswith("states[0].id: ")
    assert hash(p) == hash(str(p))
    assert repr(p) == (
        f"Problem(loc=('states', 0, 'id'), type='value_error', msg='{ID_MSG} (got str)')"
    )


def test_a_problem_about_the_whole_input_has_no_prefix() -> None:
    p = Problem((), "invalid_policy", "policy document nested too deeply")
    assert str(p) == "policy document nested too deeply"
    assert p.loc == ()


def test_a_location_is_any_iterable_of_keys_and_indexes() -> None:
    assert Problem(["a", 1], "t", "m").loc == ("a", 1)
    with pytest.raises(TypeError):
        Problem((1.5,), "t", "m")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Problem((True,), "t", "m")
    with pytest.raises(TypeError):
        Problem((), 1, "m")  # type: ignore[arg-type]


def test_problems_are_immutable() -> None:
    p = Problem(("a",), "t", "m")
    with pytest.raises(AttributeError):
        p.loc = ()
    with pytest.raises(AttributeError):
        p.extra = 1
    with pytest.raises(AttributeError):
        del p.msg


@pytest.mark.parametrize(
    "clone", [copy.copy, copy.deepcopy, lambda p: pickle.loads(pickle.dumps(p))],
    ids=["copy", "deepcopy", "pickle"],
)
def test_problems_copy_and_pickle(clone: Any) -> None:
    p = Problem(("tables", "t", "rules", 2), "duplicate_rule_id", "rule id 'a' is used twice")
    q = clone(p)
    assert type(q) is Problem
    assert (q, q.loc, q.type, q.msg) == (p, p.loc, p.type, p.msg)


def test_errors_pickle_with_their_problems() -> None:
    with pytest.raises(PolicyError) as info:
        ProcessDefinition.model_validate(process(states=[state("Start", initial=True)]))
    again = pickle.loads(pickle.dumps(info.value.problems))
    assert again == info.value.problems
    assert [p.loc for p in again] == [p.loc for p in info.value.problems]


locs = st.lists(
    st.one_of(st.integers(min_value=0, max_value=10**6),
              st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=12)),
    max_size=6,
).map(tuple)


@given(loc=locs, code=st.from_regex(r"[a-z_]{1,20}", fullmatch=True), msg=st.text(max_size=40))
def test_the_text_is_the_rendered_location_and_the_message(
    loc: tuple[str | int, ...], code: str, msg: str
) -> None:
    p = Problem(loc, code, msg)
    assert str(p) == (f"{render(loc)}: {msg}" if loc else msg)
    assert (p.loc, p.type, p.msg) == (loc, code, msg)
    assert pickle.loads(pickle.dumps(p)).loc == loc


# -- errors ------------------------------------------------------------------------------------


def test_a_single_message_error_has_one_problem_about_the_whole_input() -> None:
    err = InvalidInputError("events must be a sequence (got int)")
    (p,) = err.problems
    assert p == "events must be a sequence (got int)" == str(err)
    assert (p.loc, p.type) == ((), "invalid_input")
    assert PolicyError("x").problems[0].type == "invalid_policy"
    assert TransitionRejected("close", "new", "no such transition").problems[0].type == (
        "transition_rejected")
    assert ConcurrencyConflict("s", expected=1, actual=2).problems[0].type == (
        "concurrency_conflict")


def test_problems_given_as_text_become_problems_and_records_are_kept() -> None:
    kept = Problem(("a", 0), "missing", "Field required (got dict)")
    err = PolicyError("invalid", problems=["first", kept])
    assert err.problems == ("first", "a[0]: Field required (got dict)")
    assert err.problems[0] == Problem((), "invalid_policy", "first")
    assert err.problems[0].loc == ()
    assert err.problems[1] is kept


# -- pydantic-derived problems -----------------------------------------------------------------


def test_a_bad_state_id_is_located_inside_the_definition() -> None:
    (p,) = problems_of(ProcessDefinition.model_validate, process(
        states=[state("start", initial=True), state("Middle"), state("end", final=True)]))
    assert (p.loc, p.type) == (("states", 1, "id"), "value_error")
    assert p.msg == f"{ID_MSG} (got str)"
    assert p == f"states[1].id: {ID_MSG} (got str)"  # the text it always had


def test_several_pydantic_problems_each_keep_their_type() -> None:
    problems = problems_of(ProcessDefinition.model_validate, {
        "name": "", "states": [{"id": "a", "label": "A"}], "transitions": []})
    assert [(p.loc, p.type) for p in problems] == [
        (("name",), "string_too_short"),
        (("states", 0, "label_zh"), "missing"),
        (("transitions",), "too_short"),
    ]


def test_a_bad_policy_document_is_located_from_its_root_with_lines() -> None:
    text = (
        'version = "1"\n'
        "[calendars.desk]\n"
        'tz = "Asia/Shanghia"\n'
        'hours = "09:00-18:00"\n'
        "[[processes.mini.states]]\n"
        'id = "Start"\n'
    )
    problems = problems_of(Policy.from_toml, text)
    by_loc = {p.loc: p for p in problems}
    tz = by_loc[("calendars", "desk", "tz")]
    assert tz.type == "value_error"
    assert tz.msg.endswith("(got str) (line 3)")
    assert str(tz) == f"calendars.desk.tz: {tz.msg}"
    assert by_loc[("processes", "mini", "states", 0, "id")].msg == f"{ID_MSG} (got str) (line 6)"
    assert by_loc[("processes", "mini", "name")].type == "missing"


@pytest.mark.parametrize(
    ("text", "code"),
    [("[1]", "dict_type"), ("{", "json_invalid"), (b"\xff", "string_unicode")],
)
def test_a_document_that_does_not_load_is_one_problem_about_the_whole(
    text: str | bytes, code: str
) -> None:
    (p,) = problems_of(Policy.from_json, text)
    assert (p.loc, p.type) == ((), code)


def test_problems_never_repeat_the_document_values() -> None:
    doc = process(name=[PHONE], states=[state("start", initial=True, label=[PHONE]),
                                        state("end", final=True)])
    doc["transitions"] = [{"event": "finish", "sources": ["start"], "target": "end",
                           "guard": {"field": "x", "op": "==", "value": {"v": PHONE}}}]
    problems = problems_of(ProcessDefinition.model_validate, doc)
    assert len(problems) >= 2
    for p in problems:
        assert PHONE not in p
        assert PHONE not in p.msg
        assert PHONE not in repr(p)


# -- checks across fields ----------------------------------------------------------------------


def test_every_soundness_problem_is_its_own_problem_with_its_location_and_type() -> None:
    doc = process(
        roles=[],
        states=[state("start", initial=True), state("middle"), state("end", final=True),
                state("start", timeout={"after": "1d", "event": "vanish"})],
        transitions=[
            {"event": "go", "sources": ["start"], "target": "middle", "roles": ["agent"]},
            {"event": "finish", "sources": ["middle"], "target": "end", "requires": ["ghost"]},
            {"event": "again", "sources": ["end"], "target": "start"},
            {"event": "jump", "sources": ["start"], "target": "nowhere"},
            {"event": "middle", "sources": ["start"], "target": "middle"},
        ],
    )
    problems = problems_of(ProcessDefinition.model_validate, doc)
    assert [(p.loc, p.type) for p in problems] == [
        (("states", 3, "id"), "duplicate_state"),
        ((), "name_clash"),
        (("transitions", 0, "roles"), "roles_undeclared"),
        (("transitions", 1, "requires"), "unknown_field"),
        (("transitions", 2, "sources"), "leaves_final_state"),
        (("transitions", 3), "unknown_state"),
        (("states", 3, "timeout", "event"), "bad_timeout"),
    ]
    assert problems[1] == "names used both as a state and as an event: middle (got dict)"
    assert problems[5] == "transitions[3]: unknown state(s) at target (got dict)"
    assert problems[6].msg == (
        "timeout event 'vanish' is not a transition from start (got dict)")
    for p in problems:  # each is its own text, nothing joined
        assert "; " not in p
        assert str(p) == (f"{render(p.loc)}: {p.msg}" if p.loc else p.msg)


def test_state_count_problems_are_located_at_the_states() -> None:
    doc = process(states=[state("start"), state("middle"), state("end")])
    problems = problems_of(ProcessDefinition.model_validate, doc)
    assert [(p.loc, p.type) for p in problems] == [
        (("states",), "initial_state_count"), (("states",), "no_final_state")]
    assert problems[0] == "states: a process has exactly one initial state (found 0) (got dict)"


def test_reachability_problems_are_reported_together() -> None:
    doc = process(
        states=[state("start", initial=True), state("middle"), state("end", final=True),
                state("island"), state("trap")],
        transitions=[
            {"event": "go", "sources": ["start"], "target": "middle"},
            {"event": "finish", "sources": ["middle"], "target": "end"},
            {"event": "fall", "sources": ["middle"], "target": "trap"},
        ],
    )
    problems = problems_of(ProcessDefinition.model_validate, doc)
    assert [(p.loc, p.type, p.msg) for p in problems] == [
        (("states",), "unreachable_state", "unreachable state(s): island (got dict)"),
        (("states",), "no_way_to_final",
         "state(s) with no way to a final state: trap (got dict)"),
    ]


def test_a_timeout_the_system_may_not_fire_is_located_at_its_event() -> None:
    doc = process(
        states=[state("start", initial=True, timeout={"after": "2d", "event": "finish"}),
                state("end", final=True)],
        transitions=[{"event": "finish", "sources": ["start"], "target": "end",
                      "roles": ["agent"]}],
    )
    (p,) = problems_of(ProcessDefinition.model_validate, doc)
    assert (p.loc, p.type) == (("states", 0, "timeout", "event"), "bad_timeout")
    assert "may not be fired by the system role" in p.msg


def test_soundness_problems_in_a_policy_are_located_from_its_root() -> None:
    doc = process(transitions=[
        {"event": "go", "sources": ["start"], "target": "middle", "roles": ["wizard"]},
        {"event": "finish", "sources": ["middle"], "target": "end"},
    ])
    problems = problems_of(Policy.model_validate, {"version": "1", "processes": {"mini": doc}})
    assert [(p.loc, p.type) for p in problems] == [
        (("processes", "mini", "transitions", 0, "roles"), "unknown_role")]
    assert problems[0] == ("processes.mini.transitions[0].roles: 1 unknown role(s), not among "
                           "the process's roles (got dict)")


def test_table_level_problems_each_have_their_type() -> None:
    with pytest.raises(PolicyError) as info:
        DecisionTable(
            name="t",
            hit_policy="priority",
            rules=[Rule(id="a", when="x", then={"p": 1}), Rule(id="a", when="y", then={"p": 2})],
        )
    problems = info.value.problems
    assert [(p.loc, p.type) for p in problems] == [
        ((), "duplicate_rule_id"), ((), "missing_output_order")]
    assert problems[0] == "rule id used twice: rules[1] has the id of rules[0] (got dict)"
    with pytest.raises(PolicyError) as ranked:
        DecisionTable(name="t", hit_policy="priority", output_order={"p": [1, 2]},
                      rules=[Rule(id="a", when="x", then={"p": 3}),
                             Rule(id="b", when="y", then={})])
    assert [p.type for p in ranked.value.problems] == ["unranked_output", "missing_ranked_output"]
