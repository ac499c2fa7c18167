"""Edges of decision tables: single-hit flags, explanations of one match, non-ASCII outputs,
malformed ``output_order``, and a table whose rules and whole both fail validation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from servicekit.errors import PolicyError
from servicekit.policy import Policy
from servicekit.rules import DecisionTable, Rule


def _ranked(*rules: Rule) -> DecisionTable:
    return DecisionTable(name="rank", hit_policy="priority",
                         output_order={"priority": ["P1", "P2", "P3"]}, rules=list(rules))


@pytest.mark.parametrize("hit_policy", ["first", "unique", "priority"])
def test_a_single_hit_table_with_one_match_takes_that_rule_not_the_default(
    hit_policy: str,
) -> None:
    extra: dict[str, Any] = (
        {"output_order": {"priority": ["P1", "P2"]}} if hit_policy == "priority" else {}
    )
    table = DecisionTable(
        name="t", hit_policy=hit_policy, default={"priority": "P2"},
        rules=[Rule(id="vip", when='tier == "A"', then={"priority": "P1"})], **extra,
    )
    d = table.decide({"tier": "A"})
    assert dict(d.value) == {"priority": "P1"}
    assert d.rule_ids == ("vip",)
    assert d.rule_id == "vip"
    assert d.defaulted is False
    assert d.matched is True
    d = table.decide({"tier": "B"})
    assert (dict(d.value), d.rule_id, d.defaulted) == ({"priority": "P2"}, None, True)


def test_explaining_a_priority_table_with_one_match_gives_no_ranking() -> None:
    table = _ranked(Rule(id="vip", when='tier == "A"', then={"priority": "P2"}),
                    Rule(id="outage", when="outage", then={"priority": "P1"}))
    text = table.decide({"tier": "A", "outage": False}).explain()
    assert text.splitlines()[-1] == 'result: {"priority": "P2"} from rule vip'
    assert "highest priority" not in text
    text = table.decide({"tier": "A", "outage": True}).explain()
    assert text.splitlines()[-2:] == [
        'result: {"priority": "P1"} from rule outage',
        "(highest priority among vip, outage by priority: ['P1', 'P2', 'P3'])",
    ]


def test_explaining_a_first_table_gives_no_ranking() -> None:
    table = DecisionTable(name="t", rules=[Rule(id="a", when="x >= 1", then={"p": 1}),
                                           Rule(id="b", when="x >= 2", then={"p": 2})])
    text = table.decide({"x": 5}).explain()
    assert text.splitlines()[-1] == 'result: {"p": 1} from rule a'
    assert "highest priority" not in text


def test_explanations_write_outputs_as_they_are_not_escaped() -> None:
    table = DecisionTable(name="团队", rules=[Rule(id="r", when="x", then={"team": "投诉组"})],
                          default={"team": "客服"})
    assert table.decide({"x": True}).explain().splitlines()[-1] == (
        'result: {"team": "投诉组"} from rule r'
    )
    last = table.decide({}).explain().splitlines()[-1]
    assert last == 'no rule matched: default {"team": "客服"}'


def test_an_output_order_that_is_not_a_list_is_reported_with_the_rule_it_cannot_rank() -> None:
    with pytest.raises(PolicyError) as caught:
        DecisionTable.model_validate({
            "name": "t", "hit_policy": "priority", "output_order": {"p": 5},
            "rules": [{"id": "a", "when": "x", "then": {"p": "P1"}}],
        })
    assert [(p.loc, p.type) for p in caught.value.problems] == [
        (("output_order", "p"), "tuple_type"),
        ((), "unranked_output"),
    ]
    assert caught.value.problems[1].msg.startswith(
        "rules[0]: its output for key 0 of output_order is not one of the values ranked")


def test_a_rule_error_alone_is_reported_as_it_is() -> None:
    with pytest.raises(PolicyError) as caught:
        DecisionTable.model_validate({"name": "t", "rules": [{"id": "a", "when": {"foo": 1}}]})
    assert [(p.loc, p.type) for p in caught.value.problems] == [
        (("rules", 0, "when"), "invalid_condition"),
    ]


def test_a_malformed_data_form_rule_and_a_duplicate_id_are_both_reported() -> None:
    """Once a KeyError ('Invalid error type'): the rule's error, of a custom type, could not be
    raised again together with the table's own problem."""
    data = {"name": "t", "rules": [{"id": "a", "when": {"foo": 1}}, {"id": "a", "when": "x"}]}
    with pytest.raises(PolicyError) as caught:
        DecisionTable.model_validate(data)
    problems = caught.value.problems
    assert [(p.loc, p.type) for p in problems] == [
        (("rules", 0, "when"), "invalid_condition"),
        ((), "duplicate_rule_id"),
    ]
    assert problems[0].msg.startswith("a condition is an object with one of the keys all, any")
    assert problems[1].msg.startswith("rule id used twice: rules[1] has the id of rules[0]")
    document = json.dumps({"version": "1", "tables": {"t": data}})
    with pytest.raises(PolicyError, match=r"tables\.t\.rules\[0\]\.when: a condition is an obj"):
        Policy.from_json(document)


def test_a_value_error_in_a_rule_and_a_duplicate_id_are_both_reported() -> None:
    data = {"name": "t", "rules": [{"id": "a", "when": "x >"}, {"id": "a", "when": "x"}]}
    with pytest.raises(PolicyError) as caught:
        DecisionTable.model_validate(data)
    assert [(p.loc, p.type, p.msg) for p in caught.value.problems] == [
        (("rules", 0, "when"), "value_error", "unexpected end of text at position 3 (got str)"),
        ((), "duplicate_rule_id", "rule id used twice: rules[1] has the id of rules[0] (got dict)"),
    ]
