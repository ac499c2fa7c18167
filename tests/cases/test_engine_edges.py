"""Edges of the shared engine (issue 20: tests that would notice): the chooser given where a
history went, the check helpers' results, instants at the ends of the years a datetime holds,
and kinds and specs that cannot be changed once built."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sample_processes import satisfaction_loop_process

from servicekit.cases import Case
from servicekit.engine import (
    Actor,
    check_actor,
    check_optional_text,
    check_process,
    check_text,
    check_time,
    choose,
    later,
)
from servicekit.errors import InvalidInputError, TransitionRejected
from servicekit.presets.processes import ticket_process
from servicekit.processes import TransitionDef
from servicekit.tickets import TICKET, Ticket

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AGENT = Actor(id="agent-1", roles=frozenset({"agent"}))
LEAD = Actor(id="lead-1", roles=frozenset({"lead"}))
TOKYO = timezone(timedelta(hours=9))
NEW_YORK_WINTER = timezone(timedelta(hours=-5))


def _move(target: str | None, guard: str | None = None) -> TransitionDef:
    return TransitionDef.model_validate({"event": "go", "sources": ["a"], "target": target,
                                         "guard": guard})


# -- choose --------------------------------------------------------------------------------------

FIRST = _move("b", "x == true")
SECOND = _move("c", "y == true")
ACTION = _move(None, "y == true")
PLAIN = _move("d")


def _choose(permitted: list[TransitionDef], facts: dict[str, Any],
            went: str | None = None) -> TransitionDef:
    calls: list[int] = []

    def facts_of() -> dict[str, Any]:
        calls.append(1)
        return facts

    chosen = choose("go", "a", permitted, facts_of,
                    went=None if went is None else lambda: went)
    assert len(calls) <= 1  # the facts are built once, and only for a guard
    return chosen


def test_choose_takes_the_first_permitted_transition_whose_guard_holds() -> None:
    both = {"x": True, "y": True}
    assert _choose([FIRST, SECOND], both) is FIRST
    assert _choose([FIRST, SECOND], {"x": False, "y": True}) is SECOND
    assert _choose([PLAIN, FIRST], {}) is PLAIN
    assert _choose([FIRST, PLAIN], {"x": False}) is PLAIN


def test_choose_given_where_a_history_went_picks_among_the_holding_guards() -> None:
    """``went`` picks, among several transitions whose guards hold, the one leading there (an
    action leads to the state it is in); where none leads there, the first that holds."""
    both = {"x": True, "y": True}
    assert _choose([FIRST, SECOND], both, went="c") is SECOND
    assert _choose([FIRST, SECOND], both, went="b") is FIRST
    assert _choose([FIRST, SECOND], both, went="z") is FIRST
    assert _choose([FIRST, ACTION], both, went="a") is ACTION
    assert _choose([ACTION, FIRST], both, went="b") is FIRST
    # one that holds is the one, wherever the history went
    assert _choose([FIRST, SECOND], {"x": False, "y": True}, went="b") is SECOND
    assert _choose([FIRST, SECOND], {"x": True}, went="c") is FIRST


def test_choose_refuses_when_no_guard_holds_naming_the_guards() -> None:
    with pytest.raises(TransitionRejected) as info:
        _choose([FIRST, SECOND], {}, went="b")
    assert (info.value.command, info.value.state, info.value.reason) == (
        "go", "a", "the condition 'x == true; y == true' does not hold")


# -- the check helpers ---------------------------------------------------------------------------


def test_the_check_helpers_return_what_they_checked() -> None:
    """A host's aggregate writes ``by = check_actor(...)``: each helper returns its value."""
    process = satisfaction_loop_process()
    assert check_actor("do", AGENT) is AGENT
    assert check_text("do", "note", "text") == "text"
    assert check_process("do", process) is process
    assert check_process("do", None) is None
    assert check_optional_text("do", "note", None) is None
    assert check_time("do", T0, T0) == T0
    with pytest.raises(InvalidInputError) as info:
        check_time("do", T0 - timedelta(microseconds=1), T0, "ticket")
    assert str(info.value) == "do: at is earlier than the ticket's last event"


def test_an_actor_id_may_be_a_single_character_but_not_empty() -> None:
    assert Actor(id="a", roles=frozenset({"agent"})).id == "a"
    with pytest.raises(InvalidInputError) as info:
        Actor(id="", roles=frozenset({"agent"}))
    assert [p.loc for p in info.value.problems] == [("id",)]


@pytest.mark.parametrize("at", [
    datetime(1, 1, 1, 0, 30, tzinfo=TOKYO),  # 0000-12-31 in UTC
    datetime(9999, 12, 31, 23, 0, tzinfo=NEW_YORK_WINTER),  # 10000-01-01 in UTC
])
def test_a_command_at_an_instant_outside_the_utc_years_is_invalid_input(at: datetime) -> None:
    with pytest.raises(InvalidInputError) as info:
        Case.start(process=satisfaction_loop_process(), case_id="C-1", at=at, by=AGENT)
    assert str(info.value) == "start: at is outside the years 1 to 9999 in UTC"
    c = Case.start(process=satisfaction_loop_process(), case_id="C-1",
                   at=datetime(1, 1, 2, tzinfo=UTC), by=AGENT)
    with pytest.raises(InvalidInputError) as fired:
        c.fire("receive", at=at, by=AGENT)
    assert str(fired.value) == "receive: at is outside the years 1 to 9999 in UTC"


def test_a_timeout_due_after_the_year_9999_is_invalid_input() -> None:
    """The resolved state's 7-day timeout (auto-close) of a ticket resolved in the last week of
    9999 would fall due in the year 10000."""
    at = datetime(9999, 12, 28, tzinfo=UTC)
    t = Ticket.open(ticket_id="T-1", customer_id="C-1", channel="email", category="billing",
                    priority="P3", subject="s", at=at, by=AGENT)
    t = t.reply(at=at, by=AGENT).resolve(at=at + timedelta(hours=1), by=AGENT, resolution="done")
    message = "the instant a timeout falls due is outside the years 1 to 9999"
    with pytest.raises(InvalidInputError) as info:
        _ = t.timeout_due_at
    assert str(info.value) == message
    with pytest.raises(InvalidInputError, match=message):
        later(datetime(9999, 12, 31, 23, tzinfo=TOKYO), timedelta(hours=10))
    # the last instant that can be kept
    last = later(datetime(9999, 12, 31, 14, tzinfo=UTC), timedelta(hours=10, microseconds=-1))
    assert last == datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


# -- kinds and specs are values ------------------------------------------------------------------


def test_a_command_spec_says_the_status_its_event_implies() -> None:
    implies = {name: spec.implies for name, spec in TICKET.commands.items()}
    assert implies == {"assign": None, "reply": None, "customer_reply": None,
                       "change_priority": None, "escalate": None, "resolve": "resolved",
                       "reopen": "open", "close": "closed", "cancel": "cancelled"}
    assert {t.target for t in ticket_process().transitions if t.event == "resolve"} == {
        implies["resolve"]}


def test_command_specs_and_aggregate_kinds_cannot_be_changed() -> None:
    spec = TICKET.commands["resolve"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.check = None  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        TICKET.name = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        TICKET.status_key = "state"  # type: ignore[misc]
    assert (TICKET.name, TICKET.status_key, spec.name) == ("ticket", "status", "resolve")

