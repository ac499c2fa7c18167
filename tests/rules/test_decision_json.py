"""The JSON form of a :class:`~servicekit.rules.Decision` (issue 19): ``to_dict()`` and
``Decision.json_schema()``.

The facts a table decided on are the caller's data (a ticket's attributes, a customer's id
and tier): they are left out unless asked for with ``facts=True``, and then written by the same
rules as everything else (instants ISO 8601, durations seconds), or refused when they have no
JSON form, naming the type and never the value.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from servicekit.errors import InvalidInputError
from servicekit.rules import Decision, DecisionTable, Rule

PHONE = "13800138000"


def table(hit_policy: str = "first", default: dict[str, Any] | None = None) -> DecisionTable:
    rules = [Rule(id="K-02:p1", when="severity >= 5", then={"priority": "P1", "major": True}),
             Rule(id="K-02:p2", when="severity >= 3", then={"priority": "P2",
                                                           "tags": ["a", "b"]})]
    extra: dict[str, Any] = {}
    if hit_policy == "priority":
        extra["output_order"] = {"priority": ["P1", "P2"]}
    return DecisionTable(name="k02", hit_policy=hit_policy, rules=rules, default=default,
                         **extra)  # type: ignore[arg-type]


def valid(data: object) -> None:
    jsonschema.validate(data, Decision.json_schema(), cls=jsonschema.Draft202012Validator)


def test_the_schema_is_a_draft_2020_12_schema() -> None:
    schema = Decision.json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    data = table().decide({"severity": 5}).to_dict()
    assert validator.is_valid(data)
    assert not validator.is_valid({**data, "rule_ids": "K-02:p1"})
    assert not validator.is_valid({k: v for k, v in data.items() if k != "matched"})


def test_a_first_hit_decision() -> None:
    data = table().decide({"severity": 5, "phone": PHONE}).to_dict()
    assert data == {"table": "k02", "hit_policy": "first",
                    "value": {"priority": "P1", "major": True}, "rule_ids": ["K-02:p1"],
                    "rule_id": "K-02:p1", "defaulted": False, "matched": True}
    assert type(data["value"]) is dict  # a plain dict, not the read-only mapping
    valid(data)


def test_a_collect_decision_writes_every_output_and_lists_become_lists() -> None:
    decision = table("collect").decide({"severity": 5})
    data = decision.to_dict()
    assert data["value"] == [{"priority": "P1", "major": True},
                             {"priority": "P2", "tags": ["a", "b"]}]
    assert type(data["value"][1]["tags"]) is list  # the read-only tuple, as a list
    assert (data["rule_ids"], data["rule_id"]) == (["K-02:p1", "K-02:p2"], None)
    valid(data)


@pytest.mark.parametrize(("default", "value", "defaulted"), [
    (None, None, False), ({"priority": "P4"}, {"priority": "P4"}, True)])
def test_no_match_with_and_without_a_default(default: dict[str, Any] | None, value: Any,
                                             defaulted: bool) -> None:
    data = table(default=default).decide({"severity": 1}).to_dict()
    assert (data["value"], data["rule_ids"], data["rule_id"], data["defaulted"],
            data["matched"]) == (value, [], None, defaulted, False)
    valid(data)


def test_the_facts_are_left_out_unless_asked_for() -> None:
    decision = table().decide({"severity": 4, "phone": PHONE})
    assert "facts" not in decision.to_dict()
    assert PHONE not in json.dumps(decision.to_dict())
    data = decision.to_dict(facts=True)
    assert data["facts"] == {"severity": 4, "phone": PHONE}
    valid(data)


def test_facts_are_written_by_the_json_rules() -> None:
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    decision = table().decide({"severity": 3, "at": at, "waited": timedelta(hours=2),
                               "tags": ("x", "y"), "roles": frozenset({"b", "a"})})
    assert decision.to_dict(facts=True)["facts"] == {
        "severity": 3, "at": "2026-03-02T09:00:00+00:00", "waited": 7200,
        "tags": ["x", "y"], "roles": ["a", "b"]}


def test_facts_of_a_model_are_written_as_its_fields() -> None:
    class Facts(BaseModel):
        severity: int
        channel: str

    data = table().decide(Facts(severity=5, channel="phone")).to_dict(facts=True)
    assert data["facts"] == {"severity": 5, "channel": "phone"}
    valid(data)


@pytest.mark.parametrize("bad", [object(), float("nan"), {1: "x"}, b"bytes"])
def test_facts_with_no_json_form_are_refused_naming_the_type(bad: object) -> None:
    decision = table().decide({"severity": 1, "secret": bad, "phone": PHONE})
    assert "facts" not in decision.to_dict()  # without facts, nothing to refuse
    with pytest.raises(InvalidInputError) as info:
        decision.to_dict(facts=True)
    assert str(info.value).startswith("facts: no JSON form: ")
    assert PHONE not in str(info.value)
    assert repr(bad) not in str(info.value)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=10)


@settings(max_examples=150, deadline=None, database=None)
@given(st.integers(0, 7), st.dictionaries(st.text(max_size=6), json_values, max_size=4),
       st.sampled_from(["first", "unique", "priority", "collect"]))
def test_every_decision_is_json_and_valid(severity: int, more: dict[str, Any],
                                          hit_policy: str) -> None:
    facts = {**more, "severity": severity}
    if hit_policy == "unique" and severity >= 5:
        return  # two rules match: unique raises (tested with the tables)
    decision = table(hit_policy).decide(facts)
    for data in (decision.to_dict(), decision.to_dict(facts=True)):
        valid(data)
        assert json.loads(json.dumps(data)) == data
    assert decision.to_dict(facts=True)["facts"] == facts
