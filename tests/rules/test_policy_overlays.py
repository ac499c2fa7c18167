"""Policy overlays and references (issue 19): a document that says only what differs.

The issue's own example (the handbook with S-02's preliminary solution at 16 h and one K-02
rule from P3 to P2), the merge rules (mappings by key, keyed lists by item, ``_replace``,
``_remove``, ``_before`` / ``_after``), bases read by the host's resolver (relative names,
cycles, the folder's bounds), references to calendars, tables and SLA policies, and every
format's round trip.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from servicekit.calendar import BusinessCalendar
from servicekit.errors import PolicyError
from servicekit.policy import Policy
from servicekit.presets import handbook

HANDBOOK = handbook.policy()

#: S-02 from 24 h to 16 h, K-02's medium impact × medium urgency from P3 to P2
OVERLAY = '''
extends = "handbook"
version = "acme-2026.1"

[[sla.handbook.target_table.rules]]
id = "S-01:complaint-response"
then = { preliminary_solution = "16h" }

[[tables.complaint_priority.rules]]
id = "K-02:medium-impact-medium-urgency"
then = { priority = "P2" }
'''


def _problems(call: Any) -> list[tuple[tuple[int | str, ...], str]]:
    with pytest.raises(PolicyError) as info:
        call()
    return [(p.loc, p.type) for p in info.value.problems]


def test_s02_and_k02_overrides_on_the_handbook_are_exactly_the_diff() -> None:
    policy = Policy.from_toml(OVERLAY)
    assert [str(c) for c in HANDBOOK.diff(policy)] == [
        '~ version: "handbook-2026.1" -> "acme-2026.1"',
        '~ tables.complaint_priority.rules[id=K-02:medium-impact-medium-urgency].then.priority: '
        '"P3" -> "P2"',
        '~ sla.handbook.target_table.rules[id=S-01:complaint-response].then.preliminary_solution:'
        ' "24h" -> "16h"',
    ]
    # the complaint policy names the table and the SLA policy: the overrides reach it too
    complaints = policy.complaints["handbook"]
    assert complaints.priority_table == policy.tables["complaint_priority"]
    assert complaints.sla == policy.sla["handbook"]
    facts = {"category": "complaint", "priority": "P3"}
    assert policy.sla["handbook"].select(facts)["preliminary_solution"].total_seconds() == 16 * 3600
    assert HANDBOOK.sla["handbook"].select(facts)["preliminary_solution"].total_seconds() == (
        24 * 3600)
    # what is not overridden is the handbook's
    assert policy.processes == HANDBOOK.processes
    assert policy.tiers == HANDBOOK.tiers


def _base(**sections: Any) -> dict[str, Any]:
    return {"version": "1", **sections}


RULES = [{"id": "a", "when": "x == 1", "then": {"p": "P1", "major": True}},
         {"id": "b", "when": "x == 2", "then": {"p": "P2", "major": False}}]


def _table_rules(overlay_rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    base = _base(tables={"t": {"name": "t", "rules": RULES, "hit_policy": "first"}})
    text = json.dumps({"extends": "base.json", "tables": {"t": {"rules": overlay_rules}}})
    policy = Policy.from_json(text, resolver=lambda name: json.dumps(base))
    return [json.loads(r.model_dump_json(exclude_defaults=True))
            for r in policy.tables["t"].rules]


def test_a_rule_merges_by_id_and_keeps_what_the_overlay_leaves_out() -> None:
    rules = _table_rules([{"id": "b", "then": {"p": "P1"}}])
    assert rules[1] == {"id": "b", "when": "x == 2", "then": {"p": "P1", "major": False}}
    assert rules[0] == RULES[0]


def test_replace_remove_and_place_rules() -> None:
    assert _table_rules([{"id": "b", "_replace": True, "when": "x == 3",
                          "then": {"p": "P3"}}])[1] == {"id": "b", "when": "x == 3",
                                                         "then": {"p": "P3"}}
    assert [r["id"] for r in _table_rules([{"id": "a", "_remove": True}])] == ["b"]
    new = {"id": "c", "when": "x == 4", "then": {"p": "P4"}}
    assert [r["id"] for r in _table_rules([new])] == ["a", "b", "c"]
    assert [r["id"] for r in _table_rules([{**new, "_before": "a"}])] == ["c", "a", "b"]
    assert [r["id"] for r in _table_rules([{**new, "_after": "a"}])] == ["a", "c", "b"]
    assert [r["id"] for r in _table_rules([{"id": "b", "_before": "a"}])] == ["b", "a"]


@pytest.mark.parametrize(("item", "where", "kind"), [
    ({"id": "z", "_remove": True}, ("extends", "tables", "t", "rules", 0, "id"), None),
    ({"when": "x == 1"}, None, "overlay_item_key"),
    ({"id": "a", "_remove": "yes"}, None, "overlay_directive"),
    ({"id": "a", "_before": "b", "_after": "b"}, None, "overlay_directive"),
    ({"id": "c", "when": "x == 1", "then": {}, "_after": "nope"}, None, "overlay_unknown_item"),
    ({"id": "z", "_replace": True, "when": "x == 1", "then": {}}, None, "overlay_unknown_item"),
])
def test_an_overlay_item_that_cannot_apply_is_a_problem_at_its_place(
        item: dict[str, Any], where: Any, kind: str | None) -> None:
    found = _problems(lambda: _table_rules([{"id": "a"}, item]))
    assert len(found) == 1
    loc, problem_type = found[0]
    assert loc[:4] == ("tables", "t", "rules", 1)
    assert problem_type == (kind or "overlay_unknown_item")


def test_bases_are_read_by_the_resolver_relative_to_the_document_that_names_them() -> None:
    files = {
        "shared/base.toml": 'extends = "common.toml"\nname = "base"\n',
        "shared/common.toml": 'version = "c-1"\ndescription = "common"\n',
    }
    asked: list[str] = []

    def resolver(name: str) -> str:
        asked.append(name)
        return files[name]

    policy = Policy.from_toml('extends = "shared/base.toml"\nversion = "top"\n',
                              resolver=resolver)
    assert (policy.version, policy.name, policy.description) == ("top", "base", "common")
    assert asked == ["shared/base.toml", "shared/common.toml"]


@pytest.mark.parametrize("name", ["../secret.toml", "/etc/base.toml", "a/../../b.toml",
                                  "C:\\x.toml"])
def test_a_base_outside_the_folder_is_refused_unread(name: str) -> None:
    asked: list[str] = []
    found = _problems(lambda: Policy.from_toml(f'extends = {json.dumps(name)}\nversion = "1"',
                                               resolver=lambda n: asked.append(n) or ""))
    assert found == [(("extends",), "extends_outside")]
    assert asked == []


def test_cycles_missing_bases_and_unreadable_ones_are_clear_problems() -> None:
    loop = {"a.toml": 'extends = "b.toml"\nversion = "1"', "b.toml": 'extends = "a.toml"'}
    found = _problems(lambda: Policy.from_toml(loop["a.toml"], resolver=loop.__getitem__))
    assert found[0][1] == "extends_cycle"
    assert _problems(lambda: Policy.from_toml('extends = "nothing"\nversion = "1"')) == [
        (("extends",), "extends_unknown")]
    assert _problems(lambda: Policy.from_toml('extends = "b.toml"\nversion = "1"')) == [
        (("extends",), "extends_unreadable")]

    def fails(name: str) -> str:
        raise FileNotFoundError("13800138000.toml")

    with pytest.raises(PolicyError) as info:
        Policy.from_toml('extends = "b.toml"\nversion = "1"', resolver=fails)
    assert "13800138000" not in str(info.value)
    assert "FileNotFoundError" in str(info.value)


def test_a_problem_in_a_base_is_located_under_extends() -> None:
    found = _problems(lambda: Policy.from_toml(
        'extends = "b.json"\nversion = "1"', resolver=lambda n: '{"a": NaN}'))
    assert found
    assert all(loc[0] == "extends" for loc, _ in found)


ALWAYS_SLA = {"name": "s", "calendar": "24x7", "metric_calendars": {"first_response": "desk"},
              "targets": {"resolution": {"P1": "4h"}}}


def test_sla_policies_name_their_calendars() -> None:
    policy = Policy.from_json(json.dumps(_base(
        calendars={"desk": {"tz": "Asia/Shanghai", "hours": "09:00-18:00"}},
        sla={"s": ALWAYS_SLA})))
    sla = policy.sla["s"]
    assert sla.calendar == BusinessCalendar.always() == BusinessCalendar(tz="UTC", hours="24x7")
    assert sla.metric_calendars["first_response"] == policy.calendars["desk"]
    exported = json.loads(policy.to_json())["sla"]["s"]
    assert (exported["calendar"], exported["metric_calendars"]) == (
        "24x7", {"first_response": "desk"})


def test_an_unknown_reference_is_a_problem_at_its_place() -> None:
    found = _problems(lambda: Policy.from_json(json.dumps(_base(
        sla={"s": {**ALWAYS_SLA, "metric_calendars": {"first_response": "nowhere"},
                   "remedy_table": "nope"}}))))
    assert (("sla", "s", "metric_calendars", "first_response"), "unknown_reference") in found
    assert (("sla", "s", "remedy_table"), "unknown_reference") in found


@pytest.mark.parametrize("fmt", ["json", "yaml", "toml"])
def test_every_format_round_trips_the_handbook(fmt: str) -> None:
    text = getattr(HANDBOOK, f"to_{fmt}")()
    assert getattr(Policy, f"from_{fmt}")(text) == HANDBOOK
    overlay = Policy.from_toml(OVERLAY)
    assert getattr(Policy, f"from_{fmt}")(getattr(overlay, f"to_{fmt}")()) == overlay


def test_the_handbook_export_names_what_it_shares() -> None:
    data = json.loads(HANDBOOK.to_json())
    assert data["sla"]["handbook"]["calendar"] == "china"
    assert data["sla"]["handbook"]["remedy_table"] == "remedy"
    assert data["complaints"]["handbook"]["sla"] == "handbook"
    assert data["complaints"]["handbook"]["priority_table"] == "complaint_priority"
    assert data["calendars"]["always"]["hours"] == "24x7"
    # the full form is still there for whoever wants it
    full = json.loads(HANDBOOK.model_dump_json())
    assert isinstance(full["sla"]["handbook"]["calendar"], dict)


def test_a_policy_file_extends_the_files_beside_it(tmp_path: Any) -> None:
    from servicekit.adapters.files import read_policy

    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "base.toml").write_text('extends = "handbook"\nname = "base"\n')
    (tmp_path / "acme.toml").write_text('extends = "shared/base.toml"\n' + OVERLAY.replace(
        'extends = "handbook"\n', ""))
    policy = read_policy(tmp_path / "acme.toml")
    assert (policy.name, policy.version) == ("base", "acme-2026.1")
    assert policy == Policy.from_toml(OVERLAY).model_copy(update={"name": "base"})
    with pytest.raises(PolicyError, match="ends in"):
        read_policy(tmp_path / "acme.txt")
    with pytest.raises(PolicyError, match="FileNotFoundError"):
        read_policy(tmp_path / "missing.toml")
