"""Edges of cases and their replay (issue 20: tests that would notice): several transitions for
one event (guards that all hold, roles that pick one), a start in the wrong state, a process
that is not given, and a case that lost its process.

A live command fires the first transition its actor's roles permit whose guard holds (P-08:
authority is explicit); replay must choose the same one from the recorded roles and data, and
refuse a history that says the case went elsewhere.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sample_processes import satisfaction_loop_process

from servicekit.cases import Actor, Case
from servicekit.errors import InvalidInputError, TransitionRejected
from servicekit.events import CaseStarted, StatusChanged
from servicekit.presets.processes import feedback_loop_process
from servicekit.processes import ProcessDefinition

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
M = timedelta(minutes=1)
AGENT = Actor(id="agent-1", roles=frozenset({"agent"}))
LEAD = Actor(id="lead-1", roles=frozenset({"lead"}))
BOTH = Actor(id="lead-2", roles=frozenset({"agent", "lead"}))


def _state(state_id: str, **kw: Any) -> dict[str, Any]:
    return {"id": state_id, "label": state_id.title(), "label_zh": "状态", **kw}


def routing() -> ProcessDefinition:
    """A host's triage: from ``new``, ``route`` has two guarded moves (urgent first, then
    known), ``assign`` two unguarded moves for different roles, and ``flag`` two guarded
    moves for different roles; ``tag`` is a guarded action (it stays)."""
    return ProcessDefinition.model_validate({
        "name": "routing",
        "roles": ["agent", "lead"],
        "fields": ["urgent", "known"],
        "states": [_state("new", initial=True), _state("fast"), _state("slow"),
                   _state("done", final=True)],
        "transitions": [
            {"event": "route", "sources": ["new"], "target": "fast", "guard": "urgent == true"},
            {"event": "route", "sources": ["new"], "target": "slow", "guard": "known == true"},
            {"event": "assign", "sources": ["new"], "target": "fast", "roles": ["lead"]},
            {"event": "assign", "sources": ["new"], "target": "slow", "roles": ["agent"]},
            {"event": "flag", "sources": ["new"], "target": "fast", "roles": ["lead"],
             "guard": "urgent == true"},
            {"event": "flag", "sources": ["new"], "target": "slow", "roles": ["agent"],
             "guard": "urgent == true"},
            {"event": "tag", "sources": ["new", "fast"], "guard": "known == true"},
            {"event": "finish", "sources": ["fast", "slow"], "target": "done"},
        ],
    })


ROUTING = routing()


def started() -> Case:
    return Case.start(process=ROUTING, case_id="R-1", at=T0, by=AGENT)


def replayed(c: Case) -> Case:
    again = Case.replay(c.history, process=ROUTING)
    assert again == c
    return again


@pytest.mark.parametrize(("facts", "expected"), [
    ({"urgent": True, "known": True}, "fast"),  # both guards hold: the first listed
    ({"urgent": False, "known": True}, "slow"),
    ({"urgent": True}, "fast"),
])
def test_when_several_guards_hold_the_first_transition_fires_live_and_in_replay(
        facts: dict[str, Any], expected: str) -> None:
    c = replayed(started().fire("route", at=T0 + M, by=AGENT, fields=facts))
    assert (c.state, c.version) == (expected, 2)
    assert c.history[-1].status == expected  # type: ignore[attr-defined]


def test_a_history_that_went_to_the_second_of_two_holding_guards_is_refused() -> None:
    """Both guards hold, so the live command would have gone to ``fast``: a history that says
    ``slow`` is not one the process could have produced."""
    c = started().fire("route", at=T0 + M, by=AGENT, fields={"urgent": True, "known": True})
    astray = c.history[1].model_copy(update={"status": "slow"})
    with pytest.raises(InvalidInputError) as info:
        Case.replay((c.history[0], astray), process=ROUTING)
    assert str(info.value) == "history[1] (StatusChanged): route leads to 'fast'"


def test_when_no_guard_of_several_holds_the_command_and_the_replay_are_refused() -> None:
    c = started()
    with pytest.raises(TransitionRejected) as info:
        c.fire("route", at=T0 + M, by=AGENT, fields={"urgent": False})
    assert info.value.reason == "the condition 'urgent == true; known == true' does not hold"
    ok = c.fire("route", at=T0 + M, by=AGENT, fields={"known": True})
    forged = ok.history[1].model_copy(update={"fields": {"known": False}})
    with pytest.raises(InvalidInputError) as replay:
        Case.replay((ok.history[0], forged), process=ROUTING)
    assert str(replay.value) == ("history[1] (StatusChanged): route in state 'new': no guard "
                                 "holds")


@pytest.mark.parametrize("event", ["assign", "flag"])
@pytest.mark.parametrize(("by", "expected"), [(LEAD, "fast"), (AGENT, "slow"), (BOTH, "fast")])
def test_the_roles_pick_among_several_transitions_live_and_in_replay(
        event: str, by: Actor, expected: str) -> None:
    """P-08: the agent may fire only the second move, with or without a guard; replay reads
    the recorded roles and goes where the live command went."""
    c = replayed(started().fire(event, at=T0 + M, by=by, fields={"urgent": True}))
    assert c.state == expected
    assert c.history[-1].roles == by.roles


@pytest.mark.parametrize("event", ["assign", "flag"])
def test_a_history_that_went_where_the_recorded_roles_could_not_is_refused(event: str) -> None:
    c = started().fire(event, at=T0 + M, by=AGENT, fields={"urgent": True})
    assert c.state == "slow"
    astray = c.history[1].model_copy(update={"status": "fast"})
    with pytest.raises(InvalidInputError) as info:
        Case.replay((c.history[0], astray), process=ROUTING)
    assert str(info.value) == f"history[1] (StatusChanged): {event} leads to 'slow'"


def test_a_guarded_action_stays_in_its_state_live_and_in_replay() -> None:
    c = started()
    tagged = replayed(c.fire("tag", at=T0 + M, by=AGENT, fields={"known": True}))
    assert (tagged.state, tagged.state_since, tagged.version) == ("new", T0, 2)
    assert tagged.history[-1].status == "new"  # type: ignore[attr-defined]
    moved = tagged.fire("route", at=T0 + 2 * M, by=AGENT, fields={"urgent": True})
    again = replayed(moved.fire("tag", at=T0 + 3 * M, by=AGENT))  # known is on record
    assert (again.state, again.state_since) == ("fast", T0 + 2 * M)
    with pytest.raises(TransitionRejected):
        c.fire("tag", at=T0 + M, by=AGENT, fields={"known": False})


# -- the start -----------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["closed", "received", "bogus"])
def test_replay_names_the_state_a_process_starts_in(state: str) -> None:
    """A CaseStarted that records its actor and roles but claims a state other than the
    process's initial one is refused for that reason."""
    forged = CaseStarted(stream_id="C-1", at=T0, by=AGENT.id, roles=AGENT.roles,
                         process="satisfaction_loop", state=state)
    with pytest.raises(InvalidInputError) as info:
        Case.replay([forged], process=satisfaction_loop_process())
    assert str(info.value) == ("history[0] (CaseStarted): the satisfaction_loop process "
                               "starts in 'submitted'")
    ok = forged.model_copy(update={"state": "submitted"})
    assert Case.replay([ok], process=satisfaction_loop_process()).state == "submitted"


