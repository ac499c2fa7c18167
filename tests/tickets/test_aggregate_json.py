"""The JSON forms of the aggregates (issue 19): ``to_dict()`` and ``json_schema()`` on
``Ticket``, ``Case`` and ``Complaint``, and ``Ticket.model_dump()`` with the derived fields.

``to_dict()`` is the aggregate's state (its fields but the history, whose events have their own
``to_dict``) and its derived values, as JSON data only: instants ISO 8601 with their offset,
named tuples as objects. ``model_dump()`` is pydantic's full form: it now carries the derived
fields too (``auto_close_due_at``, ``timeout_due_at``, ``customer_tier``) and loads back equal,
events and all.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_ticket_machine import ACTORS, STEPS

from json_forms import json_only
from servicekit.cases import Case
from servicekit.complaints import Complaint
from servicekit.errors import ServiceKitError
from servicekit.events import Event
from servicekit.presets.processes import all_processes
from servicekit.tickets import Actor, Ticket

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
D = timedelta(days=1)
AGENT = Actor(id="agent-li", roles=frozenset({"agent"}))
STAFF = Actor(id="staff-wu", roles=frozenset({"agent", "lead", "manager", "specialist"}))
CUSTOMER_ID = "cust-zhang-13800138000"
KINDS: tuple[Any, ...] = (Ticket, Case, Complaint)


def check(aggregate: Ticket | Case | Complaint) -> dict[str, Any]:
    """The JSON form is JSON only, valid against the class's schema, and reads back."""
    data = aggregate.to_dict()
    json_only(data)
    jsonschema.validate(data, type(aggregate).json_schema(),
                        cls=jsonschema.Draft202012Validator)
    assert json.loads(json.dumps(data)) == data
    assert "history" not in data
    assert data["version"] == aggregate.version
    return data


def opened(**kw: Any) -> Ticket:
    fields: dict[str, Any] = {
        "ticket_id": "T-1", "customer_id": CUSTOMER_ID, "channel": "email",
        "category": "billing", "priority": "P3", "subject": "charged twice", "at": T0,
        "by": AGENT, **kw}
    return Ticket.open(**fields)


def resolved() -> Ticket:
    t = opened(customer_tier="gold", attributes={"order": "A-17"})
    t = t.reply(at=T0 + H, by=AGENT)
    return t.resolve(at=T0 + 2 * H, by=AGENT, resolution="refunded")


# -- the schemas ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_each_schema_is_a_closed_draft_2020_12_schema(kind: Any) -> None:
    schema = kind.json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert (schema["title"], schema["additionalProperties"]) == (kind.__name__, False)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert "history" not in schema["properties"]
    assert set(schema["required"]) == set(schema["properties"])


def test_the_ticket_schema_refuses_what_to_dict_never_writes() -> None:
    data = check(resolved())
    validator = jsonschema.Draft202012Validator(Ticket.json_schema())
    for broken in ({**data, "history": []}, {**data, "opened_at": "2026-03-02"},
                   {**data, "version": "4"}, {k: v for k, v in data.items() if k != "status"}):
        assert not validator.is_valid(broken)


# -- the ticket ----------------------------------------------------------------------------------


def test_a_ticket_as_json_with_its_derived_values() -> None:
    data = check(resolved())
    assert {k: data[k] for k in ("status", "opened_at", "resolved_at", "first_contact_resolution",
                                 "auto_close_due_at", "timeout_due_at", "customer_tier",
                                 "is_final", "status_label", "status_label_zh")} == {
        "status": "resolved", "opened_at": "2026-03-02T09:00:00+00:00",
        "resolved_at": "2026-03-02T11:00:00+00:00", "first_contact_resolution": True,
        "auto_close_due_at": "2026-03-09T11:00:00+00:00",
        "timeout_due_at": "2026-03-09T11:00:00+00:00", "customer_tier": "gold",
        "is_final": False, "status_label": "Resolved", "status_label_zh": "已解决"}


