"""A host changes the ticket process without code (issue 5): an "awaiting approval" state.

The variant is built as a host would: dump the preset's definition, edit the data, load it.
It adds a state ``awaiting_approval`` (an agent requests approval, a lead or manager approves
with a note, the request expires after two days by the system), and an ``add_note`` action that
names no roles. Host events are fired by name; roles, required fields (P-03), timeouts and replay
work as for the built-in commands, and the SLA engine still reads the ticket's history.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from servicekit.calendar import BusinessCalendar
from servicekit.errors import InvalidInputError, PermissionDenied, TransitionRejected
from servicekit.events import StatusChanged
from servicekit.presets import handbook
from servicekit.presets.processes import ticket_process
from servicekit.processes import ProcessDefinition
from servicekit.sla import SlaPolicy
from servicekit.tickets import Actor, Ticket

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
US = timedelta(microseconds=1)
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)

CUSTOMER_ID = "cust-zhang-13800138000"
AGENT = Actor(id="agent-li-0417", roles=frozenset({"agent"}))
LEAD = Actor(id="lead-chen-0802", roles=frozenset({"lead"}))
MANAGER = Actor(id="manager-zhou-1209", roles=frozenset({"manager"}))
CUSTOMER = Actor.customer(CUSTOMER_ID)
OTHER_CUSTOMER = Actor.customer("cust-wu-13700000000")
NOTE = "approved up to 5000 CNY for 13800138000"


def approvals() -> ProcessDefinition:
    doc: dict[str, Any] = ticket_process().model_dump(mode="json")
    doc["name"] = "ticket_with_approval"
    doc["fields"].append("approval_note")
    doc["states"].append({"id": "awaiting_approval", "label": "Awaiting approval",
                          "label_zh": "待审批", "timeout": {"after": "2d", "event": "expire"}})
    doc["transitions"] += [
        {"event": "request_approval", "sources": ["open"], "target": "awaiting_approval",
         "roles": ["agent"]},
        {"event": "approve", "sources": ["awaiting_approval"], "target": "open",
         "roles": ["lead", "manager"], "requires": ["approval_note"]},
        {"event": "expire", "sources": ["awaiting_approval"], "target": "open",
         "roles": ["system"]},
        {"event": "add_note", "sources": ["new", "open"], "target": None},
    ]
    return ProcessDefinition.model_validate(doc)


VARIANT = approvals()


def opened(priority: str = "P3") -> Ticket:
    return Ticket.open(ticket_id="T-2", customer_id=CUSTOMER_ID, channel="phone",
                       category="refund", priority=priority, subject="Refund over the limit",
                       at=T0, by=AGENT, process=VARIANT)


def awaiting() -> Ticket:
    """Answered at T0 + 3m, approval requested at T0 + 4m."""
    return (opened().reply(at=T0 + 3 * M, by=AGENT)
            .fire("request_approval", at=T0 + 4 * M, by=AGENT))


def consistent(t: Ticket) -> Ticket:
    assert t.version == len(t.history)
    assert t.status in {s.id for s in VARIANT.states}
    assert Ticket.replay(t.history, process=VARIANT) == t
    return t


def test_the_variant_is_sound_and_the_preset_is_unchanged() -> None:
    assert VARIANT.state("awaiting_approval").label_zh == "待审批"
    assert "awaiting_approval" not in {s.id for s in ticket_process().states}
    assert ProcessDefinition.model_validate_json(VARIANT.model_dump_json()) == VARIANT
    assert opened().process is VARIANT


def test_host_events_are_fired_by_name_and_recorded_as_status_changes() -> None:
    t = consistent(awaiting())
    assert (t.status, t.status_label_zh, t.status_since) == (
        "awaiting_approval", "待审批", T0 + 4 * M)
    change = t.history[-1]
    assert isinstance(change, StatusChanged)
    assert (change.status, change.event, change.by) == (
        "awaiting_approval", "request_approval", AGENT.id)
    assert t.allowed_commands(AGENT) == ()
    assert t.allowed_commands(LEAD) == ("approve",)
    approved = consistent(t.fire("approve", at=T0 + 9 * M, by=LEAD,
                                 fields={"approval_note": NOTE}))
    assert approved.status == "open"
    change = approved.history[-1]
    assert isinstance(change, StatusChanged)
    assert (change.event, change.by, change.fields) == ("approve", LEAD.id,
                                                        {"approval_note": NOTE})


def test_the_whole_life_on_the_variant_replays() -> None:
    t = (awaiting().fire("approve", at=T0 + H, by=MANAGER, fields={"approval_note": NOTE})
         .resolve(at=T0 + 2 * H, by=AGENT, resolution="refunded")
         .reopen(at=T0 + D)
         .fire("request_approval", at=T0 + D, by=AGENT)
         .fire("approve", at=T0 + 2 * D, by=LEAD, fields={"approval_note": NOTE})
         .resolve(at=T0 + 2 * D, by=AGENT, resolution="refunded again"))
    consistent(t)
    t = consistent(t.apply_timeouts(T0 + 30 * D))
    assert (t.status, t.ended_at) == ("closed", T0 + 9 * D)
    with pytest.raises(InvalidInputError, match="records an event the process does not have"):
        Ticket.replay(t.history)  # the preset has no approval step


@pytest.mark.parametrize(("who", "event", "make"), [
    (LEAD, "request_approval", "open"),
    (CUSTOMER, "request_approval", "open"),
    (AGENT, "approve", "awaiting"),
    (CUSTOMER, "approve", "awaiting"),
    (Actor.system(), "approve", "awaiting"),
    (AGENT, "expire", "awaiting"),
], ids=["lead-requests", "customer-requests", "agent-approves", "customer-approves",
        "system-approves", "agent-expires"])
def test_the_variant_roles_are_enforced(who: Actor, event: str, make: str) -> None:
    """P-08: the host's roles are as binding as the preset's."""
    t = awaiting() if make == "awaiting" else opened().reply(at=T0 + M, by=AGENT)
    copy = t.model_copy(deep=True)
    with pytest.raises(PermissionDenied) as info:
        t.fire(event, at=T0 + H, by=who, fields={"approval_note": NOTE})
    assert (info.value.command, info.value.state) == (event, t.status)
    assert NOTE not in str(info.value)
    assert who.id not in str(info.value)
    assert t == copy


def test_approval_requires_its_note() -> None:
    """P-03: a transition's required fields must be given; nothing changes without them."""
    t = awaiting()
    for fields in (None, {}, {"approval_note": ""}, {"approval_note": None}):
        with pytest.raises(InvalidInputError,
                           match=r"approve in state .awaiting_approval.: requires approval_note"):
            t.fire("approve", at=T0 + H, by=LEAD, fields=fields)
    assert consistent(t).status == "awaiting_approval"


