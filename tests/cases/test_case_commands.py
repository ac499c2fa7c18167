"""Worked examples of the generic case's commands: start, fire, data, offers, timeouts, replay.

Every rejection is checked by :func:`refused`: the error is the expected ``ServiceKitError``,
the case is exactly as before (equal to a deep copy, same version, the very same history), and
neither ``str`` nor ``repr`` of the error repeats personal data (the customer ids, the case id,
field values and keys below carry phone numbers on purpose).

Rule ids: P-02 (consultation follow-up only for complex issues), P-03 (complaint: required
records, closed only once the customer is satisfied, otherwise reworked), P-04 (feedback loop:
category and priority), P-05 (disputes are handled by leads), P-06 (repair), P-07 (every step
has an owner: roles), P-08 (traceability and explicit authority).

The complaint examples run on :func:`sample_processes.satisfaction_loop_process`, the P-03
complaint process as the preset had it before issue 11 (required records, a satisfaction guard,
a rework loop): the engine's behaviour, not the redrawn preset's (tests/complaints).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sample_processes import satisfaction_loop_process

from servicekit.cases import Actor, Case
from servicekit.errors import (
    CommandRefused,
    InvalidInputError,
    NaiveDatetimeError,
    PermissionDenied,
    PolicyError,
    ServiceKitError,
    TransitionRejected,
)
from servicekit.events import CaseStarted, Event, StatusChanged, TicketCreated, TicketResolved
from servicekit.presets.processes import (
    all_processes,
    consultation_process,
    dispute_process,
    feedback_loop_process,
    repair_process,
    ticket_process,
)
from servicekit.processes import ProcessDefinition, StateDef, Timeout, TransitionDef

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
US = timedelta(microseconds=1)
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)
BEIJING = timezone(timedelta(hours=8))

PHONE = "13800138000"
CASE_ID = f"case-{PHONE}"
CUSTOMER_ID = f"cust-zhang-{PHONE}"
OTHER_ID = "cust-wu-13700000000"
AGENT = Actor(id="agent-li-13911112222", roles=frozenset({"agent"}))
LEAD = Actor(id="lead-chen-13933334444", roles=frozenset({"lead"}))
MANAGER = Actor(id="manager-zhou-1209", roles=frozenset({"manager"}))
CUSTOMER = Actor.customer(CUSTOMER_ID)
OTHER_CUSTOMER = Actor.customer(OTHER_ID)
STAFF_AND_OTHER_CUSTOMER = Actor(id=OTHER_ID, roles=frozenset({"agent", "customer"}))
OUTSIDER = Actor(id="auditor-13955556666", roles=frozenset({"auditor"}))
SYSTEM = Actor.system()
SECRET = f"call me on {PHONE}, wang.fang@example.com"
PRIVATE = (PHONE, "13700000000", "13911112222", "13933334444", "13955556666", "wang.fang",
           CASE_ID, CUSTOMER_ID, OTHER_ID, AGENT.id, LEAD.id, MANAGER.id, OUTSIDER.id)

RECEIVED = {"complaint_time": "2026-03-02T08:30:00+08:00", "complainant": CUSTOMER_ID,
            "content": SECRET, "cause": "double charge"}
ANALYSED = {"nature": "billing", "severity": 4, "scope": "one order"}


def bad(value: object) -> Any:
    """A value of the wrong type, passed on purpose."""
    return value


def private_free(exc: BaseException) -> None:
    for text in (str(exc), repr(exc)):
        leaked = [p for p in PRIVATE if p in text]
        assert not leaked, (leaked, text)


def refused(case: Case, call: Callable[[Case], object], error: type[ServiceKitError],
            match: str | None = None) -> ServiceKitError:
    """``call(case)`` raises ``error`` (and ``match`` is in its message), leaving ``case``
    unchanged, without personal data in the message."""
    snapshot = copy.deepcopy(case)
    version, history, fields = case.version, case.history, json.dumps(case.fields)
    with pytest.raises(error) as info:
        call(case)
    assert case == snapshot
    assert (case.version, json.dumps(case.fields)) == (version, fields)
    assert case.history is history
    assert case.history == snapshot.history
    private_free(info.value)
    if match is not None:
        assert match in str(info.value), str(info.value)
    return info.value


def start(p: ProcessDefinition, *, by: Actor = AGENT, at: datetime = T0,
          fields: dict[str, Any] | None = None, customer_id: str | None = CUSTOMER_ID) -> Case:
    return Case.start(process=p, case_id=CASE_ID, customer_id=customer_id, at=at, by=by,
                      fields=fields)


def consistent(c: Case) -> Case:
    assert c.version == len(c.history)
    assert Case.replay(c.history, process=c.process) == c
    return c


def complaint_at_feedback(**extra: Any) -> Case:
    """A complaint at feedback_given (T0 + 4h), fired through each P-03 stage."""
    c = start(satisfaction_loop_process())
    c = c.fire("receive", at=T0 + M, by=AGENT, fields=RECEIVED)
    c = c.fire("analyse", at=T0 + H, by=LEAD, fields=ANALYSED)
    c = c.fire("handle", at=T0 + 2 * H, by=AGENT, fields={"remedy_plan": "apology"})
    return c.fire("give_feedback", at=T0 + 4 * H, by=AGENT,
                  fields={"result": "refunded", "improvement": "check", **extra})


# -- a host process with a timeout and a customer's own transition -------------------------------


def callback_process() -> ProcessDefinition:
    """A host's process: the agent asks the customer a question; the customer answers (their
    own case only), or after two days the system lets the case lapse."""

    def state(state_id: str, **kw: Any) -> StateDef:
        return StateDef(id=state_id, label=state_id.title(), label_zh="状态", **kw)

    def move(event: str, sources: str, target: str | None, roles: str, **kw: Any
             ) -> TransitionDef:
        return TransitionDef(event=event, sources=tuple(sources.split()), target=target,
                             roles=frozenset(roles.split()), **kw)

    return ProcessDefinition(
        name="callback",
        roles=frozenset({"customer", "agent", "lead", "manager", "system"}),
        fields=frozenset({"question", "answer"}),
        states=(
            state("opened", initial=True),
            state("awaiting_customer", timeout=Timeout(after=timedelta(days=2), event="expire")),
            state("answered", final=True),
            state("lapsed", final=True),
        ),
        transitions=(
            move("ask", "opened", "awaiting_customer", "agent lead", requires=("question",)),
            move("remind", "awaiting_customer", None, "agent"),
            move("customer_answers", "awaiting_customer", "opened", "customer"),
            move("expire", "awaiting_customer", "lapsed", "system"),
            move("close", "opened", "answered", "agent", requires=("answer",)),
        ),
    )


CALLBACK = callback_process()


def awaiting(at: datetime = T0 + H) -> Case:
    return start(CALLBACK).fire("ask", at=at, by=AGENT, fields={"question": SECRET})


# -- start ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(all_processes()))
@pytest.mark.parametrize("by", [AGENT, LEAD, MANAGER], ids=["agent", "lead", "manager"])
def test_staff_start_a_case_of_any_process_in_its_initial_state(name: str, by: Actor) -> None:
    """P-08: who started the case is recorded on CaseStarted."""
    p = all_processes()[name]
    c = consistent(start(p, by=by, fields={"channel": "phone", "note": SECRET}))
    assert (c.case_id, c.process_name, c.customer_id, c.state, c.status) == (
        CASE_ID, name, CUSTOMER_ID, p.initial.id, p.initial.id)
    assert (c.version, c.started_at, c.state_since, c.updated_at) == (1, T0, T0, T0)
    assert c.fields == {"channel": "phone", "note": SECRET}
    assert c.process is p
    (first,) = c.history
    assert isinstance(first, CaseStarted)
    assert (first.by, first.process, first.state, first.customer_id, first.stream_id) == (
        by.id, name, p.initial.id, CUSTOMER_ID, CASE_ID)
    assert (c.is_final, c.ended_at, c.timeout_due_at) == (False, None, None)


def test_a_customer_starts_a_case_for_themself_only() -> None:
    p = satisfaction_loop_process()
    own = consistent(start(p, by=CUSTOMER))
    assert own.history[0].by == CUSTOMER_ID
    for by, customer_id in [(OTHER_CUSTOMER, CUSTOMER_ID), (CUSTOMER, None),
                            (OUTSIDER, CUSTOMER_ID)]:
        with pytest.raises(PermissionDenied) as info:
            start(p, by=by, customer_id=customer_id)
        assert info.value.command == "start"
        private_free(info.value)


def test_a_staff_member_who_is_also_a_customer_starts_any_case() -> None:
    c = start(satisfaction_loop_process(), by=STAFF_AND_OTHER_CUSTOMER)
    assert c.customer_id == CUSTOMER_ID


def test_a_case_without_a_customer_is_started_by_staff() -> None:
    c = consistent(start(dispute_process(), customer_id=None))
    assert c.customer_id is None


def test_start_copies_the_fields_it_is_given() -> None:
    given: dict[str, Any] = {"order": {"id": "A-17", "items": [1, 2]}, "amount": 99.5}
    c = start(satisfaction_loop_process(), fields=given)
    given["order"]["items"].append(3)
    given["amount"] = 0
    assert c.fields == {"order": {"id": "A-17", "items": [1, 2]}, "amount": 99.5}
    assert c.history[0].fields == c.fields


RESERVED = ["state", "status", "case_id", "at", "version", "history", "customer_id",
            "process_name", "fields", "started_at", "state_since", "updated_at", "ended_at"]

BAD_FIELDS: dict[str, object] = {
    "set": {"tags": {PHONE}},
    "nan": {"amount": float("nan")},
    "inf": {"amount": float("inf")},
    "bytes": {"note": SECRET.encode()},
    "datetime": {"when": T0},
    "object": {"who": object()},
    "nested-set": {"order": {"lines": [{"qty": {1, 2}}]}},
    "phone-key-bad-value": {PHONE: {PHONE}},
    "int-key": {1: PHONE},
    "list": [("note", PHONE)],
    "str": PHONE,
    **{f"reserved-{name}": {name: PHONE} for name in RESERVED},
}


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"process": {"name": "satisfaction_loop"}}, InvalidInputError),
        ({"process": "satisfaction_loop"}, InvalidInputError),
        ({"process": None}, InvalidInputError),
        ({"case_id": ""}, InvalidInputError),
        ({"case_id": "   "}, InvalidInputError),
        ({"case_id": None}, InvalidInputError),
        ({"case_id": 13800138000}, InvalidInputError),
        ({"customer_id": 13800138000}, InvalidInputError),
        ({"by": AGENT.id}, InvalidInputError),
        ({"by": None}, InvalidInputError),
        ({"at": datetime(2026, 3, 2, 9, 0)}, NaiveDatetimeError),
        ({"at": "2026-03-02T09:00:00+08:00"}, InvalidInputError),
        *[({"fields": f}, InvalidInputError) for f in BAD_FIELDS.values()],
    ],
    ids=["process-dict", "process-name", "process-none", "case-id-empty", "case-id-blank",
         "case-id-none", "case-id-int", "customer-id-int", "by-str", "by-none", "naive-at",
         "str-at", *[f"fields-{k}" for k in BAD_FIELDS]],
)
def test_start_rejects_bad_arguments(arguments: dict[str, object],
                                     error: type[ServiceKitError]) -> None:
    call: dict[str, Any] = {"process": satisfaction_loop_process(), "case_id": CASE_ID,
                            "customer_id": CUSTOMER_ID, "at": T0, "by": AGENT,
                            "fields": {"note": SECRET}, **arguments}
    with pytest.raises(error) as info:
        Case.start(**call)
    assert isinstance(info.value, InvalidInputError)
    private_free(info.value)


def test_a_naive_datetime_error_is_also_a_type_error() -> None:
    with pytest.raises(TypeError):
        start(satisfaction_loop_process(), at=datetime(2026, 3, 2, 9, 0))


# -- fire: unknown events, states, roles ---------------------------------------------------------


def test_an_event_the_process_does_not_have_is_rejected_naming_the_process() -> None:
    c = start(satisfaction_loop_process())
    exc = refused(c, lambda c: c.fire("teleport", at=T0 + M, by=MANAGER), TransitionRejected,
                  "the satisfaction_loop process has no 'teleport' event")
    assert isinstance(exc, CommandRefused)
    assert (exc.command, exc.state) == ("teleport", "submitted")
    # an event of another process is just as unknown here
    refused(c, lambda c: c.fire("triage", at=T0 + M, by=MANAGER), TransitionRejected,
            "the satisfaction_loop process has no 'triage' event")


def test_an_event_not_allowed_from_the_state_is_rejected() -> None:
    """P-03: a complaint is received before it is analysed or closed."""
    c = start(satisfaction_loop_process())
    for event in ("analyse", "close", "rework", "give_feedback"):
        exc = refused(c, lambda c, e=event: c.fire(e, at=T0 + M, by=MANAGER,  # type: ignore[misc]
                                                   fields=ANALYSED),
                      TransitionRejected, f"no {event!r} transition from 'submitted'")
        assert exc.state == "submitted"


@pytest.mark.parametrize("event", ["Close", "", "close me", f"x {PHONE}", "9lives", None, 7],
                         ids=["capital", "empty", "space", "phone", "digit-first", "None", "int"])
def test_what_is_not_an_event_name_is_invalid_input(event: object) -> None:
    c = start(satisfaction_loop_process())
    refused(c, lambda c: c.fire(bad(event), at=T0 + M, by=AGENT), InvalidInputError)


@pytest.mark.parametrize(
    ("make", "event", "by", "fields"),
    [
        (lambda: start(dispute_process()), "investigate", AGENT, {}),  # P-05: leads
        (lambda: start(dispute_process()), "investigate", SYSTEM, {}),
        (lambda: start(dispute_process()), "investigate", CUSTOMER, {}),
        (lambda: start(feedback_loop_process()).fire(
            "assess", at=T0, by=AGENT, fields={"category": "praise", "priority": "P4"}),
         "dispatch", AGENT, {"owner": "team"}),
        (lambda: start(satisfaction_loop_process()), "receive", CUSTOMER, RECEIVED),
        (lambda: start(satisfaction_loop_process()), "receive", SYSTEM, RECEIVED),
        (lambda: start(satisfaction_loop_process()), "receive", OUTSIDER, RECEIVED),
        (lambda: start(repair_process()), "triage", OTHER_CUSTOMER, {}),
        (lambda: start(ticket_process()), "customer_reply", AGENT, {}),
        (lambda: start(ticket_process()), "cancel", AGENT, {"reason": SECRET}),
        (lambda: start(ticket_process()), "cancel", SYSTEM, {"reason": SECRET}),
    ],
    ids=["dispute-agent", "dispute-system", "dispute-customer", "dispatch-agent",
         "receive-customer", "receive-system", "receive-unknown-role", "triage-other-customer",
         "customer-reply-agent", "cancel-agent", "cancel-system"],
)
def test_a_role_the_transition_does_not_name_is_permission_denied(
    make: Callable[[], Case], event: str, by: Actor, fields: dict[str, Any]
) -> None:
    """P-07 / P-08: authority is explicit; the transition names the roles that fire it."""
    c = make()
    exc = refused(c, lambda c: c.fire(event, at=c.updated_at + M, by=by, fields=fields),
                  PermissionDenied)
    assert (exc.command, exc.state) == (event, c.state)
    assert "requires one of the roles" in exc.reason


def test_a_customer_acts_only_on_their_own_case() -> None:
    """P-08: the customer role acts on the actor's own case only."""
    for c in (awaiting(), start(ticket_process())):
        event = "customer_answers" if c.process_name == "callback" else "customer_reply"
        at = c.updated_at + M
        for by in (OTHER_CUSTOMER, STAFF_AND_OTHER_CUSTOMER):
            exc = refused(c, lambda c, e=event, at=at, by=by: c.fire(  # type: ignore[misc]
                e, at=at, by=by), PermissionDenied, "a customer acts only on their own cases")
            assert exc.command == event
        own = consistent(c.fire(event, at=at, by=CUSTOMER))
        assert own.history[-1].by == CUSTOMER_ID


