"""No personal data in errors (issue 10, item 15): a property over the whole public API.

A caller's strings (ids, subjects, reasons, field keys and values, policy names and keys,
event type tags, zone names) may be personal data. Hypothesis plants a marker in every string
an entry point takes, with a bad value somewhere beside it, calls the entry point and checks
that whatever it raises is a ``ServiceKitError`` whose message, ``repr`` and arguments, and
those of every exception on its ``__cause__`` / ``__context__`` chain, repeat no marker and
hold no pydantic ``ValidationError`` (which keeps the input).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from servicekit._model import ValueModel
from servicekit.calendar import BusinessCalendar
from servicekit.cases import Case
from servicekit.errors import ServiceKitError
from servicekit.errors import exception_chain as chain
from servicekit.events import Event, StatusChanged, TicketAssigned, TicketCreated
from servicekit.policy import Policy
from servicekit.presets.handbook import policy as handbook_policy
from servicekit.presets.handbook import sla_policy
from servicekit.presets.processes import complaint_process, feedback_loop_process
from servicekit.rules import Condition
from servicekit.sla import evaluate
from servicekit.storage import InMemoryEventStore, TicketRepository
from servicekit.tickets import Actor, Ticket

MARK = "PII-13800138000"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
AGENT = Actor(id="agent-1", roles=frozenset({"agent"}))

#: strings that carry the marker, as a caller might write them
MARKED = st.builds(lambda a, b: a + MARK + b, st.text(max_size=4), st.text(max_size=4))
#: values no entry point accepts where a string, a number or JSON data is expected
BAD = st.sampled_from([object(), float("nan"), float("inf"), 2**70, {1, 2}, b"x", (), None,
                       -1, "", " ", "\n", True, [object()], {"k": object()}])




def check(call: Callable[[], object]) -> bool:
    """Run ``call``; if it raises, the error must be typed and clean. True if it raised."""
    try:
        call()
    except ServiceKitError as exc:
        for e in chain(exc):
            assert not isinstance(e, ValidationError), "pydantic's error is on the chain"
            for text in (str(e), repr(e), *map(repr, e.args)):
                assert MARK not in text, f"{type(e).__name__} repeats the marker"
            for problem in getattr(e, "problems", ()) or ():
                assert MARK not in repr(problem.loc)
        return True
    return False


def ticket() -> Ticket:
    return Ticket.open(ticket_id="T-1", customer_id="C-1", channel="email", category="billing",
                       priority="P2", subject="s", at=T0, by=AGENT)


def _open(m: str, bad: object, slot: int) -> Any:
    args: dict[str, Any] = {"ticket_id": "T-1", "customer_id": "C-1", "channel": "email",
                            "category": "billing", "priority": "P2", "subject": "s",
                            "at": T0, "by": AGENT}
    names = list(args)[:6]
    args[names[slot % 6]] = m
    args[names[(slot + 1) % 6]] = bad
    return Ticket.open(**args, attributes={m: {m: bad}})


ENTRY_POINTS: dict[str, Callable[[str, object, int], object]] = {
    "Ticket.open": _open,
    "Ticket.open(attributes)": lambda m, bad, i: Ticket.open(
        ticket_id=m, customer_id=m, channel=m, category=m, priority=m, subject=m, at=T0,
        by=AGENT, attributes={m: [m, bad]}, customer_tier=bad),  # type: ignore[arg-type]
    "Ticket.open(by)": lambda m, bad, i: Ticket.open(
        ticket_id=m, customer_id=m, channel=m, category=m, priority=m, subject=m, at=T0,
        by=Actor.customer(m + "x")),
    "assign": lambda m, bad, i: ticket().assign(m, at=T0 + H, by=Actor.customer(m)),
    "reply(fields)": lambda m, bad, i: ticket().reply(at=T0 + H, by=AGENT,
                                                     fields={m: {m: bad}}),
    "reply(public)": lambda m, bad, i: ticket().reply(at=T0 + H, by=AGENT, public=bad,  # type: ignore[arg-type]
                                                     fields={m: m}),
    "escalate": lambda m, bad, i: ticket().escalate(level=bad, at=T0 + H, by=AGENT,  # type: ignore[arg-type]
                                                    reason=m),
    "change_priority": lambda m, bad, i: ticket().change_priority(m, at=T0 + H, by=AGENT,
                                                                  reason=m),
    "resolve": lambda m, bad, i: ticket().resolve(at=T0 + H, by=AGENT, resolution=m,
                                                  fields={"x": {m: bad}}),
    "reopen": lambda m, bad, i: ticket().reopen(at=T0 + H, fields={m: bad}),
    "cancel": lambda m, bad, i: ticket().cancel(at=T0 + H, by=Actor.customer(m), reason=m),
    "fire(event)": lambda m, bad, i: ticket().fire(m, at=T0 + H, by=AGENT, fields={m: m}),
    "fire(fields)": lambda m, bad, i: ticket().fire("wait_on_customer", at=T0 + H, by=AGENT,
                                                    fields={m: bad, "priority": m}),
    "Actor": lambda m, bad, i: Actor(id=m, roles=[m, bad]),  # type: ignore[arg-type]
    "Case.start": lambda m, bad, i: Case.start(process=complaint_process(), case_id=m, at=T0,
                                              by=Actor.customer(m + "y"), customer_id=m,
                                              fields={m: bad}),
    "Case.fire": lambda m, bad, i: Case.start(  # assess requires category and priority
        process=feedback_loop_process(), case_id="C-1", at=T0, by=AGENT).fire(
        "assess", at=T0 + H, by=AGENT, fields={m: m}),
    "Event.from_dict(type)": lambda m, bad, i: Event.from_dict({"type": m, m: bad}),
    "Event.from_dict(values)": lambda m, bad, i: Event.from_dict(
        {"type": "TicketCreated", "stream_id": m, "at": bad, "priority": m, "subject": m,
         m: m, "attributes": {m: bad}, "fields": {m: [bad]}}),
    "Event.from_dict(at)": lambda m, bad, i: Event.from_dict(
        {"type": "StatusChanged", "stream_id": "T", "at": f"2026-01-01T00:00:00Z[{m}]",
         "status": m}),
    "StatusChanged": lambda m, bad, i: StatusChanged(stream_id=m, at=T0, status=bad,  # type: ignore[arg-type]
                                                     by=m, fields={m: bad}),
    "Ticket.replay": lambda m, bad, i: Ticket.replay([
        TicketCreated(stream_id=m, at=T0, priority=m, customer_id=m, subject=m, by=m,
                      roles=[m]),
        TicketAssigned(stream_id=m, at=T0 + H, by=m, roles=["customer"], assignee=m)]),
    "Ticket.replay(other stream)": lambda m, bad, i: Ticket.replay(
        [*ticket().history, StatusChanged(stream_id=m, at=T0 + H, status=m, by=m,
                                          roles=["agent"], event=m)]),
    "repository.get": lambda m, bad, i: TicketRepository(InMemoryEventStore()).get(m),
    "repository.save": lambda m, bad, i: TicketRepository(InMemoryEventStore()).save(
        ticket(), bad),  # type: ignore[arg-type]
    "Condition.parse": lambda m, bad, i: Condition.parse(
        [f"{m} == 1", f"x == '{m}' and", f"'{m}'", f"x in [{m}]", f"{m}(1)"][i % 5]),
    "Condition(data)": lambda m, bad, i: Condition.model_validate(
        {"field": m, "op": m, "value": bad}),
    "Policy.from_json": lambda m, bad, i: Policy.from_json(_planted_policy(m, i)),
    "Policy.from_json(keys)": lambda m, bad, i: Policy.from_json(json.dumps(
        {"version": "1", m: m, "calendars": {m: {"tz": m, "hours": m}}})),
    "Policy.from_yaml": lambda m, bad, i: Policy.from_yaml(
        f"version: '1'\n'{_yaml_safe(m)}': 1\ncalendars:\n  c:\n    tz: '{_yaml_safe(m)}'\n"),
    "Policy.from_toml": lambda m, bad, i: Policy.from_toml(
        f'version = "1"\n[calendars.c]\ntz = {json.dumps(m)}\nhours = {json.dumps(m)}\n'),
    "BusinessCalendar": lambda m, bad, i: BusinessCalendar(tz=m, hours=m),
    "BusinessCalendar.for_country": lambda m, bad, i: BusinessCalendar.for_country(m, tz=m),
    "evaluate": lambda m, bad, i: evaluate(sla_policy(), [
        TicketCreated(stream_id=m, at=T0, priority=m, subject=m, customer_id=m),
        StatusChanged(stream_id=m + "2", at=T0 + H, status=m)], T0 + 2 * H),
    "decide": lambda m, bad, i: handbook_policy().tables["complaint_priority"].decide(
        {m: bad, "severity": m}) if "complaint_priority" in handbook_policy().tables else (
        _raise_typed()),
}


def _models() -> list[type[ValueModel]]:
    """Every public value model (events, policies, processes, calendars, SLA, aggregates)."""
    # every module that defines models, imported for their side effect
    import servicekit.adapters.sqlite
    import servicekit.presets.handbook

    assert servicekit.adapters.sqlite
    assert servicekit.presets.handbook

    found: list[type[ValueModel]] = []
    todo = [ValueModel]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if not sub.__name__.startswith("_") and sub.__module__.startswith("servicekit"):
                found.append(sub)
    return sorted(set(found), key=lambda c: (c.__module__, c.__qualname__))


MODELS = _models()


def _validate_model(m: str, bad: object, i: int, *, as_json: bool | None = None) -> object:
    """A public model validated from a mapping (or JSON text: every third, or ``as_json``)
    with the marker as an unknown key, as a value of every field, and a bad value beside
    it."""
    cls = MODELS[i % len(MODELS)]
    data: dict[str, Any] = {name: (m if j % 2 else bad)
                            for j, name in enumerate(cls.model_fields)}
    data[m] = bad
    if as_json if as_json is not None else i % 3 == 0:
        return cls.model_validate_json(json.dumps(data, default=repr))
    return cls.model_validate(data)


ENTRY_POINTS["model_validate"] = _validate_model


def _raise_typed() -> None:
    raise ServiceKitError("no such table")


def _yaml_safe(m: str) -> str:
    return m.replace("'", "''").replace("\n", " ")


def _planted_policy(m: str, i: int) -> str:
    """The handbook policy's JSON with the marker planted in one of its strings (a name, a
    key, a value), so validation fails somewhere deep with the marker near."""
    data = json.loads(handbook_policy().to_json())
    spots: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                spots.append((node, k))
                walk(v)
        elif isinstance(node, list):
            for j, v in enumerate(node):
                spots.append((node, j))
                walk(v)

    walk(data)
    container, key = spots[i % len(spots)]
    if isinstance(container, dict) and i % 2:
        container[m] = container.pop(key)  # the marker as a key
    else:
        container[key] = m  # the marker as a value
    return json.dumps(data)


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(m=MARKED, bad=BAD, slot=st.integers(min_value=0, max_value=10_000))
def test_errors_repeat_no_personal_data(name: str, m: str, bad: object, slot: int) -> None:
    check(lambda: ENTRY_POINTS[name](m, bad, slot))


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
def test_every_entry_point_here_does_refuse_a_marked_bad_call(name: str) -> None:
    # the property above only means something if the calls fail: each does, on this input
    assert check(lambda: ENTRY_POINTS[name](MARK, object(), 3))


@pytest.mark.parametrize("model", MODELS, ids=lambda c: c.__qualname__)
def test_every_public_model_refuses_a_marked_unknown_key_cleanly(model: type[ValueModel]
                                                                 ) -> None:
    i = MODELS.index(model)
    assert check(lambda: _validate_model(MARK, object(), i, as_json=False))
    assert check(lambda: _validate_model(MARK, object(), i, as_json=True))
