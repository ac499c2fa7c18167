"""Random commands on a :class:`~servicekit.cases.Case` of every preset process (and a host's).

One Hypothesis state machine per process (built by :func:`machine_for`): the six handbook
processes (ticket P-01, consultation P-02, complaint P-03 as redrawn for issue 11, feedback
loop P-04, dispute P-05, repair P-06), a host process with a timeout and the complaint process
as it was before issue 11 (:func:`sample_processes.satisfaction_loop_process`: required fields,
a satisfaction guard and a loop back). Each run starts one case and fires random
events (every event name of every process, so also events this process does not have, and
names that are not event names), by random actors (agent, specialist, lead, manager, system, the
case's customer, another customer, a staff member who is another customer, an actor with a role
no process knows), with random data (sometimes every field the transition requires,
sometimes values the guards cannot compare, sometimes data that is not JSON or shadows the
case's own values), at instants that advance by random amounts and now and then go back.

Each command is checked against :data:`CONTRACTS`, the processes as the rules catalog states
them, written out here independently of the presets, and the engine's documented order of
checks (name and data, time, transition, roles, the customer-acts-on-own-case rule, guard,
required fields): a command is accepted exactly when the contract allows it, leads where the
contract says, and a rejection is the error class the contract predicts. Invariants after every
step (P-08: every action leaves a trace that replays):

* the state is a declared state of the process;
* a rejection is a ``ServiceKitError`` of the predicted class, leaves the case as it was (same
  values, same version, the very same history) and its message carries no personal data;
* an accepted command appends exactly one ``StatusChanged`` (by the actor, at the instant,
  with its data), grows the version by one and keeps the old history as a prefix;
* ``version == len(history)``; ``Case.replay(history) == case`` (and after JSON, at teardown);
* ``allowed_commands(actor)`` and ``timeout_due_at`` agree with the contract;
* once final, the case never changes.

CASE_EXAMPLES=500 for a deeper run.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sample_processes import satisfaction_loop_process

from servicekit.cases import Actor, Case
from servicekit.errors import (
    InvalidInputError,
    PermissionDenied,
    PolicyError,
    ServiceKitError,
    TransitionRejected,
    UnknownCommand,
)
from servicekit.events import CaseStarted, Event, StatusChanged
from servicekit.presets.processes import all_processes
from servicekit.processes import ProcessDefinition, StateDef, Timeout, TransitionDef

EXAMPLES = int(os.environ.get("CASE_EXAMPLES", "25"))

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
US = timedelta(microseconds=1)
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)
BEIJING = timezone(timedelta(hours=8))
PHONE = "13800138000"

# -- the contracts, independent of the presets ---------------------------------------------------

ALL_ROLES = frozenset({"customer", "agent", "lead", "manager", "system"})
STAFF = frozenset({"agent", "lead", "manager"})
LEADS = frozenset({"lead", "manager"})
CUSTOMER_ROLE = frozenset({"customer"})
SYSTEM_ROLE = frozenset({"system"})
SPECIALISTS = frozenset({"specialist"}) | LEADS
COMPLAINT_STAFF = STAFF | {"specialist"}


class GuardError(Exception):
    """The contract's verdict: the guard cannot compare the value (a PolicyError)."""


def is_true(name: str) -> Any:
    """``name == true``: a missing or null value is false; a value that is not a bool cannot
    be compared."""

    def guard(facts: dict[str, Any]) -> bool:
        value = facts.get(name)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise GuardError
        return value

    return guard


def is_false(name: str) -> Any:
    def guard(facts: dict[str, Any]) -> bool:
        value = facts.get(name)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise GuardError
        return not value

    return guard


def never(facts: dict[str, Any]) -> bool:
    """The ticket's reopen window reads ``resolved_at``, which a case has not (the data drawn
    here never carries it): the guard never holds on a case."""
    assert "resolved_at" not in facts
    return False


@dataclass(frozen=True)
class Move:
    event: str
    sources: frozenset[str]
    target: str | None  # None: an action, the state stays
    roles: frozenset[str]
    requires: tuple[str, ...] = ()
    guard: Any = None


def mv(event: str, sources: str, target: str | None, roles: frozenset[str] = STAFF,
       requires: str = "", *, guard: Any = None) -> Move:
    return Move(event, frozenset(sources.split()), target, roles, tuple(requires.split()), guard)


