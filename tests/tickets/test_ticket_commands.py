"""Worked examples of the ticket aggregate (issue 5, "The ticket"), one or more per command.

Every example checks the status, the fields the command changes, the events it appends (with
``by``, P-08: who did what is recorded) and that the result is consistent: ``version`` counts the
events and ``Ticket.replay(history)`` rebuilds the same value. The rejections are checked in one
table: each is a ``ServiceKitError`` naming the command (a ``TransitionRejected`` or
``PermissionDenied`` also the state and the reason), never repeats personal data, and leaves the
ticket exactly as it was.

Times are in UTC from Monday 2026-03-02 09:00, so the 7-day reopen window is plain clock
arithmetic (time zones and DST are in ``test_ticket_replay.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest

from servicekit.errors import (
    InvalidInputError,
    NaiveDatetimeError,
    PermissionDenied,
    ServiceKitError,
    TransitionRejected,
    UnknownCommand,
)
from servicekit.events import (
    AgentReplied,
    CustomerReplied,
    PriorityChanged,
    StatusChanged,
    TicketAssigned,
    TicketCancelled,
    TicketClosed,
    TicketCreated,
    TicketEscalated,
    TicketReopened,
    TicketResolved,
)
from servicekit.presets.processes import ticket_process
from servicekit.tickets import Actor, Ticket

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
US = timedelta(microseconds=1)
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)
WINDOW = timedelta(days=7)

# Personal data, which no error message may repeat: ids, free text, phone numbers, a card.
CUSTOMER_ID = "cust-zhang-13800138000"
SUBJECT = "Charged twice, call me on 13912345678"
REASON = "VIP wang.fang@example.com is furious"
RESOLUTION = "Refunded to card 6222 0000 1111 2222"
AGENT = Actor(id="agent-li-0417", roles=frozenset({"agent"}))
LEAD = Actor(id="lead-chen-0802", roles=frozenset({"lead"}))
MANAGER = Actor(id="manager-zhou-1209", roles=frozenset({"manager"}))
CUSTOMER = Actor.customer(CUSTOMER_ID)
OTHER_CUSTOMER = Actor.customer("cust-wu-13700000000")
SYSTEM = Actor.system()
PRIVATE = (CUSTOMER_ID, SUBJECT, REASON, RESOLUTION, AGENT.id, LEAD.id, MANAGER.id,
           OTHER_CUSTOMER.id, "13800138000", "wang.fang")


def bad(value: object) -> Any:
    """A value of the wrong type, passed on purpose."""
    return value


# -- tickets at each stage of a life -------------------------------------------------------------


def opened(*, by: Actor = AGENT, priority: str = "P3") -> Ticket:
    return Ticket.open(ticket_id="T-1", customer_id=CUSTOMER_ID, channel="email",
                       category="billing", priority=priority, subject=SUBJECT, at=T0, by=by)


def assigned() -> Ticket:
    """open, assigned to the agent, no reply yet."""
    return opened().assign(to=AGENT.id, at=T0 + 5 * M, by=LEAD)


def working() -> Ticket:
    """open, assigned, one public reply."""
    return assigned().reply(at=T0 + 20 * M, by=AGENT)


def waiting(status: str = "pending_customer") -> Ticket:
    t = working()
    at = T0 + H
    if status == "pending_customer":
        return t.wait_on_customer(at=at, by=AGENT)
    return t.wait_on_third_party(at=at, by=AGENT)


def resolved() -> Ticket:
    """resolved at T0 + 2h with one public reply."""
    return working().resolve(at=T0 + 2 * H, by=AGENT, resolution=RESOLUTION)


def closed() -> Ticket:
    return resolved().close(at=T0 + 3 * H, by=AGENT)


def cancelled() -> Ticket:
    return opened().cancel(at=T0 + H, by=LEAD, reason=REASON)


def escalated() -> Ticket:
    return working().escalate(level=2, at=T0 + H, by=LEAD, reason=REASON)


def kinds(t: Ticket) -> list[str]:
    return [type(e).__name__ for e in t.history]


def consistent(t: Ticket) -> Ticket:
    """The ticket's invariants: its version counts its events, its history starts with
    TicketCreated and never goes back in time, and replay rebuilds the same value."""
    assert t.version == len(t.history)
    assert isinstance(t.history[0], TicketCreated)
    assert all(a.at <= b.at for a, b in pairwise(t.history))
    assert {e.ticket_id for e in t.history} == {t.ticket_id}
    assert t.status in {s.id for s in t.process.states}
    assert Ticket.replay(t.history) == t
    return t


def last_status_change(t: Ticket) -> StatusChanged:
    event = t.history[-1]
    assert isinstance(event, StatusChanged)
    return event


# -- open --------------------------------------------------------------------------------------


def test_open_records_who_opened_what_in_the_initial_state() -> None:
    """P-01: a request is recorded with its classification (channel, category, priority)."""
    t = consistent(opened())
    assert (t.status, t.status_label, t.status_label_zh) == ("new", "New", "新建")
    assert (t.ticket_id, t.customer_id, t.subject) == ("T-1", CUSTOMER_ID, SUBJECT)
    assert (t.channel, t.category, t.priority) == ("email", "billing", "P3")
    assert (t.assignee, t.escalation_level, t.version) == (None, 0, 1)
    assert t.opened_at == t.updated_at == t.status_since == T0
    assert (t.resolved_at, t.ended_at, t.first_contact_resolution) == (None, None, None)
    assert not t.is_final
    assert t.timeout_due_at is None
    assert t.auto_close_due_at is None
    created = t.history[0]
    assert isinstance(created, TicketCreated)
    assert (created.by, created.customer_id, created.priority) == (AGENT.id, CUSTOMER_ID, "P3")


def test_open_keeps_tier_and_attributes_on_the_created_event() -> None:
    t = Ticket.open(ticket_id="T-1", customer_id=CUSTOMER_ID, channel="phone",
                    category="repair", priority="P2", subject=SUBJECT, at=T0, by=AGENT,
                    customer_tier="gold", attributes={"product": "X-1"})
    created = consistent(t).history[0]
    assert isinstance(created, TicketCreated)
    assert (created.customer_tier, created.attributes) == ("gold", {"product": "X-1"})


def test_a_customer_opens_a_ticket_for_themself_only() -> None:
    t = consistent(opened(by=CUSTOMER))
    assert t.history[0].by == CUSTOMER_ID
    with pytest.raises(PermissionDenied) as info:
        opened(by=OTHER_CUSTOMER)
    assert info.value.command == "open"
    assert all(secret not in str(info.value) for secret in PRIVATE)


def test_the_default_process_is_the_handbook_ticket_process() -> None:
    """P-01: the lifecycle is the preset's data, auto-close included."""
    assert opened().process == ticket_process()
    timeout = ticket_process().state("resolved").timeout
    assert timeout is not None
    assert (timeout.event, timeout.after) == ("close", WINDOW)


