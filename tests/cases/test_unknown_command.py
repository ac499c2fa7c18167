"""A command the process does not have at all is ``UnknownCommand`` (issue 19, "Commands").

``UnknownCommand`` is a :class:`~servicekit.errors.TransitionRejected` (so every existing
``except TransitionRejected`` still catches it), raised by every aggregate's command dispatch
(the engine: ``Case``, ``Ticket``, ``Complaint``) when the process definition has no such
command; a command the process has but does not allow in the current state stays a plain
``TransitionRejected``. Either way the aggregate is unchanged. The message lists the process's
commands and names the rejected one only when it is a plain identifier (a host may pass user
text). Rule ids: P-01 (the ticket process), P-03 (the complaint process), P-08 (explicit
authority: a refusal records nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sample_processes import satisfaction_loop_process

from servicekit.cases import Actor, Case
from servicekit.complaints import Complaint
from servicekit.engine import execute
from servicekit.errors import (
    CommandRefused,
    PermissionDenied,
    ServiceKitError,
    TransitionRejected,
    UnknownCommand,
)
from servicekit.presets.processes import ticket_process
from servicekit.processes import ProcessDefinition
from servicekit.tickets import Ticket

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
M = timedelta(minutes=1)
PHONE = "13800138000"
CUSTOMER_ID = f"cust-zhang-{PHONE}"
AGENT = Actor(id="agent-li-13911112222", roles=frozenset({"agent"}))
LEAD = Actor(id="lead-chen-13933334444", roles=frozenset({"lead"}))
SPECIALIST = Actor(id="sp-13955556666", roles=frozenset({"specialist"}))
PRIVATE = (PHONE, "13911112222", "13933334444", "13955556666", CUSTOMER_ID)


def commands_of(process: ProcessDefinition) -> tuple[str, ...]:
    return tuple(sorted({t.event for t in process.transitions}))


def refused(aggregate: Any, command: Callable[[Any], Any],
            error: type[ServiceKitError]) -> ServiceKitError:
    """``command`` raises ``error`` and leaves ``aggregate`` exactly as it was."""
    before = dict(aggregate.__dict__)  # every value of an aggregate is immutable
    history = aggregate.history
    with pytest.raises(error) as info:
        command(aggregate)
    assert aggregate.__dict__ == before
    assert all(aggregate.__dict__[k] is v for k, v in before.items())
    assert aggregate.history is history
    assert type(aggregate).replay(history, process=aggregate.process) == aggregate
    text = f"{info.value} {info.value!r}"
    assert not [s for s in PRIVATE if s in text], text
    return info.value


def a_case() -> Case:
    return Case.start(process=satisfaction_loop_process(), case_id="case-1",
                      customer_id=CUSTOMER_ID, at=T0, by=AGENT)


def a_ticket(process: ProcessDefinition | None = None) -> Ticket:
    return Ticket.open(ticket_id="T-1", customer_id=CUSTOMER_ID, channel="email",
                       category="billing", priority="P3", subject=f"call {PHONE}", at=T0,
                       by=AGENT, process=process)


def a_complaint() -> Complaint:
    return Complaint.receive(complaint_id="CP-1", customer_id=CUSTOMER_ID, channel="phone",
                             content=f"call me on {PHONE}", cause="a faulty filter", at=T0,
                             by=AGENT)


def without(event: str) -> ProcessDefinition:
    doc: dict[str, Any] = ticket_process().model_dump(mode="json")
    doc["name"] = f"ticket_without_{event}"
    doc["transitions"] = [t for t in doc["transitions"] if t["event"] != event]
    return ProcessDefinition.model_validate(doc)


# -- every aggregate ---------------------------------------------------------------------------


AGGREGATES: dict[str, Callable[[], Any]] = {
    "case": a_case, "ticket": a_ticket, "complaint": a_complaint}


@pytest.mark.parametrize("name", sorted(AGGREGATES))
def test_a_command_the_process_does_not_have_is_unknown(name: str) -> None:
    aggregate = AGGREGATES[name]()
    exc = refused(aggregate, lambda a: a.fire("bogus", at=T0 + M, by=LEAD), UnknownCommand)
    assert isinstance(exc, UnknownCommand)
    assert isinstance(exc, TransitionRejected)  # existing handlers still catch it
    assert isinstance(exc, CommandRefused)
    assert (exc.command, exc.state) == ("bogus", aggregate.__dict__[aggregate.kind.status_key])
    assert exc.process == aggregate.process.name
    assert exc.commands == commands_of(aggregate.process)
    assert "'bogus'" in str(exc)
    assert ", ".join(exc.commands) in str(exc)  # the message lists what the process has
    assert exc.problems[0].type == "unknown_command"
    assert UnknownCommand.verb == "unknown"


@pytest.mark.parametrize(("name", "command"), [
    ("case", lambda c: c.fire("close", at=T0 + M, by=LEAD)),  # P-03: received first
    ("ticket", lambda t: t.resolve(at=T0 + M, by=AGENT, resolution="done")),  # P-01: new
    ("complaint", lambda c: c.handle(actions="fixed", at=T0 + M, by=SPECIALIST)),  # P-03
], ids=["case", "ticket", "complaint"])
def test_a_known_command_in_the_wrong_state_is_rejected_but_not_unknown(
    name: str, command: Callable[[Any], Any]
) -> None:
    aggregate = AGGREGATES[name]()
    exc = refused(aggregate, command, TransitionRejected)
    assert not isinstance(exc, UnknownCommand)
    assert type(exc) is TransitionRejected
    assert exc.problems[0].type == "transition_rejected"


def test_a_ticket_method_whose_command_the_host_process_dropped_is_unknown() -> None:
    """P-01 on a host's process without escalations: ``escalate`` is not a command there."""
    process = without("escalate")
    t = a_ticket(process)
    exc = refused(t, lambda t: t.escalate(level=1, at=T0 + M, by=LEAD, reason="vip"),
                  UnknownCommand)
    assert isinstance(exc, UnknownCommand)
    assert "escalate" not in exc.commands
    assert exc.commands == commands_of(process)
    # the preset still has it: the same call is allowed there
    assert a_ticket().escalate(level=1, at=T0 + M, by=LEAD, reason="vip").escalation_level == 1