def test_a_customer_with_an_extra_role_the_process_does_not_know_is_only_a_customer() -> None:
    c = awaiting()
    odd = Actor(id=OTHER_ID, roles=frozenset({"customer", "auditor"}))
    refused(c, lambda c: c.fire("customer_answers", at=T0 + 2 * H, by=odd), PermissionDenied)


def test_by_must_be_an_actor() -> None:
    c = start(repair_process())
    for by in (AGENT.id, None, {"id": "x", "roles": ["agent"]}):
        refused(c, lambda c, by=by: c.fire("triage", at=T0 + M,  # type: ignore[misc]
                                           by=bad(by)), InvalidInputError)


# -- fire: required fields (P-03, P-04, P-06) ------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({}, "complaint_time, complainant, content, cause"),
        ({"complaint_time": "08:30", "content": SECRET}, "complainant, cause"),
        ({**RECEIVED, "cause": ""}, "cause"),
        ({**RECEIVED, "complainant": None}, "complainant"),
        ({"note": SECRET, PHONE: SECRET}, "complaint_time, complainant, content, cause"),
    ],
    ids=["none", "half", "empty-string", "null", "others"],
)
def test_a_missing_required_field_is_invalid_input(given: dict[str, Any], missing: str) -> None:
    """P-03: a complaint is received with its time, complainant, content and cause."""
    c = start(satisfaction_loop_process())
    exc = refused(c, lambda c: c.fire("receive", at=T0 + M, by=AGENT, fields=given),
                  InvalidInputError, f"receive in state 'submitted': requires {missing}")
    assert str(exc).endswith(f"requires {missing}")