# -- assign ------------------------------------------------------------------------------------


def test_assign_by_a_lead_opens_a_new_ticket() -> None:
    """P-01: the request is assigned; the move to open is recorded as a StatusChanged."""
    t = consistent(assigned())
    assert (t.status, t.assignee, t.version) == ("open", AGENT.id, 3)
    assert kinds(t) == ["TicketCreated", "TicketAssigned", "StatusChanged"]
    assignment = t.history[1]
    assert isinstance(assignment, TicketAssigned)
    assert (assignment.assignee, assignment.by, assignment.at) == (AGENT.id, LEAD.id, T0 + 5 * M)
    change = last_status_change(t)
    assert (change.status, change.event, change.by) == ("open", "assign", LEAD.id)
    assert t.status_since == T0 + 5 * M


@pytest.mark.parametrize("status", ["pending_customer", "pending_third_party"])
def test_reassigning_a_pending_ticket_keeps_it_pending(status: str) -> None:
    before = waiting(status)
    t = consistent(before.assign(to="agent-2", at=T0 + 2 * H, by=MANAGER))
    assert (t.status, t.assignee, t.status_since) == (status, "agent-2", before.status_since)
    assert kinds(t)[len(before.history):] == ["TicketAssigned"]
    assert t.history[-1].by == MANAGER.id


def test_reassigning_an_open_ticket_adds_no_status_change() -> None:
    t = consistent(working().assign(to="agent-2", at=T0 + H, by=LEAD))
    assert kinds(t)[-1] == "TicketAssigned"
    assert t.assignee == "agent-2"


# -- reply and customer_reply ------------------------------------------------------------------


def test_a_public_reply_on_a_new_ticket_opens_it() -> None:
    t = consistent(opened().reply(at=T0 + M, by=AGENT, public=True))
    assert (t.status, t.public_replies) == ("open", 1)
    assert kinds(t) == ["TicketCreated", "AgentReplied", "StatusChanged"]
    reply = t.history[1]
    assert isinstance(reply, AgentReplied)
    assert (reply.public, reply.by) == (True, AGENT.id)
    assert (last_status_change(t).status, last_status_change(t).event) == ("open", "reply")


def test_a_private_note_is_recorded_but_not_counted_as_a_public_reply() -> None:
    t = consistent(working().reply(at=T0 + H, by=LEAD, public=False))
    note = t.history[-1]
    assert isinstance(note, AgentReplied)
    assert (note.public, note.by) == (False, LEAD.id)
    assert t.public_replies == 1


@pytest.mark.parametrize("status", ["pending_customer", "pending_third_party"])
def test_a_reminder_keeps_a_pending_ticket_pending(status: str) -> None:
    t = consistent(waiting(status).reply(at=T0 + 2 * H, by=AGENT))
    assert (t.status, t.public_replies) == (status, 2)
    assert kinds(t)[-1] == "AgentReplied"


def test_customer_reply_defaults_by_to_the_ticket_customer() -> None:
    """On a new ticket a customer reply is recorded and the ticket stays new."""
    t = consistent(opened().customer_reply(at=T0 + M))
    assert t.status == "new"
    assert kinds(t) == ["TicketCreated", "CustomerReplied"]
    assert isinstance(t.history[-1], CustomerReplied)
    assert t.history[-1].by == CUSTOMER_ID


@pytest.mark.parametrize("status", ["pending_customer", "pending_third_party"])
def test_a_customer_reply_on_a_pending_ticket_reopens_it_to_open(status: str) -> None:
    """As Zendesk does: the customer wrote back, so the ticket is worked on again."""
    before = waiting(status)
    t = consistent(before.customer_reply(at=T0 + 3 * H, by=CUSTOMER))
    assert (t.status, t.status_since) == ("open", T0 + 3 * H)
    assert kinds(t)[len(before.history):] == ["CustomerReplied", "StatusChanged"]
    change = last_status_change(t)
    assert (change.status, change.event, change.by) == ("open", "customer_reply", CUSTOMER_ID)


