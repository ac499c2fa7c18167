"""The JSON forms of SLA reports (issue 19): ``to_dict()`` and ``json_schema()`` on
``SlaReport``, ``MetricStatus``, ``Escalations``, ``EscalationStep`` and ``Remedy``, and
``report.untracked``.

The rules: only ``str``/``int``/``float``/``bool``/``None``/``list``/``dict``; instants ISO 8601
with their offset; durations a number of seconds (an integer when whole); every output valid
against its draft 2020-12 schema.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from hypothesis import given
from sla_events import T0, US, H, always_policy, ev
from test_sla_properties import FEWER, History, histories

from json_forms import json_only
from servicekit.events import (
    CaseStarted,
    CustomerReplied,
    PriorityChanged,
    TicketCreated,
)
from servicekit.presets.handbook import policy as handbook_document
from servicekit.presets.handbook import sla_policy
from servicekit.rules import DecisionTable, Rule
from servicekit.rules._json import instant, seconds
from servicekit.sla import (
    UNTRACKED_NO_RULE_MATCHED,
    UNTRACKED_NO_TARGET,
    UNTRACKED_REASONS,
    UNTRACKED_UNKNOWN_PRIORITY,
    Escalations,
    EscalationStep,
    MetricStatus,
    Remedy,
    SlaReport,
    evaluate,
    evaluate_many,
)

SH = ZoneInfo("Asia/Shanghai")
FORMS: tuple[Any, ...] = (SlaReport, MetricStatus, Escalations, EscalationStep, Remedy)


def valid(data: object, form: Any) -> None:
    jsonschema.validate(data, form.json_schema(), cls=jsonschema.Draft202012Validator)


def phone_complaint(now: datetime) -> SlaReport:
    """The issue's ticket: a phone complaint on the eve of National Day, the handbook policy."""
    sla = handbook_document().sla["handbook"]
    t0 = datetime(2026, 9, 30, 16, 30, tzinfo=SH)
    created = TicketCreated(event_id="c", ticket_id="T-1", at=t0, priority="P3",
                            channel="phone", category="complaint",
                            attributes={"phone": "13800138000"})
    return evaluate(sla, [created], now)


# -- the schemas ---------------------------------------------------------------------------------


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.__name__)
def test_each_schema_is_a_draft_2020_12_schema(form: Any) -> None:
    schema = form.json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == form.__name__
    jsonschema.Draft202012Validator.check_schema(schema)
    # a fresh copy each time: a host may change what it got
    schema["title"] = "changed"
    assert form.json_schema()["title"] == form.__name__


def test_a_schema_refuses_what_the_form_never_writes() -> None:
    """The schemas are closed: a wrong type, an unknown key or a missing one fails (the
    validation tests below could not fail otherwise)."""
    data = phone_complaint(datetime(2026, 9, 30, 16, 35, tzinfo=SH)).to_dict()
    schema = SlaReport.json_schema()
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid(data)
    for broken in (
        {**data, "extra": 1},
        {k: v for k, v in data.items() if k != "untracked"},
        {**data, "now": "2026-09-30 16:35"},  # no T, no offset
        {**data, "now": "2026-09-30T16:35:00"},  # no offset
        {**data, "untracked": {"resolution": "because"}},
        {**data, "metrics": {"first_response": {**data["metrics"]["first_response"],
                                                "elapsed": "PT5M"}}},
    ):
        assert not validator.is_valid(broken)


# -- the ticket, written out ----------------------------------------------------------