@pytest.mark.parametrize(
    ("p", "event", "by", "fields", "missing"),
    [
        (feedback_loop_process(), "assess", AGENT, {"category": "complaint"}, "priority"),
        (feedback_loop_process(), "assess", AGENT, {"priority": "P1"}, "category"),
        (repair_process, "confirm", AGENT, {"symptom": "no power"}, "environment"),
        (dispute_process, "mediate", LEAD, {}, "findings"),
        (consultation_process(), "answer", AGENT, {"answer": ""}, "answer"),
    ],
    ids=["assess-priority", "assess-category", "confirm-environment", "mediate-findings",
         "answer-empty"],
)
def test_each_process_requires_its_fields(p: Any, event: str, by: Actor,
                                          fields: dict[str, Any], missing: str) -> None:
    """P-04 (category, priority), P-06 (symptom, environment), P-05 (findings), P-02."""
    if p is repair_process:
        c = start(p()).fire("triage", at=T0, by=AGENT)
    elif p is dispute_process:
        c = start(p()).fire("investigate", at=T0, by=LEAD)
    else:
        c = start(p)
    refused(c, lambda c: c.fire(event, at=T0 + M, by=by, fields=fields), InvalidInputError,
            f"requires {missing}")


def test_a_field_recorded_earlier_counts_for_a_later_requirement() -> None:
    """P-04: the data given at the start counts for assess; P-03: a reworked complaint keeps
    its remedy plan, so handling it again need not repeat it."""
    feedback = start(feedback_loop_process(), fields={"category": "suggestion", "priority": "P3"})
    assessed = consistent(feedback.fire("assess", at=T0 + M, by=AGENT))
    assert assessed.state == "assessed"
    assert assessed.history[-1].fields == {}
    reworked = complaint_at_feedback().fire("rework", at=T0 + D, by=AGENT,
                                            fields={"customer_satisfied": False})
    again = consistent(reworked.fire("handle", at=T0 + 2 * D, by=AGENT))
    assert (again.state, again.fields["remedy_plan"]) == ("handled", "apology")
    # but a field emptied by the command itself is missing
    refused(reworked, lambda c: c.fire("handle", at=T0 + 2 * D, by=AGENT,
                                       fields={"remedy_plan": ""}),
            InvalidInputError, "requires remedy_plan")