@dataclass(frozen=True)
class Contract:
    states: frozenset[str]
    initial: str
    finals: frozenset[str]
    moves: tuple[Move, ...]
    timeouts: dict[str, tuple[timedelta, str]]  # state -> (after, event)

    def candidates(self, state: str, event: str) -> list[Move]:
        return [m for m in self.moves if m.event == event and state in m.sources]

    @property
    def requirable(self) -> tuple[str, ...]:
        return tuple(sorted({f for m in self.moves for f in m.requires}))


_PENDING = "pending_customer pending_third_party"
_WORKING = f"open {_PENDING}"
_OPEN = "received acknowledged analysing solution_proposed handling awaiting_feedback closed"

CONTRACTS: dict[str, Contract] = {
    # P-01: classify, assign, record, track
    "ticket": Contract(
        states=frozenset({"new", "open", "pending_customer", "pending_third_party", "resolved",
                          "closed", "cancelled"}),
        initial="new", finals=frozenset({"closed", "cancelled"}),
        moves=(
            mv("assign", "new open", "open", LEADS, "assignee"),
            mv("assign", _PENDING, None, LEADS, "assignee"),
            mv("reply", "new open", "open"),
            mv("reply", _PENDING, None),
            mv("customer_reply", _WORKING, "open", CUSTOMER_ROLE),
            mv("customer_reply", "new", None, CUSTOMER_ROLE),
            mv("wait_on_customer", "open", "pending_customer"),
            mv("wait_on_third_party", "open", "pending_third_party"),
            mv("resume", _PENDING, "open"),
            mv("change_priority", f"new {_WORKING}", None, LEADS),
            mv("escalate", f"new {_WORKING}", None, LEADS),
            mv("resolve", _WORKING, "resolved", STAFF, "resolution"),
            mv("reopen", "resolved", "open", STAFF | CUSTOMER_ROLE, guard=never),
            mv("close", "resolved", "closed", STAFF | SYSTEM_ROLE),
            mv("cancel", f"new {_WORKING}", "cancelled", LEADS, "reason"),
        ),
        timeouts={"resolved": (7 * D, "close")},
    ),
    # P-02: accept, answer, (follow up complex issues until solved), record
    "consultation": Contract(
        states=frozenset({"accepted", "answered", "following_up", "recorded"}),
        initial="accepted", finals=frozenset({"recorded"}),
        moves=(
            mv("answer", "accepted following_up", "answered", STAFF, "answer"),
            mv("follow_up", "answered", "following_up", guard=is_true("complex")),
            mv("record", "answered", "recorded"),
        ),
        timeouts={},
    ),
    # P-03 as redrawn for issue 11: received, acknowledged (S-01), analysing, solution
    # proposed (S-02), handling, awaiting feedback, closed; return visits keep the stage;
    # the system closes the loop after the effectiveness check (P-04); escalating
    # (S-11) and owing a remedy (K-06) keep the stage; reopening goes back to handling; the
    # complainant (or a lead) withdraws an open complaint before its close
    "complaint": Contract(
        states=frozenset({"received", "acknowledged", "analysing", "solution_proposed",
                          "handling", "awaiting_feedback", "closed", "loop_closed",
                          "withdrawn"}),
        initial="received", finals=frozenset({"loop_closed", "withdrawn"}),
        moves=(
            mv("acknowledge", "received", "acknowledged", COMPLAINT_STAFF),
            mv("analyse", "acknowledged analysing", "analysing", SPECIALISTS),
            mv("propose_solution", "analysing", "solution_proposed", SPECIALISTS),
            mv("handle", "solution_proposed handling", "handling", SPECIALISTS),
            mv("feedback", "handling", "awaiting_feedback", COMPLAINT_STAFF),
            mv("record_return_visit", "handling awaiting_feedback closed", None,
               COMPLAINT_STAFF),
            mv("close_loop", "closed", "loop_closed", SYSTEM_ROLE),
            mv("close", "handling awaiting_feedback", "closed", SPECIALISTS),
            mv("reopen", "awaiting_feedback closed", "handling",
               COMPLAINT_STAFF | CUSTOMER_ROLE),
            mv("escalate", _OPEN, None, LEADS | SYSTEM_ROLE),
            mv("owe_remedy", _OPEN, None, SYSTEM_ROLE),
            mv("withdraw", _OPEN.removesuffix(" closed"), "withdrawn", LEADS | CUSTOMER_ROLE),
        ),
        timeouts={},
    ),
    # P-03 as the complaint preset had it before issue 11: receive (time, complainant,
    # content, cause), analyse (nature, severity, scope), handle (remedy plan), feed back
    # (result, improvement); closed once satisfied, reworked otherwise
    "satisfaction_loop": Contract(
        states=frozenset({"submitted", "received", "analysed", "handled", "feedback_given",
                          "closed"}),
        initial="submitted", finals=frozenset({"closed"}),
        moves=(
            mv("receive", "submitted", "received", STAFF,
               "complaint_time complainant content cause"),
            mv("analyse", "received", "analysed", STAFF, "nature severity scope"),
            mv("handle", "analysed", "handled", STAFF, "remedy_plan"),
            mv("give_feedback", "handled", "feedback_given", STAFF, "result improvement"),
            mv("close", "feedback_given", "closed", guard=is_true("customer_satisfied")),
            mv("rework", "feedback_given", "analysed", guard=is_false("customer_satisfied")),
        ),
        timeouts={},
    ),
    # P-06: triage, confirm, (visit), diagnose, repair or replace, return visit; or not a
    # product fault: back to consultation
    "repair": Contract(
        states=frozenset({"reported", "triaged", "routed_to_consultation", "confirmed",
                          "visit_arranged", "diagnosed", "repaired", "completed"}),
        initial="reported", finals=frozenset({"completed", "routed_to_consultation"}),
        moves=(
            mv("triage", "reported", "triaged"),
            mv("not_a_product_fault", "triaged", "routed_to_consultation"),
            mv("confirm", "triaged", "confirmed", STAFF, "symptom environment"),
            mv("arrange_visit", "confirmed", "visit_arranged"),
            mv("diagnose", "confirmed visit_arranged", "diagnosed", STAFF, "diagnosis"),
            mv("repair", "diagnosed", "repaired", STAFF, "parts"),
            mv("return_visit", "repaired", "completed"),
        ),
        timeouts={},
    ),
    # P-05: accepted, investigation (leads), mediation, result, customer notified
    "dispute": Contract(
        states=frozenset({"accepted", "investigating", "mediating", "result_issued",
                          "customer_notified"}),
        initial="accepted", finals=frozenset({"customer_notified"}),
        moves=(
            mv("investigate", "accepted", "investigating", LEADS),
            mv("mediate", "investigating", "mediating", LEADS, "findings"),
            mv("issue_result", "mediating", "result_issued", LEADS, "result"),
            mv("notify_customer", "result_issued", "customer_notified"),
        ),
        timeouts={},
    ),
    # P-04: record, assess (category, priority), dispatch, communicate, improve, close the loop
    "feedback_loop": Contract(
        states=frozenset({"recorded", "assessed", "dispatched", "communicated", "improved",
                          "loop_closed"}),
        initial="recorded", finals=frozenset({"loop_closed"}),
        moves=(
            mv("assess", "recorded", "assessed", STAFF, "category priority"),
            mv("dispatch", "assessed", "dispatched", LEADS, "owner"),
            mv("communicate", "dispatched", "communicated", STAFF, "reply"),
            mv("improve", "communicated", "improved", LEADS, "improvement"),
            mv("close_loop", "improved", "loop_closed", LEADS),
        ),
        timeouts={},
    ),
    # a host's process: a question to the customer lapses after two days
    "callback": Contract(
        states=frozenset({"opened", "awaiting_customer", "answered", "lapsed"}),
        initial="opened", finals=frozenset({"answered", "lapsed"}),
        moves=(
            mv("ask", "opened", "awaiting_customer", frozenset({"agent", "lead"}), "question"),
            mv("remind", "awaiting_customer", None, frozenset({"agent"})),
            mv("customer_answers", "awaiting_customer", "opened", CUSTOMER_ROLE),
            mv("expire", "awaiting_customer", "lapsed", SYSTEM_ROLE),
            mv("close", "opened", "answered", frozenset({"agent"}), "answer"),
        ),
        timeouts={"awaiting_customer": (2 * D, "expire")},
    ),
}