def test_a_customer_reply_on_an_open_ticket_keeps_it_open() -> None:
    t = consistent(working().customer_reply(at=T0 + H))
    assert t.status == "open"
    assert kinds(t)[-1] == "CustomerReplied"


# -- waiting and resuming ----------------------------------------------------------------------


@pytest.mark.parametrize(("command", "status"), [("wait_on_customer", "pending_customer"),
                                                 ("wait_on_third_party", "pending_third_party")])
def test_waiting_records_the_pending_status(command: str, status: str) -> None:
    before = working()
    t = consistent(getattr(before, command)(at=T0 + H, by=AGENT))
    assert (t.status, t.status_since, t.version) == (status, T0 + H, before.version + 1)
    change = last_status_change(t)
    assert (change.status, change.event, change.by) == (status, command, AGENT.id)
    assert t.status_label_zh == {"pending_customer": "待客户回复",
                                 "pending_third_party": "待第三方"}[status]


@pytest.mark.parametrize("status", ["pending_customer", "pending_third_party"])
def test_resume_returns_a_pending_ticket_to_open(status: str) -> None:
    t = consistent(waiting(status).resume(at=T0 + 4 * H, by=LEAD))
    assert (t.status, t.status_since) == ("open", T0 + 4 * H)
    change = last_status_change(t)
    assert (change.status, change.event, change.by) == ("open", "resume", LEAD.id)


def test_fire_moves_a_ticket_like_the_named_method() -> None:
    by_method = working().wait_on_customer(at=T0 + H, by=AGENT)
    by_name = working().fire("wait_on_customer", at=T0 + H, by=AGENT)
    consistent(by_name)
    assert (by_name.status, kinds(by_name)) == (by_method.status, kinds(by_method))
    resumed = consistent(by_name.fire("resume", at=T0 + 2 * H, by=AGENT))
    assert resumed.status == "open"


# -- priority and escalation (lead or higher) ---------------------------------------------------


@pytest.mark.parametrize("who", [LEAD, MANAGER], ids=["lead", "manager"])
def test_a_lead_or_manager_changes_the_priority(who: Actor) -> None:
    before = working()
    t = consistent(before.change_priority("P1", at=T0 + H, by=who, reason=REASON))
    assert (t.priority, t.status, t.version) == ("P1", "open", before.version + 1)
    change = t.history[-1]
    assert isinstance(change, PriorityChanged)
    assert (change.priority, change.reason, change.by) == ("P1", REASON, who.id)


def test_priority_may_change_on_a_new_or_pending_ticket_without_moving_it() -> None:
    t = consistent(opened().change_priority("P2", at=T0 + M, by=LEAD))
    assert (t.status, t.priority) == ("new", "P2")
    t = consistent(waiting().change_priority("P4", at=T0 + 2 * H, by=LEAD))
    assert (t.status, t.priority) == ("pending_customer", "P4")


@pytest.mark.parametrize("who", [LEAD, MANAGER], ids=["lead", "manager"])
def test_a_lead_or_manager_escalates_step_by_step(who: Actor) -> None:
    """S-11: escalation goes up a chain of levels, never down."""
    t = consistent(working().escalate(level=1, at=T0 + H, by=who, reason=REASON))
    assert (t.escalation_level, t.status) == (1, "open")
    t = consistent(t.escalate(level=3, at=T0 + 2 * H, by=who))
    assert t.escalation_level == 3
    event = t.history[-1]
    assert isinstance(event, TicketEscalated)
    assert (event.level, event.reason, event.by) == (3, None, who.id)
    assert kinds(t)[-2:] == ["TicketEscalated", "TicketEscalated"]


def test_a_pending_ticket_can_be_escalated_and_stays_pending() -> None:
    t = consistent(waiting("pending_third_party").escalate(level=1, at=T0 + 2 * H, by=LEAD))
    assert (t.status, t.escalation_level) == ("pending_third_party", 1)


# -- resolve, reopen, close, cancel ------------------------------------------------------------


def test_resolve_records_the_resolution_and_starts_the_auto_close_clock() -> None:
    t = consistent(resolved())
    assert (t.status, t.status_label_zh, t.resolved_at) == ("resolved", "已解决", T0 + 2 * H)
    assert kinds(t)[-1] == "TicketResolved"  # no companion: the event says where it went
    event = t.history[-1]
    assert isinstance(event, TicketResolved)
    assert (event.resolution, event.by) == (RESOLUTION, AGENT.id)
    assert t.auto_close_due_at == t.timeout_due_at == T0 + 2 * H + WINDOW
    assert not t.is_final


@pytest.mark.parametrize("status", ["pending_customer", "pending_third_party"])
def test_a_pending_ticket_can_be_resolved(status: str) -> None:
    t = consistent(waiting(status).resolve(at=T0 + 2 * H, by=AGENT, resolution=RESOLUTION))
    assert t.status == "resolved"