# -- fire: guards (P-02, P-03) ---------------------------------------------------------------------


def test_a_complaint_closes_only_once_the_customer_is_satisfied() -> None:
    """P-03: make sure the customer is satisfied; otherwise rework (analyse again)."""
    c = complaint_at_feedback()
    at = T0 + D
    for fields in ({"customer_satisfied": False}, {}, {"customer_satisfied": None}):
        exc = refused(c, lambda c, f=fields: c.fire("close", at=at, by=AGENT,  # type: ignore[misc]
                                                    fields=f),
                      TransitionRejected, "'customer_satisfied == true' does not hold")
        assert (exc.command, exc.state) == ("close", "feedback_given")
    refused(c, lambda c: c.fire("rework", at=at, by=AGENT, fields={"customer_satisfied": True}),
            TransitionRejected, "'customer_satisfied == false' does not hold")
    reworked = consistent(c.fire("rework", at=at, by=AGENT, fields={"customer_satisfied": False}))
    assert (reworked.state, reworked.state_since) == ("analysed", at)
    # round the loop again, then satisfied
    c2 = reworked.fire("handle", at=at + H, by=AGENT, fields={"remedy_plan": "voucher"})
    c2 = c2.fire("give_feedback", at=at + 2 * H, by=AGENT)  # result, improvement: earlier
    refused(c2, lambda c: c.fire("close", at=at + 3 * H, by=AGENT), TransitionRejected)
    closed = consistent(c2.fire("close", at=at + 3 * H, by=AGENT,
                                fields={"customer_satisfied": True}))
    assert (closed.state, closed.is_final, closed.ended_at) == ("closed", True, at + 3 * H)