def callback_process() -> ProcessDefinition:
    def state(state_id: str, **kw: Any) -> StateDef:
        return StateDef(id=state_id, label=state_id.title(), label_zh="状态", **kw)

    def move(event: str, sources: str, target: str | None, roles: str, **kw: Any
             ) -> TransitionDef:
        return TransitionDef(event=event, sources=tuple(sources.split()), target=target,
                             roles=frozenset(roles.split()), **kw)

    return ProcessDefinition(
        name="callback", roles=ALL_ROLES, fields=frozenset({"question", "answer"}),
        states=(state("opened", initial=True),
                state("awaiting_customer", timeout=Timeout(after=2 * D, event="expire")),
                state("answered", final=True), state("lapsed", final=True)),
        transitions=(
            move("ask", "opened", "awaiting_customer", "agent lead", requires=("question",)),
            move("remind", "awaiting_customer", None, "agent"),
            move("customer_answers", "awaiting_customer", "opened", "customer"),
            move("expire", "awaiting_customer", "lapsed", "system"),
            move("close", "opened", "answered", "agent", requires=("answer",)),
        ),
    )


PROCESSES: dict[str, ProcessDefinition] = {**all_processes(), "callback": callback_process(),
                                           "satisfaction_loop": satisfaction_loop_process()}

