"""A host loads its policy document and lets servicekit decide, with explanations.

The host reads its own file (servicekit reads none), validates it into a ``Policy``, and asks the
``sla_tier`` table which SLA applies to each incoming ticket. It then shows what an edit to the
policy would change, as an admin page would before saving.

Run: python examples/policy_decisions.py
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from servicekit.policy import Policy

POLICY_FILE = Path(__file__).with_name("support_policy.toml")

TICKETS = [
    {"id": "T-1", "channel": "email", "customer": {"tier": "A"}, "waited": timedelta(hours=1)},
    {"id": "T-2", "channel": "chat", "customer": {"tier": "C"}, "waited": timedelta(minutes=2)},
    {"id": "T-3", "channel": "email", "customer": {"tier": "B"}, "waited": timedelta(hours=6)},
    {"id": "T-4", "channel": "web", "customer": {"tier": "B", "vip": True},
     "waited": timedelta(0)},
]


def main() -> dict[str, str]:
    policy = Policy.from_toml(POLICY_FILE.read_text(encoding="utf-8"))
    table = policy.tables["sla_tier"]
    chosen: dict[str, str] = {}
    for ticket in TICKETS:
        decision = table.decide(ticket)
        chosen[str(ticket["id"])] = decision.value["sla"]
        print(f"{ticket['id']}: {dict(decision.value)} (rule {decision.rule_id or 'default'})")
    print()
    print(table.decide(TICKETS[2]).explain())

    edited = Policy.from_json(policy.to_json().replace("waited > 4h", "waited > 2h"))
    print()
    print("an edit would change:")
    for change in policy.diff(edited):
        print(f"  {change}")
    return chosen


if __name__ == "__main__":
    main()