@pytest.mark.parametrize("process", [None, "satisfaction_loop",
                                     satisfaction_loop_process().model_dump()])
def test_replay_needs_a_process_definition(process: object) -> None:
    c = Case.start(process=satisfaction_loop_process(), case_id="C-1", at=T0, by=AGENT)
    with pytest.raises(InvalidInputError) as info:
        Case.replay(c.history, process=process)  # type: ignore[arg-type]
    assert str(info.value) == (f"replay: process must be a ProcessDefinition (got "
                               f"{type(process).__name__})")


def test_a_case_without_its_process_says_so() -> None:
    """A case validated from its dump carries no process (there is no default one): what reads
    the process says that it needs one."""
    c = Case.start(process=feedback_loop_process(), case_id="F-1", at=T0, by=AGENT)
    assert (c.version, c.stream_id) == (1, "F-1")
    loose = Case.model_validate(c.model_dump())
    assert loose.state == "recorded"
    with pytest.raises(InvalidInputError) as info:
        _ = loose.is_final
    assert str(info.value) == "Case needs a process"
    with pytest.raises(InvalidInputError, match="Case needs a process"):
        Case.default_process()


def test_a_status_change_is_what_a_case_records() -> None:
    c = started().fire("assign", at=T0 + M, by=LEAD)
    assert [type(e) for e in c.history] == [CaseStarted, StatusChanged]
    assert (c.history[1].event, c.history[1].status) == ("assign", "fast")  # type: ignore[attr-defined]