def test_model_dump_includes_the_derived_fields() -> None:
    t = resolved()
    dumped = t.model_dump()
    assert (dumped["auto_close_due_at"], dumped["timeout_due_at"], dumped["customer_tier"]) == (
        t.auto_close_due_at, t.timeout_due_at, "gold")
    assert dumped["auto_close_due_at"] == T0 + 2 * H + 7 * D
    untiered = opened().model_dump(mode="json")
    assert (untiered["auto_close_due_at"], untiered["timeout_due_at"],
            untiered["customer_tier"]) == (None, None, None)


def test_a_dumped_ticket_loads_back_equal_with_its_events() -> None:
    """The history is dumped event by event with each event's own fields and type (it was
    dumped as bare ``Event``s, losing the priority, the reply's ``public`` …), and the derived
    values a dump carries are ignored on loading (they are computed again)."""
    t = resolved()
    dumped = t.model_dump()
    assert dumped["history"][0]["type"] == "TicketCreated"
    assert dumped["history"][0]["priority"] == "P3"
    assert dumped["history"][0]["attributes"] == {"order": "A-17"}
    loaded = Ticket.model_validate(dumped)
    assert loaded == t
    assert loaded.history == t.history
    assert [type(e) for e in loaded.history] == [type(e) for e in t.history]
    assert Ticket.model_validate_json(t.model_dump_json()) == t
    assert Ticket.model_validate(json.loads(t.model_dump_json())) == t
    assert Ticket.replay(loaded.history) == t
    # the derived values of the loaded ticket are its own
    assert (loaded.auto_close_due_at, loaded.customer_tier) == (t.auto_close_due_at, "gold")


def test_a_dump_with_derived_values_that_disagree_still_loads_its_state() -> None:
    """Derived values are not input: a stale one in a stored dump is recomputed."""
    t = resolved()
    dumped = {**t.model_dump(), "timeout_due_at": None, "customer_tier": "bronze",
              "first_contact_resolution": False}
    loaded = Ticket.model_validate(dumped)
    assert (loaded.timeout_due_at, loaded.customer_tier, loaded.first_contact_resolution) == (
        t.timeout_due_at, "gold", True)


def test_an_unknown_key_is_still_refused() -> None:
    with pytest.raises(ServiceKitError, match="unknown field"):
        Ticket.model_validate({**opened().model_dump(), "colour": "red"})


@settings(max_examples=60, deadline=None, database=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(STEPS)), st.sampled_from(ACTORS),
                          st.timedeltas(min_value=timedelta(0), max_value=9 * D)),
                max_size=25),
       st.sampled_from([None, "gold", "vip"]))
def test_every_ticket_is_json_and_its_dump_loads_back(
        steps: list[tuple[str, Actor, timedelta]], tier: str | None) -> None:
    t = Ticket.open(ticket_id="T-1", customer_id=CUSTOMER_ID, channel="chat", category="fault",
                    priority="P2", subject="down", at=T0, by=AGENT, customer_tier=tier)
    for name, by, delta in steps:
        try:
            t = STEPS[name](t, t.updated_at + delta, by)
        except ServiceKitError:
            continue
        data = check(t)
        assert data["customer_tier"] == tier
        assert data["timeout_due_at"] == (None if t.timeout_due_at is None
                                          else t.timeout_due_at.isoformat())
    assert Ticket.model_validate_json(t.model_dump_json()) == t
    assert Ticket.replay([Event.from_dict(e.to_dict()) for e in t.history]) == t


# -- cases ---------------------------------------------------------------------------------------

FIELD_NAMES = ("customer_satisfied", "resolution", "category", "priority", "result",
               "improvement", "notes", "diagnosis")
field_values = st.one_of(st.booleans(), st.none(), st.integers(-5, 5), st.text(max_size=6),
                         st.lists(st.integers(0, 3), max_size=2))
case_fields = st.dictionaries(st.sampled_from(FIELD_NAMES), field_values, max_size=4)


@settings(max_examples=60, deadline=None, database=None)
@given(st.sampled_from(sorted(all_processes())), case_fields,
       st.lists(st.tuples(st.integers(0, 9), case_fields,
                          st.timedeltas(min_value=timedelta(0), max_value=3 * D)),
                max_size=12))
