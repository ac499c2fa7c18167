"""Replay edges of the ticket (issue 20: tests that would notice): the command's own rules in
replay (an escalation only goes up, S-11; a priority change changes the priority), a status
change naming a command that records its own event, creations by actors who could not have
opened the ticket (P-08), the companion ``StatusChanged``'s actor, and histories whose actors
change from event to event.

Each forged history below is one a live command could not have produced; replay refuses it
naming the first such event.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from servicekit.errors import InvalidInputError, TransitionRejected
from servicekit.events import (
    Event,
    StatusChanged,
    TicketAssigned,
    TicketCreated,
    time_ordered_id,
)
from servicekit.presets.processes import ticket_process
from servicekit.processes import ProcessDefinition
from servicekit.tickets import Actor, Ticket

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
M = timedelta(minutes=1)
H = timedelta(hours=1)
CUSTOMER_ID = "cust-1"
AGENT = Actor(id="agent-1", roles=frozenset({"agent"}))
LEAD = Actor(id="lead-1", roles=frozenset({"lead"}))
AUDITOR = Actor(id="audit-1", roles=frozenset({"auditor"}))


def opened(process: ProcessDefinition | None = None, by: Actor = AGENT) -> Ticket:
    return Ticket.open(ticket_id="T-1", customer_id=CUSTOMER_ID, channel="email",
                       category="billing", priority="P3", subject="s", at=T0, by=by,
                       process=process)


def working(process: ProcessDefinition | None = None) -> Ticket:
    """Open and assigned (history: created, assigned, its StatusChanged)."""
    return opened(process).assign(AGENT.id, at=T0 + M, by=LEAD)


def again(ev: Event, at: datetime, **update: Any) -> Event:
    """``ev`` recorded once more at ``at`` (a new event id), with ``update``."""
    return ev.model_copy(update={"event_id": time_ordered_id(at), "at": at, **update})


def refused(history: tuple[Event, ...], message: str,
            process: ProcessDefinition | None = None) -> None:
    with pytest.raises(InvalidInputError) as info:
        Ticket.replay(history, process=process)
    assert str(info.value) == message


# -- the command's own rules ---------------------------------------------------------------------


def test_replay_refuses_an_escalation_to_the_same_or_a_lower_level_s11() -> None:
    """S-11: an escalation only goes up, in replay as live."""
    t = working().escalate(level=2, at=T0 + H, by=LEAD)
    with pytest.raises(TransitionRejected, match="already at escalation level 2"):
        t.escalate(level=2, at=T0 + 2 * H, by=LEAD)
    for level in (2, 1):
        forged = (*t.history, again(t.history[-1], T0 + 2 * H, level=level))
        refused(forged, "history[4] (TicketEscalated): the ticket is already at escalation "
                        "level 2")
    up = again(t.history[-1], T0 + 2 * H, level=3)
    assert Ticket.replay((*t.history, up)).escalation_level == 3


def test_replay_refuses_a_priority_change_to_the_same_priority() -> None:
    t = working().change_priority("P1", at=T0 + H, by=LEAD, reason="vip")
    forged = (*t.history, again(t.history[-1], T0 + 2 * H))
    refused(forged, "history[4] (PriorityChanged): the ticket already has that priority")
    back = again(t.history[-1], T0 + 2 * H, priority="P3")
    assert Ticket.replay((*t.history, back)).priority == "P3"


def capped() -> ProcessDefinition:
    """A host's variant: escalation is guarded, up to level 2 only."""
    doc: dict[str, Any] = ticket_process().model_dump(mode="json")
    doc["name"] = "ticket_capped"
    for t in doc["transitions"]:
        if t["event"] == "escalate":
            t["guard"] = "escalation_level < 2"
    return ProcessDefinition.model_validate(doc)


def test_replay_checks_the_commands_own_rule_under_a_guard_too() -> None:
    """A guarded escalation whose guard holds is still refused by the rule that an escalation
    only goes up, in replay as live; past the guard's cap it is refused by the guard."""
    process = capped()
    t = working(process).escalate(level=1, at=T0 + H, by=LEAD)
    same = (*t.history, again(t.history[-1], T0 + 2 * H))
    refused(same, "history[4] (TicketEscalated): the ticket is already at escalation level 1",
            process)
    t = t.escalate(level=2, at=T0 + 2 * H, by=LEAD)
    assert Ticket.replay(t.history, process=process) == t
    with pytest.raises(TransitionRejected, match="escalation_level < 2"):
        t.escalate(level=3, at=T0 + 3 * H, by=LEAD)
    over = (*t.history, again(t.history[-1], T0 + 3 * H, level=3))
    refused(over, "history[5] (TicketEscalated): escalate in state 'open': no guard holds",
            process)


def test_a_status_change_naming_a_command_with_its_own_event_is_refused() -> None:
    """``resolve`` records TicketResolved: a bare StatusChanged naming it is not what the
    command records, though the process has the move."""
    t = working()
    bare = StatusChanged(event_id=time_ordered_id(T0 + H), stream_id="T-1", at=T0 + H,
                         by=AGENT.id, roles=AGENT.roles, status="resolved", event="resolve",
                         fields={"resolution": "done"})
    refused((*t.history, bare),
            "history[3] (StatusChanged): a status change without its transition")
    named = bare.model_copy(update={"event": "wait_on_customer", "status": "pending_customer"})
    assert Ticket.replay((*t.history, named)).status == "pending_customer"