def test_a_permission_refusal_is_not_unknown() -> None:
    exc = refused(a_ticket(), lambda t: t.escalate(level=1, at=T0 + M, by=AGENT),
                  PermissionDenied)
    assert not isinstance(exc, TransitionRejected)


def test_a_command_name_that_is_not_an_identifier_is_not_repeated() -> None:
    """The engine itself, with a name no aggregate method would pass (``fire`` refuses a
    non-identifier first): the message lists the process's commands, not the text given."""
    c = a_case()
    name = f"call me on {PHONE}"
    with pytest.raises(UnknownCommand) as info:
        execute(c.kind, c.__dict__, c.process, name, at=T0 + M, by=LEAD, arguments={},
                host={})
    exc = info.value
    assert PHONE not in str(exc)
    assert PHONE not in repr(exc)
    assert all(PHONE not in p for p in exc.problems)
    assert "no such event" in str(exc)
    assert ", ".join(commands_of(c.process)) in str(exc)
    assert exc.command == name  # the caller's own text stays an attribute, out of the message


@pytest.mark.parametrize("name", ["bogus", "x1", "close_loop"])
def test_an_identifier_is_named(name: str) -> None:
    exc = UnknownCommand(name, "open", process="p", commands=["b", "a", "b"])
    assert str(exc) == (f"{name} unknown in state 'open': the p process has no {name!r} event; "
                        "its commands are a, b")
    assert exc.commands == ("a", "b")


@pytest.mark.parametrize("name", ["Bogus", "a b", "x\n", "", "名字", "x" * 65, "_x"])
def test_anything_else_is_not_named(name: str) -> None:
    exc = UnknownCommand(name, "open", process="p", commands=("a",))
    assert str(exc) == ("a command unknown in state 'open': the p process has no such event; "
                        "its commands are a")