@pytest.mark.parametrize("who", [CUSTOMER, AGENT, MANAGER], ids=["customer", "agent", "manager"])
def test_reopen_exactly_at_the_end_of_the_window_is_allowed(who: Actor) -> None:
    """The reopen window is closed at its end: 7 days after the resolution, to the microsecond."""
    before = resolved()
    assert before.resolved_at == T0 + 2 * H
    t = consistent(before.reopen(at=T0 + 2 * H + WINDOW, by=who))
    assert (t.status, t.resolved_at, t.reopens) == ("open", None, 1)
    assert (t.auto_close_due_at, t.timeout_due_at) == (None, None)
    assert kinds(t)[-1] == "TicketReopened"
    assert t.history[-1].by == who.id


def test_reopen_by_default_is_the_customer() -> None:
    t = consistent(resolved().reopen(at=T0 + 3 * D))
    assert isinstance(t.history[-1], TicketReopened)
    assert t.history[-1].by == CUSTOMER_ID


def test_reopen_just_after_the_window_is_rejected() -> None:
    before = resolved()
    deadline = T0 + 2 * H + WINDOW
    with pytest.raises(TransitionRejected) as info:
        before.reopen(at=deadline + US)
    assert (info.value.command, info.value.state) == ("reopen", "resolved")
    assert "reopen window" in info.value.reason
    with pytest.raises(TransitionRejected):
        before.reopen(at=deadline + 30 * D, by=MANAGER)


def test_the_window_counts_from_the_latest_resolution() -> None:
    first = resolved()
    again = first.reopen(at=T0 + 6 * D).resolve(at=T0 + 10 * D, by=AGENT, resolution="again")
    t = consistent(again.reopen(at=T0 + 16 * D))
    assert (t.status, t.reopens) == ("open", 2)


@pytest.mark.parametrize("who", [AGENT, SYSTEM], ids=["agent", "system"])
def test_close_ends_a_resolved_ticket(who: Actor) -> None:
    t = consistent(resolved().close(at=T0 + 3 * H, by=who))
    assert (t.status, t.status_label_zh, t.ended_at) == ("closed", "已关闭", T0 + 3 * H)
    assert kinds(t)[-1] == "TicketClosed"
    assert isinstance(t.history[-1], TicketClosed)
    assert t.history[-1].by == who.id
    assert t.is_final
    assert t.allowed_commands() == ()
    assert (t.timeout_due_at, t.auto_close_due_at) == (None, None)


@pytest.mark.parametrize("make", [opened, working, waiting, escalated],
                         ids=["new", "open", "pending", "escalated"])
@pytest.mark.parametrize("who", [LEAD, MANAGER], ids=["lead", "manager"])
def test_a_lead_or_manager_cancels_an_unresolved_ticket(make: Callable[[], Ticket],
                                                        who: Actor) -> None:
    before = make()
    t = consistent(before.cancel(at=T0 + 5 * H, by=who, reason=REASON))
    assert (t.status, t.status_label_zh, t.ended_at) == ("cancelled", "已取消", T0 + 5 * H)
    event = t.history[-1]
    assert isinstance(event, TicketCancelled)
    assert (event.reason, event.by) == (REASON, who.id)
    assert t.version == before.version + 1
    assert t.is_final


# -- timeouts ----------------------------------------------------------------------------------


def test_apply_timeouts_closes_a_resolved_ticket_at_the_due_instant() -> None:
    """The resolved state's timeout: the system closes the ticket 7 days after resolution."""
    before = resolved()
    due = before.auto_close_due_at
    assert due == T0 + 2 * H + WINDOW
    assert before.apply_timeouts(due - US) is before
    for now in (due, due + 30 * D):
        t = consistent(before.apply_timeouts(now))
        assert (t.status, t.ended_at, t.version) == ("closed", due, before.version + 1)
        assert isinstance(t.history[-1], TicketClosed)
        assert (t.history[-1].by, t.history[-1].at) == ("system", due)
        assert t.apply_timeouts(now + 60 * D) is t


@pytest.mark.parametrize("make", [opened, working, waiting, closed, cancelled],
                         ids=["new", "open", "pending", "closed", "cancelled"])
def test_nothing_is_due_outside_the_resolved_state(make: Callable[[], Ticket]) -> None:
    t = make()
    assert (t.timeout_due_at, t.auto_close_due_at) == (None, None)
    assert t.apply_timeouts(T0 + 365 * D) is t


def test_apply_timeouts_rejects_a_naive_instant() -> None:
    with pytest.raises(NaiveDatetimeError, match="apply_timeouts"):
        resolved().apply_timeouts(datetime(2026, 4, 1))


def test_a_reopen_at_the_due_instant_wins_over_a_later_auto_close() -> None:
    """At the end of the window both are possible; whichever the host applies first wins."""
    before = resolved()
    due = before.auto_close_due_at
    assert due is not None
    reopened = consistent(before.reopen(at=due))
    assert reopened.apply_timeouts(due + D) is reopened
    auto_closed = consistent(before.apply_timeouts(due))
    with pytest.raises(TransitionRejected):
        auto_closed.reopen(at=due)


# -- allowed commands ----------------------------------------------------------------------------


def test_allowed_commands_follow_the_state_and_the_roles() -> None:
    t = working()
    assert set(t.allowed_commands(AGENT)) == {"reply", "wait_on_customer",
                                              "wait_on_third_party", "resolve"}
    assert set(t.allowed_commands(LEAD)) >= {"assign", "change_priority", "escalate", "cancel"}
    assert t.allowed_commands(CUSTOMER) == ("customer_reply",)
    assert set(resolved().allowed_commands(SYSTEM)) == {"close"}
    assert set(resolved().allowed_commands(CUSTOMER)) == {"reopen"}


