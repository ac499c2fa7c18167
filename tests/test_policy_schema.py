"""The shipped JSON Schema of policy documents is current, and real policies validate against it."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import jsonschema

from servicekit.policy import Policy
from servicekit.presets import handbook

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "docs" / "policy.schema.json"


def test_shipped_schema_is_current() -> None:
    """docs/policy.schema.json is what `python -m servicekit schema` prints today."""
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == Policy.json_schema()


def test_handbook_policy_validates_against_the_schema() -> None:
    schema = Policy.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    document = json.loads(handbook.policy().to_json())
    jsonschema.validate(document, schema)


def test_data_form_conditions_validate_against_the_schema() -> None:
    schema = Policy.json_schema()
    document = {
        "version": "1",
        "tables": {
            "t": {
                "name": "t",
                "rules": [
                    {"id": "text", "when": "severity >= 5"},
                    {"id": "data", "when": {"all": [
                        {"field": "priority", "op": "in", "value": ["P1", "P2"]},
                        {"left": {"field": "age"}, "op": ">=", "right": {"duration": "4h"}},
                    ]}},
                ],
            }
        },
    }
    jsonschema.validate(document, schema)
    assert Policy.from_json(json.dumps(document)).tables["t"].rules[1].when.evaluate(
        {"priority": "P1", "age": timedelta(hours=5)}
    )


def test_schema_rejects_what_the_loader_rejects() -> None:
    schema = Policy.json_schema()
    bad = {"version": "1", "tables": {"t": {"name": "t", "rules": [
        {"id": "x", "when": {"field": "a", "op": "~", "value": 1}}]}}}
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(bad))