# -- who acted -----------------------------------------------------------------------------------


def test_replay_refuses_a_creation_whose_actor_could_not_have_opened_the_ticket_p08() -> None:
    created = opened().history[0]
    assert isinstance(created, TicketCreated)
    refused((created.model_copy(update={"roles": frozenset()}),),
            "history[0] (TicketCreated): the actor or the roles it acted in are not recorded "
            "(P-08: authority is explicit)")
    refused((created.model_copy(update={"by": None}),),
            "history[0] (TicketCreated): the actor or the roles it acted in are not recorded "
            "(P-08: authority is explicit)")
    other = created.model_copy(update={"by": "cust-2", "roles": frozenset({"customer"})})
    refused((other,), "history[0] (TicketCreated): not permitted: only staff or the customer "
                      "start a ticket")
    own = created.model_copy(update={"by": CUSTOMER_ID, "roles": frozenset({"customer"})})
    assert Ticket.replay((own,)).history[0].by == CUSTOMER_ID


def test_a_companion_status_change_is_by_the_same_actor_in_the_same_roles() -> None:
    """The companion of an assignment from ``new`` records the same actor and roles: equal
    roles held in another set are the same roles; other roles are not."""
    t = working()
    assigned, companion = t.history[1], t.history[2]
    assert isinstance(assigned, TicketAssigned)
    assert isinstance(companion, StatusChanged)
    equal = StatusChanged._trusted(**{**companion.__dict__, "roles": frozenset({"lead"})})
    assert equal.roles == assigned.roles
    assert equal.roles is not assigned.roles
    assert Ticket.replay((t.history[0], assigned, equal)) == t
    for update in ({"roles": frozenset({"manager"})}, {"by": "lead-2"}):
        other = companion.model_copy(update=update)
        refused((t.history[0], assigned, other),
                "history[2] (StatusChanged): expected the StatusChanged of assign to 'open'")


def test_replay_judges_each_event_by_its_own_actors_roles() -> None:
    """The same step by another actor is judged again: a lead changes the priority, then one
    in a role the process does not know (or an agent) does the same in the same state."""
    t = working().change_priority("P1", at=T0 + H, by=LEAD, reason="vip")
    for actor, reason in ((AUDITOR, "requires one of the roles lead, manager"),
                          (AGENT, "requires one of the roles lead, manager")):
        forged = again(t.history[-1], T0 + 2 * H, priority="P2", by=actor.id,
                       roles=actor.roles)
        refused((*t.history, forged),
                f"history[4] (PriorityChanged): change_priority not permitted: {reason}")
    lead_again = again(t.history[-1], T0 + 2 * H, priority="P2")
    assert Ticket.replay((*t.history, lead_again)).priority == "P2"


def test_replay_judges_a_customer_by_whether_the_ticket_is_theirs() -> None:
    """P-08: the ticket's customer replies (the same roles as any customer); another customer
    replying after them is refused, though the roles and the step are the same."""
    t = working().customer_reply(at=T0 + H)
    assert t.history[-1].by == CUSTOMER_ID
    other = again(t.history[-1], T0 + 2 * H, by="cust-2")
    assert other.roles == t.history[-1].roles
    refused((*t.history, other), "history[4] (CustomerReplied): customer_reply not permitted: "
                                 "a customer acts only on their own tickets")
    mine = again(t.history[-1], T0 + 2 * H)
    assert Ticket.replay((*t.history, mine)).version == 5


def stored(t: Ticket) -> tuple[Event, ...]:
    """``t``'s history as a store gives it back (from JSON: one object per role set)."""
    return tuple(Event.from_dict(ev.to_dict()) for ev in t.history)


def test_after_a_store_another_customer_in_the_same_roles_is_still_refused() -> None:
    """From a store, the ticket's customer and another customer act in the very same role-set
    object: only whether the ticket is theirs tells them apart (P-08)."""
    t = working().customer_reply(at=T0 + H)
    history = stored(t)
    other = again(history[-1], T0 + 2 * H, by="cust-2")
    assert other.roles is history[-1].roles
    refused((*history, other), "history[4] (CustomerReplied): customer_reply not permitted: "
                               "a customer acts only on their own tickets")
    mine = again(history[-1], T0 + 2 * H)
    assert Ticket.replay((*history, mine)).version == 5


def test_a_later_event_that_records_no_roles_is_refused_p08() -> None:
    t = working().reply(at=T0 + H, by=AGENT)
    message = ("history[3] (AgentReplied): the actor or the roles it acted in are not recorded "
               "(P-08: authority is explicit)")
    for update in ({"roles": frozenset()}, {"by": None}):
        refused((*t.history[:3], t.history[3].model_copy(update=update)), message)
    assert Ticket.replay(t.history) == t