# -- a typical life, event by event -------------------------------------------------------------


def test_a_typical_life_counts_its_events() -> None:
    """open → assign → reply → wait → customer reply → resolve → close: each command appends its
    event (and a StatusChanged where the event does not say where the ticket went)."""
    t = opened()
    steps: list[tuple[Callable[[Ticket], Ticket], list[str], str]] = [
        (lambda t: t.assign(to=AGENT.id, at=T0 + M, by=LEAD),
         ["TicketAssigned", "StatusChanged"], "open"),
        (lambda t: t.reply(at=T0 + 2 * M, by=AGENT), ["AgentReplied"], "open"),
        (lambda t: t.wait_on_customer(at=T0 + 3 * M, by=AGENT),
         ["StatusChanged"], "pending_customer"),
        (lambda t: t.customer_reply(at=T0 + H), ["CustomerReplied", "StatusChanged"], "open"),
        (lambda t: t.change_priority("P2", at=T0 + 2 * H, by=LEAD, reason=REASON),
         ["PriorityChanged"], "open"),
        (lambda t: t.escalate(level=1, at=T0 + 2 * H, by=MANAGER), ["TicketEscalated"], "open"),
        (lambda t: t.resolve(at=T0 + 3 * H, by=AGENT, resolution=RESOLUTION),
         ["TicketResolved"], "resolved"),
        (lambda t: t.close(at=T0 + 4 * H, by=AGENT), ["TicketClosed"], "closed"),
    ]
    for step, new_events, status in steps:
        after = consistent(step(t))
        assert after.history[: len(t.history)] == t.history
        assert kinds(after)[len(t.history):] == new_events
        assert after.version == t.version + len(new_events)
        assert after.status == status
        assert after.updated_at == after.history[-1].at
        t = after
    assert t.version == 11
    assert (t.priority, t.escalation_level, t.first_contact_resolution) == ("P2", 1, True)


# -- first-contact resolution (M-02) ---------------------------------------------------------------


def test_fcr_is_unknown_until_the_ticket_is_resolved() -> None:
    """M-02: first-contact resolution is recorded once the ticket is first resolved."""
    for t in (opened(), working(), waiting(), escalated()):
        assert t.first_contact_resolution is None


def test_fcr_one_public_reply_no_reopen() -> None:
    """M-02: resolved with exactly one public agent reply and never reopened."""
    t = resolved()
    assert t.first_contact_resolution is True
    assert t.close(at=T0 + D, by=AGENT).first_contact_resolution is True
    assert t.model_dump()["first_contact_resolution"] is True


def test_fcr_private_notes_do_not_count() -> None:
    """M-02: internal notes are not contacts with the customer."""
    t = (working().reply(at=T0 + H, by=AGENT, public=False)
         .reply(at=T0 + H, by=LEAD, public=False)
         .resolve(at=T0 + 2 * H, by=AGENT, resolution=RESOLUTION))
    assert (t.public_replies, t.first_contact_resolution) == (1, True)


def test_fcr_two_public_replies_is_not_first_contact() -> None:
    """M-02: a second public reply means the first contact did not resolve it."""
    t = (working().reply(at=T0 + H, by=AGENT)
         .resolve(at=T0 + 2 * H, by=AGENT, resolution=RESOLUTION))
    assert t.first_contact_resolution is False


def test_fcr_a_resolution_without_any_public_reply_is_not_first_contact() -> None:
    """M-02 (as Zendesk's one-touch tickets): zero public replies is not one contact."""
    t = (assigned().reply(at=T0 + H, by=AGENT, public=False)
         .resolve(at=T0 + 2 * H, by=AGENT, resolution=RESOLUTION))
    assert t.first_contact_resolution is False


def test_fcr_a_reopen_loses_it_for_good() -> None:
    """M-02: a reopened ticket was not resolved at first contact, however it ends."""
    t = resolved().reopen(at=T0 + D)
    assert t.first_contact_resolution is False
    t = t.resolve(at=T0 + 2 * D, by=AGENT, resolution=RESOLUTION)
    assert t.first_contact_resolution is False
    assert t.close(at=T0 + 3 * D, by=SYSTEM).first_contact_resolution is False


def test_fcr_a_ticket_cancelled_unresolved_has_none() -> None:
    """M-02: a cancelled ticket was not solved at all; it is outside the FCR rate."""
    assert cancelled().first_contact_resolution is None
    assert working().cancel(at=T0 + H, by=LEAD, reason=REASON).first_contact_resolution is None


def test_fcr_is_replayed_from_the_history() -> None:
    for t in (resolved(), resolved().reopen(at=T0 + D), cancelled()):
        assert Ticket.replay(t.history).first_contact_resolution == t.first_contact_resolution


# -- rejections ----------------------------------------------------------------------------------

Call = Callable[[Ticket], object]


def _later(t: Ticket, delta: timedelta = M) -> datetime:
    return t.updated_at + delta


def _rejected(make: Callable[[], Ticket], call: Call, error: type[ServiceKitError],
              command: str, ident: str) -> Any:
    return pytest.param(make, call, error, command, id=ident)