EVENTS = tuple(sorted({m.event for c in CONTRACTS.values() for m in c.moves}
                      | {"teleport", "escalate_to_ceo"}))
NOT_EVENT_NAMES = ("Close", "", "close now", f"call_{PHONE} x")
GUARD_VALUES = (True, False, True, False, None, "yes", 1)
#: the data each process's guards read, with the values drawn for it (some it cannot compare)
GUARDED: dict[str, dict[str, tuple[Any, ...]]] = {
    "consultation": {"complex": GUARD_VALUES},
    "satisfaction_loop": {"customer_satisfied": GUARD_VALUES},
}
GUARD_FIELDS = tuple(sorted({f for fields in GUARDED.values() for f in fields}))
RESERVED = ("state", "status", "case_id", "at", "version", "history", "customer_id", "fields",
            "process_name", "started_at", "state_since", "updated_at", "ended_at")

# -- actors, data and time -----------------------------------------------------------------------

CUSTOMER_ID = f"cust-zhang-{PHONE}"
OTHER_ID = "cust-wu-13700000000"
AGENT = Actor(id="agent-li", roles=frozenset({"agent"}))
SPECIALIST = Actor(id="specialist-wang", roles=frozenset({"specialist"}))
LEAD = Actor(id="lead-chen", roles=frozenset({"lead"}))
MANAGER = Actor(id="manager-zhou", roles=frozenset({"manager"}))
CUSTOMER = Actor.customer(CUSTOMER_ID)
OTHER_CUSTOMER = Actor.customer(OTHER_ID)
STAFF_AND_OTHER_CUSTOMER = Actor(id=OTHER_ID, roles=frozenset({"agent", "customer"}))
OUTSIDER = Actor(id="auditor-kim", roles=frozenset({"auditor"}))
SYSTEM = Actor.system()
ACTORS = (AGENT, SPECIALIST, LEAD, MANAGER, CUSTOMER, OTHER_CUSTOMER, STAFF_AND_OTHER_CUSTOMER,
          OUTSIDER, SYSTEM)
PRIVATE = (PHONE, "13700000000", CUSTOMER_ID, OTHER_ID)

GOOD_VALUES = ("ok", 4, ["part-1"], {"k": "v"}, f"call {PHONE}", 0, False)
ANY_VALUES = (*GOOD_VALUES, "", None, True)
deltas = st.one_of(
    st.sampled_from([timedelta(0), US, M, H, 2 * D - US, 2 * D, 7 * D, -US]),
    st.timedeltas(min_value=timedelta(0), max_value=9 * D),
)
zones = st.sampled_from([UTC, BEIJING])


def may_act(move: Move, by: Actor, owner: str | None) -> bool | None:
    """None if no role of ``by`` is named, False if only as a customer of another's case."""
    if not move.roles & by.roles:
        return None
    return by.id == owner or bool(move.roles & (by.roles - CUSTOMER_ROLE))


