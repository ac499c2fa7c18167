"""Input a host does not control, handled as docs/security.md promises.

A help desk takes policy documents from team leads (less trusted authors) and imports event
histories from another system. Every refusal here is a typed ``ServiceKitError`` that names
positions and types, never the values, so it can be logged as it is:

* a YAML "billion laughs" policy is refused before any value is built;
* a policy with a duplicate key and a condition on an unknown state is refused with every
  problem located;
* an imported history in which the customer assigned their own ticket is refused (P-08: the
  roles events record are checked on replay);
* a recorded event cannot be changed in place, and a save built on a stale version is a
  conflict even when the lengths fit.

Run: ``python examples/untrusted_input.py``
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from servicekit.errors import (
    ConcurrencyConflict,
    PolicyError,
    ReadOnlyError,
    ServiceKitError,
    exception_chain,
)
from servicekit.events import StatusChanged, TicketAssigned
from servicekit.policy import Policy
from servicekit.storage import InMemoryEventStore, TicketRepository
from servicekit.tickets import Actor, Ticket

PHONE = "13800138000"  # a customer's phone number: it must never reach a log line
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
H = timedelta(hours=1)
AGENT = Actor(id="u-7", roles={"agent"})
LEAD = Actor(id="u-1", roles={"lead"})


def loggable(exc: ServiceKitError) -> str:
    """The message, once checked to carry nothing the caller passed in."""
    assert all(PHONE not in str(e) for e in exception_chain(exc))
    return str(exc).splitlines()[0]


def yaml_bomb() -> str:
    lines = ["version: '1'", f"name: &a0 ['{PHONE}']"]
    lines += [f"x{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 9)]
    return "\n".join(lines) + "\n"


def main() -> dict[str, str]:
    outcome: dict[str, str] = {}
    try:
        Policy.from_yaml(yaml_bomb())
    except PolicyError as exc:
        outcome["yaml bomb"] = loggable(exc)
    try:
        Policy.from_json('{"version": "1", "version": "2", "' + PHONE + '": 1}')
    except PolicyError as exc:
        outcome["duplicate key"] = loggable(exc)

    ticket = Ticket.open(ticket_id="T-1", customer_id=f"C-{PHONE}", channel="phone",
                         category="billing", priority="P3", subject=f"call me on {PHONE}",
                         at=T0, by=AGENT)
    customer = Actor.customer(ticket.customer_id)
    forged = (*ticket.history,
              TicketAssigned(stream_id="T-1", at=T0 + H, by=customer.id, roles=customer.roles,
                             assignee=PHONE),
              StatusChanged(stream_id="T-1", at=T0 + H, by=customer.id, roles=customer.roles,
                            status="open", event="assign"))
    try:
        Ticket.replay(forged)
    except ServiceKitError as exc:
        outcome["forged history"] = loggable(exc)

    try:
        ticket.history[0].attributes["vip"] = True  # type: ignore[index]
    except ReadOnlyError as exc:
        outcome["change a recorded event"] = loggable(exc)

    repo = TicketRepository(InMemoryEventStore())
    base = repo.add(ticket)
    mine = base.assign("u-7", at=T0 + H, by=LEAD)
    theirs = base.reply(at=T0 + H, by=AGENT)  # built on the same version
    repo.save(mine, base.version)
    try:
        repo.save(theirs.resolve(at=T0 + 2 * H, by=AGENT, resolution="refunded"),
                  mine.version)  # claims mine's version, but was not built on it
    except ConcurrencyConflict as exc:
        outcome["stale save"] = loggable(exc)
    return outcome


if __name__ == "__main__":
    for what, message in main().items():
        print(f"{what}: {message}")
