"""Regression tests for the review of the ticket aggregate (P-08: authority is explicit)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from servicekit.errors import InvalidInputError, PermissionDenied
from servicekit.presets.processes import ticket_process
from servicekit.processes import ProcessDefinition
from servicekit.tickets import Actor, Ticket

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
AGENT = Actor(id="u-7", roles=frozenset({"agent"}))
LEAD = Actor(id="u-1", roles=frozenset({"lead"}))


def _open(process: ProcessDefinition | None = None) -> Ticket:
    return Ticket.open(ticket_id="T-1", customer_id="C-1", channel="email", category="billing",
                       priority="P3", subject="s", at=T0, by=AGENT, process=process)


def _role_split_process() -> ProcessDefinition:
    """One event, two transitions told apart only by the actor's role."""
    doc = ticket_process().model_dump(mode="json")
    doc["states"].append({"id": "awaiting_approval", "label": "Awaiting approval",
                          "label_zh": "待审批"})
    doc["transitions"] += [
        {"event": "finish", "sources": ["open"], "target": "awaiting_approval",
         "roles": ["agent"]},
        {"event": "finish", "sources": ["open"], "target": "resolved", "roles": ["lead"]},
        {"event": "approve", "sources": ["awaiting_approval"], "target": "open",
         "roles": ["lead"]},
    ]
    return ProcessDefinition.model_validate(doc)


@pytest.mark.parametrize(("actor", "status"), [(AGENT, "awaiting_approval"),
                                                (LEAD, "resolved")])
def test_replay_follows_the_transition_the_roles_chose(actor: Actor, status: str) -> None:
    process = _role_split_process()
    t = _open(process).reply(at=T0, by=AGENT).fire("finish", at=T0, by=actor)
    assert t.status == status
    assert Ticket.replay(t.history, process=process) == t


def test_fields_are_json_values() -> None:
    t = _open()
    kept = t.reply(at=T0, by=AGENT, fields={"message_id": "m-1", "parts": [1, 2.5, None]})
    reply = kept.history[-2]  # then the StatusChanged of new -> open
    assert reply.fields == {"message_id": "m-1", "parts": [1, 2.5, None]}
    for value in (Decimal("1.5"), T0, object()):
        with pytest.raises(InvalidInputError, match=r"^reply: "):
            t.reply(at=T0, by=AGENT, fields={"x": value})


def test_fields_cannot_shadow_the_tickets_own_values() -> None:
    t = _open().reply(at=T0, by=AGENT).resolve(at=T0, by=AGENT, resolution="r")
    with pytest.raises(InvalidInputError, match="may not redefine resolved_at"):
        t.reopen(at=T0 + timedelta(days=60), fields={"resolved_at": T0 + timedelta(days=59)})


def test_a_customer_with_an_unknown_extra_role_is_still_only_a_customer() -> None:
    stranger = Actor(id="C-2", roles=frozenset({"customer", "vip"}))
    with pytest.raises(PermissionDenied):
        Ticket.open(ticket_id="T-2", customer_id="C-1", channel="web", category="billing",
                    priority="P3", subject="s", at=T0, by=stranger)
    t = _open().reply(at=T0, by=AGENT).wait_on_customer(at=T0, by=AGENT)
    with pytest.raises(PermissionDenied):
        t.customer_reply(at=T0, by=stranger)
    assert "customer_reply" not in t.allowed_commands(stranger)
    assert "customer_reply" in t.allowed_commands(Actor.customer("C-1"))


def test_fire_does_not_echo_text_that_is_not_an_event_name() -> None:
    t = _open()
    with pytest.raises(InvalidInputError) as info:
        t.fire("zhang.san@example.com", at=T0, by=AGENT)
    assert "zhang" not in str(info.value)


def test_whitespace_is_not_a_subject() -> None:
    with pytest.raises(InvalidInputError, match="open: subject"):
        Ticket.open(ticket_id="T-1", customer_id="C-1", channel="email", category="billing",
                    priority="P3", subject="   ", at=T0, by=AGENT)
