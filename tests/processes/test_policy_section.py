"""Process definitions as a section of the policy document (P-01 … P-08 as data)."""

from __future__ import annotations

import pytest

from servicekit.errors import PolicyError
from servicekit.policy import Policy
from servicekit.presets import handbook
from servicekit.presets.processes import all_processes, ticket_process
from servicekit.tickets import Ticket

TOML = """
version = "2026.11"

[processes.mini]
name = "mini"
roles = ["agent", "lead", "system"]
fields = ["note"]

[[processes.mini.states]]
id = "start"
label = "Start"
label_zh = "开始"
initial = true
timeout = { after = "2d", event = "finish" }

[[processes.mini.states]]
id = "done"
label = "Done"
label_zh = "完成"
final = true

[[processes.mini.transitions]]
event = "finish"
sources = ["start"]
target = "done"
roles = ["lead", "system"]

[[processes.mini.transitions]]
event = "nudge"
sources = ["start"]
requires = ["note"]
"""


def test_a_policy_carries_process_definitions_from_toml() -> None:
    policy = Policy.from_toml(TOML)
    mini = policy.processes["mini"]
    assert mini.table.next_state("start", "nudge") == "start"  # an action: no target
    assert mini.table.next_state("start", "finish") == "done"
    timeout = mini.state("start").timeout
    assert timeout is not None
    assert (timeout.event, timeout.after.days) == ("finish", 2)


def test_an_unsound_process_in_a_policy_is_reported_with_its_location() -> None:
    broken = TOML.replace('event = "finish" }', 'event = "vanish" }')
    with pytest.raises(PolicyError) as info:
        Policy.from_toml(broken)
    assert "processes.mini" in str(info.value)
    assert "timeout event 'vanish' is not a transition from start" in str(info.value)


def test_the_handbook_policy_holds_every_preset_process() -> None:
    policy = handbook.policy()
    assert policy.processes == all_processes()
    assert Policy.from_json(policy.to_json()).processes == policy.processes


def test_a_ticket_runs_on_the_policys_ticket_process() -> None:
    """P-01: the ticket process a host keeps in its policy is the one tickets run on."""
    policy = handbook.policy()
    assert policy.processes["ticket"] == ticket_process()
    resolved = policy.processes["ticket"].state("resolved")
    assert resolved.timeout is not None
    assert resolved.timeout.event == "close"
    assert Ticket.model_fields["status"].description


def test_a_timeout_the_system_role_may_not_fire_is_unsound() -> None:
    """Timeouts are fired by the system role (auto-close): a process must allow it."""
    with pytest.raises(PolicyError) as info:
        Policy.from_toml(TOML.replace('roles = ["lead", "system"]', 'roles = ["lead"]'))
    assert "may not be fired by the system role" in str(info.value)