def test_built_in_commands_follow_the_variant_states() -> None:
    t = awaiting()
    with pytest.raises(TransitionRejected, match="no 'resolve' transition"):
        t.resolve(at=T0 + H, by=AGENT, resolution="refunded")
    with pytest.raises(TransitionRejected, match="no 'request_approval' transition"):
        opened().fire("request_approval", at=T0 + H, by=AGENT)
    with pytest.raises(TransitionRejected, match="has no 'teleport' event"):
        t.fire("teleport", at=T0 + H, by=AGENT)


def test_the_variant_timeout_expires_the_request_by_the_system() -> None:
    t = awaiting()
    due = T0 + 4 * M + 2 * D
    assert t.timeout_due_at == due
    assert t.auto_close_due_at is None  # the timeout is not a close
    assert t.apply_timeouts(due - US) is t
    expired = consistent(t.apply_timeouts(due + 5 * D))
    change = expired.history[-1]
    assert isinstance(change, StatusChanged)
    assert (expired.status, change.event, change.by, change.at) == (
        "open", "expire", "system", due)


def test_a_targetless_host_action_keeps_the_state() -> None:
    """``add_note`` names no roles: anyone may fire it, and the state stays as it was."""
    t = opened().reply(at=T0 + M, by=AGENT)
    for who in (AGENT, LEAD, CUSTOMER, Actor.system()):
        noted = consistent(t.fire("add_note", at=T0 + H, by=who))
        change = noted.history[-1]
        assert isinstance(change, StatusChanged)
        assert (noted.status, noted.status_since) == ("open", t.status_since)
        assert (change.status, change.event, change.by) == ("open", "add_note", who.id)


def test_a_customer_cannot_act_on_another_customers_ticket_through_an_open_transition() -> None:
    """Customers act only on their own tickets, also where a host's transition names no
    roles."""
    t = opened().reply(at=T0 + M, by=AGENT)
    with pytest.raises(PermissionDenied):
        t.fire("add_note", at=T0 + H, by=OTHER_CUSTOMER)


def test_opening_with_something_that_is_no_process_is_invalid_input() -> None:
    bogus: Any = VARIANT.model_dump()
    with pytest.raises(InvalidInputError, match="ProcessDefinition"):
        Ticket.open(ticket_id="T-2", customer_id=CUSTOMER_ID, channel="phone",
                    category="refund", priority="P3", subject="x", at=T0, by=AGENT,
                    process=bogus)


# -- the SLA engine reads a variant ticket's history -----------------------------------------------


def sla_policy() -> SlaPolicy:
    """The handbook's SLA on a 24x7 UTC calendar: P1 resolution within 48 h, email first
    response within 4 h (S-04, S-08)."""
    return handbook.sla_policy(BusinessCalendar.always())


def test_the_preset_sla_runs_on_a_variant_ticket() -> None:
    """S-04 / S-08: first response met at 3 minutes; the resolution clock runs through the
    approval step (not a pause status) and pauses while pending the customer."""
    policy = sla_policy()
    t = (Ticket.open(ticket_id="T-3", customer_id=CUSTOMER_ID, channel="email",
                     category="refund", priority="P1", subject="Refund", at=T0, by=AGENT,
                     process=VARIANT)
         .reply(at=T0 + 3 * M, by=AGENT)
         .fire("request_approval", at=T0 + H, by=AGENT))
    report = t.sla(policy, T0 + 5 * H)
    assert report["first_response"].state == "met"
    assert report["first_response"].elapsed == 3 * M
    assert report["resolution"].state == "running"
    assert report["resolution"].elapsed == 5 * H

    t = (t.fire("approve", at=T0 + 6 * H, by=LEAD, fields={"approval_note": NOTE})
         .wait_on_customer(at=T0 + 10 * H, by=AGENT))
    paused = t.sla(policy, T0 + 30 * H)["resolution"]
    assert (paused.state, paused.elapsed, paused.due_at) == ("paused", 10 * H, None)

    t = t.customer_reply(at=T0 + 34 * H)
    running = t.sla(policy, T0 + 40 * H)["resolution"]
    assert (running.state, running.elapsed) == ("running", 16 * H)
    assert running.due_at == T0 + 34 * H + 38 * H  # 48 h target, 10 h used before the pause

    t = t.resolve(at=T0 + 41 * H, by=AGENT, resolution="refunded")
    met = t.sla(policy, T0 + 50 * H)["resolution"]
    assert (met.state, met.elapsed) == ("met", 17 * H)
    assert Ticket.replay(t.history, process=VARIANT).sla(policy, T0 + 50 * H) == t.sla(
        policy, T0 + 50 * H)