def test_a_guard_reads_data_recorded_earlier() -> None:
    """P-03: satisfaction recorded with the feedback counts when the case is closed."""
    c = complaint_at_feedback(customer_satisfied=True)
    closed = consistent(c.fire("close", at=T0 + D, by=LEAD))
    assert closed.state == "closed"
    refused(c, lambda c: c.fire("rework", at=T0 + D, by=LEAD), TransitionRejected)


def test_a_guard_over_a_value_of_the_wrong_type_is_a_policy_error() -> None:
    c = complaint_at_feedback()
    exc = refused(c, lambda c: c.fire("close", at=T0 + D, by=AGENT,
                                      fields={"customer_satisfied": f"yes {PHONE}"}),
                  PolicyError)
    assert isinstance(exc, InvalidInputError)


def test_a_consultation_follows_up_only_complex_issues() -> None:
    """P-02: the follow-up loop is for complex issues only."""
    c = start(consultation_process()).fire("answer", at=T0 + M, by=AGENT, fields={"answer": "a"})
    for fields in ({}, {"complex": False}):
        refused(c, lambda c, f=fields: c.fire("follow_up", at=T0 + H, by=AGENT,  # type: ignore[misc]
                                              fields=f),
                TransitionRejected, "'complex == true' does not hold")
    following = consistent(c.fire("follow_up", at=T0 + H, by=AGENT, fields={"complex": True}))
    assert following.state == "following_up"


def test_the_checks_run_in_their_documented_order() -> None:
    """time, then the transition, then the roles, then the guard, then required fields."""
    c = start(dispute_process()).fire("investigate", at=T0 + H, by=LEAD)
    # earlier than the last event and everything else wrong too: the time is reported
    refused(c, lambda c: c.fire("teleport", at=T0, by=CUSTOMER), InvalidInputError,
            "earlier than the case's last event")
    # not a transition from here, by a wrong role: the transition is reported
    refused(c, lambda c: c.fire("notify_customer", at=T0 + 2 * H, by=CUSTOMER),
            TransitionRejected)
    # wrong role and the required findings missing: the role is reported
    refused(c, lambda c: c.fire("mediate", at=T0 + 2 * H, by=AGENT), PermissionDenied)
    # guard false and wrong role: the role
    fb = complaint_at_feedback()
    refused(fb, lambda c: c.fire("close", at=T0 + D, by=CUSTOMER), PermissionDenied)


# -- fire: time ------------------------------------------------------------------------------------


def test_time_going_backwards_is_rejected() -> None:
    c = start(repair_process()).fire("triage", at=T0 + 4 * M, by=AGENT)
    refused(c, lambda c: c.fire("not_a_product_fault", at=T0 + 4 * M - US, by=AGENT),
            InvalidInputError, "at is earlier than the case's last event")
    refused(c, lambda c: c.fire("not_a_product_fault", at=datetime(2026, 3, 2, 10, 0),
                                by=AGENT), NaiveDatetimeError)
    refused(c, lambda c: c.fire("not_a_product_fault", at=bad("2026-03-02T10:00:00Z"),
                                by=AGENT), InvalidInputError)
    # the same instant, in another zone too, is not earlier
    same = c.fire("not_a_product_fault", at=(T0 + 4 * M).astimezone(BEIJING), by=AGENT)
    assert consistent(same).state == "routed_to_consultation"
    assert same.ended_at == T0 + 4 * M


