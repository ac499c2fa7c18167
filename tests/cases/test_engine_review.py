"""Regressions for the review of the shared engine (issue 9): each test names the finding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

import pytest
from pydantic import TypeAdapter

from servicekit.cases import Actor, Case
from servicekit.engine import AggregateKind, CommandSpec
from servicekit.errors import InvalidInputError
from servicekit.events import AnyEvent, Event, StatusChanged, TicketCreated, TicketResolved
from servicekit.presets.processes import feedback_loop_process, ticket_process
from servicekit.processes import ProcessDefinition
from servicekit.tickets import TICKET, Ticket

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AGENT = Actor(id="agent-1", roles=frozenset({"agent"}))
LEAD = Actor(id="lead-1", roles=frozenset({"lead"}))


def _renamed_initial() -> ProcessDefinition:
    data = ticket_process().model_dump()
    for state in data["states"]:
        if state["id"] == "new":
            state["id"] = "triage"
    for t in data["transitions"]:
        t["sources"] = ["triage" if s == "new" else s for s in t["sources"]]
    return ProcessDefinition.model_validate(data)


def test_a_ticket_starts_in_its_processs_initial_state_not_in_new() -> None:
    process = _renamed_initial()
    t = Ticket.open(ticket_id="T-1", customer_id="C-1", channel="email", category="billing",
                    priority="P3", subject="s", at=T0, by=AGENT, process=process)
    assert t.status == "triage"
    assert t.status_label == "New"
    t = t.assign("agent-1", at=T0 + timedelta(minutes=1), by=LEAD)
    assert t.status == "open"
    assert Ticket.replay(t.history, process=process) == t


def _kind(**kw: Any) -> AggregateKind:
    base: dict[str, Any] = {"name": "probe", "created": TicketCreated,
                            "initial": lambda ev, p: {}, "facts": lambda *a: {}}
    return AggregateKind(**{**base, **kw})


class Parked(Event):
    type: Literal["Parked"] = "Parked"
    spot: str

    @property
    def implied_status(self) -> str | None:
        return self.spot


@pytest.mark.parametrize(
    ("commands", "message"),
    [
        pytest.param({"park": CommandSpec("park", Parked, ("spot",))}, "class attribute",
                     id="implied-status-overridden"),
        pytest.param({"other": CommandSpec("resolve", TicketResolved, ("resolution",))},
                     "another name", id="key-is-not-the-name"),
        pytest.param({"a": CommandSpec("a", TicketResolved), "b": CommandSpec("b", TicketResolved)},
                     "two commands", id="one-event-two-commands"),
        pytest.param({"move": CommandSpec("move", StatusChanged, ("status",))},
                     "not a command's own event", id="status-changed"),
        pytest.param({"resolve": CommandSpec("resolve", TicketResolved, ("nope",))},
                     "not a field", id="unknown-argument"),
        pytest.param({"resolve": CommandSpec("resolve", TicketResolved, ("at",))},
                     "not a field", id="envelope-argument"),
        pytest.param({"move": CommandSpec("move", TicketCreated)},
                     "not a command's own event", id="creation-event"),
    ],
)
def test_an_aggregate_kind_refuses_specs_live_and_replay_would_read_differently(
        commands: dict[str, CommandSpec], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        _kind(commands=commands)


def test_a_required_event_field_must_be_an_argument() -> None:
    class Tagged(Event):
        type: Literal["ReviewTagged"] = "ReviewTagged"
        tag: str

    with pytest.raises(TypeError, match="required but not an argument"):
        _kind(commands={"tag": CommandSpec("tag", Tagged)})


def test_a_kinds_tables_are_read_only() -> None:
    with pytest.raises(TypeError):
        TICKET.commands["x"] = TICKET.commands["resolve"]  # type: ignore[index]


def test_replay_runs_the_mutators_on_the_companion_status_change_too() -> None:
    # live apply() runs a StatusChanged mutator; replay's companion branch must as well
    from servicekit.engine import fold

    seen: list[str] = []
    t = Ticket.open(ticket_id="T-1", customer_id="C-1", channel="email", category="billing",
                    priority="P3", subject="s", at=T0, by=AGENT)
    t = t.reply(at=T0 + timedelta(minutes=1), by=AGENT)  # new -> open: a companion record
    assert [type(e).__name__ for e in t.history] == ["TicketCreated", "AgentReplied",
                                                      "StatusChanged"]
    kind = AggregateKind(name="ticket", created=TicketCreated, initial=TICKET.initial,
                         facts=TICKET.facts, commands=dict(TICKET.commands),
                         mutators={**TICKET.mutators,
                                   StatusChanged: lambda state, ev: seen.append(ev.event)})
    fold(kind, t.history, ticket_process())
    assert seen == ["reply"]


def test_a_mutable_default_is_not_shared_between_engine_built_events() -> None:
    class Noted(Event):
        type: Literal["ReviewNoted"] = "ReviewNoted"
        tags: list[str] = []  # noqa: RUF012 - the case under test

    one = Noted._trusted(stream_id="S", at=T0)
    one.tags.append("leak")
    assert Noted._trusted(stream_id="S", at=T0).tags == []
    assert Noted(stream_id="S", at=T0).tags == []


def test_bad_fields_have_a_location_and_never_name_the_key() -> None:
    c = Case.start(process=feedback_loop_process(), case_id="F-1", at=T0, by=AGENT)
    with pytest.raises(InvalidInputError) as info:
        c.fire("assess", at=T0, by=AGENT,
               fields={"category": "x", "phone 13800138000": [1, {2}]})
    problem = info.value.problems[0]
    assert problem.loc == ("fields", 1, 1)
    assert problem.type == "json_type"
    assert "13800138000" not in str(info.value)


def test_a_subclass_inheriting_a_host_events_type_is_refused() -> None:
    class Refund(Event):
        type: Literal["ReviewRefund"] = "ReviewRefund"

    with pytest.raises(TypeError, match="registered already"):
        class PartialRefund(Refund):
            part: int


X = TypeVar("X")


class ReviewBox(Event, Generic[X]):
    type: Literal["ReviewBox"] = "ReviewBox"
    item: X | None = None


def test_a_parametrised_generic_event_does_not_register_itself() -> None:
    boxed = ReviewBox[int](stream_id="S", at=T0, item=1)
    assert boxed.event_type == "ReviewBox"
    plain = ReviewBox(stream_id="S", at=T0)
    assert Event.from_dict(plain.to_dict()) == plain


def test_any_event_is_a_pydantic_type_that_dispatches_on_type_and_writes_subclasses() -> None:
    events = [TicketResolved(stream_id="T-1", at=T0, resolution="r"),
              StatusChanged(stream_id="T-1", at=T0, status="open")]
    adapter = TypeAdapter(list[AnyEvent])
    dumped = adapter.dump_python(events, mode="json")
    assert [d["type"] for d in dumped] == ["TicketResolved", "StatusChanged"]
    assert adapter.validate_python(dumped) == events


def test_the_aggregates_give_their_creation_events_time_ordered_ids() -> None:
    import uuid

    t = Ticket.open(ticket_id="T-1", customer_id="C-1", channel="email", category="billing",
                    priority="P3", subject="s", at=T0, by=AGENT)
    c = Case.start(process=feedback_loop_process(), case_id="F-1", at=T0, by=AGENT)
    for ev in (t.history[0], c.history[0]):
        assert uuid.UUID(ev.event_id).version == 7


def test_a_case_guard_reads_status() -> None:
    c = Case.start(process=feedback_loop_process(), case_id="F-1", at=T0, by=AGENT)
    facts = c.kind.facts(c.__dict__, {}, {}, T0)
    assert facts["status"] == facts["state"] == "recorded"