@dataclass
class Model:
    """What the contract says the case is."""

    state: str
    state_since: datetime
    updated_at: datetime
    fields: dict[str, Any]
    version: int


class CaseMachine(RuleBasedStateMachine):
    """One case of ``NAME``'s process, random commands; see the module docstring."""

    NAME = "complaint"

    def __init__(self) -> None:
        super().__init__()
        self.p = PROCESSES[self.NAME]
        self.contract = CONTRACTS[self.NAME]
        self.case: Case | None = None
        self.model: Model | None = None
        self.final: Case | None = None
        self.accepted = 0

    @property
    def c(self) -> Case:
        assert self.case is not None
        return self.case

    @property
    def m(self) -> Model:
        assert self.model is not None
        return self.model

    # -- the contract's verdict ----------------------------------------------------------------

    def verdict(self, event: str, by: Actor, at: datetime, fields: object, *,
                good_data: bool) -> tuple[str | None, type[ServiceKitError] | None]:
        """The state ``event`` leads to, or None and the error class it is rejected with."""
        m = self.m
        if event not in EVENTS or not good_data or at < m.updated_at:
            return None, InvalidInputError
        candidates = self.contract.candidates(m.state, event)
        if not candidates:  # issue 19: an event the process has nowhere is UnknownCommand
            known = {mv_.event for mv_ in self.contract.moves}
            return None, TransitionRejected if event in known else UnknownCommand
        acting = [(mv_, may_act(mv_, by, self.c.customer_id)) for mv_ in candidates]
        permitted = [mv_ for mv_, ok in acting if ok is not None]
        if not permitted or not any(ok for _, ok in acting):
            return None, PermissionDenied
        facts = {**m.fields, **(fields if isinstance(fields, dict) else {})}
        chosen = None
        for mv_ in permitted:
            try:
                holds = mv_.guard is None or mv_.guard(facts)
            except GuardError:
                return None, PolicyError
            if holds:
                chosen = mv_
                break
        if chosen is None:
            return None, TransitionRejected
        if any(facts.get(f) in (None, "") for f in chosen.requires):
            return None, InvalidInputError
        return chosen.target or m.state, None

    def offered(self, by: Actor) -> tuple[str, ...]:
        state = self.m.state
        events = {mv_.event for mv_ in self.contract.moves if state in mv_.sources}
        return tuple(sorted(e for e in events if any(
            may_act(mv_, by, self.c.customer_id) for mv_ in self.contract.candidates(state, e))))

    def attempt(self, event: str, by: Actor, at: datetime, fields: object, *,
                good_data: bool = True) -> None:
        before = self.c
        values, history, data = dict(before.__dict__), before.history, json.dumps(before.fields)
        target, error = self.verdict(event, by, at, fields, good_data=good_data)
        where = f"{event!r} by {sorted(by.roles)} in {before.state!r} with {fields!r}"
        rejection: ServiceKitError | None = None
        try:
            after = before.fire(event, at=at, by=by, fields=fields)  # type: ignore[arg-type]
        except ServiceKitError as exc:  # anything else is a failure of the test
            rejection = exc
        if rejection is not None:
            assert error is not None, f"{where} rejected: {rejection}"
            assert type(rejection) is error, (where, rejection, error)
            assert before.__dict__ == values
            assert before.history is history
            assert json.dumps(before.fields) == data
            for text in (str(rejection), repr(rejection)):
                assert not [s for s in PRIVATE if s in text], text
            return
        assert error is None, f"{where} accepted; the contract says {error.__name__}"
        assert target is not None
        self.accept(before, after, event=event, by=by, at=at,
                    fields=fields if isinstance(fields, dict) else {}, target=target)

    def accept(self, before: Case, after: Case, *, event: str, by: Actor, at: datetime,
               fields: dict[str, Any], target: str) -> None:
        m = self.m
        assert not before.is_final
        assert after.state == target
        assert after.version == before.version + 1
        assert after.history[: len(before.history)] == before.history
        (added,) = after.history[len(before.history):]
        assert isinstance(added, StatusChanged)
        assert (added.status, added.event, added.by, added.at, added.fields) == (
            target, event, by.id, at, fields)
        assert added.stream_id == before.case_id
        if target != m.state:
            m.state_since = at
        m.state = target
        m.updated_at = at
        m.fields = {**m.fields, **fields}
        m.version += 1
        self.accepted += 1
        self.case = after

    # -- rules -----------------------------------------------------------------------------------

    @initialize(by=st.sampled_from([AGENT, LEAD, MANAGER, CUSTOMER, SYSTEM]), zone=zones,
                fields=st.one_of(st.none(), st.dictionaries(
                    st.sampled_from(["channel", "category", "priority", "answer", "question"]),
                    st.sampled_from(GOOD_VALUES), max_size=3)))
    def start(self, by: Actor, zone: timezone, fields: dict[str, Any] | None) -> None:
        at = T0.astimezone(zone)
        self.case = Case.start(process=self.p, case_id=f"case-{PHONE}", customer_id=CUSTOMER_ID,
                               at=at, by=by, fields=fields)
        self.model = Model(state=self.contract.initial, state_since=at, updated_at=at,
                           fields=dict(fields or {}), version=1)
        assert isinstance(self.c.history[0], CaseStarted)
        assert self.c.state == self.p.initial.id == self.contract.initial

    @rule(data=st.data(), delta=deltas, zone=zones)
    def step(self, data: st.DataObject, delta: timedelta, zone: timezone) -> None:
        """Mostly a command; now and then a malformed one, or a look at the timeouts."""
        at = (self.m.updated_at + delta).astimezone(zone)
        what = data.draw(st.integers(0, 9), label="what")
        if what == 0:
            self.fire_badly(data, at)
        elif what == 1 or (what == 2 and self.contract.timeouts):
            self.apply_timeouts(at)
        else:
            self.fire(data, at)

    def fire(self, data: st.DataObject, at: datetime) -> None:
        state = self.m.state
        here = sorted({mv_.event for mv_ in self.contract.moves if state in mv_.sources})
        event = data.draw(st.sampled_from(here) if here and data.draw(st.integers(0, 9)) < 8
                          else st.sampled_from(EVENTS), label="event")
        candidates = self.contract.candidates(state, event)
        fit = [a for a in ACTORS if any(may_act(mv_, a, CUSTOMER_ID) for mv_ in candidates)]
        by = data.draw(st.sampled_from(fit) if fit and data.draw(st.integers(0, 9)) < 7
                       else st.sampled_from(ACTORS), label="by")
        kind = data.draw(st.sampled_from(["none", "required", "required", "required", "random"]),
                         label="kind")
        fields: dict[str, Any] | None
        if kind == "none":
            fields = None
        else:
            keys = {*self.contract.requirable, *GUARD_FIELDS, "note", f"tel {PHONE}"}
            fields = data.draw(st.dictionaries(st.sampled_from(sorted(keys)),
                                               st.sampled_from(ANY_VALUES), max_size=3))
            if kind == "required":
                for mv_ in candidates:
                    for f in mv_.requires:
                        fields[f] = data.draw(st.sampled_from(GOOD_VALUES), label=f)
                for name, values in GUARDED.get(self.NAME, {}).items():
                    if data.draw(st.booleans(), label=f"with {name}"):
                        fields[name] = data.draw(st.sampled_from(values), label=name)
        self.attempt(event, by, at, fields)

    def fire_badly(self, data: st.DataObject, at: datetime) -> None:
        """What is not an event name, or data that is not JSON or shadows the case's values."""
        here = sorted({mv_.event for mv_ in self.contract.moves if self.m.state in mv_.sources})
        by = data.draw(st.sampled_from(ACTORS), label="by")
        if data.draw(st.booleans(), label="bad name") or not here:
            event = data.draw(st.sampled_from(NOT_EVENT_NAMES), label="event")
            self.attempt(event, by, at, None, good_data=False)
            return
        event = data.draw(st.sampled_from(here), label="event")
        fields = data.draw(st.sampled_from([
            {data.draw(st.sampled_from(RESERVED), label="reserved"): "x"},
            {"note": {PHONE}}, {"amount": float("nan")}, {PHONE: [b"13800138000"]},
            {1: PHONE}, [("note", PHONE)],
        ]), label="fields")
        self.attempt(event, by, at, fields, good_data=False)

    def apply_timeouts(self, now: datetime) -> None:
        """A timeout due at ``now`` fires by the system at its due instant (no earlier than
        the last event); otherwise the very same case comes back."""
        before, m = self.c, self.m
        timeout = self.contract.timeouts.get(m.state)
        due = None if timeout is None else m.state_since + timeout[0]
        after = before.apply_timeouts(now)
        if due is None or now < due:
            assert after is before
            return
        assert timeout is not None
        at = max(due, m.updated_at)
        target, error = self.verdict(timeout[1], SYSTEM, at, {}, good_data=True)
        assert error is None
        assert target is not None
        self.accept(before, after, event=timeout[1], by=SYSTEM, at=at, fields={}, target=target)

    # -- invariants ------------------------------------------------------------------------------

    @invariant()
    def agrees_with_the_model(self) -> None:
        if self.case is None:
            return
        c, m = self.c, self.m
        assert c.state in self.contract.states
        assert c.state in {s.id for s in self.p.states}
        assert (c.state, c.status, c.state_since, c.updated_at, c.version) == (
            m.state, m.state, m.state_since, m.updated_at, m.version)
        assert c.fields == m.fields
        assert c.version == len(c.history)
        assert c.updated_at == c.history[-1].at
        assert c.is_final == (m.state in self.contract.finals)
        assert c.ended_at == (m.state_since if c.is_final else None)
        timeout = self.contract.timeouts.get(m.state)
        assert c.timeout_due_at == (None if timeout is None else m.state_since + timeout[0])

    @invariant()
    def replay_equals_the_live_case(self) -> None:
        if self.case is not None:
            assert Case.replay(self.c.history, process=self.p) == self.c

    @invariant()
    def offers_what_the_contract_allows(self) -> None:
        if self.case is not None:
            for actor in ACTORS:
                assert self.c.allowed_commands(actor) == self.offered(actor), actor.id

    @invariant()
    def a_final_case_never_changes(self) -> None:
        if self.case is None:
            return
        if self.final is not None:
            assert self.c is self.final
        elif self.c.is_final:
            self.final = self.c
            assert self.c.allowed_commands() == ()

    def teardown(self) -> None:
        if self.case is not None:
            text = json.dumps([e.to_dict() for e in self.c.history])
            stored = [Event.from_dict(d) for d in json.loads(text)]
            assert Case.replay(stored, process=self.p) == self.c