REJECTIONS = [
    # wrong state: the process has no such transition from here
    _rejected(opened, lambda t: t.resolve(at=_later(t), by=AGENT, resolution=RESOLUTION),
              TransitionRejected, "resolve", "resolve-a-new-ticket"),
    _rejected(opened, lambda t: t.wait_on_customer(at=_later(t), by=AGENT),
              TransitionRejected, "wait_on_customer", "wait-on-a-new-ticket"),
    _rejected(working, lambda t: t.resume(at=_later(t), by=AGENT),
              TransitionRejected, "resume", "resume-an-open-ticket"),
    _rejected(waiting, lambda t: t.wait_on_third_party(at=_later(t), by=AGENT),
              TransitionRejected, "wait_on_third_party", "wait-twice"),
    _rejected(working, lambda t: t.reopen(at=_later(t), by=AGENT),
              TransitionRejected, "reopen", "reopen-an-open-ticket"),
    _rejected(working, lambda t: t.close(at=_later(t), by=AGENT),
              TransitionRejected, "close", "close-an-unresolved-ticket"),
    _rejected(resolved, lambda t: t.cancel(at=_later(t), by=LEAD, reason=REASON),
              TransitionRejected, "cancel", "cancel-a-resolved-ticket"),
    _rejected(resolved, lambda t: t.reply(at=_later(t), by=AGENT),
              TransitionRejected, "reply", "reply-on-a-resolved-ticket"),
    _rejected(closed, lambda t: t.reopen(at=_later(t)),
              TransitionRejected, "reopen", "reopen-a-closed-ticket"),
    _rejected(closed, lambda t: t.customer_reply(at=_later(t)),
              TransitionRejected, "customer_reply", "customer-reply-on-a-closed-ticket"),
    _rejected(closed, lambda t: t.close(at=_later(t), by=AGENT),
              TransitionRejected, "close", "close-twice"),
    _rejected(cancelled, lambda t: t.assign(to=AGENT.id, at=_later(t), by=LEAD),
              TransitionRejected, "assign", "assign-a-cancelled-ticket"),
    _rejected(cancelled, lambda t: t.cancel(at=_later(t), by=LEAD, reason=REASON),
              TransitionRejected, "cancel", "cancel-twice"),
    _rejected(opened, lambda t: t.fire("resume", at=_later(t), by=AGENT),
              TransitionRejected, "resume", "fire-resume-on-a-new-ticket"),
    _rejected(opened, lambda t: t.fire("teleport", at=_later(t), by=AGENT),
              UnknownCommand, "teleport", "fire-an-unknown-event"),
    # a guard or the command's own rule is false
    _rejected(resolved, lambda t: t.reopen(at=T0 + 2 * H + WINDOW + US),
              TransitionRejected, "reopen", "reopen-after-the-window"),
    _rejected(resolved, lambda t: t.reopen(at=T0 + 90 * D, by=MANAGER),
              TransitionRejected, "reopen", "reopen-long-after-the-window"),
    _rejected(escalated, lambda t: t.escalate(level=2, at=_later(t), by=LEAD, reason=REASON),
              TransitionRejected, "escalate", "escalate-to-the-same-level"),
    _rejected(escalated, lambda t: t.escalate(level=1, at=_later(t), by=MANAGER),
              TransitionRejected, "escalate", "escalate-down"),
    _rejected(working, lambda t: t.change_priority("P3", at=_later(t), by=LEAD, reason=REASON),
              TransitionRejected, "change_priority", "change-to-the-same-priority"),
    # roles (P-08: authority is explicit)
    _rejected(working, lambda t: t.escalate(level=1, at=_later(t), by=AGENT, reason=REASON),
              PermissionDenied, "escalate", "agent-escalates"),
    _rejected(working, lambda t: t.change_priority("P1", at=_later(t), by=AGENT, reason=REASON),
              PermissionDenied, "change_priority", "agent-changes-priority"),
    _rejected(working, lambda t: t.cancel(at=_later(t), by=AGENT, reason=REASON),
              PermissionDenied, "cancel", "agent-cancels"),
    _rejected(opened, lambda t: t.assign(to=AGENT.id, at=_later(t), by=AGENT),
              PermissionDenied, "assign", "agent-assigns"),
    _rejected(opened, lambda t: t.assign(to=CUSTOMER_ID, at=_later(t), by=CUSTOMER),
              PermissionDenied, "assign", "customer-assigns"),
    _rejected(working, lambda t: t.reply(at=_later(t), by=CUSTOMER),
              PermissionDenied, "reply", "customer-agent-replies"),
    _rejected(working, lambda t: t.resolve(at=_later(t), by=CUSTOMER, resolution=RESOLUTION),
              PermissionDenied, "resolve", "customer-resolves"),
    _rejected(working, lambda t: t.escalate(level=1, at=_later(t), by=CUSTOMER, reason=REASON),
              PermissionDenied, "escalate", "customer-escalates"),
    _rejected(working, lambda t: t.cancel(at=_later(t), by=CUSTOMER, reason=REASON),
              PermissionDenied, "cancel", "customer-cancels"),
    _rejected(resolved, lambda t: t.close(at=_later(t), by=CUSTOMER),
              PermissionDenied, "close", "customer-closes"),
    _rejected(working, lambda t: t.customer_reply(at=_later(t), by=AGENT),
              PermissionDenied, "customer_reply", "agent-replies-as-the-customer"),
    _rejected(waiting, lambda t: t.customer_reply(at=_later(t), by=OTHER_CUSTOMER),
              PermissionDenied, "customer_reply", "another-customer-replies"),
    _rejected(resolved, lambda t: t.reopen(at=_later(t), by=OTHER_CUSTOMER),
              PermissionDenied, "reopen", "another-customer-reopens"),
    _rejected(resolved, lambda t: t.reopen(at=_later(t), by=SYSTEM),
              PermissionDenied, "reopen", "system-reopens"),
    _rejected(working, lambda t: t.reply(at=_later(t), by=SYSTEM),
              PermissionDenied, "reply", "system-replies"),
    _rejected(working, lambda t: t.fire("wait_on_customer", at=_later(t), by=CUSTOMER),
              PermissionDenied, "wait_on_customer", "customer-fires-wait"),
    # invalid input: time
    _rejected(working, lambda t: t.reply(at=datetime(2026, 3, 3, 9), by=AGENT),
              NaiveDatetimeError, "reply", "naive-at"),
    _rejected(resolved, lambda t: t.reopen(at=datetime(2026, 3, 3, 9)),
              NaiveDatetimeError, "reopen", "naive-at-on-reopen"),
    _rejected(working, lambda t: t.resolve(at=t.updated_at - US, by=AGENT, resolution=RESOLUTION),
              InvalidInputError, "resolve", "at-before-the-last-event"),
    _rejected(working, lambda t: t.reply(at=bad("2026-03-03T09:00:00Z"), by=AGENT),
              InvalidInputError, "reply", "at-as-text"),
    # invalid input: required fields and types
    _rejected(working, lambda t: t.resolve(at=_later(t), by=AGENT, resolution=""),
              InvalidInputError, "resolve", "empty-resolution"),
    _rejected(working, lambda t: t.resolve(at=_later(t), by=AGENT, resolution="  \n"),
              InvalidInputError, "resolve", "blank-resolution"),
    _rejected(working, lambda t: t.resolve(at=_later(t), by=AGENT, resolution=bad(None)),
              InvalidInputError, "resolve", "no-resolution"),
    _rejected(working, lambda t: t.cancel(at=_later(t), by=LEAD, reason=""),
              InvalidInputError, "cancel", "empty-cancel-reason"),
    _rejected(opened, lambda t: t.assign(to="", at=_later(t), by=LEAD),
              InvalidInputError, "assign", "assign-to-nobody"),
    _rejected(opened, lambda t: t.assign(to=bad(7), at=_later(t), by=LEAD),
              InvalidInputError, "assign", "assign-to-a-number"),
    _rejected(working, lambda t: t.escalate(level=0, at=_later(t), by=LEAD),
              InvalidInputError, "escalate", "escalate-to-level-0"),
    _rejected(working, lambda t: t.escalate(level=bad("2"), at=_later(t), by=LEAD),
              InvalidInputError, "escalate", "escalate-to-a-text-level"),
    _rejected(working, lambda t: t.escalate(level=bad(True), at=_later(t), by=LEAD),
              InvalidInputError, "escalate", "escalate-to-a-bool-level"),
    _rejected(working, lambda t: t.change_priority(bad(1), at=_later(t), by=LEAD),
              InvalidInputError, "change_priority", "priority-as-a-number"),
    _rejected(working, lambda t: t.reply(at=_later(t), by=AGENT, public=bad("yes")),
              InvalidInputError, "reply", "public-as-text"),
    _rejected(working, lambda t: t.reply(at=_later(t), by=bad(AGENT.id)),
              InvalidInputError, "reply", "by-as-an-id"),
    _rejected(working, lambda t: t.customer_reply(at=_later(t), by=bad(CUSTOMER_ID)),
              InvalidInputError, "customer_reply", "customer-by-as-an-id"),
    _rejected(working, lambda t: t.fire("reply", at=_later(t), by=AGENT),
              InvalidInputError, "reply", "fire-a-command-with-its-own-method"),
    _rejected(working, lambda t: t.fire(bad(5), at=_later(t), by=AGENT),
              InvalidInputError, "fire", "fire-a-number"),
    # invalid input that the ticket hands on to its events or to dict(): still the command's error
    _rejected(working, lambda t: t.change_priority("P1", at=_later(t), by=LEAD, reason=bad(5)),
              InvalidInputError, "change_priority", "priority-reason-as-a-number"),
    _rejected(working, lambda t: t.escalate(level=1, at=_later(t), by=LEAD, reason=bad(5)),
              InvalidInputError, "escalate", "escalation-reason-as-a-number"),
    _rejected(working, lambda t: t.reply(at=_later(t), by=AGENT, fields=bad(5)),
              InvalidInputError, "reply", "fields-as-a-number"),
]