def test_every_case_is_json(name: str, start: dict[str, Any],
                            steps: list[tuple[int, dict[str, Any], timedelta]]) -> None:
    process = all_processes()[name]
    case = Case.start(process=process, case_id="C-1", customer_id=CUSTOMER_ID, at=T0,
                      by=STAFF, fields=start)
    check(case)
    for pick, fields, delta in steps:
        offered = case.allowed_commands(STAFF)
        if not offered:
            break
        try:
            case = case.fire(offered[pick % len(offered)], at=case.updated_at + delta,
                             by=STAFF, fields=fields)
        except ServiceKitError:
            continue
        data = check(case)
        assert (data["state"], data["status"], data["is_final"]) == (
            case.state, case.state, case.is_final)
        assert data["fields"] == dict(case.fields)


# -- complaints ----------------------------------------------------------------------------------

T_SH = datetime(2026, 10, 12, 9, 0, tzinfo=SH)

COMPLAINT_STEPS: dict[str, Any] = {
    "acknowledge": lambda c, at: c.acknowledge(at=at, by=STAFF),
    "analyse_minor": lambda c, at: c.analyse(nature="billing", severity=2, scope="group",
                                             urgency="low", at=at, by=STAFF),
    "analyse_severe": lambda c, at: c.analyse(nature="safety", severity=6, scope="widespread",
                                              urgency="high", at=at, by=STAFF),
    "propose": lambda c, at: c.propose_solution(remedies=["apology", "compensation"],
                                                summary="refund", at=at, by=STAFF),
    "handle": lambda c, at: c.handle(actions="refunded", at=at, by=STAFF),
    "feedback_good": lambda c, at: c.feedback(satisfaction=0.9, at=at, by=STAFF),
    "feedback_bad": lambda c, at: c.feedback(satisfaction=0.5, at=at, by=STAFF),
    "visit_ok": lambda c, at: c.record_return_visit(outcome="satisfied", at=at, by=STAFF),
    "visit_away": lambda c, at: c.record_return_visit(outcome="unreachable", at=at, by=STAFF),
    "close": lambda c, at: c.close(at=at, by=STAFF),
    "escalate": lambda c, at: c.escalate(level=c.escalation_level + 1, at=at, by=STAFF),
    "reopen": lambda c, at: c.reopen(at=at, by=STAFF),
    "timeouts": lambda c, at: c.apply_timeouts(at),
}
#: once in a while (it ends the complaint: drawn among the others, it ends most walks early)
WITHDRAW = "withdraw"


@settings(max_examples=40, deadline=None, database=None)
@given(st.lists(st.tuples(st.sampled_from((*sorted(COMPLAINT_STEPS), *sorted(COMPLAINT_STEPS),
                                           WITHDRAW)),
                          st.sampled_from([timedelta(0), H, 5 * H, 2 * D, 40 * D])),
                max_size=14),
       st.sampled_from([None, "gold"]))
def test_every_complaint_is_json(steps: list[tuple[str, timedelta]], tier: str | None) -> None:
    c = Complaint.receive(complaint_id="CP-1", customer_id=CUSTOMER_ID, channel="phone",
                          content="charged twice", cause="billing", at=T_SH, by=STAFF,
                          customer_tier=tier, fields={"order": "A-17"})
    check(c)
    for name, delta in steps:
        at = c.updated_at + delta
        try:
            c = (c.withdraw(reason="resolved elsewhere", at=at, by=STAFF) if name == WITHDRAW
                 else COMPLAINT_STEPS[name](c, at))
        except ServiceKitError:
            continue
        data = check(c)
        assert data["stages_entered"] == {k: v.isoformat() for k, v in c.stages_entered.items()}
        assert [v["kind"] for v in data["return_visits"]] == [v.kind for v in c.return_visits]
        assert [r["remedy"] for r in data["remedies"]] == [r.remedy for r in c.remedies]
        assert data["customer_tier"] == tier