def test_the_report_of_a_phone_complaint_as_json() -> None:
    report = phone_complaint(datetime(2026, 9, 30, 16, 35, tzinfo=SH))
    data = report.to_dict()
    json_only(data)
    valid(data, SlaReport)
    assert json.loads(json.dumps(data)) == data
    assert (data["ticket_id"], data["policy"], data["now"], data["provisional"]) == (
        "T-1", "handbook", "2026-09-30T16:35:00+08:00", False)
    assert data["next_check_at"] == "2026-10-08T10:30:00+08:00"
    assert list(data["metrics"]) == ["first_response", "business_response",
                                     "preliminary_solution"]
    assert data["metrics"]["first_response"] == {
        "metric": "first_response", "state": "breached", "target": 60, "elapsed": 300,
        "remaining": -240, "warnings": [0.75, 0.9], "cycles": 1, "breached_cycles": 1,
        "started_at": "2026-09-30T16:30:00+08:00", "due_at": "2026-09-30T16:31:00+08:00",
        "breached_at": "2026-09-30T16:31:00.000001+08:00", "stopped_at": None,
        "running": True,
    }
    assert data["escalations"]["next"] == {
        "level": 1, "notify": "agent", "metric": "business_response",
        "at": "2026-10-08T10:30:00+08:00", "trigger": 0.75}
    assert [s["trigger"] for s in data["escalations"]["reached"]] == [0.75, "breach"]
    assert data["remedies"] == []  # first response is not a public commitment
    assert data["untracked"] == {"next_response": UNTRACKED_NO_TARGET,
                                 "periodic_update": UNTRACKED_NO_TARGET,
                                 "resolution": UNTRACKED_UNKNOWN_PRIORITY}
    assert "13800138000" not in json.dumps(data)  # the ticket's attributes are not written


def test_remedies_write_their_outputs_as_objects_and_no_facts_k06() -> None:
    """A week after the holiday every public commitment of the complaint is breached: the
    remedies' read-only mappings become objects; the decision carries no facts (the ticket's
    attributes hold the customer's phone number)."""
    report = phone_complaint(datetime(2026, 10, 16, 9, tzinfo=SH))
    remedies = report.remedies()
    assert remedies
    for remedy in remedies:
        data = remedy.to_dict()
        json_only(data)
        valid(data, Remedy)
        assert data["remedies"] == [dict(r) for r in remedy.remedies]
        assert data["decision"]["rule_ids"] == list(remedy.decision.rule_ids)
        assert "facts" not in data["decision"]
    text = json.dumps(report.to_dict())
    assert "13800138000" not in text
    assert [r["metric"] for r in report.to_dict()["remedies"]] == [r.metric for r in remedies]


def test_durations_are_seconds_and_instants_iso_8601_with_their_offset() -> None:
    assert (seconds(timedelta(hours=4)), seconds(US), seconds(-US)) == (14400, 1e-06, -1e-06)
    assert type(seconds(timedelta(days=2))) is int
    assert seconds(timedelta(days=3650, microseconds=7)) == 315360000.000007
    assert instant(datetime(2026, 3, 2, 9, tzinfo=UTC)) == "2026-03-02T09:00:00+00:00"
    assert instant(datetime(2026, 3, 2, 9, 0, 0, 5, tzinfo=SH)) == (
        "2026-03-02T09:00:00.000005+08:00")
    # an offset with seconds (RFC 3339 has none) is written in UTC
    lmt = timezone(timedelta(hours=8, minutes=5, seconds=43))
    assert instant(datetime(1900, 1, 1, 8, 5, 43, tzinfo=lmt)) == "1900-01-01T00:00:00+00:00"


# -- over random histories -----------------------------------------------------------------------


@FEWER
@given(histories())
def test_every_report_part_is_json_valid_and_reads_back(h: History) -> None:
    report = evaluate(h.policy, h.events, h.now)
    data = report.to_dict()
    json_only(data)
    valid(data, SlaReport)
    assert json.loads(json.dumps(data)) == data
    assert data["now"] == report.now.isoformat()
    for name, status in report.items():
        part = status.to_dict()
        valid(part, MetricStatus)
        assert data["metrics"][name] == part
        # the numbers read back to the values, to the microsecond
        assert timedelta(seconds=part["elapsed"]) == status.elapsed
        assert timedelta(seconds=part["remaining"]) == status.remaining
        assert datetime.fromisoformat(part["started_at"]) == status.started_at
        if status.due_at is not None:
            assert datetime.fromisoformat(part["due_at"]) == status.due_at
    esc = report.escalations()
    valid(esc.to_dict(), Escalations)
    assert data["escalations"] == esc.to_dict()
    for step in esc.reached:
        valid(step.to_dict(), EscalationStep)
        assert datetime.fromisoformat(step.to_dict()["at"]) == step.at
    for remedy in report.remedies():
        valid(remedy.to_dict(), Remedy)
    assert set(report.untracked).isdisjoint(report)
    assert set(report.untracked.values()) <= set(UNTRACKED_REASONS)
    assert data["untracked"] == dict(report.untracked)
    # a batch's report writes the same
    batch = evaluate_many(h.policy, {"T-1": h.events}, h.now)
    if report.ticket_id:
        assert batch["T-1"].to_dict() == data


