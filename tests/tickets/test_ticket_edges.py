"""Edges of the ticket aggregate (issue 20: tests that would notice): what the schema says of a
new ticket, the stream id of a one-event history, and a timeout on a command that takes
arguments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from servicekit.errors import InvalidInputError
from servicekit.presets.processes import ticket_process
from servicekit.processes import ProcessDefinition
from servicekit.tickets import Actor, Ticket

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AGENT = Actor(id="agent-li-0417", roles=frozenset({"agent"}))
LEAD = Actor(id="lead-chen-0802", roles=frozenset({"lead"}))


def opened(process: ProcessDefinition | None = None) -> Ticket:
    return Ticket.open(ticket_id="T-1", customer_id="C-1", channel="email", category="billing",
                       priority="P3", subject="s", at=T0, by=AGENT, process=process)


def test_the_schema_defaults_are_the_values_of_a_newly_opened_ticket() -> None:
    """A host's API shows the model's JSON schema: each default it declares (no assignee,
    escalation level 0, no public replies, no reopens …) is what ``open`` starts with."""
    schema = Ticket.model_json_schema(mode="serialization")["properties"]
    defaults = {name: prop["default"] for name, prop in schema.items() if "default" in prop}
    assert defaults == {"assignee": None, "escalation_level": 0, "resolved_at": None,
                        "ended_at": None, "public_replies": 0,
                        "replies_at_first_resolution": None, "reopens": 0}
    dumped = opened().model_dump(mode="json")
    assert {name: dumped[name] for name in defaults} == defaults


def test_a_just_opened_ticket_knows_its_stream() -> None:
    t = opened()
    assert (t.version, t.stream_id, t.ticket_id) == (1, "T-1", "T-1")
    assert Ticket.replay(t.history).stream_id == "T-1"


def _escalating_timeout() -> ProcessDefinition:
    """A host's variant: three days pending a third party falls due as ``escalate``, which the
    system may fire (sound as a process, but ``escalate`` takes a level and a reason)."""
    doc: dict[str, Any] = ticket_process().model_dump(mode="json")
    doc["name"] = "ticket_escalating"
    for state in doc["states"]:
        if state["id"] == "pending_third_party":
            state["timeout"] = {"after": "3d", "event": "escalate"}
    for t in doc["transitions"]:
        if t["event"] == "escalate":
            t["roles"] = [*t["roles"], "system"]
    return ProcessDefinition.model_validate(doc)


def test_a_timeout_on_a_command_that_takes_arguments_is_left_to_the_host() -> None:
    """``apply_timeouts`` fires without data: a due ``escalate`` (it needs a level) is refused
    and the ticket is unchanged; the host fires it with its arguments."""
    process = _escalating_timeout()
    t = opened(process).assign("agent-li-0417", at=T0 + timedelta(minutes=1), by=LEAD)
    t = t.wait_on_third_party(at=T0 + timedelta(minutes=2), by=AGENT)
    due = T0 + timedelta(minutes=2, days=3)
    assert t.timeout_due_at == due
    assert t.apply_timeouts(due - timedelta(microseconds=1)) is t
    with pytest.raises(InvalidInputError) as info:
        t.apply_timeouts(due)
    assert str(info.value) == "apply_timeouts: escalate takes arguments; fire it from the host"
    assert t.version == 4
    up = t.escalate(level=1, at=due, by=Actor.system())
    assert (up.escalation_level, up.status) == (1, "pending_third_party")
    assert Ticket.replay(up.history, process=process) == up