@pytest.mark.parametrize(("make", "call", "error", "command"), REJECTIONS)
def test_a_rejected_command_says_why_and_changes_nothing(
    make: Callable[[], Ticket], call: Call, error: type[ServiceKitError], command: str,
) -> None:
    """TransitionRejected / PermissionDenied (P-08) / InvalidInputError: the message names the
    command (and, for a rejection, the state and the reason), repeats no personal data, and the
    ticket is exactly as before, history and all."""
    ticket = make()
    copy = ticket.model_copy(deep=True)
    history, version, status = ticket.history, ticket.version, ticket.status
    with pytest.raises(ServiceKitError) as info:
        call(ticket)
    exc = info.value
    assert type(exc) is error, repr(exc)
    message = str(exc)
    assert command in message
    if isinstance(exc, TransitionRejected | PermissionDenied):
        assert (exc.command, exc.state) == (command, status)
        assert exc.reason
        assert message.startswith(command)
        assert f"state {status!r}: {exc.reason}" in message
    leaked = [secret for secret in PRIVATE if secret in message]
    assert not leaked, message
    assert ticket == copy
    assert ticket.history is history
    assert ticket.version == version == len(history)
    assert ticket.status == status


def test_rejections_are_service_kit_errors_with_the_expected_bases() -> None:
    assert issubclass(TransitionRejected, ServiceKitError)
    assert issubclass(PermissionDenied, ServiceKitError)
    assert issubclass(NaiveDatetimeError, InvalidInputError)
    assert issubclass(InvalidInputError, ValueError)
    assert issubclass(NaiveDatetimeError, TypeError)