@pytest.mark.parametrize("fields", list(BAD_FIELDS.values()), ids=list(BAD_FIELDS))
def test_fire_rejects_fields_that_are_not_json_data_or_shadow_the_case(fields: object) -> None:
    c = start(repair_process())
    refused(c, lambda c: c.fire("triage", at=T0 + M, by=AGENT, fields=bad(fields)),
            InvalidInputError)


# -- the case's data -------------------------------------------------------------------------------


def test_fields_are_the_start_data_updated_by_every_transition() -> None:
    """Each event keeps only the data its command carried; the case holds the merge."""
    c = start(repair_process(), fields={"symptom": "noise", "product": {"sku": "X-1"}})
    c = c.fire("triage", at=T0 + M, by=AGENT, fields={"fault": True})
    c = c.fire("confirm", at=T0 + 2 * M, by=AGENT,
               fields={"symptom": "no power", "environment": "kitchen"})
    c2 = c.fire("arrange_visit", at=T0 + H, by=LEAD)
    c3 = c2.fire("diagnose", at=T0 + D, by=AGENT,
                 fields={"diagnosis": "fuse", "product": {"sku": "X-2"}, "fault": None})
    assert c3.fields == {"symptom": "no power", "product": {"sku": "X-2"}, "fault": None,
                         "environment": "kitchen", "diagnosis": "fuse"}
    assert [e.fields for e in c3.history] == [
        {"symptom": "noise", "product": {"sku": "X-1"}}, {"fault": True},
        {"symptom": "no power", "environment": "kitchen"}, {},
        {"diagnosis": "fuse", "product": {"sku": "X-2"}, "fault": None}]
    # the earlier values are untouched
    assert c.fields == {"symptom": "no power", "product": {"sku": "X-1"}, "fault": True,
                        "environment": "kitchen"}
    assert c2.fields == c.fields
    consistent(c3)


def test_fire_copies_the_fields_it_is_given() -> None:
    given: dict[str, Any] = {"parts": ["fuse"]}
    c = start(repair_process()).fire("triage", at=T0, by=AGENT)
    c = c.fire("confirm", at=T0, by=AGENT, fields={"symptom": "s", "environment": "e"})
    c = c.fire("diagnose", at=T0, by=AGENT, fields={"diagnosis": "d"})
    c = c.fire("repair", at=T0, by=AGENT, fields=given)
    given["parts"].append("seal")
    assert c.fields["parts"] == ["fuse"]
    assert c.history[-1].fields == {"parts": ["fuse"]}


# -- allowed commands ------------------------------------------------------------------------------


def test_allowed_commands_follow_state_and_roles() -> None:
    """P-08: a case shows each actor what they may do (guards are not evaluated)."""
    fb = complaint_at_feedback()
    assert fb.allowed_commands() == ("close", "rework")
    assert fb.allowed_commands(AGENT) == ("close", "rework")
    assert fb.allowed_commands(CUSTOMER) == ()
    assert fb.allowed_commands(SYSTEM) == ()
    dispute = start(dispute_process())
    assert dispute.allowed_commands(AGENT) == ()
    assert dispute.allowed_commands(LEAD) == dispute.allowed_commands(MANAGER) == ("investigate",)
    ticket = start(ticket_process())
    assert ticket.allowed_commands(CUSTOMER) == ("customer_reply",)
    assert ticket.allowed_commands(OTHER_CUSTOMER) == ()
    assert ticket.allowed_commands(STAFF_AND_OTHER_CUSTOMER) == ("reply",)
    assert ticket.allowed_commands(AGENT) == ("reply",)
    assert ticket.allowed_commands(LEAD) == ("assign", "cancel", "change_priority", "escalate",
                                             "reply")
    assert ticket.allowed_commands(OUTSIDER) == ()
    asked = awaiting()
    assert asked.allowed_commands() == ("customer_answers", "expire", "remind")
    assert asked.allowed_commands(CUSTOMER) == ("customer_answers",)
    assert asked.allowed_commands(SYSTEM) == ("expire",)
    assert asked.allowed_commands(AGENT) == ("remind",)
    assert asked.allowed_commands(LEAD) == ()


@pytest.mark.parametrize("name", sorted(all_processes()))
def test_no_command_offered_in_the_initial_state_is_refused_for_its_roles(name: str) -> None:
    """What allowed_commands offers is never a PermissionDenied, what it leaves out always is
    (or not a transition from this state at all)."""
    p = all_processes()[name]
    c = start(p)
    events = sorted({t.event for t in p.transitions})
    for actor in (AGENT, LEAD, MANAGER, CUSTOMER, OTHER_CUSTOMER, SYSTEM, OUTSIDER):
        offered = c.allowed_commands(actor)
        for event in events:
            try:
                c.fire(event, at=T0 + M, by=actor)
            except PermissionDenied:
                assert event not in offered, (actor.id, event)
            except ServiceKitError:
                pass
            else:
                assert event in offered, (actor.id, event)


# -- timeouts --------------------------------------------------------------------------------------


