"""``SlaPolicy`` at its edges: the range of a target, ``select()`` with each kind of target
table (a single hit, collect, no hit), facts of every mapping type, and the messages of a
policy with several problems."""

from __future__ import annotations

from datetime import timedelta
from types import MappingProxyType
from typing import Any

import pytest

from servicekit.calendar import BusinessCalendar
from servicekit.errors import InvalidInputError, PolicyError
from servicekit.rules import DecisionTable, Rule
from servicekit.sla import MAX_TARGET, Metric, SlaPolicy

H = timedelta(hours=1)
US = timedelta(microseconds=1)
ALWAYS = BusinessCalendar.always()


def policy(**more: Any) -> SlaPolicy:
    fields: dict[str, Any] = {"name": "p", "calendar": ALWAYS,
                              "targets": {"first_response": {"P1": H, "P2": 4 * H},
                                          "resolution": {"P1": 8 * H}}}
    fields.update(more)
    return SlaPolicy(**fields)


def facts(priority: object = "P1", channel: str | None = "email") -> dict[str, Any]:
    return {"priority": priority, "channel": channel, "category": None, "customer_tier": None}


def table(hit_policy: str = "first", **outputs: dict[str, Any]) -> DecisionTable:
    """One rule per channel named, in order, giving that output."""
    return DecisionTable(name="t", hit_policy=hit_policy, rules=[
        Rule(id=channel, when=f"channel == {channel!r}", then=then)
        for channel, then in outputs.items()])


@pytest.mark.parametrize("target", [timedelta(0), US, MAX_TARGET, "0s", "3650d"])
def test_a_target_from_0_to_3650_days_inclusive_is_accepted_everywhere(target: object) -> None:
    expected = target if isinstance(target, timedelta) else {"0s": timedelta(0),
                                                               "3650d": MAX_TARGET}[target]
    assert policy(targets={"resolution": {"P1": target}}).targets["resolution"]["P1"] == expected
    metric = Metric(name="m", start_on="TicketCreated", stop_on="TicketResolved", target=target)
    assert metric.target == expected
    text = target if isinstance(target, str) else f"{target // US}us"
    tabled = policy(target_table=table(email={"resolution": text}))
    assert tabled.select(facts())["resolution"] == expected


@pytest.mark.parametrize("target", [-US, MAX_TARGET + US])
def test_a_target_outside_0_to_3650_days_is_refused_everywhere(target: timedelta) -> None:
    with pytest.raises(PolicyError):
        policy(targets={"resolution": {"P1": target}})
    with pytest.raises(PolicyError):
        Metric(name="m", start_on="TicketCreated", stop_on="TicketResolved", target=target)
    with pytest.raises(PolicyError, match=r"target_table\.rules\[0\]\.then"):
        policy(target_table=table(email={"resolution": f"{target // US}us"}))


def test_select_with_a_single_hit_table_overrides_the_priority_targets() -> None:
    pol = policy(target_table=table(phone={"first_response": "60s"},
                                    email={"first_response": "2h", "resolution": "1d"}))
    assert pol.select(facts("P1", "phone")) == {"first_response": timedelta(seconds=60),
                                                "resolution": 8 * H}
    assert pol.select(facts("P1", "email")) == {"first_response": 2 * H,
                                                "resolution": timedelta(days=1)}
    # no rule matches, no default: the priority targets as they are
    assert pol.select(facts("P2", "chat")) == {"first_response": 4 * H}


def test_select_with_a_collect_table_lets_later_rules_override_earlier_ones() -> None:
    pol = policy(target_table=DecisionTable(name="t", hit_policy="collect", rules=[
        Rule(id="any", when="priority == 'P1'", then={"first_response": "30m",
                                                     "resolution": "4h"}),
        Rule(id="phone", when="channel == 'phone'", then={"first_response": "60s"})]))
    assert pol.select(facts("P1", "phone")) == {"first_response": timedelta(seconds=60),
                                                "resolution": 4 * H}
    assert pol.select(facts("P1", "email")) == {"first_response": timedelta(minutes=30),
                                                "resolution": 4 * H}
    assert pol.select(facts("P2", "email")) == {"first_response": 4 * H}


def test_select_reads_facts_of_any_mapping_type_and_refuses_other_values() -> None:
    pol = policy()
    assert pol.select(MappingProxyType(facts("P2"))) == {"first_response": 4 * H}
    assert pol.select(facts("P2")) == {"first_response": 4 * H}
    for bad in (None, [("priority", "P1")], "P1"):
        with pytest.raises(InvalidInputError, match="facts: expected a mapping"):
            pol.select(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("priority", [None, 1, ("P1",)])
def test_a_priority_that_is_no_text_chooses_no_priority_target(priority: object) -> None:
    """Only a text priority names a column of ``targets`` (a tuple would be hashable, 1 is
    no "P1")."""
    pol = policy(metrics=[Metric(name="m", start_on="TicketCreated", stop_on="TicketResolved",
                                 target=H)])
    assert pol.select(facts(priority)) == {"m": H}


def test_every_problem_of_a_policy_is_said_at_once() -> None:
    with pytest.raises(PolicyError) as info:
        SlaPolicy(name="p", calendar=ALWAYS,
                  targets={"resolution": {"P1": H}, "nonesuch": {"P1": H}},
                  metric_calendars={"other": ALWAYS},
                  public_commitments={"resolution"})
    message = str(info.value)
    assert "targets: the name at position 1 is an unknown metric" in message
    assert "metric_calendars: the name at position 0 is an unknown metric" in message
    assert "public_commitments need a remedy_table (K-06)" in message


def test_a_metric_name_is_one_identifier_line() -> None:
    assert Metric(name="_a1", start_on="TicketCreated", stop_on="TicketResolved").name == "_a1"
    for bad in ("a\n", "1a", "a-b", ""):
        with pytest.raises(PolicyError, match="identifier"):
            Metric(name=bad, start_on="TicketCreated", stop_on="TicketResolved")


def test_a_single_selector_is_a_tuple_of_one() -> None:
    m = Metric(name="m", start_on="TicketCreated", stop_on=("TicketResolved", "TicketClosed"),
               cancel_on="StatusChanged:cancelled")
    assert (m.start_on, m.stop_on, m.cancel_on) == (
        ("TicketCreated",), ("TicketResolved", "TicketClosed"), ("StatusChanged:cancelled",))
    assert Metric(name="m", start_on="AgentReplied:public", stop_on="AgentReplied:private",
                  ).stop_on == ("AgentReplied:private",)


def test_select_refuses_an_output_that_is_no_target_in_a_table_that_bypassed_the_check() -> None:
    """``model_copy(update=...)`` does not validate: a table whose only output for a metric
    is no duration reaches ``select()``, which refuses it by the output's type."""
    bad = Rule(id="r", when="priority == 'P1'", then={}).model_copy(
        update={"then": {"resolution": "soon"}})
    unchecked = policy().model_copy(
        update={"target_table": DecisionTable(name="t", rules=[bad])})
    with pytest.raises(PolicyError) as info:
        unchecked.select(facts())
    assert str(info.value) == ("target_table: the output for a metric is not a target (a "
                               "target is a duration from 0 to 3650 days), got str")
    assert unchecked.select(facts("P2")) == {"first_response": 4 * H}