OPEN_ARGS: dict[str, Any] = {
    "ticket_id": "T-1", "customer_id": CUSTOMER_ID, "channel": "email", "category": "billing",
    "priority": "P3", "subject": SUBJECT, "at": T0, "by": AGENT,
}


@pytest.mark.parametrize(("changes", "error"), [
    ({"at": datetime(2026, 3, 2, 9)}, NaiveDatetimeError),
    ({"at": "2026-03-02T09:00:00Z"}, InvalidInputError),
    ({"by": "agent-li-0417"}, InvalidInputError),
    ({"priority": 3}, InvalidInputError),
    ({"priority": ""}, InvalidInputError),
    ({"subject": None}, InvalidInputError),
    ({"ticket_id": ""}, InvalidInputError),
    ({"customer_id": ["C-1"]}, InvalidInputError),
    ({"process": "ticket"}, InvalidInputError),
    ({"customer_tier": 5}, InvalidInputError),
    ({"attributes": 5}, InvalidInputError),
], ids=["naive-at", "at-as-text", "by-as-an-id", "priority-as-a-number", "empty-priority",
        "no-subject", "empty-ticket-id", "customer-id-as-a-list", "process-as-a-name",
        "tier-as-a-number", "attributes-as-a-number"])
def test_open_rejects_invalid_input(changes: dict[str, Any],
                                    error: type[ServiceKitError]) -> None:
    """Every wrong argument of ``open`` is an InvalidInputError naming the command, without
    repeating the personal data it was given."""
    with pytest.raises(ServiceKitError) as info:
        Ticket.open(**{**OPEN_ARGS, **changes})
    assert type(info.value) is error, repr(info.value)
    message = str(info.value)
    assert "open" in message
    assert not [secret for secret in PRIVATE if secret in message], message


def test_open_requires_every_classification_field() -> None:
    """P-01: a request is recorded with its classification; none of it may be left out."""
    for name in ("ticket_id", "customer_id", "channel", "category", "priority", "subject"):
        with pytest.raises(InvalidInputError, match=f"open: {name}"):
            Ticket.open(**{**OPEN_ARGS, name: ""})


def test_a_rejected_command_leaves_every_derived_value_as_it_was() -> None:
    t = resolved()
    due, fcr, allowed = t.auto_close_due_at, t.first_contact_resolution, t.allowed_commands()
    with pytest.raises(TransitionRejected):
        t.reopen(at=T0 + 60 * D)
    assert (t.auto_close_due_at, t.first_contact_resolution, t.allowed_commands()) == (
        due, fcr, allowed)
    assert Ticket.replay(t.history) == t


# -- roles, in one table -----------------------------------------------------------------------


@pytest.mark.parametrize("who", [AGENT, CUSTOMER, SYSTEM], ids=["agent", "customer", "system"])
def test_only_a_lead_or_manager_escalates_changes_priority_or_cancels(who: Actor) -> None:
    """P-08 / S-11: the authority to escalate, re-prioritise and cancel is a lead's."""
    t = working()
    copy = t.model_copy(deep=True)
    calls: list[Call] = [
        lambda t: t.escalate(level=1, at=_later(t), by=who),
        lambda t: t.change_priority("P1", at=_later(t), by=who),
        lambda t: t.cancel(at=_later(t), by=who, reason=REASON),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied) as info:
            call(t)
        assert "lead, manager" in info.value.reason
    assert t == copy


def test_an_actor_with_several_roles_acts_in_any_of_them() -> None:
    both = Actor(id="agent-li-0417", roles=frozenset({"agent", "lead"}))
    t = consistent(working().escalate(level=1, at=T0 + H, by=both))
    assert t.history[-1].by == both.id


def test_a_staff_member_who_is_also_a_customer_cannot_reply_as_our_customer() -> None:
    """The customer role acts only on the actor's own tickets, whatever other roles it has."""
    other = Actor(id=OTHER_CUSTOMER.id, roles=frozenset({"customer", "agent"}))
    t = waiting()
    with pytest.raises(PermissionDenied):
        t.customer_reply(at=T0 + 2 * H, by=other)
    assert consistent(t.reply(at=T0 + 2 * H, by=other)).status == "pending_customer"


def test_the_fields_a_command_carries_cannot_widen_the_reopen_window() -> None:
    """The reopen window is a rule of the process (``at - resolved_at <= 7d``): extra fields
    given with the command must not change what the guard reads."""
    t = resolved()
    forged = {"resolved_at": T0 + 59 * D}
    with pytest.raises((TransitionRejected, InvalidInputError)):
        t.reopen(at=T0 + 60 * D, fields=forged)