def test_replay_judges_a_copied_process_by_its_own_roles() -> None:
    """Replay keeps its verdicts (who may fire what) per compiled table. A copy of a process
    that declares one more role (``auditor``) shared the original's table, so after a replay
    under the original its replay refused what its live command accepted: an actor who is a
    customer and an auditor is staff there, and adds a note to another customer's case."""
    notes = ProcessDefinition.model_validate({
        "name": "notes",
        "roles": ["agent", "customer"],
        "states": [_state("a", initial=True), _state("z", final=True)],
        "transitions": [{"event": "note", "sources": ["a"]},
                        {"event": "finish", "sources": ["a"], "target": "z",
                         "roles": ["agent"]}],
    })
    audited = notes.model_copy(update={"roles": frozenset({"agent", "customer", "auditor"})})
    auditor = Actor(id="aud-1", roles=frozenset({"customer", "auditor"}))
    live = Case.start(process=audited, case_id="N-1", customer_id="C-1", at=T0, by=AGENT)
    live = live.fire("note", at=T0 + M, by=auditor)
    refusal = ("history[1] (StatusChanged): note not permitted: a customer acts only on their "
               "own cases")
    with pytest.raises(InvalidInputError) as info:  # fills the verdicts of notes' table
        Case.replay(live.history, process=notes)
    assert str(info.value) == refusal
    assert Case.replay(live.history, process=audited) == live
    with pytest.raises(InvalidInputError) as again:
        Case.replay(live.history, process=notes)
    assert str(again.value) == refusal


def test_replay_names_what_is_not_an_event_a_case_records() -> None:
    """An event of another aggregate (a ticket's assignment), a second start, and what is not
    an event at all are refused at their position, each with its own reason."""
    from servicekit.events import TicketAssigned

    c = started()
    assigned = TicketAssigned(stream_id="R-1", at=T0 + M, by=AGENT.id, roles=AGENT.roles,
                              assignee="agent-1")
    second = c.history[0].model_copy(update={"event_id": "second-start", "at": T0 + M})
    for ev, reason in ((assigned, "not an event a case records"),
                       (second, "not an event a case records after its start"),
                       ({"type": "StatusChanged"}, "not an event a case records after its "
                                                  "start")):
        with pytest.raises(InvalidInputError) as info:
            Case.replay((c.history[0], ev), process=ROUTING)  # type: ignore[arg-type]
        assert str(info.value) == f"history[1] ({type(ev).__name__}): {reason}"


def test_replay_refuses_a_start_by_an_actor_who_could_not_have_started_the_case_p08() -> None:
    ok = Case.start(process=ROUTING, case_id="R-1", customer_id="C-1", at=T0, by=AGENT)
    first = ok.history[0]
    for update, reason in (
            ({"roles": frozenset()}, "the actor or the roles it acted in are not recorded "
                                     "(P-08: authority is explicit)"),
            ({"by": "C-2", "roles": frozenset({"customer"})},
             "not permitted: only staff or the customer start a case"),
            ({"by": "x-1", "roles": frozenset({"auditor"})},
             "not permitted: only staff or the customer start a case")):
        with pytest.raises(InvalidInputError) as info:
            Case.replay((first.model_copy(update=update), *ok.history[1:]), process=ROUTING)
        assert str(info.value) == f"history[0] (CaseStarted): {reason}"
    own = first.model_copy(update={"by": "C-1", "roles": frozenset({"customer"})})
    assert Case.replay((own,), process=ROUTING).history[0].by == "C-1"