def test_a_due_timeout_is_fired_by_the_system_at_the_due_instant() -> None:
    c = awaiting(T0 + H)
    due = T0 + H + 2 * D
    assert c.timeout_due_at == due
    assert start(CALLBACK).timeout_due_at is None
    assert c.apply_timeouts(due - US) is c
    assert c.apply_timeouts(T0) is c
    for now in (due, due + 30 * D):
        lapsed = consistent(c.apply_timeouts(now))
        assert (lapsed.state, lapsed.version, lapsed.ended_at) == ("lapsed", 3, due)
        moved = lapsed.history[-1]
        assert isinstance(moved, StatusChanged)
        assert (moved.event, moved.by, moved.at, moved.fields) == ("expire", "system", due, {})
        assert lapsed.apply_timeouts(now + D) is lapsed  # nothing due in a final state
        assert lapsed.timeout_due_at is None


def test_an_action_in_a_state_does_not_restart_its_timeout() -> None:
    """A reminder keeps the case waiting (the state and its clock); once due, the lapse is
    recorded no earlier than the case's last event."""
    c = awaiting(T0).fire("remind", at=T0 + 2 * D + H, by=AGENT)
    assert c.state_since == T0
    assert c.timeout_due_at == T0 + 2 * D
    lapsed = consistent(c.apply_timeouts(T0 + 3 * D))
    assert (lapsed.state, lapsed.history[-1].at) == ("lapsed", T0 + 2 * D + H)


def test_a_timeout_runs_in_elapsed_time_across_a_dst_change() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    asked = awaiting(datetime(2026, 3, 28, 12, 0, tzinfo=berlin))  # DST starts on the 29th
    due = asked.timeout_due_at
    assert due is not None
    assert due.astimezone(UTC) - datetime(2026, 3, 28, 11, 0, tzinfo=UTC) == 2 * D
    assert (due.hour, due.utcoffset()) == (13, timedelta(hours=2))


def test_a_timeout_needs_an_aware_now() -> None:
    c = awaiting()
    refused(c, lambda c: c.apply_timeouts(datetime(2026, 3, 9)), NaiveDatetimeError)


def test_the_ticket_presets_auto_close_runs_on_a_case() -> None:
    """P-01 on a Case: a resolved ticket closes after 7 days, by the system."""
    c = start(ticket_process()).fire("reply", at=T0, by=AGENT)
    c = c.fire("resolve", at=T0 + H, by=AGENT, fields={"resolution": "done"})
    assert c.timeout_due_at == T0 + H + 7 * D
    assert c.apply_timeouts(T0 + 7 * D) is c
    closed = consistent(c.apply_timeouts(T0 + 8 * D))
    assert (closed.state, closed.ended_at, closed.history[-1].by) == (
        "closed", T0 + H + 7 * D, "system")


def test_a_timeout_whose_transition_requires_data_is_refused_by_the_definition() -> None:
    """The system fires a timeout with no data (``apply_timeouts``), so a timeout transition
    that requires fields could never fire: today the definition is accepted and every
    ``apply_timeouts`` once due raises ``InvalidInputError: expire ... requires answer``.
    Such a process is unsound and is refused when defined, as a timeout the system role may
    not fire is."""
    doc = CALLBACK.model_dump(mode="json")
    for t in doc["transitions"]:
        if t["event"] == "expire":
            t["requires"] = ["answer"]
    with pytest.raises(PolicyError, match="timeout"):
        ProcessDefinition.model_validate(doc)


def test_a_customer_answer_stops_the_clock() -> None:
    c = awaiting().fire("customer_answers", at=T0 + D, by=CUSTOMER)
    assert (c.state, c.timeout_due_at) == ("opened", None)
    assert c.apply_timeouts(T0 + 30 * D) is c


# -- replay ----------------------------------------------------------------------------------------


def life() -> Case:
    """A complaint reworked once then closed: 1 CaseStarted + 8 StatusChanged."""
    c = complaint_at_feedback()
    c = c.fire("rework", at=T0 + D, by=AGENT, fields={"customer_satisfied": False})
    c = c.fire("handle", at=T0 + D + H, by=AGENT, fields={"remedy_plan": "voucher"})
    c = c.fire("give_feedback", at=T0 + D + 2 * H, by=AGENT)
    c = c.fire("close", at=T0 + 2 * D, by=AGENT, fields={"customer_satisfied": True})
    assert c.version == 9
    return c


def replay_refused(history: object, match: str, process: ProcessDefinition | None = None
                   ) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as info:
        Case.replay(bad(history), process=process or satisfaction_loop_process())
    private_free(info.value)
    assert match in str(info.value), str(info.value)
    return info.value


def test_replay_rebuilds_the_live_case_from_any_iterable() -> None:
    c = life()
    p = satisfaction_loop_process()
    assert Case.replay(c.history, process=p) == c
    assert Case.replay(list(c.history), process=p) == c
    assert Case.replay(iter(c.history), process=p) == c
    assert Case.replay(c.history, process=p).process is p


def test_replay_of_nothing_is_refused() -> None:
    replay_refused((), "history is empty; a case starts with CaseStarted")
    replay_refused([], "history is empty")
    replay_refused(SECRET, "history must be an iterable of events")
    replay_refused({"history": PHONE}, "history must be an iterable of events")
    replay_refused(7, "history must be an iterable of events")


def test_replay_with_a_process_that_is_not_a_process_definition_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        Case.replay(life().history, process=bad("satisfaction_loop"))


