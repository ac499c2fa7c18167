"""Random command sequences by random actors (issue 5: Hypothesis state-machine tests).

:class:`TestTicketMachine` drives one ticket per run through every command (the status moves
both by their method and by ``fire``), issued by an agent, a lead, a manager, the ticket's
customer, another customer, a staff member who is also another customer, and the system, at
instants that advance by random amounts (sometimes not at all, sometimes beyond the 7-day reopen
window, now and then backwards), written in UTC or in Beijing time (fixed offsets: the time
zones with DST changes are pinned in ``test_ticket_replay.py``).

Each command is checked against :data:`CONTRACT`, the ticket process as the issue states it,
written out here independently of the preset: a command is accepted exactly when the contract
allows it, and then leads to the status the contract names. Invariants after every step:

* the status is a declared state of the process;
* a command that raises leaves the ticket equal to before and raises only
  ``TransitionRejected``, ``PermissionDenied`` or ``InvalidInputError``;
* ``version == len(history)``; a command appends one or two events (the command's own event,
  then a ``StatusChanged`` where that event does not say where the ticket went) and the old
  history is a prefix of the new one;
* ``Ticket.replay(history) == ticket``, and so after a trip through JSON (at the end of a run);
* first-contact resolution (M-02) agrees with an oracle reading the history;
* once final (closed, cancelled), the ticket never changes.

TICKET_EXAMPLES=1000 for a deeper run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from servicekit.errors import (
    InvalidInputError,
    PermissionDenied,
    ServiceKitError,
    TransitionRejected,
)
from servicekit.events import (
    AgentReplied,
    Event,
    StatusChanged,
    TicketCreated,
    TicketReopened,
    TicketResolved,
)
from servicekit.tickets import Actor, Ticket

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
US = timedelta(microseconds=1)
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)
WINDOW = timedelta(days=7)
BEIJING = timezone(timedelta(hours=8))

EXAMPLES = int(os.environ.get("TICKET_EXAMPLES", "300"))

# -- the contract (issue 5, "The ticket"), independent of the preset ------------------------------

STAFF = frozenset({"agent", "lead", "manager"})
LEADS = frozenset({"lead", "manager"})
CUSTOMER_ROLE = frozenset({"customer"})
SYSTEM_ROLE = frozenset({"system"})
PENDING = ("pending_customer", "pending_third_party")
WORKING = ("open", *PENDING)
UNRESOLVED = ("new", *WORKING)
STATES = frozenset({*UNRESOLVED, "resolved", "closed", "cancelled"})
FINAL = frozenset({"closed", "cancelled"})


def _stay(*states: str) -> dict[str, str]:
    return {s: s for s in states}


#: command -> (roles allowed, {from status: to status})
CONTRACT: dict[str, tuple[frozenset[str], dict[str, str]]] = {
    "assign": (LEADS, {"new": "open", "open": "open", **_stay(*PENDING)}),
    "reply": (STAFF, {"new": "open", "open": "open", **_stay(*PENDING)}),
    # a customer reply on a pending ticket reopens it to open (as Zendesk does)
    "customer_reply": (CUSTOMER_ROLE, {"new": "new", "open": "open",
                                       **dict.fromkeys(PENDING, "open")}),
    "wait_on_customer": (STAFF, {"open": "pending_customer"}),
    "wait_on_third_party": (STAFF, {"open": "pending_third_party"}),
    "resume": (STAFF, dict.fromkeys(PENDING, "open")),
    "change_priority": (LEADS, _stay(*UNRESOLVED)),
    "escalate": (LEADS, _stay(*UNRESOLVED)),
    "resolve": (STAFF, dict.fromkeys(WORKING, "resolved")),
    "reopen": (STAFF | CUSTOMER_ROLE, {"resolved": "open"}),
    "close": (STAFF | SYSTEM_ROLE, {"resolved": "closed"}),
    "cancel": (LEADS, dict.fromkeys(UNRESOLVED, "cancelled")),
}

CUSTOMER_ID = "cust-zhang-13800138000"
AGENT = Actor(id="agent-li", roles=frozenset({"agent"}))
LEAD = Actor(id="lead-chen", roles=frozenset({"lead"}))
MANAGER = Actor(id="manager-zhou", roles=frozenset({"manager"}))
CUSTOMER = Actor.customer(CUSTOMER_ID)
OTHER_CUSTOMER = Actor.customer("cust-wu")
STAFF_AND_CUSTOMER = Actor(id="cust-ma", roles=frozenset({"agent", "customer"}))
SYSTEM = Actor.system()
ACTORS = (AGENT, LEAD, MANAGER, CUSTOMER, OTHER_CUSTOMER, STAFF_AND_CUSTOMER, SYSTEM)

actors = st.sampled_from(ACTORS)


def actors_for(command: str) -> st.SearchStrategy[Actor]:
    """Any actor, but half the time one the contract allows (so that runs get somewhere)."""
    roles = CONTRACT[command][0]
    allowed = [a for a in ACTORS if (roles & (a.roles - CUSTOMER_ROLE))
               or (roles & a.roles and a.id == CUSTOMER_ID)]
    return st.one_of(st.sampled_from(allowed), actors)


def maybe_actors_for(command: str) -> st.SearchStrategy[Actor | None]:
    """As :func:`actors_for`, or None: customer_reply and reopen default to the customer."""
    return st.one_of(st.none(), actors_for(command))


deltas = st.one_of(
    st.sampled_from([timedelta(0), US, M, H, WINDOW, WINDOW + US, -US]),
    st.timedeltas(min_value=timedelta(0), max_value=10 * D),
)
#: for the commands whose outcome depends on the 7-day window: often right at its end
window_deltas = st.one_of(st.sampled_from([WINDOW - US, WINDOW, WINDOW + US]), deltas)
zones = st.sampled_from([UTC, BEIJING])

Rejection = type[ServiceKitError]
Command = Callable[[Ticket], Ticket]


def fcr_oracle(history: tuple[Event, ...]) -> bool | None:
    """M-02 from the events alone: one public agent reply before the first resolution, and no
    reopen ever."""
    replies = 0
    for event in history:
        if isinstance(event, TicketResolved):
            reopened = any(isinstance(e, TicketReopened) for e in history)
            return replies == 1 and not reopened
        if isinstance(event, AgentReplied) and event.public:
            replies += 1
    return None


class TicketMachine(RuleBasedStateMachine):
    """One ticket, random commands by random actors; see the module docstring."""

    def __init__(self) -> None:
        super().__init__()
        self.ticket: Ticket | None = None
        self.final: Ticket | None = None

    @property
    def t(self) -> Ticket:
        assert self.ticket is not None
        return self.ticket

    # -- the contract's verdict --------------------------------------------------------------

    def verdict(self, command: str, by: Actor, at: datetime, *, valid: bool = True,
                rule_holds: bool = True) -> tuple[str | None, set[Rejection]]:
        """The status ``command`` leads to, or None and the errors it may be rejected with."""
        t = self.t
        if not valid or at < t.updated_at:
            return None, {InvalidInputError}
        roles, moves = CONTRACT[command]
        errors: set[Rejection] = set()
        target = moves.get(t.status)
        if target is None:
            errors.add(TransitionRejected)
        acting = roles & by.roles
        if not acting or (acting == CUSTOMER_ROLE and by.id != t.customer_id):
            errors.add(PermissionDenied)
        if not rule_holds:
            errors.add(TransitionRejected)
        return (None, errors) if errors else (target, errors)

    def attempt(self, command: str, by: Actor, at: datetime, call: Command, *,
                valid: bool = True, rule_holds: bool = True) -> Ticket | None:
        """Issue ``call`` and check it against the contract; the new ticket if accepted."""
        before = self.t
        copy = before.model_copy()
        expected, errors = self.verdict(command, by, at, valid=valid, rule_holds=rule_holds)
        where = f"{command} by {sorted(by.roles)} in {before.status!r}"
        rejection: ServiceKitError | None
        try:
            after = call(before)
        except (TransitionRejected, PermissionDenied, InvalidInputError) as exc:
            rejection = exc
        else:
            rejection = None
        if rejection is not None:
            assert expected is None, f"{where} rejected: {rejection}"
            assert isinstance(rejection, tuple(errors)), (where, rejection, errors)
            assert before == copy
            assert before.history is copy.history
            return None
        assert expected is not None, f"{where} accepted, the contract refuses it"
        assert not before.is_final
        assert after.status == expected, where
        self.check_growth(before, after, by, at)
        self.ticket = after
        return after

    def check_growth(self, before: Ticket, after: Ticket, by: Actor, at: datetime) -> None:
        old = len(before.history)
        added = after.history[old:]
        assert after.history[:old] == before.history
        assert 1 <= len(added) <= 2
        assert after.version == before.version + len(added)
        assert all(e.at == at and e.by == by.id for e in added)
        if len(added) == 2:
            companion = added[1]
            assert isinstance(companion, StatusChanged)
            assert companion.status == after.status
        assert after.updated_at == at
        if after.status != before.status:
            assert after.status_since == at
        else:
            assert after.status_since == before.status_since

    def at(self, delta: timedelta, zone: timezone) -> datetime:
        return (self.t.updated_at + delta).astimezone(zone)

    # -- rules -------------------------------------------------------------------------------

    @initialize(by=st.sampled_from([AGENT, LEAD, CUSTOMER, SYSTEM]),
                priority=st.sampled_from(["P1", "P2", "P3", "P4"]), zone=zones)
    def open_ticket(self, by: Actor, priority: str, zone: timezone) -> None:
        self.ticket = Ticket.open(ticket_id="T-1", customer_id=CUSTOMER_ID, channel="email",
                                  category="billing", priority=priority, subject="Invoice",
                                  at=T0.astimezone(zone), by=by)
        assert (self.t.status, self.t.version, self.t.history[0].by) == ("new", 1, by.id)

    @rule(by=actors_for("assign"), delta=deltas, zone=zones,
          to=st.sampled_from(["agent-a", "agent-b", ""]))
    def assign(self, by: Actor, delta: timedelta, zone: timezone, to: str) -> None:
        at = self.at(delta, zone)
        after = self.attempt("assign", by, at, lambda t: t.assign(to=to, at=at, by=by),
                             valid=bool(to))
        if after is not None:
            assert after.assignee == to

    @rule(by=actors_for("reply"), delta=deltas, zone=zones, public=st.booleans())
    def reply(self, by: Actor, delta: timedelta, zone: timezone, public: bool) -> None:
        at = self.at(delta, zone)
        replies = self.t.public_replies
        after = self.attempt("reply", by, at, lambda t: t.reply(at=at, by=by, public=public))
        if after is not None:
            assert after.public_replies == replies + public

    @rule(by=maybe_actors_for("customer_reply"), delta=deltas, zone=zones)
    def customer_reply(self, by: Actor | None, delta: timedelta, zone: timezone) -> None:
        at = self.at(delta, zone)
        self.attempt("customer_reply", by or CUSTOMER, at,
                     lambda t: t.customer_reply(at=at, by=by))

    @rule(event=st.sampled_from(["wait_on_customer", "wait_on_third_party", "resume"]),
          by_name=st.booleans(), by=actors_for("resume"), delta=deltas, zone=zones)
    def move(self, event: str, by_name: bool, by: Actor, delta: timedelta,
             zone: timezone) -> None:
        """The status moves, by their method or fired by name."""
        at = self.at(delta, zone)

        def call(t: Ticket) -> Ticket:
            if by_name:
                return t.fire(event, at=at, by=by)
            method: Callable[..., Ticket] = getattr(t, event)
            return method(at=at, by=by)

        self.attempt(event, by, at, call)

    @rule(by=actors_for("change_priority"), delta=deltas, zone=zones,
          priority=st.sampled_from(["P1", "P2", "P3", "P4", ""]),
          reason=st.sampled_from([None, "customer is a VIP"]))
    def change_priority(self, by: Actor, delta: timedelta, zone: timezone, priority: str,
                        reason: str | None) -> None:
        at = self.at(delta, zone)
        after = self.attempt(
            "change_priority", by, at,
            lambda t: t.change_priority(priority, at=at, by=by, reason=reason),
            valid=bool(priority), rule_holds=priority != self.t.priority)
        if after is not None:
            assert after.priority == priority

    @rule(by=actors_for("escalate"), delta=deltas, zone=zones,
          level=st.integers(min_value=0, max_value=4))
    def escalate(self, by: Actor, delta: timedelta, zone: timezone, level: int) -> None:
        """S-11: only upwards."""
        at = self.at(delta, zone)
        after = self.attempt("escalate", by, at,
                             lambda t: t.escalate(level=level, at=at, by=by),
                             valid=level >= 1, rule_holds=level > self.t.escalation_level)
        if after is not None:
            assert after.escalation_level == level

    @rule(by=actors_for("resolve"), delta=deltas, zone=zones,
          resolution=st.sampled_from(["fixed", "refunded", "", " "]))
    def resolve(self, by: Actor, delta: timedelta, zone: timezone, resolution: str) -> None:
        at = self.at(delta, zone)
        after = self.attempt("resolve", by, at,
                             lambda t: t.resolve(at=at, by=by, resolution=resolution),
                             valid=bool(resolution.strip()))
        if after is not None:
            assert after.resolved_at == at
            assert after.auto_close_due_at == at + WINDOW

    @rule(by=maybe_actors_for("reopen"), delta=window_deltas, zone=zones)
    def reopen(self, by: Actor | None, delta: timedelta, zone: timezone) -> None:
        """Only within 7 days of the resolution, both ends included."""
        at = self.at(delta, zone)
        resolved_at = self.t.resolved_at
        within = resolved_at is not None and at - resolved_at <= WINDOW
        reopens = self.t.reopens
        after = self.attempt("reopen", by or CUSTOMER, at, lambda t: t.reopen(at=at, by=by),
                             rule_holds=within)
        if after is not None:
            assert (after.reopens, after.resolved_at) == (reopens + 1, None)
            assert after.first_contact_resolution is False

    @rule(by=actors_for("close"), delta=deltas, zone=zones)
    def close(self, by: Actor, delta: timedelta, zone: timezone) -> None:
        at = self.at(delta, zone)
        after = self.attempt("close", by, at, lambda t: t.close(at=at, by=by))
        if after is not None:
            assert after.ended_at == at

    @rule(by=actors, delta=deltas, zone=zones, reason=st.sampled_from(["duplicate", ""]))
    def cancel(self, by: Actor, delta: timedelta, zone: timezone, reason: str) -> None:
        at = self.at(delta, zone)
        after = self.attempt("cancel", by, at, lambda t: t.cancel(at=at, by=by, reason=reason),
                             valid=bool(reason))
        if after is not None:
            assert after.ended_at == at

    @rule(delta=window_deltas, zone=zones)
    def apply_timeouts(self, delta: timedelta, zone: timezone) -> None:
        """Auto-close: 7 days after the resolution the system closes the ticket, at that
        instant; before then, or in any other state, nothing happens."""
        before = self.t
        now = self.at(delta, zone)
        resolved_at = before.resolved_at if before.status == "resolved" else None
        due = None if resolved_at is None else resolved_at + WINDOW
        assert before.auto_close_due_at == before.timeout_due_at == due
        after = before.apply_timeouts(now)
        if due is None or now < due:
            assert after is before
            return
        assert (after.status, after.ended_at) == ("closed", due)
        self.check_growth(before, after, SYSTEM, due)
        self.ticket = after

    @rule(event=st.sampled_from(["teleport", "reply", "resolve", "close"]), by=actors,
          delta=deltas, zone=zones)
    def fire_what_is_no_host_event(self, event: str, by: Actor, delta: timedelta,
                                   zone: timezone) -> None:
        """``fire`` knows no such event, or the command has its own method."""
        at = self.at(delta, zone)
        late = at >= self.t.updated_at
        expected = TransitionRejected if event == "teleport" and late else InvalidInputError
        with pytest.raises(expected):
            self.t.fire(event, at=at, by=by)

    @rule(command=st.sampled_from(["reply", "resolve", "reopen", "cancel", "escalate"]),
          by=actors)
    def at_a_naive_time(self, command: str, by: Actor) -> None:
        naive = self.t.updated_at.replace(tzinfo=None) + H
        calls: dict[str, Command] = {
            "reply": lambda t: t.reply(at=naive, by=by),
            "resolve": lambda t: t.resolve(at=naive, by=by, resolution="fixed"),
            "reopen": lambda t: t.reopen(at=naive, by=by),
            "cancel": lambda t: t.cancel(at=naive, by=by, reason="duplicate"),
            "escalate": lambda t: t.escalate(level=4, at=naive, by=by),
        }
        self.attempt(command, by, naive, calls[command], valid=False)

    # -- invariants --------------------------------------------------------------------------

    @invariant()
    def status_is_declared(self) -> None:
        if self.ticket is not None:
            assert self.t.status in STATES
            assert self.t.status in {s.id for s in self.t.process.states}

    @invariant()
    def version_counts_the_events(self) -> None:
        if self.ticket is not None:
            t = self.t
            assert t.version == len(t.history)
            assert isinstance(t.history[0], TicketCreated)
            assert t.updated_at == t.history[-1].at
            assert all(a.at <= b.at for a, b in zip(t.history, t.history[1:], strict=False))

    @invariant()
    def replay_equals_the_live_value(self) -> None:
        if self.ticket is not None:
            assert Ticket.replay(self.t.history) == self.t

    @invariant()
    def first_contact_resolution_follows_the_history(self) -> None:
        """M-02."""
        if self.ticket is not None:
            assert self.t.first_contact_resolution == fcr_oracle(self.t.history)

    @invariant()
    def a_final_ticket_never_changes(self) -> None:
        if self.ticket is None:
            return
        if self.final is not None:
            assert self.t is self.final
        elif self.t.status in FINAL:
            assert self.t.is_final
            self.final = self.t
        else:
            assert not self.t.is_final

    def teardown(self) -> None:
        if self.ticket is not None:
            text = json.dumps([e.to_dict() for e in self.t.history])
            stored = [Event.from_dict(data) for data in json.loads(text)]
            assert Ticket.replay(stored) == self.t


TicketMachine.TestCase.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=40, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestTicketMachine = TicketMachine.TestCase


# -- versions count events, for any sequence of commands ------------------------------------------

STEPS: dict[str, Callable[[Ticket, datetime, Actor], Ticket]] = {
    "assign": lambda t, at, by: t.assign(to="agent-a", at=at, by=by),
    "reply": lambda t, at, by: t.reply(at=at, by=by),
    "note": lambda t, at, by: t.reply(at=at, by=by, public=False),
    "customer_reply": lambda t, at, by: t.customer_reply(at=at, by=by),
    "wait_on_customer": lambda t, at, by: t.wait_on_customer(at=at, by=by),
    "wait_on_third_party": lambda t, at, by: t.fire("wait_on_third_party", at=at, by=by),
    "resume": lambda t, at, by: t.resume(at=at, by=by),
    "change_priority": lambda t, at, by: t.change_priority("P1", at=at, by=by),
    "escalate": lambda t, at, by: t.escalate(level=t.escalation_level + 1, at=at, by=by),
    "resolve": lambda t, at, by: t.resolve(at=at, by=by, resolution="fixed"),
    "reopen": lambda t, at, by: t.reopen(at=at, by=by),
    "close": lambda t, at, by: t.close(at=at, by=by),
    "cancel": lambda t, at, by: t.cancel(at=at, by=by, reason="duplicate"),
    "timeouts": lambda t, at, by: t.apply_timeouts(at),
}


@settings(max_examples=EXAMPLES // 2, deadline=None, database=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(STEPS)), actors,
                          st.timedeltas(min_value=timedelta(0), max_value=9 * D)),
                max_size=30))
def test_versions_count_events(steps: list[tuple[str, Actor, timedelta]]) -> None:
    """Whatever is accepted or refused, the version is the number of events: one for the
    creation plus what each accepted command appended; a refused command appends nothing."""
    t = Ticket.open(ticket_id="T-1", customer_id=CUSTOMER_ID, channel="chat",
                    category="fault", priority="P2", subject="down", at=T0, by=AGENT)
    appended = 0
    for name, by, delta in steps:
        try:
            after = STEPS[name](t, t.updated_at + delta, by)
        except (TransitionRejected, PermissionDenied, InvalidInputError):
            continue
        appended += len(after.history) - len(t.history)
        assert after.version - t.version == len(after.history) - len(t.history)
        t = after
    assert t.version == len(t.history) == 1 + appended
    assert Ticket.replay(t.history).version == t.version
