"""A host's ticket service on servicekit: commands in, events stored in SQLite, SLA out.

What a CRM embedding servicekit writes: a thin service that loads a ticket from its event
store, runs one command (checked against the handbook's ticket process, P-01), saves the new
events with optimistic concurrency (retrying once on a conflict), and a sweep that closes
resolved tickets whose auto-close is due (the resolved state's 7-day timeout). The database is
a temporary SQLite file; swap ``SqliteEventStore`` for your own ``EventStore``.

Run: ``python examples/ticket_service.py``
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from servicekit.adapters.sqlite import SqliteEventStore
from servicekit.errors import PermissionDenied, ServiceKitError, TransitionRejected
from servicekit.presets import handbook
from servicekit.storage import TicketRepository
from servicekit.tickets import Actor, Ticket

SHANGHAI = ZoneInfo("Asia/Shanghai")
AGENT = Actor(id="u-7", roles=frozenset({"agent"}))
LEAD = Actor(id="u-1", roles=frozenset({"lead"}))
SYSTEM = Actor.system()


def open_tickets(repo: TicketRepository, start: datetime) -> list[str]:
    ids = []
    for i, (category, priority) in enumerate(
        [("complaint", "P2"), ("consultation", "P3"), ("fault", "P1"), ("complaint", "P3")]
    ):
        ticket = Ticket.open(ticket_id=f"T-{i + 1}", customer_id=f"C-{i + 1}", channel="phone",
                             category=category, priority=priority, subject="(redacted)",
                             at=start + timedelta(minutes=10 * i), by=AGENT)
        repo.add(ticket)
        ids.append(ticket.ticket_id)
    return ids


def handle(repo: TicketRepository, ticket_id: str, command: str, **kwargs: object) -> str:
    """Run one command by name; return what happened (the host would answer its API call)."""
    try:
        ticket = repo.update(ticket_id, lambda t: getattr(t, command)(**kwargs), retries=1)
    except (TransitionRejected, PermissionDenied) as exc:
        return f"{ticket_id} {command}: refused ({exc.reason})"
    except ServiceKitError as exc:
        return f"{ticket_id} {command}: bad request ({exc})"
    return f"{ticket_id} {command}: now {ticket.status} (v{ticket.version})"


def sweep(repo: TicketRepository, ids: list[str], now: datetime) -> list[str]:
    """The host's scheduled job: fire whatever timeout is due (auto-close)."""
    closed = []
    for ticket_id in ids:
        ticket = repo.get(ticket_id)
        due = ticket.apply_timeouts(now)
        if due is not ticket:
            repo.save(due, ticket.version)
            closed.append(ticket_id)
    return closed


def main() -> dict[str, str]:
    start = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)

    def at(hours: float) -> datetime:
        return start + timedelta(hours=hours)

    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteEventStore(Path(tmp) / "events.db")
        repo = TicketRepository(store)
        ids = open_tickets(repo, start)
        log = [
            handle(repo, "T-1", "assign", to="u-7", at=at(1), by=LEAD),
            handle(repo, "T-1", "reply", at=at(1.5), by=AGENT),
            handle(repo, "T-1", "resolve", at=at(5), by=AGENT, resolution="apology and refund"),
            handle(repo, "T-2", "reply", at=at(2), by=AGENT),
            handle(repo, "T-2", "wait_on_customer", at=at(2.1), by=AGENT),
            handle(repo, "T-2", "customer_reply", at=at(30)),
            handle(repo, "T-3", "escalate", level=1, at=at(0.5), by=AGENT, reason="outage"),
            handle(repo, "T-3", "escalate", level=1, at=at(0.6), by=LEAD, reason="outage"),
            handle(repo, "T-4", "cancel", at=at(3), by=LEAD, reason="duplicate of T-1"),
            handle(repo, "T-4", "reply", at=at(4), by=AGENT),
        ]
        for line in log:
            print(line)
        closed = sweep(repo, ids, now=at(24 * 8))
        print(f"auto-close sweep 8 days later closed: {', '.join(closed) or 'nothing'}")
        policy = handbook.sla_policy()
        states = {}
        for ticket_id in ids:
            ticket = repo.get(ticket_id)
            report = ticket.sla(policy, at(24 * 8))
            clocks = ", ".join(f"{name} {s.state}" for name, s in report.items())
            states[ticket_id] = ticket.status
            print(f"{ticket_id}: {ticket.status:9} FCR={ticket.first_contact_resolution}  {clocks}")
        store.close()
    return states


if __name__ == "__main__":
    main()