def test_a_history_starts_with_case_started() -> None:
    h = life().history
    replay_refused(h[1:], "history[0] (StatusChanged): a case's history starts with CaseStarted")
    created = TicketCreated(stream_id=CASE_ID, at=T0, priority="P3", customer_id=CUSTOMER_ID)
    replay_refused((created, *h[1:]), "history[0] (TicketCreated)")
    replay_refused((h[0], h[0].model_copy(update={"event_id": "second-start"})),
                   "history[1] (CaseStarted): not an event a case records after its start")
    resolved = TicketResolved(stream_id=CASE_ID, at=T0 + M, resolution=SECRET)
    replay_refused((h[0], resolved), "history[1] (TicketResolved): not an event a case records")
    replay_refused((h[0], {"type": "StatusChanged"}), "history[1] (dict)")


def test_an_event_of_another_stream_is_refused() -> None:
    h = life().history
    moved = h[3].model_copy(update={"stream_id": f"other-{PHONE}"})
    replay_refused((*h[:3], moved, *h[4:]), "history[3] (StatusChanged): belongs to another case")
    moved = h[1].model_copy(update={"ticket_id": "C-2"})
    replay_refused((h[0], moved), "history[1] (StatusChanged): belongs to another case")


def test_events_out_of_order_are_refused() -> None:
    h = life().history
    replay_refused((h[0], h[2], h[1], *h[3:]), "history[1] (StatusChanged)")
    early = h[4].model_copy(update={"at": h[3].at - US})
    replay_refused((*h[:4], early, *h[5:]), "history[4] (StatusChanged): is earlier than the "
                                           "event before it")


def test_a_repeated_event_id_is_refused() -> None:
    h = life().history
    again = h[2].model_copy(update={"event_id": h[1].event_id})
    replay_refused((h[0], h[1], again, *h[3:]), "history[2] (StatusChanged): repeats an event id")
    replay_refused((h[0], h[1], h[1]), "history[2] (StatusChanged): repeats an event id")


def test_a_transition_the_state_does_not_allow_is_refused() -> None:
    h = life().history
    # handled before analysed
    replay_refused((h[0], h[1], h[3]), "history[2] (StatusChanged): handle is not allowed in "
                                       "state 'received'")
    made_up = StatusChanged(stream_id=CASE_ID, at=T0 + M, by=AGENT.id, status="closed",
                            event="close", fields={"note": SECRET})
    replay_refused((h[0], made_up), "close is not allowed in state 'submitted'")
    unknown = made_up.model_copy(update={"event": "teleport"})
    replay_refused((h[0], unknown), "records an event the process does not have")
    # the transition exists but leads elsewhere than the event says
    astray = h[1].model_copy(update={"status": "closed"})
    replay_refused((h[0], astray, *h[2:]), "history[1] (StatusChanged): receive leads to "
                                           "'received'")
    # a status change that names no transition
    bare = h[1].model_copy(update={"event": None})
    replay_refused((h[0], bare), "history[1] (StatusChanged)")


def test_replay_checks_the_guards_p03() -> None:
    """P-03: a history that closes an unsatisfied complaint is refused."""
    h = life().history
    unsatisfied = h[-1].model_copy(update={"fields": {"customer_satisfied": False}})
    replay_refused((*h[:-1], unsatisfied), "history[8] (StatusChanged): close in state "
                                           "'feedback_given': no guard holds")


def test_a_case_of_another_process_is_refused() -> None:
    """A complaint's history replayed as a repair, or as a look-alike process."""
    h = life().history
    with pytest.raises(InvalidInputError) as info:
        Case.replay(h, process=repair_process())
    private_free(info.value)
    # the first event the repair process could not have produced is the complaint's start
    assert str(info.value).startswith("history[0] (CaseStarted)"), str(info.value)
    replay_refused(h[:1], "a case of another process", repair_process())
    twin = satisfaction_loop_process().model_copy(update={"name": "satisfaction_loop_v2"})
    twin = ProcessDefinition.model_validate(twin.model_dump())
    replay_refused(h, "history[0] (CaseStarted): a case of another process", twin)


def test_replay_refuses_a_start_in_a_state_the_process_does_not_start_in() -> None:
    """A CaseStarted claiming a state other than the process's initial one (a final state, a
    state the process does not have) is not an event the process could have produced."""
    p = satisfaction_loop_process()
    for state in ("closed", "feedback_given", "bogus"):
        forged = CaseStarted(stream_id=CASE_ID, at=T0, by=AGENT.id, process="satisfaction_loop",
                             state=state, customer_id=CUSTOMER_ID)
        with pytest.raises(InvalidInputError) as info:
            Case.replay([forged], process=p)
        private_free(info.value)
        assert "history[0] (CaseStarted)" in str(info.value)


def test_replay_after_a_trip_through_json_is_the_same_case() -> None:
    c = life()
    text = json.dumps([e.to_dict() for e in c.history], ensure_ascii=False)
    assert Case.replay([Event.from_dict(d) for d in json.loads(text)],
                       process=satisfaction_loop_process()) == c