# -- untracked clocks ----------------------------------------------------------------------------


def test_untracked_names_an_unknown_priority() -> None:
    """``Ticket.open(priority="P9")`` is accepted; the report now says why resolution is not
    tracked (the handbook has resolution targets for P1 and P2 only)."""
    created = ev(TicketCreated, T0, priority="P9", channel="email", category="billing")
    report = evaluate(sla_policy(), [created], T0 + H)
    assert "resolution" not in report
    assert report.untracked["resolution"] == UNTRACKED_UNKNOWN_PRIORITY == "unknown priority"
    assert "first_response" in report  # S-10's default: any priority


def test_untracked_names_a_target_table_that_matched_no_rule() -> None:
    policy = always_policy("by-channel", target_table=DecisionTable(
        name="t", rules=[Rule(id="phone", when='channel == "phone"',
                              then={"first_response": "1m"})]))
    report = evaluate(policy, [ev(TicketCreated, T0, priority="P1", channel="email")], T0)
    assert dict(report.untracked) == {
        "first_response": UNTRACKED_NO_RULE_MATCHED, "next_response": UNTRACKED_NO_TARGET,
        "periodic_update": UNTRACKED_NO_TARGET, "resolution": UNTRACKED_NO_TARGET}
    phone = evaluate(policy, [ev(TicketCreated, T0, priority="P1", channel="phone")], T0)
    assert "first_response" in phone
    assert "first_response" not in phone.untracked


def test_a_metric_with_a_target_is_not_untracked_before_its_clock_starts() -> None:
    """next_response has a target but no cycle yet (no customer reply): absent from the report
    and from ``untracked``; the customer's reply after an agent's opens it."""
    policy = always_policy("cycles", targets={"next_response": {"P1": H},
                                              "first_response": {"P1": H}})
    events = [ev(TicketCreated, T0, priority="P1")]
    report = evaluate(policy, events, T0 + H)
    assert "next_response" not in report
    assert "next_response" not in report.untracked
    assert report.untracked["resolution"] == UNTRACKED_NO_TARGET


def test_untracked_follows_a_priority_change() -> None:
    """Targets are chosen by the facts at ``now``: an upgrade to P1 tracks resolution."""
    policy = always_policy("prio", targets={"resolution": {"P1": 8 * H}})
    events = [ev(TicketCreated, T0, priority="P4")]
    before = evaluate(policy, events, T0 + H)
    assert before.untracked["resolution"] == UNTRACKED_UNKNOWN_PRIORITY
    events.append(ev(PriorityChanged, T0 + H, priority="P1"))
    after = evaluate(policy, events, T0 + 2 * H)
    assert "resolution" in after
    assert "resolution" not in after.untracked


def test_untracked_of_a_case_and_of_an_empty_history() -> None:
    """A case's facts have no priority: ticket metrics with per-priority targets are
    untracked for an unknown priority; an empty history (no ticket yet) has none."""
    policy = always_policy("case", targets={"resolution": {"P1": 8 * H}})
    case = evaluate(policy, [ev(CaseStarted, T0, process="p", state="new")], T0)
    assert case.untracked["resolution"] == UNTRACKED_UNKNOWN_PRIORITY
    empty = evaluate(policy, [], T0)
    assert dict(empty.untracked) == {}
    assert empty.to_dict()["untracked"] == {}
    valid(empty.to_dict(), SlaReport)


def test_untracked_is_read_only() -> None:
    report = evaluate(always_policy("x"), [ev(TicketCreated, T0, priority="P1"),
                                           ev(CustomerReplied, T0 + H)], T0 + H)
    with pytest.raises(TypeError):
        report.untracked["resolution"] = "mine"  # type: ignore[index]