def machine_for(name: str) -> type[RuleBasedStateMachine]:
    machine = type(f"{name.title().replace('_', '')}CaseMachine", (CaseMachine,), {"NAME": name})
    machine.TestCase.settings = settings(  # type: ignore[attr-defined]
        max_examples=EXAMPLES, stateful_step_count=30, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    return machine


TestTicketCase = machine_for("ticket").TestCase  # P-01
TestConsultationCase = machine_for("consultation").TestCase  # P-02
TestComplaintCase = machine_for("complaint").TestCase  # P-03
TestFeedbackLoopCase = machine_for("feedback_loop").TestCase  # P-04
TestDisputeCase = machine_for("dispute").TestCase  # P-05
TestRepairCase = machine_for("repair").TestCase  # P-06
TestCallbackCase = machine_for("callback").TestCase  # a host process with a timeout
TestSatisfactionLoopCase = machine_for("satisfaction_loop").TestCase  # P-03 before issue 11


def test_the_contracts_cover_every_preset_and_agree_on_their_shape() -> None:
    """The machines run every preset process; each contract names the same states, finals,
    events and timeouts as the definition it checks (the moves themselves are checked by the
    machines, command by command)."""
    assert set(all_processes()) | {"callback", "satisfaction_loop"} == set(CONTRACTS) == set(
        PROCESSES)
    for name, contract in CONTRACTS.items():
        p = PROCESSES[name]
        assert contract.states == {s.id for s in p.states}, name
        assert contract.finals == {s.id for s in p.states if s.final}, name
        assert contract.initial == p.initial.id, name
        assert {m.event for m in contract.moves} == {t.event for t in p.transitions}, name
        assert contract.timeouts == {s.id: (s.timeout.after, s.timeout.event)
                                     for s in p.states if s.timeout is not None}, name
